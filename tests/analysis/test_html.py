"""Jupyter views: Model._repr_html_ and ds.sd._repr_html_, with every model text escaped."""

from __future__ import annotations

import shutil

import sdmodels


def test_model_card_lists_parameters_sectors_and_scenarios(decay_model):
    html = decay_model._repr_html_()
    assert "Residence Time" in html and "Inflow Size" in html
    assert "Scenarios (2)" in html and "refill" in html and "Inflow Size = 20 from 2030" in html
    assert "Sectors" in html and decay_model.hash[:12] in html


def test_hostile_model_text_is_escaped(tmp_path, decay_path):
    folder = tmp_path / "decay"
    shutil.copytree(decay_path.parent, folder)
    mdl = folder / "decay.mdl"
    mdl.write_text(mdl.read_text().replace(
        "Average time in the stock.", "<script>alert(1)</script> & <img src=x onerror=alert(2)>"))
    (folder / "scenarios" / "refill.toml").write_text(
        'model = "decay.mdl"\ndescription = "<b onmouseover=alert(3)>bold</b>"\n')
    model = sdmodels.load_model(mdl)
    html = model._repr_html_()
    assert "<script>" not in html and "<img" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img" in html
    ds = model.run(["baseline", "refill"])
    ds.attrs["title"] = "<script>x</script>"
    card = ds.sd._repr_html_()
    assert "<script>" not in card and "&lt;script&gt;x" in card
    assert "&lt;b onmouseover" in card


def test_result_card_shows_values_scenarios_and_provenance(decay_model, levers_model):
    ds = decay_model.run(["baseline", "refill"])
    card = ds.sd.html()
    assert "scenario runs" in card and "decay.mdl" in card
    values = card[:card.index("How it was made")]
    # the six outputs shown are those that change first: a constant is left out
    assert "<code>stock</code>" in values and "<code>outflow</code>" in values
    assert "and 1 more outputs" in values
    assert ds.attrs["model_sha256"] in card and "refill lever" in card
    att = sdmodels.attribute(levers_model, scenario="all_levers", outputs=["Interaction Output"])
    card = att.sd.html()
    assert "attribution" in card and "Lever A" in card and "shapley" in card
