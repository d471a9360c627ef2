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
from sdmodels.dashboard.levers import find_levers, scenario_lever_values

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

# The settings the page's URL holds now: {preset, base, levers: {name: [value, start]}}; a
# lever is written only where it differs from the preset (or base scenario) it starts from.
URL_SETTINGS = """
() => {
  const text = new URLSearchParams(window.location.search).get("settings") || "";
  const out = {preset: "", base: "", levers: {}};
  for (const part of text.split("&")) {
    const [key, value] = [part.slice(0, part.indexOf("=")), part.slice(part.indexOf("=") + 1)];
    if (key === "preset") out.preset = value;
    if (key === "base") out.base = value;
    if (key === "levers") for (const item of value.split(",").filter(Boolean)) {
      const [name, size, start] = item.split(":");
      out.levers[name] = [parseFloat(size), parseFloat(start)];
    }
  }
  return out;
}
"""

# True once a move is complete: the URL holds the settings asked for (the server has applied
# them and sent its changes), the expected HTML changed, then quiet and painted.
DONE = """
([want, needTable, quietMs]) => {
  const b = window.__bench;
  if (b.t0 === null) return false;
  const url = (%s)();
  if (want.preset !== undefined && url.preset !== want.preset) return false;
  if (want.lever !== undefined) {
    const got = url.levers[want.lever];
    const value = got === undefined ? want.default : got[0];
    if (!(Math.abs(value - want.value) <= want.tolerance)) return false;
  }
  if (needTable && !b.events.some((e) => e.table)) return false;
  const now = performance.now();
  return now - b.lastEvent > quietMs && b.lastPaint >= b.lastEvent;
}
""" % URL_SETTINGS.strip()

# The value of the slider model with a CSS class, as the page holds it.
SLIDER_VALUE = """
(cls) => {
  for (const m of Bokeh.documents[0]._all_models.values()) {
    if (m.type.endsWith("Slider") && (m.css_classes || []).includes(cls)) return m.value;
  }
  return NaN;
}
"""

# What a finished move changed (for the report): charts' sources, KPI cards.
CHANGED = """
() => {
  const b = window.__bench;
  const sources = new Set(b.events.filter((e) => e.type === "ColumnDataSource"
                                               && e.attr === "data").map((e) => e.id));
  return [sources.size, b.events.some((e) => e.kpi)];
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
        # the server imports the sdmodels this script imported (not whichever one its working
        # directory happens to hold)
        package = str(Path(sdmodels.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [package, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdout=self._out,
                                     stderr=subprocess.STDOUT, env=env, cwd=package)

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

    def drag(self, css_class: str, fraction: float) -> float:
        """Drag a slider's handle to ``fraction`` of its track and let go; the value it
        shows when released."""
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
        # the slider's model holds the released value (the handle's ARIA value lags behind)
        return float(self.page.evaluate(SLIDER_VALUE, css_class))

    def url_settings(self) -> dict[str, Any]:
        return self.page.evaluate(URL_SETTINGS)

    def finish(self, want: dict[str, Any], *, table: bool, quiet: float,
               timeout: float) -> float | None:
        """Seconds from the action to the last change painted; ``None`` if the page did not
        reach ``want`` within ``timeout`` seconds."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415

        try:
            self.page.wait_for_function(DONE, arg=[want, table, quiet * 1000], polling=50,
                                        timeout=timeout * 1000)
        except PlaywrightTimeout:
            return None
        t0, end = self.page.evaluate("[window.__bench.t0, window.__bench.lastPaint]")
        return (end - t0) / 1000


Measure = tuple[float, float, float]


