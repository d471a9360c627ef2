"""Helpers shared by the views: colours and the error message."""

from __future__ import annotations

from typing import Any

from sdmodels.dashboard._text import esc, fmt
from sdmodels.plots import PALETTE

__all__ = ["BASELINE_COLOUR", "CURRENT_COLOUR", "esc", "fmt", "message_pane"]

BASELINE_COLOUR = PALETTE[7]
CURRENT_COLOUR = PALETTE[0]


def message_pane(store: Any) -> Any:
    """An alert that shows the store's last error (escaped), hidden when there is none."""
    import panel as pn

    alert = pn.pane.HTML(esc(store.message), visible=bool(store.message),
                         sizing_mode="stretch_width", css_classes=["message"],
                         styles={"background": "#f8d7da", "color": "#58151c",
                                 "padding": "6px 12px", "border-radius": "4px"})

    def update(event: Any) -> None:
        alert.object = esc(event.new)
        alert.visible = bool(event.new)

    store.param.watch(update, "message")
    return alert
