"""Hand-worked compensation examples: small plans, a few reps, every payment to the cent.

Each test builds a small plan with ``load_plan`` from a dict, pays it with
``comp.payout`` over 12 monthly periods (4 for a few short ones) and compares the
payments per period with amounts worked out by hand in the comments, following the
rules written in the docstrings of ``spm_sim.comp`` and ``spm_sim.comp``. The
expected amounts were never copied from the code's output. The file doubles as a
book of examples of the plan mechanics.

Conventions used in the comments: ``a`` is attainment (1.0 = 100% of quota), ``u(a)``
the rate table's value at ``a`` in multiples of the component's target incentive
(TI), ``E`` the earnings to date and ``P`` what was paid to date. A month pays
``max(E, P) - P``: the cumulative true-up (never negative). Amounts are dollars.
"""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim.comp import Payout, load_plan, payout, round_money
from spm_sim.errors import DataError

# A rate table used in many examples: 1x TCR up to quota, 2x above.
BASE_AND_2X = [{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}]
FLAT = [{"start": 0.0, "rate": 1.0}]  # 1x TCR on every unit
TEN_PERCENT = [{"start": 0.0, "rate": 0.10}]  # 10 cents a dollar (rate_basis bookings)


def commission(**fields) -> dict:
    """A tcr commission component paying the whole TI, with ``fields`` changed."""
    component = {"name": "commission", "weight": 1.0, "rate_basis": "tcr", "tiers": FLAT}
    component.update(fields)
    return component


def make_plan(*components: dict, **fields):
    return load_plan({"name": "Example", "components": list(components), **fields})


def column(result: Payout, name: str) -> np.ndarray:
    """One column of the payments, rounded to cents, shape (reps, periods)."""
    return round_money(result.by_component[..., result.components.index(name)])


def check(actual, expected) -> None:
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=np.float64))


# --------------------------------------------------------------------------------------
# Rate tables
# --------------------------------------------------------------------------------------

# Three marginal bands: 0.5x up to 50%, 1.5x from 50% to 100%, 2x above.
THREE_BANDS = [
    {"start": 0.0, "end": 0.5, "rate": 0.5},
    {"start": 0.5, "end": 1.0, "rate": 1.5},
    {"start": 1.0, "rate": 2.0},
]
# Quota 1,000 a month (12,000 a year), TI 12,000; sales in Jan, Apr, Jul and Oct.
LUMPY = [[3000, 0, 0, 6000, 0, 0, 6000, 0, 0, 3000, 0, 0]]


def test_marginal_tiers():
    """Marginal: each band's rate applies only to the units inside the band."""
    plan = make_plan(commission(tiers=THREE_BANDS))
    p = payout(plan, LUMPY, [[1000] * 12], [12_000])
    # Jan: YTD 3,000 / 12,000 = 25%  -> u = 0.5 x 0.25                       = 0.125
    #      E = 0.125 x 12,000 = 1,500                                   pays 1,500.00
    # Apr: YTD 9,000 -> 75%  -> u = 0.5 x 0.5 + 1.5 x 0.25                   = 0.625
    #      E = 7,500;  7,500 - 1,500                                    pays 6,000.00
    # Jul: YTD 15,000 -> 125% -> u = 0.25 + 1.5 x 0.5 + 2 x 0.25             = 1.5
    #      E = 18,000; 18,000 - 7,500                                   pays 10,500.00
    # Oct: YTD 18,000 -> 150% -> u = 0.25 + 0.75 + 2 x 0.5                   = 2.0
    #      E = 24,000; 24,000 - 18,000                                  pays 6,000.00
    check(column(p, "commission"), [[1500, 0, 0, 6000, 0, 0, 10500, 0, 0, 6000, 0, 0]])
    assert round_money(p.total[0]) == 24_000.00


def test_an_up_to_rule_pays_the_same_written_either_way():
    """ "Up to 90%: 2%; up to 99%: 3%; above: 4%" of bookings (the user guide's example)."""
    up_to = [{"up_to": 0.9, "rate": 0.02}, {"up_to": 0.99, "rate": 0.03}, {"rate": 0.04}]
    edges = [
        {"start": 0.0, "end": 0.9, "rate": 0.02},
        {"from": 0.9, "end": 0.99, "rate": 0.03},
        {"start": 0.99, "end": None, "rate": 0.04},
    ]
    # quota 100,000 a month (1.2M a year); 125,000 a month, 1.5M in the year (125%)
    paid = [
        payout(
            make_plan(commission(rate_basis="bookings", tiers=t)),
            [[125_000] * 12],
            [[100_000] * 12],
            [60_000],
        )
        for t in (up_to, edges)
    ]
    # Jan-Aug: YTD up to 1,000,000 (83%), all in the 2% band: 125,000 x 2% = 2,500 a month
    # Sep: YTD 1,125,000 (93.75%): 1,080,000 x 2% + 45,000 x 3% = 21,600 + 1,350 = 22,950;
    #      paid 20,000 before                                        pays 2,950.00
    # Oct: YTD 1,250,000 (104.2%): 21,600 + 108,000 x 3% + 62,000 x 4%
    #      = 21,600 + 3,240 + 2,480 = 27,320                         pays 4,370.00
    # Nov, Dec: 125,000 x 4% = 5,000 each; the year pays 37,320.00
    for p in paid:
        check(column(p, "commission"), [[2500] * 8 + [2950, 4370, 5000, 5000]])
        assert round_money(p.total[0]) == 37_320.00


def test_retroactive_tiers():
    """Retroactive: the rate of the band attainment is in applies to every unit."""
    plan = make_plan(commission(tiers=THREE_BANDS, tier_method="retroactive"))
    p = payout(plan, LUMPY, [[1000] * 12], [12_000])
    # Jan: 25%  in band 1 (0.5x): u = 0.5 x 0.25 = 0.125 -> E = 1,500        pays 1,500.00
    # Apr: 75%  in band 2 (1.5x): u = 1.5 x 0.75 = 1.125 -> E = 13,500       pays 12,000.00
    # Jul: 125% in band 3 (2x):   u = 2 x 1.25   = 2.5   -> E = 30,000       pays 16,500.00
    # Oct: 150% in band 3 (2x):   u = 2 x 1.5    = 3.0   -> E = 36,000       pays 6,000.00
    check(column(p, "commission"), [[1500, 0, 0, 12000, 0, 0, 16500, 0, 0, 6000, 0, 0]])
    assert round_money(p.total[0]) == 36_000.00


