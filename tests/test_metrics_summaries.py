"""Every figure of a summary and of a comparison carries its interval, computed as stated.

The results here are small stand-ins built by hand (the parts of a SimulationResult the
summaries read), so each column can be checked against the interval function it comes
from; tests/test_metrics_coverage.py checks that those intervals hold their level.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from spm_sim.metrics import (
    METRICS,
    compare,
    mean_interval,
    percentile_difference_interval,
    percentile_interval,
    proportion_difference_interval,
    proportion_interval,
    rep_summary,
    summarize,
)

N = 400


def _result(name: str, cost: np.ndarray, *, entropy: int = 1, hit=None) -> SimpleNamespace:
    trials = pd.DataFrame({m: np.linspace(1.0, 2.0, cost.size) for m in METRICS})
    trials["incentive_cost"] = cost
    trials["hit_company_target"] = (cost > np.median(cost)).astype(float) if hit is None else hit
    return SimpleNamespace(
        trials=trials,
        scenario=SimpleNamespace(name=name, book="b", plan_year=2026, engine="summed"),
        n_trials=cost.size,
        provenance={"seed_entropy": entropy},
        seed={"entropy": entropy, "spawn_key": ()},
    )


@pytest.fixture(scope="module")
def runs():
    g = np.random.default_rng(8)
    x = np.exp(15 + 0.2 * g.standard_normal(N))
    y = x * np.exp(0.05 + 0.05 * g.standard_normal(N))  # paired: the same years, 5% more
    z = np.exp(15.05 + 0.2 * g.standard_normal(N))  # other random numbers
    return _result("base", x), _result("alt", y), _result("other", z, entropy=2)


def test_a_summary_gives_each_figure_its_interval(runs):
    base = runs[0]
    s = summarize(base).set_index("metric")
    # the columns of before, in place, then the intervals
    assert list(s.columns[3:9]) == ["mean", "se", "p10", "p50", "p90", "n_trials"]
    assert list(s.columns[9:]) == [
        "mean_low",
        "mean_high",
        "p10_low",
        "p10_high",
        "p50_low",
        "p50_high",
        "p90_low",
        "p90_high",
        "level",
    ]
    cost = base.trials["incentive_cost"]
    row = s.loc["incentive_cost"]
    assert tuple(row[["mean", "mean_low", "mean_high"]]) == pytest.approx(mean_interval(cost))
    for col, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        assert tuple(row[[col, f"{col}_low", f"{col}_high"]]) == percentile_interval(cost, q)
    hit = s.loc["hit_company_target"]
    wilson = proportion_interval(base.trials["hit_company_target"].sum(), N)
    assert tuple(hit[["mean", "mean_low", "mean_high"]]) == pytest.approx(wilson)
    assert hit[["p10", "p90_high"]].isna().all()  # a probability has no percentiles
    assert (s["level"] == 0.95).all()
    # another level, narrower intervals
    s90 = summarize(base, level=0.9).set_index("metric").loc["incentive_cost"]
    assert s90["p90_high"] - s90["p90_low"] < row["p90_high"] - row["p90_low"]
    assert s90["mean_high"] - s90["mean_low"] == pytest.approx(
        (row["mean_high"] - row["mean_low"]) * 1.644854 / 1.959964
    )


def test_a_comparison_gives_each_difference_its_interval(runs):
    base, alt, other = runs
    t = compare([base, alt, other]).set_index(["scenario", "metric"])
    x, y, z = (r.trials["incentive_cost"].to_numpy() for r in runs)
    paired, apart = t.loc[("alt", "incentive_cost")], t.loc[("other", "incentive_cost")]
    assert paired["paired"] and not apart["paired"]
    # the mean: paired differences, or the two standard errors combined
    d = mean_interval(y - x)
    assert tuple(paired[["diff_vs_baseline", "diff_low", "diff_high"]]) == pytest.approx(d)
    half = 1.959964 * math.hypot(z.std(ddof=1), x.std(ddof=1)) / math.sqrt(N)
    assert apart["diff_high"] - apart["diff_vs_baseline"] == pytest.approx(half, rel=1e-5)
    # percentiles: percentile_difference_interval, paired or not
    for col, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        cols = [f"diff_{col}", f"diff_{col}_low", f"diff_{col}_high"]
        assert tuple(paired[cols]) == percentile_difference_interval(y, x, q)
        assert tuple(apart[cols]) == percentile_difference_interval(z, x, q, paired=False)
        # the pairing narrows the interval several times
        width = paired[cols[2]] - paired[cols[1]]
        assert 0 < width < 0.5 * (apart[cols[2]] - apart[cols[1]])
    # a probability: Newcombe's interval
    hits = [r.trials["hit_company_target"].to_numpy() for r in runs]
    h = t.loc[("alt", "hit_company_target")]
    assert tuple(h[["diff_vs_baseline", "diff_low", "diff_high"]]) == pytest.approx(
        proportion_difference_interval(hits[1], hits[0])
    )
    assert h[["diff_p10", "diff_p90_high"]].isna().all()
    # the baseline against itself, and a figure the same in every paired trial: 0 to 0
    assert (t.loc["base"].filter(like="diff_").fillna(0.0) == 0.0).all().all()
    same = t.loc[("alt", "company_bookings")]
    assert (same.filter(like="diff_") == 0.0).all()
    assert t.attrs["level"] == 0.95 and t.attrs["baseline"] == "base"


def test_a_comparison_is_the_same_for_the_same_results(runs):
    first = compare(list(runs))
    pd.testing.assert_frame_equal(first, compare(list(runs)))
    with pytest.raises(ValueError, match=r"level must be .* got 95"):
        compare(list(runs), level=95)
    with pytest.raises(ValueError, match=r"n_boot .* got 10"):
        compare(list(runs), n_boot=10)


def test_a_rep_summary_gives_each_rep_figure_its_interval():
    g = np.random.default_rng(2)
    bookings = g.gamma(4.0, 250.0, size=(N, 3))
    quota = np.array([1000.0, 900.0, 0.0])  # the third rep has no quota
    payout = (bookings * 0.1)[:, :, None] * np.array([0.7, 0.3])
    result = SimpleNamespace(
        rep_attainment=bookings / np.where(quota > 0, quota, np.nan),
        payout=payout,
        bookings=bookings,
        quotas=SimpleNamespace(annual=quota),
        rep_ids=("R1", "R2", "R3"),
        regions=np.array(["N", "N", "S"]),
        target_incentive=np.array([100.0, 100.0, 100.0]),
        n_trials=N,
        provenance={},
    )
    found = rep_summary(result)
    assert list(found.columns[:9]) == [
        "rep_id",
        "region",
        "annual_quota",
        "expected_bookings",
        "expected_attainment",
        "p_at_quota",
        "target_incentive",
        "expected_incentive",
        "incentive_p90",
    ]
    reps = found.set_index("rep_id")
    r1 = reps.loc["R1"]
    assert tuple(r1[["expected_bookings", "expected_bookings_low", "expected_bookings_high"]]) == (
        pytest.approx(mean_interval(bookings[:, 0]))
    )
    made = (bookings[:, 0] >= 1000.0).sum()
    assert tuple(r1[["p_at_quota", "p_at_quota_low", "p_at_quota_high"]]) == pytest.approx(
        proportion_interval(made, N)
    )
    pay = payout.sum(axis=2)[:, 0]
    assert tuple(r1[["incentive_p90", "incentive_p90_low", "incentive_p90_high"]]) == (
        pytest.approx(percentile_interval(pay, 0.9))
    )
    assert tuple(r1[["expected_incentive", "expected_incentive_low"]]) == pytest.approx(
        mean_interval(pay)[:2]
    )
    # no quota: no attainment and no chance of quota, but bookings and pay
    r3 = reps.loc["R3"]
    assert r3[["expected_attainment_low", "p_at_quota", "p_at_quota_high"]].isna().all()
    assert np.isfinite(r3["expected_bookings_low"]) and np.isfinite(r3["incentive_p90_low"])
