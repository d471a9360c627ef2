"""GET TIME VALUE in calendar measures (``0 or 1, offset, 1-10``): PySD raises NotImplementedError
for them, so ``engine="auto"`` does not fall back to a PySD run that would fail mid-run: it is one
"neither engine supports" error naming the form, the element and the reason. The computer's
clock (``2, 0, 1-10``), which PySD reads, still falls back with one warning."""

from __future__ import annotations

import warnings

import pytest

import sdmodels

from .conftest import TEST_MODELS_DIR

MODEL = TEST_MODELS_DIR / "get_time_value.mdl"


def _model(tmp_path, form: str) -> sdmodels.Model:
    text = MODEL.read_text(encoding="utf-8").replace("GET TIME VALUE( 0 , -1.5 , 0 )",
                                                     f"GET TIME VALUE({form})")
    assert form in text
    path = tmp_path / "calendar.mdl"
    path.write_text(text, encoding="utf-8")
    return sdmodels.load_model(path)


@pytest.mark.parametrize(("form", "shown"), [("0, 0, 3", "0, offset, 3"), ("1, 0, 1", "1, offset, 1")])
def test_calendar_measures_are_refused_by_both_engines_under_auto(tmp_path, form, shown) -> None:
    from sdmodels.compiler import UnsupportedFeature

    model = _model(tmp_path, form)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sdmodels.EngineFallbackWarning)  # no fallback
        with pytest.raises(UnsupportedFeature,
                           match=rf"neither engine supports GET TIME VALUE\({shown}\).*'back'"
                                 r".*date labelling of Time"):
            model.run(engine="auto")


def test_the_clock_falls_back_to_pysd_with_one_warning(tmp_path) -> None:
    model = _model(tmp_path, "2, 0, 1")
    with pytest.warns(sdmodels.EngineFallbackWarning, match="computer clock.*a constant"):
        out = model.run(engine="auto", outputs=["back"])
    assert out.attrs["engine"] == "pysd"
