"""Structural sanity of the NHS productivity model: outputs, metadata, views, stocks, numerics."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest

from .conftest import REQUIRED_OUTPUTS, SCENARIOS, SECTORS, at

#: Stocks that are signed by meaning (a financial balance is a surplus or a deficit; the realised
#: benefit of an improvement approach is negative when poor implementations do net harm).
SIGNED_STOCKS = frozenset({
    "provider_financial_balance",
    "skill_mix_benefit",
    "patient_activation_benefit",
    "flow_benefit",
    "technology_benefit",
})

STAFF_GROUPS = ("Nurses", "Resident Doctors", "Consultants", "AHPs", "Support Staff")
ALLOWED_WARNINGS = (
    "The inplace keyword in DataFrame.set_index is deprecated",
    "chardet.universaldetector is deprecated",
)


# --------------------------------------------------------------------------- contents and metadata
def test_required_outputs_exist_with_units(nhs, simulate):
    base = simulate("baseline")
    for name in REQUIRED_OUTPUTS:
        py = nhs.resolve(name)
        info = nhs.variables[py]
        assert info.name == name
        assert info.units, name
        assert py in base.data_vars, name


def test_at_least_twenty_stocks(nhs):
    stocks = [py for py, v in nhs.variables.items() if v.kind == "stock"]
    assert len(stocks) >= 20


def test_every_constant_has_units_range_and_source(nhs):
    problems = []
    for info in nhs.parameters.values():
        if not info.units:
            problems.append(f"{info.name}: no units")
        if info.min is None or info.max is None or not info.min <= info.max:
            problems.append(f"{info.name}: no [min,max] range")
        elif not info.min <= float(np.asarray(info.value)) <= info.max:
            problems.append(f"{info.name}: default {info.value} outside [{info.min},{info.max}]")
        if "Source:" not in info.doc:
            problems.append(f"{info.name}: no source in the comment")
    assert not problems, "\n".join(problems)


def test_levers_come_in_pairs_and_are_off_in_the_baseline(nhs):
    levers = [
        "Improvement Investment",
        "Protected Improvement Time",
        "Digital Infrastructure Spending",
        "Extra Training Places",
        "International Recruitment Boost",
        "Skill Mix Programme",
        "Patient Activation Programme",
        "Flow Programme",
        "Pay Restraint",
        "Tariff Pressure",
        "Demand Shock",
        "Codesign of Change",
        "Efficiency Framing",
    ]
    for name in levers:
        lever = nhs.parameters[nhs.resolve(name)]
        start = nhs.parameters[nhs.resolve(f"{name} Start Year")]
        assert lever.value == 0, name
        assert lever.max > 0, name
        assert (start.min, start.max) == (2024, 2040), name
        assert start.units == "Year", name
    assert not nhs.scenarios["baseline"].levers
    for name in SCENARIOS[1:]:
        assert nhs.scenarios[name].levers, name


def test_calibration_in_2024(simulate):
    base = simulate("baseline")
    assert at(base, "productivity_index", 2024) == pytest.approx(1.0)
    assert 1.4e6 < at(base, "total_staff", 2024) < 1.6e6
    assert at(base, "waiting_list", 2024) == pytest.approx(7.54e6)  # February 2024
    assert 0.04 < at(base, "vacancy_rate", 2024) < 0.12
    assert 0.03 < at(base, "agency_share_of_pay_bill", 2024) < 0.08
    assert 2.3 < at(base, "nurses_per_doctor", 2024) < 3.0
    assert 0 < at(base, "funding_gap", 2024) < 10
    # productivity grows at first, below the historic 0.9% a year under pressure
    growth = np.log(at(base, "productivity_index", 2030)) / 6
    assert 0.0 < growth < 0.012


# --------------------------------------------------------------------------- views
def test_eight_views_recognised_by_pysd_and_no_warnings(nhs, tmp_path):
    """PySD's split_views finds the eight sectors; translation and a run emit no warnings."""
    import pysd

    src = tmp_path / "nhs_productivity.mdl"
    shutil.copy(nhs.path, src)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = pysd.read_vensim(str(src), split_views=True)
        model.run(return_columns=["Productivity Index"])
    unexpected = [
        str(w.message) for w in caught if not any(a in str(w.message) for a in ALLOWED_WARNINGS)
    ]
    assert not unexpected
    modules = json.loads((tmp_path / "modules_nhs_productivity" / "_modules.json").read_text())
    expected = {name.lower().replace(" ", "_") for name in SECTORS}
    assert set(modules) == expected
    assert all(len(names) >= 5 for names in modules.values())


