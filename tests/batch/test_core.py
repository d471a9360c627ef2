"""The batch core: executors chosen by ``scheduler=``, the registry, the PySD adapter."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sdmodels
from sdmodels.batch import (
    SerialExecutor,
    ThreadExecutor,
    check_scheduler,
    executor_for,
    loaded_model,
    map_chunks,
    run_batch,
    run_pysd,
    run_pysd_arrays,
)
from sdmodels.distributed import DaskExecutor, SchedulerError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ishigami():
    return sdmodels.load_model(ROOT / "models" / "tests" / "ishigami.mdl")


def test_scheduler_chooses_the_executor() -> None:
    assert isinstance(executor_for(None), SerialExecutor)
    assert isinstance(executor_for("threads:3"), ThreadExecutor)
    assert executor_for("threads:3").n_threads == 3
    assert isinstance(executor_for("local:2"), DaskExecutor)  # dask is imported only on entry
    for bad in ("threads:0", "threads:x", "nonsense"):
        with pytest.raises(SchedulerError):
            check_scheduler(bad)


def test_threads_give_the_serial_values(ishigami) -> None:
    rng = np.random.default_rng(3)
    design = {k: rng.uniform(-3, 3, 500) for k in ("x1", "x2", "x3")}
    serial = run_batch(ishigami, design, chunk_size=60)
    threaded = run_batch(ishigami, design, chunk_size=60, scheduler="threads:2")
    xr.testing.assert_identical(serial.drop_attrs(), threaded.drop_attrs())


def test_thread_executor_runs_chunks_concurrently_and_keeps_every_key() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i * i

    got = dict(map_chunks(work, [(i, (i,)) for i in range(12)], scheduler="threads:3"))
    assert got == {i: i * i for i in range(12)}
    assert 2 <= peak[0] <= 3


def test_thread_executor_raises_a_chunk_error() -> None:
    def fail(i: int) -> int:
        raise RuntimeError(f"chunk {i}")

    with pytest.raises(RuntimeError, match="chunk"):
        dict(map_chunks(fail, [(i, (i,)) for i in range(4)], scheduler="threads:2"))


def test_registry_loads_a_model_once(ishigami) -> None:
    calls = []

    def loader(path):
        calls.append(path)
        return sdmodels.load_model(path)

    key = "registry-test-" + ishigami.hash
    first = loaded_model(str(ishigami.path), key, None, loader)
    again = loaded_model(str(ishigami.path), key, None, loader)
    assert first is again and len(calls) == 1


def test_chunks_in_the_driver_use_the_kernel_of_the_planned_model(ishigami, monkeypatch) -> None:
    """Chunks run in this process use the registered model's kernel (the one that ran the first
    sample), without compiling or hashing the model file again for each chunk."""
    from sdmodels.batch import _registry

    x1 = np.linspace(-3.0, 3.0, 40)
    expected = run_batch(ishigami, {"x1": x1}, outputs=["y"])

    def refuse(*args, **kwargs):
        raise AssertionError("compile_model called for a chunk")

    monkeypatch.setattr(_registry, "compile_model", refuse)
    chunked = run_batch(ishigami, {"x1": x1}, outputs=["y"], chunk_size=7)
    np.testing.assert_array_equal(chunked["y"].values, expected["y"].values)
    threaded = run_batch(ishigami, {"x1": x1}, outputs=["y"], chunk_size=7, scheduler="threads:2")
    np.testing.assert_array_equal(threaded["y"].values, expected["y"].values)


def test_pysd_adapter_controls_and_subscripts() -> None:
    model = sdmodels.load_model(ROOT / "tests" / "compiler" / "models" / "subscripts_1d.mdl")
    run = run_pysd_arrays(
        model, {"final_time": float(model.controls["final_time"].value) / 2}, None
    )
    ds = run_pysd(model, {}, None)
    assert run.time[-1] < float(ds["time"][-1])
    sub = [py for py, dims in run.dims.items() if dims]
    assert sub and all(
        run.arrays[py].shape[1:] == tuple(len(c) for _, c in run.dims[py]) for py in sub
    )
    assert not any(py in ds for py in ("final_time", "time_step", "saveper", "initial_time"))
