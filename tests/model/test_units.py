"""Units check: the NHS model is dimensionally consistent; deliberate errors are reported."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import sdmodels
from sdmodels.cli import app
from sdmodels.units import check_units

HERE = Path(__file__).resolve().parent / "units_models"


def test_nhs_model_units_are_consistent(nhs):
    issues = check_units(nhs)
    assert not issues, "\n".join(map(str, issues))


def test_deliberate_errors_are_reported_with_both_sides():
    issues = {i.variable: i for i in check_units(sdmodels.load_model(HERE / "bad_units.mdl"))}
    assert set(issues) == {"Wrong Sum", "Wrong Declared", "Wrong Exp"}
    assert issues["Wrong Sum"].message.startswith("'+' of different units")
    assert {issues["Wrong Sum"].left, issues["Wrong Sum"].right} == {"Patients", "Patients / Year"}
    assert (issues["Wrong Declared"].left, issues["Wrong Declared"].right) == (
        "Patients", "Patients / Year")
    assert issues["Wrong Exp"].left == "Year"


def test_consistent_small_model_passes():
    assert check_units(sdmodels.load_model(HERE / "good_units.mdl")) == []


def test_cli_check_exit_codes():
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(HERE / "good_units.mdl")])
    assert ok.exit_code == 0 and "consistent" in ok.output
    bad = runner.invoke(app, ["check", str(HERE / "bad_units.mdl")])
    assert bad.exit_code == 1
    assert "Wrong Declared" in bad.output and "Patients / Year" in bad.output
