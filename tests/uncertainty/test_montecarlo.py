"""Monte Carlo: common random numbers, quantiles, probabilities of beating the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from sdmodels.errors import SDModelsError
from sdmodels.montecarlo import better_direction, prob_better, quantiles, run_mc
from sdmodels.results import open_dataset, write_dataset

SCENARIOS = ["baseline", "retention"]


@pytest.fixture(scope="module")
def mc(staff, staff_spec):
    return run_mc(staff, staff_spec, n=200, scenarios=SCENARIOS, seed=0,
                  outputs=["Staff", "Staff Vacancies"])


def test_layout_and_provenance(mc, staff_spec):
    assert mc["staff"].dims == ("scenario", "sample", "time")
    assert list(mc["scenario"].values) == SCENARIOS
    assert mc["design"].dims == ("sample", "parameter")
    assert list(mc["design"]["parameter"].values) == list(staff_spec.names)
    assert mc.attrs["seed"] == 0 and mc.attrs["sampler"] == "lhs"
    assert mc.attrs["reference_scenario"] == "baseline"
    assert mc["staff"].attrs["units"] == "people"


def test_common_random_numbers(staff, staff_spec, mc):
    # Every sample of every scenario used the same inputs: the initial values agree per sample,
    # and re-running one sample alone reproduces it.
    start = mc["staff"].isel(time=0)
    np.testing.assert_array_equal(start.sel(scenario="baseline"), start.sel(scenario="retention"))
    np.testing.assert_allclose(start.sel(scenario="baseline"),
                               mc["design"].sel(parameter="initial_staff"))
    one = {p: float(mc["design"].sel(sample=7, parameter=p)) for p in staff_spec.names}
    alone = staff.run("retention", params=one, return_columns=["Staff"])
    np.testing.assert_allclose(alone["staff"].values,
                               mc["staff"].sel(scenario="retention", sample=7).values)


def test_probability_of_beating_baseline(mc):
    pb = mc["prob_better"]
    assert pb.dims == ("output", "scenario", "time")
    # The retention programme keeps more staff in every sample after the start; at the start
    # the scenarios tie, which is not "better".
    staff_pb = pb.sel(output="staff", scenario="retention")
    assert float(staff_pb.isel(time=0)) == 0.0
    np.testing.assert_array_equal(staff_pb.isel(time=slice(1, None)).values, 1.0)
    np.testing.assert_array_equal(pb.sel(scenario="baseline").values, 0.0)
    # Vacancies are lower-is-better; where posts are already full the scenarios tie.
    vac = pb.sel(output="staff_vacancies", scenario="retention").isel(time=-1)
    diff = (mc["staff_vacancies"].sel(scenario="retention") -
            mc["staff_vacancies"].sel(scenario="baseline")).isel(time=-1)
    assert float(vac) == pytest.approx(float((diff < 0).mean()))
    assert 0.0 < float(vac) < 1.0
    xr_pb = prob_better(mc, reference="retention")
    assert float(xr_pb.sel(output="staff", scenario="baseline").isel(time=-1)) == 0.0


def test_same_seed_same_result_other_seed_differs(staff, staff_spec, mc):
    again = run_mc(staff, staff_spec, n=200, scenarios=SCENARIOS, seed=0,
                   outputs=["Staff", "Staff Vacancies"], chunk_size=64)
    np.testing.assert_array_equal(again["staff"].values, mc["staff"].values)
    other = run_mc(staff, staff_spec, n=200, scenarios=SCENARIOS, seed=1, outputs=["Staff"])
    assert not np.allclose(other["staff"].values, mc["staff"].values)


def test_quantiles_only_matches_full_result(staff, staff_spec, mc):
    small = run_mc(staff, staff_spec, n=200, scenarios=SCENARIOS, seed=0,
                   outputs=["Staff", "Staff Vacancies"], quantiles_only=True)
    assert "sample" not in small["staff"].dims
    assert small["staff"].dims == ("scenario", "quantile", "time")
    full_q = quantiles(mc)
    np.testing.assert_allclose(quantiles(small)["staff"].values, full_q["staff"].values)
    np.testing.assert_array_equal(small["prob_better"].values, mc["prob_better"].values)
    with pytest.raises(SDModelsError, match="keeps only the quantiles"):
        quantiles(small, [0.1])


def test_quantiles_are_ordered_and_match_numpy(mc):
    q = mc.sd.quantiles()
    assert q["staff"].dims == ("scenario", "quantile", "time")
    values = q["staff"].sel(scenario="retention").isel(time=-1).values
    assert np.all(np.diff(values) >= 0)
    direct = np.quantile(mc["staff"].sel(scenario="retention").isel(time=-1).values,
                         [0.05, 0.25, 0.5, 0.75, 0.95])
    np.testing.assert_allclose(values, direct)


def test_summary_table(mc):
    table = mc.sd.summary(years=[2030])
    assert list(table.columns) == ["output", "units", "scenario", "year", "p5", "p25", "p50",
                                   "p75", "p95", "p_better"]
    row = table[(table.output == "Staff") & (table.scenario == "retention")].iloc[0]
    assert row.p_better == 1.0 and row.year == 2030.0
    assert np.isnan(table[table.scenario == "baseline"].p_better).all()


def test_years_selection_and_round_trip(staff, staff_spec, tmp_path):
    ds = run_mc(staff, staff_spec, n=16, scenarios=SCENARIOS, seed=0, outputs=["Staff"],
                years=[2026, 2030])
    assert ds["time"].values.tolist() == [2026.0, 2030.0]
    back = open_dataset(write_dataset(ds, tmp_path / "mc.nc"))
    np.testing.assert_array_equal(back["staff"].values, ds["staff"].values)
    assert back.attrs["seed"] == 0 and back["design"].attrs["sampler"] == "lhs"
    with pytest.raises(SDModelsError, match="outside the model's saved times"):
        run_mc(staff, staff_spec, n=4, seed=0, outputs=["Staff"], years=[2050])


def test_invalid_options(staff, staff_spec, ishigami_spec):
    with pytest.raises(SDModelsError, match="positive integer"):
        run_mc(staff, staff_spec, n=0, seed=0)
    with pytest.raises(SDModelsError, match="another model file"):
        run_mc(staff, ishigami_spec, n=4, seed=0)
    with pytest.raises(SDModelsError, match="reference scenario 'nope'"):
        run_mc(staff, staff_spec, n=4, seed=0, scenarios=SCENARIOS, reference="nope")
    with pytest.raises(SDModelsError, match="quantiles must lie"):
        run_mc(staff, staff_spec, n=4, seed=0, quantile_levels=[1.5])


@pytest.mark.parametrize(
    ("name", "direction"),
    [("productivity_index", 1), ("agility", 1), ("improvement_capability", 1),
     ("staff_morale", 1), ("total_staff", 1), ("vacancy_rate", -1), ("waiting_list", -1),
     ("avoidable_demand", -1), ("funding_gap", -1), ("nurse_vacancies", -1), ("y", None)],
)
def test_better_direction(name, direction):
    assert better_direction(name) == direction


def test_pysd_engine_gives_the_same_monte_carlo(staff, staff_spec):
    kwargs = {"n": 5, "scenarios": ["retention"], "seed": 2, "outputs": ["Staff"]}
    compiled = run_mc(staff, staff_spec, **kwargs)
    pysd = run_mc(staff, staff_spec, engine="pysd", **kwargs)
    assert pysd.attrs["engine"] == "pysd"
    np.testing.assert_allclose(pysd["staff"].values, compiled["staff"].values, rtol=1e-10)


def test_scenarios_with_other_horizons_are_refused_before_anything_is_written(tmp_path):
    import shutil
    from pathlib import Path

    import sdmodels
    from sdmodels.errors import ScenarioError
    from sdmodels.uncertainty import UncertaintySpec

    folder = tmp_path / "decay"
    shutil.copytree(Path(__file__).parents[1] / "data" / "decay", folder)
    (folder / "scenarios" / "short.toml").write_text(
        'model = "decay.mdl"\ndescription = "Shorter horizon."\n\n[parameters]\n'
        '"FINAL TIME" = 2035\n', encoding="utf-8")
    model = sdmodels.load_model(folder / "decay.mdl")
    spec = UncertaintySpec.from_dict(
        {"parameters": {"Residence Time": {"dist": "uniform", "min": 2, "max": 8}}}, model)
    out = tmp_path / "mc.nc"
    with pytest.raises(ScenarioError, match=r"cannot share one result.*short.*baseline|"
                                            r"cannot share one result.*baseline.*short"):
        run_mc(model, spec, n=8, scenarios=["short", "baseline"], out=out, seed=1)
    assert list(tmp_path.iterdir()) == [folder]  # no result, no partial store, no parts folder
    alone = run_mc(model, spec, n=8, scenarios=["short"], seed=1)
    assert float(alone["time"].max()) == 2035
