"""Quotas calibrated on simulated bookings, quota diagnostics, the company view, figures.

Monte Carlo tolerances, used below:

* a quota calibrated on ``n1`` draws to be reached with probability ``p`` is reached
  in an independent set of ``n2`` draws with a frequency whose error has variance
  about ``p (1 - p) (1 / n1 + 1 / n2)``: the calibration error of the quantile
  (``F(q) - (1 - p)`` behaves like a binomial proportion of ``n1`` draws) plus the
  binomial error of the check;
* per rep, with 80 reps checked at once, the bound is Bonferroni's: a two-sided
  family-wise error of 1/1000 gives ``z = isf(0.001 / (2 x 80)) = 4.37`` standard
  deviations for each rep;
* averages over reps move together inside a trial (the company-wide trend, level and
  shock), so their error comes from the per-trial shares, iid over trials:
  ``sd_t(share_t) sqrt(1 / n1 + 1 / n2)``, and the check allows 4 of those.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from spm_sim import SpecError, load_sample, sample_scenario, simulate
from spm_sim.productivity import fit_productivity
from spm_sim.quota import (
    HIST_EDGES,
    QuotaDiagnostics,
    Quotas,
    QuotaSettings,
    annual_draws,
    calibrate_annual,
    quota_diagnostics,
    quotas_from_history,
    rep_run_rates,
)
from spm_sim.simulate import prepare
from spm_sim.sweep import SettingDiagnostics, company_view, quota_diagnostics_by_setting
from spm_sim.viz import attainment_figure, quota_fit_figure

matplotlib.use("Agg")

N = 2000


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def model(book):
    return fit_productivity(book, plan_year=2026)


@pytest.fixture(scope="module")
def draws1(model):
    return annual_draws(model, N, rng=1)


@pytest.fixture(scope="module")
def draws2(model):
    return annual_draws(model, N, rng=2)


def _quotas(rep_ids, values, target) -> Quotas:
    values = np.asarray(values, dtype=float)
    values = values[:, None] if values.ndim == 1 else values
    periods = tuple(f"2026-{m + 1:02d}" for m in range(values.shape[1]))
    return Quotas(
        rep_ids=tuple(rep_ids),
        periods=periods,
        values=values,
        company_target=float(target),
        settings=QuotaSettings(),
        basis=pd.DataFrame(),
    )


# ----------------------------------------------------------------------------- draws


def test_annual_draws_are_the_simulations_bookings(book, model):
    # same book, plan year and seed: the same bookings, trial by trial, bit for bit
    result = simulate(sample_scenario("baseline"), 150, rng=7, book=book)
    assert result.rep_ids == model.rep_ids
    np.testing.assert_array_equal(annual_draws(model, 150, rng=7), result.bookings)


def test_annual_draws_depend_on_the_seed_only(model):
    a = annual_draws(model, 20, rng=3)
    assert a.shape == (20, model.n_reps)
    np.testing.assert_array_equal(annual_draws(model, 20, rng=np.random.SeedSequence(3)), a)
    # trial t depends on t only: the first 10 of 20 are the 10 of a shorter run
    np.testing.assert_array_equal(annual_draws(model, 10, rng=3), a[:10])
    assert not np.array_equal(annual_draws(model, 20, rng=4), a)


# ----------------------------------------------------------------------------- probability


def test_probability_quotas_hold_on_independent_draws(model, draws1, draws2):
    p = 0.65
    quota, info = calibrate_annual(draws1, probability=p, rep_ids=model.rep_ids)
    n_reps = model.n_reps
    assert quota.shape == (n_reps,) and np.all(quota > 0)
    # in-sample: the type 6 quantile leaves exactly p n draws at or above (no ties here)
    assert np.all(np.abs(info["achieved"] - p) <= 1.0 / N + 1e-12)
    assert info["trials"] == N and info["method"] == "probability"

    hit = draws2 >= quota[None, :]
    per_rep = hit.mean(axis=0)
    sd_rep = math.sqrt(p * (1 - p) * (1 / N + 1 / N))  # 0.0151
    z = norm.isf(0.001 / (2 * n_reps))  # Bonferroni over the reps: 4.37
    worst = int(np.argmax(np.abs(per_rep - p)))
    assert abs(per_rep[worst] - p) < z * sd_rep, (model.rep_ids[worst], per_rep[worst])

    share_t = hit.mean(axis=1)
    sd_mean = share_t.std(ddof=1) * math.sqrt(1 / N + 1 / N)
    assert abs(share_t.mean() - p) < 4 * sd_mean
    # the reported in-sample standard error of the mean is the per-trial one
    assert info["achieved_mean_se"] == pytest.approx(
        (draws1 >= quota).mean(axis=1).std(ddof=1) / math.sqrt(N)
    )


@pytest.mark.parametrize("weights", ["mean draw", "potential"])
def test_share_quotas_hold_on_independent_draws(book, model, draws1, draws2, weights):
    s = 0.65
    if weights == "potential":
        pot = book.accounts.groupby("rep_id")["potential"].sum()
        w = pot.reindex(list(model.rep_ids)).to_numpy(float)
    else:
        w = None
    quota, info = calibrate_annual(draws1, share=s, weights=w)
    w_used = draws1.mean(axis=0) if w is None else w
    np.testing.assert_allclose(quota, info["scale"] * w_used, rtol=1e-12)  # one scale
    assert abs(info["achieved"] - s) <= 1.0 / (N * model.n_reps) + 1e-12  # in-sample
    share_t = (draws2 >= quota[None, :]).mean(axis=1)
    sd_mean = share_t.std(ddof=1) * math.sqrt(1 / N + 1 / N)
    assert abs(share_t.mean() - s) < 4 * sd_mean
    assert info["share_p10"] <= info["achieved"] <= info["share_p90"]


# ----------------------------------------------------------------------------- by hand


def test_probability_quantile_by_hand():
    # one rep, draws 1..9: the type 6 position of the (1 - p) quantile is 10 (1 - p)
    draws = np.arange(1.0, 10.0)[:, None]
    q, info = calibrate_annual(draws, probability=0.75)  # position 2.5: between 2 and 3
    assert q[0] == pytest.approx(2.5)
    assert info["achieved"][0] == pytest.approx(7 / 9)  # 3..9 reach it
    q, info = calibrate_annual(draws, probability=0.7)  # position 3 exactly: the 3rd draw
    assert q[0] == 3.0
    assert info["achieved"][0] == pytest.approx(7 / 9)
    assert info["achieved_se"][0] == pytest.approx(math.sqrt(7 / 9 * 2 / 9 / 9))
    # an atom at zero: draws 0, 0, 5, 10 and p = 0.4: position 5 x 0.6 = 3, the 5
    q, info = calibrate_annual(np.array([[0.0], [0.0], [5.0], [10.0]]), probability=0.4)
    assert q[0] == 5.0 and info["achieved"][0] == 0.5


def test_share_scale_by_hand():
    draws = np.array([[1.0, 2.0], [3.0, 4.0]])
    # ratios B / w with w = (1, 2): 1, 1, 3, 2 -> sorted 1, 1, 2, 3; 1 - s = 0.5 at
    # position 5 x 0.5 = 2.5, halfway between 1 and 2
    q, info = calibrate_annual(draws, share=0.5, weights=[1.0, 2.0])
    assert info["scale"] == pytest.approx(1.5)
    np.testing.assert_allclose(q, [1.5, 3.0])
    assert info["achieved"] == 0.5  # trial 1: nobody, trial 2: both
    # sd of the per-trial shares (0, 1) is 1 / sqrt 2 (ddof 1), over sqrt 2 trials
    assert info["achieved_se"] == pytest.approx(0.5)
    # default weights, the mean draws (2, 3): ratios 0.5, 0.667, 1.5, 1.333 -> c = 1
    q, info = calibrate_annual(draws, share=0.5)
    np.testing.assert_allclose(q, [2.0, 3.0])
    # a rep with weight 0 gets no quota and is not counted
    q, info = calibrate_annual(np.array([[1.0, 2.0, 5.0], [3.0, 4.0, 5.0]]), share=0.5,
                               weights=[1.0, 2.0, 0.0])  # fmt: skip
    np.testing.assert_allclose(q, [1.5, 3.0, 0.0])
    assert info["achieved"] == 0.5


def test_diagnostics_by_hand():
    # quotas 10, 20, 40 (split over two months); target 60: over-assignment 10/60
    quotas = _quotas("ABC", [[4.0, 6.0], [20.0, 0.0], [10.0, 30.0]], 60.0)
    draws = np.array(
        [
            [5.0, 20.0, 40.0],
            [10.0, 10.0, 60.0],
            [15.0, 30.0, 20.0],
            [14.0, 24.0, 0.0],
        ]
    )
    pot = np.array([100.0, 50.0, 400.0])
    hist = pd.Series({"C": 20.0, "B": 10.0, "A": 10.0})  # by rep id, any order
    d = quota_diagnostics(
        quotas,
        draws,
        potential=pot,
        history=hist,
        base_salary=[50.0, 50.0, 50.0],
        target_incentive=[50.0, 50.0, 30.0],
        max_share_of_potential=0.3,
    )
    assert isinstance(d, QuotaDiagnostics) and d.n_trials == 4
    r = d.reps.set_index("rep_id")
    np.testing.assert_allclose(r["annual_quota"], [10, 20, 40])
    np.testing.assert_allclose(r["expected_bookings"], [11, 21, 30])
    np.testing.assert_allclose(r["expected_attainment"], [1.1, 1.05, 0.75])
    np.testing.assert_allclose(r["p_at_quota"], [0.75, 0.75, 0.5])  # 3, 3 and 2 of 4
    np.testing.assert_allclose(r["p_at_quota_se"], np.sqrt([3 / 64, 3 / 64, 1 / 16]))
    # A's attainments sorted .5, 1, 1.4, 1.5: P10 at position .3, P50 halfway, P90 at 2.7
    assert r.loc["A", ["attainment_p10", "attainment_p50", "attainment_p90"]].tolist() == (
        pytest.approx([0.65, 1.2, 1.47])
    )
    np.testing.assert_allclose(r["quota_to_potential"], [0.1, 0.4, 0.1])
    np.testing.assert_allclose(r["quota_to_history"], [1.0, 2.0, 2.0])
    np.testing.assert_allclose(r["quota_to_ote"], [0.1, 0.2, 0.5])
    assert r["flag_potential"].tolist() == [False, True, False]  # 40% > 30%
    assert r["flag_growth"].tolist() == [False, True, True]  # +100% > +50%
    assert r["flag_unlikely"].tolist() == [False, False, False]
    assert r["feasible"].tolist() == [True, False, False]
    assert "40% of potential > 30%" in r.loc["B", "flags"]

    assert d.value("over_assignment") == pytest.approx(1 / 6)
    assert d.value("sum_of_quotas") == 70.0
    # every trial has 2 of 3 reps at quota
    o = d.overall.set_index("metric")
    assert o.loc["share_at_quota", ["value", "se", "p10", "p90"]].tolist() == pytest.approx(
        [2 / 3, 0.0, 2 / 3, 2 / 3]
    )
    # company bookings 65, 80, 65, 38 against 60
    assert d.value("p_company_target") == 0.75
    assert o.loc["p_company_target", "se"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    assert d.value("expected_company_bookings") == 62.0
    # fairness: deviations of expected attainment (8, 5, -13) / 60
    dx = np.array([8.0, 5.0, -13.0]) / 60
    dp = pot - pot.mean()
    assert d.value("corr_attainment_potential_pearson") == pytest.approx(
        (dx @ dp) / math.sqrt((dx @ dx) * (dp @ dp))
    )
    # ranks of attainment 3, 2, 1 and of potential 2, 1, 3: 1 - 6 (1 + 1 + 4) / (3 x 8)
    assert d.value("corr_attainment_potential_spearman") == pytest.approx(-0.5)
    # history ranks with a tie: 1.5, 1.5, 3 against 3, 2, 1: -1.5 / sqrt(2 x 1.5)
    assert d.value("corr_attainment_history_spearman") == pytest.approx(-1.5 / math.sqrt(3))
    assert d.value("p_at_quota_spread") == pytest.approx(np.std([0.75, 0.75, 0.5], ddof=1))
    assert d.value("n_flagged") == 2

    # 12 rep-trials: 0 once, .5 three times, 1 three times, 1.2, 1.4, 1.5 three times
    h = d.histogram
    assert h["count"].sum() == 12 and len(h) == len(HIST_EDGES) - 1
    counts = dict(zip(np.round(h["lo"], 1), h["count"], strict=True))
    assert {k: v for k, v in counts.items() if v} == {
        0.0: 1, 0.5: 3, 1.0: 3, 1.2: 1, 1.4: 1, 1.5: 3
    }  # fmt: skip
    assert d.attainment.set_index("quantile").loc[0.5, "attainment"] == 1.0
    text = d.describe()
    assert "over-assignment +16.7%" in text and "2 quota(s) flagged (B, C)" in text


def test_diagnostics_take_series_in_any_order(draws1, model):
    ids = list(model.rep_ids)
    quotas = _quotas(ids, draws1.mean(axis=0), draws1.mean(axis=0).sum())
    pot = np.linspace(1e6, 2e6, len(ids))
    as_array = quota_diagnostics(quotas, draws1, potential=pot)
    as_series = quota_diagnostics(quotas, draws1, potential=pd.Series(pot, index=ids)[::-1])
    pd.testing.assert_frame_equal(as_array.reps, as_series.reps)
    frame = pd.DataFrame(draws1, columns=ids).iloc[:, ::-1]  # columns by rep id, reversed
    as_frame = quota_diagnostics(quotas, frame, potential=pot)
    pd.testing.assert_frame_equal(as_array.reps, as_frame.reps)
    with pytest.raises(SpecError, match=r"draws has no column for rep 'R001' \(1 reps missing"):
        quota_diagnostics(quotas, frame.drop(columns="R001"))


def test_history_quotas_are_judged_unfair_to_last_years_winners(book, model, draws1):
    # an observation about the model, not a rule: quotas proportional to last year's
    # run rate meet shrunk deal rates, so last year's best reps get the hardest quotas
    q = quotas_from_history(book, plan_year=2026, rep_ids=model.rep_ids)
    hist = q.basis.set_index("rep_id")["bookings_last_year"]
    d = quota_diagnostics(q, draws1, history=hist)
    assert d.value("corr_attainment_history_spearman") < -0.3
    # the same draws, calibrated per rep: P(at quota) no longer differs by rep
    cal, _ = calibrate_annual(draws1, probability=0.6)
    d2 = quota_diagnostics(_quotas(model.rep_ids, cal, q.company_target), draws1)
    assert d2.value("p_at_quota_spread") < 0.01 < d.value("p_at_quota_spread")


# ----------------------------------------------------------------------------- company view


SETTINGS = {
    "no over-assignment": QuotaSettings(growth=0.08, over_assignment=0.0),
    "10% over": QuotaSettings(growth=0.08, over_assignment=0.10),
    "15% growth, 10% over": QuotaSettings(growth=0.15, over_assignment=0.10),
}


@pytest.fixture(scope="module")
def view(book):
    return company_view(sample_scenario("baseline"), SETTINGS, trials=1000, rng=3, book=book)


def test_company_view_one_row_per_setting(view):
    assert view["setting"].tolist() == list(SETTINGS)
    assert (view["method"] == "history").all()
    np.testing.assert_allclose(view["over_assignment"], [0.0, 0.10, 0.10], atol=1e-12)
    np.testing.assert_allclose(view["sum_of_quotas"], view["company_target"] * [1.0, 1.1, 1.1])
    assert view.attrs["n_trials"] == 1000 and view.attrs["seed"]["entropy"] == 3


def test_company_view_uses_common_random_numbers(view, model):
    assert view["common_draws"].all()
    assert view["expected_bookings"].nunique() == 1  # the same bookings, bit for bit
    # and they are annual_draws' with the same seed: P(company target) recomputed
    company = annual_draws(model, 1000, rng=3).sum(axis=1)
    for target, p in zip(view["company_target"], view["p_company_target"], strict=True):
        assert p == (company >= target).mean()


def test_company_view_with_a_generator_still_shares_draws(book):
    settings = {k: SETTINGS[k] for k in list(SETTINGS)[:2]}
    v = company_view(
        sample_scenario("baseline"), settings, trials=100, rng=np.random.default_rng(5), book=book
    )
    assert v["common_draws"].all()


def test_what_over_assignment_and_growth_change(view):
    flat, over, grown = (view.iloc[i] for i in range(3))
    # over-assignment raises the reps' quotas, not the company's number: with the same
    # draws and the same target, P(company target) is the same, not merely close
    assert over["company_target"] == flat["company_target"]
    assert over["p_company_target"] == flat["p_company_target"]
    # every quota is 10% higher in every trial: no rep can newly reach quota, and the
    # plan pays less for less attainment (it is monotone), so both drop
    assert over["share_at_quota"] < flat["share_at_quota"]
    assert over["incentive_cost"] < flat["incentive_cost"]
    assert over["incentive_cost_of_sales"] < flat["incentive_cost_of_sales"]
    # growth raises the target itself: the company target is reached less often
    assert grown["company_target"] == pytest.approx(flat["company_target"] * 1.15 / 1.08)
    assert grown["p_company_target"] < over["p_company_target"]
    assert grown["share_at_quota"] < over["share_at_quota"]
    p = view["p_company_target"].to_numpy()
    np.testing.assert_allclose(view["p_company_target_se"], np.sqrt(p * (1 - p) / 1000))
    assert (view["incentive_cost_p10"] <= view["incentive_cost_p50"]).all()
    assert (view["incentive_cost_p50"] <= view["incentive_cost_p90"]).all()


# ----------------------------------------------------------------------------- by setting


@pytest.fixture(scope="module")
def judged(book):
    return quota_diagnostics_by_setting(
        sample_scenario("baseline"), SETTINGS, trials=1000, rng=3, book=book
    )


def test_diagnostics_by_setting_judge_the_simulated_quotas(judged, view):
    assert isinstance(judged, SettingDiagnostics) and judged.n_trials == 1000
    assert judged.names == list(SETTINGS) == list(judged.diagnostics)
    for r in view.itertuples():
        d = judged.diagnostics[r.setting]
        assert d.n_trials == 1000
        # the quotas company_view simulated, on its draws (the same root)
        assert float(judged.quotas[r.setting].annual.sum()) == r.sum_of_quotas
        assert d.value("sum_of_quotas") == pytest.approx(r.sum_of_quotas, rel=1e-12)
        assert d.value("share_at_quota") == pytest.approx(r.share_at_quota, abs=1e-12)
        assert d.value("p_company_target") == r.p_company_target


def test_diagnostics_by_setting_read_one_yardstick(judged, book, model):
    scenario = sample_scenario("baseline")
    draws = annual_draws(model, 1000, rng=3)
    potential = book.accounts.groupby("rep_id")["potential"].sum()
    run_rate = rep_run_rates(book, plan_year=2026, settings=scenario.quota, rep_ids=model.rep_ids)
    prep = prepare(scenario, book, rng=3)
    for name, setting in SETTINGS.items():
        r = judged.diagnostics[name].reps.set_index("rep_id")
        assert r.index.tolist() == list(model.rep_ids)
        np.testing.assert_array_equal(r["expected_bookings"], draws.mean(axis=0))
        np.testing.assert_allclose(r["potential"], potential.reindex(r.index).fillna(0.0))
        np.testing.assert_array_equal(r["history"], run_rate.loc[r.index])
        np.testing.assert_allclose(r["ote"], prep.base_salary + prep.target_incentive)
        expected = prepare(scenario.replace(quota=setting), book, rng=3).quotas.annual
        np.testing.assert_array_equal(r["annual_quota"], expected)


def test_diagnostics_by_setting_without_potential_judge_none_on_it(book):
    """Accounts without the potential column: potential unknown, not 0 (0 would put
    every quota infinitely above its territory's potential and flag it)."""
    import dataclasses

    bare = dataclasses.replace(book, accounts=book.accounts.drop(columns="potential"))
    settings = {"flat": SETTINGS["no over-assignment"]}
    scenario = sample_scenario("baseline")
    got = quota_diagnostics_by_setting(scenario, settings, trials=200, rng=3, book=bare)
    d = got.diagnostics["flat"]
    assert d.reps["potential"].isna().all() and d.reps["quota_to_potential"].isna().all()
    assert not d.reps["flag_potential"].any()
    assert math.isnan(d.value("corr_attainment_potential_pearson"))
    # what a potential of 0 would have said
    zero = pd.Series(0.0, index=list(got.quotas["flat"].rep_ids))
    flagged = quota_diagnostics(
        got.quotas["flat"],
        annual_draws(fit_productivity(bare, plan_year=2026), 200, rng=3),
        potential=zero,
    )
    assert flagged.reps["flag_potential"].all()
    # the rest of the judgement is the book's with its potential
    full = quota_diagnostics_by_setting(scenario, settings, trials=200, rng=3, book=book)
    pd.testing.assert_series_equal(
        d.reps["p_at_quota"], full.diagnostics["flat"].reps["p_at_quota"]
    )
    pd.testing.assert_series_equal(
        d.reps["flag_growth"], full.diagnostics["flat"].reps["flag_growth"]
    )


def test_diagnostics_by_setting_with_a_planned_hire(book):
    hire = {"rep_id": "N1", "region": "West", "start": "2026-03-01"}
    settings = {
        "team": QuotaSettings(growth=0.08),
        "with a hire": QuotaSettings(growth=0.08, hires=[hire]),
    }
    got = quota_diagnostics_by_setting(
        sample_scenario("baseline"), settings, trials=200, rng=3, book=book
    )
    team = got.diagnostics["team"].reps.set_index("rep_id")
    more = got.diagnostics["with a hire"].reps.set_index("rep_id")
    assert len(team) == 80 and more.index.tolist() == [*team.index, "N1"]
    # the hire has no history: 0, not judged on growth; the others keep their run rate
    assert more.loc["N1", "history"] == 0.0 and np.isnan(more.loc["N1", "quota_to_history"])
    np.testing.assert_array_equal(more.loc[team.index, "history"], team["history"])
    assert not more.loc["N1", "flag_growth"]


def test_diagnostics_by_setting_errors(book):
    s = sample_scenario("baseline")
    with pytest.raises(SpecError, match=r"quota_diagnostics_by_setting: settings must be a non"):
        quota_diagnostics_by_setting(s, {}, book=book)
    with pytest.raises(
        SpecError, match=r"(?s)setting 'bad' is not a valid quota setting.*over_assignment.rep"
    ):
        quota_diagnostics_by_setting(s, {"bad": {"over_assignment": -1.0}}, trials=10, book=book)
    with pytest.raises(SpecError, match=r"setting names must be non-empty text, got ''"):
        quota_diagnostics_by_setting(s, {"": QuotaSettings()}, trials=10, book=book)
    with pytest.raises(SpecError, match=r"trials must be a whole number >= 1, got 0"):
        quota_diagnostics_by_setting(s, SETTINGS, trials=0, book=book)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"probability": 1.2}, r"probability must be strictly between 0 and 1.*got 1\.2.*"),
        ({"probability": 0.0}, r"probability must be strictly between 0 and 1.*got 0\.0"),
        ({"probability": float("nan")}, r"probability must be .*got nan.*Pass e\.g\."),
        ({"probability": "0.6"}, r"probability must be a number in \(0, 1\), got '0\.6' \(str\)"),
        ({"share": -0.1}, r"share must be strictly between 0 and 1.*got -0\.1.*share=0\.65"),
        ({"share": 1}, r"share must be strictly between 0 and 1.*got 1\.0"),
        ({"probability": 0.5, "share": 0.5}, r"exactly one of probability=.*got both"),
        ({}, r"exactly one of probability=.*share=.*got neither"),
        ({"probability": 0.5, "weights": [1, 1]}, r"weights apply only with share=.*Drop"),
        ({"share": 0.5, "weights": [1.0]}, r"weights must have one value per rep, shape \(2,\)"),
        ({"share": 0.5, "weights": [1.0, -2.0]}, r"weights must be .*>= 0; rep 1 .* -2\.0"),
        ({"share": 0.5, "weights": [0, 0]}, r"every weight is 0 \(2 reps\).*leave weights out"),
        ({"probability": 0.999}, r"probability=0\.999 is too extreme for 4 draws.*999 trials"),
    ],
)
def test_calibrate_errors_name_argument_value_and_fix(kwargs, match):
    draws = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0]])
    with pytest.raises(SpecError, match=match):
        calibrate_annual(draws, **kwargs)


