"""Scenario files: schema, validation against a model, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdmodels import Lever, Scenario, ScenarioError, UnknownNameError, load_scenario


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_scenarios_are_found_for_their_model_only(decay_model):
    assert list(decay_model.scenarios) == ["baseline", "refill"]  # other_model.toml is skipped
    refill = decay_model.scenarios["refill"]
    assert refill.levers == (Lever("Inflow Size", 20.0, 2030.0),)
    assert refill.description.startswith("An inflow")


def test_levers_expand_to_value_and_start_year(decay_model):
    params = decay_model.scenarios["refill"].to_params(decay_model)
    assert params == {"residence_time": 4.0, "inflow_size": 20.0, "inflow_size_start_year": 2030.0}


def test_malformed_toml_names_file_and_line(tmp_path):
    bad = write(tmp_path / "bad.toml", 'description = "ok"\n[parameters]\n"Residence Time" = \n')
    with pytest.raises(ScenarioError, match=r"bad\.toml:3: malformed TOML"):
        load_scenario(bad)


def test_schema_errors_name_the_key(tmp_path):
    f = write(tmp_path / "s.toml", 'description = "x"\n[levers."Inflow Size"]\nvalue = 1\n')
    with pytest.raises(ScenarioError, match=r"levers\.Inflow Size\.start"):
        load_scenario(f)
    f = write(tmp_path / "t.toml", 'description = "x"\ncolour = "red"\n')
    with pytest.raises(ScenarioError, match="colour"):
        load_scenario(f)
    f = write(tmp_path / "u.toml", 'description = ""\n')
    with pytest.raises(ScenarioError, match="description"):
        load_scenario(f)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_unknown_parameter_names_closest(decay_model, tmp_path):
    f = write(tmp_path / "s.toml", 'description = "x"\n[parameters]\n"Residense Time" = 3\n')
    with pytest.raises(ScenarioError, match=r"unknown parameter 'Residense Time'.*'Residence Time'"):
        load_scenario(f).to_params(decay_model)


def test_out_of_range_is_refused_unless_allowed(decay_model, tmp_path):
    f = write(tmp_path / "s.toml", 'description = "x"\n[parameters]\n"Residence Time" = 50\n')
    with pytest.raises(ScenarioError, match=r"outside the declared range \[1, 20\]"):
        load_scenario(f).to_params(decay_model)
    f = write(
        tmp_path / "a.toml",
        'description = "x"\nallow_out_of_range = ["Residence Time"]\n'
        '[parameters]\n"Residence Time" = 50\n',
    )
    assert load_scenario(f).to_params(decay_model)["residence_time"] == 50


def test_lever_without_start_year_constant(decay_model):
    s = Scenario("s", levers=(Lever("Residence Time", 3, 2030),))
    with pytest.raises(ScenarioError, match="no start-year constant 'Residence Time Start Year'"):
        s.to_params(decay_model)


def test_unknown_scenario_name(decay_model):
    with pytest.raises(UnknownNameError, match="'refil'.*did you mean 'refill'"):
        decay_model.scenario("refil")


@settings(max_examples=40, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_range_validation_matches_declared_range(decay_model, value):
    s = Scenario("s", parameters={"Residence Time": value})
    if 1 <= value <= 20:
        assert s.to_params(decay_model) == {"residence_time": value}
    else:
        with pytest.raises(ScenarioError):
            s.to_params(decay_model)


def test_to_dict_round_trips_through_json(decay_model):
    import json

    d = json.loads(decay_model.scenarios["refill"].to_json())
    assert d["levers"] == {"Inflow Size": {"value": 20.0, "start": 2030.0}}
    assert d["file"] == "refill.toml"
