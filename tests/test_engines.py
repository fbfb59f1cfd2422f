"""The two engines of the sales draws and ``engine: auto`` (docs/model.md section 7.6).

* The summed engine's rep-years and company years against the deals engine's, at the
  sample's sizes and at small deal counts: mean, sd, P1, P10, P50, P90 and P99 equal
  within Monte Carlo error. The test of each figure is a paired two-sample test
  (both engines share the trial-level draws: rates, sizes, trend, level, shock) with
  batch-means standard errors over 40 batches of trials; a difference fails it at
  |t| > 4.5 (t with 39 degrees of freedom: a false alarm has chance 6e-5 per figure).
  Its power is stated and checked: :func:`detectable` is the difference it finds with
  90% chance, asserted below a bound for each case, so the test cannot pass by being
  too small to see anything.
* Where the two differ (similar deal sizes, many deals a month, rates known), the
  same test finds the difference, and the rule picks the deals engine there.
* The batch path: the same numbers whatever the chunks (1, 7, 250 trials) and in a
  pool of processes, with planned hires and a plan's measures.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.special import ndtr

from spm_sim import load_plan, load_sample, sample_scenario, simulate
from spm_sim.productivity import (
    AUTO_DEALS,
    AUTO_SIGMA,
    ProductivityModel,
    choose_engine,
    draw_deals,
    draw_deals_batch,
    draw_summed,
    draw_summed_batch,
    fit_productivity,
    summed_months,
    trial_parameters,
)
from spm_sim.quota import PlannedHire
from spm_sim.random import TRIAL_BLOCK

QUANTILES = (1, 10, 50, 90, 99)
FIGURES = ("mean", "sd", *(f"P{q}" for q in QUANTILES))
BATCHES = 40
T_CRIT = 4.5
#: the power of the test: a difference of detectable() is found with 90% chance
T_POWER = T_CRIT + 1.3

SEASON = np.array([0.8, 0.85, 1.1, 0.9, 0.95, 1.15, 0.9, 0.85, 1.1, 0.95, 1.0, 1.35])
SEASON = SEASON / SEASON.mean()


def model_of(rates, sigma, *, uncertain=True):
    """A model with known deal rates per rep-month (before seasonality) and log-sd."""
    rates = np.asarray(rates, dtype=float)
    n = rates.size
    shape = 50.0 if uncertain else 1e9  # the rate's posterior: 14% spread, or known
    return ProductivityModel(
        rep_ids=tuple(f"R{i}" for i in range(n)),
        periods=tuple(f"2026-{m:02d}" for m in range(1, 13)),
        alpha=np.full(n, shape),
        beta=shape / rates,
        seasonality=SEASON,
        ramp=np.ones((n, 12)),
        size_mu=np.full(n, np.log(20_000.0)),
        size_mu_sd=np.full(n, 0.1 if uncertain else 0.0),
        size_sigma=sigma,
        shock_sd=0.05 if uncertain else 0.0,
        shock_rho=0.3,
        parameter_uncertainty=uncertain,
    )


def annual_both(model, n_trials, seed):
    """Annual bookings per trial and rep from each engine, (n_trials, reps) twice: the
    same stream for both, so they share the trial-level draws."""
    deals, summed = [], []
    for b in range(0, n_trials, TRIAL_BLOCK):
        counts, cell, sizes, _ = draw_deals_batch(
            model, np.random.default_rng([seed, b]), TRIAL_BLOCK
        )
        deals.append(np.bincount(cell, sizes, minlength=counts.size).reshape(counts.shape))
        summed.append(draw_summed_batch(model, np.random.default_rng([seed, b]), TRIAL_BLOCK)[0])
    return np.concatenate(deals).sum(-1), np.concatenate(summed).sum(-1)


def _figures(x: np.ndarray) -> np.ndarray:
    return np.r_[x.mean(), x.std(), np.percentile(x, QUANTILES)]


def compare(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each figure's difference between two paired samples (trials first), in units of
    their sd, and its standard error from batch means over the trials."""
    scale = np.concatenate([a.ravel(), b.ravel()]).std()
    diff = (_figures(a.ravel()) - _figures(b.ravel())) / scale
    parts = zip(np.array_split(a, BATCHES), np.array_split(b, BATCHES), strict=True)
    by_batch = np.array([(_figures(x.ravel()) - _figures(y.ravel())) / scale for x, y in parts])
    return diff, by_batch.std(axis=0, ddof=1) / np.sqrt(BATCHES)


