"""Synthetic recovery: simulate the logistic model with known parameters, add noise of known
scale, calibrate, and check that the truth comes back."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from sdmodels.calibration import (
    CalibrationError,
    CalibrationWarning,
    Evaluator,
    calibrate,
    load_calibration,
    log_density,
    posterior_draws,
    series_log_likelihood,
)
from sdmodels.uncertainty import (
    PERT,
    Beta,
    LogNormal,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from .conftest import HARVEST_SD, HERE, TRUTH, write_case

pytestmark = pytest.mark.filterwarnings("ignore::sdmodels.calibration.CalibrationWarning")


def test_evaluator_matches_run_batch(logistic):
    """The populations a fit runs are exactly the public batch runs of the same parameters."""
    spec = load_calibration(HERE / "logistic.toml")
    ev = Evaluator(spec)
    values = np.array([[0.3, 800.0, 4.0], [0.6, 1500.0, 4.0], [0.45, 999.0, 1.0]])
    fast = ev.trajectories(values)
    ds = ev.dataset(values)
    np.testing.assert_allclose(fast["population"], ds["population"].values, rtol=1e-12)
    np.testing.assert_allclose(fast["harvest"], ds["harvest"].values, rtol=1e-12)
    np.testing.assert_array_equal(ev.saved_times, ds["time"].values)


def test_likelihoods_match_scipy():
    spec = load_calibration(HERE / "logistic.toml")
    s = spec.series[0]
    sim = np.vstack([s.values + 3.0, s.values * 1.01])
    ll = series_log_likelihood(s, sim)
    expected = [stats.norm.logpdf(s.values, loc=row, scale=20.0).sum() for row in sim]
    np.testing.assert_allclose(ll, expected)
    t = type(s)(**{**s.__dict__, "error": "student_t", "df": 3.0})
    expected = [stats.t.logpdf(s.values, 3.0, loc=row, scale=20.0).sum() for row in sim]
    np.testing.assert_allclose(series_log_likelihood(t, sim), expected)
    pos = sim[:, 1:]
    ln = type(s)(**{**s.__dict__, "error": "lognormal", "values": s.values[1:] + 100,
                    "times": s.times[1:], "weight": 2.0})
    expected = [2 * stats.lognorm.logpdf(ln.values, 0.5, scale=row + 100).sum() for row in pos]
    np.testing.assert_allclose(series_log_likelihood(ln, pos + 100, 0.5), expected)
    assert series_log_likelihood(ln, -pos, 0.5)[0] == -np.inf


@pytest.mark.parametrize("dist", [
    Uniform(min=1.0, max=3.0), Triangular(min=0.0, mode=0.2, max=1.0), Normal(mean=1.0, sd=2.0),
    TruncatedNormal(mean=0.5, sd=0.3, min=0.0, max=1.0), LogNormal(mu=0.1, sigma=0.4),
    Beta(alpha=2.0, beta=5.0, min=1.0, max=3.0), PERT(min=0.0, mode=0.3, max=1.0),
])
def test_prior_density_matches_the_uncertainty_distributions(dist):
    """The density used for priors is the derivative of the uncertainty code's CDF: 1/ppf'(u)."""
    u = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    h = 1e-6
    slope = (dist.ppf(u + h) - dist.ppf(u - h)) / (2 * h)
    np.testing.assert_allclose(np.exp(log_density(dist, dist.ppf(u))), 1 / slope, rtol=1e-4)


def test_optimiser_recovers_truth_within_5_percent(tmp_path, truth_run):
    series = ('[series."Population"]\nerror = "normal"\nscale = 20.0\n\n'
              '[series."Harvest"]\nerror = "normal"\nscale = "estimate"\n')
    path = write_case(tmp_path, truth_run, seed=7, series=series)
    ds = calibrate(path, method="optimize", seed=3)
    best = ds["best"]
    for name, value in TRUTH.items():
        assert float(best.sel(parameter=name)) == pytest.approx(value, rel=0.05)
    # the estimated noise scale is of the right size (31 points: within a factor 1.5)
    assert HARVEST_SD / 1.5 < float(best.sel(parameter="scale[Harvest]")) < HARVEST_SD * 1.5
    stats_ = ds["fit_statistics"].sel(series="Population")
    assert float(stats_.sel(statistic="r2")) > 0.99
    assert float(stats_.sel(statistic="uc")) > 0.5  # the error is noise, not bias
    assert ds.attrs["method"] == "optimize" and ds.sizes["draw"] == 1


def test_mcmc_90_percent_intervals_cover_truth(tmp_path, truth_run):
    # (data set 11 puts the true carrying capacity at its posterior's 95th percentile, so its
    # 90% interval misses it by a hair: a property of that noise draw, which any correct sampler
    # shares; coverage itself is tested over 20 data sets below)
    path = write_case(tmp_path, truth_run, seed=12)
    ds = calibrate(path, method="mcmc", seed=5, walkers=16, steps=600)
    post = ds["posterior"]
    for name, value in TRUTH.items():
        lo, hi = np.quantile(post.sel(parameter=name).values, [0.05, 0.95])
        assert lo < value < hi, (name, lo, hi)
    assert float(ds["r_hat"].max()) < 1.05
    assert ds.sizes["draw"] == 16 * 300
    assert set(ds["walker"].values) == set(range(16))
    assert ds.attrs["seed"] == 5 and ds.attrs["method"] == "mcmc"


def test_mcmc_coverage_over_20_seeds_is_near_nominal(tmp_path, truth_run):
    """40 intervals (2 parameters × 20 data sets): a correct sampler covers ~36 of them; the
    chance of 30 or fewer is under 2%, while intervals half as wide as they should be would
    cover about 24."""
    covered = total = 0
    for seed in range(20):
        folder = tmp_path / f"s{seed}"
        folder.mkdir()
        path = write_case(folder, truth_run, seed=100 + seed)
        ds = calibrate(path, method="mcmc", seed=seed, walkers=12, steps=300)
        for name, value in TRUTH.items():
            lo, hi = np.quantile(ds["posterior"].sel(parameter=name).values, [0.05, 0.95])
            covered += int(lo < value < hi)
            total += 1
    assert total == 40
    assert 31 <= covered <= 40, covered


def test_same_seed_same_result(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=2)
    a = calibrate(path, method="mcmc", seed=9, walkers=8, steps=40)
    b = calibrate(path, method="mcmc", seed=9, walkers=8, steps=40)
    np.testing.assert_array_equal(a["posterior"].values, b["posterior"].values)
    c = calibrate(path, method="mcmc", seed=10, walkers=8, steps=40)
    assert not np.array_equal(a["posterior"].values, c["posterior"].values)


def test_short_chain_warns_not_converged(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=2)
    with pytest.warns(CalibrationWarning, match="not converged"):
        ds = calibrate(path, method="mcmc", seed=1, walkers=8, steps=20, init="prior")
    assert ds.attrs["converged"] == 0
    assert "not converged" in ds.attrs["message"]


def test_result_file_is_complete_and_atomic(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=2)
    out = tmp_path / "post.nc"
    calibrate(path, method="mcmc", seed=1, walkers=8, steps=60, out=out)
    ds = xr.load_dataset(out)
    assert ds["posterior"].dims == ("draw", "parameter")
    for key in ("calibration_sha256", "data_sha256", "model_sha256", "seed", "calibration_text"):
        assert key in ds.attrs
    spec = load_calibration(path)
    assert ds.attrs["calibration_sha256"] == spec.text_sha256
    assert ds.attrs["data_sha256"] == spec.data_sha256
    assert {"ess_bulk", "r_hat", "autocorr_time", "fit_statistics", "band"} <= set(ds)
    before = out.read_bytes()

    def interrupt(_n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(path, method="mcmc", seed=2, walkers=8, steps=60, out=out, advance=interrupt)
    assert out.read_bytes() == before  # the earlier result is kept, nothing half-written
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_posterior_draws_are_rows_of_the_posterior(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=2)
    ds = calibrate(path, method="mcmc", seed=1, walkers=8, steps=60)
    df = posterior_draws(ds, 500, seed=4)
    stored = ds["posterior"].values
    rows = df.attrs["rows"]
    np.testing.assert_array_equal(df[["growth_rate", "carrying_capacity"]].values, stored[rows])


def test_growth_rate_series_and_time_series_inputs(tmp_path, truth_run, logistic):
    """A series of growth rates is compared with the simulated growth over the period before each
    time, and an input column drives the model through the kernel's time-series interpolation."""
    (tmp_path / "inputs.csv").write_text("time,share\n0,0.2\n10,0.4\n30,0.4\n")
    path = write_case(tmp_path, truth_run, seed=1, series=(
        '[series."Population"]\nerror = "normal"\nscale = 0.01\ntransform = "growth_rate"\n\n'
        '[series."Harvest"]\nerror = "normal"\nscale = 5.0\n'))
    text = path.read_text().replace('data = "data.csv"', 'data = ["data.csv", "inputs.csv"]')
    path.write_text(text + '\n[inputs."Harvest Share"]\ncolumn = "share"\n')
    spec = load_calibration(path)
    ev = Evaluator(spec)
    x = np.array([[0.4, 1000.0]])
    sims = ev.simulate(x)
    traj = ev.trajectories(x)
    pop = traj["population"][0]
    t = ev.saved_times
    growth = sims[0][0]
    times = spec.series[0].times
    np.testing.assert_allclose(growth, np.interp(times, t, pop) / np.interp(times - 1, t, pop) - 1)
    share = np.interp(t, [0, 10, 30], [0.2, 0.4, 0.4])
    np.testing.assert_allclose(traj["harvest"][0], share * pop, rtol=1e-9)


