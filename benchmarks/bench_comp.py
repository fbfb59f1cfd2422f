"""Speed of the payout kernel on a three-component plan with quarterly true-ups.

Run: .venv/bin/python benchmarks/bench_comp.py [--quick] [--profile]

One core: the script sets ``OPENBLAS_NUM_THREADS`` (and the other BLAS thread
counts) to 1 before numpy loads, and pays every chunk in the main thread.

The plan (``PLAN`` below): a bookings commission paid quarterly with a 50% threshold,
accelerator tiers and a payout cap, whose accelerators are gated on new logos; a
product-line (``platform``) commission paid quarterly; a new-logo commission paid
quarterly, gated on bookings. Weights 0.6 / 0.25 / 0.15.

Measures, in one run on this machine (so the ratios are comparable even when the
machine is noisy):

* kernel seconds for 10,000 trials x 1,000 reps x 12 months (``--quick``: 200
  trials). The inputs are generated chunk by chunk from per-trial streams
  (``SeedSequence(seed, spawn_key=(1, trial))``) and are not timed; only the
  ``payout`` calls are, and their times are summed. At full size the inputs
  alone would be about 1 GB per measure, so they never exist all at once;
* a sweep of chunk sizes on the first trials (kernel seconds, extrapolated, and
  the peak traced memory of one chunk), and the fastest one run at full size:
  ``payout_seconds``, the monthly output (``by_component``, every payment by rep,
  month and component), and ``annual_seconds``, the annual path
  (``detail="annual"``: annual totals per rep and component and the company total
  per month, what ``simulate`` keeps), timed chunk by chunk on the same inputs one
  right after the other, so that a busy machine slows both alike. The annual totals
  must equal the monthly ones to the last bit (``annual_same_totals``);
* a reference: the plain-Python oracle of ``tests/reference_comp.py`` on a sample
  (2 trials x 1,000 reps; ``--quick`` 1 x 200), timed in the same run, as seconds
  per rep-trial; ``speedup_vs_reference`` is that over the kernel's (monthly)
  seconds per rep-trial. The kernel and the oracle must agree on the sample (1e-6);
* memory: the peak of the Python heap traced by ``tracemalloc`` (numpy's buffers
  included) while one chunk is generated and paid (monthly), and the process's
  peak resident set (``ru_maxrss``) at the end.

With ``--profile`` (and whenever the full run misses a target) it prints the
kernel's cProfile at the chosen chunk size: where the time goes, per function and
per numpy call site.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import os

# one core: numpy's BLAS (the kernel's cumulative sums) must not start threads
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from spm_sim.comp import load_plan, payout  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_comp import reference_payout  # noqa: E402  (the oracle lives with the tests)

SEED = 2026
N_PERIODS = 12
#: the files of the payout kernel, whose functions the profile lists
KERNEL_FILES = ("kernel.py", "earnings.py", "totals.py")
TARGETS = {"seconds": 2.0, "annual_seconds": 1.0, "speedup": 100.0, "peak_mb": 2048.0}

PLAN = {
    "name": "Benchmark AE plan",
    "measures": [
        {"name": "platform", "kind": "bookings", "product": "Platform", "quota_share": 0.4},
        {"name": "logos", "kind": "new_logos", "quota_per_rep": 12},
    ],
    "components": [
        {
            "name": "bookings",
            "weight": 0.6,
            "rate_basis": "tcr",
            "period": "quarter",
            "threshold": 0.5,
            "tiers": [
                {"start": 0.0, "end": 1.0, "rate": 1.0},
                {"start": 1.0, "end": 1.5, "rate": 1.8},
                {"start": 1.5, "rate": 2.5},
            ],
            "payout_cap": 3.0,
            "gate": {"measure": "logos", "min_attainment": 0.5, "applies_to": "accelerators"},
        },
        {
            "name": "platform",
            "measure": "platform",
            "weight": 0.25,
            "rate_basis": "tcr",
            "period": "quarter",
            "tiers": [{"start": 0.0, "end": 1.0, "rate": 1.0}, {"start": 1.0, "rate": 1.5}],
        },
        {
            "name": "new_logos",
            "measure": "logos",
            "weight": 0.15,
            "rate_basis": "tcr",
            "period": "quarter",
            "tiers": [{"start": 0.0, "rate": 1.0}],
            "attainment_cap": 2.0,
            "gate": {"measure": "bookings", "min_attainment": 0.5},
        },
    ],
}


def rep_book(n_reps: int, *, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Monthly quotas (n_reps, 12) and TI (n_reps,): 5% mid-year hires, 0.5% no quota."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    monthly = 100_000.0 * rng.lognormal(0.0, 0.2, n_reps)
    quotas = np.repeat(monthly[:, None], N_PERIODS, axis=1)
    hires = rng.random(n_reps) < 0.05
    start = rng.integers(1, N_PERIODS, n_reps)
    quotas[(np.arange(N_PERIODS)[None, :] < start[:, None]) & hires[:, None]] = 0.0
    quotas[rng.random(n_reps) < 0.005] = 0.0
    ti = 90_000.0 * rng.lognormal(0.0, 0.1, n_reps)
    return quotas, ti


def trial_inputs(first: int, count: int, quotas: np.ndarray, *, seed: int = SEED) -> dict:
    """Bookings and measures of trials ``first .. first + count - 1``.

    Each trial has its own stream, so the numbers do not depend on the chunking.
    Bookings: exponential around the quota times a per-trial skill; platform: 20-60%
    of them; new logos: Poisson(1) a month.
    """
    n_reps = quotas.shape[0]
    shape = (count, n_reps, N_PERIODS)
    bookings = np.empty(shape)
    share = np.empty(shape)
    logos = np.empty(shape)
    base = np.where(quotas > 0, quotas, 100_000.0)  # hires book before their quota starts
    for i in range(count):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, first + i)))
        rng.standard_exponential(out=bookings[i])
        bookings[i] *= base * rng.lognormal(0.0, 0.25, n_reps)[:, None]
        rng.random(out=share[i])
        logos[i] = rng.poisson(1.0, (n_reps, N_PERIODS))
    platform_ = bookings * (0.2 + 0.4 * share)
    return {"bookings": bookings, "measures": {"platform": platform_, "logos": logos}}


def pay(plan, inputs: dict, quotas: np.ndarray, ti: np.ndarray, detail: str = "monthly"):
    return payout(plan, inputs["bookings"], quotas, ti, measures=inputs["measures"], detail=detail)


def chunks(n_trials: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(size, n_trials - s)) for s in range(0, n_trials, size)]


def run_serial(plan, quotas, ti, n_trials: int, size: int) -> tuple[float, np.ndarray]:
    """Summed kernel seconds (monthly output) over the chunks, and each rep-trial's pay."""
    seconds, totals = 0.0, np.empty((n_trials, quotas.shape[0]))
    for first, count in chunks(n_trials, size):
        inputs = trial_inputs(first, count, quotas)
        t0 = time.perf_counter()
        p = pay(plan, inputs, quotas, ti)
        seconds += time.perf_counter() - t0
        totals[first : first + count] = p.total
    return seconds, totals


