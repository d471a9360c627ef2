"""Chunked runs in this process: into memory, into zarr and netCDF; interruption and resume."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr
from chunk_helpers import FailFrom, comparable

from sdmodels.batch import (
    IncompatibleStoreError,
    execute,
    map_chunks,
    open_result,
    partial_path,
    plan_batch,
    run_batch,
    store_status,
)
from sdmodels.distributed import SchedulerError
from sdmodels.errors import ParameterRangeError, ResultWriteError


def test_chunked_in_memory_equals_engine(ishigami, design, reference) -> None:
    ds = run_batch(ishigami, design, chunk_size=300)
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_chunks_are_assembled_in_order(ishigami, design) -> None:
    """The chunked result holds, sample for sample, what one call of the kernel gives."""
    whole = ishigami.compiled().run(design, 1000, return_columns=["y"])["y"]
    ds = run_batch(ishigami, design, return_columns=["y"], chunk_size=7)
    assert ds["y"].dims == ("sample", "time")
    np.testing.assert_array_equal(ds["y"].values, whole)
    np.testing.assert_array_equal(ds["design"].sel(parameter="x2").values, design["x2"])


@pytest.mark.parametrize("out", [None, "pysd.nc"])
def test_pysd_runs_in_chunks_too(ishigami, design, tmp_path, out) -> None:
    few = {k: v[::100] for k, v in design.items()}
    compiled = run_batch(ishigami, few, return_columns=["y"], chunk_size=4)
    ds = run_batch(ishigami, few, engine="pysd", return_columns=["y"], chunk_size=4,
                   out=None if out is None else tmp_path / out)
    assert ds.attrs["engine"] == "pysd" and ds.sizes["sample"] == 10
    np.testing.assert_allclose(ds["y"].values, compiled["y"].values, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ds["design"].values, compiled["design"].values)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_stream_to_store_equals_engine(ishigami, design, reference, tmp_path, suffix) -> None:
    out = tmp_path / f"results{suffix}"
    ds = run_batch(ishigami, design, chunk_size=300, out=out)
    status = store_status(out)
    assert status.complete and status.done.tolist() == [1, 1, 1, 1]
    assert not partial_path(out).exists()
    assert ds.attrs["complete"] and ds.attrs["n_samples"] == 1000
    xr.testing.assert_identical(comparable(ds), comparable(reference))
    # the store opens quietly with plain xarray too (warnings are errors here)
    engine = "zarr" if suffix == ".zarr" else "netcdf4"
    with xr.open_dataset(out, engine=engine) as plain:
        np.testing.assert_array_equal(plain["y"].values, reference["y"].values)


def test_subscripted_per_sample_parameters(regions, tmp_path) -> None:
    rng = np.random.default_rng(5)
    params = {
        "scale": rng.uniform(1.0, 3.0, 50),
        "growth_rate": rng.uniform(0.0, 0.05, (50, 3)),
        "initial_population": [120.0, 180.0, 260.0],
    }
    reference = regions.run_batch(params, return_columns=["population", "total_population"])
    ds = run_batch(regions, params, return_columns=["population", "total_population"],
                   chunk_size=16, out=tmp_path / "regions.zarr")
    assert ds["population"].dims == ("sample", "time", "region")
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_scenario_columns_and_saveper(decay_model) -> None:
    params = {"residence_time": np.linspace(2.0, 12.0, 40), "SAVEPER": 2.0}
    reference = decay_model.run_batch(params, scenario="refill", return_columns=["stock"])
    ds = run_batch(decay_model, params, scenario="refill", return_columns=["stock"],
                   chunk_size=7)
    assert ds.attrs["scenario"] == "refill" and ds.sizes["time"] == 9
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_invalid_input_fails_before_any_store_is_made(ishigami, design, tmp_path) -> None:
    with pytest.raises(ResultWriteError, match=r"\.nc \(netCDF\) or \.zarr"):
        run_batch(ishigami, design, out=tmp_path / "results.csv")
    bad = {**design, "x1": design["x1"] * 10}
    with pytest.raises(ParameterRangeError, match="X1"):
        run_batch(ishigami, bad, out=tmp_path / "r.zarr")
    assert not any(tmp_path.iterdir())
    with pytest.raises(SchedulerError, match="local:N"):
        run_batch(ishigami, design, scheduler="somewhere", out=tmp_path / "r.zarr")
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="out="):
        run_batch(ishigami, design, resume=True)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_interrupted_run_says_incomplete_and_resumes(ishigami, design, reference, tmp_path,
                                                     suffix) -> None:
    out = tmp_path / f"results{suffix}"
    plan = plan_batch(ishigami, design, chunk_size=300)
    failing = dataclasses.replace(plan, task=FailFrom(plan.task, float(design["x1"][600])))
    with pytest.raises(RuntimeError, match="simulated interruption"):
        execute(failing, out=out)
    assert not out.exists()
    status = store_status(partial_path(out))
    assert not status.complete
    assert status.done.tolist() == [1, 1, 0, 0] and status.missing == [2, 3]
    with open_result(partial_path(out)) as partial:
        assert partial.attrs["complete"] in (False, 0)
        np.testing.assert_array_equal(partial["y"].values[:600], reference["y"].values[:600])
        assert np.isnan(partial["y"].values[600:]).all()
    ds, ran = execute(plan, out=out, resume=True)
    assert ran == 2
    assert store_status(out).complete and not partial_path(out).exists()
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_ctrl_c_leaves_a_resumable_store_and_keeps_an_earlier_result(
    ishigami, design, reference, tmp_path
) -> None:
    out = tmp_path / "results.zarr"
    earlier = {**design, "x3": np.zeros(1000)}
    run_batch(ishigami, earlier, chunk_size=250, out=out)
    plan = plan_batch(ishigami, design, chunk_size=250)
    stopped = dataclasses.replace(
        plan, task=FailFrom(plan.task, float(design["x1"][250]), KeyboardInterrupt)
    )
    with pytest.raises(KeyboardInterrupt):
        execute(stopped, out=out)
    assert store_status(partial_path(out)).missing == [1, 2, 3]
    with open_result(out) as kept:  # the earlier complete result is untouched
        np.testing.assert_array_equal(kept["design"].sel(parameter="x3").values, 0.0)
    ds, ran = execute(plan, out=out, resume=True)
    assert ran == 3
    xr.testing.assert_identical(comparable(ds), comparable(reference))


def test_resume_refuses_a_store_of_another_run(ishigami, design, tmp_path) -> None:
    out = tmp_path / "results.zarr"
    plan = plan_batch(ishigami, design, chunk_size=300)
    failing = dataclasses.replace(plan, task=FailFrom(plan.task, float(design["x1"][300])))
    with pytest.raises(RuntimeError):
        execute(failing, out=out)
    other = {**design, "x2": design["x2"][::-1]}
    with pytest.raises(IncompatibleStoreError, match="delete it"):
        run_batch(ishigami, other, chunk_size=300, out=out, resume=True)
    with pytest.raises(IncompatibleStoreError):  # another chunk size is another run too
        run_batch(ishigami, design, chunk_size=250, out=out, resume=True)
    # without resume, the partial store is replaced by a fresh run
    ds = run_batch(ishigami, other, chunk_size=300, out=out)
    assert ds.attrs["complete"]
    np.testing.assert_array_equal(ds["design"].sel(parameter="x2").values, other["x2"])


def test_resume_without_partial_store_runs_everything(ishigami, design, tmp_path) -> None:
    plan = plan_batch(ishigami, design, chunk_size=400)
    _, ran = execute(plan, out=tmp_path / "r.zarr", resume=True)
    assert ran == 3


def test_default_chunking_gives_several_chunks(ishigami, design) -> None:
    plan = plan_batch(ishigami, design)
    assert plan.layout.size == 256 and plan.layout.n_chunks == 4
    big = {"x1": np.zeros(100_000)}
    assert plan_batch(ishigami, big).layout.n_chunks == 64


def test_map_chunks_in_process() -> None:
    assert dict(map_chunks(divmod, [(i, (i, 3)) for i in range(5)])) == {
        i: divmod(i, 3) for i in range(5)
    }


def test_run_design_matches_monte_carlo_runner(ishigami) -> None:
    from chunk_helpers import ROOT

    from sdmodels.batch import run_design
    from sdmodels.montecarlo import run_design as mc_run_design
    from sdmodels.uncertainty import load_uncertainty

    spec = load_uncertainty(ROOT / "models" / "uncertainty" / "ishigami.toml", ishigami)
    design = spec.sample(500, seed=3).assign_coords(sample=np.arange(1000, 1500))
    reference = mc_run_design(ishigami, design, outputs=["y"], chunk_size=200)
    seen: list[int] = []
    ds = run_design(ishigami, design, outputs=["y"], chunk_size=128, advance=seen.append)
    assert sum(seen) == 500 and len(seen) == 5  # a zero for chunks done earlier, then 4 chunks
    xr.testing.assert_identical(ds["y"], reference["y"])
    assert list(ds.data_vars) == ["y"] and ds.attrs["model_sha256"] == ishigami.hash
