"""Fixtures for the behavioural and structural tests of the NHS productivity model.

Every run goes through the public API (``sdmodels.load_model().run``) with the PySD reference
engine, so these tests judge the model itself, independent of the compiled engine. Runs are cached
for the whole session: each scenario or parameter set is simulated once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import xarray as xr

SCENARIOS = (
    "baseline",
    "supply_push",
    "agility_first",
    "combined",
    "national_levers",
    "flow_and_activation",
)

#: The outputs every script, dashboard and test relies on, by Vensim name.
REQUIRED_OUTPUTS = (
    "Productivity Index",
    "Agility",
    "Improvement Capability",
    "Staff Morale",
    "Total Staff",
    "Vacancy Rate",
    "Waiting List",
    "Avoidable Demand",
    "Funding Gap",
)

#: The eight sectors of model design, as Vensim view names.
SECTORS = (
    "Workforce",
    "Demand",
    "Capacity and flow",
    "Improvement capability",
    "Motivation",
    "Agility",
    "Improvement approaches",
    "Productivity and finance",
)


@pytest.fixture(scope="session")
def nhs():
    """The bundled NHS productivity model."""
    import sdmodels

    return sdmodels.load_model()


@pytest.fixture(scope="session")
def simulate(nhs) -> Callable[..., xr.Dataset]:
    """Run the model once per distinct (scenario, params) and cache the Dataset.

    Call as ``simulate("baseline", **{"Vensim Name": value})``.
    """
    cache: dict[str, xr.Dataset] = {}

    def run(scenario: str | None = "baseline", **params: Any) -> xr.Dataset:
        key = json.dumps([scenario, sorted(params.items())])
        if key not in cache:
            cache[key] = nhs.run(scenario=scenario, params=params or None, engine="pysd")
        return cache[key]

    return run


def at(ds: xr.Dataset, var: str, year: float) -> float:
    """Value of ``var`` at ``year`` (a saved time)."""
    return float(ds[var].sel(time=year))


def first_time_reaching(ds: xr.Dataset, var: str, fraction: float) -> float:
    """First saved time at which ``var`` reaches ``fraction`` of its final value."""
    values = ds[var].values
    target = fraction * values[-1]
    hit = np.flatnonzero(values >= target)
    return float(ds.time.values[hit[0]])
