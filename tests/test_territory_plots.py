"""Figures of territory alignments: map, balance bars, trade-off curve, headcount chart."""

from __future__ import annotations

import dataclasses
import sys

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from spm_sim import viz as plots
from spm_sim.capacity import headcount_balance
from spm_sim.territory import Alignment, design
from spm_sim.viz import territory as _plots_territory

REPS = ["Ann", "Bob", "Cid", "Dee"]


def _units(n: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = pd.DataFrame(
        {
            "unit_id": [f"U{i:02d}" for i in range(n)],
            "x": rng.uniform(0, 100, n),
            "y": rng.uniform(0, 60, n),
            "potential": rng.uniform(1, 3, n),
            "workload": rng.uniform(20, 40, n),
        }
    )
    quadrant = 2 * (u["x"] >= 50).astype(int) + (u["y"] >= 30).astype(int)
    u["cur"] = np.array(REPS, dtype=object)[quadrant.to_numpy()]
    return u


@pytest.fixture(scope="module")
def al() -> Alignment:
    return design(_units(), territories=4, balance={"potential": 0.1}, current="cur", rng=0)


def _by_gid(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, [c.get_gid() for c in ax.collections]
    return found[0]


def _colors(coll, n):
    fc = coll.get_facecolors()
    return np.broadcast_to(fc, (n, 4)) if len(fc) == 1 else fc


def _patch_y_extent(ax, patch):
    verts = patch.get_transform().transform(patch.get_path().vertices)
    data = ax.transData.inverted().transform(verts)
    return data[:, 1].min(), data[:, 1].max()


# ----------------------------------------------------------------------------- map


def test_map_one_dot_per_unit_and_centers(al):
    fig = plots.territory_map(al)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    units = _by_gid(ax, "units")
    np.testing.assert_allclose(units.get_offsets(), al.units[["x", "y"]].to_numpy())
    centers = _by_gid(ax, "centers")
    np.testing.assert_allclose(
        centers.get_offsets(), al.territories[["center_x", "center_y"]].to_numpy()
    )
    # one colour per territory, the same for all its units, different between territories
    colors = _colors(units, len(al.units))
    per_territory = {}
    for terr, color in zip(al.units["territory"], map(tuple, colors), strict=True):
        per_territory.setdefault(terr, set()).add(color)
    assert all(len(c) == 1 for c in per_territory.values())
    assert len({next(iter(c)) for c in per_territory.values()}) == len(al.territories)
    # at most 30 territories: the centers are labelled with their rep
    assert sorted(t.get_text() for t in ax.texts) == sorted(al.territories["rep_id"])
    # x/y data: equal aspect
    assert ax.get_aspect() == 1.0


def test_map_before_after_keeps_rep_colors(al):
    fig = plots.territory_map(al, before="current")
    assert len(fig.axes) == 2
    ax_before, ax_after = fig.axes
    n = len(al.units)
    before = _colors(_by_gid(ax_before, "units"), n)
    after = _colors(_by_gid(ax_after, "units"), n)
    rep_before = dict(zip(al.units["current_rep"], map(tuple, before), strict=True))
    rep_after = dict(zip(al.units["rep_id"], map(tuple, after), strict=True))
    shared = set(rep_before) & set(rep_after)
    assert shared == set(REPS)
    for rep in shared:
        assert rep_before[rep] == rep_after[rep], rep
    # the units that moved are ringed in the after panel only
    moved = _by_gid(ax_after, "moved")
    assert len(moved.get_offsets()) == int(al.units["moved"].sum()) > 0
    np.testing.assert_allclose(
        moved.get_offsets(), al.units.loc[al.units["moved"], ["x", "y"]].to_numpy()
    )
    assert not [c for c in ax_before.collections if c.get_gid() == "moved"]
    assert f"{al.summary['disruption']:.1%}" in ax_after.get_title()
    # the same current reps given as a Series draw the same colours
    fig2 = plots.territory_map(al, before=al.units["current_rep"])
    np.testing.assert_array_equal(_colors(_by_gid(fig2.axes[0], "units"), n), before)
    assert len(_by_gid(fig2.axes[1], "moved").get_offsets()) == int(al.units["moved"].sum())


def test_map_lat_lon_aspect_and_sampling():
    u = _units(200, seed=3)
    u["lat"] = 40 + u.pop("y") / 10
    u["lon"] = -100 + u.pop("x") / 10
    al = design(u, territories=3, balance={"potential": 0.2}, rng=0)
    fig = plots.territory_map(al, max_points=50, ax_title="Test map")
    ax = fig.axes[0]
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(u["lat"].mean())))
    assert len(_by_gid(ax, "units").get_offsets()) == 50
    assert ax.get_title().startswith("Test map") and "50 of 200" in ax.get_title()
    assert ax.get_xlabel() == "Longitude" and ax.get_ylabel() == "Latitude"


