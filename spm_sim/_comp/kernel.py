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

How it is computed: the leading axis is paid in blocks of about :data:`_BLOCK_CELLS`
cells, so that a block's arrays stay in the processor's cache; inside a block every
figure at the evaluation periods is period-major, ``(..., periods, reps)``, so each
period's reps are one contiguous row. Each component's payments are kept only at the
months it pays in; ``payout(..., detail="monthly")`` writes them into the dense
monthly array, ``detail="annual"`` adds them up into the totals a simulation keeps
without writing it. Every total adds its terms in one fixed order (see
:class:`Payout`), so the two agree to the last bit, and a trial's payments do not
depend on the trials paid with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

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
    "DETAILS",
    "Payout",
    "AnnualPayout",
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

#: What :func:`payout` can return: every payment by period (``"monthly"``, a
#: :class:`Payout`), or only the totals a simulation keeps (``"annual"``, an
#: :class:`AnnualPayout`: per rep and column, and the company per period).
DETAILS = ("monthly", "annual")


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

    Notes
    -----
    Every total adds its terms in a fixed order, whatever the memory layout: a year
    over its periods in calendar order and a period over the columns in column
    order, both one after the other from +0.0; the company over its reps pairwise,
    as numpy sums a contiguous axis. :class:`AnnualPayout` (``payout(...,
    detail="annual")``) computes the same totals without the monthly array, to the
    last bit.
    """

    by_component: NDArray[np.float64]
    components: tuple[str, ...]
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]
    draw_balance: NDArray[np.float64] | None = None

    #: what this payout holds (see :data:`DETAILS`)
    detail = "monthly"

    @property
    def by_period(self) -> NDArray[np.float64]:
        """Payment per period, all columns, shape ``(..., n_reps, n_periods)``.

        A view of a period-major array: summed over the reps (``axis=-2``), numpy
        adds each period's reps pairwise along memory, giving
        :attr:`company_by_period` to the last bit.
        """
        return np.swapaxes(_columns_by_period(self.by_component), -1, -2)

    @property
    def annual_by_component(self) -> NDArray[np.float64]:
        """Year total per column, shape ``(..., n_reps, n_columns)``."""
        return _add_along(self.by_component, -2)

    @property
    def company_by_period(self) -> NDArray[np.float64]:
        """Payment per period of all reps and columns, shape ``(..., n_periods)``:
        ``by_period.sum(axis=-2)``, each period's reps added pairwise."""
        return _columns_by_period(self.by_component).sum(axis=-1)

    @property
    def total(self) -> NDArray[np.float64]:
        """Year total, shape ``(..., n_reps)``: the columns added in order."""
        return _add_along(self.annual_by_component, -1)

    @property
    def attainment(self) -> NDArray[np.float64]:
        """Annual bookings / annual quota, shape ``(..., n_reps)``; NaN where quota is 0."""
        return _attainment(self.annual_bookings, self.annual_quota)


@dataclass(frozen=True, eq=False)
class AnnualPayout:
    """What a plan pays in the year, without the payments of each period.

    Returned by ``payout(..., detail="annual")``: the totals a simulation keeps,
    computed without writing the dense monthly array, equal to the last bit to
    those of the :class:`Payout` the same call returns with ``detail="monthly"``
    (its ``annual_by_component``, ``company_by_period``, ``total`` and
    ``attainment``). ``by_component`` and ``by_period`` are not available.

    Attributes
    ----------
    annual_by_component : ndarray, shape (..., n_reps, n_columns)
        Year total per column (the columns of :attr:`Payout.by_component`).
    company_by_period : ndarray, shape (..., n_periods)
        Payment per period of all reps and columns.
    components : tuple of str
        Column names, in the order of the last axis of ``annual_by_component``.
    annual_bookings, annual_quota : ndarray, shape (..., n_reps)
        As in :class:`Payout`.
    draw_balance : ndarray, shape (..., n_reps), or None
        As in :class:`Payout`.

    Examples
    --------
    >>> from spm_sim.comp import payout, standard_plan
    >>> p = payout(standard_plan(), [[50.0, 70.0]], [[60.0, 60.0]], [10.0], detail="annual")
    >>> p.detail, p.annual_by_component.shape, p.company_by_period.shape
    ('annual', (1, 1), (2,))
    """

    annual_by_component: NDArray[np.float64]
    company_by_period: NDArray[np.float64]
    components: tuple[str, ...]
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]
    draw_balance: NDArray[np.float64] | None = None

    #: what this payout holds (see :data:`DETAILS`)
    detail = "annual"

    @property
    def by_component(self) -> NDArray[np.float64]:
        """Not kept: pay with ``detail="monthly"`` (raises ``AttributeError``)."""
        raise AttributeError(_NOT_KEPT.format(what="by_component"))

    @property
    def by_period(self) -> NDArray[np.float64]:
        """Not kept: pay with ``detail="monthly"`` (raises ``AttributeError``)."""
        raise AttributeError(_NOT_KEPT.format(what="by_period"))

    @property
    def total(self) -> NDArray[np.float64]:
        """Year total, shape ``(..., n_reps)``: the columns added in order."""
        return _add_along(self.annual_by_component, -1)

    @property
    def attainment(self) -> NDArray[np.float64]:
        """Annual bookings / annual quota, shape ``(..., n_reps)``; NaN where quota is 0."""
        return _attainment(self.annual_bookings, self.annual_quota)


