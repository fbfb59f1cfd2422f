"""The spm-sim command, run end to end as a user would (a subprocess)."""

from __future__ import annotations

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
    assert proc.stderr == ""
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
    assert f"{'bookings':<9} {deals:>8,} rows" in proc.stdout
    assert "reps employed on 2025-12-31: 80 in 4 regions" in proc.stdout


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
        (["--out", "c.png", "--max-attainment", "0"], "must be a number > 0"),
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
    for command in (["run", "x.yaml"], ["demo"], ["quotas", "x.yaml"]):
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args([*command, "--trials", "1000000000"])
        assert exc.value.code == 2
        assert (
            "--trials: must be between 1 and 10,000,000, got 1000000000" in capsys.readouterr().err
        )


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
    ],
)
def test_an_output_that_would_overwrite_an_input_is_refused_before_any_work(
    tmp_path, capsys, command, clash
):
    import shutil

    from spm_sim.book import SAMPLE_DIR

    book = tmp_path / "book"
    shutil.copytree(SAMPLE_DIR, book)
    args = [a.format(book=book) for a in command]
    if args[0] == "payouts":
        args += ["--book", str(book)]
    before = {p.name: p.read_bytes() for p in book.iterdir()}
    plan_before = (PLANS / "baseline.yaml").read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--out {args[args.index('--out') + 1]}: {clash}" in err
    assert "which this command reads; write the output elsewhere" in err
    assert {p.name: p.read_bytes() for p in book.iterdir()} == before  # nothing written
    assert (PLANS / "baseline.yaml").read_bytes() == plan_before
