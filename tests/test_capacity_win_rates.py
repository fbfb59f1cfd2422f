"""Reps' win rates and sales cycles fitted from the pipeline history, with shrinkage.

Oracles: a synthetic history drawn from known per-rep rates and cycles (the
estimator recovers them, better than the raw rates, and shrinks small records
most), a history without rep differences (every rep gets the team's rate), and the
use of the fitted rates by the capacity model's opportunity stage and by the
forecast's pipeline model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _pipelines import pipeline_with_reps

from spm_sim.book import load_sample
from spm_sim.capacity import (
    CapacityConfig,
    Opportunity,
    beta_binomial_prior,
    fit_rep_rates,
    load_capacity_config,
    opportunity_from_book,
    opportunity_value,
)
from spm_sim.errors import CapacityError, DataError
from spm_sim.track import fit_pipeline

LOG_80 = float(np.log(80.0))


def history(rng, n_reps=60, a=30.0, b=70.0, tau=0.3, sigma=0.5, mu=LOG_80, spread=True):
    """Closed opportunities of ``n_reps`` reps: rep r has n_r in 5..400, true win rate
    from Beta(a, b) (or all a / (a + b) without ``spread``) and won cycles lognormal
    with a rep effect of sd ``tau``."""
    n = np.geomspace(5, 400, n_reps).round().astype(int)
    p = rng.beta(a, b, n_reps) if spread else np.full(n_reps, a / (a + b))
    u = rng.normal(0.0, tau, n_reps) if spread else np.zeros(n_reps)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for r in range(n_reps):
        won = rng.random(n[r]) < p[r]
        days = np.exp(mu + u[r] + rng.normal(0.0, sigma, n[r])).round() + 1
        created = start + pd.to_timedelta(rng.integers(0, 300, n[r]), unit="D")
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": f"R{r:03d}",
                    "status": np.where(won, "won", "lost"),
                    "created_date": created,
                    "closed_date": created + pd.to_timedelta(days, unit="D"),
                }
            )
        )
    truth = pd.DataFrame(
        {"p": p, "log_cycle": mu + u, "n": n}, index=[f"R{r:03d}" for r in range(n_reps)]
    )
    return pd.concat(rows, ignore_index=True), truth


def test_the_estimator_recovers_known_rates_and_shrinks_small_records():
    pipe, truth = history(np.random.default_rng(1))
    rates = fit_rep_rates(pipe)
    assert rates.index.tolist() == truth.index.tolist()
    assert rates.attrs["team_win_rate"] == pytest.approx(0.3, abs=0.03)
    # the prior's size (a + b = 100 drawn) is found within a factor of about two
    assert 40 < rates.attrs["prior_n"] < 250
    err_shrunk = rates["win_rate"] - truth["p"]
    err_raw = rates["raw_win_rate"] - truth["p"]
    assert np.sqrt((err_shrunk**2).mean()) < 0.8 * np.sqrt((err_raw**2).mean())
    # the standard errors are honest: most truths within two of them
    covered = (err_shrunk.abs() <= 2 * rates["win_rate_se"]).mean()
    assert 0.85 <= covered <= 1.0
    # a rep with 5 opportunities leans on the team; one with 400 on their own record
    small, large = rates.iloc[0], rates.iloc[-1]
    assert small["shrinkage"] < 0.1 < 0.7 < large["shrinkage"]
    assert small["win_rate_se"] > 2 * large["win_rate_se"]
    team = rates.attrs["team_win_rate"]
    assert abs(small["win_rate"] - team) < abs(small["raw_win_rate"] - team) + 1e-12


def test_cycles_recover_the_rep_effects_and_shrink_short_records():
    pipe, truth = history(np.random.default_rng(2))
    rates = fit_rep_rates(pipe)
    assert rates.attrs["cycle_sigma"] == pytest.approx(0.5, abs=0.05)
    assert rates.attrs["cycle_tau"] == pytest.approx(0.3, abs=0.12)
    log_fit = np.log(rates["cycle_days_median"])
    log_raw = np.log(rates["raw_cycle_days"])
    err_fit = log_fit - truth["log_cycle"]
    err_raw = log_raw - truth["log_cycle"]
    ok = rates["won_cycles"] > 0
    assert np.sqrt((err_fit[ok] ** 2).mean()) < np.sqrt((err_raw[ok] ** 2).mean())
    assert (err_fit[ok].abs() <= 2.5 * rates.loc[ok, "log_cycle_se"]).mean() >= 0.85
    # the mean cycle is the lognormal's: the median times exp(sigma^2 / 2)
    ratio = rates["cycle_days"] / rates["cycle_days_median"]
    assert np.allclose(ratio, np.exp(rates.attrs["cycle_sigma"] ** 2 / 2))


def test_reps_that_differ_only_by_noise_all_get_the_team_rate():
    pipe, _ = history(np.random.default_rng(3), spread=False)
    rates = fit_rep_rates(pipe)
    assert rates["win_rate"].std() < 0.005
    assert rates["shrinkage"].max() < 0.01
    # the sample book draws every rep's deals at one rate: none differs beyond noise
    book = fit_rep_rates(load_sample().pipeline)
    assert book["win_rate"].std() < 0.001 and 0.3 < book.attrs["team_win_rate"] < 0.4


def test_the_prior_is_the_maximum_of_the_marginal_likelihood():
    rng = np.random.default_rng(4)
    p = rng.beta(8, 12, 300)
    n = rng.integers(20, 200, 300)
    won = rng.binomial(n, p)
    a, b = beta_binomial_prior(won, n)
    assert a / (a + b) == pytest.approx(0.4, abs=0.02) and 10 < a + b < 40


def test_as_of_reads_no_outcome_after_it():
    pipe, _ = history(np.random.default_rng(5), n_reps=10)
    cut = pd.Timestamp("2024-06-30")
    rates = fit_rep_rates(pipe, as_of=cut)
    closed = pd.to_datetime(pipe["closed_date"]) <= cut
    assert rates["opportunities"].sum() == closed.sum()
    assert rates.attrs["as_of"] == "2024-06-30"
    # a rep asked for without a record gets the team's figures
    more = fit_rep_rates(pipe, reps=["R000", "NEW"])
    assert more.loc["NEW", "opportunities"] == 0
    assert more.loc["NEW", "win_rate"] == pytest.approx(more.attrs["team_win_rate"])


def test_bad_histories_say_what_is_wrong():
    pipe, _ = history(np.random.default_rng(6), n_reps=3)
    with pytest.raises(DataError, match=r"^pipeline, column 'closed_date': .*missing"):
        fit_rep_rates(pipe.drop(columns="closed_date"))
    bad = pipe.copy()
    bad.loc[4, "status"] = "maybe"
    with pytest.raises(
        DataError, match=r"^pipeline, row 6, column 'status': status 'maybe' is not"
    ):
        fit_rep_rates(bad)
    with pytest.raises(DataError, match="no opportunity was won or lost by 2000-01-01"):
        fit_rep_rates(pipe, as_of="2000-01-01")


def test_the_opportunity_stage_takes_each_seats_rates_as_ratios_to_the_team():
    pipe, _ = history(np.random.default_rng(7), n_reps=8)
    rates = fit_rep_rates(pipe)
    o = opportunity_from_book(Opportunity(win_rate=0.2, cycle_days=60), rates)
    ratio = rates["win_rate"] / rates.attrs["team_win_rate"]
    assert np.allclose(o.seat_win_rates, (0.2 * ratio).clip(upper=1.0))
    cycle = rates["cycle_days"] / rates.attrs["team_cycle_days"] * 60
    assert np.allclose(o.seat_cycle_days, cycle)
    plain = opportunity_from_book(Opportunity(), rates, ["R001", "X"], relative=False)
    assert plain.seat_win_rates == (rates.loc["R001", "win_rate"], 0.25)
    # the sample funnel's AEs from the sample book: 80 seats, the team's level kept
    config = load_capacity_config("data/capacity/inbound.yaml")
    book = load_sample()
    aes = sorted(book.reps.loc[book.reps["term_date"].isna(), "rep_id"].astype(str))[:80]
    sample = config.replace(
        opportunity=opportunity_from_book(config.opportunity, fit_rep_rates(book.pipeline), aes)
    )
    assert len(sample.opportunity.seat_win_rates) == 80
    assert opportunity_value(sample) == pytest.approx(opportunity_value(config), rel=0.01)


def test_the_forecasts_pipeline_model_wins_at_each_reps_rate():
    """In this book deals close 20 to 120 days after creation whatever the rep and the
    outcome, so every rep's monthly chance of closing is the team's, ``h``, split into
    winning ``p_r h`` and losing ``(1 - p_r) h``. The team's states give ``pbar h`` and
    ``(1 - pbar) h`` (``pbar`` about 0.35), so the rep's factors are about
    ``p_r / pbar`` on winning (A 1.7, B 0.86, C 0.43) and ``(1 - p_r) / (1 - pbar)`` on
    losing (A 0.62, B 1.08, C 1.31), less 20 pseudo-outcomes' pull toward 1 (C has
    about 50 wins, so its win factor about (50 + 20) / (140 + 20) = 0.44). The share of
    closes won, ``f_w pbar / (f_w pbar + f_l (1 - pbar))``, is then the rep's rate."""
    rng = np.random.default_rng(8)
    rates = {"A": 0.6, "B": 0.3, "C": 0.15}
    pipe = pipeline_with_reps(rng, rates)
    model = fit_pipeline(pipe, None, pd.Timestamp("2025-06-30"))
    assert model is not None and len(model.group_factor) == 3
    opps = pd.DataFrame({"rep_id": ["A", "B", "C", "Z"], "amount": 10_000.0})
    win, loss = model.rep_factors(opps)
    assert 1.45 < win[0] < 1.9 and 0.75 < win[1] < 1.05 and 0.3 < win[2] < 0.6
    assert 0.5 < loss[0] < 0.75 and 0.9 < loss[1] < 1.2 and 1.15 < loss[2] < 1.5
    assert win[3] == loss[3] == 1.0  # a rep without a record: the team's
    closed = pipe[pipe["status"] != "open"]
    team = float((closed["status"] == "won").mean())
    won_share = win * team / (win * team + loss * (1 - team))
    for k, rep in enumerate(rates):
        assert won_share[k] == pytest.approx(rates[rep], abs=0.05), rep
    # the sample book's reps do not differ beyond noise: the size bands alone, as before
    book = load_sample()
    sample = fit_pipeline(book.pipeline, book.stage_history, pd.Timestamp("2025-06-30"))
    assert sample.group_factor.size == 1
    assert sample.rep_factors(book.pipeline.head(50)) is None
    factors, band = sample.win_bands(book.pipeline.head(50))
    assert np.array_equal(factors, sample.size_factor)
    assert np.array_equal(band, sample.size_band(book.pipeline.head(50)["amount"].to_numpy()))


def test_a_configuration_with_seat_rates_round_trips_and_refuses_bad_rates():
    cfg = CapacityConfig(
        name="x",
        segments=[{"name": "s", "leads_per_year": 10}],
        stages=[{"name": "AE", "reps": 2, "effort_hours": 1}],
        opportunity={"seat_win_rates": [0.3, 0.2], "seat_cycle_days": [30, 60]},
    )
    assert CapacityConfig.model_validate(cfg.model_dump()) == cfg
    with pytest.raises(
        CapacityError, match=r"seat_win_rates\[1\]: .*less than or equal to 1 \(got 1.2\)"
    ):
        cfg.replace(opportunity={"seat_win_rates": [0.3, 1.2]})
