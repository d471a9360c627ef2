"""Results every dashboard session shares, cached with :func:`panel.cache` (bounded).

A :class:`~sdmodels.model.Model` is never modified after loading, so its runs under fixed
settings are the same for every user: the engine choice, the baseline run (per starting point),
the uncertainty file, the Monte Carlo design and the baseline's Monte Carlo, the Sobol indices.
Models are hashed by their file checksum, so two loads of one file share entries. Each cached
function is called under its own lock, so that sessions asking for the same result at once
compute it only once (the second waits and reads the cache).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import panel as pn
import xarray as xr

from sdmodels._paths import cache_dir, file_sha256
from sdmodels.calibration import CalibrationError, default_posterior, posterior_design
from sdmodels.dashboard._sobol import sobol_over_time
from sdmodels.dashboard.reference import write_reference
from sdmodels.dashboard.scenario_files import scenario_from_toml
from sdmodels.engine import choose_engine
from sdmodels.loops import check_loops
from sdmodels.model import Model
from sdmodels.montecarlo import run_design
from sdmodels.results import write_dataset
from sdmodels.uncertainty import load_uncertainty

__all__ = ["COMPUTE_LOCK", "clear_shared_cache", "shared"]

#: One simulation at a time: the compiled kernel runs its own threads over samples.
COMPUTE_LOCK = threading.Lock()

F = TypeVar("F", bound=Callable[..., Any])
_CACHED: list[Any] = []


def _model_hash(model: Model) -> bytes:
    return model.hash.encode()


def shared(max_items: int) -> Callable[[F], F]:
    """:func:`panel.cache` with at most ``max_items`` entries (least recently used dropped),
    models hashed by file checksum, one call at a time per function."""

    def decorate(func: F) -> F:
        cached = pn.cache(func, max_items=max_items, policy="LRU",
                          hash_funcs={Model: _model_hash})
        lock = threading.RLock()

        @wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return cached(*args, **kwargs)

        call.clear = cached.clear  # type: ignore[attr-defined]
        _CACHED.append(call)
        return call  # type: ignore[return-value]

    return decorate


def clear_shared_cache() -> None:
    """Forget the results shared between sessions (for tests and model reloads)."""
    for func in _CACHED:
        func.clear()


@shared(max_items=16)
def engine_for(model: Model, engine: str) -> str:
    """The engine used for ``engine`` (``auto``: compiled where supported, else PySD)."""

    if engine == "pysd":
        return "pysd"
    try:
        return choose_engine(model, engine)
    except ImportError:
        if engine == "compiled":
            raise
        return "pysd"


def run_scenarios(model: Model, scenarios: list[Any], engine: str,
                  outputs: tuple[str, ...]) -> xr.Dataset:
    """Deterministic runs (not cached: the settings are one user's)."""
    with COMPUTE_LOCK:
        return model.run(scenarios if len(scenarios) > 1 else scenarios[0], engine=engine,
                         outputs=list(outputs))


@shared(max_items=32)
def baseline_run(model: Model, engine: str, scenario_toml: str,
                 outputs: tuple[str, ...]) -> xr.Dataset:
    """The baseline run under one starting point (the scenario given as its TOML text)."""

    return run_scenarios(model, [scenario_from_toml(scenario_toml, name="baseline")], engine,
                         outputs)


@shared(max_items=8)
def uncertainty_spec(model: Model, path: str) -> Any:
    """The model's uncertainty file, loaded and checked against the model."""

    return load_uncertainty(Path(path), model)


@shared(max_items=8)
def mc_design(model: Model, path: str, n: int, seed: int, source: str = "prior") -> xr.DataArray:
    """A Latin hypercube of ``n`` samples of the uncertainty file (``source="prior"``), or
    with the calibrated parameters drawn jointly from the model's default posterior
    (``"posterior"``; the others kept from the hypercube).

    Raises
    ------
    CalibrationError
        ``"posterior"`` and the model declares none, or it was fitted to another version of the
        model file (the message says how to re-fit).
    """
    prior = uncertainty_spec(model, path).sample(n, method="lhs", seed=seed)
    if source == "prior":
        return prior

    posterior = default_posterior(model, missing="raise")
    if posterior is None:

        raise CalibrationError(f"{model.path.name} declares no calibrated posterior (key "
                               "`posterior` of its metadata file): use the prior")
    return posterior_design(posterior, n, seed=seed, design=prior, model=model)


def run_design_now(model: Model, design: xr.DataArray, scenario: Any, engine: str,
                   outputs: tuple[str, ...]) -> xr.Dataset:
    """Runs of every sample of ``design`` under ``scenario`` (not cached)."""

    with COMPUTE_LOCK:
        return run_design(model, design, scenario=scenario, outputs=list(outputs),
                          engine=engine, chunk_size=design.sizes["sample"])


@shared(max_items=8)
def mc_baseline(model: Model, engine: str, path: str, n: int, seed: int, scenario_toml: str,
                outputs: tuple[str, ...], source: str = "prior") -> xr.Dataset:
    """The baseline's Monte Carlo runs under one starting point."""

    return run_design_now(model, mc_design(model, path, n, seed, source),
                          scenario_from_toml(scenario_toml, name="baseline"), engine, outputs)


def _sobol_cache_path(model: Model, path: str, engine: str, n: int, seed: int,
                      outputs: tuple[str, ...]) -> Path:

    key = hashlib.sha256("|".join([
        model.hash, file_sha256(Path(path)), engine, str(n), str(seed), ",".join(outputs),
    ]).encode()).hexdigest()[:24]
    return cache_dir("dashboard") / f"sobol-{model.name}-{key}.nc"


@shared(max_items=4)
def sobol_indices(model: Model, engine: str, path: str, n: int, seed: int,
                  scenario_toml: str, outputs: tuple[str, ...]) -> xr.Dataset:
    """Sobol indices of ``outputs`` over time around the baseline; kept on disk too."""

    file = _sobol_cache_path(model, path, engine, n, seed, outputs)
    if file.is_file():
        try:
            return xr.load_dataset(file)
        except (OSError, ValueError):
            file.unlink(missing_ok=True)  # unreadable: compute again
    result = sobol_over_time(model, uncertainty_spec(model, path), outputs=list(outputs), n=n,
                             engine=engine,
                             scenario=scenario_from_toml(scenario_toml, name="baseline"),
                             seed=seed, lock=COMPUTE_LOCK)
    try:
        write_dataset(result, file)
    except OSError:
        pass  # a read-only cache only costs a recomputation next time
    return result


@shared(max_items=4)
def loop_checks(model: Model) -> list[Any]:
    """The model's declared feedback loops, checked against its equations (sdmodels.loops;
    PySD copies of the model evaluated a few hundred times: not under the compute lock, so that
    they never hold up a session's runs)."""
    return check_loops(model)


@shared(max_items=4)
def reference_folder(model: Model) -> Path:
    """The model's reference pages (sdmodels.dashboard.reference), written once per model file."""

    return write_reference(model, cache_dir("dashboard", f"docs-{model.name}-{model.hash[:16]}"))
