"""The model text is split into entries by regular expressions that match PySD's section grammar
(``section_elements.peg``) exactly: same entries, and ``None`` (PySD's own parser then runs and
reports) wherever the grammar does not match the whole text."""

from __future__ import annotations

from pathlib import Path

import parsimonious
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pysd.translators.vensim import vensim_utils
from pysd.translators.vensim.vensim_element import Element
from pysd.translators.vensim.vensim_file import VensimFile
from pysd.translators.vensim.vensim_section import SectionElementsVisitor

from sdmodels._diagnose import model_encoding
from sdmodels.compiler._translate import split_section

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def pysd_split(text: str) -> list[tuple] | None:
    """PySD's ``VensimSection.parse(parse_all=False)`` of ``text`` (each element's equation,
    units, limits and documentation); ``None`` if the grammar does not match."""
    try:
        tree = vensim_utils.Grammar.get("section_elements").parse(text)
    except parsimonious.exceptions.ParseError:
        return None
    return [_fields(e) for e in SectionElementsVisitor(tree).entries]


def _fields(element: Element) -> tuple:
    return element.equation, element.units, element.limits, element.documentation


def ours_split(text: str) -> list[tuple] | None:
    found = split_section(text)
    return None if found is None else [_fields(Element(*entry)) for entry in found]


def assert_same(text: str) -> None:
    ours, theirs = ours_split(text), pysd_split(text)
    if theirs is None:
        assert ours is None, text
    else:
        assert ours == theirs, text


def model_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.mdl") if ".cache" not in p.parts)


@pytest.mark.parametrize("path", model_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_model_file_splits_as_pysd_splits_it(path: Path) -> None:
    vf = VensimFile(path, encoding=model_encoding(path))
    vf.parse(parse_all=False)
    for section in vf.sections:
        ours = ours_split(section.content)
        assert ours is not None, section.name  # the fast path serves every model we ship
        assert ours == pysd_split(section.content)


#: Characters that change how the grammar reads a text, and some that do not.
_ALPHABET = ["~", "|", '"', "\\", "\n", " ", "a", "=", "[", "]", ":"]


@SETTINGS
@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_any_text_splits_as_pysd_splits_it(text: str) -> None:
    assert_same(text)


_PIECE = st.lists(st.sampled_from(["a", " ", "\n", '"', "\\", '\\"', '"x~y|z"', "~", "|", "b"]),
                  max_size=6).map("".join)


@SETTINGS
@given(st.lists(st.tuples(_PIECE, _PIECE, _PIECE, st.none() | _PIECE, st.booleans()),
                min_size=1, max_size=5),
       st.sampled_from(["", "\n", " tail", "\\\\\\---/// Sketch"]))
def test_entries_with_quotes_escapes_and_headers_split_as_pysd_splits_them(entries, tail) -> None:
    parts = []
    for equation, units, doc, extra, header in entries:
        if header:
            parts.append(f"{equation}~{units}|")
        else:
            parts.append(f"{equation}~{units}~{doc}" + ("" if extra is None else f"~{extra}") + "|")
    assert_same("".join(parts) + tail)


def test_well_formed_entries_take_the_fast_path() -> None:
    text = ('x = "a~b|c" + y\n ~ Person [0,?]\n ~ A comment, "quoted" once. |\n'
            '********\n .Control\n********~\n Simulation control |\n'
            'y = 1 ~~|\nz = \\\n 2 ~ Dmnl ~ doc ~ :SUPPLEMENTARY |')
    assert ours_split(text) == pysd_split(text)
    assert split_section(text) == [('x = "a~b|c" + y', "Person [0,?]", 'A comment, "quoted" once.'),
                                   ("y = 1", "", ""), ("z = \\\n 2", "Dmnl", "doc")]
