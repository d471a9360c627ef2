"""Bokeh figures of the dashboard, built once per page and updated in place.

Figures are plain Bokeh (fast to update: a new ``source.data`` redraws a chart without
re-rendering the page). Every axis carries units, rates and shares are drawn as percentages,
tooltips name the series, the year and the value with its units; colours come from the
Okabe-Ito palette, and each of up to eight scenarios has its own colour *and* line style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure

from sdmodels.dashboard._text import esc, is_share, number_format, per_year, units_label
from sdmodels.plots import PALETTE

__all__ = [
    "FIGURE_HEIGHT", "LINE_STYLES", "DocumentWriter", "FigureGrid", "finite_or_nan",
    "legend_html", "line_figure", "series_style",
]

FIGURE_HEIGHT = 240

#: Line styles of compared scenarios: Bokeh dash pattern and the SVG dasharray drawn in legends.
LINE_STYLES: tuple[tuple[Any, str], ...] = (
    ("solid", ""), ("dashed", "6 4"), ("dotted", "2 3"), ("dotdash", "2 3 6 3"),
    ([10, 3], "10 3"), ([2, 2, 8, 2, 2, 6], "2 2 8 2 2 6"), ("dashdot", "6 3 2 3"),
    ([1, 5], "1 5"),
)


def series_style(i: int) -> tuple[str, Any, str]:
    """Colour, Bokeh dash and SVG dasharray of the ``i``-th compared scenario (distinct for
    the first eight)."""
    dash, svg = LINE_STYLES[i % len(LINE_STYLES)]
    return PALETTE[i % len(PALETTE)], dash, svg


def line_figure(title: str, units: str, *, height: int = FIGURE_HEIGHT,
                share: bool = False) -> Any:
    """An empty time-series figure: x axis in years, y axis in ``units`` (or % and %/year
    for a share or a fraction a year)."""

    label = ("%/year" if per_year(units) else "%") if share else units_label(units)
    fig = figure(title=title, height=height, sizing_mode="stretch_width", min_width=280,
                 x_axis_label="Year", y_axis_label=label,
                 tools="pan,box_zoom,wheel_zoom,reset,save", toolbar_location="above",
                 min_border_left=64)
    fig.toolbar.autohide = True
    fig.title.text_font_size = "12pt"
    for axis in (fig.xaxis, fig.yaxis):
        axis.axis_label_text_font_size = "11pt"
        axis.axis_label_text_font_style = "normal"
        axis.major_label_text_font_size = "11px"
    fig.xaxis.formatter = NumeralTickFormatter(format="0")
    fig.yaxis.formatter = NumeralTickFormatter(format="0.[0]%" if share else "0.[000]a")
    fig.toolbar.logo = None
    return fig


def hover_tooltips(series: str, column: str, name: str, units: str) -> list[tuple[str, str]]:
    """The tooltip rows of one line: series name, year, formatted value with units."""
    share = is_share(name, units)
    unit_text = (("/year" if per_year(units) else "") if share
                 else "" if units_label(units) == "dimensionless" else f" {units}")
    return [("", series), ("year", "@time{0}"),
            (name, f"@{{{column}}}{number_format(name, units)}{unit_text}")]


def add_hover(fig: Any, renderer: Any, series: str, column: str, name: str,
              units: str) -> Any:
    """Add a tooltip on ``renderer`` (:func:`hover_tooltips`); returns its ``HoverTool``."""
    tool = HoverTool(renderers=[renderer], tooltips=hover_tooltips(series, column, name, units))
    fig.add_tools(tool)
    return tool


def legend_html(entries: Sequence[tuple[str, str, str]]) -> str:
    """A one-line legend: ``(label, colour, style)``; style is an SVG dasharray (``""``:
    solid) or ``band``. Labels are escaped."""
    items = []
    for label, colour, style in entries:
        if style == "band":
            mark = (f'<span style="display:inline-block;width:26px;height:12px;'
                    f'background:{colour};opacity:0.35;vertical-align:middle"></span>')
        else:
            dash = f' stroke-dasharray="{style}"' if style else ""
            mark = (f'<svg width="34" height="10" aria-hidden="true" style="vertical-align:'
                    f'middle"><line x1="0" y1="5" x2="34" y2="5" stroke="{colour}" '
                    f'stroke-width="3"{dash}/></svg>')
        items.append(f'<span style="margin-right:18px;font-size:13px;white-space:nowrap">'
                     f'{mark} {esc(label)}</span>')
    return '<div class="legend">' + "".join(items) + "</div>"


class DocumentWriter:
    """Writes to plain Bokeh models of one session, holding its document lock.

    Panel objects take care of the lock themselves; plain Bokeh models (the figures' data
    sources) changed after an ``await`` must be changed in a callback of the document.
    """

    def __init__(self) -> None:

        self.doc = pn.state.curdoc

    def __call__(self, write: Any) -> None:
        """Run ``write()`` now outside a server, else on the session's next tick."""
        doc = self.doc
        if doc is None or doc.session_context is None:
            write()
        else:
            doc.add_next_tick_callback(write)


