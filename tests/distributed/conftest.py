"""Fixtures of the chunked/distributed backend: small models, a reference batch, a local cluster.

This folder has no ``__init__.py`` on purpose: as a package below ``tests/`` (which is on
``sys.path`` while testing) it would be imported as ``distributed`` and shadow dask.distributed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]
#: Attrs that differ between two runs of the same batch (time made) or that only a store has.
_RUN_ATTRS = ("created_utc", "complete", "chunk_size", "n_chunks", "run_fingerprint")


def comparable(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` in memory, without the store's done mask and run attrs, JSON attrs decoded."""
    ds = ds.drop_vars("chunk_done", errors="ignore").load()
    attrs = {}
    for key, value in ds.attrs.items():
        if key in _RUN_ATTRS:
            continue
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        attrs[key] = value
    ds.attrs = attrs
    return ds


@pytest.fixture(scope="session")
def ishigami():
    import sdmodels

    return sdmodels.load_model(ROOT / "models" / "tests" / "ishigami.mdl")


@pytest.fixture(scope="session")
def regions():
    """A model with a subscript range (``region``) and stateful builtins."""
    import sdmodels

    return sdmodels.load_model(ROOT / "tests" / "compiler" / "models" / "subscripts_1d.mdl")


@pytest.fixture(scope="session")
def design() -> dict[str, np.ndarray]:
    """1,000 samples of the Ishigami inputs, ascending in ``x1`` (so chunks are ordered)."""
    rng = np.random.default_rng(20261123)
    return {
        "x1": np.sort(rng.uniform(-np.pi, np.pi, 1000)),
        "x2": rng.uniform(-np.pi, np.pi, 1000),
        "x3": rng.uniform(-np.pi, np.pi, 1000),
    }


@pytest.fixture(scope="session")
def reference(ishigami, design) -> xr.Dataset:
    """The in-memory result of the engine's own ``run_batch``: what every other path must equal."""
    return ishigami.run_batch(design)


@pytest.fixture(scope="session")
def client():
    """A LocalCluster of two single-threaded worker processes, shared by the cluster tests."""
    pytest.importorskip("distributed")
    from sdmodels.distributed import connect

    with connect("local:2") as c:
        yield c
