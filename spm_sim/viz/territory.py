"""Figures of territory design: the map, balance bars, trade-off and headcount charts.

Re-exported by :mod:`spm_sim.viz`; the same house rules apply (object-oriented
matplotlib on the Agg canvas, no pyplot, the look set inside ``figure_style()`` only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FuncFormatter, MaxNLocator

from spm_sim.random import stream_rng

from .style import OKABE_ITO, SpmFigure, figure_style, palette, pct_axis, safe_label
from .tables import money_table

if TYPE_CHECKING:
    from spm_sim.territory import Alignment

__all__ = [
    "territory_map",
    "balance_bars",
    "tradeoff_curve",
    "headcount_chart",
    "territory_names",
    "territory_neighbours",
    "comparison_table",
    "MAP_COLORS",
    "status_text",
]


# ----------------------------------------------------------------------------- territories

#: Statuses of a territory design whose alignment is outside the bands (or missing).
_NOT_FEASIBLE = frozenset({"bands_not_met", "infeasible", "error", "failed"})

#: A design's status in words, for tables a planner reads.
STATUS_WORDS = {
    "optimal": "within the bands (optimal)",
    "time_limit": "time limit reached (best found)",
    "heuristic": "within the bands (fast search)",
    "bands_not_met": "outside the bands",
    "infeasible": "infeasible",
    "error": "failed",
    "failed": "failed",
}


def status_text(status: object) -> str:
    """A territory design's status (``Alignment.summary["status"]``) in words.

    Examples
    --------
    >>> status_text("heuristic"), status_text("bands_not_met")
    ('within the bands (fast search)', 'outside the bands')
    """
    return STATUS_WORDS.get(str(status), str(status).replace("_", " "))


def _warn_color():
    """The colour of out-of-band bars and warnings (colour-blind vermillion)."""
    return sns.color_palette("colorblind")[3]


def _km_axis(ax: Axes, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _coords(frame: pd.DataFrame, prefix: str = "") -> tuple[str, str, bool] | None:
    """Column names of (horizontal, vertical) position and whether they are lon/lat."""
    if f"{prefix}lat" in frame.columns and f"{prefix}lon" in frame.columns:
        return f"{prefix}lon", f"{prefix}lat", True
    if f"{prefix}x" in frame.columns and f"{prefix}y" in frame.columns:
        return f"{prefix}x", f"{prefix}y", False
    return None


def _missing(values: pd.Series) -> np.ndarray:
    """True where a rep / territory label is absent (None, NaN or empty text)."""
    v = values.astype(object)
    return (v.isna() | v.map(lambda s: isinstance(s, str) and not s.strip())).to_numpy(bool)


#: Colours of the territories: Okabe-Ito without black (kept for edges, stars and
#: labels), told apart with the common kinds of colour blindness.
MAP_COLORS: tuple[str, ...] = tuple(c for c in OKABE_ITO if c != "#000000")


def _map_palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours: :data:`MAP_COLORS`, then their tints, then their shades."""
    base = [to_rgb(c) for c in MAP_COLORS]
    out = list(base)
    mix = 0.45
    while len(out) < n:  # tints (towards white), then shades (towards black), ever lighter
        out += [(r + (1 - r) * mix, g + (1 - g) * mix, b + (1 - b) * mix) for r, g, b in base]
        out += [(r * (1 - mix), g * (1 - mix), b * (1 - mix)) for r, g, b in base]
        mix = (mix + 1) / 2
    return out[:n]


#: A Delaunay edge longer than this many times the median edge is not a neighbourhood.
LONG_EDGE = 5.0


