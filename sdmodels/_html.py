"""Rich HTML views of models and results for Jupyter (``Model._repr_html_``, ``ds.sd``).

Every text that comes from a model file, a scenario file or a result's attrs is HTML-escaped:
a model is data, never markup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmodels._common import format_number
from sdmodels.errors import SDModelsError
from sdmodels.export import metadata_rows, wide_tables

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from sdmodels.model import Model

__all__ = ["model_html", "result_html"]

_STYLE = (
    "<style>.sdm{font-family:sans-serif;font-size:0.9em}.sdm table{border-collapse:collapse;"
    "margin:0.3em 0}.sdm td,.sdm th{border:1px solid #ddd;padding:0.15em 0.5em;"
    "text-align:left}.sdm td.n{text-align:right}.sdm summary{cursor:pointer;font-weight:bold}"
    "</style>"
)
_MAX_ROWS = 200


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _e(value)
    return _e(format_number(x))


def _table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows[:_MAX_ROWS]:
        out.append("<tr>" + "".join(
            f"<td class='n'>{_num(v)}</td>" if i in numeric else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)) + "</tr>")
    if len(rows) > _MAX_ROWS:
        out.append(f"<tr><td colspan='{len(header)}'>... {len(rows) - _MAX_ROWS} more</td></tr>")
    out.append("</table>")
    return "".join(out)


def _details(title: str, body: str, *, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{_e(title)}</summary>{body}</details>"


def model_html(model: Model) -> str:
    """An HTML card of a model: file, sectors, parameters and shipped scenarios."""
    params = model.parameters
    stocks = sum(v.kind == "stock" for v in model.variables.values())
    head = (f"<b>sdmodels.Model</b> {_e(model.name)} &mdash; {len(model.variables)} variables, "
            f"{stocks} stocks, {len(params)} parameters<br><code>{_e(model.path.name)}</code> "
            f"sha256 <code>{_e(model.hash[:12])}</code>")
    sectors = _table(["sector", "variables"],
                     [[s, len(names)] for s, names in model.sectors.items()], {1})
    rows = []
    for p in params.values():
        value = p.value if np.ndim(p.value) == 0 else np.asarray(p.value).tolist()
        rng = "" if p.min is None and p.max is None else \
            f"[{'' if p.min is None else f'{p.min:g}'}, {'' if p.max is None else f'{p.max:g}'}]"
        rows.append([p.name, value, p.units, rng, p.sector or "", p.doc])
    parameters = _table(["parameter", "value", "units", "range", "sector", "documentation"],
                        rows, {1})
    scenarios: dict[str, Any] = {}
    try:
        scenarios = model.scenarios
    except SDModelsError as exc:  # a broken scenario file must not hide the model
        scen = f"<p>scenarios could not be read: {_e(exc)}</p>"
    else:
        scen = _table(["scenario", "description", "levers"], [
            [s.name, s.description,
             "; ".join(f"{lv.name} = {lv.value:g} from {lv.start:g}" for lv in s.levers)]
            for s in scenarios.values()])
    return (_STYLE + f"<div class='sdm'>{head}"
            + _details(f"Sectors ({len(model.sectors)})", sectors)
            + _details(f"Parameters ({len(params)})", parameters)
            + _details(f"Scenarios ({len(scenarios)})", scen,
                       open_=True)
            + "</div>")


def _years(columns: list[str], most: int = 5) -> list[str]:
    years = [c for c in columns if _is_number(c)]
    if len(years) <= most:
        return years
    picks = np.unique(np.linspace(0, len(years) - 1, most).round().astype(int))
    return [years[i] for i in picks]


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def result_html(ds: xr.Dataset, *, outputs: int = 6) -> str:
    """An HTML card of a result: how it was made, its scenarios, and its first outputs."""
    analysis = str(ds.attrs.get("analysis", "scenario runs")).replace("_", " ")
    dims = ", ".join(f"{_e(d)}: {n}" for d, n in ds.sizes.items())
    head = (f"<b>sdmodels result</b> &mdash; {_e(analysis)} of "
            f"<code>{_e(ds.attrs.get('model_file', '?'))}</code> ({dims})")
    meta = metadata_rows(ds)
    provenance = _table(["key", "value"], [[k, v if len(v) < 300 else v[:300] + "..."]
                                          for k, v in meta if not k.startswith("scenario ")])
    scen = [[k.removeprefix("scenario "), v] for k, v in meta if k.startswith("scenario ")]
    try:
        tables = wide_tables(ds)
    except (ValueError, KeyError) as exc:
        tables, note = [], f"<p>{_e(exc)}</p>"
    else:
        note = ""
    def varies(frame: Any) -> bool:
        values = frame[[c for c in frame.columns if _is_number(c)]].to_numpy(dtype=float)
        return bool(np.nanmax(values) > np.nanmin(values)) if values.size else False

    keys = ds.attrs.get("key_outputs")
    if not keys:  # outputs that change come before constants
        tables = sorted(tables, key=lambda t: not varies(t[3]))
    parts = []
    for key, name, units, frame in tables[:outputs]:
        years = _years([str(c) for c in frame.columns])
        labels = [c for c in frame.columns if not _is_number(c)]
        shown = frame[labels + [c for c in frame.columns if str(c) in years]]
        title = f"{name} ({units})" if units and units.lower() not in ("dmnl", "1") else name
        parts.append(f"<p><b>{_e(title)}</b> <code>{_e(key)}</code></p>" + _table(
            [str(c) for c in shown.columns], shown.values.tolist(),
            set(range(len(labels), len(shown.columns)))))
    more = len(tables) - outputs
    body = "".join(parts) + (f"<p>... and {more} more outputs</p>" if more > 0 else "") + note
    return (_STYLE + f"<div class='sdm'>{head}"
            + _details("Values", body, open_=True)
            + (_details(f"Scenarios ({sum(1 for k, _ in scen if ' ' not in k)})",
                        _table(["scenario", ""], scen)) if scen else "")
            + _details("How it was made", provenance)
            + "</div>")

