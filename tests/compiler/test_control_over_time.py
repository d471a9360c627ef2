"""Control variables that change over time (``TIME STEP = IF THEN ELSE(Time < switch time, 0.5,
0.25)``, a SAVEPER that reads Time): PySD's ``Time`` object calls them at every step, and so do the
compiled kernel (their equations, at each time) and its time grid. Hand-checked and equal to PySD.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import TEST_MODELS_DIR

PATH = TEST_MODELS_DIR / "control_over_time.mdl"


def test_time_step_and_saveper_that_read_time_by_hand(compiled) -> None:
    cm = compiled(PATH)
    # every month; every quarter-month step in the fourth month (SAVEPER = TIME STEP there)
    assert cm.time.tolist() == [0.0, 1.0, 2.0, 3.0, 3.25, 3.5, 3.75, 4.0]
    # their values at INITIAL TIME, as PySD reports them before a run
    assert cm.controls["time_step"] == 0.5 and cm.controls["saveper"] == 1.0
    out = cm.run({"decay_rate": [0.5, 0.25]}, 2)
    t = cm.time
    # Euler: half-month steps to Month 2 (factor 1 - 0.5/2 each), quarter-month steps after
    # (1 - 0.5/4 each)
    expected = np.where(t <= 2, 8 * 0.75 ** (2 * t), 8 * 0.75**4 * 0.875 ** (4 * (t - 2)))
    np.testing.assert_allclose(out["stock"][0], expected, rtol=1e-12)
    np.testing.assert_allclose(out["stock"][1], np.where(
        t <= 2, 8 * 0.875 ** (2 * t), 8 * 0.875**4 * 0.9375 ** (4 * (t - 2))), rtol=1e-12)
    np.testing.assert_array_equal(out["time_step"][0], np.where(t < 2, 0.5, 0.25))
    np.testing.assert_array_equal(out["saveper"][0], [1, 1, 1, 0.25, 0.25, 0.25, 0.25, 1])
    # an auxiliary reading TIME STEP sees the step of its time
    np.testing.assert_allclose(out["lost_per_step"][0],
                               out["stock"][0] * 0.5 * np.where(t < 2, 0.5, 0.25), rtol=1e-15)


def test_control_over_time_matches_pysd(compiled) -> None:
    from sdmodels.testing import assert_matches_pysd

    cm = compiled(PATH)
    assert "switch_time" in cm.grid_parameters
    # switch time sets the time grid: one number for the batch; decay rate is drawn
    assert_matches_pysd(PATH, params={"switch_time": 1.5}, n_random=2, compiled=cm)
    assert cm.saved_times(switch_time=1.5).tolist() == [0.0, 1.0, 2.0, 3.0, 3.25, 3.5, 3.75, 4.0]


@pytest.mark.parametrize("params", [
    {"time_step": 0.125},  # a number: SAVEPER = TIME STEP in the fourth month follows it
    {"saveper": 0.5},  # SAVEPER a number, TIME STEP still from its equation
    {"final_time": 3.5, "switch_time": 2.5},
])
def test_overrides_of_a_control_over_time_match_pysd(compiled, params) -> None:
    from sdmodels.testing import pysd_reference

    cm = compiled(PATH)
    ref = pysd_reference(PATH, params)
    np.testing.assert_allclose(cm.saved_times(**params), ref.time, rtol=0, atol=1e-12)
    out = cm.run(params, 1)
    for py in ("stock", "lost_per_step", "time_step", "saveper"):
        np.testing.assert_allclose(out[py][0], ref[py], rtol=1e-12, err_msg=py)
    if params == {"time_step": 0.125}:
        assert out["time_step"][0].tolist() == [0.125] * len(ref.time)
        assert cm.saved_times(**params).tolist() == [0, 1, 2, 3, *np.arange(3.125, 4.01, 0.125)]


def test_batch_parallel_and_serial_agree(compiled) -> None:
    cm = compiled(PATH)
    rates = np.linspace(0.1, 1.0, 70)
    a = cm.run({"decay_rate": rates}, 70, parallel=True)["stock"]
    b = cm.run({"decay_rate": rates}, 70, parallel=False)["stock"]
    np.testing.assert_array_equal(a, b)


def test_a_time_step_that_is_not_positive_at_some_time_is_a_clear_error(tmp_path) -> None:
    from sdmodels.compiler import ParameterValueError, compile_model

    text = PATH.read_text(encoding="utf-8").replace(
        "IF THEN ELSE(Time < switch time, 0.5, 0.25)", "IF THEN ELSE(Time < switch time, 0.5, 0)")
    path = tmp_path / "zero_step.mdl"
    path.write_text(text, encoding="utf-8")
    cm = compile_model(path, cache=False)
    with pytest.raises(ParameterValueError, match="TIME STEP must be a positive number, got 0.0 at time 2.0"):
        cm.run({}, 1)


GRID_MODEL = """{UTF-8}
rate = 0.5 ~ 1/Month [0.1,1] ~ Fraction lost per month. |
stock = INTEG(-stock * rate, 8) ~ widgets ~ |
per step = stock * rate * TIME STEP ~ widgets ~ Reads the step of its time. |
dt early = 0.5 ~ Month ~ Steps before the switch (no range: it sets the time grid). |
dt late = 0.25 ~ Month ~ Steps from the switch on (no range: it sets the time grid). |
save early = 1 ~ Month ~ Saving before the switch (no range: it sets the time grid). |
save late = 0.5 ~ Month ~ Saving from the switch on (no range: it sets the time grid). |
switch time = 2 ~ Month ~ When both change (no range: it sets the time grid). |
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = IF THEN ELSE(Time < switch time, dt early, dt late) ~ Month ~ |
SAVEPER = IF THEN ELSE(Time < switch time, save early, save late) ~ Month ~ |
"""


@pytest.fixture(scope="module")
def grid_models(tmp_path_factory):
    import warnings

    import pysd

    from sdmodels.compiler import compile_model

    path = tmp_path_factory.mktemp("control_grid") / "control_grid.mdl"
    path.write_text(GRID_MODEL, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pysd.read_vensim(str(path))
    return compile_model(path), reference


# steps and saving periods that are and are not binary fractions (0.1 and 1/3 accumulate
# rounding error, which PySD's tests against TIME STEP * 1e-5 absorb)
_STEPS = [0.5, 0.25, 0.125, 0.1, 0.2, 1 / 3, 0.3]
_SAVES = [1.0, 0.5, 0.25, 0.1, 0.3, 2 / 3]


def test_grid_of_controls_over_time_equals_pysd(grid_models) -> None:
    """Random step and saving schedules (bounded examples): the saved times and the values at
    them equal PySD's, which evaluates the controls at every step."""
    import warnings

    from hypothesis import given, settings
    from hypothesis import strategies as st

    cm, reference = grid_models

    @settings(max_examples=12, deadline=None, derandomize=True, database=None)
    @given(dt_early=st.sampled_from(_STEPS), dt_late=st.sampled_from(_STEPS),
           save_early=st.sampled_from(_SAVES), save_late=st.sampled_from(_SAVES),
           switch_time=st.sampled_from([0.0, 1.0, 1.3, 2.5, 5.0]))
    def check(**params) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = reference.run(params=dict(params), return_columns=["stock", "per step"])
        times = cm.saved_times(**params)
        np.testing.assert_array_equal(times, ref.index.values, err_msg=str(params))
        out = cm.run(params, 1)
        np.testing.assert_allclose(out["stock"][0], ref["stock"].values, rtol=1e-13,
                                   err_msg=str(params))
        np.testing.assert_allclose(out["per_step"][0], ref["per step"].values, rtol=1e-13,
                                   err_msg=str(params))

    check()
