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
reduced costs (:func:`repair`) and shortens the result (:func:`polish`).

The LP lives in one HiGHS model (:class:`AssignmentLP`, through ``highspy``) that is
changed in place between solves: new costs as the centers move, new bands, locks
and the cap, new columns from the pricing, bounds during the dive. Each solve starts
from the last optimal basis; only a model without one (or a new seed set) is solved
from scratch, by the interior point method and crossover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

_EPS = 1e-9


@dataclass(frozen=True)
class Problem:
    """Arrays of one assignment problem (internal).

    cost : (n, k) travel cost of unit i in territory j (already weighted)
    measures : (m, n) balanced measures per unit
    lo, hi : (m, k) band of every territory and measure
    current : (n,) current territory index, -1 for none
    dis_weight : (n,) what a move of the unit counts toward disruption
    dis_cap : absolute cap on the disrupted total, or None
    penalty : (n,) added to cost_ij for j != current(i) (0 for none)
    locked : (n,) bool, units that must stay in their current territory
    """

    cost: np.ndarray
    measures: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    current: np.ndarray
    dis_weight: np.ndarray
    dis_cap: float | None
    penalty: np.ndarray
    locked: np.ndarray

    @property
    def n(self) -> int:
        return self.cost.shape[0]

    @property
    def k(self) -> int:
        return self.cost.shape[1]

    @property
    def scale(self) -> np.ndarray:
        """(m,) the middle of each measure's band, the unit of band violations."""
        return np.maximum(np.abs(self.hi + self.lo).mean(axis=1) / 2, _EPS)

    def full_cost(self) -> np.ndarray:
        """Cost with the disruption penalty added where a unit leaves its rep."""
        c = self.cost.copy()
        has = self.current >= 0
        if np.any(self.penalty[has] > 0):
            idx = np.flatnonzero(has)
            c[idx] += self.penalty[idx, None]
            c[idx, self.current[idx]] -= self.penalty[idx]
        return c

    def objective(self, assign: np.ndarray) -> float:
        return float(self.full_cost()[np.arange(self.n), assign].sum())

    def disrupted(self, assign: np.ndarray) -> float:
        moved = (self.current >= 0) & (assign != self.current)
        return float(self.dis_weight[moved].sum())


