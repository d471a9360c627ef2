"""Attribution: which of a scenario's levers produced its difference from another scenario.

The difference in an output between a scenario and the one it is compared with (``against``,
the baseline by default) is split among the *factors* that differ between them: each policy
lever (its size and start year together) and each parameter override. The split is by Shapley
values, the only split that is exact (the values add up to the total difference), symmetric (two
factors with the same effect get the same share), and gives nothing to a factor without effect.

With ``k`` factors, the value of every one of the ``2**k`` coalitions (the ``against`` scenario
with some of the factors switched to the scenario's values) is run in one batch while
``k <= 14`` and the Shapley values are computed exactly. Beyond that, random orderings of the
factors are sampled (Castro, Gómez & Tejada 2009): each ordering adds the factors one at a time,
so the values still add up to the total exactly, and each value has a standard error.

What the levers do *together* beyond the sum of their separate effects is the *interaction*:
``total - sum(alone)``, where ``alone`` is the effect of switching one factor on by itself. A
Shapley value is its factor's effect alone plus its fair share of the interactions.

With an uncertainty specification and ``n`` samples, the attribution is computed in each sample
(common random numbers: every coalition runs the same parameter sets), which gives its 5–95%
range.

Examples
--------
>>> import sdmodels
>>> m = sdmodels.load_model("tests/analysis/models/levers.mdl")
>>> ds = sdmodels.attribute(m, scenario="all_levers", outputs=["Interaction Output"])
>>> ds["shapley"].sel(output="interaction_output", time=2040).to_series().round(6).to_dict()
{'lever_a': 2.0, 'lever_b': 1.0, 'lever_c': 0.0, 'scale': 0.0}
>>> float(ds["interaction"].sel(output="interaction_output", time=2040))
2.0
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import format_number
from sdmodels.errors import ScenarioError, SDModelsError
from sdmodels.results import file_provenance, select_years
from sdmodels.uncertainty import SamplingMethod, Seed, UncertaintySpec, as_uncertainty, resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model
    from sdmodels.scenarios import Scenario

__all__ = [
    "EXACT_MAX_FACTORS",
    "Factor",
    "attribute",
    "attribution_factors",
    "attribution_table",
    "shapley_exact",
]

#: Up to this many factors, every coalition is run and the Shapley values are exact.
EXACT_MAX_FACTORS = 14

#: Quantiles of the attribution over Monte Carlo samples.
RANGE_QUANTILES: tuple[float, float, float] = (0.05, 0.5, 0.95)

ShapleyMethod = Literal["auto", "exact", "permutation"]


@dataclass(frozen=True)
class Factor:
    """One difference between two scenarios: a lever (size and start year) or a parameter.

    Attributes
    ----------
    key
        Python name of the lever's or parameter's constant, e.g. ``"improvement_investment"``.
    name
        Its Vensim name, e.g. ``"Improvement Investment"``.
    kind
        ``"lever"`` or ``"parameter"``.
    constants
        Python names of the constants it sets (a lever sets its size and its start year).
    scenario_values, against_values
        The values of those constants in the scenario and in the scenario compared with.
    """

    key: str
    name: str
    kind: Literal["lever", "parameter"]
    constants: tuple[str, ...]
    scenario_values: tuple[Any, ...]
    against_values: tuple[Any, ...]

    def describe(self) -> str:
        """The change in words: ``"0 -> 0.2 from 2025"`` for a lever, ``"1 -> 2"`` otherwise."""
        old, new = (format_number(v, compact=False) for v in (self.against_values[0], self.scenario_values[0]))
        text = f"{old} -> {new}"
        if self.kind == "lever" and len(self.constants) > 1:
            s_old, s_new = self.against_values[1], self.scenario_values[1]
            text += f" from {format_number(s_new, compact=False)}" if s_old == s_new or old == "0" else \
                f" from {format_number(s_new, compact=False)} (was {format_number(s_old, compact=False)})"
        return text


def _same(a: Any, b: Any) -> bool:
    return bool(np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float)))


def attribution_factors(
    model: Model, scenario: str | Scenario, against: str | Scenario | None = "baseline"
) -> list[Factor]:
    """The factors in which ``scenario`` differs from ``against``, in the scenario file's order.

    Every lever and parameter override of either scenario whose values differ is a factor; a
    lever's size and start year form one factor. Validates both scenarios against ``model``.

    Raises
    ------
    ScenarioError
        An invalid scenario, or a time-series override (attribution needs constants).

    Examples
    --------
    >>> import sdmodels
    >>> m = sdmodels.load_model("tests/analysis/models/levers.mdl")
    >>> [f.key for f in attribution_factors(m, "all_levers")]
    ['lever_a', 'lever_b', 'lever_c', 'scale']
    >>> attribution_factors(m, "all_levers")[0].describe()
    '0 -> 1 from 2026'
    """
    a, b = model.scenario(scenario), model.scenario(against)
    a_params, b_params = a.to_params(model), b.to_params(model)
    for sc, params in ((a, a_params), (b, b_params)):
        for py, value in params.items():
            if isinstance(value, pd.Series | xr.DataArray):
                raise ScenarioError(
                    f"scenario {sc.name!r} sets {py!r} as a time series; attribution splits "
                    "differences among constant overrides only"
                )

    def default(py: str) -> Any:
        info = model.parameters.get(py) or model.controls[py]
        return info.value

    def value_in(params: Mapping[str, Any], py: str) -> Any:
        return params[py] if py in params else default(py)

    groups: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for sc in (a, b):  # levers first (size and start year together), then the rest
        for lever in sc.levers:
            py = model.resolve_parameter(lever.name)
            start_py = model.resolve_parameter(lever.start_name)
            groups.setdefault(py, (model.parameters[py].name if py in model.parameters
                                   else lever.name, "lever", (py, start_py)))
    claimed = {c for _, _, consts in groups.values() for c in consts}
    for params in (a_params, b_params):
        for py in params:
            if py not in claimed:
                info = model.parameters.get(py) or model.controls[py]
                groups.setdefault(py, (info.name, "parameter", (py,)))
                claimed.add(py)
    factors = []
    for key, (name, kind, consts) in groups.items():
        new = tuple(value_in(a_params, c) for c in consts)
        old = tuple(value_in(b_params, c) for c in consts)
        if not all(_same(x, y) for x, y in zip(new, old, strict=True)):
            factors.append(Factor(key, name, kind, consts, new, old))  # type: ignore[arg-type]
    return factors


# ------------------------------------------------------------------ Shapley arithmetic
def _weights(k: int) -> np.ndarray:
    """Shapley weight |S|! (k-|S|-1)! / k! for every coalition size |S| = 0..k-1."""
    return np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                     for s in range(k)])


def shapley_exact(values: np.ndarray, k: int) -> np.ndarray:
    """Exact Shapley values from the values of all ``2**k`` coalitions.

    Parameters
    ----------
    values
        Array with the coalitions on the last axis, coalition ``c`` holding the factors whose
        bits are set in ``c`` (bit ``i`` is factor ``i``).
    k
        Number of factors.

    Returns
    -------
    numpy.ndarray
        The factors on the last axis (shape ``values.shape[:-1] + (k,)``).

    Examples
    --------
    >>> v = np.array([0.0, 1.0, 0.0, 3.0])   # v({}), v({A}), v({B}), v({A, B})
    >>> shapley_exact(v, 2).tolist()
    [2.0, 1.0]
    """
    if values.shape[-1] != 2**k:
        raise SDModelsError(f"need the values of all 2**{k} coalitions, got {values.shape[-1]}")
    coalitions = np.arange(2**k)
    sizes = np.array([int(c).bit_count() for c in coalitions])
    w = _weights(k)
    out = np.empty((*values.shape[:-1], k))
    for i in range(k):
        without = coalitions[(coalitions >> i) & 1 == 0]
        marginal = values[..., without | (1 << i)] - values[..., without]
        out[..., i] = marginal @ w[sizes[without]]
    return out


def _permutation_plan(k: int, permutations: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Orderings of the factors (antithetic pairs: each ordering and its reverse) and the
    coalitions they pass through, as bit masks; coalition row ``j`` of ordering ``p`` holds its
    first ``j`` factors."""
    half = (permutations + 1) // 2
    orders = np.array([rng.permutation(k) for _ in range(half)])
    orders = np.concatenate([orders, orders[:, ::-1]])[:max(permutations, 2)]
    bits = np.zeros((orders.shape[0], k + 1), dtype=np.int64)
    for j in range(k):
        bits[:, j + 1] = bits[:, j] | (np.int64(1) << orders[:, j])
    return orders, bits