def test_retroactive_versus_marginal_at_the_band_edge():
    """Same sales, two methods: retroactive jumps at 100%, marginal does not."""
    tiers = [{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 1.5}]
    marginal = make_plan(commission(tiers=tiers))
    retroactive = make_plan(commission(tiers=tiers, tier_method="retroactive"))
    # Rep A books 1,000 a month (exactly 100% in Dec); rep B books 0.01 less in Dec.
    bookings = [[1000] * 12, [1000] * 11 + [999.99]]
    quotas, ti = [[1000] * 12], [12_000, 12_000]
    # Jan..Nov: a = k/12 < 1 -> 1x on every unit either way: E = 1,000 k, pays 1,000.00
    # Rep A, Dec: a = 1.0.
    #   marginal:    u = 1 x 1.0 = 1.0   -> E = 12,000; 12,000 - 11,000     pays 1,000.00
    #   retroactive: u = 1.5 x 1.0 = 1.5 -> E = 18,000; 18,000 - 11,000     pays 7,000.00
    # Rep B, Dec: a = 11,999.99 / 12,000 just under 1 -> 1x on every unit either way:
    #   E = 11,999.99; 11,999.99 - 11,000                                   pays 999.99
    check(
        column(payout(marginal, bookings, quotas, ti), "commission"),
        [[1000] * 12, [1000] * 11 + [999.99]],
    )
    check(
        column(payout(retroactive, bookings, quotas, ti), "commission"),
        [[1000] * 11 + [7000], [1000] * 11 + [999.99]],
    )


def test_linear_pay_curve_between_points_and_beyond_the_last():
    """A pay curve interpolates between its points and continues the last slope."""
    curve = [
        {"attainment": 0.0, "payout": 0.0},
        {"attainment": 0.5, "payout": 0.25},
        {"attainment": 1.0, "payout": 1.0},
        {"attainment": 1.5, "payout": 2.0},
    ]
    plan = make_plan(commission(tiers=[], curve=curve))
    # Four periods, quota 3,000 each (12,000 a year), TI 8,000.
    p = payout(plan, [[3000, 3000, 6000, 9000], [3000, 6000, 0, 0]], [[3000] * 4], [8000, 8000])
    # Rep A
    # P1: a = 3,000/12,000 = 0.25, between (0, 0) and (0.5, 0.25): 0.125
    #     E = 0.125 x 8,000 = 1,000                                      pays 1,000.00
    # P2: a = 0.5 -> 0.25 -> E = 2,000                                   pays 1,000.00
    # P3: a = 1.0 -> 1.0  -> E = 8,000                                   pays 6,000.00
    # P4: a = 21,000/12,000 = 1.75, beyond the last point: the last slope
    #     (2.0 - 1.0) / (1.5 - 1.0) = 2 continues: 2.0 + 2 x 0.25 = 2.5
    #     E = 20,000; 20,000 - 8,000                                     pays 12,000.00
    # Rep B
    # P1: a = 0.25 -> E = 1,000                                          pays 1,000.00
    # P2: a = 0.75, between (0.5, 0.25) and (1.0, 1.0): 0.25 + 1.5 x 0.25 = 0.625
    #     E = 5,000; 5,000 - 1,000                                       pays 4,000.00
    check(column(p, "commission"), [[1000, 1000, 6000, 12000], [1000, 4000, 0, 0]])


def test_threshold_cliff_just_below_and_exactly_at():
    """Below the threshold nothing is paid; at it, everything from the first unit."""
    plan = make_plan(commission(threshold=0.5))
    bookings = [
        [2000, 2999.99, 0, 0],  # A: 4,999.99 in all, a hair under 50%
        [2000, 3000, 0, 0],  # B: exactly 50% in period 2
        [1666.67, 1666.67, 1666.66, 0],  # C: cents adding up to exactly 5,000 in period 3
    ]
    # Four periods, quota 2,500 each (10,000 a year), TI 10,000; one 1x tier.
    p = payout(plan, bookings, [[2500] * 4], [10_000] * 3)
    # A: a = 4,999.99 / 10,000 = 0.499999 < 0.5 all year                 pays 0.00
    # B: P1 a = 0.2 < 0.5 -> 0; P2 a = 5,000 / 10,000 = 0.5, at the threshold:
    #    E = 1.0 x 0.5 x 10,000 = 5,000 (from the first unit)            pays 5,000.00
    # C: P3 YTD 1,666.67 + 1,666.67 + 1,666.66 = 5,000.00 -> a = 0.5 (a float sum
    #    a hair off 0.5 still counts) -> E = 5,000                        pays 5,000.00
    check(column(p, "commission"), [[0, 0, 0, 0], [0, 5000, 0, 0], [0, 0, 5000, 0]])


def test_decelerator_tier():
    """A decelerator: above quota each unit earns half the base rate."""
    tiers = [{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 0.5}]
    plan = make_plan(commission(tiers=tiers))
    # Four periods, quota 2,500 each (10,000 a year), TI 10,000; 5,000 a period.
    p = payout(plan, [[5000] * 4], [[2500] * 4], [10_000])
    # P1: a = 0.5 -> u = 0.5                 -> E = 5,000                pays 5,000.00
    # P2: a = 1.0 -> u = 1.0                 -> E = 10,000               pays 5,000.00
    # P3: a = 1.5 -> u = 1.0 + 0.5 x 0.5 = 1.25 -> E = 12,500            pays 2,500.00
    # P4: a = 2.0 -> u = 1.0 + 0.5 x 1.0 = 1.5  -> E = 15,000            pays 2,500.00
    check(column(p, "commission"), [[5000, 5000, 2500, 2500]])


def test_two_accelerator_tiers():
    """Two accelerators: 1.5x from 100% to 125%, 2.5x above 125%."""
    tiers = [
        {"start": 0.0, "end": 1.0, "rate": 1.0},
        {"start": 1.0, "end": 1.25, "rate": 1.5},
        {"start": 1.25, "rate": 2.5},
    ]
    plan = make_plan(commission(tiers=tiers))
    # Quota 1,000 a month, TI 12,000: 1,000 a month to Oct, then 3,000 and 4,000.
    p = payout(plan, [[1000] * 10 + [3000, 4000]], [[1000] * 12], [12_000])
    # Jan..Oct: a = k/12 <= 10/12 -> E = 1,000 k                    pays 1,000.00 a month
    # Nov: YTD 13,000 -> a = 13/12 -> u = 1 + 1.5 x 1/12 = 1.125
    #      E = 13,500; 13,500 - 10,000                                   pays 3,500.00
    # Dec: YTD 17,000 -> a = 17/12 -> u = 1 + 1.5 x 0.25 + 2.5 x (17/12 - 1.25)
    #      = 1 + 0.375 + 2.5 x 2/12; E = 12,000 + 4,500 + 5,000 = 21,500
    #      21,500 - 13,500                                               pays 8,000.00
    check(column(p, "commission"), [[1000] * 10 + [3500, 8000]])


