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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_percentile_target_stops_once_it_is_met_within_monte_carlo_error(base, book, seed):
    """A P90 of 60 trials moves in many small steps as the reps' pay reorders: the search
    stops when the target is met to ``tol`` or lies inside the metric's interval at both
    ends of the bracket, long before ``max_evals`` (it once bisected a step to 1e-9 and
    ran out of evaluations)."""
    p90 = calibrate_plan(
        base, "plan.components[bookings].threshold", "incentive_cost.p90=6.2M", rng=seed,
        book=book,
    )  # fmt: skip
    assert p90.converged and p90.n_evaluations <= 25, p90.summary()  # max_evals is 40
    met = abs(p90.achieved.estimate / 6.2e6 - 1) <= 1e-3
    assert met or p90.stopped == "the target inside the metric's interval at both ends"
    assert p90.achieved.low <= 6.2e6 <= p90.achieved.high
    for end, side in ((p90.low, -1), (p90.high, 1)):
        assert math.isnan(end) or side * (end - p90.value) > 0
    assert f"{p90.n_evaluations} evaluations, converged ({p90.stopped})" in p90.summary()


def test_a_share_target_is_met_on_the_quota_lever(base, book):
    share = calibrate_plan(base, "quota.over_assignment", "share_at_quota=40%", rng=1, book=book)
    assert share.converged and share.achieved.low <= 0.4 <= share.achieved.high
    assert share.value > get_param(base, "quota.over_assignment")  # fewer reps at quota: more
    assert share.low < share.value < share.high and share.n_evaluations < 40


# --- the search on known functions (the simulation replaced by f(x) + fixed noise) -----

RATE = "plan.components[bookings].tiers[1].rate"
THRESHOLD = "plan.components[bookings].threshold"


class _Known:
    """Stands in for the sweep runner: every trial of value ``x`` costs ``f(x)`` plus the
    same noise (mean 0, standard deviation ``sd``), so the mean's interval is
    ``f(x) +/- 1.96 sd / sqrt(n)``."""

    def __init__(self, param, f, sd, n=50):
        self.param, self.f = param, f
        z = np.random.default_rng(0).standard_normal(n)
        self.noise = sd * (z - z.mean()) / z.std(ddof=1)

    def __call__(self, *args, **kwargs):  # built as the Runner is
        return self

    def payable(self, scenario):
        return float(get_param(scenario, self.param))

    def run(self, payables, columns, *, label=""):
        return [{c: self.f(x) + self.noise for c in columns} for x in payables]


def _seek(monkeypatch, base, param, f, target, sd, **kw):
    from spm_sim._sweep import goal

    monkeypatch.setattr(goal, "Runner", _Known(param, f, sd))
    return calibrate_plan(base, param, target, book=object(), **kw)


def test_a_metric_that_jumps_over_the_target_is_bisected_to_the_parameter_resolution(
    base, monkeypatch
):
    """$3M below the threshold 0.3137, $1M above, the interval +/- $0.3k: no value meets
    $2M; the jump is located to the parameter's resolution (1e-6), not to 1e-9, well
    within max_evals."""
    jump = 0.3137
    answer = _seek(monkeypatch, base, THRESHOLD, lambda x: 3e6 if x < jump else 1e6,
                   "incentive_cost=2M", sd=1e3)  # fmt: skip
    assert answer.converged and answer.stopped == "a step at the parameter's resolution"
    assert any("moves in a step" in n for n in answer.notes)
    assert abs(answer.value - jump) <= 1e-6 and answer.n_evaluations <= 30
    assert answer.low == pytest.approx(jump, abs=1e-6)
    assert answer.high == pytest.approx(jump, abs=1e-6)


