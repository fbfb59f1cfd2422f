"""Plausibility of results: figures outside a believable range, with their drivers.

The public names are :func:`result_warnings`, :func:`result_flags`,
:func:`check_figures` and :data:`RESULT_RANGES`, re-exported by
:mod:`spm_sim.metrics`, whose module notes give each bound with its source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from spm_sim._format import format_money, format_pct

__all__ = ["RESULT_RANGES", "check_figures", "result_flags", "result_warnings"]


# --- plausibility of results ---------------------------------------------------------

#: figure -> (low, high): outside it a result is flagged (None: no bound on that side).
#: Ratios are fractions (0.25 = 25%); ``effective_rate`` is a multiple of the TCR.
#: Why these bounds, with their sources (ZS, Xactly/OpenSymmetry 2018, surveys of
#: accelerators, Xactly/CSO Insights/Forrester on reps at quota): the module notes.
RESULT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "ccos": (None, 0.50),
    "incentive_cost_of_sales": (None, 0.25),
    "effective_rate": (None, 3.0),
    "median_attainment": (0.20, 3.00),
    "share_reps_at_quota": (0.005, 0.995),
}

# figure -> (label, what is usual in practice)
_FIGURES: dict[str, tuple[str, str]] = {
    "ccos": (
        "compensation cost of sales",
        "3-9% of revenue is typical, about 10% on average",
    ),
    "incentive_cost_of_sales": (
        "incentive cost of sales",
        "about 4% at a 10% CCOS and a 60/40 pay mix",
    ),
    "effective_rate": (
        "effective rate (incentive paid per dollar booked)",
        "accelerators pay 1.5x-2.5x TCR above quota",
    ),
    "median_attainment": ("median rep attainment", "medians near 100% are usual"),
    "share_reps_at_quota": (
        "share of reps at or above quota",
        "45-55% of reps reach quota in practice",
    ),
}

# figure -> why it could not be computed
_NOT_FINITE = {
    "ccos": "company bookings are 0 in every trial",
    "incentive_cost_of_sales": "company bookings are 0 in every trial",
    "effective_rate": "company bookings, the quotas or the target incentive add up to 0",
    "median_attainment": "no rep has a quota",
    "share_reps_at_quota": "no rep has a quota",
}

# figure -> what to check
_ADVICE = {
    "ccos": "check the base salaries and target incentive (reps.csv) against the quotas "
    "and the book's deal amounts",
    "incentive_cost_of_sales": "check the quotas, the reps' target incentive (reps.csv, "
    "column target_incentive) and the plan's rates",
    "effective_rate": "check the plan's rates and bonuses",
    "median_attainment": "check the quota settings (method, growth, target, "
    "over-assignment) and the book's bookings",
    "share_reps_at_quota": "check the quota settings (method, growth, target, "
    "over-assignment) and the book's bookings",
}


def _finite(x: Any) -> bool:
    return isinstance(x, int | float | np.number) and math.isfinite(float(x))


def _figure_text(figure: str, x: float) -> str:
    if figure == "effective_rate":
        return f"{x:.1f}x TCR"
    return format_pct(x, decimals=0 if abs(x) >= 0.095 else 1)


def _bound_text(figure: str, side: str, bound: float) -> str:
    if figure == "share_reps_at_quota":
        return (
            ": almost every rep reaches quota in every simulated year"
            if side == "high"
            else ": almost no rep reaches quota in any simulated year"
        )
    return f" is {'above' if side == 'high' else 'below'} {_figure_text(figure, bound)}"


def _why(figure: str, d: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The inputs behind ``figure`` in words, and the driver names used."""
    cur = str(d.get("currency", "USD"))

    def money(key: str) -> str:
        return format_money(float(d[key]), currency=cur)

    def have(*keys: str) -> bool:
        return all(_finite(d.get(k)) for k in keys)

    parts: list[tuple[str, tuple[str, ...]]] = []
    if figure in ("incentive_cost_of_sales", "ccos") and have("median_ti", "median_quota"):
        parts.append(
            (
                f"a median target incentive of {money('median_ti')} per rep against a median "
                f"annual quota of {money('median_quota')}",
                ("median_ti", "median_quota"),
            )
        )
    if figure in ("incentive_cost_of_sales", "ccos") and have("tcr"):
        parts.append((f"TCR {format_pct(d['tcr'])} (total TI / total quota)", ("tcr",)))
    if figure == "ccos" and have("base_salaries", "incentive", "bookings"):
        parts.append(
            (
                f"base salaries of {money('base_salaries')} plus incentive of "
                f"{money('incentive')} against company bookings of {money('bookings')}",
                ("base_salaries", "incentive", "bookings"),
            )
        )
    if figure == "effective_rate" and d.get("plan_rates"):
        plan = f"plan {d['plan']!r}: " if d.get("plan") else "the plan: "
        parts.append((plan + str(d["plan_rates"]), ("plan", "plan_rates")))
    if figure in ("incentive_cost_of_sales", "effective_rate") and have("payout_share_of_ti"):
        text = f"the plan pays {format_pct(d['payout_share_of_ti'], decimals=0)} of TI"
        used: tuple[str, ...] = ("payout_share_of_ti",)
        if have("median_attainment"):
            text += (
                f" at a median rep attainment of {format_pct(d['median_attainment'], decimals=0)}"
            )
            used += ("median_attainment",)
        parts.append((text, used))
    if figure in ("median_attainment", "share_reps_at_quota"):
        if have("median_quota", "median_bookings"):
            parts.append(
                (
                    f"a median annual quota of {money('median_quota')} against median "
                    f"expected bookings of {money('median_bookings')} per rep",
                    ("median_quota", "median_bookings"),
                )
            )
        if d.get("quota"):
            parts.append((f"quotas: {d['quota']}", ("quota",)))
    return "; ".join(p for p, _ in parts), [k for _, keys in parts for k in keys]


