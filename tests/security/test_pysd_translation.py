"""Hostile model text never runs as code in PySD's translation of the model.

PySD's builder pastes element documentation into a docstring unescaped and the file
name into the module docstring; sdmodels escapes both before the build and checks the
module PySD wrote (parsed, never run) before importing it, fresh and from the cache.
Each test plants a payload that would create a marker file and runs the model through
PySD: the marker must not exist and the results must be right.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import sdmodels
from sdmodels.errors import CacheRepairWarning, ModelLoadError

DATA = Path(__file__).parent.parent / "data" / "decay"
MODELS = Path(__file__).parent.parent / "compiler" / "models"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def _decay_final(model) -> float:
    ds = model.run(engine="pysd")
    return float(ds["stock"].values.ravel()[-1])


def _expected_decay() -> float:
    return _decay_final(sdmodels.load_model(DATA / "decay.mdl"))


def _hostile_comment(marker: Path) -> str:
    code = f"open({str(marker)!r}, 'w').close()"
    return f'x""";{code};"""'


def test_vensim_comment_with_triple_quotes_runs_nothing(tmp_path):
    marker = tmp_path / "MARKER_comment"
    text = (DATA / "decay.mdl").read_text(encoding="utf-8")
    text = text.replace("First-order drain.", _hostile_comment(marker))
    path = tmp_path / "comment.mdl"
    path.write_text(text, encoding="utf-8")
    expected = _expected_decay()
    for _ in range(2):  # translate, then load the cached translation
        model = sdmodels.load_model(path)
        assert _decay_final(model) == pytest.approx(expected)
        assert "open(" in model.variables["outflow"].doc  # the text itself is kept
    assert not marker.exists()


def test_xmile_doc_with_triple_quotes_runs_nothing(tmp_path):
    marker = tmp_path / "MARKER_xmile_doc"
    text = (MODELS / "nonnegative_stock.xmile").read_text(encoding="utf-8")
    hostile = _hostile_comment(marker).replace('"', "&quot;").replace("'", "&apos;")
    text = text.replace("<doc>Constant inflow.</doc>", f"<doc>{hostile}</doc>")
    path = tmp_path / "doc.xmile"
    path.write_text(text, encoding="utf-8")
    for _ in range(2):
        model = sdmodels.load_model(path)
        ds = model.run(engine="pysd")
        assert np.isfinite(ds["inventory"].values).all()
    assert not marker.exists()


def test_file_name_with_triple_quotes_runs_nothing(tmp_path):
    marker_name = "MARKER_file"
    path = tmp_path / f'x""";open("{marker_name}","w");""".mdl'
    shutil.copy(DATA / "decay.mdl", path)
    expected = _expected_decay()
    for _ in range(2):
        assert _decay_final(sdmodels.load_model(path)) == pytest.approx(expected)
    assert not (tmp_path / marker_name).exists()


def test_unescaped_translation_is_refused_before_it_runs(tmp_path, monkeypatch):
    """Defence in depth: without the escaping, the check of PySD's module refuses it."""
    import sdmodels.model as model_module

    monkeypatch.setattr(model_module, "prepare_for_builder", lambda abstract, *, file: abstract)
    marker = tmp_path / "MARKER_unescaped"
    text = (DATA / "decay.mdl").read_text(encoding="utf-8")
    text = text.replace("First-order drain.", _hostile_comment(marker))
    path = tmp_path / "comment.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelLoadError, match="refusing to load PySD's translation"):
        sdmodels.load_model(path).run(engine="pysd")
    assert not marker.exists()


def test_tampered_cached_translation_is_rebuilt_not_run(tmp_path):
    marker = tmp_path / "MARKER_tampered"
    path = tmp_path / "decay.mdl"
    shutil.copy(DATA / "decay.mdl", path)
    model = sdmodels.load_model(path)
    expected = _decay_final(model)
    py_file = model._py_file
    py_file.write_text(
        py_file.read_text(encoding="utf-8") + f"\nopen({str(marker)!r}, 'w').close()\n",
        encoding="utf-8",
    )
    with pytest.warns(CacheRepairWarning, match="PySD translation of decay.mdl"):
        again = sdmodels.load_model(path)
    assert _decay_final(again) == pytest.approx(expected)
    assert not marker.exists()


def test_resealed_cached_translation_is_checked_before_pysd_imports_it(tmp_path):
    """A cached translation is parsed and checked just before PySD imports it, not only when
    it is built: one edited together with its checksum is refused, and nothing runs."""
    from sdmodels import _cachefile

    marker = tmp_path / "MARKER_resealed"
    path = tmp_path / "decay.mdl"
    shutil.copy(DATA / "decay.mdl", path)
    first = sdmodels.load_model(path)
    assert first.variables  # described once: the description is cached with the translation
    py_file = first._py_file
    py_file.write_text(
        py_file.read_text(encoding="utf-8") + f"\nopen({str(marker)!r}, 'w').close()\n",
        encoding="utf-8",
    )
    _cachefile.seal(py_file)
    again = sdmodels.load_model(path)  # the compiled engine never imports the translation
    assert float(again.run(engine="compiled")["stock"].values.ravel()[-1]) > 0
    with pytest.raises(ModelLoadError, match="refusing to load PySD's translation"):
        again.run(engine="pysd")
    assert not marker.exists()
    assert not py_file.exists()  # deleted: the next load translates afresh
    assert _decay_final(sdmodels.load_model(path)) == pytest.approx(_expected_decay())


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_parse_cache_is_rebuilt(tmp_path, damage):
    path = tmp_path / "decay.mdl"
    shutil.copy(DATA / "decay.mdl", path)
    model = sdmodels.load_model(path)
    expected = _decay_final(model)
    (pickled,) = model._py_file.parent.glob("*.pickle")
    data = pickled.read_bytes()
    pickled.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x80\x05junk")
    with pytest.warns(CacheRepairWarning, match="parsed decay.mdl"):
        again = sdmodels.load_model(path)
    assert _decay_final(again) == pytest.approx(expected)


@pytest.mark.parametrize(
    "call",
    [
        "GET DIRECT CONSTANTS('data.xlsx', 'tab\\', '+open(1)+', 'B2')",
        "GET DIRECT CONSTANTS('data.xlsx', 'ta''b', 'B2')",
    ],
)
def test_get_function_strings_with_quotes_are_refused(tmp_path, call):
    text = (DATA / "decay.mdl").read_text(encoding="utf-8")
    text = text.replace("Residence Time= 5", f"Residence Time= {call}")
    path = tmp_path / "get.mdl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelLoadError) as info:
        sdmodels.load_model(path)
    assert "get.mdl" in str(info.value)
