"""Probability distributions for uncertain parameters.

Each distribution is a small frozen dataclass whose arguments are validated when it is
made. It maps samples on the unit interval to parameter values through its inverse
cumulative distribution function (:meth:`Distribution.ppf`), so any unit-hypercube design
(random, Latin hypercube, Sobol sequence, SALib's Saltelli or Morris designs) becomes a
design in parameter space, and it exposes its :attr:`Distribution.support` so that the
support can be checked against the range declared in the model file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sdmodels._common import LazyModule
from sdmodels.errors import UncertaintyError

stats = LazyModule("scipy.stats")  # loaded when a distribution is first used

__all__ = [
    "DISTRIBUTIONS",
    "PERT",
    "Beta",
    "DiscreteChoice",
    "Distribution",
    "LogNormal",
    "Normal",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "distribution_from_dict",
]

# Unit samples are kept this far from 0 and 1 before an unbounded inverse CDF is applied,
# so that a sample of exactly 0 (possible for pseudo-random draws) maps to a finite value.
_EDGE = 1e-12


def _snap(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Round samples within ``_EDGE`` of 0 or 1 to the end point (bounded distributions).

    Iterative inverse CDFs (beta) fail to converge for subnormal arguments; the end points
    themselves are exact.
    """
    return np.where(u < _EDGE, 0.0, np.where(u > 1.0 - _EDGE, 1.0, u))


