"""Measuring an alignment: the :class:`Alignment` that :func:`design` returns and
:func:`alignment_metrics`, the balance and compactness of any alignment.

Each territory's measures and their deviation from the mean territory, the distance
of every unit to its territory's center (a given location, such as the rep's home,
or the territory's medoid) and, given an adjacency, the connected pieces. The same
tables describe a designed alignment and the current one it is compared with.

Examples
--------
>>> u = pd.DataFrame({"unit_id": list("abcd"), "x": [0, 1, 5, 6], "y": 0,
...                   "potential": [1.0, 1.0, 1.0, 3.0]})
>>> per, tot = alignment_metrics(u, ["A", "A", "B", "B"])
>>> per["units"].tolist(), round(float(tot["max_dev"]), 2)
([2, 2], 0.33)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spm_sim.errors import DataError

from .inputs import Geo, _neighbor_lists, prepare_units
from .repair import _pieces

__all__ = ["Alignment", "alignment_metrics"]


@dataclass(frozen=True, eq=False)
class Alignment:
    """The result of :func:`design`: unit -> territory -> rep, with its metrics.

    Attributes
    ----------
    units : DataFrame
        One row per unit (index: unit id) with ``territory``, ``rep_id``,
        ``distance`` to the territory's center, ``current_rep`` and ``moved`` (when a
        current alignment was given), and the balanced measures.
    territories : DataFrame
        One row per territory: rep, center, units, each balanced measure with its
        deviation from the mean, total and mean distance, and ``pieces`` (connected
        parts, when an adjacency was given).
    summary : Series
        Overall figures: method, status, objective, lower bound and gap, total
        distance, the largest deviation and coefficient of variation per measure,
        disruption, seconds.
    settings : dict
        The settings of :func:`design` that shape the alignment, for provenance
        (:meth:`DesignSettings.provenance`; ``balance`` with its default filled in).
    before : Series or None
        The same overall figures for the current alignment (when given), measured
        the same way: to the reps' homes with ``homes``, else to each current
        territory's medoid. :meth:`comparison` sets them side by side.
    """

    units: pd.DataFrame
    territories: pd.DataFrame
    summary: pd.Series
    settings: dict = field(default_factory=dict)
    before: pd.Series | None = None

    def comparison(self) -> pd.DataFrame:
        """Before (the current alignment) and after, side by side.

        Rows: territories, the largest absolute deviation and the coefficient of
        variation of every balanced measure, total distance; columns ``before``,
        ``after`` and ``change`` (after - before).
        """
        if self.before is None:
            raise ValueError("no current alignment was given to design(current=...)")
        rows = ["territories"]
        for m in self.settings.get("balance", {}):
            rows += [f"max_dev_{m}", f"cv_{m}"]
        rows.append("total_distance")

        def pick(s: pd.Series, r: str) -> float:
            v = float(s[r])
            return abs(v) if r.startswith("max_dev_") else v

        out = pd.DataFrame(
            {
                "before": [pick(self.before, r) for r in rows],
                "after": [pick(self.summary, r) for r in rows],
            },
            index=pd.Index(rows, name="metric"),
        )
        out["change"] = out["after"] - out["before"]
        return out

    @property
    def distance_unit(self) -> str:
        """The unit of the distances with a leading space (``" km"`` between lat/lon),
        empty when it is not known (x/y coordinates or a given distance matrix)."""
        unit = str(self.summary.get("distance_unit", "") or "")
        return f" {unit}" if unit else ""

    @property
    def distance_label(self) -> str:
        """What the distances are in, said in words: ``km`` between lat/lon, else
        ``coordinate units`` (x/y) or ``units of the distance matrix``.

        Examples
        --------
        >>> units = pd.DataFrame({"unit_id": [1, 2], "x": [0, 3], "y": [0, 4], "potential": 1})
        >>> from spm_sim.territory import design
        >>> design(units, territories=1, balance={"potential": 0.0}).distance_label
        'coordinate units'
        """
        if self.distance_unit:
            return self.distance_unit.strip()
        given = bool(self.summary.get("distance_matrix", False))
        return "units of the distance matrix" if given else "coordinate units"

    def to_frame(self) -> pd.DataFrame:
        """unit id, territory, rep id: the table ``spm-sim align --out`` writes."""
        out = self.units[["territory", "rep_id"]].copy()
        out.index.name = self.units.index.name or "unit_id"
        return out.reset_index()

    def describe(self) -> str:
        """A short printed summary of the alignment and its balance."""
        s = self.summary
        km = self.distance_unit
        weight = self.settings.get("weight")
        weighted = f" (each unit's distance x its {weight!r})" if weight else ""
        mean = s["total_distance"] / max(int(s["units"]), 1)
        per = f"; a unit is {mean:,.1f}{km} from its center on average"
        # distances between x/y points (or from a given matrix) are in their units
        unknown = "" if km else f" (distances in {self.distance_label})"
        lines = [
            f"{int(s['territories'])} territories over {int(s['units']):,} units "
            f"({s['method']}, {s['status']}, {s['seconds']:.1f} s)",
            f"total distance {s['total_distance']:,.0f}{km}{weighted}"
            + (
                f"; lower bound {s['lower_bound']:,.0f}{km}, gap {s['gap']:.2%}"
                if np.isfinite(s["lower_bound"])
                else ""
            )
            + ("" if weight else per)
            + unknown,
        ]
        for m in self.settings.get("balance", {}):
            lines.append(
                f"{m}: largest deviation {s[f'max_dev_{m}']:+.1%} of the mean "
                f"(band +-{self.settings['balance'][m]:.0%}), CV {s[f'cv_{m}']:.1%}"
            )
        if "disruption" in s.index and np.isfinite(s["disruption"]):
            lines.append(
                f"disruption: {s['disruption']:.1%} of {s['disruption_basis']} change rep "
                f"({int(s['units_moved']):,} units)"
            )
        return "\n".join(lines)


def alignment_metrics(
    units: pd.DataFrame,
    territory: str | npt.ArrayLike,
    *,
    balance: Sequence[str] | Mapping[str, float] = ("potential",),
    centers: Mapping | None = None,
    weight: str | None = None,
    adjacency: Mapping | Sequence | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Per-territory balance and compactness of any alignment, and the overall figures.

    Parameters
    ----------
    units : DataFrame
        Units with a location (``lat``/``lon`` or ``x``/``y``) and the measures.
    territory : array-like or str
        The territory of each unit, or the name of a column holding it.
    balance : list of str or dict
        The measures to report (a dict's keys are used).
    centers : dict, optional
        territory -> (lat, lon) or (x, y) of its center (e.g. the rep's home). By
        default each territory's medoid: the unit with the smallest total distance
        to the territory's other units.
    weight : str, optional
        Column weighting the distances.
    adjacency : dict, optional
        unit id -> neighbour ids; adds ``pieces`` (connected parts) per territory.

    Returns
    -------
    (DataFrame, Series)
        Per territory, and the overall summary (``max_dev``, ``cv_<m>``,
        ``max_dev_<m>``, ``total_distance``).

    Examples
    --------
    >>> u = pd.DataFrame({"unit_id": list("abcd"), "x": [0, 1, 5, 6], "y": 0,
    ...                   "potential": [1.0, 1.0, 1.0, 3.0]})
    >>> per, tot = alignment_metrics(u, ["A", "A", "B", "B"])
    >>> per["dev_potential"].round(2).tolist(), float(tot["total_distance"])
    ([-0.33, 0.33], 2.0)
    """
    names = list(balance)
    u = prepare_units(
        units, balance={m: 0.0 for m in names}, weight=weight, current=None, locked=None
    )
    lab = units[territory].to_numpy() if isinstance(territory, str) else np.asarray(territory)
    if lab.shape != (len(u.ids),):
        raise DataError(
            f"territory labels: expected {len(u.ids)} (one per unit), got {lab.shape[0]}"
        )
    missing = pd.isna(pd.Series(lab, dtype=object)).to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"unit {u.ids[i]!r} has no territory ({int(missing.sum())} units in all); give "
            "every unit a territory, or drop the unassigned units before measuring",
            file=u.source,
            row=i + 2,
        )
    codes, uniq = pd.factorize(pd.Series(lab, dtype=object), sort=True)
    k = len(uniq)
    if centers is not None:
        missing = [t for t in uniq if t not in centers]
        if missing:
            raise DataError(f"centers: no location for territories {missing[:5]}")
        ca = np.array([centers[t][0] for t in uniq], float)
        cb = np.array([centers[t][1] for t in uniq], float)
        dist = u.geo.between(u.geo.a, u.geo.b, ca, cb)[np.arange(len(codes)), codes]
        center_ids = [None] * k
    else:
        med = _medoids(u.geo, codes, k, u.weight)
        dist = u.geo.to_units(med)[np.arange(len(codes)), codes]
        center_ids = [u.ids[c] for c in med]
    per, tot = _tables(u, codes, list(uniq), dist, names, center_ids, adjacency)
    return per, tot