_GRID_CSS = (":host { display: grid !important; gap: 6px 12px; "
             "grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)) !important; }")


class FigureGrid:
    """One figure per key output of the store, each fed by one data source, redrawn in place.

    Subclasses say which columns a source has (``columns``), how a figure draws them (:meth:`draw`)
    and where the new data come from (:meth:`data`).
    """

    columns: tuple[str, ...] = ()
    css_class = ""

    def __init__(self, store: Any) -> None:

        self.store = store
        self.write = DocumentWriter()
        self.sources: dict[str, Any] = {}
        self.figures: list[Any] = []
        for var in store.outputs:
            info = store.model.variables[var]
            fig = line_figure(info.name, info.units, share=is_share(info.name, info.units))
            src = ColumnDataSource({c: [] for c in self.columns}, name=f"{self.css_class}-{var}")
            self.draw(fig, src, info.name, info.units)
            self.sources[var] = src
            self.figures.append(fig)
        self.panes = [pn.pane.Bokeh(f, sizing_mode="stretch_width") for f in self.figures]
        self.update()

    def draw(self, fig: Any, src: Any, name: str, units: str) -> None:
        """Add the glyphs of one output's figure."""
        raise NotImplementedError

    def data(self) -> dict[str, dict[str, Any]] | None:
        """New source data by output, or ``None`` while the store has nothing to show."""
        raise NotImplementedError

    def update(self) -> None:
        """Redraw every figure from the store."""
        new = self.data()
        if new is None:
            return

        def write() -> None:
            with pn.io.hold(self.write.doc):  # one message for every chart
                for var, values in new.items():
                    self.sources[var].data = values

        self.write(write)

    def loading(self, busy: bool) -> None:
        """One loading indicator per chart: dimmed (with a wait cursor) while computing.

        A Bokeh pane passes its styles on to its plain Bokeh figure, so the change is written
        under the document lock like the data.
        """
        styles = {"opacity": "0.45", "cursor": "progress"} if busy else {}

        def write() -> None:
            for pane in self.panes:
                pane.styles = styles

        self.write(write)

    def panel(self, *, stacked: bool = False) -> Any:
        """The figures in a responsive grid: as many columns as fit (three at 1440 px, two at
        1024 px), or one above the other with ``stacked=True`` (for a page built after the
        first load, where a flex row gives Bokeh no width)."""

        if stacked:
            return pn.Column(*self.panes, sizing_mode="stretch_width",
                             css_classes=[self.css_class])
        # a CSS grid of as many 320 px (or wider) columns as fit: each chart gets a cell's
        # width (in a flex row, a stretching Bokeh pane took the whole row)
        return pn.Column(*self.panes, sizing_mode="stretch_width",
                         css_classes=[self.css_class], stylesheets=[_GRID_CSS])


def finite_or_nan(values: Any) -> np.ndarray:
    """Float array with infinities replaced by NaN (Bokeh cannot draw infinities)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)
