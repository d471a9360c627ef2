"""A model's calibrated parameters: its default posterior and the point runs start from.

A calibration result (``sdmodels calibrate``, see :mod:`sdmodels.calibration`) belongs to one
version of one model file: it records the file's SHA-256. A model names its default posterior in
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

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sdmodels.errors import SDModelsError

__all__ = [
    "DEFAULT",
    "PosteriorError",
    "PosteriorPoint",
    "StalePosteriorError",
    "check_model",
    "open_posterior",
    "point_under_scenarios",
    "posterior_point",
    "refit_command",
    "resolve_posterior",
]

#: The MCMC settings of the shipped NHS posterior (docs/calibration.md), used in re-fit hints.
REFIT_SETTINGS = "--walkers 64 --steps 1000 --burn 200 --thin 10 --moves de --seed 1"
#: The word that names a model's own default posterior (its metadata's ``posterior``).
DEFAULT = "default"


class PosteriorError(SDModelsError):
    """A posterior file that is missing, unreadable or not a calibration result."""


class StalePosteriorError(PosteriorError):
    """A posterior fitted to another version of the model file."""


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
        return {"posterior_file": str(self.path), "posterior_sha256": self.sha256,
                "posterior_point": "median of the posterior draws"}


def refit_command(model: Any) -> str:
    """The one command that re-fits a model's default posterior (from its metadata)."""
    meta = model.metadata
    spec = meta.calibration or "CALIBRATION.toml"
    out = meta.posterior or "POSTERIOR.nc"
    return (f"sdmodels calibrate --spec {_shown(spec)} --method mcmc {REFIT_SETTINGS} "
            f"--out {_shown(out)}")


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


def check_model(posterior: Any, model: Any) -> None:
    """Refuse a posterior fitted to another version of ``model``'s file.

    Raises
    ------
    StalePosteriorError
        The posterior's recorded model SHA-256 is not the model file's; the message gives the
        command that fits it again.
    """
    fitted = posterior.attrs.get("model_sha256")
    if fitted and fitted != model.hash:
        hint = (f"re-fit it with `{refit_command(model)}`"
                if model.metadata.posterior is not None else
                "calibrate this model again (sdmodels calibrate)")
        raise StalePosteriorError(
            f"the posterior {posterior.attrs.get('posterior_file', '')!r} was fitted to another "
            f"version of {posterior.attrs.get('model_file', 'the model file')} than "
            f"{model.path.name} (SHA-256 {str(fitted)[:12]}… against {model.hash[:12]}…); "
            f"{hint}"
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
        A posterior fitted to another version of the model file.
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
