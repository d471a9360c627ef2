"""``sdmodels run`` end to end on the bundled NHS model, cold and warm, with a breakdown.

*Cold* is a first run on a fresh machine: an empty ``SDMODELS_CACHE_DIR`` (no PySD translation,
no kernel, no machine code). *Warm* is any later run. Each figure is a fresh process, as a user
starts it (``python -m sdmodels.cli run``, which is what the ``sdmodels`` script runs), writing the
netCDF file and the chart; wall-clock seconds are printed with the CPU seconds of the process
(other jobs on the machine change the wall clock, not the CPU time) and the load average.

A cold run whose kernel would take long to compile runs PySD and compiles the kernel in a
background process (``sdmodels.cli._background``); the benchmark waits for that compile before
the warm runs, and ``--foreground`` also measures a cold run that waits for the compile
(``SDMODELS_BACKGROUND_COMPILE=0``). The breakdown runs the same steps in one instrumented
process: imports, loading (translating) the model, generating or loading the kernel, reading the
posterior, simulating (numba's compile included when cold), writing netCDF, the summary table,
drawing and saving the chart. It also prints PySD's CPU time per run and per element-step, the
figures ``sdmodels.batch._params`` estimates PySD run times from.

Run ``python benchmarks/bench_startup.py`` (a few minutes: two cold runs, a background compile,
three warm runs); ``--repeat N`` for N warm runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "nhs_productivity.mdl"

#: The instrumented run (a child process): one line of JSON, seconds by stage (wall and CPU).
_STAGES = r"""
import json, sys, time
from pathlib import Path
t0, c0 = time.perf_counter(), time.process_time()
out = {}
def mark(name):
    global t0, c0
    t, c = time.perf_counter(), time.process_time()
    out[name] = [t - t0, c - c0]
    t0, c0 = t, c
import sdmodels.cli
from sdmodels.cli._app import load
from sdmodels.cli.history import usable_posterior
from sdmodels.plots import save_figure, scenario_lines
from sdmodels.results import summary_table, write_dataset
mark("imports")
m = load(Path(sys.argv[1]))
mark("load model (translate)")
scenarios = [m.scenario(s) for s in m.scenarios]
cm = m.compiled()
mark("generate or load kernel")
posterior = usable_posterior(m)
mark("posterior")
ds = m.run(scenarios, engine="compiled", posterior=posterior)
mark("simulate (+ numba when cold)")
folder = Path(sys.argv[2])
write_dataset(ds, folder / "stages.nc")
mark("write netCDF")
summary_table(ds, m.key_outputs, [2024.0, 2030.0, 2035.0, 2040.0])
mark("summary table")
fig = scenario_lines(ds, m.key_outputs)
mark("chart: draw")
save_figure(fig, folder / "stages.png")
mark("chart: save png")
print(json.dumps(out))
"""

#: PySD's CPU time per run (after a first run), for the engine choice's estimate.
_PYSD = r"""
import json, sys, time
import sdmodels
res = {}
for path in sys.argv[1:]:
    m = sdmodels.load_model(path)
    cm = m.compiled()
    m.run(engine="pysd")
    c = time.process_time()
    for _ in range(3):
        m.run(engine="pysd")
    per_run = (time.process_time() - c) / 3
    ctl = cm.controls
    steps = (ctl["final_time"] - ctl["initial_time"]) / ctl["time_step"]
    res[m.name] = [per_run, len(m.variables), steps, cm.estimated_jit_seconds]
