"""The LP relaxation of the territory assignment problem as one HiGHS model (internal).

:class:`AssignmentLP` holds the LP relaxation of a :class:`~.problem.Problem` in one
``highspy`` model that is changed in place between solves: new costs as the centers
move, new bands, locks and the cap, new columns from the pricing, bounds during the
dive. Each solve starts from the last optimal basis; only a model without one (or a
new seed set) is solved from scratch, by the interior point method and crossover.
:func:`solve_lp` prices the relaxation out to the full problem, so its value is a
lower bound of the assignment MILP (:func:`.solve.solve_exact`).
"""

from __future__ import annotations

import highspy
import numpy as np

from .problem import EPS, Problem


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
        half = np.maximum((p.hi - p.lo) / 2, EPS * np.maximum(mid, 1.0)).min(axis=1)
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
