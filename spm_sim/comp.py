"""Compensation plans and what they pay: the plan specs and the payout kernel.

A :class:`Plan` is a frozen, validated spec (components with marginal or retroactive
tiers or a curve, thresholds, caps, periods, gates and multipliers; bonuses, MBOs,
SPIFFs, contests, draws and clawbacks), read from YAML with :func:`load_plan` or
built with :func:`standard_plan`. :func:`payout` turns credited bookings into money
for any number of trials, reps and periods at once (``detail="annual"``: only the
totals a simulation keeps, an :class:`AnnualPayout`); :func:`payout_curve` and
:func:`plan_metrics` give the same rule over attainment for plots and plan reviews;
:func:`plan_rules` states a plan's rules in plain words.

Conventions: attainment is a fraction (``1.0`` is 100% of quota); arrays are
batch-first, ``(..., n_reps, n_periods[, n_components])``, and the kernel broadcasts
over leading axes; money stays float64 inside arrays and goes through
:func:`round_money` when shown to people.

The workings live in ``spm_sim/_comp/``: ``components`` (the specs of a plan's
parts), ``plan`` (the plan spec, loading and its JSON schema), ``kernel`` (the payout
kernel's entry point: checks, blocks of trials, each component dispatched),
``earnings`` (what each part of a plan earns: tiers, gates, true-up, draws),
``totals`` (:class:`Payout` and :class:`AnnualPayout`: the monthly array or the
annual totals), ``curve`` (the payout curve and plan metrics), ``describe`` (the
rules in words).

Examples
--------
>>> import numpy as np
>>> from spm_sim.comp import payout, standard_plan
>>> plan = standard_plan(threshold=0.5, accelerator=2.0)
>>> p = payout(plan, np.full((1, 12), 100_000.0), np.full((1, 12), 100_000.0),
...            target_incentive=np.array([60_000.0]))
>>> round(float(p.total.sum()), 2)
60000.0
"""

from __future__ import annotations

from ._comp.components import (
    MBO,
    MEASURE_KINDS,
    MEASURES,
    PERIODS,
    Bonus,
    Clawback,
    Component,
    Contest,
    CurvePoint,
    Draw,
    Gate,
    MBOLevel,
    Measure,
    Milestone,
    Multiplier,
    MultiplierLevel,
    Spiff,
    Tier,
)
from ._comp.curve import payout_curve, plan_metrics
from ._comp.describe import (
    band_text,
    component_rules,
    plan_rules,
)
from ._comp.earnings import evaluation_periods, period_ends
from ._comp.kernel import payout, payout_columns
from ._comp.plan import (
    PLAN_SCHEMA_PATH,
    Plan,
    load_plan,
    plan_json_schema,
    standard_plan,
)
from ._comp.totals import DETAILS, AnnualPayout, Payout, round_money

__all__ = [
    "MEASURES",
    "MEASURE_KINDS",
    "PERIODS",
    "Measure",
    "Tier",
    "band_text",
    "CurvePoint",
    "Gate",
    "MultiplierLevel",
    "Multiplier",
    "Component",
    "Milestone",
    "Bonus",
    "MBOLevel",
    "MBO",
    "Spiff",
    "Contest",
    "Draw",
    "Clawback",
    "Plan",
    "load_plan",
    "standard_plan",
    "plan_json_schema",
    "PLAN_SCHEMA_PATH",
    "Payout",
    "AnnualPayout",
    "DETAILS",
    "payout",
    "payout_columns",
    "evaluation_periods",
    "period_ends",
    "payout_curve",
    "plan_metrics",
    "round_money",
    "component_rules",
    "plan_rules",
]
