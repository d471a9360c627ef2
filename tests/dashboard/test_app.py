"""The composed app (no browser) and the ``sdmodels dashboard`` command."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from typer.testing import CliRunner

from sdmodels.cli import app as cli_app
import panel as pn

from sdmodels.dashboard import PAGES, DashboardStore, create_app


def _kpi_text(template) -> str:
    return next(p for p in template.main[0].select(pn.pane.HTML)
                if "kpi-value" in str(p.object)).object


def test_each_app_has_its_own_store(mini_model):
    sa = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    sb = DashboardStore(mini_model, engine="pysd", mc_samples=8)
    a, b = create_app(sa), create_app(sb)
    assert sa.model is sb.model  # the loaded model is shared
    before = _kpi_text(b)
    assert _kpi_text(a) == before
    # as the page does: the lever moves in a worker thread, the views follow the store
    asyncio.run(sa.set_lever("Training Places", value=120))
    assert sa.values["training_places"] == 120.0
    assert sb.values["training_places"] == 0.0
    assert _kpi_text(a) != before and _kpi_text(b) == before
    tabs = next(iter(a.main[0].select(pn.Tabs)))
    assert list(tabs._names) == list(PAGES)
    # pages other than the first are built when first opened
    assert [len(p) for p in tabs.objects][1:] == [0, 0, 0, 0]
    assert create_app(mini_model, engine="pysd") is not create_app(mini_model, engine="pysd")


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