def test_attainment_cap():
    """Units beyond the attainment cap (150%) earn nothing."""
    plan = make_plan(commission(tiers=BASE_AND_2X, attainment_cap=1.5))
    # Four periods, quota 2,500 each (10,000 a year), TI 10,000.
    p = payout(plan, [[10_000, 0, 10_000, 5000]], [[2500] * 4], [10_000])
    # P1: a = 1.0                      -> u = 1.0 -> E = 10,000          pays 10,000.00
    # P2: a = 1.0 (nothing booked)     -> E = 10,000                     pays 0.00
    # P3: a = 2.0, credited 1.5        -> u = 1 + 2 x 0.5 = 2.0 -> E = 20,000
    #                                                                     pays 10,000.00
    # P4: a = 2.5, credited 1.5        -> E = 20,000                     pays 0.00
    check(column(p, "commission"), [[10_000, 0, 10_000, 0]])


def test_payout_cap():
    """The payout cap (150% of the component's TI) limits the year-to-date earnings."""
    plan = make_plan(commission(tiers=BASE_AND_2X, payout_cap=1.5))
    # Four periods, quota 2,500 each (10,000 a year), TI 10,000; cap 1.5 x 10,000 = 15,000.
    p = payout(plan, [[10_000, 0, 2000, 8000]], [[2500] * 4], [10_000])
    # P1: a = 1.0 -> E = 10,000                                          pays 10,000.00
    # P2: a = 1.0 -> E = 10,000                                          pays 0.00
    # P3: a = 1.2 -> u = 1 + 2 x 0.2 = 1.4 -> E = 14,000                 pays 4,000.00
    # P4: a = 2.0 -> u = 1 + 2 x 1.0 = 3.0 -> 30,000, capped at 15,000   pays 1,000.00
    check(column(p, "commission"), [[10_000, 0, 4000, 1000]])


# --------------------------------------------------------------------------------------
# Measurement periods and quotas
# --------------------------------------------------------------------------------------


def test_quarterly_true_up_across_a_bad_quarter():
    """Quarterly: a bad quarter pays nothing (never negative) and is made up later."""
    plan = make_plan(commission(tiers=BASE_AND_2X, period="quarter"))
    bookings = [[1500, 1500, 1500, 0, 0, 0, 1500, 1500, 1500, 0, 0, 4500]]
    # Quota 1,000 a month (3,000 a quarter), TI 12,000 (3,000 a quarter). Paid at
    # quarter ends only (Mar, Jun, Sep, Dec).
    p = payout(plan, bookings, [[1000] * 12], [12_000])
    # Mar: YTD 4,500 / YTD quota 3,000 = 1.5 -> u = 1 + 2 x 0.5 = 2.0
    #      TI to date 12,000 x 3/12 = 3,000 -> E = 6,000                 pays 6,000.00
    # Jun: YTD 4,500 / 6,000 = 0.75 -> E = 0.75 x 6,000 = 4,500 < paid 6,000
    #      (the bad quarter: nothing is paid, nothing taken back)        pays 0.00
    # Sep: YTD 9,000 / 9,000 = 1.0 -> E = 9,000; 9,000 - 6,000           pays 3,000.00
    # Dec: YTD 13,500 / 12,000 = 1.125 -> u = 1.25 -> E = 15,000
    #      15,000 - 9,000                                                pays 6,000.00
    check(column(p, "commission"), [[0, 0, 6000, 0, 0, 0, 0, 0, 3000, 0, 0, 6000]])
    # the year's total is the annual formula: 12,000 x 1.25 = 15,000.00
    assert round_money(p.total[0]) == 15_000.00


def test_monthly_measurement_keeps_a_hot_month():
    """Monthly: a hot January earns the accelerator on the month's quota; year does not."""
    monthly = make_plan(commission(tiers=BASE_AND_2X, period="month"))
    yearly = make_plan(commission(tiers=BASE_AND_2X, period="year"))
    bookings = [[2000, 0] + [1000] * 10]
    # Quota 1,000 a month, TI 12,000.
    # Monthly: a = YTD / YTD quota, TI to date = 1,000 per month elapsed.
    # Jan: 2,000 / 1,000 = 2.0 -> u = 1 + 2 x 1 = 3.0 -> E = 3 x 1,000 = 3,000
    #                                                                     pays 3,000.00
    # Feb: 2,000 / 2,000 = 1.0 -> E = 2,000 < 3,000                      pays 0.00
    # Mar: 3,000 / 3,000 = 1.0 -> E = 3,000 = paid                       pays 0.00
    # Apr..Dec: k,000 / k,000 = 1.0 -> E = 1,000 k                       pays 1,000.00 each
    p = payout(monthly, bookings, [[1000] * 12], [12_000])
    check(column(p, "commission"), [[3000, 0, 0] + [1000] * 9])
    # Year: a = YTD / 12,000, never above 1 -> E = YTD
    # Jan 2,000.00, Feb 0.00, then 1,000.00 a month; both years total 12,000.00
    p = payout(yearly, bookings, [[1000] * 12], [12_000])
    check(column(p, "commission"), [[2000, 0] + [1000] * 10])


def test_mid_year_quota_change():
    """A quota raised in July: quarterly attainment uses the YTD quota, TI to date its share."""
    quarterly = make_plan(commission(tiers=BASE_AND_2X, period="quarter"))
    yearly = make_plan(commission(tiers=BASE_AND_2X))
    quotas = [[1000] * 6 + [2000] * 6]  # 18,000 a year
    bookings = [[1500] * 12]  # 18,000: exactly 100% for the year
    # TI 18,000. Quarterly: TI to date = 18,000 x (YTD quota / 18,000) = the YTD quota.
    # Mar: 4,500 / 3,000 = 1.5 -> u = 2.0 -> E = 2 x 3,000 = 6,000        pays 6,000.00
    # Jun: 9,000 / 6,000 = 1.5 -> u = 2.0 -> E = 2 x 6,000 = 12,000       pays 6,000.00
    # Sep: 13,500 / 12,000 = 1.125 -> u = 1.25 -> E = 1.25 x 12,000 = 15,000
    #                                                                     pays 3,000.00
    # Dec: 18,000 / 18,000 = 1.0 -> E = 18,000                           pays 3,000.00
    p = payout(quarterly, bookings, quotas, [18_000])
    check(column(p, "commission"), [[0, 0, 6000, 0, 0, 6000, 0, 0, 3000, 0, 0, 3000]])
    # Year: a = YTD / 18,000 <= 1 -> E = YTD                             pays 1,500.00 a month
    p = payout(yearly, bookings, quotas, [18_000])
    check(column(p, "commission"), [[1500] * 12])


