"""Subscripted variables as arrays, and loops over their ranges.

The builder writes one statement per cell (``v_x__e3 = v_a__e3 * v_b + v_c__e3``). numba's
compile time grows with the number of statements, so :func:`loop_plan` rewrites a
:class:`~sdmodels.compiler._builder.KernelPlan` after it has been ordered:

1. every cell of a subscripted variable (and the states, derivatives and temporaries of every
   cell of its INTEG, INITIAL, SMOOTH, DELAY, DELAY FIXED, TREND, FORECAST or SAMPLE IF TRUE)
   becomes an entry of one array per variable and role, ``w_x[3]``, allocated once per sample
   (:attr:`KernelPlan.arrays`); stages and a DELAY FIXED's pipe are a row per cell,
   ``w_a[3, :n]``, as wide as a literal order, or a list of one array per cell, ``w_b[3]``, when
   their length is known only at initialisation (a pipe's length follows the delay time, which
   may differ per cell and per sample);
2. the statements of consecutive cells of one variable that differ only in integer literals
   that are affine in the cell's position (``w_a[3]``, ``P[i, 17]``, the ``col`` of a SUM's
   terms) become one loop, ``for q in range(0, 400): w_x[q] = w_a[q] * v_b + w_c[q]``;
3. the nodes of each phase are ordered again, loops as single nodes.

Cells whose statements differ otherwise (per-cell definitions, EXCEPT, lookups per cell, a
random function's call site per cell) keep one statement per cell, now over array entries, so
the results are the same statements in the same dependency order; a stateful structure that
covers a single cell keeps scalar states. A loop whose cells read each other, or an order that
the loops would make circular, falls back to the per-cell statements.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sdmodels.compiler._dependencies import Node, topological_order
from sdmodels.compiler._errors import UnsupportedFeature

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler._builder import KernelPlan
    from sdmodels.compiler._builtins import Stateful

__all__ = ["LOOP_VAR", "MIN_CELLS", "loop_plan"]

#: Loop variable of the generated loops (one of the kernel's reserved names).
LOOP_VAR = "q"
#: Variables with fewer cells stay scalars (an array entry costs a little run time).
MIN_CELLS = 2

#: Integers that vary from cell to cell are computed in the loop in int64: larger ones (a random
#: function's call site, a hash) keep their own statement per cell.
_LARGEST = 2**31

_NAME = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)")
_INT = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


@dataclass
class Family:
    """One array: its name, its number of cells and, for the stages of a SMOOTH or DELAY and the
    pipe of a DELAY FIXED, a row per cell of which the cell's first ``count[k]`` entries are used
    (``width`` entries wide, a literal order), or a list of one array per cell (``ragged``: the
    number of stages or a pipe's length known only at run time, set at initialisation)."""

    name: str
    size: int
    integer: bool = False
    width: int | None = None
    count: str = ""  # the array of orders, for stage arrays
    ragged: bool = False

    def entry(self, k: int) -> str:
        if self.width is None:
            return f"{self.name}[{k}]"
        return f"{self.name}[{k}, :{self.count}[{k}]]"

    def allocation(self) -> str:
        if self.ragged:  # each cell's array is set by its initialisation
            return f"{self.name} = [np.empty(0) for {LOOP_VAR} in range({self.size})]"
        if self.width is not None:
            return f"{self.name} = np.empty(({self.size}, {self.width}))"
        if self.integer:
            return f"{self.name} = np.empty({self.size}, np.int64)"
        return f"{self.name} = np.empty({self.size})"


#: SUM, PROD, VMIN, VMAX written as nested steps (``_expressions.vector_code``) and the helper
#: that reduces an array slice with the same steps in the same order
_REDUCTIONS = {"f_nan_add": ("0.0", "f_nan_reduce_add"), "f_nan_mul": ("1.0", "f_nan_reduce_mul"),
               "f_nan_min": ("math.nan", "f_nan_reduce_min"),
               "f_nan_max": ("math.nan", "f_nan_reduce_max")}
_REDUCTION = re.compile(
    r"(?<![\w.])((?:(f_nan_add|f_nan_mul|f_nan_min|f_nan_max)\()+)(0\.0|1\.0|math\.nan), ")
_TERM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\)")


