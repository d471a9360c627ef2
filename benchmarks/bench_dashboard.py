"""Responsiveness of the dashboard's data store after a lever moves.

Drives :class:`sdmodels.dashboard.DashboardStore` as the dashboard does and prints:

* the time from a lever change to recomputed deterministic outputs and KPI cards
  (median of ``--repeats`` changes; target 150 ms);
* the time of a Monte Carlo of the current settings with ``--samples`` samples against the
  (cached) baseline (median of ``--mc-repeats``; target 1 s).

Usage::

    python benchmarks/bench_dashboard.py [MODEL] [--repeats 20] [--samples 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

DETERMINISTIC_TARGET = 0.150
MONTE_CARLO_TARGET = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=None,
                        help="model file (default: the bundled NHS productivity model)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--mc-repeats", type=int, default=5)
    parser.add_argument("--engine", default="auto", choices=["auto", "compiled", "pysd"])
    args = parser.parse_args()

    import sdmodels
    from sdmodels.dashboard import DashboardStore

    model = sdmodels.load_model(args.model)
    t0 = time.perf_counter()
    store = DashboardStore(model, engine=args.engine, mc_samples=args.samples)
    setup = time.perf_counter() - t0
    print(f"model {model.path.name}, engine {store.engine_name()}, {os.cpu_count()} CPUs, "
          f"{len(store.levers)} levers; store set up (incl. compile/cache load) in {setup:.2f} s")
    if not store.levers:
        raise SystemExit("the model has no levers to move")

    # warm-up: first runs compile or load kernels
    lever = store.levers[0]
    store.set_lever(lever.py_name, value=lever.min + 0.5 * (lever.max - lever.min))
    store.run_monte_carlo()
    if store.message:
        raise SystemExit(store.message)

    times = []
    for i in range(args.repeats):
        lv = store.levers[i % len(store.levers)]
        share = 0.2 + 0.6 * ((i * 7) % 10) / 10
        value = lv.min + share * (lv.max - lv.min)
        if value == store.values[lv.py_name]:
            value = lv.min + (share / 2) * (lv.max - lv.min)
        t = time.perf_counter()
        store.set_lever(lv.py_name, value=value)
        store.kpis()
        times.append(time.perf_counter() - t)
    det = statistics.median(times)

    mc_times = []
    for i in range(args.mc_repeats):
        lv = store.levers[(i + 1) % len(store.levers)]
        store.set_lever(lv.py_name, value=lv.min + (0.3 + 0.1 * i) * (lv.max - lv.min))
        t = time.perf_counter()
        store.run_monte_carlo()
        mc_times.append(time.perf_counter() - t)
    mc = statistics.median(mc_times)

    print(f"{'measure':<44}{'median':>10}{'target':>10}{'ratio':>8}")
    print(f"{'lever -> deterministic outputs + KPIs':<44}{det * 1000:>8.1f}ms"
          f"{DETERMINISTIC_TARGET * 1000:>8.0f}ms{det / DETERMINISTIC_TARGET:>8.2f}")
    print(f"{f'lever -> Monte Carlo, {args.samples} samples':<44}{mc:>9.3f}s"
          f"{MONTE_CARLO_TARGET:>9.1f}s{mc / MONTE_CARLO_TARGET:>8.2f}")
    print(f"deterministic min/max: {min(times) * 1000:.1f}/{max(times) * 1000:.1f} ms; "
          f"Monte Carlo min/max: {min(mc_times):.3f}/{max(mc_times):.3f} s")


if __name__ == "__main__":
    main()
