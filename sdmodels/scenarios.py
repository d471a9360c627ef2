"""Scenario files: named sets of parameter overrides and policy levers with start years.

A scenario file is TOML::

    model = "nhs_productivity.mdl"          # optional: the model file it belongs to
    description = "Technology and new roles funded, no agility investment."

    [parameters]                            # overrides of model constants, by Vensim name
    "Nurse Leaver Rate" = 0.115

    [levers."Digital Infrastructure Spending"]
    value = 0.5                             # sets the constant "Digital Infrastructure Spending"
    start = 2026                            # sets "Digital Infrastructure Spending Start Year"

    allow_out_of_range = []                 # names whose values may leave the declared range

Files are validated twice: on load against the schema (malformed TOML is reported with file and
line), and against a model when turned into parameters (unknown names are reported with the closest
real names; values outside a constant's declared ``[min,max]`` are refused unless allowed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError

from sdmodels._toml import decode_utf8, parse_toml
from sdmodels.errors import ScenarioError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = [
    "DEFAULT_SCENARIO",
    "START_YEAR_SUFFIX",
    "Lever",
    "Scenario",
    "common_horizon",
    "find_scenarios",
    "load_scenario",
    "resolve_scenario",
]

#: A lever named ``X`` starts at the constant named ``X`` + this suffix.
START_YEAR_SUFFIX = " Start Year"


#: A number as TOML writes it: "0.11" (a string) and true (a boolean) are refused, not coerced.
_Number = StrictInt | StrictFloat


class _LeverSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: _Number
    start: _Number


class _ScenarioSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str | None = None
    description: str = Field(min_length=1)
    parameters: dict[str, _Number | list[_Number]] = {}
    levers: dict[str, _LeverSchema] = {}
    allow_out_of_range: list[str] = []


@dataclass(frozen=True)
class Lever:
    """A policy lever: the size of a programme and the year it starts.

    Attributes
    ----------
    name
        The Vensim name of the lever's constant, e.g. ``"Improvement Investment"``.
    value
        The lever's size, in the constant's units.
    start
        The year it starts; sets the constant ``name + " Start Year"``.
    """

    name: str
    value: float
    start: float

    @property
    def start_name(self) -> str:
        """The Vensim name of the start-year constant."""
        return self.name + START_YEAR_SUFFIX


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter overrides and policy levers.

    Attributes
    ----------
    name
        Short name (the file stem for shipped scenarios).
    description
        What the scenario represents, in a sentence or two.
    parameters
        Overrides by Vensim (or Python) name.
    levers
        Policy levers with start years.
    allow_out_of_range
        Names whose values may leave the declared range.
    model
        The model file name the scenario was written for, if stated.
    path
        The file it was read from, if any.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    levers: tuple[Lever, ...] = ()
    allow_out_of_range: frozenset[str] = frozenset()
    model: str | None = None
    path: Path | None = None

    def overrides(self) -> dict[str, Any]:
        """All overrides by the names used in the file, levers expanded to value and start year."""
        out: dict[str, Any] = dict(self.parameters)
        for lever in self.levers:
            out[lever.name] = lever.value
            out[lever.start_name] = lever.start
        return out

    def to_params(self, model: Model, *, allow_out_of_range: bool = False) -> dict[str, Any]:
        """Validate the scenario against ``model`` and return its overrides by Python name.

        Raises
        ------
        ScenarioError
            A name the model does not define (with the closest real names), a lever without a
            start-year constant, or a value outside its declared range that is not allowed.
        """
        where = str(self.path) if self.path else f"scenario {self.name!r}"
        if self.model is not None and Path(self.model).name.lower() != model.path.name.lower():
            raise ScenarioError(
                f"{where} was written for {self.model!r} (its `model` key), not for "
                f"{model.path.name}; use a scenario of {model.path.name} (`sdmodels scenarios`) "
                f"or, if it does fit, set model = {model.path.name!r} in the file"
            )
        allowed: set[str] = set()
        for name in self.allow_out_of_range:
            allowed.add(self._resolve(model, name, where, "allow_out_of_range entry"))
        params: dict[str, Any] = {}
        given_as: dict[str, str] = {}

        def put(py: str, value: Any, label: str) -> None:
            if py in params:
                raise ScenarioError(
                    f"{where}: {given_as[py]} and {label} both set {model_name(py)!r}; "
                    "give each parameter once (a lever sets its constant and its start year)"
                )
            params[py] = _plain(value)
            given_as[py] = label

        def model_name(py: str) -> str:
            info = model.parameters.get(py) or model.controls.get(py)
            return info.name if info is not None else py

        for name, value in self.parameters.items():
            put(self._resolve(model, name, where, "parameter"), value, f"parameter {name!r}")
        for lever in self.levers:
            put(self._resolve(model, lever.name, where, "lever"), lever.value,
                f"lever {lever.name!r}")
            try:
                start_py = model.resolve_parameter(lever.start_name)
            except UnknownNameError:
                raise ScenarioError(
                    f"{where}: lever {lever.name!r} has no start-year constant "
                    f"{lever.start_name!r} in {model.path.name}; levers need a pair of constants "
                    f"'<lever>' and '<lever>{START_YEAR_SUFFIX}'"
                ) from None
            put(start_py, lever.start, f"the start of lever {lever.name!r}")
        for py, value in params.items():
            info = model.parameters.get(py) or model.controls[py]
            try:
                info.check(
                    value,
                    allow_out_of_range=allow_out_of_range or py in allowed,
                    context=where,
                )
            except ValueError as exc:
                raise ScenarioError(str(exc)) from None
        return params

    @staticmethod
    def _resolve(model: Model, name: str, where: str, what: str) -> str:
        try:
            return model.resolve_parameter(name, context=where)
        except UnknownNameError as exc:
            raise ScenarioError(str(exc).replace("unknown parameter", f"unknown {what}", 1)) \
                from None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (stored in result files as provenance)."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
            "levers": {lv.name: {"value": lv.value, "start": lv.start} for lv in self.levers},
            "allow_out_of_range": sorted(self.allow_out_of_range),
            "file": self.path.name if self.path else None,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (so that provenance stays JSON); arrays unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


#: The scenario used when none is given: the model's own defaults.
DEFAULT_SCENARIO = Scenario(name="default", description="The model's own default values.")



def load_scenario(path: str | Path, *, name: str | None = None) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        A ``.toml`` scenario file.
    name
        The scenario's name; the file stem by default.

    Raises
    ------
    ScenarioError
        The file is missing, is not valid TOML (the message gives file and line), or does not
        follow the schema (the message names the key).

    Examples
    --------
    >>> from sdmodels._paths import MODELS_DIR
    >>> s = load_scenario(MODELS_DIR / "scenarios" / "baseline.toml")
    >>> s.name
    'baseline'
    """
    path = Path(path)
    try:
        text = decode_utf8(path.read_bytes(), path, ScenarioError)
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {str(path)!r}: {exc.strerror}") from None
    raw = parse_toml(text, path, ScenarioError)
    try:
        spec = _ScenarioSchema.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_schema_problems(exc))
        raise ScenarioError(f"{path}: invalid scenario file: {problems}") from None
    return Scenario(
        name=name or path.stem,
        description=spec.description.strip(),
        parameters=dict(spec.parameters),
        levers=tuple(Lever(k, v.value, v.start) for k, v in spec.levers.items()),
        allow_out_of_range=frozenset(spec.allow_out_of_range),
        model=spec.model,
        path=path,
    )


