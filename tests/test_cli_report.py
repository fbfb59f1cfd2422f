"""``spm-sim report RESULT...``: the run's report and tables again from its saved results,
byte for byte, without a trial; ``run --precision``, ``--no-save`` and ``--executor``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from spm_sim._files import manifest_problems, read_manifest
from spm_sim.cli import main
from spm_sim.simulate import load_result

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "data" / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
ACCELERATED = SCENARIOS / "accelerated.yaml"
BEHAVIOUR = SCENARIOS / "people_and_behaviour.yaml"


def _files(folder: Path) -> dict[str, bytes]:
    """The report and the tables of a folder (not its manifest or saved results)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".csv", ".html")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run of the baseline and the people-and-behaviour scenario, results saved."""
    where = tmp_path_factory.mktemp("run")
    args = ["run", str(BASELINE), str(BEHAVIOUR), "--trials", "60", "--out", str(where / "r")]
    assert main([*args, "--quiet"]) == 0
    return where / "r"


def test_the_run_saves_its_results_and_lists_them_in_its_manifest(run):
    saved = sorted(p.name for p in (run / "results").iterdir())
    assert saved == ["1-baseline-2026", "2-people-and-behaviour-2026"]
    outputs = {o["path"] for o in read_manifest(run)["outputs"]}
    assert {f"results/{s}/{f}" for s in saved for f in ("result.json", "trials.parquet")} <= outputs
    assert manifest_problems(run) == []
    side = json.loads((run / "results" / saved[0] / "result.json").read_text())
    roles = {(i["role"], Path(i["path"]).name) for i in side["inputs"]}
    assert {("scenario", "baseline.yaml"), ("plan", "baseline.yaml"), ("book", "reps.csv")} <= roles


def test_report_rebuilds_the_runs_report_and_tables_byte_for_byte(run, tmp_path, capsys):
    assert main(["report", str(run), "--out", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert "2 saved results reported in" in out and "without running the scenarios again" in out
    assert "Probability of reaching the company target" in out  # the run's table, again
    again = _files(tmp_path / "again")
    assert sorted(again) == sorted(_files(run)) and len(again) == 7
    assert "response.csv" in again  # the split of each difference into response and mechanics
    for name, data in _files(run).items():
        assert again[name] == data, name  # the report and every table, byte for byte
    summary = pd.read_csv(tmp_path / "again" / "summary.csv")
    assert summary["paired"].all()  # the common random numbers survived the round trip
    manifest = read_manifest(tmp_path / "again")
    assert {i["role"] for i in manifest["inputs"]} == {"result"}
    assert manifest_problems(tmp_path / "again") == []


def test_results_from_several_places_in_any_order(run, tmp_path, capsys):
    second, first = sorted((run / "results").iterdir(), reverse=True)
    title = "Behaviour first"
    args = ["report", str(second), str(first), "--out", str(tmp_path / "o"), "--title", title]
    assert main([*args, "--quiet"]) == 0
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert list(dict.fromkeys(summary["scenario"])) == [
        "People and behaviour 2026",
        "Baseline 2026",
    ]
    assert f"<h1>{title}</h1>" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert capsys.readouterr().out.startswith(f"Folder: {(tmp_path / 'o').resolve()}")


def test_report_refuses_what_it_cannot_read_and_places_it_must_not_write(run, tmp_path, capsys):
    cases = [
        (["report", str(tmp_path / "none")], "none: no saved result here: the path does not exist"),
        (["report", str(run / "summary.csv")], "summary.csv: is a file, not a saved result"),
        (
            ["report", str(run), "--out", str(run), "--force"],  # --force does not lift it
            f"--out {run}: holds or is inside the saved result {run / 'results'}",
        ),
        (
            ["report", str(run / "results" / "1-baseline-2026"), "--out", str(run / "results")],
            "holds or is inside the saved result",
        ),
    ]
    # an earlier output the user named is refused unless --force, as for every command
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "summary.csv").write_text("earlier\n")
    cases.append((["report", str(run), "--out", str(tmp_path / "o")], "pass --force to replace"))
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("spm-sim: error: ") and message in err, err
    assert (tmp_path / "o" / "summary.csv").read_text() == "earlier\n"


def test_a_damaged_result_is_named_and_nothing_is_written(run, tmp_path, capsys):
    copy = Path(shutil.copytree(run / "results" / "1-baseline-2026", tmp_path / "b"))
    (copy / "trials.parquet").write_bytes(b"damaged")
    assert main(["report", str(copy), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spm-sim: error: {copy / 'trials.parquet'}: SHA-256 ")
    assert not (tmp_path / "o").exists()


def test_no_save_writes_no_results_and_report_says_why_it_cannot(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", str(BASELINE), "--trials", "20", "--out", str(out), "--no-save", "-q"]) == 0
    assert not (out / "results").exists() and "Results" not in capsys.readouterr().out
    assert main(["report", str(out)]) == 2
    assert "a run folder without saved results (it was run with --no-save" in (
        capsys.readouterr().err
    )


def test_run_to_a_precision_prints_the_interval_and_saves_it(tmp_path, capsys):
    out = tmp_path / "p"
    argv = ["run", str(BASELINE), str(ACCELERATED), "--trials", "40", "--out", str(out)]
    argv += ["--precision", "2%", "--precision-figure", "incentive_cost.p90", "--max-trials", "90"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    lines = [line for line in printed.out.splitlines() if line.startswith("Precision, ")]
    assert [line.split(":")[0] for line in lines] == [
        "Precision, Baseline 2026",
        "Precision, Accelerated 2026",
    ]
    assert all("incentive_cost.p90 $" in line for line in lines)
    saved = [load_result(p) for p in sorted((out / "results").iterdir())]
    # both ran to one count (so they stay paired): --trials 40 rounded up to whole
    # blocks of 25 trials (50), then 90 trials, the cap
    assert [[n for n, _ in r.precision.steps] for r in saved] == [[50, 90], [50, 90]]
    assert all(r.n_trials == 90 and not r.precision.reached for r in saved)
    # the cap that came first is said on stderr, with the precision reached
    notes = printed.err.splitlines()
    assert notes[0].startswith("spm-sim: note: reps' response to the plan (--behaviour auto)")
    notes = notes[1:]
    assert notes[0].startswith("spm-sim: note: scenario 'Baseline 2026': incentive_cost.p90 $")
    assert notes[0].endswith("not within the 2% asked; the cap of 90 trials ended it")
    # a figure that does not exist is refused before any work
    argv = ["run", str(BASELINE), "--out", str(tmp_path / "z"), "--precision", "1%"]
    assert main([*argv, "--precision-figure", "incentive_cots.p90"]) == 2
    assert "did you mean 'incentive_cost'?" in capsys.readouterr().err
    assert not (tmp_path / "z").exists()


def test_the_executor_options_reach_the_simulation(run, dask_client, tmp_path):
    """The module's run again on Dask (through --scheduler): the same report and tables."""
    args = ["run", str(BASELINE), str(BEHAVIOUR), "--trials", "60", "--out", str(tmp_path / "d")]
    assert main([*args, "--quiet", "--scheduler", dask_client.scheduler.address]) == 0
    assert _files(tmp_path / "d") == _files(run)  # the same numbers
    side = json.loads((tmp_path / "d" / "results" / "1-baseline-2026" / "result.json").read_text())
    assert side["executor"] == "dask"
