"""Import a CRM's opportunity export into a book (internal: the face is :mod:`spm_sim.book`).

:func:`import_crm` reads an export (a Salesforce opportunities report, a HubSpot deals
export, any CSV with one row per opportunity) through a mapping
(:class:`~spm_sim._book.crm_spec.CrmMapping`) and builds a :class:`~spm_sim.book.Book`:

* every row becomes a pipeline row with its status (open, won or lost, from the
  mapping's ``stages``); a won row also becomes a booking dated its close date;
* the accounts are those the rows name (id and name only: a book without locations,
  potential or workload is valid for payouts, statements and tracking);
* the reps are the roster's (a ``reps.csv``), each owner matched on name or email;
* the optional history report gives ``stage_history``, and the stage, expected close
  date and probability a closed opportunity had when it was last open (not the 100% or
  0% a CRM writes when it closes: the outcome, which an earlier day must not see).

Every cell is checked before the book is built, and a bad one raises a
:class:`~spm_sim.errors.DataError` naming the export file, the row (the line a
spreadsheet shows), the column, the value and the fix in the mapping. Rows that cannot
be opportunities but are not mistakes (a stage mapped to ``skip``, an open or lost
opportunity without an amount) are left out and listed with the reason. A cell that
reads two ways is refused rather than guessed (amounts the mapping would read with three
decimals, shares read as percentages; the mapping refuses day-first and month-first date
formats together). The built book is checked as any book is, and a rule it breaks is
reported at the export's row and column.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import currency_symbol
from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .checks import _apply_schema, _validate
from .crm_spec import ISO, CrmMapping, HistoryMap, ReadOptions, load_mapping
from .load import Book
from .schema import SCHEMA, _from_frame, _Raw, _read_csv, _read_parquet

__all__ = ["CrmImport", "import_crm", "parse_amount", "parse_date", "parse_probability"]

_SPACES = "\u00a0\u202f\u2009"


# --------------------------------------------------------------------------- cells


def parse_amount(text: str, read: ReadOptions) -> tuple[float, str | None]:
    """An amount cell as (number, currency code or None); ValueError says why not.

    Examples
    --------
    >>> from spm_sim.book import ReadOptions
    >>> parse_amount("$12,500.00", ReadOptions())
    (12500.0, 'USD')
    >>> parse_amount("1 234,56 EUR", ReadOptions(decimal=",", thousands=" "))
    (1234.56, 'EUR')
    """
    cell = text.strip()
    for space in _SPACES:
        cell = cell.replace(space, " ")
    code: str | None = None
    found = re.match(r"^([A-Z]{3})\s*(.*)$", cell) or re.match(r"^(.*?)\s*([A-Z]{3})$", cell)
    if found:
        pair = found.groups()
        code, cell = (pair[0], pair[1]) if re.fullmatch(r"[A-Z]{3}", pair[0]) else pair[::-1]
    for symbol in sorted(read.currency_symbols, key=len, reverse=True):
        if cell.startswith(symbol) or cell.endswith(symbol):
            if code is not None:
                raise ValueError("the cell names two currencies")
            code = read.currency_symbols[symbol]
            cell = cell.removeprefix(symbol) if cell.startswith(symbol) else cell[: -len(symbol)]
            cell = cell.strip()
            break
    if cell.startswith("-") or (cell.startswith("(") and cell.endswith(")")):
        raise ValueError("a negative amount")
    t, d = re.escape(read.thousands), re.escape(read.decimal)
    grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+" if read.thousands else r"(?!)"
    if not re.fullmatch(rf"(?:{grouped}|\d+)(?:{d}\d+)?", cell):
        raise ValueError("not a number")
    number = cell.replace(read.thousands, "") if read.thousands else cell
    return float(number.replace(read.decimal, ".")), code


def parse_probability(text: str, read: ReadOptions) -> float:
    """A probability cell ('75%', '75' as a percentage, '0.75' as a share) as a share.

    Examples
    --------
    >>> from spm_sim.book import ReadOptions
    >>> parse_probability("75%", ReadOptions(probability="share"))
    0.75
    >>> parse_probability("10", ReadOptions())
    0.1
    """
    cell = text.strip().replace(" ", "")
    percent = cell.endswith("%") or read.probability == "percent"
    cell = cell.removesuffix("%")
    if not re.fullmatch(rf"\d+(?:{re.escape(read.decimal)}\d+)?", cell):
        raise ValueError("not a number")
    value = float(cell.replace(read.decimal, "."))
    top = 100.0 if percent else 1.0
    if value > top:
        raise ValueError(f"above {top:g}")
    return value / top


def parse_date(text: str, formats: tuple[str, ...], *, keep_time: bool = False) -> pd.Timestamp:
    """A date cell in the first of ``formats`` that reads it (the date as written).

    With ``keep_time`` the time of day written in the cell is kept (the wall-clock
    time as written, whatever the time zone), so changes made on one day can be put in
    order; without it the date alone.

    Examples
    --------
    >>> parse_date("7/14/2025", ("%m/%d/%Y",)).date()
    datetime.date(2025, 7, 14)
    >>> parse_date("2025-07-14T23:30:00-07:00", ("ISO8601",)).date()
    datetime.date(2025, 7, 14)
    >>> parse_date("7/14/2025, 3:00 PM", ("%m/%d/%Y, %I:%M %p",), keep_time=True)
    Timestamp('2025-07-14 15:00:00')
    """
    cell = text.strip()
    for fmt in formats:
        try:
            if fmt == ISO:
                when = _dt.datetime.fromisoformat(cell.replace(" ", "T", 1))
            else:
                when = _dt.datetime.strptime(cell, fmt)
        except ValueError:
            continue
        when = when.replace(tzinfo=None)
        return pd.Timestamp(when if keep_time else when.date())
    raise ValueError("no format")


def _swapped(read: ReadOptions) -> ReadOptions:
    """The other common way of writing amounts: the other decimal mark ('.' or ','),
    and the mapping's decimal mark as the thousands separator."""
    other = "," if read.decimal == "." else "."
    return read.model_copy(update={"decimal": other, "thousands": read.decimal})


