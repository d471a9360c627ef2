"""Every broken input of the hostile-and-broken-inputs review ends in a clear message.

Model files (truncated, binary, wrong encoding, undefined names, loops, division by zero),
scenario files (strings, booleans, NaN, duplicates, another model's file, own FINAL TIME)
and command-line mistakes: each gives an sdmodels error naming the file or element and
the fix, exit code 2 on the command line, and never a traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import sdmodels
from sdmodels.cli import app
from sdmodels.errors import ModelLoadError, NumericalWarning, ScenarioError, SDModelsError

runner = CliRunner()
DECAY = Path(__file__).parent / "data" / "decay" / "decay.mdl"
TEXT = DECAY.read_text(encoding="utf-8")


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


BROKEN_MODELS = {
    "truncated.mdl": (TEXT.encode()[: len(TEXT) // 3], "does not define INITIAL TIME"),
    "undefined.mdl": (TEXT.replace("Outflow= Stock /", "Outflow= Stok /"),
                      r"line 12: element 'Outflow' uses 'stok'.*did you mean 'Stock'"),
    "binary.mdl": (bytes(range(256)) * 8, "not a text model file"),
    "empty.mdl": (b"", "truncated"),
    "syntax.mdl": (TEXT.replace("Stock / Residence Time", "Stock / / Residence Time )"),
                   r"line 12 \(element Outflow\)"),
    "marked.mdl": (("{UTF-8}\nCafé Rate = 1 ~~|\n" + TEXT.split("\n", 1)[1]).encode("cp1252"),
                   r"says \{UTF-8\}.*line 2, column 4"),
    "loop.mdl": (TEXT.replace("Outflow= Stock / Residence Time",
                              "Outflow= Stock / Residence Time + Loop B\n~ ~ |\n"
                              "Loop A= Outflow * 2\n~ ~ |\nLoop B= Loop A * 0.1"),
                 "algebraic loop among Loop A, Loop B, Outflow"),
    "broken.xmile": ('<?xml version="1.0"?><xmile><model>', "XMILE"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_MODELS))
def test_broken_model_files_are_clear_errors(tmp_path, name):
    data, message = BROKEN_MODELS[name]
    path = _write(tmp_path, name, data)
    with pytest.raises(SDModelsError, match=message):
        sdmodels.load_model(path).run(engine="auto")
    result = invoke("run", str(path), "--no-plot", "--out", str(tmp_path / "r.nc"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(path.name) in result.output
    assert not (tmp_path / "r.nc").exists()


def test_algebraic_loop_under_pysd_names_the_loop(tmp_path):
    data, _ = BROKEN_MODELS["loop.mdl"]
    path = _write(tmp_path, "loop.mdl", data)
    with pytest.raises(ModelLoadError, match="algebraic loop among Loop A, Loop B, Outflow"):
        sdmodels.load_model(path).run(engine="pysd")
    # compile says the same, as a mistake in the model (exit 2), never "run it with PySD"
    result = invoke("compile", str(path))
    text = " ".join(result.output.split())
    assert result.exit_code == 2, text
    assert "algebraic loop among Loop A, Loop B, Outflow" in text and 'engine="pysd"' not in text


def test_non_utf8_model_without_mark_keeps_its_characters(tmp_path):
    text = TEXT.split("\n", 1)[1].replace("Inflow Size=", "Café Rate= 1\n~ dmnl ~ x |\n\nInflow Size=")
    path = _write(tmp_path, "ansi.mdl", text.encode("cp1252"))
    model = sdmodels.load_model(path)
    assert "Café Rate" in {p.name for p in model.parameters.values()}


def test_division_by_zero(tmp_path):
    path = _write(tmp_path, "div.mdl", TEXT.replace("Stock / Residence Time",
                                                    "Stock / (Residence Time - 5)"))
    model = sdmodels.load_model(path)
    with pytest.raises(ModelLoadError, match=r"division by zero in element 'Outflow' at time 2024"):
        model.run(engine="pysd")
    with pytest.warns(NumericalWarning, match=r"first at time 2024: 'Outflow'"):
        ds = model.run(engine="compiled")
    assert not np.isfinite(ds["outflow"].values).all()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[parameters]\n"Residence Time" = "6"\n', r"got '6' \(str\) \(write it without quotes\)"),
        ('[parameters]\n"Residence Time" = true\n', r"got True \(bool\)"),
        ('[parameters]\n"Residence Time" = nan\n', "finite number"),
        ('[parameters]\n"Residence Time" = 4\nresidence_time = 6\n', "both set 'Residence Time'"),
        ('[parameters]\n"Inflow Size" = 3\n[levers."Inflow Size"]\nvalue = 20\nstart = 2030\n',
         "parameter 'Inflow Size' and lever 'Inflow Size' both set"),
    ],
)
def test_scenario_mistakes_are_refused(tmp_path, body, message):
    path = _write(tmp_path, "s.toml", f'model = "decay.mdl"\ndescription = "x"\n{body}')
    model = sdmodels.load_model(DECAY)
    with pytest.raises(ScenarioError, match=message):
        model.run(str(path))
    result = invoke("run", str(DECAY), "-s", str(path), "--no-plot",
                    "--out", str(tmp_path / "r.nc"))
    assert result.exit_code == 2 and not (tmp_path / "r.nc").exists()


def test_scenario_for_another_model_is_refused():
    model = sdmodels.load_model(DECAY)
    with pytest.raises(ScenarioError, match="written for 'another.mdl'"):
        model.run(str(DECAY.parent / "scenarios" / "other_model.toml"))


def test_scenarios_with_different_horizons(tmp_path):
    path = _write(tmp_path, "short.toml",
                  'description = "x"\n[parameters]\n"FINAL TIME" = 2035\n')
    model = sdmodels.load_model(DECAY)
    with pytest.raises(ScenarioError, match="simulation controls differ"):
        model.run(["baseline", str(path)])
    ds = model.run(str(path))
    assert float(ds.time[-1]) == 2035
    result = invoke("run", str(DECAY), "-s", str(path), "--no-plot", "--out", str(tmp_path / "r.nc"))
    assert result.exit_code == 0, result.output
    result = invoke("run", str(DECAY), "-s", str(path), "--years", "2040", "--no-plot",
                    "--out", str(tmp_path / "q.nc"))
    assert result.exit_code == 2 and not (tmp_path / "q.nc").exists()


def test_other_model_runs_with_the_default_years(tmp_path):
    other = Path(__file__).parent / "compiler" / "models" / "exponential_decay.mdl"
    result = invoke("run", str(other), "--no-plot", "--out", str(tmp_path / "r.nc"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("value", [np.int64(4), np.float32(4.5),
                                   pd.Series([3.0, 6.0], index=[2024.0, 2040.0])])
def test_numpy_and_series_values_are_stored_whole(tmp_path, value):
    import json

    ds = sdmodels.load_model(DECAY).run(params={"Residence Time": value})
    sdmodels.write_dataset(ds, tmp_path / "r.nc")
    stored = json.loads(xr.load_dataset(tmp_path / "r.nc").attrs["params"])["Residence Time"]
    if isinstance(value, pd.Series):
        assert stored == {"time_series": {"time": [2024.0, 2040.0], "value": [3.0, 6.0]}}
    else:
        assert stored == pytest.approx(float(value))


def _sdmodels(*args: str, tmp_path: Path, **kwargs):
    exe = shutil.which("sdmodels")
    if exe is None:  # pragma: no cover - the console script is installed with the package
        pytest.skip("the sdmodels console script is not installed")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), **kwargs.pop("env", {})}
    return subprocess.Popen([exe, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_markup_in_user_text_is_printed_as_it_is(tmp_path):
    proc = _sdmodels("run", str(DECAY), "-o", "[/x]", "--no-plot", "--out", "r.nc",
                     tmp_path=tmp_path)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 2
    assert "unknown variable '[/x]'" in " ".join(err.split()) and "Traceback" not in err


def test_sigterm_exits_143_with_the_resume_hint(tmp_path):
    spec = Path(__file__).parent / "uncertainty" / "models"
    proc = _sdmodels("mc", str(spec / "staff.mdl"), "--uncertainty", str(spec / "staff.toml"),
                     "--n", "200000", "--no-plot", "--out", "mc.zarr", "--engine", "pysd",
                     tmp_path=tmp_path)
    deadline = time.time() + 300
    while not (tmp_path / "mc.zarr.parts").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err
    text = " ".join(err.split())
    assert "terminated (SIGTERM)" in text and "--resume" in text and "Traceback" not in err


STAFF = Path(__file__).parent / "uncertainty" / "models"


@pytest.mark.parametrize(("args", "what"), [
    (("sobol", "--n", str(2**30)), "Sobol n = 1,073,741,824"),
    (("morris", "--trajectories", str(10**9)), "Morris with 1,000,000,000 trajectories"),
    (("mc", "--n", str(10**9)), "n = 1,000,000,000"),
])
def test_n_too_large_for_memory_is_refused_up_front(tmp_path, args, what):
    result = invoke(args[0], str(STAFF / "staff.mdl"), "--uncertainty", str(STAFF / "staff.toml"),
                    *args[1:], "--no-plot", "--out", str(tmp_path / "r.nc"))
    text = " ".join(result.output.split())
    assert result.exit_code == 2, text
    assert what in text and "GiB of memory" in text and "GiB limit" in text, text
    assert "Traceback" not in text and not list(tmp_path.iterdir())


def test_api_refuses_a_design_too_large_before_drawing_it():
    model = sdmodels.load_model(STAFF / "staff.mdl")
    spec = sdmodels.load_uncertainty(STAFF / "staff.toml", model)
    with pytest.raises(SDModelsError, match=r"Sobol n = 1,073,741,824: the design \(.* bytes\) "
                       r"needs about .* GiB .*; use a smaller n"):
        sdmodels.sobol(model, spec, n=2**30)
    with pytest.raises(SDModelsError, match=r"Morris with 1,000,000,000 trajectories.*fewer"):
        sdmodels.morris(model, spec, trajectories=10**9)


def test_in_memory_runs_too_large_are_refused(monkeypatch):
    model = sdmodels.load_model(DECAY)
    monkeypatch.setattr("sdmodels._diagnose.available_memory", lambda: 10_000)
    with pytest.raises(SDModelsError, match=r"100 runs keeping 1 outputs in memory \(\d[\d,]* "
                       r"bytes\) needs about .* GiB limit .*write the runs to a file"):
        model.run_batch({"residence_time": np.linspace(1, 5, 100)}, outputs=["Stock"])


def _catches_sigterm(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():  # pragma: no cover - no /proc (not Linux)
        pytest.skip("needs /proc to see when the start-up handlers are installed")
    try:
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt"))
    except (OSError, StopIteration):  # the process has just ended
        return False
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated (SIGTERM)")])
@pytest.mark.parametrize("phase", ["imports", "model load"])
def test_a_signal_during_start_up_is_one_line_and_writes_nothing(tmp_path, sig, code, word, phase):
    """While Python imports the package, or once the model is being read (its cache folder
    appears; an empty cache makes translating and compiling take seconds): one line, the exit
    code, no traceback and no file."""
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    proc = _sdmodels("run", str(DECAY), "--no-plot", "--out", "r.nc", tmp_path=work,
                     env={"SDMODELS_CACHE_DIR": str(cache)})
    if phase == "imports":
        # once sdmodels' start-up handlers are installed (SIGTERM caught: Python itself catches
        # only SIGINT), while the package imports; a signal before that hits Python's own start
        deadline = time.time() + 300
        while not _catches_sigterm(proc.pid) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
    else:
        deadline = time.time() + 300
        while not cache.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the signal: nothing was tested"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(word), err
    # the package's own handler, once main runs, says no result file was written
    assert ("nothing was run" if phase == "imports" else "no result file was written") in err
    assert "Traceback" not in err + out and list(work.iterdir()) == []


def test_monte_carlo_memory_advice_names_only_what_helps(monkeypatch, tmp_path):
    model = sdmodels.load_model(STAFF / "staff.mdl")
    spec = sdmodels.load_uncertainty(STAFF / "staff.toml", model)
    # the design alone too large: streaming would not help, so it is not offered
    with pytest.raises(SDModelsError, match="held in memory whatever the output") as err:
        sdmodels.run_mc(model, spec, n=10**9, out=tmp_path / "mc.zarr", quantiles_only=True)
    assert "--out" not in str(err.value) and "smaller n" in str(err.value)
    # the design fits, the samples kept in memory do not: streaming is the advice, and helps
    design_bytes = 2.0 * 1000 * len(spec) * 8
    monkeypatch.setattr("sdmodels._diagnose.available_memory", lambda: 2 * design_bytes)
    with pytest.raises(SDModelsError, match=r"samples kept in memory.*--out x\.zarr"):
        sdmodels.run_mc(model, spec, n=1000)
    streamed = sdmodels.run_mc(model, spec, n=1000, out=tmp_path / "mc.zarr", seed=1)
    assert streamed.sizes["sample"] == 1000


@pytest.mark.parametrize("names", [("Residence Time", "residence_time"),
                                   ("residence_time", "RESIDENCE TIME")])
def test_a_parameter_given_twice_in_params_is_refused(names):
    model = sdmodels.load_model(DECAY)
    message = rf"params: {names[0]!r} and {names[1]!r} both set 'Residence Time'; give each"
    with pytest.raises(SDModelsError, match=message):
        model.run(params={names[0]: 4.0, names[1]: 6.0})
    with pytest.raises(SDModelsError, match=message):
        model.run_batch({names[0]: np.array([4.0, 5.0]), names[1]: np.array([6.0, 7.0])})
    with pytest.raises(SDModelsError, match=message):
        model.run(params={names[0]: 4.0, names[1]: 6.0}, engine="pysd")
