"""AST node -> numba expression.

:class:`ExpressionVisitor` has one method per structure class of
``pysd.translators.structures.abstract_expressions``. It returns an
:class:`Expr`: source text built only from sanitised identifiers, helper names
from :mod:`sdmodels.compiler._support`, operators and numbers written with
``repr(float(x))``. Model text is never evaluated.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.compiler._allocation import allocate_available, allocate_by_priority
from sdmodels.compiler._dependencies import bang_ranges
from sdmodels.compiler._errors import UnsupportedFeature
from sdmodels.compiler._random import RANDOM_FUNCTIONS, RandomSites, pysd_implements, random_code
from sdmodels.compiler._subscripts import SubscriptError
from sdmodels.compiler._vectors import VECTOR_FUNCTIONS, subscript_value

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler._builder import ModelBuilder
    from sdmodels.compiler._translate import ElementInfo

#: PySD's expression structures, loaded when a model is compiled.
_ae = LazyModule("pysd.translators.structures.abstract_expressions")

__all__ = ["FUNCTIONS", "Context", "Expr", "ExpressionVisitor", "number"]


@dataclass(frozen=True)
class Expr:
    """Generated expression text, its type (``"f"`` float, ``"b"`` bool) and the names it reads."""

    code: str
    kind: str
    deps: frozenset[str]

    def as_float(self) -> str:
        return f"(1.0 if {self.code} else 0.0)" if self.kind == "b" else self.code

    def as_bool(self) -> str:
        return self.code if self.kind == "b" else f"({self.code} != 0.0)"


@dataclass(frozen=True)
class Context:
    """Where an expression is being generated."""

    element: ElementInfo
    env: dict[str, str]  # subscript range written on the left -> coordinate of this cell
    mode: str  # "run" or "init" (ACTIVE INITIAL, stateful initial values)
    cell: tuple[str, ...] = ()

    def with_mode(self, mode: str) -> Context:
        return replace(self, mode=mode)


def number(x: Any) -> str:
    """Source text of a number: ``repr(float(x))``, parenthesised when negative.

    Examples
    --------
    >>> number(3), number(-0.5), number(float("inf"))
    ('3.0', '(-0.5)', 'math.inf')
    """
    value = float(x)
    if math.isnan(value):
        return "math.nan"
    if math.isinf(value):
        return "math.inf" if value > 0 else "(-math.inf)"
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _negative_literal(ast: Any) -> bool:
    return (
        isinstance(ast, (int, float, np.integer, np.floating))
        and not isinstance(ast, (bool, np.bool_))
        and float(ast) < 0
    )


def _and_or(ops: list[str], args: list[str]) -> str:
    """``a :AND: b :OR: c`` with :AND: binding more tightly than :OR:, as Vensim and XMILE define.

    PySD nests a chain of logical operators from the right whatever the
    operators (``a AND (b OR c)``); the two readings differ only in chains
    that mix :AND: and :OR: without parentheses (see docs/compiler.md).

    Examples
    --------
    >>> _and_or([":AND:", ":OR:"], ["a", "b", "c"])
    '((a and b) or c)'
    >>> _and_or([":OR:", ":AND:"], ["a", "b", "c"])
    '(a or (b and c))'
    """
    terms: list[str] = [args[0]]
    for op, arg in zip(ops, args[1:], strict=True):
        if op == ":AND:":
            terms[-1] = f"({terms[-1]} and {arg})"
        else:
            terms.append(arg)
    if len(terms) == 1:
        return terms[0]
    return "(" + " or ".join(terms) + ")"


def _join(*exprs: Expr) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for e in exprs:
        out = out | e.deps
    return out


# name -> (number of arguments, template over float arguments, reads time/time step)
FUNCTIONS: dict[str, tuple[tuple[int, ...], str, bool]] = {
    "abs": ((1,), "abs({0})", False),
    "exp": ((1,), "np.exp({0})", False),
    "ln": ((1,), "np.log({0})", False),
    "log": ((2,), "f_log({0}, {1})", False),
    "sqrt": ((1,), "np.sqrt({0})", False),
    "sin": ((1,), "np.sin({0})", False),
    "cos": ((1,), "np.cos({0})", False),
    "tan": ((1,), "np.tan({0})", False),
    "arcsin": ((1,), "np.arcsin({0})", False),
    "arccos": ((1,), "np.arccos({0})", False),
    "arctan": ((1,), "np.arctan({0})", False),
    "sinh": ((1,), "np.sinh({0})", False),
    "cosh": ((1,), "np.cosh({0})", False),
    "tanh": ((1,), "np.tanh({0})", False),
    "power": ((2,), "({0} ** {1})", False),
    "min": ((2,), "f_min({0}, {1})", False),
    "max": ((2,), "f_max({0}, {1})", False),
    "integer": ((1,), "f_integer({0})", False),
    "modulo": ((2,), "f_modulo({0}, {1})", False),
    "quantum": ((2,), "f_quantum({0}, {1})", False),
    "xidz": ((3,), "f_xidz({0}, {1}, {2})", False),
    "zidz": ((2,), "f_zidz({0}, {1})", False),
    "step": ((2,), "f_step(time, {ts}, {0}, {1})", True),
    "ramp": ((3,), "f_ramp(time, {0}, {1}, {2})", True),
    "Xramp": ((2,), "f_ramp_open(time, {0}, {1})", True),
    "pulse": ((2,), "f_pulse(time, {0}, {1})", True),
    # PySD passes PULSE TRAIN(start, width, interval, end) as (start, interval, width, end)
    "pulse_train": ((4,), "f_pulse_train(time, {0}, {1}, {2}, {3}, 1.0)", True),
    "Xpulse": ((2,), "f_pulse_magnitude(time, {ts}, {0}, {1}, 0.0)", True),
    "Xpulse_train": ((3,), "f_pulse_magnitude(time, {ts}, {0}, {2}, {1})", True),
}

#: SUM, PROD, VMIN, VMAX: jitted step and start value. PySD reduces with xarray, which
#: skips NaN: a NaN cell counts as 0 in SUM, 1 in PROD and is ignored by VMIN/VMAX
#: (NaN only when every cell is NaN).
_VECTOR = {
    "sum": ("f_nan_add", "0.0"),
    "prod": ("f_nan_mul", "1.0"),
    "vmin": ("f_nan_min", "math.nan"),
    "vmax": ("f_nan_max", "math.nan"),
}


def vector_code(fname: str, terms: list[str]) -> str:
    """Reduce ``terms`` as PySD's SUM/PROD/VMIN/VMAX do (NaN skipped), left to right.

    Examples
    --------
    >>> vector_code("sum", ["a", "b"])
    'f_nan_add(f_nan_add(0.0, a), b)'
    >>> vector_code("vmin", ["a"])
    'f_nan_min(math.nan, a)'
    """
    step, start = _VECTOR[fname]
    code = start
    for term in terms:
        code = f"{step}({code}, {term})"
    return code

#: Why a function that neither engine runs has no compiled version (shown in the error).
_NOT_IN_PYSD = {
    "random_gamma": "Vensim's documentation names its order (the shape) but not its scale "
    "(1, or 1/order for a mean of 1), and a guess would be a silent wrong answer",
}


#: Calls with a method of their own in :class:`ExpressionVisitor`.
_SPECIAL = {
    "if_then_else": "_if_then_else",
    "active_initial": "_active_initial",
    "vmin_xmile": "_xmile_min",
    "vmax_xmile": "_xmile_max",
    "elmcount": "_elmcount",
    "get_time_value": "_get_time_value",
}

_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "+", "-": "-", "*": "*", "/": "/", "^": "**"}


class ExpressionVisitor:
    """Generate the expression of one cell of one element."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.builder = builder
        self.random_sites = RandomSites()

    # -- entry point ---------------------------------------------------------------
    def visit(self, node: Any, ctx: Context) -> Expr:
        if isinstance(node, (bool, np.bool_)):
            return Expr("True" if node else "False", "b", frozenset())
        if isinstance(node, (int, float, np.integer, np.floating)):
            return Expr(number(node), "f", frozenset())
        if isinstance(node, np.ndarray):
            if node.size == 1:
                return Expr(number(node.ravel()[0]), "f", frozenset())
            self.unsupported("an array literal inside an expression", ctx)
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            self.unsupported(_feature_name(node), ctx)
        return method(node, ctx)

    def unsupported(self, what: str, ctx: Context, detail: str = "") -> None:
        raise UnsupportedFeature(what, ctx.element.name, self.builder.file, detail)

    # -- operators -----------------------------------------------------------------
    def visit_ArithmeticStructure(self, node: Any, ctx: Context) -> Expr:
        args = [self.visit(a, ctx) for a in node.arguments]
        ops = list(node.operators)
        if len(args) == 1:
            if ops and ops[0] == "negative":
                return Expr(f"(-{args[0].as_float()})", "f", args[0].deps)
            if not ops or ops[0] == "+":
                return args[0]
            self.unsupported(f"unary operator {ops[0]!r}", ctx)
        for op in ops:
            if op not in _ARITH:
                self.unsupported(f"operator {op!r}", ctx)
        if all(op == "^" for op in ops):
            # Python (and so PySD) evaluates a ** b ** c from the right. Unary minus
            # binds less tightly than ^ (-a^2 = -(a^2)): the translator wraps
            # references in a negation above the power, but folds the sign into a
            # literal (-2^2 arrives as (-2)^2), which PySD writes as -2**2 = -(2**2).
            code = args[-1].as_float()
            for ast, arg in zip(reversed(node.arguments[:-1]), reversed(args[:-1]), strict=True):
                if _negative_literal(ast):
                    code = f"(-({number(-float(ast))} ** {code}))"
                else:
                    code = f"({arg.as_float()} ** {code})"
        else:
            code = args[0].as_float()
            for op, arg in zip(ops, args[1:], strict=True):
                code = f"({code} {_ARITH[op]} {arg.as_float()})"
        return Expr(code, "f", _join(*args))

    def visit_LogicStructure(self, node: Any, ctx: Context) -> Expr:
        args = [self.visit(a, ctx) for a in node.arguments]
        ops = list(node.operators)
        if len(args) == 1:
            if ops == [":NOT:"]:
                return Expr(f"(not {args[0].as_bool()})", "b", args[0].deps)
            self.unsupported(f"unary operator {ops[0]!r}", ctx)
        if all(op in _COMPARE for op in ops):
            # chained comparisons, as Python evaluates PySD's 'a < b < c'
            parts = [
                f"({left.as_float()} {_COMPARE[op]} {right.as_float()})"
                for op, left, right in zip(ops, args[:-1], args[1:], strict=True)
            ]
            code = parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"
            return Expr(code, "b", _join(*args))
        if all(op in (":AND:", ":OR:") for op in ops):
            return Expr(_and_or(ops, [a.as_bool() for a in args]), "b", _join(*args))
        self.unsupported("mixed logical operators " + " ".join(ops), ctx)
        raise AssertionError  # pragma: no cover

    # -- references ----------------------------------------------------------------
    def visit_ReferenceStructure(self, node: Any, ctx: Context) -> Expr:
        if node.reference == "time":
            return Expr("time", "f", frozenset({"time"}))
        if node.reference not in self.builder.clean_to_py and node.subscripts is None:
            value = subscript_value(self.builder.resolver, node.reference, ctx.env)
            if value is not None:  # a subscript range or element used as a value
                return Expr(number(value), "f", frozenset())
        target = self.builder.element_of(node.reference, ctx)
        if target.kind == "lookup":
            self.unsupported(f"lookup {target.name!r} used without an argument", ctx)
        subs = None if node.subscripts is None else list(node.subscripts.subscripts)
        try:
            cell = self.builder.resolver.resolve(target.dims, subs, ctx.env)
        except SubscriptError as exc:
            self.unsupported(f"subscript reference to {target.name!r}", ctx, str(exc))
        name = self.builder.cell_name(target, cell)
        return Expr(name, "f", frozenset({name}))

    # -- calls ---------------------------------------------------------------------
    def visit_CallStructure(self, node: Any, ctx: Context) -> Expr:
        fname = node.function.reference
        if fname in self.builder.clean_to_py:
            target = self.builder.element_of(fname, ctx)
            if target.kind == "lookup":
                return self._lookup_call(target, node, ctx)
        if fname in _VECTOR:
            return self._vector(fname, node, ctx)
        if fname in _SPECIAL:
            return getattr(self, _SPECIAL[fname])(node, ctx)
        if fname in RANDOM_FUNCTIONS:
            return self._random(fname, node, ctx)
        if fname in VECTOR_FUNCTIONS:  # sdmodels.compiler._vectors
            code, deps = VECTOR_FUNCTIONS[fname](self, node, ctx)
            return Expr(code, "f", deps)
        if fname == "pi" and not node.arguments:
            return Expr("np.pi", "f", frozenset())
        if fname in FUNCTIONS:
            return self._function(fname, node, ctx)
        shown = fname.removeprefix("X").upper().replace("_", " ")
        if not pysd_implements(fname):
            raise UnsupportedFeature(shown, ctx.element.name, self.builder.file,
                                     _NOT_IN_PYSD.get(fname, ""), pysd_runs=False)
        self.unsupported(shown, ctx)
        raise AssertionError  # pragma: no cover

    def _function(self, fname: str, node: Any, ctx: Context) -> Expr:
        """A plain function of :data:`FUNCTIONS`: its template over the arguments."""
        nargs, template, uses_time = FUNCTIONS[fname]
        args = self._args(node, ctx, nargs[0], fname)
        deps = _join(*args)
        fmt = {}
        if uses_time:
            ts = self.builder.control_name("time_step")
            fmt["ts"] = ts
            deps = deps | {"time", ts}
        code = template.format(*(a.as_float() for a in args), **fmt)
        return Expr(code, "f", deps)

    def _if_then_else(self, node: Any, ctx: Context) -> Expr:
        cond, yes, no = self._args(node, ctx, 3, "if_then_else")
        code = f"({yes.as_float()} if {cond.as_bool()} else {no.as_float()})"
        return Expr(code, "f", _join(cond, yes, no))

    def _active_initial(self, node: Any, ctx: Context) -> Expr:
        if len(node.arguments) != 2:
            self.unsupported("ACTIVE INITIAL with other than 2 arguments", ctx)
        arg = node.arguments[1] if ctx.mode == "init" else node.arguments[0]
        return self.visit(arg, ctx)

    def _xmile_min(self, node: Any, ctx: Context) -> Expr:
        return self._xmile_extremum("vmin", node, ctx)

    def _xmile_max(self, node: Any, ctx: Context) -> Expr:
        return self._xmile_extremum("vmax", node, ctx)

    def _args(self, node: Any, ctx: Context, n: int, fname: str) -> list[Expr]:
        if len(node.arguments) != n:
            self.unsupported(
                f"{fname.upper()} with {len(node.arguments)} arguments (expected {n})", ctx
            )
        return [self.visit(a, ctx) for a in node.arguments]

    def _vector(self, fname: str, node: Any, ctx: Context) -> Expr:
        if len(node.arguments) != 1:
            self.unsupported(f"{fname.upper()} with {len(node.arguments)} arguments", ctx)
        arg = node.arguments[0]
        ranges = bang_ranges(arg)
        if not ranges:
            self.unsupported(f"{fname.upper()} without a 'range!' subscript", ctx)
        resolver = self.builder.resolver
        terms = []
        for coords in itertools.product(*(resolver.values(r) for r in ranges)):
            env = dict(ctx.env)
            env.update(zip(ranges, coords, strict=True))
            terms.append(self.visit(arg, replace(ctx, env=env)))
        return Expr(vector_code(fname, [t.as_float() for t in terms]), "f", _join(*terms))

    def _random(self, fname: str, node: Any, ctx: Context) -> Expr:
        """A random function: a counter-based draw (see :mod:`sdmodels.compiler._random`)."""
        counts = RANDOM_FUNCTIONS[fname][0]
        if len(node.arguments) not in counts:
            self.unsupported(f"{fname.upper().replace('_', ' ')} with {len(node.arguments)} arguments",
                             ctx, f"expected {' or '.join(map(str, counts))}")
        if fname == "random_lookup":
            table = self._lookup_argument(node.arguments[0], ctx, "RANDOM LOOKUP")
            args = [self.visit(a, ctx) for a in node.arguments[1:]]
            values = [table.x_name, table.y_name, *(a.as_float() for a in args)]
        else:
            args = [self.visit(a, ctx) for a in node.arguments]
            values = [a.as_float() for a in args]
        site = self.random_sites.site(ctx.element.py_name, ctx.cell, node)
        code = random_code(fname, site, ctx.mode, values)
        # a fresh draw at every step, as PySD's random calls depend on time
        return Expr(code, "f", _join(*args) | {"time"})

    def _lookup_argument(self, arg: Any, ctx: Context, function: str) -> Any:
        """The table of a lookup named as an argument (RANDOM LOOKUP's first)."""
        name = getattr(arg, "reference", None)
        target = None
        if type(arg).__name__ == "ReferenceStructure" and name in self.builder.clean_to_py:
            target = self.builder.element_of(name, ctx)
        if target is None or target.kind != "lookup":
            self.unsupported(f"{function} whose first argument is not the name of a lookup", ctx)
        return self._lookup_table(target, arg, ctx)

    def _lookup_table(self, target: ElementInfo, reference: Any, ctx: Context) -> Any:
        """The table of lookup ``target`` in the cell its ``reference`` (with subscripts) names."""
        subs = None if reference.subscripts is None else list(reference.subscripts.subscripts)
        try:
            cell = self.builder.resolver.resolve(target.dims, subs, ctx.env)
        except SubscriptError as exc:
            self.unsupported(f"subscript reference to lookup {target.name!r}", ctx, str(exc))
        return self.builder.lookups.table_of(target, cell, ctx)

    def _elmcount(self, node: Any, ctx: Context) -> Expr:
        """ELMCOUNT(range): the number of elements of a subscript range (PySD: ``len``)."""
        arg = node.arguments[0] if len(node.arguments) == 1 else None
        name = getattr(arg, "reference", None)
        ranges = {k.lower().replace(" ", "_"): k for k in self.builder.resolver.subscripts}
        if name is None or name not in ranges:
            self.unsupported("ELMCOUNT of something other than a subscript range", ctx)
        return Expr(number(len(self.builder.resolver.subscripts[ranges[name]])), "f", frozenset())

    def _get_time_value(self, node: Any, ctx: Context) -> Expr:
        """GET TIME VALUE(relativeto, offset, measure) in the forms PySD computes reproducibly.

        PySD (``pysd.py_backend.functions.get_time_value``) implements ``relativeto`` 0 (the
        simulation time) with ``measure`` 0 (units of Time): ``Time + offset``, for any offset
        (subscripted, changing over time). Compiled here, as is ``relativeto`` 1 with
        ``measure`` 0, ``INITIAL TIME + offset`` (Vensim's fn_get_time_value: "relative to the
        current, initial or clock time offset by the specified amount"), which PySD does not
        implement (checked by hand). The other forms are refused:

        * ``relativeto`` 0 or 1 with ``measure`` 1-10 (year, quarter, month, day, ...): they
          count from the date labelling of Time set in Vensim's time bounds settings, which the
          model file does not carry; PySD raises NotImplementedError for them.
        * ``relativeto`` 2 (the computer's clock; ``measure`` 1-10, year to second): PySD reads
          ``datetime.now()`` at every evaluation, so its result depends on the date and, for
          hours, minutes and seconds, on the moment of each step: not reproducible.
        """
        if len(node.arguments) != 3:
            self.unsupported("GET TIME VALUE with other than 3 arguments", ctx)
        relativeto, offset, measure = node.arguments
        literal = (int, float, np.integer, np.floating)
        if not (isinstance(relativeto, literal) and isinstance(measure, literal)):
            self.unsupported("GET TIME VALUE with relativeto or measure not a number", ctx,
                             "give both as numbers (0, offset, 0 is model time plus offset)")
        rel, meas = float(relativeto), float(measure)
        if rel == 2:
            self.unsupported("GET TIME VALUE of the computer clock (relativeto 2)", ctx,
                             "PySD reads the clock at every step, so its result depends on "
                             "when the model runs and cannot be reproduced; write the value as "
                             "a constant (current year = 2026), which a run can override")
        if rel in (0, 1) and meas != 0:
            # PySD raises NotImplementedError for them: falling back would only fail mid-run
            raise UnsupportedFeature(
                f"GET TIME VALUE({relativeto:g}, offset, {measure:g})", ctx.element.name,
                self.builder.file,
                "calendar measures need the model's date labelling of Time (Vensim's time "
                "bounds settings), which the model file does not give (PySD computes measure 0 "
                "only: model time plus offset); compute the calendar value from Time in the "
                "model's own equations",
                pysd_runs=False)
        if rel not in (0, 1):
            self.unsupported(f"GET TIME VALUE with relativeto {relativeto:g}", ctx,
                             "relativeto is 0, 1 or 2")
        off = self.visit(offset, ctx)
        if rel == 1:  # the initial time plus offset (Vensim); PySD raises NotImplementedError
            start = self.builder.control_name("initial_time")
            return Expr(f"({start} + {off.as_float()})", "f", off.deps | {start})
        return Expr(f"(time + {off.as_float()})", "f", off.deps | {"time"})

    def _xmile_extremum(self, fname: str, node: Any, ctx: Context) -> Expr:
        """XMILE one-argument MIN/MAX: the extremum over every cell of an array (PySD's vmin/vmax)."""
        arg = node.arguments[0] if len(node.arguments) == 1 else None
        if not isinstance(arg, _ae.ReferenceStructure) or arg.reference == "time":
            self.unsupported(f"one-argument {fname[1:].upper()} of an expression", ctx,
                             "give it the name of an array variable")
        target = self.builder.element_of(arg.reference, ctx)
        subs = None if arg.subscripts is None else list(arg.subscripts.subscripts)
        if subs is not None and [s.rstrip("!") for s in subs] != list(target.dims):
            self.unsupported(f"one-argument {fname[1:].upper()} over part of an array", ctx)
        names = [self.builder.cell_name(target, cell)
                 for cell in self.builder.resolver.element_cells(target.dims)]
        return Expr(vector_code(fname, names), "f", frozenset(names))

    def _lookup_call(self, target: ElementInfo, node: Any, ctx: Context) -> Expr:
        if len(node.arguments) != 1:
            self.unsupported(f"lookup {target.name!r} called with {len(node.arguments)} arguments", ctx)
        x = self.visit(node.arguments[0], ctx)
        table = self._lookup_table(target, node.function, ctx)
        return Expr(table.call(x.as_float()), "f", x.deps)

    def visit_InlineLookupsStructure(self, node: Any, ctx: Context) -> Expr:
        x = self.visit(node.argument, ctx)
        table = self.builder.lookups.inline(node.lookups, ctx)
        return Expr(table.call(x.as_float()), "f", x.deps)

    # -- stateful structures ---------------------------------------------------------
    def _stateful(self, node: Any, ctx: Context) -> Expr:
        return self.builder.statefuls.output(node, ctx)

    visit_IntegStructure = _stateful
    visit_InitialStructure = _stateful
    visit_SmoothStructure = _stateful
    visit_SmoothNStructure = _stateful
    visit_DelayStructure = _stateful
    visit_DelayNStructure = _stateful
    visit_DelayFixedStructure = _stateful
    visit_TrendStructure = _stateful
    visit_ForecastStructure = _stateful
    visit_SampleIfTrueStructure = _stateful

    def visit_GameStructure(self, node: Any, ctx: Context) -> Expr:
        """GAME(x): ``x`` (Vensim passes the input through when not gaming; PySD does the same)."""
        return self.visit(node.expression, ctx)

    # -- allocation (sdmodels.compiler._allocation) -------------------------------------
    def visit_AllocateByPriorityStructure(self, node: Any, ctx: Context) -> Expr:
        code, deps = allocate_by_priority(self, node, ctx)
        return Expr(code, "f", deps)

    def visit_AllocateAvailableStructure(self, node: Any, ctx: Context) -> Expr:
        code, deps = allocate_available(self, node, ctx)
        return Expr(code, "f", deps)

    # -- external data -----------------------------------------------------------------
    def visit_GetDataStructure(self, node: Any, ctx: Context) -> Expr:
        if ctx.element.external is None:
            self.unsupported("GET DATA mixed with other definitions", ctx)
        table = self.builder.lookups.data(ctx)
        return Expr(table.call("time"), "f", frozenset({"time"}))

    def visit_DataStructure(self, node: Any, ctx: Context) -> Expr:
        """A data variable without an equation: its values from the data files (PySD's TabData)."""
        if ctx.element.external is None:  # pragma: no cover - every data variable is read
            self.unsupported("data variables (:DATA:) without their values", ctx)
        table = self.builder.lookups.data(ctx)
        return Expr(table.call("time"), "f", frozenset({"time"}))


_FEATURE_NAMES = {
    "DataStructure": "data variables (:DATA:)",
    "GetDataStructure": "GET DATA",
    "GetLookupsStructure": "GET LOOKUPS",
    "GetConstantsStructure": "GET CONSTANTS",
    "GameStructure": "GAME",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "LookupsStructure": "a lookup table used as a value",
}


def _feature_name(node: Any) -> str:
    name = type(node).__name__
    return _FEATURE_NAMES.get(name, name.replace("Structure", "") or repr(node))
