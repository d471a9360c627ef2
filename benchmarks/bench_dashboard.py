"""Responsiveness of the dashboard in a real browser (Debian's Chromium through Playwright).

Serves the dashboard of a model (the bundled NHS model by default) on a free localhost port,
drives it as a planner does and prints, from one run:

* **lever**: from the release of a lever slider (the browser's ``pointerup``) to the last chart
  and KPI card repainted: the last change the server sends to the page for that move, followed
  by the browser's next painted frame (median of ``--repeats`` releases; target 300 ms);
* **preset**: the same from choosing a preset scenario (target 500 ms);
* **uncertainty**: with the Uncertainty page open, from a lever release to its fan charts and
  probability table repainted (``--samples`` Monte Carlo samples; target 1.5 s);
* **first page**: from navigation to the explorer fully drawn (every chart finished with data,
  KPI cards shown), with a warm kernel cache (target 3 s);

and, for each, the browser's main-thread time (Chromium's ``TaskDuration``, with its style
recalculation share) and the number of DOM nodes, since the machine may be busy with other
work: wall-clock figures then grow while main-thread time says what the page itself costs.

The page is observed from inside: every change of the Bokeh document is stamped with
``performance.now()``; a move is complete when at least one data source per chart and the KPI
cards changed and nothing more arrived for ``--quiet`` seconds. Nothing is timed by sleeping.

Usage::

    python benchmarks/bench_dashboard.py [MODEL] [--repeats 20] [--samples 500]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import sdmodels

LEVER_TARGET = 0.300
PRESET_TARGET = 0.500
UNCERTAINTY_TARGET = 1.5
FIRST_PAGE_TARGET = 3.0

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]

# Installed in the page: stamps every document change and the paint that follows it.
RECORDER = """
() => {
  if (window.__bench) return;
  const b = window.__bench = {t0: null, events: [], lastEvent: 0, lastPaint: 0};
  const stamp = () => {
    const now = performance.now();
    b.lastEvent = now;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      b.lastPaint = Math.max(b.lastPaint, performance.now());
    }));
    return now;
  };
  for (const doc of Bokeh.documents) {
    doc.on_change((e) => {
      if (b.t0 === null || !e.model) return;
      const text = e.attr === "text" && typeof e.value === "string" ? e.value : "";
      b.events.push({t: stamp(), type: e.model.type, id: e.model.id, attr: e.attr,
                     kpi: text.includes("kpi-value"), table: /(<|&lt;)table/.test(text)});
    }, true);
  }
  const start = () => { b.t0 = performance.now(); b.events = []; b.lastPaint = 0;
                        b.lastEvent = b.t0; };
  document.addEventListener("pointerup", () => { if (b.armed) { b.armed = false; start(); } },
                            true);
  b.start = start;  // for actions without a composed event (a select inside a shadow root)
}
"""

# True once a move is complete: enough sources and the expected HTML changed, then quiet.
DONE = """
([charts, needKpi, needTable, quietMs]) => {
  const b = window.__bench;
  if (b.t0 === null) return false;
  const sources = new Set(b.events.filter((e) => e.type === "ColumnDataSource"
                                               && e.attr === "data").map((e) => e.id));
  if (sources.size < charts) return false;
  if (needKpi && !b.events.some((e) => e.kpi)) return false;
  if (needTable && !b.events.some((e) => e.table)) return false;
  const now = performance.now();
  return now - b.lastEvent > quietMs && b.lastPaint >= b.lastEvent;
}
"""

# True once the explorer is fully drawn; records when that first happened.
DRAWN = """
(charts) => {
  if (!window.Bokeh || !Bokeh.documents.length || !Bokeh.index) return false;
  const doc = Bokeh.documents[0];
  if (!doc.is_idle) return false;
  const kpi = [...doc._all_models.values()].some(
    (m) => typeof m.text === "string" && m.text.includes("kpi-value"));
  if (!kpi) return false;
  let drawn = 0;
  for (const v of Bokeh.index.query((v) => v.model.type === "Figure")) {
    const full = v.model.renderers.every(
      (r) => !r.data_source || Object.values(r.data_source.data).every((c) => c.length > 0));
    if (full && v.has_finished()) drawn += 1;
  }
  if (drawn < charts) return false;
  window.__drawnAt = window.__drawnAt || performance.now();
  return true;
}
"""


def _say(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return "uptime not available"


class Server:
    """The dashboard served in a subprocess."""

    def __init__(self, model: str | None, samples: int, engine: str) -> None:
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}/"
        code = ("import sys\nfrom sdmodels.dashboard import serve\n"
                f"serve({model!r}, port={self.port}, show=False, engine={engine!r}, "
                f"mc_samples={samples})\n")
        self.log = Path(tempfile.mkdtemp(prefix="bench-dashboard-")) / "server.log"
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=self._out,
                                     stderr=subprocess.STDOUT)

    def wait(self, timeout: float) -> float:
        t0 = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"dashboard server exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.url, timeout=10) as resp:
                    if resp.status == 200:
                        return time.monotonic() - t0
            except OSError:
                pass
            if time.monotonic() - t0 > timeout:
                raise SystemExit(f"dashboard server did not answer; see {self.log}")
            time.sleep(0.5)  # polling a subprocess for readiness, not timing a measurement

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()


class Tab:
    """One browser tab with a CDP session for main-thread metrics."""

    def __init__(self, browser: Any, url: str, width: int = 1440) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(900_000)
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = url

    def metrics(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}

    def open(self, charts: int) -> float:
        """Navigate; seconds from navigation to the explorer fully drawn."""
        self.page.goto(self.url)
        self.page.wait_for_function(DRAWN, arg=charts, polling="raf")
        self.page.evaluate(RECORDER)
        return self.page.evaluate("window.__drawnAt") / 1000

    def tab(self, title: str) -> None:
        self.page.locator(".bk-tab").get_by_text(title, exact=True).click()

    def arm(self) -> None:
        self.page.evaluate("window.__bench.armed = true; window.__bench.t0 = null")

    def drag(self, css_class: str, fraction: float) -> None:
        slider = self.page.locator(f".{css_class} .noUi-target").first
        handle = self.page.locator(f".{css_class} .noUi-handle").first
        handle.scroll_into_view_if_needed()
        box, hbox = slider.bounding_box(), handle.bounding_box()
        y = hbox["y"] + hbox["height"] / 2
        self.page.mouse.move(hbox["x"] + hbox["width"] / 2, y)
        self.page.mouse.down()
        self.page.mouse.move(box["x"] + fraction * box["width"], y, steps=6)
        self.arm()
        self.page.mouse.up()

    def finish(self, charts: int, *, kpi: bool, table: bool, quiet: float) -> float:
        self.page.wait_for_function(DONE, arg=[charts, kpi, table, quiet * 1000],
                                    polling=50)
        t0, end = self.page.evaluate("[window.__bench.t0, window.__bench.lastPaint]")
        return (end - t0) / 1000


def _measure(tab: Tab, action: Any, charts: int, *, kpi: bool, table: bool,
             quiet: float) -> tuple[float, float, float]:
    """(latency, main-thread seconds, style-recalculation seconds) of one action."""
    before = tab.metrics()
    action()
    latency = tab.finish(charts, kpi=kpi, table=table, quiet=quiet)
    after = tab.metrics()
    return (latency, after["TaskDuration"] - before["TaskDuration"],
            after["RecalcStyleDuration"] - before["RecalcStyleDuration"])


def _row(label: str, values: list[tuple[float, float, float]], target: float) -> str:
    lat = statistics.median(v[0] for v in values)
    main = statistics.median(v[1] for v in values)
    style = statistics.median(v[2] for v in values)
    return (f"{label:<34}{len(values):>4}{lat * 1000:>10.0f}{target * 1000:>9.0f}"
            f"{lat / target:>7.2f}{min(v[0] for v in values) * 1000:>8.0f}"
            f"{max(v[0] for v in values) * 1000:>8.0f}{main * 1000:>10.0f}{style * 1000:>9.0f}")


def main() -> None:  # noqa: C901 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=None,
                        help="model file (default: the bundled NHS productivity model)")
    parser.add_argument("--repeats", type=int, default=20, help="lever releases (>= 20)")
    parser.add_argument("--presets", type=int, default=8, help="preset choices")
    parser.add_argument("--mc-repeats", type=int, default=5, help="lever releases with the "
                        "Uncertainty page open")
    parser.add_argument("--navigations", type=int, default=3, help="page loads")
    parser.add_argument("--samples", type=int, default=500, help="Monte Carlo samples")
    parser.add_argument("--engine", default="auto", choices=["auto", "compiled", "pysd"])
    parser.add_argument("--quiet", type=float, default=0.4,
                        help="seconds without a change that end a move")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional dependency (browser benchmarks only)

    model = sdmodels.load_model(args.model)
    charts = len(model.key_outputs)
    levers = [p for p in model.parameters.values()
              if any(q.name.lower() == f"{p.name} start year".lower()
                     for q in model.parameters.values())]
    if not levers:
        raise SystemExit("the model has no levers to move")
    presets = [n for n in model.scenarios if n != "baseline"] + ["baseline"]
    print(f"model {model.path.name}: {charts} charts, {len(levers)} levers, "
          f"{len(presets)} presets; {os.cpu_count()} CPUs")
    print(f"load before: {_uptime()}")

    server = Server(args.model, args.samples, args.engine)
    results: dict[str, list[tuple[float, float, float]]] = {}
    try:
        started = server.wait(timeout=1800)
        print(f"server answered after {started:.1f} s (includes loading the kernel cache)")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            # warm-up: let the server finish what it shares between sessions (baseline
            # Monte Carlo, Sobol indices) so that it does not compete with the measurements
            warm = Tab(browser, server.url)
            first = warm.open(charts)
            _say(f"first visit drawn in {first:.2f} s; warming up the other pages")
            warm.tab("Uncertainty")
            warm.page.locator(".prob-table tbody tr").first.wait_for()
            warm.tab("Sensitivity")
            warm.page.locator(".sobol-bars canvas").first.wait_for()
            warm.context.close()

            _say("navigations")
            navs = []
            for _ in range(args.navigations):
                t = Tab(browser, server.url)
                before = t.metrics()
                drawn = t.open(charts)
                after = t.metrics()
                navs.append((drawn, after["TaskDuration"] - before["TaskDuration"],
                             after["RecalcStyleDuration"] - before["RecalcStyleDuration"]))
                t.context.close()
            results["first page (warm kernel cache)"] = navs
            _say(_row("first page", navs, FIRST_PAGE_TARGET))

            tab = Tab(browser, server.url)
            tab.open(charts)
            nodes = tab.metrics()["Nodes"]
            _say("lever releases")
            moves = []
            for i in range(args.repeats):
                lever = levers[i % len(levers)]
                fraction = 0.15 + 0.7 * ((i * 7) % 10) / 10
                moves.append(_measure(
                    tab, lambda lv=lever, f=fraction: tab.drag(f"lever-{lv.py_name}", f),
                    charts, kpi=True, table=False, quiet=args.quiet))
            results["lever -> explorer charts + cards"] = moves
            _say(_row("lever", moves, LEVER_TARGET))

            _say("presets")
            chosen = []
            for i in range(args.presets):
                name = presets[i % len(presets)]

                def pick(name: str = name) -> None:
                    tab.page.evaluate("window.__bench.start()")
                    tab.page.locator(".preset-select select").select_option(name)

                chosen.append(_measure(tab, pick, charts, kpi=True, table=False,
                                       quiet=args.quiet))
            results["preset -> explorer charts + cards"] = chosen
            _say(_row("preset", chosen, PRESET_TARGET))

            tab.tab("Uncertainty")
            tab.page.locator(".prob-table tbody tr").first.wait_for()
            tab.page.locator(".fan-plots canvas").first.wait_for()
            _say("uncertainty")
            unc = []
            for i in range(args.mc_repeats):
                lever = levers[(i + 1) % len(levers)]
                fraction = 0.2 + 0.15 * i
                unc.append(_measure(
                    tab, lambda lv=lever, f=fraction: tab.drag(f"lever-{lv.py_name}", f),
                    charts, kpi=False, table=True, quiet=max(args.quiet, 0.6)))
            results[f"lever -> Uncertainty ({args.samples} samples)"] = unc
            errors = tab.errors
            tab.context.close()
            browser.close()
    finally:
        server.stop()

    print(f"load after: {_uptime()}")
    print(f"DOM nodes of the explorer page: {nodes:.0f}; first visit after start "
          f"{first:.2f} s; page errors: {len(errors)}")
    print(f"{'measure':<34}{'n':>4}{'median':>10}{'target':>9}{'ratio':>7}{'min':>8}"
          f"{'max':>8}{'main-thr':>10}{'style':>9}")
    print(f"{'':<34}{'':>4}{'ms':>10}{'ms':>9}{'':>7}{'ms':>8}{'ms':>8}{'ms':>10}{'ms':>9}")
    targets = [FIRST_PAGE_TARGET, LEVER_TARGET, PRESET_TARGET, UNCERTAINTY_TARGET]
    for (label, values), target in zip(results.items(), targets, strict=True):
        print(_row(label, values, target))
    if args.json:
        args.json.write_text(json.dumps({
            "nodes": nodes, "load": _uptime(),
            "results": {k: [list(v) for v in vals] for k, vals in results.items()}}, indent=1))


if __name__ == "__main__":
    main()
