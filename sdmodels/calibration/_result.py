"""Calibration results as one labelled Dataset (one netCDF file), and reading them back.

Layout of a calibration result (``sdmodels calibrate ... --out FILE.nc``):

* ``posterior`` (``draw`` x ``parameter``): the draws in model units (one draw, the optimum,
  for ``method="optimize"``), with ``log_probability``, ``log_likelihood`` and ``log_prior``
  per draw and the ``walker`` and ``step`` each draw comes from;
* ``parameter`` coordinates: the Vensim names; ``parameter_py`` the Python names (empty for an
  estimated scale) and ``parameter_kind`` (``"model"`` or ``"scale"``);
* ``best`` (``parameter``): the draw with the highest log posterior;
* ``fit_statistics`` (``series`` x ``statistic``) of the best draw (Sterman 1984);
* ``observed``, ``simulated`` (best draw) and ``band`` (``quantile`` x ``series`` x ``time``):
  pointwise quantiles of the simulated series over the posterior draws, at the observation times;
  ``trajectory`` and ``trajectory_band`` the same at every saved time (``sim_time``);
* ``ess_bulk``, ``ess_tail``, ``r_hat``, ``autocorr_time`` (``parameter``) for MCMC;
* attrs: method, seed, settings, the calibration file's text and SHA-256, the data file's
  name and SHA-256, the model file's name and SHA-256 and the model's fingerprint
  (:func:`sdmodels.posterior.model_fingerprint`, which decides whether the posterior is still
  the model's), versions, convergence; and what ``sdmodels rerun`` needs to repeat the fit:
  ``data_files`` (each data file's name, SHA-256 and content, JSON) and ``scenarios`` (the
  scenario the runs start from, whole, as run results record theirs).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels.calibration._fit import CalibrationWarning, FitResult
from sdmodels.calibration._likelihood import Evaluator
from sdmodels.calibration._spec import CalibrationError, CalibrationSpec
from sdmodels.calibration._stats import FIT_STATISTICS, fit_statistics
from sdmodels.posterior import (
    PosteriorError,
    StalePosteriorError,
    check_model,
    model_fingerprint,
    open_posterior,
)
from sdmodels.results import provenance

__all__ = ["BAND_QUANTILES", "load_posterior", "posterior_design", "posterior_draws",
           "posterior_summary", "result_dataset"]

#: Quantiles of the simulated series kept for the 50% and 90% bands (and the median).
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: At most this many posterior draws are simulated for the bands.
_BAND_DRAWS = 1000


def result_dataset(spec: CalibrationSpec, fit: FitResult, *, seed: int) -> xr.Dataset:
    """Assemble the result Dataset of a fit (simulating the best draw and the bands)."""
    ev = Evaluator(spec)
    names = list(spec.parameter_names)
    kinds = ["model"] * spec.n_model + ["scale"] * len(spec.estimated_scales)
    pys = [p.py_name for p in spec.priors.parameters] + [""] * len(spec.estimated_scales)
    labels = [s.label for s in spec.series]
    times = np.unique(np.concatenate([s.times for s in spec.series]))
    observed = np.full((len(labels), times.size), np.nan)
    simulated = np.full_like(observed, np.nan)
    band = np.full((len(BAND_QUANTILES), len(labels), times.size), np.nan)
    best_sims = ev.simulate(fit.best[None, :])
    rng = np.random.default_rng(seed)
    pick = (np.arange(fit.draws.shape[0]) if fit.draws.shape[0] <= _BAND_DRAWS
            else np.sort(rng.choice(fit.draws.shape[0], _BAND_DRAWS, replace=False)))
    band_sims = ev.simulate(fit.draws[pick])
    best_cont = ev.continuous(fit.best[None, :])
    band_cont = ev.continuous(fit.draws[pick])
    sim_time = ev.saved_times
    trajectory = np.stack([c[0] for c in best_cont])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices before a growth period
        trajectory_band = np.stack([np.nanquantile(c, BAND_QUANTILES, axis=0) for c in band_cont],
                                   axis=1)
    stats = np.full((len(labels), len(FIT_STATISTICS)), np.nan)
    for i, s in enumerate(spec.series):
        cols = np.searchsorted(times, s.times)
        observed[i, cols] = s.values
        simulated[i, cols] = best_sims[i][0]
        with np.errstate(invalid="ignore"):
            band[:, i, cols] = np.nanquantile(band_sims[i], BAND_QUANTILES, axis=0)
        stats[i] = list(fit_statistics(best_sims[i][0], s.values).as_dict().values())
    post = fit.log_likelihood + fit.log_prior
    ds = xr.Dataset(
        {
            "posterior": (("draw", "parameter"), fit.draws),
            "log_probability": ("draw", post),
            "log_likelihood": ("draw", fit.log_likelihood),
            "log_prior": ("draw", fit.log_prior),
            "walker": ("draw", fit.walker.astype(np.int64)),
            "step": ("draw", fit.step.astype(np.int64)),
            "best": ("parameter", fit.best),
            "fit_statistics": (("series", "statistic"), stats),
            "observed": (("series", "time"), observed),
            "simulated": (("series", "time"), simulated),
            "band": (("quantile", "series", "time"), band),
            "trajectory": (("series", "sim_time"), trajectory),
            "trajectory_band": (("quantile", "series", "sim_time"), trajectory_band),
            "weight": ("series", np.array([s.weight for s in spec.series])),
            "error_model": ("series", np.array([s.error for s in spec.series], dtype=str)),
            "model_variable": ("series", np.array([s.py_name for s in spec.series], dtype=str)),
        },
        coords={
            "draw": np.arange(fit.draws.shape[0]),
            "parameter": np.array(names, dtype=str),
            "parameter_py": ("parameter", np.array(pys, dtype=str)),
            "parameter_kind": ("parameter", np.array(kinds, dtype=str)),
            "series": np.array(labels, dtype=str),
            "statistic": np.array(FIT_STATISTICS, dtype=str),
            "time": times,
            "sim_time": sim_time,
            "quantile": np.array(BAND_QUANTILES),
        },
    )
    if fit.diagnostics is not None:
        d = fit.diagnostics
        ds["ess_bulk"] = ("parameter", d.ess_bulk)
        ds["ess_tail"] = ("parameter", d.ess_tail)
        ds["r_hat"] = ("parameter", d.r_hat)
        ds["autocorr_time"] = ("parameter", d.autocorr_time)
    ds["posterior"].attrs.update(long_name="posterior draws in model units")
    ds["band"].attrs.update(long_name="pointwise quantiles of the simulated series over draws")
    ds["fit_statistics"].attrs.update(
        long_name="fit statistics of the best draw (Sterman 1984); mape and rmspe as fractions")
    converged = fit.diagnostics.converged if fit.diagnostics is not None else True
    ds.attrs = provenance(
        spec.model,
        engine="compiled",
        title=f"sdmodels calibration of {spec.model.path.name}",
        model_fingerprint=model_fingerprint(spec.model),
        method=fit.method,
        seed=int(seed),
        settings=json.dumps(fit.settings, sort_keys=True),
        message=fit.message,
        converged=int(converged),
        acceptance_fraction=(float(fit.diagnostics.acceptance) if fit.diagnostics else None),
        model_runs=int(fit.runs),
        calibration_file=Path(spec.path).name if spec.path else "",
        calibration_text=spec.text,
        calibration_sha256=spec.text_sha256,
        data_file=", ".join(Path(f).name for f in spec.data_path.split(", ")),
        data_sha256=spec.data_sha256,
        data_files=json.dumps([f.to_dict() for f in spec.data_files]),
        scenario=_scenario_label(spec.scenario),
        scenarios=_scenario_definition(spec),
        fit_window=f"{spec.start:g}-{spec.end:g}",
    )
    return ds


def _scenario_definition(spec: CalibrationSpec) -> str | None:
    """The scenario the runs start from, whole (as run results record theirs), or ``None``."""
    if spec.scenario is None:
        return None
    scenario = spec.model.scenario(spec.scenario)
    return json.dumps({scenario.name: scenario.to_dict()}, sort_keys=True)


def _scenario_label(scenario: Any) -> str:
    """A scenario as recorded: a file by its name (no machine-specific folders), else as given."""
    if scenario is None:
        return ""
    text = str(getattr(scenario, "name", scenario))
    return Path(text).name if text.endswith(".toml") else text


def load_posterior(path: str | Path) -> xr.Dataset:
    """Open a calibration result written by :func:`sdmodels.calibration.calibrate`.

    Raises
    ------
    CalibrationError
        The file does not exist or is not a calibration result.
    """
    try:
        return open_posterior(path)
    except PosteriorError as exc:
        raise CalibrationError(str(exc)) from None


def default_posterior(model: Any, *, missing: Literal["raise", "warn"] = "warn") -> Path | None:
    """The model's default posterior (its metadata's ``posterior``) if it can be used.

    Parameters
    ----------
    model
        A :class:`sdmodels.Model`.
    missing
        What to do when the declared file is missing, unreadable or fitted to another version
        of the model file: ``"warn"`` (a :class:`CalibrationWarning` saying how to re-fit, and
        ``None``: runs use the model file's own values) or ``"raise"``.

    Returns
    -------
    pathlib.Path or None
        ``None`` also when the model declares no posterior.

    Raises
    ------
    CalibrationError
        With ``missing="raise"``: the file cannot be used (the message says why and how to re-fit).
    """
    path = model.metadata.posterior
    if path is None:
        return None
    try:
        check_model(open_posterior(path), model)
    except PosteriorError as exc:
        if missing == "raise":
            raise CalibrationError(str(exc)) from None
        warnings.warn(f"{exc}. Running with the model file's own parameter values.",
                      CalibrationWarning, stacklevel=2)
        return None
    return path


def posterior_draws(
    posterior: str | Path | xr.Dataset, n: int, *, seed: int | np.random.Generator | None = None,
    model_only: bool = True,
) -> pd.DataFrame:
    """Draw ``n`` joint parameter sets from a posterior (whole rows, so correlations are kept).

    Rows are drawn with replacement, uniformly over the stored draws (each stored draw is an
    equally weighted posterior sample).

    Parameters
    ----------
    posterior
        A calibration result file or Dataset.
    n
        Number of parameter sets.
    seed
        Seed of the choice of rows.
    model_only
        Keep only model parameters (drop estimated error scales).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, one column per parameter (Python names for model parameters), and the
        attribute ``rows``: the indices of the stored draws used.

    Examples
    --------
    >>> import xarray as xr, numpy as np
    >>> ds = xr.Dataset({"posterior": (("draw", "parameter"), [[1.0, 10.0], [2.0, 20.0]])},
    ...                 coords={"parameter": ["A", "B"], "parameter_py": ("parameter", ["a", "b"]),
    ...                         "parameter_kind": ("parameter", ["model", "model"])})
    >>> df = posterior_draws(ds, 4, seed=0)
    >>> bool(((df["b"] / df["a"]) == 10).all())
    True
    """
    ds = load_posterior(posterior) if not isinstance(posterior, xr.Dataset) else posterior
    if n < 1:
        raise CalibrationError(f"need at least one posterior draw, got n={n}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    values = np.asarray(ds["posterior"].transpose("draw", "parameter").values, dtype=float)
    rows = rng.integers(0, values.shape[0], size=n)
    kinds = (ds["parameter_kind"].values.astype(str) if "parameter_kind" in ds.coords
             else np.array(["model"] * values.shape[1]))
    pys = (ds["parameter_py"].values.astype(str) if "parameter_py" in ds.coords
           else ds["parameter"].values.astype(str))
    cols = [j for j in range(values.shape[1]) if kinds[j] == "model" or not model_only]
    names = [pys[j] if kinds[j] == "model" else str(ds["parameter"].values[j]) for j in cols]
    df = pd.DataFrame(values[np.ix_(rows, cols)], columns=names)
    df.attrs["rows"] = rows
    return df


def posterior_summary(posterior: xr.Dataset) -> pd.DataFrame:
    """Per parameter: mean, sd, median, the 5% and 95% quantiles and the best draw.

    Diagnostics (ESS, R-hat, autocorrelation time) are added for an MCMC result.
    """
    post = posterior["posterior"].transpose("draw", "parameter").values
    table: dict[str, Any] = {
        "mean": post.mean(axis=0),
        "sd": post.std(axis=0, ddof=1) if post.shape[0] > 1 else np.full(post.shape[1], np.nan),
        "q05": np.quantile(post, 0.05, axis=0),
        "median": np.median(post, axis=0),
        "q95": np.quantile(post, 0.95, axis=0),
        "best": posterior["best"].values,
    }
    for var in ("ess_bulk", "r_hat", "autocorr_time"):
        if var in posterior:
            table[var] = posterior[var].values
    return pd.DataFrame(table, index=posterior["parameter"].values.astype(str))


def posterior_design(
    posterior: str | Path | xr.Dataset,
    n: int,
    *,
    seed: int | np.random.Generator | None = None,
    design: xr.DataArray | None = None,
    model: Any = None,
) -> xr.DataArray:
    """A Monte Carlo design whose rows are joint draws from a posterior.

    Each sample is one whole stored posterior draw (so the parameters' correlations are
    kept); parameters of ``design`` (an uncertainty file's design) that the posterior does not
    calibrate are kept from ``design``, sample by sample.

    Parameters
    ----------
    posterior
        A calibration result file or Dataset.
    n
        Number of samples.
    seed
        Seed of the choice of draws.
    design
        An uncertainty design (``sample`` x ``parameter``) of ``n`` samples, or ``None``.
    model
        If given, the posterior must have been fitted to this model file (same SHA-256).

    Returns
    -------
    xarray.DataArray
        Dims ``sample`` x ``parameter`` (Python names) with ``parameter_name`` and a
        ``posterior_draw`` coordinate (the stored draw of each sample; -1 where a sample has no
        posterior parameter); attrs name the posterior file and its SHA-256.

    Raises
    ------
    CalibrationError
        A posterior of another model file, a design of another length.

    Examples
    --------
    >>> ds = xr.Dataset({"posterior": (("draw", "parameter"), [[1.0, 10.0], [2.0, 20.0]])},
    ...                 coords={"parameter": ["A", "B"], "parameter_py": ("parameter", ["a", "b"]),
    ...                         "parameter_kind": ("parameter", ["model", "model"])})
    >>> d = posterior_design(ds, 3, seed=0)
    >>> d.dims, [str(p) for p in d["parameter"].values]
    (('sample', 'parameter'), ['a', 'b'])
    """
    if isinstance(posterior, xr.Dataset):
        post = posterior
    else:
        post = load_posterior(posterior)
    if model is not None:
        try:
            check_model(post, model)
        except StalePosteriorError as exc:
            raise CalibrationError(str(exc)) from None
    draws = posterior_draws(post, n, seed=seed)
    names = list(draws.columns)
    if model is not None:
        unknown = [c for c in names if c not in model.parameters]
        if unknown:
            raise CalibrationError(
                f"the posterior's parameter(s) {', '.join(unknown)} are not constants of "
                f"{model.path.name}"
            )
    values = draws.to_numpy()
    labels = [str(v) for v in post["parameter"].values[post["parameter_kind"].values == "model"]] \
        if "parameter_kind" in post.coords else names
    attrs: dict[str, Any] = {
        "long_name": "parameter values: joint posterior draws",
        "sampler": "posterior",
        "seed": "unrecorded" if seed is None or isinstance(seed, np.random.Generator) else int(seed),
        "posterior_file": Path(str(post.attrs.get("posterior_file", ""))).name,
        "posterior_sha256": str(post.attrs.get("posterior_sha256", "")),
        "posterior_method": str(post.attrs.get("method", "")),
    }
    if design is not None:
        if design.sizes["sample"] != n:
            raise CalibrationError(
                f"the uncertainty design has {design.sizes['sample']} samples, not {n}"
            )
        keep = [str(p) for p in design["parameter"].values if str(p) not in names]
        other = design.sel(parameter=keep)
        values = np.hstack([values, other.transpose("sample", "parameter").values])
        labels = labels + [str(v) for v in other["parameter_name"].values] \
            if "parameter_name" in other.coords else labels + keep
        names = names + keep
        attrs.update({k: v for k, v in design.attrs.items() if k not in attrs},
                     sampler=f"posterior + {design.attrs.get('sampler', 'design')}")
    return xr.DataArray(
        values,
        dims=("sample", "parameter"),
        coords={
            "sample": np.arange(n),
            "parameter": names,
            "parameter_name": ("parameter", labels),
            "posterior_draw": ("sample", np.asarray(draws.attrs["rows"], dtype=np.int64)),
        },
        name="design",
        attrs=attrs,
    )
