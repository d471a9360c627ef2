"""netCDF result files and threads: every netCDF call holds the library's lock, and no command
leaves a result file open.

Neither netCDF-C nor HDF5 is thread-safe. xarray serialises its own calls with one lock, and a
file it opened lazily may be closed by the garbage collector on whatever thread collects it (a
dask, zarr or progress-bar thread). A write of the result store that did not hold the same lock
could run at the same moment and corrupt HDF5's state: a test run crashed in netCDF4's open with
a segmentation fault after a series of CLI commands that each left their result file open.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner
from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK

from sdmodels.batch._store import ChunkLayout, OutputSpec, ResultStore
from sdmodels.cli import app

TESTS = Path(__file__).resolve().parents[1]


def _store(out: Path) -> ResultStore:
    layout = ChunkLayout(n=4, size=2)
    skeleton = xr.Dataset(coords={"sample": np.arange(4), "time": [0.0, 1.0]})
    spec = OutputSpec(dims=("sample", "time"), shape=(4, 2), dtype="float64", attrs={})
    return ResultStore.create(out, skeleton, {"y": spec}, layout, "fingerprint")


def test_store_writes_wait_for_xarray_netcdf_lock(tmp_path):
    store = _store(tmp_path / "r.nc")
    written = threading.Event()

    def write() -> None:
        store.write(0, {"y": np.ones((2, 2))})
        written.set()

    with NETCDF4_PYTHON_LOCK:  # as xarray holds it while it reads or closes a file
        worker = threading.Thread(target=write, daemon=True)
        worker.start()
        assert not written.wait(0.5), "the store wrote to HDF5 while xarray held its lock"
    assert written.wait(60)
    worker.join(60)
    store.write(1, {"y": np.full((2, 2), 2.0)})
    path = store.finalize()
    with xr.open_dataset(path) as ds:
        np.testing.assert_array_equal(ds["y"].values, [[1, 1], [1, 1], [2, 2], [2, 2]])


def test_store_write_reads_lazy_arrays_before_taking_the_lock(tmp_path):
    # an array read lazily from another netCDF file takes the same (non-reentrant) lock when
    # read: the store must read it before it locks, or the write would wait for itself
    src = tmp_path / "src.nc"
    xr.Dataset({"y": (("sample", "time"), np.arange(4.0).reshape(2, 2))}).to_netcdf(src)
    store = _store(tmp_path / "r.nc")
    done = threading.Event()
    with xr.open_dataset(src) as lazy:
        def write() -> None:
            store.write(0, {"y": lazy["y"].variable._data})  # noqa: SLF001 - the lazy array
            done.set()

        worker = threading.Thread(target=write, daemon=True)
        worker.start()
        assert done.wait(20), "a lazily read chunk deadlocked the store's write"
        worker.join(60)
    store.close()


def _open_files(folder: Path) -> list[str]:
    own = Path("/proc/self/fd")
    names = []
    for fd in os.listdir(own):
        try:
            target = os.readlink(own / fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith(str(folder)):
            names.append(Path(target).name)
    return names


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_commands_leave_no_result_file_open(tmp_path):
    staff = TESTS / "uncertainty" / "models"
    commands = {
        "mc.nc": ["mc", staff / "staff.mdl", "--uncertainty", staff / "staff.toml", "--n", "8",
                  "--seed", "1", "--no-plot"],
        "sobol.nc": ["sobol", staff / "staff.mdl", "--uncertainty", staff / "staff.toml",
                     "--n", "4", "--seed", "1", "--no-plot"],
        "run.nc": ["run", TESTS / "data" / "decay" / "decay.mdl", "--no-plot"],
    }
    gc.disable()  # a file left open stays open: the collector must not close it by chance
    try:
        for name, args in commands.items():
            result = CliRunner().invoke(app, [*map(str, args), "--out", str(tmp_path / name)],
                                        catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert not _open_files(tmp_path), f"{args[0]} left {_open_files(tmp_path)} open"
    finally:
        gc.enable()