_NOT_KEPT = (
    "{what} is not available: this payout keeps annual totals only (payout(..., "
    "detail='annual')); pay with detail='monthly' for the payments of each period"
)


def _columns_by_period(by_component: NDArray[np.float64]) -> NDArray[np.float64]:
    """The columns of ``by_component`` (..., reps, periods, columns) added in column
    order from +0.0, period-major: (..., periods, reps), C-ordered."""
    *lead, n_reps, n, n_columns = by_component.shape
    out = np.zeros((*lead, n, n_reps))
    for c in range(n_columns):
        out += np.swapaxes(by_component[..., c], -1, -2)
    return out


def _add_along(values: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """Sum over ``axis``, term after term in index order from +0.0 (whatever the
    memory layout, unlike numpy's pairwise sums): the one way every total of a
    :class:`Payout` is added, so that its annual and monthly paths agree bit for bit."""
    axis %= values.ndim
    out = np.zeros(values.shape[:axis] + values.shape[axis + 1 :])
    at: list[Any] = [slice(None)] * values.ndim
    for k in range(values.shape[axis]):
        at[axis] = k
        out += values[tuple(at)]
    return out


def _attainment(bookings: NDArray[np.float64], quota: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(quota.shape, np.nan)
    return np.divide(bookings, quota, out=out, where=quota > 0)


def _read_only(arr: NDArray[np.float64]) -> NDArray[np.float64]:
    arr.flags.writeable = False
    return arr


def _per_rep(x: np.ndarray) -> np.ndarray:
    """``x`` of shape (..., n_reps) as (..., 1, n_reps), to broadcast against the
    kernel's period-major arrays (..., periods, n_reps); a scalar as (1, 1)."""
    return x[..., None, :] if x.ndim else x.reshape(1, 1)


#: the bits of the largest finite float64, as an unsigned integer (see _as_float_array)
_TOP_FINITE = np.float64(np.finfo(np.float64).max)


def _as_float_array(name: str, value: ArrayLike, most: float = math.inf) -> NDArray[np.float64]:
    """``value`` as float64, every entry finite, >= 0 and at most ``most``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be an array of numbers; {exc}") from None
    if arr.size == 0:
        return arr
    # one pass: read as unsigned integers, the bits of the floats from +0.0 up to a
    # finite top keep their order, and every negative number (its sign bit), NaN and
    # infinity lies above the top's bits; -0.0 too, which the slow check below passes
    top = np.float64(most) if math.isfinite(most) else _TOP_FINITE
    if arr.view(np.uint64).max() <= top.view(np.uint64):
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
    at = idx.tolist()
    if len(at) >= 2:
        step = at[1] - at[0]
        if step > 0 and at == list(range(at[0], n, step)):
            return slice(at[0], None, step)
    if len(at) == 1:
        return slice(at[0], at[0] + 1)
    return idx


def _cumulative_at(values: NDArray[np.float64], idx: ArrayLike) -> NDArray[np.float64]:
    """Sums of ``values`` (..., n_reps, n_periods) over the periods up to each of
    ``idx``, period-major: shape (..., len(idx), n_reps).

    A 0/1 matrix times each leading index's (periods, reps) block, one BLAS call a
    block: many times faster than ``np.cumsum`` along a short last axis, and only the
    evaluation periods are computed. Each block is its own product, so a trial's sums
    do not depend on the trials paid with it: chunking changes no digit.
    """
    n = values.shape[-1]
    upto = (np.arange(n)[None, :] <= np.asarray(idx)[:, None]).astype(np.float64)
    return np.matmul(upto, np.swapaxes(values, -1, -2))


class _Measures:
    """Cumulative units, quotas and attainments of a plan's measures, cached.

    Everything at evaluation periods is period-major, (..., n_eval, n_reps): each
    period's values are contiguous runs of reps, so the period-by-period steps
    (settling, totals) read whole rows.
    """

    #: the cached figures that depend on the quotas alone
    _QUOTA_KEYS = frozenset({"q", "Q", "ref", "share", "inv", "on"})

    def __init__(self, plan, shape, values, cancels, quota, ti, active, quota_cache=None):
        self.plan, self.shape, self.n = plan, shape, shape[-1]
        self.values, self.cancels = values, cancels
        self.ti = ti  # (..., n_reps)
        self.active = active
        if quota.ndim == 0 or quota.shape[-1] != self.n:  # one value for every period
            quota = np.broadcast_to(quota, quota.shape[:-1] + (self.n,))
        self._quota_base = quota  # bookings quota per period, its own (small) shape
        self._cache: dict[tuple, NDArray[np.float64]] = {}
        # shared by the blocks of rows of one payout when they share their quotas
        self._quota_cache = self._cache if quota_cache is None else quota_cache

    def _memo(self, key, make):
        cache = self._quota_cache if key[0] in self._QUOTA_KEYS else self._cache
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def quota_on(self) -> NDArray[np.float64]:
        """1.0 for each rep with a bookings quota over the year, else 0.0, broadcastable
        to the period-major arrays (..., periods, reps)."""

        def make():  # in the quotas' own shape: it fits every block of rows
            return _per_rep((self.annual_quota("bookings") > 0).astype(np.float64))

        return self._memo(("on",), make)

    def quota(self, name: str) -> NDArray[np.float64]:
        """Quota per period of measure ``name``, (..., n_reps, n_periods) or broadcastable."""

        def make():
            m = self.plan.measure(name)
            q = self._quota_base
            if m.quota_per_rep is not None:
                return np.where(q > 0, m.quota_per_rep / 12.0, 0.0)
            return q if m.quota_share == 1.0 else q * m.quota_share

        return self._memo(("q", name), make)

    def cum(self, name: str, idx) -> NDArray[np.float64]:
        """Year-to-date net units of ``name`` at the periods ``idx``, (..., len(idx), n_reps)."""
        idx = np.asarray(idx)

        def make():
            v = _cumulative_at(self.values[name], idx)
            if name in self.cancels:
                v = v - _cumulative_at(self.cancels[name], idx)
            return v

        return self._memo(("cum", name, tuple(idx.tolist())), make)

    def cum_to_end(self, name: str) -> NDArray[np.float64]:
        """Net units of ``name`` over all the periods, (..., n_reps): the last sum of
        the year-to-date sums already worked out when they reach the last period."""
        last = self.n - 1
        for key, value in self._cache.items():
            if key[0] == "cum" and key[1] == name and key[2] and key[2][-1] == last:
                return value[..., -1, :]
        return self.cum(name, [last])[..., 0, :]

    def annual_quota(self, name: str) -> NDArray[np.float64]:
        """Quota of ``name`` over the periods, (..., n_reps)."""
        return self._memo(("Q", name), lambda: self.quota(name).sum(axis=-1))

    def reference(self, name: str, period: str, idx) -> NDArray[np.float64]:
        """The quota attainment is measured against at the periods ``idx``, period-major."""
        if period == "year":
            return self._memo(("ref", name, "year"), lambda: _per_rep(self.annual_quota(name)))

        def make():
            ref = np.cumsum(self.quota(name), -1)[..., idx]
            return ref[:, None] if ref.ndim == 1 else np.ascontiguousarray(np.swapaxes(ref, -1, -2))

        return self._memo(("ref", name, period), make)

    def share(self, name: str, period: str, idx) -> NDArray[np.float64]:
        """Share of the annual quota due by the periods ``idx`` (1 for ``year``)."""
        if period == "year":
            return np.ones((1, 1))

        def make():
            ref = self.reference(name, period, idx)
            Q = _per_rep(self.annual_quota(name))
            out = np.zeros(np.broadcast_shapes(np.shape(Q), np.shape(ref)))
            return np.divide(ref, Q, out=out, where=Q > 0)

        return self._memo(("share", name, period), make)

    def attainment(self, name: str, period: str, idx, extra=None) -> NDArray[np.float64]:
        """Year-to-date attainment of ``name`` at ``idx`` (0 where the quota is 0)."""
        if extra is not None:
            return (self.cum(name, idx) + extra) * self._inverse(name, period, idx)
        key = ("att", name, period, tuple(np.asarray(idx).tolist()))
        return self._memo(key, lambda: self.cum(name, idx) * self._inverse(name, period, idx))

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
        return np.diff(c, axis=-2, prepend=0.0)


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


def _marginal_units(
    c: Component, credited: NDArray[np.float64], reached: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """A marginal rate table's units at credited attainment, as a sum of hinges.

    With band starts :math:`s_j` and rates :math:`r_j` (:math:`s_1 = 0`), the table is
    :math:`u(a) = r_1 a + \\sum_{j \\ge 2} (r_j - r_{j-1}) \\max(a - s_j, 0)`: the same
    function as interpolating between the band edges, exact for every attainment up
    to the last band's end (validation makes the attainment cap stop it there), in a
    few whole-array steps. With ``reached`` (an accelerator gate, one bool per cell),
    the bands from 1.0 up pay their own rates where it is True and the gate's closed
    rate (:meth:`~spm_sim.comp.Component.ungated_tiers`) elsewhere. A new array.
    """
    tiers = c.tiers
    gated = len(tiers)  # the first band an accelerator gate holds back
    if reached is not None:
        gated = next(j for j, t in enumerate(tiers) if t.start >= 1.0)
    always = [
        (tiers[j].start, tiers[j].rate - tiers[j - 1].rate)
        for j in range(1, gated)
        if tiers[j].rate != tiers[j - 1].rate
    ]
    gate_terms: list[tuple[float, float]] = []
    if reached is not None:
        # what every band from 1.0 pays when the gate is closed (Component.ungated_tiers)
        closed = tiers[gated - 1].rate
        if c.gate is not None and c.gate.closed_rate is not None:
            closed = c.gate.closed_rate
        if closed != tiers[gated - 1].rate:
            always.append((tiers[gated].start, closed - tiers[gated - 1].rate))
        for j in range(gated, len(tiers)):  # what the gate adds when it is met
            below = closed if j == gated else tiers[j - 1].rate
            if tiers[j].rate != below:
                gate_terms.append((tiers[j].start, tiers[j].rate - below))
    units = _hinge_sum(credited, always)
    first = tiers[0].rate
    if units is None:
        units = np.multiply(credited, first)
    elif first == 1.0:
        units += credited
    elif first:
        units += credited * first
    opened = _hinge_sum(credited, gate_terms)
    if opened is not None and reached is not None:
        opened *= reached
        units += opened
    return units


def _hinge_sum(
    credited: NDArray[np.float64], terms: list[tuple[float, float]]
) -> NDArray[np.float64] | None:
    r""":math:`\sum \delta \max(a - s, 0)` over the ``terms`` (s, delta): a new array,
    or None without terms."""
    out: NDArray[np.float64] | None = None
    spare: NDArray[np.float64] | None = None
    for start, delta in terms:
        if out is None:
            hinge = out = np.subtract(credited, start)
        else:
            spare = np.empty_like(out) if spare is None else spare
            hinge = np.subtract(credited, start, out=spare)
        np.maximum(hinge, 0.0, out=hinge)
        if delta != 1.0:
            np.multiply(hinge, delta, out=hinge)
        if hinge is not out:
            out += hinge
    return out


def _commission_earned(
    c: Component, ms: _Measures, idx, attainment: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Earned to date at the evaluation periods, given the component's attainment
    (period-major, (..., len(idx), n_reps)); a new array."""
    credited = attainment
    if c.attainment_cap is not None:
        credited = np.minimum(credited, c.attainment_cap)
    target = c.weight * _per_rep(ms.ti) * ms.share(c.measure, c.period, idx)
    scale = target if c.rate_basis == "tcr" else ms.reference(c.measure, c.period, idx)
    gate = c.gate
    reached = None
    if gate is not None:
        reached = ms.attainment(gate.measure, c.period, idx) >= (
            gate.min_attainment - _THRESHOLD_TOL
        )
    on_accelerators = gate is not None and gate.applies_to == "accelerators"
    if c.curve is None and c.tier_method == "marginal":
        money = _marginal_units(c, credited, reached if on_accelerators else None)
    else:
        money = _table_units(c, credited, c.tiers)  # a new array: the steps below work in place
        if on_accelerators and reached is not None and not reached.all():
            # the ungated table, only where the gate is closed
            closed = np.broadcast_to(~reached, money.shape)
            below = np.broadcast_to(credited, money.shape)[closed]
            money[closed] = _table_units(c, below, c.ungated_tiers())
    money *= scale
    if reached is not None and not on_accelerators:
        money *= reached
    if c.threshold > 0:
        money *= attainment >= c.threshold - _THRESHOLD_TOL
    if c.multiplier is not None:
        levels = [(lv.attainment, lv.factor) for lv in c.multiplier.levels]
        money *= _step(levels, ms.attainment(c.multiplier.measure, c.period, idx))
    if c.payout_cap is not None:
        np.minimum(money, c.payout_cap * target, out=money)
    return money


def _bonus_earned(b: Bonus, ms: _Measures, idx, attainment) -> NDArray[np.float64]:
    ti = _per_rep(ms.ti)
    money = np.zeros(np.broadcast_shapes(attainment.shape, ti.shape))
    for m in b.milestones:
        amount = m.amount if m.amount is not None else (m.share_of_ti or 0.0) * ti
        money = money + np.where(attainment >= m.attainment - _THRESHOLD_TOL, amount, 0.0)
    return money


def _settle(
    earned: NDArray[np.float64], earned_before_cancel: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Payments at the evaluation periods (axis -2): cumulative true-up, never below zero.

    Without cancellations, the paid-to-date is the running maximum of earnings to
    date, so a bad period pays nothing and is made up later; ``earned`` is turned
    into the payments in place. With cancellations, ``L_k`` (what this period's
    cancellations took off the earnings) is clawed back: ``P_k = max(E_k, P_{k-1} -
    L_k)``, the commission paid is ``P_k - P_{k-1} + L_k`` (``max(E'_k - P_{k-1},
    0)`` when ``E'_k >= E_k``) and the clawback ``-L_k``, with ``L_k = max(E'_k -
    E_k, 0)`` and ``E'_k`` the earnings as if the cancellations had not happened.
    """
    n = earned.shape[-2]
    if earned_before_cancel is None:
        if n == 0:
            return earned, None
        pay = earned
        np.maximum(pay[..., 0, :], 0.0, out=pay[..., 0, :])
        for k in range(1, n):  # paid to date: the running maximum
            np.maximum(pay[..., k, :], pay[..., k - 1, :], out=pay[..., k, :])
        for k in range(n - 1, 0, -1):  # each period pays what is new
            np.subtract(pay[..., k, :], pay[..., k - 1, :], out=pay[..., k, :])
        return pay, None
    pay = np.empty_like(earned)
    claw = np.empty_like(earned)
    prev = np.zeros(earned.shape[:-2] + earned.shape[-1:])
    for k in range(n):
        lost = np.maximum(earned_before_cancel[..., k, :] - earned[..., k, :], 0.0)
        now = np.maximum(earned[..., k, :], prev - lost)
        # what the period pays in all is now - prev; the clawback shows -lost and the
        # commission the rest (a retroactive decelerator can earn more after a
        # cancellation: then lost is 0 and the commission pays the difference)
        claw[..., k, :] = -lost
        pay[..., k, :] = now - prev + lost
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
    """Draw adjustment per period (>= 0 top-up, < 0 recovery) and the balance owed.

    ``payments`` are the components' payments, period-major (..., n_periods, n_reps);
    so is the adjustment returned.
    """
    n = payments.shape[-2]
    months = np.zeros(n)
    for m in draw.months or range(1, 13):
        if m <= n:
            months[m - 1] = 1.0
    if draw.amount is not None:
        monthly: Any = draw.amount
    else:  # the TI as passed (prorated for a mid-year hire) over the months employed
        worked = np.full(ti.shape, float(n)) if active is None else active.sum(axis=-1)
        monthly = (draw.share_of_ti or 0.0) * _per_rep(
            np.divide(
                ti,
                worked,
                out=np.zeros(np.broadcast_shapes(ti.shape, worked.shape)),
                where=worked > 0,
            )
        )
    due = monthly * months[:, None]
    if active is not None:
        due = due * np.swapaxes(active, -1, -2)
    due = np.broadcast_to(due, payments.shape)
    adjust = np.empty_like(payments)
    balance = np.zeros(payments.shape[:-2] + payments.shape[-1:])
    for p in range(n):
        earned, d = payments[..., p, :], due[..., p, :]
        short = np.where(d > 0, np.maximum(d - earned, 0.0), 0.0)
        if draw.recoverable:
            recover = np.minimum(np.maximum(earned - d, 0.0), balance)
            balance = balance + short - recover
            adjust[..., p, :] = short - recover
        else:
            adjust[..., p, :] = short
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


@overload
def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    *,
    measures: Mapping[str, ArrayLike] | None = ...,
    cancellations: Mapping[str, ArrayLike] | None = ...,
    active: ArrayLike | None = ...,
    detail: Literal["monthly"] = ...,
) -> Payout: ...


@overload
def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    *,
    measures: Mapping[str, ArrayLike] | None = ...,
    cancellations: Mapping[str, ArrayLike] | None = ...,
    active: ArrayLike | None = ...,
    detail: Literal["annual"],
) -> AnnualPayout: ...


@overload
def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    *,
    measures: Mapping[str, ArrayLike] | None = ...,
    cancellations: Mapping[str, ArrayLike] | None = ...,
    active: ArrayLike | None = ...,
    detail: str,
) -> Payout | AnnualPayout: ...


def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    *,
    measures: Mapping[str, ArrayLike] | None = None,
    cancellations: Mapping[str, ArrayLike] | None = None,
    active: ArrayLike | None = None,
    detail: str = "monthly",
) -> Payout | AnnualPayout:
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
    detail : {"monthly", "annual"}, default "monthly"
        ``"monthly"``: every payment by period (``by_component``). ``"annual"``: only
        the totals a simulation keeps, ``annual_by_component`` (per rep and column)
        and ``company_by_period`` (all reps per period), equal to the last bit to the
        monthly path's and computed without writing the dense monthly array
        (``by_component`` is None and ``by_period`` not available).

    Returns
    -------
    Payout
        ``by_component`` has shape ``(..., n_reps, n_periods, n_columns)``, where
        ``...`` is the broadcast of the inputs' leading axes (None with
        ``detail="annual"``).

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

    The same totals without the payments of each period:

    >>> a = payout(plan, [[100, 100, 150, 150]], [[100, 100, 100, 100]], [40],
    ...            detail="annual")
    >>> round_money(a.annual_by_component), round_money(a.company_by_period)
    (array([[60.]]), array([ 0., 20., 15., 25.]))
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(map(repr, DETAILS))}; got {detail!r}")
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
    columns = payout_columns(plan)
    n_columns, lead, n = len(columns), shape[:-2], shape[-1]
    annual_bookings, annual_quota = np.empty(shape[:-1]), np.empty(shape[:-1])
    balance = np.empty(shape[:-1]) if plan.draw is not None and plan.draw.recoverable else None
    if detail == "annual":
        annual, company = np.empty(shape[:-1] + (n_columns,)), np.empty(lead + (n,))
    else:
        buf = np.zeros(lead + (n_columns, n, shape[-2]))
    blocks = _row_blocks(shape)
    # the quotas' own figures, worked out once for all blocks when they share the quotas
    split = len(blocks) > 1 and q.ndim == len(shape) and q.shape[0] != 1
    quota_cache: dict[tuple, Any] | None = None if split else {}
    for rows in blocks:
        sub = _Rows(shape, rows)
        paid = _pay_rows(
            plan,
            sub.shape,
            {k: sub(v) for k, v in values.items()},
            {k: sub(v) for k, v in cancels.items()},
            sub(q),
            sub(ti, reps_last=True),
            sub(act),
            quota_cache,
        )
        if not _payments_in_range([p for _, _, p in paid.parts] + paid.dense):
            # the rare failure: build the monthly array to name the rep, column and period
            _check_payments(
                plan,
                _monthly_array(paid.parts, paid.dense, sub.shape, n_columns),
                columns,
                sub(values["bookings"]),
                sub(q),
                sub(ti, reps_last=True),
                first=sub.first,
            )
        annual_bookings[rows], annual_quota[rows] = paid.annual_bookings, paid.annual_quota
        if balance is not None:
            balance[rows] = paid.balance
        if detail == "annual":
            annual[rows] = _annual_totals(paid.parts, paid.dense, sub.shape, n_columns)
            company[rows] = _company_by_period(paid.parts, paid.dense, sub.shape)
        else:
            _fill(buf[rows], paid.parts, paid.dense)
    for arr in (annual_bookings, annual_quota, balance):
        if arr is not None:
            arr.flags.writeable = False
    if detail == "annual":
        return AnnualPayout(
            annual_by_component=_read_only(annual),
            company_by_period=_read_only(company),
            components=columns,
            annual_bookings=annual_bookings,
            annual_quota=annual_quota,
            draw_balance=balance,
        )
    buf.flags.writeable = False
    return Payout(
        by_component=_by_component(buf),
        components=columns,
        annual_bookings=annual_bookings,
        annual_quota=annual_quota,
        draw_balance=balance,
    )


#: About how many (trial, rep, period) cells :func:`payout` works on at once: the
#: leading axis is paid in blocks of that size, so that the arrays of a block stay in
#: the processor's cache whatever the caller's chunk (each trial's payments do not
#: depend on the trials paid with it, so the blocks change no digit).
_BLOCK_CELLS = 2**18


def _row_blocks(shape: tuple[int, ...]) -> list[slice]:
    """Slices of the leading axis of ``shape`` of about :data:`_BLOCK_CELLS` cells
    each; one slice of everything without a leading axis."""
    if len(shape) < 3 or shape[0] == 0:
        return [slice(None)]
    per_row = max(1, math.prod(shape[1:]))
    blocks = -(-shape[0] // max(1, _BLOCK_CELLS // per_row))
    rows = -(-shape[0] // blocks)  # blocks of (nearly) equal size
    return [slice(i, min(i + rows, shape[0])) for i in range(0, shape[0], rows)]


class _Rows:
    """One block of rows of the leading axis, and the inputs' parts of it."""

    def __init__(self, shape: tuple[int, ...], rows: slice) -> None:
        self.rows, self.full = rows, shape
        self.first = 0 if rows.start is None else rows.start
        self.shape = shape if rows.start is None else (rows.stop - rows.start, *shape[1:])

    def __call__(self, x: Any, *, reps_last: bool = False) -> Any:
        """``x``'s part of the block (``x`` broadcastable to the full shape, or to it
        without its periods axis with ``reps_last``); ``x`` when it has no leading
        axis of its own or does not split."""
        ndim = len(self.full) - (1 if reps_last else 0)
        if x is None or self.rows.start is None or x.ndim != ndim or x.shape[0] == 1:
            return x
        return x[self.rows]


@dataclass
class _Paid:
    """What :func:`_pay_rows` paid a block of rows."""

    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]]
    dense: list[NDArray[np.float64]]
    balance: NDArray[np.float64] | None
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]


