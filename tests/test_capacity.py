"""The SimPy capacity model against queueing theory, and its planning functions.

Oracles: the Erlang C formulas of the M/M/c queue (``spm_sim.capacity``), Little's
law on the simulated output, sample-path monotonicity of a FCFS queue in the number
of servers, and identities of the bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from spm_sim.capacity import (
    CapacityConfig,
    ServiceTarget,
    calendar,
    handoff,
    headcount_curve,
    lead_arrivals,
    load_capacity_config,
    mean_ci,
    mmc,
    pass_probability,
    pooled_utilisation,
    response_time_curves,
    run_capacity,
    share_column,
    smallest_team,
    target_verdict,
)
from spm_sim.errors import CapacityError, ScenarioError


def mmc_config(c: int, rho: float, leads: float = 8000.0, **stage) -> CapacityConfig:
    """An M/M/c queue: Poisson arrivals, exponential work, c identical reps, FCFS."""
    hours = calendar(
        CapacityConfig(
            name="x",
            segments=[{"name": "s", "leads_per_year": 1}],
            stages=[{"name": "AE", "reps": 1, "effort_hours": 1}],
        )
    ).hours
    lam = leads / hours  # leads per working hour
    effort = rho * c / lam  # mean hours per lead: rho = lam effort / c
    spec = {"name": "AE", "reps": c, "effort_hours": effort, "selling_share": 1.0}
    spec.update(stage)
    return CapacityConfig(
        name=f"M/M/{c}", segments=[{"name": "in", "leads_per_year": leads}], stages=[spec]
    )


# --- validation against queueing theory ---------------------------------------------


@pytest.mark.parametrize(
    ("c", "rho", "leads"),
    [
        (1, 0.5, 8000),
        (2, 0.7, 8000),
        (5, 0.9, 8000),
        (10, 0.7, 8000),
        (20, 0.6, 20_000),
        (20, 0.9, 8000),
    ],
)
def test_mmc_waiting_matches_erlang_c(c, rho, leads):
    """P(wait) and the mean wait agree with Erlang C within the replications' 99%
    confidence interval (one year each; the queue starts empty, a negligible bias).
    Twenty reps at 60% wait rarely (P = 1.5%), so that case runs more leads."""
    cfg = mmc_config(c, rho, leads=leads)
    res = run_capacity(cfg, 8, rng=100 + c)
    w = res.work
    hours = res.hours
    theory = mmc(leads / hours, 1.0 / cfg.stages[0].effort_hours, c)
    per = w.groupby("replication")
    p_wait = per["wait"].apply(lambda x: float((x > 1e-12).mean())).to_numpy()
    mean_wait = per["wait"].mean().to_numpy()
    for sample, exact in ((p_wait, theory.p_wait), (mean_wait, theory.mean_wait)):
        mean, half = mean_ci(sample, level=0.99)
        assert abs(mean - exact) <= half, (mean, half, exact)
    # utilisation: the share of the reps' hours at work is rho
    mean, half = mean_ci(res.reps.groupby("replication")["utilisation"].mean(), level=0.99)
    assert abs(mean - rho) <= half + 0.005


@pytest.mark.parametrize(("c", "rho"), [(3, 0.8), (15, 0.85)])
def test_littles_law_holds_on_the_simulated_queue(c, rho):
    """Time-average number waiting = arrival rate x mean wait, on the same run."""
    res = run_capacity(mmc_config(c, rho, leads=20_000), 1, rng=7)
    q = res.queue.sort_values("time", kind="stable")
    t = np.append(q["time"].to_numpy(), res.hours)
    area = float((np.diff(t) * q["waiting"].to_numpy()).sum())
    lq = area / res.hours
    w = res.work
    lam = len(w) / res.hours
    assert lq == pytest.approx(lam * w["wait"].mean(), rel=0.03)


def test_more_reps_never_wait_longer_or_convert_less():
    """Same leads, efforts and draws (common random numbers), FCFS: every lead
    starts no later with one more rep, so with decay no lead converts less."""
    base = mmc_config(4, 0.9, leads=6000, decay_half_life_hours=4.0, conversion=0.5)
    runs = [run_capacity(base.with_reps(n), 3, rng=9) for n in (4, 5, 7)]
    keys = ["replication", "lead"]
    # leads still waiting at the year end have no row: a smaller team leaves more
    both = runs[0].work.merge(runs[1].work, on=keys, suffixes=("_4", "_5"))
    both = both.merge(
        runs[2].work.rename(columns={"wait": "wait_7", "passed": "passed_7"}), on=keys
    )
    assert len(both) == len(runs[0].work)
    assert (both["wait_5"] <= both["wait_4"] + 1e-9).all()
    assert (both["wait_7"] <= both["wait_5"] + 1e-9).all()
    # the same uniform decides: a lead that passes with fewer reps passes with more
    assert (both["passed_5"] >= both["passed_4"]).all()
    assert (both["passed_7"] >= both["passed_5"]).all()
    conv = [r.work["passed"].sum() for r in runs]
    assert conv[0] < conv[2]  # and the decay does bite at 90% utilisation


def test_more_capacity_raises_expected_conversion_with_other_routings():
    for routing in ("shortest_queue", "round_robin", "territory"):
        base = mmc_config(6, 0.85, leads=5000, decay_half_life_hours=4.0, routing=routing)
        small = run_capacity(base, 4, rng=3).work["p_pass"].mean()
        large = run_capacity(base.with_reps(9), 4, rng=3).work["p_pass"].mean()
        assert large > small, routing


# --- bookkeeping, reproducibility -----------------------------------------------------


def test_arrivals_follow_the_volume_and_the_seasons():
    season = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]
    cfg = CapacityConfig(
        name="s",
        segments=[{"name": "a", "leads_per_year": 50_000, "seasonality": season}],
        stages=[{"name": "AE", "reps": 1, "effort_hours": 1}],
    )
    cal = calendar(cfg)
    t, seg = lead_arrivals(cfg, cal, np.random.default_rng(0))
    assert abs(t.size - 50_000) < 4.5 * np.sqrt(50_000)
    assert (np.diff(t) >= 0).all() and t.max() < cal.hours and (seg == 0).all()
    months = cal.month_of(t)
    days = pd.Series(cal.dates.month).value_counts().sort_index().to_numpy()
    per_day = np.bincount(months, minlength=13)[1:] / days
    assert per_day[11] / per_day[:11].mean() == pytest.approx(3.0, rel=0.05)


def test_same_seed_same_tables_replications_independent_workers_agree():
    cfg = mmc_config(3, 0.8, leads=3000, attrition=0.4, decay_half_life_hours=8.0)
    a = run_capacity(cfg, 3, rng=5)
    b = run_capacity(cfg, 3, rng=5, workers=2)
    pd.testing.assert_frame_equal(a.work, b.work)
    pd.testing.assert_frame_equal(a.reps, b.reps)
    r0 = a.work[a.work.replication == 0]["wait"].to_numpy()
    r1 = a.work[a.work.replication == 1]["wait"].to_numpy()
    assert r0.size != r1.size or not np.array_equal(r0, r1)
    c = run_capacity(cfg, 3, rng=6)
    assert not a.work["wait"].equals(c.work["wait"])


def test_every_lead_is_worked_or_still_waiting_and_conversion_is_bookkept():
    cfg = CapacityConfig(
        name="funnel",
        segments=[{"name": "in", "leads_per_year": 6000}],
        stages=[
            {
                "name": "SDR",
                "reps": 3,
                "effort_hours": 0.5,
                "conversion": 0.3,
                "decay_half_life_hours": 8,
                "routing": "shortest_queue",
                "attrition": 0.5,
            },
            {
                "name": "AE",
                "reps": 4,
                "effort_hours": 4.0,
                "conversion": 0.5,
                "routing": "territory",
            },
        ],
        opportunity={"win_rate": 0.3, "cycle_days": 30, "deal_size": 20_000},
    )
    res = run_capacity(cfg, 2, rng=4)
    w = res.work
    first = w[w.stage == 0]
    assert (
        first.groupby("replication")["lead"]
        .nunique()
        .le(res.leads.groupby("replication").size())
        .all()
    )
    # a lead reaches the AE stage only after passing the SDR stage
    passed = set(map(tuple, first[first.passed][["replication", "lead"]].to_numpy()))
    at_ae = set(map(tuple, w[w.stage == 1][["replication", "lead"]].to_numpy()))
    assert at_ae <= passed
    # decay: a lost lead would have passed without waiting, and waited
    lost = w[w.lost_to_decay]
    assert (lost["wait"] > 0).all() and not lost["passed"].any()
    # pass probabilities are the stage's decay law
    sdr = first.iloc[:50]
    np.testing.assert_allclose(sdr["p_pass"], pass_probability(cfg.stages[0], sdr["wait"]))
    # bookings are the won opportunities closing in the year
    opp = res.opportunities
    won = opp[opp.won & opp.in_year].groupby("replication")["amount"].sum()
    np.testing.assert_allclose(
        won.to_numpy(), res.bookings.groupby("replication")["bookings"].sum().to_numpy()
    )
    # attrition: seats of leavers exist and utilisation stays in [0, 1]
    assert res.reps["utilisation"].between(0, 1).all()


def test_handoff_is_one_without_decay_and_below_one_with_a_queue():
    plain = run_capacity(mmc_config(4, 0.8, leads=4000), 2, rng=1)
    assert handoff(plain)["factor"] == pytest.approx(1.0)
    cfg = mmc_config(4, 0.95, leads=4000, decay_half_life_hours=2.0)
    h = handoff(run_capacity(cfg, 4, rng=1))
    # the oracle: E[0.5^(W / 2h)] of the M/M/4 wait, 1 - C + C (c mu - lam) / (c mu -
    # lam + ln 2 / 2) = 0.316; a 4-replication run spreads by about 0.04 around 0.33
    # (the queue starts empty), so 0.15 is over three sd
    q = mmc(4000 / calendar(cfg).hours, 1.0 / cfg.stages[0].effort_hours, 4)
    drain = 4 * q.mu - q.lam  # the wait of a lead that waits is Exponential(drain)
    theory = 1 - q.p_wait + q.p_wait * drain / (drain + np.log(2) / 2)
    assert h["factor"] < 1.0
    assert h["factor"] == pytest.approx(theory, abs=0.15)
    assert len(h["factor_by_month"]) == 12
    assert max(h["factor_by_month"]) <= 1.0 + 1e-12


# --- planning --------------------------------------------------------------------------


def test_smallest_team_meets_the_target_and_one_fewer_does_not():
    cfg = mmc_config(10, 0.5, leads=8000)
    target = ServiceTarget(within_hours=0.25, share=0.9)
    found = smallest_team(cfg, target, replications=4, rng=2)
    n = found["reps"]
    theory = mmc(8000 / calendar(cfg).hours, 1 / cfg.stages[0].effort_hours, n)
    assert theory.p_wait_within(0.25) >= 0.88  # near the closed-form staffing answer
    curve = headcount_curve(cfg, [n - 1, n], replications=4, rng=2, within_hours=0.25)
    curve = curve.set_index("reps")
    # the rule: the interval on the safe side, or at the cap of replications the mean
    # (the size is then listed as unclear)
    share = curve["share_within_0.25h"]
    low, high = curve["share_within_0.25h_low"], curve["share_within_0.25h_high"]
    assert low[n] >= 0.9 or (n in found["unclear"] and share[n] >= 0.9)
    assert high[n - 1] < 0.9 or (n - 1 in found["unclear"] and share[n - 1] < 0.9)
    assert found["replications"][n] == 4  # the cap: 4 asked, 4 to start with
    assert found["offered_load"] == pytest.approx(5.0, rel=0.01)


def test_a_utilisation_cap_needs_load_over_cap_reps():
    cfg = mmc_config(10, 0.5, leads=8000)  # offered load 5 reps
    found = smallest_team(cfg, ServiceTarget(max_utilisation=0.8), replications=4, rng=2)
    assert found["reps"] in (7, 8)  # 5 / 0.8 = 6.25, with the interval on the safe side


def test_headcount_curve_costs_and_gains():
    cfg = mmc_config(4, 0.9, leads=5000, decay_half_life_hours=4.0, conversion=0.5)
    curve = headcount_curve(cfg, [4, 5, 6], replications=3, rng=1)
    assert list(curve["reps"]) == [4, 5, 6]
    assert curve["bookings"].is_monotonic_increasing
    assert curve["extra_bookings_per_rep"].iloc[1] > 0
    assert (curve["rep_cost"] == cfg.rep_cost).all()


# --- bad input -------------------------------------------------------------------------


def test_bad_configurations_say_what_is_wrong(tmp_path):
    with pytest.raises(ValidationError, match="seasonality needs 12 values"):
        CapacityConfig(
            name="x",
            segments=[{"name": "s", "leads_per_year": 1, "seasonality": [1, 2]}],
            stages=[{"name": "AE", "reps": 1, "effort_hours": 1}],
        )
    with pytest.raises(ValidationError, match="within_hours and share together"):
        ServiceTarget(within_hours=1)
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: x\nsegments: [{name: s, leads_per_year: -5}]\n"
        "stages: [{name: AE, reps: 2, effort_hours: 1}]\n"
    )
    with pytest.raises(CapacityError, match=r"segments\[0\]\.leads_per_year: Input should be gr"):
        load_capacity_config(path)
    with pytest.raises(CapacityError, match="needs a service target"):
        smallest_team(mmc_config(2, 0.5, leads=100), replications=1)


def test_the_handoff_factor_scales_the_monte_carlo():
    from spm_sim import sample_scenario, simulate

    base = sample_scenario("baseline").replace(engine="summed")
    monthly = tuple([0.9] * 6 + [0.8] * 6)
    a = simulate(base.replace(capacity_factor=monthly), 50, rng=3)
    b = simulate(base, 50, rng=3)
    np.testing.assert_allclose(
        a.company_by_period, b.company_by_period * np.array(monthly), rtol=1e-12
    )
    assert any(k == "Capacity factor" for k, _ in a.notes)
    with pytest.raises(ScenarioError, match="capacity_factor: give one factor for the year or 12"):
        base.replace(capacity_factor=(0.9, 0.8))


def test_team_sizes_share_their_draws_even_with_attrition():
    """Common random numbers across team sizes: the leaving times have a stream of
    their own, so a lead's win, cycle and size do not depend on the team."""
    base = mmc_config(5, 0.8, leads=3000, attrition=0.5, conversion=0.5)
    a = run_capacity(base, 2, rng=8).opportunities
    b = run_capacity(base.with_reps(6), 2, rng=8).opportunities
    both = a.merge(b, on=["replication", "lead"], suffixes=("_5", "_6"))
    assert len(both) > 500
    assert (both["won_5"] == both["won_6"]).all()
    five = run_capacity(base, 1, rng=8).reps
    six = run_capacity(base.with_reps(6), 1, rng=8).reps
    e5 = five[five.rep == 0].set_index("seat")["end"]
    e6 = six[six.rep == 0].set_index("seat")["end"].loc[e5.index]
    # a seat's first rep leaves at the same time whatever the team, give or take the
    # lead in hand they finish first
    assert (e5 < five["end"].max()).sum() >= 2  # some did leave
    assert (abs(e5 - e6) < 24.0).all()


