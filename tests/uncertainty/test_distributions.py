"""Distributions: argument validation, inverse CDFs, supports, round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sdmodels.uncertainty import (
    DISTRIBUTIONS,
    PERT,
    Beta,
    DiscreteChoice,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    UncertaintyError,
    Uniform,
    distribution_from_dict,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e3)
unit = st.floats(min_value=0.0, max_value=1.0)

GRID = (np.arange(20_000) + 0.5) / 20_000  # midpoints: integrals over u become means


def examples():
    return [
        Uniform(min=-1.0, max=3.0),
        Triangular(min=0.09, mode=0.115, max=0.125),
        Normal(mean=2.0, sd=0.5),
        TruncatedNormal(mean=0.5, sd=0.2, min=0.3, max=1.0),
        LogNormal(mu=0.0, sigma=0.5),
        Beta(alpha=2.0, beta=5.0, min=1.0, max=3.0),
        PERT(min=1.0, mode=2.0, max=6.0),
        DiscreteChoice(values=(1.0, 2.0, 5.0), weights=(0.2, 0.5, 0.3)),
    ]


@pytest.mark.parametrize("dist", examples(), ids=lambda d: d.kind)
def test_ppf_is_monotone_and_within_support(dist):
    values = dist.ppf(GRID)
    lo, hi = dist.support
    assert np.all(np.diff(values) >= 0)
    assert values.min() >= lo and values.max() <= hi
    assert np.all(np.isfinite(dist.ppf([0.0, 1.0])))


# End points that rounding in the inverse CDF once put one ulp outside the support; a Morris
# grid samples u = 0 and u = 1 exactly, and a model's declared range refuses such a value.
EDGE_CASES = [
    Triangular(min=0.3, mode=0.6, max=0.9),
    Triangular(min=0.1, mode=0.7, max=0.7),
    PERT(min=0.3, mode=0.6, max=0.9),
    Beta(alpha=4.0, beta=3.0, min=0.3, max=0.75),
    Uniform(min=0.1, max=0.7),
    TruncatedNormal(mean=0.6, sd=0.2, min=0.3, max=0.9),
]


@pytest.mark.parametrize("dist", [*examples(), *EDGE_CASES], ids=lambda d: d.kind)
def test_end_points_map_inside_the_support(dist):
    lo, hi = dist.support
    first, last = dist.ppf(np.array([0.0, 1.0]))
    assert lo <= first <= last <= hi
    if math.isfinite(lo) and math.isfinite(hi) and dist.kind != "choice":
        assert first == lo and last == hi


@pytest.mark.parametrize("dist", examples(), ids=lambda d: d.kind)
def test_round_trip_through_a_table(dist):
    assert distribution_from_dict(dist.to_dict()) == dist


def test_every_kind_has_an_example():
    assert {d.kind for d in examples()} == set(DISTRIBUTIONS)


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Uniform(min=-1.0, max=3.0), 1.0),
        (Triangular(min=0.0, mode=3.0, max=6.0), 3.0),
        (Triangular(min=0.09, mode=0.115, max=0.125), (0.09 + 0.115 + 0.125) / 3),
        (Normal(mean=2.0, sd=0.5), 2.0),
        (LogNormal(mu=0.1, sigma=0.5), math.exp(0.1 + 0.125)),
        (Beta(alpha=2.0, beta=5.0, min=1.0, max=3.0), 1.0 + 2.0 * 2.0 / 7.0),
        (PERT(min=1.0, mode=2.0, max=6.0), (1.0 + 4 * 2.0 + 6.0) / 6.0),
        (DiscreteChoice(values=(1.0, 2.0, 5.0), weights=(2.0, 5.0, 3.0)), 0.2 + 1.0 + 1.5),
        (TruncatedNormal(mean=0.0, sd=1.0, min=0.0, max=50.0), math.sqrt(2 / math.pi)),
    ],
    ids=lambda x: getattr(x, "kind", ""),
)
def test_means_match_closed_forms(dist, mean):
    # The mean of ppf over a fine grid of u is the distribution's mean.
    assert dist.ppf(GRID).mean() == pytest.approx(mean, rel=2e-3, abs=1e-4)


def test_triangular_and_pert_match_scipy():
    u = np.linspace(0.01, 0.99, 9)
    tri = Triangular(min=1.0, mode=2.0, max=5.0)
    np.testing.assert_allclose(tri.ppf(u), stats.triang.ppf(u, 0.25, loc=1.0, scale=4.0))
    pert = PERT(min=0.0, mode=1.0, max=4.0)
    np.testing.assert_allclose(pert.ppf(u), stats.beta.ppf(u, 2.0, 4.0, scale=4.0))


def test_discrete_choice_frequencies_follow_weights():
    d = DiscreteChoice(values=(10.0, 20.0, 30.0), weights=(1.0, 0.0, 3.0))
    draws = d.ppf(GRID)
    assert set(np.unique(draws)) == {10.0, 30.0}
    assert np.mean(draws == 30.0) == pytest.approx(0.75, abs=1e-3)
    equal = DiscreteChoice(values=(1.0, 2.0))
    assert np.mean(equal.ppf(GRID) == 1.0) == pytest.approx(0.5, abs=1e-3)


@settings(deadline=None)  # timing varies with the machine's load
@given(lo=finite, width=st.floats(min_value=1e-3, max_value=1e6), u=unit)
def test_uniform_valid_arguments(lo, width, u):
    d = Uniform(min=lo, max=lo + width)
    assert d.support[0] <= float(d.ppf(u)) <= d.support[1]


@settings(deadline=None)  # timing varies with the machine's load
@given(a=finite, b=finite)
def test_uniform_rejects_empty_interval(a, b):
    lo, hi = max(a, b), min(a, b)
    with pytest.raises(UncertaintyError, match="min .* must be smaller than max"):
        Uniform(min=lo, max=hi)


@settings(deadline=None)  # timing varies with the machine's load
@given(lo=finite, width=st.floats(min_value=1e-3, max_value=1e3),
       where=st.floats(min_value=0.0, max_value=1.0), u=unit)
def test_triangular_and_pert_accept_mode_inside(lo, width, where, u):
    mode = min(lo + where * width, lo + width)
    for cls in (Triangular, PERT):
        d = cls(min=lo, mode=mode, max=lo + width)
        v = float(d.ppf(u))
        assert lo - 1e-9 * abs(lo) - 1e-12 <= v <= lo + width + 1e-9 * abs(lo + width) + 1e-12


@settings(deadline=None)  # timing varies with the machine's load
@given(lo=finite, width=st.floats(min_value=1e-3, max_value=1e3),
       outside=st.floats(min_value=1e-2, max_value=1e3), above=st.booleans())
def test_triangular_and_pert_reject_mode_outside(lo, width, outside, above):
    mode = lo + width + outside if above else lo - outside
    for cls in (Triangular, PERT):
        with pytest.raises(UncertaintyError, match="mode .* must lie between"):
            cls(min=lo, mode=mode, max=lo + width)


@settings(deadline=None)  # timing varies with the machine's load
@given(sd=st.floats(max_value=0.0, allow_nan=False, allow_infinity=False), mean=finite)
def test_spread_must_be_positive(sd, mean):
    with pytest.raises(UncertaintyError, match="must be greater than 0"):
        Normal(mean=mean, sd=sd)
    with pytest.raises(UncertaintyError, match="must be greater than 0"):
        LogNormal(mu=mean, sigma=sd)
    with pytest.raises(UncertaintyError, match="must be greater than 0"):
        Beta(alpha=1.0, beta=sd)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.1", True, None, [0.1]])
def test_arguments_must_be_finite_numbers(bad):
    with pytest.raises(UncertaintyError, match="argument 'min'"):
        Uniform(min=bad, max=1.0)


def test_truncated_normal_far_in_the_tail_is_refused():
    with pytest.raises(UncertaintyError, match="too far in the tail"):
        TruncatedNormal(mean=0.0, sd=1.0, min=50.0, max=60.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": []}, "at least one value"),
        ({"values": [1.0, 2.0], "weights": [1.0]}, "one weight per value"),
        ({"values": [1.0, 2.0], "weights": [1.0, -1.0]}, "non-negative"),
        ({"values": [1.0, 2.0], "weights": [0.0, 0.0]}, "positive sum"),
        ({"values": "1,2"}, "list of numbers"),
    ],
)
def test_discrete_choice_validation(kwargs, message):
    with pytest.raises(UncertaintyError, match=message):
        DiscreteChoice(**kwargs)


def test_ppf_refuses_samples_outside_the_unit_interval():
    with pytest.raises(UncertaintyError, match=r"must lie in \[0, 1\]"):
        Uniform(min=0.0, max=1.0).ppf([0.5, 1.5])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"min": 0.0, "max": 1.0}, "no 'dist' key"),
        ({"dist": "gamma", "min": 0.0}, "unknown distribution 'gamma'"),
        ({"dist": "uniform", "min": 0.0}, "missing argument.*'max'"),
        ({"dist": "uniform", "min": 0.0, "max": 1.0, "mode": 0.5}, "unexpected argument.*'mode'"),
        ({"dist": "triangular", "min": 0.0, "mode": "x", "max": 1.0}, "'mode' must be a number"),
    ],
)
def test_tables_are_validated(table, message):
    with pytest.raises(UncertaintyError, match=message):
        distribution_from_dict(table)


@pytest.mark.parametrize("alias", ["Truncated Normal", "truncated-normal", "truncnorm"])
def test_kind_aliases(alias):
    d = distribution_from_dict({"dist": alias, "mean": 0.0, "sd": 1.0, "min": -1.0, "max": 1.0})
    assert isinstance(d, TruncatedNormal)


@settings(max_examples=50, deadline=None)
@given(values=st.lists(finite, min_size=1, max_size=6),
       weights=st.one_of(st.none(), st.lists(positive, min_size=6, max_size=6)))
def test_discrete_choice_round_trip(values, weights):
    w = None if weights is None else weights[: len(values)]
    d = DiscreteChoice(values=values, weights=w)
    assert distribution_from_dict(d.to_dict()) == d
    assert set(d.ppf(GRID[::100]).tolist()) <= set(values)
