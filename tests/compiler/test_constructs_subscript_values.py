"""A subscript range or element used as a value, and GAME: by hand and against PySD, in Vensim
and XMILE (XMILE has no GAME and no named elements in expressions)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sdmodels

MDL = """{UTF-8}
item: i1, i2, i3, i4
	~
	~		|
sub: i2, i3
	~
	~		|
index[item]= item
	~	dmnl
	~		|
doubled[item]= item * 2 + Time
	~	dmnl
	~		|
flag[item]= IF THEN ELSE(item = 2, 10, 0)
	~	dmnl
	~		|
named flag[item]= IF THEN ELSE(item = i3, 1, 0)
	~	dmnl
	~		|
sub index[sub]= sub
	~	dmnl
	~		|
gamed= GAME(Time * 2)
	~	dmnl
	~		|
FINAL TIME  = 2
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

XMILE = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header>
    <vendor>sdmodels</vendor>
    <product version="1.0">sdmodels test models</product>
    <name>subscript_values</name>
  </header>
  <sim_specs method="Euler" time_units="Months">
    <start>0</start>
    <stop>2</stop>
    <dt>1</dt>
  </sim_specs>
  <dimensions>
    <dim name="item">
      <elem name="i1"/>
      <elem name="i2"/>
      <elem name="i3"/>
      <elem name="i4"/>
    </dim>
  </dimensions>
  <model>
    <variables>
      <aux name="index">
        <dimensions><dim name="item"/></dimensions>
        <eqn>item</eqn>
      </aux>
      <aux name="doubled">
        <dimensions><dim name="item"/></dimensions>
        <eqn>item * 2 + TIME</eqn>
      </aux>
      <aux name="flag">
        <dimensions><dim name="item"/></dimensions>
        <eqn>IF item = 2 THEN 10 ELSE 0</eqn>
      </aux>
    </variables>
  </model>
</xmile>
"""


def _both(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    model = sdmodels.load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.run(engine="pysd"), model.run(engine="compiled")


@pytest.mark.parametrize("name, text", [("values.mdl", MDL), ("values.xmile", XMILE)])
def test_subscripts_as_values(tmp_path, name, text):
    pysd, c = _both(tmp_path, name, text)
    # the 1-based position of each element in its range
    assert c["index"].sel(time=0).values.tolist() == [1, 2, 3, 4]
    assert c["doubled"].sel(time=2).values.tolist() == [4, 6, 8, 10]
    assert c["flag"].sel(time=0).values.tolist() == [0, 10, 0, 0]
    for var in c.data_vars:
        np.testing.assert_array_equal(c[var].values, pysd[var].values, err_msg=var)


def test_subranges_elements_and_game(tmp_path):
    pysd, c = _both(tmp_path, "values.mdl", MDL)
    # a subrange counts positions in its family: sub = (i2, i3) is 2 and 3
    assert c["sub_index"].sel(time=0).values.tolist() == [2, 3]
    # an element name is its position: item = i3 only for i3
    assert c["named_flag"].sel(time=0).values.tolist() == [0, 0, 1, 0]
    # GAME passes its input through
    assert c["gamed"].values.tolist() == [0, 2, 4]
    for var in ("sub_index", "named_flag", "gamed"):
        np.testing.assert_array_equal(c[var].values, pysd[var].values, err_msg=var)
