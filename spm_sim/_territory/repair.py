"""From an LP's shares to an alignment inside its bands: rounding, repair, polish, contiguity.

Pure functions on the arrays of a :class:`~.problem.Problem` and an assignment (the
territory of each unit), used by :func:`~.solve.solve_scalable` after the LP
relaxation and its dive, and by :func:`~.design.design`:

* :func:`round_shares` sends each unit to the territory holding its largest LP share;
* :func:`repair` restores the bands (and the disruption cap) by moves and swaps of
  border units, guided by the LP's reduced costs when there is no contiguity;
* :func:`polish` lowers the cost by moves and swaps that keep every band;
* :func:`make_contiguous` hands the stray pieces of a territory to a neighbour;
* :func:`bands_hold`, :func:`violation` and :func:`violation_pair` measure how far
  an assignment is from its bands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .problem import EPS, Problem

__all__ = [
    "repair",
    "polish",
    "round_shares",
    "make_contiguous",
    "bands_hold",
    "violation",
    "violation_pair",
    "GUIDED_BATCH",
]


#: Moves a round of the guided repair makes at most: one move per round is the
#: greedy order exactly (and slow); all at once lets cheap moves that barely help
#: crowd out the ones that do. Ten kept the quality of one at a fifth of the time on
#: the sample organisation (8,000 accounts, 80 territories).
GUIDED_BATCH = 10


def violation(totals: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Band violation per measure (axis 0) and territory, in units of the band's middle."""
    sc = scale.reshape((-1,) + (1,) * (totals.ndim - 1))
    return (np.maximum(totals - hi, 0) + np.maximum(lo - totals, 0)) / sc


