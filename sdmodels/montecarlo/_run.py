"""Monte Carlo orchestration: one design, every scenario, summaries and streaming to disk."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import DEFAULT_ENGINE, Engine, check_positive_int
from sdmodels._diagnose import check_memory
from sdmodels._lock import releases_outputs
from sdmodels.batch import (
    STORE_ATTRS,
    open_result,
    progress_bar,
    resolve_outputs,
    run_design,
    session,
)
from sdmodels.calibration import default_posterior, posterior_design
from sdmodels.errors import SDModelsError
from sdmodels.montecarlo._parts import Parts
from sdmodels.montecarlo._summaries import (
    DEFAULT_QUANTILES,
    check_levels,
    prob_better_than,
    quantiles_over_samples,
)
from sdmodels.results import file_provenance as _file_provenance
from sdmodels.results import write_dataset
from sdmodels.scenarios import common_horizon
from sdmodels.uncertainty import (
    SamplingMethod,
    Seed,
    UncertaintySpec,
    as_uncertainty,
    resolve_seed,
)

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = ["run_mc"]


@dataclass(frozen=True)
class _Setup:
    """A Monte Carlo's inputs, checked: outputs, scenarios (reference first), levels, signs."""

    outputs: list[str]
    scenarios: list[Scenario]
    names: list[str]
    reference: str
    order: list[int]
    levels: list[float]
    signs: dict[str, int] = field(default_factory=dict)


def _setup(model: Model, spec: UncertaintySpec | None, n: Any, *, scenarios: Any, outputs: Any,
           reference: str | None, quantile_levels: Sequence[float], out: Any,
           resume: bool, posterior: Any) -> _Setup:
    check_positive_int(n, "n")
    if spec is None and posterior is None:
        raise SDModelsError("give an uncertainty specification, a posterior, or both")
    if spec is not None and spec.model_hash and spec.model_hash != model.hash:
        raise SDModelsError(
            f"the uncertainty specification was validated against another model file "
            f"({spec.model_name}); load it again with this model"
        )
    if resume and out is None:
        raise SDModelsError("resume=True continues a run written to a file: give its path as out=")
    levels = check_levels(quantile_levels)
    out_names = resolve_outputs(model, outputs)
    resolved = [model.scenario(s) for s in (list(scenarios) if scenarios else [None])]
    names = [s.name for s in resolved]
    if len(set(names)) != len(names):
        raise SDModelsError(f"scenario names must be unique, got {names}")
    # one time axis for all scenarios, or a clear error before anything runs or is written
    common_horizon(model, resolved, [dict(s.to_params(model)) for s in resolved])
    ref = reference or ("baseline" if "baseline" in names else names[0])
    if ref not in names:
        raise SDModelsError(f"reference scenario {ref!r} is not among the scenarios run: {names}")
    order = [names.index(ref)] + [i for i in range(len(names)) if names[i] != ref]
    signs = {o: d for o in out_names if (d := model.better_direction(o)) is not None}
    return _Setup(out_names, resolved, names, ref, order, levels, signs)


def _check_size(model: Model, spec: UncertaintySpec | None, n: int, *, n_scenarios: int,
                n_outputs: int, in_memory: bool) -> None:
    """Refuse an ``n`` whose design (or in-memory samples) cannot fit, before drawing anything.

    The design is held in memory whatever the output, so when it alone is too large only a
    smaller ``n`` (or several runs with other seeds) helps; streaming helps with the samples.
    """
    k = max(len(spec.parameters) if spec is not None else 1, 1)
    # the sampler holds the unit design and the scaled one at once
    design = 2.0 * n * k * 8
    check_memory(design, what=f"n = {n:,}: the design ({n:,} samples x {k} parameters x 8 "
                 "bytes, twice; held in memory whatever the output)",
                 fix="use a smaller n, or run the samples in several runs with different seeds")
    if in_memory:
        c = model.controls
        saveper = float(c["saveper"].value or c["time_step"].value or 1.0)
        t = int((float(c["final_time"].value) - float(c["initial_time"].value)) / saveper) + 1
        check_memory(design + float(n) * n_scenarios * n_outputs * t * 8,
                     what=f"n = {n:,}: the design and the samples kept in memory ({n_scenarios} "
                     f"scenario(s) x {n_outputs} outputs x {t} times)",
                     fix="stream the samples to a file (--out x.zarr, or out= in Python), keep "
                     "only quantiles (--quantiles-only), or use a smaller n")


def _design(model: Model, spec: UncertaintySpec | None, posterior: Any, n: int, method: str,
            seed: Seed) -> xr.DataArray:
    """The uncertainty file's design, with posterior draws in place of the calibrated columns."""
    base = spec.sample(n, method=method, seed=seed) if spec is not None else None
    if isinstance(posterior, str) and posterior == "default":
        posterior = default_posterior(model, missing="raise")
    if posterior is None:
        return base
    recorded = base.attrs["seed"] if base is not None else resolve_seed(seed)[1]
    rng = np.random.default_rng([int(recorded), 1]) if isinstance(recorded, int) else seed
    design = posterior_design(posterior, n, seed=rng, design=base, model=model)
    design.attrs["seed"] = recorded if recorded is not None else "unrecorded"
    return design


