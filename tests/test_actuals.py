"""Actual payouts, statements, payroll, back-tests and credited measures, by hand.

The tiny book below is written as CSV (docs/data-format.md) and paid under a
3-tier marginal plan with a threshold and an attainment cap; every expected
number is worked out in the comments, not copied from the code's output.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spm_sim
from spm_sim.actuals import actual_payouts, backtest, statement
from spm_sim.book import (
    KINDS,
    cancellation_arrays,
    cancelled_values,
    credit_deals,
    measure_arrays,
    measure_values,
)
from spm_sim.comp import load_plan
from spm_sim.quota import Quotas, QuotaSettings, quotas_from_history

MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))
PLANS_DIR = Path(__file__).resolve().parents[1] / "data" / "plans"

# R1 and R2 carry quota for the whole year; R5 carries quota and leaves on 2025-07-01;
# R3 is hired during 2025 and R4 left before it: both have 2025 deals and no quota.
REPS = """rep_id,name,region,role,hire_date,term_date,base_salary,target_incentive
R1,Ann Lee,East,AE,2020-01-01,,90000,12000
R2,Bo Chen,East,AE,2020-01-01,,90000,6000
R3,Cy Diaz,East,AE,2025-06-01,,90000,6000
R4,Di Ekk,East,AE,2020-01-01,2024-12-15,90000,6000
R5,Ed Fox,East,AE,2020-01-01,2025-07-01,90000,7300
"""
ACCOUNTS = """account_id,name,lat,lon,segment,industry,potential,workload,rep_id
A1,Acme,41.9,-87.6,SMB,Retail,500000,40,R1
"""
# R1's 2025 deals: 20,000 + 45,000 + 55,000 + 30,000.40 + 80,000 + 5,000 = 235,000.40.
# The 2024 deals must not count in 2025.
BOOKINGS = """deal_id,date,account_id,rep_id,amount,product
D01,2024-12-31,A1,R1,99999.00,Core
D02,2024-06-30,A1,R2,1000.00,Core
D03,2025-01-15,A1,R1,20000.00,Core
D04,2025-03-10,A1,R1,45000.00,Core
D05,2025-06-03,A1,R1,55000.00,Core
D06,2025-09-20,A1,R1,30000.40,Core
D07,2025-11-05,A1,R1,80000.00,Core
D08,2025-12-01,A1,R1,5000.00,Core
D09,2025-07-01,A1,R3,10000.00,Core
D10,2025-08-01,A1,R3,2500.50,Core
D11,2025-01-05,A1,R4,3000.00,Core
"""


def three_tier_plan(*, attainment_cap=1.8, payout_cap=None, name="Three tiers"):
    """Nothing below 50%; 1.0x TCR to 100%, 1.5x to 150%, 2.0x above."""
    return load_plan(
        {
            "name": name,
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "threshold": 0.5,
                    "tiers": [
                        {"start": 0.0, "end": 1.0, "rate": 1.0},
                        {"start": 1.0, "end": 1.5, "rate": 1.5},
                        {"start": 1.5, "end": None, "rate": 2.0},
                    ],
                    "attainment_cap": attainment_cap,
                    "payout_cap": payout_cap,
                }
            ],
        }
    )


def load_quietly(folder):
    """Load a book whose deals outside employment are the point of the test.

    The loader warns about such deals (a PlausibilityWarning); here they are meant.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spm_sim.errors.PlausibilityWarning)
        return spm_sim.load_book(folder)


def write_book(folder, bookings=BOOKINGS):
    folder.mkdir()
    for name, text in [("reps", REPS), ("accounts", ACCOUNTS), ("bookings", bookings)]:
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return load_quietly(folder)


@pytest.fixture
def book(tmp_path):
    return write_book(tmp_path / "tiny")


@pytest.fixture
def quotas():
    # R1: 10,000 a month = 120,000 a year; with TI 12,000 the TCR is 0.10 exactly.
    values = np.array([[10_000.0] * 12, [5_000.0] * 12, [5_000.0] * 6 + [0.0] * 6])
    return Quotas(
        rep_ids=("R1", "R2", "R5"),
        periods=MONTHS,
        values=values,
        company_target=float(values.sum()),
        settings=QuotaSettings(),
        basis=pd.DataFrame(),
    )


@pytest.fixture
def actual(book, quotas):
    return actual_payouts(book, three_tier_plan(), 2025, quotas=quotas)


# R1 month by month under three_tier_plan (Q = 120,000, TCR = 0.10, cap 180% = 216,000):
#   Jan  20,000 to date = 16.7%: below the 50% threshold, nothing.
#   Mar  65,000 = 54.2%: tier 1 65,000 x 0.10 = 6,500.00 earned, paid 6,500.00
#   Jun 120,000 = 100% exactly: tier 1 12,000.00 (tier 2 starts above 100%), paid 5,500.00
#   Sep 150,000.40: tier 2 30,000.40 x 1.5 x 0.10 = 4,500.06, paid 4,500.06
#   Nov 230,000.40 = 191.7% > 180%: credited 216,000; tier 2 full 60,000 x 0.15 = 9,000.00,
#       tier 3 36,000 x 0.20 = 7,200.00; to date 28,200.00, paid 28,200 - 16,500.06 = 11,699.94
#   Dec 235,000.40: still capped, paid 0.
R1_PAID = [0, 0, 6500.00, 0, 0, 5500.00, 0, 0, 4500.06, 0, 11699.94, 0]


def test_monthly_payments_and_annual_total_by_hand(actual):
    pay = actual.payroll()
    r1 = pay[pay["rep_id"] == "R1"]
    assert r1["period"].tolist() == list(MONTHS)
    assert r1["amount"].tolist() == R1_PAID
    assert round(r1["amount"].sum(), 2) == 28_200.00
    assert actual.payout.by_component.shape == (3, 12, 1)  # leading shape (): one trial


