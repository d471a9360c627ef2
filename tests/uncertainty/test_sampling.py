"""Seeds, unit samplers, correlation validation and Iman–Conover."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sdmodels.uncertainty import (
    UncertaintyError,
    iman_conover,
    resolve_seed,
    unit_sample,
    validate_correlation,
)


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_same_seed_same_sample_including_zero(method):
    for seed in (0, 7):
        a = unit_sample(64, 3, method=method, rng=resolve_seed(seed)[0])
        b = unit_sample(64, 3, method=method, rng=resolve_seed(seed)[0])
        np.testing.assert_array_equal(a, b)
    zero = unit_sample(64, 3, method=method, rng=resolve_seed(0)[0])
    one = unit_sample(64, 3, method=method, rng=resolve_seed(1)[0])
    assert not np.allclose(zero, one)


def test_seed_zero_is_recorded_and_none_draws_a_reproducible_seed():
    assert resolve_seed(0)[1] == 0
    rng, drawn = resolve_seed(None)
    assert isinstance(drawn, int)
    again = resolve_seed(drawn)[0]
    np.testing.assert_array_equal(rng.random(5), again.random(5))
    gen = np.random.default_rng(3)
    assert resolve_seed(gen) == (gen, None)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seeds(bad):
    with pytest.raises(UncertaintyError, match="seed"):
        resolve_seed(bad)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=1, max_value=300), d=st.integers(min_value=1, max_value=6),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_latin_hypercube_is_stratified(n, d, seed):
    u = unit_sample(n, d, method="lhs", rng=resolve_seed(seed)[0])
    assert u.shape == (n, d)
    strata = np.floor(u * n).astype(int)
    for j in range(d):
        assert sorted(strata[:, j].tolist()) == list(range(n))


def test_random_sample_is_not_stratified():
    # The stratification test above must be able to fail: plain random draws are not stratified.
    u = unit_sample(200, 2, method="random", rng=resolve_seed(0)[0])
    assert sorted(np.floor(u[:, 0] * 200).astype(int).tolist()) != list(range(200))


def test_sobol_needs_a_power_of_two():
    with pytest.raises(UncertaintyError, match="power of 2.*n=512 or n=1024"):
        unit_sample(1000, 2, method="sobol", rng=resolve_seed(0)[0])
    u = unit_sample(1024, 2, method="sobol", rng=resolve_seed(0)[0])
    # Balanced: every one of 1024 strata of each coordinate holds exactly one point.
    assert sorted(np.floor(u[:, 1] * 1024).astype(int).tolist()) == list(range(1024))


@pytest.mark.parametrize(("n", "method"), [(0, "lhs"), (-3, "random"), (4, "halton")])
def test_bad_sizes_and_methods(n, method):
    with pytest.raises(UncertaintyError):
        unit_sample(n, 2, method=method, rng=resolve_seed(0)[0])


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1.0, 0.5], [0.4, 1.0]], "not symmetric"),
        ([[1.0, 0.5], [0.5, 0.9]], "with itself must be 1"),
        ([[1.0, 1.5], [1.5, 1.0]], r"must lie in \[-1, 1\]"),
        ([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]], "not positive definite"),
        ([[1.0, 0.5]], "square"),
    ],
)
def test_correlation_validation(matrix, message):
    with pytest.raises(UncertaintyError, match=message):
        validate_correlation(matrix, names=("a", "b", "c")[: len(matrix[0])])


def test_iman_conover_reaches_the_target_and_keeps_the_marginals():
    target = np.array([[1.0, 0.7, -0.3], [0.7, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    rng = resolve_seed(0)[0]
    u = unit_sample(2000, 3, method="lhs", rng=rng)
    out = iman_conover(u, target, rng=rng)
    rho = stats.spearmanr(out).statistic
    np.testing.assert_allclose(rho, target, atol=0.05)
    for j in range(3):  # each column is a permutation of the input column
        np.testing.assert_array_equal(np.sort(out[:, j]), np.sort(u[:, j]))
    before = stats.spearmanr(u).statistic
    assert abs(before[0, 1]) < 0.1  # the correlation was not there to begin with


def test_iman_conover_needs_enough_samples():
    with pytest.raises(UncertaintyError, match="at least 5 samples"):
        iman_conover(np.random.default_rng(0).random((4, 3)), np.eye(3), rng=resolve_seed(0)[0])
