"""The year in progress: what is known at a date, and the rest of the year forecast.

Stage ``track`` of the data flow, after :mod:`spm_sim.simulate`. :func:`forecast`
reads a book as of a date (:func:`spm_sim.book.as_of`), pays the year to date
through the payroll's kernel (:func:`spm_sim.actuals.actual_payouts`), and draws
the rest of the year: the open pipeline closing (or not) month by month under a
transition model calibrated on the book's own opportunity history
(:func:`fit_pipeline`), and new business from the productivity model with each
rep's deal rate updated on the year to date. The result, a :class:`Forecast`,
holds every trial's year (actual months identical in every trial) paid by the
same :func:`spm_sim.comp.payout` kernel as the payroll and the Monte Carlo.

The workings live in ``spm_sim/_track/``: ``result`` (:class:`Forecast`),
``pipeline`` (the opportunity model and its calibration), ``walk`` (the open
pipeline walked to December; the share of deals not yet in it), ``known`` (the year
to date: the payroll on the book as of the date), ``forecast`` (the forecast), and
the views of a forecast: ``accruals`` (incentive cost by period and rep, paid, owed,
to accrue; saved runs compared), ``standings`` (:func:`leaderboard`,
:func:`contest_standings`), ``warnings`` (:func:`early_warnings`) and ``proposal``
(:func:`proposal_effect`: a mid-year SPIFF or contest priced before launch); and
``backtest`` (:func:`forecast_backtest`: the forecast of a past year as of each month
end, set against what happened).

Examples
--------
>>> from spm_sim.book import load_sample
>>> from spm_sim.comp import standard_plan
>>> from spm_sim.track import forecast
>>> f = forecast(load_sample(), standard_plan(), "2025-06-30", trials=100, rng=0)
>>> f.months_known, f.n_trials
(6, 100)
>>> bool(0.0 <= f.p_quota.min() and f.p_quota.max() <= 1.0)
True
"""

from __future__ import annotations

from ._track.accruals import (
    accruals,
    accruals_by_rep,
    compare_accruals,
    example_forecast,
    forecast_from_draws,
    month_status,
    read_accruals,
    save_accruals,
)
from ._track.backtest import Backtest, forecast_backtest
from ._track.forecast import forecast
from ._track.known import tracking_quotas
from ._track.pipeline import AGE_BANDS, PipelineModel, fit_pipeline
from ._track.proposal import PROPOSAL_COLUMNS, ProposalEffect, proposal_effect
from ._track.result import Forecast
from ._track.standings import actual_measure, contest_standings, leaderboard, quota_to_date
from ._track.walk import cycle_share, simulate_pipeline
from ._track.warnings import WARNING_COLUMNS, WARNING_KINDS, early_warnings

__all__ = [
    "Forecast",
    "forecast",
    "tracking_quotas",
    "PipelineModel",
    "fit_pipeline",
    "simulate_pipeline",
    "cycle_share",
    "AGE_BANDS",
    "accruals",
    "accruals_by_rep",
    "save_accruals",
    "read_accruals",
    "compare_accruals",
    "forecast_from_draws",
    "month_status",
    "example_forecast",
    "leaderboard",
    "contest_standings",
    "quota_to_date",
    "actual_measure",
    "early_warnings",
    "WARNING_COLUMNS",
    "WARNING_KINDS",
    "proposal_effect",
    "ProposalEffect",
    "PROPOSAL_COLUMNS",
    "Backtest",
    "forecast_backtest",
]
