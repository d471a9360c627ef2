"""Shared figures (Matplotlib), used by the command line, the docs and the dashboard."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "scenario_lines", "save_figure"]

#: Okabe–Ito colour-blind-safe palette.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)


def _label(da: xr.DataArray) -> str:
    name = da.attrs.get("name", da.name)
    units = da.attrs.get("units", "")
    return f"{name} ({units})" if units else str(name)


def scenario_lines(ds: xr.Dataset, variables: Sequence[str], *, ncols: int = 3) -> Figure:
    """One panel per variable, one line per scenario, units on every axis.

    Parameters
    ----------
    ds
        Results with dimension ``time`` and optionally ``scenario``.
    variables
        Python names of the variables to draw.
    ncols
        Panels per row.
    """
    from matplotlib.figure import Figure

    nrows = int(np.ceil(len(variables) / ncols))
    fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    scenarios = list(ds["scenario"].values) if "scenario" in ds.dims else [None]
    for ax, var in zip(axes, variables, strict=False):
        da = ds[var]
        for i, sc in enumerate(scenarios):
            line = da if sc is None else da.sel(scenario=sc)
            ax.plot(ds["time"].values, line.values, color=PALETTE[i % len(PALETTE)],
                    label=str(sc) if sc is not None else None, linewidth=1.8)
        ax.set_title(str(da.attrs.get("name", var)), fontsize=10)
        ax.set_ylabel(da.attrs.get("units", "") or "dimensionless", fontsize=8)
        ax.set_xlabel(f"time ({ds['time'].attrs.get('units', 'Year')})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(variables):]:
        ax.set_visible(False)
    if scenarios != [None]:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5),
                   fontsize=9)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Save ``fig`` atomically (temporary file, then rename); the format follows the suffix."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
