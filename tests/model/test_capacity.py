"""Absolute capacity: output from staff hours, skill mix, beds and social care (issue item 2)."""

from __future__ import annotations

import pytest

from .conftest import at

COLS = ["Total Output", "Work Pressure", "Productivity Index", "Delayed Discharge Days",
        "Bed Occupancy", "Need Index", "Demographic Need Index", "Elective Cancellation Share",
        "Staff Hours", "Waiting List"]


@pytest.fixture(scope="module")
def nurse_starts(nhs):
    """The baseline from 380k and from 460k nurses in 2024 (runs shared by the tests below)."""
    return tuple(nhs.run("baseline", engine="pysd", params={"Initial Nurses": n}, outputs=COLS)
                 for n in (380_000, 460_000))


@pytest.mark.xfail(strict=True, reason=(
    'measured after the provider-finance redesign: 2030 output 0.7% lower with 460k nurses (threshold +5%; 0.6% lower before it), cumulative output 2024-2030 1.0% higher (sum of quarterly values): with need per head growing 1% a year (its 2010-2024 rate) output is bounded by need, and the extra nurses clear the list (5.85 million in 2030 against 7.76) and lower work pressure (1.05 against 1.10 in 2024) instead; see test_starting_nurses_change_waits_and_pressure'))
def test_starting_nurses_change_output(nurse_starts):
    """Initial nurses 380k vs 460k changes 2030 output by at least 5% (capacity is absolute)."""
    low, high = nurse_starts
    change = at(high, "total_output", 2030) / at(low, "total_output", 2030) - 1
    assert change >= 0.05
    assert at(high, "staff_hours", 2024) > at(low, "staff_hours", 2024)


def test_starting_nurses_change_waits_and_pressure(nurse_starts):
    """Capacity is absolute: 80,000 more nurses in 2024 lower the starting work pressure and cut
    the 2030 waiting list by a fifth or more (measured 28%); a relative capacity would give the
    same run from both starts."""
    low, high = nurse_starts
    assert at(high, "work_pressure", 2024) < at(low, "work_pressure", 2024) - 0.04
    assert at(high, "waiting_list", 2030) < 0.8 * at(low, "waiting_list", 2030)
    assert at(high, "staff_hours", 2024) > 1.04 * at(low, "staff_hours", 2024)


def test_output_per_hour_is_calibrated_to_england_2024(simulate):
    """England's 2024 staff hours at the calibrated output per hour give the reference pressure."""
    base = simulate("baseline")
    assert at(base, "work_pressure", 2024) == pytest.approx(1.1, rel=0.02)


def test_ageing_raises_need_faster_than_population(simulate):
    base = simulate("baseline")
    demographic = at(base, "demographic_need_index", 2040)
    assert 1.1 < demographic < 1.4  # ageing: weighted need grows faster than the headcount
    assert at(base, "need_index", 2040) > demographic


def test_social_care_capacity_cuts_delayed_discharge_and_occupancy(simulate):
    base = simulate("baseline")
    care = simulate("baseline", **{"Social Care Capacity Boost": 0.3,
                                   "Social Care Capacity Boost Start Year": 2026})
    assert at(care, "delayed_discharge_days", 2030) < 0.85 * at(base, "delayed_discharge_days", 2030)
    assert at(care, "bed_occupancy", 2030) < at(base, "bed_occupancy", 2030) - 0.01
    assert at(care, "waiting_list", 2035) < at(base, "waiting_list", 2035)


def test_fewer_beds_raise_cancellations_and_waits(simulate):
    base = simulate("baseline")
    cut = simulate("baseline", **{"Initial Acute Beds": 90_000})
    assert at(cut, "elective_cancellation_share", 2026) > at(
        base, "elective_cancellation_share", 2026) + 0.05
    assert at(cut, "waiting_list", 2030) > 1.05 * at(base, "waiting_list", 2030)
