"""Tests of spm_sim.book: loading a book and every rule of docs/data-format.md.

Each test writes a tiny book by hand into tmp_path, breaks one thing, and checks
that the DataError names the file, the row (CSV line, header = line 1), the
column and the value.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spm_sim._book import load as data_mod
from spm_sim._book import plausible, schema
from spm_sim.book import SCHEMA, Book, load_book, load_book_ref, load_sample, numeric_column
from spm_sim.errors import DataError, PlausibilityWarning, strict_checks

REPS = """\
rep_id,name,region,role,home_unit,home_name,home_lat,home_lon,hire_date,term_date,base_salary,target_incentive,nickname
R001,Ann Lee,East,AE,17031,"Cook County, IL",41.84,-87.82,2020-01-06,,90000,60000,annie
R002,Bo Kim,East,AE,17043,"DuPage County, IL",41.85,-88.09,2021-03-01,2023-06-30,85000,55000,
R003,Cy Ruiz,West,AE,06037,"Los Angeles County, CA",34.32,-118.22,2022-07-11,,95000,65000,cy
"""
ACCOUNTS = """\
account_id,name,unit_id,state,lat,lon,segment,industry,potential,workload,rep_id
A001,Acme Corp,17031,IL,41.88,-87.63,Enterprise,Manufacturing,1200000,120,R001
A002,Beta LLC,17043,IL,41.80,-88.01,Mid-Market,Retail,400000,60,R002
A003,Gamma Inc,06037,CA,34.05,-118.24,SMB,Software,90000.5,25,R003
A004,Delta Co,06037,CA,34.10,-118.30,SMB,Software,50000,20,
"""
BOOKINGS = """\
deal_id,date,account_id,rep_id,amount,product
D001,2022-11-15,A001,R001,25000,Platform
D002,2023-01-10,A002,R002,12000.5,Services
D003,2023-01-20,A001,R001,8000,Platform
D004,2024-02-05,A003,R003,15000,Platform
"""
PIPELINE = """\
opportunity_id,account_id,rep_id,product,stage,amount,probability,created_date,expected_close_date
O001,A001,R001,Platform,Proposal,30000,0.5,2024-01-15,2024-03-31
O002,A003,R003,Services,Discovery,5000,0.1,2024-02-01,2024-06-30
"""
UNITS = """\
unit_id,name,state,lat,lon,labor_force
17031,Cook County,IL,41.84,-87.82,2700000
17043,DuPage County,IL,41.85,-88.09,500000
06037,Los Angeles County,CA,34.32,-118.22,5000000
"""
BOOK_YAML = """\
name: tiny
currency: USD
snapshot_date: 2024-03-01
description: A hand-written book for tests.
"""
GOOD = {
    "reps": REPS,
    "accounts": ACCOUNTS,
    "bookings": BOOKINGS,
    "pipeline": PIPELINE,
    "units": UNITS,
}


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """``text`` (CSV) with the cell on ``line`` (header = 1) in ``column`` replaced."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def rename_column(text: str, old: str, new: str) -> str:
    header, rest = text.split("\n", 1)
    names = header.split(",")
    names[names.index(old)] = new
    return ",".join(names) + "\n" + rest


