"""The open pipeline walked to 31 December, and the share of deals not yet in it.

:func:`simulate_pipeline` walks every opportunity open at the as-of date month by
month through a calibrated :class:`~.pipeline.PipelineModel`, all trials of a chunk
at once (arrays over trials x opportunities, no loop over opportunities);
:func:`cycle_share` gives the part of each later month's deals that will be created
after the date (new business), from the won opportunities' cycles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pipeline import _LOST, _WON, AGE_BANDS, PipelineModel, _band, _stage_codes

__all__ = ["cycle_share", "simulate_pipeline"]


def cycle_share(
    cycle_days: np.ndarray,
    as_of: pd.Timestamp,
    year: int,
    weights: np.ndarray | None = None,
    *,
    direct: float = 0.0,
) -> np.ndarray:
    """Share of the deals still to come in each month of ``year`` created after ``as_of``.

    A deal closing on day ``d`` was created ``c`` days earlier, ``c`` drawn from the
    won cycles; it is new business (not in the pipeline at ``as_of``) when
    ``c < d - as_of``. The share of month ``m`` averages ``F(d - as_of)`` (``F`` the
    empirical distribution of ``c``, weighted by ``weights``: the deals' amounts,
    as larger deals take longer) over the month's days after ``as_of`` (so in the
    as-of month it is a share of the days left, not of the whole month); months
    over by then get 0. A share ``direct`` of the deals never goes through the
    pipeline (renewals, self-serve orders): they are always new business, and the
    share is ``direct + (1 - direct) F``. Without any cycle every deal counts as new (1).

    Parameters
    ----------
    cycle_days : ndarray
        Days from creation to close of won opportunities.
    as_of : Timestamp
    year : int
    weights : ndarray, optional
        One weight per cycle (default 1 each).
    direct : float, default 0
        The share of deals (by amount) booked without an opportunity, in [0, 1].

    Returns
    -------
    ndarray, shape (12,)

    Examples
    --------
    >>> share = cycle_share(np.array([10.0, 40.0, 70.0]), pd.Timestamp("2025-06-30"), 2025)
    >>> share[:6].tolist(), bool(share[6] < share[9] <= 1.0)
    ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], True)
    >>> mid = pd.Timestamp("2025-06-15")
    >>> float(cycle_share(np.array([0.0]), mid, 2025)[5])  # every deal is new: all of it
    1.0
    >>> float(cycle_share(np.array([400.0]), mid, 2025, direct=0.25)[6])
    0.25
    """
    direct = float(direct)
    if not 0.0 <= direct <= 1.0:
        raise ValueError(f"direct must be a share between 0 and 1; got {direct!r}.")
    out = np.zeros(12)
    cyc = np.asarray(cycle_days, dtype=float)
    w = np.ones(cyc.size) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(cyc, kind="stable")
    cyc, w = cyc[order], w[order]
    cum_w = np.r_[0.0, np.cumsum(w)] / max(float(w.sum()), 1e-300)
    for m in range(12):
        start = pd.Timestamp(year=year, month=m + 1, day=1)
        end = start + pd.offsets.MonthEnd(0)
        first = max(start, as_of + pd.Timedelta(days=1))
        if first > end:
            continue
        gaps = ((pd.date_range(first, end, freq="D") - as_of).days).to_numpy(float)
        if cyc.size == 0:
            out[m] = 1.0
            continue
        # F(g) = share of cycles strictly shorter than g days, over the days left
        share = cum_w[np.searchsorted(cyc, gaps, side="left")]
        out[m] = direct + (1.0 - direct) * float(share.mean())
    return out


def simulate_pipeline(
    model: PipelineModel | None,
    opps: pd.DataFrame,
    as_of: pd.Timestamp,
    year: int,
    rngs: list[np.random.Generator],
    *,
    company: np.ndarray | None = None,
    max_cells: int = 2_000_000,
) -> np.ndarray:
    """Month of win (0-11) of each open opportunity in each trial, -1 if not won in ``year``.

    Parameters
    ----------
    model : PipelineModel or None
        None: each opportunity wins with its CRM ``probability`` in the month of its
        expected close date (the first month left when that is past; never when it
        is after ``year``).
    opps : DataFrame
        The open opportunities at ``as_of``: ``stage, probability, created_date,
        expected_close_date``.
    rngs : list of Generator
        One stream per trial (draws: the trial's rates from their Dirichlet
        posterior, one normal per month left for the company shock, then one
        uniform per month left and opportunity; in the fallback, one uniform per
        opportunity).
    company : ndarray, shape (n_trials, 12), optional
        Each trial's company factor of each month (mean 1: the level, trend and
        month shock of the new-business draws of the same trial), multiplying the
        chance of winning in that month (at most to ``1 - p_lost``; in the fallback,
        the CRM probability, at most to 1): a year that goes badly for new business
        goes badly for the pipeline too. Default 1 (independent).
    max_cells : int
        Trials x opportunities held at once (memory), never changing a number.

    Returns
    -------
    ndarray of int, shape (n_trials, n_opportunities)
    """
    n_t, n_j = len(rngs), len(opps)
    out = np.full((n_t, n_j), -1, dtype=np.int64)
    first, frac = _first_step(as_of, year)
    if n_j == 0 or first > 11:
        return out
    steps = 12 - first
    ecd = pd.to_datetime(opps["expected_close_date"]).to_numpy()
    shared = np.ones((n_t, 12)) if company is None else np.asarray(company, dtype=float)
    if shared.shape != (n_t, 12):
        raise ValueError(f"company must have shape ({n_t}, 12); got {shared.shape}")
    if model is None:
        p = opps["probability"].to_numpy(float)
        month = np.where(
            pd.DatetimeIndex(ecd).year < year, first, pd.DatetimeIndex(ecd).month.to_numpy() - 1
        )
        month = np.maximum(month, first)
        beyond = pd.DatetimeIndex(ecd).year > year
        for t, rng in enumerate(rngs):
            u = rng.random(n_j)
            out[t] = np.where((u < np.minimum(p * shared[t, month], 1.0)) & ~beyond, month, -1)
        return out
    if model.stages == ("any",):
        k0 = np.zeros(n_j, dtype=np.int64)
    else:
        k0 = _stage_codes(opps["stage"].astype(str).to_numpy(dtype=object), model.stages)
    created = pd.to_datetime(opps["created_date"]).to_numpy()
    size_factor, z0 = model.win_bands(opps)
    rep = model.rep_factors(opps)  # None without rep factors: the walk as without reps
    starts = [as_of] + [
        pd.Timestamp(year=year, month=m + 1, day=1) - pd.Timedelta(days=1)
        for m in range(first + 1, 12)
    ]
    band = np.stack([_band((np.datetime64(s) - created) / np.timedelta64(1, "D")) for s in starts])
    # days from the as-of date: each step's start, the year's end, each close date
    bounds = np.array(
        [(s - as_of).days for s in starts] + [(pd.Timestamp(year, 12, 31) - as_of).days], float
    )
    due = (ecd - np.datetime64(as_of)) / np.timedelta64(1, "D")
    due = np.where(np.isnan(due), np.inf, due)
    alpha = model.counts + model.prior
    chunk = max(1, max_cells // max(n_j, 1))
    for a in range(0, n_t, chunk):
        b = min(a + chunk, n_t)
        cum = np.empty((b - a, model.n_states, alpha.shape[1]))
        u = np.empty((b - a, steps, n_j))
        factor = np.empty((b - a, steps))
        for i, rng in enumerate(rngs[a:b]):
            g = rng.standard_gamma(alpha)
            cum[i] = np.cumsum(g / g.sum(axis=1, keepdims=True), axis=1)
            factor[i] = (
                model.month_factor[first:]
                * _shock_path(model.shock, rng, steps)
                * shared[a + i, first:]
            )
            u[i] = rng.random((steps, n_j))
        out[a:b] = _walk(
            model, cum, u, k0, band, due, bounds, first, frac, factor, z0, size_factor, rep
        )
    return out


def _shock_path(shock: dict, rng: np.random.Generator, steps: int) -> np.ndarray:
    """A trial's company-wide win-rate factor for each month left, mean 1.

    AR(1) on the log scale from the last month's estimated shock:
    ``z_i = rho z_{i-1} + sqrt(1 - rho^2) sd e_i``, ``z_{-1} = last``. One normal
    per month left is drawn even without a shock, so the stream's layout is fixed.
    """
    eps = rng.standard_normal(steps)
    sd = float(shock.get("sd", 0.0))
    if sd <= 0:
        return np.ones(steps)
    rho = float(shock.get("rho", 0.0))
    z = np.empty(steps)
    prev = float(shock.get("last", 0.0))
    for i in range(steps):
        prev = rho * prev + np.sqrt(1.0 - rho**2) * sd * eps[i]
        z[i] = prev
    return np.exp(z - 0.5 * sd**2)


def _first_step(as_of: pd.Timestamp, year: int) -> tuple[int, float]:
    """The first month index left after ``as_of`` and the share of it left."""
    if as_of.year < year:
        return 0, 1.0
    if as_of.year > year:
        return 12, 0.0
    month_end = as_of + pd.offsets.MonthEnd(0)
    if as_of == month_end:
        return as_of.month, 1.0
    days = as_of.days_in_month
    return as_of.month - 1, (month_end - as_of).days / days


def _walk(
    model,
    cum,
    u,
    k0,
    band,
    due0,
    bounds,
    first,
    frac,
    factor,
    size=None,
    size_factor=None,
    rep=None,
) -> np.ndarray:
    """One chunk of trials: each opportunity's fate month by month.

    ``due0`` (n_opps,) is each expected close date in days after the as-of date,
    ``bounds`` each step's start and the year's end in the same days, ``factor``
    (trials, steps) each month's win factor (calendar month x company shock),
    ``size`` (n_opps,) each opportunity's size band and ``size_factor`` the band's
    win factor (default one band, factor 1). ``rep`` (optional) is each opportunity's
    rep's factors ``(win, loss)`` (n_opps,) of the chances of winning and losing,
    applied to each open cell on top of the month's table (:func:`_rep_outcome`), so
    memory stays trials x opportunities. An opportunity that moves stage gets a new
    close date (``entry_to_close_days``). Only the opportunities still open are
    carried from one month to the next.
    """
    if size is None or size_factor is None:
        size, size_factor = np.zeros(u.shape[2], dtype=np.int64), np.ones(1)
    n_z = len(size_factor)
    n_t, steps, n_j = u.shape
    n_s = model.n_states
    n_b = len(AGE_BANDS)
    won_at = np.full(n_t * n_j, -1, dtype=np.int64)
    # the open opportunities as flat (trial, opportunity) cells
    cell = np.arange(n_t * n_j)
    stage = np.tile(k0, n_t)
    due = np.tile(due0, n_t)
    gaps = model.entry_to_close_days
    u_flat = u.transpose(1, 0, 2).reshape(steps, n_t * n_j)
    for i in range(steps):
        if cell.size == 0:
            break
        # (trials, size bands, states, outcomes): each band's win factor on the month's
        table = np.stack([_season(cum, factor[:, i] * f) for f in size_factor], axis=1)
        flat = [np.ascontiguousarray(table[..., k]).ravel() for k in range(table.shape[-1] - 1)]
        t_of, j_of = np.divmod(cell, n_j)
        uu = u_flat[i].take(cell)
        moving = np.ones(cell.size, dtype=bool)
        if i == 0 and frac < 1.0:
            # a part month: a transition happens with the share of the month left
            moving = uu < frac
            uu = uu / frac
        state = (stage * n_b + band[i].take(j_of)) * 2 + (due <= bounds[i])
        state += (t_of * n_z + size.take(j_of)) * n_s
        if rep is not None:
            uu = _rep_outcome(flat, state, uu, rep[0].take(j_of), rep[1].take(j_of))
        outcome = np.zeros(cell.size, dtype=np.int64)
        for k in range(len(flat)):
            outcome += uu >= flat[k].take(state)
        won = moving & (outcome == _WON)
        won_at[cell[won]] = first + i
        closed = moving & (outcome <= _LOST)
        move = moving & (outcome >= 2) & (outcome - 2 != stage)
        if move.any():
            new = outcome[move] - 2
            stage[move] = new
            if gaps.size:
                due[move] = 0.5 * (bounds[i] + bounds[i + 1]) + gaps[new]
        keep = ~closed
        cell, stage, due = cell[keep], stage[keep], due[keep]
    return won_at.reshape(n_t, n_j)


def _rep_outcome(
    flat: list[np.ndarray], state: np.ndarray, uu: np.ndarray, win: np.ndarray, loss: np.ndarray
) -> np.ndarray:
    """The uniforms ``uu`` of the open cells mapped so that reading them on the month's
    cumulative table (``flat``, looked up at ``state``) gives each cell's outcome with
    its rep's factors: chances of winning ``win x w`` and of losing ``loss x l`` (both
    scaled down together if they pass 1), the open outcomes sharing what is left in
    their proportions.

    A uniform below ``win x w`` lands in the won interval, the next ``loss x l`` in the
    lost one, the rest in the open part, each stretched linearly onto the table's.
    """
    w = flat[_WON].take(state)
    closed = flat[_LOST].take(state)
    lost = closed - w
    w2, l2 = win * w, loss * lost
    total = w2 + l2
    over = total > 1.0
    if over.any():
        w2, l2 = np.where(over, w2 / total, w2), np.where(over, l2 / total, l2)
    rest2 = 1.0 - w2 - l2
    won = uu < w2
    was_lost = ~won & (uu < w2 + l2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # the uniform's position within its own interval, in [0, 1)
        at = np.where(won, uu / w2, np.where(was_lost, (uu - w2) / l2, (uu - w2 - l2) / rest2))
    at = np.clip(np.nan_to_num(at, nan=0.0), 0.0, np.nextafter(1.0, 0.0))
    return np.where(
        won,
        np.minimum(at * w, np.nextafter(w, -np.inf)),
        np.where(
            was_lost,
            np.minimum(w + at * lost, np.nextafter(closed, -np.inf)),
            closed + at * (1.0 - closed),
        ),
    )


def _season(cum: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The cumulative outcome tables with the win probability ``factor`` (one per
    trial) times each state's (at most ``1 - p_lost``), shape as ``cum`` (trials,
    states, outcomes).

    The lost share stays; the open outcomes share what is left in their proportions.
    """
    f = np.asarray(factor, dtype=float).reshape(-1, 1)
    w = cum[:, :, _WON]
    lost = cum[:, :, _LOST] - w
    w2 = np.minimum(f * w, 1.0 - lost)
    rest = 1.0 - w - lost
    rest2 = 1.0 - w2 - lost
    scale = np.where(rest > 0, rest2 / np.where(rest > 0, rest, 1.0), 0.0)
    out = np.empty_like(cum)
    out[:, :, _WON] = w2
    out[:, :, _LOST] = w2 + lost
    out[:, :, 2:] = (w2 + lost)[:, :, None] + (cum[:, :, 2:] - (w + lost)[:, :, None]) * scale[
        :, :, None
    ]
    return out
