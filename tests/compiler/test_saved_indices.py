"""``CompiledModel.run(saved_indices=...)``: outputs written at some saved times only equal the
same times taken from a full run, in the order asked; a position out of range is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.compiler import ParameterValueError
from .conftest import TEST_MODELS_DIR

MODELS = ["smooth_functions.mdl", "subscripts_2d.mdl", "delay_functions.mdl"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("indices", [[0], [1, 4, 7], [7, 1, 1], [-1]])
def test_kept_times_equal_a_full_run(compiled, name, indices):
    cm = compiled(TEST_MODELS_DIR / name)
    n_saved = len(cm.saved_times())
    indices = [i % n_saved for i in indices]  # -1: the last saved time
    params = {}  # defaults, three samples
    full = cm.run(params, 3, parallel=False)
    part = cm.run(params, 3, parallel=False, saved_indices=indices)
    assert set(part) == set(full)
    for py, arr in full.items():
        np.testing.assert_array_equal(part[py], arr[:, indices], err_msg=py)


def test_a_position_out_of_range_names_the_range(compiled):
    cm = compiled(TEST_MODELS_DIR / "smooth_functions.mdl")
    n_saved = len(cm.saved_times())
    with pytest.raises(ParameterValueError, match=rf"0\.\.{n_saved - 1}"):
        cm.run({}, 1, saved_indices=[n_saved])
    with pytest.raises(ParameterValueError, match="saved_indices"):
        cm.run({}, 1, saved_indices=[-1])
