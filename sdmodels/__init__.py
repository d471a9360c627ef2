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

import importlib as _importlib
from typing import TYPE_CHECKING

# netCDF4 first, before anything can import h5py: the two wheels carry their own HDF5 libraries,
# and netCDF4 (which writes and reads every result) loaded after h5py's crashes or gives "HDF
# error" (h5py issue 1541; Unidata/netcdf4-python issues 694 and 1214). arviz, dask and a user's
# own code may import h5py; the names below are imported on first use, so this import is kept.
import netCDF4 as _netCDF4  # noqa: F401
import xarray as _xr

from sdmodels._common import package_version

__version__ = package_version()

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

#: The public names imported on first use (``sdmodels.Model``, ``from sdmodels import sobol``),
#: by the module that defines them: ``import sdmodels`` (and so ``import sdmodels.compiler``,
#: which a cold compile starts with) does not load pandas, SciPy, matplotlib or the analyses.
_LAZY = {
    "SDAccessor": "sdmodels.accessor",
    "attribute": "sdmodels.attribution",
    "Model": "sdmodels.model",
    "ParameterInfo": "sdmodels.model",
    "VariableInfo": "sdmodels.model",
    "load_model": "sdmodels.model",
    "run_mc": "sdmodels.montecarlo",
    "open_dataset": "sdmodels.results",
    "write_dataset": "sdmodels.results",
    "Lever": "sdmodels.scenarios",
    "Scenario": "sdmodels.scenarios",
    "load_scenario": "sdmodels.scenarios",
    "morris": "sdmodels.sensitivity",
    "sobol": "sdmodels.sensitivity",
    "UncertaintySpec": "sdmodels.uncertainty",
    "load_uncertainty": "sdmodels.uncertainty",
}

if TYPE_CHECKING:  # what _LAZY imports on first use, for type checkers and editors
    from sdmodels.accessor import SDAccessor
    from sdmodels.attribution import attribute
    from sdmodels.model import Model, ParameterInfo, VariableInfo, load_model
    from sdmodels.montecarlo import run_mc
    from sdmodels.results import open_dataset, write_dataset
    from sdmodels.scenarios import Lever, Scenario, load_scenario
    from sdmodels.sensitivity import morris, sobol
    from sdmodels.uncertainty import UncertaintySpec, load_uncertainty


def __getattr__(name: str):
    """A public name (:data:`_LAZY`) or a subpackage (``sdmodels.batch``), imported on first use."""
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
    elif not name.startswith("__"):
        try:
            value = _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


@_xr.register_dataset_accessor("sd")
class _SDAccessorOnFirstUse:
    """``ds.sd``: :class:`sdmodels.accessor.SDAccessor`, whose module (and the analyses and
    figures it calls) is imported the first time a Dataset's ``.sd`` is read."""

    def __new__(cls, ds: _xr.Dataset):
        from sdmodels.accessor import SDAccessor  # noqa: PLC0415

        return SDAccessor(ds)


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
