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
