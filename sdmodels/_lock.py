"""Advisory locks on result paths: two processes never write the same result at once.

``lock_output(path)`` takes an exclusive, non-blocking ``flock`` on a hidden lock file beside the
result (``.<name>.sdmodels-lock`` in the result's folder), so that every writer of that path sees
the same lock: two users writing into one shared folder included, as long as its file system
passes locks on (local disks, NFS with its lock manager, SMB mounts with locking). The file
records who holds it (process id, host, user, since when); a second writer is refused at once
with a message naming the first. The lock file is removed when the writer releases it, and at
the latest when its Python process exits. A lock file left behind by a process that was killed
(``kill -9``, a power cut) is stale: the operating system dropped its lock with the process, so
the next writer takes it over and says nothing. Where ``fcntl`` does not exist (Windows), or the
folder cannot hold the lock file (then it cannot hold the result either, and the write reports
that), no lock is taken.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import getpass
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from sdmodels.errors import ResultWriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = ["lock_output", "lock_path", "release_all", "release_output", "releases_outputs"]

P = ParamSpec("P")
R = TypeVar("R")

#: Suffix of the hidden lock file beside a result.
LOCK_SUFFIX = ".sdmodels-lock"

_HELD: dict[Path, tuple[int, Path, int]] = {}  # result path -> (descriptor, lock file, pid)


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file of a result path: hidden, beside it.

    >>> lock_path("/data/runs/mc.nc").as_posix()
    '/data/runs/.mc.nc.sdmodels-lock'
    """
    target = Path(path)
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


def _holder_text() -> bytes:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name (containers)
        user = "?"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    return f"pid {os.getpid()} on {socket.gethostname()}, user {user}, since {since}".encode()


def _open(lock: Path) -> tuple[int, bool] | None:
    """A descriptor of the lock file (created if missing) and whether it is writable."""
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o666), True
    except PermissionError:
        # another user's lock file: a read-only descriptor can still be locked
        with contextlib.suppress(OSError):
            return os.open(lock, os.O_RDONLY), False
    except OSError:
        pass
    return None  # the folder cannot hold it (missing, read-only): the write will say so


def _refuse(path: str | os.PathLike[str], fd: int) -> ResultWriteError:
    try:
        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "pid ?"
    except OSError:  # pragma: no cover - unreadable lock file
        holder = "pid ?"
    finally:
        os.close(fd)
    return ResultWriteError(
        f"{str(path)!r} is being written by another sdmodels process ({holder}); wait for it "
        f"to finish, or choose another --out (its lock is {lock_path(path).name!r} in the "
        "same folder)"
    )


def _same_file(fd: int, lock: Path) -> bool:
    """Whether ``lock`` still names the file of ``fd`` (a releasing writer removes it)."""
    try:
        st = os.stat(lock)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino)


def lock_output(path: str | os.PathLike[str]) -> None:
    """Hold the write lock of ``path`` for this process (re-entrant).

    Raises
    ------
    ResultWriteError
        Another process holds it; the message names that process, its host and user.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    target = Path(path).absolute()
    if target in _HELD:
        return
    folder = target.parent
    if folder.name.endswith(".parts") and folder.with_name(folder.name[: -len(".parts")]) in _HELD:
        return  # a store inside <out>.parts is covered by the lock of <out>
    lock = lock_path(target)
    for _attempt in range(20):
        opened = _open(lock)
        if opened is None:
            return
        fd, writable = opened
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(path, fd) from None
        except OSError:  # pragma: no cover - a file system without locks
            os.close(fd)
            return
        if not _same_file(fd, lock):
            os.close(fd)  # its writer removed it as we opened it: lock the new one
            continue
        if not writable:
            # a stale lock file of another user that we cannot fill in: replace it with ours
            with contextlib.suppress(OSError):
                lock.unlink()
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_text(), 0)
        _HELD[target] = (fd, lock, os.getpid())
        return
    raise ResultWriteError(  # pragma: no cover - twenty races in a row
        f"could not take the write lock of {str(path)!r}: its lock file {lock.name!r} keeps "
        "changing; is another program removing it?"
    )


def release_output(path: str | os.PathLike[str]) -> None:
    """Release the write lock of ``path`` if this process holds it, removing its lock file."""
    held = _HELD.pop(Path(path).absolute(), None)
    if held is None:
        return
    fd, lock, pid = held
    if pid != os.getpid():  # a forked child: the lock is its parent's
        return
    # removed while still locked: a writer that opened it meanwhile sees it gone and retries
    if _same_file(fd, lock):
        with contextlib.suppress(OSError):
            lock.unlink()
    os.close(fd)


def release_all() -> None:
    """Release every lock this process holds (a command that stops early, or the exit)."""
    for target in list(_HELD):
        release_output(target)


def releases_outputs(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate an analysis so that every output lock taken during a call goes with the call.

    An analysis checks its ``out`` path (and takes its lock) before it runs, so that a second
    writer is refused at once; the lock must then go however the call ends, finished or not,
    or a later writer in another process would be refused for as long as this one lives. Locks
    held before the call (the command line takes them first) are left to their holder.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        before = set(_HELD)
        try:
            return func(*args, **kwargs)
        finally:
            for target in set(_HELD) - before:
                release_output(target)

    return wrapper


atexit.register(release_all)
