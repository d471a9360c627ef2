"""The dashboard's data store: one per browser session, it owns the state and does the compute.

Views take a :class:`DashboardStore` and only draw what it holds. Things that never change for a
model (its baseline run, the Monte Carlo design and the baseline's Monte Carlo, Sobol indices)
are cached across sessions in :data:`_SHARED`; everything a user sets lives on the store.
"""

from __future__ import annotations

import io
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import param
import xarray as xr

from sdmodels.dashboard._text import units_label
from sdmodels.dashboard.levers import LeverSpec, find_levers, levers_scenario, scenario_lever_values
from sdmodels.errors import SDModelsError
from sdmodels.scenarios import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = ["FAN_QUANTILES", "KPI_YEARS", "DashboardStore", "clear_shared_cache"]

#: Years at which the productivity index and the funding gap are shown as KPI cards.
KPI_YEARS: tuple[float, ...] = (2030.0, 2035.0, 2040.0)

#: Monte Carlo quantiles drawn as fans: 5/25/50/75/95 %.
FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Most model runs the store asks of the (slow) PySD engine for one Sobol analysis.
PYSD_RUN_LIMIT = 400

# Immutable results shared by every session, keyed by model hash and settings.
_SHARED: dict[tuple[Any, ...], Any] = {}
_SHARED_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
# One simulation at a time: the compiled kernel runs its own threads over samples.
_COMPUTE_LOCK = threading.Lock()


def clear_shared_cache() -> None:
    """Forget the results shared between sessions (for tests and model reloads)."""
    with _SHARED_LOCK:
        _SHARED.clear()
        _KEY_LOCKS.clear()


