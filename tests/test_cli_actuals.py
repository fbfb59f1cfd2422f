"""``spm-sim payouts`` and ``spm-sim backtest`` through :func:`spm_sim.cli.main`.

What a payroll team checks: which book was read, the three payroll files and their
control totals, the deals not paid with the true reason, months without data, scores
files located to the line, and outputs that are never replaced without ``--force``
and are checked before any work.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from spm_sim.book import SAMPLE_DIR, as_of, load_book, save_book
from spm_sim.cli import main

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
BASELINE = str(PLANS / "baseline.yaml")
ACCELERATED = str(PLANS / "accelerated.yaml")


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """A terminal wide enough that no line wraps: the tests below read whole lines
    (tests/test_cli_output.py checks the wrapping at 80 columns)."""
    monkeypatch.setenv("COLUMNS", "400")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    got = capsys.readouterr()
    return code, got.out, got.err


def copy_sample(tmp_path: Path, name: str = "book") -> Path:
    folder = tmp_path / name
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


def test_payouts_says_it_reads_the_sample_book_and_writes_three_files(tmp_path, capsys):
    out = tmp_path / "pay" / "payroll-2025.csv"
    code, stdout, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--out", out)
    assert code == 0, err
    first = stdout.splitlines()[0]
    assert first.startswith("Book: sample book 'Cascade Instruments (sample)' (")
    assert str(SAMPLE_DIR) in first and "because --book was not given" in first
    unpaid, totals_file = (
        out.with_name("payroll-2025-unpaid.csv"),
        out.with_name("payroll-2025-totals.json"),
    )
    assert f"Payroll: {out.resolve()}" in stdout
    assert f"Unpaid deals: {unpaid.resolve()} (0 deals)" in stdout
    assert f"Totals file: {totals_file.resolve()}" in stdout
    assert "Every deal of 2025 is paid by this payroll (none unpaid)." in stdout
    # the control totals printed and written are the payroll's, to the cent
    pay = pd.read_csv(out, dtype={"rep_id": str, "period": str})
    cents = int((pay["amount"] * 100).round().sum())
    totals = json.loads(totals_file.read_text())
    assert totals["total_cents"] == cents and totals["rows"] == len(pay) == 81 * 12
    whole, part = divmod(cents, 100)
    assert f"Control totals: 972 rows, 81 reps, ${whole:,}.{part:02d} ({cents:,} cents)" in stdout
    assert totals["book"] == {"name": "Cascade Instruments (sample)", "path": str(SAMPLE_DIR)}
    assert pd.read_csv(unpaid).empty
    # the three files and nothing else: no temporary file, no lock left behind
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "payroll-2025-totals.json",
        "payroll-2025-unpaid.csv",
        "payroll-2025.csv",
    ]


def test_commands_name_the_book_they_read(tmp_path, capsys):
    book = copy_sample(tmp_path, "mine")
    code, stdout, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--book", book)
    assert code == 0, err
    assert stdout.splitlines()[0] == f"Book: 'Cascade Instruments (sample)' ({book})"
    code, stdout, err = run(capsys, "backtest", BASELINE, ACCELERATED, "--year", "2025")
    assert code == 0, err
    assert stdout.splitlines()[0].startswith("Book: sample book 'Cascade Instruments (sample)'")


def test_an_existing_payroll_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "payroll.csv"
    out.write_text("an earlier payroll\n")
    code, stdout, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--out", out)
    assert code == 2
    assert err.strip() == (
        f"spm-sim: error: {out} exists already; pass --force to replace it, or choose another --out"
    )
    assert stdout == ""  # refused before the book is read
    assert out.read_text() == "an earlier payroll\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["payroll.csv"]
    code, stdout, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--out", out, "--force")
    assert code == 0, err
    assert out.read_text().startswith("rep_id,period,component,amount,currency\n")


def test_an_existing_sidecar_is_not_replaced_silently_either(tmp_path, capsys):
    out = tmp_path / "payroll.csv"
    (tmp_path / "payroll-totals.json").write_text("{}")
    code, _, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--out", out)
    assert code == 2 and f"{tmp_path / 'payroll-totals.json'} exists already" in err
    assert not out.exists()


def test_backtest_replaces_its_table_only_with_force(tmp_path, capsys):
    out = tmp_path / "reps.csv"
    out.write_text("keep me\n")
    args = ("backtest", BASELINE, ACCELERATED, "--year", "2025", "--out", out)
    code, _, err = run(capsys, *args)
    assert code == 2 and "exists already; pass --force to replace it" in err
    assert out.read_text() == "keep me\n"
    code, stdout, err = run(capsys, *args, "--force")
    assert code == 0, err
    assert f"Per-rep table: {out.resolve()}" in stdout
    assert "difference" in out.read_text().splitlines()[0]


@pytest.mark.parametrize("case", ["under a file", "a folder", "read-only", "an input"])
def test_the_output_place_is_checked_before_the_book_is_read(tmp_path, capsys, monkeypatch, case):
    import tempfile

    import spm_sim.book

    def never(*args, **kwargs):
        raise AssertionError("the book was read before the output place was checked")

    monkeypatch.setattr(spm_sim.book, "load_book_ref", never)
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "folder").mkdir()
    out, says = {
        "under a file": (tmp_path / "a-file" / "payroll.csv", "is a file, not a folder"),
        "a folder": (tmp_path / "folder", "a file is wanted here"),
        "read-only": (tmp_path / "new" / "payroll.csv", "Read-only file system"),
        "an input": (tmp_path / "plan-unpaid.csv", "is an input of this command"),
    }[case]
    plan = BASELINE
    if case == "read-only":  # root writes anywhere: a read-only file system, simulated

        def read_only(*args, **kwargs):
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    if case == "an input":  # the plan is named like the payroll's list of unpaid deals
        plan = str(tmp_path / "plan-unpaid.csv")
        shutil.copy(BASELINE, plan)
        out = tmp_path / "plan.csv"
    commands = [["payouts", plan], ["backtest", plan, ACCELERATED]]
    for command in commands[:1] if case == "an input" else commands:
        code, stdout, err = run(capsys, *command, "--year", "2025", "--out", out, "--force")
        assert code == 2 and stdout == ""
        named = plan if case == "an input" else str(out)  # the file that cannot be written
        assert err.startswith("spm-sim: error: ") and says in err and named in err, err
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("plan")) == [
        "a-file",
        "folder",
    ]


def test_unpaid_deals_go_to_a_file_with_the_true_reason(tmp_path, capsys):
    # R069 left on 2025-09-25; one of their 2025 deals is moved to 2025-11-15
    book = copy_sample(tmp_path)
    deals = pd.read_csv(book / "bookings.csv", dtype=str, keep_default_na=False)
    i = deals.index[(deals["rep_id"] == "R069") & deals["date"].str.startswith("2025")][0]
    deals.loc[i, ["date", "amount"]] = ["2025-11-15", "500000.00"]
    deals.to_csv(book / "bookings.csv", index=False)
    out = tmp_path / "payroll.csv"
    args = ("payouts", BASELINE, "--year", "2025", "--book", book, "--out", out)
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    unpaid = tmp_path / "payroll-unpaid.csv"
    assert (
        "Not paid: 1 deal worth $500,000.00 (1 booked outside the rep's employment); each "
        f"deal and its reason in {unpaid}." in stdout
    )
    assert "R069 (booked outside employment (hired 2021-06-04, left 2025-09-25))" in stdout
    assert "without quota" not in stdout  # the old, wrong, wording
    assert f"Unpaid deals: {unpaid.resolve()} (1 deal)" in stdout
    rows = pd.read_csv(unpaid, dtype=str)
    assert rows[["deal_id", "date", "rep_id", "amount", "category"]].values.tolist() == [
        [deals.loc[i, "deal_id"], "2025-11-15", "R069", "500000.00", "outside_employment"]
    ]
    assert rows["reason"].item() == "booked outside employment (hired 2021-06-04, left 2025-09-25)"
    totals = json.loads((tmp_path / "payroll-totals.json").read_text())
    assert totals["unpaid"]["amount_cents"] == 50_000_000
    assert totals["unpaid"]["by_category"] == {"outside_employment": 1}


def _cut(book: Path, day: str) -> None:
    """The book as taken on ``day`` (``spm_sim.book.as_of``), written over the copy."""
    save_book(as_of(load_book(book), day), book, force=True)


def test_a_partial_year_says_which_months_have_no_data(tmp_path, capsys):
    book = copy_sample(tmp_path)
    _cut(book, "2025-09-15")
    out = tmp_path / "payroll.csv"
    args = ("payouts", BASELINE, "--year", "2025", "--book", book, "--out", out)
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    assert (
        "Months without data: 2025-10, 2025-11, 2025-12 (the book ends 2025-09-15, its "
        "snapshot date): paid as if nothing was booked." in stdout
    )
    assert (
        "spm-sim: warning: " in err and "2025-10..2025-12 (3 month(s) of 2025) have no data" in err
    )
    totals = json.loads((tmp_path / "payroll-totals.json").read_text())
    assert totals["months_without_data"] == ["2025-10", "2025-11", "2025-12"]
    assert totals["by_month"]["2025-10"] == {"cents": 0, "amount": "0.00", "has_data": False}
    # --strict refuses to pay a partial year, and writes nothing
    for p in tmp_path.glob("payroll*"):
        p.unlink()
    code, _, err = run(capsys, *args, "--strict")
    assert code == 2 and "have no data" in err and not out.exists()
    code, stdout, err = run(
        capsys, "backtest", BASELINE, ACCELERATED, "--year", "2025", "--book", book
    )
    assert code == 0, err
    assert "Months without data: 2025-10, 2025-11, 2025-12" in stdout


@pytest.fixture
def mbo_plan(tmp_path):
    """The SDR plan (new logos, quarterly MBO, draw) for the sample's AEs."""
    plan = tmp_path / "mbo.yaml"
    text = (PLANS / "sdr_recoverable_draw.yaml").read_text().replace("role: SDR", "role: AE")
    plan.write_text(text)
    return plan


