"""A Monte Carlo streamed to disk: one store per scenario in ``<out>.parts``, then one result.

Each scenario's samples stream into a store of its own while they run; when every scenario is
done, the stores are copied chunk by chunk into the combined result at ``<out>`` (never
concatenated in memory) and the parts are removed. An interrupted run leaves the parts, which
``resume=True`` continues.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import xarray as xr

from sdmodels._lock import release_output
from sdmodels.batch import STORE_ATTRS, ChunkLayout, OutputSpec, ResultStore, fingerprint
from sdmodels.errors import SDModelsError
from sdmodels.montecarlo._summaries import output_variables
from sdmodels.results import check_writable, sibling_temp_path
from sdmodels.uncertainty import Seed

__all__ = ["Parts"]


class Parts:
    """The per-scenario stores of a Monte Carlo streamed to ``out``, in the folder
    ``<out>.parts`` until the combined result is complete.

    The folder also records the design's seed (``run.json``), so that a resumed run without a
    seed draws the same design. Each store carries its run's fingerprint, so resuming with other
    inputs is refused rather than mixed in.
    """

    def __init__(self, out: str | os.PathLike[str], *, resume: bool) -> None:
        self.out = check_writable(out)
        self.folder = self.out.with_name(self.out.name + ".parts")
        self.resume = resume
        self._manifest = self.folder / "run.json"

    def seed(self, seed: Seed) -> Seed:
        """``seed``, or, when resuming without one, the seed the interrupted run recorded."""
        if seed is None and self.resume and self._manifest.is_file():
            return int(json.loads(self._manifest.read_text())["seed"])
        return seed

    def check_resume(self, scenarios: list[str]) -> None:
        """Refuse a resume with nothing to resume, or with another list of scenarios."""
        if not self.resume:
            return
        if not self._manifest.is_file():
            raise SDModelsError(
                f"--resume: there is no interrupted run to continue at {str(self.folder)!r}; "
                "run the same command without --resume"
            )
        recorded = json.loads(self._manifest.read_text()).get("scenarios")
        if recorded is not None and list(recorded) != list(scenarios):
            raise SDModelsError(
                f"--resume: the interrupted run at {str(self.folder)!r} ran the scenarios "
                f"{', '.join(recorded)}, not {', '.join(scenarios)}; resume with the same "
                "--scenario options, or run without --resume to start again"
            )

    def record(self, *, seed: int, scenarios: list[str] | None = None) -> None:
        """Start the folder (an earlier run's parts go unless resuming) and record the seed
        and the scenarios. Called once the design is drawn, so that invalid options leave
        nothing behind."""
        if not self.resume and self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        tmp = self._manifest.with_suffix(".tmp")
        manifest: dict[str, Any] = {"seed": int(seed)}
        if scenarios is not None:
            manifest["scenarios"] = list(scenarios)
        tmp.write_text(json.dumps(manifest))
        os.replace(tmp, self._manifest)

    def path(self, index: int, scenario: str) -> Path:
        """The store of one scenario (numbered, so that any scenario name gives a file name)."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario)[:60]
        return self.folder / f"{index:03d}-{slug}{self.out.suffix}"

    def combine(
        self,
        runs: dict[str, xr.Dataset],
        names: list[str],
        extra: dict[str, xr.DataArray],
        attrs: dict[str, Any],
    ) -> Path:
        """Copy every scenario's store (``runs``, read lazily), chunk by chunk, into one store
        at ``out`` with ``extra`` variables and ``attrs``; remove the parts; return ``out``."""
        first = runs[names[0]]
        outputs = output_variables(first)
        layout = ChunkLayout(n=first.sizes["sample"], size=int(first.attrs["chunk_size"]),
                             groups=len(names))
        specs = {}
        for var in outputs:
            da = first[var].transpose("sample", ...)
            specs[var] = OutputSpec(dims=("scenario", *map(str, da.dims)),
                                    shape=(len(names), *da.shape), dtype=str(da.dtype),
                                    attrs=dict(da.attrs))
        coords = {str(c): first.coords[c] for c in first.coords}
        skeleton = xr.Dataset(extra, coords={**coords, "scenario": names}, attrs=attrs)
        run_fingerprint = fingerprint(*(str(runs[s].attrs["run_fingerprint"]) for s in names))
        store = ResultStore.create(self.out, skeleton, specs, layout, run_fingerprint)
        try:
            for g, name in enumerate(names):
                run = runs[name]
                for i in range(layout.per_group):
                    lo, hi = layout.bounds(i)
                    block = run[outputs].isel(sample=slice(lo, hi))
                    store.write(g * layout.per_group + i,
                                {v: block[v].transpose("sample", ...).values for v in outputs})
                run.close()  # before its files are removed
            path = store.finalize()
        finally:
            store.close()
        strip_bookkeeping(path)
        self.remove()
        return path

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        release_output(self.out)  # the result is complete: another writer may go ahead


def strip_bookkeeping(path: Path) -> None:
    """Remove what only resuming needs (``chunk_done``, the ``chunk`` dimension and the
    store attrs) from a finished result, so that the final file holds results only."""
    if path.suffix.lower() == ".zarr":
        import zarr  # noqa: PLC0415 - optional dependency (zarr results only)

        group = zarr.open_group(str(path), mode="r+")
        if "chunk_done" in group:
            del group["chunk_done"]
        for key in STORE_ATTRS:
            group.attrs.pop(key, None)
        zarr.consolidate_metadata(str(path))
        return
    tmp = sibling_temp_path(path)
    try:
        with xr.open_dataset(path, chunks={}) as ds:  # streamed chunk by chunk by dask
            clean = ds.drop_vars([v for v in ("chunk_done",) if v in ds.variables])
            clean.attrs = {k: v for k, v in ds.attrs.items() if k not in STORE_ATTRS}
            for name in clean.coords:  # coordinates have no missing values
                if clean[name].dtype.kind == "f":
                    clean[name].encoding["_FillValue"] = None
            clean.to_netcdf(tmp, engine="netcdf4")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
