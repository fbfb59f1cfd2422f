"""Checking a book's raw tables against the schema (internal: see :mod:`spm_sim.book`).

One loop applies the rules of :data:`spm_sim.book.SCHEMA` to the raw
tables the readers of ``_book/schema.py`` return. :func:`_validate` runs
:func:`_apply_schema` on each table (the columns, a row at least where the book
needs one, then per column the conversion of every cell to its kind with the
empty-cell, finiteness, magnitude (``largest``: no absurd 1e308), bound and
uniqueness checks, then the date order rules), then
:func:`_check_references` across tables and :func:`_check_dates`. A broken rule
raises :class:`DataError` for the first offending row in file order, with the count
of the other rows that break it (:func:`_report`). Last, the plausibility checks of
``_book/plausible.py`` warn about what is possible but unlikely (errors when strict).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .plausible import _check_plausible, _flag
from .schema import (
    _MISSING_TOKENS,
    _SEPARATORS,
    DATE_DTYPE,
    SCHEMA,
    TEXT_DTYPE,
    Column,
    Kind,
    Table,
    _other_separator,
    _Raw,
)

# --------------------------------------------------------------------------- reporting


def _more(raw: _Raw, others: np.ndarray) -> str:
    """' (and 3 more rows with the same problem: 5, 9, 12)'."""
    n = len(others)
    if n == 0:
        return ""
    shown = ", ".join(str(int(raw.rows[i])) for i in others[:5])
    return (
        f" (and {n} more row{'s' if n > 1 else ''} with the same problem: "
        f"{shown}{', ...' if n > 5 else ''})"
    )


def _report(
    raw: _Raw,
    column: str,
    mask: Any,
    describe: Callable[[int], tuple[str, Any]],
) -> None:
    """Raise for the first row of ``mask``; ``describe(pos)`` gives (message, value)."""
    bad = np.flatnonzero(np.asarray(mask, dtype=bool))
    if bad.size == 0:
        return
    first = int(bad[0])
    row = int(raw.rows[first])
    message, value = describe(first)
    raise DataError(
        message + _more(raw, bad[1:]) + raw.note(row),
        file=raw.file,
        row=row,
        column=raw.shown(column),
        value=value,
    )


def _bool(mask: pd.Series) -> np.ndarray:
    """A boolean mask as a numpy array, missing counted as False."""
    return mask.to_numpy(dtype=bool, na_value=False)


def _cells_as_text(s: pd.Series) -> pd.Series:
    """Any column as stripped strings, ``""`` where missing (CSV, Parquet or frame)."""
    if s.dtype == TEXT_DTYPE:
        return s.fillna("").str.strip()
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        # ids stored as numbers in Parquet: 17031, not 17031.0
        values = s.astype("float64").to_numpy()
        out = [
            "" if np.isnan(v) else (str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v))
            for v in values
        ]
    else:
        out = []
        for v in s.astype(object).to_numpy():
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                out.append("")
            elif isinstance(v, _dt.date):  # Parquet date32 / datetime objects
                out.append(v.strftime("%Y-%m-%d"))
            else:
                out.append(str(v))
    return pd.Series(out, index=s.index, dtype=TEXT_DTYPE).str.strip()


# --------------------------------------------------------------------------- cell conversion


def _to_text(col: Column, s: pd.Series, raw: _Raw) -> pd.Series:
    text = _cells_as_text(s)
    empty = _bool(text == "")
    if not col.nullable:
        _report(
            raw,
            col.name,
            empty,
            lambda i: (f"the cell is empty; every row needs a {col.name}. Fill it in.", ""),
        )
    if col.choices:
        shown = text
        text = text.str.lower()
        allowed = ", ".join(repr(c) for c in col.choices)
        hint = f" ({col.hint})" if col.hint else ""
        _report(
            raw,
            col.name,
            ~empty & ~_bool(text.isin(list(col.choices))),
            lambda i: (
                f"{shown.iloc[i]!r} is not a {col.name}; write one of {allowed}{hint}."
                f"{suggest(text.iloc[i], col.choices)}",
                shown.iloc[i],
            ),
        )
    return text.where(~empty)


def _number_fix(text: str) -> str:
    """How to write ``text`` (which did not parse) as a plain number."""
    if re.fullmatch(r"[-+]?\d+,\d{1,2}", text):
        return "use '.' as the decimal mark, as in 12.5"
    junk = [c for c in dict.fromkeys(text) if not (c.isdigit() or c in ".+-eE")]
    if junk and any(c.isdigit() for c in text):
        return (
            f"remove {', '.join(repr(c) for c in junk)}: write numbers plain, without "
            f"thousands separators, currency symbols or units (12000, not '12,000' or '$12,000')"
        )
    return "write a plain number such as 12000 or 0.25"


def _report_missing(
    raw: _Raw,
    col: Column,
    missing: np.ndarray,
    empty: np.ndarray,
    shown: pd.Series,
    what: str,
    fix: str,
) -> None:
    """Report empty or placeholder cells ('NA', 'null', ...) in a required column."""
    _report(
        raw,
        col.name,
        missing,
        lambda i: (
            (
                f"the cell is empty; every row needs a {col.name}. {fix}"
                if empty[i]
                else f"{shown.iloc[i]!r} is not {what}; every row needs a {col.name}. {fix}"
            ),
            shown.iloc[i],
        ),
    )


def _to_number(col: Column, s: pd.Series, raw: _Raw) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        _report(
            raw,
            col.name,
            np.ones(len(s), dtype=bool),
            lambda i: (
                f"holds true/false values, not numbers; store {col.name} as a number.",
                s.iloc[i],
            ),
        )
    if pd.api.types.is_numeric_dtype(s):
        values = s.astype("float64")
        shown = values.astype(object)
        missing = _bool(values.isna())
        empty = missing
    else:
        shown = _cells_as_text(s)
        empty = _bool(shown == "")
        missing = _bool(shown.str.lower().isin(list(_MISSING_TOKENS)))
        values = pd.to_numeric(shown.where(~missing), errors="coerce").astype("float64")
        _report(
            raw,
            col.name,
            _bool(values.isna()) & ~missing,
            lambda i: (
                f"'{shown.iloc[i]}' is not a number; {_number_fix(shown.iloc[i])}.",
                shown.iloc[i],
            ),
        )
    if not col.nullable:
        _report_missing(raw, col, missing, empty, shown, "a value", "Fill in a number.")
    _report(
        raw,
        col.name,
        _bool(np.isinf(values)),
        lambda i: (
            f"{shown.iloc[i]!r} is not a finite number; write the actual {col.name}.",
            shown.iloc[i],
        ),
    )
    if col.largest is not None:
        _check_largest(col, values, shown, raw)
    _check_bounds(col, values, raw)
    return values


def _magnitude(x: float) -> str:
    """A bound as a reader writes it: 1e12, 1e6, 2.5e9."""
    mantissa, exponent = f"{x:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _check_largest(col: Column, values: pd.Series, shown: pd.Series, raw: _Raw) -> None:
    """Refuse a magnitude beyond ``col.largest``: absurd for the column, never a fact."""
    assert col.largest is not None
    bound = _magnitude(col.largest)
    why = f", {col.largest_why}" if col.largest_why else ""
    _report(
        raw,
        col.name,
        _bool(values.abs() > col.largest),
        lambda i: (
            f"{shown.iloc[i]!r} is beyond {bound}{why}: an absurd {col.name} (a typo, extra "
            f"digits, or another unit?); {col.name} must be at most {bound} in magnitude. "
            "Write the actual value.",
            shown.iloc[i],
        ),
    )


def _check_bounds(col: Column, values: pd.Series, raw: _Raw) -> None:
    lo = col.gt if col.gt is not None else col.ge
    if lo is None and col.le is None:
        return
    v = values.to_numpy(dtype="float64")
    mask = np.zeros(len(v), dtype=bool)  # NaN compares False: missing cells pass
    if col.gt is not None:
        mask |= v <= col.gt
    if col.ge is not None:
        mask |= v < col.ge
    if col.le is not None:
        mask |= v > col.le
    op = ">" if col.gt is not None else ">="
    rule = col.rule or (
        f"{col.name} must be in [{lo:g}, {col.le:g}]"
        if lo is not None and col.le is not None
        else f"{col.name} must be {op} {lo:g}"
        if lo is not None
        else f"{col.name} must be <= {col.le:g}"
    )
    hint = f" ({col.hint})" if col.hint else ""

    def describe(i: int) -> tuple[str, Any]:
        v = float(values.iloc[i])
        if lo is not None and col.le is not None:
            what = f"is outside [{lo:g}, {col.le:g}]"
        elif lo == 0 and v < 0:
            what = "is negative"
        elif lo == 0:
            what = "is zero"
        else:
            what = f"is not {op} {lo:g}" if lo is not None else f"is above {col.le:g}"
        return f"{v!r} {what}; {rule}{hint}.", v

    _report(raw, col.name, mask, describe)


def _date_fix(text: str) -> str:
    if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", text):
        return " Day and month order is ambiguous in this form: write it as YYYY-MM-DD."
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return " That day does not exist in the calendar."
    return ""


def _to_date(col: Column, s: pd.Series, raw: _Raw) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        values = values.dt.normalize()
        shown = values.astype(object)
        missing = empty = _bool(values.isna())
    else:
        shown = _cells_as_text(s)
        empty = _bool(shown == "")
        missing = _bool(shown.str.lower().isin(list(_MISSING_TOKENS)))
        values = pd.to_datetime(shown.where(~missing), format="%Y-%m-%d", errors="coerce")
        _report(
            raw,
            col.name,
            _bool(values.isna()) & ~missing,
            lambda i: (
                f"'{shown.iloc[i]}' is not a date in the format YYYY-MM-DD "
                f"(for example 2024-03-31).{_date_fix(shown.iloc[i])}",
                shown.iloc[i],
            ),
        )
    if not col.nullable:
        _report_missing(raw, col, missing, empty, shown, "a date", "Fill in a date as YYYY-MM-DD.")
    return values.astype(DATE_DTYPE)


_CONVERT: Mapping[str, Callable[[Column, pd.Series, _Raw], pd.Series]] = {
    "text": _to_text,
    "number": _to_number,
    "date": _to_date,
}


def _missing_column(kind: Kind, n: int) -> pd.Series:
    """An absent optional column: all missing, of the column's dtype."""
    if kind == "text":
        return pd.Series([None] * n, dtype=TEXT_DTYPE)
    if kind == "number":
        return pd.Series(np.full(n, np.nan), dtype="float64")
    return pd.Series(np.full(n, np.datetime64("NaT", "us")), dtype=DATE_DTYPE)


