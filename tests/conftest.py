"""Shared fixtures: small models with hand-checkable answers."""

from __future__ import annotations

import faulthandler
import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# PySD writes its Python translation beside a model file it reads: never collect those (with
# --doctest-modules every .py file below tests/ would otherwise be imported)
collect_ignore_glob = ["**/models/*.py", "data/**/*.py"]


def pytest_configure(config: pytest.Config) -> None:
    # keep the caches of a test run out of the user's cache unless told otherwise
    os.environ.setdefault("SDMODELS_CACHE_DIR", str(Path(__file__).parent.parent / ".sdmodels-cache"))
    # `sdmodels run` compiles long kernels in a detached process: not behind the tests' backs
    # (tests/test_cli.py turns it on where it tests it)
    os.environ.setdefault("SDMODELS_BACKGROUND_COMPILE", "0")


def pytest_sessionstart(session: pytest.Session) -> None:
    # a crash in native code (numba, HDF5, OpenMP) prints the stack of the thread that crashed
    # only: the stacks of every idle thread (dask's loop, zarr's pool) would otherwise bury it
    # (pytest's faulthandler plugin keeps a duplicate of the real stderr: fd 2 is captured)
    from _pytest.faulthandler import fault_handler_stderr_fd_key  # noqa: PLC0415 - pytest's own

    fd = session.config.stash.get(fault_handler_stderr_fd_key, None)
    if fd is not None and faulthandler.is_enabled():
        faulthandler.enable(file=fd, all_threads=False)


@pytest.fixture(scope="session")
def decay_path() -> Path:
    """A one-stock model: 100 people draining with residence time 5 years, an inflow lever."""
    return DATA / "decay" / "decay.mdl"


@pytest.fixture(scope="session")
def decay_model(decay_path: Path):
    import sdmodels

    return sdmodels.load_model(decay_path)


@pytest.fixture()
def decay_copy(tmp_path: Path, decay_path: Path) -> Path:
    """A writable copy of the decay model with its scenarios folder."""
    target = tmp_path / "decay"
    shutil.copytree(decay_path.parent, target)
    return target / "decay.mdl"
