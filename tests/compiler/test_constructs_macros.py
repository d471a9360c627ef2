"""Vensim macros, inlined per call site: by hand and against PySD (PySD runs one instance per
call, with its own state; so does the compiled engine). PySD's XMILE translator has no macros."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sdmodels

from .conftest import run_both_engines

MODEL = """{UTF-8}
:MACRO: EXPSMOOTH(input, avtime)
EXPSMOOTH = INTEG((input - EXPSMOOTH) / avtime, input)
	~	input
	~	First-order smooth written as a macro.
	|

:END OF MACRO:
:MACRO: TWICE(x, t)
TWICE = EXPSMOOTH(EXPSMOOTH(x, t), t)
	~	x
	~	A second-order smooth: a macro calling a macro.
	|

:END OF MACRO:
region: north, south
	~
	~		|
average time=
	2
	~	Month
	~		|
signal=
	STEP(10, 2)
	~	widgets
	~		|
smoothed signal=
	EXPSMOOTH(signal, average time)
	~	widgets
	~		|
slow smoothed=
	EXPSMOOTH(signal, 2 * average time)
	~	widgets
	~	A second call: its own instance and state.
	|
second order=
	TWICE(signal, average time)
	~	widgets
	~		|
regional signal[region]=
	STEP(10 * region, 2 * region)
	~	widgets
	~		|
regional smooth[region]=
	EXPSMOOTH(regional signal[region], average time)
	~	widgets
	~		|
FINAL TIME  = 10
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = TIME STEP
	~	Month
	~		|
TIME STEP  = 0.25
	~	Month
	~		|
"""

OUTPUTS = ["smoothed signal", "slow smoothed", "second order", "regional smooth"]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = tmp_path_factory.mktemp("macros") / "macros.mdl"
    path.write_text(MODEL, encoding="utf-8")
    model = sdmodels.load_model(path)
    return run_both_engines(model, OUTPUTS)


def test_by_hand(both):
    _, c = both
    # Euler first-order smooth of a step of 10 at t = 2: after n steps of 0.25 from t = 2,
    # 10 (1 - (1 - 0.25 / T)^n); T = 2 for the first call, 4 for the second
    n = np.arange(0, 33)
    for name, avg in (("smoothed_signal", 2.0), ("slow_smoothed", 4.0)):
        values = c[name].sel(time=2.0 + 0.25 * n).values
        np.testing.assert_allclose(values, 10 * (1 - (1 - 0.25 / avg) ** n), rtol=1e-12)
    # the regional smooth is the same smooth per cell (south: a step of 20 at t = 4)
    south = c["regional_smooth"].sel(region="south", time=4.0 + 0.25 * n[:25]).values
    np.testing.assert_allclose(south, 20 * (1 - (1 - 0.25 / 2) ** n[:25]), rtol=1e-12)
    # the nested call lags the single one
    assert (c["second_order"].values[9:] < c["smoothed_signal"].values[9:]).all()


@pytest.mark.parametrize("name", ["smoothed_signal", "slow_smoothed", "second_order", "regional_smooth"])
def test_equals_pysd(both, name):
    pysd, c = both
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-12, atol=1e-12)


# A macro with a second output, macros with subscripted variables (over ranges the macro defines,
# as PySD requires) and a subscripted chain of stocks inside a macro
# (tests/compiler/models/macro_outputs_subscripts.mdl).
MORE = Path(__file__).resolve().parent / "models" / "macro_outputs_subscripts.mdl"
MORE_OUTPUTS = ["smoothed", "share", "share sum", "weighted total", "chained", "delayed"]


@pytest.fixture(scope="module")
def more():
    model = sdmodels.load_model(MORE)
    return run_both_engines(model, MORE_OUTPUTS)


def test_outputs_and_subscripts_by_hand(more):
    _, c = more
    # SMOOTH GAP integrates its second output (input - smooth) / 2: the Euler smooth of a step
    n = np.arange(0, 33)
    np.testing.assert_allclose(c["smoothed"].sel(time=2.0 + 0.25 * n).values,
                               10 * (1 - (1 - 0.25 / 2) ** n), rtol=1e-12)
    # shares of (1, 2, 3) * (3, 2, 1) = (3, 4, 3) in their total 10; plus (3, 2, 1) / 6
    np.testing.assert_allclose(c["share"].values, np.tile([0.3, 0.4, 0.3], (41, 1)), rtol=1e-15)
    np.testing.assert_allclose(c["share_sum"].values[0], [0.3 + 3 / 6, 0.4 + 2 / 6, 0.3 + 1 / 6],
                               rtol=1e-15)
    # 4 * 2 * (1 + 2 + 3), over the range the macro defines for itself
    assert (c["weighted_total"].values == 48.0).all()
    # a chain of three stocks written in the macro is the built-in third-order delay
    np.testing.assert_allclose(c["chained"].values, c["delayed"].values, rtol=1e-12, atol=1e-12)
    assert c["chained"].values[-1] > 9.9


@pytest.mark.parametrize("name", ["smoothed", "share", "share_sum", "weighted_total", "chained"])
def test_outputs_and_subscripts_equal_pysd(more, name):
    pysd, c = more
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-12, atol=1e-12)


def test_macro_over_a_range_it_does_not_define_is_refused(tmp_path):
    # PySD builds a macro with its own ranges only and fails on this model; so does the compiler,
    # naming the macro, the range and the variable
    from sdmodels.compiler import compile_model
    from sdmodels.compiler._errors import UnsupportedFeature

    text = MORE.read_text(encoding="utf-8")
    start = text.index(":MACRO: WEIGHTED TOTAL")
    block = text[start:text.index(":END OF MACRO:", start)]
    cut = block.index("region: north")
    text = text.replace(block, block[:cut])
    path = tmp_path / "outside_range.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnsupportedFeature, match=r"weighted_total.*region.*cell is subscripted"):
        compile_model(path)
