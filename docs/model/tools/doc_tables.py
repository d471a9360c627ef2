"""Regenerate the stock, lever and parameter tables of the sector pages in ``docs/model/``.

The prose of each page is written by hand; its three tables are rewritten from the model file so
that they never drift from the equations::

    python docs/model/tools/doc_tables.py

A page's table is the run of lines starting with ``|`` that follows its ``## Stocks``,
``## Policy levers`` or ``## Parameters`` heading (and any intervening paragraph).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mdl_text import ModelText, source_text

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[3]
_NUMBER = re.compile(r"^-?[0-9.]+(e[-+]?[0-9]+)?$", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<units>.*?)\s*\[(?P<lo>[^,\]]+),(?P<hi>[^,\]]+)(,[^\]]*)?\]\s*$")


def _split_units(units: str) -> tuple[str, str]:
    m = _RANGE.match(units)
    if not m:
        return units.strip(), ""
    return m.group("units").strip(), f"[{float(m.group('lo')):g}, {float(m.group('hi')):g}]"


def _tables(model: ModelText, sector: str) -> dict[str, list[str]]:
    elements = next(els for s, _, els in model.sectors if s == sector)
    stocks = ["| stock | units | meaning |", "| --- | --- | --- |"]
    levers = ["| lever | units | range | meaning |", "| --- | --- | --- | --- |"]
    params = ["| parameter | default | range | units | source and meaning |",
              "| --- | --- | --- | --- | --- |"]
    for el in sorted(elements, key=lambda e: e.name.lower()):
        units, rng = _split_units(el.units)
        doc = el.doc.replace("|", "/")
        if el.equation.upper().startswith("INTEG"):
            stocks.append(f"| {el.name} | {units} | {doc} |")
        elif _NUMBER.match(el.equation.strip()):
            if el.name.endswith(" Start Year"):
                continue
            if doc.startswith("Policy lever"):
                levers.append(f"| {el.name} | {units} | {rng} | {doc.split(') ', 1)[-1]} |")
            else:
                params.append(f"| {el.name} | {float(el.equation):g} | {rng} | {units} | {doc} |")
    return {"## Stocks": stocks, "## Policy levers": levers, "## Parameters": params}


def _replace(text: str, heading: str, table: list[str]) -> str:
    lines = text.split("\n")
    if heading not in lines:
        return text
    i = lines.index(heading) + 1
    while i < len(lines) and not lines[i].startswith("|") and not lines[i].startswith("## "):
        i += 1
    if i >= len(lines) or lines[i].startswith("## "):
        lines[i:i] = [*table, ""]
        return "\n".join(lines)
    j = i
    while j < len(lines) and lines[j].startswith("|"):
        j += 1
    lines[i:j] = table
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    model = ModelText.read(ROOT / "models" / "nhs_productivity.mdl")
    for sector, _, _ in model.sectors:
        if sector == "Control":
            continue
        page = ROOT / "docs" / "model" / f"{sector.lower().replace(' ', '-')}.md"
        text = page.read_text(encoding="utf-8")
        for heading, table in _tables(model, sector).items():
            text = _replace(text, heading, table)
        page.write_text(text, encoding="utf-8")
    return 0




def source_type(doc: str) -> str:
    """Classify a constant's source comment: primary, assumption, calibrated, definition, lever, notes."""
    src = source_text(doc)
    if doc.startswith("Policy lever") or src.startswith("scenario input"):
        return "lever"
    if src.startswith("Definition"):
        return "definition"
    if src.startswith("Calibrated") or src.startswith("England 2024 profile"):
        return "calibrated"
    if src.startswith("Assumption") or not src:
        return "assumption"
    if src.startswith("parameter anchors") or src.startswith("reference figures"):
        return "notes"
    return "primary"


def constants_table(model: ModelText) -> tuple[list[str], dict[str, int]]:
    """The table of every constant of the model with its source type, and counts by type."""
    rows = ["| constant | sector | value | range | units | source type |",
            "| --- | --- | --- | --- | --- | --- |"]
    counts: dict[str, int] = {}
    for sector, _, elements in model.sectors:
        if sector == "Control":
            continue
        for el in sorted(elements, key=lambda e: e.name.lower()):
            if not _NUMBER.match(el.equation.strip()) or el.name.endswith(" Start Year"):
                continue
            units, rng = _split_units(el.units)
            kind = source_type(el.doc)
            counts[kind] = counts.get(kind, 0) + 1
            rows.append(f"| {el.name} | {sector} | {float(el.equation):g} | {rng} | {units} | "
                        f"{kind} |")
    return rows, counts


def write_sources_table(model: ModelText) -> None:
    """Rewrite the generated table of every constant at the end of ``docs/model/sources.md``."""
    page = ROOT / "docs" / "model" / "sources.md"
    rows, counts = constants_table(model)
    total = len(rows) - 2
    text = page.read_text(encoding="utf-8")
    head = text.partition("\nCounts: ")[0]
    non_lever = total - counts.get("lever", 0)
    primary = counts.get("primary", 0)
    share = 100 * primary / non_lever
    if share >= 60:
        verdict = "meeting the target of 60%"
    else:
        verdict = ("below the target of 60%: the other constants are assumptions (with their reasoning and\n"
                   "range), calibrated values and definitions")
    if counts.get("notes"):
        verdict += f"; {counts['notes']} still cite only the tables above and need their publication found"
    summary = (f"Counts: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))} of {total} "
               f"constants. Primary-sourced:\n{primary} of the {non_lever} that are not levers "
               f"({share:.0f}%), {verdict}.\n\n")
    page.write_text(head + "\n" + summary + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
    write_sources_table(ModelText.read(ROOT / "models" / "nhs_productivity.mdl"))
