"""Global sensitivity analysis on engine outputs: Sobol indices and Morris screening.

Both methods draw their design on the unit hypercube (Saltelli's scheme on a scrambled
Sobol sequence, built as SALib builds it; SALib's Morris trajectories), map it to parameter
values through the distributions of an :class:`~sdmodels.uncertainty.UncertaintySpec`
(inverse CDFs), run it on the batch engine and analyse every chosen output at every saved
year (or the chosen years). Results are :class:`xarray.Dataset` objects with dims
``output``, ``parameter`` and ``time``.

>>> import sdmodels
>>> from sdmodels.sensitivity import sobol
>>> from sdmodels.uncertainty import load_uncertainty
>>> m = sdmodels.load_model("models/tests/ishigami.mdl")
>>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
>>> si = sobol(m, spec, n=256, outputs=["Y"], seed=0)
>>> si["ST"].dims
('output', 'parameter', 'time')
>>> str(si["ST"].sel(output="y").isel(time=-1).idxmax("parameter").values)
'x1'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from sdmodels._common import DEFAULT_ENGINE, LazyModule
from sdmodels._lock import releases_outputs
from sdmodels.batch import progress_bar, resolve_outputs, run_design, session
from sdmodels.errors import SDModelsError, UnknownNameError
from sdmodels.results import check_writable, write_dataset
from sdmodels.results import file_provenance as _file_provenance
from sdmodels.uncertainty import (
    Seed,
    UncertaintyError,
    UncertaintySpec,
    as_uncertainty,
    resolve_seed,
)

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Engine, Model
    from sdmodels.scenarios import Scenario

# SALib is loaded by the first Morris design, not when sdmodels is imported
_salib_morris_sample = LazyModule("SALib.sample.morris")
stats = LazyModule("scipy.stats")  # scipy.stats takes 0.7 CPU-s to import: on first use
qmc = LazyModule("scipy.stats.qmc")

__all__ = [
    "morris",
    "morris_design",
    "morris_indices",
    "ranking",
    "runs_path",
    "saltelli_sample",
    "sobol",
    "sobol_dataset",
    "sobol_design",
    "sobol_indices",
]

_SOBOL_VARS = ("S1", "S1_conf", "ST", "ST_conf")
#: Working memory of the bootstrap of Sobol indices: per-sample quantities of some columns of y.
_BOOTSTRAP_BYTES = 64 * 2**20
_MORRIS_VARS = ("mu", "mu_star", "mu_star_conf", "sigma")


def _problem(spec: UncertaintySpec) -> dict[str, Any]:
    """SALib problem on the unit hypercube: distributions are applied afterwards."""
    return {"num_vars": len(spec), "names": list(spec.names), "bounds": [[0.0, 1.0]] * len(spec)}


def _check_bootstrap(num_resamples: int, conf_level: float) -> None:
    if not 0 < conf_level < 1:
        raise SDModelsError(f"conf_level must lie between 0 and 1, got {conf_level}")
    if (
        isinstance(num_resamples, bool)
        or not isinstance(num_resamples, (int, np.integer))
        or num_resamples < 2
    ):
        raise SDModelsError(
            f"num_resamples must be an integer of at least 2, got {num_resamples!r}"
        )


def _check_independent(spec: UncertaintySpec, ignore_correlations: bool) -> None:
    if spec.correlation is not None and not ignore_correlations:
        raise UncertaintyError(
            f"{spec.path or 'the specification'} imposes rank correlations, but Sobol indices "
            "and Morris effects assume independent parameters; remove the [[correlations]] "
            "tables or pass ignore_correlations=True (--ignore-correlations)"
        )


# ---------------------------------------------------------------------------- Sobol
def sobol_design(
    spec: UncertaintySpec, n: int, *, second_order: bool = False, seed: Seed = None
) -> tuple[xr.DataArray, np.random.Generator]:
    """Saltelli's extension of a scrambled Sobol sequence, mapped through the distributions.

    Parameters
    ----------
    spec
        The uncertain parameters.
    n
        Base sample size, a power of 2; the design has ``n * (d + 2)`` rows
        (``n * (2 d + 2)`` with ``second_order``) for ``d`` parameters.
    second_order
        Add the rows needed for second-order indices.
    seed
        Seed; ``0`` is a seed. It is resolved once into one generator that draws the design
        and, afterwards, the bootstrap resamples: SALib's own analysis treats an integer seed
        of 0 as no seed (``if seed:``), so integers are never handed to it.

    Returns
    -------
    (xarray.DataArray, numpy.random.Generator)
        The design (dims ``sample``, ``parameter``; attrs record sampler and seed) and the
        generator, to be used for the bootstrap of the analysis.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 or n & (n - 1):
        lower = 1 << max(1, int(max(n, 2)).bit_length() - 1) if isinstance(n, int) else 1024
        raise SDModelsError(
            f"Sobol analysis needs a base sample size n that is a power of 2 (and at least 2), "
            f"got n={n!r}; use n={lower} or n={lower * 2}"
        )
    spec.check_design_size(
        int(n) * ((2 if second_order else 1) * len(spec) + 2), what=f"Sobol n = {int(n):,}"
    )
    rng, recorded = resolve_seed(seed)
    a, b = _saltelli_base(len(spec), int(n), rng)
    # The inverse CDFs map each column on its own: the 2 n base points are mapped, then
    # cross-sampled, instead of the n (d + 2) or n (2 d + 2) rows of the design (same values).
    values = _cross_sample(spec.transform(a), spec.transform(b), second_order=second_order)
    design = spec.design(values, method="saltelli-sobol", seed=recorded)
    design.attrs.update(base_samples=int(n), second_order=int(second_order))
    return design, rng


