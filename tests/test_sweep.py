"""Sweeps: parameter paths, grids and lists, common random numbers, the same numbers on
every executor, and the figures (issue 18, item 1).

Sizes are small (tens of trials): what is tested is that each figure is the one
:func:`spm_sim.simulate.simulate` gives for the same scenario and seed, not its value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spm_sim import sample_scenario, simulate
from spm_sim.book import load_book_ref
from spm_sim.errors import PlanError, ScenarioError, SpecError
from spm_sim.metrics import difference_interval
from spm_sim.sweep import (
    BASE,
    frontier,
    get_param,
    interval_of,
    load_grid,
    param_limits,
    set_params,
    sweep,
    variants,
)
from spm_sim.viz.sweep import frontier_figure, sweep_figure

RATE = "plan.components[bookings].tiers[1].rate"
THRESHOLD = "plan.components[bookings].threshold"
N = 40


@pytest.fixture(scope="module")
def base():
    return sample_scenario("baseline").replace(trials=N)


@pytest.fixture(scope="module")
def book(base):
    return load_book_ref(base.book)


@pytest.fixture(scope="module")
def grid_table(base, book):
    return sweep(
        base, {RATE: [1.5, 2.0], "quota.over_assignment": [0.05, 0.15]}, rng=3, book=book,
        n_boot=200,
    )  # fmt: skip


# --- parameter paths ------------------------------------------------------------------


def test_paths_read_by_position_by_name_and_through_the_quota_settings(base):
    assert get_param(base, RATE) == 1.5
    assert get_param(base, "plan.components[0].tiers[2].rate") == 2.0
    assert get_param(base, THRESHOLD) == 0.5
    assert get_param(base, "quota.over_assignment") == 0.05  # the number the YAML writes
    assert get_param(base, "quota.over_assignment.rep") == 0.05
    assert get_param(base, "quota.growth") == 0.08
    assert get_param(base, "quota.history") == "trailing_12m"  # a method's own setting
    assert get_param(base, "trials") == N


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("plan.componets[0].threshold", r"has no field 'componets'\. Did you mean 'components'"),
        ("plan.components[bookins].threshold", r"no item named 'bookins'.*Its names: bookings"),
        ("plan.components[0].tiers[7].rate", r"has 3 item\(s\), so \[7\] does not exist"),
        ("plan.components[0].tiers.rate", r"is a list of 3 item\(s\); pick one"),
        ("behaviour.effort_elasticity", r"behaviour is off in scenario 'Baseline 2026'"),
        ("quota.growth.rate", r"is 0\.08, which has no field 'rate'"),
        ("plan..rate", r"expected a field name at character 6"),
        ("plan.components[0", r"is not closed"),
        ("", r"must be text such as"),
    ],
)
def test_a_bad_path_names_the_step_that_does_not_exist(base, path, message):
    with pytest.raises(SpecError, match=message):
        get_param(base, path)


def test_setting_goes_through_every_spec_and_is_validated(base):
    s = set_params(base, {RATE: 1.8, "quota.over_assignment": 0.1, "quota.growth": 0.12})
    assert s.plan.components[0].tiers[1].rate == 1.8
    assert s.quota.over_assignment.rep == 0.1 and s.quota.growth == 0.12
    assert base.plan.components[0].tiers[1].rate == 1.5  # the base is unchanged
    with pytest.raises(
        PlanError, match=r"(?s)tiers\[1\]\.start = 1\.2: .*does not equal tier 1's end"
    ):
        set_params(base, {"plan.components[0].tiers[1].start": 1.2})
    with pytest.raises(ScenarioError, match=r"(?s)trials = 0: .*greater than or equal to 1"):
        set_params(base, {"trials": 0})
    with pytest.raises(SpecError, match=r"(?s)quota\.growth = 9: .*less than or equal to 5"):
        set_params(base, {"quota.growth": 9})


def test_setting_inside_a_block_that_is_off_switches_it_on_with_its_defaults(base):
    s = set_params(base, {"behaviour.effort_elasticity": 0.4, "workforce.ramp[AE][0]": 0.3})
    assert s.behaviour.effort_elasticity == 0.4 and s.behaviour.max_effort == 1.2
    assert s.workforce.ramp["AE"][0] == 0.3 and s.workforce.ramp["AE"][-1] == 1.0


def test_limits_are_read_from_the_field(base):
    growth = param_limits(base, "quota.growth")
    assert (growth.low, growth.high, growth.low_open, growth.high_open) == (-1.0, 5.0, True, False)
    assert param_limits(base, THRESHOLD).low == 0.0
    assert param_limits(base, "workforce.backfill_lag_months").integer


# --- grids, lists and named changes -------------------------------------------------------


def test_a_grid_is_every_combination_the_first_path_slowest():
    found = variants({RATE: [1.5, 2.0], THRESHOLD: {"from": 0.4, "to": 0.6, "steps": 3}})
    assert [v.name for v in found][:3] == [
        "rate=1.5, threshold=0.4",
        "rate=1.5, threshold=0.5",
        "rate=1.5, threshold=0.6",
    ]
    assert len(found) == 6 and found[-1].changes == {RATE: 2.0, THRESHOLD: 0.6}


def test_lists_and_named_changes_and_their_refusals():
    listed = variants([{RATE: 1.8}, {RATE: 2.0, THRESHOLD: 0.4}])
    assert [v.name for v in listed] == ["rate=1.8", "rate=2, threshold=0.4"]
    named = variants({"richer": {RATE: 2.0}, "stricter": {THRESHOLD: 0.6}})
    assert [v.name for v in named] == ["richer", "stricter"]
    with pytest.raises(SpecError, match="mixes named changes"):
        variants({"richer": {RATE: 2.0}, THRESHOLD: [0.4]})
    with pytest.raises(SpecError, match="two variants are named 'rate=2'"):
        variants([{RATE: 2.0}, {RATE: 2}])
    with pytest.raises(SpecError, match="'base' is the unchanged scenario's row"):
        variants({"base": {RATE: 2.0}})
    with pytest.raises(SpecError, match="more than the 10,000 a sweep runs"):
        variants({RATE: list(range(200)), THRESHOLD: list(range(200))})
    with pytest.raises(SpecError, match="steps must be a whole number from 2"):
        variants({RATE: {"from": 1, "to": 2, "steps": 1}})


def test_the_sample_grid_files_load_and_a_bad_one_is_located(tmp_path):
    g = load_grid("data/sweeps/accelerator_threshold.yaml")
    assert g.trials == 1000 and len(variants(g.changes)) == 12
    assert [v.name for v in variants(load_grid("data/sweeps/quota_levers.yaml").changes)][0] == (
        "no over-assignment"
    )
    bad = tmp_path / "g.yaml"
    bad.write_text("grd:\n  quota.growth: [0.1]\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"g\.yaml: unknown field 'grd'\. Did you mean 'grid'"):
        load_grid(bad)
    bad.write_text("grid: {quota.growth: [0.1]}\nvariants: [{quota.growth: 0.2}]\n")
    with pytest.raises(SpecError, match="give exactly one of 'grid'.*it has both"):
        load_grid(bad)
    bad.write_text("grid: {quota.grwth: [0.1]}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="Did you mean 'growth'"):
        sweep(sample_scenario("baseline"), load_grid(bad).changes, 5)


# --- the sweep ------------------------------------------------------------------------


def test_the_frame_is_tidy_with_intervals_and_provenance(grid_table):
    t = grid_table
    assert list(t.columns[:3]) == ["scenario", RATE, "quota.over_assignment"]
    assert {"metric", "statistic", "unit", "value", "low", "high", "diff_vs_base"} <= set(t)
    assert t["scenario"].nunique() == 5 and t["scenario"].iloc[0] == BASE
    money = t[t.metric.eq("incentive_cost")]
    assert list(money["statistic"][:4]) == ["mean", "p10", "p50", "p90"]
    assert (t["low"] <= t["value"]).all() and (t["value"] <= t["high"]).all()
    assert t.attrs["trials"] == N and t.attrs["executor"] == "serial"
    assert t.attrs["seed"]["entropy"] == 3 and t.attrs["spec"]["name"] == "Baseline 2026"
    assert t.attrs["draws"] == {"groups": 1, "shared": 5, "own": 0}


def test_the_base_row_and_an_unchanged_variant_differ_by_exactly_zero(grid_table):
    t = grid_table
    for name in (BASE, "rate=1.5, over_assignment=0.05"):
        rows = t[t.scenario.eq(name)]
        assert (rows[["diff_vs_base", "diff_low", "diff_high"]] == 0).all().all(), name
    # a plan change leaves the sales alone: bookings identical, trial by trial
    plan_only = t[t.scenario.eq("rate=2, over_assignment=0.05") & t.metric.eq("company_bookings")]
    assert (plan_only["diff_vs_base"] == 0).all()


def test_each_variant_is_the_simulation_of_its_scenario(base, book, grid_table):
    for name, changes in [
        ("rate=2, over_assignment=0.15", {RATE: 2.0, "quota.over_assignment": 0.15})
    ]:
        result = simulate(set_params(base, changes), N, rng=3, book=book)
        cost = result.trials["incentive_cost"].to_numpy(float)
        share = result.trials["share_reps_at_quota"].to_numpy(float)
        got = grid_table[grid_table.scenario.eq(name)].set_index(["metric", "statistic"])
        assert got.loc[("incentive_cost", "mean"), "value"] == pytest.approx(cost.mean(), rel=1e-12)
        assert got.loc[("incentive_cost", "p90"), "value"] == pytest.approx(
            np.percentile(cost, 90), rel=1e-12
        )
        assert got.loc[("share_at_quota", "mean"), "value"] == pytest.approx(share.mean())


def test_paired_intervals_are_narrower_than_unpaired_ones(base, book, grid_table):
    richer = set_params(base, {RATE: 2.0})
    a = simulate(richer, N, rng=3, book=book).trials["incentive_cost"].to_numpy(float)
    b = simulate(base, N, rng=3, book=book).trials["incentive_cost"].to_numpy(float)
    unpaired = difference_interval(a, b, paired=False, n_boot=200, rng=0)
    row = grid_table[
        grid_table.scenario.eq("rate=2, over_assignment=0.05")
        & grid_table.metric.eq("incentive_cost")
        & grid_table.statistic.eq("mean")
    ].iloc[0]
    assert row["diff_vs_base"] == pytest.approx(a.mean() - b.mean(), rel=1e-9)
    assert row["diff_high"] - row["diff_low"] < 0.2 * (unpaired.high - unpaired.low)
    assert row["diff_low"] > 0  # a richer accelerator costs more, and the pairing shows it


def test_a_variant_with_the_month_loop_runs_its_own_and_matches_simulate(base, book):
    changes = [{"behaviour.effort_elasticity": 0.3}, {RATE: 2.0}]
    t = sweep(base, changes, 20, rng=5, book=book, metrics=["incentive_cost"], n_boot=200)
    assert t.attrs["draws"] == {"groups": 1, "shared": 2, "own": 1}
    looped = set_params(base, changes[0])
    want = simulate(looped, 20, rng=5, book=book).trials["incentive_cost"].to_numpy(float)
    got = interval_of(t, "effort_elasticity=0.3", "incentive_cost").estimate
    assert got == pytest.approx(want.mean(), rel=1e-12)


def test_a_variant_paid_on_single_deals_pairs_with_the_base(base, book):
    # the variant declares a measure (nothing pays on it): auto draws every deal for
    # it, and for the base and the other variant too, so all three share their draws
    logos = {"plan.measures": [{"name": "logos", "kind": "new_logos"}]}
    t = sweep(base, [logos, {RATE: 2.0}], 25, rng=3, book=book, metrics=["incentive_cost"])
    assert t.attrs["draws"] == {"groups": 2, "shared": 3, "own": 0}  # one engine, two mixes
    mean = t[t.statistic.eq("mean")].set_index("scenario")
    measured = mean.index[1]
    assert mean.loc[measured, ["diff_vs_base", "diff_low", "diff_high"]].tolist() == [0, 0, 0]
    want = simulate(base.replace(engine="deals"), 25, rng=3, book=book)
    assert mean.loc[BASE, "value"] == pytest.approx(want.trials["incentive_cost"].mean(), 1e-12)


def test_a_grid_and_a_list_of_the_same_changes_give_the_same_numbers(base, book, grid_table):
    listed = sweep(base, [{RATE: 2.0, "quota.over_assignment": 0.15}], rng=3, book=book, n_boot=200)
    a = grid_table[grid_table.scenario.eq("rate=2, over_assignment=0.15")]
    b = listed[listed.scenario.eq("rate=2, over_assignment=0.15")]
    cols = ["value", "low", "high", "diff_vs_base", "diff_low", "diff_high"]
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())


def test_the_same_numbers_on_local_processes_and_on_dask(base, book, dask_client):
    changes = {RATE: [1.5, 2.0], "quota.growth": [0.06]}
    kw = {"rng": 11, "book": book, "metrics": ["incentive_cost", "share_at_quota"], "n_boot": 200}
    serial = sweep(base, changes, 30, chunk_size=7, **kw)
    procs = sweep(base, changes, 30, executor="processes", workers=2, **kw)
    on_dask = sweep(base, changes, 30, executor=dask_client, **kw)
    pd.testing.assert_frame_equal(serial[procs.columns], procs)
    pd.testing.assert_frame_equal(serial, on_dask)
    assert (procs.attrs["executor"], on_dask.attrs["executor"]) == ("processes", "dask")


def test_refusals_name_the_variant_and_the_rule(base, book):
    with pytest.raises(
        SpecError, match="unknown sweep metric 'incentive_cst'.*Did you mean 'incentive_cost'"
    ):
        sweep(base, {RATE: [2.0]}, 5, book=book, metrics=["incentive_cst"])
    with pytest.raises(SpecError, match=r"variant 'seed=3': seed cannot vary in a sweep"):
        sweep(base, {"seed": [3]}, 5, book=book)
    with pytest.raises(PlanError, match=r"(?s)variant .threshold=-1.: .*threshold = -1"):
        sweep(base, {THRESHOLD: [0.4, -1]}, 5, book=book)
    with pytest.raises(SpecError, match="level must be a confidence level"):
        sweep(base, {RATE: [2.0]}, 5, book=book, level=95)


# --- frontier and figures -----------------------------------------------------------------


def test_the_frontier_marks_what_no_other_scenario_beats(grid_table):
    front = frontier(grid_table)
    assert front["cost"].is_monotonic_increasing
    for r in front.itertuples():
        beaten = front[
            (front.cost <= r.cost)
            & (front.benefit >= r.benefit)
            & ((front.cost < r.cost) | (front.benefit > r.benefit))
        ]
        assert r.efficient == beaten.empty, r.scenario
    with pytest.raises(SpecError, match="'ccos' is not in this sweep"):
        frontier(grid_table, cost="ccos")


def test_the_figures_draw_each_metric_with_its_band_and_the_frontier(grid_table):
    fig = sweep_figure(grid_table, "incentive_cost")
    ax = fig.axes[0]
    assert {c.get_gid() for c in ax.collections} >= {"band_0", "band_1"}
    assert ax.get_xlabel() == "rate" and "$" in ax.get_yticklabels()[1].get_text()
    p90 = sweep_figure(grid_table, "incentive_cost", "quota.over_assignment", statistic="p90")
    assert "P90" in p90.axes[0].get_title()
    lines = {line.get_gid() for line in frontier_figure(grid_table).axes[0].lines}
    assert {"efficient", "frontier", "base"} <= lines
    with pytest.raises(SpecError, match="no 'p90' of 'share_at_quota'"):
        sweep_figure(grid_table, "share_at_quota", statistic="p90")
    assert math.isfinite(interval_of(grid_table, BASE, "share_at_quota").low)


def test_the_quota_setting_views_run_on_dask_with_the_same_numbers(base, book, dask_client):
    from spm_sim.quota import QuotaSettings
    from spm_sim.sweep import company_view, quota_diagnostics_by_setting

    settings = {"flat": QuotaSettings(growth=0.08), "10% over": QuotaSettings(growth=0.08,
                over_assignment=0.10)}  # fmt: skip
    kw = {"trials": 20, "rng": 7, "book": book}
    here = company_view(base, settings, **kw)
    there = company_view(base, settings, executor=dask_client, **kw)
    pd.testing.assert_frame_equal(here, there)
    judged = quota_diagnostics_by_setting(base, settings, executor=dask_client, **kw)
    local = quota_diagnostics_by_setting(base, settings, **kw)
    for name in settings:
        assert judged.diagnostics[name].value("share_at_quota") == (
            local.diagnostics[name].value("share_at_quota")
        )


def test_company_view_on_drawn_sales_equals_simulating_each_setting():
    """Settings paid on sales drawn once give the table simulating each one gives."""
    from spm_sim.quota import QuotaSettings
    from spm_sim.simulate import draw_sales
    from spm_sim.sweep import company_view

    s = sample_scenario("baseline")
    settings = {
        "flat": QuotaSettings(growth=0.08),
        "10% over": QuotaSettings(growth=0.08, over_assignment=0.10),
    }
    plain = company_view(s, settings, trials=60, rng=s.seed)
    drawn = draw_sales(s, 60, rng=s.seed)
    fast = company_view(s, settings, trials=60, rng=s.seed, draws=drawn)
    pd.testing.assert_frame_equal(plain, fast)
    other = company_view(s, settings, trials=40, rng=s.seed, draws=drawn)  # other trials
    assert (other["incentive_cost"] > 0).all() and len(other) == 2
