"""Scenario discovery on a model whose failure region is known by construction.

In tests/analysis/models/levers.mdl, lever A raises Risky Productivity by A except where
X1 < 0.3 and X2 > 0.6, where it lowers it by 2 A; X3 moves both scenarios alike. So
all_levers fails to beat baseline exactly in that box, which holds 0.3 x 0.4 = 12% of the
input space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sdmodels
from sdmodels.cli import app
from sdmodels.discovery import cart_boxes, discover, prim
from sdmodels.errors import SDModelsError


@pytest.fixture(scope="module")
def mc(levers_model, levers_spec, tmp_path_factory):
    ds = sdmodels.run_mc(levers_model, levers_spec, n=2000, seed=4,
                         scenarios=["baseline", "all_levers"], outputs=["Risky Productivity"])
    path = tmp_path_factory.mktemp("disc") / "mc.nc"
    sdmodels.write_dataset(ds, path)
    return ds, path


def test_prim_finds_the_box_built_into_the_model(mc):
    ds, _ = mc
    found = discover(ds, scenario="all_levers", against="baseline",
                     output="Risky Productivity", year=2035)
    assert found.base_rate == pytest.approx(0.12, abs=0.02)
    box = found.prim.box
    limits = box.restricted()
    assert set(limits) == {"x1", "x2"}  # X3 plays no part
    assert limits["x1"][1] == pytest.approx(0.3, abs=0.03)
    assert limits["x2"][0] == pytest.approx(0.6, abs=0.03)
    assert box.density >= 0.9 and box.coverage >= 0.9
    assert box.mass == pytest.approx(0.12, abs=0.03)
    text = found.sentence()
    assert text.startswith("all_levers fails to beat baseline on Risky Productivity in 2035 in ")
    assert "of the runs where X1 < 0.3" in text and "and X2 > 0." in text
    assert "that region holds 1" in text


def test_peeling_trajectory_trades_coverage_for_density(mc):
    ds, _ = mc
    traj = discover(ds, scenario="all_levers", against="baseline",
                    output="risky_productivity", year=2035).prim.trajectory
    assert traj.loc[0, "mass"] == 1 and traj.loc[0, "coverage"] == 1
    assert traj["mass"].is_monotonic_decreasing
    assert traj["density"].iloc[-1] > traj["density"].iloc[0]
    assert traj["mass"].iloc[-1] >= 0.05 - 1e-9


def test_cart_finds_the_same_region(mc):
    ds, _ = mc
    found = discover(ds, scenario="all_levers", against="baseline",
                     output="Risky Productivity", year=2035)
    best = found.cart[0]
    assert best.density >= 0.9 and best.coverage >= 0.9
    assert best.restricted()["x1"][1] == pytest.approx(0.3, abs=0.03)
    assert best.restricted()["x2"][0] == pytest.approx(0.6, abs=0.03)


def test_prim_on_a_hand_sized_example():
    # failures exactly where a > 0.75 on a grid: one input, one cut
    a = np.linspace(0, 1, 401)
    x = pd.DataFrame({"a": a, "b": np.tile([0.0, 1.0], 201)[:401]})
    result = prim(x, a > 0.75, threshold=0.99, peel_alpha=0.1)
    assert result.box.restricted() == {"a": (pytest.approx(0.7525), 1.0)}  # first failing point
    assert result.box.density == 1.0 and result.box.coverage == 1.0
    assert cart_boxes(x, a > 0.75)[0].density == 1.0


def test_bad_requests_are_clear_errors(mc, levers_model, levers_spec):
    ds, _ = mc
    with pytest.raises(SDModelsError, match="not in this result"):
        discover(ds, scenario="nope", against="baseline", output="Risky Productivity",
                 year=2035)
    with pytest.raises(SDModelsError, match="Risky Productivity"):
        discover(ds, scenario="all_levers", against="baseline", output="Risky", year=2035)
    with pytest.raises(SDModelsError, match="outside"):
        discover(ds, scenario="all_levers", against="baseline", output="Risky Productivity",
                 year=2050)
    with pytest.raises(SDModelsError, match="never fails"):
        prim(pd.DataFrame({"a": [0.0, 1.0]}), np.array([False, False]))
    higher = ds.copy()
    higher["risky_productivity"] = ds["risky_productivity"] + (ds["scenario"] == "all_levers") * 9
    with pytest.raises(SDModelsError, match="every run"):  # lower is better: it always fails
        discover(higher, scenario="all_levers", against="baseline", output="Risky Productivity",
                 year=2035, direction="lower")
    q = sdmodels.run_mc(levers_model, levers_spec, n=16, seed=0, quantiles_only=True,
                        scenarios=["baseline", "all_levers"], outputs=["Risky Productivity"])
    with pytest.raises(SDModelsError, match="every sample"):
        discover(q, scenario="all_levers", against="baseline", output="Risky Productivity",
                 year=2035)


def test_cli_prints_sentences_trajectory_and_cart(mc, tmp_path):
    _, path = mc
    png = tmp_path / "t.png"
    result = CliRunner().invoke(app, ["discover", str(path), "--scenario", "all_levers",
                                      "--against", "baseline", "--output", "Risky Productivity",
                                      "--year", "2035", "--plot", str(png)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "PRIM: all_levers fails to beat baseline" in text and "CART" in text
    assert "Peeling trajectory" in text and png.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(app, ["discover", str(tmp_path / "none.nc"), "-s", "a",
                                   "--against", "b", "-o", "y", "--year", "2030"])
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())


def test_docstring_examples():
    import doctest

    from sdmodels import discovery

    result = doctest.testmod(discovery)
    assert result.attempted > 0 and result.failed == 0


def _reference_peel(values, y, inside, peel_alpha, n_min):
    """The peel as first written: one quantile per input and side, in a loop."""
    best = None
    y_in = y[inside]
    for j in range(values.shape[1]):
        v = values[inside, j]
        if v.min() == v.max():
            continue
        for side in ("low", "high"):
            cut = np.quantile(v, peel_alpha if side == "low" else 1 - peel_alpha,
                              method="lower" if side == "low" else "higher")
            keep = v > cut if side == "low" else v < cut
            if keep.all() or not keep.any():
                keep = v != cut
            if keep.sum() < n_min or keep.all():
                continue
            density = y_in[keep].mean()
            if best is None or density > best[0] + 1e-12 or (
                    abs(density - best[0]) <= 1e-12 and keep.sum() > best[4].sum()):
                best = (density, j, side, cut, keep)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_peel_is_the_loop_of_quantiles(seed):
    """All inputs peeled at once (one partition) choose the same peel as one quantile per
    input and side, ties (a constant column, repeated values) included."""
    from sdmodels.discovery import _best_peel

    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 400))
    values = rng.random((n, 7))
    values[:, 2] = np.round(values[:, 2] * 3)  # a few repeated values
    values[:, 4] = 0.5  # never peeled
    values[:, 5] = (values[:, 5] > 0.9).astype(float)  # mostly tied at its low end
    y = (values[:, 0] < 0.3) ^ (rng.random(n) < 0.1)
    inside = rng.random(n) < 0.8
    for alpha in (0.05, 0.1, 0.3):
        want = _reference_peel(values, y, inside, alpha, n_min=5)
        got = _best_peel(values, y, inside, alpha, 5)
        assert (got is None) == (want is None)
        if want is not None:
            assert got[0] == pytest.approx(want[0], abs=1e-15)
            assert got[1:4] == (want[1], want[2], want[3])
            np.testing.assert_array_equal(got[4], want[4])
