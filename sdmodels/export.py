"""Result files people open: Excel workbooks, CSV and Parquet tables.

:func:`sdmodels.results.write_dataset` hands ``.xlsx``, ``.csv`` and ``.parquet`` paths to
:func:`write_table`. Every result (``run``, Monte Carlo, Sobol, Morris, attribution) becomes one
*wide* table per output: one row per scenario (or quantile, index, factor...), one column per
saved year, so that a chart or a pivot in Excel is one selection away.

- ``.xlsx``: one sheet per output, then a ``metadata`` sheet (model file and checksum, versions,
  engine, seed and sampler, each scenario with its levers, and every output's Vensim name, units
  and documentation). Text is stored as text: a name or comment that starts with ``=`` never
  becomes a formula.
- ``.csv``: all outputs in one table (columns ``output``, ``name``, ``units`` first), after
  ``# key: value`` lines of metadata (``pandas.read_csv(path, comment="#")`` skips them). Text
  cells that a spreadsheet would run as a formula are prefixed with ``'``.
- ``.parquet``: the same long table as tidy rows (``output``, row labels, ``time``, ``value``),
  with the metadata in the file's key-value metadata (``pip install pyarrow``).

Monte Carlo samples are written as quantiles (5, 25, 50, 75 and 95%) and the probabilities of
beating the reference; an attribution under uncertainty as the mean and 5/50/95% quantiles.
Writes are atomic: a temporary file in the same folder, then one rename.

Examples
--------
>>> import numpy as np, xarray as xr, tempfile, pathlib
>>> ds = xr.Dataset({"stock": (("scenario", "time"), [[1.0, 2.0], [1.0, 3.0]])},
...                 coords={"scenario": ["baseline", "refill"], "time": [2024.0, 2025.0]})
>>> ds["stock"].attrs.update(name="Stock", units="Person")
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_table(ds, folder / "r.csv")
>>> import pandas as pd
>>> pd.read_csv(folder / "r.csv", comment="#")
  output   name   units  scenario  2024  2025
0  stock  Stock  Person  baseline   1.0   2.0
1  stock  Stock  Person    refill   1.0   3.0
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import LazyModule, raise_if_interrupted
from sdmodels._paths import sibling_temp_path
from sdmodels.errors import ResultWriteError

# openpyxl is loaded when a first .xlsx is written, not when sdmodels is imported
_openpyxl = LazyModule("openpyxl")

__all__ = ["TABLE_FORMATS", "metadata_rows", "wide_tables", "write_table"]

#: Table formats by suffix.
TABLE_FORMATS: Mapping[str, str] = {".xlsx": "xlsx", ".csv": "csv", ".parquet": "parquet"}

#: Quantiles written for Monte Carlo results (and attribution under uncertainty).
EXPORT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")
_EXCEL_CELL_MAX = 32_767


# ------------------------------------------------------------------ shaping
def _time_label(t: float) -> str:
    return f"{float(t):g}"


def _row_labels(da: xr.DataArray) -> list[str]:
    return [d for d in da.dims if d != "time"]


def _wide(da: xr.DataArray, prefix: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """``da`` over (..., time) as a frame: one row per combination of the other dims."""
    rows = _row_labels(da)
    if "time" not in da.dims:
        raise ValueError("needs a time dimension")
    da = da.transpose(*rows, "time")
    values = np.asarray(da.values, dtype=float).reshape(-1, da.sizes["time"])
    if rows:
        index = pd.MultiIndex.from_product([_labels(da, d) for d in rows], names=rows)
        frame = pd.DataFrame(values, index=index,
                             columns=[_time_label(t) for t in da["time"].values]).reset_index()
    else:
        frame = pd.DataFrame(values, columns=[_time_label(t) for t in da["time"].values])
    for i, (key, value) in enumerate((prefix or {}).items()):
        frame.insert(i, key, value)
    return frame


def _labels(da: xr.DataArray, dim: str) -> list[Any]:
    """Labels of a dimension, by their ``<dim>_name`` companion when there is one."""
    named = f"{dim}_name"
    if named in da.coords and da.coords[named].dims == (dim,):
        return [str(x) for x in da.coords[named].values]
    values = da[dim].values if dim in da.coords else np.arange(da.sizes[dim])
    return [v.item() if hasattr(v, "item") else v for v in values]


def _summarise_samples(da: xr.DataArray, *, mean: bool) -> xr.DataArray:
    q = da.quantile(list(EXPORT_QUANTILES), dim="sample")
    q = q.assign_coords(quantile=[f"p{round(100 * x)}" for x in EXPORT_QUANTILES])
    if mean:
        m = da.mean("sample").expand_dims(quantile=["mean"])
        q = xr.concat([m, q], dim="quantile")
    others = [d for d in da.dims if d not in ("sample", "time")]
    return q.rename(quantile="statistic").transpose(*others, "statistic", "time")


def wide_tables(ds: xr.Dataset) -> list[tuple[str, str, str, pd.DataFrame]]:
    """One wide table per output: ``(key, name, units, frame)``, years as columns.

    Parameters
    ----------
    ds
        Any sdmodels result: scenario runs, a Monte Carlo (samples become quantiles), Sobol or
        Morris indices, an attribution.

    Returns
    -------
    list of (str, str, str, pandas.DataFrame)
        The output's Python name, its Vensim name, its units and its table.
    """
    analysis = ds.attrs.get("analysis")
    tables: list[tuple[str, str, str, pd.DataFrame]] = []
    if "output" in ds.dims and analysis != "monte_carlo":
        names = _labels(ds["output"], "output") if "output_name" in ds.coords else \
            [str(o) for o in ds["output"].values]
        for o, name in zip(ds["output"].values, names, strict=True):
            sub = ds.sel(output=o)
            parts = []
            for var in sub.data_vars:
                da = sub[var]
                if "time" not in da.dims or not np.issubdtype(da.dtype, np.number):
                    continue
                if "sample" in da.dims:
                    da = _summarise_samples(da, mean=True)
                parts.append(_wide(da, {"quantity": str(var)}))
            if parts:
                units = str(sub["output_units"].values) if "output_units" in sub.coords else ""
                tables.append((str(o), str(name), units, pd.concat(parts, ignore_index=True)))
        return tables
    for var in ds.data_vars:
        da = ds[var]
        if "time" not in da.dims or not np.issubdtype(da.dtype, np.number) or var == "design":
            continue
        if var == "prob_better":
            if "output" in da.dims:  # the table's own "output" column names the result
                da = da.rename(output="of_output")
            tables.append(("prob_better", "P(better)", "share of samples", _wide(da)))
            continue
        if "sample" in da.dims:
            da = _summarise_samples(da, mean=False).rename(statistic="quantile")
        tables.append((str(var), str(da.attrs.get("name", var)), str(da.attrs.get("units", "")),
                       _wide(da)))
    _key_outputs_first(tables, ds)
    return tables


def _key_outputs_first(tables: list[tuple[str, str, str, pd.DataFrame]], ds: xr.Dataset
                       ) -> None:
    """The outputs a result names as its key outputs (attr ``key_outputs``) come first."""
    keys = _jsonish(ds.attrs.get("key_outputs"))
    if isinstance(keys, str):
        keys = [keys]
    rank = {k: i for i, k in enumerate(keys or [])}
    tables.sort(key=lambda t: rank.get(t[0], len(rank)))


def _jsonish(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def metadata_rows(ds: xr.Dataset) -> list[tuple[str, str]]:
    """The provenance of a result as (key, value) text pairs: attrs, then each scenario's levers.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset(attrs={"model_file": "m.mdl", "seed": 3,
    ...     "scenarios": '{"a": {"description": "A", "levers": {"L": {"value": 1, "start": 2025}},'
    ...                  ' "parameters": {}}}'})
    >>> metadata_rows(ds)
    [('model_file', 'm.mdl'), ('seed', '3'), ('scenario a', 'A'), ('scenario a lever', 'L = 1 from 2025')]
    """
    rows: list[tuple[str, str]] = []
    scenarios = None
    for key, value in ds.attrs.items():
        value = _jsonish(value)
        if key == "scenarios" and isinstance(value, dict):
            scenarios = value
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True, default=str)
        rows.append((str(key), str(value)))
    for name, sc in (scenarios or {}).items():
        rows.append((f"scenario {name}", str(sc.get("description", ""))))
        for lever, spec in (sc.get("levers") or {}).items():
            rows.append((f"scenario {name} lever",
                         f"{lever} = {spec.get('value'):g} from {spec.get('start'):g}"))
        for param, value in (sc.get("parameters") or {}).items():
            shown = f"{value:g}" if isinstance(value, int | float) else str(value)
            rows.append((f"scenario {name} parameter", f"{param} = {shown}"))
    return rows


# ------------------------------------------------------------------ writing
def write_table(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write ``ds`` as ``.xlsx``, ``.csv`` or ``.parquet``, atomically.

    Parameters
    ----------
    ds
        A result Dataset.
    path
        Destination; its suffix chooses the format.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ResultWriteError
        Unknown format, a result without values over time, or pyarrow missing for Parquet.
    """
    path = Path(path)
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ResultWriteError(f"{str(path)!r}: not a table format (.xlsx, .csv or .parquet)")
    tables = wide_tables(ds)
    if not tables:
        raise ResultWriteError(f"cannot write {str(path)!r}: the result has no values over time")
    writer = {"xlsx": _write_xlsx, "csv": _write_csv, "parquet": _write_parquet}[fmt]
    tmp = sibling_temp_path(path, suffix=path.suffix)
    try:
        writer(ds, tables, tmp)
        raise_if_interrupted()  # an interrupted command publishes nothing
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _safe_text(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV only)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _long(tables: list[tuple[str, str, str, pd.DataFrame]]) -> pd.DataFrame:
    frames = []
    for key, name, units, frame in tables:
        frame = frame.copy()
        frame.insert(0, "units", units)
        frame.insert(0, "name", name)
        frame.insert(0, "output", key)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _write_csv(ds: xr.Dataset, tables: list[tuple[str, str, str, pd.DataFrame]],
               tmp: Path) -> None:
    frame = _long(tables)
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(_safe_text)
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        for key, value in metadata_rows(ds):
            text = " ".join(str(value).split())
            fh.write(f"# {key}: {text}\n")
        frame.to_csv(fh, index=False)