def _number(kind: str, field: str, value: Any) -> float:
    """Return ``value`` as a finite float, or raise an error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise UncertaintyError(
            f"{kind}: argument {field!r} must be a number, got {value!r} ({type(value).__name__})"
        )
    out = float(value)
    if not math.isfinite(out):
        raise UncertaintyError(f"{kind}: argument {field!r} must be finite, got {value!r}")
    return out


@dataclass(frozen=True)
class Distribution:
    """Base class: a univariate distribution defined by its inverse CDF.

    Subclasses set ``kind`` (the name used in uncertainty files), validate their
    arguments in ``__post_init__`` and implement ``_ppf`` and ``support``.
    """

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.type in ("float", float):
                object.__setattr__(self, f.name, _number(self.kind, f.name, getattr(self, f.name)))
        self._validate()

    def _validate(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:  # pragma: no cover - overridden
        """Smallest and largest value the distribution can produce (may be infinite)."""
        raise NotImplementedError

    def ppf(self, u: ArrayLike) -> NDArray[np.float64]:
        """Map unit-interval samples to values (the inverse cumulative distribution).

        Parameters
        ----------
        u
            Samples in ``[0, 1]``, any shape.

        Returns
        -------
        numpy.ndarray
            Values of the same shape, within :attr:`support`.

        Raises
        ------
        UncertaintyError
            If a sample lies outside ``[0, 1]`` or is not finite.

        Examples
        --------
        >>> Uniform(min=2.0, max=4.0).ppf([0.0, 0.5, 1.0])
        array([2., 3., 4.])
        """
        arr = np.asarray(u, dtype=np.float64)
        if arr.size and not (np.all(np.isfinite(arr)) and arr.min() >= 0.0 and arr.max() <= 1.0):
            raise UncertaintyError(
                f"{self.kind}: unit samples must lie in [0, 1]; got values from "
                f"{np.nanmin(arr)} to {np.nanmax(arr)}"
            )
        values = np.asarray(self._ppf(arr), dtype=np.float64)
        # Rounding in the inverse CDFs can put an end point one ulp outside the support (a
        # triangle on [0.3, 0.9] maps 1 to 0.9000000000000001), which a declared range refuses.
        lo, hi = self.support
        return np.clip(values, lo, hi)

    def to_dict(self) -> dict[str, Any]:
        """The distribution as a plain mapping, the same form an uncertainty file uses.

        Examples
        --------
        >>> Triangular(min=0.09, mode=0.115, max=0.125).to_dict()
        {'dist': 'triangular', 'min': 0.09, 'mode': 0.115, 'max': 0.125}
        """
        out: dict[str, Any] = {"dist": self.kind}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> str:
        """A short human-readable form, e.g. ``triangular(min=0.09, mode=0.115, max=0.125)``."""
        args = ", ".join(f"{k}={v}" for k, v in self.to_dict().items() if k != "dist")
        return f"{self.kind}({args})"


def _check_order(kind: str, lo: float, hi: float, lo_name: str = "min", hi_name: str = "max") -> None:
    if not lo < hi:
        raise UncertaintyError(f"{kind}: {lo_name} ({lo}) must be smaller than {hi_name} ({hi})")


def _check_positive(kind: str, name: str, value: float) -> None:
    if not value > 0:
        raise UncertaintyError(f"{kind}: {name} must be greater than 0, got {value}")


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[min, max]``.

    Examples
    --------
    >>> Uniform(min=0.0, max=1.0).support
    (0.0, 1.0)
    """

    kind: ClassVar[str] = "uniform"
    min: float
    max: float

    def _validate(self) -> None:
        _check_order(self.kind, self.min, self.max)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.min + u * (self.max - self.min)

    @property
    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[min, max]`` with its peak at ``mode``.

    Examples
    --------
    >>> float(Triangular(min=0.0, mode=0.0, max=1.0).ppf(0.75))
    0.5
    """

    kind: ClassVar[str] = "triangular"
    min: float
    mode: float
    max: float

    def _validate(self) -> None:
        _check_order(self.kind, self.min, self.max)
        if not self.min <= self.mode <= self.max:
            raise UncertaintyError(
                f"{self.kind}: mode ({self.mode}) must lie between min ({self.min}) "
                f"and max ({self.max})"
            )

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        width = self.max - self.min
        c = (self.mode - self.min) / width
        return stats.triang.ppf(_snap(u), c, loc=self.min, scale=width)

    @property
    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd`` (unbounded support).

    A parameter whose model declares a range needs a bounded distribution; use
    :class:`TruncatedNormal` there.
    """

    kind: ClassVar[str] = "normal"
    mean: float
    sd: float

    def _validate(self) -> None:
        _check_positive(self.kind, "sd", self.sd)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return stats.norm.ppf(np.clip(u, _EDGE, 1 - _EDGE), loc=self.mean, scale=self.sd)

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal(``mean``, ``sd``) truncated to ``[min, max]``.

    Examples
    --------
    >>> d = TruncatedNormal(mean=0.5, sd=1.0, min=0.0, max=1.0)
    >>> bool(0.0 <= d.ppf(0.999) <= 1.0)
    True
    """

    kind: ClassVar[str] = "truncnormal"
    mean: float
    sd: float
    min: float
    max: float

    def _validate(self) -> None:
        _check_positive(self.kind, "sd", self.sd)
        _check_order(self.kind, self.min, self.max)
        a, b = self._standard_bounds()
        # Mass of the truncated region: below ~1e-15 the inverse CDF is numerically meaningless.
        if stats.norm.cdf(b) - stats.norm.cdf(a) < 1e-12 and stats.norm.sf(a) - stats.norm.sf(b) < 1e-12:
            raise UncertaintyError(
                f"{self.kind}: [min, max] = [{self.min}, {self.max}] lies too far in the tail of "
                f"normal(mean={self.mean}, sd={self.sd}); move the mean inside or widen sd"
            )

    def _standard_bounds(self) -> tuple[float, float]:
        return ((self.min - self.mean) / self.sd, (self.max - self.mean) / self.sd)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        a, b = self._standard_bounds()
        out = stats.truncnorm.ppf(_snap(u), a, b, loc=self.mean, scale=self.sd)
        return np.clip(out, self.min, self.max)

    @property
    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal: ``log(X)`` is normal with mean ``mu`` and standard deviation ``sigma``.

    The median is ``exp(mu)``. Support is ``(0, inf)``.
    """

    kind: ClassVar[str] = "lognormal"
    mu: float
    sigma: float

    def _validate(self) -> None:
        _check_positive(self.kind, "sigma", self.sigma)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return stats.lognorm.ppf(np.clip(u, _EDGE, 1 - _EDGE), self.sigma, scale=math.exp(self.mu))

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta(``alpha``, ``beta``) scaled to ``[min, max]`` (default ``[0, 1]``)."""

    kind: ClassVar[str] = "beta"
    alpha: float
    beta: float
    min: float = 0.0
    max: float = 1.0

    def _validate(self) -> None:
        _check_positive(self.kind, "alpha", self.alpha)
        _check_positive(self.kind, "beta", self.beta)
        _check_order(self.kind, self.min, self.max)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        return stats.beta.ppf(_snap(u), self.alpha, self.beta, loc=self.min, scale=self.max - self.min)

    @property
    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True)
class PERT(Distribution):
    """(Modified) PERT on ``[min, max]`` with most likely value ``mode``.

    A beta distribution scaled to ``[min, max]`` with
    ``alpha = 1 + shape * (mode - min) / (max - min)`` and
    ``beta = 1 + shape * (max - mode) / (max - min)``; ``shape = 4`` is classic PERT.

    Examples
    --------
    >>> d = PERT(min=0.0, mode=0.5, max=1.0)
    >>> round(float(d.ppf(0.5)), 12)
    0.5
    """

    kind: ClassVar[str] = "pert"
    min: float
    mode: float
    max: float
    shape: float = 4.0

    def _validate(self) -> None:
        _check_order(self.kind, self.min, self.max)
        if not self.min <= self.mode <= self.max:
            raise UncertaintyError(
                f"{self.kind}: mode ({self.mode}) must lie between min ({self.min}) "
                f"and max ({self.max})"
            )
        _check_positive(self.kind, "shape", self.shape)

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        width = self.max - self.min
        a = 1.0 + self.shape * (self.mode - self.min) / width
        b = 1.0 + self.shape * (self.max - self.mode) / width
        return stats.beta.ppf(_snap(u), a, b, loc=self.min, scale=width)

    @property
    def support(self) -> tuple[float, float]:
        return (self.min, self.max)


@dataclass(frozen=True)
class DiscreteChoice(Distribution):
    """One of ``values``, chosen with probabilities proportional to ``weights``.

    Examples
    --------
    >>> d = DiscreteChoice(values=(1.0, 2.0, 3.0), weights=(1.0, 2.0, 1.0))
    >>> d.ppf([0.1, 0.5, 0.9]).tolist()
    [1.0, 2.0, 3.0]
    """

    kind: ClassVar[str] = "choice"
    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            raise UncertaintyError(
                f"{self.kind}: 'values' must be a list of numbers, got {self.values!r}"
            )
        values = tuple(_number(self.kind, "values", v) for v in self.values)
        object.__setattr__(self, "values", values)
        if self.weights is not None:
            if isinstance(self.weights, (str, bytes)) or not isinstance(self.weights, Sequence):
                raise UncertaintyError(
                    f"{self.kind}: 'weights' must be a list of numbers, got {self.weights!r}"
                )
            weights = tuple(_number(self.kind, "weights", w) for w in self.weights)
            object.__setattr__(self, "weights", weights)
        self._validate()

    def _validate(self) -> None:
        if not self.values:
            raise UncertaintyError(f"{self.kind}: 'values' must hold at least one value")
        if self.weights is None:
            return
        if len(self.weights) != len(self.values):
            raise UncertaintyError(
                f"{self.kind}: 'weights' has {len(self.weights)} entries but 'values' has "
                f"{len(self.values)}; give one weight per value"
            )
        if min(self.weights) < 0 or sum(self.weights) <= 0:
            raise UncertaintyError(
                f"{self.kind}: 'weights' must be non-negative with a positive sum, "
                f"got {list(self.weights)}"
            )

    @property
    def probabilities(self) -> NDArray[np.float64]:
        """Probability of each value (weights normalised to sum to 1)."""
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    def _ppf(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        cum = np.cumsum(self.probabilities)
        idx = np.searchsorted(cum, u, side="right")
        idx = np.minimum(idx, len(self.values) - 1)
        return np.asarray(self.values)[idx]

    @property
    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))


#: Distribution classes by the name used in uncertainty files.
DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.kind: cls
    for cls in (Uniform, Triangular, Normal, TruncatedNormal, LogNormal, Beta, PERT, DiscreteChoice)
}

_ALIASES = {
    "truncated_normal": "truncnormal",
    "truncnorm": "truncnormal",
    "discrete": "choice",
    "discrete_choice": "choice",
    "log_normal": "lognormal",
}


def _kind_key(kind: str) -> str:
    key = "_".join(kind.strip().lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def distribution_from_dict(table: Mapping[str, Any]) -> Distribution:
    """Build a distribution from a mapping such as one table of an uncertainty file.

    Parameters
    ----------
    table
        ``dist`` names the kind (``uniform``, ``triangular``, ``normal``, ``truncnormal``,
        ``lognormal``, ``beta``, ``pert``, ``choice``); the other keys are its arguments.

    Returns
    -------
    Distribution

    Raises
    ------
    UncertaintyError
        If ``dist`` is missing or unknown, an argument is missing, unexpected or invalid.

    Examples
    --------
    >>> distribution_from_dict({"dist": "triangular", "min": 0.09, "mode": 0.115, "max": 0.125})
    Triangular(min=0.09, mode=0.115, max=0.125)
    """
    if "dist" not in table:
        raise UncertaintyError(
            "no 'dist' key: say which distribution to use, one of " + ", ".join(DISTRIBUTIONS)
        )
    kind = table["dist"]
    if not isinstance(kind, str) or _kind_key(kind) not in DISTRIBUTIONS:
        raise UncertaintyError(
            f"unknown distribution {kind!r}; use one of " + ", ".join(DISTRIBUTIONS)
        )
    cls = DISTRIBUTIONS[_kind_key(kind)]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    args = {k: v for k, v in table.items() if k != "dist"}
    unexpected = sorted(set(args) - set(fields))
    if unexpected:
        raise UncertaintyError(
            f"{cls.kind}: unexpected argument(s) {', '.join(map(repr, unexpected))}; "
            f"{cls.kind} takes {', '.join(fields)}"
        )
    required = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [name for name in required if name not in args]
    if missing:
        raise UncertaintyError(
            f"{cls.kind}: missing argument(s) {', '.join(map(repr, missing))}; "
            f"{cls.kind} takes {', '.join(fields)}"
        )
    return cls(**args)
