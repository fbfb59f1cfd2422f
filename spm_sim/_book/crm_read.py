"""Reading a CRM export (internal: the face is :mod:`spm_sim.book`).

The export's file as text cells with the line each row starts on (:func:`read_table`,
:class:`Table`, whose :meth:`Table.fail` raises at the first bad row), the roster
(:func:`read_roster`), and the cell parsers :func:`parse_amount`,
:func:`parse_probability` and :func:`parse_date` with the checks built on them
(amounts that read two ways, probabilities and dates no option reads), each raising a
:class:`~spm_sim.errors.DataError` at the export's file, row and column with the fix in
the mapping. :mod:`.crm` builds the book from what is read here.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .checks import _apply_schema
from .crm_spec import ISO, ReadOptions
from .schema import SCHEMA, _read_csv, _read_parquet

__all__ = [
    "Table",
    "read_table",
    "read_roster",
    "parse_amount",
    "parse_probability",
    "parse_date",
    "read_probabilities",
    "refuse_ambiguous",
    "try_parse",
    "unread_date",
    "amount_example",
]

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
        mine, theirs = try_parse(parse_amount, text, read), try_parse(parse_amount, text, other)
        if isinstance(mine, tuple) and isinstance(theirs, tuple):
            ambiguous[k] = mine[0] != theirs[0] and bool(three.search(text.strip()))
        elif isinstance(mine, tuple):
            settled = True
    return ambiguous, settled


# --------------------------------------------------------------------------- files


@dataclass
class Table:
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


def read_table(path: Path, read: ReadOptions, wanted: Mapping[str, str], mapfile: str) -> Table:
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
    return Table(str(path), out.reset_index(drop=True), np.asarray(rows, dtype=int), head_line)


def read_roster(path: Path) -> pd.DataFrame:
    """The reps of the roster file, checked as a book's reps.csv is."""
    if not path.is_file():
        raise DataError(
            "roster not found: give the reps file (a book's reps.csv or an HR roster with its "
            "columns) as roster: in the mapping, relative to it, or with --roster.",
            file=path,
        )
    raw = (_read_parquet if path.suffix == ".parquet" else _read_csv)(path, SCHEMA["reps"])
    return _apply_schema(raw)


def refuse_ambiguous(
    table: Table,
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


def try_parse(parse: Callable[..., Any], text: str, arg: Any) -> Any:
    """``parse(text, arg)``, or the reason it failed as a string."""
    try:
        return parse(text, arg)
    except ValueError as exc:
        return str(exc) or "cannot be read"


def unread_date(text: pd.Series, read: ReadOptions, mapname: str) -> Callable[[int], str]:
    """The message for a date cell no format of ``read.dates`` reads."""

    def message(i: int) -> str:
        return (
            f"date {text.iloc[i]!r} is not in any format of read.dates in {mapname} "
            f"({', '.join(read.dates)}); add its format there (e.g. '%d.%m.%Y' for "
            "31.12.2025) or correct the cell."
        )

    return message


def amount_example(read: ReadOptions) -> str:
    return f"1{read.thousands}234{read.decimal}56"


def read_probabilities(
    table: Table, column: str, keep: Any, read: ReadOptions, mapname: str
) -> list[Any]:
    """The probabilities of a column: a float per cell read, None per empty cell.

    Raises at the first row of ``keep`` whose cell no reading of ``read.probability``
    reads, with the way to write it.
    """
    text = table.frame[column]
    prob = [try_parse(parse_probability, p, read) if p else None for p in text]
    table.fail(
        column,
        keep & np.array([isinstance(p, str) for p in prob]),
        lambda i: (
            f"probability {text.iloc[i]!r} cannot be read ({prob[i]}); write 75% or, "
            f"with read.probability {read.probability!r} in {mapname}, "
            f"{'75' if read.probability == 'percent' else '0.75'}."
        ),
        text,
    )
    return prob
