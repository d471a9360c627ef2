"""Subscript ranges: the cells of an element and the cell a reference reads.

The compiler resolves subscripts cell by cell at compile time (each cell, one coordinate per
dimension, is an entry of its variable's array in the generated kernel; ``_loops`` turns
same-shaped cells into loops). This module decides, for
an equation written for a block of cells, which cell of each referenced
variable a given cell reads: same-name ranges, subranges, mapped ranges
(position by position), fixed coordinates and ``dim!`` ranges of SUM, PROD,
VMIN and VMAX.
"""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["SubscriptError", "SubscriptResolver"]

Cell = tuple[str, ...]


class SubscriptError(ValueError):
    """A reference whose subscripts cannot be matched to the cell being computed."""


class SubscriptResolver:
    """Resolve cells of elements and subscripted references.

    Parameters
    ----------
    subscripts
        Range name -> ordered coordinates (subranges included).
    mapping
        Range name -> ranges it maps to.

    Examples
    --------
    >>> r = SubscriptResolver({"dim": ["a", "b", "c"], "sub": ["a", "b"]}, {})
    >>> [cell for cell, env, _ in r.component_cells(["sub"], [])]
    [('a',), ('b',)]
    >>> r.resolve(["dim"], ["dim"], {"sub": "b"})
    ('b',)
    """

    def __init__(self, subscripts: dict[str, list[str]], mapping: dict[str, list[Any]]) -> None:
        self.subscripts = subscripts
        self.mapping = mapping

    def is_range(self, name: str) -> bool:
        return name.rstrip("!") in self.subscripts

    def values(self, name: str) -> list[str]:
        """Coordinates named by a range (``dim`` or ``dim!``) or by a single coordinate."""
        base = name.rstrip("!")
        if base in self.subscripts:
            return list(self.subscripts[base])
        return [name]

    def element_cells(self, dims: list[str]) -> list[Cell]:
        """All cells of an element with final dimensions ``dims`` (row-major)."""
        return [tuple(c) for c in itertools.product(*(self.subscripts[d] for d in dims))]

    def component_cells(
        self, subs: list[str], excepts: list[list[str]]
    ) -> list[tuple[Cell, dict[str, str], int]]:
        """Cells defined by one component, with the name bindings of each.

        Returns ``(cell, env, flat_index)`` where ``env`` maps each range
        written on the left-hand side to the cell's coordinate, and
        ``flat_index`` is the cell's position in the full (pre-EXCEPT) block,
        used to pick a value from a literal array.
        """
        blocks = [self.values(s) for s in subs]
        excluded: set[Cell] = set()
        for exc in excepts:
            excluded.update(
                tuple(c) for c in itertools.product(*(self.values(s) for s in exc))
            )
        out = []
        for flat, cell in enumerate(itertools.product(*blocks)):
            if cell in excluded:
                continue
            env = {s: c for s, c in zip(subs, cell, strict=True) if self.is_range(s)}
            out.append((tuple(cell), env, flat))
        return out

    def _maps(self, a: str, b: str) -> bool:
        return any(isinstance(m, str) and m == b for m in self.mapping.get(a, []))

    def _coordinate_for(self, ref: str, env: dict[str, str]) -> str:
        ref_values = self.values(ref)
        # mapped ranges: position by position
        for lhs, coord in env.items():
            if lhs.endswith("!"):
                continue
            if self._maps(ref, lhs) or self._maps(lhs, ref):
                lhs_values = self.values(lhs)
                idx = lhs_values.index(coord)
                if idx >= len(ref_values):
                    raise SubscriptError(f"mapping {lhs} -> {ref} has no position {idx}")
                return ref_values[idx]
        # sub- or super-ranges sharing coordinates
        for lhs, coord in env.items():
            if lhs.endswith("!"):
                continue
            lhs_values = set(self.values(lhs))
            if coord in ref_values and (
                lhs_values <= set(ref_values) or set(ref_values) <= lhs_values
            ):
                return coord
        raise SubscriptError(
            f"subscript {ref!r} does not match any subscript of the equation's left-hand side"
        )

    def resolve(self, target_dims: list[str], ref_subs: list[str] | None, env: dict[str, str]) -> Cell:
        """The cell of a variable with dimensions ``target_dims`` read by ``ref_subs``."""
        if ref_subs is None:
            ref_subs = list(target_dims)
        if len(ref_subs) != len(target_dims):
            raise SubscriptError(
                f"reference has {len(ref_subs)} subscripts, variable has {len(target_dims)}"
            )
        cell = []
        for ref, dim in zip(ref_subs, target_dims, strict=True):
            if ref in env:
                coord = env[ref]
            elif not self.is_range(ref):
                coord = ref
            elif ref.endswith("!"):
                raise SubscriptError(f"{ref!r} is only valid inside SUM, PROD, VMIN or VMAX")
            else:
                coord = self._coordinate_for(ref, env)
            if coord not in self.subscripts[dim]:
                raise SubscriptError(f"coordinate {coord!r} is not in range {dim!r}")
            cell.append(coord)
        return tuple(cell)
