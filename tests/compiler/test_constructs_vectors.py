"""VECTOR SELECT, VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, INVERT MATRIX: by hand and
against PySD at every saved time (the vector's order changes over the run).

PySD's XMILE translator has none of these functions, so the model is Vensim only. VECTOR ELM
MAP is not implemented by PySD: it is checked by hand, on the two uses the Vensim documentation
gives (fn_vector_elm_map.html: ``VECTOR ELM MAP(var1[s1], sub - 1)`` equals ``var1[sub]``; and
an aging chain reading the previous stage's outflow).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sdmodels
from sdmodels.compiler import compile_model

MODEL = """{UTF-8}
item: i1, i2, i3, i4
	~
	~		|
row: r1, r2, r3
	~
	~		|
col: c1, c2, c3
	~
	~		|
values[item]= 3, 1, 4, 2
	~	dmnl
	~		|
growing[item]= values[item] * (1 + 0.1 * Time * ELMCOUNT(item) - 0.3 * Time * values[item])
	~	dmnl
	~		|
selection[item]= 0, 1, 1, 0
	~	dmnl
	~		|
picked sum= VECTOR SELECT(selection[item!], growing[item!], -1, 0, 0)
	~	dmnl
	~		|
picked max= VECTOR SELECT(selection[item!], growing[item!], -1, 9, 0)
	~	dmnl
	~		|
picked mean= VECTOR SELECT(selection[item!], growing[item!], -1, 10, 0)
	~	dmnl
	~		|
nothing= VECTOR SELECT(selection[item!] * 0, growing[item!], -1, 0, 0)
	~	dmnl
	~		|
order up[item]= VECTOR SORT ORDER(growing[item], 1)
	~	dmnl
	~		|
order down[item]= VECTOR SORT ORDER(growing[item], -1)
	~	dmnl
	~		|
rank up[item]= VECTOR RANK(growing[item], 1)
	~	dmnl
	~		|
rank down[item]= VECTOR RANK(growing[item], 0)
	~	dmnl
	~		|
reordered[item]= VECTOR REORDER(values[item], order up[item])
	~	dmnl
	~		|
matrix[row, col]= 2, 1, 0; 1, 3, 1; 0, 1, 4
	~	dmnl
	~		|
moving matrix[row, col]= matrix[row, col] + Time
	~	dmnl
	~		|
inverse[row, col]= INVERT MATRIX(moving matrix[row, col], 3)
	~	dmnl
	~		|
FINAL TIME  = 4
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = 1
	~	Month
	~		|
TIME STEP  = 0.5
	~	Month
	~		|
"""


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = tmp_path_factory.mktemp("vectors") / "vectors.mdl"
    path.write_text(MODEL, encoding="utf-8")
    model = sdmodels.load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.run(engine="pysd"), model.run(engine="compiled")


def test_by_hand_at_the_start(both):
    _, c = both
    first = c.isel(time=0)  # values 3, 1, 4, 2; i2 and i3 selected
    assert first["picked_sum"].item() == 5.0 and first["picked_max"].item() == 4.0
    assert first["picked_mean"].item() == 2.5 and first["nothing"].item() == -1.0
    assert first["order_up"].values.tolist() == [1, 3, 0, 2]  # 0-based positions, ascending
    assert first["order_down"].values.tolist() == [2, 0, 3, 1]
    assert first["rank_up"].values.tolist() == [3, 1, 4, 2]  # 1-based ranks
    assert first["rank_down"].values.tolist() == [2, 4, 1, 3]
    assert first["reordered"].values.tolist() == [1, 2, 3, 4]
    matrix = np.array([[2, 1, 0], [1, 3, 1], [0, 1, 4]], dtype=float)
    np.testing.assert_allclose(first["inverse"].values @ matrix, np.eye(3), atol=1e-14)


def test_the_order_changes_over_time(both):
    _, c = both
    # at t = 4, growing = v (1 + 1.6 - 1.2 v) = -3, 1.4, -8.8, 0.4 for v = 3, 1, 4, 2
    np.testing.assert_allclose(c["growing"].sel(time=4).values, [-3, 1.4, -8.8, 0.4], rtol=1e-12)
    assert c["order_up"].sel(time=4).values.tolist() == [2, 0, 3, 1]
    assert c["rank_up"].sel(time=4).values.tolist() == [2, 4, 1, 3]


@pytest.mark.parametrize("name", ["picked_sum", "picked_max", "picked_mean", "nothing", "order_up",
                                  "order_down", "rank_up", "rank_down", "reordered", "inverse"])
def test_equals_pysd(both, name):
    pysd, c = both
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-9, atol=1e-12)


ELM_MAP = """{UTF-8}
sub: s1, s2, s3
	~
	~		|
stage: st1, st2, st3, st4
	~
	~		|
var1[sub]= 10, 20, 30
	~	dmnl
	~		|
var2[sub]= VECTOR ELM MAP(var1[s1], sub - 1)
	~	dmnl
	~		|
shifted[sub]= VECTOR ELM MAP(var1[sub], 1)
	~	dmnl
	~		|
outflow[stage]= stock[stage] / 2
	~	widgets/Month
	~		|
inflow[stage]= IF THEN ELSE(stage = st1, 8, VECTOR ELM MAP(outflow[stage], -1))
	~	widgets/Month
	~		|
stock[stage]= INTEG(inflow[stage] - outflow[stage], 0)
	~	widgets
	~		|
FINAL TIME  = 1
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = 0.5
	~	Month
	~		|
TIME STEP  = 0.5
	~	Month
	~		|
"""


def test_vector_elm_map_by_hand(tmp_path):
    path = tmp_path / "elm_map.mdl"
    path.write_text(ELM_MAP, encoding="utf-8")
    out = compile_model(path).run({}, 1)
    np.testing.assert_array_equal(out["var2"][0, 0], [10, 20, 30])  # the same as var1[sub]
    # one place on; past the end there is no cell (Vensim: an error and :NA:): NaN
    np.testing.assert_array_equal(out["shifted"][0, 0], [20, 30, np.nan])
    # aging chain with TIME STEP 0.5: stock 1 = 0, 4, 7 and stage 2 receives stage 1's outflow
    np.testing.assert_array_equal(out["stock"][0, :, 0], [0, 4, 7])
    np.testing.assert_array_equal(out["inflow"][0, 2], [8, 3.5, 0.5, 0])
