"""Names and defaults shared by the dashboard's store and views."""

from __future__ import annotations

__all__ = ["FAN_QUANTILES", "KPI_YEARS", "PAGES", "START_POINT"]

#: Tab titles, in order.
PAGES: tuple[str, ...] = ("Scenario explorer", "Uncertainty", "Sensitivity", "Model", "Compare")

#: Years at which the productivity index and the funding gap are shown as KPI cards by default.
KPI_YEARS: tuple[float, ...] = (2030.0, 2035.0, 2040.0)

#: Monte Carlo quantiles drawn as fans: 5/25/50/75/95 %.
FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Starting values a planner can set ("Your starting point"), by Vensim name, as groups.
START_POINT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Staff (FTE)", ("Initial Nurses", "Initial Resident Doctors", "Initial Consultants",
                     "Initial AHPs", "Initial Support Staff")),
    ("Beds and waiting list", ("Initial Acute Beds", "Initial Waiting List")),
    ("Demand", ("Initial Elective Referrals", "Initial Emergency Admissions")),
    ("Finance", ("Initial Provider Financial Balance", "Real Funding Growth")),
)
