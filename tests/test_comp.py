"""Tests of spm_sim.comp: plan validation, the payout kernel and sample plans.

Expected amounts in the worked examples are computed by hand in the comments,
never copied from the code's output.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pydantic
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from spm_sim._comp.components import MAX_MONEY, MAX_UNITS
from spm_sim._comp.kernel import MAX_PAYMENT, MAX_PERIOD_UNITS
from spm_sim.comp import (
    PLAN_SCHEMA_PATH,
    Component,
    Plan,
    Tier,
    load_plan,
    payout,
    payout_curve,
    plan_json_schema,
    plan_metrics,
    plan_rules,
    round_money,
    standard_plan,
)
from spm_sim.errors import DataError, PlanError, PlausibilityWarning, strict_checks

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


@pytest.fixture(scope="module")
def baseline() -> Plan:
    return load_plan(PLANS / "baseline.yaml")


@pytest.fixture(scope="module")
def accelerated() -> Plan:
    return load_plan(PLANS / "accelerated.yaml")


def annual(plan: Plan, bookings: float, quota: float, ti: float) -> float:
    """Year payout in cents for one rep with everything booked in one period."""
    return round_money(payout(plan, [[bookings]], [[quota]], [ti]).total[0])


def one_component(**fields) -> dict:
    component = {
        "name": "bookings",
        "weight": 1.0,
        "rate_basis": "tcr",
        "tiers": [{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}],
    }
    component.update(fields)
    return component


def plan_of(*components: dict, **fields) -> dict:
    return {"name": "Test plan", "components": list(components), **fields}


#: "Up to 90%: 2%, up to 99%: 3%, above: 4%" of bookings, in the three spellings.
BOOKINGS_TIERS = [
    {"start": 0.0, "end": 0.9, "rate": 0.02},
    {"start": 0.9, "end": 0.99, "rate": 0.03},
    {"start": 0.99, "end": None, "rate": 0.04},
]
UP_TO_TIERS = [{"up_to": 0.9, "rate": 0.02}, {"up_to": 0.99, "rate": 0.03}, {"rate": 0.04}]
FROM_TIERS = [
    {"from": 0.0, "end": 0.9, "rate": 0.02},
    {"from": 0.9, "end": 0.99, "rate": 0.03},
    {"from": 0.99, "rate": 0.04},
]


# --------------------------------------------------------------------------------------
# Worked examples, to the cent
# --------------------------------------------------------------------------------------


def test_baseline_above_quota(baseline):
    # quota $1,000,000, TI $60,000, bookings $1,250,000 -> attainment 1.25
    # tier 0-1.0 at 1.0x TCR: 60,000 * 1.0 * 1.00 = 60,000
    # tier 1.0-1.5 at 1.5x:   60,000 * 1.5 * 0.25 = 22,500
    # total 82,500.00
    assert annual(baseline, 1_250_000, 1_000_000, 60_000) == 82_500.00


def test_baseline_below_threshold_pays_nothing(baseline):
    # 499,999.99 / 1,000,000 = 0.49999999 < threshold 0.5 -> 0
    assert annual(baseline, 499_999.99, 1_000_000, 60_000) == 0.0


def test_baseline_at_threshold_pays_from_first_dollar(baseline):
    # attainment exactly 0.5 -> the cliff is reached and all of it is paid:
    # 60,000 * 1.0 * 0.5 = 30,000.00
    assert annual(baseline, 500_000, 1_000_000, 60_000) == 30_000.00


def test_baseline_in_top_tier(baseline):
    # attainment 2.0: 60,000 * (1.0*1.0 + 1.5*0.5 + 2.0*0.5) = 60,000 * 2.75 = 165,000.00
    assert annual(baseline, 2_000_000, 1_000_000, 60_000) == 165_000.00


def test_baseline_attainment_cap_binds(baseline):
    # cap 3.0: 60,000 * (1.0*1.0 + 1.5*0.5 + 2.0*1.5) = 60,000 * 4.75 = 285,000.00
    # bookings of 4,000,000 (attainment 4.0) are credited as 3.0
    assert annual(baseline, 3_000_000, 1_000_000, 60_000) == 285_000.00
    assert annual(baseline, 4_000_000, 1_000_000, 60_000) == 285_000.00


def test_accelerated_threshold_and_tiers(accelerated):
    # TI $50,000, quota $1,000,000
    # at 0.6 (threshold): 50,000 * (0.8*0.5 + 1.2*0.1) = 50,000 * 0.52 = 26,000.00
    assert annual(accelerated, 600_000, 1_000_000, 50_000) == 26_000.00
    assert annual(accelerated, 599_999, 1_000_000, 50_000) == 0.0
    # at 1.4: 50,000 * (0.8*0.5 + 1.2*0.5 + 2.5*0.4) = 50,000 * 2.0 = 100,000.00 (cap not hit)
    assert annual(accelerated, 1_400_000, 1_000_000, 50_000) == 100_000.00


def test_accelerated_payout_cap_binds(accelerated):
    # at 2.0 uncapped: 50,000 * (0.4 + 0.6 + 2.5*1.0) = 175,000
    # payout_cap 3.0 x (weight 1.0 * TI 50,000) = 150,000.00
    assert annual(accelerated, 2_000_000, 1_000_000, 50_000) == 150_000.00


def test_rate_basis_bookings():
    # 5% of dollars up to quota, 8% above; quota $800,000, bookings $1,000,000
    # 0.05 * 800,000 + 0.08 * 200,000 = 40,000 + 16,000 = 56,000.00, whatever the TI
    plan = load_plan(
        plan_of(
            one_component(
                rate_basis="bookings",
                tiers=[{"start": 0, "end": 1.0, "rate": 0.05}, {"start": 1.0, "rate": 0.08}],
            )
        )
    )
    assert annual(plan, 1_000_000, 800_000, 50_000) == 56_000.00
    assert annual(plan, 1_000_000, 800_000, 0) == 56_000.00


def test_rate_basis_bookings_with_payout_cap():
    # flat 10% of bookings; quota $500,000, bookings $400,000 -> 40,000 uncapped
    # payout_cap 1.5 x (weight 1.0 * TI 20,000) = 30,000.00
    plan = load_plan(
        plan_of(
            one_component(rate_basis="bookings", tiers=[{"start": 0, "rate": 0.10}], payout_cap=1.5)
        )
    )
    assert annual(plan, 400_000, 500_000, 20_000) == 30_000.00
    # 200,000 * 0.10 = 20,000 < 30,000: cap not binding
    assert annual(plan, 200_000, 500_000, 20_000) == 20_000.00


def test_two_weighted_components():
    # TI $100,000, quota $2,000,000, bookings $2,400,000 -> attainment 1.2
    # 'core' weight 0.7: 70,000 * (1.0*1.0 + 2.0*0.2) = 70,000 * 1.4 = 98,000
    # 'stretch' weight 0.3, threshold 1.0, flat 1.0x: 30,000 * 1.2 = 36,000
    # total 134,000.00
    plan = load_plan(
        plan_of(
            one_component(name="core", weight=0.7),
            one_component(
                name="stretch", weight=0.3, threshold=1.0, tiers=[{"start": 0, "rate": 1.0}]
            ),
        )
    )
    p = payout(plan, [[2_400_000]], [[2_000_000]], [100_000])
    assert p.components == ("core", "stretch")
    assert round_money(p.annual_by_component[0]).tolist() == [98_000.00, 36_000.00]
    assert round_money(p.total[0]) == 134_000.00
    # at attainment 0.9 the stretch component is under its threshold:
    # core 70,000 * 0.9 = 63,000.00, stretch 0
    p = payout(plan, [[1_800_000]], [[2_000_000]], [100_000])
    assert round_money(p.annual_by_component[0]).tolist() == [63_000.00, 0.0]


def test_quarterly_year_to_date_payments(baseline):
    # quarterly quota 250,000 (annual 1,000,000), TI 60,000
    # bookings 200k, 200k, 400k, 450k -> cumulative 200k, 400k, 800k, 1,250k
    # attainment to date 0.2, 0.4, 0.8, 1.25
    # earned to date: 0 (below 0.5), 0, 60,000*0.8 = 48,000, 82,500 (see above)
    # payments: 0, 0, 48,000, 82,500 - 48,000 = 34,500
    p = payout(baseline, [[200_000, 200_000, 400_000, 450_000]], [[250_000] * 4], [60_000])
    assert round_money(p.by_period[0]).tolist() == [0.0, 0.0, 48_000.00, 34_500.00]
    assert round_money(p.total[0]) == 82_500.00
    assert p.attainment.tolist() == [1.25]


def test_zero_quota_pays_nothing_without_warnings():
    # rep 0 has no quota: both its components pay 0 and its attainment is NaN;
    # rep 1 is normal: tcr 0.5*10,000*1.0 = 5,000 plus 5% of 100,000 = 5,000
    plan = load_plan(
        plan_of(
            one_component(name="tcr_part", weight=0.5, tiers=[{"start": 0, "rate": 1.0}]),
            one_component(
                name="commission",
                weight=0.5,
                rate_basis="bookings",
                tiers=[{"start": 0, "rate": 0.05}],
            ),
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = payout(plan, [[100_000], [100_000]], [[0], [100_000]], [10_000, 10_000])
        att = p.attainment
    assert p.total.tolist() == [0.0, 10_000.0]
    assert np.isfinite(p.by_component).all()
    assert math.isnan(att[0]) and att[1] == 1.0


def test_payout_curve_baseline(baseline):
    # payout as multiple of TI at attainment a (TI = quota = 1):
    # 0.4 -> 0 (threshold); 0.5 -> 0.5; 1.25 -> 1 + 1.5*0.25 = 1.375
    # 2.0 -> 1 + 0.75 + 2*0.5 = 2.75; 3.0 and 4.0 -> 1 + 0.75 + 2*1.5 = 4.75 (cap 3.0)
    att = [0.0, 0.4, 0.5, 1.0, 1.25, 2.0, 3.0, 4.0]
    curve = payout_curve(baseline, att)
    assert list(curve.columns) == ["attainment", "payout", "effective_rate", "bookings"]
    np.testing.assert_allclose(curve["payout"], [0, 0, 0.5, 1.0, 1.375, 2.75, 4.75, 4.75])
    # effective rate = payout / attainment; undefined (NaN) at zero bookings
    expected_rate = [np.nan, 0, 1.0, 1.0, 1.1, 1.375, 4.75 / 3, 1.1875]
    np.testing.assert_allclose(curve["effective_rate"], expected_rate)
    np.testing.assert_allclose(curve["bookings"], curve["payout"])


def test_payout_curve_in_money(baseline):
    # 82,500 paid on 1,250,000 of bookings: effective rate 0.066
    curve = payout_curve(baseline, [1.25], target_incentive=60_000, quota=1_000_000)
    assert round_money(curve["payout"].iloc[0]) == 82_500.00
    assert curve["effective_rate"].iloc[0] == pytest.approx(0.066)


def test_round_money_rule():
    # half to even on exact binary halves: 12.5 cents -> 12, 37.5 cents -> 38
    assert round_money(0.125) == 0.12
    assert round_money(0.375) == 0.38
    assert round_money(82_499.996) == 82_500.00
    assert isinstance(round_money(1.234), float)
    zero = round_money(-0.001)
    assert zero == 0.0 and math.copysign(1.0, zero) == 1.0
    out = round_money(np.array([[1.111, 2.229]]))
    assert out.shape == (1, 2) and out.tolist() == [[1.11, 2.23]]


# --------------------------------------------------------------------------------------
# Shapes (batch-first, any leading axes)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lead", [(), (2,), (2, 3)])
def test_shapes_with_leading_axes(lead):
    n_reps, n_periods = 3, 4
    plan = load_plan(
        plan_of(
            one_component(name="a", weight=0.6),
            one_component(
                name="b", weight=0.4, rate_basis="bookings", tiers=[{"start": 0, "rate": 0.02}]
            ),
        )
    )
    rng = np.random.default_rng(0)
    bookings = rng.uniform(0, 400_000, lead + (n_reps, n_periods))
    quotas = np.full((n_reps, n_periods), 250_000.0)
    ti = np.array([40_000.0, 50_000.0, 60_000.0])
    p = payout(plan, bookings, quotas, ti)
    assert p.by_component.shape == lead + (n_reps, n_periods, 2)
    assert p.by_period.shape == lead + (n_reps, n_periods)
    assert p.annual_by_component.shape == lead + (n_reps, 2)
    assert p.total.shape == lead + (n_reps,)
    assert p.attainment.shape == lead + (n_reps,)
    # each leading slice is the same as an unbatched call on it
    flat = bookings.reshape((-1, n_reps, n_periods))
    expected = np.stack([payout(plan, b, quotas, ti).by_component for b in flat])
    np.testing.assert_array_equal(p.by_component.reshape(expected.shape), expected)


def test_quotas_and_ti_may_vary_along_leading_axes(baseline):
    # two trials with different quotas for one rep, bookings shared
    p = payout(baseline, [[1_250_000]], [[[1_000_000]], [[2_500_000]]], [[60_000], [60_000]])
    # trial 0: 82,500 (see above); trial 1: attainment 0.5 -> 30,000
    assert round_money(p.total).tolist() == [[82_500.00], [30_000.00]]


def test_payout_arrays_are_read_only(baseline):
    p = payout(baseline, [[1.0]], [[1.0]], [1.0])
    with pytest.raises(ValueError, match="read-only"):
        p.by_component[...] = 0.0


def test_bad_inputs_are_rejected(baseline):
    with pytest.raises(
        DataError,
        match=re.escape(
            "bookings must be finite, >= 0 and at most 1e+13; found -1.0 at index (0, 1)"
        ),
    ):
        payout(baseline, [[5.0, -1.0]], [[1.0, 1.0]], [1.0])
    with pytest.raises(DataError, match="quotas must be finite"):
        payout(baseline, [[5.0]], [[np.nan]], [1.0])
    with pytest.raises(ValueError, match=r"bookings must have shape \(\.\.\., n_reps, n_periods\)"):
        payout(baseline, [5.0, 1.0], [1.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="shapes do not broadcast"):
        payout(baseline, np.ones((2, 3)), np.ones((2, 3)), np.ones(5))


# --------------------------------------------------------------------------------------
# Properties (Hypothesis) against an independent scalar reference
# --------------------------------------------------------------------------------------


def reference_annual(component: Component, bookings: float, quota: float, ti: float) -> float:
    """Annual payout of one component, written in dollars with plain Python loops."""
    if quota == 0:
        return 0.0
    if bookings / quota < component.threshold - 1e-9:  # documented tolerance
        return 0.0
    credited = bookings
    if component.attainment_cap is not None:
        credited = min(bookings, component.attainment_cap * quota)
    tcr = component.weight * ti / quota
    money = 0.0
    for tier in component.tiers:
        low = tier.start * quota
        high = math.inf if tier.end is None else tier.end * quota
        dollars = max(0.0, min(credited, high) - low)
        money += dollars * (tier.rate * tcr if component.rate_basis == "tcr" else tier.rate)
    if component.payout_cap is not None:
        money = min(money, component.payout_cap * component.weight * ti)
    return money


@st.composite
def components(draw, name: str, weight: float) -> dict:
    cuts = sorted(set(draw(st.lists(st.floats(0.05, 3.0), max_size=3))))
    starts = [0.0, *cuts]
    ends = [*cuts, None]
    basis = draw(st.sampled_from(["tcr", "bookings"]))
    top = 3.0 if basis == "tcr" else 0.25  # (above 25% of bookings a plan warns)
    rates = draw(st.lists(st.floats(0.0, top), min_size=len(starts), max_size=len(starts)))
    threshold = draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.5))
    return {
        "name": name,
        "weight": weight,
        "rate_basis": basis,
        "threshold": threshold,
        "tiers": [
            {"start": s, "end": e, "rate": r} for s, e, r in zip(starts, ends, rates, strict=True)
        ],
        "attainment_cap": draw(st.none() | st.floats(max(threshold, 0.01), 4.0)),
        "payout_cap": draw(st.none() | st.floats(0.1, 5.0)),
    }


@st.composite
def plans(draw) -> Plan:
    if draw(st.booleans()):
        comps = [draw(components("only", 1.0))]
    else:
        w = draw(st.floats(0.1, 0.9))
        comps = [draw(components("first", w)), draw(components("second", 1.0 - w))]
    return load_plan(plan_of(*comps))


@st.composite
def books(draw):
    """(bookings, quotas, ti) for 1-3 reps and 1-4 periods."""
    n_reps = draw(st.integers(1, 3))
    n_periods = draw(st.integers(1, 4))
    shape = (n_reps, n_periods)
    bookings = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 3e6)))
    quotas = draw(hnp.arrays(np.float64, shape, elements=st.just(0.0) | st.floats(100.0, 1e6)))
    ti = draw(hnp.arrays(np.float64, (n_reps,), elements=st.floats(0, 300_000)))
    return bookings, quotas, ti


PROPERTY = settings(deadline=None, max_examples=150)


@PROPERTY
@given(plan=plans(), data=books())
def test_matches_reference_and_ytd_adds_up(plan, data):
    bookings, quotas, ti = data
    p = payout(plan, bookings, quotas, ti)
    # payments are never negative (cumulative earnings never go down)
    assert (p.by_component >= 0).all()
    annual_b = bookings.sum(axis=-1)
    annual_q = quotas.sum(axis=-1)
    for r in range(bookings.shape[0]):
        for j, comp in enumerate(plan.components):
            expected = reference_annual(comp, annual_b[r], annual_q[r], ti[r])
            # the YTD payments add up to the annual formula
            assert p.annual_by_component[r, j] == pytest.approx(expected, rel=1e-9, abs=1e-6)


@PROPERTY
@given(
    plan=plans(),
    data=books(),
    bump=st.floats(0, 1e6),
    where=st.tuples(st.integers(0, 2), st.integers(0, 3)),
)
def test_never_decreasing_in_bookings(plan, data, bump, where):
    bookings, quotas, ti = data
    more = bookings.copy()
    more[where[0] % bookings.shape[0], where[1] % bookings.shape[1]] += bump
    before = payout(plan, bookings, quotas, ti).total
    after = payout(plan, more, quotas, ti).total
    assert (after >= before - 1e-9 * np.maximum(1.0, before)).all()


@PROPERTY
@given(plan=plans(), data=books(), scale=st.floats(1.0, 10.0))
def test_caps_hold(plan, data, scale):
    bookings, quotas, ti = data
    p = payout(plan, bookings, quotas, ti)
    annual_q = quotas.sum(axis=-1)
    for j, comp in enumerate(plan.components):
        paid = p.annual_by_component[:, j]
        if comp.payout_cap is not None:
            limit = comp.payout_cap * comp.weight * ti
            assert (paid <= limit * (1 + 1e-12) + 1e-9).all()
        if comp.attainment_cap is not None:
            # booking more than the cap in a single period changes nothing
            at_cap = comp.attainment_cap * annual_q[:, None]
            one = payout(plan, at_cap, annual_q[:, None], ti).annual_by_component[:, j]
            beyond = payout(plan, at_cap * scale, annual_q[:, None], ti).annual_by_component[:, j]
            np.testing.assert_allclose(beyond, one, rtol=1e-12)
        # below the threshold a component pays nothing
        # (thresholds within the documented 1e-9 tolerance of 0 are reached at 0)
        below = comp.threshold * annual_q[:, None] * 0.999
        if comp.threshold > 1e-6:
            none = payout(plan, below, annual_q[:, None], ti).annual_by_component[:, j]
            assert (none == 0).all()


# --------------------------------------------------------------------------------------
# Validation: each rule, with a message naming component, tier, rule and value
# --------------------------------------------------------------------------------------


def test_non_contiguous_tiers():
    tiers = [{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.2, "rate": 2.0}]
    with pytest.raises(
        PlanError,
        match=re.escape("component 'bookings' tier 2: start 1.2 does not equal tier 1's end 1.0"),
    ):
        load_plan(plan_of(one_component(tiers=tiers)))


def test_first_tier_must_start_at_zero():
    tiers = [{"start": 0.2, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}]
    with pytest.raises(
        PlanError, match=re.escape("component 'bookings' tier 1: start 0.2 must be 0")
    ):
        load_plan(plan_of(one_component(tiers=tiers)))


def test_only_last_tier_open_ended():
    tiers = [{"start": 0, "rate": 1.0}, {"start": 1.0, "rate": 2.0}]
    with pytest.raises(PlanError, match="tier 1: only the last tier may be open-ended"):
        load_plan(plan_of(one_component(tiers=tiers)))


def test_closed_last_tier_needs_an_attainment_cap():
    tiers = [{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "end": 2.0, "rate": 2.0}]
    with pytest.raises(PlanError, match="tier 2: the last tier ends at 2.0"):
        load_plan(plan_of(one_component(tiers=tiers)))
    # with a cap at (or below) its end it is fine
    load_plan(plan_of(one_component(tiers=tiers, attainment_cap=2.0)))


def test_tier_end_must_exceed_start():
    tiers = [{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "end": 0.5, "rate": 2.0}]
    with pytest.raises(
        PlanError,
        match=re.escape("component 'bookings' tier 2: end 0.5 must be greater than start 1.0"),
    ):
        load_plan(plan_of(one_component(tiers=tiers, attainment_cap=0.5)))


def test_negative_rate():
    tiers = [{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": -0.5}]
    with pytest.raises(
        PlanError,
        match=r"component 'bookings' tier 2: rate: .*greater than or equal to 0 \(got -0\.5\)",
    ):
        load_plan(plan_of(one_component(tiers=tiers)))


def test_unknown_field_suggests_the_right_one():
    with pytest.raises(PlanError, match=r"unknown field 'treshold'\. Did you mean 'threshold'\?"):
        load_plan(plan_of(one_component(treshold=0.5)))
    with pytest.raises(PlanError, match=r"tier 1: unknown field 'rtae'\. Did you mean 'rate'\?"):
        load_plan(plan_of(one_component(tiers=[{"start": 0, "rtae": 1.0}])))


def test_weights_must_sum_to_one():
    with pytest.raises(PlanError, match=re.escape("component weights sum to 0.9 (a 0.6 + b 0.3)")):
        load_plan(plan_of(one_component(name="a", weight=0.6), one_component(name="b", weight=0.3)))
    # the rule is for all-tcr plans; a bookings-basis component lifts it
    load_plan(
        plan_of(
            one_component(name="a", weight=0.6),
            one_component(
                name="b", weight=0.3, rate_basis="bookings", tiers=[{"start": 0, "rate": 0.01}]
            ),
        )
    )


def test_unknown_measure_lists_allowed():
    with pytest.raises(
        PlanError,
        match="component 'bookings': measure 'revenue' does not exist; "
        "the plan's measures are bookings",
    ):
        load_plan(plan_of(one_component(measure="revenue")))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weight": 0}, r"component 'bookings': weight: Input should be greater than 0 \(got 0\)"),
        ({"weight": 1.5}, r"weight: Input should be less than or equal to 1"),
        ({"rate_basis": "dollars"}, r"rate_basis: Input should be 'tcr' or 'bookings'"),
        ({"threshold": -0.1}, r"threshold: Input should be greater than or equal to 0"),
        ({"payout_cap": 0}, r"payout_cap: Input should be greater than 0"),
        ({"payout_cap": False}, r"payout_cap: .*expected a number, got False"),
        ({"threshold": 0.8, "attainment_cap": 0.5}, r"attainment_cap 0.5 is below threshold 0.8"),
        ({"tiers": []}, r"component 'bookings': tiers is empty"),
        ({"weight": float("inf")}, r"weight: Input should be a finite number"),
    ],
)
def test_component_rules(fields, message):
    with pytest.raises(PlanError, match=message):
        load_plan(plan_of(one_component(**fields)))


def test_plan_rules():
    with pytest.raises(PlanError, match=r"currency: String should match pattern"):
        load_plan(plan_of(one_component(), currency="usd"))
    with pytest.raises(PlanError, match="components is empty"):
        load_plan(plan_of())
    with pytest.raises(PlanError, match=r"component name 'x' appears twice \(components 1 and 2\)"):
        load_plan(plan_of(one_component(name="x", weight=0.5), one_component(name="x", weight=0.5)))
    with pytest.raises(PlanError, match="component name 'payout' is reserved"):
        load_plan(plan_of(one_component(name="payout")))
    with pytest.raises(PlanError, match="required field 'rate_basis' is missing"):
        load_plan(plan_of({"name": "b", "weight": 1.0, "tiers": [{"start": 0, "rate": 1}]}))


def test_errors_from_a_yaml_file_name_the_file(tmp_path):
    path = tmp_path / "typo.yaml"
    data = plan_of(one_component(treshold=0.5))
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(
        PlanError, match="(?s)" + re.escape(str(path)) + ".*Did you mean 'threshold'"
    ):
        Plan.from_yaml(path)
    with pytest.raises(PlanError, match="file not found"):
        load_plan(tmp_path / "missing.yaml")


def test_specs_are_frozen_and_replace_revalidates(baseline):
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        baseline.name = "changed"
    renamed = baseline.replace(name="What-if")
    assert renamed.name == "What-if" and baseline.name == "Baseline 2026 AE plan"
    assert renamed.components == baseline.components
    with pytest.raises(PlanError, match="currency"):
        baseline.replace(currency="usd")
    with pytest.raises(PlanError, match="unknown field 'nmae'. Did you mean 'name'"):
        baseline.replace(nmae="x")


def test_tier_checks_itself():
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 0"):
        Tier(start=0, rate=-1)
    assert Tier(start=0, rate=1).end is None


def test_yaml_round_trip(baseline, accelerated):
    for plan in (baseline, accelerated, standard_plan(payout_cap=2.0)):
        assert load_plan(yaml.safe_load(plan.to_yaml())) == plan


def test_standard_plan():
    plan = standard_plan(threshold=0.4, base_rate=0.9, accelerator=1.8, accelerator_start=1.1)
    (comp,) = plan.components
    assert (comp.threshold, comp.rate_basis, comp.weight) == (0.4, "tcr", 1.0)
    assert [(t.start, t.end, t.rate) for t in comp.tiers] == [(0.0, 1.1, 0.9), (1.1, None, 1.8)]
    with pytest.raises(PlanError, match="tier 1: end 0.0 must be greater than start 0.0"):
        standard_plan(accelerator_start=0.0)
    with pytest.raises(PlanError, match=r"tier 2: rate: .*greater than or equal to 0"):
        standard_plan(accelerator=-1.0)


# --------------------------------------------------------------------------------------
# Sample plans
# --------------------------------------------------------------------------------------


def test_sample_plans_load(baseline, accelerated):
    assert baseline.name == "Baseline 2026 AE plan"
    (b,) = baseline.components
    assert (b.measure, b.rate_basis, b.threshold, b.attainment_cap, b.payout_cap) == (
        "bookings",
        "tcr",
        0.5,
        3.0,
        None,
    )
    assert [(t.start, t.end, t.rate) for t in b.tiers] == [
        (0.0, 1.0, 1.0),
        (1.0, 1.5, 1.5),
        (1.5, None, 2.0),
    ]
    (a,) = accelerated.components
    assert (a.threshold, a.attainment_cap, a.payout_cap) == (0.6, None, 3.0)
    assert [t.rate for t in a.tiers] == [0.8, 1.2, 2.5]


@pytest.mark.parametrize("name", ["baseline", "accelerated"])
def test_sample_plans_are_plausible(name):
    plan = load_plan(PLANS / f"{name}.yaml")
    # a rep exactly at quota earns exactly the TI
    # baseline: 1.0 * 1.0; accelerated: 0.8 * 0.5 + 1.2 * 0.5 = 1.0
    assert annual(plan, 1_000_000, 1_000_000, 60_000) == 60_000.00
    # accelerators above quota are within 1.5x-2.5x TCR (domain.md)
    for comp in plan.components:
        above = [t.rate for t in comp.tiers if t.start >= 1.0]
        assert above and all(1.5 <= r <= 2.5 for r in above)


# --------------------------------------------------------------------------------------
# Curve metrics, worked by hand
# --------------------------------------------------------------------------------------


def test_plan_metrics_baseline(baseline):
    # Baseline: nothing below 50%; 1.0x TCR to 100%, 1.5x to 150%, 2.0x above.
    # Quota $1,000,000 and TI $100,000, so TCR = 0.10.
    m = plan_metrics(baseline, quota=1_000_000, target_incentive=100_000)
    # at 100%: 1.0 x 1.0 = 1.0 TI ($100,000)
    assert m["payout_at_quota_over_ti"] == pytest.approx(1.0)
    # at 150%: 1.0 + 1.5 x 0.5 = 1.75 TI ($175,000)
    assert m["payout_at_150_over_ti"] == pytest.approx(1.75)
    # effective rate = (payout / TI) / attainment, in multiples of TCR:
    # 1.0 / 1.0 = 1.0 and 1.75 / 1.5 = 1.1666...
    assert m["effective_rate_at_100"] == pytest.approx(1.0)
    assert m["effective_rate_at_150"] == pytest.approx(1.75 / 1.5)
    # cost of sales at quota: $100,000 / $1,000,000 = 10%
    assert m["cost_of_sales_at_quota"] == pytest.approx(0.10)
    # no sample, no P90 figures
    assert "payout_at_p90_over_ti" not in m and "p90_attainment" not in m


def test_plan_metrics_accelerated(accelerated):
    # Accelerated: nothing below 60%; 0.8x TCR to 50%, 1.2x to 100%, 2.5x above; capped at 3 TI.
    m = plan_metrics(accelerated)  # quota = TI = 1
    # at 100%: 0.8 x 0.5 + 1.2 x 0.5 = 0.4 + 0.6 = 1.0 TI
    assert m["payout_at_quota_over_ti"] == pytest.approx(1.0)
    # at 150%: 1.0 + 2.5 x 0.5 = 2.25 TI; effective rate 2.25 / 1.5 = 1.5x TCR
    assert m["payout_at_150_over_ti"] == pytest.approx(2.25)
    assert m["effective_rate_at_150"] == pytest.approx(1.5)
    # with quota = TI = 1 the cost of sales is 1.0 / 1.0 = 1.0 (a multiple of TI / quota)
    assert m["cost_of_sales_at_quota"] == pytest.approx(1.0)


def test_plan_metrics_at_the_90th_percentile(baseline, accelerated):
    # 21 attainments 0.0, 0.1, ..., 2.0: numpy's linear 90th percentile sits at
    # position 0.9 x (21 - 1) = 18, i.e. 1.8.
    sample = np.linspace(0.0, 2.0, 21)
    m = plan_metrics(baseline, attainment_sample=sample)
    assert m["p90_attainment"] == pytest.approx(1.8)
    # baseline at 180%: 1.0 + 1.5 x 0.5 + 2.0 x 0.3 = 1.0 + 0.75 + 0.6 = 2.35 TI
    assert m["payout_at_p90_over_ti"] == pytest.approx(2.35)
    # accelerated at 180%: 1.0 + 2.5 x 0.8 = 3.0 TI, exactly the payout cap
    m = plan_metrics(accelerated, attainment_sample=sample)
    assert m["payout_at_p90_over_ti"] == pytest.approx(3.0)
    # a (trials, reps) sample all at 200%: uncapped 1.0 + 2.5 x 1.0 = 3.5 TI, capped at 3.0
    m = plan_metrics(accelerated, attainment_sample=np.full((4, 5), 2.0))
    assert (m["p90_attainment"], m["payout_at_p90_over_ti"]) == (pytest.approx(2.0), 3.0)


def test_plan_metrics_bookings_basis():
    # 5% of every dollar; quota $1,000,000 and TI $100,000 (TCR = 0.10)
    plan = load_plan(
        plan_of(one_component(rate_basis="bookings", tiers=[{"start": 0.0, "rate": 0.05}]))
    )
    m = plan_metrics(plan, quota=1_000_000, target_incentive=100_000)
    # at quota: 0.05 x $1,000,000 = $50,000 = 0.5 TI; cost of sales 5%; 0.05 / 0.10 = 0.5x TCR
    assert m["payout_at_quota_over_ti"] == pytest.approx(0.5)
    assert m["cost_of_sales_at_quota"] == pytest.approx(0.05)
    assert m["effective_rate_at_100"] == pytest.approx(0.5)
    # at 150%: 0.05 x $1,500,000 = $75,000 = 0.75 TI; the rate stays 0.5x TCR
    assert m["payout_at_150_over_ti"] == pytest.approx(0.75)
    assert m["effective_rate_at_150"] == pytest.approx(0.5)


def test_plan_metrics_bad_inputs(baseline):
    with pytest.raises(ValueError, match=r"quota must be a finite number > 0; got 0"):
        plan_metrics(baseline, quota=0)
    with pytest.raises(ValueError, match=r"target_incentive must be .*got nan"):
        plan_metrics(baseline, target_incentive=float("nan"))
    with pytest.raises(ValueError, match="attainment_sample is empty"):
        plan_metrics(baseline, attainment_sample=[])
    with pytest.raises(DataError, match=r"attainment_sample must be finite and >= 0.*nan"):
        plan_metrics(baseline, attainment_sample=[1.0, float("nan")])


# --------------------------------------------------------------------------------------
# JSON schema of plan files
# --------------------------------------------------------------------------------------

REGENERATE = 'python -c "from spm_sim.comp import plan_json_schema; plan_json_schema(write=True)"'


def test_plan_schema_file_is_up_to_date():
    stored = json.loads(PLAN_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert stored == plan_json_schema(), (
        f"{PLAN_SCHEMA_PATH} is out of date with the Plan model; regenerate it with "
        f"{REGENERATE} and commit the result"
    )


def test_plan_schema_is_plain_json_schema():
    schema = plan_json_schema()
    assert schema["title"] and schema["description"] and "$id" not in schema
    # pydantic's own keywords (gt, ge, ...) would be silently ignored by editors
    text = json.dumps(schema)
    assert not re.search(r'"(gt|ge|lt|le)":', text), text
    for name in ("Component", "Tier"):
        for field, prop in schema["$defs"][name]["properties"].items():
            assert len(prop["description"]) > 10, (name, field)


@pytest.mark.parametrize("name", ["baseline", "accelerated"])
def test_sample_plans_validate_against_the_schema(name):
    import jsonschema

    path = PLANS / f"{name}.yaml"
    # the first line points editors (VS Code's YAML extension) to the schema
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../spm_sim/plan.schema.json"
    assert (path.parent / first.split("=", 1)[1]).resolve() == PLAN_SCHEMA_PATH.resolve()
    schema = json.loads(PLAN_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema).validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_schema_accepts_valid_plans_and_flags_common_mistakes():
    import jsonschema

    schema = plan_json_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    # what load_plan accepts the schema accepts too
    for plan in (
        standard_plan(),
        standard_plan(attainment_cap=2.0, payout_cap=3.0),
        load_plan(plan_of(one_component(rate_basis="bookings", weight=0.5, tiers=BOOKINGS_TIERS))),
    ):
        validator.validate(plan.model_dump(mode="json"))
    # and the plans as written, in either spelling of the tiers
    for tiers in (BOOKINGS_TIERS, UP_TO_TIERS, FROM_TIERS):
        data = plan_of(one_component(rate_basis="bookings", tiers=tiers))
        load_plan(data)
        validator.validate(data)
    # each mistake below is refused by load_plan and flagged by the schema
    mistakes = [
        one_component(treshold=0.5),  # typo
        one_component(weight=True),  # YAML "yes"
        one_component(tiers=[{"start": 0.0, "rate": -1.0}]),
        one_component(attainment_cap=0),
        one_component(rate_basis="percent"),
    ]
    for component in mistakes:
        data = plan_of(component)
        with pytest.raises(PlanError):
            load_plan(data)
        assert not validator.is_valid(data), component
    assert not validator.is_valid({"name": "P", "currency": "usd", "components": []})
    # rules across fields are load_plan's alone: the measure names a plan declares,
    # and "tiers or a curve"
    for component in (one_component(measure="bookngs"), one_component(tiers=[])):
        data = plan_of(component)
        with pytest.raises(PlanError):
            load_plan(data)
        assert validator.is_valid(data)


# --------------------------------------------------------------------------------------
# Rules added after writing the sample plans
# --------------------------------------------------------------------------------------

LOGOS = {"name": "logos", "kind": "new_logos", "quota_per_rep": 12}


def test_closed_gate_pays_its_closed_rate():
    # 60/40-style table: 0.5x to 50%, 1.5x catch-up to 100%, 2x above; gate on logos.
    tiers = [
        {"start": 0.0, "end": 0.5, "rate": 0.5},
        {"start": 0.5, "end": 1.0, "rate": 1.5},
        {"start": 1.0, "rate": 2.0},
    ]
    gate = {"measure": "logos", "min_attainment": 0.5, "applies_to": "accelerators"}
    default = load_plan(plan_of(one_component(tiers=tiers, gate=gate), measures=[LOGOS]))
    one_x = load_plan(
        plan_of(one_component(tiers=tiers, gate=dict(gate, closed_rate=1.0)), measures=[LOGOS])
    )
    # quota 1,000 a month, TI 12,000; 1,250 a month = 125%; no new logos: gate closed.
    # default: the band below quota (1.5x) continues: 0.25 + 0.75 + 0.25 x 1.5 = 1.375 TI
    # closed_rate 1.0:                                 0.25 + 0.75 + 0.25 x 1.0 = 1.25 TI
    args = ([[1250.0] * 12], [[1000.0] * 12], [12_000.0])
    logos = {"logos": np.zeros((1, 12))}
    assert round_money(payout(default, *args, measures=logos).total)[0] == 16_500.00
    assert round_money(payout(one_x, *args, measures=logos).total)[0] == 15_000.00
    # gate open (one logo a month = 100%): 0.25 + 0.75 + 0.25 x 2 = 1.5 TI = 18,000
    open_ = {"logos": np.ones((1, 12))}
    assert round_money(payout(one_x, *args, measures=open_).total)[0] == 18_000.00


def test_measure_without_quota_feeds_spiffs_only():
    spiff = {
        "type": "spiff",
        "name": "addon",
        "measure": "addon",
        "start_month": 10,
        "end_month": 12,
        "rate": 0.03,
    }
    addon = {"name": "addon", "product": "Add-on"}
    plan = load_plan(plan_of(one_component(), spiff, measures=[addon]))
    p = payout(
        plan,
        [[0.0] * 12],
        [[1.0] * 12],
        [1.0],
        measures={"addon": [[0.0] * 9 + [100.0, 0.0, 200.0]]},
    )
    assert round_money(p.by_component[0, :, 1]).tolist() == [0.0] * 9 + [3.0, 0.0, 6.0]
    with pytest.raises(PlanError, match="measure 'addon' has no quota, so it has no attainment"):
        load_plan(plan_of(one_component(measure="addon"), measures=[addon]))
    with pytest.raises(PlanError, match="give quota_share or quota_per_rep, not both"):
        load_plan(
            plan_of(one_component(), measures=[dict(addon, quota_share=0.2, quota_per_rep=3)])
        )


def test_multiplier_factors_must_not_fall():
    mult = {
        "measure": "bookings",
        "levels": [{"attainment": 0, "factor": 1.2}, {"attainment": 1, "factor": 0.8}],
    }
    with pytest.raises(PlanError, match="level 2: factor 0.8 is below level 1's 1.2"):
        load_plan(plan_of(one_component(multiplier=mult)))


# --------------------------------------------------------------------------------------
# Tier edges written "up to" or "from", never ambiguous (issue 15, part 6)
# --------------------------------------------------------------------------------------


def test_up_to_from_and_start_end_tiers_are_the_same_bands():
    loaded = [
        load_plan(plan_of(one_component(rate_basis="bookings", tiers=tiers))).components[0]
        for tiers in (BOOKINGS_TIERS, UP_TO_TIERS, FROM_TIERS)
    ]
    expected = [(0.0, 0.9, 0.02), (0.9, 0.99, 0.03), (0.99, None, 0.04)]
    for c in loaded:
        assert [(t.start, t.end, t.rate) for t in c.tiers] == expected
    # quota 1.2M, bookings 1.5M (125%): 2% of 1.08M + 3% of 108k + 4% of 312k
    # = 21,600 + 3,240 + 12,480 = 37,320, whichever the spelling
    plan = load_plan(plan_of(one_component(rate_basis="bookings", tiers=UP_TO_TIERS)))
    assert annual(plan, 1_500_000, 1_200_000, 60_000) == 37_320.00


def test_a_single_rate_needs_no_edge():
    c = load_plan(plan_of(one_component(tiers=[{"rate": 1.0}]))).components[0]
    assert [(t.start, t.end, t.rate) for t in c.tiers] == [(0.0, None, 1.0)]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        (
            [{"up_to": 0.9, "rate": 0.02}, {"start": 0.9, "rate": 0.04}],
            "component 'bookings': tier 1 is written with up_to (0.9) and tier 2 with "
            "start/end; write every tier of a component the same way",
        ),
        (
            [{"from": 0.0, "end": 0.9, "rate": 0.02}, {"up_to": 0.99, "rate": 0.03}],
            "component 'bookings': tier 2 is written with up_to (0.99) and tier 1 with",
        ),
        (
            [{"up_to": 0.9, "end": 0.9, "rate": 0.02}, {"rate": 0.04}],
            "component 'bookings' tier 1: gives up_to 0.9 and end 0.9",
        ),
        (
            [{"up_to": 0.99, "rate": 0.02}, {"up_to": 0.9, "rate": 0.03}, {"rate": 0.04}],
            "component 'bookings' tier 2: up_to 0.9 is not above tier 1's up_to 0.99; "
            "up_to values must increase",
        ),
        (
            [{"up_to": 0, "rate": 0.02}, {"rate": 0.04}],
            "component 'bookings' tier 1: up_to 0 is not above 0",
        ),
        (
            [{"up_to": 0.9, "rate": 0.02}, {"rate": 0.03}, {"rate": 0.04}],
            "component 'bookings' tier 2: no up_to; written with up_to, every tier but the last",
        ),
        (
            [{"up_to": "90%", "rate": 0.02}, {"rate": 0.04}],
            "component 'bookings' tier 1: up_to must be a finite number (an attainment, 0.9 = "
            "90% of quota), got '90%'",
        ),
        (
            [{"up_to": float("nan"), "rate": 0.02}, {"rate": 0.04}],
            "component 'bookings' tier 1: up_to must be a finite number",
        ),
        (
            [{"up_to": 500.0, "rate": 0.02}, {"rate": 0.04}],
            "component 'bookings' tier 1: up_to 500 is above 100, the largest attainment",
        ),
        (
            [{"start": 0, "from": 0, "end": 1.0, "rate": 0.02}, {"start": 1.0, "rate": 0.04}],
            "component 'bookings' tier 1: give start or from, not both (start 0, from 0)",
        ),
        (
            [{"start": 0, "upto": 1.0, "rate": 0.02}],
            "component 'bookings' tier 1: unknown field 'upto'. Did you mean 'up_to'? "
            "Allowed: start, from, end, up_to, rate.",
        ),
    ],
)
def test_tier_spellings_are_never_mixed(tiers, message):
    data = plan_of(one_component(rate_basis="bookings", tiers=tiers))
    with pytest.raises(PlanError, match=re.escape(message)):
        load_plan(data)


def test_up_to_belongs_to_a_list_of_tiers():
    with pytest.raises(pydantic.ValidationError, match="up_to 0.9 is read in a component's"):
        Tier.model_validate({"up_to": 0.9, "rate": 1.0})
    assert Tier.model_validate({"from": 0.5, "rate": 1.0}).start == 0.5


def test_the_schema_takes_either_spelling_but_not_both_in_a_tier():
    import jsonschema

    schema = plan_json_schema()
    check = jsonschema.validators.validator_for(schema)(schema)
    for tiers in (
        UP_TO_TIERS,
        FROM_TIERS,
        [{"up_to": 0.9, "rate": 1.0}, {"up_to": None, "rate": 2}],
    ):
        assert check.is_valid(plan_of(one_component(tiers=tiers))), tiers
    for tier in (
        {"up_to": 0.9, "start": 0.0, "rate": 1.0},
        {"up_to": 0.9, "end": 1.0, "rate": 1.0},
        {"from": 0.0, "start": 0.0, "rate": 1.0},
        {"up_to": 0.0, "rate": 1.0},
        {"start": 0.0},
    ):
        assert not check.is_valid(plan_of(one_component(tiers=[tier]))), tier


def test_plain_words_state_each_band_both_ways():
    plan = load_plan(plan_of(one_component(rate_basis="bookings", tiers=UP_TO_TIERS)))
    assert list(plan_rules(plan)["rule"]) == [
        "marginal tier 1 from 0% (included) up to 90% (not included): 2.00% of units",
        "marginal tier 2 from 90% (included) up to 99% (not included): 3.00% of units",
        "marginal tier 3 from 99% (included), no upper end: 4.00% of units",
    ]


# --------------------------------------------------------------------------------------
# Plan values bounded: absurd magnitudes refused, unlikely ones warned (issue 15)
# --------------------------------------------------------------------------------------

SCORE = {"name": "score", "kind": "score"}
LOGOS_Q = {"name": "logos", "kind": "new_logos", "quota_per_rep": 12}


def with_mbo(**level) -> dict:
    mbo = {
        "name": "mbo",
        "type": "mbo",
        "measure": "score",
        "weight": 0.2,
        "levels": [{"score": 0.0, "payout": 0.0}, {"score": 1.0, "payout": 1.0, **level}],
    }
    return plan_of(one_component(weight=0.8), mbo, measures=[SCORE])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            plan_of(one_component(tiers=[{"start": 0, "rate": 1e308}])),
            "component 'bookings' tier 1: rate: 1e+308 is above 1e+12, the largest amount",
        ),
        (
            plan_of(one_component(tiers=[{"start": 0, "rate": 150.0}])),
            "component 'bookings' tier 1: rate 150 is above 100, the largest multiple of the "
            "target commission rate",
        ),
        (
            plan_of(one_component(rate_basis="bookings", tiers=[{"start": 0, "rate": 1.5}])),
            "component 'bookings' tier 1: rate 1.5 is above 1, which would pay more than 100% "
            "of each booked dollar",
        ),
        (
            plan_of(one_component(tiers=[{"start": 0, "end": 1e308, "rate": 1.0}])),
            "component 'bookings' tier 1: end: 1e+308 is above 100, the largest attainment",
        ),
        (plan_of(one_component(threshold=1e9)), "component 'bookings': threshold: 1e+09 is above"),
        (plan_of(one_component(payout_cap=1e308)), "payout_cap: 1e+308 is above 100"),
        (
            plan_of(one_component(attainment_cap=float("inf"))),
            "attainment_cap: Input should be a finite",
        ),
        (
            plan_of(
                one_component(),
                {
                    "name": "b",
                    "type": "bonus",
                    "milestones": [{"attainment": 1.0, "amount": 1e308}],
                },
            ),
            "component 'b': milestones.0.amount: 1e+308 is above 1e+12",
        ),
        (
            plan_of(
                one_component(),
                {
                    "name": "c",
                    "type": "contest",
                    "start_month": 1,
                    "end_month": 3,
                    "prizes": [1e13],
                },
            ),
            "prizes.0: 1e+13 is above 1e+12",
        ),
        (
            plan_of(
                one_component(),
                {"name": "s", "type": "spiff", "start_month": 1, "end_month": 3, "rate": 2.0},
            ),
            "spiff 's': rate 2 is above 1, which would pay more than 100%",
        ),
        (
            plan_of(one_component(), draw={"amount": 1e308, "recoverable": True}),
            "draw.amount: 1e+308",
        ),
        (
            plan_of(one_component(), draw={"share_of_ti": 1e3, "recoverable": True}),
            "draw.share_of_ti: 1000",
        ),
        (
            plan_of(one_component(), draw={"share_of_ti": float("nan"), "recoverable": True}),
            "draw.share_of_ti: Input should be a finite number, got nan",
        ),
        (
            plan_of(one_component(), clawback={"window_days": 10**20}),
            "clawback.window_days: Input should be less than or equal to 3660",
        ),
        (with_mbo(payout=1e308), "levels.1.payout: 1e+308 is above 100"),
        (with_mbo(score=-1.0), "levels.1.score: Input should be greater than or equal to 0"),
        (
            plan_of(one_component(), measures=[dict(LOGOS_Q, quota_per_rep=1e300)]),
            "measures[0].quota_per_rep: 1e+300 is above 1e+12",
        ),
        (
            plan_of(
                one_component(
                    gate={
                        "measure": "bookings",
                        "min_attainment": 0.5,
                        "applies_to": "accelerators",
                        "closed_rate": 1e5,
                    }
                )
            ),
            "component 'bookings' gate: closed_rate 100000 is above 100",
        ),
        (
            plan_of(
                one_component(
                    multiplier={
                        "measure": "bookings",
                        "levels": [
                            {"attainment": 0, "factor": 1.0},
                            {"attainment": 1.0, "factor": 1e200},
                        ],
                    }
                )
            ),
            "multiplier.levels.1.factor: 1e+200 is above 100",
        ),
        (
            plan_of(
                one_component(
                    curve=[{"attainment": 0, "payout": 0}, {"attainment": 1, "payout": 1e9}],
                    tiers=[],
                )
            ),
            "curve.1.payout: 1e+09 is above 100",
        ),
        (
            plan_of(
                one_component(
                    curve=[
                        {"attainment": 0, "payout": 0},
                        {"attainment": 1, "payout": 1},
                        {"attainment": 1.0001, "payout": 2},
                    ],
                    tiers=[],
                )
            ),
            "component 'bookings' curve: the last slope 10000 (continued beyond the last "
            "point) is above 100, the largest multiple",
        ),
    ],
)
def test_absurd_values_are_refused_with_the_field_named(data, message):
    with pytest.raises(PlanError, match=re.escape(message)):
        load_plan(data)


IMPLAUSIBLE = [
    (
        one_component(tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 12}]),
        {},
        "component 'bookings' tier 2: rate 12 is above 10: more than 10x the target "
        "commission rate is rare",
    ),
    (
        one_component(rate_basis="bookings", tiers=[{"start": 0, "rate": 0.3}]),
        {},
        "component 'bookings' tier 1: rate 0.3 is above 0.25: paying more than 25% of each "
        "booked dollar is rare",
    ),
    (
        one_component(
            measure="logos", rate_basis="bookings", tiers=[{"start": 0, "rate": 250_000}]
        ),
        {"measures": [LOGOS_Q]},
        "component 'bookings' tier 1: rate 250,000 is above 100,000 USD: so much per deal or "
        "logo is rare; check the amount and the plan's currency (USD)",
    ),
    (one_component(payout_cap=12.0), {}, "component 'bookings': payout_cap 12 is above 10"),
    (
        one_component(),
        {"draw": {"share_of_ti": 1.5, "recoverable": False}},
        "draw: share_of_ti 1.5 is above 1: a monthly draw above the monthly TI is rare",
    ),
    (
        one_component(),
        {"draw": {"amount": 500_000, "recoverable": False}},
        "draw: amount x 12 months 6,000,000 is above 5,000,000 USD: so much is rare; check "
        "the amount and the plan's currency (USD)",
    ),
    (
        one_component(
            curve=[
                {"attainment": 0, "payout": 0},
                {"attainment": 1, "payout": 1},
                {"attainment": 1.1, "payout": 3},
            ],
            tiers=[],
        ),
        {},
        "component 'bookings' curve: last slope 20 is above 10",
    ),
]


@pytest.mark.parametrize(("component", "fields", "message"), IMPLAUSIBLE)
def test_unlikely_values_warn_and_are_errors_under_strict_checks(component, fields, message):
    data = plan_of(component, **fields)
    with pytest.warns(PlausibilityWarning, match=re.escape(f"plan 'Test plan' {message}")):
        plan = load_plan(data)
    assert plan.name == "Test plan"  # a warning, not a refusal
    with strict_checks(), pytest.raises(PlanError, match=re.escape(message)):
        load_plan(data)


def test_a_warning_names_the_plan_file(tmp_path):
    path = tmp_path / "steep.yaml"
    path.write_text(yaml.safe_dump(plan_of(one_component(payout_cap=20.0))), encoding="utf-8")
    with pytest.warns(PlausibilityWarning) as seen:
        load_plan(path)
    assert [str(w.message) for w in seen] == [
        f"{path}: plan 'Test plan' component 'bookings': payout_cap 20 is above 10: more than "
        "10x the TI is rare"
    ]


def test_plausible_plans_load_without_a_warning():
    with strict_checks():
        for component in (
            one_component(
                tiers=[{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 10}]
            ),
            one_component(rate_basis="bookings", tiers=UP_TO_TIERS, payout_cap=10.0),
        ):
            load_plan(plan_of(component))


# --------------------------------------------------------------------------------------
# The kernel: bounded inputs, and never an infinite, NaN or meaningless payment
# --------------------------------------------------------------------------------------


def test_kernel_inputs_are_bounded(baseline):
    month = np.full((1, 12), 100_000.0)
    with pytest.raises(
        DataError, match=r"target_incentive must be finite, >= 0 and at most 1e\+12; found 1e\+308"
    ):
        payout(baseline, month, month, [1e308])
    with pytest.raises(DataError, match=r"bookings must be finite, >= 0 and at most 1e\+13"):
        payout(baseline, np.full((1, 12), 1e300), month, [60_000.0])
    with pytest.raises(DataError, match=r"measures\['logos'\] must be finite, >= 0 and at most"):
        plan = load_plan(plan_of(one_component(), measures=[LOGOS_Q]))
        payout(plan, month, month, [60_000.0], measures={"logos": np.full((1, 12), 1e14)})


def test_kernel_refuses_a_payment_it_cannot_hold_to_the_cent():
    # a quota of a millionth of a dollar: attainment of 10^11 at 2x TCR above quota
    plan = standard_plan()
    with pytest.raises(
        DataError,
        match=re.escape(
            "plan 'Standard plan': the payment of 'bookings' to the rep at index (1,) in "
            "period 1 is "
        )
        + r".*at most 1e\+13 a payment\); that rep's bookings are 1\.2e\+06 against a "
        r"quota of 1\.2e-05",
    ):
        quotas = np.array([[100_000.0] * 12, [1e-6] * 12])
        payout(plan, np.full((2, 12), 100_000.0), quotas, [60_000.0, 60_000.0])
    # the same rep with an attainment cap is paid a finite, capped amount
    capped = standard_plan(attainment_cap=3.0)
    paid = payout(capped, np.full((1, 12), 1e5), np.full((1, 12), 1e-6), [60_000.0])
    assert np.isfinite(paid.by_component).all()
    assert round_money(paid.total[0]) == 60_000.0 * (1 + 2 * 2)


def test_a_ti_at_the_bound_is_paid_and_many_times_over_it_is_a_clear_error():
    # a TI of 1e12 (the money bound, in any currency) at quota pays it to the cent
    month = np.full((1, 12), 1e9)
    paid = payout(standard_plan(), month, month, [MAX_MONEY])
    assert round_money(paid.total[0]) == MAX_MONEY
    # a bonus of 100x that TI would be 1e14 in one payment: refused, naming the TI
    with pytest.warns(PlausibilityWarning, match="share_of_ti 100 is above 10"):
        big = load_plan(
            plan_of(
                one_component(),
                {
                    "name": "b",
                    "type": "bonus",
                    "milestones": [{"attainment": 1.0, "share_of_ti": 100}],
                },
            )
        )
    with pytest.raises(
        DataError,
        match=re.escape(
            "plan 'Test plan': the payment of 'b' to the rep at index (0,) in period 12 is "
            "100000000000000.0, beyond what money arithmetic can hold to the cent (at most "
            "1e+13 a payment); that rep's bookings are 1.2e+10 against a quota of 1.2e+10, "
            "with a target incentive of 1e+12."
        ),
    ):
        payout(big, month, month, [MAX_MONEY])


def test_the_money_bounds_are_the_documented_ones():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "data-format.md").read_text()
    table = doc.split("## Money bounds in every currency")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (plan|payout kernel)[^|]* \| [^|]+ \| (1e1\d) \|$", table, re.M)
    assert [(where, float(bound)) for where, bound in rows] == [
        ("plan", MAX_MONEY),
        ("plan", MAX_UNITS),
        ("payout kernel", MAX_MONEY),
        ("payout kernel", MAX_PERIOD_UNITS),
        ("payout kernel", MAX_PAYMENT),
    ]
    assert MAX_MONEY == 1e12 and MAX_PAYMENT == MAX_PERIOD_UNITS == 1e13


def test_curves_and_metrics_refuse_absurd_scales():
    plan = standard_plan()
    with pytest.raises(DataError, match=r"attainment must be finite, >= 0 and at most 10000"):
        payout_curve(plan, [1.0, 1e300])
    with pytest.raises(
        DataError, match=r"quota must be at most 1e\+12 \(a year, per rep\); got 1e\+308"
    ):
        plan_metrics(plan, quota=1e308)
    with pytest.raises(DataError, match=r"target_incentive must be at most 1e\+12"):
        plan_metrics(plan, quota=1e6, target_incentive=1e13)


def test_mbo_probabilities_too_large_to_sum_are_a_plan_error():
    # found by tests/test_fuzz_specs.py: math.fsum of two 1e308 overflowed
    from spm_sim.comp import load_plan
    from spm_sim.errors import PlanError

    data = {
        "name": "p",
        "measures": [{"name": "score", "kind": "score"}],
        "components": [
            {
                "name": "b",
                "weight": 0.8,
                "rate_basis": "tcr",
                "tiers": [{"from": 0.0, "rate": 1.0}],
            },
            {
                "name": "mbo",
                "type": "mbo",
                "measure": "score",
                "weight": 0.2,
                "levels": [{"score": 0.0, "payout": 0.0}, {"score": 1.0, "payout": 1.0}],
                "probabilities": [1e308, 1e308],
            },
        ],
    }
    with pytest.raises(PlanError, match="probabilities must be one number >= 0 per level"):
        load_plan(data)
