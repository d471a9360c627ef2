"""ALLOCATE BY PRIORITY and ALLOCATE AVAILABLE: one vector per cell of the allocating variable.

The allocation runs over the last subscript range of the variable's equation (PySD's and
Vensim's convention: the request's last dimension). Every cell computes the whole allocation
(:func:`sdmodels.compiler._support.f_allocate_by_priority`, ``f_allocate_available``) from its
vector of requests and reads its own entry; other subscripts of the cell fix the other
dimensions of the arguments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sdmodels._common import LazyModule
from sdmodels.compiler._subscripts import SubscriptError

_ae = LazyModule("pysd.translators.structures.abstract_expressions")

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler._expressions import Context, ExpressionVisitor

__all__ = ["allocate_available", "allocate_by_priority"]


def _vector(visitor: ExpressionVisitor, ctx: Context, what: str) -> tuple[str, list[str], int]:
    """The allocation range, its coordinates and the position of this cell in it."""
    if not ctx.env:
        visitor.unsupported(f"{what} in a variable without subscripts", ctx,
                            "the allocating variable needs the targets' subscript range")
    dim = list(ctx.env)[-1]
    coords = visitor.builder.resolver.values(dim)
    return dim, coords, coords.index(ctx.env[dim])


def _over(visitor: ExpressionVisitor, arg: Any, ctx: Context, dim: str, coords: list[str]):
    exprs = [visitor.visit(arg, replace(ctx, env={**ctx.env, dim: c})) for c in coords]
    deps: frozenset[str] = frozenset()
    for e in exprs:
        deps = deps | e.deps
    return "np.array([" + ", ".join(e.as_float() for e in exprs) + "])", deps


def allocate_by_priority(visitor: ExpressionVisitor, node: Any, ctx: Context) -> tuple[str, frozenset[str]]:
    """ALLOCATE BY PRIORITY(request, priority, size, width, supply) for this cell: code, deps."""
    dim, coords, pos = _vector(visitor, ctx, "ALLOCATE BY PRIORITY")
    request, d1 = _over(visitor, node.request, ctx, dim, coords)
    priority, d2 = _over(visitor, node.priority, ctx, dim, coords)
    width = visitor.visit(node.width, ctx)
    supply = visitor.visit(node.supply, ctx)
    code = (f"f_allocate_by_priority({request}, {priority}, {width.as_float()}, "
            f"{supply.as_float()})[{pos}]")
    return code, d1 | d2 | width.deps | supply.deps


def allocate_available(visitor: ExpressionVisitor, node: Any, ctx: Context) -> tuple[str, frozenset[str]]:
    """ALLOCATE AVAILABLE(request, pp, avail) for this cell: code, deps.

    ``pp`` names a variable whose last range holds the priority profile (ptype, ppriority,
    pwidth, pextra), as PySD reads it: the last subscript written is replaced by that range.
    """
    dim, coords, pos = _vector(visitor, ctx, "ALLOCATE AVAILABLE")
    request, d1 = _over(visitor, node.request, ctx, dim, coords)
    pp = node.pp
    if not isinstance(pp, _ae.ReferenceStructure) or pp.subscripts is None:
        visitor.unsupported("ALLOCATE AVAILABLE with a priority profile that is not a subscripted "
                            "variable", ctx)
    target = visitor.builder.element_of(pp.reference, ctx)
    profile = target.dims[-1]
    subs = [*list(pp.subscripts.subscripts)[:-1], profile]
    names = []
    resolver = visitor.builder.resolver
    for c in coords:
        for p in resolver.values(profile):
            env = {**ctx.env, dim: c, profile: p}
            try:
                cell = resolver.resolve(target.dims, subs, env)
            except SubscriptError as exc:
                visitor.unsupported(f"priority profile {target.name!r}", ctx, str(exc))
            names.append(visitor.builder.cell_name(target, cell))
    if len(resolver.values(profile)) != 4:
        visitor.unsupported("a priority profile range without 4 elements", ctx,
                            "ptype, ppriority, pwidth, pextra")
    avail = visitor.visit(node.avail, ctx)
    code = (f"f_allocate_available({request}, np.array([{', '.join(names)}]), "
            f"{avail.as_float()})[{pos}]")
    return code, d1 | frozenset(names) | avail.deps
