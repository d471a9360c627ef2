"""Shared fixtures of the compiler tests: the test models and one compilation per model and session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TEST_MODELS_DIR = Path(__file__).resolve().parent / "models"
PROJECT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
_MODEL_SUFFIXES = (".mdl", ".xmile")

#: Models the compiler must refuse, with the function (in any spelling) and element to be named.
UNSUPPORTED_MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "unsupported_clock.mdl": (("get time value",), "calendar year"),
}


def small_model_paths() -> list[Path]:
    """Every supported small test model (``tests/compiler/models``)."""
    return sorted(p for p in TEST_MODELS_DIR.iterdir()
                  if p.suffix in _MODEL_SUFFIXES and p.name not in UNSUPPORTED_MODELS)


def project_model_paths() -> list[Path]:
    """Every model shipped in the top-level ``models/`` folder (found by globbing)."""
    return sorted(p for p in PROJECT_MODELS_DIR.glob("*") if p.suffix in _MODEL_SUFFIXES)


def run_both_engines(model: Any, outputs: list[str]) -> tuple[Any, Any]:
    """``(PySD, compiled)`` runs of ``model``'s ``outputs``, their warnings silenced
    (a test model's units and fallbacks are not what these tests check)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (model.run(engine="pysd", outputs=outputs),
                model.run(engine="compiled", outputs=outputs))


def sample_body(source: str) -> str:
    """The generated kernel's ``_sample`` function (the per-sample statements)."""
    return source[source.index("def _sample("):source.index("def _kernel(")]


def assert_same_runs(first: Any, second: Any, params: dict[str, Any], n: int) -> None:
    """Two compiled models give bit-identical outputs, the same ones, for ``n`` samples of ``params``."""
    import numpy as np

    a = first.run(params, n)
    b = second.run(params, n)
    assert set(a) == set(b)
    for py in a:
        np.testing.assert_array_equal(a[py], b[py], err_msg=py)


@pytest.fixture(scope="session")
def compiled() -> Callable[[Path], Any]:
    """``compiled(path)``: the compiled model of ``path``, compiled once per test session.

    A compilation error is remembered and raised again for every test that asks for that model.
    """
    from sdmodels.compiler import compile_model

    cache: dict[Path, Any] = {}

    def get(path: Path) -> Any:
        key = Path(path).resolve()
        if key not in cache:
            try:
                cache[key] = compile_model(key)
            except Exception as exc:  # noqa: BLE001 - remembered, re-raised for each test
                cache[key] = exc
        result = cache[key]
        if isinstance(result, Exception):
            raise result
        return result

    return get
