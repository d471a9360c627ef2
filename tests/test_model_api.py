"""The public Model API on a model with hand-checkable answers (engine: PySD, the reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sdmodels
from sdmodels import ModelLoadError, ParameterRangeError, SDModelsError, UnknownNameError

DT = 1 / 16


def euler_decay(t_years: float, stock0: float = 100.0, tau: float = 5.0, dt: float = DT) -> float:
    """Explicit Euler solution of dS/dt = -S/tau after t_years."""
    return stock0 * (1 - dt / tau) ** round(t_years / dt)


def test_parameters_carry_units_range_source_and_sector(decay_model):
    info = decay_model.parameters["residence_time"]
    assert (info.name, info.units, info.min, info.max, info.value) == (
        "Residence Time", "Year", 1.0, 20.0, 5.0)
    assert "Source: assumption" in info.doc
    assert info.sector == "Stock"
    assert set(decay_model.parameters) == {
        "initial_stock", "residence_time", "inflow_size", "inflow_size_start_year"}
    assert set(decay_model.controls) == {"initial_time", "final_time", "time_step", "saveper"}
    assert decay_model.variables["stock"].kind == "stock"
    assert decay_model.key_outputs == ["stock"]
    assert decay_model.sectors["Lever"] == ["inflow", "inflow_size", "inflow_size_start_year"]


@pytest.mark.parametrize("name", ["Residence Time", "residence time", "residence_time",
                                  " Residence   Time "])
def test_resolve_accepts_vensim_and_python_names(decay_model, name):
    assert decay_model.resolve(name) == "residence_time"


def test_resolve_unknown_names_closest(decay_model):
    with pytest.raises(UnknownNameError, match="did you mean 'Residence Time'"):
        decay_model.resolve_parameter("Residence Tme")
    with pytest.raises(UnknownNameError):  # a stock is not a parameter
        decay_model.resolve_parameter("Stock")


@pytest.mark.parametrize("engine", ["pysd", "compiled", "auto"])
def test_single_run_matches_euler_solution(decay_model, engine):
    ds = decay_model.run(engine=engine)
    assert ds["stock"].dims == ("time",)
    assert ds["time"].values.tolist() == list(np.arange(2024.0, 2041.0))
    for year in (2025, 2030, 2040):
        assert ds["stock"].sel(time=year).item() == pytest.approx(euler_decay(year - 2024),
                                                                  rel=1e-12)
    assert ds["scenario"].item() == "default"
    assert ds["stock"].attrs == {"name": "Stock", "units": "Person",
                                 "doc": decay_model.variables["stock"].doc}
    assert ds.attrs["model_sha256"] == decay_model.hash
    assert ds.attrs["engine"] == ("pysd" if engine == "pysd" else "compiled")


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_scenario_list_adds_dimension_and_levers_act(decay_model, engine):
    ds = decay_model.run(["baseline", "refill"], engine=engine, return_columns=["Stock"])
    assert list(ds.data_vars) == ["stock"]
    assert ds["scenario"].values.tolist() == ["baseline", "refill"]
    base, refill = ds["stock"].sel(scenario="baseline"), ds["stock"].sel(scenario="refill")
    # before the lever starts, refill only drains faster (residence time 4)
    assert refill.sel(time=2029).item() == pytest.approx(euler_decay(5, tau=4.0), rel=1e-12)
    # after it, the stock heads towards inflow * residence time = 80
    assert refill.sel(time=2040).item() > 70 > base.sel(time=2040).item()


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_params_override_scenario_and_time_step(decay_model, engine):
    ds = decay_model.run("baseline", params={"Residence Time": 10, "TIME STEP": 1 / 32},
                         engine=engine)
    assert ds["stock"].sel(time=2034).item() == pytest.approx(
        euler_decay(10, tau=10, dt=1 / 32), rel=1e-12)


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_time_series_override(decay_model, engine):
    inflow_size = pd.Series([0.0, 0.0, 30.0, 30.0], index=[2024.0, 2030.0, 2030.001, 2040.0])
    ds = decay_model.run(params={"Inflow Size": inflow_size, "Inflow Size Start Year": 2024},
                         engine=engine)
    assert ds["stock"].sel(time=2030).item() == pytest.approx(euler_decay(6), rel=1e-9)
    assert ds["stock"].sel(time=2040).item() > ds["stock"].sel(time=2031).item()


def test_out_of_range_params_refused_unless_allowed(decay_model):
    with pytest.raises(ParameterRangeError, match=r"'Residence Time'.*\[1, 20\]"):
        decay_model.run(params={"Residence Time": 0.5}, engine="pysd")
    ds = decay_model.run(params={"Residence Time": 0.5}, engine="pysd",
                         allow_out_of_range=["Residence Time"], return_columns=["Stock"])
    assert ds["stock"].sel(time=2025).item() == pytest.approx(euler_decay(1, tau=0.5), rel=1e-12)
    with pytest.raises(ParameterRangeError, match="finite"):
        decay_model.run(params={"Residence Time": float("nan")}, engine="pysd")


def test_unknown_param_and_column(decay_model):
    with pytest.raises(UnknownNameError, match="unknown parameter 'Residence'"):
        decay_model.run(params={"Residence": 3}, engine="pysd")
    with pytest.raises(UnknownNameError, match="unknown variable 'Stok'.*'Stock'"):
        decay_model.run(return_columns=["Stok"], engine="pysd")
    with pytest.raises(UnknownNameError, match="no_such_thing' in params; run `sdmodels params MODEL`"):
        decay_model.run(params={"no_such_thing": 3}, engine="pysd")


def test_unknown_engine(decay_model):
    with pytest.raises(ValueError, match="unknown engine 'fast'"):
        decay_model.run(engine="fast")


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_batch_equals_single_pysd_runs(decay_model, engine):
    taus = np.array([2.0, 5.0, 9.0])
    ds = decay_model.run_batch({"Residence Time": taus, "Initial Stock": 50}, engine=engine,
                               return_columns=["Stock"], chunk_size=2)
    assert ds["stock"].dims == ("sample", "time")
    assert ds["design"].sel(parameter="residence_time").values.tolist() == taus.tolist()
    for i, tau in enumerate(taus):
        single = decay_model.run(params={"Residence Time": tau, "Initial Stock": 50},
                                 engine="pysd", return_columns=["Stock"])
        np.testing.assert_allclose(ds["stock"].isel(sample=i).values, single["stock"].values,
                                   rtol=1e-12, atol=0)


def test_batch_arrays_must_share_length(decay_model):
    with pytest.raises(SDModelsError, match="has 2 values but 'Residence Time' has 3"):
        decay_model.run_batch({"Residence Time": [2, 3, 4], "Initial Stock": [1, 2]},
                              engine="pysd")
    with pytest.raises(SDModelsError, match="cannot vary per sample"):
        decay_model.run_batch({"TIME STEP": [0.1, 0.2]}, engine="pysd")


def test_load_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        sdmodels.load_model(tmp_path / "missing.mdl")
    (tmp_path / "model.txt").write_text("x = 1")
    with pytest.raises(ModelLoadError, match="not a Vensim"):
        sdmodels.load_model(tmp_path / "model.txt")
    (tmp_path / "broken.mdl").write_text("{UTF-8}\nStock = INTEG (( , 100)\n~ ~ |\n")
    with pytest.raises(ModelLoadError, match="cannot translate"):
        sdmodels.load_model(tmp_path / "broken.mdl")


def test_translation_is_cached_by_content(decay_copy):
    first = sdmodels.load_model(decay_copy)
    again = sdmodels.load_model(decay_copy)
    assert first._py_file == again._py_file and first.hash == again.hash
    decay_copy.write_text(decay_copy.read_text().replace("Initial Stock= 100", "Initial Stock= 90"))
    changed = sdmodels.load_model(decay_copy)
    assert changed.hash != first.hash
    assert changed.parameters["initial_stock"].value == 90


def test_parse_is_cached_and_a_damaged_cache_is_parsed_again(decay_copy, monkeypatch):
    from sdmodels.model import _parse_key

    first = sdmodels.load_model(decay_copy)
    cached = first._cache_folder() / f"{decay_copy.name}.{_parse_key()}.pickle"
    assert cached.is_file()

    def no_translation(src):
        raise AssertionError("parsed again although the parse is cached")

    monkeypatch.setattr(sdmodels.Model, "_translate", staticmethod(no_translation))
    again = sdmodels.load_model(decay_copy)
    assert again.parameters == first.parameters and again.sectors == first.sectors
    monkeypatch.undo()
    cached.write_bytes(cached.read_bytes()[:100])  # truncated, as by a full disk
    with pytest.warns(sdmodels.errors.CacheRepairWarning, match="checksum mismatch"):
        repaired = sdmodels.load_model(decay_copy)
    assert repaired.parameters == first.parameters and repaired.sectors == first.sectors
    assert len(cached.read_bytes()) > 100  # written anew


def _same_variables(a, b) -> None:
    assert a == b  # every field but the values (ParameterInfo.value does not compare)
    for py, info in a.items():
        if isinstance(info, sdmodels.ParameterInfo):
            np.testing.assert_array_equal(info.value, b[py].value, err_msg=py)
            assert type(info.value) is type(b[py].value), py


@pytest.mark.parametrize("name", ["subscripts_2d.mdl", "lookups.mdl", "macro.mdl",
                                  "delay_functions.mdl", "xmile_builtins.xmile"])
def test_description_is_cached_and_equals_pysds(tmp_path, monkeypatch, name):
    """A second load describes the model from the cache, without loading PySD's model, and
    the description equals the one read from PySD's model (units, ranges, docs, values)."""
    import shutil
    from pathlib import Path

    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copy(Path(__file__).parent / "compiler" / "models" / name, tmp_path / name)
    first = sdmodels.load_model(tmp_path / name)
    from_pysd = first.variables
    assert first._pysd_model is not None
    again = sdmodels.load_model(tmp_path / name)
    cached = again.variables
    assert again._pysd_model is None, "PySD's model was loaded although the description is cached"
    _same_variables(cached, from_pysd)
    _same_variables(cached, again._variables_from_pysd())
    assert any(isinstance(v, sdmodels.ParameterInfo) for v in cached.values())


