"""Rolling-origin back-tests: origins, coverage with sampling error, verdicts that fail,
and the realism terms the back-test checks (rep-month overdispersion, trend prior)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from synthetic import SEASON, SIZE_MU, SIZE_SIGMA, write_book

from spm_sim import DataError, fit_productivity, load_book, load_sample
from spm_sim._fit_report.calibration import _design_effect
from spm_sim.fit_report import (
    BANDS,
    BIAS_COLUMNS,
    CALIBRATION_COLUMNS,
    backtest_origins,
    backtest_year,
    rolling_backtest,
    wilson_interval,
)
from spm_sim.productivity import draw_deals_batch

N_SIMS = 120
RATES = {f"S{i:02d}": 3.0 + 0.2 * i for i in range(16)}


@pytest.fixture(scope="module")
def sample_rolling():
    return rolling_backtest(load_sample(), n_sims=N_SIMS, rng=5)


def _book(tmp_path, name, *, cut_2025=0.0, dispersion=0.0, seed=3):
    """A synthetic book 2021-2025 (four origins); ``cut_2025`` drops that share of
    2025's deals (a shock the history cannot foresee); ``dispersion`` > 0 redraws every
    rep-month's deals with a gamma factor of that variance."""
    folder = write_book(tmp_path / name, seed=seed, years=range(2021, 2026), rates=RATES)
    if cut_2025 or dispersion:
        path = folder / "bookings.csv"
        b = pd.read_csv(path)
        rng = np.random.default_rng(seed + 100)
        if dispersion:
            b = _overdispersed(b, rng, dispersion)
        if cut_2025:
            keep = ~(b["date"].str.startswith("2025") & (rng.random(len(b)) < cut_2025))
            b = b[keep].reset_index(drop=True)
            b["deal_id"] = [f"D{i:06d}" for i in range(1, len(b) + 1)]
        b.to_csv(path, index=False)
    return load_book(folder)


def _overdispersed(b: pd.DataFrame, rng, d: float) -> pd.DataFrame:
    """The book's deals drawn again: each rep-month ``Poisson(rate x season x G)`` with
    ``G ~ Gamma(1/d, d)`` (mean 1, variance ``d``); reps ramped (hired 2019), no growth."""
    rows = []
    for year in range(2021, 2026):
        for month in range(1, 13):
            for rep, rate in RATES.items():
                n = rng.poisson(rate * SEASON[month - 1] * rng.gamma(1.0 / d, d))
                days = rng.integers(1, 29, size=n)
                sizes = np.round(rng.lognormal(SIZE_MU, SIZE_SIGMA, size=n), 2)
                rows += [
                    (f"{year}-{month:02d}-{day:02d}", f"A{rep}", rep, size)
                    for day, size in zip(days, sizes, strict=True)
                ]
    out = pd.DataFrame(rows, columns=["date", "account_id", "rep_id", "amount"])
    out = out.sort_values("date", kind="stable").reset_index(drop=True)
    out.insert(0, "deal_id", [f"D{i:06d}" for i in range(1, len(out) + 1)])
    out["product"] = "Platform"
    return out[list(b.columns)]


# --- origins and tables ---------------------------------------------------------------


def test_every_year_the_book_allows_is_an_origin(sample_rolling, tmp_path):
    assert backtest_origins(load_sample()) == (2024, 2025)
    assert backtest_origins(load_sample(), last_year=2024) == (2024,)
    assert sample_rolling.years == (2024, 2025)
    book = _book(tmp_path, "long")
    assert backtest_origins(book) == (2022, 2023, 2024, 2025)
    one = write_book(tmp_path / "one", years=(2025,))
    with pytest.raises(DataError, match="no year to back-test: the bookings start on 2025-01"):
        rolling_backtest(load_book(one), n_sims=20)


def test_each_origin_is_the_single_year_back_test(sample_rolling):
    again = backtest_year(load_sample(), year=2024, n_sims=N_SIMS, rng=5)
    first = sample_rolling.origins[0]
    np.testing.assert_array_equal(first.sim_rep_year, again.sim_rep_year)
    pd.testing.assert_frame_equal(first.checks, again.checks)
    assert sample_rolling.latest.year == 2025 and first.fit_span[1] == "2023-12-31"


