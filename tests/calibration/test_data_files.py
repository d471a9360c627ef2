"""The shipped history data: every value is cited in its data dictionary, and nothing else is."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sdmodels._paths import MODELS_DIR
from sdmodels.calibration import read_data

DATA = MODELS_DIR / "data"
FILES = sorted(DATA.glob("*.csv"))
SERIES_KEYS = {"units", "definition", "publication", "table", "edition", "years", "maps_to"}


def test_there_is_a_file_per_source():
    names = {p.stem for p in FILES}
    assert {"ons_healthcare_productivity", "nhs_workforce", "nurse_leaver_rates", "rtt_waiting_list",
            "nhs_staff_survey", "nhs_spending", "beds_kh03", "agency_spending"} <= names


@pytest.mark.parametrize("csv", FILES, ids=lambda p: p.stem)
def test_every_value_is_cited(csv: Path):
    dictionary = tomllib.loads(csv.with_suffix(".toml").read_text())
    assert dictionary["source_file"] == csv.name
    frame = read_data(csv)
    series = dictionary["series"]
    assert set(series) == set(frame.columns) - {"time"}
    for name, meta in series.items():
        assert SERIES_KEYS <= set(meta), (name, SERIES_KEYS - set(meta))
        cited = {}
        for entry in meta.get("values", []):
            assert entry["source"] and entry["page"].startswith("http"), entry
            assert entry["time"] not in cited, ("cited twice", name, entry["time"])
            cited[entry["time"]] = entry["value"]
        observed = {float(t): float(v) for t, v in zip(frame["time"], frame[name], strict=True)
                    if not math.isnan(v)}
        assert set(observed) == set(cited), (name, set(observed) ^ set(cited))
        for t, v in observed.items():
            assert np.isclose(v, cited[t], rtol=1e-9), (name, t, v, cited[t])


def test_shipped_posterior_belongs_to_the_shipped_calibration_file_and_data():
    from sdmodels.calibration import load_calibration, load_posterior

    spec = load_calibration(MODELS_DIR / "calibration" / "nhs_history.toml")
    post = load_posterior(MODELS_DIR / "calibration" / "nhs_history_posterior.nc")
    assert [str(p) for p in post["parameter"].values] == list(spec.parameter_names)
    assert post.attrs["calibration_sha256"] == spec.text_sha256
    assert post.attrs["data_sha256"] == spec.data_sha256
    assert post.attrs["method"] == "mcmc" and post.sizes["draw"] >= 1000


def test_nhs_priors_are_the_model_files_declared_ranges():
    """The NHS calibration file promises uniform priors over each parameter's range declared in
    the model file: a prior narrower than the range would press the fit against a bound the
    sources do not set (Maximum Process Improvement Rate kept 0.01-0.03 after the model file
    widened its range to 0.01-0.05)."""
    from sdmodels.calibration import load_calibration

    spec = load_calibration(MODELS_DIR / "calibration" / "nhs_history.toml")
    model = spec.model
    wrong = {}
    for prior in spec.priors.parameters:
        info = model.parameters[prior.py_name]
        declared = (info.min, info.max)
        table = prior.distribution.to_dict()
        if table != {"dist": "uniform", "min": declared[0], "max": declared[1]}:
            wrong[prior.name] = (table, declared)
    assert not wrong, wrong
