"""Report the productivity fit: its parameters with their uncertainty, the reps, a back-test.

:func:`fit_report` answers "can I trust the productivity model?" in three parts:

* ``parameters``: every fitted parameter of :func:`spm_sim.productivity.fit_productivity`
  with a standard error and a 90% interval (formulas in :func:`parameter_table`);
* ``reps``: each rep's deal rate with its posterior 90% interval and how much of it
  comes from the rep's own history (the rest is the team's prior);
* ``backtest``: the model fitted on the history before last year, simulated over last
  year and compared with what happened (:class:`Backtest`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from spm_sim._format import format_money, format_pct
from spm_sim._provenance import package_version
from spm_sim.errors import DataError
from spm_sim.productivity import ProductivityModel, draw_bookings, fit_productivity, history_end
from spm_sim.quota import QuotaSettings, set_quotas
from spm_sim.random import RngLike, seed_sequence, trial_rng

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = [
    "Backtest",
    "FitReport",
    "backtest_year",
    "fit_report",
    "parameter_table",
    "rep_table",
]

#: Normal quantile of a two-sided 90% interval.
Z90 = float(stats.norm.ppf(0.95))

#: Quantiles of rep-year bookings compared in the back-test.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

PARAMETER_COLUMNS = ("parameter", "estimate", "std_error", "low", "high", "unit", "note")
CHECK_COLUMNS = (
    "check",
    "item",
    "actual",
    "simulated",
    "sim_p10",
    "sim_p50",
    "sim_p90",
    "percentile",
    "inside",
)


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
            model.trend_se if fitted and model.trend_se > 0 else np.nan,
            "per year (log scale)",
            f"yearly growth of deal rates: exp(slope) - 1 = {format_pct(np.expm1(slope))}"
            if fitted
            else no_dyn,
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


# --------------------------------------------------------------------------- back-test


def _rank(sims: np.ndarray, actual) -> np.ndarray:
    """Mid-rank percentile of ``actual`` among ``sims`` along axis 0 (ties count half)."""
    sims = np.asarray(sims, float)
    less = (sims < actual).sum(axis=0)
    equal = (sims == actual).sum(axis=0)
    return (less + 0.5 * equal) / sims.shape[0]


def _ks(samples: np.ndarray, pooled_sorted: np.ndarray) -> np.ndarray:
    """Two-sample Kolmogorov-Smirnov distance of each row of ``samples`` to ``pooled``.

    ``samples`` has shape ``(..., k)``; the amounts are continuous, so ties inside a
    row are not treated specially. Equal to ``scipy.stats.ks_2samp(row, pooled)``.
    """
    x = np.sort(samples, axis=-1)
    k = x.shape[-1]
    big_n = pooled_sorted.size
    right = np.searchsorted(pooled_sorted, x, side="right") / big_n
    left = np.searchsorted(pooled_sorted, x, side="left") / big_n
    i = np.arange(1, k + 1)
    return np.maximum(np.abs(i / k - right), np.abs((i - 1) / k - left)).max(axis=-1)


def _check(check, item, actual, simulated, sims, *, one_sided=False) -> dict:
    p10, p50, p90 = np.quantile(sims, [0.1, 0.5, 0.9])
    inside = bool(actual <= p90) if one_sided else bool(p10 <= actual <= p90)
    return {
        "check": check,
        "item": item,
        "actual": float(actual),
        "simulated": float(simulated),
        "sim_p10": float(p10),
        "sim_p50": float(p50),
        "sim_p90": float(p90),
        "percentile": float(_rank(sims, float(actual))),
        "inside": inside,
    }


@dataclass(frozen=True, eq=False)
class Backtest:
    """The model fitted before ``year``, simulated over it, against what happened.

    Attributes
    ----------
    year : int
        The year simulated and compared.
    n_sims : int
        Simulated years.
    seed_entropy : int or tuple of int
        Entropy of the root ``SeedSequence`` (a tuple when it was built from several
        words); trial ``i`` draws from child ``i``.
    rep_ids : tuple of str
        The reps compared: employed on every day of ``year``.
    excluded : DataFrame
        Reps employed during ``year`` but not all of it (``rep_id, hire_date,
        term_date, reason``): the model sets no expectation for a partial year, so
        they and their deals are left out of every comparison, company totals too.
    checks : DataFrame
        One row per comparison, columns ``check, item, actual, simulated, sim_p10,
        sim_p50, sim_p90, percentile, inside``. ``check`` is ``rep_year_bookings``
        (``item`` P10 ... P90: the quantile across reps; ``simulated`` the quantile of
        all simulated rep-years pooled; ``sim_p*`` the spread of that quantile over
        simulated years), ``rep_year_ks`` (the KS distance of the actual rep-years to
        the pooled simulation against the same distance for each simulated year;
        ``inside`` is one-sided, ``actual <= sim_p90``: a small distance is never a
        miss), ``share_at_quota``, ``monthly_total`` (one row per month) and
        ``annual_total``. ``simulated`` is the simulation's mean except for the
        quantiles; ``percentile`` the mid-rank of the actual among the simulated
        years; ``inside`` whether it lies in the P10-P90 band (80%).
    reps : DataFrame
        Per rep compared: ``rep_id, actual, quota, at_quota, sim_p10, sim_p50,
        sim_p90, percentile, inside``.
    sim_rep_year : ndarray, shape (n_sims, n_reps)
        Simulated annual bookings per rep.
    sim_monthly : ndarray, shape (n_sims, 12)
        Simulated company bookings per month (the reps compared).
    sim_share_at_quota : ndarray, shape (n_sims,)
    actual_monthly : ndarray, shape (12,)
    quota : ndarray, shape (n_reps,)
        History-method quotas for ``year`` with growth 0.
    fit_span : tuple of str
        First and last day of the history the model was fitted on.
    """

    year: int
    n_sims: int
    seed_entropy: int | tuple[int, ...]
    rep_ids: tuple[str, ...]
    excluded: pd.DataFrame = field(repr=False)
    checks: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    sim_rep_year: np.ndarray = field(repr=False)
    sim_monthly: np.ndarray = field(repr=False)
    sim_share_at_quota: np.ndarray = field(repr=False)
    actual_monthly: np.ndarray = field(repr=False)
    quota: np.ndarray = field(repr=False)
    fit_span: tuple[str, str] = ("", "")

    def check(self, name: str) -> pd.DataFrame:
        """The rows of ``checks`` for one ``check`` (e.g. ``"monthly_total"``)."""
        return self.checks[self.checks["check"] == name].reset_index(drop=True)

    @property
    def actual_rep_year(self) -> np.ndarray:
        """Actual annual bookings per rep compared, shape (n_reps,)."""
        return self.reps["actual"].to_numpy(float)

    @property
    def coverage(self) -> float:
        """Share of months whose actual company total lies in the simulated P10-P90 band."""
        return float(self.check("monthly_total")["inside"].mean())

    @property
    def annual_percentile(self) -> float:
        """Percentile rank of the actual company total among the simulated years."""
        return float(self.check("annual_total")["percentile"].iloc[0])


def _years(book) -> str:
    years = sorted(book.bookings["date"].dt.year.unique())
    if not years:
        return "no year: the bookings table is empty"
    return ", ".join(str(y) for y in years)


def _require_history(book, plan_year: int, year: int) -> None:
    """The history before ``year`` has 12 months and ``year`` is complete."""
    b = book.bookings
    first = b["date"].min() if len(b) else None
    have = 0
    if first is not None and first < pd.Timestamp(year=year, month=1, day=1):
        have = (year - first.year) * 12 - first.month + 1
    if have < 12:
        if first is None:
            hint = "add bookings"
        else:  # the first year with 12 months of bookings before it, plus one
            earliest = first.year + (2 if first.month == 1 else 3)
            hint = (
                f"add at least {12 - have} months of bookings before {year}, or report on "
                f"plan_year={max(earliest, plan_year)} or later"
            )
        raise DataError(
            f"the back-test of {year} (plan_year {plan_year} - 1) fits the model on the history "
            f"before {year} and needs at least 12 months of it; the book has {have} (bookings "
            f"in {_years(book)}): {hint}."
        )
    end = history_end(book, plan_year)
    if end < pd.Timestamp(year=year, month=12, day=31):
        raise DataError(
            f"the back-test compares the simulation with all of {year}, but the history ends on "
            f"{end.date()} (plan_year {plan_year}); report on plan_year={year} instead, or "
            f"wait until {year} is complete."
        )


def _compared_reps(reps: pd.DataFrame, year: int) -> tuple[list[str], pd.DataFrame]:
    """Reps employed every day of ``year``, and those employed only part of it."""
    start = pd.Timestamp(year=year, month=1, day=1)
    stop = pd.Timestamp(year=year, month=12, day=31)
    hire, term = reps["hire_date"], reps["term_date"]
    whole = (hire <= start) & (term.isna() | (term >= stop))
    some = (hire <= stop) & (term.isna() | (term >= start))
    part = reps[some & ~whole].sort_values("rep_id")
    reasons = []
    for h, t in zip(part["hire_date"], part["term_date"], strict=True):
        why = []
        if h > start:
            why.append(f"hired {h.date()}")
        if pd.notna(t) and t < stop:
            why.append(f"left {t.date()}")
        reasons.append(" and ".join(why))
    excluded = pd.DataFrame(
        {
            "rep_id": part["rep_id"].astype(str).to_numpy(),
            "hire_date": part["hire_date"].to_numpy(),
            "term_date": part["term_date"].to_numpy(),
            "reason": reasons,
        }
    )
    ids = sorted(reps.loc[whole, "rep_id"].astype(str))
    return ids, excluded


def _entropy(root: np.random.SeedSequence) -> int | tuple[int, ...]:
    """The root's entropy: an int, or the words of a sequence built from several.

    numpy draws the entropy when a sequence is built without one, so it is never
    ``None`` here although the stub allows it.
    """
    entropy = root.entropy
    if isinstance(entropy, (int, np.integer)):
        return int(entropy)
    return tuple(int(w) for w in entropy or ())


def backtest_year(
    book: Book,
    *,
    year: int,
    n_sims: int = 1000,
    rng: RngLike = 0,
    plan_year: int | None = None,
    progress: bool = False,
) -> Backtest:
    """Fit before ``year``, simulate ``year`` ``n_sims`` times, compare with the actuals.

    See :class:`Backtest` for what is compared; :func:`fit_report` calls this with
    ``year = plan_year - 1``. ``plan_year`` (default ``year + 1``) only decides where
    the book's history must reach. ``rng`` (int, SeedSequence or Generator; ``None``
    is seed 0) is normalised once by :func:`spm_sim.random.seed_sequence`; simulated
    year ``i`` draws from the root's stream ``trial`` with index ``i``. ``progress``
    shows a bar over the simulated years (tqdm; the numbers do not depend on it).

    Returns
    -------
    Backtest
    """
    root = seed_sequence(rng)
    plan_year = year + 1 if plan_year is None else plan_year
    _require_history(book, plan_year, year)
    ids, excluded = _compared_reps(book.reps, year)
    if not ids:
        raise DataError(
            f"no rep was employed for the whole of {year} (reps' hire_date and term_date), so "
            "there is no rep-year to compare; back-test an earlier year."
        )
    model = fit_productivity(book, plan_year=year, rep_ids=ids)
    from tqdm.auto import tqdm

    years = tqdm(
        range(n_sims),
        desc=f"back-test of {year}",
        unit="year",
        disable=not progress,
        leave=False,
    )
    sims = np.stack([draw_bookings(model, trial_rng(root, i)) for i in years])

    b = book.bookings
    in_year = b[(b["date"].dt.year == year) & b["rep_id"].astype(str).isin(ids)]
    actual = np.zeros((len(ids), 12))
    np.add.at(
        actual,
        (
            pd.Index(ids).get_indexer(in_year["rep_id"].astype(str)),
            in_year["date"].dt.month.to_numpy() - 1,
        ),
        in_year["amount"].to_numpy(float),
    )
    q = set_quotas(
        book,
        plan_year=year,
        settings=QuotaSettings(method="history", growth=0.0),
        rep_ids=ids,
    )
    quota = pd.Series(q.annual, index=list(q.rep_ids)).reindex(ids).to_numpy(float)

    sim_rep_year = sims.sum(axis=2)  # (n_sims, n_reps)
    act_rep_year = actual.sum(axis=1)
    sim_monthly = sims.sum(axis=1)  # (n_sims, 12)
    act_monthly = actual.sum(axis=0)
    rows = []
    # (a) distribution of rep-year bookings
    pooled = np.sort(sim_rep_year.ravel())
    act_q = np.quantile(act_rep_year, QUANTILES)
    pooled_q = np.quantile(pooled, QUANTILES)
    trial_q = np.quantile(sim_rep_year, QUANTILES, axis=1)  # (5, n_sims)
    for j, p in enumerate(QUANTILES):
        rows.append(
            _check("rep_year_bookings", f"P{round(p * 100)}", act_q[j], pooled_q[j], trial_q[j])
        )
    ks_actual = float(_ks(act_rep_year, pooled))
    ks_sims = _ks(sim_rep_year, pooled)
    rows.append(
        _check("rep_year_ks", "KS", ks_actual, float(ks_sims.mean()), ks_sims, one_sided=True)
    )
    # (b) share of reps at or above quota
    sim_share = (sim_rep_year >= quota).mean(axis=1)
    act_share = float((act_rep_year >= quota).mean())
    rows.append(_check("share_at_quota", "all reps", act_share, float(sim_share.mean()), sim_share))
    # (c) monthly company totals
    for mth in range(12):
        rows.append(
            _check(
                "monthly_total",
                f"{year}-{mth + 1:02d}",
                act_monthly[mth],
                float(sim_monthly[:, mth].mean()),
                sim_monthly[:, mth],
            )
        )
    # (d) the company's annual total
    sim_annual = sim_monthly.sum(axis=1)
    rows.append(
        _check("annual_total", str(year), act_monthly.sum(), float(sim_annual.mean()), sim_annual)
    )
    checks = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))

    p10, p50, p90 = np.quantile(sim_rep_year, [0.1, 0.5, 0.9], axis=0)
    reps = pd.DataFrame(
        {
            "rep_id": ids,
            "actual": act_rep_year,
            "quota": quota,
            "at_quota": act_rep_year >= quota,
            "sim_p10": p10,
            "sim_p50": p50,
            "sim_p90": p90,
            "percentile": _rank(sim_rep_year, act_rep_year),
            "inside": (p10 <= act_rep_year) & (act_rep_year <= p90),
        }
    )
    attrs = {
        "year": year,
        "n_sims": n_sims,
        "seed_entropy": _entropy(root),
        "spm_sim_version": package_version(),
    }
    for frame in (checks, reps, excluded):
        frame.attrs.update(attrs)
    return Backtest(
        year=year,
        n_sims=n_sims,
        seed_entropy=_entropy(root),
        rep_ids=tuple(ids),
        excluded=excluded,
        checks=checks,
        reps=reps,
        sim_rep_year=sim_rep_year,
        sim_monthly=sim_monthly,
        sim_share_at_quota=sim_share,
        actual_monthly=act_monthly,
        quota=quota,
        fit_span=(str(model.fit.get("history_start")), str(model.fit.get("history_end"))),
    )


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, eq=False)
class FitReport:
    """How well the productivity model fits a book: parameters, reps, back-test.

    Attributes
    ----------
    plan_year : int
    parameters : DataFrame
        :func:`parameter_table`: one row per parameter with ``estimate, std_error,
        low, high`` (90%), ``unit`` and ``note``.
    reps : DataFrame
        :func:`rep_table`: per rep employed on 1 January of the plan year.
    backtest : Backtest
        The year before the plan year, simulated from the history before it.
    model : ProductivityModel
        The model fitted for the plan year.
    currency : str
    """

    plan_year: int
    parameters: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    backtest: Backtest = field(repr=False)
    model: ProductivityModel = field(repr=False)
    currency: str = "USD"

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by file stem: parameters, reps, backtest_checks, _reps, _excluded."""
        return {
            "parameters": self.parameters,
            "reps": self.reps,
            "backtest_checks": self.backtest.checks,
            "backtest_reps": self.backtest.reps,
            "backtest_excluded": self.backtest.excluded,
        }

    def describe(self, width: int | None = None, *, table: TableLayout | None = None) -> str:
        """The report as plain text: parameters, reps, back-test tables and verdicts.

        Every number is in fixed-point notation and every column of the tables is
        shown (the CSV tables of :meth:`tables` hold the same columns).

        Parameters
        ----------
        width : int, optional
            With the default layout, a table wider than this many characters is
            split into blocks of columns, one under the other, as pandas does;
            default: each table on full lines.
        table : callable, optional
            Lays out each table instead: called as ``table(headings, rows,
            labels)`` with the column headings, the rows of cell text and the number
            of label columns at the left, it returns the table's lines (the command
            line passes its own, which fits the terminal).

        Examples
        --------
        >>> from spm_sim import load_sample
        >>> r = fit_report(load_sample(), plan_year=2026, n_sims=20)
        >>> text = r.describe(table=lambda h, rows, left: " | ".join(h))
        >>> "parameter | estimate | std error | low | high | unit" in text
        True
        """
        return _describe(self, width, table)