# --------------------------------------------------------------------------- the loop


def _check_columns(raw: _Raw) -> None:
    """Every required column present (with a did-you-mean); no lookalike optionals."""
    table, present = raw.table, [str(c) for c in raw.frame.columns]
    is_csv = raw.origin == "csv"
    sep = _other_separator(present[0], table) if len(present) == 1 else None
    if sep is not None and not is_csv:  # a CSV is refused by its reader already
        parquet = raw.origin == "parquet"
        what = "the Parquet file was written from" if parquet else "it came from"
        again = ", then write the Parquet file again" if parquet else ""
        raise DataError(
            f"the {table.name} table has one column {present[0][:60]!r}: {what} a file read "
            f"with commas that is separated by {sep!r} ({_SEPARATORS[sep]}). Read that file "
            f"with pandas.read_csv(path, sep={sep!r}) (and decimal=',' if its numbers have a "
            f"decimal comma){again}.",
            file=raw.file,
            column=present[0],
        )
    extras = [c for c in present if c not in table.names]
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if is_csv and missing and not set(present) & set(table.names):
        shown = ", ".join(repr(c) for c in present[:6]) + (", ..." if len(present) > 6 else "")
        raise DataError(
            f"line 1 must be the header naming the columns ({', '.join(missing)}), but it "
            f"reads {shown}. Add the header line, or fix its names.",
            file=raw.file,
            row=1,
        )
    for name in missing:
        also = [m for m in missing if m != name]
        also_text = f" Also missing: {', '.join(also)}." if also else ""
        for extra in extras:
            did_you_mean = suggest(extra, [name])
            if did_you_mean:
                raise DataError(
                    f"missing column '{name}'. The file has '{extra}' where '{name}' is "
                    f"required.{did_you_mean} Rename the column in the header.{also_text}",
                    file=raw.file,
                    column=name,
                )
        raise DataError(
            f"missing column '{name}'; add it to the header and fill it in.{also_text} "
            f"The file has: {', '.join(present)}.",
            file=raw.file,
            column=name,
        )
    for col in table.columns:
        if col.required or col.name in present:
            continue
        close = difflib.get_close_matches(col.name, extras, n=1, cutoff=0.85)
        if close:
            raise DataError(
                f"column '{close[0]}' looks like a misspelling of the optional column "
                f"'{col.name}', which would otherwise be read as all empty. Rename it to "
                f"'{col.name}' (or give an extra column a clearly different name).",
                file=raw.file,
                column=close[0],
            )


