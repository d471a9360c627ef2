"""Scenario discovery: under which assumptions a policy fails to beat the alternative.

From a Monte Carlo result (every sample runs every scenario with the same parameter set), each
sample is a *case* where scenario A fails to beat scenario B in an output at a year. PRIM
(Friedman & Fisher 1999, "Bump hunting in high-dimensional data", *Statistics and Computing*
9: 123-143) finds a box of uncertain inputs in which failures are concentrated:

- *peeling*: repeatedly remove the thin slice (a share ``peel_alpha`` of the points left) from
  the bottom or top of one input that raises the failure share in the box most, until the box
  holds less than ``mass_min`` of the runs; every box on the way is the *peeling trajectory*;
- *pasting*: grow the chosen box back along any input while that raises the failure share.

Each box is reported by its *density* (the share of runs in the box where A fails), its
*coverage* (the share of all failures that fall in the box) and its *mass* (the share of all
runs in the box), and as a plain sentence. A CART classification tree (scikit-learn) gives a
second, independent description: its leaves that predict failure.

PRIM is implemented here rather than taken from a package: the ``prim`` package on PyPI is
GPL-3.0 (sdmodels is BSD-3-Clause), and EMA Workbench 2.5 (the newest for Python 3.11) pulls in
statsmodels, seaborn and platypus and warns on import and with pandas 3.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = pd.DataFrame(rng.uniform(size=(2000, 2)), columns=["a", "b"])
>>> fails = ((x.a < 0.3) & (x.b > 0.6)).to_numpy()
>>> box = prim(x, fails).box
>>> {k: tuple(round(v, 1) for v in lim) for k, lim in box.restricted().items()}
{'a': (0.0, 0.3), 'b': (0.6, 1.0)}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from sdmodels._common import format_number
from sdmodels.compare import normalise_name
from sdmodels.errors import SDModelsError
from sdmodels.results import select_years

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["Box", "Discovery", "PrimResult", "cart_boxes", "discover", "failure_cases", "prim"]


@dataclass(frozen=True)
class Box:
    """A box of uncertain inputs: limits per input, and how failures concentrate in it.

    Attributes
    ----------
    limits
        ``(low, high)`` per input (all inputs; unrestricted ones span the data).
    bounds
        ``(low, high)`` of the data per input, to tell restricted limits from open ones.
    density, coverage, mass
        Share of the runs in the box that fail; share of all failures in the box; share of all
        runs in the box.
    n
        Runs in the box.
    names
        Display names of the inputs (Vensim names).
    """
    limits: Mapping[str, tuple[float, float]]
    bounds: Mapping[str, tuple[float, float]]
    density: float
    coverage: float
    mass: float
    n: int
    names: Mapping[str, str] = field(default_factory=dict)

    def restricted(self) -> dict[str, tuple[float, float]]:
        """The limits that cut into the data range."""
        out = {}
        for k, (lo, hi) in self.limits.items():
            blo, bhi = self.bounds[k]
            if lo > blo or hi < bhi:
                out[k] = (lo, hi)
        return out

    def conditions(self) -> list[str]:
        """Each restriction in words: ``"X1 < 0.3"``, ``"X2 > 0.6"``, ``"0.2 < X3 < 0.4"``."""
        parts = []
        for k, (lo, hi) in self.restricted().items():
            name = self.names.get(k, k)
            blo, bhi = self.bounds[k]
            if lo > blo and hi < bhi:
                parts.append(f"{format_number(lo, digits=3)} < {name} < {format_number(hi, digits=3)}")
            elif lo > blo:
                parts.append(f"{name} > {format_number(lo, digits=3)}")
            else:
                parts.append(f"{name} < {format_number(hi, digits=3)}")
        return parts

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` lie in the box."""
        inside = np.ones(len(x), dtype=bool)
        for k, (lo, hi) in self.limits.items():
            v = x[k].to_numpy()
            inside &= (v >= lo) & (v <= hi)
        return inside


def _stats(inside: np.ndarray, y: np.ndarray) -> tuple[float, float, float, int]:
    n_in = int(inside.sum())
    hits = float(y[inside].sum())
    density = hits / n_in if n_in else math.nan
    coverage = hits / float(y.sum()) if y.sum() else math.nan
    return density, coverage, n_in / len(y), n_in


