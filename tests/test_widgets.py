"""The plan designer: a slider change re-runs the simulation and updates the table."""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim.scenario import sample_scenario
from spm_sim.widgets import PlanDesigner


@pytest.fixture(scope="module")
def designer():
    return PlanDesigner(sample_scenario("baseline"), n_trials=150, figures=False)


def _mean(d, metric):
    t = d.table.set_index(["scenario", "metric"])
    return t.loc[("Design", metric), "mean"]


def test_starts_as_the_baseline_plan_exactly(designer):
    assert designer.scenario().plan == designer.baseline.plan
    table = designer.table.set_index(["scenario", "metric"])
    # same plan, same quotas, same simulated sales: every difference is exactly zero
    assert (table.loc["Design", "diff_vs_baseline"] == 0).all()
    assert set(designer.comparison()["difference (± 2 se)"]) == {"no change"}


@pytest.mark.parametrize("name", ["baseline", "accelerated"])
def test_every_sample_plan_is_its_own_starting_design(name):
    d = PlanDesigner(sample_scenario(name), n_trials=20, figures=False)
    assert d.scenario().plan == d.baseline.plan
    assert d.scenario().quota == d.baseline.quota


def test_accelerator_slider_reruns_and_raises_cost(designer):
    before = _mean(designer, "incentive_cost")
    first = designer.result
    designer.sliders["above_quota"].value = 1.5
    assert designer.result is not first
    tiers = designer.scenario().plan.components[0].tiers
    base = designer.baseline.plan.components[0].tiers
    assert [t.rate for t in tiers] == [b.rate * (1.5 if b.start >= 1.0 else 1.0) for b in base]
    assert _mean(designer, "incentive_cost") > before
    # same simulated sales as the baseline (common random numbers)
    np.testing.assert_array_equal(designer.result.bookings, designer.baseline_result.bookings)


def test_growth_slider_raises_quotas_and_lowers_share_at_quota(designer):
    share = _mean(designer, "share_reps_at_quota")
    quotas = designer.result.quotas.annual.copy()
    designer.sliders["growth"].value = designer.sliders["growth"].value + 0.15
    assert np.all(designer.result.quotas.annual > quotas)
    assert _mean(designer, "share_reps_at_quota") < share


def test_cap_slider_at_maximum_means_no_cap(designer):
    designer.sliders["attainment_cap"].value = designer.NO_CAP
    assert designer.values.attainment_cap is None
    assert designer.scenario().plan.components[0].attainment_cap is None
    designer.sliders["attainment_cap"].value = 1.2
    assert designer.scenario().plan.components[0].attainment_cap == pytest.approx(1.2)


def test_a_rejected_combination_says_why_and_keeps_the_last_result():
    from spm_sim import load_plan

    closed = load_plan(
        {
            "name": "Closed top tier",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "threshold": 0.5,
                    "tiers": [
                        {"start": 0, "end": 1, "rate": 1.0},
                        {"start": 1, "end": 2, "rate": 2.0},
                    ],
                    "attainment_cap": 2.0,
                }
            ],
        }
    )
    d = PlanDesigner(sample_scenario("baseline").replace(plan=closed), n_trials=20, figures=False)
    last = d.result
    # removing the cap would leave sales above 200% unpaid: the plan rules refuse it
    d.sliders["attainment_cap"].value = d.NO_CAP
    assert "Not a valid plan" in d.status.value
    assert "attainment_cap" in d.status.value
    assert d.result is last


def test_any_sample_plan_can_be_the_starting_point():
    from spm_sim.scenario import sample_plans

    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False)
    names = list(sample_plans())
    assert set(names) <= set(d.plan_choice.options)
    d.sliders["above_quota"].value = 1.5
    for name in names:
        d.plan_choice.value = name
        # the picked plan is the new baseline, and the design starts exactly on it
        assert d.baseline.plan == sample_plans()[name]
        assert d.sliders["above_quota"].value == 1.0
        assert d.scenario().plan == d.baseline.plan
        t = d.table.set_index(["scenario", "metric"])
        assert (t.loc["Design", "diff_vs_baseline"] == 0).all()
