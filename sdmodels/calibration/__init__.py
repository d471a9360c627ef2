"""Calibration against history: fits, posteriors, and fit statistics, for any model.

A calibration file (TOML) names a model, a CSV of observations, the observed series with their
error models, and the parameters to calibrate with priors written as in uncertainty files.
Two methods evaluate whole populations of parameter sets in one batch run of the compiled
kernel: ``"optimize"`` (differential evolution, then a local polish) and ``"mcmc"`` (emcee's
affine-invariant ensemble sampler). The result is one labelled Dataset (one netCDF file).

Examples
--------
>>> from sdmodels.calibration import calibrate
>>> ds = calibrate("tests/calibration/logistic.toml", method="optimize", seed=1)
>>> round(float(ds["best"].sel(parameter="Growth Rate")), 1)
0.4
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from sdmodels._lock import releases_outputs
from sdmodels.calibration._fit import (
    CalibrationWarning,
    Diagnostics,
    FitResult,
    run_mcmc,
    run_optimize,
)
from sdmodels.calibration._history import default_values, run_history
from sdmodels.calibration._likelihood import Evaluator, series_log_likelihood
from sdmodels.calibration._plot import plot_fit
from sdmodels.calibration._priors import log_density
from sdmodels.calibration._rerun import RERUN_OPTIONS, as_json, recorded, recorded_spec
from sdmodels.calibration._result import (
    BAND_QUANTILES,
    default_posterior,
    load_posterior,
    posterior_design,
    posterior_draws,
    posterior_summary,
    result_dataset,
)
from sdmodels.calibration._spec import (
    ERROR_MODELS,
    CalibrationError,
    CalibrationSpec,
    ObservedSeries,
    calibration_from_dict,
    load_calibration,
    read_data,
)
from sdmodels.calibration._stats import FIT_STATISTICS, FitStatistics, fit_statistics
from sdmodels.model import Model, load_model
from sdmodels.results import check_writable, write_dataset
from sdmodels.uncertainty import resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    import os

    import xarray as xr


__all__ = [
    "BAND_QUANTILES",
    "ERROR_MODELS",
    "FIT_STATISTICS",
    "CalibrationError",
    "CalibrationSpec",
    "CalibrationWarning",
    "Diagnostics",
    "Evaluator",
    "FitResult",
    "FitStatistics",
    "ObservedSeries",
    "calibrate",
    "calibration_from_dict",
    "default_posterior",
    "default_values",
    "default_walkers",
    "fit_statistics",
    "load_calibration",
    "load_posterior",
    "log_density",
    "plot_fit",
    "posterior_design",
    "posterior_draws",
    "posterior_summary",
    "read_data",
    "recorded_spec",
    "repeat_result",
    "result_dataset",
    "run_history",
    "run_mcmc",
    "run_optimize",
    "series_log_likelihood",
]

Method = Literal["optimize", "mcmc"]


def default_walkers(ndim: int) -> int:
    """The default number of walkers: at least 32, at least three per calibrated quantity, even.

    >>> default_walkers(3), default_walkers(22)
    (32, 66)
    """
    n = max(32, 3 * ndim)
    return n + (n % 2)


@contextmanager
def _progress(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], object]]:
    """A rich progress bar over ``total`` steps; yields ``advance(n)``. Silent if not enabled."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), disable=not enabled, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


