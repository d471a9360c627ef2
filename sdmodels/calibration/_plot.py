"""The figure of a calibration: observed against simulated, with 50% and 90% posterior bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sdmodels._common import PALETTE, LazyModule

mpl_figure = LazyModule("matplotlib.figure")

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.figure import Figure

__all__ = ["plot_fit"]


def plot_fit(posterior: xr.Dataset, *, ncols: int = 3, series: list[str] | None = None) -> Figure:
    """One panel per observed series: the observations, the best draw, and the 50% and 90%
    bands of the simulated series over the posterior draws.

    Parameters
    ----------
    posterior
        A calibration result (:func:`sdmodels.calibration.calibrate`).
    ncols
        Panels per row.
    series
        The series to draw (labels as in ``posterior["series"]``); all by default.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`sdmodels.plots.save_figure`.
    """
    series = [str(s) for s in posterior["series"].values] if series is None else list(series)
    ncols = max(1, min(ncols, len(series)))
    nrows = int(np.ceil(len(series) / ncols))
    fig = mpl_figure.Figure(figsize=(4.4 * ncols, 3.1 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    t = posterior["time"].values
    q = {round(float(v), 3): i for i, v in enumerate(posterior["quantile"].values)}
    continuous = "trajectory" in posterior
    for ax, name in zip(axes, series, strict=False):
        obs = posterior["observed"].sel(series=name).values
        ok = np.isfinite(obs)
        if continuous:
            tt = posterior["sim_time"].values
            sim = posterior["trajectory"].sel(series=name).values
            band = posterior["trajectory_band"].sel(series=name).values
        else:
            tt = t[ok]
            sim = posterior["simulated"].sel(series=name).values[ok]
            band = posterior["band"].sel(series=name).values[:, ok]
        if {0.05, 0.95} <= set(q):
            ax.fill_between(tt, band[q[0.05]], band[q[0.95]], color=PALETTE[0],
                            alpha=0.18, linewidth=0, label="90% band")
        if {0.25, 0.75} <= set(q):
            ax.fill_between(tt, band[q[0.25]], band[q[0.75]], color=PALETTE[0],
                            alpha=0.35, linewidth=0, label="50% band")
        ax.plot(tt, sim, color=PALETTE[0], linewidth=1.8, label="simulated (best)")
        ax.plot(t[ok], obs[ok], "o", color=PALETTE[3], markersize=3.5, label="observed")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
        ax.set_xlabel("time", fontsize=8)
    for ax in axes[len(series):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9)
    method = posterior.attrs.get("method", "")
    fig.suptitle(f"{posterior.attrs.get('model_file', '')}: observed vs simulated ({method})",
                 fontsize=11)
    return fig
