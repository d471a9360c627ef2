"""Read, edit and write the NHS model's Vensim text, regenerating the sketch views.

The model file is the single source of truth for every equation; this helper only keeps its layout
tidy: one Vensim view per sector, every element placed on a grid in the view of its sector, and an
arrow for every dependency between two elements of the same view. Run it after editing equations::

    python docs/model/tools/mdl_text.py models/nhs_productivity.mdl

It rewrites the sketch section from the equation section and leaves the equations untouched.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Element", "ModelText", "main", "source_text"]

_SECTOR = re.compile(r"\*{56}\s*\n\s*\.(?P<name>[^\n]+)\n\*{56}~\s*\n(?P<doc>.*?)\|", re.DOTALL)
_SKETCH_MARK = "\\\\\\---/// Sketch information"
_HEADER = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"
_FOOTER = "///---\\\\\\\n:L<%^E!@\n9:Current\n15:0,0,0,0,0,0\n19:100,0\n"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9 _]*[A-Za-z0-9]|[A-Za-z]")


def source_text(doc: str) -> str:
    """The source a model-file comment cites: its text after "Source:", whitespace collapsed
    ("" where the comment names none)."""
    return " ".join(doc.split("Source:", 1)[1].split()) if "Source:" in doc else ""


@dataclass
class Element:
    """One equation block: name, right-hand side, units (with range) and comment."""

    name: str
    equation: str
    units: str
    doc: str
    op: str = "="

    def text(self) -> str:
        return f"{self.name}{self.op}\n\t{self.equation}\n\t~\t{self.units}\n\t~\t{self.doc}\n\t|\n"


@dataclass
class ModelText:
    """The equation section of a Vensim file as sectors of elements."""

    head: str
    sectors: list[tuple[str, str, list[Element]]] = field(default_factory=list)

    @classmethod
    def read(cls, path: str | Path) -> ModelText:
        text = Path(path).read_text(encoding="utf-8")
        body = text.split(_SKETCH_MARK)[0]
        matches = list(_SECTOR.finditer(body))
        model = cls(head=body[: matches[0].start()])
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
            chunk = body[m.end() : end]
            elements = []
            for block in chunk.split("|"):
                if not block.strip():
                    continue
                eq_part, units, doc = block.split("~")
                mm = re.match(r"\s*(.+?)\s*(=|:=)\s*(.*)$", eq_part.strip(), re.DOTALL)
                if mm is None:
                    raise ValueError(f"cannot parse block {block[:60]!r}")
                name, op, rhs = mm.groups()
                elements.append(
                    Element(name.strip(), " ".join(rhs.split()), units.strip(), doc.strip(),
                            "=" if op == "=" else op)
                )
            model.sectors.append((m.group("name").strip(), m.group("doc"), elements))
        return model

    # ------------------------------------------------------------------ editing
    def find(self, name: str) -> Element:
        for _, _, elements in self.sectors:
            for el in elements:
                if el.name == name:
                    return el
        raise KeyError(name)

    def sector_of(self, name: str) -> str:
        for sector, _, elements in self.sectors:
            if any(el.name == name for el in elements):
                return sector
        raise KeyError(name)

    def set(self, name: str, equation: str | None = None, units: str | None = None,
            doc: str | None = None) -> None:
        el = self.find(name)
        if equation is not None:
            el.equation = " ".join(equation.split())
        if units is not None:
            el.units = units
        if doc is not None:
            el.doc = " ".join(doc.split())

    def add(self, sector: str, name: str, equation: str, units: str, doc: str) -> None:
        for existing in self.names():
            if existing.lower() == name.lower():
                raise ValueError(f"{name} already defined")
        for s, _, elements in self.sectors:
            if s == sector:
                elements.append(Element(name, " ".join(equation.split()), units,
                                        " ".join(doc.split())))
                return
        raise KeyError(sector)

    def remove(self, name: str) -> None:
        for _, _, elements in self.sectors:
            for el in list(elements):
                if el.name == name:
                    elements.remove(el)
                    return
        raise KeyError(name)

    def names(self) -> list[str]:
        return [el.name for _, _, elements in self.sectors for el in elements]

    # ------------------------------------------------------------------ writing
    def equations_text(self) -> str:
        out = [self.head]
        for sector, doc, elements in self.sectors:
            out.append("*" * 56 + f"\n\t.{sector}\n" + "*" * 56 + f"~\n{doc}|\n\n")
            out.extend(el.text() + "\n" for el in elements)
        return "".join(out)

    def sketch_text(self) -> str:
        names = self.names()
        by_lower = {n.lower(): n for n in names}
        pattern = re.compile(
            "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.IGNORECASE
        )
        views = []
        for sector, _, elements in self.sectors:
            if sector == "Control":
                continue
            lines = ["V300  Do not put anything below this section - it will be ignored",
                     f"*{sector}", _HEADER]
            ids: dict[str, int] = {}
            for k, el in enumerate(elements):
                ids[el.name] = k + 1
                x, y = 150 + 220 * (k % 6), 100 + 110 * (k // 6)
                lines.append(f"10,{k + 1},{el.name},{x},{y},50,11,8,3,0,0,0,0,0,0")
            next_id = len(elements) + 1
            for el in elements:
                used = {by_lower[m.group(0).lower()] for m in pattern.finditer(el.equation)
                        if _whole(el.equation, m)}
                for dep in sorted(used):
                    if dep in ids and dep != el.name:
                        lines.append(f"1,{next_id},{ids[dep]},{ids[el.name]},0,0,0,0,0,64,0,"
                                     "-1--1--1,,1|(0,0)|")
                        next_id += 1
            views.append("\n".join(lines) + "\n")
        return "".join(f"{_SKETCH_MARK} - do not modify anything except names\n{v}" for v in views) \
            + _FOOTER

    def write(self, path: str | Path) -> None:
        Path(path).write_text(self.equations_text() + self.sketch_text(), encoding="utf-8")


def _whole(text: str, m: re.Match[str]) -> bool:
    before = text[m.start() - 1] if m.start() else " "
    after = text[m.end()] if m.end() < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "models/nhs_productivity.mdl")
    ModelText.read(path).write(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
