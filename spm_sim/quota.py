"""Quotas per rep and period.

This first version sets quotas from history with a growth target (top-down): the
company target is last year's bookings times ``1 + growth``; the reps' quotas add
up to the target times ``1 + over_assignment`` and are split in proportion to each
rep's annualised, ramp-adjusted run rate over the trailing twelve months, with the
rep's plan-year ramp applied and a monthly split that follows the history's
seasonality. Later issues add the other methods (potential, capacity, bottom-up,
probability-calibrated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ._validation import DataError
from .productivity import DEFAULT_RAMP, exposure_months, history_end

__all__ = ["QuotaSettings", "Quotas", "quotas_from_history"]


class QuotaSettings(BaseModel):
    """How quotas are set (a frozen, validated spec).

    Parameters
    ----------
    method : {"history"}
        Top-down from the trailing year's bookings.
    growth : float, default 0.10
        Company target = last year's bookings x (1 + growth). Must be > -1.
    over_assignment : float, default 0.0
        Sum of rep quotas = company target x (1 + over_assignment); 0.10 = 10%.
    min_history_months : float, default 3
        A rep with less ramp-weighted selling time in the trailing year gets the
        median run rate of their region instead of their own.

    Examples
    --------
    >>> QuotaSettings(growth=0.08, over_assignment=0.05).growth
    0.08
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["history"] = "history"
    growth: float = Field(0.10, gt=-1.0, le=5.0, allow_inf_nan=False)
    over_assignment: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    min_history_months: float = Field(3.0, ge=0.0, le=12.0)


