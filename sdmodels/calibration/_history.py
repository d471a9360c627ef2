"""History mode: run a model over the past with its historic inputs and compare it with the data.

The run uses a calibration file's scenario, inputs and observed series; its parameters are the
model's own defaults or, given a posterior, the posterior draws (bands) and the best draw.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sdmodels.calibration._fit import FitResult
from sdmodels.calibration._result import load_posterior, result_dataset
from sdmodels.calibration._spec import CalibrationError, CalibrationSpec, load_calibration

if TYPE_CHECKING:  # pragma: no cover
    import os

    import xarray as xr

__all__ = ["default_values", "run_history"]


def default_values(spec: CalibrationSpec) -> np.ndarray:
    """The calibrated quantities at the model's defaults (estimated scales: the geometric mean
    of their bounds)."""
    values = [float(np.asarray(spec.model.parameters[p.py_name].value))
              for p in spec.priors.parameters]
    values += [math.sqrt(s.scale_bounds[0] * s.scale_bounds[1]) for s in spec.estimated_scales]
    return np.asarray(values)


def run_history(
    spec: str | os.PathLike[str] | CalibrationSpec,
    *,
    posterior: str | os.PathLike[str] | xr.Dataset | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Simulated against observed history, as a calibration result Dataset.

    Parameters
    ----------
    spec
        A calibration file (its scenario, inputs, data and series are used) or a loaded spec.
    posterior
        A calibration result: the run uses its best draw and shows bands over its draws. Without
        one, the model's default parameter values are used (method ``"defaults"``).
    seed
        Seed of the choice of draws for the bands.

    Returns
    -------
    xarray.Dataset
        Same layout as :func:`sdmodels.calibration.calibrate` (``observed``, ``simulated``,
        ``band``, ``fit_statistics``); attrs say which parameters were used.

    Raises
    ------
    CalibrationError
        A posterior whose parameters are not the calibration file's.
    """
    if not isinstance(spec, CalibrationSpec):
        spec = load_calibration(spec)
    if posterior is None:
        x = default_values(spec)[None, :]
        fit = FitResult(method="defaults", draws=x, log_likelihood=np.full(1, np.nan),
                        log_prior=spec.log_prior(x), walker=np.array([-1]), step=np.array([-1]),
                        best=x[0], seed=seed, message="model defaults (no calibration)")
        source = ""
    else:
        post = posterior if not isinstance(posterior, str | Path) else load_posterior(posterior)
        names = [str(n) for n in post["parameter"].values]
        if names != list(spec.parameter_names):
            raise CalibrationError(
                f"the posterior's parameters {names} are not those of the calibration file "
                f"{list(spec.parameter_names)}"
            )
        draws = np.asarray(post["posterior"].transpose("draw", "parameter").values, dtype=float)
        fit = FitResult(method=f"history ({post.attrs.get('method', 'posterior')})", draws=draws,
                        log_likelihood=np.asarray(post["log_likelihood"].values),
                        log_prior=np.asarray(post["log_prior"].values),
                        walker=np.asarray(post["walker"].values), step=np.asarray(post["step"].values),
                        best=np.asarray(post["best"].values, dtype=float), seed=seed,
                        message="posterior draws")
        source = Path(str(post.attrs.get("posterior_file", ""))).name
    ds = result_dataset(spec, fit, seed=seed)
    ds.attrs["parameters_from"] = source or "model defaults"
    if posterior is not None and post.attrs.get("posterior_sha256"):
        ds.attrs["posterior_sha256"] = str(post.attrs["posterior_sha256"])
    return ds
