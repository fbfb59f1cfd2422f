"""Tidy summaries of simulation results, and paired comparisons of scenarios.

Definitions (per trial ``t``; ``B_t`` company bookings, ``T`` company target,
``I_t`` incentive paid, ``S`` base salaries of the simulated reps):

* company attainment ``B_t / T``; the company target is hit when it is >= 1;
* share of reps at quota: the share of reps with a quota whose annual bookings >=
  their annual quota;
* incentive cost ``I_t``; payout as a share of target incentive ``I_t / sum(TI)``;
* compensation cost of sales (CCOS) ``(S + I_t) / B_t``; incentive cost of sales
  ``I_t / B_t``.

Every figure of a summary carries its interval at a stated level (95% by default;
``level`` column), all of them measuring Monte Carlo noise only (how far the figure
could move with more simulated years), not the uncertainty of the model's
assumptions (:func:`percentile_interval`, :func:`proportion_interval`,
:func:`proportion_difference_interval`, :func:`mean_interval`,
:func:`bootstrap_interval`, :func:`difference_interval`, each an :class:`Interval`):

* a mean: ``mean +/- z sd / sqrt(n)``, the standard error ``se = sd / sqrt(n)``;
* a probability: Wilson's score interval (``se = sqrt(p (1 - p) / n)``);
* a percentile (numpy's linear P10/P50/P90 of the trials): the order statistics
  that bracket it (distribution-free: the count of trials below the true percentile
  is binomial);
* a difference against the baseline: of means, the mean of the paired differences
  plus or minus ``z`` standard errors when the scenarios share their random numbers
  (else the two standard errors combined); of probabilities, Newcombe's hybrid
  score interval (paired or not); of percentiles, the linearised interval of
  :func:`percentile_difference_interval` (Bahadur's representation, Woodruff's
  density), which keeps its level under common random numbers, or a bootstrap of the
  trials (resampled together when paired, seeded by :data:`BOOTSTRAP_SEED` so the
  same results give the same table) where the linear terms cannot be trusted.

Plausibility of results (:func:`result_warnings`, :func:`result_flags`,
:func:`check_figures`): a figure outside the range below is possible arithmetic but
not a believable plan, and is flagged with the inputs that drive it. The bounds
(:data:`RESULT_RANGES`) sit far outside what sales organisations report, so a
flag means "check the inputs", never "an unusual but real plan":

* compensation cost of sales above 50% (P50 over trials): typical is 3-9% of
  revenue (ZS) and about 10% on average (Xactly/OpenSymmetry 2018), so 50% is five
  times the average;
* incentive cost of sales above 25% (P50): the variable part of a 10% CCOS at the
  common 60/40 pay mix is about 4%; 25% is six times that;
* incentive paid per dollar booked above 3x the target commission rate
  ``TCR = sum(TI) / sum(quota)`` (P50): accelerators pay 1.5x-2.5x TCR above
  quota (practitioner surveys), so even a team far above quota stays under 2.5x;
* median rep attainment (over every rep with a quota and every trial) below 20% or
  above 300%: observed medians sit near 100% (45-55% of reps reach quota: Xactly,
  CSO Insights, Forrester);
* share of reps at or above quota (mean over trials) below 0.5% or above 99.5%,
  that is 0% or 100% when rounded: nobody, or everybody, reaches quota in almost
  every simulated year;
* a figure that cannot be computed (no bookings, no quota): not finite.

The results read here are :class:`~spm_sim.simulate.SimulationResult` objects (typed
``Any``: ``simulate`` sits above ``metrics`` in the layer order and calls it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._metrics.bootstrap import bootstrap_interval, difference_interval
from ._metrics.differences import percentile_difference_interval, percentile_differences
from ._metrics.intervals import (
    BOOTSTRAP_SEED,
    Interval,
    RngLike,
    check_level,
    mean_interval,
    order_statistic_bounds,
    percentile_interval,
    proportion_difference_interval,
    proportion_interval,
    wilson_bounds,
    z_value,
)
from ._metrics.plausibility import RESULT_RANGES, check_figures, result_flags, result_warnings

__all__ = [
    "check_level",
    "z_value",
    "METRICS",
    "DYNAMICS_METRICS",
    "programme_return",
    "trial_metrics",
    "summarize",
    "rep_summary",
    "compare",
    "quarterly_accrual",
    "RESULT_RANGES",
    "check_figures",
    "result_flags",
    "result_warnings",
    "BOOTSTRAP_SEED",
    "Interval",
    "percentile_interval",
    "proportion_interval",
    "proportion_difference_interval",
    "percentile_difference_interval",
    "mean_interval",
    "bootstrap_interval",
    "difference_interval",
]

#: metric -> (label for reports, unit). Units: "$", "ratio" (shown as %), "prob".
METRICS: dict[str, tuple[str, str]] = {
    "company_bookings": ("Company bookings", "$"),
    "company_attainment": ("Company attainment (bookings / target)", "ratio"),
    "hit_company_target": ("Probability of reaching the company target", "prob"),
    "share_reps_at_quota": ("Share of reps at or above quota", "ratio"),
    "incentive_cost": ("Incentive cost", "$"),
    "payout_share_of_ti": ("Incentive paid / target incentive", "ratio"),
    "total_comp": ("Total compensation (base + incentive)", "$"),
    "ccos": ("Compensation cost of sales", "ratio"),
    "incentive_cost_of_sales": ("Incentive cost of sales", "ratio"),
}


#: Metrics of scenarios with a workforce, behaviour or programmes (only those present).
DYNAMICS_METRICS: dict[str, tuple[str, str]] = {
    "share_full_year_reps_at_quota": ("Share of full-year reps at or above quota", "ratio"),
    "leavers": ("Reps who left", "count"),
    "vacant_months": ("Vacant seat-months", "count"),
    "mean_effort": ("Mean effort (1 = the reference plan)", "ratio"),
    "pulled_forward": ("Bookings pulled into an earlier month", "$"),
    "borrowed_from_next_year": ("Bookings pulled in from next year", "$"),
    "deferred_to_next_year": ("Bookings pushed into next year", "$"),
    "programme_cost": ("Programme cost (coaching, prizes outside the plan)", "$"),
}


def trial_metrics(result: Any) -> pd.DataFrame:
    """One row per trial with every metric of :data:`METRICS`, and those of
    :data:`DYNAMICS_METRICS` the result has (a workforce, behaviour or programmes).

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    DataFrame
        Columns ``trial`` and the metric names; ``attrs`` carry the provenance.
    """
    bookings = result.bookings.sum(axis=1)
    incentive = result.payout.sum(axis=(1, 2))
    base = float(result.base_salary.sum())
    ti = float(result.target_incentive.sum())
    # reps without quota (no selling time in the plan year) are not counted
    has_quota = result.quotas.annual > 0
    at_quota = (result.bookings >= result.quotas.annual[None, :])[:, has_quota]
    with np.errstate(divide="ignore", invalid="ignore"):
        df = pd.DataFrame(
            {
                "trial": np.arange(result.n_trials),
                "company_bookings": bookings,
                "company_attainment": bookings / result.company_target,
                "hit_company_target": (bookings >= result.company_target).astype(float),
                "share_reps_at_quota": at_quota.mean(axis=1) if has_quota.any() else np.nan,
                "incentive_cost": incentive,
                "payout_share_of_ti": incentive / ti if ti > 0 else np.nan,
                "total_comp": base + incentive,
                "ccos": np.where(bookings > 0, (base + incentive) / bookings, np.nan),
                "incentive_cost_of_sales": np.where(bookings > 0, incentive / bookings, np.nan),
            }
        )
    dyn = getattr(result, "dynamics", None) or {}
    if getattr(result, "stayed", None) is not None:
        full = result.stayed[:, has_quota]
        hit = (result.bookings >= result.quotas.annual[None, :])[:, has_quota] & full
        with np.errstate(divide="ignore", invalid="ignore"):
            df["share_full_year_reps_at_quota"] = hit.sum(axis=1) / full.sum(axis=1)
    for name in DYNAMICS_METRICS:
        if name in dyn:
            df[name] = dyn[name]
    if dyn or getattr(result, "programme_cost", 0.0):
        df["programme_cost"] = float(getattr(result, "programme_cost", 0.0))
    df.attrs.update(result.provenance)
    return df


#: The percentiles of every summary, as (column, fraction).
PERCENTILES: tuple[tuple[str, float], ...] = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))


#: The interval columns of a summary, after the figures (added after the columns the
#: summaries had before they carried intervals, so that no column moves).
INTERVAL_COLUMNS = (
    "mean_low",
    "mean_high",
    *[f"{c}{end}" for c, _q in PERCENTILES for end in ("_low", "_high")],
)


def _describe(values: np.ndarray, unit: str, level: float = 0.95) -> dict[str, float]:
    """Mean, standard error, P10/P50/P90, then the interval of each (see the module notes)."""
    v = np.sort(values[np.isfinite(values)])
    n = v.size
    mean = float(v.mean()) if n else np.nan
    out: dict[str, float] = {"mean": mean}
    ends: dict[str, float] = {}
    if unit == "prob":
        out["se"] = float(np.sqrt(mean * (1 - mean) / n)) if n else np.nan
        low, high = wilson_bounds(v.sum(), n, level) if n else (np.nan, np.nan)
        out.update(dict.fromkeys([c for c, _q in PERCENTILES], np.nan))
        return (
            out
            | {"mean_low": float(low), "mean_high": float(high)}
            | dict.fromkeys(INTERVAL_COLUMNS[2:], np.nan)
        )
    out["se"] = float(v.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    half = z_value(level) * out["se"]
    ends.update(mean_low=mean - half, mean_high=mean + half)
    found = np.percentile(v, [100 * q for _c, q in PERCENTILES]) if n else [np.nan] * 3
    for (col, q), est in zip(PERCENTILES, found, strict=True):
        low, high = order_statistic_bounds(v, q, level) if n else (np.nan, np.nan)
        out[col] = float(est)
        ends.update({f"{col}_low": float(low), f"{col}_high": float(high)})
    return out | ends


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The frame's columns as float arrays (read at once: pandas copies a frame's
    ``attrs``, here the run's provenance, into every column taken from it)."""
    values = frame.to_numpy(dtype=float)
    return {str(c): values[:, j] for j, c in enumerate(frame.columns)}