def test_statement_rows_by_hand(actual):
    s = statement(actual, "R1")
    t = s.table
    got = list(
        zip(
            t["period"],
            t["line"],
            t["bookings_in_band"],
            t["earned_to_date"],
            t["paid"],
            strict=True,
        )
    )
    nan = float("nan")
    expected = [
        ("2025-01", "threshold", nan, 0.0, 0.0),
        ("2025-02", "threshold", nan, 0.0, 0.0),
        ("2025-03", "tier 1", 65_000.0, 6_500.00, 6_500.00),
        ("2025-04", "tier 1", 65_000.0, 6_500.00, 0.0),
        ("2025-05", "tier 1", 65_000.0, 6_500.00, 0.0),
        ("2025-06", "tier 1", 120_000.0, 12_000.00, 5_500.00),
        ("2025-07", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-08", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-09", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-09", "tier 2", 30_000.40, 4_500.06, 4_500.06),
        ("2025-10", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-10", "tier 2", 30_000.40, 4_500.06, 0.0),
        # Nov: tier 2 fills (9,000 - 4,500.06 = 4,499.94 more), tier 3 opens
        ("2025-11", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-11", "tier 2", 60_000.0, 9_000.00, 4_499.94),
        ("2025-11", "tier 3", 36_000.0, 7_200.00, 7_200.00),
        ("2025-11", "attainment cap", 14_000.40, 0.0, 0.0),  # 230,000.40 - 216,000
        ("2025-12", "tier 1", 120_000.0, 12_000.00, 0.0),
        ("2025-12", "tier 2", 60_000.0, 9_000.00, 0.0),
        ("2025-12", "tier 3", 36_000.0, 7_200.00, 0.0),
        ("2025-12", "attainment cap", 19_000.40, 0.0, 0.0),  # 235,000.40 - 216,000
    ]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[:2] == e[:2]
        assert g[2] == pytest.approx(e[2], abs=1e-6, nan_ok=True)
        assert g[3:] == e[3:], (g, e)
    assert "50.0%" in t.loc[0, "note"] and "16.7%" in t.loc[0, "note"]  # the reason


def test_statement_traces_to_the_annual_payout(actual):
    s = statement(actual, "R1")
    t, annual = s.table, actual.by_rep().set_index("rep_id").loc["R1", "payout"]
    assert annual == s.total == 28_200.00
    assert round(t["paid"].sum(), 2) == annual  # the payments add up to the year
    year_end = t[t["period"] == "2025-12"]
    assert round(year_end["earned_to_date"].sum(), 2) == annual  # and so do the tiers
    tiers = year_end[year_end["line"].str.startswith("tier")]
    tcr = 12_000 / 120_000
    for _, row in tiers.iterrows():  # every tier amount is rate x TCR x bookings in band
        assert row["earned_to_date"] == round(row["rate"] * tcr * row["bookings_in_band"], 2)
    assert tiers["rate"].tolist() == [1.0, 1.5, 2.0]
    assert tiers["rate_unit"].tolist() == ["x TCR"] * 3


def test_payout_cap_row_by_hand(book, quotas):
    # No attainment cap; payout capped at 2 x TI = 24,000.
    #   Nov: tiers 12,000 + 9,000 + (230,000.40 - 180,000) x 0.20 = 10,000.08 -> 31,000.08;
    #        cap row 24,000 - 31,000.08 = -7,000.08; paid 24,000 - 16,500.06 = 7,499.94
    #   Dec: tier 3 55,000.40 x 0.20 = 11,000.08 (+1,000.00), cap row -8,000.08 (-1,000.00)
    actual = actual_payouts(
        book, three_tier_plan(attainment_cap=None, payout_cap=2.0), 2025, quotas=quotas
    )
    t = statement(actual, "R1").table
    late = t[t["period"].isin(["2025-11", "2025-12"]) & (t["line"] != "tier 1")]
    got = list(zip(late["period"], late["line"], late["earned_to_date"], late["paid"], strict=True))
    assert got == [
        ("2025-11", "tier 2", 9_000.00, 4_499.94),
        ("2025-11", "tier 3", 10_000.08, 10_000.08),
        ("2025-11", "payout cap", -7_000.08, -7_000.08),
        ("2025-12", "tier 2", 9_000.00, 0.0),
        ("2025-12", "tier 3", 11_000.08, 1_000.00),
        ("2025-12", "payout cap", -8_000.08, -1_000.00),
    ]
    assert round(t.loc[t["period"] == "2025-11", "paid"].sum(), 2) == 7_499.94
    assert round(t["paid"].sum(), 2) == 24_000.00 == actual.by_rep()["payout"].iloc[0]


def test_cents_are_rounded_to_date_then_differenced(tmp_path):
    # Bookings-basis plan: 5% of bookings up to 100% of quota, 10% above; no threshold.
    plan = load_plan(
        {
            "name": "Cents",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "bookings",
                    "tiers": [
                        {"start": 0.0, "end": 1.0, "rate": 0.05},
                        {"start": 1.0, "rate": 0.10},
                    ],
                }
            ],
        }
    )
    deals = (
        BOOKINGS.splitlines()[0]
        + "\n"
        + "".join(
            f"E{k},{day},A1,{rep},{amount},Core\n"
            for k, (day, rep, amount) in enumerate(
                [
                    ("2025-01-10", "R1", "10.07"),
                    ("2025-02-10", "R1", "10.07"),
                    ("2025-03-10", "R1", "10.07"),
                    ("2025-01-20", "R2", "110.11"),
                ]
            )
        )
    )
    book = write_book(tmp_path / "cents", deals)
    values = np.zeros((2, 12))
    values[0] = 10_000.0
    values[1, 0] = 100.07  # R2: annual quota 100.07, all in January
    quotas = Quotas(
        ("R1", "R2"), MONTHS, values, float(values.sum()), QuotaSettings(), pd.DataFrame()
    )
    # the book ends with its last deal on 2025-03-10: April..December are said to have no data
    with pytest.warns(spm_sim.errors.PlausibilityWarning, match=r"2025-04\.\.2025-12"):
        actual = actual_payouts(book, plan, 2025, quotas=quotas)
    # R1 earns 5% of 10.07 = 0.5035 a month: to date 0.5035, 1.0070, 1.5105, rounded
    # 0.50, 1.01, 1.51, so the payments are 0.50, 0.51, 0.50 (rounding each payment
    # on its own would pay 0.50 x 3 = 1.50 and lose a cent).
    pay = actual.payroll()
    assert pay.loc[pay["rep_id"] == "R1", "amount"].tolist()[:4] == [0.50, 0.51, 0.50, 0.0]
    # R2: tier 1 = 5% x 100.07 = 5.0035 -> 5.00; tier 2 = 10% x 10.04 = 1.004 -> 1.00;
    # the total 6.0075 -> 6.01, so a rounding line of +0.01 makes the tiers add up.
    t = statement(actual, "R2").table
    jan = t[t["period"] == "2025-01"]
    assert list(zip(jan["line"], jan["earned_to_date"], jan["paid"], strict=True)) == [
        ("tier 1", 5.00, 5.00),
        ("tier 2", 1.00, 1.00),
        ("rounding", 0.01, 0.01),
    ]
    assert jan["bookings_in_band"].iloc[1] == pytest.approx(10.04)
    assert jan["rate_unit"].tolist() == ["of bookings", "of bookings", ""]
    assert round(t["paid"].sum(), 2) == 6.01 == actual.by_rep()["payout"].iloc[1]


def test_by_rep_and_zero_and_prorated_reps(actual):
    df = actual.by_rep().set_index("rep_id")
    assert df.index.tolist() == ["R1", "R2", "R5"]
    r1 = df.loc["R1"]
    assert (r1["quota"], r1["bookings"]) == (120_000.0, pytest.approx(235_000.40))
    assert r1["attainment"] == pytest.approx(235_000.40 / 120_000)
    assert (r1["payout_bookings"], r1["payout"]) == (28_200.00, 28_200.00)
    assert r1["payout_to_ti"] == pytest.approx(28_200 / 12_000)  # 2.35
    # R2 has quota and no deals: zeros everywhere, and the statement says why
    assert df.loc["R2", ["bookings", "payout"]].tolist() == [0.0, 0.0]
    t2 = statement(actual, "R2").table
    assert set(t2["line"]) == {"threshold"} and t2["paid"].sum() == 0
    # R5 worked 2025-01-01 to 2025-07-01 inclusive: 182 of 365 days, TI 7,300 x 182/365
    assert df.loc["R5", "target_incentive"] == pytest.approx(3_640.00)


def test_payroll_frame_and_csv(actual, tmp_path):
    pay = actual.payroll()
    assert pay.columns.tolist() == ["rep_id", "period", "component", "amount", "currency"]
    assert len(pay) == 3 * 12 * 1
    assert pay.attrs == {"plan": "Three tiers", "year": 2025, "currency": "USD"}
    path = actual.to_payroll_csv(tmp_path / "payroll.csv")
    back = pd.read_csv(path, dtype={"period": str})
    assert back.columns.tolist() == pay.columns.tolist()
    sums = back.groupby("rep_id")["amount"].sum().round(2).to_dict()
    assert sums == {"R1": 28_200.00, "R2": 0.0, "R5": 0.0}
    assert "4500.06" in path.read_text() and "11699.94" in path.read_text()


def test_deals_of_reps_without_quota_are_listed_not_dropped(actual):
    u = actual.unassigned
    assert u["rep_id"].tolist() == ["R3", "R4"]
    assert u["deals"].tolist() == [2, 1]
    assert u["amount"].tolist() == [pytest.approx(12_500.50), 3_000.00]
    assert "hired 2025-06-01, during 2025" in u.loc[0, "reason"]
    assert "left 2024-12-15, before 2025" in u.loc[1, "reason"]
    assert set(actual.payroll()["rep_id"]) == {"R1", "R2", "R5"}
    with pytest.raises(
        spm_sim.DataError,
        match=r"'R3' has no quota in 2025 .*listed with the reason in ActualPayouts\.unpaid\(\)",
    ):
        statement(actual, "R3")


def test_unknown_rep_names_close_matches(actual):
    with pytest.raises(spm_sim.DataError, match=r"rep 'R1 ' has no quota.*Did you mean 'R1'\?"):
        statement(actual, "R1 ")


def test_year_without_bookings(book, quotas):
    with pytest.raises(spm_sim.DataError, match=r"no bookings in 2023.*: 2024, 2025"):
        actual_payouts(book, three_tier_plan(), 2023, quotas=quotas)
    with pytest.raises(spm_sim.DataError, match="no bookings in 2023"):
        backtest(book, three_tier_plan(), three_tier_plan(), 2023)


def test_quotas_must_be_the_years_months(book, quotas):
    with pytest.raises(spm_sim.DataError, match=r"twelve months 2024-01\.\.2024-12"):
        actual_payouts(book, three_tier_plan(), 2024, quotas=quotas)
    with pytest.raises(ValueError, match="not both"):
        actual_payouts(book, three_tier_plan(), 2025, quotas=quotas, quota_settings=QuotaSettings())


def test_text_and_html(book, quotas):
    plan = three_tier_plan(name="<b>Plan & co</b>")
    s = statement(actual_payouts(book, plan, 2025, quotas=quotas), "R1")
    assert s.text.splitlines()[0] == "Incentive statement for R1 (Ann Lee), 2025"
    assert "TCR = 1 x $12,000.00 / $120,000.00 = 10.0000% of bookings" in s.text
    assert "Total paid in 2025: $28,200.00" in s.text
    assert "<b>" not in s.html and "&lt;b&gt;Plan &amp; co&lt;/b&gt;" in s.html


# ------------------------------------------------------------------ the sample book


@pytest.fixture(scope="module")
def sample_bt():
    return backtest(
        spm_sim.load_sample(),
        "data/plans/baseline.yaml",
        "data/plans/accelerated.yaml",
        2025,
    )


def _by_formula(att, ti, plan):
    """The two sample plans written out as formulas, independent of the kernel."""
    if plan == "baseline":  # >= 50%; 1.0 / 1.5 / 2.0 x TCR at 0 / 100% / 150%; cap 300%
        a = np.minimum(att, 3.0)
        units = np.minimum(a, 1) + 1.5 * np.clip(a - 1, 0, 0.5) + 2.0 * np.maximum(a - 1.5, 0)
        return np.where(att >= 0.5, units * ti, 0.0)
    # accelerated: >= 60%; 0.8 / 1.2 / 2.5 x TCR at 0 / 50% / 100%; at most 3 x TI
    units = 0.8 * np.minimum(att, 0.5) + 1.2 * np.clip(att - 0.5, 0, 0.5)
    units = units + 2.5 * np.maximum(att - 1, 0)
    return np.where(att >= 0.6, np.minimum(units, 3.0) * ti, 0.0)


def test_backtest_on_the_sample(sample_bt):
    s, reps = sample_bt.summary, sample_bt.reps
    assert s.index.tolist() == ["A", "B", "B - A"]
    assert s.loc["A", "plan"] == "Baseline 2026 AE plan"
    # totals are the sums of the per-rep payouts, to the cent
    assert s.loc["A", "total_incentive"] == round(reps["payout_a"].sum(), 2)
    assert s.loc["B", "total_incentive"] == round(reps["payout_b"].sum(), 2)
    assert s.loc["B - A", "total_incentive"] == pytest.approx(reps["difference"].sum(), abs=0.01)
    # sorted from the biggest loser to the biggest gainer
    assert reps["difference"].is_monotonic_increasing
    assert reps["difference"].iloc[0] < 0 < reps["difference"].iloc[-1]
    assert np.allclose(reps["difference"], reps["payout_b"] - reps["payout_a"], atol=0.005)
    # cost of sales = incentive / credited bookings
    assert s.loc["A", "bookings"] == pytest.approx(reps["bookings"].sum())
    for k in ("A", "B"):
        assert s.loc[k, "cost_of_sales"] == pytest.approx(
            s.loc[k, "total_incentive"] / s.loc[k, "bookings"]
        )
    att = reps["attainment"].to_numpy()
    assert s.loc["A", "share_at_quota"] == pytest.approx(np.mean(att >= 1.0))
    assert s.loc["A", "attainment_p50"] == pytest.approx(np.median(att))
    # per-rep payouts match the plans written out as formulas
    ti = pd.Series(sample_bt.a.target_incentive, index=sample_bt.a.rep_ids)[reps["rep_id"]]
    for col, plan in [("payout_a", "baseline"), ("payout_b", "accelerated")]:
        expected = _by_formula(att, ti.to_numpy(), plan)
        assert np.abs(reps[col].to_numpy() - expected).max() < 0.006


def test_backtest_text_names_losers_and_gainers_only_when_pay_changes(sample_bt):
    text = sample_bt.text
    losers = re.search(r"Biggest losers under B: (.*)", text).group(1)
    assert all(item.split()[1].startswith("-") for item in losers.split(", "))
    same = backtest(
        spm_sim.load_sample(), "data/plans/baseline.yaml", "data/plans/baseline.yaml", 2025
    )
    assert "No rep's pay changes under B" in same.text
    assert "Biggest losers" not in same.text


def test_backtest_of_the_sample_credits_every_deal(sample_bt):
    # the reps hired during 2025 carry quota now: no deal of 2025 is left out
    book = spm_sim.load_sample()
    year = book.bookings[book.bookings["date"].dt.year == 2025]
    assert sample_bt.a.unassigned.empty and sample_bt.b.unassigned.empty
    assert sample_bt.a.bookings.sum() == pytest.approx(year["amount"].sum())
    text = sample_bt.text
    assert "Not paid" not in text
    assert "Biggest losers under B: " + sample_bt.reps["rep_id"].iloc[0] in text


def test_sample_hires_of_2025_carry_quota_from_their_hire_month():
    book = spm_sim.load_sample()
    reps = book.reps.set_index("rep_id")
    first = pd.Timestamp("2025-01-01")
    hires = sorted(reps.index[(reps["hire_date"] > first) & (reps["hire_date"].dt.year == 2025)])
    assert hires == ["R082", "R083", "R084", "R085"]
    actual = actual_payouts(book, "data/plans/baseline.yaml", 2025)
    on_jan1 = ((reps["hire_date"] <= first) & ~(reps["term_date"] < first)).sum()
    assert len(actual.rep_ids) == on_jan1 + len(hires) == 81
    for r in hires:
        i, hired = actual.rep_ids.index(r), reps.loc[r, "hire_date"]
        q = actual.quotas[i]
        assert np.all(q[: hired.month - 1] == 0) and np.all(q[hired.month - 1 :] > 0)
        # TI prorated by the days employed in 2025 (hire date inclusive)
        days = (pd.Timestamp("2025-12-31") - hired).days + 1
        assert actual.target_incentive[i] == pytest.approx(
            reps.loc[r, "target_incentive"] * days / 365
        )
        deals = book.bookings[(book.bookings["rep_id"] == r)]
        assert actual.bookings[i].sum() == pytest.approx(deals["amount"].sum())


def test_backtest_text_lists_what_no_plan_pays(book, quotas):
    # explicit quotas without R3 (hired 2025-06-01): their deals are listed, as are R4's
    bt = backtest(book, three_tier_plan(), three_tier_plan(name="B"), 2025, quotas=quotas)
    assert bt.a.unassigned["rep_id"].tolist() == ["R3", "R4"]
    line = bt.text.splitlines()[-1]
    # 2 + 1 deals; 12,500.50 + 3,000.00 = 15,500.50
    assert line == (
        "Not paid by either plan: 3 deals worth $15.5k by 2 reps: R3 (hired 2025-06-01, "
        "during 2025; not in the quotas for 2025), R4 (left 2024-12-15, before 2025)"
    )
    with pytest.raises(ValueError, match="not both"):
        backtest(
            book,
            three_tier_plan(),
            three_tier_plan(),
            2025,
            quotas=quotas,
            quota_settings=QuotaSettings(),
        )


def test_every_sample_statement_reconciles(sample_bt):
    for actual in (sample_bt.a, sample_bt.b):
        payouts = actual.by_rep().set_index("rep_id")["payout"]
        for rep_id in actual.rep_ids:
            s = statement(actual, rep_id)
            assert s.total == payouts[rep_id]
            assert round(s.table["paid"].sum(), 2) == s.total
            last = s.table[s.table["period"] == "2025-12"]
            assert round(last["earned_to_date"].sum(), 2) == s.total


def test_default_quotas_see_only_history_before_the_year():
    book = spm_sim.load_sample()
    actual = actual_payouts(book, "data/plans/baseline.yaml", 2025)
    q = quotas_from_history(book, plan_year=2025, settings=QuotaSettings(growth=0.0))
    assert actual.rep_ids == q.rep_ids
    np.testing.assert_array_equal(actual.quotas, q.values)


def test_deals_outside_employment_or_without_quota_are_listed_not_paid(tmp_path):
    import shutil

    from spm_sim import load_sample
    from spm_sim.book import SAMPLE_DIR

    book_dir = tmp_path / "book"
    shutil.copytree(SAMPLE_DIR, book_dir)
    deals = pd.read_csv(book_dir / "bookings.csv", dtype=str, keep_default_na=False)
    reps = pd.read_csv(book_dir / "reps.csv", dtype=str, keep_default_na=False)
    # R069 left on 2025-09-25: move one of their 2025 deals to after that day
    r069 = deals.index[(deals["rep_id"] == "R069") & deals["date"].str.startswith("2025")][0]
    deals.loc[r069, ["date", "amount"]] = ["2025-11-15", "500000.00"]
    deals.to_csv(book_dir / "bookings.csv", index=False)
    assert reps.loc[reps["rep_id"] == "R069", "term_date"].item() == "2025-09-25"
    book = load_quietly(book_dir)
    plan = load_plan(SAMPLE_DIR.parents[0] / "plans" / "baseline.yaml")
    before = actual_payouts(load_sample(), plan, 2025)
    after = actual_payouts(book, plan, 2025)
    u = after.unassigned.set_index("rep_id")
    assert u.loc["R069", "deals"] == 1 and u.loc["R069", "amount"] == 500_000.0
    assert (
        u.loc["R069", "reason"] == "booked outside employment (hired 2021-06-04, left 2025-09-25)"
    )
    i = after.rep_ids.index("R069")
    # the moved deal is no longer credited; nothing is paid for it in November
    assert after.bookings[i, 10] == 0.0
    assert after.payroll().query("rep_id == 'R069' and period == '2025-11'")["amount"].sum() == 0.0
    # a rep given a zero quota: their deals are listed with the reason
    q = before.quotas.copy()
    j = before.rep_ids.index("R001")
    q[j] = 0.0
    zero = Quotas(
        rep_ids=before.rep_ids,
        periods=before.periods,
        values=q,
        company_target=1.0,
        settings=QuotaSettings(),
        basis=pd.DataFrame(),
    )
    z = actual_payouts(load_sample(), plan, 2025, quotas=zero).unassigned.set_index("rep_id")
    assert z.loc["R001", "reason"] == "quota is 0 in 2025: nothing to measure"
    assert z.loc["R001", "amount"] == pytest.approx(before.bookings[j].sum())


def test_sample_with_quotas_of_january_reps_lists_the_hires():
    # the quotas the simulation uses (reps employed on 1 January) leave the 2025
    # hires out: their deals are listed with the reason, counted from the file
    book = spm_sim.load_sample()
    reps = book.reps.set_index("rep_id")
    first = pd.Timestamp("2025-01-01")
    jan1 = [r for r in sorted(reps.index) if reps.loc[r, "hire_date"] <= first]
    jan1 = [r for r in jan1 if not reps.loc[r, "term_date"] < first]
    q = quotas_from_history(book, plan_year=2025, settings=QuotaSettings(growth=0.0), rep_ids=jan1)
    u = actual_payouts(book, "data/plans/baseline.yaml", 2025, quotas=q).unassigned
    deals = book.bookings[book.bookings["date"].dt.year == 2025]
    hired = deals[~deals["rep_id"].isin(jan1)]
    assert u["rep_id"].tolist() == ["R082", "R083", "R084", "R085"]
    assert u["deals"].sum() == len(hired) == 92
    assert u["amount"].sum() == pytest.approx(hired["amount"].sum())
    assert u["reason"].iloc[0] == "hired 2025-01-03, during 2025; not in the quotas for 2025"


def test_mid_year_hire_and_leaver_on_default_quotas(tmp_path):
    from synthetic import write_book as write_synthetic

    hire = {r: "2019-06-01" for r in ("R1", "R2", "R3", "R4", "R5")} | {"R6": "2025-04-16"}
    folder = write_synthetic(tmp_path / "syn", hire=hire, term={"R2": "2025-08-15"})
    book = spm_sim.load_book(folder)
    actual = actual_payouts(book, three_tier_plan(), 2025)
    assert actual.rep_ids == ("R1", "R2", "R3", "R4", "R5", "R6")
    assert actual.unassigned.empty  # R6's deals were listed, not paid, before
    deals = book.bookings[book.bookings["date"].dt.year == 2025]
    by_rep = deals.groupby("rep_id")["amount"].sum()
    np.testing.assert_allclose(actual.bookings.sum(axis=1), by_rep[list(actual.rep_ids)])
    ti = dict(zip(actual.rep_ids, actual.target_incentive, strict=True))
    # R6: 16-30 April (15 days) + May..December (245) = 260 of 365 days
    assert ti["R6"] == pytest.approx(60_000 * 260 / 365)
    # R2: January..July (212 days) + 1-15 August = 227 of 365 days
    assert ti["R2"] == pytest.approx(60_000 * 227 / 365)
    q = dict(zip(actual.rep_ids, actual.quotas, strict=True))
    assert np.all(q["R6"][:3] == 0) and np.all(q["R6"][3:] > 0)
    assert np.all(q["R2"][8:] == 0) and np.all(q["R2"][:8] > 0)


# ------------------------------------------------------------------ credited measures
#
# R1 carries quota all year; R2 is hired 2025-03-01 and leaves 2025-10-31; R3 has
# deals and no quota; R4, hired in 2026, has a deal dated 2025. Products Core and
# Add-on; accounts A1..A4.
#   D01 2024-11-05 A1 R1  5000 Core                           A1's first deal (2024)
#   D02 2025-01-15 A1 R1  1000 Core
#   D03 2025-01-20 A2 R1  2000 Add-on  cancelled 2025-02-10   A2's first deal; 21 days
#   D04 2025-03-03 A3 R2  3000 Core                           A3's first (tie: D04 < D05)
#   D05 2025-03-03 A3 R2  4000 Add-on
#   D06 2025-04-01 A4 R1   500 Core    cancelled 2025-07-15   A4's first deal; 105 days
#   D07 2025-11-20 A2 R2   700 Core                           after R2's term date
#   D08 2025-12-01 A1 R1   800 Core    cancelled 2026-01-10   cancelled the next year
#   D09 2025-06-06 A4 R3   900 Core                           R3 has no quota
#   D10 2025-02-02 A1 R2   100 Core                           before R2's hire date
#   D11 2025-05-09 A3 R1   250 Core    cancelled 2025-05-09   cancelled the same day
#   D12 2025-07-07 A1 R4    50 Core                           R4 is hired in 2026
MREPS = """rep_id,name,region,role,hire_date,term_date,base_salary,target_incentive
R1,Ann Lee,East,AE,2020-01-01,,90000,12000
R2,Bo Chen,East,AE,2025-03-01,2025-10-31,90000,6000
R3,Cy Diaz,East,AE,2019-01-01,,90000,6000
R4,Di Ekk,East,AE,2026-02-01,,90000,6000
"""
MACCOUNTS = "account_id,name,lat,lon,segment,industry,potential,workload,rep_id\n" + "".join(
    f"A{i},Acct {i},41.9,-87.6,SMB,Retail,500000,40,R1\n" for i in range(1, 5)
)
MBOOKINGS = """deal_id,date,account_id,rep_id,amount,product,cancelled_date
D01,2024-11-05,A1,R1,5000,Core,
D02,2025-01-15,A1,R1,1000,Core,
D03,2025-01-20,A2,R1,2000,Add-on,2025-02-10
D04,2025-03-03,A3,R2,3000,Core,
D05,2025-03-03,A3,R2,4000,Add-on,
D06,2025-04-01,A4,R1,500,Core,2025-07-15
D07,2025-11-20,A2,R2,700,Core,
D08,2025-12-01,A1,R1,800,Core,2026-01-10
D09,2025-06-06,A4,R3,900,Core,
D10,2025-02-02,A1,R2,100,Core,
D11,2025-05-09,A3,R1,250,Core,2025-05-09
D12,2025-07-07,A1,R4,50,Core,
"""


def _row(**months):
    """A (12,) array with values in the named months (jan, feb, ...)."""
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    out = np.zeros(12)
    for k, v in months.items():
        out[names.index(k)] = v
    return out


@pytest.fixture
def mbook(tmp_path):
    folder = tmp_path / "measures"
    folder.mkdir()
    for name, text in [("reps", MREPS), ("accounts", MACCOUNTS), ("bookings", MBOOKINGS)]:
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return load_quietly(folder)


@pytest.fixture
def credited(mbook):
    return credit_deals(mbook, 2025, ["R1", "R2"])


def test_crediting_rule_by_hand(credited):
    assert credited.deals["deal_id"].tolist() == ["D02", "D03", "D04", "D05", "D06", "D11", "D08"]
    assert credited.products == ("Add-on", "Core")
    u = credited.unassigned
    assert u["rep_id"].tolist() == ["R3", "R4", "R2"]
    assert u["deals"].tolist() == [1, 1, 2]
    assert u["amount"].tolist() == [900.0, 50.0, 800.0]  # D09; D12; D07 + D10
    assert u["reason"].tolist() == [
        "not in the quotas for 2025",
        "hired 2026-02-01, after 2025: booked before being hired",
        "booked outside employment (hired 2025-03-01, left 2025-10-31)",
    ]


def test_zero_quota_lists_the_reps_deals(mbook):
    c = credit_deals(mbook, 2025, ["R1", "R2"], annual_quota=[1.0, 0.0])
    assert set(c.deals["rep_id"]) == {"R1"}
    u = c.unassigned.set_index("reason")
    assert u.loc["quota is 0 in 2025: nothing to measure", "amount"] == 7000.0  # D04 + D05
    assert u.loc["quota is 0 in 2025: nothing to measure", "deals"] == 2
    # the rule's order: outside employment comes first, whatever the quota
    assert u.loc["booked outside employment (hired 2025-03-01, left 2025-10-31)", "deals"] == 2


def test_measures_by_hand(credited):
    bookings = measure_values(credited, kind="bookings")
    np.testing.assert_array_equal(bookings[0], _row(jan=3000, apr=500, may=250, dec=800))
    np.testing.assert_array_equal(bookings[1], _row(mar=7000))
    deals = measure_values(credited, kind="deals")
    np.testing.assert_array_equal(deals[0], _row(jan=2, apr=1, may=1, dec=1))
    np.testing.assert_array_equal(deals[1], _row(mar=2))
    # first deals of their account in the whole book: D03 (A2), D04 (A3, tie with
    # D05 broken by deal_id), D06 (A4); A1's first deal was in 2024
    logos = measure_values(credited, kind="new_logos")
    np.testing.assert_array_equal(logos[0], _row(jan=1, apr=1))
    np.testing.assert_array_equal(logos[1], _row(mar=1))
    addon = measure_values(credited, kind="bookings", product="Add-on")
    np.testing.assert_array_equal(addon, [_row(jan=2000), _row(mar=4000)])
    # accounts whose first deal was an Add-on: A2 only
    np.testing.assert_array_equal(
        measure_values(credited, kind="new_logos", product="Add-on"), [_row(jan=1), _row()]
    )


def test_new_logo_is_the_earliest_deal_whatever_the_row_order(mbook, tmp_path):
    folder = tmp_path / "shuffled"
    folder.mkdir()
    lines = MBOOKINGS.splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    for name, text in [("reps", MREPS), ("accounts", MACCOUNTS), ("bookings", shuffled)]:
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    again = credit_deals(load_quietly(folder), 2025, ["R1", "R2"])
    for kind in KINDS:
        np.testing.assert_array_equal(
            measure_values(again, kind=kind),
            measure_values(credit_deals(mbook, 2025, ["R1", "R2"]), kind=kind),
        )


def test_cancellations_by_hand(credited):
    # D03 cancelled after 21 days, D11 after 0, D06 after 105; D08 in 2026
    back = cancelled_values(credited, kind="bookings", window_days=90)
    np.testing.assert_array_equal(back, [_row(feb=2000, may=250), _row()])
    np.testing.assert_array_equal(
        cancelled_values(credited, kind="deals", window_days=90), [_row(feb=1, may=1), _row()]
    )
    np.testing.assert_array_equal(
        cancelled_values(credited, kind="new_logos", window_days=90), [_row(feb=1), _row()]
    )
    # the window is inclusive: 105 days takes D06 back in July, 104 does not
    assert cancelled_values(credited, window_days=105)[0, 6] == 500.0
    assert cancelled_values(credited, window_days=104)[0, 6] == 0.0
    np.testing.assert_array_equal(
        cancelled_values(credited, window_days=0), [_row(may=250), _row()]
    )
    np.testing.assert_array_equal(
        cancelled_values(credited, window_days=20), [_row(may=250), _row()]
    )
    np.testing.assert_array_equal(
        cancelled_values(credited, product="Add-on", window_days=21), [_row(feb=2000), _row()]
    )
    # D08 (cancelled 40 days later, in 2026) is not taken back in 2025
    assert cancelled_values(credited, window_days=365)[0, 11] == 0.0
    assert cancelled_values(credited, window_days=365).sum() == 2000 + 250 + 500


def test_deals_of_a_year_are_credited_or_listed_exactly_once():
    book = spm_sim.load_sample()
    reps = sorted(book.reps["rep_id"])[::2]  # every other rep
    c = credit_deals(book, 2024, reps)
    year = book.bookings[book.bookings["date"].dt.year == 2024]
    assert len(c.deals) + c.unassigned["deals"].sum() == len(year)
    assert c.deals["deal_id"].is_unique
    total = measure_values(c, kind="bookings").sum() + c.unassigned["amount"].sum()
    assert total == pytest.approx(year["amount"].sum())
    parts = sum(measure_values(c, kind="deals", product=p) for p in c.products)
    np.testing.assert_array_equal(parts, measure_values(c, kind="deals"))
    # the sample has no cancelled_date column: nothing to take back
    assert not cancelled_values(c, window_days=365).any()


def test_without_a_cancelled_date_column_nothing_is_taken_back(mbook):
    import dataclasses

    bare = dataclasses.replace(mbook, bookings=mbook.bookings.drop(columns="cancelled_date"))
    c = credit_deals(bare, 2025, ["R1", "R2"])
    assert not cancelled_values(c, window_days=90).any()
    assert measure_values(c).sum() == 3000 + 500 + 250 + 800 + 7000


def test_actual_payouts_credit_by_the_same_rule(mbook):
    values = np.full((2, 12), 1000.0)
    q = Quotas(("R1", "R2"), MONTHS, values, float(values.sum()), QuotaSettings(), pd.DataFrame())
    actual = actual_payouts(mbook, three_tier_plan(), 2025, quotas=q)
    c = credit_deals(mbook, 2025, ["R1", "R2"])
    np.testing.assert_array_equal(actual.bookings, measure_values(c))
    pd.testing.assert_frame_equal(actual.unassigned, c.unassigned)


def test_measures_and_cancellations_by_name(credited):
    defs = [("bookings", "bookings", None), ("addon_deals", "deals", "Add-on")]
    m = measure_arrays(credited, defs)
    assert list(m) == ["bookings", "addon_deals"]
    np.testing.assert_array_equal(m["addon_deals"], [_row(jan=1), _row(mar=1)])
    back = cancellation_arrays(credited, defs, window_days={"bookings": 0, "addon_deals": 30})
    np.testing.assert_array_equal(back["bookings"], [_row(may=250), _row()])
    np.testing.assert_array_equal(back["addon_deals"], [_row(feb=1), _row()])

    class Measure:  # anything with name, kind and product, like a plan's measures
        def __init__(self, name, kind, product=None):
            self.name, self.kind, self.product = name, kind, product

    logos = measure_arrays(credited, [Measure("logos", "new_logos")])
    np.testing.assert_array_equal(logos["logos"], measure_values(credited, kind="new_logos"))
    with pytest.raises(ValueError, match=r"measure 'x' is defined twice"):
        measure_arrays(credited, [("x", "deals", None), ("x", "bookings", None)])
    with pytest.raises(ValueError, match=r"window_days has no window for measure 'addon_deals'"):
        cancellation_arrays(credited, defs, window_days={"bookings": 30})
    with pytest.raises(TypeError, match=r"\(name, kind, product\)"):
        measure_arrays(credited, ["bookings"])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"kind": "deal"},
            ValueError,
            r"kind must be one of .*got 'deal'\. Did you mean 'deals'\?",
        ),
        ({"kind": "score"}, ValueError, r"kind 'score' is not counted from deals"),
        (
            {"product": "Addon"},
            spm_sim.DataError,
            r"product 'Addon' is not a product of the book's bookings \(it has: 'Add-on', "
            r"'Core'\)\. Did you mean 'Add-on'\?",
        ),
    ],
)
def test_measure_errors(credited, kwargs, error, message):
    with pytest.raises(error, match=message):
        measure_values(credited, **kwargs)
    with pytest.raises(error, match=message):
        cancelled_values(credited, window_days=30, **kwargs)


