"""The sdmodels dashboard: a Panel app for planners (``sdmodels dashboard``).

A :class:`~sdmodels.dashboard.store.DashboardStore` per browser session owns the state and the
compute; :mod:`sdmodels.dashboard.views` only draw; :func:`create_app` composes them.
"""

from __future__ import annotations

from sdmodels.dashboard.app import PAGES, create_app, load_shared_model, serve
from sdmodels.dashboard.diagram import sector_structure, sector_svg
from sdmodels.dashboard.levers import LeverSpec, find_levers
from sdmodels.dashboard.store import DashboardStore

__all__ = [
    "PAGES",
    "DashboardStore",
    "LeverSpec",
    "create_app",
    "find_levers",
    "load_shared_model",
    "sector_structure",
    "sector_svg",
    "serve",
]
