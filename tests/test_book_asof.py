"""Tests of the opportunity history, ``as_of`` and ``save_book`` (spm_sim.book).

A tiny book written by hand (snapshot 2024-10-31) with one won, one lost and two
open opportunities and their stage history; each rule of ``as_of`` is checked on it,
then the sample book goes through ``save_book`` and ``as_of`` unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from spm_sim.book import SAMPLE_DIR, SCHEMA, as_of, load_book, load_sample, save_book
from spm_sim.errors import DataError, PlausibilityWarning

REPS = """\
rep_id,name,region,role,hire_date,term_date,base_salary,target_incentive,email
R1,Ann Lee,East,AE,2023-01-02,,90000,60000,ann@example.com
R2,Bo Kim,East,AE,2024-03-01,2024-09-30,85000,55000,
R3,Cy Ruiz,West,AE,2024-07-01,,95000,65000,cy@example.com
"""
ACCOUNTS = """\
account_id,name,rep_id
A1,Acme Corp,R1
A2,Beta LLC,R2
A3,Gamma Inc,R3
"""
BOOKINGS = """\
deal_id,date,account_id,rep_id,amount,product,cancelled_date
D1,2024-02-10,A1,R1,1000,Core,
D2,2024-05-15,A2,R2,2000.25,Core,2024-06-20
D3,2024-06-30,A1,R1,1500,Core,
D4,2024-08-05,A3,R3,500,Core,
"""
PIPELINE = """\
opportunity_id,account_id,rep_id,product,stage,amount,probability,created_date,expected_close_date,status,closed_date,deal_id
O1,A1,R1,Core,Negotiate,1500,1,2024-03-01,2024-06-30,Won,2024-06-30,D3
O2,A2,R2,Core,Qualify,800,0,2024-04-01,2024-08-31,lost,2024-07-10,
O3,A1,R1,Core,Propose,3000,0.4,2024-05-01,2024-12-15,,,
O4,A3,R3,Core,Qualify,700,0.1,2024-08-01,2024-12-31,open,,
"""
STAGES = """\
opportunity_id,date,stage,amount,expected_close_date
O1,2024-03-01,Qualify,1000,2024-07-31
O1,2024-05-10,Propose,,2024-06-30
O1,2024-06-01,Negotiate,1500,
O2,2024-04-01,Qualify,800,2024-08-31
O3,2024-05-01,Qualify,2500,2024-11-30
O3,2024-09-15,Propose,3000,2024-12-15
O4,2024-08-01,Qualify,700,2024-12-31
"""
YAML = 'name: tiny history\ncurrency: USD\nsnapshot_date: "2024-10-31"\n'


def write(folder: Path, **tables: str | None) -> Path:
    files = {
        "reps": REPS,
        "accounts": ACCOUNTS,
        "bookings": BOOKINGS,
        "pipeline": PIPELINE,
        "stage_history": STAGES,
    } | tables
    folder.mkdir(parents=True)
    for name, text in files.items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text)
    (folder / "book.yaml").write_text(YAML)
    return folder


@pytest.fixture
def book(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tiny book is plausible
        return load_book(write(tmp_path / "tiny"))


def opp(b, oid: str) -> pd.Series:
    pipe = b.pipeline.set_index("opportunity_id")
    return pipe.loc[oid]


# --------------------------------------------------------------------------- the schema


def test_status_is_stored_lower_case_and_empty_means_open(book):
    assert book.pipeline["status"].tolist() == ["won", "lost", "open", "open"]
    assert book.open_pipeline["opportunity_id"].tolist() == ["O3", "O4"]
    assert list(book.open_pipeline.index) == [0, 1]
    assert str(book.pipeline["closed_date"].dtype) == "datetime64[us]"
    assert book.pipeline["deal_id"].iloc[0] == "D3"
    assert list(book.stage_history.columns) == list(SCHEMA["stage_history"].names)
    assert book.stage_history["amount"].isna().sum() == 1
    assert book.reps["email"].tolist()[::2] == ["ann@example.com", "cy@example.com"]


def test_a_book_without_stage_history_has_an_empty_one(tmp_path):
    b = load_book(write(tmp_path / "b", stage_history=None))
    assert b.stage_history.empty
    assert list(b.stage_history.columns) == list(SCHEMA["stage_history"].names)
    assert str(b.stage_history["date"].dtype) == "datetime64[us]"


def cell(text: str, line: int, column: str, value: str) -> str:
    rows = text.splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    return "\n".join(rows) + "\n"


def refused(folder: Path, file: str, row: int, column: str, pattern: str) -> None:
    where = re.escape(f"{folder / file}, row {row}, column '{column}': ")
    with pytest.raises(DataError, match=where + pattern):
        load_book(folder)


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "pattern"),
    [
        ("pipeline", 4, "status", "closed", r"'closed' is not a status; write one of 'open', "),
        ("pipeline", 4, "status", "wonn", r".*Did you mean 'won'\?"),
        ("pipeline", 2, "closed_date", "", r"opportunity O1 is won but has no closed_date"),
        ("pipeline", 4, "closed_date", "2024-09-01", r"opportunity O3 is open but has closed_"),
        ("pipeline", 2, "closed_date", "2024-02-01", r"closed_date 2024-02-01 is before created_"),
        ("pipeline", 3, "deal_id", "D2", r"opportunity O2 is lost but names deal_id 'D2'"),
        ("pipeline", 2, "deal_id", "D9", r"deal_id 'D9' matches no deal_id in bookings\.csv"),
        ("pipeline", 3, "closed_date", "2024-11-02", r"2024-11-02 is after the book's snapshot"),
        ("reps", 3, "email", "ann@example.com", r"email 'ann@example\.com' is used twice"),
        ("stage_history", 3, "opportunity_id", "O7", r"opportunity_id 'O7' matches no oppor"),
        ("stage_history", 2, "date", "2024-02-28", r"opportunity O1 entered stage 'Qualify' on "),
        ("stage_history", 5, "date", "2024-07-11", r"opportunity O2 entered .* after it was clo"),
        ("stage_history", 3, "amount", "-5", r"-5\.0 is negative; amounts must be > 0"),
        ("stage_history", 3, "stage", "", r"the cell is empty; every row needs a stage"),
        ("stage_history", 8, "date", "2024-11-01", r"2024-11-01 is after the book's snapshot"),
    ],
)
def test_bad_history_cells_are_located(tmp_path, file, line, column, value, pattern):
    text = {"pipeline": PIPELINE, "stage_history": STAGES, "reps": REPS}[file]
    folder = write(tmp_path / "b", **{file: cell(text, line, column, value)})
    refused(folder, f"{file}.csv", line, column, pattern)


def test_a_duplicate_deal_id_on_two_won_opportunities(tmp_path):
    pipe = cell(cell(cell(PIPELINE, 3, "status", "won"), 3, "deal_id", "D3"), 3, "stage", "X")
    folder = write(tmp_path / "b", pipeline=pipe)
    refused(folder, "pipeline.csv", 3, "deal_id", r"deal_id 'D3' is used twice: rows 2 and 3")


def test_stage_history_needs_the_pipeline(tmp_path):
    folder = write(tmp_path / "b", pipeline=None)
    with pytest.raises(DataError, match=r"stage_history\.csv: the book has a stage history but no"):
        load_book(folder)


# --------------------------------------------------------------------------- as_of


def test_as_of_the_snapshot_is_the_book(book):
    same = as_of(book, "2024-10-31")
    for name in ("reps", "accounts", "bookings", "pipeline", "stage_history"):
        pdt.assert_frame_equal(getattr(same, name), getattr(book, name))
    assert same.snapshot_date == book.snapshot_date and same.name == book.name


def test_a_deal_on_the_day_is_known_the_day_before_it_is_not(book):
    assert "D3" in set(as_of(book, "2024-06-30").bookings["deal_id"])
    assert set(as_of(book, "2024-06-29").bookings["deal_id"]) == {"D1", "D2"}


def test_a_later_cancellation_is_cleared(book):
    before = as_of(book, "2024-06-19").bookings.set_index("deal_id")
    on = as_of(book, "2024-06-20").bookings.set_index("deal_id")
    assert pd.isna(before.loc["D2", "cancelled_date"])
    assert on.loc["D2", "cancelled_date"] == pd.Timestamp("2024-06-20")
    assert str(before["cancelled_date"].dtype) == "datetime64[us]"


def test_reps_hired_later_are_dropped_and_later_leavers_still_employed(book):
    june = as_of(book, "2024-06-30")
    assert june.reps["rep_id"].tolist() == ["R1", "R2"]
    assert pd.isna(june.reps.set_index("rep_id").loc["R2", "term_date"])
    # the account of the rep not yet hired has no rep that day
    assert june.accounts["rep_id"].tolist()[:2] == ["R1", "R2"]
    assert pd.isna(june.accounts["rep_id"].iloc[2])
    assert book.accounts["rep_id"].iloc[2] == "R3"  # the book itself is not changed
    october = as_of(book, "2024-10-01")
    assert october.reps.set_index("rep_id").loc["R2", "term_date"] == pd.Timestamp("2024-09-30")


def test_an_opportunity_won_later_shows_open_with_the_stage_of_that_day(book):
    may = opp(as_of(book, "2024-05-20"), "O1")
    assert (may["status"], may["stage"], may["amount"]) == ("open", "Propose", 1000.0)
    assert may["expected_close_date"] == pd.Timestamp("2024-06-30")  # the last one given
    assert pd.isna(may["closed_date"]) and pd.isna(may["deal_id"])
    eve = opp(as_of(book, "2024-06-29"), "O1")
    assert (eve["status"], eve["stage"], eve["amount"]) == ("open", "Negotiate", 1500.0)
    won = opp(as_of(book, "2024-06-30"), "O1")
    assert (won["status"], won["deal_id"]) == ("won", "D3")
    assert won["closed_date"] == pd.Timestamp("2024-06-30")


def test_a_lost_opportunity_is_open_until_its_closed_date(book):
    assert opp(as_of(book, "2024-07-09"), "O2")["status"] == "open"
    assert opp(as_of(book, "2024-07-10"), "O2")["status"] == "lost"
    assert as_of(book, "2024-07-09").open_pipeline["opportunity_id"].tolist() == ["O2", "O3"]


def test_an_open_opportunity_takes_the_values_it_had_that_day(book):
    june = opp(as_of(book, "2024-06-30"), "O3")
    assert (june["stage"], june["amount"]) == ("Qualify", 2500.0)
    assert june["expected_close_date"] == pd.Timestamp("2024-11-30")
    september = opp(as_of(book, "2024-09-15"), "O3")
    assert (september["stage"], september["amount"]) == ("Propose", 3000.0)


def test_opportunities_and_stages_after_the_day_are_left_out(book):
    june = as_of(book, "2024-06-30")
    assert june.pipeline["opportunity_id"].tolist() == ["O1", "O2", "O3"]
    assert june.stage_history["date"].max() <= pd.Timestamp("2024-06-30")
    assert len(june.stage_history) == 5
    assert june.snapshot_date == pd.Timestamp("2024-06-30") and june.path is None
    for name in ("bookings", "pipeline", "stage_history", "reps"):
        frame = getattr(june, name)
        assert list(frame.dtypes) == list(getattr(book, name).dtypes), name


@pytest.mark.parametrize(
    "day", ["2024-06-30", dt.date(2024, 6, 30), pd.Timestamp("2024-06-30 17:45"), " 2024-06-30"]
)
def test_as_of_takes_text_dates_and_timestamps(book, day):
    assert as_of(book, day).snapshot_date == pd.Timestamp("2024-06-30")


@pytest.mark.parametrize(
    ("day", "pattern"),
    [
        (
            "2024-02-09",
            r"2024-02-09 is before any record of the book: book 'tiny history' runs "
            r"from its first record 2024-02-10 to the snapshot_date 2024-10-31",
        ),
        ("2024-11-01", r"2024-11-01 is after the book's data end: .* 2024-10-31"),
        ("30/06/2024", r"'30/06/2024' is not a date; write it as YYYY-MM-DD"),
        (None, r"None is not a date"),
    ],
)
def test_as_of_refuses_a_day_outside_the_book(book, day, pattern):
    with pytest.raises(DataError, match=pattern):
        as_of(book, day)


def test_as_of_a_book_without_history_columns(tmp_path):
    plain = load_book(
        write(
            tmp_path / "b",
            pipeline="\n".join(line.rsplit(",", 3)[0] for line in PIPELINE.splitlines()) + "\n",
            stage_history=None,
        )
    )
    june = as_of(plain, "2024-06-30")
    assert set(june.pipeline["status"]) == {"open"}
    assert june.pipeline["opportunity_id"].tolist() == ["O1", "O2", "O3"]


def test_as_of_the_sample_snapshot_is_the_sample():
    book = load_sample()
    same = as_of(book, book.snapshot_date)
    for name in ("reps", "accounts", "bookings", "pipeline", "stage_history", "units"):
        pdt.assert_frame_equal(getattr(same, name), getattr(book, name))
    june = as_of(book, "2025-06-30")
    assert june.bookings["date"].max() <= pd.Timestamp("2025-06-30")
    assert june.pipeline["created_date"].max() <= pd.Timestamp("2025-06-30")


# --------------------------------------------------------------------------- no outcome leaks


def test_a_later_outcome_does_not_show_in_the_probability(book):
    # O1 is won on 2024-06-30 with the CRM's probability 1; in May it was in Propose, and
    # its history gives no probability: the stage's, from the book's open opportunities
    may = opp(as_of(book, "2024-05-20"), "O1")
    assert may["stage"] == "Propose" and may["probability"] == pytest.approx(0.4)
    # O2 is lost on 2024-07-10 with probability 0; before, Qualify's
    assert opp(as_of(book, "2024-07-09"), "O2")["probability"] == pytest.approx(0.1)


@pytest.fixture
def no_history(tmp_path):
    return load_book(write(tmp_path / "nh", stage_history=None))


def test_without_history_a_later_outcome_is_estimated_and_warned(no_history):
    with pytest.warns(
        PlausibilityWarning,
        match=r"2 opportunities open on 2024-05-20 but won or "
        r"lost later \(O1, O2\) have no stage history",
    ) as seen:
        may = as_of(no_history, "2024-05-20")
    message = str(seen[0].message)
    assert message.startswith(f"{no_history.path / 'pipeline.csv'}, row 2, column 'stage'")
    o1, o2 = opp(may, "O1"), opp(may, "O2")
    # O1: 'Negotiate' is no open stage of the book and 1 is the won probability: the most
    # common stage open that day (O3's Propose) with its probability
    assert (o1["status"], o1["stage"], o1["probability"]) == ("open", "Propose", 0.4)
    # O2: stage Qualify is open, but 0 is the lost probability: Qualify's
    assert (o2["stage"], o2["probability"]) == ("Qualify", pytest.approx(0.1))
    # the expected close of O2 is not its CRM close: created + the won cycle (121 days)
    assert o2["expected_close_date"] == pd.Timestamp("2024-04-01") + pd.Timedelta(days=121)
    # the outcome's values never reach the open pipeline of a day before it
    assert not {0.0, 1.0} & set(may.open_pipeline["probability"])


def test_open_probabilities_do_not_depend_on_the_later_outcome(no_history):
    with pytest.warns(PlausibilityWarning):
        won = as_of(no_history, "2024-05-20")
    pipe = no_history.pipeline.copy()
    pipe.loc[pipe["opportunity_id"] == "O2", "probability"] = 1.0  # lost or won: same day
    other = type(no_history)(**{**no_history.__dict__, "pipeline": pipe})
    with pytest.warns(PlausibilityWarning):
        again = as_of(other, "2024-05-20")
    pdt.assert_frame_equal(won.open_pipeline, again.open_pipeline)


def test_crm_imports_show_no_outcome_before_the_close():
    from spm_sim.book import SAMPLE_DIR, import_crm

    crm = SAMPLE_DIR.parent / "crm"
    for export, mapping, history in [
        ("hubspot_deals.csv", "hubspot.yaml", None),
        ("salesforce_opportunities.csv", "salesforce.yaml", "salesforce_stage_history.csv"),
    ]:
        book = import_crm(
            crm / export, crm / mapping, history=None if history is None else crm / history
        ).book
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            day = as_of(book, "2025-08-15").open_pipeline
        assert len(seen) == (1 if history is None else 0), export
        final = day["opportunity_id"].map(book.pipeline.set_index("opportunity_id")["status"])
        later = day[(final != "open").to_numpy()]
        assert len(later) > 150
        assert not {0.0, 1.0} & set(later["probability"]), export
        assert not {"Won", "Lost"} & set(later["stage"]), export
        closed = later["opportunity_id"].map(
            book.pipeline.set_index("opportunity_id")["closed_date"]
        )
        assert (later["expected_close_date"] == closed.to_numpy()).mean() < 0.1, export
        won, lost = (later[(final[final != "open"] == s).to_numpy()] for s in ("won", "lost"))
        # without history both get one estimate; with it, their stages' probabilities
        if history is None:
            assert won["probability"].mean() == pytest.approx(lost["probability"].mean())


# --------------------------------------------------------------------------- booking dates


def _shift_booking(days: int) -> str:
    date = (pd.Timestamp("2024-06-30") + pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    return BOOKINGS.replace("D3,2024-06-30", f"D3,{date}")


def test_a_booking_dated_after_the_won_close_is_warned_and_cut_cleanly(tmp_path):
    with pytest.warns(
        PlausibilityWarning,
        match=r"row 2, column 'closed_date': 1 won "
        r"opportunity with a closed_date other than the date of its booking",
    ):
        late = load_book(write(tmp_path / "late", bookings=_shift_booking(3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        day = as_of(late, "2024-07-01")  # won, not booked yet
        assert (opp(day, "O1")["status"], pd.isna(opp(day, "O1")["deal_id"])) == ("won", True)
        back = load_book(save_book(day, tmp_path / "cut"))
    assert_same_book(day, back)


def test_a_booking_dated_before_the_won_close_makes_it_won_that_day(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        early = load_book(write(tmp_path / "early", bookings=_shift_booking(-5)))
        day = as_of(early, "2024-06-27")
        back = load_book(save_book(day, tmp_path / "cut"))
    o1 = opp(day, "O1")
    assert (o1["status"], o1["deal_id"], o1["closed_date"]) == (
        "won",
        "D3",
        pd.Timestamp("2024-06-25"),
    )
    assert "O1" not in set(day.open_pipeline["opportunity_id"])  # not counted twice
    assert_same_book(day, back)


# --------------------------------------------------------------------------- opportunities_from


def test_as_of_before_the_complete_opportunity_history_warns(tmp_path):
    folder = write(tmp_path / "from")
    (folder / "book.yaml").write_text(YAML + 'opportunities_from: "2024-07-01"\n')
    book = load_book(folder)
    assert book.opportunities_from == pd.Timestamp("2024-07-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        june = as_of(book, "2024-06-30")  # open pipeline that night: all closed from 07-01
    assert june.opportunities_from == pd.Timestamp("2024-07-01")
    with pytest.warns(
        PlausibilityWarning,
        match=r"book\.yaml, column 'opportunities_from': "
        r"the as-of date 2024-06-29 is before 2024-06-30",
    ):
        as_of(book, "2024-06-29")
    assert_same_book(june, load_book(save_book(june, tmp_path / "june")))
    assert "opportunities_from: '2024-07-01'" in (tmp_path / "june" / "book.yaml").read_text()
    (folder / "book.yaml").write_text(YAML + "opportunities_from: July 2024\n")
    with pytest.raises(
        DataError,
        match=r"column 'opportunities_from': opportunities_from "
        r"'July 2024' is not a date",
    ):
        load_book(folder)


def test_the_sample_says_where_its_opportunity_history_starts():
    book = load_sample()
    assert book.opportunities_from == pd.Timestamp("2024-07-01")
    assert load_book(SAMPLE_DIR.parent / "sample-2025-06-30").opportunities_from == (
        book.opportunities_from
    )
    with pytest.warns(PlausibilityWarning, match=r"opportunities_from"):
        as_of(book, "2024-03-31")


# --------------------------------------------------------------------------- save_book


def assert_same_book(a, b) -> None:
    for name in ("reps", "accounts", "bookings", "pipeline", "stage_history"):
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    if a.units is None:
        assert b.units is None
    else:
        pdt.assert_frame_equal(a.units, b.units, obj="units")
    for key in ("name", "currency", "snapshot_date", "opportunities_from", "description", "source"):
        assert getattr(a, key) == getattr(b, key), key


def test_save_book_round_trips_the_sample(tmp_path):
    book = load_sample()
    folder = save_book(book, tmp_path / "copy")
    assert_same_book(book, load_book(folder))
    # no float noise: amounts as in the sample, whole numbers without '.0'
    text = (folder / "accounts.csv").read_text().splitlines()[1]
    assert text.startswith("A00001,Bramwood Health Inc.,01001,AL,32.46982,-86.6285,")
    assert ",233300,60.3,R037" in text


def test_save_book_round_trips_history_and_as_of(book, tmp_path):
    assert_same_book(book, load_book(save_book(book, tmp_path / "a")))
    june = as_of(book, "2024-06-19")
    back = load_book(save_book(june, tmp_path / "june"))
    assert_same_book(june, back)
    assert sorted(p.name for p in (tmp_path / "june").iterdir()) == [
        "accounts.csv",
        "book.yaml",
        "bookings.csv",
        "pipeline.csv",
        "reps.csv",
        "stage_history.csv",
    ]
    # an optional column empty in every row is left out of the file; no float noise
    deals = (tmp_path / "june" / "bookings.csv").read_text()
    assert deals.splitlines()[:3] == [
        "deal_id,date,account_id,rep_id,amount,product",
        "D1,2024-02-10,A1,R1,1000,Core",
        "D2,2024-05-15,A2,R2,2000.25,Core",
    ]


def test_save_book_refuses_a_folder_with_files_unless_forced(book, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "pipeline.parquet").write_bytes(b"old")
    with pytest.raises(
        DataError,
        match=r"out: the folder is not empty \(it has notes\.txt, "
        r"pipeline\.parquet\).*force=True \(--force",
    ):
        save_book(book, folder)
    save_book(book, folder, force=True)
    assert not (folder / "pipeline.parquet").exists()  # would clash with pipeline.csv
    assert (folder / "notes.txt").read_text() == "mine"
    assert_same_book(book, load_book(folder))
    (folder / "book.yaml").unlink()
    with pytest.raises(DataError, match=r"is a file, not a folder"):
        save_book(book, folder / "notes.txt")


def test_save_book_escapes_formula_text(book, tmp_path):
    reps = book.reps.copy()
    reps.loc[0, "name"] = "=HYPERLINK(1)"
    reps.loc[1, "name"] = "-Dash Co"
    odd = type(book)(**{**book.__dict__, "reps": reps})
    folder = save_book(odd, tmp_path / "odd")
    assert "'=HYPERLINK(1)" in (folder / "reps.csv").read_text()
    # as documented: the apostrophe is in the file, so it is read back; nothing else changes
    back = load_book(folder)
    assert back.reps["name"].tolist()[:2] == ["'=HYPERLINK(1)", "'-Dash Co"]
    rest = ["reps", "accounts", "bookings", "pipeline", "stage_history"]
    for name in rest:
        a, b = getattr(odd, name), getattr(back, name)
        if name == "reps":
            a, b = a.iloc[2:], b.iloc[2:]
        pdt.assert_frame_equal(a, b, obj=name)


# --------------------------------------------------------------------------- optional columns


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The sample book with accounts of only account_id, name and rep_id, no units."""
    import dataclasses

    book = load_sample()
    slim = dataclasses.replace(book, accounts=book.accounts[["account_id", "name", "rep_id"]])
    slim = dataclasses.replace(slim, units=None)
    folder = save_book(slim, tmp_path_factory.mktemp("bare") / "book")
    assert (folder / "accounts.csv").read_text().splitlines()[0] == "account_id,name,rep_id"
    return load_book(folder)


