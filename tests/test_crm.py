"""CRM imports (spm_sim/_book/crm.py): the shipped examples round-trip to the sample's
rows, messy cells are read right, and every bad cell is refused with its place and fix."""

from __future__ import annotations

import csv
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from spm_sim.book import (
    SAMPLE_DIR,
    CrmMapping,
    import_crm,
    load_mapping,
    load_sample,
)
from spm_sim.errors import DataError, SpecError

CRM = SAMPLE_DIR.parent / "crm"

# --------------------------------------------------------------------------- the examples


def _exporter():
    spec = importlib.util.spec_from_file_location("make_exports", CRM / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def salesforce():
    return import_crm(
        CRM / "salesforce_opportunities.csv",
        CRM / "salesforce.yaml",
        history=CRM / "salesforce_stage_history.csv",
    )


@pytest.fixture(scope="module")
def hubspot():
    return import_crm(CRM / "hubspot_deals.csv", CRM / "hubspot.yaml")


KEYS = ["opportunity_id", "account_id", "rep_id", "product", "amount", "created_date"]
KEYS += ["status", "closed_date", "deal_id"]


def _subset(sample, crm: str) -> pd.DataFrame:
    return _exporter().subset(sample, _exporter().REGIONS[crm])


def _same(got: pd.DataFrame, want: pd.DataFrame, cols: list[str]) -> None:
    pdt.assert_frame_equal(
        got[cols].reset_index(drop=True), want[cols].reset_index(drop=True), check_dtype=False
    )


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_export_round_trips_to_the_sample_rows(crm, sample, request):
    done = request.getfixturevalue(crm)
    want = _subset(sample, crm)
    got = done.book.pipeline
    assert set(got["status"]) == {"open", "won", "lost"}  # the example has all three
    assert 200 <= len(got) <= 500
    _same(got, want, KEYS)  # ids, dates, amounts to the cent, status, deal ids
    is_open = (want["status"] == "open").to_numpy()
    _same(got[is_open], want[is_open], ["stage", "probability", "expected_close_date"])
    # bookings: the sample's own rows for the won opportunities
    won = set(want.loc[want["status"] == "won", "deal_id"])
    expect = sample.bookings[sample.bookings["deal_id"].isin(won)]
    expect = expect.sort_values(["date", "deal_id"], kind="stable")
    cols = ["deal_id", "date", "account_id", "rep_id", "amount", "product"]
    _same(done.book.bookings, expect, cols)
    assert np.isclose(done.book.bookings["amount"].sum(), expect["amount"].sum(), atol=0.005)


def test_salesforce_history_gives_the_stage_history_and_closed_stages(salesforce, sample):
    want = _subset(sample, "salesforce")
    # with the history, a closed opportunity keeps the stage and expected close it had
    _same(salesforce.book.pipeline, want, ["stage", "expected_close_date"])
    hist = sample.stage_history
    hist = hist[hist["opportunity_id"].isin(set(want["opportunity_id"]))]
    hist = hist.sort_values(["opportunity_id", "date"], kind="stable")
    cols = ["opportunity_id", "date", "stage", "amount", "expected_close_date"]
    _same(salesforce.book.stage_history, hist, cols)
    # not the CRM's 100% / 0% of Closed Won / Closed Lost, written when it closed, but the
    # probability of its last open stage (the mapping's), as the sample holds it
    _same(salesforce.book.pipeline, want, ["probability"])
    pipe = salesforce.book.pipeline
    assert set(pipe.loc[pipe["status"] == "won", "probability"]) == {0.75}
    assert not {0.0, 1.0} & set(pipe["probability"])
    assert set(salesforce.book.stage_history["probability"]) == {0.1, 0.25, 0.5, 0.75}


def test_imported_book_pays_without_locations(hubspot):
    from spm_sim.actuals import actual_payouts, statement
    from spm_sim.comp import standard_plan
    from spm_sim.quota import QuotaSettings, set_quotas

    book = hubspot.book
    assert list(book.accounts.columns[:2]) == ["account_id", "name"]
    for col in ("lat", "lon", "potential", "workload"):
        assert col not in book.accounts or book.accounts[col].isna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = QuotaSettings(method="equal", target=2_000_000.0, seasonality="flat")
        quotas = set_quotas(book, plan_year=2025, settings=settings)
        paid = actual_payouts(book, standard_plan(), 2025, quotas=quotas)
    rep = book.bookings.groupby("rep_id")["amount"].sum().idxmax()
    row = paid.rep_ids.index(rep)
    # every imported won deal of the rep is credited in its month, to the cent
    assert np.isclose(
        paid.bookings[row].sum(), book.bookings.query("rep_id == @rep")["amount"].sum()
    )
    assert rep in statement(paid, rep).text


def test_exports_are_written_from_the_sample(tmp_path):
    _exporter().main(tmp_path)
    for name in (
        "salesforce_opportunities.csv",
        "salesforce_stage_history.csv",
        "hubspot_deals.csv",
        "roster.csv",
    ):
        assert (tmp_path / name).read_bytes() == (CRM / name).read_bytes(), name


def test_shipped_mappings_load():
    sf, hs = load_mapping(CRM / "salesforce.yaml"), load_mapping(CRM / "hubspot.yaml")
    assert sf.owners == "name" and hs.owners == "email"
    assert sf.stages["Closed Lost"].status == "lost"
    assert hs.stages["Contract Sent"].probability == 0.75


# --------------------------------------------------------------------------- cells


def _one_row(tmp_path: Path, amount: str, read: dict, probability: str = "") -> pd.Series:
    """A one-opportunity export with these cells, imported: its pipeline row."""
    (tmp_path / "reps.csv").write_text(ROSTER)
    export = tmp_path / "one.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["Id", "Account", "Owner", "Amount", "Stage", "Created", "Close", "Prob"],
                ["X1", "Acme", "Ann Lee", amount, "Open", "2025-01-02", "2025-03-04", probability],
            ]
        )
    mapping = CrmMapping.model_validate(
        {
            "currency": "EUR" if "€" in amount or "EUR" in amount else "USD",
            "read": read,
            "columns": {
                "opportunity_id": "Id",
                "account_name": "Account",
                "owner": "Owner",
                "amount": "Amount",
                "stage": "Stage",
                "created_date": "Created",
                "close_date": "Close",
                "probability": "Prob",
            },
            "default_product": "Core",
            "stages": {"Open": {"stage": "Develop", "probability": 0.25}, "Won": "won"},
        }
    )
    done = import_crm(export, mapping, roster=tmp_path / "reps.csv")
    return done.book.pipeline.iloc[0]


