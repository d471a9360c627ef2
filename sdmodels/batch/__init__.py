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
>>> ds = run_batch(m, {"x1": np.linspace(-3, 3, 8)}, return_columns=["y"])
>>> ds["y"].sizes["sample"]
8
"""

from __future__ import annotations

from sdmodels.batch._run import BatchPlan, execute, plan_batch, run_batch, run_design
from sdmodels.batch._store import (
    ChunkLayout,
    IncompatibleStoreError,
    ResultStore,
    StoreStatus,
    open_result,
    partial_path,
    store_status,
)
from sdmodels.batch._task import BatchTask

__all__ = [
    "BatchPlan",
    "BatchTask",
    "ChunkLayout",
    "IncompatibleStoreError",
    "ResultStore",
    "StoreStatus",
    "execute",
    "open_result",
    "partial_path",
    "plan_batch",
    "run_batch",
    "run_design",
    "store_status",
]