def _write_parquet(ds: xr.Dataset, tables: list[tuple[str, str, str, pd.DataFrame]],
                   tmp: Path) -> None:
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional dependency
        import pyarrow.parquet as pq  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise ResultWriteError(
            "writing .parquet needs pyarrow: pip install 'sdmodels[parquet]' (or write .nc, "
            ".xlsx or .csv)"
        ) from None
    frames = []
    for key, name, units, frame in tables:
        years = [c for c in frame.columns if _is_year(c)]
        labels = [c for c in frame.columns if c not in years]
        long = frame.melt(id_vars=labels, value_vars=years, var_name="time", value_name="value")
        long["time"] = long["time"].astype(float)
        for col in labels:
            long[col] = long[col].astype(str)
        long.insert(0, "units", units)
        long.insert(0, "name", name)
        long.insert(0, "output", key)
        frames.append(long)
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"sdmodels"] = json.dumps(dict(metadata_rows(ds))).encode()
    pq.write_table(table.replace_schema_metadata(meta), tmp)


def _is_year(column: Any) -> bool:
    try:
        float(column)
    except (TypeError, ValueError):
        return False
    return True


def _year_or_text(column: Any) -> Any:
    """Year columns as numbers (2024, 2024.25) so that Excel charts use them as an axis."""
    if _is_year(column):
        value = float(column)
        return int(value) if value.is_integer() else value
    return str(column)


