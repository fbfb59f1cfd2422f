"""The sample plans of data/plans/: they load, validate, pay the TI at quota, and
pay what their header comments say.

Expected amounts are computed by hand in the comments (and, for the TI at quota,
from the plan's own rate tables by a few lines of arithmetic independent of the
kernel), never copied from the kernel's output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spm_sim import DataError, actual_payouts, load_sample
from spm_sim.comp import (
    MBO,
    PLAN_SCHEMA_PATH,
    Component,
    Plan,
    band_text,
    load_plan,
    payout,
    payout_curve,
    plan_rules,
    round_money,
)
from spm_sim.errors import strict_checks

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
FILES = sorted(PLANS.glob("*.yaml"))
IDS = [p.stem for p in FILES]

#: the plans written for the comp-mechanics issue
NEW = [
    "ae_50_50",
    "ae_60_40_decelerator",
    "ae_multi_measure",
    "sdr_recoverable_draw",
    "q4_spiff",
    "capped",
]
#: written before plans had role and pay_mix; adding them is for the owners of these files
LEGACY = {"baseline", "accelerated"}

SCHEMA_LINE = "# yaml-language-server: $schema=../../spm_sim/plan.schema.json"


def plan(stem: str) -> Plan:
    return load_plan(PLANS / f"{stem}.yaml")


def test_the_sample_plans_are_there():
    assert set(NEW) | LEGACY == set(IDS)


# --------------------------------------------------------------------------------------
# Every file: loads, validates, says what it is for
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_loads_and_validates_against_the_schema(path):
    import jsonschema

    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    loaded = load_plan(path)
    schema = json.loads(PLAN_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(yaml.safe_load(text))
    # the plan survives a round trip through YAML (what the designer and reports write)
    assert load_plan(yaml.safe_load(loaded.to_yaml())) == loaded


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_is_plausible_under_strict_checks(path):
    # no sample plan has a value the plausibility checks would warn about
    with strict_checks():
        plan = load_plan(path)
    # and each states its bands both ways in its rules
    rules = " ".join(plan_rules(plan)["rule"])
    for c in plan.components:
        for t in getattr(c, "tiers", ()):
            assert band_text(t.start, t.end) in rules


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_has_role_and_pay_mix(path):
    p = load_plan(path)
    assert p.role and p.pay_mix
    base, incentive = map(int, p.pay_mix.split("/"))
    assert base + incentive == 100 and 50 <= base <= 70  # AE 50/50-60/40, SDR 70/30


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_rule_is_commented(path):
    # the header explains the idea and how to read the file; each rule line has a comment
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("#") for line in lines[:12]) >= 8
    if path.stem in LEGACY:
        return
    rules = (
        "- start:",
        "rate:",
        "threshold:",
        "weight:",
        "rate_basis:",
        "period:",
        "attainment_cap:",
        "payout_cap:",
        "min_attainment:",
        "quota_share:",
        "quota_per_rep:",
        "share_of_ti:",
        "recoverable:",
        "months:",
        "window_days:",
        "start_month:",
        "end_month:",
        "prizes:",
        "min_total:",
    )
    for k, line in enumerate(lines):
        rate_of_tier = line.strip().startswith(("rate:", "end:")) and "- start:" in lines[k - 2]
        if line.strip().startswith(rules) and not rate_of_tier:
            assert "#" in line, f"{path.name}: no comment on {line.strip()!r}"


# --------------------------------------------------------------------------------------
# A rep on target earns the TI (commission and MBO); the rest is on top
# --------------------------------------------------------------------------------------


def _table_at(c: Component, a: float) -> float:
    """Units of the component's TI at attainment ``a``, from its own rate table."""
    if c.curve is not None:
        xs = [p.attainment for p in c.curve]
        return float(np.interp(a, xs, [p.payout for p in c.curve]))
    if c.tier_method == "retroactive":
        return max(t.rate for t in c.tiers if t.start <= a) * a
    return math.fsum(
        t.rate * min(max(a - t.start, 0.0), (math.inf if t.end is None else t.end) - t.start)
        for t in c.tiers
    )