def _scores_file(path: Path, rows: list[str]) -> Path:
    path.write_text("rep_id,period,measure,score\n" + "".join(r + "\n" for r in rows))
    return path


def _quarters(reps):
    return [f"{r},2025-{m:02d},mbo_score,1.0" for r in reps for m in (3, 6, 9, 12)]


def test_scores_file_errors_name_the_file_line_column_and_value(tmp_path, capsys, mbo_plan):
    from spm_sim.book import load_sample

    reps = load_sample().reps
    term = reps["term_date"]
    on = (reps["hire_date"] <= "2025-12-31") & (term.isna() | (term >= "2025-01-01"))
    good = _quarters(reps.loc[on, "rep_id"])  # the reps employed in 2025
    cases = [
        # a blank line (line 3) still counts: the duplicate of line 2 is on line 4
        (
            [good[0], "", good[0].replace("1.0", "0.0"), *good[1:]],
            "line 4: a second 'mbo_score' score for rep 'R001' in 2025-03 (the first is line 2)",
        ),
        (
            [*good, "R999,2025-03,mbo_score,1.0"],
            f"line {len(good) + 2}: column 'rep_id': rep 'R999' is not in the book's reps",
        ),
        (
            [good[0].replace("1.0", "150"), *good[1:]],
            "line 2: score 150.0 must be a number >= 0 and at most 10 (column 'score'; 1.0 = "
            "objectives met; 150 looks like a percentage: write 1.5).",
        ),
        (
            [*good, "R014,2025-03,mbo_score,1.0"],
            f"line {len(good) + 2}: column 'rep_id': rep 'R014' was not employed in 2025 (left "
            "2024-04-12), so this score pays nobody",
        ),
        (
            [*good, "R001,2026-03,mbo_score,1.0"],
            f"line {len(good) + 2}: column 'period': '2026-03' is not a month of 2025",
        ),
    ]
    for k, (rows, message) in enumerate(cases):
        scores = _scores_file(tmp_path / f"scores{k}.csv", rows)
        args = ("payouts", mbo_plan, "--year", "2025", "--scores", scores)
        code, _, err = run(capsys, *args)
        assert code == 2, (k, err)
        assert f"spm-sim: error: {scores} {message}" in err, (k, err)
        assert "Traceback" not in err
    # the right file pays: one score per rep employed in 2025 and quarter end
    scores = _scores_file(tmp_path / "scores.csv", good)
    code, stdout, err = run(capsys, "payouts", mbo_plan, "--year", "2025", "--scores", scores)
    assert code == 0, err
    assert "Control totals: 2916 rows, 81 reps" in stdout  # new logos, MBO and draw columns
    assert "Note:" not in stdout


