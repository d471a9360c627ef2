"""A model's calibrated parameters: its default posterior and the point runs start from.

A calibration result (``sdmodels calibrate``, see :mod:`sdmodels.calibration`) belongs to one
version of one model: it records the model's fingerprint (:func:`model_fingerprint`: what the
model computes, so an edited comment, documentation string or sketch leaves the posterior valid)
beside the file's SHA-256. A model names its default posterior in
its metadata (``posterior = "calibration/....nc"`` in ``<model>.sdmodels.toml``); scenario runs
then start from the posterior **median** of each calibrated parameter, and Monte Carlo draws
whole posterior draws (:func:`sdmodels.calibration.posterior_design`).

The median, not the maximum a posteriori: the median of each parameter's draws is stable from
one MCMC run to the next (the best draw of a run is one point of a noisy, flat-topped posterior),
and it never sits on a bound of the prior where the highest draw often does.

This module sits below :mod:`sdmodels.model` (which uses it for ``Model.run(posterior=...)``) and
reads the file with xarray only.

>>> resolve_posterior(None, None) is None
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sdmodels.compiler._external import data_file_digest, data_files_digest
from sdmodels.errors import SDModelsError

__all__ = [
    "DEFAULT",
    "PosteriorError",
    "PosteriorPoint",
    "StalePosteriorError",
    "check_model",
    "model_fingerprint",
    "open_posterior",
    "point_under_scenarios",
    "posterior_point",
    "refit_command",
    "resolve_posterior",
]

#: The MCMC settings of the shipped NHS posterior (docs/calibration.md), used in re-fit hints.
REFIT_SETTINGS = "--walkers 64 --steps 14000 --burn 1000 --thin 20 --moves de --seed 1"
#: The word that names a model's own default posterior (its metadata's ``posterior``).
DEFAULT = "default"


class PosteriorError(SDModelsError):
    """A posterior file that is missing, unreadable or not a calibration result."""


class StalePosteriorError(PosteriorError):
    """A posterior fitted to a model that computes something else (another fingerprint)."""


@dataclass(frozen=True)
class PosteriorPoint:
    """The point a run starts from: the posterior median of each calibrated model parameter.

    Attributes
    ----------
    values
        ``{python name: median}`` of the model parameters (error scales left out).
    path
        The posterior file.
    sha256
        Its SHA-256.
    """

    values: dict[str, float]
    path: Path
    sha256: str

    def provenance(self) -> dict[str, str]:
        """Result attributes naming the posterior: file, checksum and which point was used."""
        return {"posterior_file": self.path.name, "posterior_sha256": self.sha256,
                "posterior_point": "median of the posterior draws"}


def refit_command(model: Any, posterior: Any = None) -> str:
    """The one command that fits a posterior of ``model`` again.

    With a calibration result, its recorded method, settings and seed; without one (or for a
    file that records none), the settings of the shipped NHS posterior. The calibration file is
    the model's declared one (its metadata's ``calibration``) or the one the result names.
    """
    meta = model.metadata
    attrs = dict(getattr(posterior, "attrs", {}) or {})
    named = str(attrs.get("calibration_file") or "")
    spec: Any = meta.calibration if meta.calibration is not None and (
        not named or Path(meta.calibration).name == named) else (named or "CALIBRATION.toml")
    out = attrs.get("posterior_file") or meta.posterior or "POSTERIOR.nc"
    options = (f"--method {attrs['method']} {_recorded_options(attrs)}"
               if attrs.get("method") in ("mcmc", "optimize")
               else f"--method mcmc {REFIT_SETTINGS} ")
    return f"sdmodels calibrate --spec {_shown(spec)} {options}--out {_shown(out)}"


def _recorded_options(attrs: dict[str, Any]) -> str:
    """The command-line options a calibration result records (its method's settings, seed)."""
    settings: Any = attrs.get("settings") or {}
    try:
        settings = json.loads(settings) if isinstance(settings, str) else dict(settings)
    except (ValueError, TypeError):
        settings = {}
    names = (("walkers", "steps", "burn", "thin", "init", "moves") if attrs["method"] == "mcmc"
             else ("popsize", "maxiter"))
    options = [f"--{k} {settings[k]}" for k in names if k in settings]
    if attrs.get("seed") is not None:
        options.append(f"--seed {attrs['seed']}")
    return "".join(f"{o} " for o in options)


def _shown(path: Any) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def resolve_posterior(model: Any, posterior: str | Path | None) -> Path | None:
    """The posterior file meant by ``posterior``.

    ``None``: none (the model file's own values). ``"default"``: the model's metadata's
    ``posterior`` (``None`` if it declares none). Anything else: that file.
    """
    if posterior is None:
        return None
    if isinstance(posterior, str) and posterior == DEFAULT:
        return model.metadata.posterior
    return Path(posterior)


def open_posterior(path: str | Path) -> Any:
    """Open a calibration result (an :class:`xarray.Dataset`) and record its file and SHA-256.

    Raises
    ------
    PosteriorError
        The file does not exist, cannot be read or is not a calibration result.
    """
    path = Path(path)
    if not path.is_file():
        raise PosteriorError(f"posterior file {str(path)!r} does not exist")
    try:
        ds = xr.load_dataset(path)
    except (OSError, ValueError) as exc:
        raise PosteriorError(f"cannot read posterior file {str(path)!r}: {exc}") from None
    if "posterior" not in ds or set(ds["posterior"].dims) != {"draw", "parameter"}:
        raise PosteriorError(
            f"{str(path)!r} is not a calibration result (no 'posterior' draw x parameter "
            "variable); write one with `sdmodels calibrate`"
        )
    ds.attrs.setdefault("posterior_sha256", hashlib.sha256(path.read_bytes()).hexdigest())
    ds.attrs["posterior_file"] = str(path)
    return ds


#: Fields of PySD's abstract model that do not change what a model computes: documentation
#: strings, where the file lies, and the sketch's views (by the structure that holds them).
_NOT_COMPUTED = {
    "AbstractModel": frozenset({"original_path"}),
    "AbstractSection": frozenset({"path", "split", "views_dict"}),
}
#: Fingerprints already computed, by (file SHA-256, data files' digest).
_FINGERPRINTS: dict[tuple[str, str], str] = {}


def _canonical(node: Any) -> Any:
    """A JSON-able, order-stable form of a node of PySD's abstract model.

    Numbers are written exactly and alike whether the file wrote ``1000`` or ``1e3``; units are
    compared with their spaces collapsed; elements and subscript ranges are sorted by name, so
    moving an equation to another view or place in the file changes nothing.
    """
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return " ".join(node.split()) if isinstance(node, str) else node
    if isinstance(node, int | float | np.number):
        return repr(float(node))
    if isinstance(node, np.ndarray):
        return {"array": list(node.shape), "values": [repr(float(v)) for v in node.ravel()]}
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        kind = type(node).__name__
        skip = _NOT_COMPUTED.get(kind, frozenset()) | {"documentation"}
        out: dict[str, Any] = {"@": kind}
        for f in dataclasses.fields(node):
            if f.name in skip:
                continue
            value = _canonical(getattr(node, f.name))
            if f.name in ("elements", "subscripts") and kind == "AbstractSection":
                value = sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
            out[f.name] = value
        return out
    if isinstance(node, list | tuple):
        return [_canonical(v) for v in node]
    if isinstance(node, dict):
        return {str(k): _canonical(v) for k, v in node.items()}
    if isinstance(node, Path):
        return node.name
    raise TypeError(f"cannot fingerprint a {type(node).__name__} in the model's structure")


def model_fingerprint(model: Any) -> str:
    """SHA-256 of what a model computes: its equations, constants, lookups, subscripts, units
    and ranges as PySD's translator parsed them, and the data files it reads.

    Comments, documentation strings, the sketch (views, positions) and the order of equations
    in the file are left out, so editing them keeps a posterior fitted to the model valid;
    any change to an equation, a constant, a unit or a declared range gives a new fingerprint.

    Parameters
    ----------
    model
        A :class:`sdmodels.Model`.
    """
    given = data_files_digest(getattr(model, "data_files", ()))
    key = (str(model.hash), data_file_digest(model.path), given)
    if key not in _FINGERPRINTS:
        # the data files given at load (data variables without an equation) count only when
        # there are some, so a model without them keeps the fingerprint it always had
        parts = [_canonical(model.abstract), key[1]] + ([given] if given else [])
        text = json.dumps(parts, sort_keys=True)
        _FINGERPRINTS[key] = hashlib.sha256(text.encode()).hexdigest()
    return _FINGERPRINTS[key]


def check_model(posterior: Any, model: Any) -> None:
    """Refuse a posterior fitted to another version of ``model``.

    A posterior records the model's fingerprint (:func:`model_fingerprint`), so edits of
    comments, documentation or the sketch keep it valid; a file written before fingerprints
    were recorded is compared by the model file's SHA-256.

    Raises
    ------
    StalePosteriorError
        The model computes something else than the one fitted; the message names what differs
        and gives the command that fits it again.
    """
    fitted = posterior.attrs.get("model_fingerprint")
    if fitted:
        now = model_fingerprint(model)
        if fitted == now:
            return
        recorded = str(posterior.attrs.get("model_file") or model.path.name)
        ids = f"fingerprint {str(fitted)[:12]}… against {now[:12]}…"
        what = (f"another model ({recorded}, not {model.path.name}; {ids})"
                if recorded != model.path.name else
                f"a version of {recorded} whose equations, constants, units or ranges differ "
                f"from this one's ({ids})")
    else:
        fitted = posterior.attrs.get("model_sha256")
        if not fitted or fitted == model.hash:
            return
        what = (f"another version of {posterior.attrs.get('model_file', 'the model file')} than "
                f"{model.path.name} (SHA-256 {str(fitted)[:12]}… against {model.hash[:12]}…)")
    raise StalePosteriorError(
        f"the posterior {posterior.attrs.get('posterior_file', '')!r} was fitted to {what}; "
        f"re-fit it with `{refit_command(model, posterior)}`"
    )


def posterior_point(model: Any, posterior: str | Path | Any) -> PosteriorPoint:
    """The posterior median of each calibrated model parameter, checked against ``model``.

    Parameters
    ----------
    model
        The model the point is for (a :class:`sdmodels.Model`).
    posterior
        A posterior file, ``"default"`` (the model's), or an opened calibration result.

    Raises
    ------
    PosteriorError
        No default posterior declared, a missing or unreadable file, parameters the model
        does not define.
    StalePosteriorError
        A posterior fitted to a model that computes something else.
    """
    if isinstance(posterior, str | Path):
        path = resolve_posterior(model, posterior)
        if path is None:
            raise PosteriorError(
                f"{model.path.name} declares no default posterior (key `posterior` in "
                f"{model.path.stem}.sdmodels.toml); give a calibration result's path"
            )
        ds = open_posterior(path)
    else:
        ds = posterior
    check_model(ds, model)
    draws = np.asarray(ds["posterior"].transpose("draw", "parameter").values, dtype=float)
    kinds = (ds["parameter_kind"].values.astype(str) if "parameter_kind" in ds.coords
             else np.array(["model"] * draws.shape[1]))
    names = (ds["parameter_py"].values.astype(str) if "parameter_py" in ds.coords
             else ds["parameter"].values.astype(str))
    values: dict[str, float] = {}
    for j in np.flatnonzero(kinds == "model"):
        py = str(names[j])
        if py not in model.parameters:
            raise PosteriorError(
                f"the posterior's parameter {str(ds['parameter'].values[j])!r} is not a constant "
                f"of {model.path.name}"
            )
        values[py] = float(np.median(draws[:, j]))
    return PosteriorPoint(values=values, path=Path(str(ds.attrs.get("posterior_file", ""))),
                          sha256=str(ds.attrs.get("posterior_sha256", "")))


def point_under_scenarios(model: Any, scenario: Any, point: dict[str, float],
                          params: Any) -> dict[str, Any]:
    """Run overrides with a posterior point under the scenarios' own parameters and ``params``.

    A calibrated parameter that a scenario (or its profile) sets, or that ``params`` sets, keeps
    that value; the others take the posterior's.
    """
    chosen = scenario if isinstance(scenario, list | tuple) else [scenario]
    taken: set[str] = set()
    for s in chosen:
        taken.update(model.scenario(s).to_params(model))
    merged: dict[str, Any] = {py: v for py, v in point.items() if py not in taken}
    for name, value in dict(params or {}).items():
        merged[model.resolve_parameter(name)] = value
    return merged