def repair(
    prob: Problem,
    assign: np.ndarray,
    *,
    candidates: int = 12,
    max_moves: int = 20000,
    neighbors: list[np.ndarray] | None = None,
    guide: np.ndarray | None = None,
) -> np.ndarray:
    """Restore the bands (and the disruption cap) by moves and swaps of border units.

    A move sends one unit to another of its ``candidates`` nearest territories; a
    swap exchanges two units between two territories. Each step takes the change
    that lowers the total band violation most, ties broken by the smaller increase
    in cost. With ``guide``, the (n, k) reduced costs of the LP relaxation (and no
    contiguity), a step instead takes the moves that cost least per unit of
    violation removed, priced by the reduced costs: they already hold the price of
    every band, so the cheap moves are the ones the LP itself found nearly as good
    (:func:`_guided_moves`); swaps when no move helps. Locked units never move.
    Stops when every band holds or no move or swap lowers the violation.
    """
    n, k = prob.n, prob.k
    assign = assign.copy()
    full = prob.full_cost()
    near = np.argsort(full, axis=1)[:, : min(candidates, k)]
    scale = prob.scale
    a = prob.measures
    movable = ~prob.locked
    # disruption as one more "measure" with a one-sided band, in units of its cap
    dis_on = prob.dis_cap is not None
    tie = 1e-9 / max(float(np.abs(full[np.isfinite(full)]).mean()), EPS)

    totals = np.zeros((a.shape[0], k))
    for m in range(a.shape[0]):
        np.add.at(totals[m], assign, a[m])
    cur = prob.current
    dis_scale = max(prob.dis_cap or 0.0, float(prob.dis_weight.sum()) * 1e-3, EPS)
    w_move = np.where(cur >= 0, prob.dis_weight, 0.0)

    def dis_excess(d):
        return max(0.0, d - prob.dis_cap) / dis_scale if dis_on else 0.0

    disrupted = prob.disrupted(assign)
    adjacency = _adjacency_matrix(neighbors) if neighbors is not None else None
    for _ in range(max_moves):
        v = violation(totals, prob.lo, prob.hi, scale)
        total_v = v.sum() + dis_excess(disrupted)
        if total_v <= 1e-12:
            break
        if guide is not None and neighbors is None:
            step = _guided_moves(prob, assign, totals, near, guide, disrupted, dis_scale)
            if step:
                disrupted = prob.disrupted(assign)
                continue
            if not _best_swap(prob, assign, totals, near, full, scale, movable, neighbors):
                break
            disrupted = prob.disrupted(assign)
            continue
        # --- single moves: unit i from assign[i] to near[i, l]
        src = assign
        dst = near
        new_src = totals[:, src] - a
        new_dst = totals[:, dst] + a[:, :, None]
        dv_src = violation_pair(new_src, prob.lo[:, src], prob.hi[:, src], scale) - v[:, src].sum(0)
        dv_dst = violation_pair(new_dst, prob.lo[:, dst], prob.hi[:, dst], scale) - v[:, dst].sum(0)
        dv = dv_src[:, None] + dv_dst
        if dis_on:
            was = (cur >= 0) & (src != cur)
            now = (cur[:, None] >= 0) & (dst != cur[:, None])
            dd = (now.astype(float) - was[:, None]) * w_move[:, None]
            after = np.maximum(disrupted + dd - prob.dis_cap, 0.0) / dis_scale
            dv = dv + after - dis_excess(disrupted)
        dc = full[np.arange(n)[:, None], dst] - full[np.arange(n), src][:, None]
        bad = (dst == src[:, None]) | ~movable[:, None]
        if neighbors is not None:
            bad |= ~_touches(adjacency, assign, dst, k)
        score = np.where(bad | (dv >= -1e-12), np.inf, dv + tie * dc)
        moved = False
        flat = np.argsort(score, axis=None)[:25] if neighbors is not None else [score.argmin()]
        for f in flat:
            i, c = np.unravel_index(f, score.shape)
            if not np.isfinite(score[i, c]):
                break
            if neighbors is not None and not _keeps_connected(neighbors, assign, i):
                continue
            j0, j1 = assign[i], near[i, c]
            totals[:, j0] -= a[:, i]
            totals[:, j1] += a[:, i]
            disrupted += _dis_delta(cur, w_move, i, j0, j1)
            assign[i] = j1
            moved = True
            break
        if moved:
            continue
        if neighbors is not None and _level(
            prob,
            assign,
            totals,
            a,
            new_src,
            new_dst,
            src,
            dst,
            near,
            bad | (dv > 1e-12),
            neighbors,
        ):
            disrupted = prob.disrupted(assign)
            continue
        # --- swaps between the most violated territory and its neighbours
        if not _best_swap(prob, assign, totals, near, full, scale, movable, neighbors):
            break
        disrupted = prob.disrupted(assign)
    return assign


def _guided_moves(prob, assign, totals, near, guide, disrupted, dis_scale) -> int:
    """One round of the guided repair: the moves that lower the band violation at
    the least reduced cost per unit of violation removed, applied in that order while
    each touches territories no earlier move of the round touched (so the totals each
    was scored on still hold); one move per round under a disruption cap. Returns the
    number of moves made (``assign`` and ``totals`` change in place)."""
    a, scale = prob.measures, prob.scale
    v = violation(totals, prob.lo, prob.hi, scale)
    src = assign
    new_src = totals[:, src] - a
    new_dst = totals[:, near] + a[:, :, None]
    dv = (violation_pair(new_src, prob.lo[:, src], prob.hi[:, src], scale) - v[:, src].sum(0))[
        :, None
    ] + (violation_pair(new_dst, prob.lo[:, near], prob.hi[:, near], scale) - v[:, near].sum(0))
    cur = prob.current
    if prob.dis_cap is not None:
        w = np.where(cur >= 0, prob.dis_weight, 0.0)
        was = (cur >= 0) & (src != cur)
        now = (cur[:, None] >= 0) & (near != cur[:, None])
        after = disrupted + (now.astype(float) - was[:, None]) * w[:, None]
        excess = max(0.0, disrupted - prob.dis_cap) / dis_scale
        dv = dv + np.maximum(after - prob.dis_cap, 0.0) / dis_scale - excess
    ok = (dv < -1e-12) & (near != src[:, None]) & ~prob.locked[:, None]
    if not ok.any():
        return 0
    ii, cc = np.nonzero(ok)
    price = np.maximum(guide[ii, near[ii, cc]] - guide[ii, src[ii]], 0.0)
    order = np.lexsort((ii, price / -dv[ii, cc]))
    touched = np.zeros(prob.k, bool)
    made = 0
    for t in order:
        i, j1 = ii[t], near[ii[t], cc[t]]
        j0 = assign[i]
        if touched[j0] or touched[j1]:
            continue
        totals[:, j0] -= a[:, i]
        totals[:, j1] += a[:, i]
        assign[i] = j1
        touched[j0] = touched[j1] = True
        made += 1
        if prob.dis_cap is not None or made >= GUIDED_BATCH:
            break
    return made


