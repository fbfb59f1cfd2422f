"""The scenario report: a self-contained HTML page and CSV summaries of simulated scenarios.

:func:`write_report` writes one HTML file (figures inlined) whose first page states
the decision: a summary written from the numbers, then the headline figures with
their 95% intervals (:func:`headline_figures`) next to last year's deals replayed
under the baseline plan (:func:`last_year`); :func:`same_sales` tells whether two
runs simulated the same sales; :func:`write_summaries` writes the tidy CSV tables
behind it;
:func:`headline` is the text table the command line prints.
:func:`write_tracking_report` writes the tracking report of a year in progress
(:mod:`spm_sim.report.tracking`: :func:`company_figures`, :func:`tracking_summary`).
:func:`quarterly_accrual` (the incentive accrued per quarter, the report's accrual
table) lives in :mod:`spm_sim.metrics` and is re-exported here for old callers.
"""

from __future__ import annotations

from spm_sim.metrics import quarterly_accrual

from .figures import HEADLINE_FIGURES, headline_figures, same_sales
from .html import headline, write_report, write_summaries
from .reference import LastYear, last_year
from .tracking import company_figures, next_accrual, tracking_summary, write_tracking_report

__all__ = [
    "HEADLINE_FIGURES",
    "LastYear",
    "headline",
    "headline_figures",
    "last_year",
    "quarterly_accrual",
    "same_sales",
    "write_report",
    "write_summaries",
    "company_figures",
    "next_accrual",
    "tracking_summary",
    "write_tracking_report",
]
