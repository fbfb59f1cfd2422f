"""The year to date: the payroll's reps, quotas and credited amounts at a date.

:func:`known_to_date` pays the year on the book as of the date through
:func:`spm_sim.actuals.actual_payouts` (so the months to date are the payroll's
numbers, to the cent) or, before the year has any deal, sets its quotas as the
payroll would and pays nothing yet. Unless quotas are given, they are
:func:`tracking_quotas`: set once, as of 31 December before the year, with the reps
hired since added on top, so they do not move from one as-of date to the next.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.actuals import actual_payouts, reps_of_role
from spm_sim.book import Book, as_of, as_of_day
from spm_sim.comp import Plan, payout, round_money
from spm_sim.errors import DataError, PlausibilityWarning
from spm_sim.productivity import exposure_months
from spm_sim.quota import Quotas, QuotaSettings, quotas_from_history

__all__ = [
    "Known",
    "known_to_date",
    "tracking_quotas",
    "as_of_day",  # spm_sim.book.as_of_day, for the track stage's own files
    "tracked_year",
    "elapsed",
    "first_month",
]


@dataclass(frozen=True)
class Known:
    """The year to date: the payroll's reps, quotas and credited amounts."""

    rep_ids: tuple[str, ...]
    rep_names: tuple[str, ...]
    quotas: np.ndarray  # (R, 12)
    target_incentive: np.ndarray  # (R,)
    bookings: np.ndarray  # (R, 12)
    measures: dict[str, np.ndarray]
    cancellations: dict[str, np.ndarray]
    active: np.ndarray  # (R, 12)
    paid: np.ndarray  # (R, 12, C) payroll money to date (0 after the as-of month)
    notes: tuple[str, ...] = ()  # how the default quotas were set (for Forecast.notes)
    quota_set: Quotas | None = None  # the default quotas used (None: quotas were given)


def tracked_year(day: pd.Timestamp, year: Any) -> int:
    if year is None:
        return int(day.year)
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise TypeError(f"year must be an int such as 2025; got {year!r}")
    year = int(year)
    first = pd.Timestamp(year=year - 1, month=12, day=31)
    last = pd.Timestamp(year=year, month=12, day=31)
    if not first <= day <= last:
        raise DataError(
            f"the as-of date {day:%Y-%m-%d} is outside the year {year} tracked: it must lie "
            f"from {first:%Y-%m-%d} (nothing known yet) to {last:%Y-%m-%d}. Choose a day in "
            f"that range, or track the year {day.year}.",
            column="as_of",
            value=f"{day:%Y-%m-%d}",
        )
    return year


def elapsed(day: pd.Timestamp, year: int) -> np.ndarray:
    """Share of each month of ``year`` known at the end of ``day``, shape (12,)."""
    out = np.zeros(12)
    if day.year > year:
        return np.ones(12)
    if day.year < year:
        return out
    out[: day.month - 1] = 1.0
    out[day.month - 1] = day.day / day.days_in_month
    return out


