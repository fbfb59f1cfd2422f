"""Rep statements explain every mechanic and reconcile to the kernel's cents, by hand.

Each case is a tiny hand-made year (quota $10,000 a month = $120,000, TI $12,000, so
TCR = 10% of bookings unless said otherwise) paid by :func:`spm_sim.comp.payout`;
the expected lines are worked out in the comments, not copied from the output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spm_sim
from spm_sim.actuals import ActualPayouts, actual_payouts, statement
from spm_sim.comp import MBO, load_plan, payout, period_ends

MONTHS = tuple(f"2025-{m:02d}" for m in range(1, 13))
PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
QUOTA = 10_000.0
TI = 12_000.0


def flat(name="bookings", **extra):
    """A commission at 1x TCR on every unit: earns TI x attainment."""
    base = {"name": name, "weight": 1.0, "rate_basis": "tcr", "tiers": [{"start": 0, "rate": 1}]}
    return base | extra


def months(n_reps=1, **by_month):
    """An (n_reps, 12) array with values by month: months(2, jan=[1, 2])."""
    out = np.zeros((n_reps, 12))
    names = "jan feb mar apr may jun jul aug sep oct nov dec".split()
    for key, v in by_month.items():
        out[:, names.index(key)] = v
    return out


def actual(plan, bookings, *, quota=QUOTA, ti=TI, measures=None, cancellations=None, active=None):
    """ActualPayouts of a hand-made year, paid by the kernel."""
    plan = load_plan(plan if isinstance(plan, dict) else plan)
    b = np.asarray(bookings, float)
    q = np.broadcast_to(np.asarray(quota, float), b.shape).copy()
    t = np.broadcast_to(np.asarray(ti, float), b.shape[:1]).copy()
    paid = payout(plan, b, q, t, measures=measures, cancellations=cancellations, active=active)
    n = b.shape[0]
    return ActualPayouts(
        plan=plan,
        year=2025,
        rep_ids=tuple(f"R{k + 1}" for k in range(n)),
        rep_names=tuple(f"Rep {k + 1}" for k in range(n)),
        periods=MONTHS,
        bookings=b,
        quotas=q,
        target_incentive=t,
        payout=paid,
        unassigned=pd.DataFrame(columns=["rep_id", "deals", "amount", "reason"]),
        measures=dict(measures or {}),
        cancellations=dict(cancellations or {}),
        active=active,
    )


def reconciled(a: ActualPayouts, rep_id: str = "R1"):
    """The statement, checked: paid sums per column and month to the kernel's cents."""
    s = statement(a, rep_id)
    cents = a.paid_cents()[a.rep_ids.index(rep_id)]
    t = s.table
    assert set(t["component"]) <= set(a.payout.components)
    for j, name in enumerate(a.payout.components):
        for p, period in enumerate(MONTHS):
            rows = t[(t["component"] == name) & (t["period"] == period)]
            assert round(rows["paid"].sum() * 100) == cents[p, j], (name, period)
    assert round(t["paid"].sum(), 2) == s.total == cents.sum() / 100
    assert t[["period", "component", "line", "note"]].notna().all().all()
    text = s.text
    assert f"Total paid in 2025: ${s.total:,.2f}" in text
    for name in a.payout.components:
        assert f"paid for '{name}' in 2025" in text
    return s


def rows(s, component, period=None):
    t = s.table[s.table["component"] == component]
    return t if period is None else t[t["period"] == period]


def line(s, component, period, name):
    r = rows(s, component, period)
    r = r[r["line"] == name]
    assert len(r) == 1, (component, period, name, rows(s, component, period)["line"].tolist())
    return r.iloc[0]


# --------------------------------------------------------------------------- rate tables