def _level(prob, assign, totals, a, new_src, new_dst, src, dst, near, bad, neighbors) -> bool:
    """With contiguity, when no move lowers the violation: the border move that most
    evens out the territories (sum of squared relative deviations from the band's
    middle) without raising the violation, so load can flow through chains of
    neighbouring territories toward the one that needs it."""
    mid = (prob.lo + prob.hi) / 2
    mid = np.where(mid > 0, mid, 1.0)

    def sq(t, cols):
        return ((t / mid[:, cols] - 1) ** 2).sum(0)

    dsq = (sq(new_src, src) - sq(totals[:, src], src))[:, None] + (
        sq(new_dst, dst) - sq(totals[:, dst], dst)
    )
    score = np.where(bad | (dsq >= -1e-9), np.inf, dsq)
    for f in np.argsort(score, axis=None)[:25]:
        i, c = np.unravel_index(f, score.shape)
        if not np.isfinite(score[i, c]):
            return False
        if not _keeps_connected(neighbors, assign, i):
            continue
        j0, j1 = assign[i], near[i, c]
        totals[:, j0] -= a[:, i]
        totals[:, j1] += a[:, i]
        assign[i] = j1
        return True
    return False


def violation_pair(totals, lo, hi, scale):
    """Violation summed over the measures (axis 0), for totals of any shape."""
    return violation(totals, lo, hi, scale).sum(0)


def _dis_delta(cur, w, i, j0, j1):
    if cur[i] < 0:
        return 0.0
    return float(w[i]) * (int(j1 != cur[i]) - int(j0 != cur[i]))


def _adjacency_matrix(neighbors) -> sp.csr_matrix:
    rows = np.repeat(np.arange(len(neighbors)), [len(nb) for nb in neighbors])
    cols = np.concatenate([np.asarray(nb, int) for nb in neighbors]) if len(rows) else rows
    n = len(neighbors)
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))


def _touches(adjacency, assign, dst, k):
    """Whether unit i borders territory dst[i, l] (contiguity-preserving moves)."""
    n = assign.size
    onehot = sp.csr_matrix((np.ones(n), (np.arange(n), assign)), shape=(n, k))
    border = (adjacency @ onehot).toarray() > 0
    return border[np.arange(n)[:, None], dst]


def _keeps_connected(neighbors, assign, i) -> bool:
    """Whether territory assign[i] stays connected without unit i."""
    j = assign[i]
    members = np.flatnonzero(assign == j)
    members = members[members != i]
    if members.size <= 1:
        return members.size == 1
    return _connected(neighbors, set(members.tolist()))


def _connected(neighbors, members: set) -> bool:
    start = next(iter(members))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for v in neighbors[u]:
            v = int(v)
            if v in members and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(members)


