"""Common random numbers across team sizes, and which stage of a funnel binds.

Issue 19: on the sample funnel more SDRs gave fewer bookings. These tests pin what
the model guarantees and what it reports:

* in a single stage, more reps never lower expected bookings, for every routing,
  with and without attrition (same seeds). One pooled FCFS queue of identical reps
  is pathwise monotone: every lead starts no later with one more rep, so it passes
  whenever it passed before and closes no later, and the year's bookings never
  fall, replication by replication. Separate queues (round robin, shortest queue,
  territory) re-route leads when a seat is added, and leavers and ramping
  replacements make reps' speeds differ: a lead can then wait longer in one year,
  so only the mean is monotone, and the paired mean difference is allowed Monte
  Carlo noise (two standard errors) only;
* in a chain whose downstream stage is short of reps, that stage is named as the
  one that binds, with its queue and the bookings lost there, and adding reps
  upstream does not buy bookings back;
* the joint grid pairs every team with today's on the same years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_sim.capacity import (
    CapacityConfig,
    Opportunity,
    binding_stage,
    joint_answer,
    mean_ci,
    run_capacity,
    stage_figures,
    stage_losses,
    team_grid,
)
from spm_sim.errors import CapacityError

ROUTINGS = ("pooled", "round_robin", "shortest_queue", "territory")


def one_stage(routing: str, attrition: float, reps: int = 3) -> CapacityConfig:
    """About 1,600 leads a year on 3 reps at ~90% load, leads going cold as they wait;
    short cycles so most opportunities close in the year."""
    return CapacityConfig(
        name=f"one stage, {routing}",
        segments=[{"name": "web", "leads_per_year": 1600}],
        stages=[
            {
                "name": "AE",
                "reps": reps,
                "effort_hours": 3.4,
                "selling_share": 1.0,
                "conversion": 0.5,
                "decay_half_life_hours": 6.0,
                "routing": routing,
                "attrition": attrition,
                "backfill_lag_days": 20,
            }
        ],
        opportunity={"win_rate": 0.3, "cycle_days": 20, "deal_size": 10_000},
    )


def _bookings(config: CapacityConfig, sizes, replications: int, seed: int) -> pd.DataFrame:
    """Per replication (rows) and size (columns): realised bookings in the year and the
    expected bookings of the opportunities' pass chances (sum of p_pass x value)."""
    value = config.opportunity.win_rate * config.opportunity.deal_size
    out = {}
    for n in sizes:
        res = run_capacity(config.with_reps(n), replications, rng=seed)
        booked = res.bookings.groupby("replication")["bookings"].sum()
        expected = res.work.groupby("replication")["p_pass"].sum() * value
        out[("booked", n)] = booked.reindex(range(replications), fill_value=0.0)
        out[("expected", n)] = expected
    return pd.DataFrame(out)


@pytest.mark.parametrize("attrition", [0.0, 0.6])
@pytest.mark.parametrize("routing", ROUTINGS)
def test_more_reps_never_lower_expected_bookings_in_a_single_stage(routing, attrition):
    sizes = (3, 4, 6)
    reps = 5
    table = _bookings(one_stage(routing, attrition), sizes, reps, seed=11)
    for fig in ("expected", "booked"):
        for a, b in zip(sizes, sizes[1:], strict=False):
            diff = (table[(fig, b)] - table[(fig, a)]).to_numpy()
            if routing == "pooled" and attrition == 0.0:
                # pathwise: not one replication loses bookings with a rep more
                assert (diff >= -1e-6).all(), (fig, a, b, diff)
            else:
                mean, half = mean_ci(diff, level=0.95)
                se = half / 2.776  # t quantile of 4 degrees of freedom
                assert mean >= -2 * se, (fig, a, b, mean, se)
    # the first rep added to a team at ~90% load buys a clear gain
    gain = table[("expected", 4)] - table[("expected", 3)]
    assert gain.mean() > 0 and (gain > 0).sum() >= 4, gain.tolist()


