"""Random functions in the compiled engine: RANDOM 0 1, UNIFORM, NORMAL and EXPONENTIAL (which
PySD implements too), and Vensim's TRIANGULAR, POISSON, BINOMIAL, NEGATIVE BINOMIAL, WEIBULL,
BETA and LOOKUP (which it does not).

The compiled engine draws its own numbers (a counter-based generator, see
``sdmodels.compiler._random``), so it cannot equal PySD value for value: these tests check the
distributions (Kolmogorov-Smirnov against the exact distribution and against PySD's draws, with
fixed seeds), the bounds, the documented hash, and the seeding contract in both engines:
reproducible, independent of chunks and threads, common random numbers across scenarios.
PySD's XMILE translator has no random functions, so there is no XMILE twin of the model.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import sdmodels
from sdmodels.batch import run_design
from sdmodels.compiler import NOISE_KEY, compile_model, noise_keys

MODEL = """{UTF-8}
scale=
	1
	~	dmnl
	~	Multiplies the uniform draw (a scenario lever).
	|
unit=
	RANDOM 0 1()
	~	dmnl
	~		|
scaled=
	scale * RANDOM 0 1()
	~	dmnl
	~		|
uniform=
	RANDOM UNIFORM(2, 5, 0)
	~	dmnl
	~		|
normal=
	RANDOM NORMAL(-1, 3, 1, 2, 0)
	~	dmnl
	~	Normal with mean 1 and sd 2 truncated to [-1, 3].
	|
tail normal=
	RANDOM NORMAL(4, 1e+09, 0, 1, 0)
	~	dmnl
	~	The far upper tail of a standard normal, above 4.
	|
exponential=
	RANDOM EXPONENTIAL(0.5, 4, 0, 1.5, 0)
	~	dmnl
	~	1.5 times an exponential of mean 1, truncated to [0.5, 4].
	|
noise stock= INTEG (
	uniform, RANDOM UNIFORM(0, 1, 0))
	~	dmnl
	~		|
FINAL TIME  = 10
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = TIME STEP
	~	Month
	~		|
TIME STEP  = 0.25
	~	Month
	~		|
