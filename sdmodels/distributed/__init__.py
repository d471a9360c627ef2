"""Run batches in chunks: on a dask cluster, and/or streaming into a zarr or netCDF store.

``pip install sdmodels[distributed]`` adds dask. Everything here works without it as long as no
``scheduler=`` is given (chunks then run in this process); dask is imported only when a scheduler
is used.

>>> import numpy as np, sdmodels
>>> from sdmodels.distributed import run_batch
>>> m = sdmodels.load_model("models/tests/ishigami.mdl")
>>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 8)}, return_columns=["y"])
>>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 8)}, scheduler="local:2")   # doctest: +SKIP
"""

from __future__ import annotations

from sdmodels.distributed._batch import BatchPlan, execute, plan_batch, run_batch, run_design
from sdmodels.distributed._executor import DaskExecutor, LocalExecutor, executor_for, map_chunks
from sdmodels.distributed._scheduler import (
    SchedulerError,
    SchedulerSpec,
    connect,
    parse_scheduler,
    scheduler_session,
)
from sdmodels.distributed._store import (
    ChunkLayout,
    IncompatibleStoreError,
    ResultStore,
    StoreStatus,
    open_result,
    partial_path,
    store_status,
)
from sdmodels.distributed._task import BatchTask

__all__ = [
    "BatchPlan",
    "BatchTask",
    "ChunkLayout",
    "DaskExecutor",
    "IncompatibleStoreError",
    "LocalExecutor",
    "ResultStore",
    "SchedulerError",
    "SchedulerSpec",
    "StoreStatus",
    "connect",
    "execute",
    "executor_for",
    "map_chunks",
    "open_result",
    "parse_scheduler",
    "partial_path",
    "plan_batch",
    "run_batch",
    "run_design",
    "scheduler_session",
    "store_status",
]