def _best_swap(prob, assign, totals, near, full, scale, movable, neighbors) -> bool:
    """Apply the swap that lowers the band violation most; False when none does."""
    v = violation(totals, prob.lo, prob.hi, scale)
    per = v.sum(0)
    a = prob.measures
    cur = prob.current
    w = np.where(cur >= 0, prob.dis_weight, 0.0)
    dis_now = prob.disrupted(assign)
    tie = 1e-9 / max(float(np.abs(full[np.isfinite(full)]).mean()), EPS)
    is_near = np.zeros(full.shape, bool)
    is_near[np.arange(prob.n)[:, None], near] = True
    for j in np.argsort(-per):
        if per[j] <= 0:
            return False
        inside = np.flatnonzero((assign == j) & movable)
        best: tuple[float, tuple[int, int, int] | None] = (0.0, None)
        for jp in np.unique(near[inside]):
            if jp == j:
                continue
            ii = inside[is_near[inside, jp]]
            ip = np.flatnonzero((assign == jp) & movable & is_near[:, j])
            if ii.size == 0 or ip.size == 0:
                continue
            d = a[:, ii][:, :, None] - a[:, ip][:, None, :]
            nj = totals[:, j][:, None, None] - d
            njp = totals[:, jp][:, None, None] + d
            dv = (
                violation_pair(nj, prob.lo[:, j, None, None], prob.hi[:, j, None, None], scale)
                + violation_pair(njp, prob.lo[:, jp, None, None], prob.hi[:, jp, None, None], scale)
                - per[j]
                - per[jp]
            )
            if prob.dis_cap is not None:
                dd = (
                    w[ii][:, None] * (1.0 * (jp != cur[ii]) - (j != cur[ii]))[:, None]
                    + w[ip][None, :] * (1.0 * (j != cur[ip]) - (jp != cur[ip]))[None, :]
                )
                dv = np.where(dis_now + dd > prob.dis_cap + 1e-9, np.inf, dv)
            dc = (
                full[ii, jp][:, None]
                + full[ip, j][None, :]
                - full[ii, j][:, None]
                - full[ip, jp][None, :]
            )
            s = dv + tie * dc
            x, y = np.unravel_index(np.argmin(s), s.shape)
            if dv[x, y] < -1e-12 and s[x, y] < best[0]:
                best = (s[x, y], (ii[x], ip[y], jp))
        if best[1] is not None:
            i, ip_, jp = best[1]
            if neighbors is not None and not _swap_ok(neighbors, assign, i, ip_, j, jp):
                continue
            totals[:, j] += a[:, ip_] - a[:, i]
            totals[:, jp] += a[:, i] - a[:, ip_]
            assign[i], assign[ip_] = jp, j
            return True
    return False


def _swap_ok(neighbors, assign, i, ip, j, jp) -> bool:
    trial = assign.copy()
    trial[i], trial[ip] = jp, j
    for t in (j, jp):
        members = set(np.flatnonzero(trial == t).tolist())
        if members and not _connected(neighbors, members):
            return False
    return True


def round_shares(prob: Problem, x: np.ndarray, pairs) -> np.ndarray:
    """Each unit to the territory holding its largest LP share."""
    rows, cols = pairs
    assign = np.full(prob.n, -1)
    order = np.argsort(x, kind="stable")
    assign[rows[order]] = cols[order]  # the last write per unit is its largest share
    return assign


def polish(
    prob: Problem, assign: np.ndarray, *, candidates: int = 12, max_passes: int = 20
) -> np.ndarray:
    """Lower the cost by moves and swaps that keep every band (and the cap).

    A local search alternating single moves (:func:`_polish_moves`) and exchanges
    of two units between neighbouring territories (:func:`_polish_swaps`, over each
    unit's ``min(candidates, 8)`` nearest territories) until neither lowers the cost.
    Swaps matter with tight bands: a move must fit in the slack of two territories,
    a swap only the difference of the two units.
    """
    assign = assign.copy()
    full = prob.full_cost()
    near = np.argsort(full, axis=1, kind="stable")[:, : min(candidates, 8, prob.k)]
    cost = prob.objective(assign)
    for _ in range(max_passes):
        assign = _polish_moves(prob, assign, candidates=candidates)
        assign = _polish_swaps(prob, assign, near)
        new = prob.objective(assign)
        if new >= cost - 1e-9 * max(abs(cost), 1.0):
            break
        cost = new
    return assign


