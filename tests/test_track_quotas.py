"""The default quotas of a tracked year stay put: set as of 31 December before it, hires
added on top (issue 17, walk-through finding 1)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spm_sim._track.known import known_to_date
from spm_sim.actuals import actual_payouts
from spm_sim.book import as_of, load_sample
from spm_sim.comp import standard_plan
from spm_sim.errors import DataError
from spm_sim.quota import QuotaSettings, quotas_from_history
from spm_sim.track import forecast, tracking_quotas

PLAN = standard_plan()
DATES = ("2025-03-31", "2025-06-30", "2025-09-30")


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def runs(book):
    return {d: forecast(book, PLAN, d, trials=5, rng=0) for d in DATES}


def _row(f, rep: str) -> np.ndarray:
    return f.quotas[f.rep_ids.index(rep)]


def test_an_incumbents_quota_is_the_same_as_of_any_date(book, runs):
    march, june, september = (runs[d] for d in DATES)
    for rep in ("R001", "R002", "R040"):
        assert np.array_equal(_row(march, rep), _row(june, rep))
        assert np.array_equal(_row(june, rep), _row(september, rep))
    # every rep on the book on 31 December 2024 who is still there keeps every month
    start = tracking_quotas(book, "2024-12-31", year=2025)
    assert start.info["added"] == ()
    for rep in start.rep_ids:
        if rep == "R069":  # left on 2025-09-25: see the leaver's test
            continue
        expected = start.values[start.rep_ids.index(rep)]
        for f in runs.values():
            assert np.array_equal(_row(f, rep), expected), rep
    # the re-shared quotas of before differed from one date to the next
    old = [
        quotas_from_history(as_of(book, d), plan_year=2025, settings=QuotaSettings(growth=0.0))
        for d in DATES
    ]
    r001 = [q.values[q.rep_ids.index("R001")].sum() for q in old]
    assert len({round(x, 2) for x in r001}) == 3


def test_payroll_of_closed_months_is_the_same_as_of_any_date(runs):
    march, june, september = (runs[d] for d in DATES)
    reps = march.rep_ids  # everyone known on 31 March is known later too
    at = [[f.rep_ids.index(r) for r in reps] for f in (june, september)]
    jan = march.paid_to_date[:, 0]
    assert jan.sum() > 0
    for f, idx in zip((june, september), at, strict=True):
        assert np.array_equal(f.paid_to_date[idx, 0], jan)
    # the first quarter as of 31 March and 30 June (nobody left before July)
    assert np.array_equal(june.paid_to_date[at[0], :3], march.paid_to_date[:, :3])


def test_a_hire_gets_the_quota_of_a_rep_hired_in_the_year_on_top(book, runs):
    march, june, september = (runs[d] for d in DATES)
    assert "R084" not in march.rep_ids  # hired 2025-05-01
    q = _row(june, "R084")
    assert (q[:4] == 0).all() and (q[4:] > 0).all()
    assert np.array_equal(q, _row(september, "R084"))
    # the history method's own rule for a rep hired during the plan year, at the
    # start-of-year scale: in the share-out of the June book (which takes from the
    # others) every incumbent's quota is the same fraction of its stable one, and so is
    # the hire's
    shared = quotas_from_history(
        as_of(book, "2025-06-30"), plan_year=2025, settings=QuotaSettings(growth=0.0)
    )
    basis = shared.basis.set_index("rep_id")
    assert basis.loc["R084", "run_rate_source"] == "region median (hired during plan year)"
    ratios = [
        _row(june, r).sum() / shared.values[shared.rep_ids.index(r)].sum()
        for r in ("R001", "R002", "R040", "R082")
    ]
    assert max(ratios) - min(ratios) < 1e-12 and ratios[0] > 1.0
    hire = shared.values[shared.rep_ids.index("R084")] * ratios[0]
    assert np.allclose(q, hire, rtol=1e-12, atol=0)
    # added on top: the quotas sum to the start-of-year target plus the hires'
    start = tracking_quotas(book, "2024-12-31", year=2025)
    hires = [_row(june, r).sum() for r in ("R082", "R083", "R084")]
    assert june.quotas.sum() == pytest.approx(start.values.sum() + sum(hires), rel=1e-12)
    assert start.values.sum() == pytest.approx(start.company_target, rel=1e-12)


def test_a_leaver_keeps_the_quota_of_the_months_employed(runs):
    june, september = runs["2025-06-30"], runs["2025-09-30"]
    before, after = _row(june, "R069"), _row(september, "R069")  # left 2025-09-25
    assert np.array_equal(after[:8], before[:8])
    assert after[8] == pytest.approx(before[8] * 25 / 30, rel=1e-12)
    assert (after[9:] == 0).all() and (before[9:] > 0).all()


@pytest.mark.parametrize("day", ["2025-06-30", "2025-09-30"])
def test_paid_to_date_is_the_payroll_on_the_same_quotas(book, runs, day):
    f = runs[day]
    quotas = tracking_quotas(book, day)
    assert quotas.rep_ids == f.rep_ids
    assert np.array_equal(quotas.values, f.quotas)
    with pytest.warns(Warning, match="no data"):
        payroll = actual_payouts(as_of(book, day), PLAN, 2025, quotas=quotas)
    months = pd.Timestamp(day).month
    got = np.rint(f.paid_to_date * 100).astype(np.int64)
    assert np.array_equal(got[:, :months], payroll.paid_cents()[:, :months])
    assert (got[:, months:] == 0).all() and got.sum() > 0


def test_the_quotas_say_how_they_were_set(book):
    q = tracking_quotas(book, "2025-06-30")
    assert q.info["set_on"] == "2024-12-31"
    assert q.info["added"] == ("R082", "R083", "R084")
    assert "as of 2024-12-31 for the 77 reps" in q.info["note"]
    assert "3 rep(s) hired since (R082, R083, R084)" in q.info["note"]
    added = q.basis.set_index("rep_id")["added_after_start"]
    assert added[["R082", "R083", "R084"]].all() and added.sum() == 3
    known = known_to_date(as_of(book, "2025-06-30"), PLAN, 2025, None, None)
    assert known.notes == (q.info["note"],)
    assert known.quota_set is not None and np.array_equal(known.quota_set.values, q.values)
    given = known_to_date(as_of(book, "2025-06-30"), PLAN, 2025, q, None)
    assert given.notes == () and given.quota_set is None
    assert np.array_equal(given.paid, known.paid)


def test_before_any_deal_of_the_year_the_same_quotas(book):
    """As of 31 December before the year (nothing paid yet) and as of a January day with
    no deal of the year in the book, the quotas are the start-of-year ones."""
    eve = forecast(book, PLAN, "2024-12-31", year=2025, trials=3, rng=0)
    start = tracking_quotas(book, "2024-12-31", year=2025)
    assert np.array_equal(eve.quotas, start.values) and (eve.paid_to_date == 0).all()
    early = dataclasses.replace(
        book, bookings=book.bookings[book.bookings["date"] < "2025-01-01"].reset_index(drop=True)
    )
    known = known_to_date(as_of(early, "2025-01-02"), PLAN, 2025, None, None)
    assert 2025 not in as_of(early, "2025-01-02").years
    assert np.array_equal(known.quotas, start.values)
    assert known.quota_set is not None and known.quota_set.info["set_on"] == "2024-12-31"


def test_a_book_starting_in_the_year_cannot_set_them_at_its_start(book):
    """A CRM export that starts in the year: no history to set quotas on, either way;
    the error says so (located), it is not a traceback."""
    late = dataclasses.replace(
        book, bookings=book.bookings[book.bookings["date"] >= "2025-03-01"].reset_index(drop=True)
    )
    with pytest.raises(DataError, match="history|bookings"):
        tracking_quotas(late, "2025-06-30")
