"""The lookup-heavy benchmark model (50 lookup tables, ``models/tests/fifty_lookups.mdl``) equals
PySD; ``benchmarks/bench_engine.py`` reports its element-steps per second beside the NHS model's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdmodels.testing import assert_matches_pysd

MODEL = Path(__file__).resolve().parents[2] / "models" / "tests" / "fifty_lookups.mdl"


def test_fifty_lookups_match_pysd(compiled) -> None:
    cm = compiled(MODEL)
    assert sum(1 for line in cm.source.splitlines() if line.startswith("LK_") and "_X =" in line) == 50
    # six months: PySD evaluates its lookups through xarray, slowly
    assert_matches_pysd(MODEL, params={"final_time": 6.0}, n_random=1, compiled=cm)


def test_a_lookup_holds_its_end_values_and_interpolates(compiled) -> None:
    """ratio 0 = stock 0 / 100 starts at 1, where table 0 is 1; beyond x = 3 it holds 1.3."""
    cm = compiled(MODEL)
    out = cm.run({"reference_0": [100.0, 25.0, 200.0]}, 3, return_columns=["effect_0"])["effect_0"]
    np.testing.assert_allclose(out[:, 0], [1.0, 1.3, 0.65])  # x = 1, 4 (held), 0.5
