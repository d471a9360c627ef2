"""Atomic result writing, provenance and summaries."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sdmodels import ResultWriteError, results
from sdmodels.results import check_writable, open_dataset, summary_table, write_dataset


def small() -> xr.Dataset:
    return xr.Dataset(
        {"x": (("scenario", "time"), np.arange(6.0).reshape(2, 3), {"name": "X", "units": "Person"})},
        coords={"scenario": ["a", "b"], "time": [2024.0, 2025.0, 2026.0]},
        attrs={"scenarios": {"a": {"levers": {}}}, "flag": True},
    )


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip_keeps_values_and_json_attrs(tmp_path, suffix):
    path = write_dataset(small(), tmp_path / f"r{suffix}")
    back = open_dataset(path)
    np.testing.assert_array_equal(back["x"].values, small()["x"].values)
    assert back.attrs["scenarios"] == {"a": {"levers": {}}}
    assert back["x"].attrs["units"] == "Person"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"r{suffix}"]  # no temp left


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_failed_write_keeps_the_old_file_and_leaves_no_partial(tmp_path, monkeypatch, suffix):
    path = write_dataset(small(), tmp_path / f"r{suffix}")
    owner, method = (results, "to_netcdf4") if suffix == ".nc" else (xr.Dataset, "to_zarr")
    real = getattr(owner, method)

    def half_then_fail(ds, target, *args, **kwargs):
        real(ds, target, *args, **kwargs)  # the temporary file is fully written ...
        raise OSError("disk full")  # ... and then the write fails

    monkeypatch.setattr(owner, method, half_then_fail)
    bigger = small().assign(y=small()["x"] * 2)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(bigger, path)
    monkeypatch.undo()
    assert "y" not in open_dataset(path)  # the earlier result is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"r{suffix}"]


def test_results_get_the_permissions_of_any_file_the_user_creates(tmp_path):
    """Temporary files of atomic writes must not stay private (0600) once in place: results are
    shared with colleagues."""
    import matplotlib.pyplot as plt

    from sdmodels.plots import save_figure

    plain_file, plain_dir = tmp_path / "plain.txt", tmp_path / "plain"
    plain_file.touch()
    plain_dir.mkdir()
    nc = write_dataset(small(), tmp_path / "r.nc")
    zarr = write_dataset(small(), tmp_path / "r.zarr")
    fig = plt.figure()
    png = save_figure(fig, tmp_path / "r.png")
    plt.close(fig)
    for made in (nc, png):
        assert made.stat().st_mode & 0o777 == plain_file.stat().st_mode & 0o777, made
    assert zarr.stat().st_mode & 0o777 == plain_dir.stat().st_mode & 0o777


def test_interrupted_first_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "to_netcdf4", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(small(), tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


def test_check_writable_errors(tmp_path):
    with pytest.raises(ResultWriteError, match="does not exist"):
        check_writable(tmp_path / "no" / "r.nc")
    with pytest.raises(ResultWriteError, match="unknown format '.csv'"):
        check_writable(tmp_path / "r.csv")
    (tmp_path / "dir.nc").mkdir()
    with pytest.raises(ResultWriteError, match="is a folder"):
        check_writable(tmp_path / "dir.nc")


def test_unwritable_folder(tmp_path, monkeypatch):
    """A folder the user cannot write to (simulated: tests may run as root, who can)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(ResultWriteError, match="is not writable .Permission denied."):
        check_writable(tmp_path / "r.nc")


def test_summary_table_rows_per_variable_and_scenario():
    table = summary_table(small(), ["x"], [2024, 2026])
    assert table.to_dict("records") == [
        {"variable": "X", "units": "Person", "scenario": "a", "2024": 0.0, "2026": 2.0},
        {"variable": "X", "units": "Person", "scenario": "b", "2024": 3.0, "2026": 5.0},
    ]


def test_select_years_refuses_years_outside_the_saved_times():
    from sdmodels import SDModelsError
    from sdmodels.results import select_years

    assert select_years(small(), [2025.2])["time"].values.tolist() == [2025.0]
    with pytest.raises(SDModelsError, match=r"2030 outside the model's saved times \[2024, 2026\]"):
        select_years(small(), [2030])