def _check_unique(col: Column, values: pd.Series, raw: _Raw) -> None:
    repeat = _bool(values.notna() & values.duplicated(keep="first"))

    def describe(i: int) -> tuple[str, Any]:
        v = values.iloc[i]
        first = int(np.flatnonzero(_bool(values == v))[0])
        return (
            f"{col.name} '{v}' is used twice: rows {int(raw.rows[first])} and "
            f"{int(raw.rows[i])}. Each {col.name} must be unique; delete the duplicate "
            f"row or give one of them a new {col.name}.",
            v,
        )

    _report(raw, col.name, repeat, describe)


def _check_order(col: Column, frame: pd.DataFrame, raw: _Raw) -> None:
    assert col.not_before is not None
    later, earlier = frame[col.name], frame[col.not_before]
    mask = _bool(later.notna() & earlier.notna() & (later < earlier))
    _report(
        raw,
        col.name,
        mask,
        lambda i: (
            f"{col.name} {later.iloc[i]:%Y-%m-%d} is before {col.not_before} "
            f"{earlier.iloc[i]:%Y-%m-%d}; {col.hint}.",
            later.iloc[i],
        ),
    )


def _check_has_rows(raw: _Raw) -> None:
    """Refuse a table the book cannot work without (``Table.needs_rows``) when it has no
    rows, before its absence shows up as every reference to it failing."""
    if len(raw.frame) or not raw.table.needs_rows:
        return
    if raw.origin == "csv":
        has = "the file has a header but no rows"
        fix = "The export may have stopped after the header line: add the rows below it"
    elif raw.origin == "parquet":
        has, fix = "the file has columns but no rows", "Write it again from the full table"
    else:
        has, fix = "the frame has no rows", "Pass the full table"
    raise DataError(f"{has}; {raw.table.needs_rows}. {fix}.", file=raw.file)


