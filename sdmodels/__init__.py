"""sdmodels: system dynamics policy models of health-system productivity.

Load a Vensim or XMILE model, run scenarios with PySD or the compiled batch engine,
and get labelled :class:`xarray.Dataset` results.

Examples
--------
>>> import sdmodels
>>> model = sdmodels.load_model()            # the bundled NHS productivity model
>>> ds = model.run(scenario="baseline")      # doctest: +SKIP
"""

from __future__ import annotations

import sys as _sys

if _sys.argv and _sys.argv[0].endswith(("/sdmodels", "\\sdmodels", "sdmodels.exe")):
    # the command line: Ctrl-C while the package imports (a second or two) exits quietly
    # with 130; sdmodels.cli.main installs the command's own handlers once it runs
    from sdmodels import _startup  # noqa: F401

from sdmodels._common import package_version

__version__ = package_version()

from sdmodels.accessor import SDAccessor  # registers the ``ds.sd`` accessor
from sdmodels.attribution import attribute
from sdmodels.errors import (
    EngineFallbackWarning,
    ModelLoadError,
    ParameterRangeError,
    ResultWriteError,
    ScenarioError,
    SDModelsError,
    UncertaintyError,
    UnknownNameError,
)
from sdmodels.model import Model, ParameterInfo, VariableInfo, load_model
from sdmodels.montecarlo import run_mc
from sdmodels.results import open_dataset, write_dataset
from sdmodels.scenarios import Lever, Scenario, load_scenario
from sdmodels.sensitivity import morris, sobol
from sdmodels.uncertainty import UncertaintySpec, load_uncertainty

__all__ = [
    "EngineFallbackWarning",
    "Lever",
    "Model",
    "ModelLoadError",
    "ParameterInfo",
    "ParameterRangeError",
    "ResultWriteError",
    "SDAccessor",
    "SDModelsError",
    "Scenario",
    "ScenarioError",
    "UncertaintyError",
    "UncertaintySpec",
    "UnknownNameError",
    "VariableInfo",
    "__version__",
    "attribute",
    "load_model",
    "load_scenario",
    "load_uncertainty",
    "morris",
    "open_dataset",
    "run_mc",
    "sobol",
    "write_dataset",
]
