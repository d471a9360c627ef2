"""Stock-and-flow diagrams of a model's sectors, generated from its abstract model.

Stocks are boxes, flows are thick arrows (pipes with a valve) from the stock they drain to the
stock they fill (or from/to a cloud outside the model boundary), auxiliaries are labelled dots,
and thin grey arrows are information links (what each equation reads). Elements of other sectors
that an equation reads are drawn as grey "ghosts". The layout is computed, not read from the
Vensim sketch, so the diagram always matches the equations.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from sdmodels.errors import UnknownNameError
from sdmodels.plots import PALETTE

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["Flow", "SectorStructure", "sector_structure", "sector_svg"]

_STOCK_KINDS = ("stock", "stateful")


@dataclass(frozen=True)
class Flow:
    """A flow variable and the stocks it drains (``source``) and fills (``target``)."""

    name: str
    source: str | None
    target: str | None


@dataclass
class SectorStructure:
    """The elements of one sector and how they connect (Python names).

    Attributes
    ----------
    sector
        The sector (Vensim view) name.
    stocks, flows, auxiliaries, constants
        Elements drawn in this sector, by kind.
    ghosts
        Elements of other sectors read by this sector's equations.
    links
        Information links ``(reads, element)``.
    """

    sector: str
    stocks: list[str] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    auxiliaries: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    ghosts: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    ghost_constants: set[str] = field(default_factory=set)


def _children(node: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield getattr(node, f.name)
    elif isinstance(node, list | tuple):
        yield from node
    elif isinstance(node, dict):
        yield from node.values()


def _references(node: Any) -> Iterator[str]:
    """Every name an expression reads (function names of calls excluded)."""
    kind = type(node).__name__
    if kind == "ReferenceStructure":
        yield node.reference
        return
    if kind == "CallStructure":
        for arg in node.arguments:
            yield from _references(arg)
        return
    for child in _children(node):
        yield from _references(child)


def _signed_terms(flow: Any) -> list[tuple[int, Any]]:
    """Split a net-flow expression ``a + b - c`` into signed terms."""
    if type(flow).__name__ == "ArithmeticStructure" and set(flow.operators) <= {"+", "-"}:
        terms = [(1, flow.arguments[0])]
        terms += [(1 if op == "+" else -1, arg)
                  for op, arg in zip(flow.operators, flow.arguments[1:], strict=True)]
        return terms
    if type(flow).__name__ == "LogicStructure" or flow is None:
        return []
    if type(flow).__name__ == "ArithmeticStructure" and flow.operators == ["negative"]:
        return [(-s, t) for s, t in _signed_terms(flow.arguments[0])]
    return [(1, flow)]


def _elements(model: Model) -> dict[str, list[Any]]:
    """Abstract-model ASTs of every element, by Python name."""
    out: dict[str, list[Any]] = {}
    for section in model.abstract.sections:
        for element in section.elements:
            try:
                py = model.resolve(element.name)
            except KeyError:
                continue
            out[py] = [c.ast for c in element.components]
    return out


def _resolve_refs(model: Model, refs: Iterator[str]) -> list[str]:
    names = []
    for ref in refs:
        try:
            py = model.resolve(ref)
        except KeyError:
            continue  # time, builtins
        if py not in names:
            names.append(py)
    return names


def sector_structure(model: Model, sector: str) -> SectorStructure:
    """Classify and connect the elements of one sector.

    Parameters
    ----------
    model
        The model.
    sector
        A key of ``model.sectors``.

    Returns
    -------
    SectorStructure
    """
    if sector not in model.sectors:
        raise UnknownNameError(sector, list(model.sectors), what="sector",
                               context=model.path.name)
    members = model.sectors[sector]
    asts = _elements(model)
    kinds = {py: model.variables[py].kind for py in model.variables}
    out = SectorStructure(sector)
    inflows, outflows, indirect = _stock_flows(model, members, asts, kinds, out)
    flow_names = list(dict.fromkeys([*outflows, *inflows]))
    for name in flow_names:
        for src in outflows.get(name, [None]):
            for dst in inflows.get(name, [None]):
                out.flows.append(Flow(name, src, dst))
    drawn = set(out.stocks) | set(flow_names)
    rest = [py for py in members if py not in drawn]
    out.constants.extend(py for py in rest if kinds[py] == "constant")
    out.auxiliaries.extend(py for py in rest if kinds[py] not in ("constant", "control"))
    shown = set(members) | set(flow_names)
    for py in [*flow_names, *out.auxiliaries, *(s for s in out.stocks
                                                 if kinds[s] == "stateful")]:
        for ast in asts.get(py, []):
            for ref in _resolve_refs(model, _references(ast)):
                if kinds.get(ref) != "control" and ref != py:
                    _add_link(out, shown, ref, py)
    for stock, refs in indirect.items():
        for ref in refs:
            _add_link(out, shown, ref, stock, self_link=False)
    # flows drawn in this sector whose element lives elsewhere are not ghosts
    out.ghosts = [g for g in out.ghosts if g not in drawn]
    out.ghost_constants = {g for g in out.ghosts if kinds.get(g) == "constant"}
    return out


def _stock_flows(model: Model, members: list[str], asts: dict[str, list[Any]],
                 kinds: dict[str, str], out: SectorStructure,
                 ) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Record the sector's stocks in ``out``; their inflows and outflows (flow -> stocks) and
    the references of flow terms that are expressions rather than named flows (stock -> refs)."""
    inflows: dict[str, list[str]] = {}
    outflows: dict[str, list[str]] = {}
    indirect: dict[str, list[str]] = {}
    for py in members:
        if kinds[py] not in _STOCK_KINDS:
            continue
        out.stocks.append(py)
        for ast in asts.get(py, []):
            if type(ast).__name__ != "IntegStructure":
                continue
            for sign, term in _signed_terms(ast.flow):
                if type(term).__name__ != "ReferenceStructure":
                    indirect.setdefault(py, []).extend(_resolve_refs(model, _references(term)))
                    continue
                flow = _resolve_refs(model, iter([term.reference]))
                if flow:
                    (inflows if sign > 0 else outflows).setdefault(flow[0], []).append(py)
    return inflows, outflows, indirect