def _shared(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """The shared value under ``key``, made once; other keys stay available meanwhile."""
    with _SHARED_LOCK:
        if key in _SHARED:
            return _SHARED[key]
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        with _SHARED_LOCK:
            if key in _SHARED:
                return _SHARED[key]
        value = make()
        with _SHARED_LOCK:
            _SHARED[key] = value
        return value


def _kpi(label: str, var: str, year: float | None, value: float, base: float, units: str,
         direction: int | None) -> dict[str, Any]:
    delta = value - base
    better = None if direction is None or abs(delta) < 1e-12 else bool(delta * direction > 0)
    return {"label": label, "variable": var, "year": year, "value": value, "baseline": base,
            "delta": delta, "units": units, "better": better}


class DashboardStore(param.Parameterized):
    """State and compute of one dashboard session.

    Parameters
    ----------
    model
        The loaded model (shared, never modified).
    engine
        ``"auto"`` (compiled where supported, PySD otherwise), ``"compiled"`` or ``"pysd"``.

    Examples
    --------
    >>> store = DashboardStore(sdmodels.load_model())          # doctest: +SKIP
    >>> store.set_lever("improvement_investment", value=0.5)   # doctest: +SKIP
    >>> store.kpis()[0]["value"]                               # doctest: +SKIP
    """

    engine = param.Selector(default="auto", objects=["auto", "compiled", "pysd"])
    preset = param.Selector(default=None, objects=[None], allow_None=True,
                            doc="Shipped scenario whose levers were last applied.")
    values = param.Dict(default={}, doc="Lever sizes by Python name.")
    starts = param.Dict(default={}, doc="Lever start years by lever Python name.")
    current = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                  doc="Deterministic run of the current settings.")
    baseline = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                   doc="Deterministic run of the baseline.")
    busy = param.Boolean(default=False, doc="A computation is running.")
    message = param.String(default="", doc="Last error, shown to the user.")
    timings = param.Dict(default={}, doc="Seconds taken by the last computations.")

    mc_samples = param.Integer(default=500, bounds=(2, None))
    mc_seed = param.Integer(default=20240601)
    mc = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                             doc="Quantiles of the key outputs (scenario baseline/current).")
    mc_prob = param.ClassSelector(class_=xr.DataArray, allow_None=True,
                                  doc="P(current beats baseline) by output and time.")
    mc_stale = param.Boolean(default=True)

    sobol_samples = param.Integer(default=256, bounds=(2, None),
                                  doc="Base sample size of the Sobol analysis (a power of 2).")
    sobol = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                doc="Sobol indices of the key outputs over time.")

    saved = param.Dict(default={}, doc="Scenarios saved in this session, by name.")

    def __init__(self, model: Model, **params: Any) -> None:
        super().__init__(**params)
        self.model = model
        self.levers: list[LeverSpec] = find_levers(model)
        self.outputs: list[str] = list(model.key_outputs)
        presets = list(model.scenarios)
        self.param.preset.objects = [None, *presets]
        self.baseline_name = "baseline" if "baseline" in presets else None
        self._base_name: str | None = self.baseline_name
        values, starts = scenario_lever_values(self.levers, self._baseline_scenario())
        with param.discard_events(self):
            self.values, self.starts = values, starts
            self.preset = self.baseline_name
        self.baseline = self._shared_baseline()
        self.recompute()

    # ------------------------------------------------------------------ scenarios
    def _baseline_scenario(self) -> Scenario | None:
        return self.model.scenarios[self.baseline_name] if self.baseline_name else None

    def lever(self, name: str) -> LeverSpec:
        """The lever with this Vensim or Python name."""
        for lv in self.levers:
            if name in (lv.py_name, lv.name):
                return lv
        from sdmodels.errors import UnknownNameError

        raise UnknownNameError(name, [lv.name for lv in self.levers], what="lever",
                               context=self.model.path.name)

    def current_scenario(self, name: str = "current") -> Scenario:
        """The current lever settings as a Scenario (the preset's other overrides kept)."""
        base = (self.model.scenarios[self._base_name] if self._base_name
                else self._baseline_scenario())
        return levers_scenario(self.levers, self.values, self.starts, name=name,
                               description="Lever settings chosen in the dashboard.", base=base)

    def is_baseline(self) -> bool:
        """True if every lever is where the baseline scenario (or the model) sets it."""
        values, starts = scenario_lever_values(self.levers, self._baseline_scenario())
        base = self.model.scenarios.get(self._base_name) if self._base_name else None
        same_base = self._base_name in (None, self.baseline_name) or base is None \
            or not base.parameters
        return same_base and values == self.values and starts == self.starts

    def set_lever(self, name: str, *, value: float | None = None,
                  start: float | None = None) -> None:
        """Move a lever (its size, its start year or both) and recompute.

        Raises
        ------
        UnknownNameError
            The model has no such lever.
        ParameterRangeError
            The value lies outside the lever's declared range.
        """
        lv = self.lever(name)
        values, starts = dict(self.values), dict(self.starts)
        if value is not None:
            self.model.parameters[lv.py_name].check(value, context="dashboard lever")
            values[lv.py_name] = float(value)
        if start is not None:
            self.model.parameters[lv.start_py_name].check(start, context="dashboard start year")
            starts[lv.py_name] = float(start)
        if values == self.values and starts == self.starts:
            return
        # moved by hand: the settings are custom, built on the last preset's other overrides
        self.param.update(preset=None, values=values, starts=starts)

    def apply_preset(self, name: str | None) -> None:
        """Set every lever as the shipped scenario ``name`` does (defaults elsewhere)."""
        if name is not None and name not in self.model.scenarios:
            from sdmodels.errors import UnknownNameError

            raise UnknownNameError(name, list(self.model.scenarios), what="preset scenario",
                                   context=self.model.path.name)
        if name == self.preset and name is not None:
            self.param.trigger("preset")
        else:
            self.preset = name

    @param.depends("preset", watch=True)
    def _on_preset(self) -> None:
        if self.preset is None:  # custom settings: the levers stay where they are
            return
        self._base_name = self.preset
        values, starts = scenario_lever_values(self.levers, self.model.scenarios[self.preset])
        self.param.update(values=values, starts=starts)

    # ------------------------------------------------------------------ engine
    def engine_name(self) -> str:
        """The engine actually used: ``"compiled"`` or ``"pysd"``."""
        if self.engine == "pysd":
            return "pysd"

        def choose() -> str:
            from sdmodels.engine import choose_engine

            try:
                return choose_engine(self.model, self.engine)
            except ImportError:
                if self.engine == "compiled":
                    raise
                return "pysd"

        return _shared(("engine", self.model.hash, self.engine), choose)

    def _timed(self, key: str, start: float) -> None:
        self.timings = {**self.timings, key: time.perf_counter() - start}

    # ------------------------------------------------------------------ deterministic
    def _shared_baseline(self) -> xr.Dataset:
        engine = self.engine_name()

        def run() -> xr.Dataset:
            with _COMPUTE_LOCK:
                return self.model.run(self._baseline_scenario(), engine=engine,
                                      return_columns=self.outputs)

        return _shared(("baseline", self.model.hash, engine, self.baseline_name,
                        tuple(self.outputs)), run)

    @param.depends("values", "starts", watch=True)
    def recompute(self) -> None:
        """Run the current settings deterministically."""
        t0 = time.perf_counter()
        self.busy = True
        try:
            with _COMPUTE_LOCK:
                ds = self.model.run(self.current_scenario(), engine=self.engine_name(),
                                    return_columns=self.outputs)
            self.param.update(current=ds, message="", mc_stale=True)
        except SDModelsError as exc:
            self.message = str(exc)
        finally:
            self._timed("deterministic", t0)
            self.busy = False

    def kpis(self) -> list[dict[str, Any]]:
        """KPI cards: productivity index and funding gap at 2030/2035/2040, vacancy rate and
        waiting list at the final year, each with the baseline's value and the change.

        Outputs the model does not have are left out; years outside its horizon too.
        """
        from sdmodels.montecarlo import better_direction

        ds, base = self.current, self.baseline
        if ds is None or base is None:
            return []
        times = ds["time"].values
        years = [y for y in KPI_YEARS if times.min() <= y <= times.max()]
        cards = []
        for var, at in (("productivity_index", years), ("funding_gap", years),
                        ("vacancy_rate", [float(times[-1])]), ("waiting_list", [float(times[-1])])):
            if var not in ds:
                continue
            attrs = ds[var].attrs
            for year in at:
                value = float(ds[var].sel(time=year, method="nearest"))
                ref = float(base[var].sel(time=year, method="nearest"))
                cards.append(_kpi(attrs.get("name", var), var, year, value, ref,
                                  attrs.get("units", ""), better_direction(var)))
        return cards

    # ------------------------------------------------------------------ Monte Carlo
    def uncertainty_file(self) -> Path:
        """The model's default uncertainty file, ``uncertainty/<model>.toml`` beside it."""
        return self.model.path.parent / "uncertainty" / f"{self.model.name}.toml"

    def output_label(self, var: str) -> str:
        """``"Name (units)"`` of a model variable."""
        info = self.model.variables[var]
        return f"{info.name} ({units_label(info.units)})"

    def uncertain_count(self) -> int:
        """Number of uncertain inputs in the model's uncertainty file."""
        return len(self._spec())

    def _spec(self) -> Any:
        from sdmodels.uncertainty import load_uncertainty

        path = self.uncertainty_file()
        if not path.is_file():
            raise SDModelsError(
                f"no uncertainty file for {self.model.path.name}: write {path} to see fan charts"
            )
        return _shared(("spec", self.model.hash, str(path)),
                       lambda: load_uncertainty(path, self.model))

    def _design(self, n: int) -> xr.DataArray:
        spec = self._spec()
        return _shared(("design", self.model.hash, n, self.mc_seed),
                       lambda: spec.sample(n, method="lhs", seed=self.mc_seed))

    def _run_design(self, design: xr.DataArray, scenario: Scenario | None) -> xr.Dataset:
        from sdmodels.montecarlo import run_design

        with _COMPUTE_LOCK:
            return run_design(self.model, design, scenario=scenario, outputs=self.outputs,
                              engine=self.engine_name(), chunk_size=design.sizes["sample"])

    def compute_monte_carlo(self) -> tuple[xr.Dataset, xr.DataArray]:
        """Monte Carlo of the current settings against the baseline, common random numbers.

        The same ``mc_samples`` parameter sets (a Latin hypercube of the model's uncertainty
        file, seeded by ``mc_seed``) run under both; the baseline's runs are shared between
        sessions. Changes no state (safe to call from a worker thread).

        Returns
        -------
        quantiles : xarray.Dataset
            Quantiles of the key outputs, dims ``scenario`` (baseline, current), ``quantile``,
            ``time``.
        prob : xarray.DataArray
            Probability that the current settings beat the baseline, dims ``output``,
            ``scenario``, ``time``.
        """
        from sdmodels.montecarlo import prob_better, quantiles

        n = int(self.mc_samples)
        design = self._design(n)
        base = _shared(("mc-baseline", self.model.hash, self.engine_name(), n, self.mc_seed,
                        self.baseline_name, tuple(self.outputs)),
                       lambda: self._run_design(design, self._baseline_scenario()))
        cur = self._run_design(design, self.current_scenario())
        both = xr.concat([base, cur], dim=pd.Index(["baseline", "current"], name="scenario"),
                         join="exact")
        both.attrs = {**cur.attrs, "reference_scenario": "baseline",
                      "n_samples": n, "seed": self.mc_seed}
        q = quantiles(both, FAN_QUANTILES)
        q.attrs = dict(both.attrs)
        for var in self.outputs:
            q[var].attrs = dict(cur[var].attrs)
        return q, prob_better(both, "baseline")

    def apply_monte_carlo(self, result: tuple[xr.Dataset, xr.DataArray]) -> None:
        """Store a result of :meth:`compute_monte_carlo`."""
        q, prob = result
        self.param.update(mc=q, mc_prob=prob, mc_stale=False, message="")

    def run_monte_carlo(self) -> None:
        """Compute and store the Monte Carlo of the current settings (see
        :meth:`compute_monte_carlo`); errors go to :attr:`message`."""
        t0 = time.perf_counter()
        self.busy = True
        try:
            self.apply_monte_carlo(self.compute_monte_carlo())
        except SDModelsError as exc:
            self.message = str(exc)
        finally:
            self._timed("monte_carlo", t0)
            self.busy = False

    def ensure_monte_carlo(self) -> None:
        """Run the Monte Carlo if the levers moved since the last one."""
        if self.mc_stale or self.mc is None:
            self.run_monte_carlo()

    # ------------------------------------------------------------------ Sobol
    def compute_sobol(self, progress: Callable[[float], None] | None = None) -> xr.Dataset:
        """Sobol indices (first order ``S1`` and total ``ST``) of the key outputs over time.

        Uses the model's uncertainty file around the baseline. Computed once per model file
        and settings and shared between sessions; changes no state.
        """
        from sdmodels.dashboard._sobol import sobol_over_time

        spec = self._spec()
        engine = self.engine_name()
        runs = self.sobol_samples * (len(spec) + 2)
        if engine == "pysd" and runs > PYSD_RUN_LIMIT:
            raise SDModelsError(
                f"Sobol indices need {runs} runs of {self.model.path.name}, too many for the PySD "
                f"engine (at most {PYSD_RUN_LIMIT}); use the compiled engine (engine='auto') or "
                "fewer samples (sobol_samples)"
            )

        def make() -> xr.Dataset:
            return sobol_over_time(self.model, spec, outputs=self.outputs, n=self.sobol_samples,
                                 engine=engine, scenario=self._baseline_scenario(),
                                 seed=self.mc_seed, progress=progress, lock=_COMPUTE_LOCK)

        return _shared(("sobol", self.model.hash, engine, self.sobol_samples, self.mc_seed,
                        tuple(self.outputs)), make)

    def run_sobol(self) -> None:
        """Compute and store :attr:`sobol`; errors go to :attr:`message`."""
        t0 = time.perf_counter()
        try:
            self.sobol = self.compute_sobol()
        except SDModelsError as exc:
            self.message = str(exc)
        finally:
            self._timed("sobol", t0)

    # ------------------------------------------------------------------ compare & download
    def save_current(self, name: str) -> Scenario:
        """Keep the current settings under ``name`` for the Compare page."""
        name = name.strip()
        if not name:
            raise SDModelsError("give the saved scenario a name")
        if name in self.model.scenarios:
            raise SDModelsError(f"{name!r} is a shipped scenario; choose another name")
        scenario = self.current_scenario(name)
        self.saved = {**self.saved, name: scenario}
        return scenario

    def available_scenarios(self) -> list[str]:
        """Names that can be compared: shipped scenarios, then saved ones, then ``current``."""
        return [*self.model.scenarios, *self.saved, "current"]

    def comparison(self, names: Sequence[str]) -> xr.Dataset:
        """Deterministic runs of the named scenarios, with a ``scenario`` dimension."""
        if not names:
            raise SDModelsError("choose at least one scenario to compare")
        scenarios = []
        for name in names:
            if name == "current":
                scenarios.append(self.current_scenario())
            elif name in self.saved:
                scenarios.append(self.saved[name])
            else:
                scenarios.append(self.model.scenario(name))
        with _COMPUTE_LOCK:
            return self.model.run(scenarios, engine=self.engine_name(),
                                  return_columns=self.outputs)

    @staticmethod
    def to_csv_bytes(ds: xr.Dataset) -> bytes:
        """A tidy CSV: one row per scenario and time, one column per output (with units)."""
        frame = ds.to_dataframe().reset_index()
        keep = [c for c in ("scenario", "time") if c in frame.columns]
        outputs = [v for v in ds.data_vars]
        frame = frame[keep + outputs]
        frame.columns = keep + [
            f"{ds[v].attrs.get('name', v)} [{ds[v].attrs.get('units', '')}]" for v in outputs
        ]
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        return buf.getvalue().encode("utf-8")

    @staticmethod
    def to_netcdf_bytes(ds: xr.Dataset) -> bytes:
        """The Dataset as netCDF bytes, written with :func:`sdmodels.results.write_dataset`."""
        from sdmodels.results import write_dataset

        with tempfile.TemporaryDirectory(prefix="sdmodels-dashboard-") as folder:
            path = write_dataset(ds, Path(folder) / "results.nc")
            return path.read_bytes()

