"""Monte Carlo streamed to a file: per-scenario stores, block-wise summaries, resume."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sdmodels.montecarlo as mc_module
import sdmodels.montecarlo._summaries as mc_summaries
from sdmodels.batch import IncompatibleStoreError, store_status
from sdmodels.batch._task import BatchTask
from sdmodels.errors import ResultWriteError, SDModelsError
from sdmodels.montecarlo import output_variables, quantiles, run_mc

SCENARIOS = ["retention", "baseline"]  # the reference is not first: its store is run first
OUTPUTS = ["Staff", "Staff Vacancies"]
#: Attrs only a store has, or that differ between two runs of the same inputs.
RUN_ATTRS = ("created_utc", "complete", "chunk_size", "n_chunks", "run_fingerprint")


def _plain(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` in memory without the store's done mask and run attrs, JSON attrs decoded."""
    ds = ds.drop_vars("chunk_done", errors="ignore").load()
    attrs = {}
    for key, value in ds.attrs.items():
        if key not in RUN_ATTRS:
            attrs[key] = json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
    ds.attrs = attrs
    for var in ds.data_vars:
        ds[var].attrs = {k: json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
                         for k, v in ds[var].attrs.items()}
    return ds


@pytest.fixture(scope="module")
def in_memory(staff, staff_spec):
    return run_mc(staff, staff_spec, n=1000, scenarios=SCENARIOS, seed=3, outputs=OUTPUTS)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_streamed_result_equals_in_memory(staff, staff_spec, in_memory, tmp_path, suffix):
    out = tmp_path / f"mc{suffix}"
    ds = run_mc(staff, staff_spec, n=1000, scenarios=SCENARIOS, seed=3, outputs=OUTPUTS,
                chunk_size=128, out=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # parts are gone
    # the final file holds results only: the resume bookkeeping is gone
    assert "chunk_done" not in ds.variables and "chunk" not in ds.dims
    assert not set(RUN_ATTRS[1:]) & set(ds.attrs)
    assert ds["staff"].dims == ("scenario", "sample", "time")
    xr.testing.assert_identical(_plain(ds), _plain(in_memory))
    assert output_variables(ds) == ["staff", "staff_vacancies"]
    pd.testing.assert_frame_equal(ds.sd.summary(years=[2026, 2030]),
                                  in_memory.sd.summary(years=[2026, 2030]))


def test_streamed_quantiles_only_equals_in_memory(staff, staff_spec, tmp_path):
    kwargs = {"n": 512, "scenarios": SCENARIOS, "seed": 1, "outputs": OUTPUTS, "quantiles_only": True}
    want = run_mc(staff, staff_spec, **kwargs)
    got = run_mc(staff, staff_spec, **kwargs, chunk_size=100, out=tmp_path / "q.nc")
    assert [p.name for p in tmp_path.iterdir()] == ["q.nc"]
    assert "sample" not in got["staff"].dims
    xr.testing.assert_identical(_plain(got), _plain(want))
    with xr.open_dataset(tmp_path / "q.nc") as stored:
        np.testing.assert_array_equal(stored["staff"].values, want["staff"].values)


def test_block_wise_summaries_equal_whole_ones(in_memory, monkeypatch):
    """Quantiles and probabilities computed a few saved times at a time (as for a result too
    large to hold) equal those computed at once."""
    whole_q = quantiles(in_memory)
    whole_pb = mc_module.prob_better(in_memory, reference="retention")
    monkeypatch.setattr(mc_summaries, "_BLOCK_BYTES", 3 * 8 * 2 * 1000)  # 3 times per block
    calls = []
    real = xr.DataArray.quantile

    def counting(self, *args, **kwargs):
        calls.append(self.sizes["time"])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(xr.DataArray, "quantile", counting)
    xr.testing.assert_identical(quantiles(in_memory), whole_q)
    assert max(calls) == 3 and len(calls) > 2  # really split
    xr.testing.assert_identical(mc_module.prob_better(in_memory, reference="retention"), whole_pb)


def test_interrupted_run_resumes_without_rerunning_finished_work(staff, staff_spec, tmp_path,
                                                                 monkeypatch):
    out = tmp_path / "mc.zarr"
    out.mkdir()  # an earlier result stays untouched until the new one is complete
    (out / "marker").write_text("earlier")
    kwargs = {"n": 1000, "scenarios": SCENARIOS, "outputs": OUTPUTS, "chunk_size": 250}
    real = BatchTask.__call__
    calls = {"n": 0}

    def stop_in_second_scenario(self, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 6:  # 4 chunks of the reference ran, 1 of the other scenario
            raise KeyboardInterrupt
        return real(self, *args, **kw)

    monkeypatch.setattr(BatchTask, "__call__", stop_in_second_scenario)
    with pytest.raises(KeyboardInterrupt):
        run_mc(staff, staff_spec, **kwargs, out=out)  # no seed: one is drawn and recorded
    assert (out / "marker").read_text() == "earlier"
    parts = tmp_path / "mc.zarr.parts"
    stores = sorted(p.name for p in parts.iterdir())
    assert stores == ["000-retention.zarr.partial", "001-baseline.zarr", "run.json"]
    assert store_status(parts / "000-retention.zarr.partial").missing == [1, 2, 3]

    calls["n"] = -10**9  # no more interruptions; count the chunks the resumed run needs
    ds = run_mc(staff, staff_spec, **kwargs, out=out, resume=True)
    assert calls["n"] == -10**9 + 3
    assert not parts.exists() and not (out / "marker").exists()
    fresh = run_mc(staff, staff_spec, **kwargs, seed=ds.attrs["seed"])
    xr.testing.assert_identical(_plain(ds), _plain(fresh))


def test_resume_refuses_other_inputs(staff, staff_spec, tmp_path, monkeypatch):
    out = tmp_path / "mc.nc"
    real = BatchTask.__call__

    def fail_late(self, varying, n):
        if varying["leaver_rate"].size and fail_late.calls >= 2:
            raise RuntimeError("simulated crash")
        fail_late.calls += 1
        return real(self, varying, n)

    fail_late.calls = 0
    monkeypatch.setattr(BatchTask, "__call__", fail_late)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_mc(staff, staff_spec, n=600, scenarios=SCENARIOS, seed=4, chunk_size=200, out=out)
    monkeypatch.undo()
    with pytest.raises(IncompatibleStoreError, match="same inputs"):
        run_mc(staff, staff_spec, n=600, scenarios=SCENARIOS, seed=5, chunk_size=200, out=out,
               resume=True)
    assert not out.exists()
    # without resume the interrupted parts are replaced by a fresh run
    ds = run_mc(staff, staff_spec, n=600, scenarios=SCENARIOS, seed=5, chunk_size=200, out=out)
    assert ds.attrs["seed"] == 5 and not (tmp_path / "mc.nc.parts").exists()


def test_bad_out_is_refused_before_running(staff, staff_spec, tmp_path):
    with pytest.raises(ResultWriteError, match=r"\.nc \(netCDF\) or \.zarr"):
        run_mc(staff, staff_spec, n=10, out=tmp_path / "mc.csv")
    with pytest.raises(SDModelsError, match="out="):
        run_mc(staff, staff_spec, n=10, resume=True)
    with pytest.raises(SDModelsError, match="power of 2"):  # found once the run has started
        run_mc(staff, staff_spec, n=10, method="sobol", out=tmp_path / "mc.nc")
    assert list(tmp_path.iterdir()) == []


def test_summary_of_a_subscripted_output_says_how_to_select(tmp_path):
    import sdmodels
    from sdmodels._paths import MODELS_DIR
    from sdmodels.uncertainty import UncertaintySpec

    regions = sdmodels.load_model(MODELS_DIR.parent / "tests" / "compiler" / "models"
                                  / "subscripts_1d.mdl")
    spec = UncertaintySpec.from_dict(
        {"parameters": {"scale": {"dist": "uniform", "min": 1.0, "max": 3.0}}}, regions)
    want = run_mc(regions, spec, n=64, seed=0, outputs=["population"])
    ds = run_mc(regions, spec, n=64, seed=0, outputs=["population"], out=tmp_path / "r.nc",
                chunk_size=16)
    assert ds["population"].dims == ("scenario", "sample", "time", "region")
    xr.testing.assert_equal(ds["population"], want["population"])
    with pytest.raises(SDModelsError, match=r"subscript dimension\(s\) \['region'\].*ds.sel"):
        ds.sd.summary()
    region = str(ds["region"].values[0])
    table = ds.sel(region=region).sd.summary()
    assert table["p50"].notna().all()
