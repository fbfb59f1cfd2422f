"""Inputs of territory design: checked units, distances, the adjacency and infeasibility
explanations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.book import numeric_column
from spm_sim.errors import DataError, SpecError

from .lp import AssignmentLP, solve_lp
from .problem import Problem

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), km
COUNT = "count"  # a balance measure that counts units (accounts, counties)
ID_COLUMNS = ("account_id", "unit_id", "id")  # an accounts table also names its unit


def great_circle_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (haversine).

    Broadcasts like numpy arithmetic; the Earth is a sphere of radius
    ``EARTH_RADIUS_KM`` (error under 0.5% against the ellipsoid).

    Examples
    --------
    >>> round(float(great_circle_km(51.5074, -0.1278, 48.8566, 2.3522)))  # London-Paris
    344
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class Geo:
    """Locations of units (lat/lon or x/y) and how to measure between them."""

    a: np.ndarray  # lat or x
    b: np.ndarray  # lon or y
    spherical: bool
    matrix: np.ndarray | None = None  # precomputed unit x unit distances

    @property
    def unit(self) -> str:
        """What distances are measured in: ``km`` between lat/lon, else not known
        here (the units of x/y, or of a given distance matrix): empty."""
        return "km" if self.spherical and self.matrix is None else ""

    def between(self, a1, b1, a2, b2) -> np.ndarray:
        a1, b1, a2, b2 = (np.asarray(v, float) for v in (a1, b1, a2, b2))
        if self.spherical:
            return great_circle_km(a1[:, None], b1[:, None], a2[None, :], b2[None, :])
        return np.hypot(a1[:, None] - a2[None, :], b1[:, None] - b2[None, :])

    def to_units(self, centers: np.ndarray) -> np.ndarray:
        """(n, k) distances from every unit to the units ``centers`` (indices)."""
        if self.matrix is not None:
            return self.matrix[:, centers]
        return self.between(self.a, self.b, self.a[centers], self.b[centers])


@dataclass(frozen=True, eq=False)
class Units:
    """Checked units: ids, locations, measures and the current alignment (internal)."""

    ids: list
    frame: pd.DataFrame  # the caller's table, reindexed 0..n-1, with measure columns
    geo: Geo
    measures: np.ndarray  # (m, n)
    names: list[str]
    tolerance: np.ndarray  # (m,)
    weight: np.ndarray  # (n,)
    current: np.ndarray  # (n,) rep id (object) or None
    locked: np.ndarray  # (n,) bool
    source: str

    def where(self, i: int) -> str:
        """How to name unit ``i`` in a message."""
        name = self.frame["name"].iloc[i] if "name" in self.frame else None
        return f"{self.ids[i]!s}" + (f" ({name})" if isinstance(name, str) else "")


def _fail(
    msg: str, source: str, row: int | None = None, column: str | None = None, value: Any = None
):
    raise DataError(msg, file=source, row=row, column=column, value=value)


def _ids(df: pd.DataFrame, id_col: str | None, source: str) -> list:
    if id_col is None:
        id_col = next((c for c in ID_COLUMNS if c in df.columns), None)
    if id_col is None:
        ids = df.index.tolist()
    else:
        if id_col not in df.columns:
            _fail(f"no id column '{id_col}'{suggest(id_col, map(str, df.columns))}", source)
        ids = df[id_col].tolist()
    s = pd.Series(ids)
    dup = s.duplicated(keep=False)
    if dup.any():
        rows = [int(r) + 2 for r in np.flatnonzero(dup)[:4]]
        _fail(
            f"unit id {s[dup].iloc[0]!r} appears more than once (rows {rows}); ids must be unique",
            source,
            column=id_col,
        )
    return ids


def _geo(df: pd.DataFrame, source: str, distances, optional: bool = False) -> Geo:
    cols = set(df.columns)
    if {"lat", "lon"} <= cols:
        lat = numeric_column(df, "lat", source, nonneg=False)
        lon = numeric_column(df, "lon", source, nonneg=False)
        for name, v, lim in (("lat", lat, 90), ("lon", lon, 180)):
            out = np.abs(v) > lim
            if out.any():
                i = int(np.flatnonzero(out)[0])
                _fail(
                    f"{v[i]} is outside [-{lim}, {lim}] degrees; lat and lon are in "
                    "degrees (swap them if they are reversed)",
                    source,
                    row=i + 2,
                    column=name,
                    value=v[i],
                )
        a, b, spherical = lat, lon, True
    elif {"x", "y"} <= cols:
        a, b = (
            numeric_column(df, "x", source, nonneg=False),
            numeric_column(df, "y", source, nonneg=False),
        )
        spherical = False
    elif distances is not None or optional:
        a = b = np.zeros(len(df))  # no locations: distances come from the matrix
        spherical = False
    else:
        book = (
            "; a book may leave the accounts' lat and lon out (they are optional for "
            "payouts, statements, back-tests, quotas from history and tracking), but "
            "territory design needs them: add both columns with a value for every account"
            if "lat" not in cols and "account_id" in cols
            else ""
        )
        _fail(
            "units need a location: columns lat and lon (degrees), or x and y, or a "
            f"distance matrix (distances=...){book}",
            source,
        )
    matrix = None
    if distances is not None:
        matrix = np.asarray(distances, float)
        if (
            matrix.shape != (len(df), len(df))
            or not np.isfinite(matrix).all()
            or (matrix < 0).any()
        ):
            _fail(
                f"distances must be a finite, non-negative {len(df)} x {len(df)} unit-by-"
                f"unit matrix in the units' order; got shape {matrix.shape}",
                source,
            )
    return Geo(a, b, spherical, matrix)


def prepare_units(
    units: pd.DataFrame,
    *,
    balance: Mapping[str, float],
    weight: str | None,
    current,
    locked,
    id_col: str | None = None,
    distances=None,
    source: str = "units",
    location_optional: bool = False,
) -> Units:
    """Check the units table and the design arguments that refer to its columns."""
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"units must be a pandas DataFrame; got {type(units).__name__}")
    if len(units) == 0:
        _fail("the units table is empty", source)
    ids = _ids(units, id_col, source)
    df = units.reset_index(drop=True)
    geo = _geo(df, source, distances, location_optional)
    names: list[str] = []
    tol: list[float] = []
    rows: list[np.ndarray] = []
    for m, t in balance.items():
        if isinstance(t, bool) or not isinstance(t, Real) or not np.isfinite(t) or t < 0:
            raise SpecError(
                f"balance tolerance of '{m}' must be a number >= 0 (e.g. 0.05 for +-5%); got {t!r}"
            )
        if m == COUNT and COUNT not in df.columns:
            df[COUNT] = 1.0
        vals = numeric_column(df, m, source)
        if vals.sum() <= 0 and len(balance):
            _fail(f"'{m}' sums to 0 over all units; there is nothing to balance", source, column=m)
        names.append(m)
        tol.append(float(t))
        rows.append(vals)
    w = np.ones(len(df)) if weight is None else numeric_column(df, weight, source)
    cur = _current(df, current, source)
    lock = _locked(df, ids, locked, cur, source)
    return Units(
        ids,
        df,
        geo,
        np.array(rows).reshape(len(names), len(df)),
        names,
        np.array(tol),
        w,
        cur,
        lock,
        source,
    )


def _current(df: pd.DataFrame, current, source: str) -> np.ndarray:
    if current is None:
        return np.full(len(df), None, dtype=object)
    if isinstance(current, str):
        if current not in df.columns:
            _fail(
                f"no current-alignment column '{current}'{suggest(current, map(str, df.columns))}",
                source,
            )
        vals = df[current]
    else:
        vals = pd.Series(np.asarray(current, dtype=object))
        if len(vals) != len(df):
            _fail(
                f"current alignment has {len(vals)} entries for {len(df)} units; give one "
                "rep id per unit (empty for none) or a column name",
                source,
            )
    out = vals.astype(object).to_numpy().copy()
    out[pd.isna(vals).to_numpy() | (vals.astype(str).str.strip() == "").to_numpy()] = None
    return out


def _locked(df, ids, locked, cur, source) -> np.ndarray:
    n = len(df)
    if locked is None:
        return np.zeros(n, bool)
    if isinstance(locked, str):
        if locked not in df.columns:
            _fail(f"no locked column '{locked}'{suggest(locked, map(str, df.columns))}", source)
        raw = df[locked]
        text = raw.astype(str).str.strip().str.lower()
        ok = text.isin(["true", "false", "1", "0", "yes", "no", "", "nan", "1.0", "0.0"])
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy())[0])
            _fail(
                f"value {raw.iloc[i]!r} is not true/false",
                source,
                row=i + 2,
                column=locked,
                value=raw.iloc[i],
            )
        mask = text.isin(["true", "1", "yes", "1.0"]).to_numpy()
    elif np.asarray(locked).dtype == bool:
        mask = np.asarray(locked, bool)
        if mask.shape != (n,):
            _fail(
                f"locked: a true/false mask needs one value per unit ({n}); got {mask.size}", source
            )
    else:
        pos = {u: p for p, u in enumerate(ids)}
        unknown = [u for u in locked if u not in pos]
        if unknown:
            _fail(
                f"locked units {unknown[:5]} are not among the units; give unit ids from "
                "the units' id column, or a true/false column name",
                source,
            )
        mask = np.zeros(n, bool)
        mask[[pos[u] for u in locked]] = True
    orphan = mask & np.array([c is None for c in cur])
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        _fail(
            f"unit {ids[i]!r} is locked but has no current rep; a locked unit stays with "
            "its current rep, so give the current alignment (current=...)",
            source,
            row=i + 2,
        )
    return mask


def adjacency_from_points(units: pd.DataFrame, *, max_km: float | None = None) -> dict:
    """Neighbours of each unit from a Delaunay triangulation of its location.

    A stand-in when no polygon adjacency is at hand: two units are neighbours when
    they share an edge of the triangulation (edges longer than ``max_km`` dropped).

    Returns
    -------
    dict
        unit id -> list of neighbouring unit ids.

    Examples
    --------
    >>> pts = pd.DataFrame({"unit_id": list("abcd"), "x": [0, 1, 0, 5], "y": [0, 0, 1, 5]})
    >>> sorted(adjacency_from_points(pts)["a"])
    ['b', 'c']
    """
    from scipy.spatial import Delaunay

    u = prepare_units(units, balance={}, weight=None, current=None, locked=None)
    ids = u.ids
    if len(ids) < 3:
        return {ids[0]: list(ids[1:]), **{i: [ids[0]] for i in ids[1:]}} if ids else {}
    pts = (
        np.column_stack([u.geo.b, u.geo.a])
        if u.geo.spherical
        else np.column_stack([u.geo.a, u.geo.b])
    )
    tri = Delaunay(pts, qhull_options="QJ")
    edges = set()
    for s in tri.simplices:
        for p in range(3):
            i, j = sorted((int(s[p]), int(s[(p + 1) % 3])))
            edges.add((i, j))
    out: dict = {i: [] for i in ids}
    for i, j in sorted(edges):
        if max_km is not None:
            d = u.geo.between(u.geo.a[[i]], u.geo.b[[i]], u.geo.a[[j]], u.geo.b[[j]])[0, 0]
            if d > max_km:
                continue
        out[ids[i]].append(ids[j])
        out[ids[j]].append(ids[i])
    # a degenerate triangulation (QJ) can create an edge between a point and itself
    return {k: sorted(set(v) - {k}) for k, v in out.items()}


def _neighbor_lists(adjacency, ids: list) -> list[np.ndarray]:
    """Adjacency (dict id -> ids, or pairs) as a list of index arrays."""
    pos = {i: p for p, i in enumerate(ids)}
    out: list[list[int]] = [[] for _ in ids]
    if isinstance(adjacency, Mapping):
        pairs = [(a, b) for a, bs in adjacency.items() for b in bs]
    else:
        pairs = [
            tuple(p)
            for p in (adjacency.to_numpy() if hasattr(adjacency, "to_numpy") else adjacency)
        ]
    for a, b in pairs:
        if a not in pos or b not in pos:
            bad = a if a not in pos else b
            raise DataError(
                f"adjacency: unit {bad!r} is not among the units; use the unit ids of the "
                "units table"
            )
        if a != b:
            out[pos[a]].append(pos[b])
            out[pos[b]].append(pos[a])
    return [np.unique(np.asarray(x, int)) for x in out]


def unit_reasons(u: Units, k: int, prob: Problem | None = None, labels: Sequence = ()) -> list[str]:
    """Reasons no integer alignment exists that the LP relaxation cannot see: a unit
    larger than the band's top, or (given ``prob``) locked units that alone overfill
    a territory."""
    reasons: list[str] = []
    for m, name in enumerate(u.names):
        mean = u.measures[m].sum() / k
        t = u.tolerance[m]
        i = int(np.argmax(u.measures[m]))
        share = u.measures[m][i] / mean
        if share > 1 + t + 1e-12:
            reasons.append(
                f"+-{t:.0%} on {name} is infeasible: the largest unit, {u.where(i)}, holds "
                f"{share:.1%} of a mean territory's {name}, and a territory may hold at most "
                f"{1 + t:.1%}. Widen the tolerance to at least +-{share - 1:.1%}, split the "
                f"unit into smaller ones (e.g. accounts), or drop {name} from the balance."
            )
        if prob is not None and prob.locked.any():
            held = np.bincount(
                prob.current[prob.locked], weights=u.measures[m][prob.locked], minlength=k
            )
            j = int(np.argmax(held))
            if held[j] > prob.hi[m, j] + 1e-9:
                reasons.append(
                    f"the locked units of {labels[j]} alone hold {held[j] / mean:.1%} of a "
                    f"mean territory's {name}, above the band's {1 + t:.1%}; unlock some of "
                    "them or widen the tolerance."
                )
    return reasons


def explain_infeasible(
    u: Units,
    prob: Problem,
    labels: Sequence,
    *,
    dis_basis: str,
    forced: float = 0.0,
    basis_total: float | None = None,
) -> list[str]:
    """Reasons, with numbers, why no alignment can meet the request."""
    k = prob.k
    reasons = unit_reasons(u, k, prob, labels)
    if reasons:
        return reasons
    if prob.dis_cap is not None:
        free = Problem(
            **{
                **prob.__dict__,
                "dis_cap": None,
                "cost": np.where(np.arange(k)[None, :] == prob.current[:, None], 0.0, 1.0)
                * prob.dis_weight[:, None],
                "penalty": np.zeros(prob.n),
            }
        )
        out = solve_lp(free, candidates=k)
        total = basis_total or float(prob.dis_weight[prob.current >= 0].sum())
        if out is not None and out[2] > prob.dis_cap + forced + 1e-9:
            need = out[2] / total  # the LP counts units without a territory as moved
            return [
                f"a disruption cap of {(prob.dis_cap + forced) / total:.1%} is infeasible with "
                "these "
                f"bands: at least {need:.1%} of {dis_basis} must change rep to bring every "
                f"territory inside its band (LP bound). Raise the cap to {need:.1%} or more, "
                "or widen the tolerances."
            ]
    tight = _loosest_needed(u, prob)
    if tight == 0.0:
        return [
            "no alignment of whole units fits the bands (HiGHS proved it), although the LP "
            "relaxation, which may split units, does: the units are too coarse for "
            + ", ".join(f"+-{t:.0%} on {m}" for m, t in zip(u.names, u.tolerance, strict=True))
            + ". Widen the tolerances, change the number of territories or split the "
            "largest units."
        ]
    return [
        "the bands cannot all hold at once"
        + (f"; the LP relaxation needs them widened by {tight:.1%} of the mean" if tight else "")
        + ". Widen the tolerances, lower the number of territories or unlock units."
    ]


def _loosest_needed(u: Units, prob: Problem) -> float | None:
    """Smallest common widening s (share of the mean) that makes the LP feasible.

    One HiGHS model serves the whole bisection: only the bands change between the
    solves."""
    lp = AssignmentLP(prob)
    if solve_lp(prob, candidates=min(prob.k, 12), lp=lp) is not None:
        return 0.0
    lo_s, hi_s = 0.0, 4.0
    means = u.measures.sum(axis=1) / prob.k
    for _ in range(12):
        mid = (lo_s + hi_s) / 2
        p = Problem(
            **{
                **prob.__dict__,
                "lo": prob.lo - mid * means[:, None],
                "hi": prob.hi + mid * means[:, None],
            }
        )
        if solve_lp(p, candidates=min(prob.k, 12), lp=lp) is None:
            lo_s = mid
        else:
            hi_s = mid
    return hi_s if hi_s < 4.0 else None
