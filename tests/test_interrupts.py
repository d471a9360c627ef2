"""A Ctrl-C that a library swallows still stops the command: nothing is published, exit 130.

An extension module's initialisation can drop a KeyboardInterrupt raised while it runs (lxml's,
imported by openpyxl when PySD is first imported, did so about once in ten interrupts). The
command line's handler also records the interrupt, and the package raises it again after a lazy
import and before any result file replaces an earlier one.
"""

from __future__ import annotations

import signal
import sys

import numpy as np
import pytest
import xarray as xr

from sdmodels import _common
from sdmodels._common import LazyModule, raise_if_interrupted, record_interrupt, was_interrupted
from sdmodels.cli import _app
from sdmodels.results import write_dataset

SWALLOWS = '''
import os
import signal
import time

try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # the handler runs here, and its KeyboardInterrupt is dropped below
except KeyboardInterrupt:
    pass
VALUE = 1
'''


@pytest.fixture(autouse=True)
def no_interrupt_yet(monkeypatch):
    """Each test starts with no interrupt recorded, and the process's handlers are restored."""
    monkeypatch.setattr(_common, "_INTERRUPTS", [0])
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def test_nothing_recorded_nothing_raised():
    assert not was_interrupted()
    raise_if_interrupted()
    record_interrupt()
    assert was_interrupted()
    with pytest.raises(KeyboardInterrupt):
        raise_if_interrupted()


def test_an_interrupt_swallowed_during_a_lazy_import_is_raised_after_it(tmp_path, monkeypatch):
    name = f"sdmodels_swallows_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(SWALLOWS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    signal.signal(signal.SIGINT, _app._on_sigint)
    try:
        with pytest.raises(KeyboardInterrupt):
            LazyModule(name).VALUE  # noqa: B018 - the first use imports it
        assert was_interrupted() and sys.modules[name].VALUE == 1  # the module did load
    finally:
        sys.modules.pop(name, None)


def test_the_python_api_records_nothing(tmp_path, monkeypatch):
    """Outside the command line Python's own handler runs: a swallowed Ctrl-C stays swallowed
    (the API does not second-guess its caller's handlers)."""
    name = f"sdmodels_swallows_api_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(SWALLOWS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert LazyModule(name).VALUE == 1 and not was_interrupted()
    finally:
        sys.modules.pop(name, None)


def test_a_command_whose_interrupt_was_swallowed_exits_130(capsys):
    def work() -> int:
        record_interrupt()  # as the handler does, before its KeyboardInterrupt is dropped
        return 5

    with pytest.raises(SystemExit) as done:
        _app.guarded(work)
    assert done.value.code == 130
    assert "interrupted: no result file was written" in capsys.readouterr().err


def test_an_interrupt_turned_into_another_error_exits_130(monkeypatch, capsys):
    """An extension module reports a swallowed KeyboardInterrupt as a SystemError."""

    def app(**kwargs) -> None:
        record_interrupt()
        raise SystemError("initialization of etree raised unreported exception")

    monkeypatch.setattr(_app, "app", app)
    monkeypatch.setattr(_app, "skip_final_collection", lambda: None)  # not in the test process
    monkeypatch.setattr(sys, "argv", ["sdmodels", "run"])
    with pytest.raises(SystemExit) as done:
        _app.main()
    assert done.value.code == 130
    err = capsys.readouterr().err
    assert "interrupted: no result file was written" in err and "internal error" not in err


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".csv"])
def test_an_interrupted_command_publishes_no_result_and_keeps_the_earlier_one(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    time = [2024.0, 2025.0]
    write_dataset(xr.Dataset({"x": ("time", [1.0, 2.0])}, coords={"time": time}), path)
    before = sorted(p.name for p in tmp_path.iterdir())
    record_interrupt()
    with pytest.raises(KeyboardInterrupt):
        write_dataset(xr.Dataset({"x": ("time", [7.0, 8.0])}, coords={"time": time}), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file is left
    _common._INTERRUPTS[0] = 0
    if suffix == ".csv":
        assert "7.0" not in path.read_text() and "2.0" in path.read_text()
    else:
        with xr.open_dataset(path, engine="zarr" if suffix == ".zarr" else None) as ds:
            np.testing.assert_array_equal(ds["x"].values, [1.0, 2.0])
