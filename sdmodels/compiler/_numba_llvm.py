"""numba's LLVM work on a kernel, each function optimised once, while a kernel compiles.

numba hands every function it compiles to LLVM three times over: function passes on the
function alone (LLVM's function simplification pipeline), then, when its library is finalised,
a "cheap" and a full module pipeline on the library (every callee linked in), then machine code.
A chunk of a split kernel (:mod:`._kernel`) is its own library, finalised when it is compiled,
and linked again into ``_sample``, whose own finalisation optimises it and generates its machine
code a second time; the chunk's own machine code is never run (it has no wrapper for calls
from Python, and ``_sample`` calls the copy linked into it).

While :func:`single_optimisation` is active:

* in a large kernel, the function passes before a library is finalised are not run: the full
  module pipeline, which runs the same simplification pipeline on every function (LLVM's
  per-module default pipeline), follows anyway. The code LLVM makes is not the same (passes
  run in another order), and on small kernels slower, so small kernels keep them
  (:data:`SKIP_FUNCTION_PASSES_FROM`);
* a function of a generated kernel module that has no wrapper for calls from Python (a chunk)
  gets a library that is only linked: finalising it links its callees in and neither optimises
  it nor generates machine code, so the chunk is optimised and compiled once, inside
  ``_sample``. Such a function must not be cached by numba (there is no machine code to
  write): the generated chunks have ``cache=False``; ``_sample`` is cached with all of them
  linked in.

The IR numba generates is unchanged and LLVM's floating-point semantics do not depend on
where a function is optimised (no fast-math), so results are bit-identical. Outside the block
numba is as it was; a library made inside it and linked outside is optimised by its caller.

This module imports numba: the runtime imports it only when a kernel is about to compile.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

from numba import _dynfunc
from numba.core import codegen, cpu
from numba.core.compiler_lock import require_global_compiler_lock

from sdmodels.compiler._numba_typing import tested_numba

__all__ = ["ENABLED", "KERNEL_PACKAGE", "single_optimisation"]

#: The package the kernel modules are imported under (:func:`._cache.import_module`).
KERNEL_PACKAGE = "sdmodels_kernels."

_LOCK = threading.Lock()
_ACTIVE = [0]  # blocks inside single_optimisation
_SKIP = [0]  # those of them that skip the function passes

#: Kernels of at least this many statements (``jit_statements``) skip the function passes.
#: Measured 4 December 2026 (2 cores, load 3): the NHS model (1,079 statements) compiles in 5.5
#: instead of 6.8 CPU-seconds and runs as fast (2,976 and 2,956 against 3,003 and 2,788 runs per
#: CPU-second, serial); a model of 242 statements (``fifty_lookups.mdl`` with its lookups
#: replaced by arithmetic) saves 0.35 of 1.8 s but runs 11% slower (59,300 against 66,500 runs
#: per CPU-second), and 3% slower with the function passes at level 2. With the parameters,
#: states and saved row moved a tuple at a time (:mod:`._kernel`) the NHS kernel has 708
#: statements and still compiles faster without them (numba's compile 3.23 against 3.44-3.47
#: CPU-seconds, runs as fast: 3,582 against 3,593-3,600 runs per CPU-second; load 2.6).
SKIP_FUNCTION_PASSES_FROM = 600

_numba_optimize_functions = getattr(codegen.CPUCodeLibrary, "_optimize_functions", None)
_numba_get_executable = getattr(cpu.CPUContext, "get_executable", None)
#: Whether :func:`single_optimisation` changes anything with the installed numba: only on the
#: releases it was tested against (:data:`._numba_typing.TESTED_NUMBA`), whose internals it uses.
ENABLED = (tested_numba() and _numba_optimize_functions is not None
           and _numba_get_executable is not None and hasattr(_dynfunc, "make_function"))


def _optimize_functions(self, ll_module):
    if _SKIP[0] == 0:
        return _numba_optimize_functions(self, ll_module)
    # what numba's function passes set besides optimising: the data layout
    ll_module.data_layout = self._codegen._data_layout
    return None


def _defines(library, name: str) -> bool:
    try:
        fn = library._final_module.get_function(name)
    except NameError:
        return False
    return not fn.is_declaration


def _get_executable(self, library, fndesc, env):
    if not (_ACTIVE[0] and fndesc.modname.startswith(KERNEL_PACKAGE)
            and not library._finalized
            and not _defines(library, fndesc.llvm_cpython_wrapper_name)):
        return _numba_get_executable(self, library, fndesc, env)
    # this library's own finalize (numba calls it when the library is first linked or used)
    library.finalize = types.MethodType(_finalize_linked_only, library)
    # numba's get_executable but for the address of the function's environment, which is set
    # in the engine's copy of the module and this library's module never goes to the engine
    # (the environment serves calls from Python, and the function has no wrapper for them:
    # its address is 0, as numba gives for every function without one)
    return _dynfunc.make_function(
        fndesc.lookup_module(), fndesc.qualname.split(".")[-1],
        f"compiled wrapper for {fndesc.qualname!r}",
        library.get_pointer_to_function(fndesc.llvm_cpython_wrapper_name), env, (library,))


def _finalize_linked_only(self) -> None:
    """numba's ``CPUCodeLibrary.finalize`` for a library that is only linked into others."""
    # numba's finalize without the optimisation and the machine code: its callees are
    # linked in (as numba does), and the module is what _get_module_for_linking hands on
    require_global_compiler_lock()
    self._raise_if_finalized()
    seen = set()
    for library in self._linking_libraries:
        if library not in seen:
            self._reload_init.update(library._reload_init)
            seen.add(library)
            self._final_module.link_in(library._get_module_for_linking(), preserve=True)
    self._final_module.verify()
    self._finalized = True


@contextmanager
def single_optimisation(statements: int) -> Iterator[None]:
    """Optimise and generate each function of a kernel once for the block (see the module);
    ``statements`` is the kernel's size (``jit_statements``): the function passes are skipped
    from :data:`SKIP_FUNCTION_PASSES_FROM` statements.

    Nested or concurrent blocks share the change, which is undone when the last one ends (the
    function passes are skipped while any block that skips them is active). With a numba
    release it was not tested against (:data:`ENABLED` false) it does nothing.
    """
    if not ENABLED:
        yield
        return
    skip = int(statements >= SKIP_FUNCTION_PASSES_FROM)
    with _LOCK:
        if _ACTIVE[0] == 0:
            codegen.CPUCodeLibrary._optimize_functions = _optimize_functions
            cpu.CPUContext.get_executable = _get_executable
        _ACTIVE[0] += 1
        _SKIP[0] += skip
    try:
        yield
    finally:
        with _LOCK:
            _ACTIVE[0] -= 1
            _SKIP[0] -= skip
            if _ACTIVE[0] == 0:
                codegen.CPUCodeLibrary._optimize_functions = _numba_optimize_functions
                cpu.CPUContext.get_executable = _numba_get_executable
