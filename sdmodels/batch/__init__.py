"""The one batch core: plan a batch, run it chunk by chunk, collect the chunks in a sink.

Every batch (:meth:`sdmodels.Model.run_batch`, Monte Carlo, Sobol, Morris) runs through
:func:`run_batch` / :func:`run_design`: the driver plans the batch once (:func:`plan_batch`:
parameters resolved and validated, the first sample run to fix the result's shape, samples split
into chunks), an executor runs the chunks (in this process, or on a dask cluster with
``scheduler=``), and a sink collects them: memory, or a zarr/netCDF store that can be resumed
(:class:`ResultStore`).

>>> import numpy as np, sdmodels
>>> from sdmodels.batch import run_batch
>>> m = sdmodels.load_model("models/tests/ishigami.mdl")
>>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 8)}, outputs=["y"])
>>> ds["y"].sizes["sample"]
8
"""

from __future__ import annotations

from sdmodels.batch._compiled import run_compiled
from sdmodels.batch._executors import (
    SerialExecutor,
    ThreadExecutor,
    check_scheduler,
    executor_for,
    map_chunks,
    session,
)
from sdmodels.batch._params import (
    AUTO_LONG_COMPILE_SECONDS,
    choose_engine,
    compile_outweighs_run,
    estimated_pysd_seconds,
    per_sample,
    resolve_columns,
    resolve_outputs,
    resolve_params,
)
from sdmodels.batch._plan import (
    BatchPlan,
    default_chunk_size,
    fingerprint,
    keep_years,
    plan_batch,
)
from sdmodels.batch._progress import progress_bar
from sdmodels.batch._pysd import PySDRun, pysd_value, run_pysd, run_pysd_arrays
from sdmodels.batch._registry import compiled_model, loaded_model, register
from sdmodels.batch._run import execute, run_batch, run_design
from sdmodels.batch._stack import stack_runs
from sdmodels.batch._store import (
    STORE_ATTRS,
    ChunkLayout,
    IncompatibleStoreError,
    OutputSpec,
    ResultStore,
    StoreStatus,
    open_result,
    output_specs,
    partial_path,
    store_status,
)
from sdmodels.batch._task import BatchTask

__all__ = [
    "AUTO_LONG_COMPILE_SECONDS",
    "STORE_ATTRS",
    "BatchPlan",
    "BatchTask",
    "ChunkLayout",
    "IncompatibleStoreError",
    "OutputSpec",
    "PySDRun",
    "ResultStore",
    "SerialExecutor",
    "StoreStatus",
    "ThreadExecutor",
    "check_scheduler",
    "choose_engine",
    "compile_outweighs_run",
    "compiled_model",
    "default_chunk_size",
    "estimated_pysd_seconds",
    "execute",
    "executor_for",
    "fingerprint",
    "keep_years",
    "loaded_model",
    "map_chunks",
    "open_result",
    "output_specs",
    "partial_path",
    "per_sample",
    "plan_batch",
    "progress_bar",
    "pysd_value",
    "register",
    "resolve_columns",
    "resolve_outputs",
    "resolve_params",
    "run_batch",
    "run_compiled",
    "run_design",
    "run_pysd",
    "run_pysd_arrays",
    "session",
    "stack_runs",
    "store_status",
]
