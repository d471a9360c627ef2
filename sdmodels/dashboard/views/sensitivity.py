"""Sensitivity: Sobol indices of the key outputs at a chosen year and over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import panel as pn

from sdmodels.dashboard.store import DashboardStore
from sdmodels.dashboard.views._common import in_thread
from sdmodels.dashboard.views._figures import line_figure
from sdmodels.plots import PALETTE

__all__ = ["sensitivity_page", "sobol_areas", "sobol_bars"]


def _shown(values: Any) -> Any:
    """Indices as drawn: small negative estimates and NaN (output does not vary) as 0."""
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0, None)


def _names(sobol: Any) -> list[str]:
    return [str(n) for n in sobol["parameter_name"].values]


#: Inputs shown in the bar chart.
TOP = 10
#: Inputs drawn as separate areas (one Okabe-Ito colour each); the rest are summed as "others".
AREAS = 7


def _ranked(s: Any, output: str) -> list[int]:
    """Indices of the inputs by decreasing total index, averaged over time."""
    mean_st = _shown(s["ST"].sel(output=output).values).mean(axis=-1)
    return [int(i) for i in np.argsort(-mean_st, kind="stable")]


def sobol_bars(store: DashboardStore, output: str, year: float) -> Any:
    """First-order and total indices of the most influential inputs at ``year``."""
    from bokeh.models import ColumnDataSource, FactorRange
    from bokeh.plotting import figure
    from bokeh.transform import dodge

    s = store.sobol
    at = s.sel(output=output).sel(time=year, method="nearest")
    st_now = _shown(at["ST"].values)
    order = [int(i) for i in np.argsort(-st_now, kind="stable")][:TOP]
    names = [_names(s)[i] for i in order]
    src = ColumnDataSource({"input": names, "S1": _shown(at["S1"].values)[order],
                            "ST": st_now[order]})
    fig = figure(y_range=FactorRange(*reversed(names)), height=70 + 42 * len(names),
                 sizing_mode="stretch_width", x_range=(0, 1.05),
                 title=(f"{store.output_label(output)} in {float(at['time']):.0f}: the "
                        f"{len(order)} most influential of {len(st_now)} inputs"),
                 x_axis_label="Sobol index (share of variance, dimensionless)",
                 y_axis_label="Uncertain input", toolbar_location=None, tools="hover",
                 tooltips=[("input", "@input"), ("first order", "@S1{0.00}"),
                           ("total", "@ST{0.00}")])
    fig.hbar(y=dodge("input", 0.18, range=fig.y_range), right="S1", height=0.34, source=src,
             color=PALETTE[0], legend_label="first order (S1)")
    fig.hbar(y=dodge("input", -0.18, range=fig.y_range), right="ST", height=0.34, source=src,
             color=PALETTE[1], legend_label="total (ST)")
    fig.legend.location = "bottom_right"
    fig.title.text_font_size = "11pt"
    fig.yaxis.major_label_text_font_size = "10pt"
    return fig


def sobol_areas(store: DashboardStore, output: str) -> Any:
    """First-order indices over time as stacked areas (what drives the output, year by year)."""
    s = store.sobol
    all_names = _names(s)
    fig = line_figure(f"{store.output_label(output)}: first-order indices over time",
                      "first-order Sobol index (dimensionless)", height=320)
    s1 = _shown(s["S1"].sel(output=output).values)  # (parameter, time)
    ranked = _ranked(s, output)
    top, rest = ranked[:AREAS], ranked[AREAS:]
    data: dict[str, Any] = {"time": s["time"].values}
    keys, names = [], []
    for i in top:
        keys.append(f"p{i}")
        names.append(all_names[i])
        data[f"p{i}"] = s1[i]
    if rest:
        keys.append("others")
        names.append(f"{len(rest)} others")
        data["others"] = s1[rest].sum(axis=0)
    colours = [*PALETTE[:len(top)], *(["#BBBBBB"] if rest else [])]
    fig.varea_stack(keys, x="time", source=data, color=colours, legend_label=names)
    fig.legend.location = "top_left"
    fig.legend.label_text_font_size = "9pt"
    fig.legend.background_fill_alpha = 0.7
    return fig


def sensitivity_page(store: DashboardStore) -> tuple[pn.Column, Any]:
    """The page and functions to call when it is shown and hidden (computes on first show)."""
    outputs = {store.output_label(o): o for o in store.outputs}
    output = pn.widgets.Select(label="Output", options=outputs,
                               value=store.outputs[0] if store.outputs else None, width=300)
    times = store.current["time"].values if store.current is not None else np.array([0.0])
    year = pn.widgets.IntSlider(label="Year", start=int(times.min()),
                                end=int(times.max()), value=int(times.max()), width=300)
    progress = pn.indicators.Progress(active=False, visible=False, width=260, align="center")
    status = pn.pane.Markdown("", css_classes=["sobol-status"])
    bars = pn.pane.Bokeh(sizing_mode="stretch_width", css_classes=["sobol-bars"])
    areas = pn.pane.Bokeh(sizing_mode="stretch_width", css_classes=["sobol-areas"])

    def redraw(*_: Any) -> None:
        if store.sobol is None or output.value is None:
            return
        bars.object = sobol_bars(store, output.value, year.value)
        areas.object = sobol_areas(store, output.value)

    output.param.watch(redraw, "value")
    year.param.watch(redraw, "value_throttled")

    async def on_shown() -> None:
        if store.sobol is not None:
            redraw()
            return
        try:
            runs = store.sobol_samples * (store.uncertain_count() + 2)
        except Exception as exc:  # noqa: BLE001 - no uncertainty file: say so
            status.object = f"**Cannot compute Sobol indices:** {exc}"
            return
        progress.visible = progress.active = True
        status.object = (f"Computing Sobol indices: {runs} model runs (once per model file, "
                         "then shared by every session) ...")
        try:
            store.sobol = await in_thread(store.compute_sobol)
            status.object = (f"Sobol indices from {runs} runs around the baseline "
                             f"({store.sobol.attrs.get('method')}).")
        except Exception as exc:  # noqa: BLE001 - shown to the user; the server keeps running
            status.object = f"**Sobol analysis failed:** {exc}"
        finally:
            progress.visible = progress.active = False
        redraw()

    page = pn.Column(
        pn.pane.Markdown("## Sensitivity\nWhich uncertain inputs drive each output? A Sobol "
                         "index is the share of the output's variance due to one input: alone "
                         "(first order) or with its interactions (total)."),
        pn.Row(output, year, progress), status, bars, areas, sizing_mode="stretch_width",
    )
    return page, (on_shown, lambda: None)