def write_book(folder: Path, *, yaml: str | None = BOOK_YAML, **tables: str | None) -> Path:
    """Write the good book, with ``tables`` replacing (text) or omitting (None) tables."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (GOOD | tables).items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    if yaml is not None:
        (folder / "book.yaml").write_text(yaml, encoding="utf-8")
    return folder


def loc(file: str, row: int | None = None, column: str | None = None) -> str:
    """Regex of the 'file, row N, column 'c'' prefix of a DataError."""
    out = re.escape(file)
    if row is not None:
        out += f", row {row}"
    if column is not None:
        out += f", column '{column}'"
    return out + ": "


def raises(folder: Path, pattern: str) -> DataError:
    with pytest.raises(DataError, match=pattern) as info:
        load_book(folder)
    return info.value


# --------------------------------------------------------------------------- a good book


def test_good_book_loads_typed(tmp_path):
    book = load_book(write_book(tmp_path / "b"))
    assert isinstance(book, Book)
    assert (book.name, book.currency, book.snapshot_date) == (
        "tiny",
        "USD",
        pd.Timestamp("2024-03-01"),
    )
    assert book.path == tmp_path / "b"
    assert book.description == "A hand-written book for tests."
    assert [
        len(f) for f in (book.reps, book.accounts, book.bookings, book.pipeline, book.units)
    ] == [3, 4, 4, 2, 3]
    for table, frame in [
        ("reps", book.reps),
        ("accounts", book.accounts),
        ("bookings", book.bookings),
        ("pipeline", book.pipeline),
        ("units", book.units),
    ]:
        assert list(frame.columns[: len(SCHEMA[table].columns)]) == list(SCHEMA[table].names)
        assert isinstance(frame.index, pd.RangeIndex)
        for col in SCHEMA[table].columns:
            expected = {"text": "str", "number": "float64", "date": "datetime64[us]"}[col.kind]
            assert str(frame[col.name].dtype) == expected, (table, col.name)
    # FIPS codes stay text with their leading zero; empty cells are missing
    assert book.units["unit_id"].tolist() == ["17031", "17043", "06037"]
    assert book.reps["term_date"].isna().tolist() == [True, False, True]
    assert book.reps.loc[1, "term_date"] == pd.Timestamp("2023-06-30")
    assert book.reps.loc[0, "home_name"] == "Cook County, IL"
    assert book.accounts["rep_id"].isna().tolist() == [False, False, False, True]
    assert book.accounts.loc[2, "potential"] == 90000.5
    assert book.bookings["amount"].sum() == 60000.5
    # extra columns pass through untouched, after the schema's columns
    assert book.reps.columns[-1] == "nickname"
    assert book.reps["nickname"].tolist() == ["annie", "", "cy"]
    assert "3 reps" in repr(book) and "snapshot 2024-03-01" in repr(book)


def test_optional_tables_and_columns_absent(tmp_path):
    reps = (
        "\n".join(
            ",".join(r.split(",")[:4] + r.split(",")[8:9] + r.split(",")[10:12])
            for r in [
                "rep_id,name,region,role,h,hn,la,lo,hire_date,t,base_salary,target_incentive",
                "R001,Ann,East,AE,x,x,x,x,2020-01-06,,90000,60000",
                "R002,Bo,East,AE,x,x,x,x,2021-03-01,,85000,55000",
                "R003,Cy,West,AE,x,x,x,x,2022-07-11,,95000,65000",
            ]
        )
        + "\n"
    )
    book = load_book(write_book(tmp_path / "b", yaml=None, reps=reps, pipeline=None, units=None))
    assert book.units is None
    assert book.pipeline.empty
    assert list(book.pipeline.columns) == list(SCHEMA["pipeline"].names)
    assert str(book.pipeline["created_date"].dtype) == "datetime64[us]"
    assert str(book.pipeline["amount"].dtype) == "float64"
    # absent optional columns are added, all missing, typed
    assert (
        book.reps["term_date"].isna().all()
        and str(book.reps["term_date"].dtype) == "datetime64[us]"
    )
    assert book.reps["home_lat"].isna().all() and str(book.reps["home_lat"].dtype) == "float64"
    assert book.reps["home_unit"].isna().all() and str(book.reps["home_unit"].dtype) == "str"
    # without units, unit ids are not checked; without book.yaml, defaults
    assert (book.name, book.currency, book.snapshot_date) == ("b", "USD", None)


def test_header_only_pipeline_is_an_empty_table(tmp_path):
    book = load_book(write_book(tmp_path / "b", pipeline=PIPELINE.split("\n")[0] + "\n"))
    assert book.pipeline.empty and list(book.pipeline.columns) == list(SCHEMA["pipeline"].names)


def header_only(text: str) -> str:
    return text.split("\n")[0] + "\n"


@pytest.mark.parametrize(
    "table, why",
    [
        ("reps", "a book needs at least one rep: plans, quotas and payouts are per rep"),
        ("accounts", "a book needs at least one account: every booking and opportunity"),
    ],
)
def test_header_only_reps_or_accounts_is_refused_before_the_references(tmp_path, table, why):
    # blank lines and a row of empty cells after the header are no rows either
    folder = write_book(tmp_path / "b", **{table: header_only(GOOD[table]) + "\n,,,\n"})
    err = raises(
        folder,
        "^"
        + loc(str(folder / f"{table}.csv"))
        + re.escape(f"the file has a header but no rows; {why}")
        + r".*The export may have stopped after the header line: add the rows below it\.$",
    )
    assert err.row is None and "matches no" not in str(err)
    # the same from Parquet and from frames
    frame = pd.read_csv(io.StringIO(GOOD[table]), dtype=str).iloc[:0]
    (folder / f"{table}.csv").unlink()
    frame.to_parquet(folder / f"{table}.parquet")
    raises(folder, "^" + loc(str(folder / f"{table}.parquet")) + "the file has columns but no rows")
    frames = {n: pd.read_csv(io.StringIO(GOOD[n]), dtype=str) for n in GOOD} | {table: frame}
    with pytest.raises(DataError, match=f"^{table} frame: the frame has no rows; {why}"):
        Book.from_frames(**frames)


def test_a_wrong_column_is_named_before_a_header_only_file(tmp_path):
    reps = header_only(rename_column(REPS, "region", "regoin"))
    raises(write_book(tmp_path / "b", reps=reps), r"missing column 'region'.*'regoin'")


def test_header_only_bookings_loads_a_book_without_history(tmp_path):
    # a new team: no deals yet, and so no opportunities of known accounts either
    book = load_book(write_book(tmp_path / "b", bookings=header_only(BOOKINGS), pipeline=None))
    assert book.bookings.empty and list(book.bookings.columns) == list(SCHEMA["bookings"].names)
    assert len(book.reps) == 3 and book.years == ()
    assert book.current_reps()["rep_id"].tolist() == ["R001", "R003"]  # on the snapshot
    no_snapshot = load_book(
        write_book(tmp_path / "c", bookings=header_only(BOOKINGS), pipeline=None, yaml=None)
    )
    with pytest.raises(DataError, match=r"no snapshot_date and no bookings.*snapshot_date"):
        no_snapshot.current_reps()


def test_header_only_units_says_it_has_no_rows(tmp_path):
    folder = write_book(tmp_path / "b", units=header_only(UNITS))
    raises(
        folder,
        loc(str(folder / "reps.csv"), 2, "home_unit")
        + r"home_unit '17031' matches no unit_id in units\.csv\. units\.csv has no rows: fill "
        r"it in, or leave units out of the book \(then home_unit is not checked\)\. \(and 2 more",
    )


def test_blank_lines_and_trailing_empty_rows_are_ignored(tmp_path):
    bookings = BOOKINGS.replace("D002", "\nD002") + ",,,,,\n\n"
    book = load_book(write_book(tmp_path / "b", bookings=bookings))
    assert book.bookings["deal_id"].tolist() == ["D001", "D002", "D003", "D004"]


def test_row_numbers_are_editor_lines_with_blank_lines_and_multiline_cells(tmp_path):
    # R001's home_name spans lines 2-3, R002 is line 4, a blank line 5, R003 line 6
    reps = REPS.replace('"Cook County, IL"', '"Cook County,\nIL"').replace("R003", "\nR003")
    reps = reps.replace("95000,65000", "-95000,65000")
    raises(
        write_book(tmp_path / "b", reps=reps),
        loc(str(tmp_path / "b" / "reps.csv"), 6, "base_salary"),
    )


# --------------------------------------------------------------------------- folder and files


def test_folder_missing(tmp_path):
    with pytest.raises(
        DataError, match=re.escape(str(tmp_path / "nope")) + ": book folder not found"
    ):
        load_book(tmp_path / "nope")


def test_path_is_a_file(tmp_path):
    (tmp_path / "reps.csv").write_text(REPS)
    with pytest.raises(DataError, match="is a file, not a folder"):
        load_book(tmp_path / "reps.csv")


def test_required_table_missing_lists_the_folder(tmp_path):
    folder = write_book(tmp_path / "b", bookings=None)
    (folder / "bokings.csv").write_text(BOOKINGS)
    raises(
        folder,
        r"required table 'bookings' not found: expected bookings\.csv or bookings\.parquet\. "
        r"The folder has: accounts\.csv, bokings\.csv, book\.yaml, pipeline\.csv, reps\.csv, "
        r"units\.csv\. Did you mean 'bokings\.csv'\? Rename it to bookings\.csv",
    )


def test_required_table_in_another_format(tmp_path):
    folder = write_book(tmp_path / "b", accounts=None)
    (folder / "accounts.xlsx").write_bytes(b"PK")
    raises(folder, r"required table 'accounts' not found.*Save accounts\.xlsx as accounts\.csv")


def test_both_csv_and_parquet(tmp_path):
    folder = write_book(tmp_path / "b")
    load_book(folder).reps.to_parquet(folder / "reps.parquet")
    raises(
        folder,
        re.escape(str(folder)) + r": both reps\.csv and reps\.parquet exist.*Delete or move one",
    )


def test_empty_file(tmp_path):
    raises(
        write_book(tmp_path / "b", accounts=""),
        loc(str(tmp_path / "b" / "accounts.csv"))
        + r"the file is empty\. Line 1 must be the header "
        r"naming the columns \(account_id, name\), then",
    )


def test_no_header_line(tmp_path):
    units = UNITS.split("\n", 1)[1]  # data rows only
    err = raises(
        write_book(tmp_path / "b", units=units),
        loc(str(tmp_path / "b" / "units.csv"), 1) + r"line 1 must be the header naming the "
        r"columns \(unit_id, name, state, lat, lon, labor_force\), "
        r"but it reads '17031', 'Cook County'",
    )
    assert err.row == 1


def test_semicolon_separated_file(tmp_path):
    raises(
        write_book(tmp_path / "b", units=UNITS.replace(",", ";")),
        loc(str(tmp_path / "b" / "units.csv"), 1) + r"line 1 reads as one column "
        r"'unit_id;name;state;lat;lon;labor_force': the file seems separated by ';' "
        r"\(semicolons\), not commas; save it as comma-separated CSV .*or as units\.parquet\.$",
    )


@pytest.mark.parametrize("sep", [";", "\t"])
def test_other_separator_is_named_before_a_comma_in_a_cell_reads_as_a_ragged_row(tmp_path, sep):
    # a European export: cells split by sep, "Cook County, IL" unquoted, decimal commas;
    # read with commas, line 2 has more cells than the header, which is not the problem
    rows = list(csv.reader(io.StringIO(REPS)))
    text = "\n".join(sep.join(cell.replace(".", ",") for cell in row) for row in rows) + "\n"
    err = raises(
        write_book(tmp_path / "b", reps=text),
        loc(str(tmp_path / "b" / "reps.csv"), 1)
        + re.escape(f"line 1 reads as one column 'rep_id{repr(sep)[1:-1]}name")
        + rf".*\.\.\.': the file seems separated by {re.escape(repr(sep))}",
    )
    assert err.row == 1 and "header has" not in str(err)


def test_other_separator_with_a_comma_in_a_header_name(tmp_path):
    # 'name, full' splits line 1 in two with commas; split by ';' it names the columns
    units = UNITS.replace(",", ";").replace("name", "name, full", 1)
    raises(
        write_book(tmp_path / "b", units=units),
        loc(str(tmp_path / "b" / "units.csv"), 1)
        + r"line 1 is not split by commas \('unit_id;name, full;state.*separated by ';'",
    )


def test_a_frame_read_with_the_wrong_separator(tmp_path):
    frames = {n: pd.read_csv(io.StringIO(GOOD[n]), dtype=str) for n in GOOD}
    frames["bookings"] = pd.read_csv(io.StringIO(BOOKINGS.replace(",", ";")), dtype=str)
    with pytest.raises(
        DataError,
        match=r"^bookings frame, column 'deal_id;date;account_id;rep_id;amount;product': the "
        r"bookings table has one column .*separated by ';' \(semicolons\)\. Read that file "
        r"with pandas\.read_csv\(path, sep=';'\)",
    ):
        Book.from_frames(**frames)


def test_missing_column_did_you_mean(tmp_path):
    err = raises(
        write_book(tmp_path / "b", bookings=rename_column(BOOKINGS, "account_id", "acount_id")),
        loc(str(tmp_path / "b" / "bookings.csv"), column="account_id")
        + r"missing column 'account_id'\. The file has 'acount_id' where 'account_id' is "
        r"required\. Did you mean 'account_id'\?",
    )
    assert err.column == "account_id"


def test_missing_column_without_lookalike_lists_columns(tmp_path):
    bookings = "\n".join(",".join(line.split(",")[:5]) for line in BOOKINGS.splitlines()) + "\n"
    raises(
        write_book(tmp_path / "b", bookings=bookings),
        loc(str(tmp_path / "b" / "bookings.csv"), column="product")
        + r"missing column 'product'; add it .* "
        r"The file has: deal_id, date, account_id, rep_id, amount\.",
    )


def test_misspelled_optional_column_is_not_silently_ignored(tmp_path):
    raises(
        write_book(tmp_path / "b", reps=rename_column(REPS, "term_date", "term_dat")),
        loc(str(tmp_path / "b" / "reps.csv"), column="term_dat")
        + r"column 'term_dat' looks like a misspelling of the optional column 'term_date'",
    )


def test_duplicate_header_column(tmp_path):
    raises(
        write_book(tmp_path / "b", units=rename_column(UNITS, "labor_force", "lat")),
        loc(str(tmp_path / "b" / "units.csv"), 1, "lat") + r"the header names column 'lat' twice "
        r"\(columns 4 and 6\)",
    )


def test_header_without_name(tmp_path):
    # a trailing comma with nothing below it is harmless; a nameless column with values is not
    units = UNITS.replace("labor_force\n", "labor_force,\n").replace("2700000\n", "2700000,\n")
    assert (
        list(load_book(write_book(tmp_path / "ok", units=units)).units.columns)[-1] == "labor_force"
    )
    units = units.replace("500000\n", "500000,x\n")
    raises(
        write_book(tmp_path / "b", units=units),
        loc(str(tmp_path / "b" / "units.csv"), 1) + r"column 7 has no name in the header",
    )


def test_ragged_row_is_a_data_error(tmp_path):
    raises(
        write_book(tmp_path / "b", units=UNITS.replace("IL,41.85", "IL,extra,41.85")),
        loc(str(tmp_path / "b" / "units.csv"), 3) + r"this line has 7 cells but the header has 6\. "
        r"Quote cells that contain commas",
    )


def test_not_utf8_is_a_data_error(tmp_path):
    folder = write_book(tmp_path / "b")
    (folder / "accounts.csv").write_bytes(
        ACCOUNTS.replace("Beta LLC", "Bêta LLC").encode("latin-1")
    )
    raises(
        folder,
        loc(str(folder / "accounts.csv"), 3) + r"the file is not UTF-8 text: byte 0xea on "
        r"line 3 .*Save it as 'CSV UTF-8'",
    )


def test_utf8_with_bom_is_fine(tmp_path):
    folder = write_book(tmp_path / "b")
    (folder / "units.csv").write_bytes(b"\xef\xbb\xbf" + UNITS.encode())
    assert load_book(folder).units.columns[0] == "unit_id"


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "value, fix",
    [
        ("12,000", r"remove ',': write numbers plain, without thousands separators"),
        ("$5", r"remove '\$': write numbers plain"),
        ("12,5", r"use '\.' as the decimal mark"),
        ("lots", r"write a plain number such as 12000"),
    ],
)
def test_number_that_does_not_parse(tmp_path, value, fix):
    err = raises(
        write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "amount", value)),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "amount")
        + f"'{re.escape(value)}' is not a number; {fix}",
    )
    assert (err.file, err.row, err.column, err.value) == (
        str(tmp_path / "b" / "bookings.csv"),
        3,
        "amount",
        value,
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ("", r"the cell is empty; every row needs a workload\. Fill in a number\."),
        ("NaN", r"'NaN' is not a value; every row needs a workload\."),
        ("inf", r"'inf' is not a finite number; write the actual workload\."),
        ("-Infinity", r"'-Infinity' is not a finite number"),
    ],
)
def test_required_number_missing_or_not_finite(tmp_path, value, message):
    raises(
        write_book(tmp_path / "b", accounts=set_cell(ACCOUNTS, 4, "workload", value)),
        loc(str(tmp_path / "b" / "accounts.csv"), 4, "workload") + message,
    )


def test_optional_number_may_be_empty(tmp_path):
    book = load_book(write_book(tmp_path / "b", reps=set_cell(REPS, 2, "home_lat", "")))
    assert np.isnan(book.reps.loc[0, "home_lat"])


def test_negative_amount_matches_the_documented_message(tmp_path):
    raises(
        write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "amount", "-1200")),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "amount")
        + re.escape(
            "-1200.0 is negative; amounts must be > 0 (record a cancellation in the column "
            "cancelled_date of the deal it cancels, not as a negative deal)."
        ),
    )


def test_zero_amount(tmp_path):
    raises(
        write_book(tmp_path / "b", pipeline=set_cell(PIPELINE, 2, "amount", "0")),
        loc(str(tmp_path / "b" / "pipeline.csv"), 2, "amount")
        + r"0\.0 is zero; amounts must be > 0 \(give the amount the deal would book; mark a "
        r"lost opportunity with status 'lost' rather than zeroing it\)\.",
    )


def test_negative_salary(tmp_path):
    raises(
        write_book(tmp_path / "b", reps=set_cell(REPS, 4, "base_salary", "-5")),
        loc(str(tmp_path / "b" / "reps.csv"), 4, "base_salary")
        + r"-5\.0 is negative; base_salary must be >= 0\.",
    )


def test_first_bad_row_and_count_of_others(tmp_path):
    bookings = BOOKINGS
    for line in (3, 4, 5):
        bookings = set_cell(bookings, line, "amount", "-1")
    err = raises(
        write_book(tmp_path / "b", bookings=bookings),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "amount")
        + r"-1\.0 is negative.*\(and 2 more rows with the same problem: 4, 5\)$",
    )
    assert err.value == -1.0


@pytest.mark.parametrize(
    "table, line, column, value, message",
    [
        (
            "accounts",
            3,
            "lat",
            "141.8",
            r"141\.8 is outside \[-90, 90\]; latitude must be in \[-90, 90\] "
            r"\(check that latitude and longitude are not swapped\)\.",
        ),
        (
            "units",
            4,
            "lon",
            "-218.22",
            r"-218\.22 is outside \[-180, 180\]; longitude must be in \[-180, 180\]",
        ),
        ("reps", 2, "home_lat", "-91", r"-91\.0 is outside \[-90, 90\]"),
        (
            "pipeline",
            3,
            "probability",
            "70",
            r"70\.0 is outside \[0, 1\]; probability must be in \[0, 1\] "
            r"\(write 70% as 0\.7\)\.",
        ),
        ("pipeline", 2, "probability", "-0.1", r"-0\.1 is outside \[0, 1\]"),
    ],
)
def test_out_of_range(tmp_path, table, line, column, value, message):
    folder = write_book(tmp_path / "b", **{table: set_cell(GOOD[table], line, column, value)})
    raises(folder, loc(str(folder / f"{table}.csv"), line, column) + message)


@pytest.mark.parametrize(
    "value, extra",
    [
        ("2023/01/10", ""),
        ("01/10/2023", r" Day and month order is ambiguous in this form"),
        ("2023-02-30", r" That day does not exist in the calendar\."),
        ("yesterday", ""),
    ],
)
def test_unparseable_date(tmp_path, value, extra):
    raises(
        write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "date", value)),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "date")
        + f"'{re.escape(value)}' is not a date in the format YYYY-MM-DD "
        + r"\(for example 2024-03-31\)\."
        + extra,
    )


def test_required_date_empty(tmp_path):
    raises(
        write_book(tmp_path / "b", reps=set_cell(REPS, 3, "hire_date", "")),
        loc(str(tmp_path / "b" / "reps.csv"), 3, "hire_date")
        + r"the cell is empty; every row needs a hire_date\. Fill in a date as YYYY-MM-DD\.",
    )


def test_empty_required_text(tmp_path):
    raises(
        write_book(tmp_path / "b", accounts=set_cell(ACCOUNTS, 5, "segment", "  ")),
        loc(str(tmp_path / "b" / "accounts.csv"), 5, "segment")
        + r"the cell is empty; every row needs a segment\. Fill it in\.",
    )


def test_term_date_before_hire_date(tmp_path):
    raises(
        write_book(tmp_path / "b", reps=set_cell(REPS, 3, "term_date", "2020-12-31")),
        loc(str(tmp_path / "b" / "reps.csv"), 3, "term_date")
        + r"term_date 2020-12-31 is before hire_date 2021-03-01; "
        r"a rep cannot leave before being hired",
    )


def test_expected_close_before_created(tmp_path):
    raises(
        write_book(
            tmp_path / "b", pipeline=set_cell(PIPELINE, 3, "expected_close_date", "2024-01-31")
        ),
        loc(str(tmp_path / "b" / "pipeline.csv"), 3, "expected_close_date")
        + r"expected_close_date 2024-01-31 is before created_date 2024-02-01",
    )


def test_duplicate_id_names_both_rows(tmp_path):
    err = raises(
        write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 5, "deal_id", "D002")),
        loc(str(tmp_path / "b" / "bookings.csv"), 5, "deal_id")
        + r"deal_id 'D002' is used twice: rows 3 and 5\. Each deal_id must be unique",
    )
    assert err.value == "D002"


def test_ids_are_compared_after_trimming_spaces(tmp_path):
    raises(
        write_book(tmp_path / "b", units=set_cell(UNITS, 3, "unit_id", " 17031 ")),
        loc(str(tmp_path / "b" / "units.csv"), 3, "unit_id")
        + r"unit_id '17031' is used twice: rows 2 and 3",
    )


# --------------------------------------------------------------------------- references


def test_booking_rep_not_in_reps_with_suggestion(tmp_path):
    err = raises(
        write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 4, "rep_id", "R01")),
        loc(str(tmp_path / "b" / "bookings.csv"), 4, "rep_id")
        + r"rep_id 'R01' matches no rep_id in reps\.csv\. Did you mean 'R001'\? Correct the id, "
        r"or add the missing row to reps\.csv\.",
    )
    assert err.value == "R01"


def test_pipeline_account_not_in_accounts(tmp_path):
    raises(
        write_book(tmp_path / "b", pipeline=set_cell(PIPELINE, 3, "account_id", "ZZZZZZ")),
        loc(str(tmp_path / "b" / "pipeline.csv"), 3, "account_id")
        + r"account_id 'ZZZZZZ' matches no account_id in accounts\.csv\. Correct the id",
    )


def test_account_rep_not_in_reps(tmp_path):
    raises(
        write_book(tmp_path / "b", accounts=set_cell(ACCOUNTS, 3, "rep_id", "R009")),
        loc(str(tmp_path / "b" / "accounts.csv"), 3, "rep_id")
        + r"rep_id 'R009' matches no rep_id in reps\.csv\..* "
        r"Correct the id, or leave the cell empty",
    )


def test_home_unit_not_in_units(tmp_path):
    # a FIPS code that lost its leading zero in a spreadsheet
    raises(
        write_book(tmp_path / "b", reps=set_cell(REPS, 4, "home_unit", "6037")),
        loc(str(tmp_path / "b" / "reps.csv"), 4, "home_unit")
        + r"home_unit '6037' matches no unit_id in units\.csv\. Did you mean '06037'\?",
    )


def test_account_unit_not_in_units_counts_others(tmp_path):
    accounts = set_cell(set_cell(ACCOUNTS, 4, "unit_id", "99999"), 5, "unit_id", "99998")
    raises(
        write_book(tmp_path / "b", accounts=accounts),
        loc(str(tmp_path / "b" / "accounts.csv"), 4, "unit_id")
        + r"unit_id '99999' matches no unit_id in units\.csv.*"
        r"\(and 1 more row with the same problem: 5\)",
    )


def test_unit_ids_unchecked_without_units(tmp_path):
    book = load_book(
        write_book(tmp_path / "b", units=None, reps=set_cell(REPS, 4, "home_unit", "6037"))
    )
    assert book.reps.loc[2, "home_unit"] == "6037"


# --------------------------------------------------------------------------- book.yaml


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("name: [unclosed\n", r"book\.yaml: not valid YAML at line 2, column 1"),
        ("currency: USD\ncurrency: EUR\n", r"book\.yaml: .*key 'currency' is given twice"),
        ("notes: " + "[" * 100 + "]" * 100 + "\n", r"book\.yaml: refused .* nested more than 64"),
        (
            "currency: usd\n",
            r"book\.yaml, column 'currency': currency 'usd' is not an ISO 4217 code",
        ),
        (
            "snapshot_date: 31/12/2024\n",
            r"column 'snapshot_date': snapshot_date '31/12/2024' is not a date",
        ),
        (
            "snapshot_dat: 2024-12-31\n",
            r"unknown key 'snapshot_dat'\. Did you mean 'snapshot_date'\?",
        ),
        ("- a list\n", r"book\.yaml: expected 'key: value' lines at the top level, got list"),
    ],
)
def test_bad_book_yaml(tmp_path, text, pattern):
    raises(write_book(tmp_path / "b", yaml=text), pattern)


def test_blank_book_yaml_gives_the_defaults(tmp_path):
    book = load_book(write_book(tmp_path / "b", yaml="# nothing yet\n\n"))
    assert (book.name, book.currency, book.snapshot_date) == ("b", "USD", None)


def test_book_yaml_alias_bomb_is_refused_at_once(tmp_path):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    err = raises(write_book(tmp_path / "b", yaml=BOOK_YAML + bomb), r"book\.yaml: refused")
    assert err.file == str(tmp_path / "b" / "book.yaml") and "alias" in str(err)


def test_book_yaml_keeps_unknown_keys(tmp_path):
    book = load_book(write_book(tmp_path / "b", yaml=BOOK_YAML + "license: CC0\n"))
    assert book.meta["license"] == "CC0"


# --------------------------------------------------------------------------- Parquet


def test_parquet_round_trip(tmp_path):
    book = load_book(write_book(tmp_path / "csv"))
    folder = tmp_path / "pq"
    folder.mkdir()
    (folder / "book.yaml").write_text(BOOK_YAML)
    for name in SCHEMA:
        getattr(book, name).to_parquet(folder / f"{name}.parquet")
    again = load_book(folder)
    for name in SCHEMA:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(book, name))
    assert (again.name, again.snapshot_date) == (book.name, book.snapshot_date)


def test_parquet_with_native_types(tmp_path):
    folder = write_book(tmp_path / "b", units=None)
    units = pd.DataFrame(
        {
            "unit_id": [17031, 17043, 6037],
            "name": ["Cook", "DuPage", "LA"],
            "state": ["IL", "IL", "CA"],
            "lat": [41.84, 41.85, 34.32],
            "lon": [-87.82, -88.09, -118.22],
            "labor_force": [2_700_000, 500_000, 5_000_000],
        }
    )
    units.to_parquet(folder / "units.parquet")
    # the ids read back as text without the leading zero a CSV would have kept
    (folder / "reps.csv").write_text(REPS.replace("06037", "6037"))
    (folder / "accounts.csv").write_text(ACCOUNTS.replace("06037", "6037"))
    bookings = load_book(write_book(tmp_path / "ref")).bookings.copy()
    bookings["date"] = bookings["date"].dt.date  # Parquet date32
    bookings["amount"] = bookings["amount"].round().astype("int64")
    (folder / "bookings.csv").unlink()
    bookings.to_parquet(folder / "bookings.parquet")
    book = load_book(folder)
    assert book.units["unit_id"].tolist() == ["17031", "17043", "6037"]
    assert str(book.units["labor_force"].dtype) == "float64"
    assert str(book.bookings["date"].dtype) == "datetime64[us]"
    assert book.bookings.loc[1, "date"] == pd.Timestamp("2023-01-10")


def test_parquet_error_names_row_of_the_file(tmp_path):
    folder = write_book(tmp_path / "b", bookings=None)
    frame = pd.read_csv(io.StringIO(BOOKINGS), dtype=str)
    frame.loc[2, "amount"] = "-3"
    frame.to_parquet(folder / "bookings.parquet")
    err = raises(
        folder,
        loc(str(folder / "bookings.parquet"), 3, "amount")
        + r"-3\.0 is negative.*\(row 3 of the Parquet file, counting from 1\)$",
    )
    assert err.row == 3


def test_corrupt_parquet_is_a_data_error(tmp_path):
    folder = write_book(tmp_path / "b", units=None)
    (folder / "units.parquet").write_bytes(b"PAR1 not really parquet")
    raises(
        folder, loc(str(folder / "units.parquet")) + r"not a readable Parquet file \(ArrowInvalid"
    )


# ------------------------------------------------------------------------ from_frames, helpers


def test_from_frames_equals_load_book(tmp_path):
    book = load_book(write_book(tmp_path / "b"))
    frames = {
        name: pd.read_csv(io.StringIO(GOOD[name]), dtype=str, keep_default_na=False)
        for name in GOOD
    }
    again = Book.from_frames(**frames, name="tiny", snapshot_date="2024-03-01")
    for name in SCHEMA:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(book, name))
    frames["reps"].loc[1, "rep_id"] = "R001"
    with pytest.raises(
        DataError,
        match=r"^reps frame, row 2, column 'rep_id': rep_id 'R001' is used "
        r"twice: rows 1 and 2\..*\(row 2 of the reps frame",
    ):
        Book.from_frames(**frames)


def test_helpers(tmp_path):
    book = load_book(write_book(tmp_path / "b"))
    assert book.years == (2022, 2023, 2024)
    assert book.current_reps(on="2023-06-30")["rep_id"].tolist() == ["R001", "R002", "R003"]
    assert book.current_reps(on="2023-07-01")["rep_id"].tolist() == ["R001", "R003"]
    assert book.current_reps(on="2021-01-01")["rep_id"].tolist() == ["R001"]
    assert book.current_reps()["rep_id"].tolist() == ["R001", "R003"]  # on the snapshot date
    tidy = book.bookings_by_rep_month()
    assert list(tidy.columns) == ["rep_id", "month", "amount", "deals"]
    assert tidy.to_dict("records")[0] == {
        "rep_id": "R001",
        "month": pd.Timestamp("2022-11-01"),
        "amount": 25000.0,
        "deals": 1,
    }
    assert tidy["amount"].sum() == book.bookings["amount"].sum()
    assert len(tidy) == 4  # R001 books twice, in 2022-11 and 2023-01
    wide = book.bookings_by_rep_month(wide=True)
    assert wide.shape == (3, 16)  # 3 reps, 2022-11 .. 2024-02
    assert wide.loc["R001", pd.Timestamp("2023-01-01")] == 8000.0
    assert wide.loc["R002", pd.Timestamp("2023-01-01")] == 12000.5
    assert wide.loc["R003", pd.Timestamp("2023-01-01")] == 0.0
    assert wide.to_numpy().sum() == book.bookings["amount"].sum()


# --------------------------------------------------------------------------- the sample


def test_load_sample_missing_says_where_it_ships(tmp_path, monkeypatch):
    monkeypatch.setattr(data_mod, "SAMPLE_DIR", tmp_path / "nowhere")
    with pytest.raises(
        DataError,
        match=r"the sample book is not here\. It ships with the source "
        r"repository .*pass the folder of a book to load_book\(path\)",
    ):
        load_sample()


def test_load_sample():
    book = load_sample()
    assert len(book.reps) and len(book.accounts) and len(book.bookings)
    assert book.currency == "USD"
    assert str(book.bookings["amount"].dtype) == "float64"
    assert str(book.bookings["date"].dtype) == "datetime64[us]"
    assert book.years


# --------------------------------------------------------------------------- never a traceback


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=st.sampled_from(sorted(GOOD)),
    line=st.integers(2, 3),
    data=st.data(),
    value=st.text(max_size=12),
)
def test_any_cell_value_loads_or_raises_data_error(table, line, data, value):
    column = data.draw(st.sampled_from(GOOD[table].split("\n")[0].split(",")))
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        folder = write_book(Path(tmp), **{table: set_cell(GOOD[table], line, column, value)})
        try:
            load_book(folder)
        except DataError:
            pass
    # a value may be implausible (a name beginning with '-'), never anything else
    assert all(issubclass(w.category, PlausibilityWarning) for w in seen)


@settings(max_examples=40, deadline=None)
@given(blob=st.binary(max_size=200))
def test_any_file_bytes_load_or_raise_data_error(blob):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_book(Path(tmp))
        (folder / "units.csv").write_bytes(blob)
        try:
            load_book(folder)
        except DataError:
            pass


def test_bookings_after_the_snapshot_are_refused(tmp_path):
    import shutil

    book = tmp_path / "book"
    shutil.copytree(data_mod.SAMPLE_DIR, book)
    meta = (book / "book.yaml").read_text(encoding="utf-8")
    (book / "book.yaml").write_text(meta.replace("2025-12-31", "2025-09-30"), encoding="utf-8")
    lines = (book / "bookings.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first_late = next(
        n
        for n, line in enumerate(lines[1:], start=2)
        if line.split(",")[header.index("date")] > "2025-09-30"
    )
    with pytest.raises(
        DataError,
        match=rf"bookings.csv, row {first_late}, column 'date': 2025-\d\d-\d\d is after the book's "
        r"snapshot_date 2025-09-30 .*\(and \d+ more rows",
    ):
        load_book(book)


# --------------------------------------------------------------------------- cancellations

# D002 cancelled three weeks after booking; D004 on the day it was booked, which is
# also the last day it may be (no later than the snapshot_date 2024-03-01 is fine).
CANCELLED = """\
deal_id,date,account_id,rep_id,amount,product,cancelled_date
D001,2022-11-15,A001,R001,25000,Platform,
D002,2023-01-10,A002,R002,12000.5,Services,2023-01-31
D003,2023-01-20,A001,R001,8000,Platform,NA
D004,2024-02-05,A003,R003,15000,Platform,2024-02-05
"""


def test_cancelled_date_loads_as_an_optional_date(tmp_path):
    book = load_book(write_book(tmp_path / "b", bookings=CANCELLED))
    cancelled = book.bookings["cancelled_date"]
    assert str(cancelled.dtype) == "datetime64[us]"
    # empty and placeholder cells ('NA') mean not cancelled
    assert cancelled.isna().tolist() == [True, False, True, False]
    assert cancelled[1] == pd.Timestamp("2023-01-31")
    assert cancelled[3] == pd.Timestamp("2024-02-05")
    # the amount stays the booked amount: a cancellation is not a negative deal
    assert book.bookings["amount"].sum() == 60000.5
    # a book without the column reads it as all empty
    plain = load_book(write_book(tmp_path / "plain"))
    assert plain.bookings["cancelled_date"].isna().all()
    assert str(plain.bookings["cancelled_date"].dtype) == "datetime64[us]"


@pytest.mark.parametrize(
    "value, extra",
    [("2023-02-30", r" That day does not exist in the calendar\."), ("31/01/2023", r" Day and")],
)
def test_cancelled_date_must_be_a_date(tmp_path, value, extra):
    raises(
        write_book(tmp_path / "b", bookings=set_cell(CANCELLED, 3, "cancelled_date", value)),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "cancelled_date")
        + f"'{re.escape(value)}' is not a date in the format YYYY-MM-DD "
        + r"\(for example 2024-03-31\)\."
        + extra,
    )


def test_cancelled_before_booked(tmp_path):
    err = raises(
        write_book(tmp_path / "b", bookings=set_cell(CANCELLED, 3, "cancelled_date", "2023-01-09")),
        loc(str(tmp_path / "b" / "bookings.csv"), 3, "cancelled_date")
        + re.escape(
            "cancelled_date 2023-01-09 is before date 2023-01-10; a deal cannot be cancelled "
            "before it was booked; correct one of the two dates."
        ),
    )
    assert (err.row, err.column, err.value) == (3, "cancelled_date", pd.Timestamp("2023-01-09"))


def test_cancelled_after_the_snapshot(tmp_path):
    err = raises(
        write_book(tmp_path / "b", bookings=set_cell(CANCELLED, 5, "cancelled_date", "2024-03-02")),
        loc(str(tmp_path / "b" / "bookings.csv"), 5, "cancelled_date")
        + re.escape(
            "2024-03-02 is after the book's snapshot_date 2024-03-01 (book.yaml), where the "
            "history ends. Correct the date, or move snapshot_date to the day the data was taken."
        ),
    )
    assert err.value == "2024-03-02"
    # on the snapshot day itself is fine
    load_book(
        write_book(tmp_path / "c", bookings=set_cell(CANCELLED, 5, "cancelled_date", "2024-03-01"))
    )
    # without a snapshot_date the history ends today: a date after it is a typo
    future = (pd.Timestamp.today() + pd.Timedelta(days=400)).strftime("%Y-%m-%d")
    err = raises(
        write_book(
            tmp_path / "d",
            yaml=None,
            bookings=set_cell(CANCELLED, 5, "cancelled_date", future),
        ),
        re.escape(f"{future} is after today ("),
    )
    assert err.column == "cancelled_date" and err.value == future


@pytest.mark.parametrize(
    "table, column, message",
    [
        ("bookings", "date", "is before 1990-01-01, earlier than any sales history"),
        ("reps", "hire_date", "is before 1940-01-01, earlier than any working life"),
    ],
)
def test_a_date_before_any_sales_history_is_a_typo(tmp_path, table, column, message):
    # one deal re-dated to 1850 would stretch the fit over 175 years without a word
    source = CANCELLED if table == "bookings" else REPS
    err = raises(
        write_book(tmp_path / "b", **{table: set_cell(source, 3, column, "1850-06-30")}),
        "1850-06-30 " + message,
    )
    assert err.column == column and err.value == "1850-06-30" and err.row == 3


def test_misspelled_cancelled_date_is_not_silently_ignored(tmp_path):
    raises(
        write_book(
            tmp_path / "b", bookings=rename_column(CANCELLED, "cancelled_date", "canceled_date")
        ),
        loc(str(tmp_path / "b" / "bookings.csv"), column="canceled_date")
        + r"column 'canceled_date' looks like a misspelling of the optional column "
        r"'cancelled_date'",
    )


def test_cancelled_date_in_parquet_and_frames(tmp_path):
    ref = load_book(write_book(tmp_path / "csv", bookings=CANCELLED))
    folder = write_book(tmp_path / "pq", bookings=None)
    native = ref.bookings.copy()
    native["cancelled_date"] = native["cancelled_date"].dt.date  # Parquet date32, with nulls
    native.to_parquet(folder / "bookings.parquet")
    book = load_book(folder)
    pd.testing.assert_series_equal(book.bookings["cancelled_date"], ref.bookings["cancelled_date"])
    native.loc[1, "cancelled_date"] = pd.Timestamp("2023-01-01").date()
    native.to_parquet(folder / "bookings.parquet")
    raises(
        folder,
        loc(str(folder / "bookings.parquet"), 2, "cancelled_date")
        + r"cancelled_date 2023-01-01 is before date 2023-01-10.*"
        r"\(row 2 of the Parquet file, counting from 1\)$",
    )
    frames = {
        name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        for name, text in (GOOD | {"bookings": CANCELLED}).items()
    }
    again = Book.from_frames(**frames, name="tiny", snapshot_date="2024-03-01")
    pd.testing.assert_frame_equal(again.bookings, ref.bookings)


def test_a_long_tenure_is_not_a_typo(tmp_path):
    # a rep hired in 1985 may still sell: only the history has the 1990 floor
    book = load_book(write_book(tmp_path / "b", reps=set_cell(REPS, 2, "hire_date", "1985-03-01")))
    assert book.reps["hire_date"].min() == pd.Timestamp("1985-03-01")


# --------------------------------------------------------------------------- absurd magnitudes


@pytest.mark.parametrize(
    "table, line, column, value, bound",
    [
        ("bookings", 3, "amount", "1e308", "1e12, more than any single deal"),
        ("bookings", 4, "amount", "2e12", "1e12, more than any single deal"),
        ("pipeline", 2, "amount", "5e15", "1e12, more than any single deal"),
        ("accounts", 3, "potential", "1e13", "1e12, more than any account could buy"),
        ("accounts", 5, "workload", "1.5e6", "1e6, the hours of more than a hundred people"),
        ("reps", 2, "base_salary", "9e18", "1e12, more than any pay for a year"),
        ("reps", 4, "target_incentive", "1e300", "1e12, more than any pay for a year"),
        ("reps", 3, "target_incentive", "2e12", "1e12, more than any pay for a year"),
        ("units", 3, "labor_force", "2e10", "1e10, more people than live on Earth"),
    ],
)
def test_absurd_magnitudes_are_refused(tmp_path, table, line, column, value, bound):
    # 1e308 used to pass and overflow the payroll's sums into nonsense
    err = raises(
        write_book(tmp_path / "b", **{table: set_cell(GOOD[table], line, column, value)}),
        loc(str(tmp_path / "b" / f"{table}.csv"), line, column)
        + re.escape(f"'{value}' is beyond {bound}")
        + r".*"
        + re.escape(f"{column} must be at most"),
    )
    assert (err.file, err.row, err.column, err.value) == (
        str(tmp_path / "b" / f"{table}.csv"),
        line,
        column,
        value,
    )


def test_every_number_column_has_an_upper_bound():
    for table in SCHEMA.values():
        for col in table.columns:
            if col.kind == "number":
                assert col.le is not None or col.largest is not None, (table.name, col.name)


def test_the_bound_itself_is_accepted(tmp_path):
    book = load_book(write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "amount", "1e12")))
    assert book.bookings["amount"].max() == 1e12


def test_absurd_magnitude_in_parquet_names_the_row(tmp_path):
    folder = write_book(tmp_path / "b", accounts=None)
    frame = pd.read_csv(io.StringIO(ACCOUNTS), dtype={"unit_id": str})
    frame.loc[2, "potential"] = 1e200
    frame.to_parquet(folder / "accounts.parquet")
    err = raises(
        folder, loc(str(folder / "accounts.parquet"), 3, "potential") + r"1e\+200 is beyond 1e12"
    )
    assert err.value == 1e200


@pytest.mark.parametrize("value", ["1e308", "-2e12", "inf", "abc"])
def test_numeric_column_refuses_absurd_and_non_numbers(value):
    df = pd.DataFrame({"x": ["1.5", value, "2"]})
    with pytest.raises(DataError, match=r"units\.csv, row 3, column 'x': value .* at most 1e12"):
        numeric_column(df, "x", "units.csv", nonneg=False)
    assert numeric_column(pd.DataFrame({"x": ["-1e12", "3"]}), "x", "u", nonneg=False)[0] == -1e12


# --------------------------------------------------------------------------- plausibility

BOOKINGS_HEADER = "deal_id,date,account_id,rep_id,amount,product\n"


def many_bookings(n: int = 40) -> str:
    """``n`` deals every 12 days from 2022-08-01 (R001 and R003, inside their employment)."""
    lines = [
        f"D{i:03d},{(pd.Timestamp('2022-08-01') + pd.Timedelta(days=12 * i)):%Y-%m-%d},"
        f"{'A001' if i % 2 else 'A003'},{'R001' if i % 2 else 'R003'},{10000 + 250 * i},Platform"
        for i in range(n)
    ]
    return BOOKINGS_HEADER + "\n".join(lines) + "\n"


MANY = many_bookings()


def plausibility_warnings(folder: Path, **kwargs) -> list[str]:
    """The PlausibilityWarning messages of loading ``folder`` (nothing else may warn)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_book(folder, **kwargs)
    assert all(issubclass(w.category, PlausibilityWarning) for w in seen), seen
    return [str(w.message) for w in seen]


