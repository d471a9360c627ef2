"""The dask executor: run one function over many chunks as tasks on a dask cluster.

It has the lifecycle and :meth:`~DaskExecutor.map` of the batch core's executors
(:mod:`sdmodels.batch`), which picks it for a ``scheduler=`` other than ``None`` or
``"threads:N"``. It keeps a bounded number of chunks in flight, so that neither the driver nor the
scheduler holds more than a few chunks at a time, and asks dask to retry a chunk whose worker died
or raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any, Self

from sdmodels.distributed._scheduler import connect

__all__ = ["DaskExecutor"]


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class DaskExecutor:
    """Run chunks as tasks on a dask cluster.

    Parameters
    ----------
    scheduler
        An address, ``"local:N"`` or a :class:`distributed.Client` (see
        :func:`sdmodels.distributed.connect`).
    retries
        How many times dask re-runs a chunk that raised. A chunk whose worker process died is
        rescheduled by dask on another worker in any case (up to the scheduler's
        ``distributed.scheduler.allowed-failures``).
    max_in_flight
        Chunks submitted but not yet received; by default twice the cluster's worker threads.
    name
        Prefix of the task keys shown on the dask dashboard.
    """

    def __init__(
        self,
        scheduler: Any,
        *,
        retries: int = 2,
        max_in_flight: int | None = None,
        name: str = "sdmodels-chunk",
    ) -> None:
        self.scheduler = scheduler
        self.retries = int(retries)
        self.max_in_flight = max_in_flight
        # a fresh token per executor: task keys must not collide with an earlier run's
        self.name = f"{name}-{uuid.uuid4().hex[:8]}"
        self.client: Any = None
        self._stack = ExitStack()
        self._pending: set[Any] = set()

    def __enter__(self) -> Self:
        try:
            self.client = self._stack.enter_context(connect(self.scheduler))
            if self.max_in_flight is None:
                threads = sum(self.client.nthreads().values())
                self.max_in_flight = max(2, 2 * threads)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._pending and self.client is not None:
                self.client.cancel(list(self._pending))
            self._pending.clear()
        finally:
            self._stack.close()

    def map(
        self, fn: Callable[..., Any], items: Iterable[tuple[Hashable, tuple[Any, ...]]]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(*args))`` pairs in the order chunks finish."""
        from distributed import as_completed  # noqa: PLC0415 - optional dependency

        if self.client is None:
            raise RuntimeError("use DaskExecutor as a context manager: `with DaskExecutor(...)`")
        todo = iter(items)
        keys: dict[str, Hashable] = {}
        futures = as_completed()

        def submit_next() -> bool:
            try:
                key, args = next(todo)
            except StopIteration:
                return False
            task_key = f"{self.name}-{key}"
            fut = self.client.submit(_call, fn, *args, key=task_key, retries=self.retries,
                                     pure=False)
            keys[fut.key] = key
            self._pending.add(fut)
            futures.add(fut)
            return True

        for _ in range(int(self.max_in_flight or 2)):
            if not submit_next():
                break
        for fut in futures:
            result = fut.result()
            self._pending.discard(fut)
            key = keys.pop(fut.key)
            fut.release()
            submit_next()
            yield key, result
