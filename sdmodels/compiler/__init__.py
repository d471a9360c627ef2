"""Compile a system dynamics model into a numba kernel that integrates a batch of samples.

The pipeline follows PySD's (translate -> abstract model -> build -> run):

1. :mod:`._translate` translates the model file with PySD and collects
   elements, PySD's Python names and subscript ranges;
2. :mod:`._builder` walks every equation's AST (:mod:`._expressions`,
   :mod:`._builtins`), ordering the resulting statements with
   :mod:`._dependencies`;
3. :mod:`._kernel` writes the generated module, which :mod:`._cache` stores on
   disk and imports (numba caches the machine code next to it);
4. :class:`CompiledModel` (:mod:`.runtime`) validates parameters, allocates the
   requested outputs and calls the kernel.

Examples
--------
>>> from sdmodels.compiler import compile_model          # doctest: +SKIP
>>> cm = compile_model("models/nhs_productivity.mdl")     # doctest: +SKIP
>>> out = cm.run({"growth": [0.01, 0.02]}, 2)             # doctest: +SKIP
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import tempfile
import time as _time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sdmodels._cachefile import verify
from sdmodels._common import gc_paused
from sdmodels.compiler._builder import ModelBuilder
from sdmodels.compiler._cache import (
    cache_dir,
    cache_key,
    check_numba_cache,
    import_module,
    module_path,
    write_module,
)
from sdmodels.compiler._errors import UnsupportedFeature
from sdmodels.compiler._external import data_file_digest, data_files_digest, resolve_data_files
from sdmodels.compiler._kernel import generate_source as _generate
from sdmodels.compiler._random import NOISE_KEY, noise_keys, pysd_seed, uses_random
from sdmodels.compiler._translate import collect, translate_file
from sdmodels.compiler.runtime import CompiledModel, ParameterValueError, time_grid
from sdmodels.errors import ModelLoadError

__all__ = [
    "NOISE_KEY",
    "CompiledModel",
    "ParameterValueError",
    "UnsupportedFeature",
    "compile_model",
    "generate_source",
    "kernel_metadata",
    "noise_keys",
    "pysd_seed",
    "time_grid",
    "uses_random",
]

_MEMORY: dict[str, CompiledModel] = {}


def _origin_hash(model: Any, data_files: tuple[Path, ...] = ()) -> tuple[str, str, Any]:
    """(content hash, display name, origin to recompile from)."""
    extra = data_files_digest(data_files).encode()
    if isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise ModelLoadError(f"model file {str(path)!r} does not exist; check the path")
        # the data files the model reads are part of its content: editing one compiles afresh
        digest = hashlib.sha256(path.read_bytes() + data_file_digest(path).encode()
                                + extra).hexdigest()
        return digest, path.name, path
    sections = getattr(model, "sections", None)
    if sections is None:
        raise TypeError(
            f"compile_model expects a model file path or a PySD AbstractModel, got {type(model).__name__}"
        )
    digest = hashlib.sha256(repr(sections).encode() + extra).hexdigest()
    name = Path(str(getattr(model, "original_path", "") or "model")).name
    return digest, name, model


def _data_files(model: Any, files: Any) -> tuple[Path, ...]:
    """``files`` resolved beside the model file (or the abstract model's original file)."""
    if files is None or (isinstance(files, tuple) and all(isinstance(f, Path) and f.is_absolute()
                                                          for f in files)):
        return files or ()
    where = (model if isinstance(model, (str, Path))
             else getattr(model, "original_path", "") or Path.cwd() / "model")
    return resolve_data_files(files, Path(where))


def generate_source(
    model: Any,
    *,
    timeseries: frozenset[str] = frozenset(),
    translation: Callable[[], Any] | None = None,
    data_files: Any = None,
) -> str:
    """Generate the kernel module source for a model file or ``AbstractModel``.

    ``translation`` (with a model file only) returns PySD's abstract model of that file, parsed
    already (the compiler may change it, so it must be a copy of its own): parsing a large model
    takes seconds, and :class:`sdmodels.Model` has done it once. ``data_files`` as for
    :func:`compile_model`.
    """
    with gc_paused():  # parsing and building allocate millions of objects kept to the end
        return _generate_source(model, timeseries=timeseries, translation=translation,
                                data_files=data_files)


def _generate_source(model: Any, *, timeseries: frozenset[str],
                     translation: Callable[[], Any] | None, data_files: Any) -> str:
    data_files = _data_files(model, data_files)
    digest, display, origin = _origin_hash(model, data_files)
    if not isinstance(origin, Path):
        abstract = origin
    else:
        abstract = translation() if translation is not None else None
        if abstract is None:
            abstract = translate_file(origin)
        else:  # parsed from a copy elsewhere: data files are still found beside this file
            abstract.original_path = origin
    info = collect(abstract, data_files)
    if isinstance(origin, Path):
        info.file = str(origin)
    plan = ModelBuilder(info, frozenset(timeseries)).build()
    key = cache_key(digest, variant=",".join(sorted(timeseries)))
    return _generate(plan, display_name=display, key=key)


def kernel_metadata(source: str) -> dict[str, Any]:
    """The ``METADATA`` of a generated kernel module, read from its source without running it
    (the module's last statement: ``METADATA = json.loads(<string literal>)``)."""
    head = "\nMETADATA = json.loads("
    start = source.rindex(head) + len(head)
    end = source.rindex(")")
    return json.loads(ast.literal_eval(source[start:end]))


def compile_model(
    model: Any,
    *,
    cache: bool = True,
    timeseries: frozenset[str] | set[str] = frozenset(),
    translation: Callable[[], Any] | None = None,
    data_files: Any = None,
) -> CompiledModel:
    """Compile a model (``.mdl``/``.xmile`` path or PySD ``AbstractModel``) into a batch kernel.

    Parameters
    ----------
    model
        Path of the model file, or the abstract model PySD translated from it.
    cache
        Reuse (and store) the generated module and machine code in the on-disk
        cache (``$SDMODELS_CACHE_DIR`` or the user cache directory). With
        ``False`` everything is generated afresh in a temporary directory.
    timeseries
        Python names of constants to be given as time series (a kernel
        variant; :meth:`CompiledModel.run` asks for it when needed).
    translation
        With a model file: a function returning a copy of PySD's abstract model of that file,
        called only if the kernel is generated, instead of parsing the file again (see
        :func:`generate_source`); it may return ``None`` to have the file parsed.
    data_files
        File (or files) holding the values of the model's data variables without an equation
        (``name :INTERPOLATE:`` …), as PySD's ``data_files``: ``.tab``/``.csv`` (a ``Time``
        column and a column per variable, ``name[cell]`` for subscripted ones) or ``.nc``; each
        found relative to the model file's folder unless absolute. Read once, here, with PySD's
        reader; their content is part of the cache key.

    Returns
    -------
    CompiledModel

    Raises
    ------
    UnsupportedFeature
        The model uses a function or construct the compiler does not support;
        the message names it, the element and the file.
    """
    t0 = _time.perf_counter()
    timeseries = frozenset(timeseries)
    data_files = _data_files(model, data_files)
    digest, _display, origin = _origin_hash(model, data_files)
    key = cache_key(digest, variant=",".join(sorted(timeseries)))
    if cache and key in _MEMORY:
        return _MEMORY[key]
    directory = cache_dir() if cache else Path(tempfile.mkdtemp(prefix="sdmodels_kernel_"))
    path = module_path(key, directory)
    what = f"compiled kernel of {_display}"
    hit = False
    if cache and path.is_file():
        hit = verify(path, what=what)  # a truncated or edited kernel is rebuilt (one warning)
    if not hit:
        source = generate_source(origin, timeseries=timeseries, translation=translation,
                                 data_files=data_files)
        write_module(path, source)
    else:
        check_numba_cache(path, what=what)
        source = path.read_text(encoding="utf-8")
    # the module (and numba with it) is imported when the kernel first runs: deciding to run
    # with PySD instead needs only its metadata
    cm = CompiledModel(
        lambda: import_module(path),
        metadata=kernel_metadata(source),
        module_path=path,
        origin=origin,
        cache_hit=hit,
        build_seconds=_time.perf_counter() - t0,
        # a time-series variant reads the same data files
        recompile=functools.partial(compile_model, data_files=data_files) if data_files else compile_model,
        source=source,
    )
    if cache:
        _MEMORY[key] = cm
    return cm
