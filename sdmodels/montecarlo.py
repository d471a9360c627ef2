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
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels.batch import (
    STORE_ATTRS,
    ChunkLayout,
    OutputSpec,
    ResultStore,
    fingerprint,
    open_result,
    progress_bar,
    resolve_outputs,
    run_design,
    session,
)
from sdmodels.errors import SDModelsError
from sdmodels.uncertainty import SamplingMethod, Seed, UncertaintySpec

if TYPE_CHECKING:  # pragma: no cover

    from sdmodels.model import Engine, Model
    from sdmodels.scenarios import Scenario

__all__ = [
    "DEFAULT_QUANTILES",
    "better_direction",
    "output_variables",
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

#: Bytes of samples read at a time when quantiles and probabilities are computed from a result
#: too large to hold (a streamed one): blocks of saved times, each over every sample.
_BLOCK_BYTES = 64 * 2**20


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


def run_mc(
    model: Model,
    spec: UncertaintySpec | None,
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
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    posterior: str | os.PathLike[str] | xr.Dataset | None = None,
) -> xr.Dataset:
    """Monte Carlo over an uncertainty specification, one shared design for all scenarios.

    Parameters
    ----------
    model
        The model.
    spec
        The uncertain parameters (see :func:`sdmodels.uncertainty.load_uncertainty`); may be
        ``None`` with ``posterior``.
    n
        Number of samples (a power of 2 for ``method="sobol"``).
    scenarios
        Scenario names, files or objects; ``None`` runs the model's defaults only.
    seed
        Seed of the design; ``0`` is a seed. ``None`` draws one and records it (and, with
        ``resume``, reuses the one recorded by the interrupted run).
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
        Samples per engine call (per task on a cluster).
    progress
        Show a progress bar.
    scheduler
        Run on a dask cluster: an address (``"tcp://host:8786"``), ``"local:N"`` or a Client
        (``pip install sdmodels[distributed]``). The values equal a local run's.
    out
        Write the result to this ``.nc`` or ``.zarr`` path while running, so that memory does
        not grow with ``n``: each scenario's samples stream chunk by chunk into a store of its
        own (kept in the folder ``<out>.parts``), quantiles and probabilities are computed from
        those stores block by block, and the combined result is written to ``<out>.partial``,
        which becomes ``out`` only when complete. The returned Dataset then reads from ``out``
        lazily. An interrupted run leaves ``out`` as it was.
    resume
        With ``out``: continue an interrupted run from what ``<out>.parts`` holds (finished
        scenarios and chunks are not run again). Without it, an earlier run's parts are
        discarded.
    posterior
        A calibration result (:func:`sdmodels.calibration.calibrate`): each sample is one whole
        posterior draw (correlations kept), and ``spec``'s other parameters are sampled as usual.
        The result's attrs name the posterior file and its SHA-256.

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
        Invalid options; errors of the engine (unknown outputs, out-of-range values); an
        unwritable ``out``; ``resume`` with inputs other than the interrupted run's.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SDModelsError(f"n must be a positive integer, got {n!r}")
    if spec is None and posterior is None:
        raise SDModelsError("give an uncertainty specification, a posterior, or both")
    if spec is not None and spec.model_hash and spec.model_hash != model.hash:
        raise SDModelsError(
            f"the uncertainty specification was validated against another model file "
            f"({spec.model_name}); load it again with this model"
        )
    if resume and out is None:
        raise SDModelsError("resume=True continues a run written to a file: give its path as out=")
    levels = _check_levels(quantile_levels)
    out_names = resolve_outputs(model, outputs)
    resolved = [model.scenario(s) for s in (list(scenarios) if scenarios else [None])]
    names = [s.name for s in resolved]
    if len(set(names)) != len(names):
        raise SDModelsError(f"scenario names must be unique, got {names}")
    ref = reference or ("baseline" if "baseline" in names else names[0])
    if ref not in names:
        raise SDModelsError(f"reference scenario {ref!r} is not among the scenarios run: {names}")
    order = [names.index(ref)] + [i for i in range(len(names)) if names[i] != ref]
    parts = None if out is None else _Parts(out, resume=resume)

    design = _design(model, spec, posterior, n, method,
                     seed if parts is None else parts.seed(seed))
    if parts is not None:
        parts.record(seed=design.attrs["seed"])
    directed = [o for o in out_names if better_direction(o) is not None]
    per_scenario: dict[str, xr.Dataset] = {}
    better: dict[str, xr.Dataset] = {}
    reference_ds: xr.Dataset | None = None
    attrs: dict[str, Any] = {}
    opened: list[xr.Dataset] = []  # stores read lazily from <out>.parts, closed when done
    try:
        with session(scheduler) as client, \
                progress_bar(progress, n * len(names), "Monte Carlo runs") as advance:
            for i in order:
                ds = run_design(
                    model, design, scenario=resolved[i], outputs=out_names, years=years,
                    engine=engine, chunk_size=chunk_size, advance=advance, scheduler=client,
                    out=None if parts is None else parts.path(i, names[i]), resume=resume,
                )
                if parts is not None:
                    opened.append(ds)
                attrs = attrs or dict(ds.attrs)
                if reference_ds is None:
                    reference_ds = ds
                better[names[i]] = _prob_better_one(ds, reference_ds, directed)
                per_scenario[names[i]] = _quantiles(ds, levels) if quantiles_only else ds
        for key in ("scenario", *STORE_ATTRS):  # one scenario's, or its store's
            attrs.pop(key, None)
        attrs.update(
            analysis="monte_carlo",
            scenarios=json.dumps({s.name: s.to_dict() for s in resolved}, sort_keys=True),
            reference_scenario=ref,
            n_samples=int(n),
            sampler=design.attrs.get("sampler", method),
            seed=design.attrs["seed"],
            uncertainty=spec.to_json() if spec is not None else "",
            uncertainty_file=(spec.path or "") if spec is not None else "",
            common_random_numbers=1,
            quantiles_only=int(bool(quantiles_only)),
        )
        if posterior is not None:
            attrs.update(posterior_file=design.attrs["posterior_file"],
                         posterior_sha256=design.attrs["posterior_sha256"])
        extra = {"design": design}
        if directed:
            pb = xr.concat([better[s] for s in names], dim=pd.Index(names, name="scenario"),
                           join="exact")
            extra["prob_better"] = pb.to_array("output").transpose("output", "scenario", "time")
            extra["prob_better"].attrs = {
                "long_name": f"share of samples in which the scenario is better than {ref!r}",
                "direction": json.dumps({o: better_direction(o) for o in directed}),
            }
        if parts is not None and not quantiles_only:
            # the samples stay on disk: copied store to store, never concatenated in memory
            return open_result(parts.combine(per_scenario, names, extra, attrs))
    finally:
        for ds in opened:
            ds.close()
    result = xr.concat([per_scenario[s] for s in names], dim=pd.Index(names, name="scenario"),
                       join="exact")
    for key, value in extra.items():
        result[key] = value
    result.attrs = attrs
    for var in out_names:
        result[var].attrs = dict(per_scenario[names[0]][var].attrs)
    if parts is not None:  # quantiles only: small, written at once
        from sdmodels.results import write_dataset

        write_dataset(result, parts.out)
        parts.remove()
    return result


def _design(model: Model, spec: UncertaintySpec | None, posterior: Any, n: int, method: str,
            seed: Seed) -> xr.DataArray:
    """The uncertainty file's design, with posterior draws in place of the calibrated columns."""
    base = spec.sample(n, method=method, seed=seed) if spec is not None else None
    if posterior is None:
        return base
    from sdmodels.calibration import posterior_design
    from sdmodels.uncertainty import resolve_seed

    recorded = base.attrs["seed"] if base is not None else resolve_seed(seed)[1]
    rng = np.random.default_rng([int(recorded), 1]) if isinstance(recorded, int) else seed
    design = posterior_design(posterior, n, seed=rng, design=base, model=model)
    design.attrs["seed"] = recorded if recorded is not None else "unrecorded"
    return design


class _Parts:
    """The per-scenario stores of a Monte Carlo streamed to ``out``, in the folder
    ``<out>.parts`` until the combined result is complete.

    The folder also records the design's seed (``run.json``), so that a resumed run without a
    seed draws the same design. Each store carries its run's fingerprint, so resuming with other
    inputs is refused rather than mixed in.
    """

    def __init__(self, out: str | os.PathLike[str], *, resume: bool) -> None:
        from sdmodels.results import check_writable

        self.out = check_writable(out)
        self.folder = self.out.with_name(self.out.name + ".parts")
        self.resume = resume
        self._manifest = self.folder / "run.json"

    def seed(self, seed: Seed) -> Seed:
        """``seed``, or, when resuming without one, the seed the interrupted run recorded."""
        if seed is None and self.resume and self._manifest.is_file():
            return int(json.loads(self._manifest.read_text())["seed"])
        return seed

    def record(self, *, seed: int) -> None:
        """Start the folder (an earlier run's parts go unless resuming) and record the seed.
        Called once the design is drawn, so that invalid options leave nothing behind."""
        if not self.resume and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        tmp = self._manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seed": int(seed)}))
        os.replace(tmp, self._manifest)

    def path(self, index: int, scenario: str) -> Path:
        """The store of one scenario (numbered, so that any scenario name gives a file name)."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario)[:60]
        return self.folder / f"{index:03d}-{slug}{self.out.suffix}"

    def combine(
        self,
        runs: dict[str, xr.Dataset],
        names: list[str],
        extra: dict[str, xr.DataArray],
        attrs: dict[str, Any],
    ) -> Path:
        """Copy every scenario's store (``runs``, read lazily), chunk by chunk, into one store
        at ``out`` with ``extra`` variables and ``attrs``; remove the parts; return ``out``."""
        first = runs[names[0]]
        outputs = output_variables(first)
        layout = ChunkLayout(n=first.sizes["sample"], size=int(first.attrs["chunk_size"]),
                             groups=len(names))
        specs = {}
        for var in outputs:
            da = first[var].transpose("sample", ...)
            specs[var] = OutputSpec(dims=("scenario", *map(str, da.dims)),
                                    shape=(len(names), *da.shape), dtype=str(da.dtype),
                                    attrs=dict(da.attrs))
        coords = {str(c): first.coords[c] for c in first.coords}
        skeleton = xr.Dataset(extra, coords={**coords, "scenario": names}, attrs=attrs)
        run_fingerprint = fingerprint(*(str(runs[s].attrs["run_fingerprint"]) for s in names))
        store = ResultStore.create(self.out, skeleton, specs, layout, run_fingerprint)
        try:
            for g, name in enumerate(names):
                run = runs[name]
                for i in range(layout.per_group):
                    lo, hi = layout.bounds(i)
                    block = run[outputs].isel(sample=slice(lo, hi))
                    store.write(g * layout.per_group + i,
                                {v: block[v].transpose("sample", ...).values for v in outputs})
                run.close()  # before its files are removed
            path = store.finalize()
        finally:
            store.close()
        self.remove()
        return path

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _check_levels(levels: Sequence[float]) -> list[float]:
    out = [float(q) for q in levels]
    if not out or any(not 0.0 <= q <= 1.0 for q in out):
        raise SDModelsError(f"quantiles must lie in [0, 1], got {list(levels)}")
    return out


#: Variables of a result that are not outputs: the design, the probabilities and the done mask
#: of a streamed store.
_NOT_OUTPUTS = ("design", "prob_better", "chunk_done")


def output_variables(ds: xr.Dataset) -> list[str]:
    """The outputs of a Monte Carlo result: every data variable but the design, the
    probabilities and the done mask of a streamed store.

    Examples
    --------
    >>> import xarray as xr
    >>> output_variables(xr.Dataset({"y": ("time", [1.0]), "design": ("sample", [0.5])}))
    ['y']
    """
    return [str(v) for v in ds.data_vars if v not in _NOT_OUTPUTS]


def _by_time(fn: Callable[..., xr.DataArray], *arrays: xr.DataArray) -> xr.DataArray:
    """``fn(*arrays)``, computed on blocks of saved times of at most :data:`_BLOCK_BYTES` each
    and joined along ``time``: the same values, with bounded memory for results read lazily
    from a file. ``fn`` must treat every time independently (a reduction over samples)."""
    da = arrays[0]
    per_time = da.dtype.itemsize * (da.size // max(1, da.sizes["time"]))
    step = max(1, _BLOCK_BYTES // max(1, per_time))
    if step >= da.sizes["time"]:
        return fn(*arrays)
    blocks = [fn(*(a.isel(time=slice(lo, lo + step)) for a in arrays))
              for lo in range(0, da.sizes["time"], step)]
    return xr.concat(blocks, dim="time")


def _quantiles(ds: xr.Dataset, levels: Sequence[float]) -> xr.Dataset:
    def over_samples(da: xr.DataArray) -> xr.DataArray:
        return da.quantile(list(levels), dim="sample", keep_attrs=True)

    q = xr.Dataset({var: _by_time(over_samples, ds[var]) for var in output_variables(ds)},
                   attrs=dict(ds.attrs))
    return q.transpose("quantile", ...)


def _prob_better_one(ds: xr.Dataset, ref: xr.Dataset, directed: Sequence[str]) -> xr.Dataset:
    out = {}
    for var in directed:
        sign = better_direction(var)

        def share(a: xr.DataArray, r: xr.DataArray, sign: int | None = sign) -> xr.DataArray:
            return (((a - r) * sign) > 0).mean("sample")

        out[var] = _by_time(share, ds[var], ref[var])
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
    if "sample" in ds[output_variables(ds)[0]].dims:
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
    return ds[output_variables(ds)].sel(quantile=levels, method="nearest")


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
    directed = [o for o in output_variables(ds) if better_direction(o) is not None]
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
    outs = list(outputs) if outputs else output_variables(ds)
    for out in outs:
        extra = [str(d) for d in ds[out].dims if d not in ("scenario", "sample", "quantile", "time")]
        if extra:
            raise SDModelsError(
                f"output {out!r} has subscript dimension(s) {extra}; the summary table shows one "
                f"value per time: select a subscript first (ds.sel({extra[0]}=...)) or leave "
                "this output out"
            )
    years_list = [float(ds["time"].values[-1])] if years is None else [float(y) for y in years]
    at_years = ds.sel(time=years_list, method="nearest")  # first, so only these are read
    qs = quantiles(at_years[outs], q)
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
