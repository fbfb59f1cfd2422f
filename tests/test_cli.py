"""The spm-sim command, run end to end as a user would (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spm_sim.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "data" / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
ACCELERATED = SCENARIOS / "accelerated.yaml"
PLANS = REPO / "data" / "plans"

#: what run and demo say on stderr when they compare plans with the book's response
RESPONSE_NOTE = (
    "spm-sim: note: reps' response to the plan (--behaviour auto): Baseline 2026, "
    "Accelerated 2026, Multi-measure 2026 respond as estimated from the book relative to "
    "'Baseline 2026 AE plan' (1 of 11 effects informed by the book, the others at their "
    "literature priors; 'spm-sim fit' lists them). --behaviour off compares the plans "
    "without it.\n"
)


def spm_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m spm_sim.cli ARGS`` in ``cwd``; stdout is a pipe, not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "spm_sim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _scenario_file(tmp_path: Path, **changes) -> Path:
    """A copy of the baseline scenario with absolute book/plan paths and ``changes``."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["book"] = str((SCENARIOS / data["book"]).resolve())
    data["plan"] = str((SCENARIOS / data["plan"]).resolve())
    data.update(changes)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_demo_writes_report_and_tables(tmp_path):
    proc = spm_sim("demo", "--trials", "200", "--out", "tmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "tmp").resolve()
    report = out / "demo.html"
    assert report.is_file() and report.stat().st_size > 50_000
    expected = [
        "summary.csv",
        "reps_baseline-2026.csv",
        "trials_baseline-2026.csv",
        "reps_accelerated-2026.csv",
        "trials_accelerated-2026.csv",
        "reps_multi-measure-2026.csv",
        "trials_multi-measure-2026.csv",
        "reps_people-and-behaviour-2026.csv",
        "trials_people-and-behaviour-2026.csv",
    ]
    for name in expected:
        assert (out / name).is_file(), name
        assert str(out / name) in proc.stdout
    assert str(report) in proc.stdout
    # the headline numbers and the elapsed time are printed; nothing on stderr
    assert "Probability of reaching the company target" in proc.stdout
    assert "Incentive cost, P90" in proc.stdout
    assert "Baseline 2026" in proc.stdout and "Accelerated 2026" in proc.stdout
    assert "4 scenarios x 200 trials in" in proc.stdout
    # on stderr only the note that the plans are compared with the reps' response
    assert proc.stderr == RESPONSE_NOTE
    assert "Reps' response: of the" in proc.stdout  # the split of each difference
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["scenario"]) == {
        "Baseline 2026",
        "Accelerated 2026",
        "Multi-measure 2026",
        "People and behaviour 2026",
    }
    assert "During the year: people, behaviour, programmes" in report.read_text(encoding="utf-8")
    assert (summary["n_trials"] == 200).all()
    text = report.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") >= 4
    # run again into the same folder, as `make demo` does: the earlier demo is replaced
    again = spm_sim("demo", "--trials", "30", "--out", "tmp", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith(RESPONSE_NOTE + "spm-sim: note: replacing the run in tmp ('spm-")
    assert (pd.read_csv(out / "summary.csv")["n_trials"] == 30).all()
    from spm_sim._files import manifest_problems, read_manifest

    assert manifest_problems(out) == [] and "30" in read_manifest(out)["command"]


@pytest.mark.slow
def test_run_with_seed_is_reproducible(tmp_path):
    runs = {}
    for tag, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        proc = spm_sim(
            "run",
            str(BASELINE),
            str(ACCELERATED),
            "--trials",
            "150",
            "--seed",
            seed,
            "--out",
            tag,
            "--quiet",
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert str((tmp_path / tag / "report.html").resolve()) in proc.stdout
        runs[tag] = (tmp_path / tag / "summary.csv").read_bytes()
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]  # the seed matters, so the equality above means something
    assert (tmp_path / "a" / "report.html").read_bytes() == (
        tmp_path / "b" / "report.html"
    ).read_bytes()
    summary = pd.read_csv(tmp_path / "a" / "summary.csv")
    assert (summary["n_trials"] == 150).all() and summary["paired"].all()


def test_run_default_out_and_table(tmp_path):
    proc = spm_sim("run", str(BASELINE), "--trials", "100", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "reports" / "baseline-2026"
    assert (folder / "report.html").is_file() and (folder / "summary.csv").is_file()
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["Baseline", "2026"]
    assert any(line.startswith("Incentive cost, P50 (median)") and "$" in line for line in lines)
    assert f"Report: {(folder / 'report.html').resolve()}" in proc.stdout
    assert proc.stderr == ""  # no progress bar when stdout is not a terminal


def test_bad_scenario_field_is_reported_without_traceback(tmp_path):
    path = _scenario_file(tmp_path, trails=500)
    proc = spm_sim("run", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("spm-sim: error: ")
    assert str(path) in proc.stderr
    assert "trails" in proc.stderr and "Did you mean 'trials'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_bad_plan_value_is_reported(tmp_path):
    path = _scenario_file(
        tmp_path,
        plan={
            "name": "P",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "tiers": [{"start": 0, "end": 1.0, "rate": 1.0}, {"start": 1.2, "rate": 2.0}],
                }
            ],
        },
    )
    proc = spm_sim("run", str(path), "--trials", "10", cwd=tmp_path)
    assert proc.returncode == 2
    assert "tier 2" in proc.stderr and "1.2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file(tmp_path):
    proc = spm_sim("run", "no/such/scenario.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("spm-sim: error: ")
    assert "no/such/scenario.yaml" in proc.stderr and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("bad", ["0", "-5", "many"])
def test_trials_must_be_positive(tmp_path, bad):
    proc = spm_sim("run", str(BASELINE), "--trials", bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert "--trials" in proc.stderr and "usage: spm-sim run" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version_and_help(tmp_path):
    proc = spm_sim("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("spm-sim ")
    proc = spm_sim("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in ("--trials", "--seed", "--out", "--workers", "--quiet"):
        assert option in proc.stdout


def test_installed_script(tmp_path):
    script = Path(sys.executable).with_name("spm-sim")
    if not script.exists():
        pytest.skip("spm-sim script not installed in this environment")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("spm-sim ")


def test_main_in_process_returns_exit_code(tmp_path, capsys):
    assert main(["run", str(tmp_path / "absent.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spm-sim: error: ") and "absent.yaml" in err


def test_parser_requires_a_command():
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([])
    assert exc.value.code == 2


def test_demo_without_data_folder_is_a_clear_error(tmp_path, capsys, monkeypatch):
    import spm_sim.scenario  # the demo reads the folder from here when it runs

    monkeypatch.setattr(spm_sim.scenario, "SAMPLE_SCENARIOS", tmp_path / "nowhere")
    assert main(["demo", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spm-sim: error: the demo scenarios are not here")
    assert str(tmp_path / "nowhere" / "baseline.yaml") in err
    assert not (tmp_path / "out").exists()


def test_check_summarises_a_valid_book(tmp_path):
    proc = spm_sim("check", str(REPO / "data" / "sample"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "valid." in proc.stdout
    deals = len(pd.read_csv(REPO / "data" / "sample" / "bookings.csv", usecols=["deal_id"]))
    assert f"{'bookings':<13} {deals:>8,} rows" in proc.stdout
    assert "opportunities: 2,113 open, 7,529 won, 14,376 lost" in proc.stdout
    assert "reps employed on 2025-12-31: 80 in 4 regions" in proc.stdout


def test_check_accepts_a_book_without_deals_or_snapshot_date(tmp_path, capsys):
    # a new team: no deals yet and no snapshot date; valid, and nothing to date reps by
    book = tmp_path / "book"
    book.mkdir()
    for f in (REPO / "data" / "sample").iterdir():
        (book / f.name).write_bytes(f.read_bytes())
    header = (book / "bookings.csv").read_text(encoding="utf-8").splitlines()[0]
    (book / "bookings.csv").write_text(header + "\n", encoding="utf-8")
    (book / "pipeline.csv").write_text(
        (book / "pipeline.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
    )
    (book / "stage_history.csv").unlink()  # no opportunities, so no stage history
    meta = yaml.safe_load((book / "book.yaml").read_text(encoding="utf-8"))
    del meta["snapshot_date"]
    (book / "book.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    assert main(["check", str(book)]) == 0
    out = capsys.readouterr().out
    assert "valid." in out and f"{'bookings':<13} {0:>8,} rows" in out
    assert "reps employed: not dated" in out


def test_check_names_the_bad_cell(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for f in (REPO / "data" / "sample").iterdir():
        (book / f.name).write_bytes(f.read_bytes())
    lines = (book / "bookings.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[6].split(",")  # line 7 of the file
    cells[header.index("date")] = "2024-13-45"
    lines[6] = ",".join(cells)
    (book / "bookings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = spm_sim("check", str(book), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bookings.csv, row 7, column 'date'" in proc.stderr
    assert "2024-13-45" in proc.stderr and "YYYY-MM-DD" in proc.stderr


def _metric(stdout: str, plan: str, label: str) -> str:
    """The value printed on ``label``'s line in the block of ``plan``."""
    block = stdout.split(plan, 1)[1].split("\n\n", 1)[0]
    (line,) = [line for line in block.splitlines() if line.strip().startswith(label)]
    return line.split()[-1]


def test_curve_writes_figure_table_and_leverage(tmp_path):
    proc = spm_sim(
        "curve",
        str(PLANS / "baseline.yaml"),
        str(PLANS / "accelerated.yaml"),
        "--out",
        "figs/curves.png",
        "--csv",
        "curves.csv",
        "--quota",
        "1000000",
        "--ti",
        "100000",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    png = tmp_path / "figs" / "curves.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert f"Figure: {png.resolve()}" in proc.stdout
    assert f"Table: {(tmp_path / 'curves.csv').resolve()}" in proc.stdout
    base, acc = "Baseline 2026 AE plan", "Accelerated 2026 AE plan"
    # Baseline: 1.0x TCR to quota, 1.5x to 150%. At quota 1.0 TI; at 150%
    # 1.0 + 1.5 x 0.5 = 1.75 TI; effective rate 1.75 / 1.5 = 1.167x TCR.
    # Cost of sales at quota: $100,000 / $1,000,000 = 10%.
    assert _metric(proc.stdout, base, "Payout at quota") == "1.000"
    assert _metric(proc.stdout, base, "Payout at 150% = leverage") == "1.750"
    assert _metric(proc.stdout, base, "Effective rate at 150%") == "1.167"
    assert _metric(proc.stdout, base, "Cost of sales at quota") == "10.00%"
    # Accelerated: 0.8 x 0.5 + 1.2 x 0.5 = 1.0 TI at quota; 1.0 + 2.5 x 0.5 = 2.25 TI
    # at 150%; effective rate 2.25 / 1.5 = 1.5x TCR.
    assert _metric(proc.stdout, acc, "Payout at quota") == "1.000"
    assert _metric(proc.stdout, acc, "Payout at 150% = leverage") == "2.250"
    assert _metric(proc.stdout, acc, "Effective rate at 150%") == "1.500"
    table = pd.read_csv(tmp_path / "curves.csv")
    assert list(table.columns) == ["plan", "attainment", "payout_over_ti", "effective_rate"]
    assert len(table) == 2 * 251  # 0%, 1%, ..., 250% for each plan
    at_150 = table[table["attainment"] == 1.5].set_index("plan")["payout_over_ti"]
    assert at_150.to_dict() == pytest.approx({base: 1.75, acc: 2.25})


def test_curve_without_quota_gives_cost_in_ti_over_quota(tmp_path):
    proc = spm_sim(
        "curve",
        str(PLANS / "baseline.yaml"),
        "--out",
        "c.png",
        "--max-attainment",
        "2",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert _metric(proc.stdout, "Baseline 2026", "Cost of sales at quota (x TI/quota)") == "1.000"
    assert (tmp_path / "c.png").stat().st_size > 20_000


def test_curve_bad_plan_names_file_and_field(tmp_path):
    text = (PLANS / "baseline.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("threshold: 0.5", "treshold: 0.5"), encoding="utf-8")
    proc = spm_sim("curve", str(PLANS / "baseline.yaml"), str(bad), "--out", "c.png", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("spm-sim: error: ")
    assert str(bad) in proc.stderr
    assert "treshold" in proc.stderr and "Did you mean 'threshold'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "c.svg"], "written as PNG"),
        (["--out", "c.png", "--quota", "5"], "give --quota and --ti together"),
        (
            ["--out", "c.png", "--max-attainment", "0"],
            "--max-attainment: must be in (0, 20], got 0",
        ),
    ],
)
def test_curve_bad_options(tmp_path, args, message):
    proc = spm_sim("curve", str(PLANS / "baseline.yaml"), *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_payouts_writes_payroll_and_prints_a_statement(tmp_path):
    out = tmp_path / "pay" / "payroll.csv"
    plan = REPO / "data" / "plans" / "baseline.yaml"
    proc = spm_sim(
        "payouts",
        str(plan),
        "--year",
        "2025",
        "--out",
        str(out),
        "--statement",
        "R002",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    payroll = pd.read_csv(out, dtype={"rep_id": str, "period": str})
    assert list(payroll.columns) == ["rep_id", "period", "component", "amount", "currency"]
    # 12 months for every rep on quota in 2025, one component
    assert len(payroll) == 12 * payroll["rep_id"].nunique()
    r002 = payroll.loc[payroll["rep_id"] == "R002", "amount"].sum()
    # the statement printed for R002 ends with the same total as its payroll rows
    total_line = next(line for line in proc.stdout.splitlines() if line.startswith("Total paid"))
    assert f"${r002:,.2f}" in total_line
    assert "Incentive statement for R002" in proc.stdout
    # every 2025 deal is credited: the year's hires carry a prorated quota
    assert "Not paid:" not in proc.stdout


def test_backtest_prints_both_plans_and_writes_the_rep_table(tmp_path):
    plans = REPO / "data" / "plans"
    out = tmp_path / "bt.csv"
    proc = spm_sim(
        "backtest",
        str(plans / "baseline.yaml"),
        str(plans / "accelerated.yaml"),
        "--year",
        "2025",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Biggest losers under B" in proc.stdout and "Biggest gainers under B" in proc.stdout
    reps = pd.read_csv(out)
    # money to the cent
    assert np.allclose(reps["difference"], reps["payout_b"] - reps["payout_a"], atol=0.005)
    assert reps["difference"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2019"], "has no bookings in 2019; it has bookings in: 2023, 2024, 2025"),
        (["--year", "2025", "--statement", "R999"], "rep 'R999' has no quota in 2025"),
    ],
)
def test_payouts_errors(tmp_path, args, message):
    plan = REPO / "data" / "plans" / "baseline.yaml"
    proc = spm_sim("payouts", str(plan), *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_payouts_scores_file_errors_name_file_line_and_value(tmp_path):
    plans = REPO / "data" / "plans"
    scores = tmp_path / "scores.csv"
    scores.write_text("rep_id,period,measure,score\nR001,2025-03,mbo_score,high\n")
    proc = spm_sim(
        "payouts",
        str(plans / "sdr_recoverable_draw.yaml"),
        "--year",
        "2025",
        "--scores",
        str(scores),
        cwd=tmp_path,
    )
    # the SDR plan is for role SDR and the sample's reps are AEs: that is said first
    assert proc.returncode == 2 and "is for role 'SDR'" in proc.stderr
    plan = tmp_path / "mbo.yaml"
    text = (plans / "sdr_recoverable_draw.yaml").read_text().replace("role: SDR", "role: AE")
    plan.write_text(text)
    proc = spm_sim("payouts", str(plan), "--year", "2025", "--scores", str(scores), cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{scores} line 2: score 'high' must be a number >= 0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_trials_beyond_a_scenarios_limit_are_refused_when_read(capsys):
    from spm_sim.cli.args import MAX_TRIALS
    from spm_sim.scenario import Scenario

    # the CLI's bound is the scenario's own, so a run never starts to fail later
    limit = [m.le for m in Scenario.model_fields["trials"].metadata if hasattr(m, "le")]
    assert limit == [MAX_TRIALS]
    for command, low in ((["run", "x.yaml"], 1), (["demo"], 1), (["quotas", "x.yaml"], 100)):
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args([*command, "--trials", "1000000000"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"--trials: must be between {low} and 10,000,000, got 1000000000" in err


@pytest.mark.parametrize(
    "command, clash",
    [
        (
            [
                "payouts",
                str(PLANS / "baseline.yaml"),
                "--year",
                "2025",
                "--out",
                "{book}/bookings.csv",
            ],
            "is inside",
        ),
        (
            ["align", "{book}/accounts.csv", "--territories", "5", "--out", "{book}/accounts.csv"],
            "is ",
        ),
        (["curve", str(PLANS / "baseline.yaml"), "--out", str(PLANS / "baseline.yaml")], "is "),
        # the book a scenario names, with --force: an input is never an earlier output
        (["run", "{scenario}", "--out", "{book}", "--force"], "is "),
        (["run", "{scenario}", "--out", "{book}/run"], "is inside"),
        (["fit", "--book", "{book}", "--plan-year", "2026", "--out", "{book}/fit"], "is inside"),
    ],
)
def test_an_output_that_would_overwrite_an_input_is_refused_before_any_work(
    tmp_path, capsys, command, clash
):
    import shutil

    from spm_sim.book import SAMPLE_DIR

    book = tmp_path / "book"
    shutil.copytree(SAMPLE_DIR, book)
    scenario = _scenario_file(tmp_path, book="book")  # relative to the scenario file
    args = [a.format(book=book, scenario=scenario) for a in command]
    if args[0] == "payouts":
        args += ["--book", str(book)]
    before = {p.name: p.read_bytes() for p in book.iterdir()}
    plan_before = (PLANS / "baseline.yaml").read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--out {args[args.index('--out') + 1]}: {clash}" in err
    assert "which this command reads; write the output elsewhere" in err
    if args[0] == "run":
        assert f"{book} (book, field 'book' of {scenario})" in err
    assert {p.name: p.read_bytes() for p in book.iterdir()} == before  # nothing written
    assert (PLANS / "baseline.yaml").read_bytes() == plan_before


# --- every numeric option bounded by the parser, with the option's name ------------------

#: command prefix, option, bad values; each must be refused by argparse naming the option.
_BAD_VALUES = [
    (["run", "s.yaml"], "--trials", ["0", "-5", "1e3", "nan", "10000001"]),
    (["run", "s.yaml"], "--workers", ["0", "257", "-1", "many"]),
    (["run", "s.yaml"], "--seed", ["-1", str(2**63), "1.5"]),
    (["run", "s.yaml"], "--precision", ["0", "-1%", "nan", "150%", "inf", "one"]),
    (["run", "s.yaml", "--precision", "1%"], "--max-trials", ["0", "10000001", "1.5"]),
    (["run", "s.yaml"], "--executor", ["threads", "Dask"]),
    (["demo"], "--trials", ["0", "99999999999"]),
    (["demo"], "--workers", ["0", "100000"]),
    (["curve", "p.yaml", "--out", "c.png"], "--max-attainment", ["0", "nan", "inf", "1e308"]),
    (["curve", "p.yaml", "--out", "c.png"], "--quota", ["0", "-5", "nan", "inf", "1e308"]),
    (["curve", "p.yaml", "--out", "c.png"], "--ti", ["0", "nan", "2e12", "0.001"]),
    (["align", "u.csv", "--out", "a.csv"], "--territories", ["0", "-3", "10001", "2.5"]),
    (["align", "u.csv", "--territories", "5", "--out", "a.csv"], "--penalty", ["-1", "nan", "inf"]),
    (["align", "u.csv", "--territories", "5", "--out", "a.csv"], "--time-limit", ["0", "nan"]),
    (
        ["align", "u.csv", "--territories", "5", "--out", "a.csv"],
        "--max-disruption",
        ["1.5", "nan"],
    ),
    (
        ["align", "u.csv", "--territories", "5", "--out", "a.csv"],
        "--balance",
        ["potential=nan", "potential=-1", "potential=inf", "potential=11", "x"],
    ),
    (["align", "u.csv", "--territories", "5", "--out", "a.csv"], "--seed", ["-2"]),
    (["quotas", "s.yaml"], "--target", ["0", "-5", "nan", "inf", "1e308", "2e15", "1e-300"]),
    (["quotas", "s.yaml"], "--growth", ["-1", "-100%", "nan", "6", "inf"]),
    (["quotas", "s.yaml"], "--over-assignment", ["-0.1", "nan", "3", "250%"]),
    (["quotas", "s.yaml"], "--region-over-assignment", ["-1", "inf"]),
    (["quotas", "s.yaml"], "--history-weights", ["nan", "-1,0.5", ",".join(["0.1"] * 11)]),
    (["quotas", "s.yaml"], "--weights", ["history=nan", "history=2", "history"]),
    (["quotas", "s.yaml"], "--probability", ["0", "1", "nan", "150%"]),
    (["quotas", "s.yaml"], "--share-at-quota", ["0", "100%", "-0.5"]),
    (["quotas", "s.yaml"], "--trials", ["99", "0", "10000001"]),
    (["quotas", "s.yaml"], "--compare-over-assignment", ["nan", "3", ",".join(["0"] * 21)]),
    (["fit"], "--plan-year", ["1850", "9999", "-1", "twenty"]),
    (["fit", "--plan-year", "2026"], "--sims", ["19", "0", "100001"]),
    (["capacity", "c.yaml"], "--replications", ["0", "10001", "1e3"]),
    (["capacity", "c.yaml"], "--workers", ["0", "257"]),
    (["headcount", "c.yaml"], "--within", ["0", "-1", "nan", "inf", "2001"]),
    (["headcount", "c.yaml"], "--share", ["0", "1", "nan", "90"]),
    (["headcount", "c.yaml"], "--max-utilisation", ["0", "1.5", "nan"]),
    (["headcount", "c.yaml"], "--target", ["share=nan", "within=inf", "utilisation<=2"]),
]


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [(c, o, v) for c, o, values in _BAD_VALUES for v in values],
    ids=lambda x: x if isinstance(x, str) else " ".join(x)[:20],
)
def test_every_numeric_option_is_bounded_by_the_parser(capsys, command, option, value):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*command, f"{option}={value}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "error:" in x]
    assert f"error: argument {option}" in line and "Traceback" not in err


def _small_units(folder: Path) -> Path:
    """Six units on a line, two current reps: an alignment solved in well under a second."""
    units = pd.DataFrame(
        {
            "unit_id": list("abcdef"),
            "x": [0, 1, 2, 3, 4, 5],
            "y": [0, 0, 0, 0, 1, 1],
            "potential": 5.0,
            "cur": ["R1", "R1", "R2", "R2", "R1", "R2"],
        }
    )
    units.to_csv(folder / "u.csv", index=False)
    return folder / "u.csv"


#: Each option at the largest value its parser takes, run end to end on small inputs.
#: ``None``: the command runs (exit 0); an option: it is refused with one located
#: message naming that option (memory, with 2 GB free), never by an error of the
#: library the parser's bound disagrees with.
_LARGEST = [
    (
        "curve-quota-ti-max",
        ["curve", str(PLANS / "baseline.yaml"), "--quota", "1e12", "--ti", "1e12"]
        + ["--max-attainment", "20", "--out", "c.png", "--csv", "c.csv"],
        None,
    ),
    (
        "curve-quota-max-ti-min",
        ["curve", str(PLANS / "baseline.yaml"), "--quota", "1e12", "--ti", "0.01"]
        + ["--out", "c.png", "--csv", "c.csv"],
        None,
    ),
    (
        "curve-quota-min-ti-max",
        ["curve", str(PLANS / "baseline.yaml"), "--quota", "0.01", "--ti", "1e12"]
        + ["--out", "c.png", "--csv", "c.csv"],
        None,
    ),
    (
        "quotas-target-max",
        ["quotas", str(BASELINE), "--target", "1e15", "--over-assignment", "0"]
        + ["--region-over-assignment", "0", "--trials", "100", "--out", "q.csv"],
        None,
    ),
    (
        "quotas-growth-and-over-assignment-max",
        ["quotas", str(BASELINE), "--growth", "500%", "--over-assignment", "200%"]
        + ["--region-over-assignment", "2", "--trials", "100", "--out", "q.csv"],
        None,
    ),
    ("quotas-trials-max", ["quotas", str(BASELINE), "--trials", "10000000"], "--trials"),
    ("run-trials-max", ["run", str(BASELINE), "--trials", "10000000"], "--trials"),
    (
        "run-max-trials-max",
        ["run", str(BASELINE), "--precision", "1%", "--max-trials", "10000000"],
        "--max-trials",
    ),
    ("fit-sims-max", ["fit", "--plan-year", "2026", "--sims", "100000"], "--sims"),
    (
        "align-penalty-and-time-limit-max",
        ["align", "u.csv", "--territories", "2", "--current", "cur", "--penalty", "1e9"]
        + ["--time-limit", "86400", "--balance", "potential=10", "--no-figure", "--out", "a.csv"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("argv", "refused"), [c[1:] for c in _LARGEST], ids=[c[0] for c in _LARGEST]
)
def test_the_largest_values_run_or_are_refused_naming_the_option(
    tmp_path, monkeypatch, capsys, argv, refused
):
    monkeypatch.chdir(tmp_path)
    _small_units(tmp_path)
    _scarce_memory(monkeypatch, 2.0)
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if refused is not None:
        assert code == 2
        assert err.startswith(f"spm-sim: error: {refused} ") and err.count("\n") == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["u.csv"]  # nothing written
        return
    assert code == 0, err
    assert all(line.startswith("spm-sim: warning: ") for line in err.splitlines())
    if argv[0] == "curve":
        table = pd.read_csv(tmp_path / "c.csv")
        booked = table[table["attainment"] > 0]  # no rate on nothing booked (an empty cell)
        assert np.isfinite(booked[["payout_over_ti", "effective_rate"]].to_numpy()).all()
        assert table["attainment"].max() == (20 if "--max-attainment" in argv else 2.5)
        assert "inf" not in out and "nan" not in out
        assert (tmp_path / "c.png").stat().st_size > 0
    elif "--target" in argv:  # a company target of 1e15, shared out to the cent
        q = pd.read_csv(tmp_path / "q.csv")
        assert q["quota"].sum() == pytest.approx(1e15, rel=1e-12)
    elif argv[0] == "quotas":  # last year x 6, over-assigned x 3 at each level
        q = pd.read_csv(tmp_path / "q.csv")
        regions = [line.split() for line in out.splitlines() if line.startswith("  region ")]
        assert regions and all(row[-2:] == ["200.0%", "200.0%"] for row in regions)
        assert np.isfinite(q["quota"]).all()
    else:
        assert len(pd.read_csv(tmp_path / "a.csv")) == 6


def test_the_parsers_money_bounds_are_the_librarys(capsys):
    from spm_sim.cli.args import MAX_COMPANY_TARGET, MAX_MONEY, MIN_MONEY
    from spm_sim.comp import plan_metrics, standard_plan
    from spm_sim.errors import DataError, SpecError
    from spm_sim.quota import QuotaSettings

    # the largest --target is a scenario's largest quota.target, and no more
    assert QuotaSettings().replace(target=MAX_COMPANY_TARGET).target == MAX_COMPANY_TARGET
    with pytest.raises(SpecError, match="target"):
        QuotaSettings().replace(target=MAX_COMPANY_TARGET * (1 + 1e-9))
    # the largest --quota and --ti are what plan_metrics takes, and no more
    plan = standard_plan()
    m = plan_metrics(plan, quota=MAX_MONEY, target_incentive=MAX_MONEY)
    assert m["cost_of_sales_at_quota"] == pytest.approx(1.0)
    m = plan_metrics(plan, quota=MIN_MONEY, target_incentive=MAX_MONEY)
    assert np.isfinite(list(m.values())).all()
    for quota, ti in ((MAX_MONEY * 1.01, 1.0), (1.0, MAX_MONEY * 1.01)):
        with pytest.raises(DataError, match="must be at most"):
            plan_metrics(plan, quota=quota, target_incentive=ti)
    # and the parser says so
    parser = build_parser()
    for command, option, most in (
        (["curve", "p.yaml", "--out", "c.png"], "--ti", MAX_MONEY),
        (["curve", "p.yaml", "--out", "c.png"], "--quota", MAX_MONEY),
        (["quotas", "s.yaml"], "--target", MAX_COMPANY_TARGET),
    ):
        args = parser.parse_args([*command, option, f"{most:.0e}"])
        assert getattr(args, option[2:]) == most
        with pytest.raises(SystemExit):
            parser.parse_args([*command, option, repr(most * 1.01)])
    capsys.readouterr()
    for command, bound in (("curve", "0.01 to 1e+12"), ("quotas", "0.01 to 1e+15")):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        assert bound in " ".join(capsys.readouterr().out.split())  # the help states it


def _scarce_memory(monkeypatch, gigabytes: float) -> None:
    import spm_sim.cli.places

    monkeypatch.setattr(spm_sim.cli.places, "available_memory", lambda: int(gigabytes * 1e9))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", str(BASELINE), "--trials", "2000000"], "--trials 2,000,000: about"),
        (["quotas", str(BASELINE), "--trials", "9000000"], "--trials 9,000,000: about"),
        (["fit", "--plan-year", "2026", "--sims", "100000"], "--sims 100,000: about"),
    ],
)
def test_a_run_too_large_for_memory_is_refused_before_it_starts(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.chdir(tmp_path)
    _scarce_memory(monkeypatch, 2.0)
    out = ["--out", str(tmp_path / "out" / ("q.csv" if argv[0] == "quotas" else "run"))]
    assert main([*argv, *out]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spm-sim: error: {message}") and "2.0 GB is free" in err
    assert "give at most " in err
    assert list(tmp_path.iterdir()) == []  # nothing created


# --- output places, checked before any work ----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "place", "message"),
    [
        (
            ["run", str(BASELINE), "--out"],
            "file.txt",
            "is an existing file, and a folder is wanted",
        ),
        (["run", str(BASELINE), "--out"], "file.txt/run", "cannot be created: "),
        (["demo", "--out"], "file.txt", "is an existing file, and a folder is wanted"),
        (["fit", "--plan-year", "2026", "--out"], "file.txt", "a folder is wanted"),
        (["capacity", "c.yaml", "--out"], "file.txt", "a folder is wanted"),
        (["headcount", "c.yaml", "--out"], "file.txt/x", "is a file, not a folder"),
        (["quotas", str(BASELINE), "--out"], "folder", "is an existing folder, and a file is"),
        (["quotas", str(BASELINE), "--figure"], "file.txt/q.png", "cannot be created"),
        (["curve", str(PLANS / "baseline.yaml"), "--out"], "folder", "a file is wanted"),
        (["align", "u.csv", "--territories", "3", "--out"], "folder", "a file is wanted"),
        (["payouts", "p.yaml", "--year", "2025", "--out"], "folder", "a file is wanted"),
        (
            ["backtest", "a.yaml", "b.yaml", "--year", "2025", "--out"],
            "file.txt/x.csv",
            "is a file",
        ),
    ],
)
def test_an_output_place_that_cannot_be_written_is_refused_before_any_work(
    tmp_path, monkeypatch, capsys, argv, place, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep me\n")
    (tmp_path / "folder").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([*argv, place]) == 2  # the inputs are not even read (c.yaml does not exist)
    out, err = capsys.readouterr()
    option = [a for a in argv if a.startswith("--")][-1]
    assert err.startswith(f"spm-sim: error: {option} {place}: ") and message in err
    assert out == "" and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "file.txt").read_text() == "keep me\n"


def test_two_outputs_naming_one_file_are_refused(tmp_path, capsys):
    out = str(tmp_path / "c.png")
    assert main(["curve", str(PLANS / "baseline.yaml"), "--out", out, "--csv", out]) == 2
    assert f"--csv {out}: is the same file as --out {out}" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only file system needs root")
def test_a_read_only_place_is_refused_before_any_work(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)])
    if mounted.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        assert main(["run", str(BASELINE), "--out", str(ro / "run")]) == 2
        err = capsys.readouterr().err
        assert f"--out {ro / 'run'}: cannot be written: Read-only file system in {ro}" in err
    finally:
        subprocess.run(["umount", str(ro)], check=True)


# --- default outputs never replace an earlier run; a manifest is written last ------------


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (its saved results included) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_run_without_out_never_replaces_an_earlier_run(tmp_path):
    args = ("run", str(BASELINE), "--trials", "60", "--quiet")
    first = spm_sim(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    folder = tmp_path / "reports" / "baseline-2026"
    earlier = _tree(folder)
    second = spm_sim(*args, "--seed", "3", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stderr == (
        "spm-sim: note: reports/baseline-2026 holds an earlier run; this one goes to "
        "reports/baseline-2026-2 (give --out reports/baseline-2026 --force to replace it)\n"
    )
    assert _tree(folder) == earlier
    newer = tmp_path / "reports" / "baseline-2026-2"
    assert f"Report: {(newer / 'report.html').resolve()}" in second.stdout
    assert (newer / "summary.csv").read_bytes() != earlier["summary.csv"]
    # naming the folder with --out does not replace it either, unless --force says so
    third = spm_sim(*args, "--out", "reports/baseline-2026", cwd=tmp_path)
    assert third.returncode == 2 and third.stdout == ""
    assert third.stderr.startswith(
        "spm-sim: error: --out reports/baseline-2026 already holds an earlier run ('spm-sim run "
    )
    assert "pass --force to replace it, or choose another --out" in third.stderr
    assert _tree(folder) == earlier
    fourth = spm_sim(*args, "--out", "reports/baseline-2026", "--force", cwd=tmp_path)
    assert fourth.returncode == 0, fourth.stderr
    assert fourth.stderr.startswith("spm-sim: note: replacing the run in reports/baseline-2026 (")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "baseline-2026",
        "baseline-2026-2",
    ]


@pytest.mark.parametrize(
    ("argv", "earlier", "message"),
    [
        (["fit", "--plan-year", "2026", "--out", "o"], "o/parameters.csv", "--out o already holds"),
        (["capacity", "c.yaml", "--out", "o"], "o/summary.csv", "--out o already holds"),
        (["demo", "--out", "o"], "o/summary.csv", "--out o already holds"),
        (["quotas", str(BASELINE), "--out", "q.csv"], "q_reps.csv", "--out q_reps.csv exists alr"),
        (
            ["curve", str(PLANS / "baseline.yaml"), "--out", "c.png"],
            "c.png",
            "--out c.png exists alr",
        ),
        (
            ["align", "u.csv", "--territories", "3", "--out", "a.csv"],
            "a_balance.png",
            "--figure a_",
        ),
    ],
)
def test_an_earlier_output_the_user_named_is_refused_without_force(
    tmp_path, monkeypatch, capsys, argv, earlier, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / earlier).parent.mkdir(exist_ok=True)
    (tmp_path / earlier).write_text("earlier\n")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spm-sim: error: {message}") and "pass --force to replace it" in err
    assert (tmp_path / earlier).read_text() == "earlier\n"


def test_a_run_folder_has_a_manifest_of_inputs_and_outputs(tmp_path):
    from spm_sim._files import manifest_problems, read_manifest

    proc = spm_sim("run", str(BASELINE), "--trials", "70", "--out", "r", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "r"
    assert f"Manifest: {(folder / 'manifest.json').resolve()}" in proc.stdout
    manifest = read_manifest(folder)
    assert manifest["command"] == ["spm-sim", "run", str(BASELINE), "--trials", "70"] + [
        "--out",
        "r",
        "--quiet",
    ]
    assert manifest["started"] < manifest["finished"]
    outputs = {o["path"]: o for o in manifest["outputs"]}
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(outputs) == written - {"manifest.json"}
    assert outputs["trials_baseline-2026.csv"]["rows"] == 70
    # the saved result (spm-sim report rebuilds the report from it) is an output too
    saved = "results/1-baseline-2026/"
    assert {saved + "result.json", saved + "trials.parquet"} <= set(outputs)
    listed = f"Results (spm-sim report r rebuilds the report from them):\n  {folder.resolve()}"
    assert f"{listed}/{saved}\n" in proc.stdout
    assert manifest_problems(folder) == []
    roles = {(i["role"], Path(i["path"]).name) for i in manifest["inputs"]}
    assert {("scenario", "baseline.yaml"), ("plan", "baseline.yaml")} <= roles
    assert {("book", "bookings.csv"), ("book", "reps.csv"), ("book", "book.yaml")} <= roles
    assert not list(folder.glob(".*"))  # the lock is gone


def test_results_nobody_should_believe_are_flagged_and_strict_writes_nothing(tmp_path):
    path = _scenario_file(tmp_path, name="Tiny quotas", quota={"method": "history", "growth": -0.9})
    proc = spm_sim("run", str(path), "--trials", "40", "--out", "r", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("spm-sim: warning:")]
    assert warnings and all("scenario 'Tiny quotas': " in line for line in warnings)
    assert any("share of reps at or above quota" in line for line in warnings)
    assert all(line.endswith("(--strict makes this an error)") for line in warnings)
    assert (tmp_path / "r" / "manifest.json").is_file()  # flagged, still written
    strict = spm_sim(
        "run", str(path), "--trials", "40", "--out", "s", "--strict", "--quiet", cwd=tmp_path
    )
    assert strict.returncode == 2 and strict.stdout == ""
    assert strict.stderr.startswith("spm-sim: error: scenario 'Tiny quotas': ")
    assert not (tmp_path / "s").exists()  # refused before a file was written


def test_demo_without_out_never_replaces_an_earlier_demo(tmp_path, capsys, monkeypatch):
    # only a folder named with --out is replaced by a new demo (as 'make demo' does);
    # the default folder is numbered like every default, so the earlier demo stays
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--trials", "30", "--quiet"]) == 0
    first = capsys.readouterr()
    assert f"Report: {(tmp_path / 'reports' / 'demo.html').resolve()}" in first.out
    earlier = (tmp_path / "reports" / "summary.csv").read_bytes()
    assert main(["demo", "--trials", "40", "--quiet"]) == 0
    second = capsys.readouterr()
    assert second.err == RESPONSE_NOTE + (
        "spm-sim: note: reports holds an earlier run; this one goes to reports-2 "
        "(give --out reports --force to replace it)\n"
    )
    assert f"Report: {(tmp_path / 'reports-2' / 'demo.html').resolve()}" in second.out
    assert (tmp_path / "reports" / "summary.csv").read_bytes() == earlier
    assert (pd.read_csv(tmp_path / "reports-2" / "summary.csv")["n_trials"] == 40).all()