def _pay_rows(
    plan: Plan,
    shape: tuple[int, ...],
    values: dict[str, NDArray[np.float64]],
    cancels: dict[str, NDArray[np.float64]],
    q: NDArray[np.float64],
    ti: NDArray[np.float64],
    act: NDArray[np.float64] | None,
    quota_cache: dict[tuple, Any] | None = None,
) -> _Paid:
    """Pay checked inputs of ``shape`` (every input broadcastable to it);
    ``quota_cache`` keeps what depends on the quotas alone for the next block."""
    ms = _Measures(plan, shape, values, cancels, q, ti, act, quota_cache)
    annual_quota = np.broadcast_to(ms.annual_quota("bookings"), shape[:-1])
    has_quota = annual_quota > 0
    n = shape[-1]
    # each component's payments, period-major: (column, months, (..., len(months), reps))
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]] = []
    claw = None  # the clawback column, (..., periods, reps)
    for j, c in enumerate(plan.components):
        period = getattr(c, "period", "year")
        idx = period_ends(period, n) if isinstance(c, MBO) else evaluation_periods(period, n)
        if isinstance(c, (Component, Bonus)):
            earn: Callable[..., np.ndarray] = (
                _commission_earned if isinstance(c, Component) else _bonus_earned
            )
            earned = earn(c, ms, idx, ms.attainment(c.measure, period, idx))
            extra = ms.cancelled_since_last(c.measure, idx)
            before = None
            if extra is not None:
                before = earn(c, ms, idx, ms.attainment(c.measure, period, idx, extra))
            pay, clawed = _settle(earned, before)
            parts.append((j, idx, pay))
            if clawed is not None:
                if claw is None:
                    claw = np.zeros(shape[:-2] + (n, shape[-2]))
                claw[..., _as_slice(idx, n), :] += clawed
        elif isinstance(c, MBO):
            parts.append((j, idx, _mbo_pay(c, ms, idx)))
        elif isinstance(c, Spiff):
            months = np.arange(c.start_month - 1, min(c.end_month, n), dtype=np.intp)
            units = values[c.measure][..., c.start_month - 1 : min(c.end_month, n)]
            parts.append((j, months, np.multiply(np.swapaxes(units, -1, -2), c.rate, order="C")))
        elif isinstance(c, Contest) and c.end_month <= n:
            window = slice(c.start_month - 1, c.end_month)
            totals = values[c.measure][..., window].sum(axis=-1)
            totals = np.where(has_quota, totals, 0.0)
            prizes = _contest_prizes(c, totals)[..., None, :]
            parts.append((j, np.array([c.end_month - 1], dtype=np.intp), prizes))
    if not has_quota.all():
        # a rate table pays 0 at attainment 0 (the attainment of a rep without quota),
        # and a bonus pays no milestone there: only the others need zeroing
        paid_anyway = [
            paid for j, _, paid in parts if not _nothing_without_quota(plan.components[j])
        ]
        _pay_no_quota(paid_anyway + ([claw] if claw is not None else []), ms)
    adjust = balance = None
    if plan.draw is not None:
        # the draw guarantees the month's earnings; a clawback is taken on top of it
        earned = _by_period_major(parts, shape)
        adjust, balance = _apply_draw(plan.draw, earned, ti, act)
        adjust *= _per_rep(has_quota)
        if balance is not None:
            balance = balance * has_quota
    dense = [d for d in (claw, adjust) if d is not None]  # the last columns, in order
    annual_bookings = ms.cum_to_end("bookings") if n else np.zeros(shape[:-1])
    return _Paid(parts, dense, balance, annual_bookings, annual_quota)


