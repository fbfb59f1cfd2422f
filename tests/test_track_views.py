"""The in-year views over a Forecast: accruals, leaderboard, contests, early warnings.

Unit tests build forecasts from known draws through the real payout kernel
(``forecast_from_draws``) and check the views against hand-computed answers and
closed forms; the integration tests run them on the sample book as of 2025-06-30.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gamma

from spm_sim._track.accruals import (
    accruals,
    accruals_by_rep,
    compare_accruals,
    example_forecast,
    forecast_from_draws,
    read_accruals,
    save_accruals,
)
from spm_sim._track.standings import contest_standings, leaderboard, quota_to_date
from spm_sim._track.warnings import WARNING_COLUMNS, early_warnings
from spm_sim.book import load_sample
from spm_sim.comp import load_plan, standard_plan
from spm_sim.errors import DataError

TI = 60_000.0
QUOTA = 1_200_000.0


def _fixed(plan, actual, rest, *, as_of="2025-06-30", trials=3, **kw):
    """A forecast whose draws are the same in every trial (known answers)."""
    actual = np.asarray(actual, dtype=float)
    draws = np.broadcast_to(np.asarray(rest, dtype=float), (trials, *actual.shape)).copy()
    return forecast_from_draws(
        plan,
        year=2025,
        as_of=as_of,
        actual=actual,
        draws=draws,
        quotas=np.full(actual.shape, QUOTA / 12),
        target_incentive=np.full(actual.shape[0], TI),
        **kw,
    )


def _h1(*monthly):
    """Actuals of January to June at the given monthly amounts, one row per rep."""
    out = np.zeros((len(monthly), 12))
    out[:, :6] = np.asarray(monthly, dtype=float)[:, None]
    return out


def _h2(*monthly):
    out = np.zeros((len(monthly), 12))
    out[:, 6:] = np.asarray(monthly, dtype=float)[:, None]
    return out


# --- accruals ------------------------------------------------------------------------


def test_closed_months_are_the_payroll_and_paid_on_the_next_payday():
    table = accruals(example_forecast()).set_index("period")
    # R001 5,000 a month, R002 6,000, R003 10,000 (1x TCR on a year's quota of 1.2M)
    for month in ("2025-01", "2025-04", "2025-05"):
        row = table.loc[month]
        assert row.status == "actual"
        assert row.expected == row.expected_low == row.expected_high == 21_000.0
        assert row.p10 == row.p90 == row.earned_to_date == row.paid == 21_000.0
        assert row.owed == 0.0 and row.to_accrue == 0.0
    # June is over but paid on 15 July: at the quarter close it is the liability
    june = table.loc["2025-06"]
    assert june.status == "actual" and june.earned_to_date == 21_000.0
    assert june.paid == 0.0 and june.owed == 21_000.0
    assert table.loc["2025-Q2", "owed"] == 21_000.0
    assert table.loc["2025", "paid"] == 105_000.0
    assert table.loc["2025", "owed"] == 21_000.0
    # payday=None: a month counts as paid when it ends (nothing owed at a month end)
    at_end = accruals(example_forecast(), payday=None).set_index("period")
    assert at_end.loc["2025", "paid"] == 126_000.0 and at_end.loc["2025", "owed"] == 0.0
    assert at_end.attrs["payday"] is None and table.attrs["payday"] == 15
    assert table.loc["2025-07", "status"] == "forecast"
    assert table.loc["2025-07", "earned_to_date"] == 0.0
    assert table.loc["2025", "status"] == "in progress"


def test_payday_decides_what_is_paid():
    fc = example_forecast(as_of="2025-07-15", trials=50)
    on_day = accruals(fc).set_index("period")
    before = accruals(fc, payday=16).set_index("period")
    assert on_day.loc["2025-06", "paid"] == 21_000.0  # paid on 15 July, the as-of day
    assert before.loc["2025-06", "paid"] == 0.0 and before.loc["2025-06", "owed"] == 21_000.0
    # July so far is earned, on no payroll
    assert on_day.loc["2025-07", "paid"] == 0.0 and on_day.loc["2025-07", "owed"] > 0
    for bad in (0, 32, 1.5, True):
        with pytest.raises(ValueError, match="payday must be a day of the month"):
            accruals(fc, payday=bad)


def test_mid_month_earnings_are_owed_not_paid():
    table = accruals(example_forecast(as_of="2025-06-15")).set_index("period")
    june = table.loc["2025-06"]
    assert june.status == "in progress"
    # half of June booked by the 15th: 10,500 earned, on no payroll yet
    assert june.earned_to_date == pytest.approx(10_500.0)
    assert june.paid == 0.0 and june.owed == pytest.approx(10_500.0)
    # May's payroll ran on 15 June: May is paid
    assert table.loc["2025-05", "paid"] == 21_000.0
    assert table.loc["2025", "paid"] == pytest.approx(105_000.0)
    assert table.loc["2025-Q2", "status"] == "in progress"
    assert june.expected_low < june.expected < june.expected_high


def test_periods_add_up_and_reps_add_up_to_the_company():
    fc = example_forecast()
    table = accruals(fc).set_index("period")
    quarters = table[table.kind == "quarter"]["expected"].sum()
    months = table[table.kind == "month"]["expected"].sum()
    assert quarters == pytest.approx(table.loc["2025", "expected"])
    assert months == pytest.approx(table.loc["2025", "expected"])
    reps = accruals_by_rep(fc)
    assert reps["expected"].sum() == pytest.approx(table.loc["2025", "expected"])
    assert (reps.p10 <= reps.p50).all() and (reps.p50 <= reps.p90).all()
    assert set(accruals_by_rep(fc, by="quarter").period) == {f"2025-Q{q}" for q in (1, 2, 3, 4)}


def test_expected_cost_matches_the_closed_form():
    # R003 is past quota all year: pay = TI (1 + 2 (a - 1)) with E[a] = 2.0 exactly
    reps = accruals_by_rep(example_forecast(trials=2_000)).set_index("rep_id")
    row = reps.loc["R003"]
    assert row.expected_low < 180_000.0 < row.expected_high
    assert row.expected_high - row.expected_low < 0.02 * 180_000.0
    # R001 needs H2 draws of 600k: 100k x Gamma(24, 1/4) per month-sum; its P50 pay
    # sits at the median draw: TI x a below quota, so the median is known too
    median_a = (600_000.0 + 100_000.0 * gamma(24, scale=0.25).median()) / QUOTA
    assert reps.loc["R001", "p50_low"] <= TI * median_a <= reps.loc["R001", "p50_high"]


def test_saved_accruals_read_back_equal(tmp_path):
    table = accruals(example_forecast())
    path = save_accruals(table, tmp_path / "accruals.csv")
    back = read_accruals(path)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    for key in ("as_of", "plan", "year", "currency", "seed", "trials", "level"):
        assert back.attrs[key] == table.attrs[key]


def test_reading_a_bad_saved_table_names_file_row_and_column(tmp_path):
    path = save_accruals(accruals(example_forecast()), tmp_path / "accruals.csv")
    text = path.read_text().splitlines()
    cells = text[3].split(",")
    cells[6] = "lots"  # expected
    text[3] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match=r"accruals.csv, row 4, column 'expected'.*number"):
        read_accruals(path)
    (tmp_path / "accruals.csv.json").unlink()
    with pytest.raises(DataError, match=r"accruals.csv.json: no such file"):
        read_accruals(path)
    with pytest.raises(ValueError, match="attrs"):
        save_accruals(pd.DataFrame({"period": ["2025"]}), tmp_path / "x.csv")


def test_compare_refuses_other_plans_and_currencies():
    a = accruals(example_forecast())
    other = accruals(example_forecast(plan=standard_plan(name="Other", threshold=0.0)))
    with pytest.raises(DataError, match="different plans.*'Example plan'.*'Other'"):
        compare_accruals(a, other)
    euros = a.copy()
    euros.attrs = dict(a.attrs, currency="EUR")
    with pytest.raises(DataError, match="different currencys|different currenc"):
        compare_accruals(euros, a)
    with pytest.raises(DataError, match="per-rep"):
        compare_accruals(accruals_by_rep(example_forecast()), a)


def test_compare_separates_noise_from_a_real_change(tmp_path):
    first = accruals(example_forecast(rng=1))
    again = accruals(example_forecast(rng=2))  # same facts, other draws
    noise = compare_accruals(again, read_accruals(save_accruals(first, tmp_path / "a.csv")))
    year = noise.set_index("period").loc["2025"]
    assert year.change != 0.0 and year.within_mc_error
    assert noise[noise.status == "actual"]["change"].eq(0.0).all()
    assert noise[noise.status == "actual"]["within_mc_error"].all()
    # a month later: June moved from forecast to actual, and R003's strong June is in
    before = accruals(example_forecast(as_of="2025-05-31", rng=1))
    diff = compare_accruals(first, before).set_index("period")
    assert diff.loc["2025-06", "status_previous"] == "forecast"
    assert diff.loc["2025-06", "status"] == "actual"
    # June is earned, on July's payroll; May's payroll ran on 15 June
    assert diff.loc["2025-06", "earned_change"] == 21_000.0
    assert diff.loc["2025-06", "paid_change"] == 0.0
    assert diff.loc["2025-05", "paid_change"] == 21_000.0
    # a rep who booked nothing more: a real change of the year's cost
    fc = example_forecast(rng=1)
    slow = forecast_from_draws(
        fc.plan,
        year=2025,
        as_of="2025-06-30",
        actual=fc.actual * np.array([[0.5], [1.0], [1.0]]),
        draws=fc.bookings - fc.actual[None],
        quotas=fc.quotas,
        target_incentive=fc.target_incentive,
    )
    real = compare_accruals(accruals(slow), first).set_index("period")
    assert real.loc["2025", "change"] < 0 and not real.loc["2025", "within_mc_error"]
    assert real.loc["2025", "change_high"] < 0


def test_forecast_from_draws_refuses_draws_in_closed_months():
    with pytest.raises(ValueError, match="months that ended by 2025-06-30"):
        _fixed(standard_plan(), _h1(1.0), np.ones((1, 12)))


# --- leaderboard -------------------------------------------------------------------------


def test_leaderboard_pace_and_ranks_by_hand():
    fc = example_forecast(as_of="2025-06-15")
    assert quota_to_date(fc).tolist() == [550_000.0] * 3
    board = leaderboard(fc).set_index("rep_id")
    assert board.loc["R001", "pace"] == pytest.approx(1.0)
    assert board.loc["R002", "pace"] == pytest.approx(1.2)
    assert board.loc["R003", "attainment_to_date"] == pytest.approx(1_100_000 / QUOTA)
    assert board["rank_pace"].to_dict() == {"R001": 3, "R002": 2, "R003": 1}
    assert board["rank_attainment"].to_dict() == {"R001": 3, "R002": 2, "R003": 1}
    assert list(board.index) == ["R003", "R002", "R001"]


def test_probability_of_quota_matches_the_closed_form():
    board = leaderboard(example_forecast(trials=2_000)).set_index("rep_id")
    # R001 makes quota when the H2 draws reach 600k: P(Gamma(24, 1/4) >= 6)
    truth = float(gamma(24, scale=0.25).sf(6.0))
    assert board.loc["R001", "p_quota_low"] < truth < board.loc["R001", "p_quota_high"]
    assert board.loc["R003", "p_quota"] == 1.0 and board.loc["R003", "p_quota_low"] > 0.99
    assert board.loc["R003", "rank_p_quota"] == 1
    r = board.loc["R001"]
    assert r.attainment_p10 < r.attainment_p50 < r.attainment_p90
    assert r.attainment_p50_low <= r.attainment_p50 <= r.attainment_p50_high


def test_a_rep_without_quota_is_not_ranked():
    fc = example_forecast()
    q = fc.quotas.copy()
    q[1] = 0.0
    fc2 = forecast_from_draws(
        fc.plan,
        year=2025,
        as_of=fc.as_of,
        actual=fc.actual,
        draws=fc.bookings - fc.actual[None],
        quotas=q,
        target_incentive=fc.target_incentive,
    )
    board = leaderboard(fc2).set_index("rep_id")
    assert pd.isna(board.loc["R002", "rank_p_quota"]) and math.isnan(board.loc["R002", "p_quota"])
    assert board.index[-1] == "R002"


# --- contests ------------------------------------------------------------------------------


def _contest_plan(start, end, prizes, min_total=0.0):
    base = standard_plan(threshold=0.0)
    contest = {
        "name": "push",
        "type": "contest",
        "start_month": start,
        "end_month": end,
        "prizes": prizes,
        "min_total": min_total,
    }
    return base.replace(components=[*base.components, contest])


def test_tied_reps_share_ranks_and_prizes_as_the_kernel_does():
    plan = _contest_plan(7, 12, [10_000, 6_000, 4_000])
    fc = _fixed(plan, _h1(100e3, 100e3, 100e3), _h2(50e3, 50e3, 40e3))
    table = contest_standings(fc).set_index("rep_id")
    for rep in ("R001", "R002"):  # tied first: ranks 1 and 2 shared, 8,000 each
        assert table.loc[rep, "p_rank_1"] == 0.5 and table.loc[rep, "p_rank_2"] == 0.5
        assert table.loc[rep, "expected_prize"] == 8_000.0
        assert table.loc[rep, "p_prize"] == 1.0
    assert table.loc["R003", "p_rank_3"] == 1.0 and table.loc["R003", "expected_prize"] == 4_000.0
    assert (table["state"] == "not begun").all() and (table["total_to_date"] == 0).all()
    assert table.loc["R001", "total_expected"] == 300_000.0


def test_a_window_over_is_final_and_a_minimum_total_excludes():
    plan = _contest_plan(1, 3, [5_000, 1_000], min_total=250_000)
    fc = _fixed(plan, _h1(100e3, 80e3, 90e3), _h2(1.0, 1.0, 1.0))
    table = contest_standings(fc).set_index("rep_id")
    assert (table["state"] == "final").all()
    assert table.loc["R001", "total_to_date"] == 300_000.0
    assert table.loc["R001", "p_rank_1"] == 1.0 and table.loc["R001", "expected_prize"] == 5_000.0
    assert table.loc["R003", "p_prize"] == 1.0  # 270k > 250k: second
    assert table.loc["R002", "p_prize"] == 0.0  # 240k: not above the minimum
    assert set(table[["p_rank_1", "p_rank_2"]].to_numpy().ravel()) <= {0.0, 1.0}


def test_expected_prize_is_the_rank_probabilities_times_the_prizes():
    plan = _contest_plan(6, 9, [3_000, 2_000, 1_000])
    fc = example_forecast(plan=plan, as_of="2025-06-15")
    table = contest_standings(fc)
    assert (table["state"] == "running").all()
    implied = sum(table[f"p_rank_{k}"] * prize for k, prize in enumerate([3e3, 2e3, 1e3], 1))
    assert np.allclose(implied, table["expected_prize"])
    assert table["expected_prize"].sum() == pytest.approx(6_000.0)
    assert (table["total_to_date"] > 0).all()  # the first half of June is known
    assert table.columns[-3:].tolist() == [
        "expected_prize",
        "expected_prize_low",
        "expected_prize_high",
    ]


def test_a_plan_without_contests_has_an_empty_standing():
    table = contest_standings(example_forecast())
    assert table.empty and "p_prize" in table.columns


# --- early warnings --------------------------------------------------------------------------


def test_reps_at_risk_below_the_threshold():
    table = early_warnings(example_forecast(), risk_below=0.6)
    risk = table[table.kind == "at risk"]
    assert risk["who"].tolist() == ["R001"]
    assert list(table.columns) == list(WARNING_COLUMNS)
    assert risk.iloc[0].effect > 0 and risk.iloc[0].currency == "USD"
    assert early_warnings(example_forecast(), risk_below=0.0).empty


def test_attainment_cap_effect_matches_the_closed_form():
    plan = standard_plan(threshold=0.0, attainment_cap=1.5)
    table = early_warnings(example_forecast(plan=plan, trials=2_000))
    cap = table[(table.kind == "cap binds") & (table.level == "rep")].set_index("who")
    assert cap.index.tolist() == ["R003"]
    # a = 1 + G / 6 with G ~ Gamma(24, 1/4): above 150% the cap holds back 2x TCR,
    # 2 TI E[(a - 1.5)+] = TI E[(G - 3)+] / 3, and E[(G - c)+] = k s P(G' > c) - c P(G > c)
    k, s, c = 24, 0.25, 3.0
    held = TI * (k * s * gamma(k + 1, scale=s).sf(c) - c * gamma(k, scale=s).sf(c)) / 3
    assert 60_000 < held < 60_100  # a little above 2 TI (E[a] - 1.5): a falls below 1.5 rarely
    row = cap.loc["R003"]
    p_truth = float(gamma(k, scale=s).sf(c))
    assert row.low <= p_truth <= row.high and row.value > 0.99
    assert row.effect_low < held < row.effect_high


def test_payout_cap_and_its_paired_cost():
    plan = standard_plan(threshold=0.0, payout_cap=1.0)
    fc = _fixed(plan, _h1(100e3, 100e3, 200e3), _h2(100e3, 50e3, 200e3))
    cap = early_warnings(fc).query("kind == 'cap binds'").set_index("who")
    # R003 ends at 200%: uncapped TI x (1 + 2 x 1.0) = 180,000, capped at 60,000
    assert cap.loc["R003", "effect"] == pytest.approx(120_000.0)
    assert cap.loc["R001", "value"] == 1.0 and cap.loc["R001", "effect"] == 0.0  # at quota
    assert "R002" not in cap.index
    assert cap.loc["company", "effect"] == pytest.approx(120_000.0)


def test_gate_closed_withholds_the_component():
    base = standard_plan(threshold=0.0)
    comp = base.components[0].replace(gate={"measure": "platform", "min_attainment": 0.5})
    plan = base.replace(
        measures=[
            {"name": "platform", "kind": "bookings", "product": "Platform", "quota_share": 0.5}
        ],
        components=[comp],
    )
    act, rest = _h1(100e3, 100e3), _h2(100e3, 100e3)
    platform_act, platform_rest = _h1(0.0, 60e3), _h2(0.0, 60e3)
    fc = _fixed(
        plan,
        act,
        rest,
        actual_measures={"platform": platform_act},
        drawn_measures={"platform": np.broadcast_to(platform_rest, (3, 2, 12))},
    )
    gate = early_warnings(fc).query("kind == 'gate fails'").set_index("who")
    assert gate.loc["R001", "value"] == 1.0
    assert gate.loc["R001", "effect"] == pytest.approx(TI)  # at quota, all withheld
    assert "R002" not in gate.index  # 720k of a 600k platform quota: open


def test_decelerator_effect_by_hand():
    plan = load_plan("data/plans/ae_60_40_decelerator.yaml")
    fc = _fixed(plan, _h1(40e3, 100e3), _h2(40e3, 100e3))  # R001 ends at 40%
    decel = early_warnings(fc).query("kind == 'decelerator'").set_index("who")
    # 0.5x TCR on 40% = 0.2 TI; at 1x it would be 0.4 TI
    assert decel.loc["R001", "value"] == 1.0
    assert decel.loc["R001", "effect"] == pytest.approx(0.2 * TI)
    assert "R002" not in decel.index


def test_thin_coverage_per_rep_and_region():
    fc = _fixed(standard_plan(threshold=0.0), _h1(50e3, 50e3, 250e3), _h2(0.0, 0.0, 0.0))
    pipe = pd.DataFrame(
        {"rep_id": ["R001", "R002", "R002"], "amount": [100e3, 2e6, 1e6], "p_win": [0.5] * 3}
    )
    fc = type(fc)(**{**fc.__dict__, "pipeline": pipe})
    table = early_warnings(fc, coverage_below=3.0, regions={"R001": "West", "R002": "West"})
    thin = table[table.kind == "thin coverage"].set_index("who")
    # R001: 100k for 900k still to book; R003 is past quota; R002 covers 3.33x
    assert thin.index.tolist() == ["R001", "West"]
    assert thin.loc["R001", "value"] == pytest.approx(100 / 900)
    assert thin.loc["R001", "effect"] == pytest.approx(3 * 900e3 - 100e3)
    assert thin.loc["West", "value"] == pytest.approx(3_100 / 1_800)
    assert math.isnan(thin.loc["R001", "low"])


def test_default_coverage_rule_is_half_the_company_coverage():
    # each rep: 300k booked, 900k of quota left, 600k expected in the rest of the year
    fc = _fixed(standard_plan(threshold=0.0), _h1(50e3, 50e3, 50e3), _h2(100e3, 100e3, 100e3))
    pipe = pd.DataFrame(
        {"rep_id": ["R001", "R002", "R003"], "amount": [90e3, 700e3, 1.7e6], "p_win": [0.5] * 3}
    )
    fc = type(fc)(**{**fc.__dict__, "pipeline": pipe})
    company = 2.49e6 / 1.8e6  # open pipeline over the expected rest of the year
    table = early_warnings(fc, risk_below=0.0)
    thin = table[table.kind == "thin coverage"].set_index("who")
    # R002 covers 0.78x, below the company's 1.38x but above half of it: not named
    assert thin.index.tolist() == ["R001"]
    assert thin.loc["R001", "value"] == pytest.approx(0.1)
    assert thin.loc["R001", "effect"] == pytest.approx(0.5 * company * 900e3 - 90e3)
    assert "half the company's 1.4x" in thin.loc["R001", "message"]


def test_warnings_run_from_the_most_money_at_stake():
    fc = _fixed(standard_plan(threshold=0.0), _h1(10e3, 40e3, 20e3), _h2(10e3, 40e3, 20e3))
    risk = early_warnings(fc, risk_below=0.5)
    risk = risk[risk.kind == "at risk"]
    # short of 1.2M at year end: R001 1.08M, R003 0.96M, R002 0.72M
    assert risk["who"].tolist() == ["R001", "R003", "R002"]
    assert risk["effect"].is_monotonic_decreasing


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError, match="risk_below must be a probability"):
        early_warnings(example_forecast(), risk_below=30)
    with pytest.raises(ValueError, match="coverage_below must be a coverage ratio"):
        early_warnings(example_forecast(), coverage_below=-1.0)


# --- the sample book, as of the end of June ---------------------------------------------------


@pytest.fixture(scope="module")
def sample_forecast():
    from spm_sim._track.forecast import forecast

    return forecast(
        load_sample(), load_plan("data/plans/q4_spiff.yaml"), "2025-06-30", trials=400, rng=0
    )


def test_sample_accruals(sample_forecast):
    fc = sample_forecast
    table = accruals(fc).set_index("period")
    closed = table[table.status == "actual"]
    assert set(closed.index) == {"2025-Q1", "2025-Q2"} | {f"2025-{m:02d}" for m in range(1, 7)}
    assert np.allclose(closed["expected"], closed["earned_to_date"], rtol=0, atol=0.005)
    assert (closed["expected_low"] == closed["expected"]).all()
    # June's payroll runs on 15 July: June is owed, everything before it paid
    june = float(fc.paid_to_date[:, 5].sum())
    assert june > 0 and closed.loc["2025-06", "owed"] == pytest.approx(june, abs=0.005)
    assert (closed.drop(["2025-06", "2025-Q2"])["owed"] == 0).all()
    total = float(fc.paid_to_date.sum())
    assert table.loc["2025", "paid"] == pytest.approx(total - june, abs=0.005)
    year = table.loc["2025"]
    assert year.expected_low < year.expected < year.expected_high
    assert year.p10 < year.p50 < year.p90 and year.to_accrue > 0
    assert table.loc["2025-Q4", "expected"] > 0


def test_sample_contest_and_leaderboard(sample_forecast):
    fc = sample_forecast
    table = contest_standings(fc)
    assert set(table.contest) == {"analytics_contest"} and (table.state == "not begun").all()
    assert (table.unit == "USD").all()
    # three prizes of 20,000 in all are almost surely all given: the shares add up
    assert table.expected_prize.sum() == pytest.approx(20_000.0, rel=0.01)
    for k in (1, 2, 3):
        assert table[f"p_rank_{k}"].sum() == pytest.approx(1.0, abs=0.01)
    board = leaderboard(fc)
    assert len(board) == fc.n_reps and board.rank_p_quota.min() == 1
    assert board.p_quota.is_monotonic_decreasing


def test_sample_early_warnings(sample_forecast):
    book = load_sample()
    regions = dict(zip(book.reps.rep_id, book.reps.region, strict=True))
    table = early_warnings(sample_forecast, regions=regions)
    assert set(table.kind) <= {"at risk", "thin coverage", "cap binds", "gate fails", "decelerator"}
    assert (table[table.kind == "at risk"]["value"] < 0.3).all()
    # the default coverage rule names the reps clearly short, not half the team
    thin = table[(table.kind == "thin coverage") & (table.level == "rep")]
    assert 0 < len(thin) <= sample_forecast.n_reps // 4
    for _, rows in table.groupby(["kind", "level"]):
        assert rows["effect"].is_monotonic_decreasing
    assert table["message"].str.len().gt(40).all()
    assert table["currency"].eq("USD").all()


def test_cap_effect_equals_the_whole_plan_paid_twice():
    # a 0.6-weight quarterly component with a payout cap, in a plan with a gate and a
    # multiplier: the warning's money is the whole plan paid with and without the cap
    from spm_sim.comp import payout

    multi = load_plan("data/plans/ae_multi_measure.yaml")
    capped = multi.components[0].replace(payout_cap=1.2)
    plan = multi.replace(components=[capped, *multi.components[1:]])
    g = np.random.default_rng(5)
    act = _h1(150e3, 90e3, 60e3)
    rest = np.zeros((200, 3, 12))
    rest[:, :, 6:] = g.gamma(4.0, 0.25, (200, 3, 6)) * np.array([150e3, 90e3, 60e3])[None, :, None]
    share = 0.6
    fc = forecast_from_draws(
        plan,
        year=2025,
        as_of="2025-06-30",
        actual=act,
        draws=rest,
        quotas=np.full((3, 12), QUOTA / 12),
        target_incentive=np.full(3, TI),
        actual_measures={"platform": act * share, "new_logos": (act > 0) * 1.0},
        drawn_measures={"platform": rest * share, "new_logos": (rest > 0) * 1.0},
    )
    table = early_warnings(fc, bind_above=0.0)
    cap = table[table.figure.str.contains("payout cap")].set_index("who")
    assert set(cap.component) == {"bookings"}
    free = multi.replace(components=[capped.replace(payout_cap=None), *multi.components[1:]])
    both = [
        payout(p, fc.bookings, fc.quotas, fc.target_incentive, measures=fc.measures)
        for p in (plan, free)
    ]
    held = (both[1].total - both[0].total).mean(axis=0)
    assert cap.loc["R001", "effect"] == pytest.approx(held[0])
    assert cap.loc["R001", "effect"] > 0
    assert cap.loc["company", "effect"] == pytest.approx(held.sum())


def test_as_of_the_year_end_every_view_is_final():
    from spm_sim._track.forecast import forecast

    fc = forecast(load_sample(), load_plan("data/plans/q4_spiff.yaml"), "2025-12-31", trials=20)
    table = contest_standings(fc)
    assert (table.state == "final").all()
    probabilities = table.filter(regex=r"^p_(rank_\d|prize)$").to_numpy().ravel()
    assert set(probabilities) <= {0.0, 1.0}
    assert table.expected_prize.sum() == pytest.approx(20_000.0)
    assert (table.expected_prize == table.expected_prize_low).all()
    board = leaderboard(fc)
    assert set(board.p_quota.dropna()) <= {0.0, 1.0}
    assert np.allclose(board.attainment_p50, board.attainment_to_date)
    year = accruals(fc).set_index("period").loc["2025"]
    assert year.status == "actual"
    assert year.expected == pytest.approx(year.earned_to_date, abs=0.01)
    # December is paid in January: at the year end it is owed
    december = float(fc.paid_to_date[:, 11].sum())
    assert december > 0 and year.owed == pytest.approx(december, abs=0.01)
    assert year.to_accrue == pytest.approx(0.0, abs=0.01)


def test_per_rep_accruals_round_trip_and_compare(tmp_path):
    before = accruals_by_rep(example_forecast(as_of="2025-05-31", rng=1), by="all")
    now = accruals_by_rep(example_forecast(rng=2), by="all")
    back = read_accruals(save_accruals(before, tmp_path / "reps.csv"))
    pd.testing.assert_frame_equal(back, before, check_dtype=False)
    diff = compare_accruals(now, back)
    assert len(diff) == 3 * 17 and diff.columns[:2].tolist() == ["rep_id", "rep_name"]
    june = diff[(diff.rep_id == "R003") & (diff.period == "2025-06")].iloc[0]
    assert june.rep_name == "Cy Example" and june.earned_change == 10_000.0
    assert june.paid_change == 0.0  # on the July payroll


def test_every_view_counts_reaching_quota_the_same_way():
    # rep 0 lands a hair under its quota (as sums of cents can), rep 1 a cent short of
    # it, rep 2 well short: one rule for all (Forecast.made_quota)
    year = np.array([QUOTA * (1 - 1e-12), QUOTA - 0.01, QUOTA / 4])
    actual = _h1(*(year / 12))
    rest = np.zeros_like(actual)
    rest[:, 6:] = (year / 12)[:, None]
    fc = _fixed(standard_plan(), actual, rest)
    assert fc.made_quota.all(axis=0).tolist() == [True, False, False]
    assert fc.p_quota.tolist() == [1.0, 0.0, 0.0]
    board = leaderboard(fc).set_index("rep_id")
    assert board["p_quota"].tolist() == fc.p_quota.tolist()
    risky = early_warnings(fc, risk_below=0.5)
    at_risk = set(risky.loc[risky["kind"] == "at risk", "who"])
    assert at_risk == {fc.rep_ids[1], fc.rep_ids[2]}
