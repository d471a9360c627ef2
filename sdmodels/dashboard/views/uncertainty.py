"""Uncertainty: fan charts from a Monte Carlo of the current settings, P(beating baseline),
and "when does this fail?": scenario discovery on the same runs.

The page only draws: the store runs the Monte Carlo when the page is opened and whenever the
levers move while it is open. More panels (e.g. "when does this fail?") go in
:attr:`UncertaintyPage.sections`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import panel as pn
import param

from sdmodels.dashboard._constants import KPI_YEARS
from sdmodels.dashboard._text import esc, inline_html
from sdmodels.dashboard.views._common import BASELINE_COLOUR, CURRENT_COLOUR
from sdmodels.dashboard.views._figures import FigureGrid, add_hover, finite_or_nan, legend_html

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = ["FanPlots", "UncertaintyPage", "discovery_html", "probability_table"]

# the probabilities right-aligned under their (right-aligned) headers, the outputs on the left
_TABLE_CSS = ("th, td { text-align: right !important; } "
              "th:first-child, td:first-child { text-align: left !important; }")


class FanPlots(FigureGrid):
    """Per key output: the current settings' 5-95 % and 25-75 % bands and median, and the
    baseline's median (dashed) and 5-95 % range (dotted)."""

    columns = ("time", "lo", "q25", "med", "q75", "hi", "b_lo", "b_med", "b_hi")
    css_class = "fan-plots"

    def draw(self, fig: Any, src: Any, name: str, units: str) -> None:
        fig.varea("time", "lo", "hi", source=src, color=CURRENT_COLOUR, alpha=0.18)
        fig.varea("time", "q25", "q75", source=src, color=CURRENT_COLOUR, alpha=0.35)
        med = fig.line("time", "med", source=src, color=CURRENT_COLOUR, line_width=2.5)
        base = fig.line("time", "b_med", source=src, color=BASELINE_COLOUR, line_width=2,
                        line_dash="dashed")
        for col in ("b_lo", "b_hi"):
            fig.line("time", col, source=src, color=BASELINE_COLOUR, line_width=1,
                     line_dash="dotted")
        add_hover(fig, med, "current settings: median", "med", name, units)
        add_hover(fig, base, "baseline: median", "b_med", name, units)

    def data(self) -> dict[str, dict[str, Any]] | None:
        q = self.store.mc
        if q is None:
            return None

        def at(d: Any, level: float) -> Any:
            return finite_or_nan(d.sel(quantile=level).values)

        new = {}
        for var in self.sources:
            cur, base = q[var].sel(scenario="current"), q[var].sel(scenario="baseline")
            new[var] = {"time": q["time"].values, "lo": at(cur, 0.05), "q25": at(cur, 0.25),
                        "med": at(cur, 0.5), "q75": at(cur, 0.75), "hi": at(cur, 0.95),
                        "b_lo": at(base, 0.05), "b_med": at(base, 0.5),
                        "b_hi": at(base, 0.95)}
        return new


def probability_table(store: DashboardStore) -> pd.DataFrame:
    """P(current settings beat the baseline) for each output with a known better direction."""
    prob = store.mc_prob
    if prob is None:
        return pd.DataFrame()
    times = prob["time"].values
    years = [y for y in KPI_YEARS if times.min() <= y <= times.max()] or [float(times[-1])]
    rows = []
    for out in prob["output"].values:
        info = store.model.variables.get(str(out))
        row: dict[str, Any] = {"output": store.output_label(str(out)) if info is not None
                               else str(out)}
        for year in years:
            value = float(prob.sel(output=out, scenario="current").sel(time=year,
                                                                      method="nearest"))
            row[f"P(better than baseline) {year:.0f}"] = f"{100 * value:.0f} %"
        rows.append(row)
    return pd.DataFrame(rows)


def discovery_html(store: DashboardStore) -> str:
    """The "when does this fail?" list: per output, the PRIM box sentence of
    :mod:`sdmodels.discovery` on the store's Monte Carlo runs (every text escaped)."""
    entries = store.discovery
    if entries and store.is_baseline():
        return ("<p>The current settings are the baseline's: there is nothing to beat. Move a "
                "lever or pick a preset to see where your settings would fail.</p>")
    if not entries:
        return ("<p>Scenario discovery runs on the Monte Carlo samples once they are "
                "computed.</p>")
    items = []
    for entry in entries:
        found = entry["discovery"]
        detail = ""
        if found is not None:
            box = found.prim.box
            detail = (f'<br><span class="discovery-stats">PRIM box: density {box.density:.0%}, '
                      f"coverage {box.coverage:.0%}, mass {box.mass:.0%} of {found.n} runs"
                      "</span>")
        items.append(f'<li data-output="{esc(entry["output"])}">{esc(entry["sentence"])}'
                     f"{detail}</li>")
    return '<ul class="discovery-list">' + "".join(items) + "</ul>"


