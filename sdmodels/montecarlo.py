"""Monte Carlo uncertainty analysis with common random numbers across scenarios.

One design (drawn once from an :class:`~sdmodels.uncertainty.UncertaintySpec`) is run under
every scenario, so that differences between scenarios are not blurred by sampling noise:
sample ``i`` of scenario ``s`` and sample ``i`` of the baseline share every uncertain value.

>>> import sdmodels
>>> from sdmodels.montecarlo import run_mc
>>> from sdmodels.uncertainty import load_uncertainty
>>> m = sdmodels.load_model("models/tests/ishigami.mdl")
>>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
>>> ds = run_mc(m, spec, n=64, seed=0, outputs=["Y"])
>>> ds["y"].sizes["sample"]
64
>>> ds.sd.quantiles([0.5])["y"].dims
('scenario', 'quantile', 'time')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels.engine import progress_bar
from sdmodels.errors import SDModelsError
from sdmodels.results import select_years
from sdmodels.uncertainty import SamplingMethod, Seed, UncertaintySpec

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from sdmodels.model import Engine, Model
    from sdmodels.scenarios import Scenario

__all__ = [
    "DEFAULT_QUANTILES",
    "SDAccessor",
    "better_direction",
    "prob_better",
    "quantiles",
    "run_design",
    "run_mc",
    "summary_table",
]

#: Quantiles reported by default: 5/25/50/75/95 %.
DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

# Words in an output's name that say which direction is better. Checked "lower" first, so that
# "staff vacancy rate" counts as lower-is-better although it mentions staff.
_LOWER_IS_BETTER = re.compile(
    r"vacanc|waiting|backlog|avoidable|funding_gap|deficit|leaver|attrition|burnout|agency"
)
_HIGHER_IS_BETTER = re.compile(
    r"productivity|agility|capability|morale|motivation|engagement|staff|workforce"
)

_CHUNK_TARGET = 20  # aim for about this many progress steps per scenario


def better_direction(name: str) -> Literal[1, -1] | None:
    """Say whether higher (``1``) or lower (``-1``) values of an output are better.

    Higher productivity, agility, capability, morale and staff numbers are better; lower
    vacancies, waiting lists, avoidable demand and funding gaps are better. Other outputs
    have no direction (``None``).

    Examples
    --------
    >>> better_direction("productivity_index"), better_direction("vacancy_rate")
    (1, -1)
    >>> better_direction("y") is None
    True
    """
    key = name.lower().replace(" ", "_")
    if _LOWER_IS_BETTER.search(key):
        return -1
    if _HIGHER_IS_BETTER.search(key):
        return 1
    return None


def _chunks(n: int, chunk_size: int | None, engine: str = "compiled") -> list[tuple[int, int]]:
    """Sample ranges of about 20 progress steps (at least 256 samples each), or of 4
    samples with PySD, which takes about a second a run on the NHS model."""
    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise SDModelsError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if chunk_size:
        size = int(chunk_size)
    elif engine == "pysd":
        size = 4
    else:
        size = max(256, -(-n // _CHUNK_TARGET))
    return [(lo, min(n, lo + size)) for lo in range(0, n, size)]


def run_design(
    model: Model,
    design: xr.DataArray,
    *,
    scenario: str | Scenario | None = None,
    outputs: Sequence[str],
    years: Iterable[float] | Literal["all", "whole"] | None = None,
    engine: Engine = "compiled",
    chunk_size: int | None = None,
    advance: Any = None,
    scheduler: Any = None,
) -> xr.Dataset:
    """Run every row of a design under one scenario, in chunks.

    Parameters
    ----------
    model
        The model.
    design
        Parameter values, dims ``sample`` and ``parameter`` (Python names).
    scenario
        The scenario the samples start from.
    outputs
        Python names of the outputs to keep.
    years
        Keep only the saved times nearest these years; ``None`` or ``"all"`` keeps every saved
        time, ``"whole"`` the saved times on whole years. Selected chunk by chunk, so memory
        holds only what is kept.
    engine
        Passed to :meth:`sdmodels.Model.run_batch`.
    chunk_size
        Samples per call of the engine (default: about 20 chunks of at least 256 samples; 4
        with PySD).
    advance
        Called with the number of samples done after each chunk (progress bars).
    scheduler
        Run the chunks on a dask cluster (an address, ``"local:N"`` or a Client); see
        :func:`sdmodels.distributed.run_design`. The values equal a local run's.

    Returns
    -------
    xarray.Dataset
        The outputs with dims ``sample`` and ``time``, and the provenance attrs of the engine.
    """
    if scheduler is not None:
        from sdmodels.distributed import run_design as run_chunked

        ds = run_chunked(model, design, outputs=list(outputs), scenario=scenario, engine=engine,
                         chunk_size=chunk_size, advance=advance, scheduler=scheduler)
        return select_years(ds, _years_of(ds, years))
    values = np.asarray(design.values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        raise SDModelsError("the design has no samples: nothing to run")
    params = [str(p) for p in design["parameter"].values]
    names = list(outputs)
    filled: dict[str, np.ndarray] = {}
    template: xr.Dataset | None = None
    for lo, hi in _chunks(n, chunk_size, engine):
        batch = {py: values[lo:hi, j] for j, py in enumerate(params)}
        part = model.run_batch(
            batch, scenario=scenario, engine=engine, return_columns=names, chunk_size=hi - lo,
        )
        part = select_years(part[names], _years_of(part, years))
        if template is None:
            template = part.isel(sample=0, drop=True)
            template.attrs = dict(part.attrs)
            for var in names:
                da = part[var].transpose("sample", ...)
                filled[var] = np.empty((n, *da.shape[1:]), dtype=da.dtype)
        for var in names:
            filled[var][lo:hi] = part[var].transpose("sample", ...).values
        if advance is not None:
            advance(hi - lo)
    data = {}
    for var in names:
        da = template[var]  # type: ignore[index]
        data[var] = xr.DataArray(
            filled[var], dims=("sample", *da.dims),
            coords={**dict(da.coords.items()), "sample": design["sample"].values},
            attrs=da.attrs,
        )
    ds = xr.Dataset(data)
    ds.attrs = template.attrs  # type: ignore[union-attr]
    return ds


def _years_of(
    ds: xr.Dataset, years: Iterable[float] | Literal["all", "whole"] | None
) -> list[float] | None:
    """Resolve a ``years`` option against the saved times of ``ds`` (``None``: all)."""
    if years is None:
        return None
    if isinstance(years, str):
        if years == "all":
            return None
        if years != "whole":
            raise SDModelsError(f"years must be a list of years, 'all' or 'whole', got {years!r}")
        times = ds["time"].values
        whole = times[np.isclose(times, np.round(times))]
        return [float(t) for t in whole] if len(whole) else None
    return [float(y) for y in years]


def _resolve_outputs(model: Model, outputs: Sequence[str] | None) -> list[str]:
    names = list(outputs) if outputs else list(model.key_outputs)
    if not names:
        raise SDModelsError(
            f"{model.path.name} has no default key outputs; choose outputs to analyse "
            "(outputs=[...] or --output NAME)"
        )
    resolved = [model.resolve(name, what="output") for name in names]
    return list(dict.fromkeys(resolved))


def run_mc(
    model: Model,
    spec: UncertaintySpec,
    *,
    n: int,
    scenarios: Sequence[str | Scenario] | None = None,
    seed: Seed = None,
    method: SamplingMethod = "lhs",
    outputs: Sequence[str] | None = None,
    quantiles_only: bool = False,
    quantile_levels: Sequence[float] = DEFAULT_QUANTILES,
    years: Iterable[float] | None = None,
    reference: str | None = None,
    engine: Engine = "compiled",
    chunk_size: int | None = None,
    progress: bool = False,
    scheduler: Any = None,
) -> xr.Dataset:
    """Monte Carlo over an uncertainty specification, one shared design for all scenarios.

    Parameters
    ----------
    model
        The model.
    spec
        The uncertain parameters (see :func:`sdmodels.uncertainty.load_uncertainty`).
    n
        Number of samples (a power of 2 for ``method="sobol"``).
    scenarios
        Scenario names, files or objects; ``None`` runs the model's defaults only.
    seed
        Seed of the design; ``0`` is a seed. ``None`` draws one and records it.
    method
        ``"random"``, ``"lhs"`` (default) or ``"sobol"``.
    outputs
        Outputs to keep (Vensim or Python names); the model's key outputs by default.
    quantiles_only
        Keep only ``quantile_levels`` of each output (and the probabilities of beating the
        reference) instead of every sample: for large ``n``.
    quantile_levels
        Quantiles kept when ``quantiles_only``.
    years
        Keep only the saved times nearest these years (all saved times by default).
    reference
        The scenario others are compared with: ``"baseline"`` if present, else the first.
    engine
        ``"compiled"`` (default), ``"auto"`` or ``"pysd"``.
    chunk_size
        Samples per engine call.
    progress
        Show a progress bar.
    scheduler
        Run on a dask cluster: an address (``"tcp://host:8786"``), ``"local:N"`` or a Client
        (``pip install sdmodels[distributed]``). The values equal a local run's.

    Returns
    -------
    xarray.Dataset
        Outputs with dims ``scenario``, ``sample``, ``time`` (or ``scenario``, ``quantile``,
        ``time`` when ``quantiles_only``); ``design`` (dims ``sample``, ``parameter``);
        ``prob_better`` (dims ``output``, ``scenario``, ``time``): the share of samples in which
        each scenario is better than the reference, for outputs with a known better
        direction. Attrs record model, engine, scenarios, sampler, seed and the
        specification.

    Raises
    ------
    SDModelsError
        Invalid options; errors of the engine (unknown outputs, out-of-range values).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SDModelsError(f"n must be a positive integer, got {n!r}")
    if spec.model_hash and spec.model_hash != model.hash:
        raise SDModelsError(
            f"the uncertainty specification was validated against another model file "
            f"({spec.model_name}); load it again with this model"
        )
    levels = _check_levels(quantile_levels)
    out_names = _resolve_outputs(model, outputs)
    resolved = [model.scenario(s) for s in (list(scenarios) if scenarios else [None])]
    names = [s.name for s in resolved]
    if len(set(names)) != len(names):
        raise SDModelsError(f"scenario names must be unique, got {names}")
    ref = reference or ("baseline" if "baseline" in names else names[0])
    if ref not in names:
        raise SDModelsError(f"reference scenario {ref!r} is not among the scenarios run: {names}")
    order = [names.index(ref)] + [i for i in range(len(names)) if names[i] != ref]

    design = spec.sample(n, method=method, seed=seed)
    directed = [o for o in out_names if better_direction(o) is not None]
    per_scenario: dict[str, xr.Dataset] = {}
    better: dict[str, xr.Dataset] = {}
    reference_ds: xr.Dataset | None = None
    attrs: dict[str, Any] = {}
    from sdmodels.distributed import scheduler_session  # imports no dask without a scheduler

    with scheduler_session(scheduler) as client, \
            progress_bar(progress, n * len(names), "Monte Carlo runs") as advance:
        for i in order:
            ds = run_design(
                model, design, scenario=resolved[i], outputs=out_names, years=years,
                engine=engine, chunk_size=chunk_size, advance=advance, scheduler=client,
            )
            attrs = attrs or dict(ds.attrs)
            if reference_ds is None:
                reference_ds = ds
            better[names[i]] = _prob_better_one(ds, reference_ds, directed)
            per_scenario[names[i]] = (
                _quantiles(ds, levels) if quantiles_only else ds
            )
    scen_index = pd.Index(names, name="scenario")
    result = xr.concat([per_scenario[s] for s in names], dim=scen_index, join="exact")
    if directed:
        pb = xr.concat([better[s] for s in names], dim=scen_index, join="exact")
        result["prob_better"] = pb.to_array("output").transpose("output", "scenario", "time")
        result["prob_better"].attrs = {
            "long_name": f"share of samples in which the scenario is better than {ref!r}",
            "direction": json.dumps({o: better_direction(o) for o in directed}),
        }
    result["design"] = design
    definitions = {s.name: s.to_dict() for s in resolved}
    attrs.pop("scenario", None)
    attrs.update(
        analysis="monte_carlo",
        scenarios=json.dumps(definitions, sort_keys=True),
        reference_scenario=ref,
        n_samples=int(n),
        sampler=method,
        seed=design.attrs["seed"],
        uncertainty=spec.to_json(),
        uncertainty_file=spec.path or "",
        common_random_numbers=1,
        quantiles_only=int(bool(quantiles_only)),
    )
    result.attrs = attrs
    for var in out_names:
        result[var].attrs = dict(per_scenario[names[0]][var].attrs)
    return result


