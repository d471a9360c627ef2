"""One entry point to run a model: ``engine="compiled" | "pysd" | "auto"``.

PySD runs one scenario at a time and is the reference semantics; the compiled engine
(:mod:`sdmodels.compiler`) integrates a batch of samples at once. ``"auto"`` uses the compiled engine
wherever the model is supported and falls back to PySD, with one warning saying why, where it is not.
Both return Datasets following :mod:`sdmodels.results`.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels.errors import EngineFallbackWarning, SDModelsError
from sdmodels.model import CONTROL_NAMES, Engine
from sdmodels.results import annotate, provenance

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["choose_engine", "progress_bar", "resolve_params", "run_batch", "run_scenarios"]

_ENGINES = ("auto", "compiled", "pysd")
#: Rough working-memory budget of one chunk of the compiled engine.
_CHUNK_BYTES = 256 * 2**20


def choose_engine(model: Model, engine: Engine) -> str:
    """Return ``"compiled"`` or ``"pysd"`` for ``engine``; warn once per model on fallback."""
    if engine not in _ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(_ENGINES)}")
    if engine == "pysd":
        return "pysd"
    from sdmodels.compiler import UnsupportedFeature

    try:
        model.compiled()
    except UnsupportedFeature as exc:
        if engine == "compiled":
            raise
        if not model._warned_fallback:
            model._warned_fallback = True
            warnings.warn(
                f"{model.path.name}: the compiled engine does not support this model ({exc}); "
                "running it with PySD instead, one scenario at a time",
                EngineFallbackWarning,
                stacklevel=4,
            )
        return "pysd"
    return "compiled"


def _allowed(model: Model, allow: bool | Iterable[str]) -> tuple[bool, set[str]]:
    if isinstance(allow, bool):
        return allow, set()
    return False, {model.resolve_parameter(n, context="allow_out_of_range") for n in allow}


def _is_time_series(value: Any) -> bool:
    return isinstance(value, pd.Series) or (
        isinstance(value, xr.DataArray) and "time" in value.dims
    )


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
    """
    allow_all, allowed = _allowed(model, allow_out_of_range)
    merged = scenario.to_params(model, allow_out_of_range=allow_all)
    for name, value in (params or {}).items():
        py = model.resolve_parameter(name, context="params")
        info = model.parameters.get(py) or model.controls[py]
        values = value.values if _is_time_series(value) else value
        info.check(values, allow_out_of_range=allow_all or py in allowed, context="params")
        merged[py] = value
    return merged


def _return_columns(model: Model, return_columns: Sequence[str] | None) -> list[str] | None:
    if return_columns is None:
        return None
    if isinstance(return_columns, str):
        return_columns = [return_columns]
    return [model.resolve(c, what="variable", context="return_columns") for c in return_columns]


