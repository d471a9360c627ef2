"""Shapley attribution: exact sums, analytic splits, known interactions, sampled orderings."""

from __future__ import annotations

import numpy as np
import xarray as xr
import pytest
from typer.testing import CliRunner

import sdmodels
from sdmodels.attribution import attribution_factors, attribution_table, shapley_exact
from sdmodels.cli import app
from sdmodels.errors import ScenarioError, SDModelsError

ALL = ["Additive Output", "Accumulated Output", "Interaction Output", "Triple Output",
       "Scaled Output", "Risky Productivity"]
# all_levers: A 0 -> 1 from 2026, B 0 -> 2 from 2028, C 0 -> 0.5 from 2032, Scale 1 -> 2


@pytest.fixture(scope="module")
def exact(levers_model):
    return sdmodels.attribute(levers_model, scenario="all_levers", outputs=ALL)


def test_factors_are_the_levers_and_overrides(levers_model):
    factors = attribution_factors(levers_model, "all_levers", "baseline")
    assert [(f.key, f.kind) for f in factors] == [
        ("lever_a", "lever"), ("lever_b", "lever"), ("lever_c", "lever"), ("scale", "parameter")]
    assert factors[0].constants == ("lever_a", "lever_a_start_year")
    assert factors[0].scenario_values == (1.0, 2026.0)
    assert factors[0].against_values == (0.0, 2030.0)  # the model's defaults
    # only what differs: lever B is the same in both
    assert [f.key for f in attribution_factors(levers_model, "all_levers", "lever_b")] == [
        "lever_a", "lever_c", "scale"]


