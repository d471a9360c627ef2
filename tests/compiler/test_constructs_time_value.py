"""GET TIME VALUE: the forms PySD computes (relativeto 0, measure 0: Time + offset) compile, by hand
and against PySD; relative to the initial time (1, offset, 0), which PySD does not implement,
by hand; calendar measures and the computer's clock are refused, each with its reason
(``tests/compiler/models/get_time_value.mdl``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sdmodels
from sdmodels.compiler import compile_model
from sdmodels.compiler._errors import UnsupportedFeature

from .conftest import run_both_engines

MODEL = Path(__file__).resolve().parent / "models" / "get_time_value.mdl"
OUTPUTS = ["shifted", "moving", "back"]


@pytest.fixture(scope="module")
def both():
    model = sdmodels.load_model(MODEL)
    return run_both_engines(model, OUTPUTS)


def test_by_hand(both):
    _, c = both
    t = np.arange(0, 3.25, 0.5)
    np.testing.assert_array_equal(c["time"].values, t)
    np.testing.assert_array_equal(c["shifted"].values, np.stack([t + 1, t + 3], axis=1))
    np.testing.assert_array_equal(c["moving"].values, t + (1 + t) / 2)  # stock = 1 + Time
    np.testing.assert_array_equal(c["back"].values, t - 1.5)


@pytest.mark.parametrize("name", OUTPUTS)
def test_equals_pysd(both, name):
    pysd, c = both
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("form", "reason"), [
    ("1, 0, 3", "date labelling of Time"),  # month of the initial time
    ("0, 0, 3", "date labelling of Time"),  # month of the simulation time
    ("2, 0, 1", "reads the clock at every step"),  # the computer's year
    ("2, 0, 9", "reads the clock at every step"),  # the computer's second
    ("3, 0, 0", "relativeto is 0, 1 or 2"),
    ("rel, 0, 0", "give both as numbers"),
])
def test_other_forms_are_refused_with_their_reason(tmp_path, form, reason):
    text = MODEL.read_text(encoding="utf-8").replace("GET TIME VALUE( 0 , -1.5 , 0 )",
                                                     f"GET TIME VALUE({form})")
    path = tmp_path / "form.mdl"
    path.write_text(text + "rel = 0\n\t~\tDmnl\n\t~\t\t|\n", encoding="utf-8")
    with pytest.raises(UnsupportedFeature, match="GET TIME VALUE") as info:
        compile_model(path)
    assert reason in str(info.value) and info.value.element == "back"


INITIAL_TIME_MODEL = """{UTF-8}
opened=
	GET TIME VALUE(1, 0.5, 0)
	~	Year
	~	Half a year after the start.
	|
elapsed=
	GET TIME VALUE(1, Time - INITIAL TIME, 0)
	~	Year
	~	The start plus the time elapsed: Time itself.
	|
FINAL TIME  = 2023
	~	Year
	~		|
INITIAL TIME  = 2020
	~	Year
	~		|
SAVEPER  = 0.5
	~	Year
	~		|
TIME STEP  = 0.25
	~	Year
	~		|
"""


def test_relative_to_the_initial_time_by_hand(tmp_path):
    path = tmp_path / "initial_time_value.mdl"
    path.write_text(INITIAL_TIME_MODEL, encoding="utf-8")
    out = compile_model(path).run({}, 1, return_columns=["opened", "elapsed"])
    t = np.arange(2020, 2023.25, 0.5)
    np.testing.assert_array_equal(out["opened"][0], np.full(t.size, 2020.5))
    np.testing.assert_array_equal(out["elapsed"][0], t)


def test_pysd_says_it_does_not_implement_it(tmp_path):
    """Under PySD (chosen) the form PySD lacks is a clear error naming the element, not a
    traceback; the compiled engine runs it."""
    path = tmp_path / "initial_time_value.mdl"
    path.write_text(INITIAL_TIME_MODEL, encoding="utf-8")
    model = sdmodels.load_model(path)
    with pytest.raises(sdmodels.ModelLoadError,
                       match=r"PySD does not implement what the model uses in element "
                             r"'(opened|elapsed)' .*engine=\"auto\" or \"compiled\""):
        model.run(engine="pysd")
    assert float(model.run(engine="auto")["opened"].values[0]) == 2020.5