# ---------------------------------------------------------------------------- PySD
def _pysd_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split overrides into PySD ``params`` and run keywords for control variables."""
    run_kwargs: dict[str, Any] = {}
    pysd_params: dict[str, Any] = {}
    for py, value in params.items():
        if py == "initial_time":
            run_kwargs["initial_condition"] = (float(value), {})
        elif py in CONTROL_NAMES:
            run_kwargs[py] = float(value)
        elif isinstance(value, xr.DataArray) and "time" in value.dims:
            pysd_params[py] = value.to_series()
        else:
            pysd_params[py] = value
    return pysd_params, run_kwargs


def _run_pysd(model: Model, params: Mapping[str, Any], columns: list[str] | None) -> xr.Dataset:
    pysd_params, run_kwargs = _pysd_params(params)
    pm = model.pysd
    for py, value in list(pysd_params.items()):
        if isinstance(value, np.ndarray) and value.ndim > 0:
            default = getattr(pm.components, py)()
            pysd_params[py] = xr.DataArray(value.reshape(default.shape), coords=default.coords,
                                           dims=default.dims)
    with warnings.catch_warnings():
        # asking for a time series is the point of passing one: PySD's notice adds nothing
        warnings.filterwarnings(
            "ignore", message="Replacing a constant value with a time-dependent value",
            category=UserWarning,
        )
        df = pm.run(
            params=pysd_params,
            return_columns=columns,
            reload=True,
            flatten_output=False,
            **run_kwargs,
        )
    data: dict[str, xr.DataArray] = {}
    times = np.asarray(df.index, dtype=float)
    for col in df.columns:
        py = model.resolve(col)
        if py in CONTROL_NAMES or (columns is None and model.variables[py].kind == "lookup"):
            continue
        cells = df[col].to_numpy()
        first = cells[0]
        if isinstance(first, xr.DataArray):
            stacked = np.stack([np.asarray(c.values, dtype=float) for c in cells])
            data[py] = xr.DataArray(
                stacked,
                dims=("time", *first.dims),
                coords={**{d: first.coords[d].values for d in first.dims}, "time": times},
            )
        else:
            data[py] = xr.DataArray(cells.astype(float), dims=("time",), coords={"time": times})
    return xr.Dataset(data)


# ---------------------------------------------------------------------------- compiled
def _dataset_from_arrays(
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


def _compiled_columns(cm: Any, columns: list[str] | None) -> list[str]:
    """The requested outputs; by default every model variable, as PySD returns them."""
    if columns is not None:
        return columns
    return [py for py in cm.outputs if py not in CONTROL_NAMES]


def _saved_times(cm: Any, params: Mapping[str, Any]) -> np.ndarray:
    """The saved times of the compiled model under any overridden control variables."""
    controls = {py: float(v) for py, v in params.items() if py in CONTROL_NAMES}
    return np.asarray(cm.saved_times(**controls), dtype=float)


def _run_compiled_single(model: Model, params: Mapping[str, Any],
                         columns: list[str] | None) -> xr.Dataset:
    cm = model.compiled()
    out = cm.run(dict(params), 1, return_columns=_compiled_columns(cm, columns))
    return _dataset_from_arrays(out, _saved_times(cm, params), cm.dims, sample=False)


# ---------------------------------------------------------------------------- public
def _progress(enabled: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )


@contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Any]:
    """A rich progress bar over ``total`` steps; yields ``advance(n=1)``. Silent if not enabled."""
    with _progress(enabled) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def run_scenarios(
    model: Model,
    scenario: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    engine: Engine = "auto",
    return_columns: Sequence[str] | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    progress: bool = False,
) -> xr.Dataset:
    """Run one scenario or a list of them; see :meth:`sdmodels.Model.run`."""
    many = isinstance(scenario, list | tuple)
    scenarios = [model.scenario(s) for s in (scenario if many else [scenario])]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise SDModelsError(f"scenario names must be unique, got {names}")
    columns = _return_columns(model, return_columns)
    resolved = [resolve_params(model, s, params, allow_out_of_range) for s in scenarios]
    chosen = choose_engine(model, engine)
    results = []
    with progress_bar(progress and len(scenarios) > 1, len(scenarios), "scenarios") as advance:
        for merged in resolved:
            if chosen == "compiled":
                results.append(_run_compiled_single(model, merged, columns))
            else:
                results.append(_run_pysd(model, merged, columns))
            advance()
    definitions = {s.name: s.to_dict() for s in scenarios}
    if many:
        ds = xr.concat(results, dim="scenario", join="exact")
        ds = ds.assign_coords(scenario=np.array(names, dtype=str))
    else:
        ds = results[0].assign_coords(scenario=names[0])
    ds.attrs = provenance(
        model,
        engine=chosen,
        scenarios=json.dumps(definitions, sort_keys=True),
        params=json.dumps({k: _describe(v) for k, v in (params or {}).items()}, sort_keys=True),
    )
    return annotate(ds, model)


def _describe(value: Any) -> Any:
    if isinstance(value, pd.Series | xr.DataArray):
        return f"time series ({len(value)} points)"
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _per_sample(
    model: Model, params: Mapping[str, Any], allow_out_of_range: bool | Iterable[str]
) -> tuple[dict[str, Any], int]:
    """Resolve batch params; return them by Python name and the number of samples N."""
    allow_all, allowed = _allowed(model, allow_out_of_range)
    resolved: dict[str, Any] = {}
    n: int | None = None
    first: str | None = None
    for name, value in params.items():
        py = model.resolve_parameter(name, context="params")
        info = model.parameters.get(py) or model.controls[py]
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


def _default_chunk(n: int, n_time: int, n_columns: int, n_state: int) -> int:
    per_sample = 8 * (n_time * n_columns + 8 * max(n_state, 1))
    return int(max(1, min(n, max(1024, _CHUNK_BYTES // per_sample))))


def run_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scenario: Any = None,
    engine: Engine = "compiled",
    return_columns: Sequence[str] | None = None,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    progress: bool = False,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> xr.Dataset:
    """Run a batch of samples; see :meth:`sdmodels.Model.run_batch`.

    Every batch runs chunk by chunk through :func:`sdmodels.batch.run_batch`: in this
    process and into memory by default, on a dask cluster with ``scheduler`` (a scheduler
    address, ``"local:N"`` or a dask Client), into a zarr or netCDF store with ``out``. The
    values are the same in every case.
    """
    from sdmodels.batch import run_batch as run_chunked

    return run_chunked(model, params, scheduler=scheduler, out=out, resume=resume,
                       scenario=scenario, engine=engine, return_columns=return_columns,
                       chunk_size=chunk_size, allow_out_of_range=allow_out_of_range,
                       progress=progress)
