"""The book's schema and its readers (internal: the public face is :mod:`spm_sim.book`).

:data:`SCHEMA` declares the tables of a book and the rules of their columns
(:class:`Column`, :class:`Table`), as ``docs/data-format.md`` states them. The
readers turn a book's files into raw, unchecked tables (:class:`_Raw`: the cells
plus the row number each came from): :func:`_find_tables` finds each table's
file in the folder, :func:`_read_csv` reads a CSV with every cell as text,
:func:`_read_parquet` and :func:`_from_frame` take a Parquet file or a caller's
frame, and :func:`_read_meta` reads and checks ``book.yaml``. They raise
:class:`DataError` for the folder and file checks; ``_book/checks.py``
then applies the column rules.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from spm_sim._spec import read_yaml, suggest
from spm_sim.errors import DataError

TEXT_DTYPE = "str"
"""Dtype of text columns: pandas' string dtype, missing values are NaN."""
DATE_DTYPE = "datetime64[us]"
"""Dtype of date columns (microseconds: pandas 3's resolution for parsed text,
and wide enough for far-future sentinels such as 9999-12-31)."""

Kind = Literal["text", "number", "date"]

# Cells that mean "no value" in number and date columns (compared lower-case).
_MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "nat"})


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Column:
    """One column of a table and the rules its cells obey.

    Parameters
    ----------
    name : str
        Header name.
    kind : {'text', 'number', 'date'}
        Cell type after conversion: string, float64 or datetime64.
    required : bool, default True
        Whether the column must be in the file. An absent optional column is
        added, all missing.
    nullable : bool, default False
        Whether a cell may be empty.
    unique : bool, default False
        No two rows share a value.
    ge, gt, le : float, optional
        Bounds on numbers: ``>= ge``, ``> gt``, ``<= le``.
    largest : float, optional
        The largest magnitude a number may have (``abs(value) <= largest``): beyond it
        the value is absurd for the column (a typo, a wrong unit, a sentinel such as
        1e308) and is refused before any arithmetic can overflow.
    largest_why : str, optional
        What a value beyond ``largest`` would mean, for the message.
    not_before : str, optional
        A date column of the same table this date must not precede.
    references : str, optional
        ``"table.column"`` every non-empty value must appear in (checked when that
        table is in the book).
    choices : tuple of str, optional
        The values a text cell may hold, compared case-insensitively and stored
        lower-case (``status``: open, won, lost).
    rule : str, optional
        The rule in words, replacing the one generated from the bounds.
    hint : str, optional
        How to fix a broken rule, appended to the message.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    unique: bool = False
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    largest: float | None = None
    largest_why: str = ""
    not_before: str | None = None
    references: str | None = None
    choices: tuple[str, ...] = ()
    rule: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Table:
    """A table of the book: its name, whether the book needs it, its columns.

    ``needs_rows`` says why the book cannot work when the table has no rows (a
    header-only file is then refused before the references between tables are
    checked); empty, the table may have none.
    """

    name: str
    required: bool
    columns: tuple[Column, ...]
    needs_rows: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in schema order."""
        return tuple(c.name for c in self.columns)


def _opt(name: str, kind: Kind, **rules: Any) -> Column:
    """An optional column whose cells may be empty."""
    return Column(name, kind, required=False, nullable=True, **rules)


def _may_lack(name: str, kind: Kind, **rules: Any) -> Column:
    """A column a book may leave out, but whose every cell is filled when it is there
    (what needs it says so when it is absent: :func:`spm_sim.book.needs_column`)."""
    return Column(name, kind, required=False, nullable=False, **rules)


#: The statuses of an opportunity (``pipeline.status``); an empty cell means "open".
STATUSES = ("open", "won", "lost")


#: The largest amount of money any cell of a book may hold, in the book's currency
#: (a deal, an opportunity, an account's potential, a salary, a target incentive): a
#: trillion is more than any real one in any currency (a trillion dong is about 40
#: million dollars; a year's pay of a rep in rupiah is about 1e9), and a value such as
#: 1e308 would overflow the sums a payroll adds up. The plan and the payout kernel
#: hold money to the same bound. Pay that is merely unlikely is warned about
#: (``_book/plausible.py``).
MAX_MONEY = 1e12
#: The most hours a year one account may take to cover (``workload``): a million hours
#: is the full year of more than a hundred people.
MAX_HOURS = 1e6
#: The largest labour force of a unit: more than the world's population.
MAX_PEOPLE = 1e10