def test_result_attrs_name_files_without_their_folders(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=2)
    ds = calibrate(path, method="optimize", seed=0, maxiter=5)
    assert ds.attrs["data_file"] == "data.csv"
    assert str(tmp_path) not in ds.attrs["data_file"] + ds.attrs["calibration_file"]


def test_window_series_are_compared_as_window_means(tmp_path, truth_run):
    """With ``window``, each observation is the mean of the simulation over the window centred on
    its time (as a financial year's figure), for levels and for growth between two windows; a
    point reading of the same run differs."""
    path = write_case(tmp_path, truth_run, seed=1, series=(
        '[series."Population"]\nerror = "normal"\nscale = 0.01\ntransform = "growth_rate"\n'
        'window = 1.0\n\n'
        '[series."Harvest"]\nerror = "normal"\nscale = 5.0\nwindow = 2.0\n'))
    spec = load_calibration(path)
    assert [s.window for s in spec.series] == [1.0, 2.0]
    ev = Evaluator(spec)
    x = np.array([[0.4, 1000.0]])
    growth, harvest = ev.simulate(x)
    traj = ev.trajectories(x)
    t = ev.saved_times
    fine = np.linspace(t[0], t[-1], 200_001)

    def mean(var, lo, hi):  # the exact mean of the piecewise linear run over [lo, hi]
        keep = (fine >= lo) & (fine <= hi)
        return np.interp(fine[keep], t, traj[var][0]).mean()

    s0, s1 = spec.series
    checked = 0
    for i, ti in enumerate(s0.times):
        if ti - 1.5 < t[0] or ti + 0.5 > t[-1]:
            continue  # the window leaves the run (the ends are held there)
        checked += 1
        expected = mean("population", ti - 0.5, ti + 0.5) / mean("population", ti - 1.5, ti - 0.5) - 1
        assert growth[0][i] == pytest.approx(expected, rel=1e-3, abs=1e-6)
    assert checked >= 5
    inner = (s1.times - 1 >= t[0]) & (s1.times + 1 <= t[-1])
    for i in np.flatnonzero(inner):
        assert harvest[0][i] == pytest.approx(mean("harvest", s1.times[i] - 1, s1.times[i] + 1),
                                              rel=1e-4)
    point = np.interp(s1.times[inner], t, traj["harvest"][0])
    assert np.max(np.abs(harvest[0][inner] / point - 1)) > 1e-3
    cont = ev.continuous(x)[1][0]
    j = np.flatnonzero((t - 1 >= t[0]) & (t + 1 <= t[-1]))[3]
    assert cont[j] == pytest.approx(mean("harvest", t[j] - 1, t[j] + 1), rel=1e-4)
    assert np.isnan(cont[0])


def test_negative_window_is_refused(tmp_path, truth_run):
    path = write_case(tmp_path, truth_run, seed=1, series=(
        '[series."Population"]\nerror = "normal"\nscale = 20.0\nwindow = -1\n'))
    with pytest.raises(CalibrationError, match="window must be 0 or greater"):
        load_calibration(path)
