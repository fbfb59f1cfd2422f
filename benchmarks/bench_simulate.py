"""Throughput of the Monte Carlo engine on the sample book.

Run: .venv/bin/python benchmarks/bench_simulate.py [--quick]

Measures, in one run on this machine (so the ratios are comparable even when the
machine is noisy):

* trials per second of ``simulate`` on the sample baseline (80 reps x 12 months)
  for several chunk sizes, serial;
* the same with a local process pool of 2 workers (ratio to serial);
* a reference: drawing the same number of Poisson counts and lognormal deal sizes in
  one vectorised numpy call with a single stream (what the engine would cost without
  per-trial streams and the payout kernel), as the ratio engine / reference;
* peak memory of the Python heap (tracemalloc) during a serial run.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc

import numpy as np

from spm_sim import simulate
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import prepare


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials and repeats")
    args = parser.parse_args()
    n = 2000 if args.quick else 10000
    repeat = 2 if args.quick else 3
    scenario = sample_scenario("baseline")
    prep = prepare(scenario)
    book = prep.book
    model = prep.model

    rows = []
    for chunk in (50, 250, 1000):
        s = best_of(lambda c=chunk: simulate(scenario, n, book=book, chunk_size=c), repeat)
        rows.append(("serial", chunk, s))
    serial_250 = next(s for mode, c, s in rows if c == 250)
    pooled = best_of(lambda: simulate(scenario, n, book=book, chunk_size=250, workers=2), repeat)
    rows.append(("2 processes", 250, pooled))

    lam = (model.alpha / model.beta)[:, None] * model.month_factor

    def reference():
        g = np.random.default_rng(0)
        counts = g.poisson(np.broadcast_to(lam, (n, *lam.shape)))
        rep = np.repeat(np.tile(np.arange(model.n_reps).repeat(model.n_periods), n), counts.ravel())
        g.lognormal(model.size_mu[rep], model.size_sigma)

    ref = best_of(reference, repeat)

    tracemalloc.start()
    simulate(scenario, n, book=book, chunk_size=250)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        f"simulate() on the sample baseline: {model.n_reps} reps x {model.n_periods} months, "
        f"{n} trials, best of {repeat}"
    )
    print(f"{'mode':<14}{'chunk':>7}{'seconds':>10}{'trials/s':>12}")
    for mode, chunk, s in rows:
        print(f"{mode:<14}{chunk:>7}{s:>10.3f}{n / s:>12,.0f}")
    print(f"{'numpy reference (one stream, no payout)':<40}{ref:>10.3f}")
    print(
        f"engine / reference: {serial_250 / ref:.1f}x   "
        f"2 processes / serial: {pooled / serial_250:.2f}"
    )
    print(f"peak traced memory (serial, chunk 250): {peak / 2**20:.1f} MiB")
    print(
        json.dumps(
            {
                "benchmark": "simulate",
                "machine": platform.machine(),
                "python": platform.python_version(),
                "n_trials": n,
                "n_reps": model.n_reps,
                "seconds": {f"{m.replace(' ', '_')}_chunk{c}": round(s, 4) for m, c, s in rows},
                "reference_seconds": round(ref, 4),
                "ratio_engine_to_reference": round(serial_250 / ref, 2),
                "ratio_2proc_to_serial": round(pooled / serial_250, 3),
                "trials_per_second_serial": round(n / serial_250, 1),
                "peak_traced_mib": round(peak / 2**20, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
