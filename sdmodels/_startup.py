"""Quiet Ctrl-C (exit 130) and SIGTERM (exit 143) while the ``sdmodels`` command imports the
package, before its main runs and installs its own handlers."""

from __future__ import annotations

import os
import signal
import sys

__all__: list[str] = []


def _interrupted_at_startup(signum: int, frame: object) -> None:
    terminated = signum == getattr(signal, "SIGTERM", None)
    sys.stderr.write(f"{'terminated (SIGTERM)' if terminated else 'interrupted'}: nothing was "
                     "run\n")
    sys.stderr.flush()
    # leave at once: half-imported modules must not run their clean-ups
    os._exit(128 + signum)  # 130 for SIGINT, 143 for SIGTERM


signal.signal(signal.SIGINT, _interrupted_at_startup)
if hasattr(signal, "SIGTERM"):
    signal.signal(signal.SIGTERM, _interrupted_at_startup)
