"""Helpers shared by the views: colours, number formatting, background work, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sdmodels.plots import PALETTE

__all__ = ["BASELINE_COLOUR", "CURRENT_COLOUR", "fmt", "in_thread", "message_pane"]

BASELINE_COLOUR = PALETTE[7]
CURRENT_COLOUR = PALETTE[0]


def fmt(value: float) -> str:
    """A number for a card or a table: thousands separated, three significant figures."""
    mag = abs(value)
    if mag >= 1e4:
        return f"{value:,.0f}"
    if mag >= 100:
        return f"{value:,.1f}"
    if mag >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


async def in_thread(compute: Callable[[], Any]) -> Any:
    """Run a blocking computation in a worker thread, keeping the server responsive."""
    return await asyncio.to_thread(compute)


def message_pane(store: Any) -> Any:
    """An alert that shows the store's last error, hidden when there is none."""
    import panel as pn

    alert = pn.pane.Alert(store.message, alert_type="danger", visible=bool(store.message),
                          sizing_mode="stretch_width")

    def update(event: Any) -> None:
        alert.object = event.new
        alert.visible = bool(event.new)

    store.param.watch(update, "message")
    return alert
