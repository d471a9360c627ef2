"""``sdmodels rerun FILE``: a run is repeated exactly from what its result file records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
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


MODELS = Path(__file__).parent / "uncertainty" / "models"
STAFF = [str(MODELS / "staff.mdl"), "--uncertainty", str(MODELS / "staff.toml")]


@pytest.mark.parametrize("args", [
    ("sobol", "--n", "16", "--seed", "3"),
    ("morris", "--trajectories", "6", "--seed", "3"),
])
def test_sensitivity_results_are_repeated_exactly(tmp_path, args):
    out = tmp_path / f"{args[0]}.nc"
    result = invoke(*args[:1], *STAFF, *args[1:], "--no-plot", "--years", "2026,2030",
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    result = invoke("rerun", str(out), "--model", str(MODELS / "staff.mdl"),
                    "--out", str(tmp_path / "again.nc"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    again = xr.load_dataset(tmp_path / "again.nc")
    first = xr.load_dataset(out)
    index = "S1" if args[0] == "sobol" else "mu_star"
    xr.testing.assert_equal(first[index], again[index])
    assert first["time"].values.tolist() == [2026.0, 2030.0]
    # another seed gives other numbers: the comparison can fail
    first.attrs["seed"] = 4
    first.to_netcdf(tmp_path / "reseeded.nc")
    result = invoke("rerun", str(tmp_path / "reseeded.nc"), "--model", str(MODELS / "staff.mdl"))
    assert result.exit_code == 1 and "NOT repeated exactly" in result.output


def test_monte_carlo_with_shared_params_is_repeated_exactly(tmp_path):
    m = sdmodels.load_model(MODELS / "staff.mdl")
    spec = sdmodels.load_uncertainty(MODELS / "staff.toml", m)
    name = next(p for p in m.parameters if p not in spec.names)
    value = m.parameters[name].value * 1.1
    ds = sdmodels.run_mc(m, spec, n=16, seed=2, params={name: value}, years=[2026, 2030])
    out = tmp_path / "mc.nc"
    sdmodels.write_dataset(ds, out)
    assert f'"{name}"' in xr.open_dataset(out).attrs["params"]
    result = invoke("rerun", str(out), "--model", str(MODELS / "staff.mdl"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output


@pytest.mark.parametrize("sampled", [False, True])
def test_attribution_is_repeated_exactly(tmp_path, sampled):
    shutil.copytree(Path(__file__).parent / "analysis" / "models", tmp_path, dirs_exist_ok=True)
    out = tmp_path / "attr.nc"
    extra = ["--n", "8", "--uncertainty", str(tmp_path / "uncertainty.toml"), "--seed", "1"] \
        if sampled else []
    result = invoke("attribute", "all_levers", "--model", str(tmp_path / "levers.mdl"),
                    "-o", "Triple Output", "--no-plot", "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    result = invoke("rerun", str(out), "--out", str(tmp_path / "again.nc"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    xr.testing.assert_equal(xr.load_dataset(out)["shapley"],
                            xr.load_dataset(tmp_path / "again.nc")["shapley"])


def test_results_rerun_cannot_repeat_are_refused_clearly(tmp_path):
    out = tmp_path / "cal.nc"
    xr.Dataset(attrs={"model_file": "decay.mdl", "calibration_sha256": "0" * 64}).to_netcdf(out)
    shutil.copy(DATA / "decay.mdl", tmp_path / "decay.mdl")
    result = invoke("rerun", str(out))
    assert result.exit_code == 2
    assert "does not record its calibration file's text" in " ".join(result.output.split())
    xr.Dataset(attrs={"model_file": "decay.mdl"}).to_netcdf(tmp_path / "plain.nc")
    result = invoke("rerun", str(tmp_path / "plain.nc"))
    assert result.exit_code == 2 and "does not record the scenarios" in " ".join(result.output.split())
