"""The small test models mean what they say: PySD's output checked against values worked out by hand.

Each test runs PySD (through the cached :func:`sdmodels.testing.pysd_reference`) on one test model and
compares it with an analytic or hand-computed answer. Euler integration is written out explicitly
where a stock is involved: ``S(t + dt) = S(t) + dt * flow(t)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmodels.testing import (
    assert_matches_pysd,
    assert_outputs_close,
    declared_ranges,
    draw_parameters,
    pysd_reference,
)

from .conftest import TEST_MODELS_DIR, small_model_paths

RTOL = 1e-12


def ref(name: str, params: dict | None = None):
    return pysd_reference(TEST_MODELS_DIR / name, params)


def euler(flow, initial: float, time: np.ndarray) -> np.ndarray:
    """Integrate ``flow(t, s)`` with Euler steps of the model's time step, on the saved grid."""
    out = np.empty(len(time))
    s = initial
    for k, t in enumerate(time):
        out[k] = s
        if k + 1 < len(time):
            s = s + (time[k + 1] - t) * flow(t, s)
    return out


# ------------------------------------------------------------------------------------ stocks
@pytest.mark.parametrize("params", [None, {"decay_rate": 0.3, "initial_stock": 50.0}])
def test_exponential_decay_is_euler_geometric(params):
    r = ref("exponential_decay.mdl", params)
    k = (params or {}).get("decay_rate", 0.2)
    s0 = (params or {}).get("initial_stock", 100.0)
    dt = 0.25
    expected = s0 * (1 - k * dt) ** (r.time / dt)
    np.testing.assert_allclose(r["stock"], expected, rtol=RTOL)
    np.testing.assert_allclose(r["outflow"], k * expected, rtol=RTOL)
    assert r.time[0] == 0 and r.time[-1] == 10 and len(r.time) == 41


def test_time_series_override_in_pysd():
    """A pandas Series over time replaces a constant and is interpolated between its points."""
    series = pd.Series([0.1, 0.3, 0.1], index=[0.0, 5.0, 10.0])
    r = ref("exponential_decay.mdl", {"decay_rate": series})
    k = np.interp(r.time, series.index, series.to_numpy())
    expected = euler(lambda t, s: -np.interp(t, series.index, series.to_numpy()) * s, 100.0,
                     r.time)
    np.testing.assert_allclose(r["decay_rate"], k, rtol=RTOL)
    np.testing.assert_allclose(r["stock"], expected, rtol=RTOL)


def test_nonnegative_stock_is_clipped_and_flow_is_floored():
    r = ref("nonnegative_stock.xmile")
    expected = euler(lambda t, s: 2.0 - 8.0, 20.0, r.time)
    np.testing.assert_allclose(r["unconstrained_inventory"], expected, rtol=RTOL)
    clipped = np.empty_like(r.time)
    s = 20.0
    for k in range(len(r.time)):
        clipped[k] = s
        s = max(s + 0.25 * (2.0 - 8.0), 0.0)
    np.testing.assert_allclose(r["inventory"], clipped, rtol=RTOL, atol=1e-12)
    assert r["inventory"].min() == 0.0 and r["unconstrained_inventory"].min() < -30
    np.testing.assert_allclose(r["net_change"], np.maximum(2.0 - 8.0 + r.time, 0.0), atol=1e-12)


# ------------------------------------------------------------------------------------ operators
def test_arithmetic_and_logic_operators():
    r = ref("arithmetic_logic.mdl")
    a, b = 3.0, 2.0
    scalars = {
        "sum_ab": a + b, "difference_ab": a - b, "product_ab": a * b, "quotient_ab": a / b,
        "power_ab": a**b, "unary_signs": -a + b + a,
        "precedence": a + b * a**2 / b - a / b / 2 - 0.5,
        "greater_flag": 1.0, "comparison_code": 1.0, "not_flag": 0.0,
    }
    for name, value in scalars.items():
        np.testing.assert_allclose(r[name], value, rtol=RTOL, err_msg=name)
    t = r.time
    np.testing.assert_array_equal(r["time_switch"], np.where(t > 5, a, b))
    np.testing.assert_array_equal(r["nested_if"], np.where(t < 3, 1, np.where(t < 5, 2, 3)))
    acc = euler(lambda tt, s: a if tt > 5 else b, 0.0, t)
    np.testing.assert_allclose(r["accumulated_switch"], acc, rtol=RTOL)


