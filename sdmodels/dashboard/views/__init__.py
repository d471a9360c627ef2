"""Views of the dashboard: each takes a :class:`~sdmodels.dashboard.store.DashboardStore` and
only draws what it holds; :func:`dashboard_layout` puts the pages in tabs, each page built and
rendered only when first opened."""

from __future__ import annotations

from typing import Any

import panel as pn

from sdmodels.dashboard._constants import PAGES
from sdmodels.dashboard.views._common import accessible_names, message_pane, release_follower
from sdmodels.dashboard.views.compare import ComparePage, saved_in_browser
from sdmodels.dashboard.views.explorer import ExplorerPage, LeverPanel, StartPointForm
from sdmodels.dashboard.views.model_page import ModelPage
from sdmodels.dashboard.views.sensitivity import SensitivityPage
from sdmodels.dashboard.views.uncertainty import UncertaintyPage

__all__ = [
    "PAGE_VIEWS",
    "ComparePage",
    "ExplorerPage",
    "LeverPanel",
    "ModelPage",
    "SensitivityPage",
    "StartPointForm",
    "UncertaintyPage",
    "dashboard_layout",
    "message_pane",
    "sidebar",
]

#: The view class of each page, by tab title.
PAGE_VIEWS: dict[str, type] = {
    "Scenario explorer": ExplorerPage, "Uncertainty": UncertaintyPage,
    "Sensitivity": SensitivityPage, "Model": ModelPage, "Compare": ComparePage,
}


def sidebar(store: Any) -> pn.Column:
    """The sidebar: levers, then the starting point form."""
    return pn.Column(LeverPanel(store=store), StartPointForm(store=store),
                     sizing_mode="stretch_width")


def dashboard_layout(store: Any) -> pn.Column:
    """The error message, the pages as tabs (built and rendered on first opening) and the
    browser storage of saved scenarios."""
    # pages start empty and are built when first opened (a hidden page costs nothing); Tabs'
    # own ``dynamic`` rendering is not used: it loses the server's resource paths on updates
    holders = [pn.Column(sizing_mode="stretch_width", css_classes=[f"page-{i}"])
               for i in range(len(PAGES))]
    holders[0].objects = [ExplorerPage(store=store)]
    tabs = pn.Tabs(*zip(PAGES, holders, strict=True), dynamic=False,
                   sizing_mode="stretch_width", css_classes=["pages"])

    async def on_tab(event: Any) -> None:
        holder = holders[event.new]
        if not holder.objects:
            holder.objects = [PAGE_VIEWS[PAGES[event.new]](store=store)]
        await store.show_page(PAGES[event.new])

    tabs.param.watch(on_tab, "active")
    return pn.Column(message_pane(store), tabs, saved_in_browser(store), accessible_names(),
                     release_follower(), sizing_mode="stretch_width")