def detectable(se: np.ndarray) -> np.ndarray:
    """The difference (in sd) each figure's test finds with 90% chance."""
    return T_POWER * se


def assert_same(a, b, what, power):
    """No figure differs beyond Monte Carlo error, and the test could have seen a
    difference of ``power`` (in sd; one bound per figure) with 90% chance."""
    diff, se = compare(a, b)
    t = diff / se
    bad = [f"{f}: {d:+.4f} sd (t {tt:+.1f})" for f, d, tt in zip(FIGURES, diff, t, strict=True)]
    assert np.all(np.abs(t) < T_CRIT), f"{what}: " + "; ".join(bad)
    weak = {f: round(float(d), 3) for f, d, p in zip(FIGURES, detectable(se), power, strict=True)}
    assert np.all(detectable(se) <= power), f"{what}: the test is too weak: {weak}"


# rep-years are pooled after dividing each by its rep's expected bookings; power bounds
# in sd for (mean, sd, P1, P10, P50, P90, P99)
REP_POWER = (0.04, 0.1, 0.15, 0.08, 0.08, 0.1, 0.4)
COMPANY_POWER = (0.15, 0.2, 0.5, 0.35, 0.35, 0.35, 0.6)


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def sample_model(book):
    return fit_productivity(book, plan_year=2026)


def test_the_engines_agree_at_the_samples_sizes(sample_model):
    m = sample_model
    assert choose_engine(m)[0] == "summed"
    deals, summed = annual_both(m, 1000, seed=1)
    expected = m.expected_bookings().sum(axis=1)
    assert_same(deals / expected, summed / expected, "sample rep-years", REP_POWER)
    company = deals.sum(axis=1, keepdims=True), summed.sum(axis=1, keepdims=True)
    assert_same(*company, "sample company years", COMPANY_POWER)


@pytest.mark.parametrize("sigma", [1.0, 0.4])
def test_the_engines_agree_at_small_deal_counts(sigma):
    """0.2 to 1 deals a rep-month, wide and narrow deal sizes: the two agree (the rule
    still draws every deal there, as fast as the months' totals)."""
    m = model_of(np.linspace(0.2, 1.0, 40), sigma)
    engine, why = choose_engine(m)
    assert engine == "deals" and ("as fast" in why if sigma >= AUTO_SIGMA else "similar" in why)
    deals, summed = annual_both(m, 2000, seed=3)
    expected = m.expected_bookings().sum(axis=1)
    assert_same(deals / expected, summed / expected, f"small counts, sigma {sigma}", REP_POWER)
    company = deals.sum(axis=1, keepdims=True), summed.sum(axis=1, keepdims=True)
    assert_same(*company, f"small counts, sigma {sigma}: company", COMPANY_POWER)


def test_where_the_engines_differ_the_rule_picks_deals():
    """Similar deal sizes, 8 deals a month, rates known: a month is a count of near
    equal deals, less skewed than the summed engine's month; the test sees it."""
    m = model_of(np.full(30, 8.0), 0.3, uncertain=False)
    engine, why = choose_engine(m)
    assert engine == "deals"
    assert "log-sd 0.30 < 1" in why
    deals, summed = annual_both(m, 1500, seed=4)
    diff, se = compare(deals / 8.0, summed / 8.0)
    t = dict(zip(FIGURES, diff / se, strict=True))
    # the mean and sd are exact in both; the tails are not
    assert abs(t["mean"]) < T_CRIT and abs(t["sd"]) < T_CRIT
    assert min(t["P1"], t["P99"]) < -T_CRIT or max(t["P1"], t["P99"]) > T_CRIT, t