def _on_target_share(p: Plan) -> float:
    """Share of the TI a rep at 100% on every measure (scores 1.0) earns, by hand."""
    total = 0.0
    for c in p.components:
        if isinstance(c, Component) and c.rate_basis == "tcr":
            factor = 1.0
            if c.multiplier is not None:  # the step holding attainment 1.0
                factor = [lv.factor for lv in c.multiplier.levels if lv.attainment <= 1.0][-1]
            total += c.weight * _table_at(c, 1.0) * factor
        elif isinstance(c, MBO):
            total += c.weight * [lv.payout for lv in c.levels if lv.score <= 1.0][-1]
    return total


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_pays_the_ti_at_quota(path):
    p = load_plan(path)
    # the plan's intent, read off its rate tables: exactly the TI at quota
    assert _on_target_share(p) == pytest.approx(1.0, abs=1e-12)
    # and the kernel agrees: TI $61,000 and quota $1,500,000 (the sample's typical AE)
    curve = payout_curve(p, [1.0], target_incentive=61_000, quota=1_500_000)
    ti_part = [c.name for c in p.components if isinstance(c, (Component, MBO))]
    assert round_money(curve[ti_part].to_numpy().sum()) == 61_000.00
    # a draw advanced at quota is all recovered by December; no clawback without cancellations
    for column in ("draw", "clawback"):
        if column in curve:
            assert round_money(curve[column].iloc[0]) == 0.0


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_accelerators_are_in_the_usual_range(path):
    # domain.md: accelerators 1.5x-2.5x TCR above quota; nothing below quota above 1.5x
    for c in load_plan(path).components:
        if isinstance(c, Component) and c.tiers:
            above = [t.rate for t in c.tiers if t.start >= 1.0]
            assert above and all(1.5 <= r <= 2.5 for r in above), c.name
            assert all(t.rate <= 1.5 for t in c.tiers if t.start < 1.0), c.name


@pytest.mark.parametrize("stem", NEW)
def test_pays_the_sample_book(stem):
    # the real 2025 deals (products, new logos) go through the plan without surprises
    p = plan(stem)
    book = load_sample()
    if p.role != "AE":
        # the sample company has AEs only, and a plan pays the reps of its role
        with pytest.raises(DataError, match=f"is for role '{p.role}'.*their roles: AE"):
            actual_payouts(book, p, 2025)
        p = p.replace(role=None)  # as if the AEs were on it, to exercise its mechanics
    scores = None
    if any(isinstance(c, MBO) for c in p.components):  # every rep on target every month
        reps, term = book.reps, book.reps["term_date"]
        employed = reps.loc[  # a score for a rep not employed in 2025 is an error
            (reps["hire_date"] <= "2025-12-31") & (term.isna() | (term >= "2025-01-01")), "rep_id"
        ]
        scores = pd.DataFrame(
            [
                (r, f"2025-{m:02d}", c.measure, 1.0)
                for r in employed
                for m in range(1, 13)
                for c in p.components
                if isinstance(c, MBO)
            ],
            columns=["rep_id", "period", "measure", "score"],
        )
    actual = actual_payouts(book, p, 2025, scores=scores)
    by = actual.payout.annual_by_component
    assert np.isfinite(by).all()
    ti_part = [j for j, c in enumerate(p.components) if isinstance(c, (Component, MBO))]
    ratio = by[:, ti_part].sum() / actual.target_incentive.sum()
    # quotas are 2024's run rates with no growth; the company booked 107% of them in
    # 2025, with a long right tail (P90 about 226%), so every plan pays above the TI,
    # but within reason
    assert 0.7 < ratio < 2.0, ratio


# --------------------------------------------------------------------------------------
# One rep, by hand, per plan (the worked examples of the files' headers)
# --------------------------------------------------------------------------------------

EVEN = np.full((1, 12), 100_000.0)  # quota $1,200,000 spread evenly over the months


