"""The scenario report: a self-contained HTML page and CSV summaries of simulated scenarios.

:func:`write_report` writes one HTML file (figures inlined) that compares scenarios
side by side on common random numbers; :func:`write_summaries` writes the tidy CSV
tables behind it; :func:`headline` is the comparison table at the top.
:func:`quarterly_accrual` (the incentive accrued per quarter, the report's accrual
table) lives in :mod:`spm_sim.metrics` and is re-exported here for old callers.
"""

from __future__ import annotations

from spm_sim.metrics import quarterly_accrual

from .html import headline, write_report, write_summaries

__all__ = ["headline", "quarterly_accrual", "write_report", "write_summaries"]