def fit_report(
    book: Book, *, plan_year: int, n_sims: int = 1000, rng: RngLike = 0, progress: bool = False
) -> FitReport:
    """Report the productivity fit of a book for a plan year, with a back-test.

    Parameters
    ----------
    book : Book
    plan_year : int
        The model for this year is reported; the back-test simulates the year before
        (``Y = plan_year - 1``) from the history before ``Y``.
    n_sims : int, default 1000
        Simulated years of the back-test (at least 20).
    rng : int, SeedSequence or Generator, default 0
        Root of the back-test's streams, normalised once by
        :func:`spm_sim.random.seed_sequence` (``None`` is seed 0): simulated year ``i``
        draws from the root's stream ``trial`` (spawn key ``(i,)``,
        :func:`spm_sim.random.trial_rng`), so the same ``rng`` gives the same report
        and ``n`` trials are a prefix of ``n + k``.
    progress : bool, default False
        Show a progress bar over the back-test's simulated years (tqdm: a widget in
        a notebook, else on stderr); the numbers do not depend on it.

    Returns
    -------
    FitReport

    Raises
    ------
    DataError
        If the history before ``Y`` has fewer than 12 months (the message names the
        years the book holds), if ``Y`` is not complete in the book, or no rep was
        employed for the whole of ``Y``.

    Notes
    -----
    The back-test fits ``fit_productivity(book, plan_year=Y, rep_ids=...)`` on the
    reps employed every day of ``Y``; reps hired or leaving during ``Y`` are
    excluded (and listed), with their deals. Quotas for the share at quota are the
    ``history`` method for ``Y`` with growth 0. A calibrated model puts the actual
    inside the P10-P90 band about 80% of the time: over 12 months expect 8 to 11
    inside; a single year's total or share outside the band is a 1-in-5 event, not
    proof of a bad fit, but several checks outside on the same side are a warning.

    The parameters' standard errors are large-sample formulas, not a bootstrap: the
    seasonality's by the Poisson delta method on the monthly deal counts (plus the
    fitted company shock), the others as listed in :func:`parameter_table`. Their
    calibration is checked on synthetic books in
    ``tests/test_productivity_recovery.py``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> r = fit_report(load_sample(), plan_year=2026, n_sims=50)
    >>> 0 <= r.backtest.annual_percentile <= 1
    True
    >>> r.backtest.excluded["rep_id"].tolist()
    ['R069', 'R082', 'R083', 'R084', 'R085']
    """
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 20:
        raise ValueError(f"n_sims must be a whole number of at least 20, got {n_sims!r}.")
    root = seed_sequence(rng)  # once, before the fits: a Generator would move on
    year = plan_year - 1
    _require_history(book, plan_year, year)
    model = fit_productivity(book, plan_year=plan_year)
    parameters = parameter_table(book, plan_year=plan_year)
    reps = rep_table(model)
    reps.attrs.update({"plan_year": plan_year, "spm_sim_version": package_version()})
    bt = backtest_year(
        book, year=year, n_sims=int(n_sims), rng=root, plan_year=plan_year, progress=progress
    )
    return FitReport(
        plan_year=plan_year,
        parameters=parameters,
        reps=reps,
        backtest=bt,
        model=model,
        currency=getattr(book, "currency", "USD"),
    )


