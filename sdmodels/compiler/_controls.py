"""Control variables written as expressions of numbers, of each other and of constants.

``TIME STEP = 1/4``, ``SAVEPER = TIME STEP * 4`` or ``FINAL TIME = start year + horizon`` are
folded at compile time (auxiliaries of constants are inlined into the formula). A control that
reads another control or a constant keeps its formula in the kernel's metadata, so that
overriding what it reads at run time (``time_step``, ``horizon``) derives it again (``saveper``,
``final_time``), as PySD does: its control variables are functions of the model's other
variables, evaluated when the run starts.

A formula is JSON: a number, ``{"ref": py_name}`` (a control or a constant), ``{"ops": [...],
"args": [formula, ...]}`` (an arithmetic chain in the model's own order, ``^`` grouping from the
right), ``{"fn": name, "args": [formula, ...]}`` (a function of :data:`CONTROL_FUNCTIONS`) or
``{"logic": [op, ...], "args": [formula, ...]}`` (a chain of comparisons, ``:NOT:`` of one
argument, or a chain of ``:AND:`` or of ``:OR:``: 1.0 or 0.0).

A control whose formula reads ``{"ref": "time"}``, directly or through another control, changes
over the run (``TIME STEP = IF THEN ELSE(Time < 10, 1, 0.25)``): :func:`varying` names them, and
the time grid evaluates them at each time with :func:`controls_at`, as PySD's ``Time`` object
calls its control variables at every step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["CONTROL_FUNCTIONS", "LOGIC_OPERATORS", "controls_at", "derive_controls", "evaluate",
           "fold_arithmetic", "reads", "varying"]

#: Functions a control variable's expression may call (PySD's name -> number of arguments),
#: evaluated as PySD's runtime does (``pysd/builders/python/python_functions.py``: numpy's
#: ``minimum``, ``maximum``, ``abs``, ``exp``, ``sqrt``, ``log``; ``functions.integer`` is
#: ``int(x)``).
CONTROL_FUNCTIONS: dict[str, int] = {
    "min": 2, "max": 2, "abs": 1, "integer": 1, "exp": 1, "sqrt": 1, "ln": 1,
    "if_then_else": 3,
}

#: Comparisons a control variable's expression may use, as the kernel writes them.
_COMPARE = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}
#: Logical operators of a control variable's expression (a chain of comparisons, ``:NOT:``,
#: a chain of ``:AND:`` or of ``:OR:``).
LOGIC_OPERATORS = frozenset({*_COMPARE, ":NOT:", ":AND:", ":OR:"})


def _call(name: str, args: list[float]) -> float:
    if name == "min":
        return float(np.minimum(args[0], args[1]))
    if name == "max":
        return float(np.maximum(args[0], args[1]))
    if name == "if_then_else":
        return args[1] if args[0] != 0 else args[2]
    if name == "integer":
        return float(int(args[0])) if math.isfinite(args[0]) else math.nan
    with np.errstate(all="ignore"):
        fn = {"abs": np.abs, "exp": np.exp, "sqrt": np.sqrt, "ln": np.log}[name]
        return float(fn(args[0]))


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


def _logic(ops: list[str], args: list[float]) -> float:
    """A chain of comparisons (``a < b < c`` is ``a < b and b < c``, as the kernel writes it),
    ``:NOT:`` of one argument, or a chain of ``:AND:`` or of ``:OR:``, as 1.0 or 0.0.

    >>> _logic(["<"], [1.0, 2.0]), _logic([":NOT:"], [0.0]), _logic([":AND:", ":AND:"], [1.0, 1.0, 0.0])
    (1.0, 1.0, 0.0)
    """
    if ops == [":NOT:"]:
        return float(not args[0])
    if all(op in _COMPARE for op in ops):
        return float(all(_COMPARE[op](a, b) for op, a, b in zip(ops, args[:-1], args[1:], strict=True)))
    if set(ops) == {":AND:"}:
        return float(all(a != 0 for a in args))
    if set(ops) == {":OR:"}:
        return float(any(a != 0 for a in args))
    raise ValueError(f"logical operators {ops!r} in a control variable")


def evaluate(formula: Any, values: Mapping[str, float]) -> float | None:
    """Value of ``formula``; ``None`` while a control it reads has no value yet.

    Examples
    --------
    >>> evaluate({"ops": ["*"], "args": [{"ref": "time_step"}, 2.0]}, {"time_step": 0.25})
    0.5
    >>> evaluate({"ref": "time_step"}, {}) is None
    True
    >>> evaluate({"fn": "max", "args": [{"ref": "horizon"}, 5.0]}, {"horizon": 8.0})
    8.0
    """
    if isinstance(formula, dict) and "ref" in formula:
        value = values.get(formula["ref"])
        return None if value is None else float(value)
    if isinstance(formula, dict):
        args = [evaluate(a, values) for a in formula["args"]]
        if any(a is None for a in args):
            return None
        if "fn" in formula:
            return _call(formula["fn"], args)  # type: ignore[arg-type]
        if "logic" in formula:
            return _logic(list(formula["logic"]), args)  # type: ignore[arg-type]
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
    """``values`` with every control not in ``given`` whose formula reads other controls or
    constants computed again from them (after the ones it reads). ``values`` holds the
    controls and the values of the constants the formulas read.

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


def varying(formulas: Mapping[str, Any]) -> set[str]:
    """The controls whose formula reads Time, directly or through another control.

    Examples
    --------
    >>> sorted(varying({"time_step": {"fn": "if_then_else", "args": [
    ...     {"logic": ["<"], "args": [{"ref": "time"}, 2.0]}, 0.5, 0.25]},
    ...     "saveper": {"ref": "time_step"}, "final_time": {"ref": "horizon"}}))
    ['saveper', 'time_step']
    """
    out = {name for name, f in formulas.items() if "time" in reads(f)}
    for _ in range(len(formulas)):
        out |= {name for name, f in formulas.items() if reads(f) & out}
    return out


def controls_at(formulas: Mapping[str, Any], values: Mapping[str, float], given: Iterable[str],
                time: float) -> dict[str, float]:
    """The controls at ``time``: :func:`derive_controls` with Time set (``values`` as there).

    >>> f = {"time_step": {"fn": "if_then_else", "args": [
    ...     {"logic": ["<"], "args": [{"ref": "time"}, 2.0]}, 0.5, 0.25]}}
    >>> [controls_at(f, {"time_step": 0.5}, (), t)["time_step"] for t in (0.0, 2.0)]
    [0.5, 0.25]
    """
    out = derive_controls(formulas, {**values, "time": float(time)}, given)
    out.pop("time")
    return out