#: Currencies whose amounts are written with three decimals (a fils, a baisa).
_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def _ambiguous_amounts(cells: pd.Series, read: ReadOptions) -> tuple[np.ndarray, bool]:
    """The cells the mapping reads with three decimals though the other convention
    reads them as whole thousands (``12.500``: 12.5, or 12,500), and whether any cell
    of the column settles which convention the export uses.

    A cell settles it when it reads under the mapping's convention and not under the
    other (``1.234,50``, ``12.50``); whole numbers without a mark read the same both
    ways. Money is written with two decimals, so three after the decimal mark in every
    cell means the mark is more likely a thousands separator.
    """
    other = _swapped(read)
    three = re.compile(rf"{re.escape(read.decimal)}\d{{3}}\D*$")
    ambiguous = np.zeros(len(cells), dtype=bool)
    settled = False
    for k, text in enumerate(cells):
        if not text:
            continue
        mine, theirs = _try(parse_amount, text, read), _try(parse_amount, text, other)
        if isinstance(mine, tuple) and isinstance(theirs, tuple):
            ambiguous[k] = mine[0] != theirs[0] and bool(three.search(text.strip()))
        elif isinstance(mine, tuple):
            settled = True
    return ambiguous, settled


# --------------------------------------------------------------------------- files


@dataclass
class _Table:
    """An export as read: text cells by header name and the line each row starts on."""

    file: str
    frame: pd.DataFrame
    lines: np.ndarray
    header_line: int

    def fail(
        self, column: str, mask: Any, message: Callable[[int], str], values: pd.Series
    ) -> None:
        """Raise for the first row of ``mask``, counting the others."""
        bad = np.flatnonzero(np.asarray(mask, dtype=bool))
        if bad.size == 0:
            return
        first = int(bad[0])
        more = ""
        if bad.size > 1:
            shown = ", ".join(str(int(self.lines[i])) for i in bad[1:6])
            more = (
                f" (and {bad.size - 1} more row{'s' if bad.size > 2 else ''} with the same "
                f"problem: {shown}{', ...' if bad.size > 6 else ''})"
            )
        raise DataError(
            message(first) + more,
            file=self.file,
            row=int(self.lines[first]),
            column=column,
            value=values.iloc[first],
        )


def _read_table(path: Path, read: ReadOptions, wanted: Mapping[str, str], mapfile: str) -> _Table:
    """Read an export: ``wanted`` maps each field to the header it must have."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror}).", file=path) from None
    try:
        text = data.decode(read.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"byte 0x{data[exc.start]:02x} cannot be read as {read.encoding}; set read.encoding "
            f"in {mapfile} to the file's encoding (cp1252 for Excel on Windows, utf-8-sig for "
            "UTF-8).",
            file=path,
            row=line,
        ) from None
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    body = lines[read.skip_lines : end - read.skip_footer]
    if not body:
        raise DataError(
            f"no header: the file has {end} line(s), read.skip_lines is {read.skip_lines} and "
            f"read.skip_footer {read.skip_footer} in {mapfile}.",
            file=path,
        )
    reader = csv.reader(io.StringIO("".join(body)), delimiter=read.delimiter)
    records: list[list[str]] = []
    starts: list[int] = []
    done = 0
    try:
        for record in reader:
            records.append(record)
            starts.append(done + 1 + read.skip_lines)
            done = reader.line_num
    except csv.Error as exc:
        raise DataError(f"not a readable CSV file ({exc}).", file=path, row=done + 1) from None
    header = [h.strip() for h in records[0]]
    head_line = starts[0]
    missing = {f: c for f, c in wanted.items() if c not in header}
    if missing:
        fname, col = next(iter(missing.items()))
        shown = ", ".join(repr(h) for h in header[:12]) + (" ..." if len(header) > 12 else "")
        hint = suggest(col, header)
        other = ""
        if len(header) == 1 and read.delimiter not in records[0][0]:
            other = f" The header reads as one column: is read.delimiter {read.delimiter!r} right?"
        raise DataError(
            f"no column '{col}' (columns.{fname} in {mapfile}).{hint} The header on line "
            f"{head_line} has: {shown}.{other} Correct columns.{fname}, or read.skip_lines if "
            "the header is on another line.",
            file=path,
            row=head_line,
            column=col,
        )
    for fname, col in wanted.items():
        if header.count(col) > 1:
            where = [k + 1 for k, h in enumerate(header) if h == col]
            raise DataError(
                f"the header has '{col}' (columns.{fname} in {mapfile}) twice, as columns "
                f"{' and '.join(map(str, where[:2]))}, so which one holds {fname} is not "
                "clear; rename the other column in the export, or map the field to it.",
                file=path,
                row=head_line,
                column=col,
            )
    cells, rows = [], []
    for record, start in zip(records[1:], starts[1:], strict=True):
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            raise DataError(
                f"this row has {len(record)} cells but the header has {len(header)}. Quote cells "
                f"that hold the delimiter {read.delimiter!r}, or check read.skip_footer in "
                f"{mapfile} if this is a footer line.",
                file=path,
                row=start,
            )
        cells.append(record)
        rows.append(start)
    frame = pd.DataFrame(cells, columns=range(len(header)), dtype=object)
    keep = {c: header.index(c) for c in dict.fromkeys(wanted.values())}
    out = pd.DataFrame({c: frame[j] if len(frame) else [] for c, j in keep.items()}, dtype=object)
    out = out.fillna("").map(str).map(str.strip) if len(out) else out
    return _Table(str(path), out.reset_index(drop=True), np.asarray(rows, dtype=int), head_line)


def _roster(path: Path) -> pd.DataFrame:
    """The reps of the roster file, checked as a book's reps.csv is."""
    if not path.is_file():
        raise DataError(
            "roster not found: give the reps file (a book's reps.csv or an HR roster with its "
            "columns) as roster: in the mapping, relative to it, or with --roster.",
            file=path,
        )
    raw = (_read_parquet if path.suffix == ".parquet" else _read_csv)(path, SCHEMA["reps"])
    return _apply_schema(raw)


