"""Progress bars: the library's long calls take ``progress``, the CLI shows bars on a
terminal's stderr only, and the numbers never depend on them."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spm_sim import load_sample, sample_scenario
from spm_sim.cli import main
from spm_sim.cli.args import show_progress
from spm_sim.fit_report import fit_report
from spm_sim.productivity import fit_productivity
from spm_sim.quota import QuotaSettings, annual_draws
from spm_sim.sweep import company_view
from spm_sim.territory import design

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "data" / "scenarios" / "baseline.yaml"


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal and keeps what is written to it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def book():
    return load_sample()


def test_annual_draws_bar_and_same_numbers(book, capsys):
    model = fit_productivity(book, plan_year=2026)
    quiet = annual_draws(model, 120, rng=3)
    capsys.readouterr()
    shown = annual_draws(model, 120, rng=3, progress=True)
    err = capsys.readouterr().err
    assert "simulated years" in err and "/120 " in err
    np.testing.assert_array_equal(quiet, shown)


def test_fit_report_bar_and_same_numbers(book, capsys):
    quiet = fit_report(book, plan_year=2026, n_sims=40, rng=1)
    assert capsys.readouterr().err == ""
    shown = fit_report(book, plan_year=2026, n_sims=40, rng=1, progress=True)
    err = capsys.readouterr().err
    assert "back-test of 2025" in err and "/40 " in err
    pd.testing.assert_frame_equal(quiet.backtest.checks, shown.backtest.checks)


def test_design_bar_and_same_alignment(capsys):
    units = pd.read_csv(REPO / "data" / "sample" / "accounts.csv", dtype={"rep_id": str}).iloc[:200]
    quiet = design(units, territories=3, rng=0)
    assert capsys.readouterr().err == ""
    shown = design(units, territories=3, rng=0, progress=True)
    err = capsys.readouterr().err
    assert "territories: placing the centers" in err
    # the assignment moves the bar step by step, each stage named
    for stage in ("LP relaxation", "rounding and repair", "checks"):
        assert f"territories: assigning ({stage})" in err, stage
    pd.testing.assert_frame_equal(quiet.units, shown.units)


def test_company_view_passes_progress_to_each_simulation(book, capsys):
    settings = {"5%": QuotaSettings(growth=0.08, over_assignment=0.05)}
    scenario = sample_scenario("baseline")
    quiet = company_view(scenario, settings, trials=100, rng=0, book=book)
    assert capsys.readouterr().err == ""
    shown = company_view(scenario, settings, trials=100, rng=0, book=book, progress=True)
    err = capsys.readouterr().err
    # the simulation's own bar, by scenario, counting its 100 trials
    assert re.search(r"Baseline 2026: .*\| \d+/100 \[", err), err[-300:]
    pd.testing.assert_frame_equal(quiet, shown)


def test_cli_shows_bars_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    args = ["quotas", str(BASELINE), "--trials", "200", "--out", str(tmp_path / "a.csv")]
    assert main(args) == 0
    plain = capsys.readouterr()
    assert plain.err == ""  # stderr is not a terminal here: no bar

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    args[-1] = str(tmp_path / "b.csv")
    assert main(args) == 0
    shown = capsys.readouterr()
    assert "simulated years" in terminal.getvalue()  # the judgement's draws
    assert "Baseline 2026" in terminal.getvalue()  # the simulation's bar, by scenario
    # the summary on stdout is the same, bar or not, and so are the quotas written
    assert shown.out.replace("/b", "/a") == plain.out
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_quiet_and_non_terminals_turn_the_bars_off(monkeypatch):
    import argparse

    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert show_progress(argparse.Namespace(quiet=False)) is True
    assert show_progress(argparse.Namespace(quiet=True)) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert show_progress(argparse.Namespace(quiet=False)) is False


def _on_a_terminal(monkeypatch) -> _Terminal:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    return terminal


def test_run_passes_the_terminal_to_the_simulation(tmp_path, capsys, monkeypatch):
    terminal = _on_a_terminal(monkeypatch)
    args = ["run", str(BASELINE), "--trials", "100", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    assert re.search(r"Baseline 2026: .*\| \d+/100 \[", terminal.getvalue())
    # --quiet turns it off, on the same terminal
    terminal.truncate(0)
    assert main(args[:-1] + [str(tmp_path / "q"), "--quiet"]) == 0
    assert terminal.getvalue() == ""


def test_demo_shows_a_bar_for_each_of_its_scenarios(tmp_path, capsys, monkeypatch):
    terminal = _on_a_terminal(monkeypatch)
    assert main(["demo", "--trials", "40", "--out", str(tmp_path / "d")]) == 0
    err = terminal.getvalue()
    for name in ("Baseline 2026", "Accelerated 2026", "Multi-measure 2026"):
        assert re.search(rf"{name}: .*\| \d+/40 \[", err), name


def test_align_and_fit_pass_the_terminal_through(tmp_path, capsys, monkeypatch):
    units = pd.read_csv(REPO / "data" / "sample" / "accounts.csv", dtype=str).iloc[:150]
    units.to_csv(tmp_path / "units.csv", index=False)
    terminal = _on_a_terminal(monkeypatch)
    args = ["align", str(tmp_path / "units.csv"), "--territories", "3"]
    assert main([*args, "--out", str(tmp_path / "a.csv"), "--no-figure"]) == 0
    err = terminal.getvalue()
    assert "territories: placing the centers" in err
    assert "territories: assigning (LP relaxation)" in err
    terminal.truncate(0)
    assert main(["fit", "--plan-year", "2026", "--sims", "30"]) == 0
    assert re.search(r"back-test of 2025: .*\| \d+/30 \[", terminal.getvalue())
