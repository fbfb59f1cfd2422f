"""The figures of a sweep, each with its interval and its paired difference to the base.

Per variant and metric, for each statistic the metric has:

* ``mean``: the mean over trials with :func:`~spm_sim.metrics.mean_interval`; its
  difference to the base is the mean of the paired differences, trial by trial, with
  their own normal interval (the paired t interval);
* ``mean`` of a probability (unit ``prob``: an event per trial, such as reaching the
  company target): the share of trials with :func:`~spm_sim.metrics.proportion_interval`
  (Wilson); its difference to the base has Newcombe's paired score interval
  (:func:`~spm_sim.metrics.proportion_difference_interval`), which keeps its level when
  few trials change sides, where the t interval of the 0/1 differences is far too
  narrow;
* ``p10``, ``p50``, ``p90`` (money metrics): the percentile with its order-statistic
  interval (:func:`~spm_sim.metrics.percentile_interval`); its difference to the base
  is the difference of the percentiles with the paired, linearised interval of
  :func:`~spm_sim.metrics.percentile_difference_interval` (its bootstrap fallback,
  where the linear terms cannot be trusted: fewer than 100 trials, a percentile on an
  atom, two nearly identical runs; seeded per metric and statistic so the same
  results give the same table).

A share of reps at quota is a fraction per trial, not an event: its mean keeps the
paired t interval. Differences are paired because trial ``t`` of every variant drew
from the same stream: the shared noise cancels. A variant whose trials are exactly
the base's (bookings under a plan change) has a difference of exactly 0 with no
interval to compute.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from spm_sim._spec import suggest
from spm_sim.errors import SpecError
from spm_sim.metrics import (
    Interval,
    mean_interval,
    percentile_difference_interval,
    percentile_interval,
    proportion_difference_interval,
    proportion_interval,
)


class Metric(NamedTuple):
    """A sweep metric: the per-trial column it reads, its label, unit and statistics."""

    column: str
    label: str
    unit: str
    statistics: tuple[str, ...]


_MONEY_STATS = ("mean", "p10", "p50", "p90")

#: The metrics a sweep reports (and a goal-seek target may name), by name. Units:
#: ``$`` money in the plan's currency, ``ratio`` a fraction (shown as %), ``prob`` a
#: probability. Definitions: :mod:`spm_sim.metrics` (per trial, then over trials).
SWEEP_METRICS: dict[str, Metric] = {
    "incentive_cost": Metric("incentive_cost", "Incentive cost", "$", _MONEY_STATS),
    "cost_of_sales": Metric(
        "ccos", "Compensation cost of sales (base + incentive) / bookings", "ratio", ("mean",)
    ),
    "incentive_cost_of_sales": Metric(
        "incentive_cost_of_sales",
        "Incentive cost of sales (incentive / bookings)",
        "ratio",
        ("mean",),
    ),
    "share_at_quota": Metric(
        "share_reps_at_quota", "Share of reps at or above quota", "ratio", ("mean",)
    ),
    "p_company_target": Metric(
        "hit_company_target", "Chance of reaching the company target", "prob", ("mean",)
    ),
    "company_bookings": Metric("company_bookings", "Company bookings", "$", _MONEY_STATS),
    "payout_share_of_ti": Metric(
        "payout_share_of_ti", "Incentive paid / target incentive", "ratio", ("mean",)
    ),
}

#: What :func:`spm_sim.sweep.sweep` reports unless told otherwise.
DEFAULT_METRICS = (
    "incentive_cost",
    "cost_of_sales",
    "share_at_quota",
    "p_company_target",
    "company_bookings",
)

#: The percentile each statistic names.
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}

#: Entropy of the bootstrap's resampling where a difference of percentiles falls back
#: on it: fixed, so the same results give the same intervals, and the same for every
#: variant (their intervals move smoothly).
_BOOT_SEED = 0x5EE9_0018


def check_metrics(metrics: Any) -> tuple[str, ...]:
    """The metric names asked for, checked (default :data:`DEFAULT_METRICS`).

    >>> check_metrics(["incentive_cost", "share_at_quota"])
    ('incentive_cost', 'share_at_quota')
    """
    if metrics is None:
        return DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = [metrics]
    names = tuple(metrics)
    if not names:
        raise SpecError(f"metrics is empty; name at least one of {', '.join(SWEEP_METRICS)}.")
    for m in names:
        if m not in SWEEP_METRICS:
            raise SpecError(
                f"unknown sweep metric {m!r}.{suggest(str(m), SWEEP_METRICS)} The metrics: "
                f"{', '.join(SWEEP_METRICS)}."
            )
    return tuple(dict.fromkeys(names))


def statistic(values: np.ndarray, metric: Metric, stat: str, level: float) -> Interval:
    """One statistic of one variant's per-trial values, with its interval."""
    if stat == "mean":
        if metric.unit == "prob":
            v = values[np.isfinite(values)]
            if v.size == 0:
                return Interval(math.nan, math.nan, math.nan)
            return proportion_interval(float(v.sum()), v.size, level=level)
        return mean_interval(values, level=level)
    return percentile_interval(values, QUANTILES[stat], level=level)


