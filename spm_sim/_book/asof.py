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

from spm_sim.errors import DataError, implausible

from .checks import _bool
from .schema import DATE_DTYPE

if TYPE_CHECKING:
    from .load import Book

#: The pipeline columns a stage history row sets, as of a day.
_STAGED = ("stage", "amount", "expected_close_date", "probability")


def as_of_day(date: Any, what: str = "as_of") -> pd.Timestamp:
    """An as-of date as a day: midnight, without a time zone.

    Parameters
    ----------
    date : str, datetime.date, datetime.datetime, pandas.Timestamp or numpy.datetime64
        The day; text is read as ``YYYY-MM-DD`` (surrounding spaces ignored). A time of
        day is dropped, and so is a time zone (the day as written in it is kept).
    what : str, default "as_of"
        The name the error gives the value (an option or a field).

    Returns
    -------
    pandas.Timestamp
        The day at midnight.

    Raises
    ------
    DataError
        When ``date`` is not a date (text in another format, a number, None), naming
        ``what`` and the value and showing the format to write.

    Examples
    --------
    >>> from spm_sim.book import as_of_day
    >>> as_of_day(" 2025-06-30 ")
    Timestamp('2025-06-30 00:00:00')
    >>> as_of_day(pd.Timestamp("2025-06-30 17:45", tz="Europe/Paris"))
    Timestamp('2025-06-30 00:00:00')
    >>> as_of_day("30/06/2025", what="--as-of")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    spm_sim.errors.DataError: column '--as-of': the as-of date '30/06/2025' is not a date; ...
    """
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
            column=what,
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


def _last_known(history: pd.DataFrame, day: pd.Timestamp, ids: set[str]) -> pd.DataFrame:
    """For each opportunity of ``ids`` with a history row dated on or before ``day``: the
    stage of its last such row and the amount, expected close date and probability last
    given by then (missing when never given); indexed by opportunity id."""
    known = history.loc[~_later(history["date"], day)]
    known = known.loc[known["opportunity_id"].isin(ids)]
    cols = [c for c in _STAGED if c in known.columns]
    # stable sort: rows of one day keep their order, the last one wins
    known = known.sort_values(["opportunity_id", "date"], kind="stable")
    # "last" skips missing cells: the value last given by then
    return known.groupby("opportunity_id", sort=False)[cols].last()


