"""``sdmodels mc``, ``sobol`` and ``morris`` through typer's runner."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from sdmodels.cli import app

from .conftest import TEST_MODELS, UNCERTAINTY_DIR

runner = CliRunner()
STAFF = str(TEST_MODELS / "staff.mdl")
STAFF_SPEC = str(TEST_MODELS / "staff.toml")


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_mc_writes_samples_table_and_fan_charts(tmp_path):
    out, png = tmp_path / "mc.nc", tmp_path / "fan.png"
    result = invoke("mc", STAFF, "-u", STAFF_SPEC, "--n", "64", "--seed", "0", "--out", str(out),
                    "--plot", str(png), "-o", "Staff", "-o", "Staff Vacancies",
                    "--years", "2027,2030")
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert ds["staff"].dims == ("scenario", "sample", "time")
    assert ds["scenario"].values.tolist() == ["baseline", "retention"]
    assert ds.attrs["seed"] == 0 and ds.attrs["sampler"] == "lhs"
    assert ds["design"].sizes == {"sample": 64, "parameter": 3}
    text = " ".join(result.output.split())
    assert "P(better) = share of samples in which the scenario beats baseline" in text
    assert "Staff (people)" in text and "Staff Vacancies (people)" in text
    # Retention keeps more staff in every sample: P(better) is 1 in the last column.
    assert re.search(r"│ retention │ 2027 │[^\n]*│\s+100% │", result.output)
    for name in ("fan_staff.png", "fan_staff_vacancies.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_mc_quantiles_only_and_seed_zero_reproducible(tmp_path):
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    for path in (a, b):
        result = invoke("mc", STAFF, "-u", STAFF_SPEC, "--n", "32", "--seed", "0", "--out",
                        str(path), "--quantiles-only", "-s", "baseline", "-s", "retention",
                        "--no-plot", "--method", "sobol")
        assert result.exit_code == 0, result.output
    da, db = xr.load_dataset(a), xr.load_dataset(b)
    assert da["staff"].dims == ("scenario", "quantile", "time")
    np.testing.assert_array_equal(da["staff"].values, db["staff"].values)
    assert da.attrs["sampler"] == "sobol"


def test_sobol_command(tmp_path):
    out, png = tmp_path / "si.nc", tmp_path / "si.png"
    result = invoke("sobol", str(TEST_MODELS.parent.parent.parent / "models" / "tests" /
                                 "ishigami.mdl"),
                    "-u", str(UNCERTAINTY_DIR / "ishigami.toml"), "--n", "256", "-o", "Y",
                    "--seed", "0", "--out", str(out), "--plot", str(png), "--second-order")
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert ds["ST"].dims == ("output", "parameter", "time")
    assert ds.attrs["seed"] == 0 and ds.attrs["n_runs"] == 256 * 8
    assert ds["S2"].dims == ("output", "parameter", "parameter_2", "time")
    assert "ranked by ST" in result.output
    # Ishigami's only interaction is between X1 and X3: it heads the S2 table.
    pairs = result.output.split("strongest interactions (S2)")[1]
    assert pairs.index("X1 x X3") < pairs.index("X1 x X2")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "si_over_time.png").read_bytes()[:4] == b"\x89PNG"


def test_morris_command(tmp_path):
    out = tmp_path / "mo.nc"
    result = invoke("morris", STAFF, "-u", STAFF_SPEC, "-r", "8", "--seed", "0", "-o", "Staff",
                    "--year", "2030", "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert ds["mu_star"].dims == ("output", "parameter", "time")
    assert "ranked by mu_star" in result.output and "2030" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sobol", STAFF, "-u", STAFF_SPEC, "--n", "100"], "power of 2"),
        (["mc", STAFF, "-u", STAFF_SPEC, "--n", "8", "-o", "Staf"], "did you mean"),
        (["mc", STAFF, "-u", "missing.toml", "--n", "8"], "does not exist"),
        (["mc", STAFF, "--n", "8"], "pass --uncertainty"),
        (["mc", STAFF, "-u", STAFF_SPEC, "--engine", "fast"], "--engine must be"),
    ],
)
def test_errors_are_reported_cleanly(tmp_path, args, message):
    out = tmp_path / "x.nc"
    result = invoke(*args, "--out", str(out), "--no-plot")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def _ctrl_c_in_second_chunk(monkeypatch) -> dict[str, int]:
    """Make the second chunk of the next run raise KeyboardInterrupt, as Ctrl-C would."""
    from sdmodels.batch._task import BatchTask

    calls = {"n": 0}
    real = BatchTask.__call__

    def interrupted_chunk(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the first chunk ran, the user presses Ctrl-C in the second
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BatchTask, "__call__", interrupted_chunk)
    return calls


def test_ctrl_c_leaves_no_file_for_sobol(tmp_path, monkeypatch):
    calls = _ctrl_c_in_second_chunk(monkeypatch)
    out = tmp_path / "partial.nc"
    result = invoke("sobol", STAFF, "-u", STAFF_SPEC, "--n", "512", "--seed", "0", "--out",
                    str(out), "--no-plot")
    assert calls["n"] == 2
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_mc_ctrl_c_keeps_finished_runs_and_resumes(tmp_path, monkeypatch, suffix):
    args = ("mc", STAFF, "-u", STAFF_SPEC, "--n", "2048", "--no-plot")
    engine = "zarr" if suffix == ".zarr" else "netcdf4"
    calls = _ctrl_c_in_second_chunk(monkeypatch)
    out = tmp_path / f"partial{suffix}"
    parts = tmp_path / f"partial{suffix}.parts"
    result = invoke(*args, "--out", str(out))  # no seed: the resumed run must reuse the drawn one
    assert calls["n"] == 2 and result.exit_code == 130
    text = " ".join(result.output.split())
    assert "no result file was written" in text and "--resume" in text
    assert not out.exists() and parts.is_dir()

    monkeypatch.undo()
    resumed = invoke(*args, "--out", str(out), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert out.exists() and not parts.exists()
    with xr.open_dataset(out, engine=engine) as got:
        # the final file holds results only: no resume bookkeeping
        assert "complete" not in got.attrs and "chunk_done" not in got.variables
        fresh = tmp_path / f"fresh{suffix}"  # what an uninterrupted run with that seed gives
        again = invoke(*args, "--seed", str(got.attrs["seed"]), "--out", str(fresh))
        assert again.exit_code == 0, again.output
        with xr.open_dataset(fresh, engine=engine) as want:
            keep = ["staff", "design", "prob_better"]
            xr.testing.assert_equal(got[keep], want[keep])


def test_mc_full_disk_is_reported_with_how_to_resume(tmp_path, monkeypatch):
    import errno

    from sdmodels.batch._store import ResultStore

    real = ResultStore.write
    calls = {"n": 0}

    def disk_fills(self, i, arrays):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return real(self, i, arrays)

    monkeypatch.setattr(ResultStore, "write", disk_fills)
    out = tmp_path / "mc.nc"
    result = invoke("mc", STAFF, "-u", STAFF_SPEC, "--n", "2048", "--seed", "0", "--out",
                    str(out), "--no-plot")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "No space left on device" in text and "no result file was written" in text
    assert "mc.nc.parts" in text and "--resume" in text
    assert not out.exists()
    monkeypatch.undo()
    resumed = invoke("mc", STAFF, "-u", STAFF_SPEC, "--n", "2048", "--seed", "0", "--out",
                     str(out), "--no-plot", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc.nc"]