def _near_pairs(xy) -> np.ndarray:
    """Units and their nearest other unit, by brute force over every pair (not the
    Delaunay triangulation the map uses), where that unit is close: within twice the
    median nearest-unit distance."""
    pts = np.column_stack([np.asarray(v, float) for v in xy])
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    dist = d[np.arange(len(pts)), nearest]
    close = dist <= 2 * np.median(dist)
    return np.column_stack([np.flatnonzero(close), nearest[close]])


def _assert_neighbours_differ(al, ax, xy, labels=None):
    """No two territories with units next to each other share a colour on ``ax``:
    checked on the units' nearest neighbours found independently of the map's code,
    and on the map's own neighbour pairs. ``labels``: the panel's key per unit
    (default: the design's rep, else its territory)."""
    if labels is None:
        labels = al.units["rep_id"].fillna(al.units["territory"])
    labels = pd.Series(labels, dtype=object).to_numpy()
    colors = _colors(_by_gid(ax, "units"), len(al.units))
    shown = pd.notna(labels)
    color_of = {}
    for t, c in zip(labels[shown], colors[shown], strict=True):
        color_of.setdefault(t, set()).add(tuple(c))
    assert all(len(c) == 1 for c in color_of.values())
    near = [
        (labels[i], labels[j])
        for i, j in _near_pairs(xy)
        if shown[i] and shown[j] and labels[i] != labels[j]
    ]
    assert len(near) >= 10  # a real check: many units sit next to another territory
    same = [(a, b) for a, b in near if color_of[a] == color_of[b]]
    assert not same, same[:10]
    pairs = _plots_territory.territory_neighbours(list(pd.Series(labels).where(shown)), *xy)
    assert len(pairs) >= len(color_of) // 2  # a real map: territories have neighbours
    same = [(a, b) for a, b in pairs if color_of[a] == color_of[b]]
    assert not same, same
    palette = {to_rgba(c) for c in _plots_territory._map_palette(21)}
    used = {next(iter(c)) for c in color_of.values()}
    assert used <= palette  # the colour-blind-safe hues, then their tints and shades
    return used


def test_map_many_territories_neighbours_differ():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (400, 2))
    u = pd.DataFrame({"unit_id": range(400), "x": xy[:, 0], "y": xy[:, 1], "potential": 1.0})
    al = design(u, territories=40, balance={"potential": 0.5}, rng=0)
    ax = plots.territory_map(al).axes[0]
    assert not ax.texts  # more than 30 territories: no labels
    used = _assert_neighbours_differ(al, ax, (al.units["x"], al.units["y"]))
    assert 3 <= len(used) <= 7


def test_neighbours_are_territories_with_units_side_by_side():
    # two rows of four units: A A B B over A A C C
    x = np.array([0.0, 1, 2, 3, 0, 1, 2, 3])
    y = np.array([0.0, 0, 0, 0, 1, 1, 1, 1])
    pairs = _plots_territory.territory_neighbours(list("AABBAACC"), x, y)
    assert pairs == {("A", "B"), ("A", "C"), ("B", "C")}
    # a unit without a territory joins no pair
    assert _plots_territory.territory_neighbours(["A", None, "B"], x[:3], y[:3]) == set()


# ----------------------------------------------------------------------------- balance


