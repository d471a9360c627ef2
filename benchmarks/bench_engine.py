"""Speed and memory of the compiled batch engine against PySD, measured in one run.

Prints, for the NHS productivity model and a small model:

* PySD runs per second (a loop of ``model.run(params=...)`` with random draws),
* compiled runs per second (one batch of 10,000 samples with random draws),
* their ratio,
* cold compile time (fresh process, empty kernel cache: translate, generate, jit)
  and cached start-up time (fresh process, warm cache: import, load, first run),
* for the NHS model, the peak resident memory of 1,000,000 samples keeping 5
  outputs at annual resolution (chunked), in a separate process;
* element-steps per CPU-second (cells x integration steps x samples) of the NHS model, of a
  lookup-heavy model (``models/tests/fifty_lookups.mdl``, 50 lookup tables) and of the same
  model with each lookup replaced by arithmetic, so lookups can be compared with plain
  arithmetic per element-step (``--element-steps-only`` prints only these).

Usage::

    python benchmarks/bench_engine.py                  # everything (several minutes)
    python benchmarks/bench_engine.py --pysd-runs 2 --memory-samples 200000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numba
import numpy as np
import pysd

import sdmodels
from sdmodels.compiler import compile_model, time_grid
from sdmodels.compiler._translate import collect, translate_file

ROOT = Path(__file__).resolve().parents[1]
NHS_MODEL = ROOT / "models" / "nhs_productivity.mdl"
LOOKUP_MODEL = ROOT / "models" / "tests" / "fifty_lookups.mdl"

SMALL_MODEL = """{UTF-8}
Population = INTEG(births - deaths, initial population) ~ people ~|
initial population = 1000 ~ people [500, 1500] ~|
births = Population * birth rate * crowding effect(Population / capacity) ~ people/Year ~|
birth rate = 0.04 ~ 1/Year [0.02, 0.06] ~|
crowding effect([(0,0)-(2,1)], (0, 1), (0.5, 0.9), (1, 0.6), (1.5, 0.2), (2, 0)) ~ dmnl ~|
capacity = 5000 ~ people [3000, 8000] ~|
deaths = Population / lifetime ~ people/Year ~|
lifetime = 60 ~ Year [40, 80] ~|
perceived births = SMOOTH(births, smoothing time) ~ people/Year ~|
smoothing time = 3 ~ Year [1, 5] ~|
delayed deaths = DELAY3(deaths, 5) ~ people/Year ~|
FINAL TIME = 100 ~ Year ~|
INITIAL TIME = 0 ~ Year ~|
SAVEPER = 1 ~ Year ~|
TIME STEP = 0.125 ~ Year ~|
"""

# Run in a fresh interpreter: time to a compiled, runnable kernel.
_STARTUP = r"""
import json, sys, time
t0 = time.perf_counter()
from sdmodels.compiler import compile_model
t1 = time.perf_counter()
cm = compile_model(sys.argv[1])
t2 = time.perf_counter()
cm.warm_up()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "compile_model": t2 - t1, "first_run": t3 - t2,
                  "total": t3 - t0, "cache_hit": cm.cache_hit}))
"""

# Run in a fresh interpreter: 1e6 samples, 5 outputs at annual resolution, chunked.
# Model.run_batch is used when it accepts the SAVEPER override (checked on 2 samples);
# otherwise the kernel is called chunk by chunk, as the engine layer does.
_MEMORY = r"""
import json, resource, sys, time
import numba
import numpy as np
import pysd

import sdmodels
from sdmodels.compiler import compile_model
from sdmodels.compiler._translate import collect, translate_file
from sdmodels.compiler import compile_model
path, n, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ranges = json.loads(sys.argv[4])
outputs = json.loads(sys.argv[5])
cm = compile_model(path)
rng = np.random.default_rng(0)
draws = {py: rng.uniform(lo, hi, n) for py, (lo, hi) in ranges.items()}
controls = {"saveper": 1.0}
times = cm.saved_times(**controls)
how = "Model.run_batch"
try:
    import sdmodels
    model = sdmodels.load_model(path)
    probe = model.run_batch({**{k: v[:2] for k, v in draws.items()}, **controls},
                            return_columns=outputs)
    if probe.sizes["time"] != len(times):
        raise ValueError("run_batch ignored the SAVEPER override")
    del probe
except Exception as exc:
    how = f"CompiledModel.run in chunks (run_batch: {type(exc).__name__}: {exc})"[:200]
t0 = time.perf_counter()
if how == "Model.run_batch":
    ds = model.run_batch({**draws, **controls}, return_columns=outputs, chunk_size=chunk)
    kept = sum(ds[py].nbytes for py in outputs)
else:
    result = {py: np.empty((n, len(times))) for py in outputs}
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        part = cm.run({**{k: v[lo:hi] for k, v in draws.items()}, **controls}, hi - lo,
                      return_columns=outputs)
        for py in outputs:
            result[py][lo:hi] = part[py]
    kept = sum(a.nbytes for a in result.values())
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": peak, "how": how, "n_times": len(times),
                  "kept_bytes": kept}))