def _neighbour_pairs(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Pairs of units next to each other: the edges of a Delaunay triangulation, less
    those longer than :data:`LONG_EDGE` times the median edge."""
    ok = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    if len(ok) < 3:
        return np.array([(ok[i], ok[j]) for i in range(len(ok)) for j in range(i)], int).reshape(
            -1, 2
        )
    from scipy.spatial import (
        Delaunay,  # only to colour a map
        QhullError,
    )

    try:
        tri = Delaunay(np.column_stack([px[ok], py[ok]]), qhull_options="QJ")
    except (QhullError, ValueError):  # every point on a line: neighbours along it
        order = ok[np.lexsort((py[ok], px[ok]))]
        return np.column_stack([order[:-1], order[1:]])
    s = tri.simplices
    pairs = ok[
        np.unique(
            np.sort(np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]]), axis=1), axis=0
        )
    ]
    # an edge across a gap (a lake, an empty region, the hull's long sides) joins units
    # that are not near each other: edges over LONG_EDGE x the median are dropped
    length = np.hypot(px[pairs[:, 0]] - px[pairs[:, 1]], py[pairs[:, 0]] - py[pairs[:, 1]])
    return pairs[length <= LONG_EDGE * np.median(length)]


def territory_neighbours(labels: Sequence, px: np.ndarray, py: np.ndarray) -> set[tuple]:
    """Pairs of territories (or reps) with units next to each other on the map.

    Two labels are neighbours when a unit of one and a unit of the other share an edge
    of the Delaunay triangulation of the units' positions (the units "near each
    other"), unless that edge is more than :data:`LONG_EDGE` times the median edge
    (it spans a gap, not a border). Missing labels (``None``, NaN, empty text) are left out.

    Parameters
    ----------
    labels : sequence
        The territory or rep of each unit.
    px, py : ndarray
        The units' positions as drawn (longitude scaled by the cosine of the latitude).

    Returns
    -------
    set of tuple
        Each neighbouring pair once, the two labels sorted by their text.

    Examples
    --------
    >>> x = np.array([0.0, 1, 2, 3, 0, 1, 2, 3])
    >>> y = np.array([0.0, 0, 0, 0, 1, 1, 1, 1])
    >>> sorted(territory_neighbours(list("AABBAACC"), x, y))
    [('A', 'B'), ('A', 'C'), ('B', 'C')]
    """
    lab = pd.Series(list(labels), dtype=object)
    absent = _missing(lab)
    arr = lab.to_numpy(object)
    out: set[tuple] = set()
    for i, j in _neighbour_pairs(np.asarray(px, float), np.asarray(py, float)):
        if absent[i] or absent[j] or arr[i] == arr[j]:
            continue
        a, b = sorted((arr[i], arr[j]), key=str)
        out.add((a, b))
    return out


def _greedy_colors(keys: list, hard: set[tuple], soft: set[tuple], n_colors: int) -> dict:
    """A colour index per key: ``hard`` neighbours always apart, ``soft`` ones if possible.

    Greedy colouring in DSatur order: the next key coloured is the one whose ``hard``
    neighbours already use the most colours (ties: the most neighbours, then the key's
    text). It takes, among the colours no hard neighbour uses, the one fewest of its
    ``soft`` neighbours use (the lowest on a tie); only when all ``n_colors`` are taken
    by hard neighbours is a colour added.
    """
    nbrs: dict = {k: (set(), set()) for k in keys}
    for i, edges in enumerate((hard, soft)):
        for a, b in edges:
            if a in nbrs and b in nbrs:
                nbrs[a][i].add(b)
                nbrs[b][i].add(a)
    color: dict = {}
    order_text = {k: str(k) for k in keys}
    while len(color) < len(keys):
        left = [k for k in keys if k not in color]
        k = max(
            sorted(left, key=order_text.__getitem__, reverse=True),
            key=lambda k: (
                len({color[n] for n in nbrs[k][0] if n in color}),
                len(nbrs[k][0]),
                len(nbrs[k][1]),
            ),
        )
        taken = {color[n] for n in nbrs[k][0] if n in color}
        free = [c for c in range(n_colors) if c not in taken]
        if not free:
            n_colors += 1
            free = [n_colors - 1]
        clash = [sum(color.get(n) == c for n in nbrs[k][1]) for c in free]
        color[k] = free[int(np.argmin(clash))]
    return color


def _percent_text(v: float) -> str:
    return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"


#: The colour of units without a current rep.
_GREY = (0.8, 0.8, 0.8)


def _after_keys(units: pd.DataFrame) -> np.ndarray:
    """The colour key of each unit after the design: its rep, else its territory."""
    rep = units["rep_id"].astype(object)
    return rep.where(~_missing(units["rep_id"]), units["territory"]).to_numpy(object)


def _current_reps(units: pd.DataFrame, before) -> pd.Series:
    """Each unit's current rep from ``before`` ("current", a Series or one value per unit)."""
    if isinstance(before, str):
        if before != "current":
            raise ValueError(f"before must be a Series or 'current'; got {before!r}")
        if "current_rep" not in units.columns:
            raise ValueError("before='current' needs an alignment designed with current=")
        return units["current_rep"].astype(object)
    if isinstance(before, pd.Series) and before.index.isin(units.index).any():
        return before.astype(object).reindex(units.index)
    values = np.asarray(before, dtype=object)
    n = len(units)
    if values.shape != (n,):
        raise ValueError(f"before: expected {n} values (one per unit), got {values.shape}")
    return pd.Series(values, index=units.index, dtype=object)


def _before_keys(units: pd.DataFrame, before, after_key: np.ndarray):
    """The current rep of each unit, whether it has none, and whether it changes rep."""
    current = _current_reps(units, before)
    cur_missing = _missing(current)
    cur = current.to_numpy(object)
    if isinstance(before, str) and "moved" in units.columns:
        moved = units["moved"].to_numpy(bool)
    else:
        moved = ~cur_missing & (cur != after_key)
    return cur, cur_missing, moved


def _key_colors(after_key, cur, cur_missing, px: np.ndarray, py: np.ndarray) -> dict:
    """One colour per rep / territory of either panel, neighbours in different colours.

    ``px``, ``py`` are the units' displayed positions. Up to len(MAP_COLORS) keys each
    get a colour of their own. Beyond, reps or territories whose units are next to
    each other (:func:`territory_neighbours`) in either panel get different colours
    (:func:`_greedy_colors`); a rep keeps one colour in both panels, so that is how
    a reader follows a rep from before to after. Today's territories interleave more
    than the design's, so the before panel may need more than the seven hues: the
    palette goes on with their tints and shades (:func:`_map_palette`).
    """
    n = len(after_key)
    panels = [(np.asarray(after_key, dtype=object), np.zeros(n, bool))]
    if cur is not None:
        panels.append((np.asarray(cur, dtype=object), np.asarray(cur_missing, bool)))
    keys: list = []
    for labels, absent in panels:
        for k in sorted(set(labels[~absent]), key=str):
            if k not in keys:
                keys.append(k)
    if len(keys) <= len(MAP_COLORS):
        return dict(zip(keys, _map_palette(len(keys)), strict=True))
    hard = territory_neighbours(list(panels[0][0]), px, py)
    if len(panels) > 1:  # the before panel's neighbours apart too
        labels, absent = panels[1]
        shown = [None if gone else label for label, gone in zip(labels, absent, strict=True)]
        hard |= territory_neighbours(shown, px, py)
    index = _greedy_colors(keys, hard, set(), len(MAP_COLORS))
    colors = _map_palette(max(index.values()) + 1)
    return {k: colors[index[k]] for k in keys}


def territory_names(territories: pd.DataFrame) -> pd.Series:
    """The name every figure gives a territory: its rep, else its own label.

    The map labels its centers with these and the balance bars name their bars with
    them, so a territory reads the same in both (``R012``, not ``T3`` in one figure
    and ``R012`` in the other).

    Examples
    --------
    >>> per = pd.DataFrame({"rep_id": ["R012", None]}, index=["T1", "T2"])
    >>> territory_names(per).tolist()
    ['R012', 'T2']
    """
    index = territories.index.to_series().astype(object)
    if "rep_id" not in territories.columns:
        return index
    rep = territories["rep_id"].astype(object)
    return rep.where(~_missing(rep), index)


def _panel_size(x: np.ndarray, y: np.ndarray, scale: float, two: bool) -> tuple[float, float]:
    """Width and height of a map panel from the data's extent as displayed."""
    n = len(x)
    # latitude stretched by 1/cos
    xr = float(np.nanmax(x) - np.nanmin(x)) if n else 1.0
    yr = float(np.nanmax(y) - np.nanmin(y)) if n else 1.0
    ratio = float(np.clip((yr / scale) / xr if xr > 0 else 1.0, 0.35, 1.6))
    panel_w = 7.0 if two else 8.0
    return panel_w, panel_w * ratio + 1.0


def _center_points(per: pd.DataFrame, units: pd.DataFrame, xc: str, yc: str):
    """Each territory's center position, its colour key, and whether centers are homes.

    The territory center columns, else the center unit's position.
    """
    ccols = _coords(per, "center_")
    cx = per[ccols[0]].to_numpy(float) if ccols else np.full(len(per), np.nan)
    cy = per[ccols[1]].to_numpy(float) if ccols else np.full(len(per), np.nan)
    if "center" in per.columns:
        for j, c in enumerate(per["center"]):
            if np.isnan(cx[j]) and c is not None and c in units.index:
                cx[j], cy[j] = float(units.at[c, xc]), float(units.at[c, yc])
    ckey = territory_names(per)
    homes_mode = "center" not in per.columns or bool(per["center"].isna().all())
    return cx, cy, ckey.to_numpy(object), homes_mode


@dataclass(frozen=True, eq=False)
class _MapData:
    """What every panel of a territory map draws: positions, colours and centers."""

    x: np.ndarray
    y: np.ndarray
    xc: str
    yc: str
    geo: bool
    scale: float
    show: np.ndarray  # the units drawn: all, or a sample
    dot: float
    colors: dict
    cx: np.ndarray
    cy: np.ndarray
    ckey: np.ndarray
    homes_mode: bool

    @property
    def k_terr(self) -> int:
        return len(self.cx)

    @property
    def center_name(self) -> str:
        return "rep home" if self.homes_mode else "territory center"


def _draw_centers(ax: Axes, m: _MapData, with_centers: np.ndarray) -> None:
    """The centers as black-edged stars, labelled when there are at most 30."""
    j = np.flatnonzero(with_centers & np.isfinite(m.cx) & np.isfinite(m.cy))
    ax.scatter(
        m.cx[j],
        m.cy[j],
        s=150 if m.k_terr <= 30 else 70,
        marker="*",
        c=[m.colors.get(m.ckey[i], _GREY) for i in j],
        edgecolors="black",
        linewidths=0.8,
        zorder=4,
        gid="centers",
    )
    if m.k_terr <= 30:
        for i in j:
            ax.annotate(
                safe_label(m.ckey[i]),
                (m.cx[i], m.cy[i]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7.5,
                fontweight="bold",
                path_effects=[withStroke(linewidth=2.5, foreground="white")],
                zorder=5,
            )


def _draw_map(ax: Axes, m: _MapData, labels, absent, with_centers) -> None:
    """One map panel: the units coloured by ``labels`` (grey where ``absent``), centers."""
    col = [_GREY if absent[i] else m.colors[labels[i]] for i in m.show]
    ax.scatter(
        m.x[m.show], m.y[m.show], s=m.dot, c=col, linewidths=0, rasterized=False, gid="units"
    )
    if with_centers is not None and with_centers.any():
        _draw_centers(ax, m, with_centers)
    ax.set_aspect(1.0 / m.scale if m.geo else "equal", adjustable="box")
    if m.geo:
        deg = FuncFormatter(lambda v, _pos: f"{v:g}°")
        ax.xaxis.set_major_formatter(deg)
        ax.yaxis.set_major_formatter(deg)
        ax.set_xlabel("Longitude")
        ax.set_ylabel("Latitude")
    else:
        ax.set_xlabel(safe_label(m.xc))
        ax.set_ylabel(safe_label(m.yc))


def _center_handle(m: _MapData) -> Line2D:
    return Line2D([], [], ls="", marker="*", ms=11, mfc="white", mec="black", label=m.center_name)


def _single_map(m: _MapData, after_key, size: tuple[float, float], title: str):
    """The figure of the alignment alone, and its legend handles."""
    fig = SpmFigure(figsize=size, layout="constrained")
    ax = fig.subplots()
    _draw_map(ax, m, after_key, np.zeros(len(after_key), bool), np.ones(m.k_terr, bool))
    ax.set_title(title)
    return fig, [_center_handle(m)]


def _disruption_caption(alignment, before, moved, cur_missing) -> tuple[float, str]:
    """The disrupted share and its basis: the design's own with ``before="current"``."""
    s = alignment.summary
    if isinstance(before, str) and "disruption" in s.index:
        return float(s["disruption"]), str(s.get("disruption_basis", "units"))
    has = int((~cur_missing).sum())
    return (moved.sum() / has if has else 0.0), "units"


def _before_after_maps(m: _MapData, keys, size, note: str, title: str, share):
    """Before and after panels (moved units ringed in the after one), and legend handles.

    ``keys`` is (after key, current rep, no current rep, moved) per unit; ``note``
    ends the before panel's title, ``title`` starts the after panel's; ``share`` is
    the disrupted share and its basis.
    """
    after_key, cur, cur_missing, moved = keys
    panel_w, panel_h = size
    fig = SpmFigure(figsize=(2 * panel_w + 0.6, panel_h + 0.3), layout="constrained")
    ax0, ax = fig.subplots(1, 2, sharex=True, sharey=True)
    # the before panel shows the homes of reps who had units before
    had = set(cur[~cur_missing])
    _draw_map(ax0, m, cur, cur_missing, np.array([m.homes_mode and k in had for k in m.ckey]))
    ax0.set_title(f"Before: current alignment ({len(had)} reps){note}")
    _draw_map(ax, m, after_key, np.zeros(len(after_key), bool), np.ones(m.k_terr, bool))
    show = m.show
    ring = moved[show]
    ax.scatter(
        m.x[show][ring],
        m.y[show][ring],
        s=m.dot * 2.6,
        c=[m.colors[after_key[i]] for i in show[ring]],
        edgecolors="black",
        linewidths=0.4,
        zorder=3,
        gid="moved",
    )
    ax.set_title(
        f"{title}\n{share[0]:.1%} of {share[1]} change rep ({int(moved.sum()):,} units, ringed)"
    )
    handles: list[Artist] = [
        _center_handle(m),
        Line2D([], [], ls="", marker="o", ms=6, mfc="0.8", mec="black", label="changes rep"),
    ]
    if cur_missing.any():
        handles.append(Patch(color=_GREY, label="no current rep"))
    return fig, handles


def territory_map(
    alignment: Alignment,
    *,
    before: pd.Series | Sequence | str | None = None,
    ax_title: str | None = None,
    max_points: int = 20000,
) -> Figure:
    """Units coloured by territory, with the centers (rep homes); optionally before/after.

    Parameters
    ----------
    alignment : Alignment
        From :func:`spm_sim.territory.design`. Units need ``lat``/``lon`` (drawn
        with longitude across, and a 1/cos(mean latitude) aspect so distances look
        right) or ``x``/``y`` (equal aspect).
    before : Series, sequence or "current", optional
        The current rep of each unit (a Series indexed by unit id, or one value per
        unit in the order of ``alignment.units``), or ``"current"`` for
        ``alignment.units["current_rep"]``. Draws two panels, before and after, a rep
        having the same colour in both; units that change rep are ringed in black in
        the after panel, whose title states the disrupted share.
    ax_title : str, optional
        Title of the (after) map instead of the default.
    max_points : int, default 20000
        Above this many units, an evenly drawn random sample (fixed seed) of this
        size is plotted, and the title says so.

    Returns
    -------
    Figure
        One axes (two with ``before``). The unit dots are the scatter collection
        with gid ``"units"``, the centers ``"centers"``, the moved rings ``"moved"``.

    Notes
    -----
    Colours are the colour-blind-safe Okabe-Ito hues (:data:`MAP_COLORS`). Up to
    seven territories each get their own; with more, territories whose units are
    next to each other (:func:`territory_neighbours`) get different colours by a
    greedy colouring, which needs five or six colours on a map of 80 territories.
    Neighbouring territories differ in colour in both panels (the seven Okabe-Ito
    hues, then their tints and shades when the current alignment interleaves more).
    Colours follow the rep (the territory label when it has none), so a rep keeps
    its colour in both panels; units without a rep are light grey. Centers are
    black-edged stars labelled with the rep (or territory) when there are at most
    30 territories.

    Examples
    --------
    >>> from spm_sim.territory import design
    >>> units = pd.DataFrame({"unit_id": range(6), "x": [0, 1, 2, 10, 11, 12],
    ...                       "y": 0.0, "potential": 1.0})
    >>> fig = territory_map(design(units, territories=2, balance={"potential": 0}, rng=0))
    >>> len(fig.axes), len(fig.axes[0].collections[0].get_offsets())
    (1, 6)
    """
    units = alignment.units
    cols = _coords(units)
    if cols is None:
        raise ValueError("territory_map needs unit columns lat/lon or x/y")
    xc, yc, geo = cols
    x = units[xc].to_numpy(float)
    y = units[yc].to_numpy(float)
    n = len(units)
    lat0 = float(np.nanmean(y)) if geo and n else 0.0
    scale = np.cos(np.radians(lat0)) if geo else 1.0  # east-west km per degree, relative
    after_key = _after_keys(units)
    cur = cur_missing = moved = None
    if before is not None:
        cur, cur_missing, moved = _before_keys(units, before, after_key)
    # one colour per rep / territory, spread over the map
    colors = _key_colors(after_key, cur, cur_missing, x * scale, y)

    show = np.arange(n)
    sampled = n > max_points
    if sampled:
        # the same units on every draw of this map: stream "map_points" of root 0
        show = np.sort(stream_rng(0, "map_points").choice(n, max_points, replace=False))
    dot = float(np.clip(40000.0 / max(len(show), 1), 4.0, 30.0))
    size = _panel_size(x, y, scale, two=before is not None)
    cx, cy, ckey, homes_mode = _center_points(alignment.territories, units, xc, yc)
    m = _MapData(x, y, xc, yc, geo, scale, show, dot, colors, cx, cy, ckey, homes_mode)
    note = f"  (a sample of {len(show):,} of {n:,} units)" if sampled else ""
    default = f"{m.k_terr} territories over {n:,} units"
    with figure_style():
        if cur is None:
            fig, handles = _single_map(m, after_key, size, (ax_title or default) + note)
        else:
            share = _disruption_caption(alignment, before, moved, cur_missing)
            keys = (after_key, cur, cur_missing, moved)
            title = ax_title or "After: " + default
            fig, handles = _before_after_maps(m, keys, size, note, title, share)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig


def balance_bars(alignment: Alignment, measures: Sequence[str] | None = None) -> Figure:
    """Deviation of each territory from the mean, per balanced measure, against its band.

    Parameters
    ----------
    alignment : Alignment
        From :func:`spm_sim.territory.design`; uses ``alignment.territories``
        (``dev_<m>`` columns) and the tolerances in ``alignment.settings["balance"]``.
    measures : list of str, optional
        Measures to show; default the balanced ones (else every ``dev_`` column).

    Returns
    -------
    Figure
        One panel per measure: a bar per territory (sorted by deviation) of its
        relative deviation from the mean territory, a shaded band of +-tolerance
        (gid ``"band"``), and bars outside the band in the warning colour. Above 30
        territories the territory names are hidden and the count is given below.

    Examples
    --------
    >>> from spm_sim.territory import design
    >>> units = pd.DataFrame({"unit_id": range(6), "x": [0, 1, 2, 10, 11, 12],
    ...                       "y": 0.0, "potential": [1, 1, 1, 1, 1, 2.0]})
    >>> al = design(units, territories=2, balance={"potential": 0.2}, rng=0)
    >>> [len(ax.patches) for ax in balance_bars(al).axes]  # 2 bars and the band
    [3]
    """
    per = alignment.territories
    tolerances = dict(alignment.settings.get("balance", {}) or {})
    if measures is None:
        measures = list(tolerances) or [c[4:] for c in per.columns if c.startswith("dev_")]
    measures = list(measures)
    missing = [m for m in measures if f"dev_{m}" not in per.columns]
    if missing:
        raise ValueError(f"no deviation column for {missing} in alignment.territories")
    if not measures:
        raise ValueError("no balanced measures to show")
    ok_color = palette(1)[0]
    warn = _warn_color()
    band_color = sns.color_palette("colorblind")[2]
    k = len(per)
    with figure_style():
        fig = SpmFigure(figsize=(10, 0.6 + 2.9 * len(measures)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(len(measures), 1, squeeze=False)[:, 0])
        for ax, m in zip(axes, measures, strict=True):
            dev = per[f"dev_{m}"].astype(float).sort_values(kind="stable")
            tol = tolerances.get(m)
            pos = np.arange(k)
            out = (
                (dev.abs() > float(tol) + 1e-9).to_numpy() if tol is not None else np.zeros(k, bool)
            )
            ax.bar(
                pos,
                dev.to_numpy(),
                width=0.8,
                color=[warn if o else ok_color for o in out],
                linewidth=0,
                zorder=2,
            )
            handles = [Patch(color=ok_color, label="inside the band")]
            if tol is not None:
                ax.axhspan(
                    -float(tol), float(tol), color=band_color, alpha=0.15, zorder=0, gid="band"
                )
                handles = [
                    Patch(color=band_color, alpha=0.3, label=f"band ±{_percent_text(tol)}"),
                    *handles,
                    Patch(color=warn, label=f"outside ({int(out.sum())})"),
                ]
            ax.axhline(0.0, color="black", linewidth=0.8, zorder=3)
            top = max(float(dev.abs().max()) if k else 0.0, float(tol or 0.0)) * 1.3 or 0.05
            ax.set_ylim(-top, top)
            ax.set_xlim(-0.6, k - 0.4)
            pct_axis(ax, "y", decimals=0 if top >= 0.04 else 1)
            ax.grid(axis="x", visible=False)
            mean = float(per[m].mean()) if m in per.columns else float("nan")
            mean_text = f"; mean {mean:,.0f} per territory" if np.isfinite(mean) else ""
            worst = float(dev.abs().max()) if k else 0.0
            ax.set_title(
                f"{safe_label(m)}: largest deviation {_percent_text(worst)}"
                + (f" (band ±{_percent_text(tol)})" if tol is not None else "")
                + mean_text,
                loc="left",
            )
            ax.set_ylabel("Deviation from the mean")
            if k <= 30:
                names = territory_names(per).reindex(dev.index)
                ax.set_xticks(pos, [safe_label(t) for t in names], rotation=90 if k > 10 else 0)
                ax.set_xlabel("Territory, named by its rep (sorted by deviation)")
            else:
                ax.set_xticks([])
                ax.set_xlabel(f"{k} territories, sorted by deviation (names hidden)")
            ax.legend(handles=handles, loc="upper left", ncols=len(handles))
    return fig


def _pareto_mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for points no other point beats on both x and y (strictly smaller in both)."""
    return np.array([not np.any((x < x[i]) & (y < y[i])) for i in range(len(x))], dtype=bool)


def _run_label(name: str, value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"no {name}"
    if name == "cap" and isinstance(value, int | float | np.number):
        return f"cap {_percent_text(float(value))}"
    if isinstance(value, float | np.floating):
        return f"{name} {value:g}"
    return f"{name} {value}"


#: Axis names of the trade-off's usual columns.
_AXIS_NAMES = {
    "disruption": "Disruption (share changing rep)",
    "total_distance": "Total distance (km)",
    "max_dev": "Largest deviation from the mean",
}


@dataclass(frozen=True, eq=False)
class _Runs:
    """The runs of a trade-off table as drawn: positions, kinds and the drawing order."""

    xs: np.ndarray
    ys: np.ndarray
    status: np.ndarray
    drawable: np.ndarray  # both numbers present
    feasible: np.ndarray  # drawable and inside the bands
    bad: np.ndarray  # drawable but not feasible
    pareto: np.ndarray  # feasible and no feasible run better on both
    order: np.ndarray  # drawable runs by increasing x


def _runs(table: pd.DataFrame, x: str, y: str) -> _Runs:
    """Each run's position, whether it is drawable, feasible, and Pareto-optimal."""
    xs = pd.to_numeric(table[x], errors="coerce").to_numpy(float)
    ys = pd.to_numeric(table[y], errors="coerce").to_numpy(float)
    n = len(table)
    status = table["status"].astype(str).to_numpy() if "status" in table.columns else np.full(n, "")
    drawable = np.isfinite(xs) & np.isfinite(ys)
    feasible = drawable & ~np.isin(status, list(_NOT_FEASIBLE))
    pareto = np.zeros(n, bool)
    fi = np.flatnonzero(feasible)
    pareto[fi] = _pareto_mask(xs[fi], ys[fi])
    order = np.flatnonzero(drawable)[np.argsort(xs[drawable], kind="stable")]
    return _Runs(xs, ys, status, drawable, feasible, drawable & ~feasible, pareto, order)


def _draw_runs(ax: Axes, r: _Runs) -> None:
    """The runs joined in order: filled if feasible, hollow if not, Pareto ones ringed."""
    ax.plot(r.xs[r.order], r.ys[r.order], color="0.6", linewidth=1.2, zorder=1)
    if r.feasible.any():
        ax.scatter(
            r.xs[r.feasible],
            r.ys[r.feasible],
            s=45,
            color=palette(1)[0],
            zorder=3,
            gid="feasible",
            label="feasible run",
        )
    if r.bad.any():
        kinds = ", ".join(sorted(set(r.status[r.bad])))
        ax.scatter(
            r.xs[r.bad],
            r.ys[r.bad],
            s=45,
            facecolors="white",
            edgecolors="0.5",
            linewidths=1.3,
            zorder=3,
            gid="not_feasible",
            label=f"not feasible ({safe_label(kinds)})",
        )
    if r.pareto.any():
        ax.scatter(
            r.xs[r.pareto],
            r.ys[r.pareto],
            s=160,
            facecolors="none",
            edgecolors="black",
            linewidths=1.4,
            zorder=4,
            gid="pareto",
            label="Pareto-optimal (no run better on both)",
        )


def _label_runs(ax: Axes, r: _Runs, labels: pd.Series, label_col: str) -> None:
    """Each drawn run's label, alternately above and below so close runs stay readable."""
    for rank, i in enumerate(r.order):
        ax.annotate(
            safe_label(_run_label(label_col, labels.iloc[i])),
            (r.xs[i], r.ys[i]),
            xytext=(7, 6) if rank % 2 == 0 else (7, -14),
            textcoords="offset points",
            fontsize=8,
            color="black" if r.feasible[i] else "0.45",
        )


def _tradeoff_axes(ax: Axes, x: str, y: str, n_none: int) -> None:
    """Percent or km axes, the axis names (with the runs left out) and the title."""
    for col, axis in ((x, "x"), (y, "y")):
        if col == "disruption" or col.startswith("max_dev"):
            pct_axis(ax, axis, decimals=0)
        elif col == "total_distance":
            _km_axis(ax, axis)
    x_name = _AXIS_NAMES.get(x, safe_label(x))
    y_name = _AXIS_NAMES.get(y, safe_label(y))
    ax.set_xlabel(
        x_name
        + (f"   ({n_none} {'run' if n_none == 1 else 'runs'} without a solution)" if n_none else "")
    )
    ax.set_ylabel(y_name)
    ax.set_title(f"{x_name.split(' (')[0]} against {y_name.split(' (')[0].lower()}")


def tradeoff_curve(
    table: pd.DataFrame,
    *,
    x: str = "disruption",
    y: str = "total_distance",
    label_col: str = "cap",
) -> Figure:
    """Disruption against total distance over a sweep of runs, with the Pareto front.

    Parameters
    ----------
    table : DataFrame
        One row per run, with columns ``x`` and ``y`` and ideally ``status`` and
        ``label_col`` (e.g. the output of a sweep over disruption caps: ``cap``,
        ``status``, ``disruption``, ``total_distance``, ``max_dev``).
    x, y : str
        Columns for the axes. ``disruption`` and ``max_dev*`` are drawn as percent;
        ``total_distance`` as km with thousands separators.
    label_col : str
        Column annotating each point (``cap`` gives "cap 10%", a missing cap "no
        cap").

    Returns
    -------
    Figure
        Runs sorted by ``x`` joined by a grey line. Feasible runs are filled dots;
        runs whose status is ``bands_not_met`` or ``infeasible`` are hollow grey
        dots. The Pareto-optimal feasible runs (no other feasible run has both a
        smaller ``x`` and a smaller ``y``) are ringed (gid ``"pareto"``). Runs
        without numbers (no solution) are counted in the axis label.

    Examples
    --------
    >>> t = pd.DataFrame({"cap": [0.1, 0.2, None], "disruption": [0.1, 0.2, 0.25],
    ...                   "total_distance": [900.0, 800.0, 850.0],
    ...                   "status": ["optimal"] * 3})
    >>> fig = tradeoff_curve(t)
    >>> [c.get_gid() for c in fig.axes[0].collections]
    ['feasible', 'pareto']
    """
    r = _runs(table, x, y)
    with figure_style():
        fig = SpmFigure(figsize=(8, 5), layout="constrained")
        ax = fig.subplots()
        _draw_runs(ax, r)
        if label_col in table.columns:
            _label_runs(ax, r, table[label_col], label_col)
        _tradeoff_axes(ax, x, y, int((~r.drawable).sum()))
        ax.margins(x=0.12, y=0.12)
        if len(ax.get_legend_handles_labels()[0]):
            ax.legend(loc="upper right")
    return fig


def headcount_chart(table: pd.DataFrame) -> Figure:
    """Load and travel against the number of reps, from a headcount comparison.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`spm_sim.capacity.headcount_balance`: one row per
        count, with ``reps``, ``load_mean``, ``load_max`` (territory workload over a
        rep's selling hours), ``total_distance`` and ``status``.

    Returns
    -------
    Figure
        Left: mean and largest territory load against reps, with a black reference
        line at 100% (gid ``"capacity"``: a rep's selling hours); above it a rep
        cannot cover the territory. Right: total distance (km) against reps. Counts
        whose design missed the bands are drawn hollow.

    Examples
    --------
    >>> t = pd.DataFrame({"reps": [3, 4], "status": ["optimal"] * 2,
    ...                   "load_mean": [1.1, 0.8], "load_max": [1.2, 0.9],
    ...                   "total_distance": [10.0, 8.0], "max_dev": [0.0, 0.0]})
    >>> len(headcount_chart(t).axes)
    2
    """
    t = table.sort_values("reps", kind="stable")
    reps = t["reps"].to_numpy(float)
    status = t["status"].astype(str).to_numpy() if "status" in t.columns else np.full(len(t), "")
    bad = np.isin(status, list(_NOT_FEASIBLE))
    colors = palette(3)

    def series(ax: Axes, values: np.ndarray, color, marker: str, label: str) -> None:
        ax.plot(reps, values, color=color, marker=marker, linewidth=1.8, label=label, zorder=2)
        if bad.any():
            ax.scatter(
                reps[bad],
                values[bad],
                s=45,
                marker=marker,
                facecolors="white",
                edgecolors=color,
                linewidths=1.3,
                zorder=3,
            )

    with figure_style():
        fig = SpmFigure(figsize=(10, 3.8), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        if {"load_mean", "load_max"} <= set(t.columns):
            series(ax1, t["load_max"].to_numpy(float), colors[1], "s", "largest territory")
            series(ax1, t["load_mean"].to_numpy(float), colors[0], "o", "mean territory")
        else:
            ax1.text(
                0.5,
                0.6,
                "no workload column: load not computed",
                ha="center",
                transform=ax1.transAxes,
            )
        ax1.axhline(1.0, color="black", linewidth=1.2, gid="capacity", label="full capacity")
        ax1.set_title("Territory load")
        ax1.set_ylabel("Workload / selling hours of a rep")
        pct_axis(ax1, "y", decimals=0)
        ax1.legend(loc="best")
        series(ax2, t["total_distance"].to_numpy(float), colors[2], "o", "total distance")
        ax2.set_title("Travel")
        ax2.set_ylabel("Total distance (km)")
        _km_axis(ax2, "y")
        for ax in (ax1, ax2):
            ax.set_xlabel("Reps (territories)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if bad.any():
            fig.legend(
                handles=[
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker="o",
                        mfc="white",
                        mec="0.4",
                        label="hollow: bands not met",
                    ),
                ],
                loc="outside lower center",
            )
    return fig


def _metric_label(metric: str, unit: str) -> str:
    for prefix, words in (("max_dev_", "largest deviation from the mean"), ("cv_", "spread (CV)")):
        if metric.startswith(prefix):
            return f"{metric.removeprefix(prefix)}: {words}"
    if metric == "total_distance":
        return f"total distance, units to their center ({unit.strip() or 'distance units'})"
    return metric.replace("_", " ")


def comparison_table(alignment: Alignment):
    """Today's alignment beside the design, each row in words with its unit.

    Parameters
    ----------
    alignment : Alignment
        From :func:`spm_sim.territory.design` with ``current=``.

    Returns
    -------
    pandas.io.formats.style.Styler
        Rows of :meth:`~spm_sim.territory.Alignment.comparison` (territories, each
        balanced measure's largest deviation and spread, total distance); deviations
        and spreads as percentages with their change in percentage points, distances
        with their unit and thousands separators.

    Examples
    --------
    >>> from spm_sim.territory import design
    >>> units = pd.DataFrame({"unit_id": range(6), "x": [0, 1, 2, 10, 11, 12], "y": 0.0,
    ...                       "potential": [1, 1, 1, 1, 1, 2.0], "rep": list("ABABAB")})
    >>> al = design(units, territories=2, balance={"potential": 0.2}, current="rep", rng=0)
    >>> html = comparison_table(al).to_html()
    >>> "potential: largest deviation from the mean" in html and "pp" in html
    True
    """
    table = alignment.comparison()
    unit = alignment.distance_unit
    rows = []
    for metric, r in table.iterrows():
        metric = str(metric)
        if metric.startswith(("max_dev_", "cv_")):
            cells = [f"{r.before:.1%}", f"{r.after:.1%}", f"{r.change * 100:+.1f} pp"]
        elif metric == "total_distance":
            cells = [f"{r.before:,.0f}{unit}", f"{r.after:,.0f}{unit}", f"{r.change:+,.0f}{unit}"]
        else:
            cells = [f"{r.before:,.0f}", f"{r.after:,.0f}", f"{r.change:+,.0f}"]
        rows.append([_metric_label(metric, unit), *cells])
    frame = pd.DataFrame(rows, columns=["", "today", "design", "change"])
    return money_table(frame, index=False)