def _nothing_without_quota(c: Any) -> bool:
    """Whether ``c`` pays exactly 0 to a rep whose bookings quota is 0 (attainment 0
    on every measure, component TI 0 or rate-table units 0): a commission on tiers,
    or a bonus (every milestone lies above 0). A pay curve may pay at 0 attainment."""
    return isinstance(c, Bonus) or (isinstance(c, Component) and c.curve is None)


def _pay_no_quota(arrays: list[NDArray[np.float64]], ms: _Measures) -> None:
    """Pay a rep without a bookings quota nothing: each (period-major) array of
    payments multiplied in place by 1 or 0 per rep."""
    on = ms.quota_on()
    for arr in arrays:
        arr *= on


def _by_component(buf: NDArray[np.float64]) -> NDArray[np.float64]:
    """The (..., reps, periods, columns) view of a (..., columns, periods, reps) array."""
    lead = buf.ndim - 3
    return np.transpose(buf, (*range(lead), lead + 2, lead + 1, lead))


def _fill(
    buf: NDArray[np.float64],
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]],
    dense: list[NDArray[np.float64]],
) -> None:
    """Write the payments into ``buf`` (..., columns, periods, reps), zero elsewhere:
    each component's payments as whole rows of reps."""
    n_columns, n = buf.shape[-3], buf.shape[-2]
    for j, months, paid in parts:
        buf[..., j, _as_slice(months, n), :] = paid
    for k, column in enumerate(dense):
        buf[..., n_columns - len(dense) + k, :, :] = column


