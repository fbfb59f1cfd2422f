"""Writing a book as a book folder (internal: the public face is :mod:`spm_sim.book`).

:func:`save_book` writes every table of a :class:`~spm_sim.book.Book` as a CSV file
and its metadata as ``book.yaml``, so that :func:`~spm_sim.book.load_book` reads the
folder back into equal frames. Dates are written ``YYYY-MM-DD``; a number that is a
whole number is written without a decimal point (``233300``, not ``233300.0``), any
other as the shortest text that reads back as the same float (``5732.16``,
``-86.6285``), so no float noise reaches the files. Optional columns that are empty
in every row are left out (the loader adds them back, empty). Each file goes through
:mod:`spm_sim._files`: written whole or not at all, text cells a spreadsheet would run
as a formula written with a leading apostrophe. That apostrophe is part of the file, so
such a cell reads back with it (``-Dash Co`` comes back as ``'-Dash Co``): the one
difference a round trip makes, and one :func:`~spm_sim.book.load_book` warned about
when it read the original.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from spm_sim._files import atomic_path, make_folder, safe_cells, write_text
from spm_sim.errors import DataError

from .schema import SCHEMA, Table

if TYPE_CHECKING:
    from .load import Book

#: The book.yaml keys written, in this order.
_META_ORDER = ("name", "currency", "snapshot_date", "opportunities_from", "description", "source")


def _number_cells(values: pd.Series) -> pd.Series:
    """Floats as text: whole ones without ``.0``, others as the shortest text that
    reads back as the same float, missing as ``""``."""
    out: list[str] = []
    for v in values.to_numpy(dtype="float64"):
        if np.isnan(v):
            out.append("")
        elif v.is_integer() and abs(v) < 1e15:
            out.append(str(int(v)))
        else:
            out.append(repr(float(v)))
    return pd.Series(out, index=values.index, dtype=object)


def _date_cells(values: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text, missing as ``""``."""
    return values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), "")


def _table_cells(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame as the text cells of its CSV file, in its column order.

    Numbers and dates are formatted here (a negative number stays a number: it is
    not escaped); text and extra columns go through :func:`spm_sim._files.safe_cells`.
    An optional column of the schema that is empty in every row is left out.
    """
    kinds = {c.name: c for c in table.columns}
    cells: dict[str, pd.Series] = {}
    for name in map(str, frame.columns):
        values = frame[name]
        col = kinds.get(name)
        if col is not None and not col.required and values.isna().all():
            continue
        if col is not None and col.kind == "number":
            cells[name] = _number_cells(values)
        elif col is not None and col.kind == "date":
            cells[name] = _date_cells(values)
        else:
            text = safe_cells(values.astype(object).where(values.notna(), "").to_frame())
            cells[str(text.columns[0])] = text.iloc[:, 0]
    return pd.DataFrame(cells, index=frame.index)


def _write_table(cells: pd.DataFrame, path: Path) -> None:
    """Cells already text and escaped, written whole or not at all."""
    with atomic_path(path) as tmp:
        cells.to_csv(tmp, index=False)


def _meta_text(book: Book) -> str:
    """``book.yaml``: name, currency, snapshot date, description and source."""
    data: dict[str, Any] = {
        "name": book.name,
        "currency": book.currency,
        "snapshot_date": (
            None if book.snapshot_date is None else f"{pd.Timestamp(book.snapshot_date):%Y-%m-%d}"
        ),
        "opportunities_from": (
            None
            if book.opportunities_from is None
            else f"{pd.Timestamp(book.opportunities_from):%Y-%m-%d}"
        ),
        "description": book.description,
        "source": book.source,
    }
    data = {k: data[k] for k in _META_ORDER if data[k] not in (None, "")}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def _tables_of(book: Book) -> dict[str, pd.DataFrame]:
    """The tables to write: the required ones always, optional ones with rows."""
    out: dict[str, pd.DataFrame] = {}
    for name, table in SCHEMA.items():
        frame = getattr(book, name, None)
        if frame is None:
            continue
        if table.required or len(frame) or name == "units":
            out[name] = frame
    return out


def save_book(book: Book, folder: str | Path, *, force: bool = False) -> Path:
    """Write a book as a book folder that :func:`load_book` reads back equal.

    Every table is written as ``<table>.csv`` (``reps``, ``accounts`` and ``bookings``
    always; ``pipeline`` and ``stage_history`` when they have rows; ``units`` when the
    book has them), with the schema's columns first and extra columns after, and the
    metadata as ``book.yaml`` (``name``, ``currency``, ``snapshot_date``,
    ``description``, ``source``). Dates are ``YYYY-MM-DD``; whole numbers are
    written without a decimal point and other numbers as the shortest text that
    reads back as the same value. Optional columns empty in every row are left out.
    Each file is written whole or not at all; a text cell beginning like a
    spreadsheet formula (``=``, ``+``, ``-``, ``@``) gets a leading apostrophe, which
    stays in the file and so in the text read back (``-Dash Co`` reads back as
    ``'-Dash Co``; :func:`load_book` warns about such cells when it reads them): the
    frames read back equal except for those cells.

    Parameters
    ----------
    book : Book
        The book to write.
    folder : str or pathlib.Path
        The folder to write into; created with its parents when missing.
    force : bool, default False
        Write into a folder that already holds files. The book's own files there
        (any ``<table>.csv`` or ``<table>.parquet`` and ``book.yaml``) are replaced
        or removed, so the folder holds exactly this book; other files are left.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    DataError
        If ``folder`` is not empty and ``force`` is False, or is a file.
    OSError
        (:class:`spm_sim._files.WriteError`) If a file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas.testing as pdt
    >>> from spm_sim.book import load_book, load_sample, save_book
    >>> book = load_sample()
    >>> folder = save_book(book, pathlib.Path(tempfile.mkdtemp()) / "copy")
    >>> sorted(p.name for p in folder.iterdir())
    ['accounts.csv', 'book.yaml', 'bookings.csv', 'pipeline.csv', 'reps.csv',
     'stage_history.csv', 'units.csv']
    >>> pdt.assert_frame_equal(load_book(folder).bookings, book.bookings)
    >>> save_book(book, folder)
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: .../copy: the folder is not empty ...
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise DataError(
            "is a file, not a folder; give the folder to write the book into.", file=target
        )
    if target.is_dir() and not force:
        present = sorted(p.name for p in target.iterdir() if not p.name.startswith("."))
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise DataError(
                f"the folder is not empty (it has {shown}); writing the book there would "
                f"mix its files with these. Choose a new or empty folder, or pass "
                f"force=True (--force on the command line) to replace the book's files.",
                file=target,
            )
    make_folder(target)
    tables = _tables_of(book)
    if force:  # leave no file of an earlier book that load_book would also read
        for name in SCHEMA:
            for suffix in (".csv", ".parquet"):
                old = target / f"{name}{suffix}"
                if old.is_file() and not (suffix == ".csv" and name in tables):
                    old.unlink()
    for name, frame in tables.items():
        _write_table(_table_cells(frame, SCHEMA[name]), target / f"{name}.csv")
    write_text(target / "book.yaml", _meta_text(book))
    return target
