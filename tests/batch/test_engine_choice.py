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
    # the NHS kernel: 3.15 CPU-s of numba measured (runtime.JIT_SECONDS_FIXED); the estimate is
    # near it
    assert 2 < n.estimated_jit_seconds < 5
    assert estimated_pysd_seconds(small, s, 1) < estimated_pysd_seconds(nhs, n, 1)
    assert estimated_pysd_seconds(nhs, n, 6) == pytest.approx(6 * estimated_pysd_seconds(nhs, n, 1))


#: (statements, functions, CPU seconds of numba's first run) measured for the fit of
#: runtime.JIT_SECONDS_FIXED, JIT_SECONDS_PER_STATEMENT and JIT_SECONDS_PER_FUNCTION
FITTED = [(745, 1, 3.15), (178, 1, 1.07), (680, 1, 2.34), (1684, 1, 5.70), (3360, 48, 15.36),
          (5036, 69, 20.09), (8388, 115, 38.00), (33, 1, 1.05), (33, 1, 1.01)]


@pytest.mark.parametrize(("statements", "functions", "seconds"), FITTED)
def test_estimate_is_near_the_measured_compiles(statements: int, functions: int,
                                                seconds: float) -> None:
    from types import SimpleNamespace

    meta = {"jit_statements": statements, "jit_functions": functions}
    estimate = CompiledModel.estimated_jit_seconds.fget(SimpleNamespace(_meta=meta))
    assert 0.8 * seconds < estimate < 1.25 * seconds