"""


def _fresh_process(code: str, *args: str, env: dict[str, str]) -> dict:
    # the child imports the sdmodels this script imported (-P: not whichever one the working
    # directory happens to hold)
    package = str(Path(sdmodels.__file__).resolve().parents[1])
    env = {**env, "PYTHONPATH": os.pathsep.join([package, *filter(None, [env.get("PYTHONPATH")])])}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-P", "-c", code, *args], capture_output=True, text=True, env=env,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall"] = wall
    return result


def _ranges(path: Path) -> dict[str, tuple[float, float]]:
    """Scalar parameters with a declared range (controls excluded)."""
    info = collect(translate_file(path))
    out = {}
    for py, el in info.elements.items():
        lo, hi = el.limits
        if el.kind == "constant" and not el.dims and lo is not None and hi is not None and hi > lo:
            out[py] = (float(lo), float(hi))
    return out


def _pysd_runs_per_second(path: Path, draws: list[dict], outputs: list[str]) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pysd.read_vensim(str(path)) if path.suffix == ".mdl" else pysd.read_xmile(str(path))
        model.run(params=draws[0], return_columns=outputs)  # first run: caches warm
        t0, c0 = time.perf_counter(), time.process_time()
        for p in draws[1:]:
            model.run(params=p, return_columns=outputs)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    runs = len(draws) - 1
    return runs / elapsed, runs / cpu


def bench_model(label: str, path: Path, args: argparse.Namespace, cache: Path) -> dict:
    print(f"\n== {label}: {path.name}", flush=True)
    env = dict(os.environ, SDMODELS_CACHE_DIR=str(cache))
    cold = _fresh_process(_STARTUP, str(path), env=env)
    warm = _fresh_process(_STARTUP, str(path), env=env)
    print(f"cold compile (fresh process, empty cache): {cold['total']:.2f} s "
          f"(translate+generate {cold['compile_model']:.2f} s, jit {cold['first_run']:.2f} s); "
          f"process {cold['process_wall']:.2f} s")
    print(f"cached start (fresh process, warm cache):  {warm['total']:.2f} s "
          f"(import {warm['import']:.2f} s, load {warm['compile_model']:.2f} s, "
          f"first run {warm['first_run']:.2f} s); process {warm['process_wall']:.2f} s; "
          f"cache hit: {warm['cache_hit']}")

    os.environ["SDMODELS_CACHE_DIR"] = str(cache)
    cm = compile_model(path)
    cm.warm_up()
    ranges = _ranges(path)
    outputs = [py for py in cm.outputs if py not in cm.controls][: args.outputs]
    if label == "NHS":
        keys = [k for k in sdmodels.load_model(path).key_outputs if k in cm.outputs]
        outputs = (keys + [o for o in outputs if o not in keys])[: args.outputs]
    rng = np.random.default_rng(42)
    n = args.batch
    batch = {py: rng.uniform(lo, hi, n) for py, (lo, hi) in ranges.items()}
    t0, c0 = time.perf_counter(), time.process_time()
    cm.run(batch, n, return_columns=outputs)
    compiled_seconds, compiled_cpu = time.perf_counter() - t0, time.process_time() - c0
    compiled_rps = n / compiled_seconds

    draws = [{py: float(v[i]) for py, v in batch.items()} for i in range(args.pysd_runs + 1)]
    pysd_rps, pysd_cpu_rps = _pysd_runs_per_second(path, draws, outputs)
    ratio = compiled_rps / pysd_rps
    # per CPU-second of this process (all threads): insensitive to other load on the machine
    cpu_ratio = (n / compiled_cpu) / pysd_cpu_rps
    print(f"parameters varied: {len(ranges)}; outputs kept: {len(outputs)}; "
          f"saved times: {len(cm.time)}")
    threads = numba.get_num_threads()
    print(f"PySD:     {pysd_rps:12.3f} runs/s  ({1 / pysd_rps:.3f} s a run, {args.pysd_runs} runs; "
          f"{pysd_cpu_rps:.3f} runs per CPU-second)")
    print(f"compiled: {compiled_rps:12.1f} runs/s  (batch of {n}: {compiled_seconds:.3f} s; "
          f"{n / compiled_cpu:.1f} runs per CPU-second)")
    print(f"ratio compiled/PySD: {ratio:,.0f}x wall clock; {cpu_ratio:,.0f}x per CPU-second "
          f"(x {threads} threads = {cpu_ratio * threads:,.0f}x on an otherwise idle machine)",
          flush=True)
    result = {
        "model": path.name, "pysd_runs_per_s": pysd_rps, "compiled_runs_per_s": compiled_rps,
        "ratio": ratio, "ratio_per_cpu_second": cpu_ratio,
        "cold_compile_s": cold["total"], "cached_start_s": warm["total"],
    }
    if label == "NHS" and args.memory_samples:
        mem = _fresh_process(
            _MEMORY, str(path), str(args.memory_samples), str(args.chunk),
            json.dumps(dict(list(ranges.items())[: args.memory_params])),
            json.dumps(outputs[:5]), env=env,
        )
        gib = mem["peak_rss"] / 2**30
        print(f"{args.memory_samples:,} samples varying {min(len(ranges), args.memory_params)} "
              f"parameters, {len(outputs[:5])} outputs at annual resolution "
              f"({mem['n_times']} times), chunks of {args.chunk:,} via {mem['how']}: "
              f"{mem['seconds']:.1f} s, peak RSS {gib:.2f} GiB "
              f"(of which the kept outputs {mem['kept_bytes'] / 2**30:.2f} GiB)", flush=True)
        result["memory_peak_gib"] = gib
    return result


def lookup_free(text: str) -> str:
    """The lookup model with each ``effect table k(x)`` call replaced by arithmetic of ``x``."""
    return re.sub(r"effect table (\d+)\(ratio (\d+)\)",
                  r"MIN(1.3, 0.4 + 0.6 * ratio \2)", text)


def element_steps(label: str, path: Path, n: int) -> dict:
    """Cells x integration steps x samples per CPU-second of one batch of ``n`` default runs."""
    cm = compile_model(path)
    cm.warm_up()
    cells = sum(int(np.prod([len(c) for _, c in cm.dims.get(py, ())], dtype=int))
                for py in cm.outputs if py not in cm.controls)
    steps = len(time_grid(**cm.controls)[0]) - 1
    keep = [py for py in cm.outputs if py not in cm.controls][:5]
    best = None
    for _ in range(3):
        c0 = time.process_time()
        cm.run({}, n, return_columns=keep)
        cpu = time.process_time() - c0
        best = cpu if best is None else min(best, cpu)
    rate = cells * steps * n / best
    print(f"{label:34s} {cells:6d} cells x {steps:5d} steps: {rate / 1e6:9.1f} M element-steps "
          f"per CPU-second ({n / best:,.0f} runs per CPU-second)", flush=True)
    return {"model": label, "cells": cells, "steps": steps, "element_steps_per_cpu_s": rate}


def bench_element_steps(args: argparse.Namespace, tmp: Path) -> list[dict]:
    print(f"\n== element-steps (load average {os.getloadavg()[0]:.2f})", flush=True)
    os.environ["SDMODELS_CACHE_DIR"] = str(tmp / "cache")
    free = tmp / "fifty_lookups_as_arithmetic.mdl"
    free.write_text(lookup_free(LOOKUP_MODEL.read_text(encoding="utf-8")), encoding="utf-8")
    rows = []
    if args.model.is_file():
        rows.append(element_steps("NHS", args.model, args.batch))
    rows.append(element_steps("50 lookups", LOOKUP_MODEL, args.batch))
    rows.append(element_steps("50 lookups replaced by arithmetic", free, args.batch))
    ratio = rows[-1]["element_steps_per_cpu_s"] / rows[-2]["element_steps_per_cpu_s"]
    print(f"lookup-free / lookup-heavy per element-step: {ratio:.2f}x", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--batch", type=int, default=10_000, help="compiled batch size")
    parser.add_argument("--pysd-runs", type=int, default=3, help="timed PySD runs per model")
    parser.add_argument("--outputs", type=int, default=5, help="outputs kept per run")
    parser.add_argument("--memory-samples", type=int, default=1_000_000,
                        help="samples of the memory test (0 to skip)")
    parser.add_argument("--chunk", type=int, default=50_000, help="chunk size of the memory test")
    parser.add_argument("--memory-params", type=int, default=10,
                        help="parameters varied in the memory test (inputs take memory too)")
    parser.add_argument("--model", type=Path, default=NHS_MODEL, help="the large model")
    parser.add_argument("--element-steps-only", action="store_true",
                        help="only the element-steps comparison of lookups")
    args = parser.parse_args()
    if args.element_steps_only:
        with tempfile.TemporaryDirectory(prefix="sdmodels_bench_") as tmp:
            print(json.dumps(bench_element_steps(args, Path(tmp)), indent=1))
        return
    print(f"machine: {os.cpu_count()} CPUs, numba {numba.__version__} "
          f"({numba.config.NUMBA_NUM_THREADS} threads)")
    results = []
    with tempfile.TemporaryDirectory(prefix="sdmodels_bench_") as tmp:
        small = Path(tmp) / "small_population.mdl"
        small.write_text(SMALL_MODEL)
        if args.model.is_file():
            results.append(bench_model("NHS", args.model, args, Path(tmp) / "cache"))
        else:
            print(f"\n(no {args.model}; skipping the large model)")
        results.append(bench_model("small", small, args, Path(tmp) / "cache"))
        results += bench_element_steps(args, Path(tmp))
    print("\n" + json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