def _monthly_array(
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]],
    dense: list[NDArray[np.float64]],
    shape: tuple[int, ...],
    n_columns: int,
) -> NDArray[np.float64]:
    """The payments by period, (..., reps, periods, columns), as a view of an array
    laid out (..., columns, periods, reps)."""
    buf = np.zeros(shape[:-2] + (n_columns, shape[-1], shape[-2]))
    _fill(buf, parts, dense)
    return _by_component(buf)


def _by_period_major(
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]], shape: tuple[int, ...]
) -> NDArray[np.float64]:
    """The components' payments added per period and rep, (..., periods, reps): from
    +0.0, column after column."""
    n = shape[-1]
    out = np.zeros(shape[:-2] + (n, shape[-2]))
    for _, months, paid in parts:
        out[..., _as_slice(months, n), :] += paid
    return out


def _annual_totals(
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]],
    dense: list[NDArray[np.float64]],
    shape: tuple[int, ...],
    n_columns: int,
) -> NDArray[np.float64]:
    """Year total per rep and column, (..., reps, columns): the periods added in
    order from +0.0 (:func:`_add_along`), as the monthly array adds them (its other
    periods hold 0.0, which changes no sum)."""
    out = np.zeros(shape[:-1] + (n_columns,))
    for j, _, paid in parts:
        out[..., j] = _add_along(paid, -2)
    for k, column in enumerate(dense):
        out[..., n_columns - len(dense) + k] = _add_along(column, -2)
    return out