def _add_link(out: SectorStructure, shown: set[str], ref: str, target: str, *,
              self_link: bool = True) -> None:
    """An information link ``ref -> target``; ``ref`` is a ghost when the sector does not show it."""
    if ref not in shown and ref not in out.ghosts:
        out.ghosts.append(ref)
    if (self_link or ref != target) and (ref, target) not in out.links:
        out.links.append((ref, target))


def _link_paths(s: SectorStructure, pos: dict[str, Any], xy: Callable[[str], tuple[float, float]],
                flow_nodes: dict[str, str]) -> list[str]:
    """The curved arrows of the sector's information links, as SVG paths."""
    paths = []
    for a, b in s.links:
        a, b = flow_nodes.get(a, a), flow_nodes.get(b, b)
        if a not in pos or b not in pos:
            continue
        (ax, ay), (bx, by) = xy(a), xy(b)
        dx, dy = bx - ax, by - ay
        dist = math.hypot(dx, dy) or 1.0
        shrink_a, shrink_b = 22.0, 24.0
        sx, sy = ax + dx * shrink_a / dist, ay + dy * shrink_a / dist
        ex, ey = bx - dx * shrink_b / dist, by - dy * shrink_b / dist
        cx, cy = (sx + ex) / 2 - dy * 0.12, (sy + ey) / 2 + dx * 0.12
        paths.append(f'<path class="link" d="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} '
                     f'{ex:.1f},{ey:.1f}" fill="none" stroke="{_LINK}" stroke-width="1" '
                     f'marker-end="url(#link-head)"/>')
    return paths


# ---------------------------------------------------------------------------- layout
def _stock_order(s: SectorStructure) -> list[str]:
    after: dict[str, set[str]] = {st: set() for st in s.stocks}
    for f in s.flows:
        if f.source in after and f.target in after and f.source != f.target:
            after[f.target].add(f.source)
    order: list[str] = []
    pending = list(s.stocks)
    while pending:
        ready = [st for st in pending if after[st] <= set(order)] or pending[:1]
        order.append(ready[0])
        pending.remove(ready[0])
    return order


