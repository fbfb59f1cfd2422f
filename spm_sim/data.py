"""The book: load the sales tables spm_sim plans with, and check every rule.

A *book* is a folder of tables (``reps``, ``accounts``, ``bookings`` and the
optional ``pipeline`` and ``units``), each a CSV or a Parquet file, plus an
optional ``book.yaml``; ``docs/data-format.md`` is the contract. The rules live
in one declarative :data:`SCHEMA` and one loop applies them, so every table is
checked the same way and every broken rule raises :class:`DataError` naming the
file, the row, the column, the value and the fix.

The checks run in this order, and the first one that fails is raised, with the
first offending row in file order and the count of the other rows that break
the same rule:

1. the folder, then each table's file (present, one format, readable, a header);
2. per table, in the order of :data:`SCHEMA`: the columns, then per column the
   type of every cell, empty cells, finiteness, bounds and uniqueness; then the
   date order rules (``term_date`` not before ``hire_date`` ...);
3. the references between tables (a booking's ``rep_id`` is a rep ...).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from ._validation import DataError, suggest

__all__ = ["Book", "load_book", "load_sample", "DataError", "SCHEMA"]

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
    not_before : str, optional
        A date column of the same table this date must not precede.
    references : str, optional
        ``"table.column"`` every non-empty value must appear in (checked when that
        table is in the book).
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
    not_before: str | None = None
    references: str | None = None
    rule: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Table:
    """A table of the book: its name, whether the book needs it, its columns."""

    name: str
    required: bool
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in schema order."""
        return tuple(c.name for c in self.columns)


def _opt(name: str, kind: Kind, **rules: Any) -> Column:
    """An optional column whose cells may be empty."""
    return Column(name, kind, required=False, nullable=True, **rules)


_LAT = {
    "ge": -90.0,
    "le": 90.0,
    "rule": "latitude must be in [-90, 90]",
    "hint": "check that latitude and longitude are not swapped",
}
_LON = {
    "ge": -180.0,
    "le": 180.0,
    "rule": "longitude must be in [-180, 180]",
    "hint": "check that latitude and longitude are not swapped",
}
_AMOUNT = {
    "gt": 0.0,
    "rule": "amounts must be > 0",
    "hint": "record a cancellation as its own field, not a negative deal",
}
_MONEY = {"ge": 0.0}