def _medoids(
    geo: Geo, codes: np.ndarray, k: int, weight: np.ndarray, max_candidates: int = 600
) -> np.ndarray:
    """Index of the unit minimising the weighted distance to its territory's units."""
    out = np.zeros(k, int)
    for j in range(k):
        mem = np.flatnonzero(codes == j)
        if mem.size == 0:
            raise DataError(f"territory {j} has no units")
        cand = mem
        if mem.size > max_candidates:  # closest to the weighted centroid
            ca = np.average(geo.a[mem], weights=weight[mem] + 1e-12)
            cb = np.average(geo.b[mem], weights=weight[mem] + 1e-12)
            d0 = geo.between(np.array([ca]), np.array([cb]), geo.a[mem], geo.b[mem])[0]
            cand = mem[np.argsort(d0)[:max_candidates]]
        if geo.matrix is not None:
            d = geo.matrix[np.ix_(mem, cand)]
        else:
            d = geo.between(geo.a[mem], geo.b[mem], geo.a[cand], geo.b[cand])
        out[j] = cand[np.argmin(weight[mem] @ d)]
    return out


def _tables(u, codes, names_t, dist, measures, center_ids, adjacency):
    k = len(names_t)
    per = pd.DataFrame(index=pd.Index(names_t, name="territory"))
    per["center"] = center_ids
    per["units"] = np.bincount(codes, minlength=k)
    tot: dict[str, Any] = {"territories": k, "units": len(codes)}
    worst = 0.0
    for m in measures:
        vals = np.bincount(codes, weights=u.frame[m].to_numpy(float), minlength=k)
        mean = vals.mean()
        dev = vals / mean - 1 if mean else np.zeros(k)
        per[m] = vals
        per[f"dev_{m}"] = dev
        tot[f"max_dev_{m}"] = float(dev[np.argmax(np.abs(dev))]) if k else 0.0
        tot[f"cv_{m}"] = float(vals.std() / mean) if mean else 0.0
        worst = max(worst, float(np.abs(dev).max()))
    tot["max_dev"] = worst
    per["distance"] = np.bincount(codes, weights=dist * u.weight, minlength=k)
    per["mean_distance"] = np.bincount(codes, weights=dist, minlength=k) / per["units"]
    per["max_distance"] = pd.Series(dist).groupby(codes).max().reindex(range(k)).to_numpy()
    tot["total_distance"] = float((dist * u.weight).sum())
    tot["distance_unit"] = u.geo.unit
    tot["distance_matrix"] = u.geo.matrix is not None
    if adjacency is not None:
        nb = _neighbor_lists(adjacency, u.ids)
        per["pieces"] = [len(_pieces(nb, np.flatnonzero(codes == j))) for j in range(k)]
        tot["contiguous"] = bool((per["pieces"] == 1).all())
    return per, pd.Series(tot, dtype=object)