def test_balance_bars_band_and_warning_colour(al):
    dev = al.territories["dev_potential"]
    tol = float(dev.abs().sort_values().iloc[1]) + 1e-6  # two territories inside
    tight = dataclasses.replace(al, settings={**al.settings, "balance": {"potential": tol}})
    fig = plots.balance_bars(tight)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    bands = [p for p in ax.patches if p.get_gid() == "band"]
    bars = [p for p in ax.patches if p.get_gid() != "band"]
    assert len(bands) == 1
    assert _patch_y_extent(ax, bands[0]) == pytest.approx((-tol, tol))
    assert len(bars) == len(al.territories)
    heights = np.array([b.get_height() for b in bars])
    np.testing.assert_allclose(heights, np.sort(dev.to_numpy()))  # sorted by deviation
    warn = to_rgba(_plots_territory._warn_color())
    outside = np.abs(heights) > tol
    assert outside.sum() == len(bars) - 2
    for bar, out in zip(bars, outside, strict=True):
        assert (to_rgba(bar.get_facecolor()) == warn) == out
    # the bars are named as the map names the territories: by their rep
    labels = [t.get_text() for t in ax.get_xticklabels()]
    order = dev.sort_values(kind="stable").index
    assert labels == list(al.territories.loc[order, "rep_id"])
    map_labels = {t.get_text() for t in plots.territory_map(al).axes[0].texts}
    assert set(labels) == map_labels


def test_territories_without_a_rep_keep_their_own_name():
    per = pd.DataFrame({"rep_id": ["R012", None, ""]}, index=["T1", "T2", "T3"])
    assert _plots_territory.territory_names(per).tolist() == ["R012", "T2", "T3"]
    assert _plots_territory.territory_names(per.drop(columns="rep_id")).tolist() == [
        "T1",
        "T2",
        "T3",
    ]


def test_balance_bars_one_panel_per_measure_and_many_territories():
    k = 80
    rng = np.random.default_rng(0)
    per = pd.DataFrame(
        {
            "rep_id": [f"R{i:03d}" for i in range(k)],
            "potential": rng.uniform(95, 105, k),
            "dev_potential": rng.uniform(-0.06, 0.06, k),
            "workload": rng.uniform(95, 105, k),
            "dev_workload": rng.uniform(-0.04, 0.04, k),
        },
        index=pd.Index([f"R{i:03d}" for i in range(k)], name="territory"),
    )
    al = Alignment(
        pd.DataFrame(),
        per,
        pd.Series(dtype=object),
        {"balance": {"potential": 0.05, "workload": 0.05}},
    )
    fig = plots.balance_bars(al)
    assert len(fig.axes) == 2
    warn = to_rgba(_plots_territory._warn_color())
    for ax, m in zip(fig.axes, ["potential", "workload"], strict=True):
        bars = [p for p in ax.patches if p.get_gid() != "band"]
        assert len(bars) == k
        assert not [t for t in ax.get_xticklabels() if t.get_text()]
        assert "80 territories" in ax.get_xlabel()
        n_warn = sum(to_rgba(b.get_facecolor()) == warn for b in bars)
        assert n_warn == int((per[f"dev_{m}"].abs() > 0.05).sum())
    assert len(plots.balance_bars(al, measures=["workload"]).axes) == 1


# ----------------------------------------------------------------------------- trade-off


def test_tradeoff_marks_exactly_the_pareto_runs():
    rng = np.random.default_rng(4)
    n = 14
    table = pd.DataFrame(
        {
            "cap": [0.05 * (i + 1) for i in range(n - 1)] + [None],
            "disruption": rng.uniform(0, 0.4, n),
            "total_distance": rng.uniform(7e5, 1e6, n),
            "max_dev": 0.05,
            "status": ["optimal"] * n,
        }
    )
    table.loc[[1, 6], "status"] = ["bands_not_met", "infeasible"]
    fig = plots.tradeoff_curve(table)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    ok = ~table["status"].isin(["bands_not_met", "infeasible"])
    feas = table[ok]
    expected = {
        i
        for i, r in feas.iterrows()
        if not (
            (feas["disruption"] < r["disruption"]) & (feas["total_distance"] < r["total_distance"])
        ).any()
    }
    pareto = _by_gid(ax, "pareto").get_offsets()
    got = {
        int(
            np.flatnonzero(
                np.isclose(table["disruption"], px) & np.isclose(table["total_distance"], py)
            )[0]
        )
        for px, py in pareto
    }
    assert got == expected and 0 < len(expected) < len(feas)
    hollow = _by_gid(ax, "not_feasible")
    assert len(hollow.get_offsets()) == 2
    assert tuple(hollow.get_facecolors()[0]) == to_rgba("white")
    assert len(_by_gid(ax, "feasible").get_offsets()) == n - 2
    texts = {t.get_text() for t in ax.texts}
    assert {"cap 5%", "cap 10%", "cap 65%", "no cap"} <= texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("not feasible" in t for t in legend)
    # the line joins the runs in order of disruption
    line = ax.get_lines()[0]
    assert np.all(np.diff(line.get_xdata()) >= 0)


