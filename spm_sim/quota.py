"""Quotas per rep and month: the methods planners use, and quotas calibrated to a
chosen probability of attainment.

Every method ends in an annual quota per rep split over the twelve months of the plan
year by the rep's capacity (employment, ramp, seasonality). Top-down methods share the
company target out by a basis per rep (``history``, ``equal``, ``potential``,
``capacity``, ``blend``); ``bottom_up`` takes manager targets; ``calibrated`` sets
each quota so that the simulated probability of attaining it is ``probability``.
Over-assignment applies per level (region, rep); overrides keep an audit trail.

:class:`QuotaSettings` is the spec (a tagged union by method: the settings every
method shares, and ``options``, one model per method from :class:`HistoryOptions` to
:class:`CalibratedOptions`), :func:`set_quotas` applies it to a book and returns
:class:`Quotas`; :func:`quotas_from_history` is the short path. The
diagnostics judge any quotas against the model's draws: :func:`annual_draws`,
:func:`calibrate_annual`, :func:`quota_diagnostics` (:class:`QuotaDiagnostics`).
The simulated years of a calibration (:func:`annual_draws`, and :func:`set_quotas`
with method ``calibrated``) can be drawn on any executor of :mod:`spm_sim.parallel`
(``executor="processes"``, ``"dask"``, a ``scheduler=`` address): the same quotas
bit for bit, since each simulated year draws from the stream of its own index.
``docs/model.md`` section 5 gives the equations.

The workings live in ``spm_sim/_quota/``: ``settings`` (the spec), ``methods`` (each
method's own settings, the union tagged by method), ``quotas`` (``set_quotas``),
``result`` (``Quotas``), ``bases`` (the bases, allocation down the hierarchy,
overrides), ``calibrate`` (draws, calibration, diagnostics).

Examples
--------
>>> from spm_sim.book import load_sample
>>> from spm_sim.quota import quotas_from_history
>>> q = quotas_from_history(load_sample(), plan_year=2026)
>>> q.values.shape  # (reps, months)
(80, 12)
"""

from __future__ import annotations

from ._quota.calibrate import (
    HIST_EDGES,
    QuotaDiagnostics,
    annual_draws,
    calibrate_annual,
    quota_diagnostics,
)
from ._quota.methods import (
    BLENDABLE,
    METHODS,
    BlendOptions,
    BottomUpOptions,
    CalibratedOptions,
    CapacityOptions,
    EqualOptions,
    HistoryOptions,
    MethodOptions,
    PotentialOptions,
)
from ._quota.quotas import (
    quotas_from_history,
    rep_potential,
    rep_run_rates,
    set_quotas,
)
from ._quota.result import Quotas
from ._quota.rules import (
    MAX_YEARS,
    QUOTA_RULES,
    GrowthRule,
    MethodRule,
    QuotaRule,
    RatchetRule,
    Years,
    next_quota,
)
from ._quota.settings import (
    Move,
    OverAssignment,
    Override,
    PlannedHire,
    QuotaSettings,
    monthly_ramp,
)

__all__ = [
    "METHODS",
    "BLENDABLE",
    "OverAssignment",
    "Override",
    "PlannedHire",
    "Move",
    "QuotaSettings",
    "MethodOptions",
    "HistoryOptions",
    "EqualOptions",
    "PotentialOptions",
    "CapacityOptions",
    "BlendOptions",
    "BottomUpOptions",
    "CalibratedOptions",
    "Quotas",
    "set_quotas",
    "quotas_from_history",
    "monthly_ramp",
    "rep_run_rates",
    "rep_potential",
    "HIST_EDGES",
    "annual_draws",
    "calibrate_annual",
    "QuotaDiagnostics",
    "quota_diagnostics",
    "Years",
    "QuotaRule",
    "RatchetRule",
    "GrowthRule",
    "MethodRule",
    "QUOTA_RULES",
    "MAX_YEARS",
    "next_quota",
]
