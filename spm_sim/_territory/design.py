"""Territory design: balanced, compact alignments with the disruption they cause.

:func:`design` assigns geographic units or accounts to territories so that every
balanced measure (potential, workload, account count, any numeric column) stays
inside a tolerance band around the mean territory, the total distance from each unit
to its territory's center (or its rep's home) is as small as possible, and the
disruption against the current alignment is capped, penalised or minimised. Locked
units stay with their rep; contiguity over a given adjacency is optional.

The problem, for units ``i``, territories ``j`` and balanced measures ``m``::

    minimise    sum_ij w_i d_ij x_ij  (+ lambda sum_i v_i [i changes rep])
    subject to  sum_j x_ij = 1
                (1 - t_m) mean_m <= sum_i a_mi x_ij <= (1 + t_m) mean_m
                sum_i v_i [i changes rep] <= cap * sum_i v_i
                x_ij in {0, 1}

Up to ``exact_limit`` unit-territory pairs (default 10,000, e.g. 500 units x 20
territories) HiGHS solves the MILP to proven optimality; above, the LP relaxation
(priced out over every pair, so its value is a lower bound), a dive that fixes the
coarse units it splits, rounding and a repair by moves and swaps of border units (see
``_territory/solve.py`` and ``_territory/repair.py``). With a number of territories
instead of rep homes, the centers are found by alternating the banded LP assignment
with a move of each center to its territory's medoid, as in the location-allocation
heuristic of Cooper (1964); every LP of one seed set, and the final one, is solved on
one HiGHS model whose costs change as the centers move, warm-started from the last
basis. The gap reported is the gap of the final assignment to the LP bound for those
centers. ``docs/model.md`` §6 states the model.

Examples
--------
>>> import pandas as pd
>>> units = pd.DataFrame({"unit_id": list("abcdef"), "x": [0, 1, 2, 10, 11, 12],
...                       "y": [0] * 6, "potential": [1, 1, 1, 1, 1, 1]})
>>> al = design(units, territories=2, balance={"potential": 0.0}, rng=0)
>>> al.units["territory"].tolist()
['T1', 'T1', 'T1', 'T2', 'T2', 'T2']
>>> al.summary["status"], round(al.summary["total_distance"], 1)
('optimal', 4.0)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from spm_sim.book import numeric_column
from spm_sim.errors import DataError, InfeasibleError, SpecError
from spm_sim.random import RngLike, territory_rng

from .inputs import (
    ID_COLUMNS,
    Geo,
    _neighbor_lists,
    explain_infeasible,
    prepare_units,
    unit_reasons,
)
from .lp import AssignmentLP
from .metrics import Alignment, _before, _medoids, _result_tables
from .problem import Problem, Solution
from .repair import polish, round_shares
from .solve import solve_exact, solve_scalable

__all__ = ["DesignSettings", "design"]

# power of the measure weight in the k-means that seeds the centers (see _seeds)
SEED_POWER = 4.0
# seed sets tried by _locate, each for SEED_PROBE banded iterations; the best goes on
SEED_TRIALS = 2
SEED_PROBE = 3
# nearest territories per unit in the banded LPs that move the centers: these LPs
# are elastic (a band may be missed at a high price), so few candidates cannot make
# them infeasible; 8 gave shorter alignments than 12 on the sample organisation
# (1.23x against 1.26x k-means' distance, mean over seeds 0-7) and faster solves
LOCATE_CANDIDATES = 8


def _bands(u, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(m, k) lower and upper band of every measure and territory: (1 -+ t_m) mean_m."""
    mean = u.measures.sum(axis=1)[:, None] / k * np.ones((1, k))
    return (1 - u.tolerance)[:, None] * mean, (1 + u.tolerance)[:, None] * mean


def _default_balance(units: pd.DataFrame) -> dict[str, float]:
    present = {m: 0.05 for m in ("potential", "workload") if m in units.columns}
    return present or {"count": 0.10}


def _homes(homes, u, need_location: bool = True) -> tuple[list, np.ndarray, np.ndarray]:
    """Rep ids and home locations from a table (rep_id + lat/lon, home_lat/home_lon or x/y);
    without ``need_location`` (a distance matrix was given) missing locations are NaN."""
    if not isinstance(homes, pd.DataFrame):
        raise TypeError(f"homes must be a DataFrame of rep homes; got {type(homes).__name__}")
    src = "homes"
    reps = homes["rep_id"].tolist() if "rep_id" in homes else homes.index.tolist()
    if len(set(reps)) != len(reps):
        dup = pd.Series(reps)[pd.Series(reps).duplicated()].iloc[0]
        raise DataError(
            f"rep {dup!r} has more than one home; one row per rep", file=src, column="rep_id"
        )
    if not need_location:
        return reps, np.full(len(reps), np.nan), np.full(len(reps), np.nan)
    for a, b in (("lat", "lon"), ("home_lat", "home_lon"), ("x", "y")):
        if {a, b} <= set(homes.columns):
            va = pd.to_numeric(homes[a], errors="coerce").to_numpy(float)
            vb = pd.to_numeric(homes[b], errors="coerce").to_numpy(float)
            bad = ~(np.isfinite(va) & np.isfinite(vb))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"rep {reps[i]!r} has no usable home location "
                    f"({homes[a].iloc[i]!r}, {homes[b].iloc[i]!r})",
                    file=src,
                    row=i + 2,
                    column=a,
                )
            if (a != "x") != u.geo.spherical and u.geo.matrix is None:
                raise DataError(
                    f"homes give {a}/{b} but the units give "
                    f"{'lat/lon' if u.geo.spherical else 'x/y'}; use the same kind "
                    "of location for both",
                    file=src,
                )
            return reps, va, vb
    raise DataError("homes need rep_id and a location: lat/lon, home_lat/home_lon or x/y", file=src)


