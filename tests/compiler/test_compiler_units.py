"""Unit tests of the compiler's building blocks: names, helpers, subscripts, time grid."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdmodels.compiler import _support as sup
from sdmodels.compiler._builtins import lookup_slopes
from sdmodels.compiler._expressions import number
from sdmodels.compiler._names import Namer, sanitize
from sdmodels.compiler._subscripts import SubscriptError, SubscriptResolver
from sdmodels.compiler._translate import as_printed_by_pysd
from sdmodels.compiler.runtime import time_grid

IDENT = re.compile(r"[a-z_][a-z0-9_]*")


# ----------------------------------------------------------------------------------- names
@settings(deadline=None)
@given(st.text(max_size=40))
def test_sanitized_identifiers_are_safe(text: str) -> None:
    namer = Namer()
    name = namer.make("v", text)
    assert IDENT.fullmatch(name)
    assert name.startswith("v_")
    assert IDENT.fullmatch(sanitize(text) if sanitize(text)[0].isalpha() else "x" + sanitize(text))


def test_namer_never_repeats_a_name() -> None:
    namer = Namer()
    names = [namer.make("v", t) for t in ["Stock A", "stock a", "stock_a", "STOCK-A", "stock a"]]
    assert len(set(names)) == len(names)


def test_namer_rejects_bad_prefixes() -> None:
    with pytest.raises(ValueError):
        Namer().make("import x;", "a")


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_numbers_round_trip_exactly(x: float) -> None:
    import math

    text = number(x)
    assert re.fullmatch(r"\(?-?(\d[\d.e+-]*|math\.(inf|nan))\)?", text)
    value = float(text.strip("()").replace("math.", ""))
    assert (math.isnan(x) and math.isnan(value)) or value == x


def test_arrays_use_pysd_printed_precision() -> None:
    assert as_printed_by_pysd(np.array([1 / 3, 2.0])).tolist() == [0.33333333, 2.0]
    # numpy switches to 8-digit scientific notation when magnitudes differ widely
    assert as_printed_by_pysd(np.array([1 / 3, 1e-9])).tolist() == [0.333333333, 1e-09]


# --------------------------------------------------------------------------- PySD helpers
class _Time:
    """Minimal stand-in of PySD's Time object for its functions."""

    def __init__(self, t: float, dt: float) -> None:
        self.t, self.dt = t, dt

    def __call__(self) -> float:
        return self.t

    def time_step(self) -> float:
        return self.dt


TIMES = np.round(np.arange(0, 12.0001, 0.25), 10)


@pytest.mark.parametrize("t", TIMES)
def test_time_functions_match_pysd(t: float) -> None:
    from pysd.py_backend import functions as pf

    time = _Time(t, 0.25)
    assert sup.f_step(t, 0.25, 3.0, 4.0) == pf.step(time, 3.0, 4.0)
    assert sup.f_ramp(t, 2.0, 1.0, 6.0) == pf.ramp(time, 2.0, 1.0, 6.0)
    assert sup.f_ramp_open(t, 2.0, 1.0) == pf.ramp(time, 2.0, 1.0)
    assert sup.f_pulse(t, 2.0, 1.5) == pf.pulse(time, 2.0, width=1.5)
    assert sup.f_pulse_train(t, 1.0, 3.0, 1.0, 10.0, 1.0) == pf.pulse(
        time, 1.0, repeat_time=3.0, width=1.0, end=10.0
    )
    assert sup.f_pulse_magnitude(t, 0.25, 2.0, 5.0, 0.0) == pf.pulse(time, 2.0, magnitude=5.0)


@settings(deadline=None)  # the first call loads the jitted helpers
@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_arithmetic_helpers_match_pysd(a: float, b: float) -> None:
    from pysd.py_backend import functions as pf

    assert sup.f_xidz(a, b, 7.0) == pf.xidz(a, b, 7.0)
    assert sup.f_zidz(a, b) == pf.zidz(a, b)
    assert sup.f_integer(a) == pf.integer(a)
    assert sup.f_quantum(a, b) == pf.quantum(a, b)
    assert sup.f_modulo(a, b) == pytest.approx(pf.modulo(a, b), rel=1e-12, abs=1e-12)
    assert sup.f_min(a, b) == min(a, b) and sup.f_max(a, b) == max(a, b)


