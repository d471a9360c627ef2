"""The dashboard's data store: one per browser session, it owns the state and does the compute.

:class:`DashboardStore` is a :class:`panel.viewable.Viewer`: views take it and only draw what it
holds; ``pn.panel(store)`` shows the whole dashboard. Every action (move a lever, pick a preset,
set the starting point, open a page, compare, save) is one coroutine: it computes in a worker
thread and then updates the store's parameters once. Results that every session shares (the
baseline, the Monte Carlo design, the baseline's Monte Carlo, the Sobol indices) come from
:mod:`sdmodels.dashboard._shared` (:func:`panel.cache`, bounded).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr

from sdmodels.attribution import attribute, attribution_factors, attribution_table
from sdmodels.dashboard import _shared
from sdmodels.dashboard._constants import FAN_QUANTILES, KPI_YEARS, PAGES, START_POINT
from sdmodels.dashboard._shared import clear_shared_cache
from sdmodels.dashboard._text import percent_unit
from sdmodels.dashboard.levers import LeverSpec, find_levers, levers_scenario, scenario_lever_values
from sdmodels.dashboard.scenario_files import scenario_from_toml, scenario_to_toml
from sdmodels.dashboard.start_point import profile_toml, start_fields
from sdmodels.dashboard.views import dashboard_layout
from sdmodels.discovery import discover, failure_cases
from sdmodels.errors import SDModelsError, UnknownNameError
from sdmodels.montecarlo import prob_better, quantiles
from sdmodels.profiles import find_profiles
from sdmodels.scenarios import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from sdmodels.model import Model

__all__ = [
    "FAN_QUANTILES", "KPI_YEARS", "PAGES", "START_POINT", "DashboardStore", "Settings",
    "clear_shared_cache",
]

#: Most model runs the store asks of the (slow) PySD engine for one Sobol analysis.
PYSD_RUN_LIMIT = 400

#: A quick action shows no loading indicator; a slower one shows it after this many seconds.
BUSY_AFTER = 0.5


@dataclass(frozen=True)
class Settings:
    """What a planner has chosen: lever sizes and start years (by lever Python name), the
    preset they came from (``None`` once moved by hand), the scenario whose other overrides
    they build on, and the starting point (parameter Python name to value)."""

    values: dict[str, float]
    starts: dict[str, float]
    preset: str | None
    base: str | None
    start_point: dict[str, float] = field(default_factory=dict)
    profile: str = ""


def _kpi(label: str, var: str, year: float, value: float, base: float, units: str,
         direction: int | None) -> dict[str, Any]:
    delta = value - base
    better = None if direction is None or abs(delta) < 1e-12 else bool(delta * direction > 0)
    return {"label": label, "variable": var, "year": year, "value": value, "baseline": base,
            "delta": delta, "units": units, "better": better}


class DashboardStore(pn.viewable.Viewer):
    """State and compute of one dashboard session.

    Parameters
    ----------
    model
        The loaded model (shared, never modified).
    engine
        ``"auto"`` (compiled where supported, PySD otherwise), ``"compiled"`` or ``"pysd"``.

    Examples
    --------
    >>> import asyncio
    >>> store = DashboardStore(sdmodels.load_model())                       # doctest: +SKIP
    >>> asyncio.run(store.set_lever("improvement_investment", value=0.5))   # doctest: +SKIP
    >>> store.kpis()[0]["value"]                                            # doctest: +SKIP
    """

    engine = param.Selector(default="auto", objects=["auto", "compiled", "pysd"])
    preset = param.Selector(default=None, objects=[None], allow_None=True,
                            doc="Shipped scenario whose levers were last applied.")
    values = param.Dict(default={}, doc="Lever sizes by Python name.")
    starts = param.Dict(default={}, doc="Lever start years by lever Python name.")
    start_point = param.Dict(default={}, doc="Starting values set by the planner.")
    profile = param.String(default="", doc="Shipped starting-point profile ('': the model "
                                          "file's own values).")
    current = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                  doc="Deterministic run of the current settings.")
    baseline = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                   doc="Deterministic run of the baseline.")
    busy = param.Boolean(default=False, doc="A slow computation is running.")
    message = param.String(default="", doc="Last error, shown to the user.")
    timings = param.Dict(default={}, doc="Seconds taken by the last computations.")
    page = param.String(default=PAGES[0], doc="The page shown.")
    link = param.String(default="", doc="The settings as URL text (levers, preset, start).")

    kpi_cards = param.List(default=[], doc="KPI cards shown: (output, year) pairs.")

    mc_samples = param.Integer(default=500, bounds=(2, None))
    mc_seed = param.Integer(default=20240601)
    mc_parameters = param.Selector(default="prior", objects=["prior", "posterior"],
                                   doc="Monte Carlo parameters: the uncertainty file's ranges "
                                       "(prior) or the model's calibrated posterior.")
    mc = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                             doc="Quantiles of the key outputs (scenario baseline/current).")
    mc_prob = param.ClassSelector(class_=xr.DataArray, allow_None=True,
                                  doc="P(current beats baseline) by output and time.")
    mc_stale = param.Boolean(default=True)
    mc_status = param.String(default="")
    mc_runs = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                  doc="Every Monte Carlo run (dims scenario, sample, time) with "
                                      "its design.")
    discovery = param.List(default=[], doc="Where the current settings fail to beat the "
                                           "baseline: one entry per key output with a direction.")

    attribution = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                      doc="Shapley attribution of current minus baseline "
                                          "(dims output, factor, time).")
    attribution_status = param.String(default="")

    sobol_samples = param.Integer(default=256, bounds=(2, None),
                                  doc="Base sample size of the Sobol analysis (a power of 2).")
    sobol = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                doc="Sobol indices of the key outputs over time.")
    sobol_status = param.String(default="")
    tornado = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                  doc="Runs with each lever at its range ends (dims lever, "
                                      "end, time).")

    saved = param.Dict(default={}, doc="Scenarios saved in this session, by name.")
    compared = param.List(default=[], doc="Names of the scenarios on the Compare page.")
    comparison = param.ClassSelector(class_=xr.Dataset, allow_None=True,
                                     doc="Runs of the compared scenarios.")

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
        self._stale = {"compare": True, "tornado": True, "attribution": True}
        try:
            self.profiles = find_profiles(model)
        except SDModelsError:
            self.profiles = {}
        self.start_fields = start_fields(model)
        values, starts = scenario_lever_values(self.levers, self._baseline_scenario())
        default = [n for n in ("baseline",) if n in model.scenarios] + ["current"]
        with param.discard_events(self):
            self.values, self.starts = values, starts
            self.preset = self.baseline_name
            self.kpi_cards = self.default_cards()
            self.compared = default
        self.baseline = self._baseline_for({})
        self._shown_link = self.link_text()
        self.param.update(current=self.compute(self.settings()), link=self._shown_link)
        self.param.watch(self._link_changed, "link")

    def _link_changed(self, event: Any) -> None:
        # set from outside (a shared URL): show those settings
        if event.new != self._shown_link:
            async def open_it() -> None:
                await self.open_link(event.new)

            pn.state.execute(open_it)

    def _has_parameter(self, name: str) -> bool:
        try:
            self.model.resolve(name, what="parameter")
        except SDModelsError:
            return False
        return True

    def __panel__(self) -> Any:

        return dashboard_layout(self)

    # ------------------------------------------------------------------ scenarios
    def _baseline_scenario(self) -> Scenario | None:
        return self.model.scenarios[self.baseline_name] if self.baseline_name else None

    def lever(self, name: str) -> LeverSpec:
        """The lever with this Vensim or Python name."""
        for lv in self.levers:
            if name in (lv.py_name, lv.name):
                return lv
        raise UnknownNameError(name, [lv.name for lv in self.levers], what="lever",
                               context=self.model.path.name)

    def settings(self) -> Settings:
        """The settings now shown."""
        return Settings(dict(self.values), dict(self.starts), self.preset, self._base_name,
                        dict(self.start_point), self.profile)

    def baseline_scenario_for(self, start_point: dict[str, float]) -> Scenario:
        """The baseline scenario from a starting point (its levers as the baseline sets them)."""
        base = self._baseline_scenario()
        params = {**(base.parameters if base else {}), **start_point}
        return Scenario(name="baseline", description=base.description if base else
                        "The model's own defaults.", parameters=params,
                        levers=base.levers if base else (),
                        allow_out_of_range=base.allow_out_of_range if base else frozenset(),
                        model=base.model if base else None)

    def scenario_for(self, settings: Settings, name: str = "current") -> Scenario:
        """``settings`` as a Scenario (the preset's non-lever overrides and the starting
        point kept)."""
        base = (self.model.scenarios[settings.base] if settings.base
                else self._baseline_scenario())
        scenario = levers_scenario(self.levers, settings.values, settings.starts, name=name,
                                   description="Lever settings chosen in the dashboard.",
                                   base=base)
        if settings.start_point:
            scenario = replace(scenario, parameters={**scenario.parameters,
                                                     **settings.start_point})
        return scenario

    def current_scenario(self, name: str = "current") -> Scenario:
        """The current settings as a Scenario."""
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
        return replace(self.settings(), values=values, starts=starts, preset=None)

    def preset_settings(self, name: str) -> Settings:
        """The settings of the shipped scenario ``name`` (lever defaults elsewhere).

        Raises
        ------
        UnknownNameError
            The model has no such scenario.
        """
        if name not in self.model.scenarios:
            raise UnknownNameError(name, list(self.model.scenarios), what="preset scenario",
                                   context=self.model.path.name)
        values, starts = scenario_lever_values(self.levers, self.model.scenarios[name])
        return replace(self.settings(), values=values, starts=starts, preset=name, base=name)

    def start_point_settings(self, changes: dict[str, float | None]) -> Settings:
        """The settings with starting values changed (``None``: back to the model's value).

        Raises
        ------
        UnknownNameError
            Not one of the starting values the dashboard lets planners set.
        ParameterRangeError
            A value outside the range the model declares for it.
        """
        allowed = {p.py_name: p for p in self.start_fields}
        by_name = {p.name: p for p in self.start_fields}
        point = dict(self.start_point)
        for key, value in changes.items():
            info = allowed.get(key) or by_name.get(key)
            if info is None:
                raise UnknownNameError(key, [p.name for p in self.start_fields],
                                       what="starting value", context=self.model.path.name)
            if value is None or float(value) == float(info.value):
                point.pop(info.py_name, None)
                continue
            info.check(value, context="your starting point")
            point[info.py_name] = float(value)
        settings = self.settings()
        return replace(settings, start_point=point)

    def profile_values(self, name: str) -> dict[str, float]:
        """The starting values of the shipped profile ``name`` (by Python name); ``{}`` for
        ``""`` (the model file's own values).

        Raises
        ------
        UnknownNameError
            No such profile is shipped with the model.
        """
        if not name:
            return {}
        if name not in self.profiles:
            raise UnknownNameError(name, list(self.profiles), what="profile",
                                   context=self.model.path.name)
        return {k: float(v) for k, v in self.profiles[name].to_params(self.model).items()
                if np.ndim(v) == 0}

    def profile_file(self) -> str:
        """The starting point now set, as a profile file (``sdmodels run --profile FILE``)."""
        return profile_toml(self.model, self.start_fields, dict(self.start_point),
                            base=self.profiles.get(self.profile))

    def profile_settings(self, name: str) -> Settings:
        """The settings with the starting point of the shipped profile ``name``."""
        return replace(self.settings(), profile=name, start_point=self.profile_values(name))

    async def set_profile(self, name: str) -> None:
        """Start from the shipped profile ``name`` (``""``: the model file's values) and rerun
        baseline and current settings."""
        await self._act(self.profile_settings(name))

    # ------------------------------------------------------------------ the URL
    def link_text(self, settings: Settings | None = None) -> str:
        """The settings as compact URL text: ``preset``, changed levers and starting values.

        Levers are written only where they differ from the preset (or baseline) they start
        from, as ``py_name:value:start``.
        """
        s = settings or self.settings()
        ref_values, ref_starts = scenario_lever_values(
            self.levers, self.model.scenarios.get(s.base) if s.base else None)
        levers = [f"{py}:{s.values[py]:.6g}:{s.starts[py]:.0f}" for py in s.values
                  if s.values[py] != ref_values.get(py) or s.starts[py] != ref_starts.get(py)]
        base_point = self.profile_values(s.profile)
        parts = {"preset": s.preset or "", "base": "" if s.preset else (s.base or ""),
                 "profile": s.profile, "levers": ",".join(levers),
                 "start": ",".join(f"{k}:{v:.6g}" for k, v in s.start_point.items()
                                   if base_point.get(k) != v)}
        return "&".join(f"{k}={v}" for k, v in parts.items() if v)

    def settings_from_link(self, text: str) -> Settings:
        """Settings from :meth:`link_text` (as found in a shared URL), each value validated.

        Raises
        ------
        SDModelsError
            An unknown preset, lever or starting value, or a value out of range.
        """
        fields: dict[str, str] = {}
        for part in text.lstrip("?").split("&"):
            if "=" in part:
                key, _, value = part.partition("=")
                fields[key] = value
        preset = fields.get("preset") or None
        base = preset or fields.get("base") or self.baseline_name
        if base is not None and base not in self.model.scenarios:
            raise UnknownNameError(base, list(self.model.scenarios), what="preset scenario",
                                   context="the link")
        values, starts = scenario_lever_values(self.levers, self.model.scenarios.get(base)
                                               if base else None)
        for item in filter(None, fields.get("levers", "").split(",")):
            try:
                py, value, start = item.split(":")
                size, year = float(value), float(start)
            except ValueError:
                raise SDModelsError(f"cannot read the lever setting {item!r} of the link "
                                    "(expected name:value:start)") from None
            lv = self.lever(py)
            self.model.parameters[lv.py_name].check(size, context="the link")
            self.model.parameters[lv.start_py_name].check(year, context="the link")
            values[lv.py_name], starts[lv.py_name] = size, year
        point: dict[str, float] = {}
        for item in filter(None, fields.get("start", "").split(",")):
            key, _, value = item.partition(":")
            try:
                point[key] = float(value)
            except ValueError:
                raise SDModelsError(f"cannot read the starting value {item!r} of the link "
                                    "(expected name:value)") from None
        profile = fields.get("profile", "")
        base_point = self.profile_values(profile)
        settings = Settings(values, starts, preset, base, {}, profile)
        with param.discard_events(self):
            old = self.start_point
            self.start_point = base_point
            try:
                point_settings = self.start_point_settings(point)
            finally:
                self.start_point = old
        return replace(settings, start_point=point_settings.start_point)

    async def open_link(self, text: str) -> None:
        """Show the settings of a shared link; errors go to :attr:`message`."""
        if text == self._shown_link:
            return
        try:
            settings = self.settings_from_link(text)
        except SDModelsError as exc:
            self.message = f"The link's settings were not applied: {exc}"
            return
        await self._act(settings)

    # ------------------------------------------------------------------ actions
    async def _act(self, settings: Settings | None) -> None:
        """The one path of every change of settings: compute in a worker thread, then show."""
        if settings is None:
            return
        self._generation += 1
        generation = self._generation
        t0 = time.perf_counter()
        task = asyncio.ensure_future(asyncio.to_thread(self._compute_both, settings))
        done, _ = await asyncio.wait({task}, timeout=BUSY_AFTER)
        if not done and generation == self._generation:
            self.busy = True
        try:
            base, ds = await task
        except SDModelsError as exc:
            if generation == self._generation:
                self.param.update(message=str(exc), busy=False)
            return
        if generation != self._generation:  # a later change supersedes this one
            return
        self._base_name = settings.base
        self._stale = {"compare": True, "tornado": True, "attribution": True}
        self._shown_link = self.link_text(settings)
        # one message to the page for every widget, card and address the change moves (Panel
        # otherwise sends one per widget: 200 for a preset, each redrawn on its own)
        with pn.io.hold():
            self.param.update(values=settings.values, starts=settings.starts,
                              preset=settings.preset, start_point=settings.start_point,
                              profile=settings.profile,
                              baseline=base, current=ds, message="", mc_stale=True,
                              busy=False, link=self._shown_link)
        self.timings = {**self.timings, "deterministic": time.perf_counter() - t0}
        await self._refresh_page(generation)

    def _compute_both(self, settings: Settings) -> tuple[xr.Dataset, xr.Dataset]:
        return self._baseline_for(settings.start_point), self.compute(settings)

    async def set_lever(self, name: str, *, value: float | None = None,
                        start: float | None = None) -> None:
        """Move a lever (its size, its start year or both) and recompute.

        Of several quick moves, the last one wins.

        Raises
        ------
        UnknownNameError
            The model has no such lever.
        ParameterRangeError
            The value lies outside the lever's declared range.
        """
        await self._act(self.lever_settings(name, value=value, start=start))

    async def apply_preset(self, name: str) -> None:
        """Set every lever as the shipped scenario ``name`` does (defaults elsewhere)."""
        await self._act(self.preset_settings(name))

    async def set_start_point(self, changes: dict[str, float | None]) -> None:
        """Change starting values (``None``: the model's own) and rerun baseline and current.

        Raises
        ------
        UnknownNameError, ParameterRangeError
            See :meth:`start_point_settings`.
        """
        await self._act(self.start_point_settings(changes))

    async def show_page(self, page: str) -> None:
        """The user opened ``page``: compute what it shows if it is out of date."""
        if page not in PAGES:
            raise UnknownNameError(page, list(PAGES), what="page", context="the dashboard")
        self.page = page
        await self._refresh_page(self._generation)

    async def _refresh_page(self, generation: int) -> None:
        try:
            if self.page == "Uncertainty" and (self.mc_stale or self.mc is None):
                await self.refresh_uncertainty()
            elif self.page == "Sensitivity":
                if self.sobol is None:
                    await self.load_sobol()
                if self._stale["tornado"] and generation == self._generation:
                    await self.refresh_tornado()
            elif self.page == "Compare":
                if self._stale["compare"]:
                    await self.refresh_comparison()
                if self._stale["attribution"] and generation == self._generation:
                    await self.refresh_attribution()
        except SDModelsError as exc:
            self.message = str(exc)

    # ------------------------------------------------------------------ engine
    def engine_name(self) -> str:
        """The engine actually used: ``"compiled"`` or ``"pysd"``."""
        return _shared.engine_for(self.model, self.engine)

    # ------------------------------------------------------------------ deterministic
    def _baseline_for(self, start_point: dict[str, float]) -> xr.Dataset:
        return _shared.baseline_run(self.model, self.engine_name(),
                                    scenario_to_toml(self.baseline_scenario_for(start_point)),
                                    tuple(self.outputs))

    def compute(self, settings: Settings) -> xr.Dataset:
        """Deterministic run of ``settings``; changes no state (safe in a worker thread)."""
        return _shared.run_scenarios(self.model, [self.scenario_for(settings)],
                                     self.engine_name(), tuple(self.outputs))

    def default_cards(self) -> list[tuple[str, float]]:
        """The KPI cards shown at first: productivity index and funding gap at 2030, 2035 and
        2040, vacancy rate and waiting list at the final year (those the model has)."""
        t0 = float(self.model.controls["initial_time"].value)
        t1 = float(self.model.controls["final_time"].value)
        years = [y for y in KPI_YEARS if t0 <= y <= t1] or [t1]
        cards = []
        for var, at in (("productivity_index", years), ("funding_gap", years),
                        ("vacancy_rate", [t1]), ("waiting_list", [t1])):
            if var in self.outputs:
                cards += [(var, float(y)) for y in at]
        return cards

    def years(self) -> list[float]:
        """The saved years of the runs."""
        return [float(t) for t in self.current["time"].values] if self.current is not None \
            else []

    def kpis(self, cards: Sequence[tuple[str, float]] | None = None) -> list[dict[str, Any]]:
        """KPI cards: value of the current settings, the baseline's value and the change, for
        each ``(output, year)`` of ``cards`` (default :attr:`kpi_cards`).

        Outputs the model does not have are left out; years outside its horizon too.
        """
        ds, base = self.current, self.baseline
        if ds is None or base is None:
            return []
        times = ds["time"].values
        out = []
        for var, year in (self.kpi_cards if cards is None else cards):
            if var not in ds or not times.min() <= year <= times.max():
                continue
            attrs = ds[var].attrs
            value = float(ds[var].sel(time=year, method="nearest"))
            ref = float(base[var].sel(time=year, method="nearest"))
            out.append(_kpi(attrs.get("name", var), var, float(year), value, ref,
                            attrs.get("units", ""), self.model.better_direction(var)))
        return out

    # ------------------------------------------------------------------ Monte Carlo
    def uncertainty_file(self) -> Path:
        """The model's default uncertainty file, ``uncertainty/<model>.toml`` beside it."""
        return self.model.path.parent / "uncertainty" / f"{self.model.name}.toml"

    def output_label(self, var: str) -> str:
        """``"Name (units)"`` of a model variable (``%`` for rates and shares)."""
        info = self.model.variables[var]
        return f"{info.name} ({percent_unit(info.name, info.units)})"

    def uncertain_count(self) -> int:
        """Number of uncertain inputs in the model's uncertainty file."""
        return len(self._spec())

    def _spec_path(self) -> str:
        path = self.uncertainty_file()
        if not path.is_file():
            raise SDModelsError(
                f"no uncertainty file for {self.model.path.name}: write {path} to see fan charts"
            )
        return str(path)

    def _spec(self) -> Any:
        return _shared.uncertainty_spec(self.model, self._spec_path())

    def compute_monte_carlo(self, settings: Settings | None = None
                            ) -> tuple[xr.Dataset, xr.DataArray]:
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
        q, prob, _ = self._monte_carlo(settings or self.settings())
        return q, prob

    def _monte_carlo(self, settings: Settings) -> tuple[xr.Dataset, xr.DataArray, xr.Dataset]:

        n, path, outputs = int(self.mc_samples), self._spec_path(), tuple(self.outputs)
        engine = self.engine_name()
        source = self.mc_parameters
        design = _shared.mc_design(self.model, path, n, self.mc_seed, source)
        base = _shared.mc_baseline(
            self.model, engine, path, n, self.mc_seed,
            scenario_to_toml(self.baseline_scenario_for(settings.start_point)), outputs, source)
        cur = _shared.run_design_now(self.model, design, self.scenario_for(settings), engine,
                                     outputs)
        both = xr.concat([base, cur], dim=pd.Index(["baseline", "current"], name="scenario"),
                         join="exact")
        both.attrs = {**cur.attrs, "reference_scenario": "baseline",
                      "n_samples": n, "seed": self.mc_seed, "parameters": source,
                      **{k: str(v) for k, v in design.attrs.items()
                         if k.startswith("posterior")}}
        q = quantiles(both, FAN_QUANTILES)
        q.attrs = dict(both.attrs)
        for var in self.outputs:
            q[var].attrs = dict(cur[var].attrs)
        runs = both.assign(design=design)
        return q, prob_better(both, "baseline"), runs

    async def refresh_uncertainty(self, samples: int | None = None) -> None:
        """Run the Monte Carlo of the current settings (in a worker thread) and show it."""
        if samples is not None:
            self.mc_samples = int(samples)
        generation, settings = self._generation, self.settings()
        t0 = time.perf_counter()
        self.mc_status = "Running the Monte Carlo ..."
        try:
            q, prob, runs = await asyncio.to_thread(self._monte_carlo, settings)
        except SDModelsError as exc:
            self.param.update(message=str(exc), mc_status=f"**Cannot run:** {exc}")
            return
        if generation != self._generation:
            return  # the levers moved meanwhile: their own refresh follows
        seconds = time.perf_counter() - t0
        self.timings = {**self.timings, "monte_carlo": seconds}
        self.param.update(mc=q, mc_prob=prob, mc_runs=runs, mc_stale=False,
                          mc_status=self._describe_mc(seconds))
        t1 = time.perf_counter()
        found = await asyncio.to_thread(self.compute_discovery, runs, cancelled=lambda: (
            generation != self._generation or runs is not self.mc_runs))
        if found is not None and generation == self._generation and runs is self.mc_runs:
            self.timings = {**self.timings, "discovery": time.perf_counter() - t1}
            self.discovery = found

    def discovery_year(self, runs: xr.Dataset | None = None) -> float:
        """The year the "when does this fail?" panel looks at: the last KPI year within the
        runs (their final time otherwise)."""
        times = (runs if runs is not None else self.mc_runs)["time"].values
        years = [y for y in KPI_YEARS if times.min() <= y <= times.max()]
        return float(years[-1]) if years else float(times[-1])

    def compute_discovery(self, runs: xr.Dataset | None = None, *,
                          cancelled: Callable[[], bool] | None = None
                          ) -> list[dict[str, Any]] | None:
        """Scenario discovery on the Monte Carlo runs: for each key output whose better
        direction the model states, where the current settings fail to beat the baseline.

        Each entry has ``output`` (Python name), ``name``, ``year``, ``fail_share`` (share of
        runs where the current settings do not beat the baseline), ``discovery`` (the
        :class:`sdmodels.discovery.Discovery`, or ``None`` when the settings fail in every run
        or in none) and ``sentence`` (plain text). Changes no state (safe in a worker thread).

        ``cancelled`` is asked before each output; once it answers true the search stops and
        returns ``None`` (its runs are out of date: PRIM takes the best part of a second per
        output, which a newer Monte Carlo would otherwise wait for).
        """

        runs = runs if runs is not None else self.mc_runs
        if runs is None:
            return []
        year = self.discovery_year(runs)
        found: list[dict[str, Any]] = []
        for var in self.outputs:
            sign = self.model.better_direction(var)
            if sign is None or var not in runs:
                continue
            if cancelled is not None and cancelled():
                return None
            direction = "higher" if sign > 0 else "lower"
            name = str(runs[var].attrs.get("name", var))
            entry: dict[str, Any] = {"output": var, "name": name, "year": year,
                                     "discovery": None}
            try:
                _, fails, _ = failure_cases(runs, scenario="current", against="baseline",
                                            output=var, year=year, direction=direction)
                entry["fail_share"] = float(fails.mean())
                if not fails.any():
                    entry["sentence"] = (f"The current scenario beats the baseline on {name} in "
                                         f"{year:g} in every run.")
                elif fails.all():
                    entry["sentence"] = (f"The current scenario fails to beat the baseline on "
                                         f"{name} in {year:g} in every run.")
                else:
                    result = replace(discover(runs, scenario="current", against="baseline",
                                              output=var, year=year, direction=direction),
                                     scenario="The current scenario", against="the baseline")
                    entry["discovery"] = result
                    entry["sentence"] = result.sentence()
            except SDModelsError as exc:
                entry["fail_share"] = float("nan")
                entry["sentence"] = f"No scenario discovery for {name}: {exc}"
            found.append(entry)
        return found

    def _describe_mc(self, seconds: float) -> str:
        same = (" **The current settings are the baseline's**: move a lever or pick a preset "
                "to compare." if self.is_baseline() else "")
        source = (" with the calibrated parameters drawn from the model's posterior"
                  if self.mc is not None and self.mc.attrs.get("parameters") == "posterior"
                  else "")
        return (f"**{self.mc.attrs.get('n_samples') if self.mc is not None else self.mc_samples}"
                f" samples** of the uncertain inputs in `{self.uncertainty_file().name}` (Latin "
                f"hypercube, seed {self.mc_seed}){source}, the same samples for baseline and "
                f"current settings, in {seconds:.2f} s.{same}")

    # ------------------------------------------------------------------ Sobol and tornado
    def compute_sobol(self) -> xr.Dataset:
        """Sobol indices (first order ``S1`` and total ``ST``) of the key outputs over time.

        Uses the model's uncertainty file around the baseline. Computed once per model file,
        uncertainty file and settings, kept on disk (the sdmodels cache folder) and shared
        between sessions; changes no state.
        """
        spec = self._spec()
        engine = self.engine_name()
        runs = self.sobol_samples * (len(spec) + 2)
        if engine == "pysd" and runs > PYSD_RUN_LIMIT:
            raise SDModelsError(
                f"Sobol indices need {runs} runs of {self.model.path.name}, too many for the PySD "
                f"engine (at most {PYSD_RUN_LIMIT}); use the compiled engine (engine='auto') or "
                "fewer samples (sobol_samples)"
            )
        return _shared.sobol_indices(self.model, engine, self._spec_path(), self.sobol_samples,
                                     self.mc_seed, scenario_to_toml(self.baseline_scenario_for(
                                         {})), tuple(self.outputs))

    async def load_sobol(self) -> None:
        """Compute (or read) the Sobol indices in a worker thread and show them."""
        try:
            runs = self.sobol_samples * (self.uncertain_count() + 2)
        except SDModelsError as exc:
            self.sobol_status = f"**Cannot compute Sobol indices:** {exc}"
            return
        self.sobol_status = (f"Computing Sobol indices: {runs} model runs (once per model file, "
                             "then shared by every session) ...")
        t0 = time.perf_counter()
        try:
            result = await asyncio.to_thread(self.compute_sobol)
        except SDModelsError as exc:
            self.sobol_status = f"**Sobol analysis failed:** {exc}"
            return
        self.timings = {**self.timings, "sobol": time.perf_counter() - t0}
        self.param.update(sobol=result, sobol_status=(
            f"Sobol indices from {runs} runs around the baseline ({result.attrs.get('method')})."))

    def compute_tornado(self, settings: Settings | None = None) -> xr.Dataset:
        """Runs with each lever, in turn, at the low and the high end of its range (the other
        levers as set); dims ``lever``, ``end`` (``low``, ``high``), ``time``."""
        settings = settings or self.settings()
        scenarios = []
        for lv in self.levers:
            for end, value in (("low", lv.min), ("high", lv.max)):
                moved = replace(settings, values={**settings.values, lv.py_name: value})
                scenarios.append(self.scenario_for(moved, name=f"{lv.py_name}|{end}"))
        if not scenarios:
            raise SDModelsError(f"{self.model.path.name} has no levers to compare")
        ds = _shared.run_scenarios(self.model, scenarios, self.engine_name(),
                                   tuple(self.outputs))
        if "scenario" not in ds.dims:
            ds = ds.expand_dims(scenario=[scenarios[0].name])
        shape = (len(self.levers), 2, ds.sizes["time"])
        return xr.Dataset(
            {var: (("lever", "end", "time"),
                   ds[var].transpose("scenario", "time").values.reshape(shape), ds[var].attrs)
             for var in self.outputs},
            coords={"lever": [lv.py_name for lv in self.levers], "end": ["low", "high"],
                    "time": ds["time"].values})

    async def refresh_tornado(self) -> None:
        """Recompute the lever tornado for the current settings (worker thread)."""
        generation, settings = self._generation, self.settings()
        try:
            result = await asyncio.to_thread(self.compute_tornado, settings)
        except SDModelsError as exc:
            self.message = str(exc)
            return
        if generation == self._generation:
            self._stale["tornado"] = False
            self.tornado = result

    def tornado_table(self, output: str, year: float) -> pd.DataFrame:
        """Each lever's effect on ``output`` at ``year``: the change against the current
        settings with the lever at the low and at the high end of its range, largest first."""
        if self.tornado is None or self.current is None:
            return pd.DataFrame(columns=["lever", "low", "high", "low_value", "high_value"])
        ref = float(self.current[output].sel(time=year, method="nearest"))
        at = self.tornado[output].sel(time=year, method="nearest")
        rows = []
        for lv in self.levers:
            low = float(at.sel(lever=lv.py_name, end="low"))
            high = float(at.sel(lever=lv.py_name, end="high"))
            rows.append({"lever": lv.name, "low": low - ref, "high": high - ref,
                         "low_value": lv.min, "high_value": lv.max})
        frame = pd.DataFrame(rows)
        span = (frame["high"] - frame["low"]).abs()
        return frame.iloc[np.argsort(-span.to_numpy(), kind="stable")].reset_index(drop=True)

    # ------------------------------------------------------------------ attribution
    def compute_attribution(self, settings: Settings | None = None) -> xr.Dataset | None:
        """Shapley attribution of the current settings' difference from the baseline (same
        starting point) among the levers and overrides that differ, every key output over
        time (:func:`sdmodels.attribute`); ``None`` when nothing differs. Changes no state."""

        settings = settings or self.settings()
        scenario = self.scenario_for(settings)
        against = self.baseline_scenario_for(settings.start_point)
        if not attribution_factors(self.model, scenario, against):
            return None
        with _shared.COMPUTE_LOCK:
            return attribute(self.model, scenario=scenario, against=against,
                             outputs=list(self.outputs), engine=self.engine_name(), seed=0)

    async def refresh_attribution(self) -> None:
        """Recompute :attr:`attribution` for the current settings (worker thread)."""
        generation, settings = self._generation, self.settings()
        self.attribution_status = "Splitting the difference among the levers ..."
        t0 = time.perf_counter()
        try:
            result = await asyncio.to_thread(self.compute_attribution, settings)
        except SDModelsError as exc:
            if generation == self._generation:
                self.param.update(attribution=None,
                                  attribution_status=f"**Cannot attribute:** {exc}")
            return
        if generation != self._generation:
            return
        self._stale["attribution"] = False
        seconds = time.perf_counter() - t0
        self.timings = {**self.timings, "attribution": seconds}
        status = ("The current settings are the baseline's: move a lever or pick a preset to "
                  "see which lever produces which part of the difference." if result is None
                  else f"Shapley values from {result.attrs.get('n_runs')} runs in "
                       f"{seconds:.2f} s.")
        self.param.update(attribution=result, attribution_status=status)

    def attribution_table(self, output: str, year: float) -> pd.DataFrame:
        """Each factor's share of the difference in ``output`` at ``year``, largest first
        (:func:`sdmodels.attribution.attribution_table`); empty without an attribution."""

        if self.attribution is None:
            return pd.DataFrame(columns=["factor", "kind", "change", "shapley", "share",
                                         "alone"])
        return attribution_table(self.attribution, output, year=year)

    # ------------------------------------------------------------------ compare & save
    def save_current(self, name: str) -> Scenario:
        """Keep the current settings under ``name`` for the Compare page."""
        name = name.strip()
        if not name:
            raise SDModelsError("give the saved scenario a name")
        if len(name) > 80:
            raise SDModelsError("a saved scenario's name has at most 80 characters")
        if name in self.model.scenarios or name == "current":
            raise SDModelsError(f"{name!r} is a shipped scenario; choose another name")
        scenario = replace(self.current_scenario(name), model=self.model.path.name,
                           description=f"Saved in the dashboard from "
                                       f"{self.preset or 'custom settings'}.")
        self.saved = {**self.saved, name: scenario}
        return scenario

    def import_scenario(self, name: str, text: str) -> Scenario:
        """Add a scenario from the text of a TOML scenario file (as exported), validated
        against the model before it is kept.

        Raises
        ------
        ScenarioError, UnknownNameError, ParameterRangeError
            The text is not a valid scenario of this model.
        """
        name = name.strip() or "imported"
        if name in self.model.scenarios or name == "current":
            name = f"{name} (imported)"
        scenario = scenario_from_toml(text, name=name[:80])
        scenario.to_params(self.model)  # every name known, every value in range
        self.saved = {**self.saved, scenario.name: scenario}
        return scenario

    def saved_json(self) -> str:
        """The saved scenarios as JSON (name to TOML text), as kept in the browser."""
        return json.dumps({n: scenario_to_toml(s) for n, s in self.saved.items()})

    def restore_saved(self, text: str) -> list[str]:
        """Add the scenarios of :meth:`saved_json` text (from the browser's storage); returns
        the problems of those that could not be read (they are left out)."""
        if not text:
            return []
        try:
            entries = json.loads(text)
        except ValueError:
            return ["the saved scenarios in this browser are not readable and were ignored"]
        if not isinstance(entries, dict):
            return ["the saved scenarios in this browser are not readable and were ignored"]
        problems, saved = [], dict(self.saved)
        for name, toml in list(entries.items())[:50]:
            try:
                if not isinstance(toml, str):
                    raise SDModelsError("not a scenario file's text")
                scenario = scenario_from_toml(toml, name=str(name)[:80])
                scenario.to_params(self.model)
            except SDModelsError as exc:
                problems.append(f"{str(name)[:80]}: {exc}")
                continue
            saved[scenario.name] = scenario
        self.saved = saved
        return problems

    def available_scenarios(self) -> list[str]:
        """Names that can be compared: shipped scenarios, then saved ones, then ``current``."""
        return [*self.model.scenarios, *self.saved, "current"]

    def scenario_named(self, name: str) -> Scenario:
        """A shipped or saved scenario, or ``current``."""
        if name == "current":
            return self.current_scenario()
        if name in self.saved:
            return self.saved[name]
        scenario = self.model.scenario(name)
        if self.start_point:
            scenario = replace(scenario, parameters={**scenario.parameters,
                                                     **self.start_point})
        return scenario

    def compute_comparison(self, names: Sequence[str]) -> xr.Dataset:
        """Deterministic runs of the named scenarios, with a ``scenario`` dimension."""
        if not names:
            raise SDModelsError("choose at least one scenario to compare")
        scenarios = [replace(self.scenario_named(n), name=n) for n in names]
        ds = _shared.run_scenarios(self.model, scenarios, self.engine_name(),
                                   tuple(self.outputs))
        if "scenario" not in ds.dims:
            ds = ds.expand_dims(scenario=[scenarios[0].name])
        return ds

    def comparison_now(self) -> xr.Dataset:
        """The runs of the compared scenarios for the current settings (computed now if the
        settings changed since :attr:`comparison`)."""
        if self.comparison is None or self._stale["compare"]:
            return self.compute_comparison(list(self.compared))
        return self.comparison

    async def compare(self, names: Sequence[str]) -> None:
        """Compare the named scenarios (worker thread); errors go to :attr:`message`."""
        self.compared = list(names)
        await self.refresh_comparison()

    async def refresh_comparison(self) -> None:
        """Recompute :attr:`comparison` for :attr:`compared`."""
        names = list(self.compared)
        if not names:
            self.comparison = None
            return
        try:
            ds = await asyncio.to_thread(self.compute_comparison, names)
        except SDModelsError as exc:
            self.message = f"Cannot compare: {exc}"
            return
        if names == list(self.compared):
            self._stale["compare"] = False
            self.comparison = ds
