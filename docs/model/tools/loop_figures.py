"""Regenerate the causal-loop figures of ``docs/model/loops.md`` from the model's declared loops.

The loops are declared in ``models/nhs_productivity.sdmodels.toml`` (``[[loops]]``) and checked
against the equations by :mod:`sdmodels.loops`; this script draws them (an overview and one figure
per loop under ``docs/model/loops/``) and rewrites the part of ``docs/model/loops.md`` between its
``<!-- loops:begin -->`` and ``<!-- loops:end -->`` markers; the prose around it is kept::

    python docs/model/tools/loop_figures.py

``tests/test_loops.py`` fails when the figures or the table are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sdmodels
from sdmodels.loop_diagrams import loop_figures, sector_page
from sdmodels.loops import check_loops

__all__ = ["BEGIN", "END", "main", "render"]

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "model"
BEGIN, END = "<!-- loops:begin -->", "<!-- loops:end -->"


def render(model_path: Path = ROOT / "models" / "nhs_productivity.mdl") -> tuple[dict[str, str], str]:
    """The figures (by path under ``docs/model/``) and the generated section of the page."""
    model = sdmodels.load_model(model_path)
    checks = check_loops(model)
    bad = {c.loop.name: c.problems for c in checks if not c.ok}
    if bad:
        raise SystemExit(f"declared loops do not hold: {bad}")

    def href(py: str) -> str | None:
        page = sector_page(model, py)
        return f"../{page}.md" if page and (DOCS / f"{page}.md").is_file() else None

    return loop_figures(model, checks, href=href)


def main() -> int:
    files, section = render()
    for rel, text in files.items():
        path = DOCS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for old in (DOCS / "loops").glob("*.svg"):
        if f"loops/{old.name}" not in files:
            old.unlink()
    page = DOCS / "loops.md"
    text = page.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page.write_text(f"{head}{BEGIN}\n{section}\n{END}{tail}", encoding="utf-8")
    print(f"wrote {len(files)} figures and the table of {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
