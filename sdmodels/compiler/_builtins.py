"""Stateful builtins and lookup tables, expanded into kernel statements.

Each stateful structure (INTEG, INITIAL, SMOOTH*, DELAY*, DELAY FIXED, TREND,
FORECAST, SAMPLE IF TRUE) becomes local state in the kernel plus four kinds of
statements, following ``pysd.py_backend.statefuls``:

* initialisation (in the initialisation order, from initial-mode values),
* an output expression (read by the element that uses the structure),
* derivative statements (from the values at the start of the step),
* update statements (``state + ddt * TIME STEP``; DELAY FIXED and SAMPLE IF
  TRUE replace their state instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmodels.compiler._dependencies import Node
from sdmodels.compiler._errors import UnsupportedFeature
from sdmodels.compiler._expressions import Context, Expr, number
from sdmodels.compiler._text import comment_text
from sdmodels.compiler._translate import as_printed_by_pysd

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler._builder import ModelBuilder
    from sdmodels.compiler._translate import ElementInfo

__all__ = ["LookupRegistry", "LookupTable", "Stateful", "StatefulRegistry"]

_LOOKUP_MODES = {"interpolate": 0, "extrapolate": 1, "hold_backward": 2, "look_forward": 3,
                 "raw": 4}
#: PySD's interpolation of data variables (pysd.py_backend.data.Data.__call__)
_DATA_MODES = {"interpolate": "interpolate", "hold_backward": "hold_backward",
               "look_forward": "look_forward", "raw": "raw"}


@dataclass(frozen=True)
class _Table:
    """x and y of a table read from a data file (not rounded as PySD prints model tables)."""

    x: Any
    y: Any
    type: str = "interpolate"


# ----------------------------------------------------------------------------------
# lookups
# ----------------------------------------------------------------------------------
def lookup_slopes(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``slopes[j]``: the slope of a table's segment from point ``j - 1`` to point ``j`` (0 at
    ``j = 0``), for the kernels' ``f_lookup``.

    Computed once when a kernel is generated, it is the same division that ``f_lookup`` made
    at every call before, so results are unchanged, and the kernel's chain of dependent
    operations loses a division per lookup.

    >>> lookup_slopes(np.array([0.0, 1.0, 3.0]), np.array([1.0, 2.0, 1.0])).tolist()
    [0.0, 1.0, -0.5]
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    out = np.zeros_like(xs)
    out[1:] = (ys[1:] - ys[:-1]) / (xs[1:] - xs[:-1])
    return out


@dataclass
class LookupTable:
    """One lookup table, emitted as three module-level arrays (x, y and segment slopes)."""

    x_name: str
    y_name: str
    x: np.ndarray
    y: np.ndarray
    mode: int
    label: str

    @property
    def s_name(self) -> str:
        return self.x_name[:-1] + "S"

    def slopes(self) -> np.ndarray:
        """The slopes of the table's segments (:func:`lookup_slopes`)."""
        return lookup_slopes(self.x, self.y)

    def call(self, x_code: str) -> str:
        return f"f_lookup({x_code}, {self.x_name}, {self.y_name}, {self.s_name}, {self.mode})"

    def source(self) -> str:
        xs = ", ".join(number(v) for v in self.x)
        ys = ", ".join(number(v) for v in self.y)
        ss = ", ".join(number(v) for v in self.slopes())
        return (
            f"# {comment_text(self.label)}\n"
            f"{self.x_name} = np.array([{xs}])\n"
            f"{self.y_name} = np.array([{ys}])\n"
            f"{self.s_name} = np.array([{ss}])\n"
        )


