"""VECTOR SELECT, VECTOR SORT ORDER, VECTOR RANK, VECTOR REORDER, VECTOR ELM MAP, INVERT MATRIX.

VECTOR SELECT reduces over its ``range!`` subscripts, like SUM. The others return an array
over the last subscript range of the variable (INVERT MATRIX: the last two); every cell
computes the whole array from the cells of its argument (other subscripts of the cell fix the
other dimensions) and reads its own entry, as for the allocation functions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sdmodels._common import LazyModule
from sdmodels.compiler._dependencies import bang_ranges
from sdmodels.compiler._subscripts import SubscriptError

_ae = LazyModule("pysd.translators.structures.abstract_expressions")

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler._expressions import Context, ExpressionVisitor

__all__ = ["VECTOR_FUNCTIONS"]

Code = tuple[str, frozenset[str]]


def _array(visitor: ExpressionVisitor, arg: Any, ctx: Context, envs: list[dict[str, str]]) -> Code:
    exprs = [visitor.visit(arg, replace(ctx, env={**ctx.env, **env})) for env in envs]
    deps: frozenset[str] = frozenset()
    for e in exprs:
        deps = deps | e.deps
    return "np.array([" + ", ".join(e.as_float() for e in exprs) + "])", deps


def _last_range(visitor: ExpressionVisitor, ctx: Context, what: str, k: int = 1) -> list[str]:
    if len(ctx.env) < k:
        visitor.unsupported(f"{what} in a variable with fewer than {k} subscript range(s)", ctx,
                            "it returns an array over the variable's last range")
    return list(ctx.env)[-k:]


def _nargs(visitor: ExpressionVisitor, node: Any, ctx: Context, what: str, n: int) -> None:
    if len(node.arguments) != n:
        visitor.unsupported(f"{what} with {len(node.arguments)} arguments (expected {n})", ctx)


def vector_select(visitor: ExpressionVisitor, node: Any, ctx: Context) -> Code:
    """VECTOR SELECT(selection[dim!], expression[dim!], missing, numerical action, error action)."""
    _nargs(visitor, node, ctx, "VECTOR SELECT", 5)
    sel_ast, expr_ast, missing, action, error = node.arguments
    ranges = bang_ranges(sel_ast) or bang_ranges(expr_ast)
    if not ranges:
        visitor.unsupported("VECTOR SELECT without a 'range!' subscript", ctx)
    resolver = visitor.builder.resolver
    envs = [dict(zip(ranges, coords, strict=True))
            for coords in itertools.product(*(resolver.values(r) for r in ranges))]
    sel, d1 = _array(visitor, sel_ast, ctx, envs)
    expr, d2 = _array(visitor, expr_ast, ctx, envs)
    rest = [visitor.visit(a, ctx) for a in (missing, action, error)]
    code = f"f_vector_select({sel}, {expr}, {', '.join(r.as_float() for r in rest)})"
    deps = d1 | d2
    for r in rest:
        deps = deps | r.deps
    return code, deps


def _over_last(helper: str, what: str) -> Callable[[ExpressionVisitor, Any, Context], Code]:
    """A function of (vector over the last range, second argument) read at this cell's entry."""

    def build(visitor: ExpressionVisitor, node: Any, ctx: Context) -> Code:
        _nargs(visitor, node, ctx, what, 2)
        (dim,) = _last_range(visitor, ctx, what)
        coords = visitor.builder.resolver.values(dim)
        envs = [{dim: c} for c in coords]
        vector, d1 = _array(visitor, node.arguments[0], ctx, envs)
        if helper == "f_vector_reorder":
            second, d2 = _array(visitor, node.arguments[1], ctx, envs)
        else:
            arg = visitor.visit(node.arguments[1], ctx)
            second, d2 = arg.as_float(), arg.deps
        pos = coords.index(ctx.env[dim])
        return f"{helper}({vector}, {second})[{pos}]", d1 | d2

    return build


