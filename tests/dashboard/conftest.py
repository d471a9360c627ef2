"""Fixtures of the dashboard tests: a small NHS-like model that PySD runs in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

MODELS = Path(__file__).parent / "models"
MINI_MODEL = MODELS / "mini_nhs.mdl"


@pytest.fixture(scope="session")
def mini_model():
    """The dashboard test model (4 sectors, 4 levers, 3 presets, an uncertainty file)."""
    import sdmodels

    return sdmodels.load_model(MINI_MODEL)


@pytest.fixture
def store(mini_model):
    """A fresh store on the test model, PySD engine, few Monte Carlo samples."""
    from sdmodels.dashboard import DashboardStore

    return DashboardStore(mini_model, engine="pysd", mc_samples=16, sobol_samples=8)
