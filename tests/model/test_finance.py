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


def _run_with_tariff(nhs, **params: float):
    """The baseline with 2% a year of tariff cuts for five years from 2026 (and ``params``)."""
    return nhs.run(
        "baseline",
        params={"Tariff Pressure": _tariff_for_five_years(nhs), "Tariff Pressure Start Year": 2026,
                **params},
        engine="pysd",
        return_columns=COLUMNS,
    )


@pytest.fixture(scope="module")
def tariff_run(nhs):
    return _run_with_tariff(nhs)


@pytest.mark.xfail(strict=True, reason=(
    "measured on the baseline's 3% real funding growth, after operating theatres were added: Provider "
    "Financial Balance +1.40 / +0.94 / +1.15 GBP bn and share in deficit 0.354 / 0.369 / 0.310 in 2030 / "
    "2031 / 2033 (baseline 0.263 / 0.262 / 0.263; +1.49 / +1.16 / +1.73 and 0.345 / 0.358 / 0.287 before "
    "the theatres). Only the activity-paid share of income (0.42) is paid at the tariff's price, so 2% a year "
    "cuts income by about 0.8% a year, and income growing 3% a year absorbs it: the cut removes the "
    "non-pay inputs and posts that the surplus would have bought rather than opening a deficit. Before "
    "the provider-finance redesign this passed through an artefact: planned activity grew with "
    "funding over the tariff's price, the activity ratio fell to 0.48 by 2040 and income with it. At "
    "the 2010s' 1.1% funding growth the same tariff does drive the balance negative and the share "
    "above 0.55 (test_tariff_pressure_drives_deficits_at_the_2010s_funding_growth)"))
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


#: Real funding growth of 2010/11-2014/15 (the history's input, models/data/nhs_spending.csv:
#: Health Foundation from PESA, 1.1% a year)
FUNDING_2010S = 0.011


@pytest.fixture(scope="module")
def tariff_run_2010s(nhs):
    return _run_with_tariff(nhs, **{"Real Funding Growth": FUNDING_2010S})


def test_tariff_pressure_drives_deficits_at_the_2010s_funding_growth(simulate, tariff_run_2010s):
    """At the 2010s' funding growth, 2% a year of tariff cuts for five years: balance negative,
    over 40% of providers in deficit, recovery plans freezing posts and morale falling."""
    same_funding = simulate("baseline", **{"Real Funding Growth": FUNDING_2010S})
    base = simulate("baseline")
    for year in (2030, 2031, 2033):
        assert at(tariff_run_2010s, "provider_financial_balance", year) < 0
        assert at(tariff_run_2010s, "share_of_providers_in_deficit", year) > 0.4
        assert at(tariff_run_2010s, "share_of_providers_in_deficit", year) > at(
            base, "share_of_providers_in_deficit", year) + 0.2
        assert at(tariff_run_2010s, "share_of_providers_in_deficit", year) > at(
            same_funding, "share_of_providers_in_deficit", year) + 0.1
    assert at(tariff_run_2010s, "financial_pressure", 2031) > 0.02
    assert at(tariff_run_2010s, "nurse_establishment", 2031) < at(same_funding, "nurse_establishment", 2031)
    assert at(tariff_run_2010s, "staff_morale", 2031) < at(same_funding, "staff_morale", 2031) - 0.05


def test_tariff_pressure_lowers_the_balance_on_the_baseline(simulate, tariff_run):
    """On the baseline's funding the tariff cuts still lower the in-year balance and raise the share in deficit."""
    base = simulate("baseline")
    for year in (2030, 2031):
        assert at(tariff_run, "financial_balance", year) < at(base, "financial_balance", year) - 1.0
        assert at(tariff_run, "share_of_providers_in_deficit", year) > at(
            base, "share_of_providers_in_deficit", year) + 0.05


def test_only_the_activity_paid_share_bears_the_tariff(simulate):
    """Income lost to a tariff cut a year in is about proportional to the share of income paid by activity."""
    def loss(share: float) -> float:
        kw = {"Activity Paid Share of Income": share}
        base = simulate("baseline", **kw)
        cut = simulate("baseline", **kw, **{"Tariff Pressure": 0.02, "Tariff Pressure Start Year": 2026})
        return at(base, "income", 2027) - at(cut, "income", 2027)

    low, high = loss(0.3), loss(0.6)
    assert 0 < low < high
    assert 1.5 < high / low < 2.5


def test_pay_restraint_savings_buy_non_pay_inputs(simulate):
    """Income net of pay funds the non-pay budget: pay restraint leaves more for non-pay inputs."""
    base = simulate("baseline")
    restrained = simulate("baseline", **{"Pay Restraint": 0.01, "Pay Restraint Start Year": 2026})
    for year in (2030, 2035):
        assert at(restrained, "core_non_pay_spend", year) > at(base, "core_non_pay_spend", year)
        assert at(restrained, "non_pay_intensity_effect", year) > at(base, "non_pay_intensity_effect", year)


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
