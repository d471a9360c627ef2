"""The runtime side of a compiled model: validate, allocate, call the kernel."""

from __future__ import annotations

import math
import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from sdmodels._common import CONTROL_NAMES, gc_paused
from sdmodels.compiler._controls import controls_at, derive_controls, varying
from sdmodels.compiler._controls import reads as _formula_reads
from sdmodels.compiler._random import NOISE_KEY, noise_keys
from sdmodels.errors import SDModelsError, UnknownNameError

__all__ = ["CompiledModel", "ParameterValueError", "time_grid"]

_RPREC = 1e-5  # PySD's relative precision for the final and saved times
#: Batches at least this large run in parallel by default.
PARALLEL_MIN_SAMPLES = 64

#: numba's CPU time for the first run of a kernel whose machine code is not cached: a fixed
#: part (numba's start in the process, the helpers), a part per generated statement and one per
#: jitted function after the first. Fitted (least squares of the relative error) to the CPU time
#: of the first run, cold, in a fresh process, on 4 December 2026 (2 cores, load 1.5-4):
#: the NHS model 3.15 s (745 statements, 1 function), the generated scalar models of
#: ``benchmarks/bench_compile.py`` with 100, 400, 1,000, 2,000, 3,000 and 5,000 variables
#: 1.07, 2.34, 5.70, 15.36, 20.09 and 38.00 s (178, 680, 1,684, 3,360, 5,036 and 8,388
#: statements; 1, 1, 1, 48, 69 and 115 functions) and its 2-D models of 1,000 and 10,000 cells
#: 1.05 and 1.01 s (33 statements). The fit gives 0.87-1.22 times each of these. Not fitted:
#: its DELAY N over a 400-element range, 3.81 s for 43 statements (about 4 times the estimate:
#: the time is in the loops over the range). The constants of 2 December (7 ms a statement,
#: 0.3 s a function) gave about twice these times.
JIT_SECONDS_FIXED = 0.85
JIT_SECONDS_PER_STATEMENT = 0.0025
JIT_SECONDS_PER_FUNCTION = 0.12


class ParameterValueError(SDModelsError, ValueError):
    """A parameter value of the wrong shape or type for the compiled engine."""


#: Most integration times of a run whose control variables change over time (a FINAL TIME
#: that keeps ahead of Time would never end).
MAX_VARYING_STEPS = 1_000_000