def test_retroactive_tier_applies_the_band_reached_to_every_unit():
    # 1.0x TCR below quota, 1.5x on everything once at or above quota.
    #   Jan 60,000 (50%): band 1, 1.0 x 10% x 60,000 = 6,000
    #   Jul 132,000 (110%): band 2, 1.5 x 10% x 132,000 = 19,800; pays 13,800
    plan = {
        "name": "Retro",
        "components": [
            flat(
                tier_method="retroactive",
                tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 1.5}],
            )
        ],
    }
    s = reconciled(actual(plan, months(jan=60_000, jul=72_000)))
    jan = line(s, "bookings", "2025-01", "retroactive tier")
    assert (jan["earned_to_date"], jan["paid"], jan["rate"]) == (6_000.0, 6_000.0, 1.0)
    jul = line(s, "bookings", "2025-07", "retroactive tier")
    assert (jul["earned_to_date"], jul["paid"]) == (19_800.0, 13_800.0)
    assert (jul["tier_start"], jul["rate"], jul["rate_unit"]) == (1.0, 1.5, "x TCR")
    assert jul["bookings_in_band"] == pytest.approx(132_000)
    # the band's edges both ways: the start is included, there is no upper end
    assert (
        "band 2 reached (from 100% (included), no upper end): 1.5 x TCR on all $132,000.00"
        in jul["note"]
    )
    assert "band 1 reached (from 0% (included) up to 100% (not included))" in jan["note"]
    assert s.total == 19_800.0


def test_marginal_tier_notes_state_each_band_both_ways():
    # 1x TCR to 90%, 1.5x from 90% to 99.5%, 2x above; 132,000 of 120,000 = 110%:
    #   tier 1 108,000 x 10% = 10,800; tier 2 11,400 x 15% = 1,710; tier 3 12,600 x 20% = 2,520
    tiers = [
        {"start": 0, "end": 0.9, "rate": 1.0},
        {"start": 0.9, "end": 0.995, "rate": 1.5},
        {"start": 0.995, "rate": 2.0},
    ]
    s = reconciled(actual({"name": "Bands", "components": [flat(tiers=tiers)]}, months(jul=132e3)))
    notes = rows(s, "bookings", "2025-07")["note"].tolist()
    assert notes == [
        "from 0% (included) up to 90% (not included): 1 x TCR on $108,000.00",
        "from 90% (included) up to 99.5% (not included): 1.5 x TCR on $11,400.00",
        "from 99.5% (included), no upper end: 2 x TCR on $12,600.00",
    ]
    assert rows(s, "bookings", "2025-07")["paid"].sum() == 10_800 + 1_710 + 2_520


def test_curve_segment_is_interpolated_and_continues_past_the_last_point():
    # Points (0, 0), (50%, 0.25), (100%, 1), (150%, 2) in multiples of TI.
    #   R1 at 75%: 0.25 + (75% - 50%) / 50% x 0.75 = 0.625 x 12,000 = 7,500
    #   R2 at 175%: beyond the last point, slope 2: 2 + 2 x 0.25 = 2.5 x 12,000 = 30,000
    curve = [(0, 0), (0.5, 0.25), (1.0, 1.0), (1.5, 2.0)]
    c = flat(curve=[{"attainment": x, "payout": y} for x, y in curve])
    del c["tiers"]
    a = actual({"name": "Curve", "components": [c]}, months(2, dec=[90_000, 210_000]))
    r1 = line(reconciled(a, "R1"), "bookings", "2025-12", "curve")
    assert (r1["earned_to_date"], r1["rate"], r1["tier_start"], r1["tier_end"]) == (
        7_500.0,
        0.625,
        0.5,
        1.0,
    )
    assert "between 50% (0.25 x TI) and 100% (1 x TI), interpolated at 75.0%" in r1["note"]
    r2 = line(reconciled(a, "R2"), "bookings", "2025-12", "curve")
    assert r2["earned_to_date"] == 30_000.0
    assert "beyond the last point 150% (2 x TI)" in r2["note"]