def test_leads_still_waiting_at_the_year_end_count_against_the_service_level():
    over = run_capacity(mmc_config(3, 1.15, leads=4000), 2, rng=1)
    per = over.per_replication(within_hours=1.0)
    assert (per["not_contacted"] > 100).all()
    first = over.work[over.work.stage == 0]
    contacted_only = first.groupby("replication")["wait"].apply(lambda w: (w <= 1.0).mean())
    assert (per["share_within_1h"] < contacted_only).all()
    summ = over.summary().set_index("figure")
    assert summ.loc["share_within_1h", "low"] >= 0.0
    assert summ.loc["utilisation_AE", "high"] <= 1.0


def test_a_later_stage_cannot_be_searched_for_a_response_time():
    cfg = CapacityConfig(
        name="two",
        segments=[{"name": "in", "leads_per_year": 100}],
        stages=[
            {"name": "SDR", "reps": 1, "effort_hours": 0.2},
            {"name": "AE", "reps": 1, "effort_hours": 1},
        ],
    )
    with pytest.raises(CapacityError, match="measured at the first stage"):
        smallest_team(cfg, ServiceTarget(within_hours=1, share=0.9), stage=1, replications=1)


# --- analysis of a result: response-time curves, pooled utilisation, column names ---


def test_response_time_curves_on_a_hand_made_frame():
    # replication 0 waits 0, 0.5 and 1.5 h at the first stage, replication 1 1 and 2 h;
    # stage 1's waits and the replication with no first-stage lead are not read
    work = pd.DataFrame(
        {
            "replication": [0, 0, 0, 1, 1, 1, 2],
            "stage": [0, 0, 0, 0, 0, 1, 1],
            "wait": [0.0, 0.5, 1.5, 1.0, 2.0, 50.0, 7.0],
        }
    )
    curves = response_time_curves(work, 1.0, points=8)
    # 8 // 4 = 2 points below 1 h; the top is max(99th percentile 1.98, 2 x 1) = 2;
    # 6 points from 1 to 2 h, geometric
    grid = [0.0, 0.5, *(2.0 ** (k / 5) for k in range(6))]
    np.testing.assert_allclose(curves.columns.to_numpy(float), grid)
    assert curves.index.tolist() == [0, 1] and curves.index.name == "replication"
    third = 1.0 / 3.0
    np.testing.assert_allclose(
        curves.to_numpy(),
        [
            [third, 2 * third, 2 * third, 2 * third, 2 * third, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0],
        ],
    )
    # a long tail moves the top to the 99th percentile of every wait
    tail = response_time_curves(work.assign(wait=work["wait"] * 10), 1.0, points=8)
    every = np.array([0.0, 5.0, 15.0, 10.0, 20.0])
    assert tail.columns[-1] == pytest.approx(np.quantile(every, 0.99))
    with pytest.raises(ValueError, match="within_hours must be a positive"):
        response_time_curves(work, 0.0)
    with pytest.raises(ValueError, match="points must be a whole number >= 8"):
        response_time_curves(work, 1.0, points=4)


