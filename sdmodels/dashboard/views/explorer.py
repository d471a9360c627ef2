"""Scenario explorer: lever controls, presets, KPI cards and baseline-vs-current lines."""

from __future__ import annotations

from functools import partial
from typing import Any

import panel as pn

from sdmodels.dashboard._text import units_label
from sdmodels.dashboard.store import DashboardStore
from sdmodels.dashboard.views._common import BASELINE_COLOUR, CURRENT_COLOUR, fmt
from sdmodels.dashboard.views._figures import (
    FigureGrid,
    finite_or_nan,
    legend_html,
)

__all__ = ["OutputPlots", "explorer_page", "kpi_html", "lever_panel"]


def _start_label(name: str) -> str:
    return f"{name}: from year"


async def _move(store: DashboardStore, lever: str, what: str, event: Any) -> None:
    """A slider was released: recompute in a worker thread (the page shows it is busy)."""
    if what == "value":
        await store.set_lever_async(lever, value=event.new)
    else:
        await store.set_lever_async(lever, start=event.new)


def lever_panel(store: DashboardStore) -> pn.Column:
    """Preset selector and one size slider plus one start-year slider per lever.

    The sliders call the store when released (``value_throttled``) and follow the store when
    a preset changes the levers.
    """
    names = [n for n in store.param.preset.objects if n is not None]
    preset = pn.widgets.Select(label="Preset scenario", options=["(custom)", *names],
                               value=store.preset or "(custom)", sizing_mode="stretch_width",
                               css_classes=["preset-select"])

    async def on_preset(event: Any) -> None:
        # chosen by the user (not the widget following the store): compute in the background
        if event.new != "(custom)" and event.new != store.preset:
            await store.apply_preset_async(event.new)

    preset.param.watch(on_preset, "value")
    widgets: dict[str, tuple[pn.widgets.FloatSlider, pn.widgets.IntSlider]] = {}
    rows: list[Any] = []
    for lv in store.levers:
        size = pn.widgets.FloatSlider(
            label=lv.label, start=lv.min, end=lv.max, step=lv.step,
            value=store.values[lv.py_name], sizing_mode="stretch_width",
            css_classes=["lever", f"lever-{lv.py_name}"],
        )
        start = pn.widgets.IntSlider(
            label=_start_label(lv.name), start=int(lv.start_min), end=int(lv.start_max),
            step=1, value=round(store.starts[lv.py_name]), sizing_mode="stretch_width",
            css_classes=["lever-start", f"start-{lv.py_name}"],
        )
        size.param.watch(partial(_move, store, lv.py_name, "value"), "value_throttled")
        start.param.watch(partial(_move, store, lv.py_name, "start"), "value_throttled")
        widgets[lv.py_name] = (size, start)
        help_text = pn.pane.Markdown(lv.doc, styles={"font-size": "11px", "color": "#555"},
                                     margin=(-8, 10, 0, 10)) if lv.doc else None
        rows.append(pn.Column(size, start, *([help_text] if help_text else []),
                              styles={"border-bottom": "1px solid #ddd"},
                              sizing_mode="stretch_width"))

    def follow(*_: Any) -> None:
        for py, (size, start) in widgets.items():
            size.value = store.values[py]
            start.value = round(store.starts[py])
        preset.value = store.preset or "(custom)"

    store.param.watch(follow, ["values", "starts", "preset"])
    if not store.levers:
        rows.append(pn.pane.Markdown("This model declares no policy levers (constants `X` with "
                                     "a companion `X Start Year`)."))
    return pn.Column(pn.pane.Markdown("### Policy levers"), preset, *rows,
                     sizing_mode="stretch_width")


def kpi_html(store: DashboardStore) -> str:
    """KPI cards as HTML: value of the current settings, baseline and change."""
    cards = []
    for k in store.kpis():
        if k["better"] is None:
            colour, arrow = "#555", "="
        else:
            colour = "#006d4f" if k["better"] else "#b34700"
            arrow = "▲" if k["delta"] > 0 else "▼"
        when = f" {k['year']:.0f}" if k["year"] is not None else ""
        cards.append(
            f'<div class="kpi" data-variable="{k["variable"]}" data-year="{k["year"]:.0f}">'
            f'<div class="kpi-label">{k["label"]}{when}</div>'
            f'<div class="kpi-value">{fmt(k["value"])}</div>'
            f'<div class="kpi-units">{units_label(k["units"])}</div>'
            f'<div class="kpi-delta" style="color:{colour}">{arrow} {fmt(k["delta"])} '
            f'vs baseline ({fmt(k["baseline"])})</div></div>'
        )
    style = (
        "<style>.kpis{display:flex;flex-wrap:wrap;gap:10px}"
        ".kpi{border:1px solid #ccd;border-radius:6px;padding:8px 12px;min-width:150px;"
        "background:#fafbfd}.kpi-label{font-size:12px;color:#333;font-weight:600}"
        ".kpi-value{font-size:24px;font-weight:700;color:#0b3d6b}"
        ".kpi-units{font-size:11px;color:#666}.kpi-delta{font-size:12px}</style>"
    )
    return style + '<div class="kpis">' + "".join(cards) + "</div>"


class OutputPlots(FigureGrid):
    """One figure per key output: baseline (dashed black) and current settings (blue)."""

    columns = ("time", "baseline", "current")
    css_class = "explorer-plots"

    def draw(self, fig: Any, src: Any) -> None:
        fig.line("time", "baseline", source=src, color=BASELINE_COLOUR, line_width=2,
                 line_dash="dashed")
        fig.line("time", "current", source=src, color=CURRENT_COLOUR, line_width=2.5)

    def data(self) -> dict[str, dict[str, Any]] | None:
        ds, base = self.store.current, self.store.baseline
        if ds is None or base is None:
            return None
        return {var: {"time": ds["time"].values, "baseline": finite_or_nan(base[var].values),
                      "current": finite_or_nan(ds[var].values)}
                for var in self.sources if var in ds}


def explorer_page(store: DashboardStore) -> pn.Column:
    """KPI cards and baseline-vs-current lines of the key outputs."""
    cards = pn.pane.HTML(kpi_html(store), sizing_mode="stretch_width",
                         css_classes=["kpi-cards"])
    plots = OutputPlots(store)
    plots_panel = pn.Column(
        pn.pane.HTML(legend_html([("current settings", CURRENT_COLOUR, "solid"),
                                  ("baseline", BASELINE_COLOUR, "dashed")])),
        plots.panel(), sizing_mode="stretch_width")
    description = pn.pane.Markdown(sizing_mode="stretch_width")

    def describe() -> str:
        if store.preset:
            return f"**Preset:** {store.preset}: {store.model.scenarios[store.preset].description}"
        return "**Custom settings** (start from a preset in the sidebar, then move levers)."

    description.object = describe()

    def redraw(*_: Any) -> None:
        cards.object = kpi_html(store)
        plots.update()
        description.object = describe()

    store.param.watch(redraw, ["current", "preset"])
    results = pn.Column(cards, plots_panel, sizing_mode="stretch_width")

    def busy(event: Any) -> None:
        results.loading = event.new

    store.param.watch(busy, "busy")
    return pn.Column(
        pn.pane.Markdown("## Scenario explorer\nMove a lever in the sidebar: the cards and "
                         "lines show the current settings against the baseline."),
        description, results, sizing_mode="stretch_width",
    )