def summarize(result: Any, *, level: float = 0.95) -> pd.DataFrame:
    """Tidy summary of one result: one row per metric, every figure with its interval.

    Parameters
    ----------
    result : SimulationResult
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).

    Returns
    -------
    DataFrame
        Columns ``scenario, metric, label, unit, mean, se, p10, p50, p90, n_trials``,
        then the intervals ``mean_low, mean_high, p10_low, p10_high, p50_low,
        p50_high, p90_low, p90_high`` and ``level``. A mean's interval is
        ``mean +/- z se``, a probability's Wilson's (its percentiles are NaN and ``se``
        is binomial), a percentile's the order statistics that bracket it (an end is
        NaN when there are too few trials to reach the level on that side, e.g. P90
        of 20 trials at 95%).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> s = simulate(sample_scenario("baseline").replace(engine="summed"), 200, rng=1).summary()
    >>> row = s.set_index("metric").loc["incentive_cost"]
    >>> bool(row["p90_low"] <= row["p90"] <= row["p90_high"]), float(row["level"])
    (True, 0.95)
    """
    level = check_level(level)
    trials = _columns(result.trials)
    extra = {k: v for k, v in DYNAMICS_METRICS.items() if k in trials}
    metrics = {**METRICS, **extra}
    figures = [_describe(trials[m], unit, level) for m, (_label, unit) in metrics.items()]
    df = pd.DataFrame(
        {
            "scenario": result.scenario.name,
            "metric": list(metrics),
            "label": [label for label, _unit in metrics.values()],
            "unit": [unit for _label, unit in metrics.values()],
            **{col: [f[col] for f in figures] for col in figures[0] if col not in INTERVAL_COLUMNS},
            "n_trials": result.n_trials,
            **{col: [f[col] for f in figures] for col in INTERVAL_COLUMNS},
            "level": level,
        }
    )
    df.attrs.update(result.provenance)
    df.attrs["level"] = level
    return df