def _staged(
    pipe: pd.DataFrame, history: pd.DataFrame, day: pd.Timestamp, closed_later: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``pipe`` (open on ``day``) with the stage, amount, expected close date and
    probability of that day; and the values the history gave (:func:`_last_known`).

    An opportunity whose history has a row after ``day``, or that was won or lost after
    ``day``, takes its values from its history up to ``day`` (a value never given by
    then: the pipeline's, which :func:`_outcome_blind` then checks for a closed one).
    Any other keeps the pipeline's, which were already its values that day.
    """
    if history.empty or pipe.empty:
        return pipe, pd.DataFrame(columns=list(_STAGED))
    changed = set(history.loc[_later(history["date"], day), "opportunity_id"])
    changed |= set(pipe.loc[closed_later, "opportunity_id"])
    last = _last_known(history, day, changed)
    if last.empty:
        return pipe, last
    out = pipe.copy()
    rows = out["opportunity_id"].isin(last.index).to_numpy()
    ids = out.loc[rows, "opportunity_id"]
    for col in last.columns:
        new = last[col].reindex(ids).to_numpy()
        old = out.loc[rows, col].to_numpy()
        out.loc[rows, col] = np.where(pd.isna(new), old, new)
    out["expected_close_date"] = out["expected_close_date"].astype(DATE_DTYPE)
    out[["amount", "probability"]] = out[["amount", "probability"]].astype("float64")
    return out, last


def _stage_chance(book: Book, day: pd.Timestamp) -> tuple[pd.Series, float]:
    """The CRM's probability of each open stage (the mean over the book's open
    opportunities, else over its stage history), and a probability for a stage with
    none: the share of the opportunities closed by ``day`` that were won."""
    open_rows = book.open_pipeline
    chance = open_rows.groupby("stage")["probability"].mean()
    hist = book.stage_history
    if "probability" in hist.columns:
        chance = chance.combine_first(hist.groupby("stage")["probability"].mean())
    pipe = book.pipeline
    if "closed_date" in pipe.columns:
        closed = pipe.loc[~_later(pipe["closed_date"], day) & _bool(pipe["closed_date"].notna())]
    else:
        closed = pipe.iloc[:0]
    if len(closed):
        fallback = float((closed["status"] == "won").mean())
    elif len(open_rows):
        fallback = float(open_rows["probability"].mean())
    else:
        fallback = np.nan
    return chance.dropna(), fallback


def _close_estimate(book: Book, created: pd.Series, day: pd.Timestamp) -> pd.Series:
    """An expected close date for opportunities open on ``day`` whose own is not known:
    the creation date plus the median created-to-won time of the won opportunities
    longer than the opportunity's age that day (those closed by ``day``, else all won
    ones: a statistic of the book's cycles, never the opportunity's own close date);
    missing when the book has no won opportunity."""
    pipe = book.pipeline
    won = pipe.loc[_bool(pipe["status"] == "won")] if "status" in pipe.columns else pipe.iloc[:0]
    if len(won) and (~_later(won["closed_date"], day)).any():
        won = won.loc[~_later(won["closed_date"], day)]
    cycle = np.sort((won["closed_date"] - won["created_date"]).dt.days.to_numpy(float))
    cycle = cycle[~np.isnan(cycle)]
    if cycle.size == 0:
        return pd.Series(pd.NaT, index=created.index, dtype=DATE_DTYPE)
    age = (day - created).dt.days.to_numpy(float)
    start = np.searchsorted(cycle, age, side="right")
    left = cycle.size - start
    days = np.where(
        left > 0,
        cycle[np.minimum(start + (left - 1) // 2, cycle.size - 1)],
        age + np.median(cycle),
    )
    return (created + pd.to_timedelta(days, unit="D")).astype(DATE_DTYPE)


def _outcome_blind(
    book: Book,
    pipe: pd.DataFrame,
    closed_later: np.ndarray,
    last: pd.DataFrame,
    day: pd.Timestamp,
    source_rows: np.ndarray,
) -> pd.DataFrame:
    """The opportunities open on ``day`` but won or lost later, with no value that was
    written when they closed (stage Won, probability 1 or 0, expected close = closed).

    A value the history gave by ``day`` stays. Otherwise: an opportunity without a
    history row by then keeps its pipeline values when its stage is an open stage and
    its probability is neither 0 nor 1 (they may still be from after ``day``: warned);
    else it gets the most common stage of the opportunities open that day, and
    estimates for the rest (warned). Probability: its stage's (:func:`_stage_chance`).
    Expected close date: :func:`_close_estimate`, when the history gave none and the
    pipeline's is the closed date or the row is estimated.
    """
    out = pipe.copy()
    rows = np.flatnonzero(closed_later)
    ids = out["opportunity_id"].iloc[rows]
    open_stages = set(book.open_pipeline["stage"].dropna()) | set(
        book.stage_history["stage"].dropna()
    )
    has = ids.isin(last.index).to_numpy()
    given = last.reindex(ids)
    stage = out["stage"].iloc[rows].to_numpy(dtype=object)
    prob = out["probability"].iloc[rows].to_numpy(float)
    ecd = out["expected_close_date"].iloc[rows]
    stage_open = np.array([s in open_stages for s in stage], dtype=bool)
    trusted = ~has & stage_open & (prob > 0) & (prob < 1)
    blind = ~has & ~trusted  # nothing of that day is known: estimate it all
    if blind.any():
        that_day = out.loc[~closed_later & _bool(out["status"] == "open"), "stage"]
        that_day = that_day[that_day.isin(open_stages)]
        pool = that_day if len(that_day) else book.open_pipeline["stage"].dropna()
        if len(pool):
            mode = str(pool.value_counts().index[0])
            stage = np.where(blind & ~stage_open, mode, stage)
    chance, fallback = _stage_chance(book, day)
    from_stage = pd.Series(stage).map(chance).fillna(fallback).to_numpy(float)
    hist_prob = (
        given["probability"].to_numpy(float)
        if "probability" in given
        else np.full(len(rows), np.nan)
    )
    pipe_stage_same = np.array(
        [s == p for s, p in zip(stage, out["stage"].iloc[rows], strict=True)], dtype=bool
    )
    keep_prob = trusted | (has & pipe_stage_same & (prob > 0) & (prob < 1))
    new_prob = np.where(~np.isnan(hist_prob), hist_prob, np.where(keep_prob, prob, from_stage))
    new_prob = np.where(np.isnan(new_prob), prob, new_prob)
    hist_ecd = (
        pd.to_datetime(given["expected_close_date"]).to_numpy()
        if "expected_close_date" in given
        else np.full(len(rows), np.datetime64("NaT"))
    )
    closed_on = book.pipeline["closed_date"].iloc[source_rows[rows]].to_numpy()
    guess = _close_estimate(book, out["created_date"].iloc[rows], day).to_numpy()
    leak = (ecd.to_numpy() == closed_on) | blind
    new_ecd = np.where(pd.isna(hist_ecd), np.where(leak & ~pd.isna(guess), guess, ecd), hist_ecd)
    out.loc[out.index[rows], "stage"] = stage
    out.loc[out.index[rows], "probability"] = new_prob
    out.loc[out.index[rows], "expected_close_date"] = new_ecd
    out["expected_close_date"] = out["expected_close_date"].astype(DATE_DTYPE)
    out["probability"] = out["probability"].astype("float64")
    unknown = ~has
    if unknown.any():
        _warn_unknown(book, day, rows[unknown], source_rows, trusted[unknown], ids[unknown])
    return out


def _warn_unknown(
    book: Book,
    day: pd.Timestamp,
    rows: np.ndarray,
    source_rows: np.ndarray,
    trusted: np.ndarray,
    ids: pd.Series,
) -> None:
    """One located warning for the opportunities open on ``day``, closed later, of which
    the book does not say what they looked like that day."""
    file, first = "pipeline", int(source_rows[rows[0]]) + 1
    if book.path is not None:
        for suffix, header in ((".csv", 1), (".parquet", 0)):
            if (book.path / f"pipeline{suffix}").is_file():
                file, first = str(book.path / f"pipeline{suffix}"), first + header
                break
    n = len(rows)
    shown = ", ".join(ids.iloc[:5]) + (", ..." if n > 5 else "")
    kept = int(trusted.sum())
    how = (
        f"{n - kept:,} were given the most common open stage of that day, its probability "
        "and an expected close date estimated from the won opportunities' cycle"
        if kept < n
        else ""
    )
    if kept:
        how = (how + "; " if how else "") + (
            f"{kept:,} keep the stage, probability and expected close date of pipeline, "
            "which may have been written after that day"
        )
    implausible(
        f"{n:,} opportunit{'y' if n == 1 else 'ies'} open on {day:%Y-%m-%d} but won or lost "
        f"later ({shown}) have no stage history on or before that day, so the book does not "
        f"say how they stood then: {how}. Their amounts are the final ones. Give the book "
        "the stage history (a CRM's opportunity history report, --history on import) to "
        "read them as they were.",
        stacklevel=5,  # the caller of as_of
        file=file,
        row=first,
        column="stage",
        value=ids.iloc[0],
    )


def _won_when_booked(pipe: pd.DataFrame, bookings: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """``closed_date``, where a won opportunity's booking is dated on or before ``day``
    but its closed_date after it: the booking's date (the booking shows it was won)."""
    closed = pipe["closed_date"]
    if "deal_id" not in pipe.columns or not pipe["deal_id"].notna().any():
        return closed
    dates = bookings.drop_duplicates("deal_id").set_index("deal_id")["date"]
    booked = pd.Series(dates.reindex(pipe["deal_id"]).to_numpy(), index=pipe.index)
    early = _bool((pipe["status"] == "won") & (booked <= day) & (closed > day))
    return closed.where(~early, booked).astype(DATE_DTYPE)


