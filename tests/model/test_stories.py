"""Stories as probabilities: each reference behaviour's share over 512 draws of every behavioural
assumption in models/uncertainty/nhs_productivity.toml (compiled batch engine, common draws for
every scenario), with the referral elasticity as sampled and at 0.

Shares below the issue's thresholds are reported, not tuned away: those checks are strict xfails
whose reason gives the measured share (see docs/model/index.md, "Stories under uncertainty").
"""

from __future__ import annotations

import numpy as np
import pytest


N = 512
SCENARIOS = ("baseline", "supply_push", "agility_first", "combined", "national_levers")


def _tool():
    """docs/model/tools/story_shares.py, whose design (and so whose figures in the docs) these
    tests share."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "model" / "tools" / "story_shares.py"
    spec = importlib.util.spec_from_file_location("story_shares", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(scope="module")
def runs(nhs):
    spec, designs = _tool().designs(nhs, N, seed=20251)
    assert len(spec) >= 150  # every behavioural assumption, not only the first twenty
    out = {}
    for label, params in designs.items():
        for s in SCENARIOS:
            ds = nhs.run_batch(params, scenario=s, return_columns=["Productivity Index"])
            out[label, s] = ds.productivity_index
    return out


def share(runs, label, better, worse, year):
    a = runs[label, better].sel(time=year).values
    b = runs[label, worse].sel(time=year).values
    assert np.isfinite(a).all() and np.isfinite(b).all()
    value = float(np.mean(a > b))
    print(f"[{label}] P({better} > {worse} at {year}) = {value:.3f}")
    return value


@pytest.mark.parametrize("label", ["sampled", "elasticity 0"])
def test_agility_first_beats_supply_push_by_2035(runs, label):
    assert share(runs, label, "agility_first", "supply_push", 2035) >= 0.75


@pytest.mark.xfail(strict=True, reason=(
    "measured 0.492 at 2040 (threshold 0.90; 0.488 before operating theatres were added, 0.402 before the provider-finance redesign, 0.400 and 0.47 in the rounds before): need per head now grows 1% a year (its 2010-2024 rate; 2% before), so in most draws capacity catches up with need and output is bounded by need: the gains of improvement show as shorter waits, which the productivity index does not count, and half the labour they free stays in services as slack; combined's activation also lowers measured output by preventing demand"))
def test_combined_beats_supply_push(runs):
    assert share(runs, "sampled", "combined", "supply_push", 2040) >= 0.90


@pytest.mark.xfail(strict=True, reason=(
    'measured 0.492 of 512 draws at 2040 (0.488 before operating theatres were added, 0.402 before the provider-finance redesign, 0.400 and 0.47 in the rounds before): need per head now grows 1% a year (its 2010-2024 rate; 2% before), so in most draws capacity catches up with need and output is bounded by need: the gains of improvement show as shorter waits, which the productivity index does not count, and half the labour they free stays in services as slack'))
def test_combined_beats_supply_push_more_often_than_not(runs):
    assert share(runs, "sampled", "combined", "supply_push", 2040) > 0.5


@pytest.mark.xfail(strict=True, reason=(
    'measured 0.408 with the referral elasticity at 0 (0.402 before operating theatres were added, 0.338 before the provider-finance redesign, 0.334 and 0.375 in the rounds before): need per head now grows 1% a year (its 2010-2024 rate; 2% before), so in most draws capacity catches up with need and output is bounded by need: the gains of improvement show as shorter waits, which the productivity index does not count, and half the labour they free stays in services as slack; agility_first beats supply push at 2035 in 0.87 of these draws'))
def test_combined_beats_supply_push_without_induced_referrals(runs):
    assert share(runs, "elasticity 0", "combined", "supply_push", 2040) > 0.5


@pytest.mark.xfail(strict=True, reason=(
    "measured 0.727 (threshold 0.80; 0.736 before operating theatres were added, 0.365 before the provider-finance redesign, 0.357 and 0.375 in the rounds before): the money pay restraint saves now buys non-pay inputs (at the model's values core non-pay GBP 70bn against the baseline's 65bn in 2040), which raise measured input while output, bounded by need in most draws, barely moves, so national levers fall below the baseline in most draws; in the rest the levers' lower morale and retention cost less output than the restraint saves in input"))
def test_national_levers_below_baseline_by_2035(runs):
    assert share(runs, "sampled", "baseline", "national_levers", 2035) >= 0.80


def test_national_levers_below_baseline_more_often_than_not(runs):
    assert share(runs, "sampled", "baseline", "national_levers", 2035) > 0.5


def test_national_levers_below_baseline_without_induced_referrals(runs):
    assert share(runs, "elasticity 0", "baseline", "national_levers", 2035) > 0.5
