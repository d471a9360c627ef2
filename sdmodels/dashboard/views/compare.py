"""Compare: saved and shipped scenarios side by side; downloads as CSV and netCDF."""

from __future__ import annotations

import io
from typing import Any

import panel as pn

from sdmodels.dashboard.store import DashboardStore
from sdmodels.dashboard.views._common import in_thread
from sdmodels.dashboard.views._figures import finite_or_nan, legend_html, line_figure
from sdmodels.errors import SDModelsError
from sdmodels.plots import PALETTE

__all__ = ["compare_page", "comparison_plots"]

_DASHES = ("solid", "dashed", "dotted", "dotdash")
_CSS_DASHES = ("solid", "dashed", "dotted", "dashed")


def comparison_plots(store: DashboardStore, ds: Any) -> pn.GridBox:
    """One figure per key output, one line per scenario (colour and dash both differ)."""
    names = [str(s) for s in ds["scenario"].values]
    figures = []
    for var in store.outputs:
        info = store.model.variables[var]
        fig = line_figure(info.name, info.units)
        for i, name in enumerate(names):
            fig.line(ds["time"].values, finite_or_nan(ds[var].sel(scenario=name).values),
                     color=PALETTE[i % len(PALETTE)], line_width=2,
                     line_dash=_DASHES[i % len(_DASHES)])
        figures.append(pn.pane.Bokeh(fig, sizing_mode="stretch_width"))
    return pn.GridBox(*figures, ncols=3, sizing_mode="stretch_width")


def _legend(names: list[str]) -> str:
    return legend_html([(n, PALETTE[i % len(PALETTE)], _CSS_DASHES[i % len(_CSS_DASHES)])
                        for i, n in enumerate(names)])


def compare_page(store: DashboardStore) -> tuple[pn.Column, Any]:
    """The page and functions to call when it is shown and hidden.

    Save the current settings, pick scenarios, compare them and download the results.
    """
    name = pn.widgets.TextInput(label="Save current settings as", placeholder="e.g. my plan",
                                width=260)
    save = pn.widgets.Button(label="Save", color="primary", width=100,
                             align="end", css_classes=["save-button"])
    default = [n for n in ("baseline",) if n in store.model.scenarios] + ["current"]
    chosen = pn.widgets.MultiChoice(label="Scenarios to compare",
                                    options=store.available_scenarios(), value=default,
                                    sizing_mode="stretch_width", css_classes=["compare-choice"])
    plots = pn.Column(sizing_mode="stretch_width", css_classes=["compare-plots"])
    note = pn.pane.Markdown("")
    state: dict[str, Any] = {"ds": None, "shown": False, "stale": True}

    def result() -> Any:
        if state["ds"] is None:
            state["ds"] = store.comparison(list(chosen.value))
        return state["ds"]

    async def redraw(*_: Any) -> None:
        state["ds"] = None
        if not state["shown"]:
            state["stale"] = True
            return
        state["stale"] = False
        if not chosen.value:
            plots.objects = []
            note.object = "Choose at least one scenario."
            return
        plots.loading = True
        try:
            ds = await in_thread(result)
            plots.objects = [pn.pane.HTML(_legend(list(chosen.value))),
                             comparison_plots(store, ds)]
            note.object = ""
        except SDModelsError as exc:
            note.object = f"**Cannot compare:** {exc}"
        finally:
            plots.loading = False

    def on_save(*_: Any) -> None:
        try:
            store.save_current(name.value)
        except SDModelsError as exc:
            note.object = f"**Cannot save:** {exc}"
            return
        chosen.options = store.available_scenarios()
        chosen.value = [*chosen.value, name.value.strip()]
        name.value = ""

    def csv() -> io.BytesIO:
        return io.BytesIO(store.to_csv_bytes(result()))

    def netcdf() -> io.BytesIO:
        return io.BytesIO(store.to_netcdf_bytes(result()))

    csv_button = pn.widgets.FileDownload(callback=csv, filename="sdmodels_comparison.csv",
                                         label="Download CSV", color="success",
                                         width=200, css_classes=["download-csv"])
    nc_button = pn.widgets.FileDownload(callback=netcdf, filename="sdmodels_comparison.nc",
                                        label="Download netCDF", color="success",
                                        width=200, css_classes=["download-netcdf"])
    save.on_click(on_save)
    chosen.param.watch(redraw, "value")
    def on_current(*_: Any) -> None:
        if "current" not in chosen.value:
            return
        if state["shown"]:
            pn.state.execute(redraw)
        else:
            state["stale"] = True

    store.param.watch(on_current, "current")

    async def on_shown() -> None:
        state["shown"] = True
        if state["stale"]:
            await redraw()

    def on_hidden() -> None:
        state["shown"] = False

    page = pn.Column(
        pn.pane.Markdown("## Compare scenarios\nSave the current lever settings under a name, "
                         "then compare them with the shipped scenarios. Downloads hold the "
                         "scenarios shown (netCDF keeps units and how the results were made)."),
        pn.Row(name, save), chosen, pn.Row(csv_button, nc_button), note, plots,
        sizing_mode="stretch_width",
    )
    return page, (on_shown, on_hidden)