@dataclass(frozen=True)
class Solution:
    assign: np.ndarray
    objective: float
    bound: float  # a proven lower bound of the objective (nan when unknown)
    status: str  # "optimal", "time_limit", "heuristic", "bands_not_met"
    message: str
    # (n, k) reduced costs of the priced-out LP relaxation whose value is ``bound``
    reduced: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float:
        if not np.isfinite(self.bound) or self.objective <= 0:
            return 0.0 if self.objective == self.bound else float("nan")
        return max(0.0, (self.objective - self.bound) / abs(self.objective))


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


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` with HiGHS's console log off before its first call.

    The stock constructor makes a call (``enableCallbacks``) that writes HiGHS's
    banner to the process's standard output before any option can be set; a CLI
    command's output or a doctest would carry it. Here that call turns the log off
    first.
    """

    def enableCallbacks(self):  # noqa: N802 (highspy's name)
        self.setOptionValue("output_flag", False)
        return super().enableCallbacks()


#: Moves a round of the guided repair makes at most: one move per round is the
#: greedy order exactly (and slow); all at once lets cheap moves that barely help
#: crowd out the ones that do. Ten kept the quality of one at a fifth of the time on
#: the sample organisation (8,000 accounts, 80 territories).
GUIDED_BATCH = 10
#: Columns from which a solve from scratch uses the interior point method.
IPM_COLUMNS = 20_000
#: Share of each band's half width the dive keeps free on either side.
DIVE_MARGIN = 0.1
#: Price of missing a band by a mean territory's worth of a measure in an elastic
#: LP, in units of the largest cost of a unit: far above any move of units.
ELASTIC_PRICE = 1000.0
#: A new pool holds each territory's nearest units up to this many times the
#: band's middle of every measure (:func:`_covering`).
COVER = 3.0
#: Rounds of the dive (:meth:`AssignmentLP.dive`) at most.
DIVE_ROUNDS = 12

#: Whether :class:`AssignmentLP` starts each solve from the previous basis (tests
#: compare the warm path with cold solves of the same models).
WARM_START = True

_OPTIMAL = highspy.HighsModelStatus.kOptimal
_INFEASIBLE = (
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
)


class AssignmentLP:
    """The LP relaxation of the assignment problem as one HiGHS model kept between solves.

    The columns are a pool of (unit, territory) pairs that only grows (each unit's
    nearest territories and each territory's nearest units, more when the
    restriction is infeasible, and every column the LP duals price out with a
    negative reduced cost), after two elastic columns per band row that let the band
    be missed at a high price when a solve asks for it (:meth:`set_elastic`). Between
    solves the model is changed in place, not rebuilt: the costs when the centers
    move, the bands, the bounds of locked units' columns and the disruption row;
    HiGHS then starts from the last optimal basis (still primal feasible after a
    change of costs, so a few simplex iterations usually restore optimality). Rows:
    one per unit (``sum_j x_ij = 1``), one per measure and territory (its band, in
    units of the band's middle), and the disruption cap when there is one.
    ``relabel`` renumbers the territories without touching the model.
    """

    def __init__(self, prob: Problem, *, warm: bool | None = None) -> None:
        self.n, self.k = prob.n, prob.k
        self.measures = prob.measures
        # band rows in units of the band's middle: coefficients near 1/k, not dollars
        self.unit = prob.scale
        self.scaled = prob.measures / self.unit[:, None]
        self.warm = WARM_START if warm is None else warm
        self.use = np.zeros((self.n, self.k), bool)  # pool membership, by territory label
        self.col = np.full((self.n, self.k), -1, np.int64)  # column of each pair in the pool
        self.rows = np.zeros(0, np.int64)  # unit of each column
        self.terr = np.zeros(0, np.int64)  # model territory of each column
        self.label = np.arange(self.k)  # territory label of each model territory
        self.slot = np.arange(self.k)  # model territory of each label
        self.dis_row: int | None = None
        self.dis_key: tuple[np.ndarray, np.ndarray] | None = None
        self.iterations = 0  # simplex iterations over every solve
        self.solves = 0
        self.prob = prob
        h = _QuietHighs()
        h.setOptionValue("presolve", "off")  # a warm start needs the model as it is
        h.setOptionValue("parallel", "off")  # one thread: the same answer on any machine
        m = self.measures.shape[0]
        nrow = self.n + m * self.k
        lo = np.concatenate([np.ones(self.n), (prob.lo / self.unit[:, None]).ravel()])
        hi = np.concatenate([np.ones(self.n), (prob.hi / self.unit[:, None]).ravel()])
        h.addRows(nrow, lo, hi, 0, np.zeros(nrow, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # the elastic columns, first: one that adds to each band row and one that takes
        # from it, off (bounds 0) unless a solve asks for them
        nb = m * self.k
        band = (self.n + np.tile(np.arange(nb), 2)).astype(np.int32)
        h.addCols(
            2 * nb,
            np.zeros(2 * nb),
            np.zeros(2 * nb),
            np.zeros(2 * nb),
            2 * nb,
            np.arange(2 * nb, dtype=np.int32),
            band,
            np.repeat([1.0, -1.0], nb),
        )
        self.base = 2 * nb  # the column of pool position p is base + p
        self.elastic = False
        self.h = h
        self._bands = (prob.lo / self.unit[:, None], prob.hi / self.unit[:, None])
        self._locked_any = False
        self._basis = False  # whether the model holds an optimal basis to start from
        self.update(prob)

    # --- changes to the model -------------------------------------------------------
    def compatible(self, prob: Problem) -> bool:
        """Whether ``prob`` is this model with other costs, bands, locks or cap."""
        if (prob.n, prob.k) != (self.n, self.k):
            return False
        if prob.measures is not self.measures and not np.array_equal(prob.measures, self.measures):
            return False
        if self.dis_key is not None and prob.dis_cap is not None:
            cur, w = self.dis_key
            return bool(np.array_equal(cur, prob.current) and np.array_equal(w, prob.dis_weight))
        return True

    def update(self, prob: Problem) -> None:
        """Make the model ``prob``'s: its costs, bands, locks and disruption cap."""
        if not self.compatible(prob):
            raise ValueError("AssignmentLP.update: a problem of another shape or measures")
        self.prob = prob
        self.full = prob.full_cost()
        self._set_costs(np.arange(self.rows.size))
        price = ELASTIC_PRICE * max(float(np.abs(self.full).max()), 1.0)
        idx = np.arange(self.base, dtype=np.int32)
        self.h.changeColsCost(self.base, idx, np.full(self.base, price))
        lo = prob.lo[:, self.label] / self.unit[:, None]
        hi = prob.hi[:, self.label] / self.unit[:, None]
        if not (np.array_equal(lo, self._bands[0]) and np.array_equal(hi, self._bands[1])):
            self._bands = (lo.copy(), hi.copy())
            self._band_rows(0.0)
        if self._locked_any or prob.locked.any():
            self._set_bounds(np.arange(self.rows.size))
            self._locked_any = bool(prob.locked.any())
        self._set_cap(prob)

    def set_elastic(self, on: bool) -> None:
        """Let the band rows be missed at a high price (``on``) or not: an elastic LP
        is always feasible, so a pool too small for the bands costs no solve to find
        out; it only serves to move the centers, never as a bound."""
        if on != self.elastic:
            idx = np.arange(self.base, dtype=np.int32)
            up = np.full(self.base, highspy.kHighsInf if on else 0.0)
            self.h.changeColsBounds(self.base, idx, np.zeros(self.base), up)
            self.elastic = on

    def _set_costs(self, cols: np.ndarray) -> None:
        if cols.size:
            c = self.full[self.rows[cols], self.label[self.terr[cols]]]
            self.h.changeColsCost(cols.size, (self.base + cols).astype(np.int32), c)

    def _set_bounds(self, cols: np.ndarray) -> None:
        """Column bounds: a locked unit's column to its own territory is fixed at 1, its
        other columns at 0."""
        if not cols.size:
            return
        p = self.prob
        r = self.rows[cols]
        own = self.label[self.terr[cols]] == p.current[r]
        lb = (p.locked[r] & own).astype(float)
        ub = np.where(p.locked[r] & ~own, 0.0, 1.0)
        self.h.changeColsBounds(cols.size, (self.base + cols).astype(np.int32), lb, ub)

    def _set_cap(self, prob: Problem) -> None:
        if prob.dis_cap is None:
            if self.dis_row is not None:
                self.h.changeRowBounds(self.dis_row, -highspy.kHighsInf, highspy.kHighsInf)
            return
        total = float(prob.dis_weight[prob.current >= 0].sum())
        if self.dis_row is None:
            cols = np.flatnonzero(self.label[self.terr] == prob.current[self.rows])
            w = prob.dis_weight[self.rows[cols]]
            idx = (self.base + cols).astype(np.int32)
            self.h.addRow(total - prob.dis_cap, highspy.kHighsInf, cols.size, idx, w)
            self.dis_row = self.n + self.measures.shape[0] * self.k
            self.dis_key = (prob.current.copy(), prob.dis_weight.copy())
        else:
            self.h.changeRowBounds(self.dis_row, total - prob.dis_cap, highspy.kHighsInf)

    def add(self, mask: np.ndarray) -> int:
        """Add the pairs of the (n, k) ``mask`` (by territory label) not yet in the pool."""
        mask = mask & ~self.use
        r, j = np.nonzero(mask)
        if not r.size:
            return 0
        p = self.prob
        t = self.slot[j]
        m = self.measures.shape[0]
        # entries per column: its unit's row, one band row per measure, the cap's row
        idx = [r[:, None], self.n + np.arange(m)[None, :] * self.k + t[:, None]]
        val = [np.ones((r.size, 1)), self.scaled[:, r].T]
        per = 1 + m
        if self.dis_key is not None:
            cur, w = self.dis_key  # the row's coefficients are fixed when it is added
            on = (cur[r] == j).astype(float) * w[r]
            idx.append(np.full((r.size, 1), self.dis_row))
            val.append(on[:, None])
            per += 1
        index = np.concatenate(idx, axis=1).astype(np.int32).ravel()
        value = np.concatenate(val, axis=1).ravel()
        start = (np.arange(r.size) * per).astype(np.int32)
        first = self.rows.size
        self.h.addCols(
            r.size,
            self.full[r, j],
            np.zeros(r.size),
            np.ones(r.size),
            index.size,
            start,
            index,
            value,
        )
        self.col[r, j] = self.base + np.arange(first, first + r.size)
        self.rows = np.concatenate([self.rows, r])
        self.terr = np.concatenate([self.terr, t])
        self.use |= mask
        if p.locked.any():
            self._set_bounds(np.arange(first, self.rows.size))
        return int(r.size)

    def relabel(self, order: np.ndarray) -> None:
        """Territory ``j`` becomes the one labelled ``order[j]`` so far."""
        order = np.asarray(order)
        self.label = np.argsort(order)[self.label]
        self.slot = np.argsort(self.label)
        self.use = self.use[:, order]
        self.col = self.col[:, order]

    # --- solving --------------------------------------------------------------------
    def forget(self) -> None:
        """Drop the basis: the next solve starts from scratch (for costs far from the
        last ones, such as another set of seed centers, a warm start is no help)."""
        self._basis = False

    def run(self):
        """Solve from the last basis (from scratch when there is none or ``warm`` is off).

        A solve from scratch of a large pool runs HiGHS's interior point method, then
        crossover to a basis (several times faster than the dual simplex from the
        slack basis on these problems); every other solve is a simplex from the last
        basis.
        """
        cold = not (self.warm and self._basis)
        if cold:
            self.h.clearSolver()
        ipm = cold and self.rows.size >= IPM_COLUMNS
        self.h.setOptionValue("solver", "ipm" if ipm else "simplex")
        self.h.run()
        info = self.h.getInfo()
        self.solves += 1
        self.iterations += int(info.simplex_iteration_count) + int(info.crossover_iteration_count)
        status = self.h.getModelStatus()
        self._basis = status == _OPTIMAL
        return status

    @property
    def value(self) -> float:
        """The objective HiGHS reports for the last solve."""
        return float(self.h.getInfo().objective_function_value)

    def shares(self) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """The last solution: each pool column's share and its (unit, territory) pair."""
        x = np.asarray(self.h.getSolution().col_value, float)[self.base :]
        return x, (self.rows.copy(), self.label[self.terr])

    def reduced(self) -> np.ndarray:
        """(n, k) reduced costs ``c - A^T y`` of every pair, from the last row duals."""
        p = self.prob
        y = np.asarray(self.h.getSolution().row_dual, float)
        red = self.full - y[: self.n, None]
        for m in range(self.measures.shape[0]):
            band = y[self.n + m * self.k : self.n + (m + 1) * self.k][self.slot]
            red -= self.scaled[m][:, None] * band[None, :]
        if self.dis_row is not None and p.dis_cap is not None:
            has = np.flatnonzero(p.current >= 0)
            red[has, p.current[has]] -= p.dis_weight[has] * y[self.dis_row]
        red[p.locked] = np.inf
        return red

    def _band_rows(self, margin: float) -> None:
        """Set the band rows to the bands narrowed by ``margin`` of their half width
        on each side (0: the bands themselves)."""
        lo, hi = self._bands
        cut = margin * (hi - lo) / 2
        idx = (self.n + np.arange(lo.size)).astype(np.int32)
        # a method of highspy.Highs its type stubs leave out
        self.h.changeRowsBounds(  # type: ignore[attr-defined]
            idx.size, idx, (lo + cut).ravel(), (hi - cut).ravel()
        )

    def dive(self, rounds: int | None = None, margin: float | None = None):
        """Fix the coarse split units of the last solution and re-solve, warm.

        A unit is coarse when it holds more of some measure than the band's half
        width (a tolerance's worth of the mean territory): rounding it alone can push
        a territory out of its band. Each round fixes every coarse unit the LP splits
        to its largest share (a bound change, so HiGHS resumes from the last basis)
        and lets the LP spread the other units around them; a round that turns
        infeasible is undone and retried with half as many units. Stops when no
        coarse unit is split, after ``rounds`` rounds, or when a single fix is
        infeasible. The bounds are restored afterwards, so the model is again the LP
        relaxation. Returns the shares and pairs of the last feasible solution and
        its reduced costs (for :func:`repair`).
        """
        rounds = DIVE_ROUNDS if rounds is None else rounds
        margin = DIVE_MARGIN if margin is None else margin
        p = self.prob
        mid = (p.lo + p.hi) / 2
        half = np.maximum((p.hi - p.lo) / 2, _EPS * np.maximum(mid, 1.0)).min(axis=1)
        coarse = (p.measures > half[:, None]).any(axis=0) & ~p.locked
        if margin > 0:
            self._band_rows(margin)
            if self.run() != _OPTIMAL:
                self._band_rows(0.0)
                self._basis = True  # the dual simplex's last basis: still dual feasible
                self.run()
        x, pairs = self.shares()
        reduced = self.reduced()
        done: list[np.ndarray] = []
        for _ in range(rounds):
            share = np.zeros((self.n, self.k))
            share[pairs] = x
            best, top = share.argmax(axis=1), share.max(axis=1)
            split = np.flatnonzero(coarse & (top < 1 - 1e-6))
            split = split[np.argsort(-top[split], kind="stable")]
            fixed = False
            while split.size:
                cols = self.col[split, best[split]].astype(np.int32)
                self.h.changeColsBounds(cols.size, cols, np.ones(cols.size), np.ones(cols.size))
                if self.run() == _OPTIMAL:
                    done.append(cols)
                    fixed = True
                    break
                self.h.changeColsBounds(cols.size, cols, np.zeros(cols.size), np.ones(cols.size))
                self._basis = True  # the dual simplex's last basis: still dual feasible
                if split.size == 1:
                    break
                split = split[: split.size // 2]
            if not fixed:
                break
            x, pairs = self.shares()
            reduced = self.reduced()
        if done:  # the relaxation again
            cols = np.concatenate(done)
            self.h.changeColsBounds(cols.size, cols, np.zeros(cols.size), np.ones(cols.size))
            self._set_bounds(cols - self.base)  # a locked unit's own column stays fixed
        if margin > 0:
            self._band_rows(0.0)
        return x, pairs, reduced

    def solve(
        self, prob: Problem, *, candidates: int = 12, max_rounds: int = 20, elastic: bool = False
    ):
        """The LP relaxation of ``prob``, as :func:`solve_lp` returns it; ``elastic``
        lets the bands be missed at a high price (:meth:`set_elastic`), and the value
        is then no bound."""
        self.update(prob)
        self.set_elastic(elastic)
        full = self.full
        rank = np.argsort(full, axis=1, kind="stable")
        has = np.flatnonzero(prob.current >= 0)
        lk = np.flatnonzero(prob.locked)
        allowed = np.ones((self.n, self.k), bool)
        allowed[lk] = False
        allowed[lk, prob.current[lk]] = True

        def nearest(c: int, cover: float = 0.0) -> np.ndarray:
            want = np.zeros((self.n, self.k), bool)
            want[np.arange(self.n)[:, None], rank[:, : min(c, self.k)]] = True
            want[has, prob.current[has]] = True
            if cover > 0:
                want |= _covering(prob, full, cover)
            return want & allowed

        # a new pool also gets each territory's own nearest units: without them a
        # cluster of territories may find too little of a measure among the units
        # that list them, and the first LP (the dearest) would be infeasible
        self.add(nearest(candidates, COVER if self.rows.size == 0 else 0.0))
        rounds = 0
        tol = 1e-7 * max(1.0, float(np.abs(full).max()))
        while True:
            status = self.run()
            if status in _INFEASIBLE:
                if (self.use | ~allowed).all():
                    return None
                # the restriction made it infeasible: double the nearest centers per unit
                candidates *= 2
                self.add(nearest(candidates, COVER))
                continue
            if status != _OPTIMAL:
                raise RuntimeError(
                    f"HiGHS stopped on the LP relaxation: {self.h.modelStatusToString(status)}"
                )
            reduced = self.reduced()
            add = (reduced < -tol) & ~self.use & allowed
            rounds += 1
            x, pairs = self.shares()
            if not add.any():
                return x, pairs, self.value, reduced
            if rounds >= max_rounds:  # not priced out: the value is no bound
                return x, pairs, float("nan"), None
            self.add(add)


def _covering(prob: Problem, full: np.ndarray, cover: float) -> np.ndarray:
    """(n, k) mask: each territory's nearest units until they hold ``cover`` times
    the band's middle of every measure."""
    order = np.argsort(full, axis=0, kind="stable")  # units by cost, per territory
    need = cover * (prob.lo + prob.hi) / 2  # (m, k)
    held = np.cumsum(prob.measures[:, order], axis=1)  # (m, n, k)
    count = (held < need[:, None, :]).sum(axis=1).max(axis=0) + 1  # per territory
    mask = np.zeros(full.shape, bool)
    for j in range(prob.k):
        mask[order[: count[j], j], j] = True
    return mask


def solve_lp(
    prob: Problem,
    *,
    candidates: int = 12,
    max_rounds: int = 20,
    lp: AssignmentLP | None = None,
):
    """LP relaxation over each unit's nearest centers, priced out to the full problem.

    Returns ``(shares, pairs, value, reduced)`` where ``value`` is the optimum of the
    full LP relaxation as HiGHS reports it (a lower bound of the MILP) and ``reduced``
    the (n, k) reduced costs of every column (both ``nan``/``None`` when
    ``max_rounds`` stopped the pricing), or ``None`` when the LP is infeasible. With
    ``lp`` (an :class:`AssignmentLP` of a problem with the same units, measures and
    territories) that model is changed to ``prob`` and warm-started; else a new one
    is built.
    """
    if lp is None or not lp.compatible(prob):
        lp = AssignmentLP(prob)
    return lp.solve(prob, candidates=candidates, max_rounds=max_rounds)


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
    tie = 1e-9 / max(float(np.abs(full[np.isfinite(full)]).mean()), _EPS)

    totals = np.zeros((a.shape[0], k))
    for m in range(a.shape[0]):
        np.add.at(totals[m], assign, a[m])
    cur = prob.current
    dis_scale = max(prob.dis_cap or 0.0, float(prob.dis_weight.sum()) * 1e-3, _EPS)
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
    tie = 1e-9 / max(float(np.abs(full[np.isfinite(full)]).mean()), _EPS)
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
    warm-started (see :func:`solve_lp`)."""
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
