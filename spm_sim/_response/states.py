"""Where a rep stands against the plan at the start of a month: the states the
estimator reads its effects from, and the synthetic book generates them with.

One function, :func:`month_states`, computes every state of month ``m`` for a
vector of reps from their bookings before the month, so the estimator (on a book's
real bookings) and :mod:`.synthetic` (on the bookings it draws month by month) use
the same definitions. The plan enters through :class:`PlanShape`: its payout curve
per unit of target incentive over annual attainment, the curve smoothed by the
uncertainty of the rest of the year (as the month loop smooths it,
``docs/model.md`` section 7.5), the edges worth reaching (threshold, accelerator
starts) and where pay stops rising (the cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from spm_sim.comp import Plan, payout_curve

__all__ = [
    "PlanShape",
    "plan_shape",
    "month_states",
    "STATE_NAMES",
    "S_LOW",
    "S_HIGH",
    "ZERO_PAY",
]

_STEP = 0.01
_TOP = 6.0
_WIDTHS = np.geomspace(0.01, 1.5, 24)
#: marginal pay (x TCR) below which a rep-month counts as "nothing more to earn"
ZERO_PAY = 0.05
#: marginal pay is read in [S_LOW, S_HIGH] by the effort term (log of it)
S_LOW, S_HIGH = 0.05, 4.0
#: a rep is near the cap from this far (attainment) below the point where pay stops rising
CAP_BAND = 0.1
#: the 0/1 states, in the order the estimator's columns use
STATE_NAMES = ("give_up", "near_cap", "post_quota", "bunch", "dip")


@dataclass(frozen=True)
class PlanShape:
    """A plan's payout over annual attainment, as a rep reads it.

    Attributes
    ----------
    name : str
        The plan's name ("quota only" without a plan).
    grid : ndarray
        Attainment from 0 to 6 in steps of 0.01.
    slopes : ndarray, shape (24, grid)
        Slope of the curve (x TCR) smoothed by a normal of each width of
        ``_WIDTHS``; None without a plan (marginal pay is not known).
    edges : tuple of float
        Attainments worth reaching: the first paying point (threshold) and each
        point where the slope rises (accelerators). Without a plan: quota (1.0).
    first_pay : float
        Where pay starts (the threshold; 1.0, quota, without a plan).
    cap_point : float or None
        Where pay stops rising (an attainment or payout cap); None if it never does
        below 6x quota.
    settlements : tuple of int
        Months (1-12) at whose end pay is settled: December, quarter ends for
        quarterly components, every month for monthly ones.
    """

    name: str
    grid: np.ndarray
    slopes: np.ndarray | None
    edges: tuple[float, ...]
    first_pay: float
    cap_point: float | None
    settlements: tuple[int, ...]

    @property
    def has_plan(self) -> bool:
        return self.slopes is not None


def _smoothed_slopes(curve: np.ndarray) -> np.ndarray:
    pad = int(np.ceil(4 * _WIDTHS[-1] / _STEP)) + 2
    top = (curve[-1] - curve[-2]) / _STEP
    ext = np.concatenate(
        [np.full(pad, curve[0]), curve, curve[-1] + top * _STEP * np.arange(1, pad + 1)]
    )
    out = np.empty((len(_WIDTHS), curve.size))
    for k, w in enumerate(_WIDTHS):
        smooth = gaussian_filter1d(ext, w / _STEP, mode="nearest", truncate=4.0)
        out[k] = np.gradient(smooth, _STEP)[pad : pad + curve.size]
    return out


def plan_shape(plan: Plan | None, *, quota_per_ti: float = 1.0) -> PlanShape:
    """The payout curve's shape of ``plan`` (or of "quota only" when None).

    Parameters
    ----------
    plan : Plan or None
    quota_per_ti : float, default 1.0
        Quota / target incentive, for components paid as a share of bookings
        (``rate_basis: bookings``); the curve is read per unit of TI at this ratio.

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> s = plan_shape(standard_plan(threshold=0.5, accelerator=2.0, attainment_cap=3.0))
    >>> s.edges, s.first_pay, s.cap_point, s.settlements
    ((0.5, 1.0), 0.5, 3.0, (12,))
    >>> plan_shape(None).edges
    (1.0,)
    """
    grid = np.round(np.arange(0.0, _TOP + _STEP / 2, _STEP), 10)
    if plan is None:
        return PlanShape("quota only", grid, None, (1.0,), 1.0, None, (3, 6, 9, 12))
    frame = payout_curve(plan, grid, target_incentive=1.0, quota=float(quota_per_ti))
    u = frame["payout"].to_numpy(float)
    d = np.diff(u) / _STEP  # slope on [grid[i], grid[i+1])
    paying = np.flatnonzero(u > 1e-12)
    first_pay = float(grid[paying[0]]) if paying.size else float(_TOP)
    edges = {first_pay} if paying.size and first_pay > 0 else set()
    # the slope rises by more than 20% (an accelerator): a point worth reaching
    for i in range(1, d.size):
        if d[i] > 1.2 * d[i - 1] + 1e-9 and d[i - 1] > 1e-9:
            edges.add(float(grid[i]))
    flat = np.flatnonzero((d < 1e-9) & (grid[:-1] >= first_pay))
    cap_point = None
    if flat.size:
        # the first point from which the curve never rises again
        rising = np.flatnonzero(d > 1e-9)
        last_rise = rising[-1] if rising.size else -1
        if last_rise + 1 < d.size:
            cap_point = float(grid[last_rise + 1])
    settle = {12}
    for c in plan.components:
        period = getattr(c, "period", "year")
        if period == "quarter":
            settle |= {3, 6, 9, 12}
        elif period == "month":
            settle |= set(range(1, 13))
    return PlanShape(
        plan.name,
        grid,
        _smoothed_slopes(u),
        tuple(sorted(e for e in edges if e < _TOP and (cap_point is None or e < cap_point))),
        first_pay,
        cap_point,
        tuple(sorted(settle)),
    )


def month_states(
    shape: PlanShape,
    m: int,
    ytd: np.ndarray,
    quotas: np.ndarray,
    dispersion: float | np.ndarray,
) -> dict[str, np.ndarray]:
    """Every state of month ``m`` (1-12) for each rep, from the bookings before it.

    Parameters
    ----------
    shape : PlanShape
    m : int
        The month, 1-12.
    ytd : ndarray, shape (n,)
        Each rep's bookings from January to month ``m - 1``.
    quotas : ndarray, shape (n, 12)
        Monthly quotas of the year; the rep expects the quota's pace for the rest.
    dispersion : float or ndarray, shape (n,)
        Variance over mean of a rep-month's bookings (money), for the spread of
        the rest of the year.

    Returns
    -------
    dict of ndarray, shape (n,)
        ``attainment`` (year to date before the month, of the annual quota),
        ``projected`` (plus the quota's pace for the rest), ``width`` (sd of the
        rest, in attainment), ``slope`` (expected marginal pay at the projection,
        x TCR; 1 without a plan), ``effort_term`` (log of the slope read in
        ``[S_LOW, S_HIGH]``, 0 in a give-up or near-cap month), ``near_edge``
        (a settlement month and an edge within one month's quota ahead of the
        month's projected attainment), ``give_up`` (the first paying point out of
        reach: above the projection by more than 1.96 widths, and not reached
        yet), ``near_cap`` (year-to-date attainment within ``CAP_BAND`` of the
        cap or past it), ``post_quota`` (quota passed before the month, not near
        the cap), each 0/1 as float.
    """
    quotas = np.asarray(quotas, dtype=float)
    ytd = np.asarray(ytd, dtype=float)
    q_year = quotas.sum(axis=1)
    safe_q = np.where(q_year > 0, q_year, 1.0)
    rest = quotas[:, m - 1 :].sum(axis=1)
    att = ytd / safe_q
    proj = (ytd + rest) / safe_q
    width = np.sqrt(np.maximum(np.asarray(dispersion, float) * rest, 0.0)) / safe_q
    width = np.clip(width, _WIDTHS[0], _WIDTHS[-1])
    give_up = (att < shape.first_pay) & (proj + 1.96 * width < shape.first_pay)
    if shape.cap_point is not None:
        near_cap = att >= shape.cap_point - CAP_BAND
    else:
        near_cap = np.zeros(att.shape, dtype=bool)
    post_quota = (att >= 1.0) & ~near_cap
    if shape.slopes is not None:
        w_idx = np.clip(np.searchsorted(np.sqrt(_WIDTHS[:-1] * _WIDTHS[1:]), width), 0, 23)
        g_idx = np.clip(np.rint(proj / _STEP).astype(np.intp), 0, shape.grid.size - 1)
        slope = shape.slopes[w_idx, g_idx]
        beyond = proj > shape.grid[-1]
        slope = np.where(beyond, shape.slopes[w_idx, -1], slope)
    else:
        slope = np.ones_like(att)
    flat = give_up | near_cap
    term = np.where(flat, 0.0, np.log(np.clip(slope, S_LOW, S_HIGH)))
    near_edge = np.zeros(att.shape, dtype=bool)
    if m in shape.settlements:
        # the settlement's year-to-date quota and what the month is expected to add
        q_ytd = quotas[:, :m].sum(axis=1)
        safe = np.where(q_ytd > 0, q_ytd, 1.0)
        here = (ytd + quotas[:, m - 1]) / safe
        nxt = quotas[:, m % 12] / safe
        for z in shape.edges:
            near_edge |= (here < z) & (z <= here + nxt)
        near_edge &= q_ytd > 0
    out = {
        "attainment": att,
        "projected": proj,
        "width": width,
        "slope": slope,
        "effort_term": term,
        "give_up": give_up,
        "near_cap": near_cap,
        "post_quota": post_quota,
        "near_edge": near_edge,
    }
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}