def test_response_time_curves_and_the_summary_differ_by_the_leads_left_waiting():
    res = run_capacity(mmc_config(3, 1.1, leads=3000), 3, rng=4)
    per = res.per_replication(within_hours=0.5)
    curves = response_time_curves(res.work, 0.5)
    assert curves.shape == (3, 200)
    # non-decreasing in t, every contacted lead counted by the top
    assert (np.diff(curves.to_numpy(), axis=1) >= 0).all()
    # the summary also counts the leads still waiting past 0.5 h on 31 December as
    # missed; the curve counts contacted leads only
    contacted = res.work[res.work["stage"] == 0].set_index(["replication", "lead"]).index
    leads = res.leads.set_index(["replication", "lead"])
    waiting = leads[~leads.index.isin(contacted)]
    overdue = (res.hours - waiting["arrived"] > 0.5).groupby("replication").sum()
    overdue = overdue.reindex(per.index, fill_value=0)
    assert (overdue > 0).all()
    within = curves[0.5] * per["contacted"] / (per["contacted"] + overdue)
    np.testing.assert_allclose(within.to_numpy(), per["share_within_0.5h"].to_numpy())
    assert (curves[0.5] > per["share_within_0.5h"]).all()


def test_pooled_utilisation_weighs_replications_by_their_hours_in_a_seat():
    reps = pd.DataFrame(
        {
            "replication": [0, 0, 1, 1, 0],
            "stage": ["SDR", "SDR", "SDR", "AE", "AE"],
            "busy_hours": [60.0, 30.0, 150.0, 80.0, 0.0],
            "hours_in_seat": [50.0, 50.0, 300.0, 100.0, 0.0],
        }
    )
    pooled = pooled_utilisation(reps)
    # SDR: (60 + 30 + 150) / (50 + 50 + 300) = 0.6; the mean of the replications'
    # ratios (the summary's figure) would be (0.9 + 0.5) / 2 = 0.7. AE: 80 / 100
    assert pooled.to_dict() == pytest.approx({"SDR": 0.6, "AE": 0.8})
    assert pooled.name == "pooled_utilisation" and pooled.index.name == "stage"
    ordered = pooled_utilisation(reps, ["AE", "Closer", "SDR"])
    assert ordered.index.tolist() == ["AE", "Closer", "SDR"]
    assert np.isnan(ordered["Closer"])
    idle = reps.assign(hours_in_seat=0.0)
    assert pooled_utilisation(idle).isna().all()


