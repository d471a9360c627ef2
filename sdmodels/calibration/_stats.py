"""Summary statistics of a historical fit (Sterman 1984).

Sterman, J. D. (1984), "Appropriate summary statistics for evaluating the historical fit of
system dynamics models", *Dynamica* 10(2): 51–66. With simulated values :math:`S_t`, observed
values :math:`A_t`, means :math:`\\bar S, \\bar A`, standard deviations (divisor *n*)
:math:`s_S, s_A` and correlation *r*, the mean square error splits exactly into

* :math:`U^M = (\\bar S - \\bar A)^2 / \\mathrm{MSE}` (bias),
* :math:`U^S = (s_S - s_A)^2 / \\mathrm{MSE}` (unequal variation),
* :math:`U^C = 2 (1 - r) s_S s_A / \\mathrm{MSE}` (unequal covariation),

with :math:`U^M + U^S + U^C = 1`. A good fit's error is mostly :math:`U^C`: the model tracks
the trend and the spread, and what remains is point-by-point noise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["FIT_STATISTICS", "FitStatistics", "fit_statistics"]

#: The statistics reported for each series, in table order.
FIT_STATISTICS: tuple[str, ...] = (
    "n", "r2", "mape", "rmse", "rmspe", "bias", "theil_u", "um", "us", "uc",
)


@dataclass(frozen=True)
class FitStatistics:
    """Fit statistics of one simulated series against its observations.

    Attributes
    ----------
    n
        Number of observations.
    r2
        Coefficient of determination as Sterman defines it: the squared correlation of
        simulated and observed values.
    mape
        Mean absolute percent error, as a fraction (0.05 is 5%); NaN where an observation is 0.
    rmse, rmspe
        Root mean square error, and root mean square percent error (a fraction).
    bias
        Mean of simulated minus observed.
    theil_u
        Theil's inequality coefficient :math:`\\sqrt{MSE} / (\\sqrt{\\overline{S^2}} +
        \\sqrt{\\overline{A^2}})`, 0 for a perfect fit, at most 1.
    um, us, uc
        Theil's bias, variation and covariation shares of the MSE (sum 1; NaN when MSE is 0).
    """

    n: int
    r2: float
    mape: float
    rmse: float
    rmspe: float
    bias: float
    theil_u: float
    um: float
    us: float
    uc: float

    def as_dict(self) -> dict[str, float]:
        """The statistics by name, in :data:`FIT_STATISTICS` order."""
        return {k: float(v) for k, v in asdict(self).items()}


def fit_statistics(simulated: ArrayLike, observed: ArrayLike) -> FitStatistics:
    """Sterman's (1984) summary statistics of a simulated series against observations.

    Parameters
    ----------
    simulated, observed
        Values at the same times; pairs where either is NaN are dropped.

    Returns
    -------
    FitStatistics

    Examples
    --------
    >>> s = fit_statistics([2.0, 2.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(s.um, 6), round(s.um + s.us + s.uc, 12)
    (0.75, 1.0)
    """
    sim = np.asarray(simulated, dtype=float).ravel()
    obs = np.asarray(observed, dtype=float).ravel()
    if sim.shape != obs.shape:
        raise ValueError(f"simulated ({sim.size}) and observed ({obs.size}) differ in length")
    keep = np.isfinite(sim) & np.isfinite(obs)
    sim, obs = sim[keep], obs[keep]
    n = int(sim.size)
    nan = math.nan
    if n == 0:
        return FitStatistics(0, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run: inf statistics
        err = sim - obs
        mse = float(np.mean(err**2))
        s_s, s_a = float(np.std(sim)), float(np.std(obs))
    if n > 1 and s_s > 0 and s_a > 0 and math.isfinite(s_s):
        r = float(np.mean((sim - sim.mean()) * (obs - obs.mean())) / (s_s * s_a))
        r = min(1.0, max(-1.0, r))
    else:
        r = nan
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pct = np.where(obs != 0, err / np.where(obs != 0, obs, 1.0), np.nan)
        finite = bool(np.all(np.isfinite(pct)))
        mape = float(np.mean(np.abs(pct))) if finite else nan
        rmspe = float(math.sqrt(np.mean(pct**2))) if finite else nan
    with np.errstate(over="ignore"):
        denom = math.sqrt(float(np.mean(sim**2))) + math.sqrt(float(np.mean(obs**2)))
    theil_u = math.sqrt(mse) / denom if 0 < denom < math.inf else nan
    if 0 < mse < math.inf:
        um = (float(sim.mean()) - float(obs.mean())) ** 2 / mse
        us = (s_s - s_a) ** 2 / mse
        # U^C from its definition where r exists; otherwise the remainder (a flat series)
        uc = 2.0 * (1.0 - r) * s_s * s_a / mse if math.isfinite(r) else max(0.0, 1.0 - um - us)
    else:
        um = us = uc = nan
    return FitStatistics(
        n=n,
        r2=r * r if math.isfinite(r) else nan,
        mape=mape,
        rmse=math.sqrt(mse),
        rmspe=rmspe,
        bias=float(err.mean()),
        theil_u=theil_u,
        um=um,
        us=us,
        uc=uc,
    )
