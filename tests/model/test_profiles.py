"""Profiles: starting points of a run, validated, scaled, and applied through API and CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sdmodels.cli import app
from sdmodels.profiles import (
    Profile,
    ProfileError,
    find_profiles,
    load_profile,
    profile_schema,
)

PROFILES = Path(__file__).resolve().parents[2] / "models" / "profiles"
COLUMNS = ["Total Output", "Expenditure", "Productivity Index", "Waiting List", "Total Staff",
           "Provider Financial Balance"]


@pytest.fixture(scope="module")
def england(nhs) -> Profile:
    return find_profiles(nhs)["england"]


def test_shipped_profiles_are_listed_and_valid(nhs):
    found = find_profiles(nhs)
    assert {"england", "illustrative_ics"} <= set(found)
    assert "_template" not in found and "my_system" not in found
    for prof in [*found.values(), load_profile(PROFILES / "_template.toml")]:
        params = prof.to_params(nhs)  # every key a model constant, every value in range
        assert len(params) == len(prof.entries) >= 20
        assert all(len(e.source) > 10 for e in prof.entries.values())
    assert found["illustrative_ics"].illustrative and not found["england"].illustrative


def test_england_is_the_model_default(nhs, england):
    """Every England value is the model file's own default, so the default run is England."""
    for key, value in england.values.items():
        assert float(nhs.parameters[nhs.resolve(key)].value) == pytest.approx(value), key
    assert not any("to confirm" in e.source.lower() for e in england.entries.values())


def test_bundled_profiles_cite_the_model_files_sources(nhs, england):
    """England's entries cite what the model file's comments cite, and the illustrative ICS and
    the template quote the same after their own note: the model file is where a source is written
    (regenerate the profiles with docs/model/tools/profile_sources.py)."""
    def model_source(key):
        doc = nhs.parameters[nhs.resolve(key)].doc
        return " ".join(doc.split("Source:", 1)[1].split())

    stale = [key for key, entry in england.entries.items() if entry.source != model_source(key)]
    derived = [find_profiles(nhs)["illustrative_ics"], load_profile(PROFILES / "_template.toml")]
    for prof in derived:
        stale += [f"{prof.name}: {key}" for key, entry in prof.entries.items()
                  if not entry.source.endswith("England source: " + model_source(key))]
    assert not stale, f"out of date: run python docs/model/tools/profile_sources.py: {stale}"


def test_profile_keys_have_a_scale_that_fits_their_units(nhs, england):
    for key, entry in england.entries.items():
        units = nhs.parameters[nhs.resolve(key)].units
        if entry.scale == "intensive":
            assert units == "Dmnl", key
        else:
            assert units != "Dmnl" or key == "Programme Scale", key


def test_halving_a_profile_halves_output_and_cost_not_productivity(nhs, england):
    """Halving every stock and flow input halves output and cost; the index stays within 1%."""
    full = nhs.run("baseline", engine="pysd", profile=england, return_columns=COLUMNS)
    half = nhs.run("baseline", engine="pysd", profile=england.scaled(0.5), return_columns=COLUMNS)
    for var in ("total_output", "expenditure", "waiting_list", "total_staff"):
        np.testing.assert_allclose(half[var].values, 0.5 * full[var].values, rtol=0.01)
    np.testing.assert_allclose(half.productivity_index.values, full.productivity_index.values,
                               rtol=0.01)


def test_illustrative_ics_is_england_at_its_population_share(nhs, england):
    ics = find_profiles(nhs)["illustrative_ics"]
    share = ics.values["Programme Scale"]
    assert 0.02 < share < 0.04
    a = nhs.run("combined", engine="compiled", profile=england, return_columns=COLUMNS)
    b = nhs.run("combined", engine="compiled", profile=ics, return_columns=COLUMNS)
    np.testing.assert_allclose(b.total_staff.values, share * a.total_staff.values, rtol=0.01)
    np.testing.assert_allclose(b.productivity_index.values, a.productivity_index.values, rtol=0.01)


def test_profile_sits_under_scenario_and_params(nhs, england):
    """A profile sets starting values; explicit params still win."""
    ds = nhs.run("baseline", engine="pysd", profile=england.scaled(0.5),
                 params={"Initial Nurses": 200000.0}, return_columns=["Nurses"])
    assert float(ds.nurses[0]) == pytest.approx(200000.0)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "local.toml"
    p.write_text('title = "Local"\n' + body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[values."Initial Nurses"]\nvalue = 5000\nscale = "extensive"\n', "source"),
        ('[values."Initial Nurses"]\nvalue = 5000\nscale = "big"\nsource = "NHS Digital 2024"\n',
         "scale"),
        ('[values."Initial Nurses"]\nvalue = "many"\nscale = "extensive"\nsource = "NHS 2024"\n',
         "value"),
        (('colour = "red"\n[values."Initial Nurses"]\nvalue = 5\nscale = "extensive"\n'
          'source = "NHS 2024"\n'), "colour"),
        ('[values."Initial Nurses"\nvalue = 5\n', "malformed TOML"),
    ],
)
def test_malformed_profiles_name_the_key_and_file(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_profile_that_does_not_fit_the_model_is_refused(nhs, tmp_path):
    unknown = _write(tmp_path, '[values."Initial Nurzes"]\nvalue = 5000\nscale = "extensive"\n'
                     'source = "NHS Digital 2024"\n')
    with pytest.raises(ProfileError, match=r"Initial Nurzes.*Initial Nurses"):
        load_profile(unknown).to_params(nhs)
    out_of_range = _write(tmp_path, '[values."Initial Staff Morale"]\nvalue = 7\n'
                          'scale = "intensive"\nsource = "NHS Staff Survey 2023"\n')
    with pytest.raises(ProfileError, match=r"Initial Staff Morale.*outside the declared range"):
        nhs.run("baseline", profile=load_profile(out_of_range), engine="pysd")
    with pytest.raises(ProfileError, match="positive"):
        load_profile(unknown).scaled(-1)


def test_schema_is_published_for_forms():
    schema = profile_schema()
    entry = schema["$defs"]["ProfileEntry"]
    assert set(entry["required"]) == {"value", "scale", "source"}
    assert entry["properties"]["scale"]["enum"] == ["extensive", "intensive"]


def test_cli_lists_profiles_and_runs_with_one(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["profiles"])
    assert listed.exit_code == 0, listed.output
    assert "england" in listed.output and "illustrative_ics" in listed.output
    # the illustrative mark is styled, not printed as markup
    assert "(illustrative)" in listed.output and "[yellow]" not in listed.output
    out = tmp_path / "ics.nc"
    ran = runner.invoke(app, ["run", "--profile", "illustrative_ics", "-s", "baseline",
                              "--no-plot", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert float(ds.total_staff.values.ravel()[0]) < 60_000  # an ICS, not England
    bad = _write(tmp_path, '[values."Initial Nurzes"]\nvalue = 5000\nscale = "extensive"\n'
                 'source = "NHS Digital 2024"\n')
    refused = runner.invoke(app, ["run", "--profile", str(bad), "--no-plot",
                                  "--out", str(tmp_path / "x.nc")])
    assert refused.exit_code == 2
    assert "Initial Nurzes" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "x.nc").exists()
