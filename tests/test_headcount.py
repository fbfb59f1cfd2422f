"""Headcount and capacity: hand calculations, a Monte Carlo oracle, monotonicity, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pydantic
import pytest

from spm_sim import DataError, SpecError, load_sample
from spm_sim.capacity import (
    CapacityAssumptions,
    effective_fte_per_seat,
    headcount_by_region,
    quota_headcount,
    seat_productivity_by_month,
    workload_headcount,
)
from spm_sim.errors import CapacityError
from spm_sim.productivity import DEFAULT_RAMP, ramp_factor

FLAT = (1.0,)  # no ramp


def hazard(a: float) -> float:
    return 1.0 - (1.0 - a) ** (1.0 / 12.0)


# --- the spec --------------------------------------------------------------------------


def test_defaults_and_selling_hours():
    a = CapacityAssumptions()
    assert (a.hours_per_year, a.selling_share, a.ramp) == (1800.0, 0.6, DEFAULT_RAMP)
    assert (a.annual_attrition, a.backfill_lag_months, a.vacancy_productivity) == (0.25, 3, 0.0)
    assert a.selling_hours == pytest.approx(1080.0)


def test_spec_is_frozen_and_replace_validates_again():
    a = CapacityAssumptions()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        a.selling_share = 0.5  # type: ignore[misc]
    with pytest.raises(CapacityError, match=r"annual_attrition must be in \[0, 1\); got 1\.0"):
        a.replace(annual_attrition=1.0)
    with pytest.raises(CapacityError, match=r"unknown field 'selling_shar'.*'selling_share'"):
        a.replace(selling_shar=0.5)
    assert a.replace(annual_attrition=0.3) == CapacityAssumptions(annual_attrition=0.3)
    assert a.model_dump() == {
        "hours_per_year": 1800.0,
        "selling_share": 0.6,
        "ramp": DEFAULT_RAMP,
        "annual_attrition": 0.25,
        "backfill_lag_months": 3,
        "vacancy_productivity": 0.0,
    }
    assert CapacityAssumptions(ramp=[0.5, 1]).ramp == (0.5, 1.0)  # normalised to a tuple
    assert CapacityAssumptions(backfill_lag_months=2.0).backfill_lag_months == 2
    with pytest.raises(TypeError):
        CapacityAssumptions(0.5)  # keyword-only


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"selling_share": 1.4}, r"selling_share must be in \(0, 1\]; got 1\.4"),
        ({"selling_share": 0}, r"selling_share must be in \(0, 1\]; got 0"),
        ({"hours_per_year": -5}, r"hours_per_year must be in \(0, 8760\]; got -5"),
        ({"hours_per_year": 9000}, r"hours_per_year must be in \(0, 8760\]; got 9000"),
        ({"hours_per_year": "1800"}, r"hours_per_year must be a finite number .*; got '1800'"),
        ({"annual_attrition": -0.1}, r"annual_attrition must be in \[0, 1\); got -0\.1"),
        ({"annual_attrition": float("nan")}, r"annual_attrition must be a finite number"),
        ({"vacancy_productivity": 1.5}, r"vacancy_productivity must be in \[0, 1\]; got 1\.5"),
        ({"backfill_lag_months": 2.5}, r"backfill_lag_months must be a whole number .*got 2\.5"),
        ({"backfill_lag_months": -1}, r"backfill_lag_months must be a whole number .*got -1"),
        ({"backfill_lag_months": True}, r"backfill_lag_months must be a whole number .*got True"),
        ({"ramp": (0.5, 1.2, 1.0)}, r"ramp quarter 2 must be a number in \[0, 1\]; got 1\.2"),
        ({"ramp": (0.5, float("nan"), 1)}, r"ramp quarter 2 must be a number in \[0, 1\]; got nan"),
        ({"ramp": (0.5, 0.9)}, r"ramp must end at 1\.0 \(a fully ramped rep\); got \(0\.5, 0\.9\)"),
        ({"ramp": ()}, r"ramp must end at 1\.0 .*got \(\)"),
        ({"ramp": 1.0}, r"ramp must be a sequence of numbers; got 1\.0"),
    ],
)
def test_spec_errors_name_field_rule_and_value(kwargs, message):
    with pytest.raises(CapacityError, match=message) as info:
        CapacityAssumptions(**kwargs)
    assert isinstance(info.value, SpecError) and isinstance(info.value, ValueError)


def test_spec_errors_list_every_problem_and_unknown_fields():
    with pytest.raises(CapacityError) as info:
        CapacityAssumptions(selling_share=1.4, annual_attrition=1.0)
    assert str(info.value).splitlines() == [
        "selling_share must be in (0, 1]; got 1.4",
        "annual_attrition must be in [0, 1); got 1.0",
    ]
    with pytest.raises(CapacityError, match=r"unknown field 'hours_per_yeer'.*'hours_per_year'"):
        CapacityAssumptions(hours_per_yeer=1600)
    # numbers of any real type, whole months given as floats; never text
    a = CapacityAssumptions(hours_per_year=np.int64(1600), backfill_lag_months=np.int64(2))
    assert (a.hours_per_year, a.backfill_lag_months) == (1600.0, 2)
    with pytest.raises(CapacityError, match=r"backfill_lag_months must be a whole .*got '3'"):
        CapacityAssumptions(backfill_lag_months="3")
    # model_validate (no replace, no direct call) keeps the same text in pydantic's error
    with pytest.raises(pydantic.ValidationError, match=r"selling_share must be in \(0, 1\]"):
        CapacityAssumptions.model_validate({"selling_share": 2})


# --- effective FTE per seat: hand calculations ---------------------------------------------


def test_no_attrition_ramped_seat_is_one_fte_and_new_hire_pays_the_ramp():
    a = CapacityAssumptions(annual_attrition=0.0)
    assert effective_fte_per_seat(a) == pytest.approx(1.0, abs=1e-12)
    # 3 months each at 25%, 50%, 75%, 100%: 7.5 FTE-months / 12
    assert effective_fte_per_seat(a, new_hire=True) == pytest.approx(0.625, abs=1e-12)
    np.testing.assert_allclose(
        seat_productivity_by_month(a, new_hire=True), np.repeat([0.25, 0.5, 0.75, 1.0], 3)
    )


def test_no_lag_and_no_ramp_loses_nothing():
    a = CapacityAssumptions(ramp=FLAT, annual_attrition=0.3, backfill_lag_months=0)
    assert effective_fte_per_seat(a) == pytest.approx(1.0, abs=1e-12)


def test_leavers_never_replaced_within_the_year_geometric_sum():
    # h = 1 - 0.75^(1/12) = 0.0236884; e = (1 - (1-h)^12) / (12 h) = a / (12 h)
    a = CapacityAssumptions(ramp=FLAT, annual_attrition=0.25, backfill_lag_months=11)
    assert hazard(0.25) == pytest.approx(0.0236884, abs=1e-7)
    assert effective_fte_per_seat(a) == pytest.approx(0.879473, abs=1e-6)
    assert effective_fte_per_seat(a) == pytest.approx(0.25 / (12 * hazard(0.25)), rel=1e-12)
    np.testing.assert_allclose(seat_productivity_by_month(a), (1 - hazard(0.25)) ** np.arange(12))
    # a longer lag changes nothing inside the year
    longer = a.replace(backfill_lag_months=30)
    assert effective_fte_per_seat(longer) == pytest.approx(effective_fte_per_seat(a), rel=1e-12)


def test_vacancy_productivity_fills_part_of_the_hole():
    v = 0.4
    a = CapacityAssumptions(
        ramp=FLAT, annual_attrition=0.25, backfill_lag_months=12, vacancy_productivity=v
    )
    assert effective_fte_per_seat(a) == pytest.approx(v + (1 - v) * 0.879473, abs=1e-6)


def test_one_month_lag_two_term_recursion():
    # filled share f_m: f_0 = 1, f_1 = 1 - h, f_m = (1 - h) f_{m-1} + h f_{m-2}
    # (a seat vacant in month m-1 was left at the end of m-2 and is refilled in m)
    a = CapacityAssumptions(ramp=FLAT, annual_attrition=0.5, backfill_lag_months=1)
    h = hazard(0.5)
    f = [1.0, 1.0 - h]
    for _ in range(10):
        f.append((1 - h) * f[-1] + h * f[-2])
    assert sum(f) / 12 == pytest.approx(0.951050, abs=1e-6)
    assert effective_fte_per_seat(a) == pytest.approx(sum(f) / 12, rel=1e-12)


def test_new_hire_not_replaced_pays_ramp_and_survival():
    # e = (1/12) sum_m (1-h)^m ramp(m) when a leaver is not replaced within the year
    a = CapacityAssumptions(annual_attrition=0.25, backfill_lag_months=12)
    m = np.arange(12)
    expected = ((1 - hazard(0.25)) ** m * ramp_factor(m, DEFAULT_RAMP)).mean()
    assert effective_fte_per_seat(a, new_hire=True) == pytest.approx(expected, rel=1e-12)


def test_default_figures():
    assert effective_fte_per_seat() == pytest.approx(0.903337, abs=1e-6)
    assert effective_fte_per_seat(new_hire=True) == pytest.approx(0.553797, abs=1e-6)


def test_months_must_be_a_whole_number():
    with pytest.raises(CapacityError, match=r"months must be a whole number >= 1; got 0"):
        seat_productivity_by_month(months=0)


# --- effective FTE per seat: Monte Carlo oracle --------------------------------------------


def simulate_seats(a: CapacityAssumptions, *, new_hire: bool, n: int, rng) -> np.ndarray:
    """Each seat's productive share of the year, by brute force (independent of the chain)."""
    rng = np.random.default_rng(rng)
    h = hazard(a.annual_attrition)
    tenure = np.zeros(n, dtype=int) if new_hire else np.full(n, 1000)
    vacant_left = np.zeros(n, dtype=int)  # months of vacancy still to come, this one included
    total = np.zeros(n)
    for _ in range(12):
        filled = vacant_left == 0
        total += np.where(filled, ramp_factor(tenure, a.ramp), a.vacancy_productivity)
        leaves = filled & (rng.random(n) < h)
        stays = filled & ~leaves
        tenure[stays] += 1
        # a vacancy that has run its course is filled by a new hire next month
        ending = ~filled & (vacant_left == 1)
        vacant_left[~filled] -= 1
        tenure[ending] = 0
        vacant_left[leaves] = a.backfill_lag_months
        tenure[leaves & (a.backfill_lag_months == 0)] = 0
    return total / 12