def test_sectors_of_the_model_api(nhs):
    sectors = nhs.sectors
    assert set(sectors) == set(SECTORS)
    for name in REQUIRED_OUTPUTS:
        assert nhs.variables[nhs.resolve(name)].sector in SECTORS, name
    # every element but the control variables is drawn in a sector view
    unplaced = [v.name for v in nhs.variables.values() if not v.sector and v.kind != "control"]
    assert not unplaced


# --------------------------------------------------------------------------- structural behaviour
def test_zero_staff_gives_zero_output(nhs):
    params = {
        f"Initial {g}": 0.0
        for g in ("Nurses", "Resident Doctors", "Consultants", "AHPs", "Support Staff")
    }
    # no one can join either
    params.update(
        {
            "Nurse Training Intake": 0.0,
            "Medical School Intake": 0.0,
            "AHP Training Intake": 0.0,
            "Nurse International Recruitment Rate": 0.0,
            "Nurse Domestic Recruitment Rate": 0.0,
            "Doctor International Recruitment Rate": 0.0,
            "Doctor Domestic Recruitment Rate": 0.0,
            "AHP International Recruitment Rate": 0.0,
            "AHP Domestic Recruitment Rate": 0.0,
            "Support Staff Recruitment Rate": 0.0,
            "Agency Cover Fraction": 0.0,
        }
    )
    ds = nhs.run(
        params=params,
        engine="pysd",
        allow_out_of_range=True,
        return_columns=["Total Output", "Total Staff", "Productivity Index", "Waiting List"],
    )
    assert float(abs(ds.total_staff).max()) < 1e-6
    assert float(abs(ds.total_output).max()) < 1e-6
    assert float(abs(ds.productivity_index).max()) < 1e-9
    assert np.isfinite(ds.waiting_list).all()
    # nobody is treated, so the list ends far above where it started
    assert float(ds.waiting_list[-1]) > 1.3 * float(ds.waiting_list[0])


def test_no_improvement_time_gives_monotone_capability_decay(simulate):
    ds = simulate("baseline", **{"Base Improvement Time Share": 0.0})
    capability = ds.improvement_capability.values
    assert (np.diff(capability) < 0).all()
    assert capability[-1] < 0.25 * capability[0]


@pytest.mark.parametrize("scenario", ["baseline", "combined", "national_levers"])
def test_halving_time_step_changes_key_outputs_by_under_one_percent(nhs, simulate, scenario):
    coarse = simulate(scenario)
    dt = float(nhs.controls[nhs.resolve("TIME STEP")].value)
    fine = simulate(scenario, **{"TIME STEP": dt / 2})
    for name in REQUIRED_OUTPUTS:
        py = nhs.resolve(name)
        a, b = coarse[py].values, fine[py].values
        scale = np.max(np.abs(a))
        assert np.max(np.abs(a - b)) / scale < 0.01, name


def _check_finite_and_non_negative(nhs, ds, label):
    bad = [
        v
        for v in ds.data_vars
        if np.issubdtype(ds[v].dtype, np.number) and not np.isfinite(ds[v].values).all()
    ]
    assert not bad, f"{label}: NaN or inf in {bad}"
    stocks = [
        py for py, v in nhs.variables.items() if v.kind == "stock" and py not in SIGNED_STOCKS
    ]
    negative = [s for s in stocks if float(ds[s].min()) < -1e-9 * max(1.0, float(abs(ds[s]).max()))]
    assert not negative, f"{label}: negative stocks {negative}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_shipped_scenarios_finite_and_no_negative_stock(nhs, simulate, scenario):
    _check_finite_and_non_negative(nhs, simulate(scenario), scenario)


def test_random_draws_within_ranges_stay_finite_and_non_negative(nhs):
    rng = np.random.default_rng(20240)
    # the pandemic history inputs are 0 in every 2024-2040 scenario (history mode sets them)
    names = sorted(py for py in nhs.parameters if not py.startswith("pandemic_"))
    for draw in range(20):
        params = {}
        for py in names:
            info = nhs.parameters[py]
            params[py] = float(rng.uniform(info.min, info.max))
        ds = nhs.run(params=params, engine="pysd")
        _check_finite_and_non_negative(nhs, ds, f"draw {draw}")
        # bounded 0-1 quantities stay in bounds
        for py in ("improvement_capability", "staff_morale", "agility", "technology_adoption"):
            assert float(ds[py].min()) >= 0 and float(ds[py].max()) <= 1, (draw, py)