@pytest.mark.parametrize(
    ("window", "error", "message"),
    [
        (-1, ValueError, r"window_days must be >= 0 \(days after booking\); got -1"),
        (30.5, TypeError, r"window_days must be a whole number of days such as 90; got 30\.5"),
        (True, TypeError, r"got True"),
    ],
)
def test_window_errors(credited, window, error, message):
    with pytest.raises(error, match=message):
        cancelled_values(credited, window_days=window)


def test_credit_deals_errors(mbook):
    with pytest.raises(spm_sim.DataError, match=r"rep 'R01' is not in the book's reps.*'R1'"):
        credit_deals(mbook, 2025, ["R01"])
    with pytest.raises(ValueError, match=r"rep_ids names rep 'R1' twice"):
        credit_deals(mbook, 2025, ["R1", "R2", "R1"])
    with pytest.raises(ValueError, match=r"one finite number per rep \(2\); got .* shape \(3,\)"):
        credit_deals(mbook, 2025, ["R1", "R2"], annual_quota=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"with NaN or infinite values"):
        credit_deals(mbook, 2025, ["R1", "R2"], annual_quota=[1.0, np.nan])
    with pytest.raises(TypeError, match=r"year must be an int such as 2025; got '2025'"):
        credit_deals(mbook, "2025", ["R1"])


