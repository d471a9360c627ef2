"""``sdmodels compile``: compiles, reports the cache status and prints the generated source."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

MODELS = Path(__file__).resolve().parent / "models"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_compile_shows_the_generated_source(runner: CliRunner) -> None:
    from sdmodels.cli import app

    result = runner.invoke(app, ["compile", str(MODELS / "exponential_decay.mdl"), "--show"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "# generated from exponential_decay.mdl by sdmodels.compiler; do not edit")
    assert "def _sample(" in result.output
    assert "exponential_decay.mdl: " in result.output and "kernel ready" in result.output


def test_compile_reports_unsupported_features(runner: CliRunner) -> None:
    from sdmodels.cli import app

    result = runner.invoke(app, ["compile", str(MODELS / "unsupported_clock.mdl")])
    assert result.exit_code == 3
    text = " ".join(result.output.split())  # the console wraps long lines
    assert "GET TIME VALUE" in text and "calendar year" in text


def test_compile_rejects_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    from sdmodels.cli import app

    result = runner.invoke(app, ["compile", str(tmp_path / "nope.mdl")])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())


def test_compile_reads_data_variables_from_data_files(runner: CliRunner, tmp_path: Path) -> None:
    from sdmodels.cli import app

    from .test_data_variables import FILES, write

    path = write(tmp_path)
    result = runner.invoke(app, ["compile", str(path)])
    assert result.exit_code == 2
    assert "'observed' is a data variable" in " ".join(result.output.split())
    args = ["compile", str(path), "--serial"] + [a for f in FILES for a in ("--data", f)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "data_variables.mdl: 13 outputs" in result.output
