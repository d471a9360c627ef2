"""Dependencies between generated statements: ordering and hoisting.

The compiler decides what is constant, auxiliary or stateful by walking the
AST (never from the translator's ``type`` labels). Every value in the kernel
is a :class:`Node`: a few statements that assign one local name and read
others. Nodes are ordered topologically; nodes that read neither ``time`` nor
a state are computed once per sample instead of once per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sdmodels._common import LazyModule
from sdmodels.compiler._errors import UnsupportedFeature

_ae = LazyModule("pysd.translators.structures.abstract_expressions")

__all__ = ["Node", "bang_ranges", "dynamic_nodes", "topological_order"]


@dataclass
class Node:
    """Statements assigning ``name`` from the names in ``deps``."""

    name: str
    lines: list[str]
    deps: frozenset[str]
    element: str = ""  # Vensim name, for messages and comments
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def topological_order(
    nodes: dict[str, Node], wanted: list[str] | None, leaves: set[str], file: str
) -> list[Node]:
    """Order ``wanted`` nodes (default: all) and what they need, dependencies first.

    Names in ``leaves`` are available before any node runs. Ties keep the
    order of ``nodes`` (the order of the model file), so the generated source
    reads like the model. A cycle is an algebraic loop, which PySD cannot run
    either; it raises :class:`UnsupportedFeature` naming the elements.
    """
    order: list[Node] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    targets = list(nodes) if wanted is None else wanted
    index = {n: k for k, n in enumerate(nodes)}  # file order, computed once: O(nodes + edges)

    def sorted_deps(name: str) -> list[str]:
        return _sorted_deps(nodes, index, name, leaves)

    for start in targets:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted_deps(start))]
        state[start] = 1
        while stack:
            name, pending = stack[-1]
            if pending:
                dep = pending.pop()
                st = state.get(dep)
                if st == 2:
                    continue
                if st == 1:
                    cycle = [n for n, _ in stack]
                    cycle = cycle[cycle.index(dep):]
                    elems = sorted({nodes[n].element or n for n in cycle})
                    raise UnsupportedFeature(
                        "simultaneous equations (an algebraic loop)",
                        ", ".join(elems),
                        file,
                        detail="break the loop with a stock, SMOOTH or DELAY",
                    )
                state[dep] = 1
                stack.append((dep, sorted_deps(dep)))
            else:
                stack.pop()
                state[name] = 2
                order.append(nodes[name])
    return order


def _sorted_deps(
    nodes: dict[str, Node], index: dict[str, int], name: str, leaves: set[str]
) -> list[str]:
    deps = []
    for d in nodes[name].deps:
        if d in leaves:
            continue
        if d not in nodes:
            raise KeyError(f"internal error: {name} reads undefined {d}")
        deps.append(d)
    # reversed file order, so that popping visits in file order
    return sorted(deps, key=lambda d: -index[d])


def dynamic_nodes(nodes: list[Node], dynamic_leaves: set[str]) -> set[str]:
    """Names of ordered ``nodes`` that read, directly or not, a dynamic leaf."""
    dynamic = set(dynamic_leaves)
    for node in nodes:
        if node.deps & dynamic:
            dynamic.add(node.name)
    return dynamic - set(dynamic_leaves)


def bang_ranges(ast: Any) -> list[str]:
    """Ranges written ``dim!`` in an expression, in order of appearance."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, _ae.ReferenceStructure):
            if node.subscripts is not None:
                for s in node.subscripts.subscripts:
                    if s.endswith("!") and s not in found:
                        found.append(s)
            return
        if isinstance(node, _ae.CallStructure):
            # a nested vector function binds its own ranges
            if node.function.reference in ("sum", "prod", "vmin", "vmax"):
                return
            for a in node.arguments:
                walk(a)
            return
        if hasattr(node, "__dataclass_fields__"):
            for f in node.__dataclass_fields__:
                walk(getattr(node, f))
        elif isinstance(node, (tuple, list)):
            for a in node:
                walk(a)

    walk(ast)
    return found