def time_grid(
    initial_time: float, final_time: float, time_step: float, saveper: float,
    *, at: Callable[[float], Mapping[str, float]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integration times, which of them are saved, and the saved time labels, as PySD does.

    PySD advances time by adding TIME STEP (``t = t + dt``), integrates while
    ``t + dt * 1e-5 < FINAL TIME``, saves a time when its distance from
    INITIAL TIME is a multiple of SAVEPER to within ``dt * 1e-5``, and labels
    saved times rounded to that precision.

    Examples
    --------
    >>> times, saved, labels = time_grid(0.0, 1.0, 0.25, 0.5)
    >>> times.tolist(), saved.tolist(), labels.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [True, False, True, False, True], [0.0, 0.5, 1.0])

    With ``at`` (control variables that change over time: ``at(t)`` gives FINAL TIME, TIME
    STEP and SAVEPER at time ``t``), each test and step uses the values at the time it is made
    at, as PySD's ``Time`` object calls its control variables: the step from ``t`` is
    ``TIME STEP`` at ``t``, and so on.

    >>> at = lambda t: {"final_time": 2.0, "time_step": 0.5 if t < 1 else 0.25, "saveper": 0.5}
    >>> time_grid(0.0, 2.0, 0.5, 0.5, at=at)[2].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    if at is not None:
        return _varying_grid(float(initial_time), at)
    if not (time_step > 0 and math.isfinite(time_step)):
        raise ParameterValueError(f"TIME STEP must be a positive number, got {time_step!r}")
    if not (saveper > 0 and math.isfinite(saveper)):
        raise ParameterValueError(f"SAVEPER must be a positive number, got {saveper!r}")
    if not final_time >= initial_time:
        raise ParameterValueError(
            f"FINAL TIME ({final_time!r}) must not be before INITIAL TIME ({initial_time!r})"
        )
    prec = time_step * _RPREC
    t = float(initial_time)
    times = [t]
    while t + prec < final_time:
        t = t + time_step
        times.append(t)
    arr = np.array(times)
    saved = np.array(
        [((x - initial_time) % saveper < prec) or (-(x - initial_time) % saveper < prec) for x in times],
        dtype=np.bool_,
    )
    labels = np.round(arr[saved], -int(np.log10(prec)))
    return arr, saved, labels


def _varying_grid(
    initial_time: float, at: Callable[[float], Mapping[str, float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`time_grid` of control variables that change over time (PySD's ``in_bounds``,
    ``in_return`` and ``round`` with the values at each time)."""
    t = initial_time
    times: list[float] = []
    saved: list[bool] = []
    labels: list[float] = []
    for _ in range(MAX_VARYING_STEPS):
        c = at(t)
        dt, saveper, final = c["time_step"], c["saveper"], c["final_time"]
        if not (dt > 0 and math.isfinite(dt)):
            raise ParameterValueError(f"TIME STEP must be a positive number, got {dt!r} at time {t!r}")
        if not (saveper > 0 and math.isfinite(saveper)):
            raise ParameterValueError(f"SAVEPER must be a positive number, got {saveper!r} at time {t!r}")
        if not times and not final >= initial_time:
            raise ParameterValueError(
                f"FINAL TIME ({final!r}) must not be before INITIAL TIME ({initial_time!r})")
        prec = dt * _RPREC
        times.append(t)
        since = t - initial_time
        keep = (since % saveper < prec) or (-since % saveper < prec)
        saved.append(keep)
        if keep:
            labels.append(float(np.round(t, -int(np.log10(prec)))))
        if not t + prec < final:
            return np.array(times), np.array(saved, dtype=np.bool_), np.array(labels)
        t = t + dt
    raise ParameterValueError(
        f"the run did not reach FINAL TIME in {MAX_VARYING_STEPS} steps (FINAL TIME keeps ahead "
        "of Time?)")


def _select_saved(saved: np.ndarray, indices: Iterable[int] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The saved-time mask reduced to ``indices`` (positions among the saved times), and the
    order that puts the kernel's output (in time order, each time once) into the order asked
    (``None`` where that is already it).

    >>> mask = np.array([True, False, True, True, False, True])
    >>> kept, order = _select_saved(mask, [3, 0, 3])
    >>> kept.tolist(), order.tolist()
    ([True, False, False, False, False, True], [1, 0, 1])
    >>> _select_saved(mask, [1, 2])[1] is None
    True
    """
    if indices is None:
        return saved, None
    idx = np.asarray(list(indices), dtype=np.int64).reshape(-1)
    positions = np.flatnonzero(saved)
    if idx.size and (idx.min() < 0 or idx.max() >= positions.size):
        raise ParameterValueError(
            f"saved_indices must lie in 0..{positions.size - 1} (the run saves {positions.size} "
            f"times), got {idx.min() if idx.min() < 0 else idx.max()}"
        )
    at = positions[idx]
    kept_at, inverse = np.unique(at, return_inverse=True)
    kept = np.zeros_like(saved)
    kept[kept_at] = True
    in_order = kept_at.size == at.size and bool(np.all(np.diff(at) > 0))
    return kept, (None if in_order else inverse.reshape(-1))


class CompiledModel:
    """A model compiled to a numba batch kernel.

    Created by :func:`sdmodels.compiler.compile_model`; see the module
    documentation for the contract. ``run`` integrates ``n`` samples at once.
    """

    def __init__(
        self,
        module: ModuleType | Callable[[], ModuleType],
        *,
        module_path: Path,
        origin: Any,
        cache_hit: bool,
        build_seconds: float,
        recompile: Callable[..., CompiledModel] | None = None,
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        # the generated module, or a function importing it on first use with its METADATA
        # given (importing it imports numba: a run with PySD need not)
        if isinstance(module, ModuleType):
            self._loaded: ModuleType | None = module
            self._loader: Callable[[], ModuleType] | None = None
            metadata = module.METADATA
        else:
            if metadata is None:
                raise TypeError("a kernel imported on first use needs its metadata")
            self._loaded, self._loader = None, module
        self._load_lock = threading.Lock()
        # compiles a kernel variant (time-series parameters) of the same model: given by
        # sdmodels.compiler.compile_model, so that this module never imports the package
        self._recompile = recompile
        self.module_path = Path(module_path)
        self._origin = origin
        self.cache_hit = cache_hit
        self.build_seconds = build_seconds
        meta = metadata
        self._meta = meta
        self.key: str = meta["key"]
        self.file: str = meta["file"]
        self.controls: dict[str, float] = dict(meta["controls"])
        # constants the control variables are computed from (FINAL TIME = start year + horizon)
        self._grid_constants: tuple[str, ...] = tuple(meta.get("grid_constants", ()))
        self._params: dict[str, dict[str, Any]] = meta["params"]
        self._columns: dict[str, dict[str, Any]] = meta["columns"]
        self.outputs: list[str] = list(self._columns)
        self._by_vensim = {c["name"]: py for py, c in self._columns.items()}
        self._by_vensim_lower = {c["name"].lower(): py for py, c in self._columns.items()}
        self.dims: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            py: tuple((d, tuple(coords)) for d, coords in c["dims"])
            for py, c in self._columns.items()
            if c["dims"]
        }
        self.defaults: dict[str, float | np.ndarray] = {}
        for py, p in self._params.items():
            d = p["default"]
            self.defaults[py] = np.array(d, dtype=float).reshape(p["shape"]) if p["shape"] else float(d)
        for name, value in self.controls.items():
            self.defaults[name] = float(value)
        self._variants: dict[frozenset[str], CompiledModel] = {frozenset(meta["timeseries"]): self}
        self._default_rows: dict[int, np.ndarray] = {}
        self._source: str | None = source

    @property
    def _module(self) -> ModuleType:
        """The generated module (imported, with numba, at first use)."""
        module = self._loaded
        if module is None:
            with self._load_lock:
                if self._loaded is None:
                    self._loaded = self._loader()  # type: ignore[misc]
                module = self._loaded
        return module

    def load(self) -> CompiledModel:
        """Import the generated module now (and numba with it); return ``self``."""
        _ = self._module
        return self

    # -- description -------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The generated numba source."""
        if self._source is None:
            self._source = self.module_path.read_text(encoding="utf-8")
        return self._source

    @property
    def time(self) -> np.ndarray:
        """Saved times with the model's own control variables."""
        return self._time_grid(dict(self.controls), {}, ())[2]

    @property
    def statefuls(self) -> list[str]:
        """Stateful structures of the model, one per cell (for reports)."""
        return list(self._meta["statefuls"])

    @property
    def estimated_jit_seconds(self) -> float:
        """Estimated CPU seconds numba takes to compile the serial kernel when its machine code
        is not cached (from the number of generated statements and functions)."""
        functions = self._meta.get("jit_functions", 0) or 0
        return (JIT_SECONDS_FIXED
                + JIT_SECONDS_PER_STATEMENT * (self._meta.get("jit_statements", 0) or 0)
                + JIT_SECONDS_PER_FUNCTION * max(functions - 1, 0))

    @property
    def jit_cached(self) -> bool:
        """Whether numba's cache holds machine code of the serial kernel (the first run loads
        it in a fraction of a second instead of compiling it)."""
        folder = self.module_path.parent / "__pycache__"
        return any(folder.glob(f"{self.module_path.stem}._sample-*.nbi"))

    def attrs(self, py_name: str) -> dict[str, str]:
        """Vensim name, units and documentation of an output."""
        c = self._columns[py_name]
        return {"name": c["name"], "units": c["units"], "doc": c["doc"]}

    def __repr__(self) -> str:
        return f"<CompiledModel {Path(self.file).name or '?'}: {len(self.outputs)} outputs, key {self.key[:12]}>"

    # -- names -------------------------------------------------------------------------
    def _resolve(self, name: str, allowed: Iterable[str], what: str) -> str:
        allowed = allowed if isinstance(allowed, set | frozenset) else set(allowed)
        if name in allowed:
            return name
        for table in (self._by_vensim, self._by_vensim_lower):
            py = table.get(name if table is self._by_vensim else name.lower())
            if py in allowed:
                return py
        candidates = sorted(allowed) + [self._columns[p]["name"] for p in allowed if p in self._columns]
        raise UnknownNameError(name, candidates, what=what)

    # -- running -----------------------------------------------------------------------
    def run(
        self,
        params: Mapping[str, Any] | None,
        n: int,
        *,
        return_columns: Iterable[str] | None = None,
        parallel: bool | None = None,
        noise_seed: int = 0,
        first_sample: int = 0,
        saved_indices: Iterable[int] | None = None,
    ) -> dict[str, np.ndarray]:
        """Integrate ``n`` samples.

        Parameters
        ----------
        params
            Overrides keyed by Python (or Vensim) name. Constants: a scalar
            (all samples), an array of shape ``(n,)`` (one value per sample),
            ``subscript_shape`` (all samples) or ``(n, *subscript_shape)``;
            an :class:`xarray.DataArray` over ``sample`` and/or the subscript
            dimensions; or a time series (:class:`pandas.Series` indexed by
            time, or DataArray with a ``time`` dimension), interpolated with
            the ends held as PySD does. Control variables (INITIAL TIME,
            FINAL TIME, TIME STEP, SAVEPER): scalars only.
        n
            Number of samples.
        return_columns
            Outputs to return (default: all). Only these are allocated.
        parallel
            Run samples in parallel (``prange``) or serially; by default in
            parallel from ``PARALLEL_MIN_SAMPLES`` samples on (a single run
            does not pay for starting threads or compiling the parallel kernel).
        noise_seed, first_sample
            The random functions' streams: sample ``j`` of this call is sample
            ``first_sample + j`` of the run seeded ``noise_seed`` (a batch run in chunks
            passes each sample's stream key instead, as the reserved parameter
            ``sdmodels.compiler._random.NOISE_KEY``). A sample's draws depend on nothing
            else: not on the chunk, the thread or the scenario.
        saved_indices
            Positions among the saved times to return, in the order given (default: all).
            Outputs are written at these times only, so a batch that keeps a few years of a
            long run does not pay for writing every output at every saved time; the values
            are the same.

        Returns
        -------
        dict
            ``py_name -> array of shape (n, len(times), *subscript_shape)``
            at the saved times.
        """
        n = int(n)
        if n < 0:
            raise ParameterValueError(f"the number of samples must be >= 0, got {n}")
        params = dict(params or {})
        keys = self._noise_keys(params.pop(NOISE_KEY, None), n, noise_seed, first_sample)
        controls, grid, given, constant, series = self._split_params(params)
        # a control written from another (SAVEPER = TIME STEP) or from constants (FINAL TIME =
        # start year + horizon) follows an override of them
        variant = self._variant(frozenset(series))
        times, saved, _labels, ctl = self._time_grid(controls, grid, given)
        saved, order = _select_saved(saved, saved_indices)
        # the last column is each sample's random stream key (read only by random functions)
        P = np.empty((n, variant._meta["n_param"] + 1), dtype=np.float64)
        P[:, -1] = keys
        # every parameter's default in one copy, then the given ones over it (a calibration
        # calls this for every population: one broadcast per parameter cost a third of its time)
        P[:, :-1] = self._default_row(variant._meta["n_param"])
        for py, value in constant.items():
            start, size = self._param_cols[py]
            P[:, start : start + size] = self._broadcast(py, value, n)
        ts_x, ts_y, ts_m = variant._timeseries_arrays(series, n)

        if return_columns is None:
            wanted = list(self.outputs)
        else:
            if isinstance(return_columns, str):
                return_columns = [return_columns]
            wanted = []
            for name in return_columns:
                py = self._resolve(name, self.outputs, "variable")
                if py not in wanted:
                    wanted.append(py)
        oc = np.full(self._meta["n_columns"], -1, dtype=np.int64)
        slots: dict[str, tuple[int, list[int]]] = {}
        used = 0
        for py in wanted:
            c = self._columns[py]
            size = int(np.prod(c["shape"], dtype=int))
            oc[c["start"] : c["start"] + size] = np.arange(used, used + size)
            slots[py] = (used, c["shape"])
            used += size
        n_saved = int(saved.sum())
        out = np.empty((used, n, n_saved), dtype=np.float64)
        if parallel is None:
            parallel = n >= PARALLEL_MIN_SAMPLES
        if n > 0:
            module = variant._module
            # the serial kernel is the jitted _sample called from Python for all samples
            jitted = module._kernel if parallel else module._sample
            kernel = module._kernel if parallel else module._kernel_serial
            if jitted.signatures:
                kernel(P, ctl, times, saved, out, oc, ts_x, ts_y, ts_m)
            else:  # numba compiles it (or loads its machine code) now
                # imports numba, which the runtime loads only to run a kernel
                from sdmodels.compiler._numba_llvm import single_optimisation  # noqa: PLC0415
                from sdmodels.compiler._numba_typing import remembered_typing  # noqa: PLC0415

                with (gc_paused(), remembered_typing(),
                      single_optimisation(int(variant._meta.get("jit_statements") or 0))):
                    kernel(P, ctl, times, saved, out, oc, ts_x, ts_y, ts_m)
        result = {}
        for py, (start, shape) in slots.items():
            size = int(np.prod(shape, dtype=int))
            block = out[start : start + size].reshape(*shape, n, n_saved)
            result[py] = np.moveaxis(block, (-2, -1), (0, 1)) if shape else block
            if order is not None:
                result[py] = result[py][:, order]
        return result

    def _split_params(self, params: Mapping[str, Any]):
        """Overrides by kind: control variables (and which), constants the controls read,
        constants (including those), time series."""
        controls = dict(self.controls)
        constant: dict[str, Any] = {}
        series: dict[str, Any] = {}
        given: list[str] = []  # control variables overridden
        grid: dict[str, float] = {}  # overridden constants the control variables read
        allowed = {*self._params, *self.controls}
        for key, value in params.items():
            py = self._resolve(key, allowed, "parameter")
            if py in self.controls:
                controls[py] = self._control_value(py, value)
                given.append(py)
            elif py in self._grid_constants:
                grid[py] = self._grid_value(py, value)
                constant[py] = value
            elif _is_timeseries(value):
                series[py] = value
            else:
                constant[py] = value
        return controls, grid, given, constant, series

    @property
    def grid_parameters(self) -> tuple[str, ...]:
        """Constants the control variables are computed from (``FINAL TIME = start year +
        horizon``): overriding one changes the time grid, so it takes one number per batch."""
        return self._grid_constants

    def saved_times(self, **controls: float) -> np.ndarray:
        """Saved time labels for (possibly overridden) control variables and constants they
        are computed from (:attr:`grid_parameters`)."""
        values = dict(self.controls)
        grid: dict[str, float] = {}
        given = []
        for key, value in controls.items():
            py = self._resolve(key, {*self.controls, *self._grid_constants}, "control variable")
            if py in self.controls:
                values[py] = self._control_value(py, value)
                given.append(py)
            else:
                grid[py] = self._grid_value(py, value)
        return self._time_grid(values, grid, given)[2]

    def _time_grid(self, controls: dict[str, float], grid: Mapping[str, float],
                   given: Iterable[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``time_grid`` of a run with these overrides, and the kernel's ``ctl`` row: the control
        variables in :data:`CONTROL_NAMES` order, NaN for one that changes over time and is not
        given (the kernel computes it from its equation at each time)."""
        given = list(given)
        formulas = self._meta.get("control_formulas", {})
        if not formulas:  # every control a number
            derived, moving, at = controls, set(), None
        else:
            values = {py: float(self.defaults[py]) for py in self._grid_constants}  # type: ignore[arg-type]
            values.update(grid)
            values.update(controls)
            moving = varying(formulas) - set(given)
            # the controls not given computed again from the controls and constants they read
            # (their values at the start, for those that change over time)
            out = derive_controls(formulas, values, given)
            if moving:
                out = controls_at(formulas, values, given, out["initial_time"])
            derived = {name: out[name] for name in controls}
            values.update(derived)
            at = (lambda t: controls_at(formulas, values, given, t)) if moving else None
        times, saved, labels = time_grid(**derived, at=at)
        ctl = np.array([math.nan if c in moving else derived[c] for c in CONTROL_NAMES],
                       dtype=np.float64)
        return times, saved, labels, ctl

    def warm_up(self, *, parallel: bool = True) -> float:
        """Compile (or load from numba's cache) the kernel; return seconds taken."""
        t0 = _time.perf_counter()
        self.run({}, 1, return_columns=self.outputs[:1], parallel=parallel)
        return _time.perf_counter() - t0

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _noise_keys(given: Any, n: int, seed: int, first: int) -> np.ndarray:
        if given is None:
            return noise_keys(seed, np.arange(first, first + n))
        keys = np.asarray(given, dtype=np.float64)
        if keys.ndim == 0:
            keys = np.full(n, float(keys))
        if keys.shape != (n,):
            raise ParameterValueError(
                f"{NOISE_KEY} holds one stream key per sample: expected shape ({n},), got {keys.shape}"
            )
        return keys

    def _control_value(self, py: str, value: Any) -> float:
        arr = np.asarray(value, dtype=float) if not _is_timeseries(value) else None
        if arr is None or arr.ndim != 0:
            raise ParameterValueError(
                f"{self._columns[py]['name']} changes the time grid and must be one number "
                "for the whole batch; run batches with different values separately"
            )
        return float(arr)

    def _grid_value(self, py: str, value: Any) -> float:
        """An override of a constant the time grid is computed from: one number for the batch
        (an array of equal values counts as one)."""
        readers = [self._columns[c]["name"] for c, f in self._meta["control_formulas"].items()
                   if py in _formula_reads(f)]
        why = (f"{self._columns[py]['name']} sets {' and '.join(readers)} and with it the "
               "time grid, which the whole batch shares")
        if _is_timeseries(value):
            raise ParameterValueError(f"{why}: it cannot be a time series")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterValueError(f"parameter {py!r}: cannot use {type(value).__name__} "
                                      "as a number") from exc
        flat = arr.ravel()
        if flat.size == 0 or not np.all(flat == flat[0]):
            raise ParameterValueError(
                f"{why}: give one number for the whole batch (run batches with different "
                "values separately)"
            )
        return float(flat[0])

    def _broadcast(self, py: str, value: Any, n: int) -> np.ndarray:
        p = self._params[py]
        shape = tuple(p["shape"])
        size = int(np.prod(shape, dtype=int))
        if _is_dataarray(value):
            value = self._dataarray_values(py, value, n)
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterValueError(f"parameter {py!r}: cannot use {type(value).__name__} as a number") from exc
        if arr.ndim == 0:
            full = np.broadcast_to(arr, (n, *shape))
        elif arr.shape == (n, *shape):
            full = arr
        elif arr.shape == (n,):
            full = np.broadcast_to(arr.reshape((n,) + (1,) * len(shape)), (n, *shape))
        elif shape and arr.shape == shape:
            full = np.broadcast_to(arr, (n, *shape))
        else:
            expect = f"a scalar, shape ({n},)" + (
                f", {shape} or {(n, *shape)}" if shape else ""
            )
            raise ParameterValueError(
                f"parameter {py!r} has shape {arr.shape}; expected {expect}"
            )
        return full.reshape(n, size)

    def _dataarray_values(self, py: str, da: Any, n: int) -> np.ndarray:
        dims = [d for d, _ in self._params_dims(py)]
        order = [d for d in ["sample", *dims] if d in da.dims]
        extra = [d for d in da.dims if d not in order]
        if extra:
            raise ParameterValueError(
                f"parameter {py!r}: unexpected dimensions {extra}; use 'sample' and {dims}"
            )
        da = da.transpose(*order)
        coords = dict(self._params_dims(py))
        for d in dims:
            if d in da.dims:
                da = da.sel({d: list(coords[d])})
        arr = np.asarray(da.values, dtype=float)
        # insert axes for missing dimensions, then broadcast
        full_dims = (["sample"] if "sample" in da.dims else []) + dims
        for ax, d in enumerate(full_dims):
            if d not in da.dims:
                arr = np.expand_dims(arr, ax)
        target = ((n,) if "sample" in da.dims else ()) + tuple(len(coords[d]) for d in dims)
        return np.broadcast_to(arr, target)

    def _params_dims(self, py: str) -> list[tuple[str, list[str]]]:
        return [(d, list(c)) for d, c in self._columns[py]["dims"]]

    @cached_property
    def _param_cols(self) -> dict[str, tuple[int, int]]:
        """(first column, number of columns) of each parameter in the parameter matrix."""
        return {py: (int(p["start"]), int(np.prod(p["shape"], dtype=int)))
                for py, p in self._params.items()}

    def _default_row(self, n_param: int) -> np.ndarray:
        """The parameter matrix's row of defaults (``n_param`` columns; 0 where none)."""
        row = self._default_rows.get(n_param)
        if row is None:
            row = np.zeros(n_param, dtype=np.float64)
            for py, (start, size) in self._param_cols.items():
                row[start : start + size] = np.asarray(self.defaults[py], dtype=float).ravel()
            row.setflags(write=False)
            self._default_rows[n_param] = row
        return row

    def _variant(self, names: frozenset[str]) -> CompiledModel:
        if names not in self._variants:
            origin = self._origin
            if origin is None or self._recompile is None:
                raise ParameterValueError(
                    "time-series parameters need the model file; compile from a path"
                )
            self._variants[names] = self._recompile(origin, timeseries=names)
        return self._variants[names]

    def _timeseries_arrays(self, series: dict[str, Any], n: int):
        cols = self._meta["timeseries"]
        n_ts = self._meta["n_ts"]
        if not series:
            return (np.zeros((0, 1)), np.zeros((n, 0, 1)), np.zeros(0, dtype=np.int64))
        per_col: list[tuple[np.ndarray, np.ndarray]] = [None] * n_ts  # type: ignore[list-item]
        for py, value in series.items():
            dims = self._params_dims(py)
            x, y = _series_values(py, value, dims, n)  # y: (n, ncells, m)
            for k, c in enumerate(cols[py]):
                per_col[c] = (x, y[:, k, :])
        length = max(len(x) for x, _ in per_col)
        ts_x = np.zeros((n_ts, length))
        ts_y = np.zeros((n, n_ts, length))
        ts_m = np.zeros(n_ts, dtype=np.int64)
        for c, (x, y) in enumerate(per_col):
            ts_x[c, : len(x)] = x
            ts_y[:, c, : len(x)] = y
            ts_m[c] = len(x)
        return ts_x, ts_y, ts_m


def _is_dataarray(value: Any) -> bool:
    return type(value).__name__ == "DataArray" and hasattr(value, "dims")


def _is_timeseries(value: Any) -> bool:
    if type(value).__name__ == "Series" and hasattr(value, "index"):
        return True
    return _is_dataarray(value) and "time" in value.dims


def _series_values(py: str, value: Any, dims: list[tuple[str, list[str]]], n: int):
    """Sorted times and values of shape (n, ncells, m) of a time-series parameter."""
    ncells = int(np.prod([len(c) for _, c in dims], dtype=int))
    if _is_dataarray(value):
        da = value
        names = [d for d, _ in dims]
        extra = [d for d in da.dims if d not in ("time", "sample", *names)]
        if extra:
            raise ParameterValueError(
                f"time series for {py!r}: unexpected dimensions {extra}; use time, sample and {names}"
            )
        for d, coords in dims:
            if d in da.dims:
                da = da.sel({d: coords})
        order = [d for d in ("sample", *names) if d in da.dims] + ["time"]
        da = da.transpose(*order)
        x = np.asarray(da["time"].values, dtype=float)
        arr = np.asarray(da.values, dtype=float)
        full = (["sample"] if "sample" in da.dims else []) + names
        for ax, d in enumerate(full):
            if d not in da.dims:
                arr = np.expand_dims(arr, ax)
        if "sample" not in da.dims:
            arr = arr[None, ...]
        arr = np.broadcast_to(arr, (n, *[len(c) for _, c in dims], len(x)))
        y = arr.reshape(n, ncells, len(x))
    else:
        x = np.asarray(value.index, dtype=float)
        vals = np.asarray(value.values, dtype=float)
        if vals.ndim != 1:
            raise ParameterValueError(f"time series for {py!r} must hold one number per time")
        y = np.broadcast_to(vals, (n, ncells, len(x)))
    if x.size == 0:
        raise ParameterValueError(f"time series for {py!r} is empty")
    order = np.argsort(x, kind="stable")
    return x[order], np.ascontiguousarray(y[..., order])
