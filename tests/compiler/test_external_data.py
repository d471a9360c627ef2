"""GET DIRECT/XLS CONSTANTS, LOOKUPS, DATA and SUBSCRIPT: files beside the model, in both engines.

Each test writes a small ``.xlsx`` (openpyxl) and ``.csv`` next to a model in a temporary folder, so
the files are found only if they are resolved relative to the model file (PySD's translation lives in
a cache folder elsewhere). Values are hand-checked, the two engines compared, a missing file must be
a clear error naming the element, the file and the folder, and a changed file must reach the kernel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

MODEL = """{UTF-8}
region:
	GET DIRECT SUBSCRIPT('regions.csv', ',', 'A1', 'C1', '')
	~	~	Regions read from a CSV file.
	|

growth = GET DIRECT CONSTANTS('inputs.xlsx', 'inputs', 'B1')
	~	1/Month	~	|

capacity[region] = GET DIRECT CONSTANTS('inputs.xlsx', 'inputs', 'B2*')
	~	widgets	~	Read down column B from B2.
	|

effect table = GET DIRECT LOOKUPS('inputs.xlsx', 'inputs', '6', 'B7')
	~	dmnl	~	x in row 6, y in row 7.
	|

demand := GET DIRECT DATA('inputs.xlsx', 'inputs', 'A', 'B10')
	~	widgets	~	Times in column A from row 10, values in column B.
	|

rate = GET DIRECT CONSTANTS('rates.csv', ',', 'B1')
	~	dmnl	~	|

effect = effect table(Time / 2)
	~	dmnl	~	|

total capacity = SUM(capacity[region!]) * (1 + growth * Time)
	~	widgets	~	|

stock = INTEG(demand * rate - stock * growth, 10)
	~	widgets	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""


def write_inputs(folder: Path, *, growth: float = 0.05) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "inputs"
    ws["A1"], ws["B1"] = "growth", growth
    for row, value in zip((2, 3, 4), (10.0, 20.0, 30.0)):
        ws.cell(row=row, column=2, value=value)
    for col, (x, y) in enumerate([(0, 1.0), (1, 1.5), (2, 3.0), (3, 2.0)], start=2):
        ws.cell(row=6, column=col, value=x)
        ws.cell(row=7, column=col, value=y)
    for row, (t, v) in enumerate([(0, 100.0), (2, 120.0), (4, 90.0)], start=10):
        ws.cell(row=row, column=1, value=t)
        ws.cell(row=row, column=2, value=v)
    wb.save(folder / "inputs.xlsx")
    (folder / "rates.csv").write_text("rate,0.25\n", encoding="utf-8")
    (folder / "regions.csv").write_text("north,south,east\n", encoding="utf-8")
    path = folder / "model.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return write_inputs(tmp_path)


def test_compiled_engine_reads_files_beside_the_model(model_path: Path) -> None:
    from sdmodels.compiler import compile_model

    cm = compile_model(model_path)
    assert cm.dims["capacity"] == (("region", ("north", "south", "east")),)
    np.testing.assert_array_equal(cm.defaults["capacity"], [10.0, 20.0, 30.0])
    assert cm.defaults["growth"] == 0.05 and cm.defaults["rate"] == 0.25
    out = cm.run({}, 1)
    t = np.arange(5.0)
    np.testing.assert_allclose(out["demand"][0], [100, 110, 120, 105, 90])  # linear in time
    np.testing.assert_allclose(out["effect"][0], [1.0, 1.25, 1.5, 2.25, 3.0])  # table at t / 2
    np.testing.assert_allclose(out["total_capacity"][0], 60 * (1 + 0.05 * t))
    # data files are model inputs like constants: overridable per sample
    out = cm.run({"growth": [0.0, 0.1]}, 2)
    np.testing.assert_allclose(out["total_capacity"][:, -1], [60.0, 60 * 1.4])


def test_pysd_engine_reads_files_beside_the_model_and_equals_compiled(model_path: Path) -> None:
    import sdmodels

    model = sdmodels.load_model(model_path)
    ref = model.run(engine="pysd")
    fast = model.run(engine="compiled")
    for name in ("demand", "effect", "stock", "total_capacity", "capacity"):
        np.testing.assert_allclose(fast[name].values, ref[name].values, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(ref["demand"].values.ravel(), [100, 110, 120, 105, 90])


@pytest.mark.parametrize("engine", ["compiled", "pysd"])
def test_missing_file_names_element_file_and_folder(tmp_path: Path, engine: str) -> None:
    from sdmodels.compiler import compile_model
    from sdmodels.compiler._external import DataFileError

    path = write_inputs(tmp_path)
    (tmp_path / "rates.csv").unlink()
    with pytest.raises(DataFileError) as info:
        if engine == "compiled":
            compile_model(path)
        else:
            import sdmodels

            sdmodels.load_model(path).run(engine="pysd")
    message = str(info.value)
    assert "'rate'" in message and "rates.csv" in message and str(tmp_path) in message


def test_changed_data_file_reaches_the_kernel(tmp_path: Path) -> None:
    from sdmodels.compiler import compile_model

    path = write_inputs(tmp_path)
    first = compile_model(path)
    assert first.defaults["growth"] == 0.05
    write_inputs(tmp_path, growth=0.2)
    second = compile_model(path)
    assert second.key != first.key
    assert second.defaults["growth"] == 0.2
