"""The month loop that turns exogenous draws into bookings under people, time and behaviour.

:func:`build_kernel` precomputes, once per scenario, everything the loop reads: the
plan's payout curves and their smoothed slopes (the marginal pay a rep expects),
the settlement curves of each period end, the static multipliers (time
allocation, coaching, contest), the expected bookings and their spread. The
:class:`Kernel` is a frozen bundle of arrays, cheap to send to a worker process.

:func:`run_kernel` then walks the twelve months for a block of trials at once,
arrays shaped ``(trials, reps)``: the workforce state of each seat, the effort of
each rep, the deals moved across period ends. It draws nothing itself: the
exponential clocks of the seats come in as an argument, drawn on their own stream
(:func:`workforce_clocks`), so a scenario with the same seed and a different plan
sees the same people leave at the same cumulative hazard (common random numbers).

Multipliers act on a rep-month's bookings as a whole (deal value), not on the
number of deals: the expected value is exact, the relative spread of the month is
kept. See ``docs/model.md`` section 7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from spm_sim.comp import Plan, payout_curve, period_ends

from .dynamics import Behaviour, Programmes, TimeAllocation, Workforce
from .model import ProductivityModel, ramp_factor

__all__ = [
    "Kernel",
    "build_kernel",
    "run_kernel",
    "run_kernel_by_month",
    "to_month_major",
    "to_trial_major",
    "workforce_clocks",
    "STATS",
]

#: grid of attainment for the payout curves, and the widths of the smoothing
_STEP = 0.01
_TOP = 6.0
_WIDTHS = np.geomspace(0.01, 1.5, 24)
#: exponential clocks per seat and trial: at most this many departures a year
_CLOCKS = 4
#: trial-level figures the loop returns, in this order
STATS = (
    "leavers",
    "vacant_months",
    "mean_effort",
    "pulled_forward",
    "borrowed_from_next_year",
    "deferred_to_next_year",
)


def workforce_clocks(rng: np.random.Generator, n_reps: int) -> np.ndarray:
    """Exponential(1) clocks of each seat, shape (n_reps, 4): a rep leaves when the
    cumulative hazard since they took the seat passes the seat's next clock."""
    return rng.standard_exponential((n_reps, _CLOCKS))


@dataclass(frozen=True)
class Kernel:
    """Everything the month loop reads, precomputed (see :func:`build_kernel`)."""

    n_reps: int
    n_periods: int
    quota_annual: np.ndarray  # (R,)
    quota_cum: np.ndarray  # (R, P) year-to-date quota at each month end
    expected: np.ndarray  # (R, P) expected bookings with the static multipliers
    rest: np.ndarray  # (R, P) expected bookings from month m to December
    static: np.ndarray  # (R, P) time allocation x coaching x contest
    coach: np.ndarray  # (R, P) the coaching part of static (1 for reps not coached)
    # workforce (None when off)
    workforce: Workforce | None
    incumbent_ramp: np.ndarray  # (R, P) the model's ramp of the seat's own rep
    new_hire_ramp: np.ndarray  # (R, 13) ramp of a new hire by tenure month
    new_hire_ratio: np.ndarray  # (R,) new hire's expected bookings / the incumbent's
    # behaviour (None when off)
    behaviour: Behaviour | None
    effort_table: np.ndarray | None  # flat (groups x widths x grid)
    table_base: np.ndarray | None  # (R, P) offset of (group, width of month m)
    settle_curves: dict | None  # month -> (flat table of groups x grid, quota base (R,))
    steps: dict | None  # month -> ndarray of attainment points worth reaching
    group_offset: np.ndarray | None  # (R,) group x grid offset into settlement tables
    contest_end: int | None
    contest_pull: float
    #: the behaviour's reference scale (effort is divided by it) and the spread of the
    #: rest of the year in dollars, (R, P): what a later plan year's kernel and
    #: per-trial quotas re-read (None when the behaviour is off)
    effort_scale: float = 1.0
    spread: np.ndarray | None = None

    @property
    def on(self) -> bool:
        return (
            self.workforce is not None
            or self.behaviour is not None
            or self.contest_end is not None
            or not np.all(self.static == 1.0)
        )


def _curves(plan: Plan, quotas: np.ndarray, ti: np.ndarray):
    """Pay per TI against attainment: the total and each settlement month's, per group.

    Plans paid in multiples of TCR give every rep the same curve; a component paid
    as a share of bookings makes it depend on quota / TI, so reps are grouped by it.
    """
    grid = np.arange(0.0, _TOP + _STEP / 2, _STEP)
    by_bookings = any(getattr(c, "rate_basis", "tcr") == "bookings" for c in plan.components)
    q = quotas.sum(axis=1)
    if by_bookings:
        # quota / TI in steps of 1%: a curve per step, not per rep
        ratio = np.where((q > 0) & (ti > 0), q / np.where(ti > 0, ti, 1.0), 1.0)
        key = np.round(np.log(ratio) / np.log1p(0.01))
        keys, group = np.unique(key, return_inverse=True)
        pairs = [(float(np.exp(k * np.log1p(0.01))), 1.0) for k in keys]
    else:
        group = np.zeros(len(q), dtype=np.intp)
        pairs = [(1.0, 1.0)]
    periods = [getattr(c, "period", "year") for c in plan.components]
    totals, by_period = [], []
    for quota, ti_ in pairs:
        frame = payout_curve(plan, grid, target_incentive=ti_, quota=quota)
        comp = frame.iloc[:, 3 : 3 + len(plan.components)].to_numpy(float) / ti_
        totals.append(frame["payout"].to_numpy(float) / ti_)
        by_period.append(
            {
                p: comp[:, [j for j, pp in enumerate(periods) if pp == p]].sum(axis=1)
                for p in set(periods)
            }
        )
    return grid, np.array(totals), by_period, group, periods


