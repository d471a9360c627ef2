"""The two calibration methods: optimisation and MCMC, on whole populations at a time.

Both work on the unit cube of the priors' probability scale: a point ``u`` maps to parameter
values through the priors' inverse CDFs (:meth:`CalibrationSpec.transform`). Under that map the
prior is uniform on the cube, so

* the MCMC target is just the log-likelihood inside the cube (``-inf`` outside), and its draws,
  mapped back, are draws of the posterior in parameter space (no Jacobian is lost);
* the optimiser searches the cube (bounded, every parameter on the same scale) for the
  maximum of the log posterior *in parameter space* (log prior density plus log-likelihood).

Each population (a generation of differential evolution, a half-ensemble of emcee walkers, the
finite-difference stencil of the polish) is one call of the compiled batch kernel.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.calibration._likelihood import Evaluator
from sdmodels.calibration._priors import frozen_distribution
from sdmodels.calibration._spec import CalibrationError, CalibrationSpec

# imported on first use; its import gives a FutureWarning announcing a refactor, silenced
arviz = LazyModule("arviz", quiet=(FutureWarning,))
# emcee imports scipy.stats (0.7 CPU-s): loaded when a fit starts, not with the package. Its
# optional HDF5 backend (unused here) imports h5py when installed (arviz installs it); h5py's wheel
# carries its own HDF5 library beside the one in netCDF4's wheel, which writes and reads every
# result, and two HDF5 libraries in one process are a known source of "HDF error" and crashes
# in netCDF4 (h5py issue 1541; Unidata/netcdf4-python issues 694 and 1214): keep h5py out.
emcee = LazyModule("emcee", hide=("h5py",))
special = LazyModule("scipy.special")
_optimize = LazyModule("scipy.optimize")

__all__ = ["CalibrationWarning", "Diagnostics", "FitResult", "run_mcmc", "run_optimize"]

_EDGE = 1e-9
#: Walker groups compared by R-hat.
R_HAT_GROUPS = 4
#: Convergence thresholds (see :class:`Diagnostics`).
R_HAT_MAX = 1.05
ESS_MIN = 100.0
#: The sampler's move sets (see :func:`run_mcmc`).
MOVES = ("stretch", "de")
TAU_FACTOR = 50.0

Advance = Callable[[int], Any]


class CalibrationWarning(UserWarning):
    """A calibration finished but its result should not be trusted as it stands."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence diagnostics of an MCMC run (one value per calibrated quantity).

    Attributes
    ----------
    ess_bulk, ess_tail
        Effective sample sizes (arviz, every walker a chain).
    r_hat
        Rank-normalised split R-hat (arviz) across ``R_HAT_GROUPS`` groups of walkers.
    autocorr_time
        Integrated autocorrelation time in steps (emcee), per parameter.
    acceptance
        Mean acceptance fraction of the walkers.
    kept_steps
        Steps kept after burn-in (before thinning).
    problems
        Why the run is not converged (empty if it is): R-hat above ``R_HAT_MAX``, ESS below
        ``ESS_MIN``, or fewer than ``TAU_FACTOR`` autocorrelation times kept.
    """

    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    r_hat: np.ndarray
    autocorr_time: np.ndarray
    acceptance: float
    kept_steps: int
    problems: tuple[str, ...] = ()

    @property
    def converged(self) -> bool:
        """True when no convergence check failed."""
        return not self.problems


@dataclass(frozen=True)
class FitResult:
    """What a calibration method returns before it is written down.

    Attributes
    ----------
    method
        ``"optimize"`` or ``"mcmc"``.
    draws
        Parameter values ``(n_draws, ndim)``: the optimum alone, or the kept MCMC draws.
    log_likelihood, log_prior
        Per draw.
    walker, step
        Per draw: the walker and step it comes from (``-1`` for an optimum).
    best
        Parameter values ``(ndim,)`` with the highest log posterior.
    seed
        The seed used.
    settings
        Method settings (walkers, steps, burn, thin; population size, generations, ...).
    diagnostics
        MCMC convergence diagnostics, ``None`` for an optimisation.
    message
        The optimiser's message, or a convergence summary.
    runs
        Model runs made.
    """

    method: str
    draws: np.ndarray
    log_likelihood: np.ndarray
    log_prior: np.ndarray
    walker: np.ndarray
    step: np.ndarray
    best: np.ndarray
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)
    diagnostics: Diagnostics | None = None
    message: str = ""
    runs: int = 0


def _unit_clip(u: np.ndarray) -> np.ndarray:
    return np.clip(u, _EDGE, 1.0 - _EDGE)


def _objective(ev: Evaluator) -> Callable[[np.ndarray], np.ndarray]:
    """Negative log posterior of unit-cube points ``(n, d)``; a huge finite value where undefined."""
    spec = ev.spec

    def f(unit: np.ndarray) -> np.ndarray:
        x = spec.transform(_unit_clip(np.atleast_2d(unit)))
        lp = ev.log_posterior(x)
        return np.where(np.isfinite(lp), -lp, 1e100)

    return f


def _polish(f: Callable[[np.ndarray], np.ndarray], u0: np.ndarray, *, maxiter: int = 200,
            ) -> tuple[np.ndarray, float, str]:
    """L-BFGS-B from ``u0`` inside the cube, with central-difference gradients computed as one
    batch of ``2d`` runs."""
    d = u0.size
    h = 1e-6

    def fun_and_grad(u: np.ndarray) -> tuple[float, np.ndarray]:
        plus = np.clip(u + h * np.eye(d), 0.0, 1.0)
        minus = np.clip(u - h * np.eye(d), 0.0, 1.0)
        values = f(np.vstack([u[None, :], plus, minus]))
        step = np.diag(plus - minus)
        grad = np.where(step > 0, (values[1 : d + 1] - values[d + 1 :]) / np.where(step > 0, step, 1), 0.0)
        return float(values[0]), grad

    res = _optimize.minimize(fun_and_grad, u0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * d,
                   options={"maxiter": maxiter})
    return np.asarray(res.x), float(res.fun), str(res.message)


def run_optimize(
    spec: CalibrationSpec,
    *,
    seed: int,
    popsize: int = 15,
    maxiter: int = 300,
    tol: float = 1e-6,
    polish: bool = True,
    advance: Advance | None = None,
) -> FitResult:
    """Maximum a posteriori by differential evolution (``vectorized=True``), then L-BFGS-B.

    Parameters
    ----------
    spec
        The calibration.
    seed
        Seed of the initial population and the mutations.
    popsize
        Population size per calibrated quantity (scipy's ``popsize``).
    maxiter
        Generations at most.
    tol
        Relative convergence tolerance of the population's energies (scipy's ``tol``).
    polish
        Refine the best member with L-BFGS-B.
    advance
        Called with 1 after each generation (a progress bar).
    """
    ev = Evaluator(spec)
    f = _objective(ev)
    d = spec.ndim

    def vectorised(u: np.ndarray) -> np.ndarray:  # scipy passes (d, S)
        return f(np.asarray(u).T)

    def callback(intermediate_result: Any) -> None:
        if advance is not None:
            advance(1)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*differential_evolution: the 'workers'.*")
        res = _optimize.differential_evolution(
            vectorised, [(0.0, 1.0)] * d, popsize=popsize, maxiter=maxiter, tol=tol,
            rng=np.random.default_rng(seed), polish=False, vectorized=True,
            updating="deferred", callback=callback, init="sobol" if _is_pow2(popsize * d) else
            "latinhypercube",
        )
    u_best, message = np.asarray(res.x), str(res.message)
    if polish:
        u_pol, f_pol, msg = _polish(f, u_best)
        if f_pol <= float(res.fun):
            u_best, message = u_pol, f"{message}; polished: {msg}"
    x = spec.transform(_unit_clip(u_best[None, :]))
    ll = ev.log_likelihood(x)
    lp = spec.log_prior(x)
    if not np.isfinite(ll[0]):
        raise CalibrationError(
            "the optimiser found no parameter set for which the model's simulation is defined "
            "(every run gave NaN, infinite or, under a log-normal error, non-positive values)"
        )
    return FitResult(
        method="optimize", draws=x, log_likelihood=ll, log_prior=lp,
        walker=np.array([-1]), step=np.array([-1]), best=x[0], seed=seed,
        settings={"popsize": popsize, "maxiter": maxiter, "tol": tol, "polish": int(polish),
                  "generations": int(res.nit)},
        message=message, runs=ev.runs,
    )


def _is_pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


def _diagnostics(chain: np.ndarray, acceptance: float, names: tuple[str, ...]) -> Diagnostics:
    """Diagnostics of a kept chain ``(steps, walkers, d)``."""
    steps, walkers, d = chain.shape
    per_walker = np.transpose(chain, (1, 0, 2))  # (chain=walker, draw, d)
    ess_bulk = np.array([float(arviz.ess(per_walker[:, :, j], method="bulk")) for j in range(d)])
    ess_tail = np.array([float(arviz.ess(per_walker[:, :, j], method="tail")) for j in range(d)])
    groups = min(R_HAT_GROUPS, walkers)
    usable = walkers - walkers % groups
    # each group's draws in time order (step, then walker), so split-R-hat sees drift in time
    grouped = chain[:, :usable, :].reshape(steps, groups, usable // groups, d)
    grouped = np.transpose(grouped, (1, 0, 2, 3)).reshape(groups, steps * (usable // groups), d)
    r_hat = np.array([float(arviz.rhat(grouped[:, :, j])) for j in range(d)])
    # tol=0: the length check is ours (below), so emcee need not log its own
    tau = (np.asarray(emcee.autocorr.integrated_time(chain, tol=0), dtype=float)
           if steps >= 8 else np.full(d, np.nan))
    problems = []
    bad = [names[j] for j in range(d) if not r_hat[j] < R_HAT_MAX]
    if bad:
        problems.append(f"R-hat above {R_HAT_MAX} for {', '.join(bad)}")
    low = [names[j] for j in range(d) if not ess_bulk[j] >= ESS_MIN]
    if low:
        problems.append(f"effective sample size below {ESS_MIN:g} for {', '.join(low)}")
    worst = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else math.nan
    if not (math.isfinite(worst) and steps >= TAU_FACTOR * worst):
        problems.append(
            f"{steps} kept steps are fewer than {TAU_FACTOR:g} autocorrelation times "
            f"({worst:.1f} steps): run more steps"
        )
    return Diagnostics(ess_bulk=ess_bulk, ess_tail=ess_tail, r_hat=r_hat, autocorr_time=tau,
                       acceptance=acceptance, kept_steps=steps, problems=tuple(problems))


def run_mcmc(
    spec: CalibrationSpec,
    *,
    seed: int,
    walkers: int = 32,
    steps: int = 2000,
    burn: int | None = None,
    thin: int = 1,
    init: str = "optimum",
    moves: str = "stretch",
    advance: Advance | None = None,
) -> FitResult:
    """Sample the posterior with emcee's affine-invariant ensemble sampler (vectorised).

    The walkers move in logit space of the unit cube (``z = log(u / (1 - u))``, with the
    Jacobian ``u (1 - u)`` in the target), so a parameter pressed against a bound of its prior
    meets no wall at which proposals are rejected.

    Parameters
    ----------
    spec
        The calibration.
    seed
        Seed of the initial ensemble and of the sampler's moves.
    walkers
        Number of walkers (at least twice the number of calibrated quantities).
    steps
        Steps per walker.
    burn
        Steps discarded at the start (default: half of ``steps``).
    thin
        Keep every ``thin``-th step after burn-in.
    init
        ``"optimum"``: start in a small ball around the maximum a posteriori found by a short
        differential evolution; ``"prior"``: start from prior draws.
    moves
        ``"stretch"`` (emcee's default affine-invariant stretch move) or ``"de"`` (differential
        evolution moves with 10% snooker moves, ter Braak and Vrugt 2008, which often mix
        faster in a dozen or more dimensions).
    advance
        Called with 1 after each step (a progress bar).
    """
    d = spec.ndim
    if walkers < 2 * d or walkers % 2:
        raise CalibrationError(
            f"--walkers {walkers}: the ensemble sampler needs an even number of walkers, at least "
            f"twice the {d} calibrated quantities ({2 * d})"
        )
    if steps < 2:
        raise CalibrationError(f"--steps {steps}: need at least 2 steps")
    burn = steps // 2 if burn is None else int(burn)
    if not 0 <= burn < steps:
        raise CalibrationError(f"burn-in {burn} must lie between 0 and steps - 1 ({steps - 1})")
    if thin < 1:
        raise CalibrationError(f"thin must be at least 1, got {thin}")
    if init not in ("optimum", "prior"):
        raise CalibrationError(f"init must be 'optimum' or 'prior', got {init!r}")
    if moves not in MOVES:
        raise CalibrationError(f"moves must be one of {', '.join(MOVES)}, got {moves!r}")
    ev = Evaluator(spec)
    rng = np.random.default_rng(seed)
    if init == "optimum":
        start = run_optimize(spec, seed=seed, popsize=8, maxiter=60, tol=1e-3, polish=True)
        u0 = _to_unit(spec, start.best)
        p0 = _unit_clip(u0 + 1e-3 * rng.standard_normal((walkers, d)))
    else:
        p0 = _unit_clip(rng.random((walkers, d)))

    def log_prob(z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(z)
        u = special.expit(z)
        out = np.full(z.shape[0], -np.inf)
        # the Jacobian of u = expit(z): log u + log(1 - u), summed over the parameters
        jacobian = np.sum(-np.logaddexp(0.0, -z) - np.logaddexp(0.0, z), axis=1)
        inside = np.all((u > _EDGE) & (u < 1.0 - _EDGE), axis=1) & np.isfinite(jacobian)
        if inside.any():
            out[inside] = ev.log_likelihood(spec.transform(u[inside])) + jacobian[inside]
        return out

    chosen = ([(emcee.moves.DEMove(), 0.9), (emcee.moves.DESnookerMove(), 0.1)]
              if moves == "de" else None)
    sampler = emcee.EnsembleSampler(walkers, d, log_prob, vectorize=True, moves=chosen)
    sampler.random_state = np.random.RandomState(seed % 2**32).get_state()
    for _ in sampler.sample(special.logit(p0), iterations=steps):
        if advance is not None:
            advance(1)
    kept_unit = special.expit(sampler.get_chain(discard=burn))  # (steps, walkers, d)
    x_chain = spec.transform(kept_unit.reshape(-1, d)).reshape(kept_unit.shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # a short or stuck chain has zero variance somewhere: the diagnostics say so as NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        diag = _diagnostics(x_chain, float(np.mean(sampler.acceptance_fraction)),
                            spec.parameter_names)
    thinned = x_chain[::thin]
    n_steps = thinned.shape[0]
    draws = thinned.reshape(-1, d)
    logprior = spec.log_prior(draws)
    loglik = _loglik_of(sampler, burn, thin, kept_unit)
    step = np.repeat(np.arange(burn, steps)[::thin], walkers)
    walker = np.tile(np.arange(walkers), n_steps)
    post = loglik + logprior
    best = draws[int(np.argmax(post))]
    message = "converged" if diag.converged else "not converged: " + "; ".join(diag.problems)
    if not diag.converged:
        warnings.warn(f"MCMC {message}", CalibrationWarning, stacklevel=3)
    return FitResult(
        method="mcmc", draws=draws, log_likelihood=loglik, log_prior=logprior, walker=walker,
        step=step, best=best, seed=seed,
        settings={"walkers": walkers, "steps": steps, "burn": burn, "thin": thin, "init": init,
                  "moves": moves, "space": "logit", "sampler_evaluations": walkers * steps},
        diagnostics=diag, message=message, runs=ev.runs,
    )


def _loglik_of(sampler: Any, burn: int, thin: int, kept_unit: np.ndarray) -> np.ndarray:
    """The log-likelihood of the kept draws: the sampler's log target minus the Jacobian."""
    target = sampler.get_log_prob(discard=burn)[::thin]
    u = kept_unit[::thin]
    jacobian = np.sum(np.log(u) + np.log1p(-u), axis=2)
    return (target - jacobian).reshape(-1)


def _to_unit(spec: CalibrationSpec, x: np.ndarray) -> np.ndarray:
    """The unit-cube point of parameter values ``x`` (the priors' CDFs)."""
    u = np.empty(spec.ndim)
    for j, dist in enumerate(spec.distributions):
        u[j] = float(frozen_distribution(dist).cdf(x[j]))
    for j, s in enumerate(spec.estimated_scales):
        lo, hi = (math.log(b) for b in s.scale_bounds)
        u[spec.n_model + j] = (math.log(x[spec.n_model + j]) - lo) / (hi - lo)
    return _unit_clip(u)
