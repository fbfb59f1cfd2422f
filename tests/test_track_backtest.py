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
    assert spread[0] > 4 * spread[9]


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