def _attrs(first: Mapping[str, Any], setup: _Setup, spec: UncertaintySpec | None,
           design: xr.DataArray, *, n: int, method: str, quantiles_only: bool) -> dict[str, Any]:
    attrs = {k: v for k, v in first.items() if k not in ("scenario", *STORE_ATTRS)}
    attrs.update(
        analysis="monte_carlo",
        scenarios=json.dumps({s.name: s.to_dict() for s in setup.scenarios}, sort_keys=True),
        reference_scenario=setup.reference,
        n_samples=int(n),
        sampler=design.attrs.get("sampler", method),
        seed=design.attrs["seed"],
        uncertainty=spec.to_json() if spec is not None else "",
        **_file_provenance("uncertainty_file", spec.path if spec is not None else None),
        common_random_numbers=1,
        quantiles_only=int(bool(quantiles_only)),
    )
    if "posterior_file" in design.attrs:
        attrs.update(posterior_file=Path(design.attrs["posterior_file"]).name,
                     posterior_sha256=design.attrs["posterior_sha256"])
    return attrs


def _prob_better(better: Mapping[str, xr.Dataset], setup: _Setup) -> xr.DataArray:
    pb = xr.concat([better[s] for s in setup.names], dim=pd.Index(setup.names, name="scenario"),
                   join="exact")
    da = pb.to_array("output").transpose("output", "scenario", "time")
    da.attrs = {
        "long_name": f"share of samples in which the scenario is better than {setup.reference!r}",
        "direction": json.dumps(setup.signs),
    }
    return da


def _design_params(design: xr.DataArray, params: Mapping[str, Any] | None,
                   model: Model) -> dict[str, Any]:
    """Fixed overrides for every sample, refused where they would hide an uncertain value."""
    fixed = dict(params or {})
    uncertain = {str(p) for p in design["parameter"].values}
    clash = sorted(p for p in fixed if model.resolve_parameter(p, context="params") in uncertain)
    if clash:
        raise SDModelsError(
            f"{clash} are uncertain parameters of the specification: leave them out of params, "
            "or out of the uncertainty file"
        )
    return fixed


def _combine(per_scenario: Mapping[str, xr.Dataset], setup: _Setup,
             extra: Mapping[str, xr.DataArray], attrs: dict[str, Any]) -> xr.Dataset:
    result = xr.concat([per_scenario[s] for s in setup.names],
                       dim=pd.Index(setup.names, name="scenario"), join="exact")
    for key, value in extra.items():
        result[key] = value
    result.attrs = attrs
    for var in setup.outputs:
        result[var].attrs = dict(per_scenario[setup.names[0]][var].attrs)
    return result


