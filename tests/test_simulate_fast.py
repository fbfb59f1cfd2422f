"""The fast path: sales drawn once (draw_sales), paid under other plans and quotas.

Every result paid on stored draws must be bit for bit the result ``simulate`` gives
for the same scenario, trials, seed and book; a scenario the draws do not fit is
refused with a message saying what differs, never paid on the wrong sales.
"""

from __future__ import annotations

import datetime as dt
import importlib

import numpy as np
import pytest

from spm_sim.book import load_sample
from spm_sim.comp import standard_plan
from spm_sim.errors import ScenarioError
from spm_sim.productivity import Behaviour, Workforce
from spm_sim.quota import PlannedHire
from spm_sim.scenario import sample_plans, sample_scenario
from spm_sim.simulate import SalesDraws, draw_sales, simulate

N = 40  # trials: enough for three chunks of 16, small enough to be quick
CHUNK = 16


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def baseline():
    return sample_scenario("baseline")


@pytest.fixture(scope="module")
def baseline_draws(baseline, book):
    return draw_sales(baseline, N, book=book, chunk_size=CHUNK)


def assert_identical(fast, slow) -> None:
    """Every array and table of two results equal, bit for bit."""
    for name in ("bookings", "payout", "company_by_period", "payout_by_period"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.shape == b.shape, name
        assert np.array_equal(a, b), name
    assert np.array_equal(fast.quotas.values, slow.quotas.values)
    assert fast.components == slow.components
    assert sorted(fast.dynamics) == sorted(slow.dynamics)
    for key, value in slow.dynamics.items():
        assert np.array_equal(fast.dynamics[key], value), key
    assert (fast.stayed is None) == (slow.stayed is None)
    if slow.stayed is not None:
        assert np.array_equal(fast.stayed, slow.stayed)
    assert fast.scenario == slow.scenario
    assert fast.seed == slow.seed
    assert fast.notes == slow.notes
    assert fast.trials.equals(slow.trials)
    assert fast.summary().equals(slow.summary())


def plan_variants():
    plans = sample_plans()
    return {
        "accelerated plan": plans["Accelerated 2026 AE plan"],
        "standard plan, cap 200%": standard_plan(threshold=0.4, attainment_cap=2.0),
        "baseline plan": plans["Baseline 2026 AE plan"],
    }


def test_the_drawn_scenario_pays_as_simulate(baseline, baseline_draws, book):
    assert baseline_draws.n_trials == N
    assert isinstance(baseline_draws, SalesDraws)
    slow = simulate(baseline, N, book=book, chunk_size=CHUNK)
    assert_identical(baseline_draws.pay(baseline), slow)


@pytest.mark.parametrize("label", list(plan_variants()))
def test_another_plan_pays_as_simulate(baseline, baseline_draws, book, label):
    s = baseline.replace(plan=plan_variants()[label])
    assert_identical(baseline_draws.pay(s), simulate(s, N, book=book))


@pytest.mark.parametrize(
    "change",
    [
        {"growth": 0.15},
        {"growth": 0.0, "over_assignment": 0.0},
        {"method": "equal"},
    ],
    ids=["growth 15%", "no growth or over-assignment", "equal quotas"],
)
def test_other_quotas_pay_as_simulate(baseline, baseline_draws, book, change):
    s = baseline.replace(quota=baseline.quota.replace(**change))
    fast = baseline_draws.pay(s)
    assert not np.array_equal(fast.quotas.values, baseline_draws.pay(baseline).quotas.values)
    assert_identical(fast, simulate(s, N, book=book))


def test_behaviour_and_people_rerun_the_month_loop_on_the_stored_sales(baseline_draws, book):
    people = sample_scenario("people_and_behaviour")
    assert baseline_draws.mismatch(people) is None  # same book, year, seed and hires
    assert_identical(baseline_draws.pay(people), simulate(people, N, book=book))
    # behaviour on a new plan and new quotas: the loop sees both
    moved = people.replace(
        plan=plan_variants()["standard plan, cap 200%"],
        quota=people.quota.replace(growth=0.12),
    )
    fast = baseline_draws.pay(moved)
    assert fast.dynamics["mean_effort"].std() > 0
    assert_identical(fast, simulate(moved, N, book=book))


def test_behaviour_alone_turned_on(baseline, baseline_draws, book):
    s = baseline.replace(behaviour=Behaviour())
    assert_identical(baseline_draws.pay(s), simulate(s, N, book=book))
    s = baseline.replace(workforce=Workforce(attrition=0.3))
    assert_identical(baseline_draws.pay(s), simulate(s, N, book=book))


def test_a_plan_with_measures_pays_as_simulate_on_its_own_draws(book):
    multi = sample_scenario("multi_measure")
    draws = draw_sales(multi, N, book=book, chunk_size=CHUNK)
    assert_identical(draws.pay(multi), simulate(multi, N, book=book))
    # the same measures with other rates: the stored measures still fit
    comp = multi.plan.components[0]
    steeper = (comp.tiers[0], comp.tiers[1].replace(rate=3.0))
    richer = multi.replace(
        plan=multi.plan.replace(
            components=(comp.replace(tiers=steeper), *multi.plan.components[1:])
        )
    )
    assert draws.mismatch(richer) is None
    fast = draws.pay(richer)
    assert fast.payout.sum() > draws.pay(multi).payout.sum()
    assert_identical(fast, simulate(richer, N, book=book))
    # a plan without measures pays on the same bookings with the same engine: auto
    # picks deals for the multi-measure plan and summed for one without measures
    assert draws.engine == "deals"
    base = multi.replace(plan=sample_plans()["Baseline 2026 AE plan"])
    assert "and this scenario has 'auto', which picks 'summed' here" in draws.mismatch(base)
    base = base.replace(engine="deals")
    assert_identical(draws.pay(base), simulate(base, N, book=book))


def test_calibrated_quotas_pay_as_simulate(baseline_draws, book):
    calibrated = sample_scenario("calibrated_quotas")
    fast = baseline_draws.pay(calibrated)
    assert_identical(fast, simulate(calibrated, N, book=book))


def test_a_second_pay_reuses_the_quotas_set_for_the_same_settings(
    baseline_draws, book, monkeypatch
):
    engine = importlib.import_module("spm_sim._simulate.prepare")  # where quotas are set
    calibrated = sample_scenario("calibrated_quotas")
    first = baseline_draws.pay(calibrated)

    def refit(*args, **kwargs):
        raise AssertionError("the quotas were set again")

    monkeypatch.setattr(engine, "set_quotas", refit)
    again = baseline_draws.pay(calibrated.replace(plan=plan_variants()["accelerated plan"]))
    assert np.array_equal(again.quotas.values, first.quotas.values)
    assert again.quotas is not first.quotas  # each result its own copy


def test_changing_a_result_does_not_change_the_next_pay(baseline, baseline_draws, book):
    first = baseline_draws.pay(baseline)
    first.quotas.values[:] *= 2
    first.model.alpha[:] = 0.0  # the model the next quotas are calibrated on
    assert_identical(baseline_draws.pay(baseline), simulate(baseline, N, book=book))
    calibrated = baseline.replace(
        quota=baseline.quota.replace(
            method="calibrated", probability=0.55, over_assignment={"region": 0.0, "rep": 0.0}
        )
    )
    assert_identical(baseline_draws.pay(calibrated), simulate(calibrated, N, book=book))


def test_the_stored_draws_are_read_only(baseline, baseline_draws):
    block = baseline_draws._blocks[0]
    with pytest.raises(ValueError, match="read-only"):
        block[2][0, 0, 0] = 1.0
    people = sample_scenario("people_and_behaviour")
    baseline_draws.pay(people)  # the month loop reads the stored sales, never writes
    assert baseline_draws._blocks[0][4] is not None
    assert not baseline_draws._blocks[0][4].flags.writeable


@pytest.mark.parametrize(
    "label",
    ["time allocation", "capacity factor", "coaching"],
)
def test_people_programmes_pay_as_simulate(baseline, baseline_draws, book, label):
    from spm_sim.productivity import Coaching, Programmes, TimeAllocation

    s = {
        "time allocation": baseline.replace(
            time_allocation=TimeAllocation(selling=0.4, prospecting=0.2)
        ),
        "capacity factor": baseline.replace(capacity_factor=0.9),
        "coaching": baseline.replace(
            programmes=Programmes(
                coaching=Coaching(bottom_share=0.2, uplift=0.1, cost_per_rep=1000)
            )
        ),
    }[label]
    assert_identical(baseline_draws.pay(s), simulate(s, N, book=book))


def test_the_summed_engine_pays_as_simulate_on_its_own_draws(baseline, book):
    summed = baseline.replace(engine="summed")
    draws = draw_sales(summed, N, book=book, chunk_size=CHUNK)
    assert_identical(draws.pay(summed), simulate(summed, N, book=book))
    moved = summed.replace(
        plan=plan_variants()["accelerated plan"],
        quota=summed.quota.replace(growth=0.15),
        behaviour=Behaviour(),
        workforce=Workforce(attrition="book"),
    )
    assert_identical(draws.pay(moved), simulate(moved, N, book=book))


def test_planned_hires_on_the_default_ramp_fit_with_or_without_a_workforce(baseline, book):
    hired = baseline.replace(quota=baseline.quota.replace(hires=(hire(),)))
    draws = draw_sales(hired, N, book=book, chunk_size=CHUNK)
    # the workforce's AE ramp is the default one: the hires draw alike
    staffed = hired.replace(workforce=Workforce(attrition=0.2))
    assert draws.mismatch(staffed) is None
    assert_identical(draws.pay(staffed), simulate(staffed, N, book=book))
    # another ramp draws the hires otherwise: refused
    slow_ramp = hired.replace(workforce=Workforce(attrition=0.2, ramp={"AE": (0.1, 0.5, 1.0)}))
    with pytest.raises(ScenarioError, match=r"ramp"):
        draws.pay(slow_ramp)


def test_a_given_rng_fits_scenarios_of_any_seed(baseline, book):
    draws = draw_sales(baseline, N, rng=7, book=book)
    other = baseline.replace(seed=99, plan=plan_variants()["accelerated plan"])
    assert draws.mismatch(other) is None
    assert_identical(draws.pay(other), simulate(other, N, rng=7, book=book))


def hire() -> PlannedHire:
    return PlannedHire(rep_id="H001", region="West", start=dt.date(2026, 4, 1))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda s: s.replace(plan_year=2025), r"plan_year 2026, and this scenario has 2025"),
        (lambda s: s.replace(seed=1), r"seed 20260101, and this scenario has 1"),
        (lambda s: s.replace(engine="deals"), r"engine 'summed', and this scenario has 'deals'"),
        (lambda s: s.replace(strict=True), r"strict"),
        (
            lambda s: s.replace(quota=s.quota.replace(hires=(hire(),))),
            r"quota\.hires of scenario 'Baseline 2026', and this scenario's differ",
        ),
        (
            lambda s: s.replace(plan=sample_plans()["AE multi-measure plan"]),
            r"the plan's measures and MBO score draws",
        ),
    ],
    ids=["plan year", "seed", "engine", "strict", "hires", "measures"],
)
def test_a_scenario_the_draws_do_not_fit_is_refused(baseline, baseline_draws, change, says):
    other = change(baseline)
    assert baseline_draws.mismatch(other) is not None
    with pytest.raises(ScenarioError, match=says + r".*Draw its own: draw_sales"):
        baseline_draws.pay(other)


def test_draws_from_the_scenarios_book_refuse_another_book(baseline):
    draws = draw_sales(baseline, 3)  # loads the scenario's own book
    other = baseline.replace(book="elsewhere/book")
    with pytest.raises(ScenarioError, match=r"book '.*', and this scenario has 'elsewhere/book'"):
        draws.pay(other)
    # with a book given, the scenario's book field is not read (as in simulate)
    given = draw_sales(baseline, 3, book=draws.book)
    assert_identical(given.pay(other), simulate(other, 3, book=draws.book))


def test_draw_sales_checks_its_sizes(baseline, book):
    with pytest.raises(ValueError, match="n_trials must be >= 1, got 0"):
        draw_sales(baseline, 0, book=book)
    with pytest.raises(ValueError, match="chunk_size must be >= 1, got 0"):
        draw_sales(baseline, 5, book=book, chunk_size=0)
