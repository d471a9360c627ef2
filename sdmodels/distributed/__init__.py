"""Run batch chunks on a dask cluster: the dask executor and ``scheduler=`` parsing.

``pip install sdmodels[distributed]`` adds dask. The batch core (:mod:`sdmodels.batch`) uses the
executor here when a run is given ``scheduler=`` (a scheduler address, ``"local:N"`` or a dask
Client); dask is imported only then.

>>> from sdmodels.distributed import parse_scheduler
>>> parse_scheduler("local:2").kind
'local'
"""

from __future__ import annotations

from sdmodels.distributed._executor import DaskExecutor
from sdmodels.distributed._scheduler import (
    SchedulerError,
    SchedulerSpec,
    connect,
    parse_scheduler,
    scheduler_session,
)

__all__ = [
    "DaskExecutor",
    "SchedulerError",
    "SchedulerSpec",
    "connect",
    "parse_scheduler",
    "scheduler_session",
]
