"""Summaries of Monte Carlo results: quantiles and the probability of beating a reference.

Everything here works on a result Dataset alone (in memory or read lazily from a file): reductions
over samples are computed on blocks of saved times, so that a streamed result larger than memory
is summarised with bounded memory. Which direction of an output is better comes from the model's
metadata (:mod:`sdmodels.metadata`), carried in each output's ``better`` attr.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._paths import DEFAULT_MODEL
from sdmodels.errors import SDModelsError
from sdmodels.metadata import DIRECTIONS, ModelMetadata, read_metadata
from sdmodels.model import python_name

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = [
    "DEFAULT_QUANTILES",
    "better_direction",
    "check_levels",
    "directions",
    "output_variables",
    "prob_better",
    "prob_better_than",
    "quantiles",
    "quantiles_over_samples",
    "summary_table",
]

#: Quantiles reported by default: 5/25/50/75/95 %.
DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Bytes of samples read at a time when quantiles and probabilities are computed from a result
#: too large to hold (a streamed one): blocks of saved times, each over every sample.
_BLOCK_BYTES = 64 * 2**20


@lru_cache(maxsize=1)
def _bundled_metadata() -> ModelMetadata:
    return read_metadata(DEFAULT_MODEL, lambda name, where: python_name(name))


def better_direction(
    output: str | xr.DataArray, model: Model | None = None
) -> Literal[1, -1] | None:
    """Whether higher (``1``) or lower (``-1``) values of an output are better, or ``None``.

    The direction is model metadata (``<model>.sdmodels.toml``, see :mod:`sdmodels.metadata`):
    for a result variable, its ``better`` attr; for a name, ``model``'s metadata, or without a
    model, that of the bundled model (as :func:`sdmodels.load_model` loads it by default).

    Examples
    --------
    >>> better_direction("productivity_index"), better_direction("Waiting List")
    (1, -1)
    >>> better_direction("y") is None
    True
    >>> import xarray as xr
    >>> better_direction(xr.DataArray([1.0], attrs={"better": "lower"}))
    -1
    """
    if isinstance(output, xr.DataArray):
        return DIRECTIONS.get(str(output.attrs.get("better", "")))
    if model is not None:
        return model.better_direction(output)
    return _bundled_metadata().direction(python_name(output))


def directions(ds: xr.Dataset) -> dict[str, Literal[1, -1]]:
    """The better direction of each output of a result that has one: from the outputs' ``better``
    attrs, or, for results written before they carried them, from ``prob_better``'s record."""
    found = {v: d for v in output_variables(ds) if (d := better_direction(ds[v])) is not None}
    if not found and "prob_better" in ds and "direction" in ds["prob_better"].attrs:
        recorded = ds["prob_better"].attrs["direction"]
        found = dict(json.loads(recorded) if isinstance(recorded, str) else recorded)
    return found


def check_levels(levels: Sequence[float]) -> list[float]:
    """The quantile levels as floats.

    Raises
    ------
    SDModelsError
        No level, or one outside ``[0, 1]``.
    """
    out = [float(q) for q in levels]
    if not out or any(not 0.0 <= q <= 1.0 for q in out):
        raise SDModelsError(f"quantiles must lie in [0, 1], got {list(levels)}")
    return out


#: Variables of a result that are not outputs: the design, the probabilities and the done mask
#: of a streamed store.
_NOT_OUTPUTS = ("design", "prob_better", "chunk_done")


def output_variables(ds: xr.Dataset) -> list[str]:
    """The outputs of a Monte Carlo result: every data variable but the design, the
    probabilities and the done mask of a streamed store.

    Examples
    --------
    >>> import xarray as xr
    >>> output_variables(xr.Dataset({"y": ("time", [1.0]), "design": ("sample", [0.5])}))
    ['y']
    """
    return [str(v) for v in ds.data_vars if v not in _NOT_OUTPUTS]


