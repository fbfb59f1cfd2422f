"""Coverage of the intervals that summaries and comparisons print, on a case with a known answer.

Each replication is a small Monte Carlo of a known model, run through
:func:`spm_sim.metrics.compare` exactly as a report runs it; over many replications,
a nominal 95% interval must hold the true value about 95% of the time.

The model: a baseline's incentive cost per simulated year is lognormal,
``X = exp(mu + s U)``, and an alternative's ``Y = exp(mu + d + s V)`` with ``(U, V)``
standard normals of correlation ``rho`` (common random numbers make the two runs'
years move together). Everything is known in closed form:

* the mean ``E X = exp(mu + s^2 / 2)``;
* the ``q`` percentile ``x_q = exp(mu + s z_q)``, and of ``Y`` ``x_q e^d``, so the paired
  difference of the percentiles is ``x_q (e^d - 1)`` and of the means
  ``E X (e^d - 1)``;
* the chance of reaching a threshold ``c``, ``P(X >= c) = Phi((mu - log c) / s)``.

Tolerance: with ``R = 400`` replications a share covering with probability 0.95 has
a standard error ``sqrt(0.95 x 0.05 / 400) = 0.011``; [0.92, 0.975] is 2.7 standard
errors below and 2.3 above, so an honest interval lands inside (the seeds are fixed:
the test is deterministic) while one that ignores the pairing, the level or the
skew (a coverage of 0.90 or 0.99) falls out.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from spm_sim.metrics import (
    BOOTSTRAP_SEED,
    METRICS,
    bootstrap_interval,
    compare,
    percentile_difference_interval,
)

REPS = 400
N = 500
MU, S, D, RHO = math.log(5e6), 0.2, 0.04, 0.9
THRESHOLD = 5.3e6
COVERAGE = (0.92, 0.975)
RESERVE = {0.9: 1.0, 0.5: -1.0}
Z = NormalDist()


def _truth() -> dict[str, float]:
    mean = math.exp(MU + S * S / 2)
    out = {"mean": mean, "diff_mean": mean * math.expm1(D)}
    for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        x_q = math.exp(MU + S * Z.inv_cdf(q))
        out[name] = x_q
        out[f"diff_{name}"] = x_q * math.expm1(D)
    out["reserve"] = out["p90"] - out["p50"]
    out["diff_reserve"] = out["reserve"] * math.expm1(D)
    above = Z.cdf((MU - math.log(THRESHOLD)) / S)
    above_y = Z.cdf((MU + D - math.log(THRESHOLD)) / S)
    out.update(hit=above, diff_hit=above_y - above)
    return out


def _result(name: str, cost: np.ndarray, entropy: int) -> SimpleNamespace:
    """The parts of a SimulationResult that compare() reads: its trials and its seed."""
    trials = pd.DataFrame({m: np.zeros(cost.size) for m in METRICS})
    trials["incentive_cost"] = cost
    trials["hit_company_target"] = (cost >= THRESHOLD).astype(float)
    return SimpleNamespace(
        trials=trials,
        scenario=SimpleNamespace(name=name, book="known", plan_year=2026, engine="summed"),
        n_trials=cost.size,
        provenance={},
        seed={"entropy": entropy, "spawn_key": ()},
    )


@pytest.fixture(scope="module")
def coverage() -> dict[str, float]:
    """The share of replications whose interval holds the true value, per figure."""
    truth = _truth()
    g = np.random.default_rng(20_260_418)
    u = g.standard_normal((REPS, N))
    v = RHO * u + math.sqrt(1 - RHO * RHO) * g.standard_normal((REPS, N))
    w = g.standard_normal((REPS, N))  # an alternative run on other random numbers
    hits: dict[str, int] = {}

    def count(key: str, low: float, high: float, value: float) -> None:
        hits[key] = hits.get(key, 0) + bool(low <= value <= high)

    for r in range(REPS):
        x, y = np.exp(MU + S * u[r]), np.exp(MU + D + S * v[r])
        t = compare([_result("base", x, 1), _result("paired", y, 1)])
        b, p = (t.iloc[k] for k in np.flatnonzero(t["metric"] == "incentive_cost"))
        for stat in ("mean", "p10", "p50", "p90"):
            count(stat, b[f"{stat}_low"], b[f"{stat}_high"], truth[stat])
        count("diff_mean", p["diff_low"], p["diff_high"], truth["diff_mean"])
        for stat in ("p10", "p50", "p90"):
            key = f"diff_{stat}"
            count(key, p[f"{key}_low"], p[f"{key}_high"], truth[key])
        hit_b, hit_p = (t.iloc[k] for k in np.flatnonzero(t["metric"] == "hit_company_target"))
        count("hit", hit_b["mean_low"], hit_b["mean_high"], truth["hit"])
        count("diff_hit", hit_p["diff_low"], hit_p["diff_high"], truth["diff_hit"])
        assert p["paired"]
        # an alternative run on other random numbers: compare() calls this, unpaired
        apart = np.exp(MU + D + S * w[r])
        for stat, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
            _, low, high = percentile_difference_interval(apart, x, q, paired=False)
            count(f"apart_diff_{stat}", low, high, truth[f"diff_{stat}"])
        # the reserve for a bad year (P90 - P50), as the report computes it
        _, low, high = bootstrap_interval(x, RESERVE, rng=BOOTSTRAP_SEED)
        count("reserve", low, high, truth["reserve"])
        _, low, high = percentile_difference_interval(y, x, RESERVE)
        count("diff_reserve", low, high, truth["diff_reserve"])
    return {k: n / REPS for k, n in hits.items()}


def test_the_known_answers_are_what_the_closed_forms_say():
    # a check of the closed forms on one large sample, so the coverage is measured
    # against the right values
    truth = _truth()
    g = np.random.default_rng(5)
    x = np.exp(MU + S * g.standard_normal(2_000_000))
    assert x.mean() == pytest.approx(truth["mean"], rel=1e-3)
    assert np.percentile(x, [10, 50, 90]) == pytest.approx(
        [truth["p10"], truth["p50"], truth["p90"]], rel=2e-3
    )
    assert (x >= THRESHOLD).mean() == pytest.approx(truth["hit"], abs=2e-3)


def test_a_mean_and_a_probability_cover_at_their_level(coverage):
    # mean +/- 1.96 standard errors (a lognormal of s = 0.2 is mildly skewed), and
    # Wilson's interval for the chance of reaching the threshold
    for key in ("mean", "hit"):
        assert COVERAGE[0] <= coverage[key] <= COVERAGE[1], (key, coverage[key])


def test_percentiles_cover_at_least_at_their_level(coverage):
    # order statistics: at least 95% by construction (the count below the true
    # percentile is binomial), a little more as that count is discrete
    for key in ("p10", "p50", "p90"):
        assert COVERAGE[0] <= coverage[key] <= COVERAGE[1], (key, coverage[key])


def test_the_reserve_covers_at_its_level(coverage):
    # P90 - P50: the bootstrap of one run
    assert COVERAGE[0] <= coverage["reserve"] <= COVERAGE[1], coverage["reserve"]


def test_paired_differences_cover_at_their_level(coverage):
    # common random numbers: the mean's paired interval, Newcombe's for the chance,
    # and the linearised interval of the percentiles and the reserve (the paired
    # percentile bootstrap covers about 98% here: too wide)
    for key in ("diff_mean", "diff_hit", "diff_p10", "diff_p50", "diff_p90", "diff_reserve"):
        assert COVERAGE[0] <= coverage[key] <= COVERAGE[1], (key, coverage[key])


def test_unpaired_differences_of_percentiles_cover_at_their_level(coverage):
    # runs on different random numbers: the two runs' linear terms apart
    for key in ("apart_diff_p10", "apart_diff_p50", "apart_diff_p90"):
        assert COVERAGE[0] <= coverage[key] <= COVERAGE[1], (key, coverage[key])
