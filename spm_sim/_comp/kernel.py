"""The payout kernel: what a plan pays, vectorised over trials, reps and periods.

:func:`payout` turns credited bookings into money for any number of trials, reps
and periods at once; :func:`payout_curve` and :func:`plan_metrics` give the same
rule over attainment for plots and plan reviews. A private module of
:mod:`spm_sim.comp`; the plan specs live in ``_comp/components.py`` and
``_comp/plan.py``.

Conventions
-----------
* Attainment is a fraction: ``1.0`` is 100% of quota.
* Arrays are batch-first, ``(..., n_reps, n_periods[, n_components])``; the kernel
  broadcasts over any leading axes (trials, scenarios).
* Money stays float64 inside arrays. Amounts shown to people go through
  :func:`round_money`.

Every mechanic of :class:`~spm_sim.comp.Plan` is paid here: marginal and retroactive
tiers and curves, thresholds, attainment and payout caps, gates and multipliers,
several weighted components with cumulative year-to-date true-up per period, bonuses,
MBOs, SPIFFs, contests, recoverable and non-recoverable draws, and clawbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .components import (  # noqa: F401 (MEASURES and Tier: doctests)
    MAX_MONEY,
    MBO,
    MEASURES,
    Bonus,
    Component,
    Contest,
    Draw,
    Spiff,
    Tier,
)
from .plan import Plan, standard_plan  # noqa: F401 (doctests)

__all__ = [
    "Payout",
    "payout",
    "payout_columns",
    "evaluation_periods",
    "period_ends",
    "payout_curve",
    "plan_metrics",
    "round_money",
]

#: Attainment within this distance below a threshold counts as reaching it, so that
#: a cumulative sum of cents that lands on the threshold is not missed by float
#: rounding (1e-9 of a $1M quota is a tenth of a cent).
_THRESHOLD_TOL = 1e-9

#: The most a rep's bookings, quota or units of a measure may be in one period. Above
#: about 9e13 a float64 no longer holds every cent of an amount; no sales team comes
#: near either.
MAX_PERIOD_UNITS = 1e13
#: The most an attainment read off a payout curve may be (1,000,000% of quota).
MAX_CURVE_ATTAINMENT = 1e4
#: The most one payment (a column, a rep, a period) may be, for the same reason. The
#: kernel refuses to return a larger or non-finite payment (see :func:`payout`). It is
#: above the largest TI (:data:`MAX_MONEY`, 1e12) so a year's TI paid in one month
#: passes; a plan paying many times a TI near that bound (a cap of 10x or more) is
#: refused here with the rep's TI named. The payroll holds each line to 1e12
#: (``_actuals/payroll.py``, ``MAX_AMOUNT``), within this bound, so that a year of
#: such lines (1.2e13 to date) still adds up to the cent.
MAX_PAYMENT = 1e13


@dataclass(frozen=True, eq=False)
class Payout:
    """Money paid by a plan, per column and period (read-only arrays).

    Attributes
    ----------
    by_component : ndarray, shape (..., n_reps, n_periods, n_columns)
        Payment made in each period, float64: one column per plan component (net
        of what earlier periods paid), then ``clawback`` (<= 0) if the plan has a
        clawback rule, then ``draw`` (the draw paid beyond the earnings, or its
        recovery as a negative amount) if it has a draw.
    components : tuple of str
        Column names, in the order of the last axis.
    annual_bookings, annual_quota : ndarray, shape (..., n_reps)
        Credited bookings (net of clawed-back cancellations) and quota over the
        periods.
    draw_balance : ndarray, shape (..., n_reps), or None
        Recoverable draw still owed by the rep at the end of the periods (not paid
        back); ``None`` without a recoverable draw.
    """

    by_component: NDArray[np.float64]
    components: tuple[str, ...]
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]
    draw_balance: NDArray[np.float64] | None = None

    @property
    def by_period(self) -> NDArray[np.float64]:
        """Payment per period, all columns, shape ``(..., n_reps, n_periods)``."""
        return self.by_component.sum(axis=-1)

    @property
    def annual_by_component(self) -> NDArray[np.float64]:
        """Year total per column, shape ``(..., n_reps, n_columns)``."""
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


def _as_float_array(name: str, value: ArrayLike, most: float = math.inf) -> NDArray[np.float64]:
    """``value`` as float64, every entry finite, >= 0 and at most ``most``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be an array of numbers; {exc}") from None
    if arr.size == 0:
        return arr
    high = arr.max()  # two quick reductions: NaN makes the max NaN, inf makes it inf
    if np.isfinite(high) and high <= most and arr.min() >= 0:
        return arr
    bad = ~(np.isfinite(arr) & (arr >= 0) & (arr <= most))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        rule = "finite and >= 0" if math.isinf(most) else f"finite, >= 0 and at most {most:g}"
        raise DataError(
            f"{name} must be {rule}; found {float(arr[where])!r} at index "
            f"{where} ({int(bad.sum())} bad value(s) in all)"
        )
    return arr