def test_logic_operators_when_operands_are_equal():
    r = ref("arithmetic_logic.mdl", {"a": 2.0, "b": 2.0})
    np.testing.assert_array_equal(r["comparison_code"], 110.0)  # a<=b (10) and a=b (100)
    np.testing.assert_array_equal(r["not_flag"], 1.0)
    np.testing.assert_array_equal(r["greater_flag"], 0.0)


def test_math_functions():
    r = ref("math_functions.mdl")
    t = r.time
    x = 0.5 + 0.6 * t
    sx = x - 3
    div = np.where(t >= 5, 2.0, 0.0)
    expected = {
        "min_max_value": np.minimum(x, 2) + np.maximum(x, 2) * 10,
        "abs_value": np.abs(sx),
        "exp_value": np.exp(x / 5),
        "ln_value": np.log(x),
        "log_value": np.log(x) / np.log(10) + np.log(x + 1) / np.log(2),
        "sqrt_value": np.sqrt(x),
        "trig_value": np.sin(x) + np.cos(x) * 10 + np.tan(x / 10) * 100,
        "inverse_trig_value": np.arcsin(np.sin(x) / 2) + np.arccos(np.cos(x) / 2) * 10
        + np.arctan(sx) * 100,
        # INTEGER truncates towards zero
        "integer_value": np.trunc(sx * 1.5),
        # MODULO keeps the sign of the dividend: x - 1.25 * trunc(x / 1.25)
        "modulo_value": sx * 1.5 - 1.25 * np.trunc(sx * 1.5 / 1.25),
        "power_value": x**1.5 + 2.0**sx,
        "quantum_value": 0.7 * np.trunc(sx * 1.5 / 0.7) + x * 100,
        "zidz_value": np.where(div == 0, 0.0, x / np.where(div == 0, 1, div)),
        "xidz_value": np.where(div == 0, 99.0, x / np.where(div == 0, 1, div)),
        # below 1e-6 a divisor counts as zero; QUANTUM and MODULO then leave x as it is
        "tiny_divisor_value": 0 + 7 * 10 + x * 100 + 0 * 1000,
    }
    for name, value in expected.items():
        np.testing.assert_allclose(r[name], value, rtol=1e-12, atol=1e-12, err_msg=name)
    # the inputs cover both signs, so truncation and sign conventions are exercised
    assert (sx < -1).any() and (sx > 1).any()
    assert (r["modulo_value"] < 0).any() and (r["modulo_value"] > 0).any()


# ------------------------------------------------------------------------------------ time
def test_time_functions():
    r = ref("time_functions.mdl")
    t = r.time
    np.testing.assert_allclose(t, np.arange(2.0, 12.0 + 1e-9, 0.5))  # SAVEPER 0.5, dt 0.125
    np.testing.assert_array_equal(r["step_input"], np.where(t >= 5, 2.0, 0.0))
    np.testing.assert_allclose(r["ramp_input"], 0.5 * np.clip(t - 4, 0, 4), rtol=RTOL)
    np.testing.assert_array_equal(r["pulse_input"], np.where((t >= 6) & (t < 7), 1.0, 0.0))
    on = (t >= 3) & (t < 9) & (((t - 3) % 2) < 0.5)
    np.testing.assert_array_equal(r["pulse_train_input"], np.where(on, 1.0, 0.0))
    np.testing.assert_array_equal(r["time_now"], t)
    np.testing.assert_array_equal(r["time_step_value"], 0.125)
    np.testing.assert_array_equal(r["initial_time_value"], 2.0)
    np.testing.assert_array_equal(r["final_time_value"], 12.0)
    np.testing.assert_array_equal(r["saveper_value"], 0.5)
    np.testing.assert_allclose(r["elapsed_fraction"], (t - 2) / 10, rtol=RTOL)
    # pulses [3, 3.5), [5, 5.5), [7, 7.5) of 4 steps each; the one at 9 is cut by the end time
    np.testing.assert_allclose(r["pulse_count"][-1], 12.0, rtol=RTOL)
    np.testing.assert_allclose(r["pulse_count"][t == 4.0], 4.0, rtol=RTOL)