def test_actual_payouts_refuse_quotas_that_are_not_finite(book, quotas):
    bad = quotas.values.copy()
    bad[1, 4] = np.nan
    q = Quotas(quotas.rep_ids, MONTHS, bad, 1.0, QuotaSettings(), pd.DataFrame())
    with pytest.raises(
        spm_sim.DataError, match=r"the quota of rep 'R2' for 2025-05 is nan; every quota must be"
    ):
        actual_payouts(book, three_tier_plan(), 2025, quotas=q)


def _mquotas(values=1000.0):
    v = np.full((2, 12), values)
    return Quotas(("R1", "R2"), MONTHS, v, float(v.sum()), QuotaSettings(), pd.DataFrame())


def _flat(rate, **extra):
    comp = {
        "name": "bookings",
        "weight": 1.0,
        "rate_basis": "bookings",
        "tiers": [{"start": 0, "rate": rate}],
    }
    return load_plan({"name": "Flat", "components": [comp], **extra})


def test_clawback_of_cancelled_deals_by_hand(mbook):
    # 10% of every dollar; deals cancelled within 90 days are taken back. R1:
    #   Jan: D02 1,000 + D03 2,000 booked: paid 300.00
    #   Feb: D03 cancelled after 21 days: clawback -200.00
    #   Apr: D06 500: paid 50.00 (its cancellation after 105 days is outside the window)
    #   May: D11 250 booked and cancelled the same day: paid 25.00, clawed back -25.00
    #   Dec: D08 800: paid 80.00 (cancelled in 2026: not in this year)
    actual = actual_payouts(
        mbook, _flat(0.10, clawback={"window_days": 90}), 2025, quotas=_mquotas()
    )
    assert actual.payout.components == ("bookings", "clawback")
    paid = actual.paid_cents()[0] / 100
    np.testing.assert_array_equal(paid[:, 0], _row(jan=300, apr=50, may=25, dec=80))
    np.testing.assert_array_equal(paid[:, 1], _row(feb=-200, may=-25))
    assert actual.by_rep()["payout"].iloc[0] == 230.00  # 10% of the 2,300 that stayed
    # without the rule, the cancelled deals stay paid: 10% of 4,550
    plain = actual_payouts(mbook, _flat(0.10), 2025, quotas=_mquotas())
    assert plain.by_rep()["payout"].iloc[0] == 455.00
    assert plain.cancellations == {}