def test_quarterly_measurement_and_true_up():
    # Quarterly, 1x TCR to quota and 2x above, on year-to-date units vs year-to-date quota.
    #   Q1: 45,000 vs 30,000 = 150%; TI to date 12,000 x 25% = 3,000;
    #       tier 1 3,000 + tier 2 2 x 10% x 15,000 = 3,000: earned 6,000, paid 6,000
    #   Q2: 45,000 vs 60,000 = 75%; earned 6,000 x 75% = 4,500 < 6,000 paid: pays 0,
    #       true-up 1,500 (paid beyond the earnings)
    #   Q3: 75,000 vs 90,000 = 83.3%: earned 7,500, pays 1,500, true-up back to 0
    #   Q4: 120,000 vs 120,000 = 100%: earned 12,000, pays 4,500
    plan = {
        "name": "Quarterly",
        "components": [
            flat(
                period="quarter",
                tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}],
            )
        ],
    }
    s = reconciled(actual(plan, months(mar=45_000, sep=30_000, dec=45_000)))
    assert sorted(set(s.table["period"])) == ["2025-03", "2025-06", "2025-09", "2025-12"]
    paid = s.table.groupby("period")["paid"].sum().round(2).tolist()
    assert paid == [6_000.0, 0.0, 1_500.0, 4_500.0]
    m = line(s, "bookings", "2025-03", "measurement")
    assert "$45,000.00 to date vs quota to date $30,000.00 = 150.0%" in m["note"]
    assert "x 25.0% of the annual quota due = $3,000.00" in m["note"]
    assert (m["quota_to_date"], m["target_to_date"]) == (30_000.0, 3_000.0)
    q1 = rows(s, "bookings", "2025-03").set_index("line")["earned_to_date"]
    assert (q1["tier 1"], q1["tier 2"]) == (3_000.0, 3_000.0)
    q2 = line(s, "bookings", "2025-06", "true-up")
    assert (q2["earned_to_date"], q2["paid"]) == (1_500.0, 1_500.0)
    assert "earned to date $4,500.00 is below what was paid before ($6,000.00)" in q2["note"]
    assert "nothing this period, made up later" in q2["note"]
    assert line(s, "bookings", "2025-06", "tier 2")["paid"] == -3_000.0  # no longer applies
    q3 = line(s, "bookings", "2025-09", "true-up")
    assert q3["earned_to_date"] == 0.0
    assert "earned to date $7,500.00, paid before $6,000.00, pays $1,500.00" in q3["note"]
    assert "measured per quarter" in s.text


def test_monthly_component_and_threshold_and_caps():
    # Monthly, threshold 50%, attainment cap 150%, payout cap 1.2 x TI to date.
    #   Jan 4,000 vs 10,000 = 40%: threshold not reached
    #   Feb 34,000 vs 20,000 = 170%: credited 150% -> 1.5 x 2,000 = 3,000, capped at
    #       1.2 x 2,000 = 2,400 (cap line -600), 4,000 above 150% earns nothing
    plan = {
        "name": "Monthly",
        "components": [flat(period="month", threshold=0.5, attainment_cap=1.5, payout_cap=1.2)],
    }
    s = reconciled(actual(plan, months(jan=4_000, feb=30_000)))
    assert "not reached: 40.0% < 50.0%" in line(s, "bookings", "2025-01", "threshold")["note"]
    feb = rows(s, "bookings", "2025-02").set_index("line")
    assert feb.loc["tier 1", "earned_to_date"] == 3_000.0
    assert feb.loc["attainment cap", "bookings_in_band"] == pytest.approx(4_000.0)
    assert feb.loc["payout cap", "earned_to_date"] == -600.0
    assert "capped at 1.2 x component TI to date = $2,400.00" in feb.loc["payout cap", "note"]
    assert round(feb["paid"].sum(), 2) == 2_400.0


# --------------------------------------------------------------------------- gates, multipliers

LOGOS = {"name": "new_logos", "kind": "new_logos", "quota_per_rep": 10}


