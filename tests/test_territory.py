"""Territory design: partition, bands, locks, disruption, exactness, errors, distances."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from spm_sim.errors import DataError, InfeasibleError, SpecError
from spm_sim.territory import (
    EARTH_RADIUS_KM,
    DesignSettings,
    adjacency_from_points,
    alignment_metrics,
    design,
    great_circle_km,
)


def random_units(n, *, seed, reps=None, lumpy=False):
    rng = np.random.default_rng(seed)
    pot = rng.lognormal(0, 1.0 if lumpy else 0.3, n)
    df = pd.DataFrame(
        {
            "unit_id": [f"u{i:03d}" for i in range(n)],
            "x": rng.uniform(0, 100, n),
            "y": rng.uniform(0, 100, n),
            "potential": pot.round(3),
            "workload": rng.lognormal(0, 0.3, n).round(3),
        }
    )
    if reps is not None:
        df["rep"] = rng.choice(reps, n)
    return df


def homes_for(reps, seed):
    rng = np.random.default_rng(seed + 1000)
    return pd.DataFrame(
        {"rep_id": reps, "x": rng.uniform(0, 100, len(reps)), "y": rng.uniform(0, 100, len(reps))}
    )


def enumerate_best(units, homes, tol, *, current=None, cap=None, objective="distance"):
    """Exhaustive search over every assignment of units to homes (the oracle)."""
    xy = units[["x", "y"]].to_numpy()
    hxy = homes[["x", "y"]].to_numpy()
    dist = np.hypot(xy[:, None, 0] - hxy[None, :, 0], xy[:, None, 1] - hxy[None, :, 1])
    k = len(homes)
    meas = units[list(tol)].to_numpy().T
    mean = meas.sum(axis=1) / k
    t = np.array(list(tol.values()))
    cur = (
        None
        if current is None
        else units[current].map({r: j for j, r in enumerate(homes["rep_id"])}).to_numpy()
    )
    best = (np.inf, np.inf)
    for combo in itertools.product(range(k), repeat=len(units)):
        a = np.array(combo)
        tot = np.stack([np.bincount(a, weights=m, minlength=k) for m in meas])
        if (np.abs(tot / mean[:, None] - 1) > t[:, None] + 1e-9).any():
            continue
        moved = 0 if cur is None else int((a != cur).sum())
        if cap is not None and moved > cap * len(units) + 1e-9:
            continue
        d = dist[np.arange(len(a)), a].sum()
        key = (moved, d) if objective == "disruption" else (d, moved)
        best = min(best, key)
    return best


def test_partition_bands_and_labels():
    units = random_units(60, seed=1)
    al = design(units, territories=4, balance={"potential": 0.1, "workload": 0.15}, rng=3)
    assert al.units.index.tolist() == units["unit_id"].tolist()  # every unit exactly once
    assert set(al.units["territory"]) == {"T1", "T2", "T3", "T4"}
    per = al.territories
    assert (per["dev_potential"].abs() <= 0.1 + 1e-9).all()
    assert (per["dev_workload"].abs() <= 0.15 + 1e-9).all()
    assert per["units"].sum() == 60
    assert al.summary["max_dev"] <= 0.15 + 1e-9
    # the table agrees with a recount from the unit assignment
    recount = units.groupby(al.units["territory"].to_numpy())["potential"].sum()
    np.testing.assert_allclose(recount.sort_index(), per["potential"].sort_index())


@pytest.mark.parametrize("seed", range(5))
def test_exact_matches_exhaustive_enumeration(seed):
    units = random_units(7, seed=seed)
    homes = homes_for(["A", "B", "C"], seed)
    tol = {"potential": 0.35}
    try:
        al = design(units, homes=homes, balance=tol, method="exact")
    except InfeasibleError:
        assert enumerate_best(units, homes, tol)[0] == np.inf
        return
    best_d, _ = enumerate_best(units, homes, tol)
    assert al.summary["status"] == "optimal"
    assert al.summary["total_distance"] == pytest.approx(best_d, rel=1e-9)
    assert al.summary["gap"] <= 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_exact_with_disruption_cap_and_objective_match_enumeration(seed):
    units = random_units(7, seed=seed + 10, reps=["A", "B", "C"])
    homes = homes_for(["A", "B", "C"], seed)
    tol = {"potential": 0.4}
    best_d, _ = enumerate_best(units, homes, tol, current="rep", cap=2 / 7)
    if np.isfinite(best_d):
        al = design(
            units, homes=homes, balance=tol, current="rep", max_disruption=2 / 7, method="exact"
        )
        assert al.summary["total_distance"] == pytest.approx(best_d, rel=1e-9)
        assert al.summary["units_moved"] <= 2
    moved, dist = enumerate_best(units, homes, tol, current="rep", objective="disruption")
    if np.isfinite(moved):
        al = design(
            units, homes=homes, balance=tol, current="rep", objective="disruption", method="exact"
        )
        assert al.summary["units_moved"] == moved
        assert al.summary["total_distance"] == pytest.approx(dist, rel=1e-9)


def test_scalable_is_feasible_and_its_bound_is_valid():
    """The priced LP value never exceeds the exact optimum; the heuristic never beats it."""
    units = random_units(100, seed=4)
    homes = homes_for([f"R{i}" for i in range(5)], 4)
    tol = {"potential": 0.05, "workload": 0.1}
    ex = design(units, homes=homes, balance=tol, method="exact")
    sc = design(units, homes=homes, balance=tol, method="scalable")
    assert ex.summary["status"] == "optimal"
    assert sc.summary["status"] == "heuristic"
    assert (sc.territories["dev_potential"].abs() <= 0.05 + 1e-9).all()
    assert (sc.territories["dev_workload"].abs() <= 0.1 + 1e-9).all()
    opt = ex.summary["total_distance"]
    assert sc.summary["lower_bound"] <= opt + 1e-6
    assert sc.summary["total_distance"] >= opt - 1e-6
    assert sc.summary["gap"] == pytest.approx(
        (sc.summary["total_distance"] - sc.summary["lower_bound"]) / sc.summary["total_distance"]
    )


@pytest.mark.parametrize("method", ["exact", "scalable"])
def test_locked_units_stay_and_disruption_is_accounted(method):
    reps = ["A", "B", "C", "D"]
    units = random_units(80, seed=7, reps=reps)
    units["locked"] = False
    units.loc[:9, "locked"] = True
    units["weight_col"] = np.arange(80, dtype=float)
    homes = homes_for(reps, 7)
    al = design(
        units,
        homes=homes,
        balance={"potential": 0.1},
        current="rep",
        locked="locked",
        disruption="weight_col",
        max_disruption=0.4,
        method=method,
    )
    out = al.units
    assert (out.loc[units["unit_id"][:10], "rep_id"].to_numpy() == units["rep"][:10]).all()
    moved = out["rep_id"].to_numpy() != units["rep"].to_numpy()
    assert (out["moved"].to_numpy() == moved).all()
    share = units["weight_col"][moved].sum() / units["weight_col"].sum()
    assert al.summary["disruption"] == pytest.approx(share)
    assert share <= 0.4 + 1e-9
    assert al.summary["units_moved"] == moved.sum()


def test_penalty_lowers_disruption():
    reps = ["A", "B", "C"]
    units = random_units(60, seed=5, reps=reps)
    homes = homes_for(reps, 5)
    free = design(units, homes=homes, balance={"potential": 0.1}, current="rep")
    paid = design(
        units, homes=homes, balance={"potential": 0.1}, current="rep", disruption_penalty=1000.0
    )
    assert paid.summary["disruption"] < free.summary["disruption"]
    assert paid.summary["total_distance"] >= free.summary["total_distance"] - 1e-9


def test_same_seed_same_alignment():
    units = random_units(200, seed=9)
    a = design(units, territories=5, balance={"potential": 0.1}, method="scalable", rng=1)
    b = design(units, territories=5, balance={"potential": 0.1}, method="scalable", rng=1)
    pd.testing.assert_series_equal(a.units["territory"], b.units["territory"])


def test_contiguity_on_a_grid():
    side = 8
    xs, ys = np.meshgrid(np.arange(side), np.arange(side))
    units = pd.DataFrame(
        {
            "unit_id": range(side * side),
            "x": xs.ravel(),
            "y": ys.ravel(),
            "potential": np.random.default_rng(0).uniform(1, 2, side * side),
        }
    )
    adj = {}
    for i in range(side * side):
        r, c = divmod(i, side)
        adj[i] = [
            (r + dr) * side + (c + dc)
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
            if 0 <= r + dr < side and 0 <= c + dc < side
        ]
    al = design(units, territories=4, balance={"potential": 0.1}, adjacency=adj, rng=0)
    assert (al.territories["pieces"] == 1).all()
    assert al.summary["contiguous"]
    assert (al.territories["dev_potential"].abs() <= 0.1 + 1e-9).all()


def test_infeasible_largest_unit_is_explained_with_numbers():
    units = pd.DataFrame(
        {
            "unit_id": list("abcd"),
            "x": [0, 1, 2, 3],
            "y": 0,
            "potential": [10.0, 1.0, 1.0, 1.0],
            "name": ["Big", "", "", ""],
        }
    )
    with pytest.raises(
        InfeasibleError,
        match=r"\+-5% on potential is infeasible: the largest "
        r"unit, a \(Big\), holds 153.8% of a mean territory's potential, and a "
        r"territory may hold at most 105.0%\. Widen the tolerance to at least "
        r"\+-53.8%",
    ):
        design(units, territories=2, balance={"potential": 0.05})


def test_infeasible_cap_and_locks_are_explained():
    units = pd.DataFrame(
        {
            "unit_id": list("abcd"),
            "x": [0, 1, 9, 10],
            "y": 0,
            "potential": [1.0, 1.0, 1.0, 1.0],
            "rep": ["A"] * 3 + ["B"],
            "lock": [True, True, True, False],
        }
    )
    homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 10], "y": 0})
    with pytest.raises(
        InfeasibleError,
        match=r"a disruption cap of 0.0% is infeasible with "
        r"these bands: at least 25.0% of units must change rep",
    ):
        design(units, homes=homes, balance={"potential": 0.0}, current="rep", max_disruption=0.0)
    with pytest.raises(
        InfeasibleError,
        match=r"the locked units of A alone hold 150.0% of a "
        r"mean territory's potential, above the band's 110.0%",
    ):
        design(units, homes=homes, balance={"potential": 0.1}, current="rep", locked="lock")


def test_bad_input_names_the_place():
    units = random_units(10, seed=0)
    with pytest.raises(DataError, match=r"no column 'potentail'.*potential"):
        design(units, territories=2, balance={"potentail": 0.1})
    bad = units.copy()
    bad.loc[3, "potential"] = np.nan
    with pytest.raises(
        DataError,
        match=r"row 5, column 'potential': value nan is not a "
        r"number >= 0",
    ):
        design(bad, territories=2, balance={"potential": 0.1})
    geo = pd.DataFrame(
        {"unit_id": [1, 2], "lat": [40.0, 140.0], "lon": [0.0, 0.0], "potential": [1.0, 1.0]}
    )
    with pytest.raises(DataError, match=r"row 3, column 'lat': 140.0 is outside \[-90, 90\]"):
        design(geo, territories=1, balance={"potential": 0.1})
    dup = units.copy()
    dup.loc[1, "unit_id"] = "u000"
    with pytest.raises(DataError, match=r"unit id 'u000' appears more than once \(rows \[2, 3\]"):
        design(dup, territories=2)
    with pytest.raises(SpecError, match=r"tolerance of 'potential' must be a number >= 0"):
        design(units, territories=2, balance={"potential": -0.1})
    with pytest.raises(ValueError, match="need the current alignment"):
        design(units, territories=2, max_disruption=0.1)
    with pytest.raises(ValueError, match="territories must be between 1 and the 10 units"):
        design(units, territories=11)
    with pytest.raises(ValueError, match="either territories=N or homes"):
        design(units)
    units["rep"] = [None] + ["A"] * 9
    with pytest.raises(DataError, match=r"unit 'u000' is locked but has no current rep"):
        design(units, territories=2, current="rep", locked=["u000"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"objective": "travel"}, r"design: objective must be 'distance' or 'disruption'"),
        ({"method": "fast"}, r"design: method must be 'auto', 'exact' or 'scalable'"),
        ({"candidates": 0}, r"design: candidates must be a whole number >= 1; got 0"),
        ({"max_iter": 2.5}, r"design: max_iter must be a whole number >= 0; got 2.5"),
        ({"exact_limit": -1}, r"design: exact_limit must be a whole number >= 0"),
        ({"time_limit": 0}, r"design: time_limit must be a number of seconds > 0; got 0"),
        ({"disruption_penalty": 5.0}, r"design: a disruption cap, penalty .* need the current"),
    ],
)
def test_design_settings_are_checked_once_naming_the_argument(kwargs, message):
    with pytest.raises(SpecError, match=message):
        DesignSettings(territories=2, **kwargs)
    with pytest.raises(SpecError, match=message):  # design() builds the same settings
        design(random_units(10, seed=0), territories=2, **kwargs)


def test_alignment_settings_keep_the_shaping_arguments_with_the_default_balance():
    al = design(random_units(10, seed=0), territories=2, rng=0, candidates=5)
    assert list(al.settings) == list(DesignSettings.PROVENANCE)
    assert al.settings["balance"] == {"potential": 0.05, "workload": 0.05}
    assert (al.settings["territories"], al.settings["candidates"]) == (2, 5)


@pytest.mark.parametrize(
    ("a", "b", "km", "rel"),
    [
        ((0.0, 0.0), (90.0, 0.0), np.pi / 2 * EARTH_RADIUS_KM, 1e-12),  # equator to pole
        ((0.0, 0.0), (0.0, 180.0), np.pi * EARTH_RADIUS_KM, 1e-12),  # antipodes
        ((51.5074, -0.1278), (48.8566, 2.3522), 343.5, 0.005),  # London - Paris
        ((40.7128, -74.0060), (34.0522, -118.2437), 3936.0, 0.005),  # New York - Los Angeles
    ],
)
def test_great_circle_known_pairs(a, b, km, rel):
    assert float(great_circle_km(*a, *b)) == pytest.approx(km, rel=rel)
    assert float(great_circle_km(*b, *a)) == pytest.approx(km, rel=rel)


def test_great_circle_published_haversine_value():
    """Nashville BNA - Los Angeles LAX: 2887.2599506071106 km on a 6372.8 km sphere, the
    worked value of the Rosetta Code haversine task."""
    d = float(great_circle_km(36.12, -86.67, 33.94, -118.40)) * 6372.8 / EARTH_RADIUS_KM
    assert d == pytest.approx(2887.2599506071106, rel=1e-12)


def test_metrics_by_hand_and_adjacency_from_points():
    u = pd.DataFrame(
        {"unit_id": list("abcd"), "x": [0, 1, 5, 6], "y": 0, "potential": [1.0, 1.0, 1.0, 3.0]}
    )
    per, tot = alignment_metrics(u, ["A", "A", "B", "B"], centers={"A": (0, 0), "B": (6, 0)})
    assert per["potential"].tolist() == [2.0, 4.0]
    assert per["dev_potential"].tolist() == pytest.approx([-1 / 3, 1 / 3])
    assert tot["total_distance"] == pytest.approx(2.0)
    assert tot["cv_potential"] == pytest.approx(1 / 3)
    adj = adjacency_from_points(u.assign(y=[0, 1, 0, 1]))
    assert all(len(v) >= 1 for v in adj.values())
    assert all(a in adj[b] for a in adj for b in adj[a])  # symmetric


@pytest.mark.slow
def test_sample_accounts_with_rep_homes():
    from spm_sim import load_sample

    book = load_sample()
    acc = book.accounts.sample(1200, random_state=0)
    reps = book.reps[book.reps["term_date"].isna()].head(12)
    acc = acc[acc["rep_id"].isin(reps["rep_id"])]
    al = design(
        acc,
        homes=reps,
        current="rep_id",
        balance={"potential": 0.1, "workload": 0.1},
        max_disruption=0.3,
    )
    assert al.summary["max_dev"] <= 0.1 + 1e-9
    assert al.summary["disruption"] <= 0.3 + 1e-9
    assert "disruption:" in al.describe()


def test_tradeoff_exact_front_is_monotone_and_respects_caps():
    from spm_sim.territory import tradeoff

    reps = ["A", "B", "C"]
    units = random_units(40, seed=21, reps=reps)
    homes = homes_for(reps, 21)
    caps = [0.0, 0.1, 0.25, 0.5, None]
    t = tradeoff(
        units, caps=caps, homes=homes, current="rep", balance={"potential": 0.15}, method="exact"
    )
    assert t["cap"].tolist()[:4] == caps[:4] and np.isnan(t["cap"].iloc[4])
    ok = t[t["status"] == "optimal"]
    assert len(ok) >= 3
    assert (ok["disruption"] <= ok["cap"].fillna(1.0) + 1e-9).all()
    # a looser cap never makes the optimum worse
    assert ok["total_distance"].is_monotonic_decreasing or np.all(
        np.diff(ok["total_distance"].to_numpy()) <= 1e-6
    )
    bad = t[t["status"] == "infeasible"]
    assert all("is infeasible" in r for r in bad["reason"])


def test_auto_mode_reports_exact_and_scalable():
    units = random_units(30, seed=2)
    homes = homes_for(["A", "B", "C"], 2)
    al = design(units, homes=homes, balance={"potential": 0.2})
    assert al.summary["method"] == "exact+scalable"
    assert al.summary["status"] == "optimal"
    ex = design(units, homes=homes, balance={"potential": 0.2}, method="exact")
    assert al.summary["total_distance"] == pytest.approx(ex.summary["total_distance"])


@pytest.mark.parametrize("mode", ["territories", "homes"])
def test_a_unit_too_big_is_refused_even_when_the_lp_could_split_it(mode):
    """The LP relaxation may split a big unit; the integer problem cannot: say so."""
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(16)],
            "x": np.arange(16.0),
            "y": 0.0,
            "potential": [8.0] + [1.0] * 15,
        }
    )
    where = (
        {"territories": 4}
        if mode == "territories"
        else {"homes": pd.DataFrame({"rep_id": list("ABCD"), "x": [0, 5, 10, 15], "y": 0})}
    )
    with pytest.raises(
        InfeasibleError,
        match=r"the largest unit, u0, holds 139.1% of a mean "
        r"territory's potential, and a territory may hold at most 110.0%",
    ):
        design(units, balance={"potential": 0.1}, **where)


def test_comparison_measures_the_current_alignment_like_the_design():
    reps = ["A", "B", "C"]
    units = random_units(60, seed=8, reps=reps)
    homes = homes_for(reps, 8)
    al = design(units, homes=homes, balance={"potential": 0.1}, current="rep")
    centers = {r: (x, y) for r, x, y in zip(homes["rep_id"], homes["x"], homes["y"], strict=True)}
    _, before = alignment_metrics(units, "rep", balance=["potential"], centers=centers)
    cmp = al.comparison()
    assert cmp.loc["total_distance", "before"] == pytest.approx(before["total_distance"])
    assert cmp.loc["max_dev_potential", "before"] == pytest.approx(abs(before["max_dev_potential"]))
    assert cmp.loc["cv_potential", "after"] == pytest.approx(al.summary["cv_potential"])
    assert cmp.loc["max_dev_potential", "after"] <= 0.1 + 1e-9
    np.testing.assert_allclose(cmp["change"], cmp["after"] - cmp["before"])
    with pytest.raises(ValueError, match="no current alignment"):
        design(units, homes=homes, balance={"potential": 0.1}).comparison()


# --- regressions from the review of 2026-11-27 ------------------------------------------


def test_locked_units_stay_with_contiguity():
    r = np.random.default_rng(5)
    n = 30
    units = pd.DataFrame(
        {
            "unit_id": range(n),
            "x": r.uniform(0, 10, n),
            "y": r.uniform(0, 10, n),
            "potential": 1.0,
            "rep": r.choice(list("ABC"), n),
        }
    )
    homes = pd.DataFrame({"rep_id": list("ABC"), "x": [1, 9, 5], "y": [1, 1, 9]})
    adj = adjacency_from_points(units)
    for i in range(0, n, 3):
        al = design(
            units,
            homes=homes,
            current="rep",
            locked=[i],
            adjacency=adj,
            balance={"potential": 0.3},
            strict=False,
        )
        assert al.units["rep_id"].iloc[i] == units["rep"].iloc[i], i


def test_locked_as_a_boolean_mask():
    units = pd.DataFrame(
        {
            "x": [0, 1, 2, 8, 9, 10.0],
            "y": 0.0,
            "potential": 1.0,
            "rep": list("ABABAB"),
            "keep": [False, False, False, False, True, True],
        }
    )
    homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 10], "y": 0.0})
    al = design(units, homes=homes, balance={"potential": 0.0}, current="rep", locked=units["keep"])
    assert al.units["rep_id"].tolist()[4:] == ["A", "B"]


def test_zero_objective_has_a_zero_bound():
    units = pd.DataFrame({"unit_id": range(4), "x": [0, 0, 5, 5], "y": 0.0, "potential": 1.0})
    homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 5], "y": 0.0})
    for method in ("auto", "exact", "scalable"):
        s = design(units, homes=homes, balance={"potential": 0.0}, method=method).summary
        assert (s["objective"], s["lower_bound"], s["gap"]) == (0.0, 0.0, 0.0), method


def test_disruption_objective_reports_distance_units():
    reps = [f"R{i}" for i in range(6)]
    units = random_units(120, seed=1, reps=reps)
    homes = homes_for(reps, 1)
    al = design(
        units,
        homes=homes,
        balance={"potential": 0.1},
        current="rep",
        objective="disruption",
        method="scalable",
    )
    assert al.summary["objective"] == pytest.approx(al.summary["total_distance"])
    assert np.isnan(al.summary["lower_bound"]) or (
        al.summary["lower_bound"] <= al.summary["objective"] + 1e-6
    )


def test_cap_message_counts_units_that_must_move():
    units = pd.DataFrame(
        {
            "unit_id": range(10),
            "x": [0, 1, 2, 3, 4, 5, 9, 10, 11, 12],
            "y": 0.0,
            "potential": 1.0,
            "rep": list("AAAAAABBCC"),
        }
    )
    homes = pd.DataFrame({"rep_id": ["A", "B"], "x": [0, 12], "y": 0.0})
    with pytest.raises(
        InfeasibleError,
        match=r"a disruption cap of 25.0% is infeasible with "
        r"these bands: at least 30.0% of units must change rep",
    ):
        design(units, homes=homes, balance={"potential": 0.0}, current="rep", max_disruption=0.25)
    al = design(units, homes=homes, balance={"potential": 0.0}, current="rep", max_disruption=0.3)
    assert al.summary["disruption"] == pytest.approx(0.3)


def test_units_too_coarse_for_the_bands_is_said_plainly():
    units = pd.DataFrame(
        {"unit_id": range(12), "x": range(12), "y": 0.0, "workload": [300.0] * 11 + [900.0]}
    )
    with pytest.raises(
        InfeasibleError,
        match=r"no alignment of whole units fits the bands "
        r"\(HiGHS proved it\).*too coarse for \+-10% on workload",
    ):
        design(units, territories=3, balance={"workload": 0.1}, rng=0)


def test_homes_with_a_distance_matrix_and_no_locations():
    units = pd.DataFrame({"unit_id": list("abcd"), "potential": 1.0, "rep": list("AABB")})
    homes = pd.DataFrame({"rep_id": ["A", "B"]})
    dist = np.array([[1.0, 5], [2, 4], [5, 1], [4, 2]]) * 100
    al = design(units, homes=homes, distances=dist, balance={"potential": 0.0}, current="rep")
    assert al.units["rep_id"].tolist() == ["A", "A", "B", "B"]
    cmp = al.comparison()
    assert cmp.loc["total_distance", "before"] == cmp.loc["total_distance", "after"] == 600.0
    with pytest.raises(
        DataError,
        match=r"none of the current reps \(e.g. 'x'\) is among the "
        r"homes' rep ids",
    ):
        design(
            units.assign(rep=list("xxyy")),
            homes=homes,
            distances=dist,
            balance={"potential": 0.0},
            current="rep",
        )


def test_metrics_refuse_units_without_a_territory():
    u = pd.DataFrame(
        {
            "unit_id": list("abcd"),
            "x": [0, 1, 5, 6],
            "y": 0,
            "potential": [1, 1, 1, 3.0],
            "rep": ["A", "A", None, "B"],
        }
    )
    with pytest.raises(DataError, match=r"row 4: unit 'c' has no territory \(1 units in all\)"):
        alignment_metrics(u, "rep")


@pytest.mark.parametrize("seed", range(3))
def test_reduced_cost_fixing_keeps_the_milp_optimum(seed):
    """Columns fixed at 0 by the LP reduced costs never hold the optimum."""
    import spm_sim._territory.solve as ts

    rng = np.random.default_rng(seed)
    n, k = 40, 4
    xy, homes = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (k, 2))
    cost = np.hypot(*(xy[:, None, :] - homes[None, :, :]).transpose(2, 0, 1))
    meas = rng.lognormal(0, 0.4, (2, n))
    mean = meas.sum(axis=1, keepdims=True) / k
    prob = ts.Problem(
        cost=cost,
        measures=meas,
        lo=np.repeat(0.9 * mean, k, axis=1),
        hi=np.repeat(1.1 * mean, k, axis=1),
        current=np.full(n, -1),
        dis_weight=np.ones(n),
        dis_cap=None,
        penalty=np.zeros(n),
        locked=np.zeros(n, bool),
    )
    fast = ts.solve_scalable(prob)
    assert fast.status == "heuristic" and fast.reduced is not None
    assert (fast.reduced > fast.objective - fast.bound).any()  # something to fix
    plain = ts.solve_exact(prob)
    fixed = ts.solve_exact(prob, incumbent=fast)
    assert plain.status == fixed.status == "optimal"
    assert "columns fixed at 0" in fixed.message  # the test exercises the fixing
    assert fixed.objective == pytest.approx(plain.objective, rel=1e-6)
    assert fixed.bound <= plain.objective * (1 + 1e-9)


def test_the_bar_keeps_ticking_through_a_step_that_gives_no_news():
    import time

    from spm_sim._territory.design import _ticking

    class Bar:
        disable = False
        redraws = 0

        def refresh(self):
            self.redraws += 1

    bar = Bar()
    with _ticking(bar, every=0.02):
        time.sleep(0.3)  # a long LP or MILP: no step ends meanwhile
    assert bar.redraws >= 5
    seen = bar.redraws
    time.sleep(0.1)
    assert bar.redraws == seen  # the timer stops with the block
    off = Bar()
    off.disable = True
    with _ticking(off, every=0.01):
        time.sleep(0.05)
    assert off.redraws == 0  # no thread for a bar that is off


def test_distances_without_a_unit_say_what_they_are_in():
    units = pd.DataFrame({"unit_id": [1, 2, 3, 4], "x": [0, 1, 9, 10], "y": 0, "potential": 1})
    al = design(units, territories=2, balance={"potential": 0.0})
    assert al.distance_unit == "" and al.distance_label == "coordinate units"
    assert "(distances in coordinate units)" in al.describe()
    lonlat = units.drop(columns=["x", "y"]).assign(lat=[40, 40.1, 41, 41.1], lon=-90.0)
    geo = design(lonlat, territories=2, balance={"potential": 0.0})
    assert geo.distance_label == "km" and "coordinate units" not in geo.describe()


def _banded_problem(seed, n=40, k=4, tol=0.1):
    """A small assignment problem on arrays: random units and centers, two measures."""
    import spm_sim._territory.solve as ts

    rng = np.random.default_rng(seed)
    xy, centers = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (k, 2))
    cost = np.hypot(*(xy[:, None, :] - centers[None, :, :]).transpose(2, 0, 1))
    meas = rng.lognormal(0, 0.4, (2, n))
    mean = meas.sum(axis=1, keepdims=True) / k
    return ts.Problem(
        cost=cost,
        measures=meas,
        lo=np.repeat((1 - tol) * mean, k, axis=1),
        hi=np.repeat((1 + tol) * mean, k, axis=1),
        current=np.full(n, -1),
        dis_weight=np.ones(n),
        dis_cap=None,
        penalty=np.zeros(n),
        locked=np.zeros(n, bool),
    )


@pytest.mark.parametrize("seed", [0, 2, 3])  # cases HiGHS proves within a second
def test_the_reported_bound_is_the_lp_relaxation_and_a_lower_bound(seed):
    """The bound is HiGHS's value of the LP over every pair (checked against scipy's
    linprog on the full LP), and no alignment, the exact MILP's included, is below it."""
    import scipy.sparse as sparse
    from scipy.optimize import linprog

    import spm_sim._territory.solve as ts
    from spm_sim._territory.lp import solve_lp

    prob = _banded_problem(seed)
    fast = ts.solve_scalable(prob)
    exact = ts.solve_exact(prob)
    assert fast.status == "heuristic" and exact.status == "optimal"
    n, k = prob.n, prob.k
    rows = sparse.kron(sparse.eye(n), np.ones((1, k)))  # x[i, j] at i * k + j
    bands = sparse.vstack([sparse.kron(m[None, :], sparse.eye(k)) for m in prob.measures])
    full = linprog(
        prob.cost.ravel(),
        A_ub=sparse.vstack([bands, -bands]),
        b_ub=np.concatenate([prob.hi.ravel(), -prob.lo.ravel()]),
        A_eq=rows,
        b_eq=np.ones(n),
        bounds=(0, 1),
        method="highs",
    )
    assert fast.bound == pytest.approx(full.fun, rel=1e-7)
    # from one candidate per unit, the pricing adds every column the bound needs
    assert solve_lp(prob, candidates=1)[2] == pytest.approx(full.fun, rel=1e-7)
    assert fast.bound <= exact.objective * (1 + 1e-9)
    assert exact.objective <= fast.objective * (1 + 1e-9)
    assert fast.gap == pytest.approx((fast.objective - fast.bound) / fast.objective)
    assert fast.bound < exact.objective * (1 - 1e-6)  # a case where the LP splits units