def test_values_sum_to_the_total_difference_exactly(levers_model, exact):
    runs = levers_model.run(["baseline", "all_levers"], return_columns=ALL)
    for var in exact["output"].values:
        diff = (runs[var].sel(scenario="all_levers") - runs[var].sel(scenario="baseline"))
        np.testing.assert_allclose(exact["total"].sel(output=var).values, diff.values,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(exact["shapley"].sel(output=var).sum("factor").values,
                                   diff.values, rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(exact["value_scenario"].sel(output=var).values,
                                   runs[var].sel(scenario="all_levers").values, atol=1e-12)


def test_additive_model_gets_the_analytic_split(exact):
    t = exact["time"].values
    acc = exact["shapley"].sel(output="accumulated_output")
    # Euler sums of steps that start on the grid are exact: 2 A (t - 2026), 3 B (t - 2028), ...
    expected = {"lever_a": 2 * 1 * np.maximum(0, t - 2026), "lever_b": 3 * 2 * np.maximum(0, t - 2028),
                "lever_c": -0.5 * np.maximum(0, t - 2032), "scale": 0 * t}
    for factor, values in expected.items():
        np.testing.assert_allclose(acc.sel(factor=factor).values, values, atol=1e-9)
        np.testing.assert_allclose(
            exact["alone"].sel(output="accumulated_output", factor=factor).values, values, atol=1e-9)
    np.testing.assert_allclose(exact["interaction"].sel(output="accumulated_output"), 0, atol=1e-9)
    step = exact["shapley"].sel(output="additive_output", time=2030)
    assert step.values.tolist() == pytest.approx([2.0, 6.0, 0.0, 0.0])


def test_known_interactions_get_the_hand_computed_split(exact):
    # A B + A with A 0 -> 1, B 0 -> 2: v({})=0, v(A)=1, v(B)=0, v(AB)=3;
    # phi_A = (1 + 3) / 2 = 2, phi_B = (0 + 2) / 2 = 1; interaction 3 - 1 = 2
    last = exact.sel(time=2040)
    assert last["shapley"].sel(output="interaction_output").values.tolist() == \
        pytest.approx([2.0, 1.0, 0.0, 0.0])
    assert float(last["interaction"].sel(output="interaction_output")) == pytest.approx(2.0)
    assert float(last["interaction_share"].sel(output="interaction_output")) == pytest.approx(2 / 3)
    # A B C: a pure three-way interaction splits equally
    assert last["shapley"].sel(output="triple_output").values.tolist() == \
        pytest.approx([1 / 3, 1 / 3, 1 / 3, 0.0])
    # Scale (A + B) (1 + X3), X3 = 0.5: each factor's share uses the mean of the other's ends
    assert last["shapley"].sel(output="scaled_output").values.tolist() == \
        pytest.approx([1.5 * 1.5, 3 * 1.5, 0.0, 1.5 * 1.5])


def test_shapley_exact_on_a_hand_example():
    # v = x0 + 2 x1 + 4 x0 x2 (bits: factor 0 = 1, factor 1 = 2, factor 2 = 4)
    v = np.array([0, 1, 2, 3, 0, 5, 2, 7], dtype=float)
    assert shapley_exact(v, 3).tolist() == pytest.approx([3.0, 2.0, 2.0])


def test_sampled_orderings_sum_exactly_and_estimate_the_values(levers_model, exact):
    ds = sdmodels.attribute(levers_model, scenario="all_levers", outputs=ALL,
                            shapley="permutation", permutations=64, seed=3)
    assert ds.attrs["shapley_method"] == "permutation" and ds.attrs["permutations"] == 64
    np.testing.assert_allclose(ds["shapley"].sum("factor"), exact["total"], atol=1e-12)
    # additive: every ordering gives each lever its effect alone, so no sampling error
    np.testing.assert_allclose(ds["shapley"].sel(output="accumulated_output"),
                               exact["shapley"].sel(output="accumulated_output"), atol=1e-9)
    assert float(ds["shapley_se"].sel(output="accumulated_output").max()) == pytest.approx(0)
    # two-way interactions only: an ordering and its reverse together give the exact values
    np.testing.assert_allclose(ds["shapley"].sel(output="scaled_output"),
                               exact["shapley"].sel(output="scaled_output"), atol=1e-12)
    # a three-way interaction is estimated, with a standard error that covers the error
    triple = ds.sel(output="triple_output", time=2040).isel(factor=[0, 1, 2])
    assert float(triple["shapley_se"].min()) > 0
    err = np.abs(triple["shapley"] - 1 / 3)
    assert bool((err <= 4 * triple["shapley_se"]).all())


def test_under_uncertainty_each_sample_is_attributed(levers_model, levers_spec):
    ds = sdmodels.attribute(levers_model, scenario="all_levers", outputs=["Scaled Output"],
                            spec=levers_spec, n=40, seed=0)
    assert ds["shapley"].dims == ("output", "factor", "sample", "time")
    assert ds.attrs["n_runs"] == 16 * 40 and ds.attrs["seed"] == 0
    x3 = ds["design"].sel(parameter="x3")
    phi = ds["shapley"].sel(output="scaled_output", time=2040)
    np.testing.assert_allclose(phi.sel(factor="lever_a"), 1.5 * (1 + x3.values), atol=1e-12)
    np.testing.assert_allclose(phi.sel(factor="scale"), 1.5 * (1 + x3.values), atol=1e-12)
    table = attribution_table(ds, "Scaled Output", year=2040)
    row = table.set_index("factor").loc["Lever B"]
    assert row.p5 < row.shapley < row.p95
    assert row.p5 == pytest.approx(np.quantile(3 * (1 + x3.values), 0.05))
    # the path of the uncertainty file is read as run_mc, sobol and morris read it
    by_path = sdmodels.attribute(levers_model, scenario="all_levers", outputs=["Scaled Output"],
                                 spec=levers_spec.path, n=40, seed=0)
    xr.testing.assert_identical(by_path["shapley"], ds["shapley"])


def test_bad_requests_are_clear_errors(levers_model, levers_spec):
    with pytest.raises(ScenarioError, match="no difference"):
        sdmodels.attribute(levers_model, scenario="baseline")
    with pytest.raises(SDModelsError, match="both spec= and n="):
        sdmodels.attribute(levers_model, scenario="all_levers", n=10)
    with pytest.raises(SDModelsError, match="differs between the scenarios"):
        sdmodels.attribute(levers_model, scenario="all_levers", params={"Scale": 1.5})
    with pytest.raises(SDModelsError, match="Interaction Output"):
        sdmodels.attribute(levers_model, scenario="all_levers", outputs=["Interaction Outptu"])
    with pytest.raises(SDModelsError, match="shapley must be"):
        sdmodels.attribute(levers_model, scenario="all_levers", shapley="approximate")


def test_waterfall_draws_every_factor(exact):
    from sdmodels.plots import waterfall

    fig = waterfall(exact, "Interaction Output")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "baseline", "Lever A", "Lever B", "Lever C", "Scale", "all_levers"]
    assert "interactions 67%" in ax.get_title()


def test_cli_prints_the_split_and_writes_file_and_waterfall(tmp_path, levers_path):
    out, png = tmp_path / "a.nc", tmp_path / "a.png"
    result = CliRunner().invoke(app, ["attribute", "all_levers", "--model", str(levers_path),
                                      "-o", "Interaction Output", "--out", str(out),
                                      "--plot", str(png), "--year", "2035"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Lever A" in result.output and "67% of the difference" in result.output
    ds = sdmodels.open_dataset(out)
    assert ds.attrs["analysis"] == "attribution" and ds.attrs["scenario"] == "all_levers"
    assert png.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(app, ["attribute", "no_such", "--model", str(levers_path),
                                   "--out", str(tmp_path / "b.nc")])
    assert bad.exit_code == 2 and "no_such" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "b.nc").exists()
    same = CliRunner().invoke(app, ["attribute", "baseline", "--model", str(levers_path),
                                    "--out", str(tmp_path / "c.nc")])
    assert same.exit_code == 2 and "no difference" in " ".join(same.output.split())


def test_docstring_examples(monkeypatch):
    import doctest

    from sdmodels import attribution
    from sdmodels._paths import MODELS_DIR

    monkeypatch.chdir(MODELS_DIR.parent)
    result = doctest.testmod(attribution, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
