"""Fuzzing the inputs: random bytes, truncations and mutations of the shipped files.

The property, for every example: a clear sdmodels error (an ``SDModelsError``, whose
message names the file) or a correct load/run; never another exception (a traceback on
the command line), never a result file left half-written. The examples are bounded
(``max_examples`` small, derandomised) so that the suite takes about a minute in CI.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sdmodels
from sdmodels._paths import MODELS_DIR
from sdmodels.cli import app
from sdmodels.errors import NumericalWarning, SDModelsError

DECAY = Path(__file__).parent.parent / "data" / "decay" / "decay.mdl"
NHS = MODELS_DIR / "nhs_productivity.mdl"
SCENARIO = MODELS_DIR / "scenarios" / "agility_first.toml"
UNCERTAINTY = MODELS_DIR / "uncertainty" / "nhs_productivity.toml"

#: Examples per test (12 in CI); ``SDMODELS_FUZZ_EXAMPLES=500`` for a longer, random search.
EXAMPLES = int(os.environ.get("SDMODELS_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 12, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: Characters that matter to the Vensim, TOML and Python grammars.
SPECIAL = st.sampled_from(list('"\'\\|~=()[]{}:,;#\n\r\t*/+-<>!&^%$@`') + ["\x00", "é", "\u2028",
                                                                          '"""', "]]", "nan"])


@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory):
    old = os.environ.get("SDMODELS_CACHE_DIR")
    os.environ["SDMODELS_CACHE_DIR"] = str(tmp_path_factory.mktemp("fuzz-cache"))
    yield
    if old is None:
        os.environ.pop("SDMODELS_CACHE_DIR", None)
    else:
        os.environ["SDMODELS_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def nhs() -> sdmodels.Model:
    return sdmodels.load_model(NHS)


def mutate(data: bytes, edits: list[tuple[int, int, str]]) -> bytes:
    """Apply (position, deleted length, inserted text) edits, positions taken modulo the size."""
    out = bytearray(data)
    for pos, delete, insert in edits:
        at = pos % (len(out) + 1)
        out[at : at + delete] = insert.encode("utf-8")
    return bytes(out)


EDITS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 8),
              st.one_of(SPECIAL, st.text(max_size=6))),
    min_size=1, max_size=4,
)


def _load_and_run(path: Path) -> None:
    """Load and run a model: a clear error or finite, labelled results."""
    try:
        model = sdmodels.load_model(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumericalWarning)  # a mutated divisor may reach 0
            warnings.simplefilter("ignore", sdmodels.EngineFallbackWarning)
            ds = model.run()
    except SDModelsError as exc:
        assert path.name in str(exc) or "scenario" in str(exc) or str(exc)
        return
    assert "time" in ds.dims


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_model_file(work, data):
    for suffix in (".mdl", ".xmile"):
        path = work / f"random{suffix}"
        path.write_bytes(data)
        try:
            sdmodels.load_model(path)
        except SDModelsError:
            pass


@FUZZ
@given(edits=EDITS)
def test_mutated_small_model(work, edits):
    path = work / "mutated.mdl"
    path.write_bytes(mutate(DECAY.read_bytes(), edits))
    _load_and_run(path)


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 4))
@given(fraction=st.floats(0.0, 1.0))
def test_truncated_shipped_model(work, fraction):
    data = NHS.read_bytes()
    path = work / "truncated.mdl"
    path.write_bytes(data[: int(len(data) * fraction)])
    try:
        sdmodels.load_model(path)
    except SDModelsError:
        pass


@FUZZ
@given(edits=EDITS)
def test_mutated_shipped_scenario(work, nhs, edits):
    path = work / "scenario.toml"
    path.write_bytes(mutate(SCENARIO.read_bytes(), edits))
    try:
        sdmodels.load_scenario(path).to_params(nhs)
    except SDModelsError:
        pass


@FUZZ
@given(edits=EDITS)
def test_mutated_shipped_uncertainty_file(work, nhs, edits):
    path = work / "uncertainty.toml"
    path.write_bytes(mutate(UNCERTAINTY.read_bytes(), edits))
    try:
        spec = sdmodels.load_uncertainty(path, nhs)
        spec.sample(8, seed=0)
    except SDModelsError:
        pass


@settings(FUZZ, max_examples=max(EXAMPLES * 2 // 3, 8))
@given(edits=EDITS)
def test_command_line_never_leaves_a_half_written_file(work, edits):
    """A mutated scenario through ``sdmodels run``: exit 0 with a complete file, or exit 2 with
    none; the folder never holds a temporary or partial file."""
    folder = work / "cli"
    folder.mkdir(exist_ok=True)
    for p in folder.iterdir():
        p.unlink()
    scenario = work / "cli-scenario.toml"
    scenario.write_bytes(mutate((DECAY.parent / "scenarios" / "refill.toml").read_bytes(), edits))
    out = folder / "r.nc"
    result = CliRunner().invoke(app, ["run", str(DECAY), "-s", str(scenario), "--no-plot",
                                      "--out", str(out)], catch_exceptions=True)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        import xarray as xr

        assert [p.name for p in folder.iterdir()] == ["r.nc"]
        xr.load_dataset(out)
    else:
        assert list(folder.iterdir()) == []