def test_hand_written_books_raise_no_warning(tmp_path):
    assert plausibility_warnings(write_book(tmp_path / "a")) == []
    assert plausibility_warnings(write_book(tmp_path / "b", bookings=MANY)) == []


def test_deal_before_the_reps_hire_date_warns_and_strict_raises(tmp_path):
    # R002 was hired 2021-03-01: a deal of 2021-02-26 is credited to a rep not yet there
    folder = write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "date", "2021-02-26"))
    message = loc(str(folder / "bookings.csv"), 3, "date") + re.escape(
        "1 deal dated before the rep's hire_date in reps.csv (row 3: D002 on 2021-02-26, rep "
        "R002 hired 2021-03-01). The productivity fit counts these deals as the rep's sales; the "
        "payroll does not pay them (payouts lists them in its unpaid-deals file). Correct the "
        "deal's date or rep_id, or the rep's hire_date in reps.csv."
    )
    with pytest.warns(PlausibilityWarning, match=message):
        book = load_book(folder)
    assert len(book.bookings) == 4  # a warning: the book still loads
    for load in (load_book, load_book_ref):
        with pytest.raises(DataError, match=message) as info:
            load(folder, strict=True)
        assert (info.value.row, info.value.column, info.value.value) == (3, "date", "2021-02-26")
    with strict_checks(), pytest.raises(DataError, match=message):
        load_book(folder)


