"""The forecast of a year in progress: what is known as of a date, and the rest drawn.

:class:`Forecast` is the value every in-year view reads (accruals, leaderboards,
contests, warnings, the tracking report): the year's actual months up to the as-of
date, and ``n_trials`` draws of the rest of the year conditioned on them, paid
through the same :func:`spm_sim.comp.payout` kernel as the payroll and the Monte
Carlo. Months (and the part of the as-of month) before the as-of date are the
same in every trial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.comp import Payout, Plan

__all__ = ["Forecast", "QUOTA_TOL"]

#: Attainment within this of 100% counts as reaching quota (sums of cents).
QUOTA_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Forecast:
    """A year in progress: actuals to the as-of date and draws of the rest.

    Attributes
    ----------
    plan : Plan
    year : int
        The calendar year tracked.
    as_of : pandas.Timestamp
        The last day whose deals are known (inclusive).
    book_name, currency : str
    rep_ids, rep_names : tuple of str
        The reps with quota in the year, the order of every rep axis.
    periods : tuple of str
        ``"YYYY-MM"``, the twelve months of ``year``.
    quotas : ndarray, shape (n_reps, 12)
        Quota per rep and month, in the plan's currency.
    target_incentive : ndarray, shape (n_reps,)
    actual : ndarray, shape (n_reps, 12)
        Credited bookings known at ``as_of`` (0 after it).
    bookings : ndarray, shape (n_trials, n_reps, 12)
        Credited bookings of the whole year per trial: ``actual`` plus the draws.
    from_pipeline : ndarray, shape (n_trials, n_reps, 12)
        The part of ``bookings`` that closes from the open pipeline at ``as_of``.
    measures : dict of str to ndarray (n_trials, n_reps, 12)
        Every measure the plan pays on (actual plus drawn), as the kernel takes them.
    payout : Payout
        The kernel's result on ``bookings``, leading shape ``(n_trials,)``.
    paid_to_date : ndarray, shape (n_reps, 12, n_columns)
        What the payroll owes for the months through ``as_of`` on the deals known
        then (the actual-payout kernel on ``actual``, in cents-rounded money).
    pipeline : DataFrame
        The open pipeline at ``as_of``, one row per opportunity, with the calibrated
        ``p_win`` (probability of closing won by 31 December) and ``expected_month``.
    pipeline_model : Any
        The calibrated pipeline model (win and timing by stage and age), with the
        counts it was estimated from; ``None`` when the book has no pipeline history
        (the CRM's own probabilities are then used, and ``notes`` say so).
    seed_entropy : int
        The root seed of the draws (same seed, same numbers).
    notes : tuple of str
        Plain sentences on what the forecast assumed (fallbacks, blocks applied).
    regions : tuple of str
        Each rep's region from ``reps.csv`` (empty when not known), for views per region.
    info : dict
        Anything else the forecast recorded: ``seconds`` (wall time), ``model`` (the
        productivity model updated on the year to date, selling new business only),
        ``new_business_share`` (the share of each month's deals still to come that
        are created after ``as_of``: shape (12,), or (n_reps, 12) in the fallback
        without pipeline history, the same in every month left), ``direct_share``
        (the share of bookings that came through no opportunity, always new
        business), ``expected_rest`` (shape (n_reps,): what the productivity model,
        updated on the year to date, expects each rep to book after ``as_of``,
        pipeline and new business together), ``elapsed`` (share of each month
        known), ``engine``,
        ``open_opportunities``, ``ytd_deals``, ``ytd_exposure_months``,
        ``rate_before`` / ``rate_after`` (mean monthly deal rate before and after the
        update).

    Notes
    -----
    Added by the forecast (for VIEWS): the ``pipeline`` frame's columns are
    ``opportunity_id, rep_id, account_id, product, stage, amount, probability,
    created_date, expected_close_date, on_quota`` (False: the rep is not on this
    plan's quota or left by ``as_of``, so a win is not credited), ``overdue``,
    ``p_win``, ``expected_month`` (1-12, mean month of the win given a win; NaN if
    never won) and ``expected_amount`` (``p_win x amount``). Properties:
    :attr:`attainment`, :attr:`company_bookings`, :attr:`incentive`,
    :attr:`p_quota`, :attr:`new_business`, :attr:`first_open_month`, and
    :meth:`rep_summary`.
    """

    plan: Plan
    year: int
    as_of: pd.Timestamp
    book_name: str
    currency: str
    rep_ids: tuple[str, ...]
    rep_names: tuple[str, ...]
    periods: tuple[str, ...]
    quotas: np.ndarray
    target_incentive: np.ndarray
    actual: np.ndarray
    bookings: np.ndarray
    from_pipeline: np.ndarray
    measures: dict[str, np.ndarray]
    payout: Payout
    paid_to_date: np.ndarray
    pipeline: pd.DataFrame
    pipeline_model: Any
    seed_entropy: int
    notes: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict, repr=False)
    regions: tuple[str, ...] = ()

    @property
    def n_trials(self) -> int:
        return int(self.bookings.shape[0])

    @property
    def n_reps(self) -> int:
        return len(self.rep_ids)

    @property
    def months_known(self) -> int:
        """Months of the year that have begun by ``as_of`` (1 to 12; 0 before the year)."""
        if self.as_of.year < self.year:
            return 0
        if self.as_of.year > self.year:
            return 12
        return int(self.as_of.month)

    @property
    def first_open_month(self) -> int:
        """Index (0-11) of the first month with anything left to draw (12: none).

        The as-of month itself when ``as_of`` is not its last day.
        """
        if self.as_of.year < self.year:
            return 0
        if self.as_of.year > self.year:
            return 12
        last = self.as_of.day == self.as_of.days_in_month
        return int(self.as_of.month) if last else int(self.as_of.month) - 1

    @property
    def new_business(self) -> np.ndarray:
        """Drawn bookings from deals not in the pipeline at ``as_of``, (n_trials, n_reps, 12)."""
        return self.bookings - self.actual[None] - self.from_pipeline

    @property
    def attainment(self) -> np.ndarray:
        """Year-end attainment per trial and rep, shape (n_trials, n_reps); NaN without quota."""
        q = self.quotas.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q > 0, self.bookings.sum(axis=2) / np.where(q > 0, q, 1.0), np.nan)

    @property
    def company_bookings(self) -> np.ndarray:
        """The company's bookings of the year per trial, shape (n_trials,)."""
        return self.bookings.sum(axis=(1, 2))

    @property
    def incentive(self) -> np.ndarray:
        """The company's incentive cost of the year per trial, shape (n_trials,)."""
        return self.payout.total.sum(axis=-1)

    @property
    def made_quota(self) -> np.ndarray:
        """Whether each rep reaches the year's quota in each trial, shape (n_trials, n_reps).

        The one rule every view counts by: attainment at least ``1 - QUOTA_TOL`` (sums of
        cents land a hair under 100%); False for a rep without quota.
        """
        att = self.attainment
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(att, nan=0.0) >= 1.0 - QUOTA_TOL

    @property
    def p_quota(self) -> np.ndarray:
        """Each rep's chance of reaching the year's quota, shape (n_reps,); NaN without quota."""
        has = self.quotas.sum(axis=1) > 0
        return np.where(has, self.made_quota.mean(axis=0), np.nan)

    def rep_summary(self) -> pd.DataFrame:
        """One row per rep: quota, actual to date, expected year-end, P(quota), payout.

        Returns
        -------
        DataFrame
            ``rep_id, name, quota, actual, pipeline, new_business, expected_bookings,
            expected_attainment, attainment_p10, attainment_p50, attainment_p90,
            p_quota, paid_to_date, expected_payout, payout_p10, payout_p90``.
        """
        att = self.attainment
        pay = self.payout.total
        with np.errstate(invalid="ignore"):
            p10, p50, p90 = (
                np.nanpercentile(att, [10, 50, 90], axis=0)
                if att.size
                else (
                    np.nan,
                    np.nan,
                    np.nan,
                )
            )
        frame = pd.DataFrame(
            {
                "rep_id": list(self.rep_ids),
                "name": list(self.rep_names),
                "quota": self.quotas.sum(axis=1),
                "actual": self.actual.sum(axis=1),
                "pipeline": self.from_pipeline.sum(axis=2).mean(axis=0),
                "new_business": self.new_business.sum(axis=2).mean(axis=0),
                "expected_bookings": self.bookings.sum(axis=2).mean(axis=0),
                "expected_attainment": att.mean(axis=0),
                "attainment_p10": p10,
                "attainment_p50": p50,
                "attainment_p90": p90,
                "p_quota": self.p_quota,
                "paid_to_date": self.paid_to_date.sum(axis=(1, 2)),
                "expected_payout": pay.mean(axis=0),
                "payout_p10": np.percentile(pay, 10, axis=0),
                "payout_p90": np.percentile(pay, 90, axis=0),
            }
        )
        frame.attrs.update(
            plan=self.plan.name,
            year=self.year,
            as_of=f"{self.as_of:%Y-%m-%d}",
            currency=self.currency,
        )
        return frame