def _netcdf_layout(path) -> dict:
    """Everything netCDF4 says about a file: formats, dimensions, and per variable its type,
    dimensions, attributes (with their netCDF types), storage, filters and data."""
    import netCDF4

    def attrs(obj) -> dict:
        return {k: (type(obj.getncattr(k)).__name__, repr(obj.getncattr(k))) for k in obj.ncattrs()}

    with netCDF4.Dataset(path) as nc:
        out = {"format": nc.data_model, "attrs": attrs(nc),
               "dims": {k: (len(d), d.isunlimited()) for k, d in nc.dimensions.items()}}
        for name, var in nc.variables.items():
            var.set_auto_maskandscale(False)
            data = np.asarray(var[...])  # NaN compares by its bytes
            out[name] = (str(var.dtype), var.dimensions, attrs(var), var.chunking(),
                         var.filters(), var.endian(),
                         data.tolist() if data.dtype.kind == "O" else data.tobytes())
    return out


def _datasets() -> dict[str, xr.Dataset]:
    import pandas as pd

    rng = np.random.default_rng(1)
    data = rng.normal(size=(3, 4))
    data[1, 2] = np.nan
    mixed = xr.Dataset(
        {
            "f": (("sample", "time"), data, {"units": "Person", "doc": "é, with a comma"}),
            "i": ("sample", np.array([1, 2, 3], dtype=np.int64)),
            "i32": ("time", np.arange(4, dtype=np.int32), {"scale": np.float32(0.5)}),
            "b": ("sample", np.array([True, False, True])),
            "s": ("sample", np.array(["a", "bb", "ccc"])),
            "f32": ("time", np.linspace(0, 1, 4, dtype=np.float32)),
            "scalar": ((), 2.5),
        },
        coords={"sample": [0, 1, 2], "time": [2024.0, 2024.25, 2024.5, 2024.75],
                "label": ("sample", ["x", "y", "z"]), "weight": ("time", [1.0, 2.0, 3.0, 4.0])},
        attrs={"title": "t", "n": 3, "x": 1.5, "values": np.array([1.0, 2.0]),
               "names": ["one", "two"]},
    )
    dated = xr.Dataset({"v": ("date", [1.0, 2.0])},
                       coords={"date": pd.date_range("2024-01-01", periods=2, freq="D")})
    unlimited = small()
    unlimited.encoding["unlimited_dims"] = {"time"}
    return {"results": results.netcdf_safe(small()), "mixed": mixed, "dates": dated,
            "unlimited": results.netcdf_safe(unlimited)}


@pytest.mark.parametrize("name", ["results", "mixed", "dates", "unlimited", "reloaded"])
def test_netcdf_files_are_the_ones_xarray_writes(tmp_path, name):
    """to_netcdf4 defines every variable before writing data; the file is xarray's own."""
    datasets = _datasets()
    if name == "reloaded":  # a Dataset read from a file carries that file's encodings
        datasets["mixed"].to_netcdf(tmp_path / "source.nc", engine="netcdf4")
        ds = xr.load_dataset(tmp_path / "source.nc")
    else:
        ds = datasets[name]
    ds.to_netcdf(tmp_path / "xarray.nc", engine="netcdf4")
    results.to_netcdf4(ds, tmp_path / "ours.nc")
    assert _netcdf_layout(tmp_path / "ours.nc") == _netcdf_layout(tmp_path / "xarray.nc")
    assert xr.load_dataset(tmp_path / "ours.nc").identical(xr.load_dataset(tmp_path / "xarray.nc"))


def test_netcdf_of_dask_arrays_is_written_by_xarray(tmp_path):
    pytest.importorskip("dask")
    ds = _datasets()["results"].chunk({"time": 1})
    results.to_netcdf4(ds, tmp_path / "ours.nc")
    ds.to_netcdf(tmp_path / "xarray.nc", engine="netcdf4")
    assert _netcdf_layout(tmp_path / "ours.nc") == _netcdf_layout(tmp_path / "xarray.nc")


def test_writing_netcdf_does_not_ask_dask_for_its_scheduler(tmp_path):
    """Asking imports dask.distributed: 0.2 s of every ``sdmodels run``."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, xarray as xr\n"
            "from sdmodels.results import write_dataset\n"
            "ds = xr.Dataset({'x': ('time', np.arange(3.0))}, coords={'time': [0.0, 1.0, 2.0]})\n"
            f"write_dataset(ds, {str(tmp_path / 'r.nc')!r})\n"
            "assert xr.load_dataset(%r)['x'].values.tolist() == [0.0, 1.0, 2.0]\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'distributed'))\n"
            % str(tmp_path / "r.nc"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
