"""Rep productivity: a compound Poisson-lognormal model of bookings fitted to history.

The model, kept simple here and deepened later (behaviour, attrition, funnel):

* rep ``r`` closes deals in month ``m`` of the plan year as a Poisson count with mean
  ``lambda_r * s_m * ramp_rm``, where ``lambda_r`` is the rep's ramped monthly deal
  rate (the *rep effect*), ``s_m`` the seasonality of calendar month ``m`` (mean 1)
  and ``ramp_rm`` the ramp factor of a rep still new in month ``m``;
* deal sizes are independent lognormal draws, ``log(size) ~ Normal(mu_r, sigma)``,
  with ``mu_r`` the rep's mean log deal size, shrunk toward the team (normal-normal
  empirical Bayes), so a rep who sells larger deals keeps most of that edge;
* ``lambda_r`` is estimated with empirical-Bayes shrinkage: a Gamma(alpha, beta)
  prior fitted across reps by the method of moments, updated with the rep's deal
  count ``n_r`` over ramp-weighted exposure ``E_r`` (months):
  ``lambda_r | data ~ Gamma(alpha + n_r, beta + E_r)``. A rep with three months of
  history is pulled toward the group; a rep with three years mostly is not. Each
  Monte Carlo trial draws ``lambda_r`` from that posterior, so the spread of the
  outcomes includes what the history cannot tell about a rep (this makes counts
  negative-binomial across trials);
* a company trend: calendar-year deal rates are fitted with a log-linear trend, and
  every month of history is counted in plan-year-equivalent exposure
  (``exposure x exp(slope (t - t_plan))``), so a rep's rate is measured at the plan
  year's level whether they sold in 2023 or joined in 2025;
* the trend's slope is shrunk toward no growth by a normal prior (sd
  ``TREND_PRIOR_SD``, 0.10 a year on the log scale); a history too short to fit a
  trend (under 24 months with deals) draws its slope from the prior alone, so a
  one-year history is not read as "certainly no growth";
* a rep's month has its own gamma factor (mean 1, variance ``d`` fitted from the
  rep-month counts): rep-years vary more than Poisson counts say, and a rep's
  history counts as ``n / phi_r`` deals for the posterior (quasi-Poisson). A trial
  draws one factor per rep and year with the same variance over the year;
* each trial draws the seasonal factors around the fitted ones with their standard
  errors (two years of history do not pin July down);
* the history ends at the book's snapshot date (see :func:`history_end`): months
  after it are not counted as selling time.

The rolling back-test (``spm-sim fit``, :mod:`spm_sim.fit_report`) motivated the trend
prior, the rep-month factor and the seasonal draws: without them the sample's 2024 sat
at the 97th percentile of its simulation, 2025 at the 13th, and 69% of reps inside
their 80% bands.

Closed forms used by the tests (``E`` over trials):
``E[bookings_rm] = E[lambda_r] s_m ramp_rm exp(m_r + v_r / 2 + sigma^2 / 2)``.

See ``docs/model.md`` for the equations and their assumptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, overload

import numpy as np
import pandas as pd

from spm_sim.errors import DataError

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = [
    "DEFAULT_RAMP",
    "ProductivityModel",
    "fit_productivity",
    "ramp_factor",
    "exposure_months",
    "history_end",
    "draw_bookings",
    "add_planned_hires",
    "trial_parameters",
    "rep_draws",
    "trend_draws",
    "elasticity_factor",
    "draw_deals_batch",
]

#: Ramp of a new hire's productivity by quarter of tenure: 25%, 50%, 75%, then 100%.
#: Bridge Group (2024) reports a median AE ramp of about 5 months; this profile
#: reaches full productivity after 9 months and averages 50% over the first 6.
DEFAULT_RAMP: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)


def ramp_factor(tenure_months: np.ndarray, profile: tuple[float, ...] = DEFAULT_RAMP) -> np.ndarray:
    """Productivity factor of a rep in their ``k``-th month of tenure (0-based).

    ``profile`` gives the factor per quarter of tenure; the last value holds from
    then on. A negative tenure (not hired yet) gives 0.

    Examples
    --------
    >>> ramp_factor(np.array([-1, 0, 2, 3, 8, 9, 40]))
    array([0.  , 0.25, 0.25, 0.5 , 0.75, 1.  , 1.  ])
    """
    tenure = np.asarray(tenure_months)
    quarter = np.clip(tenure // 3, 0, len(profile) - 1).astype(int)
    return np.where(tenure < 0, 0.0, np.asarray(profile, dtype=float)[quarter])


def _month_starts(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(
        first.to_period("M").to_timestamp(), last.to_period("M").to_timestamp(), freq="MS"
    )


def history_end(book: Book, plan_year: int) -> pd.Timestamp:
    """The last day of history that informs a plan year.

    The book's ``snapshot_date`` when it has one, else the end of the month of its
    last booking; never later than 31 December before the plan year. Months after
    it are not counted as selling time (a book exported on 30 September has no
    October to December yet, which is not the same as selling nothing then).

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> history_end(load_sample(), 2026).date()  # doctest: +SKIP
    datetime.date(2025, 12, 31)
    """
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    day_before = start - pd.Timedelta(days=1)
    if book.snapshot_date is not None and not pd.isna(book.snapshot_date):
        end = min(pd.Timestamp(book.snapshot_date).normalize(), day_before)
        why = f"the book's snapshot_date {pd.Timestamp(book.snapshot_date).date()}"
    else:
        before = book.bookings.loc[book.bookings["date"] <= day_before, "date"]
        end = (
            day_before
            if before.empty
            else min(before.max().normalize() + pd.offsets.MonthEnd(0), day_before)
        )
        why = "the month of the last booking (the book has no snapshot_date)"
    if end < pd.Timestamp(year=plan_year - 1, month=1, day=1):
        raise DataError(
            f"the history ends on {end.date()} ({why}), before {plan_year - 1} began: the "
            f"model would extrapolate over more than a year to reach the plan year {plan_year}. "
            f"Plan for {end.year + 1}, or bring the history up to date."
        )
    return end


def exposure_months(
    reps: pd.DataFrame,
    months: pd.DatetimeIndex,
    *,
    ramp: tuple[float, ...] = DEFAULT_RAMP,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
) -> np.ndarray:
    """Ramp-weighted months of selling capacity per rep and calendar month.

    Parameters
    ----------
    reps : DataFrame
        With ``hire_date`` and ``term_date`` (NaT = still employed).
    months : DatetimeIndex
        First day of each calendar month.
    ramp : tuple of float
        Ramp factor per quarter of tenure, see :func:`ramp_factor`.
    since, until : Timestamp, optional
        First and last day counted (inclusive), e.g. a trailing window or the end of
        the history. Tenure (for the ramp) still counts from the hire date.

    Returns
    -------
    ndarray, shape (n_reps, n_months)
        The share of the month the rep was employed times the ramp factor of
        their tenure that month, so 1.0 is one fully productive month.

    Examples
    --------
    >>> reps = pd.DataFrame({"hire_date": pd.to_datetime(["2020-01-01", "2025-01-01"]),
    ...                      "term_date": pd.to_datetime([None, None])})
    >>> exposure_months(reps, pd.date_range("2025-01-01", periods=4, freq="MS"))
    array([[1.  , 1.  , 1.  , 1.  ],
           [0.25, 0.25, 0.25, 0.5 ]])
    """
    start = months.values.astype("datetime64[D]")
    end = (months + pd.offsets.MonthBegin(1)).values.astype("datetime64[D]")
    hire = reps["hire_date"].values.astype("datetime64[D]")[:, None]
    term_raw = reps["term_date"].values.astype("datetime64[D]")
    # a rep works through term_date inclusive
    term = np.where(np.isnat(term_raw), np.datetime64("9999-12-31"), term_raw + 1)[:, None]
    if until is not None:
        term = np.minimum(term, np.datetime64(pd.Timestamp(until).date(), "D") + 1)
    first = (
        hire if since is None else np.maximum(hire, np.datetime64(pd.Timestamp(since).date(), "D"))
    )
    overlap = np.minimum(end, term) - np.maximum(start, first)
    days = (end - start).astype(float)
    share = np.clip(overlap.astype(float), 0.0, None) / days
    hire_month = reps["hire_date"].dt.year.values * 12 + reps["hire_date"].dt.month.values - 1
    month_idx = months.year.values * 12 + months.month.values - 1
    tenure = month_idx[None, :] - hire_month[:, None]
    return share * ramp_factor(tenure, ramp)


@dataclass(frozen=True)
class ProductivityModel:
    """A fitted productivity model for the reps of one plan year.

    Attributes
    ----------
    rep_ids : tuple of str
        The reps simulated, in the order of every rep axis.
    periods : tuple of str
        Plan-year months, ``"YYYY-MM"``.
    alpha, beta : ndarray, shape (n_reps,)
        Posterior Gamma shape and rate of each rep's full-productivity monthly deal
        rate at the plan year's level (the trend is already in), before seasonality.
    seasonality : ndarray, shape (12,)
        Calendar-month factors with mean 1 (January first).
    ramp : ndarray, shape (n_reps, n_periods)
        Ramp factor of each rep in each plan month (1 for ramped reps).
    size_mu, size_mu_sd : ndarray, shape (n_reps,)
        Posterior mean and standard deviation of each rep's mean log deal size.
    size_sigma : float
        Spread of log deal sizes within a rep: ``log(amount) ~ Normal(mu_r, size_sigma)``.
    trend_se : float
        Standard error of the yearly trend slope; each trial draws its own slope
        deviation (with ``parameter_uncertainty``).
    trend_offset : ndarray, shape (n_periods,)
        Years from the history's exposure-weighted centre to each plan month.
    level_se : float
        Standard error of the company's log level from the history (a shared shock
        makes the history's average uncertain); each trial draws a deviation.
    growth : ndarray, shape (n_periods,)
        The trend inside the plan year, ``exp(slope (t_m - t_plan))``: rates are at
        mid-year level, January a little below and December a little above.
    shock_sd, shock_rho : float
        Company-wide month-to-month shock on deal rates: a stationary AR(1) on the
        log scale with this standard deviation and lag-one autocorrelation.
    parameter_uncertainty : bool
        Whether each trial draws the deal rates from their posterior (True) or uses
        the posterior means (False).
    fit : dict
        Diagnostics of the fit (prior, counts, exposure, history years).
    rep_dispersion : float
        ``d = 1 / k``: variance of a rep-month's gamma factor (mean 1) on the deal
        rate, fitted from the history's rep-month counts (0: Poisson counts). A trial
        draws it per rep and year (see :func:`trial_parameters`).
    seasonality_se : ndarray, shape (12,), optional
        Standard error of each calendar month's log seasonal factor; with
        ``parameter_uncertainty`` each trial draws its own factors (mean 1 over the
        plan months). ``None``: the factors as fitted.
    elasticity_log_ratio : ndarray, shape (2, n_reps), optional
        Under a new alignment, each rep's ``log(P_new / P_old)`` and
        ``log(D_new / D_old)`` (territory potential and travel): with
        ``elasticity_spread``, each trial draws its own elasticities around the point
        estimates the rates were scaled with (:func:`elasticity_factor`). ``None``:
        the point estimates only.
    elasticity_spread : ndarray, shape (2, 5), optional
        Per elasticity (potential, travel): ``(point, centre, se, low, high)``, the
        point the rates were scaled with and how a trial draws its own: ``se > 0``,
        ``min(max(centre + se z, low), high)`` (an estimate and its restriction);
        ``se == 0`` and ``low < high``, uniform on ``[low, high]`` (a prior's range);
        else the point.
    """

    rep_ids: tuple[str, ...]
    periods: tuple[str, ...]
    alpha: np.ndarray
    beta: np.ndarray
    seasonality: np.ndarray
    ramp: np.ndarray
    size_mu: np.ndarray
    size_mu_sd: np.ndarray
    size_sigma: float
    trend_se: float = 0.0
    trend_offset: np.ndarray | None = None
    level_se: float = 0.0
    growth: np.ndarray | None = None
    shock_sd: float = 0.0
    shock_rho: float = 0.0
    parameter_uncertainty: bool = True
    fit: dict = field(default_factory=dict, compare=False, repr=False)
    rep_dispersion: float = 0.0
    seasonality_se: np.ndarray | None = None
    elasticity_log_ratio: np.ndarray | None = None
    elasticity_spread: np.ndarray | None = None

    @property
    def n_reps(self) -> int:
        return len(self.rep_ids)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def month_factor(self) -> np.ndarray:
        """Seasonality times the trend inside the year times ramp, shape (n_reps, n_periods)."""
        months = np.array([int(p[5:7]) - 1 for p in self.periods])
        growth = np.ones(len(months)) if self.growth is None else self.growth
        return (self.seasonality[months] * growth)[None, :] * self.ramp

    @property
    def mean_deal_size(self) -> np.ndarray:
        """Expected size of one deal per rep, shape (n_reps,).

        ``exp(m_r + v_r / 2 + sigma^2 / 2)`` with ``m_r, v_r`` the posterior mean and
        variance of the rep's log-size mean (``v_r = 0`` without parameter uncertainty).
        """
        v = self.size_mu_sd**2 if self.parameter_uncertainty else 0.0
        return np.exp(self.size_mu + 0.5 * v + 0.5 * self.size_sigma**2)

    def take_reps(self, index: int | slice | Sequence[int] | np.ndarray) -> ProductivityModel:
        """The model for a subset of its reps (an index or slice into the rep axis)."""
        idx = np.arange(self.n_reps)[index]
        fit = {
            k: (v[idx] if isinstance(v, np.ndarray) and v.shape == (self.n_reps,) else v)
            for k, v in self.fit.items()
        }
        return ProductivityModel(
            rep_ids=tuple(np.asarray(self.rep_ids)[idx]),
            periods=self.periods,
            alpha=self.alpha[idx],
            beta=self.beta[idx],
            seasonality=self.seasonality,
            ramp=self.ramp[idx],
            size_mu=self.size_mu[idx],
            size_mu_sd=self.size_mu_sd[idx],
            size_sigma=self.size_sigma,
            trend_se=self.trend_se,
            trend_offset=self.trend_offset,
            level_se=self.level_se,
            growth=self.growth,
            shock_sd=self.shock_sd,
            shock_rho=self.shock_rho,
            parameter_uncertainty=self.parameter_uncertainty,
            fit=fit,
            rep_dispersion=self.rep_dispersion,
            seasonality_se=self.seasonality_se,
            elasticity_log_ratio=(
                None if self.elasticity_log_ratio is None else self.elasticity_log_ratio[:, idx]
            ),
            elasticity_spread=self.elasticity_spread,
        )

    def expected_bookings(self) -> np.ndarray:
        """Closed-form expected bookings per rep and period, shape (n_reps, n_periods)."""
        rate = self.alpha / self.beta
        return (rate * self.mean_deal_size)[:, None] * self.month_factor

    def to_frame(self) -> pd.DataFrame:
        """One row per rep: posterior deal rate, its uncertainty, expected bookings."""
        rate = self.alpha / self.beta
        return pd.DataFrame(
            {
                "rep_id": list(self.rep_ids),
                "deal_rate": rate,
                "deal_rate_sd": np.sqrt(self.alpha) / self.beta,
                "deals_history": self.fit.get("deals", np.full(self.n_reps, np.nan)),
                "exposure_months": self.fit.get("exposure", np.full(self.n_reps, np.nan)),
                "mean_deal_size": self.mean_deal_size,
                "expected_bookings": self.expected_bookings().sum(axis=1),
            }
        )


def _history_bookings(book, plan_year: int) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The history's last day and the bookings up to it, in a fixed order."""
    end = history_end(book, plan_year)
    # fixed order of every sum, so the file's row order cannot change a digit
    bookings = book.bookings[book.bookings["date"] <= end].sort_values(["date", "deal_id"])
    if bookings.empty:
        raise DataError(
            f"no bookings up to {end.date()} to fit the productivity model for {plan_year}; "
            f"the plan year must come after the history (bookings span {_span(book.bookings)})."
        )
    return end, bookings


def _deal_counts(
    rep_index: pd.Index, months: pd.DatetimeIndex, bookings: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Each booking's rep (position in ``rep_index``) and the deals per rep and month."""
    b_rep = rep_index.get_indexer(bookings["rep_id"].astype(str))
    b_month = pd.Index(months).get_indexer(bookings["date"].dt.to_period("M").dt.to_timestamp())
    counts = np.zeros((len(rep_index), len(months)))
    np.add.at(counts, (b_rep, b_month), 1.0)
    return b_rep, counts


@dataclass(frozen=True)
class _Rates:
    """The history's seasonality, trend and company dynamics, and the deal-rate prior."""

    seasonality: np.ndarray  # (12,) by calendar month, mean 1
    slope: float  # log trend of deal rates per year
    dyn: dict  # _company_dynamics: slope_se, level_se, shock_sd, shock_rho, n_months
    n_r: np.ndarray  # deals per rep in the history
    e_r: np.ndarray  # exposure per rep in plan-year-equivalent months
    alpha0: float  # gamma prior of the deal rates
    beta0: float
    center: float  # exposure-weighted middle of the history, in years
    dispersion: float = 0.0  # 1/k of the rep-month gamma factor (0: Poisson counts)
    phi: np.ndarray | None = None  # each rep's variance inflation of its history's count
    season_se: np.ndarray | None = None  # (12,) standard error of log seasonality


#: Prior standard deviation of the yearly trend slope of deal rates (log scale): a
#: planner's range of about +-20% growth a year (two standard deviations) around no
#: growth, not an estimate. The fitted slope is combined with it (precision-weighted);
#: a history too short to fit a trend (under 24 months with deals) keeps the prior
#: alone, so its plan year carries that much uncertainty instead of none.
TREND_PRIOR_SD = 0.10


def _trend_posterior(dyn: dict, prior_sd: float) -> dict:
    """The fitted slope combined with the prior ``N(0, prior_sd^2)``.

    ``slope = b tau^2 / (tau^2 + se^2)`` and ``se = sqrt(tau^2 se^2 / (tau^2 + se^2))``
    (normal-normal); no fitted slope (``se = 0`` from a short history) gives slope 0
    and ``se = tau``. The fitted values stay as ``slope_fitted``, ``slope_fitted_se``.
    """
    out = {**dyn, "slope_fitted": dyn["slope"], "slope_fitted_se": dyn["slope_se"]}
    if prior_sd <= 0:
        return out
    tau2 = prior_sd**2
    if dyn["slope_se"] > 0:
        se2 = dyn["slope_se"] ** 2
        out["slope"] = dyn["slope"] * tau2 / (tau2 + se2)
        out["slope_se"] = float(np.sqrt(tau2 * se2 / (tau2 + se2)))
    else:
        out["slope"], out["slope_se"] = 0.0, float(prior_sd)
    return out


def _seasonality_and_trend(counts, expo, moy, t, trend: bool, prior_sd: float = TREND_PRIOR_SD):
    """Seasonality, trend and each rep's rate, estimated in turn until they agree.

    Seasonality pooled over years would absorb the growth inside each year (December
    looks strong because it is later), and a change in who is on the team (a strong
    hire, a weak leaver) would look like a trend or a shock. So the company's
    expected deals use each rep's own rate.
    """
    company_counts = counts.sum(axis=0)
    n_r = counts.sum(axis=1)
    rep_rate = np.ones(counts.shape[0])
    slope = 0.0
    season_counts = np.bincount(moy, company_counts, minlength=12)
    for _ in range(4):
        level = np.exp(slope * (t - t.mean()))
        team = (rep_rate[:, None] * expo).sum(axis=0)  # expected deals at rate x exposure
        raw_season = season_counts / np.bincount(moy, team * level, minlength=12)
        seasonality = raw_season / raw_season.mean()
        dyn = _company_dynamics(company_counts, team * seasonality[moy], t, fit_trend=trend)
        if trend:
            dyn = _trend_posterior(dyn, prior_sd)
        slope = dyn["slope"]
        e_r = (expo * (seasonality[moy] * np.exp(slope * (t - t.mean())))[None, :]).sum(axis=1)
        a0, b0 = _gamma_prior(n_r, e_r)
        rep_rate = (a0 + n_r) / (b0 + e_r)
    return seasonality, slope, dyn


def _estimate_rates(
    counts, expo, months: pd.DatetimeIndex, plan_year: int, trend, end, prior_sd: float
):
    """Seasonality, trend and the deal-rate prior, with exposure at the plan year's level."""
    moy = months.month.values - 1
    t = months.year.values + (moy + 0.5) / 12.0  # middle of each month, in years
    t_plan = plan_year + 0.5
    season_expo = np.bincount(moy, expo.sum(axis=0), minlength=12)
    if np.any(season_expo <= 0):
        missing = [
            pd.Timestamp(2000, m + 1, 1).strftime("%B") for m in np.flatnonzero(season_expo <= 0)
        ]
        raise DataError(
            f"the history up to {end.date()} has no selling time in {', '.join(missing)}; "
            "the model needs at least 12 months of history to estimate seasonality."
        )
    seasonality, slope, dyn = _seasonality_and_trend(counts, expo, moy, t, trend, prior_sd)
    # de-seasonalised exposure: what a rep's deal count is proportional to
    expo_s = expo * seasonality[moy][None, :]
    # exposure in plan-year-equivalent months: a month of 2023 counts for less than a
    # month of 2025 when deal rates grow, so every rep's rate is measured at the plan
    # year's level whatever part of the history they were there for
    expo_t = expo_s * np.exp(slope * (t - t_plan))[None, :]
    center = float((t * expo_s.sum(axis=0)).sum() / expo_s.sum())
    n_r = counts.sum(axis=1)
    e_r = expo_t.sum(axis=1)
    dispersion, phi, extra = _rep_month_dispersion(counts, expo)
    alpha0, beta0 = _gamma_prior(n_r, e_r, phi)
    season_se = _seasonality_se(counts.sum(axis=0), extra, moy, dyn["shock_sd"])
    return _Rates(
        seasonality,
        slope,
        dyn,
        n_r,
        e_r,
        alpha0,
        beta0,
        center,
        dispersion=dispersion,
        phi=phi,
        season_se=season_se,
    )


def _seasonality_se(
    deals: np.ndarray, extra: np.ndarray, moy: np.ndarray, shock_sd: float
) -> np.ndarray:
    """Standard error of each calendar month's log seasonal factor, shape (12,).

    A month ``j`` of history with ``N_j`` deals measures its level with variance
    ``(N_j + x_j) / N_j^2 + shock_sd^2`` on the log scale (Poisson counts, the reps'
    month factors ``x_j = d sum_r mu_rj^2``, the company's shock); calendar month
    ``k`` averages its ``Y_k`` months: ``v_k = sum_j var_j / Y_k^2``. The factors'
    normalisation to mean 1 is left to the draws (:func:`trial_parameters`).
    """
    n = np.maximum(deals, 1.0)
    var = (n + extra) / n**2 + shock_sd**2
    years = np.bincount(moy, minlength=12).astype(float)
    return np.sqrt(np.bincount(moy, var, minlength=12) / np.maximum(years, 1.0) ** 2)


def _rep_month_dispersion(
    counts: np.ndarray, expo: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Overdispersion of rep-month deal counts and each rep's variance inflation.

    A rep's month has its own gamma factor of mean 1 and variance ``d = 1 / k`` on
    top of the Poisson count (a good or a bad month: a deal slipping, a holiday), so
    ``var(n_rm) = mu_rm + d mu_rm^2``. ``mu_rm = a_r b_m e_rm`` is the two-way Poisson
    fit (rep level ``a_r`` times month level ``b_m`` times exposure; the month level
    takes the company's shocks, trend and seasonality out), and ``d`` the method of
    moments ``sum((n - mu)^2 - n) / sum(mu^2)`` over rep-months with exposure,
    times ``N / (N - R - M + 1)`` for the ``R + M - 1`` fitted levels; floored at 0.
    A rep's count over the history then has variance ``phi_r`` times its mean,
    ``phi_r = 1 + d sum_m mu_rm^2 / sum_m mu_rm`` (1 for a rep without exposure), and
    the company's month ``m`` has ``d sum_r mu_rm^2`` more variance than Poisson (the
    third value, per month).
    """
    ok = expo > 0
    n_ok, r_ok, m_ok = int(ok.sum()), int(ok.any(axis=1).sum()), int(ok.any(axis=0).sum())
    phi = np.ones(counts.shape[0])
    none = np.zeros(counts.shape[1])
    if n_ok - r_ok - m_ok + 1 <= 0:
        return 0.0, phi, none
    a = np.ones(counts.shape[0])
    b = np.ones(counts.shape[1])
    rep_n, month_n = counts.sum(axis=1), counts.sum(axis=0)
    for _ in range(50):  # iterative proportional fitting: converges in a few rounds
        a = rep_n / np.maximum((expo * b[None, :]).sum(axis=1), 1e-300)
        b_new = month_n / np.maximum((expo * a[:, None]).sum(axis=0), 1e-300)
        if np.allclose(b_new, b, rtol=1e-10, atol=0.0):
            b = b_new
            break
        b = b_new
    mu = a[:, None] * b[None, :] * expo
    n, m = counts[ok], mu[ok]
    denom = float((m**2).sum())
    if denom <= 0:
        return 0.0, phi, none
    d = float(((n - m) ** 2 - n).sum()) / denom * n_ok / (n_ok - r_ok - m_ok + 1)
    d = max(d, 0.0)
    total = mu.sum(axis=1)
    phi = np.where(total > 0, 1.0 + d * (mu**2).sum(axis=1) / np.maximum(total, 1e-300), 1.0)
    return d, phi, d * (mu**2).sum(axis=0)


def _plan_reps(reps: pd.DataFrame, rep_index: pd.Index, rep_ids, plan_year: int) -> np.ndarray:
    """Positions of the reps to simulate: ``rep_ids``, else those employed on 1 January."""
    start_plan = pd.Timestamp(year=plan_year, month=1, day=1)
    if rep_ids is None:
        employed = (reps["hire_date"] <= start_plan) & (
            reps["term_date"].isna() | (reps["term_date"] >= start_plan)
        )
        # rep-id order, so the numbers do not depend on the row order of reps.csv
        sel = np.flatnonzero(employed.values)
        sel = sel[np.argsort(rep_index[sel].to_numpy(), kind="stable")]
    else:
        sel = rep_index.get_indexer([str(r) for r in rep_ids])
        if np.any(sel < 0):
            bad = [r for r, i in zip(rep_ids, sel, strict=True) if i < 0]
            raise DataError(f"rep_id {bad[0]!r} is not in the book's reps ({len(bad)} unknown).")
    if len(sel) == 0:
        raise DataError(
            f"no rep is employed on {start_plan.date()}: nothing to simulate for {plan_year}."
        )
    return sel


def _fit_record(rates: _Rates, sel, plan_year: int, months, end, bookings, size_prior) -> dict:
    """The fitted parameters and the history they came from (``ProductivityModel.fit``)."""
    dyn, slope = rates.dyn, rates.slope
    return {
        "prior_alpha": rates.alpha0,
        "prior_beta": rates.beta0,
        "deals": rates.n_r[sel],
        "rep_month_dispersion": rates.dispersion,
        "dispersion_factor": (np.ones(len(sel)) if rates.phi is None else rates.phi[sel]),
        "exposure": rates.e_r[sel],
        "trend_slope_per_year": slope,
        "trend_slope_se": dyn["slope_se"],
        "trend_slope_fitted": dyn.get("slope_fitted", slope),
        "trend_slope_fitted_se": dyn.get("slope_fitted_se", dyn["slope_se"]),
        "level_se": dyn["level_se"],
        "shock_sd": dyn["shock_sd"],
        "shock_rho": dyn["shock_rho"],
        "months_used_for_dynamics": dyn["n_months"],
        "trend_factor": float(np.exp(slope * (plan_year + 0.5 - rates.center))),
        "size_prior_mean": size_prior[0],
        "size_prior_var": size_prior[1],
        "history_start": str(months[0].date()),
        "history_end": str(end.date()),
        "n_deals": int(len(bookings)),
    }


def fit_productivity(
    book: Book,
    *,
    plan_year: int,
    rep_ids: list[str] | tuple[str, ...] | None = None,
    ramp: tuple[float, ...] = DEFAULT_RAMP,
    trend: bool = True,
    parameter_uncertainty: bool = True,
    trend_prior_sd: float = TREND_PRIOR_SD,
) -> ProductivityModel:
    """Fit the productivity model to a book's bookings history.

    Parameters
    ----------
    book : Book
        The loaded book (reps and bookings are used).
    plan_year : int
        The calendar year to simulate; history before 1 January of it is used.
    rep_ids : sequence of str, optional
        Reps to simulate. Default: the reps employed on 1 January of the plan year.
    ramp : tuple of float, default ``DEFAULT_RAMP``
        Ramp factor per quarter of tenure.
    trend : bool, default True
        Project the yearly trend of deal rates to the plan year.
    parameter_uncertainty : bool, default True
        Draw each rep's deal rate from its posterior in every trial.
    trend_prior_sd : float, default ``TREND_PRIOR_SD`` (0.10)
        Standard deviation of the normal prior (mean 0) of the yearly trend slope on
        the log scale; the fitted slope is shrunk toward no growth by its standard
        error, and a history too short for a trend (under 24 months with deals) draws
        the slope from the prior alone. 0 turns the prior off (the fitted slope, or
        none, as it is).

    Returns
    -------
    ProductivityModel

    Raises
    ------
    DataError
        If the history before the plan year is empty or a requested rep is unknown.
    """
    end, bookings = _history_bookings(book, plan_year)
    reps = book.reps.sort_values("rep_id").reset_index(drop=True)
    rep_index = pd.Index(reps["rep_id"].astype(str))
    months = _month_starts(bookings["date"].min(), end)
    expo = exposure_months(reps, months, ramp=ramp, until=end)  # (all reps, months)
    b_rep, counts = _deal_counts(rep_index, months, bookings)
    rates = _estimate_rates(counts, expo, months, plan_year, trend, end, trend_prior_sd)
    sel = _plan_reps(reps, rep_index, rep_ids, plan_year)

    periods = pd.date_range(pd.Timestamp(year=plan_year, month=1, day=1), periods=12, freq="MS")
    t_periods = plan_year + (np.arange(12) + 0.5) / 12.0
    plan_ramp = exposure_months(reps.iloc[sel], periods, ramp=ramp)
    phi = np.ones(len(sel)) if rates.phi is None else rates.phi[sel]
    log_size = np.log(bookings["amount"].to_numpy(float))
    size_m, size_sd, size_sigma, size_prior = _size_posterior(log_size, b_rep, len(reps))
    dyn = rates.dyn
    return ProductivityModel(
        rep_ids=tuple(rep_index[sel]),
        periods=tuple(periods.strftime("%Y-%m")),
        # quasi-Poisson: an overdispersed history counts as n / phi deals over e / phi
        alpha=rates.alpha0 + rates.n_r[sel] / phi,
        beta=rates.beta0 + rates.e_r[sel] / phi,
        rep_dispersion=rates.dispersion,
        seasonality_se=rates.season_se,
        seasonality=rates.seasonality,
        ramp=plan_ramp,
        trend_se=dyn["slope_se"] if trend else 0.0,
        trend_offset=t_periods - rates.center,
        level_se=dyn["level_se"],
        growth=np.exp(rates.slope * (t_periods - (plan_year + 0.5))),
        shock_sd=dyn["shock_sd"],
        shock_rho=dyn["shock_rho"],
        size_mu=size_m[sel],
        size_mu_sd=size_sd[sel],
        size_sigma=size_sigma,
        parameter_uncertainty=parameter_uncertainty,
        fit={
            **_fit_record(rates, sel, plan_year, months, end, bookings, size_prior),
            "trend_prior_sd": float(trend_prior_sd) if trend else 0.0,
        },
    )


class PlannedHireLike(Protocol):
    """What :func:`add_planned_hires` reads of a planned hire (``spm_sim.quota.PlannedHire``)."""

    @property
    def rep_id(self) -> str: ...

    @property
    def start(self) -> dt.date: ...


def add_planned_hires(
    model: ProductivityModel,
    hires: Iterable[PlannedHireLike],
    *,
    plan_year: int,
    ramp: tuple[float, ...] = DEFAULT_RAMP,
) -> ProductivityModel:
    """The model with planned hires appended, each a rep the history knows nothing of.

    A planned hire (``rep_id``, ``start``; e.g. ``QuotaSettings.hires``) sells at
    the team's prior: deal rate ``Gamma(alpha0, beta0)`` and mean log deal size
    ``N(mu0, tau^2)``, the distributions the empirical-Bayes fit shrinks every rep
    toward, with nothing before ``start`` and the new-hire ramp from it.

    Examples
    --------
    >>> import datetime as dt
    >>> from spm_sim import fit_productivity, load_sample
    >>> from spm_sim.quota import PlannedHire
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> hire = PlannedHire(rep_id="TBH-1", region="West", start=dt.date(2026, 4, 1))
    >>> m2 = add_planned_hires(m, [hire], plan_year=2026)
    >>> m2.rep_ids[-1], m2.ramp[-1, :5].tolist()
    ('TBH-1', [0.0, 0.0, 0.0, 0.25, 0.25])
    """
    hires = list(hires)
    if not hires:
        return model
    fit = model.fit
    missing = [k for k in ("prior_alpha", "prior_beta", "size_prior_mean") if k not in fit]
    if missing:
        raise DataError(
            f"the productivity model has no fitted prior ({', '.join(missing)} missing): planned "
            "hires sell at the team's prior, so fit the model with fit_productivity first."
        )
    frame = pd.DataFrame(
        {
            "hire_date": pd.to_datetime([pd.Timestamp(h.start) for h in hires]),
            "term_date": pd.to_datetime([pd.NaT] * len(hires)),
        }
    )
    periods = pd.date_range(pd.Timestamp(year=plan_year, month=1, day=1), periods=12, freq="MS")
    new_ramp = exposure_months(frame, periods, ramp=ramp)
    n = len(hires)
    return ProductivityModel(
        rep_ids=(*model.rep_ids, *(str(h.rep_id) for h in hires)),
        periods=model.periods,
        alpha=np.r_[model.alpha, np.full(n, float(fit["prior_alpha"]))],
        beta=np.r_[model.beta, np.full(n, float(fit["prior_beta"]))],
        seasonality=model.seasonality,
        ramp=np.vstack([model.ramp, new_ramp]),
        size_mu=np.r_[model.size_mu, np.full(n, float(fit["size_prior_mean"]))],
        size_mu_sd=np.r_[
            model.size_mu_sd, np.full(n, float(np.sqrt(fit.get("size_prior_var", 0.0))))
        ],
        size_sigma=model.size_sigma,
        trend_se=model.trend_se,
        trend_offset=model.trend_offset,
        level_se=model.level_se,
        growth=model.growth,
        shock_sd=model.shock_sd,
        shock_rho=model.shock_rho,
        parameter_uncertainty=model.parameter_uncertainty,
        rep_dispersion=model.rep_dispersion,
        seasonality_se=model.seasonality_se,
        fit={
            **fit,
            "deals": np.r_[fit.get("deals", np.full(model.n_reps, np.nan)), np.zeros(n)],
            "exposure": np.r_[fit.get("exposure", np.full(model.n_reps, np.nan)), np.zeros(n)],
            "dispersion_factor": np.r_[
                fit.get("dispersion_factor", np.ones(model.n_reps)), np.ones(n)
            ],
            "planned_hires": tuple(str(h.rep_id) for h in hires),
        },
    )


def _span(bookings: pd.DataFrame) -> str:
    if bookings.empty:
        return "nothing: the bookings table is empty"
    return f"{bookings['date'].min().date()} to {bookings['date'].max().date()}"


def _company_dynamics(
    counts: np.ndarray, expo: np.ndarray, t: np.ndarray, *, fit_trend: bool
) -> dict:
    """Trend, its uncertainty, and the month-to-month company shock, from monthly rates.

    ``y_m = log(deals_m / expected_m)`` (expected deals already seasonal) is regressed
    on centred time ``t_m`` in years (or on a constant without a trend). Then:

    * residual variance ``s^2`` on ``n - p - 11`` degrees of freedom (the 11 free
      seasonal factors were fitted on the same months); its Poisson part is
      ``mean(1 / deals_m)``; the rest is a company-wide shock of variance ``v``;
    * lag-one autocorrelation of the shock: residual lag-one covariance (same degrees
      of freedom) over ``v``, plus Kendall's small-sample correction ``(1 + 3 rho)/n``,
      clipped to [0, 0.95];
    * long-run variance of the shock ``v (1 + rho) / (1 - rho)``; the slope's variance
      is ``(long-run + Poisson) / sum (t - mean t)^2``, and the level's (the mean of
      the history) is ``long-run / n``: a shared shock over the history leaves the
      company's level uncertain too.

    Fewer than 24 months with deals give no trend and no shock: one year cannot
    separate them from seasonality.
    """
    ok = (counts > 0) & (expo > 0)
    n = int(ok.sum())
    out = {
        "slope": 0.0,
        "slope_se": 0.0,
        "level_se": 0.0,
        "shock_sd": 0.0,
        "shock_rho": 0.0,
        "n_months": n,
    }
    if n < 24:
        return out
    y = np.log(counts[ok] / expo[ok])
    tt = t[ok]
    design = np.column_stack([np.ones(n), tt - tt.mean()]) if fit_trend else np.ones((n, 1))
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = y - design @ beta
    dof = n - design.shape[1] - 11
    s2 = float(r @ r / dof)
    poisson = float(np.mean(1.0 / counts[ok]))
    shock_var = max(s2 - poisson, 0.0)
    rho = 0.0
    if shock_var > 0:
        lag1 = float(r[:-1] @ r[1:] / (dof - 1))
        raw = lag1 / shock_var
        rho = float(np.clip(raw + (1 + 3 * max(raw, 0.0)) / n, 0.0, 0.95))
    long_run = shock_var * (1 + rho) / (1 - rho)
    out["shock_sd"] = float(np.sqrt(shock_var))
    out["shock_rho"] = rho
    out["level_se"] = float(np.sqrt(long_run / n))
    if fit_trend:
        out["slope"] = float(beta[1])
        out["slope_se"] = float(np.sqrt((long_run + poisson) / ((tt - tt.mean()) ** 2).sum()))
    return out


def _between_variance(
    values: np.ndarray, weights: np.ndarray, noise: np.ndarray
) -> tuple[float, float]:
    """Weighted mean and method-of-moments between-group variance.

    With group values ``x_i`` observed with noise variance ``noise_i`` and weights
    ``w_i`` (``W = sum w``), the weighted variance ``S = sum w (x - m)^2 / W`` has
    expectation ``tau^2 (1 - sum w^2 / W^2) + sum w noise (1 - w / W) / W``; solving
    for ``tau^2`` gives the estimate (DerSimonian-Laird style), floored at 0.
    """
    w = weights
    big_w = w.sum()
    m = float((w * values).sum() / big_w)
    s = float((w * (values - m) ** 2).sum() / big_w)
    noise_part = float((w * noise * (1 - w / big_w)).sum() / big_w)
    denom = 1.0 - float((w**2).sum()) / big_w**2
    if denom <= 0:
        return m, 0.0
    return m, max((s - noise_part) / denom, 0.0)


def _gamma_prior(
    n: np.ndarray, e: np.ndarray, phi: np.ndarray | None = None
) -> tuple[float, float]:
    """Method-of-moments Gamma(alpha, beta) prior of monthly deal rates across reps.

    Rates ``n/e`` are weighted by exposure; the noise of a rate is ``phi mean / e``
    (``phi`` each rep's variance inflation over Poisson, 1 by default). The
    between-rep variance is floored at 1% of the squared mean so a homogeneous team
    still gets a proper prior.
    """
    ok = e > 0
    if not ok.any():
        raise DataError(
            "no rep has any selling time in the history; check hire_date and term_date in reps."
        )
    rates = n[ok] / e[ok]
    m = float(n[ok].sum() / e[ok].sum())
    noise = m / e[ok] if phi is None else phi[ok] * m / e[ok]
    _, tau2 = _between_variance(rates, e[ok], noise)
    tau2 = max(tau2, 0.01 * m**2)
    return m**2 / tau2, m / tau2


def _size_posterior(log_size: np.ndarray, rep: np.ndarray, n_reps: int):
    """Normal-normal shrinkage of each rep's mean log deal size toward the team.

    Within-rep spread ``sigma^2`` is the pooled within-rep variance; the between-rep
    variance ``tau^2`` comes from :func:`_between_variance` on the rep means weighted
    by their deal counts (floored at 1% of sigma^2). Rep ``r`` with ``n_r`` deals of
    mean ``y_r`` gets the posterior ``N(m_r, v_r)`` with
    ``1/v_r = 1/tau^2 + n_r/sigma^2`` and ``m_r = v_r (mu0/tau^2 + n_r y_r/sigma^2)``.
    A rep without deals gets the prior ``N(mu0, tau^2)``.

    Returns ``m, sqrt(v), sigma, (mu0, tau^2)``.
    """
    n = np.bincount(rep, minlength=n_reps).astype(float)
    total = np.bincount(rep, log_size, minlength=n_reps)
    has = n > 0
    y = np.where(has, total / np.where(has, n, 1.0), np.nan)
    resid = log_size - y[rep]
    dof = max(len(log_size) - int(has.sum()), 1)
    sigma2 = max(float((resid**2).sum() / dof) if len(log_size) > 1 else 1.0, 1e-12)
    mu0, tau2 = _between_variance(y[has], n[has], sigma2 / n[has])
    tau2 = max(tau2, 0.01 * sigma2)
    v = 1.0 / (1.0 / tau2 + n / sigma2)
    m = v * (mu0 / tau2 + np.where(has, total, 0.0) / sigma2)
    return m, np.sqrt(v), float(np.sqrt(sigma2)), (mu0, tau2)


def _ar1(eps: np.ndarray, sd: float, rho: float) -> np.ndarray:
    """Stationary AR(1) paths with marginal sd ``sd`` from standard normals ``eps``,
    shape (..., n): the recursion runs along the last axis, every leading index at once."""
    step = eps * (sd * np.sqrt(1.0 - rho**2))  # every month's innovation, in one pass
    step[..., 0] = sd * eps[..., 0]
    for m in range(1, eps.shape[-1]):
        z = step[..., m]
        z += rho * step[..., m - 1]
    return step


def draw_bookings(model: ProductivityModel, rng: np.random.Generator) -> np.ndarray:
    """Draw one trial's bookings per rep and period (the deals of :func:`draw_deals`, summed).

    Returns
    -------
    ndarray, shape (n_reps, n_periods)
        Sum of the trial's deal amounts per rep and month.
    """
    counts, cell, sizes = draw_deals(model, rng)
    return np.bincount(cell, weights=sizes, minlength=counts.size).reshape(counts.shape)


def trial_parameters(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = None,
    n_trials: int | None = None,
    given: tuple[np.ndarray, np.ndarray] | None = None,
    factor: np.ndarray | None = None,
    trend: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trial-level draws: deal rates, mean log sizes and company factor by month.

    Draws, in this order and only with ``parameter_uncertainty``: each rep's deal
    rate from its Gamma posterior, each rep's mean log size from its normal
    posterior, then (unless ``common`` is given) the trend and level deviations and
    the company shock path; last, with ``rep_dispersion > 0`` (with or without
    parameter uncertainty: it is the year's noise, not the fit's), each rep's year
    factor (:func:`_year_factor_shape`), which multiplies the rate. ``common``
    shares another draw's company factor: planned hires drawn on their own stream
    still see the company's year. With
    ``n_trials``, the draws of that many trials in one batch, each kind for every
    trial before the next kind (all rates, then all sizes, ...); ``n_trials=1`` draws
    the same numbers as one trial without it.

    ``given``, two arrays (n_trials, n_reps): rates and mean log sizes that replace
    the posterior draws where they are not NaN (a later plan year's reps keep their
    first year's, :func:`rep_draws`); the posterior draws are still made, so every
    later draw comes from the same place of the stream. ``factor`` (n_trials,
    n_reps) multiplies the rates last (a trial's own territory elasticities,
    :func:`elasticity_factor`). ``trend``, two arrays (n_trials, 1): the trend
    slope's and the log level's deviations kept from another year
    (:func:`trend_draws`), drawn and replaced likewise. All default to nothing,
    which draws as before.

    Returns
    -------
    rate, mu : ndarray, shape (n_reps,), or (n_trials, n_reps) with ``n_trials``
    common : ndarray, shape (n_periods,), or (n_trials, n_periods) with ``n_trials``
        Trend, level and shock factor of each month, scaled to mean 1.

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> rate, mu, common = trial_parameters(m, np.random.default_rng(0), n_trials=5)
    >>> rate.shape, mu.shape, common.shape
    ((5, 80), (5, 80), (5, 12))
    >>> one = trial_parameters(m, np.random.default_rng(0))
    >>> bool((one[0] == trial_parameters(m, np.random.default_rng(0), n_trials=1)[0][0]).all())
    True
    """
    n = 1 if n_trials is None else int(n_trials)
    rate, mu = rep_draws(model, rng, n)
    if given is not None:
        keep_rate, keep_mu = (np.asarray(g, dtype=float) for g in given)
        rate = np.where(np.isnan(keep_rate), rate, keep_rate)
        mu = np.where(np.isnan(keep_mu), mu, keep_mu)
    if common is not None:
        common = np.broadcast_to(np.asarray(common, dtype=float), (n, model.n_periods))
    else:
        common = _company_factor(model, rng, n, trend=trend)
    if model.rep_dispersion > 0:
        rate = rate * _year_factor(model, rng, n)
    if factor is not None:
        rate = rate * factor
    if n_trials is None:
        return rate[0], mu[0], common[0]
    return rate, mu, common


def rep_draws(
    model: ProductivityModel, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` trials' deal rates and mean log sizes per rep, (n, n_reps) each: the first
    draws of :func:`trial_parameters` (the posterior means without
    ``parameter_uncertainty``, read-only views).

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> rate, mu = rep_draws(m, np.random.default_rng(0), 3)
    >>> bool((mu == trial_parameters(m, np.random.default_rng(0), n_trials=3)[1]).all())
    True
    """
    shape = (n, model.n_reps)
    if not model.parameter_uncertainty:
        return np.broadcast_to(model.alpha / model.beta, shape), np.broadcast_to(
            model.size_mu, shape
        )
    # rng.gamma(alpha, 1 / beta, size=shape), the same numbers (scale times a
    # standard gamma), without the scale's broadcasting
    rate = rng.standard_gamma(model.alpha, size=shape)
    rate *= 1.0 / model.beta
    # rng.normal(size_mu, size_mu_sd, size=shape), the same numbers: numpy draws
    # loc + scale * a standard normal, and broadcasts arrays of loc and scale slowly
    mu = rng.standard_normal(shape)
    mu *= model.size_mu_sd
    mu += model.size_mu
    return rate, mu


def elasticity_factor(model: ProductivityModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` trials' factor on each rep's deal rate from their own territory elasticities.

    With ``a``, ``b`` the point elasticities the rates were scaled with and ``a_t``,
    ``b_t`` trial ``t``'s draws (:attr:`ProductivityModel.elasticity_spread`: the
    unrestricted estimate plus its standard error times a normal, then restricted as
    the estimate is, travel at most 0; a prior's range uniformly), the factor is
    ``exp((a_t - a) log(P_new / P_old) + (b_t - b) log(D_new / D_old))``.

    Returns
    -------
    ndarray, shape (n, n_reps)
        All ones without :attr:`ProductivityModel.elasticity_log_ratio`.

    Notes
    -----
    Draw order: all trials' potential elasticities, then their travel ones (each a
    normal, a uniform or nothing).

    Examples
    --------
    >>> import dataclasses
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> logs = np.zeros((2, m.n_reps)); logs[0, 0] = np.log(1.2)
    >>> spread = np.array([[0.4, 0.4, 0.1, -np.inf, np.inf], [0.0, 0.0, 0.0, 0.0, 0.0]])
    >>> m2 = dataclasses.replace(m, elasticity_log_ratio=logs, elasticity_spread=spread)
    >>> f = elasticity_factor(m2, np.random.default_rng(0), 2000)
    >>> bool(f[:, 1:].min() == f[:, 1:].max() == 1.0), bool(abs(f[:, 0].mean() - 1) < 0.01)
    (True, True)
    """
    logs, spread = model.elasticity_log_ratio, model.elasticity_spread
    if logs is None or spread is None:
        return np.ones((n, model.n_reps))
    dev = np.zeros((n, 2))
    for k in range(2):
        point, centre, se, low, high = (float(x) for x in spread[k])
        if se > 0:
            drawn = np.clip(centre + se * rng.standard_normal(n), low, high)
        elif low < high:
            drawn = rng.uniform(low, high, size=n)
        else:
            continue
        dev[:, k] = drawn - point
    return np.exp(dev @ np.asarray(logs, dtype=float))


def _year_factor_shape(model: ProductivityModel) -> np.ndarray:
    """Shape ``K_r`` of each rep's year factor, shape (n_reps,); ``inf`` for no selling time.

    A gamma factor of variance ``d`` on every month's rate, independent across months,
    gives the rep's year a count variance ``d sum_m mu_m^2``; one gamma factor of
    shape ``K_r = (sum_m f_m)^2 / (d sum_m f_m^2)`` (``f`` the rep's
    :attr:`ProductivityModel.month_factor`) on the whole year gives the same.
    """
    f = model.month_factor
    with np.errstate(divide="ignore", invalid="ignore"):
        k = f.sum(axis=1) ** 2 / (model.rep_dispersion * (f**2).sum(axis=1))
    return np.where(np.isfinite(k) & (k > 0), k, np.inf)


def _year_factor(model: ProductivityModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` trials' gamma factor (mean 1) per rep, (n, n_reps): the year's share of the
    rep-month overdispersion (:func:`_year_factor_shape`)."""
    k = _year_factor_shape(model)
    finite = np.isfinite(k)
    g = rng.standard_gamma(np.where(finite, k, 1.0), size=(n, model.n_reps))
    g /= np.where(finite, k, 1.0)
    return np.where(finite, g, 1.0)


def trend_draws(
    model: ProductivityModel, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` trials' deviations of the trend slope and of the log level, (n, 1) each:
    the draws of :func:`trial_parameters` after the rates and sizes (zeros where not
    drawn)."""
    uncertain = model.parameter_uncertainty
    d_slope = d_level = np.zeros((n, 1))
    if uncertain and model.trend_se > 0:
        d_slope = rng.normal(0.0, model.trend_se, size=(n, 1))
    if uncertain and model.level_se > 0:
        d_level = rng.normal(0.0, model.level_se, size=(n, 1))
    return d_slope, d_level


def _company_factor(
    model: ProductivityModel,
    rng: np.random.Generator,
    n: int,
    trend: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """``n`` trials' company factor by month, (n, n_periods), mean 1: the trend and level
    deviations (all trials' slopes, then their levels; replaced by ``trend`` when
    given, after they are drawn), then the shock paths."""
    common = np.ones((n, model.n_periods))
    uncertain = model.parameter_uncertainty
    d_slope, d_level = trend_draws(model, rng, n)
    if trend is not None:
        d_slope, d_level = trend
    if uncertain and (model.trend_se > 0 or model.level_se > 0):
        # a model built without offsets (by hand): the slope moves no month
        off = 0.0 if model.trend_offset is None else model.trend_offset
        # divided by its mean, so the expected bookings do not change
        var = model.level_se**2 + model.trend_se**2 * off**2
        common *= np.exp(d_level + d_slope * off - 0.5 * var)
    if model.shock_sd > 0:
        eps = rng.standard_normal((n, model.n_periods))
        common *= np.exp(_ar1(eps, model.shock_sd, model.shock_rho) - 0.5 * model.shock_sd**2)
    if uncertain and model.seasonality_se is not None and np.any(model.seasonality_se > 0):
        common *= _season_factor(model, rng, n)
    return common


def _season_factor(model: ProductivityModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` trials' seasonal factors drawn around the fitted ones, over the fitted ones,
    (n, n_periods): ``s exp(se z)`` renormalised so the plan months' factors keep their
    sum (the seasonality moves deals between months, never the year's level)."""
    months = np.array([int(p[5:7]) - 1 for p in model.periods])
    s = np.asarray(model.seasonality, float)[months]
    se = np.asarray(model.seasonality_se, float)[months]
    drawn = s * np.exp(se * rng.standard_normal((n, months.size)))
    drawn *= s.sum() / drawn.sum(axis=1, keepdims=True)
    return drawn / s


def draw_deals_batch(
    model: ProductivityModel,
    rng: np.random.Generator,
    n_trials: int,
    *,
    common: np.ndarray | None = None,
    given: tuple[np.ndarray, np.ndarray] | None = None,
    factor: np.ndarray | None = None,
    trend: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw the deals of ``n_trials`` trials in one batch from one stream.

    Parameters
    ----------
    model : ProductivityModel
    rng : numpy Generator
        The batch's stream (``simulate`` uses stream ``sales`` of a block of trials).
    n_trials : int
    common : ndarray, shape (n_trials, n_periods), optional
        The company factor of another draw of the same trials (planned hires).
    given, factor, trend : optional
        As :func:`trial_parameters`: rates and mean log sizes kept from another year,
        a factor on the rates, the trend and level deviations kept.

    Returns
    -------
    counts : ndarray of int, shape (n_trials, n_reps, n_periods)
    cell : ndarray of int, shape (n_deals,)
        Each deal's flat index into ``counts`` (trial-major, then rep, then month).
    sizes : ndarray, shape (n_deals,)
    common : ndarray, shape (n_trials, n_periods)

    Notes
    -----
    Draw order: :func:`trial_parameters` for all the trials, the deal counts of every
    rep-month, then one lognormal size per deal in ``cell`` order. One trial's batch
    (``n_trials=1``) is :func:`draw_deals`.

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> counts, cell, sizes, common = draw_deals_batch(m, np.random.default_rng(0), 3)
    >>> counts.shape, int(counts.sum()) == cell.size == sizes.size
    ((3, 80, 12), True)
    """
    rate, mu, common = trial_parameters(
        model, rng, common=common, n_trials=n_trials, given=given, factor=factor, trend=trend
    )
    lam = rate[:, :, None] * model.month_factor[None]
    lam *= common[:, None, :]
    counts = rng.poisson(lam)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    sizes = rng.lognormal(mu.ravel()[cell // model.n_periods], model.size_sigma)
    return counts, cell, sizes, common


@overload
def draw_deals(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: Literal[False] = ...,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
@overload
def draw_deals(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: Literal[True],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...
@overload
def draw_deals(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: bool,
) -> tuple[np.ndarray, ...]: ...
def draw_deals(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = None,
    with_common: bool = False,
) -> tuple[np.ndarray, ...]:
    """Draw one trial's deals: how many per rep and month, where each falls, its size.

    Parameters
    ----------
    model : ProductivityModel
    rng : numpy Generator
        The trial's own stream (see ``spm_sim.simulate``: one stream per trial index).
    common : ndarray, shape (n_periods,), optional
        The company factor of another draw of the same trial (see
        :func:`trial_parameters`); default: drawn here.
    with_common : bool, default False
        Also return the company factor, last.

    Returns
    -------
    counts : ndarray of int, shape (n_reps, n_periods)
        Deals per rep and month.
    cell : ndarray of int, shape (n_deals,)
        Each deal's flat index ``rep * n_periods + month``, rep-major, month-minor.
    sizes : ndarray, shape (n_deals,)
        Each deal's amount.

    Notes
    -----
    Draw order, fixed so a stream always maps to the same numbers: the deal rates,
    the reps' mean log sizes, the trend and level deviations (if
    ``parameter_uncertainty``),
    the company shock path, the deal counts, then one lognormal size per deal in
    rep-major, month-minor order. The trend and level deviations and the shock multiply every
    rep's rate in a month (they are what moves the company total as a whole); both
    are scaled to mean 1 so the closed-form expectation is unchanged.
    """
    shared = None if common is None else np.asarray(common, dtype=float)[None, :]
    counts, cell, sizes, drawn = draw_deals_batch(model, rng, 1, common=shared)
    if with_common:
        return counts[0], cell, sizes, drawn[0]
    return counts[0], cell, sizes