def test_the_rule_reads_the_plan_and_the_thresholds(sample_model):
    engine, why = choose_engine(sample_model, measures=True)
    assert engine == "deals" and "measures of single deals" in why
    assert "5.4 deals expected in a rep-month" in choose_engine(sample_model)[1]
    wide = AUTO_SIGMA
    assert choose_engine(model_of(np.full(5, AUTO_DEALS * 1.01), wide))[0] == "summed"
    assert choose_engine(model_of(np.full(5, AUTO_DEALS * 0.99), wide))[0] == "deals"
    assert choose_engine(model_of(np.full(5, 50.0), wide * 0.99))[0] == "deals"


def test_a_month_is_its_largest_deal_and_the_others_exactly_in_the_tail():
    """Few deals, wide sizes: P(month > x) far in the tail is the largest deal's
    closed form, 1 - exp(-lam P(X > x)) (the others add little that far out)."""
    g = np.random.default_rng(7)
    n, lam, sigma = 200_000, 0.5, 2.0
    x = summed_months(np.full(n, lam), 0.0, sigma, g.random(n), g.random(n), g.standard_normal(n))
    for size in (50.0, 200.0):
        tail = 1.0 - np.exp(-lam * ndtr(-np.log(size) / sigma))
        se = np.sqrt(tail * (1 - tail) / n)
        assert abs((x > size).mean() - tail) < 4.5 * se + 0.02 * tail
    assert abs((x == 0).mean() - np.exp(-lam)) < 4.5 * np.sqrt(0.25 / n)


def test_a_batch_of_one_is_one_trial():
    m = model_of(np.array([0.5, 3.0, 9.0]), 1.2)
    rate, mu, common = trial_parameters(m, np.random.default_rng(2))
    r1, m1, c1 = trial_parameters(m, np.random.default_rng(2), n_trials=1)
    np.testing.assert_array_equal(rate, r1[0])
    np.testing.assert_array_equal(common, c1[0])
    counts, cell, sizes = draw_deals(m, np.random.default_rng(3))
    c, cl, s, _ = draw_deals_batch(m, np.random.default_rng(3), 1)
    np.testing.assert_array_equal(counts, c[0])
    np.testing.assert_array_equal(sizes, s)
    np.testing.assert_array_equal(
        draw_summed(m, np.random.default_rng(4)),
        draw_summed_batch(m, np.random.default_rng(4), 1)[0][0],
    )
    # a batch draws each kind for every trial first: not n single trials in a row
    five = draw_summed_batch(m, np.random.default_rng(4), 5)[0]
    assert five.shape == (5, 3, 12) and not np.array_equal(
        five[0], draw_summed(m, np.random.default_rng(4))
    )


