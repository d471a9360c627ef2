"""Kernels split into many small functions compute exactly what one function computes.

The generator cuts each phase of a large model's kernel into chunks of bounded size
(``_kernel.CHUNK_LINES``). Here the limits are set so that every phase of small test models is
split into chunks of four statements: the results must be bit-identical to the one-function
kernel and equal to PySD.
"""

from __future__ import annotations

import re

import pytest

from sdmodels.testing import assert_matches_pysd, draw_parameters

from .conftest import TEST_MODELS_DIR, assert_same_runs

# DELAY FIXED, DELAY N and SMOOTH N arrays, an integer pipe position, subscripts and lookups
MODELS = ["delay_functions.mdl", "subscripted_builtins.mdl"]


@pytest.mark.parametrize("name", MODELS)
def test_split_kernel_equals_the_default_kernel_bit_for_bit(name, compiled, monkeypatch) -> None:
    from sdmodels.compiler import _kernel, compile_model

    path = TEST_MODELS_DIR / name
    whole = compiled(path)  # before the limits change: the one-function kernel
    # chunks of at most four statements, no phase kept inside _sample
    monkeypatch.setattr(_kernel, "CHUNK_LINES", 4)
    monkeypatch.setattr(_kernel, "INLINE_LINES", 0)
    monkeypatch.setattr(_kernel, "SPLIT_LINES", 0)
    split = compile_model(path, cache=False)
    functions = re.findall(r"^def (_\w+)\(", split.source, re.M)
    assert len([f for f in functions if f.startswith(("_init_", "_aux_", "_step_"))]) >= 3
    assert not re.findall(r"^def (_\w+)\(", whole.source, re.M)[0].startswith("_init_")
    assert_same_runs(whole, split, draw_parameters(path, 3, seed=1), 3)
    assert_matches_pysd(path, n_random=2, compiled=split)