# ------------------------------------------------------------------ the analysis
def attribute(
    model: Model,
    *,
    scenario: str | Scenario,
    against: str | Scenario | None = "baseline",
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | None = None,
    params: Mapping[str, Any] | None = None,
    spec: UncertaintySpec | str | os.PathLike[str] | None = None,
    n: int | None = None,
    method: SamplingMethod = "lhs",
    shapley: ShapleyMethod = "auto",
    permutations: int = 512,
    seed: Seed = None,
    engine: Literal["auto", "compiled", "pysd"] = "compiled",
    chunk_size: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
) -> xr.Dataset:
    """Split the difference between two scenarios among the scenario's levers by Shapley values.

    Parameters
    ----------
    model
        The model.
    scenario
        The scenario explained: a shipped scenario's name, a file, or a Scenario.
    against
        The scenario it is compared with (``"baseline"``; ``None`` for the model's defaults).
    outputs
        Outputs to explain (Vensim or Python names); the model's key outputs by default.
    years
        Keep only the saved times nearest these years; every saved time by default.
    params
        Overrides applied in every run (both scenarios), by Vensim or Python name.
    spec, n
        Attribute under uncertainty: ``n`` samples of the specification (an
        :class:`~sdmodels.uncertainty.UncertaintySpec` or the path of an uncertainty file), each
        coalition running the same samples; adds a ``sample`` dimension. Uncertain parameters that are also
        factors keep the scenarios' values.
    method
        The sampler of the uncertainty design: ``"lhs"`` (default), ``"random"`` or ``"sobol"``.
    shapley
        ``"exact"`` (all ``2**k`` coalitions), ``"permutation"`` (sampled orderings) or
        ``"auto"``: exact while ``k <= 14``.
    permutations
        Orderings sampled with ``shapley="permutation"``.
    seed
        Seed of the uncertainty design and of the orderings (``0`` is a seed; ``None`` draws one
        and records it).
    engine, chunk_size, scheduler, progress
        As for :meth:`sdmodels.Model.run_batch`.

    Returns
    -------
    xarray.Dataset
        Dims ``output``, ``factor``, ``time`` (plus ``sample`` under uncertainty):
        ``shapley`` (each factor's share of the difference), ``alone`` (its effect switched on
        by itself), ``total`` (scenario minus ``against``), ``interaction`` (``total`` minus
        the sum of ``alone``), ``interaction_share`` (``interaction / total``),
        ``value_scenario`` and ``value_against``; with sampled orderings ``shapley_se`` (the
        standard error of each value). Coordinates ``factor_name``, ``factor_kind`` and
        ``factor_change`` describe the factors; attrs record model, scenarios, method, number
        of runs and seed.

    Raises
    ------
    ScenarioError
        The scenarios are invalid or do not differ.
    SDModelsError
        Invalid options or unknown outputs.

    Examples
    --------
    >>> import sdmodels
    >>> m = sdmodels.load_model("tests/analysis/models/levers.mdl")
    >>> ds = sdmodels.attribute(m, scenario="all_levers", outputs=["Triple Output"], years=[2040])
    >>> ds["shapley"].sel(output="triple_output").squeeze().round(4).values.tolist()
    [0.3333, 0.3333, 0.3333, 0.0]
    """
    _check_options(shapley, spec, n, permutations)
    if spec is not None:
        spec = as_uncertainty(spec, model)
    a, b = model.scenario(scenario), model.scenario(against)
    factors = attribution_factors(model, a, b)
    if not factors:
        raise ScenarioError(
            f"scenario {a.name!r} sets the same values as {b.name!r}: there is no difference "
            "to attribute"
        )
    k = len(factors)
    exact = _use_exact(shapley, k)
    out_names = _outputs(model, outputs)
    rng, recorded_seed = resolve_seed(seed)

    # the coalitions to run, as bit masks over the factors
    if exact:
        masks = np.arange(2**k, dtype=np.int64)
        orders = bits = None
    else:
        orders, bits = _permutation_plan(k, permutations, rng)
        singles = np.int64(1) << np.arange(k, dtype=np.int64)
        masks = np.unique(np.concatenate([bits.ravel(), singles, [0]]))
    n_masks = len(masks)
    on = ((masks[:, None] >> np.arange(k)) & 1).astype(bool)  # coalition x factor

    design = None
    if spec is not None:
        design = spec.sample(int(n), method=method,
                             seed=recorded_seed if recorded_seed is not None else rng)
    n_samples = 1 if design is None else design.sizes["sample"]

    batch, fixed = _coalition_batch(model, factors, on, design, params)
    allowed = sorted(set(a.allow_out_of_range) | set(b.allow_out_of_range))
    runs = model.run_batch(batch, scenario=b, engine=engine, outputs=out_names,
                           chunk_size=chunk_size, allow_out_of_range=allowed or False,
                           progress=progress, scheduler=scheduler)
    _check_scalar(runs, out_names)
    runs = select_years(runs, years)
    times = runs["time"].values
    # values: output x sample x coalition x time
    v = np.stack([runs[o].transpose("sample", "time").values.reshape(n_samples, n_masks, -1)
                  for o in out_names])
    v = np.moveaxis(v, 2, -1)  # output x sample x time x coalition
    index = {int(m): i for i, m in enumerate(masks)}
    empty, full = index[0], index[2**k - 1]
    alone = np.stack([v[..., index[1 << i]] - v[..., empty] for i in range(k)], axis=-1)
    if exact:
        phi, se = shapley_exact(v, k), None
    else:
        phi, se = _shapley_sampled(v, index, orders, bits)  # type: ignore[arg-type]
    total = v[..., full] - v[..., empty]
    interaction = total - alone.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.abs(total) > 1e-12 * np.maximum(1.0, np.abs(v[..., empty])),
                         interaction / total, np.nan)

    dims3 = ("output", "sample", "time", "factor")
    dims2 = ("output", "sample", "time")
    data: dict[str, Any] = {
        "shapley": (dims3, phi),
        "alone": (dims3, alone),
        "total": (dims2, total),
        "interaction": (dims2, interaction),
        "interaction_share": (dims2, share),
        "value_scenario": (dims2, v[..., full]),
        "value_against": (dims2, v[..., empty]),
    }
    if se is not None:
        data["shapley_se"] = (dims3, se)
    coords: dict[str, Any] = {
        "output": out_names,
        "output_name": ("output", [runs[o].attrs.get("name", o) for o in out_names]),
        "output_units": ("output", [runs[o].attrs.get("units", "") for o in out_names]),
        "factor": [f.key for f in factors],
        "factor_name": ("factor", [f.name for f in factors]),
        "factor_kind": ("factor", [f.kind for f in factors]),
        "factor_change": ("factor", [f.describe() for f in factors]),
        "sample": np.arange(n_samples),
        "time": times,
    }
    ds = xr.Dataset(data, coords=coords)
    ds = ds.transpose("output", "factor", "sample", "time")
    if design is None:
        ds = ds.isel(sample=0, drop=True)
    else:
        ds["design"] = design
    ds["time"].attrs = dict(runs["time"].attrs)
    _describe(ds)
    attrs = dict(runs.attrs)
    for key in ("n_samples", "scenario"):
        attrs.pop(key, None)
    attrs.update(
        analysis="attribution",
        scenario=a.name,
        against=b.name,
        scenarios=json.dumps({s.name: s.to_dict() for s in (a, b)}, sort_keys=True),
        shapley_method="exact" if exact else "permutation",
        n_factors=k,
        n_coalitions=int(n_masks),
        n_runs=int(n_masks * n_samples),
        permutations=0 if exact else int(orders.shape[0]),  # type: ignore[union-attr]
        seed=recorded_seed if design is None else design.attrs["seed"],
        n_samples=0 if design is None else int(n_samples),
        fixed_by_scenario=json.dumps(fixed),
    )
    if design is not None:
        attrs.update(sampler=method, uncertainty=spec.to_json(),  # type: ignore[union-attr]
                     **file_provenance("uncertainty_file", spec.path))  # type: ignore[union-attr]
    ds.attrs = {k_: v_ for k_, v_ in attrs.items() if v_ is not None}
    return ds


