"""What the commands print, read as a new user would: every column kept, fixed-point
numbers, units on every figure, lines within the terminal, wide characters measured
as the terminal draws them, and a quiet end when the reader of the output goes away."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spm_sim.cli import main
from spm_sim.cli.init import starter_files
from spm_sim.cli.table import MIN_WIDTH, display_width, format_table, terminal_width, wrap_lines

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
PLANS = REPO / "data" / "plans"
#: A number in e-notation as Python's ``g`` format writes it.
E_NOTATION = re.compile(r"\d(\.\d+)?e[-+]\d\d")


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    """The starter project of ``spm-sim init``, written once for the module."""
    folder = tmp_path_factory.mktemp("starter")
    for name, text in starter_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _fit(starter: Path, width: int, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    year = int(re.search(r"plan_year: (\d+)", (starter / "scenario.yaml").read_text())[1])
    code = main(["fit", "--book", str(starter / "book"), "--plan-year", str(year), "--sims", "40"])
    out = capsys.readouterr().out
    assert code == 0
    return out


@pytest.mark.parametrize("width", [80, 60])
def test_fit_keeps_every_column_in_fixed_point_within_the_width(
    starter, width, capsys, monkeypatch
):
    out = _fit(starter, width, capsys, monkeypatch)
    lines = out.splitlines()
    # the first line echoes the book's folder as given: a path is not broken, so it is
    # the one line whose length depends on where the test runs (pytest's tmp folder)
    assert lines[0] == f"Book: {starter / 'book'}"
    too_wide = [line for line in lines[1:] if display_width(line) > width]
    assert not too_wide, too_wide
    assert not E_NOTATION.search(out), E_NOTATION.search(out)
    # nothing is left out (no CSV is written without --out) and no pandas "\" split
    assert "left out" not in out and "CSV" not in out
    assert not any(line.rstrip().endswith("\\") for line in lines)
    words = " ".join(lines)
    for heading in ("estimate", "std", "error", "low", "high", "unit"):
        assert re.search(rf"\b{heading}\b", words), heading
    for heading in ("actual", "simulated", "P10", "P50", "P90", "percentile", "inside"):
        assert re.search(rf"\b{heading}\b", words), heading
    # the starter book has no trend: its slope, about 1e-17, prints as 0
    slope = next(line for line in lines if line.strip().startswith("trend_slope"))
    assert slope.split()[1] == "0"
    # every parameter row is there with its estimate
    for name in ("deal_rate_prior_mean", "deal_size_mean", "seasonality_dec", "n_months"):
        assert any(line.strip().startswith(name) for line in lines), name


def test_fit_at_80_columns_keeps_the_parameters_in_one_block(starter, capsys, monkeypatch):
    out = _fit(starter, 80, capsys, monkeypatch)
    params = out.split("Parameters")[1].split("\n\n")[0]
    header = params.splitlines()[1].split()
    assert header == ["parameter", "estimate", "std", "error", "low", "high", "unit"]
    # the unit wraps at a space rather than pushing itself into a second block
    assert "deals per" in params and "rep-month" in params


def test_display_width_counts_wide_characters_twice():
    assert display_width("売上") == 4
    assert display_width("￥1,234") == 7  # the fullwidth yen sign
    assert display_width("é") == 1 and display_width("e\u0301") == 1  # combining accent
    assert display_width("R001") == 4


def test_a_table_of_wide_characters_lines_up_as_drawn():
    rows = [["売上 (予測)", "￥1,234", "¥5.96M"], ["Incentive cost", "$578M", "$1"]]
    text = format_table(["", "Baseline", "Accelerated"], rows, width=60)
    lines = text.splitlines()
    # every line ends in the same terminal column, the wide row included
    assert {display_width(line) for line in lines[1:]} == {display_width(lines[1])}
    assert lines[2].startswith("売上 (予測)     ")  # padded to the label's 14 cells
    assert lines[2].endswith("￥1,234       ¥5.96M")
    # a width too small for both columns splits them, measured in cells
    narrow = format_table(["", "Baseline", "Accelerated"], rows, width=28)
    assert max(display_width(line) for line in narrow.splitlines()) <= 28
    assert narrow.count("売上") == 2


def test_prose_with_wide_characters_wraps_by_cells():
    line = "  担当 " + " ".join(["売上予測"] * 10)
    wrapped = wrap_lines(line, 30).splitlines()
    assert all(display_width(x) <= 30 for x in wrapped)
    assert wrapped[1].startswith("    ")


def test_terminal_width_is_never_below_its_minimum(monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    assert terminal_width() == MIN_WIDTH == 40
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width() == 132


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    # as `spm-sim check data/sample | head -0`: the reader is gone before the output
    proc = subprocess.Popen(
        [sys.executable, "-m", "spm_sim.cli", "check", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141  # as a command ended by SIGPIPE
    assert err == ""  # no "spm-sim: error: [Errno 32] Broken pipe", no traceback


def test_demo_help_names_its_four_scenarios(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    demo = next(line for line in out.splitlines() if line.strip().startswith("demo"))
    assert "4 sample scenarios" in demo and "baseline and accelerated scenarios" not in out


def _lines_within(out: str, width: int) -> None:
    long = [line for line in out.splitlines() if display_width(line) > width]
    assert not long, long[:3]


def test_quotas_payouts_and_backtest_fit_80_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    # the output names the files as given: relative, so the lines do not depend on how
    # long pytest's temporary folder is (longer under pytest-xdist: .../popen-gw0/...)
    monkeypatch.chdir(tmp_path)
    baseline = REPO / "data" / "scenarios" / "baseline.yaml"
    assert main(["quotas", str(baseline), "--trials", "100", "--out", "q.csv"]) == 0
    out = capsys.readouterr().out
    _lines_within(out, 80)
    assert "levels (each level's quota" in out and "$" in out

    plan = str(PLANS / "baseline.yaml")
    assert main(["payouts", plan, "--year", "2025", "--statement", "R001"]) == 0
    out = capsys.readouterr().out
    _lines_within(out, 80)
    # the book line, wrapped, still says all it said; the totals count their cents
    joined = " ".join(line.strip() for line in out.splitlines())
    assert "because --book was not given; pass --book DIR to use your own." in joined
    assert re.search(r"\(\d{1,3}(,\d{3})+ cents\)", joined)
    assert "Incentive statement for R001" in out

    assert main(["backtest", plan, str(PLANS / "accelerated.yaml"), "--year", "2025"]) == 0
    out = capsys.readouterr().out
    _lines_within(out, 80)
    assert "Biggest losers under B: R" in " ".join(out.split())


def test_backtest_of_a_plan_against_itself_says_no_pay_changes(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    plan = str(PLANS / "baseline.yaml")
    assert main(["backtest", plan, plan, "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert "No rep's pay changes under B" in out
    assert "Biggest losers" not in out and "$0," not in out


def test_a_yen_payroll_does_not_call_its_hundredths_cents():
    from spm_sim.cli.actuals import _hundredths

    assert _hundredths(707246929, "JPY").startswith("707,246,929 hundredths of a JPY")
    assert "no minor unit" in _hundredths(5, "KRW") and "cents" not in _hundredths(5, "VND")
    assert _hundredths(1234, "EUR") == "1,234 cents"


def test_align_on_x_y_says_its_units_and_prints_no_e_notation(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    n = 40
    units = pd.DataFrame(
        {
            "unit_id": [f"U{i:03d}" for i in range(n)],
            "x": [float(i % 8) for i in range(n)],
            "y": [float(i // 8) for i in range(n)],
            "potential": [1000.0 + 10 * i for i in range(n)],
            "tiny": [1e-6 * (1 + i % 3) for i in range(n)],  # a measure of small numbers
        }
    )
    monkeypatch.chdir(tmp_path)  # relative names: lines that do not depend on tmp_path's length
    units.to_csv("xy.csv", index=False)  # no book.yaml beside it: the currency is not known
    args = ["align", "xy.csv", "--territories", "3", "--balance", "potential=0.2,tiny=0.5"]
    assert main([*args, "--out", "a.csv", "--no-figure"]) == 0
    out = capsys.readouterr().out
    _lines_within(out, 80)
    joined = " ".join(out.split())
    assert "(distances in coordinate units)" in joined
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---------  "))
    heading = " ".join(" ".join(lines[i] for i in range(rule - 3, rule)).split())
    assert "(coordinate" in heading and "units)" in heading  # the mean distance's unit
    assert joined.count("currency unknown") == 1 and "book.yaml" in joined
    assert not E_NOTATION.search(out), E_NOTATION.search(out)
    t1 = next(line for line in out.splitlines() if line.startswith("T1 "))
    assert re.search(r"\s0\.0000\d+\s", t1), t1  # the small measure in fixed point


def _demo_output(tmp_path: Path, capsys, monkeypatch, width: int) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["demo", "--trials", "120", "--out", str(tmp_path / "demo")]) == 0
    return capsys.readouterr().out


def test_the_demo_says_what_to_decide_in_words_within_80_columns(tmp_path, capsys, monkeypatch):
    out = _demo_output(tmp_path, capsys, monkeypatch, 80)
    before_paths = out.split("\nFolder: ")[0]
    assert max(display_width(line) for line in before_paths.splitlines()) <= 80
    # the report's page one, after the table: what to decide, then one item per alternative
    summary = before_paths.split("Summary: what to decide\n")[1]
    assert summary.startswith("Decide which plan and quotas to run in 2026")
    items = [line for line in summary.splitlines() if line.startswith("- ")]
    names = ["Accelerated 2026", "Multi-measure 2026", "People and behaviour 2026"]
    assert len(items) == 3
    assert all(i.startswith(f"- {n}") for i, n in zip(items, names, strict=True)), items
    assert "95% interval" in summary.split("\n\n")[1]
    # the intervals read once: Monte Carlo error only, paired in the 'vs' columns
    prose = " ".join(before_paths.split())
    assert prose.count("Each has its 95% interval") == 1
    assert "the Monte Carlo error of the simulation only" in prose
    assert "In a 'vs' column the interval is that of the paired difference" in prose
    # four scenarios at 80 columns: each figure's interval on the line under it
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("Incentive cost, mean"))
    assert re.fullmatch(r"Incentive cost, mean( +\$[\d.]+M)+", lines[row]), lines[row]
    assert re.fullmatch(r"( +\$[\d.]+M to \$[\d.]+M)+", lines[row + 1]), lines[row + 1]
    assert "4 scenarios x 120 trials in" in out and "(s)" not in out
    assert f"Folder: {(tmp_path / 'demo').resolve()}/" in out


def test_a_run_gives_each_figure_its_interval(tmp_path, capsys, monkeypatch):
    from spm_sim._format import format_money
    from spm_sim.metrics import mean_interval, percentile_interval

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    scenario = REPO / "data" / "scenarios" / "baseline.yaml"
    assert main(["run", str(scenario), "--trials", "150"]) == 0
    out = capsys.readouterr().out
    assert "1 scenario, 150 trials each, in " in out and "(s)" not in out
    # the default folder under the current directory, named in full
    folder = (tmp_path / "reports" / "baseline-2026").resolve()
    assert f"\nFolder: {folder}/\n" in out
    cost = pd.read_csv(folder / "trials_baseline-2026.csv")["incentive_cost"].to_numpy()
    lines = out.splitlines()
    # one scenario fits: each figure with its interval in brackets beside it
    mean = next(line for line in lines if line.startswith("Incentive cost, mean"))
    low, high = mean_interval(cost)[1:]
    assert mean.endswith(f"({format_money(low)} to {format_money(high)})"), mean
    p90 = next(line for line in lines if line.startswith("Incentive cost, P90"))
    low, high = percentile_interval(cost, 0.9)[1:]
    assert p90.endswith(f"({format_money(low)} to {format_money(high)})"), p90
    hit = next(line for line in lines if line.startswith("Probability of reaching"))
    assert re.search(r"\d% \([\d.]+% to [\d.]+%\)$", hit), hit
    prose = " ".join(out.split())
    assert "Each has its 95% interval in brackets beside it" in prose
    assert "'vs' column" not in prose  # one scenario: no difference to read
    assert "Summary: what to decide\nWhat Baseline 2026 costs in 2026" in out
