"""Fuzzing the book loader: the sample book with one cell, one line or one file broken.

Each example copies nothing: the sample book (thinned, :func:`small_sample`) is
written once to a folder, one file is changed in place, the book is loaded and the
file is put back. Whatever the
change, loading must end in one of three ways, within a few seconds: a Book, a
:class:`~spm_sim.errors.DataError` naming a file of the folder, or plausibility
warnings naming one. Never another exception (a pandas or numpy error, an
OverflowError, a RecursionError), and never a hang.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import signal
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm_sim.book import SAMPLE_DIR, Book, load_book
from spm_sim.errors import DataError, PlausibilityWarning, SpmSimError

TABLES = ("reps", "accounts", "bookings", "pipeline", "stage_history", "units")
#: seconds one load may take before it counts as a hang (the thin sample loads in ~0.03 s)
LIMIT = 10

#: cells a person or an export might write, besides random text and numbers
SPECIAL = [
    "",
    " ",
    "NA",
    "null",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e400",
    "0",
    "-0",
    "-1",
    "1e12",
    "1.0000001e12",
    "12,000",
    "$5",
    "9999-12-31",
    "0001-01-01",
    "1850-06-30",
    "2025-02-30",
    "31/12/2024",
    "2100-01-01",
    '=HYPERLINK("http://x")',
    "+1",
    "@SUM(A1)",
    "\t-2",
    '"',
    "a,b",
    "\n",
    "R001",
    "A00001",
    "\x00",
    "\ufeff",
]

values = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=24),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


def small_sample(folder: Path) -> None:
    """Write a thinner sample book into ``folder``: every 40th deal and 20th opportunity
    over the whole history (and the deals those opportunities were won as), their stage
    history, the accounts and units they need, every rep. It is still
    the sample (same reps, dates, amounts and ids) and loads in a few hundredths of a
    second, so many changes can be tried."""
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(SAMPLE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)

    reps, accounts, units = read("reps"), read("accounts"), read("units")
    pipeline = read("pipeline").iloc[::20]
    bookings = read("bookings")
    bookings = bookings[
        (np.arange(len(bookings)) % 40 == 0)
        | bookings["deal_id"].isin(set(pipeline.get("deal_id", [])))
    ]
    history = read("stage_history") if (SAMPLE_DIR / "stage_history.csv").is_file() else None
    if history is not None:
        history = history[history["opportunity_id"].isin(set(pipeline["opportunity_id"]))]
    accounts = accounts[accounts["account_id"].isin({*bookings.account_id, *pipeline.account_id})]
    units = units[units["unit_id"].isin({*accounts["unit_id"], *reps["home_unit"]})]
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_DIR / "book.yaml", folder / "book.yaml")
    for name, frame in (
        [("reps", reps), ("accounts", accounts), ("units", units)]
        + [
            ("bookings", bookings),
            ("pipeline", pipeline),
        ]
        + ([("stage_history", history)] if history is not None else [])
    ):
        frame.to_csv(folder / f"{name}.csv", index=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The thinner sample book in a folder of its own, and the text of each file."""
    folder = tmp_path_factory.mktemp("fuzz") / "book"
    small_sample(folder)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        book = load_book(folder)
    # the starting point is clean: whatever an example reports comes from its change
    assert not seen and len(book.bookings) > 300 and len(book.accounts) > 300
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    return folder, texts


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, when the block takes longer than ``seconds``."""

    def stop(signum, frame):
        raise TimeoutError(f"loading the book took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def load_changed(folder: Path, texts: dict[str, str], name: str, text: str, **kw) -> None:
    """Load the book with file ``name`` replaced by ``text``; check how it ends."""
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as seen, within(LIMIT):
            warnings.simplefilter("always")
            try:
                book = load_book(folder, **kw)
            except SpmSimError as exc:
                # the library's own error, located in the book's folder
                assert isinstance(exc, DataError), repr(exc)
                assert exc.file is not None and exc.file.startswith(str(folder)), str(exc)
            else:
                assert isinstance(book, Book)
                assert book.bookings["amount"].abs().max() <= 1e12
    finally:
        path.write_text(texts[name], encoding="utf-8", newline="")
    assert time.perf_counter() - start < LIMIT
    for w in seen:
        assert issubclass(w.category, PlausibilityWarning), f"{w.category.__name__}: {w.message}"
        assert str(w.message).startswith(str(folder)), str(w.message)
    if kw.get("strict"):
        assert not seen, "under strict checks a plausibility warning is an error"


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(table=st.sampled_from(TABLES), where=st.data(), value=values)
def test_one_cell_changed(sample, table, where, value):
    folder, texts = sample
    rows = rows_of(texts[f"{table}.csv"])
    line = where.draw(st.integers(2, min(len(rows), 60)), label="line")
    column = where.draw(st.sampled_from(rows[0]), label="column")
    rows[line - 1][rows[0].index(column)] = value
    load_changed(folder, texts, f"{table}.csv", csv_text(rows))


@FUZZ
@given(
    table=st.sampled_from(TABLES),
    where=st.data(),
    how=st.sampled_from(["replace", "insert", "delete", "duplicate"]),
    line_text=st.one_of(
        st.text(max_size=80),
        st.lists(values, max_size=14).map(lambda cells: ",".join(cells)),
    ),
)
def test_one_line_changed(sample, table, where, how, line_text):
    folder, texts = sample
    lines = texts[f"{table}.csv"].split("\n")
    i = where.draw(st.integers(0, min(len(lines) - 1, 60)), label="line index")
    if how == "replace":
        lines[i] = line_text
    elif how == "insert":
        lines.insert(i, line_text)
    elif how == "delete":
        del lines[i]
    else:
        lines.insert(i, lines[i])
    load_changed(folder, texts, f"{table}.csv", "\n".join(lines))


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(table=st.sampled_from(TABLES), where=st.data(), value=values)
def test_one_cell_changed_under_strict_checks(sample, table, where, value):
    folder, texts = sample
    rows = rows_of(texts[f"{table}.csv"])
    line = where.draw(st.integers(2, min(len(rows), 60)), label="line")
    column = where.draw(st.sampled_from(rows[0]), label="column")
    rows[line - 1][rows[0].index(column)] = value
    load_changed(folder, texts, f"{table}.csv", csv_text(rows), strict=True)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(where=st.data(), line_text=st.text(max_size=60))
def test_one_line_of_book_yaml_changed(sample, where, line_text):
    folder, texts = sample
    lines = texts["book.yaml"].split("\n")
    i = where.draw(st.integers(0, len(lines) - 1), label="line index")
    lines[i] = line_text
    load_changed(folder, texts, "book.yaml", "\n".join(lines))


@pytest.mark.parametrize(
    "table, column, value",
    [
        ("bookings", "amount", "1e308"),
        ("accounts", "potential", "inf"),
        ("reps", "target_incentive", "1e13"),
        ("bookings", "date", "1850-06-30"),
        ("bookings", "date", "2019-01-01"),
        ("reps", "name", '=HYPERLINK("http://x")'),
        ("pipeline", "expected_close_date", "9999-12-31"),
    ],
)
def test_the_issues_examples_are_caught(sample, table, column, value):
    # each is either an error or a warning, never a silent load (issue 15)
    folder, texts = sample
    rows = rows_of(texts[f"{table}.csv"])
    rows[1][rows[0].index(column)] = value
    path = folder / f"{table}.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                load_book(folder)
                caught = [str(w.message) for w in seen]
            except DataError as exc:
                caught = [str(exc)]
    finally:
        path.write_text(texts[f"{table}.csv"], encoding="utf-8")
    assert caught and all(f"{table}.csv, row 2, column '{column}'" in m for m in caught), caught