def _stock_rows(s: SectorStructure, per_row: int = 3) -> list[list[str]]:
    """Stocks linked by flows share a row (in flow order); unlinked stocks fill the last rows."""
    parent = {st: st for st in s.stocks}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for f in s.flows:
        if f.source in parent and f.target in parent:
            parent[root(f.source)] = root(f.target)
    order = _stock_order(s)
    groups: dict[str, list[str]] = {}
    for st in order:
        groups.setdefault(root(st), []).append(st)
    chains = sorted((g for g in groups.values() if len(g) > 1), key=len, reverse=True)
    singles = [g[0] for g in groups.values() if len(g) == 1]
    rows: list[list[str]] = []
    for chain in [*chains, singles]:
        rows.extend(chain[i:i + per_row] for i in range(0, len(chain), per_row))
    return [r for r in rows if r]


def _ghosts(s: SectorStructure, show_constants: bool) -> list[str]:
    return [g for g in s.ghosts if show_constants or g not in s.ghost_constants]


def _layout(s: SectorStructure, *, show_constants: bool) -> dict[str, tuple[float, float]]:
    fixed: dict[str, tuple[float, float]] = {}
    for row, chain in enumerate(_stock_rows(s)):
        for i, st in enumerate(chain):
            fixed[st] = (6.0 * i, -6.0 * row)
    internal_in = {f.target for f in s.flows if f.source in fixed and f.target in fixed}
    internal_out = {f.source for f in s.flows if f.source in fixed and f.target in fixed}
    pair_count: dict[tuple[str, str], int] = {}
    side_count: dict[tuple[str, int], int] = {}
    for f in s.flows:
        key = f"flow:{f.name}:{f.source}:{f.target}"
        if f.source in fixed and f.target in fixed:
            (x0, y0), (x1, y1) = fixed[f.source], fixed[f.target]
            slot = pair_count.get((f.source, f.target), 0)
            pair_count[(f.source, f.target)] = slot + 1
            fixed[key] = ((x0 + x1) / 2, (y0 + y1) / 2 + 1.2 * slot)
        elif f.target in fixed or f.source in fixed:
            inflow = f.target in fixed
            stock = f.target if inflow else f.source
            x, y = fixed[stock]
            slot = side_count.get((stock, inflow), 0)
            side_count[(stock, inflow)] = slot + 1
            sideways = slot == 0 and stock not in (internal_in if inflow else internal_out)
            if sideways:  # from the left / to the right
                sign = -1 if inflow else 1
                fixed[key] = (x + sign * 2.2, y)
                fixed[f"cloud:{key}"] = (x + sign * 3.6, y)
            else:  # from above / downwards, side by side
                sign = 1 if inflow else -1
                dx = 1.3 * ((slot + (0 if stock in (internal_in if inflow else internal_out)
                                     else -1)) - 0.0)
                fixed[key] = (x + dx, y + sign * 1.8)
                fixed[f"cloud:{key}"] = (x + dx, y + sign * 3.0)
    graph = nx.Graph()
    graph.add_nodes_from(fixed)
    free = [*s.auxiliaries, *_ghosts(s, show_constants), *(s.constants if show_constants else [])]
    graph.add_nodes_from(free)
    flow_nodes = {f.name: f"flow:{f.name}:{f.source}:{f.target}" for f in s.flows}
    for a, b in s.links:
        a, b = flow_nodes.get(a, a), flow_nodes.get(b, b)
        if a in graph and b in graph:
            graph.add_edge(a, b)
    if not free:
        return fixed
    # a weak pull towards the middle keeps unlinked groups of auxiliaries close by
    cx = sum(p[0] for p in fixed.values()) / max(1, len(fixed))
    cy = sum(p[1] for p in fixed.values()) / max(1, len(fixed))
    centre = "__centre__"
    graph.add_node(centre)
    for name in free:
        graph.add_edge(name, centre, weight=0.08)
    init = {**fixed, centre: (cx, cy)}
    for i, name in enumerate(free):
        angle = 2 * math.pi * i / max(1, len(free))
        init[name] = (cx + 6 * math.cos(angle), cy + 3 * math.sin(angle))
    pos = nx.spring_layout(graph, pos=init, fixed=[*fixed, centre], k=1.1, iterations=200,
                           seed=1)
    placed = {n: (float(p[0]), float(p[1])) for n, p in pos.items() if n != centre}
    return _spread(placed, free, min_gap=1.8)


