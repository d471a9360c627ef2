"""Downloads of a comparison: CSV (with lever settings and uncertainty bands), netCDF, Excel
with a metadata sheet, and a self-contained HTML report (charts, KPIs, levers, starting point,
model checksum) that opens without a network."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr
from bokeh.embed import file_html
from bokeh.layouts import gridplot
from bokeh.resources import INLINE

from sdmodels.dashboard._text import esc, fmt_value
from sdmodels.dashboard.views._figures import line_figure, series_style
from sdmodels.results import write_dataset

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = ["comparison_frame", "excel_bytes", "html_report", "lever_frame", "metadata",
           "netcdf_bytes"]


def lever_frame(store: DashboardStore, names: list[str]) -> pd.DataFrame:
    """One row per compared scenario: every lever's size and start year, and the starting
    values set (column names carry units)."""
    rows = []
    for name in names:
        scenario = store.scenario_named(name)
        row: dict[str, Any] = {"scenario": name}
        levers = {lv.name.lower(): lv for lv in scenario.levers}
        for spec in store.levers:
            lever = levers.get(spec.name.lower())
            value = lever.value if lever else scenario.parameters.get(spec.name, spec.default)
            start = lever.start if lever else spec.start_default
            row[f"lever: {spec.name} [{spec.units}]"] = float(value)
            row[f"lever: {spec.name} start year"] = float(start)
        for info in store.start_fields:
            row[f"start: {info.name} [{info.units}]"] = float(
                scenario.parameters.get(info.py_name, scenario.parameters.get(
                    info.name, info.value)))
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_frame(store: DashboardStore, ds: xr.Dataset) -> pd.DataFrame:
    """A tidy table: one row per scenario and year, one column per output (units in the
    column names), the scenario's lever settings, and where the Monte Carlo has been run the
    5 % and 95 % bands of the ``current`` and ``baseline`` rows."""
    frame = ds.to_dataframe().reset_index()
    keep = [c for c in ("scenario", "time") if c in frame.columns]
    outputs = list(ds.data_vars)
    frame = frame[keep + outputs]
    frame.columns = keep + [f"{ds[v].attrs.get('name', v)} [{ds[v].attrs.get('units', '')}]"
                            for v in outputs]
    names = [str(n) for n in ds["scenario"].values]
    if store.mc is not None and not store.mc_stale:
        bands = []
        for scen in ("baseline", "current"):
            if scen not in names:
                continue
            part = {"scenario": scen, "time": store.mc["time"].values}
            for v in outputs:
                label = f"{ds[v].attrs.get('name', v)} [{ds[v].attrs.get('units', '')}]"
                for q, tag in ((0.05, "5 %"), (0.95, "95 %")):
                    part[f"{label} {tag}"] = store.mc[v].sel(scenario=scen, quantile=q).values
            bands.append(pd.DataFrame(part))
        if bands:
            frame = frame.merge(pd.concat(bands), on=["scenario", "time"], how="left")
    return frame.merge(lever_frame(store, names), on="scenario", how="left")


def metadata(store: DashboardStore, names: list[str]) -> dict[str, str]:
    """How the results were made: model file and checksum, engine, versions, when."""

    try:
        __version__ = version("sdmodels")
    except PackageNotFoundError:  # running from a source tree without install
        __version__ = "unknown"
    return {
        "model file": store.model.path.name,
        "model checksum (sha256)": store.model.hash,
        "engine": store.engine_name(),
        "sdmodels version": __version__,
        "scenarios": ", ".join(names),
        "starting point": ", ".join(f"{k} = {v:g}" for k, v in store.start_point.items())
        or "the model's own values",
        "Monte Carlo": (f"{store.mc.attrs.get('n_samples')} samples, seed {store.mc_seed}"
                        if store.mc is not None and not store.mc_stale else "not run"),
        "made": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def netcdf_bytes(ds: xr.Dataset) -> bytes:
    """The Dataset as netCDF bytes, written with :func:`sdmodels.results.write_dataset`."""

    with tempfile.TemporaryDirectory(prefix="sdmodels-dashboard-") as folder:
        path = write_dataset(ds, Path(folder) / "results.nc")
        return path.read_bytes()


def excel_bytes(store: DashboardStore, ds: xr.Dataset) -> bytes:
    """An Excel workbook: ``results`` (as the CSV), ``levers`` and ``metadata`` sheets."""
    names = [str(n) for n in ds["scenario"].values]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        comparison_frame(store, ds).to_excel(writer, sheet_name="results", index=False)
        lever_frame(store, names).to_excel(writer, sheet_name="levers", index=False)
        meta = metadata(store, names)
        pd.DataFrame({"item": list(meta), "value": list(meta.values())}).to_excel(
            writer, sheet_name="metadata", index=False)
    return buf.getvalue()


def html_report(store: DashboardStore, ds: xr.Dataset) -> str:
    """A self-contained HTML report of the comparison: metadata, KPI table, lever settings and
    one interactive chart per output (BokehJS inlined: it opens offline)."""


    names = [str(n) for n in ds["scenario"].values]
    meta = metadata(store, names)
    figures = []
    for var in store.outputs:
        info = store.model.variables[var]
        fig = line_figure(info.name, info.units, height=260)
        for i, name in enumerate(names):
            colour, dash, _ = series_style(i)
            fig.line(ds["time"].values, ds[var].sel(scenario=name).values, color=colour,
                     line_dash=dash, line_width=2, legend_label=name)
        fig.legend.label_text_font_size = "11px"
        figures.append(fig)
    charts = file_html(gridplot(figures, ncols=3, sizing_mode="stretch_width"), INLINE,
                       title="charts")
    kpi_rows = []
    for var, year in store.kpi_cards:
        info = store.model.variables[var]
        values = [float(ds[var].sel(scenario=n).sel(time=year, method="nearest"))
                  for n in names]
        cells = "".join(f"<td>{esc(fmt_value(v, info.name, info.units))}</td>" for v in values)
        kpi_rows.append(f"<tr><th>{esc(info.name)} {year:.0f}</th>{cells}</tr>")
    levers = lever_frame(store, names).set_index("scenario").T
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    body = "".join(f"<tr><th>{esc(idx)}</th>" + "".join(f"<td>{v:g}</td>" for v in row)
                   + "</tr>" for idx, row in levers.iterrows())
    meta_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in meta.items())
    charts_body = charts.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    charts_head = charts.split("<head>", 1)[1].split("</head>", 1)[0]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>sdmodels report: {esc(store.model.name)}</title>{charts_head}"
        "<style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse;"
        "margin-bottom:18px}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;"
        "text-align:left}</style></head><body>"
        f"<h1>Scenario comparison: {esc(store.model.path.name)}</h1>"
        f"<h2>How these results were made</h2><table>{meta_rows}</table>"
        f"<h2>Key figures</h2><table><tr><th></th>{head}</tr>{''.join(kpi_rows)}</table>"
        f"<h2>Lever settings and starting point</h2><table><tr><th></th>{head}</tr>{body}"
        f"</table><h2>Charts</h2>{charts_body}</body></html>"
    )
