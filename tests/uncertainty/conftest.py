"""Fixtures of the uncertainty and sensitivity tests: small analytic models and file helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import sdmodels
from sdmodels._paths import MODELS_DIR

UNCERTAINTY_DIR = MODELS_DIR / "uncertainty"


@pytest.fixture(scope="session")
def ishigami() -> sdmodels.Model:
    return sdmodels.load_model(MODELS_DIR / "tests" / "ishigami.mdl")


@pytest.fixture(scope="session")
def sobol_g() -> sdmodels.Model:
    return sdmodels.load_model(MODELS_DIR / "tests" / "sobol_g.mdl")


@pytest.fixture(scope="session")
def ishigami_spec(ishigami):
    from sdmodels.uncertainty import load_uncertainty

    return load_uncertainty(UNCERTAINTY_DIR / "ishigami.toml", ishigami)


@pytest.fixture()
def write_toml(tmp_path: Path) -> Callable[[str], Path]:
    """Write TOML text to a fresh file and return its path."""
    counter = iter(range(10_000))

    def write(text: str) -> Path:
        path = tmp_path / f"spec{next(counter)}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


TEST_MODELS = Path(__file__).parent / "models"


@pytest.fixture(scope="session")
def staff() -> sdmodels.Model:
    """A one-stock workforce model with two shipped scenarios (baseline, retention)."""
    return sdmodels.load_model(TEST_MODELS / "staff.mdl")


@pytest.fixture(scope="session")
def staff_spec(staff):
    from sdmodels.uncertainty import load_uncertainty

    return load_uncertainty(TEST_MODELS / "staff.toml", staff)
