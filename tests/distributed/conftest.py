"""Fixtures of the chunked/distributed backend: small models, a reference batch, a local cluster.

This folder has no ``__init__.py`` on purpose: as a package below ``tests/`` (which is on
``sys.path`` while testing) it would be imported as ``distributed`` and shadow dask.distributed.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from chunk_helpers import ROOT


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