# --------------------------------------------------------------------------- the import


@dataclass(frozen=True)
class CrmImport:
    """What :func:`import_crm` made of an export.

    Attributes
    ----------
    book : Book
        The book (reps from the roster, accounts, bookings, pipeline, stage history).
    skipped : pandas.DataFrame
        The rows left out: ``file``, ``row``, ``opportunity_id``, ``reason``.
    export : str
        The export file read.
    rows : int
        Rows of data read from the export.
    history_rows : int
        Rows of data read from the history report (0 without one).
    notes : tuple of str
        Lines :meth:`describe` adds (history amounts of 0 read as not recorded).
    """

    book: Book
    skipped: pd.DataFrame
    export: str
    rows: int
    history_rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """What was imported and what was skipped, in words.

        Examples
        --------
        >>> from spm_sim.book import SAMPLE_DIR, import_crm
        >>> crm = SAMPLE_DIR.parent / "crm"
        >>> done = import_crm(crm / "hubspot_deals.csv", crm / "hubspot.yaml")
        >>> done.describe().splitlines()[0]  # doctest: +ELLIPSIS
        'Read ... rows from ...hubspot_deals.csv.'
        """
        book, pipe = self.book, self.book.pipeline
        counts = pipe["status"].value_counts()
        won = book.bookings["amount"].sum()
        dates = pd.concat([pipe["created_date"], pipe["closed_date"]]).dropna()
        owners = pipe["rep_id"].nunique()
        lines = [
            f"Read {self.rows:,} rows from {self.export}"
            + (
                f" and {self.history_rows:,} stage changes from the history"
                if self.history_rows
                else ""
            )
            + ".",
            f"Imported {len(pipe):,} opportunities: {int(counts.get('won', 0)):,} won, "
            f"{int(counts.get('open', 0)):,} open, {int(counts.get('lost', 0)):,} lost; "
            f"{len(book.bookings):,} bookings worth "
            f"{currency_symbol(book.currency)}{won:,.2f} in all.",
            f"{len(book.accounts):,} accounts; {owners:,} owners matched to "
            f"{len(book.reps):,} reps of the roster; {len(book.stage_history):,} stage history "
            "rows.",
        ]
        moved = self.history_rows - len(book.stage_history)
        if self.history_rows and moved > 0:
            lines.append(
                f"  ({moved:,} stage changes not kept as stage history: a move to won or lost "
                "is the opportunity's status and closed date; any other is listed below.)"
            )
        if len(dates):
            lines.append(f"Dates from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}.")
        if book.snapshot_date is not None:
            lines.append(
                f"Snapshot date {book.snapshot_date:%Y-%m-%d}: the book's history ends that day "
                "(the export's last date, at the latest today)."
            )
        if len(self.skipped):
            lines.append(f"Skipped {len(self.skipped):,} rows:")
            for reason, group in self.skipped.groupby("reason", sort=False):
                rows = ", ".join(str(r) for r in group["row"].head(5))
                more = ", ..." if len(group) > 5 else ""
                lines.append(f"  {len(group):,} {reason} (rows {rows}{more})")
        else:
            lines.append("Skipped no rows.")
        lines.extend(self.notes)
        return "\n".join(lines)


def _mapping(mapping: CrmMapping | str | Path) -> tuple[CrmMapping, Path | None, str]:
    if isinstance(mapping, CrmMapping):
        return mapping, None, "the mapping"
    path = Path(mapping)
    return load_mapping(path), path, path.name


