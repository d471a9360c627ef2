"""A result path has one writer at a time; a failed write loses nothing."""

from __future__ import annotations

import os
from pathlib import Path
import socket
import subprocess
import sys
import time

import pytest
import xarray as xr

from sdmodels._lock import lock_path, release_output
from sdmodels.errors import ResultWriteError
from sdmodels.results import check_writable, write_dataset


def _holder(path, env=None):
    """Another process holding the write lock of ``path`` until it is killed."""
    code = (
        "import signal, sys, time\n"
        "from sdmodels._lock import lock_output\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
        f"lock_output({str(path)!r})\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_is_refused_at_once(tmp_path):
    out = tmp_path / "same.nc"
    proc = _holder(out)
    try:
        start = time.perf_counter()
        with pytest.raises(ResultWriteError, match=rf"another sdmodels process \(pid {proc.pid} on "):
            check_writable(out)
        assert time.perf_counter() - start < 5  # refused, not waited for
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    # the holder is gone (killed: no clean-up ran), so the path is free again
    ds = xr.Dataset({"x": ("time", [1.0])}, coords={"time": [0.0]})
    write_dataset(ds, out)
    assert xr.load_dataset(out)["x"].item() == 1.0


def test_failed_netcdf_write_is_a_clear_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "r.nc"
    old = xr.Dataset({"x": ("time", [1.0])}, coords={"time": [0.0]})
    write_dataset(old, out)

    def full_disk(self, *args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr("sdmodels.results.to_netcdf4", full_disk)
    with pytest.raises(ResultWriteError, match="NetCDF: HDF error.*MiB free.*no result file was written"):
        write_dataset(old.assign(x=old.x * 2), out)
    monkeypatch.undo()
    assert xr.load_dataset(out)["x"].item() == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]  # no temporary, no lock left


def test_the_lock_lives_beside_the_output_so_other_users_see_it(tmp_path):
    """Two users have two cache folders: the lock must not live in either."""
    out = tmp_path / "shared" / "mc.nc"
    out.parent.mkdir()
    other_user = dict(os.environ, SDMODELS_CACHE_DIR=str(tmp_path / "other-cache"))
    proc = _holder(out, env=other_user)
    try:
        assert lock_path(out) == out.parent / ".mc.nc.sdmodels-lock" and lock_path(out).is_file()
        with pytest.raises(ResultWriteError, match=rf"pid {proc.pid} on {socket.gethostname()}, "
                           r"user .*, since .*\.mc\.nc\.sdmodels-lock"):
            check_writable(out)
    finally:
        proc.terminate()  # a normal exit: the holder removes its lock file
        proc.wait()
        proc.stdout.close()
    assert not lock_path(out).exists()
    write_dataset(xr.Dataset({"x": ("t", [1.0])}), out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["mc.nc"]


def test_a_stale_lock_file_is_taken_over_and_removed(tmp_path):
    out = tmp_path / "r.nc"
    lock_path(out).write_text("pid 999999 on elsewhere, user nobody, since 2020-01-01 00:00:00")
    check_writable(out)  # nobody holds the lock: stale, taken over
    assert f"pid {os.getpid()} on" in lock_path(out).read_text()
    release_output(out)
    assert not lock_path(out).exists()


def test_no_lock_file_is_left_after_a_write(tmp_path):
    out = tmp_path / "r.zarr"
    write_dataset(xr.Dataset({"x": ("t", [1.0, 2.0])}), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.zarr"]


def test_an_api_run_releases_its_lock_however_it_ends(tmp_path):
    import numpy as np

    import sdmodels
    from sdmodels.errors import SDModelsError

    model = sdmodels.load_model(Path(__file__).parents[1] / "data" / "decay" / "decay.mdl")
    model.run_batch({"residence_time": np.linspace(1, 5, 10)}, outputs=["Stock"],
                    out=tmp_path / "b.zarr")
    with pytest.raises(SDModelsError):
        model.run_batch({"residence_time": np.linspace(1, 5, 10)}, outputs=["Stock"],
                        out=tmp_path / "c.zarr", scheduler="nonsense:3")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
