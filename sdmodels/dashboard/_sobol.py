"""Time-resolved Sobol indices of a model's outputs (Saltelli design, Jansen estimators).

Vectorised over time and outputs so that the dashboard can compute them in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["sobol_indices"]


def sobol_indices(
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
) -> xr.Dataset:
    """First-order and total Sobol indices of ``outputs`` at every saved time.

    Parameters
    ----------
    model
        The model.
    spec
        An :class:`~sdmodels.uncertainty.UncertaintySpec`.
    outputs
        Python names of the outputs.
    n
        Base sample size; the model runs ``n * (k + 2)`` times for ``k`` parameters.
    engine
        The engine to run the model with.
    scenario
        The scenario the samples start from.
    seed
        Seed of the scrambled Sobol sequence.
    progress
        Called with the share of runs done.
    lock
        Held around each chunk of runs (lets other work use the engine in between).
    chunks
        Number of chunks the runs are split into.

    Returns
    -------
    xarray.Dataset
        ``S1`` and ``ST`` with dims ``output``, ``parameter``, ``time``.
    """
    from SALib.sample import sobol as sobol_sample

    from sdmodels.montecarlo import run_design

    k = len(spec)
    problem = {"num_vars": k, "names": list(spec.names), "bounds": [[0.0, 1.0]] * k}
    unit = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    design = spec.design(spec.transform(unit), method="sobol", seed=seed)
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
    ds = xr.concat(parts, dim="sample", join="exact") if len(parts) > 1 else parts[0]
    s1, st = [], []
    for var in outputs:
        y = ds[var].values.reshape(n, k + 2, -1)  # rows: A, AB_1..AB_k, B
        f_a, f_b, f_ab = y[:, 0], y[:, -1], y[:, 1:-1]
        var_y = np.var(np.concatenate([f_a, f_b]), axis=0)
        safe = np.where(var_y > 0, var_y, np.nan)
        s1.append(np.mean(f_b[:, None] * (f_ab - f_a[:, None]), axis=0) / safe)
        st.append(0.5 * np.mean((f_a[:, None] - f_ab) ** 2, axis=0) / safe)
    coords = {"output": list(outputs), "parameter": list(spec.names), "time": ds["time"].values}
    dims = ("output", "parameter", "time")
    out = xr.Dataset({"S1": (dims, np.nan_to_num(np.array(s1))),
                      "ST": (dims, np.nan_to_num(np.array(st)))}, coords=coords)
    out["parameter_name"] = ("parameter", [p.name for p in spec.parameters])
    out.attrs = {"n": n, "seed": seed, "method": "Saltelli design, Jansen estimators"}
    return out
