"""Fixtures of the analysis tests: a small model whose answers are known by construction."""

from __future__ import annotations

from pathlib import Path

import pytest

MODELS = Path(__file__).parent / "models"


@pytest.fixture(scope="session")
def levers_path() -> Path:
    """Three levers, a scale parameter and three uniform inputs; see the model's comments."""
    return MODELS / "levers.mdl"


@pytest.fixture(scope="session")
def levers_model(levers_path: Path):
    import sdmodels

    return sdmodels.load_model(levers_path)


@pytest.fixture(scope="session")
def levers_spec(levers_model):
    import sdmodels

    return sdmodels.load_uncertainty(MODELS / "uncertainty.toml", levers_model)