def test_step_between_time_steps():
    """A step time between two time steps takes effect at the first step at or after it."""
    r = ref("time_functions.mdl", {"step_time": 5.3})
    # saved every 0.5: 5.0 is before the step, 5.5 after
    np.testing.assert_array_equal(r["step_input"], np.where(r.time >= 5.3, 2.0, 0.0))


def test_initial_functions():
    r = ref("initial_functions.mdl")
    t = r.time
    stock = 50.0 * (1 + 0.1 * 0.25) ** (t / 0.25)
    np.testing.assert_allclose(r["growing_stock"], stock, rtol=RTOL)
    np.testing.assert_array_equal(r["initial_snapshot"], 50.0)
    np.testing.assert_allclose(r["relative_to_start"], stock / 50.0, rtol=RTOL)
    np.testing.assert_allclose(r["active_initial_value"], 2 * stock, rtol=RTOL)
    np.testing.assert_array_equal(r["stock_used_by_initialisation"], 25.0)
    np.testing.assert_allclose(r["sampled_value"], np.where(stock > 80, stock, 50.0), rtol=RTOL)
    np.testing.assert_array_equal(r["sampled_at_switch"], np.where(t < 4, -1.0, np.minimum(t, 4.25)))


# ------------------------------------------------------------------------------------ smooth/delay
def _first_order(x: np.ndarray, tau: float, y0: float, dt: float) -> np.ndarray:
    y = np.empty_like(x)
    y[0] = y0
    for k in range(len(x) - 1):
        y[k + 1] = y[k] + dt * (x[k] - y[k]) / tau
    return y


