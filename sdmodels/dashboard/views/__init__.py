"""Views of the dashboard: each takes a :class:`~sdmodels.dashboard.store.DashboardStore` and draws."""

from __future__ import annotations

from sdmodels.dashboard.views._common import message_pane
from sdmodels.dashboard.views.compare import compare_page
from sdmodels.dashboard.views.explorer import explorer_page, lever_panel
from sdmodels.dashboard.views.model_page import model_page
from sdmodels.dashboard.views.sensitivity import sensitivity_page
from sdmodels.dashboard.views.uncertainty import uncertainty_page

__all__ = [
    "compare_page",
    "explorer_page",
    "lever_panel",
    "message_pane",
    "model_page",
    "sensitivity_page",
    "uncertainty_page",
]