def test_an_integral_lp_bound_is_the_exact_optimum():
    """Equal counts with a whole number per territory make the LP integral (a
    transportation problem): the bound, the MILP and the heuristic then agree."""
    import spm_sim._territory.solve as ts

    base = _banded_problem(7, n=24, k=4)
    prob = ts.Problem(
        **{
            **base.__dict__,
            "measures": np.ones((1, base.n)),
            "lo": np.full((1, base.k), base.n / base.k),
            "hi": np.full((1, base.k), base.n / base.k),
        }
    )
    lp = ts.AssignmentLP(prob)
    x, _, value, _ = lp.solve(prob, candidates=prob.k)
    assert np.allclose(x, np.round(x), atol=1e-9)  # a vertex of the LP: whole units
    exact = ts.solve_exact(prob)
    fast = ts.solve_scalable(prob)
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(value, rel=1e-9)
    assert fast.bound == pytest.approx(value, rel=1e-9)
    assert fast.objective == pytest.approx(value, rel=1e-9) and fast.gap < 1e-9


def test_a_warm_start_after_new_costs_finds_the_cold_optimum_in_fewer_iterations():
    import spm_sim._territory.solve as ts

    first = _banded_problem(1, n=120, k=6)
    moved = ts.Problem(**{**first.__dict__, "cost": first.cost[:, [1, 2, 3, 4, 5, 0]] * 1.1})
    lp = ts.AssignmentLP(first)
    lp.solve(first, candidates=6)
    before = lp.iterations
    warm = lp.solve(moved, candidates=6)
    cold_lp = ts.AssignmentLP(moved)
    cold = cold_lp.solve(moved, candidates=6)
    assert warm[2] == pytest.approx(cold[2], rel=1e-9)
    assert lp.iterations - before < cold_lp.iterations  # it did start from the basis