def test_calibrate_errors_on_the_draws():
    with pytest.raises(SpecError, match=r"draws must be a 2-D array .*got shape \(3,\).*annual_d"):
        calibrate_annual(np.ones(3), probability=0.5)
    bad = np.ones((4, 2))
    bad[2, 1] = np.nan
    with pytest.raises(SpecError, match=r"draws must be finite; trial 2, rep 1 is nan"):
        calibrate_annual(bad, probability=0.5)


def test_a_rep_without_sales_gets_an_error_not_a_zero_quota():
    draws = pd.DataFrame({"R1": [1.0, 2.0, 3.0, 4.0], "R2": 0.0})
    with pytest.raises(SpecError, match=r"rep 'R2' would get a quota of 0: every one of its dr"):
        calibrate_annual(draws, probability=0.5)
    with pytest.raises(SpecError, match=r"rep 'R2' would get a quota of 0.*Leave such reps out"):
        calibrate_annual(draws, share=0.5)  # its default weight, the mean draw, is 0
    # mostly zeros: 8 of 10 draws are 0, so the 35% quantile is 0
    mostly = np.r_[np.zeros(8), 1.0, 2.0][:, None]
    with pytest.raises(SpecError, match=r"rep 0 \(column 0 of draws\).*80\.0% of its draws are 0"):
        calibrate_annual(mostly, probability=0.65)


