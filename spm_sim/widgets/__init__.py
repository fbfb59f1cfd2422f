"""Notebook apps (ipywidgets): design a plan, quotas or territories with sliders.

:class:`Workbench` is the no-code app (``make app`` serves it with Voila): files,
levers, the design against the baseline, and the leadership report to download. Its
pieces: ``levers`` (:class:`Levers`, :func:`apply_levers`, the lever widgets),
``uploads`` (:func:`project_files`, the menus, checked uploads), ``panels`` (the
cards, tables and figures it shows) and ``tracking`` (:class:`TrackingPage`, its
"Track the year" page: the year in progress as of a date).

Each designer turns widget values into a spec change, calls the library and shows
the answer: :class:`PlanDesigner` (plan mechanics -> ``Scenario.replace`` ->
``simulate`` -> figures), :class:`QuotaDesigner` (growth, over-assignment, method ->
``QuotaSettings`` -> company view and diagnostics), :class:`TerritoryDesigner`
(territories, tolerance, disruption cap -> ``design`` -> map and balance bars),
:class:`SweepExplorer` (one or two levers over a range -> ``sweep`` -> each metric
against them with its band, the frontier, a table) and :class:`GoalSeeker` (a lever
and a target -> ``calibrate_plan`` -> the answer with its interval); the levers they
offer and their *Run* lines are shared (``runs``: :func:`sweep_levers`).
"""

from __future__ import annotations

from .app import Workbench
from .goal import GoalSeeker
from .levers import Levers, apply_levers, start_levers
from .plan import DesignValues, PlanDesigner, design_plan, slider_targets
from .quota import QuotaDesigner, method_settings, normalised_weights
from .runs import SweepLever, sweep_levers
from .sweep import SweepExplorer
from .territory import TerritoryDesigner
from .tracking import TrackingPage
from .uploads import project_files

__all__ = [
    "Workbench",
    "TrackingPage",
    "Levers",
    "apply_levers",
    "start_levers",
    "project_files",
    "PlanDesigner",
    "QuotaDesigner",
    "TerritoryDesigner",
    "SweepExplorer",
    "GoalSeeker",
    "SweepLever",
    "sweep_levers",
    "DesignValues",
    "design_plan",
    "slider_targets",
    "method_settings",
    "normalised_weights",
]
