"""Atomic result writing, provenance and summaries."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sdmodels import ResultWriteError
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
    method = "to_netcdf" if suffix == ".nc" else "to_zarr"
    real = getattr(xr.Dataset, method)

    def half_then_fail(self, target, *args, **kwargs):
        real(self, target, *args, **kwargs)  # the temporary file is fully written ...
        raise OSError("disk full")  # ... and then the write fails

    monkeypatch.setattr(xr.Dataset, method, half_then_fail)
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
    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", interrupt)
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