# ----------------------------------------------------------------------------- headcount


def test_headcount_chart_reference_line():
    u = _units(48, seed=2)
    table = headcount_balance(u, [3, 4, 5], balance={"workload": 0.15}, rng=0)
    fig = plots.headcount_chart(table)
    assert len(fig.axes) == 2
    ax1, ax2 = fig.axes
    refs = [ln for ln in ax1.get_lines() if ln.get_gid() == "capacity"]
    assert len(refs) == 1 and list(refs[0].get_ydata()) == [1.0, 1.0]
    data = [ln for ln in ax1.get_lines() if ln.get_gid() != "capacity"]
    assert {tuple(ln.get_ydata()) for ln in data} == {
        tuple(table["load_mean"]),
        tuple(table["load_max"]),
    }
    np.testing.assert_allclose(ax2.get_lines()[0].get_ydata(), table["total_distance"])
    np.testing.assert_array_equal(ax2.get_lines()[0].get_xdata(), [3, 4, 5])


# ----------------------------------------------------------------------------- global state


def test_territory_figures_leave_pyplot_and_style_alone(al):
    pyplot = sys.modules.get("matplotlib.pyplot")
    before_nums = pyplot.get_fignums() if pyplot is not None else []
    rc = dict(mpl.rcParams)
    table = pd.DataFrame(
        {
            "cap": [0.1, None],
            "disruption": [0.1, 0.2],
            "total_distance": [2.0, 1.0],
            "status": ["optimal", "optimal"],
        }
    )
    figs = [
        plots.territory_map(al),
        plots.territory_map(al, before="current"),
        plots.balance_bars(al),
        plots.tradeoff_curve(table),
        plots.headcount_chart(
            pd.DataFrame(
                {
                    "reps": [3, 4],
                    "load_mean": [1.1, 0.9],
                    "load_max": [1.2, 1.0],
                    "total_distance": [5.0, 4.0],
                    "status": ["optimal"] * 2,
                }
            )
        ),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        assert pyplot.get_fignums() == before_nums
    after = dict(mpl.rcParams)
    assert {k for k in rc if rc[k] != after[k]} == set()
    assert len(plots.fig_to_base64_png(figs[1])) > 10_000


@pytest.mark.slow
def test_sample_map_and_bars_render(tmp_path):
    from spm_sim import load_sample

    book = load_sample()
    reps = book.reps[book.reps.term_date.isna()]
    al = design(book.accounts, homes=reps, current="rep_id")
    fig = plots.territory_map(al, before="current")
    assert len(_by_gid(fig.axes[1], "units").get_offsets()) == len(book.accounts)
    assert len(_by_gid(fig.axes[1], "centers").get_offsets()) == len(reps)
    u = al.units
    xy = (u["lon"] * np.cos(np.radians(u["lat"].mean())), u["lat"])
    _assert_neighbours_differ(al, fig.axes[1], xy)  # the 80 territories of the design
    # and today's 80 reps in the before panel, with the same colour per rep
    _assert_neighbours_differ(al, fig.axes[0], xy, labels=u["current_rep"])
    fig.savefig(tmp_path / "map.png", dpi=110)
    bars = plots.balance_bars(al)
    assert [len([p for p in ax.patches if p.get_gid() != "band"]) for ax in bars.axes] == [
        len(reps)
    ] * len(al.settings["balance"])
    bars.savefig(tmp_path / "bars.png", dpi=110)
    assert (tmp_path / "map.png").stat().st_size > 50_000