@releases_outputs
def run_mc(
    model: Model,
    spec: UncertaintySpec | str | os.PathLike[str] | None,
    *,
    n: int,
    scenarios: Sequence[str | Scenario] | None = None,
    params: Mapping[str, Any] | None = None,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | str | None = None,
    engine: Engine = DEFAULT_ENGINE,
    scheduler: Any = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    seed: Seed = None,
    progress: bool = False,
    method: SamplingMethod = "lhs",
    quantiles_only: bool = False,
    quantile_levels: Sequence[float] = DEFAULT_QUANTILES,
    reference: str | None = None,
    chunk_size: int | None = None,
    posterior: str | os.PathLike[str] | xr.Dataset | None = None,
) -> xr.Dataset:
    """Monte Carlo over an uncertainty specification, one shared design for all scenarios.

    Parameters
    ----------
    model
        The model.
    spec
        The uncertain parameters: an :class:`~sdmodels.uncertainty.UncertaintySpec` (see
        :func:`sdmodels.uncertainty.load_uncertainty`) or the path of an uncertainty file; may be
        ``None`` with ``posterior``.
    n
        Number of samples (a power of 2 for ``method="sobol"``).
    scenarios
        Scenario names, files or objects; ``None`` runs the model's defaults only.
    params
        Overrides applied to every sample under every scenario (by Vensim or Python name), as
        for :meth:`sdmodels.Model.run`; they must not be among the uncertain parameters.
    seed
        Seed of the design; ``0`` is a seed. ``None`` draws one and records it (and, with
        ``resume``, reuses the one recorded by the interrupted run).
    method
        ``"random"``, ``"lhs"`` (default) or ``"sobol"``.
    outputs
        Outputs to keep (Vensim or Python names); the model's key outputs by default.
    quantiles_only
        Keep only ``quantile_levels`` of each output (and the probabilities of beating the
        reference) instead of every sample: for large ``n``.
    quantile_levels
        Quantiles kept when ``quantiles_only``.
    years
        The saved years kept: the saved times nearest these years, ``"whole"`` (those on whole
        years) or ``"all"`` (default).
    reference
        The scenario others are compared with: ``"baseline"`` if present, else the first.
    engine
        ``"auto"`` (default: compiled where the model is supported), ``"compiled"`` or
        ``"pysd"``.
    chunk_size
        Samples per engine call (per task on a cluster).
    progress
        Show a progress bar.
    scheduler
        ``"threads:N"`` (N threads of this process), or a dask cluster: an address
        (``"tcp://host:8786"``), ``"local:N"`` or a Client (``pip install
        sdmodels[distributed]``). The values equal a serial run's.
    out
        Write the result to this ``.nc`` or ``.zarr`` path while running, so that memory does
        not grow with ``n``: each scenario's samples stream chunk by chunk into a store of its
        own (kept in the folder ``<out>.parts``), quantiles and probabilities are computed from
        those stores block by block, and the combined result is written to ``<out>.partial``,
        which becomes ``out`` only when complete. The returned Dataset then reads from ``out``
        lazily: close it (or use it in a ``with`` block) when done, so that the file is not
        left open until the garbage collector finds it. An interrupted run leaves ``out`` as
        it was.
    resume
        With ``out``: continue an interrupted run from what ``<out>.parts`` holds (finished
        scenarios and chunks are not run again). Without it, an earlier run's parts are
        discarded.
    posterior
        A calibration result (:func:`sdmodels.calibration.calibrate`): each sample is one whole
        posterior draw (correlations kept), and ``spec``'s other parameters are sampled as usual.
        ``"default"``: the model's own posterior (its metadata's ``posterior``; ``sdmodels mc``
        uses it by default). The result's attrs name the posterior file and its SHA-256.

    Returns
    -------
    xarray.Dataset
        Outputs with dims ``scenario``, ``sample``, ``time`` (or ``scenario``, ``quantile``,
        ``time`` when ``quantiles_only``); ``design`` (dims ``sample``, ``parameter``);
        ``prob_better`` (dims ``output``, ``scenario``, ``time``): the share of samples in which
        each scenario is better than the reference, for outputs with a known better
        direction. Attrs record model, engine, scenarios, sampler, seed and the
        specification.

    Raises
    ------
    SDModelsError
        Invalid options; errors of the engine (unknown outputs, out-of-range values); an
        unwritable ``out``; ``resume`` with inputs other than the interrupted run's.
    """
    if spec is not None:
        spec = as_uncertainty(spec, model)
    setup = _setup(model, spec, n, scenarios=scenarios, outputs=outputs, reference=reference,
                   quantile_levels=quantile_levels, out=out, resume=resume,
                   posterior=posterior)
    _check_size(model, spec, n, n_scenarios=len(setup.names), n_outputs=len(setup.outputs),
                in_memory=out is None and not quantiles_only)
    parts = None if out is None else Parts(out, resume=resume)
    if parts is not None:
        parts.check_resume(list(setup.names))
    design = _design(model, spec, posterior, n, method,
                     seed if parts is None else parts.seed(seed))
    fixed = _design_params(design, params, model)
    if parts is not None:
        parts.record(seed=design.attrs["seed"], scenarios=list(setup.names))
    per_scenario: dict[str, xr.Dataset] = {}  # every sample, or only quantiles
    better: dict[str, xr.Dataset] = {}
    reference_ds: xr.Dataset | None = None  # the reference's samples (it runs first)
    opened: list[xr.Dataset] = []  # stores read lazily from <out>.parts, closed when done
    try:
        with session(scheduler) as client, \
                progress_bar(progress, n * len(setup.names), "Monte Carlo runs") as advance:
            for i in setup.order:
                name = setup.names[i]
                ds = run_design(
                    model, design, scenario=setup.scenarios[i], params=fixed,
                    outputs=setup.outputs, years=years, engine=engine, chunk_size=chunk_size,
                    advance=advance, scheduler=client,
                    out=None if parts is None else parts.path(i, name), resume=resume,
                )
                opened += [ds] if parts is not None else []
                reference_ds = ds if reference_ds is None else reference_ds
                better[name] = prob_better_than(ds, reference_ds, setup.signs)
                per_scenario[name] = (quantiles_over_samples(ds, setup.levels) if quantiles_only
                                      else ds)
        attrs = _attrs(per_scenario[setup.reference].attrs, setup, spec, design, n=n, method=method,
                       quantiles_only=quantiles_only)
        extra = {"design": design}
        if setup.signs:
            extra["prob_better"] = _prob_better(better, setup)
        if parts is not None and not quantiles_only:
            # the samples stay on disk: copied store to store, never concatenated in memory
            return open_result(parts.combine(per_scenario, setup.names, extra, attrs))
        result = _combine(per_scenario, setup, extra, attrs)
    finally:
        for ds in opened:
            ds.close()
    if parts is not None:  # quantiles only: small, written at once
        write_dataset(result, parts.out)
        parts.remove()
    return result
