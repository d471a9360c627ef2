"""The code passes ruff with the project's rules (pyproject.toml: C901, B, RUF, I, PLC0415, ...)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = shutil.which("ruff")
    if exe is not None:
        return [exe]
    try:
        import ruff  # noqa: F401 - installed by the test extra
    except ImportError:
        pytest.fail("ruff is not installed: pip install -e \".[test]\" installs it")
    return [sys.executable, "-m", "ruff"]


def test_ruff_passes() -> None:
    done = subprocess.run([*_ruff(), "check", "--no-cache", "sdmodels", "tests", "benchmarks",
                           "dashboards"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