def test_diagnostics_and_draws_errors(model):
    quotas = _quotas("AB", [10.0, 20.0], 30.0)
    draws = np.array([[8.0, 25.0], [12.0, 15.0]])
    with pytest.raises(SpecError, match=r"draws has 3 reps .* quotas have 2.*quotas\.rep_ids"):
        quota_diagnostics(quotas, np.ones((2, 3)))
    with pytest.raises(SpecError, match=r"potential must have one value per rep, shape \(2,\)"):
        quota_diagnostics(quotas, draws, potential=[1.0, 2.0, 3.0])
    with pytest.raises(SpecError, match=r"history has no value for rep 'B'.*one value per rep"):
        quota_diagnostics(quotas, draws, history=pd.Series({"A": 1.0, "Z": 2.0}))
    with pytest.raises(SpecError, match=r"history must be finite and >= 0; rep 'B' has -1\.0"):
        quota_diagnostics(quotas, draws, history=[1.0, -1.0])
    with pytest.raises(
        SpecError, match=r"max_growth must be .* >= 0, got -0\.2; the default is max_gr"
    ):
        quota_diagnostics(quotas, draws, max_growth=-0.2)
    with pytest.raises(SpecError, match=r"trials must be a whole number >= 1, got 0"):
        annual_draws(model, 0)
    with pytest.raises(SpecError, match=r"model must be a ProductivityModel.*got dict.*fit_pro"):
        annual_draws({}, 10)