def _warn_incomplete(book: Book, day: pd.Timestamp) -> None:
    """Warn when ``day`` is before the book's complete opportunity history
    (``opportunities_from`` in book.yaml)."""
    start = book.opportunities_from
    if start is None or day >= start - pd.Timedelta(days=1):
        return
    file = "book.yaml" if book.path is None else str(book.path / "book.yaml")
    implausible(
        f"the as-of date {day:%Y-%m-%d} is before {start - pd.Timedelta(days=1):%Y-%m-%d}: "
        f"book {book.name!r} holds the opportunities closed from {start:%Y-%m-%d} on "
        "(opportunities_from), so the pipeline open that day lacks those won or lost before "
        f"then, and its open pipeline and pipeline history are too small. Choose a day "
        f"from {start - pd.Timedelta(days=1):%Y-%m-%d}, or give the book its earlier "
        "opportunities.",
        stacklevel=4,  # the caller of as_of
        file=file,
        column="opportunities_from",
        value=f"{start:%Y-%m-%d}",
    )


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
      ``deal_id`` cleared (a won one whose booking is dated on or before ``date`` is won
      that day, closed on the booking's date; a ``deal_id`` whose booking is dated after
      ``date`` is cleared). An opportunity open that day never shows its outcome: one
      whose stage history changes after ``date``, or that was won or lost after it,
      takes ``stage``, ``amount``, ``expected_close_date`` and ``probability`` from its
      last history row dated on or before ``date`` (each the value last given by then);
      one won or lost later of which the history says nothing by then gets its stage's
      probability and an estimated expected close date in place of the values written
      at its close (stage Won, probability 1 or 0, the close date), with a warning.
      ``docs/data-format.md`` ("The book as of a date") has the rules in full.
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

    Warns
    -----
    PlausibilityWarning
        When opportunities open that day but won or lost later have no stage history by
        then (their values are estimated, or may be from after ``date``), located at the
        first one's pipeline row; when ``date`` is before the eve of the book's
        ``opportunities_from`` (``book.yaml``): the pipeline open then is incomplete.

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
    day = as_of_day(date)
    _check_range(book, day)

    deals = book.bookings.loc[~_later(book.bookings["date"], day)].reset_index(drop=True)
    deals["cancelled_date"] = (
        deals["cancelled_date"].where(~_later(deals["cancelled_date"], day)).astype(DATE_DTYPE)
    )

    made = ~_later(book.pipeline["created_date"], day)
    source_rows = np.flatnonzero(made)
    pipe = book.pipeline.loc[made].reset_index(drop=True)
    closed_later = np.zeros(len(pipe), dtype=bool)
    if "closed_date" in pipe.columns:
        pipe["closed_date"] = _won_when_booked(pipe, book.bookings, day)
        closed_later = _later(pipe["closed_date"], day)
        open_then = closed_later | _bool(pipe["closed_date"].isna())
        pipe["status"] = pipe["status"].where(~open_then, "open")
        pipe["closed_date"] = pipe["closed_date"].where(~open_then).astype(DATE_DTYPE)
        pipe["deal_id"] = pipe["deal_id"].where(~open_then)
        # a won opportunity whose booking is dated after the day: not booked yet
        pipe["deal_id"] = pipe["deal_id"].where(pipe["deal_id"].isin(deals["deal_id"]))
    else:
        open_then = np.ones(len(pipe), dtype=bool)
    history = book.stage_history
    last = pd.DataFrame(columns=list(_STAGED))
    if len(history) and open_then.any():
        staged, last = _staged(pipe.loc[open_then], history, day, closed_later[open_then])
        pipe.loc[open_then, list(_STAGED)] = staged[list(_STAGED)]
        pipe["expected_close_date"] = pipe["expected_close_date"].astype(DATE_DTYPE)
        pipe[["amount", "probability"]] = pipe[["amount", "probability"]].astype("float64")
    if closed_later.any():
        pipe = _outcome_blind(book, pipe, closed_later, last, day, source_rows)
    history = history.loc[~_later(history["date"], day)].reset_index(drop=True)
    _warn_incomplete(book, day)

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
