"""The model's reference pages, served beside the dashboard (``/model-docs/``).

Every element of a diagram links to its entry here: one page per sector, one entry per variable
(``<sector>.html#<python name>``) with its kind, units, declared range, default value, its
documentation (which holds its source), what its equation reads and what reads it, each a link.
Where the model's documentation folder has a page for the sector (``docs/model/<sector>.md``
beside ``models/``), it is rendered on the same page below the entries, so the prose and the
sources of the model engineer are one click away; ``loops.md`` becomes ``loops.html``.
Everything is written as escaped text: nothing from the model file runs as HTML.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

from sdmodels.loops import dependency_graph

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["docs_folder", "reference_pages", "sector_slug", "variable_href", "write_reference"]

_STYLE = """<style>
body{font-family:Helvetica,Arial,sans-serif;max-width:980px;margin:24px auto;padding:0 16px;
color:#222;line-height:1.45}
section.var{border-top:1px solid #ddd;padding:8px 0}
section.var:target{background:#fff7d6}
.kind{color:#666;font-size:90%} table{border-collapse:collapse} td,th{border:1px solid #ddd;
padding:3px 6px;vertical-align:top} nav a{margin-right:12px} code{background:#f4f4f4}
img{max-width:100%}
</style>"""


def sector_slug(sector: str) -> str:
    """``"Capacity and flow"`` -> ``"capacity-and-flow"`` (the docs page naming)."""
    return re.sub(r"[^a-z0-9]+", "-", sector.lower()).strip("-")


def variable_href(model: Model, py: str, base: str = "model-docs/") -> str | None:
    """The link of a variable's entry (``None`` for an element drawn in no sector)."""
    sector = model.variables[py].sector if py in model.variables else None
    return f"{base}{sector_slug(sector)}.html#{py}" if sector else None


def docs_folder(model: Model) -> Path | None:
    """``docs/model/`` of the repository the model file sits in (``models/<file>``), if any."""
    folder = model.path.resolve().parent.parent / "docs" / "model"
    return folder if (folder / "index.md").is_file() else None


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _value(value: object) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):g}"  # type: ignore[arg-type]
    return ", ".join(f"{v:g}" for v in np.ravel(value))  # type: ignore[arg-type]


def _markdown(path: Path) -> str:
    """A docs page as HTML, links to other pages rewritten to the served copies."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(
        anchors_plugin, max_level=3, permalink=False)
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    body = md.render(text)
    return re.sub(r'href="([\w-]+)\.md(#[^"]*)?"', r'href="\1.html\2"', body)


def _entry(model: Model, py: str, reads: set[str], readers: set[str]) -> str:
    info = model.variables[py]

    def link(other: str) -> str:
        href = variable_href(model, other, base="")
        name = _esc(model.variables[other].name)
        return f'<a href="{_esc(href)}">{name}</a>' if href else name

    rows = [f"<tr><th>units</th><td>{_esc(info.units or 'dimensionless')}</td></tr>"]
    if info.min is not None or info.max is not None:
        lo = "open" if info.min is None else f"{info.min:g}"
        hi = "open" if info.max is None else f"{info.max:g}"
        rows.append(f"<tr><th>range</th><td>[{lo}, {hi}]</td></tr>")
    if hasattr(info, "value"):
        rows.append(f"<tr><th>default value</th><td>{_esc(_value(info.value))}</td></tr>")
    known = [r for r in sorted(reads) if r in model.variables]
    if known:
        rows.append("<tr><th>its equation reads</th><td>"
                    + ", ".join(link(r) for r in known) + "</td></tr>")
    users = [r for r in sorted(readers) if r in model.variables]
    if users:
        rows.append("<tr><th>read by</th><td>" + ", ".join(link(r) for r in users)
                    + "</td></tr>")
    return (f'<section class="var" id="{_esc(py)}"><h3>{_esc(info.name)} '
            f'<span class="kind">({_esc(info.kind)})</span></h3>'
            f"<p>{_esc(info.doc or 'No documentation in the model file.')}</p>"
            f"<table>{''.join(rows)}</table></section>")


def reference_pages(model: Model, docs: Path | None = None) -> dict[str, str]:
    """``{file name: HTML}``: ``index.html``, one page per sector and the rendered docs pages
    of ``docs`` (see :func:`docs_folder`) that no sector page includes."""
    graph = dependency_graph(model)
    readers: dict[str, set[str]] = {}
    for target, sources in graph.items():
        for source in sources:
            readers.setdefault(source, set()).add(target)
    sectors = model.sectors
    nav = "<nav>" + "".join(f'<a href="{sector_slug(s)}.html">{_esc(s)}</a>' for s in sectors)
    if docs is not None and (docs / "loops.md").is_file():
        nav += '<a href="loops.html">Feedback loops</a>'
    nav += "</nav>"
    pages: dict[str, str] = {}
    title = _esc(model.path.name)
    for sector, members in sectors.items():
        slug = sector_slug(sector)
        entries = "".join(_entry(model, py, graph.get(py, set()), readers.get(py, set()))
                          for py in sorted(members, key=lambda p: model.variables[p].name.lower()))
        prose = ""
        if docs is not None and (docs / f"{slug}.md").is_file():
            prose = f"<hr><h2>The sector in the model documentation</h2>{_markdown(docs / f'{slug}.md')}"
        pages[f"{slug}.html"] = (
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_esc(sector)}"
            f" — {title}</title>{_STYLE}</head><body>{nav}<h1>{_esc(sector)}</h1>"
            f"<p>Every element of the sector in the model file {title}: its documentation "
            f"(with its source), units, range and links.</p>{entries}{prose}</body></html>")
    index = "".join(f'<li><a href="{sector_slug(s)}.html">{_esc(s)}</a> ({len(m)} elements)</li>'
                    for s, m in sectors.items())
    overview = (_markdown(docs / "index.md") if docs is not None
                and (docs / "index.md").is_file() else "")
    pages["index.html"] = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                           f"<title>{title}</title>{_STYLE}</head><body>{nav}<h1>{title}</h1>"
                           f"<ul>{index}</ul>{overview}</body></html>")
    if docs is not None:
        for md in sorted(docs.glob("*.md")):
            name = f"{md.stem}.html"
            if name not in pages:
                pages[name] = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                               f"<title>{_esc(md.stem)}</title>{_STYLE}</head><body>{nav}"
                               f"{_markdown(md)}</body></html>")
    return pages


def write_reference(model: Model, folder: Path) -> Path:
    """Write :func:`reference_pages` (and the docs' figures) into ``folder``; return it."""
    docs = docs_folder(model)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in reference_pages(model, docs).items():
        (folder / name).write_text(text, encoding="utf-8")
    if docs is not None and (docs / "loops").is_dir():
        (folder / "loops").mkdir(exist_ok=True)
        for svg in (docs / "loops").glob("*.svg"):
            (folder / "loops" / svg.name).write_bytes(svg.read_bytes())
    return folder