def _polish_moves(
    prob: Problem, assign: np.ndarray, *, candidates: int = 12, max_rounds: int = 500
) -> np.ndarray:
    """Lower the cost by moves that keep every band (and the cap).

    Each round takes the improving moves in order of saving, at most one per
    territory touched, so the bands checked for one move are not changed by another.
    """
    n, k = prob.n, prob.k
    assign = assign.copy()
    full = prob.full_cost()
    near = np.argsort(full, axis=1)[:, : min(candidates, k)]
    a = prob.measures
    rows = np.arange(n)[:, None]
    totals = np.stack([np.bincount(assign, weights=a[m], minlength=k) for m in range(len(a))])
    cur = prob.current
    w = np.where(cur >= 0, prob.dis_weight, 0.0)
    disrupted = prob.disrupted(assign)
    slack = 1e-9 * np.maximum(np.abs(prob.hi), 1.0)
    for _ in range(max_rounds):
        src = assign
        dc = full[rows, near] - full[np.arange(n), src][:, None]
        ok = (dc < -1e-12) & (near != src[:, None]) & ~prob.locked[:, None]
        if not ok.any():
            break
        left = totals[:, src] - a  # (m, n)
        ok &= ((left >= prob.lo[:, src] - slack[:, src]).all(0))[:, None]
        got = totals[:, near] + a[:, :, None]
        ok &= (got <= prob.hi[:, near] + slack[:, near]).all(0)
        if prob.dis_cap is not None:
            dd = w[:, None] * ((near != cur[:, None]) * 1.0 - (src != cur)[:, None])
            ok &= dd <= 0  # never spend the cap in the polish: simpler and safe
        if not ok.any():
            break
        ii, cc = np.nonzero(ok)
        order = np.argsort(dc[ii, cc], kind="stable")
        touched = np.zeros(k, bool)
        applied = 0
        for t in order:
            i, j1 = ii[t], near[ii[t], cc[t]]
            j0 = assign[i]
            if touched[j0] or touched[j1]:
                continue
            totals[:, j0] -= a[:, i]
            totals[:, j1] += a[:, i]
            if prob.dis_cap is not None:
                disrupted += _dis_delta(cur, w, i, j0, j1)
            assign[i] = j1
            touched[j0] = touched[j1] = True
            applied += 1
        if applied == 0:
            break
    return assign


def bands_hold(prob: Problem, assign: np.ndarray, tol: float = 1e-9) -> bool:
    totals = np.zeros((prob.measures.shape[0], prob.k))
    for m in range(prob.measures.shape[0]):
        np.add.at(totals[m], assign, prob.measures[m])
    scale = prob.scale
    ok = violation(totals, prob.lo, prob.hi, scale).max() <= tol
    if prob.dis_cap is not None:
        ok &= prob.disrupted(assign) <= prob.dis_cap * (1 + 1e-9) + 1e-9
    return bool(ok)


def make_contiguous(neighbors, assign: np.ndarray, locked: np.ndarray | None = None) -> np.ndarray:
    """Hand every piece of a territory but its main one to the neighbouring territory
    it borders most, until each territory is one piece. The main piece is the largest
    holding a locked unit, else the largest; a piece with a locked unit never moves
    (the territory then stays in pieces, which the metrics show)."""
    assign = assign.copy()
    locked = np.zeros(assign.size, bool) if locked is None else locked
    for _ in range(len(neighbors)):
        changed = False
        for j in np.unique(assign):
            pieces = _pieces(neighbors, np.flatnonzero(assign == j))
            if len(pieces) <= 1:
                continue
            pieces.sort(key=lambda p: (bool(locked[p].any()), len(p)), reverse=True)
            for piece in pieces[1:]:
                if locked[piece].any():
                    continue
                border: Any = np.concatenate([neighbors[u] for u in piece]) if piece else []
                other = [assign[b] for b in border if assign[b] != j]
                if not other:
                    continue
                vals, counts = np.unique(other, return_counts=True)
                tgt = vals[np.argmax(counts)]
                assign[piece] = tgt
                changed = True
        if not changed:
            break
    return assign


