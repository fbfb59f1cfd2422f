"""A plan's payout read over attainment: the curve and the figures that sum it up.

:func:`payout_curve` pays one rep a year of twelve equal months at each attainment
through the kernel's annual path; :func:`plan_metrics` reads leverage, effective
rates and cost of sales off that curve. A private module of :mod:`spm_sim.comp`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from spm_sim.errors import DataError

from .components import MAX_MONEY, Contest
from .kernel import _as_float_array, payout
from .plan import Plan, standard_plan  # noqa: F401 (doctests)

__all__ = ["payout_curve", "plan_metrics"]


#: The most an attainment read off a payout curve may be (1,000,000% of quota).
MAX_CURVE_ATTAINMENT = 1e4


def payout_curve(
    plan: Plan,
    attainment: ArrayLike,
    *,
    target_incentive: float = 1.0,
    quota: float = 1.0,
) -> pd.DataFrame:
    """Annual payout as a function of attainment, for plots and plan reviews.

    Parameters
    ----------
    plan : Plan
    attainment : array_like of float, shape (n,)
        Annual attainments to evaluate (1.0 = at quota), >= 0 and at most 1e4.
    target_incentive : float, default 1.0
        With the default, payouts read as multiples of TI.
    quota : float, default 1.0
        Annual quota; matters for ``rate_basis="bookings"`` components.

    Returns
    -------
    DataFrame
        One row per attainment, columns ``attainment``, ``payout``,
        ``effective_rate`` and one column per component (its payout).
        ``effective_rate`` = payout / bookings, the average rate paid per dollar
        (NaN at zero bookings); with the defaults it reads as a multiple of TCR.

    Notes
    -----
    The year is twelve equal months. Every declared measure with a quota is at the
    same attainment as bookings (so gates and multipliers move with it), measures
    without one are 0, every score is 1.0 (on target), a draw applies as the plan
    says, and contests are left out (a prize depends on the other reps): their
    columns are 0.

    Examples
    --------
    >>> curve = payout_curve(standard_plan(accelerator=2.0), [0.4, 1.0, 1.5])
    >>> curve[["attainment", "payout", "effective_rate"]]
       attainment  payout  effective_rate
    0         0.4     0.0        0.000000
    1         1.0     1.0        1.000000
    2         1.5     2.0        1.333333
    """
    att = np.atleast_1d(_as_float_array("attainment", attainment, MAX_CURVE_ATTAINMENT))
    if att.ndim != 1:
        raise ValueError(f"attainment must be one-dimensional; got shape {att.shape}")
    # a year of twelve equal months: every measure at the same attainment, every
    # score on target (1.0); contests depend on the other reps and are left out
    n = 12
    monthly_quota = np.full((1, n), quota / n)
    bookings = np.broadcast_to((att * quota / n)[:, None, None], (att.size, 1, n))
    measures = {}
    for m in plan.measures:
        if m.kind == "score":
            measures[m.name] = np.ones((1, n))
        elif not m.has_quota:
            measures[m.name] = np.zeros((1, n))
        else:
            share = m.quota_share if m.quota_share is not None else 0.0  # one of the two is set
            per_month = m.quota_per_rep / n if m.quota_per_rep is not None else share * quota / n
            measures[m.name] = att[:, None, None] * per_month * np.ones((1, n))
    paid = payout(
        plan,
        bookings,
        monthly_quota,
        [target_incentive],
        measures=measures or None,
        detail="annual",
    )
    by_comp = paid.annual_by_component[:, 0, :].copy()
    for j, c in enumerate(plan.components):
        if isinstance(c, Contest):
            by_comp[:, j] = 0.0
    total = by_comp.sum(axis=-1)
    flat = att * quota
    rate = np.divide(total, flat, out=np.full_like(total, np.nan), where=flat > 0)
    frame = pd.DataFrame({"attainment": att, "payout": total, "effective_rate": rate})
    for j, name in enumerate(paid.components):
        frame[name] = by_comp[:, j]
    return frame


def plan_metrics(
    plan: Plan,
    *,
    quota: float = 1.0,
    target_incentive: float = 1.0,
    attainment_sample: ArrayLike | None = None,
) -> dict[str, float]:
    """Figures that summarise a plan's payout curve: leverage, rates, cost of sales.

    Parameters
    ----------
    plan : Plan
    quota : float > 0, default 1.0
        Annual quota of a typical rep, in the plan's currency; at most 1e12.
    target_incentive : float > 0, default 1.0
        Annual target incentive (TI) of that rep; at most 1e12. With both defaults,
        ``cost_of_sales_at_quota`` reads as a multiple of TI / quota.
    attainment_sample : array_like of float, any shape, optional
        Annual attainments (1.0 = at quota), e.g. simulated or last year's, finite
        and >= 0. When given, the curve is also read at their 90th percentile.

    Returns
    -------
    dict of str to float
        ``payout_at_quota_over_ti``
            Payout at 100% attainment / TI; 1.0 for a plan that pays the TI at quota.
        ``payout_at_150_over_ti``
            Leverage: payout at 150% attainment / TI.
        ``effective_rate_at_100``, ``effective_rate_at_150``
            Payout / bookings at 100% and 150% attainment, as a multiple of the
            target commission rate TCR = TI / quota.
        ``cost_of_sales_at_quota``
            Payout / bookings at 100% attainment, a fraction of bookings.
        ``p90_attainment``, ``payout_at_p90_over_ti``
            Only with ``attainment_sample``: its 90th percentile (numpy's default,
            linear interpolation) and the payout there / TI, the leverage of an
            excellent performer.

    Notes
    -----
    With :math:`P(a)` the annual payout at attainment :math:`a` (quota :math:`Q`,
    TI :math:`T`), the effective rate at :math:`a` is :math:`P(a) / (a Q)` in money
    per dollar booked, :math:`P(a) / (a T)` in multiples of TCR, and the cost of
    sales at quota is :math:`P(1) / Q`.

    Examples
    --------
    One accelerator at 2x TCR above quota: at 150% the rep earns 1 + 2 x 0.5 = 2 TI.

    >>> m = plan_metrics(standard_plan(accelerator=2.0), quota=1_000_000,
    ...                  target_incentive=100_000)
    >>> m["payout_at_quota_over_ti"], m["payout_at_150_over_ti"], m["cost_of_sales_at_quota"]
    (1.0, 2.0, 0.1)
    >>> round(m["effective_rate_at_150"], 4)   # 2 TI / 1.5 quotas
    1.3333
    """
    for name, value, most in (
        ("quota", quota, 1e12),
        ("target_incentive", target_incentive, MAX_MONEY),
    ):
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"{name} must be a finite number > 0; got {value!r}")
        if value > most:
            raise DataError(f"{name} must be at most {most:g} (a year, per rep); got {value!r}")
    points = [1.0, 1.5]
    p90 = None
    if attainment_sample is not None:
        sample = _as_float_array("attainment_sample", attainment_sample)
        if sample.size == 0:
            raise ValueError("attainment_sample is empty; give at least one attainment")
        p90 = float(np.quantile(sample, 0.9))
        points.append(p90)
    curve = payout_curve(plan, points, target_incentive=target_incentive, quota=quota)
    over_ti = curve["payout"].to_numpy() / target_incentive
    metrics = {
        "payout_at_quota_over_ti": float(over_ti[0]),
        "payout_at_150_over_ti": float(over_ti[1]),
        "effective_rate_at_100": float(over_ti[0] / 1.0),
        "effective_rate_at_150": float(over_ti[1] / 1.5),
        "cost_of_sales_at_quota": float(curve["payout"].iloc[0] / quota),
    }
    if p90 is not None:
        metrics["p90_attainment"] = p90
        metrics["payout_at_p90_over_ti"] = float(over_ti[2])
    return metrics
