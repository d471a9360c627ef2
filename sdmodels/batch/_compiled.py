"""The compiled engine's side of a run: which outputs, which saved times, arrays as Datasets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from sdmodels._common import CONTROL_NAMES

__all__ = ["compiled_columns", "dataset_from_arrays", "memory_chunk", "run_compiled", "saved_times"]

#: Rough working-memory budget of one chunk of the compiled engine.
_CHUNK_BYTES = 256 * 2**20


def dataset_from_arrays(
    arrays: Mapping[str, np.ndarray],
    time: np.ndarray,
    dims: Mapping[str, Any],
    *,
    sample: bool,
) -> xr.Dataset:
    """Wrap kernel outputs (sample, time, *subscripts) as a Dataset without per-variable alignment."""
    coords: dict[str, Any] = {"time": time}
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    for py, arr in arrays.items():
        sub = tuple(dims.get(py, ()))
        for d, c in sub:
            coords.setdefault(d, list(c))
        names = tuple(d for d, _ in sub)
        if sample:
            data[py] = (("sample", "time", *names), arr)
        else:
            data[py] = (("time", *names), arr[0])
    return xr.Dataset(data, coords=coords)


def compiled_columns(cm: Any, columns: list[str] | None) -> list[str]:
    """The requested outputs; by default every model variable, as PySD returns them."""
    if columns is not None:
        return columns
    return [py for py in cm.outputs if py not in CONTROL_NAMES]


def saved_times(cm: Any, params: Mapping[str, Any]) -> np.ndarray:
    """The saved times of the compiled model under any overridden control variables, and any
    overridden constants they are computed from (``FINAL TIME = start year + horizon``)."""
    grid = set(CONTROL_NAMES) | set(getattr(cm, "grid_parameters", ()))
    controls = {py: v for py, v in params.items() if py in grid}
    return np.asarray(cm.saved_times(**controls), dtype=float)


def run_compiled(cm: Any, params: Mapping[str, Any], columns: list[str] | None) -> xr.Dataset:
    """One run of the compiled model as a Dataset (dims ``time`` and subscripts)."""
    out = cm.run(dict(params), 1, return_columns=compiled_columns(cm, columns))
    return dataset_from_arrays(out, saved_times(cm, params), cm.dims, sample=False)


def memory_chunk(n: int, n_time: int, n_columns: int, n_state: int) -> int:
    """The largest chunk (at most ``n``, at least 1024 where ``n`` allows) whose arrays fit the
    working-memory budget of one chunk."""
    per_sample = 8 * (n_time * n_columns + 8 * max(n_state, 1))
    return int(max(1, min(n, max(1024, _CHUNK_BYTES // per_sample))))