def _smoothed_slopes(total: np.ndarray) -> np.ndarray:
    """Slope of the curve smoothed by a normal of each width, shape (W, G)."""
    g = total.size
    pad = int(np.ceil(4 * _WIDTHS[-1] / _STEP)) + 2
    top_slope = (total[-1] - total[-2]) / _STEP
    ext = np.concatenate(
        [np.full(pad, total[0]), total, total[-1] + top_slope * _STEP * np.arange(1, pad + 1)]
    )
    out = np.empty((len(_WIDTHS), g))
    for k, w in enumerate(_WIDTHS):
        smooth = gaussian_filter1d(ext, w / _STEP, mode="nearest", truncate=4.0)
        out[k] = np.gradient(smooth, _STEP)[pad : pad + g]
    return out


def _step_points(curve: np.ndarray, grid: np.ndarray, limit: int = 8) -> np.ndarray:
    """Attainments where a curve jumps or changes slope: the points worth reaching."""
    d = np.diff(curve)
    dd = np.abs(np.diff(d))  # change of increment at grid[1:-1]
    scale = max(float(np.median(np.abs(d[d != 0]))) if np.any(d != 0) else 0.0, 1e-9)
    idx = np.flatnonzero(dd > 0.2 * scale) + 1
    if idx.size == 0:
        return np.empty(0)
    # a jump between grid i-1 and i shows at i-1 and i: keep the upper point of a pair
    keep = idx[np.r_[np.diff(idx) > 1, True]]
    order = np.argsort(-dd[keep - 1], kind="stable")[:limit]
    return np.sort(grid[keep[order]])


