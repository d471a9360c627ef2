"""Runs on a LocalCluster of two worker processes: identity with a local run, a worker killed
mid-run, an interrupted run resumed on the cluster."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr
from chunk_helpers import FailFrom, KillWorkerOnce, comparable

from sdmodels.batch import (
    execute,
    map_chunks,
    open_result,
    partial_path,
    plan_batch,
    run_batch,
    store_status,
)

pytestmark = pytest.mark.distributed


def test_identical_to_local_in_memory(client, ishigami, design, reference) -> None:
    ds = run_batch(ishigami, design, scheduler=client, chunk_size=128)
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_identical_to_local_streamed(client, ishigami, design, reference, tmp_path) -> None:
    out = tmp_path / "results.zarr"
    ds = run_batch(ishigami, design, scheduler=client, chunk_size=128, out=out)
    assert store_status(out).complete
    local = run_batch(ishigami, design, chunk_size=128, out=tmp_path / "local.zarr")
    xr.testing.assert_identical(comparable(ds), comparable(local))
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_subscripted_model_on_cluster(client, regions) -> None:
    rng = np.random.default_rng(11)
    params = {"growth_rate": rng.uniform(0.0, 0.05, (40, 3))}
    reference = regions.run_batch(params)
    ds = run_batch(regions, params, scheduler=client, chunk_size=9)
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_killed_worker_is_retried_without_losing_samples(client, ishigami, design, reference,
                                                          tmp_path) -> None:
    flag = tmp_path / "killed"
    out = tmp_path / "results.zarr"
    plan = plan_batch(ishigami, design, chunk_size=100)
    killing = dataclasses.replace(plan, task=KillWorkerOnce(plan.task, str(flag)))
    ds, ran = execute(killing, scheduler=client, out=out)
    assert flag.exists(), "no worker was killed: the test did not test anything"
    assert ran == plan.layout.n_chunks  # each chunk written once
    status = store_status(out)
    assert status.complete and status.done.all()
    xr.testing.assert_identical(comparable(ds), comparable(reference))
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_interrupted_on_cluster_then_resumed(client, ishigami, design, reference,
                                             tmp_path) -> None:
    out = tmp_path / "results.nc"
    plan = plan_batch(ishigami, design, chunk_size=100)
    failing = dataclasses.replace(plan, task=FailFrom(plan.task, float(design["x1"][500])))
    with pytest.raises(RuntimeError, match="simulated interruption"):
        execute(failing, scheduler=client, out=out, retries=0)
    assert not out.exists()
    status = store_status(partial_path(out))
    assert not status.complete
    done = status.done.astype(bool)
    assert not done[5:].any()  # failing chunks are never marked done
    with open_result(partial_path(out)) as partial:
        written = np.repeat(done, 100)
        np.testing.assert_array_equal(partial["y"].values[written],
                                      reference["y"].values[written])
        assert np.isnan(partial["y"].values[~written]).all()
    ds, ran = execute(plan, scheduler=client, out=out, resume=True)
    assert ran == int((~done).sum())
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_local_n_scheduler_starts_and_stops_its_own_cluster(ishigami, design) -> None:
    small = {k: v[:64] for k, v in design.items()}
    ds = run_batch(ishigami, small, scheduler="local:1", chunk_size=32)
    xr.testing.assert_identical(comparable(ds), comparable(ishigami.run_batch(small)))


def test_map_chunks_on_cluster(client) -> None:
    got = dict(map_chunks(divmod, [(i, (i, 3)) for i in range(7)], scheduler=client))
    assert got == {i: divmod(i, 3) for i in range(7)}


def test_engine_run_batch_passes_scheduler_on(client, ishigami, design, reference) -> None:
    from sdmodels.engine import run_batch as engine_run_batch

    ds = engine_run_batch(ishigami, design, scheduler=client, chunk_size=250)
    xr.testing.assert_identical(comparable(ds), comparable(reference))
