"""What a waiting-time term in the quality adjustment would add to the productivity index.

ONS's and York's quality adjustment of hospital output counts waiting times; the model's Quality
Index does not (docs/model/productivity-and-finance.md, "What it leaves out"). The published
formula was not found, so this measures one assumed form: the health gain of elective treatment
discounted over the change of the mean wait from 2024, exp(-r x (wait - wait in 2024)), at the
discount rates of HM Treasury's Green Book (1.5% a year for health, 3.5% standard). It prints, for
each scenario at the model file's own values, the 2040 productivity index without and with the term::

    python docs/model/tools/waiting_quality.py
"""

from __future__ import annotations

import numpy as np

import sdmodels

SCENARIOS = ("baseline", "supply_push", "agility_first", "combined", "national_levers",
             "flow_and_activation")
RATES = (0.015, 0.035)
COLUMNS = ["Productivity Index", "Current Waiting Time", "Elective Treatments",
           "Emergency Treatments"]


def with_waiting_term(ds, rate: float) -> np.ndarray:
    """The productivity index with elective output discounted over the change of the mean wait."""
    wait, elective = ds["current_waiting_time"].values, ds["elective_treatments"].values
    emergency = ds["emergency_treatments"].values
    factor = (emergency + elective * np.exp(-rate * (wait - wait[0]))) / (emergency + elective)
    return ds["productivity_index"].values * factor


def main() -> int:
    model = sdmodels.load_model()
    print("scenario | mean wait 2024 -> 2040 (years) | index 2040 | with the term at 1.5% | at 3.5%")
    for name in SCENARIOS:
        ds = model.run(name, outputs=COLUMNS)
        wait = ds["current_waiting_time"].values
        terms = " | ".join(f"{with_waiting_term(ds, r)[-1]:.3f}" for r in RATES)
        print(f"{name} | {wait[0]:.2f} -> {wait[-1]:.2f} | "
              f"{ds['productivity_index'].values[-1]:.3f} | {terms}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
