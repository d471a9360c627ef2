"""The pandemic-year data of the NHS calibration (docs/calibration/rounds.md, the round that corrected them).

The 2020 waiting-list points sit at the end of the month their sources name (y + m/12, as every
other point of rtt_waiting_list.csv), and the elective capacity loss loses what its two sources
say: 32% of January-August 2020's completed pathways and a quarter of calendar 2020's. The loss
shipped before (25% from mid-March 2020) lost about a fifth of calendar 2020, the diagnosed cause
of the list's fall in the 2020 history.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmodels._paths import MODELS_DIR
from sdmodels.calibration import read_data

DATA = MODELS_DIR / "data"


def _column(path: Path, column: str) -> pd.Series:
    return read_data(path).set_index("time")[column].dropna()


def _loss_share(series: pd.Series, start: float, end: float) -> float:
    """Mean of the linearly interpolated loss over [start, end] (0 before the first point)."""
    t = np.linspace(start, end, 20001)
    values = np.interp(t, series.index.to_numpy(), series.to_numpy(), left=0.0)
    return float(np.trapezoid(values, t) / (end - start))


def test_the_2020_list_points_are_at_their_month_ends():
    times = set(np.round(_column(DATA / "rtt_waiting_list.csv", "waiting_list").index, 3))
    # February, August and December 2020 (Nuffield Trust, Health Foundation, NHS Confederation)
    assert {2020.167, 2020.667, 2021.0} <= times
    assert not times & {2020.083, 2020.583, 2020.917}


def test_the_elective_loss_loses_what_its_sources_say():
    loss = _column(DATA / "covid_pandemic.csv", "elective_capacity_loss")
    assert _loss_share(loss, 2020.0, 2020 + 8 / 12) == pytest.approx(0.32, abs=0.002)
    assert _loss_share(loss, 2020.0, 2021.0) == pytest.approx(0.25, abs=0.002)
    # the loss shipped before, 25% from mid-March 2020, lost only about a fifth of calendar 2020
    before = pd.Series([0.0, 0.25, 0.25], index=[2020.2, 2020.25, 2021.2])
    assert _loss_share(before, 2020.0, 2021.0) == pytest.approx(0.20, abs=0.01)
