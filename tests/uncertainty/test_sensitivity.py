"""Sensitivity analysis: SALib equivalence, analytic test functions, time-resolved indices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol

from sdmodels.errors import SDModelsError
from sdmodels.sensitivity import morris, morris_indices, ranking, sobol, sobol_indices
from sdmodels.uncertainty import UncertaintyError, UncertaintySpec, load_uncertainty

from .conftest import TEST_MODELS, UNCERTAINTY_DIR

TOLERANCE = 0.02  # added to the bootstrap half-width: the interval itself is an estimate


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """Analytic Sobol indices of Ishigami's function with X_i ~ U(-pi, pi)."""
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {
        "S1": np.array([v1, v2, 0.0]) / v,
        "ST": np.array([v1 + v13, v2, v13]) / v,
        "S13": np.array(v13 / v),
    }


def g_function_indices(a: list[float]) -> dict[str, np.ndarray]:
    """Analytic Sobol indices of the Sobol G-function with X_i ~ U(0, 1)."""
    vi = np.array([1.0 / (3.0 * (1.0 + ai) ** 2) for ai in a])
    v = np.prod(1.0 + vi) - 1.0
    total = np.array([vi[i] * np.prod(np.delete(1.0 + vi, i)) for i in range(len(a))]) / v
    return {"S1": vi / v, "ST": total}


def assert_within_ci(result, output, analytic):
    for key in ("S1", "ST"):
        est = result[key].sel(output=output).isel(time=-1).values
        conf = result[f"{key}_conf"].sel(output=output).isel(time=-1).values
        assert np.all(conf > 0)
        miss = np.abs(est - analytic[key])
        assert np.all(miss <= conf + TOLERANCE), (key, est, analytic[key], conf)


