"""Quiet Ctrl-C while the ``sdmodels`` command imports the package (before its main runs)."""

from __future__ import annotations

import os
import signal
import sys

__all__: list[str] = []


def _interrupted_at_startup(signum: int, frame: object) -> None:
    sys.stderr.write("interrupted: nothing was run\n")
    sys.stderr.flush()
    os._exit(130)  # leave at once: half-imported modules must not run their clean-ups


signal.signal(signal.SIGINT, _interrupted_at_startup)
if hasattr(signal, "SIGTERM"):
    signal.signal(signal.SIGTERM, _interrupted_at_startup)