def invert_matrix(visitor: ExpressionVisitor, node: Any, ctx: Context) -> Code:
    """INVERT MATRIX(matrix[rows, columns], size): the inverse over the variable's last two ranges."""
    if len(node.arguments) not in (1, 2):
        visitor.unsupported(f"INVERT MATRIX with {len(node.arguments)} arguments", ctx)
    rows, cols = _last_range(visitor, ctx, "INVERT MATRIX", 2)
    resolver = visitor.builder.resolver
    r_coords, c_coords = resolver.values(rows), resolver.values(cols)
    if len(r_coords) != len(c_coords):
        visitor.unsupported("INVERT MATRIX of a matrix that is not square", ctx)
    envs = [{rows: r, cols: c} for r in r_coords for c in c_coords]
    flat, deps = _array(visitor, node.arguments[0], ctx, envs)
    n = len(r_coords)
    pos = r_coords.index(ctx.env[rows]) * n + c_coords.index(ctx.env[cols])
    return f"f_invert_matrix({flat}, {n})[{pos}]", deps


#: PySD's function name -> code generator (``(visitor, call node, context) -> (code, deps)``).
VECTOR_FUNCTIONS: dict[str, Callable[[ExpressionVisitor, Any, Context], Code]] = {
    "vector_select": vector_select,
    "vector_sort_order": _over_last("f_vector_sort_order", "VECTOR SORT ORDER"),
    "vector_rank": _over_last("f_vector_rank", "VECTOR RANK"),
    "vector_reorder": _over_last("f_vector_reorder", "VECTOR REORDER"),
    "invert_matrix": invert_matrix,
}


def _clean(name: str) -> str:
    return name.lower().replace(" ", "_")


def subscript_value(resolver: Any, reference: str, env: dict[str, str]) -> float | None:
    """The value of a subscript range or element named in an expression, or ``None`` if
    ``reference`` names neither (or a range this cell does not run over).

    Vensim's definition, as PySD computes it: the 1-based position of the element in its family
    (the range it was first declared in: the largest range holding it), so that with
    ``item: i1, i2, i3`` and ``sub: i2, i3``, ``sub`` is 2 and 3, ``item`` 1, 2 and 3 and ``i2``
    is 2 anywhere (``IF THEN ELSE(item = i2, ...)``).

    Examples
    --------
    >>> class R:
    ...     subscripts = {"item": ["i1", "i2", "i3"], "sub": ["i2", "i3"]}
    >>> subscript_value(R(), "sub", {"sub": "i3"}), subscript_value(R(), "i2", {})
    (3.0, 2.0)
    >>> subscript_value(R(), "other", {}) is None
    True
    """
    ranges = {_clean(k): k for k in resolver.subscripts}
    if reference in ranges:
        coord = env.get(ranges[reference])
        if coord is None:
            return None
    else:
        coords = {_clean(c): c for values in resolver.subscripts.values() for c in values}
        if reference not in coords:
            return None
        coord = coords[reference]
    families = [v for v in resolver.subscripts.values() if coord in v]
    family = max(families, key=len)  # the first of the largest: where the element was declared
    return float(family.index(coord) + 1)


def vector_elm_map(visitor: ExpressionVisitor, node: Any, ctx: Context) -> Code:
    """VECTOR ELM MAP(vec[element], offset): the cell of ``vec``'s variable ``offset`` places after
    the one named, counting the variable's cells in order (the last subscript fastest), as the
    Vensim documentation defines it; NaN outside the variable (Vensim: an error and :NA:)."""
    _nargs(visitor, node, ctx, "VECTOR ELM MAP", 2)
    vec, offset = node.arguments
    if not isinstance(vec, _ae.ReferenceStructure) or vec.subscripts is None:
        visitor.unsupported("VECTOR ELM MAP of something other than a subscripted variable", ctx)
    builder = visitor.builder
    target = builder.element_of(vec.reference, ctx)
    try:
        base = builder.resolver.resolve(target.dims, list(vec.subscripts.subscripts), ctx.env)
    except SubscriptError as exc:
        visitor.unsupported(f"VECTOR ELM MAP of {target.name!r}", ctx, str(exc))
    cells = builder.resolver.element_cells(target.dims)
    names = [builder.cell_name(target, cell) for cell in cells]
    off = visitor.visit(offset, ctx)
    code = (f"f_vector_elm_map(np.array([{', '.join(names)}]), {cells.index(base)}, "
            f"{off.as_float()})")
    return code, frozenset(names) | off.deps


VECTOR_FUNCTIONS["vector_elm_map"] = vector_elm_map
