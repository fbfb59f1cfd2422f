"""``spm-sim import``: a CRM export to a book folder, end to end through ``main``."""

from __future__ import annotations

import pandas.testing as pdt
import pytest

from spm_sim.book import SAMPLE_DIR, import_crm, load_book
from spm_sim.cli import main

CRM = SAMPLE_DIR.parent / "crm"
SF = [
    "import",
    str(CRM / "salesforce_opportunities.csv"),
    "--mapping",
    str(CRM / "salesforce.yaml"),
    "--history",
    str(CRM / "salesforce_stage_history.csv"),
]


def test_import_writes_a_book_load_book_reads(tmp_path, capsys):
    out = tmp_path / "book"
    assert main([*SF, "--out", str(out)]) == 0
    said = " ".join(capsys.readouterr().out.split())  # lines wrap to the terminal
    assert "Imported 364 opportunities: 111 won, 40 open, 213 lost" in said
    assert "111 bookings worth $2,503,535.57" in said
    assert "Skipped no rows." in said and str(out) in said
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "accounts.csv",
        "book.yaml",
        "bookings.csv",
        "pipeline.csv",
        "reps.csv",
        "stage_history.csv",
    ]
    book = load_book(out)
    want = import_crm(
        CRM / "salesforce_opportunities.csv",
        CRM / "salesforce.yaml",
        history=CRM / "salesforce_stage_history.csv",
    ).book
    for table in ("bookings", "pipeline", "stage_history"):
        pdt.assert_frame_equal(getattr(book, table), getattr(want, table))
    assert book.name == "book" and book.currency == "USD"


def test_import_refuses_an_earlier_book_without_force(tmp_path, capsys):
    out = tmp_path / "book"
    hub = ["import", str(CRM / "hubspot_deals.csv"), "--mapping", str(CRM / "hubspot.yaml")]
    assert main([*SF, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*hub, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spm-sim: error: --out") and "--force" in err
    assert main([*hub, "--out", str(out), "--force"]) == 0
    # the history of the earlier book is gone: the folder holds exactly the new book
    assert not (out / "stage_history.csv").exists()
    assert len(load_book(out).pipeline) == 333


@pytest.mark.parametrize("where", ["crm", "roster"])
def test_import_never_writes_over_an_input(tmp_path, capsys, where):
    if where == "crm":
        args = [*SF, "--out", str(CRM), "--force"]
    else:  # the Salesforce mapping's roster is the sample's reps.csv
        args = [*SF, "--out", str(SAMPLE_DIR), "--force"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "which this command reads" in err and err.count("\n") == 1


def test_import_bad_cell_is_one_located_line(tmp_path, capsys):
    text = (CRM / "hubspot_deals.csv").read_text().replace('"Contract Sent"', '"Verbal"', 1)
    export = tmp_path / "deals.csv"
    export.write_text(text)
    args = ["import", str(export), "--mapping", str(CRM / "hubspot.yaml")]
    assert main([*args, "--out", str(tmp_path / "book")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{export}, row " in err and "column 'Deal Stage'" in err
    assert "add 'Verbal' under stages: in hubspot.yaml" in err
    assert not (tmp_path / "book").exists()


def test_a_second_import_over_the_first_is_refused_in_plain_words(tmp_path, capsys):
    out = tmp_path / "west"
    assert main([*SF, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*SF, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count(str(out)) == 1 and "manifest" not in err
    assert "already holds a book (accounts.csv, book.yaml" in err
    assert "a second import does not add to the first" in err


def test_import_help_says_exports_are_not_combined(capsys):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "cannot be combined by importing one over the other" in text
    assert "other files are kept" in text
