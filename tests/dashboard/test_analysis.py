"""The attribution waterfall (Compare page) and the "when does this fail?" panel (Uncertainty
page), on the store and on the views, without a browser."""

from __future__ import annotations

import asyncio
import html

import numpy as np
import pytest

from sdmodels.discovery import discover

run = asyncio.run


def test_attribution_sums_to_current_minus_baseline(store):
    run(store.set_lever("improvement_investment", value=0.6, start=2026))
    run(store.set_lever("training_places", value=150))
    run(store.show_page("Compare"))
    ds = store.attribution
    assert ds is not None
    assert set(ds["factor"].values) == {"improvement_investment", "training_places"}
    for var in store.outputs:
        total = ds["shapley"].sel(output=var).sum("factor")
        diff = store.current[var] - store.baseline[var]
        np.testing.assert_allclose(total.values, diff.sel(time=ds["time"]).values,
                                   rtol=1e-9, atol=1e-9)
    frame = store.attribution_table("productivity_index", 2035.0)
    expected = float((store.current - store.baseline)["productivity_index"].sel(time=2035.0))
    assert frame["shapley"].sum() == pytest.approx(expected, abs=1e-12)
    assert frame.attrs["total"] == pytest.approx(expected, abs=1e-12)


def test_attribution_of_the_baseline_is_empty_and_follows_the_levers(store):
    run(store.show_page("Compare"))
    assert store.attribution is None and "baseline" in store.attribution_status
    run(store.apply_preset("supply_push"))  # while on the Compare page: recomputed
    assert store.attribution is not None
    assert list(store.attribution["factor"].values) == ["training_places"]


def test_waterfall_bars_end_at_the_current_value(store):
    from sdmodels.dashboard.views.compare import ComparePage, waterfall_data

    run(store.apply_preset("agility_first"))
    run(store.show_page("Compare"))
    page = ComparePage(store=store)
    data = waterfall_data(store, "productivity_index", 2035.0)
    cur = float(store.current["productivity_index"].sel(time=2035.0))
    base = float(store.baseline["productivity_index"].sel(time=2035.0))
    assert data["factor"][0] == "Baseline" and data["factor"][-1] == "Current settings"
    assert data["top"][0] == pytest.approx(base) and data["top"][-1] == pytest.approx(cur)
    assert data["top"][-2] == pytest.approx(cur)  # the last lever's bar reaches the current value
    assert "Improvement Investment" in data["factor"]
    assert all(t.endswith("dmnl") or "dimensionless" not in t for t in data["value_text"])
    src = page.waterfall.source.data
    assert list(src["factor"]) == data["factor"]
    assert list(page.waterfall.figure.x_range.factors) == data["factor"]


def test_comparison_charts_keep_their_models_and_retitle_their_tooltips(store):
    """A new comparison changes the charts' properties only: the same lines and tooltips
    (no Bokeh model made and dropped per update, which a page could be sent a reference to
    after it was gone), each shown line's tooltip naming its scenario, the others hidden."""
    from sdmodels.dashboard.views.compare import ComparePage

    page = ComparePage(store=store)
    names = list(store.model.scenarios)[:2]
    run(store.compare(names))
    page.plots.update()
    before = {id(fig): list(fig.tools) for fig in page.plots.figures}
    models = {m.id for fig in page.plots.figures for m in fig.references()}
    run(store.compare(names[::-1] + ["current"]))
    page.plots.update()
    assert {m.id for fig in page.plots.figures for m in fig.references()} == models
    for fig in page.plots.figures:
        assert fig.tools == before[id(fig)]
        lines, hovers, _, _ = page.plots.renderers[id(fig)]
        shown = [str(n) for n in store.comparison["scenario"].values]
        assert len(shown) == 3
        assert [h.tooltips[0][1] for h in hovers[:3]] == shown
        assert [line.visible for line in lines] == [i < 3 for i in range(len(lines))]
        assert all(h.renderers == [line] for h, line in zip(hovers, lines))


