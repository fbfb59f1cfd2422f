"""The book as it was known on a date (internal: the public face is :mod:`spm_sim.book`).

:func:`as_of` cuts a :class:`~spm_sim.book.Book` back to what was known at the end of
a day: the deals booked by then, the cancellations made by then, the reps hired by
then, the opportunities created by then with the status, stage, amount and expected
close date they had that day. The rules are in :func:`as_of`'s docstring and in
``docs/data-format.md`` ("The book as of a date").
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spm_sim.errors import DataError

from .checks import _bool
from .schema import DATE_DTYPE

if TYPE_CHECKING:
    from .load import Book

#: The pipeline columns a stage history row sets, as of a day.
_STAGED = ("stage", "amount", "expected_close_date", "probability")


def _day(date: Any) -> pd.Timestamp:
    """``date`` (text YYYY-MM-DD, date, datetime or Timestamp) as a day."""
    if isinstance(date, str):
        stamp = pd.to_datetime(date.strip(), format="%Y-%m-%d", errors="coerce")
    elif isinstance(date, _dt.date | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(date)
    else:
        stamp = pd.NaT
    if pd.isna(stamp):
        raise DataError(
            f"the as-of date {date!r} is not a date; write it as YYYY-MM-DD "
            f"(for example 2025-06-30).",
            column="as_of",
            value=date,
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return pd.Timestamp(stamp.normalize())


def _range(book: Book) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first day of the book's history and its last known day."""
    starts = [
        book.bookings["date"].min(),
        book.pipeline["created_date"].min(),
    ]
    starts = [s for s in starts if pd.notna(s)]
    first = min(starts) if starts else None
    if book.snapshot_date is not None:
        return first, pd.Timestamp(book.snapshot_date)
    ends = [
        book.bookings["date"].max(),
        book.bookings["cancelled_date"].max(),
        book.pipeline["created_date"].max(),
        book.pipeline["closed_date"].max() if "closed_date" in book.pipeline else pd.NaT,
        book.stage_history["date"].max(),
    ]
    ends = [e for e in ends if pd.notna(e)]
    return first, (max(ends) if ends else None)


def _check_range(book: Book, day: pd.Timestamp) -> None:
    first, last = _range(book)
    where = (
        f"the snapshot_date {last:%Y-%m-%d}"
        if book.snapshot_date is not None
        else (f"its last record {last:%Y-%m-%d} (the book has no snapshot_date)" if last else "")
    )
    span = (
        f"book {book.name!r} runs from its first record {first:%Y-%m-%d} to {where}"
        if first is not None and last is not None
        else f"book {book.name!r} has no dated record"
    )
    if first is not None and day < first:
        raise DataError(
            f"the as-of date {day:%Y-%m-%d} is before any record of the book: {span}. Choose "
            f"a day in that range.",
            column="as_of",
            value=f"{day:%Y-%m-%d}",
        )
    if last is not None and day > last:
        raise DataError(
            f"the as-of date {day:%Y-%m-%d} is after the book's data end: {span}, and what "
            f"happened after that is not in it. Choose a day in that range, or load a later "
            f"export of the book.",
            column="as_of",
            value=f"{day:%Y-%m-%d}",
        )


def _later(dates: pd.Series, day: pd.Timestamp) -> np.ndarray:
    return _bool(dates > day)


