"""Finance and establishment: provider balances form, accumulate and feed back (issue item 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .conftest import at

COLUMNS = [
    "Provider Financial Balance",
    "Share of Providers in Deficit",
    "Financial Balance",
    "Income",
    "Expenditure",
    "Total Staff",
    "Nurse Establishment",
    "Financial Pressure",
    "Protected Time Share",
    "Staff Morale",
]


def _tariff_for_five_years(nhs, rate: float = 0.02, start: float = 2026.0) -> pd.Series:
    t0 = float(nhs.controls["initial_time"].value)
    t1 = float(nhs.controls["final_time"].value)
    dt = float(nhs.controls["time_step"].value)
    times = np.arange(t0, t1 + dt / 2, dt)
    return pd.Series(np.where((times >= start) & (times < start + 5), rate, 0.0), index=times)


@pytest.fixture(scope="module")
def tariff_run(nhs):
    return nhs.run(
        "baseline",
        params={"Tariff Pressure": _tariff_for_five_years(nhs), "Tariff Pressure Start Year": 2026},
        engine="pysd",
        return_columns=COLUMNS,
    )


def test_tariff_pressure_drives_providers_into_deficit(simulate, tariff_run):
    """Tariff cuts of 2% a year for five years: balance negative, over 40% of providers in deficit."""
    base = simulate("baseline")
    for year in (2030, 2031, 2033):
        assert at(tariff_run, "provider_financial_balance", year) < 0
        assert at(tariff_run, "share_of_providers_in_deficit", year) > 0.4
        assert at(tariff_run, "share_of_providers_in_deficit", year) > at(
            base, "share_of_providers_in_deficit", year
        ) + 0.2
    # the deficit bites through recovery plans: posts frozen and improvement time cut
    assert at(tariff_run, "financial_pressure", 2031) > 0.02
    assert at(tariff_run, "nurse_establishment", 2031) < at(base, "nurse_establishment", 2031)
    assert at(tariff_run, "staff_morale", 2031) < at(base, "staff_morale", 2031) - 0.05


def test_baseline_stays_near_balance(simulate):
    base = simulate("baseline")
    margin = base.financial_balance / base.income
    assert float(abs(margin).max()) < 0.02
    balance = base.provider_financial_balance / base.income
    assert float(abs(balance).max()) < 0.05
    share = base.share_of_providers_in_deficit
    assert 0.2 < float(share.min()) and float(share.max()) < 0.7


def test_spending_is_not_funding_divided_by_pay(simulate):
    """Posts follow plans and demand: zero real funding growth opens a deficit instead of cutting posts at once."""
    base = simulate("baseline")
    flat = simulate("baseline", **{"Real Funding Growth": 0.0})
    assert at(flat, "financial_balance", 2027) < at(base, "financial_balance", 2027) - 1
    assert at(flat, "provider_financial_balance", 2030) < 0
    # a deficit feeds back through recovery plans on posts (a balancing loop), with a lag
    assert at(flat, "total_staff", 2026) > 0.98 * at(base, "total_staff", 2026)
    assert at(flat, "total_staff", 2032) < 0.95 * at(base, "total_staff", 2032)


def test_share_in_deficit_reads_the_margin_distribution(nhs):
    """The share in deficit is the logistic-approximated normal CDF of minus the median margin."""
    ds = nhs.run(
        "baseline",
        engine="pysd",
        return_columns=["Share of Providers in Deficit", "Provider Margin"],
    )
    p = {k: float(nhs.parameters[nhs.resolve(k)].value) for k in (
        "Provider Margin Dispersion", "Median Margin Offset", "Normal CDF Logistic Scale")}
    z = (ds.provider_margin + p["Median Margin Offset"]) / p["Provider Margin Dispersion"]
    from scipy.stats import norm

    assert np.allclose(ds.share_of_providers_in_deficit, norm.cdf(-z), atol=0.01)
