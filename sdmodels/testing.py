"""Testing helpers: PySD reference runs and equivalence assertions for the compiled engine.

PySD's own Python backend is the reference semantics of every model. These helpers run it (once per
model content and parameter set; results are cached on disk) and compare the compiled batch engine
against it, in the spirit of :mod:`xarray.testing`.

Examples
--------
>>> from sdmodels.testing import pysd_reference
>>> ref = pysd_reference("tests/compiler/models/exponential_decay.mdl")
>>> round(float(ref["stock"][-1]), 4)
12.8512
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from sdmodels._common import CONTROL_NAMES, dependency_version
from sdmodels._paths import cache_dir, file_sha256
from sdmodels.batch import loaded_model, pysd_value, run_pysd_arrays
from sdmodels.compiler import compile_model
from sdmodels.model import load_model

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.compiler import CompiledModel
    from sdmodels.model import Model

__all__ = [
    "PySDReference",
    "assert_matches_pysd",
    "assert_outputs_close",
    "declared_ranges",
    "draw_parameters",
    "pysd_reference",
]

#: Bump when the layout of cached reference files changes.
_CACHE_VERSION = "1"


class PySDReference(dict):
    """Outputs of one PySD run: ``{py_name: ndarray of shape (len(time), *subscript_shape)}``.

    A plain dict of arrays with two extra attributes.

    Attributes
    ----------
    time
        The saved times.
    dims
        ``{py_name: ((dim_name, coords), ...)}`` for subscripted variables, in the order of the
        array axes after the time axis.
    """

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        time: np.ndarray,
        dims: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]],
    ) -> None:
        super().__init__(arrays)
        self.time = np.asarray(time, dtype=float)
        self.dims = dict(dims)


def _model(path: str | os.PathLike[str]) -> Model:
    """The loaded model of ``path``, translated once per file content in this process."""
    resolved = Path(path).resolve()
    return loaded_model(str(resolved), file_sha256(resolved), None, load_model)


# ---------------------------------------------------------------------------- fingerprints
def _canonical(value: Any) -> Any:
    """A JSON-able, order-stable description of a parameter value, for cache keys."""
    if isinstance(value, pd.Series):
        return {
            "series": [np.asarray(value.index, dtype=float).tolist(),
                       np.asarray(value.to_numpy(), dtype=float).tolist()],
        }
    if isinstance(value, xr.DataArray):
        return {
            "dataarray": [list(value.dims),
                          {d: [str(c) for c in value.coords[d].values] for d in value.dims
                           if d in value.coords},
                          np.asarray(value.values, dtype=float).tolist()],
        }
    if isinstance(value, np.ndarray | list | tuple):
        return {"array": np.asarray(value, dtype=float).tolist()}
    return float(value)


def _params_key(params: Mapping[str, Any] | None) -> str:
    canon = {str(k): _canonical(v) for k, v in sorted((params or {}).items())}
    return json.dumps(canon, sort_keys=True, allow_nan=True)


def _reference_key(path: Path, params: Mapping[str, Any] | None,
                   return_columns: Sequence[str] | None) -> str:
    text = json.dumps([
        _CACHE_VERSION,
        dependency_version("pysd"),
        file_sha256(path),
        _params_key(params),
        None if return_columns is None else list(return_columns),
    ])
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- PySD runs
def _run_pysd(model: Model, params: Mapping[str, Any] | None,
              return_columns: Sequence[str] | None) -> PySDReference:
    """One PySD run from the model's own defaults, through the batch core's PySD adapter."""
    columns = None if return_columns is None else [model.resolve(c) for c in return_columns]
    # test models sweep lookups past their ends on purpose: PySD's warning on each such call
    # (it then holds or extrapolates, as documented) is expected here
    run = run_pysd_arrays(model, params, columns, quiet_extrapolation=True)
    return PySDReference(run.arrays, run.time, run.dims)


def _save(file: Path, ref: PySDReference) -> None:
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp.npz")
    meta = json.dumps({"dims": {k: [[d, list(c)] for d, c in v] for k, v in ref.dims.items()}})
    np.savez(tmp, __time__=ref.time, __meta__=np.array(meta), **ref)
    os.replace(tmp, file)


def _load(file: Path) -> PySDReference:
    with np.load(file, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        arrays = {k: data[k] for k in data.files if k not in ("__time__", "__meta__")}
        dims = {k: tuple((d, tuple(c)) for d, c in v) for k, v in meta["dims"].items()}
        return PySDReference(arrays, data["__time__"], dims)


def pysd_reference(
    path: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    return_columns: Sequence[str] | None = None,
) -> PySDReference:
    """Run a model once with PySD and return every output as a NumPy array.

    Results are cached on disk (under ``$SDMODELS_CACHE_DIR`` or the user cache folder, in
    ``pysd-reference/``), keyed by the model file's content, the parameters, the columns asked for
    and the PySD version, so repeating a test suite does not repeat slow PySD runs.

    Parameters
    ----------
    path
        A Vensim ``.mdl`` or XMILE ``.xmile`` file.
    params
        Overrides by Python (or Vensim) name: numbers, arrays for subscripted constants (shaped
        like the constant, or broadcastable to it), :class:`xarray.DataArray`, or
        :class:`pandas.Series` over time for a time-series override.
    return_columns
        Variables to return; PySD's default (every variable except lookups) when ``None``.

    Returns
    -------
    PySDReference
        ``{py_name: array of shape (len(time), *subscript_shape)}`` with ``.time`` and ``.dims``.

    Examples
    --------
    >>> ref = pysd_reference("tests/compiler/models/exponential_decay.mdl")
    >>> ref.time[:3]
    array([0.  , 0.25, 0.5 ])
    """
    path = Path(path)
    model = _model(path)
    params = {
        py: pysd_value(model, py, v)
        for py, v in ((model.resolve_parameter(k, context="params"), v)
                      for k, v in (params or {}).items())
    }
    key = _reference_key(model.path, params, return_columns)
    file = cache_dir("pysd-reference") / f"{model.name}-{key[:24]}.npz"
    if file.exists():
        try:
            return _load(file)
        except (OSError, ValueError, KeyError):  # a damaged cache file is recomputed
            pass
    ref = _run_pysd(model, params, return_columns)
    _save(file, ref)
    return ref


# ---------------------------------------------------------------------------- parameter draws
def declared_ranges(path: str | os.PathLike[str]) -> dict[str, tuple[float, float, float | None]]:
    """Constants that may be drawn at random: those with both bounds declared in the model file.

    Control variables (INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER) are left out.

    Parameters
    ----------
    path
        A Vensim or XMILE model file.

    Returns
    -------
    dict
        ``{py_name: (min, max, increment)}``; ``increment`` is ``None`` unless the Vensim range
        gives one (``[1,8,1]``), in which case draws stay on that grid.
    """
    model = _model(path)
    doc = model.pysd.doc
    out: dict[str, tuple[float, float, float | None]] = {}
    for py, limits in zip(doc["Py Name"], doc["Limits"], strict=True):
        if py not in model.parameters or py in CONTROL_NAMES:
            continue
        values = [np.nan if v is None else float(v) for v in tuple(limits or ())]
        if len(values) < 2 or not (np.isfinite(values[0]) and np.isfinite(values[1])):
            continue
        inc = values[2] if len(values) > 2 and np.isfinite(values[2]) and values[2] > 0 else None
        out[py] = (values[0], values[1], inc)
    return out


def draw_parameters(
    path: str | os.PathLike[str],
    n: int,
    *,
    seed: int | np.random.Generator | None = 0,
    exclude: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """Draw ``n`` values of every constant with a declared range, uniformly within it.

    Parameters
    ----------
    path
        A Vensim or XMILE model file.
    n
        Number of samples.
    seed
        Seed or generator; ``0`` is a real seed.
    exclude
        Python names not to draw (e.g. those set explicitly).

    Returns
    -------
    dict
        ``{py_name: array of shape (n,) or (n, *subscript_shape)}``; a subscripted constant gets an
        independent draw per element. Ranges on an integer grid give integer arrays.

    Examples
    --------
    >>> draws = draw_parameters("tests/compiler/models/exponential_decay.mdl", 4)
    >>> sorted(draws), draws["decay_rate"].shape
    (['decay_rate', 'initial_stock'], (4,))
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    model = _model(path)
    out: dict[str, np.ndarray] = {}
    for py, (lo, hi, inc) in sorted(declared_ranges(path).items()):
        if py in exclude:
            continue
        shape = (n, *np.shape(model.parameters[py].value))
        if inc is None:
            out[py] = rng.uniform(lo, hi, size=shape)
        else:
            steps = int(np.floor((hi - lo) / inc + 1e-9))
            grid = lo + inc * rng.integers(0, steps + 1, size=shape)
            # integer grids (e.g. the order of SMOOTH N) stay integers: PySD needs an int there
            integral = float(lo).is_integer() and float(inc).is_integer()
            out[py] = grid.astype(np.int64) if integral else grid
    return out