def run_both(plan, quotas, ti, n_trials: int, size: int):
    """The monthly output and the annual path on the same chunks, one right after the
    other (so a busy machine slows both alike): summed seconds of each, and each
    rep-trial's total pay under each."""
    seconds = {"monthly": 0.0, "annual": 0.0}
    totals = {k: np.empty((n_trials, quotas.shape[0])) for k in seconds}
    for first, count in chunks(n_trials, size):
        inputs = trial_inputs(first, count, quotas)
        for detail in seconds:
            t0 = time.perf_counter()
            p = pay(plan, inputs, quotas, ti, detail)
            seconds[detail] += time.perf_counter() - t0
            totals[detail][first : first + count] = p.total
    return seconds, totals


def traced_peak_mib(fn) -> float:
    """Peak traced heap (MiB) while ``fn`` runs, numpy buffers included."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def best_of(fn, repeat: int):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def profile(plan, quotas, ti, size: int, n_trials: int, scale: float) -> list[tuple[str, float]]:
    """cProfile of the kernel on ``n_trials`` trials: (step, seconds scaled by ``scale``).

    A step is a function of the kernel (``spm_sim/_comp/``: ``kernel.py``,
    ``earnings.py``, ``totals.py``): its own time ("self": arithmetic with ufuncs,
    which cProfile does not see as calls, and indexing), then each numpy function it
    calls, with everything under that call.
    """
    batches = [trial_inputs(f, c, quotas) for f, c in chunks(n_trials, size)]
    prof = cProfile.Profile()
    prof.enable()
    for inputs in batches:
        pay(plan, inputs, quotas, ti)
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)

    def name(key):
        file, line, func = key
        return func if file == "~" else f"{Path(file).name}:{line}({func})"

    def kernel(key) -> bool:
        return any(key[0].endswith(str(Path("spm_sim", "_comp", f))) for f in KERNEL_FILES)

    rows: dict[str, float] = {}
    for key, (_, _, tottime, _, callers) in stats.items():
        if kernel(key):
            rows[f"{name(key)} self"] = tottime
        for caller, (_, _, _, cumtime) in callers.items():
            if kernel(caller) and not kernel(key):
                rows[f"{name(caller)} -> {name(key)}"] = cumtime
    top = sorted(rows.items(), key=lambda kv: -kv[1])
    return [(where, seconds * scale) for where, seconds in top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 trials, a smaller reference")
    parser.add_argument("--profile", action="store_true", help="print the kernel's profile")
    args = parser.parse_args()
    n_trials, n_reps = (200, 1000) if args.quick else (10_000, 1000)
    sweep_trials = 200 if args.quick else 1000
    sizes = (25, 50, 100, 200) if args.quick else (10, 25, 50, 100, 250, 1000)
    repeat = 1 if args.quick else 2
    ref_trials, ref_reps = (1, 200) if args.quick else (2, 1000)

    load_before = os.getloadavg()[0]
    plan = load_plan(PLAN)
    quotas, ti = rep_book(n_reps)
    cells = n_trials * n_reps

    pay(plan, trial_inputs(0, 10, quotas), quotas, ti)  # warm up

    # 1. chunk sizes on the first trials (same inputs for every size)
    sweep = []
    for size in sizes:
        seconds, totals = best_of(
            lambda s=size: run_serial(plan, quotas, ti, sweep_trials, s), repeat
        )
        peak = traced_peak_mib(lambda s=size: pay(plan, trial_inputs(0, s, quotas), quotas, ti))
        sweep.append((size, seconds, seconds * n_trials / sweep_trials, peak, totals))
    fits = [row for row in sweep if row[3] <= TARGETS["peak_mb"]]
    best = min(fits, key=lambda row: row[1])[0]
    same_digits = all(np.array_equal(row[4], sweep[0][4]) for row in sweep)
    chunk_gap = max(float(np.max(np.abs(row[4] - sweep[0][4]))) for row in sweep)

    # 2. full size at the best chunk size: the monthly output and the annual path,
    # chunk by chunk on the same inputs; each the best of the repeats
    runs = [run_both(plan, quotas, ti, n_trials, best) for _ in range(repeat)]
    serial = min(r[0]["monthly"] for r in runs)
    annual = min(r[0]["annual"] for r in runs)
    annual_same = all(np.array_equal(r[1]["annual"], r[1]["monthly"]) for r in runs)
    annual_peak = traced_peak_mib(
        lambda: pay(plan, trial_inputs(0, best, quotas), quotas, ti, "annual")
    )
    payout_seconds = serial

    # 3. the oracle on a sample, timed in this run, and checked against the kernel
    sample = trial_inputs(0, ref_trials, quotas[:ref_reps])
    one = {k: v[0, :1] for k, v in sample["measures"].items()}
    reference_payout(plan, sample["bookings"][0, :1], quotas[:1], ti[:1], measures=one)  # warm up
    t0 = time.perf_counter()
    expected = [
        reference_payout(
            plan,
            sample["bookings"][t],
            quotas[:ref_reps],
            ti[:ref_reps],
            measures={k: v[t] for k, v in sample["measures"].items()},
        )
        for t in range(ref_trials)
    ]
    ref_seconds = time.perf_counter() - t0
    got = pay(plan, sample, quotas[:ref_reps], ti[:ref_reps]).by_component
    gap = float(np.max(np.abs(got - np.stack(expected)) / (1.0 + np.abs(np.stack(expected)))))
    agree = gap <= 1e-6
    ref_per_cell = ref_seconds / (ref_trials * ref_reps)
    kernel_per_cell = payout_seconds / cells
    speedup = ref_per_cell / kernel_per_cell
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    peak_mb = next(row[3] for row in sweep if row[0] == best)
    load = (load_before, os.getloadavg()[0])

    print(
        f"payout(): {n_trials:,} trials x {n_reps:,} reps x {N_PERIODS} months, "
        f"3 quarterly components (threshold, accelerators, gates), best of {repeat}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, 1-minute load average {load[0]:.2f} at the start "
        f"and {load[1]:.2f} at the end (other processes share the machine)"
    )
    print(f"chunk sizes on the first {sweep_trials:,} trials (kernel only, serial):")
    print(f"{'chunk':>7}{'seconds':>10}{'est. full':>11}{'peak MiB':>10}")
    for size, seconds, full, peak, _ in sweep:
        mark = "  <- best" if size == best else ""
        print(f"{size:>7}{seconds:>10.3f}{full:>11.2f}{peak:>10.0f}{mark}")
    print(
        "same payouts at every chunk size, to the last bit: "
        + ("yes" if same_digits else f"NO (largest difference {chunk_gap:.1e} of money)")
    )
    head = f"all {n_trials:,} trials, chunk {best}, one core"
    print(f"{head:<36}{'seconds':>10}{'rep-trials/s':>15}")
    print(f"{'  monthly output (by_component)':<36}{serial:>10.3f}{cells / serial:>15,.0f}")
    print(f"{'  annual path (detail=annual)':<36}{annual:>10.3f}{cells / annual:>15,.0f}")
    print(
        f"payout_seconds = {payout_seconds:.3f} (target <= {TARGETS['seconds']:.0f} s); "
        f"annual_seconds = {annual:.3f} (target <= {TARGETS['annual_seconds']:.0f} s); "
        f"annual totals equal the monthly ones to the last bit: " + ("yes" if annual_same else "NO")
    )
    print(
        f"reference (tests/reference_comp.py) on {ref_trials} x {ref_reps} reps: "
        f"{ref_seconds:.2f} s = {ref_per_cell * 1e6:.0f} us per rep-trial, "
        f"{ref_per_cell * cells:,.0f} s extrapolated to {cells:,}; kernel "
        f"{kernel_per_cell * 1e9:.0f} ns per rep-trial; speedup {speedup:,.0f}x "
        f"(target >= {TARGETS['speedup']:.0f}x); agree: {'yes' if agree else 'NO'} "
        f"(max gap {gap:.1e})"
    )
    print(
        f"peak traced memory: {peak_mb:.0f} MiB (one chunk, monthly; annual "
        f"{annual_peak:.0f} MiB; target <= {TARGETS['peak_mb']:.0f}); process max RSS "
        f"{maxrss_mib:.0f} MiB (whole run, chunk sweep included)"
    )
    missed = payout_seconds > TARGETS["seconds"] or annual > TARGETS["annual_seconds"]
    if args.profile or (not args.quick and missed):
        n_prof = min(n_trials, 20 * best)
        rows = profile(plan, quotas, ti, best, n_prof, n_trials / n_prof)
        print(f"profile at chunk {best} ({n_prof} trials, seconds scaled to {n_trials:,} trials):")
        for where, seconds in rows[:16]:
            print(f"{seconds:>8.3f}  {where}")

    print(
        json.dumps(
            {
                "benchmark": "comp",
                "machine": platform.machine(),
                "python": platform.python_version(),
                "numpy": np.__version__,
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in load],
                "n_trials": n_trials,
                "n_reps": n_reps,
                "n_periods": N_PERIODS,
                "chunk_size": best,
                "payout_seconds": round(payout_seconds, 4),
                "annual_seconds": round(annual, 4),
                "payout_mode": "one core",
                "annual_same_totals": annual_same,
                "sweep_seconds_full_size": {str(r[0]): round(r[2], 3) for r in sweep},
                "reference_seconds_per_rep_trial": ref_per_cell,
                "kernel_seconds_per_rep_trial": kernel_per_cell,
                "speedup_vs_reference": round(speedup, 1),
                "reference_agrees": agree,
                "peak_mb": round(peak_mb, 1),
                "annual_peak_mb": round(annual_peak, 1),
                "peak_mb_method": "tracemalloc, MiB",
                "max_rss_mb": round(maxrss_mib, 1),
                "same_payouts_any_chunk": same_digits,
                "chunk_max_difference": chunk_gap,
                # the targets are for the full size; --quick only checks that it runs
                "meets_targets": None
                if args.quick
                else bool(
                    payout_seconds <= TARGETS["seconds"]
                    and annual <= TARGETS["annual_seconds"]
                    and annual_same
                    and speedup >= TARGETS["speedup"]
                    and peak_mb <= TARGETS["peak_mb"]
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
