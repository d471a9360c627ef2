"""Shared figures of uncertainty and sensitivity results."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.errors import UnknownNameError
from sdmodels.montecarlo import run_mc
from sdmodels.plots import fan_chart, ranked_bar, save_figure, stacked_areas
from sdmodels.sensitivity import morris, sobol


@pytest.fixture(scope="module")
def mc(staff, staff_spec):
    return run_mc(staff, staff_spec, n=64, scenarios=["baseline", "retention"], seed=0,
                  outputs=["Staff"])


@pytest.fixture(scope="module")
def si(staff, staff_spec):
    return sobol(staff, staff_spec, n=128, outputs=["Staff"], seed=0)


def test_fan_chart_one_panel_per_scenario(mc, tmp_path):
    fig = mc.sd.fan("staff")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["baseline", "retention"]
    # Median line of the retention panel equals the sample median; the baseline median is drawn
    # dashed beside it for comparison.
    lines = axes[1].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(),
                               mc["staff"].sel(scenario="retention").median("sample").values)
    assert lines[1].get_linestyle() == "--"
    assert len(axes[0].collections) == 2  # two quantile bands
    path = save_figure(fig, tmp_path / "fan.png")
    assert path.stat().st_size > 1000
    with pytest.raises(UnknownNameError):
        fan_chart(mc, "nope")


def test_ranked_bar_orders_by_total_index(si):
    fig = ranked_bar(si, "staff", year=2030)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    st = si["ST"].sel(output="staff", time=2030.0)
    expected = [str(si["parameter_name"].sel(parameter=p).values)
                for p in st.sortby(st).parameter.values]
    assert labels == expected  # smallest at the bottom, largest on top
    assert "2030" in ax.get_title()


def test_stacked_areas_sum_to_one_with_interactions(si):
    fig = stacked_areas(si, "staff")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "interactions" and len(legend) == 4
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(1.0, abs=0.05)


def test_morris_figures(staff, staff_spec):
    mo = morris(staff, staff_spec, trajectories=10, outputs=["Staff"], seed=0)
    labels = [t.get_text() for t in ranked_bar(mo, "staff").axes[0].get_yticklabels()]
    mu = mo["mu_star"].sel(output="staff").isel(time=-1)
    assert labels[-1] == str(mo["parameter_name"].sel(parameter=mu.idxmax("parameter")).values)
    legend = stacked_areas(mo, "staff").axes[0].get_legend().get_texts()
    assert "interactions" not in [t.get_text() for t in legend]