def _check_levels(levels: Sequence[float]) -> list[float]:
    out = [float(q) for q in levels]
    if not out or any(not 0.0 <= q <= 1.0 for q in out):
        raise SDModelsError(f"quantiles must lie in [0, 1], got {list(levels)}")
    return out


def _output_vars(ds: xr.Dataset) -> list[str]:
    return [str(v) for v in ds.data_vars if v not in ("design", "prob_better")]


def _quantiles(ds: xr.Dataset, levels: Sequence[float]) -> xr.Dataset:
    data = ds[_output_vars(ds)]
    q = data.quantile(list(levels), dim="sample", keep_attrs=True)
    return q.transpose("quantile", ...)


def _prob_better_one(ds: xr.Dataset, ref: xr.Dataset, directed: Sequence[str]) -> xr.Dataset:
    out = {}
    for var in directed:
        sign = better_direction(var)
        diff = (ds[var] - ref[var]) * sign
        out[var] = (diff > 0).mean("sample")
    return xr.Dataset(out)


def quantiles(ds: xr.Dataset, q: Sequence[float] = DEFAULT_QUANTILES) -> xr.Dataset:
    """Quantiles of every output over samples (or those stored, for quantiles-only results).

    Parameters
    ----------
    ds
        A Monte Carlo result.
    q
        Quantile levels in ``[0, 1]``.

    Returns
    -------
    xarray.Dataset
        Dims ``quantile`` (first after ``scenario``), ``time``, ...

    Raises
    ------
    SDModelsError
        If a quantiles-only result does not hold a requested level.
    """
    levels = _check_levels(q)
    if "sample" in ds[_output_vars(ds)[0]].dims:
        out = _quantiles(ds, levels)
        if "scenario" in out.dims:
            out = out.transpose("scenario", "quantile", ...)
        return out
    stored = [float(x) for x in ds["quantile"].values]
    missing = [x for x in levels if not np.isclose(stored, x).any()]
    if missing:
        raise SDModelsError(
            f"this result keeps only the quantiles {stored}; {missing} were not stored. "
            "Run again without --quantiles-only, or with these quantiles"
        )
    return ds[_output_vars(ds)].sel(quantile=levels, method="nearest")


