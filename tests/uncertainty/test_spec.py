"""Uncertainty files: parsing, validation against the model, sampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from sdmodels.errors import UnknownNameError
from sdmodels.uncertainty import UncertaintyError, Uniform, load_uncertainty

HEADER = 'description = "test"\n'


def uniform(name: str, lo: float, hi: float) -> str:
    return f'[parameters."{name}"]\ndist = "uniform"\nmin = {lo!r}\nmax = {hi!r}\n'


def test_shipped_ishigami_file(ishigami_spec):
    assert ishigami_spec.names == ("x1", "x2", "x3")
    assert [p.name for p in ishigami_spec.parameters] == ["X1", "X2", "X3"]
    assert all(isinstance(d, Uniform) for d in ishigami_spec.distributions)
    assert ishigami_spec.correlation is None
    assert "Ishigami" in ishigami_spec.parameters[0].source


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_design_is_reproducible_and_labelled(ishigami_spec, method):
    a = ishigami_spec.sample(32, method=method, seed=0)
    b = ishigami_spec.sample(32, method=method, seed=0)
    c = ishigami_spec.sample(32, method=method, seed=1)
    assert a.dims == ("sample", "parameter")
    assert list(a["parameter"].values) == ["x1", "x2", "x3"]
    assert a.attrs["sampler"] == method and a.attrs["seed"] == 0
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.allclose(a.values, c.values)
    assert a.min() >= -np.pi and a.max() <= np.pi


def test_unseeded_design_records_its_seed(ishigami_spec):
    a = ishigami_spec.sample(16)
    b = ishigami_spec.sample(16, seed=a.attrs["seed"])
    np.testing.assert_array_equal(a.values, b.values)


def test_malformed_toml_names_file_and_line(ishigami, write_toml):
    path = write_toml(HEADER + '[parameters.X1]\ndist = "uniform"\nmin = = 1\n')
    with pytest.raises(UncertaintyError, match=rf"{path.name}:4: malformed TOML"):
        load_uncertainty(path, ishigami)


def test_missing_file(ishigami, tmp_path):
    with pytest.raises(UncertaintyError, match="does not exist"):
        load_uncertainty(tmp_path / "nope.toml", ishigami)


def test_unknown_parameter_names_the_closest(ishigami, write_toml):
    path = write_toml(HEADER + uniform("X11", 0.0, 1.0))
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'X11'.*did you mean.*'X1'") as info:
        load_uncertainty(path, ishigami)
    assert str(path) in str(info.value)


def test_only_constants_can_be_uncertain(ishigami, write_toml):
    with pytest.raises(UnknownNameError, match="unknown parameter 'Y'"):
        load_uncertainty(write_toml(HEADER + uniform("Y", 0.0, 1.0)), ishigami)


def test_support_outside_declared_range(ishigami, write_toml):
    path = write_toml(HEADER + uniform("X1", -4.0, 1.0))
    with pytest.raises(UncertaintyError, match=r"'X1'.*leaves the range \[-3.1416, 3.1416\]"):
        load_uncertainty(path, ishigami)


def test_unbounded_distribution_on_a_ranged_parameter(ishigami, write_toml):
    path = write_toml(HEADER + '[parameters.X2]\ndist = "normal"\nmean = 0.0\nsd = 1.0\n')
    with pytest.raises(UncertaintyError, match="truncnormal"):
        load_uncertainty(path, ishigami)
    # A parameter without a declared range accepts any support.
    ok = write_toml(HEADER + '[parameters.A]\ndist = "normal"\nmean = 7.0\nsd = 1.0\n')
    assert load_uncertainty(ok, ishigami).names == ("a",)


def test_invalid_arguments_name_parameter_and_file(ishigami, write_toml):
    path = write_toml(HEADER + uniform("X1", 1.0, 0.0))
    with pytest.raises(UncertaintyError, match=rf"{path.name}: parameter 'X1': uniform: min"):
        load_uncertainty(path, ishigami)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER, r"no \[parameters"),
        (HEADER + "seed = 3\n" + uniform("X1", 0.0, 1.0), "unexpected top-level key.*'seed'"),
        (HEADER + "[parameters]\nX1 = 0.5\n", "expected a table"),
        (HEADER + uniform("X1", 0.0, 1.0) + "source = 3\n", "'source' must be a string"),
        (HEADER + uniform("X1", 0, 1) + uniform("x1", 0, 1), "given twice"),
        ('model = "nhs_productivity.mdl"\n' + uniform("X1", 0, 1),
         "written for the model 'nhs_productivity.mdl', not 'ishigami.mdl'"),
    ],
)
def test_file_structure_errors(ishigami, write_toml, text, message):
    with pytest.raises((UncertaintyError, ValueError), match=message):
        load_uncertainty(write_toml(text), ishigami)


CORR = (
    HEADER
    + uniform("X1", -1.0, 1.0)
    + uniform("X2", -1.0, 1.0)
    + '[parameters.X3]\ndist = "triangular"\nmin = 0.0\nmode = 0.5\nmax = 2.0\n'
)


def test_rank_correlations_are_imposed(ishigami, write_toml):
    text = CORR + (
        '[[correlations]]\nbetween = ["X1", "X2"]\nrank = 0.6\nreason = "test"\n'
        '[[correlations]]\nbetween = ["x3", "X1"]\nrank = -0.4\n'
    )
    spec = load_uncertainty(write_toml(text), ishigami)
    expected = np.array([[1.0, 0.6, -0.4], [0.6, 1.0, 0.0], [-0.4, 0.0, 1.0]])
    np.testing.assert_array_equal(spec.correlation, expected)
    design = spec.sample(2000, method="lhs", seed=0)
    rho = stats.spearmanr(design.values).statistic
    np.testing.assert_allclose(rho, expected, atol=0.05)
    # Stratification survives the reordering.
    assert sorted(np.floor((design.values[:, 0] + 1) / 2 * 2000).astype(int).tolist()) == list(range(2000))
    assert '"rank": 0.6' in design.attrs["uncertainty"]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ('between = ["X1", "X9"]\nrank = 0.5\n', "correlation #1.*unknown parameter 'X9'"),
        ('between = ["X1", "X1"]\nrank = 0.5\n', "with itself"),
        ('between = ["X1", "X2"]\nrank = 1.0\n', "strictly between -1 and 1"),
        ('between = ["X1"]\nrank = 0.5\n', "two parameter names"),
        ('between = ["X1", "X2"]\nrho = 0.5\n', "unexpected key"),
    ],
)
def test_bad_correlations(ishigami, write_toml, entries, message):
    with pytest.raises(UncertaintyError, match=message):
        load_uncertainty(write_toml(CORR + "[[correlations]]\n" + entries), ishigami)


def test_contradictory_correlations(ishigami, write_toml):
    text = CORR + "".join(
        f'[[correlations]]\nbetween = ["{a}", "{b}"]\nrank = {r}\n'
        for a, b, r in (("X1", "X2", 0.9), ("X2", "X3", 0.9), ("X1", "X3", -0.9))
    )
    with pytest.raises(UncertaintyError, match="not positive definite"):
        load_uncertainty(write_toml(text), ishigami)


bound = st.floats(min_value=-3.14, max_value=3.14, allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=bound, b=bound)
def test_parser_accepts_exactly_the_valid_uniforms(ishigami, write_toml, a, b):
    path = write_toml(HEADER + uniform("X2", a, b))
    if a < b:
        spec = load_uncertainty(path, ishigami)
        assert spec.distributions[0].support == (a, b)
        values = spec.sample(8, seed=0).values
        assert values.min() >= a and values.max() <= b
    else:
        with pytest.raises(UncertaintyError, match="must be smaller than max"):
            load_uncertainty(path, ishigami)


def test_to_dict_round_trip(ishigami, write_toml):
    text = CORR + '[[correlations]]\nbetween = ["X1", "X2"]\nrank = 0.6\n'
    spec = load_uncertainty(write_toml(text), ishigami)
    again = type(spec).from_dict(spec.to_dict(), ishigami)
    assert again.to_dict() == spec.to_dict()
    np.testing.assert_array_equal(again.correlation, spec.correlation)


def test_select_keeps_file_order_and_the_kept_correlations(ishigami, write_toml):
    text = CORR + (
        '[[correlations]]\nbetween = ["X1", "X2"]\nrank = 0.6\n'
        '[[correlations]]\nbetween = ["x3", "X1"]\nrank = -0.4\n'
    )
    spec = load_uncertainty(write_toml(text), ishigami)
    both = spec.select(["X3", "x1"])
    assert both.names == ("x1", "x3")
    assert [p.distribution for p in both.parameters] == [spec.parameters[0].distribution,
                                                          spec.parameters[2].distribution]
    np.testing.assert_array_equal(both.correlation, [[1.0, -0.4], [-0.4, 1.0]])
    # X2 and X3 are uncorrelated: the selection is independent (usable by Sobol)
    assert spec.select(["X2", "X3"]).correlation is None
    assert spec.select(2).names == spec.select(np.int64(2)).names == ("x1", "x2")
    assert spec.select("x2").names == ("x2",)
    assert len(spec) == 3  # the original is unchanged


@pytest.mark.parametrize(("names", "message"), [
    (["x1", "x12"], r"not among the uncertain parameters: 'x12'; closest: .*x1"),
    (0, "first 0 parameters of 3"),
    (4, "first 4 parameters of 3"),
    ([], "select at least one parameter"),
])
def test_select_refuses_what_is_not_there(ishigami_spec, names, message):
    with pytest.raises(UncertaintyError, match=message):
        ishigami_spec.select(names)
