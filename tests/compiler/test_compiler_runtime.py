"""Tests of the compiled runtime: generated source, cache, parameters, outputs, serial vs parallel."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sdmodels.compiler import CompiledModel, ParameterValueError, UnsupportedFeature, compile_model
from sdmodels.errors import UnknownNameError

MODELS = Path(__file__).resolve().parent / "models"

SMALL = """{UTF-8}
Stock = INTEG(inflow - outflow, initial stock) ~ widgets ~|
initial stock = 100 ~ widgets [50, 150] ~|
inflow = growth * Stock + STEP(step height, 3) ~ widgets/Year ~|
growth = 0.05 ~ 1/Year [0, 0.1] ~|
step height = 10 ~ widgets/Year ~|
outflow = MIN(Stock * 0.02, MAX(1, 2)) + IF THEN ELSE(Time > 5, 1, 0) ~ widgets/Year ~|
level[zone] = Stock * weight[zone] ~ widgets ~|
weight[zone] = 1, 2, 3 ~ dmnl ~|
zone: z1, z2, z3 ~~|
total = SUM(level[zone!]) ~ widgets ~|
FINAL TIME = 10 ~ Year ~|
INITIAL TIME = 0 ~ Year ~|
SAVEPER = 1 ~ Year ~|
TIME STEP = 0.25 ~ Year ~|
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> CompiledModel:
    path = tmp_path_factory.mktemp("model") / "small.mdl"
    path.write_text(SMALL)
    return compile_model(path)


def _euler_reference(growth: float, initial: float, height: float = 10.0) -> np.ndarray:
    """The small model's stock, integrated by hand in plain Python (PySD's Euler scheme)."""
    t, dt, stock, saved = 0.0, 0.25, initial, []
    for k in range(41):
        if k % 4 == 0:
            saved.append(stock)
        inflow = growth * stock + (height if t + dt / 2 > 3 else 0.0)
        outflow = min(stock * 0.02, 2.0) + (1.0 if t > 5 else 0.0)
        stock = stock + (inflow - outflow) * dt
        t = t + dt
    return np.array(saved)


# ---------------------------------------------------------------------------------- source
def test_generated_source_is_marked_and_safe(small: CompiledModel) -> None:
    src = small.source
    assert src.splitlines()[0].startswith("# generated from small.mdl by sdmodels.compiler; do not edit")
    assert "eval(" not in src and "exec(" not in src
    compile(src, "kernel.py", "exec")  # valid Python
    kernel = src[src.index("def _sample"):src.index("# names, shapes")]
    for name in re.findall(r"\b(v_\w+)\s*=", kernel):
        assert re.fullmatch(r"v_[a-z0-9_]+", name)
    assert "v_stock = s_integ__stock" in kernel


def test_contract_attributes(small: CompiledModel) -> None:
    assert small.time.tolist() == [float(t) for t in range(11)]
    assert small.defaults["growth"] == 0.05
    np.testing.assert_array_equal(small.defaults["weight"], [1.0, 2.0, 3.0])
    assert small.dims["level"] == (("zone", ("z1", "z2", "z3")),)
    assert {"stock", "inflow", "total", "level", "final_time"} <= set(small.outputs)