def test_a_staircase_metric_stops_when_the_target_is_within_its_interval_at_both_ends(
    base, monkeypatch
):
    """A cost falling $1M per unit of threshold in stairs of $10k (as a percentile of few
    trials moves): $2.005M lies between two stairs, inside the mean's interval (+/- $83k)
    wherever the cost is within $83k of it: the search stops there, and the answer's
    interval is where the interval's ends cross the target (x* -/+ 0.083)."""

    def f(x):
        return 2.4e6 - 1e6 * math.floor(x / 0.01) * 0.01

    answer = _seek(monkeypatch, base, THRESHOLD, f, "incentive_cost=2.005M", sd=3e5)
    half = NormalDist().inv_cdf(0.975) * 3e5 / math.sqrt(50)  # $83k
    assert answer.converged and answer.n_evaluations <= 15, answer.summary()
    assert answer.stopped == "the target inside the metric's interval at both ends"
    assert abs(answer.achieved.estimate - 2.005e6) <= 1e4  # one stair at most
    assert answer.low == pytest.approx(0.395 - half / 1e6, abs=0.011)
    assert answer.high == pytest.approx(0.395 + half / 1e6, abs=0.011)


def test_a_smooth_metric_is_met_to_the_tolerance(base, monkeypatch):
    answer = _seek(monkeypatch, base, RATE, lambda x: 4e6 * x, "incentive_cost=7M", sd=3e5)
    assert answer.stopped == "within tol = 0.001 of the target"
    assert answer.value == pytest.approx(1.75, rel=1e-3) and answer.n_evaluations <= 12


def test_out_of_reach_says_what_stopped_the_search_and_how_to_go_on(base, monkeypatch):
    """Stepping outward ends at the field's own limit, at the expansion limit or at
    max_evals; each is said with the values reached and what to change."""
    rising = lambda x: 1e6 * (1.0 + x)  # noqa: E731
    with pytest.raises(
        InfeasibleError,
        match=r"\$500k is out of reach by moving plan.components\[bookings\].threshold from 0 "
        r"to .*: there the incentive cost \(mean\) ranges from \$1\.00M \(at 0\) to .*, "
        r"above the target\. The search stopped at the field's own lower limit "
        r"\(plan.components\[bookings\].threshold >= 0\), reached at 0\. Move another "
        r"parameter",
    ):
        _seek(monkeypatch, base, THRESHOLD, rising, "incentive_cost=500k", sd=1e3)
    saturating = lambda x: 1e6 * (1.0 - math.exp(-x))  # noqa: E731
    with pytest.raises(
        InfeasibleError,
        match=r"ranges from \$528k \(at 0\.75\) to \$1\.00M \(at .*\), below the target\. "
        r"The search stopped where the spec refused a value: plan.components\[bookings\]"
        r"\.tiers\[1\]\.rate = 143\.25: .* rate 143\.25 is above 100, .*Search a wider range",
    ):
        _seek(monkeypatch, base, RATE, saturating, "incentive_cost=2M", sd=1e3)
    from spm_sim._sweep import goal

    monkeypatch.setattr(goal, "MAX_EXPANSIONS", 3)
    with pytest.raises(
        InfeasibleError,
        match=r"The search stopped at its expansion limit: 3 rounds outward from 1\.5, the "
        r"step doubling each round, reached 0\.75 to 23\.25\. Search a wider range with "
        r"bounds \(--bounds LO HI on the command line, bounds=\(lo, hi\) in Python\)",
    ):
        _seek(monkeypatch, base, RATE, saturating, "incentive_cost=2M", sd=1e3)
    with pytest.raises(InfeasibleError, match=r"stopped at max_evals \(5 evaluations\)"):
        _seek(monkeypatch, base, RATE, saturating, "incentive_cost=2M", sd=1e3, max_evals=5)


def test_a_target_out_of_reach_gives_the_metric_range_and_what_to_try(base, book):
    with pytest.raises(
        InfeasibleError,
        match=r"out of reach .* within \[1, 2\]: there the incentive cost \(mean\) "
        r"ranges from \$.* \(at 1\) to .*, below the target\. Five values across the bounds "
        r"\[1, 2\] were tried\. Search a wider range with bounds \(--bounds LO HI",
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