def prob_better(ds: xr.Dataset, reference: str | None = None) -> xr.DataArray:
    """Share of samples in which each scenario beats the reference, per output and time.

    "Better" is higher or lower depending on the output (see :func:`better_direction`).
    Samples are paired across scenarios (common random numbers).

    Parameters
    ----------
    ds
        A Monte Carlo result with a ``scenario`` dimension.
    reference
        The scenario compared against; that stored with the result by default.

    Returns
    -------
    xarray.DataArray
        Dims ``output``, ``scenario``, ``time``; values in ``[0, 1]``.
    """
    stored_ref = ds.attrs.get("reference_scenario")
    if reference is None or reference == stored_ref:
        if "prob_better" in ds:
            return ds["prob_better"]
        reference = stored_ref
    if "sample" not in ds.dims:
        raise SDModelsError(
            "probabilities against another reference need every sample; this result keeps "
            "only quantiles"
        )
    names = [str(s) for s in ds["scenario"].values]
    if reference not in names:
        raise SDModelsError(f"reference scenario {reference!r} not in the result: {names}")
    directed = [o for o in _output_vars(ds) if better_direction(o) is not None]
    if not directed:
        raise SDModelsError("none of the outputs has a known 'better' direction")
    ref = ds.sel(scenario=reference)
    pb = _prob_better_one(ds, ref, directed)
    return pb.to_array("output").transpose("output", "scenario", "time")