def _company_by_period(
    parts: list[tuple[int, NDArray[np.intp], NDArray[np.float64]]],
    dense: list[NDArray[np.float64]],
    shape: tuple[int, ...],
) -> NDArray[np.float64]:
    """All reps' payments per period, (..., periods), as :attr:`Payout.company_by_period`
    adds them, computed on the months anything is paid in only.

    Per rep and month the columns are added in column order from +0.0, as
    :attr:`Payout.by_period` adds them; then each month's reps, contiguous in
    memory, pairwise (numpy's sum along a contiguous axis, row by row: a row's sum
    depends on that row alone). The first column's payments are added to in place:
    call it last.
    """
    n, n_reps = shape[-1], shape[-2]
    paid_in = sorted({int(m) for _, months, _ in parts for m in months})
    if dense:
        paid_in = list(range(n))
    out = np.zeros(shape[:-2] + (n,))
    if not paid_in:
        return out
    first = parts[0] if parts else None
    if first is not None and not dense and first[2].shape[-2] == len(paid_in):
        # the first column pays in every month anything is paid in: the others are
        # added to it (0.0 + x is x: the same sums as from +0.0), in place, since
        # nothing reads the payments after this
        per_rep = first[2]
        rest = parts[1:]
    else:
        per_rep = np.zeros(shape[:-2] + (len(paid_in), n_reps))
        rest = parts
    where = {m: k for k, m in enumerate(paid_in)}
    for _, months, paid in rest:
        at = np.asarray([where[int(m)] for m in months], dtype=np.intp)
        per_rep[..., _as_slice(at, len(paid_in)), :] += paid
    for column in dense:
        per_rep += column
    out[..., paid_in] = per_rep.sum(axis=-1)
    return out


