"""Model: the stock-and-flow structure of each sector and a searchable table of parameters."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import panel as pn
import param

from sdmodels.dashboard import _shared
from sdmodels.dashboard.diagram import MIN_FONT, sector_svg
from sdmodels.dashboard.reference import variable_href
from sdmodels.errors import SDModelsError
from sdmodels.loop_diagrams import loop_svg, overview_svg
from sdmodels.loops import loops_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = ["ModelPage", "model_page", "parameter_table"]


def _value(value: Any) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return ", ".join(f"{v:g}" for v in np.ravel(value))


def _bound(x: float | None) -> str:
    return "open" if x is None else f"{x:g}"


def parameter_table(store: DashboardStore) -> pd.DataFrame:
    """Every parameter: name, value, units, declared range, sector and documented source."""
    rows = []
    lever_names = {lv.py_name for lv in store.levers} | {lv.start_py_name for lv in store.levers}
    for info in store.model.parameters.values():
        rows.append({
            "name": info.name,
            "value": _value(info.value),
            "units": info.units or "dimensionless",
            "range": f"[{_bound(info.min)}, {_bound(info.max)}]",
            "sector": info.sector or "",
            "lever": "yes" if info.py_name in lever_names else "",
            "source / description": info.doc,
        })
    return pd.DataFrame(rows)


#: The smallest text a diagram may show (px); "Fit" never scales a diagram below it.
MIN_TEXT_PX = 11
ZOOMS = {"Fit": None, "100%": 1.0, "150%": 1.5, "200%": 2.0}


def _sized(svg: str, zoom: str, min_font: float) -> str:
    """The SVG at a zoom: "Fit" fills the width but never shrinks text below MIN_TEXT_PX (the
    frame scrolls instead); a percentage is that share of the diagram's actual size."""
    width = float(svg.split('width="', 1)[1].split('"', 1)[0])
    factor = ZOOMS[zoom]
    if factor is None:
        style = (f"width:100%;height:auto;min-width:{math.ceil(width * MIN_TEXT_PX / min_font)}px;"
                 f"max-width:{math.ceil(width * 1.5)}px")
    else:
        style = f"width:{width * factor:.0f}px;height:auto"
    head, rest = svg.split(">", 1)
    head = re.sub(r' (width|height)="[^"]*"', "", head, count=2)
    return f'{head} style="{style}" data-zoom="{zoom}">{rest}'


def _frame(svg: str, css: str) -> str:
    """A scrolling frame (pan with the scroll bars, the wheel or the touch pad), opened at its
    top left, where the diagram's content starts."""
    return (f'<div class="diagram-frame {css}" tabindex="0" style="overflow:auto;'
            f'max-height:78vh;border:1px solid #ddd;background:white">{svg}</div>')


def _loops_section(store: DashboardStore) -> list[Any]:
    """The causal-loop overview and one diagram per declared loop, from the model."""
    model = store.model
    try:
        checks = _shared.loop_checks(model)
    except SDModelsError as exc:
        return [pn.pane.Alert(f"The model's loops cannot be drawn: {exc}", alert_type="warning")]
    if not checks:
        return [pn.pane.Markdown(
            "This model declares no feedback loops (`[[loops]]` in its metadata file, "
            "see docs/model/loops.md).")]
    stamp = loops_fingerprint(checks, model)
    options = ["Overview of all loops", *(f"{c.loop.polarity}{i}: {c.loop.name}"
                                          for i, c in enumerate(checks, start=1))]
    choice = pn.widgets.Select(label="Feedback loop", options=options, value=options[0],
                               width=360, css_classes=["loop-choice"])
    zoom = pn.widgets.RadioButtonGroup(label="Zoom of the loop diagram", options=list(ZOOMS),
                                       value="Fit", css_classes=["loop-zoom"], width=260,
                                       align="end")
    pane = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["loop-diagram"])
    status = pn.pane.Markdown(css_classes=["loop-status"])

    def href(py: str) -> str | None:
        return variable_href(model, py)

    def draw(*_: Any) -> None:
        index = options.index(choice.value)
        if index == 0:
            svg = overview_svg(model, checks, href=href, fingerprint=stamp)
        else:
            svg = loop_svg(model, checks[index - 1], href=href, fingerprint=stamp)
        pane.object = _frame(_sized(svg, zoom.value, 13), "loop-frame")
        bad = [c for c in checks if not c.ok]
        status.object = ("Every loop's links are equations of the model and the signs of its "
                         "links give its polarity." if not bad else
                         "**Does not hold:** " + "; ".join(
                             f"{c.loop.name}: {', '.join(c.problems)}" for c in bad))

    choice.param.watch(draw, "value")
    zoom.param.watch(draw, "value")
    draw()
    intro = ("Each loop is a cycle of the model's equations; **R** loops reinforce a change, "
             "**B** loops balance it. An arrow marked **+** means the next variable moves in the "
             "same direction, **\N{MINUS SIGN}** (dashed) the opposite. Click a variable for its "
             "documentation and sources; hover it for its units.")
    return [pn.pane.Markdown(f"### Feedback loops\n{intro}"), pn.Row(choice, zoom), pane, status]


