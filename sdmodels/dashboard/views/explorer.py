"""Scenario explorer: lever controls, presets, your starting point, KPI cards and
baseline-vs-current lines."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import panel as pn
import param

from sdmodels.dashboard._constants import PAGES
from sdmodels.dashboard._text import (
    esc,
    fmt_card,
    fmt_value,
    inline_html,
    kpi_sentence,
    units_label,
)
from sdmodels.dashboard.start_point import field_groups
from sdmodels.dashboard.views._common import BASELINE_COLOUR, CURRENT_COLOUR
from sdmodels.dashboard.views._figures import FigureGrid, add_hover, finite_or_nan, legend_html

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.dashboard.store import DashboardStore

__all__ = ["ExplorerPage", "LeverPanel", "OutputPlots", "StartPointForm", "kpi_html"]

CUSTOM = "(custom)"
_DOC_CSS = (".lever-doc{font-size:11px;color:#444;border-bottom:1px solid #ddd;"
            "padding-bottom:4px}")


def _show(widget: Any, value: float) -> None:
    """Move a slider to ``value`` as its release would (``value`` and the released value; the
    page follows with :func:`~sdmodels.dashboard.views._common.release_follower`), so that page
    and server agree on where the handle was last let go."""
    with param.edit_constant(widget):
        widget.param.update(value=value, value_throttled=value)


class LeverPanel(pn.viewable.Viewer):
    """Preset selector and one size slider plus one start-year slider per lever.

    The sliders call the store once, when released (``value_throttled``): the positions a
    handle passes over while dragged compute nothing. They follow the store when a preset or
    a link changes the levers; only the widgets whose value differs are updated.
    """

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        store = self.store
        names = [n for n in store.param.preset.objects if n is not None]
        self.preset = pn.widgets.Select(label="Preset scenario", options=[CUSTOM, *names],
                                        value=store.preset or CUSTOM,
                                        sizing_mode="stretch_width",
                                        css_classes=["preset-select"])
        self.preset.param.watch(self._on_preset, "value")
        self.widgets: dict[str, tuple[Any, Any]] = {}
        rows: list[Any] = []
        for lv in store.levers:
            size = pn.widgets.FloatSlider(
                label=lv.label, start=lv.min, end=lv.max, step=lv.step,
                value=store.values[lv.py_name], sizing_mode="stretch_width",
                **({"format": lv.format} if lv.format else {}),
                css_classes=["lever", f"lever-{lv.py_name}"],
            )
            start = pn.widgets.IntSlider(
                label=f"{lv.name}: from year", start=int(lv.start_min), end=int(lv.start_max),
                step=1, value=round(store.starts[lv.py_name]), sizing_mode="stretch_width",
                css_classes=["lever-start", f"start-{lv.py_name}"],
            )
            size.param.watch(self._mover(lv.py_name, "value"), "value_throttled")
            start.param.watch(self._mover(lv.py_name, "start"), "value_throttled")
            self.widgets[lv.py_name] = (size, start)
            rows += [size, start]
            if lv.doc:
                rows.append(pn.pane.HTML(f'<div class="lever-doc">{esc(lv.doc)}</div>',
                                         stylesheets=[_DOC_CSS], margin=(-6, 10, 6, 10)))
        if not store.levers:
            rows.append(pn.pane.Markdown("This model declares no policy levers (constants `X` "
                                         "with a companion `X Start Year`)."))
        store.param.watch(self._follow, ["values", "starts", "preset"])
        self._layout = pn.Column(pn.pane.Markdown("### Policy levers"), self.preset, *rows,
                                 sizing_mode="stretch_width", css_classes=["lever-panel"])

    def _mover(self, lever: str, what: str) -> Any:
        async def move(event: Any) -> None:
            store = self.store
            if what == "value":
                if event.new != store.values.get(lever):  # not the slider following the store
                    await store.set_lever(lever, value=event.new)
            elif event.new != round(store.starts.get(lever, event.new + 1)):
                await store.set_lever(lever, start=event.new)
        return move

    async def _on_preset(self, event: Any) -> None:
        # chosen by the user (not the widget following the store)
        if event.new != CUSTOM and event.new != self.store.preset:
            await self.store.apply_preset(event.new)

    def _follow(self, *_: Any) -> None:
        store = self.store
        for py, (size, start) in self.widgets.items():
            if size.value != store.values[py] or size.value_throttled != store.values[py]:
                _show(size, store.values[py])
            year = round(store.starts[py])
            if start.value != year or start.value_throttled != year:
                _show(start, year)
        shown = store.preset or CUSTOM
        if self.preset.value != shown:
            self.preset.value = shown

    def __panel__(self) -> Any:
        return self._layout


class StartPointForm(pn.viewable.Viewer):
    """"Your starting point": the model's starting values a planner can change, each checked
    against the range the model declares; *Apply* reruns baseline and current from there.

    The card opens folded and its fields (about a hundred inputs) are built the first time it
    is opened: built at once, they made the page 2.7 times larger in DOM nodes and every
    explorer update slower (style recalculation is proportional to the nodes).
    """

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.inputs: dict[str, Any] = {}
        self.profile: Any = None
        self._layout = pn.Card(
            pn.pane.HTML("Open to set your system's starting values.",
                         styles={"font-size": "12px"}),
            title="Your starting point", collapsed=True, sizing_mode="stretch_width",
            css_classes=["start-point"])
        self._layout.param.watch(self._on_open, "collapsed")
        self.store.param.watch(self._follow, ["start_point", "profile"])

    @property
    def built(self) -> bool:
        """True once the form's fields exist (the card was opened)."""
        return self.profile is not None

    def _on_open(self, event: Any) -> None:
        if not event.new and not self.built:
            self.build()

    def build(self) -> None:
        """Build the form's fields in the card (done once, when first opened)."""
        if self.built:
            return
        store = self.store
        for info in store.start_fields:
            units = units_label(info.units)  # the field holds the model's value (0.03, not 3%)
            self.inputs[info.py_name] = pn.widgets.FloatInput(
                label=f"{info.name} ({units})", value=float(store.start_point.get(
                    info.py_name, info.value)), start=info.min, end=info.max,
                description=f"Range {info.min:g} to {info.max:g}. {info.doc}",
                format="0,0.[0000]",  # 46,400,000 people, not 46400000
                sizing_mode="stretch_width", css_classes=[f"start-point-{info.py_name}"])
        options = {"The model file's own values": "",
                   **{p.title: name for name, p in store.profiles.items()}}
        self.profile = pn.widgets.Select(label="Profile", options=options, value=store.profile,
                                         sizing_mode="stretch_width",
                                         css_classes=["profile-select"])
        self.profile.param.watch(self._on_profile, "value")
        self.apply = pn.widgets.Button(label="Apply starting point", color="primary",
                                       css_classes=["start-point-apply"])
        self.reset = pn.widgets.Button(label="Model's values", color="light",
                                       css_classes=["start-point-reset"])
        self.apply.on_click(self._apply)
        self.reset.on_click(self._reset)
        self.download = pn.widgets.FileDownload(
            callback=self._profile_file, filename="my_system.toml",
            label="Download as profile", color="light", css_classes=["start-point-file"])
        note = ("Start from a profile (England, or a shipped ICS profile), then set today's "
                "values for your system; each is checked against the model's range, and "
                "<b>Apply</b> reruns the baseline and your settings from there. Population is "
                "set by the model's age bands. The budget is not a single input: providers' "
                "income follows their costs (staff, pay and non-pay) and the starting margin "
                "(surplus or deficit as a share of income); set the margin and the "
                "accumulated balance. <b>Download as profile</b> saves the values as a profile "
                "file (<code>sdmodels run --profile FILE</code>).")
        body: list[Any] = [pn.pane.HTML(note, styles={"font-size": "12px"}), self.profile]
        for group, infos in field_groups(store.model, store.start_fields):
            body.append(pn.pane.HTML(f"<b>{esc(group)}</b>", styles={"font-size": "13px"},
                                     margin=(8, 10, 0, 10)))
            body += [self.inputs[info.py_name] for info in infos]
        self._layout.objects = [*body, pn.Row(self.apply, self.reset), self.download]

    async def _apply(self, *_: Any) -> None:
        changes = {py: w.value for py, w in self.inputs.items()}
        try:
            await self.store.set_start_point(changes)
        except Exception as exc:  # noqa: BLE001 - shown to the user; the server keeps running
            self.store.message = f"Starting point not applied: {exc}"

    async def _on_profile(self, event: Any) -> None:
        if event.new != self.store.profile:
            await self.store.set_profile(event.new)

    async def _reset(self, *_: Any) -> None:
        await self.store.set_start_point(dict.fromkeys(self.inputs))

    def _follow(self, *_: Any) -> None:
        if not self.built:
            return  # built from the store's values when opened
        if self.profile.value != self.store.profile:
            self.profile.value = self.store.profile
        for info in self.store.start_fields:
            value = float(self.store.start_point.get(info.py_name, info.value))
            if self.inputs[info.py_name].value != value:
                self.inputs[info.py_name].value = value

    def _profile_file(self) -> Any:
        return io.BytesIO(self.store.profile_file().encode())

    def __panel__(self) -> Any:
        return self._layout