def _payments_in_range(arrays: list[NDArray[np.float64]]) -> bool:
    """Whether every payment is finite and within :data:`MAX_PAYMENT` either way."""
    top = np.float64(MAX_PAYMENT).view(np.uint64)
    for arr in arrays:
        if not arr.size or arr.view(np.uint64).max() <= top:
            continue  # one pass: all in [+0, MAX_PAYMENT] (see _as_float_array)
        if not (arr.min() >= -MAX_PAYMENT and arr.max() <= MAX_PAYMENT):
            return False  # NaN makes both NaN, and NaN fails the test
    return True


def _check_payments(
    plan: Plan,
    by_component: NDArray[np.float64],
    columns: tuple[str, ...],
    bookings: NDArray[np.float64],
    quotas: NDArray[np.float64],
    target_incentive: NDArray[np.float64],
    *,
    first: int = 0,
) -> None:
    """Refuse a payment that is not finite or beyond :data:`MAX_PAYMENT`: the last
    line of defence, so that no NaN, infinity or meaningless amount reaches a payroll.

    ``by_component`` is the ``(..., reps, periods, columns)`` array (of the block of
    rows starting at ``first`` of the leading axis); the message names the first bad
    payment (by rep, then column, then period) and the rep's year of bookings, quota
    and target incentive, whichever is off.
    """
    buf = np.moveaxis(by_component, -1, -2)  # (..., reps, columns, periods)
    if buf.size == 0:
        return
    bad = ~(np.isfinite(buf) & (np.abs(buf) <= MAX_PAYMENT))
    if not bad.any():
        return
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    rep, column, period = at[:-2], at[-2], at[-1]
    b_year = np.broadcast_to(bookings, buf.shape[:-2] + (buf.shape[-1],))[rep].sum()
    q_year = np.broadcast_to(quotas, buf.shape[:-2] + (buf.shape[-1],))[rep].sum()
    ti = np.broadcast_to(target_incentive, buf.shape[:-2])[rep]
    if len(rep) > 1:  # the index in the whole input, not in its block
        rep = (rep[0] + first, *rep[1:])
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
    """MBO payments at its period ends: weight x TI x period share x level payout,
    period-major (..., len(idx), n_reps)."""
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
    pay = c.weight * ms.ti[..., None] * share * factor  # (..., n_reps, len(idx))
    return np.ascontiguousarray(np.swapaxes(pay, -1, -2))


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