def test_gate_on_the_component():
    # Gate: new logos at least 50% of 10 a year. R1 has 4 logos (40%): the year's
    # 120,000 of bookings (12,000) is removed; R2 has 6 (60%): paid 12,000.
    plan = {
        "name": "Gated",
        "measures": [LOGOS],
        "components": [flat(gate={"measure": "new_logos", "min_attainment": 0.5})],
    }
    logos = months(2, jan=[4, 6])
    a = actual(plan, months(2, dec=120_000), measures={"new_logos": logos})
    g = line(reconciled(a, "R1"), "bookings", "2025-12", "gate")
    assert (
        g["note"] == "gate: new_logos at 40.0% < 50%: not met, nothing is paid: removes $12,000.00"
    )
    assert (g["earned_to_date"], g["measure"]) == (-12_000.0, "new_logos")
    assert g["attainment_to_date"] == pytest.approx(0.4)
    assert g["units_to_date"] == 4 and g["quota_to_date"] == pytest.approx(10)
    s2 = reconciled(a, "R2")
    assert line(s2, "bookings", "2025-12", "gate")["note"] == "gate: new_logos at 60.0% >= 50%: met"
    assert s2.total == 12_000.0 and statement(a, "R1").total == 0.0


def test_gate_on_the_accelerators():
    # 1x to quota, 2x above. At 125% the full table pays 12,000 + 2 x 10% x 30,000 =
    # 18,000; below the gate the accelerator pays the base rate: 15,000, so the gate
    # removes 3,000.
    plan = {
        "name": "Gated accelerator",
        "measures": [LOGOS],
        "components": [
            flat(
                tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}],
                gate={"measure": "new_logos", "min_attainment": 0.5, "applies_to": "accelerators"},
            )
        ],
    }
    a = actual(plan, months(dec=150_000), measures={"new_logos": months(jan=2)})
    s = reconciled(a)
    g = line(s, "bookings", "2025-12", "gate")
    assert g["earned_to_date"] == -3_000.0
    assert (
        "gate: new_logos at 20.0% < 50%: not met, no accelerators: removes $3,000.00" == g["note"]
    )
    assert s.total == 15_000.0


def test_multiplier_adds_or_removes():
    # Factor by Platform attainment (quota 50% of the bookings quota = 60,000):
    # below 75% x0.5, from 75% x1.0, from 100% x1.2. Both reps book 120,000 (12,000).
    #   R1 Platform 30,000 = 50%: x0.5 removes 6,000 -> 6,000
    #   R2 Platform 66,000 = 110%: x1.2 adds 2,400 -> 14,400
    plan = {
        "name": "Multiplied",
        "measures": [{"name": "platform", "product": "Platform", "quota_share": 0.5}],
        "components": [
            flat(
                multiplier={
                    "measure": "platform",
                    "levels": [
                        {"attainment": 0, "factor": 0.5},
                        {"attainment": 0.75, "factor": 1.0},
                        {"attainment": 1.0, "factor": 1.2},
                    ],
                }
            )
        ],
    }
    a = actual(plan, months(2, dec=120_000), measures={"platform": months(2, dec=[30_000, 66_000])})
    m1 = line(reconciled(a, "R1"), "bookings", "2025-12", "multiplier")
    assert m1["note"] == (
        "multiplier: platform at 50.0% -> factor 0.5 (level from 0%): $12,000.00 x 0.5, "
        "removes $6,000.00"
    )
    assert (m1["earned_to_date"], m1["rate"], m1["rate_unit"]) == (-6_000.0, 0.5, "factor")
    s2 = reconciled(a, "R2")
    m2 = line(s2, "bookings", "2025-12", "multiplier")
    assert m2["earned_to_date"] == 2_400.0 and "factor 1.2 (level from 100%)" in m2["note"]
    assert "adds $2,400.00" in m2["note"] and s2.total == 14_400.0
    assert "multiplier on platform: from 0% x0.5, from 75% x1, from 100% x1.2" in s2.text


# ------------------------------------------------------------- bonus, MBO, SPIFF, contest


def test_bonus_milestones():
    # 100% pays 10% of TI (1,200) in June; 125% pays a fixed 2,000 in November.
    plan = {
        "name": "Bonus",
        "components": [
            flat(),
            {
                "name": "kicker",
                "type": "bonus",
                "milestones": [
                    {"attainment": 1.0, "share_of_ti": 0.1},
                    {"attainment": 1.25, "amount": 2000},
                ],
            },
        ],
    }
    s = reconciled(actual(plan, months(jun=120_000, nov=30_000)))
    assert "not reached: 0.0% < 100%" in line(s, "kicker", "2025-01", "milestones")["note"]
    jun = line(s, "kicker", "2025-06", "milestone 1")
    assert (jun["paid"], jun["note"]) == (
        1_200.0,
        "100.0% >= 100%: 0.1 x TI $12,000.00 = $1,200.00",
    )
    nov = line(s, "kicker", "2025-11", "milestone 2")
    assert (nov["paid"], nov["note"]) == (2_000.0, "125.0% >= 125%: a fixed $2,000.00")
    assert rows(s, "kicker")["paid"].sum() == 3_200.0


