"""Quota rules between plan years (``years:`` of a scenario): specs and arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spm_sim.errors import ScenarioError, SpecError
from spm_sim.quota import (
    MAX_YEARS,
    GrowthRule,
    MethodRule,
    RatchetRule,
    Years,
    next_quota,
)
from spm_sim.scenario import Scenario, load_scenario

Q = np.array([100.0, 100.0, 100.0, 0.0])
B = np.array([150.0, 100.0, 60.0, 40.0])


def test_ratchet_moves_next_quota_with_the_years_over_achievement():
    # +100% of the excess, never lowered, a seat without quota keeps none
    assert next_quota(RatchetRule(weight=1.0), Q, B).tolist() == [150.0, 100.0, 100.0, 0.0]
    assert next_quota(RatchetRule(weight=0.5), Q, B).tolist() == [125.0, 100.0, 100.0, 0.0]


def test_ratchet_down_weight_floor_and_ceiling():
    rule = RatchetRule(weight=1.0, down_weight=0.5, floor=0.9, ceiling=1.2)
    # 150 -> capped at 1.2 x; 60 -> 1 - 0.5 x 0.4 = 0.8, floored at 0.9
    assert next_quota(rule, Q, B).tolist() == pytest.approx([120.0, 100.0, 90.0, 0.0])
    assert RatchetRule(weight=1.0, down_weight=0.5, floor=0.0).ratchet_weights() == (1.0, 0.5)


def test_growth_on_quota_ignores_the_result_growth_on_bookings_follows_it():
    fixed = next_quota(GrowthRule(rate=0.08), Q, B)
    assert fixed.tolist() == pytest.approx([108.0, 108.0, 108.0, 0.0])
    follow = next_quota(GrowthRule(rate=0.1, basis="bookings"), Q, B)
    assert follow.tolist() == pytest.approx([165.0, 110.0, 66.0, 0.0])
    assert GrowthRule(rate=0.08).ratchet_weights() == (0.0, 0.0)


def test_attainment_is_read_against_the_years_own_quota():
    # a rep hired mid-year: full-year quota 100, measured against 50 and booked 75
    out = next_quota(
        RatchetRule(weight=1.0), np.array([100.0]), np.array([75.0]), year_quota=np.array([50.0])
    )
    assert out.tolist() == [150.0]


def test_rules_broadcast_over_trials():
    q = np.full((3, 4), 100.0)
    b = np.array([[50.0], [100.0], [200.0]]) * np.ones((1, 4))
    out = next_quota(RatchetRule(weight=1.0), q, b)
    assert out.shape == (3, 4)
    assert out[:, 0].tolist() == [100.0, 100.0, 200.0]


def test_method_rule_is_not_applied_to_a_year():
    with pytest.raises(TypeError, match="'method' rule's quotas are set on the book"):
        next_quota(MethodRule(settings={"method": "equal"}), Q, B)


def test_years_spec_checks_itself_with_located_messages():
    y = Years(count=3, quota_rule={"rule": "growth", "rate": 0.05}, target_growth=0.1)
    assert isinstance(y.quota_rule, GrowthRule)
    assert y.targets(100.0) == pytest.approx((100.0, 110.0, 121.0))
    with pytest.raises(SpecError, match=r"count: Input should be less than or equal to 10"):
        y.replace(count=MAX_YEARS + 1)
    with pytest.raises(SpecError, match=r"quota_rule: unknown quota rule; allowed: ratchet"):
        y.replace(quota_rule={"rule": "ratchett"})
    with pytest.raises(SpecError, match=r"quota_rule\.ratchet\.weight: .* less than or equal to 2"):
        y.replace(quota_rule={"rule": "ratchet", "weight": 3})
    # a rule without its name is a ratchet
    assert isinstance(Years(quota_rule={"weight": 0.5}).quota_rule, RatchetRule)


def test_a_scenario_file_takes_years_and_names_the_field_of_a_problem(tmp_path):
    path = tmp_path / "s.yaml"
    plan = Path(__file__).resolve().parents[1] / "data" / "plans" / "baseline.yaml"
    path.write_text(
        f"name: S\nplan_year: 2026\nplan: {plan}\n"
        "years: {count: 2, quota_rule: {rule: growth, rate: 2.5}}\n"
    )
    with pytest.raises(ScenarioError, match=r"(?s)s\.yaml.*years\.quota_rule\.growth\.rate"):
        load_scenario(path)
    path.write_text(path.read_text().replace("rate: 2.5", "rate: 0.05"))
    s = load_scenario(path)
    assert s.years is not None and s.years.count == 2
    assert Scenario(name="A", plan=s.plan, plan_year=2026).years is None


def test_sample_scenarios_describe_their_rules():
    a = load_scenario("data/scenarios/cap_and_ratchet.yaml")
    b = load_scenario("data/scenarios/no_cap_no_ratchet.yaml")
    assert a.years is not None and b.years is not None
    assert a.years.quota_rule.ratchet_weights() == (1.0, 0.0)
    assert b.years.quota_rule.ratchet_weights() == (0.0, 0.0)
    assert "ratchet" in a.years.describe() and "x 1.08" in b.years.describe()
    # they pair: same book, plan year and seed
    assert (a.book, a.plan_year, a.seed) == (b.book, b.plan_year, b.seed)