def test_multi_measure_plan_on_real_deals_by_hand(mbook):
    plan = load_plan(
        {
            "name": "Two measures",
            "measures": [{"name": "logos", "kind": "new_logos", "quota_per_rep": 2}],
            "components": [
                {
                    "name": "bookings",
                    "weight": 0.5,
                    "rate_basis": "tcr",
                    "tiers": [{"start": 0, "rate": 1}],
                },
                {
                    "name": "logos",
                    "measure": "logos",
                    "weight": 0.5,
                    "rate_basis": "tcr",
                    "tiers": [{"start": 0, "rate": 1}],
                },
            ],
        }
    )
    actual = actual_payouts(mbook, plan, 2025, quotas=_mquotas())
    # R1: TI 12,000, quota 12,000; bookings 4,550 -> 0.5 x 12,000 x 4,550/12,000 = 2,275.00
    # new logos: D03 (A2) and D06 (A4) = 2 of a quota of 2 -> 0.5 x 12,000 = 6,000.00
    np.testing.assert_array_equal(actual.measures["logos"][0], _row(jan=1, apr=1))
    r1 = actual.by_rep().iloc[0]
    assert (r1["payout_bookings"], r1["payout_logos"]) == (2275.00, 6000.00)


def _mbo_plan():
    """80% on bookings at 1x TCR, 20% on a quarterly MBO scored 0 / 0.5 / 1."""
    return load_plan(
        {
            "name": "AE with MBO",
            "role": "AE",
            "pay_mix": "60/40",
            "measures": [{"name": "goals", "kind": "score"}],
            "components": [
                {
                    "name": "bookings",
                    "weight": 0.8,
                    "rate_basis": "tcr",
                    "tiers": [{"start": 0, "rate": 1}],
                },
                {
                    "type": "mbo",
                    "name": "mbo",
                    "measure": "goals",
                    "weight": 0.2,
                    "levels": [
                        {"score": 0, "payout": 0},
                        {"score": 0.5, "payout": 0.5},
                        {"score": 1, "payout": 1},
                    ],
                },
            ],
        }
    )


