"""Productivity fit and quotas, checked against a book generated with known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import SEASON, SIZE_MU, SIZE_SIGMA, TRUE_RATES, write_book

from spm_sim import DataError, QuotaSettings, fit_productivity, load_book, quotas_from_history
from spm_sim.productivity import exposure_months, ramp_factor


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_book(write_book(tmp_path_factory.mktemp("synthetic")))


def test_ramp_profile():
    assert ramp_factor(np.arange(12)).tolist() == [0.25] * 3 + [0.5] * 3 + [0.75] * 3 + [1.0] * 3


def test_exposure_counts_partial_months_and_leavers():
    reps = pd.DataFrame(
        {
            "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
            "term_date": pd.to_datetime([None, "2025-01-15"]),
        }
    )
    e = exposure_months(reps, pd.date_range("2025-01-01", periods=2, freq="MS"))
    # the leaver works 15 of January's 31 days (through the 15th inclusive)
    assert e[1, 0] == pytest.approx(15 / 31)
    assert e[1, 1] == 0.0
    assert e[0].tolist() == [1.0, 1.0]


def test_fit_recovers_true_parameters(book):
    model = fit_productivity(book, plan_year=2026, trend=False)
    assert model.rep_ids == tuple(TRUE_RATES)
    rate = model.alpha / model.beta
    sd = np.sqrt(model.alpha) / model.beta
    truth = np.array(list(TRUE_RATES.values()))
    # each posterior mean within 4 posterior standard deviations of the truth
    assert np.all(np.abs(rate - truth) < 4 * sd), (rate, truth, sd)
    # the short-history rep (hired April 2025) is uncertain, the others are not
    assert sd[-1] > 1.5 * sd[:-1].max()
    # seasonality: December is the peak month of the truth
    assert np.argmax(model.seasonality) == np.argmax(SEASON)
    assert model.seasonality.mean() == pytest.approx(1.0)
    # every rep draws sizes from the same lognormal: rep means within 4 posterior sd
    assert np.all(np.abs(model.size_mu - SIZE_MU) < 4 * model.size_mu_sd)
    assert model.size_sigma == pytest.approx(SIZE_SIGMA, abs=0.05)


def test_shrinkage_pulls_short_history_toward_group(book):
    model = fit_productivity(book, plan_year=2026, trend=False)
    n, e = model.fit["deals"], model.fit["exposure"]
    raw = n / e
    post = model.alpha / model.beta
    group = model.fit["prior_alpha"] / model.fit["prior_beta"]
    # posterior lies between the raw rate and the group mean, for every rep
    lo, hi = np.minimum(raw, group), np.maximum(raw, group)
    assert np.all((post >= lo - 1e-12) & (post <= hi + 1e-12))


def test_new_hire_ramps_in_plan_year(book):
    model = fit_productivity(book, plan_year=2026)
    # R6 was hired 2025-04-01: tenure 9 months in January 2026 -> fully ramped
    assert model.ramp[-1].tolist() == [1.0] * 12
    # a rep hired during the plan year is simulated only when asked for
    assert "R6" not in fit_productivity(book, plan_year=2025).rep_ids
    late = fit_productivity(book, plan_year=2025, rep_ids=list(TRUE_RATES))
    # with no history yet, R6's rate is the group prior
    prior = late.fit["prior_alpha"] / late.fit["prior_beta"]
    assert late.alpha[-1] / late.beta[-1] == pytest.approx(prior)
    # in 2025, R6 starts in April at 25%, 50% from July, 75% from October
    assert late.ramp[-1].tolist() == [0, 0, 0, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75]


def test_fit_errors_name_the_problem(book):
    with pytest.raises(DataError, match=r"no bookings before 2020-01-01.*2023-01-0\d to 2025-12-\d\d"):
        fit_productivity(book, plan_year=2020)
    with pytest.raises(DataError, match=r"rep_id 'R99' is not in the book"):
        fit_productivity(book, plan_year=2026, rep_ids=["R1", "R99"])


def test_quotas_add_up_to_target_with_over_assignment(book):
    settings = QuotaSettings(growth=0.10, over_assignment=0.05)
    q = quotas_from_history(book, plan_year=2026, settings=settings)
    b = book.bookings
    last = b.loc[b["date"].dt.year == 2025, "amount"].sum()
    assert q.company_target == pytest.approx(last * 1.10)
    assert q.values.sum() == pytest.approx(last * 1.10 * 1.05)
    assert q.over_assignment == pytest.approx(0.05)
    assert q.values.shape == (6, 12)
    assert np.all(q.values > 0)
    frame = q.to_frame()
    assert list(frame.columns) == ["rep_id", "period", "quota"]
    assert frame.attrs["settings"]["growth"] == 0.10
    # monthly split follows the history's seasonality: December above January
    assert np.all(q.values[:, 11] > q.values[:, 0])


def test_quota_uses_region_median_for_short_history(book):
    q = quotas_from_history(
        book, plan_year=2026, settings=QuotaSettings(growth=0.0, min_history_months=7.0)
    )
    basis = q.basis.set_index("rep_id")
    # R6 has 0.25*3 + 0.5*3 + 0.75*3 = 4.5 ramp-weighted months in 2025 (< 7)
    assert basis.loc["R6", "selling_months_last_year"] == pytest.approx(4.5)
    assert basis.loc["R6", "run_rate_source"] == "region median"
    west = basis.loc[["R4", "R5"], "run_rate"]
    assert basis.loc["R6", "run_rate"] == pytest.approx(np.median(west))


def test_quota_error_without_last_year(book):
    with pytest.raises(DataError, match=r"needs bookings in 2029.*plan year 2030"):
        quotas_from_history(book, plan_year=2030)


def test_quota_settings_validation():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="growth"):
        QuotaSettings(growth=-1.5)
    with pytest.raises(ValidationError, match="over_assignment"):
        QuotaSettings(over_assignment=-0.1)