def summary_table(
    ds: xr.Dataset,
    *,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | None = None,
    q: Sequence[float] = DEFAULT_QUANTILES,
) -> pd.DataFrame:
    """One row per output, scenario and year: quantiles and P(better than reference).

    Parameters
    ----------
    ds
        A Monte Carlo result.
    outputs
        Python names (default: every output).
    years
        Years (nearest saved time); default: the last saved time.
    q
        Quantile levels.

    Returns
    -------
    pandas.DataFrame
        Columns ``output``, ``units``, ``scenario``, ``year``, ``p5`` ... ``p95`` and
        ``p_better``.
    """
    outs = list(outputs) if outputs else _output_vars(ds)
    years_list = [float(ds["time"].values[-1])] if years is None else [float(y) for y in years]
    qs = quantiles(ds, q).sel(time=years_list, method="nearest")
    pb = ds["prob_better"].sel(time=years_list, method="nearest") if "prob_better" in ds else None
    ref = ds.attrs.get("reference_scenario")
    rows = []
    for out in outs:
        for sc in ds["scenario"].values:
            for k, t in enumerate(qs["time"].values):
                vals = qs[out].sel(scenario=sc).isel(time=k).values
                row: dict[str, Any] = {
                    "output": ds[out].attrs.get("name", out),
                    "units": ds[out].attrs.get("units", ""),
                    "scenario": str(sc),
                    "year": float(t),
                }
                row.update({f"p{100 * level:g}": float(v) for level, v in zip(q, vals, strict=True)})
                has = pb is not None and out in pb["output"].values and str(sc) != ref
                row["p_better"] = float(pb.sel(output=out, scenario=sc).isel(time=k)) if has else np.nan
                rows.append(row)
    return pd.DataFrame(rows)


