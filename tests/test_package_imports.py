"""``import sdmodels`` is light: the public names are imported on first use, each from its module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

import sdmodels

INIT = Path(sdmodels.__file__)


def test_every_public_name_resolves_to_its_module_object():
    for name in sdmodels.__all__:
        value = getattr(sdmodels, name)
        if name in sdmodels._LAZY:
            module = sys.modules[sdmodels._LAZY[name]]
            assert value is getattr(module, name), name
    assert set(sdmodels.__all__) <= set(dir(sdmodels))


def test_type_checkers_see_the_names_imported_on_first_use():
    """The ``if TYPE_CHECKING:`` imports name exactly what ``_LAZY`` imports, from the same modules."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    seen = {alias.name: stmt.module for stmt in block.body if isinstance(stmt, ast.ImportFrom)
            for alias in stmt.names}
    assert seen == sdmodels._LAZY


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
        sdmodels.no_such_thing  # noqa: B018
    assert not hasattr(sdmodels, "no_such_thing")


def test_import_sdmodels_loads_no_analysis():
    code = ("import sys, sdmodels; heavy = [m for m in ('scipy', 'matplotlib', 'SALib', 'pysd', "
            "'numba', 'sdmodels.montecarlo', 'sdmodels.sensitivity', 'sdmodels.model') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_netcdf4_is_loaded_before_anything_can_load_h5py():
    """Two HDF5 libraries in one process (h5py's, then netCDF4's) crash netCDF4: import sdmodels
    loads netCDF4 first, as the result files need it anyway."""
    code = "import sys, sdmodels; print('netCDF4' in sys.modules, 'h5py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False", out.stdout


def test_the_accessor_works_before_anything_else_is_imported():
    code = ("import xarray as xr, sdmodels; "
            "ds = xr.Dataset({'x': ('time', [1.0, 2.0])}, coords={'time': [2024.0, 2025.0]}); "
            "print(type(ds.sd).__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "sdmodels.accessor"
    assert isinstance(xr.Dataset().sd, sdmodels.SDAccessor)