def test_damaged_description_cache_is_read_from_pysd_again(decay_copy):
    first = sdmodels.load_model(decay_copy)
    expected = first.variables
    cached = first._variables_file
    assert cached.is_file()
    cached.write_bytes(cached.read_bytes()[:50])
    with pytest.warns(sdmodels.errors.CacheRepairWarning, match="description of decay.mdl"):
        repaired = sdmodels.load_model(decay_copy).variables
    _same_variables(repaired, expected)
    assert len(cached.read_bytes()) > 50  # written anew


def test_description_of_a_model_reading_data_files_is_never_cached(tmp_path, monkeypatch):
    """A GET function's value comes from a file that can change without the model file."""
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "rate.mdl"
    path.write_text("{UTF-8}\nrate = GET DIRECT CONSTANTS('rates.csv', ',', 'B1')\n~ dmnl ~ |\n"
                    "INITIAL TIME = 0 ~ Month ~ |\nFINAL TIME = 2 ~ Month ~ |\n"
                    "TIME STEP = 1 ~ Month ~ |\nSAVEPER = 1 ~ Month ~ |\n", encoding="utf-8")
    (tmp_path / "rates.csv").write_text("rate,0.25\n", encoding="utf-8")
    model = sdmodels.load_model(path)
    assert model.parameters["rate"].value == 0.25
    assert not model._variables_file.exists()
    (tmp_path / "rates.csv").write_text("rate,0.5\n", encoding="utf-8")
    assert sdmodels.load_model(path).parameters["rate"].value == 0.5