@dataclass(frozen=True)
class Quotas:
    """Quota per rep and period, with the company target they roll up to.

    Attributes
    ----------
    rep_ids : tuple of str
    periods : tuple of str
        ``"YYYY-MM"`` months of the plan year.
    values : ndarray, shape (n_reps, n_periods)
        Quota in money per rep and month.
    company_target : float
        The company's number (before over-assignment).
    settings : QuotaSettings
    basis : DataFrame
        Per rep: trailing bookings, selling months, run rate and where it came from.
    """

    rep_ids: tuple[str, ...]
    periods: tuple[str, ...]
    values: np.ndarray
    company_target: float
    settings: QuotaSettings
    basis: pd.DataFrame = field(compare=False, repr=False)

    @property
    def annual(self) -> np.ndarray:
        """Annual quota per rep, shape (n_reps,)."""
        return self.values.sum(axis=1)

    @property
    def over_assignment(self) -> float:
        """Realised over-assignment: sum of quotas / company target - 1."""
        return float(self.values.sum() / self.company_target - 1.0)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame ``rep_id, period, quota`` with the method and inputs in ``attrs``."""
        df = pd.DataFrame(
            {
                "rep_id": np.repeat(self.rep_ids, len(self.periods)),
                "period": np.tile(self.periods, len(self.rep_ids)),
                "quota": self.values.ravel(),
            }
        )
        df.attrs.update(
            method=self.settings.method,
            settings=self.settings.model_dump(),
            company_target=self.company_target,
        )
        return df


def quotas_from_history(
    book,
    *,
    plan_year: int,
    settings: QuotaSettings | None = None,
    rep_ids: list[str] | tuple[str, ...] | None = None,
    ramp: tuple[float, ...] = DEFAULT_RAMP,
) -> Quotas:
    """Set quotas top-down from the trailing year's bookings.

    Parameters
    ----------
    book : Book
    plan_year : int
        The year the quotas are for; the trailing year is ``plan_year - 1``.
    settings : QuotaSettings, optional
        Growth and over-assignment; default ``QuotaSettings()``.
    rep_ids : sequence of str, optional
        Reps who carry quota; default every rep employed on at least one day of the
        plan year (``hire_date`` on or before 31 December, ``term_date`` empty or on
        or after 1 January), so reps hired during the year and reps who leave during
        it carry quota for the part of the year they are there.
    ramp : tuple of float
        Ramp factor per quarter of tenure (see ``productivity.ramp_factor``).

    Returns
    -------
    Quotas

    Notes
    -----
    The trailing year is the twelve months up to the end of the history (the
    book's snapshot date, see ``productivity.history_end``). With ``B`` its bookings,
    ``g`` the growth and ``o`` the over-assignment:

    * company target ``T = B (1 + g)``;
    * seasonal weights ``w_m`` (mean 1): bookings per selling month in each calendar
      month over the whole history;
    * run rate of rep ``r``: ``rr_r = 12 b_r / sum_m w_m E_rm``, their trailing-year
      bookings over ramp-weighted, season-weighted selling months, so a rep who was
      there only for the strong fourth quarter is not overstated. A rep with less
      than ``min_history_months`` of selling time, or no bookings, gets the median run
      rate of their region (of the company if the region has none);
    * plan-year capacity ``c_rm = w_m e_rm / 12``, with ``e_rm`` the rep's
      ramp-weighted exposure in month ``m`` (``productivity.exposure_months``: the
      share of the month employed times the ramp factor of the tenure then);
    * quota ``q_rm = T (1 + o) rr_r c_rm / sum_r' (rr_r' sum_m c_r'm)``, so the quotas
      add up to ``T (1 + o)`` exactly.

    A rep hired during the plan year has no history, so gets the region median run
    rate (``run_rate_source`` says ``"region median (hired during plan year)"``) and
    a quota only from the month of hire, prorated by the days employed in that
    month and ramped by tenure. A rep who leaves during the plan year has quota up
    to the ``term_date`` (the last day worked, prorated in that month) and none
    after it.

    Raises
    ------
    DataError
        If the history does not cover the trailing twelve months, or ends before the
        year before the plan year begins, a requested rep is unknown, or (by default)
        no rep is employed in the plan year.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> q = quotas_from_history(load_sample(), plan_year=2025)
    >>> basis = q.basis.set_index("rep_id")
    >>> basis.loc["R084", "run_rate_source"]          # hired 2025-05-01
    'region median (hired during plan year)'
    >>> bool((q.values[q.rep_ids.index("R084"), :4] == 0).all())   # nothing before May
    True
    >>> bool((q.values[q.rep_ids.index("R069"), 9:] == 0).all())   # left 2025-09-25
    True
    >>> bool(abs(q.values.sum() / q.company_target - 1.0) < 1e-12)  # no over-assignment
    True
    """
    settings = settings or QuotaSettings()
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    end = history_end(book, plan_year)
    since = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    # fixed order of every sum, so the file's row order cannot change a digit
    hist = book.bookings[book.bookings["date"] <= end].sort_values(["date", "deal_id"])
    last_year = hist[hist["date"] >= since]
    if last_year.empty or hist["date"].min() > since + pd.Timedelta(days=31):
        span = (
            f"{hist['date'].min().date()} to {hist['date'].max().date()}"
            if len(hist)
            else "nothing"
        )
        raise DataError(
            f"quota method 'history' needs the twelve months {since.date()} to {end.date()} "
            f"before plan year {plan_year}; the bookings up to {end.date()} cover {span}."
        )
    reps = book.reps.sort_values("rep_id").reset_index(drop=True)
    year_end = pd.Timestamp(year=plan_year, month=12, day=31)
    if rep_ids is None:
        # employed on at least one day of the plan year (term_date is the last day worked)
        employed = (reps["hire_date"] <= year_end) & (
            reps["term_date"].isna() | (reps["term_date"] >= start)
        )
        sel = reps[employed.to_numpy(dtype=bool)]
        if sel.empty:
            raise DataError(
                f"no rep of the book is employed on any day of {plan_year} (hire_date on or "
                f"before {year_end.date()} and term_date empty or on or after {start.date()}): "
                "nobody to set a quota for. Check the reps' dates, or pass rep_ids."
            )
    else:
        idx = pd.Index(reps["rep_id"].astype(str)).get_indexer([str(r) for r in rep_ids])
        if np.any(idx < 0):
            bad = [r for r, i in zip(rep_ids, idx, strict=True) if i < 0]
            raise DataError(f"rep_id {bad[0]!r} is not in the book's reps ({len(bad)} unknown).")
        sel = reps.iloc[idx]
    sel = sel.reset_index(drop=True)

    company_target = float(last_year["amount"].sum()) * (1.0 + settings.growth)
    season = _seasonal_weights(book, hist, end, ramp)

    months = pd.date_range(since.to_period("M").to_timestamp(), end, freq="MS")
    expo_m = exposure_months(sel, months, ramp=ramp, since=since, until=end)
    expo = expo_m.sum(axis=1)
    expo_season = (expo_m * season[months.month.values - 1][None, :]).sum(axis=1)
    b = last_year.groupby(last_year["rep_id"].astype(str))["amount"].sum()
    b_r = b.reindex(sel["rep_id"].astype(str)).fillna(0.0).to_numpy()
    own = 12.0 * b_r / np.where(expo_season > 0, expo_season, 1.0)
    usable = (expo >= settings.min_history_months) & (b_r > 0)
    reason = np.where(expo < settings.min_history_months, "short history", "no bookings")
    reason = np.where(sel["hire_date"].to_numpy() >= start, "hired during plan year", reason)
    region = sel["region"].astype(str).to_numpy()
    run_rate = own.copy()
    source = np.array(["own history"] * len(sel), dtype=object)
    for reg in np.unique(region):
        in_reg = region == reg
        fill = in_reg & ~usable
        if not fill.any():
            continue
        pool, where = own[in_reg & usable], "region"
        if pool.size == 0:
            pool, where = own[usable], "company"
        if pool.size == 0:
            raise DataError(
                f"no rep has {settings.min_history_months:g} selling months and bookings between "
                f"{since.date()} and {end.date()}; lower quota.min_history_months or provide "
                "more history."
            )
        run_rate[fill] = np.median(pool)
        source[fill] = [f"{where} median ({why})" for why in reason[fill]]

    plan_months = pd.date_range(start, periods=12, freq="MS")
    capacity = season[None, :] / 12.0 * exposure_months(sel, plan_months, ramp=ramp)
    weight = run_rate[:, None] * capacity
    values = company_target * (1.0 + settings.over_assignment) * weight / weight.sum()

    basis = pd.DataFrame(
        {
            "rep_id": sel["rep_id"].astype(str).to_numpy(),
            "region": region,
            "bookings_last_year": b_r,
            "selling_months_last_year": expo,
            "run_rate": run_rate,
            "run_rate_source": source,
            "plan_year_capacity": capacity.sum(axis=1),  # 1.0 = a full ramped year
            "annual_quota": values.sum(axis=1),
        }
    )
    basis.attrs.update(trailing_start=str(since.date()), trailing_end=str(end.date()))
    return Quotas(
        rep_ids=tuple(basis["rep_id"]),
        periods=tuple(plan_months.strftime("%Y-%m")),
        values=values,
        company_target=company_target,
        settings=settings,
        basis=basis,
    )


def _seasonal_weights(
    book, hist: pd.DataFrame, end: pd.Timestamp, ramp: tuple[float, ...]
) -> np.ndarray:
    """Bookings per selling month in each calendar month, scaled to mean 1.

    Dividing by the team's selling time (not just summing bookings by month) keeps a
    history that covers some months more often than others, or a team that grew, from
    tilting the weights.
    """
    months = pd.date_range(hist["date"].min().to_period("M").to_timestamp(), end, freq="MS")
    reps = book.reps.sort_values("rep_id")
    capacity = exposure_months(reps, months, ramp=ramp, until=end).sum(axis=0)
    moy = months.month.values - 1
    cap = np.bincount(moy, capacity, minlength=12)
    amount = np.bincount(
        hist["date"].dt.month.to_numpy() - 1, hist["amount"].to_numpy(float), minlength=12
    )
    rate = np.where(cap > 0, amount / np.where(cap > 0, cap, 1.0), 0.0)
    if rate.sum() <= 0:
        raise DataError("the bookings history has no amount to estimate seasonality from.")
    return rate / rate.mean()
