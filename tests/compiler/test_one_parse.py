"""A model file is parsed once per process: :class:`sdmodels.Model` hands a copy of its parse to
the compiler and to PySD's builder, and the kernel generated from that copy is the kernel
generated from the file (data files still found beside the model file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sdmodels
from sdmodels.compiler import _translate, generate_source

from .conftest import PROJECT_MODELS_DIR, TEST_MODELS_DIR
from .test_external_data import write_inputs


def _count_parses(monkeypatch) -> list[str]:
    """Record every parse of a Vensim file by PySD's translator (by the model and the compiler)."""
    calls: list[str] = []
    vensim_file = _translate._vensim_file.VensimFile
    real = vensim_file.parse

    def parse(self, *args, **kwargs):
        calls.append(str(self.mdl_path))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(vensim_file, "parse", parse)
    return calls


@pytest.mark.parametrize("source", [
    PROJECT_MODELS_DIR / "nhs_productivity.mdl",
    TEST_MODELS_DIR / "delay_functions.mdl",
    "data files",
])
def test_a_cold_load_and_compile_parse_the_file_once(source, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached
    folder = tmp_path / "model"
    folder.mkdir()
    if source == "data files":  # GET DIRECT ... files beside the model
        path = write_inputs(folder)
    else:
        path = folder / source.name
        shutil.copy(source, path)
        # another file than any compiled earlier in this process (the compiler keeps those)
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    calls = _count_parses(monkeypatch)
    model = sdmodels.load_model(path)
    cm = model.compiled()
    assert len(calls) == 1, calls
    monkeypatch.undo()
    # the kernel made from the model's parse is the one made from the file itself
    assert cm.source == generate_source(path)
    if source == "data files":
        assert cm.defaults["rate"] == 0.25 and list(cm.defaults["capacity"]) == [10, 20, 30]


def test_copies_are_independent(tmp_path, monkeypatch) -> None:
    """What the compiler gets is a copy: the model's own parse is unchanged by compiling."""
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "m.mdl"
    path.write_text((TEST_MODELS_DIR / "delay_functions.mdl").read_text(encoding="utf-8") + "\n\n",
                    encoding="utf-8")
    model = sdmodels.load_model(path)
    before = repr(model.abstract)
    model.compiled()
    assert repr(model.abstract) == before
    assert str(model.abstract.original_path) != str(path)  # its own copy of the file, in the cache


@pytest.mark.parametrize("name", ["nhs_productivity.mdl", "delay_functions.mdl"])
def test_pysd_translation_from_the_copy_equals_one_from_a_second_parse(name, tmp_path,
                                                                      monkeypatch) -> None:
    source = PROJECT_MODELS_DIR / name if name.startswith("nhs") else TEST_MODELS_DIR / name
    path = tmp_path / name
    path.write_text(source.read_text(encoding="utf-8") + "\n\n\n", encoding="utf-8")
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "copy"))
    from_copy = Path(sdmodels.load_model(path)._py_file).read_text(encoding="utf-8")
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "parse"))
    monkeypatch.setattr("sdmodels.model._copied", lambda abstract: None)  # as before: parse again
    from_parse = Path(sdmodels.load_model(path)._py_file).read_text(encoding="utf-8")
    assert from_copy == from_parse


@pytest.mark.parametrize("name", ["nhs_productivity.mdl", "subscripted_builtins.mdl"])
def test_translation_is_pysds_code_unformatted(name, tmp_path, monkeypatch) -> None:
    """PySD's translation is written without its black formatting: black makes it the file
    PySD itself writes, and PySD runs it to the same results."""
    import contextlib

    import black
    import numpy as np

    source = PROJECT_MODELS_DIR / name if name.startswith("nhs") else TEST_MODELS_DIR / name
    path = tmp_path / name
    path.write_text(source.read_text(encoding="utf-8") + "\n\n\n\n", encoding="utf-8")
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "as-built"))
    as_built_model = sdmodels.load_model(path)
    as_built = Path(as_built_model._py_file).read_text(encoding="utf-8")
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "formatted"))
    monkeypatch.setattr("sdmodels.model._unformatted_build", contextlib.nullcontext)
    formatted_model = sdmodels.load_model(path)
    formatted = Path(formatted_model._py_file).read_text(encoding="utf-8")
    assert as_built != formatted
    assert black.format_file_contents(as_built, fast=True, mode=black.FileMode()) == formatted
    a = as_built_model.run(engine="pysd")
    b = formatted_model.run(engine="pysd")
    for var in a.data_vars:
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)


def test_compile_command_reuses_the_cached_parse(tmp_path, monkeypatch) -> None:
    """``sdmodels compile`` (what a background compile runs) after a load parses nothing."""
    from typer.testing import CliRunner

    from sdmodels.cli import app

    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "delay.mdl"
    path.write_text((TEST_MODELS_DIR / "delay_functions.mdl").read_text(encoding="utf-8")
                    + "\n\n\n\n\n", encoding="utf-8")
    sdmodels.load_model(path)  # as `sdmodels run` does before it starts the compile
    calls = _count_parses(monkeypatch)
    done = CliRunner().invoke(app, ["compile", "--serial", str(path)])
    assert done.exit_code == 0, done.output
    assert "kernel ready" in done.output and calls == []
