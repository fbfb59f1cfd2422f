"""The year to date: the payroll's reps, quotas and credited amounts at a date.

:func:`known_to_date` pays the year on the book as of the date through
:func:`spm_sim.actuals.actual_payouts` (so the months to date are the payroll's
numbers, to the cent) or, before the year has any deal, sets its quotas as the
payroll would and pays nothing yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.actuals import actual_payouts
from spm_sim.book import Book
from spm_sim.comp import Plan, payout, round_money
from spm_sim.errors import DataError
from spm_sim.quota import Quotas, QuotaSettings, quotas_from_history

__all__ = ["Known", "known_to_date", "as_of_day", "tracked_year", "elapsed", "first_month"]


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


def as_of_day(value: Any, what: str = "as_of") -> pd.Timestamp:
    if isinstance(value, str):
        day = pd.to_datetime(value.strip(), format="%Y-%m-%d", errors="coerce")
    elif isinstance(value, dt.date | pd.Timestamp | np.datetime64):
        day = pd.Timestamp(value)
    else:
        day = pd.NaT
    if pd.isna(day):
        raise DataError(
            f"the as-of date {value!r} is not a date; write it as YYYY-MM-DD (for example "
            "2025-06-30).",
            column=what,
            value=value,
        )
    return pd.Timestamp(day).normalize()


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
    if year in known_book.years:
        # the months after the date have no data by construction: the payroll is told
        # the year is complete so it does not warn about them (nothing else changes)
        book = replace(known_book, snapshot_date=pd.Timestamp(year=year, month=12, day=31))
        paid = actual_payouts(book, plan, year, quotas=quotas, scores=scores)
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
        )
    if plan.currency != known_book.currency:
        raise DataError(
            f"plan {plan.name!r} pays in {plan.currency} but book {known_book.name!r} is in "
            f"{known_book.currency}; convert one of them first."
        )
    if quotas is None:
        quotas = quotas_from_history(known_book, plan_year=year, settings=QuotaSettings(growth=0.0))
    reps = known_book.reps.set_index(known_book.reps["rep_id"].astype(str), drop=False)
    ids = [str(r) for r in quotas.rep_ids]
    missing = [r for r in ids if r not in reps.index]
    if missing:
        raise DataError(f"quota rep {missing[0]!r} is not in the book's reps.")
    sel = reps.loc[ids]
    values = np.asarray(quotas.values, dtype=float)
    if plan.role is not None:
        keep = (sel["role"].astype(str) == plan.role).to_numpy()
        if not keep.any():
            roles = ", ".join(sorted(sel["role"].astype(str).unique())) or "none"
            raise DataError(
                f"plan {plan.name!r} is for role {plan.role!r}, but no rep with quota in "
                f"{year} has that role (their roles: {roles}). Use a plan for those roles, or "
                "remove 'role' from the plan to pay everyone under it."
            )
        sel, values = sel[keep], values[keep]
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
    )


def first_month(day: pd.Timestamp, year: int) -> int:
    """The first month index (0-11) with anything left to draw."""
    if day.year < year:
        return 0
    return day.month - 1 if day.day < day.days_in_month else day.month
