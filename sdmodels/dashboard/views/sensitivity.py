"""Sensitivity: the levers a planner controls (a tornado) beside the uncertain inputs that
drive each output (Sobol indices at a chosen year and over time).

Each uncertain input keeps one colour in both Sobol charts (bars: first order solid, total
pale); the tornado's two colours say which end of a lever's range a bar is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import panel as pn
import param
from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    Legend,
    NumeralTickFormatter,
    Span,
    Whisker,
)
from bokeh.plotting import figure
from bokeh.transform import dodge

from sdmodels.dashboard._text import fmt_value, inline_html, is_share, units_label
from sdmodels.dashboard.views._figures import line_figure
from sdmodels.plots import PALETTE

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = ["SensitivityPage", "input_colours", "lever_tornado", "sobol_areas", "sobol_bars"]

#: Inputs shown in the bar chart.
TOP = 10
#: Inputs drawn as separate areas (one colour each); the rest are summed as "others".
AREAS = 7
OTHERS = "#BBBBBB"
LOW_COLOUR, HIGH_COLOUR = "#56B4E9", "#0b3d6b"
_ONE_COLUMN = (":host { display: grid !important; grid-template-columns: minmax(0, 1fr) "
               "!important; gap: 8px; }")


def _shown(values: Any) -> Any:
    """Indices as drawn, in [0, 1] (a share of variance): the estimators' small negative values
    and values above 1 (sampling error) at the bounds, NaN (output does not vary) as 0."""
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0, 1)


def _interval(values: Any, conf: Any) -> tuple[Any, Any]:
    """The 95 % bootstrap confidence interval ``values -+ conf`` (SALib's half-widths), in
    [0, 1]."""
    v = np.nan_to_num(np.asarray(values, dtype=float))
    c = np.nan_to_num(np.asarray(conf, dtype=float))
    return np.clip(v - c, 0, 1), np.clip(v + c, 0, 1)


def _legend(fig: Any, items: list[tuple[str, list[Any]]], place: str,
            columns: int | None = None) -> None:
    """A legend below the plot area (in one row, or ``columns`` columns), so that it never
    hides a bar or an area. (Beside the plot, a legend narrowed the plot frames of every chart
    on the page, Bokeh aligning them, and clipped their titles at 1024 px.)"""
    legend = Legend(items=items, orientation="horizontal", label_text_font_size="11px",
                    click_policy="none", margin=4, padding=4,
                    **({"ncols": columns} if columns else {}))
    fig.add_layout(legend, place)


def _name(store: DashboardStore, output: str) -> str:
    """An output's name for a chart title (its units are on the axis: a title with them did
    not fit the chart at 1024 px)."""
    return store.model.variables[output].name


def _names(sobol: Any) -> list[str]:
    return [str(n) for n in sobol["parameter_name"].values]


def _ranked(s: Any, output: str) -> list[int]:
    """Indices of the inputs by decreasing total index, averaged over time."""
    mean_st = _shown(s["ST"].sel(output=output).values).mean(axis=-1)
    return [int(i) for i in np.argsort(-mean_st, kind="stable")]


def input_colours(s: Any, output: str) -> dict[int, str]:
    """One colour per uncertain input for ``output``: the :data:`AREAS` most influential get
    their own colour (by rank over time), the others grey, in both charts."""
    ranked = _ranked(s, output)
    colours = {i: OTHERS for i in ranked}
    for rank, i in enumerate(ranked[:AREAS]):
        colours[i] = PALETTE[rank % len(PALETTE)]
    return colours


def sobol_bars(store: DashboardStore, output: str, year: float) -> Any:
    """First-order (solid) and total (pale) indices of the most influential inputs at
    ``year``, each input in its own colour."""

    s = store.sobol
    colours = input_colours(s, output)
    at = s.sel(output=output).sel(time=year, method="nearest")
    st_now = _shown(at["ST"].values)
    order = [int(i) for i in np.argsort(-st_now, kind="stable")][:TOP]
    names = [_names(s)[i] for i in order]
    s1_lo, s1_hi = _interval(at["S1"].values, at["S1_conf"].values)
    st_lo, st_hi = _interval(at["ST"].values, at["ST_conf"].values)
    src = ColumnDataSource({"input": names, "S1": _shown(at["S1"].values)[order],
                            "ST": st_now[order], "colour": [colours[i] for i in order],
                            "S1_lo": s1_lo[order], "S1_hi": s1_hi[order],
                            "ST_lo": st_lo[order], "ST_hi": st_hi[order]})
    fig = figure(y_range=FactorRange(*reversed(names)), height=110 + 40 * len(names),
                 sizing_mode="stretch_width", x_range=(0, 1.02), min_width=300,
                 title=(f"Uncertain inputs: {_name(store, output)} in "
                        f"{float(at['time']):.0f}"),
                 x_axis_label="Sobol index (share of variance); whiskers: 95 % bootstrap CI",
                 toolbar_location=None, tools="hover",
                 tooltips=[("input", "@input"),
                           ("first order", "@S1{0.00} (95 % CI @S1_lo{0.00} to @S1_hi{0.00})"),
                           ("total", "@ST{0.00} (95 % CI @ST_lo{0.00} to @ST_hi{0.00})")])
    first = fig.hbar(y=dodge("input", 0.18, range=fig.y_range), right="S1", height=0.34,
                     source=src, color="colour")
    total = fig.hbar(y=dodge("input", -0.18, range=fig.y_range), right="ST", height=0.34,
                     source=src, fill_color="colour", fill_alpha=0.35, line_color="colour")
    for offset, lo, hi in ((0.18, "S1_lo", "S1_hi"), (-0.18, "ST_lo", "ST_hi")):
        fig.add_layout(Whisker(source=src, base=dodge("input", offset, range=fig.y_range),
                               lower=lo, upper=hi, dimension="width", line_color="#333",
                               line_width=1.2))
    fig.hover.renderers = [first, total]
    _legend(fig, [("first order (solid)", [first]), ("total (pale)", [total])], "below")
    fig.title.text_font_size = "12pt"
    fig.yaxis.major_label_text_font_size = "11px"
    fig.xaxis.major_label_text_font_size = "11px"
    return fig


def sobol_areas(store: DashboardStore, output: str) -> Any:
    """First-order indices over time as stacked areas (what drives the output, year by year)."""
    s = store.sobol
    all_names = _names(s)
    colours = input_colours(s, output)
    fig = line_figure(f"{_name(store, output)}: first-order indices over time",
                      "first-order Sobol index (dimensionless)", height=420)
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
    fill = [*(colours[i] for i in top), *([OTHERS] if rest else [])]
    areas = fig.varea_stack(keys, x="time", source=data, color=fill)
    _legend(fig, [(n, [r]) for n, r in zip(names, areas, strict=True)][::-1], "below",
            columns=3)
    return fig


def lever_tornado(store: DashboardStore, output: str, year: float) -> Any:
    """Each lever's effect on ``output`` at ``year`` with the lever at the low and the high
    end of its range (other levers as set), largest span on top."""

    frame = store.tornado_table(output, year)
    info = store.model.variables[output]
    share = is_share(info.name, info.units)
    labels = list(frame["lever"])
    src = ColumnDataSource({
        "lever": labels, "low": frame["low"], "high": frame["high"], "zero": [0.0] * len(frame),
        "low_text": [fmt_value(v, info.name, info.units, signed=True) for v in frame["low"]],
        "high_text": [fmt_value(v, info.name, info.units, signed=True) for v in frame["high"]],
        "low_value": frame["low_value"], "high_value": frame["high_value"],
    })
    fig = figure(y_range=FactorRange(*reversed(labels)), height=100 + 30 * max(1, len(labels)),
                 sizing_mode="stretch_width", min_width=300, toolbar_location=None,
                 title=f"Policy levers: {info.name} in {year:.0f}",
                 x_axis_label="change against the current settings ("
                              + ("percentage points" if share else units_label(info.units)) + ")",
                 tools="hover", tooltips=[("lever", "@lever"),
                                          ("at the low end (@low_value)", "@low_text"),
                                          ("at the high end (@high_value)", "@high_text")])
    low = fig.hbar(y="lever", left="zero", right="low", height=0.6, source=src,
                   color=LOW_COLOUR)
    high = fig.hbar(y="lever", left="zero", right="high", height=0.6, source=src,
                    color=HIGH_COLOUR, fill_alpha=0.85)
    fig.add_layout(Span(location=0, dimension="height", line_color="#333", line_width=1))
    _legend(fig, [("lever at the low end of its range", [low]),
                  ("lever at the high end of its range", [high])], "below")
    fig.title.text_font_size = "12pt"
    fig.yaxis.major_label_text_font_size = "11px"
    fig.xaxis.major_label_text_font_size = "11px"
    if share:

        fig.xaxis.formatter = NumeralTickFormatter(format="0.[0]%")
    return fig


class SensitivityPage(pn.viewable.Viewer):
    """A lever tornado beside the Sobol indices, for a chosen output and year."""

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        store = self.store
        outputs = {store.output_label(o): o for o in store.outputs}
        self.output = pn.widgets.Select(label="Output", options=outputs,
                                        value=store.outputs[0] if store.outputs else None,
                                        width=300, css_classes=["sens-output"])
        years = store.years() or [0.0]
        self.year = pn.widgets.IntSlider(label="Year", start=int(min(years)),
                                         end=int(max(years)), value=int(max(years)),
                                         width=300, css_classes=["sens-year"])
        self.status = pn.pane.HTML(inline_html(store.sobol_status), css_classes=["sobol-status"])
        self.tornado = pn.pane.Bokeh(sizing_mode="stretch_width", css_classes=["tornado"])
        self.bars = pn.pane.Bokeh(sizing_mode="stretch_width", css_classes=["sobol-bars"])
        self.areas = pn.pane.Bokeh(sizing_mode="stretch_width", css_classes=["sobol-areas"])
        self.output.param.watch(self._redraw, "value")
        self.year.param.watch(self._redraw, "value_throttled")
        store.param.watch(self._redraw, ["sobol", "tornado"])
        store.param.watch(lambda e: setattr(self.status, "object", inline_html(e.new)),
                         "sobol_status")
        self._layout = pn.Column(
            pn.pane.Markdown("## Sensitivity\nFirst: how much each **policy lever** moves the "
                             "output, from the low to the high end of its range. Then: which "
                             "**uncertain inputs** drive it; a Sobol index is the share of the "
                             "output's variance due to one input, alone (first order) or with "
                             "its interactions (total)."),
            pn.Row(self.output, self.year), self.status,
            # a CSS grid of one column: each chart as wide as the page (in a plain column,
            # the three plot frames took the width of the narrowest)
            pn.Column(self.tornado, self.bars, self.areas, sizing_mode="stretch_width",
                      stylesheets=[_ONE_COLUMN]),
            sizing_mode="stretch_width")
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        store, output = self.store, self.output.value
        if output is None:
            return
        year = float(self.year.value)
        if store.tornado is not None:
            self.tornado.object = lever_tornado(store, output, year)
        if store.sobol is not None:
            self.bars.object = sobol_bars(store, output, year)
            self.areas.object = sobol_areas(store, output)

    def __panel__(self) -> Any:
        return self._layout
