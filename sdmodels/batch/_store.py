"""Stream results chunk by chunk into a zarr store or a netCDF file that knows if it is complete.

A run writes to ``<out>.partial`` (a zarr folder or a netCDF file). At creation the store holds the
coordinates, the per-sample design, the provenance attrs, empty (NaN) output arrays,
``attrs["complete"] = False`` and a per-chunk done mask (variable ``chunk_done``, dim ``chunk``).
Each finished chunk is written into its own slice of the output arrays and only then marked done.
After the last chunk, ``complete`` becomes true and the store is renamed to ``<out>``. So:

* ``<out>`` only ever holds a complete result;
* an interrupted run leaves ``<out>.partial``, which says it is incomplete and which chunks are done;
* resuming runs only the chunks not marked done (a chunk written but not yet marked is run again and
  overwrites the same slice, so no sample is lost or duplicated).

Only the driver writes, so the store needs no locking of its own and works for any cluster (no
shared filesystem needed between workers). Every call into the netCDF library holds xarray's lock of
the netCDF-C and HDF5 libraries (neither is thread-safe): xarray takes it around its own calls, and
a file xarray opened lazily may be closed by the garbage collector on any thread (a dask or progress
bar thread), which would otherwise run inside one of this module's writes and corrupt HDF5's state.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import netCDF4
import numpy as np
import xarray as xr
from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK

from sdmodels._common import raise_if_interrupted
from sdmodels.errors import ResultWriteError, SDModelsError
from sdmodels.results import netcdf_safe, replace_dir, result_format

__all__ = [
    "STORE_ATTRS",
    "ChunkLayout",
    "IncompatibleStoreError",
    "OutputSpec",
    "ResultStore",
    "StoreStatus",
    "open_result",
    "output_specs",
    "partial_path",
    "store_status",
]

_DONE = "chunk_done"
#: Held around every netCDF4 call of this module: the lock xarray holds around its own.
_NETCDF_LOCK = NETCDF4_PYTHON_LOCK
#: Attrs a store adds to those of the result it holds: how the run was split and which run it is.
STORE_ATTRS = ("complete", "chunk_size", "n_chunks", "run_fingerprint")
#: Zarr format 2: read by every zarr and xarray version, with consolidated metadata (so that
#: ``xarray.open_zarr`` opens the store quietly) and fixed-width string coordinates (parameter and
#: subscript names), which format 3 does not specify yet.
_ZARR_FORMAT = 2


class IncompatibleStoreError(SDModelsError, ValueError):
    """A partial store was made by a different run and cannot be resumed by this one."""


@dataclass(frozen=True)
class ChunkLayout:
    """``n`` samples in chunks of ``size`` (the last one may be shorter).

    With ``groups``, the arrays have a leading axis of that length before ``sample`` (the
    scenarios of a Monte Carlo result); each group is split into the same sample chunks, and
    chunk ``i`` is sample chunk ``i % per_group`` of group ``i // per_group``.

    Examples
    --------
    >>> layout = ChunkLayout(n=10, size=4)
    >>> layout.n_chunks, layout.bounds(2), layout.region(2)
    (3, (8, 10), (slice(8, 10, None),))
    >>> ChunkLayout(n=10, size=4, groups=2).region(4)
    (1, slice(4, 8, None))
    """

    n: int
    size: int
    groups: int | None = None

    @property
    def per_group(self) -> int:
        """Sample chunks in each group."""
        return -(-self.n // self.size)

    @property
    def n_chunks(self) -> int:
        return self.per_group * (self.groups or 1)

    def bounds(self, i: int) -> tuple[int, int]:
        """The sample range of chunk ``i``."""
        lo = (i % self.per_group) * self.size
        return lo, min(self.n, lo + self.size)

    def region(self, i: int) -> tuple[Any, ...]:
        """The index of chunk ``i`` in an output array."""
        lo, hi = self.bounds(i)
        if self.groups is None:
            return (slice(lo, hi),)
        return (i // self.per_group, slice(lo, hi))

    def array_chunks(self, shape: Sequence[int]) -> tuple[int, ...]:
        """Storage chunks of an output of this ``shape``: one chunk's samples, whole otherwise."""
        lead = 0 if self.groups is None else 1
        return (*(1,) * lead, min(self.size, shape[lead]), *shape[lead + 1:])


