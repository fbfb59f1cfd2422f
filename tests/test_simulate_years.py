"""Several plan years (``simulate_years``): year 1 as ``simulate``, quotas from the rule
per trial, deals and seats carried into January, common random numbers year by year,
ratchet anticipation, and the CLI's paired comparison."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spm_sim.book import load_sample
from spm_sim.cli import main
from spm_sim.errors import ScenarioError
from spm_sim.productivity import (
    Behaviour,
    Workforce,
    build_kernel,
    draw_trials,
    fit_productivity,
    run_kernel_by_month,
)
from spm_sim.quota import GrowthRule, RatchetRule, Years, next_quota
from spm_sim.random import seed_sequence, year_root
from spm_sim.scenario import SAMPLE_SCENARIOS, load_scenario, sample_scenario
from spm_sim.simulate import compare_years, prepare, simulate, simulate_years

N = 50
RATCHET = Years(count=3, quota_rule={"rule": "ratchet", "weight": 1.0})
GROWTH = Years(count=3, quota_rule={"rule": "growth", "rate": 0.08})


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def people():
    """People and behaviour (attrition, effort, timing), with a ratchet, no anticipation."""
    return sample_scenario("people_and_behaviour").replace(years=RATCHET)


@pytest.fixture(scope="module")
def ratchet_run(people, book):
    return simulate_years(people, N, rng=3, book=book, chunk_size=25)


def test_year_one_is_simulate_bit_for_bit(people, book, ratchet_run):
    one = simulate(people, N, rng=3, book=book)
    first = ratchet_run.first
    assert np.array_equal(first.bookings, one.bookings)
    assert np.array_equal(first.payout, one.payout)
    assert np.array_equal(first.company_by_period, one.company_by_period)
    for name, value in one.dynamics.items():
        assert np.array_equal(first.dynamics[name], value), name
    assert np.array_equal(ratchet_run.bookings[0], one.bookings)
    assert ratchet_run.plan_years == (2026, 2027, 2028)
    # a ratchet that reps do not anticipate leaves the first year alone
    assert ratchet_run.quotas.shape == (3, N, len(one.rep_ids))


def test_quotas_follow_the_rule_trial_by_trial(people, book, ratchet_run):
    model = prepare(people, book).model
    full_year = model.ramp.min(axis=1) == 1.0  # ramped all year: full-year quota = annual
    q, b = ratchet_run.quotas, ratchet_run.bookings
    for y in (1, 2):
        want = next_quota(RatchetRule(weight=1.0), q[y - 1], b[y - 1])
        np.testing.assert_allclose(q[y][:, full_year], want[:, full_year], rtol=1e-12)
    # a ratchet never lowers a quota, and trials differ (each its own year)
    assert (q[1] >= q[0] - 1e-6).all()
    assert np.ptp(q[1].sum(axis=1)) > 0


def test_deals_moved_across_a_year_end_land_in_next_january(ratchet_run):
    for y in (1, 2):
        before = ratchet_run.dynamics[y - 1]
        moved = before["deferred_to_next_year"] - before["borrowed_from_next_year"]
        assert np.abs(moved).sum() > 0  # the behaviour moves deals at the year end
        np.testing.assert_allclose(ratchet_run.dynamics[y]["carried_in"], moved, rtol=1e-9)
    assert (ratchet_run.dynamics[0]["carried_in"] == 0).all()


def _loop_kernel(book, **settings):
    prep = prepare(sample_scenario("baseline"), book)
    kernel = build_kernel(
        prep.model,
        sample_scenario("baseline").plan,
        prep.quotas.values,
        prep.target_incentive,
        **settings,
    )
    return prep, kernel


def test_a_carried_deal_lands_in_january_and_a_borrowed_one_is_paid_back(book):
    still = Behaviour(effort_elasticity=0.0, pull_forward=0.0, push_out=0.0)
    prep, kernel = _loop_kernel(book, behaviour=still)
    r = prep.model.n_reps
    draws = np.full((12, 2, r), 1000.0)  # month-major
    carry = np.zeros((2, r))
    carry[0, 0], carry[1, 0] = 500.0, -1500.0  # pushed out of last December; pulled into it
    out, stats = run_kernel_by_month(kernel, draws, carry_in=carry, year_end=True)
    assert out[0, 0, 0] == 1500.0 and out[1:, 0, 0].tolist() == [1000.0] * 11
    # the pull is taken from January, then from February, never below 0
    assert out[:3, 1, 0].tolist() == [0.0, 500.0, 1000.0]
    assert (out[:, :, 1:] == 1000.0).all()
    assert (stats["next_january"] == 0).all()
    same, _ = run_kernel_by_month(kernel, draws)
    assert np.array_equal(same[:, :, 1:], out[:, :, 1:])


def test_seats_start_the_year_as_the_last_one_left_them(book):
    wf = Workforce(attrition=0.2, backfill_lag_months=3, vacancy_productivity=0.1)
    prep, kernel = _loop_kernel(book, workforce=wf)
    r = prep.model.n_reps
    draws = np.full((12, 1, r), 1000.0)
    clocks = np.full((1, r, 4), 1e9)  # nobody leaves this year
    state, left, tenure = (np.zeros((1, r), dtype=int) for _ in range(3))
    state[0, 0], left[0, 0] = 1, 2  # vacant two more months
    state[0, 1], tenure[0, 1] = 2, 4  # a new hire in their fifth month
    out, stats = run_kernel_by_month(
        kernel, draws, clocks, seats_in=(state, left, tenure), year_end=True
    )
    ramp = kernel.incumbent_ramp
    assert out[:2, 0, 0] == pytest.approx(100.0 / ramp[0, :2])
    assert out[2, 0, 0] == pytest.approx(
        1000.0 * kernel.new_hire_ramp[0, 0] * kernel.new_hire_ratio[0] / ramp[0, 2]
    )
    assert out[0, 0, 1] == pytest.approx(
        1000.0 * kernel.new_hire_ramp[1, 4] * kernel.new_hire_ratio[1] / ramp[1, 0]
    )
    assert stats["vacant_months"].tolist() == [2.0]
    # after December: the vacancy became a hire in March (tenure 10 on 1 January)
    assert stats["seat_state"][0, :3].tolist() == [2, 2, 0]
    assert stats["seat_tenure"][0, :2].tolist() == [10, 16]


def test_same_seed_same_numbers_whatever_the_chunks_and_executor(
    people, book, ratchet_run, dask_client
):
    # chunks of 25 trials here against one chunk of 50 on Dask's worker processes
    other = simulate_years(people, N, rng=3, book=book, chunk_size=250, executor=dask_client)
    assert np.array_equal(other.bookings, ratchet_run.bookings)
    assert np.array_equal(other.incentive, ratchet_run.incentive)
    assert np.array_equal(other.quotas, ratchet_run.quotas)
    for y in range(3):
        for name, value in ratchet_run.dynamics[y].items():
            assert np.array_equal(other.dynamics[y][name], value), (y, name)


def test_exogenous_draws_are_shared_year_by_year(book):
    # without behaviour, quotas cannot move sales: two rules, one seed, the same bookings
    base = sample_scenario("baseline")
    a = simulate_years(base.replace(years=RATCHET), 30, rng=5, book=book)
    b = simulate_years(base.replace(years=GROWTH), 30, rng=5, book=book)
    assert np.array_equal(a.bookings, b.bookings)
    assert not np.array_equal(a.quotas[1:], b.quotas[1:])
    assert not np.array_equal(a.bookings[1], a.bookings[0])  # a new year, new draws
    table = compare_years(a, b)
    assert table.attrs["paired"]
    row = table[(table.year == "2027") & (table.metric == "company_bookings")].iloc[0]
    assert (row.difference, row.low, row.high) == (0.0, 0.0, 0.0)
    with pytest.raises(ScenarioError, match="has no 'years' block"):
        simulate_years(base, 10, book=book)


def test_ratchet_anticipation_lowers_effort_ahead_of_quota_and_is_a_no_op_at_zero(book):
    beh = Behaviour(effort_elasticity=0.2, pull_forward=0.0, push_out=0.0)
    _, plain = _loop_kernel(book, behaviour=beh)
    _, zero = _loop_kernel(book, behaviour=beh, ratchet=(1.0, 0.0))
    _, keen = _loop_kernel(
        book, behaviour=beh.replace(ratchet_anticipation=0.5), ratchet=(1.0, 0.0)
    )
    assert np.array_equal(plain.effort_table, zero.effort_table)
    grid = np.arange(0.0, 6.0 + 0.005, 0.01)
    table = keen.effort_table.reshape(-1, grid.size)  # (widths, grid): one curve group
    base = plain.effort_table.reshape(-1, grid.size)
    assert (table <= base + 1e-12).all()
    narrow = 0  # the narrowest width: the year's end almost known
    ahead = (grid > 1.05) & (grid < 1.45)
    assert (table[narrow, ahead] < base[narrow, ahead] - 0.05).all()
    behind = grid < 0.9  # a ratchet that never lowers a quota costs nothing below it
    assert table[narrow, behind] == pytest.approx(base[narrow, behind])


def test_anticipated_ratchet_lowers_first_year_bookings_only_under_a_ratchet(
    people, book, ratchet_run
):
    keen = people.replace(behaviour=people.behaviour.replace(ratchet_anticipation=0.5))
    run = simulate_years(keen.replace(years=RATCHET.replace(count=1)), N, rng=3, book=book)
    assert run.dynamics[0]["mean_effort"].mean() < ratchet_run.dynamics[0]["mean_effort"].mean()
    assert run.bookings[0].sum() < ratchet_run.bookings[0].sum()
    fixed = simulate_years(keen.replace(years=GROWTH.replace(count=1)), N, rng=3, book=book)
    assert np.array_equal(fixed.bookings[0], ratchet_run.bookings[0])
    assert isinstance(GROWTH.quota_rule, GrowthRule)


def test_cli_runs_the_sample_pair_paired_over_three_years(tmp_path, capsys):
    code = main(
        [
            "run",
            "data/scenarios/cap_and_ratchet.yaml",
            "data/scenarios/no_cap_no_ratchet.yaml",
            "--trials",
            "25",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "paired trial by trial" in out
    table = pd.read_csv(tmp_path / "run" / "years_comparison.csv", dtype={"year": str})
    assert set(table["year"]) == {"2026", "2027", "2028", "all"} and table["paired"].all()
    assert (tmp_path / "run" / "years_summary.csv").is_file()


def test_cli_refuses_scenarios_over_different_numbers_of_years(tmp_path, capsys):
    path = tmp_path / "two.yaml"  # the sample's no-cap scenario over two years
    path.write_text(
        Path("data/scenarios/no_cap_no_ratchet.yaml")
        .read_text(encoding="utf-8")
        .replace("count: 3", "count: 2")
        .replace("book: ../sample", f"book: {Path('data/sample').resolve()}")
        .replace("../plans/", f"{Path('data/plans').resolve()}/"),
        encoding="utf-8",
    )
    assert load_scenario(path).years.count == 2
    code = main(["run", "data/scenarios/cap_and_ratchet.yaml", str(path), "--trials", "25"])
    err = capsys.readouterr().err
    assert code == 2 and "different numbers of plan years" in err and "years.count 2" in err


def test_a_method_rule_gives_a_year_one_hire_a_full_year_later(book):
    """Under a method rule, a rep hired during the first plan year (part-year quota
    then) gets a full year's quota in later years, as a rep employed all year does."""
    rule = {"rule": "method", "settings": {"method": "equal"}}
    s = sample_scenario("baseline").replace(
        years=Years.model_validate({"count": 3, "quota_rule": rule})
    )
    r = simulate_years(s, 25, rng=1, book=book)
    ids = list(r.first.rep_ids)
    hire, settled = ids.index("R085"), ids.index("R001")  # hired 2025-10-29; since 2019
    q = r.quotas[:, 0, :]
    # equal quotas: the same full-year quota for both once the hire is ramped (2027 on),
    # within the small gap between the quota ramp and the model ramp of the hire's 2026
    assert q[2, hire] == pytest.approx(q[2, settled], rel=0.01)
    assert q[1, hire] == pytest.approx(q[1, settled], rel=0.01)


