"""Resolve and validate what a run is given: parameters, outputs, the engine.

Every run (single scenarios, batches, analyses) resolves its inputs here, against the model:
names by Vensim or Python name, values against their declared ranges, per-sample arrays against
one common length N.
"""

from __future__ import annotations

import re
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import CONTROL_NAMES, ENGINES, Engine
from sdmodels._diagnose import algebraic_loop_error
from sdmodels.compiler import UnsupportedFeature
from sdmodels.errors import EngineFallbackWarning, SDModelsError

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = [
    "AUTO_LONG_COMPILE_SECONDS",
    "choose_engine",
    "compile_outweighs_run",
    "estimated_pysd_seconds",
    "per_sample",
    "resolve_columns",
    "resolve_outputs",
    "resolve_params",
]

#: Models already warned that they fall back to PySD (one warning per model object).
_WARNED: weakref.WeakSet[Any] = weakref.WeakSet()

#: PySD's CPU time per run and per element and integration step, for choosing an engine: the NHS
#: model took 0.47 CPU-s a run (486 elements, 512 steps: 1.9 us per element-step) and the 10-element
#: models/tests/ishigami.mdl 7 ms, measured 2 December 2026 on the 2-core development machine
#: (benchmarks/bench_startup.py prints both). Assumption: other models' elements cost about as much;
#: subscripted ones cost more (xarray), which only makes PySD look faster than it is.
PYSD_SECONDS_PER_RUN = 0.007
PYSD_SECONDS_PER_ELEMENT_STEP = 1.9e-6
#: ``engine="auto"`` runs PySD instead of compiling when the compile would take longer than this
#: and longer than the run takes with PySD. Assumption: a minute is long enough that no
#: interactive user wants to wait for it when PySD answers sooner; models below it compile.
AUTO_LONG_COMPILE_SECONDS = 60.0


def estimated_pysd_seconds(model: Model, cm: Any, runs: int) -> float:
    """Estimated CPU seconds of ``runs`` runs of ``model`` with PySD (``cm``: its compiled model,
    for the control variables)."""
    ctl = cm.controls
    steps = max(1.0, (ctl["final_time"] - ctl["initial_time"]) / ctl["time_step"])
    per_run = PYSD_SECONDS_PER_RUN + PYSD_SECONDS_PER_ELEMENT_STEP * len(model.variables) * steps
    return runs * per_run


def compile_outweighs_run(model: Model, cm: Any, runs: int, *, longer_than: float) -> bool:
    """Whether compiling ``cm``'s kernel (its machine code not cached) would take longer than
    ``longer_than`` seconds and longer than ``runs`` runs take with PySD."""
    if cm.jit_cached:
        return False
    jit = cm.estimated_jit_seconds
    return jit > longer_than and jit > estimated_pysd_seconds(model, cm, runs)