# --------------------------------------------------------------------------- text


#: Lays out one table of text: (headings, rows of cells, label columns) -> lines.
TableLayout = Callable[[list[str], list[list[str]], int], str]


def _num(x: float) -> str:
    """A parameter in fixed-point notation, never ``e``: whole with thousands
    separators from 1,000 up, else four significant digits (at most six decimals);
    what rounds to zero there, such as a slope of ``-6.951e-18``, is ``0``.

    Examples
    --------
    >>> [_num(v) for v in (24391.2, 1233.4, 3.83333, 0.016271, 1.23e-05, -6.951e-18, 100.0)]
    ['24,391', '1,233', '3.833', '0.01627', '0.000012', '0', '100']
    """
    if x is None or not np.isfinite(x):
        return ""
    if abs(x) >= 1e3:
        return f"{x:,.0f}"
    if abs(x) < 5e-7:
        return "0"
    decimals = min(max(3 - int(np.floor(np.log10(abs(x)))), 0), 6)
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pandas_table(header: list[str], rows: list[list[str]], left: int, width: int | None) -> str:
    """The default layout: pandas' text table, split into blocks of columns (each
    block ending in ``\\``) when wider than ``width``; the first ``left`` columns
    aligned left."""
    frame = pd.DataFrame(rows, columns=header)
    formatters = {c: _left(int(frame[c].str.len().max())) for c in header[:left]}
    line_width = None if width is None else max(width - 2, 20)
    return frame.to_string(index=False, line_width=line_width, formatters=formatters)


