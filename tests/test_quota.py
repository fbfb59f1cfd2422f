"""Quotas of reps who join or leave during the plan year, worked out by hand.

The quota of rep ``r`` in month ``m`` is ``k rr_r w_m e_rm`` (``quota.py`` Notes):
the same ``k`` and seasonal weight ``w_m`` for every rep, so the ratio of two reps'
quotas in one month is the ratio of their run rates times the ratio of their
ramp-weighted exposures. The tests check those ratios against exposures counted
by hand from the hire and term dates, without knowing the seasonality.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import write_book

from spm_sim import DataError, load_book
from spm_sim.errors import PlausibilityWarning, strict_checks
from spm_sim.quota import QuotaSettings, quotas_from_history, set_quotas

RATES = {"R1": 2.0, "R2": 3.0, "R3": 4.0, "R4": 2.5, "R5": 3.5, "R6": 3.0, "R7": 3.0, "R8": 2.0}
REGIONS = {r: "East" for r in ("R1", "R2", "R3", "R7")} | {
    r: "West" for r in ("R4", "R5", "R6", "R8")
}
# R6 is hired in the middle of April of the plan year 2025, R7 only after it;
# R2 leaves in the middle of August 2025, R8 on the last day of 2024.
HIRE = {r: "2019-06-01" for r in RATES} | {"R6": "2025-04-16", "R7": "2026-01-01"}
TERM = {"R2": "2025-08-15", "R8": "2024-12-31"}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("joiners_leavers")
    return load_book(write_book(folder, rates=RATES, regions=REGIONS, hire=HIRE, term=TERM))


@pytest.fixture(scope="module")
def quotas(book):
    return quotas_from_history(book, plan_year=2025, settings=QuotaSettings(over_assignment=0.05))


def test_default_reps_are_everyone_employed_on_a_day_of_the_plan_year(quotas):
    # not R7 (hired 2026-01-01) nor R8 (left 2024-12-31, the day before the year)
    assert quotas.rep_ids == ("R1", "R2", "R3", "R4", "R5", "R6")
    assert quotas.values.shape == (6, 12)


def test_one_day_in_the_year_is_enough(tmp_path):
    # R8 works on 1 January 2025 only: it carries a quota for that one day
    term = TERM | {"R8": "2025-01-01"}
    book = load_book(write_book(tmp_path / "b", rates=RATES, regions=REGIONS, hire=HIRE, term=term))
    q = quotas_from_history(book, plan_year=2025)
    assert "R8" in q.rep_ids
    r8 = q.values[q.rep_ids.index("R8")]
    assert r8[0] > 0 and np.all(r8[1:] == 0)
    r4 = q.values[q.rep_ids.index("R4")]
    rr = q.basis.set_index("rep_id")["run_rate"]
    # one day of 31 in January, fully ramped: 1/31 of what R4 gets, per unit of run rate
    assert r8[0] / r4[0] == pytest.approx(rr["R8"] / rr["R4"] / 31)


def test_a_mid_year_hire_gets_the_region_median_from_the_month_of_hire_ramped(quotas):
    basis = quotas.basis.set_index("rep_id")
    assert basis.loc["R6", "run_rate_source"] == "region median (hired during plan year)"
    assert basis.loc["R6", "selling_months_last_year"] == 0.0
    assert basis.loc["R6", "bookings_last_year"] == 0.0
    # the West reps with history in 2024 are R4 and R5 (R8 left and carries no quota)
    assert basis.loc["R6", "run_rate"] == pytest.approx(basis.loc[["R4", "R5"], "run_rate"].mean())
    assert basis.loc[["R4", "R5"], "run_rate_source"].tolist() == ["own history"] * 2
    v = dict(zip(quotas.rep_ids, quotas.values, strict=True))
    # R6 against the average of R4 and R5 (fully ramped all year, mean run rate = R6's):
    # nothing before April; April 16-30 is 15 of 30 days at 25% ramp; 25% in May and
    # June (tenure months 1-2), 50% July-September, 75% October-December.
    expected = [0, 0, 0, 0.25 * 15 / 30, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75]
    np.testing.assert_allclose(v["R6"] / ((v["R4"] + v["R5"]) / 2), expected, rtol=1e-12)


def test_a_leavers_quota_stops_after_the_term_month(quotas):
    v = dict(zip(quotas.rep_ids, quotas.values, strict=True))
    basis = quotas.basis.set_index("rep_id")
    assert basis.loc["R2", "run_rate_source"] == "own history"
    full = basis.loc["R2", "run_rate"] / basis.loc["R1", "run_rate"]
    ratio = v["R2"] / v["R1"]
    # January to July in full, 15 of August's 31 days (term_date is the last day
    # worked), nothing from September
    np.testing.assert_allclose(ratio[:7], full, rtol=1e-12)
    assert ratio[7] == pytest.approx(full * 15 / 31, rel=1e-12)
    assert np.all(v["R2"][8:] == 0.0)


def test_the_quotas_still_add_up_to_the_target(quotas, book):
    b = book.bookings
    target = b.loc[b["date"].dt.year == 2024, "amount"].sum() * 1.10
    assert quotas.company_target == pytest.approx(target)
    assert quotas.values.sum() == pytest.approx(target * 1.05)
    assert quotas.basis["annual_quota"].sum() == pytest.approx(target * 1.05)


def test_explicit_rep_ids_keep_their_relative_quotas(book, quotas):
    # the simulation passes the reps employed on 1 January: each keeps the run rate
    # and monthly split it has in the default set, scaled so they alone add up to
    # the target (the mid-year hire's share goes back to them)
    jan1 = ["R1", "R2", "R3", "R4", "R5"]
    q = quotas_from_history(
        book, plan_year=2025, settings=QuotaSettings(over_assignment=0.05), rep_ids=jan1
    )
    assert q.rep_ids == tuple(jan1)
    default = quotas.values[:5]
    np.testing.assert_allclose(q.values, default * (q.values.sum() / default.sum()), rtol=1e-12)
    assert q.values.sum() == pytest.approx(quotas.values.sum())
    rr = quotas.basis.set_index("rep_id").loc[jan1, "run_rate"].to_numpy()
    np.testing.assert_array_equal(q.basis["run_rate"].to_numpy(), rr)


def test_nobody_employed_in_the_plan_year(tmp_path):
    rates = {"R1": 2.0, "R2": 3.0}
    term = {"R1": "2024-09-30", "R2": "2024-10-31"}
    book = load_book(write_book(tmp_path / "b", rates=rates, term=term))
    with pytest.raises(DataError, match=r"no rep of the book is employed on any day of 2025"):
        quotas_from_history(book, plan_year=2025)


def test_a_rep_who_sold_nothing_is_named_but_new_hires_are_not(tmp_path):
    # R9 worked all of 2024 and booked nothing; R10 was hired 2024-11-01 (a short history
    # by design), R6 in the plan year: only R9 should have had a history of their own
    rates = RATES | {"R9": 0.0, "R10": 2.0}
    regions = REGIONS | {"R9": "East", "R10": "West"}
    hire = HIRE | {"R9": "2019-06-01", "R10": "2024-11-01"}
    book = load_book(write_book(tmp_path / "b", rates=rates, regions=regions, hire=hire, term=TERM))
    with pytest.warns(PlausibilityWarning) as seen:
        q = quotas_from_history(book, plan_year=2025)
    basis = q.basis.set_index("rep_id")
    assert basis.loc["R9", "run_rate_source"] == "region median (no bookings)"
    assert basis.loc["R10", "run_rate_source"] == "region median (short history)"
    assert basis.loc["R6", "run_rate_source"] == "region median (hired during plan year)"
    (message,) = [str(w.message) for w in seen]
    rate = basis.loc["R9", "run_rate"]
    assert message.startswith(
        "quota method 'history': 1 rep on quota booked nothing from 2024-01-01 to 2024-12-31 "
        "though employed for at least 3 selling months of it (R9 (East, 12.0 selling months, "
        f"run rate {rate:,.0f} a year: the region median)). A rep without a history of their "
        "own gets the median run rate of their region"
    )
    assert "R10" not in message and "R6" not in message
    with strict_checks(), pytest.raises(DataError, match=r"^quota method 'history': 1 rep .*R9"):
        quotas_from_history(book, plan_year=2025)


def test_the_sample_scenarios_quotas_raise_no_plausibility_warning():
    from spm_sim import load_sample
    from spm_sim.scenario import SAMPLE_SCENARIOS, sample_scenario

    book = load_sample()
    names = sorted(p.stem for p in SAMPLE_SCENARIOS.glob("*.yaml"))
    checked = 0
    for name in names:
        s = sample_scenario(name)
        if s.quota.method == "calibrated":
            continue  # fits the productivity model: covered by its own tests
        with strict_checks():  # a warning would be raised here
            q = set_quotas(book, plan_year=s.plan_year, settings=s.quota)
        assert len(q.rep_ids) > 0
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "overrides: [{rep_id: R999, quota: 1000000, reason: test}]",
            r"quota\.overrides\[0\]: rep 'R999' carries no quota in this plan year",
        ),
        (
            "moves: [{rep_id: R999, region: West, date: 2026-04-01}]",
            r"quota\.moves\[0\] \(R999\): rep 'R999' carries no quota in 2026",
        ),
        (
            "hires: [{rep_id: R001, region: West, start: 2026-03-01}]",
            r"quota\.hires\[0\] \(R001\): rep_id 'R001' is already a rep of the book",
        ),
    ],
    ids=["override", "move", "hire"],
)
def test_checks_when_quotas_are_set_name_the_scenario_file(tmp_path, entry, message):
    import re

    from spm_sim import load_sample
    from spm_sim.errors import SpecError
    from spm_sim.scenario import SAMPLE_SCENARIOS, load_scenario

    plan = SAMPLE_SCENARIOS.parent / "plans" / "baseline.yaml"
    path = tmp_path / "base.yaml"
    path.write_text(
        f"name: Entries\nplan: {plan}\nplan_year: 2026\nquota:\n  growth: 0.08\n  {entry}\n"
    )
    settings = load_scenario(path).quota
    book = load_sample()
    in_file = "^" + re.escape(f"{path}: ") + message
    with pytest.raises(SpecError, match=in_file):
        set_quotas(book, plan_year=2026, settings=settings)
    with pytest.raises(SpecError, match=in_file):  # a change elsewhere keeps the file's name
        set_quotas(book, plan_year=2026, settings=settings.replace(growth=0.1))
    same = QuotaSettings(**settings.model_dump())  # the same settings, built in code
    assert same == settings and hash(same) == hash(settings)  # the file is not their value
    with pytest.raises(SpecError, match="^" + message):
        set_quotas(book, plan_year=2026, settings=same)
    field = entry.split(":")[0]  # the entries replaced in code are not the file's
    with pytest.raises(SpecError, match="^" + message):
        set_quotas(book, plan_year=2026, settings=settings.replace(**{field: getattr(same, field)}))
