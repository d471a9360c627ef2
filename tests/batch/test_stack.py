"""``stack_runs`` gives exactly the Dataset ``xr.concat`` gives, faster, and defers to it (its
alignment and its errors) when the runs differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sdmodels
from sdmodels.batch import stack_runs

ROOT = Path(__file__).resolve().parents[2]


def _by_concat(runs, names):
    return xr.concat(runs, dim="scenario", join="exact").assign_coords(
        scenario=np.array(names, dtype=str))


def _run(shift: float, *, time=(0.0, 1.0, 2.0)) -> xr.Dataset:
    t = np.asarray(time)
    return xr.Dataset(
        {
            "stock": ("time", t + shift, {"units": "people", "name": "Stock"}),
            "grid": (("time", "region"), np.outer(t, [1.0, 2.0]) + shift, {"units": "1"}),
            "count": ("time", (t * 2 + shift).astype(np.int64)),
        },
        coords={"time": t, "region": ["north", "south"]},
        attrs={"model": "toy"},
    )


def test_equals_concat_on_runs_of_one_layout() -> None:
    runs = [_run(0.0), _run(1.5), _run(-3.0)]
    names = ["a", "b", "c"]
    got = stack_runs(runs, "scenario", names)
    xr.testing.assert_identical(got, _by_concat(runs, names))
    assert got["grid"].dims == ("scenario", "time", "region")
    assert got["count"].dtype == np.int64
    assert list(got["scenario"].values) == names


def test_runs_that_differ_go_through_concat() -> None:
    # another time axis: concat with join="exact" refuses, and so does stack_runs
    with pytest.raises(ValueError, match="exact"):
        stack_runs([_run(0.0), _run(1.0, time=(0.0, 1.0, 3.0))], "scenario", ["a", "b"])
    # other attributes: concat keeps the first run's, as stack_runs does
    other = _run(2.0)
    other["stock"].attrs["units"] = "nurses"
    runs = [_run(0.0), other]
    xr.testing.assert_identical(stack_runs(runs, "scenario", ["a", "b"]),
                                _by_concat(runs, ["a", "b"]))


def test_labels_must_match_the_runs() -> None:
    with pytest.raises(ValueError, match="2 runs but 1 labels"):
        stack_runs([_run(0.0), _run(1.0)], "scenario", ["a"])


@pytest.mark.parametrize("engine", ["compiled", "pysd"])
def test_model_runs_of_several_scenarios_equal_concat(engine, monkeypatch) -> None:
    """Model.run over several scenarios gives the Dataset it gave with xr.concat."""
    model = sdmodels.load_model(ROOT / "models" / "nhs_productivity.mdl")
    names = list(model.scenarios)[:3]
    outputs = ["productivity_index", "waiting_list"]
    fast = model.run(names, engine=engine, outputs=outputs)
    monkeypatch.setattr("sdmodels.engine.stack_runs", lambda runs, dim, labels: _by_concat(
        list(runs), list(labels)))
    slow = model.run(names, engine=engine, outputs=outputs)
    for ds in (fast, slow):
        ds.attrs.pop("created_utc")  # the clock, not the run
    xr.testing.assert_identical(fast, slow)
    assert fast["waiting_list"].dims[0] == "scenario"