def build_kernel(
    model: ProductivityModel,
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    *,
    roles: np.ndarray | None = None,
    workforce: Workforce | None = None,
    behaviour: Behaviour | None = None,
    time_allocation: TimeAllocation | None = None,
    programmes: Programmes | None = None,
    cycle_months: int = 3,
    coached: np.ndarray | None = None,
    effort_scale: float = 1.0,
    capacity_factor: float | Sequence[float] | None = None,
    ratchet: tuple[float, float] | None = None,
) -> Kernel:
    """Precompute the month loop's inputs for one scenario.

    Parameters
    ----------
    model : ProductivityModel
    plan : Plan
    quotas : ndarray, shape (n_reps, n_periods)
    target_incentive : ndarray, shape (n_reps,)
    roles : ndarray of str, shape (n_reps,), optional
        Each seat's role, for the new hire's ramp.
    workforce, behaviour, time_allocation, programmes : settings or None (off)
    cycle_months : int
        Sales cycle, for the lag of prospecting time.
    coached : ndarray of bool, shape (n_reps,), optional
        The reps a coaching programme targets (resolved by the caller).
    capacity_factor : float or sequence of 12 float, optional
        Multiplier of every rep's bookings, for the year or by month (what queueing
        costs in conversion, :func:`spm_sim.capacity.handoff`).
    effort_scale : float, default 1.0
        Effort is divided by it: the scale that makes the behaviour's reference plan
        book the exogenous bookings on average (``simulate.reference_effort``).
    ratchet : (float, float), optional
        Next year's quota rule as the reps read it: the dollars next year's quota
        rises per dollar booked this year above quota and below it
        (``spm_sim.quota`` year rules' ``ratchet_weights``). With the behaviour's
        ``ratchet_anticipation`` ``theta > 0`` the marginal pay behind effort becomes
        ``s - theta (w_below + (w_above - w_below) P(year ends above quota))``
        (docs/model.md 7.5); None or ``theta = 0`` leaves effort as it was.
    """
    n_r, n_p = model.n_reps, model.n_periods
    quotas = np.asarray(quotas, dtype=float)
    q_annual = quotas.sum(axis=1)
    expected = model.expected_bookings()
    static = np.ones((n_r, n_p))
    coach = np.ones((n_r, n_p))
    if time_allocation is not None:
        static *= time_allocation.by_month(cycle_months, n_p)[None, :]
    if capacity_factor is not None:
        static *= np.broadcast_to(np.asarray(capacity_factor, dtype=float), (n_p,))[None, :]
    contest_end, contest_pull = None, 0.0
    if programmes is not None:
        if programmes.coaching is not None and coached is not None:
            coach[coached] = programmes.coaching.by_month(n_p)[None, :]
            static *= coach
        if programmes.contest is not None:
            static *= programmes.contest.by_month(n_p)[None, :]
            if programmes.contest.pull_forward > 0:
                contest_end = programmes.contest.end_month - 1
                contest_pull = float(programmes.contest.pull_forward)
    expected = expected * static
    rest = np.cumsum(expected[:, ::-1], axis=1)[:, ::-1]

    inc_ramp = np.asarray(model.ramp, dtype=float)
    roles = np.full(n_r, "AE") if roles is None else np.asarray(roles).astype(str)
    tenure = np.arange(n_p + 1)
    if workforce is not None:
        nh_ramp = np.stack([ramp_factor(tenure, workforce.ramp_of(r)) for r in roles])
        rate = model.alpha / model.beta
        prior_rate = model.fit.get("prior_alpha", np.nan) / model.fit.get("prior_beta", np.nan)
        prior_mu = model.fit.get("size_prior_mean", np.nan)
        prior_var = model.fit.get("size_prior_var", 0.0)
        new_mean = prior_rate * np.exp(prior_mu + 0.5 * prior_var + 0.5 * model.size_sigma**2)
        own_mean = rate * model.mean_deal_size
        ratio = np.where(own_mean > 0, new_mean / np.where(own_mean > 0, own_mean, 1.0), 1.0)
        ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    else:
        nh_ramp = np.ones((n_r, n_p + 1))
        ratio = np.ones(n_r)

    fields: dict[str, Any] = dict(
        effort_table=None,
        table_base=None,
        settle_curves=None,
        steps=None,
        group_offset=None,
    )
    if behaviour is not None:
        grid, totals, by_period, group, periods = _curves(plan, quotas, target_incentive)
        n_g, n_w = len(totals), len(_WIDTHS)
        slopes = np.stack([_smoothed_slopes(t) for t in totals])  # (G, W, grid)
        theta = behaviour.ratchet_anticipation
        if ratchet is not None and theta > 0 and any(ratchet):
            slopes = slopes - theta * _ratchet_loss(grid, ratchet)[None, :, :]
        effort = behaviour.effort(slopes) / effort_scale
        # spread of the rest of the year, in attainment: compound Poisson within the
        # rep-month plus the uncertainty of the rep's rate and size across trials
        size_cv2 = np.exp(model.size_sigma**2)
        param_cv2 = (1.0 / model.alpha + np.expm1(model.size_mu_sd**2))[:, None]
        month_var = expected * model.mean_deal_size[:, None] * size_cv2
        var_rest = np.cumsum(month_var[:, ::-1], axis=1)[:, ::-1] + param_cv2 * rest**2
        spread = np.sqrt(var_rest)
        width = spread / np.where(q_annual > 0, q_annual, 1.0)[:, None]
        w_idx = np.clip(np.searchsorted(np.sqrt(_WIDTHS[:-1] * _WIDTHS[1:]), width), 0, n_w - 1)
        base = (group[:, None] * n_w + w_idx) * grid.size
        # settlement curves: quarter/month components at their period ends, every
        # component at December; quota base = year-to-date quota at that month
        settle: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        steps: dict[int, np.ndarray] = {}
        q_cum = np.cumsum(quotas, axis=1)
        for m in range(n_p):
            due = [
                p
                for p in set(periods)
                if (p != "year" and m in period_ends(p, n_p)) or m == n_p - 1
            ]
            if not due:
                continue
            curves = np.stack([sum(bp[p] for p in due) for bp in by_period])  # (G, grid)
            pts = (
                _step_points(curves[0], grid)
                if n_g == 1
                else np.unique(np.concatenate([_step_points(c, grid) for c in curves]))[:8]
            )
            settle[m] = (curves.reshape(-1), q_cum[:, m].copy())
            steps[m] = pts
        fields.update(
            effort_table=effort.reshape(-1),
            table_base=base,
            settle_curves=settle,
            steps=steps,
            group_offset=group * grid.size,
            spread=spread,
        )
    return Kernel(
        n_reps=n_r,
        n_periods=n_p,
        quota_annual=q_annual,
        quota_cum=np.cumsum(quotas, axis=1),
        expected=expected,
        rest=rest,
        static=static,
        coach=coach,
        workforce=workforce,
        incumbent_ramp=inc_ramp,
        new_hire_ramp=nh_ramp,
        new_hire_ratio=ratio,
        behaviour=behaviour,
        contest_end=contest_end,
        contest_pull=contest_pull,
        effort_scale=float(effort_scale),
        **fields,
    )


def _ratchet_loss(grid: np.ndarray, ratchet: tuple[float, float]) -> np.ndarray:
    """Next year's pay a dollar booked now costs under a quota ratchet, in TCR, by
    smoothing width and projected attainment, shape (W, grid).

    A dollar booked this year raises next year's quota by ``w_above`` when the year
    ends above quota (``w_below`` below it); at next year's expected attainment of
    about 1 a dollar more of quota costs about one TCR of next year's pay. The year
    ends above quota with probability ``Phi((a - 1) / omega)`` at projected attainment
    ``a`` and remaining spread ``omega`` (the smoothing width).
    """
    from scipy.special import ndtr

    w_above, w_below = (float(x) for x in ratchet)
    above = ndtr((grid[None, :] - 1.0) / _WIDTHS[:, None])
    return w_below + (w_above - w_below) * above