def _reduce(text: str, where: dict[str, tuple[Family, int]]) -> str:
    """A reduction over cells of one array at evenly spaced positions as one call over a slice
    (``f_nan_add(f_nan_add(0.0, v_a__e0), v_a__e1)`` -> ``f_nan_reduce_add(w_a[0:2:1])``)."""
    for m in reversed(list(_REDUCTION.finditer(text))):
        step = m.group(2)
        count = m.group(1).count("(")
        start, helper = _REDUCTIONS[step]
        if m.group(1) != f"{step}(" * count or m.group(3) != start or count < 2:
            continue
        pos = m.end()
        hits = []
        for j in range(count):
            t = _TERM.match(text, pos)
            if t is None or t.group(1) not in where:
                break
            hits.append(where[t.group(1)])
            pos = t.end()
            if j < count - 1:
                if not text.startswith(", ", pos):
                    break
                pos += 2
        if len(hits) != count:
            continue
        fam = hits[0][0]
        ks = [k for _f, k in hits]
        stride = ks[1] - ks[0]
        if fam.width is not None or fam.ragged or stride <= 0 or any(
                f is not fam for f, _k in hits) or any(
                b - a != stride for a, b in itertools.pairwise(ks)):
            continue
        call = f"{helper}({fam.name}[{ks[0]}:{ks[-1] + 1}:{stride}])"
        text = text[:m.start()] + call + text[pos:]
    return text


def _rewrite(text: str, where: dict[str, tuple[Family, int]]) -> str:
    text = _reduce(text, where)

    def sub(m: re.Match) -> str:
        hit = where.get(m.group(1))
        return m.group(1) if hit is None else hit[0].entry(hit[1])

    return _NAME.sub(sub, text)


def _simple(lines: list[str]) -> bool:
    return all(line and not line[0].isspace() and not line.rstrip().endswith(":")
               and not line.lstrip().startswith("#") for line in lines)


class _Template:
    """Text of one cell's statements split at integer literals."""

    def __init__(self, lines: list[str]) -> None:
        parts = _INT.split("\n".join(lines))
        self.pieces = tuple(parts[0::2])
        self.ints = parts[1::2]


def _loop_lines(templates: list[_Template], qs: list[int]) -> list[str] | None:
    """One loop over ``qs`` (consecutive) writing every template, or None if they differ."""
    first = templates[0]
    if any(t.pieces != first.pieces for t in templates[1:]):
        return None
    q0 = qs[0]
    exprs = []
    for pos, text in enumerate(first.ints):
        texts = [t.ints[pos] for t in templates]
        if all(x == text for x in texts):
            exprs.append(text)
            continue
        values = [int(x) for x in texts]
        a = values[1] - values[0] if len(values) > 1 else 0
        b = values[0] - a * q0
        if any(v != a * q + b for v, q in zip(values, qs, strict=True)) or max(
                abs(a), abs(b), *map(abs, values)) >= _LARGEST:
            return None
        term = LOOP_VAR if a == 1 else f"{a} * {LOOP_VAR}"
        exprs.append(f"({term} + {b})" if b > 0 else f"({term} - {-b})" if b < 0 else
                     (term if a == 1 else f"({term})"))
    out = [first.pieces[0]]
    for e, piece in zip(exprs, first.pieces[1:], strict=True):
        out += [e, piece]
    body = "".join(out).split("\n")
    return [f"for {LOOP_VAR} in range({q0}, {qs[-1] + 1}):", *("    " + b for b in body)]


