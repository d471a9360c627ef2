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
    check_model,
    model_fingerprint,
    open_posterior,
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
    # the file's name and checksum, never a local folder (result files travel)
    assert calibrated.attrs["posterior_file"] == path.name
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


_SKETCH = (
    "\\\\\\---/// Sketch information - do not modify anything except names\n"
    "V300  Do not put anything below this section - it will be ignored\n*View 1\n"
    "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0\n"
    "10,1,Population,300,200,40,20,3,3,0,0,0,0,0,0\n///---\\\\\\\n"
)


def _declared_copy(fitted, folder: Path, text: str) -> sdmodels.Model:
    """A copy of the fitted model with ``text`` as its file and the same posterior declared."""
    _, path = fitted
    (folder / "logistic.mdl").write_text(text)
    shutil.copy(path, folder / "post.nc")
    (folder / "logistic.sdmodels.toml").write_text(
        'calibration = "cal.toml"\nposterior = "post.nc"\n')
    return sdmodels.load_model(folder / "logistic.mdl")


def test_documentation_group_comments_sketch_and_order_keep_the_posterior(fitted, tmp_path):
    model, _ = fitted
    text = model.path.read_text()
    edited = (text.replace("The time step for the simulation.", "The time step (edited).")
              .replace("Person [1,500]\n\t~\tPopulation at INITIAL TIME.",
                       "Person [1,500]\n\t~\tThe population when the run starts.")
              .replace("Simulation Control Parameters", "Simulation control (a group comment)")
              .replace("Carrying Capacity=\n\t1000", "Carrying Capacity =\n\t1e3"))
    # the Harvest element moved to the end of the model section, and a sketch added
    harvest = edited[edited.index("Harvest=\n"):edited.index("*****")]
    edited = edited.replace(harvest, "").replace("FINAL TIME  = 30", harvest + "FINAL TIME  = 30")
    edited = edited.rstrip() + "\n\n" + _SKETCH
    other = _declared_copy(fitted, tmp_path, edited)
    assert other.hash != model.hash and "edited" in other.variables["time_step"].doc
    assert model_fingerprint(other) == model_fingerprint(model)
    point = posterior_point(other, "default")  # not stale
    assert point.values == posterior_point(model, "default").values
    assert default_posterior(other, missing="raise") == tmp_path / "post.nc"


@pytest.mark.parametrize(("old", "new", "what"), [
    ("\t0.4\n", "\t0.41\n", "a constant"),
    ("Harvest Share * Population", "Harvest Share * Population * 1.0001", "an equation"),
    ("Person [100,5000]", "Person [100,6000]", "a declared range"),
    ("~\tDmnl [0,1]", "~\t1/Year [0,1]", "a unit"),
    ("TIME STEP  = 0.125", "TIME STEP  = 0.0625", "the time step"),
])
def test_a_changed_model_makes_the_posterior_stale_with_the_refit_command(
        fitted, tmp_path, old, new, what):
    model, _ = fitted
    text = model.path.read_text()
    assert old in text, what
    other = _declared_copy(fitted, tmp_path, text.replace(old, new, 1))
    assert model_fingerprint(other) != model_fingerprint(model), what
    with pytest.raises(StalePosteriorError,
                       match="equations, constants, units or ranges differ") as caught:
        other.run(posterior="default")
    assert ("cal.toml --method mcmc --walkers 8 --steps 60 --burn 30 --thin 1 --init optimum "
            "--moves stretch --seed 1 --out") in str(caught.value)
    with pytest.warns(sdmodels.calibration.CalibrationWarning, match="own parameter values"):
        assert default_posterior(other) is None
    with pytest.raises(CalibrationError, match="re-fit it with `sdmodels calibrate"):
        default_posterior(other, missing="raise")


def test_a_posterior_without_a_fingerprint_is_compared_by_the_file_checksum(fitted, tmp_path):
    model, path = fitted
    legacy = xr.load_dataset(path)
    del legacy.attrs["model_fingerprint"]
    legacy.attrs["posterior_file"] = "old.nc"
    check_model(legacy, model)                          # same file: valid
    other = _declared_copy(fitted, tmp_path, model.path.read_text().replace(
        "The time step for the simulation.", "The time step (edited)."))
    with pytest.raises(StalePosteriorError, match="SHA-256"):
        check_model(legacy, other)


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
    post = open_posterior(declared)
    try:
        check_model(post, model)
    except StalePosteriorError as exc:
        pytest.fail(f"{exc} (ten to twenty minutes on a shared 2-core machine), and commit the "
                    "new file")
    spec = load_calibration(model.metadata.calibration)
    assert post.attrs["calibration_sha256"] == spec.text_sha256, (
        f"the calibration file changed since the fit: re-fit with `{refit_command(model)}`")
    assert post.attrs["data_sha256"] == spec.data_sha256, (
        f"the data changed since the fit: re-fit with `{refit_command(model)}`")
    assert post.attrs["method"] == "mcmc"
    assert MODELS_DIR in declared.resolve().parents


def test_shipped_posterior_keeps_the_2024_baseline_out_of_the_burnout_loop():
    """Out of sample: the RTT list was about flat in 2024-25 (7.5 million), so a posterior fitted to
    2010-2024 must not send 2024's state into collapse. The posterior before the beds and the 2010
    emergency admissions came from the data gave productivity 0.80 and a list of 22.3 million by
    2030, morale at its floor (0.30) by 2040; the model's own values give 1.03 and 10.4 million at
    2030, 1.09 and 12.8 million at 2040. The bounds are the prior run's 2030 list plus a fifth, and no
    fall of productivity or morale by more than a tenth of their 2024 values (1.0 and 0.69)."""
    model = sdmodels.load_model()
    run = model.run("baseline", posterior="default", years=[2030, 2040],
                    outputs=["Productivity Index", "Waiting List", "Staff Morale"])
    productivity = run["productivity_index"].values.ravel()
    waiting = run["waiting_list"].values.ravel()
    morale = run["staff_morale"].values.ravel()
    assert (productivity > 0.9).all(), productivity
    assert waiting[0] < 1.2 * 10.45e6, waiting
    assert (morale > 0.9 * 0.69).all(), morale
