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


def test_starts_from_the_baseline_plan(designer):
    v = designer.values
    tiers = designer.baseline.plan.components[0].tiers
    assert (v.base_rate, v.accelerator, v.accelerator_start) == (tiers[0].rate, tiers[1].rate, tiers[1].start)
    assert v.growth == designer.baseline.quota.growth


def test_accelerator_slider_reruns_and_raises_cost(designer):
    before = _mean(designer, "incentive_cost")
    first = designer.result
    designer.sliders["accelerator"].value = designer.sliders["accelerator"].value + 1.0
    assert designer.result is not first
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
    designer.sliders["attainment_cap"].value = 1.2
    assert designer.scenario().plan.components[0].attainment_cap == pytest.approx(1.2)


def test_comparison_table_has_both_columns(designer):
    table = designer.comparison()
    assert list(table.columns) == [designer.baseline.name, "Design", "difference (± 2 se)"]
    assert "Share of reps at or above quota" in table.index
