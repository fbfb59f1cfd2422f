"""Report the productivity fit: its parameters with their uncertainty, the reps, back-tests.

:func:`fit_report` answers "can I trust the productivity model?" in four parts:

* ``parameters``: every fitted parameter of :func:`spm_sim.productivity.fit_productivity`
  with a standard error and a 90% interval (formulas in :func:`parameter_table`);
* ``reps``: each rep's deal rate with its posterior 90% interval and how much of it
  comes from the rep's own history (the rest is the team's prior);
* ``rolling``: rolling-origin back-tests (:func:`rolling_backtest`): every year the
  book allows is simulated from the model fitted on the history before it; the
  coverage of 50/80/90% bands for the company's year, its months and each rep's year,
  with sampling errors, the bias against the simulated median and each item's PIT,
  and verdicts in words (:meth:`FitReport.warnings` lists the failed ones);
* ``backtest``: the latest of them, last year, in detail (:class:`Backtest`).

The workings live in ``spm_sim/_fit_report/``: ``params`` (parameter and rep tables),
``backtest`` (one year), ``calibration`` (PIT, coverage with sampling error, bias),
``rolling`` (every origin, pooled, verdicts),
``describe`` (the text) and ``report`` (:class:`FitReport`).
"""

from __future__ import annotations

from ._fit_report.backtest import CHECK_COLUMNS, QUANTILES, Backtest, backtest_year
from ._fit_report.calibration import BANDS, BIAS_COLUMNS, CALIBRATION_COLUMNS, wilson_interval
from ._fit_report.describe import TableLayout
from ._fit_report.params import PARAMETER_COLUMNS, parameter_table, rep_table
from ._fit_report.report import FitReport, fit_report
from ._fit_report.rolling import RollingBacktest, backtest_origins, rolling_backtest

__all__ = [
    "BANDS",
    "BIAS_COLUMNS",
    "CALIBRATION_COLUMNS",
    "CHECK_COLUMNS",
    "PARAMETER_COLUMNS",
    "QUANTILES",
    "Backtest",
    "FitReport",
    "RollingBacktest",
    "TableLayout",
    "backtest_origins",
    "backtest_year",
    "fit_report",
    "parameter_table",
    "rep_table",
    "rolling_backtest",
    "wilson_interval",
]
