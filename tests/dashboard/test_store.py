"""The data store, without a browser: levers, presets, KPIs, Monte Carlo, Sobol, downloads."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sdmodels.dashboard import DashboardStore, reports
from sdmodels.errors import ParameterRangeError, SDModelsError, UnknownNameError


run = asyncio.run


def _kpi(store, var, year=None):
    for card in store.kpis():
        if card["variable"] == var and (year is None or card["year"] == year):
            return card
    raise AssertionError(f"no KPI {var} {year}")


def test_kpis_cover_the_key_outputs(store):
    cards = store.kpis()
    labels = {(c["variable"], c["year"]) for c in cards}
    for year in (2030.0, 2035.0, 2040.0):
        assert ("productivity_index", year) in labels
        assert ("funding_gap", year) in labels
    assert ("vacancy_rate", 2040.0) in labels and ("waiting_list", 2040.0) in labels
    # at start the current settings are the baseline
    assert all(c["delta"] == 0 for c in cards)
    expected = float(store.baseline["productivity_index"].sel(time=2030.0))
    assert _kpi(store, "productivity_index", 2030.0)["value"] == pytest.approx(expected)


def test_moving_a_lever_changes_outputs_not_baseline(store, mini_model):
    before = _kpi(store, "productivity_index", 2035.0)["value"]
    baseline = store.baseline.copy(deep=True)
    run(store.set_lever("Improvement Investment", value=0.6))
    card = _kpi(store, "productivity_index", 2035.0)
    assert card["value"] > before
    assert card["better"] is True and card["delta"] > 0
    xr.testing.assert_identical(store.baseline, baseline)
    # the run used the lever: same as running the equivalent parameters directly
    direct = mini_model.run(params={"improvement_investment": 0.6}, engine="pysd",
                            return_columns=["productivity_index"])
    np.testing.assert_allclose(store.current["productivity_index"].values,
                               direct["productivity_index"].values)
    assert store.preset is None  # moved by hand: custom settings


def test_start_year_moves_the_effect(store):
    run(store.set_lever("improvement_investment", value=0.6, start=2026))
    early = store.current["productivity_index"].sel(time=2030.0).item()
    run(store.set_lever("improvement_investment", start=2034))
    late = store.current["productivity_index"].sel(time=2030.0).item()
    base = store.baseline["productivity_index"].sel(time=2030.0).item()
    assert early > late
    assert late == pytest.approx(base)


def test_bad_lever_input_is_refused_with_the_name(store):
    with pytest.raises(ParameterRangeError, match="Training Places"):
        run(store.set_lever("Training Places", value=1e6))
    with pytest.raises(UnknownNameError, match="Training Place"):
        run(store.set_lever("Training Place", value=1))


def test_preset_sets_levers_and_outputs(store, mini_model):
    run(store.apply_preset("supply_push"))
    assert store.values["training_places"] == 150.0
    assert store.starts["training_places"] == 2026.0
    direct = mini_model.run("supply_push", engine="pysd", return_columns=["waiting_list"])
    np.testing.assert_allclose(store.current["waiting_list"].values,
                               direct["waiting_list"].values)
    run(store.apply_preset("baseline"))
    assert store.values["training_places"] == 0.0
    with pytest.raises(UnknownNameError, match="supply_push"):
        run(store.apply_preset("supply_pus"))


def test_two_stores_change_independently(mini_model):
    a = DashboardStore(mini_model, engine="pysd")
    b = DashboardStore(mini_model, engine="pysd")
    b_before = b.current.copy(deep=True)
    run(a.set_lever("Patient Activation", value=0.9, start=2025))
    a.save_current("plan a")
    assert b.values["patient_activation"] == 0.0
    assert b.saved == {}
    xr.testing.assert_identical(b.current, b_before)
    assert not a.current["avoidable_demand"].equals(b.current["avoidable_demand"])
    run(b.apply_preset("agility_first"))
    assert a.values["patient_activation"] == 0.9 and a.starts["patient_activation"] == 2025.0
    assert a.preset is None and b.preset == "agility_first"


def test_monte_carlo_of_current_settings(store):
    run(store.set_lever("Improvement Investment", value=0.8, start=2025))
    run(store.refresh_uncertainty())
    q, prob = store.mc, store.mc_prob
    assert q is not None and prob is not None and not store.mc_stale
    assert list(q["scenario"].values) == ["baseline", "current"]
    pi = q["productivity_index"]
    assert (pi.sel(quantile=0.05) <= pi.sel(quantile=0.5) + 1e-12).all()
    assert (pi.sel(quantile=0.5) <= pi.sel(quantile=0.95) + 1e-12).all()
    assert q.attrs["n_samples"] == 16
    assert ((prob >= 0) & (prob <= 1)).all()
    # investment raises productivity in every sample (common random numbers)
    assert prob.sel(output="productivity_index", scenario="current", time=2035.0) == 1.0
    # the baseline compared with itself is never better
    assert float(prob.sel(scenario="baseline").max()) == 0.0
    # moving a lever makes the Monte Carlo stale, and a new one differs
    before = q["productivity_index"].sel(scenario="current").copy()
    run(store.set_lever("Improvement Investment", value=0.1))
    assert store.mc_stale
    run(store.show_page("Uncertainty"))
    assert not store.mc["productivity_index"].sel(scenario="current").equals(before)


def test_monte_carlo_needs_an_uncertainty_file(tmp_path, mini_model):
    import shutil

    import sdmodels

    copy = tmp_path / "mini_nhs.mdl"
    shutil.copy(mini_model.path, copy)
    shutil.copytree(mini_model.path.parent / "scenarios", tmp_path / "scenarios")
    s = DashboardStore(sdmodels.load_model(copy), engine="pysd", mc_samples=4)
    run(s.refresh_uncertainty())
    assert "no uncertainty file" in s.message and "uncertainty" in s.message
    assert s.mc is None


def test_sobol_indices(store):
    sobol = store.compute_sobol()
    assert set(sobol["S1"].dims) == {"output", "parameter", "time"}
    assert list(sobol["parameter"].values) == ["base_leaver_rate", "need_growth",
                                               "building_effectiveness"]
    st = sobol["ST"].sel(output="population_need" if "population_need" in store.outputs
                         else "avoidable_demand").isel(time=-1)
    # avoidable demand depends only on need growth among the uncertain inputs
    assert float(st.sel(parameter="need_growth")) > 0.5
    assert float(st.sel(parameter="building_effectiveness")) == pytest.approx(0.0, abs=1e-9)
    # computed once, shared between sessions
    assert store.compute_sobol() is sobol


def test_sobol_refuses_too_many_pysd_runs(mini_model):
    s = DashboardStore(mini_model, engine="pysd", sobol_samples=1024)
    with pytest.raises(SDModelsError, match="compiled engine"):
        s.compute_sobol()


def test_compare_and_downloads(store, tmp_path):
    run(store.set_lever("Pay Restraint", value=0.03, start=2027))
    store.save_current("restraint")
    with pytest.raises(SDModelsError, match="shipped"):
        store.save_current("baseline")
    assert store.available_scenarios()[-2:] == ["restraint", "current"]
    ds = store.compute_comparison(["baseline", "restraint", "supply_push"])
    assert list(ds["scenario"].values) == ["baseline", "restraint", "supply_push"]
    assert float(ds["staff_morale"].sel(scenario="restraint", time=2035.0)) < \
        float(ds["staff_morale"].sel(scenario="baseline", time=2035.0))
    frame = pd.read_csv(io.BytesIO(
        reports.comparison_frame(store, ds).to_csv(index=False).encode()))
    assert len(frame) == 3 * ds.sizes["time"]
    assert "Waiting List [patients]" in frame.columns
    got = frame.loc[frame["scenario"] == "restraint", "Staff Morale [dmnl]"].to_numpy()
    np.testing.assert_allclose(got, ds["staff_morale"].sel(scenario="restraint").values)
    path = tmp_path / "download.nc"
    path.write_bytes(reports.netcdf_bytes(ds))
    back = xr.load_dataset(path)
    np.testing.assert_allclose(back["waiting_list"].values, ds["waiting_list"].values)
    assert back["waiting_list"].attrs["units"] == "patients"
    assert back.attrs["model_file"] == "mini_nhs.mdl"


def test_shared_results_are_computed_once_and_bounded():
    import threading

    from sdmodels.dashboard._shared import shared

    calls = []

    @shared(max_items=2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    results = []
    threads = [threading.Thread(target=lambda: results.append(square(3))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [9] * 4 and calls == [3]  # sessions asking at once: computed once
    square(4)
    square(5)  # a third key drops the least recently used one
    square(3)
    assert calls == [3, 4, 5, 3]
    square.clear()


def test_async_changes_compute_in_a_thread_and_the_last_one_wins(store):
    import asyncio

    seen_busy = []
    store.param.watch(lambda e: seen_busy.append(e.new), "busy")

    async def moves() -> None:
        await asyncio.gather(
            store.set_lever("Training Places", value=50),
            store.set_lever("Training Places", value=150),
        )

    asyncio.run(moves())
    assert store.values["training_places"] == 150.0
    assert store.busy is False
    direct = store.model.run(params={"training_places": 150}, engine="pysd",
                             return_columns=["total_staff"])
    np.testing.assert_allclose(store.current["total_staff"].values,
                               direct["total_staff"].values)
    asyncio.run(store.apply_preset("agility_first"))
    assert store.preset == "agility_first" and store.values["patient_activation"] == 0.6


def test_sobol_indices_are_kept_on_disk(mini_model, tmp_path, monkeypatch):
    from sdmodels.dashboard import store as store_module

    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path))
    store_module.clear_shared_cache()
    first = DashboardStore(mini_model, engine="pysd", sobol_samples=8).compute_sobol()
    files = list((tmp_path / "dashboard").glob("sobol-mini_nhs-*.nc"))
    assert len(files) == 1
    store_module.clear_shared_cache()
    # a new server process: read back instead of rerunning the model
    import sdmodels.dashboard._sobol as sobol_module

    def no_runs(*args, **kwargs):
        raise AssertionError("the model ran although the indices were on disk")

    monkeypatch.setattr(sobol_module, "sobol_over_time", no_runs)
    again = DashboardStore(mini_model, engine="pysd", sobol_samples=8).compute_sobol()
    xr.testing.assert_allclose(again["ST"], first["ST"])
    assert list(again["parameter_name"].values) == list(first["parameter_name"].values)
    store_module.clear_shared_cache()


def test_a_profile_is_the_starting_point_of_baseline_and_current(profiled_model):
    s = DashboardStore(profiled_model, engine="pysd", mc_samples=4)
    assert list(s.profiles) == ["small"]
    before = float(s.current["waiting_list"].sel(time=2030.0))
    run(s.set_profile("small"))
    assert s.profile == "small" and s.start_point == {"initial_need": 500.0}
    direct = profiled_model.run("baseline", params={"initial_need": 500}, engine="pysd",
                       outputs=["waiting_list"])
    np.testing.assert_allclose(s.baseline["waiting_list"].values, direct["waiting_list"].values)
    np.testing.assert_allclose(s.current["waiting_list"].values, direct["waiting_list"].values)
    assert float(s.current["waiting_list"].sel(time=2030.0)) != before
    # the link carries the profile
    assert "profile=small" in s.link
    assert s.settings_from_link(s.link) == s.settings()
    with pytest.raises(UnknownNameError, match="small"):
        run(s.set_profile("smal"))


def test_the_starting_point_exports_as_a_profile_the_cli_runs(tmp_path, mini_model):
    """The form's fields come from the model's profile template; its values export as a profile
    that `sdmodels run --profile FILE` runs to the dashboard's numbers."""
    import shutil

    import xarray as xr
    from typer.testing import CliRunner

    import sdmodels
    from sdmodels.cli import app as cli_app
    from sdmodels.dashboard.start_point import ENTERED
    from sdmodels.profiles import load_profile

    copy = tmp_path / "mini_nhs.mdl"
    shutil.copy(mini_model.path, copy)
    shutil.copytree(mini_model.path.parent / "scenarios", tmp_path / "scenarios")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "_template.toml").write_text(
        'title = "Form"\nmodel = "mini_nhs.mdl"\n\n[values."Initial Need"]\nvalue = 1000\n'
        'scale = "extensive"\nsource = "Assumption: the test model\'s value."\n')
    model = sdmodels.load_model(copy)
    s = DashboardStore(model, engine="pysd", mc_samples=4)
    assert [p.name for p in s.start_fields] == ["Initial Need"]
    with pytest.raises(ParameterRangeError, match="Initial Need"):
        run(s.set_start_point({"initial_need": -5.0}))
    run(s.set_start_point({"initial_need": 700.0}))
    text = s.profile_file()
    path = tmp_path / "my_system.toml"
    path.write_text(text)
    prof = load_profile(path)
    assert prof.values == {"Initial Need": 700.0}
    assert prof.entries["Initial Need"].source == ENTERED
    out = tmp_path / "cli.nc"
    done = CliRunner().invoke(cli_app, ["run", str(copy), "--profile", str(path), "--engine",
                                        "pysd", "--out", str(out), "--no-plot"])
    assert done.exit_code == 0, done.output
    ds = xr.load_dataset(out).sel(scenario="baseline")  # every shipped scenario was run
    for name in ("waiting_list", "total_staff", "staff_morale"):
        np.testing.assert_allclose(ds[name].squeeze().values, s.baseline[name].values,
                                   rtol=1e-9)
        np.testing.assert_allclose(ds[name].squeeze().values, s.current[name].values,
                                   rtol=1e-9)