SCHEMA: Mapping[str, Table] = MappingProxyType(
    {
        t.name: t
        for t in (
            Table(
                "reps",
                required=True,
                columns=(
                    Column("rep_id", "text", unique=True),
                    Column("name", "text"),
                    Column("region", "text"),
                    Column("role", "text"),
                    _opt("home_unit", "text", references="units.unit_id"),
                    _opt("home_name", "text"),
                    _opt("home_lat", "number", **_LAT),
                    _opt("home_lon", "number", **_LON),
                    Column("hire_date", "date"),
                    _opt(
                        "term_date",
                        "date",
                        not_before="hire_date",
                        hint="a rep cannot leave before being hired; correct one of the two dates",
                    ),
                    Column("base_salary", "number", **_MONEY),
                    Column("target_incentive", "number", **_MONEY),
                ),
            ),
            Table(
                "accounts",
                required=True,
                columns=(
                    Column("account_id", "text", unique=True),
                    Column("name", "text"),
                    _opt("unit_id", "text", references="units.unit_id"),
                    _opt("state", "text"),
                    Column("lat", "number", **_LAT),
                    Column("lon", "number", **_LON),
                    Column("segment", "text"),
                    Column("industry", "text"),
                    Column("potential", "number", **_MONEY),
                    Column("workload", "number", **_MONEY),
                    _opt("rep_id", "text", references="reps.rep_id"),
                ),
            ),
            Table(
                "bookings",
                required=True,
                columns=(
                    Column("deal_id", "text", unique=True),
                    Column("date", "date"),
                    Column("account_id", "text", references="accounts.account_id"),
                    Column("rep_id", "text", references="reps.rep_id"),
                    Column("amount", "number", **_AMOUNT),
                    Column("product", "text"),
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
                    Column("amount", "number", **_AMOUNT),
                    Column(
                        "probability",
                        "number",
                        ge=0.0,
                        le=1.0,
                        rule="probability must be in [0, 1]",
                        hint="write 70% as 0.7",
                    ),
                    Column("created_date", "date"),
                    Column(
                        "expected_close_date",
                        "date",
                        not_before="created_date",
                        hint="an opportunity cannot close before it was created; "
                        "correct one of the two dates",
                    ),
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
                    Column("labor_force", "number", **_MONEY),
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

    def note(self, row: int) -> str:
        """How to read a row number that is not a CSV line number."""
        if self.origin == "parquet":
            return f" (row {row} of the Parquet file, counting from 1)"
        if self.origin == "frame":
            return f" (row {row} of the {self.table.name} frame, counting from 1)"
        return ""


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
        column=column,
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
        _report(
            raw,
            col.name,
            missing,
            lambda i: (
                (
                    f"the cell is empty; every row needs a {col.name}. Fill in a number."
                    if empty[i]
                    else f"{shown.iloc[i]!r} is not a value; every row needs a {col.name}. "
                    f"Fill in a number."
                ),
                shown.iloc[i],
            ),
        )
    _report(
        raw,
        col.name,
        _bool(np.isinf(values)),
        lambda i: (
            f"{shown.iloc[i]!r} is not a finite number; write the actual {col.name}.",
            shown.iloc[i],
        ),
    )
    _check_bounds(col, values, raw)
    return values


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
        _report(
            raw,
            col.name,
            missing,
            lambda i: (
                (
                    f"the cell is empty; every row needs a {col.name}. "
                    f"Fill in a date as YYYY-MM-DD."
                    if empty[i]
                    else f"{shown.iloc[i]!r} is not a date; every row needs a {col.name}. "
                    f"Fill in a date as YYYY-MM-DD."
                ),
                shown.iloc[i],
            ),
        )
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
    if is_csv and len(present) == 1 and any(sep in present[0] for sep in (";", "\t", "|")):
        raise DataError(
            f"line 1 ({present[0]!r}) is not split by commas; save the file as comma-separated "
            f"CSV (in Excel: Save As > CSV UTF-8).",
            file=raw.file,
            row=1,
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


def _apply_schema(raw: _Raw) -> pd.DataFrame:
    """Convert and check one table; returns the typed frame (schema columns, then extras)."""
    _check_columns(raw)
    n, src = len(raw.frame), raw.frame
    typed: dict[str, pd.Series] = {}
    for col in raw.table.columns:
        if col.name not in src.columns:
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

            def describe(
                i: int,
                values: pd.Series = values,
                known: Any = known,
                target_col: str = target_col,
                target_file: str = target_file,
                empty_ok: str = empty_ok,
                col: Column = col,
            ) -> tuple[str, Any]:
                v = values.iloc[i]
                return (
                    f"{col.name} '{v}' matches no {target_col} in {target_file}."
                    f"{suggest(v, known)} Correct the id{empty_ok}, or add the missing "
                    f"row to {target_file}.",
                    v,
                )

            _report(raw, col.name, mask, describe)


def _validate(raws: Mapping[str, _Raw]) -> dict[str, pd.DataFrame]:
    frames = {name: _apply_schema(raw) for name, raw in raws.items()}
    _check_references(raws, frames)
    return frames


def _empty_table(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: _missing_column(c.kind, 0) for c in table.columns})


# --------------------------------------------------------------------------- readers


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

_META_KEYS = ("name", "currency", "snapshot_date", "description", "source")


def _read_meta(folder: Path) -> dict[str, Any]:
    """``book.yaml`` as keyword arguments of :class:`Book` (defaults when absent)."""
    meta: dict[str, Any] = {
        "name": folder.resolve().name,
        "currency": "USD",
        "snapshot_date": None,
        "description": "",
        "source": "",
        "meta": MappingProxyType({}),
    }
    path = folder / "book.yaml"
    if not path.is_file():
        return meta
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(
            f"not valid YAML: {problem}.", file=path, row=None if mark is None else mark.line + 1
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start}).", file=path) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise DataError(
            f"expected 'key: value' lines at the top level, got {type(data).__name__}.", file=path
        )
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
    snap = data.get("snapshot_date")
    if snap is not None:
        if isinstance(snap, _dt.date):
            snap = snap.strftime("%Y-%m-%d")
        stamp = pd.to_datetime(str(snap), format="%Y-%m-%d", errors="coerce")
        if pd.isna(stamp):
            raise DataError(
                f"snapshot_date {snap!r} is not a date in the format YYYY-MM-DD "
                f"(for example 2024-12-31).",
                file=path,
                column="snapshot_date",
                value=snap,
            )
        meta["snapshot_date"] = pd.Timestamp(stamp)
    meta["meta"] = MappingProxyType(dict(data))
    return meta


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True, eq=False, repr=False)
class Book:
    """The sales data a plan is designed on: typed, checked tables.

    Build one with :func:`load_book` (a folder of files), :func:`load_sample` or
    :meth:`Book.from_frames` (frames in memory); all three apply every rule of
    ``docs/data-format.md``. The frames are shared, not copied: treat them as
    read-only.

    Attributes
    ----------
    reps, accounts, bookings, pipeline : pandas.DataFrame
        One row per rep, account, closed deal, open opportunity. Columns of the
        schema come first, in :data:`SCHEMA` order (absent optional columns are
        added, all missing), then extra columns as read. Text is ``str`` dtype,
        numbers ``float64``, dates ``datetime64[us]``. ``pipeline`` is empty, with
        these columns, when the book has none.
    units : pandas.DataFrame or None
        Geographic units (counties), or None when the book has none.
    name : str
        From ``book.yaml``, else the folder name.
    currency : str
        ISO 4217 code of every amount (default ``'USD'``).
    snapshot_date : pandas.Timestamp or None
        When the pipeline was taken and history ends.
    path : pathlib.Path or None
        The folder read, None for a book built from frames.
    description, source : str
        Free text from ``book.yaml``.
    meta : Mapping
        Every key of ``book.yaml`` as read.

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.data import Book
    >>> book = Book.from_frames(
    ...     reps=pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "region": "East",
    ...         "role": "AE", "hire_date": ["2021-01-04", "2022-03-01"],
    ...         "term_date": [None, "2023-06-30"], "base_salary": 90000,
    ...         "target_incentive": 60000}),
    ...     accounts=pd.DataFrame({"account_id": ["A1"], "name": ["Acme"], "lat": 41.9,
    ...         "lon": -87.6, "segment": "SMB", "industry": "Retail", "potential": 5e5,
    ...         "workload": 40, "rep_id": ["R1"]}),
    ...     bookings=pd.DataFrame({"deal_id": ["D1", "D2", "D3"], "account_id": "A1",
    ...         "date": ["2022-11-15", "2023-01-10", "2023-01-20"], "rep_id": ["R2", "R1", "R1"],
    ...         "amount": [1000, 2500, 500], "product": "Core"}),
    ...     name="tiny")
    >>> book
    Book('tiny', USD: 2 reps, 1 accounts, 3 bookings, 0 pipeline, no units)
    >>> book.reps.dtypes[["rep_id", "hire_date", "base_salary"]]
    rep_id                    str
    hire_date      datetime64[us]
    base_salary           float64
    dtype: object
    >>> book.years
    (2022, 2023)
    >>> book.current_reps(on="2024-01-01")["rep_id"].tolist()
    ['R1']
    >>> book.bookings_by_rep_month()
      rep_id      month  amount  deals
    0     R1 2023-01-01  3000.0      2
    1     R2 2022-11-01  1000.0      1
    """

    reps: pd.DataFrame
    accounts: pd.DataFrame
    bookings: pd.DataFrame
    pipeline: pd.DataFrame
    units: pd.DataFrame | None = None
    name: str = "book"
    currency: str = "USD"
    snapshot_date: pd.Timestamp | None = None
    path: Path | None = None
    description: str = ""
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __repr__(self) -> str:
        units = "no units" if self.units is None else f"{len(self.units)} units"
        snap = "" if self.snapshot_date is None else f", snapshot {self.snapshot_date:%Y-%m-%d}"
        return (
            f"Book({self.name!r}, {self.currency}{snap}: {len(self.reps)} reps, "
            f"{len(self.accounts)} accounts, {len(self.bookings)} bookings, "
            f"{len(self.pipeline)} pipeline, {units})"
        )

    @classmethod
    def from_frames(
        cls,
        reps: pd.DataFrame,
        accounts: pd.DataFrame,
        bookings: pd.DataFrame,
        pipeline: pd.DataFrame | None = None,
        units: pd.DataFrame | None = None,
        *,
        name: str = "book",
        currency: str = "USD",
        snapshot_date: Any = None,
    ) -> Book:
        """Check frames held in memory against the schema and build a book.

        Cells may be text (converted as a CSV would be) or already typed. Rows in
        error messages count each frame's rows from 1.

        Parameters
        ----------
        reps, accounts, bookings : pandas.DataFrame
            The required tables.
        pipeline, units : pandas.DataFrame, optional
            The optional tables.
        name, currency : str
            Book metadata (currency: ISO 4217, default ``'USD'``).
        snapshot_date : date-like, optional
            When the pipeline was taken.

        Returns
        -------
        Book

        Raises
        ------
        DataError
            If a frame breaks a rule of ``docs/data-format.md``.

        Examples
        --------
        >>> import pandas as pd
        >>> from spm_sim.data import Book
        >>> reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "region": "East",
        ...     "role": "AE", "hire_date": "2021-01-04", "base_salary": 9e4,
        ...     "target_incentive": 6e4})
        >>> accounts = pd.DataFrame({"account_id": ["A1"], "name": ["Acme"], "lat": 41.9,
        ...     "lon": -87.6, "segment": "SMB", "industry": "Retail", "potential": 5e5,
        ...     "workload": 40})
        >>> bookings = pd.DataFrame({"deal_id": ["D1"], "date": "2023-01-10",
        ...     "account_id": "A9", "rep_id": "R1", "amount": 100.0, "product": "Core"})
        >>> Book.from_frames(reps, accounts, bookings)
        Traceback (most recent call last):
        ...
        spm_sim._validation.DataError: bookings frame, row 1, column 'account_id': ...'A9'...
        """
        given = {
            "reps": reps,
            "accounts": accounts,
            "bookings": bookings,
            "pipeline": pipeline,
            "units": units,
        }
        raws = {
            t: _from_frame(f, SCHEMA[t], f"{t} frame", "frame")
            for t, f in given.items()
            if f is not None
        }
        frames = _validate(raws)
        if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            raise DataError(
                f"currency {currency!r} is not an ISO 4217 code; write three capital "
                f"letters such as USD or EUR.",
                column="currency",
                value=currency,
            )
        snap = None if snapshot_date is None else pd.Timestamp(snapshot_date)
        return cls._build(frames, name=name, currency=currency, snapshot_date=snap)

    @classmethod
    def _build(cls, frames: Mapping[str, pd.DataFrame], **meta: Any) -> Book:
        return cls(
            reps=frames["reps"],
            accounts=frames["accounts"],
            bookings=frames["bookings"],
            pipeline=frames.get("pipeline", _empty_table(SCHEMA["pipeline"])),
            units=frames.get("units"),
            **meta,
        )

    @property
    def years(self) -> tuple[int, ...]:
        """The calendar years in the bookings history, ascending.

        Examples
        --------
        >>> from spm_sim.data import load_sample
        >>> load_sample().years  # doctest: +SKIP
        (2021, 2022, 2023, 2024)
        """
        return tuple(int(y) for y in np.unique(self.bookings["date"].dt.year.dropna()))

    def current_reps(self, on: Any = None) -> pd.DataFrame:
        """The reps employed on a date.

        A rep is employed on day ``on`` when ``hire_date <= on`` and ``term_date``
        is empty or ``term_date >= on`` (the term date is the last day worked).

        Parameters
        ----------
        on : date-like, optional
            The day. Default: :attr:`snapshot_date`, else the last booking date.

        Returns
        -------
        pandas.DataFrame
            The rows of :attr:`reps` for those reps, in file order, renumbered
            from 0.

        Examples
        --------
        >>> from spm_sim.data import load_sample
        >>> load_sample().current_reps("2024-01-01")  # doctest: +SKIP
        """
        if on is None:
            on = self.snapshot_date
        if on is None:
            if self.bookings.empty:
                raise ValueError(
                    f"book {self.name!r} has no snapshot_date and no bookings; "
                    f"pass the day as current_reps(on='YYYY-MM-DD')."
                )
            on = self.bookings["date"].max()
        day = pd.Timestamp(on)
        reps = self.reps
        employed = (reps["hire_date"] <= day) & (
            reps["term_date"].isna() | (reps["term_date"] >= day)
        )
        return reps.loc[_bool(employed)].reset_index(drop=True)

    def bookings_by_rep_month(self, *, wide: bool = False) -> pd.DataFrame:
        """Bookings summed per rep and calendar month.

        Parameters
        ----------
        wide : bool, default False
            False: a tidy frame with one row per rep and month that has bookings,
            columns ``rep_id``, ``month`` (first day, datetime64), ``amount``
            (sum, in :attr:`currency`) and ``deals`` (count), sorted by rep and
            month. True: a rep x month table of amounts, one row per rep of
            :attr:`reps` (file order), one column per month from the first to
            the last month with bookings, 0.0 where nothing was booked.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from spm_sim.data import load_sample
        >>> load_sample().bookings_by_rep_month(wide=True)  # doctest: +SKIP
        """
        b = self.bookings
        month = b["date"].dt.to_period("M").dt.to_timestamp().astype(DATE_DTYPE)
        tidy = (
            pd.DataFrame({"rep_id": b["rep_id"], "month": month, "amount": b["amount"]})
            .groupby(["rep_id", "month"], sort=True)
            .agg(amount=("amount", "sum"), deals=("amount", "size"))
            .reset_index()
        )
        tidy["deals"] = tidy["deals"].astype("int64")
        if not wide:
            return tidy
        months = (
            pd.date_range(tidy["month"].min(), tidy["month"].max(), freq="MS").astype(DATE_DTYPE)
            if len(tidy)
            else pd.DatetimeIndex([], dtype=DATE_DTYPE)
        )
        table = tidy.pivot(index="rep_id", columns="month", values="amount")
        table = table.reindex(
            index=pd.Index(self.reps["rep_id"], name="rep_id"),
            columns=pd.Index(months, name="month"),
        )
        return table.fillna(0.0)


# --------------------------------------------------------------------------- entry points


def load_book(path: str | Path) -> Book:
    """Read and check a book: a folder of CSV or Parquet tables.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder holding ``reps``, ``accounts`` and ``bookings`` (required),
        ``pipeline`` and ``units`` (optional), each as ``<table>.csv`` or
        ``<table>.parquet``, and an optional ``book.yaml``.

    Returns
    -------
    Book

    Raises
    ------
    DataError
        If the folder or a table is missing or unreadable, or a cell breaks a
        rule of ``docs/data-format.md``. The message names the file, the row
        (CSV: the line number, header = line 1; Parquet: the row counted from 1),
        the column, the value and the fix, and how many more rows break the
        same rule.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spm_sim.data import load_book
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "reps.csv").write_text(
    ...     "rep_id,name,region,role,hire_date,base_salary,target_incentive\\n"
    ...     "R1,Ann,East,AE,2021-01-04,90000,60000\\n")
    >>> _ = (folder / "accounts.csv").write_text(
    ...     "account_id,name,lat,lon,segment,industry,potential,workload,rep_id\\n"
    ...     "A1,Acme,41.9,-87.6,SMB,Retail,500000,40,R1\\n")
    >>> _ = (folder / "bookings.csv").write_text(
    ...     "deal_id,date,account_id,rep_id,amount,product\\n"
    ...     "D1,2023-01-10,A1,R1,2500,Core\\n"
    ...     "D2,2023-02-10,A1,R1,\\"12,000\\",Core\\n")
    >>> load_book(folder)
    Traceback (most recent call last):
    ...
    spm_sim._validation.DataError: .../bookings.csv, row 3, column 'amount': '12,000' is not a...
    >>> _ = (folder / "bookings.csv").write_text(
    ...     "deal_id,date,account_id,rep_id,amount,product\\n"
    ...     "D1,2023-01-10,A1,R1,2500,Core\\n")
    >>> book = load_book(folder)
    >>> book.bookings[["deal_id", "date", "amount"]]
      deal_id       date  amount
    0      D1 2023-01-10  2500.0
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError(
            f"book folder not found. Check the path (relative paths start at {Path.cwd()}).",
            file=folder,
        )
    if not folder.is_dir():
        raise DataError(
            "is a file, not a folder; pass the folder that holds reps, accounts and bookings.",
            file=folder,
        )
    meta = _read_meta(folder)
    files = _find_tables(folder)
    raws = {
        name: (
            _read_parquet(p, SCHEMA[name]) if p.suffix == ".parquet" else _read_csv(p, SCHEMA[name])
        )
        for name, p in files.items()
    }
    return Book._build(_validate(raws), path=folder, **meta)


_SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


def load_sample() -> Book:
    """Load the sample book shipped in the source repository's ``data/sample``.

    Returns
    -------
    Book

    Raises
    ------
    DataError
        If ``data/sample`` is not there (an installed package has no sample).

    Examples
    --------
    >>> from spm_sim.data import load_sample
    >>> load_sample()  # doctest: +SKIP
    Book('sample', USD, ...)
    """
    if not _SAMPLE_DIR.is_dir():
        raise DataError(
            "the sample book is not here. It ships with the source repository (data/sample/), "
            "not with the installed package: clone the repository, or pass the folder of a book "
            "to load_book(path).",
            file=_SAMPLE_DIR,
        )
    return load_book(_SAMPLE_DIR)
