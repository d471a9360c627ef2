"""The command line, driven through typer's runner."""

from __future__ import annotations

import xarray as xr
from typer.testing import CliRunner

from sdmodels.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "scenarios", "params"):
        assert command in result.output


def test_run_writes_results_summary_and_chart(tmp_path, decay_path):
    out, png = tmp_path / "r.nc", tmp_path / "r.png"
    result = invoke("run", str(decay_path), "--engine", "pysd", "--out", str(out),
                    "--plot", str(png), "--years", "2024,2040")
    assert result.exit_code == 0, result.output
    ds = xr.load_dataset(out)
    assert ds["stock"].dims == ("scenario", "time")
    assert ds["scenario"].values.tolist() == ["baseline", "refill"]
    assert ds.attrs["model_file"] == "decay.mdl" and ds["stock"].attrs["units"] == "Person"
    assert "Stock" in result.output and "2040" in result.output
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_run_one_scenario_and_defaults_without_scenario_files(tmp_path, decay_copy):
    (decay_copy.parent / "scenarios" / "refill.toml").unlink()
    (decay_copy.parent / "scenarios" / "baseline.toml").unlink()
    out = tmp_path / "d.nc"
    result = invoke("run", str(decay_copy), "--engine", "pysd", "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    assert xr.load_dataset(out)["scenario"].values.tolist() == ["default"]


def test_unwritable_output_fails_before_running(tmp_path, decay_path, monkeypatch):
    import sdmodels.engine

    def boom(*a, **k):
        raise AssertionError("the simulation must not start")

    monkeypatch.setattr(sdmodels.engine, "run_scenarios", boom)
    result = invoke("run", str(decay_path), "--out", str(tmp_path / "missing" / "r.nc"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_full_disk_is_a_clear_error_and_keeps_the_earlier_result(tmp_path, decay_path,
                                                                 monkeypatch):
    import errno

    out = tmp_path / "r.nc"
    assert invoke("run", str(decay_path), "--out", str(out), "--no-plot").exit_code == 0
    before = out.read_bytes()

    def disk_full(ds, target, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr("sdmodels.results.to_netcdf4", disk_full)
    result = invoke("run", str(decay_path), "--out", str(out), "--no-plot")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "No space left on device" in text and "no result file was written" in text
    assert "Traceback" not in result.output
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


def test_unknown_scenario_is_a_clear_error(tmp_path, decay_path):
    result = invoke("run", str(decay_path), "--scenario", "refil", "--out", str(tmp_path / "r.nc"),
                    "--engine", "pysd")
    assert result.exit_code == 2
    assert "did you mean 'refill'" in result.output
    assert not (tmp_path / "r.nc").exists()


def test_scenarios_and_params_commands(decay_path):
    result = invoke("scenarios", str(decay_path))
    assert result.exit_code == 0
    assert "refill" in result.output and "Inflow Size = 20 from 2030" in result.output
    result = invoke("params", str(decay_path), "--search", "residence")
    assert result.exit_code == 0
    assert "Residence Time" in result.output and "[1, 20]" in result.output
    assert "1 of 4 parameters" in result.output


def test_variables_command_lists_every_kind_and_filters(decay_path):
    result = invoke("variables", str(decay_path))
    assert result.exit_code == 0, result.output
    assert "Stock" in result.output and "Outflow" in result.output  # a stock and a flow
    assert "Residence Time" in result.output                         # and the constants
    result = invoke("variables", str(decay_path), "--kind", "stock")
    assert result.exit_code == 0
    assert "Stock" in result.output and "Outflow" not in result.output
    assert "1 of " in result.output
    result = invoke("variables", str(decay_path), "--kind", "stok")
    assert result.exit_code == 2
    assert "unknown --kind 'stok'" in " ".join(result.output.split())


def test_unknown_output_with_no_close_name_points_to_the_variable_list(tmp_path, decay_path):
    result = invoke("run", str(decay_path), "--engine", "pysd", "--output", "Zzqx Wvvk",
                    "--out", str(tmp_path / "r.nc"), "--no-plot")
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "unknown variable 'Zzqx Wvvk'" in text and "sdmodels variables MODEL" in text
    assert not (tmp_path / "r.nc").exists()


def test_years_outside_the_horizon_fail_before_running(tmp_path, decay_path):
    result = invoke("run", str(decay_path), "--engine", "pysd", "--years", "2030,2050",
                    "--out", str(tmp_path / "r.nc"), "--no-plot")
    assert result.exit_code == 2
    assert "2050 outside the model's horizon [2024, 2040]" in result.output
    assert not (tmp_path / "r.nc").exists()


# --- a long compile: PySD now, the kernel in the background --------------------------------


class _FakeProcess:
    pid = 424242


def _slow_compile(monkeypatch, started: list, seconds: float = 30.0) -> None:
    """Make every kernel look uncached and ``seconds`` long to compile (more than the 5 s the
    command waits for, less than the minute after which the library itself prefers PySD), and
    record background starts instead of starting them."""
    from sdmodels.compiler import CompiledModel

    monkeypatch.setattr(CompiledModel, "jit_cached", property(lambda self: False))
    monkeypatch.setattr(CompiledModel, "estimated_jit_seconds", property(lambda self: seconds))

    def popen(command, **kwargs):
        started.append(command)
        return _FakeProcess()

    monkeypatch.setattr("sdmodels.cli._background.subprocess.Popen", popen)
    monkeypatch.setattr("sdmodels.cli._background.os.setpriority",
                        lambda which, pid, value: started.append(("priority", pid, value)),
                        raising=False)


def test_long_compile_runs_pysd_and_compiles_in_the_background(tmp_path, decay_copy,
                                                               monkeypatch):
    import os
    import sys

    from sdmodels.cli import _background

    monkeypatch.delenv("SDMODELS_BACKGROUND_COMPILE", raising=False)
    started: list = []
    _slow_compile(monkeypatch, started)
    out, png = tmp_path / "r.nc", tmp_path / "r.png"
    result = invoke("run", str(decay_copy), "--out", str(out), "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert "compiling the kernel in the background (about 30 s" in " ".join(result.output.split())
    assert xr.load_dataset(out).attrs["engine"] == "pysd" and png.is_file()
    assert started[0] == [sys.executable, "-m", "sdmodels.cli", "compile", "--serial",
                          str(decay_copy.resolve())]
    if hasattr(os, "setpriority"):  # below the foreground run
        assert started[1:] == [("priority", 424242, _background.BACKGROUND_NICENESS)]
        started[1:] = []
    # a second run while that compile runs (its marker names a live process) starts no other
    monkeypatch.setattr(_background, "_running", lambda marker: 424242)
    again = invoke("run", str(decay_copy), "--out", str(out), "--no-plot")
    assert again.exit_code == 0, again.output
    assert "still compiling in the background (process 424242)" in again.output
    assert len(started) == 1 and xr.load_dataset(out).attrs["engine"] == "pysd"


def test_background_compile_off_and_for_engine_compiled(tmp_path, decay_copy, monkeypatch):
    started: list = []
    _slow_compile(monkeypatch, started)
    out = tmp_path / "r.nc"
    monkeypatch.setenv("SDMODELS_BACKGROUND_COMPILE", "0")
    result = invoke("run", str(decay_copy), "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    assert "in the background" not in result.output and not started
    assert xr.load_dataset(out).attrs["engine"] == "compiled"
    monkeypatch.delenv("SDMODELS_BACKGROUND_COMPILE")
    forced = invoke("run", str(decay_copy), "--engine", "compiled", "--out", str(out), "--no-plot")
    assert forced.exit_code == 0 and not started
    assert xr.load_dataset(out).attrs["engine"] == "compiled"


def test_short_compile_is_waited_for(tmp_path, decay_copy, monkeypatch):
    monkeypatch.delenv("SDMODELS_BACKGROUND_COMPILE", raising=False)
    started: list = []
    _slow_compile(monkeypatch, started, seconds=2.0)
    out = tmp_path / "r.nc"
    result = invoke("run", str(decay_copy), "--out", str(out), "--no-plot")
    assert result.exit_code == 0, result.output
    assert not started and xr.load_dataset(out).attrs["engine"] == "compiled"


def test_marker_of_a_finished_compile_is_stale(tmp_path):
    import subprocess
    import sys

    from sdmodels.cli import _background

    marker = tmp_path / "kernel.compiling"
    assert _background._running(marker) is None  # none
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    marker.write_text(done.stdout.strip(), encoding="ascii")
    assert _background._running(marker) is None  # its process has ended
    import os

    marker.write_text(str(os.getpid()), encoding="ascii")
    assert _background._running(marker) == os.getpid()


def test_the_background_command_caches_the_serial_kernel(tmp_path, decay_copy, monkeypatch):
    """What the background process runs: afterwards the serial kernel's machine code is cached."""
    import os
    import subprocess
    import sys

    from sdmodels.compiler import compile_model

    # another model text than any compiled in this process (the compiler keeps those in memory)
    decay_copy.write_text(decay_copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(tmp_path / "cache"))
    assert not compile_model(decay_copy, cache=False).jit_cached
    done = subprocess.run([sys.executable, "-m", "sdmodels.cli", "compile", "--serial",
                           str(decay_copy)], env=dict(os.environ), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "kernel ready" in done.stdout
    cm = compile_model(decay_copy)
    assert cm.cache_hit and cm.jit_cached


# --- the chart is redrawn only when what it shows changes ----------------------------------


def test_chart_is_kept_when_it_shows_the_same_results(tmp_path, decay_path):
    out, png = tmp_path / "r.nc", tmp_path / "r.png"
    args = ("run", str(decay_path), "--out", str(out), "--plot", str(png))
    first = invoke(*args)
    assert first.exit_code == 0 and "chart written to" in first.output
    drawn = png.read_bytes()
    assert drawn[:4] == b"\x89PNG"
    # the PySD engine's results differ from the compiled engine's in the last digits only
    second = invoke(*args, "--engine", "pysd")
    assert second.exit_code == 0, second.output
    assert "chart unchanged" in " ".join(second.output.split())
    assert png.read_bytes() == drawn
    # other results: drawn again
    third = invoke(*args, "--scenario", "baseline")
    assert "chart written to" in third.output and png.read_bytes() != drawn


def test_chart_key_follows_the_values_and_files_without_it_are_redrawn(tmp_path, decay_model):
    from sdmodels.cli import _chart

    ds = decay_model.run(["baseline", "refill"])
    variables = ["stock"]
    png = tmp_path / "c.png"
    assert _chart.recorded_key(png) is None  # no file
    assert _chart.draw_chart(ds, variables, png)
    assert _chart.recorded_key(png) == _chart.chart_key(ds, variables)
    assert not _chart.draw_chart(ds, variables, png)
    changed = ds.copy(deep=True)
    changed["stock"].values[0, 3] *= 1.001  # visible on a chart
    assert _chart.chart_key(changed, variables) != _chart.chart_key(ds, variables)
    tiny = ds.copy(deep=True)
    tiny["stock"].values[0, 3] *= 1 + 1e-12  # an engine's rounding
    assert _chart.chart_key(tiny, variables) == _chart.chart_key(ds, variables)
    relabelled = ds.copy(deep=True)
    relabelled["stock"].attrs["units"] = "Nurse"
    assert _chart.chart_key(relabelled, variables) != _chart.chart_key(ds, variables)
    # a PNG without the key (drawn elsewhere, edited) and an SVG are drawn every time
    from matplotlib.figure import Figure

    Figure().savefig(png)
    assert _chart.recorded_key(png) is None and _chart.draw_chart(ds, variables, png)
    svg = tmp_path / "c.svg"
    assert _chart.draw_chart(ds, variables, svg) and _chart.draw_chart(ds, variables, svg)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    assert _chart.recorded_key(tmp_path / "junk.png") is None


def test_a_finished_command_leaves_its_objects_to_the_end_of_the_process(tmp_path, decay_path):
    """The shutdown skips the collector's passes over a command's objects (gc.freeze), and the
    result file is complete all the same."""
    import subprocess
    import sys

    out = tmp_path / "r.nc"
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
        "from sdmodels.cli import main\n"
        f"sys.argv = ['sdmodels', 'run', {str(decay_path)!r}, '--engine', 'pysd', "
        f"'--out', {str(out)!r}, '--no-plot']\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    frozen = int(done.stdout.split("frozen")[-1])
    assert frozen > 10_000  # the whole command's objects, not a handful
    assert xr.load_dataset(out)["stock"].sizes["scenario"] == 2
