"""Advisory locks on result paths: two processes never write the same result at once.

``lock_output(path)`` takes an exclusive, non-blocking ``flock`` on a lock file named by the
hash of the result's absolute path in the cache folder (``<cache>/locks``; nothing is left
beside the results), recording the process id. A second writer is refused at once with
a message naming the first; the lock goes when the writer releases it or its process ends
(also after a crash or ``kill -9``: the operating system drops it). Where ``fcntl`` does not
exist (Windows) the lock is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from sdmodels._paths import cache_dir
from sdmodels.errors import ResultWriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = ["lock_output", "release_all", "release_output"]

_HELD: dict[Path, int] = {}


def _lock_file(path: Path) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return cache_dir("locks") / f"{digest[:32]}.lock"


def lock_output(path: str | os.PathLike[str]) -> None:
    """Hold the write lock of ``path`` for this process (re-entrant).

    Raises
    ------
    ResultWriteError
        Another process holds it.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    target = Path(path).absolute()
    if target in _HELD:
        return
    folder = target.parent
    if folder.name.endswith(".parts") and folder.with_name(folder.name[: -len(".parts")]) in _HELD:
        return  # a store inside <out>.parts is covered by the lock of <out>
    lock = _lock_file(target)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
        finally:
            os.close(fd)
        raise ResultWriteError(
            f"{str(path)!r} is being written by another sdmodels process (pid {holder}); wait "
            "for it to finish, or choose another --out"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    _HELD[target] = fd


def release_output(path: str | os.PathLike[str]) -> None:
    """Release the write lock of ``path`` if this process holds it."""
    target = Path(path).absolute()
    fd = _HELD.pop(target, None)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        _lock_file(target).unlink()
    os.close(fd)


def release_all() -> None:
    """Release every lock this process holds (a command that stops early)."""
    for target in list(_HELD):
        release_output(target)