@pytest.mark.parametrize("new_hire", [False, True])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"annual_attrition": 0.6, "backfill_lag_months": 2, "vacancy_productivity": 0.2},
        {"annual_attrition": 0.45, "backfill_lag_months": 0, "ramp": (0.0, 0.5, 1.0)},
    ],
)
def test_matches_monte_carlo_within_standard_errors(kwargs, new_hire):
    a = CapacityAssumptions(**kwargs)
    share = simulate_seats(a, new_hire=new_hire, n=200_000, rng=20260101)
    se = share.std(ddof=1) / np.sqrt(share.size)
    assert se > 0
    assert abs(share.mean() - effective_fte_per_seat(a, new_hire=new_hire)) < 4 * se


# --- monotonicity ------------------------------------------------------------------------


@pytest.mark.parametrize("new_hire", [False, True])
def test_more_attrition_or_longer_lag_never_fewer_seats(new_hire):
    rates = np.linspace(0.0, 0.9, 10)
    lags = range(0, 13)
    e = np.array(
        [
            [
                effective_fte_per_seat(
                    CapacityAssumptions(annual_attrition=r, backfill_lag_months=lag),
                    new_hire=new_hire,
                )
                for lag in lags
            ]
            for r in rates
        ]
    )
    assert np.all(np.diff(e, axis=0) <= 1e-12)  # more attrition: less per seat
    assert np.all(np.diff(e, axis=1) <= 1e-12)  # longer lag: less per seat
    seats = np.vectorize(lambda x: math.ceil(100.0 / x - 1e-9))(e)
    assert np.all(np.diff(seats, axis=0) >= 0) and np.all(np.diff(seats, axis=1) >= 0)
    base = workload_headcount(150_000).seats
    for change in ({"annual_attrition": 0.35}, {"backfill_lag_months": 6}):
        more = CapacityAssumptions(**change)
        assert workload_headcount(150_000, more).seats >= base


