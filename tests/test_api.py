"""One signature family for runs and analyses; former spellings work for one release, warned."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sdmodels
from sdmodels.batch import run_batch
from sdmodels.uncertainty import load_uncertainty

ROOT = Path(__file__).resolve().parents[1]
FAMILY = ("params", "outputs", "years", "engine", "scheduler", "out", "resume", "progress")


@pytest.fixture(scope="module")
def ishigami():
    return sdmodels.load_model(ROOT / "models" / "tests" / "ishigami.mdl")


@pytest.fixture(scope="module")
def spec(ishigami):
    return load_uncertainty(ROOT / "models" / "uncertainty" / "ishigami.toml", ishigami)


@pytest.mark.parametrize("fn", [sdmodels.Model.run_batch, run_batch, sdmodels.run_mc,
                                sdmodels.sobol, sdmodels.morris])
def test_the_family_is_keyword_only_with_one_default_engine(fn) -> None:
    sig = inspect.signature(fn)
    for name in FAMILY:
        if fn is sdmodels.Model.run_batch or fn is run_batch:
            if name == "params":
                assert sig.parameters[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
                continue
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, (fn, name)
    assert sig.parameters["engine"].default == "auto"
    for name in ("seed",):
        if fn not in (sdmodels.Model.run_batch, run_batch):
            assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_model_run_keeps_the_family_and_the_years(ishigami) -> None:
    ds = ishigami.run(params={"x1": 1.0}, outputs=["Y"], years="whole")
    assert list(ds.data_vars) == ["y"]
    assert np.allclose(ds["time"].values, np.round(ds["time"].values))


def test_return_columns_still_works_with_a_warning(ishigami) -> None:
    new = ishigami.run_batch({"x1": [0.0, 1.0]}, outputs=["y"])
    with pytest.warns(DeprecationWarning, match="return_columns= is deprecated.*outputs="):
        old = ishigami.run_batch({"x1": [0.0, 1.0]}, return_columns=["y"])
    xr.testing.assert_identical(new.drop_attrs(), old.drop_attrs())
    with pytest.warns(DeprecationWarning, match="return_columns="):
        ishigami.run(return_columns=["y"])
    with pytest.raises(TypeError, match="outputs= only"):
        ishigami.run(outputs=["y"], return_columns=["y"])


def test_positional_run_options_still_work_with_a_warning(ishigami) -> None:
    new = ishigami.run(None, params={"x1": 1.0}, engine="compiled", outputs=["y"])
    with pytest.warns(DeprecationWarning) as caught:
        old = ishigami.run(None, {"x1": 1.0}, "compiled", ["y"])
    assert any("by position is deprecated" in str(w.message) for w in caught)
    xr.testing.assert_identical(new.drop_attrs(), old.drop_attrs())
    with pytest.raises(TypeError, match="both by position and by keyword"):
        ishigami.run(None, {"x1": 1.0}, params={"x1": 2.0})


def test_years_mean_the_saved_years_kept_everywhere(ishigami, spec) -> None:
    years = [float(ishigami.run()["time"].values[0])]
    batch = ishigami.run_batch({"x1": [0.0, 1.0]}, outputs=["y"], years=years)
    mc = sdmodels.run_mc(ishigami, spec, n=8, seed=0, outputs=["y"], years=years)
    sob = sdmodels.sobol(ishigami, spec, n=8, seed=0, outputs=["y"], years=years,
                         num_resamples=10)
    for ds in (batch, mc, sob):
        assert ds["time"].values.tolist() == years


def test_params_fix_a_value_in_every_run_of_an_analysis(ishigami, spec, tmp_path) -> None:
    with pytest.raises(sdmodels.SDModelsError, match="uncertain parameters"):
        sdmodels.run_mc(ishigami, spec, n=4, seed=0, outputs=["y"], params={"x1": 0.5})
    mor = sdmodels.morris(ishigami, spec, trajectories=4, seed=0, outputs=["y"],
                          params={"a": 7.0}, out=tmp_path / "m.nc")
    assert mor.attrs["n_runs"] > 0
    assert (tmp_path / "m.nc").exists() and not (tmp_path / "m.runs.nc").exists()
    with xr.open_dataset(tmp_path / "m.nc") as stored:
        np.testing.assert_array_equal(stored["mu_star"].values, mor["mu_star"].values)
