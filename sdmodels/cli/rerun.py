"""``sdmodels rerun``: repeat a run exactly from what its result file records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from sdmodels._paths import MODELS_DIR, file_sha256
from sdmodels.attribution import attribute
from sdmodels.calibration import load_posterior, repeat_result
from sdmodels.cli._app import app, console, fail, guarded
from sdmodels.errors import SDModelsError
from sdmodels.model import load_model
from sdmodels.montecarlo import output_variables, run_mc
from sdmodels.posterior import model_fingerprint
from sdmodels.results import open_dataset, write_dataset
from sdmodels.scenarios import Lever, Scenario
from sdmodels.sensitivity import morris, sobol
from sdmodels.uncertainty import UncertaintySpec

__all__ = ["rerun", "rerun_dataset"]


def _scenarios(attrs: dict[str, Any]) -> list[Any]:
    raw = attrs.get("scenarios")
    definitions = json.loads(raw) if isinstance(raw, str) else (raw or {})
    out = []
    for name, d in definitions.items():
        out.append(Scenario(
            name=name,
            description=d.get("description", ""),
            parameters=dict(d.get("parameters", {})),
            levers=tuple(Lever(k, v["value"], v["start"]) for k, v in d.get("levers", {}).items()),
            allow_out_of_range=frozenset(d.get("allow_out_of_range", [])),
        ))
    return out


def _params(attrs: dict[str, Any]) -> dict[str, Any]:
    raw = attrs.get("params")
    params = json.loads(raw) if isinstance(raw, str) and raw else (raw or {})
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict) and "time_series" in value:
            ts = value["time_series"]
            out[key] = pd.Series(ts["value"], index=ts["time"], dtype=float)
        elif isinstance(value, str):
            raise SDModelsError(
                f"parameter {key!r} is recorded only as {value!r}; a result file written before "
                "time series were stored whole cannot be repeated exactly"
            )
        else:
            out[key] = np.asarray(value) if isinstance(value, list) else value
    return out


def _spec(attrs: dict[str, Any], model: Any) -> UncertaintySpec:
    raw = attrs.get("uncertainty")
    if not raw:
        raise SDModelsError("the file does not record its uncertainty specification")
    return UncertaintySpec.from_dict(json.loads(raw) if isinstance(raw, str) else raw, model)


def _seed(attrs: dict[str, Any]) -> int:
    seed = attrs.get("seed")
    if isinstance(seed, str) or seed is None:
        raise SDModelsError(
            f"the seed is recorded as {seed!r}: a run drawn from a generator, not a seed, cannot "
            "be repeated exactly; run it again with --seed"
        )
    return int(seed)


def _named(scenarios: list[Any], name: Any) -> Any:
    by_name = {s.name: s for s in scenarios}
    if str(name) not in by_name:
        raise SDModelsError(f"the file does not record the definition of scenario {name!r}")
    return by_name[str(name)]


def _times(original: Any) -> list[float]:
    return [float(t) for t in original["time"].values]


def _rerun_sensitivity(m: Any, original: Any, attrs: dict[str, Any], scenarios: list[Any]) -> Any:
    spec = _spec(attrs, m)
    common: dict[str, Any] = {
        "outputs": [str(o) for o in original["output"].values], "years": _times(original),
        "seed": _seed(attrs), "num_resamples": int(attrs["num_resamples"]),
        "conf_level": float(attrs["conf_level"]), "scenario": _named(scenarios, attrs["scenario"]),
        "engine": attrs.get("engine", "auto"), "params": _params(attrs) or None,
        # a specification with correlations only ran with --ignore-correlations
        "ignore_correlations": spec.correlation is not None,
    }
    if attrs["analysis"] == "sobol":
        return sobol(m, spec, n=int(attrs["base_samples"]),
                     second_order=bool(int(attrs.get("second_order", 0))), **common)
    trajectories = int(attrs["trajectories"])
    kept = int(original.sizes["sample"]) // (len(spec) + 1)  # fewer with optimal_trajectories
    return morris(m, spec, trajectories=trajectories, levels=int(attrs["levels"]),
                  optimal_trajectories=kept if kept < trajectories else None, **common)


def _rerun_attribution(m: Any, original: Any, attrs: dict[str, Any], scenarios: list[Any]) -> Any:
    n = int(attrs.get("n_samples", 0))
    return attribute(
        m, scenario=_named(scenarios, attrs["scenario"]),
        against=_named(scenarios, attrs["against"]),
        outputs=[str(o) for o in original["output"].values], years=_times(original),
        params=_params(attrs) or None, spec=_spec(attrs, m) if n else None, n=n or None,
        method=str(attrs.get("sampler", "lhs")), shapley=str(attrs["shapley_method"]),
        permutations=int(attrs.get("permutations") or 512), seed=_seed(attrs),
        engine=attrs.get("engine", "compiled"),
    )


def find_model(result: Path, attrs: dict[str, Any], model: Path | None) -> Path:
    """The model file that made ``result``: ``model``, or ``model_file`` beside the result, in
    the current folder or in the bundled models; its SHA-256 must match the recorded one (or,
    for a result that records the model's fingerprint, what it computes must be the same:
    :func:`sdmodels.posterior.model_fingerprint`)."""
    name = str(attrs.get("model_file") or "")
    if not name:
        raise SDModelsError(f"{result}: the file does not record its model (no model_file attr)")
    candidates = [model] if model is not None else [
        result.parent / name, Path.cwd() / name, MODELS_DIR / name]
    want = str(attrs.get("model_sha256") or "")
    for path in candidates:
        if path is not None and path.is_file():
            if want and file_sha256(path) != want and not _same_fingerprint(path, attrs):
                raise SDModelsError(
                    f"{path} is not the model that made {result.name}: its SHA-256 differs from "
                    f"the recorded {want[:12]}…; give the original model file with --model"
                )
            return path
    raise SDModelsError(
        f"{result}: cannot find its model {name!r} (looked beside the result, in the current "
        "folder and in the bundled models); give it with --model"
    )


def _same_fingerprint(path: Path, attrs: dict[str, Any]) -> bool:
    recorded = attrs.get("model_fingerprint")
    return bool(recorded) and model_fingerprint(load_model(path)) == recorded


def _find_posterior(result: Path, attrs: dict[str, Any], m: Any) -> Any:
    """The posterior a history result ran from: by its recorded name beside the result, in the
    current folder or as the model's declared posterior, with the recorded SHA-256."""
    name = str(attrs.get("parameters_from") or "")
    want = str(attrs.get("posterior_sha256") or "")
    declared = m.metadata.posterior
    candidates = [result.parent / name, Path.cwd() / name,
                  *([declared] if declared is not None and declared.name == name else [])]
    for path in candidates:
        if name and path.is_file() and (not want or file_sha256(path) == want):
            return load_posterior(path)
    raise SDModelsError(
        f"{result}: cannot find the posterior {name!r} it ran from with the recorded SHA-256 "
        f"{want[:12]}… (looked beside the result, in the current folder and at the model's "
        "declared posterior)"
    )