def _apply_schema(raw: _Raw) -> pd.DataFrame:
    """Convert and check one table; returns the typed frame (schema columns, then extras)."""
    _check_columns(raw)
    _check_has_rows(raw)
    n, src = len(raw.frame), raw.frame
    typed: dict[str, pd.Series] = {}
    for col in raw.table.columns:
        if col.name not in src.columns:
            if col.nullable:  # a column the book may leave out altogether stays out
                typed[col.name] = _missing_column(col.kind, n)
            continue
        typed[col.name] = _CONVERT[col.kind](col, src[col.name], raw).reset_index(drop=True)
        if col.unique:
            _check_unique(col, typed[col.name], raw)
    frame = pd.DataFrame(typed, index=pd.RangeIndex(n))
    for col in raw.table.columns:
        if col.not_before is not None:
            _check_order(col, frame, raw)
    extras = [c for c in src.columns if c not in raw.table.names]
    if extras:
        frame = pd.concat([frame, src[extras].reset_index(drop=True)], axis=1)
    return frame


def _check_references(raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame]) -> None:
    for name, raw in raws.items():
        for col in raw.table.columns:
            if col.references is None:
                continue
            target_table, target_col = col.references.split(".")
            if target_table not in frames:
                continue
            values = frames[name][col.name]
            known = frames[target_table][target_col].dropna().unique()
            mask = _bool(values.notna() & ~values.isin(known))
            target_file = Path(raws[target_table].file).name
            empty_ok = ", or leave the cell empty" if col.nullable else ""
            fix = f"Correct the id{empty_ok}, or add the missing row to {target_file}."
            if not len(frames[target_table]):  # a header only: say so, not just 'no match'
                fix = f"{target_file} has no rows: fill it in" + (
                    "."
                    if raws[target_table].table.required
                    else f", or leave {target_table} out of the book (then {col.name} is "
                    f"not checked)."
                )

            def describe(
                i: int,
                values: pd.Series = values,
                known: Any = known,
                target_col: str = target_col,
                target_file: str = target_file,
                fix: str = fix,
                col: Column = col,
            ) -> tuple[str, Any]:
                v = values.iloc[i]
                return (
                    f"{col.name} '{v}' matches no {target_col} in {target_file}."
                    f"{suggest(v, known)} {fix}",
                    v,
                )

            _report(raw, col.name, mask, describe)


