"""Monte Carlo of the NHS model, locally and on a LocalCluster: throughput and driver memory.

Each mode runs in a fresh process, so that its peak resident memory (RSS) is its own:

* ``memory``  the engine's in-memory ``Model.run_batch`` (the whole result in RAM);
* ``stream``  ``sdmodels.batch.run_batch(out=...zarr)`` in this process, chunk by chunk;
* ``cluster`` the same on a ``local:W`` cluster of W worker processes (started before timing; a
  warm-up batch loads the kernel on every worker);
* ``mc-stream`` a whole Monte Carlo, ``sdmodels.run_mc(out=...zarr)``, over several scenarios
  (common random numbers): per-scenario stores, block-wise quantiles and probabilities, the
  combined store; in this process;
* ``mc-cluster`` the same on a ``local:W`` cluster.

Usage::

    python benchmarks/bench_distributed.py                     # 1,000,000 samples, all modes
    python benchmarks/bench_distributed.py --n 100000 --modes stream,cluster
    python benchmarks/bench_distributed.py --modes mc-stream --scenarios baseline,combined

Prints samples (runs) per second, the driver's peak RSS and its growth over the RSS before the
run, and the ratios between modes. The Monte Carlo modes keep the key outputs on whole years.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

import sdmodels
from sdmodels import batch as sdd
from sdmodels.distributed import connect
from sdmodels.uncertainty import UncertaintySpec, load_uncertainty

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "models" / "uncertainty" / "nhs_productivity.toml"


class PeakRSS:
    """Sample this process's RSS every 50 ms in a thread; keep the peak."""

    def __init__(self) -> None:
        import psutil  # noqa: PLC0415 - optional dependency

        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def _spec(model, n_params: int):
    """The model's uncertainty file if there is one, else uniform draws over declared ranges."""
    if SPEC.is_file():
        return load_uncertainty(SPEC, model)
    tables = {}
    for info in model.parameters.values():
        if info.subscripts or info.min is None or info.max is None or info.min >= info.max:
            continue
        tables[info.name] = {"dist": "uniform", "min": info.min, "max": info.max}
        if len(tables) == n_params:
            break
    return UncertaintySpec.from_dict({"parameters": tables}, model)


def _run_mc(model, spec, n: int, scenarios: list[str], outputs: list[str], chunk: int | None,
            out: Path, client=None):

    years = [float(y) for y in range(2024, 2041)]
    return sdmodels.run_mc(model, spec, n=n, scenarios=scenarios, seed=20261123, outputs=outputs,
                           years=years, chunk_size=chunk, scheduler=client, out=out)


def child(mode: str, n: int, workers: int, chunk: int | None, n_params: int,
          scenarios: list[str]) -> dict:
    """Run one mode in this process and return its figures."""
    import psutil  # noqa: PLC0415 - optional dependency


    model = sdmodels.load_model()
    spec = _spec(model, n_params)
    design = spec.sample(n, method="lhs", seed=20261123)
    params = {str(p): design.sel(parameter=p).values for p in design["parameter"].values}
    outputs = list(model.key_outputs)
    model.compiled().run({}, 1, return_columns=outputs)  # load the kernel before timing
    figures = {"mode": mode, "n": n, "params": len(params), "outputs": len(outputs)}
    out = Path(tempfile.mkdtemp(prefix="sdmodels-bench-")) / "mc.zarr"
    runs = n * (len(scenarios) if mode.startswith("mc-") else 1)
    if mode.startswith("mc-"):
        figures["scenarios"] = scenarios
    try:
        if mode in ("cluster", "mc-cluster"):
            with connect(f"local:{workers}") as client:
                warm = {k: v[:workers * 4] for k, v in params.items()}
                sdd.run_batch(model, warm, scheduler=client, outputs=outputs,
                              chunk_size=4)
                before = psutil.Process().memory_info().rss
                with PeakRSS() as rss:
                    t0 = time.perf_counter()
                    if mode == "mc-cluster":
                        ds = _run_mc(model, spec, n, scenarios, outputs, chunk, out, client)
                    else:
                        ds = sdd.run_batch(model, params, scheduler=client, out=out,
                                           outputs=outputs, chunk_size=chunk)
                    elapsed = time.perf_counter() - t0
                figures["workers"] = workers
        elif mode == "mc-stream":
            before = psutil.Process().memory_info().rss
            with PeakRSS() as rss:
                t0 = time.perf_counter()
                ds = _run_mc(model, spec, n, scenarios, outputs, chunk, out)
                elapsed = time.perf_counter() - t0
        else:
            before = psutil.Process().memory_info().rss
            with PeakRSS() as rss:
                t0 = time.perf_counter()
                if mode == "memory":
                    ds = model.run_batch(params, outputs=outputs)
                else:
                    ds = sdd.run_batch(model, params, out=out, outputs=outputs,
                                       chunk_size=chunk)
                elapsed = time.perf_counter() - t0
        if mode != "memory":
            figures["store_mb"] = round(sum(f.stat().st_size for f in out.rglob("*")
                                            if f.is_file()) / 2**20, 1)
            figures["complete"] = bool(ds.attrs["complete"])
        figures.update(
            seconds=round(elapsed, 2),
            samples_per_s=round(runs / elapsed, 1),
            rss_before_mb=round(before / 2**20, 1),
            rss_peak_mb=round(max(rss.peak,
                                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
                              / 2**20, 1),
        )
        figures["rss_growth_mb"] = round(figures["rss_peak_mb"] - figures["rss_before_mb"], 1)
        del ds
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="samples (default 1,000,000)")
    parser.add_argument("--workers", type=int, default=2, help="cluster workers (default 2)")
    parser.add_argument("--modes", default="cluster,stream,memory,mc-stream,mc-cluster",
                        help="comma-separated: memory, stream, cluster, mc-stream, mc-cluster")
    parser.add_argument("--scenarios", default="baseline,combined",
                        help="scenarios of the Monte Carlo modes (default baseline,combined)")
    parser.add_argument("--chunk", type=int, default=None, help="samples per chunk")
    parser.add_argument("--params", type=int, default=20,
                        help="uncertain parameters without an uncertainty file (default 20)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n, args.workers, args.chunk, args.params,
                               args.scenarios.split(","))))
        return
    print(f"NHS productivity model, {args.n:,} Monte Carlo samples, {os.cpu_count()} cores")
    results = {}
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        cmd = [sys.executable, __file__, "--child", mode, "--n", str(args.n),
               "--workers", str(args.workers), "--params", str(args.params),
               "--scenarios", args.scenarios]
        if args.chunk:
            cmd += ["--chunk", str(args.chunk)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{mode}: failed\n{done.stderr[-3000:]}")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        results[mode] = figures
        print(json.dumps(figures))
    if not results:
        sys.exit(1)
    print(f"\n{'mode':<10} {'samples/s':>11} {'seconds':>9} {'driver peak RSS MB':>19} "
          f"{'growth MB':>10}")
    for mode, f in results.items():
        print(f"{mode:<10} {f['samples_per_s']:>11,.0f} {f['seconds']:>9.1f} "
              f"{f['rss_peak_mb']:>19,.0f} {f['rss_growth_mb']:>10,.0f}")
    base = results.get("memory") or results.get("stream")
    if base:
        for mode, f in results.items():
            if f is not base:
                print(f"{mode} / {base['mode']}: throughput x{f['samples_per_s'] / base['samples_per_s']:.2f}, "
                      f"driver peak RSS x{f['rss_peak_mb'] / base['rss_peak_mb']:.2f}")


if __name__ == "__main__":
    main()
