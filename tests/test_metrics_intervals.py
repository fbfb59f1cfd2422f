"""Intervals of the report's figures: coverage on cases with a known answer, and bad input.

Coverage tests draw many replications of a small experiment whose true value is known
(a normal percentile, a binomial probability, a difference of normal percentiles) and
count how often the interval holds it. The tolerances are justified next to each
assertion from the standard error of a simulated share, sqrt(c (1 - c) / reps).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import binom

from spm_sim._metrics.bootstrap import Resampler
from spm_sim.metrics import (
    Interval,
    bootstrap_interval,
    difference_interval,
    mean_interval,
    percentile_difference_interval,
    percentile_interval,
    proportion_difference_interval,
    proportion_interval,
)


def test_percentile_interval_covers_a_normal_p90_as_the_binomial_says():
    n, reps, q = 200, 2_000, 0.9
    truth = NormalDist().inv_cdf(q)
    samples = np.random.default_rng(16).normal(size=(reps, n))
    hits = 0
    for row in samples:
        _, low, high = percentile_interval(row, q)
        hits += low <= truth <= high
    coverage = hits / reps
    # The exact coverage of the order-statistic interval is P(l <= B <= u - 1) with
    # B ~ Binomial(n, q): at least 95% by construction (it is a little above, B being
    # discrete). The simulated share has a standard error sqrt(0.95 * 0.05 / 2000) =
    # 0.005, so 4 standard errors (0.02) around the exact value fail only on a defect.
    lo_rank, hi_rank = int(binom.ppf(0.025, n, q)), int(binom.ppf(0.975, n, q)) + 1
    exact = binom.cdf(hi_rank - 1, n, q) - binom.cdf(lo_rank - 1, n, q)
    assert exact >= 0.95
    assert abs(coverage - exact) < 0.02, (coverage, exact)


def test_percentile_interval_picks_the_order_statistics_worked_out_by_hand():
    # The median of 20 values at 95%. B, the number of values below the true median,
    # is Binomial(20, 1/2): P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20
    # = 21700 / 1048576 = 0.0207 <= 0.025 but P(B <= 6) = 60460 / 1048576 = 0.0577, so
    # l = 6; by symmetry P(B >= 15) = 0.0207, so u - 1 = 14 and u = 15. The interval is
    # [x_(6), x_(15)], covering P(6 <= B <= 14) = 1 - 2 x 0.0207 = 0.9586 >= 95%.
    values = np.random.default_rng(3).permutation(np.arange(1.0, 21.0))  # order is irrelevant
    est, low, high = percentile_interval(values, 0.5)
    assert (est, low, high) == (10.5, 6.0, 15.0)
    assert binom.cdf(5, 20, 0.5) == pytest.approx(21700 / 2**20)
    # P90 of 50 values: B ~ Binomial(50, 0.9). P(B <= 40) = 0.0245 <= 0.025 < P(B <= 41)
    # = 0.0579, so l = 41; P(B <= 48) = 0.9662 < 0.975 <= P(B <= 49) = 0.9948, so
    # u - 1 = 49 and u = 50: [x_(41), x_(50)] = [41, 50] for the values 1..50
    assert percentile_interval(np.arange(1.0, 51.0), 0.9)[1:] == (41.0, 50.0)
    assert binom.cdf(40, 50, 0.9) <= 0.025 < binom.cdf(41, 50, 0.9)
    assert binom.cdf(48, 50, 0.9) < 0.975 <= binom.cdf(49, 50, 0.9)


def test_wilson_interval_covers_a_binomial_probability_near_the_nominal_level():
    # Exact coverage by enumerating every possible count: no simulation noise. Wilson's
    # interval oscillates around the nominal level with n and p; for n = 500 its
    # coverage stays within 1.5 points of 95% (Brown, Cai and DasGupta 2001, fig. 4).
    n = 500
    for p in (0.05, 0.3, 0.53, 0.9):
        coverage = 0.0
        for k in range(n + 1):
            _, low, high = proportion_interval(k, n)
            if low <= p <= high:
                coverage += binom.pmf(k, n, p)
        assert 0.935 <= coverage <= 0.965, (p, coverage)


def test_paired_bootstrap_covers_a_known_difference_of_percentiles():
    # X ~ N(0, 1), Y = 0.8 X + 0.6 Z + 0.5 ~ N(0.5, 1): the true difference of any
    # percentile of Y and of X is 0.5, and the pairing is strong (correlation 0.8).
    n, reps = 400, 300
    g = np.random.default_rng(7)
    hits, widths = 0, []
    for r in range(reps):
        x = g.normal(size=n)
        y = 0.8 * x + 0.6 * g.normal(size=n) + 0.5
        _, low, high = difference_interval(y, x, statistic=0.9, n_boot=400, rng=r)
        hits += low <= 0.5 <= high
        widths.append(high - low)
    coverage = hits / reps
    # A bootstrap percentile interval is only approximately at its level (a little
    # under at this n); the simulated share has a standard error of about 0.013 with
    # 300 replications, so [0.90, 0.99] allows ~4 standard errors below 95% and
    # catches an interval that ignores the pairing or the level.
    assert 0.90 <= coverage <= 0.99, coverage
    # pairing narrows the interval: resampling the two runs apart is clearly wider
    x = g.normal(size=n)
    y = 0.8 * x + 0.6 * g.normal(size=n) + 0.5
    paired = difference_interval(y, x, statistic=0.9, rng=1)
    apart = difference_interval(y, x, statistic=0.9, paired=False, rng=1)
    assert paired.high - paired.low < 0.8 * (apart.high - apart.low)


def test_mean_interval_is_mean_plus_minus_z_standard_errors():
    values = np.array([2.0, 4.0, 6.0, 8.0])
    est, low, high = mean_interval(values, level=0.95)
    half = 1.959964 * values.std(ddof=1) / 2
    assert est == 5.0
    assert low == pytest.approx(5.0 - half, rel=1e-6) and high == pytest.approx(5.0 + half)


def test_interval_ends_are_nan_when_the_data_cannot_give_them():
    assert math.isnan(percentile_interval(np.arange(10.0), 0.9).high)
    assert all(math.isnan(v) for v in percentile_interval([], 0.5))
    assert math.isnan(mean_interval([3.0]).low)
    est = difference_interval([1.0], [0.0], statistic="mean")
    assert est.estimate == 1.0 and math.isnan(est.low)
    assert Interval(1.0, 0.5, 1.5).excludes(0.0) and not Interval(0.0, -1, 1).excludes(0.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: percentile_interval([1.0, 2.0], 90), r"q must be .* fraction .* got 90"),
        (lambda: percentile_interval([1.0, 2.0], 0.5, level=95), r"level .* got 95"),
        (lambda: proportion_interval(5, 0), r"n must be at least 1 trial; got 0"),
        (lambda: proportion_interval(7, 5), r"successes must be between 0 and n = 5; got 7"),
        (lambda: difference_interval([1.0, 2.0], [1.0]), r"same length|as many trials"),
        (lambda: difference_interval([1.0], [1.0], n_boot=10), r"n_boot .* got 10"),
        (lambda: difference_interval([1.0], [1.0], statistic="median"), r"statistic .* 'median'"),
        (lambda: bootstrap_interval([1.0, 2.0], {1.5: 1.0}), r"q must be .* got 1.5"),
        (lambda: percentile_difference_interval([1.0], [1.0], "mean"), r"percentile .* 'mean'"),
        (lambda: proportion_difference_interval([1, 2], [0, 1]), r"0 or 1 .* got 2.0"),
        (lambda: proportion_difference_interval([1.0], [1.0, 0.0]), r"as many trials"),
        (
            lambda: percentile_difference_interval([1.0, 2.0, 3.0], [1.0], 0.9),
            r"as many trials in both: 3 and 1; pass paired=False",
        ),
    ],
)
def test_bad_arguments_are_named_with_their_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_resampled_percentiles_are_those_of_the_resamples_themselves():
    # the counts stand for resamples: the percentiles read off them equal numpy's on
    # the resampled values written out, ties included, and so do the means; a window
    # of 0.3 standard deviations sends most resamples down the full count
    g = np.random.default_rng(4)
    values = np.round(g.lognormal(size=300), 1)  # many ties
    for window in (Resampler.WINDOW_SD, 0.3):
        r = Resampler(300, 200, np.random.default_rng(1))
        r.WINDOW_SD = window
        found = r.quantiles(values, (0.1, 0.5, 0.9, 0.03))
        counts = r.counts.T.astype(int)
        by_hand = [np.percentile(np.repeat(values, c), [10, 50, 90, 3]) for c in counts]
        np.testing.assert_allclose(found, by_hand, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            r.means(values), [np.repeat(values, c).mean() for c in counts], rtol=1e-12
        )
    assert (counts.sum(axis=1) == 300).all()  # each resample draws n out of n


def test_a_weighted_sum_of_percentiles_is_the_bootstrap_of_the_function():
    # the reserve P90 - P50 given as weights reads the same as given as a function
    g = np.random.default_rng(5)
    cost = g.normal(100.0, 10.0, size=1_000)

    def reserve(s):
        return np.percentile(s, 90, axis=1) - np.percentile(s, 50, axis=1)

    weights = bootstrap_interval(cost, {0.9: 1.0, 0.5: -1.0}, rng=3)
    function = bootstrap_interval(cost, reserve, rng=3)
    assert weights.estimate == pytest.approx(function.estimate)
    assert weights.low == pytest.approx(function.low, rel=0.1)
    assert weights.high == pytest.approx(function.high, rel=0.1)
    # the same integer seed, the same interval, whatever ran in between
    again = bootstrap_interval(cost, {0.9: 1.0, 0.5: -1.0}, rng=3)
    assert again == weights


def test_newcombe_matches_the_published_example_and_pairs_narrow_it():
    # Newcombe (1998), independent proportions 56/70 and 48/80: method 10 gives
    # 0.0524 to 0.3339
    a = np.r_[np.ones(56), np.zeros(14)]
    b = np.r_[np.ones(48), np.zeros(32)]
    est, low, high = proportion_difference_interval(a, b, paired=False)
    assert (est, round(low, 4), round(high, 4)) == (pytest.approx(0.2), 0.0524, 0.3339)
    # paired: the same 100 trials, 6 more reach the target; the correlation of the
    # pairs makes the interval narrower than treating the runs apart
    base = np.r_[np.ones(50), np.zeros(50)]
    alt = base.copy()
    alt[50:56] = 1.0
    paired = proportion_difference_interval(alt, base)
    apart = proportion_difference_interval(alt, base, paired=False)
    assert paired.low > 0 > apart.low
    assert paired.high - paired.low < 0.5 * (apart.high - apart.low)
    assert proportion_difference_interval(base, base) == (0.0, 0.0, 0.0)


def test_a_difference_of_percentiles_falls_back_to_the_bootstrap_where_it_must():
    g = np.random.default_rng(6)
    x = np.exp(0.2 * g.standard_normal(1_000))
    # nearly the same run (3 simulated years cross the median): the bootstrap
    y = x.copy()
    y[np.argsort(np.abs(x - np.median(x)))[:3]] *= 1.001
    got = percentile_difference_interval(y, x, 0.5)
    assert got == difference_interval(y, x, statistic={0.5: 1.0}, rng=16)
    # a percentile on an atom (shares of 40 reps): the bootstrap
    shares = g.integers(15, 25, size=1_000) / 40
    moved = np.clip(shares + g.integers(-1, 2, size=1_000) / 40, 0, 1)
    got = percentile_difference_interval(moved, shares, 0.9)
    assert got == difference_interval(moved, shares, statistic={0.9: 1.0}, rng=16)
    # two constants differ by a known amount; identical paired runs by nothing
    assert percentile_difference_interval(
        np.full(50, 3.0), np.full(60, 1.0), 0.9, paired=False
    ) == (
        2.0,
        2.0,
        2.0,
    )
    assert percentile_difference_interval(x, x, {0.9: 1.0, 0.5: -1.0}) == (0.0, 0.0, 0.0)
    # otherwise linearised: z standard errors either side of the estimate
    z = x * np.exp(0.03 + 0.05 * g.standard_normal(1_000))
    est, low, high = percentile_difference_interval(z, x, 0.9)
    assert est - low == pytest.approx(high - est)
    assert est == pytest.approx(np.percentile(z, 90) - np.percentile(x, 90))