@pytest.mark.parametrize(
    ("cell", "read", "value"),
    [
        ("$1,234.50", {}, 1234.50),
        ("$12,500.00", {}, 12500.0),
        ("USD 12.500,00", {"decimal": ",", "thousands": "."}, 12500.0),
        ("1 234,56 EUR", {"decimal": ",", "thousands": " "}, 1234.56),
        ("1\u00a0234,56\u00a0€", {"decimal": ",", "thousands": " "}, 1234.56),
        ("1.234,50 €", {"decimal": ",", "thousands": "."}, 1234.50),
        ("12500.5", {"thousands": ""}, 12500.5),
        ("980", {}, 980.0),
    ],
)
def test_amount_cells(tmp_path, cell, read, value):
    assert _one_row(tmp_path, cell, read)["amount"] == value


@pytest.mark.parametrize("cell", ["12.500,00", "1,23,456.00", "-500", "(500.00)", "abc"])
def test_amount_cells_refused(tmp_path, cell):
    with pytest.raises(DataError, match=r"row 2, column 'Amount': amount .* cannot be read"):
        _one_row(tmp_path, cell, {})


@pytest.mark.parametrize(
    ("cell", "read", "value"),
    [
        ("75%", {"probability": "share"}, 0.75),
        ("75", {"probability": "percent"}, 0.75),
        ("0.75", {"probability": "share"}, 0.75),
        ("7,5%", {"decimal": ",", "thousands": "."}, 0.075),
        ("", {}, 0.25),  # the stage's probability
    ],
)
def test_probability_cells(tmp_path, cell, read, value):
    assert _one_row(tmp_path, "100", read, cell)["probability"] == pytest.approx(value)


