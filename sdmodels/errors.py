"""Exceptions and warnings raised by sdmodels.

Every error names the thing that is wrong and says how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CacheRepairWarning",
    "EngineFallbackWarning",
    "ModelLoadError",
    "NumericalWarning",
    "ParameterRangeError",
    "ResultWriteError",
    "SDModelsError",
    "ScenarioError",
    "UncertaintyError",
    "UnknownNameError",
    "closest_names",
]


class SDModelsError(Exception):
    """Base class of every error raised by sdmodels."""


class ModelLoadError(SDModelsError, ValueError):
    """A model file is missing, of an unknown format, or cannot be translated."""


#: Where each kind of name is listed, for a name with no close match.
_LIST_HINTS = {
    "parameter": "; run `sdmodels params MODEL` to list the model's parameters",
    "variable": "; run `sdmodels variables MODEL` to list the model's variables",
    "output": "; run `sdmodels variables MODEL` to list the model's variables",
    "scenario": "; run `sdmodels scenarios MODEL` to list the model's scenarios",
    "profile": "; run `sdmodels profiles MODEL` to list the model's profiles",
}


class UnknownNameError(SDModelsError, KeyError, ValueError):
    """A parameter or variable name that the model does not define.

    Parameters
    ----------
    name
        The name that was asked for.
    candidates
        The model's real names; the closest ones are quoted in the message.
    what
        What kind of name was expected ("parameter", "variable", ...).
    context
        Where the name came from (a file, a command-line option), if known.
    """

    def __init__(
        self,
        name: str,
        candidates: Iterable[str] = (),
        *,
        what: str = "name",
        context: str | None = None,
    ) -> None:
        self.name = name
        self.suggestions = closest_names(name, candidates)
        where = f" in {context}" if context else ""
        hint = (
            "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
            if self.suggestions
            else _LIST_HINTS.get(what, "")
        )
        self.message = f"unknown {what} {name!r}{where}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class ParameterRangeError(SDModelsError, ValueError):
    """A parameter value lies outside the range declared in the model file."""


class ScenarioError(SDModelsError, ValueError):
    """A scenario file is malformed or does not fit its model."""


class UncertaintyError(SDModelsError, ValueError):
    """An uncertainty file or distribution is malformed or does not fit its model.

    The message names the parameter (and file, where known) and says how to fix it.
    """


class ResultWriteError(SDModelsError, OSError):
    """A result file cannot be written where it was asked to go."""


class EngineFallbackWarning(UserWarning):
    """The compiled engine cannot run a model and PySD is used instead."""


class NumericalWarning(UserWarning):
    """A run produced inf or NaN (a division by zero, an overflow): the message says where first."""


class CacheRepairWarning(UserWarning):
    """A damaged cache entry (checksum mismatch) was found, deleted and rebuilt."""


def _normalise(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).lower()


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` candidates closest to ``name`` (case, space and underscore blind).

    Examples
    --------
    >>> closest_names("nurse leaver rat", ["Nurse Leaver Rate", "Doctor Leaver Rate", "Agility"])
    ['Nurse Leaver Rate', 'Doctor Leaver Rate']
    """
    by_key: dict[str, str] = {}
    for cand in candidates:
        by_key.setdefault(_normalise(cand), cand)
    keys = difflib.get_close_matches(_normalise(name), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in keys]