def test_mid_year_hire_with_draw_in_active_months_only():
    """A July hire: zero quota before, TI prorated by the caller, a draw from July."""
    plan = make_plan(commission(), draw={"amount": 1000, "recoverable": True})
    quotas = [[0] * 6 + [1000] * 6]  # 6,000 for the year
    ti = [12_000 * 6 / 12]  # 6,000, prorated by the caller
    active = [[0] * 6 + [1] * 6]
    bookings = [[0] * 6 + [0, 1500, 1500, 1000, 1000, 1000]]
    p = payout(plan, bookings, quotas, ti, active=active)
    # Commission, a = YTD / 6,000, E = 6,000 a = YTD:
    # Jul 0; Aug 1,500; Sep 1,500; Oct..Dec 1,000 each.
    check(column(p, "commission"), [[0] * 6 + [0, 1500, 1500, 1000, 1000, 1000]])
    # Draw of 1,000 a month, only in active months (none Jan..Jun):
    # Jul: earned 0    -> tops up 1,000, balance 1,000                   draw 1,000.00
    # Aug: earned 1,500 -> recovers min(1,500 - 1,000, 1,000) = 500, balance 500
    #                                                                     draw -500.00
    # Sep: earned 1,500 -> recovers min(500, 500) = 500, balance 0       draw -500.00
    # Oct..Dec: earned 1,000 = the draw, nothing owed                    draw 0.00
    check(column(p, "draw"), [[0] * 6 + [1000, -500, -500, 0, 0, 0]])
    check(round_money(p.draw_balance), [0.0])


def test_zero_quota_rep_gets_zeros():
    """A rep with no quota for the year is paid nothing in any column, draw included."""
    plan = make_plan(
        commission(),
        {"name": "club", "type": "bonus", "milestones": [{"attainment": 1.0, "amount": 500}]},
        {"name": "push", "type": "spiff", "start_month": 1, "end_month": 12, "rate": 0.01},
        draw={"amount": 300, "recoverable": True},
    )
    quotas = [[1000] * 12, [0] * 12]
    p = payout(plan, [[1000] * 12, [1000] * 12], quotas, [12_000, 12_000])
    # Rep A (quota 1,000 a month, TI 12,000): commission E = YTD -> 1,000.00 a month;
    # the club bonus at 100% in Dec: 500.00; SPIFF 1% x 1,000 = 10.00 a month;
    # earnings >= the 300 draw every month -> draw 0.00.
    check(column(p, "commission")[0], [1000] * 12)
    check(column(p, "club")[0], [0] * 11 + [500])
    check(column(p, "push")[0], [10] * 12)
    check(column(p, "draw")[0], [0] * 12)
    # Rep B (quota 0): no attainment, every column 0.00, no draw owed, attainment NaN.
    check(round_money(p.by_component[1]), np.zeros((12, 4)))
    check(round_money(p.draw_balance), [0.0, 0.0])
    assert np.isnan(p.attainment[1])


# --------------------------------------------------------------------------------------
# Gates and multipliers
# --------------------------------------------------------------------------------------

NEW_LOGOS = {"name": "new_logos", "kind": "new_logos", "quota_per_rep": 12}  # 1 a month
PLATFORM = {"name": "platform", "product": "Platform", "quota_share": 0.25}


def test_gate_on_the_whole_component_met_and_not_met():
    """Gate on the component: nothing until YTD new logos reach 50% of the annual 12."""
    gate = {"measure": "new_logos", "min_attainment": 0.5}
    plan = make_plan(commission(gate=gate), measures=[NEW_LOGOS])
    logos = [[1] * 6 + [0] * 6, [1, 0] * 5 + [0, 0]]  # A: 6 by June; B: 5 all year
    # Both book 1,000 a month; quota 1,000 a month, TI 12,000 -> E = YTD bookings.
    p = payout(plan, [[1000] * 12] * 2, [[1000] * 12], [12_000] * 2, measures={"new_logos": logos})
    # Gate (year period): YTD logos / 12 >= 0.5, i.e. 6 logos.
    # A: Jan..May 1..5 logos < 6 -> E = 0                                pays 0.00
    #    Jun: 6 logos -> met; E = 6,000 (the catch-up)                   pays 6,000.00
    #    Jul..Dec: E = 7,000 .. 12,000                                   pays 1,000.00 each
    # B: 5 logos at most -> never met                                    pays 0.00
    check(column(p, "commission"), [[0] * 5 + [6000] + [1000] * 6, [0] * 12])


def test_gate_on_accelerators_only():
    """Gate on accelerators: below the gate, tiers from 100% pay the base rate."""
    gate = {"measure": "new_logos", "min_attainment": 1.0, "applies_to": "accelerators"}
    plan = make_plan(commission(tiers=BASE_AND_2X, gate=gate), measures=[NEW_LOGOS])
    logos = [[1] * 9 + [3, 0, 0], [1] * 11 + [0]]  # A: 12 by October; B: 11 all year
    # Both book 1,500 a month; quota 1,000 a month, TI 12,000 -> a = k x 1,500 / 12,000 = k/8.
    p = payout(plan, [[1500] * 12] * 2, [[1000] * 12], [12_000] * 2, measures={"new_logos": logos})
    # Gate: YTD logos / 12 >= 1.0, i.e. 12 logos.
    # A: Jan..Aug: a <= 1 -> E = 1,500 k                                 pays 1,500.00 each
    #    Sep: a = 1.125, 9 logos (gate not met) -> the 2x tier pays 1x:
    #         E = 1.125 x 12,000 = 13,500                                pays 1,500.00
    #    Oct: a = 1.25, 12 logos (met) -> u = 1 + 2 x 0.25 = 1.5 -> E = 18,000
    #         18,000 - 13,500                                            pays 4,500.00
    #    Nov: a = 1.375 -> u = 1.75 -> E = 21,000                        pays 3,000.00
    #    Dec: a = 1.5   -> u = 2.0  -> E = 24,000                        pays 3,000.00
    # B: 11 logos, never met -> 1x on everything: E = 1,500 k            pays 1,500.00 each
    check(
        column(p, "commission"),
        [[1500] * 9 + [4500, 3000, 3000], [1500] * 12],
    )


def test_multiplier_steps_from_a_second_measure():
    """Multiplier: earnings x 0.8 / 1.0 / 1.2 by YTD platform attainment (<50/50/100%)."""
    multiplier = {
        "measure": "platform",
        "levels": [
            {"attainment": 0.0, "factor": 0.8},
            {"attainment": 0.5, "factor": 1.0},
            {"attainment": 1.0, "factor": 1.2},
        ],
    }
    plan = make_plan(commission(multiplier=multiplier), measures=[PLATFORM])
    platform = [[0, 0, 0, 750, 750, 0, 0, 0, 750, 750, 0, 0]]
    # Quota 1,000 a month, TI 12,000, 1,000 booked a month -> before the factor E = 1,000 k.
    # Platform quota 0.25 x 1,000 = 250 a month, 3,000 a year (year period).
    p = payout(plan, [[1000] * 12], [[1000] * 12], [12_000], measures={"platform": platform})
    # Jan..Apr: platform YTD <= 750 / 3,000 = 25% -> x 0.8:
    #     E = 800, 1,600, 2,400, 3,200                                   pays 800.00 each
    # May: 1,500 / 3,000 = 50% -> x 1.0: E = 5,000; 5,000 - 3,200       pays 1,800.00
    # Jun..Sep: x 1.0: E = 6,000 .. 9,000                                pays 1,000.00 each
    # Oct: 3,000 / 3,000 = 100% -> x 1.2: E = 12,000; 12,000 - 9,000    pays 3,000.00
    # Nov, Dec: x 1.2: E = 13,200, 14,400                                pays 1,200.00 each
    check(
        column(p, "commission"),
        [[800, 800, 800, 800, 1800, 1000, 1000, 1000, 1000, 3000, 1200, 1200]],
    )