# --- workload and carried-quota sizing -----------------------------------------------------


def test_workload_headcount_by_hand():
    # 100,000 h / (1,800 h x 0.6) = 92.5926 FTE; / 0.903337 FTE per seat = 102.5007 -> 103
    hc = workload_headcount(100_000)
    assert hc.method == "workload"
    assert hc.capacity_per_fte == pytest.approx(1080.0)
    assert hc.raw_fte == pytest.approx(92.5926, abs=1e-4)
    assert hc.raw_fte / hc.fte_per_seat == pytest.approx(102.5007, abs=1e-4)
    assert hc.seats == 103
    steps = hc.to_frame()
    assert list(steps["step"]) == ["demand", "capacity_per_fte", "raw_fte", "fte_per_seat", "seats"]
    assert list(steps.columns) == ["step", "formula", "value", "unit"]
    assert steps["value"].iloc[-1] == 103
    # without attrition a seat is one FTE: ceil(92.59) = 93
    assert workload_headcount(100_000, CapacityAssumptions(annual_attrition=0)).seats == 93
    # new hires pay their ramp: 92.5926 / 0.553797 = 167.2 -> 168
    assert workload_headcount(100_000, new_hire=True).seats == 168
    assert workload_headcount(0).seats == 0


def test_exact_multiple_does_not_gain_a_seat_from_rounding_noise():
    a = CapacityAssumptions(hours_per_year=1600, selling_share=0.57, annual_attrition=0)
    assert 9120 / a.selling_hours > 10  # 10.000000000000002 in floating point
    assert workload_headcount(9120, a).seats == 10
    assert workload_headcount(9120.01, a).seats == 11


