"""The NHS calibration's targets (issue 12, item 7), measured on a history result.

    python docs/calibration/nhs_targets.py [POSTERIOR.nc]     # default: the model's posterior

Prints, as Markdown, for the posterior's best draw and for the model's own values:

* ONS productivity growth 2010-2019 averaged (every observation of the two ONS series whose year
  of growth ends by March 2020), simulated against observed, target within 0.3 pp a year;
* the signs of the FYE2019 and FYE2020 changes (observed falls of 0.4% and 1.9%);
* nurses and all staff (FTE) and the RTT waiting list in every observed year 2012-2023, with the
  relative error, targets within 5% and 15%.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sdmodels.calibration import load_calibration, run_history
from sdmodels.model import load_model

PRODUCTIVITY = ("Productivity Index (growth_rate)", "Productivity growth, UK calendar years")
#: The years of the productivity mean (growth ending by March 2020) and of the level targets.
PRODUCTIVITY_YEARS, LEVEL_YEARS = (2010.0, 2019.8), (2012.0, 2023.99)
#: The financial years whose productivity change must have the observed sign (times of the series).
SIGN_YEARS = ((2018.75, "FYE2019"), (2019.75, "FYE2020"))
#: The series held within a relative error in every observed year of LEVEL_YEARS.
LEVEL_TOLERANCES = (("Nurses", 0.05), ("Total Staff", 0.05), ("Waiting List", 0.15))


def _rows(ds, series: str, lo: float, hi: float) -> list[tuple[float, float, float]]:
    obs = ds["observed"].sel(series=series).values
    sim = ds["simulated"].sel(series=series).values
    t = ds["time"].values
    keep = ~np.isnan(obs) & (t >= lo) & (t <= hi)
    return list(zip(t[keep], obs[keep], sim[keep], strict=True))


def targets(ds) -> list[str]:
    """Markdown lines of the target table for one history result."""
    lines = ["| target | observed | simulated | met |", "| --- | --- | --- | --- |"]
    pairs = [r for s in PRODUCTIVITY for r in _rows(ds, s, *PRODUCTIVITY_YEARS)]
    o = float(np.mean([p[1] for p in pairs]))
    m = float(np.mean([p[2] for p in pairs]))
    lines.append(f"| productivity growth 2010-2019, mean of {len(pairs)} ONS values | "
                 f"{100 * o:+.2f}%/yr | {100 * m:+.2f}%/yr | "
                 f"{'yes' if abs(m - o) <= 0.003 else 'no'} ({100 * (m - o):+.2f} pp) |")
    for t, label in SIGN_YEARS:
        (_, obs, sim), = _rows(ds, PRODUCTIVITY[0], t - 0.01, t + 0.01)
        lines.append(f"| {label} productivity change (sign) | {100 * obs:+.1f}% | {100 * sim:+.2f}% "
                     f"| {'yes' if np.sign(sim) == np.sign(obs) else 'no'} |")
    for series, tol in LEVEL_TOLERANCES:
        for t, obs, sim in _rows(ds, series, *LEVEL_YEARS):
            err = sim / obs - 1
            lines.append(f"| {series} {t:.2f} within {100 * tol:.0f}% | {obs:,.0f} | {sim:,.0f} | "
                         f"{'yes' if abs(err) <= tol else 'no'} ({100 * err:+.1f}%) |")
    return lines


def main(argv: list[str]) -> None:
    model = load_model()
    spec = load_calibration(model.metadata.calibration)
    posterior = Path(argv[0]) if argv else model.metadata.posterior
    for title, post in (("posterior (best draw)", posterior), ("model's own values", None)):
        ds = run_history(spec, posterior=post)
        print(f"\n### {title}\n")
        print("\n".join(targets(ds)))


if __name__ == "__main__":
    main(sys.argv[1:])
