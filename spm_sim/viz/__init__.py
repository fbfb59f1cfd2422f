"""Figures: seaborn/matplotlib charts of every stage, in one shared style.

Each function takes the library's results (simulation results, plans, alignments,
quota diagnostics, capacity curves, fit reports) and returns a
:class:`~spm_sim.viz.style.SpmFigure`, a matplotlib figure that shows itself as a
PNG in Jupyter without pyplot. They draw; they compute nothing the library does not
already return. Importing this package imports matplotlib and seaborn; nothing else
in spm_sim does until a figure is asked for.
"""

from __future__ import annotations

from .capacity import headcount_figure, waits_figure
from .fit import fit_figure
from .quota import attainment_comparison_figure, attainment_figure, quota_fit_figure
from .results import (
    attainment_histogram,
    cost_distribution,
    fig_to_base64_png,
    payout_curves,
    quarterly_accrual_chart,
)
from .style import SpmFigure
from .sweep import calibration_figure, frontier_figure, sweep_figure
from .territory import balance_bars, headcount_chart, territory_map, tradeoff_curve
from .tracking import accrual_figure, fan_points, forecast_fan_figure, p_quota_figure

__all__ = [
    "SpmFigure",
    "attainment_histogram",
    "cost_distribution",
    "payout_curves",
    "quarterly_accrual_chart",
    "fig_to_base64_png",
    "territory_map",
    "balance_bars",
    "tradeoff_curve",
    "headcount_chart",
    "attainment_figure",
    "attainment_comparison_figure",
    "quota_fit_figure",
    "headcount_figure",
    "waits_figure",
    "fit_figure",
    "forecast_fan_figure",
    "fan_points",
    "p_quota_figure",
    "accrual_figure",
    "sweep_figure",
    "frontier_figure",
    "calibration_figure",
]
