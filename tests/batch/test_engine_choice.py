"""``engine="auto"`` never waits for a long compile when PySD finishes the runs sooner; the
compile-time estimate grows with the generated kernel."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import sdmodels
from sdmodels.batch import AUTO_LONG_COMPILE_SECONDS, estimated_pysd_seconds
from sdmodels.compiler import CompiledModel
from sdmodels.errors import EngineFallbackWarning

ROOT = Path(__file__).resolve().parents[2]
DECAY = ROOT / "tests" / "data" / "decay" / "decay.mdl"


def _uncached(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(CompiledModel, "jit_cached", property(lambda self: False))
    monkeypatch.setattr(CompiledModel, "estimated_jit_seconds", property(lambda self: seconds))


def test_auto_runs_pysd_rather_than_a_long_compile(monkeypatch) -> None:
    model = sdmodels.Model(DECAY)  # a model object of its own: one warning per model
    _uncached(monkeypatch, 20 * 60.0)  # a 20-minute compile
    with pytest.warns(EngineFallbackWarning, match="compiling its kernel would take about 1200 s"):
        ds = model.run(engine="auto")
    assert ds.attrs["engine"] == "pysd"
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallbackWarning)  # once per model
        assert model.run(engine="auto").attrs["engine"] == "pysd"
    # asked for, the compiled engine is used whatever it costs
    assert model.run(engine="compiled").attrs["engine"] == "compiled"


def test_auto_compiles_when_the_runs_would_take_longer(monkeypatch) -> None:
    model = sdmodels.Model(DECAY)
    _uncached(monkeypatch, 2 * AUTO_LONG_COMPILE_SECONDS)
    cm = model.compiled()
    # enough samples that PySD would take longer than the compile
    n = int(2 * AUTO_LONG_COMPILE_SECONDS / estimated_pysd_seconds(model, cm, 1)) + 1
    residence = model.resolve_parameter("Residence Time")
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallbackWarning)
        ds = model.run_batch({residence: np.full(n, 5.0)}, outputs=["stock"], engine="auto")
    assert ds.attrs["engine"] == "compiled" and ds.sizes["sample"] == n


def test_auto_compiles_a_cached_or_short_kernel(monkeypatch) -> None:
    model = sdmodels.Model(DECAY)
    _uncached(monkeypatch, AUTO_LONG_COMPILE_SECONDS / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallbackWarning)
        assert model.run(engine="auto").attrs["engine"] == "compiled"
    monkeypatch.setattr(CompiledModel, "jit_cached", property(lambda self: True))
    monkeypatch.setattr(CompiledModel, "estimated_jit_seconds", property(lambda self: 1e6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallbackWarning)
        assert model.run(engine="auto").attrs["engine"] == "compiled"


def test_estimates_grow_with_the_model() -> None:
    small = sdmodels.load_model(ROOT / "models" / "tests" / "ishigami.mdl")
    nhs = sdmodels.load_model()
    s, n = small.compiled(), nhs.compiled()
    assert 0 < s.estimated_jit_seconds < n.estimated_jit_seconds
    # the NHS kernel: 11.8 CPU-s of numba measured (docs/compiler.md); the estimate is near it
    assert 5 < n.estimated_jit_seconds < 25
    assert estimated_pysd_seconds(small, s, 1) < estimated_pysd_seconds(nhs, n, 1)
    assert estimated_pysd_seconds(nhs, n, 6) == pytest.approx(6 * estimated_pysd_seconds(nhs, n, 1))