def _runs(members: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Split ``(q, position)`` members (sorted by q) into runs of consecutive q."""
    runs: list[list[tuple[int, int]]] = []
    for m in members:
        if runs and m[0] == runs[-1][-1][0] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def _fits(templates: list[_Template], qs: list[int], s: int, e: int) -> bool:
    """Whether cell ``e`` continues the loop of cells ``s..e-1`` (same text, integers on the
    line through the first two cells)."""
    first, t = templates[s], templates[e]
    if t.pieces != first.pieces:
        return False
    if e == s + 1:
        return True
    second = templates[s + 1]
    for x0, x1, x in zip(first.ints, second.ints, t.ints, strict=True):
        if x0 == x1:
            if x != x0:
                return False
            continue
        v0, v1 = int(x0), int(x1)
        step = (v1 - v0) // (qs[s + 1] - qs[s])
        if int(x) != v0 + step * (qs[e] - qs[s]):
            return False
    return True


def _greedy(templates: list[_Template], qs: list[int]) -> list[tuple[int, int, list[str] | None]]:
    """Cut a run into maximal loops: ``(start, end, loop lines or None for single cells)``."""
    out = []
    s = 0
    n = len(qs)
    while s < n:
        e = s + 1
        while e < n and _fits(templates, qs, s, e):
            e += 1
        lines = _loop_lines(templates[s:e], qs[s:e]) if e - s >= 2 else None
        if lines is None:
            out.append((s, s + 1, None))
            s += 1
        else:
            out.append((s, e, lines))
            s = e
    return out


def _find_loops(rewritten: list[Node], families: dict[str, list[tuple[int, int]]]
                ) -> tuple[dict[int, str], dict[str, Node]]:
    """Loop nodes over runs of consecutive cells, and which loop each position belongs to."""
    owner: dict[int, str] = {}  # position -> loop node name
    loops: dict[str, Node] = {}
    for fam, members in families.items():
        for run in _runs(sorted(members)):
            if len(run) < 2:
                continue
            templates = [_Template(rewritten[p].lines) for _q, p in run]
            for s, e, lines in _greedy(templates, [q for q, _p in run]):
                if lines is None:
                    continue
                part = run[s:e]
                names = {rewritten[p].name for _q, p in part}
                deps: set[str] = set()
                for _q, p in part:
                    deps |= rewritten[p].deps
                if deps & names:  # cells read each other: keep them apart
                    continue
                name = f"loop:{fam}:{part[0][0]}"
                loops[name] = Node(name, lines, frozenset(deps), rewritten[part[0][1]].element)
                loops[name].extra["members"] = names
                for _q, p in part:
                    owner[p] = name
    return owner, loops


def _group(nodes: list[Node], where: dict[str, tuple[Family, int]], file: str) -> list[Node]:
    """Rewrite ``nodes`` over arrays and merge consecutive cells of a variable into loops."""
    rewritten = [replace(n, lines=[_rewrite(x, where) for x in n.lines]) for n in nodes]
    families: dict[str, list[tuple[int, int]]] = {}
    for pos, node in enumerate(rewritten):
        key = node.name.removeprefix("init:")
        hit = where.get(key)
        if hit is not None and _simple(node.lines):
            families.setdefault(hit[0].name + ("#init" if key != node.name else ""), []).append(
                (hit[1], pos))
    owner, loops = _find_loops(rewritten, families)
    if not loops:
        return rewritten
    alias = {rewritten[p].name: name for p, name in owner.items()}
    merged: dict[str, Node] = {}
    for pos, node in enumerate(rewritten):
        target = loops[owner[pos]] if pos in owner else node
        if target.name in merged:
            continue
        deps = frozenset(alias.get(d, d) for d in target.deps) - {target.name}
        merged[target.name] = replace(target, deps=deps)
    leaves = {d for n in merged.values() for d in n.deps if d not in merged}
    try:
        return topological_order(merged, None, leaves, file)
    except UnsupportedFeature:  # the loops would make a cycle: keep the cells apart
        return rewritten


def _group_statefuls(statefuls: list[Stateful], where: dict[str, tuple[Family, int]]
                     ) -> list[Stateful]:
    """The step statements of consecutive cells of one stateful as loops (derivatives, then
    derivative computations, then updates, as before: each reads only its own cell's state and
    values of the start of the step)."""
    out: list[Stateful] = []
    pending: list[tuple[int, Stateful]] = []

    def flush() -> None:
        if not pending:
            return
        qs = [q for q, _ in pending]
        items = [st for _q, st in pending]
        pending.clear()
        if len(items) >= 2 and qs == list(range(qs[0], qs[0] + len(qs))):
            parts = [[st.deriv for st in items], [st.compute for st in items],
                     [st.update for st in items]]
            loops = [_loop_lines([_Template(x) for x in part], qs) if part[0] else []
                     for part in parts]
            if all(x is not None for x in loops) and all(
                    bool(x) == bool(part[0]) and all(bool(y) == bool(part[0]) for y in part)
                    for x, part in zip(loops, parts, strict=True)):
                deriv, compute, update = loops
                deps: set[str] = set()
                states: set[str] = set()
                for st in items:
                    deps |= st.deriv_deps
                    states |= st.state_names
                label = f"{items[0].label} .. {items[-1].label}"
                out.append(replace(items[0], label=label, deriv=deriv, compute=compute,
                                   update=update, deriv_deps=frozenset(deps),
                                   state_names=frozenset(states)))
                return
        out.extend(items)

    last_family = None
    for st in statefuls:
        st = replace(st, deriv=[_rewrite(x, where) for x in st.deriv],
                     compute=[_rewrite(x, where) for x in st.compute],
                     update=[_rewrite(x, where) for x in st.update])
        hit = where.get(min(st.state_names)) if st.state_names else None
        family = hit[0].name if hit is not None else None
        if family is None or family != last_family or (
                pending and hit[1] != pending[-1][0] + 1):
            flush()
        last_family = family
        if family is None:
            out.append(st)
        else:
            pending.append((hit[1], st))
    flush()
    return out


def loop_plan(plan: KernelPlan, families: dict[str, tuple[Family, int]]) -> KernelPlan:
    """``plan`` over arrays, with loops (``families``: scalar name -> (array, index))."""
    arrays = {f.name: f.allocation() for f, _ in families.values()}
    outputs = [(py, _rewrite(name, families)) for py, name in plan.outputs]
    new = replace(
        plan,
        init_nodes=_group(plan.init_nodes, families, plan.file),
        static_nodes=_group(plan.static_nodes, families, plan.file),
        dynamic_nodes=_group(plan.dynamic_nodes, families, plan.file),
        report_nodes=_group(plan.report_nodes, families, plan.file),
        statefuls=_group_statefuls(plan.statefuls, families),
        outputs=outputs,
    )
    new.arrays = arrays
    return new