@dataclass(frozen=True)
class PrimResult:
    """A PRIM box and the peeling trajectory it was chosen from.

    Attributes
    ----------
    box
        The chosen box after pasting, without the restrictions that add less than
        ``min_gain`` density.
    trajectory
        One row per peeling step: ``density``, ``coverage``, ``mass``, ``n``, ``restricted``
        (inputs restricted) and the limits of every input (``<input>_low``, ``<input>_high``).
    chosen
        The trajectory step the box was pasted from.
    pasted
        The box after pasting, with every restriction.
    """
    box: Box
    trajectory: pd.DataFrame
    chosen: int
    pasted: Box


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
    min_gain: float = 0.02,
    names: Mapping[str, str] | None = None,
) -> PrimResult:
    """PRIM (Friedman & Fisher 1999): peel, choose a box on the trajectory, then paste.

    Parameters
    ----------
    x
        Inputs, one column per uncertain parameter.
    y
        ``True`` where the case of interest (a failure) occurs.
    peel_alpha, paste_alpha
        Share of the points in the box removed (added) per step.
    mass_min
        Peeling stops before the box holds less than this share of all runs.
    threshold
        The box chosen is that of highest coverage whose density is at least ``threshold``
        (the densest of those with equal coverage); if none reaches it, the densest box.
    min_gain
        After pasting, a restriction is dropped when the box without it is less dense by less
        than this (two percentage points by default): the box keeps the inputs that matter.
    names
        Display names of the inputs.

    Returns
    -------
    PrimResult

    Raises
    ------
    SDModelsError
        No cases of interest, or options outside ``(0, 1)``.
    """
    for label, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha),
                         ("mass_min", mass_min), ("threshold", threshold),
                         ("min_gain", min_gain)):
        if not 0 < value < 1:
            raise SDModelsError(f"{label} must be between 0 and 1, got {value}")
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise SDModelsError(f"{len(x)} input rows but {len(y)} outcomes")
    if not y.any():
        raise SDModelsError("no case of interest: the scenario never fails, nothing to find")
    cols = list(x.columns)
    values = x.to_numpy(dtype=float)
    bounds = {c: (float(values[:, j].min()), float(values[:, j].max()))
              for j, c in enumerate(cols)}
    limits = {c: list(b) for c, b in bounds.items()}
    inside = np.ones(len(y), dtype=bool)
    steps = []

    def record() -> None:
        d, cov, mass, n = _stats(inside, y)
        row = {"density": d, "coverage": cov, "mass": mass, "n": n,
               "restricted": sum(limits[c][0] > bounds[c][0] or limits[c][1] < bounds[c][1]
                                 for c in cols)}
        for c in cols:
            row[f"{c}_low"], row[f"{c}_high"] = limits[c]
        steps.append(row)

    record()
    n_min = max(1, math.ceil(mass_min * len(y)))
    while True:
        best = _best_peel(values, y, inside, peel_alpha, n_min)
        if best is None:
            break
        _, j, side, _cut, keep = best
        idx = np.flatnonzero(inside)
        inside[idx[~keep]] = False
        kept = values[inside, j]
        c = cols[j]
        if side == "low":
            limits[c][0] = float(kept.min())
        else:
            limits[c][1] = float(kept.max())
        record()
    trajectory = pd.DataFrame(steps)
    ok = trajectory[trajectory["density"] >= threshold]
    if len(ok):  # the most coverage; among equal coverage, the densest box
        best_cov = ok["coverage"].max()
        chosen = int(ok[ok["coverage"] >= best_cov - 1e-12]["density"].idxmax())
    else:
        chosen = int(trajectory["density"].idxmax())
    row = trajectory.loc[chosen]
    box_limits = {c: [float(row[f"{c}_low"]), float(row[f"{c}_high"])] for c in cols}
    box_limits = _paste(values, y, cols, box_limits, bounds, paste_alpha)
    pasted = _box(x, y, box_limits, bounds, names)
    box = _box(x, y, _simplify(values, y, cols, box_limits, bounds, min_gain), bounds, names)
    return PrimResult(box, trajectory, chosen, pasted)


