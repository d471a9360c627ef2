"""The capability trap has two stable states and a tipping point (Repenning and Sterman 2001).

Work pressure above a threshold diverts improvement time to firefighting (a logistic curve, not a
switch); capability and process efficiency then erode, pressure rises further, and the system
settles in a low state. Below the threshold improvement time survives and the system recovers.
"""

from __future__ import annotations

import pytest

from .conftest import at

COLUMNS = ["Improvement Capability", "Productivity Index", "Perceived Work Pressure",
           "Firefighting Share", "Process Efficiency", "Total Output"]

#: A sustained 4.5% rise in need from 2024: the same conditions for both starting points. Two
#: stable states coexist in a band of sustained pressure (measured with the provider-finance
#: redesign, where income growth beyond the posts' costs buys non-pay inputs: both starts recover
#: at 4% more need, both are trapped at 5%, they part at 4.5%; 2.8-3.4% before it, with need per
#: head growing 1% a year; 1-1.5% when it grew 2%); below it both starts recover, above it both
#: are trapped (see the band test).
SAME_POLICY = {"Demand Shock": 0.045, "Demand Shock Start Year": 2024}
#: A temporary shock: two years from 2026, of a size the bisection chooses.
TEMPORARY = {"Demand Shock Start Year": 2026, "Demand Shock Duration": 2}


@pytest.fixture(scope="module")
def run(nhs):
    cache: dict[tuple, object] = {}

    def _run(**params):
        key = tuple(sorted(params.items()))
        if key not in cache:
            cache[key] = nhs.run("baseline", params=params, engine="pysd", return_columns=COLUMNS)
        return cache[key]

    return _run


def test_low_and_high_initial_capability_end_in_different_equilibria(run):
    """The same conditions from low and high 2024 capability (both inside its range) diverge."""
    low = run(**SAME_POLICY, **{"Initial Improvement Capability": 0.15})
    high = run(**SAME_POLICY, **{"Initial Improvement Capability": 0.35})
    # the low start is trapped: capability nearly gone, firefighting takes all improvement time
    assert at(low, "improvement_capability", 2040) < 0.05
    assert at(low, "firefighting_share", 2040) > 0.9
    # the high start holds a working level of capability with little firefighting
    assert at(high, "improvement_capability", 2040) > 0.15
    assert at(high, "firefighting_share", 2040) < 0.5
    # clearly different equilibria: the gap in productivity is large and still widening
    gap_2035 = at(high, "productivity_index", 2035) - at(low, "productivity_index", 2035)
    gap_2040 = at(high, "productivity_index", 2040) - at(low, "productivity_index", 2040)
    assert gap_2040 > 0.1
    assert gap_2040 > gap_2035
    # the starting gap in capability (0.2) has grown, not converged (a single equilibrium would
    # pull both runs together)
    assert at(high, "improvement_capability", 2040) - at(low, "improvement_capability", 2040) > 0.15


def test_two_stable_states_only_in_a_band_of_pressure(run):
    """Outside the band the starting point does not matter: with no extra need both starts end
    healthy, with a sustained 5% rise both end trapped; in the band (4.5%) they part."""
    def end(shock: float, start: float) -> float:
        ds = run(**{**SAME_POLICY, "Demand Shock": shock, "Initial Improvement Capability": start})
        return at(ds, "improvement_capability", 2040)

    assert end(0.0, 0.15) > 0.15 and end(0.0, 0.35) > 0.15
    assert end(0.05, 0.15) < 0.05 and end(0.05, 0.35) < 0.05
    assert end(0.045, 0.15) < 0.05 < 0.15 < end(0.045, 0.35)


def _trapped(run, size: float, reference: float) -> bool:
    ds = run(**TEMPORARY, **{"Demand Shock": size})
    return at(ds, "improvement_capability", 2040) < 0.5 * reference


def test_a_temporary_shock_above_a_threshold_tips_a_healthy_system(run):
    """Bisection finds the size of a two-year shock that tips the system; both sides are checked."""
    base = run()
    reference = at(base, "improvement_capability", 2040)
    assert reference > 0.15  # the baseline is the healthy state
    lo, hi = 0.0, 0.3  # the declared range of Demand Shock
    assert not _trapped(run, lo, reference)
    assert _trapped(run, hi, reference)
    while hi - lo > 0.005:
        mid = 0.5 * (lo + hi)
        if _trapped(run, mid, reference):
            hi = mid
        else:
            lo = mid
    threshold = 0.5 * (lo + hi)
    # a tipping point inside the range, not at either end
    assert 0.02 < threshold < 0.25
    below = run(**TEMPORARY, **{"Demand Shock": 0.7 * threshold})
    above = run(**TEMPORARY, **{"Demand Shock": 1.3 * threshold})
    # below the threshold the system recovers: capability back near the baseline, pressure eases
    assert at(below, "improvement_capability", 2040) > 0.85 * reference
    assert at(below, "productivity_index", 2040) > at(base, "productivity_index", 2040) - 0.03
    assert at(below, "perceived_work_pressure", 2040) < at(below, "perceived_work_pressure", 2028)
    # above it the system stays in the low state long after the shock has ended (2028)
    assert at(above, "improvement_capability", 2040) < 0.1 * reference
    assert at(above, "productivity_index", 2040) < at(base, "productivity_index", 2040) - 0.1
    # pressure stays high long after the shock: it eased from 1.54 (2028) to 1.49 (2040) in the
    # trapped run as measured with the provider-finance redesign (it still rose before it), far
    # above the recovered run's
    assert at(above, "perceived_work_pressure", 2040) > 0.9 * at(above, "perceived_work_pressure", 2028)
    assert at(above, "perceived_work_pressure", 2040) > at(below, "perceived_work_pressure", 2040) + 0.2


def test_firefighting_is_a_smooth_curve_of_pressure(run):
    """The nonlinearity is a logistic share of time diverted, not a switch: it moves gradually."""
    base = run()
    share = base.firefighting_share.values
    pressure = base.perceived_work_pressure.values
    assert ((share > 0) & (share < 1)).all()
    # more pressure, more firefighting, everywhere along the run
    order = pressure.argsort()
    assert (share[order][1:] >= share[order][:-1] - 1e-12).all()


def test_work_harder_is_better_before_worse(run):
    """Firefighting first frees staff time for care, then output falls behind working smarter.

    The same temporary shock with the default threshold (firefighting sets in) against a higher
    threshold inside its range (improvement time kept longer).
    """
    # a shock past the tipping point at the default threshold (measured about 0.115 with the
    # provider-finance redesign, between 0.06 and 0.08 before it with need per head growing 1% a
    # year, 0.06 when it grew 2%), within reach of the higher one
    shock = {**TEMPORARY, "Demand Shock": 0.12}
    harder = run(**shock)
    smarter = run(**shock, **{"Firefighting Pressure Threshold": 1.35})
    assert at(harder, "firefighting_share", 2027) > at(smarter, "firefighting_share", 2027) + 0.1
    # better before: more output in the first year of the shock, improvement time going to care
    ratio = harder.total_output / smarter.total_output
    assert float(ratio.sel(time=slice(2026, 2027)).max()) > 1.001
    # worse after: capability and process efficiency eroded, output and productivity lower
    assert at(harder, "process_efficiency", 2036) < at(smarter, "process_efficiency", 2036) - 0.03
    assert float(ratio.sel(time=2036)) < 0.97
    assert at(harder, "productivity_index", 2036) < at(smarter, "productivity_index", 2036) - 0.03
