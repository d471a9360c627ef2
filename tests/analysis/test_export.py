"""Files people open: .xlsx, .csv and .parquet results of run, mc, sobol, morris and attribute."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from openpyxl import load_workbook
from typer.testing import CliRunner

import sdmodels
from sdmodels._paths import MODELS_DIR
from sdmodels.cli import app
from sdmodels.errors import ResultWriteError, SDModelsError
from sdmodels.export import metadata_rows, wide_tables, write_table


@pytest.fixture(scope="module")
def runs(decay_model) -> xr.Dataset:
    return decay_model.run(["baseline", "refill"])


def _sheet(path: Path, name: str) -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


def test_xlsx_has_a_wide_sheet_per_output_and_a_metadata_sheet(runs, tmp_path):
    path = sdmodels.write_dataset(runs, tmp_path / "r.xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[-1] == "metadata" and "Stock" in wb.sheetnames
    rows = _sheet(path, "Stock")
    assert rows[0] == ("Stock (Person)",)
    assert rows[1][0] == "scenario" and rows[1][1:] == tuple(range(2024, 2041))
    assert rows[2][0] == "baseline" and rows[3][0] == "refill"
    np.testing.assert_allclose(rows[3][1:], runs["stock"].sel(scenario="refill").values)
    meta = {r[0]: r[1] for r in _sheet(path, "metadata") if r and r[0] and len(r) > 1}
    assert meta["model_sha256"] == runs.attrs["model_sha256"]
    assert meta["engine"] == runs.attrs["engine"] and "sdmodels_version" in meta
    levers = [r[1] for r in _sheet(path, "metadata") if r and r[0] == "scenario refill lever"]
    assert levers == ["Inflow Size = 20 from 2030"]
    units = [r for r in _sheet(path, "metadata") if r and r[:2] == ("Stock", "stock")]
    assert units[0][3] == "Person" and "draining" in units[0][4]


def test_text_that_looks_like_a_formula_stays_text(runs, tmp_path):
    ds = runs.copy()
    ds["stock"].attrs = {**ds["stock"].attrs, "name": "=HYPERLINK(\"http://x\")",
                         "doc": "=1+1"}
    ds.attrs["title"] = "@SUM(A1:A2)"
    path = write_table(ds, tmp_path / "f.xlsx")
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith(("=", "@")):
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
    text = write_table(ds, tmp_path / "f.csv").read_text()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_csv_and_parquet_round_trip(runs, tmp_path):
    csv = sdmodels.write_dataset(runs, tmp_path / "r.csv")
    head = [line for line in csv.read_text().splitlines() if line.startswith("#")]
    assert f"# model_sha256: {runs.attrs['model_sha256']}" in head
    frame = pd.read_csv(csv, comment="#")
    assert list(frame.columns[:4]) == ["output", "name", "units", "scenario"]
    stock = frame[(frame.output == "stock") & (frame.scenario == "refill")]
    np.testing.assert_allclose(stock.iloc[0, 4:].astype(float),
                               runs["stock"].sel(scenario="refill").values, rtol=1e-12)
    pq = sdmodels.write_dataset(runs, tmp_path / "r.parquet")
    tidy = pd.read_parquet(pq)
    assert list(tidy.columns) == ["output", "name", "units", "scenario", "time", "value"]
    one = tidy[(tidy.output == "stock") & (tidy.scenario == "refill")].sort_values("time")
    np.testing.assert_allclose(one["value"], runs["stock"].sel(scenario="refill").values)
    import pyarrow.parquet as pqm

    meta = json.loads(pqm.read_schema(pq).metadata[b"sdmodels"])
    assert meta["model_sha256"] == runs.attrs["model_sha256"]


def test_monte_carlo_is_written_as_quantiles(levers_model, levers_spec, tmp_path):
    ds = sdmodels.run_mc(levers_model, levers_spec, n=64, scenarios=["baseline", "all_levers"],
                         seed=1, outputs=["Risky Productivity", "Scaled Output"])
    path = sdmodels.write_dataset(ds, tmp_path / "mc.xlsx")
    rows = _sheet(path, "Risky Productivity")
    assert rows[1][:2] == ("scenario", "quantile")
    labels = [(r[0], r[1]) for r in rows[2:]]
    assert labels[:5] == [("baseline", q) for q in ("p5", "p25", "p50", "p75", "p95")]
    q = ds["risky_productivity"].sel(scenario="all_levers").quantile(0.95, dim="sample")
    row = next(r for r in rows if r[:2] == ("all_levers", "p95"))
    np.testing.assert_allclose(row[2:], q.values)
    assert "P(better)" in load_workbook(path, read_only=True).sheetnames
    meta = {r[0]: r[1] for r in _sheet(path, "metadata") if r and len(r) > 1}
    assert meta["seed"] == "1" and meta["n_samples"] == "64" and meta["sampler"] == "lhs"


def test_sensitivity_and_attribution_tables(levers_model, tmp_path):
    ishigami = sdmodels.load_model(MODELS_DIR / "tests" / "ishigami.mdl")
    spec = sdmodels.load_uncertainty(MODELS_DIR / "uncertainty" / "ishigami.toml", ishigami)
    sob = sdmodels.sobol(ishigami, spec, n=64, seed=0, num_resamples=10, outputs=["Y"])
    tables = wide_tables(sob)
    _key, _, _, frame = tables[0]
    assert set(frame["quantity"]) >= {"S1", "ST", "S1_conf", "ST_conf"}
    assert set(frame["parameter"]) == {p.name for p in spec.parameters}
    mor = sdmodels.morris(ishigami, spec, trajectories=8, seed=0, outputs=["Y"])
    assert "mu_star" in set(wide_tables(mor)[0][3]["quantity"])
    att = sdmodels.attribute(levers_model, scenario="all_levers", outputs=["Interaction Output"])
    path = sdmodels.write_dataset(att, tmp_path / "a.xlsx")
    rows = _sheet(path, "Interaction Output")
    assert rows[1][:2] == ("quantity", "factor")
    shapley = {r[1]: r[-1] for r in rows[2:] if r[0] == "shapley"}
    assert shapley == {"Lever A": 2.0, "Lever B": 1.0, "Lever C": 0.0, "Scale": 0.0}
    meta = [r[0] for r in _sheet(path, "metadata") if r]
    assert "against" in meta and "shapley_method" in meta


def test_cli_commands_accept_table_outputs(tmp_path, decay_path, levers_path):
    runner = CliRunner()
    r = runner.invoke(app, ["run", str(decay_path), "--out", str(tmp_path / "r.xlsx"),
                            "--no-plot"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "Stock" in load_workbook(tmp_path / "r.xlsx", read_only=True).sheetnames
    r = runner.invoke(app, ["mc", str(levers_path), "-u", str(levers_path.parent / "uncertainty.toml"),
                            "--n", "32", "--seed", "0", "-o", "Scaled Output",
                            "--out", str(tmp_path / "mc.csv"), "--no-plot"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(tmp_path / "mc.csv", comment="#")
    assert {"p5", "p95"} <= set(frame["quantile"].dropna())
    assert not list(tmp_path.glob("*.parts")) and not list(tmp_path.glob(".*"))
    r = runner.invoke(app, ["attribute", "all_levers", "--model", str(levers_path),
                            "--out", str(tmp_path / "a.parquet"), "--no-plot",
                            "-o", "Triple Output"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert set(pd.read_parquet(tmp_path / "a.parquet")["quantity"]) >= {"shapley", "total"}
    bad = runner.invoke(app, ["run", str(decay_path), "--out", str(tmp_path / "no" / "r.xlsx")])
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())


def test_a_failed_write_keeps_the_earlier_file(runs, tmp_path, monkeypatch):
    path = sdmodels.write_dataset(runs, tmp_path / "r.xlsx")
    before = path.read_bytes()
    from sdmodels import export

    def broken(ds, tables, tmp):
        Path(tmp).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_xlsx", broken)
    with pytest.raises(OSError):
        sdmodels.write_dataset(runs, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


def test_table_exports_are_not_read_back_as_results(runs, tmp_path):
    path = sdmodels.write_dataset(runs, tmp_path / "r.csv")
    with pytest.raises(SDModelsError, match="table export"):
        sdmodels.open_dataset(path)
    with pytest.raises(ResultWriteError, match="no values over time"):
        write_table(xr.Dataset({"x": ("a", [1.0])}), tmp_path / "x.csv")


def test_metadata_rows_list_every_scenario_lever(runs):
    rows = metadata_rows(runs)
    assert ("scenario refill parameter", "Residence Time = 4") in rows


def test_docstring_examples():
    import doctest

    from sdmodels import export

    result = doctest.testmod(export, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
