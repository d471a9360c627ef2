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


def test_control_defined_from_a_model_variable_is_refused(tmp_path) -> None:
    from sdmodels.compiler import UnsupportedFeature, compile_model

    text = (TEST_MODELS_DIR / "control_expressions.mdl").read_text(encoding="utf-8")
    path = tmp_path / "grid_from_variable.mdl"
    path.write_text(text.replace("FINAL TIME  = 2 * 2 + INITIAL TIME", "FINAL TIME  = decay rate * 8"),
                    encoding="utf-8")
    with pytest.raises(UnsupportedFeature, match="FINAL TIME.*|model variable"):
        compile_model(path)


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
