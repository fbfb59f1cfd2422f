"""Drawing bookings at the size of issue 6: 10,000 trials x 1,000 reps x 12 months.

Run: .venv/bin/python benchmarks/bench_productivity.py [--quick]

What it measures today (2026-11-27): the engine's exogenous draws only, because
workforce dynamics (attrition, vacancies, backfill) and the behavioural response are
not built yet; the figures are the baseline those features must fit into. In one run:

* ``engine``: ``productivity.draw_bookings`` once per trial, each trial on its own
  stream (``simulate.trial_rng``), as ``simulate`` draws them: deal rates from their
  posterior, the company shock path, Poisson counts, one lognormal size per deal;
* ``engine, 2 processes``: the same trials split over a local process pool of two
  workers (same numbers: one stream per trial);
* ``reference``: the same number of Poisson counts and lognormal sizes drawn in one
  vectorised numpy call from a single stream, per block of trials (what the draws
  cost without per-trial streams and bookkeeping), as the ratio engine / reference.

The model is synthetic (no book has 1,000 reps): 1,000 reps with deal rates around
3 a month (Gamma posterior, shape 60), log deal sizes around log(20,000) with sigma
0.8, the sample's seasonality shape, no ramp. ``--quick``: 1,000 trials.

Memory: ``peak_mb`` is ``ru_maxrss`` of this process at the end (the pool's workers
are separate processes); trials are drawn in blocks of 250 and summed per rep, so the
(trials x reps) annual array (80 MB at full size) is what is kept.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from spm_sim.productivity import ProductivityModel, draw_bookings
from spm_sim.simulate import seed_sequence, trial_rng

REPS = 1000
LIMIT_SECONDS = 5.0
BLOCK = 250
SEASON = np.array([0.7, 0.8, 1.1, 0.8, 0.9, 1.1, 0.8, 0.9, 1.2, 1.0, 1.1, 1.6])


def synthetic_model(n_reps: int = REPS) -> ProductivityModel:
    rng = np.random.default_rng(0)
    rate = rng.gamma(20.0, 3.0 / 20.0, n_reps)  # reps' mean deal rates around 3 a month
    shape = 60.0
    return ProductivityModel(
        rep_ids=tuple(f"R{i:04d}" for i in range(n_reps)),
        periods=tuple(f"2026-{m:02d}" for m in range(1, 13)),
        alpha=np.full(n_reps, shape),
        beta=shape / rate,
        seasonality=SEASON / SEASON.mean(),
        ramp=np.ones((n_reps, 12)),
        size_mu=rng.normal(np.log(20_000.0), 0.2, n_reps),
        size_mu_sd=np.full(n_reps, 0.05),
        size_sigma=0.8,
        shock_sd=0.08,
        shock_rho=0.5,
    )


def engine_block(model: ProductivityModel, seed: int, start: int, stop: int) -> np.ndarray:
    """Annual bookings per rep of trials ``start..stop-1``, one stream per trial."""
    root = seed_sequence(seed)
    out = np.empty((stop - start, model.n_reps))
    for k, t in enumerate(range(start, stop)):
        out[k] = draw_bookings(model, trial_rng(root, t)).sum(axis=1)
    return out


def reference_block(model: ProductivityModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """The same draws vectorised over a block of trials from one stream."""
    lam = (model.alpha / model.beta)[:, None] * model.month_factor
    counts = rng.poisson(np.broadcast_to(lam, (n, *lam.shape)))
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    sizes = rng.lognormal(np.repeat(np.tile(model.size_mu, n), 12)[cell], model.size_sigma)
    sums = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(counts.shape)
    return sums.sum(axis=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 trials instead of 10,000")
    args = parser.parse_args()
    n = 1000 if args.quick else 10000
    model = synthetic_model()
    blocks = [(s, min(s + BLOCK, n)) for s in range(0, n, BLOCK)]
    load = os.getloadavg()[0]

    t0 = time.perf_counter()
    serial = np.concatenate([engine_block(model, 1, a, b) for a, b in blocks])
    engine_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(engine_block, model, 1, a, b) for a, b in blocks]
        pooled = np.concatenate([f.result() for f in futures])
    pool_s = time.perf_counter() - t0
    same = bool(np.array_equal(serial, pooled))

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    ref = np.concatenate([reference_block(model, rng, b - a) for a, b in blocks])
    ref_s = time.perf_counter() - t0

    deals = float(model.expected_bookings().sum() / model.mean_deal_size.mean())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"drawing bookings: {n:,} trials x {REPS:,} reps x 12 months, about {deals * n / 1e6:,.0f}"
        f" million deals; {os.cpu_count()} CPUs, load {load:.2f}, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    print("exogenous draws only: workforce dynamics and behaviour are not built yet")
    head = f"{'method':<34}{'seconds':>9}{'vs reference':>14}{'mean annual bookings':>23}"
    print(head)
    print("-" * len(head))
    for name, sec, arr in (
        ("engine, serial (stream per trial)", engine_s, serial),
        ("engine, 2 processes", pool_s, pooled),
        ("reference (one stream, vectorised)", ref_s, ref),
    ):
        print(f"{name:<34}{sec:>9.2f}{sec / ref_s:>14.2f}{arr.mean():>23,.0f}")
    print(f"2 processes give the serial numbers bit for bit: {same}")
    print(
        f"criterion (issue 6, with workforce and behaviour on): at most {LIMIT_SECONDS:g} s; "
        f"exogenous draws alone: {min(engine_s, pool_s):.1f} s"
    )
    print(
        json.dumps(
            {
                "benchmark": "productivity",
                "quick": args.quick,
                "trials": n,
                "reps": REPS,
                "months": 12,
                "workforce_dynamics": False,
                "behaviour": False,
                "seconds": round(min(engine_s, pool_s), 3),
                "seconds_serial": round(engine_s, 3),
                "seconds_2_processes": round(pool_s, 3),
                "seconds_reference": round(ref_s, 3),
                "ratio_engine_vs_reference": round(engine_s / ref_s, 3),
                "pool_matches_serial": same,
                "peak_mb": round(peak_mb, 1),
                "cpus": os.cpu_count(),
                "load_average": round(load, 2),
                "python": platform.python_version(),
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