def test_deal_after_the_reps_term_date_warns(tmp_path):
    # R002 left 2023-06-30 (the last day worked): a deal on that day is fine, the next is not
    ok = write_book(tmp_path / "a", bookings=set_cell(BOOKINGS, 3, "date", "2023-06-30"))
    assert plausibility_warnings(ok) == []
    late = write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "date", "2023-07-01"))
    (message,) = plausibility_warnings(late)
    assert message.startswith(
        f"{late / 'bookings.csv'}, row 3, column 'date': 1 deal dated after the rep's term_date "
        "in reps.csv (row 3: D002 on 2023-07-01, rep R002 left 2023-06-30)."
    )


def test_many_deals_outside_employment_are_one_message(tmp_path):
    # every deal of R001 moved to R002, who left 2023-06-30: one message, five rows shown
    text = MANY.replace(",R001,", ",R002,")
    (message,) = plausibility_warnings(write_book(tmp_path / "b", bookings=text))
    late = [d for d in pd.read_csv(io.StringIO(text)).itertuples() if d.rep_id == "R002"]
    late = [d for d in late if d.date > "2023-06-30"]
    first = late[0].Index + 2
    assert message.startswith(
        f"{tmp_path / 'b' / 'bookings.csv'}, row {first}, column 'date': {len(late)} deals dated "
        "after the rep's term_date"
    )
    assert message.count("rep R002 left 2023-06-30") == 5
    assert f"; and {len(late) - 5} more)." in message