def test_probability_above_one_refused(tmp_path):
    with pytest.raises(DataError, match=r"column 'Prob': probability '1.5' cannot be read"):
        _one_row(tmp_path, "100", {"probability": "share"}, "1.5")


# --------------------------------------------------------------------------- small exports

ROSTER = """rep_id,name,region,role,hire_date,base_salary,target_incentive,email
R1,Ann Lee,West,AE,2020-01-06,90000,60000,ann.lee@acme.example
R2,Bo Chen,West,AE,2021-03-01,90000,60000,bo.chen@acme.example
"""

MAPPING = """
currency: EUR
roster: reps.csv
owners: name
read:
  delimiter: ";"
  skip_lines: 2
  dates: ["%d.%m.%Y", "%Y-%m-%d"]
  decimal: ","
  thousands: "."
  probability: share
columns:
  opportunity_id: Id
  account_name: Kunde
  owner: Owner
  amount: Betrag
  stage: Phase
  created_date: Erstellt
  close_date: Abschluss
  probability: Chance
default_product: Core
stages:
  Offen: Develop
  Angebot: {stage: Propose, probability: 0.5}
  Gewonnen: won
  Verloren: lost
  Duplikat: skip
"""

ROWS = [
    "Id;Kunde;Owner;Betrag;Phase;Erstellt;Abschluss;Chance",
    "X1;Acme GmbH;Ann Lee;1.234,50 €;Gewonnen;03.02.2025;2025-03-15;",
    "X2;Beta AG;bo  chen;EUR 12.500,00;Offen;2025-02-10;30.06.2025;75%",
    "X3;Acme GmbH;Ann Lee;980;Verloren;10.02.2025;01.04.2025;",
    "X4;Gamma KG;Bo Chen;2.000;Angebot;11.02.2025;01.07.2025;",
    "X5;Gamma KG;Bo Chen;2.000;Duplikat;11.02.2025;01.07.2025;",
    "X6;Gamma KG;Bo Chen;;Verloren;11.02.2025;01.03.2025;",
]


def _files(tmp_path: Path, rows=ROWS, mapping=MAPPING, *, bom=True) -> tuple[Path, Path]:
    (tmp_path / "reps.csv").write_text(ROSTER)
    (tmp_path / "map.yaml").write_text(mapping)
    text = "Bericht: Opportunities\nStand 2025-06-30\n" + "\n".join(rows) + "\n"
    export = tmp_path / "export.csv"
    export.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return export, tmp_path / "map.yaml"


def test_messy_export_is_read(tmp_path):
    done = import_crm(*_files(tmp_path))
    pipe = done.book.pipeline.set_index("opportunity_id")
    assert list(pipe.index) == ["X1", "X2", "X3", "X4"]
    assert pipe["amount"].tolist() == [1234.50, 12500.00, 980.0, 2000.0]
    assert pipe["status"].tolist() == ["won", "open", "lost", "open"]
    assert pipe.loc["X2", "probability"] == 0.75 and pipe.loc["X4", "probability"] == 0.5
    assert pipe.loc["X2", "rep_id"] == "R2"  # case and spacing ignored
    assert pipe.loc["X1", "created_date"] == pd.Timestamp("2025-02-03")
    assert pipe.loc["X2", "expected_close_date"] == pd.Timestamp("2025-06-30")
    b = done.book.bookings
    assert b[["deal_id", "amount", "rep_id"]].values.tolist() == [["X1", 1234.5, "R1"]]
    assert b["date"].tolist() == [pd.Timestamp("2025-03-15")]
    assert done.book.accounts["name"].tolist() == ["Acme GmbH", "Beta AG", "Gamma KG"]
    assert done.book.currency == "EUR"
    # skipped rows, with their line in the file (2 lines above the header)
    assert done.skipped[["row", "opportunity_id"]].values.tolist() == [[8, "X5"], [9, "X6"]]
    text = done.describe()
    assert "1 won, 2 open, 1 lost" in text
    assert "mapped to skip (rows 8)" in text and "lost without an amount (rows 9)" in text


