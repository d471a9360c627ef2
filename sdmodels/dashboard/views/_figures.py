"""Bokeh figures of the dashboard, built once per session and updated in place.

Figures are plain Bokeh (fast to update: a new ``source.data`` redraws a chart without
re-rendering the page). Every axis carries units; colours come from the Okabe-Ito palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sdmodels.dashboard._text import units_label

__all__ = [
    "FIGURE_HEIGHT", "DocumentWriter", "FigureGrid", "finite_or_nan", "legend_html", "line_figure",
]

FIGURE_HEIGHT = 250


def line_figure(title: str, units: str, *, height: int = FIGURE_HEIGHT) -> Any:
    """An empty time-series figure: x axis in years, y axis in ``units``."""
    from bokeh.models import NumeralTickFormatter
    from bokeh.plotting import figure

    fig = figure(title=title, height=height, sizing_mode="stretch_width", min_width=260,
                 x_axis_label="Year", y_axis_label=units_label(units),
                 tools="pan,box_zoom,wheel_zoom,reset,save,hover", toolbar_location="above")
    fig.title.text_font_size = "11pt"
    for axis in (fig.xaxis, fig.yaxis):
        axis.axis_label_text_font_size = "10pt"
        axis.axis_label_text_font_style = "normal"
        axis.major_label_text_font_size = "9pt"
    fig.xaxis.formatter = NumeralTickFormatter(format="0")
    fig.yaxis.formatter = NumeralTickFormatter(format="0.[000]a")  # 2.1m, 0.725, 12.5k
    fig.toolbar.logo = None
    return fig


def legend_html(entries: Sequence[tuple[str, str, str]]) -> str:
    """A one-line legend: ``(label, colour, style)`` with style ``solid``, ``dashed``,
    ``dotted`` or ``band``."""
    items = []
    for label, colour, style in entries:
        if style == "band":
            mark = (f'<span style="display:inline-block;width:26px;height:12px;'
                    f'background:{colour};opacity:0.35;vertical-align:middle"></span>')
        else:
            mark = (f'<span style="display:inline-block;width:26px;border-top:3px {style} '
                    f'{colour};vertical-align:middle"></span>')
        items.append(f'<span style="margin-right:18px;font-size:13px">{mark} {label}</span>')
    return "<div>" + "".join(items) + "</div>"


class DocumentWriter:
    """Writes to plain Bokeh models of one session, holding its document lock.

    Panel objects take care of the lock themselves; plain Bokeh models (the figures' data
    sources) changed after an ``await`` must be changed in a callback of the document.
    """

    def __init__(self) -> None:
        import panel as pn

        self.doc = pn.state.curdoc

    def __call__(self, write: Any) -> None:
        """Run ``write()`` now outside a server, else on the session's next tick."""
        doc = self.doc
        if doc is None or doc.session_context is None:
            write()
        else:
            doc.add_next_tick_callback(write)


class FigureGrid:
    """One figure per key output of the store, each fed by one data source, redrawn in place.

    Subclasses say which columns a source has (``columns``), how a figure draws them (:meth:`draw`)
    and where the new data come from (:meth:`data`).
    """

    columns: tuple[str, ...] = ()
    css_class = ""

    def __init__(self, store: Any) -> None:
        from bokeh.models import ColumnDataSource

        self.store = store
        self.write = DocumentWriter()
        self.sources: dict[str, Any] = {}
        self.figures: list[Any] = []
        for var in store.outputs:
            info = store.model.variables[var]
            fig = line_figure(info.name, info.units)
            src = ColumnDataSource({c: [] for c in self.columns})
            self.draw(fig, src)
            self.sources[var] = src
            self.figures.append(fig)
        self.update()

    def draw(self, fig: Any, src: Any) -> None:
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
            for var, values in new.items():
                self.sources[var].data = values

        self.write(write)

    def panel(self) -> Any:
        """The figures in a three-column grid."""
        import panel as pn

        return pn.GridBox(*[pn.pane.Bokeh(f, sizing_mode="stretch_width") for f in self.figures],
                          ncols=3, sizing_mode="stretch_width", css_classes=[self.css_class])


def finite_or_nan(values: Any) -> np.ndarray:
    """Float array with infinities replaced by NaN (Bokeh cannot draw infinities)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)