def _plane(u) -> np.ndarray | None:
    """Unit locations on a plane where Euclidean distance is about km (or x/y)."""
    if u.geo.matrix is not None:
        return None
    if u.geo.spherical:
        lat, lon = u.geo.a, u.geo.b
        return np.column_stack([lon * np.cos(np.radians(lat.mean())) * 111.32, lat * 110.57])
    return np.column_stack([u.geo.a, u.geo.b]).astype(float)


def _measure_weight(u) -> np.ndarray:
    """Each unit's mean share of the balanced measures (uniform without measures)."""
    n = len(u.ids)
    if not len(u.names):
        return np.ones(n) / n
    tot = u.measures.sum(axis=1, keepdims=True)
    return (u.measures / np.where(tot > 0, tot, 1.0)).mean(axis=0)


def _seeds(
    u, k: int, rng: np.random.Generator, *, power: float = SEED_POWER, restarts: int = 3
) -> np.ndarray:
    """First centers: weighted k-means (Lloyd) on the plane, snapped to units.

    Units weigh their mean normalised measure raised to ``power``: a territory must
    hold its share of the measures, so the centers gather where the measures are
    dense (with ``power`` 1 the centers of k-means would be too few there). The best
    of ``restarts`` k-means++ starts (drawn from ``rng``) by weighted inertia is kept.
    With a distance matrix, plain weighted k-means++ over the units.
    """
    n = len(u.ids)
    w = _measure_weight(u)
    xy = _plane(u)
    if xy is None or k >= n:
        return _kmeanspp(u, k, rng, w + 1e-3 / n)
    ww = (w / max(w.max(), 1e-300)) ** power
    ww = ww + 1e-9 * ww.max() + 1e-300
    best, best_c = np.inf, None
    for _ in range(restarts):
        c = xy[_kmeanspp_plane(xy, k, rng, ww)]
        for _ in range(50):
            d2 = _sqdist(xy, c)
            lab = d2.argmin(axis=1)
            mass = np.bincount(lab, weights=ww, minlength=k)
            new = c.copy()
            has = mass > 0
            for dim in range(2):
                s = np.bincount(lab, weights=ww * xy[:, dim], minlength=k)
                new[has, dim] = s[has] / mass[has]
            moved = np.abs(new - c).max()
            c = new
            if moved < 1e-6:
                break
        d2 = _sqdist(xy, c)
        inertia = float((ww * d2.min(axis=1)).sum())
        if best_c is None or inertia < best:  # the first start, even with a NaN inertia
            best, best_c = inertia, c
    assert best_c is not None, "restarts >= 1"
    # snap each centroid to its nearest unit; a unit nearest to two goes to the
    # first, the others take their nearest unit not yet taken
    d2 = _sqdist(xy, best_c)
    out = d2.argmin(axis=0)
    taken = np.zeros(n, bool)
    for j in range(k):
        if taken[out[j]]:
            order = np.argsort(d2[:, j], kind="stable")
            out[j] = order[~taken[order]][0]
        taken[out[j]] = True
    return out


