"""Seeds, unit-hypercube samplers and Iman–Conover rank correlation."""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sdmodels._common import LazyModule, check_positive_int
from sdmodels.errors import UncertaintyError

# scipy.stats (0.7 CPU-s to import) is loaded when a design is first drawn
stats = LazyModule("scipy.stats")
qmc = LazyModule("scipy.stats.qmc")

__all__ = [
    "SAMPLING_METHODS",
    "SamplingMethod",
    "Seed",
    "iman_conover",
    "resolve_seed",
    "unit_sample",
    "validate_correlation",
]

#: What a ``seed=`` argument accepts. ``0`` is a seed like any other integer.
Seed: TypeAlias = int | np.random.Generator | None
SamplingMethod: TypeAlias = Literal["random", "lhs", "sobol"]
SAMPLING_METHODS: tuple[str, ...] = get_args(SamplingMethod)


def resolve_seed(seed: Seed) -> tuple[np.random.Generator, int | None]:
    """Normalise a seed once: return a generator and the integer seed to record.

    Parameters
    ----------
    seed
        An integer (``0`` included), a :class:`numpy.random.Generator` (used as given; its
        state cannot be recorded) or ``None`` (a fresh seed is drawn from the operating
        system and returned, so the run can be repeated).

    Returns
    -------
    (numpy.random.Generator, int or None)

    Raises
    ------
    UncertaintyError
        If ``seed`` is of another type or a negative integer.

    Examples
    --------
    >>> rng, recorded = resolve_seed(0)
    >>> recorded
    0
    """
    if isinstance(seed, np.random.Generator):
        return seed, None
    if seed is None:
        drawn = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
        return np.random.default_rng(drawn), drawn
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise UncertaintyError(
            f"seed must be an integer, a numpy Generator or None, got {seed!r}"
        )
    if seed < 0:
        raise UncertaintyError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed)), int(seed)


def _check_method(method: str) -> None:
    if method not in SAMPLING_METHODS:
        raise UncertaintyError(
            f"unknown sampling method {method!r}; use one of {', '.join(SAMPLING_METHODS)}"
        )


def unit_sample(
    n: int, d: int, *, method: SamplingMethod = "lhs", rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw ``n`` points in the ``d``-dimensional unit hypercube.

    Parameters
    ----------
    n, d
        Number of points and of dimensions.
    method
        ``"random"`` (independent uniforms), ``"lhs"`` (Latin hypercube: each column has
        exactly one point in each of the ``n`` equal strata) or ``"sobol"`` (scrambled
        Sobol sequence; ``n`` must be a power of 2).
    rng
        The generator to draw from.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, d)``, values in ``[0, 1)``.

    Raises
    ------
    UncertaintyError
        If ``n`` is not a positive integer, the method is unknown, or ``n`` is not a power
        of 2 for ``"sobol"``.
    """
    _check_method(method)
    check_positive_int(n, "number of samples", error=UncertaintyError)
    if d < 1:
        raise UncertaintyError("nothing to sample: the specification has no parameters")
    if method == "random":
        return rng.random((n, d))
    if method == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    if n & (n - 1):
        lower = 1 << (int(n).bit_length() - 1)
        raise UncertaintyError(
            f"a Sobol sequence needs a power of 2 samples to keep its balance, got n={n}; "
            f"use n={lower} or n={lower * 2}, or method='lhs'"
        )
    return qmc.Sobol(d=d, scramble=True, rng=rng).random_base2(int(n).bit_length() - 1)


def validate_correlation(matrix: ArrayLike, names: tuple[str, ...] | None = None) -> NDArray[np.float64]:
    """Check a rank-correlation matrix: square, symmetric, unit diagonal, positive definite.

    Parameters
    ----------
    matrix
        The target Spearman rank-correlation matrix.
    names
        Parameter names in matrix order, used in error messages.

    Returns
    -------
    numpy.ndarray
        The matrix as floats.

    Raises
    ------
    UncertaintyError
        Naming the offending entry.
    """
    c = np.asarray(matrix, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise UncertaintyError(f"correlation matrix must be square, got shape {c.shape}")
    k = c.shape[0]
    if names is not None and len(names) != k:
        raise UncertaintyError(
            f"correlation matrix is {k}x{k} but there are {len(names)} parameters"
        )
    label = (lambda i: repr(names[i])) if names is not None else (lambda i: str(i))
    if not np.all(np.isfinite(c)):
        raise UncertaintyError("correlation matrix holds non-finite values")
    if not np.allclose(np.diag(c), 1.0):
        i = int(np.argmax(np.abs(np.diag(c) - 1.0)))
        raise UncertaintyError(f"correlation of {label(i)} with itself must be 1, got {c[i, i]}")
    if not np.allclose(c, c.T):
        i, j = np.unravel_index(np.argmax(np.abs(c - c.T)), c.shape)
        raise UncertaintyError(
            f"correlation matrix is not symmetric: ({label(i)}, {label(j)}) = {c[i, j]} but "
            f"({label(j)}, {label(i)}) = {c[j, i]}"
        )
    if np.any(np.abs(c) > 1.0):
        i, j = np.unravel_index(np.argmax(np.abs(c)), c.shape)
        raise UncertaintyError(
            f"correlation between {label(i)} and {label(j)} must lie in [-1, 1], got {c[i, j]}"
        )
    try:
        np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise UncertaintyError(
            "correlation matrix is not positive definite: the correlations contradict one "
            "another (e.g. A~B and B~C strongly positive but A~C strongly negative); weaken them"
        ) from None
    return c


def iman_conover(
    sample: ArrayLike, correlation: ArrayLike, *, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Reorder each column of ``sample`` to impose a rank correlation (Iman & Conover 1982).

    The values in each column are kept (so marginal distributions and Latin-hypercube
    stratification are unchanged); only their order changes, so that the Spearman rank
    correlation of the columns approaches ``correlation``.

    Parameters
    ----------
    sample
        Shape ``(n, k)``.
    correlation
        Target ``(k, k)`` rank-correlation matrix (validated).
    rng
        Generator used for the random score permutations.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``, each column a permutation of the same input column.

    References
    ----------
    Iman, R. L. and Conover, W. J. (1982). A distribution-free approach to inducing rank
    correlation among input variables. Communications in Statistics - Simulation and
    Computation 11(3), 311-334.
    """
    x = np.asarray(sample, dtype=np.float64)
    n, k = x.shape
    target = validate_correlation(correlation)
    if target.shape[0] != k:
        raise UncertaintyError(
            f"correlation matrix is {target.shape[0]}x{target.shape[0]} but the sample has {k} columns"
        )
    if n < k + 2:
        raise UncertaintyError(
            f"imposing rank correlations on {k} parameters needs at least {k + 2} samples, got {n}"
        )
    # van der Waerden scores, independently permuted per column.
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(k)])
    e = np.corrcoef(s, rowvar=False)
    q = np.linalg.cholesky(e)
    p = np.linalg.cholesky(target)
    # Remove the sample's own correlation (Q), impose the target (P): rows of T = s Q^-T P^T.
    t = np.linalg.solve(q, s.T).T @ p.T
    out = np.empty_like(x)
    for j in range(k):
        ranks = np.argsort(np.argsort(t[:, j], kind="stable"), kind="stable")
        out[:, j] = np.sort(x[:, j])[ranks]
    return out