# rule sets shared by several columns (keyword arguments of Column)
_LAT: dict[str, Any] = {
    "ge": -90.0,
    "le": 90.0,
    "rule": "latitude must be in [-90, 90]",
    "hint": "check that latitude and longitude are not swapped",
}
_LON: dict[str, Any] = {
    "ge": -180.0,
    "le": 180.0,
    "rule": "longitude must be in [-180, 180]",
    "hint": "check that latitude and longitude are not swapped",
}
_AMOUNT: dict[str, Any] = {
    "gt": 0.0,
    "rule": "amounts must be > 0",
    "largest": MAX_MONEY,
    "largest_why": "more than any single deal",
}
#: A probability as a CRM gives it, a share (0.7 for 70%).
_PROBABILITY: dict[str, Any] = {
    "ge": 0.0,
    "le": 1.0,
    "rule": "probability must be in [0, 1]",
    "hint": "write 70% as 0.7",
}
_DEAL_AMOUNT: dict[str, Any] = _AMOUNT | {
    "hint": "record a cancellation in the column cancelled_date of the deal it cancels, "
    "not as a negative deal",
}
_MONEY: dict[str, Any] = {"ge": 0.0, "largest": MAX_MONEY}

SCHEMA: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            Table(
                "reps",
                required=True,
                needs_rows="a book needs at least one rep: plans, quotas and payouts are per "
                "rep, and every account, booking and opportunity names its rep_id in reps",
                columns=(
                    Column("rep_id", "text", unique=True),
                    Column("name", "text"),
                    Column("region", "text"),
                    Column("role", "text"),
                    _opt("home_unit", "text", references="units.unit_id"),
                    _opt("home_name", "text"),
                    _opt("home_lat", "number", **_LAT),
                    _opt("home_lon", "number", **_LON),
                    _opt(
                        "email",
                        "text",
                        unique=True,
                        hint="a CRM owner is matched to a rep by email",
                    ),
                    Column("hire_date", "date"),
                    _opt(
                        "term_date",
                        "date",
                        not_before="hire_date",
                        hint="a rep cannot leave before being hired; correct one of the two dates",
                    ),
                    Column(
                        "base_salary",
                        "number",
                        **_MONEY,
                        largest_why="more than any pay for a year",
                    ),
                    Column(
                        "target_incentive",
                        "number",
                        **_MONEY,
                        largest_why="more than any pay for a year",
                    ),
                ),
            ),
            Table(
                "accounts",
                required=True,
                needs_rows="a book needs at least one account: every booking and opportunity "
                "names its account_id in accounts, and quotas and territories are built from "
                "the accounts",
                columns=(
                    Column("account_id", "text", unique=True),
                    Column("name", "text"),
                    _opt("unit_id", "text", references="units.unit_id"),
                    _opt("state", "text"),
                    _may_lack("lat", "number", **_LAT),
                    _may_lack("lon", "number", **_LON),
                    _may_lack("segment", "text"),
                    _may_lack("industry", "text"),
                    _may_lack(
                        "potential",
                        "number",
                        **_MONEY,
                        largest_why="more than any account could buy in a year",
                    ),
                    _may_lack(
                        "workload",
                        "number",
                        ge=0.0,
                        largest=MAX_HOURS,
                        largest_why="the hours of more than a hundred people for a year",
                    ),
                    _opt("rep_id", "text", references="reps.rep_id"),
                ),
            ),
            # bookings may have no rows: a new team's reps and accounts can still be
            # checked, sized and aligned; the fit and the payroll say they need deals.
            Table(
                "bookings",
                required=True,
                columns=(
                    Column("deal_id", "text", unique=True),
                    Column("date", "date"),
                    Column("account_id", "text", references="accounts.account_id"),
                    Column("rep_id", "text", references="reps.rep_id"),
                    Column("amount", "number", **_DEAL_AMOUNT),
                    Column("product", "text"),
                    _opt(
                        "cancelled_date",
                        "date",
                        not_before="date",
                        hint="a deal cannot be cancelled before it was booked; correct one "
                        "of the two dates",
                    ),
                ),
            ),
            Table(
                "pipeline",
                required=False,
                columns=(
                    Column("opportunity_id", "text", unique=True),
                    Column("account_id", "text", references="accounts.account_id"),
                    Column("rep_id", "text", references="reps.rep_id"),
                    Column("product", "text"),
                    Column("stage", "text"),
                    Column(
                        "amount",
                        "number",
                        **_AMOUNT,
                        hint="give the amount the deal would book; mark a lost opportunity "
                        "with status 'lost' rather than zeroing it",
                    ),
                    Column("probability", "number", **_PROBABILITY),
                    Column("created_date", "date"),
                    Column(
                        "expected_close_date",
                        "date",
                        not_before="created_date",
                        hint="an opportunity cannot close before it was created; "
                        "correct one of the two dates",
                    ),
                    _opt(
                        "status",
                        "text",
                        choices=STATUSES,
                        hint="leave it empty for an open opportunity",
                    ),
                    _opt(
                        "closed_date",
                        "date",
                        not_before="created_date",
                        hint="an opportunity cannot be won or lost before it was created; "
                        "correct one of the two dates",
                    ),
                    _opt(
                        "deal_id",
                        "text",
                        unique=True,
                        references="bookings.deal_id",
                        hint="a won opportunity became one booking, and a booking comes "
                        "from one opportunity",
                    ),
                ),
            ),
            Table(
                "stage_history",
                required=False,
                columns=(
                    Column("opportunity_id", "text", references="pipeline.opportunity_id"),
                    Column("date", "date"),
                    Column("stage", "text"),
                    _opt(
                        "amount",
                        "number",
                        **_AMOUNT,
                        hint="leave the cell empty when the amount was not recorded that day",
                    ),
                    _opt("expected_close_date", "date"),
                    _opt("probability", "number", **_PROBABILITY),
                ),
            ),
            Table(
                "units",
                required=False,
                columns=(
                    Column("unit_id", "text", unique=True),
                    Column("name", "text"),
                    Column("state", "text"),
                    Column("lat", "number", **_LAT),
                    Column("lon", "number", **_LON),
                    Column(
                        "labor_force",
                        "number",
                        ge=0.0,
                        largest=MAX_PEOPLE,
                        largest_why="more people than live on Earth",
                    ),
                ),
            ),
        )
    }
)
"""The tables of a book and the rules of their columns (docs/data-format.md)."""