def test_quota_headcount_by_hand():
    # 50M / (1.2M x 0.9) = 46.2963 FTE; / 0.903337 = 51.25 -> 52
    hc = quota_headcount(50e6, 1.2e6, 0.9)
    assert hc.method == "quota"
    assert hc.capacity_per_fte == pytest.approx(1.08e6)
    assert hc.raw_fte == pytest.approx(46.2963, abs=1e-4)
    assert hc.seats == 52
    assert hc.inputs["expected_attainment"] == 0.9
    assert "quota x expected_attainment" in hc.to_frame()["formula"].iloc[1]
    assert quota_headcount(50e6, 1.2e6, 0.9, CapacityAssumptions(annual_attrition=0)).seats == 47


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1e6, 1.0), r"target must be > 0; got 0"),
        ((-5.0, 1e6, 1.0), r"target must be > 0; got -5\.0"),
        ((float("nan"), 1e6, 1.0), r"target must be a finite number > 0; got nan"),
        ((1e7, 0, 1.0), r"quota_per_ramped_rep must be > 0; got 0"),
        ((1e7, 1e6, 0.0), r"expected_attainment must be in \(0, 2\]; got 0\.0"),
        ((1e7, 1e6, 2.5), r"expected_attainment must be in \(0, 2\]; got 2\.5"),
    ],
)
def test_quota_headcount_errors(args, message):
    with pytest.raises(CapacityError, match=message):
        quota_headcount(*args)


def test_workload_errors_and_a_seat_that_delivers_nothing():
    with pytest.raises(CapacityError, match=r"total_workload_hours must be >= 0; got -1"):
        workload_headcount(-1)
    with pytest.raises(CapacityError, match=r"total_workload_hours must be a finite number"):
        workload_headcount(float("inf"))
    late = CapacityAssumptions(ramp=(0.0, 1.0), annual_attrition=0.0)
    with pytest.raises(CapacityError, match=r"a seat delivers no FTE .*fte_per_seat = 0\.0"):
        workload_headcount(10, CapacityAssumptions(ramp=(0.0,) * 4 + (1.0,)), new_hire=True)
    assert effective_fte_per_seat(late, new_hire=True) == pytest.approx(9 / 12)


# --- per region on the sample ---------------------------------------------------------


@pytest.fixture(scope="module")
def book():
    return load_sample()


def test_headcount_by_region_on_the_sample(book):
    table = headcount_by_region(book.accounts, reps=book.reps)
    assert list(table.columns) == [
        "region",
        "workload_hours",
        "selling_hours_per_rep",
        "raw_fte",
        "fte_per_seat",
        "seats_needed",
        "current_reps",
        "gap",
        "hires_needed",
    ]
    assert list(table["region"]) == ["Central", "East", "South", "West"]
    assert table["workload_hours"].sum() == pytest.approx(150_604.9, abs=1e-6)
    assert table["workload_hours"].sum() == pytest.approx(book.accounts["workload"].sum())
    assert table["raw_fte"].sum() == pytest.approx(150_604.9 / 1080, abs=1e-9)
    assert list(table["seats_needed"]) == [34, 37, 46, 39]
    assert list(table["current_reps"]) == [18, 19, 24, 19]
    assert table["current_reps"].sum() == 80
    assert list(table["gap"]) == [16, 18, 22, 20]
    assert list(table["hires_needed"]) == [26, 30, 36, 32]
    # by hand for Central: 32,555.5 / 1,080 = 30.144 FTE; / 0.903337 = 33.37 -> 34;
    # hires: (30.144 - 18 x 0.903337) / 0.553797 = 25.07 -> 26
    central = table.iloc[0]
    assert central["raw_fte"] == pytest.approx(30.1440, abs=1e-4)
    assert (central["raw_fte"] - 18 * central["fte_per_seat"]) / effective_fte_per_seat(
        new_hire=True
    ) == pytest.approx(25.07, abs=0.01)
    assert table.attrs["assumptions"]["annual_attrition"] == 0.25


def test_company_total_on_the_sample(book):
    # 150,604.9 / 1,080 = 139.449 FTE; / 0.903337 = 154.37 -> 155 (regions, rounded up: 156)
    hc = workload_headcount(book.accounts["workload"].sum())
    assert hc.raw_fte == pytest.approx(139.449, abs=1e-3)
    assert hc.seats == 155


