"""The assignment problem on arrays, and a solver's answer (internal).

:class:`Problem` holds the arrays of one assignment of ``n`` units to ``k``
territories with fixed centers (costs, balanced measures and their bands, the current
alignment, the disruption cap and locks); :class:`Solution` is what a solver of
:mod:`.solve` or :mod:`.lp` returns for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: A tolerance against division by zero and ties in the solvers.
EPS = 1e-9


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
        return np.maximum(np.abs(self.hi + self.lo).mean(axis=1) / 2, EPS)

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
