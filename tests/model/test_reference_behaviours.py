"""Reference behaviours of the NHS productivity model (reference behaviours and parameter anchors).

Each test asserts a direction and a meaningful margin, never exact numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import at, first_time_reaching

SHOCK = {"Demand Shock": 0.1, "Demand Shock Start Year": 2026}
PROTECTED = {"Protected Improvement Time": 0.03, "Protected Improvement Time Start Year": 2026}
#: A sustained shock past the tipping point of the capability trap, but within reach of protected
#: time (a sustained 10% rise in need with no extra staff is beyond what 3% protected time can absorb).
#: Measured with the provider-finance redesign (income growth beyond the posts' costs buys non-pay
#: inputs): a sustained 6% rise from 2026 is absorbed (capability 0.22 in 2040), 7% tips the system
#: (0.002); 5% tipped it before the redesign, with need per head growing 1% a year, and 3% when it
#: grew 2% a year.
MILD_SHOCK = {"Demand Shock": 0.07, "Demand Shock Start Year": 2026}


# --------------------------------------------------------------------------- reference behaviours
@pytest.mark.xfail(strict=True, reason=(
    "measured after operating theatres were added, at 2035/2040: combined minus baseline -0.033/-0.044, supply push minus baseline -0.004/-0.006 (-0.046/-0.047 and -0.003/-0.006 before them, after the provider-finance redesign; agility +0.20 over supply push at 2035, met): with need per head growing 1% a year (its 2010-2024 rate) the baseline's staff capacity catches up with need (work pressure 1.10 in 2024, 1.00 by 2040), so output is bounded by need (and from 2027 theatres bound the surgical share: utilisation 1.08 by 2040, the list 8.1 million in 2030 and 8.8 million in 2040 against 7.8 and 5.4 before the theatres) and combined's gains show as a shorter list (3.4 million at 2040 against 8.8 in the baseline and 9.6 under supply push) and fewer avoidable admissions, which the productivity index does not count, while income growth beyond the posts' costs buys non-pay inputs the index counts; half the labour freed by improvement stays in services as slack (Share of Savings Reinvested 0.5)"))
def test_supply_push_gains_clearly_less_than_combined(simulate):
    """Supply push without agility investment gains far less productivity than the combination."""
    base, push, both = simulate("baseline"), simulate("supply_push"), simulate("combined")
    for year in (2035, 2040):
        gain_push = at(push, "productivity_index", year) - at(base, "productivity_index", year)
        gain_both = at(both, "productivity_index", year) - at(base, "productivity_index", year)
        # at least 5 percentage points more, and at least twice the supply-push gain
        assert gain_both - gain_push > 0.05
        assert gain_both > 2 * max(gain_push, 0.0)
    # the difference comes with higher agility, not just more staff
    assert at(both, "agility", 2035) > at(push, "agility", 2035) + 0.1


@pytest.mark.xfail(strict=True, reason=(
    "measured after operating theatres were added: margin at 2040 0.008 (threshold 0.01; 0.008 before them, 0.007 before the provider-finance redesign): with need per head growing 1% a year (its 2010-2024 rate) the baseline's staff capacity catches up with need (work pressure 1.10 in 2024, 1.00 by 2040), so output is bounded by need (and from 2027 theatres bound the surgical share: utilisation 1.08 by 2040, the list 8.1 million in 2030 and 8.8 million in 2040 against 7.8 and 5.4 before the theatres) and agility_first's higher capability (0.52 against 0.26) shows mostly as a shorter list (7.96 million against 9.59)"))
def test_agility_first_beats_supply_push_with_half_the_supply(simulate):
    """Investing in capability and motivation first outperforms the full supply push by 2040."""
    push, agile = simulate("supply_push"), simulate("agility_first")
    # margin 0.019 with absolute capacity and demand-driven posts (0.03 before)
    assert at(agile, "productivity_index", 2040) > at(push, "productivity_index", 2040) + 0.01
    assert (
        at(agile, "improvement_capability", 2040) > at(push, "improvement_capability", 2040) + 0.1
    )


def test_technology_benefits_lag_adoption_by_years(simulate):
    """Half the mature (benefit-bearing) technology adoption arrives at least two years after half
    the adoption. Maturity, not benefit, is timed: the realised benefit of supply push peaks and
    falls as later cohorts are implemented with less agility, so its half-way time says little."""
    push = simulate("supply_push")
    assert at(push, "technology_adoption", 2040) > 0.5  # the programme does take hold
    lag = first_time_reaching(push, "technology_maturity", 0.5) - first_time_reaching(
        push, "technology_adoption", 0.5
    )
    assert lag >= 2.0
    # and benefit trails adoption throughout the roll-out
    during = push.sel(time=slice(2026, 2032))
    assert bool((during.technology_benefit < during.technology_adoption).all())
    assert bool((during.technology_maturity < during.technology_adoption).all())


def test_capability_trap_under_demand_shock(simulate):
    """A sustained demand shock without protected time erodes capability and productivity."""
    base, shock = simulate("baseline"), simulate("baseline", **SHOCK)
    # capability declines well below its pre-shock level and below the baseline
    assert at(shock, "improvement_capability", 2035) < 0.6 * at(
        shock, "improvement_capability", 2026
    )
    assert (
        at(shock, "improvement_capability", 2035) < at(base, "improvement_capability", 2035) - 0.08
    )
    # productivity falls further behind the baseline as capability erodes (not a one-off step)
    gap_early = at(base, "productivity_index", 2027) - at(shock, "productivity_index", 2027)
    gap_late = at(base, "productivity_index", 2035) - at(shock, "productivity_index", 2035)
    assert gap_late > gap_early + 0.03
    assert gap_late > 0.06


def test_protected_time_escapes_the_capability_trap(simulate):
    """A sustained shock that traps the system without protected time is followed by recovery with it."""
    trapped = simulate("baseline", **MILD_SHOCK)
    protected = simulate("baseline", **MILD_SHOCK, **PROTECTED)
    # without protected time the shock tips the system into the low state
    assert at(trapped, "improvement_capability", 2040) < 0.1
    # with it capability rises above its pre-shock level instead of collapsing
    assert at(protected, "improvement_capability", 2035) > at(
        protected, "improvement_capability", 2026
    )
    # productivity recovers from its post-shock low and ends well above the trapped run
    low = float(protected.productivity_index.sel(time=slice(2026, 2032)).min())
    assert at(protected, "productivity_index", 2038) > low + 0.02
    assert (
        at(protected, "productivity_index", 2035) > at(trapped, "productivity_index", 2035) + 0.04
    )
    assert (
        at(protected, "productivity_index", 2040) > at(trapped, "productivity_index", 2040) + 0.1
    )


@pytest.mark.xfail(strict=True, reason=(
    "measured after operating theatres were added: unit cost lower in 2026/2027 (-0.004/-0.008), morale -0.057 and nurse leaving +1.44 points at 2030 (met), but total staff at 2035 0.986 of the baseline (threshold 0.97) and productivity -0.018 at 2035, -0.029 at 2040 against the baseline (thresholds -0.02, -0.05; 0.987, -0.017 and -0.029 before the theatres; +0.018 and +0.026 before the provider-finance redesign): with need per head growing 1% a year (its 2010-2024 rate) the baseline's staff capacity catches up with need (work pressure 1.10 in 2024, 1.00 by 2040), so output is bounded by need (and from 2027 theatres bound the surgical share: utilisation 1.08 by 2040, the list 8.1 million in 2030 and 8.8 million in 2040 against 7.8 and 5.4 before the theatres), and the money pay restraint saves buys non-pay inputs, so measured productivity now falls, but by less than the thresholds"))
def test_national_levers_better_cost_now_worse_productivity_later(simulate):
    """Pay restraint and tariff cuts cut unit cost at first but erode morale, retention, output."""
    base, nat = simulate("baseline"), simulate("national_levers")
    # short run: measured cost per unit of output is lower
    for year in (2026, 2027):
        assert at(nat, "unit_cost_index", year) < at(base, "unit_cost_index", year) - 0.003
    # morale and retention worse within a few years
    assert at(nat, "staff_morale", 2030) < at(base, "staff_morale", 2030) - 0.04
    assert (
        at(nat, "effective_nurse_leaver_rate", 2030)
        > at(base, "effective_nurse_leaver_rate", 2030) + 0.01
    )
    assert at(nat, "total_staff", 2035) < at(base, "total_staff", 2035) * 0.97
    # productivity: barely different at first, clearly lower years later
    assert abs(at(nat, "productivity_index", 2026) - at(base, "productivity_index", 2026)) < 0.01
    assert at(nat, "productivity_index", 2035) < at(base, "productivity_index", 2035) - 0.02
    assert at(nat, "productivity_index", 2040) < at(base, "productivity_index", 2040) - 0.05


@pytest.mark.xfail(strict=True, reason=(
    "measured after operating theatres were added: avoidable demand 0.885 of the baseline at 2035 (threshold 0.9, met) but the list 0.964 (threshold 0.95; 0.997 before the theatres): with need per head growing 1% a year (its 2010-2024 rate) the baseline's staff capacity catches up with need (work pressure 1.10 in 2024, 1.00 by 2040), so output is bounded by need (and from 2027 theatres bound the surgical share: utilisation 1.08 by 2040, the list 8.1 million in 2030 and 8.8 million in 2040 against 7.8 and 5.4 before the theatres), and the capacity the programme frees shortens the list only a little"))
def test_patient_activation_reduces_avoidable_demand_and_waiting_list(simulate):
    """A patient activation programme lowers avoidable demand and the waiting-list backlog."""
    base = simulate("baseline")
    act = simulate(
        "baseline",
        **{"Patient Activation Programme": 1.0, "Patient Activation Programme Start Year": 2026},
    )
    assert at(act, "avoidable_demand", 2035) < 0.9 * at(base, "avoidable_demand", 2035)
    assert at(act, "waiting_list", 2035) < 0.95 * at(base, "waiting_list", 2035)
    # nothing changes before the programme starts
    assert at(act, "avoidable_demand", 2025) == at(base, "avoidable_demand", 2025)


# --------------------------------------------------------------------------- parameter anchors candidates
@pytest.mark.xfail(strict=True, reason=(
    "measured after operating theatres were added: dip -0.41% in the first year (threshold -0.5%) and -0.02% at 2032, -0.03% at 2035 (thresholds +1%, +2%; -0.04% and -0.02% before the theatres): with need per head growing 1% a year (its 2010-2024 rate) the baseline's staff capacity catches up with need (work pressure 1.10 in 2024, 1.00 by 2040), so output is bounded by need (and from 2027 theatres bound the surgical share: utilisation 1.08 by 2040, the list 8.1 million in 2030 and 8.8 million in 2040 against 7.8 and 5.4 before the theatres) and the capability that protected time builds raises capacity that need does not use"))
def test_protected_time_is_worse_before_better(simulate):
    """Protected improvement time lowers throughput for months, then raises it."""
    base = simulate("baseline")
    prot = simulate("baseline", **PROTECTED)
    diff = (prot.total_output - base.total_output) / base.total_output
    early = diff.sel(time=slice(2026, 2027))
    assert float(early.min()) < -0.005  # a visible dip in the first year
    # the dip ends within 6-24 months
    recovered = diff.time.values[(diff.time.values > 2026) & (diff.values > 0)]
    assert 2026.5 <= recovered[0] <= 2028.5  # 6-30 months
    # then clearly better, as capability builds over years
    assert float(diff.sel(time=2032)) > 0.01
    assert float(diff.sel(time=2035)) > 0.02


def test_training_intake_step_reaches_nurses_after_about_three_years(simulate):
    """More training places change qualified nurse numbers only after the course length."""
    base = simulate("baseline")
    more = simulate(
        "baseline", **{"Extra Training Places": 0.5, "Extra Training Places Start Year": 2026}
    )
    extra = more.nurses - base.nurses
    final = float(extra.sel(time=2040))
    assert final > 10_000
    assert float(extra.sel(time=2027)) < 0.05 * final  # nothing visible after a year
    assert float(extra.sel(time=2028)) < 0.25 * final  # little after two
    assert float(extra.sel(time=2031)) > 0.5 * final  # most of it after five
    # consultants respond far later still (medical school plus residency)
    consultants = more.consultants - base.consultants
    assert float(consultants.sel(time=2031)) < 0.1 * float(extra.sel(time=2031))
    # only those who complete the course qualify: 64-76% of extra students (parameter anchors)
    qualify = (more.nurse_qualifiers - base.nurse_qualifiers) / (
        more.nurse_intake - base.nurse_intake
    )
    assert 0.64 <= float(qualify.sel(time=2035)) <= 0.77


def test_burnout_raises_leaving_and_recovery_is_slow(simulate):
    """Sustained overtime raises nurse leaving towards 13-15% and above; it stays high."""
    base, shock = simulate("baseline"), simulate("baseline", **SHOCK)
    assert at(shock, "work_intensity", 2027) > 1.1  # sustained overtime above 10%
    assert at(shock, "effective_nurse_leaver_rate", 2028) > 0.13
    assert (
        at(shock, "effective_nurse_leaver_rate", 2028)
        > at(base, "effective_nurse_leaver_rate", 2028) + 0.02
    )
    # leaving builds with sustained pressure (burnout onset about a year), not instantly
    assert at(shock, "effective_nurse_leaver_rate", 2026.25) < at(
        shock, "effective_nurse_leaver_rate", 2028
    )


def test_adoption_is_s_shaped(simulate):
    """Programme uptake follows an S-curve like PReCePT (21% -> 88%)."""
    act = simulate(
        "baseline",
        **{"Patient Activation Programme": 1.0, "Patient Activation Programme Start Year": 2026},
    )
    adoption = act.patient_activation_adoption.sel(time=slice(2026, 2040))
    assert float(adoption.sel(time=2040)) > 0.85
    increments = np.diff(adoption.values)
    peak = int(np.argmax(increments))
    assert 0 < peak < len(increments) - 1  # fastest growth in the middle, not at either end
    assert increments[peak] > 2 * increments[0]
    assert increments[peak] > 5 * increments[-1]


def test_nasss_complexity_nearly_stops_scale_up(simulate):
    """With three or more complex NASSS domains, technology scale-up nearly stops."""
    push = simulate("supply_push")
    complex3 = simulate(
        "supply_push",
        **{
            "NASSS Technology Complexity": 2.0,
            "NASSS Adopters Complexity": 2.0,
            "NASSS Organisation Complexity": 2.0,
        },
    )
    assert at(complex3, "technology_adoption", 2040) < 0.25 * at(push, "technology_adoption", 2040)


def test_harvesting_all_gains_collapses_motivation(simulate):
    """Banking every productivity gain as post cuts drains morale and loses the gains (measured
    after operating theatres were added: morale -0.132 at 2035 and the list at 2040 1.53 times
    the half-reinvested run's; 1.14 before them, when this was a strict xfail)."""
    half = simulate("combined")
    harvest = simulate("combined", **{"Share of Savings Reinvested": 0.0})
    assert at(harvest, "staff_morale", 2035) < at(half, "staff_morale", 2035) - 0.05
    assert at(harvest, "waiting_list", 2040) > 1.2 * at(half, "waiting_list", 2040)


@pytest.mark.xfail(strict=True, reason=(
    'measured after operating theatres were added: productivity at 2040 -0.008 against the half-reinvested run (threshold -0.03; -0.009 before the theatres; it rose before the provider-finance redesign): posts follow demand and harvesting cuts them, lowering input as well as output'))
def test_harvesting_all_gains_lowers_measured_productivity(simulate):
    half = simulate("combined")
    harvest = simulate("combined", **{"Share of Savings Reinvested": 0.0})
    assert at(harvest, "productivity_index", 2040) < at(half, "productivity_index", 2040) - 0.03
