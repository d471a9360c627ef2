"""DATA variables written with no equation and no keyword (``observed ~ widgets ~ |``): Vensim
reads them as data variables interpolated between the data file's times ("Interpolating a value
(the default)", Vensim Help, Data Equations). PySD's grammar needs the keyword; the model is read
as if ``:INTERPOLATE:`` were written, by both engines, so compiled == PySD and both equal the
model with the keyword written out.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import sdmodels

from .conftest import PROJECT_MODELS_DIR, TEST_MODELS_DIR, run_both_engines

MODEL = """{{UTF-8}}
region: north, south
	~	~	|

observed{kw}
	~	widgets	~	A data variable: no equation{doc}.
	|

by region[region]{kw}
	~	widgets	~	Subscripted, no equation{doc}.
	|

total = observed + SUM(by region[region!])
	~	widgets	~	|

stock = INTEG(observed, 0)
	~	widgets Month	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""

CSV = "Time,observed,by region[north],by region[south]\n0,1,10,0\n2,3,30,2\n4,4,20,2\n"
OUTPUTS = ["observed", "by region", "total", "stock"]


def _model(folder: Path, name: str, keyword: str) -> sdmodels.Model:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "observed.csv").write_text(CSV, encoding="utf-8")
    path = folder / name
    path.write_text(MODEL.format(kw=keyword, doc=(" but" + keyword) if keyword else ""),
                    encoding="utf-8")
    return sdmodels.load_model(path, data_files=["observed.csv"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keywordless")
    bare = run_both_engines(_model(folder / "bare", "bare.mdl", ""), OUTPUTS)
    written = run_both_engines(_model(folder / "kw", "written.mdl", " :INTERPOLATE:"), OUTPUTS)
    return bare, written


def test_keywordless_data_by_hand(runs) -> None:
    (_pysd, compiled), _ = runs
    assert compiled.attrs["engine"] == "compiled"
    t = compiled["time"].values
    np.testing.assert_allclose(compiled["observed"].values, np.interp(t, [0, 2, 4], [1, 3, 4]),
                               rtol=1e-15)
    np.testing.assert_allclose(compiled["by_region"].sel(region="north").values,
                               np.interp(t, [0, 2, 4], [10, 30, 20]), rtol=1e-15)
    # Euler: the stock adds observed * 0.5 at each step
    np.testing.assert_allclose(compiled["stock"].values[1:],
                               np.cumsum(compiled["observed"].values[:-1] * 0.5), rtol=1e-14)


def test_keywordless_data_compiled_equals_pysd_and_the_written_keyword(runs) -> None:
    (pysd_bare, compiled_bare), (pysd_kw, compiled_kw) = runs
    assert pysd_bare.attrs["engine"] == "pysd"
    for name in ("observed", "by_region", "total", "stock"):
        np.testing.assert_allclose(compiled_bare[name].values, pysd_bare[name].values,
                                   rtol=1e-12, err_msg=name)
        np.testing.assert_array_equal(compiled_bare[name].values, compiled_kw[name].values)
        np.testing.assert_array_equal(pysd_bare[name].values, pysd_kw[name].values)


def test_keywordless_data_without_a_file_is_a_clear_error(tmp_path) -> None:
    from sdmodels.compiler import compile_model
    from sdmodels.errors import ModelLoadError

    path = tmp_path / "bare.mdl"
    path.write_text(MODEL.format(kw="", doc=""), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="'observed' is a data variable without an equation"):
        compile_model(path, cache=False)


@pytest.mark.parametrize("path", sorted([*TEST_MODELS_DIR.glob("*.mdl"), *PROJECT_MODELS_DIR.glob("*.mdl")]),
                         ids=lambda p: p.name)
def test_every_other_equation_is_parsed_as_pysd_parses_it(path) -> None:
    """Reading keywordless data changes nothing else: the abstract model of every test and
    project model is PySD's own."""
    from pysd.translators.vensim.vensim_file import VensimFile

    from sdmodels.compiler._translate import parse_vensim

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = VensimFile(path)
        parse_vensim(ours)
        theirs = VensimFile(path)
        theirs.parse()
        assert repr(ours.get_abstract_model()) == repr(theirs.get_abstract_model())


@pytest.mark.parametrize("engine", ["pysd", "auto"])
def test_a_run_without_the_data_file_names_the_variable_in_either_engine(tmp_path, engine) -> None:
    """Without ``data_files`` a run names the data variable and the fix: under PySD too, where
    PySD's own error is a ValueError from inside its Data object."""
    from sdmodels.errors import ModelLoadError

    path = tmp_path / "bare.mdl"
    path.write_text(MODEL.format(kw="", doc=""), encoding="utf-8")
    model = sdmodels.load_model(path)
    with pytest.raises(ModelLoadError, match=r"'observed' is a data variable without an equation"
                                             r".*data_files=\[\.\.\.\]"):
        model.run(engine=engine, outputs=["stock"])
