"""``scheduler=`` and ``out=`` through the public entry points: Model.run_batch, run_mc, sobol, CLI."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from chunk_helpers import ROOT
from typer.testing import CliRunner

import sdmodels
from sdmodels.batch import open_result, store_status

UNCERTAINTY = ROOT / "models" / "uncertainty" / "ishigami.toml"


def test_model_run_batch_streams_to_zarr_like_a_local_run(ishigami, design, reference, tmp_path):
    out = tmp_path / "r.zarr"
    ds = ishigami.run_batch(design, out=out, chunk_size=128)
    assert store_status(out).complete
    stored = open_result(out)
    for var in reference.data_vars:
        np.testing.assert_array_equal(stored[var].values, reference[var].values)
        np.testing.assert_array_equal(ds[var].values, reference[var].values)
    with pytest.raises(ValueError, match="resume=True continues a streamed run"):
        ishigami.run_batch(design, resume=True)


def test_run_mc_and_sobol_on_a_cluster_equal_local(ishigami, client):
    spec = sdmodels.load_uncertainty(UNCERTAINTY, ishigami)
    local = sdmodels.run_mc(ishigami, spec, n=256, seed=0, outputs=["y"])
    remote = sdmodels.run_mc(ishigami, spec, n=256, seed=0, outputs=["y"], scheduler=client)
    xr.testing.assert_equal(local["y"], remote["y"])
    s_local = sdmodels.sobol(ishigami, spec, n=64, seed=0, outputs=["y"], num_resamples=10)
    s_remote = sdmodels.sobol(ishigami, spec, n=64, seed=0, outputs=["y"], num_resamples=10,
                              scheduler=client)
    xr.testing.assert_equal(s_local["design"], s_remote["design"])
    for index in ("S1", "S1_conf", "ST", "ST_conf"):
        xr.testing.assert_equal(s_local[index], s_remote[index])


def test_run_mc_streams_scenarios_from_a_cluster_into_one_store(client, tmp_path):
    staff = sdmodels.load_model(ROOT / "tests" / "uncertainty" / "models" / "staff.mdl")
    spec = sdmodels.load_uncertainty(ROOT / "tests" / "uncertainty" / "models" / "staff.toml",
                                     staff)
    kwargs = {"n": 1500, "scenarios": ["baseline", "retention"], "seed": 2}
    local = sdmodels.run_mc(staff, spec, **kwargs)
    out = tmp_path / "mc.zarr"
    remote = sdmodels.run_mc(staff, spec, **kwargs, scheduler=client, chunk_size=200, out=out)
    assert store_status(out).complete and [p.name for p in tmp_path.iterdir()] == ["mc.zarr"]
    for var in ("staff", "design", "prob_better"):
        xr.testing.assert_equal(remote[var], local[var])


def test_cli_mc_takes_a_scheduler(tmp_path):
    from sdmodels.cli import app

    out = tmp_path / "mc.nc"
    result = CliRunner().invoke(app, [
        "mc", str(ROOT / "models" / "tests" / "ishigami.mdl"), "--uncertainty", str(UNCERTAINTY),
        "--n", "64", "--seed", "1", "--output", "y", "--out", str(out), "--no-plot",
        "--scheduler", "local:2",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert xr.load_dataset(out).sizes["sample"] == 64
    bad = CliRunner().invoke(app, [
        "mc", str(ROOT / "models" / "tests" / "ishigami.mdl"), "--uncertainty", str(UNCERTAINTY),
        "--n", "64", "--output", "y", "--out", str(tmp_path / "x.nc"), "--no-plot",
        "--scheduler", "nonsense:://",
    ], catch_exceptions=False)
    assert bad.exit_code != 0 and not (tmp_path / "x.nc").exists()
