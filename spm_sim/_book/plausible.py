"""Plausibility checks of a book (internal: the public face is :mod:`spm_sim.book`).

A book that obeys every rule of the schema may still hold values nobody is likely
to mean: a deal dated before its rep was hired, an amount a million times the
book's median, one deal dated years apart from all the others, an id that a
spreadsheet would run as a formula. Each kind is reported once per column (or per
file), as a :class:`~spm_sim.errors.PlausibilityWarning` whose message names the
file, the first row, the column and the value, says how many rows share the
problem, shows the first few and what to check; under strict checks
(``load_book(..., strict=True)``, ``--strict``, ``strict: true`` in a scenario,
:func:`~spm_sim.errors.strict_checks`) the same message is raised as a
:class:`~spm_sim.errors.DataError`. :func:`_check_plausible` runs them all, after
the schema, the references and the date rules have passed (``_book/checks.py``).

The thresholds are module constants, stated in ``docs/data-format.md``; the sample
book trips none of them. The one absolute amount of money, :data:`PAY_LIMIT`, is in US
dollars and read in the book's currency through :func:`spm_sim._format.units_per_usd`
(a book in yen is held to about 750 million yen); the others are ratios and dates,
the same in every currency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import FORMULA_START
from spm_sim._format import money_threshold
from spm_sim.errors import implausible

from .schema import _Raw

#: A value more than this many times its column's median, or less than the median
#: divided by it, is implausible (a typo with extra digits, cents read as units, an
#: amount in thousands). The sample book's widest spread is about 100 times.
EXTREME_RATIO = 1_000.0

#: The columns compared with their own median (zeros are left out of the median and
#: never flagged: a commission-only rep or an account without potential is allowed).
RATIO_COLUMNS = (
    ("bookings", "amount"),
    ("pipeline", "amount"),
    ("accounts", "potential"),
    ("accounts", "workload"),
    ("reps", "base_salary"),
    ("reps", "target_incentive"),
)

#: A year's base salary or target incentive above this many US dollars is implausible
#: for a sales rep whatever the rest of the team earns (a salary typed in cents, a team
#: total on one row). It is compared in the book's currency, times
#: :func:`spm_sim._format.units_per_usd` (750,000,000 for a book in JPY); the schema
#: refuses more than 1e12 in any currency.
PAY_LIMIT = 5_000_000.0

#: The fewest values a column needs before it is compared with its own median or
#: span: a handful of rows says too little about what is typical.
MIN_VALUES = 20

#: A gap longer than this (days) between two consecutive deal dates splits the
#: bookings history into stretches.
GAP_DAYS = 365

#: A stretch of the history cut off by such a gap, holding at most this share of the
#: deals (at least one deal), is implausible: one deal re-dated from 2024 to 2014.
ISOLATED_SHARE = 0.01

#: An expected close date more than this many years after the end of the history
#: (the snapshot date, else the latest history date) is implausible (9999-12-31).
CLOSE_HORIZON_YEARS = 5

#: How many rows a grouped message shows.
SHOWN = 5

#: What one row of each table is, for the messages.
_WHAT = {
    "bookings": "deal",
    "pipeline": "opportunity",
    "stage_history": "stage history row",
    "accounts": "account",
    "reps": "rep",
    "units": "unit",
}


# --------------------------------------------------------------------------- reporting


def _flag(
    raw: _Raw,
    column: str,
    mask: np.ndarray,
    *,
    noun: str,
    what: str,
    item: Callable[[int], str],
    advice: str,
    value: Callable[[int], Any],
    strict: bool,
) -> None:
    """Warn (or raise, under strict checks) once for all rows of ``mask``.

    The message reads "<count> <noun>(s) <what> (row 5: <item>; row 9: <item>; ...;
    and 7 more). <advice>", located at the first row.
    """
    bad = np.flatnonzero(np.asarray(mask, dtype=bool))
    if bad.size == 0:
        return
    n = int(bad.size)
    first = int(bad[0])
    row = int(raw.rows[first])
    shown = "; ".join(f"row {int(raw.rows[i])}: {item(int(i))}" for i in bad[:SHOWN])
    more = f"; and {n - SHOWN:,} more" if n > SHOWN else ""
    implausible(
        f"{n:,} {_plural(noun, n)} {what} ({shown}{more}). {advice}{raw.note(row)}",
        strict=strict,
        file=raw.file,
        row=row,
        column=raw.shown(column),
        value=value(first),
    )


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _money(x: float) -> str:
    """12,500.5 -> '12,500.50'; 3e15 -> '3e+15'."""
    return f"{x:,.2f}" if abs(x) < 1e13 else f"{x:.4g}"


def _day(x: Any) -> str:
    return f"{pd.Timestamp(x):%Y-%m-%d}"


def _mask(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


# --------------------------------------------------------------------------- the checks


def _check_employment(
    raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame], strict: bool
) -> None:
    """Deals dated outside their rep's employment; opportunities created after it."""
    reps = frames["reps"]
    hire = pd.Series(reps["hire_date"].to_numpy(), index=reps["rep_id"])
    term = pd.Series(reps["term_date"].to_numpy(), index=reps["rep_id"])
    reps_file = Path(raws["reps"].file).name
    _outside(raws["bookings"], frames["bookings"], "date", hire, "before", reps_file, strict)
    _outside(raws["bookings"], frames["bookings"], "date", term, "after", reps_file, strict)
    # an opportunity created before its rep was hired was handed over on the hire; one
    # created after the rep left was not
    if "pipeline" in frames:
        pipe = frames["pipeline"]
        _outside(raws["pipeline"], pipe, "created_date", term, "after", reps_file, strict)