print(json.dumps(res))
"""


def _cpu_of_children() -> float:
    t = os.times()
    return t.children_user + t.children_system


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SDMODELS_CACHE_DIR": str(cache), **extra}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_command(cache: Path, folder: Path, **extra: str) -> tuple[float, float, str]:
    """One ``sdmodels run`` in a fresh process: (wall s, CPU s, its output)."""
    command = [sys.executable, "-m", "sdmodels.cli", "run", str(MODEL),
               "--out", str(folder / "nhs.nc"), "--plot", str(folder / "nhs.png")]
    cpu, t = _cpu_of_children(), time.perf_counter()
    done = subprocess.run(command, env=_env(cache, **extra), capture_output=True, text=True,
                          cwd=folder, check=False)
    wall, cpu = time.perf_counter() - t, _cpu_of_children() - cpu
    if done.returncode != 0:
        raise SystemExit(f"sdmodels run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return wall, cpu, done.stdout


def stages(cache: Path, folder: Path) -> dict[str, list[float]]:
    done = subprocess.run([sys.executable, "-P", "-c", _STAGES, str(MODEL), str(folder)],
                          env=_env(cache), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"instrumented run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_for_background(cache: Path, timeout: float = 900.0) -> float:
    """Seconds until no background compile is left running (its marker's process has ended)."""
    t = time.perf_counter()
    markers = list((cache / "kernels").glob("*.compiling"))
    for marker in markers:
        pid = int(marker.read_text(encoding="ascii").strip())
        while time.perf_counter() - t < timeout:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
    return time.perf_counter() - t


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _print_stages(title: str, result: dict[str, list[float]]) -> None:
    print(f"\n{title} (one instrumented process; wall / CPU seconds)")
    for name, (wall, cpu) in result.items():
        print(f"  {name:30s} {wall:7.2f} {cpu:7.2f}")
    print(f"  {'total':30s} {sum(w for w, _ in result.values()):7.2f} "
          f"{sum(c for _, c in result.values()):7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (the best is kept)")
    parser.add_argument("--foreground", action="store_true",
                        help="also time a cold run that waits for the compile")
    args = parser.parse_args()
    print(f"sdmodels run on {MODEL.name}; {os.cpu_count()} cores, {_load()}")
    # With dask installed (the `distributed` extra), xarray imports dask.array when it first
    # builds a Dataset and dask.distributed when it first writes netCDF: about 0.5 CPU-s that
    # the quick start's install (`pip install -e .`, no dask) does not pay.
    has_dask = importlib.util.find_spec("dask") is not None
    print(f"dask {'installed: xarray imports dask.array and dask.distributed on first use' if has_dask else 'not installed (as after the quick start install)'}")
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        tmp_path = Path(tmp)
        cache = tmp_path / "cache"
        wall, cpu, output = run_command(cache, tmp_path)
        background = next((line for line in output.splitlines() if "background" in line), "")
        print(f"cold (empty cache)      {wall:6.2f} s wall {cpu:6.2f} s CPU  ({_load()})"
              + (f"\n  {background.strip()}" if background else ""))
        waited = wait_for_background(cache)
        if background:
            print(f"  background compile finished {waited:.1f} s after the run ended")
        warm = [run_command(cache, tmp_path) for _ in range(args.repeat)]
        best = min(warm)
        print(f"warm (best of {args.repeat})      {best[0]:6.2f} s wall {best[1]:6.2f} s CPU  "
              f"({_load()}; all: {', '.join(f'{w:.2f}' for w, _, _ in warm)} s)")
        if args.foreground:
            cold2 = tmp_path / "cache-foreground"
            wall, cpu, _ = run_command(cold2, tmp_path, SDMODELS_BACKGROUND_COMPILE="0")
            print(f"cold, compile waited for {wall:6.2f} s wall {cpu:6.2f} s CPU  ({_load()})")
        _print_stages("cold breakdown", stages(tmp_path / "cache-stages", tmp_path))
        _print_stages("warm breakdown", stages(tmp_path / "cache-stages", tmp_path))
        done = subprocess.run(
            [sys.executable, "-P", "-c", _PYSD, str(MODEL),
             str(ROOT / "models/tests/ishigami.mdl")],
            env=_env(cache), capture_output=True, text=True, check=False)
        if done.returncode == 0:
            print("\nPySD CPU time per run (the engine choice's estimate):")
            for name, (per_run, n, steps, jit) in json.loads(done.stdout.splitlines()[-1]).items():
                print(f"  {name:20s} {per_run:7.3f} s a run, {n} elements x {steps:g} steps: "
                      f"{per_run / (n * steps) * 1e6:8.2f} us per element-step; "
                      f"estimated compile {jit:.1f} s")
    print(f"\n{_load()} at the end")


if __name__ == "__main__":
    main()
