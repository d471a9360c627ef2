"""The examples in the calibration modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

from sdmodels._paths import MODELS_DIR

MODULES = [
    "sdmodels.calibration",
    "sdmodels.calibration._spec",
    "sdmodels.calibration._stats",
    "sdmodels.calibration._priors",
    "sdmodels.calibration._result",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(MODELS_DIR.parent)  # examples use paths relative to the repository
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
