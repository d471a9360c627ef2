"""Model metadata beside the model file: key outputs and better directions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import sdmodels
from sdmodels.errors import ModelLoadError, UnknownNameError
from sdmodels.metadata import metadata_path


@pytest.fixture()
def decay_with(tmp_path: Path, decay_path: Path):
    """The decay model copied with a metadata file of the given text."""

    def make(text: str | None):
        target = tmp_path / "decay"
        shutil.copytree(decay_path.parent, target, dirs_exist_ok=True)
        model_file = target / "decay.mdl"
        if text is not None:
            metadata_path(model_file).write_text(text)
        return sdmodels.load_model(model_file)

    return make


def test_without_a_file_stocks_are_key_outputs_and_nothing_is_better(decay_with) -> None:
    m = decay_with(None)
    assert m.key_outputs == ["stock"]
    assert m.better_direction("stock") is None
    assert m.metadata.path is None


def test_the_file_sets_key_outputs_and_directions(decay_with) -> None:
    m = decay_with('key_outputs = ["Stock"]\n[better]\nStock = "lower"\n')
    assert m.key_outputs == ["stock"]
    assert m.better_direction("Stock") == -1
    ds = m.run()
    assert ds["stock"].attrs["better"] == "lower"


@pytest.mark.parametrize(
    ("text", "match"),
    [('colour = "red"\n', "unknown key"),
     ('[better]\nStock = "up"\n', "higher.*lower"),
     ("key_outputs = [1]\n", "variable names"),
     ("key_outputs = [\n", "malformed TOML")],
)
def test_bad_files_are_refused_with_the_file_named(decay_with, text, match) -> None:
    m = decay_with(text)
    with pytest.raises(ModelLoadError, match=match) as info:
        _ = m.metadata
    assert "decay.sdmodels.toml" in str(info.value)


def test_unknown_names_are_refused(decay_with) -> None:
    m = decay_with('[better]\n"No Such Thing" = "higher"\n')
    with pytest.raises(UnknownNameError, match="decay.sdmodels.toml"):
        _ = m.metadata


def test_the_nhs_model_declares_its_directions() -> None:
    m = sdmodels.load_model()
    assert m.better_direction("Productivity Index") == 1
    assert m.better_direction("Funding Gap") == -1
    assert set(m.key_outputs) <= set(m.variables)
