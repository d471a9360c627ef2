"""Why the NHS calibration misses three of its targets (docs/calibration.md, "What fits and what not").

    python docs/calibration/misses.py [POSTERIOR.nc] [--feasibility]

For the posterior's best draw (default: the model's posterior) prints, as plain text:

* the 11 ONS productivity values of 2010-2019 against the simulation (the two series they are in);
* each calibrated parameter moved alone to its posterior 5% and 95% quantiles: the 2010-2019
  mean, FYE2019's change, the August 2020 list and the change of the log-likelihood;
* FYE2017-FYE2020 growth of output, inputs and their parts (financial-year means);
* elective treatments and referrals in January-August 2020 and calendar 2020 against 2019, and
  the waiting list at the month ends of 2020.

``--feasibility`` runs two differential evolutions
over the declared ranges (about two minutes each): the highest 2010-2019 mean, and the lowest
FYE2019 change, with nurses and all staff within 5% and the 2012-2023 list within 15%.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import differential_evolution

from sdmodels.calibration import load_calibration
from sdmodels.calibration._likelihood import Evaluator, series_log_likelihood
from sdmodels.model import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nhs_targets import LEVEL_TOLERANCES, LEVEL_YEARS, PRODUCTIVITY, PRODUCTIVITY_YEARS, SIGN_YEARS

ENGLAND, UK = PRODUCTIVITY


class History:
    """The calibration's runs for one set of files."""

    def __init__(self, spec_path: Path) -> None:
        self.spec = load_calibration(spec_path)
        self.ev = Evaluator(self.spec)
        self.labels = [s.label for s in self.spec.series]
        self.by_label = {s.label: s for s in self.spec.series}
        #: the column of FYE2019's change in the England series
        self.fye2019 = int(np.argmin(np.abs(self.by_label[ENGLAND].times - SIGN_YEARS[0][0])))

    def sims(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(self.labels, self.ev.simulate(np.atleast_2d(x)), strict=True))

    def loglik(self, sims: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each series' log-likelihood of simulations from :meth:`sims`."""
        return {s.label: series_log_likelihood(s, sims[s.label]) for s in self.spec.series}

    def _in_years(self, label: str, years: tuple[float, float]) -> np.ndarray:
        t = self.by_label[label].times
        return (t >= years[0]) & (t <= years[1])

    def mean11(self, sims: dict[str, np.ndarray]) -> np.ndarray:
        ke, ku = (self._in_years(s, PRODUCTIVITY_YEARS) for s in PRODUCTIVITY)
        return (sims[ENGLAND][:, ke].sum(1) + sims[UK][:, ku].sum(1)) / (ke.sum() + ku.sum())

    def fye2019_change(self, sims: dict[str, np.ndarray]) -> np.ndarray:
        return sims[ENGLAND][:, self.fye2019]

    def list_errors(self, sims: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        s = self.by_label["Waiting List"]
        k = self._in_years("Waiting List", LEVEL_YEARS)
        return s.times[k], sims["Waiting List"][:, k] / s.values[k] - 1

    def trajectories(self, x: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
        cols = [self.spec.model.resolve(n) for n in names]
        out = self.ev.trajectories(np.atleast_2d(x), cols)
        return {n: out[c][0] for n, c in zip(names, cols, strict=True)}


def _month_end(m: int) -> str:
    """The month ending at 2020 + m / 12, as MM/YYYY (m = 0 is the end of December 2019)."""
    return "12/2019" if m == 0 else f"{m:02d}/2020"


def _mean(t: np.ndarray, y: np.ndarray, a: float, b: float) -> float:
    k = (t >= a - 1e-9) & (t <= b + 1e-9)
    return float(np.trapezoid(y[k], t[k]) / (b - a))


def productivity(h: History, x: np.ndarray) -> None:
    sims = h.sims(x)
    print("ONS productivity growth 2010-2019, observed / simulated (% a year):")
    for label in (UK, ENGLAND):
        s = h.by_label[label]
        keep = h._in_years(label, PRODUCTIVITY_YEARS)
        print(f"  {label}: " + ", ".join(f"{t:.2f} {100 * o:+.1f} / {100 * m:+.2f}" for t, o, m in
                                           zip(s.times[keep], s.values[keep], sims[label][0][keep],
                                               strict=True)))
    print(f"  mean of the 11: {100 * float(h.mean11(sims)[0]):+.2f}%/yr (observed +1.17)")


def sensitivity(h: History, x: np.ndarray, draws: np.ndarray) -> None:
    names = list(h.spec.parameter_names)
    lo, hi = np.quantile(draws, 0.05, axis=0), np.quantile(draws, 0.95, axis=0)
    rows = [x]
    for j in range(len(names)):
        for v in (lo[j], hi[j]):
            y = x.copy()
            y[j] = v
            rows.append(y)
    pop = np.array(rows)
    sims = h.sims(pop)
    total = sum(h.loglik(sims).values())
    mean = h.mean11(sims)
    times, err = h.list_errors(sims)
    aug = int(np.argmin(np.abs(times - 2020.6)))
    print(f"\nOne parameter at a time to its posterior 5% / 95% quantile (best draw: mean "
          f"{100 * mean[0]:+.2f}%/yr, FYE2019 {100 * h.fye2019_change(sims)[0]:+.2f}%, list "
          f"{times[aug]:.2f} {100 * err[0, aug]:+.1f}%, log-likelihood {total[0]:.1f}):")
    for j, name in enumerate(names):
        for k, q in ((1 + 2 * j, "5%"), (2 + 2 * j, "95%")):
            print(f"  {name} {q} = {pop[k, j]:.4g}: mean {100 * mean[k]:+.2f}, FYE2019 "
                  f"{100 * h.fye2019_change(sims)[k]:+.2f}, list {100 * err[k, aug]:+.1f}%, "
                  f"log-likelihood {total[k] - total[0]:+.1f}")


def inputs_and_output(h: History, x: np.ndarray) -> None:
    names = ["Quality Adjusted Output", "Input Index", "Labour Input", "Non Pay Spend",
             "Contract Income", "Total Staff"]
    tr = h.trajectories(x, names)
    t = h.ev.saved_times
    print("\nFinancial-year growth (means over April-March), best draw:")
    for fy in (2017, 2018, 2019, 2020):
        parts = []
        for n in names:
            now = _mean(t, tr[n], fy - 0.75, fy + 0.25)
            before = _mean(t, tr[n], fy - 1.75, fy - 0.75)
            parts.append(f"{n} {100 * (now / before - 1):+.2f}%")
        print(f"  FYE{fy}: " + ", ".join(parts))


def pandemic(h: History, x: np.ndarray) -> None:
    tr = h.trajectories(x, ["Elective Treatments", "Elective Referrals", "Waiting List"])
    t = h.ev.saved_times
    print("\n2020 against 2019 (observed: completed pathways -32% and new pathways -34% in "
          "January-August, Health Foundation; completions -25% and new pathways -30% in the "
          "calendar year, Health Foundation, NHS Confederation):")
    for n in ("Elective Treatments", "Elective Referrals"):
        ja = _mean(t, tr[n], 2020.0, 2020 + 8 / 12) / _mean(t, tr[n], 2019.0, 2019 + 8 / 12) - 1
        cy = _mean(t, tr[n], 2020.0, 2021.0) / _mean(t, tr[n], 2019.0, 2020.0) - 1
        print(f"  {n}: January-August {100 * ja:+.1f}%, calendar year {100 * cy:+.1f}%")
    print("  Waiting List at month ends (million): " + ", ".join(
        f"{_month_end(m)} {np.interp(2020 + m / 12, t, tr['Waiting List']) / 1e6:.2f}"
        for m in (0, 2, 4, 6, 8, 10, 12)))
    times, err = h.list_errors(h.sims(x))
    print("  list against the data, 2012-2023: " + ", ".join(
        f"{tt:.2f} {100 * e:+.1f}%" for tt, e in zip(times, err[0], strict=True)))


def feasibility(h: History, goal: str) -> None:
    def penalty(sims: dict[str, np.ndarray]) -> np.ndarray:
        pen = np.zeros(next(iter(sims.values())).shape[0])
        for label, tol in LEVEL_TOLERANCES:
            s, k = h.by_label[label], h._in_years(label, LEVEL_YEARS)
            pen += np.clip(np.abs(sims[label][:, k] / s.values[k] - 1) - tol, 0, None).sum(1)
        return pen

    def f(unit: np.ndarray) -> np.ndarray:
        sims = h.sims(h.spec.transform(unit.T))
        v = (-h.mean11(sims) if goal == "mean" else h.fye2019_change(sims)) + penalty(sims)
        return np.where(np.isfinite(v), v, 1e9)

    r = differential_evolution(f, [(0, 1)] * h.spec.ndim, vectorized=True, popsize=6,
                               maxiter=80, seed=2, polish=False, tol=1e-7)
    x = h.spec.transform(r.x[None])[0]
    sims = h.sims(x)
    ll = h.loglik(sims)
    print(f"\n{'Highest 2010-2019 mean' if goal == 'mean' else 'Lowest FYE2019 change'} with "
          f"nurses and all staff within 5% and the list within 15% (penalty "
          f"{float(penalty(sims)[0]):.4f}): mean {100 * float(h.mean11(sims)[0]):+.2f}%/yr, "
          f"FYE2019 {100 * float(h.fye2019_change(sims)[0]):+.2f}%, log-likelihood "
          f"{float(sum(ll.values())[0]):.1f}")
    print("  by series: " + ", ".join(f"{k} {float(v[0]):.1f}" for k, v in ll.items()))
    print("  parameters: " + ", ".join(f"{n} {v:.4g}" for n, v in
                                        zip(h.spec.parameter_names, x, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("posterior", nargs="?")
    parser.add_argument("--feasibility", action="store_true")
    args = parser.parse_args()
    model = load_model()
    post = xr.load_dataset(args.posterior or model.metadata.posterior)
    x = np.asarray(post["best"].values, dtype=float)
    draws = np.asarray(post["posterior"].transpose("draw", "parameter").values, dtype=float)
    spec_path = Path(model.metadata.calibration)
    h = History(spec_path)
    print(f"best draw: log-likelihood {float(sum(h.loglik(h.sims(x)).values())[0]):.2f}\n")
    productivity(h, x)
    sensitivity(h, x, draws)
    inputs_and_output(h, x)
    pandemic(h, x)
    if args.feasibility:
        feasibility(h, "mean")
        feasibility(h, "fye2019")


if __name__ == "__main__":
    main()
