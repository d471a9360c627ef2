"""ALLOCATE BY PRIORITY and ALLOCATE AVAILABLE: hand-checked values and equivalence with PySD.

PySD's XMILE translator has no allocation functions, so the models are Vensim only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sdmodels
from sdmodels.compiler import compile_model

MODEL = """{UTF-8}
branch: Boston, Dayton, Fresno, Miami
	~
	~		|
pprofile: ptype, ppriority, pwidth, pextra
	~
	~		|
region: north, south
	~
	~		|
demand[branch]= 3, 6, 2.5, 2
	~	widgets
	~		|
priority[branch]= 10, 9, 7, 2
	~	dmnl
	~		|
width= 3
	~	dmnl
	~		|
supply= 5 + RAMP(1, 0, 10)
	~	widgets
	~	Grows from 5 to 15, past the total demand of 13.5.
	|
shipments[branch]= ALLOCATE BY PRIORITY(demand[branch], priority[branch], ELMCOUNT(branch),
	width, supply)
	~	widgets
	~		|
regional demand[region, branch]= 3, 6, 2.5, 2; 1, 1, 1, 1
	~	widgets
	~		|
regional supply[region]= 4, 2
	~	widgets
	~		|
regional shipments[region, branch]= ALLOCATE BY PRIORITY(regional demand[region, branch],
	priority[branch], ELMCOUNT(branch), width, regional supply[region])
	~	widgets
	~		|
profile[branch, pprofile]= 1, 1, 2, 0; 1, 2, 2, 0; 3, 4, 1.5, 0; 2, 3, 1, 0
	~	dmnl
	~	One rectangular pair, a normal and a triangular profile.
	|
available[branch]= ALLOCATE AVAILABLE(demand[branch], profile[branch, ptype], supply)
	~	widgets
	~		|
exp profile[branch, pprofile]= 4, 1, 2, 0; 4, 2, 1, 0; 4, 4, 0.5, 0; 4, 3, 3, 0
	~	dmnl
	~		|
exp available[branch]= ALLOCATE AVAILABLE(demand[branch], exp profile[branch, ptype], supply)
	~	widgets
	~		|
FINAL TIME  = 10
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

#: Two targets with rectangular profiles (priorities 1 and 2, width 2) sharing 10 of 20.
PAIR = """{UTF-8}
target: a, b
	~
	~		|
pprofile: ptype, ppriority, pwidth, pextra
	~
	~		|
request[target]= 10, 10
	~	widgets
	~		|
profile[target, pprofile]= 1, 1, 2, 0; 1, 2, 2, 0
	~	dmnl
	~		|
avail= 10
	~	widgets
	~		|
got[target]= ALLOCATE AVAILABLE(request[target], profile[target, ptype], avail)
	~	widgets
	~		|
FINAL TIME  = 1
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = 1
	~	Month
	~		|
TIME STEP  = 1
	~	Month
	~		|
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("allocation") / "allocation.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return sdmodels.load_model(path)


@pytest.fixture(scope="module")
def both(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.run(engine="pysd"), model.run(engine="compiled")


def test_allocate_by_priority_by_hand(both):
    _, compiled = both
    # supply 5, requests 3, 6, 2.5, 2, priorities 10, 9, 7, 2, width 3: Boston alone gets the
    # first (10 - 9) / 3 * 3 = 1; then Boston and Dayton share the remaining 4 in proportion
    # 3 : 6 (Dayton is still (9 - 7) / 3 * 6 = 4 from letting Fresno in): 1 + 4/3 and 8/3
    np.testing.assert_allclose(compiled["shipments"].sel(time=0).values,
                               [7 / 3, 8 / 3, 0.0, 0.0], rtol=1e-14)
    # from supply 13.5 on every request is met
    np.testing.assert_array_equal(compiled["shipments"].sel(time=10).values, [3, 6, 2.5, 2])


def test_allocate_available_by_hand(tmp_path):
    path = tmp_path / "pair.mdl"
    path.write_text(PAIR, encoding="utf-8")
    out = compile_model(path).run({}, 1, return_columns=["got"])["got"][0, 0]
    # a's demand 10 (1 - x/2) on (0, 2) and b's 10 (1 - (x - 1)/2) on (1, 3) add up to 10 at
    # x = 1.5: a gets 2.5 and b 7.5
    np.testing.assert_allclose(out, [2.5, 7.5], rtol=1e-12)


@pytest.mark.parametrize("name", ["shipments", "regional_shipments"])
def test_allocate_by_priority_equals_pysd(both, name):
    pysd, compiled = both
    np.testing.assert_allclose(compiled[name].values, pysd[name].values, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["available", "exp_available"])
def test_allocate_available_equals_pysd(both, name):
    # PySD solves for the priority with scipy's least_squares (tolerance about 1e-8), the
    # compiled engine bisects to the last bit: they agree to PySD's tolerance, and the
    # compiled allocation adds up to the supply to rounding
    pysd, compiled = both
    np.testing.assert_allclose(compiled[name].values, pysd[name].values, rtol=1e-6, atol=1e-7)
    supply = compiled["supply"].values
    total = np.minimum(supply, 13.5)
    np.testing.assert_allclose(compiled[name].values.sum(axis=1), total, rtol=1e-12)


def test_allocation_over_a_batch(model):
    cm = model.compiled()
    supply = np.array([[0.0, 0.0], [1.0, 1.0], [100.0, 100.0]])
    out = cm.run({"regional supply": supply}, 3,
                 return_columns=["regional_shipments"])["regional_shipments"]
    north = out[:, 0, 0]  # (sample, region, branch) at the first time
    np.testing.assert_array_equal(north[0], [0, 0, 0, 0])  # no supply, nothing shipped
    np.testing.assert_allclose(north[1], [1, 0, 0, 0], rtol=1e-14)  # Boston alone
    np.testing.assert_array_equal(north[2], [3, 6, 2.5, 2])  # enough for everyone


def test_invalid_allocation_inputs_give_nan(model):
    # PySD raises on a width that is not positive; a batch cannot stop for one sample: NaN
    out = model.compiled().run({"width": [3.0, 0.0]}, 2, return_columns=["shipments"])
    assert np.isnan(out["shipments"][1]).all() and not np.isnan(out["shipments"][0]).any()
