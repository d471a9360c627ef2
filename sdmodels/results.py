"""Result conventions: labelled Datasets, provenance, summaries and atomic writing.

Every engine returns an :class:`xarray.Dataset` with dimension ``time`` (model years) plus
``scenario`` and/or ``sample`` as needed. Data variables are named by PySD Python name; each carries
``name`` (the Vensim name), ``units`` and ``doc`` attrs. The Dataset's attrs say how it was made:
model file and SHA-256, sdmodels/PySD/numba versions, engine, scenario definitions, seed and sampler.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import dependency_version, package_version, raise_if_interrupted
from sdmodels._lock import lock_output, release_output
from sdmodels._paths import sibling_temp_path
from sdmodels.errors import ResultWriteError, SDModelsError, UnknownNameError
from sdmodels.export import write_table

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = [
    "annotate",
    "check_writable",
    "describe_value",
    "netcdf_safe",
    "open_dataset",
    "provenance",
    "replace_dir",
    "result_format",
    "select_years",
    "sibling_temp_path",
    "summary_table",
    "write_dataset",
]

_FORMATS = {".nc": "netcdf", ".nc4": "netcdf", ".netcdf": "netcdf", ".zarr": "zarr"}
#: Tables for people to open, written at the end by :mod:`sdmodels.export` (never streamed into).
_TABLES = {".xlsx": "xlsx", ".csv": "csv", ".parquet": "parquet"}


def result_format(path: Path, *, tables: bool = False) -> str:
    """``"netcdf"`` or ``"zarr"`` (or, with ``tables``, ``"xlsx"``, ``"csv"``, ``"parquet"``),
    from the suffix of ``path``.

    Raises
    ------
    ResultWriteError
        An unknown suffix.
    """
    fmt = _FORMATS.get(path.suffix.lower()) or (_TABLES.get(path.suffix.lower()) if tables
                                                else None)
    if fmt is None:
        also = ", or .xlsx, .csv or .parquet for a table" if tables else ""
        raise ResultWriteError(
            f"cannot write results to {str(path)!r}: unknown format {path.suffix or '(no suffix)'!r}; "
            f"use a .nc (netCDF) or .zarr path{also}"
        )
    return fmt


def check_writable(path: str | os.PathLike[str], *, tables: bool = False) -> Path:
    """Check, before any simulation starts, that results can be written to ``path``.

    Parameters
    ----------
    path
        A ``.nc`` or ``.zarr`` path. Its folder must exist and be writable.
    tables
        Also accept the table formats of :mod:`sdmodels.export` (``.xlsx``, ``.csv``,
        ``.parquet``), which are written once at the end and never streamed into.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ResultWriteError
        Unknown format, missing or unwritable folder, or a path that is a folder (for .nc).
    """
    path = Path(path)
    fmt = result_format(path, tables=tables)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ResultWriteError(
            f"cannot write results to {str(path)!r}: folder {str(parent)!r} does not exist; "
            "create it first or choose another path"
        )
    if fmt != "zarr" and path.is_dir():
        raise ResultWriteError(f"cannot write results to {str(path)!r}: it is a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".sdmodels-check-"):
            pass
    except OSError as exc:
        raise ResultWriteError(
            f"cannot write results to {str(path)!r}: folder {str(parent)!r} is not writable "
            f"({exc.strerror}); choose a folder you can write to"
        ) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ResultWriteError(f"cannot overwrite {str(path)!r}: the file is read-only")
    lock_output(path)  # a second writer of the same path is refused at once
    return path


def file_provenance(key: str, path: str | os.PathLike[str] | None) -> dict[str, str]:
    """``{key: file name, key_sha256: checksum}``: an input file named without local folders.

    Examples
    --------
    >>> file_provenance("uncertainty_file", None)
    {'uncertainty_file': ''}
    """
    if not path:
        return {key: ""}
    p = Path(path)
    out = {key: p.name}
    with contextlib.suppress(OSError):
        out[f"{key.removesuffix('_file')}_sha256"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """netCDF attrs must be strings, numbers or arrays of them: encode the rest as JSON."""

    def clean(attrs: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in attrs.items():
            if value is None:
                continue
            if isinstance(value, bool | np.bool_):
                out[key] = int(value)
            elif isinstance(value, str | int | float | np.integer | np.floating):
                out[key] = value
            else:
                out[key] = json.dumps(value, default=str, sort_keys=True)
        return out

    ds = ds.copy()
    ds.attrs = clean(ds.attrs)
    # through the Variables: each ds[name] costs time in proportion to the number of variables
    variables = ds.variables
    for var in variables.values():
        var.attrs = clean(var.attrs)
    for name in ds.coords:  # coordinates have no missing values: no NaN _FillValue on them
        if variables[name].dtype.kind == "f":
            variables[name].encoding["_FillValue"] = None
    return ds


class _DefinedThenWritten:
    """The writer of :meth:`xarray.Dataset.dump_to_store` that holds each array back until every
    variable is defined (see :func:`to_netcdf4`)."""

    def __init__(self) -> None:
        self._pending: list[tuple[Any, Any]] = []

    def add(self, source: Any, target: Any, region: Any = None) -> None:
        if region is not None:  # pragma: no cover - dump_to_store passes none
            raise NotImplementedError("regions are written by xarray's own writer")
        self._pending.append((source, target))

    def write(self) -> None:
        for source, target in self._pending:
            target[...] = np.asarray(source)


def to_netcdf4(ds: xr.Dataset, path: str | os.PathLike[str]) -> None:
    """The file ``ds.to_netcdf(path, engine="netcdf4")`` writes, written in a quarter of the time.

    xarray defines a variable and writes its data before it defines the next, so netCDF-C leaves
    and re-enters define mode once per variable and HDF5 rewrites the file's metadata each time:
    about 1.3 ms a variable, 0.8 s for the 625 outputs of the NHS model. This writes through the
    same xarray store and encoders (so the file is the same, attribute for attribute), but defines
    every variable before writing any data: 0.2 s for the same file. It also skips ``to_netcdf``'s
    question to dask about its scheduler, which imports ``distributed`` (0.2 s), by taking the
    netCDF4 library lock xarray takes, without the per-file dask lock (this process writes a new
    temporary file that nothing else opens).

    A Dataset holding dask arrays, which xarray writes chunk by chunk, goes to ``to_netcdf``.
    """
    if any(var.chunks is not None for var in ds.variables.values()):
        ds.to_netcdf(path, engine="netcdf4")
        return
    from xarray.backends import NetCDF4DataStore  # noqa: PLC0415 - only when writing netCDF
    from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK  # noqa: PLC0415

    writer = _DefinedThenWritten()
    store = NetCDF4DataStore.open(os.fspath(path), mode="w", format="NETCDF4",
                                  lock=NETCDF4_PYTHON_LOCK)
    try:
        ds.dump_to_store(store, writer=writer, unlimited_dims=ds.encoding.get("unlimited_dims"))
        writer.write()
    finally:
        store.close()


def write_dataset(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write ``ds`` to netCDF (``.nc``), zarr (``.zarr``) or a table (``.xlsx``, ``.csv``, ``.parquet``; see :mod:`sdmodels.export`) atomically.

    The data go to a temporary file in the same folder, which then replaces ``path`` in one rename:
    an existing file is never left half-overwritten and a failed write leaves nothing behind.

    Parameters
    ----------
    ds
        The results.
    path
        Destination; its suffix chooses the format.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ResultWriteError
        If the path cannot be written (see :func:`check_writable`).

    Examples
    --------
    >>> import xarray as xr, tempfile, pathlib
    >>> ds = xr.Dataset({"x": ("time", [1.0, 2.0])}, coords={"time": [2024.0, 2025.0]})
    >>> out = write_dataset(ds, pathlib.Path(tempfile.mkdtemp()) / "r.nc")
    >>> float(xr.load_dataset(out)["x"][1])
    2.0
    """
    path = check_writable(path, tables=True)
    fmt = result_format(path, tables=True)
    if fmt in _TABLES.values():
        try:
            return write_table(ds, path)
        finally:
            release_output(path)
    safe = netcdf_safe(ds)
    tmp = sibling_temp_path(path)
    try:
        if fmt == "netcdf":
            to_netcdf4(safe, tmp)
            raise_if_interrupted()  # an interrupted command publishes nothing
            os.replace(tmp, path)
        else:
            tmp.mkdir()
            safe.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True)
            raise_if_interrupted()
            replace_dir(tmp, path)
    except BaseException as exc:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, RuntimeError):  # netCDF reports a full disk as "HDF error"
            raise write_failed(path, exc) from None
        raise
    finally:
        release_output(path)
    return path


