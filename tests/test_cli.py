"""The command line, driven through typer's runner."""

from __future__ import annotations

import xarray as xr
from typer.testing import CliRunner

from sdmodels.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "scenarios", "params"):
        assert command in result.output


def test_run_writes_results_summary_and_chart(tmp_path, decay_path):
    out, png = tmp_path / "r.nc", tmp_path / "r.png"
    result = invoke("run", str(decay_path), "--engine", "pysd", "--out", str(out),
                    "--plot", str(png), "--years", "2024,2040")
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert ds["stock"].dims == ("scenario", "time")
    assert ds["scenario"].values.tolist() == ["baseline", "refill"]
    assert ds.attrs["model_file"] == "decay.mdl" and ds["stock"].attrs["units"] == "Person"
    assert "Stock" in result.output and "2040" in result.output
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_run_one_scenario_and_defaults_without_scenario_files(tmp_path, decay_copy):
    (decay_copy.parent / "scenarios" / "refill.toml").unlink()
    (decay_copy.parent / "scenarios" / "baseline.toml").unlink()
    out = tmp_path / "d.nc"
    result = invoke("run", str(decay_copy), "--engine", "pysd", "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    assert xr.load_dataset(out)["scenario"].values.tolist() == ["default"]


def test_unwritable_output_fails_before_running(tmp_path, decay_path, monkeypatch):
    import sdmodels.engine

    def boom(*a, **k):
        raise AssertionError("the simulation must not start")

    monkeypatch.setattr(sdmodels.engine, "run_scenarios", boom)
    result = invoke("run", str(decay_path), "--out", str(tmp_path / "missing" / "r.nc"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_full_disk_is_a_clear_error_and_keeps_the_earlier_result(tmp_path, decay_path,
                                                                 monkeypatch):
    import errno

    out = tmp_path / "r.nc"
    assert invoke("run", str(decay_path), "--out", str(out), "--no-plot").exit_code == 0
    before = out.read_bytes()

    def disk_full(self, target, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", disk_full)
    result = invoke("run", str(decay_path), "--out", str(out), "--no-plot")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "No space left on device" in text and "no result file was written" in text
    assert "Traceback" not in result.output
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


def test_unknown_scenario_is_a_clear_error(tmp_path, decay_path):
    result = invoke("run", str(decay_path), "--scenario", "refil", "--out", str(tmp_path / "r.nc"),
                    "--engine", "pysd")
    assert result.exit_code == 2
    assert "did you mean 'refill'" in result.output
    assert not (tmp_path / "r.nc").exists()


def test_scenarios_and_params_commands(decay_path):
    result = invoke("scenarios", str(decay_path))
    assert result.exit_code == 0
    assert "refill" in result.output and "Inflow Size = 20 from 2030" in result.output
    result = invoke("params", str(decay_path), "--search", "residence")
    assert result.exit_code == 0
    assert "Residence Time" in result.output and "[1, 20]" in result.output
    assert "1 of 4 parameters" in result.output


def test_years_outside_the_horizon_fail_before_running(tmp_path, decay_path):
    result = invoke("run", str(decay_path), "--engine", "pysd", "--years", "2030,2050",
                    "--out", str(tmp_path / "r.nc"), "--no-plot")
    assert result.exit_code == 2
    assert "2050 outside the model's horizon [2024, 2040]" in result.output
    assert not (tmp_path / "r.nc").exists()