def _measure(tab: Tab, action: Any, *, table: bool, quiet: float, timeout: float,
             label: str, failures: list[str]) -> Measure | None:
    """(latency, main-thread seconds, style-recalculation seconds) of one action, or ``None``
    (recorded in ``failures``) if it timed out. ``action`` returns what the URL must hold."""
    before = tab.metrics()
    want = action()
    if want is None:
        failures.append(f"{label}: the slider did not move (released on its value)")
        _say(failures[-1])
        return None
    latency = tab.finish(want, table=table, quiet=quiet, timeout=timeout)
    sources, kpi = tab.page.evaluate(CHANGED)
    if latency is None:
        failures.append(f"{label}: timed out after {timeout:.0f} s (URL holds "
                        f"{tab.url_settings()}, wanted {want}; {sources} charts and "
                        f"{'the' if kpi else 'no'} KPI cards changed)")
        _say(failures[-1])
        return None
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
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds a move may take before it is reported as timed out")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional dependency (browser benchmarks only)

    model = sdmodels.load_model(args.model)
    charts = len(model.key_outputs)
    levers = find_levers(model)
    if not levers:
        raise SystemExit("the model has no levers to move")
    presets = [n for n in model.scenarios if n != "baseline"] + ["baseline"]
    print(f"model {model.path.name}: {charts} charts, {len(levers)} levers, "
          f"{len(presets)} presets; {os.cpu_count()} CPUs; sdmodels from "
          f"{Path(sdmodels.__file__).resolve().parents[1]}")
    print(f"load before: {_uptime()}")

    server = Server(args.model, args.samples, args.engine)
    results: dict[str, list[Measure]] = {}
    failures: list[str] = []
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

            def mover(lv: Any, fraction: float) -> Any:
                def move() -> dict[str, Any] | None:
                    url = tab.url_settings()
                    base = url["preset"] or url["base"] or "baseline"
                    ref = scenario_lever_values(levers, model.scenarios.get(base))[0][lv.py_name]
                    held = url["levers"].get(lv.py_name, [ref])[0]
                    value = tab.drag(f"lever-{lv.py_name}", fraction)
                    if abs(value - held) <= lv.step / 2:
                        return None
                    return {"lever": lv.py_name, "value": value, "default": ref,
                            "tolerance": lv.step / 2}
                return move

            _say("lever releases")
            moves = []
            for i in range(args.repeats):
                lever = levers[i % len(levers)]
                fraction = 0.15 + 0.7 * ((i * 7) % 10) / 10
                moves.append(_measure(tab, mover(lever, fraction), table=False,
                                      quiet=args.quiet, timeout=args.timeout,
                                      label=f"lever {lever.py_name} to {fraction:.2f}",
                                      failures=failures))
            results["lever -> explorer charts + cards"] = [m for m in moves if m]
            _say(_row("lever", results["lever -> explorer charts + cards"], LEVER_TARGET))

            _say("presets")
            chosen = []
            for i in range(args.presets):
                name = presets[i % len(presets)]

                def pick(name: str = name) -> dict[str, Any]:
                    tab.page.evaluate("window.__bench.start()")
                    tab.page.locator(".preset-select select").select_option(name)
                    return {"preset": name}

                chosen.append(_measure(tab, pick, table=False, quiet=args.quiet,
                                       timeout=args.timeout, label=f"preset {name}",
                                       failures=failures))
            results["preset -> explorer charts + cards"] = [m for m in chosen if m]
            _say(_row("preset", results["preset -> explorer charts + cards"], PRESET_TARGET))

            tab.tab("Uncertainty")
            tab.page.locator(".prob-table tbody tr").first.wait_for()
            tab.page.locator(".fan-plots canvas").first.wait_for()
            _say("uncertainty")
            unc = []
            for i in range(args.mc_repeats):
                lever = levers[(i + 1) % len(levers)]
                fraction = 0.2 + 0.15 * i
                unc.append(_measure(tab, mover(lever, fraction), table=True,
                                    quiet=max(args.quiet, 0.6), timeout=args.timeout,
                                    label=f"Uncertainty: lever {lever.py_name} to "
                                          f"{fraction:.2f}", failures=failures))
            results[f"lever -> Uncertainty ({args.samples} samples)"] = [m for m in unc if m]
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
        print(_row(label, values, target) if values else f"{label:<34}   0  (none finished)")
    for failure in failures:
        print(f"not measured: {failure}")
    if args.json:
        args.json.write_text(json.dumps({
            "nodes": nodes, "load": _uptime(), "failures": failures,
            "results": {k: [list(v) for v in vals] for k, vals in results.items()}}, indent=1))


if __name__ == "__main__":
    main()
