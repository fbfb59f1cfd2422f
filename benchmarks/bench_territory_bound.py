"""A proven lower bound on the total distance of any balanced territory alignment.

Run: .venv/bin/python benchmarks/bench_territory_bound.py [--quick] [--check]

The question: the issue asks ``design()``'s total distance to be at most 1.10x plain
k-means' distance, with every territory within +-5% of the mean territory on potential
and on workload. Is that reachable by *any* alignment? This script computes a lower
bound that every alignment meeting the bands must respect, and compares it with
k-means' distance (scored exactly as ``bench_territory.py`` scores it).

Why the bound is valid
----------------------
The yardstick (``alignment_metrics``) charges territory T the distance from each of its
units to a unit c of T (its medoid, or the best of the 600 units nearest the centroid
when T is larger): sum_{i in T} d(i, c) with c in T, so at least
min_{c in T} sum_{i in T} d(i, c). Take any alignment T_1..T_k meeting the bands and
let c_t be the minimising unit of T_t. Setting y_{c_t} = 1, x_{i c_t} = 1 for i in T_t
and everything else 0 gives an integer point of

    min sum_ij d_ij x_ij
    s.t. sum_j x_ij = 1                                 every unit i
         x_ij <= y_j                                    every pair
         sum_j y_j = k
         lo y_j <= sum_i a_i^m x_ij <= hi y_j            every candidate j, measure m
         x >= 0, 0 <= y <= 1

(a^m = measure m over the mean territory's total, lo = 0.95, hi = 1.05; the c_t are
distinct units because the territories are disjoint), whose cost is the alignment's
distance or less. So the LP optimum (centers may be any unit, fractional) is <= the
distance of every alignment that meets the bands, whatever method produced it.

Certificate instead of trust. The LP has n^2 pairs (64 million for 8,000 units), so it
is solved by column generation: start from each unit's nearest candidates, solve with
HiGHS, price every pair with the duals, add the negative ones, repeat. The bound that
is reported does not rely on that loop having converged or on the solver's
tolerances: any multipliers u_i (assignment rows) and lambda_jm (band rows of j) give
a feasible point of the full LP's dual once the linking duals are set to
w_ij = max(0, u_i + sum_m lambda_jm a_i^m - d_ij), and its value is

    LB(u, lambda) = sum_i u_i + (sum of the k smallest h_j),
    h_j = sum_m phi(lambda_jm) - sum_i max(0, u_i + sum_m lambda_jm a_i^m - d_ij),
    phi(l) = l * lo if l >= 0 else l * hi,

(the y_j column of the dual reads v - gamma_j <= h_j with v free for sum y = k and
gamma_j >= 0 for y_j <= 1, so the best v is the k-th smallest h_j). Weak duality makes
LB(u, lambda) <= LP optimum <= every feasible alignment's distance for ANY u, lambda;
the script evaluates it over all n^2 pairs with the duals of the last restricted LP.
When no pair prices negative, LB equals the LP value (up to the solver's tolerances).
No inequality beyond the LP above is added.

``--check`` solves small random instances (12 units, 3 territories) both ways: the
full LP with every pair through ``scipy.optimize.linprog`` and the column generation
started from 2 candidates per unit; the values and the certificate must agree.

``--quick``: 2,000 accounts drawn with seed 0 in 20 territories (as
``bench_territory.py --quick``); default: all 8,000 accounts in 80 territories.

The last line is one JSON object with the figures. ``bound_ratio_vs_kmeans`` above
1.10 means no alignment meeting the bands can be within 1.10x of k-means' distance.
HiGHS is used through the copy bundled with SciPy (``highspy`` when installed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import warnings

import numpy as np
import pandas as pd

from spm_sim import load_sample
from spm_sim.territory import alignment_metrics, great_circle_km

try:  # the public binding when installed, else the one SciPy ships
    from highspy import Highs as _Highs
except ImportError:  # pragma: no cover - depends on the environment
    from scipy.optimize._highspy._core import _Highs

SEED = 0
TOL = 0.05
MEASURES = ("potential", "workload")
INF = 1e30
LIMIT_RATIO = 1.10


def distance_matrix(lat: np.ndarray, lon: np.ndarray, block: int = 1000) -> np.ndarray:
    """All-pairs great-circle km (float64), computed in row blocks to bound the temporaries."""
    n = len(lat)
    out = np.empty((n, n))
    for s in range(0, n, block):
        out[s : s + block] = great_circle_km(
            lat[s : s + block, None], lon[s : s + block, None], lat[None, :], lon[None, :]
        )
    np.fill_diagonal(out, 0.0)
    return out


class BoundLP:
    """Balanced p-median LP relaxation solved by column generation, with a dual certificate.

    Columns: y_j (0..n-1), an artificial per assignment row (n..2n-1, cost ``big``,
    only there so that every restricted LP is feasible), then the x_ij added so far.
    Rows: assignment i (0..n-1), cardinality (n), band rows n+1+4j+2m (>= lo y_j) and
    n+2+4j+2m (<= hi y_j), then one linking row x_ij - y_j <= 0 per x column.
    """

    def __init__(self, d: np.ndarray, a: np.ndarray, k: int, lo: float, hi: float):
        self.d, self.a, self.k, self.lo, self.hi = d, a, k, lo, hi
        n = self.n = d.shape[0]
        self.present = np.zeros((n, n), bool)  # present[j, i]: column x_ij in the LP
        self.col_i = np.zeros(0, np.int64)
        self.col_j = np.zeros(0, np.int64)
        h = self.h = _Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        nb = 4 * n
        row_lo = np.r_[np.ones(n), float(k), np.tile([0.0, -INF], 2 * n)]
        row_hi = np.r_[np.ones(n), float(k), np.tile([INF, 0.0], 2 * n)]
        nr = n + 1 + nb
        h.addRows(nr, row_lo, row_hi, 0, np.zeros(nr, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # y_j: cardinality row, then -lo / -hi in its four band rows
        starts = np.arange(n, dtype=np.int32) * 5
        idx = np.empty((n, 5), np.int32)
        idx[:, 0] = n
        idx[:, 1:] = n + 1 + 4 * np.arange(n)[:, None] + np.arange(4)[None, :]
        val = np.tile([1.0, -lo, -hi, -lo, -hi], (n, 1))
        h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), 5 * n, starts, idx.ravel(), val.ravel())
        big = 10.0 * float(d.max()) + 1.0
        h.addCols(n, np.full(n, big), np.zeros(n), np.full(n, INF), n,
                  np.arange(n, dtype=np.int32), np.arange(n, dtype=np.int32), np.ones(n))  # fmt: skip
        self.n_base_cols = 2 * n
        self.n_base_rows = n + 1 + nb

    def add_pairs(self, ii: np.ndarray, jj: np.ndarray) -> None:
        """Add columns x_ij (unit ii, candidate jj) and their linking rows."""
        m = len(ii)
        if m == 0:
            return
        n, h = self.n, self.h
        first_col = h.getNumCol()
        idx = np.empty((m, 5), np.int32)
        idx[:, 0] = ii
        band0 = n + 1 + 4 * jj
        idx[:, 1], idx[:, 2], idx[:, 3], idx[:, 4] = band0, band0 + 1, band0 + 2, band0 + 3
        a0, a1 = self.a[0, ii], self.a[1, ii]
        val = np.column_stack([np.ones(m), a0, a0, a1, a1])
        h.addCols(m, self.d[jj, ii].astype(float), np.zeros(m), np.full(m, INF), 5 * m,
                  np.arange(m, dtype=np.int32) * 5, idx.ravel(), val.ravel())  # fmt: skip
        ridx = np.column_stack([first_col + np.arange(m), jj]).astype(np.int32)
        rval = np.tile([1.0, -1.0], (m, 1))
        h.addRows(m, np.full(m, -INF), np.zeros(m), 2 * m, np.arange(m, dtype=np.int32) * 2,
                  ridx.ravel(), rval.ravel())  # fmt: skip
        self.present[jj, ii] = True
        self.col_i = np.r_[self.col_i, ii]
        self.col_j = np.r_[self.col_j, jj]

    def solve(self) -> dict:
        h = self.h
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        sol = h.getSolution()
        n = self.n
        rd = np.asarray(sol.row_dual)
        cv = np.asarray(sol.col_value)
        band = rd[n + 1 : n + 1 + 4 * n].reshape(n, 2, 2)  # [j, m, lo/hi]
        return {
            "status": status,
            "objective": float(h.getInfo().objective_function_value),
            "u": rd[:n].copy(),
            "lam": band.sum(axis=2),  # (n, 2): lambda_jm = dual(lo row) + dual(hi row)
            "y": cv[:n].copy(),
            "artificial": float(cv[n : 2 * n].sum()),
            "x": cv[self.n_base_cols :].copy(),
        }

    def price(self, u: np.ndarray, lam: np.ndarray, tol: float, max_add: int, block: int = 500):
        """Price all n^2 pairs: the certificate LB(u, lambda) and the negative new columns."""
        n, a, lo, hi = self.n, self.a, self.lo, self.hi
        hj = np.empty(n)
        new_i, new_j, new_rc = [], [], []
        for s in range(0, n, block):
            e = min(n, s + block)
            lb = lam[s:e]  # (b, 2)
            rc = self.d[s:e] - u[None, :] - lb[:, :1] * a[0][None, :] - lb[:, 1:] * a[1][None, :]
            phi = np.where(lb >= 0, lb * lo, lb * hi).sum(axis=1)
            hj[s:e] = phi + np.minimum(rc, 0.0).sum(axis=1)
            neg = (rc < -tol) & ~self.present[s:e]
            jb, ib = np.nonzero(neg)
            if jb.size:
                new_j.append(jb + s)
                new_i.append(ib)
                new_rc.append(rc[jb, ib])
        bound = float(u.sum() + np.sort(hj)[: self.k].sum())
        if not new_i:
            return bound, np.zeros(0, np.int64), np.zeros(0, np.int64), 0
        ii, jj, rc = np.concatenate(new_i), np.concatenate(new_j), np.concatenate(new_rc)
        found = len(ii)
        if found > max_add:
            keep = np.argpartition(rc, max_add)[:max_add]
            ii, jj = ii[keep], jj[keep]
        return bound, ii, jj, found


def lp_bound(d, a, k, lo, hi, *, start=10, max_add=None, max_rounds=500, tol_rel=1e-7,
             log=print):  # fmt: skip
    """Column generation until no pair prices below -tol; returns the figures."""
    n = d.shape[0]
    t0 = time.perf_counter()
    lp = BoundLP(d, a, k, lo, hi)
    near = np.argpartition(d, min(start, n - 1), axis=1)[:, :start]  # row i: i's nearest
    ii = np.repeat(np.arange(n), near.shape[1])
    lp.add_pairs(ii, near.ravel())
    max_add = max_add or 5 * n
    history = []
    rounds = 0
    while True:
        rounds += 1
        res = lp.solve()
        scale = max(1.0, abs(res["objective"]) / n)  # km per unit
        tol = tol_rel * scale
        bound, ii, jj, found = lp.price(res["u"], res["lam"], tol, max_add)
        history.append((rounds, res["objective"], bound, found, len(lp.col_i)))
        log(
            f"  round {rounds:>3}: LP {res['objective']:>14,.1f}  certificate {bound:>14,.1f}"
            f"  negative pairs {found:>9,}  columns {len(lp.col_i):>10,}  "
            f"artificial {res['artificial']:.3g}  {res['status']}  {time.perf_counter() - t0:7.1f} s"
        )
        if found == 0 or rounds >= max_rounds:
            break
        lp.add_pairs(ii, jj)
    y = res["y"]
    return {
        "lp_value": res["objective"],
        "bound": bound,
        "status": res["status"],
        "converged": found == 0,
        "rounds": rounds,
        "columns": len(lp.col_i),
        "y": y,
        "x": res["x"],
        "col_i": lp.col_i,
        "col_j": lp.col_j,
        "artificial": res["artificial"],
        "seconds": time.perf_counter() - t0,
        "history": history,
    }


def full_lp_value(d, a, k, lo, hi) -> float:
    """The same LP with every pair written out, by scipy.optimize.linprog (tiny n only)."""
    from scipy.optimize import linprog
    from scipy.sparse import lil_matrix

    n = d.shape[0]
    nx = n * n  # x_ij at i*n + j, then y_j at nx + j
    nv = nx + n
    a_eq = lil_matrix((n + 1, nv))
    for i in range(n):
        a_eq[i, i * n : (i + 1) * n] = 1.0
    a_eq[n, nx:] = 1.0
    b_eq = np.r_[np.ones(n), k]
    a_ub = lil_matrix((nx + 4 * n, nv))
    r = 0
    for i in range(n):
        for j in range(n):
            a_ub[r, i * n + j] = 1.0
            a_ub[r, nx + j] = -1.0
            r += 1
    for j in range(n):
        for m in range(a.shape[0]):
            for i in range(n):
                a_ub[r, i * n + j] = -a[m, i]
                a_ub[r + 1, i * n + j] = a[m, i]
            a_ub[r, nx + j] = lo
            a_ub[r + 1, nx + j] = -hi
            r += 2
    c = np.r_[np.array([d[i, j] for i in range(n) for j in range(n)]), np.zeros(n)]
    bounds = [(0, None)] * nx + [(0, 1)] * n
    res = linprog(c, A_ub=a_ub.tocsr(), b_ub=np.zeros(nx + 4 * n), A_eq=a_eq.tocsr(),
                  b_eq=b_eq, bounds=bounds, method="highs")  # fmt: skip
    if res.status != 0:
        raise RuntimeError(f"full LP: {res.message}")
    return float(res.fun)


def check_tiny(acc: pd.DataFrame, trials: int = 6) -> list[dict]:
    """Column generation vs the full LP on 12-unit, 3-territory instances."""
    out = []
    for t in range(trials):
        sub = acc.sample(n=12, random_state=100 + t).reset_index(drop=True)
        k = 3
        d = distance_matrix(sub["lat"].to_numpy(float), sub["lon"].to_numpy(float))
        a = np.vstack([sub[m].to_numpy(float) / (sub[m].sum() / k) for m in MEASURES])
        for tol in (0.05, 0.25):
            try:
                full = full_lp_value(d, a, k, 1 - tol, 1 + tol)
            except RuntimeError:
                continue  # LP infeasible at this tolerance: try a wider one
            cg = lp_bound(d, a, k, 1 - tol, 1 + tol, start=2, max_add=5, log=lambda s: None)
            out.append(
                {
                    "seed": 100 + t,
                    "band": tol,
                    "full_lp": full,
                    "column_generation": cg["lp_value"],
                    "certificate": cg["bound"],
                    "rounds": cg["rounds"],
                    "ok": bool(
                        abs(cg["lp_value"] - full) <= 1e-6 * max(1.0, full)
                        and abs(cg["bound"] - full) <= 1e-6 * max(1.0, full)
                        and cg["artificial"] < 1e-9
                    ),
                }
            )
            break
    return out


def plane(acc: pd.DataFrame) -> np.ndarray:
    """Equirectangular projection where Euclidean distance is about km (as bench_territory)."""
    lat, lon = acc["lat"].to_numpy(float), acc["lon"].to_numpy(float)
    return np.column_stack([lon * np.cos(np.radians(lat.mean())) * 111.32, lat * 110.57])


def kmeans_distance(acc: pd.DataFrame, k: int) -> float:
    """k-means (n_init=10, seed 0, projected plane) scored by the medoid yardstick."""
    from sklearn.cluster import KMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(plane(acc))
    _, tot = alignment_metrics(
        acc, np.asarray(labels).astype(str), balance={m: TOL for m in MEASURES}
    )
    return float(tot["total_distance"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 20 territories")
    parser.add_argument("--check", action="store_true", help="also the 12-unit brute check")
    parser.add_argument("--start", type=int, default=None, help="initial candidates per unit")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    acc = load_sample().accounts
    if args.quick:
        k = 20
        acc = acc.sample(n=2000, random_state=SEED).reset_index(drop=True)
    else:
        k = 80
    n = len(acc)

    checks = check_tiny(acc) if args.check else []
    for c in checks:
        print(
            f"tiny check seed {c['seed']} (+-{c['band']:.0%}): full LP {c['full_lp']:.6f}, "
            f"column generation {c['column_generation']:.6f}, certificate "
            f"{c['certificate']:.6f}, {c['rounds']} rounds: {'OK' if c['ok'] else 'MISMATCH'}"
        )

    t0 = time.perf_counter()
    lat, lon = acc["lat"].to_numpy(float), acc["lon"].to_numpy(float)
    d = distance_matrix(lat, lon)
    a = np.vstack([acc[m].to_numpy(float) / (acc[m].sum() / k) for m in MEASURES])
    print(f"balanced p-median LP bound: {n:,} units, {k} territories, bands +-{TOL:.0%}")
    res = lp_bound(d, a, k, 1 - TOL, 1 + TOL, start=args.start or max(10, n // k // 4))
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    km_t0 = time.perf_counter()
    km = kmeans_distance(acc, k)
    km_seconds = time.perf_counter() - km_t0

    y = res["y"]
    frac = int(((y > 1e-6) & (y < 1 - 1e-6)).sum())
    support = int((y > 1e-6).sum())
    ratio = res["bound"] / km
    top = np.argsort(-y)[:k]
    near_top = d[:, top].min(axis=1).sum()  # unbalanced: every unit to its nearest top-k center

    print()
    print(f"{'figure':<52}{'value':>18}")
    print("-" * 70)
    rows = [
        ("LP value of the last restricted LP (km)", f"{res['lp_value']:,.1f}"),
        ("proven lower bound, all n^2 pairs priced (km)", f"{res['bound']:,.1f}"),
        ("k-means distance, medoid yardstick (km)", f"{km:,.1f}"),
        ("bound / k-means", f"{ratio:.4f}"),
        (f"criterion {LIMIT_RATIO:.2f}x reachable by any method?", str(ratio <= LIMIT_RATIO)),
        ("column generation converged (no negative pair)", str(res["converged"])),
        ("rounds", f"{res['rounds']}"),
        ("x columns generated", f"{res['columns']:,}"),
        ("y_j > 0 / fractional (of n candidates)", f"{support} / {frac}"),
        ("sum of the k largest y_j", f"{np.sort(y)[-k:].sum():.3f}"),
        ("top-k LP centers, nearest-center distance (km)", f"{near_top:,.1f}"),
        ("seconds (distances + column generation)", f"{seconds:.1f}"),
        ("seconds (k-means reference)", f"{km_seconds:.1f}"),
        ("peak RSS (MiB)", f"{peak_mb:,.0f}"),
    ]
    for name, val in rows:
        print(f"{name:<52}{val:>18}")

    print(
        json.dumps(
            {
                "benchmark": "territory_bound",
                "quick": args.quick,
                "machine": platform.machine(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "n_units": n,
                "n_territories": k,
                "band": TOL,
                "seconds": round(seconds, 2),
                "lp_value_km": round(res["lp_value"], 3),
                "lower_bound_km": round(res["bound"], 3),
                "kmeans_total_distance": round(km, 1),
                "bound_ratio_vs_kmeans": round(ratio, 5),
                "criterion_ratio": LIMIT_RATIO,
                "criterion_reachable": bool(ratio <= LIMIT_RATIO),
                "converged": res["converged"],
                "lp_status": res["status"],
                "columns_generated": res["columns"],
                "rounds": res["rounds"],
                "fractional_y": frac,
                "positive_y": support,
                "top_k_nearest_center_km": round(float(near_top), 1),
                "tiny_checks": len(checks),
                "tiny_checks_ok": all(c["ok"] for c in checks) if checks else None,
                "peak_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