#: The earliest date of the sales history (deals, cancellations, pipeline): an earlier
#: one (1850, 0001) is a typo that would stretch the fit over centuries.
EARLIEST_DATE = pd.Timestamp("1990-01-01")
#: The earliest date of any other column (a rep hired in 1985 may still sell).
EARLIEST_OTHER_DATE = pd.Timestamp("1940-01-01")

#: The columns that record what happened (the history): none may be later than the
#: book's snapshot date, or than today when the book has none.
HISTORY_DATES = (
    ("bookings", "date"),
    ("bookings", "cancelled_date"),
    ("pipeline", "created_date"),
    ("pipeline", "closed_date"),
    ("stage_history", "date"),
)


def _check_dates(
    raws: Mapping[str, _Raw],
    frames: Mapping[str, pd.DataFrame],
    snapshot: pd.Timestamp | None,
    today: pd.Timestamp | None = None,
) -> None:
    """Every date is plausible: the history none before :data:`EARLIEST_DATE`, other
    dates none before :data:`EARLIEST_OTHER_DATE`, and nothing in the history after the
    snapshot date (or after ``today``, the day of the run, without one).
    """
    history = {
        *HISTORY_DATES,
        ("pipeline", "expected_close_date"),
        ("stage_history", "expected_close_date"),
    }
    for name, frame in frames.items():
        for column in frame.columns:
            dates = frame[column]
            if not pd.api.types.is_datetime64_any_dtype(dates):
                continue
            floor = EARLIEST_DATE if (name, column) in history else EARLIEST_OTHER_DATE
            what = "any sales history" if (name, column) in history else "any working life"

            def early(
                i: int, dates: pd.Series = dates, floor: pd.Timestamp = floor, what: str = what
            ) -> tuple[str, str]:
                return (
                    f"{dates.iloc[i].date()} is before {floor.date()}, earlier than {what}; "
                    "correct the date (a typo in the year?)",
                    str(dates.iloc[i].date()),
                )

            _report(raws[name], column, _bool(dates < floor), early)
    end = snapshot if snapshot is not None else (today or pd.Timestamp.today()).normalize()
    for table, column in HISTORY_DATES:
        if table not in frames:
            continue
        dates = frames[table][column]

        def late(i: int, dates: pd.Series = dates) -> tuple[str, str]:
            if snapshot is not None:
                why = (
                    f"is after the book's snapshot_date {snapshot.date()} (book.yaml), where "
                    "the history ends. Correct the date, or move snapshot_date to the day the "
                    "data was taken."
                )
            else:
                why = (
                    f"is after today ({end.date()}): the history cannot be dated in the future. "
                    "Correct the date, or give book.yaml the snapshot_date the data was taken."
                )
            return f"{dates.iloc[i].date()} {why}", str(dates.iloc[i].date())

        _report(raws[table], column, _bool(dates > end), late)


