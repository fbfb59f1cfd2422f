"""``spm-sim sweep`` and ``spm-sim calibrate`` end to end, on tiny sizes (issue 18)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from spm_sim.cli import main

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "data" / "scenarios" / "baseline.yaml"
RATE = "plan.components[bookings].tiers[1].rate"


def _run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _grid(folder: Path, text: str) -> Path:
    path = folder / "grid.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GRID = f"""name: Tiny sweep
trials: 25
metrics: [incentive_cost, share_at_quota, p_company_target]
grid:
  {RATE}: [1.5, 2.0]
  quota.over_assignment: [0.05, 0.15]
"""


def test_sweep_prints_the_table_and_writes_csv_figures_and_page(tmp_path):
    grid = _grid(tmp_path, GRID)
    out = tmp_path / "run"
    code, stdout, stderr = _run(["sweep", BASELINE, "--grid", grid, "--out", out, "--n-boot", 200])
    assert code == 0, stderr
    assert "Sweep 'Tiny sweep' of scenario 'Baseline 2026': 5 scenarios x 25 trials" in stdout
    assert "Incentive cost" in stdout and "vs base" in stdout and "(base)" in stdout
    assert "rate=2, over_assignment=0.15" in stdout and "$" in stdout
    assert "Efficient on incentive cost against share of reps at quota" in stdout
    table = pd.read_csv(out / "sweep.csv")
    assert {"scenario", RATE, "metric", "statistic", "value", "low", "high"} <= set(table)
    assert table["scenario"].nunique() == 5 and (table["n_trials"] == 25).all()
    for name in (
        "sweep_incentive_cost.png",
        "sweep_incentive_cost_p90.png",
        "sweep_share_at_quota.png",
        "frontier.png",
        "sweep.md",
    ):
        assert (out / name).stat().st_size > 0, name
    page = (out / "sweep.md").read_text(encoding="utf-8")
    assert "# Sweep: Tiny sweep" in page and "![Frontier" in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any(Path(i["path"]).name == "grid.yaml" for i in manifest["inputs"])
    # an earlier run is refused without --force, replaced with it
    code, _, stderr = _run(["sweep", BASELINE, "--grid", grid, "--out", out])
    assert code == 2 and "already holds an earlier run" in stderr and "--force" in stderr
    again = ["--out", out, "--force", "--quiet", "--trials", 10, "--metrics", "incentive_cost"]
    again += ["--executor", "processes"]
    code, stdout, _ = _run(["sweep", BASELINE, "--grid", grid, *again, "--workers", 2])
    assert code == 0 and "Incentive cost" not in stdout and "sweep.csv" in stdout
    again = pd.read_csv(out / "sweep.csv")
    assert (again["n_trials"] == 10).all() and set(again["metric"]) == {"incentive_cost"}
    assert "on processes" in (out / "sweep.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("grid:\n  plan.components[bookings].tiers[1].rat: [2.0]\n", "Did you mean 'rate'"),
        ("grid:\n  plan.components[bookings].threshold: [0.5, -1]\n", "threshold = -1"),
        ("grid: {plan.components[0].threshold: [0.5]}\n", "must be quoted"),
        ("gird: {quota.growth: [0.1]}\n", "unknown field 'gird'. Did you mean 'grid'"),
        ("grid: {quota.growth: []}\n", "the list of values is empty"),
    ],
)
def test_a_bad_grid_is_one_line_naming_the_file_or_variant(tmp_path, grid, message):
    path = _grid(tmp_path, grid)
    code, stdout, stderr = _run(["sweep", BASELINE, "--grid", path, "--out", tmp_path / "o"])
    assert code == 2 and stdout == ""
    assert stderr.startswith("spm-sim: error: ") and message in stderr, stderr
    assert not (tmp_path / "o" / "sweep.csv").exists()


def test_calibrate_prints_the_answer_and_writes_the_evaluations(tmp_path):
    out = tmp_path / "cal"
    argv = ["calibrate", BASELINE, "--param", RATE, "--target", "incentive_cost.mean=6M"]
    code, stdout, stderr = _run([*argv, "--trials", 30, "--out", out])
    assert code == 0, stderr
    assert f"{RATE} = " in stdout and "(was 1.5)" in stdout
    assert "target: incentive cost (mean) = $6.00M" in stdout
    assert "interval of the answer:" in stdout and "converged" in stdout
    ev = pd.read_csv(out / "evaluations.csv")
    assert {"round", "value", "estimate", "low", "high", "gap"} <= set(ev)
    assert (out / "calibration.png").stat().st_size > 0 and (out / "manifest.json").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target", "incentve_cost=6M"], "unknown metric 'incentve_cost'"),
        (["--target", "incentive_cost=60M", "--bounds", "1", "2"], "is out of reach"),
        (["--target", "share_at_quota=60"], "write a share as a fraction"),
        (["--target", "incentive_cost=6M", "--bounds", "2", "1"], "low below high"),
    ],
)
def test_calibrate_refusals_are_one_line(extra, message):
    code, stdout, stderr = _run(["calibrate", BASELINE, "--param", RATE, "--trials", 10, *extra])
    assert code == 2 and stderr.startswith("spm-sim: error: ") and message in stderr, stderr
    assert stderr.count("\n") == 1
