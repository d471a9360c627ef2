"""DATA variables defined cell by cell (``obs[a] :RAW:``, ``obs[b] :INTERPOLATE:``, ``obs[c] =
7``): each data definition takes its cells' columns of the data file with its own keyword, as
Vensim does. PySD builds the last definition's table only and cannot load such a model, so the
compiled values are checked by hand and against PySD's runs of the same data defined over the
whole range with each keyword (``obs[r] :RAW:``, ``obs[r] :INTERPOLATE:``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

HEAD = """{UTF-8}
r: a, b, c
	~	~	|

"""

CELLS = """obs[a] :RAW:
	~	widgets	~	The file's values at its times, NaN in between.
	|

obs[b] :INTERPOLATE:
	~	widgets	~	Linear between the file's times.
	|

obs[c] = 7
	~	widgets	~	An equation: not from the file.
	|

"""

TAIL = """doubled[r] = obs[r] * 2
	~	widgets	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""

TAB = "Time\tobs[a]\tobs[b]\n0\t1\t10\n2\t3\t30\n4\t4\t20\n"


def _write(folder: Path, name: str, body: str) -> Path:
    (folder / "obs.tab").write_text(TAB, encoding="utf-8")
    path = folder / name
    path.write_text(HEAD + body + TAIL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data_cells")


@pytest.fixture(scope="module")
def compiled_cells(folder):
    from sdmodels.compiler import compile_model

    cm = compile_model(_write(folder, "cells.mdl", CELLS), data_files=["obs.tab"])
    return cm, cm.run({}, 1)


def test_cell_by_cell_data_by_hand(compiled_cells) -> None:
    cm, out = compiled_cells
    t = cm.time
    np.testing.assert_array_equal(t, np.arange(0, 4.01, 0.5))
    obs = out["obs"][0]
    # a: raw, the file's values at its times and NaN between them
    np.testing.assert_array_equal(obs[[0, 4, 8], 0], [1, 3, 4])
    assert np.isnan(np.delete(obs[:, 0], [0, 4, 8])).all()
    # b: interpolated between (0, 10), (2, 30), (4, 20)
    np.testing.assert_allclose(obs[:, 1], np.interp(t, [0, 2, 4], [10, 30, 20]), rtol=1e-15)
    # c: its equation
    np.testing.assert_array_equal(obs[:, 2], 7.0)
    np.testing.assert_array_equal(out["doubled"][0][:, 1:], 2 * obs[:, 1:])


@pytest.mark.parametrize(("keyword", "column"), [(":RAW:", 0), (":INTERPOLATE:", 1)])
def test_each_cell_equals_pysd_over_the_whole_range(folder, compiled_cells, keyword, column) -> None:
    import pysd

    whole = f"obs[r] {keyword}\n\t~\twidgets\t~\t|\n\n"
    path = _write(folder, f"whole_{column}.mdl", whole)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pysd.read_vensim(str(path), data_files=[str(folder / "obs.tab")]).run(
            return_columns=["obs"])
    _cm, out = compiled_cells
    expected = ref[f"obs[{'ab'[column]}]"].to_numpy()
    np.testing.assert_array_equal(out["obs"][0][:, column], expected)


def test_cell_by_cell_data_without_a_file_is_a_clear_error(folder) -> None:
    from sdmodels.compiler import compile_model
    from sdmodels.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="'obs' is a data variable without an equation"):
        compile_model(_write(folder, "cells_no_file.mdl", CELLS), cache=False)


def test_load_model_runs_cell_by_cell_data_compiled_and_refuses_pysd(folder, compiled_cells) -> None:
    """``sdmodels.load_model`` describes a model's variables from PySD's model, which PySD loads
    here only without its data: the compiled engine runs it (``auto`` too, with no fallback
    warning), and a PySD run is one error naming the variable and the way out."""
    import warnings

    import sdmodels
    from sdmodels.errors import ModelLoadError

    # every cell a data definition (with obs[c] = 7 PySD's builder already refuses the mix)
    data_only = CELLS[:CELLS.index("obs[c]")] + "obs[c] :RAW:\n\t~\twidgets\t~\t|\n\n"
    path = _write(folder, "cells_model.mdl", data_only)
    # a variable is read from the first file that holds it: every cell's column in one file
    (folder / "obs_all.tab").write_text(
        "Time\tobs[a]\tobs[b]\tobs[c]\n0\t1\t10\t5\n2\t3\t30\t5.5\n4\t4\t20\t6\n",
        encoding="utf-8")
    model = sdmodels.load_model(path, data_files=["obs_all.tab"])
    assert model.variables["obs"].subscripts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the raw cell's NaN between the file's times
        warnings.simplefilter("error", sdmodels.EngineFallbackWarning)
        out = model.run(outputs=["obs"])
    assert out.attrs["engine"] == "compiled"
    _cm, cells = compiled_cells
    np.testing.assert_array_equal(out["obs"].values[:, :2], cells["obs"][0][:, :2])
    np.testing.assert_array_equal(out["obs"].sel(r="c").values[[0, 8]], [5, 6])  # raw
    with pytest.raises(ModelLoadError, match=r"'obs' is a data variable defined cell by cell.*"
                                             r"engine=\"pysd\" cannot run the model"):
        model.run(engine="pysd", outputs=["obs"])


def test_a_data_cell_no_file_gives_a_value_is_a_clear_error(folder) -> None:
    from sdmodels.compiler import compile_model
    from sdmodels.compiler._external import DataFileError

    data_only = CELLS[:CELLS.index("obs[c]")] + "obs[c] :RAW:\n\t~\twidgets\t~\t|\n\n"
    with pytest.raises(DataFileError, match=r"no data file gives 'obs\[c\]' a value"):
        compile_model(_write(folder, "cells_missing.mdl", data_only), data_files=["obs.tab"],
                      cache=False)
