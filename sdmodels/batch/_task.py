"""The work of one chunk, as run in a worker process (or in this one).

A :class:`BatchTask` carries the model file (path, content hash and bytes) and the parameters
shared by every sample, never numba or PySD objects: each worker process compiles the kernel (or
loads it from the on-disk cache), or loads the model for PySD, once per model hash and keeps it in
:data:`_COMPILED` / :data:`_MODELS`. The driver registers its own objects there
(:func:`register`), so that chunks run in the driver's process reuse them.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BatchTask", "compiled_model", "loaded_model", "register"]

#: Compiled kernels of this process, by model SHA-256.
_COMPILED: dict[str, Any] = {}
#: Loaded models (for PySD runs) of this process, by model SHA-256.
_MODELS: dict[str, Any] = {}
#: A PySD model object is stateful: one run at a time per process (threaded dask workers).
_PYSD_LOCK = threading.Lock()


def register(model: Any, *, compiled: bool) -> None:
    """Let chunks run in this process use ``model`` (and its kernel) instead of loading them."""
    _MODELS.setdefault(model.hash, model)
    if compiled:
        _COMPILED.setdefault(model.hash, model.compiled())


def _local_model_file(path: str, sha256: str, content: bytes) -> Path:
    """The model file on this machine: ``path`` if it holds the same bytes, else a cached copy."""
    from sdmodels._paths import cache_dir, file_sha256

    original = Path(path)
    if original.is_file() and file_sha256(original) == sha256:
        return original
    folder = cache_dir("models", sha256[:16])
    copy = folder / original.name
    if not copy.is_file():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{original.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, copy)
    return copy


def _once(cache: dict[str, Any], path: str, sha256: str, content: bytes, load: Any) -> Any:
    """``load(model file)``, made once per process and model hash."""
    obj = cache.get(sha256)
    if obj is None:
        obj = cache[sha256] = load(_local_model_file(path, sha256, content))
    return obj


def compiled_model(path: str, sha256: str, content: bytes) -> Any:
    """The :class:`~sdmodels.compiler.CompiledModel` of a model file, once per process."""
    from sdmodels.compiler import compile_model

    return _once(_COMPILED, path, sha256, content, compile_model)


def loaded_model(path: str, sha256: str, content: bytes) -> Any:
    """The :class:`~sdmodels.Model` of a model file (PySD translation cached), once per process."""
    from sdmodels.model import load_model

    return _once(_MODELS, path, sha256, content, load_model)


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
    """

    model_path: str
    model_sha256: str
    model_bytes: bytes = field(repr=False)
    shared: Mapping[str, Any]
    columns: tuple[str, ...]
    engine: str = "compiled"
    times: tuple[int, ...] | None = None

    def __call__(self, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Integrate ``n`` samples; ``varying`` holds this chunk's rows of the per-sample values.

        Returns arrays of shape ``(n, time, *subscripts)`` by output name.
        """
        if self.engine == "pysd":
            out = self._run_pysd(varying, n)
        else:
            cm = compiled_model(self.model_path, self.model_sha256, self.model_bytes)
            out = cm.run({**self.shared, **varying}, n, return_columns=list(self.columns))
        if self.times is not None:
            keep = list(self.times)
            out = {name: np.ascontiguousarray(arr[:, keep]) for name, arr in out.items()}
        return out

    def _run_pysd(self, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        from sdmodels.engine import _run_pysd

        model = loaded_model(self.model_path, self.model_sha256, self.model_bytes)
        runs = []
        with _PYSD_LOCK:
            for i in range(n):
                params = {**self.shared, **{py: v[i] for py, v in varying.items()}}
                runs.append(_run_pysd(model, params, list(self.columns)))
        return {name: np.stack([np.asarray(r[name].values) for r in runs])
                for name in self.columns}
