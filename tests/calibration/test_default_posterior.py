"""Runs from a posterior: the median point, its place under scenarios, provenance, stale files.

And the shipped NHS posterior belongs to the shipped model: a changed model file turns this red
with the one command that fits it again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sdmodels
from sdmodels._paths import MODELS_DIR
from sdmodels.calibration import CalibrationError, calibrate, default_posterior, load_calibration
from sdmodels.posterior import (
    PosteriorError,
    StalePosteriorError,
    posterior_point,
    refit_command,
)
from .conftest import LOGISTIC, write_case

pytestmark = pytest.mark.filterwarnings("ignore::sdmodels.calibration.CalibrationWarning")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, truth_run):
    """A copy of the logistic model with its own posterior declared in its metadata."""
    folder = tmp_path_factory.mktemp("declared")
    model_file = folder / "logistic.mdl"
    shutil.copy(LOGISTIC, model_file)
    (folder / "logistic.sdmodels.toml").write_text('posterior = "post.nc"\n')
    spec = write_case(folder, truth_run, seed=3)
    spec.write_text(spec.read_text().replace(LOGISTIC.as_posix(), model_file.as_posix()))
    calibrate(spec, method="mcmc", seed=1, walkers=8, steps=60, out=folder / "post.nc")
    return sdmodels.load_model(model_file), folder / "post.nc"


def test_the_point_is_the_median_of_the_draws(fitted):
    model, path = fitted
    point = posterior_point(model, "default")
    draws = xr.load_dataset(path)["posterior"]
    for name, py in (("Growth Rate", "growth_rate"), ("Carrying Capacity", "carrying_capacity")):
        assert point.values[py] == pytest.approx(float(draws.sel(parameter=name).median()))
    assert point.path == path and len(point.sha256) == 64


def test_run_from_the_posterior_uses_it_and_says_so(fitted):
    model, path = fitted
    point = posterior_point(model, path)
    calibrated = model.run(posterior="default", outputs=["Population"])
    by_hand = model.run(params=point.values, outputs=["Population"])
    np.testing.assert_allclose(calibrated["population"].values, by_hand["population"].values)
    assert calibrated.attrs["posterior_file"] == str(path)
    assert calibrated.attrs["posterior_sha256"] == point.sha256
    own = model.run(outputs=["Population"])       # the API's default: the model file's values
    assert "posterior_file" not in own.attrs
    assert not np.allclose(own["population"].values, calibrated["population"].values)


def test_explicit_params_sit_above_the_posterior(fitted):
    model, _ = fitted
    ds = model.run(posterior="default", params={"Growth Rate": 0.3}, outputs=["Growth Rate"])
    assert float(ds["growth_rate"].values[0]) == pytest.approx(0.3)


def test_a_model_without_a_declared_posterior(logistic):
    assert default_posterior(logistic) is None
    with pytest.raises(PosteriorError, match="declares no default posterior"):
        logistic.run(posterior="default")


def test_a_posterior_of_another_model_version_is_refused_with_the_refit_command(fitted, tmp_path):
    model, path = fitted
    changed = tmp_path / "logistic.mdl"
    changed.write_text(model.path.read_text().replace("The time step", "The time step (edited)"))
    shutil.copy(path, tmp_path / "post.nc")
    (tmp_path / "logistic.sdmodels.toml").write_text(
        'calibration = "cal.toml"\nposterior = "post.nc"\n')
    other = sdmodels.load_model(changed)
    assert other.hash != model.hash
    with pytest.raises(StalePosteriorError, match="sdmodels calibrate --spec"):
        other.run(posterior="default")
    with pytest.warns(sdmodels.calibration.CalibrationWarning, match="own parameter values"):
        assert default_posterior(other) is None
    with pytest.raises(CalibrationError, match="another version"):
        default_posterior(other, missing="raise")


def test_mc_draws_from_the_model_s_posterior_by_default_and_prior_leaves_it(fitted, tmp_path):
    from typer.testing import CliRunner

    from sdmodels.cli import app

    model, path = fitted
    folder = model.path.parent / "uncertainty"
    folder.mkdir(exist_ok=True)
    (folder / "logistic.toml").write_text(
        '[parameters."Harvest Share"]\ndist = "uniform"\nmin = 0.1\nmax = 0.3\n')
    results = {}
    for name, extra in (("default", []), ("prior", ["--prior"])):
        out = tmp_path / f"{name}.nc"
        result = CliRunner().invoke(app, ["mc", str(model.path), "-n", "16", "--seed", "1",
                                          "--no-plot", "--out", str(out), *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        results[name] = xr.load_dataset(out)
    calibrated, prior = results["default"], results["prior"]
    assert Path(calibrated.attrs["posterior_file"]).name == path.name
    assert calibrated.attrs["posterior_sha256"] == posterior_point(model, path).sha256
    assert "posterior_file" not in prior.attrs
    stored = xr.load_dataset(path)["posterior"].sel(parameter="Growth Rate").values
    growth = calibrated["design"].sel(parameter="growth_rate").values
    assert np.isin(growth, stored).all()          # every sample is a stored posterior draw
    assert "growth_rate" not in prior["design"]["parameter"].values
    assert {"harvest_share"} <= set(calibrated["design"]["parameter"].values.astype(str))
    result = CliRunner().invoke(app, ["mc", str(model.path), "--prior", "--posterior", str(path)])
    assert result.exit_code == 2 and "not both" in result.output


def test_shipped_posterior_matches_the_shipped_model():
    """The NHS posterior was fitted to this model file, calibration file and data."""
    model = sdmodels.load_model()
    declared = model.metadata.posterior
    assert declared is not None and declared.is_file(), "the model's metadata names no posterior"
    post = xr.load_dataset(declared)
    assert post.attrs["model_sha256"] == model.hash, (
        f"{declared.name} was fitted to another version of {model.path.name}: re-fit it with "
        f"`{refit_command(model)}` (ten to twenty minutes on a shared 2-core machine) and commit the new file"
    )
    spec = load_calibration(model.metadata.calibration)
    assert post.attrs["calibration_sha256"] == spec.text_sha256, (
        f"the calibration file changed since the fit: re-fit with `{refit_command(model)}`")
    assert post.attrs["data_sha256"] == spec.data_sha256, (
        f"the data changed since the fit: re-fit with `{refit_command(model)}`")
    assert post.attrs["method"] == "mcmc"
    assert MODELS_DIR in declared.resolve().parents
