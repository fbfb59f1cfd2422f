"""Leaderboards and contests of a year in progress, with their probabilities.

:func:`leaderboard` ranks the reps three ways: by attainment to date, by pace (the
bookings to date against the quota due to date) and by the probability of making
quota by year end, with each rep's projected year-end attainment (P10, P50, P90).
:func:`contest_standings` gives, for every contest in the plan, each rep's total in
the contest window so far, the probability of finishing in each prize rank and of
winning any prize, and the expected prize; ties are shared as the payout kernel
shares them. Every probability carries its Wilson interval and every percentile or
mean its Monte Carlo interval (:mod:`spm_sim.metrics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from spm_sim.comp import Contest
from spm_sim.metrics import Interval, mean_interval, percentile_interval, proportion_interval

from .known import elapsed
from .result import Forecast

__all__ = ["leaderboard", "contest_standings", "quota_to_date", "actual_measure"]


def quota_to_date(forecast: Forecast) -> np.ndarray:
    """Each rep's quota due by the as-of date, shape ``(n_reps,)``.

    The quota of the months that have ended, plus the as-of month's quota pro rata
    to the days elapsed (the as-of day included).

    Examples
    --------
    >>> from spm_sim._track.accruals import example_forecast
    >>> quota_to_date(example_forecast(as_of="2025-06-15")).tolist()   # 5.5 months
    [550000.0, 550000.0, 550000.0]
    """
    q = np.asarray(forecast.quotas, dtype=float)
    return (q * elapsed(forecast.as_of, forecast.year)).sum(axis=1)


def actual_measure(forecast: Forecast, name: str) -> tuple[np.ndarray, bool]:
    """The units of measure ``name`` known at the as-of date, shape ``(n_reps, 12)``.

    Returns the array and whether it is exact: ``bookings`` is ``forecast.actual``;
    another measure comes from ``forecast.actual_measures`` (or
    ``info["actual_measures"]``) when the forecast has it, else it is read off the
    draws: exact for the months that have ended (every trial agrees), and for the
    as-of month the smallest value over the trials (a lower bound).
    """
    if name == "bookings":
        return np.asarray(forecast.actual, dtype=float), True
    known = getattr(forecast, "actual_measures", None) or forecast.info.get("actual_measures")
    if known and name in known:
        return np.asarray(known[name], dtype=float), True
    values = np.asarray(forecast.measures[name], dtype=float)
    out = values.min(axis=0)
    begun = forecast.months_known
    out[:, begun:] = 0.0
    return out, False


def _interval_columns(prefix: str, iv: Interval) -> dict[str, float]:
    return {prefix: iv.estimate, f"{prefix}_low": iv.low, f"{prefix}_high": iv.high}


def _known_mean(values: np.ndarray, level: float) -> Interval:
    """The mean with its interval; a zero-width one when every trial agrees."""
    iv = mean_interval(values, level=level)
    if values.size and np.ptp(values) == 0.0:
        return Interval(iv.estimate, iv.estimate, iv.estimate)
    return iv


def _rank(values: pd.Series) -> pd.Series:
    """1 for the highest; ties share the best rank; NaN stays unranked."""
    return values.rank(ascending=False, method="min").astype("Int64")


def leaderboard(forecast: Forecast, *, level: float = 0.95) -> pd.DataFrame:
    """Reps ranked by attainment to date, by pace and by their chance of making quota.

    Parameters
    ----------
    forecast : Forecast
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).

    Returns
    -------
    DataFrame
        One row per rep, ordered by ``rank_p_quota`` then ``rank_attainment``.
        Columns: ``rep_id``, ``rep_name``, ``currency``; ``quota`` (the year's),
        ``bookings_to_date``, ``attainment_to_date`` (bookings to date over the
        year's quota); ``quota_to_date`` (see :func:`quota_to_date`) and ``pace``
        (bookings to date over it: 1.0 is on pace); ``attainment_p10``,
        ``attainment_p50``, ``attainment_p90`` (projected year-end attainment, each
        with ``_low`` and ``_high``); ``p_quota`` (probability of ending the year at
        or above quota) with ``p_quota_low``, ``p_quota_high`` (Wilson);
        ``earned_to_date`` (the payroll to date) and ``payout_expected`` (the year's
        expected incentive) with its interval; ``rank_attainment``, ``rank_pace``,
        ``rank_p_quota`` (1 is best; ties share the best rank; empty for a rep
        without quota). ``attrs``: ``as_of``, ``plan``, ``year``, ``currency``,
        ``trials``, ``level``.

    Examples
    --------
    >>> from spm_sim._track.accruals import example_forecast
    >>> board = leaderboard(example_forecast())
    >>> board[["rep_id", "attainment_to_date", "pace", "rank_pace"]]
      rep_id  attainment_to_date  pace  rank_pace
    0   R003                 1.0   2.0          1
    1   R002                 0.6   1.2          2
    2   R001                 0.5   1.0          3
    >>> board.loc[0, ["p_quota", "p_quota_low"]].tolist()    # R003 is past quota
    [1.0, 1.0]
    """
    fc = forecast
    n = fc.n_trials
    quota = np.asarray(fc.quotas, dtype=float).sum(axis=1)
    to_date = np.asarray(fc.actual, dtype=float).sum(axis=1)
    due = quota_to_date(fc)
    year_end = np.asarray(fc.bookings, dtype=float).sum(axis=2)  # (trials, reps)
    made_quota = fc.made_quota
    earned = np.asarray(fc.paid_to_date, dtype=float).sum(axis=(1, 2))
    total = fc.payout.total
    rows: list[dict[str, Any]] = []
    for r, rep in enumerate(fc.rep_ids):
        has_quota = quota[r] > 0
        row: dict[str, Any] = {
            "rep_id": rep,
            "rep_name": fc.rep_names[r],
            "currency": fc.currency,
            "quota": quota[r],
            "bookings_to_date": to_date[r],
            "attainment_to_date": to_date[r] / quota[r] if has_quota else np.nan,
            "quota_to_date": due[r],
            "pace": to_date[r] / due[r] if due[r] > 0 else np.nan,
        }
        att = year_end[:, r] / quota[r] if has_quota else np.full(n, np.nan)
        for q in (0.1, 0.5, 0.9):
            iv = percentile_interval(att, q, level=level) if has_quota else Interval(*[np.nan] * 3)
            row |= _interval_columns(f"attainment_p{round(q * 100)}", iv)
        made = float(made_quota[:, r].sum()) if has_quota else 0.0
        p = proportion_interval(made, n, level=level) if has_quota else Interval(*[np.nan] * 3)
        row |= _interval_columns("p_quota", p)
        row["earned_to_date"] = earned[r]
        row |= _interval_columns("payout_expected", _known_mean(total[:, r], level))
        rows.append(row)
    board = pd.DataFrame(rows)
    board["rank_attainment"] = _rank(board["attainment_to_date"])
    board["rank_pace"] = _rank(board["pace"])
    board["rank_p_quota"] = _rank(board["p_quota"])
    board = board.sort_values(
        ["rank_p_quota", "rank_attainment", "rep_id"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    board.attrs.update(_attrs(fc, level))
    return board


def _attrs(fc: Forecast, level: float) -> dict[str, Any]:
    return {
        "as_of": fc.as_of.date().isoformat(),
        "plan": fc.plan.name,
        "year": int(fc.year),
        "currency": fc.currency,
        "trials": int(fc.n_trials),
        "level": float(level),
    }


def _window_state(fc: Forecast, c: Contest) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year=fc.year, month=c.start_month, day=1)
    end = pd.Timestamp(year=fc.year, month=c.end_month, day=1) + pd.offsets.MonthEnd(0)
    state = "final" if end <= fc.as_of else "not begun" if fc.as_of < start else "running"
    return state, start, end


def _measure_unit(fc: Forecast, name: str) -> str:
    if name == "bookings":
        return fc.currency
    kind = fc.plan.measure(name).kind
    return {"deals": "deals", "new_logos": "new logos"}.get(kind, fc.currency)


def _occupancy(totals: np.ndarray, c: Contest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each rep's best and worst rank and its eligibility, per trial, as the kernel ranks.

    Totals are compared to the cent; only totals above ``min_total`` can win; reps
    tied on a total occupy the ranks ``best .. worst`` together.
    """
    key = np.round(totals, 2)
    eligible = key > c.min_total
    key = np.where(eligible, key, -np.inf)
    best = rankdata(-key, method="min", axis=-1)
    worst = rankdata(-key, method="max", axis=-1)
    return best, worst, eligible


def contest_standings(forecast: Forecast, *, level: float = 0.95) -> pd.DataFrame:
    """Standings of every contest in the plan: totals so far and chances of each prize.

    Parameters
    ----------
    forecast : Forecast
    level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per contest and rep (reps without quota left out: the kernel pays
        them nothing), within a contest by ``p_prize`` then ``expected_prize``
        then ``total_to_date``, highest first. Columns: ``contest``, ``measure``,
        ``unit`` (the measure's: the currency, ``deals`` or ``new logos``),
        ``start``, ``end`` (the window, ISO dates), ``state`` (``not begun``,
        ``running`` or ``final``: a window over is final and its probabilities 0 or
        1), ``rep_id``, ``rep_name``, ``total_to_date`` (units in the window known
        at the as-of date), ``total_expected`` (the window's expected total) with
        its interval; ``p_rank_1`` ... ``p_rank_K`` (the probability of finishing
        in each prize rank; a rep tied with ``g - 1`` others counts ``1/g`` in each
        rank the group occupies, as the kernel shares their prizes) each with
        ``_low``/``_high`` (Wilson); ``p_prize`` (probability of a share of any
        prize) with its interval; ``currency``, ``expected_prize`` (the mean prize
        the kernel pays, ties shared) with its interval. Contests with fewer
        prizes have empty ``p_rank`` columns beyond their last. ``attrs``: as
        :func:`leaderboard`, plus ``exact`` (False when a measure's units to date
        were read off the draws, see :func:`actual_measure`).

    Examples
    --------
    >>> from spm_sim._track.accruals import example_forecast
    >>> from spm_sim.comp import standard_plan
    >>> plan = standard_plan(threshold=0.0).replace(components=[
    ...     *standard_plan(threshold=0.0).components,
    ...     {"name": "h2", "type": "contest", "start_month": 7, "end_month": 12,
    ...      "prizes": [5000, 1000]}])
    >>> table = contest_standings(example_forecast(plan=plan))
    >>> table[["rep_id", "state", "p_rank_1", "p_prize"]].round(2)
      rep_id      state  p_rank_1  p_prize
    0   R003  not begun      0.96     0.99
    1   R002  not begun      0.04     0.75
    2   R001  not begun      0.00     0.25
    """
    fc = forecast
    contests = [c for c in fc.plan.components if isinstance(c, Contest)]
    n = fc.n_trials
    max_prizes = max((len(c.prizes) for c in contests), default=0)
    has_quota = np.asarray(fc.quotas, dtype=float).sum(axis=1) > 0
    rows: list[dict[str, Any]] = []
    exact = True
    for c in contests:
        state, start, end = _window_state(fc, c)
        window = slice(c.start_month - 1, c.end_month)
        values = fc.bookings if c.measure == "bookings" else fc.measures[c.measure]
        totals = np.asarray(values, dtype=float)[..., window].sum(axis=-1)
        totals = np.where(has_quota, totals, 0.0)
        known, is_exact = actual_measure(fc, c.measure)
        exact &= is_exact
        so_far = known[:, window].sum(axis=-1)
        best, worst, eligible = _occupancy(totals, c)
        size = worst - best + 1
        col = fc.payout.components.index(c.name)
        prize = fc.payout.by_component[..., col].sum(axis=-1)  # (trials, reps)
        k_prizes = len(c.prizes)
        group = []
        for r, rep in enumerate(fc.rep_ids):
            if not has_quota[r]:
                continue
            row: dict[str, Any] = {
                "contest": c.name,
                "measure": c.measure,
                "unit": _measure_unit(fc, c.measure),
                "start": start.date().isoformat(),
                "end": end.date().isoformat(),
                "state": state,
                "rep_id": rep,
                "rep_name": fc.rep_names[r],
                "total_to_date": float(so_far[r]),
            }
            row |= _interval_columns("total_expected", _known_mean(totals[:, r], level))
            for k in range(1, max_prizes + 1):
                if k > k_prizes:
                    row |= _interval_columns(f"p_rank_{k}", Interval(*[np.nan] * 3))
                    continue
                inside = eligible[:, r] & (best[:, r] <= k) & (k <= worst[:, r])
                share = float(np.where(inside, 1.0 / size[:, r], 0.0).sum())
                row |= _interval_columns(
                    f"p_rank_{k}", proportion_interval(min(share, n), n, level=level)
                )
            won = float((eligible[:, r] & (best[:, r] <= k_prizes)).sum())
            row |= _interval_columns("p_prize", proportion_interval(won, n, level=level))
            row["currency"] = fc.currency
            row |= _interval_columns("expected_prize", _known_mean(prize[:, r], level))
            group.append(row)
        group.sort(key=lambda x: (-x["p_prize"], -x["expected_prize"], -x["total_to_date"]))
        rows += group
    columns = [
        "contest", "measure", "unit", "start", "end", "state", "rep_id", "rep_name",
        "total_to_date", "total_expected", "total_expected_low", "total_expected_high",
    ]  # fmt: skip
    for k in range(1, max_prizes + 1):
        columns += [f"p_rank_{k}", f"p_rank_{k}_low", f"p_rank_{k}_high"]
    columns += ["p_prize", "p_prize_low", "p_prize_high", "currency"]
    columns += ["expected_prize", "expected_prize_low", "expected_prize_high"]
    table = pd.DataFrame(rows, columns=columns)
    table.attrs.update(_attrs(fc, level) | {"exact": bool(exact)})
    return table
