"""Run a batch chunk by chunk: in this process or on a dask cluster, into memory or into a store.

One path serves every case, :meth:`sdmodels.Model.run_batch` included. The driver resolves and
validates the parameters, runs the first sample to fix the result's shape, splits the samples into
chunks and sends each chunk's rows to an executor (:mod:`._executor`); the chunks come back as
arrays and go into a sink: memory (the Dataset :meth:`sdmodels.Model.run_batch` returns) or a
result store on disk (:mod:`._store`), so that the driver never holds more than a few chunks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels.batch._store import (
    ChunkLayout,
    ResultStore,
    open_result,
    output_specs,
    partial_path,
    store_status,
)
from sdmodels.batch._task import BatchTask
from sdmodels.errors import SDModelsError

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Engine, Model
    from sdmodels.scenarios import Scenario

__all__ = ["BatchPlan", "execute", "plan_batch", "run_batch", "run_design"]

#: Without ``chunk_size``: about this many chunks, so that a cluster's workers share the work ...
_TARGET_CHUNKS = 64
#: ... but not smaller than this many samples, so that each task is worth shipping.
_MIN_CHUNK = 256


@dataclass(frozen=True)
class BatchPlan:
    """Everything needed to run a batch in chunks, made once on the driver.

    Attributes
    ----------
    task
        The picklable function that runs one chunk: ``task(varying_rows, n) -> {name: array}``.
    varying
        Per-sample values by Python name (first axis: sample).
    layout
        Samples and chunk size.
    template
        The result of the first sample (saved times already selected): the variables,
        coordinates and attrs every chunk's result must fit.
    columns
        The streamed outputs.
    fingerprint
        SHA-256 of model, engine, scenario, parameters, outputs, kept times and chunk size: a
        store can only be resumed by the run that made it.
    """

    task: Any
    varying: Mapping[str, np.ndarray]
    layout: ChunkLayout
    template: xr.Dataset
    columns: tuple[str, ...]
    fingerprint: str

    def chunk_args(self, i: int) -> tuple[dict[str, np.ndarray], int]:
        """The arguments of chunk ``i``: its rows of the varying parameters and its length."""
        lo, hi = self.layout.bounds(i)
        return {py: v[lo:hi] for py, v in self.varying.items()}, hi - lo


def _digest(h: Any, value: Any) -> None:
    if isinstance(value, pd.Series):
        _digest(h, value.index.to_numpy(dtype=float))
        _digest(h, value.to_numpy(dtype=float))
    elif isinstance(value, xr.DataArray):
        for dim in value.dims:
            _digest(h, np.asarray(value[dim].values))
        _digest(h, value.values)
    elif isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    else:
        h.update(repr(value).encode())


def _fingerprint(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Mapping):
            for key in sorted(part):
                h.update(str(key).encode())
                _digest(h, part[key])
        else:
            _digest(h, part)
        h.update(b"\x00")
    return h.hexdigest()


def default_chunk_size(n: int, engine_chunk: int) -> int:
    """About :data:`_TARGET_CHUNKS` chunks of at least :data:`_MIN_CHUNK` samples, never more
    than the engine's memory-bounded chunk. Depends on ``n`` and the model only (not on the
    cluster), so that a run can be resumed on another cluster."""
    return int(max(1, min(engine_chunk, max(_MIN_CHUNK, -(-n // _TARGET_CHUNKS)))))


#: PySD runs one sample at a time (about a second each on the NHS model): small chunks keep
#: progress bars moving and spread the work over a cluster's workers.
_PYSD_CHUNK = 4


def _first_sample(
    model: Model, chosen: str, params: Mapping[str, Any], columns: list[str] | None
) -> tuple[xr.Dataset, tuple[str, ...]]:
    """Run the first sample with the chosen engine: its Dataset (dims ``sample`` of length 1,
    ``time``, subscripts) and the names of the outputs every chunk returns."""
    from sdmodels import engine as eng

    if chosen == "pysd":
        one = eng._run_pysd(model, params, columns)
        names = tuple(str(v) for v in one.data_vars)
        return one.expand_dims(sample=1).transpose("sample", "time", ...), names
    cm = model.compiled()
    names = tuple(eng._compiled_columns(cm, columns))
    arrays = cm.run(dict(params), 1, return_columns=list(names))
    ds = eng._dataset_from_arrays(arrays, eng._saved_times(cm, params), cm.dims, sample=True)
    return ds, names


def _time_indices(saved: np.ndarray, years: Iterable[float] | str | None) -> tuple[int, ...] | None:
    """Indices of the saved times kept for ``years``: ``None`` or ``"all"`` (every saved time),
    ``"whole"`` (saved times on whole years) or years (the nearest saved time to each).

    Raises
    ------
    SDModelsError
        A year outside the saved times, or an unknown option.
    """
    from sdmodels.results import select_years

    if years is None:
        return None
    if isinstance(years, str):
        if years == "all":
            return None
        if years != "whole":
            raise SDModelsError(f"years must be a list of years, 'all' or 'whole', got {years!r}")
        whole = np.flatnonzero(np.isclose(saved, np.round(saved)))
        return tuple(int(i) for i in whole) if len(whole) else None
    index = xr.Dataset(coords={"time": saved}).assign(i=("time", np.arange(len(saved))))
    return tuple(int(i) for i in select_years(index, years)["i"].values)


def plan_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scenario: str | Scenario | None = None,
    engine: Engine = "compiled",
    return_columns: Sequence[str] | None = None,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    years: Iterable[float] | str | None = None,
    chunk_default: str = "spread",
) -> BatchPlan:
    """Resolve and validate a batch on the driver and split it into chunks.

    Parameters are those of :meth:`sdmodels.Model.run_batch`, and:

    years
        Keep only these saved times: ``None`` or ``"all"`` (every one), ``"whole"`` (those on
        whole years) or years (the nearest saved time to each). Chunks are cut down where they
        run, so only what is kept travels and is held.
    chunk_default
        Without ``chunk_size``: ``"spread"`` (about 64 chunks, for a cluster's workers, progress
        bars and stores) or ``"memory"`` (as large as the engine's memory budget allows, for an
        in-memory run in this process).

    Raises
    ------
    SDModelsError
        Invalid parameters or options (as :meth:`sdmodels.Model.run_batch` raises them).
    """
    from sdmodels import engine as eng
    from sdmodels.batch._task import register
    from sdmodels.results import annotate, provenance

    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    sc = model.scenario(scenario)
    base = eng.resolve_params(model, sc, None, allow_out_of_range)
    batch, n = eng._per_sample(model, params, allow_out_of_range)
    columns = eng._return_columns(model, return_columns)
    chosen = eng.choose_engine(model, engine)
    varying = {py: v for py, v in batch.items() if isinstance(v, np.ndarray)
               and v.ndim > np.ndim(model.variables[py].value)}
    shared = {**base, **{py: v for py, v in batch.items() if py not in varying}}
    # The first sample fixes variables, saved times, coordinates and attrs of the result.
    first, names = _first_sample(model, chosen, {**shared, **{py: v[0] for py, v in varying.items()}},
                                 columns)
    n_saved = first.sizes["time"]  # what the kernel produces, before any years are cut
    times = _time_indices(first["time"].values, years)
    if times is not None:
        first = first.isel(time=list(times))
    scalar_varying = [py for py, v in varying.items() if v.ndim == 1]
    if scalar_varying:
        first["design"] = xr.DataArray(
            np.array([[varying[py][0] for py in scalar_varying]]),
            dims=("sample", "parameter"),
            coords={"parameter": scalar_varying},
            attrs={"long_name": "per-sample parameter values",
                   "names": json.dumps({py: model.variables[py].name for py in scalar_varying})},
        )
    first.attrs = provenance(
        model, engine=chosen, scenarios=json.dumps({sc.name: sc.to_dict()}, sort_keys=True),
        scenario=sc.name, n_samples=n,
    )
    template = annotate(first, model)
    if chunk_size:
        size = int(chunk_size)
    elif chosen == "pysd":
        size = _PYSD_CHUNK
    else:
        cm = model.compiled()
        engine_chunk = eng._default_chunk(n, n_saved, len(names), len(cm.defaults))
        size = engine_chunk if chunk_default == "memory" else default_chunk_size(n, engine_chunk)
    layout = ChunkLayout(n=n, size=min(size, n))
    register(model, compiled=chosen == "compiled")
    task = BatchTask(
        model_path=str(model.path),
        model_sha256=model.hash,
        model_bytes=Path(model.path).read_bytes(),
        shared=shared,
        columns=names,
        engine=chosen,
        times=times,
    )
    fingerprint = _fingerprint(
        model.hash, chosen, json.dumps(sc.to_dict(), sort_keys=True, default=str), shared, varying,
        names, times, layout.n, layout.size,
    )
    return BatchPlan(task=task, varying=varying, layout=layout, template=template,
                     columns=names, fingerprint=fingerprint)


# ---------------------------------------------------------------------------- sinks
def _skeleton(plan: BatchPlan) -> xr.Dataset:
    """The result without the streamed outputs, for all ``n`` samples."""
    t = plan.template
    n = plan.layout.n
    ds = xr.Dataset(
        coords={str(c): t.coords[c] for c in t.coords if "sample" not in t.coords[c].dims},
        attrs={**t.attrs, "n_samples": n},
    )
    ds = ds.assign_coords(sample=np.arange(n))
    if "design" in t:
        params = [str(p) for p in t["parameter"].values]
        ds["design"] = xr.DataArray(
            np.column_stack([plan.varying[p] for p in params]).astype(t["design"].dtype),
            dims=t["design"].dims, coords={"parameter": t["parameter"]},
            attrs=dict(t["design"].attrs),
        )
    return ds


class _MemorySink:
    """Collect chunks into arrays for all samples (the result of an in-memory run)."""

    def __init__(self, plan: BatchPlan) -> None:
        self.plan = plan
        self.specs = output_specs(plan.template, plan.columns, plan.layout.n)
        self.arrays = {name: np.empty(s.shape, dtype=s.dtype) for name, s in self.specs.items()}
        self.missing = list(range(plan.layout.n_chunks))

    def write(self, i: int, arrays: Mapping[str, np.ndarray]) -> None:
        lo, hi = self.plan.layout.bounds(i)
        for name, arr in arrays.items():
            self.arrays[name][lo:hi] = arr

    def finish(self) -> xr.Dataset:
        t = self.plan.template
        skeleton = _skeleton(self.plan)
        data = {name: xr.DataArray(self.arrays[name], dims=spec.dims, attrs=dict(spec.attrs))
                for name, spec in self.specs.items()}
        order = [str(v) for v in t.data_vars]
        ds = xr.Dataset(data, coords=skeleton.coords, attrs=skeleton.attrs)
        if "design" in skeleton:
            ds["design"] = skeleton["design"]
        return ds[order]


# ---------------------------------------------------------------------------- running
def execute(
    plan: BatchPlan,
    *,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    retries: int = 2,
    progress: bool = False,
    advance: Callable[[int], Any] | None = None,
) -> tuple[xr.Dataset, int]:
    """Run the chunks of a plan; return the result and the number of chunks run now.

    See :func:`run_batch` for the parameters; ``advance``, if given, is called with the number of
    samples of each chunk received (the caller's progress bar) instead of showing one here.
    """
    from sdmodels.distributed._executor import executor_for
    from sdmodels.engine import progress_bar

    _check_early(scheduler, out)
    store: ResultStore | None = None
    if out is not None:
        out = Path(out)  # checked writable; the partial store goes to the same folder
        if resume and _finished(out, plan.fingerprint):
            (advance or (lambda k: None))(plan.layout.n)
            return open_result(out), 0
        if resume:
            store = ResultStore.open(out, plan.fingerprint)
        if store is None:
            store = ResultStore.create(
                out, _skeleton(plan), output_specs(plan.template, plan.columns, plan.layout.n),
                plan.layout, plan.fingerprint,
            )
        sink: Any = store
    else:
        sink = _MemorySink(plan)
    todo = list(sink.missing)
    done_before = plan.layout.n - sum(plan.layout.bounds(i)[1] - plan.layout.bounds(i)[0]
                                      for i in todo)
    ran = 0
    try:
        with progress_bar(progress and advance is None, plan.layout.n, "samples") as bar:
            advance = advance or bar
            advance(done_before)
            items = ((i, (plan.task, *plan.chunk_args(i))) for i in todo)
            with executor_for(scheduler, retries=retries) as ex:
                for i, arrays in ex.map(_run_task, items):
                    sink.write(int(i), arrays)
                    ran += 1
                    lo, hi = plan.layout.bounds(int(i))
                    advance(hi - lo)
        if store is None:
            return sink.finish(), ran
        path = store.finalize()
    finally:
        if store is not None:
            store.close()
    return open_result(path), ran


def _finished(out: Path, fingerprint: str) -> bool:
    """Whether ``out`` already holds the complete result of this very run (nothing to resume)."""
    if partial_path(out).exists() or not out.exists():
        return False
    try:
        status = store_status(out)
    except SDModelsError:
        return False
    return status.complete and status.fingerprint == fingerprint


def _check_early(scheduler: Any, out: str | os.PathLike[str] | None) -> None:
    """Refuse a bad ``scheduler`` or ``out`` before any simulation or store is made."""
    if scheduler is not None:
        from sdmodels.distributed._scheduler import parse_scheduler

        parse_scheduler(scheduler)
    if out is not None:
        from sdmodels.results import check_writable

        check_writable(out)


def _run_task(task: Any, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return task(varying, n)


def run_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    scenario: str | Scenario | None = None,
    engine: Engine = "compiled",
    return_columns: Sequence[str] | None = None,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    retries: int = 2,
    progress: bool = False,
) -> xr.Dataset:
    """Run a batch of samples in chunks, on a dask cluster and/or streaming into a result store.

    Gives, value for value, the result of :meth:`sdmodels.Model.run_batch` on the same inputs.

    Parameters
    ----------
    model
        The model.
    params
        As for :meth:`sdmodels.Model.run_batch`: scalars, arrays of length N, time series.
    scheduler
        ``None`` (run in this process), a scheduler address (``"tcp://host:8786"``),
        ``"local:N"`` (start N local worker processes for this run) or a
        :class:`distributed.Client`.
    out
        ``None`` (return the result in memory) or a ``.zarr`` / ``.nc`` path: chunks are written
        as they arrive to ``<out>.partial``, which becomes ``out`` when complete. The driver's
        memory then does not grow with N, and the returned Dataset reads from the file lazily.
    resume
        With ``out``: continue the interrupted run kept in ``<out>.partial`` (only its missing
        chunks are run). Starts afresh if there is none; returns ``out`` as it is if it already
        holds the complete result of this same run.
    scenario, engine, return_columns, allow_out_of_range
        As for :meth:`sdmodels.Model.run_batch`.
    chunk_size
        Samples per task. The default gives about 64 chunks (at least 256 samples each).
    retries
        Re-runs of a chunk that raised on a worker (a chunk whose worker died is rescheduled by
        dask anyway).
    progress
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        Dims ``sample``, ``time`` (plus subscript dims), ``design``, provenance attrs. With
        ``out``, also ``complete`` / ``chunk_size`` / ``run_fingerprint`` attrs and the
        ``chunk_done`` mask.

    Raises
    ------
    IncompatibleStoreError
        ``resume=True`` and ``<out>.partial`` holds another run.
    SchedulerError
        Unusable ``scheduler``.

    Examples
    --------
    >>> import numpy as np, sdmodels
    >>> from sdmodels.batch import run_batch
    >>> m = sdmodels.load_model("models/tests/ishigami.mdl")
    >>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 1000)}, return_columns=["y"], chunk_size=300)
    >>> ds["y"].sizes["sample"]
    1000
    """
    if resume and out is None:
        raise ValueError("resume=True continues a streamed run: give the store's path as out=")
    _check_early(scheduler, out)
    in_memory_here = scheduler is None and out is None
    plan = plan_batch(model, params, scenario=scenario, engine=engine,
                      return_columns=return_columns, chunk_size=chunk_size,
                      allow_out_of_range=allow_out_of_range,
                      chunk_default="memory" if in_memory_here else "spread")
    ds, _ = execute(plan, scheduler=scheduler, out=out, resume=resume, retries=retries,
                    progress=progress and plan.layout.n_chunks > 1)
    return ds


def run_design(
    model: Model,
    design: xr.DataArray,
    *,
    outputs: Sequence[str],
    scenario: str | Scenario | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = "compiled",
    chunk_size: int | None = None,
    advance: Callable[[int], Any] | None = None,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    retries: int = 2,
) -> xr.Dataset:
    """Run every row of a design in chunks: the runs behind Monte Carlo, Sobol and Morris.

    Parameters
    ----------
    model
        The model.
    design
        Parameter values, dims ``sample`` and ``parameter`` (Python names).
    outputs
        Python names of the outputs to keep.
    scenario
        The scenario the samples start from.
    years
        Keep only some saved times: ``None``/``"all"``, ``"whole"`` or years (nearest saved
        time); see :func:`plan_batch`. Cut down chunk by chunk, where the chunk ran.
    engine, chunk_size
        As for :func:`run_batch` (default chunks: about 64 of at least 256 samples; 4 with PySD).
    advance
        Called with the number of samples of each chunk received (progress bars).
    scheduler, out, resume, retries
        As for :func:`run_batch`.

    Returns
    -------
    xarray.Dataset
        The outputs with dims ``sample`` (the design's coordinate) and ``time``, and the
        engine's provenance attrs; lazily read from ``out`` if given.
    """
    values = np.asarray(design.values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] == 0:
        raise SDModelsError("the design has no samples: nothing to run")
    params = {str(p): values[:, j] for j, p in enumerate(design["parameter"].values)}
    _check_early(scheduler, out)
    plan = plan_batch(model, params, scenario=scenario, engine=engine,
                      return_columns=list(outputs), chunk_size=chunk_size, years=years)
    ds, _ = execute(plan, scheduler=scheduler, out=out, resume=resume, retries=retries,
                    advance=advance)
    result = ds[list(outputs)].assign_coords(sample=design["sample"].values)
    result.attrs = dict(ds.attrs)
    return result
