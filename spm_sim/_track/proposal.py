"""The cost of a proposed mid-year SPIFF or contest, and its effect on bookings.

:func:`proposal_effect` forecasts the rest of the year twice from the same as-of
date, under the plan in force and under the proposed plan (the same plan with the
extra component), on the same random numbers (common random numbers: trial ``t``
draws the same new business and the same pipeline outcomes under both), and
reports the paired differences with their intervals: the incentive cost, the cost
of the new components, the bookings and the reps at quota.

Behaviour: without a scenario, or with one that has neither a ``behaviour`` block
nor a contest response (``programmes.contest``), the sales are the same under both
plans, so the bookings do not move and the difference is the proposal's cost alone
(the table's notes say so). With a behaviour block the reps' effort responds to
each plan from the as-of month; a contest response (its uplift in the window, the
deals pulled forward, its ``cost`` paid outside the plan) belongs to the proposal,
so it applies to the proposed plan only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.comp import Plan, load_plan
from spm_sim.errors import PlanError
from spm_sim.metrics import (
    Interval,
    mean_interval,
    percentile_difference_interval,
    percentile_interval,
)
from spm_sim.random import seed_sequence

from .forecast import forecast
from .result import Forecast

__all__ = ["ProposalEffect", "proposal_effect", "PROPOSAL_COLUMNS"]

#: The columns of :attr:`ProposalEffect.table`.
PROPOSAL_COLUMNS = (
    "figure",
    "unit",
    "baseline",
    "baseline_low",
    "baseline_high",
    "proposed",
    "proposed_low",
    "proposed_high",
    "difference",
    "difference_low",
    "difference_high",
)


@dataclass(frozen=True, eq=False)
class ProposalEffect:
    """A proposal's effect on the rest of the year, paired with the plan in force.

    Attributes
    ----------
    table : DataFrame
        One row per figure (:data:`PROPOSAL_COLUMNS`): ``figure``, ``unit`` (the
        currency or ``reps``), the baseline and the proposed values each with their
        interval, and the paired ``difference`` (proposed minus baseline) with its
        interval. ``attrs``: ``as_of``, ``plan``, ``proposed_plan``, ``currency``,
        ``trials``, ``behaviour`` (whether bookings could respond), ``level``.
    baseline, proposed : Forecast
        The two forecasts, on the same random numbers.
    new_components : tuple of str
        Components of the proposed plan that the plan in force does not have.
    behaviour : bool
        Whether the scenario let bookings respond to the plans.
    notes : tuple of str
    """

    table: pd.DataFrame
    baseline: Forecast
    proposed: Forecast
    new_components: tuple[str, ...]
    behaviour: bool
    notes: tuple[str, ...] = ()


def _known(iv: Interval, values: np.ndarray) -> Interval:
    """A zero-width interval when every trial agrees (a known figure)."""
    if values.size and np.ptp(values) == 0.0:
        return Interval(iv.estimate, iv.estimate, iv.estimate)
    return iv


def _mean_row(
    figure: str, unit: str, base: np.ndarray, new: np.ndarray, level: float
) -> dict[str, Any]:
    b = _known(mean_interval(base, level=level), base)
    p = _known(mean_interval(new, level=level), new)
    d = _known(mean_interval(new - base, level=level), new - base)
    return _row(figure, unit, b, p, d)


def _row(figure: str, unit: str, b: Interval, p: Interval, d: Interval) -> dict[str, Any]:
    return {
        "figure": figure,
        "unit": unit,
        "baseline": b.estimate,
        "baseline_low": b.low,
        "baseline_high": b.high,
        "proposed": p.estimate,
        "proposed_low": p.low,
        "proposed_high": p.high,
        "difference": d.estimate,
        "difference_low": d.low,
        "difference_high": d.high,
    }


def _check_pair(plan: Plan, proposed: Plan) -> None:
    if plan.currency != proposed.currency:
        raise PlanError(
            f"the proposed plan {proposed.name!r} pays in {proposed.currency}, the plan in "
            f"force {plan.name!r} in {plan.currency}; a proposal must pay in the same currency"
        )
    if plan.role is not None and proposed.role is not None and plan.role != proposed.role:
        raise PlanError(
            f"the proposed plan {proposed.name!r} is for role {proposed.role!r}, the plan in "
            f"force {plan.name!r} for role {plan.role!r}; propose a change to the same team"
        )


def _without_contest_response(scenario: Any) -> Any:
    progs = getattr(scenario, "programmes", None)
    if progs is None or progs.contest is None:
        return scenario
    rest = progs.replace(contest=None)
    empty = all(getattr(rest, f) is None for f in type(rest).model_fields)
    return scenario.replace(programmes=None if empty else rest)


def proposal_effect(
    book: Any,
    plan: Plan | str | Path,
    proposed_plan: Plan | str | Path,
    as_of: Any,
    *,
    scenario: Any = None,
    trials: int = 2_000,
    rng: Any = None,
    quotas: Any = None,
    level: float = 0.95,
    progress: bool = False,
) -> ProposalEffect:
    """What a proposed mid-year SPIFF or contest would cost, and what it would bring.

    Parameters
    ----------
    book : Book
    plan : Plan or path to a plan YAML
        The plan in force.
    proposed_plan : Plan or path to a plan YAML
        The plan with the proposal (e.g. the plan in force plus a ``spiff`` or
        ``contest`` component); same currency and role. A component whose window
        began before the as-of date pays on the deals already booked in it too (as
        if it had been announced then), and that shows in the cost to date.
    as_of : str, date or Timestamp
        The last day known.
    scenario : Scenario, optional
        Its ``behaviour`` applies to both plans from the as-of month; its contest
        response (``programmes.contest``) to the proposed plan only. Without it the
        bookings do not move (cost only).
    trials : int, default 2000
    rng : int, SeedSequence or Generator, optional
        One root for both forecasts (default 0): the same numbers under both plans.
    quotas : Quotas, optional
        As :func:`spm_sim._track.forecast.forecast` takes them (the same for both).
    level : float, default 0.95
    progress : bool, default False

    Returns
    -------
    ProposalEffect
        ``table`` rows: ``incentive cost, year`` (mean; the difference with the
        paired t interval), ``incentive cost, year P90`` (order-statistic intervals;
        the difference of the P90s with the paired, linearised interval of
        :func:`~spm_sim.metrics.percentile_difference_interval`), ``incentive cost,
        rest of year`` (beyond the payroll to date), one ``cost of '<name>'`` per new
        component, ``cost outside the plan`` (a contest response's ``cost``),
        ``bookings, rest of year``, ``reps at quota`` (expected count); money in the
        plan's currency.

    Raises
    ------
    PlanError
        If the two plans pay in different currencies or are for different roles.

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> effect = proposal_effect(load_sample(), "data/plans/baseline.yaml",
    ...                          "data/plans/q4_spiff.yaml", "2025-06-30", trials=40, rng=0)
    >>> effect.new_components
    ('analytics_spiff', 'analytics_contest')
    >>> row = effect.table.set_index("figure").loc["bookings, rest of year"]
    >>> float(row.difference)              # no behaviour: the same sales
    0.0
    >>> cost = effect.table.set_index("figure").loc["incentive cost, year"]
    >>> bool(cost.difference_low > 0)      # the push costs money
    True
    """
    base_plan = load_plan(plan)
    new_plan = load_plan(proposed_plan)
    _check_pair(base_plan, new_plan)
    root = seed_sequence(0 if rng is None else rng)
    # both forecasts from the same root entropy: trial t draws the same numbers in both
    seed = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key)
    seed_again = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key)
    base_scenario = _without_contest_response(scenario) if scenario is not None else None
    common = {"trials": trials, "quotas": quotas, "progress": progress}
    baseline = forecast(book, base_plan, as_of, rng=seed, scenario=base_scenario, **common)
    proposed = forecast(book, new_plan, as_of, rng=seed_again, scenario=scenario, **common)
    if baseline.rep_ids != proposed.rep_ids:
        raise PlanError(
            f"the plans {base_plan.name!r} and {new_plan.name!r} cover different reps; a "
            "proposal must be for the same team"
        )
    behaviour = scenario is not None and (
        getattr(scenario, "behaviour", None) is not None
        or getattr(getattr(scenario, "programmes", None), "contest", None) is not None
    )
    cur = base_plan.currency
    b_cost = baseline.payout.total.sum(axis=1)
    p_cost = proposed.payout.total.sum(axis=1)
    response = getattr(getattr(scenario, "programmes", None), "contest", None)
    outside = float(response.cost) if response is not None else 0.0
    p_cost = p_cost + outside
    rows = [_mean_row("incentive cost, year", cur, b_cost, p_cost, level)]
    rows.append(
        _row(
            "incentive cost, year P90",
            cur,
            percentile_interval(b_cost, 0.9, level=level),
            percentile_interval(p_cost, 0.9, level=level),
            percentile_difference_interval(p_cost, b_cost, 0.9, paired=True, level=level),
        )
    )
    b_paid = float(np.asarray(baseline.paid_to_date).sum())
    p_paid = float(np.asarray(proposed.paid_to_date).sum())
    rows.append(
        _mean_row("incentive cost, rest of year", cur, b_cost - b_paid, p_cost - p_paid, level)
    )
    old = set(baseline.payout.components)
    new_components = tuple(c for c in proposed.payout.components if c not in old)
    for name in new_components:
        j = proposed.payout.components.index(name)
        spend = proposed.payout.by_component[..., j].sum(axis=(1, 2))
        rows.append(_mean_row(f"cost of {name!r}", cur, np.zeros_like(spend), spend, level))
    if outside:
        fixed = np.full(b_cost.shape, outside)
        rows.append(_mean_row("cost outside the plan", cur, np.zeros_like(fixed), fixed, level))
    b_book = (baseline.bookings - baseline.actual[None]).sum(axis=(1, 2))
    p_book = (proposed.bookings - proposed.actual[None]).sum(axis=(1, 2))
    rows.append(_mean_row("bookings, rest of year", cur, b_book, p_book, level))
    quota = np.asarray(baseline.quotas, dtype=float).sum(axis=1)
    on = quota > 0

    def at_quota(fc: Forecast) -> np.ndarray:
        return fc.made_quota[:, on].sum(axis=1).astype(float)

    rows.append(_mean_row("reps at quota", "reps", at_quota(baseline), at_quota(proposed), level))
    notes = []
    if not behaviour:
        notes.append(
            "The reps' response is not modelled: the same sales under both plans, so the "
            "bookings do not move and the difference is the proposal's cost alone; give a "
            "scenario with a contest response (programmes.contest) for the reps' response."
        )
    if not new_components:
        notes.append(
            f"The proposed plan {new_plan.name!r} adds no component to {base_plan.name!r}; "
            "the difference is that of its changed rules."
        )
    table = pd.DataFrame(rows, columns=list(PROPOSAL_COLUMNS))
    table.attrs.update(
        {
            "as_of": baseline.as_of.date().isoformat(),
            "plan": base_plan.name,
            "proposed_plan": new_plan.name,
            "currency": cur,
            "trials": int(baseline.n_trials),
            "behaviour": bool(behaviour),
            "level": float(level),
            "notes": tuple(notes),
        }
    )
    return ProposalEffect(
        table=table,
        baseline=baseline,
        proposed=proposed,
        new_components=new_components,
        behaviour=bool(behaviour),
        notes=tuple(notes),
    )
