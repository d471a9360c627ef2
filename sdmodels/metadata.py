"""Model metadata kept beside the model file: ``<model>.sdmodels.toml``.

What the equations cannot say, but analyses and front ends need, is stated once per model in a
small TOML file next to it (``models/nhs_productivity.sdmodels.toml`` beside
``models/nhs_productivity.mdl``)::

    # the outputs summarised by default (tables, Monte Carlo, dashboard), in this order
    key_outputs = ["Productivity Index", "Waiting List"]

    # which direction of an output is better: "higher" or "lower"
    [better]
    "Productivity Index" = "higher"
    "Waiting List" = "lower"

    # the calibration of the model against history, and its posterior: `sdmodels run` and
    # `sdmodels mc` start from the posterior by default (paths relative to this file)
    calibration = "calibration/history.toml"
    posterior = "calibration/history_posterior.nc"

Names are Vensim or Python names. Every key is optional, and so is the file. Without one, a model's
key outputs are its stocks (at most nine) and no output has a better direction: Monte Carlo then
reports no probabilities of being better, and the dashboard shows changes without judging them.

>>> from pathlib import Path
>>> metadata_path(Path("models/nhs_productivity.mdl")).name
'nhs_productivity.sdmodels.toml'
>>> from sdmodels.model import python_name
>>> raw = read_metadata(Path("models/nhs_productivity.mdl"), lambda name, where: python_name(name))
>>> raw.better["waiting_list"], raw.key_outputs[0]
(-1, 'productivity_index')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sdmodels._toml import parse_toml
from sdmodels.errors import ModelLoadError

__all__ = ["DIRECTIONS", "Direction", "ModelMetadata", "metadata_path", "read_metadata"]

#: ``1``: higher values are better; ``-1``: lower values are better.
Direction = Literal[1, -1]
#: The words of the file and the direction each stands for.
DIRECTIONS: dict[str, Direction] = {"higher": 1, "lower": -1}
_KEYS = ("key_outputs", "better", "loops", "calibration", "posterior")  # loops: read by sdmodels.loops


@dataclass(frozen=True)
class ModelMetadata:
    """A model's metadata, names resolved to Python names.

    Attributes
    ----------
    key_outputs
        The outputs summarised by default (empty: none declared).
    better
        ``{output: 1 or -1}``: whether higher or lower values of the output are better.
    path
        The file it was read from (``None``: the model has none).
    calibration
        The model's calibration file against history (``None``: none declared).
    posterior
        The model's default posterior, a calibration result (``None``: none declared). The file
        is not opened here: :func:`sdmodels.calibration.default_posterior` checks it.
    """

    key_outputs: tuple[str, ...] = ()
    better: Mapping[str, Direction] = field(default_factory=dict)
    path: Path | None = None
    calibration: Path | None = None
    posterior: Path | None = None

    def direction(self, name: str) -> Direction | None:
        """``1`` if higher values of output ``name`` (Python name) are better, ``-1`` if lower,
        ``None`` if the metadata does not say.

        Examples
        --------
        >>> ModelMetadata(better={"waiting_list": -1}).direction("waiting_list")
        -1
        >>> ModelMetadata().direction("waiting_list") is None
        True
        """
        return self.better.get(name)


def metadata_path(model_file: Path) -> Path:
    """Where the metadata of ``model_file`` is kept: ``<stem>.sdmodels.toml`` beside it."""
    return model_file.with_name(f"{model_file.stem}.sdmodels.toml")


def read_metadata(
    model_file: Path, resolve: Callable[[str, str], str] | None = None
) -> ModelMetadata:
    """Read the metadata file of ``model_file`` (an empty :class:`ModelMetadata` if there is none).

    Parameters
    ----------
    model_file
        The model file.
    resolve
        ``resolve(name, where) -> Python name``: checks each name against the model (raising
        for an unknown one); without it, names are taken as Python names.

    Raises
    ------
    ModelLoadError
        The file is not valid TOML, has unknown keys, a direction other than "higher" or
        "lower", or names the model does not define.
    """
    path = metadata_path(model_file)
    if not path.is_file():
        return ModelMetadata()
    where = str(path)
    data: dict[str, Any] = parse_toml(path.read_text(encoding="utf-8"), where, ModelLoadError)
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ModelLoadError(
            f"{where}: unknown key(s) {unknown}; the file may set only {list(_KEYS)}"
        )

    def name(value: Any, context: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ModelLoadError(f"{where}: {context} must be variable names, got {value!r}")
        return resolve(value, f"{where}: {context}") if resolve else value

    outputs = data.get("key_outputs", [])
    if not isinstance(outputs, list):
        raise ModelLoadError(f"{where}: key_outputs must be a list of variable names")
    key_outputs = tuple(dict.fromkeys(name(v, "key_outputs") for v in outputs))
    better_raw = data.get("better", {})
    if not isinstance(better_raw, dict):
        raise ModelLoadError(f"{where}: [better] must be a table of name = \"higher\" | \"lower\"")
    better: dict[str, Direction] = {}
    for key, word in better_raw.items():
        if word not in DIRECTIONS:
            raise ModelLoadError(
                f"{where}: [better] {key} = {word!r}; write \"higher\" or \"lower\""
            )
        better[name(key, "[better]")] = DIRECTIONS[word]
    files: dict[str, Path | None] = {}
    for key in ("calibration", "posterior"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ModelLoadError(f"{where}: {key} must be a file path relative to it, got {value!r}")
        files[key] = None if value is None else (path.parent / value)
    return ModelMetadata(key_outputs=key_outputs, better=better, path=path, **files)