def test_mbo_score_level_and_share_of_the_period():
    # 20% of TI on a quarterly score; a quarter's target is 0.2 x 12,000 x 3/12 = 600.
    # Scores 1.0, 0.9, 0.5, 1.2 at the quarter ends -> levels 1, 0.8, 0, 1: 600, 300, 0, 600.
    # R2 is active from April only (9 months): a quarter is 3/9 of the year, 800 at target.
    plan = {
        "name": "MBO",
        "measures": [{"name": "score", "kind": "score"}],
        "components": [
            flat(weight=0.8),
            {
                "name": "objectives",
                "type": "mbo",
                "measure": "score",
                "weight": 0.2,
                "levels": [
                    {"score": 0, "payout": 0},
                    {"score": 0.8, "payout": 0.5},
                    {"score": 1.0, "payout": 1.0},
                ],
            },
        ],
    }
    score = months(2, mar=1.0, jun=0.9, sep=0.5, dec=1.2)
    active = np.ones((2, 12))
    active[1, :3] = 0
    a = actual(plan, months(2), measures={"score": score}, active=active)
    s = reconciled(a, "R1")
    mbo = rows(s, "objectives")
    assert mbo["period"].tolist() == ["2025-03", "2025-06", "2025-09", "2025-12"]
    assert mbo["paid"].tolist() == [600.0, 300.0, 0.0, 600.0]
    assert mbo["rate"].tolist() == [1.0, 0.5, 0.0, 1.0]
    assert mbo["note"].iloc[1] == (
        "score 0.9 in 2025-06: level from 0.8 pays 0.5 x target; 3 of 12 active months: "
        "0.2 x TI $12,000.00 x 3/12 x 0.5 = $300.00"
    )
    r2 = rows(reconciled(a, "R2"), "objectives")
    assert r2["paid"].tolist() == [0.0, 400.0, 0.0, 800.0]  # Q1 no active month; Q2 0.5 x 800
    assert "3 of 9 active months" in r2["note"].iloc[1]


def test_spiff_units_in_window_times_rate():
    # 2 cents a dollar booked in March and April.
    plan = {
        "name": "SPIFF",
        "components": [
            flat(),
            {"name": "push", "type": "spiff", "start_month": 3, "end_month": 4, "rate": 0.02},
        ],
    }
    s = reconciled(actual(plan, months(mar=50_000, apr=10_000, may=10_000)))
    sp = rows(s, "push")
    assert sp["period"].tolist() == ["2025-03", "2025-04"]
    assert sp["paid"].tolist() == [1_000.0, 200.0]
    assert sp["note"].iloc[0] == "$50,000.00 in 2025-03 x 0.02 = $1,000.00"


def test_contest_rank_ties_and_minimum():
    # Totals of January-March: R1 50,000, R2 80,000, R3 80,000, R4 20,000; only totals
    # above 25,000 can win. R2 and R3 tie for rank 1 and share prizes 1 and 2:
    # (3,000 + 1,000) / 2 = 2,000 each; R1 is rank 3: 500; R4 gets nothing.
    plan = {
        "name": "Contest",
        "components": [
            flat(),
            {
                "name": "race",
                "type": "contest",
                "start_month": 1,
                "end_month": 3,
                "prizes": [3000, 1000, 500],
                "min_total": 25_000,
            },
        ],
    }
    a = actual(plan, months(4, feb=[50_000, 80_000, 30_000, 20_000], mar=[0, 0, 50_000, 0]))
    got = {r: line(reconciled(a, r), "race", "2025-03", "contest") for r in a.rep_ids}
    assert [got[r]["paid"] for r in a.rep_ids] == [500.0, 2_000.0, 2_000.0, 0.0]
    assert [got[r]["rank"] for r in ("R1", "R2", "R3")] == [3, 1, 1]
    assert got["R2"]["note"] == (
        "$80,000.00 of bookings in 2025-01..2025-03: rank 1 of 3, tied with 1 other(s): "
        "($3,000.00 + $1,000.00) / 2 shared: $2,000.00"
    )
    assert got["R1"]["note"].endswith("rank 3 of 3: $500.00")
    assert "not above the minimum $25,000.00: no prize" in got["R4"]["note"]


