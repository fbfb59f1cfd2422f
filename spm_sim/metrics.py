"""Tidy summaries of simulation results, and paired comparisons of scenarios.

Definitions (per trial ``t``; ``B_t`` company bookings, ``T`` company target,
``I_t`` incentive paid, ``S`` base salaries of the simulated reps):

* company attainment ``B_t / T``; the company target is hit when it is >= 1;
* share of reps at quota: the share of reps with a quota whose annual bookings >=
  their annual quota;
* incentive cost ``I_t``; payout as a share of target incentive ``I_t / sum(TI)``;
* compensation cost of sales (CCOS) ``(S + I_t) / B_t``; incentive cost of sales
  ``I_t / B_t``.

Standard errors: for a mean, ``sd / sqrt(n)``; for a probability, ``sqrt(p(1-p)/n)``.
Percentiles are the empirical P10/P50/P90 of the trials (numpy's linear method).

Intervals (:func:`percentile_interval`, :func:`proportion_interval`,
:func:`mean_interval`, :func:`bootstrap_interval`, :func:`difference_interval`, each
an :class:`Interval`):
order statistics for a percentile (distribution-free: the count of trials below the
true percentile is binomial), Wilson's score interval for a probability, ``z``
standard errors for a mean, and a bootstrap for the difference of any of these
between two scenarios (the trials resampled together when the scenarios share
their random numbers). They measure Monte Carlo noise, not model uncertainty.

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

from ._metrics.intervals import (
    Interval,
    bootstrap_interval,
    difference_interval,
    mean_interval,
    percentile_interval,
    proportion_interval,
)
from ._metrics.plausibility import RESULT_RANGES, check_figures, result_flags, result_warnings

__all__ = [
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
    "Interval",
    "percentile_interval",
    "proportion_interval",
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


def _describe(values: np.ndarray, unit: str) -> dict[str, float]:
    v = values[np.isfinite(values)]
    n = v.size
    mean = float(v.mean()) if n else np.nan
    if unit == "prob":
        se = float(np.sqrt(mean * (1 - mean) / n)) if n else np.nan
        return {"mean": mean, "se": se, "p10": np.nan, "p50": np.nan, "p90": np.nan}
    se = float(v.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    p10, p50, p90 = np.percentile(v, [10, 50, 90]) if n else (np.nan,) * 3
    return {"mean": mean, "se": se, "p10": float(p10), "p50": float(p50), "p90": float(p90)}


def summarize(result: Any) -> pd.DataFrame:
    """Tidy summary of one result: one row per metric.

    Columns: ``scenario, metric, label, unit, mean, se, p10, p50, p90, n_trials``.
    For the probability metric the percentiles are NaN and ``se`` is binomial.
    """
    trials = result.trials
    rows = []
    extra = {k: v for k, v in DYNAMICS_METRICS.items() if k in trials.columns}
    for metric, (label, unit) in {**METRICS, **extra}.items():
        rows.append(
            {
                "scenario": result.scenario.name,
                "metric": metric,
                "label": label,
                "unit": unit,
                **_describe(trials[metric].to_numpy(float), unit),
                "n_trials": result.n_trials,
            }
        )
    df = pd.DataFrame(rows)
    df.attrs.update(result.provenance)
    return df


def rep_summary(result: Any) -> pd.DataFrame:
    """One row per rep: region, quota, expected bookings and pay, P(at quota)."""
    att = result.rep_attainment
    pay = result.payout.sum(axis=2)
    has_quota = result.quotas.annual > 0
    df = pd.DataFrame(
        {
            "rep_id": list(result.rep_ids),
            "region": result.regions,
            "annual_quota": result.quotas.annual,
            "expected_bookings": result.bookings.mean(axis=0),
            "expected_attainment": np.where(has_quota, att.mean(axis=0), np.nan),
            "p_at_quota": np.where(has_quota, (att >= 1.0).mean(axis=0), np.nan),
            "target_incentive": result.target_incentive,
            "expected_incentive": pay.mean(axis=0),
            "incentive_p90": np.percentile(pay, 90, axis=0),
        }
    )
    df.attrs.update(result.provenance)
    return df


def _crn_key(result) -> tuple:
    s = result.scenario
    return (
        s.book,
        s.plan_year,
        result.seed["entropy"],
        tuple(result.seed["spawn_key"]),
        result.n_trials,
        getattr(s, "engine", "deals"),
    )


def compare(results: Sequence) -> pd.DataFrame:
    """Compare scenarios metric by metric, each against the first (the baseline).

    When a result shares the baseline's book, plan year, seed and trial count, its
    trials used the same random draws (common random numbers): the difference is
    computed trial by trial and its standard error is that of the paired
    differences, usually far smaller than the unpaired one. Otherwise the standard
    error combines the two results' standard errors (``paired`` is False).

    Returns
    -------
    DataFrame
        Columns ``scenario, metric, label, unit, mean, se, p10, p50, p90,
        diff_vs_baseline, diff_se, paired``.
    """
    if not results:
        raise ValueError("compare() needs at least one result.")
    base = results[0]
    base_trials = base.trials
    out = []
    for res in results:
        summ = res.summary()
        paired = _crn_key(res) == _crn_key(base)
        diffs, ses = [], []
        for metric, unit in zip(summ["metric"], summ["unit"], strict=True):
            if metric == "programme_cost" and metric not in base_trials.columns:
                base_trials = base_trials.assign(programme_cost=0.0)  # no programme: costs 0
            if metric not in base_trials.columns:  # e.g. leavers, without a workforce there
                diffs.append(np.nan)
                ses.append(np.nan)
                continue
            a = res.trials[metric].to_numpy(float)
            b = base_trials[metric].to_numpy(float)
            if paired:
                d = a - b
                d = d[np.isfinite(d)]
                diffs.append(float(d.mean()))
                ses.append(float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else np.nan)
            else:
                sa = _describe(a, unit)["se"]
                sb = _describe(b, unit)["se"]
                diffs.append(float(np.nanmean(a) - np.nanmean(b)))
                ses.append(float(np.hypot(sa, sb)))
        summ["diff_vs_baseline"] = diffs
        summ["diff_se"] = ses
        summ["paired"] = paired
        out.append(summ)
    df = pd.concat(out, ignore_index=True)
    df.attrs.update(
        {"baseline": base.scenario.name, "scenarios": [r.scenario.name for r in results]}
    )
    return df


def _quarter_labels(periods: Sequence[str]) -> list[str]:
    """``"2026-04"`` -> ``"Q2 2026"``, one label per period."""
    return [f"Q{(int(p[5:7]) - 1) // 3 + 1} {p[:4]}" for p in periods]


def quarterly_accrual(results: Any) -> pd.DataFrame:
    """Incentive accrued per quarter: mean, P10 and P90 over trials, per scenario.

    Parameters
    ----------
    results : SimulationResult or sequence of SimulationResult
        Each result's ``payout_by_period`` (company incentive paid per month,
        settled cumulatively year to date; shape ``(trials, periods)``) is summed
        over the months of each quarter of its ``periods`` (``"YYYY-MM"``).

    Returns
    -------
    DataFrame
        Long form, one row per scenario and quarter (scenarios in the order given,
        quarters in the order of the periods): ``scenario, quarter, mean, p10, p90,
        share_of_year``. ``quarter`` reads ``"Q1 2026"``; ``mean``, ``p10`` and
        ``p90`` are over trials of the quarter's incentive (numpy's linear
        percentiles, as everywhere in this module); ``share_of_year`` is the
        quarter's mean over the mean annual incentive (NaN when that is 0), so a
        scenario's shares add up to 1. ``attrs["currency"]``: the first scenario's
        plan currency (USD when it has none), for the money of a chart of it.

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
    >>> quarterly_accrual(r)
      scenario  quarter  mean   p10   p90  share_of_year
    0     base  Q1 2026  30.0  30.0  30.0          0.375
    1     base  Q2 2026  50.0  42.0  58.0          0.625
    """
    if hasattr(results, "scenario"):  # a single SimulationResult
        results = [results]
    results = list(results)
    if not results:
        raise ValueError("quarterly_accrual needs at least one simulation result.")
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
            rows.append(
                {
                    "scenario": r.scenario.name,
                    "quarter": quarter,
                    "mean": float(col.mean()),
                    "p10": float(np.percentile(col, 10)),
                    "p90": float(np.percentile(col, 90)),
                    "share_of_year": float(col.mean() / year) if year > 0 else float("nan"),
                }
            )
    frame = pd.DataFrame(rows)
    plan = getattr(results[0].scenario, "plan", None)
    frame.attrs["currency"] = str(getattr(plan, "currency", "USD"))
    return frame


def _differences_besides_programmes(a, b) -> list[str]:
    """Scenario fields (other than name, description, trials, programmes) that differ."""
    skip = {"name", "description", "trials", "programmes", "strict"}
    return [f for f in type(a).model_fields if f not in skip and getattr(a, f) != getattr(b, f)]


def programme_return(with_programme: Any, without: Any) -> pd.DataFrame:
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
        ratio of the means); columns ``mean, se, p10, p50, p90``.

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
    rows = {
        "incremental_bookings": _describe(d_book, "$"),
        "incremental_incentive": _describe(d_pay, "$"),
        "programme_cost": _describe(np.full(d_book.size, cost), "$"),
        "incremental_cost": _describe(total, "$"),
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
    rows["bookings_per_dollar"] = {
        "mean": ratio,
        "se": se,
        "p10": np.nan,
        "p50": np.nan,
        "p90": np.nan,
    }
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("figure").reset_index()
    df.attrs.update(
        {"with": with_programme.scenario.name, "without": without.scenario.name, "n_trials": n}
    )
    return df