def test_pooled_utilisation_is_the_seat_hours_weighted_mean_of_the_summary_figure():
    res = run_capacity(mmc_config(4, 0.8, leads=2000, attrition=0.6), 3, rng=2)
    per = res.per_replication()
    seat = res.reps.groupby("replication")["hours_in_seat"].sum()
    assert seat.nunique() > 1  # leavers and backfills: the replications' hours differ
    weighted = float((per["utilisation_AE"] * seat).sum() / seat.sum())
    pooled = float(pooled_utilisation(res.reps)["AE"])
    assert pooled == pytest.approx(weighted, rel=1e-12)
    assert pooled != pytest.approx(float(per["utilisation_AE"].mean()), rel=1e-9)


def test_share_column_finds_the_summary_service_figure():
    res = run_capacity(mmc_config(2, 0.5, leads=500), 1, rng=0)
    summ = res.summary(within_hours=0.25)
    assert share_column(summ["figure"]) == "share_within_0.25h"
    assert share_column(summ["figure"], 0.25) == "share_within_0.25h"
    with pytest.raises(KeyError, match="no column 'share_within_1h'"):
        share_column(summ["figure"], 1.0)
    with pytest.raises(KeyError, match="expected one share_within_<h>h column, found none"):
        share_column(["reps", "bookings"])
    with pytest.raises(KeyError, match="found \\['share_within_1h', 'share_within_2h'\\]"):
        share_column(["share_within_1h", "share_within_2h", "share_within_1h_low"])


# --- the fast path: first stage alone, a start guess, a cache, progress ---------------


def two_stage_config(**first) -> CapacityConfig:
    """An SDR stage with attrition and territory routing in front of an AE stage."""
    sdr = {"name": "SDR", "reps": 3, "effort_hours": 0.5, "attrition": 0.4}
    sdr.update(first)
    return CapacityConfig(
        name="two stages",
        segments=[{"name": "web", "leads_per_year": 3000}],
        stages=[sdr, {"name": "AE", "reps": 4, "effort_hours": 1.0, "conversion": 0.3}],
        target={"within_hours": 1, "share": 0.9},
    )