def test_headcount_by_region_inputs(book):
    regions = book.accounts["rep_id"].map(book.reps.set_index("rep_id")["region"])
    by_series = headcount_by_region(book.accounts, region=regions)
    assert list(by_series["seats_needed"]) == [34, 37, 46, 39]
    counts = pd.Series({"Central": 20, "East": 19, "South": 24})  # West missing: 0
    table = headcount_by_region(book.accounts, region=regions, current=counts)
    assert list(table["current_reps"]) == [20, 19, 24, 0]
    assert list(table["gap"]) == [14, 18, 22, 39]
    bare = headcount_by_region(book.accounts, region=regions, current=None)
    assert "current_reps" not in bare.columns and "gap" not in bare.columns
    same = headcount_by_region(book.accounts.assign(region=regions), current=None)
    pd.testing.assert_frame_equal(bare, same)


def test_headcount_by_region_errors(book):
    acc = book.accounts
    with pytest.raises(DataError, match=r"no column 'region' in accounts to group .*pass reps="):
        headcount_by_region(acc)
    with pytest.raises(DataError, match=r"no column 'workloads'.*Did you mean 'workload'\?"):
        headcount_by_region(acc, reps=book.reps, workload="workloads")
    bad = acc.assign(workload=acc["workload"].where(acc.index != 3))
    with pytest.raises(DataError, match=r"1 account\(s\) have a workload that is missing.*index 3"):
        headcount_by_region(bad, reps=book.reps)
    negative = acc.assign(workload=acc["workload"].where(acc.index != 5, -2.0))
    where = r"first at index 5 \(account_id A00006, rep_id R\d+\): -2\.0\."
    with pytest.raises(DataError, match=r"negative; " + where):
        headcount_by_region(negative, reps=book.reps)
    few_reps = book.reps[book.reps["region"] != "West"]
    where = r"first at index \d+ \(account_id A\d+, rep_id R\d+\)\. Check that every rep_id"
    with pytest.raises(DataError, match=r"account\(s\) have no region; " + where):
        headcount_by_region(acc, reps=few_reps)
    with pytest.raises(DataError, match=r"no column 'owner' to count current reps"):
        headcount_by_region(acc, reps=book.reps, current="owner")
    with pytest.raises(DataError, match=r"current reps must be whole numbers >= 0; got .*2\.5"):
        headcount_by_region(acc, reps=book.reps, current=pd.Series({"East": 2.5}))
    regions = pd.Series("East", index=acc.index).where(acc.index != 7)
    with pytest.raises(DataError, match=r"1 account\(s\) have no region; first at index 7 \("):
        headcount_by_region(acc, region=regions)


def test_headcount_balance_tabulates_each_count():
    from spm_sim.capacity import CapacityAssumptions, headcount_balance

    rng = np.random.default_rng(3)
    units = pd.DataFrame(
        {
            "unit_id": range(90),
            "x": rng.uniform(0, 50, 90),
            "y": rng.uniform(0, 50, 90),
            "workload": rng.uniform(20, 60, 90),
            "potential": rng.uniform(1, 3, 90),
        }
    )
    a = CapacityAssumptions(hours_per_year=1000.0, selling_share=0.5)
    t = headcount_balance(
        units, [3, 4, 5], assumptions=a, balance={"workload": 0.05, "potential": 0.1}, rng=0
    )
    assert t["reps"].tolist() == [3, 4, 5]
    total = units["workload"].sum()
    np.testing.assert_allclose(t["load_mean"], total / np.array([3, 4, 5]) / 500.0)
    assert (t["max_dev_workload"] <= 0.05 + 1e-9).all()
    assert (t["max_dev_potential"] <= 0.1 + 1e-9).all()
    assert (t["load_max"] <= t["load_mean"] * 1.05 + 1e-9).all()
    # more reps: smaller territories, less travel
    assert t["total_distance"].is_monotonic_decreasing


def test_headcount_balance_keeps_going_past_an_infeasible_count():
    from spm_sim.capacity import headcount_balance

    units = pd.DataFrame(
        {"unit_id": range(12), "x": range(12), "y": 0.0, "workload": [100.0] * 11 + [500.0]}
    )
    t = headcount_balance(units, [2, 3, 4], balance={"workload": 0.2}, rng=0)
    assert t["reps"].tolist() == [2, 3, 4]
    assert t.loc[t["reps"] == 4, "status"].item() == "infeasible"
    assert "the largest unit, 11, holds" in t.loc[t["reps"] == 4, "reason"].item()
