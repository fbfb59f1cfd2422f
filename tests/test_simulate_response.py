"""The response's share of a plan difference (spm_sim.simulate.response_decomposition).

Small runs (40-50 trials, summed engine) on the sample book: the decomposition's
arithmetic (total = mechanical + response, trial by trial), its agreement with
compare() and with simulate() of each variant, the behaviour range, the paths
(scenarios, results, an executor) and the refusals.
"""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim import load_sample, sample_scenario
from spm_sim.metrics import compare
from spm_sim.productivity import Behaviour
from spm_sim.simulate import (
    RESPONSE_METRICS,
    RESPONSE_PARTS,
    response_decomposition,
    simulate,
)

N = 50


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def pair():
    """The baseline and the accelerated plan, reps responding relative to the baseline."""
    base = sample_scenario("baseline").replace(engine="summed")
    beh = Behaviour(reference_plan=base.plan)
    alt = sample_scenario("accelerated").replace(engine="summed", behaviour=beh)
    return base.replace(behaviour=beh), alt


@pytest.fixture(scope="module")
def split(pair, book):
    a, b = pair
    beh = a.behaviour
    ends = (
        beh.replace(effort_elasticity=0.0, pull_forward=0.0, push_out=0.0),
        beh.replace(effort_elasticity=0.3),
    )
    return response_decomposition(a, b, N, rng=3, book=book, behaviour_range=ends)


def _values(split, metric):
    t = split.table().set_index(["metric", "part"])
    return {p: float(t.loc[(metric, p), "value"]) for p in RESPONSE_PARTS if (metric, p) in t.index}


def test_parts_add_up_trial_by_trial_and_in_the_table(split):
    assert split.paired and split.behaviour and split.ranged
    table = split.table()
    assert set(table["metric"]) == set(RESPONSE_METRICS)
    assert set(table["part"]) == set(RESPONSE_PARTS)
    # each part worked out here from the four runs' own per-year figures: the response
    # is how much more the reps' response moves a figure under B than under A
    run = {k: split.results[k].trials.set_index("trial") for k in split.results}
    for metric in RESPONSE_METRICS:
        per = split.per_trial[metric]
        on = run["alternative_on"][metric] - run["baseline_on"][metric]
        off = run["alternative_off"][metric] - run["baseline_off"][metric]
        np.testing.assert_allclose(per["total"], on.to_numpy(float), atol=1e-9)
        np.testing.assert_allclose(per["mechanical"], off.to_numpy(float), atol=1e-9)
        b_moves = run["alternative_on"][metric] - run["alternative_off"][metric]
        a_moves = run["baseline_on"][metric] - run["baseline_off"][metric]
        np.testing.assert_allclose(per["response"], (b_moves - a_moves).to_numpy(float), atol=1e-9)
        v = _values(split, metric)
        assert v["response"] == pytest.approx(float((b_moves - a_moves).mean()), abs=1e-9)
    rows = table.set_index(["metric", "part"])
    assert (rows["low"] <= rows["value"]).all() and (rows["value"] <= rows["high"]).all()


def test_same_sales_under_either_plan_without_behaviour(split):
    """Off, both plans pay the same exogenous sales: bookings, quota and target do not
    move mechanically; the cost does (the plan pays them differently)."""
    for metric in ("company_bookings", "share_reps_at_quota", "hit_company_target"):
        assert (split.per_trial[(metric, "mechanical")] == 0).all()
        row = split.part(metric, "mechanical")
        assert row["value"] == row["low"] == row["high"] == 0
    cost = split.part("incentive_cost", "mechanical")
    assert cost["real"] and cost["value"] > 0  # the steeper plan pays the same sales more
    # reps sell more under the steeper plan than under the plan of their history
    assert split.part("company_bookings", "response")["real"]
    assert split.part("company_bookings", "response")["value"] > 0


def test_total_is_compare_of_the_runs(split):
    """The total part is compare()'s paired difference of the two runs, interval and all."""
    runs = split.results
    cmp = compare([runs["baseline_on"], runs["alternative_on"]]).set_index(["scenario", "metric"])
    for metric in RESPONSE_METRICS:
        row = cmp.loc[(split.alternative, metric)]
        total = split.part(metric, "total")
        assert bool(row["paired"])
        assert total["value"] == pytest.approx(row["diff_vs_baseline"], rel=1e-12, abs=1e-12)
        assert total["low"] == pytest.approx(row["diff_low"], rel=1e-9, abs=1e-12)
        assert total["high"] == pytest.approx(row["diff_high"], rel=1e-9, abs=1e-12)


def test_runs_are_what_simulate_gives(split, pair, book):
    """Paid on sales drawn once, each variant is bit for bit its own simulate()."""
    a, b = pair
    off = simulate(b.replace(behaviour=None), N, rng=3, book=book)
    on = simulate(b, N, rng=3, book=book)
    np.testing.assert_array_equal(split.results["alternative_off"].payout, off.payout)
    np.testing.assert_array_equal(split.results["alternative_on"].bookings, on.bookings)


def test_range_ends(split):
    """The low end switches the response off (no effort term, no deals moved): its
    response part is 0; the high end's differs from the central one."""
    for metric in RESPONSE_METRICS:
        v = _values(split, metric)
        assert v["response_low"] == pytest.approx(0.0, abs=1e-6 * max(1.0, abs(v["total"])))
    v = _values(split, "company_bookings")
    assert v["response_high"] != v["response"]
    text = split.describe()
    assert "at the low end" in text and "at the high end" in text