def funnel(sdrs: int, aes: int, ae_routing: str = "territory") -> CapacityConfig:
    """2,400 leads: SDRs qualify half of them in 0.5 h, the AEs take 3 h a meeting."""
    return CapacityConfig(
        name="funnel",
        segments=[{"name": "web", "leads_per_year": 2400}],
        stages=[
            {
                "name": "SDR",
                "reps": sdrs,
                "effort_hours": 0.5,
                "selling_share": 0.8,
                "conversion": 0.5,
                "decay_half_life_hours": 4.0,
                "routing": "shortest_queue",
            },
            {
                "name": "AE",
                "reps": aes,
                "effort_hours": 3.0,
                "selling_share": 0.5,
                "conversion": 0.5,
                "decay_half_life_hours": 16.0,
                "routing": ae_routing,
            },
        ],
        opportunity={"win_rate": 0.25, "cycle_days": 30, "deal_size": 20_000},
        target={"within_hours": 1, "share": 0.9},
        rep_cost=50_000,
        replications=4,
    )


def test_a_short_downstream_stage_is_named_as_the_one_that_binds():
    # 1,200 meetings x 3 h / 0.5 = 7,200 h on 4 AEs of 2,008 h: ~90% busy, each with
    # a queue of their own; the 2 SDRs at ~37% keep up
    res = run_capacity(funnel(2, 4), 4, rng=5)
    table = stage_losses(res)
    assert table.attrs["binding"] == "AE"
    ae = table.set_index("stage").loc["AE"]
    sdr = table.set_index("stage").loc["SDR"]
    assert ae["binding"] and not sdr["binding"]
    assert ae["mean_wait_hours"] > 5 * sdr["mean_wait_hours"]
    assert ae["share_lost"] > 0.1 > sdr["share_lost"]
    assert ae["bookings_lost_low"] > sdr["bookings_lost"]
    assert ae["utilisation"] > 0.8 and ae["mean_queue"] > 1
    # the losses are the pass chances the waits took: sum(p0 - p) at each stage
    w = res.work
    lost = 0.5 - w.loc[w["stage"] == 1, "p_pass"]
    assert ae["lost_leads"] == pytest.approx(lost.sum() / 4)
    # the leads that reached the AEs are those the SDRs passed
    assert ae["arrived"] == pytest.approx(w.loc[w["stage"] == 0, "passed"].sum() / 4)


def test_more_upstream_reps_do_not_buy_back_what_a_binding_stage_loses():
    """The issue-19 pattern, small: SDRs that keep up already pass a few more leads to
    AEs that bind, who then lose more to waiting; more AEs gain clearly."""
    per = {}
    for sdrs, aes in ((2, 4), (4, 4), (2, 6)):
        res = run_capacity(funnel(sdrs, aes), 4, rng=5)
        per[(sdrs, aes)] = (
            stage_figures(res.config, res.work, res.reps, res.queue, res.hours),
            res.per_replication(),
        )
    more_sdrs = per[(4, 4)][1]["opportunities"] - per[(2, 4)][1]["opportunities"]
    more_aes = per[(2, 6)][1]["opportunities"] - per[(2, 4)][1]["opportunities"]
    # paired by replication: two more AEs beat two more SDRs in every year
    assert (more_aes > more_sdrs).all(), (more_aes.tolist(), more_sdrs.tolist())
    mean, half = mean_ci(more_sdrs.to_numpy(float))
    assert mean - half < 0.02 * per[(2, 4)][1]["opportunities"].mean()  # no clear gain
    # the SDRs added make the AE queue longer, not shorter
    wait = "mean_wait_hours_AE"
    assert (per[(4, 4)][0][wait] >= per[(2, 4)][0][wait] - 0.5).all()


def test_no_stage_binds_when_every_stage_keeps_up_and_the_first_when_it_is_short():
    ample = stage_losses(run_capacity(funnel(3, 12, "pooled"), 2, rng=1))
    assert ample.attrs["binding"] is None and not ample["binding"].any()
    short = stage_losses(run_capacity(funnel(1, 12, "pooled").scaled(1.6), 2, rng=1))
    assert short.attrs["binding"] == "SDR"


