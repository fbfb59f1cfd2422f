"""spm_sim: a sales performance management planning workbench.

Test territories, quotas and incentive plans against Monte Carlo outcomes before
rollout. The data flow, one public module (a *face*) per stage, its workings in a
private folder beside it::

    book -> territory -> quota -> productivity / capacity -> simulate -> comp -> metrics -> report

The names below are the public API. They are imported on first use (PEP 562), so
``import spm_sim`` stays fast and loads no plotting or statistics stack until a
name that needs one is used.

Examples
--------
>>> import spm_sim
>>> plan = spm_sim.standard_plan(threshold=0.5, accelerator=2.0)
>>> plan.components[0].threshold
0.5
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

#: Every public name and the module that defines it.
_SOURCES = {
    "SpmSimError": "errors",
    "DataError": "errors",
    "SpecError": "errors",
    "PlanError": "errors",
    "ScenarioError": "errors",
    "InfeasibleError": "errors",
    "CapacityError": "errors",
    "Book": "book",
    "load_book": "book",
    "load_sample": "book",
    "Alignment": "territory",
    "alignment_metrics": "territory",
    "design": "territory",
    "Payout": "comp",
    "Plan": "comp",
    "load_plan": "comp",
    "payout": "comp",
    "payout_curve": "comp",
    "standard_plan": "comp",
    "ProductivityModel": "productivity",
    "fit_productivity": "productivity",
    "Quotas": "quota",
    "QuotaSettings": "quota",
    "quotas_from_history": "quota",
    "set_quotas": "quota",
    "QuotaDiagnostics": "quota",
    "annual_draws": "quota",
    "quota_diagnostics": "quota",
    "CapacityAssumptions": "capacity",
    "headcount_by_region": "capacity",
    "workload_headcount": "capacity",
    "actual_payouts": "actuals",
    "backtest": "actuals",
    "statement": "actuals",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "sample_scenario": "scenario",
    "SimulationResult": "simulate",
    "simulate": "simulate",
    "load_result": "simulate",
    "simulate_to_precision": "simulate",
    "compare": "metrics",
    "programme_return": "metrics",
    "summarize": "metrics",
    "result_warnings": "metrics",
    "result_flags": "metrics",
    "PlausibilityWarning": "errors",
    "strict_checks": "errors",
    "company_view": "sweep",
    "sweep": "sweep",
    "calibrate_plan": "sweep",
    "FitReport": "fit_report",
    "fit_report": "fit_report",
    "write_report": "report",
    "write_summaries": "report",
}

__all__ = [
    "SpmSimError",
    "DataError",
    "SpecError",
    "PlanError",
    "ScenarioError",
    "InfeasibleError",
    "CapacityError",
    "Book",
    "load_book",
    "load_sample",
    "Alignment",
    "alignment_metrics",
    "design",
    "Payout",
    "Plan",
    "load_plan",
    "payout",
    "payout_curve",
    "standard_plan",
    "ProductivityModel",
    "fit_productivity",
    "Quotas",
    "QuotaSettings",
    "quotas_from_history",
    "set_quotas",
    "QuotaDiagnostics",
    "annual_draws",
    "quota_diagnostics",
    "CapacityAssumptions",
    "headcount_by_region",
    "workload_headcount",
    "actual_payouts",
    "backtest",
    "statement",
    "Scenario",
    "load_scenario",
    "sample_scenario",
    "SimulationResult",
    "simulate",
    "load_result",
    "simulate_to_precision",
    "compare",
    "programme_return",
    "summarize",
    "result_warnings",
    "result_flags",
    "PlausibilityWarning",
    "strict_checks",
    "company_view",
    "sweep",
    "calibrate_plan",
    "FitReport",
    "fit_report",
    "write_report",
    "write_summaries",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'spm_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"spm_sim.{module}"), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package object: ``spm_sim.simulate``, ``spm_sim.sweep`` and ``spm_sim.fit_report``
    stay functions.

    Importing a submodule binds it on its package (``spm_sim.simulate`` would become the
    module ``spm_sim/simulate.py``). Three public functions share their module's name; an
    eager ``__init__`` rebound them after the import, a lazy one keeps them by ignoring
    that binding. The modules stay importable by name (``from spm_sim.simulate import
    prepare``) through ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SAME_NAME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


#: Public functions named like the module that defines them.
_SAME_NAME = frozenset(n for n, m in _SOURCES.items() if n == m)

sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from spm_sim.actuals import actual_payouts, backtest, statement
    from spm_sim.book import Book, load_book, load_sample
    from spm_sim.capacity import CapacityAssumptions, headcount_by_region, workload_headcount
    from spm_sim.comp import Payout, Plan, load_plan, payout, payout_curve, standard_plan
    from spm_sim.errors import (
        CapacityError,
        DataError,
        InfeasibleError,
        PlanError,
        PlausibilityWarning,
        ScenarioError,
        SpecError,
        SpmSimError,
        strict_checks,
    )
    from spm_sim.fit_report import FitReport, fit_report
    from spm_sim.metrics import (
        compare,
        programme_return,
        result_flags,
        result_warnings,
        summarize,
    )
    from spm_sim.productivity import ProductivityModel, fit_productivity
    from spm_sim.quota import (
        QuotaDiagnostics,
        Quotas,
        QuotaSettings,
        annual_draws,
        quota_diagnostics,
        quotas_from_history,
        set_quotas,
    )
    from spm_sim.report import write_report, write_summaries
    from spm_sim.scenario import Scenario, load_scenario, sample_scenario
    from spm_sim.simulate import SimulationResult, load_result, simulate, simulate_to_precision
    from spm_sim.sweep import calibrate_plan, company_view, sweep
    from spm_sim.territory import Alignment, alignment_metrics, design

try:  # the installed version, when installed
    from importlib.metadata import version as _version

    __version__ = _version("spm_sim")
except Exception:  # pragma: no cover
    __version__ = "0.0.0+unknown"
