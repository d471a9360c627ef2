"""Uncertain parameters: distributions, uncertainty files, samplers and rank correlation.

>>> from sdmodels.uncertainty import Triangular
>>> Triangular(min=0.09, mode=0.115, max=0.125).support
(0.09, 0.125)
"""

from __future__ import annotations

from sdmodels.errors import UncertaintyError
from sdmodels.uncertainty._distributions import (
    DISTRIBUTIONS,
    PERT,
    Beta,
    DiscreteChoice,
    Distribution,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
    distribution_from_dict,
)
from sdmodels.uncertainty._sampling import (
    SAMPLING_METHODS,
    SamplingMethod,
    Seed,
    iman_conover,
    resolve_seed,
    unit_sample,
    validate_correlation,
)
from sdmodels.uncertainty._spec import (
    UncertainParameter,
    UncertaintySpec,
    as_uncertainty,
    load_uncertainty,
)

__all__ = [
    "DISTRIBUTIONS",
    "PERT",
    "SAMPLING_METHODS",
    "Beta",
    "DiscreteChoice",
    "Distribution",
    "LogNormal",
    "Normal",
    "SamplingMethod",
    "Seed",
    "Triangular",
    "TruncatedNormal",
    "UncertainParameter",
    "UncertaintyError",
    "UncertaintySpec",
    "Uniform",
    "as_uncertainty",
    "distribution_from_dict",
    "iman_conover",
    "load_uncertainty",
    "resolve_seed",
    "unit_sample",
    "validate_correlation",
]
