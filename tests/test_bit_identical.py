"""Results stay bit-identical across refactorings of the run path.

``tests/data/nhs_frozen/`` is a frozen copy of the NHS productivity model (with its scenarios and
uncertainty file) as it stood when these checksums were recorded, so that the checksums do not move
when the live model in ``models/`` is revised. The checksums cover the values, names, dimensions
and coordinates of

* a short run of two scenarios with the compiled engine,
* the baseline run with PySD (the reference semantics),
* a 64-sample batch of the compiled engine, and
* a 64-sample Monte Carlo with its summaries.

A change to any number of these results, however small, fails the test. Refresh the stored values
only for a deliberate change of the numbers, with ``python tests/test_bit_identical.py --update``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

FROZEN = Path(__file__).parent / "data" / "nhs_frozen"
MODEL = FROZEN / "nhs_productivity.mdl"
STORED = FROZEN / "checksums.json"
OUTPUTS = ["productivity_index", "improvement_capability", "staff_morale", "waiting_list"]


def checksum(ds: xr.Dataset) -> str:
    """SHA-256 over every data variable and coordinate: name, dims, dtype and value bytes."""
    h = hashlib.sha256()
    for group in (ds.coords, ds.data_vars):
        for name in sorted(str(n) for n in group):
            da = ds[name]
            h.update(f"{name}|{da.dims}|{da.dtype.str}|".encode())
            values = np.ascontiguousarray(da.values)
            if values.dtype.kind in "OUS":
                h.update(json.dumps(values.astype(str).tolist()).encode())
            else:
                h.update(values.tobytes())
    return h.hexdigest()


def _draws(model, n: int) -> dict[str, np.ndarray]:
    """``n`` uniform draws (seeded) of ten ranged scalar parameters, in name order."""
    rng = np.random.default_rng(20240601)
    ranged = sorted(
        py for py, info in model.parameters.items()
        if info.min is not None and info.max is not None and info.max > info.min
        and np.ndim(info.value) == 0
    )[:10]
    return {py: rng.uniform(model.parameters[py].min, model.parameters[py].max, n)
            for py in ranged}


def compute() -> dict[str, str]:
    """The results whose checksums are stored, computed with the code as it is now."""
    import sdmodels

    model = sdmodels.load_model(MODEL)
    spec = sdmodels.load_uncertainty(FROZEN / "uncertainty" / "nhs_productivity.toml", model)
    result = {}
    result["run_compiled"] = checksum(model.run(["baseline", "combined"], engine="compiled"))
    result["run_pysd"] = checksum(model.run("baseline", engine="pysd", return_columns=OUTPUTS))
    batch = model.run_batch(_draws(model, 64), scenario="baseline", **{"return_columns": OUTPUTS})
    result["batch_64"] = checksum(batch)
    mc = sdmodels.run_mc(model, spec, n=64, seed=7, scenarios=["baseline", "agility_first"],
                         outputs=OUTPUTS)
    result["mc_64"] = checksum(mc)
    return result


@pytest.fixture(scope="module")
def computed() -> dict[str, str]:
    return compute()


@pytest.mark.parametrize("case", ["run_compiled", "run_pysd", "batch_64", "mc_64"])
def test_results_bit_identical(computed: dict[str, str], case: str) -> None:
    stored = json.loads(STORED.read_text())
    assert computed[case] == stored[case], (
        f"{case}: the results changed; if the change is deliberate, refresh the checksums with "
        "`python tests/test_bit_identical.py --update`"
    )


def test_checksum_sees_one_bit() -> None:
    ds = xr.Dataset({"x": ("time", np.array([1.0, 2.0]))}, coords={"time": [0.0, 1.0]})
    nudged = ds.copy(deep=True)
    nudged["x"].values[1] = np.nextafter(2.0, 3.0)
    assert checksum(ds) != checksum(nudged)
    assert checksum(ds) == checksum(ds.copy(deep=True))


if __name__ == "__main__":  # pragma: no cover - refresh the stored checksums on purpose
    if sys.argv[1:] != ["--update"]:
        raise SystemExit("usage: python tests/test_bit_identical.py --update")
    STORED.write_text(json.dumps(compute(), indent=2, sort_keys=True) + "\n")
    print(STORED.read_text())
