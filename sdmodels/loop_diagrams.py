"""Causal-loop diagrams (SVG) of the feedback loops checked by :mod:`sdmodels.loops`.

Two figures are drawn from :func:`sdmodels.loops.check_loops`, never by hand:

- :func:`loop_svg`: one loop, its variables round a circle in the direction of influence, each
  arrow marked with its measured sign (``+``: the target moves with the source, a minus sign: against),
  the loop's polarity (R or B) in the middle;
- :func:`overview_svg`: all loops at once, each reduced to the variables it shares with other
  loops (and its stocks where it shares fewer than three) (an arrow of the overview stands for a chain of the model; its sign is the
  product of the chain's signs, so every loop keeps its polarity), a numbered R/B label at the
  centre of each loop and a legend.

Every variable is a link (``href(py_name)``) to its documentation, and carries a ``<title>``
(units, kind, documentation and source) shown on hover. The figures carry
:func:`sdmodels.loops.loops_fingerprint` so that a test can tell when they are out of date.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import networkx as nx

from sdmodels.loops import POLARITIES, LoopCheck, loops_fingerprint
from sdmodels.plots import PALETTE

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["condensed_loops", "loop_figures", "loop_svg", "overview_svg", "sector_page"]

Href = Callable[[str], str | None]
_FONT = 15
_POS, _NEG = PALETTE[0], "#C0392B"
_R_COLOUR, _B_COLOUR = "#B4451F", "#1F5FA8"
_MINUS = "\N{MINUS SIGN}"


def sector_page(model: Model, py: str) -> str | None:
    """The documentation page stem of the sector a variable is drawn in (``"capacity-and-flow"``)."""
    sector = model.variables[py].sector
    return sector.lower().replace(" ", "-") if sector else None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _wrap(text: str, width: int = 14) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _label(x: float, y: float, text: str, *, size: int = _FONT, weight: str = "normal",
           colour: str = "#222", width: int = 14, halo: bool = False) -> str:
    lines = _wrap(text, width)
    step = size * 1.2
    top = y - step * (len(lines) - 1) / 2 + size * 0.35
    spans = "".join(f'<tspan x="{x:.1f}" y="{top + i * step:.1f}">{_esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    # a white halo under the letters: an arrow passing behind a label never crosses its text
    ring = (' stroke="white" stroke-width="5" stroke-linejoin="round" paint-order="stroke"'
            if halo else "")
    return (f'<text text-anchor="middle" font-size="{size}" font-weight="{weight}" '
            f'fill="{colour}"{ring}>{spans}</text>')


def _half_size(text: str, size: int = _FONT, width: int = 14) -> tuple[float, float]:
    lines = _wrap(text, width)
    return (max(len(line) for line in lines) * size * 0.3 + 6,
            len(lines) * size * 0.6 + 5)


def _node(model: Model, py: str, x: float, y: float, href: Href) -> str:
    info = model.variables[py]
    title = (f"<title>{_esc(info.name)} [{_esc(info.units or 'dimensionless')}] ({info.kind}): "
             f"{_esc(info.doc)}</title>")
    shape = ""
    if info.kind in ("stock", "stateful"):
        hw, hh = _half_size(info.name)
        shape = (f'<rect x="{x - hw:.1f}" y="{y - hh:.1f}" width="{2 * hw:.1f}" '
                 f'height="{2 * hh:.1f}" rx="3" fill="#DCEBF5" stroke="{PALETTE[0]}"/>')
    label = _label(x, y, info.name, weight="bold" if shape else "normal", halo=not shape)
    body = f"{title}{shape}{label}"
    target = href(py)
    cls = f'class="cld-node" data-name="{_esc(info.name)}"'
    if target:
        return f'<a {cls} href="{_esc(target)}" target="_blank">{body}</a>'
    return f"<g {cls}>{body}</g>"


def _clip(centre: tuple[float, float], towards: tuple[float, float],
          half: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from ``centre`` to ``towards`` leaves a label's box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    if not dx and not dy:
        return centre
    t = min(half[0] / abs(dx) if dx else math.inf, half[1] / abs(dy) if dy else math.inf)
    t = min(t, 0.45)
    return centre[0] + dx * t, centre[1] + dy * t


Boxes = Sequence[tuple[float, float, float, float]]  # centre x, centre y, half width, half height
_SIGN_HALF = 10.0  # half the height of a drawn + or minus sign (19 px bold, with its line box)
_SIGN_CLEAR = 6.0  # least gap between a sign and any label box


def _gap(x: float, y: float, box: tuple[float, float, float, float]) -> float:
    """Distance from a sign centred at ``(x, y)`` to ``box`` (negative when they overlap)."""
    bx, by, hw, hh = box
    dx = abs(x - bx) - hw - _SIGN_HALF
    dy = abs(y - by) - hh - _SIGN_HALF
    if dx > 0 and dy > 0:
        return math.hypot(dx, dy)
    return max(dx, dy)


def _sign_place(start: tuple[float, float], bend: tuple[float, float],
                end: tuple[float, float], avoid: Boxes) -> tuple[float, float]:
    """Where an arrow's sign goes: beside the curve near its head, at the first of a few
    places along it (and either side) clear of every label box by ``_SIGN_CLEAR``; failing
    that, the place farthest from them."""
    best, best_gap = None, -math.inf
    for t in (0.78, 0.7, 0.62, 0.86, 0.54, 0.46):
        px = (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * bend[0] + t * t * end[0]
        py = (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * bend[1] + t * t * end[1]
        tx = 2 * (1 - t) * (bend[0] - start[0]) + 2 * t * (end[0] - bend[0])
        ty = 2 * (1 - t) * (bend[1] - start[1]) + 2 * t * (end[1] - bend[1])
        norm = math.hypot(tx, ty) or 1.0
        for side in (1, -1):
            sx, sy = px - side * ty / norm * 13, py + side * tx / norm * 13
            gap = min((_gap(sx, sy, box) for box in avoid), default=math.inf)
            if gap >= _SIGN_CLEAR:
                return sx, sy
            if gap > best_gap:
                best, best_gap = (sx, sy), gap
    assert best is not None
    return best


def _arrow(a: tuple[float, float], b: tuple[float, float], bend: tuple[float, float],
           sign: int, half_a: tuple[float, float], half_b: tuple[float, float],
           avoid: Boxes = ()) -> str:
    """A curved arrow from label ``a`` to label ``b`` through control point ``bend``; its sign
    kept clear of the label boxes ``avoid``."""
    pad = 4.0  # the head stops short of the label
    start = _clip(a, bend, (half_a[0] + pad, half_a[1] + pad))
    end = _clip(b, bend, (half_b[0] + pad, half_b[1] + pad))
    colour = _POS if sign > 0 else _NEG
    mark = "+" if sign > 0 else _MINUS
    sx, sy = _sign_place(start, bend, end, avoid)
    dash = "" if sign > 0 else ' stroke-dasharray="7,4"'
    marker = "cld-pos" if sign > 0 else "cld-neg"
    return (f'<path class="cld-link" d="M{start[0]:.1f},{start[1]:.1f} Q{bend[0]:.1f},'
            f'{bend[1]:.1f} {end[0]:.1f},{end[1]:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash} marker-end="url(#{marker})"/>'
            f'<text class="cld-sign" x="{sx:.1f}" y="{sy + 6:.1f}" text-anchor="middle" '
            f'font-size="19" font-weight="bold" fill="{colour}">{mark}</text>')


def _defs() -> str:
    return ("<defs>" + "".join(
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for name, colour in (("cld-pos", _POS), ("cld-neg", _NEG))) + "</defs>")


def _badge(x: float, y: float, text: str, polarity: str, *, size: int = 22) -> str:
    colour = _R_COLOUR if polarity == "R" else _B_COLOUR
    r = size * (0.95 if len(text) == 1 else 1.15)
    return (f'<g class="cld-polarity" data-polarity="{polarity}">'
            f'<title>{_esc(POLARITIES[polarity])} loop</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="white" stroke="{colour}" '
            f'stroke-width="2.5"/>{_label(x, y, text, size=size, weight="bold", colour=colour)}'
            f"</g>")


def _open(width: float, height: float, label: str, fingerprint: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{_esc(label)}" '
            f'font-family="Helvetica, Arial, sans-serif" data-fingerprint="{fingerprint}">'
            f'<rect width="100%" height="100%" fill="white"/>{_defs()}')


def loop_svg(model: Model, check: LoopCheck, *, href: Href = lambda py: None,
             fingerprint: str = "") -> str:
    """One loop as a causal-loop diagram (variables round a circle, signed arrows, R/B inside).

    Parameters
    ----------
    model
        The model.
    check
        The loop, checked (:func:`sdmodels.loops.check_loops`).
    href
        Where each variable links to (``None``: no link).
    fingerprint
        Written into the figure (``data-fingerprint``).
    """
    loop, n = check.loop, len(check.loop.variables)
    radius = max(130.0, 24.0 * n)
    rx, ry = radius * 1.35, radius
    cx, cy = rx + 120, ry + 110
    width, height = 2 * cx, 2 * ry + 300
    pos, half = {}, {}
    for i, py in enumerate(loop.variables):
        angle = -math.pi / 2 + 2 * math.pi * i / n  # clockwise from the top
        pos[py] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
        half[py] = _half_size(model.variables[py].name)
    parts = [_open(width, height, f"Causal loop diagram of {loop.name} "
                   f"({POLARITIES[loop.polarity]})", fingerprint)]
    parts.append(_label(cx, 30, f"{loop.name} ({loop.polarity}, {POLARITIES[loop.polarity]})",
                        size=19, weight="bold", width=80))
    avoid = [(*pos[py], *half[py]) for py in loop.variables] + [(cx, cy, 30.0, 30.0)]
    for link in check.links:
        a, b = pos[link.source], pos[link.target]
        mid = ((a[0] + b[0]) / 2 - cx, (a[1] + b[1]) / 2 - cy)
        norm = math.hypot(mid[0] / rx, mid[1] / ry) or 1.0
        bend = (cx + mid[0] / norm * 1.12, cy + mid[1] / norm * 1.12)
        parts.append(_arrow(a, b, bend, link.sign or 1, half[link.source], half[link.target],
                            avoid))
    for py in loop.variables:
        parts.append(_node(model, py, *pos[py], href))
    parts.append(_badge(cx, cy, loop.polarity, loop.polarity, size=30))
    parts.append(_label(cx, cy + 48, "↻", size=30, colour="#777"))
    story = _wrap(loop.story, 95)
    for i, line in enumerate(story):
        parts.append(_label(cx, height - 95 + i * 20, line, size=15, colour="#333", width=200))
    if loop.scenario:
        parts.append(_label(cx, height - 95 + len(story) * 20 + 4,
                            f"(links evaluated in the {loop.scenario} scenario)", size=13,
                            colour="#666", width=200))
    parts.append("</svg>")
    return "".join(parts)


def condensed_loops(model: Model, checks: Sequence[LoopCheck]) -> list[list[tuple[str, str, int]]]:
    """Each loop reduced to the variables it shares with other loops (and its stocks, where it
    shares fewer than three).

    Returns, per loop, the signed edges ``(source, target, sign)`` between consecutive kept
    variables, each sign the product of the signs of the chain it stands for.
    """
    count: dict[str, int] = {}
    for c in checks:
        for py in c.loop.variables:
            count[py] = count.get(py, 0) + 1
    out = []
    for c in checks:
        vs = c.loop.variables
        keep = [i for i, py in enumerate(vs) if count[py] > 1]
        if len(keep) < 3:
            keep = sorted({*keep, *(i for i, py in enumerate(vs)
                                    if model.variables[py].kind in ("stock", "stateful"))})
        if len(keep) < 2:
            keep = sorted({*keep, 0, len(vs) // 2})
        edges = []
        for j, i in enumerate(keep):
            nxt = keep[(j + 1) % len(keep)]
            sign, k = 1, i
            while True:
                sign *= c.links[k].sign or 1
                k = (k + 1) % len(vs)
                if k == nxt:
                    break
            edges.append((vs[i], vs[nxt], sign))
        out.append(edges)
    return out


_SPACE = 34.0  # least gap between two labels of the overview: room for an arrow and its sign


def _spread(pos: dict[str, list[float]], half: dict[str, tuple[float, float]],
            rounds: int = 200) -> None:
    names = list(pos)
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                dx, dy = pos[b][0] - pos[a][0], pos[b][1] - pos[a][1]
                gap_x = half[a][0] + half[b][0] + _SPACE - abs(dx)
                gap_y = half[a][1] + half[b][1] + _SPACE - abs(dy)
                if gap_x <= 0 or gap_y <= 0:
                    continue
                moved = True
                if gap_x / (half[a][0] + half[b][0]) < gap_y / (half[a][1] + half[b][1]):
                    s = (1 if dx >= 0 else -1) * gap_x / 2
                    pos[a][0] -= s
                    pos[b][0] += s
                else:
                    s = (1 if dy >= 0 else -1) * gap_y / 2
                    pos[a][1] -= s
                    pos[b][1] += s
        if not moved:
            return


def overview_svg(model: Model, checks: Sequence[LoopCheck], *, href: Href = lambda py: None,
                 fingerprint: str = "") -> str:
    """All loops in one causal-loop diagram, each reduced (:func:`condensed_loops`) and labelled
    with its number and polarity (R1, B2, ...); a legend lists them."""
    reduced = condensed_loops(model, checks)
    graph = nx.Graph()
    edges: dict[tuple[str, str], int] = {}
    for loop_edges in reduced:
        for a, b, sign in loop_edges:
            graph.add_edge(a, b)
            edges.setdefault((a, b), sign)
    labels = [f"{c.loop.polarity}{i}" for i, c in enumerate(checks, start=1)]
    layout = nx.kamada_kawai_layout(graph)
    for label, loop_edges in zip(labels, reduced, strict=True):  # each label amid its loop
        members = [layout[a] for a, _, _ in loop_edges]
        layout[f"loop:{label}"] = (sum(p[0] for p in members) / len(members),
                                   sum(p[1] for p in members) / len(members))
    xs = [p[0] for p in layout.values()]
    ys = [p[1] for p in layout.values()]
    # at most 1000 px wide; a small graph is not stretched across it (90 px per node and axis)
    cap = 90.0 * math.sqrt(len(layout))
    sx = min((1000.0 - 240) / ((max(xs) - min(xs)) or 1.0), cap)
    sy = min((720.0 - 160) / ((max(ys) - min(ys)) or 1.0), cap * 0.75)
    legend_chars = max(len(c.loop.name) + len(_short(c.loop.story)) + 6 for c in checks)
    width = max(520.0, (max(xs) - min(xs)) * sx + 240, min(1000.0, 60 + 8.4 * legend_chars))
    left = 120 + (width - ((max(xs) - min(xs)) * sx + 240)) / 2  # the graph centred
    pos = {n: [left + (p[0] - min(xs)) * sx, 110 + (p[1] - min(ys)) * sy]
           for n, p in sorted(layout.items())}
    half = {n: ((26.0, 26.0) if n.startswith("loop:")
                else _half_size(model.variables[n].name)) for n in pos}
    _spread(pos, half)
    # spreading may push labels out: the frame is drawn round them, 30 px clear
    x0 = min(p[0] - half[n][0] for n, p in pos.items()) - 30
    x1 = max(p[0] + half[n][0] for n, p in pos.items()) + 30
    shift = -x0 + max(0.0, (width - (x1 - x0)) / 2) if x0 < 0 or x1 > width else 0.0
    for p in pos.values():
        p[0] += shift
    width = max(width, x1 - x0)
    legend = _legend_lines(checks, labels, width)
    legend_top = max(p[1] + half[n][1] for n, p in pos.items()) + 40
    height = legend_top + 22 * sum(len(lines) for lines in legend) + 6 * len(checks) + 30
    parts = [_open(width, height, "Causal loop overview of the model's main feedback loops",
                   fingerprint)]
    parts.append(_label(width / 2, 30, "Main feedback loops", size=20, weight="bold", width=80))
    avoid = [(*pos[n], *half[n]) for n in pos]
    for (a, b), sign in edges.items():
        pa, pb = tuple(pos[a]), tuple(pos[b])
        dx, dy = pb[0] - pa[0], pb[1] - pa[1]
        bend = ((pa[0] + pb[0]) / 2 - dy * 0.15, (pa[1] + pb[1]) / 2 + dx * 0.15)
        parts.append(_arrow(pa, pb, bend, sign, half[a], half[b], avoid))
    for n, p in pos.items():
        if not n.startswith("loop:"):
            parts.append(_node(model, n, p[0], p[1], href))
    for label, c in zip(labels, checks, strict=True):
        x, y = pos[f"loop:{label}"]
        parts.append(f'<g class="cld-loop" data-loop="{_esc(c.loop.name)}"><title>'
                     f"{_esc(c.loop.name)}: {_esc(c.loop.story)}</title>"
                     f"{_badge(x, y, label, c.loop.polarity, size=17)}</g>")
    y = legend_top
    for label, c, lines in zip(labels, checks, legend, strict=True):
        colour = _R_COLOUR if c.loop.polarity == "R" else _B_COLOUR
        first, *rest = lines
        parts.append(f'<text class="cld-legend" x="40" y="{y:.1f}" font-size="15">'
                     f'<tspan font-weight="bold" fill="{colour}">{label}</tspan>'
                     f'<tspan dx="8" font-weight="bold">{_esc(c.loop.name)}</tspan>'
                     f'<tspan dx="8" fill="#444">{_esc(first)}</tspan>'
                     + "".join(f'<tspan x="{_LEGEND_INDENT:.0f}" dy="22" fill="#444">'
                               f"{_esc(line)}</tspan>" for line in rest)
                     + "</text>")
        y += 22 * len(lines) + 6
    parts.append("</svg>")
    return "".join(parts)


# Widths of the legend's 15 px text, generous for Helvetica/Arial (average letter about
# 0.5 em, bold 0.56 em), so that a wrapped line stays inside the frame in any sans-serif.
_CHAR, _BOLD_CHAR, _LEGEND_INDENT = 8.0, 9.2, 72.0


def _legend_lines(checks: Sequence[LoopCheck], labels: Sequence[str],
                  width: float) -> list[list[str]]:
    """Each legend entry's story, wrapped to the frame: the first line after the loop's label
    and name, the others indented under the name."""
    out = []
    for label, c in zip(labels, checks, strict=True):
        head = 40 + (len(label) + len(c.loop.name)) * _BOLD_CHAR + 16
        room_first = max(10, int((width - 30 - head) / _CHAR))
        room = max(20, int((width - 30 - _LEGEND_INDENT) / _CHAR))
        lines: list[str] = []
        for word in c.loop.story.split():
            cap = room_first if len(lines) == 1 else room
            if lines and len(lines[-1]) + 1 + len(word) <= cap:
                lines[-1] += " " + word
            else:
                lines.append(word)
        out.append(lines or [""])
    return out


def _short(text: str, limit: int = 105) -> str:
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + " …"



def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


def loop_figures(model: Model, checks: Sequence[LoopCheck], *, href: Href,
                 folder: str = "loops") -> tuple[dict[str, str], str]:
    """The figures of ``docs/model/loops.md`` and the page's generated section.

    Returns
    -------
    files, section
        ``{relative path: SVG}`` (the overview and one figure per loop, under ``folder``), and
        the Markdown between the page's ``<!-- loops:begin -->`` and ``<!-- loops:end -->``
        markers: the overview, a table of the loops and each loop's figure.
    """
    stamp = loops_fingerprint(checks, model)
    files = {f"{folder}/overview.svg": overview_svg(model, checks, href=href, fingerprint=stamp)}
    rows = ["| | loop | polarity | cycle (measured sign of each link) | story |",
            "| --- | --- | --- | --- | --- |"]
    sections = []
    for i, c in enumerate(checks, start=1):
        path = f"{folder}/{_slug(c.loop.name)}.svg"
        files[path] = loop_svg(model, c, href=href, fingerprint=stamp)
        names = model.variables
        cycle = " ".join(f"{names[lk.source].name} →{'+' if lk.sign > 0 else _MINUS}"
                         for lk in c.links) + f" {names[c.loop.variables[0]].name}"
        label = f"{c.loop.polarity}{i}"
        rows.append(f"| {label} | [{c.loop.name}](#{_slug(c.loop.name)}) | "
                    f"{POLARITIES[c.loop.polarity]} | {cycle} | {c.loop.story} |")
        scenario = (f" Links evaluated in the `{c.loop.scenario}` scenario (the programme they "
                    f"run through is off in the baseline)." if c.loop.scenario else "")
        sections.append(f"### {c.loop.name}\n\n{label}, {POLARITIES[c.loop.polarity]}. "
                        f"{c.loop.story}{scenario}\n\n![{c.loop.name}]({path})\n")
    section = "\n".join([
        f"<!-- generated by docs/model/tools/loop_figures.py from the model; fingerprint {stamp} -->",
        "", "![Main feedback loops](" + f"{folder}/overview.svg)", "", *rows, "", *sections])
    return files, section
