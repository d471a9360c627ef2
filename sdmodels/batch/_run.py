"""Run a batch chunk by chunk: in this process or on a dask cluster, into memory or into a store.

One path serves every case, :meth:`sdmodels.Model.run_batch` included. The driver plans the batch
(:mod:`._plan`) and sends each chunk's rows to an executor (:mod:`._executors`); the chunks come
back as arrays and go into a sink: memory (:mod:`._sinks`) or a result store on disk
(:mod:`._store`), so that the driver never holds more than a few chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from sdmodels._common import DEFAULT_ENGINE, Engine, renamed_option
from sdmodels._lock import releases_outputs
from sdmodels.batch._executors import check_scheduler, executor_for
from sdmodels.batch._plan import BatchPlan, plan_batch
from sdmodels.batch._progress import progress_bar
from sdmodels.batch._sinks import MemorySink, skeleton
from sdmodels.batch._store import ResultStore, open_result, output_specs, partial_path, store_status
from sdmodels.errors import SDModelsError
from sdmodels.results import check_writable

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["execute", "run_batch", "run_design"]


@releases_outputs
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
                out, skeleton(plan), output_specs(plan.template, plan.columns, plan.layout.n),
                plan.layout, plan.fingerprint,
            )
        sink: Any = store
    else:
        sink = MemorySink(plan)
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
    check_scheduler(scheduler)
    if out is not None:
        check_writable(out)


def _run_task(task: Any, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return task(varying, n)


@releases_outputs
def run_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scenario: str | Scenario | None = None,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = DEFAULT_ENGINE,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = False,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    retries: int = 2,
    return_columns: Sequence[str] | None = None,
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
        ``None`` (run in this process), ``"threads:N"`` (N threads of this process), a dask
        scheduler address (``"tcp://host:8786"``), ``"local:N"`` (start N local worker
        processes for this run) or a :class:`distributed.Client`.
    out
        ``None`` (return the result in memory) or a ``.zarr`` / ``.nc`` path: chunks are written
        as they arrive to ``<out>.partial``, which becomes ``out`` when complete. The driver's
        memory then does not grow with N, and the returned Dataset reads from the file lazily
        (close it, or use it in a ``with`` block, when done).
    resume
        With ``out``: continue the interrupted run kept in ``<out>.partial`` (only its missing
        chunks are run). Starts afresh if there is none; returns ``out`` as it is if it already
        holds the complete result of this same run.
    scenario, outputs, years, engine, allow_out_of_range
        As for :meth:`sdmodels.Model.run_batch`.
    chunk_size
        Samples per chunk. By default, a run in this process into memory uses chunks as large
        as the compiled engine's working-memory budget allows (all samples at once for small
        batches); a run on a cluster, in threads or into a store uses about 64 chunks of at
        least 256 samples (never more than that budget); PySD runs use chunks of 4 samples.
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
    >>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 1000)}, outputs=["y"], chunk_size=300)
    >>> ds["y"].sizes["sample"]
    1000
    """
    if resume and out is None:
        raise ValueError("resume=True continues a streamed run: give the store's path as out=")
    _check_early(scheduler, out)
    outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                             where="run_batch")
    in_memory_here = scheduler is None and out is None
    plan = plan_batch(model, params, scenario=scenario, engine=engine, outputs=outputs,
                      years=years, chunk_size=chunk_size,
                      allow_out_of_range=allow_out_of_range,
                      chunk_default="memory" if in_memory_here else "spread")
    ds, _ = execute(plan, scheduler=scheduler, out=out, resume=resume, retries=retries,
                    progress=progress and plan.layout.n_chunks > 1)
    return ds


@releases_outputs
def run_design(
    model: Model,
    design: xr.DataArray,
    *,
    outputs: Sequence[str],
    scenario: str | Scenario | None = None,
    params: Mapping[str, Any] | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = DEFAULT_ENGINE,
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
    params
        Overrides shared by every sample (on top of the scenario), by Vensim or Python name.
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
    params = {**(params or {}),
              **{str(p): values[:, j] for j, p in enumerate(design["parameter"].values)}}
    _check_early(scheduler, out)
    seed = design.attrs.get("seed")  # the design's seed also seeds the random functions
    plan = plan_batch(model, params, scenario=scenario, engine=engine,
                      outputs=list(outputs), chunk_size=chunk_size, years=years,
                      noise_seed=seed if isinstance(seed, int | np.integer) else 0)
    ds, _ = execute(plan, scheduler=scheduler, out=out, resume=resume, retries=retries,
                    advance=advance)
    result = ds[list(outputs)].assign_coords(sample=design["sample"].values)
    result.attrs = dict(ds.attrs)
    return result