def _schema_problems(exc: ValidationError) -> list[str]:
    """One line per offending key (pydantic reports each branch of a union separately)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        # drop the union-branch labels pydantic appends ("int", "float", "list[...]")
        while loc and (loc[-1] in ("int", "float") or loc[-1].startswith(("list[", "union["))
                       or loc[-1].isdigit()):
            loc.pop()
        key = ".".join(loc) or "(top level)"
        value = err.get("input")
        if err["type"] in ("int_type", "float_type", "list_type", "int_parsing", "float_parsing"):
            kind = type(value).__name__
            hint = (" (write it without quotes)" if isinstance(value, str)
                    else " (write 1 or 0)" if isinstance(value, bool) else "")
            out.setdefault(key, f"{key}: must be a number (or a list of numbers), got {value!r} "
                                f"({kind}){hint}")
        else:
            out.setdefault(key, f"{key}: {err['msg']}")
    return list(out.values())


def find_scenarios(model: Model) -> dict[str, Scenario]:
    """The scenarios shipped beside ``model`` (``scenarios/*.toml``) that are written for it.

    A file whose ``model`` key names another model file is skipped. ``baseline`` comes first.
    """
    folder = model.path.parent / "scenarios"
    found: dict[str, Scenario] = {}
    for file in sorted(folder.glob("*.toml")):
        scenario = load_scenario(file)
        if scenario.model is None or scenario.model == model.path.name:
            found[scenario.name] = scenario
    order = sorted(found, key=lambda n: (n != "baseline", n))
    return {n: found[n] for n in order}


def resolve_scenario(model: Model, scenario: str | Path | Scenario | None) -> Scenario:
    """Turn ``None``, a shipped scenario's name, a file path or a Scenario into a Scenario."""
    if scenario is None:
        return DEFAULT_SCENARIO
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Path) or str(scenario).endswith(".toml"):
        return load_scenario(scenario)
    if scenario in model.scenarios:
        return model.scenarios[scenario]
    raise UnknownNameError(
        str(scenario), list(model.scenarios), what="scenario",
        context=f"the scenarios of {model.path.name} (run `sdmodels scenarios` to list them)",
    )


_CONTROLS = ("initial_time", "final_time", "time_step", "saveper")


def common_horizon(
    model: Model, scenarios: list[Scenario], resolved: list[Mapping[str, Any]]
) -> tuple[float, float]:
    """The (INITIAL TIME, FINAL TIME) that scenarios run together share.

    Scenarios in one result share one time axis, so a scenario that sets its own INITIAL TIME,
    FINAL TIME, TIME STEP or SAVEPER can run alone but not beside scenarios with other values.

    Raises
    ------
    ScenarioError
        The scenarios' control values differ; the message lists each group.
    """
    groups: dict[tuple[float, ...], list[str]] = {}
    for scenario, merged in zip(scenarios, resolved, strict=True):
        key = []
        for c in _CONTROLS:
            value = merged.get(c, model.controls[c].value) if c in model.controls else merged.get(c)
            key.append(float(value) if value is not None and not hasattr(value, "__len__") else
                       float("nan"))
        groups.setdefault(tuple(key), []).append(scenario.name)
    if len(groups) > 1:
        described = "; ".join(
            f"{', '.join(names)}: {k[0]:g} to {k[1]:g}, TIME STEP {k[2]:g}, SAVEPER {k[3]:g}"
            for k, names in groups.items()
        )
        raise ScenarioError(
            f"these scenarios cannot share one result: their simulation controls differ "
            f"({described}); run the scenarios with their own INITIAL TIME/FINAL TIME/TIME STEP/"
            "SAVEPER separately"
        )
    (key,) = groups
    return key[0], key[1]
