"""Build the kernel description of a model: nodes, statefuls, tables, columns.

:class:`ModelBuilder` walks every element of the abstract model once per mode
("init" for the initialisation, "run" for the time loop), producing
:class:`~sdmodels.compiler._dependencies.Node` objects that
:mod:`sdmodels.compiler._kernel` writes out in dependency order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdmodels._common import LazyModule
from sdmodels.compiler._builtins import LookupRegistry, Stateful, StatefulRegistry
from sdmodels.compiler._controls import CONTROL_FUNCTIONS, LOGIC_OPERATORS, evaluate, reads, varying
from sdmodels.compiler._dependencies import Node, dynamic_nodes, topological_order
from sdmodels.compiler._errors import UnsupportedFeature
from sdmodels.compiler._expressions import Context, ExpressionVisitor
from sdmodels.compiler._loops import MIN_CELLS, Family, loop_plan
from sdmodels.compiler._names import Namer
from sdmodels.compiler._subscripts import SubscriptResolver
from sdmodels.compiler._translate import (
    CONTROL_NAMES,
    ElementInfo,
    ModelInfo,
    as_printed_by_pysd,
)

_ae = LazyModule("pysd.translators.structures.abstract_expressions")

__all__ = ["KERNEL_LOCALS", "KernelPlan", "ModelBuilder"]

#: Structures whose value changes over the run (refused in a control variable's expression).
_STATEFUL_STRUCTURES = frozenset({
    "Integ", "Smooth", "SmoothN", "Delay", "DelayN", "DelayFixed", "Trend", "Forecast",
    "SampleIfTrue", "Data", "GetData", "Game", "Lookups", "InlineLookups",
    "STEP", "RAMP", "PULSE", "PULSE_TRAIN", "RANDOM_0_1", "RANDOM_UNIFORM", "RANDOM_NORMAL",
})

#: Roles of a stateful's values that are a row per cell (stages, stage times, a DELAY FIXED's
#: pipe), and that are integers (number of stages, a pipe's position).
_ROW_ROLES = frozenset({"a", "da", "tm", "b"})
_INTEGER_ROLES = frozenset({"n", "p"})

#: Names the generated kernel uses for itself (arguments and loop variables).
KERNEL_LOCALS = (
    "c", "i", "j", "k", "nt", "row", "time", "P", "ctl", "times", "saved", "out", "oc",
    "TS_X", "TS_Y", "TS_M", "q",
)


@dataclass
class KernelPlan:
    """Everything the source generator needs, already ordered."""

    file: str
    init_nodes: list[Node]
    static_nodes: list[Node]
    dynamic_nodes: list[Node]  # needed by the stocks: every step
    report_nodes: list[Node]  # needed only for outputs: saved steps only
    statefuls: list[Stateful]
    tables: list[Any]
    outputs: list[tuple[str, str]]  # (py_name, local name) per output column, in order
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, str] = field(default_factory=dict)  # array name -> its allocation


class ModelBuilder:
    """Turn a :class:`~sdmodels.compiler._translate.ModelInfo` into a :class:`KernelPlan`.

    Parameters
    ----------
    info
        The collected model.
    timeseries
        Python names of constants given as time series (interpolated over time
        with the ends held, as PySD does for a :class:`pandas.Series` parameter).
    """

    def __init__(self, info: ModelInfo, timeseries: frozenset[str] = frozenset(),
                 loops: bool = True) -> None:
        self.info = info
        self.loops = loops
        self.file = info.file
        self.clean_to_py = info.clean_to_py
        self.resolver = SubscriptResolver(info.subscripts, info.mapping)
        self.namer = Namer()
        self.namer.reserve(*KERNEL_LOCALS)
        self.visitor = ExpressionVisitor(self)
        self.lookups = LookupRegistry(self)
        self.statefuls = StatefulRegistry(self)
        self.timeseries = frozenset(timeseries)
        self._cells: dict[tuple[str, tuple[str, ...]], str] = {}
        for name in self.timeseries:
            el = info.elements.get(name)
            if el is None or el.kind != "constant":
                raise ValueError(f"{name!r} is not a constant and cannot be given as a time series")
        for el in info.elements.values():
            if el.kind == "lookup":
                continue
            for cell in self.resolver.element_cells(el.dims):
                self._cells[(el.py_name, cell)] = self.namer.make("v", el.py_name, *cell)

    # -- lookups used by the visitor ------------------------------------------------------
    def element_of(self, reference: str, ctx: Context) -> ElementInfo:
        py = self.clean_to_py.get(reference)
        if py is None or py not in self.info.elements:
            raise UnsupportedFeature(
                f"a reference to {reference!r}, which is not a model element", ctx.element.name, self.file
            )
        return self.info.elements[py]

    def cell_name(self, element: ElementInfo, cell: tuple[str, ...]) -> str:
        return self._cells[(element.py_name, cell)]

    def control_name(self, py_name: str) -> str:
        return self._cells[(py_name, ())]

    # -- control variables ---------------------------------------------------------------
    def control_defaults(self) -> dict[str, float]:
        """INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER: numbers, or expressions of numbers, of
        each other and of values that are constant over the run (``TIME STEP = 1/4``, ``SAVEPER =
        TIME STEP * 4``, ``FINAL TIME = start year + horizon`` with ``end year`` an auxiliary of
        constants), folded at compile time. Formulas that read other controls or constants are
        kept in ``self.control_formulas``, the constants they read in ``self.grid_constants``
        (Python name -> default), so that overriding one derives the time grid again."""
        self.grid_constants: dict[str, float] = {}
        formulas = {c: self._control_formula(self.info.elements[c].components[0].ast,
                                             self.info.elements[c], ())
                    for c in CONTROL_NAMES}
        self.control_formulas = {c: f for c, f in formulas.items() if reads(f)}
        # controls that read Time (TIME STEP = IF THEN ELSE(Time < 10, 1, 0.25)): computed in
        # the kernel at every step, and by the runtime's time grid at every time
        self.varying_controls = varying(self.control_formulas)
        if "initial_time" in self.varying_controls:
            raise UnsupportedFeature("an INITIAL TIME that changes over time (it reads Time)",
                                     self.info.elements["initial_time"].name, self.file,
                                     detail="the run starts at INITIAL TIME: define it from constants")
        values: dict[str, float] = dict(self.grid_constants)
        pending = dict(formulas)
        for _ in range(len(pending) + 1):
            for name, formula in list(pending.items()):
                if "initial_time" in values:  # a control that reads Time: its value at the start
                    values["time"] = values["initial_time"]
                value = evaluate(formula, values)
                if value is not None:
                    values[name] = value
                    del pending[name]
        if pending:
            raise UnsupportedFeature("circular control variables", ", ".join(pending), self.file)
        for name in CONTROL_NAMES:
            if math.isnan(values[name]):
                raise UnsupportedFeature("a control variable that is not a number (a division "
                                         "by zero?)",
                                         self.info.elements[name].name, self.file)
        return {name: values[name] for name in CONTROL_NAMES}

    def _control_formula(self, ast: Any, el: ElementInfo, via: tuple[str, ...]) -> Any:
        """A control variable's expression as a formula (see :mod:`._controls`); ``via`` are the
        auxiliaries whose equations it reached through (inlined)."""
        if isinstance(ast, (int, float, np.integer, np.floating)) and not isinstance(ast, bool):
            return float(ast)
        if isinstance(ast, _ae.ReferenceStructure):
            return self._control_reference(ast, el, via)
        if isinstance(ast, _ae.ArithmeticStructure):
            ops = list(ast.operators)
            bad = [op for op in ops if op not in ("+", "-", "*", "/", "^", "negative")]
            if bad:
                raise UnsupportedFeature(f"operator {bad[0]!r} in a control variable", el.name,
                                         self.file)
            return {"ops": ops, "args": [self._control_formula(a, el, via) for a in ast.arguments]}
        if isinstance(ast, _ae.LogicStructure):
            ops = list(ast.operators)
            comparisons = all(op not in (":AND:", ":OR:", ":NOT:") for op in ops)
            if (any(op not in LOGIC_OPERATORS for op in ops)
                    or not (comparisons or ops == [":NOT:"] or set(ops) in ({":AND:"}, {":OR:"}))):
                raise UnsupportedFeature(f"operators {' '.join(ops)} in a control variable",
                                         el.name, self.file)
            return {"logic": ops, "args": [self._control_formula(a, el, via) for a in ast.arguments]}
        if isinstance(ast, _ae.InitialStructure):  # the value at the start: the value itself
            return self._control_formula(ast.initial, el, via)
        if (isinstance(ast, _ae.CallStructure) and isinstance(ast.function, _ae.ReferenceStructure)
                and ast.function.reference in CONTROL_FUNCTIONS
                and len(ast.arguments) == CONTROL_FUNCTIONS[ast.function.reference]):
            return {"fn": ast.function.reference,
                    "args": [self._control_formula(a, el, via) for a in ast.arguments]}
        what = type(ast).__name__.replace("Structure", "")
        if isinstance(ast, _ae.CallStructure) and isinstance(ast.function, _ae.ReferenceStructure):
            what = ast.function.reference.upper()
        if what in _STATEFUL_STRUCTURES:
            raise UnsupportedFeature(
                f"a control variable that changes over time ({self._chain(via)} is {what.upper()})",
                el.name, self.file,
                detail="the time grid is shared by the whole run: define it from constants",
            )
        raise UnsupportedFeature(
            f"a control variable defined by {what}" + (f" (in {self._chain(via)})" if via else ""),
            el.name, self.file,
        )

    def _control_reference(self, ast: Any, el: ElementInfo, via: tuple[str, ...]) -> Any:
        """A reference in a control variable's expression: another control, a scalar constant
        (read from the parameters) or a scalar auxiliary (its equation inlined)."""
        ref = self.clean_to_py.get(ast.reference)
        target = self.info.elements.get(ref) if ref is not None else None
        if ref == "time" or (ref is None and str(ast.reference).lower() == "time"):
            return {"ref": "time"}
        if target is None:
            raise UnsupportedFeature(
                f"a reference to {ast.reference!r}, which is not a model element", el.name,
                self.file)
        if ref in CONTROL_NAMES:
            return {"ref": ref}
        if ast.subscripts is not None or target.dims:
            raise UnsupportedFeature(
                f"a control variable defined from a subscripted variable ({target.name})",
                el.name, self.file, detail="the time grid is one for the whole model",
            )
        if target.kind == "constant":
            if ref in self.timeseries:
                raise UnsupportedFeature(
                    f"a control variable that changes over time ({target.name} is given as a "
                    "time series)", el.name, self.file)
            self.grid_constants[ref] = float(self._constant_values(target, [()]))
            return {"ref": ref}
        if target.kind == "aux" and len(target.components) == 1:
            if ref in via:
                raise UnsupportedFeature("circular control variables",
                                         f"{el.name} ({self._chain((*via, ref))})", self.file)
            return self._control_formula(target.components[0].ast, el, (*via, ref))
        raise UnsupportedFeature(
            f"a control variable defined from {target.name} ({target.kind})", el.name, self.file)

    def _chain(self, via: tuple[str, ...]) -> str:
        return " -> ".join(self.info.elements[py].name for py in via)

    # -- build ---------------------------------------------------------------------------
    def build(self) -> KernelPlan:
        """Walk every element once per mode and order the resulting nodes."""
        self._run_nodes: dict[str, Node] = {}
        self._init_nodes: dict[str, Node] = {}
        self._params: dict[str, dict[str, Any]] = {}
        self._ts_columns: dict[str, list[int]] = {}
        self._columns: dict[str, dict[str, Any]] = {}
        self._outputs: list[tuple[str, str]] = []
        self._n_param = 0
        self._n_ts = 0
        controls = self.control_defaults()
        for el in self.info.elements.values():
            if el.kind == "lookup":
                continue
            cells = self._cells_of(el)
            self._add_column(el, cells)
            if el.kind == "control":
                self._add_control(el)
            elif el.kind == "constant":
                self._add_constant(el, cells)
            else:
                self._add_auxiliary(el, cells)
        return self._plan(controls)

    def _set(self, node: Node, *, both: bool = True) -> None:
        self._run_nodes[node.name] = node
        if both:
            self._init_nodes[node.name] = node

    def _add_column(self, el: ElementInfo, cells: list[tuple[str, ...]]) -> None:
        self._columns[el.py_name] = {
            "start": len(self._outputs),
            "shape": [len(self.info.subscripts[d]) for d in el.dims],
            "dims": [[d, list(self.info.subscripts[d])] for d in el.dims],
            "name": el.name,
            "units": el.units,
            "doc": el.doc,
        }
        for cell in cells:
            self._outputs.append((el.py_name, self._cells[(el.py_name, cell)]))

    def _add_control(self, el: ElementInfo) -> None:
        idx = CONTROL_NAMES.index(el.py_name)
        name = self._cells[(el.py_name, ())]
        if el.py_name not in self.varying_controls:
            self._set(Node(name, [f"{name} = ctl[{idx}]"], frozenset(), el.name))
            return
        # a control that reads Time: its equation at each time, unless the run gives it a
        # number (the runtime passes NaN in ctl when it does not)
        for mode, target in (("run", self._run_nodes), ("init", self._init_nodes)):
            expr = self.visitor.visit(el.components[0].ast, Context(element=el, env={}, mode=mode))
            code = f"{name} = ({expr.as_float()} if math.isnan(ctl[{idx}]) else ctl[{idx}])"
            target[name] = Node(name, [code], expr.deps, el.name)

    def _add_constant(self, el: ElementInfo, cells: list[tuple[str, ...]]) -> None:
        is_ts = el.py_name in self.timeseries
        self._params[el.py_name] = {
            "start": self._n_param,
            "shape": [len(self.info.subscripts[d]) for d in el.dims],
            "default": self._constant_values(el, cells),
        }
        if is_ts:
            self._ts_columns[el.py_name] = list(range(self._n_ts, self._n_ts + len(cells)))
        for k, cell in enumerate(cells):
            name = self._cells[(el.py_name, cell)]
            if is_ts:
                c = self._n_ts + k
                code = f"f_interp_hold(time, TS_X[{c}], TS_Y[i, {c}], TS_M[{c}])"
                deps = frozenset({"time"})
            else:
                code = f"P[i, {self._n_param + k}]"
                deps = frozenset()
            self._set(Node(name, [f"{name} = {code}"], deps, el.name))
        self._n_param += len(cells)
        if is_ts:
            self._n_ts += len(cells)

    def _add_auxiliary(self, el: ElementInfo, cells: list[tuple[str, ...]]) -> None:
        """Auxiliaries and statefuls: one node per cell and mode; undefined cells are NaN."""
        all_cells = set(cells)
        defined: set[tuple[str, ...]] = set()
        for comp in el.components:
            subs = list(comp.subscripts[0])
            excepts = [list(e) for e in comp.subscripts[1]]
            literal = as_printed_by_pysd(comp.ast).ravel() if isinstance(comp.ast, np.ndarray) else None
            for cell, env, flat in self.resolver.component_cells(subs, excepts):
                if cell not in all_cells:
                    raise UnsupportedFeature(
                        f"cell {cell} outside the element's dimensions", el.name, self.file
                    )
                defined.add(cell)
                name = self._cells[(el.py_name, cell)]
                ast = comp.ast
                if literal is not None:
                    ast = float(literal[flat] if literal.size > 1 else literal[0])
                for mode, target in (("run", self._run_nodes), ("init", self._init_nodes)):
                    ctx = Context(element=el, env=env, mode=mode, cell=cell)
                    expr = self.visitor.visit(ast, ctx)
                    target[name] = Node(name, [f"{name} = {expr.as_float()}"], expr.deps, el.name)
        for cell in cells:
            if cell not in defined:
                name = self._cells[(el.py_name, cell)]
                self._set(Node(name, [f"{name} = math.nan"], frozenset(), el.name))

    def _plan(self, controls: dict[str, float]) -> KernelPlan:
        """Order the nodes; split the time loop into what the stocks need and what is only reported."""
        statefuls = self.statefuls.items
        state_names: set[str] = set()
        for st in statefuls:
            state_names |= st.state_names
            self._init_nodes[st.init.name] = st.init
        run_nodes = self._run_nodes
        run_order = topological_order(run_nodes, None, {"time"} | state_names, self.file)
        dynamic = dynamic_nodes(run_order, {"time"} | state_names)
        init_order = topological_order(
            self._init_nodes, [st.init.name for st in statefuls], {"time"}, self.file
        )
        for st in statefuls:
            missing = [d for d in st.deriv_deps if d not in run_nodes and d not in state_names | {"time"}]
            if missing:  # pragma: no cover - internal consistency
                raise KeyError(f"internal error: {st.label} reads undefined {missing}")
        # dynamic values the stocks need are computed every step; the others only
        # at saved times (they are outputs and nothing else reads them)
        needed: set[str] = set()
        stack = [d for st in statefuls for d in st.deriv_deps]
        while stack:
            name = stack.pop()
            if name in dynamic and name not in needed:
                needed.add(name)
                stack.extend(run_nodes[name].deps)
        metadata = {
            "file": self.file,
            "controls": controls,
            "control_formulas": self.control_formulas,
            "grid_constants": sorted(self.grid_constants),
            "params": self._params,
            "n_param": self._n_param,
            "timeseries": self._ts_columns,
            "n_ts": self._n_ts,
            "columns": self._columns,
            "n_columns": len(self._outputs),
            "statefuls": [st.label for st in statefuls],
        }
        plan = KernelPlan(
            file=self.file,
            init_nodes=init_order,
            static_nodes=[n for n in run_order if n.name not in dynamic],
            dynamic_nodes=[n for n in run_order if n.name in needed],
            report_nodes=[n for n in run_order if n.name in dynamic and n.name not in needed],
            statefuls=statefuls,
            tables=self.lookups.tables,
            outputs=self._outputs,
            metadata=metadata,
        )
        return loop_plan(plan, self._families()) if self.loops else plan

    def _families(self) -> dict[str, tuple[Family, int]]:
        """Scalar name -> (array, index) for the cells of subscripted variables with at least
        :data:`MIN_CELLS` cells and the states and derivatives of their INTEGs."""
        where: dict[str, tuple[Family, int]] = {}
        position: dict[str, dict[tuple[str, ...], int]] = {}
        for el in self.info.elements.values():
            if el.kind in ("lookup", "control") or not el.dims:
                continue
            cells = self._cells_of(el)
            if len(cells) < MIN_CELLS:
                continue
            fam = Family(self.namer.make("w", el.py_name), len(cells))
            position[el.py_name] = {cell: k for k, cell in enumerate(cells)}
            for k, cell in enumerate(cells):
                where[self._cells[(el.py_name, cell)]] = (fam, k)
        self._state_families(where, position)
        return where

    def _state_families(self, where: dict[str, tuple[Family, int]],
                        position: dict[str, dict[tuple[str, ...], int]]) -> None:
        """Arrays of the states, derivatives and temporaries of the stateful structures (INTEG,
        INITIAL, SMOOTH, DELAY, DELAY FIXED, TREND, FORECAST, SAMPLE IF TRUE) of the cells in
        ``position``: one per structure of the equation and role, indexed by the element's cells.

        Stages of a SMOOTH or DELAY of literal order are a row per cell (of which the cell's
        ``n`` entries are used); stages of an order known only at run time and a DELAY FIXED's
        pipe are a list of one array per cell, each as long as its cell's initialisation sets.
        A structure of fewer than :data:`MIN_CELLS` cells (a cell defined apart) keeps scalars,
        not arrays over the whole element for one of their entries."""
        cells: dict[tuple[str, int], int] = {}
        for py, _cell, node_id in self.statefuls.by_key:
            cells[(py, node_id)] = cells.get((py, node_id), 0) + 1
        structures: dict[tuple[str, int], dict[str, Family]] = {}
        for (py, cell, node_id), st in self.statefuls.by_key.items():
            if py not in position or not st.roles or cells[(py, node_id)] < MIN_CELLS:
                continue
            key = (py, node_id)
            if key not in structures:
                size = len(position[py])
                fams: dict[str, Family] = {}
                count = ""
                if "n" in st.roles:
                    fams["n"] = Family(self.namer.make("w", "n", py), size, integer=True)
                    count = fams["n"].name
                for role in st.roles:
                    if role == "n":
                        continue
                    if role in _ROW_ROLES:
                        fams[role] = Family(self.namer.make("w", role, py), size,
                                            width=st.width, count=count if st.width else "",
                                            ragged=st.width is None)
                    else:
                        fams[role] = Family(self.namer.make("w", role, py), size,
                                            integer=role in _INTEGER_ROLES)
                structures[key] = fams
            fams = structures[key]
            if set(fams) != set(st.roles) or any(
                    role in _ROW_ROLES and f.width != st.width for role, f in fams.items()):
                continue
            k = position[py][cell]
            for role, name in st.roles.items():
                where[name] = (fams[role], k)

    def _cells_of(self, el: ElementInfo) -> list[tuple[str, ...]]:
        return self.resolver.element_cells(el.dims)

    def _constant_values(self, el: ElementInfo, cells: list[tuple[str, ...]]) -> Any:
        values = {cell: float("nan") for cell in cells}
        for comp in el.components:
            subs = list(comp.subscripts[0])
            excepts = [list(e) for e in comp.subscripts[1]]
            ast = comp.ast
            for cell, _env, flat in self.resolver.component_cells(subs, excepts):
                if cell not in values:
                    raise UnsupportedFeature(
                        f"cell {cell} outside the element's dimensions", el.name, self.file
                    )
                if isinstance(ast, np.ndarray):
                    arr = as_printed_by_pysd(ast).ravel()
                    values[cell] = float(arr[flat] if arr.size > 1 else arr[0])
                elif type(ast).__name__ == "GetConstantsStructure":
                    values[cell] = float(el.external.cell(el.dims, cell))
                else:
                    values[cell] = float(ast)
        if not el.dims:
            return values[()]
        return [values[c] for c in cells]