def test_binding_stage_needs_a_real_loss():
    t = pd.DataFrame(
        {"stage": ["SDR", "AE"], "share_lost": [0.03, 0.019], "bookings_lost": [1.0, 99.0]}
    )
    assert binding_stage(t) == "SDR"  # AE loses more money but under 2% of its conversion
    assert binding_stage(t, share=0.01) == "AE"
    assert binding_stage(t, share=0.5) is None


def test_team_grid_pairs_every_team_with_today_and_gives_the_joint_answer():
    cfg = funnel(2, 4).replace(
        stages=[
            funnel(2, 4).stages[0].model_dump(),
            funnel(2, 4).stages[1].model_dump() | {"rep_cost": 120_000},
        ]
    )
    grid = team_grid(cfg, {"SDR": [1, 2, 3], "AE": [4, 6]}, replications=3, rng=2)
    assert len(grid) == 6 and grid["base"].sum() == 1
    base = grid[grid["base"]].iloc[0]
    assert (base["reps_SDR"], base["reps_AE"]) == (2, 4)
    assert base["value_vs_base"] == 0 and base["net_vs_base"] == 0
    assert grid["team_cost"].tolist() == [
        s * 50_000 + a * 120_000 for s, a in zip(grid["reps_SDR"], grid["reps_AE"], strict=True)
    ]
    # today's team: the AEs bind; with 6 AEs the expected value rises, paired, clearly
    assert base["binding"] == "AE"
    six = grid[(grid["reps_SDR"] == 2) & (grid["reps_AE"] == 6)].iloc[0]
    assert six["value_vs_base_low"] > 0
    # one SDR for 2,400 leads misses the response target
    assert not grid.loc[grid["reps_SDR"] == 1, "meets_target"].any()
    answer = joint_answer(grid)
    cheapest = answer["cheapest"]
    assert cheapest["meets_target"]
    ok = grid[grid["meets_target"]]
    assert cheapest["team_cost"] == ok["team_cost"].min()
    assert answer["best"]["net_vs_base"] == ok["net_vs_base"].max()


def test_team_grid_refuses_what_it_cannot_run():
    cfg = funnel(2, 4)
    with pytest.raises(CapacityError, match="no stage 'BDR'.*SDR, AE"):
        team_grid(cfg, {"BDR": [1, 2]})
    with pytest.raises(CapacityError, match="each at least 1 rep"):
        team_grid(cfg, {"AE": [0, 2]})
    with pytest.raises(CapacityError, match="more than 400"):
        team_grid(cfg, {"SDR": range(1, 30), "AE": range(1, 30)})


def test_seats_win_at_their_own_rates_on_the_same_draws():
    base = one_stage("round_robin", 0.0, reps=3).replace(
        segments=[{"name": "web", "leads_per_year": 4000}],
        stages=[one_stage("round_robin", 0.0).stages[0].model_dump() | {"effort_hours": 0.5}],
    )
    rates = (0.6, 0.1, 0.3)
    own = base.replace(
        opportunity=Opportunity(
            win_rate=0.3,
            cycle_days=20,
            deal_size=10_000,
            seat_win_rates=rates,
            seat_cycle_days=(10.0, 20.0, 40.0),
        )
    )
    a = run_capacity(base, 2, rng=3).opportunities
    b = run_capacity(own, 2, rng=3).opportunities
    both = a.merge(b, on=["replication", "lead"], suffixes=("_team", "_own"))
    assert len(both) == len(a) == len(b)  # the same leads pass: only wins and cycles move
    by_seat = both.groupby("seat_own")["won_own"].mean()
    for seat, rate in enumerate(rates):
        assert by_seat[seat] == pytest.approx(rate, abs=0.06)
    # a lead won by the team's 30% rate is won at seat 0's 60% too (the same uniform)
    seat0 = both[both["seat_own"] == 0]
    assert (seat0["won_own"] >= seat0["won_team"]).all()
    # seat 2 closes its deals later: twice the team's cycle
    days = (both["close_date_own"] - both["close_date_team"]).dt.days
    assert (days[both["seat_own"] == 2] >= 0).all() and (days[both["seat_own"] == 0] <= 0).all()
    assert np.isclose(own.opportunity.seat_rates(np.array([5]))[0][0], 0.3)
