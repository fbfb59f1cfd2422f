"""A plan applied to a real year of the book: payroll, statements and back-tests.

:func:`actual_payouts` credits the book's deals of a calendar year to the reps with
quota and pays them through the same :func:`spm_sim.comp.payout` kernel the Monte
Carlo uses (payroll in cents: year-to-date amounts rounded, so payments add up to
the annual amount to the cent). :func:`statement` explains one rep's pay line by line
(component, tier, period, rate, adjustment), checked against the kernel;
:func:`backtest` pays the same year under two plans and shows who gains and who loses.

Payroll files: :meth:`ActualPayouts.to_payroll_csv` writes the payroll, the deals it
does not pay with the reason for each (``<stem>-unpaid.csv``, categories in
:data:`UNPAID_CATEGORIES`) and the control totals (``<stem>-totals.json``), which
equal the statements to the cent. Every payment is finite and at most
:data:`MAX_AMOUNT` per rep, month and component, MBO scores at most :data:`MAX_SCORE`
(or twice the plan's top level), or a :class:`~spm_sim.errors.DataError` names it.

The workings live in ``spm_sim/_actuals/``: ``payroll`` (:class:`ActualPayouts`),
``scores`` (the MBO scores file checked), ``statement`` and ``backtest``
(:class:`Backtest`).

Examples
--------
>>> from spm_sim.actuals import actual_payouts
>>> from spm_sim.book import load_sample
>>> from spm_sim.comp import standard_plan
>>> actual = actual_payouts(load_sample(), standard_plan(), 2025)
>>> actual.payout.by_component.shape      # (reps with quota, months, components)
(81, 12, 1)
"""

from __future__ import annotations

from ._actuals.backtest import Backtest, backtest
from ._actuals.payroll import (
    MAX_AMOUNT,
    UNPAID_CATEGORIES,
    ActualPayouts,
    actual_payouts,
    reps_of_role,
)
from ._actuals.scores import MAX_SCORE
from ._actuals.statement import (
    Statement,
    statement,
)

__all__ = [
    "ActualPayouts",
    "Backtest",
    "actual_payouts",
    "backtest",
    "Statement",
    "statement",
    "MAX_AMOUNT",
    "MAX_SCORE",
    "UNPAID_CATEGORIES",
    "reps_of_role",
]