def _spread(pos: dict[str, tuple[float, float]], free: list[str], *, min_gap: float,
            rounds: int = 60) -> dict[str, tuple[float, float]]:
    """Push free nodes apart (and off fixed ones) until labels no longer sit on each other."""
    xy = {n: list(p) for n, p in pos.items()}
    movable = set(free)
    names = list(xy)
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if a not in movable and b not in movable:
                    continue
                dx, dy = xy[b][0] - xy[a][0], (xy[b][1] - xy[a][1]) * 1.6
                dist = math.hypot(dx, dy)
                if dist >= min_gap:
                    continue
                if dist < 1e-6:
                    dx, dy, dist = 0.1, 0.0, 0.1
                push = (min_gap - dist) / 2 / dist
                share_a = 0.0 if a not in movable else (1.0 if b in movable else 2.0)
                share_b = 0.0 if b not in movable else (1.0 if a in movable else 2.0)
                xy[a][0] -= dx * push * share_a
                xy[a][1] -= dy * push * share_a / 1.6
                xy[b][0] += dx * push * share_b
                xy[b][1] += dy * push * share_b / 1.6
                moved = True
        if not moved:
            break
    return {n: (p[0], p[1]) for n, p in xy.items()}


# ---------------------------------------------------------------------------- drawing
_STOCK_FILL, _FLOW, _AUX, _GHOST, _LINK = "#DCEBF5", PALETTE[0], PALETTE[7], "#8a8a8a", "#9a9a9a"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _wrap(text: str, width: int = 16) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return [*lines, line] if line else lines


#: The smallest font of a diagram (px at 100%): the page never shows it below 11 px.
MIN_FONT = 13


def _text(x: float, y: float, label: str, *, size: int = 14, colour: str = "#222",
          italic: bool = False, weight: str = "normal", wrap: int = 16) -> str:
    lines = _wrap(label, wrap)
    style = ' font-style="italic"' if italic else ""
    step = round(size * 1.2)
    out = [(f'<text x="{x:.1f}" y="{y - step / 2 * (len(lines) - 1):.1f}" text-anchor="middle" '
            f'font-size="{size}" fill="{colour}" font-weight="{weight}"{style}>')]
    for i, line in enumerate(lines):
        out.append(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else step}">{_esc(line)}</tspan>')
    out.append("</text>")
    return "".join(out)


def _clip(point: tuple[float, float], towards: tuple[float, float],
          box: bool) -> tuple[float, float]:
    """Where the segment from ``point`` (a stock box or a cloud) to ``towards`` leaves it."""
    dx, dy = towards[0] - point[0], towards[1] - point[1]
    if dx == 0 and dy == 0:
        return point
    if box:
        t = min(62 / abs(dx) if dx else math.inf, 30 / abs(dy) if dy else math.inf)
    else:
        t = 17 / math.hypot(dx, dy)
    return point[0] + dx * t, point[1] + dy * t


