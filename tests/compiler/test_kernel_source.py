"""The shape of the generated source that numba's compile time depends on.

numba rebuilds SSA form for every name assigned more than once, with a pass over the whole
function each time, and spends about as long on each statement it is given; so ``_sample`` assigns
each value once, writes the saved row and the carried states a tuple at a time and reads the
parameters and the states a run of entries at a time (``f_store_tuple``, ``f_load_tuple``). Results of the kernels written this
way are compared bit for bit with the split kernels in ``test_kernel_splitting.py`` and with PySD
in ``test_equivalence.py``.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from .conftest import PROJECT_MODELS_DIR, small_model_paths

#: Names ``_sample`` itself assigns on purpose more than once: the time, the saved-time counter,
#: loop variables.
LOOP_NAMES = {"time", "j", "k", "c", "q"}


def _sample(source: str) -> ast.FunctionDef:
    return next(n for n in ast.parse(source).body
                if isinstance(n, ast.FunctionDef) and n.name == "_sample")


def _stores(fn: ast.FunctionDef) -> Counter:
    return Counter(n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                   and isinstance(n.ctx, ast.Store))


def _models() -> list[Path]:
    return [*small_model_paths(), PROJECT_MODELS_DIR / "nhs_productivity.mdl"]


@pytest.mark.parametrize("path", _models(), ids=[p.name for p in _models()])
def test_every_value_is_assigned_once(path: Path) -> None:
    from sdmodels.compiler import generate_source

    stores = _stores(_sample(generate_source(path)))
    twice = sorted(name for name, count in stores.items()
                   if count > 1 and name not in LOOP_NAMES
                   and "delay_fixed" not in name)  # DELAY FIXED's integer buffer position
    assert not twice, f"{path.name}: assigned more than once in _sample: {twice[:10]}"


def test_states_are_carried_in_one_array_and_the_row_written_by_tuples() -> None:
    from sdmodels.compiler import generate_source

    fn = _sample(generate_source(PROJECT_MODELS_DIR / "nhs_productivity.mdl"))
    text = ast.unparse(fn)
    assert "S = np.empty(" in text
    calls = Counter((n.func.id, n.args[0].id) for n in ast.walk(fn)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                    and n.func.id in ("f_load_tuple", "f_store_tuple"))
    row_stores = [n for n in ast.walk(fn) if isinstance(n, ast.Assign)
                  and isinstance(n.targets[0], ast.Subscript)
                  and getattr(n.targets[0].value, "id", "") in ("row", "S")]
    # 624 outputs: 13 tuples of at most 50 values, each stored by one call; the 62 carried
    # states stored and loaded by 2 calls each; no entry of the row or the states stored one
    # by one outside the Euler step's updates
    assert calls[("f_store_tuple", "row")] <= 20, calls
    assert 1 <= calls[("f_load_tuple", "S")] <= 5 and calls[("f_store_tuple", "S")] <= 5, calls
    assert all(getattr(n.targets[0].value, "id", "") == "S" for n in row_stores)
    # the 287 parameters: a few runs of consecutive columns, not one statement each
    param_reads = [n for n in ast.walk(fn) if isinstance(n, ast.Subscript)
                   and getattr(n.value, "id", "") == "Pi"]
    assert calls[("f_load_tuple", "Pi")] <= 20 and len(param_reads) <= 20, (calls, param_reads)
