"""Cold compile time and peak memory of the compiled engine against model size.

Each model is compiled in a fresh Python process with an empty kernel cache (generation, numba
type inference and LLVM), so the figure is what a user waits for the first time. The models are
the NHS productivity model and generated ones:

* ``scalar N``: N scalar variables (stocks with a flow and three auxiliaries each);
* ``delayn R``: one R-element subscript range with a DELAY N of order 8 per element;
* ``2-D A x B``: A x B cells of subscripted auxiliaries and stocks.

Run ``python benchmarks/bench_compile.py`` for the issue's sizes (slow: minutes for the largest),
``--quick`` for a scaling series of small sizes, ``--timeout S`` to stop a compile after S seconds,
``--only TEXT`` for the models whose name contains TEXT, and ``--phases`` to print where each cold
compile spends its time (imports, PySD's translation, sdmodels' code generation, numba's type
inference, lowering and LLVM, cache writing), measured in a second cold compile.
Wall-clock figures are printed with the CPU time of the compiling process and the machine's load
average, since other jobs change the wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTROLS = """
INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 10 ~ Month ~ |
TIME STEP = 0.25 ~ Month [0,?] ~ |
SAVEPER = 1 ~ Month [0,?] ~ |
"""


def scalar_model(n: int) -> str:
    """About ``n`` scalar variables: groups of a stock, its flow and three auxiliaries."""
    lines = ["{UTF-8}"]
    for g in range(max(1, n // 5)):
        prev = f"level {g - 1}" if g else "1"
        lines += [
            f"rate {g} = 0.01 * (1 + {g % 7}) ~ 1/Month [0,1] ~ Rate of group {g}. |",
            f"pressure {g} = {prev} / (1 + level {g}) ~ dmnl ~ |",
            f"effect {g} = MIN(2, MAX(0, 1 + 0.1 * (pressure {g} - 1))) ~ dmnl ~ |",
            f"flow {g} = rate {g} * effect {g} * (10 - level {g}) ~ widgets/Month ~ |",
            f"level {g} = INTEG(flow {g}, 1) ~ widgets ~ |",
        ]
    return "\n".join(lines) + CONTROLS


def delayn_model(r: int) -> str:
    """One ``r``-element range with an order-8 DELAY N per element."""
    elements = ", ".join(f"e{k}" for k in range(r))
    return "{UTF-8}\n" + textwrap.dedent(f"""\
        cohort: {elements} ~ ~ |
        intake[cohort] = 10 ~ people/Month [0,20] ~ Intake by cohort. |
        delay time = 2 ~ Month [1,4] ~ |
        graduates[cohort] = DELAY N(intake[cohort], delay time, intake[cohort], 8) ~ people/Month ~ |
        trained[cohort] = INTEG(graduates[cohort] - trained[cohort] / 20, 0) ~ people ~ |
        total trained = SUM(trained[cohort!]) ~ people ~ |
        """) + CONTROLS


def grid_model(a: int, b: int) -> str:
    """``a x b`` cells of two-dimensional auxiliaries and stocks."""
    rows = ", ".join(f"r{k}" for k in range(a))
    cols = ", ".join(f"c{k}" for k in range(b))
    return "{UTF-8}\n" + textwrap.dedent(f"""\
        row: {rows} ~ ~ |
        col: {cols} ~ ~ |
        base[row, col] = 1 ~ widgets [0,2] ~ Starting level of every cell. |
        growth = 0.02 ~ 1/Month [0,0.1] ~ |
        inflow[row, col] = growth * stock[row, col] * (2 - stock[row, col] / (1 + base[row, col])) ~ widgets/Month ~ |
        stock[row, col] = INTEG(inflow[row, col], base[row, col]) ~ widgets ~ |
        row total[row] = SUM(stock[row, col!]) ~ widgets ~ |
        """) + CONTROLS


_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from sdmodels.compiler import compile_model
cm = compile_model(sys.argv[1], cache=False)
cm.run({}, 2)
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "cpu": time.process_time(), "peak_mib": peak,
                  "columns": len(cm.outputs), "statements": cm._meta.get("jit_statements"),
                  "functions": cm._meta.get("jit_functions")}))
"""


