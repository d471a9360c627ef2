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


OPTIONAL = '''
try:
    import {dep}
except ImportError:
    {dep} = None
'''


def test_hide_keeps_an_optional_dependency_out_then_restores_it(tmp_path, monkeypatch):
    dep = f"sdmodels_optional_{tmp_path.name.replace('-', '_')}"
    user = f"{dep}_user"
    (tmp_path / f"{dep}.py").write_text("LOADED = True\n", encoding="utf-8")
    (tmp_path / f"{user}.py").write_text(OPTIONAL.format(dep=dep), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        lazy = LazyModule(user, hide=(dep,))
        assert getattr(lazy, dep) is None  # the module took its fallback
        assert dep not in sys.modules  # neither loaded nor left marked absent
        assert __import__(dep).LOADED  # a later import works as usual
        # a module already imported is never hidden
        sys.modules.pop(user)
        assert getattr(LazyModule(user, hide=(dep,)), dep).LOADED
    finally:
        sys.modules.pop(dep, None)
        sys.modules.pop(user, None)


def test_a_fit_does_not_load_a_second_hdf5_library():
    """emcee's optional HDF5 backend would import h5py, whose wheel carries its own HDF5 beside
    netCDF4's: the calibration must load emcee without it (a fresh interpreter)."""
    import subprocess

    code = ("import sys; from sdmodels.calibration import _fit; "
            "_fit.emcee.EnsembleSampler; import emcee.backends.hdf as hdf; "
            "print('h5py' in sys.modules, hdf.h5py is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False True", out.stdout + out.stderr