def _check_status(raw: _Raw, pipe: pd.DataFrame) -> None:
    """An opportunity's status, closed_date and deal_id agree; an empty status is "open".

    Fills ``status`` in place: "open" where it was empty.
    """
    status = pipe["status"].fillna("open")
    pipe["status"] = status
    closed, deal = pipe["closed_date"], pipe["deal_id"]
    ids = pipe["opportunity_id"]
    _report(
        raw,
        "closed_date",
        _bool(status.isin(["won", "lost"]) & closed.isna()),
        lambda i: (
            f"opportunity {ids.iloc[i]} is {status.iloc[i]} but has no closed_date; give the "
            f"date it was {status.iloc[i]} as YYYY-MM-DD.",
            "",
        ),
    )
    _report(
        raw,
        "closed_date",
        _bool((status == "open") & closed.notna()),
        lambda i: (
            f"opportunity {ids.iloc[i]} is open but has closed_date "
            f"{closed.iloc[i]:%Y-%m-%d}; set its status to won or lost, or empty the "
            f"closed_date.",
            f"{closed.iloc[i]:%Y-%m-%d}",
        ),
    )
    _report(
        raw,
        "deal_id",
        _bool((status != "won") & deal.notna()),
        lambda i: (
            f"opportunity {ids.iloc[i]} is {status.iloc[i]} but names deal_id "
            f"'{deal.iloc[i]}': only a won opportunity becomes a booking. Set its status "
            f"to won (with its closed_date), or empty the deal_id.",
            deal.iloc[i],
        ),
    )


def _check_won_dates(raw: _Raw, pipe: pd.DataFrame, bookings: pd.DataFrame, strict: bool) -> None:
    """A won opportunity's closed_date is its booking's date (warned, not refused: an
    order may be booked a few days after the CRM closed it). :func:`as_of` reads the
    opportunity as won from the earlier of the two."""
    dates = bookings.drop_duplicates("deal_id").set_index("deal_id")["date"]
    booked = pd.Series(dates.reindex(pipe["deal_id"]).to_numpy(), index=pipe.index)
    closed = pipe["closed_date"]
    differ = _bool((pipe["status"] == "won") & booked.notna() & (booked != closed))
    _flag(
        raw,
        "closed_date",
        differ,
        noun="won opportunity",
        what="with a closed_date other than the date of its booking (deal_id in bookings.csv)",
        item=lambda i: (
            f"{pipe['opportunity_id'].iloc[i]} closed {closed.iloc[i]:%Y-%m-%d}, "
            f"{pipe['deal_id'].iloc[i]} booked {booked.iloc[i]:%Y-%m-%d}"
        ),
        advice=(
            "A won opportunity becomes its booking on the day it is won: set the closed_date "
            "to the booking's date (as of a day between the two, the book counts the "
            "opportunity as won from the earlier one)."
        ),
        value=lambda i: f"{closed.iloc[i]:%Y-%m-%d}",
        strict=strict,
    )