def test_company_view_errors(book):
    s = sample_scenario("baseline")
    with pytest.raises(SpecError, match=r"settings must be a non-empty mapping.*got \{\}"):
        company_view(s, {}, book=book)
    with pytest.raises(
        SpecError, match=r"(?s)setting 'bad' is not a valid quota setting.*over_assignment.rep"
    ):
        company_view(s, {"bad": {"over_assignment": -1.0}}, trials=10, book=book)
    with pytest.raises(SpecError, match=r"trials must be a whole number >= 1, got -5"):
        company_view(s, SETTINGS, trials=-5, book=book)


# ----------------------------------------------------------------------------- figures


@pytest.fixture(scope="module")
def history_diagnostics(book, model, draws1):
    q = quotas_from_history(book, plan_year=2026, rep_ids=model.rep_ids)
    pot = book.accounts.groupby("rep_id")["potential"].sum()
    hist = q.basis.set_index("rep_id")["bookings_last_year"]
    return quota_diagnostics(q, draws1, potential=pot, history=hist)


def _gid(ax, gid):
    return [a for a in [*ax.collections, *ax.lines, *ax.texts] if a.get_gid() == gid]


def test_quota_fit_figure(history_diagnostics):
    d = history_diagnostics
    fig = quota_fit_figure(d)
    ax1, ax2 = fig.axes
    assert (ax1.get_xlabel(), ax1.get_ylabel()) == ("Territory potential", "Annual quota")
    assert ax2.get_xlabel() == "Last year's bookings"
    # last year's bookings run from a month's worth to millions: log axes
    assert ax2.get_xscale() == "log" and ax2.get_yscale() == "log"
    r = d.reps
    for ax, flag in ((ax1, "flag_potential"), (ax2, "flag_growth")):
        crosses = _gid(ax, "flagged")
        assert len(crosses) == (1 if r[flag].any() else 0)
        if crosses:
            assert len(crosses[0].get_offsets()) == r[flag].sum()
        others = _gid(ax, "flagged_other")
        n_other = int((~r["feasible"] & ~r[flag]).sum())
        assert sum(len(c.get_offsets()) for c in others) == n_other
        assert len(_gid(ax, "reps")[0].get_offsets()) == int(r["feasible"].sum())
    (threshold,) = _gid(ax2, "threshold")
    x, y = threshold.get_data()
    np.testing.assert_allclose(y / x, 1.0 + d.rules["max_growth"])
    fig.canvas.draw()  # renders


def test_quota_fit_figure_without_inputs_says_so(draws1, model):
    d = quota_diagnostics(_quotas(model.rep_ids, draws1.mean(axis=0), 1e8), draws1)
    fig = quota_fit_figure(d)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["no potential given", "no last year given"]


def test_attainment_figure(history_diagnostics):
    d = history_diagnostics
    fig = attainment_figure(d)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Attainment (annual bookings / quota)"
    assert ax.get_ylabel() == "Share of rep-trials"
    bars = [p for p in ax.patches if p.get_gid() == "attainment_bars"]
    assert len(bars) == len(d.histogram)
    np.testing.assert_allclose([b.get_height() for b in bars], d.histogram["share"])
    (quota_line,) = _gid(ax, "quota")
    assert quota_line.get_xdata()[0] == 1.0
    (note,) = _gid(ax, "share_note")
    assert f"{d.value('share_at_quota'):.0%} of reps expected" in note.get_text()
    fig.canvas.draw()
