"""Console output that fits the terminal (80 and 120 columns) and gives every figure its unit."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from spm_sim.cli import main
from spm_sim.cli.table import format_table, plural, wrap_lines

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "data" / "scenarios"
SAMPLE = REPO / "data" / "sample"

#: The demo's headline table as ``spm-sim demo`` printed it, 238 characters wide.
LABELS = ["Probability of reaching the company target", "Incentive cost, mean"]
COLUMNS = [
    "Baseline 2026",
    "Accelerated 2026",
    "Multi-measure 2026",
    "People and behaviour 2026",
    "Accelerated 2026 vs Baseline 2026",
    "Multi-measure 2026 vs Baseline 2026",
    "People and behaviour 2026 vs Baseline 2026",
]
CELLS = [
    ["53.7%", "53.7%", "53.7%", "51.0%", "no change", "no change", "-2.7 pp ± 2.1 pp"],
    ["$5.76M", "$5.95M", "$5.41M", "$5.83M", "+$185k ± $23.7k", "-$353k ± $13.1k", "+$62.7k"],
]


def _rows():
    return [[label, *cells] for label, cells in zip(LABELS, CELLS, strict=True)]


@pytest.mark.parametrize("width", [80, 120])
def test_a_wide_table_fits_and_keeps_every_cell(width):
    text = format_table(["", *COLUMNS], _rows(), width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    # nothing is dropped or cut: every cell is there, each row label in every block
    for cell in [c for row in CELLS for c in row]:
        assert cell in text
    blocks = text.split("\n\n")
    assert len(blocks) > 1
    for block in blocks:
        assert all(label in block for label in LABELS)
    # every heading is printed whole, wrapped over lines above its column's rule
    for column in COLUMNS:
        found = False
        for block in blocks:
            head, rule = block.split("\n")[:-3], block.split("\n")[-3]
            starts = [
                i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")
            ]
            for start in starts:
                end = rule.index(" ", start) if " " in rule[start:] else len(rule)
                words = " ".join(line[start:end].strip() for line in head).split()
                found = found or " ".join(words) == column
        assert found, column


def test_a_table_that_fits_is_left_on_one_line_per_row():
    text = format_table(["", "Baseline 2026"], [["Incentive cost, mean", "$5.76M"]], width=80)
    assert text.splitlines() == [
        "                      Baseline 2026",
        "--------------------  -------------",
        "Incentive cost, mean         $5.76M",
    ]


def test_headings_wrap_before_columns_are_split():
    header = ["", "People and behaviour 2026"]
    text = format_table(header, [["cost", "$5.83M"]], width=20)
    # one block: wrapping the heading onto two lines was enough
    assert text.splitlines() == [
        "          People and",
        "      behaviour 2026",
        "----  --------------",
        "cost          $5.83M",
    ]


def test_rows_must_match_the_headings():
    with pytest.raises(ValueError, match="every row needs 3 cells"):
        format_table(["a", "b", "c"], [["1", "2"]])


def test_prose_wraps_at_spaces_with_its_indent():
    line = "  Excluded 5 reps: 4 hired during 2025 (R082, R083, R084, R085); 1 left during 2025"
    wrapped = wrap_lines(line, 40).splitlines()
    assert all(len(x) <= 40 for x in wrapped)
    assert wrapped[0].startswith("  Excluded") and wrapped[1].startswith("    ")
    assert " ".join(w.strip() for w in wrapped) == line.strip()


def test_prose_wraps_flush_left_when_asked():
    text = "Decide which plan and quotas to run in 2026: 1 alternative is set against it."
    wrapped = wrap_lines(text, 30, hang="").splitlines()
    assert len(wrapped) > 2 and all(len(x) <= 30 and not x.startswith(" ") for x in wrapped)
    assert " ".join(wrapped) == text
    bullet = wrap_lines("- " + text, 30).splitlines()  # a list item hangs under its text
    assert bullet[0].startswith("- D") and all(x.startswith("  ") for x in bullet[1:])


@pytest.mark.parametrize(
    ("count", "noun", "many", "text"),
    [
        (1, "scenario", None, "1 scenario"),
        (0, "scenario", None, "0 scenarios"),
        (4, "scenario", None, "4 scenarios"),
        (1_500, "setting", None, "1,500 settings"),
        (2, "temporary file", None, "2 temporary files"),
        (3, "stage", None, "3 stages"),
        (2, "person", "people", "2 people"),
    ],
)
def test_plural_counts_in_words(count, noun, many, text):
    assert plural(count, noun, many) == text


@pytest.mark.parametrize("width", [80, 120])
def test_demo_sized_run_prints_within_the_terminal(tmp_path, capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    scenarios = [SCENARIOS / n for n in ("baseline.yaml", "accelerated.yaml")]
    args = ["run", *map(str, scenarios), "--trials", "100", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\n\n2 scenarios, 100 trials each, in " in out
    # the table, how to read it and the summary in words: all within the terminal
    table = out.split("\n\n2 scenarios,")[0]
    assert max(len(line) for line in table.splitlines()) <= width
    assert "Incentive cost, P90" in table and "$" in table and "%" in table
    assert "Summary: what to decide" in table


def test_check_gives_money_its_currency(capsys):
    assert main(["check", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    b = pd.read_csv(SAMPLE / "bookings.csv", usecols=["date", "amount"], parse_dates=["date"])
    assert f"total ${b['amount'].sum():,.0f}" in out
    in_2025 = b[b["date"].dt.year == 2025]
    assert f"2025: ${in_2025['amount'].sum():,.0f} in {len(in_2025):,} deals" in out


def test_align_prints_units_and_fits_80_columns(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    accounts = pd.read_csv(SAMPLE / "accounts.csv", dtype=str).iloc[:300]
    units = tmp_path / "accounts.csv"
    accounts.to_csv(units, index=False)
    (tmp_path / "book.yaml").write_text("name: t\ncurrency: EUR\n", encoding="utf-8")
    out_csv = tmp_path / "align.csv"
    # relative names, as a user types them: the lines naming the files do not depend on
    # how long pytest's temporary folder is (longer under pytest-xdist: .../popen-gw0/...)
    monkeypatch.chdir(tmp_path)
    args = ["align", units.name, "--territories", "4", "--out", out_csv.name, "--no-figure"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    lines = out.splitlines()
    distance = next(line for line in lines if line.startswith("total distance"))
    assert re.match(r"total distance [\d,]+ km[;( ]", distance), distance
    header = next(line for line in lines if line.startswith("territory"))
    assert header.split() == [
        "territory",
        "units",
        "potential",
        "vs",
        "mean",
        "workload",
        "vs",
        "mean",
        "mean",
        "distance",
    ]
    t1 = next(line for line in lines if line.startswith("T1 "))
    cells = t1.split()
    assert cells[2].startswith("€") and cells[5] == "h" and cells[-1] == "km"
    # the territory's potential in euros, as the alignment file adds up
    aligned = pd.read_csv(out_csv, dtype=str).merge(accounts, on="account_id")
    total = aligned.loc[aligned["territory"] == "T1", "potential"].astype(float).sum()
    from spm_sim._format import format_money

    assert cells[2] == format_money(total, currency="EUR")


def test_an_interval_goes_under_its_figure_when_the_row_is_too_wide():
    header = ["", "Baseline 2026", "Accelerated 2026", "Difference vs baseline"]
    rows = [
        [
            "Incentive cost, P90",
            "$6.67M ($6.54M to $6.87M)",
            "$7.08M ($6.89M to $7.29M)",
            "+$403k (+$309k to +$480k)",
        ],
        ["Expected company attainment", "100.6% (99.8% to 101.4%)", "100.6%", "no change"],
    ]
    text = format_table(header, rows, width=90, stack=True)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 90 and "\n\n" not in text  # one block
    p90 = next(i for i, line in enumerate(lines) if line.startswith("Incentive cost, P90"))
    # the figures on the row's line, the intervals (no brackets) right under them
    assert re.fullmatch(r"Incentive cost, P90 +\$6\.67M +\$7\.08M +\+\$403k", lines[p90])
    assert re.fullmatch(
        r" +\$6\.54M to \$6\.87M +\$6\.89M to \$7\.29M +\+\$309k to \+\$480k", lines[p90 + 1]
    )
    assert len(lines[p90]) == len(lines[p90 + 1])  # right-aligned over each other
    # a figure without an interval, and text, keep one line
    assert re.fullmatch(r"Expected company attainment +100\.6% +100\.6% +no change", lines[p90 + 2])
    assert lines[p90 + 3].strip() == "99.8% to 101.4%"
    # a table that fits keeps each figure and its interval on one line
    wide = format_table(header, rows, width=200, stack=True)
    assert "$6.67M ($6.54M to $6.87M)" in wide and len(wide.splitlines()) == 4
    # without stack, the same table is split into blocks instead
    assert "\n\n" in format_table(header, rows, width=90)
