"""No result file records the folders of the machine that wrote it.

Every kind of result file is written from a project copied into a temporary folder (passed by
absolute path, from another working folder); no attribute of the file, of its variables or of
its coordinates (nor any cell or line of a table or report) may contain that folder: inputs are
named by file name plus checksum only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import xarray as xr
from typer.testing import CliRunner

from sdmodels.cli import app

TESTS = Path(__file__).resolve().parents[1]


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _texts(path: Path) -> list[str]:
    """Every attribute value of a result file, or every cell or line of a table or report."""
    if path.suffix in (".nc", ".zarr"):
        ds = xr.open_zarr(path) if path.suffix == ".zarr" else xr.load_dataset(path)
        out = [f"{k}={v}" for k, v in ds.attrs.items()]
        for name in list(ds.variables):
            out += [f"{name}.{k}={v}" for k, v in ds[name].attrs.items()]
        return out
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        return [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                for c in row if c is not None]
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture()
def project(tmp_path, monkeypatch):
    root = tmp_path / "my project"
    for src, name in ((TESTS / "data" / "decay", "decay"), (TESTS / "uncertainty" / "models", "staff"),
                      (TESTS / "analysis" / "models", "levers"), (TESTS / "calibration", "logistic")):
        shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "out").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return root


def test_no_result_file_records_local_folders(project):
    p, out = project, project / "out"
    decay, staff = p / "decay" / "decay.mdl", p / "staff" / "staff.mdl"
    unc = p / "staff" / "staff.toml"
    _invoke("run", decay, "--no-plot", "--out", out / "run.nc")
    _invoke("run", decay, "--no-plot", "--out", out / "run.xlsx")
    _invoke("run", decay, "--no-plot", "--out", out / "run.csv")
    _invoke("run", decay, "--no-plot", "--scenario", "baseline", "--out", out / "run2.nc")
    _invoke("compare", out / "run.nc", out / "run2.nc", "--report", out / "compare.html")
    _invoke("mc", staff, "--uncertainty", unc, "--n", "16", "--seed", "1", "--no-plot",
            "--out", out / "mc.nc")
    _invoke("mc", staff, "--uncertainty", unc, "--n", "16", "--seed", "1", "--no-plot",
            "--out", out / "mc.zarr")
    _invoke("sobol", staff, "--uncertainty", unc, "--n", "8", "--seed", "1", "--no-plot",
            "--out", out / "sobol.nc")
    _invoke("morris", staff, "--uncertainty", unc, "--trajectories", "4", "--seed", "1",
            "--no-plot", "--out", out / "morris.nc")
    levers = p / "levers"
    _invoke("attribute", "all_levers", "--model", levers / "levers.mdl", "-o", "Triple Output",
            "--n", "4", "--uncertainty", levers / "uncertainty.toml", "--seed", "1",
            "--no-plot", "--out", out / "attribution.nc")
    _invoke("mc", levers / "levers.mdl", "--uncertainty", levers / "uncertainty.toml",
            "--n", "64", "--seed", "0", "--scenario", "baseline", "--scenario", "all_levers",
            "--output", "Risky Productivity", "--no-plot", "--out", out / "levers_mc.nc")
    _invoke("discover", out / "levers_mc.nc", "--scenario", "all_levers", "--against",
            "baseline", "--output", "Risky Productivity", "--year", "2035",
            "--plot", out / "discover.png")
    logistic = p / "logistic"
    _invoke("calibrate", "--spec", logistic / "logistic.toml", "--method", "optimize",
            "--seed", "0", "--maxiter", "3", "--popsize", "4", "--no-plot",
            "--out", out / "calibration.nc")
    _invoke("history", "--spec", logistic / "logistic.toml", "--posterior",
            out / "calibration.nc", "--no-plot", "--out", out / "history.nc")
    _invoke("mc", logistic / "logistic.mdl", "--posterior", out / "calibration.nc",
            "--n", "8", "--seed", "1", "--no-plot", "--out", out / "posterior_mc.nc")
    _invoke("run", logistic / "logistic.mdl", "--posterior", out / "calibration.nc",
            "--no-plot", "--out", out / "posterior_run.nc")
    written = sorted(f for f in out.iterdir() if f.suffix != ".png")
    assert len(written) == 15, [f.name for f in written]
    folders = {str(p), p.as_posix(), str(p.parent), str(Path.cwd())}
    found = {f.name: [t for t in _texts(f) if any(d in t for d in folders)] for f in written}
    assert not {k: v for k, v in found.items() if v}, found


def test_dashboard_downloads_record_no_local_folders(tmp_path):
    pytest.importorskip("panel")
    import io

    import sdmodels
    from sdmodels.dashboard import DashboardStore, reports

    root = tmp_path / "my project"
    shutil.copytree(TESTS / "dashboard" / "models", root)
    model = sdmodels.load_model(root / "mini_nhs.mdl")
    store = DashboardStore(model, engine="pysd", mc_samples=16, sobol_samples=8)
    ds = model.run(list(model.scenarios)[:2])
    wb = openpyxl.load_workbook(io.BytesIO(reports.excel_bytes(store, ds)), read_only=True)
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    nc = tmp_path / "download.nc"
    nc.write_bytes(reports.netcdf_bytes(ds))
    texts = [reports.html_report(store, ds), *cells, *_texts(nc)]
    assert not [t[:200] for t in texts if str(tmp_path) in t]