# --------------------------------------------------------------------------- clawback and draw


def test_clawback_takes_back_the_commission_on_cancelled_units():
    # Jan 60,000 booked: 6,000 paid. Feb: 20,000 of it cancelled: earned to date
    # 4,000; the component pays 0 and the clawback column takes back 2,000.
    plan = {"name": "Claw", "clawback": {"window_days": 90}, "components": [flat()]}
    a = actual(plan, months(jan=60_000), cancellations={"bookings": months(feb=20_000)})
    s = reconciled(a)
    feb = rows(s, "bookings", "2025-02").set_index("line")
    assert feb.loc["tier 1", ["earned_to_date", "paid"]].tolist() == [4_000.0, -2_000.0]
    assert feb.loc["cancellations", ["earned_to_date", "paid"]].tolist() == [2_000.0, 2_000.0]
    claw = line(s, "clawback", "2025-02", "clawback")
    assert (claw["paid"], claw["source"], claw["units"]) == (-2_000.0, "bookings", 20_000.0)
    assert claw["note"] == (
        "'bookings': $20,000.00 of bookings cancelled in 2025-02: earned to date falls "
        "from $6,000.00 to $4,000.00, takes back $2,000.00"
    )
    assert s.total == 4_000.0 and s.bookings == 40_000.0


def test_recoverable_draw_tops_up_and_recovers():
    # A draw of 1,000 a month in January-March against 5% of bookings.
    #   Jan: earned 0 -> tops up 1,000 (owed 1,000); Feb: earned 500 -> tops up 500
    #   (owed 1,500); Mar: earned 2,000 -> recovers 1,000 (owed 500); Apr: earned
    #   1,500, no draw -> recovers 500 (owed 0). R2 books nothing: owed 3,000 at the end.
    plan = {
        "name": "Draw",
        "draw": {"amount": 1000, "recoverable": True, "months": [1, 2, 3]},
        "components": [
            {
                "name": "bookings",
                "weight": 1.0,
                "rate_basis": "bookings",
                "tiers": [{"start": 0, "rate": 0.05}],
            }
        ],
    }
    a = actual(plan, months(2, feb=[10_000, 0], mar=[40_000, 0], apr=[30_000, 0]))
    s = reconciled(a, "R1")
    d = rows(s, "draw")
    assert list(zip(d["period"], d["line"], d["paid"], d["balance"], strict=True)) == [
        ("2025-01", "draw top-up", 1_000.0, 1_000.0),
        ("2025-02", "draw top-up", 500.0, 1_500.0),
        ("2025-03", "draw recovery", -1_000.0, 500.0),
        ("2025-04", "draw recovery", -500.0, 0.0),
    ]
    assert d["note"].iloc[1] == (
        "earned $500.00 < draw $1,000.00: tops up $500.00; balance owed $1,500.00"
    )
    assert (
        d["note"].iloc[2]
        == "earned $2,000.00 > draw $1,000.00: recovers $1,000.00; balance owed $500.00"
    )
    assert d["note"].iloc[3] == (
        "earned $1,500.00, no draw this month: recovers $500.00; balance owed $0.00"
    )
    s2 = reconciled(a, "R2")
    assert s2.draw_balance == 3_000.0 == a.payout.draw_balance[1]
    assert "Draw still owed at year end: $3,000.00 (not paid back)" in s2.text


