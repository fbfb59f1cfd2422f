"""Notebook apps (ipywidgets): design a plan, quotas or territories with sliders.

Each designer turns widget values into a spec change, calls the library and shows
the answer: :class:`PlanDesigner` (plan mechanics -> ``Scenario.replace`` ->
``simulate`` -> figures), :class:`QuotaDesigner` (growth, over-assignment, method ->
``QuotaSettings`` -> company view and diagnostics), :class:`TerritoryDesigner`
(territories, tolerance, disruption cap -> ``design`` -> map and balance bars).
"""

from __future__ import annotations

from .plan import DesignValues, PlanDesigner, design_plan, slider_targets
from .quota import QuotaDesigner, method_settings, normalised_weights
from .territory import TerritoryDesigner

__all__ = [
    "PlanDesigner",
    "QuotaDesigner",
    "TerritoryDesigner",
    "DesignValues",
    "design_plan",
    "slider_targets",
    "method_settings",
    "normalised_weights",
]
