"""A synthetic book whose reps respond to the plan by known amounts.

To check the estimator: generate a book with a known response, estimate it back
(:func:`spm_sim.response.estimate_behaviour`) and see that each estimate's interval
holds the size the book was made with (``tests/test_response.py`` does this).

The book's deals follow the estimator's own model, month by month:

* every rep has a skill (lognormal across reps), every month of the year a weight
  (seasonality), the company a trend, and each rep-year a level (lognormal, so
  reps' attainments spread and some fall far behind or far ahead);
* the first year is history (no quotas, no response); each later year's quotas are
  set from the book so far with :func:`spm_sim.quota.quotas_from_history`, the
  estimator's own reconstruction;
* at the start of each month a rep's states are read from their bookings so far
  (:func:`.states.month_states`): with nothing more to earn (a threshold out of
  reach, or near the cap) effort is ``min_effort``; otherwise it is the expected
  marginal pay at the projected attainment (x TCR, read in ``[0.05, 4]``) to the
  power ``effort_elasticity``; effort multiplies the month's expected deals;
* at a settlement month (December; quarter ends for quarterly components) a rep
  within one month's quota of an edge (threshold, accelerator start) pulls in
  ``pull_forward`` of next month's expected deals, and next month's own deals are
  that much fewer.

Deal counts are Poisson, deal sizes lognormal.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from spm_sim.book import Book
from spm_sim.comp import Plan, standard_plan
from spm_sim.quota import QuotaSettings, quotas_from_history
from spm_sim.random import RngLike

from .states import month_states, plan_shape

__all__ = ["synthetic_book", "synthetic_plan"]

_SEASON = np.array([0.8, 0.9, 1.1, 0.9, 1.0, 1.1, 0.85, 0.85, 1.1, 1.0, 1.05, 1.25])


def synthetic_plan() -> Plan:
    """The plan the synthetic book's reps respond to by default.

    A threshold at 50% of quota, 1x TCR to quota, 2x above, attainment capped at
    150%, paid on a quarterly true-up: quarter ends are settlements, and the cap
    is within reach of enough reps to identify the effort with nothing more to earn.

    Examples
    --------
    >>> p = synthetic_plan()
    >>> p.components[0].period, p.components[0].attainment_cap
    ('quarter', 1.5)
    """
    plan = standard_plan(
        name="Synthetic quarterly plan", threshold=0.5, accelerator=2.0, attainment_cap=1.5
    )
    return plan.replace(components=(plan.components[0].replace(period="quarter"),))


def _check(name: str, value: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ValueError(f"synthetic_book: {name} must be a number; got {value!r}")
    if not (low <= value <= high):
        raise ValueError(f"synthetic_book: {name} must be in [{low:g}, {high:g}]; got {value!r}")
    return float(value)


def synthetic_book(
    *,
    effort_elasticity: float = 0.0,
    min_effort: float = 1.0,
    pull_forward: float = 0.0,
    plan: Plan | None = None,
    reps: int = 60,
    first_year: int = 2022,
    years: int = 3,
    deals_per_month: float = 8.0,
    deal_sigma: float = 1.0,
    year_spread: float = 0.3,
    rng: RngLike = None,
) -> Book:
    """A book of ``years`` years whose reps respond to ``plan`` by known amounts.

    Parameters
    ----------
    effort_elasticity : float, default 0.0
        Effort = marginal pay (x TCR) to this power, in [0, 2].
    min_effort : float, default 1.0
        Effort with nothing more to earn (threshold out of reach, near the cap), in
        (0, 1.5].
    pull_forward : float, default 0.0
        Share of next month's expected deals a rep near an edge pulls into a
        settlement month, in [0, 0.9].
    plan : Plan, optional
        The plan reps respond to; default :func:`synthetic_plan`.
    reps : int, default 60
    first_year : int, default 2022
        The first (history) year; quotas and the response start the year after.
    years : int, default 3
        Years of bookings, at least 2.
    deals_per_month : float, default 8.0
        A median rep's expected deals a month.
    deal_sigma : float, default 1.0
        Log-sd of deal sizes (median 10,000).
    year_spread : float, default 0.3
        Log-sd of a rep-year's level around the rep's skill.
    rng : int, SeedSequence or Generator, optional

    Returns
    -------
    Book
        ``reps`` AEs hired long before the first year (no ramp), one account each,
        the bookings, no pipeline; ``book.meta`` holds the sizes generated with.

    Examples
    --------
    >>> book = synthetic_book(reps=10, years=2, rng=0)
    >>> book.years, len(book.reps)
    ((2022, 2023), 10)
    >>> book.meta["pull_forward"]
    0.0
    """
    eta = _check("effort_elasticity", effort_elasticity, 0.0, 2.0)
    low = _check("min_effort", min_effort, 1e-3, 1.5)
    theta = _check("pull_forward", pull_forward, 0.0, 0.9)
    _check("deals_per_month", deals_per_month, 0.1, 1000.0)
    _check("deal_sigma", deal_sigma, 0.0, 3.0)
    _check("year_spread", year_spread, 0.0, 2.0)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
        raise ValueError(f"synthetic_book: reps must be a whole number >= 2; got {reps!r}")
    if isinstance(years, bool) or not isinstance(years, int) or not 2 <= years <= 20:
        raise ValueError(f"synthetic_book: years must be a whole number in [2, 20]; got {years!r}")
    gen = np.random.default_rng(rng)
    plan = plan if plan is not None else synthetic_plan()
    shape = plan_shape(plan)
    size_mean = 10_000.0 * np.exp(deal_sigma**2 / 2)
    disp = 10_000.0 * np.exp(1.5 * deal_sigma**2)  # E[X^2] / E[X]
    rep_ids = [f"S{i + 1:03d}" for i in range(reps)]
    reps_frame = pd.DataFrame(
        {
            "rep_id": rep_ids,
            "name": [f"Synthetic rep {i + 1}" for i in range(reps)],
            "region": np.where(np.arange(reps) % 2 == 0, "North", "South"),
            "role": "AE",
            "hire_date": "2010-01-04",
            "base_salary": 90_000.0,
            "target_incentive": 60_000.0,
        }
    )
    accounts = pd.DataFrame(
        {"account_id": [f"A{i + 1:04d}" for i in range(reps)], "name": "Account", "rep_id": rep_ids}
    )
    skill = np.exp(gen.normal(0.0, 0.4, reps) - 0.08)
    level = np.exp(gen.normal(0.0, year_spread, (years, reps)) - year_spread**2 / 2)
    trend = 1.05 ** np.arange(years)
    # expected deals of each rep-month without a response, shape (years, reps, 12)
    lam = deals_per_month * skill[None, :, None] * level[:, :, None] * trend[:, None, None]
    lam = lam * _SEASON[None, None, :]
    deals: list[pd.DataFrame] = []
    book = None
    owed = np.zeros(reps)  # share of this month's deals pulled into the previous one
    for k in range(years):
        year = first_year + k
        quotas = None
        if k > 0:
            book = _as_book(reps_frame, accounts, deals, first_year)
            q = quotas_from_history(book, plan_year=year, settings=QuotaSettings(growth=0.0))
            quotas = _align(q, rep_ids)
        ytd = np.zeros(reps)
        for m in range(1, 13):
            mean = lam[k, :, m - 1] * (1.0 - owed)
            pull = np.zeros(reps)
            owed = np.zeros(reps)
            if quotas is not None:
                st = month_states(shape, m, ytd, quotas, disp)
                flat = np.maximum(st["give_up"], st["near_cap"]) > 0
                effort = np.where(flat, low, np.exp(eta * st["effort_term"]))
                mean = mean * effort
                if theta > 0:
                    nxt = lam[k + 1, :, 0] if m == 12 and k + 1 < years else lam[k, :, m % 12]
                    on = st["near_edge"] > 0
                    pull = np.where(on, theta * nxt * effort, 0.0)
                    owed = np.where(on, theta, 0.0)
            amounts = _month_deals(gen, deals, rep_ids, year, m, mean, pull, deal_sigma)
            ytd = ytd + amounts
        if k + 1 == years:
            break
    out = _as_book(reps_frame, accounts, deals, first_year)
    meta = {
        "effort_elasticity": eta,
        "min_effort": low,
        "pull_forward": theta,
        "plan": plan.name,
        "deal_mean": size_mean,
    }
    return replace(
        out,
        description="synthetic book with a known response (spm_sim.response.synthetic_book)",
        meta=MappingProxyType(meta),
    )


def _align(q, rep_ids: list[str]) -> np.ndarray:
    index = {r: i for i, r in enumerate(q.rep_ids)}
    out = np.zeros((len(rep_ids), 12))
    for j, r in enumerate(rep_ids):
        if r in index:
            out[j] = q.values[index[r]]
    return out


def _month_deals(gen, deals, rep_ids, year, m, mean, pull, sigma) -> np.ndarray:
    """Draw a month's deals (own and pulled-in) into ``deals``; each rep's total."""
    n_own = gen.poisson(mean)
    n_pull = gen.poisson(pull)
    n = n_own + n_pull
    total = int(n.sum())
    sizes = 10_000.0 * np.exp(sigma * gen.standard_normal(total))
    rep_idx = np.repeat(np.arange(len(rep_ids)), n)
    start = pd.Timestamp(year=year, month=m, day=1)
    last = (start + pd.offsets.MonthEnd(0)).day
    day = gen.integers(1, last + 1, total)
    # the pulled deals of each rep (its last n_pull) sign on the month's last day
    first = np.cumsum(n) - n
    pulled = np.arange(total) >= (first + n_own)[rep_idx]
    day = np.where(pulled, last, day)
    dates = start + pd.to_timedelta(day - 1, unit="D")
    if total:
        deals.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "rep_id": np.asarray(rep_ids)[rep_idx],
                    "amount": np.round(sizes, 2),
                }
            )
        )
    return np.bincount(rep_idx, weights=sizes, minlength=len(rep_ids))


def _as_book(reps_frame, accounts, deals, first_year) -> Book:
    frame = pd.concat(deals, ignore_index=True)
    frame["account_id"] = "A" + frame["rep_id"].str[1:].str.zfill(4)
    frame["deal_id"] = [f"D{i + 1:07d}" for i in range(len(frame))]
    frame["product"] = "Core"
    return Book.from_frames(reps=reps_frame, accounts=accounts, bookings=frame, name="synthetic")