"""

#: The exact distribution of each variable (scipy's, as PySD draws them).
EXACT = {
    "unit": stats.uniform(0, 1),
    "uniform": stats.uniform(2, 3),
    "normal": stats.truncnorm((-1 - 1) / 2, (3 - 1) / 2, loc=1, scale=2),
    "tail_normal": stats.truncnorm(4, np.inf),
    "exponential": stats.truncexpon((4 - 0.5) / 1.5, loc=0.5, scale=1.5),
}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("random") / "random_functions.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cm(model_file):
    return compile_model(model_file)


@pytest.fixture(scope="module")
def draws(cm):
    return cm.run({}, 2000, return_columns=list(EXACT))


@pytest.mark.parametrize("name", list(EXACT))
def test_draws_follow_the_exact_distribution(draws, name):
    values = draws[name].ravel()  # 2000 samples x 41 steps, independent draws
    assert stats.kstest(values, EXACT[name].cdf).pvalue > 0.001
    lo, hi = EXACT[name].support()
    assert values.min() >= lo and values.max() <= hi


def test_tail_normal_keeps_its_precision(draws):
    # a standard normal above 4: mean 1/Mills ratio = phi(4)/Q(4) = 4.2256 (to 4 decimals)
    values = draws["tail_normal"].ravel()
    assert values.min() >= 4.0
    assert values.mean() == pytest.approx(EXACT["tail_normal"].mean(), abs=0.005)


def test_the_draw_is_the_documented_hash(cm, model_file):
    # RANDOM 0 1 at step k of the sample with stream key K and call site S is
    # (mix(mix(mix(mix(K) ^ S) ^ k) ^ 0) >> 11 + 0.5) / 2**53, mix being SplitMix64's finaliser
    from sdmodels.compiler._random import _mix64

    line = next(x for x in cm.source.splitlines() if x.strip().startswith("v_unit ="))
    # f_random_uniform(Pi[-1], SITE, k, 0.0, 1.0): Pi is the sample's row of P
    site = int(re.search(r"f_random_uniform\(Pi\[-1\], (\d+),", line).group(1))
    key = float(noise_keys(0, [3])[0])
    out = cm.run({}, 4, return_columns=["unit"])["unit"][3]
    for k in (0, 1, 40):
        h = _mix64(_mix64(_mix64(_mix64(int(key)) ^ site) ^ k) ^ 0)
        assert out[k] == ((h >> 11) + 0.5) * 2.0**-53


def test_same_distribution_as_pysd(model_file, draws):
    model = sdmodels.load_model(model_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pysd = model.run_batch({"scale": np.ones(8)}, engine="pysd", outputs=list(EXACT))
    for name in EXACT:
        theirs = pysd[name].values.ravel()  # 8 runs x 41 steps
        assert stats.ks_2samp(draws[name].ravel(), theirs).pvalue > 0.001, name
        lo, hi = EXACT[name].support()
        assert theirs.min() >= lo and theirs.max() <= hi


def test_reproducible_and_independent_of_chunks_and_threads(cm):
    whole = cm.run({}, 100, return_columns=["uniform", "noise_stock"], parallel=True)
    again = cm.run({}, 100, return_columns=["uniform", "noise_stock"], parallel=False)
    first = cm.run({}, 37, return_columns=["uniform", "noise_stock"])
    rest = cm.run({}, 63, return_columns=["uniform", "noise_stock"], first_sample=37)
    for name in ("uniform", "noise_stock"):
        np.testing.assert_array_equal(whole[name], again[name])
        np.testing.assert_array_equal(whole[name], np.concatenate([first[name], rest[name]]))
    # samples differ from each other, and another noise seed gives other numbers
    assert len(np.unique(whole["uniform"][:, 0])) == 100
    other = cm.run({}, 100, return_columns=["uniform"], noise_seed=1)["uniform"]
    assert not np.array_equal(other, whole["uniform"])
    # the initial value of the stock is a draw of its own (in [0, 1)), made once
    assert 0.0 <= whole["noise_stock"][:, 0].min() and whole["noise_stock"][:, 0].max() < 1.0


def test_batches_in_chunks_and_common_random_numbers_across_scenarios(model_file):
    model = sdmodels.load_model(model_file)
    one = model.run_batch({"scale": np.ones(30)}, engine="compiled", outputs=["scaled"])
    chunked = model.run_batch({"scale": np.ones(30)}, engine="compiled", outputs=["scaled"],
                              chunk_size=7)
    np.testing.assert_array_equal(one["scaled"].values, chunked["scaled"].values)
    # a scenario with another scale: sample i draws the same numbers (common random numbers)
    doubled = model.run_batch({"scale": np.full(30, 2.0)}, engine="compiled", outputs=["scaled"])
    np.testing.assert_array_equal(doubled["scaled"].values, 2.0 * one["scaled"].values)
    single = [model.run(params={"scale": s}, engine="compiled", outputs=["scaled"])["scaled"]
              for s in (1.0, 3.0)]
    np.testing.assert_array_equal(single[1].values, 3.0 * single[0].values)


def _design(seed: int, n: int = 4) -> xr.DataArray:
    return xr.DataArray(np.ones((n, 1)), dims=("sample", "parameter"),
                        coords={"sample": np.arange(n), "parameter": ["scale"]},
                        attrs={"seed": seed})


@pytest.mark.parametrize("engine", ["pysd", "compiled"])
def test_the_run_seed_seeds_both_engines(model_file, engine):
    model = sdmodels.load_model(model_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = {seed: [run_design(model, _design(seed), outputs=["uniform"], engine=engine,
                                  chunk_size=2)["uniform"].values for _ in range(2)]
                for seed in (1, 2)}
    np.testing.assert_array_equal(runs[1][0], runs[1][1])  # the same seed twice: the same run
    assert not np.array_equal(runs[1][0], runs[2][0])  # another seed: other numbers
    assert not np.array_equal(runs[1][0][0], runs[1][0][1])  # samples draw their own numbers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = [model.run(engine=engine, outputs=["uniform"])["uniform"].values
                  for _ in range(2)]
    np.testing.assert_array_equal(single[0], single[1])


def test_a_stream_key_per_sample_is_checked(cm):
    with pytest.raises(sdmodels.compiler.ParameterValueError, match=NOISE_KEY):
        cm.run({NOISE_KEY: [1.0, 2.0]}, 3)


#: Vensim's own random functions that PySD does not implement: checked against the definitions
#: of the Vensim documentation (fn_random.html: shift and stretch, then truncation to [min, max]).
VENSIM_ONLY = """{UTF-8}
triangle=
	RANDOM TRIANGULAR(-10, 10, 0, 1, 4, 0)
	~	dmnl
	~		|
cut triangle=
	RANDOM TRIANGULAR(0.5, 3, 0, 1, 4, 0)
	~	dmnl
	~		|
count=
	RANDOM POISSON(0, 1e+09, 3.5, 0, 1, 0)
	~	dmnl
	~		|
