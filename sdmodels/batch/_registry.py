"""The one process-level registry of loaded models and compiled kernels, by model SHA-256.

A worker process (or this one) needs a model's kernel, or the loaded model for PySD runs, once per
model content: :func:`compiled_model` and :func:`loaded_model` make each once and keep it. Kernels
are kept where they are made, in :func:`sdmodels.compiler.compile_model`'s memory of imported
kernel modules (keyed by the model's and its data files' content), so there is one store of
kernels in a process; loaded models are kept here. The driver registers its own objects
(:func:`register`), so that chunks run in the driver's process reuse them instead of loading the
file again: its model's kernel, the one that ran the plan's first sample, serves every chunk
without the model and data files being read and hashed again for each (3 ms a chunk on the NHS
model). Where the model file is not on a worker's disk at the driver's path, a content-addressed
copy is written to the cache folder.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sdmodels._paths import cache_dir, file_sha256
from sdmodels.compiler import compile_model

__all__ = ["compiled_model", "loaded_model", "local_model_file", "register"]

#: Loaded models (for PySD runs and reference runs) of this process, by model SHA-256 (and the
#: files of its data variables, if any).
_MODELS: dict[str, Any] = {}
#: The kernels of the models the driver registered, by model SHA-256 and path (data files are
#: found beside the model file); the last registered wins.
_KERNELS: dict[tuple[str, str], Any] = {}
#: Loading is slow and a loaded model is shared: one load at a time per process.
_LOCK = threading.RLock()


def _key(sha256: str, data_files: tuple[str, ...]) -> str:
    """The registry key of a model file read with ``data_files`` (its data variables' files)."""
    return "\n".join((sha256, *data_files))


def register(model: Any, *, compiled: bool) -> None:
    """Let runs in this process use ``model`` (and, if ``compiled``, its kernel)."""
    data = tuple(str(f) for f in getattr(model, "data_files", ()))
    with _LOCK:
        _MODELS.setdefault(_key(model.hash, data), model)
        if compiled:  # compiled (or loaded) once
            _KERNELS[_key(model.hash, data), str(model.path)] = model.compiled()


def local_model_file(path: str, sha256: str, content: bytes) -> Path:
    """The model file on this machine: ``path`` if it holds the same bytes, else a cached copy."""
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


def _once(cache: dict[str, Any], sha256: str, make: Callable[[], Any]) -> Any:
    with _LOCK:
        obj = cache.get(sha256)
        if obj is None:
            obj = cache[sha256] = make()
        return obj


def compiled_model(path: str, sha256: str, content: bytes, data_files: tuple[str, ...] = ()) -> Any:
    """The :class:`~sdmodels.compiler.CompiledModel` of a model file (with the files of its data
    variables), once per process: the registered model's kernel where the driver registered one."""
    kernel = _KERNELS.get((_key(sha256, data_files), path))
    if kernel is not None:
        return kernel
    with _LOCK:  # one compile at a time: two threads never build the same kernel twice
        return compile_model(local_model_file(path, sha256, content),
                             data_files=list(data_files) or None)


def loaded_model(
    path: str, sha256: str, content: bytes | None, loader: Callable[..., Any],
    data_files: tuple[str, ...] = (),
) -> Any:
    """The loaded model of a model file (``loader(file)``, e.g. :class:`sdmodels.Model`; with
    ``data_files=`` where the model has files of data variables), once per process. ``content``
    may be ``None`` where ``path`` is known to hold the file."""

    def load(file: Path) -> Any:
        return loader(file, data_files=list(data_files)) if data_files else loader(file)

    key = _key(sha256, data_files)
    if content is None:
        return _once(_MODELS, key, lambda: load(Path(path)))
    return _once(_MODELS, key, lambda: load(local_model_file(path, sha256, content)))
