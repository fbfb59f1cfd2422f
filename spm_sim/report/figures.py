"""The report's headline figures with their intervals, and the differences against the baseline.

:func:`headline_figures` is the numeric table behind the report's first page: each
scenario's figure with a 95% interval (order statistics for the percentiles, Wilson
for the chance of reaching target, standard errors for means, the bootstrap for the
reserve) and, for each scenario after the first, the difference against the baseline
with its interval, paired trial by trial when the two runs share their random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim.metrics import (
    METRICS,
    Interval,
    bootstrap_interval,
    compare,
    difference_interval,
    mean_interval,
    percentile_interval,
    proportion_interval,
)

if TYPE_CHECKING:
    from spm_sim.simulate import SimulationResult

__all__ = ["HEADLINE_FIGURES", "headline_figures", "same_sales"]

#: The bootstrap's seed: the report must give the same bytes for the same results, so
#: its resampling is seeded by a constant (it resamples finished results; it never
#: feeds a simulation).
BOOTSTRAP_SEED = 16

#: (key, row label, metric of spm_sim.metrics.METRICS, statistic): "mean", "prob" (a
#: probability), a percentile as a fraction, or "reserve" (P90 - P50).
HEADLINE_FIGURES: tuple[tuple[str, str, str, str | float], ...] = (
    ("hit", "Chance of reaching the company target", "hit_company_target", "prob"),
    ("bookings", "Company bookings (mean of simulated years)", "company_bookings", "mean"),
    (
        "attainment",
        "Company attainment, bookings / target (mean of simulated years)",
        "company_attainment",
        "mean",
    ),
    (
        "at_quota",
        "Share of reps at or above quota (mean of simulated years)",
        "share_reps_at_quota",
        "mean",
    ),
    ("cost_mean", "Incentive cost (mean of simulated years)", "incentive_cost", "mean"),
    ("cost_p10", "Incentive cost, P10 (a good year)", "incentive_cost", 0.1),
    ("cost_p50", "Incentive cost, P50 (a typical year)", "incentive_cost", 0.5),
    ("cost_p90", "Incentive cost, P90 (a bad year, 1 in 10)", "incentive_cost", 0.9),
    ("reserve", "Reserve for a bad year (P90 - P50)", "incentive_cost", "reserve"),
    (
        "payout_ti",
        "Incentive paid / target incentive (mean of simulated years)",
        "payout_share_of_ti",
        "mean",
    ),
    ("ccos", "Compensation cost of sales (mean of simulated years)", "ccos", "mean"),
    (
        "icos",
        "Incentive cost of sales (mean of simulated years)",
        "incentive_cost_of_sales",
        "mean",
    ),
)


def _reserve(samples: np.ndarray) -> np.ndarray:
    return np.percentile(samples, 90, axis=1) - np.percentile(samples, 50, axis=1)


def _one(values: np.ndarray, stat: str | float, level: float, n_boot: int) -> Interval:
    """A scenario's figure and its interval."""
    v = values[np.isfinite(values)]
    if stat == "prob":
        return proportion_interval(float(v.sum()), v.size, level=level) if v.size else _NAN
    if stat == "mean":
        return mean_interval(v, level=level)
    if stat == "reserve":
        return bootstrap_interval(v, _reserve, level=level, n_boot=n_boot, rng=BOOTSTRAP_SEED)
    return percentile_interval(v, float(stat), level=level)


_NAN = Interval(math.nan, math.nan, math.nan)


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two runs' values agree trial by trial (NaN where both are NaN)."""
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def same_sales(result: SimulationResult, baseline: SimulationResult) -> bool:
    """Whether two results simulated the same sales: every rep's bookings in every month.

    True only for runs that share their random draws (common random numbers) and in
    which nothing moves sales: no response to the plan, the same reps and workforce.
    Then a figure that depends on sales alone (bookings, and attainment against the
    same target) is identical in every simulated year, and the report says "no
    change"; a figure that happens to agree in every trial of runs whose sales differ
    (a 0/1 "target reached" in a few trials) is not called unchanged.

    Parameters
    ----------
    result, baseline : SimulationResult

    Returns
    -------
    bool

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> s = sample_scenario("baseline").replace(engine="summed")
    >>> a, b = simulate(s, 20, rng=1), simulate(s.replace(name="Again"), 20, rng=1)
    >>> same_sales(a, b), same_sales(a, simulate(s, 20, rng=2))
    (True, False)
    """
    return (
        tuple(result.rep_ids) == tuple(baseline.rep_ids)
        and _identical(np.asarray(result.bookings), np.asarray(baseline.bookings))
        and _identical(np.asarray(result.company_by_period), np.asarray(baseline.company_by_period))
    )


