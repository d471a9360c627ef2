"""Uncertainty: fan charts from a Monte Carlo of the current settings, P(beating baseline)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn

from sdmodels.dashboard._text import units_label
from sdmodels.dashboard.store import KPI_YEARS, DashboardStore
from sdmodels.dashboard.views._common import BASELINE_COLOUR, CURRENT_COLOUR, in_thread
from sdmodels.dashboard.views._figures import (
    FigureGrid,
    finite_or_nan,
    legend_html,
)

__all__ = ["FanPlots", "probability_table", "uncertainty_page"]


class FanPlots(FigureGrid):
    """Per key output: the current settings' 5-95 % and 25-75 % bands and median, and the
    baseline's median (dashed) and 5-95 % range (dotted)."""

    columns = ("time", "lo", "q25", "med", "q75", "hi", "b_lo", "b_med", "b_hi")
    css_class = "fan-plots"

    def draw(self, fig: Any, src: Any) -> None:
        fig.varea("time", "lo", "hi", source=src, color=CURRENT_COLOUR, alpha=0.18)
        fig.varea("time", "q25", "q75", source=src, color=CURRENT_COLOUR, alpha=0.35)
        fig.line("time", "med", source=src, color=CURRENT_COLOUR, line_width=2.5)
        fig.line("time", "b_med", source=src, color=BASELINE_COLOUR, line_width=2,
                 line_dash="dashed")
        for col in ("b_lo", "b_hi"):
            fig.line("time", col, source=src, color=BASELINE_COLOUR, line_width=1,
                     line_dash="dotted")

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
        row: dict[str, Any] = {"output": f"{info.name} ({units_label(info.units)})"
                               if info is not None else str(out)}
        for year in years:
            value = float(prob.sel(output=out, scenario="current").sel(time=year,
                                                                      method="nearest"))
            row[f"P(better than baseline) {year:.0f}"] = f"{100 * value:.0f} %"
        rows.append(row)
    return pd.DataFrame(rows)


def uncertainty_page(store: DashboardStore) -> tuple[pn.Column, Any]:
    """The page and a function to call when the page becomes visible.

    The Monte Carlo runs in a worker thread when the page is shown and again whenever a lever
    moves while it is shown.
    """
    status = pn.pane.Markdown("", css_classes=["mc-status"])
    fans: dict[str, FanPlots] = {}  # built on first show (18 figures take a moment)
    table = pn.pane.DataFrame(probability_table(store), index=False,
                              sizing_mode="stretch_width", css_classes=["prob-table"],
                              classes=["table", "table-sm"])
    samples = pn.widgets.IntInput(label="Samples", value=store.mc_samples, start=50, step=50,
                                  width=120)
    rerun = pn.widgets.Button(label="Recompute", color="primary", width=120)
    visible = {"shown": False}
    legend = pn.pane.HTML(legend_html([
        ("current: median", CURRENT_COLOUR, "solid"), ("current: 25-75 %", CURRENT_COLOUR, "band"),
        ("current: 5-95 %", "#9cc3e0", "band"), ("baseline: median", BASELINE_COLOUR, "dashed"),
        ("baseline: 5-95 %", BASELINE_COLOUR, "dotted")]))
    body = pn.Column(legend, sizing_mode="stretch_width")

    def describe() -> str:
        if store.mc is None:
            return "Monte Carlo not run yet."
        seconds = store.timings.get("monte_carlo")
        took = f" in {seconds:.2f} s" if seconds is not None else ""
        same = (" **The current settings are the baseline's**: move a lever or pick a preset "
                "to compare." if store.is_baseline() else "")
        return (f"**{store.mc.attrs.get('n_samples')} samples** of the uncertain inputs in "
                f"`{store.uncertainty_file().name}` (Latin hypercube, seed "
                f"{store.mc.attrs.get('seed')}), the same samples for baseline and current "
                f"settings{took}.{same}")

    async def run(*_: Any) -> None:
        if not visible["shown"]:
            return
        store.mc_samples = int(samples.value)
        body.loading = True
        status.object = "Running the Monte Carlo ..."
        try:
            result = await in_thread(store.compute_monte_carlo)
            store.apply_monte_carlo(result)
        except Exception as exc:  # noqa: BLE001 - shown to the user; the server keeps running
            store.message = f"Monte Carlo failed: {exc}"
        finally:
            body.loading = False
        if "plots" not in fans:
            fans["plots"] = FanPlots(store)
            body.append(fans["plots"].panel())
        else:
            fans["plots"].update()
        table.object = probability_table(store)
        status.object = describe()

    def on_levers(*_: Any) -> None:
        if visible["shown"]:
            pn.state.execute(run)

    async def on_shown() -> None:
        visible["shown"] = True
        if store.mc_stale or store.mc is None:
            await run()

    def on_hidden() -> None:
        visible["shown"] = False

    store.param.watch(on_levers, ["current"])
    rerun.on_click(run)
    page = pn.Column(
        pn.pane.Markdown("## Uncertainty\nHow certain are the results of the current settings? "
                         "Shaded bands: 5-95 % and 25-75 % of the Monte Carlo runs; dashed: "
                         "the baseline's median (dotted: its 5-95 % range)."),
        pn.Row(samples, rerun, status), body,
        pn.pane.Markdown("### Probability that the current settings beat the baseline\n"
                         "Share of samples in which the output is better (higher productivity, "
                         "lower waiting list, ...)."),
        table, sizing_mode="stretch_width",
    )
    return page, (on_shown, on_hidden)

