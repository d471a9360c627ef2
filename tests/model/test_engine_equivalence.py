"""The compiled engine equals PySD on the NHS model: every variable, every shipped scenario."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_compiled_equals_pysd(nhs, simulate, scenario):
    pysd_ds = simulate(scenario)
    compiled = nhs.run(scenario=scenario, engine="compiled")
    common = [v for v in pysd_ds.data_vars if v in compiled.data_vars]
    assert len(common) > 300
    worst = {}
    for var in common:
        a, b = np.asarray(pysd_ds[var].values, float), np.asarray(compiled[var].values, float)
        scale = max(1.0, float(np.max(np.abs(a))))
        err = float(np.max(np.abs(a - b))) / scale
        if err > 1e-9:
            worst[var] = err
    assert not worst, worst


def test_compiled_equals_pysd_with_time_series_input(nhs):
    """History runs pass funding growth as a time series; both engines read it the same way."""
    import pandas as pd

    times = np.arange(2024, 2040.01, 0.25)
    growth = pd.Series(np.where(times < 2030, 0.01, 0.04), index=times)
    params = {"Real Funding Growth": growth}
    cols = ["Provider Financial Balance", "Productivity Index", "Funding Index"]
    a = nhs.run("baseline", params=params, engine="pysd", return_columns=cols)
    b = nhs.run("baseline", params=params, engine="compiled", return_columns=cols)
    for var in ("provider_financial_balance", "productivity_index", "funding_index"):
        np.testing.assert_allclose(a[var].values, b[var].values, rtol=1e-9, atol=1e-9)
