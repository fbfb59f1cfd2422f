"""Solvers behind :func:`spm_sim.territory.design`: pure functions on arrays.

The assignment problem, for ``n`` units and ``k`` territories with fixed centers::

    minimise    sum_ij c_ij x_ij                        (c_ij = w_i d_ij [+ penalty])
    subject to  sum_j x_ij = 1                          every unit in one territory
                lo_mj <= sum_i a_mi x_ij <= hi_mj       every band of every measure
                sum_i v_i x_i,cur(i) >= V - cap         disruption cap (optional)
                x_i,cur(i) = 1                          locked units
                x_ij in {0, 1}

:func:`solve_exact` hands this MILP to HiGHS (``scipy.optimize.milp``).
:func:`solve_scalable` solves its LP relaxation over each unit's ``L`` nearest
centers, prices the other columns with the LP duals until none has a negative
reduced cost (so HiGHS's optimal value is a lower bound of the full problem), fixes
the coarse units the LP splits and re-solves (a dive), rounds each unit to its
largest share, restores the bands with moves and swaps of border units guided by the
reduced costs (:func:`~.repair.repair`) and shortens the result
(:func:`~.repair.polish`).

The LP lives in one HiGHS model kept between solves (:class:`~.lp.AssignmentLP`,
through ``highspy``); :class:`~.problem.Problem` and :class:`~.problem.Solution`
are the arrays of a problem and a solver's answer; the rounding, repair, polish and
contiguity steps are in :mod:`.repair`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .lp import AssignmentLP
from .problem import Problem, Solution
from .repair import bands_hold, make_contiguous, polish, repair, round_shares

__all__ = ["solve_exact", "solve_scalable"]


def _columns(prob: Problem, pairs: tuple[np.ndarray, np.ndarray]):
    """Constraint blocks of the columns ``pairs = (units, territories)``."""
    rows, cols = pairs
    nv = rows.size
    ar = np.arange(nv)
    eq = sp.csr_matrix((np.ones(nv), (rows, ar)), shape=(prob.n, nv))
    bands = [
        sp.csr_matrix((prob.measures[m, rows], (cols, ar)), shape=(prob.k, nv))
        for m in range(prob.measures.shape[0])
    ]
    blocks, lo, hi = [eq], [np.ones(prob.n)], [np.ones(prob.n)]
    for m, block in enumerate(bands):
        blocks.append(block)
        lo.append(prob.lo[m])
        hi.append(prob.hi[m])
    if prob.dis_cap is not None:
        keep = np.where(cols == prob.current[rows], prob.dis_weight[rows], 0.0)
        total = float(prob.dis_weight[prob.current >= 0].sum())
        blocks.append(sp.csr_matrix(keep[None, :]))
        lo.append(np.array([total - prob.dis_cap]))
        hi.append(np.array([np.inf]))
    return sp.vstack(blocks).tocsr(), np.concatenate(lo), np.concatenate(hi)


def _bounds(prob: Problem, pairs) -> tuple[np.ndarray, np.ndarray]:
    """Variable bounds: a locked unit's column to its own territory is fixed at 1."""
    rows, cols = pairs
    lb = np.zeros(rows.size)
    lb[prob.locked[rows] & (cols == prob.current[rows])] = 1.0
    return lb, np.ones(rows.size)


def _all_pairs(prob: Problem) -> tuple[np.ndarray, np.ndarray]:
    ok = np.ones((prob.n, prob.k), bool)
    lk = np.flatnonzero(prob.locked)
    ok[lk] = False
    ok[lk, prob.current[lk]] = True
    rows, cols = np.nonzero(ok)
    return rows, cols