def _rerun_calibration(result: Path, original: Any, m: Any, history: bool) -> Any:
    attrs = dict(original.attrs)
    scenarios = _scenarios(attrs) if attrs.get("scenarios") else []
    method = str(attrs.get("method", ""))
    posterior = (_find_posterior(result, attrs, m) if method.startswith("history")
                 else None)
    return repeat_result(original, m, scenario=scenarios[0] if scenarios else None,
                         posterior=posterior, history=history)


def rerun_dataset(result: Path, *, model: Path | None = None,
                  history: bool = False) -> tuple[Any, Any]:
    """Run again what ``result`` records; return (original, repeated) Datasets.

    ``history``: for a calibration result, simulate its stored draws again instead of fitting
    again.
    """
    original = open_dataset(result)
    attrs = dict(original.attrs)
    m = load_model(find_model(result, attrs, model))
    analysis = attrs.get("analysis")
    if "calibration_sha256" in attrs:  # calibrate and history results
        return original, _rerun_calibration(result, original, m, history)
    if history:
        raise SDModelsError(f"{result}: --history repeats calibration results only")
    if not attrs.get("scenarios"):
        raise SDModelsError(f"{result}: the file does not record the scenarios it ran (no "
                            "'scenarios' attr): it was not written by an sdmodels run or analysis")
    scenarios = _scenarios(attrs)
    if "scenario" in original.coords and original["scenario"].ndim == 1:  # the original order
        by_name = {s.name: s for s in scenarios}
        scenarios = [by_name[str(n)] for n in original["scenario"].values if str(n) in by_name]
    if analysis in (None, "", "scenarios"):
        outputs = [str(v) for v in original.data_vars]
        repeated = m.run(scenarios if "scenario" in original.dims else scenarios[0],
                         params=_params(attrs) or None, engine=attrs.get("engine", "auto"),
                         return_columns=outputs)
        return original, repeated
    if analysis == "monte_carlo":
        raw = attrs.get("uncertainty")
        spec = UncertaintySpec.from_dict(json.loads(raw) if isinstance(raw, str) else raw, m)
        repeated = run_mc(
            m, spec, n=int(attrs["n_samples"]), scenarios=scenarios, seed=_seed(attrs),
            params=_params(attrs) or None, years=_times(original),
            method=str(attrs.get("sampler", "lhs")), outputs=output_variables(original),
            quantiles_only=bool(int(attrs.get("quantiles_only", 0))),
            engine=attrs.get("engine", "compiled"), reference=attrs.get("reference_scenario"),
        )
        return original, repeated
    if analysis in ("sobol", "morris"):
        return original, _rerun_sensitivity(m, original, attrs, scenarios)
    if analysis == "attribution":
        return original, _rerun_attribution(m, original, attrs, scenarios)
    raise SDModelsError(
        f"{result}: rerun repeats scenario runs, Monte Carlo, Sobol, Morris, attribution, "
        f"calibration and history results; this file is a {analysis!r} result (run its command "
        "again with the options its attrs record)"
    )


