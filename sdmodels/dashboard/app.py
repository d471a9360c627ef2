"""Compose the dashboard: one store per browser session, views in a template."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import panel as pn

from sdmodels.dashboard.store import DashboardStore
from sdmodels.errors import SDModelsError

__all__ = ["PAGES", "create_app", "load_shared_model", "serve"]

#: Tab titles, in order.
PAGES: tuple[str, ...] = ("Scenario explorer", "Uncertainty", "Sensitivity", "Model", "Compare")

_MODELS: dict[str, Any] = {}


def load_shared_model(path: str | Path | None = None) -> Any:
    """The loaded model for ``path`` (the bundled NHS model by default), shared by sessions.

    A :class:`~sdmodels.model.Model` is never modified after loading, so every session can use
    the same one (and its compiled kernel).
    """
    from sdmodels.model import load_model

    key = str(Path(path).resolve()) if path is not None else ""
    if key not in _MODELS:
        _MODELS[key] = load_model(path)
    return _MODELS[key]


def _extension() -> None:
    pn.extension(sizing_mode="stretch_width", notifications=False,
                 design="bootstrap", throttled=False)


async def _call(hook: Any) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


def create_app(model: Any = None, *, engine: str = "auto", mc_samples: int = 500,
               sobol_samples: int = 256) -> pn.template.BaseTemplate:
    """Build the dashboard for one browser session.

    Parameters
    ----------
    model
        A :class:`~sdmodels.model.Model`, a model path, or ``None`` for the bundled NHS model.
    engine
        Engine of the session's store.
    mc_samples
        Monte Carlo samples of the Uncertainty page.
    sobol_samples
        Base sample size of the Sobol analysis.

    Returns
    -------
    panel.template.BaseTemplate
        A new template holding a new :class:`DashboardStore`: sessions never share state.
    """
    from sdmodels.dashboard import views

    _extension()
    if model is None or isinstance(model, str | Path):
        model = load_shared_model(model)
    store = DashboardStore(model, engine=engine, mc_samples=mc_samples,
                           sobol_samples=sobol_samples)
    explorer = views.explorer_page(store)
    uncertainty, unc_hooks = views.uncertainty_page(store)
    sensitivity, sens_hooks = views.sensitivity_page(store)
    model_tab = views.model_page(store)
    compare, cmp_hooks = views.compare_page(store)
    tabs = pn.Tabs(
        (PAGES[0], explorer), (PAGES[1], uncertainty), (PAGES[2], sensitivity),
        (PAGES[3], model_tab), (PAGES[4], compare),
        dynamic=False, sizing_mode="stretch_width", css_classes=["pages"],
    )
    hooks = {1: unc_hooks, 2: sens_hooks, 4: cmp_hooks}

    async def on_tab(event: Any) -> None:
        if event.old in hooks:
            await _call(hooks[event.old][1])
        if event.new in hooks:
            await _call(hooks[event.new][0])

    tabs.param.watch(on_tab, "active")
    template = pn.template.BootstrapTemplate(
        title=f"sdmodels: {model.name.replace('_', ' ')}",
        sidebar=[views.lever_panel(store)],
        main=[views.message_pane(store), tabs],
        sidebar_width=400,
        header_background="#0b3d6b",
    )
    template.store = store  # for tests and notebooks
    return template


def warm_up(model: Any, *, engine: str = "auto", mc_samples: int = 500,
            sobol_samples: int = 256) -> threading.Thread:
    """Compute what every session shares in the background: the baseline run, the baseline's
    Monte Carlo and the Sobol indices (cached per model file), so that pages open quickly."""

    def work() -> None:
        store = DashboardStore(model, engine=engine, mc_samples=mc_samples,
                               sobol_samples=sobol_samples)
        try:
            store.compute_monte_carlo()
            store.compute_sobol()
        except SDModelsError:
            pass  # e.g. no uncertainty file: the pages say so when opened

    thread = threading.Thread(target=work, name="sdmodels-dashboard-warm-up", daemon=True)
    thread.start()
    return thread


def serve(model: str | Path | None = None, *, port: int = 5006, show: bool = True,
          address: str = "localhost", engine: str = "auto", mc_samples: int = 500,
          sobol_samples: int = 256, threaded: bool = False) -> Any:
    """Serve the dashboard on ``address:port``; one store per browser session.

    Parameters
    ----------
    model
        Model file; the bundled NHS model by default.
    port
        TCP port (0 picks a free one).
    show
        Open a browser tab.
    address
        Interface to listen on (localhost only by default).
    engine, mc_samples, sobol_samples
        See :func:`create_app`.
    threaded
        Return at once, serving from a background thread (tests, notebooks).

    Returns
    -------
    The Panel server (or server thread when ``threaded``).
    """
    shared = load_shared_model(model)
    warm_up(shared, engine=engine, mc_samples=mc_samples, sobol_samples=sobol_samples)

    def session() -> pn.template.BaseTemplate:
        return create_app(shared, engine=engine, mc_samples=mc_samples,
                          sobol_samples=sobol_samples)

    return pn.serve(session, port=port, address=address, show=show,
                    threaded=threaded, title="sdmodels dashboard", websocket_origin=[
                        f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
                    start=True, verbose=False)