def _pieces(neighbors, members: np.ndarray) -> list[list[int]]:
    left = set(members.tolist())
    out = []
    while left:
        start = left.pop()
        comp = [start]
        stack = [start]
        while stack:
            u = stack.pop()
            for v in neighbors[u]:
                v = int(v)
                if v in left:
                    left.remove(v)
                    comp.append(v)
                    stack.append(v)
        out.append(comp)
    return out


def _polish_swaps(
    prob: Problem, assign: np.ndarray, near: np.ndarray, *, max_rounds: int = 200
) -> np.ndarray:
    """Exchanges of two units between neighbouring territories that keep every band
    and lower the cost; each round applies the best swap of every dirty pair."""
    n, k = prob.n, prob.k
    full = prob.full_cost()
    a = prob.measures
    movable = ~prob.locked
    if prob.dis_cap is not None:  # swaps could spend the cap: only unassigned units
        movable = movable & (prob.current < 0)
    is_near = np.zeros((n, k), bool)
    is_near[np.arange(n)[:, None], near] = True
    is_near &= movable[:, None]
    totals = np.stack([np.bincount(assign, weights=a[m], minlength=k) for m in range(len(a))])
    slack = 1e-9 * np.maximum(np.abs(prob.hi), 1.0)
    lo, hi = prob.lo - slack, prob.hi + slack
    # pairs (j, jp), j < jp, with a unit of one near the other
    link = np.zeros((k, k), bool)
    src = np.repeat(assign[movable], near.shape[1])
    link[src, near[movable].ravel()] = True
    link = (link | link.T) & ~np.eye(k, dtype=bool)
    pj, pjp = np.nonzero(np.triu(link))
    dirty = np.ones(k, bool)
    for _ in range(max_rounds):
        found = []
        for j, jp in zip(pj, pjp, strict=True):
            if not (dirty[j] or dirty[jp]):
                continue
            ii = np.flatnonzero((assign == j) & is_near[:, jp])
            ip = np.flatnonzero((assign == jp) & is_near[:, j])
            if ii.size == 0 or ip.size == 0:
                continue
            dc = (full[ii, jp] - full[ii, j])[:, None] + (full[ip, j] - full[ip, jp])[None, :]
            ok = dc < -1e-9
            if not ok.any():
                continue
            d = a[:, ii][:, :, None] - a[:, ip][:, None, :]  # (m, |ii|, |ip|)
            nj = totals[:, j, None, None] - d
            njp = totals[:, jp, None, None] + d
            ok &= ((nj >= lo[:, j, None, None]) & (nj <= hi[:, j, None, None])).all(0)
            ok &= ((njp >= lo[:, jp, None, None]) & (njp <= hi[:, jp, None, None])).all(0)
            if not ok.any():
                continue
            s = np.where(ok, dc, np.inf)
            x, y = np.unravel_index(np.argmin(s), s.shape)
            found.append((s[x, y], j, jp, ii[x], ip[y]))
        dirty[:] = False
        if not found:
            break
        found.sort(key=lambda t: (t[0], t[1], t[2]))
        for _, j, jp, i, ipp in found:
            if dirty[j] or dirty[jp]:
                continue
            totals[:, j] += a[:, ipp] - a[:, i]
            totals[:, jp] += a[:, i] - a[:, ipp]
            assign[i], assign[ipp] = jp, j
            dirty[j] = dirty[jp] = True
    return assign