@dataclass(frozen=True)
class OutputSpec:
    """An output array streamed into the store: dims (``sample`` first, or second after the
    group axis), shape, dtype, attrs."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: str
    attrs: Mapping[str, Any]


@dataclass(frozen=True)
class StoreStatus:
    """What a result store says about itself.

    Attributes
    ----------
    path
        The store.
    complete
        Whether every chunk was written.
    done
        Per-chunk done mask.
    chunk_size
        Samples per chunk.
    fingerprint
        Identifies the run (model, design, options) that made the store.
    """

    path: Path
    complete: bool
    done: np.ndarray
    chunk_size: int
    fingerprint: str

    @property
    def missing(self) -> list[int]:
        """Indices of the chunks not yet written."""
        return [int(i) for i in np.flatnonzero(self.done == 0)]


def _format(path: Path) -> str:
    return result_format(Path(str(path).removesuffix(".partial")))


def partial_path(out: str | os.PathLike[str]) -> Path:
    """Where a run writing to ``out`` keeps its store until it is complete."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def _safe_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return dict(netcdf_safe(xr.Dataset(attrs=dict(attrs))).attrs)


def _decode_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(attrs.items()):
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                attrs[key] = json.loads(value)
    return attrs


def open_result(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a streamed result lazily (values are read from disk when used; dask is not needed).

    JSON-encoded provenance attrs are decoded, as :func:`sdmodels.results.open_dataset` does.
    """
    path = Path(path)
    if _format(path) == "zarr":
        ds = xr.open_dataset(path, engine="zarr", chunks=None, consolidated=True)
    else:
        ds = xr.open_dataset(path, engine="netcdf4", chunks=None)
    ds.attrs = _decode_attrs(dict(ds.attrs))
    return ds


def store_status(path: str | os.PathLike[str]) -> StoreStatus:
    """Read the completeness marker and done mask of a result store (final or ``.partial``).

    Raises
    ------
    ResultWriteError
        If ``path`` is not a store written by :class:`ResultStore`.
    """
    path = Path(path)
    try:
        ds = open_result(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ResultWriteError(f"{str(path)!r} is not a readable result store ({exc})") from None
    with ds:
        if _DONE not in ds and "run_fingerprint" not in ds.attrs and ds.attrs.get("analysis") \
                and not path.name.endswith(".partial"):
            # a finished Monte Carlo result: its bookkeeping was removed when it was completed
            return StoreStatus(path=path, complete=True, done=np.ones(0, dtype=np.uint8),
                               chunk_size=0, fingerprint="")
        if _DONE not in ds or "run_fingerprint" not in ds.attrs:
            raise ResultWriteError(
                f"{str(path)!r} was not written chunk by chunk (no {_DONE!r} mask); it cannot be "
                "checked or resumed"
            )
        return StoreStatus(
            path=path,
            complete=bool(ds.attrs.get("complete")),
            done=np.asarray(ds[_DONE].values, dtype=np.uint8),
            chunk_size=int(ds.attrs["chunk_size"]),
            fingerprint=str(ds.attrs["run_fingerprint"]),
        )


class ResultStore:
    """A zarr or netCDF store that receives chunks from the driver. Use :meth:`create`/:meth:`open`.

    Also a context manager: the netCDF file handle is closed on exit.
    """

    def __init__(self, path: Path, out: Path, layout: ChunkLayout, done: np.ndarray) -> None:
        self.path = path
        self.out = out
        self.layout = layout
        self.done = done
        self.format = _format(out)
        self._handle: Any = None
        self._open()

    # ------------------------------------------------------------------ lifecycle
    def _open(self) -> None:
        if self.format == "zarr":
            import zarr  # noqa: PLC0415 - optional dependency

            self._handle = zarr.open_group(self.path, mode="r+")
        else:
            with _NETCDF_LOCK:
                self._handle = netCDF4.Dataset(self.path, mode="a")

    def close(self) -> None:
        if self._handle is not None and self.format == "netcdf":
            with _NETCDF_LOCK:
                self._handle.close()
        self._handle = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def create(
        cls,
        out: str | os.PathLike[str],
        skeleton: xr.Dataset,
        outputs: Mapping[str, OutputSpec],
        layout: ChunkLayout,
        fingerprint: str,
    ) -> ResultStore:
        """Start a store at ``partial_path(out)``, replacing any partial store there.

        Parameters
        ----------
        out
            The final path (``.zarr`` or ``.nc``).
        skeleton
            Everything but the streamed outputs: coordinates, design, attrs.
        outputs
            The arrays to be filled chunk by chunk.
        layout
            How samples are split into chunks.
        fingerprint
            Identifies the run; a resume must present the same one.
        """
        out = Path(out)
        path = partial_path(out)
        fmt = _format(out)
        _remove(path)
        ds = skeleton.copy()
        ds[_DONE] = xr.DataArray(
            np.zeros(layout.n_chunks, dtype=np.uint8), dims=("chunk",),
            attrs={"long_name": "1 where the chunk's samples are written",
                   "chunk_size": layout.size},
        )
        ds.attrs.update(complete=False, chunk_size=layout.size, n_chunks=layout.n_chunks,
                        run_fingerprint=fingerprint)
        safe = netcdf_safe(ds)
        if fmt == "zarr":
            import zarr  # noqa: PLC0415 - optional dependency

            safe.attrs["complete"] = False  # a JSON boolean in zarr
            safe.to_zarr(path, mode="w", consolidated=True, zarr_format=_ZARR_FORMAT)
            group = zarr.open_group(path, mode="r+")
            for name, spec in outputs.items():
                chunks = layout.array_chunks(spec.shape)
                group.create_array(
                    name, shape=spec.shape, chunks=chunks, dtype=spec.dtype, fill_value=np.nan,
                    attributes={**_safe_attrs(spec.attrs), "_ARRAY_DIMENSIONS": list(spec.dims)},
                )
            zarr.consolidate_metadata(path)
        else:
            safe.to_netcdf(path, engine="netcdf4")
            with _NETCDF_LOCK, netCDF4.Dataset(path, mode="a") as nc:
                for name, spec in outputs.items():
                    chunks = layout.array_chunks(spec.shape)
                    var = nc.createVariable(name, spec.dtype, spec.dims, fill_value=np.nan,
                                            chunksizes=chunks)
                    var.setncatts(_safe_attrs(spec.attrs))
        return cls(path, out, layout, np.zeros(layout.n_chunks, dtype=np.uint8))

    @classmethod
    def open(cls, out: str | os.PathLike[str], fingerprint: str) -> ResultStore | None:
        """Reopen the partial store of ``out`` to resume it; ``None`` if there is none.

        Raises
        ------
        IncompatibleStoreError
            If the partial store was made by a run with another model, design or options.
        """
        out = Path(out)
        path = partial_path(out)
        if not path.exists():
            return None
        status = store_status(path)
        if status.fingerprint != fingerprint:
            raise IncompatibleStoreError(
                f"{str(path)!r} holds an interrupted run with a different model, design, "
                "scenario, outputs or chunk size; resume it with exactly the same inputs, or "
                "delete it (or run without resume) to start again"
            )
        layout = ChunkLayout(n=_n_samples(path), size=status.chunk_size)
        if layout.n_chunks != len(status.done):
            raise IncompatibleStoreError(
                f"{str(path)!r} has a chunk mask that does not fit its samples; delete it and "
                "run again"
            )
        return cls(path, out, layout, status.done.copy())

    # ------------------------------------------------------------------ writing
    @property
    def missing(self) -> list[int]:
        """Chunks not yet written."""
        return [int(i) for i in np.flatnonzero(self.done == 0)]

    def write(self, i: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write chunk ``i`` of every output (arrays with the chunk's samples first), then mark
        it done."""
        lo, hi = self.layout.bounds(i)
        region = self.layout.region(i)
        # read first: a lazily read array takes the netCDF lock itself (it is not reentrant)
        arrays = {name: np.asarray(arr) for name, arr in arrays.items()}
        for name, arr in arrays.items():
            if arr.shape[0] != hi - lo:
                raise SDModelsError(f"chunk {i} of {name!r} has {arr.shape[0]} rows, "
                                    f"expected {hi - lo}")
        with _NETCDF_LOCK if self.format == "netcdf" else contextlib.nullcontext():
            for name, arr in arrays.items():
                self._handle[name][region] = arr
            self._handle[_DONE][i] = 1
            if self.format == "netcdf":
                self._handle.sync()
        self.done[i] = 1

    def finalize(self) -> Path:
        """Mark the store complete and move it to its final path; return that path."""
        raise_if_interrupted()  # an interrupted run stays resumable, never marked complete
        if self.missing:
            raise SDModelsError(
                f"{str(self.path)!r}: {len(self.missing)} chunk(s) are not written yet"
            )
        if self.format == "zarr":
            import zarr  # noqa: PLC0415 - optional dependency

            self._handle.attrs["complete"] = True
            zarr.consolidate_metadata(self.path)
            self.close()
            replace_dir(self.path, self.out)
        else:
            with _NETCDF_LOCK:
                self._handle.setncattr("complete", 1)
            self.close()
            os.replace(self.path, self.out)
        return self.out


def _n_samples(path: Path) -> int:
    with open_result(path) as ds:
        return int(ds.sizes["sample"])


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def output_specs(
    template: xr.Dataset, names: Sequence[str], n: int
) -> dict[str, OutputSpec]:
    """Specs of the streamed outputs, from a one-sample template Dataset."""
    specs = {}
    for name in names:
        da = template[name]
        if da.dims[0] != "sample":
            da = da.transpose("sample", ...)
        specs[name] = OutputSpec(
            dims=tuple(str(d) for d in da.dims),
            shape=(n, *da.shape[1:]),
            dtype=str(da.dtype),
            attrs=dict(da.attrs),
        )
    return specs
