"""Sweeps and goal-seek: many variants of one scenario on common random numbers.

* :func:`sweep` runs a grid of parameter values (or a list of changes) over a base
  scenario, every variant on the base's seed and book, and returns one tidy frame:
  each metric's mean (and percentiles for money) with its interval and its paired
  difference to the base. :func:`load_grid` reads the grid from YAML;
  :func:`frontier` marks the variants no other beats on cost and benefit at once.
* :func:`calibrate_plan` finds the value of one parameter that meets a target
  ("incentive_cost.mean=6M", "share_at_quota=60%"), with the interval of the answer.
* Parameters are named by path (:func:`get_param`, :func:`set_params`):
  ``plan.components[bookings].tiers[1].rate``, ``quota.over_assignment``; every
  change goes through the specs' ``replace()`` and is validated.
* :func:`company_view` and :func:`quota_diagnostics_by_setting` compare quota
  settings on the same draws.
"""

from __future__ import annotations

from ._sweep.goal import Calibration, calibrate_plan
from ._sweep.grid import BASE, Grid, Variant, load_grid, variants
from ._sweep.paths import get_param, param_limits, set_params
from ._sweep.run import frontier, interval_of, sweep
from ._sweep.table import DEFAULT_METRICS, SWEEP_METRICS, Metric
from ._sweep.target import Target, parse_target
from ._sweep.views import SettingDiagnostics, company_view, quota_diagnostics_by_setting

__all__ = [
    "sweep",
    "calibrate_plan",
    "Calibration",
    "Target",
    "parse_target",
    "frontier",
    "interval_of",
    "load_grid",
    "Grid",
    "variants",
    "Variant",
    "BASE",
    "get_param",
    "set_params",
    "param_limits",
    "SWEEP_METRICS",
    "DEFAULT_METRICS",
    "Metric",
    "company_view",
    "quota_diagnostics_by_setting",
    "SettingDiagnostics",
]
