"""numba is loaded only to run a kernel: importing the package or the compiler, or writing a
kernel's source and its cache key, loads none of it (``import sdmodels`` stays light)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import TEST_MODELS_DIR

_CHECK = """
import sys
import sdmodels, sdmodels.compiler
from sdmodels.compiler import generate_source
from sdmodels.compiler._cache import cache_key
assert "numba" not in sys.modules, "importing the compiler loaded numba"
source = generate_source({model!r})
cache_key("0" * 64)
assert "numba" not in sys.modules, "writing a kernel's source loaded numba"
assert "from sdmodels.compiler._support import *" in source
print("ok")
"""


def test_generating_a_kernel_loads_no_numba() -> None:
    model = str(TEST_MODELS_DIR / "delay_functions.mdl")
    done = subprocess.run([sys.executable, "-c", _CHECK.format(model=model)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"



_COMPILED = """
import sys
from sdmodels.compiler import compile_model
cm = compile_model({model!r})
assert cm.estimated_jit_seconds > 0 and cm.jit_cached in (True, False) and cm.outputs
assert "numba" not in sys.modules, "compiling (without running) imported numba"
out = cm.run({{}}, 2)
assert "numba" in sys.modules
assert out["in_transit"].shape[0] == 2
print("ok")
"""


def test_the_kernel_module_is_imported_when_it_first_runs(tmp_path) -> None:
    import os

    model = str(TEST_MODELS_DIR / "delay_functions.mdl")
    env = {**os.environ, "SDMODELS_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # generated, then a cache hit
        done = subprocess.run([sys.executable, "-c", _COMPILED.format(model=model)], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "ok"


def test_metadata_read_from_the_source_is_the_modules(compiled) -> None:
    from sdmodels.compiler import kernel_metadata

    cm = compiled(TEST_MODELS_DIR / "subscripted_builtins.mdl")
    assert kernel_metadata(cm.source) == cm.load()._module.METADATA
