"""The payout kernel: what a plan pays, vectorised over trials, reps and periods.

:func:`payout` turns credited bookings into money for any number of trials, reps
and periods at once. A private module of :mod:`spm_sim.comp`, the entry point of
the kernel: it checks the inputs, pays the leading axis in blocks and, per block,
dispatches each component of the plan to what it earns (``_comp/earnings.py``), then
writes the monthly array or adds up the annual totals (``_comp/totals.py``: the
:class:`~spm_sim.comp.Payout` and :class:`~spm_sim.comp.AnnualPayout` it returns).
:func:`~spm_sim.comp.payout_curve` and :func:`~spm_sim.comp.plan_metrics`
(``_comp/curve.py``) give the same rule over attainment; the plan specs live in
``_comp/components.py`` and ``_comp/plan.py``.

Conventions
-----------
* Attainment is a fraction: ``1.0`` is 100% of quota.
* Arrays are batch-first, ``(..., n_reps, n_periods[, n_components])``; the kernel
  broadcasts over any leading axes (trials, scenarios).
* Money stays float64 inside arrays. Amounts shown to people go through
  :func:`~spm_sim.comp.round_money`.

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
:class:`~spm_sim.comp.Payout`), so the two agree to the last bit, and a trial's
payments do not depend on the trials paid with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .components import MAX_MONEY, MBO, Bonus, Component, Contest, Spiff
from .earnings import (
    _apply_draw,
    _as_slice,
    _bonus_earned,
    _commission_earned,
    _contest_prizes,
    _mbo_pay,
    _Measures,
    _per_rep,
    _settle,
    evaluation_periods,
    period_ends,
)
from .plan import Plan, standard_plan  # noqa: F401 (doctests)
from .totals import (
    DETAILS,
    AnnualPayout,
    Part,
    Payout,
    _annual_totals,
    _by_component,
    _by_period_major,
    _company_by_period,
    _fill,
    _monthly_array,
    _read_only,
    round_money,  # noqa: F401 (doctests)
)

__all__ = ["payout", "payout_columns"]


#: The most a rep's bookings, quota or units of a measure may be in one period. Above
#: about 9e13 a float64 no longer holds every cent of an amount; no sales team comes
#: near either.
MAX_PERIOD_UNITS = 1e13


#: The most one payment (a column, a rep, a period) may be, for the same reason. The
#: kernel refuses to return a larger or non-finite payment (see :func:`payout`). It is
#: above the largest TI (:data:`MAX_MONEY`, 1e12) so a year's TI paid in one month
#: passes; a plan paying many times a TI near that bound (a cap of 10x or more) is
#: refused here with the rep's TI named. The payroll holds each line to 1e12
#: (``_actuals/payroll.py``, ``MAX_AMOUNT``), within this bound, so that a year of
#: such lines (1.2e13 to date) still adds up to the cent.
MAX_PAYMENT = 1e13


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

    parts: list[Part]
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
    parts: list[Part] = []
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
