"""The corrected data of docs/calibration/misses.py (docs/calibration.md, "This round").

The 2020 waiting-list points belong at the end of the month their sources name (y + m/12, as every
other point of rtt_waiting_list.csv), and the corrected elective capacity loss must lose what its
two sources say: 32% of January-August 2020's completed pathways and a quarter of calendar 2020's.
The shipped loss (25% from mid-March 2020) loses about a fifth of calendar 2020, the diagnosed cause
of the list's fall in the 2020 history.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdmodels._paths import MODELS_DIR

MISSES = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "misses.py"


@pytest.fixture(scope="module")
def misses():
    spec = importlib.util.spec_from_file_location("misses", MISSES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _column(path: Path, column: str) -> pd.Series:
    data = pd.read_csv(path, comment="#")
    return data.set_index("time")[column].dropna()


def _loss_share(series: pd.Series, start: float, end: float) -> float:
    """Mean of the linearly interpolated loss over [start, end] (0 before the first point)."""
    t = np.linspace(start, end, 20001)
    values = np.interp(t, series.index.to_numpy(), series.to_numpy(), left=0.0)
    return float(np.trapezoid(values, t) / (end - start))


def test_corrected_copies_put_the_2020_list_at_month_ends(misses, tmp_path):
    shipped = MODELS_DIR / "data" / "rtt_waiting_list.csv"
    before = shipped.read_text()
    misses.corrected_spec(MODELS_DIR / "calibration" / "nhs_history.toml", tmp_path)
    assert shipped.read_text() == before                      # the shipped file is not touched
    times = set(np.round(_column(tmp_path / "rtt_waiting_list.csv", "waiting_list").index, 3))
    assert {2020.167, 2020.667, 2021.0} <= times
    assert not times & {2020.083, 2020.583, 2020.917}


def test_corrected_elective_loss_loses_what_its_sources_say(misses, tmp_path):
    misses.corrected_spec(MODELS_DIR / "calibration" / "nhs_history.toml", tmp_path)
    loss = _column(tmp_path / "covid_pandemic.csv", "elective_capacity_loss")
    assert _loss_share(loss, 2020.0, 2020 + 8 / 12) == pytest.approx(0.32, abs=0.002)
    assert _loss_share(loss, 2020.0, 2021.0) == pytest.approx(0.25, abs=0.002)
    # the rest of the series (from April 2021) as shipped
    shipped = _column(MODELS_DIR / "data" / "covid_pandemic.csv", "elective_capacity_loss")
    pd.testing.assert_series_equal(loss[loss.index >= 2021.25], shipped[shipped.index >= 2021.25])


def test_the_shipped_elective_loss_loses_a_fifth_of_calendar_2020():
    loss = _column(MODELS_DIR / "data" / "covid_pandemic.csv", "elective_capacity_loss")
    assert _loss_share(loss, 2020.0, 2021.0) == pytest.approx(0.20, abs=0.01)
    assert _loss_share(loss, 2020.0, 2020 + 8 / 12) < 0.32 - 0.1