def _check_stage_dates(raw: _Raw, history: pd.DataFrame, pipe: pd.DataFrame) -> None:
    """A stage is entered between its opportunity's created_date and its closed_date."""
    by_id = pipe.set_index("opportunity_id")
    created = pd.Series(
        by_id["created_date"].reindex(history["opportunity_id"]).to_numpy(), index=history.index
    )
    closed = pd.Series(
        by_id["closed_date"].reindex(history["opportunity_id"]).to_numpy(), index=history.index
    )
    day, ids = history["date"], history["opportunity_id"]
    _report(
        raw,
        "date",
        _bool(day < created),
        lambda i: (
            f"opportunity {ids.iloc[i]} entered stage '{history['stage'].iloc[i]}' on "
            f"{day.iloc[i]:%Y-%m-%d}, before its created_date {created.iloc[i]:%Y-%m-%d} in "
            f"pipeline; correct the date here or the created_date there.",
            f"{day.iloc[i]:%Y-%m-%d}",
        ),
    )
    _report(
        raw,
        "date",
        _bool(day > closed),
        lambda i: (
            f"opportunity {ids.iloc[i]} entered stage '{history['stage'].iloc[i]}' on "
            f"{day.iloc[i]:%Y-%m-%d}, after it was closed on {closed.iloc[i]:%Y-%m-%d} "
            f"(pipeline's closed_date); correct the date here or the closed_date there (a "
            f"reopened opportunity is open: empty its status and closed_date).",
            f"{day.iloc[i]:%Y-%m-%d}",
        ),
    )


def _validate(
    raws: Mapping[str, _Raw],
    snapshot: pd.Timestamp | None = None,
    *,
    currency: str = "USD",
    strict: bool = False,
) -> dict[str, pd.DataFrame]:
    """Every rule, then every plausibility check (warnings; errors when ``strict``), the
    money thresholds read in the book's ``currency``."""
    frames = {name: _apply_schema(raw) for name, raw in raws.items()}
    if "stage_history" in raws and "pipeline" not in raws:
        raise DataError(
            "the book has a stage history but no pipeline table: every row of the stage "
            "history names an opportunity_id of pipeline. Add pipeline.csv (one row per "
            "opportunity, open, won or lost), or leave the stage history out.",
            file=raws["stage_history"].file,
        )
    if "pipeline" in frames:
        _check_status(raws["pipeline"], frames["pipeline"])
    _check_references(raws, frames)
    if "pipeline" in frames:
        _check_won_dates(raws["pipeline"], frames["pipeline"], frames["bookings"], strict)
    if "stage_history" in frames:
        _check_stage_dates(raws["stage_history"], frames["stage_history"], frames["pipeline"])
    _check_dates(raws, frames, snapshot)
    _check_plausible(raws, frames, snapshot, currency=currency, strict=strict)
    return frames


def _empty_table(table: Table) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: _missing_column(c.kind, 0) for c in table.columns if c.required or c.nullable}
    )


def needs_column(frame: pd.DataFrame, column: str, *, file: str, needed_for: str) -> None:
    """Raise a :class:`DataError` when ``frame`` lacks ``column``, saying what needs it.

    A book may leave out the accounts' ``lat``, ``lon``, ``segment``, ``industry``,
    ``potential`` and ``workload`` (:data:`OPTIONAL_FOR`): payouts, statements,
    back-tests, quotas from history and tracking do not read them. What does read
    one calls this first, so the message names the column, the file and why.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (e.g. ``book.accounts``).
    column : str
        The column needed.
    file : str
        The table's file as the message names it (``"accounts.csv"``).
    needed_for : str
        What needs it, completing "... is needed for ...", e.g. "territory design
        (the accounts' locations)".

    Raises
    ------
    DataError
        If ``column`` is not in ``frame``, or is empty in every one of its rows.

    Examples
    --------
    >>> import pandas as pd
    >>> accounts = pd.DataFrame({"account_id": ["A1"], "name": ["Acme"]})
    >>> needs_column(accounts, "name", file="accounts.csv", needed_for="the report")
    >>> needs_column(accounts, "potential", file="accounts.csv",
    ...              needed_for="quotas by potential")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: accounts.csv, column 'potential': the book has no column ...
    """
    if column in frame.columns and (frame.empty or frame[column].notna().any()):
        return
    what = "no column" if column not in frame.columns else "an empty column"
    raise DataError(
        f"the book has {what} '{column}' in {file}, and it is needed for {needed_for}. The "
        f"column is optional for payouts, statements, back-tests, quotas from history and "
        f"tracking; add it to {file} with a value for every row to use this.",
        file=file,
        column=column,
    )


