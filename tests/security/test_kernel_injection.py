"""Hostile model text never runs as code in the generated kernel.

Each test plants a payload that, if it ever reached the kernel source as code,
would create a marker file; the test then compiles the model (fresh and again
from the on-disk cache) and checks that the marker does not exist and that the
kernel still computes the right numbers.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np
import pytest

from sdmodels.compiler import compile_model
from sdmodels.compiler._text import comment_text

MODELS = Path(__file__).parent.parent / "compiler" / "models"


def _payload(marker: Path) -> str:
    return f'open({str(marker)!r}, "w").close()'


def _compile_twice(path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch):
    """Compile without cache, then twice through a fresh on-disk cache (write, then load)."""
    monkeypatch.setenv("SDMODELS_CACHE_DIR", str(cache))
    from sdmodels.compiler import _MEMORY

    fresh = compile_model(path, cache=False)
    _MEMORY.clear()
    written = compile_model(path)
    _MEMORY.clear()
    loaded = compile_model(path)
    assert loaded.cache_hit
    return fresh, written, loaded


@pytest.mark.parametrize(
    "name",
    [
        # the reported attack: x""";<code>;""".mdl (no "/" is possible in a file name)
        'x""";open("MARKER_file_name","w");""".mdl',
        "x'''\nopen('MARKER_file_name','w')\n'''.mdl",
        # an encoding declaration in the first line would change how the kernel is read
        "x -*- coding: utf-7 -*- .mdl",
    ],
)
def test_file_name_with_quotes_runs_nothing(tmp_path, monkeypatch, name):
    marker = tmp_path / "MARKER_file_name"
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    shutil.copy(MODELS / "exponential_decay.mdl", path)
    models = _compile_twice(path, tmp_path / "cache", monkeypatch)
    assert not marker.exists()
    source = models[-1].source
    tree = ast.parse(source)
    # the file name is a comment and the docstring, and nothing else
    assert ast.get_docstring(tree).startswith(f"Compiled batch kernel for {name} ")
    for cm in models:
        out = cm.run({}, 1)
        stock = np.asarray(out["stock"])[0]
        assert stock[0] == pytest.approx(100.0)
        # Euler: S(t) = 100 * (1 - 0.2 * 0.25) ** (t / 0.25)
        assert stock[-1] == pytest.approx(100.0 * 0.95**40)


# without this filter the test would pass on a vulnerable kernel: numba warns about the
# object-mode block and warnings are errors in the tests
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaWarning")
def test_xmile_element_name_with_newline_runs_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER_xmile_name"
    text = (MODELS / "nonnegative_stock.xmile").read_text(encoding="utf-8")
    payload = _payload(marker).replace('"', "&quot;").replace("'", "&apos;")
    # a name whose newlines plus indentation would inject statements into the jitted body;
    # numba's objmode block runs plain Python there
    hostile = f"supply&#10;    with numba.objmode():&#10;        {payload}&#10;    #"
    text = text.replace('<aux name="supply">', f'<aux name="{hostile}">')
    text = text.replace("<eqn>supply - demand + TIME</eqn>", "<eqn>2 - demand + TIME</eqn>")
    text = text.replace("<eqn>supply</eqn>", "<eqn>2</eqn>")
    assert hostile in text
    path = tmp_path / "hostile.xmile"
    path.write_text(text, encoding="utf-8")
    models = _compile_twice(path, tmp_path / "cache", monkeypatch)
    assert not marker.exists()
    for cm in models:
        out = cm.run({}, 1)
        assert np.isfinite(np.asarray(out["inventory"])).all()
    assert not marker.exists()
    # every comment line of the kernel is one line: no line of the source starts with the payload
    for line in models[-1].source.splitlines():
        assert not line.lstrip().startswith("open(")


def test_vensim_names_and_units_with_quotes_run_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER_mdl_name"
    text = (MODELS / "exponential_decay.mdl").read_text(encoding="utf-8")
    code = _payload(marker).replace('"', "'")
    quotes = '\\"' * 3  # three escaped double quotes inside a quoted Vensim name
    text = text.replace("decay rate", f'"decay rate {quotes} ; {code} ; {quotes}"')
    text = text.replace("~\t1/Month [0.05,0.5]", f"~\t1/Month''' \"\"\" ; {code} ; \"\"\" [0.05,0.5]")
    assert text.count(code) == 4
    path = tmp_path / "names.mdl"
    path.write_text(text, encoding="utf-8")
    models = _compile_twice(path, tmp_path / "cache", monkeypatch)
    for cm in models:
        stock = np.asarray(cm.run({}, 1)["stock"])[0]
        assert stock[-1] == pytest.approx(100.0 * 0.95**40)
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    ["a\nb", "a\rb", "a\r\nb", "a\x0bb", "a\x0cb", "a\x1cb", "a\x85b", "a\u2028b", "a\u2029b", "a\x00b"],
)
def test_comment_text_is_one_line(text):
    line = "# " + comment_text(text)
    assert len(line.splitlines()) == 1
    tree = ast.parse(f"{line}\nx = 1\n")
    assert len(tree.body) == 1


def test_comment_text_never_declares_an_encoding():
    import re

    cookie = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
    for text in ["coding: utf-7", "CODING=latin-1", "x -*- coding:utf-7 -*-"]:
        assert not cookie.match("# " + comment_text(text))