def _max_difference(a: Any, b: Any) -> tuple[float, str]:
    worst, where = 0.0, ""
    for name in a.data_vars:
        if name not in b.data_vars or a[name].dtype.kind != "f":
            continue
        x, y = a[name].values, b[name].transpose(*a[name].dims).values
        if x.shape != y.shape:
            return float("inf"), str(name)
        diff = np.abs(x - y)
        both_nan = np.isnan(x) & np.isnan(y)
        d = float(np.nanmax(np.where(both_nan, 0.0, diff))) if diff.size else 0.0
        if d > worst:
            worst, where = d, str(name)
    return worst, where


@app.command()
def rerun(
    result: Annotated[Path, typer.Argument(help="A result file (.nc or .zarr) of sdmodels run, mc, sobol, morris, attribute, calibrate or history.")],
    model: Annotated[Path | None, typer.Option(help="The model file, if not found by its recorded name.")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the repeated run. Default: not written.")] = None,
    history: Annotated[bool, typer.Option("--history", help="For a calibration result: simulate its stored draws again (best draw, bands, fit statistics) instead of fitting again.")] = False,
) -> None:
    """Repeat a run exactly from its result file and check that the results are the same.

    The model is found by the file name recorded in the result (beside it, in the current
    folder or in the bundled models) and must have the recorded SHA-256 (or, for a
    calibration result, compute the same: its recorded fingerprint); scenarios, parameter
    overrides (time series included), seed and sampler come from the file's attributes. A
    calibration result also records its calibration file, its data files whole and its
    method's settings, so the fit is repeated without the original files. Exit 0 if every
    value is repeated exactly, 1 if not.

    Examples:

        sdmodels rerun results/nhs_productivity.nc

        sdmodels rerun models/calibration/nhs_history_posterior.nc --history
    """
    if not result.exists():
        fail(f"result file {str(result)!r} does not exist")
    original, repeated = guarded(lambda: rerun_dataset(result, model=model, history=history))
    if out is not None:
        guarded(lambda: write_dataset(repeated, out))
    worst, where = _max_difference(original, repeated)
    if worst == 0.0:
        console.print(f"{result.name}: repeated exactly ({len(original.data_vars)} variables)")
        return
    console.print(f"{result.name}: NOT repeated exactly: largest difference {worst:g} in {where}")
    raise typer.Exit(1)