#: The KPI cards' style: given to their pane once (as a stylesheet), not sent with every update.
KPI_CSS = (
    ".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));"
    "gap:8px}.kpi{border:1px solid #ccd;border-radius:6px;padding:6px 10px;"
    "background:#fafbfd}.kpi-label{font-size:12px;color:#222;font-weight:600}"
    ".kpi-value{font-size:22px;font-weight:700;color:#0b3d6b;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}"  # number and units on one line
    ".kpi-unit{font-size:12px;font-weight:400;color:#333}"
    ".kpi-delta{font-size:12px}.kpi-note{font-size:11px;color:#444;margin-top:2px}"
)


def kpi_html(store: DashboardStore, *, style: bool = True) -> str:
    """KPI cards as HTML: value of the current settings, baseline, change and what it means.

    Every text from the model file is escaped. ``style=False`` leaves out the
    :data:`KPI_CSS` style element (for a pane that has it as a stylesheet).
    """
    cards = []
    for k in store.kpis():
        if k["better"] is None:
            colour, arrow = "#444", "="
        else:
            colour = "#006d4f" if k["better"] else "#a33f00"
            arrow = "▲" if k["delta"] > 0 else "▼"
        info = store.model.variables[k["variable"]]
        name, units = info.name, info.units
        sentence = kpi_sentence(name, units, info.doc, value=k["value"], delta=k["delta"],
                                year=k["year"], better=k["better"],
                                direction=store.model.better_direction(k["variable"]))
        number, unit = fmt_card(k["value"], name, units)
        cards.append(
            f'<div class="kpi" data-variable="{esc(k["variable"])}" '
            f'data-year="{k["year"]:.0f}" role="group" aria-label="{esc(name)} '
            f'{k["year"]:.0f}" title="{esc(info.doc)}">'
            f'<div class="kpi-label">{esc(name)} {k["year"]:.0f}</div>'
            f'<div class="kpi-value">{esc(number)}<span class="kpi-unit"> {esc(unit)}</span>'
            f'</div>'
            f'<div class="kpi-delta" style="color:{colour}">{arrow} '
            f'{esc(fmt_value(k["delta"], name, units, signed=True))} vs baseline '
            f'({esc(fmt_value(k["baseline"], name, units))})</div>'
            f'<div class="kpi-note">{esc(sentence)}</div></div>'
        )
    body = '<div class="kpis">' + "".join(cards) + "</div>"
    return f"<style>{KPI_CSS}</style>{body}" if style else body