class UncertaintyPage(pn.viewable.Viewer):
    """Fan charts and the probability table of the store's Monte Carlo."""

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        store = self.store
        self.status = pn.pane.HTML(inline_html(store.mc_status), css_classes=["mc-status"])
        self.table = pn.pane.DataFrame(probability_table(store), index=False, escape=True,
                                       sizing_mode="stretch_width", css_classes=["prob-table"],
                                       classes=["table", "table-sm"],
                                       stylesheets=[_TABLE_CSS])
        self.samples = pn.widgets.IntInput(label="Samples", value=store.mc_samples, start=50,
                                           step=50, width=120, css_classes=["mc-samples"])
        self.source = pn.widgets.RadioButtonGroup(
            label="Parameters", options={"prior (uncertainty file)": "prior",
                                        "calibrated posterior": "posterior"},
            value=store.mc_parameters, css_classes=["mc-parameters"], align="end")
        self.source.param.watch(self._on_source, "value")
        self.rerun = pn.widgets.Button(label="Recompute", color="primary", width=120,
                                       css_classes=["mc-rerun"])
        self.rerun.on_click(self._rerun)
        self.fans: FanPlots | None = None  # built when the first result arrives
        self.body = pn.Column(pn.pane.HTML(legend_html([
            ("current: median", CURRENT_COLOUR, ""), ("current: 25-75 %", CURRENT_COLOUR, "band"),
            ("current: 5-95 %", "#9cc3e0", "band"), ("baseline: median", BASELINE_COLOUR, "6 4"),
            ("baseline: 5-95 %", BASELINE_COLOUR, "2 3")])), sizing_mode="stretch_width")
        #: Further panels of the page, below the probability table.
        self.sections = pn.Column(sizing_mode="stretch_width")
        self.failures = pn.pane.HTML(discovery_html(store), sizing_mode="stretch_width",
                                     css_classes=["discovery-panel"])
        self.sections.append(pn.Column(
            pn.pane.Markdown("### When does this fail?\nScenario discovery (PRIM) on the same "
                             "Monte Carlo runs: for each output, the region of the uncertain "
                             "inputs in which the current settings do not beat the baseline."),
            self.failures, sizing_mode="stretch_width"))
        store.param.watch(self._on_discovery, ["discovery"])
        store.param.watch(self._redraw, ["mc"])
        store.param.watch(self._on_status, ["mc_status"])
        self._layout = pn.Column(
            pn.pane.Markdown("## Uncertainty\nHow certain are the results of the current "
                             "settings? Shaded bands: 5-95 % and 25-75 % of the Monte Carlo "
                             "runs; dashed: the baseline's median (dotted: its 5-95 % range)."),
            pn.Row(self.samples, self.rerun, self.source), self.status, self.body,
            pn.pane.Markdown("### Probability that the current settings beat the baseline\n"
                             "Share of samples in which the output is better (higher "
                             "productivity, lower waiting list, ...)."),
            self.table, self.sections, sizing_mode="stretch_width",
        )
        self._redraw()

    async def _on_source(self, event: Any) -> None:
        self.store.mc_parameters = event.new
        await self.store.refresh_uncertainty(samples=int(self.samples.value))

    async def _rerun(self, *_: Any) -> None:
        await self.store.refresh_uncertainty(samples=int(self.samples.value))

    def _on_discovery(self, *_: Any) -> None:
        self.failures.object = discovery_html(self.store)

    def _on_status(self, event: Any) -> None:
        self.status.object = inline_html(event.new)

    def _redraw(self, *_: Any) -> None:
        if self.store.mc is None:
            return
        if self.fans is None:
            self.fans = FanPlots(self.store)
            self.body.append(self.fans.panel())
        else:
            self.fans.update()
        self.table.object = probability_table(self.store)

    def __panel__(self) -> Any:
        return self._layout
