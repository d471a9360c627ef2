"""Compare: saved and shipped scenarios side by side; saved scenarios kept in the browser,
exported and imported as scenario files; downloads as CSV, Excel, netCDF and an HTML report;
the attribution waterfall of the current settings against the baseline.

More views of a comparison (e.g. an attribution waterfall) go in :attr:`ComparePage.sections`.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, FactorRange, HoverTool, Range1d
from bokeh.plotting import figure
from panel.custom import JSComponent

from sdmodels.dashboard import reports
from sdmodels.dashboard._constants import KPI_YEARS
from sdmodels.dashboard._text import (
    esc,
    inline_html,
    is_share,
    per_year,
    percent_unit,
    units_label,
)
from sdmodels.dashboard.scenario_files import MAX_SCENARIO_BYTES, scenario_to_toml
from sdmodels.dashboard.views._figures import (
    FIGURE_HEIGHT,
    DocumentWriter,
    FigureGrid,
    add_hover,
    finite_or_nan,
    hover_tooltips,
    legend_html,
    series_style,
)
from sdmodels.errors import SDModelsError

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = [
    "MAX_COMPARED", "AttributionWaterfall", "BrowserStorage", "ComparePage", "ComparisonPlots",
    "saved_in_browser", "waterfall_data",
]

#: Scenarios drawn at once (each with its own colour and line style).
MAX_COMPARED = 8


class BrowserStorage(JSComponent):
    """A value kept in the browser's ``localStorage`` under ``key`` (nothing is drawn).

    ``value`` is read from the browser when the page opens (``loaded`` then turns true) and
    written back whenever it changes on the server.
    """

    key = param.String(default="sdmodels")
    value = param.String(default="")
    loaded = param.Boolean(default=False)

    _esm = """
    export function render({ model }) {
      let stored = null
      try { stored = window.localStorage.getItem(model.key) } catch (e) { stored = null }
      model.value = stored === null ? "" : stored
      model.loaded = true
      model.on('value', () => {
        try { window.localStorage.setItem(model.key, model.value) } catch (e) { }
      })
      const span = document.createElement('span')
      span.style.display = 'none'
      return span
    }
    """


def _labelled(names: list[str]) -> dict[str, str]:
    # the choices list renders its labels as HTML: escape them (the values stay the names)
    return {esc(n): n for n in names}


def saved_in_browser(store: DashboardStore) -> BrowserStorage:
    """A :class:`BrowserStorage` that restores the store's saved scenarios when the page
    opens and keeps them whenever they change (problems go to the store's message)."""
    storage = BrowserStorage(key=f"sdmodels-saved-{store.model.name}")

    def restore(event: Any) -> None:
        if not event.new:
            return
        problems = store.restore_saved(storage.value)
        if problems:
            store.message = "Some saved scenarios were not restored: " + "; ".join(problems)

    def keep(*_: Any) -> None:
        if storage.loaded:
            storage.value = store.saved_json()

    storage.param.watch(restore, "loaded")
    store.param.watch(keep, "saved")
    return storage


class ComparisonPlots(FigureGrid):
    """One figure per key output, one line per compared scenario (colour and dash differ)."""

    columns = ("time", *(f"s{i}" for i in range(MAX_COMPARED)))
    css_class = "compare-plots"

    def draw(self, fig: Any, src: Any, name: str, units: str) -> None:
        # every line and its tooltip made once: an update changes their properties only, so
        # the page never receives a patch naming a model that a later patch has dropped
        self.renderers = getattr(self, "renderers", {})
        lines, hovers = [], []
        for i in range(MAX_COMPARED):
            colour, dash, _ = series_style(i)
            line = fig.line("time", f"s{i}", source=src, color=colour, line_dash=dash,
                            line_width=2, visible=False)
            lines.append(line)
            hovers.append(add_hover(fig, line, "", f"s{i}", name, units))
        self.renderers[id(fig)] = (lines, hovers, name, units)

    def update(self) -> None:
        """New lines, their visibility and tooltips, written under the document lock."""
        new = self.data()
        ds = self.store.comparison
        if new is None or ds is None:
            return
        names = [str(n) for n in ds["scenario"].values][:MAX_COMPARED]

        def write() -> None:
            for lines, hovers, name, units in self.renderers.values():
                for i, line in enumerate(lines):
                    line.visible = i < len(names)  # a hidden line shows no tooltip
                for i, series in enumerate(names):  # Bokeh sends only a changed value
                    hovers[i].tooltips = hover_tooltips(series, f"s{i}", name, units)
            for var, values in new.items():
                self.sources[var].data = values

        self.write(write)

    def data(self) -> dict[str, dict[str, Any]] | None:
        ds = self.store.comparison
        if ds is None:
            return None
        names = [str(n) for n in ds["scenario"].values][:MAX_COMPARED]
        empty = [float("nan")] * ds.sizes["time"]
        return {var: {"time": ds["time"].values, **{
            f"s{i}": finite_or_nan(ds[var].sel(scenario=names[i]).values) if i < len(names)
            else empty for i in range(MAX_COMPARED)}} for var in self.sources if var in ds}


def _signed(value: float, name: str, units: str) -> str:
    """A change with its units: ``+0.0123 dmnl``, ``-1.2 percentage points``, ``+1,234 Person``."""
    if is_share(name, units):
        return f"{100 * value:+,.3g} percentage points" + (" a year" if per_year(units) else "")
    label = units_label(units)
    unit_text = "" if label == "dimensionless" else f" {label}"
    return f"{value:+,.4g}{unit_text}"


def _level(value: float, name: str, units: str) -> str:
    if is_share(name, units):
        return f"{100 * value:,.3g} " + percent_unit(name, units)
    label = units_label(units)
    return f"{value:,.4g}" + ("" if label == "dimensionless" else f" {label}")


def waterfall_data(store: DashboardStore, output: str, year: float) -> dict[str, Any] | None:
    """The waterfall's bars for ``output`` at ``year``: the baseline, each lever's Shapley
    value (largest first, floating from the level the bars before it reach), the current
    settings; with tooltip texts. ``None`` without an attribution."""
    frame = store.attribution_table(output, year)
    if store.attribution is None or frame.empty:
        return None
    info = frame.attrs
    name, units = info["output_name"], info["units"]
    against, scenario = info["value_against"], info["value_scenario"]
    levels = against + np.concatenate([[0.0], np.cumsum(frame["shapley"].to_numpy())])
    span = [against, scenario, *levels]
    low, high = float(min(span)), float(max(span))
    pad = 0.15 * ((high - low) or abs(high) or 1.0)
    floor = low - pad
    labels = ["Baseline", *frame["factor"].astype(str), "Current settings"]
    bottoms = [floor, *levels[:-1], floor]
    tops = [against, *levels[1:], scenario]
    kinds = ["level", *("gain" if v >= 0 else "loss" for v in frame["shapley"]), "level"]
    colours = {"level": "#999999", "gain": "#009E73", "loss": "#D55E00"}
    shares = [float("nan"), *frame["share"].to_numpy(), float("nan")]
    return {
        "factor": labels, "bottom": bottoms, "top": tops,
        "colour": [colours[k] for k in kinds],
        "change": ["", *frame["change"].astype(str), ""],
        "value_text": [_level(against, name, units),
                       *(_signed(float(v), name, units) for v in frame["shapley"]),
                       _level(scenario, name, units)],
        "share_text": ["" if np.isnan(x) else f"{100 * x:.0f} % of the difference"
                       for x in shares],
        "range": (floor, high + pad),
        "title": (f"{name}, {info['year']:g}: current settings minus baseline "
                  f"{_signed(info['total'], name, units)}"
                  + ("" if np.isnan(info["interaction_share"]) else
                     f"; interactions {100 * info['interaction_share']:.0f} % of it")),
    }


class AttributionWaterfall(pn.viewable.Viewer):
    """Which lever produced which part of the difference between the current settings and
    the baseline: a Bokeh waterfall of Shapley values, one output and year at a time."""

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:

        super().__init__(**params)
        store = self.store
        self.write = DocumentWriter()
        times = store.current["time"].values if store.current is not None else []
        years = [y for y in KPI_YEARS if len(times) and times.min() <= y <= times.max()]
        years = years or ([float(times[-1])] if len(times) else [])
        self.output = pn.widgets.Select(
            label="Output", options={store.output_label(v): v for v in store.outputs},
            value=store.outputs[0] if store.outputs else None, width=260,
            css_classes=["attribution-output"])
        self.year = pn.widgets.Select(label="Year", options={f"{y:g}": float(y) for y in years},
                                      value=float(years[-1]) if years else None, width=120,
                                      css_classes=["attribution-year"])
        self.status = pn.pane.HTML(inline_html(store.attribution_status),
                                   css_classes=["attribution-status"])
        self.source = ColumnDataSource({c: [] for c in (
            "factor", "bottom", "top", "colour", "change", "value_text", "share_text")},
            name="attribution-waterfall")
        fig = figure(x_range=FactorRange(factors=[]), y_range=Range1d(0, 1), height=FIGURE_HEIGHT + 80,
                     sizing_mode="stretch_width", min_width=280, toolbar_location="above",
                     tools="save,reset", title="", min_border_left=64)
        fig.toolbar.logo = None
        fig.toolbar.autohide = True
        fig.title.text_font_size = "12pt"
        fig.xaxis.major_label_orientation = 0.6
        fig.xaxis.major_label_text_font_size = "11px"
        fig.yaxis.major_label_text_font_size = "11px"
        bars = fig.vbar(x="factor", bottom="bottom", top="top", width=0.6, color="colour",
                        source=self.source)
        # Bokeh escapes @field values in tooltips: model text is shown as text, never HTML
        fig.add_tools(HoverTool(renderers=[bars], tooltips=[
            ("lever", "@factor"), ("change", "@change"), ("effect", "@value_text"),
            ("", "@share_text")]))
        self.figure = fig
        self.pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width", min_width=280,
                                  css_classes=["attribution-waterfall"])
        self.output.param.watch(self.update, "value")
        self.year.param.watch(self.update, "value")
        store.param.watch(self.update, "attribution")
        store.param.watch(self._on_status, "attribution_status")
        self._layout = pn.Column(
            pn.pane.Markdown("### Which lever produced the difference?\nThe difference between "
                             "the current settings and the baseline, split among the levers "
                             "that differ by Shapley values (exact: every combination of the "
                             "levers is run; the bars add up to the difference). Green bars "
                             "add to the output, orange ones take away."),
            pn.Row(self.output, self.year, self.status), self.pane,
            sizing_mode="stretch_width", css_classes=["attribution-section"])
        self.update()

    def _on_status(self, event: Any) -> None:
        self.status.object = inline_html(event.new)

    def update(self, *_: Any) -> None:
        """Redraw the bars from the store's attribution."""
        if self.output.value is None or self.year.value is None:
            return
        data = None if self.store.attribution is None else waterfall_data(
            self.store, self.output.value, self.year.value)
        if data is None:
            data = {"factor": [], "bottom": [], "top": [], "colour": [], "change": [],
                    "value_text": [], "share_text": [], "range": None, "title": ""}
        fig, source = self.figure, self.source

        def write() -> None:
            span = data.pop("range")
            title = data.pop("title")
            fig.x_range.factors = list(data["factor"])
            if span is not None:
                fig.y_range.start, fig.y_range.end = span
            fig.title.text = title
            source.data = data

        self.write(write)

    def __panel__(self) -> Any:
        return self._layout


