"""The ``sdmodels`` command line. Each command group lives in its own module."""

from __future__ import annotations

from sdmodels.cli import attribute as _attribute  # noqa: F401  (registers attribute)
from sdmodels.cli import calibrate as _calibrate  # noqa: F401  (registers calibrate)
from sdmodels.cli import check as _check  # noqa: F401  (registers check)
from sdmodels.cli import compare as _compare  # noqa: F401  (registers compare)
from sdmodels.cli import compile as _compile  # noqa: F401  (registers compile)
from sdmodels.cli import dashboard as _dashboard  # noqa: F401  (registers dashboard)
from sdmodels.cli import discover as _discover  # noqa: F401  (registers discover)
from sdmodels.cli import history as _history  # noqa: F401  (registers history)
from sdmodels.cli import rerun as _rerun  # noqa: F401  (registers rerun)
from sdmodels.cli import run as _run  # noqa: F401  (registers run, scenarios, params)
from sdmodels.cli import uncertainty as _uncertainty  # noqa: F401  (registers mc, sobol, morris)
from sdmodels.cli._app import app, main

__all__ = ["app", "main"]
