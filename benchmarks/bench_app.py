"""How fast the no-code app answers a lever, against a full simulate() in the same run.

Run: .venv/bin/python benchmarks/bench_app.py [--quick]

Builds the app (``spm_sim.widgets.Workbench``, figures on) on the sample baseline
at 2,000 trials (``--quick``: 500) and times the whole update of each lever kind
(scenario from the levers, pay on the stored sales, comparison, headline table,
per-rep table and the two figures), split into the numbers (until the tables are
on screen) and the figures:

* cold: the first move of that kind on a freshly built app (nothing cached: a new
  quota setting is set, calibrated quotas calibrated, the baseline with behaviour
  paid for the first time);
* warm: the best of a few later moves between two values (quotas already set).

Calibrated quotas are timed twice: switching to them, and moving growth while
they are on (each growth is a new quota setting, so the calibration runs again).
The reference is ``simulate()`` of the design scenario from scratch (draws, fit,
quotas, payout) in the same run; the ratios are what to track on a noisy machine.
The goal is every update within a second at 2,000 trials.

Prints a table; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from spm_sim import simulate
from spm_sim.widgets import Workbench

#: lever kind -> (levers set before timing, lever, two values to move between)
MOVES: dict[str, tuple[dict, str, tuple]] = {
    "plan: threshold": ({}, "threshold", (0.55, 0.6)),
    "plan: accelerator rates": ({}, "accelerator", (1.2, 1.4)),
    "plan: attainment cap": ({}, "cap", (2.0, 2.5)),
    "quota: growth": ({}, "growth", (0.1, 0.12)),
    "quota: method (equal)": ({}, "method", ("equal", "history")),
    "quota: method (calibrated)": ({}, "method", ("calibrated", "history")),
    "quota: growth, calibrated on": ({"method": "calibrated"}, "growth", (0.1, 0.12)),
    "behaviour on": ({}, "behaviour", (True, False)),
}


def _move(app: Workbench, name: str, value) -> tuple[float, float]:
    app.set_levers(**{name: value})
    assert app.error == "", app.error
    return app.timings["numbers"], app.timings["figures"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 trials, fewer repeats")
    args = parser.parse_args()
    n = 500 if args.quick else 2000
    repeat = 2 if args.quick else 3

    rows = []
    builds = []
    for kind, (before, name, values) in MOVES.items():
        t0 = time.perf_counter()
        app = Workbench(n_trials=n)  # a fresh app: cold caches
        builds.append(time.perf_counter() - t0)
        assert app.error == "", app.error
        if before:
            app.set_levers(**before)
        cold = _move(app, name, values[0])
        warm = []
        for _ in range(repeat):
            _move(app, name, values[1])
            warm.append(_move(app, name, values[0]))
        best = min(warm, key=sum)
        rows.append((kind, cold, best))
    design = app.design
    full = []
    for _ in range(repeat):
        t = time.perf_counter()
        simulate(design, n)
        full.append(time.perf_counter() - t)
    reference = min(full)
    build = min(builds)

    print(
        f"app on the sample baseline, {n:,} trials; "
        f"built (files, sales, first run) in {build:.2f} s"
    )
    print(
        f"{'lever':<31} {'cold s':>7} {'(figures)':>9} {'warm s':>7} {'(figures)':>9} "
        f"{'warm/sim':>9}"
    )
    for kind, cold, warm in rows:
        print(
            f"{kind:<31} {sum(cold):>7.3f} {cold[1]:>9.3f} {sum(warm):>7.3f} {warm[1]:>9.3f} "
            f"{sum(warm) / reference:>9.2f}"
        )
    print(
        f"{'simulate() from scratch':<31} {reference:>7.3f} {'':>9} {reference:>7.3f} {'':>9} "
        f"{1.0:>9.2f}"
    )
    slowest = max(max(sum(c), sum(w)) for _, c, w in rows)
    print(f"slowest update {slowest:.2f} s: {'within' if slowest <= 1.0 else 'OVER'} the 1 s goal")
    print(
        json.dumps(
            {
                "benchmark": "app",
                "trials": n,
                "machine": platform.processor() or platform.machine(),
                "build_seconds": round(build, 3),
                "simulate_seconds": round(reference, 3),
                "cold_seconds": {k: round(sum(c), 3) for k, c, _ in rows},
                "cold_figures_seconds": {k: round(c[1], 3) for k, c, _ in rows},
                "warm_seconds": {k: round(sum(w), 3) for k, _, w in rows},
                "warm_figures_seconds": {k: round(w[1], 3) for k, _, w in rows},
                "warm_over_simulate": {k: round(sum(w) / reference, 3) for k, _, w in rows},
                "slowest_seconds": round(slowest, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