def test_the_nhs_form_covers_the_profile_and_the_population():
    from pathlib import Path

    import sdmodels
    from sdmodels.dashboard.start_point import field_groups, start_fields
    from sdmodels.profiles import load_profile

    root = Path(__file__).resolve().parents[2]
    model = sdmodels.load_model(root / "models" / "nhs_productivity.mdl")
    names = [p.name for p in start_fields(model)]
    template = load_profile(root / "models" / "profiles" / "_template.toml")
    assert set(template.entries) <= set(names)  # every field of the profile schema
    population = [n for n in names if n.startswith("Initial Population")]
    assert len(population) >= 3  # by the model's age bands
    groups = dict(field_groups(model, start_fields(model)))
    assert {p.name for p in groups["Population (by the model's age bands)"]} == set(population)


def test_the_uncertainty_page_says_when_the_posterior_cannot_be_used(tmp_path, mini_model):
    """Choosing the calibrated posterior without one, or with one fitted to another model file,
    gives a message on the page (no traceback); the prior still runs."""
    import shutil
    from pathlib import Path

    import sdmodels

    s = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    s.mc_parameters = "posterior"
    run(s.refresh_uncertainty())
    assert s.mc_status.startswith("**Cannot run:**")
    assert "declares no calibrated posterior" in s.mc_status
    # a posterior of another model file (the NHS model's) is refused with the re-fit advice
    shipped = Path(__file__).resolve().parents[2] / "models" / "calibration"
    posterior = next(iter(sorted(shipped.glob("*.nc"))), None)
    if posterior is not None:
        for item in mini_model.path.parent.iterdir():
            target = tmp_path / item.name
            if item.is_dir():
                shutil.copytree(item, target)
            elif not item.name.endswith(".py"):
                shutil.copy(item, target)
        shutil.copy(posterior, tmp_path / posterior.name)
        meta = tmp_path / "mini_nhs.sdmodels.toml"
        meta.write_text(f'posterior = "{posterior.name}"\n' + meta.read_text())
        other = DashboardStore(sdmodels.load_model(tmp_path / "mini_nhs.mdl"), engine="pysd",
                               mc_samples=8)
        other.mc_parameters = "posterior"
        run(other.refresh_uncertainty())
        assert other.mc_status.startswith("**Cannot run:**"), other.mc_status
        assert "mini_nhs.mdl" in other.mc_status or "another" in other.mc_status
    s.mc_parameters = "prior"
    run(s.refresh_uncertainty())
    assert s.mc is not None and s.mc.attrs["parameters"] == "prior"
