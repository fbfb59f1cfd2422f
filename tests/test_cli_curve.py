"""``spm-sim curve`` on every sample plan: the effective-rate axis keeps each plan readable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spm_sim.cli import main
from spm_sim.comp import load_plan, payout_curve
from spm_sim.viz.results import RATE_AXIS_FROM, payout_curves

PLANS = sorted((Path(__file__).resolve().parents[1] / "data" / "plans").glob("*.yaml"))


def test_curve_on_every_sample_plan_writes_one_readable_figure(tmp_path, capsys):
    out = tmp_path / "curves.png"
    assert main(["curve", *map(str, PLANS), "--out", str(out)]) == 0
    assert out.stat().st_size > 20_000
    printed = capsys.readouterr().out
    for plan in PLANS:
        assert load_plan(plan).name in printed


def test_effective_rate_axis_is_set_by_the_plans_not_by_a_draw_at_zero_sales():
    plans = [load_plan(p) for p in PLANS]
    fig = payout_curves(plans)
    rate_axis = fig.axes[1]
    top = rate_axis.get_ylim()[1]
    att = np.linspace(0.0, 2.5, 501)
    from_half = [
        float(np.nanmax(payout_curve(p, att)["effective_rate"].to_numpy()[att >= RATE_AXIS_FROM]))
        for p in plans
    ]
    # every plan is fully on the axis from half of quota up, with room above ...
    assert top >= max(from_half)
    # ... and the axis is not stretched to the SDR draw near 0% attainment (about 40x)
    assert top < 2.5
    sdr = next(p for p in plans if "draw" in p.name.lower())
    assert np.nanmax(payout_curve(sdr, att)["effective_rate"]) > 10 * top
    # what is off the scale is said under the axis, with the plan's name and its peak
    label = rate_axis.get_xlabel()
    assert "Off the scale" in label and sdr.name in label and "40.8x" in label
    # plans that stay on the scale are not named there
    assert "Baseline 2026 AE plan" not in label


def test_no_note_when_every_plan_fits():
    fig = payout_curves([load_plan(p) for p in PLANS if "draw" not in p.name])
    assert "Off the scale" not in fig.axes[1].get_xlabel()


@pytest.mark.parametrize("n", [1, 2])
def test_the_legend_is_off_the_data(n):
    fig = payout_curves([load_plan(p) for p in PLANS[:n]])
    assert all(ax.get_legend() is None for ax in fig.axes)  # no legend inside an axes
    assert len(fig.legends) == 1


def test_the_off_scale_note_is_printed_too(tmp_path, capsys):
    from spm_sim.viz.results import rate_axis_note

    plans = [load_plan(p) for p in PLANS]
    note = rate_axis_note(plans)
    assert note.startswith("Off the scale: ") and "40.8x" in note
    assert main(["curve", *map(str, PLANS), "--out", str(tmp_path / "c.png")]) == 0
    printed = capsys.readouterr().out
    assert f"  {note} (effective rate, x TCR; --csv writes every value)." in printed
    # nothing to say when every plan fits
    fits = [p for p in PLANS if "draw" not in load_plan(p).name.lower()]
    assert main(["curve", *map(str, fits), "--out", str(tmp_path / "d.png")]) == 0
    assert "Off the scale" not in capsys.readouterr().out