def test_calibration_counts_the_pit_inside_each_band(sample_rolling):
    c, pit = sample_rolling.calibration, sample_rolling.pit
    assert tuple(c.columns) == CALIBRATION_COLUMNS
    assert tuple(sample_rolling.bias.columns) == BIAS_COLUMNS
    # three checks x three bands for each origin and pooled
    assert len(c) == 3 * 3 * 3 and set(c["band"]) == set(BANDS)
    for row in c.itertuples(index=False):
        items = pit[pit["check"] == row.check]
        if row.origin != "pooled":
            items = items[items["origin"] == row.origin]
        p = items["percentile"].to_numpy()
        inside = ((p >= (1 - row.band) / 2) & (p <= (1 + row.band) / 2)).sum()
        assert (row.n, row.inside) == (len(p), inside), row
        assert row.coverage == pytest.approx(inside / len(p))
        assert row.mean_pit == pytest.approx(p.mean())
        assert row.low <= row.coverage <= row.high
        assert row.chance_low <= row.nominal <= row.chance_high
        assert row.deff >= 1.0 and row.n_eff == pytest.approx(row.n / row.deff)
        outside = not row.chance_low <= row.coverage <= row.chance_high
        assert (row.verdict != "as expected") == outside
    pooled = c[c["origin"] == "pooled"].set_index(["check", "band"])
    per_year = c[c["origin"] != "pooled"].groupby(["check", "band"])[["n", "inside", "n_eff"]]
    np.testing.assert_allclose(per_year.sum().loc[pooled.index], pooled[["n", "inside", "n_eff"]])
    # the months of a year and the reps are the years' items: 12 and 74/76
    assert pooled.loc[("company_month", 0.8), "n"] == 24
    assert pooled.loc[("rep_year", 0.8), "n"] == 74 + 76


def test_the_wilson_interval_is_scipys():
    for k, n in ((52, 76), (0, 12), (12, 12), (3, 7)):
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
    # a coverage is inside its chance range exactly when the nominal is inside the
    # Wilson interval: the score test both come from
    n, p = 40.0, 0.8
    half = 1.959964 * np.sqrt(p * (1 - p) / n)
    for cov in (p - half - 1e-3, p - half + 1e-3, p + half - 1e-3, p + half + 1e-3):
        low, high = wilson_interval(cov * n, n)
        assert (low <= p <= high) == (abs(cov - p) <= half)


def test_the_design_effect_reads_the_dependence_of_the_items():
    rng = np.random.default_rng(0)
    independent = rng.normal(size=(4000, 12))
    shared = rng.normal(size=(4000, 1)) + 0.05 * rng.normal(size=(4000, 12))
    assert _design_effect(independent, 0.8) == pytest.approx(1.0, abs=0.1)
    # items that move together: K is 0 or 12, var 12^2 L (1 - L) -> deff near 12
    assert _design_effect(shared, 0.8) > 8


def test_bias_is_the_actual_against_the_simulated_median(sample_rolling):
    b = sample_rolling.bias.set_index(["origin", "measure"])
    for bt in sample_rolling.origins:
        annual = bt.sim_monthly.sum(axis=1)
        row = b.loc[(str(bt.year), "company_year")]
        assert row["sim_p50"] == pytest.approx(np.median(annual))
        assert row["bias"] == pytest.approx(bt.actual_monthly.sum() / np.median(annual) - 1)
        assert row["std_error"] == pytest.approx(annual.std(ddof=1) / np.median(annual))
        assert row["percentile"] == pytest.approx(bt.annual_percentile)
    pooled = b.loc[("pooled", "company_year")]
    years = b.loc[["2024", "2025"]].xs("company_year", level="measure")
    assert pooled["bias"] == pytest.approx(years["bias"].mean())
    assert pooled["std_error"] == pytest.approx(np.sqrt((years["std_error"] ** 2).sum()) / 2)


# --- verdicts that can fail -----------------------------------------------------------


def test_a_shock_the_history_cannot_foresee_fails_in_words(tmp_path):
    rb = rolling_backtest(_book(tmp_path, "shock", cut_2025=0.3), n_sims=200, rng=0)
    text = "\n".join(rb.warnings())
    assert "FAILS: biased high: the actual year 2025" in text
    assert "sits at the 0th percentile of its simulation (outside the simulated 90% band)" in text
    assert "FAILS: outside the simulation: 2025, " in text  # the year, and months
    # the reps' bands: too narrow in 2025 (every rep lost deals)
    assert "FAILS: too narrow:" in text and "of reps inside their own 80% band in 2025" in text
    assert all(v.startswith(("FAILS:", "leans")) for v in rb.warnings())
    assert set(rb.warnings()) <= set(rb.verdicts())


