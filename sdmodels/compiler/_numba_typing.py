"""numba's typing of scalar arithmetic, remembered while a kernel compiles.

numba types every operator of the generated source afresh: for ``a * b`` on two floats it tries
each typing template registered for ``operator.mul`` (integers, floats, complex numbers, arrays,
tuples, strings, …) in turn and formats an error message for every one that refuses, which made
up about a third of numba's time on the NHS kernel (2.3 of 6.4 CPU-seconds, 3 December 2026). The
answer depends only on the operator and its argument types, so while :func:`remembered_typing`
is active the signature found for an arithmetic or comparison operator on plain (non-literal)
integers and floats is kept and given again for the same operator, argument types and typing
context. So is the signature of reading or writing an array's entry at one integer index, the
parameters' ``Pi[17]`` (0.4 of the NHS kernel's remaining 0.6 s of such typing, 4 December 2026):
numba types a literal index as its integer type, so the answer for ``Pi[17]`` is the answer for
``Pi[3]``; an answer that holds a literal type is not kept. Everything else goes through numba's
own resolution, and outside the block numba is as it was.

This module imports numba: the runtime imports it only when a kernel is about to compile.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numba
from numba.core import types
from numba.core.types import functions

__all__ = ["ENABLED", "INDEXING", "OPERATORS", "TESTED_NUMBA", "remembered_typing", "tested_numba"]

#: The numba releases (major, minor) whose internals this module and :mod:`._numba_llvm` were
#: written and tested against. On any other release both blocks change nothing: numba compiles
#: as it always does, more slowly and with the same results.
TESTED_NUMBA = frozenset({(0, 68)})


def tested_numba() -> bool:
    """Whether the installed numba is one of :data:`TESTED_NUMBA`."""
    try:
        release = tuple(int(part) for part in numba.__version__.split(".")[:2])
    except ValueError:  # a development build: not a tested release
        return False
    return release in TESTED_NUMBA


#: The operators whose typing on plain numbers is remembered.
OPERATORS = frozenset({
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
    operator.mod, operator.pow, operator.neg, operator.pos, operator.lt, operator.le,
    operator.gt, operator.ge, operator.eq, operator.ne,
})
_PLAIN = (types.Float, types.Integer)  # exact classes: literal integers are a subclass
#: Indexing whose typing on an array and one integer index is remembered.
INDEXING = frozenset({operator.getitem, operator.setitem})
_INDEX = (types.Integer, types.IntegerLiteral)

_LOCK = threading.Lock()
_ACTIVE = [0]  # blocks inside remembered_typing
_KNOWN: dict[tuple, object] = {}
_numba_get_call_type = getattr(functions.Function, "get_call_type", None)
#: Whether :func:`remembered_typing` changes anything with the installed numba.
ENABLED = tested_numba() and _numba_get_call_type is not None


def _key(self, context, args) -> tuple | None:
    """What numba's answer for these arguments depends on, or None if it is not remembered."""
    if self.typing_key in OPERATORS:
        return (self, context, tuple(args)) if all(type(a) in _PLAIN for a in args) else None
    if (self.typing_key in INDEXING and len(args) in (2, 3) and isinstance(args[0], types.Array)
            and type(args[1]) in _INDEX and all(type(a) in _PLAIN for a in args[2:])):
        # an array's entry at an integer: numba types a literal index as its integer type
        # (``Pi[17]``: ``(array(float64, 1d, C), int64) -> float64``)
        return (self, context, (args[0], types.unliteral(args[1]), *args[2:]))
    return None


def _get_call_type(self, context, args, kws):
    key = None if _ACTIVE[0] == 0 or kws else _key(self, context, args)
    if key is None:
        return _numba_get_call_type(self, context, args, kws)
    sig = _KNOWN.get(key)
    if sig is None:
        sig = _numba_get_call_type(self, context, args, kws)
        # remembered only if the answer holds no literal type (it then cannot depend on the
        # literal's value)
        if sig is not None and not any(isinstance(t, types.Literal)
                                       for t in (*sig.args, sig.return_type)):
            _KNOWN[key] = sig
    return sig


@contextmanager
def remembered_typing() -> Iterator[None]:
    """Remember numba's typing of arithmetic on plain numbers for the block (see the module).

    Nested or concurrent blocks share what is remembered, which is forgotten when the last
    one ends. With a numba release it was not tested against (:data:`ENABLED` false) it does
    nothing.
    """
    if not ENABLED:
        yield
        return
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
