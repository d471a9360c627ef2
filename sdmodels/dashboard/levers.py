"""Policy levers of a model: every constant ``X`` with a companion constant ``X Start Year``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sdmodels.dashboard._text import per_year as _per_year
from sdmodels.dashboard._text import units_label
from sdmodels.scenarios import START_YEAR_SUFFIX, Lever, Scenario

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model, ParameterInfo

__all__ = ["LeverSpec", "find_levers", "levers_scenario", "scenario_lever_values"]


@dataclass(frozen=True)
class LeverSpec:
    """A lever as the model declares it: the size constant and its start-year constant.

    Attributes
    ----------
    name, py_name
        Vensim and Python names of the size constant.
    start_py_name
        Python name of the start-year constant.
    units
        Units of the size ("" if none).
    min, max
        Slider range of the size (the declared range, or a range around the default).
    default
        The model's default size.
    start_min, start_max, start_default
        Range and default of the start year.
    doc
        The documentation comment of the size constant.
    sector
        The Vensim view the size constant is drawn in.
    """

    name: str
    py_name: str
    start_py_name: str
    units: str
    min: float
    max: float
    default: float
    start_min: float
    start_max: float
    start_default: float
    doc: str
    sector: str | None

    @property
    def percent(self) -> bool:
        """True for a share (dimensionless) or a rate (1/Year): shown as a percentage.

        The slider still holds the model's value (0.03), only its readout is ``3.0%``, so
        links, saved scenarios and exported files keep the model's values.
        """
        return units_label(self.units) == "dimensionless" or _per_year(self.units)

    @property
    def label(self) -> str:
        """Widget label: the lever's name with its units; a share's or a rate's readout is a
        percentage, so its label names no units (``Protected Improvement Time: 3.0%``) or
        says the rate is per year (``Pay Restraint (per year): 1.5%``)."""
        if self.percent:
            return f"{self.name} (per year)" if _per_year(self.units) else self.name
        return f"{self.name} ({units_label(self.units)})"

    @property
    def format(self) -> str | None:
        """Number format of the slider's readout and tooltip (numbro): ``3.0%`` for a share
        or a rate held as 0.03; None (Panel's default) otherwise."""
        return "0.0[0]%" if self.percent else None

    @property
    def step(self) -> float:
        """A slider step giving about 100 positions."""
        span = self.max - self.min
        return span / 100 if span > 0 else 1.0


def _range(info: ParameterInfo) -> tuple[float, float]:
    value = float(info.value)
    lo = info.min if info.min is not None else min(0.0, value)
    hi = info.max if info.max is not None else (2 * abs(value) if value else 1.0)
    return float(lo), float(max(hi, lo))


def find_levers(model: Model) -> list[LeverSpec]:
    """The policy levers of ``model``, in parameter order.

    A lever is a scalar constant ``X`` for which the model also defines a constant
    ``X Start Year``.

    Parameters
    ----------
    model
        The model.

    Returns
    -------
    list of LeverSpec
    """
    params = model.parameters
    by_name = {info.name.lower(): info for info in params.values()}
    levers = []
    for info in params.values():
        start = by_name.get((info.name + START_YEAR_SUFFIX).lower())
        if start is None or info.subscripts or start.subscripts:
            continue
        lo, hi = _range(info)
        t0 = float(model.controls["initial_time"].value)
        t1 = float(model.controls["final_time"].value)
        slo = float(start.min) if start.min is not None else t0
        shi = float(start.max) if start.max is not None else t1
        levers.append(LeverSpec(
            name=info.name, py_name=info.py_name, start_py_name=start.py_name,
            units=info.units, min=lo, max=hi, default=float(info.value),
            start_min=slo, start_max=shi, start_default=float(start.value),
            doc=info.doc, sector=info.sector,
        ))
    return levers


def scenario_lever_values(
    levers: list[LeverSpec], scenario: Scenario | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Lever sizes and start years (by Python name) that ``scenario`` sets; defaults elsewhere."""
    values = {lv.py_name: lv.default for lv in levers}
    starts = {lv.py_name: lv.start_default for lv in levers}
    if scenario is None:
        return values, starts
    by_name = {lv.name.lower(): lv for lv in levers}
    by_py = {lv.py_name: lv for lv in levers}
    for lever in scenario.levers:
        spec = by_name.get(lever.name.lower()) or by_py.get(lever.name)
        if spec is not None:
            values[spec.py_name] = float(lever.value)
            starts[spec.py_name] = float(lever.start)
    for name, value in scenario.parameters.items():
        key = name.lower()
        spec = by_name.get(key) or by_py.get(name)
        if spec is not None:
            values[spec.py_name] = float(value)
            continue
        for lv in levers:
            if key in ((lv.name + START_YEAR_SUFFIX).lower(), lv.start_py_name):
                starts[lv.py_name] = float(value)
    return values, starts


def levers_scenario(
    levers: list[LeverSpec],
    values: dict[str, float],
    starts: dict[str, float],
    *,
    name: str,
    description: str,
    base: Scenario | None = None,
) -> Scenario:
    """A :class:`~sdmodels.scenarios.Scenario` setting every lever to ``values``/``starts``.

    Non-lever overrides of ``base`` (e.g. a preset's other parameters) are kept.
    """
    lever_names = {lv.name.lower() for lv in levers} | {lv.py_name for lv in levers}
    lever_names |= {(lv.name + START_YEAR_SUFFIX).lower() for lv in levers}
    lever_names |= {lv.start_py_name for lv in levers}
    others = {k: v for k, v in (base.parameters if base else {}).items()
              if k.lower() not in lever_names and k not in lever_names}
    return Scenario(
        name=name,
        description=description,
        parameters=others,
        levers=tuple(Lever(lv.name, float(values[lv.py_name]), float(starts[lv.py_name]))
                     for lv in levers),
        allow_out_of_range=base.allow_out_of_range if base else frozenset(),
        model=base.model if base else None,
    )
