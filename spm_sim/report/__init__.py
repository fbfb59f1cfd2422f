"""The scenario report: a self-contained HTML page and CSV summaries of simulated scenarios.

:func:`write_report` writes one HTML file (figures inlined) that compares scenarios
side by side on common random numbers; :func:`write_summaries` writes the tidy CSV
tables behind it; :func:`headline` is the comparison table at the top.
"""

from __future__ import annotations

from .html import headline, quarterly_accrual, write_report, write_summaries

__all__ = ["headline", "quarterly_accrual", "write_report", "write_summaries"]
