"""numba's typing of scalar arithmetic, remembered while a kernel compiles.

numba types every operator of the generated source afresh: for ``a * b`` on two floats it tries
each typing template registered for ``operator.mul`` (integers, floats, complex numbers, arrays,
tuples, strings, …) in turn and formats an error message for every one that refuses, which made
up about a third of numba's time on the NHS kernel (2.3 of 6.4 CPU-seconds, 3 December 2026). The
answer depends only on the operator and its argument types, so while :func:`remembered_typing`
is active the signature found for an arithmetic or comparison operator on plain (non-literal)
integers and floats is kept and given again for the same operator, argument types and typing
context. Everything else goes through numba's own resolution, and outside the block numba is as
it was.

This module imports numba: the runtime imports it only when a kernel is about to compile.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from numba.core import types
from numba.core.types import functions

__all__ = ["remembered_typing"]

#: The operators whose typing on plain numbers is remembered.
OPERATORS = frozenset({
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
    operator.mod, operator.pow, operator.neg, operator.pos, operator.lt, operator.le,
    operator.gt, operator.ge, operator.eq, operator.ne,
})
_PLAIN = (types.Float, types.Integer)  # exact classes: literal integers are a subclass

_LOCK = threading.Lock()
_ACTIVE = [0]  # blocks inside remembered_typing
_KNOWN: dict[tuple, object] = {}
_numba_get_call_type = functions.Function.get_call_type


def _get_call_type(self, context, args, kws):
    if (_ACTIVE[0] == 0 or kws or self.typing_key not in OPERATORS
            or not all(type(a) in _PLAIN for a in args)):
        return _numba_get_call_type(self, context, args, kws)
    key = (self, context, tuple(args))
    sig = _KNOWN.get(key)
    if sig is None:
        sig = _numba_get_call_type(self, context, args, kws)
        if sig is not None:
            _KNOWN[key] = sig
    return sig


@contextmanager
def remembered_typing() -> Iterator[None]:
    """Remember numba's typing of arithmetic on plain numbers for the block (see the module).

    Nested or concurrent blocks share what is remembered, which is forgotten when the last
    one ends.
    """
    with _LOCK:
        if _ACTIVE[0] == 0:
            functions.Function.get_call_type = _get_call_type
        _ACTIVE[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE[0] -= 1
            if _ACTIVE[0] == 0:
                functions.Function.get_call_type = _numba_get_call_type
                _KNOWN.clear()