def test_mbo_scores_and_role(mbook, tmp_path):
    plan = _mbo_plan()
    with pytest.raises(spm_sim.DataError, match="MBO component 'mbo' on score 'goals'"):
        actual_payouts(mbook, plan, 2025, quotas=_mquotas())
    rows = [
        ("R1", "2025-03", 1.0),
        ("R1", "2025-06", 0.5),
        ("R1", "2025-09", 0.7),
        ("R1", "2025-12", 0.0),
    ] + [("R2", f"2025-{m:02d}", 1.0) for m in (3, 6, 9)]
    scores = pd.DataFrame(rows, columns=["rep_id", "period", "score"]).assign(measure="goals")
    with pytest.raises(spm_sim.DataError, match="no 'goals' score for rep 'R2' in 2025-12"):
        actual_payouts(mbook, plan, 2025, quotas=_mquotas(), scores=scores)
    scores.loc[len(scores)] = ["R2", "2025-12", 1.0, "goals"]
    actual = actual_payouts(mbook, plan, 2025, quotas=_mquotas(), scores=scores)
    mbo = actual.paid_cents()[:, :, 1] / 100
    # R1: 0.2 x 12,000 x 3/12 = 600 a quarter at level payout 1, 0.5, 0.5 (0.7 -> 0.5), 0
    np.testing.assert_array_equal(mbo[0], _row(mar=600, jun=300, sep=300))
    # R2 works March..October (8 months): quarters hold 1, 3, 3 and 1 of them; the TI is
    # prorated by days: 6,000 x 245/365. MBO = 0.2 x TI x (1, 3, 3, 1)/8 at payout 1.
    ti = 6000 * 245 / 365
    expected = [round(0.2 * ti * k / 8 + 1e-12, 2) for k in (1, 3, 3, 1)]
    np.testing.assert_allclose(mbo[1][[2, 5, 8, 11]], expected, atol=0.011)
    assert mbo[1].sum() == pytest.approx(0.2 * ti, abs=0.01)
    with pytest.raises(spm_sim.DataError, match="is for role 'SDR'.*their roles: AE"):
        actual_payouts(mbook, plan.replace(role="SDR"), 2025, quotas=_mquotas(), scores=scores)


# ------------------------------------------------------------------ payroll-grade checks
#
# Issue 15: MBO scores are checked row by row; every deal not paid is listed with its
# reason; the control totals equal the payroll and the statements to the cent; a
# year the book does not cover to December says so; no amount can overflow.


def _scores(rows, file="scores.csv"):
    """A scores table as the command line reads it: ``attrs`` name the file."""
    frame = pd.DataFrame(rows, columns=["rep_id", "period", "measure", "score"])
    frame.attrs["file"] = file
    return frame


def _quarters(rep, score=1.0):
    return [(rep, f"2025-{m:02d}", "goals", score) for m in (3, 6, 9, 12)]


def test_two_scores_for_one_rep_month_and_measure_are_an_error(mbook):
    # line 1 is the header: R1's rows are lines 2..5, R2's 6..9; line 10 repeats line 3
    rows = _quarters("R1") + _quarters("R2") + [("R1", "2025-06", "goals", 0.0)]
    with pytest.raises(
        spm_sim.DataError,
        match=r"^scores\.csv line 10: a second 'goals' score for rep 'R1' in 2025-06 "
        r"\(the first is line 3\); keep one row per rep, month and measure",
    ):
        actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=_scores(rows))
    # a table built in memory is located by its index labels
    frame = _scores(rows)
    frame.attrs.clear()
    with pytest.raises(spm_sim.DataError, match=r"^scores row 8: .*\(the first is row 1\)"):
        actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=frame)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("R11", "2025-03", "goals", 1.0),
            r"line 10: column 'rep_id': rep 'R11' is not in the book's reps\. "
            r"Did you mean 'R1'\?.* Fix the id or remove the row",
        ),
        ((None, "2025-03", "goals", 1.0), r"line 10: column 'rep_id' is empty"),
        (
            ("R1", "2025-03", "gaols", 1.0),
            r"line 10: column 'measure': 'gaols' is not a score measure of plan 'AE with MBO' "
            r"\(goals\)\. Did you mean 'goals'\?",
        ),
        (
            ("R1", "2024-12", "goals", 1.0),
            r"line 10: column 'period': '2024-12' is not a month of 2025 \(write YYYY-MM",
        ),
        (("R1", "2025-3", "goals", 1.0), r"line 10: column 'period': '2025-3' is not a month"),
    ],
)
def test_a_score_row_that_pays_nobody_is_an_error(mbook, row, message):
    rows = _quarters("R1") + _quarters("R2") + [row]
    with pytest.raises(spm_sim.DataError, match=message):
        actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=_scores(rows))


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("high", r"score 'high' must be a number >= 0 and at most 10 \(column 'score'"),
        (float("nan"), r"score nan must be a number >= 0"),
        (float("inf"), r"score inf must be a number >= 0"),
        (-0.5, r"score -0\.5 must be a number >= 0"),
        (100.0, r"score 100\.0 must be .* at most 10 .*100 looks like a percentage: write 1\)"),
    ],
)
def test_score_values_outside_the_scale_are_refused(mbook, score, message):
    rows = _quarters("R1") + _quarters("R2")
    rows[5] = ("R2", "2025-06", "goals", score)  # line 7
    with pytest.raises(spm_sim.DataError, match=r"^scores\.csv line 7: " + message):
        actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=_scores(rows))