def _result_tables(u, assign, labels, rep_of, dist, centers_xy, center_idx, adjacency, nb):
    k = len(labels)
    d = dist[np.arange(len(assign)), assign]
    center_ids = [u.ids[c] for c in center_idx] if center_idx is not None else [None] * k
    per, tot = _tables(u, assign, labels, d, u.names, center_ids, adjacency)
    per.insert(0, "rep_id", rep_of)
    if centers_xy is not None:
        per["center_a"] = [centers_xy[r][0] for r in labels]
        per["center_b"] = [centers_xy[r][1] for r in labels]
    else:
        per["center_a"] = u.geo.a[center_idx]
        per["center_b"] = u.geo.b[center_idx]
    names = ("center_lat", "center_lon") if u.geo.spherical else ("center_x", "center_y")
    per = per.rename(columns={"center_a": names[0], "center_b": names[1]})
    return per, tot


def _before(u, has_cur: np.ndarray, home_dist, home_reps) -> pd.Series:
    """Overall figures of the current alignment, measured like the design's: with
    homes, by the same unit x home distances (coordinates or the given matrix)."""
    idx = np.flatnonzero(has_cur)
    codes, reps = pd.factorize(pd.Series(u.current[idx], dtype=object), sort=True)
    sub = replace(
        u,
        ids=[u.ids[i] for i in idx],
        frame=u.frame.iloc[idx].reset_index(drop=True),
        geo=Geo(
            u.geo.a[idx],
            u.geo.b[idx],
            u.geo.spherical,
            None if u.geo.matrix is None else u.geo.matrix[np.ix_(idx, idx)],
        ),
        weight=u.weight[idx],
    )
    col = {r: j for j, r in enumerate(home_reps or [])}
    if home_dist is not None and all(r in col for r in reps):
        dist = home_dist[idx, [col[r] for r in u.current[idx]]]
    else:
        med = _medoids(sub.geo, codes, len(reps), sub.weight)
        dist = sub.geo.to_units(med)[np.arange(len(codes)), codes]
    _, tot = _tables(sub, codes, list(reps), dist, u.names, [None] * len(reps), None)
    return tot