def _lookup(table: np.ndarray, base: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Nearest-grid lookup of ``table`` at attainment ``a`` from offsets ``base``."""
    top = int(round(_TOP / _STEP))
    ia = (a * (1.0 / _STEP) + 0.5).astype(np.intp)  # a >= 0: rounds to nearest
    np.minimum(ia, top, out=ia)
    ia += base
    return table.take(ia)


def run_kernel(
    kernel: Kernel, draws: np.ndarray, clocks: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Walk the year for a block of trials.

    Parameters
    ----------
    kernel : Kernel
    draws : ndarray, shape (n_trials, n_reps, n_periods)
        Exogenous bookings (the productivity model's draws).
    clocks : ndarray, shape (n_trials, n_reps, 4), optional
        The seats' exponential clocks (:func:`workforce_clocks`); needed with a
        workforce.

    Returns
    -------
    bookings : ndarray, shape (n_trials, n_reps, n_periods)
    stats : dict of str to ndarray
        The trial-level figures named in ``STATS``, shape (n_trials,); with a
        workforce also ``stayed``, shape (n_trials, n_reps): the seat's own rep
        stayed the whole year.
    """
    by_month = to_month_major(np.asarray(draws, dtype=float))
    out, stats = run_kernel_by_month(kernel, by_month, clocks)
    return to_trial_major(out), stats


def to_month_major(x: np.ndarray, block: int = 16) -> np.ndarray:
    """(trials, reps, months) to (months, trials, reps), copied in cache-sized blocks."""
    out = np.empty((x.shape[2], x.shape[0], x.shape[1]))
    for i in range(0, x.shape[0], block):
        out[:, i : i + block, :] = x[i : i + block].transpose(2, 0, 1)
    return out


def to_trial_major(x: np.ndarray, block: int = 16) -> np.ndarray:
    """(months, trials, reps) to (trials, reps, months), copied in cache-sized blocks."""
    out = np.empty((x.shape[1], x.shape[2], x.shape[0]))
    for i in range(0, x.shape[1], block):
        out[i : i + block] = x[:, i : i + block, :].transpose(1, 2, 0)
    return out


def run_kernel_by_month(
    kernel: Kernel,
    draws: np.ndarray,
    clocks: np.ndarray | None = None,
    *,
    start: int = 0,
    known: np.ndarray | None = None,
    start_share: float = 1.0,
    vacant: np.ndarray | None = None,
    quotas: np.ndarray | None = None,
    carry_in: np.ndarray | None = None,
    seats_in: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    year_end: bool = False,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`run_kernel` on month-major arrays, (months, trials, reps) in and out.

    Each month is one contiguous (trials, reps) slab, so the loop reads and writes
    memory in order (reading a month of a trial-major array touches every cache
    line of it, twelve times a year).

    ``start`` and ``known`` (shape (reps, months)) run the loop on a year in
    progress: the months before ``start`` are ``known`` in every trial (the year's
    actual bookings, untouched: nothing drawn, no effort, no timing), and from
    ``start`` on the loop runs as usual on ``draws`` with the year-to-date
    bookings counted in each rep's attainment; ``known`` of a month from ``start``
    on (the known part of the as-of month) is added to that month's bookings as
    they are, before any deal timing. The defaults (0, None) change nothing.

    A workforce starts at ``start`` too: the seats' reps are those in place then
    (the months before are actual, whoever sold them), each seat's cumulative
    hazard counts from ``start`` (the clocks are memoryless, so a rep who has
    stayed to the date leaves at the same rate after it), month ``start``'s hazard
    weighted by ``start_share``, the share of it still to come, and the months
    behind pace counted from ``start`` with the same weight. ``vacant``, shape
    (reps,) of int, names the seats already vacant at ``start``: the months of
    vacancy left from ``start`` (0: a new hire starts in month ``start``), -1 for
    a seat held by its rep. A vacant seat's kernel ramp (``incumbent_ramp``) must be
    positive from ``start`` on, and its draws those of a ramped rep in the seat: the
    vacancy sells ``vacancy_productivity`` of them, then a new hire ramps from
    tenure 0 on the seat's next clock (its first), as after any departure.

    A later plan year of a multi-year run (``spm_sim.simulate.simulate_years``) is
    run with what the year before left:

    * ``quotas``, shape (trials, reps, months): each trial's own quotas (a ratchet
      sets them from the trial's own year), read by the effort projection and its
      spread, the settlements and the pace of the seats in place of the kernel's;
    * ``carry_in``, shape (trials, reps): deals that land in January, pushed out of
      last December (> 0) or pulled into it from this January (< 0: taken from this
      year's first months, as any pull is paid back);
    * ``seats_in``, three arrays (trials, reps): each seat's state on 1 January (0
      its own rep, 1 vacant, 2 a new hire), the months of vacancy left and the new
      hire's tenure in months; each seat's hazard starts at one month's (last
      December's month end, which a single year leaves out);
    * ``year_end=True`` adds to the stats what the next year starts from:
      ``next_january`` (trials, reps), the deals this year moved into next January
      (deferred less borrowed, the pulls not paid back included) and with a
      workforce ``seat_state``, ``seat_left`` and ``seat_tenure`` after December's
      month end (a vacancy counts down, a new hire ages).

    The defaults change nothing: a plan year alone runs as before, bit for bit.
    """
    p_n, t_n, r_n = draws.shape
    k = kernel
    wf, beh = k.workforce, k.behaviour
    if wf is not None and clocks is None:
        raise ValueError("run_kernel: a workforce needs the seats' clocks")
    if not 0 <= start <= p_n:
        raise ValueError(f"run_kernel: start must be a month from 0 to {p_n}, got {start}")
    if not 0.0 <= start_share <= 1.0:
        raise ValueError(f"run_kernel: start_share must be in [0, 1], got {start_share}")
    if vacant is not None and wf is None:
        raise ValueError("run_kernel: vacant seats need a workforce")
    if seats_in is not None and wf is None:
        raise ValueError("run_kernel: seats carried in need a workforce")
    kn = None if known is None else np.broadcast_to(np.asarray(known, dtype=float), (r_n, p_n))
    out = np.empty_like(draws)
    cum = np.zeros((t_n, r_n))
    carry: np.ndarray | None = None  # owed to (or by) the next month once deals have moved
    if carry_in is not None:
        carry = np.array(np.broadcast_to(carry_in, (t_n, r_n)), dtype=float)
    stats: dict[str, np.ndarray] = {name: np.zeros(t_n) for name in STATS}
    effort_sum = np.zeros(t_n)
    effort_n = 0.0
    q_cum_t = None  # each trial's year-to-date quota, (T, R, P), with per-trial quotas
    if quotas is None:
        inv_q = 1.0 / np.where(k.quota_annual > 0, k.quota_annual, np.inf)
    else:
        q_cum_t = np.cumsum(np.broadcast_to(np.asarray(quotas, float), (t_n, r_n, p_n)), axis=2)
        q_year = q_cum_t[..., -1]
        inv_q = 1.0 / np.where(q_year > 0, q_year, np.inf)
    effort_on = beh is not None and beh.effort_elasticity > 0
    seats = (
        _Seats(
            k,
            clocks,
            t_n,
            r_n,
            start=start,
            start_share=start_share,
            vacant=vacant,
            quota_cum=q_cum_t,
            carried=seats_in,
        )
        if wf is not None and clocks is not None
        else None
    )
    nxt = np.zeros((t_n, r_n)) if year_end else None  # deals moved into next January
    # build_kernel fills the effort tables whenever a behaviour is given
    effort_table = k.effort_table if k.effort_table is not None else np.ones(1)
    table_base = k.table_base if k.table_base is not None else np.zeros((r_n, p_n), np.intp)

    # the effort table's grid index of the projection, in two operations a month:
    # (cum x inv_q + rest_q) / step + 1/2, rounded down (projections are >= 0)
    idx_scale = inv_q / _STEP
    per_trial = q_cum_t is not None
    idx_rest = k.rest * idx_scale[:, None] + 0.5 if not per_trial else k.rest
    top = int(round(_TOP / _STEP))
    flat_static = np.all(k.static == 1.0, axis=0)
    for m in range(p_n):
        if m < start:
            # a month already over: its actual bookings, the same in every trial
            out[m] = 0.0 if kn is None else kn[:, m]
            cum += out[m]
            continue
        active = (k.incumbent_ramp[:, m] > 0).astype(float)
        w_sp = seats.factors(m) if seats is not None else None
        if effort_on:
            x = cum * idx_scale
            if per_trial:
                x += k.rest[:, m] * idx_scale + 0.5
            else:
                x += idx_rest[:, m]
            if seats is not None and w_sp is not None and w_sp.size:
                idx, r_of = seats.idx, seats.idx % r_n
                scale_sp = idx_scale.ravel()[idx] if per_trial else idx_scale[r_of]
                x.ravel()[idx] = (cum.ravel()[idx] + w_sp * k.rest[r_of, m]) * scale_sp + 0.5
            ia = x.astype(np.intp)
            np.minimum(ia, top, out=ia)
            ia += table_base[:, m] if not per_trial else _trial_base(k, m, inv_q)
            e = effort_table.take(ia)
            if seats is not None and w_sp is not None and w_sp.size:
                e.ravel()[seats.idx[seats.state == 1]] = 1.0  # nobody to make an effort
            effort_sum += (e * active).sum(axis=1)
            effort_n += active.sum()
            b = draws[m] * e
            if not flat_static[m]:
                b *= k.static[:, m]
        elif flat_static[m]:
            b = draws[m].copy()
        else:
            b = draws[m] * k.static[:, m]
        if seats is not None and w_sp is not None and w_sp.size:
            b.ravel()[seats.idx] *= w_sp
        if kn is not None:
            b = b + kn[:, m]
        if carry is not None:
            b += carry
            np.minimum(b, 0.0, out=carry)
            np.maximum(b, 0.0, out=b)

        contest = k.contest_end is not None and m == k.contest_end
        settle = (
            beh is not None
            and k.settle_curves is not None
            and m in k.settle_curves
            and bool(beh.pull_forward or beh.push_out)
        )
        if contest or settle:
            # a vacant seat has nobody to move deals: its limits are 0
            w = None if seats is None or w_sp is None else seats.dense(w_sp) * seats.filled()
            if carry is None:
                carry = np.zeros((t_n, r_n))
        if contest and carry is not None:  # carry is set above whenever contest
            following = k.expected[:, m + 1] if m + 1 < p_n else k.expected[:, 0]
            pull = k.contest_pull * (following if w is None else w * following) * np.ones((t_n, 1))
            b = b + pull
            if m + 1 < p_n:
                carry -= pull
                stats["pulled_forward"] += pull.sum(axis=1)
            else:
                stats["borrowed_from_next_year"] += pull.sum(axis=1)
                if nxt is not None:
                    nxt -= pull
        if settle and beh is not None and carry is not None:
            q_base = None if q_cum_t is None else q_cum_t[..., m]
            b, moved = _settle_timing(k, beh, m, cum, b, w, q_base)
            if m + 1 < p_n:
                carry -= moved  # inside the year only pulls (moved >= 0)
                stats["pulled_forward"] += moved.sum(axis=1)
            else:
                stats["borrowed_from_next_year"] += np.maximum(moved, 0).sum(axis=1)
                stats["deferred_to_next_year"] += np.maximum(-moved, 0).sum(axis=1)
                if nxt is not None:
                    nxt -= moved
        out[m] = b
        cum += b
        if seats is not None:
            seats.end_of_month(m, cum, active, stats, last=m == p_n - 1)

    if carry is not None:
        # pulled in and not yet paid back by the year end (the months after were too
        # small, or the seat fell vacant): next year's deals, counted as borrowed
        short = -carry.sum(axis=1)
        stats["borrowed_from_next_year"] += short
        if carry_in is None:
            stats["pulled_forward"] -= short
        else:
            # what last year borrowed from this one and this year could not pay back
            # was never pulled inside this year
            stats["pulled_forward"] -= np.minimum(short, stats["pulled_forward"])
        if nxt is not None:
            nxt += carry
    if nxt is not None:
        stats["next_january"] = nxt
        if seats is not None:
            stats.update(seats.year_end())
    if seats is not None:
        # a full-year rep: in the seat from January to December, never replaced
        whole = (k.incumbent_ramp[:, 0] > 0) & (k.incumbent_ramp[:, -1] > 0)
        stats["stayed"] = seats.incumbent & whole
    stats["mean_effort"] = effort_sum / effort_n if effort_on and effort_n > 0 else np.ones(t_n)
    return out, stats


def _trial_base(k: Kernel, m: int, inv_q: np.ndarray) -> np.ndarray:
    """Offsets into the effort table in month ``m`` with each trial's own quotas,
    (T, R): the smoothing width is the rest of the year's spread over the trial's
    annual quota (reps without a quota read the widest, as :func:`build_kernel` does)."""
    assert k.spread is not None and k.group_offset is not None, "set with a behaviour"
    spread = k.spread[:, m]
    width = np.where(inv_q > 0, spread * inv_q, spread)
    n_w = len(_WIDTHS)
    w_idx = np.clip(np.searchsorted(np.sqrt(_WIDTHS[:-1] * _WIDTHS[1:]), width), 0, n_w - 1)
    size = int(round(_TOP / _STEP)) + 1
    return k.group_offset * n_w + w_idx * size


class _Seats:
    """The workforce state of a block of seats, (trials, reps).

    Most seats keep their own rep all year, so they are held densely with two
    numbers (months behind pace, whether the rep is still there); the few whose rep
    has left are held as a sparse list (flat index, state 1 = vacant or 2 = new
    hire, months of vacancy left, tenure, hazard since taking the seat, clock).

    A year in progress starts at month ``start``: hazards count from it (month
    ``start`` weighted by ``start_share``) and the seats named by ``vacant`` (months
    of vacancy left, -1 for a seat held) start sparse, their rep gone.

    A later plan year starts from ``carried`` (state, months of vacancy left, tenure;
    each (trials, reps)) and each trial's year-to-date quotas ``quota_cum``
    (trials, reps, months) for the pace; every seat's hazard then starts at one
    month's, last December's month end.
    """

    def __init__(
        self,
        k: Kernel,
        clocks: np.ndarray,
        t_n: int,
        r_n: int,
        *,
        start: int = 0,
        start_share: float = 1.0,
        vacant: np.ndarray | None = None,
        quota_cum: np.ndarray | None = None,
        carried: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ):
        wf = k.workforce
        assert wf is not None, "seats are held only when a workforce is on"
        self.k, self.clocks, self.r_n = k, clocks, r_n
        self.lag = wf.backfill_lag_months
        self.vac = wf.vacancy_productivity
        h0 = wf.hazard()
        self.lh0 = -np.log1p(-h0)
        self.lh1 = -np.log1p(-min(h0 * wf.low_performer_hazard_ratio, 0.999))
        self.pace_q = wf.low_performer_pace * (k.quota_cum if quota_cum is None else quota_cum)
        self.hazard0 = self.lh0 if carried is not None else 0.0
        # each month's weight in the hazard: 1 from January in a plan year; in a
        # year in progress 0 before ``start`` and ``start_share`` for month ``start``
        self.weight = np.ones(k.n_periods)
        self.weight[:start] = 0.0
        if start < k.n_periods:
            self.weight[start] = start_share
        if start == 0 and start_share == 1.0:
            self.active_cum = np.cumsum(k.incumbent_ramp > 0, axis=1)  # (R, P)
        else:
            self.active_cum = np.cumsum((k.incumbent_ramp > 0) * self.weight, axis=1)
        self.incumbent = np.ones((t_n, r_n), dtype=bool)
        self.behind = np.zeros((t_n, r_n))
        self.clock0 = clocks[:, :, 0]
        self.idx = np.empty(0, dtype=np.intp)
        self.state = np.empty(0, dtype=np.int8)
        self.left = np.empty(0, dtype=np.intp)
        self.tenure = np.empty(0, dtype=np.intp)
        self.hazard = np.empty(0)
        self.clock_i = np.empty(0, dtype=np.intp)
        self.clock = np.empty(0)
        if vacant is not None:
            self._start_vacant(np.asarray(vacant), t_n)
        if carried is not None:
            self._start_carried(carried, t_n)

    def _start_carried(self, carried: tuple[np.ndarray, ...], t_n: int) -> None:
        """Seats as the year before left them: sparse where the own rep is gone."""
        state, left, tenure = (np.asarray(a).reshape(t_n, self.r_n) for a in carried)
        self.incumbent = state == 0
        idx = np.flatnonzero(state.ravel() != 0)
        n = idx.size
        self.idx = idx.astype(np.intp)
        self.state = state.ravel()[idx].astype(np.int8)
        self.left = left.ravel()[idx].astype(np.intp)
        self.tenure = tenure.ravel()[idx].astype(np.intp)
        # December's month-end hazard moves to January for a seat's rep (its own rep or
        # a new hire); a seat still vacant has no one to lose and starts at 0
        self.hazard = np.where(self.state == 2, self.hazard0, 0.0)
        self.clock_i = np.zeros(n, dtype=np.intp)
        self.clock = self._clock(self.idx, self.clock_i)

    def year_end(self) -> dict[str, np.ndarray]:
        """Each seat's state after December's month end, (trials, reps): ``seat_state``
        (0 its own rep, 1 vacant, 2 a new hire), ``seat_left`` (months of vacancy
        left) and ``seat_tenure`` (a new hire's months), what next year starts from.
        December's month end counts a vacancy down and ages a new hire; who would
        leave at it leaves at next year's first month end (the hazard next year
        starts at one month's)."""
        t_n = self.incumbent.shape[0]
        state = np.zeros((t_n, self.r_n), dtype=np.int8)
        left = np.zeros((t_n, self.r_n), dtype=np.intp)
        tenure = np.zeros((t_n, self.r_n), dtype=np.intp)
        st = self.state.copy()
        lf = self.left.copy()
        tn = self.tenure.copy()
        vacant = st == 1
        tn += ~vacant
        lf -= vacant
        st[vacant & (lf <= 0)] = 2
        state.ravel()[self.idx] = st
        left.ravel()[self.idx] = np.maximum(lf, 0)
        tenure.ravel()[self.idx] = tn
        return {"seat_state": state, "seat_left": left, "seat_tenure": tenure}

    def _start_vacant(self, vacant: np.ndarray, t_n: int) -> None:
        """Seats whose rep is gone at ``start``: vacant for ``vacant[r]`` more months
        (a new hire at once when 0), then a new hire on the seat's first clock."""
        if vacant.shape != (self.r_n,):
            raise ValueError(
                f"run_kernel: vacant must have one entry per rep ({self.r_n}), got shape "
                f"{vacant.shape}"
            )
        reps = np.flatnonzero(vacant >= 0)
        if not reps.size:
            return
        self.incumbent[:, reps] = False
        idx = (np.arange(t_n)[:, None] * self.r_n + reps[None, :]).ravel()
        left = np.tile(vacant[reps].astype(np.intp), t_n)
        n = idx.size
        self.idx = idx.astype(np.intp)
        self.state = np.where(left > 0, 1, 2).astype(np.int8)
        self.left = left
        self.tenure = np.zeros(n, dtype=np.intp)
        self.hazard = np.zeros(n)
        self.clock_i = np.zeros(n, dtype=np.intp)
        self.clock = self._clock(self.idx, self.clock_i)

    def factors(self, m: int) -> np.ndarray:
        """Bookings factor of each sparse seat in month ``m`` (vacant or new hire)."""
        k = self.k
        r_of = self.idx % self.r_n
        ramp = k.incumbent_ramp[r_of, m]
        safe = np.where(ramp > 0, ramp, 1.0)
        new = k.new_hire_ramp[r_of, np.minimum(self.tenure, k.n_periods)] * k.new_hire_ratio[r_of]
        # coaching is for the seat's own rep: a vacancy or a new hire does not get it
        return np.where(self.state == 1, self.vac, new) / (safe * k.coach[r_of, m])

    def filled(self) -> np.ndarray:
        """1.0 where the seat has a rep this month, 0.0 where it is vacant."""
        f = np.ones(self.incumbent.shape)
        f.ravel()[self.idx[self.state == 1]] = 0.0
        return f

    def dense(self, w_sp: np.ndarray) -> np.ndarray:
        w = np.ones(self.incumbent.shape)
        w.ravel()[self.idx] = w_sp
        return w

    def _clock(self, flat: np.ndarray, i: np.ndarray) -> np.ndarray:
        n = self.clocks.shape[2]
        t, r = np.divmod(flat, self.r_n)
        return np.where(i < n, self.clocks[t, r, np.minimum(i, n - 1)], np.inf)

    def end_of_month(
        self, m: int, cum: np.ndarray, active: np.ndarray, stats: dict, *, last: bool = False
    ) -> None:
        """Hazards, departures, vacancies counting down, new hires starting.

        In the last month only the vacancy is counted: who leaves after December is
        next year's question (a rep leaving on 31 December worked the whole year).
        """
        t_n = cum.shape[0]
        dl = self.lh1 - self.lh0
        w = self.weight[m]
        # the seats' own reps: cumulative hazard lh0 per active month plus the extra
        # of each month behind pace; a rep leaves when it passes the seat's clock
        if w == 1.0:
            self.behind += cum < self.pace_q[..., m]
        else:
            self.behind += (cum < self.pace_q[..., m]) * w
        hazard = self.behind * dl
        hazard += self.lh0 * self.active_cum[:, m]
        if self.hazard0:
            hazard += self.hazard0
        leave = hazard > self.clock0
        leave &= self.incumbent
        # seats already changed: a vacancy counts down, a new hire ages and may leave
        r_of = self.idx % self.r_n
        vacant = self.state == 1
        hired = ~vacant
        stats["vacant_months"] += np.bincount(self.idx[vacant] // self.r_n, minlength=t_n)
        if last:
            return
        # a new hire leaves at the base hazard: the seat's quota to date is not theirs
        # (their predecessor's months and their own ramp are in it)
        self.hazard += hired * active[r_of] * (self.lh0 * w)
        again = hired & (self.hazard > self.clock)
        self.tenure += hired
        self.left -= vacant
        self.state[vacant & (self.left <= 0)] = 2
        if again.any():
            self._leave(np.flatnonzero(again))
            stats["leavers"] += np.bincount(self.idx[again] // self.r_n, minlength=t_n)
        new = np.flatnonzero(leave.ravel())
        if new.size:
            self.incumbent.ravel()[new] = False
            stats["leavers"] += np.bincount(new // self.r_n, minlength=t_n)
            n = new.size
            self.idx = np.concatenate([self.idx, new])
            self.state = np.concatenate([self.state, np.zeros(n, dtype=np.int8)])
            self.left = np.concatenate([self.left, np.zeros(n, dtype=np.intp)])
            self.tenure = np.concatenate([self.tenure, np.zeros(n, dtype=np.intp)])
            self.hazard = np.concatenate([self.hazard, np.zeros(n)])
            self.clock_i = np.concatenate([self.clock_i, np.zeros(n, dtype=np.intp)])
            self.clock = np.concatenate([self.clock, np.zeros(n)])
            self._leave(np.arange(self.idx.size - n, self.idx.size))

    def _leave(self, j: np.ndarray) -> None:
        """Sparse seats ``j`` lose their rep at the end of this month."""
        self.state[j] = 1 if self.lag > 0 else 2
        self.left[j] = self.lag
        self.tenure[j] = 0
        self.hazard[j] = 0.0
        self.clock_i[j] += 1
        self.clock[j] = self._clock(self.idx[j], self.clock_i[j])


def _settle_timing(kernel: Kernel, beh: Behaviour, m: int, cum, b, w, q_base=None):
    """Deals moved across the period end of month ``m``: (new bookings, moved).

    ``moved > 0`` pulled from next month into this one, ``< 0`` pushed out of it.
    Candidates: nothing, the most that can be pulled or pushed, and exactly enough
    to land on each step point of the settlement curve (threshold, tier start, cap).
    The rep takes the one with the largest gain, net of the timing cost: the
    settlement's pay gained minus what the moved dollars earn anyway. Inside the year
    only pulls are candidates (pushing out only delays a cumulative pay), and the
    pulled dollars still count in the year, so what they earn anyway is the
    settlement's own rate at the current attainment: a pull pays only for crossing a
    threshold or entering an accelerator (the myopic reading of a period-end
    settlement). Across the year end both directions are candidates (a push escapes
    a cap or an out-of-reach threshold) and a dollar is worth 1 x TCR, a dollar of
    next year's unknown plan. A vacant seat (``w == 0``) moves nothing. ``q_base``
    (trials, reps): each trial's own year-to-date quota, in place of the kernel's.
    """
    k = kernel
    # build_kernel sets these whenever a behaviour is given (the only caller's case)
    assert k.settle_curves is not None and k.steps is not None and k.group_offset is not None
    table, kernel_base = k.settle_curves[m]
    q_base = kernel_base if q_base is None else q_base
    qb = np.where(q_base > 0, q_base, np.inf)
    base = k.group_offset
    nxt = k.expected[:, m + 1] if m + 1 < k.n_periods else k.expected[:, 0]
    pull_max = beh.pull_forward * (nxt if w is None else w * nxt)
    push_max = beh.push_out * b if w is None else beh.push_out * b * (w > 0)
    ytd = (cum + b).ravel()  # quarter components: YTD over YTD quota; December: the year
    shape = b.shape
    qb = np.broadcast_to(qb, shape).ravel()
    base = np.broadcast_to(base, shape).ravel()
    pull_max = np.broadcast_to(pull_max, shape).ravel()
    push_max = push_max.ravel()
    a = ytd / qb
    v0 = _lookup(table, base, a)
    inside = m + 1 < k.n_periods
    if inside:
        # inside the year a moved dollar still counts in the year, and a cumulative
        # settlement never claws back: pulling in pays what the settlement gives
        # beyond its rate at the current attainment (an advance the true-up may
        # keep); pushing out only delays pay, so it is not a candidate
        later = (_lookup(table, base, a + _STEP) - v0) / _STEP
        push_max = np.zeros_like(push_max)
    else:
        # a dollar moved into next year is valued at the target commission rate
        # (1 x TCR), what a rep earns on average without knowing next year's plan
        later = np.ones(ytd.size)
    best_gain = np.zeros(ytd.size)
    best_x = np.zeros(ytd.size)

    def consider(j: np.ndarray | slice, x: np.ndarray) -> None:
        gain = qb[j] * (_lookup(table, base[j], (ytd[j] + x) / qb[j]) - v0[j])
        gain -= x * later[j]
        gain -= beh.timing_cost * np.abs(x)
        better = gain > best_gain[j] + 1e-9 * qb[j]
        best_gain[j] = np.where(better, gain, best_gain[j])
        best_x[j] = np.where(better, x, best_x[j])

    everyone = np.flatnonzero(np.isfinite(qb))  # reps with a quota
    if beh.pull_forward > 0:
        consider(everyone, pull_max[everyone])
    if beh.push_out > 0 and not inside:
        consider(everyone, -push_max[everyone])
    for pt in k.steps[m]:
        # exactly enough to land just past a step point, where it is within reach
        x = (pt + 0.5 * _STEP) * qb - ytd
        with np.errstate(invalid="ignore"):  # reps without a quota: inf - inf
            j = np.flatnonzero((x <= pull_max) & (x >= -push_max) & (x != 0))
        if j.size:
            consider(j, x[j])
    best_x = best_x.reshape(shape)
    return b + best_x, best_x
