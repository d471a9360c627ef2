"""``sdmodels rerun FILE``: a run is repeated exactly from what its result file records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import xarray as xr
from typer.testing import CliRunner

import sdmodels
from sdmodels.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "decay"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_scenario_run_with_a_time_series_is_repeated_exactly(tmp_path):
    model = tmp_path / "decay.mdl"
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    m = sdmodels.load_model(model)
    series = pd.Series([3.0, 6.0, 4.0], index=[2024.0, 2032.0, 2040.0])
    ds = m.run(["refill", "baseline"], params={"Residence Time": series})
    out = tmp_path / "r.nc"
    sdmodels.write_dataset(ds, out)
    result = invoke("rerun", str(out), "--out", str(tmp_path / "again.nc"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    xr.testing.assert_equal(xr.load_dataset(out)["stock"],
                            xr.load_dataset(tmp_path / "again.nc")["stock"])
    # without the time series the run differs: the check can fail
    plain = m.run(["refill", "baseline"])
    assert float(abs(plain["stock"] - ds["stock"]).max()) > 0


def test_changed_model_is_refused(tmp_path):
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    model = tmp_path / "decay.mdl"
    out = tmp_path / "r.nc"
    assert invoke("run", str(model), "--no-plot", "--out", str(out)).exit_code == 0
    model.write_text(model.read_text(encoding="utf-8").replace("= 5", "= 6", 1), encoding="utf-8")
    result = invoke("rerun", str(out))
    assert result.exit_code == 2
    assert "is not the model that made r.nc" in " ".join(result.output.split())


def test_monte_carlo_is_repeated_exactly(tmp_path):
    models = Path(__file__).parent / "uncertainty" / "models"
    out = tmp_path / "mc.nc"
    result = invoke("mc", str(models / "staff.mdl"), "--uncertainty", str(models / "staff.toml"),
                    "--n", "32", "--no-plot", "--out", str(out))
    assert result.exit_code == 0, result.output
    result = invoke("rerun", str(out), "--model", str(models / "staff.mdl"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
