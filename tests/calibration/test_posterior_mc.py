"""The posterior into Monte Carlo: designs whose rows are joint posterior draws."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.calibration import CalibrationError, calibrate, posterior_design
from sdmodels.uncertainty import UncertaintySpec, Uniform
from tests.calibration.conftest import write_case

pytestmark = pytest.mark.filterwarnings("ignore::sdmodels.calibration.CalibrationWarning")


@pytest.fixture(scope="module")
def posterior_file(tmp_path_factory, truth_run):
    folder = tmp_path_factory.mktemp("post")
    path = write_case(folder, truth_run, seed=4)
    calibrate(path, method="mcmc", seed=2, walkers=8, steps=80, out=folder / "post.nc")
    return folder / "post.nc"


def test_design_rows_are_posterior_draws(posterior_file, logistic):
    import xarray as xr

    design = posterior_design(posterior_file, 200, seed=5, model=logistic)
    stored = xr.load_dataset(posterior_file)["posterior"].values
    rows = design["posterior_draw"].values
    np.testing.assert_array_equal(design.sel(parameter=["growth_rate", "carrying_capacity"]).values,
                                  stored[rows])
    assert design.attrs["posterior_sha256"] and design.attrs["sampler"] == "posterior"
    # joint rows keep the correlation of the draws
    r_design = np.corrcoef(design.values.T)[0, 1]
    r_post = np.corrcoef(stored.T)[0, 1]
    assert abs(r_design - r_post) < 0.2


def test_other_uncertain_parameters_come_from_the_uncertainty_design(posterior_file, logistic):
    spec = UncertaintySpec.from_dict(
        {"parameters": {"Harvest Share": Uniform(min=0.1, max=0.3),
                        "Growth Rate": Uniform(min=0.1, max=0.9)}}, logistic)
    base = spec.sample(50, seed=1)
    design = posterior_design(posterior_file, 50, seed=1, design=base, model=logistic)
    assert list(design["parameter"].values) == ["growth_rate", "carrying_capacity", "harvest_share"]
    np.testing.assert_array_equal(design.sel(parameter="harvest_share").values,
                                  base.sel(parameter="harvest_share").values)
    # the posterior wins over the uncertainty file where both give a parameter
    assert not np.array_equal(design.sel(parameter="growth_rate").values,
                              base.sel(parameter="growth_rate").values)
    assert design.attrs["sampler"].startswith("posterior + ")


def test_posterior_of_another_model_is_refused(posterior_file, decay_model):
    with pytest.raises(CalibrationError, match="another version"):
        posterior_design(posterior_file, 10, seed=0, model=decay_model)
