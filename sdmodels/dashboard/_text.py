"""Wording shared by the store and the views: units as a reader sees them."""

from __future__ import annotations

__all__ = ["units_label"]


def units_label(units: str | None) -> str:
    """Units for an axis or a label, Vensim's ``dmnl`` spelled out.

    Examples
    --------
    >>> units_label("Dmnl"), units_label(""), units_label("people/Year")
    ('dimensionless', 'dimensionless', 'people/Year')
    """
    if not units or units.strip().lower() in ("dmnl", "dimensionless", "1"):
        return "dimensionless"
    return units