@releases_outputs
def calibrate(
    spec: str | os.PathLike[str] | CalibrationSpec,
    *,
    model: Model | str | os.PathLike[str] | None = None,
    method: Method = "optimize",
    seed: int | None = None,
    walkers: int | None = None,
    steps: int = 2000,
    burn: int | None = None,
    thin: int = 1,
    init: Literal["optimum", "prior"] = "optimum",
    moves: Literal["stretch", "de"] = "stretch",
    popsize: int = 15,
    maxiter: int = 300,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    advance: Callable[[int], object] | None = None,
) -> xr.Dataset:
    """Calibrate a model against data; the Python twin of ``sdmodels calibrate``.

    Parameters
    ----------
    spec
        A calibration file (TOML) or a loaded :class:`CalibrationSpec`.
    model
        The model to calibrate (a :class:`~sdmodels.Model` or a path); by default the file's.
    method
        ``"optimize"`` (maximum a posteriori by differential evolution and L-BFGS-B) or
        ``"mcmc"`` (posterior draws from emcee's ensemble sampler).
    seed
        Seed (``0`` is a seed); ``None`` draws one and records it in the result.
    walkers, steps, burn, thin, init, moves
        MCMC settings (see :func:`run_mcmc`); ``walkers`` defaults to :func:`default_walkers`.
    popsize, maxiter
        Differential evolution settings (see :func:`run_optimize`).
    out
        Write the result to this ``.nc`` file, atomically, once the fit has finished (checked
        for writability before it starts). An interrupted fit writes nothing.
    progress
        Show a progress bar (generations or steps).
    advance
        Called with 1 after each generation or step instead of the progress bar.

    Returns
    -------
    xarray.Dataset
        See :mod:`sdmodels.calibration._result` for the layout.

    Raises
    ------
    CalibrationError
        A bad calibration file or data, bad settings, or a model that cannot be simulated.
    UnknownNameError
        A series or parameter the model does not define.
    """
    if method not in ("optimize", "mcmc"):
        raise CalibrationError(f"unknown method {method!r}; use 'optimize' or 'mcmc'")
    if model is not None and not isinstance(model, Model):
        model = load_model(model)
    if not isinstance(spec, CalibrationSpec):
        spec = load_calibration(spec, model=model)
    elif model is not None and model is not spec.model:
        spec = load_calibration(spec.path, model=model) if spec.path else spec
    if out is not None:
        out = check_writable(out)
        if Path(out).suffix.lower() != ".nc":
            raise CalibrationError(f"--out {str(out)!r}: a calibration result is a .nc file")
    _, recorded = resolve_seed(seed)
    seed_value = int(recorded if recorded is not None else 0)
    if method == "optimize":
        total = maxiter
    else:
        walkers = default_walkers(spec.ndim) if walkers is None else int(walkers)
        total = steps
    with _progress(progress and advance is None, total, method) as bar:
        step = advance or bar
        if method == "optimize":
            fit = run_optimize(spec, seed=seed_value, popsize=popsize, maxiter=maxiter,
                               advance=step)
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CalibrationWarning)
                fit = run_mcmc(spec, seed=seed_value, walkers=walkers, steps=steps, burn=burn,
                               thin=thin, init=init, moves=moves, advance=step)
    if method == "mcmc":
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
    ds = result_dataset(spec, fit, seed=seed_value)
    if out is not None:
        write_dataset(ds, out)
    return ds


def repeat_result(result: xr.Dataset, model: Model, *, scenario: Any = None,
                  posterior: xr.Dataset | None = None, history: bool = False) -> xr.Dataset:
    """Run again what a calibration or history result records.

    Parameters
    ----------
    result
        The result.
    model, scenario
        As for :func:`recorded_spec`.
    posterior
        For a history result run from a posterior: that posterior (found and checked by the
        caller).
    history
        For a calibration result: only simulate its stored draws again (best draw, bands, fit
        statistics: what :func:`sdmodels.calibration.run_history` gives) instead of fitting again.

    Returns
    -------
    xarray.Dataset
        The repeated result, to compare with ``result``.
    """
    attrs = dict(result.attrs)
    spec = recorded_spec(result, model, scenario=scenario)
    method = str(attrs.get("method", ""))
    seed = int(recorded(attrs, "seed", "its seed"))
    if method in RERUN_OPTIONS and history:
        return run_history(spec, posterior=result, seed=seed)
    if method in RERUN_OPTIONS:
        settings = as_json(recorded(attrs, "settings", "its method's settings"))
        options = {k: settings[k] for k in RERUN_OPTIONS[method] if k in settings}
        return calibrate(spec, method=method, seed=seed, **options)  # type: ignore[arg-type]
    if method == "defaults":
        return run_history(spec, seed=seed)
    if posterior is None:
        raise CalibrationError(f"a history result of a posterior ({attrs.get('parameters_from')!r})"
                               " is repeated with that posterior")
    return run_history(spec, posterior=posterior, seed=seed)