def check_figures(
    scenario: str,
    figures: Mapping[str, float | tuple[float, str]],
    drivers: Mapping[str, Any] | None = None,
    *,
    prefix: str | None = None,
) -> list[dict[str, Any]]:
    """Flag figures outside :data:`RESULT_RANGES`, with the inputs that drive them.

    The cheap core of :func:`result_flags`, for figures already computed elsewhere
    (a table of quota methods, a widget). Figures not in :data:`RESULT_RANGES` are
    ignored.

    Parameters
    ----------
    scenario : str
        The name the messages start with.
    figures : mapping of str to float or (float, str)
        Figure name -> value, or value and the statistic it is (``"P50 over 500
        trials"``). Names: ``ccos``, ``incentive_cost_of_sales``, ``effective_rate``
        (a multiple of the TCR), ``median_attainment``, ``share_reps_at_quota``.
    drivers : mapping, optional
        The inputs to name, any of: ``currency``; money ``median_ti``,
        ``median_quota``, ``median_bookings`` (per rep), ``base_salaries``,
        ``incentive``, ``bookings`` (company totals); ratios ``tcr``,
        ``payout_share_of_ti``, ``median_attainment``; text ``plan``,
        ``plan_rates``, ``quota``; ``advice``, a mapping of figure name to what to
        check, where the inputs came from elsewhere than a book (command-line
        options). Missing ones are left out of the message.
    prefix : str, optional
        What the messages start with (default ``"scenario 'name'"``), e.g. a quota
        method compared within one scenario.

    Returns
    -------
    list of dict
        One per flagged figure, in the order of ``figures``: ``scenario, figure,
        label, value, statistic, low, high, usual, drivers`` (the drivers the
        message names), ``text`` (the message without the scenario) and
        ``message`` (``"scenario 'name': " + text``, or ``prefix + ": " + text``).

    Examples
    --------
    >>> flags = check_figures(
    ...     "Big TI", {"incentive_cost_of_sales": (0.46, "P50 over 50 trials")},
    ...     {"median_ti": 120_000, "median_quota": 260_000, "tcr": 0.46})
    >>> print(flags[0]["message"])  # doctest: +NORMALIZE_WHITESPACE
    scenario 'Big TI': incentive cost of sales 46% (P50 over 50 trials) is above 25%
    (about 4% at a 10% CCOS and a 60/40 pay mix): a median target incentive of $120k
    per rep against a median annual quota of $260k; TCR 46.0% (total TI / total
    quota); check the quotas, the reps' target incentive (reps.csv, column
    target_incentive) and the plan's rates.
    >>> check_figures("Fine", {"ccos": 0.09, "median_attainment": 0.97})
    []
    """
    d = dict(drivers or {})
    who = f"scenario {scenario!r}" if prefix is None else prefix
    own_advice = dict(d.pop("advice", None) or {})

    def advice(figure: str) -> str:
        return str(own_advice.get(figure, _ADVICE[figure]))

    out = []
    for figure, given in figures.items():
        if figure not in RESULT_RANGES:
            continue
        value, how = given if isinstance(given, tuple) else (given, "")
        value = float(value)
        low, high = RESULT_RANGES[figure]
        label, usual = _FIGURES[figure]
        stat = f" ({how})" if how else ""
        if not math.isfinite(value):
            text = f"{label} could not be computed{stat}: {_NOT_FINITE[figure]}; {advice(figure)}."
            used: list[str] = []
        else:
            side = "high" if high is not None and value > high else None
            if side is None and low is not None and value < low:
                side = "low"
            if side is None:
                continue
            bound = high if side == "high" else low
            assert bound is not None
            why, used = _why(figure, d)
            text = (
                f"{label} {_figure_text(figure, value)}{stat}"
                f"{_bound_text(figure, side, bound)} ({usual})"
                + (f": {why}" if why else "")
                + f"; {advice(figure)}."
            )
        out.append(
            {
                "scenario": scenario,
                "figure": figure,
                "label": label,
                "value": value,
                "statistic": how,
                "low": low,
                "high": high,
                "usual": usual,
                "drivers": {k: d[k] for k in used if k in d},
                "text": text,
                "message": f"{who}: {text}",
            }
        )
    return out


def _p50(values: Any) -> float:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