def _sample_params(model: Model, fixed: Mapping[str, Any], draws: Mapping[str, np.ndarray],
                   i: int) -> dict[str, Any]:
    """Parameters of sample ``i``: the fixed ones plus row ``i`` of every draw."""
    return {**fixed, **{py: values[i] for py, values in draws.items()}}


# ---------------------------------------------------------------------------- comparison
def _describe(py: str, model: Model | None) -> str:
    if model is not None and py in model.variables:
        return f"{py!r} ({model.variables[py].name})"
    return repr(py)


def assert_outputs_close(
    compiled: Mapping[str, np.ndarray],
    compiled_time: np.ndarray,
    references: Sequence[PySDReference],
    *,
    compiled_dims: Mapping[str, Any] | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    model: Model | None = None,
    label: str = "",
) -> None:
    """Compare compiled outputs of a batch with one PySD reference per sample.

    Parameters
    ----------
    compiled
        ``{py_name: array of shape (n, len(time), *subscript_shape)}`` from ``CompiledModel.run``.
    compiled_time
        The compiled engine's saved times.
    references
        ``n`` PySD references, one per sample, in sample order.
    compiled_dims
        ``CompiledModel.dims``: used to put PySD's axes in the compiled order.
    rtol, atol
        Tolerances: ``|compiled - pysd| <= atol + rtol * |pysd|``; NaN equals NaN.
    model
        The model, to name variables by their Vensim names too.
    label
        Prefixed to error messages (e.g. the file name).

    Raises
    ------
    AssertionError
        Naming the variable, the element, the first time and sample where the outputs differ and
        both values; or the variables the compiled engine does not return.
    """
    prefix = f"{label}: " if label else ""
    n = len(references)
    if n == 0:
        return
    ref_time = references[0].time
    if compiled_time.shape != ref_time.shape or not np.allclose(compiled_time, ref_time,
                                                                rtol=0, atol=1e-9):
        raise AssertionError(
            f"{prefix}saved times differ: compiled {np.asarray(compiled_time)[:5]}... "
            f"({len(compiled_time)} times), PySD {ref_time[:5]}... ({len(ref_time)} times)"
        )
    missing = sorted(set(references[0]) - set(compiled))
    if missing:
        raise AssertionError(
            f"{prefix}the compiled engine does not return {len(missing)} variable(s) that PySD "
            f"returns: {', '.join(missing)}"
        )
    failures: list[tuple[int, str, str]] = []  # (first time index, variable, message)
    for py in sorted(references[0]):
        got = np.asarray(compiled[py], dtype=float)
        want = np.stack([np.asarray(ref[py], dtype=float) for ref in references])
        ref_dims = references[0].dims.get(py, ())
        if ref_dims and compiled_dims and py in compiled_dims:
            names = [str(d) for d, _ in compiled_dims[py]]
            ref_names = [d for d, _ in ref_dims]
            if sorted(names) == sorted(ref_names) and names != ref_names:
                order = [ref_names.index(d) for d in names]
                want = np.transpose(want, (0, 1, *[2 + k for k in order]))
                ref_dims = tuple(ref_dims[k] for k in order)
            for (d, coords), (cd, ccoords) in zip(ref_dims, compiled_dims[py], strict=False):
                if [str(c) for c in ccoords] != list(coords):
                    raise AssertionError(
                        f"{prefix}{_describe(py, model)}: subscript {d!r} has coordinates "
                        f"{list(coords)} in PySD but {list(ccoords)} ({cd!r}) compiled"
                    )
        if got.shape != want.shape:
            raise AssertionError(
                f"{prefix}{_describe(py, model)}: compiled output has shape {got.shape}, "
                f"PySD's (samples, time, *subscripts) is {want.shape}"
            )
        close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            continue
        bad = np.argwhere(~close)
        # first time step at which anything differs, then the first sample and element there
        first = bad[np.lexsort((bad[:, 0], bad[:, 1]))[0]]
        sample, t = int(first[0]), int(first[1])
        element = ""
        if len(first) > 2 and ref_dims:
            element = "[" + ",".join(ref_dims[k][1][int(j)] for k, j in enumerate(first[2:])) + "]"
        idx = tuple(int(j) for j in first)
        failures.append((t, py, (
            f"{_describe(py, model)}{element} differs from PySD first at time "
            f"{ref_time[t]:g} in sample {sample}: compiled {float(got[idx])!r}, "
            f"PySD {float(want[idx])!r} "
            f"(|diff| {abs(got[idx] - want[idx]):.3g}; {len(bad)} of {close.size} values differ "
            f"beyond rtol={rtol:g}, atol={atol:g})"
        )))
    if failures:
        # the variable that goes wrong earliest is most likely the cause of the others
        failures.sort(key=lambda f: f[0])
        others = [py for _, py, _ in failures[1:]]
        more = ""
        if others:
            shown = ", ".join(others[:12]) + (", ..." if len(others) > 12 else "")
            more = f"; {len(others)} other variable(s) differ too: {shown}"
        raise AssertionError(f"{prefix}{failures[0][2]}{more}")