#: The columns a book may leave out although whatever uses them needs every cell,
#: by table: :func:`needs_column` names them when they are needed.
OPTIONAL_FOR = {
    t.name: tuple(c.name for c in t.columns if not (c.required or c.nullable))
    for t in SCHEMA.values()
    if any(not (c.required or c.nullable) for c in t.columns)
}


#: The largest magnitude :func:`numeric_column` accepts: a column outside the schema
#: (a potential of another year, a measure of units, a coordinate) holding 1e308 is a
#: typo or a sentinel, and would overflow the sums made of it.
LARGEST_NUMBER = 1e12


def numeric_column(
    df: pd.DataFrame,
    col: str,
    source: str,
    *,
    nonneg: bool = True,
    largest: float = LARGEST_NUMBER,
) -> np.ndarray:
    """Column ``col`` as floats; a missing column or a bad cell is a located DataError.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (its rows are numbered as CSV lines: row ``i`` is line ``i + 2``).
    col : str
        The column to read; text cells are converted.
    source : str
        The file named in messages.
    nonneg : bool, default True
        Refuse negative values.
    largest : float, default :data:`LARGEST_NUMBER` (1e12)
        The largest magnitude accepted: a value beyond it is refused as absurd.

    Returns
    -------
    numpy.ndarray
        float64, finite, of ``len(df)``.

    Raises
    ------
    DataError
        Naming the source, the first bad row, the column, the value and how many
        rows are bad, when a cell is not a number, not finite, negative (with
        ``nonneg``) or beyond ``largest``.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_column(pd.DataFrame({"potential": ["10", "2.5"]}), "potential", "accounts.csv")
    array([10. ,  2.5])
    >>> numeric_column(pd.DataFrame({"potential": ["10", "1e308"]}), "potential", "accounts.csv")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: accounts.csv, row 3, column 'potential': value '1e308' is not a
    number >= 0 and at most 1e12 in magnitude (1 such row); fix or drop these rows
    """
    if col not in df.columns:
        hint = suggest(col, map(str, df.columns))
        optional = (
            f" (an optional column of {source} a book may leave out; what is asked for here "
            f"needs it: add it with a value for every row)"
            if Path(source).stem in OPTIONAL_FOR and col in OPTIONAL_FOR[Path(source).stem]
            else ""
        )
        raise DataError(
            f"no column '{col}'{optional}{hint}; columns are {list(map(str, df.columns))}",
            file=source,
        )
    vals = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(vals) | (np.abs(vals) > largest) | ((vals < 0) if nonneg else False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        rule = "a number >= 0" if nonneg else "a number"
        rule += f" and at most {_magnitude(largest)} in magnitude"
        raw = df[col].iloc[i]
        shown = raw.item() if hasattr(raw, "item") else raw
        count = int(bad.sum())
        raise DataError(
            f"value {shown!r} is not {rule} ({count} such row{'s' if count > 1 else ''}); "
            "fix or drop these rows",
            file=source,
            row=i + 2,
            column=col,
            value=shown,
        )
    return vals