#: The same cold compile step by step, with numba's own events (``numba.core.event``): the
#: exclusive time of each compiler pass (a callee's passes are not counted in its caller's) and
#: the time spent inside LLVM (``numba:llvm_lock``, held around every call into LLVM).
_PHASES_CHILD = """
import collections, json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import sdmodels.compiler as sc
from sdmodels._common import gc_paused
from sdmodels.compiler import _builder, _cache, _kernel, _translate
phases = {"import sdmodels.compiler": time.perf_counter() - t0}
path = Path(sys.argv[1])
with gc_paused():  # as compile_model does
    t = time.perf_counter()
    abstract = _translate.translate_file(path)
    phases["PySD translation (parse)"] = time.perf_counter() - t
    t = time.perf_counter()
    info = _translate.collect(abstract, ())
    info.file = str(path)
    plan = _builder.ModelBuilder(info, frozenset()).build()
    phases["sdmodels: elements and plan"] = time.perf_counter() - t
    t = time.perf_counter()
    source = _kernel.generate_source(plan, display_name=path.name, key="0" * 64)
    phases["sdmodels: kernel source"] = time.perf_counter() - t
module = _cache.module_path("1" * 64, _cache.cache_dir())
_cache.write_module(module, source)
t = time.perf_counter()
import numba
from numba.core import caching, event
phases["import numba"] = time.perf_counter() - t
saving = [0.0]
save_overload = caching.Cache.save_overload
def timed_save(self, sig, data):
    start = time.perf_counter()
    save_overload(self, sig, data)
    saving[0] += time.perf_counter() - start
caching.Cache.save_overload = timed_save
class Passes(event.Listener):
    def __init__(self):
        self.stack, self.seconds = [], collections.Counter()
    def on_start(self, ev):
        self.stack.append([ev.data["name"].split(" [")[0], time.perf_counter(), 0.0])
    def on_end(self, ev):
        name, start, inner = self.stack.pop()
        took = time.perf_counter() - start
        self.seconds[name] += took - inner
        if self.stack:
            self.stack[-1][2] += took
passes, llvm = Passes(), [0.0]
cm = sc.CompiledModel(lambda: _cache.import_module(module), metadata=sc.kernel_metadata(source),
                      module_path=module, origin=path, cache_hit=False, build_seconds=0.0,
                      recompile=sc.compile_model, source=source)
t = time.perf_counter()
with event.install_listener("numba:run_pass", passes), \
        event.install_timer("numba:llvm_lock", lambda s: llvm.__setitem__(0, llvm[0] + s)):
    cm.run({}, 2)
total = time.perf_counter() - t
typing = passes.seconds.pop("nopython_type_inference", 0.0)
lowering = passes.seconds.pop("native_lowering", 0.0)
phases["numba: type inference"] = typing
phases["numba: lowering (Python side)"] = lowering - llvm[0]
phases["numba: LLVM (optimisation, machine code)"] = llvm[0]
phases["numba: other passes"] = sum(passes.seconds.values())
phases["numba: cache writing"] = saving[0]
phases["rest of the first run"] = total - typing - lowering - sum(passes.seconds.values()) - saving[0]
print(json.dumps(phases))
"""


def measure(path: Path, timeout: float, child: str = _CHILD) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as cache:
        env["SDMODELS_CACHE_DIR"] = cache  # empty cache: a cold compile
        env["NUMBA_CACHE_DIR"] = cache
        try:
            done = subprocess.run([sys.executable, "-P", "-c", child, str(path)], env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"seconds": None, "note": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": None, "note": last[:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (scaling series)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per model")
    parser.add_argument("--only", metavar="TEXT", help="only the models whose name contains TEXT")
    parser.add_argument("--phases", action="store_true",
                        help="also where each cold compile spends its time, phase by phase "
                             "(a second cold compile of each model)")
    args = parser.parse_args()
    if args.quick:
        cases = [("scalar 100", scalar_model(100)), ("scalar 200", scalar_model(200)),
                 ("scalar 400", scalar_model(400)), ("delayn 25", delayn_model(25)),
                 ("delayn 50", delayn_model(50)), ("2-D 10 x 10", grid_model(10, 10)),
                 ("2-D 20 x 10", grid_model(20, 10))]
        nhs = False
    else:
        cases = [("scalar 5000", scalar_model(5000)), ("delayn 400", delayn_model(400)),
                 ("2-D 40 x 25 (1,000 cells)", grid_model(40, 25)),
                 ("2-D 100 x 100 (10,000 cells)", grid_model(100, 100))]
        nhs = True
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}; {os.cpu_count()} cores")
    print(f"{'model':32s} {'statements':>10s} {'cold compile':>14s} {'CPU time':>10s} "
          f"{'peak memory':>12s}")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        if nhs:
            paths.append(("NHS productivity model", ROOT / "models" / "nhs_productivity.mdl"))
        for name, text in cases:
            path = Path(folder) / (name.split(" (")[0].replace(" ", "_") + ".mdl")
            path.write_text(text, encoding="utf-8")
            paths.append((name, path))
        if args.only:
            paths = [(name, path) for name, path in paths if args.only.lower() in name.lower()]
        for name, path in paths:
            t0 = time.perf_counter()
            result = measure(path, args.timeout)
            if result.get("seconds") is None:
                print(f"{name:32s} {'-':>10s} {'-':>14s} {'-':>10s} {'-':>12s}  {result['note']}"
                      f" ({time.perf_counter() - t0:.0f} s)")
            else:
                print(f"{name:32s} {result['statements']:>10,} {result['seconds']:13.1f}s "
                      f"{result['cpu']:9.1f}s "
                      f"{result['peak_mib']:10.0f} MiB  (load {os.getloadavg()[0]:.1f})", flush=True)
            if args.phases:
                phases = measure(path, args.timeout, _PHASES_CHILD)
                if phases.get("seconds", 0) is None:
                    print(f"    phases: {phases['note']}")
                    continue
                for phase, seconds in phases.items():
                    print(f"    {phase:44s} {seconds:7.2f} s")
                print(f"    {'total':44s} {sum(phases.values()):7.2f} s  "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
