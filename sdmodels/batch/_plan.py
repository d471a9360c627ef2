"""Plan a batch on the driver: resolve and validate it, fix the result's shape, cut it in chunks.

:func:`plan_batch` resolves and validates the parameters, runs the first sample to fix the result's
variables, saved times, coordinates and attrs, splits the samples into chunks and makes the
picklable task that runs one chunk anywhere (:class:`~sdmodels.batch.BatchTask`). The plan's
fingerprint says which run a result store belongs to, so that only that run can resume it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import DEFAULT_ENGINE, Engine, check_positive_int, renamed_option
from sdmodels.batch._compiled import (
    compiled_columns,
    dataset_from_arrays,
    memory_chunk,
    saved_times,
)
from sdmodels.batch._params import choose_engine, per_sample, resolve_columns, resolve_params
from sdmodels.batch._pysd import run_pysd
from sdmodels.batch._registry import register
from sdmodels.batch._store import ChunkLayout
from sdmodels.batch._task import BatchTask
from sdmodels.compiler import NOISE_KEY, noise_keys, uses_random
from sdmodels.compiler._external import data_files_digest
from sdmodels.errors import SDModelsError
from sdmodels.results import annotate, describe_value, provenance, select_years

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["BatchPlan", "default_chunk_size", "fingerprint", "keep_years", "plan_batch", "time_indices"]

#: Without ``chunk_size``: about this many chunks, so that a cluster's workers share the work ...
_TARGET_CHUNKS = 64
#: ... but not smaller than this many samples, so that each task is worth shipping.
_MIN_CHUNK = 256


@dataclass(frozen=True)
class BatchPlan:
    """Everything needed to run a batch in chunks, made once on the driver.

    Attributes
    ----------
    task
        The picklable function that runs one chunk: ``task(varying_rows, n) -> {name: array}``.
    varying
        Per-sample values by Python name (first axis: sample).
    layout
        Samples and chunk size.
    template
        The result of the first sample (saved times already selected): the variables,
        coordinates and attrs every chunk's result must fit.
    columns
        The streamed outputs.
    fingerprint
        SHA-256 of model, engine, scenario, parameters, outputs, kept times and chunk size: a
        store can only be resumed by the run that made it.
    """

    task: Any
    varying: Mapping[str, np.ndarray]
    layout: ChunkLayout
    template: xr.Dataset
    columns: tuple[str, ...]
    fingerprint: str

    def chunk_args(self, i: int) -> tuple[dict[str, np.ndarray], int]:
        """The arguments of chunk ``i``: its rows of the varying parameters and its length."""
        lo, hi = self.layout.bounds(i)
        return {py: v[lo:hi] for py, v in self.varying.items()}, hi - lo


def _digest(h: Any, value: Any) -> None:
    if isinstance(value, pd.Series):
        _digest(h, value.index.to_numpy(dtype=float))
        _digest(h, value.to_numpy(dtype=float))
    elif isinstance(value, xr.DataArray):
        for dim in value.dims:
            _digest(h, np.asarray(value[dim].values))
        _digest(h, value.values)
    elif isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    else:
        h.update(repr(value).encode())


def fingerprint(*parts: Any) -> str:
    """SHA-256 over ``parts`` (mappings key by key in sorted order; arrays, Series and
    DataArrays by dtype, shape, coordinates and bytes; anything else by ``repr``).

    Examples
    --------
    >>> fingerprint({"b": 1, "a": 2}) == fingerprint({"a": 2, "b": 1})
    True
    """
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Mapping):
            for key in sorted(part):
                h.update(str(key).encode())
                _digest(h, part[key])
        else:
            _digest(h, part)
        h.update(b"\x00")
    return h.hexdigest()


def default_chunk_size(n: int, engine_chunk: int) -> int:
    """About :data:`_TARGET_CHUNKS` chunks of at least :data:`_MIN_CHUNK` samples, never more
    than the engine's memory-bounded chunk. Depends on ``n`` and the model only (not on the
    cluster), so that a run can be resumed on another cluster."""
    return int(max(1, min(engine_chunk, max(_MIN_CHUNK, -(-n // _TARGET_CHUNKS)))))


#: PySD runs one sample at a time (about a second each on the NHS model): small chunks keep
#: progress bars moving and spread the work over a cluster's workers.
_PYSD_CHUNK = 4


def _first_sample(
    model: Model, chosen: str, params: Mapping[str, Any], columns: list[str] | None
) -> tuple[xr.Dataset, tuple[str, ...]]:
    """Run the first sample with the chosen engine: its Dataset (dims ``sample`` of length 1,
    ``time``, subscripts) and the names of the outputs every chunk returns."""
    if chosen == "pysd":
        one = run_pysd(model, params, columns)
        names = tuple(str(v) for v in one.data_vars)
        return one.expand_dims(sample=1).transpose("sample", "time", ...), names
    cm = model.compiled()
    names = tuple(compiled_columns(cm, columns))
    arrays = cm.run(dict(params), 1, return_columns=list(names))
    ds = dataset_from_arrays(arrays, saved_times(cm, params), cm.dims, sample=True)
    return ds, names


def time_indices(saved: np.ndarray, years: Iterable[float] | str | None) -> tuple[int, ...] | None:
    """Indices of the saved times kept for ``years``: ``None`` or ``"all"`` (every saved time),
    ``"whole"`` (saved times on whole years) or years (the nearest saved time to each).

    Raises
    ------
    SDModelsError
        A year outside the saved times, or an unknown option.
    """
    if years is None:
        return None
    if isinstance(years, str):
        if years == "all":
            return None
        if years != "whole":
            raise SDModelsError(f"years must be a list of years, 'all' or 'whole', got {years!r}")
        whole = np.flatnonzero(np.isclose(saved, np.round(saved)))
        return tuple(int(i) for i in whole) if len(whole) else None
    index = xr.Dataset(coords={"time": saved}).assign(i=("time", np.arange(len(saved))))
    return tuple(int(i) for i in select_years(index, years)["i"].values)


def keep_years(ds: xr.Dataset, years: Iterable[float] | str | None) -> xr.Dataset:
    """``ds`` at the saved years kept: ``None``/``"all"`` (every saved time), ``"whole"`` or years
    (the nearest saved time to each; years outside the saved times are refused).

    Examples
    --------
    >>> ds = xr.Dataset({"x": ("time", [1.0, 2.0, 3.0])}, coords={"time": [0.0, 0.5, 1.0]})
    >>> keep_years(ds, "whole")["time"].values.tolist(), keep_years(ds, [0.4])["x"].values.tolist()
    ([0.0, 1.0], [2.0])
    """
    times = time_indices(ds["time"].values, years)
    return ds if times is None else ds.isel(time=list(times))


def plan_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scenario: str | Scenario | None = None,
    engine: Engine = DEFAULT_ENGINE,
    outputs: Sequence[str] | None = None,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    years: Iterable[float] | str | None = None,
    chunk_default: str = "spread",
    return_columns: Sequence[str] | None = None,
    noise_seed: int = 0,
) -> BatchPlan:
    """Resolve and validate a batch on the driver and split it into chunks.

    Parameters are those of :meth:`sdmodels.Model.run_batch`, and:

    years
        Keep only these saved times: ``None`` or ``"all"`` (every one), ``"whole"`` (those on
        whole years) or years (the nearest saved time to each). Chunks are cut down where they
        run, so only what is kept travels and is held.
    chunk_default
        Without ``chunk_size``: ``"spread"`` (about 64 chunks, for a cluster's workers, progress
        bars and stores) or ``"memory"`` (as large as the engine's memory budget allows, for an
        in-memory run in this process).
    noise_seed
        Seed of the model's random functions (RANDOM UNIFORM, ...): sample ``i`` draws from the
        stream of ``(noise_seed, i)`` in either engine, whatever chunk runs it.

    Raises
    ------
    SDModelsError
        Invalid parameters or options (as :meth:`sdmodels.Model.run_batch` raises them).
    """
    if chunk_size is not None:
        check_positive_int(chunk_size, "chunk_size", error=ValueError)
    sc = model.scenario(scenario)
    base = resolve_params(model, sc, None, allow_out_of_range)
    batch, n = per_sample(model, params, allow_out_of_range)
    outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                             where="plan_batch")
    columns = resolve_columns(model, outputs, context="outputs")
    chosen = choose_engine(model, engine, runs=n)
    varying = {py: v for py, v in batch.items() if isinstance(v, np.ndarray)
               and v.ndim > np.ndim(model.variables[py].value)}
    shared = {**base, **{py: v for py, v in batch.items() if py not in varying}}
    # The first sample fixes variables, saved times, coordinates and attrs of the result.
    first, names = _first_sample(model, chosen, {**shared, **{py: v[0] for py, v in varying.items()}},
                                 columns)
    n_saved = first.sizes["time"]  # what the kernel produces, before any years are cut
    times = time_indices(first["time"].values, years)
    if times is not None:
        first = first.isel(time=list(times))
    scalar_varying = [py for py, v in varying.items() if v.ndim == 1]
    if scalar_varying:
        first["design"] = xr.DataArray(
            np.array([[varying[py][0] for py in scalar_varying]]),
            dims=("sample", "parameter"),
            coords={"parameter": scalar_varying},
            attrs={"long_name": "per-sample parameter values",
                   "names": json.dumps({py: model.variables[py].name for py in scalar_varying})},
        )
    # the overrides shared by every sample, whole, so that the run can be repeated from its file
    fixed = {py: describe_value(v) for py, v in batch.items() if py not in varying}
    first.attrs = provenance(
        model, engine=chosen, scenarios=json.dumps({sc.name: sc.to_dict()}, sort_keys=True),
        scenario=sc.name, n_samples=n,
        params=json.dumps(fixed, sort_keys=True) if fixed else None,
    )
    template = annotate(first, model)
    if uses_random(model.path):  # each sample's random stream travels with its chunk
        varying[NOISE_KEY] = noise_keys(noise_seed, np.arange(n))
    if chunk_size:
        size = int(chunk_size)
    elif chosen == "pysd":
        size = _PYSD_CHUNK
    else:
        cm = model.compiled()
        engine_chunk = memory_chunk(n, n_saved, len(names), len(cm.defaults))
        size = engine_chunk if chunk_default == "memory" else default_chunk_size(n, engine_chunk)
    layout = ChunkLayout(n=n, size=min(size, n))
    register(model, compiled=chosen == "compiled")
    task = BatchTask(
        model_path=str(model.path),
        model_sha256=model.hash,
        model_bytes=Path(model.path).read_bytes(),
        shared=shared,
        columns=names,
        engine=chosen,
        times=times,
        loader=type(model),
        data_files=tuple(str(f) for f in getattr(model, "data_files", ())),
    )
    run_fingerprint = fingerprint(
        model.hash + data_files_digest(getattr(model, "data_files", ())), chosen,
        json.dumps(sc.to_dict(), sort_keys=True, default=str), shared, varying,
        names, times, layout.n, layout.size,
    )
    return BatchPlan(task=task, varying=varying, layout=layout, template=template,
                     columns=names, fingerprint=run_fingerprint)