def test_guaranteed_draw_share_of_ti_over_the_months_employed():
    # Non-recoverable draw of 50% of the TI over the months employed: the rep works
    # July-December, so 0.5 x 12,000 / 6 = 1,000 a month then, nothing before.
    plan = {
        "name": "Guarantee",
        "draw": {"share_of_ti": 0.5, "recoverable": False},
        "components": [flat()],
    }
    active = np.zeros((1, 12))
    active[0, 6:] = 1.0
    q = np.where(active > 0, QUOTA, 0.0)
    s = reconciled(actual(plan, months(sep=30_000), quota=q, active=active))
    d = rows(s, "draw")
    assert d["period"].tolist() == list(MONTHS[6:])
    assert d["paid"].tolist() == [1_000.0, 1_000.0, 0.0, 1_000.0, 1_000.0, 1_000.0]
    # September: 30,000 of the 60,000 quota of July-December earns 0.5 x 12,000
    assert d["note"].iloc[2] == "earned $6,000.00 >= draw $1,000.00: no top-up"
    assert s.draw_balance is None


# --------------------------------------------------------------------------- every mechanic at once


def _everything(seed: int) -> ActualPayouts:
    """A random plan with every mechanic, and a random year for six reps."""
    rng = np.random.default_rng(seed)
    period = [str(p) for p in rng.choice(["year", "quarter", "month"], 3)]
    comps = [
        flat(
            "core",
            weight=0.3,
            period=period[0],
            threshold=0.3,
            payout_cap=1.5,
            tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}],
            gate={"measure": "new_logos", "min_attainment": 0.4, "applies_to": "accelerators"},
            multiplier={
                "measure": "platform",
                "levels": [{"attainment": 0, "factor": 0.8}, {"attainment": 0.9, "factor": 1.1}],
            },
        ),
        flat(
            "retro",
            weight=0.3,
            period=period[1],
            tier_method="retroactive",
            attainment_cap=2.0,
            tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 0.6}],
            gate={"measure": "bookings", "min_attainment": 0.2},
        ),
        {
            "name": "logos",
            "weight": 0.3,
            "rate_basis": "tcr",
            "measure": "new_logos",
            "period": period[2],
            "curve": [{"attainment": 0, "payout": 0}, {"attainment": 1, "payout": 1}],
        },
        {
            "name": "mbo",
            "type": "mbo",
            "measure": "score",
            "weight": 0.1,
            "period": "quarter",
            "levels": [
                {"score": 0, "payout": 0},
                {"score": 0.8, "payout": 0.5},
                {"score": 1, "payout": 1},
            ],
        },
        {
            "name": "bonus",
            "type": "bonus",
            "milestones": [
                {"attainment": 0.5, "amount": 500},
                {"attainment": 1.0, "share_of_ti": 0.1},
            ],
        },
        {
            "name": "spiff",
            "type": "spiff",
            "measure": "platform",
            "start_month": 2,
            "end_month": 5,
            "rate": 0.01,
        },
        {
            "name": "race",
            "type": "contest",
            "measure": "new_logos",
            "start_month": 1,
            "end_month": 6,
            "prizes": [1000, 500],
        },
    ]
    plan = {
        "name": "Everything",
        "measures": [
            LOGOS,
            {"name": "platform", "quota_share": 0.4},
            {"name": "score", "kind": "score"},
        ],
        "components": comps,
        "clawback": {"window_days": 90},
        "draw": {"share_of_ti": 0.5, "recoverable": bool(seed % 2), "months": [1, 2, 3, 4]},
    }
    n = 6
    b = np.round(rng.gamma(0.6, 20_000, (n, 12)) * (rng.random((n, 12)) < 0.7), 2)
    q = np.full((n, 12), QUOTA)
    q[1, :4] = 0  # hired in May
    q[2] = 0  # no quota: every line says so
    active = (q > 0).astype(float)
    logos = rng.poisson(0.8, (n, 12)).astype(float)
    logos[3] = logos[4]  # a tie in the contest
    platform = np.round(b * rng.uniform(0, 1, (n, 12)), 2)
    cancel = np.zeros((n, 12))
    for r in range(n):
        m = int(rng.integers(1, 12))
        cancel[r, m] = round(float(np.cumsum(b[r])[m]) * rng.uniform(0, 0.4), 2)
    cancel_logos = np.minimum(np.cumsum(logos, axis=1), 1.0) * months(n, aug=1)
    return actual(
        plan,
        b,
        quota=q,
        ti=[TI, TI, TI, 6_000.0, 0.0, TI],
        measures={
            "new_logos": logos,
            "platform": platform,
            "score": np.round(rng.uniform(0.5, 1.3, (n, 12)), 2),
        },
        cancellations={"bookings": cancel, "new_logos": cancel_logos},
        active=active,
    )