def test_ae_50_50_quarterly_true_up_cap_and_clawback():
    p = plan("ae_50_50")
    # $100k in Q1, $500k in Q2, $300k in Q3, $600k in Q4, evenly inside each quarter
    b = np.repeat([100_000 / 3, 500_000 / 3, 100_000, 200_000], 3)[None, :]
    r = payout(p, b, EVEN, [75_000])
    assert r.components == ("bookings", "clawback")
    # Q1: 100k / 300k = 33% < 40%: nothing
    # Q2: 600k / 600k = 100%: 1.0 x 75,000 x 6/12 = 37,500
    # Q3: 900k / 900k = 100%: 1.0 x 75,000 x 9/12 = 56,250 to date, pays 18,750
    # Q4: 1.5M / 1.2M = 125%: (1.0 + 2.0 x 0.25) x 75,000 = 112,500, pays 56,250
    expected = np.zeros(12)
    expected[[5, 8, 11]] = [37_500, 18_750, 56_250]
    np.testing.assert_array_equal(round_money(r.by_period[0]), expected)
    # No negative true-up: $400k, $500k, $50k, $150k by quarter.
    # Q1: 400k / 300k = 133%: (1.0 + 2.0 x 0.3333) x 75,000 x 3/12 = 31,250
    # Q2: 900k / 600k = 150%: (1.0 + 2.0 x 0.5) x 75,000 x 6/12 = 75,000, pays 43,750
    # Q3: 950k / 900k = 105.6%: (1.0 + 2.0 x 0.0556) x 56,250 = 62,500 < 75,000: pays 0
    # Q4: 1.1M / 1.2M = 91.7%: 0.9167 x 75,000 = 68,750 < 75,000: pays 0
    # The year pays 75,000 although the annual table gives 68,750 for 91.7%.
    b2 = np.repeat([400_000 / 3, 500_000 / 3, 50_000 / 3, 50_000], 3)[None, :]
    r = payout(p, b2, EVEN, [75_000])
    assert round_money(r.by_period[0, [2, 5, 8, 11]]).tolist() == [31_250, 43_750, 0, 0]
    # 250% of quota: 1.0 + 2.0 x 1.5 = 4.0 TI uncapped, capped at 3.0 x 75,000
    assert round_money(payout(p, EVEN * 2.5, EVEN, [75_000]).total[0]) == 225_000.00
    # A $150k October deal cancelled in November (within 90 days). At the Q4 end the
    # credited year is 1.35M / 1.2M = 112.5%: (1.0 + 2.0 x 0.125) x 75,000 = 93,750.
    # As if the deal had not been cancelled: 112,500. The quarter pays the commission
    # 112,500 - 56,250 = 56,250 and claws back 112,500 - 93,750 = 18,750.
    cancel = np.zeros((1, 12))
    cancel[0, 10] = 150_000
    r = payout(p, b, EVEN, [75_000], cancellations={"bookings": cancel})
    q4 = round_money(r.by_component[0, 11])
    assert q4.tolist() == [56_250.00, -18_750.00]
    assert round_money(r.total[0]) == 93_750.00


def test_ae_60_40_decelerator_below_quota():
    p = plan("ae_60_40_decelerator")
    # quota $1,500,000, TI $61,000, $1,200,000 booked (80%):
    # 0.5 x 0.5 + 1.5 x (0.8 - 0.5) = 0.25 + 0.45 = 0.70 TI = $42,700
    r = payout(p, EVEN, EVEN * 1.25, [61_000])
    assert round_money(r.total[0]) == 42_700.00
    # annual attainment settled monthly: after four months 400k / 1.5M = 26.7% is in the
    # decelerator band, 0.5 x 0.2667 x 61,000 = 8,133.33 to date (2,033.33 a month)
    assert round_money(r.by_period[0, :4].sum()) == 8_133.33
    # and at 160%: 1.0 + 1.75 x 0.5 + 2.25 x 0.1 = 2.1 TI = $128,100
    assert round_money(payout(p, EVEN * 2, EVEN * 1.25, [61_000]).total[0]) == 128_100.00
    # at 400% the attainment cap credits 300%: 1.875 + 2.25 x 1.5 = 5.25 TI = $320,250
    assert round_money(payout(p, EVEN * 5, EVEN * 1.25, [61_000]).total[0]) == 320_250.00


def test_ae_multi_measure_gate_and_multiplier():
    p = plan("ae_multi_measure")
    # quota $1.2M, TI $75,000; $1.5M booked (125%), $900k of it Platform against a
    # platform quota of 0.65 x 1.2M = 780k (115.38%)
    b = EVEN * 1.25
    platform = np.full((1, 12), 75_000.0)
    one_a_quarter = np.zeros((1, 12))
    one_a_quarter[0, [1, 4, 7, 10]] = 1
    r = payout(p, b, EVEN, [75_000], measures={"platform": platform, "new_logos": one_a_quarter})
    # new logos 1 of 3 each quarter (33% < 50%): the bookings accelerator pays 1x,
    #   0.6 x 75,000 x 1.25                          = 56,250.00
    # platform: 0.2 x 75,000 x (1 + 1.5 x 0.153846)  = 18,461.54
    # new logos: 0.2 x 75,000 x 1/3 x 1.0            =  5,000.00  (bookings 125% >= 75%)
    assert round_money(r.annual_by_component[0]).tolist() == [56_250.00, 18_461.54, 5_000.00]
    # two logos a quarter (67% >= 50%): the gate opens, 0.6 x 75,000 x (1 + 2 x 0.25) =
    # 67,500; new logos 0.2 x 75,000 x 2/3 = 10,000
    two = one_a_quarter.copy()
    two[0, [0, 3, 6, 9]] = 1
    r = payout(p, b, EVEN, [75_000], measures={"platform": platform, "new_logos": two})
    assert round_money(r.annual_by_component[0]).tolist() == [67_500.00, 18_461.54, 10_000.00]
    # the multiplier: $720k booked (60% < 75%), Platform 468k (60%), a logo a month (100%)
    #   bookings 0.6 x 75,000 x 0.6 = 27,000; platform 0.2 x 75,000 x 0.6 = 9,000;
    #   new logos 0.2 x 75,000 x 1.0 x 0.5 = 7,500 (halved)
    r = payout(
        p,
        EVEN * 0.6,
        EVEN,
        [75_000],
        measures={"platform": np.full((1, 12), 39_000.0), "new_logos": np.ones((1, 12))},
    )
    assert round_money(r.annual_by_component[0]).tolist() == [27_000.00, 9_000.00, 7_500.00]


