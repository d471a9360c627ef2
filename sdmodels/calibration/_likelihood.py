"""Whole populations of parameter sets through the compiled kernel, and their log-likelihood.

:class:`Evaluator` turns a population ``(n, ndim)`` of calibrated quantities into one batch run
of the model (every member a sample of the same kernel call) and returns, per observed series,
the simulated values at the observation times; :meth:`Evaluator.log_likelihood` scores them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.calibration._priors import log_density
from sdmodels.calibration._spec import CalibrationSpec, ObservedSeries

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["Evaluator", "log_density", "series_log_likelihood"]

special = LazyModule("scipy.special")  # loaded when a likelihood is first evaluated

_LOG_2PI = math.log(2.0 * math.pi)
#: Populations from this size run the kernel's parallel loop (emcee's half-ensembles are small).
_PARALLEL_FROM = 16


def series_log_likelihood(
    series: ObservedSeries, simulated: np.ndarray, scale: np.ndarray | float | None = None
) -> np.ndarray:
    """Log-likelihood of one series' observations for each simulated row ``(n, n_obs)``.

    ``scale`` is the error's standard deviation per row (estimated scales) or, by default, the
    series' given scale. Non-finite simulations (and non-positive ones under a log-normal
    error) score ``-inf``. The series' weight multiplies the result.
    """
    y = series.values
    sim = np.atleast_2d(simulated)
    sigma = np.asarray(series.scale if scale is None else scale, dtype=float)
    sigma = sigma.reshape(-1, 1) if sigma.ndim else sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        if series.error == "lognormal":
            resid = (np.log(y) - np.log(sim)) / sigma
            extra = -np.log(y).sum()
        else:
            resid = (y - sim) / sigma
            extra = 0.0
        n = y.size
        if series.error == "student_t":
            nu = series.df
            const = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi)
            ll = n * const - (nu + 1) / 2 * np.log1p(resid**2 / nu).sum(axis=1)
        else:
            ll = -0.5 * (resid**2).sum(axis=1) - 0.5 * n * _LOG_2PI
        ll = ll - n * np.log(sigma).reshape(-1) + extra
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    return series.weight * ll


@dataclass(frozen=True)
class _Sampling:
    """Interpolation of saved times onto the observation times of one series (``matrix`` and
    ``prev_matrix``: the weights of the saved values in each window mean, for a series compared
    as means over a window)."""

    lo: np.ndarray
    frac: np.ndarray
    prev_lo: np.ndarray | None
    prev_frac: np.ndarray | None
    matrix: np.ndarray | None = None
    prev_matrix: np.ndarray | None = None


def _weights(saved: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.clip(np.searchsorted(saved, times, side="right") - 1, 0, max(saved.size - 2, 0))
    if saved.size == 1:
        return idx, np.zeros_like(times)
    frac = (times - saved[idx]) / (saved[idx + 1] - saved[idx])
    return idx, np.clip(frac, 0.0, 1.0)


#: Points of the midpoint rule that averages the (piecewise linear) simulation over a window.
_WINDOW_POINTS = 256


def _window_matrix(saved: np.ndarray, times: np.ndarray, window: float) -> np.ndarray:
    """Weights ``(len(times), len(saved))``: row i averages the linear interpolation of the saved
    values over ``[times[i] - window / 2, times[i] + window / 2]`` (midpoint rule; the ends are
    held outside the saved range, as for a point)."""
    offsets = ((np.arange(_WINDOW_POINTS) + 0.5) / _WINDOW_POINTS - 0.5) * window
    matrix = np.zeros((times.size, saved.size))
    for i, t in enumerate(times):
        lo, frac = _weights(saved, t + offsets)
        hi = np.minimum(lo + 1, saved.size - 1)
        np.add.at(matrix[i], lo, (1.0 - frac) / _WINDOW_POINTS)
        np.add.at(matrix[i], hi, frac / _WINDOW_POINTS)
    return matrix


class Evaluator:
    """Run populations of calibrated quantities through the model's compiled kernel.

    Parameters
    ----------
    spec
        The calibration.

    Notes
    -----
    The scenario's overrides are resolved and validated once; each population then costs one
    call of the compiled batch kernel, asking only for the observed variables. Model
    parameters are checked against their declared ranges by the priors (whose supports lie
    inside them), so no member of a population can leave them.
    """

    def __init__(self, spec: CalibrationSpec) -> None:
        self.spec = spec
        model = spec.model
        self._kernel = model.compiled()
        self._base = dict(model.scenario(spec.scenario).to_params(model))
        for item in spec.inputs:
            self._base[item.py_name] = item.series()
        self._columns = list(dict.fromkeys(s.py_name for s in spec.series))
        controls = {py: float(v) for py, v in self._base.items() if py in model.controls}
        # nothing after the last observation (or the end of its window) changes the likelihood:
        # stop the runs there
        last = max(float(np.max(s.times)) + s.window / 2 for s in spec.series)
        saveper = controls.get("saveper", float(model.controls["saveper"].value))
        t0 = controls.get("initial_time", float(model.controls["initial_time"].value))
        final = controls.get("final_time", float(model.controls["final_time"].value))
        stop = min(final, t0 + saveper * np.ceil((last - t0) / saveper - 1e-9))
        if stop < final:
            self._base["final_time"] = stop
            controls["final_time"] = stop
        self.saved_times = np.asarray(self._kernel.saved_times(**controls), dtype=float)
        self._sampling: list[_Sampling] = []
        for s in spec.series:
            lo, frac = _weights(self.saved_times, s.times)
            if s.previous_times is not None:
                plo, pfrac = _weights(self.saved_times, s.previous_times)
            else:
                plo = pfrac = None
            matrix = prev_matrix = None
            if s.window > 0:
                matrix = _window_matrix(self.saved_times, s.times, s.window)
                if s.previous_times is not None:
                    prev_matrix = _window_matrix(self.saved_times, s.previous_times, s.window)
            self._sampling.append(_Sampling(lo, frac, plo, pfrac, matrix, prev_matrix))
        self.runs = 0

    def params(self, values: np.ndarray) -> dict[str, Any]:
        """The batch overrides (by Python name) for a population ``(n, ndim)``."""
        values = np.atleast_2d(values)
        params = dict(self._base)
        for j, p in enumerate(self.spec.priors.parameters):
            params[p.py_name] = np.ascontiguousarray(values[:, j])
        return params

    def trajectories(self, values: np.ndarray, columns: list[str] | None = None) -> dict[str, np.ndarray]:
        """Simulated outputs ``(n, n_saved)`` per Python name for a population ``(n, ndim)``."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        n = values.shape[0]
        with np.errstate(all="ignore"):
            out = self._kernel.run(self.params(values), n, return_columns=columns or self._columns,
                                   parallel=n >= _PARALLEL_FROM)
        self.runs += n
        return {py: np.asarray(arr, dtype=float).reshape(n, -1) for py, arr in out.items()}

    def simulate(self, values: np.ndarray) -> list[np.ndarray]:
        """Per series, the simulated values ``(n, n_obs)`` compared with its observations."""
        traj = self.trajectories(values)
        result = []
        for s, w in zip(self.spec.series, self._sampling, strict=True):
            a = traj[s.py_name]
            if w.matrix is not None:
                level = a @ w.matrix.T
            else:
                level = a[:, w.lo] * (1 - w.frac) + a[:, np.minimum(w.lo + 1, a.shape[1] - 1)] * w.frac
            if s.transform in ("growth", "growth_rate"):
                if w.prev_matrix is not None:
                    prev = a @ w.prev_matrix.T
                else:
                    prev = (a[:, w.prev_lo] * (1 - w.prev_frac)
                            + a[:, np.minimum(w.prev_lo + 1, a.shape[1] - 1)] * w.prev_frac)
                with np.errstate(divide="ignore", invalid="ignore"):
                    level = level / prev - 1.0
            result.append(level)
        return result

    def continuous(self, values: np.ndarray) -> list[np.ndarray]:
        """Per series, the simulated series ``(n, n_saved)`` at every saved time, as compared with
        the data (levels, or growth over the series' period; NaN where undefined)."""
        traj = self.trajectories(values)
        t = self.saved_times
        result = []
        for s in self.spec.series:
            a = traj[s.py_name]
            if s.window > 0:
                # the window mean at every saved time (NaN where the window leaves the run)
                a = a @ _window_matrix(t, t, s.window).T
                inside = (t - s.window / 2 >= t[0] - 1e-9) & (t + s.window / 2 <= t[-1] + 1e-9)
                a = np.where(inside, a, np.nan)
            if s.transform == "level":
                result.append(a)
                continue
            period = (float(np.median(s.times - s.previous_times))
                      if s.previous_times is not None and s.previous_times.size else 1.0)
            prev = np.stack([np.interp(t - period, t, row, left=np.nan) for row in a])
            with np.errstate(divide="ignore", invalid="ignore"):
                result.append(a / prev - 1.0)
        return result

    def scales(self, values: np.ndarray) -> list[np.ndarray | None]:
        """Per series, the estimated scale of each row, or ``None`` for a given scale."""
        values = np.atleast_2d(values)
        out: list[np.ndarray | None] = []
        j = self.spec.n_model
        for s in self.spec.series:
            if s.estimated:
                out.append(values[:, j])
                j += 1
            else:
                out.append(None)
        return out

    def log_likelihood(self, values: np.ndarray) -> np.ndarray:
        """Total log-likelihood of every row of a population ``(n, ndim)``."""
        values = np.atleast_2d(values)
        sims = self.simulate(values)
        total = np.zeros(values.shape[0])
        for s, sim, scale in zip(self.spec.series, sims, self.scales(values), strict=True):
            total += series_log_likelihood(s, sim, scale)
        return total

    def log_posterior(self, values: np.ndarray) -> np.ndarray:
        """Log prior plus log-likelihood (``-inf`` outside the prior's support)."""
        values = np.atleast_2d(values)
        prior = self.spec.log_prior(values)
        out = np.full(values.shape[0], -np.inf)
        ok = np.isfinite(prior)
        if ok.any():
            out[ok] = prior[ok] + self.log_likelihood(values[ok])
        return out

    def dataset(self, values: np.ndarray) -> xr.Dataset:
        """The same population run through :meth:`sdmodels.Model.run_batch` (for checks)."""
        values = np.atleast_2d(values)
        params: dict[str, Any] = {p.py_name: values[:, j]
                                  for j, p in enumerate(self.spec.priors.parameters)}
        params.update({i.py_name: i.series() for i in self.spec.inputs})
        if "final_time" in self._base:
            params["final_time"] = self._base["final_time"]
        return self.spec.model.run_batch(params, scenario=self.spec.scenario,
                                         outputs=self._columns, allow_out_of_range=True)
