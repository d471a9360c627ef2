"""Measure the stories of ``docs/model/index.md`` ("Stories under uncertainty") as shares of draws.

    python docs/model/tools/story_shares.py [N] [SEED]     # defaults: 512 draws, seed 20251

The same design as ``tests/model/test_stories.py``: N Latin-hypercube draws of every parameter in
``models/uncertainty/nhs_productivity.toml``, the same draws for every scenario, run by the compiled
batch engine, once as sampled and once with the referral elasticity at 0. "A beats B" means A's
productivity index is strictly higher than B's in that draw and year. Prints, as Markdown, the
share of draws for each reference behaviour and the baseline's 2040 productivity index
(5%, median, 95%) and the share of its draws in the capability trap's low state.
"""

from __future__ import annotations

import sys

import numpy as np

from sdmodels.model import load_model
from sdmodels.uncertainty import load_uncertainty

__all__ = ["designs", "main", "measure"]

SCENARIOS = ("baseline", "supply_push", "agility_first", "combined", "national_levers",
             "flow_and_activation")

#: (better, worse, year, label) of each reference behaviour
STORIES = (
    ("agility_first", "supply_push", 2035, "agility_first beats supply_push (2035)"),
    ("combined", "supply_push", 2040, "combined beats supply_push (2040)"),
    ("baseline", "national_levers", 2035, "national_levers below baseline (2035)"),
    ("supply_push", "baseline", 2040, "supply_push beats baseline (2040)"),
    ("flow_and_activation", "baseline", 2040, "flow_and_activation beats baseline (2040)"),
    ("agility_first", "baseline", 2040, "agility_first beats baseline (2040)"),
    ("combined", "baseline", 2040, "combined beats baseline (2040)"),
)


def designs(nhs, n: int = 512, seed: int = 20251) -> tuple:
    """The uncertainty file and its draws: ``(spec, {label: parameters})``, the same N
    Latin-hypercube draws as sampled (``"sampled"``) and with the referral elasticity at 0
    (``"elasticity 0"``), named by Python names as the design names them."""
    spec = load_uncertainty(nhs.path.parent / "uncertainty" / "nhs_productivity.toml", nhs)
    design = spec.sample(n, method="lhs", seed=seed)
    params = {str(p): design.sel(parameter=p).values for p in design.parameter.values}
    zero = {nhs.resolve("Referral Elasticity to Waiting Time"): np.zeros(n)}
    return spec, {"sampled": params, "elasticity 0": {**params, **zero}}


def measure(n: int = 512, seed: int = 20251) -> dict:
    """Productivity index per (label, scenario) over the draws, ``time`` x ``draw`` arrays."""
    nhs = load_model()
    out = {}
    for label, params in designs(nhs, n, seed)[1].items():
        for s in SCENARIOS:
            outputs = ["Productivity Index", "Waiting List"] + (
                ["Improvement Capability"] if s == "baseline" else [])
            ds = nhs.run_batch(params, scenario=s, outputs=outputs)
            out[label, s] = ds.productivity_index
            out[label, s, "list"] = ds.waiting_list
            if s == "baseline":
                out[label, "baseline capability"] = ds.improvement_capability
    return out


def _share(runs: dict, label: str, better: str, worse: str, year: int) -> float:
    a = runs[label, better].sel(time=year).values
    b = runs[label, worse].sel(time=year).values
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise SystemExit(f"non-finite productivity in {better} or {worse} at {year} ({label})")
    return float(np.mean(a > b))


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 512
    seed = int(argv[1]) if len(argv) > 1 else 20251
    runs = measure(n, seed)
    print(f"{n} draws, seed {seed}\n")
    print("| reference behaviour | as sampled | elasticity 0 |")
    print("| --- | --- | --- |")
    for better, worse, year, label in STORIES:
        print(f"| {label} | {_share(runs, 'sampled', better, worse, year):.3f} | "
              f"{_share(runs, 'elasticity 0', better, worse, year):.3f} |")
    shorter = [float(np.mean(runs[lab, "combined", "list"].sel(time=2040).values
                             < runs[lab, "supply_push", "list"].sel(time=2040).values))
               for lab in ("sampled", "elasticity 0")]
    print(f"| combined's waiting list shorter than supply_push's (2040) | {shorter[0]:.3f} | "
          f"{shorter[1]:.3f} |")
    base = runs["sampled", "baseline"].sel(time=2040).values
    q = np.quantile(base, [0.05, 0.5, 0.95])
    print(f"\nBaseline productivity index 2040: 5% {q[0]:.2f}, median {q[1]:.2f}, 95% {q[2]:.2f}")
    low = float(np.mean(runs["sampled", "baseline capability"].sel(time=2040).values < 0.05))
    print(f"Baseline draws in the low state of the capability trap (capability below 0.05 by 2040): {low:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
