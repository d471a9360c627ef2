"""Compare two sets of results: what changed between two runs, two model versions or two tools.

Either side may be an sdmodels result (``.nc``/``.zarr``, or a Dataset), a Vensim export
(``.tab`` or ``.csv``, time across or time running down) or PySD output saved as ``.csv``/``.tab``
(time running down, one column per variable). Names are matched after normalising them the way
PySD does (``"Waiting List"`` and ``waiting_list`` are one variable), subscripted values by
their elements (``Staff[Doctors]`` is element ``Doctors`` of ``staff``), scenarios by name.
Times are matched where both sides saved them.

A value is *outside tolerance* where ``|a - b| > atol + rtol * max(|a|, |b|)``. For each
variable, scenario and subscript element the comparison reports the largest absolute and
relative difference, the time of the largest, and the first time outside tolerance (when the
difference *starts*).

Examples
--------
>>> import numpy as np, xarray as xr
>>> t = np.arange(2024.0, 2028.0)
>>> a = xr.Dataset({"waiting_list": ("time", [1.0, 2.0, 3.0, 4.0])}, coords={"time": t})
>>> b = xr.Dataset({"waiting_list": ("time", [1.0, 2.0, 3.5, 4.0])}, coords={"time": t})
>>> c = compare(a, b)
>>> c.ok
False
>>> row = c.table.iloc[0]
>>> row["variable"], float(row["max_abs_diff"]), float(row["first_outside"])
('waiting_list', 0.5, 2026.0)
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import LazyModule, format_number
from sdmodels._paths import file_sha256
from sdmodels.errors import SDModelsError
from sdmodels.model import python_name
from sdmodels.results import open_dataset

# matplotlib is loaded when a report draws its first chart, not when sdmodels is imported
_mpl_figure = LazyModule("matplotlib.figure")

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "Comparison",
    "compare",
    "normalise_name",
    "read_results",
]

#: Default relative tolerance: Vensim writes about seven significant digits.
DEFAULT_RTOL = 1e-5
#: Default absolute tolerance, for values at or near zero.
DEFAULT_ATOL = 1e-8

_STYLE = (
    "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;font-size:0.9em}"
    "td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}"
    "td.l,th.l{text-align:left}tr.bad{background:#fde0dc}"
    ".PASS{color:#009E73}.FAIL{color:#D55E00}</style></head><body>"
)
_TIME_NAMES = {"time", "Time", "TIME"}
_NA = {":NA:", "NA", "NaN", "nan", "", "-"}
_CONTROLS = {"initial_time", "final_time", "time_step", "saveper"}


def normalise_name(name: str) -> str:
    """A Vensim or Python name in the form PySD gives it: ``"Waiting List"`` -> ``waiting_list``.

    One function for every name compared, built on PySD's own rules (through
    :func:`sdmodels.model.python_name`), so names read from Vensim, PySD and sdmodels agree.

    Examples
    --------
    >>> normalise_name("Waiting List"), normalise_name("waiting_list")
    ('waiting_list', 'waiting_list')
    >>> normalise_name('"Beds (G&A)"')
    'beds_ga'
    """
    return python_name(" ".join(name.strip().replace("_", " ").split()))


def _shown(source: str) -> str:
    """A compared file as a report names it: its name and checksum, never its folders."""
    path = Path(source)
    if not path.is_file():
        return path.name or source
    return f"{path.name} (SHA-256 {file_sha256(path)[:12]})"


def _element(name: str) -> str:
    return " ".join(name.strip().strip('"').replace("_", " ").split()).lower()


def _split_subscripts(label: str) -> tuple[str, tuple[str, ...]]:
    """``"Staff[Doctors, North]"`` -> ``("staff", ("doctors", "north"))``."""
    label = label.strip()
    if label.endswith("]") and "[" in label:
        base, _, rest = label.partition("[")
        return normalise_name(base), tuple(_element(e) for e in rest[:-1].split(","))
    return normalise_name(label), ()


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class _Series:
    """Every series of one side: (variable, subscript elements, scenario) -> values over time."""

    times: np.ndarray
    values: Mapping[tuple[str, tuple[str, ...], str | None], np.ndarray]
    labels: Mapping[str, str]  # normalised name -> the name as the source spells it
    source: str


def read_results(path: str | os.PathLike[str], *, scenario: str | None = None) -> xr.Dataset:
    """Read any supported result file into a Dataset over ``time`` (and ``scenario``).

    Vensim and PySD exports become one variable per (normalised) name; subscripted columns
    become dimensions ``dim_0``, ``dim_1``... with the elements as coordinates.

    Parameters
    ----------
    path
        ``.nc``/``.zarr`` (sdmodels), ``.tab``/``.csv`` (Vensim export or PySD output).
    scenario
        Name given to the run of a text export (which holds one run).

    Raises
    ------
    SDModelsError
        The file is missing, of an unknown type or cannot be parsed (the message says why).
    """
    series = _read(path, scenario=scenario)
    return _to_dataset(series)


def _read(source: str | os.PathLike[str] | xr.Dataset, *, scenario: str | None = None
          ) -> _Series:
    if isinstance(source, xr.Dataset):
        return _from_dataset(source, "Dataset")
    path = Path(source)
    if not path.exists():
        raise SDModelsError(f"cannot compare {str(path)!r}: the file does not exist")
    suffix = path.suffix.lower()
    if suffix in (".nc", ".nc4", ".netcdf", ".zarr"):
        try:
            ds = open_dataset(path)
        except (OSError, ValueError) as exc:
            raise SDModelsError(f"cannot read {str(path)!r} as netCDF/zarr: {exc}") from None
        return _from_dataset(ds, str(path))
    if suffix in (".tab", ".csv", ".txt", ".dat"):
        return _from_text(path, scenario)
    raise SDModelsError(
        f"cannot compare {str(path)!r}: unknown file type {suffix or '(no suffix)'!r}; give a .nc "
        "or .zarr result, or a Vensim/PySD .tab or .csv export"
    )


def _from_dataset(ds: xr.Dataset, source: str) -> _Series:
    if "time" not in ds.dims:
        raise SDModelsError(f"{source}: no 'time' dimension: not a result over time")
    times = np.asarray(ds["time"].values, dtype=float)
    scenarios: list[str | None] = (
        [str(s) for s in ds["scenario"].values] if "scenario" in ds.dims else [None]
    )
    values: dict[tuple[str, tuple[str, ...], str | None], np.ndarray] = {}
    labels: dict[str, str] = {}
    for var in ds.data_vars:
        da = ds[var]
        if "time" not in da.dims or not np.issubdtype(da.dtype, np.number):
            continue
        key = normalise_name(str(var))
        if key in _CONTROLS:
            continue
        labels[key] = str(da.attrs.get("name", var))
        others = [d for d in da.dims if d not in ("time", "scenario")]
        for sc in scenarios:
            one = da if sc is None else da.sel(scenario=sc)
            one = one.transpose(*others, "time")
            flat = np.asarray(one.values, dtype=float).reshape(-1, len(times))
            if others:
                elements = [tuple(_element(str(x)) for x in idx)
                            for idx in pd.MultiIndex.from_product(
                                [one[d].values for d in others]).to_list()]
            else:
                elements = [()]
            for sub, row in zip(elements, flat, strict=True):
                values[(key, sub, sc)] = row
    return _Series(times, values, labels, source)


def _number(text: str) -> float:
    text = text.strip()
    if text in _NA:
        return math.nan
    return float(text)


def _from_text(path: Path, scenario: str | None) -> _Series:
    try:
        raw = path.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        raw = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise SDModelsError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    first_line = raw.lstrip().splitlines()[0] if raw.strip() else ""
    delimiter = "\t" if "\t" in first_line else ","
    rows = [r for r in csv.reader(io.StringIO(raw), delimiter=delimiter) if any(c.strip()
                                                                                 for c in r)]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise SDModelsError(f"{path}: no table found (need a header row and at least one row)")
    header = [c.strip() for c in rows[0]]

    def numeric(cells: Iterable[str]) -> bool:
        try:
            [_number(c) for c in cells]
        except ValueError:
            return False
        return True

    try:
        if header[0] in _TIME_NAMES and numeric(header[1:]):  # time across (Vensim's default)
            times = np.array([_number(c) for c in header[1:]])
            table = {r[0].strip(): [_number(c) for c in r[1:len(header)]] for r in rows[1:]}
        else:  # time running down (PySD output, Vensim "time running down")
            col = next((i for i, h in enumerate(header) if h in _TIME_NAMES), None)
            if col is None:
                raise SDModelsError(
                    f"{path}: no 'Time' column or row; a Vensim export starts with 'Time' and "
                    "PySD output has a 'time' column"
                )
            data = [[_number(c) for c in r] for r in rows[1:]]
            arr = np.array(data, dtype=float)
            times = arr[:, col]
            table = {h: arr[:, i].tolist() for i, h in enumerate(header) if i != col}
    except ValueError as exc:
        raise SDModelsError(f"{path}: a value is not a number ({exc})") from None
    values: dict[tuple[str, tuple[str, ...], str | None], np.ndarray] = {}
    labels: dict[str, str] = {}
    for label, row in table.items():
        if len(row) != len(times):
            raise SDModelsError(f"{path}: row {label!r} has {len(row)} values for "
                                f"{len(times)} times")
        key, sub = _split_subscripts(label)
        if key in _CONTROLS:
            continue
        labels.setdefault(key, label.partition("[")[0].strip())
        values[(key, sub, scenario)] = np.asarray(row, dtype=float)
    order = np.argsort(times, kind="stable")
    if not np.all(order == np.arange(len(times))):
        values = {k: v[order] for k, v in values.items()}
        times = times[order]
    return _Series(times, values, labels, str(path))


def _to_dataset(s: _Series) -> xr.Dataset:
    scenarios = sorted({k[2] for k in s.values}, key=lambda x: (x is None, x or ""))
    data: dict[str, Any] = {}
    for key in sorted({k[0] for k in s.values}):
        subs = sorted({k[1] for k in s.values if k[0] == key})
        per_sc = []
        for sc in scenarios:
            rows = [s.values.get((key, sub, sc), np.full(len(s.times), np.nan)) for sub in subs]
            per_sc.append(np.stack(rows))
        arr = np.stack(per_sc)  # scenario x element x time
        if subs == [()]:
            da = xr.DataArray(arr[:, 0, :], dims=("scenario", "time"))
        else:
            ndim = len(subs[0])
            index = pd.MultiIndex.from_tuples(subs, names=[f"dim_{i}" for i in range(ndim)])
            da = xr.DataArray(arr, dims=("scenario", "element", "time"),
                              coords={"element": index}).unstack("element")
            da = da.transpose("scenario", *[f"dim_{i}" for i in range(ndim)], "time")
        da.attrs["name"] = s.labels.get(key, key)
        data[key] = da
    ds = xr.Dataset(data, coords={"time": s.times})
    if scenarios == [None]:
        ds = ds.isel(scenario=0, drop=True)
    else:
        ds = ds.assign_coords(scenario=[str(x) for x in scenarios])
    ds.attrs["source"] = s.source
    return ds


# ------------------------------------------------------------------ comparing
@dataclass(frozen=True)
class Comparison:
    """The differences between two sets of results.

    Attributes
    ----------
    table
        One row per variable, scenario and subscript element present on both sides:
        ``variable`` (normalised name), ``name`` (as spelt in A), ``subscript``, ``scenario``,
        ``max_abs_diff``, ``max_rel_diff``, ``at_time`` (of the largest difference),
        ``first_outside`` (first time outside tolerance, NaN if none), ``n_outside`` (times
        outside tolerance) and ``ok``; sorted with the largest relative differences first.
    only_in_a, only_in_b
        Variables found on one side only (normalised names).
    times
        The times compared (those both sides saved).
    rtol, atol
        The tolerances.
    a, b
        Where the two sides came from.
    scenario_pairs
        The scenarios compared, as (A's name, B's name).
    """
    table: pd.DataFrame
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    times: np.ndarray
    rtol: float
    atol: float
    a: str
    b: str
    scenario_pairs: tuple[tuple[str | None, str | None], ...] = field(default=())
    series: Mapping[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when every value compared is within tolerance."""
        return bool(self.table["ok"].all()) if len(self.table) else True

    @property
    def n_outside(self) -> int:
        """Series (variable, scenario, element) with a value outside tolerance."""
        return int((~self.table["ok"]).sum()) if len(self.table) else 0

    def summary(self) -> str:
        """One paragraph in words."""
        n = len(self.table)
        text = (f"compared {n} series ({self.table['variable'].nunique() if n else 0} variables"
                f", {len(self.scenario_pairs)} scenario pair(s)) at {len(self.times)} times "
                f"with rtol={self.rtol:g}, atol={self.atol:g}: ")
        if self.ok:
            text += "all within tolerance"
        else:
            first = self.table.loc[~self.table["ok"], "first_outside"].min()
            text += (f"{self.n_outside} outside tolerance, the first from "
                     f"{first:g}")
        if self.only_in_a or self.only_in_b:
            text += (f"; {len(self.only_in_a)} variable(s) only in A, {len(self.only_in_b)} "
                     "only in B")
        return text

    def to_html(self, *, top: int = 6) -> str:
        """A self-contained HTML report: summary, table and charts of the largest differences.

        Every name read from the files is HTML-escaped.
        """
        e = html.escape
        status = "PASS" if self.ok else "FAIL"
        parts = [
            "<!DOCTYPE html><html><head><meta charset='utf-8'>",
            f"<title>sdmodels compare: {e(_shown(self.a))} vs {e(_shown(self.b))}</title>",
            _STYLE,
            f"<h1>Comparison: <span class='{status}'>{status}</span></h1>",
            f"<p>A: <code>{e(_shown(self.a))}</code><br>B: <code>{e(_shown(self.b))}</code></p>",
            f"<p>{e(self.summary())}.</p>",
        ]
        if len(self.table):
            cols = ["name", "subscript", "scenario", "max_abs_diff", "max_rel_diff", "at_time",
                    "first_outside", "n_outside"]
            parts.append("<table><tr>" + "".join(
                f"<th class='{'l' if c in cols[:3] else ''}'>{e(c)}</th>" for c in cols)
                + "</tr>")
            for row in self.table.itertuples(index=False):
                cells = []
                for c in cols:
                    v = getattr(row, c)
                    if isinstance(v, float):
                        v = format_number(v)
                    cells.append(f"<td class='{'l' if c in cols[:3] else ''}'>{e(str(v))}</td>")
                parts.append(f"<tr class='{'' if row.ok else 'bad'}'>" + "".join(cells)
                             + "</tr>")
            parts.append("</table>")
        for title, names in (("Only in A", self.only_in_a), ("Only in B", self.only_in_b)):
            if names:
                parts.append(f"<h2>{e(title)}</h2><p>" + ", ".join(e(n) for n in names)
                             + "</p>")
        worst = self.table[~self.table["ok"]].head(top) if len(self.table) else self.table
        if len(worst):
            parts.append("<h2>Largest differences</h2>")
            for row in worst.itertuples(index=False):
                parts.append(self._svg(row))
        parts.append("</body></html>")
        return "\n".join(parts)

    def _svg(self, row: Any) -> str:
        key = (row.variable, row.subscript, row.scenario)
        a, b = self.series[key]
        fig = _mpl_figure.Figure(figsize=(6, 2.6), layout="constrained")
        ax = fig.subplots()
        ax.plot(self.times, a, label="A", color="#0072B2")
        ax.plot(self.times, b, label="B", color="#D55E00", linestyle="--")
        label = row.name + (f"[{row.subscript}]" if row.subscript else "")
        ax.set_title(label + (f" ({row.scenario})" if row.scenario else ""), fontsize=9)
        if not math.isnan(row.first_outside):
            ax.axvline(row.first_outside, color="#999999", linewidth=0.8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        svg = buf.getvalue()
        return svg[svg.index("<svg"):]


def _pairs(a: _Series, b: _Series, scenarios: Sequence[str] | None
           ) -> list[tuple[str | None, str | None]]:
    sa = list(dict.fromkeys(k[2] for k in a.values))
    sb = list(dict.fromkeys(k[2] for k in b.values))
    if scenarios:
        for side, names, label in ((sa, a, "A"), (sb, b, "B")):
            missing = [s for s in scenarios if s not in side and side != [None]]
            if missing:
                raise SDModelsError(f"scenario(s) {missing} not in {label} ({names.source}); "
                                    f"it has {[s for s in side if s is not None]}")
        return [(s if sa != [None] else None, s if sb != [None] else None) for s in scenarios]
    if sa == [None] or sb == [None]:
        other = sb if sa == [None] else sa
        if other != [None] and len(other) > 1:
            raise SDModelsError(
                f"one side holds one run and the other {len(other)} scenarios "
                f"({', '.join(map(str, other))}): choose one with --scenario"
            )
        return [(sa[0], sb[0])]
    common = [s for s in sa if s in sb]
    if not common:
        raise SDModelsError(f"the two sides share no scenario: A has {sa}, B has {sb}; "
                            "choose one with --scenario")
    return [(s, s) for s in common]


def _match_times(ta: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = [], []
    j = 0
    for i, t in enumerate(ta):
        while j < len(tb) and tb[j] < t - 1e-9 * max(1.0, abs(t)):
            j += 1
        if j < len(tb) and abs(tb[j] - t) <= 1e-9 * max(1.0, abs(t)):
            ia.append(i)
            ib.append(j)
    return np.array(ia, dtype=int), np.array(ib, dtype=int)


def compare(
    a: str | os.PathLike[str] | xr.Dataset,
    b: str | os.PathLike[str] | xr.Dataset,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    scenarios: Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
) -> Comparison:
    """Compare two results variable by variable, scenario by scenario, element by element.

    Parameters
    ----------
    a, b
        Result files (``.nc``, ``.zarr``, Vensim or PySD ``.tab``/``.csv``) or Datasets.
    rtol, atol
        A value is outside tolerance where ``|a - b| > atol + rtol * max(|a|, |b|)``; a NaN on
        one side only is outside.
    scenarios
        Compare only these scenarios; those both sides hold by default. A text export holds one
        run, compared with the one scenario chosen here.
    variables
        Compare only these variables (Vensim or Python names); all shared ones by default.

    Returns
    -------
    Comparison

    Raises
    ------
    SDModelsError
        Unreadable input, negative tolerances, no shared times or variables.
    """
    if not (rtol >= 0 and atol >= 0):
        raise SDModelsError(f"tolerances must be >= 0, got rtol={rtol}, atol={atol}")
    sa, sb = _read(a), _read(b)
    pairs = _pairs(sa, sb, scenarios)
    ia, ib = _match_times(sa.times, sb.times)
    if len(ia) == 0:
        raise SDModelsError(
            f"no common times: A has {sa.times.min():g}..{sa.times.max():g}, "
            f"B has {sb.times.min():g}..{sb.times.max():g}"
        )
    times = sa.times[ia]
    names_a, names_b = {k[0] for k in sa.values}, {k[0] for k in sb.values}
    wanted = None if variables is None else {normalise_name(v) for v in variables}
    if wanted is not None:
        unknown = sorted(wanted - (names_a & names_b))
        if unknown:
            raise SDModelsError(f"variable(s) {unknown} are not on both sides")
    shared = sorted((names_a & names_b) if wanted is None else wanted)
    if not shared:
        raise SDModelsError(
            f"the two sides share no variable names (A: {', '.join(sorted(names_a)[:5])}...; "
            f"B: {', '.join(sorted(names_b)[:5])}...)"
        )
    rows, series = [], {}
    for key in shared:
        for sc_a, sc_b in pairs:
            subs_a = {k[1] for k in sa.values if k[0] == key and k[2] == sc_a}
            subs_b = {k[1] for k in sb.values if k[0] == key and k[2] == sc_b}
            by_sorted_b = {tuple(sorted(s)): s for s in subs_b}
            for sub in sorted(subs_a):
                sub_b = sub if sub in subs_b else by_sorted_b.get(tuple(sorted(sub)))
                if sub_b is None:
                    continue
                va = sa.values[(key, sub, sc_a)][ia]
                vb = sb.values[(key, sub_b, sc_b)][ib]
                scen = sc_a if sc_a is not None else (sc_b or "")
                rows.append(_row(key, sa.labels.get(key, key), sub, scen, times, va, vb,
                                 rtol, atol))
                series[(key, ",".join(sub), scen)] = (va, vb)
    table = pd.DataFrame(rows, columns=["variable", "name", "subscript", "scenario",
                                        "max_abs_diff", "max_rel_diff", "at_time",
                                        "first_outside", "n_outside", "ok"])
    if len(table):
        table = table.sort_values(["ok", "max_rel_diff", "max_abs_diff"],
                                  ascending=[True, False, False], kind="stable")
        table = table.reset_index(drop=True)
    only_a = tuple(sorted(names_a - names_b)) if wanted is None else ()
    only_b = tuple(sorted(names_b - names_a)) if wanted is None else ()
    return Comparison(table, only_a, only_b, times, rtol, atol, sa.source, sb.source,
                      tuple(pairs), series)


def _row(key: str, name: str, sub: tuple[str, ...], scenario: str, times: np.ndarray,
         va: np.ndarray, vb: np.ndarray, rtol: float, atol: float) -> dict[str, Any]:
    diff = np.abs(va - vb)
    both_nan = np.isnan(va) & np.isnan(vb)
    one_nan = np.isnan(va) ^ np.isnan(vb)
    scale = np.fmax(np.abs(va), np.abs(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / scale, 0.0)
    outside = (one_nan | (diff > atol + rtol * scale)) & ~both_nan
    finite = np.where(np.isnan(diff), -np.inf, diff)
    worst = int(np.argmax(finite)) if np.isfinite(finite).any() else 0
    first = float(times[np.argmax(outside)]) if outside.any() else math.nan
    return {
        "variable": key, "name": name, "subscript": ",".join(sub), "scenario": scenario,
        "max_abs_diff": float(np.nanmax(diff)) if np.isfinite(diff).any() else math.nan,
        "max_rel_diff": float(np.nanmax(rel)) if np.isfinite(rel).any() else math.nan,
        "at_time": float(times[worst]), "first_outside": first,
        "n_outside": int(outside.sum()), "ok": not bool(outside.any()),
    }