def test_sdr_recoverable_draw():
    p = plan("sdr_recoverable_draw")
    # TI $24,000: monthly TI 2,000, draw 0.75 x 2,000 = 1,500 in January-March;
    # new-logo TI 0.8 x 24,000 = 19,200 = 1,600 a logo; MBO 0.2 x 24,000 / 4 = 1,200 a
    # quarter at score 1.0. No logo in Jan-Feb, 2 in March, then one a month.
    logos = np.array([[0, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1.0]])
    on_target = np.ones((1, 12))
    r = payout(p, EVEN, EVEN, [24_000], measures={"new_logos": logos, "mbo_score": on_target})
    assert r.components == ("new_logos", "objectives", "draw")
    by = round_money(r.by_component[0])
    # March: 2/3 of the quota to date x 19,200 x 3/12 = 3,200, plus the MBO 1,200
    assert by[:4, 0].tolist() == [0, 0, 3_200, 1_600]
    assert by[[2, 5, 8, 11], 1].tolist() == [1_200] * 4
    # draw: +1,500, +1,500, then March's 4,400 - 1,500 = 2,900 recovered (balance 100),
    # April (no draw month) recovers the last 100 from its 1,600
    assert by[:5, 2].tolist() == [1_500, 1_500, -2_900, -100, 0]
    assert round_money(r.by_period[0, :4]).tolist() == [1_500, 1_500, 1_500, 1_500]
    # year: 11 x 1,600 + 4 x 1,200 = 22,400; nothing owed
    assert round_money(r.total[0]) == 22_400.00
    assert r.draw_balance[0] == 0.0
    # an SDR with no logo and MBO score 0 all year keeps the 3 x 1,500 advanced, and owes it
    r = payout(p, EVEN, EVEN, [24_000], measures={"new_logos": np.zeros((1, 12)), "mbo_score": 0.0})
    assert round_money(r.total[0]) == 4_500.00
    assert round_money(r.draw_balance[0]) == 4_500.00


def test_q4_spiff_and_contest():
    p = plan("q4_spiff")
    # the commission is the baseline's, unchanged
    assert p.components[0] == plan("baseline").components[0]
    # four reps, quota $1.5M and TI $61,000 each, $1.8M booked each (120%):
    # commission (1.0 + 1.5 x 0.2) x 61,000 = 79,300
    b = np.full((4, 12), 150_000.0)
    analytics = np.zeros((4, 12))
    analytics[:, 9:] = np.array([40_000, 50_000, 30_000, 15_000])[:, None]
    # Q4 Analytics 120k, 150k, 90k, 45k: SPIFF 3% = 3,600, 4,500, 2,700, 1,350;
    # contest ranks 2, 1, 3 and the fourth is below the $50k floor
    r = payout(p, b, np.full((4, 12), 125_000.0), [61_000] * 4, measures={"analytics": analytics})
    by = round_money(r.annual_by_component)
    assert by[:, 0].tolist() == [79_300] * 4
    assert by[:, 1].tolist() == [3_600, 4_500, 2_700, 1_350]
    assert by[:, 2].tolist() == [6_000, 10_000, 4_000, 0]
    assert round_money(r.total[0]) == 88_900.00
    # the SPIFF pays in the month booked; the prizes in December
    assert round_money(r.by_component[1, 9:, 1]).tolist() == [1_500] * 3
    assert np.flatnonzero(r.by_component[1, :, 2]).tolist() == [11]
    # a tie for first: the two reps share ranks 1 and 2, (10,000 + 6,000) / 2 = 8,000 each;
    # the next rep is third (4,000); a rep at exactly $50,000 is not above the floor
    analytics[:, 9:] = np.array([50_000, 50_000, 20_000, 0])[:, None]
    analytics[3, 9] = 50_000
    r = payout(p, b, np.full((4, 12), 125_000.0), [61_000] * 4, measures={"analytics": analytics})
    assert round_money(r.annual_by_component[:, 2]).tolist() == [8_000, 8_000, 4_000, 0]
