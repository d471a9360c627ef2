"""Fixtures of the dashboard tests: a small NHS-like model that PySD runs in milliseconds."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

MODELS = Path(__file__).parent / "models"
MINI_MODEL = MODELS / "mini_nhs.mdl"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def mini_model_path() -> Path:
    """Path of the dashboard test model."""
    return MINI_MODEL


@pytest.fixture(scope="session")
def mini_model():
    """The dashboard test model (4 sectors, 4 levers, 3 presets, an uncertainty file)."""
    import sdmodels

    return sdmodels.load_model(MINI_MODEL)


@pytest.fixture
def profiled_model(tmp_path, mini_model):
    """A copy of the test model with one shipped profile, "small" (Initial Need 500)."""
    import shutil

    import sdmodels

    copy = tmp_path / "mini_nhs.mdl"
    shutil.copy(mini_model.path, copy)
    shutil.copytree(mini_model.path.parent / "scenarios", tmp_path / "scenarios")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "small.toml").write_text(
        'name = "small"\ntitle = "A small system"\ndescription = "Half the need."\n'
        'model = "mini_nhs.mdl"\nillustrative = true\n\n[values."Initial Need"]\n'
        'value = 500\nscale = "extensive"\nsource = "Assumption: a test value."\n')
    return sdmodels.load_model(copy)


@pytest.fixture
def store(mini_model):
    """A fresh store on the test model, PySD engine, few Monte Carlo samples."""
    from sdmodels.dashboard import DashboardStore

    return DashboardStore(mini_model, engine="pysd", mc_samples=16, sobol_samples=8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(mini_model_path: Path) -> Iterator[str]:
    """The dashboard of the test model served in a subprocess; its URL."""
    port = _free_port()
    code = (
        "from sdmodels.dashboard import serve\n"
        f"serve({str(mini_model_path)!r}, port={port}, show=False, engine='pysd', mc_samples=16, "
        "sobol_samples=8)\n"
    )
    log = ARTIFACTS / "dashboard-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + 300  # a condition wait: imports alone take 50 s at a load of 18
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard server exited ({proc.returncode}); see {log}")
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard server did not answer on {url}; see {log}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
