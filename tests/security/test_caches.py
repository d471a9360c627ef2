"""A damaged kernel cache entry is detected, rebuilt and reported in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdmodels.compiler import _MEMORY, compile_model
from sdmodels.errors import CacheRepairWarning

MODEL = Path(__file__).parent.parent / "compiler" / "models" / "exponential_decay.mdl"


def _final(cm) -> float:
    return float(np.asarray(cm.run({}, 1)["stock"])[0][-1])


@pytest.mark.parametrize("damage", ["truncate_kernel", "edit_kernel", "truncate_numba_index",
                                    "truncate_numba_data"])
def test_damaged_kernel_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path))
    _MEMORY.clear()
    first = compile_model(MODEL)
    expected = _final(first)
    path = first.module_path
    if damage == "truncate_kernel":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "edit_kernel":
        path.write_text(path.read_text(encoding="utf-8").replace("METADATA =", "METADATA_ ="),
                        encoding="utf-8")
    elif damage == "truncate_numba_index":
        indexes = list((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi"))
        assert indexes
        for index in indexes:
            index.write_bytes(index.read_bytes()[:40])
    else:  # the machine code numba loads at the first call: UnpicklingError on every run
        data = list((path.parent / "__pycache__").glob(f"{path.stem}.*.nbc"))
        assert data
        for f in data:
            f.write_bytes(f.read_bytes()[:100])
    _MEMORY.clear()
    import sys

    sys.modules.pop("sdmodels_kernels." + path.stem, None)
    with pytest.warns(CacheRepairWarning, match="damaged cache entry .*compiled kernel of"):
        again = compile_model(MODEL)
    assert _final(again) == pytest.approx(expected)
    _MEMORY.clear()
