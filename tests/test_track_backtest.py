"""The in-year forecast back-tested on the sample's 2025 (issue 17's validation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_sim._track.backtest import forecast_backtest
from spm_sim.actuals import actual_payouts
from spm_sim.book import as_of, load_sample
from spm_sim.comp import load_plan
from spm_sim.errors import DataError
from spm_sim.metrics import proportion_interval
from spm_sim.track import forecast, tracking_quotas

# the module's back-test of the sample's whole year takes about 10 s
pytestmark = pytest.mark.slow

PLAN = load_plan("data/plans/baseline.yaml")
QUARTERS = ["2025-01-31", "2025-03-31", "2025-06-30", "2025-09-30", "2025-10-31", "2025-11-30"]


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def backtest(book):
    # every month end but few trials: the calibration table wants many (rep, date) pairs
    return forecast_backtest(book, PLAN, 2025, trials=200, rng=11)


def test_year_end_error_shrinks_as_the_year_advances(backtest):
    c = backtest.company.set_index(backtest.company["as_of"].dt.month)
    first = c.loc[[1, 2, 3], "abs_error_share"].mean()
    last = c.loc[[10, 11, 12], "abs_error_share"].mean()
    assert last < first
    assert last < 0.02
    # the 80% band narrows month by month, allowing a wobble between neighbours: at
    # 200 trials a P10-P90 spread has a Monte Carlo error of about 6% (normal draws:
    # sd 0.16 sigma on 2.56 sigma), the change between two dates about 9%
    spread = c["spread"].to_numpy()
    assert spread[-1] == 0
    assert (np.diff(spread) <= 0.15 * spread[:-1] + 1e-9).all()
    assert (np.diff(spread[[0, 3, 6, 9, 11]]) < 0).all()  # quarter by quarter, strictly
    assert spread[0] > 3.5 * spread[9]  # the last quarter keeps its seasonal factors' error


def test_the_band_holds_the_truth_most_months(backtest):
    c = backtest.company
    # an honest 80% band misses about 2 of the 11 dates with anything left to draw (31
    # December is the actual by construction); the model before the company-level
    # update and the won-amount correction missed most of them
    cov = backtest.coverage
    assert cov["dates"] == 11 and not c["open"].iloc[-1]
    assert cov["in_band"] >= 7
    assert (c["abs_error_share"] < 0.10).all()
    # the two parts of the rest of the year are each within 10% from April to August
    # (later, new business is a few millions and its share error means little)
    later = c[c["as_of"].dt.month.between(4, 8)]
    assert (abs(later["pipeline_expected"] / later["pipeline_actual"] - 1) < 0.10).all()
    assert (abs(later["new_expected"] / later["new_actual"] - 1) < 0.10).all()


def test_calibration_within_sampling_error(backtest):
    table = backtest.calibration
    assert table["pairs"].sum() == len(backtest.pairs) > 500
    big = table[table["pairs"] >= 30]
    assert len(big) >= 6
    pairs = zip(big["made"], big["pairs"], strict=True)
    bands = [proportion_interval(m, n, level=0.99) for m, n in pairs]
    low = np.array([b.low for b in bands])
    high = np.array([b.high for b in bands])
    # each well-populated bin's observed share holds its mean predicted chance
    # within the 99% Wilson interval (pairs correlated within a rep make it if anything
    # too narrow, so this is the stricter check)
    inside = (low <= big["predicted"]) & (big["predicted"] <= high)
    assert inside.all(), big.assign(low=low, high=high).to_string()
    # and the bins are ordered: higher predicted, higher observed
    assert (
        big["observed"].is_monotonic_increasing
        or np.corrcoef(big["predicted"], big["observed"])[0, 1] > 0.95
    )


def test_as_of_december_is_the_actual_year(book, backtest):
    last = backtest.company.iloc[-1]
    assert last["mean"] == pytest.approx(last["actual"], abs=1e-6)
    assert last["p10"] == last["p90"]
    f = forecast(book, PLAN, "2025-12-31", trials=5, rng=2)
    quotas = tracking_quotas(book, "2025-12-31")
    payroll = actual_payouts(as_of(book, "2025-12-31"), PLAN, 2025, quotas=quotas)
    # company and every rep, every trial
    assert (f.bookings == payroll.bookings[None]).all()
    assert np.allclose(f.payout.total, payroll.payout.total[None], atol=1e-6)


@pytest.mark.parametrize("day", ["2025-03-31", "2025-08-31"])
def test_paid_to_date_is_the_payroll_to_the_cent(book, day):
    f = forecast(book, PLAN, day, trials=5, rng=1)
    with pytest.warns(Warning, match="no data"):
        quotas = tracking_quotas(book, day)
        payroll = actual_payouts(as_of(book, day), PLAN, 2025, quotas=quotas)
    months = pd.Timestamp(day).month
    got = np.rint(f.paid_to_date * 100).astype(np.int64)
    assert np.array_equal(got[:, :months], payroll.paid_cents()[:, :months])
    assert (got[:, months:] == 0).all() and got.sum() > 0


def test_pipeline_check_by_stage(backtest):
    p = backtest.pipeline
    june = p[(p["as_of"] == "2025-06-30") & (p["stage"] != "all")].set_index("stage")
    assert set(june.index) == {"Qualify", "Develop", "Propose", "Negotiate"}
    # later stages win more often, as the sample's truth says (0.30 / 0.45 / 0.61 / 0.78
    # from entering them; fewer by December)
    rate = june["predicted_wins"] / june["opportunities"]
    assert list(rate.sort_values().index) == ["Qualify", "Develop", "Propose", "Negotiate"]
    whole = p[(p["stage"] == "all") & (p["as_of"] == "2025-06-30")].iloc[0]
    assert whole["predicted_won"] == pytest.approx(whole["actual_won"], rel=0.10)
    assert whole["predicted_month"] == pytest.approx(whole["actual_month"], abs=0.5)


def test_small_backtest_and_errors(book):
    bt = forecast_backtest(book, PLAN, 2025, as_of_dates=["2025-06-30"], trials=20, rng=0)
    assert len(bt.company) == 1 and bt.company["as_of"].iloc[0] == pd.Timestamp("2025-06-30")
    assert "| 2025-06-30 |" in bt.to_markdown()
    with pytest.raises(DataError, match="outside the year 2025"):
        forecast_backtest(book, PLAN, 2025, as_of_dates=["2024-06-30"], trials=5)
    with pytest.raises(DataError, match="needs the whole year"):
        forecast_backtest(as_of(book, "2025-06-30"), PLAN, 2025, trials=5)


def test_period_rows_and_coverage_by_hand():
    from spm_sim._track.backtest import _period_rows, period_coverage

    # 100 trials drawing 0..99 in every month: P10 = 9.9, P50 = 49.5, P90 = 89.1
    draws = np.tile(np.arange(100.0)[:, None], (1, 12))
    actual = np.full(12, 50.0)
    actual[10] = 95.0  # November above P90; December in the band
    day = pd.Timestamp("2025-10-31")
    rows = pd.DataFrame(_period_rows(day, 10, 2025, {"bookings": draws}, {"bookings": actual}))
    assert list(rows["period"]) == ["2025-11", "2025-12", "2025-Q4"]  # Q3 is over
    nov, dec, q4 = rows.to_dict("records")
    assert (nov["p10"], nov["p90"]) == pytest.approx((9.9, 89.1))
    assert not nov["in_band"] and not nov["below_p10"] and dec["in_band"]
    # the quarter counts October's actual with the drawn months: 3 x (0..99)
    assert q4["actual"] == 195.0 and q4["p10"] == pytest.approx(29.7) and q4["in_band"]
    cov = period_coverage(rows).set_index("kind")
    month = cov.loc["month"]
    assert (month["pairs"], month["in_band"], month["above_p90"], month["periods"]) == (2, 1, 1, 2)
    interval = proportion_interval(1, 2, level=0.95)
    assert (month["wilson_low"], month["wilson_high"]) == pytest.approx(
        (interval.low, interval.high)
    )
    # (95 - 49.5) / ((89.1 - 9.9) / 2.563) and (50 - 49.5) / the same
    z = np.array([45.5, 0.5]) / (79.2 / (2 * 1.2815515655446004))
    assert month["z_rms"] == pytest.approx(np.sqrt((z**2).mean()))
    # one period seen from two dates counts once in the period interval
    twice = pd.concat([rows, rows.assign(as_of=pd.Timestamp("2025-09-30"))])
    cov2 = period_coverage(twice).set_index("kind").loc["month"]
    assert cov2["pairs"] == 4 and cov2["periods"] == 2
    assert cov2["wilson_high"] - cov2["wilson_low"] < month["wilson_high"] - month["wilson_low"]
    assert (cov2["period_low"], cov2["period_high"]) == pytest.approx(
        (month["period_low"], month["period_high"])
    )


def test_monthly_and_quarterly_bands_on_the_sample(backtest):
    m = backtest.months
    months = m[(m["measure"] == "bookings") & (m["kind"] == "month")]
    assert len(months) == 66  # 11 + 10 + ... + 1 (date, later month) pairs
    assert len(m[(m["measure"] == "incentive") & (m["kind"] == "quarter")]) == 26
    # the actual is the same whatever the date it is forecast from
    assert months.groupby("period")["actual"].nunique().eq(1).all()
    # the June forecast's third and fourth quarter incentive: the model does not hold
    # both (measured in docs/model.md 10.7: the sample's July-August fell short, its
    # December ran long), so the floor is on the back-test's coverage: measured 45% of
    # month pairs and 50-58% of quarter pairs at 1,000 trials, bands about 1.5 times
    # too narrow (RMS z); before the size bands and the amount shock of the pipeline,
    # RMS z was 1.9 for months
    cov = backtest.period_coverage().set_index(["measure", "kind"])
    assert (cov["observed"] >= 0.30).all(), cov.to_string()
    assert (cov["z_rms"] < 2.0).all(), cov.to_string()
    assert "RMS z" in backtest.to_markdown() and "| 2025-06-30 |" in backtest.to_markdown()