odd count=
	RANDOM POISSON(2, 11, 3.5, 1, 2, 0)
	~	dmnl
	~	1 + 2 N for N Poisson of mean 3.5, kept in [2, 11]: N in 1..5.
	|
successes=
	RANDOM BINOMIAL(0, 1e+09, 0.3, 10, 0, 1, 0)
	~	dmnl
	~		|
weibull=
	RANDOM WEIBULL(1.5, 4, 1.7, 0.5, 2, 0)
	~	dmnl
	~	0.5 + 2 W, W Weibull of shape 1.7 and mean 1, kept in [1.5, 4].
	|
FINAL TIME  = 9
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = 1
	~	Month
	~		|
TIME STEP  = 1
	~	Month
	~		|
"""


def test_vensim_only_distributions(tmp_path):
    path = tmp_path / "vensim_random.mdl"
    path.write_text(VENSIM_ONLY, encoding="utf-8")
    out = compile_model(path).run({}, 2000)  # 2000 samples x 10 steps
    tri = stats.triang(0.25, loc=0, scale=4)
    assert stats.kstest(out["triangle"].ravel(), tri.cdf).pvalue > 0.001
    cut = out["cut_triangle"].ravel()
    assert cut.min() >= 0.5 and cut.max() <= 3.0
    assert stats.kstest(cut, lambda y: (tri.cdf(y) - tri.cdf(0.5)) / (tri.cdf(3) - tri.cdf(0.5))
                        ).pvalue > 0.001
    counts = out["count"].ravel()
    assert np.array_equal(counts, np.round(counts))
    values, seen = np.unique(np.minimum(counts, 10), return_counts=True)
    pmf = stats.poisson(3.5).pmf(np.arange(10))
    expected = np.append(pmf, 1 - pmf.sum()) * counts.size
    assert values.tolist() == list(range(11))
    assert stats.chisquare(seen, expected).pvalue > 0.001
    odd = out["odd_count"].ravel()
    values, seen = np.unique(odd, return_counts=True)
    assert values.tolist() == [3, 5, 7, 9, 11]
    pmf = stats.poisson(3.5).pmf(np.arange(1, 6))
    assert stats.chisquare(seen, pmf / pmf.sum() * odd.size).pvalue > 0.001
    successes = out["successes"].ravel()
    values, seen = np.unique(successes, return_counts=True)
    assert set(values.tolist()) <= set(range(11))
    pmf = stats.binom(10, 0.3).pmf(values)
    assert stats.chisquare(seen, pmf / pmf.sum() * successes.size).pvalue > 0.001
    weibull = out["weibull"].ravel()
    assert weibull.min() >= 1.5 and weibull.max() <= 4.0
    w = stats.weibull_min(1.7, loc=0.5, scale=2 / math.gamma(1 + 1 / 1.7))  # mean 0.5 + 2
    assert stats.kstest(weibull, lambda y: (w.cdf(y) - w.cdf(1.5)) / (w.cdf(4) - w.cdf(1.5))
                        ).pvalue > 0.001


#: More of Vensim's own: BETA, NEGATIVE BINOMIAL and LOOKUP, each shifted, stretched and cut
#: (fn_random.html); GAMMA is refused by both engines (its scale is not documented).
MORE_VENSIM_ONLY = """{UTF-8}
beta=
	RANDOM BETA(0.4, 2.5, 2, 3, 0.1, 3, 0)
	~	dmnl
	~	0.1 + 3 B, B beta(2, 3) on [0, 1], kept in [0.4, 2.5].
	|
trials=
	RANDOM NEGATIVE BINOMIAL(6, 30, 0.3, 4, 1, 2, 0)
	~	dmnl
	~	1 + 2 T, T the trials for 4 successes of probability 0.3 (T >= 4), kept in [6, 30].
	|
density(
	(0,0),(1,2),(3,1),(4,0))
	~	dmnl
	~	A density drawn as straight lines between its points (area 5).
	|
drawn=
	RANDOM LOOKUP(density, 1.5, 7, 1, 2, 0)
	~	dmnl
	~	1 + 2 L, L from the density, kept in [1.5, 7]: L in [0.25, 3].
	|
bad beta=
	RANDOM BETA(0, 1, -1, 3, 0, 1, 0)
	~	dmnl
	~	A shape that is not positive: NaN.
	|
bad trials=
	RANDOM NEGATIVE BINOMIAL(0, 100, 0, 4, 0, 1, 0)
	~	dmnl
	~	A success probability of 0: NaN.
	|
FINAL TIME  = 9
	~	Month
	~		|