def _best_peel(values: np.ndarray, y: np.ndarray, inside: np.ndarray, peel_alpha: float,
               n_min: int) -> tuple[float, int, str, float, np.ndarray] | None:
    """The peel of one side of one input that leaves the densest box (ties: the larger box).

    Returns ``(density, input column, "low" or "high", cut, which points inside are kept)``, or
    ``None`` when no peel leaves at least ``n_min`` points.

    Every input's two cuts and densities are computed at once (the order statistics numpy's
    ``quantile`` with methods ``lower``/``higher`` picks, by one partition of all columns):
    the same peels as one quantile per input and side, about 8 times faster.
    """
    v = values[inside]
    y_in = y[inside]
    n = len(v)
    if n == 0:
        return None
    lo_k = math.floor(peel_alpha * (n - 1))
    hi_k = math.ceil((1 - peel_alpha) * (n - 1))
    part = np.partition(v, sorted({lo_k, hi_k}), axis=0)
    cuts = {"low": part[lo_k], "high": part[hi_k]}
    varies = v.min(axis=0) != v.max(axis=0)
    keeps = {"low": v > cuts["low"], "high": v < cuts["high"]}
    for side in ("low", "high"):
        keep, cut = keeps[side], cuts[side]
        count = keep.sum(axis=0)
        tied = (count == n) | (count == 0)  # ties: remove the tied value itself
        if tied.any():
            keep[:, tied] = v[:, tied] != cut[tied]
    counts = {side: keeps[side].sum(axis=0) for side in keeps}
    fails = {side: (keeps[side] & y_in[:, None]).sum(axis=0) for side in keeps}
    best = None
    for j in np.flatnonzero(varies):
        for side in ("low", "high"):
            kept = int(counts[side][j])
            if kept < n_min or kept == n:
                continue
            density = fails[side][j] / kept
            if best is None or density > best[0] + 1e-12 or (
                    abs(density - best[0]) <= 1e-12 and kept > best[5]):
                best = (density, int(j), side, float(cuts[side][j]), None, kept)
    if best is None:
        return None
    density, j, side, cut, _, _ = best
    return float(density), j, side, cut, keeps[side][:, j].copy()


def _simplify(values: np.ndarray, y: np.ndarray, cols: Sequence[str],
              limits: dict[str, list[float]], bounds: Mapping[str, tuple[float, float]],
              min_gain: float) -> dict[str, list[float]]:
    """Drop, one at a time, the restriction whose removal costs the least density, while that
    cost is below ``min_gain``: restrictions that barely concentrate failures only make a box
    harder to read (and are mostly peeling noise)."""
    limits = {c: list(v) for c, v in limits.items()}
    while True:
        current = y[_inside(values, cols, limits)].mean()
        best = None
        for c in cols:
            if list(limits[c]) == list(bounds[c]):
                continue
            trial = dict(limits)
            trial[c] = list(bounds[c])
            loss = current - y[_inside(values, cols, trial)].mean()
            if loss < min_gain and (best is None or loss < best[0]):
                best = (loss, c)
        if best is None:
            return limits
        limits[best[1]] = list(bounds[best[1]])


def _inside(values: np.ndarray, cols: Sequence[str], limits: Mapping[str, Sequence[float]]
            ) -> np.ndarray:
    lo = np.array([limits[c][0] for c in cols], dtype=float)
    hi = np.array([limits[c][1] for c in cols], dtype=float)
    return ((values >= lo) & (values <= hi)).all(axis=1)


def _paste(values: np.ndarray, y: np.ndarray, cols: Sequence[str],
           limits: dict[str, list[float]], bounds: Mapping[str, tuple[float, float]],
           alpha: float) -> dict[str, list[float]]:
    """Grow the box one input edge at a time while the density rises (or holds while the box
    takes in more failures)."""
    while True:
        inside = _inside(values, cols, limits)
        n_in = int(inside.sum())
        current = y[inside].mean()
        best = None
        for j, c in enumerate(cols):
            others = dict(limits)
            for side in (0, 1):
                if limits[c][side] == bounds[c][side]:
                    continue
                others[c] = [bounds[c][0], limits[c][1]] if side == 0 else \
                    [limits[c][0], bounds[c][1]]
                band = _inside(values, cols, others) & ~inside  # candidates along this edge
                if not band.any():
                    continue
                v = values[band, j]
                # a step of alpha of the box, and the single nearest point (fine edges)
                for take in sorted({max(1, math.ceil(alpha * n_in)), 1}):
                    order = np.argsort(-v if side == 0 else v)[:take]
                    edge = float(v[order].min() if side == 0 else v[order].max())
                    new = [edge, limits[c][1]] if side == 0 else [limits[c][0], edge]
                    trial = dict(limits)
                    trial[c] = new
                    t_in = _inside(values, cols, trial)
                    density = y[t_in].mean()
                    gained = int(y[t_in].sum() - y[inside].sum())
                    # a paste must raise the density, or keep it while taking in more failures
                    better = density > current + 1e-12 or (density >= current - 1e-12
                                                           and gained)
                    if better and (best is None or (density, gained) > best[:2]):
                        best = (density, gained, c, new)
        if best is None:
            return limits
        limits = dict(limits)
        limits[best[2]] = best[3]


