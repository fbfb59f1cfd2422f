"""``spm-sim align`` end to end, as a user runs it (a subprocess)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli import spm_sim  # the same subprocess runner as the other commands' tests

from spm_sim.cli import main
from spm_sim.cli.territory import parse_balance, parse_caps

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="module")
def west(tmp_path_factory):
    """The sample's accounts of eight West reps, their homes and one rep who left."""
    folder = tmp_path_factory.mktemp("west")
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=str)
    keep = reps[reps["region"] == "West"].head(8)
    left = reps[reps["term_date"].notna()].head(1)
    pd.concat([keep, left]).to_csv(folder / "homes.csv", index=False)
    acc = pd.read_csv(SAMPLE / "accounts.csv", dtype={"unit_id": str})
    acc[acc["rep_id"].isin(keep["rep_id"])].to_csv(folder / "accounts.csv", index=False)
    return folder


@pytest.mark.slow
def test_align_with_homes_cap_and_output(west):
    out = west / "align.csv"
    proc = spm_sim(
        "align",
        "accounts.csv",
        "--homes",
        "homes.csv",
        "--current",
        "rep_id",
        "--balance",
        "potential=10%,workload=0.1",
        "--max-disruption",
        "0.25",
        "--time-limit",
        "5",
        "--out",
        str(out),
        "--no-figure",
        cwd=west,
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped 1 reps of homes.csv with a term_date" in proc.stdout
    assert "8 territories over" in proc.stdout and "disruption:" in proc.stdout
    assert "before -> after (the current alignment measured the same way):" in proc.stdout
    got = pd.read_csv(out, dtype=str)
    acc = pd.read_csv(west / "accounts.csv", dtype=str)
    assert list(got.columns) == ["account_id", "territory", "rep_id"]
    assert got["account_id"].tolist() == acc["account_id"].tolist()
    moved = (got["rep_id"] != acc["rep_id"]).mean()
    assert moved <= 0.25 + 1e-9
    pot = acc["potential"].astype(float).groupby(got["rep_id"]).sum()
    assert (pot / pot.mean() - 1).abs().max() <= 0.10 + 1e-9


def test_align_infeasible_request_is_explained(tmp_path):
    pd.DataFrame(
        {"unit_id": ["a", "b", "c"], "x": [0, 1, 2], "y": 0, "potential": [10, 1, 1]}
    ).to_csv(tmp_path / "u.csv", index=False)
    proc = spm_sim(
        "align",
        "u.csv",
        "--territories",
        "2",
        "--balance",
        "potential=0.05",
        "--out",
        "a.csv",
        "--no-figure",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "spm-sim: error: +-5% on potential is infeasible: the "
        "largest unit, a, holds 166.7% of a mean territory's"
    )
    assert "Traceback" not in proc.stderr


def test_align_bad_cell_missing_file_and_bad_option(tmp_path):
    pd.DataFrame(
        {"unit_id": ["a", "b"], "lat": [40, 41], "lon": [-100, -101], "potential": ["5", "lots"]}
    ).to_csv(tmp_path / "u.csv", index=False)
    proc = spm_sim(
        "align",
        "u.csv",
        "--territories",
        "1",
        "--balance",
        "potential=0.1",
        "--out",
        "a.csv",
        "--no-figure",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "u.csv, row 3, column 'potential': value 'lots' is not a number >= 0" in proc.stderr
    proc = spm_sim("align", "none.csv", "--territories", "2", "--out", "a.csv", cwd=tmp_path)
    assert proc.returncode == 2 and "file not found: none.csv" in proc.stderr
    proc = spm_sim(
        "align",
        "u.csv",
        "--territories",
        "2",
        "--balance",
        "potential",
        "--out",
        "a.csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "'potential' is not MEASURE=TOLERANCE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_parse_balance():
    assert parse_balance("workload=0.2,potential=10%") == {"workload": 0.2, "potential": 0.1}
    with pytest.raises(Exception, match="not a number"):
        parse_balance("potential=abc")


def test_align_numeric_rep_ids_and_argument_errors(tmp_path):
    pd.DataFrame(
        {
            "unit_id": range(1, 7),
            "x": [0, 1, 2, 8, 9, 10],
            "y": 0,
            "potential": 1,
            "rep": [101, 101, 101, 102, 102, 102],
        }
    ).to_csv(tmp_path / "u.csv", index=False)
    pd.DataFrame({"rep_id": [101, 102], "x": [0, 10], "y": 0}).to_csv(
        tmp_path / "h.csv", index=False
    )
    proc = spm_sim(
        "align",
        "u.csv",
        "--homes",
        "h.csv",
        "--balance",
        "potential=0",
        "--current",
        "rep",
        "--out",
        "o.csv",
        "--no-figure",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "disruption: 0.0% of units change rep" in proc.stdout
    proc = spm_sim(
        "align", "u.csv", "--territories", "10", "--out", "o2.csv", "--no-figure", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "territories must be between 1 and the 6 units; got 10" in proc.stderr
    assert not (tmp_path / "o2.csv").exists() and not list(tmp_path.glob(".*"))
    # the earlier alignment is not replaced unasked
    proc = spm_sim(
        "align", "u.csv", "--territories", "2", "--out", "o.csv", "--no-figure", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "--out o.csv exists already; pass --force to replace it" in proc.stderr
    assert "Traceback" not in proc.stderr


def _small_units(folder: Path) -> None:
    """18 units in three clusters, their current reps and the reps' homes."""
    rng = np.random.default_rng(8)
    pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(18)],
            "x": np.repeat([0.0, 10.0, 20.0], 6) + rng.uniform(-3, 3, 18),
            "y": rng.uniform(-3, 3, 18),
            "potential": rng.uniform(1, 3, 18).round(2),
            "rep": rng.choice(["A", "B", "C"], 18),
        }
    ).to_csv(folder / "u.csv", index=False)
    pd.DataFrame({"rep_id": ["A", "B", "C"], "x": [0.0, 10.0, 20.0], "y": 0.0}).to_csv(
        folder / "h.csv", index=False
    )


def test_align_tradeoff_on_processes_matches_serial(tmp_path, monkeypatch, capsys):
    _small_units(tmp_path)
    monkeypatch.chdir(tmp_path)
    base = ["align", "u.csv", "--homes", "h.csv", "--current", "rep", "--balance"]
    base += ["potential=15%", "--method", "exact", "--tradeoff", "0,25%,none"]
    tables = {}
    runs = {"serial": ["--no-figure"], "processes": ["--executor", "processes", "--workers", "2"]}
    for name, extra in runs.items():
        code = main([*base, "--out", f"{name}.csv", *extra])
        text = capsys.readouterr().out
        assert code == 0
        assert "trade-off of disruption against distance, one design per cap:" in text
        assert f"wrote {name}_tradeoff.csv" in text
        assert (f"wrote {name}_tradeoff.png" in text) is (name == "processes")
        tables[name] = pd.read_csv(tmp_path / f"{name}_tradeoff.csv")
    serial, processes = tables["serial"], tables["processes"]
    assert serial["status"].tolist()[1:] == ["optimal"] * 2
    pd.testing.assert_frame_equal(serial.drop(columns="seconds"), processes.drop(columns="seconds"))
    assert (tmp_path / "processes_tradeoff.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tradeoff", "10%,none"], "--tradeoff: a trade-off of disruption needs the current"),
        (["--current", "rep", "--executor", "processes"], "--executor: only the trade-off's"),
        (["--current", "rep", "--workers", "2"], "--workers: only the trade-off's designs"),
        (["--current", "rep", "--tradeoff", "10%,0.1"], "cap '0.1' is given twice"),
        (["--current", "rep", "--tradeoff", "15"], "'15' is not a share in [0, 1]"),
    ],
)
def test_align_tradeoff_option_errors(args, message, tmp_path, monkeypatch, capsys):
    _small_units(tmp_path)
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["align", "u.csv", "--homes", "h.csv", "--out", "a.csv", "--no-figure", *args])
    except SystemExit as stop:  # argparse's own errors (an option's value)
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "a.csv").exists()


def test_parse_caps():
    assert parse_caps("5%, 0.1, none") == (0.05, 0.1, None)
    with pytest.raises(Exception, match="give 1 to 20 caps"):
        parse_caps(",")
