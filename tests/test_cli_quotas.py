"""``spm-sim quotas``: the printed summary, the files written, errors without tracebacks."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_sim.cli import main
from spm_sim.scenario import SAMPLE_SCENARIOS

BASELINE = str(SAMPLE_SCENARIOS / "baseline.yaml")


def test_quotas_prints_levels_diagnostics_and_writes_files(tmp_path, capsys):
    out = tmp_path / "q" / "quotas.csv"
    code = main(
        [
            "quotas",
            BASELINE,
            "--method",
            "potential",
            "--over-assignment",
            "0.1",
            "--region-over-assignment",
            "5%",
            "--trials",
            "200",
            "--out",
            str(out),
            "--figure",
            str(tmp_path / "fit.png"),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "method      potential: company target = 2025 bookings x (1 + 8.0%)" in text
    assert "over-assignment 15.5% realised" in text
    # the levels table: level, name, quota, sum below, over-assignment realised and set
    levels = [
        line.split() for line in text.splitlines() if line.startswith(("  company", "  region"))
    ]
    assert levels[0][:2] == ["company", "company"] and levels[0][-2:] == ["5.0%", "5.0%"]
    assert [row[-2:] for row in levels[1:]] == [["10.0%", "10.0%"]] * 4  # the four regions
    assert "Reps expected at or above quota" in text and "P(bookings >= target)" in text
    q = pd.read_csv(out)
    assert list(q.columns) == ["rep_id", "region", "period", "quota"]
    assert len(q) == 80 * 12
    reps = pd.read_csv(tmp_path / "q" / "quotas_reps.csv")
    assert len(reps) == 80 and {"p_at_quota", "potential", "annual_quota"} <= set(reps.columns)
    assert reps["annual_quota"].sum() == pytest.approx(q["quota"].sum(), rel=1e-6)
    assert (tmp_path / "fit.png").stat().st_size > 10_000
    assert (tmp_path / "fit_attainment.png").stat().st_size > 10_000


def test_calibrated_quotas_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "quotas.csv"
    code = main(
        ["quotas", BASELINE, "--method", "calibrated", "--probability", "0.65", "--trials", "400"]
        + ["--out", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "calibrated: each rep has a 65% chance of attaining quota" in text
    reps = pd.read_csv(tmp_path / "quotas_reps.csv")
    # judged on the simulation's stream, not the calibration's: near 65% on average
    assert reps["p_at_quota"].mean() == pytest.approx(0.65, abs=0.04)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "blend"], "method 'blend' needs weights"),
        (["--method", "blend", "--weights", "history=0.5,potential=0.4"], "sum to 0.9, not 1"),
        (["--method", "bottom_up", "--targets", "nowhere.csv"], "file 'nowhere.csv' not found"),
    ],
)
def test_bad_options_give_one_message_and_status_2(args, message, capsys):
    code = main(["quotas", BASELINE, "--trials", "100", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert "with the command line's" in err or "not found" in err


def test_over_assignment_sweep_trades_attainment_for_cost(tmp_path, capsys):
    code = main(
        ["quotas", BASELINE, "--trials", "300", "--compare-over-assignment", "0,10%,20%"]
        + ["--out", str(tmp_path / "q.csv")]
    )
    text = capsys.readouterr().out
    assert code == 0
    table = text.split("same simulated sales:\n")[1].splitlines()
    rule = next(i for i, line in enumerate(table) if line.lstrip().startswith("---"))
    lines = table[rule + 1 : rule + 4]
    rows = [line.split() for line in lines]
    assert [r[0] for r in rows] == ["0.0%", "10.0%", "20.0%"]
    share = [float(r[2].rstrip("%")) for r in rows]
    p_target = {r[3] for r in rows}
    cost = [float(r[5].rstrip("%")) for r in rows]
    assert share[0] > share[1] > share[2]  # more over-assignment, fewer reps at quota
    assert cost[0] > cost[1] > cost[2]  # and a smaller incentive bill
    assert len(p_target) == 1  # the company's number and its sales do not change


def test_the_report_says_which_method_set_the_quotas(tmp_path):
    out = tmp_path / "report"
    calibrated = str(SAMPLE_SCENARIOS / "calibrated_quotas.yaml")
    code = main(["run", BASELINE, calibrated, "--trials", "200", "--out", str(out), "--quiet"])
    assert code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "history (trailing 12 months): company target = 2025 bookings x (1 + 8.0%)" in html
    assert "calibrated: each rep has a 60% chance of attaining quota" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "must be between 0 and 2**63 - 1, got -1"),
        (["--figure", "out/fig.xyz"], "cannot write a xyz extension; use one of"),
        (
            [
                "--method",
                "calibrated",
                "--probability",
                "0.6",
                "--compare-over-assignment",
                "0,10%",
            ],
            "method 'calibrated' does not share a target out",
        ),
    ],
)
def test_more_bad_options_without_traceback(args, message, tmp_path, capsys):
    try:
        code = main(
            ["quotas", BASELINE, "--trials", "100", "--out", str(tmp_path / "q.csv"), *args]
        )
    except SystemExit as exc:  # argparse refuses a bad value itself, with status 2
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "q.csv").exists()  # refused before any work


def test_switching_to_calibrated_drops_the_scenarios_over_assignment(tmp_path, capsys):
    code = main(
        ["quotas", BASELINE, "--method", "calibrated", "--share-at-quota", "0.6"]
        + ["--trials", "200", "--out", str(tmp_path / "q.csv")]
    )
    assert code == 0
    assert "calibrated: 60% of reps expected at quota" in capsys.readouterr().out


def test_a_new_method_keeps_the_scenario_settings_it_also_reads(tmp_path):
    import yaml

    from spm_sim.cli.app import build_parser
    from spm_sim.cli.quota import _settings
    from spm_sim.errors import SpecError
    from spm_sim.scenario import load_scenario

    data = yaml.safe_load((SAMPLE_SCENARIOS / "baseline.yaml").read_text(encoding="utf-8"))
    for key in ("book", "plan"):
        data[key] = str((SAMPLE_SCENARIOS / data[key]).resolve())
    data["quota"].update(history="multi_year", history_weights=[0.6, 0.4])
    path = tmp_path / "multi_year.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    scenario = load_scenario(path)

    def settings(*options):
        return _settings(scenario, build_parser().parse_args(["quotas", str(path), *options]))

    blend = settings("--method", "blend", "--weights", "history=1")
    assert (blend.method, blend.weights) == ("blend", {"history": 1.0})
    assert (blend.history, blend.history_weights) == ("multi_year", (0.6, 0.4))
    assert (blend.growth, blend.over_assignment.rep) == (0.08, 0.05)
    # calibrated reads no history window and starts without over-assignment
    cal = settings(
        "--method", "calibrated", "--probability", "0.6", "--region-over-assignment", "0"
    )
    assert (cal.probability, cal.over_assignment.total, cal.history) == (0.6, 0.0, "trailing_12m")
    with pytest.raises(SpecError) as exc:
        settings("--method", "calibrated", "--probability", "0.6", "--over-assignment", "0.1")
    message = str(exc.value)
    assert message.startswith(
        "the scenario's quota settings with the command line's method, probability, "
        "over_assignment.rep: 1 problem(s)"
    )
    assert "does not apply to method 'calibrated'" in message


def test_a_planned_hire_is_judged_without_history(tmp_path, capsys):
    """A hire in ``quota.hires`` is not in the book: no run rate (0, not judged on
    growth), and the other reps keep theirs (this used to stop the command)."""
    import yaml

    data = yaml.safe_load((SAMPLE_SCENARIOS / "baseline.yaml").read_text(encoding="utf-8"))
    for key in ("book", "plan"):
        data[key] = str((SAMPLE_SCENARIOS / data[key]).resolve())
    data["quota"]["hires"] = [{"rep_id": "N1", "region": "West", "start": "2026-03-01"}]
    path = tmp_path / "hire.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "quotas.csv"
    code = main(["quotas", str(path), "--trials", "100", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "Quotas of 81 reps judged on 100 simulated years" in text
    reps = pd.read_csv(tmp_path / "quotas_reps.csv").set_index("rep_id")
    assert reps.loc["N1", "history"] == 0.0 and not reps.loc["N1", "flag_growth"]
    assert (reps.drop(index="N1")["history"] > 0).all()


def test_quotas_without_out_never_replace_an_earlier_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["quotas", BASELINE, "--trials", "100"]) == 0
    capsys.readouterr()
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(first) == ["quotas.csv", "quotas_reps.csv"]
    assert main(["quotas", BASELINE, "--trials", "100", "--growth", "20%"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        "spm-sim: note: quotas.csv is there from an earlier run; this one writes quotas-2.csv "
        "(give --out quotas.csv --force to replace it)\n"
    )
    assert "wrote quotas-2.csv\nwrote quotas-2_reps.csv" in out
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in first} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "quotas-2.csv",
        "quotas-2_reps.csv",
        "quotas.csv",
        "quotas_reps.csv",
    ]  # no lock file is left behind
    # --out naming the earlier file is refused too, unless --force
    again = ["quotas", BASELINE, "--trials", "100", "--growth", "20%", "--out", "quotas.csv"]
    assert main(again) == 2
    err = capsys.readouterr().err
    assert err.startswith("spm-sim: error: --out quotas.csv exists already; pass --force")
    assert (tmp_path / "quotas.csv").read_bytes() == first["quotas.csv"]
    assert main([*again, "--force"]) == 0
    assert (tmp_path / "quotas.csv").read_bytes() == (tmp_path / "quotas-2.csv").read_bytes()


# --- the files a scenario names are inputs; its strict holds (issue 15) -------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A copy of the sample book, the baseline plan, a targets file and a reference plan,
    named by scenarios relative to their folder; nothing here may ever change."""
    import shutil

    from spm_sim.book import SAMPLE_DIR

    ws = tmp_path_factory.mktemp("quotas_inputs")
    shutil.copytree(SAMPLE_DIR, ws / "bk")
    shutil.copy(SAMPLE_SCENARIOS.parent / "plans" / "baseline.yaml", ws / "plan.yaml")
    shutil.copy(ws / "plan.yaml", ws / "ref.yaml")
    reps = pd.read_csv(SAMPLE_DIR / "reps.csv", dtype=str)
    current = reps[reps["term_date"].isna()]["rep_id"]
    pd.DataFrame({"rep_id": current, "target": 1_500_000}).to_csv(ws / "q_reps.csv", index=False)
    pd.DataFrame({"rep_id": current, "target": 1_000_000}).to_csv(ws / "t.csv", index=False)
    head = "name: Inputs\nbook: bk\nplan: plan.yaml\nplan_year: 2026\ntrials: 100\n"
    (ws / "s.yaml").write_text(head + "quota: {method: history, growth: 0.08}\n")
    (ws / "flat.yaml").write_text(head + "quota: {method: bottom_up, targets: q_reps.csv}\n")
    (ws / "nested.yaml").write_text(
        head + "quota: {method: bottom_up, options: {targets: t.csv}}\n"
        "behaviour: {reference_plan: ref.yaml}\n"
    )
    return ws


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("scenario", "options", "message"),
    [
        (
            "s.yaml",
            ["--out", "bk/reps.csv", "--force"],
            "--out bk/reps.csv: is inside {ws}/bk (book, field 'book' of s.yaml)",
        ),
        ("s.yaml", ["--out", "bk/reps.csv"], "--out bk/reps.csv: is inside {ws}/bk (book, "),
        (
            "s.yaml",
            ["--out", "plan.yaml", "--force"],
            "--out plan.yaml: is {ws}/plan.yaml (plan, field 'plan' of s.yaml)",
        ),
        ("s.yaml", ["--figure", "plan.yaml"], "--figure plan.yaml: is {ws}/plan.yaml (plan, "),
        (
            "flat.yaml",
            ["--out", "q.csv", "--force"],
            "--out q.csv: q_reps.csv, written beside it, "
            "is {ws}/q_reps.csv (quota targets, field 'quota.targets' of flat.yaml)",
        ),
        (
            "flat.yaml",
            ["--out", "q_reps.csv"],
            "--out q_reps.csv: is {ws}/q_reps.csv (quota "
            "targets, field 'quota.targets' of flat.yaml)",
        ),
        (
            "nested.yaml",
            ["--out", "t.csv", "--force"],
            "--out t.csv: is {ws}/t.csv (quota "
            "targets, field 'quota.options.targets' of nested.yaml)",
        ),
        (
            "nested.yaml",
            ["--out", "ref.yaml", "--force"],
            "--out ref.yaml: is {ws}/ref.yaml "
            "(reference plan, field 'behaviour.reference_plan' of nested.yaml)",
        ),
        ("s.yaml", ["--out", "s.yaml", "--force"], "--out s.yaml: is {ws}/s.yaml (scenario)"),
    ],
    ids=[
        "book-force",
        "book",
        "plan",
        "figure-plan",
        "targets-beside",
        "targets",
        "options-targets",
        "reference-plan",
        "scenario",
    ],
)
def test_quotas_never_overwrite_a_file_its_scenario_names(
    workspace, monkeypatch, capsys, scenario, options, message
):
    monkeypatch.chdir(workspace)
    before = _files(workspace)
    assert main(["quotas", scenario, *options]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("spm-sim: error: " + message.format(ws=workspace))
    assert "which this command reads; write the output elsewhere" in err
    assert "--force does not change this" in err and "pass --force" not in err
    assert _files(workspace) == before  # nothing written, nothing replaced


def test_quotas_honour_the_scenarios_strict(tmp_path, capsys):
    import shutil

    from spm_sim.book import SAMPLE_DIR

    shutil.copytree(SAMPLE_DIR, tmp_path / "bk")
    reps = pd.read_csv(tmp_path / "bk" / "reps.csv", dtype=str)
    reps.loc[reps["rep_id"] == "R003", "hire_date"] = "2023-06-01"  # after some of R003's deals
    reps.to_csv(tmp_path / "bk" / "reps.csv", index=False)
    plan = SAMPLE_SCENARIOS.parent / "plans" / "baseline.yaml"
    head = f"name: Strict\nbook: bk\nplan: {plan}\nplan_year: 2026\ntrials: 100\n"
    (tmp_path / "lenient.yaml").write_text(head)
    (tmp_path / "strict.yaml").write_text(head + "strict: true\n")
    out = tmp_path / "out" / "q.csv"

    assert main(["quotas", str(tmp_path / "lenient.yaml"), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("spm-sim: warning: ") and "hired 2023-06-01" in err
    assert out.is_file()

    strict = tmp_path / "strict_out" / "q.csv"
    assert main(["quotas", str(tmp_path / "strict.yaml"), "--out", str(strict)]) == 2
    printed, err = capsys.readouterr()
    assert err.startswith(f"spm-sim: error: {tmp_path / 'bk' / 'bookings.csv'}, row ")
    assert "rep R003 hired 2023-06-01" in err and printed == ""
    assert not strict.parent.exists()  # nothing written, and the folder made for it removed


def test_a_bottom_up_file_totalling_beyond_the_company_bound_is_refused(tmp_path, capsys):
    targets = tmp_path / "big.csv"
    rows = pd.DataFrame({"account_id": [f"A{i:05d}" for i in range(1001)], "target": 1e12})
    rows.to_csv(targets, index=False)  # each row within 1e12, together 1.001e15
    code = main(
        ["quotas", BASELINE, "--method", "bottom_up", "--targets", str(targets), "--trials", "100"]
        + ["--out", str(tmp_path / "q.csv")]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{targets}, column target: the rows add up to 1.001e+15, beyond 1e+15" in err
    assert not (tmp_path / "q.csv").exists()


def test_the_company_target_has_one_bound(tmp_path, capsys):
    from spm_sim.cli.args import MAX_COMPANY_TARGET
    from spm_sim.quota import QuotaSettings

    assert MAX_COMPANY_TARGET == 1e15
    assert QuotaSettings().replace(target=1e15).target == 1e15  # the scenario's bound
    with pytest.raises(SystemExit):  # the option's bound
        main(["quotas", BASELINE, "--target", "1.5e15"])
    assert "argument --target: must be an amount from 0.01 (a cent) to 1e+15, got 1.5e15" in (
        capsys.readouterr().err
    )


# --- figures nobody should believe are flagged, from the numbers already judged (issue 15)


def test_quotas_flag_implausible_figures_and_strict_writes_nothing(tmp_path, capsys):
    out = tmp_path / "q.csv"
    assert main(["quotas", BASELINE, "--growth", "5", "--trials", "100", "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 2 and all(
        line.startswith(f"spm-sim: warning: quotas of scenario 'Baseline 2026' ({BASELINE}): ")
        and line.endswith("(--strict makes this an error)")
        for line in lines
    )
    assert "median rep attainment 1" in lines[0] and "is below 20%" in lines[0]
    assert "share of reps at or above quota 0.0% (mean over 100 trials)" in lines[1]
    assert "almost no rep reaches quota in any simulated year" in lines[1]
    for line in lines:  # the settings behind the figure, and where to change them
        assert "company target = 2025 bookings x (1 + 500.0%)" in line
        assert f"check the quota settings (quota: in {BASELINE}, changed by --growth 5)" in line
    assert "Reps expected at or above quota: 0%" in printed and out.is_file()

    # the scenario's strict: true makes the first flag the error, before anything is printed
    plan = SAMPLE_SCENARIOS.parent / "plans" / "baseline.yaml"
    scenario = tmp_path / "strict.yaml"
    scenario.write_text(
        f"name: Strict\nbook: {SAMPLE_SCENARIOS.parent / 'sample'}\nplan: {plan}\n"
        "plan_year: 2026\ntrials: 100\nquota: {method: history, growth: 5}\nstrict: true\n"
    )
    strict_out = tmp_path / "strict" / "q.csv"
    assert main(["quotas", str(scenario), "--out", str(strict_out)]) == 2
    printed, err = capsys.readouterr()
    assert printed == "" and err.count("\n") == 1
    assert err.startswith(f"spm-sim: error: quotas of scenario 'Strict' ({scenario}): median rep ")
    assert f"check the quota settings (quota: in {scenario}) and the book's bookings." in err
    assert not strict_out.exists() and not (tmp_path / "strict" / "q_reps.csv").exists()


@pytest.mark.parametrize("scenario", sorted(SAMPLE_SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_sample_scenarios_quotas_are_not_flagged(scenario, tmp_path, capsys):
    out = tmp_path / "q.csv"
    assert main(["quotas", str(scenario), "--trials", "200", "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert "warning" not in err and "Median attainment" in printed and out.is_file()


def test_an_override_for_an_unknown_rep_names_the_scenario_file(tmp_path, capsys):
    plan = SAMPLE_SCENARIOS.parent / "plans" / "baseline.yaml"
    scenario = tmp_path / "base.yaml"
    scenario.write_text(
        f"name: Overrides\nbook: {SAMPLE_SCENARIOS.parent / 'sample'}\nplan: {plan}\n"
        "plan_year: 2026\nquota:\n  growth: 0.08\n"
        "  overrides: [{rep_id: R999, quota: 1000000, reason: test}]\n"
    )
    out = tmp_path / "q.csv"
    code = main(["quotas", str(scenario), "--growth", "0.1", "--trials", "100", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err == (
        f"spm-sim: error: {scenario}: quota.overrides[0]: rep 'R999' carries no quota in this "
        "plan year; check the rep_id\n"
    )


def test_an_unknown_executor_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["quotas", BASELINE, "--executor", "threads"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "argument --executor: invalid choice: 'threads'" in err
    assert "'serial', 'processes', 'dask'" in err
