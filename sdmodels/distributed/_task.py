"""The work of one chunk, as run in a worker process.

A :class:`BatchTask` carries the model file (path, content hash and bytes) and the parameters
shared by every sample, never numba objects: each worker process compiles the kernel, or loads it
from the on-disk cache, once per model hash and keeps it in :data:`_COMPILED`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BatchTask", "compiled_model"]

#: Compiled kernels of this process, by model SHA-256.
_COMPILED: dict[str, Any] = {}


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


def compiled_model(path: str, sha256: str, content: bytes) -> Any:
    """The :class:`~sdmodels.compiler.CompiledModel` of a model file, once per process."""
    cm = _COMPILED.get(sha256)
    if cm is None:
        from sdmodels.compiler import compile_model

        cm = compile_model(_local_model_file(path, sha256, content))
        _COMPILED[sha256] = cm
    return cm


@dataclass(frozen=True)
class BatchTask:
    """Run a slice of a batch with the compiled engine.

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
    """

    model_path: str
    model_sha256: str
    model_bytes: bytes = field(repr=False)
    shared: Mapping[str, Any]
    columns: tuple[str, ...]

    def __call__(self, varying: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Integrate ``n`` samples; ``varying`` holds this chunk's rows of the per-sample values."""
        cm = compiled_model(self.model_path, self.model_sha256, self.model_bytes)
        params = {**self.shared, **varying}
        return cm.run(params, n, return_columns=list(self.columns))