def known_to_date(known_book: Book, plan: Plan, year: int, quotas: Quotas | None, scores) -> Known:
    """The payroll of the year on the book as of the date (or zeros before any deal)."""
    day = pd.Timestamp(known_book.snapshot_date)
    through = int(np.ceil(elapsed(day, year).sum()))  # months begun by the date
    notes: tuple[str, ...] = ()
    stable: Quotas | None = None
    if quotas is None:  # the default: set at the start of the year (tracking_quotas)
        stable, note = _start_of_year_quotas(known_book, year)
        notes = (note,)
    if year in known_book.years:
        # the months after the date have no data by construction: the payroll is told
        # the year is complete so it does not warn about them (nothing else changes)
        book = replace(known_book, snapshot_date=pd.Timestamp(year=year, month=12, day=31))
        paid = actual_payouts(
            book, plan, year, quotas=quotas if quotas is not None else stable, scores=scores
        )
        money = paid.paid_cents() / 100.0
        money[:, through:, :] = 0.0
        return Known(
            rep_ids=paid.rep_ids,
            rep_names=paid.rep_names,
            quotas=np.asarray(paid.quotas, dtype=float),
            target_incentive=np.asarray(paid.target_incentive, dtype=float),
            bookings=np.asarray(paid.bookings, dtype=float),
            measures={k: np.asarray(v, dtype=float) for k, v in paid.measures.items()},
            cancellations=dict(paid.cancellations),
            active=np.asarray(paid.active, dtype=float),
            paid=round_money(money),
            notes=notes,
            quota_set=stable,
        )
    if plan.currency != known_book.currency:
        raise DataError(
            f"plan {plan.name!r} pays in {plan.currency} but book {known_book.name!r} is in "
            f"{known_book.currency}; convert one of them first."
        )
    if quotas is None:
        quotas = (
            stable
            if stable is not None
            else quotas_from_history(known_book, plan_year=year, settings=_SETTINGS)
        )
    reps = known_book.reps.set_index(known_book.reps["rep_id"].astype(str), drop=False)
    ids = [str(r) for r in quotas.rep_ids]
    missing = [r for r in ids if r not in reps.index]
    if missing:
        raise DataError(f"quota rep {missing[0]!r} is not in the book's reps.")
    sel = reps.loc[ids]
    values = np.asarray(quotas.values, dtype=float)
    if plan.role is not None:
        _, sel, values = reps_of_role(plan, year, ids, sel, values)
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    start = sel["hire_date"].where(sel["hire_date"] > first, first)
    end = sel["term_date"].fillna(last)
    end = end.where(end < last, last)
    share = np.clip((end - start).dt.days.to_numpy(float) + 1.0, 0, None) / (
        (last - first).days + 1
    )
    ti = sel["target_incentive"].to_numpy(float) * share
    starts = pd.date_range(first, periods=12, freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    hire = sel["hire_date"].to_numpy()[:, None]
    term = sel["term_date"].fillna(pd.Timestamp(year + 1, 12, 31)).to_numpy()[:, None]
    active = ((hire <= ends.to_numpy()[None, :]) & (term >= starts.to_numpy()[None, :])).astype(
        float
    )
    zeros = np.zeros_like(values)
    measures = {m.name: zeros.copy() for m in plan.measures if m.kind != "score"}
    if any(m.kind == "score" for m in plan.measures):
        raise DataError(
            f"plan {plan.name!r} pays on scores (MBO); the forecast of {year} before any of "
            "its deals cannot read scores yet: use a plan without an MBO component."
        )
    nothing = payout(plan, zeros, values, ti, measures=measures or None, active=active)
    money = np.asarray(nothing.by_component, dtype=np.float64).copy()
    money[:, through:, :] = 0.0
    return Known(
        rep_ids=tuple(str(r) for r in sel.index),
        rep_names=tuple(sel["name"].astype(str)),
        quotas=values,
        target_incentive=ti,
        bookings=zeros,
        measures=measures,
        cancellations={},
        active=active,
        paid=round_money(money),
        notes=notes,
        quota_set=stable,
    )


def first_month(day: pd.Timestamp, year: int) -> int:
    """The first month index (0-11) with anything left to draw."""
    if day.year < year:
        return 0
    return day.month - 1 if day.day < day.days_in_month else day.month


#: The default quotas of a tracked year: the payroll's (history, no growth).
_SETTINGS = QuotaSettings(growth=0.0)


def tracking_quotas(book: Book, as_of_date: Any, *, year: int | None = None) -> Quotas:
    """The quotas a tracked year is paid on by default: set at the start of the year.

    The payroll's rule (:func:`spm_sim.quota.quotas_from_history`, no growth) applied
    once, to the book as of 31 December before the year, for the reps on it then; a rep
    hired after that day (and known at ``as_of_date``) gets the quota the same method
    gives a rep hired during the plan year, added on top. So the quotas of the reps
    already there never change during the year, and the payroll of a month already
    closed does not change from one as-of date to the next unless its deals do. This is
    what :func:`spm_sim.track.forecast` uses when it is given no ``quotas``.

    Parameters
    ----------
    book : Book
        The book, usually as of its snapshot (cut back to ``as_of_date`` here).
    as_of_date : str, date or Timestamp
        The last day known (inclusive), in ``year`` or 31 December before it.
    year : int, optional
        The year tracked; default the as-of date's year.

    Returns
    -------
    Quotas
        Per rep and month of ``year``. ``info`` holds ``set_on`` (the day the quotas of
        the reps then on the book were set, ``"YYYY-MM-DD"``), ``added`` (the reps hired
        since, whose quota is added on top), ``scale`` (what the hires' quotas of a
        share-out that includes them, and so takes from the others, are multiplied by
        to be added on top instead) and ``note`` (the sentence the forecast's notes
        carry). ``basis`` gains ``added_after_start`` (bool); ``levels`` is empty (with
        hires added on top, the reps no longer add up to a region's or the company's
        share-out).

    Raises
    ------
    DataError
        If the as-of date is not a date or lies outside the book or the year, or the
        history cannot set quotas (as :func:`spm_sim.quota.quotas_from_history`).

    Notes
    -----
    With ``T`` the company target and ``W_0`` the sum of basis times capacity of the
    reps on the book on 31 December, a rep ``r`` there keeps ``q_rm = T b_r c_rm / W_0``
    (docs/model.md section 5); a rep ``h`` hired later gets ``q_hm = T b_h c_hm / W_0``
    with ``b_h`` the region's median run rate and ``c_hm`` the capacity from the month
    of hire, ramped: the same formula, without taking anything from the others. A rep
    who leaves keeps the quota of the months employed (the month of leaving prorated
    by the days employed, as the method does for a known leaver) and none after. When
    the book's first deal is after 31 December before the year (a CRM export that
    starts in the year), the quotas are set on the book as of the date instead, as
    :func:`spm_sim.actuals.actual_payouts` sets them, and ``info["note"]`` says so.

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> book = load_sample()
    >>> march = tracking_quotas(book, "2025-03-31")
    >>> june = tracking_quotas(book, "2025-06-30")
    >>> march.info["set_on"], june.info["added"]
    ('2024-12-31', ('R082', 'R083', 'R084'))
    >>> r001 = [q.values[q.rep_ids.index("R001")] for q in (march, june)]
    >>> bool((r001[0] == r001[1]).all())  # the same quota as of any date
    True
    >>> bool((june.values[june.rep_ids.index("R084"), :4] == 0).all())  # hired 1 May
    True
    """
    day = as_of_day(as_of_date)
    year = tracked_year(day, year)
    known = as_of(_without_pipeline(book), day)
    quotas, note = _start_of_year_quotas(known, year)
    if quotas is None:
        quotas = quotas_from_history(known, plan_year=year, settings=_SETTINGS)
        info = dict(quotas.info, set_on=f"{day:%Y-%m-%d}", added=(), scale=1.0, note=note)
        quotas = replace(quotas, info=info)
    return quotas


def _without_pipeline(book: Book) -> Book:
    """The book without its opportunities: quotas read reps and deals only, and cutting
    a pipeline back to a date has warnings of its own that do not concern them."""
    return replace(
        book,
        pipeline=book.pipeline.iloc[:0],
        stage_history=book.stage_history.iloc[:0],
        opportunities_from=None,
    )


def _start_of_year_quotas(known_book: Book, year: int) -> tuple[Quotas | None, str]:
    """The default quotas of ``year`` on the book as of its snapshot, and their note.

    None (and a note saying why) when the book does not reach back to 31 December
    before the year or no rep could be given a quota then: the caller then sets them
    on the book as of the date, as before.
    """
    day = pd.Timestamp(known_book.snapshot_date)
    eve = pd.Timestamp(year=year - 1, month=12, day=31)
    fallback = (
        f"The quotas were set from history on the book as of {day:%Y-%m-%d}, not at the "
        f"start of {year}: {{why}}. A rep hired or leaving later shares the company target "
        "out again, so the quotas (and the payroll of months already closed) can change "
        "from one as-of date to the next; give the year's quotas to hold them."
    )
    first = known_book.bookings["date"].min()
    if pd.isna(first) or first > eve:
        had = "has no deal" if pd.isna(first) else f"starts on {first:%Y-%m-%d}"
        return None, fallback.format(why=f"the book {had}, after {eve:%Y-%m-%d}")
    bare = _without_pipeline(known_book)
    start = as_of(bare, eve) if day > eve else bare
    try:
        base = quotas_from_history(start, plan_year=year, settings=_SETTINGS)
    except DataError as exc:  # e.g. nobody on the book yet: the as-of book may do
        return None, fallback.format(why=f"as of {eve:%Y-%m-%d}, {exc}")
    reps = known_book.reps.assign(rep_id=known_book.reps["rep_id"].astype(str))
    employed = (reps["hire_date"] <= pd.Timestamp(year=year, month=12, day=31)) & (
        reps["term_date"].isna() | (reps["term_date"] >= eve + pd.Timedelta(days=1))
    )
    hires = reps[employed.to_numpy(dtype=bool) & ~reps["rep_id"].isin(base.rep_ids).to_numpy()]
    quotas, scale = base, 1.0
    if len(hires):
        grown = replace(start, reps=pd.concat([start.reps, hires], ignore_index=True))
        with warnings.catch_warnings():  # the same reps' warnings as ``base`` gave
            warnings.simplefilter("ignore", PlausibilityWarning)
            shared = quotas_from_history(grown, plan_year=year, settings=_SETTINGS)
        old = [shared.rep_ids.index(r) for r in base.rep_ids]
        scale = float(np.asarray(base.values).sum() / np.asarray(shared.values)[old].sum())
        values = np.asarray(shared.values, dtype=float) * scale
        values[old] = np.asarray(base.values, dtype=float)
        quotas = replace(shared, values=values, company_target=base.company_target)
    values = _months_employed(quotas, start.reps, known_book.reps, year)
    basis = quotas.basis.assign(
        annual_quota=values.sum(axis=1),
        added_after_start=quotas.basis["rep_id"].isin(hires["rep_id"]).to_numpy(),
    )
    added = tuple(sorted(hires["rep_id"]))
    cur = known_book.currency
    note = (
        f"The quotas were set as of {eve:%Y-%m-%d} for the {len(base.rep_ids)} reps on the "
        f"book then (the payroll's rule: their {year - 1} bookings, "
        f"{base.company_target:,.0f} {cur}, shared out by run rate, no growth) and do not "
        "change during the year"
    )
    if added:
        shown = ", ".join(added[:5]) + (", ..." if len(added) > 5 else "")
        note += (
            f"; {len(added)} rep(s) hired since ({shown}) carry the quota the same rule "
            "gives a rep hired during the year, added on top: the quotas sum to "
            f"{values.sum():,.0f} {cur}"
        )
    info = dict(quotas.info, set_on=f"{eve:%Y-%m-%d}", added=added, scale=scale, note=note + ".")
    return (
        replace(quotas, values=values, basis=basis, levels=pd.DataFrame(), info=info),
        note + ".",
    )


def _months_employed(
    quotas: Quotas, then: pd.DataFrame, now: pd.DataFrame, year: int
) -> np.ndarray:
    """The quotas with each rep's months after leaving taken out (the month of leaving
    prorated by the days employed), for leavers the quotas were set without knowing."""
    months = pd.date_range(pd.Timestamp(year=year, month=1, day=1), periods=12, freq="MS")
    ids = list(quotas.rep_ids)
    cols = ["hire_date", "term_date"]
    known = now.set_index(now["rep_id"].astype(str))[cols]
    before = then.set_index(then["rep_id"].astype(str))[cols]
    # the rows the quotas were set on: the reps of 31 December then, the hires as now
    used = pd.concat([before, known[~known.index.isin(before.index)]])
    used = used[~used.index.duplicated()]
    share_now = exposure_months(known[~known.index.duplicated()].loc[ids], months, ramp=(1.0,))
    share_then = exposure_months(used.loc[ids], months, ramp=(1.0,))
    factor = np.divide(share_now, share_then, out=np.zeros_like(share_now), where=share_then > 0)
    return np.asarray(quotas.values, dtype=float) * np.clip(factor, 0.0, 1.0)
