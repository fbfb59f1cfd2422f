"""The productivity fit report: tables, back-test, text, figure and ``spm-sim fit``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from synthetic import write_book

import spm_sim
from spm_sim import DataError, fit_productivity, load_book, load_sample
from spm_sim.cli import main
from spm_sim.fit_report import CHECK_COLUMNS, PARAMETER_COLUMNS, FitReport, fit_report
from spm_sim.quota import QuotaSettings, set_quotas
from spm_sim.viz import SpmFigure, fit_figure

N_SIMS = 200


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def report(book):
    return fit_report(book, plan_year=2026, n_sims=N_SIMS, rng=3)


def test_exported():
    assert spm_sim.fit_report is fit_report and spm_sim.FitReport is FitReport


def test_parameters_table(report):
    p = report.parameters
    assert tuple(p.columns) == PARAMETER_COLUMNS
    assert p["parameter"].is_unique
    names = set(p["parameter"])
    expected = {
        "deal_rate_prior_mean",
        "deal_rate_prior_sd",
        "deal_rate_prior_shape",
        "log_size_prior_mean",
        "log_size_between_sd",
        "log_size_within_sd",
        "trend_slope",
        "level_se",
        "shock_sd",
        "shock_rho",
        "n_deals",
        "n_months",
    } | {f"seasonality_{m}" for m in ("jan", "jun", "dec")}
    assert expected <= names
    season = p[p["parameter"].str.startswith("seasonality_")]
    assert len(season) == 12
    assert season["estimate"].mean() == pytest.approx(1.0)
    assert (season["std_error"] > 0).all()
    est = p.set_index("parameter")
    assert est.loc["n_deals", "estimate"] == len(load_sample().bookings)
    assert est.loc["n_months", "estimate"] == 36
    with_se = p[p["std_error"].notna()]
    assert (with_se["low"] <= with_se["estimate"]).all()
    assert (with_se["estimate"] <= with_se["high"]).all()
    # the prior shape is mean^2 / sd^2 of the prior
    m, sd = est.loc["deal_rate_prior_mean", "estimate"], est.loc["deal_rate_prior_sd", "estimate"]
    assert est.loc["deal_rate_prior_shape", "estimate"] == pytest.approx(m**2 / sd**2)
    assert est.loc["trend_slope", "estimate"] == pytest.approx(
        report.model.fit["trend_slope_per_year"]
    )


def test_reps_table(report):
    r = report.reps
    base = list(report.model.to_frame().columns)
    assert list(r.columns) == base + [
        "deal_rate_low",
        "deal_rate_high",
        "rate_weight",
        "size_weight",
    ]
    assert len(r) == 80 and r["rep_id"].is_unique
    assert ((r["deal_rate_low"] < r["deal_rate"]) & (r["deal_rate"] < r["deal_rate_high"])).all()
    assert r["rate_weight"].between(0, 1).all() and r["size_weight"].between(0, 1).all()
    # the rate is the weighted mix of the rep's own rate and the prior mean
    f = report.model.fit
    prior = f["prior_alpha"] / f["prior_beta"]
    own = r["deals_history"] / r["exposure_months"]
    mix = r["rate_weight"] * own + (1 - r["rate_weight"]) * prior
    np.testing.assert_allclose(mix, r["deal_rate"], rtol=1e-10)
    # the newest rep leans most on the prior
    newest = r.loc[r["exposure_months"].idxmin(), "rep_id"]
    assert r.loc[r["rate_weight"].idxmin(), "rep_id"] == newest


def test_backtest_compares_reps_employed_all_year(report, book):
    bt = report.backtest
    assert bt.year == 2025 and bt.n_sims == N_SIMS
    assert list(bt.excluded["rep_id"]) == ["R069", "R082", "R083", "R084", "R085"]
    reasons = dict(zip(bt.excluded["rep_id"], bt.excluded["reason"], strict=True))
    assert reasons["R069"].startswith("left 2025-") and reasons["R082"] == "hired 2025-01-03"
    assert len(bt.rep_ids) == 76 and not set(bt.rep_ids) & set(bt.excluded["rep_id"])
    # oracle: the actuals straight from the bookings table
    b = book.bookings
    y = b[(b["date"].dt.year == 2025) & b["rep_id"].isin(bt.rep_ids)]
    per_rep = y.groupby("rep_id")["amount"].sum().reindex(list(bt.rep_ids), fill_value=0.0)
    np.testing.assert_allclose(bt.actual_rep_year, per_rep.to_numpy())
    annual = bt.check("annual_total").iloc[0]
    assert annual["actual"] == pytest.approx(y["amount"].sum())
    q = set_quotas(
        book,
        plan_year=2025,
        settings=QuotaSettings(method="history", growth=0.0),
        rep_ids=list(bt.rep_ids),
    )
    quota = pd.Series(q.annual, index=list(q.rep_ids)).reindex(list(bt.rep_ids))
    share = bt.check("share_at_quota").iloc[0]
    assert share["actual"] == pytest.approx((per_rep.to_numpy() >= quota.to_numpy()).mean())


def test_backtest_checks(report):
    bt = report.backtest
    c = bt.checks
    assert tuple(c.columns) == CHECK_COLUMNS
    assert c["check"].value_counts().to_dict() == {
        "monthly_total": 12,
        "rep_year_bookings": 5,
        "rep_year_ks": 1,
        "share_at_quota": 1,
        "annual_total": 1,
    }
    assert c["percentile"].between(0, 1).all()
    assert (c["sim_p10"] <= c["sim_p50"]).all() and (c["sim_p50"] <= c["sim_p90"]).all()
    banded = c[c["check"] != "rep_year_ks"]
    inside = (banded["sim_p10"] <= banded["actual"]) & (banded["actual"] <= banded["sim_p90"])
    assert (inside == banded["inside"]).all()
    months = bt.check("monthly_total")
    assert bt.coverage == pytest.approx(months["inside"].mean())
    assert 0 <= bt.coverage <= 1
    assert 0 <= bt.annual_percentile <= 1
    np.testing.assert_allclose(months["actual"], bt.actual_monthly)
    assert months["actual"].sum() == pytest.approx(bt.check("annual_total")["actual"].iloc[0])
    # the KS distance is scipy's two-sample statistic against the pooled simulation
    ks = stats.ks_2samp(bt.actual_rep_year, bt.sim_rep_year.ravel()).statistic
    assert bt.check("rep_year_ks")["actual"].iloc[0] == pytest.approx(ks)
    assert bt.sim_rep_year.shape == (N_SIMS, 76) and bt.sim_monthly.shape == (N_SIMS, 12)
    np.testing.assert_allclose(bt.sim_monthly.sum(axis=1), bt.sim_rep_year.sum(axis=1))
    assert len(bt.reps) == 76 and bt.reps["percentile"].between(0, 1).all()


def test_same_rng_same_report_and_trials_are_a_prefix(book, report):
    again = fit_report(book, plan_year=2026, n_sims=N_SIMS, rng=3)
    for name, frame in report.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)
    np.testing.assert_array_equal(report.backtest.sim_rep_year, again.backtest.sim_rep_year)
    # trial i is drawn from its own stream: 50 trials are the first 50 of 200
    short = fit_report(book, plan_year=2026, n_sims=50, rng=3)
    np.testing.assert_array_equal(short.backtest.sim_rep_year, report.backtest.sim_rep_year[:50])
    other = fit_report(book, plan_year=2026, n_sims=50, rng=4)
    assert not np.array_equal(other.backtest.sim_rep_year, short.backtest.sim_rep_year)


def test_backtest_mean_matches_the_closed_form(tmp_path):
    # oracle on a synthetic book: the simulated mean of the company total is the
    # model's expected bookings within a few Monte Carlo standard errors
    folder = write_book(
        tmp_path / "b", seed=4, rates={f"S{i:02d}": 3.0 + 0.1 * i for i in range(20)}
    )
    r = fit_report(load_book(folder), plan_year=2026, n_sims=400, rng=0)
    bt = r.backtest
    model = fit_productivity(load_book(folder), plan_year=2025, rep_ids=list(bt.rep_ids))
    total = bt.sim_monthly.sum(axis=1)
    se = total.std(ddof=1) / np.sqrt(total.size)
    assert abs(total.mean() - model.expected_bookings().sum()) < 4 * se
    assert bt.excluded.empty


def test_describe(report):
    text = report.describe()
    assert "Back-test of 2025" in text
    assert "Excluded 5 reps: 4 hired during 2025 (R082, R083, R084, R085)" in text
    assert "1 left during 2025 (R069)" in text
    assert "76 reps employed for the whole of 2025" in text
    assert "Monthly totals:" in text and "of 12 months inside" in text
    assert "seasonality_dec" in text and "deal_rate_prior_mean" in text
    assert "Share of reps at or above quota" in text and "KS distance" in text


def test_figure(report):
    fig = fit_figure(report)
    assert isinstance(fig, SpmFigure)
    assert len(fig.axes) == 4
    gids = {a.get_gid() for ax in fig.axes for a in ax.get_children()}
    assert {"simulated_ecdf", "actual_ecdf", "actual_share", "band", "p50"} <= gids
    # the calibration panel: one series per check, the reps' range by chance
    assert {"coverage_company_month", "coverage_rep_year", "chance_range"} <= gids
    assert fig.axes[3].get_title() == "Calibration over 2024, 2025"
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_cli_prints_and_writes_files(tmp_path, capsys):
    out = tmp_path / "fit"
    code = main(["fit", "--plan-year", "2026", "--sims", "50", "--seed", "5", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "Back-test of 2025" in text and "seed entropy 5" in text
    assert "Rolling back-test: 2 year(s) (2024, 2025)" in text and "Verdicts:" in text
    assert "Reps' response to the plan (from the book, or a prior" in text
    for name in (
        "parameters",
        "reps",
        "backtest_checks",
        "backtest_reps",
        "backtest_excluded",
        "calibration",
        "bias",
        "pit",
        "behaviour",
    ):
        assert (out / f"{name}.csv").is_file(), name
        assert str(out / f"{name}.csv") in text
    assert (out / "fit.png").stat().st_size > 10_000
    checks = pd.read_csv(out / "backtest_checks.csv")
    assert tuple(checks.columns) == CHECK_COLUMNS and len(checks) == 20
    assert tuple(pd.read_csv(out / "parameters.csv").columns) == PARAMETER_COLUMNS
    calibration = pd.read_csv(out / "calibration.csv")
    assert len(calibration) == 27 and set(calibration["origin"].astype(str)) == {
        "2024",
        "2025",
        "pooled",
    }


def test_short_history_is_refused(tmp_path, capsys):
    folder = write_book(tmp_path / "one_year", years=(2025,))
    with pytest.raises(DataError, match=r"needs at least 12 months .* has 0 \(bookings in 2025\)"):
        fit_report(load_book(folder), plan_year=2026, n_sims=50)
    code = main(["fit", "--book", str(folder), "--plan-year", "2026", "--sims", "50"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("spm-sim: error: the back-test of 2025") and "plan_year=2027" in err


def test_incomplete_backtest_year_is_refused(tmp_path):
    folder = write_book(tmp_path / "cut", end="2025-09-30")
    with pytest.raises(DataError, match=r"all of 2025, but the history ends on 2025-09-30"):
        fit_report(load_book(folder), plan_year=2026, n_sims=50)


def test_too_few_sims(book):
    with pytest.raises(ValueError, match="n_sims must be a whole number of at least 20, got 5"):
        fit_report(book, plan_year=2026, n_sims=5)


def test_sample_history_year_lies_inside_the_reported_ranges(book):
    """Issue 6: the back-test of 2025 (fitted on 2023-2024) is within the 80% bands the
    report shows for the company's year and for the shape of the rep-year distribution."""
    bt = fit_report(book, plan_year=2026, n_sims=1000, rng=0).backtest
    checks = bt.checks.set_index(["check", "item"])
    annual = checks.xs("annual_total", level="check")
    assert annual["inside"].all(), annual
    ks = checks[checks.index.get_level_values("check").str.contains("ks")]
    assert len(ks) == 1 and ks["inside"].all(), ks
