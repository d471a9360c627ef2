"""Prior against posterior scenario fans of the NHS model, 2024-2040 (docs/calibration.md).

    python docs/calibration/fans.py [--n 500] [--seed 7]

Runs the same Monte Carlo twice with the same seed: the uncertainty file alone (``--prior``) and
the model's posterior with the uncertainty file's other parameters (the default of
``sdmodels mc``). Writes ``fan_productivity_prior.png`` and ``fan_productivity_posterior.png``
beside this script and prints the 2040 quantiles as a Markdown table.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from sdmodels.model import load_model
from sdmodels.montecarlo import run_mc
from sdmodels.plots import fan_chart, save_figure
from sdmodels.uncertainty import load_uncertainty

HERE = Path(__file__).resolve().parent
SCENARIOS = ["baseline", "supply_push", "combined"]
OUTPUTS = {"productivity_index": "Productivity Index", "waiting_list": "Waiting List (m)",
           "staff_morale": "Staff Morale"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = load_model()
    spec = load_uncertainty(model.path.parent / "uncertainty" / f"{model.name}.toml", model)
    runs = {}
    for label, posterior in (("prior", None), ("posterior", "default")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = run_mc(model, spec, n=args.n, scenarios=SCENARIOS, seed=args.seed,
                        outputs=list(OUTPUTS), posterior=posterior)
        runs[label] = ds
        save_figure(fan_chart(ds, "productivity_index"), HERE / f"fan_productivity_{label}.png")
    print("| scenario | output | prior 5% / median / 95% | posterior 5% / median / 95% |")
    print("| --- | --- | --- | --- |")
    for py, label in OUTPUTS.items():
        for scenario in SCENARIOS:
            cells = []
            for kind in ("prior", "posterior"):
                x = runs[kind][py].sel(scenario=scenario).sel(time=2040, method="nearest")
                q = x.quantile([0.05, 0.5, 0.95], dim="sample").values
                q = q / 1e6 if py == "waiting_list" else q
                fmt = "{:.1f}" if py == "waiting_list" else "{:.3f}"
                cells.append(" / ".join(fmt.format(v) for v in q))
            print(f"| {scenario} | {label} | {cells[0]} | {cells[1]} |")
    for kind, ds in runs.items():
        base = ds["productivity_index"].sel(time=2040, method="nearest")
        share = float((base.sel(scenario="combined") > base.sel(scenario="supply_push")).mean())
        print(f"{kind}: combined beats supply_push in {100 * share:.1f}% of draws")


if __name__ == "__main__":
    main()
