"""The NHS calibration's tables for docs/calibration.md, from a posterior file.

    python docs/calibration/report.py [POSTERIOR.nc]     # default: the model's posterior

Prints the run's settings and convergence, the parameter table (median, 90% interval, R-hat, bulk
and tail ESS, autocorrelation time), Sterman's fit statistics per series (best draw) and the
issue's targets (docs/calibration/nhs_targets.py), as Markdown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nhs_targets import targets

from sdmodels.calibration import load_calibration, run_history
from sdmodels.model import load_model
from sdmodels.posterior import StalePosteriorError, check_model


def _fresh(ds: xr.Dataset, model: object) -> bool:
    """Whether the posterior still belongs to the model (its recorded fingerprint)."""
    try:
        check_model(ds, model)
    except StalePosteriorError:
        return False
    return True


def main(argv: list[str]) -> None:
    model = load_model()
    path = Path(argv[0]) if argv else model.metadata.posterior
    ds = xr.load_dataset(path)
    settings = json.loads(ds.attrs["settings"]) if ds.attrs["settings"].startswith("{") \
        else ds.attrs["settings"]
    print(f"settings: {settings}; seed {ds.attrs['seed']}; {int(ds.attrs['model_runs']):,} runs; "
          f"acceptance {float(ds.attrs['acceptance_fraction']):.2f}; {ds.sizes['draw']:,} draws; "
          f"fresh: {_fresh(ds, model)}")
    print(f"message: {ds.attrs['message']}\n")
    print("| parameter | median | 5% | 95% | R-hat | bulk ESS | tail ESS | autocorrelation (steps) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for p in ds["parameter"].values:
        x = ds["posterior"].sel(parameter=p).values
        print(f"| {p} | {np.median(x):.4g} | {np.quantile(x, 0.05):.4g} | "
              f"{np.quantile(x, 0.95):.4g} | {float(ds['r_hat'].sel(parameter=p)):.3f} | "
              f"{float(ds['ess_bulk'].sel(parameter=p)):.0f} | "
              f"{float(ds['ess_tail'].sel(parameter=p)):.0f} | "
              f"{float(ds['autocorr_time'].sel(parameter=p)):.0f} |")
    print("\n| series | n | R² | MAPE | Theil U | U^M | U^S | U^C |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in ds["fit_statistics"].to_pandas().iterrows():
        mape = "-" if not np.isfinite(r.mape) else f"{100 * r.mape:.1f}%"
        print(f"| {name} | {r.n:.0f} | {r.r2:.2f} | {mape} | {r.theil_u:.3f} | {r.um:.2f} | "
              f"{r.us:.2f} | {r.uc:.2f} |")
    spec = load_calibration(model.metadata.calibration)
    for title, post in (("posterior (best draw)", path), ("model's own values", None)):
        print(f"\n#### Targets, {title}\n")
        print("\n".join(targets(run_history(spec, posterior=post))))


if __name__ == "__main__":
    main(sys.argv[1:])