def test_a_book_the_model_describes_passes(tmp_path):
    rb = rolling_backtest(_book(tmp_path, "calm"), n_sims=N_SIMS, rng=0)
    assert rb.years == (2022, 2023, 2024, 2025)
    c = rb.calibration
    pooled = c[(c["origin"] == "pooled") & (c["check"] != "company_year") & (c["band"] == 0.8)]
    assert (pooled["verdict"] == "as expected").all(), pooled
    assert pooled["coverage"].between(0.7, 0.9).all()
    assert not any("biased" in w for w in rb.warnings()), rb.warnings()


def test_report_text_and_warnings_of_the_sample(sample_rolling):
    from spm_sim.fit_report import fit_report

    r = fit_report(load_sample(), plan_year=2026, n_sims=40, rng=5)
    assert r.rolling is not None and r.rolling.years == (2024, 2025)
    assert r.backtest is r.rolling.latest
    text = r.describe()
    assert "Rolling back-test: 2 year(s) (2024, 2025)" in text
    assert "Verdicts:" in text and "of reps inside their own 80% band" in text
    assert r.warnings() == r.rolling.warnings()
    assert {"calibration", "bias", "pit"} <= set(r.tables())


# --- the realism terms the back-test checks ---------------------------------------------


def test_rep_month_overdispersion_is_recovered(tmp_path):
    poisson = fit_productivity(_book(tmp_path, "p"), plan_year=2026)
    assert poisson.rep_dispersion < 0.03
    gamma = fit_productivity(_book(tmp_path, "g", dispersion=0.25), plan_year=2026)
    assert gamma.rep_dispersion == pytest.approx(0.25, abs=0.07)
    # an overdispersed history is less informative: wider posteriors for the same mean
    assert (gamma.fit["dispersion_factor"] > 1.5).all()
    cv_g = 1 / np.sqrt(gamma.alpha)
    cv_p = 1 / np.sqrt(poisson.alpha)
    assert np.median(cv_g / cv_p) > 1.2


def test_a_year_factor_gives_the_rep_month_variance_over_the_year():
    m = fit_productivity(load_sample(), plan_year=2026)
    plain = dataclasses.replace(
        m, parameter_uncertainty=False, shock_sd=0.0, seasonality_se=None, rep_dispersion=0.2
    )
    counts, *_ = draw_deals_batch(plain.take_reps(slice(0, 10)), np.random.default_rng(1), 3000)
    year = counts.sum(axis=2)  # (trials, reps)
    mu = (plain.alpha / plain.beta)[:10, None] * plain.month_factor[:10]
    expected = mu.sum(axis=1) + 0.2 * (mu**2).sum(axis=1)  # Poisson + d sum mu_m^2
    np.testing.assert_allclose(year.mean(axis=0), mu.sum(axis=1), rtol=0.02)
    # the variance of a sample variance of 3000: about sqrt(2 / 3000) = 2.6% (x kurtosis)
    np.testing.assert_allclose(year.var(axis=0, ddof=1), expected, rtol=0.12)


def test_the_trend_prior(tmp_path):
    m = fit_productivity(load_sample(), plan_year=2026)
    f = m.fit
    tau2, se2 = f["trend_prior_sd"] ** 2, f["trend_slope_fitted_se"] ** 2
    assert f["trend_prior_sd"] == 0.10
    assert f["trend_slope_per_year"] == pytest.approx(f["trend_slope_fitted"] * tau2 / (tau2 + se2))
    assert m.trend_se == pytest.approx(np.sqrt(tau2 * se2 / (tau2 + se2)))
    # a year of history fits no trend: the plan year gets the prior's uncertainty
    short = fit_productivity(load_sample(), plan_year=2024)
    assert short.fit["trend_slope_per_year"] == 0.0 and short.trend_se == pytest.approx(0.10)
    off = fit_productivity(load_sample(), plan_year=2024, trend_prior_sd=0.0)
    assert off.trend_se == 0.0


def test_a_year_without_a_whole_year_rep_is_skipped_and_said(tmp_path):
    old = {f"O{i}": 4.0 for i in range(4)}
    new = {f"N{i}": 4.0 for i in range(4)}
    folder = write_book(
        tmp_path / "turnover",
        years=range(2021, 2026),
        rates=old | new,
        hire={**{r: "2019-06-03" for r in old}, **{r: "2023-03-01" for r in new}},
        term={r: "2023-06-30" for r in old},
    )
    rb = rolling_backtest(load_book(folder), n_sims=40, rng=0)
    assert rb.years == (2022, 2024, 2025)
    assert [y for y, _ in rb.skipped] == [2023]
    assert "no rep was employed for the whole of 2023" in rb.skipped[0][1]
    assert set(rb.calibration["origin"]) == {"2022", "2024", "2025", "pooled"}
