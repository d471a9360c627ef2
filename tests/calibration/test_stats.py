"""Fit statistics against a hand-computed example (Sterman 1984's definitions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdmodels.calibration import fit_statistics


def test_theil_decomposition_hand_computed():
    # observed A = 1 2 3 4, simulated S = 2 2 4 5; errors 1 0 1 1, MSE = 3/4
    # means 3.25 and 2.5: U^M = 0.75^2 / 0.75 = 0.75
    # sd (divisor n): s_S = sqrt(6.75/4) = 1.299038, s_A = sqrt(5/4) = 1.118034
    # U^S = (1.299038 - 1.118034)^2 / 0.75 = 0.043684
    # covariance 5.5/4 = 1.375, r = 1.375 / (1.299038 * 1.118034) = 0.946729
    # U^C = 2 (1 - r) s_S s_A / MSE = 0.206316; R^2 = r^2 = 0.896296
    # MAPE = (1 + 0 + 1/3 + 1/4) / 4 = 0.395833; Theil's U = sqrt(0.75) / (3.5 + sqrt(7.5)) = 0.138817
    s = fit_statistics([2.0, 2.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0])
    assert s.n == 4
    assert s.um == pytest.approx(0.75, abs=1e-12)
    assert s.us == pytest.approx(0.043684, abs=1e-6)
    assert s.uc == pytest.approx(0.206316, abs=1e-6)
    assert s.r2 == pytest.approx(0.896296, abs=1e-6)
    assert s.mape == pytest.approx(0.395833, abs=1e-6)
    assert s.rmse == pytest.approx(math.sqrt(0.75))
    assert s.theil_u == pytest.approx(0.138817, abs=1e-6)
    assert s.bias == pytest.approx(0.75)


def test_perfect_fit_and_pure_bias():
    obs = np.array([1.0, 3.0, 2.0, 5.0])
    perfect = fit_statistics(obs, obs)
    assert perfect.rmse == 0 and perfect.theil_u == 0 and perfect.r2 == pytest.approx(1.0)
    assert math.isnan(perfect.um)  # no error to decompose
    shifted = fit_statistics(obs + 2.0, obs)
    assert shifted.um == pytest.approx(1.0) and shifted.us == pytest.approx(0.0, abs=1e-12)
    assert shifted.uc == pytest.approx(0.0, abs=1e-12)


def test_gaps_are_dropped():
    s = fit_statistics([2.0, np.nan, 4.0, 5.0, 9.0], [1.0, 2.0, 3.0, 4.0, np.nan])
    assert s.n == 3


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=3, max_size=20))
def test_shares_sum_to_one(pairs):
    sim, obs = np.array(pairs).T
    s = fit_statistics(sim, obs)
    if np.mean((sim - obs) ** 2) > 1e-6 and np.std(sim) > 1e-3 and np.std(obs) > 1e-3:
        assert s.um + s.us + s.uc == pytest.approx(1.0, abs=1e-6)
        assert min(s.um, s.us, s.uc) >= -1e-9