def test_smooth_functions():
    r = ref("smooth_functions.mdl")
    t, dt = r.time, 0.25
    x = np.where(t >= 2, 10.0, 0.0)
    np.testing.assert_array_equal(r["step_input"], x)
    np.testing.assert_allclose(r["smoothed"], _first_order(x, 2.0, 0.0, dt), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(r["smoothed_i"], _first_order(x, 2.0, 4.0, dt), rtol=RTOL)
    s3 = x
    for _ in range(3):  # SMOOTH3 = three first-order stages, each with a third of the time
        s3 = _first_order(s3, 2.0 / 3, s3[0] if s3 is x else 0.0, dt)
    np.testing.assert_allclose(r["smoothed_3"], s3, rtol=RTOL, atol=1e-12)
    s3i = x
    for _ in range(3):
        s3i = _first_order(s3i, 2.0 / 3, 4.0, dt)
    np.testing.assert_allclose(r["smoothed_3i"], s3i, rtol=RTOL)
    sn = x
    for _ in range(4):
        sn = _first_order(sn, 2.0 / 4, 4.0, dt)
    np.testing.assert_allclose(r["smoothed_n"], sn, rtol=RTOL)
    # a smooth of a step ends close to the step height
    assert abs(r["smoothed"][-1] - 10.0) < 0.2


def test_delay_functions():
    r = ref("delay_functions.mdl")
    t, dt = r.time, 0.125
    inflow = 10.0 * ((t >= 1) & (t < 3)) + 1.0
    np.testing.assert_array_equal(r["inflow"], inflow)
    # DELAY FIXED shifts the input by 1.5 (12 steps) and gives the initial value before that
    shifted = np.where(t >= 1.5, np.interp(t - 1.5, t, inflow), 3.0)
    np.testing.assert_allclose(r["delayed_fixed"], shifted, rtol=RTOL)
    # DELAY1: one stock initialised at input*delay, outflow stock/delay
    np.testing.assert_allclose(r["delayed_1"], _first_order(inflow, 2.0, 1.0, dt), rtol=RTOL)
    np.testing.assert_allclose(r["delayed_1i"], _first_order(inflow, 2.0, 3.0, dt), rtol=RTOL)
    d3 = inflow
    for _ in range(3):  # DELAY3 = three first-order stages, each a third of the delay
        d3 = _first_order(d3, 2.0 / 3, 1.0, dt)
    np.testing.assert_allclose(r["delayed_3"], d3, rtol=RTOL)
    dn = inflow
    for _ in range(5):
        dn = _first_order(dn, 2.0 / 5, 3.0, dt)
    np.testing.assert_allclose(r["delayed_n"], dn, rtol=RTOL)
    # material is conserved: in transit = what entered minus what left
    np.testing.assert_allclose(r["in_transit"], euler(
        lambda tt, s: np.interp(tt, t, inflow) - np.interp(tt, t, d3), 2.0, t), rtol=RTOL)


def test_trend_and_forecast():
    r = ref("trend_forecast.mdl")
    t, dt = r.time, 0.25
    x = 100.0 * np.exp(0.05 * t)
    # TREND: average AV starts at input/(1 + initial trend * average time), trend = (input-AV)/(T*AV)
    av = _first_order(x, 2.0, x[0] / (1 + 0.02 * 2.0), dt)
    np.testing.assert_allclose(r["input_trend"], (x - av) / (2.0 * av), rtol=1e-10)
    # FORECAST: AV starts at the input, forecast = input * (1 + trend * horizon)
    av = _first_order(x, 2.0, x[0], dt)
    np.testing.assert_allclose(r["input_forecast"], x * (1 + (x - av) / (2.0 * av) * 3.0),
                               rtol=1e-10)
    # for an exponential input the trend settles at its growth rate
    assert abs(r["input_trend"][-1] - 0.05) < 0.001


# ------------------------------------------------------------------------------------ lookups
def test_vensim_lookups_interpolate_and_hold_at_the_ends():
    r = ref("lookups.mdl")
    x = -2 + 1.4 * r.time
    assert x.min() < 0 and x.max() > 10  # the sweep leaves the tables on both sides
    np.testing.assert_allclose(
        r["effect"], np.interp(x, [0, 2, 5, 8, 10], [0.5, 0.8, 1, 1.5, 2]), rtol=RTOL)
    np.testing.assert_allclose(
        r["unranged_effect"], np.interp(x, [0, 1, 3, 4, 9], [1, 3, 2, 2, 0]), rtol=RTOL)
    np.testing.assert_allclose(
        r["time_effect"], np.interp(r.time, [0, 2, 5, 8, 10], [0.5, 0.8, 1, 1.5, 2]), rtol=RTOL)
    np.testing.assert_allclose(
        r["inline_effect"], np.interp(x, [0, 2, 6, 10], [0, 4, 5, 10]), rtol=RTOL)
    np.testing.assert_allclose(r["regional_effect"][:, 0], np.interp(x, [0, 10], [1, 2]),
                               rtol=RTOL)
    np.testing.assert_allclose(r["regional_effect"][:, 1], np.interp(x, [0, 5, 10], [3, 1, 0]),
                               rtol=RTOL, atol=1e-12)
    assert r.dims["regional_effect"] == (("region", ("north", "south")),)
    # PySD keeps 8 decimals of lookup tables and literal arrays (it writes them into its Python
    # model with np.array2string)
    ys = np.round([0.123456789123, 3.14159265358979, 2.718281828459045], 8)
    values = np.round([0.123456789123, 2.718281828459045], 8)
    np.testing.assert_array_equal(r["precise_values"][0], values)
    np.testing.assert_allclose(
        r["precise_effect"], np.interp(x, [0, 5, 10], ys)[:, None] * values, rtol=1e-15)
    assert abs(r["precise_effect"][-1, 1] - np.e**2) > 1e-9


def test_xmile_lookup_modes():
    r = ref("lookups_xmile.xmile")
    x = -2 + 1.4 * r.time
    xs, ys = np.array([0, 2, 6, 10.0]), np.array([1, 3, 2, 5.0])
    np.testing.assert_allclose(r["continuous_effect"], np.interp(x, xs, ys), rtol=RTOL)
    lo = ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
    hi = ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    extrapolated = np.where(x < 0, lo, np.where(x > 10, hi, np.interp(x, xs, ys)))
    np.testing.assert_allclose(r["extrapolate_effect"], extrapolated, rtol=RTOL)
    dys = np.array([1, 3, 2, 5, 4, 0.0])  # discrete: the value of the last point at or below x
    idx = np.clip(np.searchsorted(np.linspace(0, 10, 6), x, side="right") - 1, 0, 5)
    np.testing.assert_allclose(r["discrete_effect"], dys[idx], rtol=RTOL)
    # PySD 3.14 ignores the type of an inline <gf>: every inline table interpolates and holds
    inline = np.interp(x, [0, 5, 10], [0, 4, 3])
    for name in ("inline_continuous", "inline_extrapolate", "inline_discrete"):
        np.testing.assert_allclose(r[name], inline, rtol=RTOL, err_msg=name)


# ------------------------------------------------------------------------------------ subscripts
def test_one_dimensional_subscripts_and_vector_functions():
    r = ref("subscripts_1d.mdl")
    t = r.time
    g = np.array([0.01, 0.02, 0.03])
    pop = np.array([100.0, 200, 300]) * (1 + g * 0.25) ** (t[:, None] / 0.25)
    np.testing.assert_allclose(r["population"], pop, rtol=RTOL)
    np.testing.assert_allclose(r["total_population"], pop.sum(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["smallest_population"], pop.min(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["largest_population"], pop.max(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["growth_product"], np.prod(1 + g), rtol=RTOL)
    share = pop / pop.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r["scaled_share"], share * 2 + t[:, None], rtol=RTOL)
    np.testing.assert_allclose(r["north_minus_east"], pop[:, 0] - pop[:, 2], rtol=RTOL)
    np.testing.assert_allclose(r["weighted_growth"], (pop * g).sum(axis=1) / pop.sum(axis=1),
                               rtol=RTOL)
    rel = pop / pop[0]
    np.testing.assert_allclose(r["spread"], rel.max(axis=1) - rel.min(axis=1), rtol=RTOL,
                               atol=1e-14)
    births = pop * g
    np.testing.assert_allclose(r["smoothed_births"][:, 1],
                               _first_order(births[:, 1], 2.0, births[0, 1], 0.25), rtol=RTOL)
    assert r.dims["population"] == (("region", ("north", "south", "east")),)


def test_two_dimensional_subscripts():
    r = ref("subscripts_2d.mdl")
    pop = r["population"]  # (time, age, sex)
    assert r.dims["population"] == (("age", ("young", "old")), ("sex", ("female", "male")))
    np.testing.assert_array_equal(pop[0], [[10, 12], [20, 18]])
    np.testing.assert_allclose(r["total_by_age"], pop.sum(axis=2), rtol=RTOL)
    np.testing.assert_allclose(r["total_by_sex"], pop.sum(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["grand_total"], pop.sum(axis=(1, 2)), rtol=RTOL)
    np.testing.assert_allclose(r["largest_by_age"], pop.max(axis=2), rtol=RTOL)
    np.testing.assert_allclose(r["smallest_by_sex"], pop.min(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["survival_product"][0], [0.99**2, 0.95**2], rtol=RTOL)
    np.testing.assert_allclose(r["weighted_by_sex"], pop[:, 0] * 1 + pop[:, 1] * 3, rtol=RTOL)
    assert r.dims["share_transposed"] == (("sex", ("female", "male")), ("age", ("young", "old")))
    np.testing.assert_allclose(
        r["share_transposed"],
        np.transpose(pop / pop.sum(axis=2, keepdims=True), (0, 2, 1)), rtol=RTOL)
    # one Euler step by hand: young females lose deaths and ageing, gain births of both ages
    births = 0.04 * (10 + 20)
    np.testing.assert_allclose(pop[1, 0, 0], 10 + 0.25 * (births - 10 / 4 - 0.01 * 10), rtol=RTOL)


def test_subranges_mapping_and_except():
    r = ref("subscripts_mapping_except.mdl")
    t = r.time
    np.testing.assert_array_equal(r["bonus"][0], [1, 5, 5, 1])
    np.testing.assert_array_equal(r["price"][0], [1, 3, 3, 2])
    adjusted = np.array([10.0, 20, 30, 40]) + [1, 5, 5, 1] + np.clip(t - 2, 0, 4)[:, None]
    np.testing.assert_allclose(r["adjusted_capacity"], adjusted, rtol=RTOL)
    cost = adjusted * [1, 3, 3, 2]
    np.testing.assert_allclose(r["southern_total"], adjusted[:, 1:3].sum(axis=1), rtol=RTOL)
    np.testing.assert_allclose(r["southern_max"], cost[:, 1:3].max(axis=1), rtol=RTOL)
    assert r.dims["southern_doubled"] == (("southern", ("south", "east")),)
    np.testing.assert_allclose(r["southern_doubled"], adjusted[:, 1:3] * 2, rtol=RTOL)
    expected = adjusted + cost.sum(axis=1, keepdims=True) / 100
    expected[:, 0] = -adjusted[:, 0]
    np.testing.assert_allclose(r["except_sum"], expected, rtol=RTOL)
    np.testing.assert_allclose(r["mapped_values"], np.array([1.0, 2, 3]) * t[:, None], rtol=RTOL)
    assert r.dims["mapped_values"] == (("target", ("t1", "t2", "t3")),)
    np.testing.assert_allclose(r["mapped_stock"][-1], [1, 2, 3] + np.array([1, 2, 3]) * sum(
        0.25 * tt for tt in t[:-1]), rtol=RTOL)


# ------------------------------------------------------------------------------------ draws
def test_declared_ranges_and_draws_respect_the_model_file():
    path = TEST_MODELS_DIR / "delay_functions.mdl"
    ranges = declared_ranges(path)
    assert ranges["delay_time"] == (1.0, 3.0, None)
    assert ranges["fixed_delay_time"] == (0.25, 3.0, 0.25)
    assert "time_step" not in ranges and "delayed_fixed" not in ranges
    draws = draw_parameters(path, 200, seed=0)
    assert set(draws) == set(ranges)
    for py, (lo, hi, inc) in ranges.items():
        assert draws[py].shape == (200,)
        assert draws[py].min() >= lo and draws[py].max() <= hi, py
        if inc is not None:
            steps = (draws[py] - lo) / inc
            np.testing.assert_allclose(steps, np.round(steps), atol=1e-9, err_msg=py)
    assert draws["delay_order"].dtype.kind == "i"
    np.testing.assert_array_equal(draw_parameters(path, 5, seed=0)["delay_time"],
                                  draw_parameters(path, 5, seed=0)["delay_time"])
    assert not np.array_equal(draw_parameters(path, 5, seed=1)["delay_time"],
                              draw_parameters(path, 5, seed=0)["delay_time"])


def test_subscripted_draws_have_one_value_per_element():
    draws = draw_parameters(TEST_MODELS_DIR / "subscripts_2d.mdl", 4, seed=3)
    assert draws["initial_population"].shape == (4, 2, 2)
    assert draws["birth_rate"].shape == (4, 2)
    assert len(np.unique(draws["initial_population"])) == 16


# ------------------------------------------------------------------------------------ the assertion
class PySDBackedModel:
    """Stands in for a compiled model by running PySD once per sample.

    It has the compiled engine's interface (``time``, ``dims``, ``outputs``, ``run``), so the
    equivalence assertions can be tested without the compiler: they must pass on PySD itself and fail
    on a perturbed copy.
    """

    def __init__(self, path: Path, *, perturb: tuple[str, int, int] | None = None,
                 drop: str | None = None) -> None:
        from sdmodels.testing import _model

        self.path = path
        self.model = _model(path)
        ref = pysd_reference(path)
        self.time = ref.time
        self.dims = ref.dims
        self.outputs = [py for py in ref if py != drop]
        self.perturb = perturb

    def run(self, params, n, *, return_columns=None):
        from sdmodels.testing import _sample_params

        fixed = {k: v for k, v in params.items() if isinstance(v, pd.Series) or np.ndim(v) == 0}
        draws = {k: np.asarray(v) for k, v in params.items() if k not in fixed}
        refs = [pysd_reference(self.path, _sample_params(self.model, fixed, draws, i))
                for i in range(n)]
        out = {py: np.stack([r[py] for r in refs]) for py in self.outputs}
        if self.perturb is not None:
            py, sample, t = self.perturb
            if sample < n:
                out[py][sample, t] += 1e-6 * (1 + abs(out[py][sample, t]))
        return out


@pytest.mark.parametrize("name", ["exponential_decay.mdl", "subscripts_2d.mdl"])
def test_assert_matches_pysd_accepts_pysd_itself(name: str) -> None:
    path = TEST_MODELS_DIR / name
    assert_matches_pysd(path, n_random=2, compiled=PySDBackedModel(path))


def test_assert_matches_pysd_reports_the_first_difference() -> None:
    path = TEST_MODELS_DIR / "subscripts_2d.mdl"
    stub = PySDBackedModel(path, perturb=("population", 1, 9))
    with pytest.raises(AssertionError) as info:
        assert_matches_pysd(path, n_random=2, compiled=stub)
    message = str(info.value)
    assert "'population' (population)[young,female]" in message
    assert "time 2.25 in sample 1" in message and "random batch of 2" in message
    assert "compiled" in message and "PySD" in message


def test_assert_matches_pysd_reports_missing_outputs() -> None:
    path = TEST_MODELS_DIR / "exponential_decay.mdl"
    with pytest.raises(AssertionError, match="does not return 1 variable.*outflow"):
        assert_matches_pysd(path, compiled=PySDBackedModel(path, drop="outflow"))


def test_assert_outputs_close_follows_the_compiled_axis_order() -> None:
    path = TEST_MODELS_DIR / "subscripts_2d.mdl"
    ref = pysd_reference(path)
    compiled = {py: values[None] for py, values in ref.items()}
    dims = dict(ref.dims)
    compiled["population"] = np.transpose(compiled["population"], (0, 1, 3, 2))
    dims["population"] = tuple(reversed(ref.dims["population"]))
    assert_outputs_close(compiled, ref.time, [ref], compiled_dims=dims)
    dims["population"] = (("sex", ("male", "female")), ("age", ("young", "old")))
    with pytest.raises(AssertionError, match="coordinates"):
        assert_outputs_close(compiled, ref.time, [ref], compiled_dims=dims)


def test_builtins_with_subscripted_arguments():
    r = ref("subscripted_builtins.mdl")
    t = r.time
    pulse = np.where((t >= 2) & (t < 3), 3.0, 0.0)
    x = np.array([10.0, 20, 30]) + np.array([0.5, 1, 1.5]) * t[:, None] + pulse[:, None]
    np.testing.assert_allclose(r["input_1"], x, rtol=RTOL)  # PySD renames "input" (a builtin)
    np.testing.assert_allclose(
        r["response"], np.interp(x, [0, 20, 40, 60], [0, 1, 1.5, 2]), rtol=RTOL)
    np.testing.assert_allclose(r["capped"], np.minimum(x, 25) + np.maximum(x - 25, 0) * 0.5,
                               rtol=RTOL)
    np.testing.assert_array_equal(r["above"], (x > 25).astype(float))
    np.testing.assert_array_equal(r["regions_above"], (x > 25).sum(axis=1))
    np.testing.assert_array_equal(r["first_input"], np.broadcast_to(x[0], x.shape))
    held = np.zeros_like(x)  # SAMPLE IF TRUE follows the input while true, then holds
    for k in range(len(t)):
        held[k] = np.where(x[k] > 25, x[k], held[k - 1] if k else 0.0)
    np.testing.assert_allclose(r["sampled"], held, rtol=RTOL)
    assert np.any(held != np.where(x > 25, x, 0.0))  # the pulse makes the hold matter
    shifted = np.vstack([np.broadcast_to(x[0], (4, 3)), x[:-4]])  # 1 month = 4 steps
    np.testing.assert_allclose(r["shifted"], shifted, rtol=RTOL)
    np.testing.assert_allclose(r["stock_a"][0], x[0], rtol=RTOL)
    np.testing.assert_allclose(r["stock_b"][0], 2 * x[0], rtol=RTOL)
    sn = x
    for _ in range(2):
        sn = np.column_stack([_first_order(sn[:, j], 1.5 / 2, x[0, j], 0.25) for j in range(3)])
    np.testing.assert_allclose(r["smoothed_n"], sn, rtol=RTOL)


def test_xmile_builtins():
    r = ref("xmile_builtins.xmile")
    t, dt = r.time, 0.25
    x = 10.0 * (t >= 2) + np.clip(t - 5, 0, 3) + 1
    np.testing.assert_allclose(r["input_1"], x, rtol=RTOL)  # PySD renames "input"
    np.testing.assert_array_equal(r["first_input"], 1.0)
    np.testing.assert_array_equal(r["clock"], t)
    np.testing.assert_allclose(r["smoothed"], _first_order(x, 2.0, 1.0, dt), rtol=RTOL)
    np.testing.assert_allclose(r["smoothed_i"], _first_order(x, 2.0, 4.0, dt), rtol=RTOL)
    np.testing.assert_allclose(r["delayed_1"], r["smoothed"], rtol=RTOL)
    np.testing.assert_allclose(r["delayed_fixed"], np.concatenate([np.full(6, 4.0), x[:-6]]),
                               rtol=RTOL)
    np.testing.assert_allclose(r["ratio"], np.where(x == 11, 0.0, (x - 1) / np.where(
        x == 11, 1, x - 11)), rtol=RTOL)
    np.testing.assert_allclose(r["ratio_x"], np.where(x == 1, -1.0, x / np.where(
        x == 1, 1, x - 1)), rtol=RTOL)
    np.testing.assert_allclose(r["remainder"], 1.7 * x - 3 * np.trunc(1.7 * x / 3), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_array_equal(r["whole_part"], np.trunc(1.7 * x))
    np.testing.assert_allclose(
        r["bounded"], np.clip(x, 3, 9) + np.abs(2 - x) + np.sqrt(x) + np.exp(-x) + np.log(x),
        rtol=RTOL)
    np.testing.assert_array_equal(r["switch"], (r["smoothed"] > 5) & ~(x < 2))


#: Constants left without a range on purpose (see their comments in the model files).
UNRANGED = {("subscripted_builtins.mdl", "order"), ("xmile_builtins.xmile", "pipeline_time"),
            # they set the time grid, which takes one value per batch, not a draw per sample
            *(("control_from_constants.mdl", py) for py in ("start_year", "horizon",
                                                            "steps_per_year")),
            ("control_over_time.mdl", "switch_time")}


@pytest.mark.parametrize("path", small_model_paths(), ids=lambda p: p.name)
def test_every_constant_declares_units_range_and_comment(path: Path) -> None:
    from sdmodels.testing import _model

    model = _model(path)
    ranges = declared_ranges(path)
    for py, info in model.parameters.items():
        assert info.units and info.doc, f"{path.name}: {info.name} needs units and a comment"
        if (path.name, py) not in UNRANGED:
            assert py in ranges, f"{path.name}: {info.name} needs a [min,max] range"
            lo, hi, _ = ranges[py]
            assert np.all((lo <= info.value) & (info.value <= hi)), (
                f"{path.name}: the default of {info.name} lies outside its range")


def test_docstring_examples_of_sdmodels_testing(monkeypatch) -> None:
    """The examples in ``sdmodels.testing`` run as written (from the repository root)."""
    import doctest

    import sdmodels.testing

    monkeypatch.chdir(TEST_MODELS_DIR.parents[2])
    result = doctest.testmod(sdmodels.testing, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def test_reference_does_not_depend_on_numpy_print_options(monkeypatch, tmp_path) -> None:
    """PySD writes tables with np.array2string; the reference translates with numpy's defaults."""
    import sdmodels.batch._registry
    import sdmodels.testing

    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sdmodels.batch._registry, "_MODELS", {})
    with np.printoptions(precision=17):
        r = ref("lookups.mdl")
    np.testing.assert_array_equal(r["precise_values"][0],
                                  np.round([0.123456789123, 2.718281828459045], 8))


def test_control_variables_change_the_reference_grid():
    r = ref("time_functions.mdl",
            {"initial_time": 3.0, "final_time": 9.0, "time_step": 0.0625, "saveper": 0.25})
    np.testing.assert_allclose(r.time, np.arange(3.0, 9.0 + 1e-9, 0.25))
    np.testing.assert_array_equal(r["time_step_value"], 0.0625)
    np.testing.assert_array_equal(r["initial_time_value"], 3.0)
    np.testing.assert_allclose(r["elapsed_fraction"], (r.time - 3) / 6, rtol=RTOL)
    # pulses [3, 3.5), [5, 5.5), [7, 7.5) of 8 steps each now
    np.testing.assert_allclose(r["pulse_count"][-1], 24.0, rtol=RTOL)
