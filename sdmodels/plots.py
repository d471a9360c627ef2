"""Shared figures (Matplotlib), used by the command line, the docs and the dashboard."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sdmodels._common import PALETTE, LazyModule, raise_if_interrupted
from sdmodels.attribution import attribution_table
from sdmodels.errors import UnknownNameError
from sdmodels.montecarlo import quantiles
from sdmodels.results import sibling_temp_path
from sdmodels.sensitivity import ranking

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.figure import Figure

# matplotlib is loaded when the first figure is drawn, not when sdmodels is imported
_mpl_figure = LazyModule("matplotlib.figure")
_mpl_ticker = LazyModule("matplotlib.ticker")

__all__ = [
    "PALETTE",
    "fan_chart",
    "peeling_trajectory",
    "ranked_bar",
    "save_figure",
    "scenario_lines",
    "stacked_areas",
    "waterfall",
]



def _units(da: xr.DataArray) -> str:
    units = str(da.attrs.get("units", "") or "")
    return "dimensionless" if units.lower() in ("", "dmnl", "1") else units


def _label(da: xr.DataArray) -> str:
    name = da.attrs.get("name", da.name)
    return f"{name} ({_units(da)})"


def _time_axis(ax, ds: xr.Dataset) -> None:
    """Whole years on the time axis, large values as 1.5M / 20k rather than an offset."""

    ax.xaxis.set_major_locator(_mpl_ticker.MaxNLocator(nbins=5, integer=True))
    ax.set_xlabel(f"time ({ds['time'].attrs.get('units', 'Year')})", fontsize=8)
    low, high = ax.get_ylim()
    if max(abs(low), abs(high)) >= 1e4:
        ax.yaxis.set_major_formatter(_mpl_ticker.EngFormatter(sep=""))
    ax.grid(alpha=0.3)


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
    nrows = int(np.ceil(len(variables) / ncols))
    fig = _mpl_figure.Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    scenarios = list(ds["scenario"].values) if "scenario" in ds.dims else [None]
    for ax, var in zip(axes, variables, strict=False):
        da = ds[var]
        for i, sc in enumerate(scenarios):
            line = da if sc is None else da.sel(scenario=sc)
            ax.plot(ds["time"].values, line.values, color=PALETTE[i % len(PALETTE)],
                    label=str(sc) if sc is not None else None, linewidth=1.8)
        ax.set_title(str(da.attrs.get("name", var)), fontsize=10)
        ax.set_ylabel(_units(da), fontsize=8)
        _time_axis(ax, ds)
    for ax in axes[len(variables):]:
        ax.set_visible(False)
    if scenarios != [None]:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5),
                   fontsize=9)
    return fig


def _scenario_values(ds: xr.Dataset) -> list:
    return list(ds["scenario"].values) if "scenario" in ds.dims else [None]


def fan_chart(
    ds: xr.Dataset,
    variable: str,
    *,
    scenarios: Sequence[str] | None = None,
    bands: Sequence[tuple[float, float]] = ((0.05, 0.95), (0.25, 0.75)),
    ncols: int = 3,
) -> Figure:
    """Fan chart of one Monte Carlo output: median and quantile bands, a panel per scenario.

    Parameters
    ----------
    ds
        A Monte Carlo result (dims ``sample`` or ``quantile``, ``time``, optionally ``scenario``).
    variable
        Python name of the output.
    scenarios
        Scenarios to draw (all by default). The reference scenario's median is drawn as a
        dashed line in every other panel for comparison.
    bands
        Quantile pairs shaded from the outside in.
    ncols
        Panels per row.
    """
    if variable not in ds:
        raise UnknownNameError(variable, [str(v) for v in ds.data_vars], what="result variable")
    levels = sorted({0.5, *(q for band in bands for q in band)})
    qs = quantiles(ds[[variable]].assign_attrs(ds.attrs), levels)[variable]
    names = [str(s) for s in _scenario_values(ds)] if scenarios is None else list(scenarios)
    if names == ["None"]:
        names = [None]  # type: ignore[list-item]
    ref = ds.attrs.get("reference_scenario")
    ncols = max(1, min(ncols, len(names)))
    nrows = int(np.ceil(len(names) / ncols))
    fig = _mpl_figure.Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel()
    time = ds["time"].values
    da = ds[variable]
    for i, (ax, sc) in enumerate(zip(axes, names, strict=False)):
        q = qs if sc is None else qs.sel(scenario=sc)
        colour = PALETTE[i % len(PALETTE)]
        for k, (lo, hi) in enumerate(sorted(bands, key=lambda b: b[1] - b[0], reverse=True)):
            ax.fill_between(time, q.sel(quantile=lo).values, q.sel(quantile=hi).values,
                            color=colour, alpha=0.18 + 0.17 * k, linewidth=0,
                            label=f"{100 * lo:g}\u2013{100 * hi:g}%")
        ax.plot(time, q.sel(quantile=0.5).values, color=colour, linewidth=2, label="median")
        if ref is not None and sc is not None and sc != ref and ref in qs["scenario"].values:
            ax.plot(time, qs.sel(scenario=ref, quantile=0.5).values, color="#000000",
                    linestyle="--", linewidth=1, label=f"{ref} median")
        ax.set_title(str(sc) if sc is not None else str(da.attrs.get("name", variable)),
                     fontsize=10)
        _time_axis(ax, ds)
        ax.legend(fontsize=7, loc="best")
    axes[0].set_ylabel(_label(da), fontsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f"{da.attrs.get('name', variable)}: uncertainty", fontsize=11)
    return fig


def _index_name(ds: xr.Dataset, index: str | None) -> str:
    index = index or ("ST" if "ST" in ds else "mu_star")
    if index not in ds:
        raise ValueError(f"no index {index!r} in this result; choose one of {list(ds.data_vars)}")
    return index


def ranked_bar(
    ds: xr.Dataset,
    output: str,
    *,
    year: float | None = None,
    index: str | None = None,
    top: int | None = 20,
) -> Figure:
    """Parameters ranked by a sensitivity index at one year, with confidence intervals.

    For Sobol results first-order (``S1``) and total (``ST``) indices are drawn side by
    side and ranked by ``index`` (``ST`` by default); for Morris results ``mu_star``.

    Parameters
    ----------
    ds
        A result of :func:`sdmodels.sensitivity.sobol` or :func:`~sdmodels.sensitivity.morris`.
    output
        Python name of the output.
    year
        The year (nearest saved time); the last by default.
    index
        The index that sets the order.
    top
        Show at most this many parameters.
    """
    index = _index_name(ds, index)
    frame = ranking(ds, output, year=year, index=index)
    if top is not None:
        frame = frame.head(top)
    frame = frame.iloc[::-1]  # largest at the top
    drawn = [c for c in ("S1", "ST") if c in frame] if index in ("S1", "ST") else [index]
    at = ds.sel(output=output).sel(time=frame.attrs["year"], method="nearest")
    fig = _mpl_figure.Figure(figsize=(7.0, 0.8 + 0.32 * len(frame) * max(1, len(drawn) / 1.5)),
                 layout="constrained")
    ax = fig.subplots()
    pos = np.arange(len(frame))
    height = 0.8 / len(drawn)
    for k, col in enumerate(drawn):
        conf = at[f"{col}_conf"].sel(parameter=_py(at, frame["parameter"])).values \
            if f"{col}_conf" in at else None
        ax.barh(pos + (k - (len(drawn) - 1) / 2) * height, frame[col].values, height=height,
                xerr=conf, color=PALETTE[k], label=col, capsize=2, error_kw={"linewidth": 0.8})
    ax.set_yticks(pos, frame["parameter"].tolist(), fontsize=8)
    ax.axvline(0, color="#000000", linewidth=0.6)
    ax.set_xlabel("Sobol index" if index in ("S1", "ST") else index, fontsize=9)
    name = str(ds["output_name"].sel(output=output).values) if "output_name" in ds else output
    ax.set_title(f"{name}, {frame.attrs['year']:g}: parameters ranked by {index}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _py(at: xr.Dataset, vensim_names: Sequence[str]) -> list[str]:
    lookup = dict(zip(at["parameter_name"].values.tolist(), at["parameter"].values.tolist(),
                      strict=True))
    return [lookup[n] for n in vensim_names]


def stacked_areas(
    ds: xr.Dataset,
    output: str,
    *,
    index: str = "S1",
    top: int = 8,
) -> Figure:
    """Time-resolved sensitivity: each parameter's share of output variance as stacked areas.

    For Sobol ``S1`` the areas are first-order indices and the band above them, up to 1,
    is variance due to interactions; for Morris ``mu_star`` the areas are each parameter's
    share of the summed ``mu_star``.

    Parameters
    ----------
    ds
        A sensitivity result.
    output
        Python name of the output.
    index
        ``"S1"`` (default), ``"ST"`` (shares of the summed total indices) or ``"mu_star"``.
    top
        Draw this many parameters (largest over time) separately; the rest as "other".
    """
    if "S1" not in ds and index == "S1":
        index = "mu_star"
    index = _index_name(ds, index)
    at = ds[index].sel(output=output).transpose("parameter", "time")
    defined = ~np.all(np.isnan(at.values), axis=0)  # indices are undefined where Y is constant
    values = np.nan_to_num(np.clip(at.values, 0.0, None))
    if index != "S1":
        total = values.sum(axis=0)
        values = np.divide(values, total, out=np.zeros_like(values), where=total > 0)
    order = np.argsort(-np.nanmax(values, axis=1), kind="stable")
    keep, rest = order[:top], order[top:]
    layers = [values[i] for i in keep]
    labels = [str(ds["parameter_name"].values[i]) for i in keep]
    if len(rest):
        layers.append(values[rest].sum(axis=0))
        labels.append("other parameters")
    if index == "S1":
        layers.append(np.where(defined, np.clip(1.0 - values.sum(axis=0), 0.0, None), 0.0))
        labels.append("interactions")
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(keep))]
    colours += ["#BBBBBB"] * len(rest[:1]) + ["#666666"] * (index == "S1")
    fig = _mpl_figure.Figure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.subplots()
    time = ds["time"].values
    ax.stackplot(time, *layers, labels=labels, colors=colours, alpha=0.85)
    if len(time) > 1:
        ax.set_xlim(time.min(), time.max())
    ax.set_ylim(0, max(1.0, float(np.sum(layers, axis=0).max())) if layers else 1.0)
    _time_axis(ax, ds)
    ax.set_ylabel("share of output variance" if index == "S1" else f"share of summed {index}",
                  fontsize=9)
    name = str(ds["output_name"].sel(output=output).values) if "output_name" in ds else output
    ax.set_title(f"{name}: sensitivity over time ({index})", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def waterfall(ds: xr.Dataset, output: str, *, year: float | None = None,
              top: int | None = 12) -> Figure:
    """The difference between two scenarios as a waterfall of Shapley values at one year.

    The first bar is the output in the scenario compared with, each following bar one factor's
    Shapley value (largest first; gains and losses in two colours), the last the output in the
    scenario. Under uncertainty the bars are means over samples, with 5-95% whiskers. The
    title states the interaction share.

    Parameters
    ----------
    ds
        A result of :func:`sdmodels.attribute`.
    output
        The output (Python or Vensim name).
    year
        The year (nearest saved time); the last by default.
    top
        Draw at most this many factors; the rest are summed into one bar.
    """
    frame = attribution_table(ds, output, year=year)
    info = frame.attrs
    if top is not None and len(frame) > top:
        rest = frame.iloc[top:]
        frame = frame.iloc[:top].copy()
        frame.loc[len(frame)] = {"factor": f"{len(rest)} others", "shapley": rest["shapley"].sum()}
    labels = [f"{ds.attrs.get('against', 'against')}", *frame["factor"].astype(str).tolist(),
              f"{ds.attrs.get('scenario', 'scenario')}"]
    fig = _mpl_figure.Figure(figsize=(max(6.0, 0.75 * len(labels) + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    level = info["value_against"]
    ax.bar(0, level, color="#999999", width=0.6)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        value = float(row.shapley)
        colour = PALETTE[2] if value >= 0 else PALETTE[3]
        err = None
        if "p5" in frame and not np.isnan(getattr(row, "p5", np.nan)):
            err = [[value - row.p5], [row.p95 - value]]
        ax.bar(i, value, bottom=level, color=colour, width=0.6)
        if err is not None:
            ax.errorbar(i, level + value, yerr=np.abs(err), color="#000000", capsize=3,
                        linewidth=0.8)
        ax.plot([i - 0.7, i - 0.3], [level, level], color="#000000", linewidth=0.5)
        level += value
    ax.bar(len(labels) - 1, info["value_scenario"], color=PALETTE[0], width=0.6)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    units = info["units"]
    ax.set_ylabel("dimensionless" if units.lower() in ("", "dmnl", "1") else units, fontsize=8)
    share = info["interaction_share"]
    share_text = "" if np.isnan(share) else f"; interactions {100 * share:.0f}% of it"
    ax.set_title(f"{info['output_name']}, {info['year']:g}: {ds.attrs.get('scenario')} vs "
                 f"{ds.attrs.get('against')}, difference {info['total']:.4g}{share_text}",
                 fontsize=9)
    levels = info["value_against"] + np.concatenate([[0.0], frame["shapley"].cumsum().values])
    low = min(levels.min(), info["value_scenario"], 0.0 if info["value_against"] <= 0 else
              levels.min())
    high = max(levels.max(), info["value_scenario"])
    pad = 0.12 * ((high - low) or abs(high) or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.grid(axis="y", alpha=0.3)
    return fig


def peeling_trajectory(discovery: Any) -> Figure:
    """PRIM's peeling trajectory: coverage against density of every box, the chosen one marked.

    Parameters
    ----------
    discovery
        A result of :func:`sdmodels.discovery.discover`.
    """
    traj = discovery.prim.trajectory
    fig = _mpl_figure.Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.subplots()
    points = ax.scatter(traj["coverage"], traj["density"], c=traj["restricted"], cmap="viridis",
                        s=18)
    fig.colorbar(points, ax=ax, label="inputs restricted")
    box = discovery.prim.box
    ax.scatter([box.coverage], [box.density], marker="*", s=160, color=PALETTE[3],
               label="chosen box (after pasting)")
    ax.set_xlabel("coverage (share of the failures in the box)", fontsize=8)
    ax.set_ylabel("density (share of the box that fails)", fontsize=8)
    ax.set_title(f"Where {discovery.scenario} fails to beat {discovery.against}: "
                 f"{discovery.output_name}, {discovery.year:g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120,
                metadata: dict[str, str] | None = None) -> Path:
    """Save ``fig`` atomically (temporary file, then rename); the format follows the suffix.
    ``metadata``: text entries to store in the file (Matplotlib's ``savefig(metadata=...)``)."""
    path = Path(path)
    tmp = sibling_temp_path(path, suffix=path.suffix)
    try:
        fig.savefig(tmp, dpi=dpi, metadata=metadata)
        raise_if_interrupted()  # an interrupted command publishes nothing
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