def test_the_score_bound_follows_a_plan_whose_levels_go_higher(mbook):
    # levels up to 50 (a plan scored in points): scores up to twice that are accepted
    plan = _mbo_plan()
    mbo = plan.components[1]
    levels = [{"score": 0, "payout": 0}, {"score": 25, "payout": 0.5}, {"score": 50, "payout": 1}]
    plan = plan.replace(components=[plan.components[0], mbo.replace(levels=levels)])
    rows = _quarters("R1", 80.0) + _quarters("R2", 50.0)
    actual = actual_payouts(mbook, plan, 2025, quotas=_mquotas(), scores=_scores(rows))
    # R1 at 80 reaches the top level: 0.2 x 12,000 x 3/12 = 600 a quarter
    np.testing.assert_array_equal(
        actual.paid_cents()[0, :, 1] / 100, _row(mar=600, jun=600, sep=600, dec=600)
    )
    rows[0] = ("R1", "2025-03", "goals", 101.0)
    with pytest.raises(spm_sim.DataError, match=r"line 2: score 101\.0 .* at most 100 "):
        actual_payouts(mbook, plan, 2025, quotas=_mquotas(), scores=_scores(rows))


def test_scores_of_reps_employed_but_not_on_the_payroll_are_noted_not_used(mbook):
    # R3 is employed all 2025 but not in the quotas given: the rows pay nobody, and the
    # payroll says so
    rows = _quarters("R1") + _quarters("R2") + _quarters("R3")
    actual = actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=_scores(rows))
    assert actual.notes == (
        "scores.csv: 4 score row(s) of 1 rep(s) employed in 2025 but not on this payroll were "
        "not used (R3).",
    )
    assert actual.rep_ids == ("R1", "R2")
    # R4 is hired in 2026: a 2025 score of theirs is a mistake in the file
    rows = _quarters("R1") + _quarters("R2") + [("R4", "2025-06", "goals", 1.0)]
    with pytest.raises(
        spm_sim.DataError,
        match=r"^scores\.csv line 10: column 'rep_id': rep 'R4' was not employed in 2025 "
        r"\(hired 2026-02-01\), so this score pays nobody\. Fix the rep_id or remove the row\.",
    ):
        actual_payouts(mbook, _mbo_plan(), 2025, quotas=_mquotas(), scores=_scores(rows))


def test_every_unpaid_deal_is_listed_with_its_true_reason(mbook):
    # R2 on quota: D10 before the hire date and D07 after the term date are outside
    # employment; R3 (no quota) and R4 (hired 2026) carry no quota in 2025.
    actual = actual_payouts(mbook, _flat(0.1), 2025, quotas=_mquotas())
    u = actual.unpaid()
    assert u.columns.tolist() == [
        "deal_id",
        "date",
        "rep_id",
        "account_id",
        "amount",
        "currency",
        "category",
        "reason",
    ]
    got = list(zip(u["deal_id"], u["date"], u["rep_id"], u["amount"], u["category"], strict=True))
    assert got == [
        ("D10", "2025-02-02", "R2", 100.0, "outside_employment"),
        ("D07", "2025-11-20", "R2", 700.0, "outside_employment"),
        ("D09", "2025-06-06", "R3", 900.0, "no_quota"),
        ("D12", "2025-07-07", "R4", 50.0, "no_quota"),
    ]
    reasons = dict(zip(u["deal_id"], u["reason"], strict=True))
    assert reasons["D07"] == "booked outside employment (hired 2025-03-01, left 2025-10-31)"
    assert reasons["D12"] == "hired 2026-02-01, after 2025: booked before being hired"
    assert set(u["currency"]) == {"USD"}
    # the same deals as the summary per rep and reason; with the credited ones, every
    # deal of the year once
    assert u["amount"].sum() == actual.unassigned["amount"].sum() == 1_750.0
    paid = set(credit_deals(mbook, 2025, ["R1", "R2"]).deals["deal_id"])
    year = set(mbook.bookings.loc[mbook.bookings["date"].dt.year == 2025, "deal_id"])
    assert paid.isdisjoint(u["deal_id"]) and paid | set(u["deal_id"]) == year


def test_a_rep_can_have_deals_unpaid_for_two_reasons(mbook):
    # R2's quota is 0: D04 and D05 (inside employment) are unpaid for that reason,
    # D07 and D10 (outside employment) for theirs
    v = np.full((2, 12), 1000.0)
    v[1] = 0.0
    quotas = Quotas(("R1", "R2"), MONTHS, v, float(v.sum()), QuotaSettings(), pd.DataFrame())
    u = actual_payouts(mbook, _flat(0.1), 2025, quotas=quotas).unpaid()
    r2 = u[u["rep_id"] == "R2"].set_index("deal_id")
    assert r2["category"].to_dict() == {
        "D10": "outside_employment",
        "D04": "zero_quota",
        "D05": "zero_quota",
        "D07": "outside_employment",
    }
    assert r2.loc["D04", "reason"] == "quota is 0 in 2025: nothing to measure"


def test_deals_of_reps_of_another_role_are_listed_as_such(tmp_path):
    folder = tmp_path / "roles"
    folder.mkdir()
    reps = MREPS.replace("R3,Cy Diaz,East,AE", "R3,Cy Diaz,East,SDR")
    for name, text in [("reps", reps), ("accounts", MACCOUNTS), ("bookings", MBOOKINGS)]:
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    book = load_quietly(folder)
    v = np.full((3, 12), 1000.0)
    quotas = Quotas(("R1", "R2", "R3"), MONTHS, v, float(v.sum()), QuotaSettings(), pd.DataFrame())
    actual = actual_payouts(book, _flat(0.1, role="AE"), 2025, quotas=quotas)
    u = actual.unpaid().set_index("deal_id")
    assert u.loc["D09", "category"] == "other_role"
    assert u.loc["D09", "reason"] == "role is not 'AE': paid under another plan"
    assert actual.control_totals()["unpaid"]["by_category"] == {
        "no_quota": 1,
        "other_role": 1,
        "outside_employment": 2,
    }


def test_payroll_files_control_totals_and_every_statement_agree_to_the_cent(tmp_path):
    # the sample's 2025 under a plan with four columns (new logos, MBO, draw) and a
    # clawback-free year; the totals are recomputed from the CSV and the statements
    import hashlib
    import json

    from spm_sim.comp import load_plan as plan_of

    book = spm_sim.load_sample()
    plan = plan_of(PLANS_DIR / "sdr_recoverable_draw.yaml").replace(role=None)
    reps, term = book.reps, book.reps["term_date"]
    on = (reps["hire_date"] <= "2025-12-31") & (term.isna() | (term >= "2025-01-01"))
    employed = reps.loc[on, "rep_id"]  # a 2025 score names a rep employed in 2025
    scores = pd.DataFrame(
        [
            (r, f"2025-{m:02d}", "mbo_score", [0.5, 1.0, 1.25][k % 3])
            for k, r in enumerate(employed)
            for m in (3, 6, 9, 12)
        ],
        columns=["rep_id", "period", "measure", "score"],
    )
    actual = actual_payouts(book, plan, 2025, scores=scores)
    path = actual.to_payroll_csv(tmp_path / "pay" / "payroll-2025.csv")
    files = actual.payroll_files(path)
    assert [p.name for p in files.values()] == [
        "payroll-2025.csv",
        "payroll-2025-unpaid.csv",
        "payroll-2025-totals.json",
    ]
    totals = json.loads(files["totals"].read_text())
    pay = pd.read_csv(path, dtype={"rep_id": str, "period": str})
    cents = (pay["amount"] * 100).round().astype("int64")
    assert totals["rows"] == len(pay) == 81 * 12 * 3
    assert totals["reps"] == pay["rep_id"].nunique() == 81
    assert totals["components"] == ["new_logos", "objectives", "draw"]
    assert totals["total_cents"] == int(cents.sum())
    assert totals["total"] == f"{cents.sum() / 100:.2f}"
    by_comp = cents.groupby(pay["component"]).sum().to_dict()
    by_month = cents.groupby(pay["period"]).sum().to_dict()
    assert {k: v["cents"] for k, v in totals["by_component"].items()} == by_comp
    assert {k: v["cents"] for k, v in totals["by_month"].items()} == by_month
    assert all(m["has_data"] for m in totals["by_month"].values())
    assert totals["months_without_data"] == [] and totals["data_end"] == "2025-12-31"
    # every rep's statement, summed, gives the same cents by component and by month
    from_statements = {"component": {}, "period": {}}
    for rep in actual.rep_ids:
        t = statement(actual, rep).table
        for key in from_statements:
            for name, paid in t.groupby(key)["paid"].sum().items():
                got = from_statements[key]
                got[name] = got.get(name, 0) + round(paid * 100)
    assert from_statements["component"] == by_comp
    assert from_statements["period"] == by_month
    # the files are the ones the totals describe
    for key in ("payroll", "unpaid"):
        entry = totals["files"][key]
        assert entry["file"] == files[key].name
        assert entry["sha256"] == hashlib.sha256(files[key].read_bytes()).hexdigest()
    unpaid = pd.read_csv(files["unpaid"])
    assert len(unpaid) == 0 and totals["unpaid"]["deals"] == 0  # a header: none unpaid
    assert unpaid.columns.tolist()[-2:] == ["category", "reason"]
    assert totals["book"]["path"] == str(book.path)