@pytest.mark.parametrize("routing", ["shortest_queue", "territory", "pooled"])
def test_the_first_stage_alone_is_the_full_runs_first_stage(routing):
    from spm_sim._capacity.model import simulate_capacity

    cfg = two_stage_config(routing=routing)
    full = simulate_capacity(cfg, 3, replication=1)
    alone = simulate_capacity(cfg, 3, replication=1, first_stage_only=True)
    first = full["work"][full["work"]["stage"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone["work"].reset_index(drop=True), first)
    assert (alone["work"]["stage"] == 0).all() and len(alone["work"]) < len(full["work"])
    assert alone["bookings"].empty and alone["opportunities"].empty


def test_the_search_on_the_first_stage_alone_gives_the_full_searchs_answer():
    cfg = two_stage_config()
    found = smallest_team(cfg, replications=3, rng=4)
    # the same search on full runs, by hand: every size the search tried, in full
    full = {
        n: run_capacity(cfg.with_reps(n), 3, rng=4).summary().set_index("figure")
        for n in found["tried"].index
    }
    for n, summ in full.items():
        tried = found["tried_intervals"]
        ran = tried[tried["reps"] == n].set_index("figure")
        for fig in ("share_within_1h", "utilisation_SDR", "mean_wait_hours"):
            assert ran.loc[fig, "low"] == pytest.approx(summ.loc[fig, "low"])
    assert "bookings" not in found["tried"].columns  # not simulated, so not shown
    n = found["reps"]
    assert n > 1 and n - 1 in full  # so the size below exists and is checked
    # every verdict is the full run's: met or not, and whether the interval settled it
    for size, summ in full.items():
        met, clear = target_verdict(summ.reset_index(), cfg.target, cfg.with_reps(size))
        assert found["met"][size] == met and (size not in found["unclear"]) == clear
    assert found["met"][n] and not found["met"][n - 1]


@pytest.fixture(scope="module")
def plain_search():
    cfg = mmc_config(10, 0.5, leads=2000)
    target = ServiceTarget(within_hours=0.25, share=0.9)
    return cfg, target, smallest_team(cfg, target, replications=3, rng=2)


@pytest.mark.parametrize("start", [1, 4, 40])
def test_a_start_guess_changes_the_sizes_tried_not_the_answer(start, plain_search):
    cfg, target, plain = plain_search
    guessed = smallest_team(cfg, target, replications=3, rng=2, start=start)
    assert guessed["reps"] == plain["reps"]
    n = guessed["reps"]
    # bracketed: the answer meets the target and one rep fewer does not (or is not a team)
    assert guessed["met"][n] and (n == 1 or not guessed["met"][n - 1])
    # the same size gives the same verdict whatever the search's path
    common = guessed["met"].index.intersection(plain["met"].index)
    pd.testing.assert_series_equal(guessed["met"][common], plain["met"][common])


def test_a_good_guess_needs_few_sizes(plain_search):
    cfg, target, plain = plain_search
    n = plain["reps"]
    for start in (n, n - 1):
        assert len(smallest_team(cfg, target, replications=3, rng=2, start=start)["tried"]) == 2


def _count_years(monkeypatch) -> list:
    """Record every batch of years the planning functions run: ([(reps, replication)],
    first stage only)."""
    from spm_sim._capacity import planning

    calls: list = []
    real = planning._run_years

    def counting(fn, tasks, *args):
        # a task: (root, first stage only, window, configuration, replication)
        calls.append(([(t[3].stages[0].reps, t[4]) for t in tasks], tasks[0][1]))
        return real(fn, tasks, *args)

    monkeypatch.setattr(planning, "_run_years", counting)
    return calls


def test_a_cache_runs_each_year_once(monkeypatch):
    calls = _count_years(monkeypatch)
    cfg = mmc_config(4, 0.8, leads=5000)
    runs: dict = {}
    first = headcount_curve(cfg, [4, 5], replications=2, rng=1, cache=runs)
    again = headcount_curve(cfg, [4, 5, 6], replications=2, rng=1, cache=runs)
    # one batch for the years not seen yet
    assert [jobs for jobs, _ in calls] == [[(4, 0), (4, 1), (5, 0), (5, 1)], [(6, 0), (6, 1)]]
    pd.testing.assert_frame_equal(
        again[again["reps"] < 6].drop(columns="extra_bookings_per_rep"),
        first.drop(columns="extra_bookings_per_rep"),
    )
    # another seed is another run; more replications run only the years not seen yet
    headcount_curve(cfg, [4], replications=2, rng=2, cache=runs)
    headcount_curve(cfg, [4], replications=3, rng=1, cache=runs)
    assert [jobs for jobs, _ in calls[-2:]] == [[(4, 0), (4, 1)], [(4, 2)]]
    assert len(runs) == 4  # sizes 4, 5, 6 on seed 1 and 4 on seed 2
    assert sum(len(years) for years in runs.values()) == 3 + 2 + 2 + 2


def test_progress_bars_go_to_stderr_and_leave_nothing_on_stdout(capsys):
    cfg = mmc_config(2, 0.5, leads=500)
    run_capacity(cfg, 2, rng=0, progress=True)
    headcount_curve(cfg, [2, 3], replications=2, rng=0, progress=True)
    smallest_team(cfg, ServiceTarget(within_hours=1, share=0.5), replications=2, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "simulated years" in err and "AE team sizes 2-3" in err and "searching" in err
    run_capacity(cfg, 2, rng=0)
    assert capsys.readouterr() == ("", "")


# --- review fixes: pinned years, what `tried` holds, the shared cache, memory ----------


@pytest.mark.parametrize(
    ("routing", "rows", "digest", "reps_sum", "wait_sum"),
    [
        ("shortest_queue", 5921, "6eec1d3bd8e409d5", 581, 143468.71143),
        ("territory", 5848, "05454cf9a170ebe2", 606, 146092.326291),
        ("pooled", 5921, "86f9261ef983bb2a", 592, 144695.241675),
    ],
)
def test_a_year_with_attrition_is_the_year_before_the_speed_up(
    routing, rows, digest, reps_sum, wait_sum
):
    """Pinned from the model as committed before the speed-up (the per-lead arrays and
    timers): ``git archive HEAD spm_sim`` into a scratch folder, the same year
    simulated there, its ``work`` frame written with ``to_csv(index=False,
    float_format="%.9g")`` and hashed with SHA-256 (first 16 hex digits)."""
    import hashlib

    from spm_sim.capacity import simulate_capacity

    cfg = CapacityConfig(
        name="two stages",
        segments=[{"name": "web", "leads_per_year": 3000}],
        stages=[
            {"name": "SDR", "reps": 3, "effort_hours": 0.5, "attrition": 0.9, "routing": routing},
            {"name": "AE", "reps": 4, "effort_hours": 1.0, "conversion": 0.3, "attrition": 0.5},
        ],
        target={"within_hours": 1, "share": 0.9},
    )
    work = simulate_capacity(cfg, 3, replication=1)["work"]
    text = work.to_csv(index=False, float_format="%.9g").encode()
    assert len(work) == rows
    assert int(work["rep"].sum()) == reps_sum  # reps left and were replaced
    assert float(work["wait"].sum()) == pytest.approx(wait_sum, abs=1e-5)
    assert hashlib.sha256(text).hexdigest()[:16] == digest


@pytest.mark.parametrize("start", [2, 6])
def test_a_start_guess_with_attrition_gives_the_plain_answer(start):
    cfg = two_stage_config()  # SDRs leave (attrition 0.4) and are replaced
    plain = smallest_team(cfg, replications=3, rng=4)
    guessed = smallest_team(cfg, replications=3, rng=4, start=start)
    assert guessed["reps"] == plain["reps"]
    n = guessed["reps"]
    assert guessed["met"][n] and not guessed["met"][n - 1]


def test_a_single_stage_search_keeps_every_figure():
    cfg = mmc_config(4, 0.8, leads=3000)
    found = smallest_team(cfg, ServiceTarget(within_hours=1, share=0.8), replications=2, rng=1)
    tried = found["tried"]
    # one stage: the whole funnel was simulated, so nothing is left out
    for fig in ("opportunities", "bookings", "lost_to_decay", "utilisation_AE"):
        assert fig in tried.columns
    n = found["reps"]
    full = run_capacity(cfg.with_reps(n), 2, rng=1).summary().set_index("figure")["mean"]
    assert tried.loc[n, "opportunities"] == pytest.approx(full["opportunities"])
    assert tried.loc[n, "bookings"] == pytest.approx(full["bookings"])


def test_a_first_stage_search_leaves_out_the_figures_it_did_not_simulate():
    cfg = two_stage_config()
    tried = smallest_team(cfg, replications=2, rng=4)["tried"]
    for fig in ("opportunities", "bookings", "lost_to_decay", "utilisation_AE"):
        assert fig not in tried.columns  # the SDR stage alone would give other meanings
    assert {"share_within_1h", "utilisation_SDR", "leads"} <= set(tried.columns)


def test_the_search_reuses_the_curves_full_runs(monkeypatch):
    calls = _count_years(monkeypatch)
    cfg = two_stage_config()
    runs: dict = {}
    plain = smallest_team(cfg, replications=2, rng=4)
    calls.clear()
    n = plain["reps"]
    headcount_curve(cfg, range(n - 1, n + 2), replications=2, rng=4, cache=runs)
    again = smallest_team(cfg, replications=2, rng=4, start=n, cache=runs)
    # the curve ran full years once; the search found every year it needed there
    assert calls == [([(m, r) for m in (n - 1, n, n + 1) for r in (0, 1)], False)]
    assert again["reps"] == n
    pd.testing.assert_frame_equal(
        again["tried"], plain["tried"].loc[again["tried"].index], check_exact=False
    )
    # a first-stage-only run cannot stand in for a full one: the curve runs its own
    runs.clear()
    smallest_team(cfg, replications=2, rng=4, start=n, cache=runs)
    calls.clear()
    headcount_curve(cfg, [n], replications=2, rng=4, cache=runs)
    assert calls == [([(n, 0), (n, 1)], False)]
    # a search of full years leaves every year for the curve
    runs.clear()
    full = smallest_team(cfg, replications=2, rng=4, start=n, first_stage_only=False, cache=runs)
    assert full["reps"] == n and "bookings" in full["tried"].columns
    calls.clear()
    headcount_curve(cfg, [n - 1, n], replications=2, rng=4, cache=runs)
    assert calls == []


def test_the_curve_gives_what_each_rep_adds_with_paired_intervals():
    from spm_sim.capacity import marginal_value

    cfg = two_stage_config()
    curve = marginal_value(headcount_curve(cfg, [2, 3, 4], replications=3, rng=4), cfg)
    first = curve.iloc[0]
    assert np.isnan(first["extra_opportunities_per_rep"])
    assert np.isnan(first["expected_value_per_rep_low"])
    value = cfg.opportunity.win_rate * cfg.opportunity.deal_size
    # the interval of the change from the replication-by-replication differences
    years = {
        n: run_capacity(cfg.with_reps(n), 3, rng=4).per_replication()["opportunities"]
        for n in (2, 3)
    }
    mean, half = mean_ci((years[3] - years[2]).to_numpy(float))
    row = curve.iloc[1]
    assert row["extra_opportunities_per_rep"] == pytest.approx(mean)
    assert row["extra_opportunities_per_rep_low"] == pytest.approx(mean - half)
    assert row["expected_value_per_rep_high"] == pytest.approx((mean + half) * value)
    assert (curve["expected_value_per_rep_low"][1:] <= curve["expected_value_per_rep"][1:]).all()


def queued_sdr_config() -> CapacityConfig:
    """One SDR about 80% busy whose leads go cold in two hours, in front of the AEs: the
    queue passes far fewer leads to AE than the SDR conversion alone says."""
    return CapacityConfig(
        name="queued SDR",
        segments=[{"name": "web", "leads_per_year": 2000}],
        stages=[
            {
                "name": "SDR",
                "reps": 1,
                "effort_hours": 0.48,
                "conversion": 0.5,
                "decay_half_life_hours": 2,
            },
            {"name": "AE", "reps": 6, "effort_hours": 9},
        ],
    )


def test_a_later_stages_offered_load_is_the_work_that_reaches_it():
    cfg = queued_sdr_config()
    cap = 0.85
    found = smallest_team(cfg, ServiceTarget(max_utilisation=cap), stage=1, replications=4, rng=3)
    n, hours = found["reps"], calendar(cfg).hours
    # the closed form: every lead worked at once and qualified at 50%, 9 h at 60%
    assert found["offered_load_bound"] == pytest.approx(2000 * 0.5 / hours * 9 / 0.6)
    # the leads that reached AE in the same years, counted in full runs by hand
    years = run_capacity(cfg.with_reps(n, 1), 4, rng=3).work
    passed = years[years["stage"] == 0].groupby("replication")["passed"].sum()
    assert found["offered_load_years"] == 4
    assert found["arrived"] == pytest.approx(passed.mean())
    assert found["offered_load"] == pytest.approx(passed.mean() * 9 / 0.6 / hours)
    # the team that meets a cap below 100% carries the stated load: the load is not
    # above it, while the closed form is (it is an upper bound, not the fewest reps)
    assert found["offered_load"] <= n < found["offered_load_bound"]
    assert found["met"][n] and not found["met"][n - 1]


def test_the_curve_and_a_search_again_use_every_year_held_at_a_size():
    cfg = queued_sdr_config()
    target = ServiceTarget(max_utilisation=0.85)
    runs: dict = {}
    kw = {"stage": 1, "rng": 3, "cache": runs}
    found = smallest_team(
        cfg, target, replications=6, min_replications=6, first_stage_only=False, **kw
    )
    n = found["reps"]
    assert (found["replications"] == 6).all()
    # the curve starts from the search's 6 years at the sizes searched, not from 4
    curve = headcount_curve(cfg, [n - 1, n], replications=6, **kw).set_index("reps")
    assert curve["replications"].tolist() == [6, 6] and curve["paired_replications"][n] == 6
    tried = found["tried_intervals"].set_index(["reps", "figure"])
    for size in (n - 1, n):
        for end in ("", "_low", "_high"):
            figure = tried.loc[(size, "utilisation_AE"), (end or "_mean").lstrip("_")]
            assert curve.loc[size, f"utilisation_AE{end}"] == pytest.approx(figure)
    # the other way round: a curve gives the answer 8 years; a search from the answer
    # judges it on those 8, although 4 would settle it
    headcount_curve(cfg, [n], replications=8, min_replications=8, **kw)
    again = smallest_team(cfg, target, replications=8, start=n, first_stage_only=False, **kw)
    assert again["reps"] == n and again["replications"][n] == 8 and n not in again["unclear"]
    assert again["replications"][n - 1] >= 6  # at least the years held from the first search


@pytest.mark.slow
def test_the_curve_holds_one_year_in_memory_not_every_year():
    """Each worker reduces its year to one row of figures: the peak stays near one
    year's, however many sizes and replications (it grew with them when every year's
    frames were kept until the end)."""
    import tracemalloc

    from spm_sim._capacity.model import run_many

    cfg = two_stage_config()
    configs = [cfg.with_reps(n) for n in (3, 4, 5)]

    def peak(work) -> int:
        tracemalloc.start()
        try:
            work()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one_year = peak(lambda: run_capacity(cfg, 1, rng=0))
    curve = peak(lambda: headcount_curve(cfg, [3, 4, 5], replications=4, rng=0))
    kept = peak(lambda: run_many(configs, 4, np.random.SeedSequence(0)))
    assert curve < 2 * one_year
    assert kept > 3 * one_year  # the measure sees frames held: twelve years here


def test_start_guess_is_square_root_staffing_from_the_known_answer():
    from spm_sim.capacity import start_guess

    cfg = mmc_config(10, 0.5, leads=20000)
    st = cfg.stages[0]
    load = 20000 / calendar(cfg).hours * st.effort_hours / st.selling_share
    n = int(np.ceil(load)) + 3
    assert start_guess(cfg, n, cfg) == n  # the same configuration: the same answer
    beta = (n - load) / np.sqrt(load)
    for m in (0.5, 1.1, 1.5, 3.0):
        new = load * m
        assert start_guess(cfg, n, cfg.scaled(m)) == max(
            int(np.ceil(new)), round(new + beta * np.sqrt(new))
        )
    # never below the load (fewer reps cannot keep up) and at least one rep
    assert start_guess(cfg, n, cfg.scaled(0.01)) == 1


def test_the_curve_table_reads_noise_as_noise():
    from spm_sim.viz.capacity import curve_table

    nan = float("nan")
    curve = pd.DataFrame(
        {
            "reps": [3, 4, 5],
            "share_within_1h": [0.85, 0.93, 0.97],
            "share_within_1h_low": [0.8, 0.9, 0.95],
            "share_within_1h_high": [0.9, 0.96, 0.99],
            "utilisation_SDR": [0.8, 0.6, 0.5],
            "bookings": [1e6, 1.1e6, 1.1e6],
            "bookings_low": [0.9e6, 1e6, 1e6],
            "bookings_high": [1.1e6, 1.2e6, 1.2e6],
            "expected_value_per_rep": [nan, 1.5e5, -5e4],
            "expected_value_per_rep_low": [nan, 1e5, -2e5],
            "expected_value_per_rep_high": [nan, 2e5, 1e5],
            "rep_cost": [9e4] * 3,
        }
    )
    table = curve_table(curve, "SDR", recommended=4).data
    added = table["value the last SDR adds"].tolist()
    assert added == ["—", "+$150k (+$100k to +$200k)", "within noise (-$200k to +$100k)"]
    assert table["SDRs"].tolist() == ["3", "4 (the answer)", "5"]
    assert table["bookings in the year"][0] == "$1.00M ($900k to $1.10M)"
    assert table["contacted within 1 h"][1] == "93.0% (90.0% to 96.0%)"


# --- issue 18: years added where the answer is unclear; any executor ------------------


def test_a_size_gets_more_years_only_while_its_interval_holds_the_target():
    # M/M/4 contacts 96% within 15 minutes, a point above the 95% asked: four years
    # leave that unclear, more settle it; 3 reps (84%) are settled by the first four
    cfg = mmc_config(3, 0.5, leads=3000)
    target = ServiceTarget(within_hours=0.25, share=0.95)
    found = smallest_team(cfg, target, replications=16, rng=1, start=3)
    years = found["replications"]
    assert found["reps"] == 4 and found["met"].to_dict() == {3: False, 4: True}
    assert years[3] == 4 and years[4] > 4  # both kinds happened
    for n, k in years.items():
        sized = cfg.with_reps(n)
        runs = run_capacity(sized, k, rng=1).per_replication(0.25)
        # the figures are the first k years of a plain run (each size its own streams
        # of the same seed: years can be added later and still be paired)
        shown = found["tried_intervals"].query("reps == @n").set_index("figure")
        assert shown.loc["share_within_0.25h", "mean"] == pytest.approx(
            runs["share_within_0.25h"].mean(), abs=1e-12
        )
        met, clear = target_verdict(shown.reset_index(), target, sized)
        assert (met, clear) == (found["met"][n], n not in found["unclear"])
        assert clear or k == 16  # stopped because settled, or at the cap
        if k > 4:  # half as many years had left it unclear
            from spm_sim._capacity.model import summarise

            _, settled = target_verdict(summarise(runs.iloc[: k // 2]), target, sized)
            assert not settled


def test_the_answer_does_not_depend_on_the_seed_and_matches_erlang_c():
    """The issue's criterion on a queue with a known answer: five seeds, one team.
    With four years a seed, the 95% interval at 4 reps (96%) would still hold the 95%
    asked and the safe side would say 5; the years added settle it at 4."""
    from spm_sim.capacity import smallest_c

    cfg = mmc_config(3, 0.5, leads=3000)
    target = ServiceTarget(within_hours=0.25, share=0.95)
    lam, mu = 3000 / calendar(cfg).hours, 1 / cfg.stages[0].effort_hours
    theory = smallest_c(lam, mu, p_within=0.95, within=0.25)
    answers = [
        smallest_team(cfg, target, replications=16, rng=seed, start=3)["reps"] for seed in range(5)
    ]
    assert answers == [theory] * 5 == [4] * 5
    fixed = smallest_team(cfg, target, replications=4, rng=2, start=3)
    assert 4 in fixed["unclear"]  # four years alone could not tell


def test_the_curve_gets_more_years_where_a_reps_value_still_holds_its_cost():
    from spm_sim.capacity import marginal_value

    cfg = mmc_config(4, 0.9, leads=5000, decay_half_life_hours=4.0, conversion=0.5)
    cfg = cfg.replace(rep_cost=150_000)
    curve = marginal_value(headcount_curve(cfg, [5, 6, 7], replications=8, rng=1), cfg)
    steps = curve.iloc[1:]
    low, high = steps["expected_value_per_rep_low"], steps["expected_value_per_rep_high"]
    settled = (low >= 150_000) | (high < 150_000)
    # every step is settled, or ran the most years there are
    assert (settled | (steps["paired_replications"] == 8)).all()
    # the 6th rep is clearly worth it after four years; the 7th's value (~$170k) is
    # near the cost, so 6 and 7 get twice the years; 5 keeps its four
    assert curve["replications"].tolist() == [4, 8, 8]
    assert steps["paired_replications"].tolist() == [4, 8]
    # the paired value is the mean of the year-by-year differences on the shared years
    years = {n: run_capacity(cfg.with_reps(n), 8, rng=1).per_replication() for n in (6, 7)}
    diff = (years[7]["opportunities"] - years[6]["opportunities"]).to_numpy(float)
    value = cfg.opportunity.win_rate * cfg.opportunity.deal_size
    assert steps["expected_value_per_rep"].iloc[1] == pytest.approx(diff.mean() * value)


@pytest.fixture(params=["processes", "dask"])
def elsewhere(request, dask_client):
    """A local pool of two processes (one for the whole test), or the session's Dask
    cluster."""
    if request.param == "dask":
        yield dask_client
        return
    from spm_sim.parallel import executor_for

    with executor_for("processes", workers=2) as pool:
        yield pool


def test_years_give_the_same_numbers_wherever_they_run(elsewhere):
    cfg = two_stage_config()
    here = run_capacity(cfg, 3, rng=5)
    there = run_capacity(cfg, 3, rng=5, executor=elsewhere)
    for name in ("leads", "work", "reps", "bookings", "opportunities", "queue"):
        pd.testing.assert_frame_equal(getattr(there, name), getattr(here, name))
    found = smallest_team(cfg, replications=8, rng=5)
    away = smallest_team(cfg, replications=8, rng=5, executor=elsewhere)
    assert away["reps"] == found["reps"] and away["unclear"] == found["unclear"]
    pd.testing.assert_frame_equal(away["tried_intervals"], found["tried_intervals"])
    n = found["reps"]
    curve = headcount_curve(cfg, [n - 1, n, n + 1], replications=8, rng=5)
    moved = headcount_curve(cfg, [n - 1, n, n + 1], replications=8, rng=5, executor=elsewhere)
    pd.testing.assert_frame_equal(moved, curve)