def period_ends(period: str, n_periods: int) -> NDArray[np.intp]:
    """Indices of the last month of each measurement period.

    ``month``: every month; ``quarter``: months 3, 6, 9, 12 (and the last period if
    the year ends inside a quarter); ``year``: the last month.

    Examples
    --------
    >>> period_ends("quarter", 12).tolist(), period_ends("year", 12).tolist()
    ([2, 5, 8, 11], [11])
    """
    if period == "year":
        return np.arange(max(n_periods - 1, 0), n_periods, dtype=np.intp)
    if period == "quarter":
        ends = list(range(2, n_periods, 3))
        if n_periods and (not ends or ends[-1] != n_periods - 1):
            ends.append(n_periods - 1)
        return np.asarray(ends, dtype=np.intp)
    return np.arange(n_periods, dtype=np.intp)


def evaluation_periods(period: str, n_periods: int) -> NDArray[np.intp]:
    """Indices of the months at whose end a commission or bonus is measured and paid.

    ``month`` and ``year`` are measured every month (``year`` against the annual
    quota, so a year plan pays monthly advances on the year's earnings); ``quarter``
    at the quarter ends (:func:`period_ends`). MBO components pay at
    :func:`period_ends` of their period.

    Examples
    --------
    >>> evaluation_periods("quarter", 12).tolist()
    [2, 5, 8, 11]
    >>> len(evaluation_periods("year", 12))
    12
    """
    if period == "year":
        return np.arange(n_periods, dtype=np.intp)
    return period_ends(period, n_periods)


def _as_slice(idx: NDArray[np.intp], n: int) -> slice | NDArray[np.intp]:
    """``idx`` as a slice when it is evenly spaced to the end (faster to write)."""
    if len(idx) >= 2:
        step = int(idx[1] - idx[0])
        if step > 0 and np.array_equal(idx, np.arange(idx[0], n, step)):
            return slice(int(idx[0]), None, step)
    if len(idx) == 1:
        return slice(int(idx[0]), int(idx[0]) + 1)
    return idx


def _cumulative_at(values: NDArray[np.float64], idx: NDArray[np.intp]) -> NDArray[np.float64]:
    """Sums of ``values`` over the periods up to each of ``idx``, shape (..., len(idx)).

    A product with a 0/1 matrix: many times faster than ``np.cumsum`` along a short
    last axis, and it computes only the evaluation periods. Each sum adds the same
    terms in the same order whatever the leading shape, so chunking changes no digit.
    """
    n = values.shape[-1]
    upto = (np.arange(n)[:, None] <= idx[None, :]).astype(np.float64)
    return values @ upto