def test_pipeline_created_after_the_rep_left_warns_but_not_before_hire(tmp_path):
    # an opportunity handed to a new hire was created before the hire: normal
    before = set_cell(PIPELINE, 3, "created_date", "2022-01-03")
    assert plausibility_warnings(write_book(tmp_path / "a", pipeline=before)) == []
    after = set_cell(PIPELINE, 2, "rep_id", "R002")
    (message,) = plausibility_warnings(write_book(tmp_path / "b", pipeline=after))
    assert message.startswith(
        f"{tmp_path / 'b' / 'pipeline.csv'}, row 2, column 'created_date': 1 opportunity created "
        "after the rep's term_date in reps.csv (row 2: O001 on 2024-01-15, rep R002 left "
        "2023-06-30). An opportunity is owned by a rep who had left"
    )


@pytest.mark.parametrize(
    "value, pattern",
    [
        (
            "1e11",
            r"1 value more than 1,000 times the median of the column, [\d,.]+ over 40 rows "
            r"\(row 7: 100,000,000,000\.00, [\d,]+ times the median\)\. Check for a typo \(extra",
        ),
        (
            "4.5",
            r"1 value less than 1/1,000 of the median of the column, [\d,.]+ over 40 rows "
            r"\(row 7: 4\.50, 1/[\d,]+ of the median\)\. Check for a typo \(missing digits\)",
        ),
        (  # so small that its inverse overflows: said in words, no RuntimeWarning
            "1e-305",
            r"1 value less than 1/1,000 of the median of the column, [\d,.]+ over 40 rows "
            r"\(row 7: 0\.00, less than a trillionth of the median\)\. Check for a typo",
        ),
    ],
)
def test_amount_extreme_against_the_books_median_warns(tmp_path, value, pattern):
    folder = write_book(tmp_path / "b", bookings=set_cell(MANY, 7, "amount", value))
    (message,) = plausibility_warnings(folder)
    assert re.match(loc(str(folder / "bookings.csv"), 7, "amount") + pattern, message), message
    with pytest.raises(DataError) as info:
        load_book(folder, strict=True)
    assert (str(info.value), info.value.value) == (message, float(value))


