"""The cost and effect of a proposed mid-year SPIFF or contest (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim._track.proposal import PROPOSAL_COLUMNS, proposal_effect
from spm_sim.book import load_sample
from spm_sim.comp import load_plan
from spm_sim.errors import PlanError
from spm_sim.metrics import percentile_difference_interval
from spm_sim.scenario import load_scenario

BASE = "data/plans/baseline.yaml"
PUSH = "data/plans/q4_spiff.yaml"


def test_a_proposal_in_another_currency_or_role_is_refused():
    push = load_plan(PUSH)
    with pytest.raises(PlanError, match="pays in EUR.*same currency"):
        proposal_effect(None, BASE, push.replace(currency="EUR"), "2025-06-30", trials=10)
    with pytest.raises(PlanError, match="for role 'SDR'.*same team"):
        proposal_effect(None, BASE, push.replace(role="SDR"), "2025-06-30", trials=10)


@pytest.fixture(scope="module")
def with_behaviour():
    push = load_plan(PUSH)
    scenario = load_scenario("data/scenarios/baseline.yaml").replace(
        plan=push,
        behaviour={"effort_elasticity": 0.2, "min_effort": 0.85, "max_effort": 1.2},
        programmes={"contest": {"start_month": 10, "end_month": 12, "uplift": 0.05, "cost": 5_000}},
    )
    return proposal_effect(
        load_sample(), BASE, push, "2025-06-30", scenario=scenario, trials=150, rng=3
    )


def test_behaviour_on_moves_bookings_and_costs_the_prizes(with_behaviour):
    effect = with_behaviour
    assert effect.behaviour and not effect.notes
    table = effect.table.set_index("figure")
    assert list(effect.table.columns) == list(PROPOSAL_COLUMNS)
    assert effect.new_components == ("analytics_spiff", "analytics_contest")
    # the response lifts Q4 bookings by 5% in the proposal only: a real, paired gain
    gain = table.loc["bookings, rest of year"]
    assert gain.difference_low > 0 and gain.difference < 0.1 * gain.baseline
    assert table.loc["cost outside the plan", "proposed"] == 5_000.0
    prizes = table.loc["cost of 'analytics_contest'"]
    assert prizes.proposed == pytest.approx(20_000.0, rel=0.02)  # three prizes, all won
    cost = table.loc["incentive cost, year"]
    assert cost.difference_low > 25_000.0
    assert cost.difference == pytest.approx(cost.proposed - cost.baseline)
    # months before the as-of date are known: the same in both forecasts
    b, p = effect.baseline, effect.proposed
    assert np.array_equal(b.bookings[:, :, :6], p.bookings[:, :, :6])
    assert table.loc["reps at quota", "unit"] == "reps"


def test_the_p90_difference_has_the_paired_percentile_interval(with_behaviour):
    """The difference of the P90s of the year's cost is paired (trial t of both forecasts
    drew the same sales) and gets the interval of a difference of percentiles."""
    effect = with_behaviour
    base = effect.baseline.payout.total.sum(axis=1)
    push = effect.proposed.payout.total.sum(axis=1) + 5_000.0  # the contest's own cost
    row = effect.table.set_index("figure").loc["incentive cost, year P90"]
    want = percentile_difference_interval(push, base, 0.9, paired=True)
    assert (row.difference, row.difference_low, row.difference_high) == tuple(want)
    assert row.difference == pytest.approx(np.percentile(push, 90) - np.percentile(base, 90))
    assert row.difference_low < row.difference < row.difference_high
    assert row.proposed - row.baseline == pytest.approx(row.difference)
