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

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sdmodels")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

from sdmodels.errors import (
    EngineFallbackWarning,
    ModelLoadError,
    ParameterRangeError,
    ResultWriteError,
    ScenarioError,
    SDModelsError,
    UnknownNameError,
)
from sdmodels.model import Model, ParameterInfo, VariableInfo, load_model
from sdmodels.scenarios import Lever, Scenario, load_scenario

__all__ = [
    "__version__",
    "load_model",
    "Model",
    "ParameterInfo",
    "VariableInfo",
    "Scenario",
    "Lever",
    "load_scenario",
    "SDModelsError",
    "ModelLoadError",
    "UnknownNameError",
    "ParameterRangeError",
    "ScenarioError",
    "ResultWriteError",
    "EngineFallbackWarning",
]