def _outside(
    raw: _Raw,
    frame: pd.DataFrame,
    column: str,
    edge_dates: pd.Series,
    side: str,
    reps_file: str,
    strict: bool,
) -> None:
    """Rows of ``frame`` dated ``side`` ("before" or "after") their rep's edge date."""
    day = frame[column]
    bound = pd.Series(edge_dates.reindex(frame["rep_id"].to_numpy()).to_numpy(), index=frame.index)
    mask = _mask(day < bound) if side == "before" else _mask(day > bound)
    deals = raw.table.name == "bookings"
    id_col = "deal_id" if deals else "opportunity_id"
    edge = "hire_date" if side == "before" else "term_date"

    def item(i: int) -> str:
        return (
            f"{frame[id_col].iloc[i]} on {_day(day.iloc[i])}, rep {frame['rep_id'].iloc[i]} "
            f"{'hired' if edge == 'hire_date' else 'left'} {_day(bound.iloc[i])}"
        )

    if deals:
        advice = (
            "The productivity fit counts these deals as the rep's sales; the payroll does not "
            "pay them (payouts lists them in its unpaid-deals file). "
            f"Correct the deal's date or rep_id, or the rep's {edge} in {reps_file}."
        )
    else:
        advice = (
            "An opportunity is owned by a rep who had left when it was created. "
            f"Reassign it (rep_id), or correct the rep's term_date in {reps_file}."
        )
    _flag(
        raw,
        column,
        mask,
        noun="deal" if deals else "opportunity",
        what=f"{'dated' if deals else 'created'} {side} the rep's {edge} in {reps_file}",
        item=item,
        advice=advice,
        value=lambda i: _day(day.iloc[i]),
        strict=strict,
    )


def _check_extremes(
    raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame], strict: bool
) -> None:
    """Values more than :data:`EXTREME_RATIO` times above or below their column's median."""
    for table, column in RATIO_COLUMNS:
        if table not in frames or column not in frames[table].columns:
            continue
        values = frames[table][column].to_numpy(dtype=float)
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size < MIN_VALUES:
            continue
        _extreme(raws[table], column, values, positive, "more", strict)
        _extreme(raws[table], column, values, positive, "less", strict)


def _extreme(
    raw: _Raw, column: str, values: np.ndarray, positive: np.ndarray, side: str, strict: bool
) -> None:
    """Values ``side`` ("more" or "less") than the median times (or over) the ratio."""
    median = float(np.median(positive))
    with np.errstate(invalid="ignore"):
        if side == "more":
            mask = values > EXTREME_RATIO * median
        else:
            mask = (values > 0) & (values < median / EXTREME_RATIO)

    def item(i: int) -> str:
        ratio = float(values[i]) / median
        if ratio >= 1:
            times = f"{ratio:,.0f} times"
        elif ratio >= 1e-12:
            times = f"1/{1 / ratio:,.0f} of"
        else:  # a value like 1e-305: its inverse overflows and says nothing more
            times = "less than a trillionth of"
        return f"{_money(values[i])}, {times} the median"

    if side == "more":
        bound = f"more than {EXTREME_RATIO:,.0f} times"
        advice = (
            "Check for a typo (extra digits), another unit (cents, another currency, minutes "
            "for hours), or a test row."
        )
    else:
        bound = f"less than 1/{EXTREME_RATIO:,.0f} of"
        advice = "Check for a typo (missing digits), another unit (thousands), or a test row."
    _flag(
        raw,
        column,
        mask,
        noun="value",
        what=f"{bound} the median of the column, {_money(median)} over {positive.size:,} rows",
        item=item,
        advice=advice,
        value=lambda i: float(values[i]),
        strict=strict,
    )


