"""The model reference pages in docs/model stay in step with the model file."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import REQUIRED_OUTPUTS, SECTORS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "model"


def page(sector: str) -> str:
    return (DOCS / f"{sector.lower().replace(' ', '-')}.md").read_text()


def test_index_names_every_sector_output_and_lever(nhs):
    index = (DOCS / "index.md").read_text()
    for sector in SECTORS:
        assert f"{sector.lower().replace(' ', '-')}.md" in index, sector
    for name in REQUIRED_OUTPUTS:
        assert name in index, name
    levers = [p.name for p in nhs.parameters.values() if p.doc.startswith("Policy lever")]
    assert len(levers) >= 10
    for name in levers:
        assert f"| {name} |" in index, name


@pytest.mark.parametrize("sector", SECTORS)
def test_sector_page_lists_its_stocks_and_constants(nhs, sector):
    text = page(sector)
    assert text.startswith(f"# {sector}\n")
    for heading in (
        "## Stocks",
        "## Feedback loops",
        "## Parameters",
        "## What the sector assumes",
        "## What it leaves out",
    ):
        assert heading in text, heading
    missing = [
        nhs.variables[py].name
        for py in nhs.sectors[sector]
        if nhs.variables[py].kind in ("stock", "constant")
        and not nhs.variables[py].name.endswith(" Start Year")
        and f"| {nhs.variables[py].name} |" not in text
    ]
    assert not missing, f"docs/model page for {sector} lacks {missing}"


def test_sources_page_lists_every_constant_with_its_source_type(nhs):
    text = (DOCS / "sources.md").read_text()
    assert "## Every constant" in text
    table = text.split("## Every constant", 1)[1]
    missing = [p.name for p in _constants(nhs) if f"| {p.name} |" not in table]
    assert not missing
    for line, kind in _source_kinds(text):
        assert kind in {"primary", "notes", "assumption", "calibrated", "definition", "lever"}, line


def _source_kinds(text):
    """(row, source type) of every row of the sources page's table of constants."""
    table = text.split("## Every constant", 1)[1]
    return [(line, line.rstrip().rsplit("|", 2)[-2].strip()) for line in table.splitlines()
            if line.startswith("| ") and not line.startswith(("| constant", "| ---"))]


def _constants(nhs):
    return [p for p in nhs.parameters.values() if not p.name.endswith(" Start Year")]


def test_no_constant_cites_an_internal_table_or_leaves_a_source_to_confirm(nhs):
    """Each constant names its own publication or says "Assumption:"; none points at this project's
    own tables ("parameter anchors", "reference figures") or leaves its source "to confirm"."""
    bad = [p.name for p in _constants(nhs)
           if any(s in p.doc.lower() for s in ("parameter anchors", "reference figures",
                                                "to confirm", "to be confirmed"))]
    assert not bad, bad


def test_sources_page_counts_match_the_model(nhs):
    """The generated counts line states the primary-sourced share of the model as it is."""
    import re

    text = (DOCS / "sources.md").read_text()
    m = re.search(r"Primary-sourced:\s+(\d+) of the (\d+) that are not levers \((\d+)%\)", text)
    assert m, "the counts line of docs/model/sources.md is missing: run docs/model/tools/doc_tables.py"
    kinds = [kind for _, kind in _source_kinds(text)]
    primary, non_lever = kinds.count("primary"), len(kinds) - kinds.count("lever")
    assert (int(m.group(1)), int(m.group(2))) == (primary, non_lever)
    assert int(m.group(3)) == round(100 * primary / non_lever)
    assert "notes" not in kinds


def test_uncertainty_file_marks_agree_with_the_model_files_sources(nhs):
    """The shipped uncertainty file marks a parameter [S] exactly where the model file cites a
    publication for it (source type "primary", as on the sources page), and [A] where it is an
    assumption or calibrated: the marks cannot lag the model file's comments."""
    import importlib.util
    import tomllib

    spec = importlib.util.spec_from_file_location("doc_tables", DOCS / "tools" / "doc_tables.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    path = DOCS.parents[1] / "models" / "uncertainty" / "nhs_productivity.toml"
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["parameters"]
    expected = {"primary": "[S]", "assumption": "[A]", "calibrated": "[A]"}
    wrong = {}
    for name, entry in entries.items():
        kind = tool.source_type(nhs.parameters[nhs.resolve(name)].doc)
        if kind in expected and entry["source"][:3] != expected[kind]:
            wrong[name] = (entry["source"][:3], kind)
    assert not wrong, wrong