def test_trial_parameters_are_numpys_plain_draws(sample_model):
    """The batch's trial-level draws, written for speed, are bit for bit numpy's gamma
    and normal draws and the AR(1) shock recursion written plainly, in their order."""
    m, n = sample_model, 6
    assert m.parameter_uncertainty and min(m.trend_se, m.level_se, m.shock_sd) > 0
    assert m.rep_dispersion > 0 and (m.seasonality_se > 0).all()
    rate, mu, common = trial_parameters(m, np.random.default_rng(9), n_trials=n)
    g = np.random.default_rng(9)
    first_rate = g.gamma(m.alpha, 1.0 / m.beta, size=(n, m.n_reps))
    np.testing.assert_array_equal(mu, g.normal(m.size_mu, m.size_mu_sd, size=(n, m.n_reps)))
    slope = g.normal(0.0, m.trend_se, size=(n, 1))
    level = g.normal(0.0, m.level_se, size=(n, 1))
    off = m.trend_offset
    trend = np.exp(level + slope * off - 0.5 * (m.level_se**2 + m.trend_se**2 * off**2))
    eps = g.standard_normal((n, m.n_periods))
    shock = np.empty_like(eps)
    shock[:, 0] = m.shock_sd * eps[:, 0]
    step = m.shock_sd * np.sqrt(1.0 - m.shock_rho**2)
    for k in range(1, m.n_periods):
        shock[:, k] = m.shock_rho * shock[:, k - 1] + step * eps[:, k]
    # the seasonal factors drawn around the fitted ones, renormalised over the year
    months = np.array([int(p[5:7]) - 1 for p in m.periods])
    s = m.seasonality[months]
    drawn = s * np.exp(m.seasonality_se[months] * g.standard_normal((n, m.n_periods)))
    season = drawn * (s.sum() / drawn.sum(axis=1, keepdims=True)) / s
    np.testing.assert_array_equal(common, trend * np.exp(shock - 0.5 * m.shock_sd**2) * season)
    # last, each rep's year factor: a gamma of mean 1 and shape K_r on the rate
    f = m.month_factor
    k = f.sum(axis=1) ** 2 / (m.rep_dispersion * (f**2).sum(axis=1))
    year = g.gamma(k, 1.0 / k, size=(n, m.n_reps))
    np.testing.assert_allclose(rate, first_rate * year, rtol=1e-14)


# --- the batch path in simulate -----------------------------------------------------


def _hired(s):
    hire = PlannedHire(rep_id="H001", region="West", start=dt.date(2026, 4, 1))
    return s.replace(quota=s.quota.replace(hires=(hire,)))


@pytest.mark.parametrize(
    ("variant", "pool"),
    [
        (lambda s: s.replace(engine="summed"), True),
        (lambda s: _hired(s.replace(engine="summed")), False),
        (lambda s: _hired(s.replace(plan=load_plan("data/plans/ae_multi_measure.yaml"))), True),
    ],
    ids=["summed", "summed+hires", "deals+hires+measures"],
)
def test_same_numbers_whatever_the_chunks_and_in_processes(book, variant, pool):
    s = variant(sample_scenario("baseline"))
    whole = simulate(s, 30, book=book, rng=11, chunk_size=250)
    runs = [simulate(s, 30, book=book, rng=11, chunk_size=7)]
    if pool:
        runs.append(simulate(s, 30, book=book, rng=11, chunk_size=13, workers=2))
    for other in runs:
        np.testing.assert_array_equal(whole.bookings, other.bookings)
        np.testing.assert_array_equal(whole.payout, other.payout)
    # one trial a chunk; and a shorter run is the start of a longer one
    ones = simulate(s, 4, book=book, rng=11, chunk_size=1)
    np.testing.assert_array_equal(whole.bookings[:4], ones.bookings)
    np.testing.assert_array_equal(whole.payout[:4], ones.payout)


def test_hires_leave_the_book_reps_draws_unchanged(book):
    s = sample_scenario("baseline").replace(engine="summed")
    base = simulate(s, 30, book=book, rng=2)
    hired = simulate(_hired(s), 30, book=book, rng=2)
    np.testing.assert_array_equal(base.bookings, hired.bookings[:, :-1])


def test_auto_is_summed_on_the_sample_and_deals_for_a_plan_with_measures(book):
    s = sample_scenario("baseline")
    auto = simulate(s.replace(engine="auto"), 30, book=book, rng=5)
    np.testing.assert_array_equal(
        auto.bookings, simulate(s.replace(engine="summed"), 30, book=book, rng=5).bookings
    )
    multi = s.replace(plan=load_plan("data/plans/ae_multi_measure.yaml"))
    auto = simulate(multi.replace(engine="auto"), 30, book=book, rng=5)
    np.testing.assert_array_equal(auto.payout, simulate(multi, 30, book=book, rng=5).payout)
