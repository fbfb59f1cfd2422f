"""Issue 19 review of the capacity answers: where a later stage starts to bind, a binding
stage named only when the years tell it apart, a grid judged on its target's own
window and on every stage it sizes, a rep's win-rate error never below the team's,
and ``--rep-rates`` seating only the reps of the stage's role.

Small funnels and two or three simulated years: the whole file runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_sim._capacity.binding import binding_stages
from spm_sim.capacity import (
    BINDING_SHARE,
    CapacityConfig,
    ServiceTarget,
    fit_rep_rates,
    joint_answer,
    run_capacity,
    stage_losses,
    team_grid,
)
from spm_sim.cli.capacity import _downstream_note, _grid_text, _stages_text, _with_rep_rates


def funnel(sdr: int = 4, ae: int = 1, leads: float = 3000.0, **extra) -> CapacityConfig:
    return CapacityConfig(
        name="funnel",
        segments=[{"name": "web", "leads_per_year": leads}],
        stages=[
            {"name": "SDR", "reps": sdr, "effort_hours": 0.5, "conversion": 0.5,
             "decay_half_life_hours": 8},
            {"name": "AE", "reps": ae, "effort_hours": 1.5, "conversion": 0.5,
             "decay_half_life_hours": 8},
        ],
        **extra,
    )  # fmt: skip


def curve_row(reps: int, binds_ae: bool, share_ae: float, lost_ae: float, wait_ae: float):
    """One row of a headcount curve: AE binds (loses 2%+ and the most) or none does."""
    return {
        "reps": reps,
        "share_lost_SDR": 0.0,
        "bookings_lost_SDR": 0.0,
        "mean_wait_hours_SDR": 0.1,
        "share_lost_AE": share_ae if binds_ae else 0.001,
        "bookings_lost_AE": lost_ae,
        "mean_wait_hours_AE": wait_ae,
    }


# --- 1. the size from which a later stage binds ---------------------------------------


def test_downstream_note_scans_the_whole_curve_and_quotes_the_recommended_size():
    cfg = funnel()
    curve = pd.DataFrame(
        [curve_row(n, True, 0.1 * n / 10, 1e6 * n, n + 0.5) for n in range(12, 17)]
    )
    (line,) = _downstream_note(cfg, 0, curve, 14)
    # AE binds at 12 and 13 too: the note does not start at the recommended 14
    assert "At every size on the curve (12-16 SDR reps), AE binds." in line
    assert "From 14" not in line
    # the recommended size's own figures, not the first bound size's
    assert "At the recommended 14: waiting at AE costs 14.0% of its conversion" in line
    assert "$14.0M of bookings a year; mean wait 14.5 h" in line


def test_downstream_note_names_the_first_size_from_which_a_later_stage_binds():
    cfg = funnel()
    curve = pd.DataFrame([curve_row(n, n >= 13, 0.05, 2e6, 9.0) for n in range(12, 17)])
    (line,) = _downstream_note(cfg, 0, curve, 12)
    assert line.startswith("  From 13 SDR reps (to 16, the curve's end), AE binds.")
    assert "At the recommended 12, no stage binds." in line
    gaps = pd.DataFrame([curve_row(n, n in (12, 13, 15), 0.05, 2e6, 9.0) for n in range(12, 17)])
    assert _downstream_note(cfg, 0, gaps, 14)[0].startswith("  At 12-13 and 15 SDR reps, AE")
    none = pd.DataFrame([curve_row(n, False, 0.05, 2e6, 9.0) for n in range(12, 17)])
    assert _downstream_note(cfg, 0, none, 14) == []


# --- 2. a binding stage named only when the paired years tell it apart ----------------


def test_binding_stage_within_noise_names_both_and_a_clear_one_alone():
    t = pd.DataFrame(
        {"stage": ["SDR", "AE"], "share_lost": [0.15, 0.17], "bookings_lost": [4.2e6, 4.6e6]}
    )
    # AE loses more on average, SDR more in two of four years: noise
    per = pd.DataFrame(
        {"bookings_lost_SDR": [1e6, 7e6, 2e6, 6.8e6], "bookings_lost_AE": [6e6, 3e6, 6.4e6, 3e6]}
    )
    assert binding_stages(t, per=per) == ("AE", "SDR")
    steady = per.assign(bookings_lost_AE=per["bookings_lost_SDR"] + 4e5)
    assert binding_stages(t, per=steady) == ("AE",)
    # a stage under BINDING_SHARE is never compared: the other binds alone
    assert binding_stages(t.assign(share_lost=[BINDING_SHARE / 2, 0.17]), per=per) == ("AE",)
    assert binding_stages(t.assign(share_lost=[0.0, 0.0]), per=per) == ()


def _table(shares, lost, names):
    table = pd.DataFrame(
        {
            "stage": ["SDR", "AE"],
            "reps": [12, 80],
            "routing": ["shortest_queue", "territory"],
            "binding": [s in names for s in ("SDR", "AE")],
        }
    )
    for fig in ("mean_wait_hours", "p90_wait_hours", "mean_queue", "utilisation"):
        table[fig] = [1.0, 2.0]
    table["waiting_at_year_end"] = [10.0, 20.0]
    table["lost_leads"] = [100.0, 200.0]
    table["share_lost"] = table["share_lost_low"] = table["share_lost_high"] = shares
    table["bookings_lost"] = table["bookings_lost_low"] = table["bookings_lost_high"] = lost
    table.attrs.update(
        binding=names[0] if len(names) == 1 else None, binding_stages=names, replications=4
    )
    return table


def test_capacity_text_says_both_bind_within_noise_and_when_extra_sdrs_can_hurt():
    cfg = funnel()
    tie = _stages_text(_table([0.157, 0.172], [4.18e6, 4.62e6], ("AE", "SDR")), cfg)
    assert "AE and SDR both bind, within noise" in tie
    assert "AE binds:" not in tie
    # SDR loses 15.7% itself: extra SDRs buy some back, they are not said to lower bookings
    assert "can lower bookings" not in tie
    assert "SDR loses 15.7% of its conversion to waiting too" in tie
    clear = _stages_text(_table([0.005, 0.172], [1e4, 4.62e6], ("AE",)), cfg)
    assert "* AE binds: its queue costs 17.2%" in clear
    assert "extra SDRs can lower bookings" in clear


def test_stage_losses_compares_the_top_two_stages_year_by_year():
    table = stage_losses(run_capacity(funnel(), 3, rng=0))
    names = table.attrs["binding_stages"]
    assert names == ("AE",)  # one AE for ~1,500 meetings: clear in every year
    assert table.attrs["binding"] == "AE"
    assert table.loc[table["binding"], "stage"].tolist() == ["AE"]


# --- 3 and 4. the grid's target: its own window, every stage sized ---------------------


def test_team_grid_reads_the_share_in_the_targets_own_window():
    cfg = funnel(sdr=2, ae=2, leads=1500, target={"within_hours": 1, "share": 0.5})
    grid = team_grid(
        cfg, {"AE": [2, 3]}, replications=2, rng=0, target=ServiceTarget(within_hours=2, share=0.8)
    )
    assert "share_within_2h" in grid and "share_within_1h" not in grid
    assert grid["meets_target"].tolist() == (grid["share_within_2h"] >= 0.8).tolist()
    with pytest.raises(Exception, match="within_hours=1 but the target counts leads"):
        team_grid(cfg, {"AE": [2]}, replications=2, rng=0, within_hours=1,
                  target=ServiceTarget(within_hours=2, share=0.8))  # fmt: skip


def test_team_grid_caps_the_utilisation_of_every_stage_it_sizes():
    # SDRs idle, one AE near saturation: the cap binds at AE only
    cfg = funnel(sdr=6, ae=1, leads=2000)
    cap = ServiceTarget(max_utilisation=0.5)
    grid = team_grid(cfg, {"AE": [1, 4]}, replications=2, rng=0, target=cap)
    assert grid["utilisation_SDR"].max() < 0.5
    by = grid.set_index("reps_AE")
    assert by.loc[1, "utilisation_AE"] > 0.5 and not by.loc[1, "meets_target"]
    assert by.loc[4, "utilisation_AE"] < 0.5 and by.loc[4, "meets_target"]
    text = _grid_text(cfg.replace(target=cap), grid, joint_answer(grid))
    assert "utilisation at most 50% at AE" in text
    tied = grid.assign(binding="AE or SDR")
    tie = _grid_text(cfg.replace(target=cap), tied, joint_answer(tied))
    assert "AE and SDR bind there, within noise." in tie


# --- 5. a rep's win-rate error is never far below the team rate's ----------------------


def test_rep_win_rate_se_carries_the_team_rates_own_error():
    rng = np.random.default_rng(0)
    rows = []
    for r in range(6):  # one rate for all: the prior grows very large
        won = rng.random(300) < 0.3
        rows += [(f"R{r}", "won" if w else "lost") for w in won]
    pipe = pd.DataFrame(rows, columns=["rep_id", "status"]).assign(
        created_date=pd.Timestamp("2025-01-01"), closed_date=pd.Timestamp("2025-03-01")
    )
    rates = fit_rep_rates(pipe)
    m, n = rates.attrs["team_win_rate"], rates["opportunities"].sum()
    team_se = np.sqrt(m * (1 - m) / n)
    assert rates["shrinkage"].max() < 0.2  # mostly the team's rate
    # near the team's own standard error, not the prior's tiny spread around it
    assert (rates["win_rate_se"] >= 0.95 * team_se).all()
    assert (rates["win_rate_se"] <= 3 * team_se).all()


# --- 6. --rep-rates seats the reps of the stage's role ---------------------------------


def test_rep_rates_seat_only_the_reps_whose_role_is_the_stage():
    cfg = funnel(sdr=2, ae=3)
    seated, note = _with_rep_rates(cfg, "sample")  # the sample book's reps are all AEs
    assert len(seated.opportunity.seat_win_rates) == 3
    assert "current reps with the role AE" in note
    closer = cfg.replace(
        stages=[cfg.stages[0], cfg.stages[1].model_copy(update={"name": "Closer"})]
    )
    kept, note = _with_rep_rates(closer, "sample")
    assert kept.opportunity.seat_win_rates is None  # no Closer in the book: the file's rates
    assert "No current rep in the book has the role 'Closer' (its roles: AE)" in note