def difference(
    values: np.ndarray,
    base: np.ndarray,
    metric: Metric,
    stat: str,
    level: float,
    n_boot: int,
    boot_key: tuple[int, ...],
) -> Interval:
    """The paired difference of one statistic to the base's, with its interval (the
    first ``min(len)`` trials, paired): the paired t interval of a mean, Newcombe's
    for a probability, the linearised one for a percentile (see the module notes).

    Examples
    --------
    >>> import numpy as np
    >>> base = np.array([1.0] * 50 + [0.0] * 50)
    >>> alt = base.copy(); alt[50:56] = 1.0        # 6 more trials reach the target
    >>> est, low, high = difference(alt, base, SWEEP_METRICS["p_company_target"], "mean",
    ...                             0.95, 1000, (0, 0))
    >>> round(est, 2), round(low, 3), round(high, 3)
    (0.06, 0.014, 0.105)
    """
    m = min(values.size, base.size)
    a, b = values[:m], base[:m]
    if m == 0:
        return Interval(math.nan, math.nan, math.nan)
    if np.array_equal(a, b, equal_nan=True):
        return Interval(0.0, 0.0, 0.0)
    if stat == "mean":
        if metric.unit == "prob":
            return proportion_difference_interval(a, b, paired=True, level=level)
        return mean_interval(a - b, level=level)
    rng = np.random.SeedSequence(_BOOT_SEED, spawn_key=boot_key)
    return percentile_difference_interval(
        a, b, QUANTILES[stat], paired=True, level=level, n_boot=n_boot, rng=rng
    )


def variant_rows(
    base: dict[str, np.ndarray],
    metrics: tuple[str, ...],
    level: float,
    n_boot: int,
    name: str,
    values: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """The rows of one variant: one per metric and statistic (a task of its own)."""
    rows = []
    for k, metric_name in enumerate(metrics):
        metric = SWEEP_METRICS[metric_name]
        v, b = values[metric.column], base[metric.column]
        for j, stat in enumerate(metric.statistics):
            est = statistic(v, metric, stat, level)
            diff = difference(v, b, metric, stat, level, n_boot, (k, j))
            rows.append(
                {
                    "scenario": name,
                    "metric": metric_name,
                    "statistic": stat,
                    "unit": metric.unit,
                    "value": est.estimate,
                    "low": est.low,
                    "high": est.high,
                    "diff_vs_base": diff.estimate,
                    "diff_low": diff.low,
                    "diff_high": diff.high,
                    "n_trials": int(np.isfinite(v).sum()),
                }
            )
    return rows


def batch_rows(
    base: dict[str, np.ndarray],
    metrics: tuple[str, ...],
    level: float,
    n_boot: int,
    batch: tuple[tuple[str, dict[str, np.ndarray]], ...],
) -> list[list[dict[str, Any]]]:
    """:func:`variant_rows` of each ``(name, values)`` of a batch (one task)."""
    return [variant_rows(base, metrics, level, n_boot, name, values) for name, values in batch]
