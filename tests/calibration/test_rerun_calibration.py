"""``sdmodels rerun`` repeats a calibration or history result from what the file records alone.

The calibration file, the scenario and the data files are deleted after the fit: the result keeps
them whole (with their checksums), with the method's settings, the seed and the model's
fingerprint.
"""

from __future__ import annotations

import json
import shutil

import pytest
import xarray as xr
from typer.testing import CliRunner

from sdmodels.calibration import run_history
from sdmodels.cli import app
from sdmodels.results import write_dataset
from .conftest import HERE

pytestmark = pytest.mark.filterwarnings("ignore::sdmodels.calibration.CalibrationWarning")
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def case(tmp_path):
    """The logistic calibration in its own folder, starting from a scenario file."""
    for name in ("logistic.mdl", "logistic_data.csv"):
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / "harvest.toml").write_text(
        'description = "More harvested"\n[parameters]\n"Harvest Share" = 0.25\n')
    text = (HERE / "logistic.toml").read_text().replace(
        'data = "logistic_data.csv"', 'data = "logistic_data.csv"\nscenario = "harvest.toml"')
    (tmp_path / "cal.toml").write_text(text)
    return tmp_path


def _calibrate(case, *options: str, keep: bool = False):
    out = case / "fit.nc"
    result = invoke("calibrate", "--spec", str(case / "cal.toml"), "--seed", "3", "--no-plot",
                    "--out", str(out), *options)
    assert result.exit_code == 0, result.output
    for name in () if keep else ("cal.toml", "harvest.toml", "logistic_data.csv"):
        (case / name).unlink()  # rerun needs none of them
    return out


def test_an_optimisation_is_repeated_exactly_without_its_files(case):
    out = _calibrate(case, "--method", "optimize", "--popsize", "8", "--maxiter", "40")
    ds = xr.load_dataset(out)
    recorded = json.loads(ds.attrs["scenarios"])
    assert recorded["harvest"]["parameters"] == {"Harvest Share": 0.25}
    assert [f["name"] for f in json.loads(ds.attrs["data_files"])] == ["logistic_data.csv"]
    assert json.loads(ds.attrs["settings"])["popsize"] == 8
    result = invoke("rerun", str(out), "--out", str(case / "again.nc"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    again = xr.load_dataset(case / "again.nc")
    xr.testing.assert_equal(ds["posterior"], again["posterior"])
    assert again.attrs["calibration_sha256"] == ds.attrs["calibration_sha256"]
    assert again.attrs["data_sha256"] == ds.attrs["data_sha256"]
    # the scenario counts: without it (Harvest Share 0.2) the fit of Harvest differs
    assert float(ds["simulated"].sel(series="Harvest").max()) == pytest.approx(
        0.25 * float(ds["simulated"].sel(series="Population").max()), rel=1e-6)


def test_an_mcmc_run_and_its_history_are_repeated_exactly(case):
    out = _calibrate(case, "--method", "mcmc", "--walkers", "8", "--steps", "40", "--burn", "10",
                     "--thin", "2")
    result = invoke("rerun", str(out))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    result = invoke("rerun", str(out), "--history", "--out", str(case / "history.nc"))
    assert result.exit_code == 0, result.output
    assert "repeated exactly" in result.output
    history = xr.load_dataset(case / "history.nc")
    xr.testing.assert_equal(history["band"], xr.load_dataset(out)["band"])
    # a stored fit the draws do not give is found out
    edited = xr.load_dataset(out)
    edited["simulated"] = edited["simulated"] * 1.001
    write_dataset(edited, case / "edited.nc")
    result = invoke("rerun", str(case / "edited.nc"), "--history")
    assert result.exit_code == 1 and "NOT repeated exactly" in result.output


def test_a_history_result_is_repeated_with_its_posterior(case):
    out = _calibrate(case, "--method", "mcmc", "--walkers", "8", "--steps", "20", keep=True)
    for name, posterior in (("defaults.nc", None), ("from_posterior.nc", out)):
        write_dataset(run_history(case / "cal.toml", posterior=posterior, seed=5), case / name)
    for name in ("cal.toml", "harvest.toml", "logistic_data.csv"):
        (case / name).unlink()
    for name in ("defaults.nc", "from_posterior.nc"):
        result = invoke("rerun", str(case / name))
        assert result.exit_code == 0, result.output
        assert "repeated exactly" in result.output
    out.rename(case / "moved.nc")
    result = invoke("rerun", str(case / "from_posterior.nc"))
    assert result.exit_code == 2 and "cannot find the posterior 'fit.nc'" in result.output


def test_an_edited_result_or_an_old_one_is_refused_clearly(case):
    out = _calibrate(case, "--method", "optimize", "--popsize", "8", "--maxiter", "5")
    ds = xr.load_dataset(out)
    files = json.loads(ds.attrs["data_files"])
    files[0]["text"] = files[0]["text"].replace("1", "2", 1)
    ds.attrs["data_files"] = json.dumps(files)
    write_dataset(ds, case / "edited.nc")
    result = invoke("rerun", str(case / "edited.nc"))
    assert result.exit_code == 2
    assert "does not match its recorded SHA-256" in " ".join(result.output.split())
    del ds.attrs["data_files"]
    write_dataset(ds, case / "old.nc")
    result = invoke("rerun", str(case / "old.nc"))
    assert result.exit_code == 2 and "does not record its data files" in " ".join(result.output.split())


def test_a_model_edited_only_in_its_documentation_still_reruns(case):
    out = _calibrate(case, "--method", "optimize", "--popsize", "8", "--maxiter", "5")
    model = case / "logistic.mdl"
    model.write_text(model.read_text().replace("Population at INITIAL TIME.", "Edited."))
    result = invoke("rerun", str(out))
    assert result.exit_code == 0, result.output
    model.write_text(model.read_text().replace("Person [1,500]", "Person [1,600]"))
    result = invoke("rerun", str(out))
    assert result.exit_code == 2 and "is not the model that made" in " ".join(result.output.split())
