"""Monte Carlo uncertainty analysis with common random numbers across scenarios.

The package is split by concern: :mod:`._run` (``run_mc``: one design, every scenario),
:mod:`._parts` (streaming each scenario to disk and combining the stores), :mod:`._summaries`
(quantiles, probabilities of being better, tables). The ``ds.sd`` accessor is
:mod:`sdmodels.accessor`.

One design (drawn once from an :class:`~sdmodels.uncertainty.UncertaintySpec`) is run under
every scenario, so that differences between scenarios are not blurred by sampling noise:
sample ``i`` of scenario ``s`` and sample ``i`` of the baseline share every uncertain value.

>>> import sdmodels
>>> from sdmodels.montecarlo import run_mc
>>> from sdmodels.uncertainty import load_uncertainty
>>> m = sdmodels.load_model("models/tests/ishigami.mdl")
>>> spec = load_uncertainty("models/uncertainty/ishigami.toml", m)
>>> ds = run_mc(m, spec, n=64, seed=0, outputs=["Y"])
>>> ds["y"].sizes["sample"]
64
>>> ds.sd.quantiles([0.5])["y"].dims
('scenario', 'quantile', 'time')
"""

from __future__ import annotations

from sdmodels.batch import run_design
from sdmodels.montecarlo._run import run_mc
from sdmodels.montecarlo._summaries import (
    DEFAULT_QUANTILES,
    better_direction,
    directions,
    output_variables,
    prob_better,
    quantiles,
    summary_table,
)

__all__ = [
    "DEFAULT_QUANTILES",
    "better_direction",
    "directions",
    "output_variables",
    "prob_better",
    "quantiles",
    "run_design",
    "run_mc",
    "summary_table",
]
