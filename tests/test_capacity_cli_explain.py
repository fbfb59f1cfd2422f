"""``spm-sim capacity`` and ``spm-sim headcount`` explain themselves: which stage binds,
the stages sized together (``--grid``), reps' own win rates (``--rep-rates``).

The sample funnel at a tenth of its volume (2 SDRs, 8 AEs), two or three simulated
years: the model is the same, the runs take seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from spm_sim.cli import main
from spm_sim.cli.capacity import parse_grid

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "capacity" / "inbound.yaml"


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for seg in data["segments"]:
        seg["leads_per_year"] *= 0.1
    data["stages"][0]["reps"] = 2
    data["stages"][1]["reps"] = 8
    data["replications"] = 3
    path = tmp_path_factory.mktemp("explain") / "inbound_small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_capacity_names_the_stage_that_binds_and_writes_the_stages(small, tmp_path):
    code, text, err = _run(["capacity", small, "--replications", 2, "--out", tmp_path])
    assert code == 0, err
    assert "Where the funnel binds" in text
    stages = pd.read_csv(tmp_path / "stages.csv")
    assert stages["stage"].tolist() == ["SDR", "AE"]
    assert {"mean_wait_hours", "mean_queue", "share_lost", "bookings_lost_low"} <= set(stages)
    binding = stages.loc[stages["binding"], "stage"].tolist()
    if len(binding) == 1:  # the sentence names the same stage, with its loss
        (name,) = binding
        row = stages.set_index("stage").loc[name]
        assert re.search(rf"\* {name} binds: its queue costs {row['share_lost']:.1%}", text)
    elif binding:  # two stages the paired years cannot tell apart: both named
        by = stages.set_index("stage")["bookings_lost"]
        a, b = by[binding].sort_values(ascending=False).index
        assert f"* {a} and {b} both bind, within noise" in text
    else:
        assert "No stage binds" in text


def test_headcount_grid_gives_the_joint_answer(small, tmp_path):
    code, text, err = _run(
        ["headcount", small, "--grid", "SDR=1:2", "--grid", "ae=6,8", "--replications", 2,
         "--out", tmp_path]
    )  # fmt: skip
    assert code == 0, err
    grid = pd.read_csv(tmp_path / "team_grid.csv")
    assert sorted(zip(grid["reps_SDR"], grid["reps_AE"], strict=True)) == [
        (1, 6), (1, 8), (2, 6), (2, 8)
    ]  # fmt: skip
    assert grid["base"].sum() == 1 and "2 SDR, 8 AE (today)" in text
    # AEs cost their own rep_cost (190k in the file), SDRs the file's 95k
    assert grid["team_cost"].tolist() == [
        s * 95_000 + a * 190_000 for s, a in zip(grid["reps_SDR"], grid["reps_AE"], strict=True)
    ]
    assert "cost a year per rep: SDR $95.0k, AE $190k" in text
    assert "Cheapest team meeting the target" in text or "No team tried meets" in text
    assert re.search(r"Largest gain net of cost|No team tried gains more", text)
    assert (tmp_path / "team_grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.rstrip().endswith("manifest.json (last)")


def test_headcount_shows_the_binding_stage_and_each_extra_reps_interval(small):
    code, text, err = _run(["headcount", small, "--replications", 4])
    assert code == 0, err
    assert "binds" in text and "extra in year (95% interval)" in text
    rows = [line for line in text.splitlines() if re.match(r"\s+\d+( \*)?\s+\d+\s+[\d.]+%", line)]
    assert len(rows) >= 3
    for line in rows[1:]:  # every step after the first: two paired intervals
        assert len(re.findall(r"\([+-]\$[\d.]+[kM]? to [+-]\$[\d.]+[kM]?\)", line)) == 2, line
        assert re.search(r"\s(SDR|AE|none)\s", line), line


def test_rep_rates_give_each_ae_seat_its_reps_figures(small):
    code, text, err = _run(["capacity", small, "--replications", 2, "--rep-rates", "sample"])
    assert code == 0, err
    assert re.search(
        r"Opportunity stage: 8 AE seats \(the book's current reps with the role AE, by "
        r"rep_id\) win and close at their reps' own rates from the "
        r"sample book's pipeline \([\d,]+ closed opportunities; team 3\d\.\d%; the reps' win "
        r"rates differ by no more than their records' noise",
        text,
    ), text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--grid", "SDR"], "is not STAGE=SIZES"),
        (["--grid", "SDR=a:b"], "must be whole numbers"),
        (["--grid", "SDR=0:3"], "team sizes are whole numbers from 1"),
        (["--grid", "BDR=1,2"], "'BDR'"),
        (["--grid", "SDR=1,2", "--stage", "AE"], "--stage and --grid: give one"),
        (["--grid", "SDR=1,2", "--grid", "sdr=3"], "stage 'SDR' given twice"),
    ],
)
def test_bad_grids_say_what_is_wrong(small, argv, message):
    code, _text, err = _run(["headcount", small, *argv])
    assert code == 2 and message in err, err


def test_parse_grid_reads_lists_and_ranges():
    assert parse_grid("SDR=12:18:2") == ("SDR", [12, 14, 16, 18])
    assert parse_grid("AE=90,80,90") == ("AE", [80, 90])
    with pytest.raises(argparse.ArgumentTypeError, match="more than 20"):
        parse_grid("AE=1:100")
