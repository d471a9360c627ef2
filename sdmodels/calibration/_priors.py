"""Prior densities: the scipy twin of each uncertainty-file distribution.

The uncertainty code defines distributions by their inverse CDF; calibration also needs their
density (for the optimiser's log posterior and the reported log prior) and CDF (to start walkers
at an optimum). Tests check these against the inverse CDF itself.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.errors import SDModelsError
from sdmodels.uncertainty import (
    PERT,
    Beta,
    Distribution,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)

__all__ = ["CalibrationError", "frozen_distribution", "log_density"]

stats = LazyModule("scipy.stats")  # loaded when a prior is first evaluated


class CalibrationError(SDModelsError, ValueError):
    """A calibration file, its data, or a calibration run that cannot be used as given."""


@lru_cache(maxsize=512)
def frozen_distribution(dist: Distribution) -> Any:
    """The scipy distribution with the same density as ``dist``.

    Kept per distribution (they are immutable): scipy builds a new distribution instance, with
    its docstring, for every frozen one, which cost a third of each MCMC population's time.
    """
    if isinstance(dist, Uniform):
        return stats.uniform(loc=dist.min, scale=dist.max - dist.min)
    if isinstance(dist, Triangular):
        width = dist.max - dist.min
        return stats.triang((dist.mode - dist.min) / width, loc=dist.min, scale=width)
    if isinstance(dist, Normal):
        return stats.norm(loc=dist.mean, scale=dist.sd)
    if isinstance(dist, TruncatedNormal):
        a, b = ((dist.min - dist.mean) / dist.sd, (dist.max - dist.mean) / dist.sd)
        return stats.truncnorm(a, b, loc=dist.mean, scale=dist.sd)
    if isinstance(dist, LogNormal):
        return stats.lognorm(dist.sigma, scale=math.exp(dist.mu))
    if isinstance(dist, Beta):
        return stats.beta(dist.alpha, dist.beta, loc=dist.min, scale=dist.max - dist.min)
    if isinstance(dist, PERT):
        width = dist.max - dist.min
        a = 1 + dist.shape * (dist.mode - dist.min) / width
        b = 1 + dist.shape * (dist.max - dist.mode) / width
        return stats.beta(a, b, loc=dist.min, scale=width)
    raise CalibrationError(f"no density for a {dist.kind} prior; use a continuous distribution")


def log_density(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """Log prior density of ``x`` under ``dist`` (``-inf`` outside its support).

    Examples
    --------
    >>> from sdmodels.uncertainty import Uniform
    >>> log_density(Uniform(min=0.0, max=2.0), np.array([1.0, 3.0]))
    array([-0.69314718,        -inf])
    """
    with np.errstate(divide="ignore"):
        return np.asarray(frozen_distribution(dist).logpdf(np.asarray(x, dtype=float)), dtype=float)
