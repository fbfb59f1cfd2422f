"""Runs to a precision: more trials extend the same streams (a precise run is a plain run
of its final trial count, bit for bit); figures named as in the summary; the cap."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from spm_sim.book import load_book_ref
from spm_sim.errors import SpecError
from spm_sim.metrics import compare
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import (
    Precision,
    figure_interval,
    load_result,
    parse_figure,
    simulate,
    simulate_to_precision,
)

_precision = importlib.import_module("spm_sim._simulate.precision")

ARRAYS = ("bookings", "payout", "company_by_period", "payout_by_period")


def _same(a, b) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert list(a.dynamics) == list(b.dynamics)
    for key in a.dynamics:
        assert a.dynamics[key].tobytes() == b.dynamics[key].tobytes(), key


@pytest.fixture(scope="module")
def baseline():
    return sample_scenario("baseline")


@pytest.fixture(scope="module")
def book(baseline):
    """The sample book, read once (every scenario here simulates it)."""
    return load_book_ref(baseline.book)


@pytest.mark.parametrize("name", ["baseline", "people_and_behaviour"])
def test_more_trials_extend_the_same_streams(name, book):
    """60 trials then 90 more are 150 trials at once, whatever the chunks (the month
    loop of the workforce and behaviour included)."""
    s = sample_scenario(name)
    run = _precision._Run(s, book, 5, chunk_size=40)
    run.extend(60, None, False)
    first = run.result("serial")
    run.extend(150, None, False)
    _same(run.result("serial"), simulate(s, 150, rng=5, chunk_size=33, book=book))
    _same(first, simulate(s, 60, rng=5, chunk_size=60, book=book))


def test_a_precise_run_equals_a_plain_run_of_its_trials(baseline, book):
    r = simulate_to_precision(
        baseline, "incentive_cost.mean", 0.03, min_trials=50, rng=2, book=book
    )
    p = r.precision
    assert p.reached and p.relative <= 0.03 and p.trials == r.n_trials > 50
    assert p.steps[0][0] == 50 and p.steps[-1] == (r.n_trials, p.relative)
    assert [n for n, _ in p.steps] == sorted({n for n, _ in p.steps})  # more each batch
    assert p.steps[0][1] > 0.03  # the first batch was not enough, so the loop ran
    _same(r, simulate(baseline, r.n_trials, rng=2, book=book))
    est, low, high = figure_interval(r, "incentive_cost.mean")
    assert (p.estimate, p.low, p.high) == (est, low, high)
    summary = r.summary().set_index("metric")
    assert est == pytest.approx(summary.at["incentive_cost", "mean"], rel=1e-12)
    assert r.scenario.trials == r.n_trials


def test_the_cap_ends_a_run_and_says_the_precision_was_not_reached(baseline, book):
    r = simulate_to_precision(
        baseline, "incentive_cost.p90", 0.001, min_trials=40, max_trials=90, book=book
    )
    p = r.precision
    assert (p.reached, p.trials, p.max_trials) == (False, 90, 90) and p.relative > 0.001
    assert [n for n, _ in p.steps] == [50, 90]  # 40 rounded up to whole blocks of 25
    assert "not within the 0.1% asked; the cap of 90 trials ended it" in p.describe()


def test_several_scenarios_run_to_one_trial_count_and_stay_paired(baseline, book):
    alt = sample_scenario("accelerated")
    both = simulate_to_precision(
        [baseline, alt], "incentive_cost.p90", 0.05, min_trials=40, book={baseline.book: book}
    )
    assert both[0].n_trials == both[1].n_trials
    assert compare(both)["paired"].all()
    # the run went on until both were precise enough
    assert all(r.precision.reached for r in both)
    assert max(r.precision.relative for r in both) <= 0.05


def test_the_precision_record_is_saved_with_the_result(baseline, book, tmp_path):
    r = simulate_to_precision(
        baseline, "p_company_target", 0.5, min_trials=30, max_trials=30, book=book
    )
    again = load_result(r.save(tmp_path / "r"))
    assert again.precision == r.precision and isinstance(again.precision, Precision)
    assert again.precision.unit == "prob"


def test_figures_are_named_as_in_the_summary(baseline, book):
    r = simulate(baseline, 120, rng=4, book=book)
    summary = r.summary().set_index("metric")

    def same(figure, metric, stat):  # the summary's figure (up to the sum's rounding)
        return figure_interval(r, figure).estimate == pytest.approx(summary.at[metric, stat])

    assert same("incentive_cost.p90", "incentive_cost", "p90")
    assert same("ccos.median", "ccos", "p50") and same("cost_of_sales", "ccos", "mean")
    assert same("P-Company-Target", "hit_company_target", "mean")
    chance = figure_interval(r, "p_company_target")
    assert 0 <= chance.low < chance.estimate < chance.high <= 1  # Wilson
    share = figure_interval(r, "share_at_quota", level=0.5)
    wide = figure_interval(r, "share_at_quota", level=0.99)
    assert wide.low < share.low < share.high < wide.high
    assert parse_figure("incentive_cost.p2.5") == ("incentive_cost", "p2.5", 0.025)


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        (
            "incentive_costs",
            r"unknown metric 'incentive_costs' \(did you mean 'incentive_cost'\?\)",
        ),
        ("hit_company_target.p90", "is a probability .* no percentiles"),
        ("incentive_cost.p100", "unknown statistic 'p100'"),
        ("incentive_cost.avg", "unknown statistic 'avg'"),
    ],
)
def test_a_bad_figure_name_says_what_exists(figure, message):
    with pytest.raises(SpecError, match=message):
        parse_figure(figure)


def test_a_dynamics_figure_of_a_scenario_without_them_is_refused(baseline, book):
    r = simulate(baseline, 5, rng=1, book=book)
    with pytest.raises(SpecError, match="has no leavers"):
        figure_interval(r, "leavers")
    with pytest.raises(SpecError, match=r"precision must be a share .* got 0.0"):
        simulate_to_precision(baseline, precision=0.0)
    with pytest.raises(SpecError, match="unknown metric"):
        simulate_to_precision(baseline, "nope")


def test_the_next_batch_aims_at_the_precision_within_bounds():
    nxt = _precision._next_trials
    assert nxt(1000, 0.02, 0.01, 10**6) == 4000  # four times the trials halve the width
    assert nxt(1000, 0.011, 0.01, 10**6) == 1400  # 1.1 x 1000 x 1.21 = 1331, in hundreds
    assert nxt(1000, 0.0101, 0.01, 10**6) == 1200  # at least 10% more (1,122 -> 1,200)
    assert nxt(1000, 0.5, 0.01, 10**6) == 4000  # at most four times as many
    assert nxt(1000, math.inf, 0.01, 10**6) == 2000  # width unknown yet: double
    assert nxt(1000, 0.02, 0.01, 2500) == 2500  # never past the cap
    assert np.isinf(Precision("x", 0.95, 0.01, 0.0, -1.0, 1.0, False, 1, 1).relative)
