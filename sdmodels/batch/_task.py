"""The work of one chunk, as run in a worker process (or in this one).

A :class:`BatchTask` carries the model file (path, content hash and bytes), how to load it, and
the parameters shared by every sample, never numba or PySD objects: each worker process gets the
kernel or the loaded model once per model hash from the registry (:mod:`._registry`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdmodels.batch._pysd import run_pysd
from sdmodels.batch._registry import compiled_model, loaded_model

__all__ = ["BatchTask"]

#: A PySD model object is stateful: one run at a time per process (threaded workers).
_PYSD_LOCK = threading.Lock()


@dataclass(frozen=True)
class BatchTask:
    """Run a slice of a batch with the compiled engine (all samples at once) or PySD (one by one).

    Attributes
    ----------
    model_path
        The model file as the driver sees it.
    model_sha256
        SHA-256 of its content: the key of the per-process kernel cache.
    model_bytes
        The file's content, used where the path does not exist on the worker.
    shared
        Parameters common to every sample (scenario overrides, broadcast scalars), by Python name.
    columns
        Outputs to return, by Python name.
    engine
        ``"compiled"`` or ``"pysd"``.
    times
        Indices of the saved times to return (``None``: all), so that only what is kept travels
        back to the driver.
    loader
        Loads the model file for PySD runs (the driver's model class, e.g. :class:`sdmodels.Model`).
    data_files
        The model's files of data variables (``Model.data_files``, absolute paths), read by both
        engines with the model file.
    """

    model_path: str
    model_sha256: str
    model_bytes: bytes = field(repr=False)
    shared: Mapping[str, Any]
    columns: tuple[str, ...]
    engine: str = "compiled"
    times: tuple[int, ...] | None = None
    loader: Callable[[Path], Any] | None = None
    data_files: tuple[str, ...] = ()

    def __call__(self, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Integrate ``n`` samples; ``varying`` holds this chunk's rows of the per-sample values.

        Returns arrays of shape ``(n, time, *subscripts)`` by output name.
        """
        if self.engine == "pysd":
            out = self._run_pysd(varying, n)
        else:
            cm = compiled_model(self.model_path, self.model_sha256, self.model_bytes,
                                self.data_files)
            # the kernel writes outputs at the kept times only
            out = cm.run({**self.shared, **varying}, n, return_columns=list(self.columns),
                         saved_indices=self.times)
            return {name: np.ascontiguousarray(arr) for name, arr in out.items()}
        if self.times is not None:
            keep = list(self.times)
            out = {name: np.ascontiguousarray(arr[:, keep]) for name, arr in out.items()}
        return out

    def _run_pysd(self, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        if self.loader is None:
            raise ValueError("a PySD task needs the loader of its model file (loader=)")
        model = loaded_model(self.model_path, self.model_sha256, self.model_bytes, self.loader,
                             self.data_files)
        runs = []
        with _PYSD_LOCK:
            for i in range(n):
                params = {**self.shared, **{py: v[i] for py, v in varying.items()}}
                runs.append(run_pysd(model, params, list(self.columns)))
        return {name: np.stack([np.asarray(r[name].values) for r in runs])
                for name in self.columns}
