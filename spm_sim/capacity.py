"""Capacity: how many reps a team needs, from closed forms, workload and a SimPy model.

* **Queueing closed forms** (the first answer, and the oracle of the simulation's
  tests): :func:`erlang_b`, :func:`erlang_c`, :func:`mmc` (:class:`MMc`: the chance
  of waiting, mean wait and queue, service level, wait quantiles), :func:`smallest_c`
  (staffing for a service target or a utilisation cap), :func:`little_law_check`,
  :func:`mean_ci` (a t interval across replications).
* **Seats from workload or quota**: :class:`CapacityAssumptions`,
  :func:`workload_headcount`, :func:`quota_headcount`, :func:`headcount_by_region`,
  :func:`headcount_balance`, net of attrition, backfill lag and ramp.
* **The SimPy model** of a team's year lead by lead: :class:`CapacityConfig`
  (segments, stages, opportunity, target), :func:`run_capacity` (replications on
  spawned streams, run here, on local processes or on Dask: ``executor=``) and
  :class:`CapacityResult`; :func:`handoff` turns its losses into the Monte Carlo's
  multipliers.
* **Planning and analysis**: :func:`smallest_team` (from the offered load, or from a
  ``start`` guess such as :func:`start_guess`, an earlier answer carried to a new
  volume by the closed form; the first stage of several alone is simulated when it
  is the one sized, with the same answer, unless ``first_stage_only=False``; at a
  later stage the offered load it returns is the work that reached the stage in the
  simulated years, the closed form being its upper bound ``offered_load_bound``),
  :func:`headcount_curve` (the sizes' years on one executor, what each rep adds paired
  year by year); both add years only where the answer is not yet clear (every size
  starts with :data:`START_REPLICATIONS`, up to ``replications``; see
  :func:`target_verdict`), take ``executor``, ``workers`` and ``scheduler`` (as
  :func:`spm_sim.parallel.run_tasks`; the numbers do not depend on them), a ``cache``
  dict that keeps every simulated year's figures between calls (the curve reuses a
  full-year search's years, and the search the curve's; a size's figures are on every
  year held for it) and ``progress``
  (a tqdm bar, as :func:`run_capacity` does),
  :func:`meets_target`, :func:`marginal_value`, :func:`wait_quantiles`,
  :func:`queue_by_day`, :func:`response_time_curves` (each replication's share
  contacted within ``t`` against ``t``), :func:`pooled_utilisation` (each stage's
  busy over in-seat hours, all replications together; the summary's
  ``utilisation_<stage>`` is the mean of the replications' ratios) and
  :func:`share_column` (the name of a summary's ``share_within_<h>h`` figure).

* **Which stage binds**: :func:`stage_losses` (each stage's queue: wait, length,
  utilisation, and the conversion lost to waiting there in leads and in bookings,
  with intervals; the stage losing most, :func:`binding_stage`, binds),
  :func:`stage_figures` (the same per replication), :data:`BINDING_SHARE`;
  :func:`team_grid` (several stages' sizes together on the same years, the binding
  stage per cell, the change against today's team paired) and :func:`joint_answer`
  (the cheapest team meeting the target, the best gain net of cost);
  :func:`opportunity_value`.
* **Reps' own win rates and cycles** from the pipeline history: :func:`fit_rep_rates`
  (beta-binomial empirical Bayes for win rates, :func:`beta_binomial_prior`; log-normal
  cycles with rep effects shrunk; standard errors) and :func:`opportunity_from_book`
  (the last stage's seats given their reps' figures: ``Opportunity.seat_win_rates``,
  ``seat_cycle_days``).

``docs/model.md`` section 9 gives the model and its validation. The workings live in
``spm_sim/_capacity/``: ``queueing``, ``headcount``, ``model``, ``planning``, ``analysis``,
``binding``, ``joint``, ``win_rates``.

Examples
--------
>>> from spm_sim.capacity import erlang_c
>>> round(erlang_c(2, 1.0), 4)  # two servers, offered load 1 erlang
0.3333
"""

from __future__ import annotations

from ._capacity.analysis import (
    RESPONSE_GRID_POINTS,
    WAIT_QUANTILES,
    figure_text,
    pooled_utilisation,
    queue_by_day,
    response_time_curves,
    share_column,
    wait_quantiles,
)
from ._capacity.binding import BINDING_SHARE, binding_stage, stage_figures, stage_losses
from ._capacity.headcount import (
    CapacityAssumptions,
    Headcount,
    effective_fte_per_seat,
    headcount_balance,
    headcount_by_region,
    quota_headcount,
    seat_productivity_by_month,
    workload_headcount,
)
from ._capacity.joint import joint_answer, team_grid
from ._capacity.model import (
    Calendar,
    CapacityConfig,
    CapacityResult,
    Opportunity,
    Segment,
    ServiceTarget,
    Stage,
    calendar,
    handoff,
    lead_arrivals,
    load_capacity_config,
    pass_probability,
    run_capacity,
    service_hours,
    simulate_capacity,
)
from ._capacity.planning import (
    START_REPLICATIONS,
    headcount_curve,
    marginal_value,
    meets_target,
    opportunity_value,
    smallest_team,
    start_guess,
    target_verdict,
)
from ._capacity.queueing import (
    MMc,
    erlang_b,
    erlang_c,
    little_law_check,
    mean_ci,
    mmc,
    smallest_c,
)
from ._capacity.win_rates import beta_binomial_prior, fit_rep_rates, opportunity_from_book

__all__ = [
    "erlang_b",
    "erlang_c",
    "MMc",
    "mmc",
    "smallest_c",
    "little_law_check",
    "mean_ci",
    "CapacityAssumptions",
    "Headcount",
    "seat_productivity_by_month",
    "effective_fte_per_seat",
    "workload_headcount",
    "quota_headcount",
    "headcount_by_region",
    "headcount_balance",
    "Segment",
    "Stage",
    "Opportunity",
    "ServiceTarget",
    "CapacityConfig",
    "CapacityResult",
    "Calendar",
    "calendar",
    "load_capacity_config",
    "lead_arrivals",
    "pass_probability",
    "service_hours",
    "simulate_capacity",
    "run_capacity",
    "handoff",
    "meets_target",
    "target_verdict",
    "START_REPLICATIONS",
    "headcount_curve",
    "smallest_team",
    "start_guess",
    "marginal_value",
    "WAIT_QUANTILES",
    "wait_quantiles",
    "queue_by_day",
    "share_column",
    "figure_text",
    "RESPONSE_GRID_POINTS",
    "response_time_curves",
    "pooled_utilisation",
    "BINDING_SHARE",
    "stage_figures",
    "stage_losses",
    "binding_stage",
    "team_grid",
    "joint_answer",
    "opportunity_value",
    "fit_rep_rates",
    "beta_binomial_prior",
    "opportunity_from_book",
]
