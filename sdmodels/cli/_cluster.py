"""Command-line options shared by the commands that can run on a cluster.

Command modules declare ``scheduler: SchedulerOpt = None`` (and ``resume: ResumeOpt = False``
where results stream to a store) and pass them on to the run function.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["SCHEDULER_HELP", "ResumeOpt", "SchedulerOpt"]

SCHEDULER_HELP = (
    "Run on a dask cluster: a scheduler address (tcp://host:8786) or local:N to start N local "
    "worker processes. Needs `pip install sdmodels[distributed]`. Default: this process."
)

SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)]
ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Continue the interrupted run kept beside --out (same "
                 "inputs; the seed is reused if none is given): finished scenarios and chunks "
                 "are not run again."),
]