def test_a_paid_year_nobody_should_believe_is_flagged(tmp_path, capsys):
    # target incentives 20 times the sample's: the incentive is 115% of the bookings
    book = copy_sample(tmp_path)
    reps = pd.read_csv(book / "reps.csv", dtype=str, keep_default_na=False)
    reps["target_incentive"] = (reps["target_incentive"].astype(float) * 20).map("{:.0f}".format)
    reps.to_csv(book / "reps.csv", index=False)
    args = ("backtest", BASELINE, ACCELERATED, "--year", "2025", "--book", book)
    code, stdout, err = run(capsys, *args)
    assert code == 0, err
    warned = [line for line in err.splitlines() if line.startswith("spm-sim: warning: ")]
    assert [w.split(":")[2].strip() for w in warned] == [
        "2025 paid under plan A 'Baseline 2026 AE plan'",
        "2025 paid under plan B 'Accelerated 2026 AE plan'",
    ]
    assert "incentive cost of sales 115% (the actual year) is above 25%" in warned[0]
    assert "column target_incentive" in warned[0]
    code, stdout, err = run(capsys, *args, "--strict")
    assert code == 2 and "incentive cost of sales 115%" in err and stdout.startswith("Book:")
    # the sample's own year raises no flag
    code, _, err = run(capsys, "payouts", BASELINE, "--year", "2025")
    assert code == 0 and "warning" not in err


