"""Repeat a calibration or history result from what it records.

A calibration result keeps the calibration file's text, each data file whole (name, SHA-256 and
content), the scenario the runs start from, the method's settings and the seed. From these,
:func:`recorded_spec` rebuilds the calibration (checking both checksums) without the original
files, and :func:`repeat_result` runs it again: the whole fit, or only the history of the stored
draws (best draw, bands and fit statistics), which is quick
(:func:`sdmodels.calibration.repeat_result`).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdmodels._toml import parse_toml
from sdmodels.calibration._spec import CalibrationError, CalibrationSpec, calibration_from_dict

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from sdmodels.model import Model

__all__ = ["RERUN_OPTIONS", "as_json", "recorded", "recorded_spec"]

#: The recorded settings each method takes back (``calibrate``'s keyword arguments).
RERUN_OPTIONS = {"mcmc": ("walkers", "steps", "burn", "thin", "init", "moves"),
            "optimize": ("popsize", "maxiter")}


def as_json(value: Any) -> Any:
    """A JSON attr as read by :func:`sdmodels.results.open_dataset` (decoded) or by xarray (text)."""
    return json.loads(value) if isinstance(value, str) else value


def recorded(attrs: dict[str, Any], key: str, what: str) -> Any:
    """``attrs[key]``, or a clear error naming ``what`` the result does not record."""
    value = attrs.get(key)
    if value is None or value == "":
        raise CalibrationError(
            f"the result does not record {what} (no {key!r} attr): it was written before "
            "calibration results could be repeated; run its calibration again"
        )
    return value


def recorded_spec(result: xr.Dataset, model: Model, *, scenario: Any = None) -> CalibrationSpec:
    """The calibration a result was made with, rebuilt from its attributes.

    Parameters
    ----------
    result
        A calibration or history result (:func:`sdmodels.calibration.calibrate`,
        :func:`sdmodels.calibration.run_history`).
    model
        The model (found and checked by the caller).
    scenario
        The recorded scenario, rebuilt (``None`` if the calibration file names none).

    Raises
    ------
    CalibrationError
        Something needed is not recorded, or a recorded checksum does not match the recorded
        content.
    """
    attrs = dict(result.attrs)
    text = str(recorded(attrs, "calibration_text", "its calibration file's text"))
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != attrs.get("calibration_sha256"):
        raise CalibrationError("the recorded calibration file's text does not match its recorded "
                               "SHA-256: the result file was edited")
    files = as_json(recorded(attrs, "data_files", "its data files"))
    name = str(attrs.get("calibration_file") or "calibration.toml")
    raw = dict(parse_toml(text, Path(name), CalibrationError))
    if raw.get("scenario") is not None:
        if scenario is None:
            raise CalibrationError(f"the result does not record the definition of its scenario "
                                   f"{attrs.get('scenario')!r} (no 'scenarios' attr)")
        raw["scenario"] = scenario
    with tempfile.TemporaryDirectory(prefix="sdmodels_rerun_") as tmp:
        paths = []
        for i, f in enumerate(files):
            if f.get("text") is None:
                raise CalibrationError(f"data file {f['name']!r} is not recorded whole (not UTF-8 "
                                       "text); run its calibration again")
            path = Path(tmp) / str(i) / str(f["name"])
            path.parent.mkdir()
            path.write_bytes(str(f["text"]).encode("utf-8"))
            if hashlib.sha256(path.read_bytes()).hexdigest() != f["sha256"]:
                raise CalibrationError(f"the recorded data file {f['name']!r} does not match its "
                                       "recorded SHA-256: the result file was edited")
            paths.append(str(path))
        raw["data"] = paths
        spec = calibration_from_dict(raw, model=model, base=tmp, path=name, text=text)
    if spec.data_sha256 != attrs.get("data_sha256"):
        raise CalibrationError("the recorded data files do not give the recorded data SHA-256")
    return spec
