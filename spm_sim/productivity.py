"""Rep productivity: how reps sell, fitted to the book, and what happens during the year.

* :func:`fit_productivity` fits a compound Poisson-lognormal model of each rep's
  deals (empirical-Bayes deal rates, seasonality, trend, ramp, deal sizes) to the
  book's history; :func:`draw_deals` and :func:`draw_bookings` draw a plan year
  from it (:class:`ProductivityModel`).
* The settings of what happens during the year, each a frozen spec and off unless a
  scenario names it: :class:`Workforce` (attrition, vacancies, backfill, ramp),
  :class:`TimeAllocation`, :class:`Behaviour` (effort and deal timing in response to
  the plan), :class:`Coaching`, :class:`ContestResponse`, :class:`Programmes`.
* The month loop the engine runs those through: :func:`build_kernel` and
  :func:`run_kernel_by_month` over ``(trials, reps)`` arrays.
* The two engines that draw a year of sales: every deal (:func:`draw_deals`,
  :func:`draw_deals_batch`) or each rep-month as one total, its largest deal exact
  (:func:`draw_summed`, :func:`draw_summed_batch`, :func:`summed_months`);
  :func:`choose_engine` is ``engine: auto``'s rule; :func:`draw_trials` draws trials
  ``start..stop-1`` of a run as ``simulate`` does (blocks of trials, each from its
  own stream).
* What simulated deals are: :func:`fit_deal_mix` and :func:`draw_measures` (product
  lines, new logos and MBO scores for plans with measures).
* Territories that move sales: :func:`fit_coverage` (how a rep's deal rate follows
  the potential of their accounts and the travel to them, estimated from the book),
  :class:`AlignmentSettings` (a scenario's ``alignment:``), :func:`read_alignment`,
  :func:`check_alignment`, :func:`design_alignment`, :func:`coverage_multipliers`
  and :func:`scale_model` (each rep's factor under a new alignment, applied to a
  fitted model).

``docs/model.md`` sections 3 and 7 give the equations. The workings live in
``spm_sim/_productivity/``: ``model``, ``engines`` (the summed engine and the rule),
``dynamics`` (the specs), ``kernel`` (the month loop), ``deal_mix``, ``coverage``
(territories that move sales).

Examples
--------
>>> from spm_sim.book import load_sample
>>> from spm_sim.productivity import fit_productivity
>>> model = fit_productivity(load_sample(), plan_year=2026)
>>> model.n_reps  # the reps on the book at the plan year's start
80
"""

from __future__ import annotations

from ._productivity.coverage import (
    POTENTIAL_PRIOR,
    TRAVEL_PRIOR,
    AlignmentDesign,
    AlignmentSettings,
    CoverageFit,
    check_alignment,
    coverage_multipliers,
    design_alignment,
    fit_coverage,
    read_alignment,
    scale_model,
    territory_measures,
)
from ._productivity.deal_mix import (
    PRIOR_DEALS,
    DealMix,
    check_products,
    draw_measures,
    fit_deal_mix,
)
from ._productivity.dynamics import (
    ROLE_RAMPS,
    Behaviour,
    Coaching,
    ContestResponse,
    Programmes,
    TimeAllocation,
    Workforce,
    book_attrition,
    monthly_hazard,
)
from ._productivity.engines import (
    AUTO_DEALS,
    AUTO_SIGMA,
    ENGINES,
    choose_engine,
    draw_summed,
    draw_summed_batch,
    draw_trials,
    summed_months,
)
from ._productivity.kernel import (
    STATS,
    Kernel,
    build_kernel,
    run_kernel,
    run_kernel_by_month,
    to_month_major,
    to_trial_major,
    workforce_clocks,
)
from ._productivity.model import (
    DEFAULT_RAMP,
    ProductivityModel,
    add_planned_hires,
    draw_bookings,
    draw_deals,
    draw_deals_batch,
    exposure_months,
    fit_productivity,
    history_end,
    ramp_factor,
    trial_parameters,
)

__all__ = [
    "DEFAULT_RAMP",
    "ProductivityModel",
    "fit_productivity",
    "ramp_factor",
    "exposure_months",
    "history_end",
    "draw_bookings",
    "draw_deals",
    "add_planned_hires",
    "trial_parameters",
    "Workforce",
    "TimeAllocation",
    "Behaviour",
    "Coaching",
    "ContestResponse",
    "Programmes",
    "monthly_hazard",
    "book_attrition",
    "ROLE_RAMPS",
    "Kernel",
    "STATS",
    "build_kernel",
    "run_kernel",
    "run_kernel_by_month",
    "to_month_major",
    "to_trial_major",
    "workforce_clocks",
    "draw_summed",
    "draw_deals_batch",
    "draw_summed_batch",
    "summed_months",
    "choose_engine",
    "draw_trials",
    "ENGINES",
    "AUTO_SIGMA",
    "AUTO_DEALS",
    "DealMix",
    "PRIOR_DEALS",
    "fit_deal_mix",
    "check_products",
    "draw_measures",
    "AlignmentSettings",
    "AlignmentDesign",
    "CoverageFit",
    "POTENTIAL_PRIOR",
    "TRAVEL_PRIOR",
    "fit_coverage",
    "territory_measures",
    "read_alignment",
    "check_alignment",
    "design_alignment",
    "coverage_multipliers",
    "scale_model",
]
