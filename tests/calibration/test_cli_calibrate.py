"""``sdmodels calibrate`` end to end on the logistic example."""

from __future__ import annotations

import xarray as xr
from typer.testing import CliRunner

from sdmodels.cli import app
from .conftest import HERE

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_calibrate_optimize_writes_file_and_figure(tmp_path):
    out = tmp_path / "post.nc"
    result = invoke("calibrate", "--spec", str(HERE / "logistic.toml"), "--method", "optimize",
                    "--seed", "0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "U^C" in result.output and "Growth Rate" in result.output
    ds = xr.load_dataset(out)
    assert ds.attrs["method"] == "optimize" and ds.attrs["seed"] == 0
    assert (tmp_path / "post.png").stat().st_size > 1000


def test_calibrate_mcmc_short_run_warns(tmp_path):
    out = tmp_path / "post.nc"
    result = invoke("calibrate", str(HERE / "logistic.mdl"), "--spec", str(HERE / "logistic.toml"),
                    "--method", "mcmc", "--walkers", "8", "--steps", "30", "--seed", "1",
                    "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    assert "not converged" in result.output
    assert xr.load_dataset(out).sizes["draw"] == 8 * 15


def test_calibrate_errors_are_clean(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((HERE / "logistic.toml").read_text().replace('"Harvest"]', '"Harvst"]')
                   .replace('model = "logistic.mdl"', f'model = "{(HERE / "logistic.mdl").as_posix()}"')
                   .replace('data = "logistic_data.csv"',
                            f'data = "{(HERE / "logistic_data.csv").as_posix()}"'))
    result = invoke("calibrate", "--spec", str(bad), "--out", str(tmp_path / "p.nc"))
    assert result.exit_code == 2 and "Harvst" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "p.nc").exists()
    result = invoke("calibrate", "--spec", str(HERE / "logistic.toml"), "--method", "annealing")
    assert result.exit_code == 2 and "--method" in result.output
    result = invoke("calibrate", "--spec", str(HERE / "logistic.toml"), "--method", "mcmc",
                    "--walkers", "3", "--out", str(tmp_path / "p.nc"))
    assert result.exit_code == 2 and "walkers" in result.output
    result = invoke("calibrate", "--spec", str(HERE / "logistic.toml"),
                    "--out", str(tmp_path / "missing" / "p.nc"))
    assert result.exit_code == 2 and "does not exist" in result.output