def _check_pay(
    raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame], currency: str, strict: bool
) -> None:
    """A rep's year of base salary or target incentive above :data:`PAY_LIMIT` US
    dollars, read in the book's ``currency``."""
    reps = frames["reps"]
    for column in ("base_salary", "target_incentive"):
        _pay_above(raws["reps"], reps, column, currency, strict)


def _pay_above(raw: _Raw, reps: pd.DataFrame, column: str, currency: str, strict: bool) -> None:
    values = reps[column].to_numpy(dtype=float)
    ids = reps["rep_id"].to_numpy()
    limit, limit_text = money_threshold(PAY_LIMIT, currency)

    def item(i: int) -> str:
        return f"{ids[i]}, {_money(values[i])}"

    _flag(
        raw,
        column,
        np.nan_to_num(values) > limit,
        noun="rep",
        what=f"paid more than {limit_text} a year in {column}",
        item=item,
        advice=(
            f"Check for pay in cents or in a currency other than the book's {currency}, "
            "or a team's total on one row."
        ),
        value=lambda i: float(values[i]),
        strict=strict,
    )


def _check_isolated_dates(
    raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame], strict: bool
) -> None:
    """Deals cut off from the rest of the history by a gap of more than :data:`GAP_DAYS`."""
    dates = frames["bookings"]["date"]
    known = dates.notna().to_numpy()
    n = int(known.sum())
    if n < MIN_VALUES:
        return
    days = dates.to_numpy()[known].astype("datetime64[D]").astype(np.int64)
    order = np.sort(days)
    cuts = np.flatnonzero(np.diff(order) > GAP_DAYS)
    if cuts.size == 0:
        return
    # stretches between the gaps: [start, end) positions in the sorted dates
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts + 1, [n]])
    sizes = ends - starts
    main = int(np.argmax(sizes))
    limit = max(1.0, ISOLATED_SHARE * n)
    isolated_days: list[np.ndarray] = []
    for k in range(len(sizes)):
        if k != main and sizes[k] <= limit:
            isolated_days.append(order[starts[k] : ends[k]])
    if not isolated_days:
        return
    lone = np.concatenate(isolated_days)
    all_days = np.full(len(dates), np.iinfo(np.int64).min)
    all_days[known] = days
    mask = np.isin(all_days, lone) & known
    rest = order[~np.isin(order, lone)]
    span_from = pd.Timestamp(int(rest.min()), unit="D")
    span_to = pd.Timestamp(int(rest.max()), unit="D")
    deal_ids = frames["bookings"]["deal_id"]
    _flag(
        raws["bookings"],
        "date",
        mask,
        noun="deal",
        what=(
            f"dated more than {GAP_DAYS} days apart from the rest of the history, "
            f"which runs from {_day(span_from)} to {_day(span_to)} with {n - int(mask.sum()):,} "
            "deals"
        ),
        item=lambda i: f"{deal_ids.iloc[i]} on {_day(dates.iloc[i])}",
        advice=(
            "A lone deal years away from all the others is usually a typo in the year; "
            "the productivity fit and the seasonality would stretch over the gap. Correct "
            "the date, or remove the deal."
        ),
        value=lambda i: _day(dates.iloc[i]),
        strict=strict,
    )


def _history_end(frames: Mapping[str, pd.DataFrame], snapshot: pd.Timestamp | None) -> Any:
    if snapshot is not None:
        return snapshot
    ends = [frames["bookings"]["date"].max()]
    if "pipeline" in frames:
        ends.append(frames["pipeline"]["created_date"].max())
    ends = [e for e in ends if pd.notna(e)]
    return max(ends) if ends else None