class ComparePage(pn.viewable.Viewer):
    """Save, export, import and compare scenarios; download the comparison."""

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        store = self.store
        self.save_name = pn.widgets.TextInput(label="Save current settings as",
                                         placeholder="e.g. my plan", width=260,
                                         css_classes=["save-name"])
        self.save = pn.widgets.Button(label="Save", color="primary", width=100,
                                      align="end", css_classes=["save-button"])
        self.chosen = pn.widgets.MultiChoice(
            label=f"Scenarios to compare (up to {MAX_COMPARED})",
            options=_labelled(store.available_scenarios()), value=list(store.compared),
            max_items=MAX_COMPARED, sizing_mode="stretch_width", css_classes=["compare-choice"])
        self.note = pn.pane.HTML("", css_classes=["compare-note"])
        self.upload = pn.widgets.FileInput(label="Import a scenario file (.toml)",
                                           accept=".toml", css_classes=["import-scenario"])
        self.export_choice = pn.widgets.Select(label="Export a saved scenario",
                                               options=list(store.saved), width=260,
                                               css_classes=["export-choice"])
        self.export = pn.widgets.FileDownload(callback=self._export, filename="scenario.toml",
                                              label="Download scenario file",
                                              color="light", align="end",
                                              css_classes=["export-scenario"])
        self.plots = ComparisonPlots(store)
        self.legend = pn.pane.HTML("", css_classes=["compare-legend"])
        #: Further views of the comparison, below the charts.
        self.sections = pn.Column(sizing_mode="stretch_width")
        self.waterfall = AttributionWaterfall(store=store)
        self.sections.append(self.waterfall)
        downloads = [
            pn.widgets.FileDownload(callback=self._csv, filename="sdmodels_comparison.csv",
                                    label="Download CSV", color="success", width=170,
                                    css_classes=["download-csv"]),
            pn.widgets.FileDownload(callback=self._excel, filename="sdmodels_comparison.xlsx",
                                    label="Download Excel", color="success", width=170,
                                    css_classes=["download-excel"]),
            pn.widgets.FileDownload(callback=self._report, filename="sdmodels_report.html",
                                    label="Download report (HTML)", color="success",
                                    width=210, css_classes=["download-report"]),
            pn.widgets.FileDownload(callback=self._netcdf, filename="sdmodels_comparison.nc",
                                    label="Download netCDF", color="success", width=170,
                                    css_classes=["download-netcdf"]),
        ]
        self.save.on_click(self._save)
        self.chosen.param.watch(self._choose, "value")
        self.upload.param.watch(self._import, "value")
        store.param.watch(self._redraw, "comparison")
        store.param.watch(self._saved_changed, "saved")
        self._layout = pn.Column(
            pn.pane.Markdown("## Compare scenarios\nSave the current lever settings under a "
                             "name (they stay in this browser), then compare them with the "
                             "shipped scenarios. A saved scenario downloads as a scenario file "
                             "that `sdmodels run --scenario FILE` runs; import such a file "
                             "here. Downloads hold the scenarios shown."),
            pn.Row(self.save_name, self.save), pn.Row(self.export_choice, self.export),
            self.upload, self.chosen, pn.FlexBox(*downloads), self.note, self.legend,
            self.plots.panel(), self.sections, sizing_mode="stretch_width",
        )
        self._redraw()

    # -- actions
    async def _save(self, *_: Any) -> None:
        try:
            scenario = self.store.save_current(self.save_name.value)
        except SDModelsError as exc:
            self.note.object = f"<b>Cannot save:</b> {esc(exc)}"
            return
        self.save_name.value = ""
        self.note.object = f"Saved {esc(scenario.name)} in this browser."
        await self.store.compare([*self.chosen.value, scenario.name][-MAX_COMPARED:])

    async def _choose(self, event: Any) -> None:
        if list(event.new) != list(self.store.compared):
            await self.store.compare(list(event.new))

    async def _import(self, event: Any) -> None:
        data = event.new
        if not data:
            return
        if len(data) > MAX_SCENARIO_BYTES:
            self.note.object = (f"<b>Cannot import:</b> the file is larger than "
                                f"{MAX_SCENARIO_BYTES} bytes")
            return
        stem = (self.upload.filename or "imported").rsplit(".", 1)[0]
        try:
            text = data.decode("utf-8")
            scenario = self.store.import_scenario(stem, text)
        except (UnicodeDecodeError, SDModelsError) as exc:
            self.note.object = f"<b>Cannot import:</b> {esc(exc)}"
            return
        self.note.object = f"Imported {esc(scenario.name)}."
        await self.store.compare([*self.chosen.value, scenario.name][-MAX_COMPARED:])

    def _saved_changed(self, *_: Any) -> None:
        self.chosen.options = _labelled(self.store.available_scenarios())
        self.export_choice.options = list(self.store.saved)

    # -- drawing
    def _redraw(self, *_: Any) -> None:
        ds = self.store.comparison
        if list(self.chosen.value) != list(self.store.compared):
            self.chosen.value = list(self.store.compared)
        if ds is None:
            self.legend.object = "Choose at least one scenario."
            return
        names = [str(n) for n in ds["scenario"].values]
        self.legend.object = legend_html([(n, *series_style(i)[::2])
                                          for i, n in enumerate(names)])
        self.plots.update()

    # -- downloads
    def _result(self) -> Any:
        return self.store.comparison_now()

    def _csv(self) -> io.BytesIO:
        frame = reports.comparison_frame(self.store, self._result())
        return io.BytesIO(frame.to_csv(index=False).encode("utf-8"))

    def _excel(self) -> io.BytesIO:
        return io.BytesIO(reports.excel_bytes(self.store, self._result()))

    def _report(self) -> io.BytesIO:
        return io.BytesIO(reports.html_report(self.store, self._result()).encode("utf-8"))

    def _netcdf(self) -> io.BytesIO:
        return io.BytesIO(reports.netcdf_bytes(self._result()))

    def _export(self) -> io.BytesIO:
        name = self.export_choice.value
        if name is None or name not in self.store.saved:
            return io.BytesIO(b"# save a scenario first\n")
        self.export.filename = f"{''.join(c if c.isalnum() else '_' for c in name)}.toml"
        return io.BytesIO(scenario_to_toml(self.store.saved[name]).encode("utf-8"))

    def __panel__(self) -> Any:
        return self._layout
