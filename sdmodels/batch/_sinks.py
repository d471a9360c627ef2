"""Sinks of a batch's chunks: memory (the Dataset of an in-memory run); stores are in :mod:`._store`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from sdmodels._diagnose import check_memory
from sdmodels.batch._plan import BatchPlan
from sdmodels.batch._store import output_specs

__all__ = ["MemorySink", "skeleton"]


def skeleton(plan: BatchPlan) -> xr.Dataset:
    """The result without the streamed outputs, for all ``n`` samples."""
    t = plan.template
    n = plan.layout.n
    ds = xr.Dataset(
        coords={str(c): t.coords[c] for c in t.coords if "sample" not in t.coords[c].dims},
        attrs={**t.attrs, "n_samples": n},
    )
    ds = ds.assign_coords(sample=np.arange(n))
    if "design" in t:
        params = [str(p) for p in t["parameter"].values]
        ds["design"] = xr.DataArray(
            np.column_stack([plan.varying[p] for p in params]).astype(t["design"].dtype),
            dims=t["design"].dims, coords={"parameter": t["parameter"]},
            attrs=dict(t["design"].attrs),
        )
    return ds


class MemorySink:
    """Collect chunks into arrays for all samples (the result of an in-memory run)."""

    def __init__(self, plan: BatchPlan) -> None:
        self.plan = plan
        self.specs = output_specs(plan.template, plan.columns, plan.layout.n)
        needed = sum(int(np.prod(s.shape)) * np.dtype(s.dtype).itemsize
                     for s in self.specs.values())
        check_memory(needed, what=f"{plan.layout.n:,} runs keeping {len(self.specs)} outputs "
                     f"in memory ({needed:,} bytes)", fix="keep fewer outputs or years, or write "
                     "the runs to a file as they run (out=, or --out x.zarr on the command line)")
        self.arrays = {name: np.empty(s.shape, dtype=s.dtype) for name, s in self.specs.items()}
        self.missing = list(range(plan.layout.n_chunks))

    def write(self, i: int, arrays: Mapping[str, np.ndarray]) -> None:
        lo, hi = self.plan.layout.bounds(i)
        for name, arr in arrays.items():
            self.arrays[name][lo:hi] = arr

    def finish(self) -> xr.Dataset:
        t = self.plan.template
        shell = skeleton(self.plan)
        data = {name: xr.DataArray(self.arrays[name], dims=spec.dims, attrs=dict(spec.attrs))
                for name, spec in self.specs.items()}
        order = [str(v) for v in t.data_vars]
        ds = xr.Dataset(data, coords=shell.coords, attrs=shell.attrs)
        if "design" in shell:
            ds["design"] = shell["design"]
        return ds[order]