def _bad(tmp_path, change: tuple[str, str], match: str, **kwargs):
    rows = [r.replace(*change) if r.startswith("X2") else r for r in ROWS]
    export, mapping = _files(tmp_path, rows)
    with pytest.raises(DataError, match=match) as err:
        import_crm(export, mapping, **kwargs)
    return err.value


def test_unmapped_stage(tmp_path):
    err = _bad(tmp_path, (";Offen;", ";Verbal;"), r"add 'Verbal' under stages: in map\.yaml")
    assert (err.row, err.column, err.value) == (5, "Phase", "Verbal")
    assert str(err).startswith(f"{tmp_path / 'export.csv'}, row 5, column 'Phase'")


def test_unknown_owner(tmp_path):
    err = _bad(tmp_path, ("bo  chen", "Bob Chen"), r"matches no rep's name in the roster reps\.csv")
    assert (err.row, err.column, err.value) == (5, "Owner", "Bob Chen")
    assert "Did you mean 'Bo Chen'" in str(err)


def test_unreadable_date(tmp_path):
    err = _bad(tmp_path, ("2025-02-10", "Feb 10 2025"), r"read\.dates in map\.yaml")
    assert (err.row, err.column) == (5, "Erstellt")


def test_unreadable_amount(tmp_path):
    err = _bad(tmp_path, ("EUR 12.500,00", "12,500.00"), r"decimal ',' and thousands '\.'")
    assert (err.row, err.column, err.value) == (5, "Betrag", "12,500.00")


def test_amount_in_another_currency(tmp_path):
    err = _bad(
        tmp_path, ("EUR 12.500,00", "$12.500,00"), r"is in USD, but the book's currency is EUR"
    )
    assert err.row == 5


def test_currency_column_of_another_currency(tmp_path):
    rows = [
        r + (";Währung" if r.startswith("Id") else ";USD" if r.startswith("X2") else ";EUR")
        for r in ROWS
    ]
    mapping = MAPPING.replace("  probability: Chance", "  probability: Chance\n  currency: Währung")
    with pytest.raises(DataError, match=r"currency 'USD', but the book's currency is EUR") as err:
        import_crm(*_files(tmp_path, rows, mapping))
    assert (err.value.row, err.value.column) == (5, "Währung")


def test_missing_column(tmp_path):
    mapping = MAPPING.replace("amount: Betrag", "amount: Betrage")
    with pytest.raises(
        DataError,
        match=r"no column 'Betrage' \(columns\.amount in map\.yaml\)\. Did you mean 'Betrag'",
    ):
        import_crm(*_files(tmp_path, ROWS, mapping))


def test_duplicate_opportunity(tmp_path):
    rows = [*ROWS, ROWS[2]]
    with pytest.raises(DataError, match=r"opportunity X2 appears twice \(first on row 5\)"):
        import_crm(*_files(tmp_path, rows))


def test_ragged_row_names_its_line(tmp_path):
    rows = [*ROWS[:3], ROWS[3] + ";extra"]
    with pytest.raises(DataError, match=r"row 6: this row has 9 cells but the header has 8"):
        import_crm(*_files(tmp_path, rows))


def test_owner_by_email_in_a_name_and_address_cell(tmp_path):
    mapping = MAPPING.replace("owners: name", "owners: email")
    rows = [r.replace(";Ann Lee;", ";Ann Lee <ANN.LEE@acme.example>;") for r in ROWS]
    rows = [
        r.replace(";bo  chen;", ";bo.chen@acme.example;").replace(
            ";Bo Chen;", ";bo.chen@acme.example;"
        )
        for r in rows
    ]
    done = import_crm(*_files(tmp_path, rows, mapping))
    assert done.book.pipeline["rep_id"].tolist() == ["R1", "R2", "R1", "R2"]


