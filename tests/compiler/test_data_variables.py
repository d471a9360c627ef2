"""DATA variables without an equation (``name :INTERPOLATE:``, ``:HOLD BACKWARD:``, ``:LOOK
FORWARD:``, ``:RAW:``): values from the data files given when the model is loaded (PySD's
``data_files``), found relative to the model file; by hand and against PySD. Data variables with
their values in the equation (``name := expression``) are ordinary equations to both engines.

The model and its ``.csv``/``.tab`` files are written into a temporary folder by each test, and the
tests run from another folder, so the files are found only if resolved beside the model file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import sdmodels
from sdmodels.compiler import compile_model
from sdmodels.errors import ModelLoadError

from .conftest import run_both_engines

MODEL = """{UTF-8}
region: north, south
	~	~	|

observed :INTERPOLATE:
	~	widgets	~	Linear between the file's times.
	|

held :HOLD BACKWARD:
	~	widgets	~	The last value at or before each time.
	|

ahead :LOOK FORWARD:
	~	widgets	~	The first value at or after each time.
	|

measured[region] :RAW:
	~	widgets	~	The file's values at its times, NaN in between.
	|

from tab[region] :INTERPOLATE:
	~	widgets	~	Read from the second file (the first does not hold it).
	|

inline := 2 * Time
	~	widgets	~	A data variable with its values in the equation.
	|

total = observed + held + ahead + inline + SUM(from tab[region!])
	~	widgets	~	|

scale = 1
	~	Dmnl	~	|

stock = INTEG(observed * scale, 0)
	~	widgets Month	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 5 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""

CSV = """Time,observed,held,ahead,measured[north],measured[south]
0,1,10,100,5,6
2,3,20,200,7,8
4,4,30,300,9,10
"""

# a Vensim-style .tab export, transposed (a row per variable, a column per time)
TAB = "Time\t0\t4\nfrom tab[north]\t0\t8\nfrom tab[south]\t1\t1\n"

OUTPUTS = ["observed", "held", "ahead", "measured", "from tab", "inline", "total", "stock"]


def write(folder: Path, csv: str = CSV) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "observed.csv").write_text(csv, encoding="utf-8")
    (folder / "data" / "more.tab").write_text(TAB, encoding="utf-8")
    path = folder / "data_variables.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return path


FILES = ["data/observed.csv", "data/more.tab"]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data_variables")
    path = write(folder / "model")
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(elsewhere)  # relative data files are looked for beside the model, not here
        model = sdmodels.load_model(path, data_files=FILES)
        return run_both_engines(model, OUTPUTS)


def test_by_hand(both):
    _, c = both
    t = np.arange(0, 5.25, 0.5)
    np.testing.assert_array_equal(c["time"].values, t)
    # linear between (0, 1), (2, 3), (4, 4); the last value held after 4
    np.testing.assert_allclose(c["observed"].values, np.interp(t, [0, 2, 4], [1, 3, 4]),
                               rtol=1e-15)
    np.testing.assert_array_equal(c["held"].values, [10] * 4 + [20] * 4 + [30] * 3)
    np.testing.assert_array_equal(c["ahead"].values, [100] + [200] * 4 + [300] * 6)
    raw = c["measured"].values
    np.testing.assert_array_equal(raw[[0, 4, 8]], [[5, 6], [7, 8], [9, 10]])
    assert np.isnan(np.delete(raw, [0, 4, 8], axis=0)).all()  # NaN away from the file's times
    np.testing.assert_allclose(c["from_tab"].sel(region="north").values, np.minimum(2 * t, 8),
                               rtol=1e-15)
    np.testing.assert_array_equal(c["from_tab"].sel(region="south").values, 1.0)
    np.testing.assert_array_equal(c["inline"].values, 2 * t)
    # Euler: the stock adds observed * 0.5 at each step
    np.testing.assert_allclose(c["stock"].values[1:], np.cumsum(c["observed"].values[:-1] * 0.5),
                               rtol=1e-14)


@pytest.mark.parametrize("name", [o.replace(" ", "_") for o in OUTPUTS])
def test_equals_pysd(both, name):
    pysd, c = both
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-12, atol=1e-12,
                               equal_nan=True)


def test_changed_data_file_reaches_the_kernel(tmp_path):
    path = write(tmp_path)
    first = compile_model(path, data_files=FILES)
    write(tmp_path, CSV.replace("0,1,10", "0,2,10"))
    second = compile_model(path, data_files=FILES)
    assert first.module_path != second.module_path
    before = first.run({}, 1, return_columns=["observed"])["observed"][0, 0]
    after = second.run({}, 1, return_columns=["observed"])["observed"][0, 0]
    assert (before, after) == (1.0, 2.0)


def test_without_data_files_both_engines_say_which_variable(tmp_path):
    model = sdmodels.load_model(write(tmp_path))
    with pytest.raises(ModelLoadError, match=r"'observed' is a data variable.*data_files"):
        model.run()  # engine="auto": the same clear error, no fallback


def test_a_variable_no_file_holds_is_named(tmp_path):
    path = write(tmp_path)
    with pytest.raises(ModelLoadError, match=r"'from tab' cannot read 'observed.csv'.*no data file holds it.*'from tab\[cell\]'"):
        compile_model(path, data_files=["data/observed.csv"])


@pytest.mark.parametrize(("name", "match"), [
    ("data/missing.csv", r"'data/missing.csv' is not in .*relative to the folder of the model"),
    ("run.vdf", r"\.vdf files are binary.*export the data from Vensim as a \.tab"),
    ("data.xlsx", r"data variables are read from \.tab, \.csv, \.nc files"),
])
def test_bad_data_files_are_refused_with_their_reason(tmp_path, name, match):
    path = write(tmp_path)
    (tmp_path / name).touch()  # the .vdf and .xlsx exist; the .csv does not
    if name.startswith("data/missing"):
        (tmp_path / name).unlink()
    with pytest.raises(ModelLoadError, match=match):
        sdmodels.load_model(path, data_files=[name])


def test_per_cell_data_definitions_equal_the_whole_range(tmp_path):
    # each cell's definition reads its own column (test_data_cell_by_cell.py has more)
    whole = compile_model(write(tmp_path / "whole"), data_files=FILES).run({}, 1)["measured"]
    path = write(tmp_path / "cells")
    text = MODEL.replace("measured[region] :RAW:\n\t~\twidgets\t~\tThe file's values "
                         "at its times, NaN in between.\n\t|",
                         "measured[north] :RAW:\n\t~\twidgets\t~\t|\n"
                         "measured[south] :RAW:\n\t~\twidgets\t~\t|")
    assert text != MODEL
    path.write_text(text, encoding="utf-8")
    cells = compile_model(path, data_files=FILES).run({}, 1)["measured"]
    np.testing.assert_array_equal(cells, whole)


@pytest.mark.parametrize("engine", ["compiled", "pysd"])
def test_batches_of_one_model_file_with_two_data_files(tmp_path, engine):
    # the same model file read with two data files is two models: a batch never takes the
    # kernel or loaded model of the other (they are kept by model content and data files)
    path = write(tmp_path)
    other = tmp_path / "data" / "other.csv"
    other.write_text(CSV.replace("0,1,10", "0,2,10"), encoding="utf-8")
    firsts = []
    for files in (FILES, ["data/other.csv", "data/more.tab"], FILES):
        model = sdmodels.load_model(path, data_files=files)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.run_batch({"scale": [1.0, 2.0]}, engine=engine, outputs=["observed"])
        firsts.append(float(out["observed"].isel(time=0, sample=0)))
    assert firsts == [1.0, 2.0, 1.0]
