"""Time-resolved Sobol indices for the dashboard, run in chunks.

Uses :mod:`sdmodels.sensitivity` (its Saltelli design and its one builder of Sobol Datasets,
:func:`~sdmodels.sensitivity.sobol_dataset`);
running the design chunk by chunk lets the dashboard hold its engine lock per chunk and
report progress.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import xarray as xr

from sdmodels.montecarlo import run_design
from sdmodels.sensitivity import sobol_dataset, sobol_design

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["sobol_over_time"]


def sobol_over_time(
    model: Model,
    spec: Any,
    *,
    outputs: Sequence[str],
    n: int,
    engine: str,
    scenario: Scenario | None = None,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    lock: AbstractContextManager[Any] | None = None,
    chunks: int = 10,
    num_resamples: int = 50,
) -> xr.Dataset:
    """First-order and total Sobol indices of ``outputs`` at every saved time.

    Parameters
    ----------
    model
        The model.
    spec
        An :class:`~sdmodels.uncertainty.UncertaintySpec` (correlations, if any, are ignored:
        Sobol indices assume independent inputs).
    outputs
        Python names of scalar outputs.
    n
        Base sample size, a power of 2; the model runs ``n * (k + 2)`` times for ``k`` inputs.
    engine
        The engine to run the model with.
    scenario
        The scenario the samples start from.
    seed
        Seed of the design and the bootstrap.
    progress
        Called with the share of runs done after each chunk.
    lock
        Held around each chunk of runs.
    chunks
        Number of chunks the runs are split into.
    num_resamples
        Bootstrap resamples of the confidence intervals.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` with dims ``output``, ``parameter``, ``time``
        and a ``parameter_name`` coordinate (Vensim names).
    """
    design, rng = sobol_design(spec, int(n), seed=seed)
    total = design.sizes["sample"]
    size = max(1, -(-total // max(1, chunks)))
    parts = []
    for lo in range(0, total, size):
        part = design.isel(sample=slice(lo, lo + size))
        with lock if lock is not None else nullcontext():
            parts.append(run_design(model, part, scenario=scenario, outputs=list(outputs),
                                    engine=engine, chunk_size=part.sizes["sample"]))
        if progress is not None:
            progress(min(total, lo + size) / total)
    runs = xr.concat(parts, dim="sample", join="exact") if len(parts) > 1 else parts[0]
    out = sobol_dataset(runs, spec, outputs=list(outputs), rng=rng, num_resamples=num_resamples)
    out.attrs = {"n": int(n), "runs": int(total), "seed": seed,
                 "method": "Saltelli design, SALib estimators",
                 "correlations_ignored": int(getattr(spec, "correlation", None) is not None)}
    return out