def _sqdist(xy: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances, units by centers (n x k, no n x k x 2 temporary)."""
    d2 = (xy**2).sum(1)[:, None] - 2.0 * (xy @ c.T) + (c**2).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def _kmeanspp_plane(xy: np.ndarray, k: int, rng: np.random.Generator, w: np.ndarray):
    return _kmeanspp_by(len(xy), k, rng, w, lambda c: ((xy - xy[c]) ** 2).sum(1))


def _kmeanspp(u, k: int, rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
    """k-means++ seeding over units (any distance), weighted by ``w``."""
    return _kmeanspp_by(len(u.ids), k, rng, w, lambda c: u.geo.to_units(np.array([c]))[:, 0] ** 2)


def _kmeanspp_by(n: int, k: int, rng: np.random.Generator, w: np.ndarray, sqdist) -> np.ndarray:
    """k-means++: each next center drawn with probability ``w x`` squared distance to the
    nearest center so far; ``sqdist(c)`` gives every unit's squared distance to unit c."""
    centers = [int(rng.choice(n, p=w / w.sum()))]
    d2 = sqdist(centers[0])
    for _ in range(1, k):
        p = w * d2
        p[centers] = 0
        nxt = (
            int(rng.choice(n, p=p / p.sum()))
            if p.sum() > 0
            else int(rng.choice(np.setdiff1d(np.arange(n), centers)))
        )
        centers.append(nxt)
        d2 = np.minimum(d2, sqdist(nxt))
    return np.array(centers)


def _problem(u, dist, lo, hi, cur_idx, dis_w, cap_abs, penalty, locked) -> Problem:
    return Problem(
        cost=dist * u.weight[:, None],
        measures=u.measures,
        lo=lo,
        hi=hi,
        current=cur_idx,
        dis_weight=dis_w,
        dis_cap=cap_abs,
        penalty=np.full(len(u.ids), float(penalty or 0.0)) * dis_w,
        locked=locked,
    )


@dataclass(frozen=True, eq=False)
class DesignSettings:
    """The settings of one :func:`design` call, checked once when built.

    One field per keyword argument of :func:`design` (see its parameters) except the
    seed ``rng``, which :func:`design` turns into its stream. Building it checks the
    arguments that need no data, each message naming its argument; what needs the
    units (their columns and ids, the number of territories) is checked by
    :func:`design` against them.

    Examples
    --------
    >>> DesignSettings(territories=3).method
    'auto'
    >>> DesignSettings(territories=3, objective="travel")
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: design: objective must be 'distance' or 'disruption'; got 'travel'
    """

    territories: int | None = None
    homes: pd.DataFrame | None = None
    balance: Mapping[str, float] | None = None
    weight: str | None = None
    current: str | Sequence | None = None
    disruption: str | None = None
    max_disruption: float | None = None
    disruption_penalty: float | None = None
    objective: str = "distance"
    locked: str | Sequence | None = None
    adjacency: Mapping | Sequence | None = None
    distances: np.ndarray | None = None
    id: str | None = None
    method: str = "auto"
    exact_limit: int = 10_000
    time_limit: float = 30.0
    candidates: int = 12
    max_iter: int = 16
    strict: bool = True
    source: str = "units"

    #: The settings an :class:`Alignment` keeps for provenance, in this order.
    PROVENANCE: ClassVar[tuple[str, ...]] = (
        "territories",
        "balance",
        "weight",
        "disruption",
        "max_disruption",
        "disruption_penalty",
        "objective",
        "method",
        "time_limit",
        "candidates",
        "max_iter",
    )

    def __post_init__(self) -> None:
        self._check_choices()
        self._check_solver_limits()
        if self.wants_current and self.current is None:
            raise SpecError(
                "design: a disruption cap, penalty or objective and locked units need the "
                "current alignment: pass current=COLUMN (spm-sim align: --current COLUMN)"
            )

    def _check_choices(self) -> None:
        """Territories or homes, the objective, the method and the disruption limits."""
        if (self.territories is None) == (self.homes is None):
            raise SpecError("design: give either territories=N or homes=DataFrame (not both)")
        if self.objective not in ("distance", "disruption"):
            raise SpecError(
                f"design: objective must be 'distance' or 'disruption'; got {self.objective!r}"
            )
        if self.method not in ("auto", "exact", "scalable"):
            raise SpecError(
                f"design: method must be 'auto', 'exact' or 'scalable'; got {self.method!r}"
            )
        cap = self.max_disruption
        if cap is not None and not 0 <= cap <= 1:
            raise SpecError(f"design: max_disruption is a share in [0, 1]; got {cap!r}")
        penalty = self.disruption_penalty
        if penalty is not None and not penalty >= 0:
            raise SpecError(f"design: disruption_penalty must be >= 0; got {penalty!r}")

    def _check_solver_limits(self) -> None:
        """The solver's limits: whole counts and a positive time."""
        for name, least in (("exact_limit", 0), ("candidates", 1), ("max_iter", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < least:
                raise SpecError(f"design: {name} must be a whole number >= {least}; got {v!r}")
        t = self.time_limit
        if isinstance(t, bool) or not isinstance(t, int | float | np.number) or not t > 0:
            raise SpecError(f"design: time_limit must be a number of seconds > 0; got {t!r}")

    @property
    def wants_current(self) -> bool:
        """Whether a cap, a penalty, the disruption objective or locks need ``current``."""
        return bool(
            self.max_disruption is not None
            or self.disruption_penalty
            or self.locked is not None
            or self.objective == "disruption"
        )

    @property
    def disruption_basis(self) -> str:
        """What disruption is measured in: ``units`` or the disruption column."""
        return "units" if self.disruption is None else f"{self.disruption}"

    def for_units(self, units: pd.DataFrame) -> DesignSettings:
        """These settings with the default ``balance`` of ``units`` filled in."""
        return replace(
            self, balance=dict(_default_balance(units) if self.balance is None else self.balance)
        )

    def provenance(self) -> dict:
        """The settings an :class:`Alignment` keeps (:attr:`PROVENANCE`), by name."""
        return {name: getattr(self, name) for name in self.PROVENANCE}


@dataclass(frozen=True, eq=False)
class _Centers:
    """Where the territories sit: unit x territory distances, labels, reps and centers."""

    dist: np.ndarray  # (n, k) distance of every unit to every territory's center
    labels: list  # territory names
    rep_of: list  # the rep of each territory (None without one)
    xy: dict | None  # rep -> home location (homes), else None
    idx: np.ndarray | None  # the center unit of each territory (territories), else None
    lp: AssignmentLP | None = None  # the HiGHS model the centers were found with

    @property
    def k(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, eq=False)
class _Current:
    """The current alignment against the design's territories, and the disruption cap."""

    idx: np.ndarray  # territory of each unit's current rep, -1 for none
    has: np.ndarray  # whether the unit has a current rep
    forced: float  # disruption weight that must move (its rep has no territory)
    total: float  # disruption weight of the units with a current rep
    cap: float | None  # the cap on the disrupted weight, absolute


def _prepared_units(units: pd.DataFrame, s: DesignSettings):
    """The units checked against the settings that name their columns."""
    assert s.balance is not None, "DesignSettings.for_units fills in the balance first"
    return prepare_units(
        units,
        balance=s.balance,
        weight=s.weight,
        current=s.current,
        locked=s.locked,
        id_col=s.id,
        distances=s.distances if s.homes is None else None,
        location_optional=s.homes is not None and s.distances is not None,
        source=s.source,
    )


def _home_centers(u, s: DesignSettings) -> _Centers:
    """Territories at the reps' homes: territory ``j`` is rep ``j``'s."""
    n = len(u.ids)
    reps, ha, hb = _homes(s.homes, u, need_location=s.distances is None)
    k = len(reps)
    if s.distances is not None:
        dist = np.asarray(s.distances, float)
        if dist.shape != (n, k):
            raise DataError(
                f"distances with homes must be {n} x {k} (units x homes); got {dist.shape}",
                file=s.source,
            )
    else:
        dist = u.geo.between(u.geo.a, u.geo.b, ha, hb)
    xy = {r: (a, b) for r, a, b in zip(reps, ha, hb, strict=True)}
    return _Centers(dist, list(reps), list(reps), xy, None)


def _located_centers(u, s: DesignSettings, rng, dis_w: np.ndarray, step=None) -> _Centers:
    """Territories around centers chosen among the units (see :func:`_locate`)."""
    n = len(u.ids)
    assert s.territories is not None, "DesignSettings: territories when there are no homes"
    k = int(s.territories)
    if not 1 <= k <= n:
        raise SpecError(f"territories must be between 1 and the {n} units; got {k}")
    _refuse(unit_reasons(u, k))
    center_idx, rep_of, lp = _locate(u, k, rng, dis_w, s.max_iter, s.candidates, step)
    labels = [f"T{j + 1}" for j in range(k)]
    return _Centers(u.geo.to_units(center_idx), labels, rep_of, None, center_idx, lp)


def _current_alignment(u, s: DesignSettings, rep_of: list, dis_w: np.ndarray) -> _Current:
    """Each unit's current territory, the disruption that cannot be avoided and the cap.

    Raises when the current reps and the homes name reps differently, when a locked
    unit's rep has no territory, or when the cap is below the disruption forced by
    reps without a territory.
    """
    pos = {r: j for j, r in enumerate(rep_of) if r is not None}
    cur_idx = np.array([pos.get(c, -1) if c is not None else -1 for c in u.current])
    has_cur = np.array([c is not None for c in u.current])
    if s.homes is not None and has_cur.any() and not (cur_idx >= 0).any():
        first = next(c for c in u.current if c is not None)
        raise DataError(
            f"none of the current reps (e.g. {first!r}) is among the homes' rep ids (e.g. "
            f"{rep_of[0]!r}); the current column and the homes must name reps the same way",
            file=s.source,
        )
    forced = float(dis_w[has_cur & (cur_idx < 0)].sum())  # reps with no territory now
    basis_total = float(dis_w[has_cur].sum())
    cap_abs = None
    if s.max_disruption is not None:
        cap_abs = s.max_disruption * basis_total - forced
    lock_bad = u.locked & (cur_idx < 0)
    if lock_bad.any():
        i = int(np.flatnonzero(lock_bad)[0])
        raise DataError(
            f"unit {u.where(i)} is locked to rep {u.current[i]!r}, who has no "
            "territory in this design; unlock it, or give the rep a home (or ask for as "
            "many territories as there are current reps)",
            file=s.source,
            row=i + 2,
        )
    if cap_abs is not None and cap_abs < 0:
        raise InfeasibleError(
            f"a disruption cap of {s.max_disruption:.1%} is infeasible: "
            f"{forced / basis_total:.1%} of {s.disruption_basis} belong to reps with no "
            "territory in this design and must move; raise the cap to at least "
            f"{forced / basis_total:.1%} or give those reps homes"
        )
    return _Current(cur_idx, has_cur, forced, basis_total, cap_abs)


def _solve_mode(s: DesignSettings, pairs: int, nb) -> str:
    """'exact', 'scalable' or 'both' (the heuristic, then the MILP) for ``pairs`` pairs."""
    mode = s.method
    if s.method == "auto":
        mode = "both" if pairs <= s.exact_limit else "scalable"
    if nb is not None:
        mode = "scalable"
    return mode


def _unit_table(units, u, s: DesignSettings, c: _Centers, assign, moved) -> pd.DataFrame:
    """One row per unit: its measures, territory, rep, distance and current rep."""
    out = u.frame.copy()
    out.index = pd.Index(
        u.ids, name=s.id or next((col for col in ID_COLUMNS if col in units.columns), "unit_id")
    )
    out["territory"] = np.array(c.labels, dtype=object)[assign]
    out["rep_id"] = np.array(c.rep_of, dtype=object)[assign]
    out["distance"] = c.dist[np.arange(len(u.ids)), assign]
    if s.current is not None:
        out["current_rep"] = u.current
        out["moved"] = moved
    return out


def _alignment(units, u, s: DesignSettings, c: _Centers, cur: _Current, sol, mode, nb, dis_w, t0):
    """The :class:`Alignment` of a solution: tables, summary, and the current alignment."""
    assign = sol.assign
    per, tot = _result_tables(u, assign, c.labels, c.rep_of, c.dist, c.xy, c.idx, s.adjacency, nb)
    moved = cur.has & (np.array(c.rep_of, dtype=object)[assign] != u.current)
    out = _unit_table(units, u, s, c, assign, moved)
    if s.current is not None:
        tot["disruption"] = float(dis_w[moved].sum() / cur.total) if cur.total else 0.0
        tot["disruption_basis"] = s.disruption_basis
        tot["units_moved"] = int(moved.sum())
    tot["method"] = {"both": "exact+scalable"}.get(mode, mode)
    tot["status"] = sol.status
    tot["objective"] = sol.objective
    tot["lower_bound"] = sol.bound
    tot["gap"] = sol.gap if sol.status != "bands_not_met" else np.nan
    tot["message"] = sol.message
    tot["seconds"] = time.perf_counter() - t0
    before = None
    if s.current is not None and cur.has.any():
        homes = s.homes is not None
        before = _before(u, cur.has, c.dist if homes else None, c.rep_of if homes else None)
    return Alignment(out, per, tot, s.provenance(), before)


def _check_bands(al: Alignment, strict: bool) -> None:
    """With ``strict``, refuse an alignment outside the bands (attached to the error)."""
    if al.summary["status"] == "bands_not_met" and strict:
        worst = al.territories.filter(like="dev_").abs().max().max()
        raise InfeasibleError(
            f"no alignment inside the bands was found (the LP relaxation is feasible, so "
            f"one may exist): the closest has a largest deviation of {worst:.1%}. Widen the "
            "tolerances, raise the disruption cap, or pass strict=False to keep it.",
            alignment=al,
        )


def design(
    units: pd.DataFrame,
    *,
    territories: int | None = None,
    homes: pd.DataFrame | None = None,
    balance: Mapping[str, float] | None = None,
    weight: str | None = None,
    current: str | Sequence | None = None,
    disruption: str | None = None,
    max_disruption: float | None = None,
    disruption_penalty: float | None = None,
    objective: str = "distance",
    locked: str | Sequence | None = None,
    adjacency: Mapping | Sequence | None = None,
    distances: np.ndarray | None = None,
    id: str | None = None,
    method: str = "auto",
    exact_limit: int = 10_000,
    time_limit: float = 30.0,
    candidates: int = 12,
    max_iter: int = 16,
    strict: bool = True,
    rng: RngLike = None,
    source: str = "units",
    progress: bool = False,
) -> Alignment:
    """Assign units to territories: balanced, compact, and with the disruption stated.

    Parameters
    ----------
    units : DataFrame
        One row per geographic unit or account: an id (``unit_id``, ``account_id``,
        ``id`` or the index), a location (``lat``/``lon`` in degrees, distances then
        great-circle km; or ``x``/``y``, Euclidean), and the measures to balance.
    territories : int, optional
        Number of territories; their centers are chosen among the units. Give this
        or ``homes``.
    homes : DataFrame, optional
        Fixed rep home bases, one row per rep: ``rep_id`` and ``lat``/``lon`` (or
        ``home_lat``/``home_lon``, or ``x``/``y``). Territory ``j`` is rep ``j``'s.
    balance : dict, optional
        measure column -> tolerance, e.g. ``{"potential": 0.05, "workload": 0.2}``:
        every territory holds between ``(1 - t)`` and ``(1 + t)`` times the mean.
        ``"count"`` balances the number of units. Default: potential and workload
        at +-5% when present, else count at +-10%.
    weight : str, optional
        Column weighting each unit's distance (e.g. ``workload``: travel hours).
    current : str or sequence, optional
        The current rep of each unit (a column name or one value per unit; empty
        for none). Needed for disruption, the cap, the penalty and locked units.
    disruption : str, optional
        Column whose total changing rep measures disruption (e.g. ``potential``);
        default: the number of units.
    max_disruption : float, optional
        Cap on the disrupted share, in [0, 1].
    disruption_penalty : float, optional
        Cost of moving one unit of the disruption column, in the objective's units
        (distance x weight): 50 makes a move cost as much as 50 km more travel.
    objective : {"distance", "disruption"}
        ``"disruption"`` minimises the disrupted share first, then distance.
    locked : str or sequence, optional
        A true/false column or a list of unit ids that stay with their current rep.
    adjacency : dict or sequence of pairs, optional
        unit id -> neighbour ids (or ``(a, b)`` pairs). When given, every territory
        is kept in one connected piece (heuristic: see Notes).
    distances : array, optional
        A precomputed distance or travel-time matrix: ``(n, n)`` unit by unit with
        ``territories``, ``(n, k)`` unit by home with ``homes``, in the rows' order.
    method : {"auto", "exact", "scalable"}
        ``exact`` solves the MILP (HiGHS, relative gap 1e-4); ``scalable`` uses the
        priced LP relaxation, a dive, rounding, repair and polish. ``auto``: up to
        ``exact_limit`` unit-territory pairs the scalable answer first, then the
        MILP; status ``optimal`` when the MILP proves it, else the better of the
        two with the best proven bound (status ``time_limit``); above, ``scalable``.
    time_limit : float
        Seconds for the MILP; past it the best solution found and its gap are kept.
        Tight bands on hundreds of units can keep HiGHS from closing the last
        fraction of a percent of gap in any reasonable time.
    candidates : int
        Nearest territories considered per unit by the scalable method's repair.
    max_iter : int
        Center updates with ``territories`` (location-allocation iterations); they
        stop early when the centers no longer move. Each update after the first of a
        seed set is a warm-started re-solve of the same HiGHS model, so more of them
        cost little.
    strict : bool
        Raise :class:`InfeasibleError` when the bands are not met (the closest
        alignment found is attached as ``err.alignment``); else return it.
    rng : int, SeedSequence, Generator or None
        Root of the k-means++ starts of the weighted k-means that places the first
        centers (with ``territories``; stream ``territory``, ``None``: seed 0); the
        same seed gives the same alignment.
    source : str, default "units"
        What the units are called in messages (e.g. the file they came from).
    progress : bool, default False
        Show a progress bar (tqdm: a widget in a notebook, else on stderr): a step
        per move of the centers (with ``territories``), then the assignment; the
        result does not depend on it.

    Returns
    -------
    Alignment

    Raises
    ------
    SpecError
        When an argument is out of its range: the arguments are checked once, as a
        :class:`DesignSettings`, and every message names its argument.
    InfeasibleError
        When no alignment can meet the bands, cap and locks, with the numbers why.

    Notes
    -----
    Contiguity is enforced by a repair (pieces handed to the neighbour they border,
    then only moves and swaps that keep both territories connected), not in the
    MILP: with an adjacency the result is reported as ``heuristic``.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": [1, 2, 3, 4], "x": [0, 1, 9, 10], "y": 0,
    ...                       "potential": [3, 3, 1, 1], "rep": ["A", "A", "B", "B"]})
    >>> homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 10], "y": [0, 0]})
    >>> al = design(units, homes=homes, balance={"potential": 0.0}, current="rep")
    >>> al.units["rep_id"].tolist(), al.summary["disruption"]
    (['A', 'B', 'A', 'B'], 0.5)
    """
    t0 = time.perf_counter()
    settings = DesignSettings(
        territories=territories,
        homes=homes,
        balance=balance,
        weight=weight,
        current=current,
        disruption=disruption,
        max_disruption=max_disruption,
        disruption_penalty=disruption_penalty,
        objective=objective,
        locked=locked,
        adjacency=adjacency,
        distances=distances,
        id=id,
        method=method,
        exact_limit=exact_limit,
        time_limit=time_limit,
        candidates=candidates,
        max_iter=max_iter,
        strict=strict,
        source=source,
    ).for_units(units)
    rng = territory_rng(rng)  # stream "territory" of spm_sim.random.STREAMS; None: seed 0
    s = settings
    u = _prepared_units(units, s)
    dis_w = (
        np.ones(len(u.ids))
        if s.disruption is None
        else numeric_column(u.frame, s.disruption, u.source)
    )
    nb = None if s.adjacency is None else _neighbor_lists(s.adjacency, u.ids)
    with _bar(progress, s) as bar, _ticking(bar):
        if s.homes is not None:
            centers = _home_centers(u, s)
        else:
            centers = _located_centers(u, s, rng, dis_w, step=lambda: bar.update(1))

        def phase(name: str) -> None:
            bar.set_description(f"territories: assigning ({name})")
            if bar.n < bar.total - 1:  # the last step is the checks' (a re-solve adds none)
                bar.update(1)

        bar.update(max(bar.total - ASSIGN_STEPS - 1 - bar.n, 0))  # the centers settled early
        al = _assign(units, u, s, centers, dis_w, nb, t0, phase)
        bar.update(bar.total - bar.n)
    return al


#: Steps of the assignment on the progress bar of :func:`design`: the LP relaxation,
#: rounding and repair, polishing, the exact MILP (when it runs) and the checks.
ASSIGN_STEPS = 5
#: Seconds between two redraws of the bar while a step runs (its clock keeps moving
#: through a long LP or the MILP, so a slow step does not look like a hang).
TICK = 1.0


def _bar(progress: bool, s: DesignSettings):
    """The progress bar of :func:`design`: the centers' moves (an upper bound: they
    stop early when the centers settle), then the steps of the assignment."""
    from tqdm.auto import tqdm

    moves = 0
    if s.homes is None:
        probe = SEED_TRIALS * SEED_PROBE + s.max_iter - SEED_PROBE
        moves = probe if s.max_iter > SEED_PROBE else s.max_iter
    first = "territories: placing the centers" if moves else "territories: assigning the units"
    return tqdm(
        total=moves + ASSIGN_STEPS + 1, desc=first, unit="step", disable=not progress, leave=False
    )


@contextmanager
def _ticking(bar, every: float = TICK) -> Iterator[None]:
    """Redraw ``bar`` every ``every`` seconds from a background thread while the
    block runs (nothing when the bar is off): its elapsed time moves during a step
    that gives no news, such as HiGHS solving the MILP up to its time limit."""
    if getattr(bar, "disable", True):
        yield
        return
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, name="spm-sim progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _assign(units, u, s: DesignSettings, centers: _Centers, dis_w, nb, t0, phase=None) -> Alignment:
    """The units assigned to the territories of ``centers``: the problem, solved, checked.

    ``phase(name)`` is called as each stage of the solve starts (for a progress bar)."""
    cur = _current_alignment(u, s, centers.rep_of, dis_w)
    lo, hi = _bands(u, centers.k)
    prob = _problem(
        u, centers.dist, lo, hi, cur.idx, dis_w, cur.cap, s.disruption_penalty, u.locked
    )
    mode = _solve_mode(s, len(u.ids) * centers.k, nb)
    _refuse(unit_reasons(u, centers.k, prob, centers.labels))
    sol = _solve(prob, mode, s.objective, s.time_limit, s.candidates, nb, phase, centers.lp)
    if phase is not None:
        phase("checks")
    if sol is None:
        reasons = explain_infeasible(
            u,
            prob,
            centers.labels,
            dis_basis=s.disruption_basis,
            forced=cur.forced,
            basis_total=cur.total,
        )
        raise InfeasibleError(" ".join(reasons), reasons=reasons)
    al = _alignment(units, u, s, centers, cur, sol, mode, nb, dis_w, t0)
    _check_bands(al, s.strict)
    return al


def _refuse(reasons: list[str]) -> None:
    if reasons:
        raise InfeasibleError(" ".join(reasons), reasons=reasons)


def _solve(prob, exact: str, objective, time_limit, candidates, nb, phase=None, lp=None):
    """Solve by ``exact`` = 'exact' (MILP), 'scalable' or 'both' (heuristic, then MILP);
    ``phase(name)`` is told each stage as it starts. ``lp``, the HiGHS model the
    centers were found with, is changed to ``prob`` and warm-started (distance
    objective; the stages of the disruption objective build their own)."""
    if objective == "disruption":
        stage = Problem(
            **{
                **prob.__dict__,
                "cost": np.where(np.arange(prob.k)[None, :] == prob.current[:, None], 0.0, 1.0)
                * prob.dis_weight[:, None],
                "penalty": np.zeros(prob.n),
            }
        )
        first = _solve(stage, exact, "distance", time_limit, candidates, nb, phase)
        if first is None:
            return None
        capped = Problem(
            **{
                **prob.__dict__,
                "dis_cap": stage.disrupted(first.assign)
                if prob.dis_cap is None
                else min(prob.dis_cap, stage.disrupted(first.assign)),
            }
        )
        second = _solve(capped, exact, "distance", time_limit, candidates, nb, phase)
        if second is not None and second.status != "bands_not_met":
            return second
        # keep the least disruptive alignment, made shorter by moves that keep the
        # bands and the disruption; its distance has no proven bound
        assign = first.assign if nb is not None else polish(capped, first.assign)
        return Solution(
            assign,
            capped.objective(assign),
            np.nan,
            first.status,
            "least disruption found; its distance polished, without a bound",
        )
    if exact == "scalable":
        return solve_scalable(prob, candidates=candidates, neighbors=nb, phase=phase, lp=lp)
    # the heuristic first: an incumbent, and the LP reduced costs that fix columns
    fast = solve_scalable(prob, candidates=candidates, phase=phase, lp=lp)
    if fast is None:
        return None  # the LP relaxation is infeasible, so is the MILP
    if phase is not None:
        phase(f"exact MILP, up to {time_limit:g} s")
    sol = solve_exact(prob, time_limit=time_limit, incumbent=fast)
    if sol.status == "optimal":
        return sol
    if sol.status == "infeasible":
        # a repaired heuristic alignment is feasible, so HiGHS cannot be right here
        return None if fast.status == "bands_not_met" else fast
    found = [s for s in (sol, fast) if s.assign.min() >= 0 and s.status != "bands_not_met"]
    if not found:  # no alignment inside the bands from either: the heuristic's closest
        return fast
    best = min(found, key=lambda s: s.objective)
    bounds = [b for b in (sol.bound, fast.bound) if np.isfinite(b)]
    return Solution(
        best.assign,
        best.objective,
        max(bounds) if bounds else np.nan,
        "time_limit",
        f"the MILP stopped at the {time_limit:g} s time limit; best of the MILP and the "
        "priced-LP heuristic kept, with the best proven bound",
    )


def _locate(u, k, rng, dis_w, max_iter, candidates, step=None):
    """Centers for ``k`` territories: seeds, then assignment and medoid updates.

    Returns the centers (unit indices), the rep of each territory (``None`` without
    current reps) and the HiGHS model of the banded LPs, its territories numbered as
    the centers. ``step()`` is called after each banded LP (for a progress bar)."""
    reps = pd.unique(pd.Series([c for c in u.current if c is not None], dtype=object))
    mapped = len(reps) == k and k > 0
    if mapped:
        codes = pd.Series(u.current, dtype=object).map({r: j for j, r in enumerate(reps)})
        have = codes.notna().to_numpy()
        med = _medoids_subset(u, codes.to_numpy(), have, k)
        centers = med
    else:
        centers = _seeds(u, k, rng)
    lo, hi = _bands(u, k)
    trials = 1 if mapped else SEED_TRIALS
    lp = None  # one HiGHS model per seed set, changed and warm-started as it moves
    if trials > 1 and max_iter > SEED_PROBE:
        # several seed sets, each moved a few times; the lowest banded LP value goes on
        best = None
        for t in range(trials):
            start = centers if t == 0 else _seeds(u, k, rng)
            got, value, done, model = _banded_moves(
                u, start, k, lo, hi, SEED_PROBE, candidates, step
            )
            if best is None or value < best[1]:
                best = (got, value, done, model)
        centers, lp = best[0], best[3]
        if not best[2]:
            rest = max_iter - SEED_PROBE
            centers, _, _, lp = _banded_moves(u, centers, k, lo, hi, rest, candidates, step, lp)
    else:
        centers, _, _, lp = _banded_moves(u, centers, k, lo, hi, max_iter, candidates, step)
    # name territories west to east (then south to north)
    order = (
        np.lexsort(
            (u.geo.a[centers], u.geo.b[centers] if u.geo.spherical else u.geo.a[centers] * 0)
        )
        if u.geo.spherical
        else np.lexsort((u.geo.b[centers], u.geo.a[centers]))
    )
    if mapped:
        return centers, list(reps), lp
    centers = centers[order]
    if lp is not None:
        lp.relabel(order)
    if not any(c is not None for c in u.current):
        return centers, [None] * k, lp
    # map territories to current reps by the largest retained disruption weight
    dist = u.geo.to_units(centers)
    assign = dist.argmin(axis=1)
    rep_codes = {r: j for j, r in enumerate(reps)}
    overlap = np.zeros((k, len(reps)))
    for i, c in enumerate(u.current):
        if c is not None:
            overlap[assign[i], rep_codes[c]] += dis_w[i]
    rows, cols = linear_sum_assignment(-overlap)
    rep_of: list = [None] * k
    for r, c in zip(rows, cols, strict=True):
        rep_of[r] = reps[c]
    return centers, rep_of, lp


def _banded_moves(u, centers, k, lo, hi, iters, candidates, step=None, lp=None):
    """Alternate the banded LP assignment (rounded) with medoid updates.

    Every LP is solved on one HiGHS model (``lp``, an :class:`~.lp.AssignmentLP`
    built on the first call when ``None``): only the costs change as the centers
    move, so each solve starts from the last basis. Returns the centers, the value
    of the last LP (``inf`` when none was solved), whether the centers stopped
    moving, and the model.
    """
    n = len(u.ids)
    value = np.inf
    for _ in range(iters):
        dist = u.geo.to_units(centers)
        prob = _problem(u, dist, lo, hi, np.full(n, -1), np.ones(n), None, 0.0, np.zeros(n, bool))
        if lp is None:
            lp = AssignmentLP(prob)
        # no pricing here: only the rounded assignment moves the centers; elastic, so
        # a pool too small for the bands around these centers costs no extra solve
        out = lp.solve(
            prob, candidates=min(candidates, LOCATE_CANDIDATES), max_rounds=1, elastic=True
        )
        if step is not None:
            step()
        if out is None:
            return centers, value, True, lp
        value = lp.value
        assign = round_shares(prob, out[0], out[1])
        if np.bincount(assign, minlength=k).min() == 0:
            return centers, value, True, lp
        new = _medoids(u.geo, assign, k, u.weight)
        if np.array_equal(new, centers):
            return centers, value, True, lp
        centers = new
    return centers, value, False, lp


def _medoids_subset(u, codes, have, k):
    idx = np.flatnonzero(have)
    sub = Geo(
        u.geo.a[idx],
        u.geo.b[idx],
        u.geo.spherical,
        None if u.geo.matrix is None else u.geo.matrix[np.ix_(idx, idx)],
    )
    return idx[_medoids(sub, codes[idx].astype(int), k, u.weight[idx])]
