"""Model: the stock-and-flow structure of each sector and a searchable table of parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import panel as pn

import param

from sdmodels.dashboard.diagram import sector_svg

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


def model_page(store: DashboardStore) -> pn.Column:
    """Sector diagrams (generated from the equations) and the parameter table."""
    model = store.model
    sectors = list(model.sectors)
    sector = pn.widgets.Select(label="Sector", options=sectors,
                               value=sectors[0] if sectors else None, width=280)
    constants = pn.widgets.Checkbox(label="Show constants", value=False, align="end",
                                  css_classes=["show-constants"])
    actual = pn.widgets.Checkbox(label="Actual size (scroll to move around)", value=False,
                               align="end", css_classes=["actual-size"])
    diagram = pn.pane.HTML(sizing_mode="stretch_width", css_classes=["sector-diagram"],
                           styles={"overflow": "auto", "border": "1px solid #ddd",
                                   "background": "white"})

    def draw(*_: Any) -> None:
        if sector.value is None:
            diagram.object = "<p>This model file has no views (sectors) to draw.</p>"
            return
        svg = sector_svg(model, sector.value, show_constants=constants.value)
        if not actual.value:  # fit the width of the page, never larger than actual size
            width = svg.split('width="', 1)[1].split('"', 1)[0]
            svg = svg.replace(f'width="{width}"',
                              f'style="width:100%;height:auto;max-width:{width}px"', 1)
        diagram.object = f'<div style="max-height:640px">{svg}</div>'

    sector.param.watch(draw, "value")
    constants.param.watch(draw, "value")
    actual.param.watch(draw, "value")
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
              "for its units and documentation.")
    return pn.Column(
        pn.pane.Markdown(f"## Model: {model.path.name}\n{legend}"),
        pn.Row(sector, constants, actual), diagram,
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
