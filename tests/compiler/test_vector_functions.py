"""SUM, PROD, VMIN, VMAX and XMILE's one-argument MIN/MAX: hand-checked answers in the compiled engine.

PySD reduces arrays with xarray, which skips NaN: a missing cell counts as 0 in SUM and 1 in PROD and
is ignored by VMIN and VMAX wherever it sits (NaN only when every cell is missing). The equivalence
tests (``test_equivalence.py``) compare the same models with PySD at every saved time.
"""

from __future__ import annotations

import numpy as np

from .conftest import TEST_MODELS_DIR


def test_vector_functions_skip_nan(compiled) -> None:
    out = compiled(TEST_MODELS_DIR / "vector_nan.mdl").run({}, 1)
    t = np.array([0.0, 1.0, 2.0])
    np.testing.assert_array_equal(out["total"][0], 4 * (1 + t))
    np.testing.assert_array_equal(out["product"][0], 3 * (1 + t) ** 2)
    np.testing.assert_array_equal(out["lowest"][0], 1 + t)
    np.testing.assert_array_equal(out["highest"][0], 3 * (1 + t))
    np.testing.assert_array_equal(out["total_of_nothing"][0], 0.0)
    np.testing.assert_array_equal(out["product_of_nothing"][0], 1.0)
    assert np.isnan(out["lowest_of_nothing"]).all()
    assert np.isnan(out["highest_of_nothing"]).all()


def test_xmile_one_argument_min_max(compiled) -> None:
    out = compiled(TEST_MODELS_DIR / "xmile_array_min_max.xmile").run({}, 1)
    t = np.arange(5.0)
    np.testing.assert_array_equal(out["lowest_demand"][0], 2 + t)
    np.testing.assert_array_equal(out["highest_demand"][0], 7 + t)
    np.testing.assert_array_equal(out["spread"][0], 5.0)