def test_roster_without_email(tmp_path):
    export, mapping = _files(tmp_path, ROWS, MAPPING.replace("owners: name", "owners: email"))
    (tmp_path / "reps.csv").write_text(
        "\n".join(line.rsplit(",", 1)[0] for line in ROSTER.splitlines())
    )
    with pytest.raises(DataError, match=r"the roster has no email column"):
        import_crm(export, mapping)


def test_missing_roster(tmp_path):
    export, mapping = _files(tmp_path)
    with pytest.raises(DataError, match=r"roster not found"):
        import_crm(export, mapping, roster=tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (('thousands: "."', 'thousands: ","'), r"decimal and thousands are both ','"),
        (("  Gewonnen: won\n", ""), r"no stage is mapped to 'won'"),
        (("default_product: Core\n", ""), r"give columns\.product"),
        (('delimiter: ";"', 'delimiter: ";;"'), r"read\.delimiter"),
        (("skip_lines: 2", "skip_line: 2"), r"read\.skip_line"),
        (("Offen: Develop", "Offen: {status: open}"), r"stages\.Offen.*needs 'stage'"),
    ],
)
def test_mapping_mistakes_are_located(tmp_path, change, match):
    export, mapping = _files(tmp_path, ROWS, MAPPING.replace(*change))
    with pytest.raises(SpecError, match=match) as err:
        import_crm(export, mapping)
    assert str(err.value).startswith(str(mapping))


def test_mapping_in_python_and_roster_given():
    mapping = CrmMapping.model_validate(
        {
            "columns": {
                "opportunity_id": "Record ID",
                "owner": "Deal owner",
                "amount": "Amount",
                "stage": "Deal Stage",
                "created_date": "Create Date",
                "close_date": "Close Date",
                "account_id": "Associated Company IDs",
            },
            "owners": "email",
            "read": {"dates": ["ISO8601"], "thousands": ""},
            "default_product": "Platform",
            "stages": {**load_mapping(CRM / "hubspot.yaml").model_dump()["stages"]},
        }
    )
    done = import_crm(CRM / "hubspot_deals.csv", mapping, roster=CRM / "roster.csv")
    assert set(done.book.pipeline["product"]) == {"Platform"}
    # without account names, the account's name is its id
    assert (done.book.accounts["name"] == done.book.accounts["account_id"]).all()


def test_history_stage_names_are_checked(tmp_path):
    hist = (
        (CRM / "salesforce_stage_history.csv")
        .read_bytes()
        .replace(b'"Needs Analysis"', b'"Discovery"', 1)
    )
    (tmp_path / "h.csv").write_bytes(hist)
    with pytest.raises(
        DataError, match=r"add 'Discovery' under stages: in salesforce\.yaml"
    ) as err:
        import_crm(
            CRM / "salesforce_opportunities.csv",
            CRM / "salesforce.yaml",
            history=tmp_path / "h.csv",
        )
    assert err.value.column == "To Stage" and err.value.row > 1


# --------------------------------------------------------------------------- review of issue 17