def _mean_columns(name: str, values: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Per column of ``values`` (trials x reps): the mean and its interval."""
    mean = values.mean(axis=0)
    n = values.shape[0]
    half = z_value(level) * values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return {name: mean, f"{name}_low": mean - half, f"{name}_high": mean + half}


def rep_summary(result: Any, *, level: float = 0.95) -> pd.DataFrame:
    """One row per rep: quota, expected bookings and pay, P(at quota), each with its interval.

    Parameters
    ----------
    result : SimulationResult
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).

    Returns
    -------
    DataFrame
        ``rep_id, region, annual_quota, expected_bookings, expected_attainment``
        (NaN without a quota), ``p_at_quota, target_incentive, expected_incentive,
        incentive_p90`` (numpy's linear percentile over trials), then each figure's
        interval as ``<figure>_low`` and ``<figure>_high``: mean +/- z standard errors
        for the expected figures, Wilson's for ``p_at_quota``, order statistics for
        ``incentive_p90``. ``attrs["level"]``: the level.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> r = simulate(sample_scenario("baseline").replace(engine="summed"), 200, rng=1)
    >>> reps = rep_summary(r)
    >>> bool((reps["p_at_quota_low"] <= reps["p_at_quota"]).all())
    True
    """
    level = check_level(level)
    att = result.rep_attainment
    pay = result.payout.sum(axis=2)
    n = result.n_trials
    has_quota = result.quotas.annual > 0
    made = (att >= 1.0).sum(axis=0)
    p_low, p_high = wilson_bounds(made, n, level)
    attainment = _mean_columns("expected_attainment", att, level)
    p90_low, p90_high = order_statistic_bounds(np.sort(pay, axis=0), 0.9, level)
    bookings = _mean_columns("expected_bookings", result.bookings, level)
    pay_mean = _mean_columns("expected_incentive", pay, level)
    att = {k: np.where(has_quota, v, np.nan) for k, v in attainment.items()}
    df = pd.DataFrame(
        {
            "rep_id": list(result.rep_ids),
            "region": result.regions,
            "annual_quota": result.quotas.annual,
            "expected_bookings": bookings["expected_bookings"],
            "expected_attainment": att["expected_attainment"],
            "p_at_quota": np.where(has_quota, made / n, np.nan),
            "target_incentive": result.target_incentive,
            "expected_incentive": pay_mean["expected_incentive"],
            "incentive_p90": np.percentile(pay, 90, axis=0),
            # the intervals, after the figures (no column of before moves)
            "expected_bookings_low": bookings["expected_bookings_low"],
            "expected_bookings_high": bookings["expected_bookings_high"],
            "expected_attainment_low": att["expected_attainment_low"],
            "expected_attainment_high": att["expected_attainment_high"],
            "p_at_quota_low": np.where(has_quota, p_low, np.nan),
            "p_at_quota_high": np.where(has_quota, p_high, np.nan),
            "expected_incentive_low": pay_mean["expected_incentive_low"],
            "expected_incentive_high": pay_mean["expected_incentive_high"],
            "incentive_p90_low": p90_low,
            "incentive_p90_high": p90_high,
        }
    )
    df.attrs.update(result.provenance)
    df.attrs["level"] = level
    return df


def _crn_key(result) -> tuple:
    """What two results must share to have drawn the same sales trial by trial: the
    book, plan year, seed, trials and the engine they drew with (as resolved: an
    ``auto`` run pairs with a run of the engine it chose)."""
    s = result.scenario
    return (
        s.book,
        s.plan_year,
        result.seed["entropy"],
        tuple(result.seed["spawn_key"]),
        result.n_trials,
        getattr(result, "engine", None) or getattr(s, "engine", "deals"),
    )


#: The difference columns of :func:`compare`, after ``diff_vs_baseline`` and ``diff_se``.
_DIFF_COLUMNS = (
    "diff_low",
    "diff_high",
    *[f"diff_{c}{end}" for c, _q in PERCENTILES for end in ("", "_low", "_high")],
)


def _standard_error(values: np.ndarray, unit: str) -> float:
    """The standard error of the mean of the finite values (binomial for a probability)."""
    v = values[np.isfinite(values)]
    if unit == "prob":
        return float(np.sqrt(v.mean() * (1 - v.mean()) / v.size)) if v.size else np.nan
    return float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else np.nan


def _mean_difference(
    a: np.ndarray, b: np.ndarray, unit: str, paired: bool, level: float
) -> dict[str, float]:
    """The difference of the means (or probabilities), its standard error and interval."""
    if paired:
        d = a - b
        d = d[np.isfinite(d)]
        diff = float(d.mean()) if d.size else np.nan
        se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else np.nan
    else:
        diff = float(np.nanmean(a) - np.nanmean(b))
        se = float(np.hypot(_standard_error(a, unit), _standard_error(b, unit)))
    if unit == "prob":
        iv = proportion_difference_interval(a, b, paired=paired, level=level)
        low, high = iv.low, iv.high
    else:
        low, high = diff - z_value(level) * se, diff + z_value(level) * se
    return {"diff_vs_baseline": diff, "diff_se": se, "diff_low": low, "diff_high": high}


def _differences(
    a: np.ndarray,
    b: np.ndarray,
    unit: str,
    paired: bool,
    level: float,
    n_boot: int,
    rng: RngLike,
) -> dict[str, float]:
    """Every difference column of :func:`compare` for one metric (``b`` the baseline's)."""
    if paired and np.array_equal(a, b, equal_nan=True):  # the same in every simulated year
        return {"diff_vs_baseline": 0.0, "diff_se": 0.0, **dict.fromkeys(_DIFF_COLUMNS, 0.0)}
    out = _mean_difference(a, b, unit, paired, level)
    if unit == "prob":
        return out | dict.fromkeys(_DIFF_COLUMNS[2:], np.nan)
    found = percentile_differences(
        a,
        b,
        [{q: 1.0} for _c, q in PERCENTILES],
        paired=paired,
        level=level,
        n_boot=n_boot,
        rng=rng,
    )
    for (col, _q), iv in zip(PERCENTILES, found, strict=True):
        out.update(
            {f"diff_{col}": iv.estimate, f"diff_{col}_low": iv.low, f"diff_{col}_high": iv.high}
        )
    return out


def compare(
    results: Sequence,
    *,
    level: float = 0.95,
    n_boot: int = 1_000,
    rng: RngLike = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Compare scenarios metric by metric, each against the first (the baseline).

    When a result shares the baseline's book, plan year, seed, trial count and
    engine, its trials used the same random draws (common random numbers): the
    difference is computed trial by trial (``paired``), and its interval holds only
    the noise that does not cancel, usually far less than the unpaired one.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    level : float, default 0.95
        Confidence level of every interval (Monte Carlo error only).
    n_boot : int, default 1000
        Bootstrap resamples, where differences of percentiles use the bootstrap (at
        least 100).
    rng : None, int, SeedSequence or Generator, default BOOTSTRAP_SEED
        Seed of that bootstrap. The default is a constant so that the same results
        give the same table; an integer seed's resamples are kept and shared by every
        metric (and by later calls), which keeps a comparison cheap.

    Returns
    -------
    DataFrame
        The columns of :func:`summarize` for each result, then ``diff_vs_baseline,
        diff_se`` (the difference of the means and its standard error), ``paired``,
        ``diff_low, diff_high`` (its interval: ``z`` standard errors of the paired
        differences, or of the two means combined when not paired; Newcombe's
        hybrid score interval for a probability), ``diff_p10, diff_p10_low,
        diff_p10_high`` and the same for P50 and P90 (the difference of the
        percentiles with its interval from :func:`percentile_difference_interval`;
        NaN for a probability). A figure the same in every trial of paired runs has
        difference 0 with interval 0 to 0 (so has the baseline against itself).
        ``attrs``: ``baseline``, ``scenarios``, ``level``.

    Raises
    ------
    ValueError
        If ``results`` is empty, or ``level`` or ``n_boot`` is out of range.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> alt = sample_scenario("accelerated").replace(engine="summed")
    >>> t = compare([simulate(s, 200, rng=1) for s in (base, alt)])
    >>> row = t.set_index(["scenario", "metric"]).loc[(alt.name, "incentive_cost")]
    >>> low, est, high = row[["diff_p90_low", "diff_p90", "diff_p90_high"]]
    >>> bool(row["paired"]), bool(0 < low <= est <= high)
    (True, True)
    """
    if not results:
        raise ValueError("compare() needs at least one result.")
    level = check_level(level)
    base = results[0]
    base_trials = _columns(base.trials)
    base_trials.setdefault("programme_cost", np.zeros(base.n_trials))  # no programme: costs 0
    out = []
    for res in results:
        summ = summarize(res, level=level)
        paired = _crn_key(res) == _crn_key(base)
        trials = _columns(res.trials)
        names = ("diff_vs_baseline", "diff_se", *_DIFF_COLUMNS)
        cols: dict[str, list[float]] = {name: [] for name in names}
        for metric, unit in zip(summ["metric"], summ["unit"], strict=True):
            if metric not in base_trials:  # e.g. leavers, without a workforce there
                found = dict.fromkeys(names, np.nan)
            else:
                found = _differences(
                    trials[metric], base_trials[metric], unit, paired, level, n_boot, rng
                )
            for name in names:
                cols[name].append(found[name])
        diffs = pd.DataFrame(
            {
                "diff_vs_baseline": cols["diff_vs_baseline"],
                "diff_se": cols["diff_se"],
                "paired": paired,
                **{name: cols[name] for name in _DIFF_COLUMNS},
            },
            index=summ.index,
        )
        out.append(pd.concat([summ, diffs], axis=1))
    df = pd.concat(out, ignore_index=True)
    df.attrs.update(
        {
            "baseline": base.scenario.name,
            "scenarios": [r.scenario.name for r in results],
            "level": level,
        }
    )
    return df


def _quarter_labels(periods: Sequence[str]) -> list[str]:
    """``"2026-04"`` -> ``"Q2 2026"``, one label per period."""
    return [f"Q{(int(p[5:7]) - 1) // 3 + 1} {p[:4]}" for p in periods]


def quarterly_accrual(results: Any, *, level: float = 0.95) -> pd.DataFrame:
    """Incentive accrued per quarter: mean, P10 and P90 over trials with their intervals.

    Parameters
    ----------
    results : SimulationResult or sequence of SimulationResult
        Each result's ``payout_by_period`` (company incentive paid per month,
        settled cumulatively year to date; shape ``(trials, periods)``) is summed
        over the months of each quarter of its ``periods`` (``"YYYY-MM"``).
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).

    Returns
    -------
    DataFrame
        Long form, one row per scenario and quarter (scenarios in the order given,
        quarters in the order of the periods): ``scenario, quarter, mean, p10, p90,
        share_of_year, mean_low, mean_high, p10_low, p10_high, p90_low, p90_high``.
        ``quarter`` reads ``"Q1 2026"``; ``mean``, ``p10`` and ``p90`` are over
        trials of the quarter's incentive (numpy's linear percentiles, as everywhere
        in this module), each with its interval (``z`` standard errors for the mean,
        order statistics for a percentile: NaN when the trials are too few for that
        end); ``share_of_year`` is the quarter's mean over the mean annual incentive
        (NaN when that is 0), so a scenario's shares add up to 1.
        ``attrs["currency"]``: the first scenario's plan currency (USD when it has
        none), for the money of a chart of it; ``attrs["level"]``.

    Raises
    ------
    ValueError
        If ``results`` is an empty sequence.

    Examples
    --------
    Two simulated half-years: trial 0 pays 30 in Q1 and 60 in Q2, trial 1 30 and 40.

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(
    ...     scenario=SimpleNamespace(name="base"),
    ...     periods=("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"),
    ...     payout_by_period=np.array([[10.0, 10, 10, 20, 20, 20], [0, 0, 30, 0, 40, 0]]))
    >>> quarterly_accrual(r).iloc[:, :6]
      scenario  quarter  mean   p10   p90  share_of_year
    0     base  Q1 2026  30.0  30.0  30.0          0.375
    1     base  Q2 2026  50.0  42.0  58.0          0.625
    """
    if hasattr(results, "scenario"):  # a single SimulationResult
        results = [results]
    results = list(results)
    if not results:
        raise ValueError("quarterly_accrual needs at least one simulation result.")
    level = check_level(level)
    rows = []
    for r in results:
        labels = _quarter_labels(r.periods)
        quarters = list(dict.fromkeys(labels))
        per_q = np.stack(
            [
                r.payout_by_period[:, [i for i, q in enumerate(labels) if q == quarter]].sum(axis=1)
                for quarter in quarters
            ],
            axis=1,
        )
        year = float(per_q.sum(axis=1).mean())
        for j, quarter in enumerate(quarters):
            col = per_q[:, j]
            d = _describe(col, "$", level)
            rows.append(
                {
                    "scenario": r.scenario.name,
                    "quarter": quarter,
                    "mean": float(col.mean()),
                    "p10": float(np.percentile(col, 10)),
                    "p90": float(np.percentile(col, 90)),
                    "share_of_year": float(col.mean() / year) if year > 0 else float("nan"),
                    **{k: d[k] for k in _ACCRUAL_ENDS},
                }
            )
    frame = pd.DataFrame(rows)
    plan = getattr(results[0].scenario, "plan", None)
    frame.attrs["currency"] = str(getattr(plan, "currency", "USD"))
    frame.attrs["level"] = level
    return frame


#: The interval columns of :func:`quarterly_accrual`.
_ACCRUAL_ENDS = ("mean_low", "mean_high", "p10_low", "p10_high", "p90_low", "p90_high")


def _differences_besides_programmes(a, b) -> list[str]:
    """Scenario fields (other than name, description, trials, programmes) that differ."""
    skip = {"name", "description", "trials", "programmes", "strict"}
    return [f for f in type(a).model_fields if f not in skip and getattr(a, f) != getattr(b, f)]


def programme_return(with_programme: Any, without: Any, *, level: float = 0.95) -> pd.DataFrame:
    """What a programme (coaching, a contest) returns: paired differences of two runs.

    Parameters
    ----------
    with_programme, without : SimulationResult
        The same scenario with and without the programme, on common random numbers
        (same book, plan year, seed, trials and engine), so each trial's difference
        is the programme's effect in that simulated year.

    Returns
    -------
    DataFrame
        One row per figure: ``incremental_bookings``, ``incremental_incentive``
        (what the plan pays more, SPIFF and contest prizes included),
        ``programme_cost`` (outside the plan), ``incremental_cost`` (the two),
        ``bookings_per_dollar`` (incremental bookings over incremental cost, the
        ratio of the means); columns ``mean, se, mean_low, mean_high, p10, p10_low,
        p10_high, p50, ..., p90_high`` (each figure with its interval at ``level``,
        Monte Carlo error only, as in :func:`summarize`; the ratio's by the delta
        method, its percentiles NaN).

    Raises
    ------
    ValueError
        If the scenarios differ in anything but their programmes (name, description
        and trials aside), or the two runs do not share their random numbers.
    """
    diff = _differences_besides_programmes(with_programme.scenario, without.scenario)
    if diff:
        raise ValueError(
            f"programme_return compares a scenario with and without its programmes, but "
            f"{with_programme.scenario.name!r} and {without.scenario.name!r} also differ in "
            f"{', '.join(diff)}; the difference would credit those to the programme. Compare "
            "the scenario with scenario.replace(programmes=None)."
        )
    if _crn_key(with_programme) != _crn_key(without):
        raise ValueError(
            "programme_return needs the two runs on common random numbers: the same book, "
            "plan year, seed, number of trials and engine; run both with simulate(..., rng=S)."
        )
    a, b = with_programme.trials, without.trials
    d_book = (a["company_bookings"] - b["company_bookings"]).to_numpy(float)
    d_pay = (a["incentive_cost"] - b["incentive_cost"]).to_numpy(float)
    cost = float(getattr(with_programme, "programme_cost", 0.0)) - float(
        getattr(without, "programme_cost", 0.0)
    )
    total = d_pay + cost
    level = check_level(level)
    rows = {
        "incremental_bookings": _describe(d_book, "$", level),
        "incremental_incentive": _describe(d_pay, "$", level),
        "programme_cost": _describe(np.full(d_book.size, cost), "$", level),
        "incremental_cost": _describe(total, "$", level),
    }
    mean_cost = float(total.mean())
    ratio = float(d_book.mean()) / mean_cost if mean_cost > 0 else np.nan
    # delta method for a ratio of paired means
    n = d_book.size
    if mean_cost > 0 and n > 1:
        resid = d_book - ratio * total
        se = float(resid.std(ddof=1) / np.sqrt(n) / mean_cost)
    else:
        se = np.nan
    half = z_value(level) * se
    rows["bookings_per_dollar"] = {
        "mean": ratio,
        "se": se,
        "mean_low": ratio - half,
        "mean_high": ratio + half,
        **{f"{c}{end}": np.nan for c, _q in PERCENTILES for end in ("", "_low", "_high")},
    }
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("figure").reset_index()
    df.attrs.update(
        {
            "with": with_programme.scenario.name,
            "without": without.scenario.name,
            "n_trials": n,
            "level": level,
        }
    )
    return df
