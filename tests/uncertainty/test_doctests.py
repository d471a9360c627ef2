"""The examples in the docstrings of the uncertainty and sensitivity modules run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

from sdmodels._paths import MODELS_DIR

MODULES = [
    "sdmodels._toml",
    "sdmodels.uncertainty",
    "sdmodels.uncertainty._distributions",
    "sdmodels.uncertainty._sampling",
    "sdmodels.uncertainty._spec",
    "sdmodels.montecarlo",
    "sdmodels.sensitivity",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(MODELS_DIR.parent)  # examples use paths relative to the repository
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