class LookupRegistry:
    """Lookup tables of the model: named (per cell) and inline (WITH LOOKUP)."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.builder = builder
        self.tables: list[LookupTable] = []
        self._named: dict[tuple[str, tuple[str, ...]], LookupTable] = {}
        self._structures: dict[str, dict[tuple[str, ...], Any]] = {}

    def _make(
        self, structure: Any, label: str, ctx: Context, inline: bool = False, exact: bool = False
    ) -> LookupTable:
        # PySD evaluates inline lookups (WITH LOOKUP, XMILE inline gf) with
        # np.interp whatever their declared type: interpolate, hold the ends
        kind = "interpolate" if inline else getattr(structure, "type", "interpolate")
        if kind not in _LOOKUP_MODES:
            raise UnsupportedFeature(
                f"lookup interpolation {kind!r}", ctx.element.name, self.builder.file
            )
        x = np.asarray(structure.x, dtype=float)
        y = np.asarray(structure.y, dtype=float)
        if not exact:  # tables written in the model: the numbers PySD prints
            x, y = as_printed_by_pysd(x), as_printed_by_pysd(y)
        if exact and np.isnan(y).any():  # missing cells of a data file: PySD drops them
            keep = ~np.isnan(y)
            x, y = x[keep], y[keep]
        if x.shape != y.shape or x.ndim != 1 or x.size == 0:
            raise UnsupportedFeature("a lookup table of this shape", ctx.element.name, self.builder.file)
        if len(set(x.tolist())) != x.size:
            raise UnsupportedFeature(
                "a lookup table with repeated x values", ctx.element.name, self.builder.file
            )
        order = np.argsort(x, kind="stable")
        base = self.builder.namer.make("lk", label)
        table = LookupTable(
            x_name=f"{base.upper()}_X",
            y_name=f"{base.upper()}_Y",
            x=x[order],
            y=y[order],
            mode=_LOOKUP_MODES[kind],
            label=f"lookup {label!r} ({kind})",
        )
        self.tables.append(table)
        return table

    def table_of(self, element: ElementInfo, cell: tuple[str, ...], ctx: Context) -> LookupTable:
        key = (element.py_name, cell)
        if key not in self._named:
            if element.py_name not in self._structures:
                # cell -> table, once per element (the last component defining a cell wins)
                self._structures[element.py_name] = {
                    c_cell: comp.ast
                    for comp in element.components
                    for c_cell, _env, _flat in self.builder.resolver.component_cells(
                        list(comp.subscripts[0]), [list(e) for e in comp.subscripts[1]]
                    )
                }
            structure = self._structures[element.py_name].get(cell)
            if type(structure).__name__ == "GetLookupsStructure" and element.external is not None:
                values = element.external.cell(element.dims, cell)
                label = element.name + ("[" + ",".join(cell) + "]" if cell else "")
                self._named[key] = self._make(
                    _Table(values.coords["lookup_dim"].values, values.values), label, ctx,
                    exact=True,
                )
                return self._named[key]
            if structure is None or type(structure).__name__ != "LookupsStructure":
                raise UnsupportedFeature(
                    f"lookup {element.name!r} (not a table for {cell})",
                    ctx.element.name,
                    self.builder.file,
                )
            label = element.name + ("[" + ",".join(cell) + "]" if cell else "")
            self._named[key] = self._make(structure, label, ctx)
        return self._named[key]

    def data(self, ctx: Context) -> LookupTable:
        """The table over time of a data variable (GET ... DATA) in the cell of ``ctx``."""
        key = ("\0data", ctx.element.py_name, ctx.cell)
        if key not in self._named:
            ext = ctx.element.external
            values = ext.cell(ctx.element.dims, ctx.cell)
            interp = ext.interp_of(ctx.cell).replace(" ", "_")
            if interp not in _DATA_MODES:
                raise UnsupportedFeature(
                    f"data interpolation {interp!r}", ctx.element.name, self.builder.file
                )
            label = ctx.element.name + ("[" + ",".join(ctx.cell) + "]" if ctx.cell else "")
            table = _Table(values.coords["time"].values, values.values, _DATA_MODES[interp])
            self._named[key] = self._make(table, label + " (data)", ctx, exact=True)
        return self._named[key]

    def inline(self, structure: Any, ctx: Context) -> LookupTable:
        key = ("\0inline", ctx.element.py_name, ctx.cell, id(structure))
        if key not in self._named:
            label = ctx.element.name + ("[" + ",".join(ctx.cell) + "]" if ctx.cell else "")
            self._named[key] = self._make(structure, label + " WITH LOOKUP", ctx, inline=True)
        return self._named[key]


# ----------------------------------------------------------------------------------
# statefuls
# ----------------------------------------------------------------------------------
@dataclass
class Stateful:
    """Kernel statements of one stateful structure in one cell."""

    label: str  # e.g. "SMOOTH in 'perceived demand'"
    element: str
    init: Node  # pseudo node "init:<id>" that initialises the state
    out_run: Expr
    out_init: Expr
    deriv: list[str] = field(default_factory=list)  # read inputs into temporaries
    deriv_deps: frozenset[str] = frozenset()
    compute: list[str] = field(default_factory=list)  # derivatives from the temporaries
    update: list[str] = field(default_factory=list)
    state_names: frozenset[str] = frozenset()
    #: SMOOTH and DELAY of a literal order: the largest number of stages (for arrays of cells;
    #: None: the number of stages, or a DELAY FIXED's pipe length, is known only at run time)
    width: int | None = None
    #: role -> name of every value of the structure (for arrays of cells): states, derivatives
    #: and temporaries; ``n`` the number of stages, ``a``/``da``/``tm``/``b`` rows of ``n``
    roles: dict[str, str] = field(default_factory=dict)


def _width(order: Any) -> int | None:
    """Largest number of stages of a SMOOTH or DELAY of literal ``order`` (None otherwise)."""
    if isinstance(order, (int, float, np.integer, np.floating)) and not isinstance(order, bool):
        value = float(order)
        if np.isfinite(value) and 1 <= value <= 1e4:
            return int(value)
    return None


class StatefulRegistry:
    """Create one :class:`Stateful` per (element cell, structure)."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.builder = builder
        self.items: list[Stateful] = []
        self._by_key: dict[tuple, Stateful] = {}

    @property
    def by_key(self) -> dict[tuple, Stateful]:
        """``(py_name, cell, id(structure)) -> Stateful``."""
        return self._by_key

    def output(self, node: Any, ctx: Context) -> Expr:
        key = (ctx.element.py_name, ctx.cell, id(node))
        if key not in self._by_key:
            kind = type(node).__name__
            make = getattr(self, "_make_" + kind)
            item = make(node, ctx)
            self._by_key[key] = item
            self.items.append(item)
        item = self._by_key[key]
        return item.out_init if ctx.mode == "init" else item.out_run

    # helpers -------------------------------------------------------------------------
    def _arg(self, ast: Any, ctx: Context, mode: str) -> Expr:
        return self.builder.visitor.visit(ast, ctx.with_mode(mode))

    def _names(self, kind: str, ctx: Context, *roles: str) -> list[str]:
        base = [ctx.element.py_name, *ctx.cell]
        return [self.builder.namer.make(role, kind, *base) for role in roles]

    def _ts(self) -> str:
        return self.builder.control_name("time_step")

    def _label(self, what: str, ctx: Context) -> str:
        cell = "[" + ",".join(ctx.cell) + "]" if ctx.cell else ""
        return f"{what} in {ctx.element.name!r}{cell}"

    @staticmethod
    def _deps(*exprs: Expr) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for e in exprs:
            out |= e.deps
        return out

    # INTEG ----------------------------------------------------------------------------
    def _make_IntegStructure(self, node: Any, ctx: Context) -> Stateful:
        (s, d) = self._names("integ", ctx, "s", "d")
        init = self._arg(node.initial, ctx, "init")
        flow = self._arg(node.flow, ctx, "run")
        ts = self._ts()
        new = f"{s} + {d} * {ts}"
        update = f"{s} = f_max({new}, 0.0)" if getattr(node, "non_negative", False) else f"{s} = {new}"
        iname = f"init:{s}"
        return Stateful(
            label=self._label("INTEG", ctx),
            element=ctx.element.name,
            init=Node(iname, [f"{s} = {init.as_float()}"], init.deps, ctx.element.name),
            out_run=Expr(s, "f", frozenset({s})),
            out_init=Expr(s, "f", frozenset({iname})),
            deriv=[f"{d} = {flow.as_float()}"],
            deriv_deps=flow.deps | {ts},
            update=[update],
            state_names=frozenset({s}),
            roles={"s": s, "d": d},
        )

    # INITIAL --------------------------------------------------------------------------
    def _make_InitialStructure(self, node: Any, ctx: Context) -> Stateful:
        (s,) = self._names("initial", ctx, "s")
        init = self._arg(node.initial, ctx, "init")
        iname = f"init:{s}"
        return Stateful(
            label=self._label("INITIAL", ctx),
            element=ctx.element.name,
            init=Node(iname, [f"{s} = {init.as_float()}"], init.deps, ctx.element.name),
            out_run=Expr(s, "f", frozenset({s})),
            out_init=Expr(s, "f", frozenset({iname})),
            state_names=frozenset({s}),
            roles={"s": s},
        )

    # SMOOTH, SMOOTHI, SMOOTH3, SMOOTH3I, SMOOTH N ---------------------------------------
    def _make_SmoothStructure(self, node: Any, ctx: Context) -> Stateful:
        return self._smooth(node, ctx, "SMOOTH")

    def _make_SmoothNStructure(self, node: Any, ctx: Context) -> Stateful:
        return self._smooth(node, ctx, "SMOOTH N")

    def _smooth(self, node: Any, ctx: Context, what: str) -> Stateful:
        a, da, n, x, t = self._names("smooth", ctx, "a", "da", "n", "x", "t")
        order = self._arg(node.order, ctx, "init")
        init = self._arg(node.initial, ctx, "init")
        inp = self._arg(node.input, ctx, "run")
        stime = self._arg(node.smooth_time, ctx, "run")
        ts = self._ts()
        iname = f"init:{a}"
        init_lines = [
            f"{n} = int({order.as_float()})",
            f"{a} = np.full({n}, {init.as_float()})",
            f"{da} = np.empty({n})",
        ]
        return Stateful(
            label=self._label(what, ctx),
            element=ctx.element.name,
            init=Node(iname, init_lines, order.deps | init.deps, ctx.element.name),
            out_run=Expr(f"{a}[{n} - 1]", "f", frozenset({a})),
            out_init=Expr(f"{a}[{n} - 1]", "f", frozenset({iname})),
            deriv=[f"{x} = {inp.as_float()}", f"{t} = {stime.as_float()}"],
            deriv_deps=inp.deps | stime.deps,
            compute=[f"f_smooth_ddt({a}, {da}, {n}, {x}, {t})"],
            update=[f"f_stage_update({a}, {da}, {n}, {ts})"],
            state_names=frozenset({a}),
            width=_width(node.order),
            roles={"a": a, "da": da, "n": n, "x": x, "t": t},
        )

    # DELAY1, DELAY1I, DELAY3, DELAY3I, DELAY N -------------------------------------------
    def _make_DelayStructure(self, node: Any, ctx: Context) -> Stateful:
        return self._delay(node, ctx, variable_time=False)

    def _make_DelayNStructure(self, node: Any, ctx: Context) -> Stateful:
        return self._delay(node, ctx, variable_time=True)

    def _delay(self, node: Any, ctx: Context, variable_time: bool) -> Stateful:
        what = "DELAY N" if variable_time else "DELAY"
        a, da, n, x, t, tm = self._names("delay", ctx, "a", "da", "n", "x", "t", "tm")
        order = self._arg(node.order, ctx, "init")
        init = self._arg(node.initial, ctx, "init")
        dt_init = self._arg(node.delay_time, ctx, "init")
        inp = self._arg(node.input, ctx, "run")
        dt_run = self._arg(node.delay_time, ctx, "run")
        ts = self._ts()
        iname = f"init:{a}"
        # PySD reduces the order while order * TIME STEP > delay time (min over cells)
        init_lines = [
            f"{t} = {dt_init.as_float()}",
            f"{n} = f_delay_order({order.as_float()}, {ts}, {t})",
            f"{a} = np.full({n}, {init.as_float()} * {t})",
            f"{da} = np.empty({n})",
        ]
        if variable_time:
            init_lines.append(f"{tm} = np.full({n}, {t})")
            out_code = f"({a}[{n} - 1] / {tm}[0])"
            out_run = Expr(out_code, "f", frozenset({a, tm}))
            out_init = Expr(out_code, "f", frozenset({iname}))
            compute = [f"f_delayn_ddt({a}, {da}, {tm}, {n}, {x}, {t})"]
            states = frozenset({a, tm})
        else:
            out_run = Expr(f"({a}[{n} - 1] / {dt_run.as_float()})", "f", frozenset({a}) | dt_run.deps)
            out_init = Expr(
                f"({a}[{n} - 1] / {dt_init.as_float()})", "f", frozenset({iname}) | dt_init.deps
            )
            compute = [f"f_delay_ddt({a}, {da}, {n}, {x}, {t})"]
            states = frozenset({a})
        return Stateful(
            label=self._label(what, ctx),
            element=ctx.element.name,
            init=Node(
                iname, init_lines, order.deps | init.deps | dt_init.deps | {ts}, ctx.element.name
            ),
            out_run=out_run,
            out_init=out_init,
            deriv=[f"{x} = {inp.as_float()}", f"{t} = {dt_run.as_float()}"],
            deriv_deps=inp.deps | dt_run.deps,
            compute=compute,
            update=[f"f_stage_update({a}, {da}, {n}, {ts})"],
            state_names=states,
            width=_width(node.order),
            roles={"a": a, "da": da, "n": n, "x": x, "t": t,
                   **({"tm": tm} if variable_time else {})},
        )

    # DELAY FIXED ----------------------------------------------------------------------
    def _make_DelayFixedStructure(self, node: Any, ctx: Context) -> Stateful:
        s, b, p, n, x = self._names("delay_fixed", ctx, "s", "b", "p", "n", "x")
        init = self._arg(node.initial, ctx, "init")
        dt_init = self._arg(node.delay_time, ctx, "init")
        inp = self._arg(node.input, ctx, "run")
        ts = self._ts()
        iname = f"init:{s}"
        init_lines = [
            f"{n} = f_fixed_delay_order({dt_init.as_float()}, {ts})",
            f"{s} = {init.as_float()}",
            f"{b} = np.full({n}, {s})",
            f"{p} = 0",
        ]
        return Stateful(
            label=self._label("DELAY FIXED", ctx),
            element=ctx.element.name,
            init=Node(iname, init_lines, init.deps | dt_init.deps | {ts}, ctx.element.name),
            out_run=Expr(s, "f", frozenset({s})),
            out_init=Expr(s, "f", frozenset({iname})),
            deriv=[f"{x} = {inp.as_float()}"],
            deriv_deps=inp.deps,
            update=[f"{b}[{p}] = {x}", f"{p} = ({p} + 1) % {n}", f"{s} = {b}[{p}]"],
            state_names=frozenset({s, b}),
            roles={"s": s, "b": b, "p": p, "n": n, "x": x},
        )

    # TREND ----------------------------------------------------------------------------
    def _make_TrendStructure(self, node: Any, ctx: Context) -> Stateful:
        s, d = self._names("trend", ctx, "s", "d")
        inp_i = self._arg(node.input, ctx, "init")
        avg_i = self._arg(node.average_time, ctx, "init")
        trend_i = self._arg(node.initial_trend, ctx, "init")
        inp = self._arg(node.input, ctx, "run")
        avg = self._arg(node.average_time, ctx, "run")
        ts = self._ts()
        iname = f"init:{s}"
        init_line = (
            f"{s} = {inp_i.as_float()} / (1.0 + {trend_i.as_float()} * {avg_i.as_float()})"
        )

        def out(i: Expr, av: Expr) -> str:
            return f"f_zidz({i.as_float()} - {s}, {av.as_float()} * abs({s}))"

        return Stateful(
            label=self._label("TREND", ctx),
            element=ctx.element.name,
            init=Node(iname, [init_line], self._deps(inp_i, avg_i, trend_i), ctx.element.name),
            out_run=Expr(out(inp, avg), "f", self._deps(inp, avg) | {s}),
            out_init=Expr(out(inp_i, avg_i), "f", self._deps(inp_i, avg_i) | {iname}),
            deriv=[f"{d} = ({inp.as_float()} - {s}) / {avg.as_float()}"],
            deriv_deps=self._deps(inp, avg) | {ts},
            update=[f"{s} = {s} + {d} * {ts}"],
            state_names=frozenset({s}),
            roles={"s": s, "d": d},
        )

    # FORECAST -------------------------------------------------------------------------
    def _make_ForecastStructure(self, node: Any, ctx: Context) -> Stateful:
        s, d = self._names("forecast", ctx, "s", "d")
        inp_i = self._arg(node.input, ctx, "init")
        avg_i = self._arg(node.average_time, ctx, "init")
        hor_i = self._arg(node.horizon, ctx, "init")
        trend_i = self._arg(node.initial_trend, ctx, "init")
        inp = self._arg(node.input, ctx, "run")
        avg = self._arg(node.average_time, ctx, "run")
        hor = self._arg(node.horizon, ctx, "run")
        ts = self._ts()
        iname = f"init:{s}"

        def out(i: Expr, av: Expr, h: Expr) -> str:
            ic = i.as_float()
            return f"({ic} * (1.0 + f_zidz({ic} - {s}, {av.as_float()} * {s}) * {h.as_float()}))"

        return Stateful(
            label=self._label("FORECAST", ctx),
            element=ctx.element.name,
            init=Node(
                iname,
                [f"{s} = {inp_i.as_float()} / (1.0 + {trend_i.as_float()})"],
                self._deps(inp_i, trend_i),
                ctx.element.name,
            ),
            out_run=Expr(out(inp, avg, hor), "f", self._deps(inp, avg, hor) | {s}),
            out_init=Expr(out(inp_i, avg_i, hor_i), "f", self._deps(inp_i, avg_i, hor_i) | {iname}),
            deriv=[f"{d} = ({inp.as_float()} - {s}) / {avg.as_float()}"],
            deriv_deps=self._deps(inp, avg) | {ts},
            update=[f"{s} = {s} + {d} * {ts}"],
            state_names=frozenset({s}),
            roles={"s": s, "d": d},
        )

    # SAMPLE IF TRUE -------------------------------------------------------------------
    def _make_SampleIfTrueStructure(self, node: Any, ctx: Context) -> Stateful:
        s, x = self._names("sample_if_true", ctx, "s", "x")
        init = self._arg(node.initial, ctx, "init")
        cond = self._arg(node.condition, ctx, "run")
        inp = self._arg(node.input, ctx, "run")
        cond_i = self._arg(node.condition, ctx, "init")
        inp_i = self._arg(node.input, ctx, "init")
        iname = f"init:{s}"

        def out(c: Expr, i: Expr) -> str:
            return f"({i.as_float()} if {c.as_bool()} else {s})"

        return Stateful(
            label=self._label("SAMPLE IF TRUE", ctx),
            element=ctx.element.name,
            init=Node(iname, [f"{s} = {init.as_float()}"], init.deps, ctx.element.name),
            out_run=Expr(out(cond, inp), "f", self._deps(cond, inp) | {s}),
            out_init=Expr(out(cond_i, inp_i), "f", self._deps(cond_i, inp_i) | {iname}),
            deriv=[f"{x} = {out(cond, inp)}"],
            deriv_deps=self._deps(cond, inp) | {s},
            update=[f"{s} = {x}"],
            state_names=frozenset({s}),
            roles={"s": s, "x": x},
        )
