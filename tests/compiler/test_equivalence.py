"""The compiled engine reproduces PySD, the reference semantics, on every model.

For each small test model (``tests/compiler/models``) and every model shipped in ``models/``, the
compiled batch kernel must equal PySD at every saved time (relative 1e-9, absolute 1e-12), with the
default parameters and with random draws within the ranges declared in the model file. PySD results
are cached on disk (:func:`sdmodels.testing.pysd_reference`); each model is compiled once per session.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmodels.testing import (
    assert_matches_pysd,
    assert_outputs_close,
    draw_parameters,
    pysd_reference,
)

from .conftest import (
    TEST_MODELS_DIR,
    UNSUPPORTED_MODELS,
    project_model_paths,
    small_model_paths,
)

N_RANDOM = 5
#: Random samples for the shipped models, whose PySD runs are slow (lookups through xarray).
N_RANDOM_PROJECT = 2


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# ------------------------------------------------------------------------------------ equivalence
@pytest.mark.parametrize("path", small_model_paths(), ids=_ids(small_model_paths()))
def test_test_model_matches_pysd(path: Path, compiled) -> None:
    assert_matches_pysd(path, n_random=N_RANDOM, seed=0, compiled=compiled(path))


@pytest.mark.parametrize("path", project_model_paths(), ids=_ids(project_model_paths()))
def test_project_model_matches_pysd(path: Path, compiled) -> None:
    assert_matches_pysd(path, n_random=N_RANDOM_PROJECT, seed=0, compiled=compiled(path))


def test_every_test_model_is_collected() -> None:
    """Guard against the glob silently finding nothing."""
    names = {p.name for p in small_model_paths()}
    assert {"exponential_decay.mdl", "lookups.mdl", "lookups_xmile.xmile",
            "subscripts_2d.mdl", "nonnegative_stock.xmile", "subscripted_builtins.mdl"} <= names
    assert len(names) >= 15


# ------------------------------------------------------------------------------------ unsupported
def _normalised(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text).lower()


@pytest.mark.parametrize("name", sorted(UNSUPPORTED_MODELS))
def test_unsupported_feature_is_named(name: str) -> None:
    from sdmodels.compiler import UnsupportedFeature, compile_model

    path = TEST_MODELS_DIR / name
    functions, element = UNSUPPORTED_MODELS[name]
    with pytest.raises(UnsupportedFeature) as info:
        compile_model(path)
    message = _normalised(str(info.value))
    assert any(_normalised(f) in message for f in functions), (
        f"the message should name the function ({functions[0]}): {info.value}")
    assert _normalised(element) in message, (
        f"the message should name the element {element!r}: {info.value}")
    assert path.name in str(info.value), f"the message should name the file {path.name}: {info.value}"


# ------------------------------------------------------------------------------------ batches
BATCH_MODELS = ["smooth_functions.mdl", "subscripts_2d.mdl", "time_functions.mdl"]


@pytest.mark.parametrize("name", BATCH_MODELS)
def test_batch_of_n_equals_n_separate_runs(name: str, compiled) -> None:
    path = TEST_MODELS_DIR / name
    cm = compiled(path)
    n = 4
    draws = draw_parameters(path, n, seed=11)
    batch = cm.run(draws, n)
    for i in range(n):
        single = cm.run({k: v[i:i + 1] for k, v in draws.items()}, 1)
        for py, values in batch.items():
            np.testing.assert_allclose(values[i], single[py][0], rtol=1e-12, atol=1e-14,
                                       err_msg=f"{name}: {py}, sample {i}")
    # the samples really differ, so the comparison above is not trivial
    stocks = [py for py in batch if np.ptp(batch[py][:, -1].reshape(n, -1), axis=0).max() > 0]
    assert stocks, "random draws should change some outputs"


def test_array_parameter_equals_scalar_broadcast(compiled) -> None:
    path = TEST_MODELS_DIR / "exponential_decay.mdl"
    cm = compiled(path)
    n = 3
    scalar = cm.run({"decay_rate": 0.3, "initial_stock": 50.0}, n)
    array = cm.run({"decay_rate": np.full(n, 0.3), "initial_stock": np.full(n, 50.0)}, n)
    assert scalar["stock"].shape == (n, len(cm.time))
    for py in scalar:
        np.testing.assert_array_equal(scalar[py], array[py], err_msg=py)
        np.testing.assert_array_equal(scalar[py], np.broadcast_to(scalar[py][:1], scalar[py].shape))
    expected = 50.0 * (1 - 0.3 * 0.25) ** (cm.time / 0.25)
    np.testing.assert_allclose(scalar["stock"][1], expected, rtol=1e-12)


def test_subscripted_parameter_per_sample_and_broadcast(compiled) -> None:
    path = TEST_MODELS_DIR / "subscripts_1d.mdl"
    cm = compiled(path)
    n = 2
    values = np.array([150.0, 250.0, 50.0])
    broadcast = cm.run({"initial_population": values}, n)
    per_sample = cm.run({"initial_population": np.stack([values, values * 2])}, n)
    np.testing.assert_array_equal(broadcast["population"][0], broadcast["population"][1])
    np.testing.assert_allclose(per_sample["population"][0], broadcast["population"][0],
                               rtol=1e-12)
    np.testing.assert_allclose(per_sample["population"][1, 0], values * 2, rtol=1e-12)
    ref = pysd_reference(path, {"initial_population": values * 2})
    np.testing.assert_allclose(per_sample["total_population"][1], ref["total_population"],
                               rtol=1e-9, atol=1e-12)
    assert_matches_pysd(path, params={"initial_population": values}, n_random=2, compiled=cm)


# ------------------------------------------------------------------------------------ time series
def test_time_series_override_matches_pysd(compiled) -> None:
    path = TEST_MODELS_DIR / "exponential_decay.mdl"
    series = pd.Series([0.1, 0.4, 0.2, 0.05], index=[0.0, 3.0, 6.5, 10.0])
    assert_matches_pysd(path, params={"decay_rate": series}, n_random=3, compiled=compiled(path))


def test_time_series_override_on_lookup_input_matches_pysd(compiled) -> None:
    path = TEST_MODELS_DIR / "lookups.mdl"
    series = pd.Series([1.0, 1.6, 1.1], index=[0.0, 4.0, 10.0])
    assert_matches_pysd(path, params={"x_speed": series}, compiled=compiled(path))


# ------------------------------------------------------------------------------------ metadata
@pytest.mark.parametrize("name", ["time_functions.mdl", "subscripts_mapping_except.mdl"])
def test_compiled_metadata_agrees_with_pysd(name: str, compiled) -> None:
    path = TEST_MODELS_DIR / name
    cm = compiled(path)
    ref = pysd_reference(path)
    np.testing.assert_allclose(cm.time, ref.time, atol=1e-12)
    assert set(ref) <= set(cm.outputs)
    for py, dims in ref.dims.items():
        assert tuple(cm.dims[py]) and [tuple(map(str, c)) for _, c in cm.dims[py]] == \
            [c for _, c in dims], py
    for py, default in cm.defaults.items():
        if py in ref and py != "time":
            np.testing.assert_allclose(np.asarray(default, dtype=float), ref[py][0], rtol=1e-12,
                                       err_msg=py)
    assert cm.source.lstrip().splitlines()[0].lower().startswith("# generated from")


def test_mismatch_is_reported_by_variable_time_and_sample(compiled) -> None:
    """The equivalence assertion fails, informatively, when the compiled output is wrong."""
    path = TEST_MODELS_DIR / "exponential_decay.mdl"
    cm = compiled(path)
    out = {k: np.array(v, copy=True) for k, v in cm.run({}, 2).items()}
    out["stock"][1, 7] *= 1 + 1e-6
    with pytest.raises(AssertionError, match=r"'stock'.*time 1\.75 in sample 1"):
        assert_outputs_close(out, cm.time, [pysd_reference(path)] * 2)


def test_large_parallel_batch_matches_the_analytic_answer(compiled) -> None:
    """Many samples at once (integrated in parallel) each follow their own parameters."""
    path = TEST_MODELS_DIR / "exponential_decay.mdl"
    cm = compiled(path)
    draws = draw_parameters(path, 257, seed=5)
    out = cm.run(draws, 257)
    k, s0 = draws["decay_rate"][:, None], draws["initial_stock"][:, None]
    expected = s0 * (1 - k * 0.25) ** (cm.time[None, :] / 0.25)
    np.testing.assert_allclose(out["stock"], expected, rtol=1e-10)
    np.testing.assert_allclose(out["outflow"], k * expected, rtol=1e-10)


def test_return_columns_selects_outputs(compiled) -> None:
    path = TEST_MODELS_DIR / "subscripts_2d.mdl"
    cm = compiled(path)
    draws = draw_parameters(path, 3, seed=2)
    full = cm.run(draws, 3)
    some = cm.run(draws, 3, return_columns=["grand_total", "population"])
    assert set(some) == {"grand_total", "population"}
    for py in some:
        np.testing.assert_array_equal(some[py], full[py], err_msg=py)


def test_control_variables_match_pysd(compiled) -> None:
    """A different INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER give PySD's grid and values."""
    path = TEST_MODELS_DIR / "time_functions.mdl"
    controls = {"initial_time": 3.0, "final_time": 9.0, "time_step": 0.0625, "saveper": 0.25}
    assert_matches_pysd(path, params=controls, n_random=2, compiled=compiled(path))
