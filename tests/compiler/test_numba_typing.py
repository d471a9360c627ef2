"""The remembered typing of scalar arithmetic gives numba's own answers and is undone after."""

from __future__ import annotations

import operator

import numba
import numpy as np
from numba.core import types
from numba.core.types import functions

from sdmodels.compiler import _numba_typing
from sdmodels.compiler._numba_typing import remembered_typing


def _source(a, b, n):
    x = a * b + a / b - (a ** 2.0) * -b
    y = x if x > b else b - n
    return y * n + (n // 2) + (n % 3)


def test_same_signatures_and_results_inside_and_undone_after() -> None:
    numba_own = functions.Function.get_call_type
    outside = numba.njit(_source)
    expected = outside(1.5, 2.25, 7)
    with remembered_typing():
        assert functions.Function.get_call_type is not numba_own
        inside = numba.njit(_source)
        assert inside(1.5, 2.25, 7) == expected
        assert inside.signatures == outside.signatures
        # every remembered answer is the one numba gives without the memory
        assert _numba_typing._KNOWN
        for (fn, context, args), sig in _numba_typing._KNOWN.items():
            assert numba_own(fn, context, args, {}) == sig
        # literal integers are not remembered: numba types them by value
        assert all(type(a) in (types.Float, types.Integer)
                   for _, _, args in _numba_typing._KNOWN for a in args)
    assert functions.Function.get_call_type is numba_own
    assert not _numba_typing._KNOWN
    assert operator.mul in _numba_typing.OPERATORS
    assert np.isfinite(expected)


def test_nested_blocks_keep_it_until_the_last_ends() -> None:
    numba_own = functions.Function.get_call_type
    with remembered_typing():
        with remembered_typing():
            pass
        assert functions.Function.get_call_type is not numba_own
    assert functions.Function.get_call_type is numba_own
