"""Levers are derived from the model: constant pairs ``X`` / ``X Start Year``."""

from __future__ import annotations

from sdmodels.dashboard.levers import find_levers, levers_scenario, scenario_lever_values


def test_every_pair_is_a_lever_with_units_and_range(mini_model):
    levers = {lv.name: lv for lv in find_levers(mini_model)}
    assert sorted(levers) == ["Improvement Investment", "Patient Activation", "Pay Restraint",
                              "Training Places"]
    tp = levers["Training Places"]
    assert (tp.min, tp.max, tp.default) == (0.0, 200.0, 0.0)
    assert tp.units == "people/Year"
    assert tp.label == "Training Places (people/Year)"
    assert not tp.percent and tp.format is None
    # a rate (1/Year) or a share (dimensionless) reads as a percentage; the slider keeps the
    # model's value, so only the readout's format changes
    pay = levers["Pay Restraint"]
    assert pay.percent and pay.label == "Pay Restraint (per year)" and pay.format.endswith("%")
    assert tp.start_py_name == "training_places_start_year"
    assert (tp.start_min, tp.start_max, tp.start_default) == (2024.0, 2040.0, 2026.0)
    # a constant without a start-year companion is not a lever
    assert "Base Leaver Rate" not in levers


def test_preset_values_and_round_trip(mini_model):
    levers = find_levers(mini_model)
    preset = mini_model.scenarios["agility_first"]
    values, starts = scenario_lever_values(levers, preset)
    assert values["improvement_investment"] == 0.8
    assert starts["improvement_investment"] == 2025.0
    assert values["patient_activation"] == 0.6 and starts["patient_activation"] == 2028.0
    assert values["training_places"] == 0.0  # not in the preset: default
    scenario = levers_scenario(levers, values, starts, name="mine", description="d",
                               base=preset)
    params = scenario.to_params(mini_model)
    assert params["improvement_investment"] == 0.8
    assert params["patient_activation_start_year"] == 2028.0
    assert params["training_places"] == 0.0
