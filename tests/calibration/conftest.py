"""Fixtures of the calibration tests: the logistic model and synthetic data with known truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
LOGISTIC = HERE / "logistic.mdl"
TRUTH = {"Growth Rate": 0.4, "Carrying Capacity": 1000.0}
POP_SD = 20.0
HARVEST_SD = 5.0


@pytest.fixture(scope="session")
def logistic():
    import sdmodels

    return sdmodels.load_model(LOGISTIC)


@pytest.fixture(scope="session")
def truth_run(logistic):
    return logistic.run(params=TRUTH)


def write_case(folder: Path, truth_run, *, seed: int, series: str | None = None,
               priors: str | None = None, extra: str = "") -> Path:
    """Write synthetic data (normal noise of known sd) and a calibration file; return its path."""
    rng = np.random.default_rng(seed)
    t = truth_run["time"].values
    pop = truth_run["population"].values + rng.normal(0.0, POP_SD, t.size)
    har = truth_run["harvest"].values + rng.normal(0.0, HARVEST_SD, t.size)
    lines = ["time,Population,Harvest"]
    lines += [f"{t[i]:g},{pop[i]:.6f},{har[i]:.6f}" for i in range(t.size)]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    if series is None:
        series = f'[series."Population"]\nerror = "normal"\nscale = {POP_SD}\n'
    if priors is None:
        priors = (
            '[parameters."Growth Rate"]\ndist = "uniform"\nmin = 0.05\nmax = 1.0\n\n'
            '[parameters."Carrying Capacity"]\ndist = "uniform"\nmin = 200\nmax = 3000\n'
        )
    text = (f'model = "{LOGISTIC.as_posix()}"\ndata = "data.csv"\n{extra}\n\n{series}\n{priors}')
    path = folder / "cal.toml"
    path.write_text(text)
    return path
