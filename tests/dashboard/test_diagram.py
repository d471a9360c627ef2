"""Stock-and-flow diagrams are generated from the model's equations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sdmodels.dashboard.diagram import Flow, sector_structure, sector_svg
from sdmodels.errors import UnknownNameError

SVG = "{http://www.w3.org/2000/svg}"


def test_workforce_structure(mini_model):
    s = sector_structure(mini_model, "Workforce")
    assert sorted(s.stocks) == ["staff_morale", "total_staff", "trainees"]
    assert Flow("training_completions", "trainees", "total_staff") in s.flows
    assert Flow("leavers", "total_staff", None) in s.flows  # to a cloud
    assert Flow("recruitment", None, "total_staff") in s.flows  # from a cloud
    assert "vacancy_rate" in s.auxiliaries and "base_leaver_rate" in s.constants
    assert ("leaver_rate", "leavers") in s.links
    # Staff Morale's net flow is an expression: what it reads links to the stock
    assert ("target_morale", "staff_morale") in s.links
    # read from another sector
    assert "population_need" in s.ghosts


def test_sector_without_stocks(mini_model):
    s = sector_structure(mini_model, "Productivity and finance")
    assert s.stocks == [] and s.flows == []
    assert {"productivity_index", "funding_gap"} <= set(s.auxiliaries)
    assert "agility" in s.ghosts


@pytest.mark.parametrize("constants", [False, True])
def test_svg_is_well_formed_and_complete(mini_model, constants):
    for sector in mini_model.sectors:
        svg = sector_svg(mini_model, sector, show_constants=constants)
        root = ET.fromstring(svg)
        groups = {g.get("class"): [] for g in root.iter(f"{SVG}g")}
        for g in root.iter(f"{SVG}g"):
            groups[g.get("class")].append(g.get("data-name"))
        s = sector_structure(mini_model, sector)
        names = mini_model.variables
        assert sorted(groups.get("stock", [])) == sorted(names[p].name for p in s.stocks)
        assert sorted(groups.get("flow", [])) == sorted(names[f.name].name for f in s.flows)
        assert sorted(groups.get("auxiliary", [])) == sorted(names[p].name
                                                             for p in s.auxiliaries)
        assert bool(groups.get("constant")) == (constants and bool(s.constants))


def test_unknown_sector_names_the_real_ones(mini_model):
    with pytest.raises(UnknownNameError, match="Workforce"):
        sector_svg(mini_model, "Workforc")


def test_every_element_links_to_its_reference_entry(mini_model):
    from sdmodels.dashboard.reference import reference_pages, variable_href

    pages = reference_pages(mini_model)
    for sector in mini_model.sectors:
        svg = sector_svg(mini_model, sector, show_constants=True,
                         href=lambda py: variable_href(mini_model, py))
        root = ET.fromstring(svg)
        for a in root.iter(f"{SVG}a"):
            page, anchor = a.get("href").removeprefix("model-docs/").split("#")
            assert f'id="{anchor}"' in pages[page]
        linked = sum(1 for a in root.iter(f"{SVG}a") for _ in a.iter(f"{SVG}g"))
        assert linked == sum(1 for _ in root.iter(f"{SVG}g"))  # every element is a link
    # an entry says what the equation reads and what reads it, with links
    workforce = pages["workforce.html"]
    entry = workforce.split('id="leavers"', 1)[1].split("</section>", 1)[0]
    assert "its equation reads" in entry and 'href="workforce.html#total_staff"' in entry


def test_reference_pages_escape_model_text(tmp_path, mini_model_path):
    import shutil

    import sdmodels
    from sdmodels.dashboard.reference import reference_pages

    target = tmp_path / "m"
    shutil.copytree(mini_model_path.parent, target)
    mdl = target / mini_model_path.name
    text = mdl.read_text(encoding="utf-8")
    assert "Staff in post." in text
    mdl.write_text(text.replace("Staff in post.", "Staff <script>alert(1)</script> in post.", 1),
                   encoding="utf-8")
    pages = reference_pages(sdmodels.load_model(mdl))
    assert all("<script>" not in page for page in pages.values())
    assert "Staff &lt;script&gt;alert(1)&lt;/script&gt; in post." in pages["workforce.html"]


def test_fit_never_shrinks_text_below_11_px():
    from sdmodels.dashboard.views.model_page import _sized

    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1300 600" width="1300" height="600"><text font-size="13">a</text></svg>'
    fit = _sized(svg, "Fit", 13)
    assert 'min-width:1100px' in fit and 'width="1300"' not in fit
    assert 'style="width:2600px;height:auto"' in _sized(svg, "200%", 13)