# --------------------------------------------------------------------------------------
# Bonuses, MBOs, SPIFFs and contests
# --------------------------------------------------------------------------------------


def test_quota_bonus_milestones_same_month_and_later():
    """Quota bonus: two milestones reached in July pay together; the third pays in Dec."""
    bonus = {
        "name": "club",
        "type": "bonus",
        "milestones": [
            {"attainment": 1.0, "amount": 1000},
            {"attainment": 1.25, "share_of_ti": 0.1},
            {"attainment": 1.5, "amount": 2000},
        ],
    }
    plan = make_plan(commission(), bonus)
    bookings = [[1000] * 6 + [9000] + [0] * 4 + [3000]]
    # Quota 1,000 a month (12,000 a year), TI 12,000.
    p = payout(plan, bookings, [[1000] * 12], [12_000])
    # Jul: YTD 15,000 / 12,000 = 125% -> 100% milestone 1,000 + 125% milestone
    #      0.1 x 12,000 = 1,200                                          pays 2,200.00
    # Dec: YTD 18,000 -> 150% -> 150% milestone                          pays 2,000.00
    check(column(p, "club"), [[0] * 6 + [2200] + [0] * 4 + [2000]])
    # Commission (1x): E = YTD -> 1,000.00 Jan..Jun, 9,000.00 Jul, 3,000.00 Dec
    check(column(p, "commission"), [[1000] * 6 + [9000] + [0] * 4 + [3000]])


MBO_LEVELS = [
    {"score": 0.0, "payout": 0.0},
    {"score": 0.8, "payout": 0.5},
    {"score": 1.0, "payout": 1.0},
    {"score": 1.2, "payout": 1.5},
]


def mbo_plan():
    return make_plan(
        commission(weight=0.8),
        {"name": "mbo", "type": "mbo", "measure": "score", "weight": 0.2, "levels": MBO_LEVELS},
        measures=[{"name": "score", "kind": "score"}],
    )


def test_mbo_discrete_levels_per_quarter():
    """MBO: each quarter end reads that month's score and pays its level."""
    # Only the scores of Mar, Jun, Sep, Dec count; the others are there to be ignored.
    scores = [[1.5, 1.5, 0.7, 0, 0, 0.8, 0, 0, 1.1, 0, 0, 1.2]]
    p = payout(mbo_plan(), [[1000] * 12], [[1000] * 12], [12_000], measures={"score": scores})
    # Quarter target = 0.2 x 12,000 x 3/12 = 600.
    # Mar 0.7 -> level 0 (0x)                                            pays 0.00
    # Jun 0.8 -> level 0.8 (0.5x): 300                                   pays 300.00
    # Sep 1.1 -> level 1.0 (1.0x): 600                                   pays 600.00
    # Dec 1.2 -> level 1.2 (1.5x): 900                                   pays 900.00
    check(column(p, "mbo"), [[0, 0, 0, 0, 0, 300, 0, 0, 600, 0, 0, 900]])
    # Commission (weight 0.8): E = 0.8 x 12,000 x YTD / 12,000 -> 800.00 a month
    check(column(p, "commission"), [[800] * 12])


def test_mbo_prorated_by_active_months_for_a_may_hire():
    """MBO for a May hire: each quarter's share is its active months over the year's 8."""
    quotas = [[0] * 4 + [1000] * 8]  # 8,000 for the year
    ti = [12_000 * 8 / 12]  # 8,000, prorated by the caller
    active = [[0] * 4 + [1] * 8]
    scores = [[1.0] * 12]
    bookings = [[0] * 4 + [1000] * 8]
    p = payout(mbo_plan(), bookings, quotas, ti, measures={"score": scores}, active=active)
    # MBO target for the year 0.2 x 8,000 = 1,600; score 1.0 -> 1.0x.
    # Q1: 0 active months of 8 -> 0                                      pays 0.00
    # Q2: May, Jun = 2 of 8 -> 1,600 x 2/8                               pays 400.00
    # Q3: 3 of 8 -> 1,600 x 3/8                                          pays 600.00
    # Q4: 3 of 8                                                         pays 600.00
    check(column(p, "mbo"), [[0, 0, 0, 0, 0, 400, 0, 0, 600, 0, 0, 600]])
    # Commission: 0.8 x 8,000 x YTD / 8,000 = 0.8 x YTD -> 800.00 a month from May
    check(column(p, "commission"), [[0] * 4 + [800] * 8])


def test_spiff_on_a_product_in_a_q4_window():
    """SPIFF: 5 cents per platform dollar booked in Oct..Dec, paid in the month booked."""
    spiff = {
        "name": "q4_platform",
        "type": "spiff",
        "measure": "platform",
        "start_month": 10,
        "end_month": 12,
        "rate": 0.05,
    }
    plan = make_plan(commission(), spiff, measures=[PLATFORM])
    platform = [[400, 0, 0, 0, 0, 0, 0, 0, 1000, 2000, 0, 1234.56]]
    p = payout(plan, [[2000] * 12], [[1000] * 12], [12_000], measures={"platform": platform})
    # Jan 400 and Sep 1,000 are outside the window                       pay 0.00
    # Oct: 0.05 x 2,000                                                  pays 100.00
    # Nov: nothing booked                                                pays 0.00
    # Dec: 0.05 x 1,234.56 = 61.728                                      pays 61.73
    check(column(p, "q4_platform"), [[0] * 9 + [100, 0, 61.73]])