@xr.register_dataset_accessor("sd")
class SDAccessor:
    """``ds.sd``: summaries and figures of sdmodels results (stateless).

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> ds = xr.Dataset({"y": (("sample", "time"), np.arange(6.0).reshape(3, 2))},
    ...                 coords={"time": [0.0, 1.0]})
    >>> ds.sd.quantiles([0.5])["y"].values.tolist()
    [[2.0, 3.0]]
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def quantiles(self, q: Sequence[float] = DEFAULT_QUANTILES) -> xr.Dataset:
        """Quantiles over samples; see :func:`quantiles`."""
        return quantiles(self._ds, q)

    def prob_better(self, reference: str | None = None) -> xr.DataArray:
        """Share of samples in which each scenario beats the reference; see :func:`prob_better`."""
        return prob_better(self._ds, reference)

    def summary(
        self,
        *,
        outputs: Sequence[str] | None = None,
        years: Iterable[float] | None = None,
        q: Sequence[float] = DEFAULT_QUANTILES,
    ) -> pd.DataFrame:
        """Quantiles and probabilities as a table; see :func:`summary_table`."""
        return summary_table(self._ds, outputs=outputs, years=years, q=q)

    def fan(self, variable: str, **kwargs: Any) -> Figure:
        """Fan chart of one output, one panel per scenario; see :func:`sdmodels.plots.fan_chart`."""
        from sdmodels.plots import fan_chart

        return fan_chart(self._ds, variable, **kwargs)