def solve_exact(
    prob: Problem,
    *,
    time_limit: float = 60.0,
    rel_gap: float = 1e-4,
    incumbent: Solution | None = None,
) -> Solution:
    """Solve the assignment MILP with HiGHS; proven optimal unless the time runs out.

    With an ``incumbent`` that carries the reduced costs of the priced-out LP
    relaxation (a :func:`solve_scalable` answer), the columns whose reduced cost
    exceeds the incumbent's gap to the LP bound are left out before HiGHS starts:
    any alignment using such a column costs more than the incumbent, so the smaller
    MILP has the same optimum (reduced-cost fixing).
    """
    pairs = _all_pairs(prob)
    fixed = 0
    if (
        incumbent is not None
        and incumbent.reduced is not None
        and np.isfinite(incumbent.bound)
        and incumbent.status == "heuristic"
    ):
        slack = incumbent.objective - incumbent.bound
        tol = 1e-7 * max(1.0, abs(incumbent.objective))
        keep = incumbent.reduced[pairs] <= slack + tol
        keep |= pairs[1] == incumbent.assign[pairs[0]]
        fixed = int((~keep).sum())
        pairs = (pairs[0][keep], pairs[1][keep])
    cost = prob.full_cost()[pairs]
    a, lo, hi = _columns(prob, pairs)
    lb, ub = _bounds(prob, pairs)
    res = milp(
        cost,
        constraints=LinearConstraint(a, lo, hi),
        integrality=np.ones(cost.size),
        bounds=Bounds(lb, ub),
        options={"time_limit": float(time_limit), "mip_rel_gap": rel_gap, "disp": False},
    )
    note = (
        f"; {fixed:,} of {fixed + cost.size:,} columns fixed at 0 by their LP reduced cost"
        if fixed
        else ""
    )
    if res.x is None:
        status = "infeasible" if res.status == 2 else "time_limit"
        return Solution(np.full(prob.n, -1), np.nan, _dual_bound(res), status, res.message + note)
    x = res.x > 0.5
    assign = np.full(prob.n, -1)
    assign[pairs[0][x]] = pairs[1][x]
    bound = _dual_bound(res)
    status = "optimal" if res.status == 0 else "time_limit"
    return Solution(assign, prob.objective(assign), bound, status, res.message + note)


def _dual_bound(res) -> float:
    """HiGHS's proven bound (0.0 is a bound, not a missing value)."""
    b = getattr(res, "mip_dual_bound", None)
    return np.nan if b is None else float(b)


def solve_scalable(
    prob: Problem,
    *,
    candidates: int = 12,
    neighbors: list[np.ndarray] | None = None,
    phase: Callable[[str], None] | None = None,
    lp: AssignmentLP | None = None,
) -> Solution | None:
    """LP relaxation, a dive, rounding and band repair; ``None`` when the LP is infeasible.

    The LP relaxation priced out over every pair gives the bound (HiGHS's optimal
    value); :meth:`AssignmentLP.dive` then fixes the coarse units the LP splits, the
    shares are rounded, :func:`repair` restores the bands guided by the reduced costs
    and :func:`polish` shortens the result.

    ``phase(name)`` is called as each stage starts (for a progress bar); ``lp``, a
    model of the same units and territories, is changed to ``prob`` and
    warm-started (see :func:`~.lp.solve_lp`)."""
    say = phase or (lambda _name: None)
    say("LP relaxation")
    if lp is None or not lp.compatible(prob):
        lp = AssignmentLP(prob)
    out = lp.solve(prob, candidates=candidates)
    if out is None:
        return None
    _, _, bound, reduced = out
    say("rounding and repair")
    x, pairs, guide = lp.dive()
    assign = round_shares(prob, x, pairs)
    if neighbors is not None:
        assign = make_contiguous(neighbors, assign, prob.locked)
    assign = repair(prob, assign, candidates=candidates, neighbors=neighbors, guide=guide)
    ok = bands_hold(prob, assign)
    if not ok and neighbors is None:  # where the guided steps stall, the plain ones go on
        assign = repair(prob, assign, candidates=candidates)
        ok = bands_hold(prob, assign)
    if ok and neighbors is None:
        say("polishing")
        assign = polish(prob, assign, candidates=candidates)
    status = "heuristic" if ok else "bands_not_met"
    msg = (
        "LP relaxation, dive, rounding and repair"
        if ok
        else "the repair could not bring every territory inside its band"
    )
    return Solution(assign, prob.objective(assign), bound, status, msg, reduced)