def test_contest_ranks_ties_and_min_total():
    """Contests: prizes by rank at the window's end, ties share, min_total excludes."""
    plan = make_plan(
        {
            "name": "q1_race",
            "type": "contest",
            "start_month": 1,
            "end_month": 3,
            "prizes": [1000, 600, 200],
        },
        {
            "name": "q4_race",
            "type": "contest",
            "start_month": 10,
            "end_month": 12,
            "prizes": [500, 300],
            "min_total": 2000,
        },
    )
    nothing = [0] * 6  # Apr..Sep
    bookings = [
        [5000, 0, 0] + nothing + [1000, 1000, 0],  # A: Q1 5,000; Q4 2,000
        [1000, 1000, 1000] + nothing + [3000, 0, 0],  # B: Q1 3,000; Q4 3,000
        [0, 0, 3000] + nothing + [0, 0, 2000.01],  # C: Q1 3,000; Q4 2,000.01
    ]
    p = payout(plan, bookings, [[1000] * 12], [12_000] * 3)
    # Q1 race, paid in Mar: A 5,000 first -> 1,000.00; B and C tie on 3,000 for
    # ranks 2 and 3 -> (600 + 200) / 2 = 400.00 each.
    check(column(p, "q1_race")[:, 2], [1000, 400, 400])
    # Q4 race, paid in Dec, only totals above 2,000 can win: A (exactly 2,000) is out;
    # B 3,000 first -> 500.00; C 2,000.01 second -> 300.00.
    check(column(p, "q4_race")[:, 11], [0, 500, 300])
    # nothing else is paid in any month
    assert round_money(p.total).tolist() == [1000.0, 900.0, 700.0]


# --------------------------------------------------------------------------------------
# Draws and clawbacks
# --------------------------------------------------------------------------------------


def test_recoverable_draw_recovered_over_three_months():
    """Recoverable draw of 1,000 a month: tops up, then recovered from earnings above it."""
    plan = make_plan(
        commission(rate_basis="bookings", tiers=TEN_PERCENT),
        draw={"amount": 1000, "recoverable": True},
    )
    bookings = [
        [0, 0, 0, 20_000, 25_000, 18_000] + [12_000] * 6,
        [0, 0, 0, 15_000, 15_000] + [10_000] * 7,
    ]
    p = payout(plan, bookings, [[10_000] * 12], [12_000] * 2)
    # Commission = 10% of each month's bookings.
    check(
        column(p, "commission"),
        [[0, 0, 0, 2000, 2500, 1800] + [1200] * 6, [0, 0, 0, 1500, 1500] + [1000] * 7],
    )
    # Rep A: Jan..Mar earn 0 -> draw 1,000 each, balance 3,000
    #   Apr: earns 2,000 -> recovers min(2,000 - 1,000, 3,000) = 1,000, balance 2,000
    #   May: earns 2,500 -> recovers min(1,500, 2,000) = 1,500, balance 500
    #   Jun: earns 1,800 -> recovers min(800, 500) = 500, balance 0
    #   Jul..Dec: earns 1,200, nothing owed                              draw 0.00
    # Rep B: Jan..Mar 1,000 each, balance 3,000
    #   Apr, May: earn 1,500 -> recover 500 each, balance 2,000
    #   Jun..Dec: earn 1,000 = the draw, nothing recovered; 2,000 owed at year end
    check(
        column(p, "draw"),
        [
            [1000, 1000, 1000, -1000, -1500, -500] + [0] * 6,
            [1000, 1000, 1000, -500, -500] + [0] * 7,
        ],
    )
    check(round_money(p.draw_balance), [0, 2000])
    # what A receives: 1,000 x 5, then 1,300 in Jun, then 1,200
    check(round_money(p.by_period[0]), [1000] * 5 + [1300] + [1200] * 6)


def test_non_recoverable_draw():
    """Non-recoverable draw (half the monthly TI): a guarantee, never taken back."""
    plan = make_plan(
        commission(rate_basis="bookings", tiers=TEN_PERCENT),
        draw={"share_of_ti": 0.5, "recoverable": False},
    )
    bookings = [[0, 4000, 15_000, 0, 10_000, 20_000, 5000] + [10_000] * 5]
    # TI 24,000 -> monthly TI 2,000 -> draw 0.5 x 2,000 = 1,000 a month.
    p = payout(plan, bookings, [[10_000] * 12], [24_000])
    # earned (10%):  0, 400, 1,500, 0, 1,000, 2,000, 500, then 1,000
    # draw top-up:   1,000, 600, 0, 1,000, 0, 0, 500, then 0 (the 1,500 and 2,000
    #                months keep all of it: nothing is recovered)
    check(column(p, "draw"), [[1000, 600, 0, 1000, 0, 0, 500] + [0] * 5])
    check(round_money(p.by_period), [[1000, 1000, 1500, 1000, 1000, 2000] + [1000] * 6])
    assert p.draw_balance is None


def test_clawback_of_commission_after_payout():
    """A January deal cancelled in March: its commission is taken back in March."""
    plan = make_plan(
        commission(rate_basis="bookings", tiers=TEN_PERCENT),
        {"name": "push", "type": "spiff", "start_month": 1, "end_month": 12, "rate": 0.01},
        clawback={"window_days": 90},
    )
    bookings = [[10_000, 0, 5000] + [0] * 9]
    cancellations = [[0, 0, 10_000] + [0] * 9]  # the January deal, cancelled in March
    p = payout(plan, bookings, [[10_000] * 12], [12_000], cancellations={"bookings": cancellations})
    # Jan: 10% x 10,000                                                  pays 1,000.00
    # Mar: as if not cancelled, E' = 10% x 15,000 = 1,500 -> commission 1,500 - 1,000
    #                                                                    pays 500.00
    #      net of the cancellation E = 10% x 5,000 = 500; the cancellation took
    #      1,500 - 500 = 1,000 off the earnings                          clawback -1,000.00
    check(column(p, "commission"), [[1000, 0, 500] + [0] * 9])
    check(column(p, "clawback"), [[0, 0, -1000] + [0] * 9])
    # The SPIFF (1 cent a dollar, all year) is paid when booked and not clawed back:
    # Jan 0.01 x 10,000 = 100.00; Mar 0.01 x 5,000 = 50.00
    check(column(p, "push"), [[100, 0, 50] + [0] * 9])
    # the commission nets 1,000 + 500 - 1,000 = 500.00 = 10% of the 5,000 that stayed
    # booked; with the SPIFF's 150.00 the year pays 650.00
    assert round_money(p.total[0]) == 650.00
    assert round_money(p.annual_bookings[0]) == 5000.00


# --------------------------------------------------------------------------------------
# Combinations
# --------------------------------------------------------------------------------------


