"""A result path has one writer at a time; a failed write loses nothing."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import xarray as xr

from sdmodels.errors import ResultWriteError
from sdmodels.results import check_writable, write_dataset


def _holder(path):
    """Another process holding the write lock of ``path`` until it is killed."""
    code = (
        "import sys, time\n"
        "from sdmodels._lock import lock_output\n"
        f"lock_output({str(path)!r})\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_is_refused_at_once(tmp_path):
    out = tmp_path / "same.nc"
    proc = _holder(out)
    try:
        start = time.perf_counter()
        with pytest.raises(ResultWriteError, match=rf"another sdmodels process \(pid {proc.pid}\)"):
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

    monkeypatch.setattr(xr.Dataset, "to_netcdf", full_disk)
    with pytest.raises(ResultWriteError, match="NetCDF: HDF error.*MiB free.*no result file was written"):
        write_dataset(old.assign(x=old.x * 2), out)
    monkeypatch.undo()
    assert xr.load_dataset(out)["x"].item() == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]  # no temporary, no lock left