def model_page(store: DashboardStore) -> pn.Column:
    """Feedback loops and sector diagrams (generated from the equations), the parameter table."""
    model = store.model
    sectors = list(model.sectors)
    sector = pn.widgets.Select(label="Sector", options=sectors,
                               value=sectors[0] if sectors else None, width=280)
    constants = pn.widgets.Checkbox(label="Show constants", value=False, align="end",
                                    css_classes=["show-constants"])
    zoom = pn.widgets.RadioButtonGroup(label="Zoom of the stock and flow diagram",
                                       options=list(ZOOMS), value="Fit", width=260,
                                       align="end", css_classes=["diagram-zoom"])
    diagram = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["sector-diagram"])

    def href(py: str) -> str | None:
        return variable_href(model, py)

    def draw(*_: Any) -> None:
        if sector.value is None:
            diagram.object = "<p>This model file has no views (sectors) to draw.</p>"
            return
        svg = sector_svg(model, sector.value, show_constants=constants.value, href=href)
        diagram.object = _frame(_sized(svg, zoom.value, MIN_FONT), "sector-frame")

    sector.param.watch(draw, "value")
    constants.param.watch(draw, "value")
    zoom.param.watch(draw, "value")
    draw()
    frame = parameter_table(store)
    search = pn.widgets.TextInput(label="Search parameters",
                                  placeholder="name, sector, units or source ...", width=360)
    table = pn.pane.DataFrame(frame, index=False, escape=True, sizing_mode="stretch_width",
                              css_classes=["param-table"], classes=["table", "table-sm"],
                              styles={"max-height": "460px", "overflow": "auto",
                                      "font-size": "13px"})
    count = pn.pane.Markdown(f"{len(frame)} of {len(frame)} parameters",
                             css_classes=["param-count"])
    haystack = frame.astype(str).agg(" ".join, axis=1).str.lower()

    def filter_rows(event: Any) -> None:
        text = (event.new or "").strip().lower()
        shown = frame if not text else frame[haystack.str.contains(text, regex=False)]
        table.object = shown
        count.object = f"{len(shown)} of {len(frame)} parameters"

    search.param.watch(filter_rows, "value_input")
    legend = ("Boxes are **stocks**, thick blue arrows with a valve are **flows** (clouds: "
              "outside the model), orange dots are **auxiliaries**, thin grey arrows show what "
              "each equation reads; names in `<...>` come from other sectors. Hover an element "
              "for its units and documentation; click it for its page in the "
              '<a href="model-docs/index.html" target="_blank">model reference</a> '
              "(its sources, what it reads and what reads it). Scroll inside the frame to move around; *Zoom* enlarges.")
    return pn.Column(
        pn.pane.Markdown(f"## Model: {model.path.name}"),
        *_loops_section(store),
        pn.pane.Markdown(f"### Stock-and-flow diagrams\n{legend}"),
        pn.Row(sector, constants, zoom), diagram,
        pn.pane.Markdown("### Parameters"), pn.Row(search, count), table,
        sizing_mode="stretch_width",
    )


class ModelPage(pn.viewable.Viewer):
    """The Model page as a view of the store."""

    store = param.Parameter()

    def __panel__(self) -> Any:
        if not hasattr(self, "_layout"):
            self._layout = model_page(self.store)
        return self._layout
