"""Subscripted variables as arrays with loops over their ranges compute what per-cell
statements compute.

``_loops`` turns the cells of a subscripted variable into entries of one array and writes one
loop where every cell has the same statement up to its position. With ``MIN_CELLS`` above every
range the same model is written one scalar per cell, as before: the results must be
bit-identical, and equal to PySD.
"""

from __future__ import annotations

import re


from sdmodels.testing import assert_matches_pysd, draw_parameters

from .conftest import TEST_MODELS_DIR, assert_same_runs, sample_body

MODEL = TEST_MODELS_DIR / "subscripts_loops.mdl"


def test_same_shaped_cells_become_loops_and_the_others_stay_apart() -> None:
    from sdmodels.compiler import generate_source

    body = sample_body(generate_source(MODEL))
    # one loop per same-shaped equation: auxiliaries, stocks, delays, smooths, 2-D cells
    assert "w_inflow[q] = " in body
    assert "w_s__level[q] = w_s__level[q] + w_d__level[q] * v_time_step" in body
    assert re.search(r"f_delayn_ddt\(w_a__outflow\[q, :w_n__outflow\[q\]\]", body)
    assert re.search(r"for q in range\(0, 12\):\n\s+w_s__cell_stock\[q\] = w_weight\[q\]", body)
    # sums over consecutive and over evenly spaced cells: one call over a slice
    assert "f_nan_reduce_add(w_cell_stock[(3 * q):(3 * q + 3):1])" in body
    assert "f_nan_reduce_add(w_cell_stock[q:(q + 10):3])" in body
    assert "f_nan_reduce_mul(w_first_share[0:5:1])" in body
    # a cell defined apart keeps its own statement
    assert "w_capped[2] = (w_level[2] * 0.5)" in body
    assert re.search(r"for q in range\(3, 5\):\n\s+w_capped\[q\] = f_min\(w_level\[q\], 20\.0\)", body)


def test_loops_equal_per_cell_statements_bit_for_bit(compiled, monkeypatch) -> None:
    from sdmodels.compiler import _builder, compile_model

    looped = compiled(MODEL)
    assert "for q in range(" in looped.source
    monkeypatch.setattr(_builder, "MIN_CELLS", 10**9)
    cells = compile_model(MODEL, cache=False)
    assert "for q in range(" not in sample_body(cells.source)
    assert not re.search(r"\bw_", sample_body(cells.source))
    assert_same_runs(looped, cells, draw_parameters(MODEL, 4, seed=3), 4)
    assert_matches_pysd(MODEL, n_random=2, compiled=looped)


def test_cells_that_read_each_other_are_not_looped() -> None:
    from sdmodels.compiler._dependencies import Node
    from sdmodels.compiler._loops import Family, _group

    fam = Family("w_a", 3)
    where = {f"v_a__{k}": (fam, k) for k in range(3)}
    nodes = [Node("v_a__0", ["v_a__0 = 1.0"], frozenset(), "a"),
             Node("v_a__1", ["v_a__1 = (v_a__0 * 2.0)"], frozenset({"v_a__0"}), "a"),
             Node("v_a__2", ["v_a__2 = (v_a__1 * 2.0)"], frozenset({"v_a__1"}), "a")]
    out = _group(nodes, where, "test.mdl")
    assert [n.lines for n in out] == [["w_a[0] = 1.0"], ["w_a[1] = (w_a[0] * 2.0)"],
                                      ["w_a[2] = (w_a[1] * 2.0)"]]
    # the same shape reading another variable: one loop
    nodes = [Node(f"v_a__{k}", [f"v_a__{k} = (v_b__{k} * 2.0)"], frozenset({f"v_b__{k}"}), "a")
             for k in range(3)]
    where |= {f"v_b__{k}": (Family("w_b", 3), k) for k in range(3)}
    (loop,) = _group(nodes, where, "test.mdl")
    assert loop.lines == ["for q in range(0, 3):", "    w_a[q] = (w_b[q] * 2.0)"]
    assert loop.deps == {"v_b__0", "v_b__1", "v_b__2"}


def test_cells_whose_integers_do_not_fit_a_machine_integer_are_not_looped() -> None:
    """A random function's call site is a 63-bit hash per cell: any two cells are on a line,
    whose intercept may not fit int64 (numba refused ``19353936711194332866``), so such cells
    keep a statement each; small integers (parameter columns) still make a loop."""
    from sdmodels.compiler._dependencies import Node
    from sdmodels.compiler._loops import Family, _group

    sites = [3830911239196369908, 6243183330186814441 - 4869527893554432173,
             19353936711194332866 - 2 * 5242688590100692043]
    where = {f"v_a__{k}": (Family("w_a", 3), k) for k in range(3)}
    nodes = [Node(f"v_a__{k}", [f"v_a__{k} = f_random_uniform(Pi[-1], {s}, k, 0.0, 1.0)"],
                  frozenset(), "a") for k, s in enumerate(sites)]
    out = _group(nodes, where, "test.mdl")
    assert [n.lines for n in out] == [[f"w_a[{k}] = f_random_uniform(Pi[-1], {s}, k, 0.0, 1.0)"]
                                      for k, s in enumerate(sites)]
    nodes = [Node(f"v_a__{k}", [f"v_a__{k} = P[i, {2**20 + 7 * k}]"], frozenset(), "a")
             for k in range(3)]
    (loop,) = _group(nodes, where, "test.mdl")
    assert loop.lines == ["for q in range(0, 3):", f"    w_a[q] = P[i, (7 * q + {2**20})]"]
