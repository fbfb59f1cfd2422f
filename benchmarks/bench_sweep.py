"""A sweep of 200 scenarios on the sample book: serial, local processes and Dask.

Run: .venv/bin/python benchmarks/bench_sweep.py [--quick] [--workers W]

The case (issue 18): the sample baseline scenario under a grid of 10 accelerator
rates (the rate between 100% and 150% of quota, 1.0x to 2.8x TCR) x 5 thresholds
(30% to 70% of quota) x 4 rep-level over-assignments (0% to 15%) = 200 scenarios,
1,000 trials each, every default metric with its interval and its paired difference
to the base (percentile differences by a 1,000-resample bootstrap). The same
:func:`spm_sim.sweep.sweep` call runs three times, in one process, on the book loaded
once:

* ``serial``: every chunk here, one after another (the reference);
* ``processes``: a local pool of ``--workers`` processes (default 2), started and shut
  down inside the call, so its start-up is counted;
* ``dask``: an embedded ``LocalCluster`` of ``--workers`` single-threaded worker
  processes, also started inside the call and counted.

``same_numbers`` is true when the three frames are identical (every value, interval
and difference). ``processes_speedup`` is serial seconds over processes seconds
(criterion: at least 1.7 on two cores); ``dask_speedup`` likewise.

For scale, ``simulate_each_seconds`` is the time :func:`spm_sim.simulate.simulate`
takes for one scenario (the mean of 3 of them, 1,000 trials) times 200: what a loop of
simulations would cost; ``reuse_speedup`` is that over the serial sweep, which draws
each chunk's sales once for all the scenarios that share them and pays each.

``--quick``: 50 scenarios (5 rates x 5 thresholds x 2 over-assignments), 300 trials.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import pandas as pd

from spm_sim import sample_scenario, simulate
from spm_sim.book import load_book_ref
from spm_sim.sweep import set_params, sweep

RATE = "plan.components[bookings].tiers[1].rate"
THRESHOLD = "plan.components[bookings].threshold"
OVER = "quota.over_assignment"
SEED = 20260101
CRITERION = 1.7


def grid(quick: bool) -> dict[str, list[float]]:
    if quick:
        return {
            RATE: list(np.round(np.linspace(1.0, 2.6, 5), 3)),
            THRESHOLD: list(np.round(np.linspace(0.3, 0.7, 5), 3)),
            OVER: [0.0, 0.1],
        }
    return {
        RATE: list(np.round(np.linspace(1.0, 2.8, 10), 3)),
        THRESHOLD: list(np.round(np.linspace(0.3, 0.7, 5), 3)),
        OVER: [0.0, 0.05, 0.10, 0.15],
    }


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 scenarios x 300 trials")
    parser.add_argument("--workers", type=int, default=2, help="processes / Dask workers")
    args = parser.parse_args()
    trials = 300 if args.quick else 1000
    changes = grid(args.quick)
    n_scenarios = int(np.prod([len(v) for v in changes.values()]))
    load_before = os.getloadavg()[0]
    base = sample_scenario("baseline")
    book = load_book_ref(base.book)
    kw = {"rng": SEED, "book": book}
    sweep(base, {RATE: [2.0]}, 10, **kw)  # imports and first calls, outside the timings

    serial, t_serial = timed(sweep, base, changes, trials, executor="serial", **kw)
    procs, t_procs = timed(
        sweep, base, changes, trials, executor="processes", workers=args.workers, **kw
    )
    on_dask, t_dask = timed(
        sweep, base, changes, trials, executor="dask", workers=args.workers, **kw
    )
    same = True
    for other in (procs, on_dask):
        try:
            pd.testing.assert_frame_equal(serial, other, check_exact=True)
        except AssertionError:
            same = False

    each = []
    for rate in (1.2, 1.8, 2.4):
        scenario = set_params(base, {RATE: rate})
        each.append(timed(simulate, scenario, trials, **kw)[1])
    simulate_each = float(np.mean(each)) * n_scenarios
    load_after = os.getloadavg()[0]

    rows = [
        ("serial", t_serial, 1.0),
        (f"processes ({args.workers})", t_procs, t_serial / t_procs),
        (f"dask ({args.workers} workers)", t_dask, t_serial / t_dask),
        ("simulate each (estimate)", simulate_each, t_serial / simulate_each),
    ]
    print(f"sweep of {n_scenarios} scenarios x {trials:,} trials on the sample book")
    print(f"{'executor':<28} {'seconds':>9} {'vs serial':>10}")
    for name, secs, ratio in rows:
        print(f"{name:<28} {secs:>9.2f} {ratio:>9.2f}x")
    print(f"same numbers on all three: {same}; draws: {serial.attrs['draws']}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {load_before:.1f} before, "
        f"{load_after:.1f} after"
    )
    speedup = t_serial / t_procs
    print(
        json.dumps(
            {
                "scenarios": n_scenarios,
                "trials": trials,
                "workers": args.workers,
                "serial_seconds": round(t_serial, 3),
                "processes_seconds": round(t_procs, 3),
                "dask_seconds": round(t_dask, 3),
                "processes_speedup": round(speedup, 3),
                "dask_speedup": round(t_serial / t_dask, 3),
                "same_numbers": same,
                "simulate_each_seconds": round(simulate_each, 3),
                "reuse_speedup": round(simulate_each / t_serial, 3),
                "cpus": os.cpu_count(),
                "load_before": round(load_before, 2),
                "load_after": round(load_after, 2),
                "criteria_met": bool(same and speedup >= CRITERION),
            }
        )
    )


if __name__ == "__main__":
    main()
