"""Executors: run one function over many chunks, chosen by a run's ``scheduler=``.

* ``None``: :class:`SerialExecutor`, one chunk after another in this process;
* ``"threads"`` or ``"threads:N"``: :class:`ThreadExecutor`, N threads of this process (the
  compiled kernel runs its samples in parallel already; threads help where chunks wait on I/O);
* anything else (an address, ``"local:N"``, a dask Client): the dask executor of
  :mod:`sdmodels.distributed` (``pip install sdmodels[distributed]``).

Every executor is a context manager with an explicit lifecycle (set up on entry, torn down on exit,
also on error or Ctrl-C) and the same :meth:`map`: it takes ``(key, args)`` pairs and yields
``(key, fn(*args))`` pairs as results arrive, with a bounded number of chunks in flight.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Self

from sdmodels.distributed import DaskExecutor, SchedulerError, parse_scheduler, scheduler_session

__all__ = [
    "SerialExecutor",
    "ThreadExecutor",
    "check_scheduler",
    "executor_for",
    "map_chunks",
    "session",
]

_THREADS = re.compile(r"^threads(?::(\d+))?$")


class SerialExecutor:
    """Run chunks one after another in this process."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(
        self, fn: Callable[..., Any], items: Iterable[tuple[Hashable, tuple[Any, ...]]]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(*args))`` for each item, in order."""
        for key, args in items:
            yield key, fn(*args)


class ThreadExecutor:
    """Run chunks in a pool of threads of this process.

    Parameters
    ----------
    n_threads
        Threads of the pool; at most twice as many chunks are in flight.
    """

    def __init__(self, n_threads: int) -> None:
        self.n_threads = int(n_threads)
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Self:
        self._pool = ThreadPoolExecutor(max_workers=self.n_threads,
                                        thread_name_prefix="sdmodels-chunk")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(
        self, fn: Callable[..., Any], items: Iterable[tuple[Hashable, tuple[Any, ...]]]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(*args))`` pairs in the order chunks finish."""
        if self._pool is None:
            raise RuntimeError("use ThreadExecutor as a context manager: `with ThreadExecutor(n)`")
        todo = iter(items)
        pending: dict[Future[Any], Hashable] = {}

        def submit_next() -> None:
            for key, args in todo:
                pending[self._pool.submit(fn, *args)] = key  # type: ignore[union-attr]
                return

        for _ in range(2 * self.n_threads):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                key = pending.pop(fut)
                submit_next()
                yield key, fut.result()


def _threads(scheduler: Any) -> int | None:
    """The thread count of a ``"threads[:N]"`` scheduler, else ``None``."""
    if not isinstance(scheduler, str):
        return None
    match = _THREADS.match(scheduler.strip())
    if match is None:
        return None
    n = int(match.group(1)) if match.group(1) else (os.cpu_count() or 1)
    if n < 1:
        raise SchedulerError(f"scheduler={scheduler!r}: use 'threads:N' with N >= 1")
    return n


def check_scheduler(scheduler: Any) -> None:
    """Refuse a bad ``scheduler=`` before anything runs (imports no dask).

    Raises
    ------
    SchedulerError
        Not ``None``, ``"threads[:N]"``, an address, ``"local[:N]"`` or a dask Client.
    """
    if scheduler is not None and _threads(scheduler) is None:
        parse_scheduler(scheduler)


def executor_for(
    scheduler: Any = None, *, retries: int = 2, name: str = "sdmodels-chunk"
) -> SerialExecutor | ThreadExecutor | DaskExecutor:
    """The executor for a ``scheduler=`` argument (see the module's documentation)."""
    if scheduler is None:
        return SerialExecutor()
    n = _threads(scheduler)
    if n is not None:
        return ThreadExecutor(n)
    return DaskExecutor(scheduler, retries=retries, name=name)


@contextmanager
def session(scheduler: Any) -> Iterator[Any]:
    """Start a cluster (``"local:N"``) or connect to one once, for several batches in a row:
    yields what to pass on as their ``scheduler=`` (``None`` and ``"threads:N"`` as given)."""
    if scheduler is None or _threads(scheduler) is not None:
        yield scheduler
        return
    with scheduler_session(scheduler) as client:
        yield client


def map_chunks(
    fn: Callable[..., Any],
    items: Iterable[tuple[Hashable, tuple[Any, ...]]],
    *,
    scheduler: Any = None,
    retries: int = 2,
) -> Iterator[tuple[Hashable, Any]]:
    """Yield ``(key, fn(*args))`` for ``(key, args)`` items, in this process or on a cluster.

    Parameters
    ----------
    fn
        A picklable callable (a module-level function or an object of a module-level class).
    items
        ``(key, args)`` pairs; keys must be unique (they name the dask tasks).
    scheduler
        ``None`` (run here, in order), ``"threads:N"``, an address, ``"local:N"`` or a Client.
    retries
        Re-runs of a chunk that raised (dask only).

    Yields
    ------
    (key, result)
        As chunks finish (in order when ``scheduler`` is ``None``).

    Examples
    --------
    >>> dict(map_chunks(pow, [("a", (2, 3)), ("b", (3, 2))]))
    {'a': 8, 'b': 9}
    >>> sorted(map_chunks(pow, [("a", (2, 3)), ("b", (3, 2))], scheduler="threads:2"))
    [('a', 8), ('b', 9)]
    """
    with executor_for(scheduler, retries=retries) as ex:
        yield from ex.map(fn, items)
