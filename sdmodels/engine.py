"""One entry point to run a model: ``engine="compiled" | "pysd" | "auto"``.

PySD runs one scenario at a time and is the reference semantics; the compiled engine
(:mod:`sdmodels.compiler`) integrates a batch of samples at once. ``"auto"`` uses the compiled engine
wherever the model is supported and falls back to PySD, with one warning saying why, where it is not.
Both return Datasets following :mod:`sdmodels.results`. Batches run through the batch core
(:mod:`sdmodels.batch`).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import xarray as xr

from sdmodels._common import DEFAULT_ENGINE, Engine, renamed_option
from sdmodels._diagnose import non_finite_report
from sdmodels.batch import (
    choose_engine,
    keep_years,
    progress_bar,
    resolve_columns,
    resolve_params,
    run_compiled,
    run_pysd,
    stack_runs,
)
from sdmodels.batch import run_batch as run_chunked
from sdmodels.errors import NumericalWarning, SDModelsError
from sdmodels.results import annotate, describe_value, provenance
from sdmodels.scenarios import common_horizon

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["choose_engine", "progress_bar", "resolve_params", "run_batch", "run_scenarios"]


def run_scenarios(
    model: Model,
    scenario: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = DEFAULT_ENGINE,
    allow_out_of_range: bool | Iterable[str] = False,
    progress: bool = False,
    return_columns: Sequence[str] | None = None,
) -> xr.Dataset:
    """Run one scenario or a list of them; see :meth:`sdmodels.Model.run`."""
    outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                             where="run_scenarios")
    many = isinstance(scenario, list | tuple)
    scenarios = [model.scenario(s) for s in (scenario if many else [scenario])]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise SDModelsError(f"scenario names must be unique, got {names}")
    columns = resolve_columns(model, outputs, context="outputs")
    resolved = [resolve_params(model, s, params, allow_out_of_range) for s in scenarios]
    common_horizon(model, scenarios, resolved)  # one time axis for all, or a clear error
    chosen = choose_engine(model, engine, runs=len(scenarios))
    results = []
    with progress_bar(progress and len(scenarios) > 1, len(scenarios), "scenarios") as advance:
        for merged in resolved:
            if chosen == "compiled":
                results.append(run_compiled(model.compiled(), merged, columns))
            else:
                results.append(run_pysd(model, merged, columns))
            advance()
    definitions = {s.name: s.to_dict() for s in scenarios}
    if many:
        ds = stack_runs(results, "scenario", names)
    else:
        ds = results[0].assign_coords(scenario=names[0])
    report = non_finite_report(ds, {py: v.name for py, v in model.variables.items()})
    if report is not None:
        warnings.warn(
            f"{model.path.name}: the run produced inf or NaN (a division by zero or an overflow), "
            f"first at {report}; check the divisors and exponents of that element",
            NumericalWarning, stacklevel=3,
        )
    ds.attrs = provenance(
        model,
        engine=chosen,
        scenarios=json.dumps(definitions, sort_keys=True),
        params=json.dumps({k: describe_value(v) for k, v in (params or {}).items()},
                          sort_keys=True),
    )
    return keep_years(annotate(ds, model), years)


def run_batch(
    model: Model,
    params: Mapping[str, Any],
    *,
    scenario: Any = None,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = DEFAULT_ENGINE,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = False,
    chunk_size: int | None = None,
    allow_out_of_range: bool | Iterable[str] = False,
    return_columns: Sequence[str] | None = None,
) -> xr.Dataset:
    """Run a batch of samples; see :meth:`sdmodels.Model.run_batch`.

    Every batch runs chunk by chunk through :func:`sdmodels.batch.run_batch`: in this process and
    into memory by default, in threads or on a dask cluster with ``scheduler``, into a zarr or
    netCDF store with ``out``. The values are the same in every case.
    """
    outputs = renamed_option(outputs, return_columns, old="return_columns", new="outputs",
                             where="run_batch")
    return run_chunked(model, params, scenario=scenario, outputs=outputs, years=years,
                       engine=engine, scheduler=scheduler, out=out, resume=resume,
                       progress=progress, chunk_size=chunk_size,
                       allow_out_of_range=allow_out_of_range)
