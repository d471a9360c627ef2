"""``model_data`` in a calibration file: the values of the model's data variables without an
equation, read beside the calibration file (the model cannot run without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sdmodels
from sdmodels.calibration import CalibrationError, calibrate, load_calibration

MODEL = """{UTF-8}
demand :INTERPOLATE:
	~	widgets/Month	~	Orders a month, from the data file.
	|

fill rate = 0.5
	~	1/Month [0.05,2]	~	Share of the backlog shipped a month.
	|

shipments = fill rate * backlog
	~	widgets/Month	~	|

backlog = INTEG(demand - shipments, 10)
	~	widgets	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 10 ~ Month ~ |
TIME STEP = 0.125 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""

INPUTS = "Time,demand\n0,4\n5,8\n10,8\n"


def case(folder: Path, model_data: str | None = '"inputs/demand.csv"') -> Path:
    (folder / "model").mkdir()
    (folder / "model" / "backlog.mdl").write_text(MODEL, encoding="utf-8")
    (folder / "inputs").mkdir()
    (folder / "inputs" / "demand.csv").write_text(INPUTS, encoding="utf-8")
    truth = sdmodels.load_model(folder / "model" / "backlog.mdl",
                                data_files=[folder / "inputs" / "demand.csv"])
    ds = truth.run(params={"fill rate": 0.8})
    backlog = ds["backlog"].squeeze().to_series()
    rows = "\n".join(f"{t:g},{v!r}" for t, v in backlog.items())
    (folder / "obs.csv").write_text("time,backlog\n" + rows + "\n", encoding="utf-8")
    line = f"model_data = {model_data}\n" if model_data else ""
    spec = folder / "fit.toml"
    spec.write_text(
        'model = "model/backlog.mdl"\n' + line + 'data = "obs.csv"\n'
        '[series."backlog"]\nerror = "normal"\nscale = 0.1\n'
        '[parameters."fill rate"]\ndist = "uniform"\nmin = 0.1\nmax = 1.5\n',
        encoding="utf-8",
    )
    return spec


def test_model_data_feeds_the_fit(tmp_path, monkeypatch):
    spec = case(tmp_path)
    monkeypatch.chdir(tmp_path / "model")  # found beside the calibration file, not the cwd
    loaded = load_calibration(spec)
    assert [f.name for f in loaded.model.data_files] == ["demand.csv"]
    fit = calibrate(spec, method="optimize", seed=3)
    assert float(fit.posterior.sel(parameter="fill rate").values.ravel()[0]) == pytest.approx(
        0.8, rel=1e-3)


def test_a_model_given_loaded_takes_the_files_data(tmp_path):
    spec = case(tmp_path)
    bare = sdmodels.load_model(tmp_path / "model" / "backlog.mdl")
    assert load_calibration(spec, model=bare).model.data_files


def test_missing_model_data_file_is_named(tmp_path):
    spec = case(tmp_path, model_data='["inputs/demand.csv", "inputs/nope.tab"]')
    with pytest.raises(CalibrationError, match=r"model_data file 'inputs/nope.tab' not found"):
        load_calibration(spec)


def test_bad_model_data_value(tmp_path):
    spec = case(tmp_path, model_data="3")
    with pytest.raises(CalibrationError, match="model_data' must be a file name"):
        load_calibration(spec)


def test_without_model_data_the_data_variable_is_named(tmp_path):
    spec = case(tmp_path, model_data=None)
    with pytest.raises(sdmodels.SDModelsError, match="demand"):
        calibrate(spec, method="optimize", seed=3)


def test_the_fingerprint_follows_the_data_files_content(tmp_path):
    """A posterior fitted with one data file is stale for the model run with other data."""
    from sdmodels.posterior import model_fingerprint

    case(tmp_path)
    path = tmp_path / "model" / "backlog.mdl"
    data = tmp_path / "inputs" / "demand.csv"
    bare = model_fingerprint(sdmodels.load_model(path))
    first = model_fingerprint(sdmodels.load_model(path, data_files=[data]))
    data.write_text(INPUTS.replace("8\n", "9\n"), encoding="utf-8")
    second = model_fingerprint(sdmodels.load_model(path, data_files=[data]))
    assert len({bare, first, second}) == 3