@pytest.mark.parametrize("seed", range(12))
def test_every_mechanic_reconciles_on_random_years(seed):
    a = _everything(seed)
    for rep_id in a.rep_ids:
        s = reconciled(a, rep_id)
        assert "<" not in s.html.removeprefix('<pre class="spm-statement">').removesuffix("</pre>")
    assert set(statement(a, "R3").table["line"]) == {"no quota"}


def test_a_payment_the_lines_do_not_explain_raises():
    # the kernel paid under a 3x accelerator; the plan the statement reads says 2x
    plan = load_plan(
        {
            "name": "Two",
            "components": [
                flat(tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}])
            ],
        }
    )
    a = actual(plan, months(jun=100_000, dec=50_000))
    richer = plan.replace(
        components=[
            flat(tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 3.0}])
        ]
    )
    wrong = actual(richer, a.bookings)
    from dataclasses import replace

    with pytest.raises(RuntimeError, match=r"statement of R1, 2025-12, component 'bookings'"):
        statement(replace(a, payout=wrong.payout), "R1")


def test_missing_measure_units_are_named():
    plan = {
        "name": "Gated",
        "measures": [LOGOS],
        "components": [flat(gate={"measure": "new_logos", "min_attainment": 0.5})],
    }
    a = actual(plan, months(dec=1.0), measures={"new_logos": months(jan=1)})
    from dataclasses import replace

    with pytest.raises(spm_sim.DataError, match=r"measure 'new_logos'.*no units of it"):
        statement(replace(a, measures={}), "R1")


def test_names_are_escaped_in_html():
    plan = {"name": "<b>Plan & co</b>", "components": [flat("<i>x</i>")]}
    s = reconciled(actual(plan, months(jan=1_000)))
    assert "<b>" not in s.html and "&lt;i&gt;x&lt;/i&gt;" in s.html and "<i>" in s.text


# --------------------------------------------------------------------------- the sample book


@pytest.fixture(scope="module")
def sample():
    return spm_sim.load_sample()


def employed_in_2025(book) -> list[str]:
    """The reps employed on at least one day of 2025: those a 2025 score may name."""
    reps = book.reps
    term = reps["term_date"]
    on = (reps["hire_date"] <= "2025-12-31") & (term.isna() | (term >= "2025-01-01"))
    return reps.loc[on, "rep_id"].tolist()


@pytest.mark.parametrize("stem", ["baseline", "accelerated"])
def test_sample_statements_reconcile(sample, stem):
    a = actual_payouts(sample, PLANS / f"{stem}.yaml", 2025)
    for rep_id in a.rep_ids[::8]:
        reconciled(a, rep_id)


@pytest.mark.parametrize("path", sorted(PLANS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_sample_plan_explains_the_sample_year(sample, path):
    plan = load_plan(path)
    if plan.role not in (None, "AE"):  # the sample company has AEs only
        plan = plan.replace(role=None)
    scores = None
    mbos = [c for c in plan.components if isinstance(c, MBO)]
    if mbos:  # scores between 0.5 and 1.3 at every MBO period end
        rng = np.random.default_rng(0)
        scores = pd.DataFrame(
            [
                (r, MONTHS[e], c.measure, round(float(rng.uniform(0.5, 1.3)), 2))
                for r in employed_in_2025(sample)
                for c in mbos
                for e in period_ends(c.period, 12)
            ],
            columns=["rep_id", "period", "measure", "score"],
        )
    a = actual_payouts(sample, plan, 2025, scores=scores)
    for rep_id in a.rep_ids[::10]:
        reconciled(a, rep_id)