def test_a_small_column_is_not_compared_with_its_median(tmp_path):
    # four deals say too little about what is typical: 1e11 passes (under the 1e12 bound)
    small = write_book(tmp_path / "b", bookings=set_cell(BOOKINGS, 3, "amount", "1e11"))
    assert plausibility_warnings(small) == []
    assert plausible.MIN_VALUES > 4


def test_a_lone_deal_years_before_the_others_warns(tmp_path):
    # 2020-06-01 is inside R001's employment, but 2 years before every other deal
    folder = write_book(tmp_path / "b", bookings=set_cell(MANY, 3, "date", "2020-06-01"))
    (message,) = plausibility_warnings(folder)
    assert message == (
        f"{folder / 'bookings.csv'}, row 3, column 'date': 1 deal dated more than 365 days apart "
        "from the rest of the history, which runs from 2022-08-01 to 2023-11-12 with 39 deals "
        "(row 3: D001 on 2020-06-01). A lone deal years away from all the others is usually a "
        "typo in the year; the productivity fit and the seasonality would stretch over the gap. "
        "Correct the date, or remove the deal."
    )


def test_a_gap_with_a_real_history_on_both_sides_is_not_flagged(tmp_path):
    # two years without deals, but a quarter of the history before them (R001's)
    rows = MANY.strip().split("\n")
    early = [r.replace("2022-", "2020-", 1).replace(",R003,", ",R001,") for r in rows[1:11]]
    folder = write_book(tmp_path / "b", bookings="\n".join([rows[0], *early, *rows[11:]]) + "\n")
    assert plausibility_warnings(folder) == []


