"""``LazyModule``: imported on first use, once, and quietly where asked."""

from __future__ import annotations

import doctest
import sys
import types
import warnings

import pytest

from sdmodels._common import LazyModule

NOISY = '''
import warnings
warnings.warn("announcing a refactor", FutureWarning)
VALUE = 3
'''


@pytest.fixture()
def noisy(tmp_path, monkeypatch):
    """A module that gives a FutureWarning when imported (as arviz does once a day)."""
    name = f"sdmodels_noisy_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(NOISY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_not_imported_until_used(noisy):
    lazy = LazyModule(noisy, quiet=(FutureWarning,))
    assert noisy not in sys.modules
    assert repr(lazy) == f"<lazy module {noisy!r}>"
    assert lazy.VALUE == 3
    assert noisy in sys.modules


def test_quiet_silences_the_import_warning_only(noisy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lazy = LazyModule(noisy, quiet=(FutureWarning,))
        assert lazy.VALUE == 3
        # a later warning of the same category, from using the module, is not silenced
        with pytest.raises(FutureWarning):
            warnings.warn("later", FutureWarning)


def test_without_quiet_the_import_warning_is_given(noisy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FutureWarning, match="announcing a refactor"):
            _ = LazyModule(noisy).VALUE


def test_doctest_introspection_of_a_module_holding_one_is_quiet(noisy):
    """doctest's search for ``__wrapped__`` on module attributes triggers the import."""
    holder = types.ModuleType("holder")
    holder.lazy = LazyModule(noisy, quiet=(FutureWarning,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doctest.DocTestFinder().find(holder)


def test_the_command_line_loads_no_heavy_dependency_on_import():
    # A fresh interpreter: `import sdmodels.cli` is what every command pays before it starts.
    import subprocess

    heavy = ["scipy.stats", "emcee", "arviz", "numba", "matplotlib.pyplot", "SALib", "pysd"]
    code = ("import sys, sdmodels.cli; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