# --------------------------------------------------------------------------- raw tables


@dataclass
class _Raw:
    """A table as read, before conversion: cells plus where each row came from."""

    table: Table
    file: str  # shown in messages
    frame: pd.DataFrame  # RangeIndex; CSV cells are strings, "" when empty
    rows: np.ndarray  # row number shown for each frame row
    origin: Literal["csv", "parquet", "frame"]
    #: The header a column had in the file read, where it differs from the schema's
    #: name (a CRM export read through a mapping: ``date`` was "Close Date").
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def shown(self, column: str) -> str:
        """The column's name as the file read calls it."""
        return self.aliases.get(column, column)

    def note(self, row: int) -> str:
        """How to read a row number that is not a CSV line number."""
        if self.origin == "parquet":
            return f" (row {row} of the Parquet file, counting from 1)"
        if self.origin == "frame":
            return f" (row {row} of the {self.table.name} frame, counting from 1)"
        return ""


# --------------------------------------------------------------------------- readers

#: Separators other than the comma that spreadsheet exports use (Excel writes the list
#: separator of the computer's region settings: ';' where the decimal mark is ',').
_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _split_line(line: str) -> list[str]:
    """One line split by commas as a CSV reader would (quotes respected)."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:  # a cell beyond the csv module's size limit: no header anyway
        return line.split(",")


def _other_separator(line: str, table: Table) -> str | None:
    """The separator line 1 of a CSV file seems to use instead of commas, or None.

    Split by commas, ``line`` names no column of ``table``, and either is one cell
    holding a separator of :data:`_SEPARATORS`, or names columns of ``table`` once
    split by that separator ('rep_id;name, full;region').
    """
    cells = [c.strip() for c in _split_line(line)]
    if set(cells) & set(table.names):
        return None
    counts = {sep: line.count(sep) for sep in _SEPARATORS}
    sep = max(counts, key=lambda k: counts[k])
    if counts[sep] == 0:
        return None
    if len(cells) == 1 or {c.strip().strip('"') for c in line.split(sep)} & set(table.names):
        return sep
    return None


def _separator_message(line: str, sep: str, fix: str) -> str:
    """Line 1 does not split by commas: show it, name the separator, say the fix."""
    shown = line if len(line) <= 60 else line[:57] + "..."
    reads = (
        f"reads as one column {shown!r}"
        if len(_split_line(line)) == 1
        else f"is not split by commas ({shown!r})"
    )
    return (
        f"line 1 {reads}: the file seems separated by {sep!r} ({_SEPARATORS[sep]}), "
        f"not commas; {fix}"
    )


def _read_csv(path: Path, table: Table) -> _Raw:
    """Read every cell as text; rows carry their line number (header = line 1)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror}).", file=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be "
            f"decoded. Save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8).",
            file=path,
            row=line,
        ) from None
    required = ", ".join(c.name for c in table.columns if c.required)
    if not text.strip():
        raise DataError(
            f"the file is empty. Line 1 must be the header naming the columns ({required}), "
            f"then one line per row.",
            file=path,
        )
    line1 = text.split("\n", 1)[0].rstrip("\r")
    sep = _other_separator(line1, table)
    if sep is not None:  # before the parser takes a comma in a cell for a ragged row
        raise DataError(
            _separator_message(
                line1,
                sep,
                f"save it as comma-separated CSV with '.' as the decimal mark (Excel uses "
                f"the list separator of the computer's region settings; LibreOffice asks "
                f"for the field delimiter), or as {table.name}.parquet.",
            ),
            file=path,
            row=1,
        )
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, saw = (int(g) for g in found.groups())
            raise DataError(
                f"this line has {saw} cells but the header has {want}. Quote cells that contain "
                f'commas ("Cook County, IL") or remove the extra commas.',
                file=path,
                row=line,
            ) from None
        raise DataError(f"not a readable CSV file ({str(exc).strip()}).", file=path) from None
    except (pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"not a readable CSV file ({str(exc).strip()}).", file=path) from None

    # Line numbers: row i of `cells` starts on line i + 1, plus the newlines inside
    # quoted cells of the rows before it.
    lines = np.arange(1, len(cells) + 1)
    if '"' in text:
        newlines = sum(cells[c].str.count("\n").to_numpy() for c in cells.columns)
        lines = lines + np.concatenate([[0], np.cumsum(newlines)[:-1]])
    header = [str(v).strip() for v in cells.iloc[0]]
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = pd.RangeIndex(len(header))
    keep_cols = []
    for j, name in enumerate(header):
        if name == "":
            if (body[j].str.strip() == "").all():
                continue  # a trailing comma in the header and empty cells: nothing there
            raise DataError(
                f"column {j + 1} has no name in the header but holds values; name it or delete it.",
                file=path,
                row=1,
            )
        if name in header[:j]:
            raise DataError(
                f"the header names column '{name}' twice (columns {header.index(name) + 1} and "
                f"{j + 1}); keep one of them or rename the other.",
                file=path,
                row=1,
                column=name,
            )
        keep_cols.append(j)
    body = body[keep_cols]
    body.columns = [header[j] for j in keep_cols]
    blank = (body.apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy(dtype=bool)
    rows = lines[1:][~blank]
    body = body.loc[~blank].reset_index(drop=True)
    return _Raw(table, str(path), body, rows, "csv")


def _from_frame(
    frame: pd.DataFrame, table: Table, file: str, origin: Literal["parquet", "frame"]
) -> _Raw:
    """A Parquet file's or caller's frame as a raw table; rows count from 1."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}.", file=file)
    named_index = any(n is not None for n in frame.index.names)
    frame = frame.reset_index(drop=not named_index)
    frame.columns = [str(c).strip() for c in frame.columns]
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise DataError(
            f"column '{dup[0]}' appears twice; keep one of them or rename the other.",
            file=file,
            column=str(dup[0]),
        )
    return _Raw(table, file, frame, np.arange(1, len(frame) + 1), origin)


def _read_parquet(path: Path, table: Table) -> _Raw:
    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, TypeError) as exc:  # ArrowInvalid is a ValueError
        raise DataError(
            f"not a readable Parquet file ({type(exc).__name__}: {str(exc).strip()}). "
            f"Write it again (DataFrame.to_parquet) or provide {table.name}.csv instead.",
            file=path,
        ) from None
    return _from_frame(frame, table, str(path), "parquet")


def _find_tables(folder: Path) -> dict[str, Path]:
    """The file of each table in ``folder``; refuses ambiguity and missing required tables."""
    try:
        listing = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise DataError(f"cannot list the book folder ({exc.strerror}).", file=folder) from None
    found: dict[str, Path] = {}
    for table in SCHEMA.values():
        csv, parquet = folder / f"{table.name}.csv", folder / f"{table.name}.parquet"
        if csv.is_file() and parquet.is_file():
            raise DataError(
                f"both {csv.name} and {parquet.name} exist, and the loader will not guess which is "
                f"current. Delete or move one of them.",
                file=folder,
            )
        if csv.is_file() or parquet.is_file():
            found[table.name] = csv if csv.is_file() else parquet
        elif table.required:
            has = ", ".join(listing) if listing else "nothing"
            same_stem = [f for f in listing if Path(f).stem == table.name]
            if same_stem:
                fix = f" Save {same_stem[0]} as {csv.name} (CSV UTF-8) or {parquet.name}."
            else:
                close = difflib.get_close_matches(
                    table.name, [Path(f).stem for f in listing], n=1, cutoff=0.6
                )
                fix = (
                    f" Did you mean '{[f for f in listing if Path(f).stem == close[0]][0]}'? "
                    f"Rename it to {csv.name}."
                    if close
                    else ""
                )
            raise DataError(
                f"required table '{table.name}' not found: expected {csv.name} or {parquet.name}. "
                f"The folder has: {has}.{fix}",
                file=folder,
            )
    return found


# --------------------------------------------------------------------------- metadata

_META_KEYS = ("name", "currency", "snapshot_date", "opportunities_from", "description", "source")


def _blank(path: Path) -> bool:
    """A ``book.yaml`` with nothing in it but blank lines and comments (the defaults)."""
    try:
        if path.stat().st_size > 4096:
            return False
        lines = path.read_bytes().decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False  # read_yaml says why
    return all(not line.strip() or line.lstrip().startswith("#") for line in lines)


def _read_yaml_located(path: Path) -> dict[str, Any]:
    """``book.yaml`` read within the bounds every YAML file is read with (size, depth,
    aliases, a key given twice: :func:`spm_sim._spec.read_yaml`), errors located in it."""
    try:
        return read_yaml(path, error=DataError)
    except DataError as exc:
        text, prefix = str(exc), f"{path}: "
        detail = text[len(prefix) :] if text.startswith(prefix) else text
        if detail.startswith("expected a mapping"):
            kind = detail.split(", got ")[-1]
            detail = f"expected 'key: value' lines at the top level, got {kind}"
        raise DataError(detail, file=path) from None


def _read_meta(folder: Path) -> dict[str, Any]:
    """``book.yaml`` as keyword arguments of :class:`Book` (defaults when absent)."""
    meta: dict[str, Any] = {
        "name": folder.resolve().name,
        "currency": "USD",
        "snapshot_date": None,
        "opportunities_from": None,
        "description": "",
        "source": "",
        "meta": MappingProxyType({}),
    }
    path = folder / "book.yaml"
    if not path.is_file():
        return meta
    data = {} if _blank(path) else _read_yaml_located(path)
    for key in data:
        if str(key) not in _META_KEYS and suggest(str(key), _META_KEYS):
            raise DataError(
                f"unknown key '{key}'.{suggest(str(key), _META_KEYS)} Known keys: "
                f"{', '.join(_META_KEYS)}.",
                file=path,
                column=str(key),
                value=key,
            )
    for key in ("name", "description", "source"):
        if key in data and data[key] is not None:
            meta[key] = str(data[key]).strip()
    currency = data.get("currency", "USD")
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        raise DataError(
            f"currency {currency!r} is not an ISO 4217 code; write three capital "
            f"letters such as USD or EUR.",
            file=path,
            column="currency",
            value=currency,
        )
    meta["currency"] = currency
    for key in ("snapshot_date", "opportunities_from"):
        day = data.get(key)
        if day is None:
            continue
        if isinstance(day, _dt.date):
            day = day.strftime("%Y-%m-%d")
        stamp = pd.to_datetime(str(day), format="%Y-%m-%d", errors="coerce")
        if pd.isna(stamp):
            raise DataError(
                f"{key} {day!r} is not a date in the format YYYY-MM-DD (for example 2024-12-31).",
                file=path,
                column=key,
                value=day,
            )
        meta[key] = pd.Timestamp(stamp)
    meta["meta"] = MappingProxyType(dict(data))
    return meta
