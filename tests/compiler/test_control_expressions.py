"""Control variables written as expressions (``TIME STEP = 1/4``), ELMCOUNT and GET TIME VALUE.

They are folded to numbers at compile time; the equivalence tests compare the model with PySD.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import TEST_MODELS_DIR


def test_control_expressions_are_folded(compiled) -> None:
    cm = compiled(TEST_MODELS_DIR / "control_expressions.mdl")
    assert cm.controls == {"initial_time": 0.0, "final_time": 4.0, "time_step": 0.25,
                           "saveper": 0.5}
    np.testing.assert_array_equal(cm.time, np.arange(0.0, 4.01, 0.5))
    stock = cm.run({}, 1)["stock"][0]
    # Euler with a quarter-month step: 8 * (1 - 0.5 / 4) ** (4 t)
    np.testing.assert_allclose(stock, 8 * (1 - 0.125) ** (4 * cm.time), rtol=1e-12)


def test_controls_from_constants_are_folded_and_follow_overrides(compiled) -> None:
    """INITIAL TIME = start year, FINAL TIME = MAX(end year, ...) with end year = start year +
    horizon, TIME STEP = 1 / INTEGER(steps per year): folded at load, and derived again when
    a constant they read is overridden, as PySD does (hand-checked Euler and equal to PySD)."""
    from sdmodels.testing import assert_matches_pysd

    path = TEST_MODELS_DIR / "control_from_constants.mdl"
    cm = compiled(path)
    assert cm.controls == {"initial_time": 2020.0, "final_time": 2026.0, "time_step": 0.25,
                           "saveper": 0.5}
    assert set(cm.grid_parameters) == {"start_year", "horizon", "steps_per_year"}
    np.testing.assert_array_equal(cm.time, np.arange(2020.0, 2026.01, 0.5))
    np.testing.assert_allclose(cm.run({}, 1)["stock"][0], 1.025 ** (4 * (cm.time - 2020)),
                               rtol=1e-12)
    params = {"horizon": 3, "steps_per_year": 2}
    times = cm.saved_times(**params)
    assert times.tolist() == [2020.0, 2021.0, 2022.0, 2023.0]  # SAVEPER = TIME STEP * 2 = 1
    stock = cm.run(params, 2)["stock"]
    assert stock.shape == (2, 4)
    np.testing.assert_allclose(stock[1], 1.05 ** (2 * (times - 2020)), rtol=1e-12)
    assert_matches_pysd(path, params=params, n_random=2, compiled=cm)
    # INITIAL TIME follows start year too (PySD keeps the INITIAL TIME it loaded with: see
    # docs/compiler.md, Known differences), and FINAL TIME with it
    assert cm.saved_times(start_year=2000, **params).tolist() == [2000.0, 2001.0, 2002.0, 2003.0]
    np.testing.assert_allclose(cm.run({"Start Year": 2000, **params}, 1)["stock"][0],
                               stock[0], rtol=0)
    # a given control wins over the formula; the same value for every sample is one number
    assert cm.saved_times(horizon=3, final_time=2021).tolist() == [2020.0, 2020.5, 2021.0]
    assert cm.run({"horizon": np.full(3, 2.0)}, 3)["stock"].shape == (3, 5)


def test_per_sample_values_of_a_grid_constant_are_a_clear_error(compiled) -> None:
    from sdmodels.compiler import ParameterValueError

    cm = compiled(TEST_MODELS_DIR / "control_from_constants.mdl")
    with pytest.raises(ParameterValueError, match="horizon sets FINAL TIME.*one number"):
        cm.run({"horizon": [3.0, 4.0]}, 2)
    with pytest.raises(ParameterValueError, match="steps per year sets TIME STEP"):
        cm.run({"steps_per_year": np.array([2.0, 4.0])}, 2)
    with pytest.raises(ParameterValueError, match="start year.*time series"):
        import pandas as pd

        cm.run({"start_year": pd.Series([2020.0, 2021.0], index=[2020.0, 2030.0])}, 1)


@pytest.mark.parametrize(("final_time", "what"), [
    ("stock * 2000", "stock is INTEG"),
    ("IF THEN ELSE(Time > 2021, stock * 2000, 2030)", "stock is INTEG"),
    ("late year", "late year -> stock is INTEG"),
])
def test_control_that_changes_over_time_is_refused(tmp_path, final_time, what) -> None:
    from sdmodels.compiler import UnsupportedFeature, compile_model

    text = (TEST_MODELS_DIR / "control_from_constants.mdl").read_text(encoding="utf-8")
    text = text.replace("FINAL TIME  = MAX(end year, INITIAL(start year) + 1)",
                        f"FINAL TIME  = {final_time}")
    text += "\nlate year = stock * 2000\n\t~\tYear\n\t~\t|\n"
    path = tmp_path / "grid_over_time.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnsupportedFeature, match=f"changes over time.*{what}.*FINAL TIME"):
        compile_model(path)


def test_initial_time_that_reads_time_is_refused(tmp_path) -> None:
    from sdmodels.compiler import UnsupportedFeature, compile_model

    text = (TEST_MODELS_DIR / "control_from_constants.mdl").read_text(encoding="utf-8")
    path = tmp_path / "start_over_time.mdl"
    path.write_text(text.replace("INITIAL TIME  = start year", "INITIAL TIME  = Time + 1"),
                    encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    with pytest.raises(UnsupportedFeature, match="INITIAL TIME that changes over time"):
        compile_model(path)


def test_time_varying_control_falls_back_to_pysd_with_one_warning(tmp_path) -> None:
    import warnings

    import sdmodels

    text = (TEST_MODELS_DIR / "control_from_constants.mdl").read_text(encoding="utf-8")
    path = tmp_path / "grid_from_stock.mdl"
    path.write_text(text.replace("FINAL TIME  = MAX(end year, INITIAL(start year) + 1)",
                                 "FINAL TIME  = 2020 + stock * 3"), encoding="utf-8")
    model = sdmodels.load_model(path)
    with pytest.warns(sdmodels.EngineFallbackWarning, match="changes over time.*FINAL TIME"):
        first = model.run(return_columns=["stock"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.run(return_columns=["stock"])
    assert not [w for w in caught if issubclass(w.category, sdmodels.EngineFallbackWarning)]
    assert first.attrs["engine"] == "pysd"


def test_elmcount_and_get_time_value(compiled, tmp_path) -> None:
    """Hand-checked and equal to PySD (run directly: the model loader refuses ELMCOUNT's range
    argument as an undefined name, so this model is kept out of ``models/``)."""
    import warnings

    import pysd

    import shutil

    # a copy: PySD writes its translation beside the model file
    path = Path(shutil.copy(Path(__file__).parent / "elmcount_time_value.mdl", tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pysd.read_vensim(str(path)).run()
    out = compiled(path).run({"budget": [100.0, 60.0]}, 2)
    np.testing.assert_array_equal(out["share_per_region"][0], np.asarray(ref["share per region"]))
    np.testing.assert_array_equal(out["shifted_time"][0], np.asarray(ref["shifted time"]))
    np.testing.assert_array_equal(out["share_per_region"][:, 0], [25.0, 15.0])  # budget / 4
    np.testing.assert_array_equal(out["shifted_time"][0], [2.0, 3.0, 4.0, 5.0])  # Time + 2


def test_overriding_time_step_derives_saveper_again_as_pysd_does(compiled) -> None:
    """SAVEPER = TIME STEP * 2: a run with only TIME STEP overridden saves every two new steps,
    in PySD and in the compiled engine (the compiled SAVEPER used to keep its folded 0.5)."""
    from sdmodels.testing import pysd_reference

    ref = pysd_reference(TEST_MODELS_DIR / "control_expressions.mdl", params={"time_step": 0.125})
    cm = compiled(TEST_MODELS_DIR / "control_expressions.mdl")
    np.testing.assert_allclose(cm.saved_times(time_step=0.125), ref.time)
    assert cm.saved_times(time_step=0.125).tolist() == list(np.arange(0.0, 4.01, 0.25))
    stock = cm.run({"time_step": 0.125}, 1)["stock"][0]
    np.testing.assert_allclose(stock, ref["stock"], rtol=1e-12)
    # Euler with an eighth-month step, saved every quarter month
    np.testing.assert_allclose(stock, 8 * (1 - 0.5 / 8) ** (8 * cm.saved_times(time_step=0.125)),
                               rtol=1e-12)
    # SAVEPER given too: the given value wins
    assert cm.saved_times(time_step=0.125, saveper=1.0).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert cm.run({"time_step": 0.125, "saveper": 1.0}, 1)["stock"].shape == (1, 5)


def test_model_run_follows_an_override_of_a_constant_the_grid_reads():
    """``Model.run`` labels the times of a run whose FINAL TIME follows ``horizon``."""
    import sdmodels

    model = sdmodels.load_model(TEST_MODELS_DIR / "control_from_constants.mdl")
    for engine in ("compiled", "pysd"):
        ds = model.run(params={"horizon": 3}, engine=engine)
        times = ds["stock"].squeeze().time.values
        assert times[0] == 2020 and times[-1] == 2023, engine
    compiled = model.run(params={"horizon": 3}, engine="compiled")["stock"].squeeze().values
    assert compiled[-1] == pytest.approx((1 + 0.1 / 4) ** 12)
