"""Control variables written as expressions of numbers and of each other.

``TIME STEP = 1/4`` or ``SAVEPER = TIME STEP * 4`` are folded at compile time. A control that
reads another one keeps its formula in the kernel's metadata, so that overriding the control it
reads at run time (``time_step``) derives it again (``saveper``), as PySD does: its control
variables are functions of each other, evaluated when the run starts.

A formula is JSON: a number, ``{"ref": py_name}`` or ``{"ops": [...], "args": [formula, ...]}``
(an arithmetic chain in the model's own order, ``^`` grouping from the right).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["derive_controls", "evaluate", "fold_arithmetic", "reads"]


def fold_arithmetic(ops: list[str], args: list[float]) -> float:
    """Evaluate an arithmetic chain of numbers as the kernel would (``^`` from the right).

    Raises :class:`ValueError` for an operator other than ``+ - * / ^`` or unary minus.

    Examples
    --------
    >>> fold_arithmetic(["/"], [1.0, 4.0])
    0.25
    >>> fold_arithmetic(["^", "^"], [2.0, 3.0, 2.0])
    512.0
    >>> fold_arithmetic(["negative"], [2.0])
    -2.0
    >>> fold_arithmetic(["/"], [1.0, 0.0])
    nan
    """
    if ops == ["negative"]:
        return -args[0]
    if len(args) == 1:
        return args[0]
    if all(op == "^" for op in ops):
        value = args[-1]
        for arg in reversed(args[:-1]):
            value = arg**value
        return float(value)
    value = args[0]
    for op, arg in zip(ops, args[1:], strict=True):
        if op == "+":
            value = value + arg
        elif op == "-":
            value = value - arg
        elif op == "*":
            value = value * arg
        elif op == "/":
            value = value / arg if arg != 0 else math.nan
        else:
            raise ValueError(f"operator {op!r} in a control variable")
    return float(value)


def evaluate(formula: Any, values: Mapping[str, float]) -> float | None:
    """Value of ``formula``; ``None`` while a control it reads has no value yet.

    Examples
    --------
    >>> evaluate({"ops": ["*"], "args": [{"ref": "time_step"}, 2.0]}, {"time_step": 0.25})
    0.5
    >>> evaluate({"ref": "time_step"}, {}) is None
    True
    """
    if isinstance(formula, dict) and "ref" in formula:
        value = values.get(formula["ref"])
        return None if value is None else float(value)
    if isinstance(formula, dict):
        args = [evaluate(a, values) for a in formula["args"]]
        if any(a is None for a in args):
            return None
        return fold_arithmetic(list(formula["ops"]), args)  # type: ignore[arg-type]
    return float(formula)


def reads(formula: Any) -> set[str]:
    """The controls a formula reads.

    Examples
    --------
    >>> sorted(reads({"ops": ["+"], "args": [{"ref": "a"}, 1.0, {"ref": "b"}]}))
    ['a', 'b']
    """
    if isinstance(formula, dict) and "ref" in formula:
        return {formula["ref"]}
    if isinstance(formula, dict):
        return set().union(*(reads(a) for a in formula["args"]))
    return set()


def derive_controls(
    formulas: Mapping[str, Any], values: Mapping[str, float], given: Iterable[str]
) -> dict[str, float]:
    """``values`` with every control not in ``given`` whose formula reads other controls
    computed again from them (after the ones it reads).

    Examples
    --------
    >>> f = {"saveper": {"ref": "time_step"}}
    >>> derive_controls(f, {"time_step": 0.5, "saveper": 1.0}, given=["time_step"])["saveper"]
    0.5
    >>> derive_controls(f, {"time_step": 0.5, "saveper": 2.0}, given=["time_step", "saveper"])["saveper"]
    2.0
    """
    given = set(given)
    out = dict(values)
    pending = {name: f for name, f in formulas.items() if name not in given and reads(f)}
    for name in pending:
        out.pop(name, None)
    for _ in range(len(pending) + 1):
        for name, formula in list(pending.items()):
            value = evaluate(formula, out)
            if value is not None:
                out[name] = value
                del pending[name]
    for name in pending:  # circular: refused at compile time, keep the compiled value
        out[name] = float(values[name])
    return out