def test_auto_falls_back_to_pysd_with_one_warning(tmp_path):
    import shutil
    import warnings
    from pathlib import Path

    from sdmodels.compiler import UnsupportedFeature

    src = Path(__file__).parent / "compiler" / "models" / "unsupported_clock.mdl"
    shutil.copy(src, tmp_path / src.name)
    model = sdmodels.load_model(tmp_path / src.name)
    with pytest.warns(sdmodels.EngineFallbackWarning,
                      match="GET TIME VALUE.*'calendar year'.*PySD"):
        first = model.run(return_columns=["stock"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.run(return_columns=["stock"])
    assert not [w for w in caught if issubclass(w.category, sdmodels.EngineFallbackWarning)]
    assert first.attrs["engine"] == "pysd"
    with pytest.raises(UnsupportedFeature, match="GET TIME VALUE"):
        model.run(engine="compiled")
    with pytest.raises(UnsupportedFeature):
        model.run_batch({"growth": [0.1, 0.2]}, engine="compiled")


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_control_overrides_change_the_saved_grid(decay_model, engine):
    ds = decay_model.run(params={"SAVEPER": 0.5, "FINAL TIME": 2030}, engine=engine,
                         return_columns=["Stock"])
    assert ds["time"].values.tolist() == list(np.arange(2024.0, 2030.5, 0.5))
    assert ds["stock"].sel(time=2026.5).item() == pytest.approx(euler_decay(2.5), rel=1e-12)
    batch = decay_model.run_batch({"SAVEPER": 0.5, "Residence Time": [4.0, 5.0]}, engine=engine,
                                  return_columns=["Stock"])
    assert batch["time"].size == 33
    assert batch["stock"].sel(sample=1, time=2026.5).item() == pytest.approx(euler_decay(2.5),
                                                                            rel=1e-12)


def test_both_engines_return_the_same_variables(decay_model):
    pysd, compiled = decay_model.run(engine="pysd"), decay_model.run(engine="compiled")
    assert sorted(pysd.data_vars) == sorted(compiled.data_vars)
    assert "time_step" not in compiled  # control variables are attrs of the run, not outputs
    for var in pysd.data_vars:
        np.testing.assert_allclose(compiled[var].values, pysd[var].values, rtol=1e-12)
