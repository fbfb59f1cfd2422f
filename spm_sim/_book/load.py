"""The book: load the sales tables spm_sim plans with, and check every rule.

A *book* is a folder of tables (``reps``, ``accounts``, ``bookings`` and the
optional ``pipeline``, ``stage_history`` and ``units``), each a CSV or a Parquet file, plus an
optional ``book.yaml``; ``docs/data-format.md`` is the contract. The rules live
in one declarative :data:`SCHEMA` and one loop applies them, so every table is
checked the same way and every broken rule raises :class:`DataError` naming the
file, the row, the column, the value and the fix. This module holds :class:`Book`
and the entry points; the schema and the readers live in
``_book/schema.py``, the checks in ``_book/checks.py``; :mod:`spm_sim.book` is the
public face.

The checks run in this order, and the first one that fails is raised, with the
first offending row in file order and the count of the other rows that break
the same rule:

1. the folder, then each table's file (present, one format, readable, split by
   commas, a header);
2. per table, in the order of :data:`SCHEMA`: the columns, then at least one row
   for the tables a book cannot work without (``reps``, ``accounts``), then per column the
   type of every cell, empty cells, finiteness, magnitude, bounds and uniqueness; then the
   date order rules (``term_date`` not before ``hire_date`` ...);
3. the references between tables (a booking's ``rep_id`` is a rep ...);
4. the dates: none before any plausible history, no history after the snapshot;
5. the plausibility checks (``_book/plausible.py``): deals outside their rep's
   employment, values far from their column's median, deals dated apart from the
   rest of the history, ids and names that begin like a spreadsheet formula. These
   warn (:class:`~spm_sim.errors.PlausibilityWarning`) with the same located message
   an error has, and raise it as a :class:`DataError` under strict checks
   (``strict=True``, or inside :func:`~spm_sim.errors.strict_checks`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.errors import DataError

from .checks import _bool, _empty_table, _validate
from .schema import (
    DATE_DTYPE,
    SCHEMA,
    _find_tables,
    _from_frame,
    _read_csv,
    _read_meta,
    _read_parquet,
)

__all__ = ["Book", "SAMPLE_BOOK", "SAMPLE_DIR", "load_book", "load_book_ref", "load_sample"]

#: The book reference (in a scenario's ``book`` field or ``--book``) that names the
#: sample book shipped with the source repository.
SAMPLE_BOOK = "sample"


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
        One row per rep, account, closed deal, opportunity (open, won or lost:
        ``status`` is "open" where the file left it empty; :attr:`open_pipeline`
        holds the open ones). Columns of the schema come first, in :data:`SCHEMA`
        order (absent optional columns are added, all missing, except those a book
        may leave out altogether, :data:`OPTIONAL_FOR`: the accounts' ``lat``,
        ``lon``, ``segment``, ``industry``, ``potential`` and ``workload`` stay
        absent, and what needs them says so), then extra columns as read. Text is
        ``str`` dtype, numbers ``float64``, dates ``datetime64[us]``. ``pipeline``
        is empty, with these columns, when the book has none.
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
    stage_history : pandas.DataFrame
        One row per stage an opportunity entered (``opportunity_id``, ``date``,
        ``stage``, optional ``amount`` and ``expected_close_date``); empty, with
        these columns, when the book has none.
    opportunities_from : pandas.Timestamp or None
        From ``book.yaml``: the pipeline holds every opportunity won or lost on or
        after this day (and every open one), but not all of those closed before it.
        :func:`~spm_sim.book.as_of` warns for a day before its eve, and the pipeline
        fits leave out opportunities created before it. None: the history is whole.

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.book import Book
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
    stage_history: pd.DataFrame = field(
        default_factory=lambda: _empty_table(SCHEMA["stage_history"])
    )
    opportunities_from: pd.Timestamp | None = None

    def __repr__(self) -> str:
        units = "no units" if self.units is None else f"{len(self.units)} units"
        if len(self.stage_history):
            units = f"{len(self.stage_history)} stage history, {units}"
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
        stage_history: pd.DataFrame | None = None,
        name: str = "book",
        currency: str = "USD",
        snapshot_date: Any = None,
        strict: bool = False,
    ) -> Book:
        """Check frames held in memory against the schema and build a book.

        Cells may be text (converted as a CSV would be) or already typed. Rows in
        error messages count each frame's rows from 1.

        Parameters
        ----------
        reps, accounts, bookings : pandas.DataFrame
            The required tables.
        pipeline, units, stage_history : pandas.DataFrame, optional
            The optional tables.
        name, currency : str
            Book metadata (currency: ISO 4217, default ``'USD'``).
        snapshot_date : date-like, optional
            When the pipeline was taken.
        strict : bool, default False
            Raise the plausibility warnings as errors (as :func:`load_book` does).

        Returns
        -------
        Book

        Raises
        ------
        DataError
            If a frame breaks a rule of ``docs/data-format.md`` (or, with ``strict``,
            a plausibility check).

        Warns
        -----
        PlausibilityWarning
            For values that are possible but unlikely to be meant (see :func:`load_book`).

        Examples
        --------
        >>> import pandas as pd
        >>> from spm_sim.book import Book
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
        spm_sim.errors.DataError: bookings frame, row 1, column 'account_id': ...'A9'...
        """
        given = {
            "reps": reps,
            "accounts": accounts,
            "bookings": bookings,
            "pipeline": pipeline,
            "stage_history": stage_history,
            "units": units,
        }
        raws = {
            t: _from_frame(f, SCHEMA[t], f"{t} frame", "frame")
            for t, f in given.items()
            if f is not None
        }
        if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            raise DataError(
                f"currency {currency!r} is not an ISO 4217 code; write three capital "
                f"letters such as USD or EUR.",
                column="currency",
                value=currency,
            )
        snap = None if snapshot_date is None else pd.Timestamp(snapshot_date)
        frames = _validate(raws, snap, currency=currency, strict=strict)
        return cls._build(frames, name=name, currency=currency, snapshot_date=snap)

    @classmethod
    def _build(cls, frames: Mapping[str, pd.DataFrame], **meta: Any) -> Book:
        return cls(
            reps=frames["reps"],
            accounts=frames["accounts"],
            bookings=frames["bookings"],
            pipeline=frames.get("pipeline", _empty_table(SCHEMA["pipeline"])),
            stage_history=frames.get("stage_history", _empty_table(SCHEMA["stage_history"])),
            units=frames.get("units"),
            **meta,
        )

    @property
    def open_pipeline(self) -> pd.DataFrame:
        """The opportunities still open: the rows of :attr:`pipeline` whose status is "open".

        Renumbered from 0, in file order. A pipeline without a ``status`` column is
        all open.

        Examples
        --------
        >>> from spm_sim.book import load_sample
        >>> book = load_sample()
        >>> len(book.open_pipeline) <= len(book.pipeline)
        True
        >>> set(book.open_pipeline["status"])
        {'open'}
        """
        pipe = self.pipeline
        if "status" not in pipe.columns:
            return pipe.reset_index(drop=True)
        return pipe.loc[_bool(pipe["status"].fillna("open") == "open")].reset_index(drop=True)

    @property
    def years(self) -> tuple[int, ...]:
        """The calendar years in the bookings history, ascending.

        Examples
        --------
        >>> from spm_sim.book import load_sample
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

        Raises
        ------
        DataError
            Without ``on`` when the book has no snapshot date and no bookings.

        Examples
        --------
        >>> from spm_sim.book import load_sample
        >>> load_sample().current_reps("2024-01-01")  # doctest: +SKIP
        """
        if on is None:
            on = self.snapshot_date
        if on is None:
            if self.bookings.empty:
                raise DataError(
                    f"book {self.name!r} has no snapshot_date and no bookings, so no day to "
                    f"count its current reps on; give book.yaml a snapshot_date, or pass the "
                    f"day as current_reps(on='YYYY-MM-DD')."
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
        >>> from spm_sim.book import load_sample
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


def load_book(path: str | Path, *, strict: bool = False) -> Book:
    """Read and check a book: a folder of CSV or Parquet tables.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder holding ``reps``, ``accounts`` and ``bookings`` (required),
        ``pipeline``, ``stage_history`` and ``units`` (optional), each as ``<table>.csv`` or
        ``<table>.parquet``, and an optional ``book.yaml``.
    strict : bool, default False
        Raise each plausibility warning as a :class:`DataError` with the same
        message (also the case inside :func:`~spm_sim.errors.strict_checks`, which
        ``--strict`` and a scenario's ``strict: true`` turn on).

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
        same rule. With ``strict``, also for what would otherwise be a warning.

    Warns
    -----
    PlausibilityWarning
        Once per kind of unlikely value, naming the file, the first row, the
        column, the value, the count of rows and the first few: deals dated
        before their rep's ``hire_date`` or after the ``term_date``, values more
        than 1,000 times above or below their column's median, deals dated more
        than a year apart from the rest of the history, ids and names beginning
        with ``=``, ``+``, ``-`` or ``@`` (``docs/data-format.md``, "Plausibility").

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spm_sim.book import load_book
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
    spm_sim.errors.DataError: .../bookings.csv, row 3, column 'amount': '12,000' is not a...
    >>> _ = (folder / "bookings.csv").write_text(
    ...     "deal_id,date,account_id,rep_id,amount,product\\n"
    ...     "D1,2023-01-10,A1,R1,2500,Core\\n")
    >>> book = load_book(folder)
    >>> book.bookings[["deal_id", "date", "amount"]]
      deal_id       date  amount
    0      D1 2023-01-10  2500.0
    >>> _ = (folder / "bookings.csv").write_text(
    ...     "deal_id,date,account_id,rep_id,amount,product\\n"
    ...     "D1,2020-06-10,A1,R1,2500,Core\\n")
    >>> load_book(folder, strict=True)
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: ...bookings.csv, row 2, column 'date': 1 deal dated before...
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
    frames = _validate(raws, meta.get("snapshot_date"), currency=meta["currency"], strict=strict)
    return Book._build(frames, path=folder, **meta)


#: Folder of the sample book, in the source repository.
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def load_sample(*, strict: bool = False) -> Book:
    """Load the sample book shipped in the source repository's ``data/sample``.

    Parameters
    ----------
    strict : bool, default False
        As in :func:`load_book` (the sample book passes every plausibility check).

    Returns
    -------
    Book

    Raises
    ------
    DataError
        If ``data/sample`` is not there (an installed package has no sample).

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> load_sample()  # doctest: +SKIP
    Book('sample', USD, ...)
    """
    if not SAMPLE_DIR.is_dir():
        raise DataError(
            "the sample book is not here. It ships with the source repository (data/sample/), "
            "not with the installed package: clone the repository, or pass the folder of a book "
            "to load_book(path).",
            file=SAMPLE_DIR,
        )
    return load_book(SAMPLE_DIR, strict=strict)


def load_book_ref(ref: str | Path, *, strict: bool = False) -> Book:
    """The book a reference names: ``"sample"`` (:data:`SAMPLE_BOOK`) or a folder path.

    ``strict`` raises plausibility warnings as errors, as in :func:`load_book`.

    Examples
    --------
    >>> load_book_ref("sample").source == load_sample().source
    True
    """
    if str(ref) == SAMPLE_BOOK:
        return load_sample(strict=strict)
    return load_book(ref, strict=strict)