def import_crm(
    export: str | Path,
    mapping: CrmMapping | str | Path,
    *,
    history: str | Path | None = None,
    roster: str | Path | None = None,
    name: str | None = None,
    snapshot_date: Any = None,
) -> CrmImport:
    """Build a book from a CRM export through a mapping.

    Parameters
    ----------
    export : str or Path
        The opportunities (deals) export, one row per opportunity.
    mapping : CrmMapping, str or Path
        The mapping, or its YAML file (see ``data/crm/salesforce.yaml``).
    history : str or Path, optional
        The opportunity (stage) history report, read with ``mapping.history``.
    roster : str or Path, optional
        The reps file; default the mapping's ``roster`` (relative to the mapping file).
    name : str, optional
        The book's name (default: the mapping's ``name``, else the export's stem).
    snapshot_date : date-like, optional
        When the export was taken (default: the last date it holds, open opportunities'
        expected close dates aside, at the latest today).

    Returns
    -------
    CrmImport
        ``.book`` (a :class:`Book`), ``.skipped`` and ``.describe()``.

    Raises
    ------
    DataError
        A stage the mapping does not map, an owner not in the roster, a date or amount
        that cannot be read, an amount in another currency than the book's, a column
        the export lacks: each naming the file, row, column, value and fix.
    SpecError
        When the mapping breaks a rule.

    Examples
    --------
    >>> from spm_sim.book import SAMPLE_DIR, import_crm
    >>> crm = SAMPLE_DIR.parent / "crm"
    >>> done = import_crm(crm / "hubspot_deals.csv", crm / "hubspot.yaml")
    >>> done.book.currency, sorted(set(done.book.pipeline["status"]))
    ('USD', ['lost', 'open', 'won'])
    """
    spec, mapfile, mapname = _mapping(mapping)
    export = Path(export)
    if roster is None:
        if spec.roster is None:
            raise DataError(
                f"no roster of reps to match the owners with: give roster: in {mapname} (a "
                "reps.csv, relative to the mapping file) or --roster REPS.csv.",
                file=mapfile,
            )
        base = mapfile.parent if mapfile is not None else Path.cwd()
        roster = base / spec.roster
    reps = _roster(Path(roster))
    cols = {k: v for k, v in spec.columns.model_dump().items() if v is not None}
    table = _read_table(export, spec.read, cols, mapname)
    frame, skipped = _rows(table, spec, mapname, reps, Path(roster).name)
    hist = None
    history_rows = 0
    notes: list[str] = []
    if history is not None:
        if spec.history is None:
            raise DataError(
                f"--history given, but {mapname} has no history: section saying which of its "
                "columns give the opportunity id, the date and the stage.",
                file=mapfile,
            )
        hist, history_rows, hist_skipped, notes = _history(
            Path(history), spec, spec.history, frame, mapname
        )
        skipped += hist_skipped
        _closed_from_history(frame, hist)
    where = _Where(table.file, spec.columns, None if hist is None else str(history), spec.history)
    book = _build(frame, hist, reps, spec, name or spec.name or export.stem, snapshot_date, where)
    book = replace(book, source=spec.source or f"imported from {export.name}")
    skips = pd.DataFrame(skipped, columns=["file", "row", "opportunity_id", "reason"])
    return CrmImport(book, skips, str(export), len(table.frame), history_rows, tuple(notes))