def _by_time(fn: Callable[..., xr.DataArray], *arrays: xr.DataArray) -> xr.DataArray:
    """``fn(*arrays)``, computed on blocks of saved times of at most :data:`_BLOCK_BYTES` each
    and joined along ``time``: the same values, with bounded memory for results read lazily
    from a file. ``fn`` must treat every time independently (a reduction over samples)."""
    da = arrays[0]
    per_time = da.dtype.itemsize * (da.size // max(1, da.sizes["time"]))
    step = max(1, _BLOCK_BYTES // max(1, per_time))
    if step >= da.sizes["time"]:
        return fn(*arrays)
    blocks = [fn(*(a.isel(time=slice(lo, lo + step)) for a in arrays))
              for lo in range(0, da.sizes["time"], step)]
    return xr.concat(blocks, dim="time")


def quantiles_over_samples(ds: xr.Dataset, levels: Sequence[float]) -> xr.Dataset:
    """Quantiles of every output over ``sample``, block by block of saved times."""

    def over_samples(da: xr.DataArray) -> xr.DataArray:
        return da.quantile(list(levels), dim="sample", keep_attrs=True)

    q = xr.Dataset({var: _by_time(over_samples, ds[var]) for var in output_variables(ds)},
                   attrs=dict(ds.attrs))
    return q.transpose("quantile", ...)


def prob_better_than(ds: xr.Dataset, ref: xr.Dataset, signs: Mapping[str, int]) -> xr.Dataset:
    """Per output of ``signs`` (``{output: 1 or -1}``): the share of samples in which ``ds`` is
    better than ``ref``, sample by sample, block by block of saved times."""
    out = {}
    for var, sign in signs.items():
        def share(a: xr.DataArray, r: xr.DataArray, sign: int | None = sign) -> xr.DataArray:
            return (((a - r) * sign) > 0).mean("sample")

        out[var] = _by_time(share, ds[var], ref[var])
    return xr.Dataset(out)


def quantiles(ds: xr.Dataset, q: Sequence[float] = DEFAULT_QUANTILES) -> xr.Dataset:
    """Quantiles of every output over samples (or those stored, for quantiles-only results).

    Parameters
    ----------
    ds
        A Monte Carlo result.
    q
        Quantile levels in ``[0, 1]``.

    Returns
    -------
    xarray.Dataset
        Dims ``quantile`` (first after ``scenario``), ``time``, ...

    Raises
    ------
    SDModelsError
        If a quantiles-only result does not hold a requested level.
    """
    levels = check_levels(q)
    if "sample" in ds[output_variables(ds)[0]].dims:
        out = quantiles_over_samples(ds, levels)
        if "scenario" in out.dims:
            out = out.transpose("scenario", "quantile", ...)
        return out
    stored = [float(x) for x in ds["quantile"].values]
    missing = [x for x in levels if not np.isclose(stored, x).any()]
    if missing:
        raise SDModelsError(
            f"this result keeps only the quantiles {stored}; {missing} were not stored. "
            "Run again without --quantiles-only, or with these quantiles"
        )
    return ds[output_variables(ds)].sel(quantile=levels, method="nearest")


def prob_better(ds: xr.Dataset, reference: str | None = None) -> xr.DataArray:
    """Share of samples in which each scenario beats the reference, per output and time.

    "Better" is higher or lower depending on the output (see :func:`better_direction`).
    Samples are paired across scenarios (common random numbers).

    Parameters
    ----------
    ds
        A Monte Carlo result with a ``scenario`` dimension.
    reference
        The scenario compared against; that stored with the result by default.

    Returns
    -------
    xarray.DataArray
        Dims ``output``, ``scenario``, ``time``; values in ``[0, 1]``.
    """
    stored_ref = ds.attrs.get("reference_scenario")
    if reference is None or reference == stored_ref:
        if "prob_better" in ds:
            return ds["prob_better"]
        reference = stored_ref
    if "sample" not in ds.dims:
        raise SDModelsError(
            "probabilities against another reference need every sample; this result keeps "
            "only quantiles"
        )
    names = [str(s) for s in ds["scenario"].values]
    if reference not in names:
        raise SDModelsError(f"reference scenario {reference!r} not in the result: {names}")
    signs = directions(ds)
    if not signs:
        raise SDModelsError(
            "none of the outputs has a known 'better' direction; declare them in the model's "
            "metadata file (<model>.sdmodels.toml, [better])"
        )
    ref = ds.sel(scenario=reference)
    pb = prob_better_than(ds, ref, signs)
    return pb.to_array("output").transpose("output", "scenario", "time")


def summary_table(
    ds: xr.Dataset,
    *,
    outputs: Sequence[str] | None = None,
    years: Iterable[float] | None = None,
    q: Sequence[float] = DEFAULT_QUANTILES,
) -> pd.DataFrame:
    """One row per output, scenario and year: quantiles and P(better than reference).

    Parameters
    ----------
    ds
        A Monte Carlo result.
    outputs
        Python names (default: every output).
    years
        Years (nearest saved time); default: the last saved time.
    q
        Quantile levels.

    Returns
    -------
    pandas.DataFrame
        Columns ``output``, ``units``, ``scenario``, ``year``, ``p5`` ... ``p95`` and
        ``p_better``.
    """
    outs = list(outputs) if outputs else output_variables(ds)
    for out in outs:
        extra = [str(d) for d in ds[out].dims if d not in ("scenario", "sample", "quantile", "time")]
        if extra:
            raise SDModelsError(
                f"output {out!r} has subscript dimension(s) {extra}; the summary table shows one "
                f"value per time: select a subscript first (ds.sel({extra[0]}=...)) or leave "
                "this output out"
            )
    years_list = [float(ds["time"].values[-1])] if years is None else [float(y) for y in years]
    at_years = ds.sel(time=years_list, method="nearest")  # first, so only these are read
    qs = quantiles(at_years[outs], q)
    pb = ds["prob_better"].sel(time=years_list, method="nearest") if "prob_better" in ds else None
    ref = ds.attrs.get("reference_scenario")
    rows = []
    for out in outs:
        for sc in ds["scenario"].values:
            for k, t in enumerate(qs["time"].values):
                vals = qs[out].sel(scenario=sc).isel(time=k).values
                row: dict[str, Any] = {
                    "output": ds[out].attrs.get("name", out),
                    "units": ds[out].attrs.get("units", ""),
                    "scenario": str(sc),
                    "year": float(t),
                }
                row.update({f"p{100 * level:g}": float(v) for level, v in zip(q, vals, strict=True)})
                has = pb is not None and out in pb["output"].values and str(sc) != ref
                row["p_better"] = float(pb.sel(output=out, scenario=sc).isel(time=k)) if has else np.nan
                rows.append(row)
    return pd.DataFrame(rows)