def _difference(
    a: np.ndarray, b: np.ndarray, stat: str | float, paired: bool, level: float, n_boot: int
) -> Interval:
    """``stat(a) - stat(b)`` and its interval; exactly 0 (0, 0) when paired values agree."""
    if paired and _identical(a, b):
        return Interval(0.0, 0.0, 0.0)  # the same value in every simulated year
    if stat in ("mean", "prob"):
        if paired:
            d = a - b
            return mean_interval(d[np.isfinite(d)], level=level)
        ia, ib = mean_interval(a, level=level), mean_interval(b, level=level)
        est = ia.estimate - ib.estimate
        half = math.hypot(ia.high - ia.estimate, ib.high - ib.estimate)
        return Interval(est, est - half, est + half)
    statistic = _reserve if stat == "reserve" else float(stat)
    return difference_interval(
        a, b, statistic=statistic, paired=paired, level=level, n_boot=n_boot, rng=BOOTSTRAP_SEED
    )


def headline_figures(
    results: SimulationResult | Sequence[SimulationResult],
    *,
    level: float = 0.95,
    n_boot: int = 1_000,
) -> pd.DataFrame:
    """Each headline figure of each scenario with its interval, and its difference vs the baseline.

    Parameters
    ----------
    results : SimulationResult or sequence of them
        The first is the baseline.
    level : float, default 0.95
        Confidence level of every interval.
    n_boot : int, default 1000
        Bootstrap resamples for the reserve and for differences of percentiles.

    Returns
    -------
    DataFrame
        One row per scenario and figure of :data:`HEADLINE_FIGURES`, in that order:
        ``scenario, key, label, metric, unit, estimate, low, high, diff, diff_low,
        diff_high, real, paired, identical, same_sales``. ``unit`` is that of
        :data:`spm_sim.metrics.METRICS` ("$", "ratio" or "prob"). ``diff*`` are NaN
        for the baseline; ``real`` is True when the difference's interval excludes 0
        (a difference the simulation noise does not explain); ``paired`` when the
        scenario shares the baseline's random draws (the difference is then computed
        trial by trial); ``identical`` when the figure's paired values agree in every
        trial (the difference is then exactly 0, interval 0 to 0); ``same_sales``
        when the two runs simulated the same sales (:func:`same_sales`), so an
        identical figure is unchanged for a reason and not by chance.

    Notes
    -----
    Intervals: Wilson's for the chance of reaching target; mean +/- z standard
    errors for means (of the paired differences when paired); order statistics for
    P10/P50/P90 (distribution-free); the bootstrap (seeded by
    :data:`BOOTSTRAP_SEED`, so the same results give the same table) for the reserve
    and for differences of percentiles. They measure Monte Carlo noise only.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = simulate(sample_scenario("baseline").replace(engine="summed"), 200, rng=1)
    >>> t = headline_figures(base)
    >>> row = t.set_index("key").loc["cost_p90"]
    >>> bool(row["low"] <= row["estimate"] <= row["high"])
    True
    """
    if hasattr(results, "scenario"):
        results = [results]  # type: ignore[list-item]
    results = list(results)
    if not results:
        raise ValueError("headline_figures needs at least one simulation result.")
    cmp = compare(results)
    paired = dict(zip(cmp["scenario"], cmp["paired"], strict=False))
    base = results[0].trials
    rows = []
    for k, r in enumerate(results):
        name = r.scenario.name
        is_paired = bool(paired.get(name, False)) if k else True
        sales = bool(k and is_paired and same_sales(r, results[0]))
        for key, label, metric, stat in HEADLINE_FIGURES:
            a = r.trials[metric].to_numpy(float)
            one = _one(a, stat, level, n_boot)
            b = base[metric].to_numpy(float)
            identical = bool(k and is_paired and _identical(a, b))
            diff = _NAN if k == 0 else _difference(a, b, stat, is_paired, level, n_boot)
            rows.append(
                {
                    "scenario": name,
                    "key": key,
                    "label": label,
                    "metric": metric,
                    "unit": METRICS[metric][1],
                    "estimate": one.estimate,
                    "low": one.low,
                    "high": one.high,
                    "diff": diff.estimate,
                    "diff_low": diff.low,
                    "diff_high": diff.high,
                    "real": bool(k and diff.excludes(0.0)),
                    "paired": is_paired,
                    "identical": identical,
                    "same_sales": sales,
                }
            )
    df = pd.DataFrame(rows)
    df.attrs.update(level=level, baseline=results[0].scenario.name)
    return df