def _rows(
    table: _Table, spec: CrmMapping, mapname: str, reps: pd.DataFrame, rostername: str
) -> tuple[pd.DataFrame, list[tuple[str, int, str, str]]]:
    """The export's rows as the book's fields, each cell checked; and the rows skipped."""
    c, cells, read = spec.columns, table.frame, spec.read
    out = pd.DataFrame(index=cells.index)
    out["opportunity_id"] = cells[c.opportunity_id]
    ids = out["opportunity_id"]
    table.fail(
        c.opportunity_id,
        ids == "",
        lambda i: "an opportunity without an id; every row needs one.",
        ids,
    )
    table.fail(
        c.opportunity_id,
        ids.duplicated(),
        lambda i: (
            f"opportunity {ids.iloc[i]} appears twice (first on row "
            f"{int(table.lines[int(np.flatnonzero(ids == ids.iloc[i])[0])])}); export one row per "
            "opportunity (a report 'with products' has a row per product line)."
        ),
        ids,
    )
    # stages
    stage = cells[c.stage]
    rules = {k.casefold(): v for k, v in spec.stages.items()}
    unmapped = ~stage.str.casefold().isin(rules)
    table.fail(
        c.stage,
        unmapped,
        lambda i: (
            f"stage {stage.iloc[i]!r} is not mapped: add '{stage.iloc[i]}' under stages: in "
            f"{mapname} with the book's stage it means ('{stage.iloc[i]}: Negotiate'), or "
            f"won, lost or skip.{suggest(stage.iloc[i], spec.stages)}"
        ),
        stage,
    )
    rule = stage.str.casefold().map(rules)
    out["status"] = rule.map(lambda r: r.status)
    out["stage"] = rule.map(lambda r: r.stage)
    skipped: list[tuple[str, int, str, str]] = []
    keep = out["status"] != "skip"
    for i in np.flatnonzero(~keep):
        reason = f"with stage {stage.iloc[i]!r}, mapped to skip"
        skipped.append((table.file, int(table.lines[i]), ids.iloc[i], reason))
    # amounts
    amount = cells[c.amount]
    parsed = [_try(parse_amount, a, read) for a in amount]
    bad = np.array([isinstance(p, str) for p in parsed]) & (amount != "").to_numpy() & keep
    table.fail(
        c.amount,
        bad,
        lambda i: (
            f"amount {amount.iloc[i]!r} cannot be read ({parsed[i]}): {mapname} reads "
            f"amounts with decimal {read.decimal!r} and thousands {read.thousands!r} (as in "
            f"{_example(read)}); correct the cell, or read.decimal and read.thousands."
        ),
        amount,
    )
    _refuse_ambiguous(table, c.amount, amount, keep.to_numpy(), read, mapname, spec.currency)
    values = pd.Series(
        [p[0] if isinstance(p, tuple) else np.nan for p in parsed], index=cells.index
    )
    codes = pd.Series([p[1] if isinstance(p, tuple) else None for p in parsed], index=cells.index)
    if c.currency is not None:
        given = cells[c.currency]
        table.fail(
            c.currency,
            (given != "") & (given != spec.currency) & keep,
            lambda i: (
                f"currency {given.iloc[i]!r}, but the book's currency is {spec.currency} "
                f"(currency: in {mapname}); a book holds one currency: export the opportunities in "
                f"{spec.currency} or convert them first."
            ),
            given,
        )
    table.fail(
        c.amount,
        codes.notna() & (codes != spec.currency) & keep,
        lambda i: (
            f"amount {amount.iloc[i]!r} is in {codes.iloc[i]}, but the book's currency is "
            f"{spec.currency} (currency: in {mapname}); a book holds one currency: export the "
            f"amounts in {spec.currency} or convert them first (or map the symbol under "
            "read.currency_symbols)."
        ),
        amount,
    )
    out["amount"] = values
    empty = keep & (values.isna() | (values == 0))
    table.fail(
        c.amount,
        empty & (out["status"] == "won"),
        lambda i: (
            f"a won opportunity {'without an amount' if amount.iloc[i] == '' else 'with amount 0'}"
            f" (stage {stage.iloc[i]!r}): a won opportunity becomes a booking, which needs "
            "its amount. Give the amount it was won for, or map the stage to lost or skip "
            f"in {mapname} if it was not a sale."
        ),
        amount,
    )
    for i in np.flatnonzero(empty):
        what = "without an amount" if amount.iloc[i] == "" else "with amount 0"
        skipped.append(
            (table.file, int(table.lines[i]), ids.iloc[i], f"{out['status'].iloc[i]} {what}")
        )
    keep &= ~empty
    # dates
    for fname in ("created_date", "close_date"):
        col = getattr(c, fname)
        text = cells[col]
        days = pd.Series([_try(parse_date, t, read.dates) for t in text], index=cells.index)
        table.fail(
            col,
            keep & days.map(lambda d: isinstance(d, str)),
            _unread_date(text, read, mapname),
            text,
        )
        out[fname] = pd.to_datetime(days.where(keep), errors="coerce")
    today = pd.Timestamp.today().normalize()
    table.fail(
        c.created_date,
        keep & (out["created_date"] > today),
        lambda i: (
            f"created date {cells[c.created_date].iloc[i]} is after today "
            f"({today:%Y-%m-%d}): an opportunity cannot be created in the future. Correct "
            "the date (a typo in the year?)."
        ),
        cells[c.created_date],
    )
    ended = keep & out["status"].isin(["won", "lost"])
    table.fail(
        c.close_date,
        ended & (out["close_date"] > today),
        lambda i: (
            f"close date {cells[c.close_date].iloc[i]} of a {out['status'].iloc[i]} "
            f"opportunity (stage {stage.iloc[i]!r}) is after today ({today:%Y-%m-%d}): it "
            "was won or lost on a day that has not come. Correct the date (a typo in the "
            "year?), or map the stage as open if it is an expected close date."
        ),
        cells[c.close_date],
    )
    table.fail(
        c.close_date,
        keep & (out["close_date"] < out["created_date"]),
        lambda i: (
            f"close date {cells[c.close_date].iloc[i]} is before the created date "
            f"{cells[c.created_date].iloc[i]}; correct one of them."
        ),
        cells[c.close_date],
    )
    # owners
    owner = cells[c.owner]
    out["rep_id"] = _owners(table, owner, reps, spec, keep, mapname, rostername)
    # accounts, products, deals, probabilities
    out["account_id"] = cells[c.account_id] if c.account_id else _account_ids(cells[c.account_name])
    out["account_name"] = cells[c.account_name] if c.account_name else out["account_id"]
    table.fail(
        c.account_id or str(c.account_name),
        keep & (out["account_id"] == ""),
        lambda i: "no account; every row needs one.",
        out["account_id"],
    )
    out["product"] = cells[c.product] if c.product else spec.default_product
    if c.product:
        table.fail(
            c.product,
            keep & (out["product"] == ""),
            lambda i: (
                "no product; give one, or leave columns.product out of the mapping and "
                "set default_product."
            ),
            out["product"],
        )
    deal = cells[c.deal_id] if c.deal_id else ids
    out["deal_id"] = deal.where((out["status"] == "won") & (deal != ""), ids).where(
        out["status"] == "won"
    )
    won_deals = out["deal_id"].where(keep)
    twice = won_deals.notna() & won_deals.duplicated()
    table.fail(
        c.deal_id or c.opportunity_id,
        twice,
        lambda i: (
            f"deal id {won_deals.iloc[i]!r} of this won opportunity is also the deal id of "
            f"the won opportunity on row "
            f"{int(table.lines[int(np.flatnonzero(won_deals == won_deals.iloc[i])[0])])}; "
            "each won opportunity becomes its own booking: correct one of the two ids."
        ),
        won_deals,
    )
    out["probability"] = rule.map(lambda r: r.probability)
    if c.probability:
        text = cells[c.probability]
        prob = [_try(parse_probability, p, read) if p else None for p in text]
        table.fail(
            c.probability,
            keep & np.array([isinstance(p, str) for p in prob]),
            lambda i: (
                f"probability {text.iloc[i]!r} cannot be read ({prob[i]}); write 75% or, "
                f"with read.probability {read.probability!r} in {mapname}, "
                f"{'75' if read.probability == 'percent' else '0.75'}."
            ),
            text,
        )
        if read.probability == "percent":
            bare = keep & (text != "") & ~text.str.endswith("%")
            raw = pd.Series([p * 100 if isinstance(p, float) else np.nan for p in prob])
            raw = raw.where(bare.to_numpy())
            if raw.notna().any() and (raw.dropna() <= 1).all():
                table.fail(
                    c.probability,
                    ((raw > 0) & (raw < 1)).to_numpy(),
                    lambda i: (
                        f"probability {text.iloc[i]!r} reads as {float(raw.iloc[i]):g}% "
                        f"(read.probability: percent in {mapname}), and every probability "
                        "of the column is at most 1: they look like shares (0.75 for 75%). "
                        f"Set read.probability: share in {mapname}, or correct the cells."
                    ),
                    text,
                )
        given = pd.Series([p if isinstance(p, float) else np.nan for p in prob], index=cells.index)
        out["probability"] = given.fillna(out["probability"])
    closed = out["status"].isin(["won", "lost"])
    out.loc[closed & out["probability"].isna(), "probability"] = out["status"].map(
        {"won": 1.0, "lost": 0.0}
    )
    table.fail(
        c.stage,
        keep & out["probability"].isna(),
        lambda i: (
            f"no probability for stage {stage.iloc[i]!r}: give columns.probability, or "
            f"a probability under stages: in {mapname} ({stage.iloc[i]}: {{stage: "
            f"{out['stage'].iloc[i]}, probability: 0.25}})."
        ),
        stage,
    )
    out["line"] = table.lines
    return out.loc[keep].reset_index(drop=True), skipped


