"""Errors raised while reading or using uncertainty specifications."""

from __future__ import annotations

from sdmodels.errors import SDModelsError

__all__ = ["UncertaintyError"]


class UncertaintyError(SDModelsError, ValueError):
    """An uncertainty file or distribution is malformed or does not fit its model.

    The message names the parameter (and file, where known) and says how to fix it.
    """
