"""Cache entries with a checksum: a damaged entry is detected, rebuilt and reported in one line.

Every file sdmodels caches (a PySD translation, a parsed model, a generated kernel) is
written with a ``<file>.sha256`` sidecar holding the SHA-256 of its bytes. Before an
entry is used, :func:`verify` compares the two; a missing sidecar, a truncated or
edited file is reported with a :class:`~sdmodels.errors.CacheRepairWarning` (one line:
what was damaged and that it is rebuilt), the entry is deleted and the caller builds it
again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import warnings
from pathlib import Path

from sdmodels.errors import CacheRepairWarning

__all__ = ["discard", "seal", "verify", "write_sealed"]


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seal(path: Path) -> None:
    """Record the checksum of ``path`` (written atomically next to it)."""
    side = _sidecar(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{side.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(_digest(path) + "\n")
        os.replace(tmp, side)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_sealed(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, then its checksum."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    seal(path)


def discard(path: Path) -> None:
    """Delete a cache entry and its checksum."""
    for p in (path, _sidecar(path)):
        with contextlib.suppress(OSError):
            p.unlink()


def verify(path: Path, *, what: str) -> bool:
    """``True`` if ``path`` exists and matches its checksum.

    A file whose checksum is missing or differs is deleted and reported in one line
    (``CacheRepairWarning``); the caller then builds it again. A missing file is simply
    ``False``.

    Parameters
    ----------
    path
        The cache entry.
    what
        What it is, for the message ("PySD translation of models/x.mdl").
    """
    if not path.is_file():
        discard(path)
        return False
    try:
        expected = _sidecar(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        expected = ""
    try:
        ok = expected != "" and _digest(path) == expected
    except OSError:
        ok = False
    if not ok:
        discard(path)
        warnings.warn(
            f"damaged cache entry ({what}: {path.name}, checksum mismatch): rebuilt it",
            CacheRepairWarning,
            stacklevel=3,
        )
    return ok