def test_a_history_that_stops_long_before_the_snapshot_warns(tmp_path):
    folder = write_book(tmp_path / "b", yaml=BOOK_YAML.replace("2024-03-01", "2025-12-31"))
    (message,) = plausibility_warnings(folder)
    assert message.startswith(
        f"{folder / 'bookings.csv'}, row 5, column 'date': 1 deal (the latest of the history) is "
        "dated 695 days before the book's snapshot_date 2025-12-31 (book.yaml) (row 5: D004 on "
        "2024-02-05)."
    )


def test_a_placeholder_close_date_warns(tmp_path):
    folder = write_book(
        tmp_path / "b", pipeline=set_cell(PIPELINE, 3, "expected_close_date", "9999-12-31")
    )
    (message,) = plausibility_warnings(folder)
    assert message.startswith(
        f"{folder / 'pipeline.csv'}, row 3, column 'expected_close_date': 1 opportunity expected "
        "to close more than 5 years after the end of the history (2024-03-01) (row 3: O002 on "
        "9999-12-31)."
    )


def test_ids_and_names_beginning_like_a_formula_warn_once_per_file(tmp_path):
    reps = set_cell(set_cell(REPS, 3, "name", '=HYPERLINK("http://x","pay")'), 4, "region", "-")
    accounts = set_cell(ACCOUNTS, 2, "name", "@Acme")
    folder = write_book(tmp_path / "b", reps=reps, accounts=accounts)
    messages = plausibility_warnings(folder)
    assert len(messages) == 2
    reps_msg = next(m for m in messages if "reps.csv" in m)
    assert reps_msg.startswith(
        f"{folder / 'reps.csv'}, row 3, column 'name': 2 reps with an id or name that begins with "
        'a formula character (=, +, -, @) (row 3: name \'=HYPERLINK("http://x","pay")\'; '
        "row 4: region '-'). A spreadsheet runs such a cell as a formula, so every CSV spm_sim "
        "writes shows it with a leading '"
    )
    assert any(m.startswith(f"{folder / 'accounts.csv'}, row 2, column 'name'") for m in messages)
    with pytest.raises(DataError) as info:
        load_book(folder, strict=True)
    assert (info.value.row, info.value.column) in {(3, "name"), (2, "name")}


