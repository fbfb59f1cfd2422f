"""The sweep explorer and the goal-seeker, driven without a browser: set the widgets,
press Run, and read the numbers against the library called directly."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from spm_sim.book import load_book_ref
from spm_sim.errors import SpecError
from spm_sim.scenario import sample_scenario
from spm_sim.sweep import calibrate_plan, sweep
from spm_sim.viz.tables import format_money, format_pct
from spm_sim.widgets import GoalSeeker, SweepExplorer, sweep_levers

ACCELERATOR = "plan.components[bookings].tiers[1].rate"
THRESHOLD = "plan.components[bookings].threshold"
TRIALS = 60


@pytest.fixture(scope="module")
def base():
    return sample_scenario("baseline")


@pytest.fixture(scope="module")
def book(base):
    return load_book_ref(base.book)


@pytest.fixture(scope="module")
def explorer(base, book):
    return SweepExplorer(
        base,
        book=book,
        trials=TRIALS,
        steps=3,
        param2="quota.growth",
        start2=0.04,
        stop2=0.12,
        steps2=2,
        metrics=["incentive_cost", "share_at_quota"],
        figures=False,
    )


def _press(widget) -> None:
    """Click Run as a reader would."""
    widget.button.click()


def test_the_levers_are_the_scenarios_own_in_words(base):
    levers = {lv.path: lv for lv in sweep_levers(base)}
    assert levers[ACCELERATOR].label == "Accelerator 100% to 150% of quota (x TCR)"
    assert (levers[ACCELERATOR].low, levers[ACCELERATOR].high) == (1.0, 2.5)
    assert levers[THRESHOLD].unit == "pct" and 0 <= levers[THRESHOLD].low < 0.5
    assert {"quota.growth", "quota.over_assignment.rep"} <= set(levers)
    multi = [lv.label for lv in sweep_levers(sample_scenario("multi_measure"))]
    assert "Attainment cap, platform" in multi  # several components: each named
    calibrated = {lv.path for lv in sweep_levers(sample_scenario("calibrated_quotas"))}
    assert "quota.probability" in calibrated


def test_the_sweep_table_is_sweep_called_directly(explorer, base, book):
    changes = explorer.changes()
    assert changes == {
        ACCELERATOR: {"from": 1.0, "to": 2.5, "steps": 3},
        "quota.growth": {"from": 0.04, "to": 0.12, "steps": 2},
    }
    direct = sweep(base, changes, TRIALS, book=book, metrics=explorer.metric_names())
    pd.testing.assert_frame_equal(explorer.result, direct)
    assert explorer.metric_names() == ["incentive_cost", "share_at_quota", "p_company_target"]
    # the table in words: each cell the library's number written as money or a share
    table = explorer.table()
    assert len(table) == 1 + 3 * 2
    mean = direct[direct["statistic"].eq("mean")]
    cost = mean[mean["metric"].eq("incentive_cost")].reset_index(drop=True)
    share = mean[mean["metric"].eq("share_at_quota")].reset_index(drop=True)
    for k in range(len(table)):
        money = [format_money(cost.loc[k, c]) for c in ("value", "low", "high")]
        assert table.loc[k, "Incentive cost (95% interval)"] == (
            f"{money[0]} ({money[1]} to {money[2]})"
        )
        assert table.loc[k, "Share of reps at or above quota (95% interval)"].startswith(
            format_pct(share.loc[k, "value"])
        )
    assert table["Accelerator 100% to 150% of quota (x TCR)"].tolist()[:4] == [
        "1.5", "1", "1", "1.75"
    ]  # fmt: skip
    assert table["Quota growth"].tolist()[:3] == ["8%", "4%", "12%"]
    assert table["Incentive cost, vs base"].iloc[0] == "(base)"
    text = table.to_string()
    assert not re.search(r"\de[+-]\d", text)  # no scientific notation
    assert "Showing run 1:" in explorer.shown.value and "7 scenarios" in explorer.shown.value


def test_a_lever_picked_puts_its_range_in_the_boxes(base, book):
    x = SweepExplorer(base, book=book, trials=TRIALS, figures=False, run=False)
    x.param.value = "quota.growth"
    lever = {lv.path: lv for lv in sweep_levers(base)}["quota.growth"]
    assert (x.start.value, x.stop.value) == (lever.low, lever.high)
    assert x.start2.disabled and x.result is None and x.runs == 0


def test_the_frontier_menus_redraw_without_running_again(base, book):
    x = SweepExplorer(base, book=book, trials=TRIALS, steps=2, param2="quota.growth",
                      steps2=2, metrics=["incentive_cost"])  # fmt: skip
    assert [name for name, _ in x.images] == ["sweep_incentive_cost", "frontier"]
    assert all(image.data[:4] == b"\x89PNG" for _, image in x.images)
    before = x.images
    x.benefit.value = "p_company_target"
    x.cost_stat.value = "p90"
    assert x.runs == 1 and x.front.attrs["benefit"] == "p_company_target"
    assert x.front.attrs["statistic"] == "p90" and x.images is not before
    p90 = x.result[x.result["metric"].eq("incentive_cost") & x.result["statistic"].eq("p90")]
    assert sorted(x.front["cost"]) == sorted(p90["value"])


def test_a_failing_sweep_keeps_the_last_run_and_says_so(base, book):
    x = SweepExplorer(base, book=book, trials=TRIALS, steps=2, metrics=["incentive_cost"],
                      figures=False)  # fmt: skip
    first = x.result
    x.start.value = -5.0  # a negative rate: the plan's rules refuse it
    _press(x)
    assert x.runs == 2 and x.run_shown == 1 and x.result is first
    assert "Run 2 could not run" in x.status.value and "rate" in x.error
    assert "Traceback" not in x.status.value
    assert "still those of run 1" in x.status.value
    assert "Showing run 1 (the last run that succeeded)" in x.shown.value
    x.param2.value = x.param.value  # the same lever twice
    _press(x)
    assert "the second lever is the first one again" in x.error and x.result is first
    x.param2.value, x.start.value = "", 1.0
    _press(x)
    assert x.error is None and x.run_shown == 4 and x.result is not first
    assert "Showing run 4:" in x.shown.value and "succeeded" not in x.shown.value


def test_unlikely_values_are_flagged_beside_the_results(base, book):
    x = SweepExplorer(base, book=book, trials=TRIALS, start=15.0, stop=20.0, steps=2,
                      metrics=["incentive_cost"], figures=False)  # fmt: skip
    assert x.error is None
    assert any("rate 20 is above 10" in c for c in x.checks)
    assert "Check before deciding" in x.checks_text.value


def test_a_bad_setting_at_the_start_is_refused_with_its_message(base, book):
    with pytest.raises(SpecError, match="has no field 'rat'"):
        SweepExplorer(base, book=book, param="plan.components[0].tiers[1].rat", run=False)
    with pytest.raises(SpecError, match="unknown metric"):
        SweepExplorer(base, book=book, metrics=["incentive_cots"], run=False)
    with pytest.raises(SpecError, match="unknown metric 'incentve_cost'"):
        GoalSeeker(base, book=book, target="incentve_cost=6M", run=False)


@pytest.fixture(scope="module")
def seeker(base, book):
    return GoalSeeker(base, book=book, target="incentive_cost.mean=6M", trials=TRIALS,
                      figures=False)  # fmt: skip


def test_the_answer_is_calibrate_plan_called_directly(seeker, base, book):
    direct = calibrate_plan(base, ACCELERATOR, "incentive_cost.mean=6M", trials=TRIALS, book=book)
    a = seeker.answer
    assert seeker.param.value == ACCELERATOR and seeker.value.value == "6M"
    assert (a.value, a.low, a.high) == (direct.value, direct.low, direct.high)
    assert a.achieved == direct.achieved and a.n_evaluations == direct.n_evaluations
    pd.testing.assert_frame_equal(a.evaluations, direct.evaluations)
    # the table of values tried: the library's numbers, sorted by the lever's value
    ev = seeker.evaluations()
    want = direct.evaluations.sort_values("value", kind="stable")
    np.testing.assert_array_equal(ev.iloc[:, 1], want["value"])
    np.testing.assert_array_equal(ev["Incentive cost, mean"], want["estimate"])
    np.testing.assert_array_equal(ev["vs target"], want["gap"])
    shown = seeker.evaluations_table().to_html()
    assert "mathjax_ignore" in shown and format_money(want["estimate"].iloc[0]) in shown
    # the answer in words: its value and interval, the figure achieved and its interval
    words = seeker.words()
    assert f"= {direct.value:.4g}</b>" in words
    assert f"answer: {direct.low:.4g} to {direct.high:.4g}; now 1.5" in words
    got = direct.achieved
    assert (
        f"{format_money(got.estimate)} (95% interval {format_money(got.low)} to "
        f"{format_money(got.high)})" in words
    )
    assert f"{direct.n_evaluations} evaluations, converged" in words
    assert "mathjax_ignore" in seeker.answer_text.value


def test_a_bad_target_or_one_out_of_reach_shows_the_message_and_keeps_the_answer(base, book):
    g = GoalSeeker(base, book=book, target="incentive_cost.mean=6M", trials=TRIALS,
                   figures=False)  # fmt: skip
    first = g.answer
    g.value.value = "6X"
    _press(g)
    assert "the value '6X' is not a number" in g.error and g.answer is first
    g.value.value, g.low.value = "6M", "1.2"
    _press(g)
    assert "give both ends of the search" in g.error
    g.low.value = ""
    g.param.value, g.metric.value, g.value.value = THRESHOLD, "share_at_quota.mean", "60%"
    _press(g)
    # out of reach: the library's message with the metric's range, and what to try
    assert re.search(r"out of reach .* ranges from [\d.]+% \(at [\d.]+\) to [\d.]+%", g.error)
    assert "move with the quota levers" in g.error
    assert "Traceback" not in g.status.value
    assert g.answer is first and g.run_shown == 1 and g.runs == 4
    assert "Showing run 1 (the last run that succeeded)" in g.shown.value
    assert g.words().startswith("<b>Accelerator 100% to 150% of quota (x TCR) = ")
    # a quota lever can reach it; the bounds given are searched
    g.param.value, g.low.value, g.high.value = "quota.growth", "-20%", "10%"
    _press(g)
    assert g.error is None and g.run_shown == 5
    assert g.answer.param == "quota.growth" and -0.2 <= g.answer.value <= 0.1
    assert abs(g.answer.achieved.estimate - 0.6) < 0.01
    assert "Quota growth = " in g.words() and "%" in g.words()


def test_a_goal_seek_without_a_target_waits_for_one(base, book):
    g = GoalSeeker(base, book=book, trials=TRIALS, figures=False)
    assert g.runs == 0 and g.answer is None and g.value.placeholder == "e.g. 6M"
    g.metric.value = "share_at_quota.mean"
    assert g.value.placeholder == "e.g. 60%"
    _press(g)
    assert "type the target's value" in g.error


def test_another_scenario_brings_its_levers_and_keeps_the_results_until_a_run(base, book):
    x = SweepExplorer(base, book=book, trials=TRIALS, steps=2, metrics=["incentive_cost"],
                      figures=False)  # fmt: skip
    first = x.result
    multi = sample_scenario("multi_measure")
    x.use(multi, book=book)
    labels = [label for label, _path in x.param.options]
    assert "Attainment cap, platform" in labels and x.param.value == ACCELERATOR
    assert x.result is first and f"of {base.name}" in x.shown.value
    x.param.value = "plan.components[platform].attainment_cap"
    _press(x)
    assert x.error is None and f"of {multi.name}" in x.shown.value
    assert x.result["plan.components[platform].attainment_cap"].tolist()[0] == 2.0


def test_dask_gives_the_same_numbers(base, book, dask_client):
    x = SweepExplorer(base, book=book, trials=TRIALS, steps=2, metrics=["incentive_cost"],
                      figures=False, executor=dask_client)  # fmt: skip
    assert x.error is None and "on dask" in x.shown.value
    serial = sweep(base, x.changes(), TRIALS, book=book, metrics=x.metric_names())
    cols = ["scenario", "metric", "statistic", "value", "low", "high", "diff_vs_base"]
    pd.testing.assert_frame_equal(x.result[cols], serial[cols])
