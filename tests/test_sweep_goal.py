"""Goal-seek: targets read with clear errors, a known answer found within its interval,
a target out of reach explained, the same answer on every executor (issue 18, item 2)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from spm_sim import sample_scenario, simulate
from spm_sim.book import load_book_ref
from spm_sim.comp import load_plan
from spm_sim.errors import InfeasibleError, SpecError
from spm_sim.sweep import Target, calibrate_plan, get_param, parse_target

N = 60
FLAT = "plan.components[bookings].tiers[0].rate"


@pytest.fixture(scope="module")
def base():
    return sample_scenario("baseline").replace(trials=N)


@pytest.fixture(scope="module")
def book(base):
    return load_book_ref(base.book)


@pytest.fixture(scope="module")
def flat(base):
    """A plan paying a flat share of every dollar booked: its cost is rate x bookings."""
    plan = load_plan(
        {
            "name": "Flat commission",
            "currency": "USD",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "bookings",
                    "tiers": [{"start": 0.0, "rate": 0.05}],
                }  # fmt: skip
            ],
        }
    )
    return base.replace(plan=plan)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("incentive_cost.mean=6M", Target("incentive_cost", "mean", 6e6)),
        ("incentive_cost=$6,000,000", Target("incentive_cost", "mean", 6e6)),
        ("incentive_cost.p90 = 7.5M", Target("incentive_cost", "p90", 7.5e6)),
        ("cost_of_sales.mean=9%", Target("cost_of_sales", "mean", 0.09)),
        ("share_at_quota=60%", Target("share_at_quota", "mean", 0.6)),
        ("p_company_target=0.5", Target("p_company_target", "mean", 0.5)),
        ("company_bookings.p10=120k", Target("company_bookings", "p10", 1.2e5)),
    ],
)
def test_targets_are_read_in_the_units_a_planner_writes(text, want):
    got = parse_target(text)
    assert got.metric == want.metric and got.statistic == want.statistic
    assert got.value == pytest.approx(want.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("incentve_cost=6M", r"unknown metric 'incentve_cost'\. Did you mean 'incentive_cost'"),
        ("share_at_quota.p90=60%", r"share_at_quota has no statistic 'p90'; it has mean"),
        ("incentive_cost=6%", r"is a percentage, but the metric is money"),
        ("share_at_quota=$6M", r"is money, but the metric is a share"),
        ("share_at_quota=60", r"above 1; write a share as a fraction \(0\.6\) or with %"),
        ("p_company_target=100%", r"between 0 and 1"),
        ("incentive_cost=lots", r"'lots' is not a number"),
        ("incentive_cost", r"METRIC\[\.STATISTIC\]=VALUE"),
    ],
)
def test_a_bad_target_says_what_is_wrong(text, message):
    with pytest.raises(SpecError, match=message):
        parse_target(text)


def test_a_known_answer_is_found_within_its_interval(flat, book):
    """Cost is rate x bookings, so the answer and its interval have closed forms on the
    same trials: r* = C / mean(B), and [C / (mean + h), C / (mean - h)] with h the
    half-width of the mean's 95% interval."""
    bookings = simulate(flat, N, rng=2, book=book).trials["company_bookings"].to_numpy(float)
    m = bookings.mean()
    h = NormalDist().inv_cdf(0.975) * bookings.std(ddof=1) / math.sqrt(N)
    target = 0.07 * m
    answer = calibrate_plan(flat, FLAT, f"incentive_cost.mean={target:.2f}", rng=2, book=book)
    assert answer.converged and answer.monotone
    assert answer.value == pytest.approx(target / m, rel=2e-3)
    assert answer.low == pytest.approx(target / (m + h), rel=2e-3)
    assert answer.high == pytest.approx(target / (m - h), rel=2e-3)
    assert answer.low < target / m < answer.high
    assert answer.achieved.low <= target <= answer.achieved.high
    assert answer.start == 0.05 and answer.n_evaluations <= 20
    assert get_param(answer.scenario, FLAT) == answer.value
    ev = answer.evaluations
    assert {"round", "value", "estimate", "low", "high", "gap", "valid"} <= set(ev)
    assert ev["valid"].all() and len(ev) == answer.n_evaluations
    assert "interval of the answer" in answer.summary()


def test_a_percentile_target_and_a_step_metric_converge(base, book):
    p90 = calibrate_plan(
        base, "plan.components[bookings].threshold", "incentive_cost.p90=6.5M", rng=1, book=book
    )
    # a percentile of few trials moves in small steps as the reps' pay reorders: met to
    # the tolerance, or bisected down to the step (and said)
    met = abs(p90.achieved.estimate / 6.5e6 - 1) < 1e-3
    assert p90.converged and (met or any("moves in a step" in n for n in p90.notes))
    assert abs(p90.achieved.estimate / 6.5e6 - 1) < 0.01
    share = calibrate_plan(base, "quota.over_assignment", "share_at_quota=40%", rng=1, book=book)
    assert share.converged and share.achieved.low <= 0.4 <= share.achieved.high
    assert share.value > get_param(base, "quota.over_assignment")  # fewer reps at quota: more


def test_a_target_out_of_reach_gives_the_metric_range_and_what_to_try(base, book):
    with pytest.raises(
        InfeasibleError,
        match=r"out of reach .* within \[1, 2\]: there the "
        r"incentive cost \(mean\) ranges from \$.* \(at 1\) to .* Try wider bounds",
    ):
        calibrate_plan(base, "plan.components[bookings].tiers[1].rate", "incentive_cost=60M",
                       bounds=(1.0, 2.0), trials=20, rng=0, book=book)  # fmt: skip
    with pytest.raises(SpecError, match=r"holds str, not a number|holds 'trailing_12m', not a"):
        calibrate_plan(base, "quota.history", "incentive_cost=6M", trials=10, book=book)
    with pytest.raises(SpecError, match=r"bounds: low -1 is outside what"):
        calibrate_plan(base, "plan.components[0].threshold", "incentive_cost=6M",
                       bounds=(-1, 1), trials=10, book=book)  # fmt: skip


def test_the_same_answer_on_local_processes_and_on_dask(flat, book, dask_client):
    kw = {"trials": 30, "rng": 4, "book": book}
    serial = calibrate_plan(flat, FLAT, "incentive_cost=9.5M", **kw)
    procs = calibrate_plan(flat, FLAT, "incentive_cost=9.5M", executor="processes", workers=2, **kw)
    on_dask = calibrate_plan(flat, FLAT, "incentive_cost=9.5M", executor=dask_client, **kw)
    for other in (procs, on_dask):
        assert (other.value, other.low, other.high) == (serial.value, serial.low, serial.high)
        np.testing.assert_array_equal(
            other.evaluations["estimate"].to_numpy(), serial.evaluations["estimate"].to_numpy()
        )
