"""The payout kernel: what a plan pays, vectorised over trials, reps and periods.

:func:`payout` turns credited bookings into money for any number of trials, reps
and periods at once; :func:`payout_curve` and :func:`plan_metrics` give the same
rule over attainment for plots and plan reviews. The plan specs live in
:mod:`spm_sim.plan` and are re-exported here.

Conventions
-----------
* Attainment is a fraction: ``1.0`` is 100% of quota.
* Arrays are batch-first, ``(..., n_reps, n_periods[, n_components])``; the kernel
  broadcasts over any leading axes (trials, scenarios).
* Money stays float64 inside arrays. Amounts shown to people go through
  :func:`round_money`.

This module covers the foundation: marginal tiers, thresholds, attainment and payout
caps, several weighted components, and cumulative year-to-date payment. Retroactive
tiers, gates, draws and clawbacks come later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from spm_sim._validation import DataError
from spm_sim.plan import (
    MEASURES,
    PLAN_SCHEMA_PATH,
    Component,
    Plan,
    Tier,
    load_plan,
    plan_json_schema,
    standard_plan,
)

__all__ = [
    "MEASURES",
    "Tier",
    "Component",
    "Plan",
    "Payout",
    "load_plan",
    "standard_plan",
    "payout",
    "payout_curve",
    "plan_metrics",
    "plan_json_schema",
    "PLAN_SCHEMA_PATH",
    "round_money",
]

#: Attainment within this distance below a threshold counts as reaching it, so that
#: a cumulative sum of cents that lands on the threshold is not missed by float
#: rounding (1e-9 of a $1M quota is a tenth of a cent).
_THRESHOLD_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Payout:
    """Money paid by a plan, per component and period (read-only arrays).

    Attributes
    ----------
    by_component : ndarray, shape (..., n_reps, n_periods, n_components)
        Payment made in each period (net of what earlier periods paid), float64.
    components : tuple of str
        Component names, in the order of the last axis.
    annual_bookings, annual_quota : ndarray, shape (..., n_reps)
        Credited bookings and quota summed over the periods.
    """

    by_component: NDArray[np.float64]
    components: tuple[str, ...]
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]

    @property
    def by_period(self) -> NDArray[np.float64]:
        """Payment per period, all components, shape ``(..., n_reps, n_periods)``."""
        return self.by_component.sum(axis=-1)

    @property
    def annual_by_component(self) -> NDArray[np.float64]:
        """Year total per component, shape ``(..., n_reps, n_components)``."""
        return self.by_component.sum(axis=-2)

    @property
    def total(self) -> NDArray[np.float64]:
        """Year total, shape ``(..., n_reps)``."""
        return self.by_component.sum(axis=(-2, -1))

    @property
    def attainment(self) -> NDArray[np.float64]:
        """Annual bookings / annual quota, shape ``(..., n_reps)``; NaN where quota is 0."""
        out = np.full(self.annual_quota.shape, np.nan)
        return np.divide(
            self.annual_bookings, self.annual_quota, out=out, where=self.annual_quota > 0
        )


def _as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{name} must be finite and >= 0; found {float(arr[where])!r} at index {where} "
            f"({int(bad.sum())} bad value(s) in all)"
        )
    return arr


def _earned(
    component: Component,
    attainment: NDArray[np.float64],
    ti: NDArray[np.float64],
    quota: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Earned-to-date money of one component; all arrays share one shape."""
    credited = attainment
    if component.attainment_cap is not None:
        credited = np.minimum(credited, component.attainment_cap)
    units = np.zeros_like(credited)
    for tier in component.tiers:
        width = np.inf if tier.end is None else tier.end - tier.start
        units += tier.rate * np.clip(credited - tier.start, 0.0, width)
    target = component.weight * ti  # the component's target incentive
    money = units * (target if component.rate_basis == "tcr" else quota)
    money = np.where(attainment >= component.threshold - _THRESHOLD_TOL, money, 0.0)
    if component.payout_cap is not None:
        money = np.minimum(money, component.payout_cap * target)
    return money