def test_range_keeps_each_scenarios_reference_plan(pair, book):
    """A range's ends change the parameters only: a range equal to the behaviour, even
    one naming no reference plan, gives the central response exactly."""
    a, b = pair
    same = Behaviour()  # the defaults, reference_plan None
    split = response_decomposition(a, b, 25, rng=3, book=book, behaviour_range=(same, same))
    for metric in RESPONSE_METRICS:
        v = _values(split, metric)
        assert v["response_low"] == v["response_high"] == v["response"]


def test_without_behaviour_everything_is_mechanical(book):
    a = sample_scenario("baseline").replace(engine="summed")
    b = sample_scenario("accelerated").replace(engine="summed")
    split = response_decomposition(a, b, 25, rng=3, book=book, behaviour_range=(Behaviour(),) * 2)
    assert not split.behaviour and not split.ranged
    assert set(split.results) == {"baseline_on", "alternative_on"}  # nothing to switch off
    for metric in RESPONSE_METRICS:
        assert (split.per_trial[(metric, "response")] == 0).all()
        v = _values(split, metric)
        assert v["total"] == v["mechanical"] and v["response"] == 0
    text = split.describe()
    assert "Neither scenario models the reps' response" in text
    assert "Company bookings: no change" in text
    assert "Incentive cost: +$" in text and "all of it mechanical" in text


def test_one_side_responding(book, pair):
    """Same plan, behaviour only in the alternative (no reference plan: the sample plan
    looks like a raise against a flat commission): the response is all of it."""
    a = sample_scenario("baseline").replace(engine="summed")
    b = a.replace(name="Responding", behaviour=Behaviour())
    split = response_decomposition(a, b, 25, rng=3, book=book)
    v = _values(split, "company_bookings")
    assert v["mechanical"] == 0 and v["response"] == v["total"] > 0
    assert "was not assessed" in split.describe()


def test_from_results_equals_from_scenarios(split, pair, book):
    a, b = pair
    ra, rb = (simulate(s, N, rng=3, book=book) for s in (a, b))
    again = response_decomposition(ra, rb, book=book, behaviour_range=None)
    cols = ["value", "low", "high"]
    mine = split.table().query("part in ('total', 'mechanical', 'response')")[cols]
    np.testing.assert_array_equal(again.table()[cols].to_numpy(), mine.to_numpy())
    assert again.results["baseline_on"] is ra  # the runs given are not run again


def test_on_an_executor_equals_the_draws(pair, book):
    a, b = pair
    here = response_decomposition(a, b, 25, rng=5, book=book)
    there = response_decomposition(a, b, 25, rng=5, book=book, executor="serial", chunk_size=25)
    cols = ["value", "se", "low", "high"]
    np.testing.assert_array_equal(here.table()[cols].to_numpy(), there.table()[cols].to_numpy())


def test_unpaired_runs(pair, book):
    """Another seed: total and mechanical compared unpaired, the response still from
    each scenario's own on and off runs; the total is compare()'s unpaired difference."""
    a, b = pair
    ra = simulate(a, 40, rng=3, book=book)
    rb = simulate(b, 40, rng=4, book=book)
    split = response_decomposition(ra, rb, book=book)
    assert not split.paired and split.per_trial.empty
    assert "not paired" in split.describe()
    cmp = compare([ra, rb]).set_index(["scenario", "metric"])
    row = cmp.loc[(split.alternative, "incentive_cost")]
    total = split.part("incentive_cost", "total")
    assert not bool(row["paired"])
    assert total["value"] == pytest.approx(row["diff_vs_baseline"])
    assert total["high"] - total["low"] == pytest.approx(row["diff_high"] - row["diff_low"])
    v = _values(split, "company_bookings")
    assert v["total"] == pytest.approx(v["mechanical"] + v["response"])


def test_refusals(pair, book):
    a, b = pair
    r = simulate(a, 25, rng=1, book=book)
    with pytest.raises(TypeError, match="two Scenario objects, or two SimulationResult"):
        response_decomposition(a, r, book=book)
    with pytest.raises(ValueError, match="the results fix the trials and the seed"):
        response_decomposition(r, r, 25, book=book)
    with pytest.raises(TypeError, match=r"behaviour_range must be a pair \(low, high\)"):
        response_decomposition(a, b, 25, book=book, behaviour_range=(0.1, 0.3))
    with pytest.raises(ValueError, match="level must be a confidence level"):
        response_decomposition(a, b, 25, book=book, level=95)
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        response_decomposition(a, b, 0, book=book)
    with pytest.raises(KeyError, match="no part 'nope' of figure 'ccos'"):
        response_decomposition(a, a, 25, book=book).part("ccos", "nope")


def test_other_inputs_are_named_and_counted_mechanical(book):
    """Against a scenario that also models a workforce, the mechanical part is all but
    the response, and the split says which inputs it holds."""
    a = sample_scenario("baseline").replace(engine="summed")
    b = sample_scenario("people_and_behaviour").replace(engine="summed")
    split = response_decomposition(a, b, 25, rng=3, book=book)
    assert split.other_inputs == ("workforce",)
    assert "differ in workforce" in split.describe()
    # same plan and quotas: without the response, only the workforce moves sales
    assert split.part("company_bookings", "mechanical")["value"] < 0
    assert (
        response_decomposition(a, a.replace(name="Same"), 25, rng=3, book=book).other_inputs == ()
    )
