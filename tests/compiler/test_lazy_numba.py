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