def _refuse_ambiguous(
    table: _Table,
    column: str,
    cells: pd.Series,
    keep: np.ndarray,
    read: ReadOptions,
    mapname: str,
    currency: str,
) -> None:
    """Refuse a column of amounts the mapping reads with three decimals (12.500 as 12.5)
    where the other convention reads whole thousands (12,500), unless a cell settles it
    (see :func:`_ambiguous_amounts`) or the currency has three decimals."""
    ambiguous, settled = _ambiguous_amounts(cells.where(keep, ""), read)
    if settled or currency in _THREE_DECIMALS:
        return
    other = _swapped(read)

    def message(i: int) -> str:
        mine = parse_amount(cells.iloc[i], read)[0]
        theirs = parse_amount(cells.iloc[i], other)[0]
        return (
            f"amount {cells.iloc[i]!r} reads as {mine:,.3f} with read.decimal "
            f"{read.decimal!r} and read.thousands {read.thousands!r} in {mapname}, but as "
            f"{theirs:,.2f} if {other.decimal!r} is the decimal mark, and no amount of the "
            "column has two decimals to tell which: set read.decimal and read.thousands in "
            f"{mapname} to the marks the export uses ('.' and ',' for 12,500.00; ',' and '.' "
            "for 12.500,00)."
        )

    table.fail(column, ambiguous, message, cells)


def _try(parse: Callable[..., Any], text: str, arg: Any) -> Any:
    """``parse(text, arg)``, or the reason it failed as a string."""
    try:
        return parse(text, arg)
    except ValueError as exc:
        return str(exc) or "cannot be read"


def _unread_date(text: pd.Series, read: ReadOptions, mapname: str) -> Callable[[int], str]:
    """The message for a date cell no format of ``read.dates`` reads."""

    def message(i: int) -> str:
        return (
            f"date {text.iloc[i]!r} is not in any format of read.dates in {mapname} "
            f"({', '.join(read.dates)}); add its format there (e.g. '%d.%m.%Y' for "
            "31.12.2025) or correct the cell."
        )

    return message


def _example(read: ReadOptions) -> str:
    return f"1{read.thousands}234{read.decimal}56"


def _account_ids(names: pd.Series) -> pd.Series:
    """Ids for accounts named but not numbered: A0001... in order of first appearance."""
    order = {n: f"A{k + 1:04d}" for k, n in enumerate(dict.fromkeys(names.str.strip()))}
    return names.str.strip().map(order)


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _owners(
    table: _Table,
    owner: pd.Series,
    reps: pd.DataFrame,
    spec: CrmMapping,
    keep: pd.Series,
    mapname: str,
    rostername: str,
) -> pd.Series:
    """Each owner's rep id, matched on name or email; unknown or ambiguous owners refused."""
    by = spec.owners
    if by == "email" and reps["email"].isna().all():
        raise DataError(
            f"owners: email in {mapname}, but the roster has no email column; add one "
            "(rep_id,...,email) or match on owners: name.",
            file=rostername,
        )
    known: dict[str, list[str]] = {}
    for rid, who in zip(reps["rep_id"], reps[by], strict=True):
        if isinstance(who, str):
            known.setdefault(_key(who), []).append(rid)
    keys = owner.map(_key)
    if by == "email":  # 'Ann Lee (ann@x.com)' or '<ann@x.com>': the address in the cell
        keys = owner.map(
            lambda s: _key(m.group(0)) if (m := re.search(r"[^\s<>()]+@[^\s<>()]+", s)) else _key(s)
        )
    missing = keep & ~keys.isin(known)
    table.fail(
        spec.columns.owner,
        missing,
        lambda i: (
            f"owner {owner.iloc[i]!r} matches no rep's {by} in the roster {rostername}; "
            f"add the rep there (with this {by}), or correct the owner in the export."
            f"{suggest(owner.iloc[i], [w for w in reps[by].dropna()])}"
        ),
        owner,
    )
    twice = keep & keys.map(lambda k: len(known.get(k, [])) > 1)
    table.fail(
        spec.columns.owner,
        twice,
        lambda i: (
            f"owner {owner.iloc[i]!r} matches {len(known[keys.iloc[i]])} reps of the roster "
            f"{rostername} ({', '.join(known[keys.iloc[i]])}); match on owners: email, or make the "
            "names differ."
        ),
        owner,
    )
    return keys.map(lambda k: known.get(k, [None])[0])