@pytest.mark.parametrize(
    ("cells", "read", "currency", "refused"),
    [
        (["12.500", "9.000"], {}, "USD", True),  # 12.5 and 9.0 with three decimals each
        (["$12,500", "$9,000"], {"decimal": ",", "thousands": "."}, "USD", True),
        (["12.500", "9.25"], {}, "USD", False),  # 9.25 settles the decimal point
        (["12.500", "9.000"], {"decimal": ",", "thousands": "."}, "USD", False),  # 12,500
        (["12.500", "9.000"], {}, "KWD", False),  # three decimals are the currency's
        (["12500", "980"], {}, "USD", False),
    ],
)
def test_ambiguous_amount_columns(tmp_path, cells, read, currency, refused):
    (tmp_path / "reps.csv").write_text(ROSTER)
    export = tmp_path / "e.csv"
    lines = ["Id,Account,Owner,Amount,Stage,Created,Close"]
    lines += [f'X{k},Acme,Ann Lee,"{a}",Open,2025-01-02,2025-03-04' for k, a in enumerate(cells)]
    export.write_text("\n".join(lines) + "\n")
    mapping = CrmMapping.model_validate(
        {
            "currency": currency,
            "read": {"currency_symbols": {"$": currency}, **read},
            "columns": {
                "opportunity_id": "Id",
                "account_name": "Account",
                "owner": "Owner",
                "amount": "Amount",
                "stage": "Stage",
                "created_date": "Created",
                "close_date": "Close",
            },
            "default_product": "Core",
            "stages": {"Open": {"stage": "Develop", "probability": 0.25}, "Won": "won"},
        }
    )
    if refused:
        with pytest.raises(DataError, match=r"no amount of the column has two decimals") as err:
            import_crm(export, mapping, roster=tmp_path / "reps.csv")
        assert (err.value.row, err.value.column) == (2, "Amount")
        assert "read.decimal and read.thousands" in str(err.value)
    else:
        import_crm(export, mapping, roster=tmp_path / "reps.csv")


def test_shares_read_as_percentages_are_refused(tmp_path):
    mapping = MAPPING.replace("probability: share", "probability: percent")
    rows = [r.replace(";75%", ";0,75") for r in ROWS]
    with pytest.raises(DataError, match=r"Set read\.probability: share in map\.yaml") as err:
        import_crm(*_files(tmp_path, rows, mapping))
    assert (err.value.row, err.value.column, err.value.value) == (5, "Chance", "0,75")
    # written as percentages, the same column is read
    rows = [r.replace(";75%", ";75") for r in ROWS]
    done = import_crm(*_files(tmp_path, rows, mapping))
    assert done.book.pipeline.set_index("opportunity_id").loc["X2", "probability"] == 0.75


def test_day_first_and_month_first_dates_together_are_refused(tmp_path):
    mapping = MAPPING.replace('["%d.%m.%Y", "%Y-%m-%d"]', '["%m/%d/%Y", "%d/%m/%Y"]')
    with pytest.raises(SpecError, match=r"differ only in the order of day and month"):
        import_crm(*_files(tmp_path, ROWS, mapping))


def test_a_won_row_without_an_amount_is_refused(tmp_path):
    rows = [r.replace("X1;Acme GmbH;Ann Lee;1.234,50 €;", "X1;Acme GmbH;Ann Lee;;") for r in ROWS]
    with pytest.raises(DataError, match=r"a won opportunity without an amount") as err:
        import_crm(*_files(tmp_path, rows))
    assert (err.value.row, err.value.column) == (4, "Betrag")


def test_a_won_or_lost_row_closed_after_today_is_refused(tmp_path):
    rows = [r.replace("2025-03-15", "2031-03-15") for r in ROWS]
    with pytest.raises(
        DataError, match=r"close date 2031-03-15 of a won opportunity .* after today"
    ):
        import_crm(*_files(tmp_path, rows))


def test_the_snapshot_is_the_last_date_and_is_printed(tmp_path):
    done = import_crm(*_files(tmp_path))
    # the open rows' expected close dates (30.06.2025, 01.07.2025) do not count
    assert done.book.snapshot_date == pd.Timestamp("2025-04-01")
    assert "Snapshot date 2025-04-01" in done.describe()


def test_rules_of_the_book_are_reported_at_the_export_row(tmp_path):
    rows = [r.replace("03.02.2025;2025-03-15", "03.02.1925;1926-03-15") for r in ROWS]
    with pytest.raises(DataError, match=r"before 1990-01-01") as err:
        import_crm(*_files(tmp_path, rows))
    # the booking's date is the close date: its rule is the first to be checked
    assert str(err.value).startswith(f"{tmp_path / 'export.csv'}, row 4, column 'Abschluss'")
    rows = [r.replace("1.234,50 €", "9.000.000.000.000,00 €") for r in ROWS]
    with pytest.raises(DataError, match=r"beyond 1e12") as err:
        import_crm(*_files(tmp_path, rows))
    assert (err.value.file, err.value.row, err.value.column) == (
        str(tmp_path / "export.csv"),
        4,
        "Betrag",
    )