def _box(x: pd.DataFrame, y: np.ndarray, limits: Mapping[str, Sequence[float]],
         bounds: Mapping[str, tuple[float, float]], names: Mapping[str, str] | None) -> Box:
    lim = {c: (float(limits[c][0]), float(limits[c][1])) for c in x.columns}
    b = Box(lim, dict(bounds), math.nan, math.nan, math.nan, 0, dict(names or {}))
    d, cov, mass, n = _stats(b.contains(x), y)
    return Box(lim, dict(bounds), d, cov, mass, n, dict(names or {}))


def cart_boxes(x: pd.DataFrame, y: np.ndarray, *, max_depth: int = 3,
               min_leaf: float = 0.02, names: Mapping[str, str] | None = None,
               seed: int = 0) -> list[Box]:
    """The leaves of a CART classification tree (scikit-learn) that predict failure, as boxes.

    Parameters
    ----------
    x, y
        As for :func:`prim`.
    max_depth
        Depth of the tree (3 keeps each box at most three conditions).
    min_leaf
        Smallest leaf, as a share of all runs.
    names
        Display names of the inputs.
    seed
        Seed of the tree's tie-breaking.

    Returns
    -------
    list of Box
        Failure leaves, densest first.
    """
    try:
        from sklearn.tree import DecisionTreeClassifier  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise SDModelsError(
            "the CART comparison needs scikit-learn: pip install 'sdmodels[discovery]'"
        ) from None
    y = np.asarray(y, dtype=bool)
    values = x.to_numpy(dtype=float)
    tree = DecisionTreeClassifier(max_depth=max_depth, random_state=seed,
                                  min_samples_leaf=max(1, math.ceil(min_leaf * len(y))))
    tree.fit(values, y)
    t = tree.tree_
    cols = list(x.columns)
    bounds = {c: (float(values[:, j].min()), float(values[:, j].max()))
              for j, c in enumerate(cols)}
    boxes: list[Box] = []

    def walk(node: int, limits: dict[str, list[float]]) -> None:
        if t.children_left[node] == -1:
            counts = t.value[node][0]
            classes = list(tree.classes_)
            if classes[int(np.argmax(counts))]:
                boxes.append(_box(x, y, limits, bounds, names))
            return
        c, thr = cols[t.feature[node]], float(t.threshold[node])
        left = {k: list(v) for k, v in limits.items()}
        left[c][1] = min(left[c][1], thr)
        right = {k: list(v) for k, v in limits.items()}
        right[c][0] = max(right[c][0], thr)
        walk(t.children_left[node], left)
        walk(t.children_right[node], right)

    walk(0, {c: list(b) for c, b in bounds.items()})
    return sorted(boxes, key=lambda b: -b.density)


