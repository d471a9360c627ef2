"""Turn a ``scheduler=`` argument into a dask Client with an explicit lifecycle.

``scheduler`` may be

* an address such as ``"tcp://10.0.0.5:8786"`` (an existing cluster: HPC through dask-jobqueue,
  Kubernetes, a ``dask scheduler`` started by hand); the Client is closed on exit, the cluster is
  left running;
* a :class:`distributed.Client` the caller already holds; it is used as given and left open;
* ``"local"`` or ``"local:N"``: a :class:`distributed.LocalCluster` of ``N`` single-threaded worker
  processes (one per core by default), started on entry and shut down on exit; the cores are
  shared between the workers' numba thread pools.

dask is imported only here, and only when a scheduler is asked for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sdmodels.errors import SDModelsError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = [
    "Scheduler",
    "SchedulerError",
    "SchedulerSpec",
    "connect",
    "parse_scheduler",
    "scheduler_session",
]

#: What a ``scheduler=`` argument accepts.
Scheduler = Any  # str | distributed.Client; ``Any`` keeps dask out of type-checking imports

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")
_LOCAL = re.compile(r"^local(?::(\d+))?$")
_INSTALL_HINT = "install the optional backend with `pip install sdmodels[distributed]`"


class SchedulerError(SDModelsError, ValueError):
    """A ``scheduler=`` value that cannot be used, or a cluster that cannot be reached."""


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``scheduler=`` argument.

    Attributes
    ----------
    kind
        ``"address"``, ``"client"`` or ``"local"``.
    address
        The scheduler address (``kind="address"``).
    n_workers
        Worker processes of a local cluster (``kind="local"``).
    client
        The caller's Client (``kind="client"``).
    """

    kind: Literal["address", "client", "local"]
    address: str | None = None
    n_workers: int | None = None
    client: Any = None


def parse_scheduler(scheduler: Scheduler) -> SchedulerSpec:
    """Check a ``scheduler=`` argument without importing dask (unless it is a Client).

    Parameters
    ----------
    scheduler
        ``"tcp://host:8786"``, ``"local"``, ``"local:4"`` or a :class:`distributed.Client`.

    Returns
    -------
    SchedulerSpec

    Raises
    ------
    SchedulerError
        Anything else, with the accepted forms in the message.

    Examples
    --------
    >>> parse_scheduler("local:2")
    SchedulerSpec(kind='local', address=None, n_workers=2, client=None)
    >>> parse_scheduler("tcp://10.0.0.5:8786").address
    'tcp://10.0.0.5:8786'
    """
    if isinstance(scheduler, str):
        text = scheduler.strip()
        local = _LOCAL.match(text)
        if local:
            n = int(local.group(1)) if local.group(1) else (os.cpu_count() or 1)
            if n < 1:
                raise SchedulerError(
                    f"scheduler={scheduler!r}: a local cluster needs at least one worker; "
                    "use 'local:N' with N >= 1"
                )
            return SchedulerSpec("local", n_workers=n)
        if _ADDRESS.match(text):
            return SchedulerSpec("address", address=text)
        if re.match(r"^[\w.-]+:\d+$", text):  # host:port without protocol
            return SchedulerSpec("address", address=f"tcp://{text}")
        raise SchedulerError(
            f"scheduler={scheduler!r} is not understood; give a scheduler address such as "
            "'tcp://host:8786', 'local:N' to start N local worker processes, a "
            "dask.distributed.Client, or 'threads:N' to run in N threads of this process"
        )
    if type(scheduler).__name__ == "Client" and hasattr(scheduler, "submit"):
        return SchedulerSpec("client", client=scheduler)
    raise SchedulerError(
        f"scheduler must be an address string, 'local:N' or a dask.distributed.Client, "
        f"got {type(scheduler).__name__}"
    )


def _import_distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 - optional dependency
    except ImportError as exc:  # pragma: no cover - the test environment has dask
        raise SchedulerError(f"scheduler= needs dask.distributed; {_INSTALL_HINT}") from exc
    return distributed


@contextmanager
def connect(scheduler: Scheduler, *, timeout: float = 30.0) -> Iterator[Client]:
    """Yield a connected :class:`distributed.Client`; release what was started here on exit.

    Parameters
    ----------
    scheduler
        See :func:`parse_scheduler`.
    timeout
        Seconds to wait for a remote scheduler before giving up.

    Yields
    ------
    distributed.Client

    Raises
    ------
    SchedulerError
        Unknown form, dask missing, or a scheduler that cannot be reached.

    Examples
    --------
    >>> with connect("local:2") as client:            # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    spec = parse_scheduler(scheduler)
    if spec.kind == "client":
        yield spec.client
        return
    distributed = _import_distributed()
    if spec.kind == "local":
        with distributed.LocalCluster(
            n_workers=spec.n_workers,
            threads_per_worker=1,
            processes=True,
            # no dashboard, and the scheduler's HTTP endpoint on a free port: several local
            # clusters (or a user's own dashboard on 8787) can run side by side
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
            # share the cores between the workers' numba thread pools instead of oversubscribing
            env={"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // spec.n_workers))},
        ) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(spec.address, timeout=timeout)
    except OSError as exc:
        raise SchedulerError(
            f"cannot reach the dask scheduler at {spec.address} ({exc}); check that the "
            "scheduler is running and that this machine can reach its address and port"
        ) from exc
    with client:
        yield client


@contextmanager
def scheduler_session(scheduler: Scheduler | None) -> Iterator[Client | None]:
    """Like :func:`connect`, but yield ``None`` for ``None`` (importing nothing of dask).

    For functions that run several batches (one per scenario, say): start a ``"local:N"``
    cluster or connect to an address once, and hand the Client to each batch.

    Examples
    --------
    >>> with scheduler_session(None) as client:
    ...     print(client)
    None
    """
    if scheduler is None:
        yield None
        return
    with connect(scheduler) as client:
        yield client
