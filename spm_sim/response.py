"""The reps' response to the plan, estimated from the book's bookings history.

Reps respond to a plan: they bunch deals before the period ends that settle pay,
slow down past quota or near a cap, and give up when a threshold is out of reach
(Oyer 1998; Larkin 2014; Misra and Nair 2011; Chung, Steenburgh and Sudhir 2014).
:func:`estimate_behaviour` measures these effects on a book, with standard errors,
combines each with a prior from the literature by precision (the prior alone where
the book cannot identify an effect) and returns a :class:`BehaviourEstimate`: the
table of effects (:meth:`BehaviourEstimate.table`), the month loop's parameters as
a :class:`spm_sim.productivity.Behaviour` (``.behaviour``, and at either end of
their intervals, :meth:`BehaviourEstimate.behaviour_range`) and the result in words
(:meth:`BehaviourEstimate.describe`). :func:`prior_behaviour` is the priors alone.

How: each history year's quotas are reconstructed from the year before
(:func:`spm_sim.quota.quotas_from_history`; the book holds no quotas); at the start
of every month each rep's state is read from their bookings so far against the
reference plan's payout curve; the effects are multiplicative on the month's
expected bookings, with a level per rep and year (skill, territory, a good or a bad
year) and month-of-year effects, solved from forward-mean moments that stay
unbiased although a state depends on the months before it. Standard errors are
the larger of the rep-clustered sandwich and the leave-one-rep-out jackknife.

:func:`synthetic_book` writes a book whose reps respond by known amounts, to check
the estimator on books like yours (``tests/test_response.py`` recovers them).

The workings live in ``spm_sim/_response/``: ``states`` (a plan's shape and a
month's states), ``panel`` (the rep-month panel), ``gmm`` (the moments),
``priors``, ``estimate`` and ``synthetic``.

Examples
--------
>>> from spm_sim.response import estimate_behaviour, synthetic_book, synthetic_plan
>>> book = synthetic_book(pull_forward=0.3, reps=40, rng=2)
>>> est = estimate_behaviour(book, reference_plan=synthetic_plan())
>>> row = est.table().set_index("parameter").loc["pull_forward"]
>>> bool(row["book_low"] < 0.3 < row["book_high"])
True
"""

from __future__ import annotations

from ._response.estimate import (
    MIN_MONTHS,
    MIN_REPS,
    TABLE_COLUMNS,
    BehaviourEstimate,
    estimate_behaviour,
    prior_behaviour,
)
from ._response.priors import PRIORS, STUDIES, Prior
from ._response.synthetic import synthetic_book, synthetic_plan

__all__ = [
    "BehaviourEstimate",
    "estimate_behaviour",
    "prior_behaviour",
    "TABLE_COLUMNS",
    "MIN_MONTHS",
    "MIN_REPS",
    "Prior",
    "PRIORS",
    "STUDIES",
    "synthetic_book",
    "synthetic_plan",
]
