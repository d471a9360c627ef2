"""The dashboard's data store: one per browser session, it owns the state and does the compute.

Views take a :class:`DashboardStore` and only draw what it holds. Things that never change for a
model (its baseline run, the Monte Carlo design and the baseline's Monte Carlo, Sobol indices)
are cached across sessions in :data:`_SHARED`; everything a user sets lives on the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Settings:
    """Lever settings: sizes and start years by lever Python name, the preset they came from
    (``None`` once moved by hand) and the scenario whose other overrides they build on."""

    values: dict[str, float]
    starts: dict[str, float]
    preset: str | None
    base: str | None


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
        self._generation = 0
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

    def settings(self) -> Settings:
        """The lever settings now shown."""
        return Settings(dict(self.values), dict(self.starts), self.preset, self._base_name)

    def scenario_for(self, settings: Settings, name: str = "current") -> Scenario:
        """``settings`` as a Scenario (the preset's non-lever overrides kept)."""
        base = (self.model.scenarios[settings.base] if settings.base
                else self._baseline_scenario())
        return levers_scenario(self.levers, settings.values, settings.starts, name=name,
                               description="Lever settings chosen in the dashboard.", base=base)

    def current_scenario(self, name: str = "current") -> Scenario:
        """The current lever settings as a Scenario (the preset's other overrides kept)."""
        return self.scenario_for(self.settings(), name)

    def is_baseline(self) -> bool:
        """True if every lever is where the baseline scenario (or the model) sets it."""
        values, starts = scenario_lever_values(self.levers, self._baseline_scenario())
        base = self.model.scenarios.get(self._base_name) if self._base_name else None
        same_base = self._base_name in (None, self.baseline_name) or base is None \
            or not base.parameters
        return same_base and values == self.values and starts == self.starts

    def lever_settings(self, name: str, *, value: float | None = None,
                       start: float | None = None) -> Settings | None:
        """The settings after moving a lever (size, start year or both); ``None`` if unchanged.

        Moved by hand, the settings become custom (``preset`` None), built on the last
        preset's non-lever overrides.

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
            return None
        return Settings(values, starts, None, self._base_name)

    def preset_settings(self, name: str) -> Settings:
        """The settings of the shipped scenario ``name`` (lever defaults elsewhere).

        Raises
        ------
        UnknownNameError
            The model has no such scenario.
        """
        if name not in self.model.scenarios:
            from sdmodels.errors import UnknownNameError

            raise UnknownNameError(name, list(self.model.scenarios), what="preset scenario",
                                   context=self.model.path.name)
        values, starts = scenario_lever_values(self.levers, self.model.scenarios[name])
        return Settings(values, starts, name, name)

    def compute(self, settings: Settings) -> xr.Dataset:
        """Deterministic run of ``settings``; changes no state (safe in a worker thread)."""
        with _COMPUTE_LOCK:
            return self.model.run(self.scenario_for(settings), engine=self.engine_name(),
                                  return_columns=self.outputs)

    def apply(self, settings: Settings, ds: xr.Dataset) -> None:
        """Show ``settings`` and their run ``ds`` (from :meth:`compute`)."""
        self._base_name = settings.base
        self.param.update(values=settings.values, starts=settings.starts,
                          preset=settings.preset, current=ds, message="", mc_stale=True)

    def _change(self, settings: Settings | None) -> None:
        if settings is None:
            return
        t0 = time.perf_counter()
        try:
            self.apply(settings, self.compute(settings))
        except SDModelsError as exc:
            self.message = str(exc)
        finally:
            self._timed("deterministic", t0)

    async def _change_async(self, settings: Settings | None) -> None:
        if settings is None:
            return
        self._generation += 1
        generation = self._generation
        t0 = time.perf_counter()
        self.busy = True
        try:
            ds = await asyncio.to_thread(self.compute, settings)
        except SDModelsError as exc:
            self.message = str(exc)
            return
        finally:
            if generation == self._generation:
                self.busy = False
        if generation == self._generation:  # a later change supersedes this one
            self.apply(settings, ds)
            self._timed("deterministic", t0)

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
        self._change(self.lever_settings(name, value=value, start=start))

    async def set_lever_async(self, name: str, *, value: float | None = None,
                              start: float | None = None) -> None:
        """:meth:`set_lever`, computing in a worker thread (``busy`` meanwhile).

        Of several quick moves, the last one wins.
        """
        await self._change_async(self.lever_settings(name, value=value, start=start))

    def apply_preset(self, name: str) -> None:
        """Set every lever as the shipped scenario ``name`` does (defaults elsewhere)."""
        self._change(self.preset_settings(name))

    async def apply_preset_async(self, name: str) -> None:
        """:meth:`apply_preset`, computing in a worker thread (``busy`` meanwhile)."""
        await self._change_async(self.preset_settings(name))

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

    def recompute(self) -> None:
        """Run the current settings again (e.g. after the engine changed)."""
        t0 = time.perf_counter()
        try:
            self.param.update(current=self.compute(self.settings()), message="",
                              mc_stale=True)
        except SDModelsError as exc:
            self.message = str(exc)
        finally:
            self._timed("deterministic", t0)

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

        Uses the model's uncertainty file around the baseline. Computed once per model file,
        uncertainty file and settings, kept on disk (the sdmodels cache folder) and shared
        between sessions; changes no state.
        """
        from sdmodels.dashboard._sobol import sobol_over_time
        from sdmodels.results import write_dataset

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
            path = self._sobol_cache_path(engine)
            if path.is_file():
                try:
                    return xr.load_dataset(path)
                except (OSError, ValueError):
                    path.unlink(missing_ok=True)  # unreadable: compute again
            result = sobol_over_time(self.model, spec, outputs=self.outputs,
                                     n=self.sobol_samples, engine=engine,
                                     scenario=self._baseline_scenario(), seed=self.mc_seed,
                                     progress=progress, lock=_COMPUTE_LOCK)
            try:
                write_dataset(result, path)
            except OSError:
                pass  # a read-only cache only costs a recomputation next time
            return result

        return _shared(("sobol", self.model.hash, engine, self.sobol_samples, self.mc_seed,
                        tuple(self.outputs)), make)

    def _sobol_cache_path(self, engine: str) -> Path:
        """Where the Sobol indices of this model, uncertainty file and settings are kept."""
        from sdmodels._paths import cache_dir, file_sha256

        key = hashlib.sha256("|".join([
            self.model.hash, file_sha256(self.uncertainty_file()), engine,
            str(self.sobol_samples), str(self.mc_seed), ",".join(self.outputs),
        ]).encode()).hexdigest()[:24]
        return cache_dir("dashboard") / f"sobol-{self.model.name}-{key}.nc"

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