def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
) -> Payout:
    """Pay a plan on credited bookings, for any number of trials, reps and periods.

    Parameters
    ----------
    plan : Plan
    bookings : array_like, shape (..., n_reps, n_periods)
        Credited sales per period, in the plan's currency, finite and >= 0.
    quotas : array_like, broadcastable to ``bookings``
        Quota per period, e.g. shape ``(n_reps, n_periods)``. The annual quota is
        the sum over periods *after* broadcasting, so a ``(n_reps, 1)`` array is a
        per-period quota repeated in every period, not an annual one.
    target_incentive : array_like, shape (n_reps,) or broadcastable to (..., n_reps)
        Annual target incentive (TI) of each rep.

    Returns
    -------
    Payout
        ``by_component`` has shape ``(..., n_reps, n_periods, n_components)``, where
        ``...`` is the broadcast of the inputs' leading axes.

    Notes
    -----
    Measurement is against the annual quota :math:`Q = \\sum_p q_p`, paid
    cumulatively year to date. With :math:`B_p` the cumulative bookings to the end
    of period :math:`p` and :math:`a_p = B_p / Q`, a component earns to date

    .. math::

        E_p = \\min\\Big(C_{pay}\\, wT,\\;
              [a_p \\ge \\theta]\\; s \\sum_k r_k \\,
              \\mathrm{clip}(\\min(a_p, C_{att}) - l_k,\\; 0,\\; u_k - l_k)\\Big)

    where :math:`[l_k, u_k)` and :math:`r_k` are the tiers (marginal), :math:`\\theta`
    the threshold, :math:`C_{att}` and :math:`C_{pay}` the caps (absent = no cap),
    :math:`w` the weight, :math:`T` the TI, and the scale :math:`s = wT` for
    ``rate_basis="tcr"`` (TCR times :math:`Q`) or :math:`s = Q` for ``"bookings"``.
    Period :math:`p` pays :math:`E_p - E_{p-1}` (with :math:`E_0 = 0`), so the
    payments add up to the annual formula :math:`E_{last}` (up to float rounding,
    far below a cent) and, bookings being non-negative, are never negative.

    A rep whose annual quota is 0 has no attainment: every component pays 0 for
    that rep (tcr rates are undefined, and so are the attainment bands that
    bookings-basis rates use), with no warning and no NaN.

    Examples
    --------
    Quota $100 a quarter, TI $40, one accelerator at 2x above quota:

    >>> plan = standard_plan(threshold=0.5, accelerator=2.0)
    >>> p = payout(plan, [[100, 100, 150, 150]], [[100, 100, 100, 100]], [40])
    >>> p.attainment
    array([1.25])
    >>> round_money(p.by_period)   # 40 * (1 + 2 * 0.25) = 60 in all
    array([[ 0., 20., 15., 25.]])
    >>> round_money(p.total)
    array([60.])
    """
    b = _as_float_array("bookings", bookings)
    q = _as_float_array("quotas", quotas)
    ti = _as_float_array("target_incentive", target_incentive)
    if b.ndim < 2:
        raise ValueError(f"bookings must have shape (..., n_reps, n_periods); got shape {b.shape}")
    try:
        shape = np.broadcast_shapes(b.shape, q.shape, ti.shape + (1,))
    except ValueError:
        raise ValueError(
            f"shapes do not broadcast: bookings {b.shape} (..., n_reps, n_periods), "
            f"quotas {q.shape} (per period), target_incentive {ti.shape} (..., n_reps)"
        ) from None
    annual_quota = np.broadcast_to(q, shape).sum(axis=-1)
    cumulative = np.cumsum(np.broadcast_to(b, shape), axis=-1)
    has_quota = (annual_quota > 0)[..., None]
    safe_quota = np.where(has_quota, annual_quota[..., None], 1.0)
    attainment = np.where(has_quota, cumulative / safe_quota, 0.0)
    ti_col = np.broadcast_to(ti[..., None], shape)
    quota_col = np.broadcast_to(annual_quota[..., None], shape)

    payments = np.empty(shape + (len(plan.components),))
    for j, component in enumerate(plan.components):
        earned = np.where(has_quota, _earned(component, attainment, ti_col, quota_col), 0.0)
        payments[..., j] = np.diff(earned, axis=-1, prepend=0.0)

    annual_bookings = cumulative[..., -1].copy() if shape[-1] else np.zeros(shape[:-1])
    for arr in (payments, annual_bookings, annual_quota):
        arr.flags.writeable = False
    return Payout(
        by_component=payments,
        components=tuple(c.name for c in plan.components),
        annual_bookings=annual_bookings,
        annual_quota=annual_quota,
    )


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
        Annual attainments to evaluate (1.0 = at quota), >= 0.
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

    Examples
    --------
    >>> curve = payout_curve(standard_plan(accelerator=2.0), [0.4, 1.0, 1.5])
    >>> curve[["attainment", "payout", "effective_rate"]]
       attainment  payout  effective_rate
    0         0.4     0.0        0.000000
    1         1.0     1.0        1.000000
    2         1.5     2.0        1.333333
    """
    att = np.atleast_1d(_as_float_array("attainment", attainment))
    if att.ndim != 1:
        raise ValueError(f"attainment must be one-dimensional; got shape {att.shape}")
    bookings = (att * quota)[:, None, None]
    paid = payout(plan, bookings, [[quota]], [target_incentive])
    by_comp = paid.by_component[:, 0, 0, :]
    total = by_comp.sum(axis=-1)
    flat = bookings[:, 0, 0]
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
        Annual quota of a typical rep, in the plan's currency.
    target_incentive : float > 0, default 1.0
        Annual target incentive (TI) of that rep. With both defaults,
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
    for name, value in (("quota", quota), ("target_incentive", target_incentive)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
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


def round_money(x: ArrayLike) -> Any:
    """Round money to cents for reporting.

    The rule is numpy's :func:`numpy.round` to 2 decimals: round half to even
    ("banker's rounding") applied to the float64 value. So 0.125 becomes 0.12 and
    0.375 becomes 0.38; a value such as 2.675, stored in binary just below the
    half, becomes 2.67. Negative zero is returned as 0.0. Payroll systems that round
    half up can differ by one cent on exact halves. Keep unrounded values for
    further arithmetic and round once, at the end.

    Returns
    -------
    float or ndarray
        A Python float for a scalar input, else a float64 array of the same shape.

    Examples
    --------
    >>> round_money(0.125), round_money(0.375), round_money(82500.004)
    (0.12, 0.38, 82500.0)
    >>> round_money([1.005, -0.001])
    array([1., 0.])
    """
    arr = np.round(np.asarray(x, dtype=np.float64), 2) + 0.0
    return float(arr) if arr.ndim == 0 else arr