# ----------------------------------------------------------------------------------- values
def test_batch_matches_hand_integration(small: CompiledModel) -> None:
    growth = np.array([0.0, 0.03, 0.05, 0.08])
    initial = np.array([60.0, 100.0, 120.0, 150.0])
    out = small.run({"growth": growth, "initial_stock": initial}, 4)
    assert out["stock"].shape == (4, 11)
    for k in range(4):
        np.testing.assert_allclose(out["stock"][k], _euler_reference(growth[k], initial[k]),
                                   rtol=1e-12)
    np.testing.assert_allclose(out["level"], out["stock"][..., None] * [1.0, 2.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(out["total"], out["stock"] * 6.0, rtol=1e-14)


def test_parameter_shapes_broadcast(small: CompiledModel) -> None:
    n = 4  # differs from the subscript length: a (3,) array is one value per cell
    base = small.run({}, n, return_columns=["level"])["level"]
    per_cell = small.run({"weight": [2.0, 2.0, 2.0]}, n, return_columns=["level"])["level"]
    np.testing.assert_allclose(per_cell[..., 0], 2 * base[..., 0])
    per_sample = small.run({"weight": np.array([1.0, 2.0, 3.0, 1.0])[:, None] * [1, 1, 1]}, n,
                           return_columns=["level"])["level"]
    np.testing.assert_allclose(per_sample[2, :, 0], 3 * base[2, :, 0])
    scalar = small.run({"weight": 4.0}, n, return_columns=["level"])["level"]
    np.testing.assert_allclose(scalar[..., 1], 2 * base[..., 1])


def test_only_requested_columns_are_returned(small: CompiledModel) -> None:
    full = small.run({"growth": [0.01, 0.07]}, 2)
    part = small.run({"growth": [0.01, 0.07]}, 2, return_columns=["Stock", "total"])
    assert set(part) == {"stock", "total"}
    np.testing.assert_array_equal(part["stock"], full["stock"])
    np.testing.assert_array_equal(part["total"], full["total"])


def test_serial_equals_parallel(small: CompiledModel) -> None:
    rng = np.random.default_rng(1)
    params = {"growth": rng.uniform(0, 0.1, 50), "initial_stock": rng.uniform(50, 150, 50)}
    a = small.run(params, 50, parallel=True)
    b = small.run(params, 50, parallel=False)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_control_variables_change_the_grid(small: CompiledModel) -> None:
    out = small.run({"final_time": 4, "saveper": 0.5}, 2, return_columns=["stock"])
    assert out["stock"].shape == (2, 9)
    np.testing.assert_allclose(out["stock"][0, ::2], _euler_reference(0.05, 100.0)[:5], rtol=1e-12)
    assert small.saved_times(final_time=4, saveper=0.5).tolist() == list(np.arange(0, 4.01, 0.5))


def test_time_series_parameter_interpolates_and_holds(small: CompiledModel) -> None:
    import pandas as pd

    series = pd.Series([0.0, 20.0], index=[4.0, 8.0])
    out = small.run({"step_height": series}, 1, return_columns=["inflow", "stock"])
    const = small.run({"step_height": 0.0}, 1, return_columns=["inflow", "stock"])
    # before 4 the series holds 0, so the model equals a zero step height
    np.testing.assert_allclose(out["inflow"][0, :5], const["inflow"][0, :5], rtol=1e-15)
    # at t = 6 the series is 10 and the step is on
    expected = 10.0 + 0.05 * out["stock"][0, 6]
    assert out["inflow"][0, 6] == pytest.approx(expected, rel=1e-14)


# ----------------------------------------------------------------------------------- errors
def test_bad_parameters_are_named(small: CompiledModel) -> None:
    with pytest.raises(UnknownNameError, match="grwth"):
        small.run({"grwth": 0.1}, 2)
    with pytest.raises(ParameterValueError, match="FINAL TIME"):
        small.run({"final_time": [10, 12]}, 2)
    with pytest.raises(ParameterValueError, match="shape"):
        small.run({"growth": [0.1, 0.2, 0.3]}, 2)
    with pytest.raises(UnknownNameError):
        small.run({}, 2, return_columns=["no such variable"])
    with pytest.raises(UnknownNameError):  # auxiliaries are not parameters
        small.run({"inflow": 1.0}, 2)


def test_unsupported_feature_names_function_element_and_file(tmp_path: Path) -> None:
    path = tmp_path / "clock.mdl"  # a calendar measure (month): neither engine computes it
    path.write_text(SMALL.replace("growth = 0.05", "growth = GET TIME VALUE(0, 0, 3)"))
    with pytest.raises(UnsupportedFeature) as info:
        compile_model(path)
    assert info.value.function.startswith("GET TIME VALUE")
    assert info.value.element == "growth"
    assert "clock.mdl" in str(info.value)


# ------------------------------------------------------------------------------------ cache
def test_kernels_are_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sdmodels import compiler

    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(compiler, "_MEMORY", {})
    model = tmp_path / "m.mdl"
    model.write_text(SMALL)
    first = compile_model(model)
    assert not first.cache_hit
    assert first.module_path.parent.parent == tmp_path / "cache"
    monkeypatch.setattr(compiler, "_MEMORY", {})
    second = compile_model(model)
    assert second.cache_hit and second.key == first.key
    np.testing.assert_array_equal(second.run({}, 1)["stock"], first.run({}, 1)["stock"])
    model.write_text(SMALL.replace("growth = 0.05", "growth = 0.06"))
    third = compile_model(model)
    assert not third.cache_hit and third.key != first.key
    fresh = compile_model(model, cache=False)
    assert not fresh.cache_hit and "cache" not in str(fresh.module_path.parent)
