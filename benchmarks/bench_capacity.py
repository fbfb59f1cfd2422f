"""One simulated year of a 100-rep team with about 100,000 leads (issue 7).

Run: .venv/bin/python benchmarks/bench_capacity.py [--quick]

The team: one stage of 100 reps (pooled queue, 60% of their hours on leads, lognormal
efforts of mean 0.96 hours with coefficient of variation 1.5, conversion 30% halving
after 8 working hours of waiting, 25% attrition a year with a 60-day backfill and a
ramp), about 100,000 leads a year with a seasonal shape and a Monday peak, so the
reps are about 80% busy. Rows, all in one run:

* ``one year``: ``capacity.simulate_capacity`` once (the issue's criterion: at most
  10 s on this 2-core machine), with the events SimPy scheduled and their rate;
* ``8 replications, serial`` and ``8 replications, 2 processes``: ``run_capacity``,
  each replication on its own spawned stream (the two give the same tables);
* ``reference``: an M/M/c Lindley-type recursion of the same arrivals and efforts in
  plain Python (no SimPy, no attrition or decay): what the same queue costs without
  an event scheduler, as the ratio SimPy / reference.

``--quick``: 10,000 leads and 10 reps. ``peak_mb`` is ``ru_maxrss`` of this process.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import resource
import time

import numpy as np
import simpy

from spm_sim.capacity import (
    CapacityConfig,
    calendar,
    lead_arrivals,
    run_capacity,
    simulate_capacity,
)

LIMIT_SECONDS = 10.0
SEASON = [0.8, 0.9, 1.1, 1.0, 1.0, 1.1, 0.8, 0.8, 1.1, 1.1, 1.1, 1.2]


def config(leads: float, reps: int) -> CapacityConfig:
    return CapacityConfig(
        name="benchmark",
        segments=[
            {
                "name": "inbound",
                "leads_per_year": leads,
                "seasonality": SEASON,
                "weekday": [1.3, 1.0, 1.0, 0.9, 0.8],
            }
        ],
        stages=[
            {
                "name": "AE",
                "reps": reps,
                "selling_share": 0.6,
                "effort_hours": 0.96 * (leads / reps) / 1000.0,
                "effort_cv": 1.5,
                "conversion": 0.3,
                "decay_half_life_hours": 8.0,
                "attrition": 0.25,
                "backfill_lag_days": 60,
            }
        ],
    )


def reference(cfg: CapacityConfig, rng: np.random.Generator) -> float:
    """FCFS c-server queue of the same arrivals by a heap of free times (seconds)."""
    t0 = time.perf_counter()
    cal = calendar(cfg)
    arrival, _ = lead_arrivals(cfg, cal, rng)
    st = cfg.stages[0]
    effort = rng.exponential(st.effort_hours, arrival.size) / st.selling_share
    free = [0.0] * st.reps
    waits = 0.0
    for a, e in zip(arrival.tolist(), effort.tolist(), strict=True):
        f = heapq.heappop(free)
        start = a if a > f else f
        waits += start - a
        heapq.heappush(free, start + e)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 leads, 10 reps")
    args = parser.parse_args()
    leads, reps = (10_000, 10) if args.quick else (100_000, 100)
    cfg = config(leads, reps)
    load = os.getloadavg()[0]

    t0 = time.perf_counter()
    frames = simulate_capacity(cfg, np.random.default_rng(1))
    one = time.perf_counter() - t0
    events = int(frames["run"]["events"].iloc[0])
    n_leads = int(frames["run"]["leads"].iloc[0])
    util = float(frames["reps"]["utilisation"].mean())

    t0 = time.perf_counter()
    serial = run_capacity(cfg, 8, rng=2)
    serial_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pooled = run_capacity(cfg, 8, rng=2, workers=2)
    pooled_s = time.perf_counter() - t0
    same = bool(serial.work.equals(pooled.work))

    ref_s = reference(cfg, np.random.default_rng(1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"capacity: one year, {reps} reps, {n_leads:,} leads, utilisation {util:.0%}; "
        f"{os.cpu_count()} CPUs, load {load:.2f}, Python {platform.python_version()}, "
        f"SimPy {simpy.__version__}"
    )
    head = f"{'run':<34}{'seconds':>9}{'events/s':>12}{'vs reference':>14}"
    print(head)
    print("-" * len(head))
    print(f"{'one year':<34}{one:>9.2f}{events / one:>12,.0f}{one / ref_s:>14.1f}")
    for name, sec in (
        ("8 replications, serial", serial_s),
        ("8 replications, 2 processes", pooled_s),
    ):
        print(f"{name:<34}{sec:>9.2f}{8 * events / sec:>12,.0f}")
    print(f"{'reference (heap, no SimPy)':<34}{ref_s:>9.2f}{'':>12}{1.0:>14.1f}")
    print(f"2 processes give the serial tables: {same}; SimPy scheduled {events:,} events")
    verdict = "met" if one <= LIMIT_SECONDS else "NOT met"
    print(f"criterion (issue 7): one year in at most {LIMIT_SECONDS:g} s: {one:.2f} s, {verdict}")
    print(
        json.dumps(
            {
                "benchmark": "capacity",
                "quick": args.quick,
                "reps": reps,
                "leads": n_leads,
                "utilisation": round(util, 3),
                "seconds": round(one, 3),
                "limit_seconds": LIMIT_SECONDS,
                "criterion_met": one <= LIMIT_SECONDS,
                "events": events,
                "events_per_second": round(events / one),
                "seconds_8_replications_serial": round(serial_s, 3),
                "seconds_8_replications_2_processes": round(pooled_s, 3),
                "pool_matches_serial": same,
                "seconds_reference": round(ref_s, 3),
                "ratio_vs_reference": round(one / ref_s, 2),
                "peak_mb": round(peak_mb, 1),
                "cpus": os.cpu_count(),
                "load_average": round(load, 2),
                "python": platform.python_version(),
                "simpy": simpy.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
