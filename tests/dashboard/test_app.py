"""The composed app (no browser) and the ``sdmodels dashboard`` command."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from typer.testing import CliRunner

from sdmodels.cli import app as cli_app
from sdmodels.dashboard import PAGES, create_app


def test_each_app_has_its_own_store(mini_model):
    a = create_app(mini_model, engine="pysd", mc_samples=8)
    b = create_app(mini_model, engine="pysd", mc_samples=8)
    assert a.store is not b.store
    assert a.store.model is b.store.model  # the loaded model is shared
    # as the page does: the lever moves in a worker thread, widgets follow on the event loop
    asyncio.run(a.store.set_lever_async("Training Places", value=120))
    assert a.store.values["training_places"] == 120.0
    assert b.store.values["training_places"] == 0.0
    tabs = a.main[1]
    assert list(tabs._names) == list(PAGES)


def test_served_app_answers(server):
    with urllib.request.urlopen(server, timeout=60) as resp:
        page = resp.read().decode()
        assert resp.status == 200
    assert "sdmodels" in page and "bokeh" in page.lower()


@pytest.mark.parametrize("args, message", [
    (["--engine", "fast"], "--engine must be auto, compiled or pysd"),
    (["--samples", "1"], "--samples must be at least 2"),
    (["--port", "70000"], "--port must be between 0 and 65535"),
])
def test_cli_refuses_bad_options(args, message, mini_model_path):
    result = CliRunner().invoke(cli_app, ["dashboard", str(mini_model_path), "--no-show", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_cli_refuses_a_missing_model(tmp_path):
    result = CliRunner().invoke(cli_app, ["dashboard", str(tmp_path / "none.mdl"), "--no-show"])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())
