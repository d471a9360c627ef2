"""Fault injection for the chunk tasks: a simulated interruption, a worker process killed once.

Kept in a module of their own so that dask's worker processes can unpickle them by reference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FailFrom:
    """Raise for every chunk whose first ``x1`` is at least ``threshold`` (designs sort ``x1``)."""

    inner: Any
    threshold: float
    error: type[BaseException] = RuntimeError

    def __call__(self, varying: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        if varying["x1"][0] >= self.threshold:
            raise self.error("simulated interruption")
        return self.inner(varying, n)


@dataclass(frozen=True)
class KillWorkerOnce:
    """The first chunk to run (anywhere) kills its worker process; later runs work normally."""

    inner: Any
    flag: str

    def __call__(self, varying: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        try:
            fd = os.open(self.flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.inner(varying, n)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(1)
