"""Compose the dashboard: one store per browser session, views in a template."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import panel as pn
from bokeh.settings import settings as bokeh_settings

from sdmodels.dashboard import _shared, views
from sdmodels.dashboard.store import PAGES, DashboardStore
from sdmodels.errors import SDModelsError
from sdmodels.model import Model, load_model

__all__ = ["PAGES", "create_app", "load_shared_model", "serve"]

@_shared.shared(max_items=4)
def _shared_model(key: str) -> Any:
    return load_model(key or None)


def load_shared_model(path: str | Path | None = None) -> Any:
    """The loaded model for ``path`` (the bundled NHS model by default), shared by sessions.

    A :class:`~sdmodels.model.Model` is never modified after loading, so every session can use
    the same one (and its compiled kernel). At most four model files are kept (least recently
    used dropped), in the same bounded :func:`panel.cache` as the other shared results.
    """
    return _shared_model(str(Path(path).resolve()) if path is not None else "")


def _extension() -> None:
    pn.extension(sizing_mode="stretch_width", notifications=False, design="bootstrap",
                 throttled=False)


def create_app(model: Any = None, *, engine: str = "auto", mc_samples: int = 500,
               sobol_samples: int = 256) -> pn.template.BaseTemplate:
    """Build the dashboard for one browser session.

    Parameters
    ----------
    model
        A :class:`~sdmodels.dashboard.store.DashboardStore`, a
        :class:`~sdmodels.model.Model`, a model path, or ``None`` for the bundled NHS model.
    engine
        Engine of the session's store.
    mc_samples
        Monte Carlo samples of the Uncertainty page.
    sobol_samples
        Base sample size of the Sobol analysis.

    Returns
    -------
    panel.template.BaseTemplate
        A template around a :class:`DashboardStore` (a new one unless given): sessions never
        share state. The settings follow the page's URL (``?settings=...``), so a link opens
        the same settings.
    """
    _extension()
    if isinstance(model, DashboardStore):
        store = model
    else:
        if not isinstance(model, Model):
            model = load_shared_model(model)
        store = DashboardStore(model, engine=engine, mc_samples=mc_samples,
                               sobol_samples=sobol_samples)
    template = pn.template.BootstrapTemplate(
        title=f"sdmodels: {store.model.name.replace('_', ' ')}",
        sidebar=[views.sidebar(store)], main=[store], sidebar_width=330,
        header_background="#0b3d6b", busy_indicator=None,
    )
    _follow_url(store)
    return template


def _follow_url(store: DashboardStore) -> None:
    """Keep the store's settings in the URL and open the settings of a shared link."""
    location = pn.state.location
    if location is None:
        return

    location.sync(store, {"link": "settings"})


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
        try:  # last: the explorer's runs come first
            _shared.loop_checks(model)
        except SDModelsError:
            pass  # a bad [[loops]] declaration: the Model page says so

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
    # stylesheets of objects made after the page loaded come from this server too: the
    # dashboard never reaches for a CDN (it runs without a network)
    bokeh_settings.resources.set_value("server")
    shared = load_shared_model(model)
    # the model reference that every diagram element links to (model-docs/<sector>.html#name)
    static = {"model-docs": str(_shared.reference_folder(shared))}
    warm_up(shared, engine=engine, mc_samples=mc_samples, sobol_samples=sobol_samples)

    def session() -> pn.template.BaseTemplate:
        return create_app(shared, engine=engine, mc_samples=mc_samples,
                          sobol_samples=sobol_samples)

    return pn.serve(session, port=port, address=address, show=show,
                    threaded=threaded, title="sdmodels dashboard", static_dirs=static,
                    websocket_origin=[
                        f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
                    start=True, verbose=False)