def sector_svg(model: Model, sector: str, *, show_constants: bool = False,
               href: Callable[[str], str | None] | None = None) -> str:
    """An SVG stock-and-flow diagram of one sector.

    Parameters
    ----------
    model
        The model.
    sector
        A key of ``model.sectors``.
    show_constants
        Also draw the sector's constants (small grey labels).
    href
        ``href(python name)``: where each element links to (its documentation), or ``None``.

    Returns
    -------
    str
        An ``<svg>`` element with a ``<title>`` per element (hover to see units and docs); with
        ``href``, each element is a link.
    """
    s = sector_structure(model, sector)
    pos = _layout(s, show_constants=show_constants)
    if not pos:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">' \
               f'{_text(200, 35, f"{sector}: no elements")}</svg>'
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    scale = 62.0
    pad = 70.0
    x0, y1 = min(xs), max(ys)
    width = (max(xs) - x0) * scale + 2 * pad
    height = (y1 - min(ys)) * scale + 2 * pad

    def xy(name: str) -> tuple[float, float]:
        x, y = pos[name]
        return (x - x0) * scale + pad, (y1 - y) * scale + pad

    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
         f'width="{width:.0f}" height="{height:.0f}" role="img" '
         f'aria-label="Stock and flow diagram of the {_esc(sector)} sector" '
         f'font-family="Helvetica, Arial, sans-serif" data-sector="{_esc(sector)}">'),
        "<defs>",
        ('<marker id="pipe-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" '
         f'markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{_FLOW}"/>'
         '</marker>'),
        ('<marker id="link-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
         'markerHeight="7" orient="auto"><path d="M0,1 L9,5 L0,9" fill="none" '
         f'stroke="{_LINK}" stroke-width="1.5"/></marker>'),
        "</defs>",
    ]
    info = model.variables

    def title(py: str) -> str:
        v = info[py]
        return f"<title>{_esc(v.name)} [{_esc(v.units or 'dmnl')}] ({v.kind}): {_esc(v.doc)}</title>"

    # information links first (underneath)
    flow_nodes = {f.name: f"flow:{f.name}:{f.source}:{f.target}" for f in s.flows}
    parts.extend(_link_paths(s, pos, xy, flow_nodes))
    # flows: pipe from source (stock or cloud) through the valve to target
    for f in s.flows:
        key = flow_nodes[f.name]
        if key not in pos:
            continue
        vx, vy = xy(key)
        src = xy(f.source) if f.source in pos else xy(f"cloud:{key}")
        dst = xy(f.target) if f.target in pos else xy(f"cloud:{key}")
        for cloud, end in ((f.source is None, src), (f.target is None, dst)):
            if cloud:
                parts.append(f'<ellipse class="cloud" cx="{end[0]:.1f}" cy="{end[1]:.1f}" '
                             f'rx="16" ry="11" fill="#fff" stroke="{_FLOW}" '
                             f'stroke-dasharray="3,2"/>')
        start = _clip(src, (vx, vy), f.source is not None)
        end = _clip(dst, (vx, vy), f.target is not None)
        parts.append(f'<path class="pipe" d="M{start[0]:.1f},{start[1]:.1f} L{vx:.1f},{vy:.1f} '
                     f'L{end[0]:.1f},{end[1]:.1f}" fill="none" stroke="{_FLOW}" '
                     f'stroke-width="4" stroke-linejoin="round" marker-end="url(#pipe-head)"/>')
        parts.append(f'<g class="flow" data-name="{_esc(info[f.name].name)}">{title(f.name)}'
                     f'<path d="M{vx - 9:.1f},{vy - 9:.1f} L{vx + 9:.1f},{vy + 9:.1f} '
                     f'L{vx + 9:.1f},{vy - 9:.1f} L{vx - 9:.1f},{vy + 9:.1f} z" '
                     f'fill="{PALETTE[5]}" stroke="{_FLOW}" stroke-width="1.5"/>'
                     f'{_text(vx, vy + 28, info[f.name].name, size=13, colour=_FLOW)}</g>')
    for st in s.stocks:
        x, y = xy(st)
        parts.append(f'<g class="stock" data-name="{_esc(info[st].name)}">{title(st)}'
                     f'<rect x="{x - 60:.1f}" y="{y - 28:.1f}" width="120" height="56" rx="3" '
                     f'fill="{_STOCK_FILL}" stroke="{PALETTE[0]}" stroke-width="2"/>'
                     f'{_text(x, y + 5, info[st].name, size=14, weight="bold", wrap=13)}</g>')
    for aux in s.auxiliaries:
        x, y = xy(aux)
        parts.append(f'<g class="auxiliary" data-name="{_esc(info[aux].name)}">{title(aux)}'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[1]}"/>'
                     f'{_text(x, y + 20, info[aux].name, size=13, colour=_AUX)}</g>')
    for g in _ghosts(s, show_constants):
        x, y = xy(g)
        parts.append(f'<g class="ghost" data-name="{_esc(info[g].name)}">{title(g)}'
                     f'{_text(x, y + 4, "<" + info[g].name + ">", size=13, colour=_GHOST, italic=True)}</g>')
    if show_constants:
        for c in s.constants:
            x, y = xy(c)
            parts.append(f'<g class="constant" data-name="{_esc(info[c].name)}">{title(c)}'
                         f'{_text(x, y + 4, info[c].name, size=13, colour=_GHOST)}</g>')
    parts.append("</svg>")
    svg = "".join(parts)
    return _linked(svg, model, href) if href else svg


def _linked(svg: str, model: Model, href: Callable[[str], str | None]) -> str:
    """Wrap each element's group in a link to its documentation."""
    by_name = {v.name: py for py, v in model.variables.items()}

    def wrap(match: re.Match[str]) -> str:
        target = href(by_name.get(html.unescape(match.group(2)), ""))
        if not target:
            return match.group(0)
        return f'<a href="{_esc(target)}" target="_blank">{match.group(0)}</a>'

    return re.sub(r'<g class="(stock|flow|auxiliary|ghost|constant)" data-name="([^"]*)">'
                  r'.*?</g>', wrap, svg)