def _staged(pipe: pd.DataFrame, history: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """``pipe`` (open on ``day``) with stage, amount and expected close date of that day.

    An opportunity whose history has a row after ``day`` takes its values from its last
    row dated on or before ``day`` (amount and expected close date: the last one given
    by then, else the pipeline's); one with no row after ``day`` keeps the pipeline's,
    which were already its values that day.
    """
    if history.empty or pipe.empty:
        return pipe
    changed_later = set(history.loc[_later(history["date"], day), "opportunity_id"])
    known = history.loc[~_later(history["date"], day)]
    known = known.loc[known["opportunity_id"].isin(changed_later)]
    if known.empty:
        return pipe
    # stable sort: rows of one day keep their file order, the last one wins
    known = known.sort_values(["opportunity_id", "date"], kind="stable")
    # "last" skips missing cells: the value last given by then
    last = known.groupby("opportunity_id", sort=False)[list(_STAGED)].last()
    out = pipe.copy()
    rows = out["opportunity_id"].isin(last.index).to_numpy()
    ids = out.loc[rows, "opportunity_id"]
    for col in _STAGED:
        new = last[col].reindex(ids).to_numpy()
        old = out.loc[rows, col].to_numpy()
        out.loc[rows, col] = np.where(pd.isna(new), old, new)
    out["expected_close_date"] = out["expected_close_date"].astype(DATE_DTYPE)
    out[["amount", "probability"]] = out[["amount", "probability"]].astype("float64")
    return out


def as_of(book: Book, date: Any) -> Book:
    """The book as it was known at the end of ``date``.

    Rules (a day is inclusive: what happened on ``date`` is known):

    * ``bookings``: the deals dated on or before ``date``; a ``cancelled_date``
      after ``date`` is cleared (the deal was still standing).
    * ``reps``: the reps hired on or before ``date`` (and any rep a kept deal or
      opportunity names, so the book stays whole); a ``term_date`` after ``date`` is
      cleared. An account whose ``rep_id`` is a dropped rep gets an empty ``rep_id``.
    * ``pipeline``: the opportunities created on or before ``date``. One won or lost on
      or before ``date`` keeps its status; any other is "open", its ``closed_date`` and
      ``deal_id`` cleared. When the book has a stage history, an opportunity open that
      day whose history changes after ``date`` takes ``stage``, ``amount``,
      ``expected_close_date`` and ``probability`` from its last history row dated on
      or before ``date`` (the amount, close date and probability last given by then,
      else the pipeline's).
    * ``stage_history``: the rows dated on or before ``date``.
    * ``units`` and the accounts' other columns are kept; ``snapshot_date`` is
      ``date``; the name, currency, description and source are kept, the path is
      None (the folder holds the book as of its own snapshot).

    Parameters
    ----------
    book : Book
        The book, usually as of its ``snapshot_date``.
    date : str, datetime.date or pandas.Timestamp
        The day (text as ``YYYY-MM-DD``). It must lie within the book's history:
        from its first deal or opportunity to its ``snapshot_date`` (to its last
        record when it has none).

    Returns
    -------
    Book
        A new book; ``book`` is not changed. Frames are renumbered from 0 and keep
        the source's row order and dtypes.

    Raises
    ------
    DataError
        If ``date`` is not a date, or lies outside the book's history (the message
        gives the book's range).

    Examples
    --------
    >>> from spm_sim.book import as_of, load_sample
    >>> book = load_sample()
    >>> june = as_of(book, "2025-06-30")
    >>> june.snapshot_date
    Timestamp('2025-06-30 00:00:00')
    >>> bool(june.bookings["date"].max() <= june.snapshot_date)
    True
    >>> len(june.bookings) < len(book.bookings)
    True
    >>> as_of(book, "2031-01-01")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: column 'as_of': the as-of date 2031-01-01 is after the book's ...
    """
    day = _day(date)
    _check_range(book, day)

    deals = book.bookings.loc[~_later(book.bookings["date"], day)].reset_index(drop=True)
    deals["cancelled_date"] = (
        deals["cancelled_date"].where(~_later(deals["cancelled_date"], day)).astype(DATE_DTYPE)
    )

    pipe = book.pipeline.loc[~_later(book.pipeline["created_date"], day)].reset_index(drop=True)
    if "closed_date" in pipe.columns:
        open_then = _later(pipe["closed_date"], day) | _bool(pipe["closed_date"].isna())
        pipe["status"] = pipe["status"].where(~open_then, "open")
        pipe["closed_date"] = pipe["closed_date"].where(~open_then).astype(DATE_DTYPE)
        pipe["deal_id"] = pipe["deal_id"].where(~open_then)
    else:
        open_then = np.ones(len(pipe), dtype=bool)
    history = book.stage_history
    if len(history):
        staged = _staged(pipe.loc[open_then], history, day)
        pipe.loc[open_then, list(_STAGED)] = staged[list(_STAGED)]
        pipe["expected_close_date"] = pipe["expected_close_date"].astype(DATE_DTYPE)
        pipe[["amount", "probability"]] = pipe[["amount", "probability"]].astype("float64")
    history = history.loc[~_later(history["date"], day)].reset_index(drop=True)

    reps = book.reps
    named = set(deals["rep_id"]) | set(pipe["rep_id"])
    keep = ~_later(reps["hire_date"], day) | _bool(reps["rep_id"].isin(named))
    reps = reps.loc[keep].reset_index(drop=True)
    reps["term_date"] = reps["term_date"].where(~_later(reps["term_date"], day)).astype(DATE_DTYPE)
    accounts = book.accounts
    gone = _bool(accounts["rep_id"].notna() & ~accounts["rep_id"].isin(reps["rep_id"]))
    if gone.any():
        accounts = accounts.copy()
        accounts["rep_id"] = accounts["rep_id"].where(~gone)

    meta = dict(book.meta)
    meta["snapshot_date"] = f"{day:%Y-%m-%d}"
    return replace(
        book,
        reps=reps,
        accounts=accounts,
        bookings=deals,
        pipeline=pipe,
        stage_history=history,
        snapshot_date=day,
        path=None,
        meta=MappingProxyType(meta),
    )
