"""The productivity model's parameters with standard errors, and the reps' rates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from spm_sim._format import format_money, format_pct
from spm_sim._provenance import package_version
from spm_sim.productivity import ProductivityModel, fit_productivity, history_end

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = ["PARAMETER_COLUMNS", "Z90", "parameter_table", "rep_table"]

#: Normal quantile of a two-sided 90% interval.
Z90 = float(stats.norm.ppf(0.95))

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

PARAMETER_COLUMNS = ("parameter", "estimate", "std_error", "low", "high", "unit", "note")

# --------------------------------------------------------------------------- parameters


def _row(parameter, estimate, se, unit, note, *, positive=False, bounds=None) -> dict:
    """One parameter row; the 90% interval is on the log scale for positive quantities."""
    estimate = float(estimate)
    se = float(se) if se is not None else np.nan
    if not np.isfinite(se):
        low = high = np.nan
    elif positive and estimate > 0:
        low, high = estimate * np.exp(-Z90 * se / estimate), estimate * np.exp(Z90 * se / estimate)
    else:
        low, high = estimate - Z90 * se, estimate + Z90 * se
    if bounds is not None and np.isfinite(low):
        low, high = float(np.clip(low, *bounds)), float(np.clip(high, *bounds))
    return {
        "parameter": parameter,
        "estimate": estimate,
        "std_error": se,
        "low": low,
        "high": high,
        "unit": unit,
        "note": note,
    }


def _history(book, plan_year: int) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """The bookings the fit for ``plan_year`` uses and the months they span."""
    end = history_end(book, plan_year)
    b = book.bookings[book.bookings["date"] <= end]
    first = b["date"].min() if len(b) else end
    months = pd.date_range(
        first.to_period("M").to_timestamp(), end.to_period("M").to_timestamp(), freq="MS"
    )
    return b, months


def parameter_table(book: Book, *, plan_year: int) -> pd.DataFrame:
    """Every parameter of the productivity model with a standard error and a 90% interval.

    Parameters
    ----------
    book : Book
    plan_year : int
        The model is :func:`~spm_sim.productivity.fit_productivity` for this year
        (history before 1 January of it; default options).

    Returns
    -------
    DataFrame
        One row per parameter, columns ``parameter, estimate, std_error, low, high,
        unit, note``. ``low``/``high`` are a 90% interval: ``estimate +- 1.645 se``,
        on the log scale (``estimate x exp(+-1.645 se / estimate)``) for positive
        quantities. ``std_error`` is NaN where the model gives no sampling error
        (counts, and ``level_se``, itself a standard error).

    Notes
    -----
    Approximate (large-sample) standard errors, with ``n_r``, ``e_r`` each rep's
    deals and plan-year-equivalent exposure (months), ``E = sum e_r``, ``k`` the reps
    with exposure, ``m`` and ``tau^2`` the Gamma prior's mean and variance:

    * prior mean of deal rates: ``var(m) = sum(e_r^2 tau^2 + e_r m) / E^2`` (the
      between-rep spread and Poisson counts), plus, on the log scale, the company's
      level and the trend's extrapolation to the plan year:
      ``level_se^2 + (trend_se x (t_plan - t_centre))^2``;
    * prior variance: ``var(tau^2) = 2 (tau^2 + k m / E)^2 / (k - 1)`` (normal theory
      for a method-of-moments variance); ``se(tau) = se(tau^2) / (2 tau)`` plus the
      level and trend term; the shape ``m^2 / tau^2`` by the delta method;
    * log deal sizes: the same two formulas with deals as weights (``sigma^2 / n_r``
      as the noise of a rep's mean) and ``se(sigma) = sigma / sqrt(2 (N - k))``;
    * seasonality (Poisson delta method, from the monthly deal counts): with
      ``C_k`` the deals of calendar month ``k`` over the history, ``Y_k`` the number
      of such months and ``sd`` the company shock, ``v_k = 1 / C_k + sd^2 / Y_k`` is
      the variance of the log raw factor; for ``s_k = r_k / mean(r)``,
      ``var(s_k) = x_k (1 - 2 a_k) + a_k^2 sum_j x_j`` with ``x_j = s_j^2 v_j`` and
      ``a_k = s_k / 12``;
    * trend slope, level: as fitted (see ``spm_sim.productivity``);
    * shock sd: ``se(sd^2) = sqrt(2 / dof) (sd^2 + mean(1 / deals_m))`` with the
      fit's ``dof = months - 13``; shock rho: ``sqrt((1 - rho^2) / months)``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> p = parameter_table(load_sample(), plan_year=2026).set_index("parameter")
    >>> p.loc["seasonality_dec", "unit"]
    'x average month'
    >>> bool(p.loc["log_size_within_sd", "low"] < p.loc["log_size_within_sd", "high"])
    True
    """
    all_ids = sorted(book.reps["rep_id"].astype(str))
    model = fit_productivity(book, plan_year=plan_year, rep_ids=all_ids)
    hist, months = _history(book, plan_year)
    rows = [
        *_deal_rate_rows(model, plan_year),
        *_deal_size_rows(model, getattr(book, "currency", "USD")),
        *_seasonality_rows(model, hist, months),
        *_dynamics_rows(model, hist, months),
    ]
    out = pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
    out.attrs.update({"plan_year": plan_year, "spm_sim_version": package_version()})
    return out


def _deal_rate_rows(model: ProductivityModel, plan_year: int) -> list[dict]:
    """The Gamma prior of deal rates: its mean, sd and shape (see :func:`parameter_table`)."""
    f = model.fit
    expo = np.asarray(f["exposure"], float)
    ok = expo > 0
    e = expo[ok]
    k = int(ok.sum())
    a0, b0 = float(f["prior_alpha"]), float(f["prior_beta"])
    m, tau2 = a0 / b0, a0 / b0**2
    big_e = e.sum()
    rel_m = float((e**2 * tau2 + e * m).sum() / big_e**2) / m**2
    centre_gap = float(np.mean(model.trend_offset)) if model.trend_offset is not None else 0.0
    rel_common = model.level_se**2 + (model.trend_se * centre_gap) ** 2
    rel_tau2 = 2 * (tau2 + k * m / big_e) ** 2 / max(k - 1, 1) / tau2**2
    floored = tau2 <= 0.01 * m**2 * (1 + 1e-9)
    return [
        _row(
            "deal_rate_prior_mean",
            m,
            m * np.sqrt(rel_m + rel_common),
            "deals per rep-month",
            f"mean of the Gamma prior across {k} reps: full productivity, average month, "
            f"{plan_year}'s level; se: between-rep spread, Poisson counts, level and trend",
            positive=True,
        ),
        _row(
            "deal_rate_prior_sd",
            np.sqrt(tau2),
            np.sqrt(tau2) * np.sqrt(rel_tau2 / 4 + rel_common),
            "deals per rep-month",
            "spread of true deal rates across reps (method of moments)"
            + ("; floored at 10% of the mean" if floored else ""),
            positive=True,
        ),
        _row(
            "deal_rate_prior_shape",
            a0,
            a0 * np.sqrt(4 * rel_m + rel_tau2),
            "-",
            "Gamma prior shape alpha = mean^2 / sd^2; the prior weighs like alpha deals",
            positive=True,
        ),
    ]


def _deal_size_rows(model: ProductivityModel, cur: str) -> list[dict]:
    """Log deal sizes: the team mean, the spread between and within reps, the mean size."""
    f = model.fit
    deals = np.asarray(f["deals"], float)
    has = deals > 0  # every rep's deals in the history (the size fit uses them all)
    ns, ks = deals[has], int(has.sum())
    big_n = ns.sum()
    mu0, tau2_s = float(f["size_prior_mean"]), float(f["size_prior_var"])
    sigma = model.size_sigma
    var_mu0 = float((ns**2 * tau2_s + ns * sigma**2).sum() / big_n**2)
    var_tau2_s = 2 * (tau2_s + ks * sigma**2 / big_n) ** 2 / max(ks - 1, 1)
    se_sigma = sigma / np.sqrt(2 * max(big_n - ks, 1))
    mean_size = np.exp(mu0 + 0.5 * (tau2_s + sigma**2))
    return [
        _row(
            "log_size_prior_mean",
            mu0,
            np.sqrt(var_mu0),
            f"log {cur}",
            "team mean of reps' mean log deal size "
            f"(exp: {format_money(np.exp(mu0), currency=cur)})",
        ),
        _row(
            "log_size_between_sd",
            np.sqrt(tau2_s),
            np.sqrt(var_tau2_s) / (2 * np.sqrt(tau2_s)),
            f"log {cur}",
            "spread of reps' mean log deal size around the team mean",
            positive=True,
        ),
        _row(
            "log_size_within_sd",
            sigma,
            se_sigma,
            f"log {cur}",
            "sigma: spread of log deal sizes within a rep",
            positive=True,
        ),
        _row(
            "deal_size_mean",
            mean_size,
            mean_size * np.sqrt(var_mu0 + var_tau2_s / 4 + (sigma * se_sigma) ** 2),
            cur,
            "expected size of one deal of a typical rep, exp(mu + (tau^2 + sigma^2) / 2)",
            positive=True,
        ),
    ]


def _seasonality_rows(
    model: ProductivityModel, hist: pd.DataFrame, months: pd.DatetimeIndex
) -> list[dict]:
    """The twelve seasonal factors: Poisson delta method on the calendar-month counts,
    plus the company shock."""
    moy = hist["date"].dt.month.to_numpy() - 1
    c_k = np.bincount(moy, minlength=12).astype(float)
    y_k = np.bincount(months.month.to_numpy() - 1, minlength=12).astype(float)
    s = np.asarray(model.seasonality, float)
    with np.errstate(divide="ignore"):
        v = np.where(c_k > 0, 1.0 / np.maximum(c_k, 1.0), np.inf)
    v = v + model.shock_sd**2 / np.maximum(y_k, 1.0)
    if model.seasonality_se is not None:  # the fit's own: Poisson, reps' months, shock
        v = np.where(c_k > 0, np.asarray(model.seasonality_se, float) ** 2, np.inf)
    x = s**2 * v
    a = s / 12.0
    se_s = np.sqrt(np.maximum(x * (1 - 2 * a) + a**2 * x.sum(), 0.0))
    return [
        _row(
            f"seasonality_{_MONTHS[j]}",
            s[j],
            se_s[j],
            "x average month",
            f"{int(c_k[j]):,} deals over {int(y_k[j])} month(s); se: Poisson delta method "
            "+ company shock",
            positive=True,
        )
        for j in range(12)
    ]


def _dynamics_rows(
    model: ProductivityModel, hist: pd.DataFrame, months: pd.DatetimeIndex
) -> list[dict]:
    """Trend, level, the company shock (sd and rho) and the history's counts."""
    f = model.fit
    n_dyn = int(f.get("months_used_for_dynamics", 0))
    fitted = n_dyn >= 24
    no_dyn = f"not fitted: {n_dyn} months with deals, 24 needed"
    slope = float(f.get("trend_slope_per_year", 0.0))
    raw = float(f.get("trend_slope_fitted", slope))
    raw_se = float(f.get("trend_slope_fitted_se", model.trend_se))
    prior = float(f.get("trend_prior_sd", 0.0))
    index = (hist["date"].dt.year.to_numpy() - months[0].year) * 12 + (
        hist["date"].dt.month.to_numpy() - months[0].month
    )
    monthly = np.bincount(index, minlength=len(months))
    poisson = float(np.mean(1.0 / monthly[monthly > 0])) if (monthly > 0).any() else np.nan
    dof = n_dyn - 13
    sd, rho = model.shock_sd, model.shock_rho
    se_sd = np.sqrt(2.0 / dof) * (sd**2 + poisson) / (2 * sd) if sd > 0 and dof > 0 else np.nan
    return [
        _row(
            "trend_slope",
            slope,
            model.trend_se if model.trend_se > 0 else np.nan,
            "per year (log scale)",
            f"yearly growth of deal rates: exp(slope) - 1 = {format_pct(np.expm1(slope))}; "
            + (
                f"the fit {raw:.4f} (se {raw_se:.4f}) shrunk toward the prior N(0, {prior:.2f}^2)"
                if fitted
                else f"{no_dyn}: the prior N(0, {prior:.2f}^2) alone"
            ),
        ),
        _row(
            "trend_slope_fitted",
            raw,
            raw_se if fitted and raw_se > 0 else np.nan,
            "per year (log scale)",
            "the slope fitted on the history before the prior" if fitted else no_dyn,
        ),
        _row(
            "level_se",
            model.level_se,
            np.nan,
            "log scale",
            "uncertainty of the company's level from a shared shock over the history"
            if fitted
            else no_dyn,
        ),
        _row(
            "shock_sd",
            sd,
            se_sd,
            "log scale",
            "sd of the company-wide monthly shock on deal rates (AR(1))" if fitted else no_dyn,
            positive=True,
        ),
        _row(
            "shock_rho",
            rho,
            np.sqrt((1 - rho**2) / n_dyn) if sd > 0 and n_dyn > 0 else np.nan,
            "-",
            "lag-one autocorrelation of the shock, clipped to [0, 0.95]" if fitted else no_dyn,
            bounds=(-1.0, 1.0),
        ),
        _row(
            "rep_month_dispersion",
            model.rep_dispersion,
            np.nan,
            "variance of a rep-month factor",
            "d = 1/k: a rep's month has a gamma factor of mean 1 and variance d on its deal "
            "rate (method of moments on the rep-month counts after rep and month levels); "
            "no standard error: the back-test's rep-year coverage checks it",
        ),
        _row(
            "n_deals",
            f.get("n_deals", len(hist)),
            np.nan,
            "deals",
            f"deals from {f.get('history_start')} to {f.get('history_end')}",
        ),
        _row("n_months", len(months), np.nan, "months", f"{n_dyn} of them with deals (dynamics)"),
    ]


def rep_table(model: ProductivityModel) -> pd.DataFrame:
    """Per rep: :meth:`ProductivityModel.to_frame` plus the rate's 90% interval and weights.

    Returns
    -------
    DataFrame
        ``model.to_frame()`` columns, then ``deal_rate_low``, ``deal_rate_high`` (the
        5% and 95% points of the rep's Gamma posterior ``Gamma(alpha_r, beta_r)``; the
        company's level and trend uncertainty of :func:`parameter_table` come on top),
        ``rate_weight`` (share of the posterior mean deal rate that is the rep's own
        ``deals / exposure``: ``e_r / (beta0 + e_r)``) and ``size_weight`` (the same
        for the mean log deal size: ``1 - v_r / tau^2``).

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> r = rep_table(fit_productivity(load_sample(), plan_year=2026))
    >>> bool(((r.deal_rate_low < r.deal_rate) & (r.deal_rate < r.deal_rate_high)).all())
    True
    """
    out = model.to_frame()
    low, high = stats.gamma.ppf([[0.05], [0.95]], model.alpha, scale=1.0 / model.beta)
    out["deal_rate_low"] = low
    out["deal_rate_high"] = high
    beta0 = float(model.fit.get("prior_beta", np.nan))
    out["rate_weight"] = 1.0 - beta0 / model.beta
    tau2_s = float(model.fit.get("size_prior_var", np.nan))
    out["size_weight"] = 1.0 - model.size_mu_sd**2 / tau2_s
    return out