def test_discovery_sentences_come_from_the_store_samples(mini_model):
    from sdmodels.dashboard import DashboardStore

    store = DashboardStore(mini_model, engine="pysd", mc_samples=48)
    run(store.apply_preset("supply_push"))
    run(store.show_page("Uncertainty"))
    runs = store.mc_runs
    assert runs is not None and runs.sizes["sample"] == 48
    assert "design" in runs and runs["design"].sizes["sample"] == 48
    year = store.discovery_year()
    boxes = [e for e in store.discovery if e["discovery"] is not None]
    assert boxes, "supply_push should fail to beat the baseline in some runs only"
    for entry in boxes:
        direction = "higher" if mini_model.better_direction(entry["output"]) > 0 else "lower"
        ref = discover(runs, scenario="current", against="baseline", output=entry["output"],
                       year=year, direction=direction)
        assert entry["discovery"].prim.box == ref.prim.box
        assert entry["sentence"] == ref.sentence().replace(
            "current fails to beat baseline", "The current scenario fails to beat the baseline")
        assert 0 < entry["fail_share"] < 1
    # new samples: recomputed from them
    before = store.mc_runs
    run(store.refresh_uncertainty(samples=32))
    assert store.mc_runs is not before and store.mc_runs.sizes["sample"] == 32
    assert all(e["discovery"] is None or e["discovery"].n == 32 for e in store.discovery)
    # a search whose runs went out of date stops before the next output
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1

    assert store.compute_discovery(store.mc_runs, cancelled=cancelled) is None
    assert len(asked) == 2
    again = store.compute_discovery(store.mc_runs, cancelled=lambda: False)
    assert [e["sentence"] for e in again] == [e["sentence"] for e in store.discovery]


def test_discovery_panel_escapes_model_text(store, mini_model):
    from sdmodels.dashboard.views.uncertainty import UncertaintyPage, discovery_html

    run(store.apply_preset("supply_push"))
    run(store.show_page("Uncertainty"))
    page = UncertaintyPage(store=store)
    assert page.failures.object == discovery_html(store)
    for entry in store.discovery:
        assert html.escape(entry["sentence"]) in page.failures.object
    hostile = [{**store.discovery[0], "discovery": None,
                "sentence": '<img src=x onerror="alert(1)">'}]
    store.discovery = hostile
    assert "<img" not in page.failures.object
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page.failures.object


def test_sobol_bars_are_shares_with_their_intervals_and_legends_outside(store):
    """Bars lie in [0, 1] (estimates outside are sampling error) with whiskers at the 95 %
    bootstrap interval; no legend stands inside a plot area."""
    import asyncio

    from bokeh.models import Legend, Whisker

    from sdmodels.dashboard.views.sensitivity import lever_tornado, sobol_areas, sobol_bars

    asyncio.run(store.load_sobol())
    output = "waiting_list"
    # an estimate outside [0, 1] and an interval crossing both bounds, as small samples give
    sobol = store.sobol.copy(deep=True)
    sobol["S1"][{"parameter": 0}] = -0.2
    sobol["ST"][{"parameter": 1}] = 1.3
    sobol["ST_conf"][:] = 0.5
    store.sobol = sobol
    year = float(sobol["time"][-1])
    fig = sobol_bars(store, output, year)
    data = fig.renderers[0].data_source.data
    for column in ("S1", "ST", "S1_lo", "S1_hi", "ST_lo", "ST_hi"):
        assert all(0.0 <= v <= 1.0 for v in data[column]), column
    assert all(lo <= v <= hi for lo, v, hi in zip(data["ST_lo"], data["ST"], data["ST_hi"],
                                                  strict=True))
    assert any(hi - lo > 0 for lo, hi in zip(data["ST_lo"], data["ST_hi"], strict=True))
    whiskers = [m for m in fig.center if isinstance(m, Whisker)]
    assert {(w.lower, w.upper) for w in whiskers} == {("S1_lo", "S1_hi"),
                                                                  ("ST_lo", "ST_hi")}
    asyncio.run(store.refresh_tornado())
    for chart in (fig, sobol_areas(store, output), lever_tornado(store, output, year)):
        assert not any(isinstance(m, Legend) for m in chart.center)
        assert any(isinstance(m, Legend) for m in [*chart.below, *chart.right])


def test_discovery_at_the_baseline_says_there_is_nothing_to_beat(store):
    from sdmodels.dashboard.views.uncertainty import discovery_html

    run(store.show_page("Uncertainty"))
    assert store.is_baseline() and store.discovery
    text = discovery_html(store)
    assert "nothing to beat" in text and "fails to beat" not in text
    run(store.apply_preset("supply_push"))
    run(store.show_page("Uncertainty"))
    assert "nothing to beat" not in discovery_html(store)