def _history(
    path: Path, spec: CrmMapping, hmap: HistoryMap, opps: pd.DataFrame, mapname: str
) -> tuple[pd.DataFrame, int, list[tuple[str, int, str, str]], list[str]]:
    """The stage history report as the book's ``stage_history`` rows (with the ``line``
    each came from), the rows read, the rows skipped and notes for the summary.

    Changes are put in order by date and time; changes of one day written without a
    time keep the file's order, read oldest first (a report sorted newest first, as
    Salesforce's often is, is turned round first).
    """
    read = hmap.read or spec.read
    c = hmap.columns
    cols = {k: v for k, v in c.model_dump().items() if v is not None}
    table = _read_table(path, read, cols, mapname)
    cells = table.frame
    ids = cells[c.opportunity_id]
    known = ids.isin(set(opps["opportunity_id"]))
    skipped = [
        (table.file, int(table.lines[i]), ids.iloc[i], "history rows of opportunities not imported")
        for i in np.flatnonzero(~known)
    ]
    stage = cells[c.stage]
    rules = {k.casefold(): v for k, v in spec.stages.items()}
    table.fail(
        c.stage,
        known & ~stage.str.casefold().isin(rules),
        lambda i: (
            f"stage {stage.iloc[i]!r} is not mapped: add '{stage.iloc[i]}' under stages: in "
            f"{mapname}.{suggest(stage.iloc[i], spec.stages)}"
        ),
        stage,
    )
    rule = stage.str.casefold().map(rules)
    # the close events are in the export (status and close date), not stage history
    keep = known & rule.map(lambda r: getattr(r, "status", None) == "open").astype(bool)
    out = pd.DataFrame(
        {"opportunity_id": ids, "stage": rule.map(lambda r: getattr(r, "stage", None))}
    )
    for fname, col in (("date", c.date), ("expected_close_date", c.expected_close_date)):
        if col is None:
            out[fname] = pd.NaT
            continue
        text = cells[col]
        days = pd.Series(
            [
                _try(partial(parse_date, keep_time=fname == "date"), t, read.dates) if t else None
                for t in text
            ],
            index=cells.index,
        )
        unread = days.map(lambda d: isinstance(d, str)) | ((text == "") & (fname == "date"))
        table.fail(
            col,
            keep & unread,
            _unread_date(text, read, mapname),
            text,
        )
        out[fname] = pd.to_datetime(days.where(keep & (text != "")), errors="coerce")
    out["amount"] = np.nan
    notes: list[str] = []
    if c.amount is not None:
        text = cells[c.amount]
        parsed = [_try(parse_amount, a, read) if a else (np.nan, None) for a in text]
        table.fail(
            c.amount,
            keep & np.array([isinstance(p, str) for p in parsed]),
            lambda i: (
                f"amount {text.iloc[i]!r} cannot be read ({parsed[i]}); correct it, or "
                f"read.decimal and read.thousands in {mapname}."
            ),
            text,
        )
        _refuse_ambiguous(table, c.amount, text, keep.to_numpy(), read, mapname, spec.currency)
        codes = pd.Series([p[1] if isinstance(p, tuple) else None for p in parsed])
        table.fail(
            c.amount,
            keep.to_numpy() & (codes.notna() & (codes != spec.currency)).to_numpy(),
            lambda i: (
                f"amount {text.iloc[i]!r} is in {codes.iloc[i]}, but the book's currency is "
                f"{spec.currency} (currency: in {mapname}); export the history's amounts in "
                f"{spec.currency} (or map the symbol under read.currency_symbols)."
            ),
            text,
        )
        values = np.array([p[0] if isinstance(p, tuple) else np.nan for p in parsed], float)
        zero = keep.to_numpy() & (values == 0)
        if zero.any():
            lines = ", ".join(str(int(n)) for n in table.lines[zero][:5])
            notes.append(
                f"Read {int(zero.sum()):,} history amounts of 0 as not recorded (rows "
                f"{lines}{', ...' if zero.sum() > 5 else ''} of {Path(table.file).name})."
            )
        out["amount"] = np.where(values == 0, np.nan, values)
    out["probability"] = _history_probability(table, hmap, rule, out, opps, keep, read, mapname)
    out["line"] = table.lines
    out = out.loc[keep]
    if _newest_first(out):
        out = out.iloc[::-1]
    out = out.sort_values(["opportunity_id", "date"], kind="stable")
    out["date"] = out["date"].dt.normalize()
    out = out.drop_duplicates(["opportunity_id", "date", "stage"], keep="last")
    return out.reset_index(drop=True), len(cells), skipped, notes


def _newest_first(hist: pd.DataFrame) -> bool:
    """Whether the report lists each opportunity's changes newest first (more steps
    back in time than forward between its consecutive rows, in file order)."""
    step = hist.groupby("opportunity_id", sort=False)["date"].diff().dropna()
    return bool((step < pd.Timedelta(0)).sum() > (step > pd.Timedelta(0)).sum())


def _history_probability(
    table: _Table,
    hmap: HistoryMap,
    rule: pd.Series,
    out: pd.DataFrame,
    opps: pd.DataFrame,
    keep: pd.Series,
    read: ReadOptions,
    mapname: str,
) -> pd.Series:
    """Each history row's probability: the report's, else its CRM stage's (``stages``),
    else the mean probability of the export's open opportunities in its stage."""
    given = pd.Series(np.nan, index=out.index)
    col = hmap.columns.probability
    if col is not None:
        text = table.frame[col]
        prob = [_try(parse_probability, p, read) if p else None for p in text]
        table.fail(
            col,
            keep & np.array([isinstance(p, str) for p in prob]),
            lambda i: (
                f"probability {text.iloc[i]!r} cannot be read ({prob[i]}); write 75% or, "
                f"with read.probability {read.probability!r} in {mapname}, "
                f"{'75' if read.probability == 'percent' else '0.75'}."
            ),
            text,
        )
        given = pd.Series([p if isinstance(p, float) else np.nan for p in prob], index=out.index)
    by_rule = rule.map(lambda r: getattr(r, "probability", None)).astype(float)
    is_open = opps["status"] == "open"
    means = opps.loc[is_open].groupby("stage")["probability"].mean()
    by_mean = out["stage"].map(means).astype(float)
    return given.fillna(by_rule).fillna(by_mean)


