"""The intervals of a sweep's paired differences (issue 18, item 5): the paired t interval
for a mean, Newcombe's for a probability, the linearised one for a percentile, on cases
whose answer is known."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from spm_sim import sample_scenario, simulate
from spm_sim._sweep.table import _BOOT_SEED, SWEEP_METRICS, difference, variant_rows
from spm_sim.book import load_book_ref
from spm_sim.metrics import percentile_difference_interval, proportion_difference_interval
from spm_sim.sweep import set_params, sweep

Z = NormalDist().inv_cdf(0.975)


def _paired_lognormal(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """A base run and a paired run 4% dearer with its own small noise, and the true
    difference of their P90s (both lognormal)."""
    g = np.random.default_rng(seed)
    base = np.exp(g.normal(0.0, 0.2, size=n))
    alt = base * np.exp(0.04 + g.normal(0.0, 0.03, size=n))
    q = NormalDist().inv_cdf(0.9)
    true = math.exp(0.04 + q * math.sqrt(0.2**2 + 0.03**2)) - math.exp(q * 0.2)
    return alt, base, true


def _row(rows, metric, stat):
    (found,) = [r for r in rows if r["metric"] == metric and r["statistic"] == stat]
    return found


def test_a_percentile_difference_has_the_linearised_paired_interval():
    alt, base, true = _paired_lognormal(2_000, 0)
    rows = variant_rows(
        {"incentive_cost": base}, ("incentive_cost",), 0.95, 1_000, "alt", {"incentive_cost": alt}
    )
    for stat, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        r = _row(rows, "incentive_cost", stat)
        want = percentile_difference_interval(alt, base, q)  # any seed: no bootstrap here
        assert (r["diff_vs_base"], r["diff_low"], r["diff_high"]) == tuple(want), stat
        # linearised: the estimate plus or minus z standard errors (a bootstrap's is not)
        mid = (r["diff_low"] + r["diff_high"]) / 2
        assert mid == pytest.approx(r["diff_vs_base"], rel=1e-9)
    p90 = _row(rows, "incentive_cost", "p90")
    assert p90["diff_low"] < true < p90["diff_high"]  # 0.0566
    assert p90["diff_high"] - p90["diff_low"] < 0.03


def test_few_trials_fall_back_on_the_bootstrap_seeded_by_metric_and_statistic():
    alt, base, _ = _paired_lognormal(60, 1)
    metric = SWEEP_METRICS["incentive_cost"]
    got = difference(alt, base, metric, "p90", 0.95, 500, (0, 3))
    seed = np.random.SeedSequence(_BOOT_SEED, spawn_key=(0, 3))
    assert got == percentile_difference_interval(alt, base, 0.9, n_boot=500, rng=seed)
    assert got == difference(alt, base, metric, "p90", 0.95, 500, (0, 3))  # the same twice
    assert got.low < got.estimate < got.high


def test_a_probability_difference_has_newcombes_interval():
    metric = SWEEP_METRICS["p_company_target"]
    base = np.array([1.0] * 50 + [0.0] * 50)
    alt = base.copy()
    alt[50:56] = 1.0  # six more years reach the target
    got = difference(alt, base, metric, "mean", 0.95, 1_000, (0, 0))
    assert got == proportion_difference_interval(alt, base, paired=True)
    assert (round(got.estimate, 2), round(got.low, 3), round(got.high, 3)) == (0.06, 0.014, 0.105)
    # every year changes side: the t interval of the 0/1 differences has width 0 and
    # claims certainty; Newcombe's still allows a chance below 1 (Wilson's 100 of 100)
    flip = difference(np.ones(100), np.zeros(100), metric, "mean", 0.95, 1_000, (0, 0))
    assert flip.estimate == 1.0 and flip.high == 1.0 and 0.94 < flip.low < 0.96


def test_a_mean_and_a_share_of_reps_keep_the_paired_t_interval():
    g = np.random.default_rng(2)
    base = g.uniform(0.2, 0.6, size=80)  # a share of reps at quota in each year
    alt = np.clip(base + g.normal(0.02, 0.01, size=80), 0.0, 1.0)
    d = alt - base
    half = Z * d.std(ddof=1) / math.sqrt(d.size)
    for name in ("share_at_quota", "incentive_cost"):
        got = difference(alt, base, SWEEP_METRICS[name], "mean", 0.95, 1_000, (0, 0))
        assert got.estimate == pytest.approx(d.mean(), rel=1e-12)
        assert (got.low, got.high) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-9)
    same = difference(base, base.copy(), SWEEP_METRICS["p_company_target"], "mean", 0.95, 1_000,
                      (0, 0))  # fmt: skip
    assert tuple(same) == (0.0, 0.0, 0.0)


def test_a_sweep_reports_these_intervals_for_the_simulated_years():
    base = sample_scenario("baseline").replace(trials=120)
    book = load_book_ref(base.book)
    change = {"quota.growth": 0.04}
    table = sweep(base, [change], rng=3, book=book, metrics=["incentive_cost", "p_company_target"])
    a = simulate(set_params(base, change), 120, rng=3, book=book).trials
    b = simulate(base, 120, rng=3, book=book).trials
    got = table[table.scenario.eq("growth=0.04")].set_index(["metric", "statistic"])
    cols = ["diff_vs_base", "diff_low", "diff_high"]
    chance = proportion_difference_interval(a.hit_company_target, b.hit_company_target)
    assert tuple(got.loc[("p_company_target", "mean"), cols]) == pytest.approx(tuple(chance))
    assert chance.low > 0  # lower quotas: the company target is reached more often
    d = (a.incentive_cost - b.incentive_cost).to_numpy(float)
    half = Z * d.std(ddof=1) / math.sqrt(d.size)
    assert tuple(got.loc[("incentive_cost", "mean"), cols]) == pytest.approx(
        (d.mean(), d.mean() - half, d.mean() + half), rel=1e-9
    )