# ---------------------------------------------------------------- --quotas (issue 17)


def _quota_file(path: Path, year: int, reps=("R001", "R002"), amount: float = 50_000.0) -> Path:
    rows = [f"{r},{year}-{m:02d},{amount}" for r in reps for m in range(1, 13)]
    path.write_text("rep_id,period,quota\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_payouts_without_history_says_what_a_cli_user_does(capsys):
    # 2023 is the sample's first year: no year before it to set quotas from
    code, _out, err = run(capsys, "payouts", BASELINE, "--year", "2023")
    assert code == 2
    assert "quotas=Quotas" not in err
    assert "a full year of closed-won deals before the year" in err
    assert "Export a longer period" in err and "--quotas FILE" in err


def test_payouts_and_backtest_take_a_quotas_file(tmp_path, capsys):
    q = _quota_file(tmp_path / "q.csv", 2023)
    code, out, err = run(capsys, "payouts", BASELINE, "--year", "2023", "--quotas", q)
    assert code == 0, err
    assert "2 reps paid" in out  # only the reps with a quota in the file
    code, out, err = run(capsys, "backtest", BASELINE, ACCELERATED, "--year", "2023", "--quotas", q)
    assert code == 0, err


def test_a_quotas_file_with_an_unknown_rep_names_its_line(tmp_path, capsys):
    q = _quota_file(tmp_path / "q.csv", 2025, reps=("R001", "R9X9"))
    code, _out, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--quotas", q)
    assert code == 2
    assert "q.csv, row 14, column 'rep_id'" in err and "'R9X9'" in err
    q.write_text("rep_id,period,quota\nR001,2025-01,abc\n", encoding="utf-8")
    code, _out, err = run(capsys, "payouts", BASELINE, "--year", "2025", "--quotas", q)
    assert code == 2 and "row 2, column 'quota'" in err and "'abc'" in err
    code, _out, err = run(
        capsys, "payouts", BASELINE, "--year", "2025", "--quotas", tmp_path / "none.csv"
    )
    assert code == 2 and "no such file" in err