def test_from_frames_warns_and_strict_raises():
    frames = {
        name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        for name, text in GOOD.items()
    }
    frames["bookings"].loc[1, "date"] = "2021-02-26"  # before R002's hire date
    with pytest.warns(PlausibilityWarning, match=r"^bookings frame, row 2, column 'date': 1 deal"):
        Book.from_frames(**frames, snapshot_date="2024-03-01")
    with pytest.raises(DataError, match=r"\(row 2 of the bookings frame, counting from 1\)$"):
        Book.from_frames(**frames, snapshot_date="2024-03-01", strict=True)
    # the snapshot of a book built from frames is an argument, not book.yaml's
    frames["bookings"].loc[1, "date"] = "2023-01-10"
    with pytest.warns(PlausibilityWarning) as seen:
        Book.from_frames(**frames, snapshot_date="2025-12-31")
    assert "the book's snapshot_date 2025-12-31 (row 4: D004" in str(seen[0].message)


def test_the_thresholds_are_the_documented_ones():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "data-format.md").read_text()
    assert plausible.EXTREME_RATIO == 1_000 and "more than 1,000 times its column's median" in doc
    assert plausible.GAP_DAYS == 365 and "a gap of more than 365 days" in doc
    assert plausible.ISOLATED_SHARE == 0.01 and "at most 1% of the deals" in doc
    assert plausible.MIN_VALUES == 20 and "at least 20 positive values" in doc
    assert plausible.CLOSE_HORIZON_YEARS == 5 and "more than 5 years after" in doc
    assert "1e12 (a trillion" in doc and "| `workload` | 1e6 hours" in doc
    assert plausible.PAY_LIMIT == 5e6 and "above 5,000,000 US dollars a year" in doc
    # pay is held to the bound of all money, the same in every currency
    row = "| book | booking and pipeline `amount`, `potential`, `base_salary`, `target_incentive` |"
    assert schema.MAX_MONEY == 1e12 and f"{row} 1e12 |" in doc
    largest = {c.name: c.largest for c in SCHEMA["reps"].columns}
    assert largest["base_salary"] == largest["target_incentive"] == schema.MAX_MONEY
    assert "| JPY | 150 | 750,000,000 |" in doc


def test_pay_far_above_any_reps_warns_and_strict_raises(tmp_path):
    # a target incentive typed in cents: 9,000,000 for a 90,000 TI
    folder = write_book(tmp_path / "b", reps=set_cell(REPS, 3, "target_incentive", "9000000"))
    message = loc(str(folder / "reps.csv"), 3, "target_incentive") + re.escape(
        "1 rep paid more than 5,000,000 USD a year in target_incentive (row 3: R002, "
        "9,000,000.00). Check for pay in cents or in a currency other than the book's USD"
    )
    with pytest.warns(PlausibilityWarning, match=message):
        load_book(folder)
    with pytest.raises(DataError, match=message):
        load_book(folder, strict=True)
