"""The composed app (no browser) and the ``sdmodels dashboard`` command."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from typer.testing import CliRunner

from sdmodels.cli import app as cli_app
import panel as pn

from sdmodels.dashboard import PAGES, DashboardStore, create_app


def _kpi_text(template) -> str:
    return next(p for p in template.main[0].select(pn.pane.HTML)
                if "kpi-value" in str(p.object)).object


def test_each_app_has_its_own_store(mini_model):
    sa = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    sb = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    a, b = create_app(sa), create_app(sb)
    assert sa.model is sb.model  # the loaded model is shared
    before = _kpi_text(b)
    assert _kpi_text(a) == before
    # as the page does: the lever moves in a worker thread, the views follow the store
    asyncio.run(sa.set_lever("Training Places", value=120))
    assert sa.values["training_places"] == 120.0
    assert sb.values["training_places"] == 0.0
    assert _kpi_text(a) != before and _kpi_text(b) == before
    tabs = next(iter(a.main[0].select(pn.Tabs)))
    assert list(tabs._names) == list(PAGES)
    # pages other than the first are built when first opened
    assert [len(p) for p in tabs.objects][1:] == [0, 0, 0, 0]
    assert create_app(mini_model, engine="pysd") is not create_app(mini_model, engine="pysd")


def test_served_app_answers(server):
    with urllib.request.urlopen(server, timeout=60) as resp:
        page = resp.read().decode()
        assert resp.status == 200
    assert "sdmodels" in page and "bokeh" in page.lower()


@pytest.mark.parametrize("args, message", [
    (["--engine", "fast"], "--engine must be auto, compiled or pysd"),
    (["--samples", "1"], "--samples must be at least 2"),
    (["--port", "70000"], "--port must be between 0 and 65535"),
])
def test_cli_refuses_bad_options(args, message, mini_model_path):
    result = CliRunner().invoke(cli_app, ["dashboard", str(mini_model_path), "--no-show", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_cli_refuses_a_missing_model(tmp_path):
    result = CliRunner().invoke(cli_app, ["dashboard", str(tmp_path / "none.mdl"), "--no-show"])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())


def test_a_drag_computes_once_on_release(mini_model):
    """Positions a slider passes over while dragged compute nothing; the release computes."""
    import param

    from sdmodels.dashboard.views import LeverPanel

    store = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    computed = []
    act = store._act

    async def counting(settings):
        computed.append(settings)
        await act(settings)

    store._act = counting
    size, _ = LeverPanel(store=store).widgets["training_places"]

    async def drag() -> None:
        for value in (10.0, 20.0, 30.0, 40.0):  # what the browser sends while dragging
            size.value = value
        with param.edit_constant(size):
            size.value_throttled = 40.0  # the release
        while store.values["training_places"] != 40.0:
            await asyncio.sleep(0.01)  # yield to the scheduled callbacks until the release lands

    asyncio.run(asyncio.wait_for(drag(), timeout=120))
    assert len(computed) == 1
    assert computed[0].values["training_places"] == 40.0


def test_the_starting_point_form_is_built_when_first_opened(profiled_model):
    """Folded, the form holds no fields (they were most of the page's DOM nodes); opened, it
    shows every starting value as the store holds it and then follows the store."""
    from sdmodels.dashboard.views import StartPointForm

    store = DashboardStore(profiled_model, engine="pysd", mc_samples=8)
    assert [p.py_name for p in store.start_fields] == ["initial_need"]
    form = StartPointForm(store=store)
    card = form.__panel__()
    assert not form.built and form.inputs == {}
    assert len(card.objects) == 1  # a line saying what opening it does
    asyncio.run(store.set_start_point({"initial_need": 700.0}))  # folded: nothing to follow
    card.collapsed = False
    assert form.built
    assert set(form.inputs) == {p.py_name for p in store.start_fields}
    assert form.inputs["initial_need"].value == 700.0  # built from the store's values
    assert any(o is form.inputs["initial_need"] for o in card.objects)
    asyncio.run(store.set_start_point({"initial_need": None}))
    assert form.inputs["initial_need"].value == float(profiled_model.parameters["initial_need"].value)
    assert form.profile.value == ""


def test_the_explorer_is_redrawn_when_shown_not_behind_another_tab(mini_model):
    from sdmodels.dashboard.views import ExplorerPage

    store = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    page = ExplorerPage(store=store)
    before = page.cards.object
    source = page.plots.sources["waiting_list"]
    data = list(source.data["current"])
    store.page = "Compare"
    asyncio.run(store.set_lever("Training Places", value=120))
    assert page.cards.object == before and list(source.data["current"]) == data
    store.page = "Scenario explorer"
    assert page.cards.object != before
    assert list(source.data["current"]) != data


def test_kpi_cards_write_millions_short():
    """A waiting list of 7.4 million reads ``7.412m Patients`` (it had wrapped its units onto
    a line of their own); thousands stay exact, shares are percentages."""
    from sdmodels.dashboard._text import fmt_card

    assert fmt_card(7.4123e6, "Waiting List", "Patients") == ("7.412m", "Patients")
    assert fmt_card(1571.2, "Waiting List", "patients") == ("1,571.2", "patients")
    assert fmt_card(2.5e9, "Income", "GBP/Year") == ("2.5bn", "GBP/Year")
    assert fmt_card(0.105, "Vacancy Rate", "Dmnl") == ("10.5", "%")


def test_fractions_a_year_read_as_percentages_a_year(store):
    """An output in 1/Year (a fraction a year: growth, leaving, erosion) reads as a percentage
    a year on its chart's axis, its card, its tooltip and in changes; counts keep their units."""
    from sdmodels.dashboard._text import fmt_card, fmt_value, number_format, percent_unit
    from sdmodels.dashboard.views._figures import line_figure

    assert store.output_label("capability_erosion") == "Capability Erosion (%/year)"
    assert fmt_card(0.0115, "Capability Erosion", "1/Year") == ("1.1", "%/year")
    assert fmt_value(0.03, "Real Funding Growth", "1/Year") == "3.0 %/year"
    assert fmt_value(-0.004, "Real Funding Growth", "1/Year", signed=True) == "-0.4 points/year"
    assert number_format("Capability Erosion", "1/Year") == "{0.0%}"
    assert percent_unit("Waiting List", "Patients") == "Patients"
    assert line_figure("Capability Erosion", "1/Year", share=True).yaxis[0].axis_label == "%/year"
