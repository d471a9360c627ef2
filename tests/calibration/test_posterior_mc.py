"""The posterior into Monte Carlo: designs whose rows are joint posterior draws."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.calibration import CalibrationError, calibrate, posterior_design
from sdmodels.uncertainty import UncertaintySpec, Uniform
from .conftest import write_case

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
    with pytest.raises(CalibrationError, match=r"another model \(logistic.mdl, not decay.mdl"):
        posterior_design(posterior_file, 10, seed=0, model=decay_model)


def test_run_mc_with_a_posterior_runs_posterior_draws(posterior_file, logistic):
    import xarray as xr

    from sdmodels import run_mc

    ds = run_mc(logistic, None, n=64, seed=3, outputs=["Population"], posterior=posterior_file)
    stored = xr.load_dataset(posterior_file)["posterior"].values
    rows = ds["design"]["posterior_draw"].values
    np.testing.assert_array_equal(
        ds["design"].sel(parameter=["growth_rate", "carrying_capacity"]).values, stored[rows])
    assert ds.attrs["posterior_file"] == posterior_file.name  # no local folders
    assert len(ds.attrs["posterior_sha256"]) == 64 and ds.attrs["sampler"] == "posterior"
    # each sample really ran its draw: the final population is near its carrying capacity
    final = ds["population"].isel(scenario=0, time=-1).values
    cc = ds["design"].sel(parameter="carrying_capacity").values
    assert np.all(np.abs(final / cc - 1) < 0.05)


def test_mc_command_with_posterior_and_uncertainty_file(posterior_file, tmp_path):
    import xarray as xr
    from typer.testing import CliRunner

    from sdmodels.cli import app
    from .conftest import LOGISTIC

    unc = tmp_path / "unc.toml"
    unc.write_text('[parameters."Harvest Share"]\ndist = "uniform"\nmin = 0.1\nmax = 0.3\n')
    out = tmp_path / "mc.nc"
    result = CliRunner().invoke(app, ["mc", str(LOGISTIC), "--posterior", str(posterior_file),
                                      "--uncertainty", str(unc), "--n", "32", "--seed", "1",
                                      "--out", str(out), "--no-plot", "--years", "10,20",
                                      "--output", "Population"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert set(ds["design"]["parameter"].values) == {"growth_rate", "carrying_capacity",
                                                     "harvest_share"}
    assert ds.attrs["posterior_file"] == posterior_file.name  # no local folders