#: Column headings as printed (the CSV tables keep the column names).
_HEADINGS = {
    "std_error": "std error",
    "sim_p10": "sim P10",
    "sim_p50": "sim P50",
    "sim_p90": "sim P90",
}


def _left(width: int) -> Callable[[str], str]:
    """A pandas formatter aligning a text column to the left over ``width``."""
    return lambda v: f"{v:<{width}}"


def _text_table(frame: pd.DataFrame, left: int, layout: TableLayout) -> str:
    """``frame`` (every cell text) laid out by ``layout``, indented two spaces;
    every column is kept (none is dropped to fit)."""
    header = [_HEADINGS.get(str(c), str(c)) for c in frame.columns]
    rows = [[str(v) for v in row] for row in frame.to_numpy()]
    text = layout(header, rows, left)
    return "\n".join(("  " + line).rstrip() for line in text.splitlines())


def _check_value(check: str, x: float, cur: str) -> str:
    if check == "share_at_quota":
        return format_pct(x)
    if check == "rep_year_ks":
        return f"{x:.3f}"
    return format_money(x, currency=cur)


def _describe(r: FitReport, width: int | None = None, table: TableLayout | None = None) -> str:
    cur = r.currency
    layout: TableLayout = table or (lambda h, rows, left: _pandas_table(h, rows, left, width))
    p = r.parameters.set_index("parameter")
    f = r.model.fit
    out = [
        f"Productivity model for {r.plan_year}: fitted on {f.get('history_start')} to "
        f"{f.get('history_end')} ({int(p.loc['n_deals', 'estimate']):,} deals, "
        f"{int(p.loc['n_months', 'estimate'])} months).",
        "",
        "Parameters (std error; low-high is a 90% interval):",
    ]
    show = r.parameters.copy()
    for col in ("estimate", "std_error", "low", "high"):
        show[col] = show[col].map(_num)
    columns = ["parameter", "estimate", "std_error", "low", "high", "unit"]
    out.append(_text_table(show[columns], 1, layout))

    reps = r.reps
    if len(reps):
        w = reps["rate_weight"]
        low_w = reps.loc[w.idxmin()]
        widest = (reps["deal_rate_high"] / reps["deal_rate_low"]).idxmax()
        out += [
            "",
            f"Reps ({len(reps)} employed on {r.plan_year}-01-01): deal rate per month median "
            f"{reps['deal_rate'].median():.2f} (P10 {reps['deal_rate'].quantile(0.1):.2f}, "
            f"P90 {reps['deal_rate'].quantile(0.9):.2f}). Share of a rep's rate from their own "
            f"history: median {format_pct(w.median(), decimals=0)}, lowest "
            f"{format_pct(low_w['rate_weight'], decimals=0)} ({low_w['rep_id']}, "
            f"{low_w['exposure_months']:.1f} months of exposure). Widest 90% interval: "
            f"{reps.loc[widest, 'rep_id']} {reps.loc[widest, 'deal_rate_low']:.2f} to "
            f"{reps.loc[widest, 'deal_rate_high']:.2f} deals a month.",
        ]

    bt = r.backtest
    y = bt.year
    out += [
        "",
        f"Back-test of {y}: the model fitted on {bt.fit_span[0]} to {bt.fit_span[1]}, "
        f"{bt.n_sims:,} simulated years (seed entropy {bt.seed_entropy}), against what "
        f"happened in {y}.",
        f"  Compared: {len(bt.rep_ids)} reps employed for the whole of {y}.",
    ]
    if len(bt.excluded):
        hired = bt.excluded[bt.excluded["reason"].str.startswith("hired")]
        left = bt.excluded[~bt.excluded["reason"].str.startswith("hired")]
        parts = []
        if len(hired):
            parts.append(f"{len(hired)} hired during {y} ({', '.join(hired['rep_id'])})")
        if len(left):
            parts.append(f"{len(left)} left during {y} ({', '.join(left['rep_id'])})")
        out.append(
            f"  Excluded {len(bt.excluded)} reps: {'; '.join(parts)}. Their deals are left out "
            "of every comparison, company totals included."
        )
    else:
        out.append(f"  Excluded 0 reps: everyone employed in {y} was there all year.")
    show = bt.checks.copy()
    for col in ("actual", "simulated", "sim_p10", "sim_p50", "sim_p90"):
        show[col] = [_check_value(c, v, cur) for c, v in zip(show["check"], show[col], strict=True)]
    show["percentile"] = show["percentile"].map(lambda v: format_pct(v, decimals=0))
    show["inside"] = show["inside"].map({True: "yes", False: "NO"})
    out += ["", _text_table(show, 2, layout)]

    ks = bt.check("rep_year_ks").iloc[0]
    share = bt.check("share_at_quota").iloc[0]
    annual = bt.check("annual_total").iloc[0]
    inside = int(bt.check("monthly_total")["inside"].sum())
    rep_in = bt.reps["inside"]
    verdict = "inside" if annual["inside"] else "OUTSIDE"
    out += [
        "",
        f"  Monthly totals: {inside} of 12 months inside the simulated P10-P90 band "
        f"(coverage {format_pct(bt.coverage, decimals=0)}; 80% expected, 8 to 11 months "
        "typical).",
        f"  Annual total: {format_money(annual['actual'], currency=cur)} actual, at the "
        f"{format_pct(annual['percentile'], decimals=0)} point of the simulation "
        f"(P10 {format_money(annual['sim_p10'], currency=cur)}, P90 "
        f"{format_money(annual['sim_p90'], currency=cur)}): {verdict} the 80% band.",
        f"  Share of reps at or above quota (history quotas for {y}, growth 0): "
        f"{format_pct(share['actual'])} actual, simulated P50 {format_pct(share['sim_p50'])} "
        f"(P10 {format_pct(share['sim_p10'])}, P90 {format_pct(share['sim_p90'])}).",
        f"  Rep-year bookings: KS distance {ks['actual']:.3f} between the actual reps and the "
        f"simulation; simulated years give {ks['sim_p50']:.3f} (P50) and {ks['sim_p90']:.3f} "
        f"(P90); the actual is at the {format_pct(ks['percentile'], decimals=0)} point.",
        f"  Reps inside their own P10-P90: {int(rep_in.sum())} of {len(rep_in)} "
        f"({format_pct(rep_in.mean(), decimals=0)}; 80% expected).",
    ]
    return "\n".join(out)
