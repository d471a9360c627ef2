"""Subscripted stateful structures as arrays with one loop per structure over their range.

DELAY FIXED, TREND, FORECAST, SAMPLE IF TRUE and INITIAL of a subscripted variable, and SMOOTH N
and DELAY N whose order is known only at run time, keep their states in arrays indexed by the
variable's cells (a DELAY FIXED's pipe and the stages of such an order a list of one array per
cell, as long as the cell's initialisation makes it), so that the kernel's statements do not
grow with the range. Per-cell definitions keep statements of their own. Each is checked by hand, against PySD
(``tests/compiler/models/subscripted_statefuls.mdl``), and bit for bit against the same model
written one scalar per cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import sdmodels
from sdmodels.testing import assert_matches_pysd, draw_parameters

from .conftest import TEST_MODELS_DIR, run_both_engines, assert_same_runs, sample_body

MODEL = TEST_MODELS_DIR / "subscripted_statefuls.mdl"
#: SMOOTH N and DELAY N of an order that is a constant (known only at run time)
BUILTINS = TEST_MODELS_DIR / "subscripted_builtins.mdl"
OUTPUTS = ["demand", "demand_trend", "demand_forecast", "sampled", "delayed", "delayed_per_cell",
           "first_demand"]
#: TIME STEP of the test model, and its DELAY FIXED's pipe: 1.25 / 0.25 = 5 steps
TIME_STEP = 0.25
PIPE = 5
#: PySD's warning when a delay time is not a multiple of the time step (it rounds the pipe)
CASTING = "ignore:(?s).*Casting delay order:UserWarning"


def statefuls_model(n: int) -> str:
    """The test model over ``n`` items (constants repeat the three items' values), without the
    per-cell definitions."""
    text = MODEL.read_text(encoding="utf-8")
    text = text.replace("\ti1, i2, i3\n", f"\t(i1-i{n})\n", 1).replace("Three items", f"{n} items")

    def widen(m: re.Match) -> str:
        values = [m.group(1), m.group(2), m.group(3)]
        return "\t" + ", ".join(values[k % 3] for k in range(n)) + "\n"

    text = re.sub(r"^\t([\d.]+), ([\d.]+), ([\d.]+)\n", widen, text, flags=re.M)
    start = text.index("delayed per cell[i1]=")
    end = text.index("|", text.index("each cell defined apart")) + 1
    return text[:start] + text[end:].lstrip()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _statements(source: str) -> int:
    return int(re.search(r'"jit_statements": (\d+)', source).group(1))


# ---------------------------------------------------------------------------------- the source
def test_each_stateful_structure_is_one_loop_and_cells_defined_apart_keep_their_own() -> None:
    from sdmodels.compiler import generate_source

    body = sample_body(generate_source(MODEL))
    loop = r"for q in range\(0, 3\):\n\s+"
    for pattern in [
        # DELAY FIXED: the pipe's length from the delay time, a row per cell, one step for all
        loop + r"w_n__delayed\[q\] = f_fixed_delay_order\(v_delay_time, v_time_step\)\n\s+"
        r"w_s__delayed\[q\] = w_initial_output\[q\]\n\s+"
        r"w_b__delayed\[q\] = np\.full\(w_n__delayed\[q\], w_s__delayed\[q\]\)",
        loop + r"w_b__delayed\[q\]\[w_p__delayed\[q\]\] = w_x__delayed\[q\]"
        r"\n\s+w_p__delayed\[q\] = \(w_p__delayed\[q\] \+ 1\) % w_n__delayed\[q\]",
        # TREND and FORECAST: a state and a derivative per cell
        loop + r"w_s__demand_trend\[q\] = w_demand\[q\] / \(1\.0 \+ w_initial_trend\[q\] \* ",
        loop + r"w_d__demand_trend\[q\] = \(w_demand\[q\] - w_s__demand_trend\[q\]\) / ",
        loop + r"w_d__demand_forecast\[q\] = \(w_demand\[q\] - w_s__demand_forecast\[q\]\) / ",
        # SAMPLE IF TRUE and INITIAL
        loop + r"w_x__sampled\[q\] = \(w_demand\[q\] if \(w_demand\[q\] > w_threshold\[q\]\) "
        r"else w_s__sampled\[q\]\)",
        loop + r"w_s__first_demand\[q\] = w_demand\[q\]",
    ]:
        assert re.search(pattern, body), pattern
    # no scalar state is left for the structures over the whole range
    assert not re.search(r"\b[a-z]+_(trend|forecast|sample_if_true|initial)__", body)
    assert not re.search(r"\b[a-z]+_delay_fixed__delayed__", body)
    # cells defined apart (a delay time each) keep statements of their own
    for cell, delay in (("i1", "0.5"), ("i2", "1.0"), ("i3", "2.0")):
        assert (f"n_delay_fixed__delayed_per_cell__{cell} = f_fixed_delay_order({delay}, "
                "v_time_step)") in body
    # SMOOTH N and DELAY N of an order known at run time: an array of stages per cell
    body = sample_body(generate_source(BUILTINS))
    assert re.search(loop + r"w_n__smoothed_n\[q\] = int\(v_order\)\n\s+"
                     r"w_a__smoothed_n\[q\] = np\.full\(w_n__smoothed_n\[q\], ", body)
    assert re.search(loop + r"f_delayn_ddt\(w_a__delayed_n\[q\], w_da__delayed_n\[q\], ", body)
    assert not re.search(r"\b[a-z]+_(smooth|delay)__(smoothed|delayed)_n__", body)


def test_statement_count_does_not_grow_with_the_range(tmp_path) -> None:
    from sdmodels.compiler import generate_source

    small = generate_source(_write(tmp_path, "three.mdl", statefuls_model(3)))
    large = generate_source(_write(tmp_path, "four_hundred.mdl", statefuls_model(400)))
    assert "i400" in large and "__i400" not in large
    assert _statements(large) == _statements(small)


# ---------------------------------------------------------------------------------- the values
@pytest.mark.parametrize("path", [MODEL, BUILTINS], ids=lambda p: p.name)
def test_loops_equal_per_cell_statements_bit_for_bit(path, compiled, monkeypatch) -> None:
    """Random draws change the delay time, so each sample's pipe has a length of its own."""
    from sdmodels.compiler import _builder, compile_model

    looped = compiled(path)
    monkeypatch.setattr(_builder, "MIN_CELLS", 10**9)
    cells = compile_model(path, cache=False)
    assert not re.search(r"\bw_", sample_body(cells.source))
    assert_same_runs(looped, cells, draw_parameters(path, 6, seed=11), 6)


def test_matches_pysd(compiled) -> None:
    assert_matches_pysd(MODEL, n_random=4, seed=5, compiled=compiled(MODEL))


@pytest.fixture(scope="module")
def both():
    return run_both_engines(sdmodels.load_model(MODEL), OUTPUTS)


@pytest.mark.parametrize("name", OUTPUTS)
def test_equals_pysd_at_the_defaults(both, name) -> None:
    pysd, c = both
    np.testing.assert_allclose(c[name].values, pysd[name].values, rtol=1e-12, atol=1e-12)


def test_by_hand(both) -> None:
    """Each structure's definition (Vensim's, as PySD implements it), from the demand's run."""
    _, c = both
    t = c["time"].values
    np.testing.assert_allclose(np.diff(t), TIME_STEP)
    x = c["demand"].values  # (time, item)
    initial_output = np.array([1.0, 2.0, 3.0])
    # DELAY FIXED: the demand PIPE steps (1.25 months) earlier, the initial output before
    expected = np.vstack([np.tile(initial_output, (PIPE, 1)), x[:-PIPE]])
    np.testing.assert_array_equal(c["delayed"].values, expected)
    # each cell's own delay time: 0.5 -> 2 steps, 1 -> 4, 2 -> 8
    for k, steps in enumerate((2, 4, 8)):
        np.testing.assert_array_equal(c["delayed_per_cell"].values[:, k],
                                      np.r_[np.zeros(steps), x[:-steps, k]])
    # INITIAL
    np.testing.assert_array_equal(c["first_demand"].values, np.tile(x[0], (len(t), 1)))
    # SAMPLE IF TRUE: the demand while above the threshold, else the last sample
    threshold = np.array([50.0, 90.0, 70.0])
    held = initial_output.copy()
    sampled = []
    for row in x:
        held = np.where(row > threshold, row, held)
        sampled.append(held.copy())
    np.testing.assert_array_equal(c["sampled"].values, np.array(sampled))
    assert (np.diff(c["sampled"].values[:, 2]) == 0).any()  # held after the pulse
    # TREND and FORECAST: a first-order average ``s`` of the demand (Euler steps); TREND's
    # starts where the initial trend puts it, FORECAST's at the demand
    average, horizon = 2.0, 3.0
    initial_trend = np.array([0.02, 0.0, 0.05])
    for name, s0 in (("demand_trend", x[0] / (1 + initial_trend * average)),
                     ("demand_forecast", x[0].copy())):
        s = [s0]
        for row in x[:-1]:
            s.append(s[-1] + (row - s[-1]) / average * TIME_STEP)
        s = np.array(s)
        trend = (x - s) / (average * np.abs(s))
        expected = trend if name == "demand_trend" else x * (1 + trend * horizon)
        np.testing.assert_allclose(c[name].values, expected, rtol=1e-13, err_msg=name)
    # the trend at the start is the initial trend itself
    np.testing.assert_allclose(c["demand_trend"].values[0], initial_trend, atol=1e-15)


def _pipe(delay: float) -> int:
    """Steps of a DELAY FIXED's pipe, worked out by hand as PySD's DelayFixed sets them."""
    return round(max(delay / TIME_STEP, 1) + 1e-6)


@pytest.mark.filterwarnings(CASTING)
@pytest.mark.parametrize(("delay", "steps"), [(1.3, 5), (0.6, 2), (1.9, 8), (0.375, 2),
                                              (0.1, 1)])
def test_delay_time_between_multiples_of_the_time_step(tmp_path, delay, steps) -> None:
    """The pipe is rounded to whole steps (5.2 -> 5, 2.4 -> 2, 7.6 -> 8, 1.5 -> 2 up, not to
    even; at least one step), as in PySD."""
    assert _pipe(delay) == steps
    text = MODEL.read_text(encoding="utf-8").replace(
        "delay time=\n\t1.25\n\t~\tMonth [0.5,3,0.25]", f"delay time=\n\t{delay}\n\t~\tMonth [0.1,3]", 1)
    pysd, c = run_both_engines(sdmodels.load_model(_write(tmp_path, "between.mdl", text)),
                               ["demand", "delayed"])
    np.testing.assert_allclose(c["delayed"].values, pysd["delayed"].values, rtol=1e-12)
    x = c["demand"].values
    np.testing.assert_array_equal(
        c["delayed"].values, np.vstack([np.tile([1.0, 2.0, 3.0], (steps, 1)), x[:-steps]]))


def test_delay_fixed_with_a_delay_time_per_cell_and_per_sample(tmp_path) -> None:
    """A subscripted delay time: pipes of different lengths in one array, and lengths that
    change from sample to sample. PySD 3.14 fails on a subscripted delay time (``max`` of a
    DataArray), so the answer is checked by hand only."""
    text = statefuls_model(3).replace(
        "delay time=\n\t1.25\n\t~\tMonth [0.5,3,0.25]",
        "delay time[item]=\n\t0.5, 1.3, 2\n\t~\tMonth [0.1,4]", 1).replace(
        "DELAY FIXED(demand[item], delay time, ", "DELAY FIXED(demand[item], delay time[item], ")
    from sdmodels.compiler import compile_model

    model = compile_model(_write(tmp_path, "per_cell.mdl", text), cache=False)
    scale = np.array([1.0, 0.5, 1.7])  # per sample: delay times scaled
    result = model.run({"delay_time": np.outer(scale, [0.5, 1.3, 2.0])}, len(scale),
                       return_columns=["demand", "delayed"])
    x = result["demand"]  # (sample, time, item)
    assert x.shape == (3, 25, 3)
    initial_output = np.array([1.0, 2.0, 3.0])
    for s, f in enumerate(scale):
        for k, delay in enumerate((0.5, 1.3, 2.0)):
            steps = _pipe(f * delay)
            np.testing.assert_array_equal(
                result["delayed"][s, :, k],
                np.r_[np.full(steps, initial_output[k]), x[s, :-steps, k]],
                err_msg=f"sample {s}, cell {k}, {steps} steps")
