"""What each part of a plan earns, at its evaluation periods, period-major.

The measures to date (:class:`_Measures`: cumulative units, quotas and attainments,
cached), the rate tables (marginal, retroactive, curves), thresholds, caps, gates and
multipliers of a commission, bonus milestones, MBO payouts, contest prizes, the
cumulative true-up that turns earnings to date into payments (:func:`_settle`) and
draws. A private module of :mod:`spm_sim.comp`, used by ``_comp/kernel.py``
(:func:`~spm_sim.comp.payout`). Every array here is period-major, ``(...,
periods, reps)``: each period's reps are one contiguous row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .components import MBO, Bonus, Component, Contest, Draw

__all__ = ["period_ends", "evaluation_periods"]


#: Attainment within this distance below a threshold counts as reaching it, so that
#: a cumulative sum of cents that lands on the threshold is not missed by float
#: rounding (1e-9 of a $1M quota is a tenth of a cent).
_THRESHOLD_TOL = 1e-9


def _per_rep(x: np.ndarray) -> np.ndarray:
    """``x`` of shape (..., n_reps) as (..., 1, n_reps), to broadcast against the
    kernel's period-major arrays (..., periods, n_reps); a scalar as (1, 1)."""
    return x[..., None, :] if x.ndim else x.reshape(1, 1)


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