def test_min_max_propagate_nan_as_numpy() -> None:
    assert np.isnan(sup.f_min(np.nan, 1.0)) and np.isnan(sup.f_max(1.0, np.nan))


@pytest.mark.parametrize("mode,name", [(0, "interpolate"), (1, "extrapolate"), (2, "hold_backward")])
def test_lookup_matches_pysd(mode: int, name: str) -> None:
    import warnings

    from pysd.py_backend.lookups import HardcodedLookups

    xs, ys = np.array([0.0, 2.0, 6.0, 10.0]), np.array([1.0, 3.0, 2.0, 5.0])
    ref = HardcodedLookups(list(xs), list(ys), {}, name, {}, "tab")
    ref.initialize()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySD warns when extrapolating
        for x in np.linspace(-3, 13, 65):
            assert sup.f_lookup(x, xs, ys, lookup_slopes(xs, ys), mode) == pytest.approx(
                ref(x), rel=1e-14, abs=1e-14)


def test_delay_orders_follow_pysd() -> None:
    assert sup.f_delay_order(3.0, 1.0, 2.5) == 2
    assert sup.f_delay_order(3.0, 0.25, 2.5) == 3
    assert sup.f_fixed_delay_order(2.0, 0.25) == 8
    assert sup.f_fixed_delay_order(0.1, 0.25) == 1



def test_tuple_moves_read_and_write_the_entries_indexing_does() -> None:
    import numba

    @numba.njit
    def moves(a, b):
        x = sup.f_load_tuple(a, 2, 3)
        sup.f_store_tuple(b, 1, (x[2], 7, True, x[0] / 3.0))
        return x

    a = np.arange(10.0) * 1.1
    strided = np.arange(20.0)[::2] * 1.3  # a non-contiguous array reads its own entries
    for src in (a, strided):
        b = np.full(6, -1.0)
        assert moves(src, b) == (src[2], src[3], src[4])
        assert b.tolist() == [-1.0, src[4], 7.0, 1.0, src[2] / 3.0, -1.0]


def test_param_reads_move_to_the_start_in_runs_of_columns() -> None:
    from sdmodels.compiler._kernel import _Chunk, _group_param_reads

    first = _Chunk("a", ["# A", "v_a = Pi[3]", "v_b = v_a * 2", "v_c = Pi[4]"])
    second = _Chunk("b", ["v_d = Pi[7]", "v_e = Pi[5]", "v_f = v_g + 1", "v_g = Pi[6]",
                          "for q in range(2):", "    w_h[q] = Pi[8 + q]", "v_k = Pi[9]"])
    _group_param_reads([first, second])
    assert first.lines == ["(v_a, v_c, v_e, ) = f_load_tuple(Pi, 3, 3)", "v_d = Pi[7]",
                           "v_k = Pi[9]", "# A", "v_b = v_a * 2"]
    # v_g is read before its line, and a read inside a loop stays where it is
    assert second.lines == ["v_f = v_g + 1", "v_g = Pi[6]", "for q in range(2):",
                            "    w_h[q] = Pi[8 + q]"]

# ------------------------------------------------------------------------------ subscripts
@pytest.fixture
def resolver() -> SubscriptResolver:
    return SubscriptResolver(
        {"region": ["north", "south", "east"], "sub": ["north", "south"],
         "zone": ["z1", "z2", "z3"], "age": ["young", "old"]},
        {"zone": ["region"]},
    )


