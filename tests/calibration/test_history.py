"""History mode: simulated against observed with the model's defaults or a posterior."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from sdmodels.calibration import CalibrationError, calibrate, run_history
from sdmodels.cli import app
from .conftest import HERE, write_case

pytestmark = pytest.mark.filterwarnings("ignore::sdmodels.calibration.CalibrationWarning")


def test_history_with_defaults_runs_the_model_defaults(logistic):
    ds = run_history(HERE / "logistic.toml")
    assert ds.attrs["method"] == "defaults" and ds.attrs["parameters_from"] == "model defaults"
    run = logistic.run()
    np.testing.assert_allclose(ds["trajectory"].sel(series="Population").values,
                               run["population"].values, rtol=1e-10)
    obs = ds["observed"].sel(series="Population")
    assert int(obs.notnull().sum()) == 31


def test_history_with_a_posterior_uses_its_best_draw_and_bands(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=3)
    post = calibrate(path, method="mcmc", seed=1, walkers=8, steps=60, out=tmp_path / "p.nc")
    ds = run_history(path, posterior=tmp_path / "p.nc")
    np.testing.assert_allclose(ds["best"].values, post["best"].values)
    band = ds["trajectory_band"].sel(series="Population")
    assert (band.sel(quantile=0.95) >= band.sel(quantile=0.05)).all()
    assert ds.attrs["parameters_from"] == "p.nc"  # the file by name: no local folders
    (tmp_path / "other").mkdir()
    other = write_case(tmp_path / "other", truth_run, seed=3,
                       priors='[parameters."Growth Rate"]\ndist = "uniform"\nmin = 0.1\nmax = 0.9\n')
    with pytest.raises(CalibrationError, match="not those of the calibration file"):
        run_history(other, posterior=tmp_path / "p.nc")


def test_history_command_writes_results_and_a_chart_per_series(tmp_path):
    out = tmp_path / "h.nc"
    result = CliRunner().invoke(app, ["history", "--spec", str(HERE / "logistic.toml"),
                                      "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "U^C" in result.output
    assert xr.load_dataset(out)["observed"].sizes["series"] == 2
    assert {p.name for p in tmp_path.glob("*.png")} == {"h.png", "h_population.png", "h_harvest.png"}


def test_run_history_is_the_history_command_for_the_model_s_calibration(tmp_path, truth_run):
    import shutil

    from .conftest import LOGISTIC

    model_file = tmp_path / "logistic.mdl"
    shutil.copy(LOGISTIC, model_file)
    spec = write_case(tmp_path, truth_run, seed=2)
    spec.write_text(spec.read_text().replace(LOGISTIC.as_posix(), model_file.as_posix()))
    (tmp_path / "logistic.sdmodels.toml").write_text('calibration = "cal.toml"\n')
    outs = {}
    for name, args in (("run", ["run", str(model_file), "--history"]),
                       ("history", ["history", str(model_file)])):
        out = tmp_path / f"{name}.nc"
        result = CliRunner().invoke(app, [*args, "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "U^C" in result.output and "model defaults" in result.output
        outs[name] = xr.load_dataset(out)
    xr.testing.assert_allclose(outs["run"]["simulated"], outs["history"]["simulated"])
    assert (tmp_path / "run_population.png").is_file()
    # a model without a calibration file says how to give one
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(LOGISTIC, bare / "logistic.mdl")
    result = CliRunner().invoke(app, ["run", str(bare / "logistic.mdl"), "--history"])
    assert result.exit_code == 2 and "--spec" in result.output
