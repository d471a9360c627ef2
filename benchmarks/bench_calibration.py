"""Speed of calibration on the NHS history (2010-2024), measured in one run.

Prints:

* an MCMC fit (emcee, 64 walkers x 2,000 steps by default: 128,000 model runs) of the
  parameters (and any estimated error scales) of ``models/calibration/nhs_history.toml``,
  widened to 20 parameters (``--parameters``): the shipped calibration fits 15, and the
  benchmark adds, in order, the parameters that file names as left at the model's values, each
  with a uniform prior over the range the model declares, as the file's own priors are (the
  first line printed lists them),
* a differential-evolution fit of the same calibration,
* the time the same number of runs would take with PySD, estimated from a few timed PySD runs
  of the same history scenario, and the ratios.

The compiled kernel is warmed up (compiled or loaded from the cache) before timing. Timings
on a shared machine are noisy: the load average is printed beside them.

Usage::

    python benchmarks/bench_calibration.py                      # the full benchmark
    python benchmarks/bench_calibration.py --steps 200 --pysd-runs 1
    python benchmarks/bench_calibration.py --out post.nc        # keep the MCMC posterior
    python benchmarks/bench_calibration.py --parameters 0       # the shipped calibration as it is
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from sdmodels._toml import parse_toml
from sdmodels.calibration import (
    CalibrationError,
    CalibrationWarning,
    Evaluator,
    calibrate,
    calibration_from_dict,
    run_optimize,
)

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "models" / "calibration" / "nhs_history.toml"
# The parameters the shipped calibration file names as left at the model's values (weakly
# identified by the history series), in the order the benchmark adds them.
EXTRA = (
    "Morale Adjustment Time", "Long Wait Removal Rate", "Firefighting Sensitivity",
    "Capability Erosion Time", "Quality Trend", "Morale Productivity Elasticity",
)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _spec(parameters: int):
    """The shipped calibration, with priors added until it calibrates ``parameters`` of the model."""
    text = SPEC.read_text(encoding="utf-8")
    raw = parse_toml(text, SPEC, CalibrationError)
    spec = calibration_from_dict(raw, base=SPEC.parent, path=SPEC, text=text)
    missing = parameters - spec.n_model
    if missing <= 0:
        return spec, ()
    fitted = set(spec.parameter_names)
    added = [name for name in EXTRA if name not in fitted][:missing]
    if len(added) < missing:
        raise SystemExit(f"--parameters {parameters}: the benchmark can add {len(added)} parameters to "
                         f"the file's {spec.n_model}; give at most {spec.n_model + len(added)}")
    model = spec.model
    for name in added:
        info = model.variables[model.resolve_parameter(name)]
        if info.min is None or info.max is None:
            raise SystemExit(f"{name!r} declares no closed range in the model file; cannot add it")
        raw["parameters"][name] = {"dist": "uniform", "min": info.min, "max": info.max}
    return calibration_from_dict(raw, model=model, base=SPEC.parent, path=SPEC, text=text), added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--walkers", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--thin", type=int, default=10, help="thinning of the stored posterior")
    parser.add_argument("--popsize", type=int, default=8, help="DE population per dimension")
    parser.add_argument("--maxiter", type=int, default=150, help="DE generations at most")
    parser.add_argument("--pysd-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parameters", type=int, default=20,
                        help="calibrate this many model parameters (0: the file's own)")
    parser.add_argument("--out", type=Path, default=None, help="write the MCMC result here")
    args = parser.parse_args()

    spec, added = _spec(args.parameters)
    print(f"calibration: {SPEC.relative_to(ROOT)}: {spec.n_model} parameters, "
          f"{len(spec.estimated_scales)} estimated scales, {len(spec.series)} series, "
          f"{spec.start:g}-{spec.end:g}")
    if added:
        print(f"  the file's {spec.n_model - len(added)} parameters and, over their declared ranges: "
              + ", ".join(added))
    ev = Evaluator(spec)
    rng = np.random.default_rng(0)
    warm = spec.transform(rng.random((32, spec.ndim)))
    start = time.perf_counter()
    ev.log_likelihood(warm[:8])
    ev.log_likelihood(warm)
    print(f"warm-up (compile or cache load): {time.perf_counter() - start:.1f} s")

    # ------------------------------------------------------------------ MCMC
    runs = args.walkers * args.steps
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        post = calibrate(spec, method="mcmc", seed=args.seed, walkers=args.walkers,
                         steps=args.steps, thin=args.thin, out=args.out)
    mcmc_s = time.perf_counter() - start
    mcmc_runs = int(post.attrs["model_runs"])  # proposals outside the priors are never run
    print(f"MCMC: {args.walkers} walkers x {args.steps} steps ({runs:,} proposals; "
          f"{int(post.attrs['model_runs']):,} of them inside the priors' support and run) in "
          f"{mcmc_s:.1f} s, including the start-up optimisation and the posterior bands  "
          f"[load average {_load()}]")
    print(f"  acceptance {float(post.attrs['acceptance_fraction']):.2f}; "
          f"max R-hat {float(post['r_hat'].max()):.3f}; min ESS {float(post['ess_bulk'].min()):.0f}; "
          f"max autocorrelation time {float(post['autocorr_time'].max()):.1f} steps")
    for w in caught:
        print(f"  warning: {w.message}")

    # ------------------------------------------------------------------ DE
    start = time.perf_counter()
    fit = run_optimize(spec, seed=args.seed, popsize=args.popsize, maxiter=args.maxiter)
    de_s = time.perf_counter() - start
    print(f"DE: popsize {args.popsize} x {spec.ndim} dims, at most {args.maxiter} generations "
          f"({fit.settings['generations']} run), {fit.runs:,} model runs in {de_s:.1f} s  "
          f"[load average {_load()}]; {fit.message}")

    # ------------------------------------------------------------------ PySD
    if args.pysd_runs > 0:
        model = spec.model
        base = model.scenario(spec.scenario).to_params(model)
        params = {**base, **{i.py_name: i.series() for i in spec.inputs}}
        times = []
        for k in range(args.pysd_runs):
            x = spec.transform(rng.random((1, spec.ndim)))[0]
            p = dict(params)
            p.update({q.py_name: float(x[j]) for j, q in enumerate(spec.priors.parameters)})
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.run(params=p, engine="pysd",
                          return_columns=[s.py_name for s in spec.series],
                          allow_out_of_range=True)
            times.append(time.perf_counter() - start)
            print(f"PySD run {k + 1}: {times[-1]:.2f} s")
        per = float(np.median(times))
        print(f"PySD: {per:.2f} s a run (median of {len(times)})  [load average {_load()}]")
        print(f"  the MCMC's {mcmc_runs:,} runs with PySD: about {per * mcmc_runs / 3600:.1f} h; "
              f"ratio {per * mcmc_runs / mcmc_s:,.0f}x")
        print(f"  {runs:,} runs (every proposal run) with PySD: about {per * runs / 3600:.1f} h; "
              f"compiled, at this run's pace: about {mcmc_s * runs / max(mcmc_runs, 1):.0f} s")
        print(f"  the DE's {fit.runs:,} runs with PySD: about {per * fit.runs / 3600:.1f} h; "
              f"ratio {per * fit.runs / de_s:,.0f}x")


if __name__ == "__main__":
    main()