class _Measures:
    """Cumulative units, quotas and attainments of a plan's measures, cached."""

    def __init__(self, plan, shape, values, cancels, quota, ti, active):
        self.plan, self.shape, self.n = plan, shape, shape[-1]
        self.values, self.cancels = values, cancels
        self.ti = ti  # (..., n_reps)
        self.active = active
        if quota.ndim == 0 or quota.shape[-1] != self.n:  # one value for every period
            quota = np.broadcast_to(quota, quota.shape[:-1] + (self.n,))
        self._quota_base = quota  # bookings quota per period, its own (small) shape
        self._cache: dict[tuple, NDArray[np.float64]] = {}

    def _memo(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def quota(self, name: str) -> NDArray[np.float64]:
        """Quota per period of measure ``name`` (broadcastable to the shape)."""

        def make():
            m = self.plan.measure(name)
            q = self._quota_base
            if m.quota_per_rep is not None:
                return np.where(q > 0, m.quota_per_rep / 12.0, 0.0)
            return q if m.quota_share == 1.0 else q * m.quota_share

        return self._memo(("q", name), make)

    def cum(self, name: str, idx) -> NDArray[np.float64]:
        """Year-to-date net units of ``name`` at the periods ``idx`` (``None``: all)."""
        idx = np.arange(self.n) if idx is None else np.asarray(idx)

        def make():
            v = _cumulative_at(self.values[name], idx)
            if name in self.cancels:
                v = v - _cumulative_at(self.cancels[name], idx)
            return v

        return self._memo(("cum", name, tuple(idx.tolist())), make)

    def annual_quota(self, name: str) -> NDArray[np.float64]:
        return self._memo(("Q", name), lambda: self.quota(name).sum(axis=-1))

    def reference(self, name: str, period: str, idx) -> NDArray[np.float64]:
        """The quota attainment is measured against, at the periods ``idx``."""
        if period == "year":
            return self.annual_quota(name)[..., None]
        return self._memo(("ref", name, period), lambda: np.cumsum(self.quota(name), -1)[..., idx])

    def share(self, name: str, period: str, idx) -> NDArray[np.float64]:
        """Share of the annual quota due by the periods ``idx`` (1 for ``year``)."""
        if period == "year":
            return np.ones((1,))

        def make():
            ref = self.reference(name, period, idx)
            Q = self.annual_quota(name)[..., None]
            out = np.zeros(np.broadcast_shapes(np.shape(Q), np.shape(ref)))
            return np.divide(ref, Q, out=out, where=Q > 0)

        return self._memo(("share", name, period), make)

    def attainment(self, name: str, period: str, idx, extra=None) -> NDArray[np.float64]:
        """Year-to-date attainment of ``name`` at ``idx`` (0 where the quota is 0)."""
        units = self.cum(name, idx) if extra is None else self.cum(name, idx) + extra
        return units * self._inverse(name, period, idx)

    def _inverse(self, name: str, period: str, idx) -> NDArray[np.float64]:
        """1 / the quota measured against, and 0 where that quota is 0."""

        def make():
            ref = self.reference(name, period, idx)
            return np.divide(1.0, ref, out=np.zeros(np.shape(ref)), where=ref > 0)

        return self._memo(("inv", name, period), make)

    def cancelled_since_last(self, name: str, idx) -> NDArray[np.float64] | None:
        """Cancellations between the previous evaluation and each of ``idx``."""
        if name not in self.cancels:
            return None
        c = _cumulative_at(self.cancels[name], np.asarray(idx))
        return np.diff(c, axis=-1, prepend=0.0)


def _table_units(c: Component, credited: NDArray[np.float64], tiers) -> NDArray[np.float64]:
    """Units of the component's target earned at credited attainment (before caps)."""
    if c.curve is not None:
        xs = np.array([p.attainment for p in c.curve])
        ys = np.array([p.payout for p in c.curve])
        slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        return np.interp(credited, xs, ys) + slope * np.maximum(credited - xs[-1], 0.0)
    if c.tier_method == "retroactive":
        starts = np.array([t.start for t in tiers])
        rates = np.array([t.rate for t in tiers])
        k = np.searchsorted(starts, credited + _THRESHOLD_TOL, side="right") - 1
        return rates[np.maximum(k, 0)] * credited
    # a marginal table is a piecewise-linear function of attainment: interpolate
    # between the cumulative units at the band edges, and continue the last rate
    edges = [t.start for t in tiers]
    cumulative = [0.0]
    for t in tiers[:-1]:
        cumulative.append(cumulative[-1] + t.rate * (t.end - t.start))
    last = tiers[-1]
    if last.end is not None:  # the attainment cap stops attainment at or before its end
        edges.append(last.end)
        cumulative.append(cumulative[-1] + last.rate * (last.end - last.start))
        return np.interp(credited, edges, cumulative)
    # the open last band: one more edge far out, the same for every call, so a rep's
    # pay does not depend on the other trials paid with it; beyond it (attainment
    # of a billion quotas) the band continues exactly
    top = last.start + 1e9
    edges.append(top)
    cumulative.append(cumulative[-1] + last.rate * (top - last.start))
    units = np.interp(credited, edges, cumulative)
    if credited.size and credited.max() > top:
        units += last.rate * np.maximum(credited - top, 0.0)
    return units


def _step(levels: list[tuple[float, float]], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Value of the highest level whose key is at or below ``x`` (keys start at 0)."""
    keys = np.array([k for k, _ in levels])
    vals = np.array([v for _, v in levels])
    k = np.searchsorted(keys, x + _THRESHOLD_TOL, side="right") - 1
    return vals[np.maximum(k, 0)]


def _commission_earned(
    c: Component, ms: _Measures, idx, attainment: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Earned to date at the evaluation periods, given the component's attainment."""
    credited = attainment
    if c.attainment_cap is not None:
        credited = np.minimum(credited, c.attainment_cap)
    target = c.weight * ms.ti[..., None] * ms.share(c.measure, c.period, idx)
    scale = target if c.rate_basis == "tcr" else ms.reference(c.measure, c.period, idx)
    money = _table_units(c, credited, c.tiers)  # a new array: the steps below work in place
    money *= scale
    if c.gate is not None:
        reached = ms.attainment(c.gate.measure, c.period, idx) >= (
            c.gate.min_attainment - _THRESHOLD_TOL
        )
        if c.gate.applies_to == "component":
            money = np.where(reached, money, 0.0)
        elif not reached.all():  # the ungated table, only where the gate is closed
            closed = np.broadcast_to(~reached, money.shape)
            below = np.broadcast_to(credited, money.shape)[closed]
            money[closed] = (
                _table_units(c, below, c.ungated_tiers())
                * np.broadcast_to(scale, money.shape)[closed]
            )
    if c.threshold > 0:
        np.copyto(money, 0.0, where=attainment < c.threshold - _THRESHOLD_TOL)
    if c.multiplier is not None:
        levels = [(lv.attainment, lv.factor) for lv in c.multiplier.levels]
        money *= _step(levels, ms.attainment(c.multiplier.measure, c.period, idx))
    if c.payout_cap is not None:
        np.minimum(money, c.payout_cap * target, out=money)
    return money


def _bonus_earned(b: Bonus, ms: _Measures, idx, attainment) -> NDArray[np.float64]:
    money = np.zeros(np.broadcast_shapes(attainment.shape, ms.ti.shape + (1,)))
    for m in b.milestones:
        amount = m.amount if m.amount is not None else m.share_of_ti * ms.ti[..., None]
        money = money + np.where(attainment >= m.attainment - _THRESHOLD_TOL, amount, 0.0)
    return money


def _settle(
    earned: NDArray[np.float64], earned_before_cancel: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Payments at the evaluation periods: cumulative true-up, never below zero.

    Without cancellations, the paid-to-date is the running maximum of earnings to
    date, so a bad period pays nothing and is made up later. With cancellations,
    ``L_k`` (what this period's cancellations took off the earnings) is clawed
    back: ``P_k = max(E_k, P_{k-1} - L_k)``, the commission paid is
    ``P_k - P_{k-1} + L_k`` (``max(E'_k - P_{k-1}, 0)`` when ``E'_k >= E_k``) and
    the clawback ``-L_k``, with ``L_k = max(E'_k - E_k, 0)`` and ``E'_k`` the
    earnings as if the cancellations had not happened.
    """
    if earned_before_cancel is None:
        pay = np.empty_like(earned)
        prev = np.zeros(earned.shape[:-1])
        for k in range(earned.shape[-1]):
            now = np.maximum(earned[..., k], prev)
            np.subtract(now, prev, out=pay[..., k])
            prev = now
        return pay, None
    pay = np.empty_like(earned)
    claw = np.empty_like(earned)
    prev = np.zeros(earned.shape[:-1])
    for k in range(earned.shape[-1]):
        lost = np.maximum(earned_before_cancel[..., k] - earned[..., k], 0.0)
        now = np.maximum(earned[..., k], prev - lost)
        # what the period pays in all is now - prev; the clawback shows -lost and the
        # commission the rest (a retroactive decelerator can earn more after a
        # cancellation: then lost is 0 and the commission pays the difference)
        claw[..., k] = -lost
        pay[..., k] = now - prev + lost
        prev = now
    return pay, claw


def _contest_prizes(contest: Contest, totals: NDArray[np.float64]) -> NDArray[np.float64]:
    """Prizes by rank along the reps axis (the last axis of ``totals``), ties shared."""
    n = totals.shape[-1]
    flat = totals.reshape(-1, n)
    flat = np.round(flat, 2)  # totals are compared to the cent: equal cents tie
    eligible = flat > contest.min_total
    key = np.where(eligible, flat, -np.inf)
    order = np.argsort(-key, axis=-1, kind="stable")
    ranked = np.take_along_axis(key, order, axis=-1)
    prizes = np.zeros(n)
    k = min(n, len(contest.prizes))
    prizes[:k] = contest.prizes[:k]
    # tie groups along each row: a new group starts where the value changes
    new = np.ones_like(ranked, dtype=bool)
    new[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    group = np.cumsum(new, axis=-1) - 1 + (np.arange(flat.shape[0]) * n)[:, None]
    sums = np.bincount(group.ravel(), np.broadcast_to(prizes, ranked.shape).ravel())
    counts = np.bincount(group.ravel())
    shared = (sums / np.maximum(counts, 1))[group]
    shared = np.where(np.isfinite(ranked), shared, 0.0)
    out = np.empty_like(shared)
    np.put_along_axis(out, order, shared, axis=-1)
    return out.reshape(totals.shape)


def _apply_draw(
    draw: Draw,
    payments: NDArray[np.float64],
    ti: NDArray[np.float64],
    active: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Draw adjustment per period (>= 0 top-up, < 0 recovery) and the balance owed."""
    n = payments.shape[-1]
    months = np.zeros(n)
    for m in draw.months or range(1, 13):
        if m <= n:
            months[m - 1] = 1.0
    if draw.amount is not None:
        monthly = draw.amount
    else:  # the TI as passed (prorated for a mid-year hire) over the months employed
        worked = np.full(ti.shape, float(n)) if active is None else active.sum(axis=-1)
        monthly = (
            draw.share_of_ti
            * np.divide(
                ti,
                worked,
                out=np.zeros(np.broadcast_shapes(ti.shape, worked.shape)),
                where=worked > 0,
            )[..., None]
        )
    due = monthly * months
    if active is not None:
        due = due * active
    due = np.broadcast_to(due, payments.shape)
    adjust = np.empty_like(payments)
    balance = np.zeros(payments.shape[:-1])
    for p in range(n):
        earned, d = payments[..., p], due[..., p]
        short = np.where(d > 0, np.maximum(d - earned, 0.0), 0.0)
        if draw.recoverable:
            recover = np.minimum(np.maximum(earned - d, 0.0), balance)
            balance = balance + short - recover
            adjust[..., p] = short - recover
        else:
            adjust[..., p] = short
    return adjust, (balance if draw.recoverable else None)


def payout_columns(plan: Plan) -> tuple[str, ...]:
    """Names of the result columns of :func:`payout` for ``plan``, in order.

    The components, then ``clawback`` if the plan has a clawback rule, then
    ``draw`` if it has a draw.

    Examples
    --------
    >>> payout_columns(standard_plan().replace(draw={"amount": 500, "recoverable": True}))
    ('bookings', 'draw')
    """
    extra = (("clawback",) if plan.clawback else ()) + (("draw",) if plan.draw else ())
    return tuple(c.name for c in plan.components) + extra


def _check_measure_inputs(
    plan: Plan, shape: tuple[int, ...], given: Mapping[str, ArrayLike] | None, what: str
) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {}
    names = ["bookings"] + [m.name for m in plan.measures]
    for name, value in (given or {}).items():
        if name not in names or (what == "measures" and name == "bookings"):
            allowed = ", ".join(n for n in names if what != "measures" or n != "bookings")
            hint = " (bookings are the bookings argument)" if name == "bookings" else ""
            raise DataError(
                f"{what} has {name!r}, which plan {plan.name!r} does not declare{hint}; "
                f"its measures: {allowed or 'none besides bookings'}.{suggest(name, names)}"
            )
        arr = _as_float_array(f"{what}[{name!r}]", value, MAX_PERIOD_UNITS)
        try:
            out[name] = np.broadcast_to(arr, shape)
        except ValueError:
            raise ValueError(
                f"{what}[{name!r}] has shape {arr.shape}, which does not broadcast to the "
                f"bookings' {shape}"
            ) from None
    return out


def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    *,
    measures: Mapping[str, ArrayLike] | None = None,
    cancellations: Mapping[str, ArrayLike] | None = None,
    active: ArrayLike | None = None,
) -> Payout:
    """Pay a plan on credited measures, for any number of trials, reps and periods.

    Parameters
    ----------
    plan : Plan
    bookings : array_like, shape (..., n_reps, n_periods)
        Credited bookings per period (month), in the plan's currency, finite, >= 0.
    quotas : array_like, broadcastable to ``bookings``
        Bookings quota per period, e.g. shape ``(n_reps, n_periods)``. The annual
        quota is the sum over periods *after* broadcasting, so a ``(n_reps, 1)``
        array is a per-period quota repeated in every period. A mid-year change of
        quota is a change of the per-period values.
    target_incentive : array_like, shape (n_reps,) or broadcastable to (..., n_reps)
        Annual target incentive (TI) of each rep, prorated by the caller for reps
        who join or leave during the year.
    measures : mapping of str to array_like, optional
        Units per period of each measure the plan declares (``plan.measures``),
        same shape rules as ``bookings``; required for every declared measure the
        plan uses.
    cancellations : mapping of str to array_like, optional
        Only with a plan ``clawback``: units credited earlier and cancelled inside
        the clawback window, by the period they were cancelled in (``bookings`` or
        a declared measure).
    active : array_like of 0/1, broadcastable to ``bookings``, optional
        Periods the rep is employed; used by draws (no draw outside employment) and
        MBO shares. Default: every period.

    Returns
    -------
    Payout
        ``by_component`` has shape ``(..., n_reps, n_periods, n_columns)``, where
        ``...`` is the broadcast of the inputs' leading axes.

    Raises
    ------
    DataError
        For a NaN, infinite or negative input (naming the input and index); bookings,
        quotas or units above 1e13 in a period (:data:`MAX_PERIOD_UNITS`) or a target
        incentive above 1e12 (:data:`MAX_MONEY`); a measure the plan uses but that is
        not given (or one given that the plan does not declare); cancellations beyond
        what was credited. And, as the last check, for a payment that would not be
        finite or would exceed 1e13 (:data:`MAX_PAYMENT`, e.g. from a quota near 0 or
        a plan paying 100x a TI near 1e12): no NaN, infinity or meaningless amount is
        ever returned.

    Notes
    -----
    The full rules, with formulas, are in ``docs/model.md`` ("Compensation"). In
    short, for a commission component measured on ``period`` with attainment
    :math:`a_k` (year-to-date units over the annual quota for ``year``, over the
    year-to-date quota for ``quarter``/``month``) at each evaluation period
    :math:`k`, the earnings to date are

    .. math::

        E_k = \\min\\Big(C_{pay} T_k,\\; m(a^{mult}_k)\\, g_k\\, [a_k \\ge \\theta]\\;
              s_k\\, u(\\min(a_k, C_{att}))\\Big)

    with :math:`u` the rate table (marginal: :math:`\\sum_j r_j \\mathrm{clip}(a - l_j,
    0, u_j - l_j)`; retroactive: :math:`r_{j(a)} a`; curve: linear interpolation),
    :math:`T_k = wT` times the share of the annual quota due by :math:`k`,
    :math:`s_k = T_k` (``tcr``) or the quota measured against (``bookings``),
    :math:`g_k` the gate and :math:`m` the multiplier step. Period :math:`k` pays
    :math:`P_k - P_{k-1}` with :math:`P_k = \\max_{j \\le k} E_j` (the cumulative
    true-up: never negative), or with clawbacks :math:`P_k = \\max(E_k, P_{k-1} -
    L_k)`. Bonuses pay milestones reached; MBO components pay
    :math:`wT \\times` (active months in the period / in the year) :math:`\\times` the
    level payout at each period end; SPIFFs pay ``rate`` x units in their window;
    contests pay prizes by rank of the window total at its end; a draw tops up each
    month to the draw and, if recoverable, recovers it from later earnings.

    A rep whose annual bookings quota is 0 has no attainment: every column pays 0
    for that rep, with no warning and no NaN.

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
    b = _as_float_array("bookings", bookings, MAX_PERIOD_UNITS)
    q = _as_float_array("quotas", quotas, MAX_PERIOD_UNITS)
    ti = _as_float_array("target_incentive", target_incentive, MAX_MONEY)
    if b.ndim < 2:
        raise ValueError(f"bookings must have shape (..., n_reps, n_periods); got shape {b.shape}")
    try:
        shape = np.broadcast_shapes(b.shape, q.shape, ti.shape + (1,))
    except ValueError:
        raise ValueError(
            f"shapes do not broadcast: bookings {b.shape} (..., n_reps, n_periods), "
            f"quotas {q.shape} (per period), target_incentive {ti.shape} (..., n_reps)"
        ) from None
    values = {"bookings": np.broadcast_to(b, shape)}
    values |= _check_measure_inputs(plan, shape, measures, "measures")
    cancels = _check_measure_inputs(plan, shape, cancellations, "cancellations")
    if cancels and plan.clawback is None:
        raise ValueError(
            f"plan {plan.name!r} has no clawback rule, so cancellations do not change its "
            "payouts; add 'clawback: {window_days: N}' to the plan or leave them out"
        )
    used = {c.measure for c in plan.components}
    used |= {
        getattr(c, p).measure
        for c in plan.components
        for p in ("gate", "multiplier")
        if getattr(c, p, None) is not None
    }
    missing = sorted(used - set(values))
    if missing:
        raise DataError(
            f"plan {plan.name!r} pays on measure {missing[0]!r} but measures= has no "
            f"{missing[0]!r}; pass measures={{{missing[0]!r}: array of shape {shape}}}"
        )
    for name, cancelled in cancels.items():
        over = np.cumsum(cancelled, axis=-1) > np.cumsum(values[name], axis=-1) + 1e-6
        if over.any():
            where = tuple(int(i) for i in np.argwhere(over)[0])
            raise DataError(
                f"cancellations[{name!r}] take off more than was credited to date at index "
                f"{where}; cancel only units credited in an earlier or the same period"
            )
    act = None
    if active is not None:
        act = np.broadcast_to(_as_float_array("active", active), shape)
    ms = _Measures(plan, shape, values, cancels, q, ti, act)
    annual_quota = np.broadcast_to(ms.annual_quota("bookings"), shape[:-1]).copy()
    has_quota = annual_quota > 0
    n = shape[-1]

    columns = payout_columns(plan)
    # component-major buffer (..., reps, columns, periods): each column's periods are
    # contiguous, so writing a component is fast; by_component is a view of it
    buf = np.zeros(shape[:-1] + (len(columns), n))
    claw_col = columns.index("clawback") if plan.clawback is not None else None
    for j, c in enumerate(plan.components):
        period = getattr(c, "period", "year")
        idx = period_ends(period, n) if isinstance(c, MBO) else evaluation_periods(period, n)
        at = _as_slice(idx, n)
        if isinstance(c, (Component, Bonus)):
            earn: Callable[..., np.ndarray] = (
                _commission_earned if isinstance(c, Component) else _bonus_earned
            )
            att = ms.attainment(c.measure, period, idx)
            earned = earn(c, ms, idx, att)
            extra = ms.cancelled_since_last(c.measure, idx)
            before = None
            if extra is not None:
                before = earn(c, ms, idx, ms.attainment(c.measure, period, idx, extra))
            pay, claw = _settle(earned, before)
            buf[..., j, at] = pay
            if claw is not None:
                buf[..., claw_col, at] += claw
        elif isinstance(c, MBO):
            buf[..., j, at] = _mbo_pay(c, ms, idx)
        elif isinstance(c, Spiff):
            window = slice(c.start_month - 1, min(c.end_month, n))
            buf[..., j, window] = c.rate * values[c.measure][..., window]
        elif isinstance(c, Contest) and c.end_month <= n:
            window = slice(c.start_month - 1, c.end_month)
            totals = values[c.measure][..., window].sum(axis=-1)
            totals = np.where(has_quota, totals, 0.0)
            buf[..., j, c.end_month - 1] = _contest_prizes(c, totals)
    if not has_quota.all():
        buf *= has_quota[..., None, None]
    balance = None
    if plan.draw is not None:
        # the draw guarantees the month's earnings; a clawback is taken on top of it
        keep = [k for k, name in enumerate(columns[:-1]) if name != "clawback"]
        earned = buf[..., keep, :].sum(axis=-2)
        adjust, balance = _apply_draw(plan.draw, earned, ti, act)
        buf[..., -1, :] = adjust * has_quota[..., None]
        if balance is not None:
            balance = balance * has_quota
            balance.flags.writeable = False
    _check_payments(plan, buf, columns, values["bookings"], q, ti)
    annual_bookings = ms.cum("bookings", [n - 1])[..., 0].copy() if n else np.zeros(shape[:-1])
    for arr in (buf, annual_bookings, annual_quota):
        arr.flags.writeable = False
    payments = np.moveaxis(buf, -2, -1)
    return Payout(
        by_component=payments,
        components=columns,
        annual_bookings=annual_bookings,
        annual_quota=annual_quota,
        draw_balance=balance,
    )


def _check_payments(
    plan: Plan,
    buf: NDArray[np.float64],
    columns: tuple[str, ...],
    bookings: NDArray[np.float64],
    quotas: NDArray[np.float64],
    target_incentive: NDArray[np.float64],
) -> None:
    """Refuse a payment that is not finite or beyond :data:`MAX_PAYMENT`: the last
    line of defence, so that no NaN, infinity or meaningless amount reaches a payroll.

    ``buf`` is the kernel's ``(..., reps, columns, periods)`` buffer; the message
    names the rep's year of bookings, quota and target incentive, whichever is off.
    """
    if buf.size == 0:
        return
    low, high = buf.min(), buf.max()  # NaN makes both NaN, and NaN fails the test
    if low >= -MAX_PAYMENT and high <= MAX_PAYMENT:
        return
    bad = ~(np.isfinite(buf) & (np.abs(buf) <= MAX_PAYMENT))
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    rep, column, period = at[:-2], at[-2], at[-1]
    b_year = np.broadcast_to(bookings, buf.shape[:-2] + (buf.shape[-1],))[rep].sum()
    q_year = np.broadcast_to(quotas, buf.shape[:-2] + (buf.shape[-1],))[rep].sum()
    ti = np.broadcast_to(target_incentive, buf.shape[:-2])[rep]
    raise DataError(
        f"plan {plan.name!r}: the payment of {columns[column]!r} to the rep at index {rep} "
        f"in period {period + 1} is {float(buf[at])!r}, beyond what money arithmetic "
        f"can hold to the cent (at most {MAX_PAYMENT:g} a payment); that rep's bookings "
        f"are {float(b_year):g} against a quota of {float(q_year):g}, with a target "
        f"incentive of {float(ti):g}. Check for a quota near 0, a target incentive or "
        "amounts in the wrong unit or currency, or a plan paying many times the TI (no "
        "caps, or caps far above 10x TI)"
    )


def _mbo_pay(c: MBO, ms: _Measures, idx) -> NDArray[np.float64]:
    """MBO payments at its period ends: weight x TI x period share x level payout."""
    n = ms.n
    act = np.ones((n,)) if ms.active is None else ms.active
    per_period = np.add.reduceat(act, np.r_[0, idx[:-1] + 1], axis=-1)
    total = act.sum(axis=-1, keepdims=True)
    share = np.divide(
        per_period,
        total,
        out=np.zeros(np.broadcast_shapes(per_period.shape, total.shape)),
        where=total > 0,
    )
    levels = [(lv.score, lv.payout) for lv in c.levels]
    factor = _step(levels, ms.values[c.measure][..., idx])
    return c.weight * ms.ti[..., None] * share * factor


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
    paid = payout(plan, bookings, monthly_quota, [target_incentive], measures=measures or None)
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
