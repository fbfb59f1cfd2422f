"""``--behaviour`` of run and demo (the reps' response when plans are compared), the
model's failed back-test checks in the run's summary and report, and the response
estimates of ``spm-sim fit``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spm_sim import load_sample, sample_scenario
from spm_sim.cli import main
from spm_sim.cli.run import with_behaviour
from spm_sim.productivity import Behaviour

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
ACCELERATED = SCENARIOS / "accelerated.yaml"


@pytest.fixture(scope="module")
def books():
    base = sample_scenario("baseline")
    return {base.book: load_sample()}


def test_auto_gives_the_books_response_only_when_plans_are_compared(books):
    base, alt = sample_scenario("baseline"), sample_scenario("accelerated")
    alone, est = with_behaviour([base], books, "auto")
    assert alone == [base] and est is None  # a lone scenario runs as written
    same, est = with_behaviour([base, base.replace(name="again")], books, "auto")
    assert all(s.behaviour is None for s in same) and est is None  # nothing compared
    both, est = with_behaviour([base, alt], books, "auto")
    assert est is not None and all(s.behaviour == est.behaviour for s in both)
    # the history is read against the first scenario's plan
    assert est.behaviour.reference_plan == base.plan
    assert both[1].plan == alt.plan and both[1].quota == alt.quota  # nothing else moves


def test_a_written_block_is_kept_and_off_removes_every_block(books):
    base, alt = sample_scenario("baseline"), sample_scenario("accelerated")
    own = alt.replace(behaviour=Behaviour(effort_elasticity=0.5))
    out, est = with_behaviour([base, own], books, "auto")
    assert out[1].behaviour == own.behaviour and out[0].behaviour == est.behaviour
    off, est = with_behaviour([base, own], books, "off")
    assert est is None and all(s.behaviour is None for s in off)
    written, est = with_behaviour([base, own], books, "as-written")
    assert est is None and written == [base, own]
    book, est = with_behaviour([base], books, "book")  # even alone
    assert est is not None and book[0].behaviour == est.behaviour


def test_run_splits_each_difference_and_carries_the_model_checks(tmp_path, capsys):
    argv = ["run", str(BASELINE), str(ACCELERATED), "--trials", "60", "--no-save"]
    assert main([*argv, "--out", str(tmp_path / "on")]) == 0
    on = capsys.readouterr()
    text = " ".join(on.out.split())  # the summary is wrapped to the terminal
    assert "--behaviour auto" in on.err and "Reps' response: of the" in text
    # the sample's 2025 back-test misses July: the summary says so, and what it means
    assert "Model check: FAILS" in text
    html = (tmp_path / "on" / "report.html").read_text(encoding="utf-8")
    assert "<b>Model check:</b> FAILS" in html and "reps&#x27; response" in html.lower()
    assert (tmp_path / "on" / "response.csv").is_file()
    # the report names the response used and where each size came from (book or prior)
    assert "respond as estimated from the book read against" in html
    assert "effort elasticity 0.20 (prior; 95% 0.00 to 0.44)" in html
    assert main([*argv, "--out", str(tmp_path / "off"), "--behaviour", "off"]) == 0
    off = capsys.readouterr()
    assert "--behaviour" not in off.err and "Reps' response" not in " ".join(off.out.split())
    assert not (tmp_path / "off" / "response.csv").exists()
    # without a response the two plans pay the same sales; with it, the steeper plan sells more
    sales = {}
    for run in ("on", "off"):
        summary = pd.read_csv(tmp_path / run / "summary.csv").set_index(["metric", "scenario"])
        sales[run] = summary.loc["company_bookings", "mean"]
    assert sales["off"]["Accelerated 2026"] == sales["off"]["Baseline 2026"]
    assert sales["on"]["Accelerated 2026"] > sales["on"]["Baseline 2026"]


def test_fit_prints_the_response_read_against_the_plan(tmp_path, capsys):
    plan = Path(__file__).resolve().parents[1] / "data" / "plans" / "baseline.yaml"
    argv = ["fit", "--plan-year", "2026", "--sims", "40", "--plan", str(plan)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Reps' response to the plan" in out
    assert "reference plan: 'Baseline 2026 AE plan'" in out
    assert "the prior weighs more" in out  # the sample identifies little: said per effect


def test_report_rebuilds_the_split_and_its_range_byte_for_byte(tmp_path, capsys):
    """spm-sim report of a run that compared plans with the book's response: the split,
    its range at both ends and the note naming the sizes come back as the run wrote them."""
    run = tmp_path / "run"
    assert main(["run", str(BASELINE), str(ACCELERATED), "--trials", "50", "--out", str(run)]) == 0
    assert main(["report", str(run), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    capsys.readouterr()
    for name in ("report.html", "response.csv", "summary.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (run / name).read_bytes(), name
    split = pd.read_csv(run / "response.csv")
    assert {"response_low", "response_high"} <= set(split["part"])
