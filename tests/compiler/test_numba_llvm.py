"""Each function of a kernel optimised once: the chunks of a split kernel are only linked into
``_sample`` (no optimisation or machine code of their own), the results are bit-identical to the
same kernel compiled as numba does by default, and numba is as it was after the block."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
from numba.core import codegen, cpu

from sdmodels.compiler import _numba_llvm
from sdmodels.compiler._numba_llvm import single_optimisation
from sdmodels.testing import draw_parameters

from .conftest import TEST_MODELS_DIR, assert_same_runs



#: The tests of what the block changes need a numba release its internals were tested on.
needs_tested_numba = pytest.mark.skipif(
    not _numba_llvm.ENABLED, reason="the installed numba is not a release in TESTED_NUMBA: the block "
    "changes nothing")

def _as_module(source: str, name: str, folder):
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@needs_tested_numba
def test_chunks_are_linked_only_and_results_are_bit_identical(tmp_path, monkeypatch) -> None:
    import sdmodels.compiler as sc
    from sdmodels.compiler import _kernel

    path = TEST_MODELS_DIR / "delay_functions.mdl"
    monkeypatch.setattr(_kernel, "CHUNK_LINES", 4)
    monkeypatch.setattr(_kernel, "INLINE_LINES", 0)
    monkeypatch.setattr(_kernel, "SPLIT_LINES", 0)
    linked = sc.compile_model(path, cache=False)
    source = linked.source
    chunks = re.findall(r"^def (_(?:init|static|aux|report|step)_\d+)\(", source, re.M)
    assert len(chunks) >= 3
    # the same source under a package the optimisation does not apply to: numba's default
    module = _as_module(source, "plain_kernel_for_test", tmp_path)
    plain = sc.CompiledModel(lambda: module, metadata=sc.kernel_metadata(source),
                             module_path=tmp_path / "plain_kernel_for_test.py", origin=path,
                             cache_hit=False, build_seconds=0.0, recompile=sc.compile_model,
                             source=source)
    assert_same_runs(linked, plain, draw_parameters(path, 3, seed=2), 3)

    kernel = next(m for name, m in sys.modules.items()
                  if name.startswith(_numba_llvm.KERNEL_PACKAGE) and getattr(m, "__file__", "")
                  and m.METADATA["key"] == linked._meta["key"])
    for name in chunks:
        library = next(iter(getattr(kernel, name).overloads.values())).library
        # finalised by linking only: never handed to the engine, so no machine code of its own
        assert library.finalize.__func__ is _numba_llvm._finalize_linked_only, name
        assert library._finalized
        assert library._compiled_object is None, name
        plain_library = next(iter(getattr(module, name).overloads.values())).library
        assert "finalize" not in vars(plain_library), name  # numba's own
        assert plain_library._compiled_object is not None, name
    sample = next(iter(kernel._sample.overloads.values())).library
    assert "finalize" not in vars(sample)
    assert sample._compiled_object is not None  # _sample's machine code, with the chunks in it
    # numba as it was after the block
    assert codegen.CPUCodeLibrary._optimize_functions is _numba_llvm._numba_optimize_functions
    assert cpu.CPUContext.get_executable is _numba_llvm._numba_get_executable


@needs_tested_numba
def test_nested_blocks_and_the_function_passes_of_large_kernels() -> None:
    large = _numba_llvm.SKIP_FUNCTION_PASSES_FROM
    with single_optimisation(large - 1):
        assert _numba_llvm._SKIP == [0]
        with single_optimisation(large):
            assert _numba_llvm._SKIP == [1]
        assert _numba_llvm._SKIP == [0]
        assert codegen.CPUCodeLibrary._optimize_functions is _numba_llvm._optimize_functions
    assert _numba_llvm._ACTIVE == [0]
    assert codegen.CPUCodeLibrary._optimize_functions is _numba_llvm._numba_optimize_functions


def test_an_untested_numba_release_is_left_as_it_is(monkeypatch) -> None:
    """On a numba release whose internals were not tested, the block changes nothing."""
    from sdmodels.compiler import _numba_typing
    from sdmodels.compiler._numba_typing import remembered_typing

    monkeypatch.setattr(_numba_typing.numba, "__version__", "0.99.0")
    assert not _numba_typing.tested_numba()
    monkeypatch.setattr(_numba_typing.numba, "__version__", "0.68.0.dev0+1")
    assert _numba_typing.tested_numba()
    monkeypatch.setattr(_numba_typing.numba, "__version__", "0.68rc1")
    assert not _numba_typing.tested_numba()
    monkeypatch.setattr(_numba_llvm, "ENABLED", False)
    monkeypatch.setattr(_numba_typing, "ENABLED", False)
    optimize, executable = codegen.CPUCodeLibrary._optimize_functions, cpu.CPUContext.get_executable
    call_type = _numba_typing.functions.Function.get_call_type
    with single_optimisation(10**6), remembered_typing():
        assert codegen.CPUCodeLibrary._optimize_functions is optimize
        assert cpu.CPUContext.get_executable is executable
        assert _numba_typing.functions.Function.get_call_type is call_type
        assert _numba_llvm._ACTIVE == [0] and _numba_typing._ACTIVE == [0]