def test_component_cells_with_except(resolver: SubscriptResolver) -> None:
    cells = resolver.component_cells(["region", "age"], [["north", "age"]])
    assert [c for c, _, _ in cells] == [
        ("south", "young"), ("south", "old"), ("east", "young"), ("east", "old")]
    assert cells[0][1] == {"region": "south", "age": "young"}
    assert cells[0][2] == 2  # position in the full block, for literal arrays


def test_references_resolve_by_name_subrange_and_mapping(resolver: SubscriptResolver) -> None:
    assert resolver.resolve(["region"], ["region"], {"region": "east"}) == ("east",)
    assert resolver.resolve(["region"], ["region"], {"sub": "south"}) == ("south",)
    assert resolver.resolve(["zone"], ["zone"], {"region": "south"}) == ("z2",)
    assert resolver.resolve(["region", "age"], ["north", "age!"], {"age!": "old"}) == ("north", "old")
    with pytest.raises(SubscriptError):
        resolver.resolve(["age"], ["age"], {"region": "north"})
    with pytest.raises(SubscriptError):
        resolver.resolve(["region"], ["region!"], {})


# ------------------------------------------------------------------------------- time grid
@pytest.mark.parametrize(
    "initial,final,dt,saveper",
    [(0.0, 10.0, 0.25, 1.0), (2024.0, 2040.0, 0.0625, 1.0), (0.0, 1.0, 0.1, 0.1), (0.0, 3.0, 0.3, 0.9)],
)
def test_time_grid_matches_pysd(initial: float, final: float, dt: float, saveper: float) -> None:
    from pysd.py_backend.components import Time

    times, saved, labels = time_grid(initial, final, dt, saveper)
    clock = Time()
    clock.set_control_vars(initial_time=initial, final_time=final, time_step=dt, saveper=saveper)
    clock.add_return_timestamps(None)
    ref_times, ref_saved, ref_labels = [], [], []
    while True:
        ref_times.append(clock())
        ref_saved.append(clock.in_return())
        if ref_saved[-1]:
            ref_labels.append(clock.round())
        if not clock.in_bounds():
            break
        clock.update(clock() + clock.time_step())
    assert times.tolist() == ref_times
    assert saved.tolist() == ref_saved
    assert labels.tolist() == ref_labels


def test_time_grid_rejects_bad_controls() -> None:
    from sdmodels.compiler import ParameterValueError

    with pytest.raises(ParameterValueError, match="TIME STEP"):
        time_grid(0.0, 1.0, 0.0, 1.0)
    with pytest.raises(ParameterValueError, match="FINAL TIME"):
        time_grid(5.0, 1.0, 0.5, 1.0)


@pytest.mark.parametrize("n", [2, 6, 16, 17, 40])
def test_lookup_of_short_and_long_tables_interpolates_as_numpy(n: int) -> None:
    """Tables of at most 16 points are searched linearly, longer ones by bisection: both give
    np.interp's value (PySD's), at the points, between them and beyond the ends."""
    rng = np.random.default_rng(n)
    xs = np.cumsum(rng.uniform(0.1, 1.0, n))
    ys = rng.normal(size=n)
    slopes = lookup_slopes(xs, ys)
    for x in np.concatenate([np.linspace(xs[0] - 1, xs[-1] + 1, 101), xs]):
        assert sup.f_lookup(x, xs, ys, slopes, 0) == pytest.approx(np.interp(x, xs, ys),
                                                                    rel=1e-14, abs=1e-14)
        # bit for bit the interpolation with the division made at the call
        j = min(int(np.searchsorted(xs, x)), n - 1)
        if xs[0] < x < xs[-1] and xs[j] != x:
            at_call = (ys[j] - ys[j - 1]) / (xs[j] - xs[j - 1]) * (x - xs[j - 1]) + ys[j - 1]
            assert sup.f_lookup(x, xs, ys, slopes, 0) == at_call
    # NaN in, NaN out, in every mode, without reading past the table (NUMBA_BOUNDSCHECK=1 found
    # the bisection's index n for a NaN)
    assert all(np.isnan(sup.f_lookup(np.nan, xs, ys, slopes, mode)) for mode in range(5))