def _closed_from_history(opps: pd.DataFrame, hist: pd.DataFrame) -> None:
    """A closed opportunity's stage, expected close date and probability: those of its
    last open stage (the outcome is in its status, not in these)."""
    last = hist.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    closed = opps["status"].isin(["won", "lost"]).to_numpy()
    ids = opps["opportunity_id"]
    stage = pd.Series(last["stage"].reindex(ids).to_numpy(), index=opps.index, dtype=object)
    expected = pd.Series(
        pd.to_datetime(last["expected_close_date"].reindex(ids)).to_numpy(), index=opps.index
    )
    prob = pd.Series(last["probability"].reindex(ids).to_numpy(float), index=opps.index)
    opps["stage"] = opps["stage"].astype(object).where(~(closed & stage.notna()), stage)
    opps["expected_close"] = expected.where(closed)
    opps["probability"] = opps["probability"].where(~(closed & prob.notna()), prob)


@dataclass(frozen=True)
class _Where:
    """Where the book's rows came from: the files and the export's column names, so a
    rule the built book breaks is reported at the export's row and column."""

    export: str
    columns: Any
    history: str | None
    history_map: HistoryMap | None

    def raws(self, frames: Mapping[str, pd.DataFrame | None]) -> dict[str, _Raw]:
        """The book's frames as raw tables located in the export (and history)."""
        c = self.columns
        account = c.account_id or c.account_name
        aliases = {
            "bookings": {
                "deal_id": c.deal_id or c.opportunity_id,
                "date": c.close_date,
                "account_id": account,
                "rep_id": c.owner,
                "amount": c.amount,
                "product": c.product or "product",
            },
            "pipeline": {
                "opportunity_id": c.opportunity_id,
                "account_id": account,
                "rep_id": c.owner,
                "product": c.product or "product",
                "stage": c.stage,
                "amount": c.amount,
                "probability": c.probability or c.stage,
                "created_date": c.created_date,
                "expected_close_date": c.close_date,
                "status": c.stage,
                "closed_date": c.close_date,
                "deal_id": c.deal_id or c.opportunity_id,
            },
            "accounts": {"account_id": account, "name": c.account_name or account},
        }
        if self.history_map is not None:
            h = self.history_map.columns
            aliases["stage_history"] = {
                "opportunity_id": h.opportunity_id,
                "date": h.date,
                "stage": h.stage,
                "amount": h.amount or "amount",
                "expected_close_date": h.expected_close_date or "expected_close_date",
                "probability": h.probability or "probability",
            }
        out: dict[str, _Raw] = {}
        for name, frame in frames.items():
            if frame is None:
                continue
            line = frame.get("line")
            frame = frame.drop(columns="line") if line is not None else frame
            raw = _from_frame(frame, SCHEMA[name], f"{name} frame", "frame")
            if line is not None:
                file = self.history if name == "stage_history" else self.export
                raw = replace(
                    raw,
                    file=str(file),
                    rows=line.to_numpy(dtype=int),
                    origin="csv",
                    aliases=MappingProxyType(aliases[name]),
                )
            out[name] = raw
        return out


def _build(
    opps: pd.DataFrame,
    hist: pd.DataFrame | None,
    reps: pd.DataFrame,
    spec: CrmMapping,
    name: str,
    snapshot_date: Any,
    where: _Where,
) -> Book:
    """The book's frames from the checked rows, validated as any book is (a broken rule
    is reported at the export's row and column)."""
    open_ = opps["status"] == "open"
    won = opps["status"] == "won"
    if "expected_close" not in opps:
        opps["expected_close"] = pd.NaT
    expected = opps["expected_close"].where(opps["expected_close"].notna(), opps["close_date"])
    expected = expected.where(~open_, opps["close_date"])
    stage = opps["stage"].fillna(opps["status"].map({"won": "Won", "lost": "Lost"}))
    pipeline = pd.DataFrame(
        {
            "opportunity_id": opps["opportunity_id"],
            "account_id": opps["account_id"],
            "rep_id": opps["rep_id"],
            "product": opps["product"],
            "stage": stage,
            "amount": opps["amount"].round(2),
            "probability": opps["probability"],
            "created_date": opps["created_date"],
            "expected_close_date": expected,
            "status": opps["status"],
            "closed_date": opps["close_date"].where(~open_),
            "deal_id": opps["deal_id"].where(won),
            "line": opps["line"],
        }
    ).sort_values("opportunity_id", kind="stable")
    bookings = pd.DataFrame(
        {
            "deal_id": opps["deal_id"],
            "date": opps["close_date"],
            "account_id": opps["account_id"],
            "rep_id": opps["rep_id"],
            "amount": opps["amount"].round(2),
            "product": opps["product"],
            "line": opps["line"],
        }
    ).loc[won.to_numpy()]
    bookings = bookings.sort_values(["date", "deal_id"], kind="stable").reset_index(drop=True)
    accounts = (
        pd.DataFrame(
            {"account_id": opps["account_id"], "name": opps["account_name"], "line": opps["line"]}
        )
        .drop_duplicates("account_id")
        .sort_values("account_id", kind="stable")
        .reset_index(drop=True)
    )
    if snapshot_date is None:
        days = [opps["created_date"], opps["close_date"].where(~open_)]
        if hist is not None:
            days.append(hist["date"])
        # a date in the future is refused row by row; today caps what is left
        snapshot_date = min(pd.concat(days).max(), pd.Timestamp.today().normalize())
    snap = pd.Timestamp(snapshot_date)
    raws = where.raws(
        {
            "reps": reps,
            "accounts": accounts,
            "bookings": bookings,
            "pipeline": pipeline.reset_index(drop=True),
            "stage_history": hist,
        }
    )
    frames = _validate(raws, snap, currency=spec.currency)
    return Book._build(frames, name=name, currency=spec.currency, snapshot_date=snap)