def test_cli_refuses_mixing_one_year_and_several(tmp_path, capsys):
    code = main(
        [
            "run",
            "data/scenarios/cap_and_ratchet.yaml",
            "data/scenarios/baseline.yaml",
            "--trials",
            "25",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "scenario 'Baseline 2026' has one plan year" in err


def test_per_trial_quotas_equal_to_the_kernels_change_nothing(book):
    wf = Workforce(attrition=0.3)
    prep, kernel = _loop_kernel(book, workforce=wf, behaviour=Behaviour())
    rng = np.random.default_rng(0)
    draws = rng.gamma(2.0, 50_000.0, size=(12, 20, prep.model.n_reps))
    clocks = rng.standard_exponential((20, prep.model.n_reps, 4)) * 0.3
    plain, stats = run_kernel_by_month(kernel, draws, clocks)
    q = np.broadcast_to(prep.quotas.values, (20, *prep.quotas.values.shape))
    same, again = run_kernel_by_month(kernel, draws, clocks, quotas=q, year_end=True)
    assert np.array_equal(plain, same)
    for name, value in stats.items():
        assert np.array_equal(again[name], value), name
    # a trial whose quotas are doubled reads a lower attainment: more effort, other moves
    q2 = q.copy()
    q2[0] *= 2
    moved, _ = run_kernel_by_month(kernel, draws, clocks, quotas=q2)
    assert np.array_equal(moved[:, 1:], plain[:, 1:]) and not np.array_equal(
        moved[:, 0], plain[:, 0]
    )


# --- a rep's true rate persists across plan years ---------------------------------------


def _annual_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each rep's correlation across trials of two years' bookings, (reps,)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    return (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))


def test_a_reps_draws_persist_across_years_and_a_tight_posterior_barely_moves(book):
    m = fit_productivity(book, plan_year=2026)
    # rep 0 known to 0.5% (a long history), rep 1 to 50% (a new rep), same mean rate
    alpha, beta = m.alpha.copy(), m.beta.copy()
    alpha[0], beta[0] = 40_000.0, 40_000.0 / (m.alpha[0] / m.beta[0])
    alpha[1], beta[1] = 4.0, 4.0 / (m.alpha[1] / m.beta[1])
    sd = m.size_mu_sd.copy()
    sd[:2] = 1e-6
    # the company's trend and level known (they persist too: another test)
    first = dataclasses.replace(
        m, alpha=alpha, beta=beta, size_mu_sd=sd, trend_se=0.0, level_se=0.0
    )
    third = dataclasses.replace(first, beta=first.beta * np.exp(-0.1))  # two years on
    root, n = seed_sequence(11), 600
    y1 = draw_trials(first, root, 0, n, engine="deals")[0].sum(axis=-1)
    fresh = draw_trials(third, year_root(root, 3), 0, n, engine="deals")[0].sum(axis=-1)
    kept = draw_trials(third, year_root(root, 3), 0, n, engine="deals", persist=(first, root))[
        0
    ].sum(axis=-1)
    before, after = _annual_corr(y1, fresh), _annual_corr(y1, kept)
    # drawn afresh each year a rep's years are independent; kept, a new rep's good year
    # is followed by a good one, a rep with a long history's by an ordinary one
    assert abs(before[1]) < 0.15 and after[1] > 0.4
    assert abs(before[0]) < 0.15 and abs(after[0]) < 0.15
    # over the sample's reps (posteriors of 3 years' history) clearly positive, was ~0
    assert abs(before[2:].mean()) < 0.03 and after[2:].mean() > 0.05
    # the same law each year: only the pairing across years changed
    assert kept.sum(axis=1).mean() == pytest.approx(fresh.sum(axis=1).mean(), rel=0.03)


def test_kept_draws_change_nothing_else(book):
    m = fit_productivity(book, plan_year=2026)
    root = seed_sequence(4)
    plain, _ = draw_trials(m, root, 3, 61)
    # the first year kept in itself is the first year, bit for bit (chunks inside blocks)
    assert np.array_equal(draw_trials(m, root, 3, 61, persist=(m, root))[0], plain)
    # another first year moves the rates only: the company's year is this year's
    other = dataclasses.replace(m, beta=m.beta * 1.1)
    moved = draw_trials(m, root, 3, 61, persist=(other, seed_sequence(9)))[0]
    assert not np.array_equal(moved, plain)
    again = draw_trials(m, root, 10, 20, persist=(other, seed_sequence(9)))[0]
    assert np.array_equal(again, moved[7:17])


def test_a_sample_run_carries_each_reps_luck_into_later_years(book):
    base = sample_scenario("baseline").replace(years=GROWTH)
    run = simulate_years(base, 300, rng=7, book=book, chunk_size=70)
    corr = _annual_corr(run.bookings[0], run.bookings[2])
    assert np.nanmean(corr) > 0.07
    # the trend's and the level's uncertainty is the trial's too: a company year above
    # the fitted level is followed by others above it
    company = np.corrcoef(run.bookings[0].sum(axis=1), run.bookings[2].sum(axis=1))[0, 1]
    assert company > 0.3
    assert np.array_equal(run.bookings[0], simulate(base, 300, rng=7, book=book).bookings)


def test_a_trials_territory_elasticities_are_its_own_in_every_year(book):
    # the redesign's effect of a trial moves with the trial's elasticities, drawn once
    realigned = load_scenario(SAMPLE_SCENARIOS / "realigned.yaml").replace(years=GROWTH)
    base = sample_scenario("baseline").replace(years=GROWTH)
    moved = simulate_years(realigned, 100, rng=2, book=book, chunk_size=30)
    plain = simulate_years(base, 100, rng=2, book=book)
    effect = moved.bookings.sum(axis=2) - plain.bookings.sum(axis=2)  # (years, trials)
    assert np.corrcoef(effect[0], effect[2])[0, 1] > 0.5
    assert (effect.mean(axis=1) > 0).all()