def test_unpaid_file_and_totals_of_a_book_with_unpaid_deals(mbook, tmp_path):
    import json

    actual = actual_payouts(mbook, _flat(0.1), 2025, quotas=_mquotas())
    path = actual.to_payroll_csv(tmp_path / "payroll.csv")
    unpaid = pd.read_csv(tmp_path / "payroll-unpaid.csv", dtype=str)
    assert unpaid["deal_id"].tolist() == ["D10", "D07", "D09", "D12"]
    assert unpaid["amount"].tolist() == ["100.00", "700.00", "900.00", "50.00"]
    totals = json.loads((tmp_path / "payroll-totals.json").read_text())
    assert totals["unpaid"] == {
        "deals": 4,
        "reps": 3,
        "amount_cents": 175_000,
        "amount": "1750.00",
        "by_category": {"no_quota": 2, "outside_employment": 2},
    }
    assert path == tmp_path / "payroll.csv"


def _cut_book(tmp_path, snapshot=None, last="2025-09-30"):
    """The tiny book with the deals after ``last`` removed, and maybe a snapshot date."""
    kept = [ln for ln in BOOKINGS.splitlines()[1:] if ln.split(",")[1] <= last]
    tmp_path.mkdir(exist_ok=True)
    folder = tmp_path / "cut"
    book = write_book(folder, BOOKINGS.splitlines()[0] + "\n" + "\n".join(kept) + "\n")
    if snapshot is not None:
        (folder / "book.yaml").write_text(f'snapshot_date: "{snapshot}"\n', encoding="utf-8")
        book = load_quietly(folder)
    return book


def test_a_year_the_book_ends_before_december_says_which_months_have_no_data(tmp_path, quotas):
    book = _cut_book(tmp_path, snapshot="2025-09-30")
    with pytest.warns(
        spm_sim.errors.PlausibilityWarning,
        match=r"has data up to 2025-09-30 \(its snapshot date\), so 2025-10\.\.2025-12 "
        r"\(3 month\(s\) of 2025\) have no data",
    ):
        actual = actual_payouts(book, three_tier_plan(), 2025, quotas=quotas)
    assert actual.months_without_data == ("2025-10", "2025-11", "2025-12")
    totals = actual.control_totals()
    assert totals["months_without_data"] == ["2025-10", "2025-11", "2025-12"]
    assert totals["data_end"] == "2025-09-30"
    assert [m["has_data"] for m in totals["by_month"].values()] == [True] * 9 + [False] * 3
    with spm_sim.errors.strict_checks(), pytest.raises(spm_sim.DataError, match="no data"):
        actual_payouts(book, three_tier_plan(), 2025, quotas=quotas)
    # without a snapshot date the last booking ends the data: D06 on 2025-09-20
    with pytest.warns(spm_sim.errors.PlausibilityWarning, match="its last booking"):
        later = actual_payouts(_cut_book(tmp_path / "b"), three_tier_plan(), 2025, quotas=quotas)
    assert later.months_without_data == ("2025-10", "2025-11", "2025-12")


def test_a_book_that_runs_to_december_has_every_month(actual):
    # the tiny book's last deal is on 2025-12-01: December has data, if only a day of it
    assert actual.months_without_data == ()
    assert actual.data_end == pd.Timestamp("2025-12-01")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1e308, "1e+308"), (-1e308, "-1e+308"), (float("inf"), "inf"), (float("nan"), "nan")],
)
def test_a_payment_beyond_the_bound_is_refused_with_its_place(actual, value, shown):
    by = actual.payout.by_component.copy()
    by[1, 4, 0] = value  # R2, May
    bad = dataclasses.replace(actual, payout=dataclasses.replace(actual.payout, by_component=by))
    message = (
        rf"the payment of rep 'R2', component 'bookings' in 2025-05 is {re.escape(shown)} USD, "
        r".*up to 1e\+12 per rep, month and component"
    )
    for use in (bad.paid_cents, bad.payroll, bad.by_rep, bad.control_totals):
        with pytest.raises(spm_sim.DataError, match=message):
            use()
    with pytest.raises(spm_sim.DataError, match=message):
        statement(bad, "R2")  # a statement never shows an amount the payroll refuses


def test_the_largest_payment_allowed_is_kept_to_the_cent(actual):
    from spm_sim.actuals import MAX_AMOUNT

    by = np.zeros_like(actual.payout.by_component)
    by[0, :, 0] = MAX_AMOUNT - 0.01  # twelve months at the bound: 1.2e13 to date
    big = dataclasses.replace(actual, payout=dataclasses.replace(actual.payout, by_component=by))
    cents = big.paid_cents()
    assert cents[0, :, 0].tolist() == [99_999_999_999_999] * 12
    assert big.control_totals()["total"] == "11999999999999.88"


def test_a_payment_the_payroll_cannot_carry_is_refused_when_paid(book, quotas):
    # R1's annual quota of 0.001 makes the attainment 2e7 in January: with no cap the
    # pay to date is about 12,000 x 2 x attainment, so the March payment is
    # 24,000 x (65,000 - 20,000) / 0.001 = 1.08e12, above the payroll's bound (and
    # June's and November's too), though each is below the kernel's own 1e13
    q = quotas.values.copy()
    q[0] = 0.001 / 12
    small = Quotas(quotas.rep_ids, MONTHS, q, 1.0, QuotaSettings(), pd.DataFrame())
    with pytest.raises(
        spm_sim.DataError,
        match=r"^the payment of rep 'R1', component 'bookings' in 2025-03 is 1\.08e\+12 USD, "
        r"above 1e\+12 \(3 such amount\(s\)\).* Check the plan's rates and caps, the reps' "
        r"target_incentive, the quotas and the deals' amounts\.",
    ):
        actual_payouts(book, three_tier_plan(attainment_cap=None), 2025, quotas=small)
    # a quota of 1e-300 makes the pay 4e307: refused (by the kernel first), never paid
    q[0] = 1e-300
    tiny = Quotas(quotas.rep_ids, MONTHS, q, 1.0, QuotaSettings(), pd.DataFrame())
    with pytest.raises(spm_sim.DataError, match="the payment of"):
        actual_payouts(book, three_tier_plan(attainment_cap=None), 2025, quotas=tiny)


def test_the_command_line_refuses_an_overflowing_payroll(tmp_path, capsys, monkeypatch):
    # as if an amount of 1e308 had reached the kernel: one error line, no file
    from spm_sim._actuals import payroll as module
    from spm_sim.cli import main

    real = module.payout

    def huge(*args, **kwargs):
        paid = real(*args, **kwargs)
        by = paid.by_component.copy()
        by[1, 2, 0] = 1e308
        return dataclasses.replace(paid, by_component=by)

    monkeypatch.setattr(module, "payout", huge)
    out = tmp_path / "payroll.csv"
    plan = str(PLANS_DIR / "baseline.yaml")
    code = main(["payouts", plan, "--year", "2025", "--out", str(out), "--statement", "R002"])
    err = capsys.readouterr().err
    assert code == 2
    where = "the payment of rep 'R002', component 'bookings' in 2025-03 is 1e+308 USD"
    assert f"spm-sim: error: {where}" in err
    assert "Traceback" not in err and "Overflow" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written