def test_a_book_without_account_details_loads(bare):
    assert list(bare.accounts.columns) == ["account_id", "name", "unit_id", "state", "rep_id"]
    assert len(bare.accounts) == 8000 and bare.units is None


def test_payouts_statements_and_quotas_from_history_need_no_account_details(bare):
    from spm_sim.actuals import actual_payouts, statement
    from spm_sim.quota import quotas_from_history

    full = actual_payouts(load_sample(), "data/plans/baseline.yaml", 2025)
    paid = actual_payouts(bare, "data/plans/baseline.yaml", 2025)
    pdt.assert_frame_equal(paid.payroll(), full.payroll())
    rep = paid.rep_ids[1]
    assert statement(paid, rep).total == statement(full, rep).total
    quotas = quotas_from_history(bare, plan_year=2025)
    assert quotas.values.shape[1] == 12 and float(quotas.values.sum()) > 0


@pytest.mark.parametrize(
    ("column", "pattern"),
    [
        (
            "potential",
            r"accounts\.csv, column 'potential': the book has no column 'potential' "
            r"in accounts\.csv, and it is needed for quotas by method 'potential'",
        ),
        ("workload", r"column 'workload': .* needed for quotas by method 'capacity'"),
    ],
)
def test_quotas_by_potential_or_capacity_say_which_column_they_need(bare, column, pattern):
    import dataclasses

    from spm_sim.quota import QuotaSettings, set_quotas

    method = "potential" if column == "potential" else "capacity"
    if method == "capacity":  # the potential given: the workload is what is missing
        bare = dataclasses.replace(bare, accounts=bare.accounts.assign(potential=1e5))
    with pytest.raises(DataError, match=pattern):
        set_quotas(bare, plan_year=2026, settings=QuotaSettings(method=method), rng=0)


def test_territory_design_says_it_needs_the_locations(bare):
    from spm_sim.territory import design

    with pytest.raises(
        DataError,
        match=r"accounts\.csv: units need a location: .*territory "
        r"design needs them: add both columns",
    ):
        design(bare.accounts, territories=4, source="accounts.csv")


def test_headcount_from_workload_says_it_needs_the_workload(bare):
    from spm_sim.capacity import headcount_by_region

    with pytest.raises(
        DataError,
        match=r"column 'workload': the book has no column 'workload' "
        r"in accounts\.csv, and it is needed for the headcount from workload",
    ):
        headcount_by_region(bare.accounts, reps=bare.reps)
