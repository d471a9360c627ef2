"""The one PySD adapter: parameters in the form PySD takes them, one run, its output as arrays.

PySD's Python backend is the reference semantics. Every PySD run of the package (single runs,
batches run sample by sample, the equivalence helpers of :mod:`sdmodels.testing`) goes through
:func:`run_pysd_arrays`, so that PySD's quirks are handled in one place:

* control variables go to ``run()``'s own arguments (given as ``params`` PySD would change their
  values but keep the model file's time grid), ``INITIAL TIME`` as ``initial_condition``;
* an array for a subscripted constant becomes a DataArray on the constant's own dimensions, a time
  series over ``time`` a :class:`pandas.Series`, integers stay integers (the order of SMOOTH N);
* PySD keeps the parameters of a run: every run starts from a reloaded model;
* PySD's notice on replacing a constant by a time series (the point of passing one) is silenced.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import CONTROL_NAMES
from sdmodels._diagnose import pysd_run_error
from sdmodels.compiler import NOISE_KEY, noise_keys, pysd_seed

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["PySDRun", "pysd_arguments", "pysd_value", "run_pysd", "run_pysd_arrays"]

#: ``((dim, coords), ...)`` of a subscripted output, in the order of its array axes after time.
Dims = tuple[tuple[str, tuple[str, ...]], ...]


def pysd_value(model: Model, py: str, value: Any) -> Any:
    """A parameter value in the form PySD's ``run`` takes it.

    :class:`pandas.Series` pass through; an :class:`xarray.DataArray` over ``time`` becomes a
    Series, other DataArrays pass through; an array for a subscripted constant becomes a DataArray
    on the constant's own dimensions (reshaped if it has as many values, else broadcast);
    integers stay integers; anything else becomes a float.

    Raises
    ------
    ValueError
        An array for a constant that is not subscripted.
    """
    if isinstance(value, xr.DataArray) and "time" in value.dims:
        return value.to_series()
    if isinstance(value, pd.Series | xr.DataArray):
        return value
    if np.ndim(value) > 0:
        template = getattr(model.pysd.components, py)()
        if not isinstance(template, xr.DataArray):
            raise ValueError(
                f"{py!r} is not subscripted, so its value must be a number or a time series "
                f"(pandas.Series), not an array of shape {np.shape(value)}"
            )
        arr = np.asarray(value, dtype=float)
        data = (arr.reshape(template.shape) if arr.size == template.size
                else np.broadcast_to(arr, template.shape).copy())
        return xr.DataArray(data, coords=template.coords, dims=template.dims)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    return float(value)


def pysd_arguments(model: Model, params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split overrides by Python name into PySD ``params`` and ``run()`` keywords (controls)."""
    run_kwargs: dict[str, Any] = {}
    pysd_params: dict[str, Any] = {}
    for py, value in params.items():
        if py == "initial_time":
            run_kwargs["initial_condition"] = (float(value), {})
        elif py in CONTROL_NAMES:
            run_kwargs[py] = float(value)
        else:
            pysd_params[py] = pysd_value(model, py, value)
    return pysd_params, run_kwargs


class PySDRun:
    """The output of one PySD run as arrays.

    Attributes
    ----------
    time
        The saved times.
    arrays
        ``{py_name: array of shape (len(time), *subscript_shape)}`` in PySD's column order.
    dims
        ``{py_name: ((dim, coords), ...)}`` for subscripted outputs.
    """

    def __init__(self, time: np.ndarray, arrays: dict[str, np.ndarray], dims: dict[str, Dims]):
        self.time = time
        self.arrays = arrays
        self.dims = dims


def run_pysd_arrays(
    model: Model,
    params: Mapping[str, Any] | None,
    columns: Sequence[str] | None,
    *,
    quiet_extrapolation: bool = False,
) -> PySDRun:
    """Run the model once with PySD from the model file's values plus ``params``.

    Parameters
    ----------
    model
        The model.
    params
        Overrides by Python name (see :func:`pysd_value`), control variables included.
    columns
        Python names of the outputs; PySD's default (every variable but lookups) if ``None``.
    quiet_extrapolation
        Silence PySD's warning on every lookup call past the ends of its table (test models
        sweep lookups past their ends on purpose; PySD then holds or extrapolates as documented).
    """
    params = dict(params or {})
    # PySD's random functions draw from numpy's global generator: seeded from the sample's
    # stream key (sample 0 of seed 0 for a single run), so that runs are reproducible
    key = params.pop(NOISE_KEY, None)
    seed = pysd_seed(noise_keys(0, [0])[0] if key is None else float(key))
    pysd_params, run_kwargs = pysd_arguments(model, params)
    pm = model.pysd
    refusal = getattr(model, "pysd_refusal", None)
    if refusal is not None:  # PySD describes the model but cannot run it
        raise refusal
    state = np.random.get_state()
    np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Replacing a constant value with a time-dependent value",
            category=UserWarning,
        )
        if quiet_extrapolation:
            warnings.filterwarnings(
                "ignore",
                message=r"(?s).*extrapolating data (above the maximum|below the minimum) "
                        r"value of the series",
                category=UserWarning,
            )
        try:
            df = pm.run(params=pysd_params,
                        return_columns=None if columns is None else list(columns),
                        reload=True, flatten_output=False, **run_kwargs)
        except (RecursionError, ZeroDivisionError, FloatingPointError, NotImplementedError,
                ValueError) as exc:
            err = pysd_run_error(exc, model)
            if err is None:  # any other ValueError is not one of the cases it explains
                raise
            raise err from None
        finally:
            np.random.set_state(state)
    names = dict(zip(pm.doc["Real Name"], pm.doc["Py Name"], strict=False))
    arrays: dict[str, np.ndarray] = {}
    dims: dict[str, Dims] = {}
    for column in df.columns:
        py = names.get(column, column)
        cells = df[column].to_list()
        first = cells[0]
        if isinstance(first, xr.DataArray) and first.dims:
            dims[py] = tuple((str(d), tuple(str(c) for c in first.coords[d].values))
                             for d in first.dims)
            arrays[py] = np.stack([np.asarray(c.transpose(*first.dims).values, dtype=float)
                                   for c in cells])
        else:
            arrays[py] = np.asarray([float(c) for c in cells], dtype=float)
    return PySDRun(np.asarray(df.index, dtype=float), arrays, dims)


def run_pysd(model: Model, params: Mapping[str, Any], columns: Sequence[str] | None) -> xr.Dataset:
    """One PySD run as a Dataset (dims ``time`` and subscripts); without ``columns``, every
    variable but the control variables and lookups."""
    run = run_pysd_arrays(model, params, columns)
    data: dict[str, xr.DataArray] = {}
    for py, arr in run.arrays.items():
        if py in CONTROL_NAMES or (columns is None and model.variables[py].kind == "lookup"):
            continue
        sub = run.dims.get(py, ())
        data[py] = xr.DataArray(
            arr, dims=("time", *(d for d, _ in sub)),
            coords={**{d: np.asarray(c) for d, c in sub}, "time": run.time},
        )
    return xr.Dataset(data)
