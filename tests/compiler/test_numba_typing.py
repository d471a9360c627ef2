"""The remembered typing of scalar arithmetic gives numba's own answers and is undone after."""

from __future__ import annotations

import operator

import numba
import numpy as np
import pytest
from numba.core import types
from numba.core.types import functions

from sdmodels.compiler import _numba_typing
from sdmodels.compiler._numba_typing import remembered_typing



#: The tests of what the block changes need a numba release its internals were tested on.
needs_tested_numba = pytest.mark.skipif(
    not _numba_typing.ENABLED, reason="the installed numba is not a release in TESTED_NUMBA: the block "
    "changes nothing")

def _source(a, b, n):
    x = a * b + a / b - (a ** 2.0) * -b
    y = x if x > b else b - n
    return y * n + (n // 2) + (n % 3)


@needs_tested_numba
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
        assert not any(isinstance(a, types.Literal)
                       for _, _, args in _numba_typing._KNOWN for a in args)
    assert functions.Function.get_call_type is numba_own
    assert not _numba_typing._KNOWN
    assert operator.mul in _numba_typing.OPERATORS
    assert np.isfinite(expected)


def _entries(a, out):
    out[3] = a[2] * 2.0
    out[1] = a[0] + a[2]
    return a[0] + a[1] + out[3]


@needs_tested_numba
def test_an_entry_at_a_literal_index_is_typed_as_at_an_integer() -> None:
    numba_own = functions.Function.get_call_type
    a, expected = np.array([1.5, 2.5, 3.5]), np.zeros(4)
    outside = numba.njit(_entries)(a, expected)
    with remembered_typing():
        out = np.zeros(4)
        assert numba.njit(_entries)(a, out) == outside
        np.testing.assert_array_equal(out, expected)
        array = types.Array(types.float64, 1, "C")
        remembered = {(fn.typing_key, args) for fn, _, args in _numba_typing._KNOWN}
        assert (operator.getitem, (array, types.int64)) in remembered
        assert (operator.setitem, (array, types.int64, types.float64)) in remembered
        for (fn, context, args), sig in _numba_typing._KNOWN.items():
            assert numba_own(fn, context, args, {}) == sig
            if fn.typing_key in _numba_typing.INDEXING:  # the answer at a literal index too
                literal = (args[0], types.IntegerLiteral(2), *args[2:])
                assert numba_own(fn, context, literal, {}) == sig


@needs_tested_numba
def test_nested_blocks_keep_it_until_the_last_ends() -> None:
    numba_own = functions.Function.get_call_type
    with remembered_typing():
        with remembered_typing():
            pass
        assert functions.Function.get_call_type is not numba_own
    assert functions.Function.get_call_type is numba_own