def test_combination_quarterly_gate_multiplier_and_bonus():
    """Quarterly commission with a logo gate and a platform multiplier, plus a quota bonus."""
    plan = make_plan(
        commission(
            tiers=BASE_AND_2X,
            period="quarter",
            gate={"measure": "new_logos", "min_attainment": 0.5},
            multiplier={
                "measure": "platform",
                "levels": [{"attainment": 0.0, "factor": 0.9}, {"attainment": 1.0, "factor": 1.1}],
            },
        ),
        {"name": "club", "type": "bonus", "milestones": [{"attainment": 1.0, "amount": 1500}]},
        measures=[
            {"name": "new_logos", "kind": "new_logos", "quota_per_rep": 4},  # 1 a quarter
            PLATFORM,  # 250 a month
        ],
    )
    bookings = [[1000, 1000, 1000, 1500, 1000, 500, 1500, 1500, 1500, 2000, 1500, 1000]]
    logos = [[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0]]
    platform = [[0, 0, 0, 1500, 0, 0, 0, 0, 0, 1500, 0, 0]]
    # Quota 1,000 a month, TI 12,000.
    p = payout(
        plan,
        bookings,
        [[1000] * 12],
        [12_000],
        measures={"new_logos": logos, "platform": platform},
    )
    # At each quarter end, YTD over YTD quota:
    #        bookings            logos (gate 50%)  platform (x0.9 / x1.1)
    # Mar:  3,000/3,000 = 1.0    0/1 = 0   shut    0/750     -> 0.9
    # Jun:  6,000/6,000 = 1.0    1/2 = 0.5 open    1,500/1,500 -> 1.1
    # Sep: 10,500/9,000 = 7/6    1/3      shut     1,500/2,250 -> 0.9
    # Dec: 15,000/12,000 = 1.25  3/4      open     3,000/3,000 -> 1.1
    # Mar: gate shut -> E = 0                                            pays 0.00
    # Jun: u = 1.0, TI to date 6,000 -> 6,000 x 1.1 = 6,600              pays 6,600.00
    # Sep: gate shut -> E = 0 < paid 6,600                               pays 0.00
    # Dec: u = 1 + 2 x 0.25 = 1.5, TI 12,000 -> 18,000 x 1.1 = 19,800
    #      19,800 - 6,600                                                pays 13,200.00
    check(column(p, "commission"), [[0, 0, 0, 0, 0, 6600, 0, 0, 0, 0, 0, 13_200]])
    # Club bonus on YTD bookings / 12,000: YTD reaches 12,500 in Oct     pays 1,500.00
    check(column(p, "club"), [[0] * 9 + [1500, 0, 0]])
    assert round_money(p.total[0]) == 21_300.00


def test_combination_threshold_payout_cap_mbo_and_ramp_draw():
    """Quarterly commission with threshold and payout cap, an MBO, a Q1 ramp draw."""
    plan = make_plan(
        commission(
            weight=0.8,
            period="quarter",
            threshold=0.5,
            payout_cap=2.0,
            tiers=[{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 3.0}],
        ),
        {"name": "mbo", "type": "mbo", "measure": "score", "weight": 0.2, "levels": MBO_LEVELS},
        measures=[{"name": "score", "kind": "score"}],
        draw={"amount": 800, "recoverable": True, "months": [1, 2, 3]},
    )
    bookings = [[0, 600, 600, 3000, 3000, 1800, 0, 0, 0, 1000, 1000, 1600]]
    scores = [[0, 0, 1.0, 0, 0, 0.5, 0, 0, 1.2, 0, 0, 1.0]]
    # Quota 1,000 a month, TI 12,000: commission TI 9,600 (2,400 a quarter to date),
    # MBO target 0.2 x 12,000 x 3/12 = 600 a quarter.
    p = payout(plan, bookings, [[1000] * 12], [12_000], measures={"score": scores})
    # Commission:
    # Mar: 1,200 / 3,000 = 0.4 < threshold 0.5                           pays 0.00
    # Jun: 9,000 / 6,000 = 1.5 -> u = 1 + 3 x 0.5 = 2.5; TI to date 4,800 -> 12,000,
    #      capped at 2.0 x 4,800 = 9,600 (the cap on the TI to date)     pays 9,600.00
    # Sep: 9,000 / 9,000 = 1.0 -> E = 7,200 < paid 9,600                 pays 0.00
    # Dec: 12,600 / 12,000 = 1.05 -> u = 1 + 3 x 0.05 = 1.15 -> E = 9,600 x 1.15
    #      = 11,040 (cap 19,200); 11,040 - 9,600                         pays 1,440.00
    check(column(p, "commission"), [[0, 0, 0, 0, 0, 9600, 0, 0, 0, 0, 0, 1440]])
    # MBO: Mar 1.0 -> 600; Jun 0.5 -> 0; Sep 1.2 -> 1.5 x 600 = 900; Dec 1.0 -> 600
    check(column(p, "mbo"), [[0, 0, 600, 0, 0, 0, 0, 0, 900, 0, 0, 600]])
    # Draw of 800 in Jan..Mar only:
    # Jan: earned 0 -> 800 (balance 800); Feb: 800 (1,600); Mar: earned 600 -> 200
    # (1,800). Apr, May: no draw month, nothing earned. Jun: earned 9,600 with no
    # draw due -> recovers min(9,600, 1,800) = 1,800, balance 0.
    check(column(p, "draw"), [[800, 800, 200, 0, 0, -1800] + [0] * 6])
    check(round_money(p.draw_balance), [0.0])
    # paid in the year: 9,600 + 1,440 + 600 + 900 + 600 = 13,140.00 (the draw nets out)
    assert round_money(p.total[0]) == 13_140.00


def test_combination_retroactive_attainment_cap_and_clawback():
    """Retroactive tiers capped at 150% with a clawback: what a cancellation takes back."""
    plan = make_plan(
        commission(
            tier_method="retroactive",
            attainment_cap=1.5,
            tiers=[
                {"start": 0.0, "end": 1.0, "rate": 1.0},
                {"start": 1.0, "end": 1.5, "rate": 1.5},
            ],
        ),
        clawback={"window_days": 90},
    )
    bookings = [[1000] * 11 + [3000], [1000] * 11 + [8000]]
    cancellations = [[0] * 11 + [2000], [0] * 11 + [1000]]  # earlier deals, cancelled in Dec
    # Quota 1,000 a month (12,000), TI 12,000.
    p = payout(
        plan, bookings, [[1000] * 12], [12_000] * 2, cancellations={"bookings": cancellations}
    )
    # Jan..Nov, both: a = k/12 < 1 -> 1x -> E = 1,000 k                  pays 1,000.00 each
    # Rep A, Dec: as if not cancelled YTD 14,000 -> a = 7/6 in the 1.5x band:
    #   E' = 1.5 x 7/6 x 12,000 = 21,000; 21,000 - 11,000                pays 10,000.00
    #   net YTD 12,000 -> a = 1.0, still 1.5x: E = 18,000; the cancellation
    #   took 21,000 - 18,000 = 3,000 off the earnings                    clawback -3,000.00
    # Rep B, Dec: as if not cancelled YTD 19,000 -> a = 1.58, credited 1.5:
    #   E' = 1.5 x 1.5 x 12,000 = 27,000; 27,000 - 11,000                pays 16,000.00
    #   net YTD 18,000 -> a = 1.5 -> E = 27,000: the cancelled units were above the
    #   cap and earned nothing                                           clawback 0.00
    check(column(p, "commission"), [[1000] * 11 + [10_000], [1000] * 11 + [16_000]])
    check(column(p, "clawback"), [[0] * 11 + [-3000], [0] * 12])
    check(round_money(p.total), [18_000, 27_000])


