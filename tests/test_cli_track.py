"""``spm-sim track`` end to end on the sample's 30 June 2025 snapshot (small trials).

Two runs share the module: as of 31 May, then as of 30 June with ``--previous`` the
first and ``--proposal`` the Q4 SPIFF plan. Bad inputs are refused before any work
with one ``spm-sim: error:`` line and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from spm_sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "data" / "sample-2025-06-30"
BASELINE = ROOT / "data" / "plans" / "baseline.yaml"
SPIFF = ROOT / "data" / "plans" / "q4_spiff.yaml"
TRIALS = "150"


def _track(out: Path, as_of: str, *extra: str) -> list[str]:
    return [
        "track", "--book", str(SNAPSHOT), "--as-of", as_of, "--plan", str(BASELINE),
        "--trials", TRIALS, "--seed", "3", "--out", str(out), *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("track")
    may, june = base / "may", base / "june"
    outputs = {}
    capture = pytest.MonkeyPatch()
    import io
    import sys

    for name, argv in (
        ("may", _track(may, "2025-05-31")),
        ("june", _track(june, "2025-06-30", "--previous", str(may), "--proposal", str(SPIFF))),
    ):
        out, err = io.StringIO(), io.StringIO()
        capture.setattr(sys, "stdout", out)
        capture.setattr(sys, "stderr", err)
        try:
            code = main(argv)
        finally:
            capture.undo()
        outputs[name] = (code, out.getvalue(), err.getvalue())
    return {"may": may, "june": june, "outputs": outputs}


def test_track_writes_every_file(runs):
    code, out, err = runs["outputs"]["june"]
    assert code == 0, err
    june = runs["june"]
    for name in (
        "forecast_reps.csv", "company.csv", "company_months.csv", "leaderboard.csv",
        "accruals.csv", "accruals.csv.json", "accruals_reps.csv", "accrual_changes.csv",
        "warnings.csv", "payroll_to_date.csv", "payroll_to_date-unpaid.csv",
        "payroll_to_date-totals.json", "proposal.csv", "tracking.html", "manifest.json",
    ):  # fmt: skip
        assert (june / name).is_file(), name
    # the baseline plan has no contest: no empty contests table
    assert not (june / "contests.csv").exists()
    manifest = json.loads((june / "manifest.json").read_text())
    assert manifest["command"][:2] == ["spm-sim", "track"]
    reps = pd.read_csv(june / "forecast_reps.csv")
    assert len(reps) == 80
    assert ((reps.p_quota_low <= reps.p_quota) & (reps.p_quota <= reps.p_quota_high)).all()
    assert (reps.bookings_p10 <= reps.bookings_p90).all()
    assert (reps.bookings_p10 >= reps.bookings_to_date - 0.01).all()


def test_console_prints_page_one_with_units_and_intervals(runs):
    code, out, _err = runs["outputs"]["june"]
    assert code == 0
    assert "At 30 June 2025," in out
    assert "Year-end bookings, P50" in out and "95% interval" in out
    assert "Accrue $" in out and "for Q3" in out
    assert "Top of the leaderboard" in out
    assert "Early warnings:" in out
    assert "Since the run as of 2025-05-31" in out
    assert "The proposal 'Baseline AE plan with Q4 Analytics SPIFF' costs +$" in out
    assert "Traceback" not in out


def test_payroll_to_date_matches_the_accruals_to_the_cent(runs):
    june = runs["june"]
    payroll = pd.read_csv(june / "payroll_to_date.csv", dtype={"period": str})
    acc = pd.read_csv(june / "accruals.csv", dtype={"period": str})
    year = acc[acc.kind == "year"].iloc[0]
    assert round(payroll.amount.sum(), 2) == round(year.earned_to_date, 2)
    # nothing paid after the as-of month
    assert (payroll.loc[payroll.period > "2025-06", "amount"] == 0).all()
    totals = json.loads((june / "payroll_to_date-totals.json").read_text())
    assert totals["months_without_data"][0] == "2025-07"


def test_previous_run_is_compared(runs):
    changes = pd.read_csv(runs["june"] / "accrual_changes.csv", dtype={"period": str})
    june = changes.set_index("period").loc["2025-06"]
    assert (june.status_previous, june.status) == ("forecast", "actual")
    jan = changes.set_index("period").loc["2025-01"]
    assert jan.change == pytest.approx(0.0, abs=0.01)


def test_proposal_costs_money(runs):
    table = pd.read_csv(runs["june"] / "proposal.csv").set_index("figure")
    assert table.loc["incentive cost, year", "difference"] > 0
    assert "cost of 'analytics_spiff'" in table.index


def test_report_has_its_sections_and_no_paths(runs):
    text = (runs["june"] / "tracking.html").read_text("utf-8")
    for head in (
        "What to decide first", "Company forecast", "Accruals", "Leaderboard", "Contests",
        "Early warnings", "The proposal", "Method",
    ):  # fmt: skip
        assert f"<h2>{head}</h2>" in text
    assert "Since the run as of 2025-05-31" in text
    words = text.split("data:image")[0] + "".join(
        p.split('"', 1)[-1] for p in text.split("data:image")[1:]
    )
    assert str(runs["june"]) not in words and str(ROOT) not in words
    assert "<script" not in text and "http://" not in words and "https://" not in words


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("as_of", "plan", "words"),
    [
        ("2025-13-40", BASELINE, "is not a date"),
        ("2030-01-31", BASELINE, "after the book's data end"),
        ("2025-06-30", ROOT / "data" / "plans" / "sdr_recoverable_draw.yaml", "SDR"),
    ],
)
def test_bad_inputs_give_one_line(tmp_path, capsys, as_of, plan, words):
    argv = [
        "track", "--book", str(SNAPSHOT), "--as-of", as_of, "--plan", str(plan),
        "--trials", "20", "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    code, _out, err = _run(argv, capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("spm-sim: error:")]
    assert len(lines) == 1 and words in lines[0], err
    assert "Traceback" not in err


def test_previous_of_another_plan_is_refused(runs, tmp_path, capsys):
    argv = [
        "track", "--book", str(SNAPSHOT), "--as-of", "2025-06-30",
        "--plan", str(ROOT / "data" / "plans" / "accelerated.yaml"), "--trials", "20",
        "--previous", str(runs["may"]), "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    code, _out, err = _run(argv, capsys)
    assert code == 2
    assert err.startswith("spm-sim: error: --previous is a run of plan 'Baseline 2026 AE plan'")
    assert not (tmp_path / "out").exists()


def test_existing_run_needs_force(runs, capsys):
    code, _out, err = _run(_track(runs["may"], "2025-05-31"), capsys)
    assert code == 2 and "--force" in err


# ---------------------------------------------------------------- issue 17 walk-through


def test_page_one_says_where_the_target_comes_from_and_what_the_cost_is_against(runs):
    _code, out, _err = runs["outputs"]["june"]
    flat = " ".join(out.split())
    assert "set from 2024's bookings with no growth because --quotas was not given" in flat
    assert "target incentive" in flat and "of the year's bookings (the cost of sales" in flat
    assert "Cost of sales" in flat
    # the plan is named for 2026 and tracks 2025
    assert "says 2026 but the year tracked is 2025" in flat


def test_the_proposal_without_a_response_says_so(runs):
    _code, out, _err = runs["outputs"]["june"]
    flat = " ".join(out.split())
    assert "The reps' response to it is not modelled (no scenario was given)" in flat
    assert "$0 by construction" in flat and "in_year_response.yaml" in flat
    text = " ".join((runs["june"] / "tracking.html").read_text("utf-8").split())
    assert "not modelled" in text and "Behaviour off" not in text


def test_the_change_since_the_previous_run_is_split(runs):
    _code, out, _err = runs["outputs"]["june"]
    flat = " ".join(out.split())
    assert "in the months already paid then (Jan-May 2025)" in flat
    assert "in the months booked since (Jun 2025: forecast then, actual now)" in flat
    assert "in the forecast of the rest (Jul-Dec 2025)" in flat
    # no rep is hired or leaves between 31 May and 30 June: the quotas set at the year's
    # start are the same in both runs
    assert "The quotas are the same in both runs." in flat and "quotas differ" not in flat
    changes = pd.read_csv(runs["june"] / "accrual_changes.csv", dtype={"period": str})
    months = changes[changes.kind == "month"].change.sum()
    year = changes[changes.kind == "year"].change.iloc[0]
    assert months == pytest.approx(year, abs=0.05)  # the three parts add up to the year's


def test_leaderboard_ranks_by_attainment_to_date(runs):
    _code, out, _err = runs["outputs"]["june"]
    board = pd.read_csv(runs["june"] / "leaderboard.csv")
    att = board.attainment_to_date.to_numpy()
    assert (att[:-1] >= att[1:] - 1e-9).all()
    assert board.position.iloc[0] == 1 and list(board.position[:3]) == [1, 2, 3]
    assert "Pace to date" in out and "1. " in out and out.count("\n1. ") == 1
    text = (runs["june"] / "tracking.html").read_text("utf-8")
    assert "Ranked by attainment to date" in text and "It is not a projection" in text


def test_counts_agree_and_no_false_certainty(runs):
    _code, out, _err = runs["outputs"]["june"]
    flat = " ".join(out.split())
    w = pd.read_csv(runs["june"] / "warnings.csv")
    own = int((w.level != "company").sum())
    company = int((w.level == "company").sum())
    said = f"{own} rep and region warning"
    assert said in flat
    if company:
        assert f"+ {company} company-level" in flat
    text = " ".join((runs["june"] / "tracking.html").read_text("utf-8").split())
    assert said in text
    assert "100% (100% to 100%)" not in flat and "100% (100% to 100%)" not in text
    assert "0% (0% to 0%)" not in flat


def test_csvs_hold_cents_and_four_decimals(runs):
    june = runs["june"]
    for name in ("accruals.csv", "forecast_reps.csv", "leaderboard.csv", "company_months.csv"):
        text = (june / name).read_text()
        assert "e-" not in text and ",-0.0," not in text and ",-0.0\n" not in text, name
        frame = pd.read_csv(june / name)
        for col in frame.select_dtypes("float").columns:
            values = frame[col].dropna()
            digits = values.map(lambda x: len(repr(float(x)).split(".")[-1]))
            assert values.empty or digits.max() <= 4, (name, col)


def test_short_history_says_what_track_needs(tmp_path, capsys):
    argv = [
        "track", "--as-of", "2023-06-30", "--plan", str(BASELINE), "--trials", "20",
        "--out", str(tmp_path / "out"),
    ]  # fmt: skip
    code, _out, err = _run(argv, capsys)
    assert code == 2 and "Traceback" not in err
    assert "needs a full year of closed-won deals before 2023 (2022-01-01 to 2022-12-31)" in err
    assert "Export a longer period" in err and "--quotas FILE" in err
    assert "quotas=Quotas" not in err
    assert not (tmp_path / "out").exists()


def test_a_quota_rep_hired_after_the_date_is_left_out_with_a_note(tmp_path, capsys):
    from spm_sim.book import load_book

    reps = load_book(SNAPSHOT).reps
    ids = list(reps.rep_id[reps.role == "AE"])
    rows = [f"{r},2025-{m:02d},100000" for r in ids for m in range(1, 13)]
    q = tmp_path / "q.csv"
    q.write_text("rep_id,period,quota\n" + "\n".join(rows) + "\n")
    argv = [
        "track", "--book", str(SNAPSHOT), "--as-of", "2025-03-31", "--plan", str(BASELINE),
        "--quotas", str(q), "--target", "120M", "--trials", "30", "--out", str(tmp_path / "o"),
    ]  # fmt: skip
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "R084 (hired 2025-05-01)" in flat and "left out of this run until their hire" in flat
    assert "the company's number, --target" in flat and "$120M target" in flat
    reps_out = pd.read_csv(tmp_path / "o" / "forecast_reps.csv")
    assert "R084" not in set(reps_out.rep_id)