def _check_options(shapley: str, spec: object, n: int | None,
                   permutations: int) -> None:
    if shapley not in ("auto", "exact", "permutation"):
        raise SDModelsError(f"shapley must be 'auto', 'exact' or 'permutation', got {shapley!r}")
    if (spec is None) != (n is None):
        raise SDModelsError("attribution under uncertainty needs both spec= and n=")
    if n is not None and n < 2:
        raise SDModelsError(f"n must be at least 2 samples, got {n}")
    if permutations < 2:
        raise SDModelsError(f"permutations must be at least 2, got {permutations}")


def _use_exact(shapley: str, k: int) -> bool:
    """Whether ``k`` factors are attributed over all coalitions (else over sampled orderings)."""
    exact = shapley == "exact" or (shapley == "auto" and k <= EXACT_MAX_FACTORS)
    if exact and k > 20:
        raise SDModelsError(
            f"{k} factors make 2**{k} coalitions: too many to run exactly; use "
            "shapley='permutation'"
        )
    if k > 62:
        raise SDModelsError(f"{k} factors: attribution handles at most 62")
    return exact


def _coalition_batch(model: Model, factors: Sequence[Factor], on: np.ndarray,
                     design: xr.DataArray | None, params: Mapping[str, Any] | None,
                     ) -> tuple[dict[str, Any], list[str]]:
    """The batch of every coalition (row ``c`` of ``on``: which factors are switched on) for
    every sample of ``design``, samples outermost; and the uncertain parameters that the
    scenarios fix (they keep the scenarios' values)."""
    n_masks = len(on)
    n_samples = 1 if design is None else design.sizes["sample"]
    batch: dict[str, Any] = {}
    for f_i, factor in enumerate(factors):
        for const, new, old in zip(factor.constants, factor.scenario_values,
                                   factor.against_values, strict=True):
            new_a, old_a = np.asarray(new, dtype=float), np.asarray(old, dtype=float)
            col = on[:, f_i].reshape((-1,) + (1,) * new_a.ndim)
            batch[const] = np.tile(np.where(col, new_a, old_a), (n_samples,) + (1,) * new_a.ndim)
    fixed: list[str] = []
    if design is not None:
        for j, p in enumerate(design["parameter"].values):
            if str(p) in batch:
                fixed.append(str(p))
                continue
            batch[str(p)] = np.repeat(design.values[:, j], n_masks)
    for name, value in (params or {}).items():
        py = model.resolve_parameter(name, context="params")
        if py in batch:
            raise SDModelsError(
                f"params sets {name!r}, which differs between the scenarios compared: change it "
                "in a scenario instead"
            )
        batch[py] = value
    return batch, fixed


