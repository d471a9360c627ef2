"""Declared feedback loops are cycles of the model with the polarity their links' signs give."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sdmodels
from sdmodels.errors import ModelLoadError
from sdmodels.loops import Loop, check_loops, declared_loops, dependency_graph

REPO = Path(__file__).resolve().parents[1]

# Births close a reinforcing loop, deaths a balancing one; crowding makes births fall with the
# population once it passes half the capacity (logistic growth from 10 of 100: it passes 50
# during the run), so the sign of Population -> Crowded Births changes.
POPULATION = """{UTF-8}
Population= INTEG (Births + Crowded Births - Deaths, 10)
	~	Person
	~	A population.
	|
Births= Population * Birth Rate
	~	Person/Year
	~	|
Deaths= Population / Lifetime
	~	Person/Year
	~	|
Crowded Births= Population * (1 - Population / Capacity) * Crowding Rate
	~	Person/Year
	~	|
Birth Rate= 0.05
	~	1/Year [0,1]
	~	|
Lifetime= 40
	~	Year [1,100]
	~	|
Capacity= 100
	~	Person [1,1000]
	~	|
Crowding Rate= 0.8
	~	1/Year [0,2]
	~	|
********************************************************
	.Control
********************************************************~
	|
FINAL TIME  = 2040
	~	Year
	~	|
INITIAL TIME  = 2024
	~	Year
	~	|
SAVEPER  = 1
	~	Year [0,?]
	~	|
TIME STEP  = 0.0625
	~	Year [0,?]
	~	|
"""


def _model(tmp_path: Path, loops: str = "") -> sdmodels.Model:
    path = tmp_path / "population.mdl"
    path.write_text(POPULATION, encoding="utf-8")
    (tmp_path / "population.sdmodels.toml").write_text(textwrap.dedent(loops), encoding="utf-8")
    return sdmodels.load_model(path)


def test_signs_and_polarities_of_a_model_with_known_loops(tmp_path: Path) -> None:
    model = _model(tmp_path)
    graph = dependency_graph(model)
    assert graph["population"] == {"births", "crowded_births", "deaths"}  # the net flow
    assert graph["births"] == {"population", "birth_rate"}
    births = Loop("Births", "R", ("population", "births"), "more people, more births")
    deaths = Loop("Deaths", "B", ("population", "deaths"), "more people, more deaths")
    wrong = Loop("Deaths as R", "R", ("population", "deaths"), "mislabelled")
    crowding = Loop("Crowding", "B", ("population", "crowded_births"), "sign changes")
    unlinked = Loop("No link", "R", ("births", "deaths"), "deaths do not read births")
    b, d, w, c, u = check_loops(model, [births, deaths, wrong, crowding, unlinked])
    assert b.ok and b.polarity == "R" and [lk.sign for lk in b.links] == [1, 1]
    assert d.ok and d.polarity == "B" and [lk.sign for lk in d.links] == [1, -1]
    assert not w.ok and w.polarity == "B"
    assert "declared R (reinforcing) but the links' signs make it B" in w.problems[0]
    assert not c.ok and c.polarity is None
    assert "Population -> Crowded Births: the sign changes during the run" in c.problems
    assert not u.ok and "Deaths does not read Births: not a link of the model" in u.problems[0]


def test_declarations_are_read_and_checked(tmp_path: Path) -> None:
    model = _model(tmp_path, """
        [[loops]]
        name = "Deaths"
        polarity = "B"
        variables = ["Population", "Deaths"]
        story = "More people, more deaths."
    """)
    (loop,) = declared_loops(model)
    assert loop.variables == ("population", "deaths") and loop.scenario is None
    assert sdmodels.load_model(model.path).key_outputs  # the metadata reader accepts [[loops]]


@pytest.mark.parametrize(("table", "message"), [
    ('name = "X"\npolarity = "B"\nvariables = ["Population", "Deaths"]', "missing key(s) ['story']"),
    ('name = "X"\npolarity = "b"\nvariables = ["Population", "Deaths"]\nstory = "s"',
     "write \"R\" (reinforcing) or \"B\" (balancing)"),
    ('name = "X"\npolarity = "B"\nvariables = ["Population"]\nstory = "s"', "at least two"),
    ('name = "X"\npolarity = "B"\nvariables = ["Population", "Dead"]\nstory = "s"', "Dead"),
    ('name = "X"\npolarity = "B"\nvariables = ["Population", "Deaths"]\nstory = "s"\nsign = 1',
     "unknown key(s) ['sign']"),
])
def test_bad_declarations_name_the_problem(tmp_path: Path, table: str, message: str) -> None:
    model = _model(tmp_path, "[[loops]]\n" + table + "\n")
    with pytest.raises(ModelLoadError) as err:
        declared_loops(model)
    assert message in str(err.value)


def test_the_nhs_models_declared_loops_hold() -> None:
    model = sdmodels.load_model(REPO / "models" / "nhs_productivity.mdl")
    checks = check_loops(model)
    assert len(checks) >= 8
    assert {c.loop.polarity for c in checks} == {"R", "B"}
    problems = {c.loop.name: c.problems for c in checks if not c.ok}
    assert not problems, problems


def test_loop_figures_and_table_are_current() -> None:
    """docs/model/loops.md and its figures are what docs/model/tools/loop_figures.py draws now."""
    import importlib.util
    import re

    spec = importlib.util.spec_from_file_location(
        "loop_figures", REPO / "docs" / "model" / "tools" / "loop_figures.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    files, section = tool.render()
    rerun = "out of date: run python docs/model/tools/loop_figures.py"
    page = (REPO / "docs" / "model" / "loops.md").read_text(encoding="utf-8")
    assert page.split(tool.BEGIN, 1)[1].split(tool.END, 1)[0].strip() == section.strip(), rerun
    on_disk = sorted(p.name for p in (REPO / "docs" / "model" / "loops").glob("*.svg"))
    assert on_disk == sorted(Path(rel).name for rel in files), rerun
    for rel, svg in files.items():
        stamp = re.search(r'data-fingerprint="(\w+)"', svg).group(1)
        text = (REPO / "docs" / "model" / rel).read_text(encoding="utf-8")
        assert f'data-fingerprint="{stamp}"' in text, f"{rel} {rerun}"
        # every variable of the figure links to its sector page, which exists
        for href in re.findall(r'href="\.\./([\w-]+\.md)"', text):
            assert (REPO / "docs" / "model" / href).is_file(), href
    overview = files["loops/overview.svg"]
    assert overview.count('class="cld-loop"') == len(files) - 1
    assert 'class="cld-node"' in overview and "<a " in overview