def saltelli_sample(
    d: int, n: int, *, second_order: bool = False, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Saltelli's cross-sampled matrices on the unit hypercube, as SALib builds them.

    The same scheme and the same scrambled Sobol base sequence as
    :func:`SALib.sample.sobol.sample` (for bounds ``[0, 1]`` and the same generator), built
    with array operations instead of a Python loop over rows: for every base point the rows
    are ``A``, ``A`` with column ``j`` from ``B`` (each ``j``), with ``second_order`` ``B``
    with column ``j`` from ``A`` (each ``j``), then ``B``.

    Parameters
    ----------
    d
        Number of parameters.
    n
        Base sample size (a power of 2).
    second_order
        Add the ``B``-with-``A``-column rows.
    rng
        Generator of the scrambling.

    Returns
    -------
    numpy.ndarray
        Shape ``(n * (d + 2), d)`` or ``(n * (2 d + 2), d)``.
    """
    a, b = _saltelli_base(d, n, rng)
    return _cross_sample(a, b, second_order=second_order)


def _saltelli_base(
    d: int, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The base matrices ``A`` and ``B`` (``n`` x ``d`` each): one scrambled Sobol sequence in
    ``2 d`` dimensions, split as SALib splits it."""
    base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
    return base[:, :d], base[:, d:]


def _cross_sample(
    a: NDArray[np.float64], b: NDArray[np.float64], *, second_order: bool
) -> NDArray[np.float64]:
    """Saltelli's rows from the base matrices, for every base point ``A``, ``A`` with column
    ``j`` from ``B`` (each ``j``), with ``second_order`` ``B`` with column ``j`` from ``A``
    (each ``j``), then ``B``."""
    n, d = a.shape
    rows = np.empty((n, 2 * d + 2 if second_order else d + 2, d))
    cols = np.arange(d)
    rows[:, 0] = a
    rows[:, 1 : d + 1] = a[:, None, :]
    rows[:, 1 + cols, cols] = b
    if second_order:
        rows[:, d + 1 : 2 * d + 1] = b[:, None, :]
        rows[:, d + 1 + cols, cols] = a
    rows[:, -1] = b
    return rows.reshape(-1, d)


def sobol_indices(
    y: ArrayLike,
    d: int,
    *,
    second_order: bool = False,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    rng: np.random.Generator | None = None,
) -> dict[str, NDArray[np.float64]]:
    """First, total (and second) order Sobol indices of outputs over a Saltelli design.

    The estimators and the bootstrap are those of :func:`SALib.analyze.sobol.analyze`
    (Saltelli et al. 2010 for S1 and ST, Saltelli 2002 for S2; outputs standardised first;
    the base samples resampled with replacement), evaluated for every column of ``y`` and
    every resample at once: a resample's mean of a per-sample quantity is a product with
    the matrix of how often each base sample was drawn. For one column and a generator made
    from integer seed ``s``, the result equals ``SALib.analyze.sobol.analyze(problem, y,
    seed=s)`` to rounding (tested).

    Parameters
    ----------
    y
        Model outputs in design order, shape ``(runs,)`` or ``(runs, k)`` (e.g. ``k`` times).
    d
        Number of parameters.
    second_order
        Whether the design holds the second-order rows (and S2 is wanted).
    num_resamples
        Bootstrap resamples for the confidence intervals.
    conf_level
        Confidence level of the intervals.
    rng
        Generator of the bootstrap resamples.

    Returns
    -------
    dict
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` of shape ``(d, k)``; with ``second_order``
        also ``S2`` and ``S2_conf`` of shape ``(d, d, k)`` (upper triangle filled, NaN
        elsewhere). ``*_conf`` are half-widths of the confidence intervals. Columns of ``y``
        that do not vary give NaN (the indices are undefined there).
    """
    arr = np.asarray(y, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[:, None]
    step = 2 * d + 2 if second_order else d + 2
    if arr.ndim != 2 or arr.shape[0] % step or arr.shape[0] == 0:
        raise SDModelsError(
            f"{arr.shape[0]} outputs do not fit a Saltelli design for {d} parameters "
            f"({'with' if second_order else 'without'} second order: a multiple of {step}); "
            "use the design from sobol_design with the same second_order"
        )
    _check_bootstrap(num_resamples, conf_level)
    rng = rng if rng is not None else np.random.default_rng()
    n, k = arr.shape[0] // step, arr.shape[1]
    std = arr.std(axis=0)
    varies = std > 1e-12 * np.maximum(1.0, np.abs(arr.mean(axis=0)))
    z = (arr - arr.mean(axis=0)) / np.where(varies, std, 1.0)
    z[:, ~varies] = 0.0
    blocks = z.reshape(n, step, k)
    a, b = blocks[:, 0], blocks[:, -1]  # (n, k)
    ab = blocks[:, 1 : d + 1]  # (n, d, k): A with column j from B
    # How often each base sample is drawn in each resample (the same draws as SALib's).
    r = rng.integers(n, size=(n, num_resamples))
    counts = (
        np.bincount(
            (np.arange(num_resamples)[None, :] * n + r).ravel(), minlength=n * num_resamples
        )
        .reshape(num_resamples, n)
        .astype(np.float64)
    )  # (R, n)

    zq = stats.norm.ppf(0.5 + conf_level / 2)
    var = np.var(np.concatenate([a, b]), axis=0)  # (k,)
    safe_var = np.where(varies, var, 1.0)
    q1 = b[:, None, :] * (ab - a[:, None, :])  # (n, d, k)
    qt = 0.5 * (a[:, None, :] - ab) ** 2
    s1, st = q1.mean(axis=0) / safe_var, qt.mean(axis=0) / safe_var
    out = {"S1": s1, "S1_conf": np.empty_like(s1), "ST": st, "ST_conf": np.empty_like(st)}
    j2, l2 = np.triu_indices(d, k=1)  # the pairs j < l of S2
    if second_order:
        ba = blocks[:, d + 1 : 2 * d + 1]  # (n, d, k): B with column j from A
        s2 = np.full((d, d, k), np.nan)
        s2_conf = np.full_like(s2, np.nan)
    # Every resample's mean of every per-sample quantity is one product of the resample
    # counts with the matrix of those quantities (base samples x quantities), a few columns
    # of y at a time so that the matrix stays small.
    per_column = 4 + 2 * d + ((1 + len(j2)) if second_order else 0)
    width = max(1, _BOOTSTRAP_BYTES // (8 * n * per_column))
    for lo in range(0, k, width):
        c = slice(lo, min(k, lo + width))
        kc = c.stop - c.start
        q = np.empty((n, per_column * kc))  # per-sample quantities, column blocks of kc
        q[:, :kc], q[:, kc : 2 * kc] = a[:, c], b[:, c]
        q[:, 2 * kc : 3 * kc], q[:, 3 * kc : 4 * kc] = a[:, c] ** 2, b[:, c] ** 2
        q[:, 4 * kc : (4 + d) * kc] = q1[..., c].reshape(n, -1)
        q[:, (4 + d) * kc : (4 + 2 * d) * kc] = qt[..., c].reshape(n, -1)
        if second_order:
            q[:, (4 + 2 * d) * kc : (5 + 2 * d) * kc] = a[:, c] * b[:, c]
            pairs = q[:, (5 + 2 * d) * kc :].reshape(n, len(j2), kc)
            first = 0
            for j in range(d - 1):  # pairs (j, j+1..d-1), in the order of triu_indices
                np.multiply(
                    ba[:, j, None, c], ab[:, j + 1 :, c], out=pairs[:, first : first + d - 1 - j]
                )
                first += d - 1 - j
        means = counts @ q / n  # (R, quantities)
        if second_order:  # the estimate itself: the means over all base samples
            whole = q[:, (4 + 2 * d) * kc :].mean(axis=0)
            vab, cross = whole[:kc], whole[kc:].reshape(len(j2), kc)
            s2[j2, l2, c] = (cross - vab) / safe_var[c] - s1[j2, c] - s1[l2, c]
        split = np.cumsum([kc, kc, kc, kc, d * kc, d * kc, kc])
        mean_a, mean_b, mean_aa, mean_bb, m1, mt, *rest = np.split(means, split, axis=1)
        mean_r = (mean_a + mean_b) / 2
        var_r = (mean_aa + mean_bb) / 2 - mean_r**2  # (R, kc)
        var_r = np.where(varies[c], var_r, 1.0)[:, None, :]
        s1_r = m1.reshape(-1, d, kc) / var_r  # (R, d, kc)
        st_r = mt.reshape(-1, d, kc) / var_r
        out["S1_conf"][:, c] = zq * s1_r.std(axis=0, ddof=1)
        out["ST_conf"][:, c] = zq * st_r.std(axis=0, ddof=1)
        if second_order:
            vab_r, cross_r = rest[0], rest[1].reshape(-1, len(j2), kc)  # (R, kc), (R, pairs, kc)
            s2_r = (cross_r - vab_r[:, None, :]) / var_r - s1_r[:, j2] - s1_r[:, l2]
            s2_conf[j2, l2, c] = zq * s2_r.std(axis=0, ddof=1)
    if second_order:
        out["S2"], out["S2_conf"] = s2, s2_conf
    for value in out.values():
        value[..., ~varies] = np.nan
    if single:
        out = {key: val[..., 0] for key, val in out.items()}
    return out


def _runs(
    model: Model,
    design: xr.DataArray,
    *,
    scenario: str | Scenario | None,
    outputs: list[str],
    years: Iterable[float] | str | None,
    engine: Engine,
    chunk_size: int | None,
    progress: bool,
    label: str,
    scheduler: Any = None,
    params: Mapping[str, Any] | None = None,
    out: Path | None = None,
    resume: bool = False,
) -> xr.Dataset:
    uncertain = {str(p) for p in design["parameter"].values}
    clash = sorted(
        p for p in (params or {}) if model.resolve_parameter(p, context="params") in uncertain
    )
    if clash:
        raise SDModelsError(
            f"{clash} are uncertain parameters of the specification: leave them out of params, "
            "or out of the uncertainty file"
        )
    with (
        session(scheduler) as client,
        progress_bar(progress, design.sizes["sample"], label) as advance,
    ):
        ds = run_design(
            model,
            design,
            scenario=scenario,
            params=params,
            outputs=outputs,
            years="whole" if years is None else years,
            engine=engine,
            chunk_size=chunk_size,
            advance=advance,
            scheduler=client,
            out=None if out is None else runs_path(out),
            resume=resume,
        )
    for out in outputs:
        extra = [dim for dim in ds[out].dims if dim not in ("sample", "time")]
        if extra:
            raise SDModelsError(
                f"output {out!r} has subscript dimension(s) {extra}; sensitivity analysis "
                "needs one value per time: choose a scalar output"
            )
    return ds


def runs_path(out: str | os.PathLike[str]) -> Path:
    """Where a sensitivity analysis written to ``out`` streams its runs while they run.

    Examples
    --------
    >>> runs_path("sobol.nc").name
    'sobol.runs.nc'
    """
    out = Path(out)
    return out.with_name(f"{out.stem}.runs{out.suffix}")


def _finish(ds: xr.Dataset, runs: xr.Dataset, out: Path | None) -> xr.Dataset:
    """Write the indices to ``out`` (if given) and only then drop the streamed runs."""
    if out is not None:
        runs.close()
        write_dataset(ds, out)
        store = runs_path(out)
        if store.is_dir():
            shutil.rmtree(store, ignore_errors=True)
        else:
            store.unlink(missing_ok=True)
    return ds


def _check_out(out: str | os.PathLike[str] | None, resume: bool) -> Path | None:
    if resume and out is None:
        raise SDModelsError(
            "resume=True continues runs written beside a file: give its path as out="
        )
    return None if out is None else check_writable(out)


def _coords(spec: UncertaintySpec, outputs: list[str], ds: xr.Dataset) -> dict[str, Any]:
    return {
        "output": outputs,
        "output_name": ("output", [ds[o].attrs.get("name", o) for o in outputs]),
        "parameter": list(spec.names),
        "parameter_name": ("parameter", [p.name for p in spec.parameters]),
        "time": ds["time"].values,
    }


def _attrs(
    runs: xr.Dataset, spec: UncertaintySpec, design: xr.DataArray, **extra: Any
) -> dict[str, Any]:
    attrs = dict(runs.attrs)
    attrs.pop("n_samples", None)
    attrs.update(
        n_runs=int(design.sizes["sample"]),
        sampler=design.attrs["sampler"],
        seed=design.attrs["seed"],
        uncertainty=spec.to_json(),
        **_file_provenance("uncertainty_file", spec.path),
        **extra,
    )
    return attrs


@releases_outputs
def sobol(
    model: Model,
    spec: UncertaintySpec | str | os.PathLike[str],
    *,
    n: int = 1024,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    second_order: bool = False,
    seed: Seed = None,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    scenario: str | Scenario | None = None,
    engine: Engine = DEFAULT_ENGINE,
    chunk_size: int | None = None,
    ignore_correlations: bool = False,
    progress: bool = False,
    scheduler: Any = None,
    params: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> xr.Dataset:
    """Variance-based (Sobol) sensitivity indices of outputs, at every saved year.

    Parameters
    ----------
    model
        The model.
    spec
        Uncertain parameters and their distributions (independent): an
        :class:`~sdmodels.uncertainty.UncertaintySpec` or the path of an uncertainty file.
    n
        Base sample size, a power of 2 (1024 or more for stable indices); the model runs
        ``n * (d + 2)`` times, ``n * (2 d + 2)`` with ``second_order``.
    outputs
        Outputs to analyse (Vensim or Python names); the model's key outputs by default.
    years
        Analyse the saved times nearest these years. By default every saved year (the saved
        times that fall on whole years; every saved time if none does); ``"all"`` analyses
        every saved time.
    second_order
        Also estimate second-order indices ``S2`` (interactions of parameter pairs).
    seed
        Seed of the design and of the bootstrap; ``0`` is a seed.
    num_resamples, conf_level
        Bootstrap resamples and level of the confidence intervals.
    scenario
        The scenario the runs start from.
    engine
        ``"auto"`` (default: compiled where the model is supported), ``"compiled"`` or
        ``"pysd"``.
    chunk_size
        Runs per engine call.
    ignore_correlations
        Analyse a specification with rank correlations as if its parameters were independent.
    progress
        Show a progress bar.
    scheduler
        Run on a dask cluster: an address (``"tcp://host:8786"``), ``"local:N"`` or a Client
        (``pip install sdmodels[distributed]``). The values equal a local run's.
    params
        Overrides applied to every run (on top of the scenario), by Vensim or Python name; they
        must not be among the uncertain parameters.
    out
        Also write the indices to this ``.nc`` or ``.zarr`` path (atomically). The runs then
        stream into ``<out stem>.runs<suffix>`` beside it while they run, so that an interrupted
        analysis can be resumed; that store is removed once the indices are written.
    resume
        With ``out``: continue the interrupted runs kept beside ``out`` (same inputs and seed).

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` with dims ``output``, ``parameter``,
        ``time``; with ``second_order`` also ``S2``, ``S2_conf`` with dims ``output``,
        ``parameter``, ``parameter_2``, ``time``; the ``design``; attrs with model,
        engine, scenario, sampler, seed and settings. ``*_conf`` are half-widths of the
        confidence intervals. Indices are NaN where an output does not vary.
    """
    spec = as_uncertainty(spec, model)
    _check_independent(spec, ignore_correlations)
    _check_bootstrap(num_resamples, conf_level)
    out_path = _check_out(out, resume)
    out_names = resolve_outputs(model, outputs)
    design, rng = sobol_design(spec, n, second_order=second_order, seed=seed)
    runs = _runs(
        model,
        design,
        scenario=scenario,
        outputs=out_names,
        years=years,
        engine=engine,
        chunk_size=chunk_size,
        progress=progress,
        label="Sobol runs",
        scheduler=scheduler,
        params=params,
        out=out_path,
        resume=resume,
    )
    ds = sobol_dataset(
        runs,
        spec,
        outputs=out_names,
        second_order=second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        rng=rng,
        progress=progress,
    )
    ds["design"] = design
    ds.attrs = _attrs(
        runs,
        spec,
        design,
        analysis="sobol",
        base_samples=int(n),
        second_order=int(second_order),
        num_resamples=int(num_resamples),
        conf_level=float(conf_level),
    )
    return _finish(ds, runs, out_path)


def sobol_dataset(
    runs: xr.Dataset,
    spec: UncertaintySpec,
    *,
    outputs: Sequence[str],
    rng: np.random.Generator,
    second_order: bool = False,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    progress: bool = False,
) -> xr.Dataset:
    """Sobol indices at every saved time of the runs of a Saltelli design, as one Dataset.

    The one builder of Sobol results (used by :func:`sobol` and the dashboard).

    Parameters
    ----------
    runs
        The runs of :func:`sobol_design`'s design (dims ``sample``, ``time``).
    spec
        The specification the design was drawn from.
    outputs
        Python names of scalar outputs in ``runs``.
    rng
        The generator of the bootstrap (the one :func:`sobol_design` returns).
    second_order, num_resamples, conf_level
        As for :func:`sobol`.
    progress
        Show a progress bar over outputs.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (and ``S2``, ``S2_conf``) with dims
        ``output``, ``parameter``, ``time``; ``output_name`` and ``parameter_name`` coordinates.
    """
    d = len(spec)
    per_output = []
    with progress_bar(progress, len(outputs), "Sobol analysis") as advance:
        for o in outputs:
            per_output.append(
                sobol_indices(
                    runs[o].transpose("sample", "time").values,
                    d,
                    second_order=second_order,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    rng=rng,
                )
            )
            advance()
    coords = _coords(spec, list(outputs), runs)
    dims = ("output", "parameter", "time")
    data: dict[str, Any] = {
        key: (dims, np.stack([res[key] for res in per_output])) for key in _SOBOL_VARS
    }
    if second_order:
        coords["parameter_2"] = list(spec.names)
        dims2 = ("output", "parameter", "parameter_2", "time")
        for key in ("S2", "S2_conf"):
            data[key] = (dims2, np.stack([res[key] for res in per_output]))
    ds = xr.Dataset(data, coords=coords)
    _describe_indices(ds, conf_level)
    return ds


def _describe_indices(ds: xr.Dataset, conf_level: float) -> None:
    text = {
        "S1": "first-order Sobol index",
        "ST": "total-order Sobol index",
        "S2": "second-order Sobol index",
        "mu": "mean elementary effect",
        "mu_star": "mean absolute elementary effect",
        "sigma": "standard deviation of elementary effects",
    }
    for var in ds.data_vars:
        base = str(var).removesuffix("_conf")
        long = text.get(base, base)
        if str(var).endswith("_conf"):
            long = f"half-width of the {conf_level:.0%} bootstrap confidence interval of the {long}"
        ds[var].attrs["long_name"] = long


# ---------------------------------------------------------------------------- Morris
def morris_design(
    spec: UncertaintySpec,
    trajectories: int,
    *,
    levels: int = 4,
    optimal_trajectories: int | None = None,
    seed: Seed = None,
) -> tuple[xr.DataArray, NDArray[np.float64], np.random.Generator]:
    """Morris one-at-a-time trajectories on the unit grid, mapped through the distributions.

    Returns
    -------
    (xarray.DataArray, numpy.ndarray, numpy.random.Generator)
        The design in parameter values, the same design on the unit hypercube (the analysis
        measures elementary effects in quantile steps), and the generator for the bootstrap.
    """

    if (
        isinstance(trajectories, bool)
        or not isinstance(trajectories, (int, np.integer))
        or trajectories < 2
    ):
        raise SDModelsError(f"Morris needs at least 2 trajectories, got {trajectories!r}")
    if (
        isinstance(levels, bool)
        or not isinstance(levels, (int, np.integer))
        or levels < 2
        or levels % 2
    ):
        raise SDModelsError(f"levels must be an even integer of at least 2, got {levels!r}")
    if optimal_trajectories is not None and not 2 <= optimal_trajectories < trajectories:
        raise SDModelsError(
            f"optimal_trajectories must lie between 2 and trajectories - 1 ({trajectories - 1}), "
            f"got {optimal_trajectories}"
        )
    spec.check_design_size(
        int(trajectories) * (len(spec) + 1),
        what=f"Morris with {int(trajectories):,} trajectories",
        fix="use fewer trajectories (--trajectories)",
    )
    rng, recorded = resolve_seed(seed)
    unit = _salib_morris_sample.sample(
        _problem(spec),
        int(trajectories),
        num_levels=int(levels),
        optimal_trajectories=optimal_trajectories,
        seed=rng,
    )
    design = spec.design(spec.transform(unit), method="morris", seed=recorded)
    design.attrs.update(trajectories=int(trajectories), levels=int(levels))
    return design, unit, rng


def morris_indices(
    unit: ArrayLike,
    y: ArrayLike,
    *,
    levels: int = 4,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    rng: np.random.Generator | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Morris elementary-effect statistics of outputs over a trajectory design.

    The statistics and the bootstrap are those of :func:`SALib.analyze.morris.analyze`
    (unscaled, no groups): ``mu``, ``mu_star`` (mean absolute effect), ``sigma`` (standard
    deviation, ``ddof=1``) and ``mu_star_conf`` (half-width of the normal interval of the
    bootstrapped ``mu_star``, trajectories resampled with replacement). They are evaluated for
    every column of ``y`` at once: which parameter each step moves is read from the design once,
    and a resample's mean is a product with the matrix of how often each trajectory was drawn,
    so one set of resamples serves all columns. For one column and a generator made from
    integer seed ``s``, the result equals ``SALib.analyze.morris.analyze(problem, unit, y,
    num_levels=levels, seed=s)`` to rounding (tested).

    Parameters
    ----------
    unit
        The design on the unit hypercube, ``(trajectories * (d + 1), d)``, as
        :func:`morris_design` returns it.
    y
        Outputs, ``(trajectories * (d + 1),)`` or ``(trajectories * (d + 1), m)``.
    levels
        Grid levels of the design (the step is ``levels / (2 (levels - 1))``).
    num_resamples, conf_level
        Bootstrap of the interval of ``mu_star``.
    rng
        Generator of the bootstrap (a fresh default generator if ``None``).

    Returns
    -------
    dict
        ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``: shape ``(d,)`` for a 1-D ``y``,
        ``(d, m)`` otherwise.
    """
    x = np.asarray(unit, dtype=np.float64)
    values = np.asarray(y, dtype=np.float64)
    one = values.ndim == 1
    values = values.reshape(values.shape[0], -1)
    if x.ndim != 2 or x.shape[0] != values.shape[0] or x.shape[0] % (x.shape[1] + 1):
        raise SDModelsError(
            f"a Morris design of d parameters has trajectories * (d + 1) rows and y as many: "
            f"got a design of shape {x.shape} and outputs of shape {np.shape(y)}"
        )
    _check_bootstrap(num_resamples, conf_level)
    d = x.shape[1]
    r = x.shape[0] // (d + 1)
    delta = levels / (2.0 * (levels - 1))
    steps = np.diff(x.reshape(r, d + 1, d), axis=1)  # (r, d steps, d)
    moved = np.abs(steps).argmax(axis=2)  # parameter of each step
    sign = np.sign(np.take_along_axis(steps, moved[..., None], axis=2))[..., 0]
    dy = np.diff(values.reshape(r, d + 1, -1), axis=1)  # (r, d steps, m)
    effects = np.empty((d, r, values.shape[1]))
    rows = np.arange(r)[:, None]
    effects[moved, np.broadcast_to(rows, moved.shape)] = sign[..., None] * dy / delta
    absolute = np.abs(effects)
    rng = np.random.default_rng() if rng is None else rng
    z = stats.norm.ppf(0.5 + conf_level / 2)
    offsets = (r * np.arange(num_resamples))[:, None]
    conf = np.empty((d, values.shape[1]))
    for j in range(d):  # one draw per parameter, in SALib's order
        drawn = rng.integers(r, size=(num_resamples, r))
        counts = np.bincount((drawn + offsets).ravel(), minlength=num_resamples * r)
        resampled = counts.reshape(num_resamples, r) @ absolute[j] / r
        conf[j] = z * resampled.std(axis=0, ddof=1)
    out = {
        "mu": effects.mean(axis=1),
        "mu_star": absolute.mean(axis=1),
        "mu_star_conf": conf,
        "sigma": effects.std(axis=1, ddof=1),
    }
    return {k: v[:, 0] if one else v for k, v in out.items()}


@releases_outputs
def morris(
    model: Model,
    spec: UncertaintySpec | str | os.PathLike[str],
    *,
    trajectories: int = 32,
    levels: int = 4,
    optimal_trajectories: int | None = None,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    seed: Seed = None,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    scenario: str | Scenario | None = None,
    engine: Engine = DEFAULT_ENGINE,
    chunk_size: int | None = None,
    ignore_correlations: bool = False,
    progress: bool = False,
    scheduler: Any = None,
    params: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> xr.Dataset:
    """Morris elementary-effects screening of outputs, at every saved year.

    Elementary effects are measured along the unit (quantile) scale of each parameter's
    distribution: ``mu_star`` is the mean absolute change of the output for a step of
    ``levels / (2 (levels - 1))`` in a parameter's quantile.

    Parameters
    ----------
    model, spec, scenario, params, outputs, years, engine, scheduler, out, resume, seed, progress
        As for :func:`sobol`.
    chunk_size, ignore_correlations
        As for :func:`sobol`.
    trajectories
        Number of trajectories; the model runs ``trajectories * (d + 1)`` times.
    levels
        Grid levels (even).
    optimal_trajectories
        Keep this many of the most spread-out trajectories (Campolongo et al. 2007).
    num_resamples, conf_level
        Bootstrap of the confidence interval of ``mu_star``.

    Returns
    -------
    xarray.Dataset
        ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma`` with dims ``output``,
        ``parameter``, ``time``; the ``design``; attrs as for :func:`sobol`.
    """

    spec = as_uncertainty(spec, model)
    _check_independent(spec, ignore_correlations)
    _check_bootstrap(num_resamples, conf_level)
    out_path = _check_out(out, resume)
    out_names = resolve_outputs(model, outputs)
    design, unit, rng = morris_design(
        spec, trajectories, levels=levels, optimal_trajectories=optimal_trajectories, seed=seed
    )
    runs = _runs(
        model,
        design,
        scenario=scenario,
        outputs=out_names,
        years=years,
        engine=engine,
        chunk_size=chunk_size,
        progress=progress,
        label="Morris runs",
        scheduler=scheduler,
        params=params,
        out=out_path,
        resume=resume,
    )
    n_time = runs.sizes["time"]
    y = np.stack([runs[out].transpose("sample", "time").values for out in out_names], axis=1)
    res = morris_indices(
        unit,
        y.reshape(y.shape[0], -1),
        levels=levels,
        num_resamples=num_resamples,
        conf_level=conf_level,
        rng=rng,
    )
    data = {
        key: res[key].reshape(len(spec), len(out_names), n_time).transpose(1, 0, 2)
        for key in _MORRIS_VARS
    }
    ds = xr.Dataset(
        {key: (("output", "parameter", "time"), val) for key, val in data.items()},
        coords=_coords(spec, out_names, runs),
    )
    _describe_indices(ds, conf_level)
    for key in _MORRIS_VARS:
        ds[key].attrs["scale"] = "output units per step in the parameter's quantile"
    ds["design"] = design
    ds.attrs = _attrs(
        runs,
        spec,
        design,
        analysis="morris",
        trajectories=int(trajectories),
        levels=int(levels),
        num_resamples=int(num_resamples),
        conf_level=float(conf_level),
    )
    return _finish(ds, runs, out_path)


# ---------------------------------------------------------------------------- tables
def ranking(
    ds: xr.Dataset, output: str, *, year: float | None = None, index: str | None = None
) -> pd.DataFrame:
    """Parameters ranked by an index for one output at one year.

    Parameters
    ----------
    ds
        A result of :func:`sobol` or :func:`morris`.
    output
        Python name of the output.
    year
        The year (nearest saved time); the last saved time by default.
    index
        ``"ST"`` (default for Sobol), ``"S1"``, ``"mu_star"`` (default for Morris), ...

    Returns
    -------
    pandas.DataFrame
        One row per parameter, sorted by the index, descending, with its confidence
        half-width where there is one.
    """
    index = index or ("ST" if "ST" in ds else "mu_star")
    if index not in ds:
        raise SDModelsError(f"no index {index!r} in this result; it has {list(ds.data_vars)}")
    outputs = [str(o) for o in ds["output"].values]
    if output not in outputs:
        raise UnknownNameError(output, outputs, what="output", context="the sensitivity result")
    t = float(ds["time"].values[-1]) if year is None else float(year)
    at = ds.sel(output=output).sel(time=t, method="nearest")
    columns = [index, f"{index}_conf", "S1", "S1_conf", "ST", "ST_conf", "sigma"]
    frame = pd.DataFrame({"parameter": at["parameter_name"].values})
    for col in dict.fromkeys(columns):
        if col in at:
            frame[col] = at[col].values
    frame = frame.sort_values(index, ascending=False, na_position="last", kind="stable")
    frame.attrs = {"output": output, "year": float(at["time"].values)}
    return frame.reset_index(drop=True)
