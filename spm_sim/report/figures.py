"""The report's headline figures with their intervals, and the differences against the baseline.

:func:`headline_figures` is the numeric table behind the report's first page: each
scenario's figure with a 95% interval (order statistics for the percentiles, Wilson
for the chance of reaching target, standard errors for means, the bootstrap for the
reserve) and, for each scenario after the first, the difference against the baseline
with its interval, paired trial by trial when the two runs share their random numbers.
The figures, percentiles included, are read from :func:`spm_sim.metrics.compare`; only
the reserve (P90 - P50) is computed here, on the same bootstrap resamples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim.metrics import (
    BOOTSTRAP_SEED,
    METRICS,
    Interval,
    bootstrap_interval,
    compare,
    percentile_difference_interval,
)

if TYPE_CHECKING:
    from spm_sim.simulate import SimulationResult

__all__ = ["HEADLINE_FIGURES", "headline_figures", "same_sales"]

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


#: The reserve for a bad year as a weighted sum of percentiles: P90 - P50.
RESERVE = {0.9: 1.0, 0.5: -1.0}

_NAN = Interval(math.nan, math.nan, math.nan)

#: The columns of :func:`spm_sim.metrics.compare` of each statistic: (estimate, low,
#: high) of the figure, then of its difference against the baseline.
_COLUMNS: dict[str | float, tuple[str, ...]] = {
    "mean": ("mean", "mean_low", "mean_high", "diff_vs_baseline", "diff_low", "diff_high"),
    "prob": ("mean", "mean_low", "mean_high", "diff_vs_baseline", "diff_low", "diff_high"),
    **{
        q: (p, f"{p}_low", f"{p}_high", f"diff_{p}", f"diff_{p}_low", f"diff_{p}_high")
        for q, p in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90"))
    },
}


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


def _reserve(
    a: np.ndarray,
    b: np.ndarray,
    is_base: bool,
    paired: bool,
    level: float,
    n_boot: int,
) -> tuple[Interval, Interval]:
    """The reserve (P90 - P50) with its interval, and its difference against the baseline."""
    one = bootstrap_interval(a, RESERVE, level=level, n_boot=n_boot, rng=BOOTSTRAP_SEED)
    if is_base:
        return one, _NAN
    if paired and _identical(a, b):
        return one, Interval(0.0, 0.0, 0.0)  # the same value in every simulated year
    diff = percentile_difference_interval(
        a, b, RESERVE, paired=paired, level=level, n_boot=n_boot, rng=BOOTSTRAP_SEED
    )
    return one, diff


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
        Bootstrap resamples for the reserve (and for differences of percentiles
        where the bootstrap is used).

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

    ``attrs``: ``level``, ``baseline`` and ``compare`` (the frame of
    :func:`spm_sim.metrics.compare` the figures were read from).

    Notes
    -----
    Intervals: Wilson's for the chance of reaching target, Newcombe's for its
    difference; mean +/- z standard errors for means (of the paired differences
    when paired); order statistics for P10/P50/P90 (distribution-free); the
    bootstrap (seeded by :data:`spm_sim.metrics.BOOTSTRAP_SEED`, so the same results
    give the same table) for the reserve; for differences of percentiles and of the
    reserve, :func:`spm_sim.metrics.percentile_difference_interval` (linearised, the
    bootstrap where that cannot be trusted). They measure Monte Carlo noise only, not
    the uncertainty of the model's assumptions.

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
    cmp = compare(results, level=level, n_boot=n_boot, rng=BOOTSTRAP_SEED)
    blocks = _blocks(bare(cmp), len(results))
    base = _metric_columns(results[0])
    rows = []
    for k, (r, block) in enumerate(zip(results, blocks, strict=True)):
        name = r.scenario.name
        is_paired = bool(block["paired"].iloc[0])
        sales = bool(k and is_paired and same_sales(r, results[0]))
        mine = _metric_columns(r)
        for key, label, metric, stat in HEADLINE_FIGURES:
            a, b = mine[metric], base[metric]
            identical = bool(k and is_paired and _identical(a, b))
            if stat == "reserve":
                one, diff = _reserve(a, b, k == 0, is_paired, level, n_boot)
            else:
                row = block.loc[metric]
                est, low, high, d, d_low, d_high = (float(row[c]) for c in _COLUMNS[stat])
                one = Interval(est, low, high)
                diff = _NAN if k == 0 else Interval(d, d_low, d_high)
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
    df.attrs.update(level=level, baseline=results[0].scenario.name, compare=cmp)
    return df


def bare(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (a shallow copy), to read rows from: pandas copies
    a frame's attrs (provenance, a compare frame) into every row or column taken."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _metric_columns(result: SimulationResult) -> dict[str, np.ndarray]:
    """The headline metrics of a result, per trial (read at once: pandas copies the
    frame's provenance into each column taken)."""
    metrics = list(dict.fromkeys(m for _k, _l, m, _s in HEADLINE_FIGURES))
    values = result.trials[metrics].to_numpy(dtype=float)
    return {m: values[:, j] for j, m in enumerate(metrics)}


def _blocks(cmp: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """:func:`spm_sim.metrics.compare`'s rows of each result, indexed by metric.

    Each result's rows start with the first metric of ``METRICS``; results with a
    workforce, behaviour or programmes have more rows than the others.
    """
    first = next(iter(METRICS))
    starts = [*np.flatnonzero(cmp["metric"].to_numpy() == first), len(cmp)]
    if len(starts) - 1 != n:  # pragma: no cover - an internal contract
        raise RuntimeError(f"compare() gave {len(starts) - 1} blocks for {n} results")
    return [cmp.iloc[a:b].set_index("metric") for a, b in zip(starts, starts[1:], strict=False)]
