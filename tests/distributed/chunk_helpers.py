"""Helpers of the distributed tests: result comparison and fault injection.

Fault injectors (a simulated interruption, a worker process killed once) live in a module of
their own so that dask's worker processes can unpickle them by reference.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]
#: Attrs that differ between two runs of the same batch (time made) or that only a store has.
_RUN_ATTRS = ("created_utc", "complete", "chunk_size", "n_chunks", "run_fingerprint")


def comparable(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` in memory, without the store's done mask and run attrs, JSON attrs decoded."""
    ds = ds.drop_vars("chunk_done", errors="ignore").load()
    attrs = {}
    for key, value in ds.attrs.items():
        if key in _RUN_ATTRS:
            continue
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        attrs[key] = value
    ds.attrs = attrs
    return ds


@dataclass(frozen=True)
class FailFrom:
    """Raise for every chunk whose first ``x1`` is at least ``threshold`` (designs sort ``x1``)."""

    inner: Any
    threshold: float
    error: type[BaseException] = RuntimeError

    def __call__(self, varying: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        if varying["x1"][0] >= self.threshold:
            raise self.error("simulated interruption")
        return self.inner(varying, n)


@dataclass(frozen=True)
class KillWorkerOnce:
    """The first chunk to run (anywhere) kills its worker process; later runs work normally."""

    inner: Any
    flag: str

    def __call__(self, varying: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        try:
            fd = os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.inner(varying, n)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(1)
