"""sdmodels compare: saved Vensim-style references, PySD output, subscripts, exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import sdmodels
from sdmodels.cli import app
from sdmodels.compare import compare, normalise_name, read_results
from sdmodels.errors import SDModelsError

DATA = Path(__file__).parent / "data"
SUBSCRIPTS_2D = Path(__file__).parents[1] / "compiler" / "models" / "subscripts_2d.mdl"


class _Result:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.output = " ".join(result.output.split())  # rich wraps long lines


def invoke(*args: str) -> _Result:
    return _Result(CliRunner().invoke(app, [str(a) for a in args]))


@pytest.fixture(scope="module")
def decay_nc(tmp_path_factory, decay_model) -> Path:
    path = tmp_path_factory.mktemp("cmp") / "decay.nc"
    sdmodels.write_dataset(decay_model.run(["baseline", "refill"]), path)
    return path


def test_the_model_matches_the_hand_worked_euler_reference(decay_nc):
    result = invoke("compare", decay_nc, DATA / "decay_euler.tab", "--scenario", "baseline")
    assert result.exit_code == 0, result.output
    assert "all within tolerance" in result.output
    c = compare(decay_nc, DATA / "decay_euler.tab", scenarios=["baseline"])
    assert c.ok and set(c.table["variable"]) == {"stock", "outflow", "inflow"}
    # seven significant digits: the differences are at the text file's rounding
    assert c.table["max_rel_diff"].max() < 5e-7
    assert "residence_time" in c.only_in_a and not c.only_in_b


def test_the_exact_solution_differs_from_the_first_step_and_exits_1(decay_nc, tmp_path):
    report = tmp_path / "diff.html"
    result = invoke("compare", decay_nc, DATA / "decay_exact.tab", "-s", "baseline",
                    "--rtol", "1e-3", "--report", report)
    assert result.exit_code == 1, result.output
    c = compare(decay_nc, DATA / "decay_exact.tab", scenarios=["baseline"], rtol=1e-3)
    stock = c.table.set_index("variable").loc["stock"]
    assert not stock.ok and stock.first_outside == 2025.0 and stock.n_outside == 16
    t = np.arange(2024, 2041)
    expected = np.abs(100 * (1 - 1 / 80) ** (16 * (t - 2024)) - 100 * np.exp(-(t - 2024) / 5))
    assert stock.max_abs_diff == pytest.approx(expected.max(), abs=1e-5)  # 7 digits in the file
    assert stock["at_time"] == float(t[np.argmax(expected)])
    text = report.read_text()
    assert "FAIL" in text and "<svg" in text and "Stock" in text
    # loose enough, the same files agree
    assert invoke("compare", decay_nc, DATA / "decay_exact.tab", "-s", "baseline",
                  "--rtol", "0.03").exit_code == 0


def test_pysd_output_either_side_time_running_down(decay_model, decay_nc, tmp_path):
    df = decay_model.pysd.run(params={"Residence Time": 4, "Inflow Size": 20,
                                      "Inflow Size Start Year": 2030})
    csv, tab = tmp_path / "pysd.csv", tmp_path / "pysd.tab"
    df.to_csv(csv)
    df.to_csv(tab, sep="\t")
    for other in (csv, tab):
        c = compare(other, decay_nc, scenarios=["refill"], rtol=1e-9, atol=1e-9)
        assert c.ok, c.table
        assert {"stock", "inflow", "outflow"} <= set(c.table["variable"])
    # against the other scenario the inflow differs from 2030, when the lever starts
    c = compare(csv, decay_nc, scenarios=["baseline"])
    inflow = c.table.set_index("variable").loc["inflow"]
    assert inflow.first_outside == 2030.0
    assert c.table.set_index("variable").loc["stock"].first_outside == 2025.0  # residence time


def test_subscripted_names_map_between_pysd_and_sdmodels(tmp_path):
    model = sdmodels.load_model(SUBSCRIPTS_2D)
    ds = model.run()
    pysd_csv = tmp_path / "sub.csv"
    model.pysd.run().to_csv(pysd_csv)
    c = compare(ds, pysd_csv, rtol=1e-9, atol=1e-12)
    assert c.ok, c.table[~c.table["ok"]]
    rows = c.table[c.table["variable"] == "population"]
    assert sorted(rows["subscript"]) == ["old,female", "old,male", "young,female", "young,male"]
    # a transposed variable matches by its elements
    assert len(c.table[c.table["variable"] == "share_transposed"]) == 4
    back = read_results(pysd_csv)
    assert back["population"].dims == ("dim_0", "dim_1", "time")


def test_vensim_csv_with_quoted_subscripts_and_na(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('Time,2024,2025,2026\n"Staff[Doctors, North]",1,2,3\n'
                    '"Staff[Nurses, North]",4,5,:NA:\nWaiting List,7,8,9\n')
    t = [2024.0, 2025.0, 2026.0]
    ds = xr.Dataset(
        {"staff": (("group", "region", "time"), [[[1, 2, 3]], [[4, 5, 6]]]),
         "waiting_list": ("time", [7.0, 8.0, 9.5])},
        coords={"time": t, "group": ["Doctors", "Nurses"], "region": ["North"]})
    c = compare(path, ds)
    table = c.table.set_index(["variable", "subscript"])
    assert table.loc[("staff", "doctors,north")].ok
    assert not table.loc[("staff", "nurses,north")].ok  # NaN on one side only
    assert table.loc[("waiting_list", "")].first_outside == 2026.0


def test_names_normalise_as_pysd_does():
    assert normalise_name("Waiting List") == normalise_name("waiting_list") == "waiting_list"
    assert normalise_name("  Nurse   Leaver Rate ") == "nurse_leaver_rate"


def test_report_escapes_names_from_files(tmp_path):
    a, b = tmp_path / "a.tab", tmp_path / "b.tab"
    a.write_text("Time\t0\t1\n<script>alert(1)</script>\t1\t2\n")
    b.write_text("Time\t0\t1\n<script>alert(1)</script>\t1\t3\n")
    report = tmp_path / "r.html"
    assert invoke("compare", a, b, "--report", report).exit_code == 1
    text = report.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_inputs_that_cannot_be_compared_are_clear_errors(decay_nc, tmp_path):
    missing = invoke("compare", decay_nc, tmp_path / "nope.nc")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    odd = tmp_path / "x.xyz"
    odd.write_text("1")
    assert "unknown file type" in invoke("compare", decay_nc, odd).output
    several = invoke("compare", decay_nc, DATA / "decay_euler.tab")
    assert several.exit_code == 2 and "--scenario" in several.output
    later = tmp_path / "later.tab"
    later.write_text("Time\t2050\t2051\nStock\t1\t2\n")
    with pytest.raises(SDModelsError, match="no common times"):
        compare(decay_nc, later, scenarios=["baseline"])
    bad = tmp_path / "bad.tab"
    bad.write_text("Time\t2024\t2025\nStock\t1\tabc\n")
    result = invoke("compare", bad, DATA / "decay_euler.tab")
    assert result.exit_code == 2 and "not a number" in result.output
    assert "Traceback" not in result.output


def test_docstring_examples():
    import doctest

    from sdmodels import compare as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