def test_the_warm_started_design_is_the_cold_one(monkeypatch):
    """Warm starts change how HiGHS reaches each LP optimum, not the optimum: with
    every LP solved from scratch the centers, the bound and the dive come out the
    same, and so does the alignment where the rounding meets the bands. (Where the
    repair runs it is guided by the LP duals, which a degenerate optimum leaves open,
    so there only the bound is sure to be the same.)"""
    import spm_sim._territory.lp as ts

    def both(units, tol):
        kw = dict(territories=6, balance={"potential": tol, "workload": tol}, rng=0)
        runs = {}
        for warm in (True, False):
            iterations = []
            plain = ts.AssignmentLP.run

            def run(self, plain=plain, iterations=iterations):
                before = self.iterations
                status = plain(self)
                iterations.append(self.iterations - before)
                return status

            monkeypatch.setattr(ts, "WARM_START", warm)
            monkeypatch.setattr(ts.AssignmentLP, "run", run)
            runs[warm] = (design(units, method="scalable", **kw), sum(iterations))
            monkeypatch.undo()
        return runs[True], runs[False]

    (w, w_iter), (c, c_iter) = both(random_units(240, seed=0), 0.1)
    assert w.units["territory"].tolist() == c.units["territory"].tolist()
    assert w.summary["lower_bound"] == pytest.approx(c.summary["lower_bound"], rel=1e-9)
    assert w.summary["objective"] == pytest.approx(c.summary["objective"], rel=1e-12)
    assert w_iter < c_iter  # the warm path really started from the last basis
    (w, _), (c, _) = both(random_units(240, seed=0), 0.05)  # tight: the repair runs
    assert w.summary["lower_bound"] == pytest.approx(c.summary["lower_bound"], rel=1e-9)
    assert w.summary["status"] == c.summary["status"] == "heuristic"