def _plan_rates(plan: Any) -> str:
    """The top rate of each commission component, in words."""
    parts = []
    for c in getattr(plan, "components", ()):
        if getattr(c, "type", None) != "commission":
            continue
        if c.curve:
            top = c.curve[-1]
            parts.append(
                f"component {c.name!r} pays on a curve up to {top.payout:g}x TI at "
                f"{format_pct(top.attainment, decimals=0)} of quota"
            )
        elif c.tiers:
            rate = max(t.rate for t in c.tiers)
            unit = "x TCR" if c.rate_basis == "tcr" else f" of {c.measure}"
            shown = f"{rate:g}" if c.rate_basis == "tcr" else format_pct(rate)
            parts.append(f"component {c.name!r} pays up to {shown}{unit}")
    return ", ".join(parts) or "no commission component"


def _quota_text(scenario: Any) -> str:
    q = scenario.quota
    cur = scenario.plan.currency
    text = f"method {q.method}"
    if q.target is not None:
        text += f", company target {format_money(float(q.target), currency=cur)}"
    else:
        text += f", growth {format_pct(q.growth, decimals=0, sign=True)}"
    return text + f", over-assignment {format_pct(q.over_assignment.total, decimals=0)}"


def _result_figures(result: Any) -> tuple[dict[str, tuple[float, str]], dict[str, Any]]:
    """The flagged figures of one result, and their drivers (from figures at hand)."""
    trials = result.trials
    n = result.n_trials
    has = result.quotas.annual > 0
    quota = result.quotas.annual[has]
    ti = result.target_incentive[has]
    tcr = float(ti.sum() / quota.sum()) if quota.sum() > 0 else float("nan")
    incentive = trials["incentive_cost"].to_numpy(float)
    bookings = trials["company_bookings"].to_numpy(float)
    att = result.rep_attainment[:, has]
    median_att = float(np.nanmedian(att)) if att.size else float("nan")
    p50 = f"P50 over {n:,} trials"
    figures: dict[str, tuple[float, str]] = {
        "ccos": (_p50(trials["ccos"]), p50),
        "incentive_cost_of_sales": (_p50(trials["incentive_cost_of_sales"]), p50),
    }
    if tcr > 0:  # a plan paid on bookings alone with no TI has no TCR to compare with
        with np.errstate(divide="ignore", invalid="ignore"):
            eff = np.where(bookings > 0, incentive / bookings / tcr, np.nan)
        figures["effective_rate"] = (_p50(eff), p50)
    figures["median_attainment"] = (
        median_att,
        f"over {n:,} trials x {int(has.sum())} reps with a quota",
    )
    figures["share_reps_at_quota"] = (
        float(np.nanmean(trials["share_reps_at_quota"])) if has.any() else float("nan"),
        f"mean over {n:,} trials",
    )
    drivers = {
        "currency": result.scenario.plan.currency,
        "median_ti": float(np.median(ti)) if ti.size else float("nan"),
        "median_quota": float(np.median(quota)) if quota.size else float("nan"),
        "median_bookings": float(np.median(result.bookings.mean(axis=0)[has]))
        if has.any()
        else float("nan"),
        "tcr": tcr,
        "base_salaries": float(result.base_salary.sum()),
        "incentive": _p50(incentive),
        "bookings": _p50(bookings),
        "payout_share_of_ti": _p50(trials["payout_share_of_ti"]),
        "median_attainment": median_att,
        "plan": result.scenario.plan.name,
        "plan_rates": _plan_rates(result.scenario.plan),
        "quota": _quota_text(result.scenario),
    }
    return figures, drivers


def result_flags(results: Any) -> list[dict[str, Any]]:
    """Results nobody should believe, with the inputs that drive them (structured).

    Parameters
    ----------
    results : SimulationResult or sequence of SimulationResult

    Returns
    -------
    list of dict
        One per figure outside :data:`RESULT_RANGES`, scenario by scenario in the
        order given; keys as :func:`check_figures` (``message`` is what
        :func:`result_warnings` returns). Empty when every figure is plausible.

    Notes
    -----
    Cheap: it reads the per-trial table (:attr:`SimulationResult.trials`, cached)
    and the annual arrays already in the result. The figures and their bounds are
    in the module notes; medians over trials (P50) keep one odd trial from
    raising a flag.
    """
    if hasattr(results, "scenario"):  # a single SimulationResult
        results = [results]
    out = []
    for r in results:
        figures, drivers = _result_figures(r)
        out += check_figures(r.scenario.name, figures, drivers)
    return out


def result_warnings(results: Any) -> list[str]:
    """The flags of :func:`result_flags` as messages, one line each.

    Each message names the scenario, the figure, its value and statistic, the
    range it left, what is usual, the inputs that drive it and what to check.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> s = sample_scenario("baseline")
    >>> result_warnings(simulate(s, 50, rng=0))
    []
    >>> tiny = s.replace(name="Tiny quotas", quota=s.quota.replace(growth=-0.9))
    >>> for line in result_warnings(simulate(tiny, 50, rng=0)):
    ...     print(line.split(" (")[0])
    scenario 'Tiny quotas': median rep attainment ...%
    scenario 'Tiny quotas': share of reps at or above quota 100%
    """
    return [f["message"] for f in result_flags(results)]