def _sheet_names(tables: list[tuple[str, str, str, pd.DataFrame]]) -> list[str]:
    used: set[str] = {"metadata"}
    names = []
    for key, name, _, _ in tables:
        base = _SHEET_BAD.sub("", name or key).strip()[:31] or key[:31]
        candidate, i = base, 2
        while candidate.lower() in used:
            suffix = f" ({i})"
            candidate = base[:31 - len(suffix)] + suffix
            i += 1
        used.add(candidate.lower())
        names.append(candidate)
    return names


def _write_xlsx(ds: xr.Dataset, tables: list[tuple[str, str, str, pd.DataFrame]],
                tmp: Path) -> None:
    wb = _openpyxl.Workbook(write_only=True)
    bold = _openpyxl.styles.Font(bold=True)

    def cell(ws: Any, value: Any, *, header: bool = False) -> Any:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            value = None
        if isinstance(value, str):
            value = value[:_EXCEL_CELL_MAX]
        c = _openpyxl.cell.WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # text stays text: never a formula
        if header:
            c.font = bold
        return c

    sheets = _sheet_names(tables)
    for sheet, (_key, name, units, frame) in zip(sheets, tables, strict=True):
        ws = wb.create_sheet(sheet)
        ws.append([cell(ws, f"{name} ({units})" if units else name, header=True)])
        ws.append([cell(ws, _year_or_text(c), header=True) for c in frame.columns])
        for row in frame.itertuples(index=False):
            ws.append([cell(ws, v) for v in row])
    meta = wb.create_sheet("metadata")
    meta.append([cell(meta, "key", header=True), cell(meta, "value", header=True)])
    for key, value in metadata_rows(ds):
        meta.append([cell(meta, key), cell(meta, value)])
    meta.append([])
    meta.append([cell(meta, h, header=True) for h in
                 ("sheet", "output", "Vensim name", "units", "documentation")])
    for sheet, (key, name, units, _) in zip(sheets, tables, strict=True):
        doc = str(ds[key].attrs.get("doc", "")) if key in ds.data_vars else ""
        meta.append([cell(meta, v) for v in (sheet, key, name, units, doc)])
    wb.save(tmp)
