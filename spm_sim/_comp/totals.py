"""What a payout returns: the payments of each period, or only the year's totals.

:class:`Payout` holds every payment by rep, period and column (``payout(...,
detail="monthly")``); :class:`AnnualPayout` only the totals a simulation keeps
(``detail="annual"``), added up from each component's payments at the months it pays
in without writing the dense monthly array. Every total adds its terms in one fixed
order (see :class:`Payout`), so the two agree to the last bit. A private module of
:mod:`spm_sim.comp`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .earnings import _as_slice

__all__ = ["DETAILS", "Payout", "AnnualPayout", "round_money"]


#: What :func:`~spm_sim.comp.payout` can return: every payment by period (``"monthly"``, a
#: :class:`Payout`), or only the totals a simulation keeps (``"annual"``, an
#: :class:`AnnualPayout`: per rep and column, and the company per period).
DETAILS = ("monthly", "annual")


class _YearTotals:
    """What both payouts derive from their year totals: :attr:`total` and
    :attr:`attainment` (one definition, so the two cannot drift apart)."""

    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]

    if TYPE_CHECKING:  # a property of Payout, a field of AnnualPayout

        @property
        def annual_by_component(self) -> NDArray[np.float64]: ...

    @property
    def total(self) -> NDArray[np.float64]:
        """Year total, shape ``(..., n_reps)``: the columns added in order."""
        return _add_along(self.annual_by_component, -1)

    @property
    def attainment(self) -> NDArray[np.float64]:
        """Annual bookings / annual quota, shape ``(..., n_reps)``; NaN where quota is 0."""
        return _attainment(self.annual_bookings, self.annual_quota)


@dataclass(frozen=True, eq=False)
class Payout(_YearTotals):
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


@dataclass(frozen=True, eq=False)
class AnnualPayout(_YearTotals):
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


#: One component's payments in a block: its column, the months it pays in, and its
#: payments at those months, period-major (..., len(months), reps).
Part = tuple[int, NDArray[np.intp], NDArray[np.float64]]


def _columns(
    parts: list[Part], dense: list[NDArray[np.float64]], n_columns: int, n: int
) -> Iterator[tuple[int, slice | NDArray[np.intp], NDArray[np.float64]]]:
    """Each column's payments with the periods (of ``n``) they fall in: the
    components' at the months they pay in, then the ``dense`` columns (clawback,
    draw: every period) as the last columns, the order of
    :func:`~spm_sim.comp.payout_columns`. The one place that lays out the columns,
    for the monthly array and the annual totals alike."""
    for j, months, paid in parts:
        yield j, _as_slice(months, n), paid
    for k, column in enumerate(dense):
        yield n_columns - len(dense) + k, slice(None), column


def _by_component(buf: NDArray[np.float64]) -> NDArray[np.float64]:
    """The (..., reps, periods, columns) view of a (..., columns, periods, reps) array."""
    lead = buf.ndim - 3
    return np.transpose(buf, (*range(lead), lead + 2, lead + 1, lead))


def _fill(
    buf: NDArray[np.float64],
    parts: list[Part],
    dense: list[NDArray[np.float64]],
) -> None:
    """Write the payments into ``buf`` (..., columns, periods, reps), zero elsewhere:
    each component's payments as whole rows of reps."""
    for j, at, paid in _columns(parts, dense, buf.shape[-3], buf.shape[-2]):
        buf[..., j, at, :] = paid


def _monthly_array(
    parts: list[Part],
    dense: list[NDArray[np.float64]],
    shape: tuple[int, ...],
    n_columns: int,
) -> NDArray[np.float64]:
    """The payments by period, (..., reps, periods, columns), as a view of an array
    laid out (..., columns, periods, reps)."""
    buf = np.zeros(shape[:-2] + (n_columns, shape[-1], shape[-2]))
    _fill(buf, parts, dense)
    return _by_component(buf)


def _by_period_major(parts: list[Part], shape: tuple[int, ...]) -> NDArray[np.float64]:
    """The components' payments added per period and rep, (..., periods, reps): from
    +0.0, column after column."""
    n = shape[-1]
    out = np.zeros(shape[:-2] + (n, shape[-2]))
    for _, months, paid in parts:
        out[..., _as_slice(months, n), :] += paid
    return out


def _annual_totals(
    parts: list[Part],
    dense: list[NDArray[np.float64]],
    shape: tuple[int, ...],
    n_columns: int,
) -> NDArray[np.float64]:
    """Year total per rep and column, (..., reps, columns): the periods added in
    order from +0.0 (:func:`_add_along`), as the monthly array adds them (its other
    periods hold 0.0, which changes no sum)."""
    out = np.zeros(shape[:-1] + (n_columns,))
    for j, _, paid in _columns(parts, dense, n_columns, shape[-1]):
        out[..., j] = _add_along(paid, -2)
    return out


def _company_by_period(
    parts: list[Part],
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