INITIAL TIME  = 0
	~	Month
	~		|
SAVEPER  = 1
	~	Month
	~		|
TIME STEP  = 1
	~	Month
	~		|
"""


def _cut_cdf(dist, lo, hi):
    return lambda y: (dist.cdf(y) - dist.cdf(lo)) / (dist.cdf(hi) - dist.cdf(lo))


def test_beta_negative_binomial_and_lookup_distributions(tmp_path):
    path = tmp_path / "more_random.mdl"
    path.write_text(MORE_VENSIM_ONLY, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PySD's "will crash" warning is not shown for these
        model = sdmodels.load_model(path)
        assert model.variables["beta"].kind == "auxiliary"  # not a constant to set
        # no stocks: the summary shows the auxiliaries
        assert model.key_outputs == ["bad_beta", "bad_trials", "beta", "drawn", "trials"]
    out = compile_model(path).run({}, 2000)  # 2000 samples x 10 steps
    beta = out["beta"].ravel()
    assert beta.min() >= 0.4 and beta.max() <= 2.5
    b = stats.beta(2, 3, loc=0.1, scale=3)
    assert stats.kstest(beta, _cut_cdf(b, 0.4, 2.5)).pvalue > 0.001
    trials = out["trials"].ravel()
    values, seen = np.unique(trials, return_counts=True)
    assert set(values.tolist()) <= set(range(9, 31, 2))  # 1 + 2 T, T = 4..14
    assert {9, 11, 13, 15} <= set(values.tolist())
    failures = (values - 1) / 2 - 4  # scipy's negative binomial counts the failures
    pmf = stats.nbinom(4, 0.3).pmf(failures)
    assert stats.chisquare(seen, pmf / pmf.sum() * trials.size).pvalue > 0.001
    drawn = out["drawn"].ravel()
    assert drawn.min() >= 1.5 and drawn.max() <= 7.0
    grid = np.linspace(0.25, 3.0, 200_001)  # the cut density's distribution, by quadrature
    pdf = np.interp(grid, [0, 1, 3, 4], [0, 2, 1, 0])
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2 * np.diff(grid))])
    cdf /= cdf[-1]
    assert stats.kstest((drawn - 1) / 2, lambda y: np.interp(y, grid, cdf)).pvalue > 0.001
    assert np.isnan(out["bad_beta"]).all() and np.isnan(out["bad_trials"]).all()


def test_random_lookup_needs_a_lookup(tmp_path):
    path = tmp_path / "not_a_lookup.mdl"
    path.write_text(MORE_VENSIM_ONLY.replace("RANDOM LOOKUP(density,", "RANDOM LOOKUP(beta,"),
                    encoding="utf-8")
    with pytest.raises(sdmodels.compiler.UnsupportedFeature,
                       match="RANDOM LOOKUP whose first argument is not the name of a lookup"):
        compile_model(path)


def test_what_neither_engine_runs_is_refused_with_a_clear_error(tmp_path):
    gamma = tmp_path / "gamma.mdl"
    gamma.write_text(MORE_VENSIM_ONLY.replace("RANDOM BETA(0.4, 2.5, 2, 3, 0.1, 3, 0)",
                                              "RANDOM GAMMA(0, 10, 3, 0, 1, 0)"), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySD's own warning for GAMMA
        model = sdmodels.load_model(gamma)
    for engine in ("auto", "compiled"):  # no fallback to PySD, which would fail mid-run
        with pytest.raises(sdmodels.compiler.UnsupportedFeature) as info:
            model.run(engine=engine)
        assert not info.value.pysd_runs
        assert str(info.value).startswith("neither engine supports RANDOM GAMMA (used by "
                                          "element 'beta'")
        assert "scale" in str(info.value)
    # a function only the compiled engine runs, in a model it cannot run for another reason
    both = tmp_path / "both.mdl"
    both.write_text(MORE_VENSIM_ONLY.replace(
        "bad beta=\n", "when=\n\tGET TIME VALUE(2, 0, 1)\n\t~\tYear\n\t~\t\t|\nbad beta=\n"),
        encoding="utf-8")
    model = sdmodels.load_model(both)
    with pytest.raises(sdmodels.compiler.UnsupportedFeature,
                       match=r"neither engine supports RANDOM BETA and RANDOM LOOKUP and RANDOM "
                             r"NEGATIVE BINOMIAL .*the compiled engine runs them but not GET TIME "
                             r"VALUE of the computer clock \(relativeto 2\) \(used by element "
                             r"'when'\)"):
        model.run(engine="auto")
