"""A macro call naming extra outputs (``SMOOTH GAP(x, 2 : the gap)``), Vensim's syntax for binding
a macro's output arguments: PySD's parser refuses the ``:`` in a call, so neither engine can read
the model; loading it is one error naming the call, its line and element, and the fix."""

from __future__ import annotations

import pytest

MODEL = """{UTF-8}
:MACRO: SMOOTH GAP(input, avtime : gap)
SMOOTH GAP = INTEG((input - SMOOTH GAP) / avtime, input)
	~	input	~	|
gap = input - SMOOTH GAP
	~	input	~	|
:END OF MACRO:

x = 5 + STEP(1, 2)
	~	widgets	~	|

y = SMOOTH GAP(x, 2 : the gap)
	~	widgets	~	|

INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 4 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
SAVEPER = TIME STEP ~ Month ~ |
"""


def test_a_macro_call_naming_outputs_is_one_clear_error(tmp_path) -> None:
    import sdmodels
    from sdmodels.compiler import compile_model
    from sdmodels.errors import ModelLoadError

    path = tmp_path / "macro_output_call.mdl"
    path.write_text(MODEL, encoding="utf-8")
    expected = (r"a macro call naming extra outputs, '\(x, 2 : the gap\)' on line 12 "
                r"\(element y\).*neither engine.*define what it named as its own variable")
    with pytest.raises(ModelLoadError, match=expected):
        sdmodels.load_model(path)
    with pytest.raises(ModelLoadError, match=expected):
        compile_model(path, cache=False)
    # without the outputs the call runs (the macro's own output), in both engines
    path.write_text(MODEL.replace("(x, 2 : the gap)", "(x, 2)"), encoding="utf-8")
    model = sdmodels.load_model(path)
    assert model.run(engine="compiled", outputs=["y"])["y"].values[0] == 5.0