def _check_scalar(runs: xr.Dataset, out_names: Sequence[str]) -> None:
    for o in out_names:
        extra = [d for d in runs[o].dims if d not in ("sample", "time")]
        if extra:
            raise SDModelsError(
                f"output {o!r} has subscript dimension(s) {extra}; attribution needs one value "
                "per time: choose a scalar output"
            )


def _shapley_sampled(v: np.ndarray, index: Mapping[int, int], orders: np.ndarray,
                     bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values over sampled orderings (coalitions on the last axis of ``v``, row
    ``index[mask]``) and their standard errors."""
    rows = np.vectorize(index.__getitem__)(bits)  # ordering x step -> coalition row
    steps = v[..., rows]  # ... x ordering x (k+1)
    marginal = np.diff(steps, axis=-1)  # ... x ordering x step
    per_factor = np.empty_like(marginal)
    np.put_along_axis(per_factor, np.broadcast_to(orders, marginal.shape), marginal, axis=-1)
    # antithetic pairs are averaged before the standard error (they are not independent)
    pairs = per_factor.shape[-2] // 2
    paired = 0.5 * (per_factor[..., :pairs, :] + per_factor[..., pairs:2 * pairs, :])
    return per_factor.mean(axis=-2), paired.std(axis=-2, ddof=1) / math.sqrt(pairs)


def _outputs(model: Model, outputs: Sequence[str] | None) -> list[str]:
    names = list(outputs) if outputs else list(model.key_outputs)
    if not names:
        raise SDModelsError(f"{model.path.name} has no key outputs; choose outputs to attribute")
    return list(dict.fromkeys(model.resolve(o, what="output") for o in names))


def _describe(ds: xr.Dataset) -> None:
    text = {
        "shapley": "Shapley value: the factor's share of the difference (scenario - against)",
        "alone": "effect of switching the factor on by itself",
        "total": "difference between the scenario and the scenario compared with",
        "interaction": "total minus the sum of the factors' separate effects",
        "interaction_share": "interaction as a share of the total difference",
        "value_scenario": "output in the scenario",
        "value_against": "output in the scenario compared with",
        "shapley_se": "standard error of the sampled Shapley value",
    }
    for var, long_name in text.items():
        if var in ds:
            ds[var].attrs["long_name"] = long_name


def attribution_table(ds: xr.Dataset, output: str, *, year: float | None = None
                      ) -> pd.DataFrame:
    """One row per factor at one year: its change, Shapley value, share and effect alone.

    Under uncertainty the values are means over the samples, with their 5% and 95% quantiles.
    Rows are ordered by the size of the Shapley value; ``attrs`` hold ``year``, ``total``,
    ``interaction`` and ``interaction_share``.

    Parameters
    ----------
    ds
        A result of :func:`attribute`.
    output
        The output's Python name (or Vensim name, as stored in ``output_name``).
    year
        The year; the last saved time by default.

    Examples
    --------
    >>> import sdmodels
    >>> m = sdmodels.load_model("tests/analysis/models/levers.mdl")
    >>> ds = sdmodels.attribute(m, scenario="all_levers", outputs=["Interaction Output"])
    >>> attribution_table(ds, "interaction_output")[["factor", "shapley", "alone"]]
        factor  shapley  alone
    0  Lever A      2.0    1.0
    1  Lever B      1.0    0.0
    2  Lever C      0.0    0.0
    3    Scale      0.0    0.0
    """
    names = [str(x) for x in ds["output_name"].values]
    if output not in ds["output"].values:
        if output not in names:
            raise SDModelsError(
                f"output {output!r} is not in this attribution; it has "
                f"{', '.join(map(str, ds['output'].values))}"
            )
        output = str(ds["output"].values[names.index(output)])
    t = float(ds["time"].values[-1]) if year is None else float(year)
    at = select_years(ds.sel(output=output), [t]).isel(time=0)
    sampled = "sample" in at.dims

    def stat(da: xr.DataArray) -> np.ndarray:
        return np.asarray(da.mean("sample") if sampled else da, dtype=float)

    total = float(stat(at["total"]))
    phi = stat(at["shapley"])
    frame = pd.DataFrame({
        "factor": at["factor_name"].values.astype(str),
        "kind": at["factor_kind"].values.astype(str),
        "change": at["factor_change"].values.astype(str),
        "shapley": phi,
        "share": phi / total if total else np.full(len(phi), np.nan),
        "alone": stat(at["alone"]),
    })
    if "shapley_se" in at:
        frame["se"] = stat(at["shapley_se"])
    if sampled:
        q = at["shapley"].quantile([RANGE_QUANTILES[0], RANGE_QUANTILES[2]], dim="sample")
        frame["p5"] = q.isel(quantile=0).values
        frame["p95"] = q.isel(quantile=1).values
    frame = frame.iloc[np.argsort(-np.abs(phi), kind="stable")].reset_index(drop=True)
    frame.attrs = {
        "output": output,
        "output_name": str(at["output_name"].values),
        "units": str(at["output_units"].values),
        "year": float(at["time"]),
        "total": total,
        "interaction": float(stat(at["interaction"])),
        "interaction_share": float(stat(at["interaction"])) / total if total else math.nan,
        "value_against": float(stat(at["value_against"])),
        "value_scenario": float(stat(at["value_scenario"])),
    }
    if sampled:
        tq = at["total"].quantile([RANGE_QUANTILES[0], RANGE_QUANTILES[2]], dim="sample")
        frame.attrs["total_p5"], frame.attrs["total_p95"] = (float(x) for x in tq.values)
    return frame