def choose_engine(model: Model, engine: Engine, *, runs: int | None = None) -> str:
    """Return ``"compiled"`` or ``"pysd"`` for ``engine``; warn once per model on fallback.

    With ``runs`` (how many runs the call makes), ``"auto"`` also runs PySD when the kernel's
    machine code is not cached and compiling it would take longer than
    :data:`AUTO_LONG_COMPILE_SECONDS` and than the runs take with PySD.

    Raises
    ------
    ValueError
        An unknown engine.
    sdmodels.compiler.UnsupportedFeature
        ``engine="compiled"`` for a model the compiler does not support.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "pysd":
        return "pysd"
    try:
        cm = model.compiled()
    except UnsupportedFeature as exc:

        loop = algebraic_loop_error(exc, model.path)
        if loop is not None:  # PySD cannot run it either: no fallback
            raise loop from None
        if not exc.pysd_runs:  # neither can it run a function it does not implement
            raise
        if engine == "compiled":
            raise
        missing = _pysd_lacks(model)
        if missing:
            used = f" (used by element {exc.element!r})" if exc.element else ""
            raise UnsupportedFeature(
                " and ".join(missing), None, str(model.path),
                f"the compiled engine runs {'them' if len(missing) > 1 else 'it'} but not "
                f"{exc.function}{used}", pysd_runs=False) from None
        if model not in _WARNED:
            _WARNED.add(model)
            warnings.warn(
                f"{model.path.name}: the compiled engine does not support this model ({exc}); "
                "running it with PySD instead, one scenario at a time",
                EngineFallbackWarning,
                stacklevel=4,
            )
        return "pysd"
    if (engine == "auto" and runs is not None
            and compile_outweighs_run(model, cm, runs, longer_than=AUTO_LONG_COMPILE_SECONDS)):
        if model not in _WARNED:
            _WARNED.add(model)
            warnings.warn(
                f"{model.path.name}: compiling its kernel would take about "
                f"{cm.estimated_jit_seconds:.0f} s, longer than these {runs} run(s) with PySD "
                f"(about {estimated_pysd_seconds(model, cm, runs):.0f} s): running them with "
                f"PySD; `sdmodels compile {model.path.name}` compiles the kernel once for later "
                "runs (or give engine='compiled')",
                EngineFallbackWarning,
                stacklevel=4,
            )
        return "pysd"
    cm.load()  # the kernel module and numba: an import error shows here, before any run
    return "compiled"


_NOT_IMPLEMENTED = re.compile(r"not_implemented_function\(\s*['\"](\w+)['\"]")


def _pysd_lacks(model: Model) -> list[str]:
    """The functions the model calls that PySD does not implement (its translation calls
    ``not_implemented_function`` for them, which fails when the model runs)."""
    try:
        text = model._py_file.read_text(encoding="utf-8")
    except (OSError, AttributeError):
        return []
    return sorted({m.upper().replace("_", " ") for m in _NOT_IMPLEMENTED.findall(text)})


def _allowed(model: Model, allow: bool | Iterable[str]) -> tuple[bool, set[str]]:
    if isinstance(allow, bool):
        return allow, set()
    return False, {model.resolve_parameter(n, context="allow_out_of_range") for n in allow}


def _is_time_series(value: Any) -> bool:
    return isinstance(value, pd.Series) or (
        isinstance(value, xr.DataArray) and "time" in value.dims
    )


def _once(given_as: dict[str, str], py: str, name: str, vensim: str) -> None:
    """Refuse a parameter that ``params`` gives under two names (the last would win silently)."""
    if py in given_as:
        raise SDModelsError(
            f"params: {given_as[py]!r} and {name!r} both set {vensim!r}; give each parameter once"
        )
    given_as[py] = name


def resolve_params(
    model: Model,
    scenario: Scenario,
    params: Mapping[str, Any] | None,
    allow_out_of_range: bool | Iterable[str] = False,
) -> dict[str, Any]:
    """Scenario overrides plus ``params``, by Python name, validated against the model.

    Raises
    ------
    UnknownNameError
        A name the model does not define.
    ParameterRangeError
        A value outside its declared range that is not allowed.
    SDModelsError
        A parameter given twice in ``params`` (by two of its names).
    """
    allow_all, allowed = _allowed(model, allow_out_of_range)
    merged = scenario.to_params(model, allow_out_of_range=allow_all)
    given_as: dict[str, str] = {}
    for name, value in (params or {}).items():
        py = model.resolve_parameter(name, context="params")
        info = model.parameters.get(py) or model.controls[py]
        _once(given_as, py, name, info.name)
        values = value.values if _is_time_series(value) else value
        info.check(values, allow_out_of_range=allow_all or py in allowed, context="params")
        merged[py] = value
    return merged


def resolve_columns(model: Model, columns: Sequence[str] | None,
                    context: str = "return_columns") -> list[str] | None:
    """Python names of the outputs asked for (``None``: every variable)."""
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    return [model.resolve(c, what="variable", context=context) for c in columns]


def resolve_outputs(model: Model, outputs: Sequence[str] | None) -> list[str]:
    """Python names of the outputs an analysis keeps: ``outputs``, or the model's key outputs.

    Raises
    ------
    SDModelsError
        No outputs given and the model has no key outputs.
    """
    names = list(outputs) if outputs else list(model.key_outputs)
    if not names:
        raise SDModelsError(
            f"{model.path.name} has no default key outputs; choose outputs to analyse "
            "(outputs=[...] or --output NAME)"
        )
    resolved = [model.resolve(name, what="output") for name in names]
    return list(dict.fromkeys(resolved))


def per_sample(
    model: Model, params: Mapping[str, Any], allow_out_of_range: bool | Iterable[str]
) -> tuple[dict[str, Any], int]:
    """Resolve batch params; return them by Python name and the number of samples N.

    Raises
    ------
    SDModelsError
        Arrays of different lengths, a per-sample control variable, or a parameter given
        twice (by two of its names).
    """
    allow_all, allowed = _allowed(model, allow_out_of_range)
    resolved: dict[str, Any] = {}
    n: int | None = None
    first: str | None = None
    given_as: dict[str, str] = {}
    for name, value in params.items():
        py = model.resolve_parameter(name, context="params")
        info = model.parameters.get(py) or model.controls[py]
        _once(given_as, py, name, info.name)
        if _is_time_series(value):
            info.check(np.asarray(value.values, dtype=float),
                       allow_out_of_range=allow_all or py in allowed, context="params")
            resolved[py] = value
            continue
        arr = np.asarray(value, dtype=float)
        info.check(arr, allow_out_of_range=allow_all or py in allowed, context="params")
        scalar_shape = np.shape(info.value)
        if arr.ndim > len(scalar_shape):
            if py in CONTROL_NAMES:
                raise SDModelsError(
                    f"{info.name!r} sets the time grid and cannot vary per sample; give one number"
                )
            if n is None:
                n, first = arr.shape[0], info.name
            elif arr.shape[0] != n:
                raise SDModelsError(
                    f"parameter {info.name!r} has {arr.shape[0]} values but {first!r} has {n}: "
                    "arrays in one batch must all have the same length N (or be scalars)"
                )
        resolved[py] = arr if arr.ndim else float(arr)
    return resolved, (n or 1)