@pytest.mark.parametrize("second_order", [False, True])
def test_vectorised_indices_equal_salib(second_order):
    rng = np.random.default_rng(1)
    d, n = 3, 256
    step = 2 * d + 2 if second_order else d + 2
    y = rng.normal(size=(n * step, 3))
    y[:, 1] = y[:, 0] ** 2 + 0.5 * y[:, 2]
    ours = sobol_indices(y, d, second_order=second_order, rng=np.random.default_rng(5))
    problem = {"num_vars": d, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * d}
    for col in range(3):
        ref = salib_sobol.analyze(problem, y[:, col], calc_second_order=second_order, seed=5)
        for key, value in ours.items():
            theirs = np.asarray(ref[key])
            mine = value[..., col]
            mask = ~np.isnan(theirs)
            np.testing.assert_allclose(mine[mask], theirs[mask], rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("second_order", [False, True])
def test_indices_of_a_model_equal_salib_at_every_year(staff, staff_spec, second_order):
    """The indices of every output at every saved year of a small model's runs equal
    SALib's sobol.analyze of that output-year with the same seed, to rounding."""
    from sdmodels.batch import run_design
    from sdmodels.sensitivity import sobol_dataset, sobol_design

    design, _ = sobol_design(staff_spec, 64, second_order=second_order, seed=3)
    outputs = ["staff", "leavers", "staff_vacancies"]
    runs = run_design(staff, design, outputs=outputs, years="whole")
    problem = {"num_vars": 3, "names": list(staff_spec.names), "bounds": [[0.0, 1.0]] * 3}
    for o in outputs:
        ours = sobol_dataset(
            runs,
            staff_spec,
            outputs=[o],
            second_order=second_order,
            rng=np.random.default_rng(5),
        ).sel(output=o)
        for t in runs["time"].values:
            y = runs[o].sel(time=t).values
            if np.ptp(y) == 0:  # the first year's leavers vary; a constant gives NaN here
                continue
            ref = salib_sobol.analyze(problem, y, calc_second_order=second_order, seed=5)
            for key in ours.data_vars:
                mine = ours[key].sel(time=t).values
                theirs = np.asarray(ref[key])
                mask = ~np.isnan(theirs)
                assert np.isnan(mine[~mask]).all()
                np.testing.assert_allclose(
                    mine[mask], theirs[mask], rtol=1e-12, atol=1e-14, err_msg=f"{key} of {o} at {t}"
                )


def test_indices_do_not_depend_on_how_the_columns_are_split(monkeypatch):
    """The bootstrap of many columns runs a few columns at a time: the split changes nothing."""
    from sdmodels import sensitivity

    rng = np.random.default_rng(2)
    d, n = 4, 128
    y = rng.normal(size=(n * (2 * d + 2), 7)).cumsum(axis=1)
    whole = sobol_indices(y, d, second_order=True, rng=np.random.default_rng(9))
    monkeypatch.setattr(sensitivity, "_BOOTSTRAP_BYTES", 1)  # one column at a time
    split = sobol_indices(y, d, second_order=True, rng=np.random.default_rng(9))
    for key, value in whole.items():
        np.testing.assert_allclose(split[key], value, rtol=1e-13, atol=1e-15, err_msg=key)


def test_constant_outputs_give_nan_not_warnings():
    y = np.ones((5 * 64, 2))
    y[:, 1] = np.arange(5 * 64.0)
    res = sobol_indices(y, 3, rng=np.random.default_rng(0))
    assert np.isnan(res["S1"][:, 0]).all() and np.isfinite(res["S1"][:, 1]).all()


def test_wrong_design_length():
    with pytest.raises(SDModelsError, match="multiple of 5"):
        sobol_indices(np.ones(11), 3)


@pytest.fixture(scope="module")
def ishigami_sobol(ishigami, ishigami_spec):
    return sobol(ishigami, ishigami_spec, n=1024, outputs=["Y", "A"], second_order=True, seed=0)


def test_ishigami_reproduces_analytic_indices(ishigami_sobol):
    analytic = ishigami_indices()
    assert_within_ci(ishigami_sobol, "y", analytic)
    s2 = ishigami_sobol["S2"].sel(output="y", parameter="x1", parameter_2="x3").isel(time=-1)
    conf = ishigami_sobol["S2_conf"].sel(output="y", parameter="x1", parameter_2="x3").isel(time=-1)
    assert abs(float(s2) - float(analytic["S13"])) <= float(conf) + TOLERANCE
    x1x2 = ishigami_sobol["S2"].sel(output="y", parameter="x1", parameter_2="x2").isel(time=-1)
    assert abs(float(x1x2)) < 0.1


def test_result_layout(ishigami_sobol, ishigami_spec):
    si = ishigami_sobol
    assert si["S1"].dims == ("output", "parameter", "time")
    assert si["S2"].dims == ("output", "parameter", "parameter_2", "time")
    assert si.sizes["parameter"] == 3 and si.sizes["time"] == 2
    assert si["design"].sizes["sample"] == 1024 * (2 * 3 + 2)
    assert si.attrs["seed"] == 0 and si.attrs["analysis"] == "sobol"
    assert si.attrs["sampler"] == "saltelli-sobol" and si.attrs["base_samples"] == 1024
    # The constant output "A" has undefined indices.
    assert np.isnan(si["S1"].sel(output="a")).all()


def test_ranking(ishigami_sobol):
    table = ranking(ishigami_sobol, "y")
    assert table["parameter"].tolist() == ["X1", "X2", "X3"]
    assert list(table.columns) == ["parameter", "ST", "ST_conf", "S1", "S1_conf"]
    by_s1 = ranking(ishigami_sobol, "y", index="S1")
    assert by_s1["parameter"].tolist() == ["X2", "X1", "X3"]


def test_g_function_reproduces_analytic_indices(sobol_g):
    spec = load_uncertainty(UNCERTAINTY_DIR / "sobol_g.toml", sobol_g)
    a = [float(sobol_g.parameters[f"a{i}"].value) for i in range(1, 7)]
    assert a == [0.0, 1.0, 4.5, 9.0, 99.0, 99.0]
    si = sobol(sobol_g, spec, n=1024, outputs=["Y"], seed=0)
    assert_within_ci(si, "y", g_function_indices(a))


def test_seed_zero_reproducible_and_different_from_one(ishigami, ishigami_spec):
    a = sobol(ishigami, ishigami_spec, n=64, outputs=["Y"], seed=0)
    b = sobol(ishigami, ishigami_spec, n=64, outputs=["Y"], seed=0)
    c = sobol(ishigami, ishigami_spec, n=64, outputs=["Y"], seed=1)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(a[key].values, b[key].values)
    np.testing.assert_array_equal(a["design"].values, b["design"].values)
    assert not np.allclose(a["S1"].values, c["S1"].values)


def test_time_resolved_indices(staff, staff_spec):
    si = sobol(staff, staff_spec, n=512, outputs=["Staff"], seed=0)
    assert si["time"].values.tolist() == [2024.0 + k for k in range(7)]
    start = si["S1"].sel(output="staff").isel(time=0)
    # At the start only the initial value matters, exactly.
    assert float(start.sel(parameter="initial_staff")) == pytest.approx(1.0, abs=0.03)
    assert abs(float(start.sel(parameter="recruitment"))) < 0.03
    # Over time recruitment and leaving take over from the initial value.
    st = si["ST"].sel(output="staff")
    assert float(st.sel(parameter="initial_staff").isel(time=-1)) < 0.5
    assert float(st.sel(parameter="recruitment").isel(time=-1)) > float(
        st.sel(parameter="recruitment").isel(time=1)
    )
    chosen = sobol(staff, staff_spec, n=512, outputs=["Staff"], seed=0, years=[2024, 2030])
    assert chosen["time"].values.tolist() == [2024.0, 2030.0]
    np.testing.assert_allclose(
        chosen["S1"].isel(time=-1).values, si["S1"].isel(time=-1).values, atol=1e-12
    )


def test_morris_ranks_g_function_inputs(sobol_g):
    spec = load_uncertainty(UNCERTAINTY_DIR / "sobol_g.toml", sobol_g)
    mo = morris(sobol_g, spec, trajectories=40, levels=4, outputs=["Y"], seed=0)
    assert mo["mu_star"].dims == ("output", "parameter", "time")
    mu = mo["mu_star"].sel(output="y").isel(time=-1).values
    assert list(np.argsort(-mu)[:4]) == [0, 1, 2, 3]
    assert mu[0] > 5 * mu[3] > 0
    assert mo.attrs["analysis"] == "morris" and mo.attrs["seed"] == 0
    assert mo["design"].sizes["sample"] == 40 * 7
    again = morris(sobol_g, spec, trajectories=40, levels=4, outputs=["Y"], seed=0)
    np.testing.assert_array_equal(again["mu_star_conf"].values, mo["mu_star_conf"].values)
    assert ranking(mo, "y")["parameter"].tolist()[0] == "X1"


def test_invalid_requests(ishigami, ishigami_spec, staff, write_toml):
    with pytest.raises(SDModelsError, match="power of 2.*n=512 or n=1024"):
        sobol(ishigami, ishigami_spec, n=1000, outputs=["Y"], seed=0)
    with pytest.raises(SDModelsError, match="levels must be an even"):
        morris(ishigami, ishigami_spec, trajectories=4, levels=3, outputs=["Y"], seed=0)
    # Settings of the analysis are checked before any run starts.
    with pytest.raises(SDModelsError, match="conf_level"):
        sobol(ishigami, ishigami_spec, n=8, outputs=["Y"], conf_level=95)
    with pytest.raises(SDModelsError, match="num_resamples"):
        morris(ishigami, ishigami_spec, trajectories=4, outputs=["Y"], num_resamples=1)
    text = (TEST_MODELS / "staff.toml").read_text() + (
        '[[correlations]]\nbetween = ["Recruitment", "Leaver Rate"]\nrank = 0.5\n'
    )
    correlated = load_uncertainty(write_toml(text), staff)
    assert isinstance(correlated, UncertaintySpec)
    with pytest.raises(UncertaintyError, match="assume independent parameters"):
        sobol(staff, correlated, n=8, outputs=["Staff"], seed=0)
    ok = sobol(staff, correlated, n=8, outputs=["Staff"], seed=0, ignore_correlations=True)
    assert ok.sizes["parameter"] == 3


@pytest.mark.parametrize("second_order", [False, True])
def test_saltelli_sample_equals_salib(second_order):
    from SALib.sample import sobol as salib_sample

    from sdmodels.sensitivity import saltelli_sample

    problem = {"num_vars": 4, "names": list("abcd"), "bounds": [[0.0, 1.0]] * 4}
    theirs = salib_sample.sample(
        problem, 64, calc_second_order=second_order, seed=np.random.default_rng(3)
    )
    ours = saltelli_sample(4, 64, second_order=second_order, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("second_order", [False, True])
def test_design_is_the_unit_design_through_the_distributions(staff_spec, second_order):
    """The design maps the base points and then cross-samples them: the same values as mapping
    every row of the unit design (triangular, uniform and PERT parameters)."""
    from sdmodels.sensitivity import saltelli_sample, sobol_design

    design, _ = sobol_design(staff_spec, 32, second_order=second_order, seed=4)
    unit = saltelli_sample(3, 32, second_order=second_order, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(design.values, staff_spec.transform(unit))


def test_every_saved_year_by_default_every_saved_time_on_request(tmp_path):
    import sdmodels

    text = (TEST_MODELS / "staff.mdl").read_text().replace("SAVEPER  = 1", "SAVEPER  = 0.5")
    (tmp_path / "staff_half_yearly.mdl").write_text(text)
    model = sdmodels.load_model(tmp_path / "staff_half_yearly.mdl")
    spec = load_uncertainty(TEST_MODELS / "staff.toml", model)
    yearly = sobol(model, spec, n=8, outputs=["Staff"], seed=0)
    assert yearly["time"].values.tolist() == [2024.0 + k for k in range(7)]
    every = sobol(model, spec, n=8, outputs=["Staff"], seed=0, years="all")
    assert every["time"].values.tolist() == [2024.0 + k / 2 for k in range(13)]
    np.testing.assert_allclose(
        every["S1"].sel(time=2027.0).values, yearly["S1"].sel(time=2027.0).values
    )
    with pytest.raises(SDModelsError, match="'all' or 'whole'"):
        sobol(model, spec, n=8, outputs=["Staff"], seed=0, years="some")


def test_analyses_take_the_path_of_an_uncertainty_file(ishigami, ishigami_spec):
    from sdmodels.montecarlo import run_mc

    path = UNCERTAINTY_DIR / "ishigami.toml"
    for analysis, kwargs in (
        (sobol, {"n": 64}),
        (morris, {"trajectories": 4}),
        (run_mc, {"n": 32}),
    ):
        by_path = analysis(ishigami, str(path), outputs=["Y"], seed=3, **kwargs)
        by_spec = analysis(ishigami, ishigami_spec, outputs=["Y"], seed=3, **kwargs)
        for name in by_spec.data_vars:
            np.testing.assert_array_equal(
                by_path[name].values, by_spec[name].values, err_msg=f"{analysis.__name__}: {name}"
            )
        with pytest.raises(UncertaintyError, match="UncertaintySpec or the path") as err:
            analysis(ishigami, {"x1": 1.0}, outputs=["Y"], seed=3, **kwargs)
        assert "dict" in str(err.value)


@pytest.mark.parametrize(("d", "trajectories", "levels"), [(3, 10, 4), (6, 7, 6), (1, 5, 2)])
def test_morris_indices_equal_salib(d, trajectories, levels):
    from SALib.analyze import morris as salib_morris
    from SALib.sample import morris as salib_morris_sample

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    unit = salib_morris_sample.sample(problem, trajectories, num_levels=levels, seed=1)
    rng = np.random.default_rng(2)
    y = np.column_stack(
        [
            np.sin(3 * unit).sum(axis=1) + unit[:, 0] ** 3 * 5,
            (unit**2).prod(axis=1),
            rng.normal(size=len(unit)),
        ]
    )
    ours = morris_indices(unit, y, levels=levels, num_resamples=200, rng=np.random.default_rng(7))
    for k in range(y.shape[1]):
        theirs = salib_morris.analyze(
            problem, unit, y[:, k], num_resamples=200, num_levels=levels, seed=7
        )
        one = morris_indices(
            unit, y[:, k], levels=levels, num_resamples=200, rng=np.random.default_rng(7)
        )
        for key in ("mu", "mu_star", "sigma", "mu_star_conf"):
            np.testing.assert_allclose(
                one[key],
                np.asarray(theirs[key]),
                rtol=1e-12,
                atol=1e-14,
                err_msg=f"{key}, column {k}",
            )
            if key != "mu_star_conf":  # the columns share one set of resamples
                np.testing.assert_allclose(ours[key][:, k], one[key], rtol=1e-12, atol=1e-14)
    # with shared resamples the first column still equals its own analysis
    np.testing.assert_allclose(
        ours["mu_star_conf"][:, 0],
        morris_indices(
            unit, y[:, 0], levels=levels, num_resamples=200, rng=np.random.default_rng(7)
        )["mu_star_conf"],
        rtol=1e-12,
        atol=1e-12,
    )


def test_morris_indices_refuse_a_design_of_the_wrong_shape():
    with pytest.raises(SDModelsError, match=r"trajectories \* \(d \+ 1\) rows"):
        morris_indices(np.zeros((10, 3)), np.zeros(10))
    with pytest.raises(SDModelsError, match="trajectories"):
        morris_indices(np.zeros((8, 3)), np.zeros(9))