def write_failed(path: Path, exc: BaseException) -> ResultWriteError:
    """A clear error for a failed write: netCDF reports a full disk as 'NetCDF: HDF error'."""
    parent = path.parent if str(path.parent) else Path(".")
    free = ""
    with contextlib.suppress(OSError):
        free = f"; {shutil.disk_usage(parent).free / 2**20:,.0f} MiB free in {str(parent)!r}"
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ResultWriteError(
        f"cannot write results to {str(path)!r} ({reason}{free}); no result file was written "
        "and an earlier file there is unchanged: make room (or choose another --out) and run "
        "again"
    )


def replace_dir(new: Path, target: Path) -> None:
    """Swap folder ``new`` into ``target``, keeping the old one until the new one is in place."""
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def open_dataset(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a result file written by :func:`write_dataset`, decoding JSON attrs."""
    path = Path(path)
    if path.suffix.lower() in _TABLES:
        raise SDModelsError(f"{str(path)!r} is a table export for people to open; results are "
                            "read back from the .nc or .zarr file")
    ds = xr.open_zarr(path) if result_format(path) == "zarr" else xr.load_dataset(path)
    for key, value in list(ds.attrs.items()):
        if isinstance(value, str) and value[:1] in "[{":  # provenance stored as JSON text
            with contextlib.suppress(ValueError):
                ds.attrs[key] = json.loads(value)
    return ds


def describe_value(value: Any) -> Any:
    """A parameter value as JSON, whole: a run can be repeated from its result file.

    >>> import pandas as pd
    >>> describe_value(pd.Series([1.0, 2.0], index=[2024, 2030]))
    {'time_series': {'time': [2024.0, 2030.0], 'value': [1.0, 2.0]}}
    >>> describe_value(np.float32(0.5)), describe_value(np.array([1, 2]))
    (0.5, [1, 2])
    """
    if isinstance(value, pd.Series):
        return {"time_series": {"time": [float(t) for t in value.index],
                                "value": [float(v) for v in value.to_numpy()]}}
    if isinstance(value, xr.DataArray) and value.dims == ("time",):
        return {"time_series": {"time": [float(t) for t in value["time"].values],
                                "value": [float(v) for v in value.values]}}
    if isinstance(value, np.ndarray | xr.DataArray):
        return np.asarray(value).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def provenance(model: Model, *, engine: str, **extra: Any) -> dict[str, Any]:
    """Dataset attrs that say how a result was made."""
    attrs: dict[str, Any] = {
        "title": f"sdmodels results of {model.path.name}",
        "model_file": model.path.name,
        "model_sha256": model.hash,
        "sdmodels_version": package_version(),
        "pysd_version": dependency_version("pysd"),
        "numba_version": dependency_version("numba"),
        "engine": engine,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_units": model.variables.get("initial_time").units
        if "initial_time" in model.variables
        else "",
        # no "Conventions: CF-1.8" claim: model time in years (units "Year") is not a CF time
        # coordinate ("<unit> since <date>"), so the file would not be CF-valid
    }
    attrs.update({k: v for k, v in extra.items() if v is not None})
    return attrs


def annotate(ds: xr.Dataset, model: Model) -> xr.Dataset:
    """Attach ``name``, ``units`` and ``doc`` attrs to every model variable in ``ds``, and
    ``better`` (``"higher"`` or ``"lower"``) where the model's metadata says which is better."""
    words = {1: "higher", -1: "lower"}
    for var, variable in ds.data_vars.variables.items():
        info = model.variables.get(str(var))
        if info is not None:
            variable.attrs.update(name=info.name, units=info.units, doc=info.doc)
            direction = model.metadata.direction(str(var))
            if direction is not None:
                variable.attrs["better"] = words[direction]
    if "time" in ds.coords:
        ds["time"].attrs.update(units=ds.attrs.get("time_units") or "Year", long_name="model time")
    return ds


def select_years(ds: xr.Dataset, years: Iterable[float] | None) -> xr.Dataset:
    """Select the saved times nearest to ``years`` (all times if ``None``).

    Raises
    ------
    SDModelsError
        A year outside the saved times (nearest-time selection would silently snap to an end).
    """
    if years is None:
        return ds
    wanted = [float(y) for y in years]
    times = ds["time"].values
    lo, hi = float(times.min()), float(times.max())
    outside = [y for y in wanted if y < lo or y > hi]
    if outside:
        raise SDModelsError(
            f"year(s) {', '.join(f'{y:g}' for y in outside)} outside the model's saved times "
            f"[{lo:g}, {hi:g}]; choose years within them"
        )
    return ds.sel(time=wanted, method="nearest")


def summary_table(
    ds: xr.Dataset,
    variables: Sequence[str],
    years: Iterable[float],
    *,
    model: Model | None = None,
) -> pd.DataFrame:
    """A tidy table of ``variables`` at ``years``, one row per (variable, scenario).

    Parameters
    ----------
    ds
        Results with dimension ``time`` and optionally ``scenario``.
    variables
        Python names (or Vensim names if ``model`` is given).
    years
        Years to show; the nearest saved time is used.
    model
        Resolves Vensim names.
    """
    rows = []
    at = select_years(ds, years)
    scenarios = list(at["scenario"].values) if "scenario" in at.dims else [None]
    for var in variables:
        py = model.resolve(var, what="variable") if model is not None else var
        if py not in at:
            raise UnknownNameError(py, list(at.data_vars), what="result variable")
        for sc in scenarios:
            da = at[py] if sc is None else at[py].sel(scenario=sc)
            label = at[py].attrs.get("name", py)
            units = at[py].attrs.get("units", "")
            row = {"variable": label, "units": units}
            if sc is not None:
                row["scenario"] = str(sc)
            for t, value in zip(at["time"].values, np.atleast_1d(da.values), strict=False):
                row[f"{t:g}"] = float(value)
            rows.append(row)
    return pd.DataFrame(rows)
