"""Dimensional consistency of a model's equations, from its Vensim unit strings (pint).

Every word of a unit string (``FTE``, ``Patients``, ``GBPbn``, ``Year`` ...) is its own base unit
in a fresh :class:`pint.UnitRegistry`, so ``Hours/Year`` is not silently reduced to a number: the
check is about the model's own dimensions. Each equation's right-hand side gets its units from the
declared units of the variables it reads; a mismatch with the element's own declared units, or
between the two sides of ``+``, ``-``, ``MIN``, ``MAX`` or a comparison, is reported with both sides.

Rules: literal numbers are dimensionless factors but adapt to the other side of ``+``/``-``
(``1 - share``); ``EXP``/``LN`` take dimensionless arguments; ``POWER(x, n)`` needs a dimensionless
``x`` unless ``n`` is a literal; ``INTEG(flow, init)`` needs ``flow`` in units per time unit;
``SMOOTH*``/``DELAY*`` and ``INITIAL`` keep their input's units; ``STEP(h, t)`` has the units of h.

Examples
--------
>>> from sdmodels.units import parse_units
>>> str(parse_units("GBPbn/Year [0,10]").units)
'GBPbn / Year'
>>> parse_units("Dmnl").dimensionless
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sdmodels._common import LazyModule

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

# pint (which imports dask) is loaded by the first unit check, not by ``sdmodels --help``
pint = LazyModule("pint")

__all__ = ["UnitIssue", "check_units", "parse_units"]



@lru_cache(maxsize=1)
def _reg() -> Any:
    """The unit registry, made on first use (pint takes seconds to import, with dask)."""
    return pint.UnitRegistry(None)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIMENSIONLESS = {"dmnl", "dimensionless", "1", ""}
TIME_UNIT = "Year"


@dataclass(frozen=True)
class UnitIssue:
    """One inconsistent equation: where, what, and the units of both sides."""

    variable: str
    message: str
    left: str
    right: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.message}: {self.left} vs {self.right}"


class _Any:
    """A literal number: dimensionless in products, adapts to the other side of a sum."""


ANY = _Any()


def parse_units(text: str) -> pint.Quantity:
    """Units of a Vensim units field (the ``[min,max]`` range is ignored)."""
    body = text.split("[", 1)[0].strip()
    if body.lower() in _DIMENSIONLESS:
        return _reg().Quantity(1)
    for word in set(_WORD.findall(body)):
        if word.lower() == "dmnl":
            body = re.sub(rf"\b{word}\b", "1", body)
            continue
        if word not in _reg():
            _reg().define(f"{word} = [{word}]")
    return _reg().Quantity(1, _reg().parse_units(body)) if body not in ("", "1") else _reg().Quantity(1)


def _same(a: Any, b: Any) -> bool:
    if a is ANY or b is ANY:
        return True
    return (a / b).to_reduced_units().dimensionless and (a / b).units == _reg().Quantity(1).units


def _unit_text(q: Any) -> str:
    if q is ANY:
        return "number"
    return "dimensionless" if q.dimensionless else f"{q.units:~}"


class _Checker:
    def __init__(self, model: Model) -> None:
        self.units: dict[str, Any] = {}
        for py, info in model.variables.items():
            self.units[py] = parse_units(info.units) if info.units else ANY
        for t in ("time", "initial_time", "final_time", "time_step", "saveper"):
            self.units[t] = parse_units(TIME_UNIT)
        self.issues: list[UnitIssue] = []
        self.var = ""

    def issue(self, message: str, left: Any, right: Any) -> None:
        self.issues.append(UnitIssue(self.var, message, _unit_text(left), _unit_text(right)))

    def need(self, a: Any, b: Any, message: str) -> Any:
        if not _same(a, b):
            self.issue(message, a, b)
        return b if a is ANY else a

    def visit(self, node: Any) -> Any:
        if isinstance(node, (int, float)):
            return ANY
        name = type(node).__name__
        method = getattr(self, "v_" + name, None)
        if method is None:
            return ANY  # a construct without a unit rule is not judged
        return method(node)

    def v_ReferenceStructure(self, node: Any) -> Any:
        return self.units.get(node.reference, ANY)

    def v_ArithmeticStructure(self, node: Any) -> Any:
        args = [self.visit(a) for a in node.arguments]
        ops = list(node.operators)
        if len(args) == 1:
            return args[0]
        out = args[0]
        for op, raw, arg in zip(ops, node.arguments[1:], args[1:], strict=False):
            if op in ("+", "-"):
                out = self.need(out, arg, f"'{op}' of different units")
            elif op in ("*", "/"):
                a = _reg().Quantity(1) if out is ANY else out
                b = _reg().Quantity(1) if arg is ANY else arg
                out = a * b if op == "*" else a / b
            elif op == "^":
                out = self._power(out, raw, arg)
        return out

    def _power(self, base: Any, exponent_node: Any, exponent: Any) -> Any:
        if isinstance(exponent_node, (int, float)):
            return base if base is ANY else base ** float(exponent_node)
        if exponent is not ANY and not exponent.dimensionless:
            self.issue("exponent with units", exponent, _reg().Quantity(1))
        if base is not ANY and not base.dimensionless:
            self.issue("power of a quantity with units to a variable exponent", base,
                       _reg().Quantity(1))
        return _reg().Quantity(1)

    def v_LogicStructure(self, node: Any) -> Any:
        args = [self.visit(a) for a in node.arguments]
        if any(op in ("=", "<>", "<", "<=", ">", ">=") for op in node.operators):
            self.need(args[0], args[-1], "comparison of different units")
        return _reg().Quantity(1)

    def v_CallStructure(self, node: Any) -> Any:
        fn = getattr(node.function, "reference", str(node.function)).lower()
        args = [self.visit(a) for a in node.arguments]
        one = _reg().Quantity(1)
        if fn in ("exp", "ln", "log", "sin", "cos", "tan", "tanh"):
            for a in args:
                self.need(a, one, f"{fn.upper()} of a quantity with units")
            return one
        if fn in ("min", "max"):
            return self.need(args[0], args[1], f"{fn.upper()} of different units")
        if fn in ("abs", "integer"):
            return args[0]
        if fn == "sqrt":
            return args[0] if args[0] is ANY else args[0] ** 0.5
        if fn == "power":
            return self._power(args[0], node.arguments[1], args[1])
        if fn in ("xidz", "zidz"):
            a = one if args[0] is ANY else args[0]
            b = one if args[1] is ANY else args[1]
            ratio = a / b
            if fn == "xidz":
                self.need(ratio, args[2], "XIDZ fallback in other units than the ratio")
            return ratio
        if fn == "step":
            self.need(args[1], self.units["time"], "STEP time")
            return args[0]
        return ANY

    def v_IntegStructure(self, node: Any) -> Any:
        own = self.units.get(self.py, ANY)
        flow = self.visit(node.flow)
        init = self.visit(node.initial)
        if own is not ANY:
            self.need(flow, own / self.units["time"], "INTEG flow not in units per time")
            self.need(init, own, "INTEG initial value")
        return own

    def v_SmoothStructure(self, node: Any) -> Any:
        x = self.visit(node.input)
        self.need(self.visit(node.smooth_time), self.units["time"], "smoothing time")
        return x

    def v_InitialStructure(self, node: Any) -> Any:
        return self.visit(node.initial)

    def element(self, py: str, name: str, ast: Any) -> None:
        self.var, self.py = name, py
        rhs = self.visit(ast)
        own = self.units.get(py, ANY)
        if type(ast).__name__ != "IntegStructure":
            self.need(own, rhs, "declared units differ from the equation's")


def check_units(model: Model) -> list[UnitIssue]:
    """Every dimensional inconsistency of ``model``'s equations (empty when consistent).

    Raises
    ------
    pint.UndefinedUnitError
        Never for unit words: every word becomes its own base unit.
    """
    checker = _Checker(model)
    for section in model.abstract.sections:
        for element in section.elements:
            for comp in element.components:
                py = model.resolve(element.name) if element.name not in ("Time",) else "time"
                if py in ("initial_time", "final_time", "time_step", "saveper"):
                    continue
                checker.element(py, element.name, comp.ast)
    return checker.issues
