"""Calibration files: a bad file is a clear error naming the thing."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.calibration import CalibrationError, load_calibration
from sdmodels.errors import SDModelsError, UnknownNameError
from .conftest import HERE, write_case


def test_shipped_example_loads():
    spec = load_calibration(HERE / "logistic.toml")
    assert spec.parameter_names == ("Growth Rate", "Carrying Capacity", "scale[Harvest]")
    pop = spec.series[0]
    assert pop.name == "Population" and pop.scale == 20.0 and pop.times.size == 31
    assert spec.series[1].estimated and spec.ndim == 3
    assert len(spec.data_sha256) == 64 and len(spec.text_sha256) == 64


def test_unknown_series_is_named(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0,
                      series='[series."Populaton"]\nerror = "normal"\nscale = 1.0\n')
    with pytest.raises(UnknownNameError, match="Populaton") as info:
        load_calibration(path)
    assert "Population" in str(info.value)  # the closest real name


def test_unknown_parameter_is_named(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0,
                      priors='[parameters."Growth Rat"]\ndist = "uniform"\nmin = 0.1\nmax = 0.5\n')
    with pytest.raises(UnknownNameError, match="Growth Rat"):
        load_calibration(path)


def test_prior_outside_declared_range(tmp_path, truth_run):
    # Growth Rate is declared [0.05, 1] in the model file
    path = write_case(tmp_path, truth_run, seed=0,
                      priors='[parameters."Growth Rate"]\ndist = "uniform"\nmin = 0.01\nmax = 0.5\n')
    with pytest.raises(CalibrationError, match=r"Growth Rate.*leaves the range \[0.05, 1\]"):
        load_calibration(path)


def test_series_without_data_in_horizon(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    (tmp_path / "data.csv").write_text("time,Population\n40,1.0\n41,2.0\n")
    with pytest.raises(CalibrationError, match=r"'Population'.*no data inside the fit window 0–30"):
        load_calibration(path)


def test_series_with_only_gaps(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    (tmp_path / "data.csv").write_text("time,Population\n1,\n2,\n")
    with pytest.raises(CalibrationError, match="no data inside the fit window"):
        load_calibration(path)


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ('[series."Population"]\nerror = "gaussian"\nscale = 1.0\n', "unknown error model 'gaussian'"),
        ('[series."Population"]\nerror = "normal"\nscale = -1.0\n', "scale must be greater than 0"),
        ('[series."Population"]\nerror = "normal"\nscale = "guess"\n', 'scale must be a number or "estimate"'),
        ('[series."Population"]\nscale = 1.0\nweight = 0\n', "weight must be greater than 0"),
        ('[series."Population"]\nscale = 1.0\ncolumn = "Pop"\n', "no column 'Pop'"),
        ('[series."Population"]\nscale = 1.0\nerorr = "normal"\n', "unexpected key.*'erorr'"),
        ('[series."Population"]\nscale = 1.0\ntransform = "log"\n', "unknown transform 'log'"),
    ],
)
def test_bad_series_tables(tmp_path, truth_run, series, message):
    path = write_case(tmp_path, truth_run, seed=0, series=series)
    with pytest.raises(CalibrationError, match=message):
        load_calibration(path)


def test_bad_prior_and_file_errors(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0,
                      priors='[parameters."Growth Rate"]\ndist = "uniform"\nmin = 0.5\nmax = 0.1\n')
    with pytest.raises(CalibrationError, match="Growth Rate.*min.*must be smaller"):
        load_calibration(path)
    path = write_case(tmp_path, truth_run, seed=0,
                      priors='[parameters."Growth Rate"]\ndist = "choice"\nvalues = [0.1, 0.2]\n')
    with pytest.raises(CalibrationError, match="discrete"):
        load_calibration(path)
    with pytest.raises(CalibrationError, match="does not exist"):
        load_calibration(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text('model = "x.mdl"\ndata = = 1\n')
    with pytest.raises(CalibrationError, match=r"bad.toml:2: malformed TOML"):
        load_calibration(tmp_path / "bad.toml")
    path = write_case(tmp_path, truth_run, seed=0, extra="end = 50")
    with pytest.raises(CalibrationError, match="fit window 0–50 must lie inside"):
        load_calibration(path)
    path = write_case(tmp_path, truth_run, seed=0, extra="horizon = 3")
    with pytest.raises(CalibrationError, match="unexpected top-level key.*'horizon'"):
        load_calibration(path)


def test_bad_data_files(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    (tmp_path / "data.csv").write_text("year,Population\n1,2\n")
    with pytest.raises(CalibrationError, match="no 'time' column"):
        load_calibration(path)
    (tmp_path / "data.csv").write_text("time,Population\n1,2\n2,many\n")
    with pytest.raises(CalibrationError, match="'Population' row 2 holds 'many'"):
        load_calibration(path)
    (tmp_path / "data.csv").write_text("time,Population\n1,2\n1,3\n")
    with pytest.raises(CalibrationError, match="time 1 appears more than once"):
        load_calibration(path)
    assert issubclass(CalibrationError, SDModelsError)


def test_fit_window_and_growth_transform(tmp_path, truth_run):
    series = '[series."Population"]\nscale = 0.01\ntransform = "growth"\n'
    path = write_case(tmp_path, truth_run, seed=0, series=series, extra="start = 5\nend = 10")
    s = load_calibration(path).series[0]
    assert list(s.times) == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert list(s.previous_times) == [5.0, 6.0, 7.0, 8.0, 9.0]
    assert s.label == "Population (growth)"


def test_several_data_files_and_inputs(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    (tmp_path / "inputs.csv").write_text("time,harvest_share\n5,0.1\n10,0.3\n")
    text = path.read_text().replace('data = "data.csv"', 'data = ["data.csv", "inputs.csv"]')
    text += ('\n[inputs."Harvest Share"]\ncolumn = "harvest_share"\nbefore = 0.2\nafter = 0.25\n')
    path.write_text(text)
    spec = load_calibration(path)
    (item,) = spec.inputs
    assert item.py_name == "harvest_share"
    np.testing.assert_allclose(item.values, [0.2, 0.1, 0.3, 0.25])
    assert item.times[0] < 5 and item.times[-1] > 10


def test_input_errors(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    base = path.read_text()
    path.write_text(base + '\n[inputs."Harvest Share"]\ncolumn = "nope"\n')
    with pytest.raises(CalibrationError, match="input 'Harvest Share': no data column 'nope'"):
        load_calibration(path)
    path.write_text(base + '\n[inputs."Growth Rate"]\ncolumn = "Harvest"\n')
    with pytest.raises(CalibrationError, match="both an input and a calibrated parameter"):
        load_calibration(path)
    (tmp_path / "more.csv").write_text("time,Harvest\n1,2\n")
    path.write_text(base.replace('data = "data.csv"', 'data = ["data.csv", "more.csv"]'))
    with pytest.raises(CalibrationError, match="repeats column.*'Harvest'"):
        load_calibration(path)


def test_mean_rate_since_start_reproduces_the_cumulative_product(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    (tmp_path / "rates.csv").write_text("time,rate\n0.5,0.1\n1.5,0.2\n2.5,-0.05\n")
    text = path.read_text().replace('data = "data.csv"', 'data = ["data.csv", "rates.csv"]')
    path.write_text(text + '\n[inputs."Harvest Share"]\ncolumn = "rate"\nas = "mean_rate_since_start"\n')
    (item,) = load_calibration(path).inputs
    g = dict(zip(item.times, item.values, strict=True))
    assert np.exp(g[3.0] * 3.0) == pytest.approx(1.1 * 1.2 * 0.95)
    assert np.exp(g[1.0] * 1.0) == pytest.approx(1.1)


def test_spec_records_its_own_path(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=0)
    assert load_calibration(path).path == str(path)