# ------------------------------------------------------------------ from a Monte Carlo result
def failure_cases(
    ds: xr.Dataset,
    *,
    scenario: str,
    against: str,
    output: str,
    year: float,
    direction: Literal["higher", "lower"] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """The inputs of every sample and whether ``scenario`` fails to beat ``against`` in it.

    "Beat" is "higher" or "lower" as the result's stored direction of the output says, or as
    ``direction`` says; a tie is a failure.

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray, dict)
        Inputs (one column per uncertain parameter, Python names), failures, display names.

    Raises
    ------
    SDModelsError
        Not a Monte Carlo result with samples, unknown scenario or output, a year outside the
        result, or no known direction.
    """
    sampled = [v for v in ds.data_vars if v != "design" and "sample" in ds[v].dims]
    if "design" not in ds or not sampled:
        raise SDModelsError(
            "scenario discovery needs a Monte Carlo result with every sample and its design "
            "(run `sdmodels mc` without --quantiles-only)"
        )
    names = [str(s) for s in ds["scenario"].values] if "scenario" in ds.dims else []
    for s in (scenario, against):
        if s not in names:
            raise SDModelsError(f"scenario {s!r} is not in this result; it has {names}")
    if scenario == against:
        raise SDModelsError("choose two different scenarios to compare")
    key, label = _resolve_output(ds, output)
    if direction is None:
        stored = ds["prob_better"].attrs.get("direction") if "prob_better" in ds else None
        stored = json.loads(stored) if isinstance(stored, str) else (stored or {})
        sign = stored.get(key)
        if sign is None:
            raise SDModelsError(
                f"the result does not say whether higher or lower {label} is better; "
                "give the direction (--direction higher or lower)"
            )
    elif direction in ("higher", "lower"):
        sign = 1 if direction == "higher" else -1
    else:
        raise SDModelsError(f"direction must be 'higher' or 'lower', got {direction!r}")
    at = select_years(ds[[key]], [year]).isel(time=0)
    a = at[key].sel(scenario=scenario).values
    b = at[key].sel(scenario=against).values
    fails = np.asarray((a - b) * sign <= 0)
    design = ds["design"].transpose("sample", "parameter")
    x = pd.DataFrame(np.asarray(design.values, dtype=float),
                     columns=[str(p) for p in design["parameter"].values])
    display = dict(zip(x.columns, [str(n) for n in design["parameter_name"].values], strict=True)) \
        if "parameter_name" in design.coords else {c: c for c in x.columns}
    return x, fails, display


def _resolve_output(ds: xr.Dataset, output: str) -> tuple[str, str]:
    """The Python name and display name of a sampled output, by either name."""
    variables = {str(v): str(ds[v].attrs.get("name", v)) for v in ds.data_vars
                 if "sample" in ds[v].dims and "time" in ds[v].dims}
    for key, name in variables.items():
        if output in (key, name) or normalise_name(output) == key:
            return key, name
    raise SDModelsError(f"output {output!r} is not in this result; it has "
                        f"{', '.join(variables.values())}")


@dataclass(frozen=True)
class Discovery:
    """Where a scenario fails to beat another: a PRIM box, its trajectory and CART's leaves."""

    scenario: str
    against: str
    output: str
    output_name: str
    year: float
    base_rate: float
    n: int
    prim: PrimResult
    cart: tuple[Box, ...]

    def sentence(self, box: Box | None = None) -> str:
        """A box in plain words, as an analyst would brief it."""
        box = box or self.prim.box
        where = " and ".join(box.conditions()) or "anywhere"
        return (f"{self.scenario} fails to beat {self.against} on {self.output_name} in "
                f"{self.year:g} in {box.density:.0%} of the runs where {where}; that region "
                f"holds {box.mass:.0%} of all runs and {box.coverage:.0%} of the failures "
                f"(it fails in {self.base_rate:.0%} of all runs).")


def discover(
    ds: xr.Dataset,
    *,
    scenario: str,
    against: str,
    output: str,
    year: float,
    direction: Literal["higher", "lower"] | None = None,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_gain: float = 0.02,
    max_depth: int = 3,
    seed: int = 0,
) -> Discovery:
    """Find the uncertain inputs under which ``scenario`` fails to beat ``against``.

    Parameters
    ----------
    ds
        A Monte Carlo result with every sample (see :func:`sdmodels.run_mc`).
    scenario, against
        The scenario examined and the one it should beat.
    output, year
        The output (Python or Vensim name) and the year compared.
    direction
        ``"higher"`` or ``"lower"`` is better; the result's stored direction by default.
    threshold, peel_alpha, paste_alpha, mass_min, min_gain
        PRIM's options (see :func:`prim`).
    max_depth, seed
        The CART tree's depth and seed.

    Returns
    -------
    Discovery

    Raises
    ------
    SDModelsError
        See :func:`failure_cases`; also when the scenario never fails or always fails.
    """
    x, fails, names = failure_cases(ds, scenario=scenario, against=against, output=output,
                                    year=year, direction=direction)
    key, name = _resolve_output(ds, output)
    if fails.all():
        raise SDModelsError(f"{scenario} fails to beat {against} in every run: there is no "
                            "region to find")
    result = prim(x, fails, threshold=threshold, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                  mass_min=mass_min, min_gain=min_gain, names=names)
    cart = cart_boxes(x, fails, max_depth=max_depth, names=names, seed=seed)
    return Discovery(scenario, against, str(key), name, float(year), float(fails.mean()),
                     len(fails), result, tuple(cart))
