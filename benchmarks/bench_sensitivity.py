"""Sobol analysis of the NHS model end to end, and what a PySD run loop would need for it.

The default uncertainty file holds every behavioural parameter of the model; the benchmark analyses
its first ``--parameters`` (20 by default, the ones the file lists first as mattering most): with
second-order indices and N = 1024 the Saltelli design has N (2d + 2) = 43,008 runs. The script
times :func:`sdmodels.sensitivity.sobol` (design, compiled-engine runs and time-resolved analysis
of the key outputs at every saved year, S1, ST and S2 with bootstrap intervals) stage by stage,
wall and CPU seconds: the design, the runs (the compiled kernel's calls and the batch core around
them), the indices and the rest; then writing the result as ``sdmodels sobol`` does. It then runs
the first ``--pysd-runs`` rows of the same design with PySD and extrapolates to the whole design.

Usage::

    python benchmarks/bench_sensitivity.py                 # N = 1024, S2, 100 PySD runs
    python benchmarks/bench_sensitivity.py --n 512 --pysd-runs 20 --no-second-order
    python benchmarks/bench_sensitivity.py --parameters 0   # every parameter of the file

Prints the stages, runs per second, an estimate for an idle machine (from CPU seconds, which do
not depend on other processes), the extrapolated PySD time and the ratios. Timings exclude loading
the model and compiling or loading the serial and parallel kernels (a changed model compiles
afresh), which are reported on their own line.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numba

import sdmodels
from sdmodels import sensitivity
from sdmodels.compiler.runtime import CompiledModel
from sdmodels.results import write_dataset
from sdmodels.sensitivity import sobol
from sdmodels.uncertainty import load_uncertainty

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "models" / "uncertainty" / "nhs_productivity.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024, help="Sobol base sample size")
    parser.add_argument("--pysd-runs", type=int, default=100, help="PySD runs to time")
    parser.add_argument("--no-second-order", action="store_true", help="S1 and ST only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--parameters",
        type=int,
        default=20,
        help="analyse the file's first K parameters (0: all of them)",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    model = sdmodels.load_model()
    spec = load_uncertainty(SPEC, model)
    if args.parameters:
        spec = spec.select(args.parameters)
    model.compiled().warm_up(parallel=True)  # the parallel kernel, compiled or loaded
    setup = time.perf_counter() - t0

    # Time the stages of sobol() by wrapping the functions it calls: the design, the runs (of
    # which the compiled kernel's calls, the rest being the batch core: plan, chunks, Dataset),
    # the indices; then writing the result as the CLI does.
    stages = {
        name: {"seconds": 0.0, "cpu": 0.0}
        for name in ("sobol_design", "run_design", "sobol_dataset", "kernel")
    }
    patched = [(sensitivity, name) for name in ("sobol_design", "run_design", "sobol_dataset")]
    patched.append((CompiledModel, "run"))
    originals = {name: getattr(owner, name) for owner, name in patched}

    def timed(name: str, fn):
        stage = stages["kernel" if name == "run" else name]

        def call(*a: object, **kw: object) -> object:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                stage["seconds"] += time.perf_counter() - start
                stage["cpu"] += time.process_time() - cpu

        return call

    for owner, name in patched:
        setattr(owner, name, timed(name, originals[name]))
    second = not args.no_second_order
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        si = sobol(model, spec, n=args.n, second_order=second, seed=args.seed)
    finally:
        for owner, name in patched:
            setattr(owner, name, originals[name])
    total, cpu_total = time.perf_counter() - start, time.process_time() - cpu_start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_dataset(si, Path(folder) / "sobol.nc")
        written = time.perf_counter() - start
    simulated, kernel = stages["run_design"], stages["kernel"]
    runs = si.attrs["n_runs"]
    sim = simulated["seconds"]
    rest = total - sim
    other = rest - stages["sobol_design"]["seconds"] - stages["sobol_dataset"]["seconds"]

    design = si["design"].values[: args.pysd_runs]
    params = {p: design[:, j] for j, p in enumerate(si["parameter"].values)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySD's pandas deprecation warnings
        model.run(engine="pysd", return_columns=model.key_outputs)  # load PySD outside timing
        start = time.perf_counter()
        model.run_batch(params, engine="pysd", outputs=model.key_outputs)
        pysd = time.perf_counter() - start
    per_run = pysd / len(design)
    pysd_total = per_run * runs

    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    threads = numba.get_num_threads()
    # CPU seconds do not depend on other processes sharing the machine: on an idle machine the
    # parallel simulation takes about its CPU time over the threads, the rest runs on one core.
    idle = simulated["cpu"] / min(threads, cores) + (cpu_total - simulated["cpu"])
    print(
        f"NHS model, {len(spec)} parameters, N = {args.n}, "
        f"{'S1, ST and S2' if second else 'S1 and ST'}: {runs:,} runs; "
        f"{si.sizes['output']} outputs x {si.sizes['time']} years analysed"
    )
    print(f"machine: {cores} cores, {threads} numba threads, load average {load:.1f} at the end")
    design_t, indices_t = stages["sobol_design"], stages["sobol_dataset"]
    core = {"seconds": sim - kernel["seconds"], "cpu": simulated["cpu"] - kernel["cpu"]}
    rest_t = {
        "seconds": other,
        "cpu": cpu_total - simulated["cpu"] - design_t["cpu"] - indices_t["cpu"],
    }
    rows = [
        ("setup: model, uncertainty file, kernels (not counted)", {"seconds": setup, "cpu": None}),
        ("end to end: sobol()", {"seconds": total, "cpu": cpu_total}),
        ("  design: Saltelli rows, inverse CDFs", design_t),
        (f"  runs ({runs / sim:,.0f} runs/s)", simulated),
        (f"    compiled kernel ({1e6 * kernel['cpu'] / runs:.0f} CPU-us a run)", kernel),
        ("    batch core: plan, chunks, Dataset", core),
        (f"  indices: S1, ST{', S2' if second else ''}, bootstrap", indices_t),
        ("  the rest: checks, attrs", rest_t),
        ("writing the result as the CLI does (not counted)", {"seconds": written, "cpu": None}),
    ]
    print(f"{'stage':<56} {'wall s':>8} {'CPU s':>8}")
    for label, t in rows:
        cpu = "" if t["cpu"] is None else f"{t['cpu']:8.2f}"
        print(f"{label:<56} {t['seconds']:8.2f} {cpu:>8}")
    print(
        f"CPU time: simulation {simulated['cpu']:.2f} s, total {cpu_total:.2f} s; on an idle "
        f"machine end to end would take about {idle:.1f} s"
    )
    print(
        f"PySD: {len(design)} runs in {pysd:.2f} s ({per_run * 1000:.0f} ms a run); "
        f"the whole design would take {pysd_total:,.0f} s ({pysd_total / 3600:.1f} h)"
    )
    print(f"ratio PySD loop / sdmodels end to end       : {pysd_total / total:8.0f}x")
    print(f"ratio PySD loop / compiled simulation       : {pysd_total / sim:8.0f}x")
    print(
        f"target: under 8 s end to end on a 2-core machine -> measured {total:.1f} s "
        f"({'met' if total < 8 else 'not met'}), idle estimate {idle:.1f} s "
        f"({'met' if idle < 8 else 'not met'})"
    )


if __name__ == "__main__":
    main()