# --------------------------------------------------------------------------------------
# Rules the first kernel got wrong or left unwritten, pinned after the fix
# --------------------------------------------------------------------------------------


def test_mbo_with_a_year_period_pays_once_in_december():
    """An annual MBO reads December's score and pays the whole year's MBO target then."""
    plan = make_plan(
        commission(weight=0.8),
        {
            "name": "mbo",
            "type": "mbo",
            "measure": "score",
            "weight": 0.2,
            "period": "year",
            "levels": MBO_LEVELS,
        },
        measures=[{"name": "score", "kind": "score"}],
    )
    scores = [[1.0] * 11 + [1.2]]
    p = payout(plan, [[1000] * 12], [[1000] * 12], [12_000], measures={"score": scores})
    # One period, the year, ending in Dec: score 1.2 -> 1.5x;
    # 0.2 x 12,000 x 12/12 x 1.5 = 3,600.00 in Dec, nothing before.
    # (The kernel pays 0.2 x 12,000 x 1/12 x 1.0 = 200.00 in each of Jan..Nov and
    # 0.2 x 12,000 x 1/12 x 1.5 = 300.00 in Dec: 2,500.00 for the year.)
    check(column(p, "mbo"), [[0] * 11 + [3600]])


def test_quarterly_clawback_is_taken_back_at_the_quarter_end():
    """A March deal paid at the Q1 close and cancelled in April is clawed back at Q2's end."""
    plan = make_plan(
        commission(rate_basis="bookings", tiers=TEN_PERCENT, period="quarter"),
        clawback={"window_days": 90},
    )
    bookings = [[0, 0, 10_000] + [0] * 9]
    cancellations = [[0, 0, 0, 10_000] + [0] * 8]
    p = payout(plan, bookings, [[10_000] * 12], [12_000], cancellations={"bookings": cancellations})
    # Mar (quarter end): 10% x 10,000                                    pays 1,000.00
    # Apr: the deal is cancelled; a quarterly component settles at the quarter end
    #      (Clawback docstring), so its 1,000 is taken back in June   clawback -1,000.00
    check(column(p, "commission"), [[0, 0, 1000] + [0] * 9])
    check(column(p, "clawback"), [[0] * 5 + [-1000] + [0] * 6])


def test_clawback_takes_back_commission_and_the_quota_bonus_it_undoes():
    """A cancellation that drops the rep back under 100% takes back the club bonus too."""
    plan = make_plan(
        commission(),
        {"name": "club", "type": "bonus", "milestones": [{"attainment": 1.0, "amount": 1000}]},
        clawback={"window_days": 90},
    )
    bookings = [[1000] * 10 + [2000, 0]]
    cancellations = [[0] * 11 + [1000]]  # an earlier deal, cancelled in Dec
    p = payout(plan, bookings, [[1000] * 12], [12_000], cancellations={"bookings": cancellations})
    # Quota 1,000 a month, TI 12,000, 1x -> E = YTD.
    # Nov: YTD 12,000 = 100% -> commission 2,000.00 and the club bonus 1,000.00
    # Dec: net YTD 11,000 -> E = 11,000; the cancellation took 1,000 of commission
    #      off the earnings, and the rep is back under 100%, so the club bonus it
    #      paid goes too (Clawback docstring)                             clawback -2,000.00
    check(column(p, "commission"), [[1000] * 10 + [2000, 0]])
    check(column(p, "club"), [[0] * 10 + [1000, 0]])
    check(column(p, "clawback"), [[0] * 11 + [-2000]])


# --------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------


def test_nan_bookings_are_refused_with_their_index():
    """A NaN in the bookings is a DataError naming the input and the index."""
    bookings = [[1000] * 12, [1000] * 4 + [np.nan] + [1000] * 7]
    with pytest.raises(DataError, match=r"bookings must be finite.*at index \(1, 4\)"):
        payout(make_plan(commission()), bookings, [[1000] * 12], [12_000] * 2)


def test_negative_bookings_are_refused_with_their_index():
    """A negative booking is a DataError naming the value and the index."""
    bookings = [[1000, 1000, -5] + [1000] * 9]
    with pytest.raises(DataError, match=r"bookings .*found -5\.0 at index \(0, 2\)"):
        payout(make_plan(commission()), bookings, [[1000] * 12], [12_000])


def test_negative_measure_units_are_refused_with_the_measure_name():
    """A negative unit of a declared measure is a DataError naming the measure."""
    plan = make_plan(commission(), measures=[NEW_LOGOS])
    logos = [[1] * 7 + [-1] + [1] * 4]
    with pytest.raises(DataError, match=r"measures\['new_logos'\].*index \(0, 7\)"):
        payout(plan, [[1000] * 12], [[1000] * 12], [12_000], measures={"new_logos": logos})


def test_missing_plan_measure_is_refused_by_name():
    """A measure the plan pays on but measures= lacks is a DataError naming it."""
    gate = {"measure": "new_logos", "min_attainment": 0.5}
    plan = make_plan(commission(gate=gate), measures=[NEW_LOGOS])
    with pytest.raises(DataError, match=r"measure 'new_logos' but measures= has no"):
        payout(plan, [[1000] * 12], [[1000] * 12], [12_000])


def test_cancellations_without_a_clawback_rule_are_refused():
    """Cancellations for a plan without a clawback rule are a ValueError, not ignored."""
    cancellations = {"bookings": [[0, 0, 500] + [0] * 9]}
    with pytest.raises(ValueError, match=r"has no clawback rule"):
        payout(
            make_plan(commission()),
            [[1000] * 12],
            [[1000] * 12],
            [12_000],
            cancellations=cancellations,
        )


def test_draw_share_of_ti_for_a_mid_year_hire_is_the_full_monthly_draw():
    """A July hire's share_of_ti draw is the same per month as a full-year rep's."""
    plan = make_plan(
        commission(rate_basis="bookings", tiers=TEN_PERCENT),
        draw={"share_of_ti": 0.5, "recoverable": False},
    )
    active = [[0] * 6 + [1] * 6]
    quotas = [[0] * 6 + [10_000] * 6]
    # TI 12,000 a year, prorated by the caller to 6,000 for six months; the draw is
    # 0.5 x 6,000 / 6 months employed = 500.00 a month, as 0.5 x 12,000 / 12 would be.
    p = payout(plan, [[0] * 12], quotas, [6_000], active=active)
    check(column(p, "draw"), [[0] * 6 + [500] * 6])