class OutputPlots(FigureGrid):
    """One figure per key output: baseline (dashed black) and current settings (blue)."""

    columns = ("time", "baseline", "current")
    css_class = "explorer-plots"

    def draw(self, fig: Any, src: Any, name: str, units: str) -> None:
        base = fig.line("time", "baseline", source=src, color=BASELINE_COLOUR, line_width=2,
                        line_dash="dashed")
        cur = fig.line("time", "current", source=src, color=CURRENT_COLOUR, line_width=2.5)
        add_hover(fig, cur, "current settings", "current", name, units)
        add_hover(fig, base, "baseline", "baseline", name, units)

    def data(self) -> dict[str, dict[str, Any]] | None:
        ds, base = self.store.current, self.store.baseline
        if ds is None or base is None:
            return None
        return {var: {"time": ds["time"].values, "baseline": finite_or_nan(base[var].values),
                      "current": finite_or_nan(ds[var].values)}
                for var in self.sources if var in ds}


def _card_label(store: DashboardStore, var: str, year: float) -> str:
    return f"{store.model.variables[var].name} {year:.0f}"


class ExplorerPage(pn.viewable.Viewer):
    """KPI cards (any output, any year) and baseline-vs-current lines of the key outputs."""

    store = param.Parameter()

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        store = self.store
        self.cards = pn.pane.HTML(kpi_html(store, style=False), sizing_mode="stretch_width",
                                  css_classes=["kpi-cards"], stylesheets=[KPI_CSS])
        options = {esc(_card_label(store, v, y)): (v, y) for v in store.outputs
                   for y in store.years()}
        self.choose = pn.widgets.MultiChoice(
            label="KPI cards (output and year)", options=list(options),
            value=[esc(_card_label(store, v, y)) for v, y in store.kpi_cards],
            sizing_mode="stretch_width", css_classes=["kpi-choice"],
            description="Add or remove cards: type an output name and a year.")
        self._options = options
        self.choose.param.watch(self._on_choose, "value")
        self.plots = OutputPlots(store)
        self.description = pn.pane.HTML(inline_html(self._describe()),
                                        sizing_mode="stretch_width",
                                        css_classes=["preset-description"])
        self._stale = False
        store.param.watch(self._redraw, ["current", "kpi_cards"])
        store.param.watch(self._on_page, "page")
        store.param.watch(self._on_preset, "preset")
        store.param.watch(self._busy, "busy")
        self._layout = pn.Column(
            pn.pane.Markdown("## Scenario explorer\nMove a lever in the sidebar: the cards and "
                             "lines show the current settings against the baseline."),
            self.description, self.cards, self.choose,
            pn.pane.HTML(legend_html([("current settings", CURRENT_COLOUR, ""),
                                      ("baseline", BASELINE_COLOUR, "6 4")])),
            self.plots.panel(), sizing_mode="stretch_width",
        )

    def _describe(self) -> str:
        store = self.store
        if store.preset:
            text = store.model.scenarios[store.preset].description
            return f"**Preset:** {store.preset}: {text}"
        return "**Custom settings** (start from a preset in the sidebar, then move levers)."

    def _on_choose(self, event: Any) -> None:
        self.store.kpi_cards = [self._options[label] for label in event.new
                                if label in self._options]

    def _redraw(self, *_: Any) -> None:
        if self.store.page != PAGES[0]:
            # behind another tab: redrawing now costs the browser layout work for a page
            # nobody sees (a third of a move with the Uncertainty page open); drawn when shown
            self._stale = True
            return
        self._stale = False
        self.cards.object = kpi_html(self.store, style=False)
        self.plots.update()

    def _on_page(self, event: Any) -> None:
        if event.new == PAGES[0] and self._stale:
            self._redraw()

    def _on_preset(self, *_: Any) -> None:
        self.description.object = inline_html(self._describe())

    def _busy(self, event: Any) -> None:
        self.plots.loading(event.new)

    def __panel__(self) -> Any:
        return self._layout
