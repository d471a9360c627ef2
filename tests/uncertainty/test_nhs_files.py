"""The uncertainty files shipped for the NHS productivity model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sdmodels
from sdmodels.sensitivity import morris_design, sobol_design
from sdmodels.uncertainty import load_uncertainty

from .conftest import UNCERTAINTY_DIR


@pytest.fixture(scope="module")
def nhs():
    return sdmodels.load_model()


def test_default_file_is_valid_and_documented(nhs):
    spec = load_uncertainty(UNCERTAINTY_DIR / "nhs_productivity.toml", nhs)
    assert len(spec) >= 15
    assert spec.correlation is None  # usable by Sobol and Morris as it is
    for p in spec.parameters:
        assert len(p.source) > 10, p.name
        lo, hi = p.distribution.support
        info = nhs.parameters[p.py_name]
        assert info.min <= lo < hi <= info.max
    sectors = {nhs.parameters[p.py_name].sector for p in spec.parameters}
    assert len(sectors) >= 5
    assert len({p.distribution.kind for p in spec.parameters}) >= 6


def test_correlated_workforce_file(nhs):
    spec = load_uncertainty(UNCERTAINTY_DIR / "nhs_workforce_correlated.toml", nhs)
    design = spec.sample(1000, seed=0)
    rho = stats.spearmanr(design.values).statistic
    np.testing.assert_allclose(rho, spec.correlation, atol=0.06)


@pytest.mark.parametrize("kind", ["morris", "sobol"])
def test_designs_of_the_default_file_stay_in_the_declared_ranges(nhs, kind):
    # Morris grids sample the ends of each range exactly; every value must pass the model's own
    # range check, or `sdmodels morris` refuses the shipped file before running anything.
    spec = load_uncertainty(UNCERTAINTY_DIR / "nhs_productivity.toml", nhs)
    if kind == "morris":
        design = morris_design(spec, 4, seed=1)[0]
    else:
        design = sobol_design(spec, 8, seed=1)[0]
    for p in spec.parameters:
        values = design.sel(parameter=p.py_name).values
        info = nhs.parameters[p.py_name]
        assert info.min <= values.min() and values.max() <= info.max, p.name