def _check_span_ends(
    raws: Mapping[str, _Raw],
    frames: Mapping[str, pd.DataFrame],
    snapshot: pd.Timestamp | None,
    strict: bool,
) -> None:
    """The history ending long before the snapshot; close dates far after the history."""
    bookings = frames["bookings"]
    last = bookings["date"].max()
    if snapshot is not None and pd.notna(last) and (snapshot - last).days > GAP_DAYS:
        at = int(np.flatnonzero(_mask(bookings["date"] == last))[0])
        mask = np.zeros(len(bookings), dtype=bool)
        mask[at] = True
        yaml = "" if raws["bookings"].origin == "frame" else " (book.yaml)"
        _flag(
            raws["bookings"],
            "date",
            mask,
            noun="deal",
            what=(
                f"(the latest of the history) is dated {(snapshot - last).days:,} days before "
                f"the book's snapshot_date {_day(snapshot)}{yaml}"
            ),
            item=lambda i: f"{bookings['deal_id'].iloc[i]} on {_day(last)}",
            advice=(
                "The history stops long before the snapshot: the plan would be set on a "
                "history with a gap at its end. Check snapshot_date, or that the bookings "
                "file is the latest export."
            ),
            value=lambda i: _day(last),
            strict=strict,
        )
    end = _history_end(frames, snapshot)
    if "pipeline" not in frames or end is None:
        return
    pipe = frames["pipeline"]
    horizon = pd.Timestamp(end) + pd.DateOffset(years=CLOSE_HORIZON_YEARS)
    close = pipe["expected_close_date"]
    _flag(
        raws["pipeline"],
        "expected_close_date",
        _mask(close > horizon),
        noun="opportunity",
        what=(
            f"expected to close more than {CLOSE_HORIZON_YEARS} years after the end of the "
            f"history ({_day(end)})"
        ),
        item=lambda i: f"{pipe['opportunity_id'].iloc[i]} on {_day(close.iloc[i])}",
        advice=(
            "A placeholder date (9999-12-31) or a typo in the year would stretch the sales "
            "cycle read from the pipeline. Give the date the deal is expected to close."
        ),
        value=lambda i: _day(close.iloc[i]),
        strict=strict,
    )


def _check_formula_text(
    raws: Mapping[str, _Raw], frames: Mapping[str, pd.DataFrame], strict: bool
) -> None:
    """Ids and names (every text column of the schema) that begin with a character of
    :data:`spm_sim._files.FORMULA_START`, one message per file."""
    for name, raw in raws.items():
        _formula_cells(raw, frames[name], strict)


def _formula_cells(raw: _Raw, frame: pd.DataFrame, strict: bool) -> None:
    """The text cells of one table that begin with a formula character, one message."""
    cells: dict[int, list[str]] = {}  # row position -> its columns, in schema order
    for col in raw.table.columns:
        if col.kind == "text" and col.name in frame.columns:
            for i in np.flatnonzero(_mask(frame[col.name].str.startswith(FORMULA_START))):
                cells.setdefault(int(i), []).append(col.name)
    if not cells:
        return
    mask = np.zeros(len(frame), dtype=bool)
    mask[list(cells)] = True

    def item(i: int) -> str:
        return ", ".join(f"{c} {_short(frame[c].iloc[i])}" for c in cells[i])

    _flag(
        raw,
        cells[min(cells)][0],
        mask,
        noun=_WHAT.get(raw.table.name, "row"),
        what="with an id or name that begins with a formula character (=, +, -, @)",
        item=item,
        advice=(
            "A spreadsheet runs such a cell as a formula, so every CSV spm_sim writes "
            "shows it with a leading ' (as text), and the written value no longer matches "
            "the one in this file. Rename it unless that is meant."
        ),
        value=lambda i: frame[cells[i][0]].iloc[i],
        strict=strict,
    )


def _short(text: str, width: int = 40) -> str:
    return repr(text if len(text) <= width else text[: width - 3] + "...")


def _check_plausible(
    raws: Mapping[str, _Raw],
    frames: Mapping[str, pd.DataFrame],
    snapshot: pd.Timestamp | None = None,
    *,
    currency: str = "USD",
    strict: bool = False,
) -> None:
    """Every plausibility check of a valid book, in a fixed order (see the module);
    money thresholds are read in ``currency``, the book's."""
    _check_employment(raws, frames, strict)
    _check_isolated_dates(raws, frames, strict)
    _check_span_ends(raws, frames, snapshot, strict)
    _check_extremes(raws, frames, strict)
    _check_pay(raws, frames, currency, strict)
    _check_formula_text(raws, frames, strict)