def assert_matches_pysd(
    path: str | os.PathLike[str],
    params: Mapping[str, Any] | None = None,
    *,
    n_random: int = 0,
    seed: int | np.random.Generator | None = 0,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    compiled: CompiledModel | None = None,
) -> None:
    """Assert that the compiled engine reproduces PySD on a model, at every saved time.

    Runs the compiled model with the default parameters (plus ``params``) and then, if
    ``n_random > 0``, one batch of ``n_random`` samples drawn uniformly within the ranges declared
    in the model file (:func:`draw_parameters`), and compares every variable PySD returns with
    ``n_random`` separate PySD runs (cached on disk, :func:`pysd_reference`).

    Parameters
    ----------
    path
        A Vensim or XMILE model file.
    params
        Overrides applied to every run (compiled and PySD), by Python or Vensim name; a
        :class:`pandas.Series` over time is a time-series override. These are not drawn.
        Control variables (``initial_time``, ``final_time``, ``time_step``, ``saveper``) change
        the time grid of both engines.
    n_random
        Number of random samples in the batch.
    seed
        Seed of the draws.
    rtol, atol
        Tolerances of the comparison (relative, and absolute near zero).
    compiled
        An already compiled model of ``path`` (saves compiling again).

    Raises
    ------
    AssertionError
        Naming the variable, the first time and sample index where the outputs differ and both
        values.
    sdmodels.compiler.UnsupportedFeature
        If the compiler does not support the model.

    Examples
    --------
    >>> assert_matches_pysd("tests/compiler/models/exponential_decay.mdl", n_random=3)
    """
    path = Path(path)
    model = _model(path)
    if compiled is None:
        compiled = compile_model(path)
    fixed = {model.resolve_parameter(k, context="params"): v for k, v in (params or {}).items()}
    compiled_dims = getattr(compiled, "dims", None)
    grid = set(CONTROL_NAMES) | set(getattr(compiled, "grid_parameters", ()))
    controls = {k: v for k, v in fixed.items() if k in grid}
    # INITIAL TIME, FINAL TIME, TIME STEP or SAVEPER among the params, or constants they are
    # computed from (FINAL TIME = start year + horizon), change the saved times
    time = compiled.saved_times(**controls) if controls else compiled.time

    default_out = compiled.run(dict(fixed), 1)
    assert_outputs_close(default_out, time, [pysd_reference(path, fixed)],
                         compiled_dims=compiled_dims, rtol=rtol, atol=atol, model=model,
                         label=f"{path.name} (default parameters)")
    if n_random <= 0:
        return
    draws = draw_parameters(path, n_random, seed=seed, exclude=list(fixed))
    batch_out = compiled.run({**fixed, **draws}, n_random)
    references = [pysd_reference(path, _sample_params(model, fixed, draws, i))
                  for i in range(n_random)]
    assert_outputs_close(batch_out, time, references, compiled_dims=compiled_dims,
                         rtol=rtol, atol=atol, model=model,
                         label=f"{path.name} (random batch of {n_random}, seed {seed!r})")