def test_one_deal_id_on_two_won_rows_is_refused_at_the_export_row(tmp_path):
    mapping = MAPPING.replace("  probability: Chance", "  probability: Chance\n  deal_id: Deal")
    rows = [r + (";Deal" if r.startswith("Id") else ";D1") for r in ROWS]
    rows = [r.replace(";Offen;", ";Gewonnen;") for r in rows]
    with pytest.raises(DataError, match=r"deal id 'D1' .* on row 4") as err:
        import_crm(*_files(tmp_path, rows, mapping))
    assert (err.value.row, err.value.column) == (5, "Deal")


def test_a_header_named_twice_is_refused(tmp_path):
    rows = [ROWS[0].replace("Kunde", "Betrag"), *ROWS[1:]]
    mapping = MAPPING.replace("account_name: Kunde", "account_name: Owner")
    with pytest.raises(DataError, match=r"the header has 'Betrag' .* twice, as columns 2 and 4"):
        import_crm(*_files(tmp_path, rows, mapping))


# the history of one West opportunity of the example, in a small report of its own
HISTORY = """\ufeff"Opportunity ID","To Stage","Amount","Close Date","Edit Date"
"O00112","Qualification","$12,368.63","11/1/2025","7/4/2025, 9:00 AM"
"O00112","Needs Analysis","$15,504.78","11/9/2025","8/30/2025, 9:00 AM"
"O00112","Negotiation/Review","$11,346.28","1/10/2026","12/27/2025, 3:00 PM"
"O00112","Proposal/Price Quote","$11,355.07","2/1/2026","12/27/2025, 9:00 AM"

"Cascade Instruments - internal report"
"Written by hand"
"""


def _sf_with(tmp_path: Path, history: str) -> pd.DataFrame:
    (tmp_path / "h.csv").write_text(history, encoding="utf-8")
    done = import_crm(
        CRM / "salesforce_opportunities.csv", CRM / "salesforce.yaml", history=tmp_path / "h.csv"
    )
    hist = done.book.stage_history
    return hist[hist["opportunity_id"] == "O00112"], done


def test_changes_of_one_day_are_ordered_by_their_time(tmp_path):
    hist, done = _sf_with(tmp_path, HISTORY)
    assert hist["stage"].tolist() == ["Qualify", "Develop", "Propose", "Negotiate"]
    assert done.book.pipeline.set_index("opportunity_id").loc["O00112", "stage"] == "Negotiate"


def test_a_history_listed_newest_first_is_read_oldest_first(tmp_path):
    lines = HISTORY.rstrip("\n").split("\n")
    body = [line.replace(", 3:00 PM", "").replace(", 9:00 AM", "") for line in lines[1:5]]
    body = body[:2] + [body[3], body[2]]  # file order, oldest first
    newest_first = "\n".join([lines[0], *body[::-1], *lines[-3:]]) + "\n"
    hist, _ = _sf_with(tmp_path, newest_first)
    assert hist["stage"].tolist() == ["Qualify", "Develop", "Propose", "Negotiate"]


def test_history_amounts_in_another_currency_are_refused_and_zeros_are_said(tmp_path):
    with pytest.raises(DataError, match=r"is in EUR, but the book's currency is USD") as err:
        _sf_with(tmp_path, HISTORY.replace('"$15,504.78"', '"EUR 15,504.78"'))
    assert (err.value.row, err.value.column) == (3, "Amount")
    hist, done = _sf_with(tmp_path, HISTORY.replace('"$15,504.78"', '"$0.00"'))
    assert hist["amount"].isna().tolist() == [False, True, False, False]
    assert "Read 1 history amounts of 0 as not recorded (rows 3 of h.csv)" in done.describe()
