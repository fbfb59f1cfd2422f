"""spm_sim: a sales performance management planning workbench.

Test territories, quotas and incentive plans against Monte Carlo outcomes before
rollout. The data flow, one module per step::

    data (load_book) -> territory -> quota -> productivity -> simulate -> comp -> metrics -> report

Examples
--------
>>> import spm_sim
>>> plan = spm_sim.standard_plan(threshold=0.5, accelerator=2.0)
>>> plan.components[0].threshold
0.5
"""

from ._fit_report import FitReport, fit_report
from ._quota_calibrate import QuotaDiagnostics, annual_draws, company_view, quota_diagnostics
from ._validation import (
    DataError,
    InfeasibleError,
    PlanError,
    ScenarioError,
    SpecError,
    SpmSimError,
)
from .actuals import actual_payouts, backtest, statement
from .comp import Payout, Plan, load_plan, payout, payout_curve, standard_plan
from .data import Book, load_book, load_sample
from .headcount import CapacityAssumptions, headcount_by_region, workload_headcount
from .metrics import compare, programme_return, summarize
from .productivity import ProductivityModel, fit_productivity
from .quota import Quotas, QuotaSettings, quotas_from_history, set_quotas
from .report import write_report, write_summaries
from .scenario import Scenario, load_scenario, sample_scenario
from .simulate import SimulationResult, simulate
from .territory import Alignment, alignment_metrics, design

__all__ = [
    "actual_payouts",
    "Alignment",
    "CapacityAssumptions",
    "InfeasibleError",
    "alignment_metrics",
    "design",
    "headcount_by_region",
    "workload_headcount",
    "backtest",
    "statement",
    "Book",
    "DataError",
    "Payout",
    "Plan",
    "PlanError",
    "ProductivityModel",
    "QuotaSettings",
    "Quotas",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "SpecError",
    "SpmSimError",
    "compare",
    "fit_productivity",
    "fit_report",
    "FitReport",
    "load_book",
    "load_plan",
    "load_sample",
    "load_scenario",
    "payout",
    "payout_curve",
    "quotas_from_history",
    "set_quotas",
    "QuotaDiagnostics",
    "annual_draws",
    "company_view",
    "quota_diagnostics",
    "sample_scenario",
    "simulate",
    "standard_plan",
    "summarize",
    "programme_return",
    "write_report",
    "write_summaries",
]

try:  # the installed version, when installed
    from importlib.metadata import version as _version

    __version__ = _version("spm_sim")
except Exception:  # pragma: no cover
    __version__ = "0.0.0+unknown"
