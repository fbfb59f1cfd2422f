"""The Monte Carlo engine's speed: simulate() against one multiply and the bare draws.

Run: .venv/bin/python benchmarks/bench_simulate.py [--quick] [--profile]

Measures, in one run on this machine (the ratios are what to track on a noisy one),
``simulate`` on the sample baseline at 2,000 trials x 80 reps (the book's reps on
the plan year) and at the widget's size, 2,000 trials x 200 reps (the book copied
in memory with new rep, account, deal and opportunity ids, as bench_track.py scales
its book), serial, for the default engine, ``auto`` (the scenario as it ships: the
summed engine where it matches the deals engine, which on the sample it does), and
``deals`` as the reference row (every deal drawn).

* ``seconds``: best of the repeats of ``simulate(scenario, trials, book=book)``,
  fitting and quotas included; ``seconds_per_rep_month`` is the per-trial part
  (``seconds`` less ``prepare``: draws, month loop, payout, joining) over
  trials x reps x 12.
* ``ratio_vs_multiply``: that per-trial part / one numpy multiply over the same
  (trials, reps, 12) float64 array into an array already in memory
  (``np.multiply(x, 1.0001, out=y)``, best of 5). ``ratio_vs_multiply_new_array``
  writes into pages never touched before (on this VM a page fault costs about as
  much as 20 multiplies of its 512 numbers), ``ratio_simulate_vs_multiply`` uses the
  whole of ``seconds``.
* ``ratio_vs_draws``: the engine's drawing (``simulate.draw_block`` over the run's
  chunks: streams, trial parameters, draws, the rep-month totals; no payout) / the
  bare random draws the engine needs for those rep-months, each kind in one
  vectorised call with the posterior-mean rates: for ``summed`` two uniforms and one
  normal per rep-month (into arrays already in memory; ``..._new_arrays``: into new
  ones); for ``deals`` a Poisson count per rep-month and a lognormal size per deal.
  ``ratio_simulate_vs_draws`` is the whole run against the same.
* Where the time goes: prepare (fit, quotas), draws, the month loop (off on the
  baseline), payout and joining the result (simulate less the rest); the public
  ``comp.payout`` on the same draws is timed on its own too, with the monthly output
  and on the annual path simulate pays on (``detail="annual"``).
* ``processes_speedup``: serial seconds / seconds on a warm pool of 2 processes
  (``concurrent.futures.ProcessPoolExecutor`` passed as the executor; its start-up
  is not counted).
* ``peak_mb``: ``tracemalloc``'s peak (numpy buffers included) during one serial run.

``--profile`` adds a cProfile of the serial run of ``auto`` at 80 reps (top 25).
Prints tables; the last line is one JSON object with the figures (top level: ``auto``
at 80 reps; ``at_200_reps`` and ``deals`` hold the rest).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import mmap
import os
import platform
import pstats
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from _books import as_book, join, with_suffix

from spm_sim.book import Book, load_sample
from spm_sim.comp import payout
from spm_sim.random import seed_sequence
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import draw_block, prepare, simulate

CHUNK = 250


def scaled(book: Book, reps: int) -> Book:
    """The book with its reps (their accounts, deals, opportunities and stage history)
    copied until it has ``reps`` reps; copy ``k`` gets ids with the suffix ``-k``, the
    last copy only its first reps."""
    rep_ids = book.reps["rep_id"].astype(str)
    copies: list[dict[str, pd.DataFrame]] = []
    left = reps
    while left > 0:
        keep = set(rep_ids.iloc[: min(left, len(rep_ids))])
        mine = {
            name: getattr(book, name)[getattr(book, name)["rep_id"].astype(str).isin(keep)]
            for name in ("reps", "bookings", "pipeline")
        }
        opps = set(mine["pipeline"]["opportunity_id"])
        # an account a kept rep sold to stays, owned by a kept rep if its owner is not
        sold = set(mine["bookings"]["account_id"]) | set(mine["pipeline"]["account_id"])
        accounts = book.accounts[
            book.accounts["rep_id"].astype(str).isin(keep) | book.accounts["account_id"].isin(sold)
        ].copy()
        owner = accounts["rep_id"].astype(str)
        accounts["rep_id"] = owner.where(owner.isin(keep), sorted(keep)[0])
        mine["accounts"] = accounts
        mine["stage_history"] = book.stage_history[book.stage_history["opportunity_id"].isin(opps)]
        copies.append(with_suffix(mine, len(copies)))
        left -= len(keep)
    return as_book(join(copies), book, name=f"{book.name} scaled to {reps} reps")


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def fresh(shape: tuple[int, ...]) -> np.ndarray:
    """A float64 array on pages never touched: writing it costs what writing a new
    result costs (the page faults included), however the allocator reuses memory."""
    size = int(np.prod(shape)) * 8
    return np.frombuffer(mmap.mmap(-1, size), dtype=np.float64).reshape(shape)


def bare_draws(prep, engine: str, n: int) -> tuple[float, float]:
    """Seconds of the random draws the engine needs, each kind in one vectorised call:
    into arrays already in memory, and into new ones (their page faults counted)."""
    m = prep.model
    g = np.random.default_rng(0)
    shape = (n, m.n_reps, m.n_periods)
    if engine == "summed":
        uv, z = np.empty((2, *shape)), np.empty(shape)

        def warm():
            g.random(out=uv)
            g.standard_normal(out=z)

        def cold():
            g.random(out=fresh((2, *shape)))
            g.standard_normal(out=fresh(shape))

        return best_of(warm, 3), best_of(cold, 3)
    lam = (m.alpha / m.beta)[:, None] * m.month_factor

    def draw():
        counts = g.poisson(np.broadcast_to(lam, shape))
        rep = np.repeat(np.tile(np.arange(m.n_reps).repeat(m.n_periods), n), counts.ravel())
        g.lognormal(m.size_mu[rep], m.size_sigma)

    seconds = best_of(draw, 3)  # numpy allocates these outputs itself
    return seconds, seconds


def multiply(n: int, reps: int) -> tuple[float, float]:
    """One multiply over a (n, reps, 12) array: into an array already in memory, and
    into a new one."""
    x = np.random.default_rng(1).random((n, reps, 12))
    warm = np.empty_like(x)
    return (
        best_of(lambda: np.multiply(x, 1.0001, out=warm), 5),
        best_of(lambda: np.multiply(x, 1.0001, out=fresh(x.shape)), 5),
    )


def measure(scenario, book: Book, n: int, repeat: int, pool) -> dict:
    """The figures of one engine on one book (see the module's notes)."""
    prep = prepare(scenario, book)
    engine = scenario.engine
    used = prep.engine  # auto, resolved once when the scenario is prepared
    root = seed_sequence(scenario.seed)
    simulate(scenario, min(n, 100), book=book)  # warm up imports and caches
    seconds = best_of(lambda: simulate(scenario, n, book=book), repeat)
    t_prepare = best_of(lambda: prepare(scenario, book), repeat)
    bounds = [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]
    kernel = prep.kernel if prep.kernel is not None and prep.kernel.on else None
    mix = prep.deal_mix

    def draws():
        return [
            draw_block(
                prep.model, root, a, b, engine=used, kernel=kernel, plan=scenario.plan, mix=mix
            )
            for a, b in bounds
        ]

    t_draws = best_of(draws, repeat)
    blocks = draws()
    t_loop = 0.0
    if kernel is not None:
        bare = lambda: [  # noqa: E731 - the same draws without the month loop
            draw_block(prep.model, root, a, b, engine=used, plan=scenario.plan, mix=mix)
            for a, b in bounds
        ]
        t_loop = max(t_draws - best_of(bare, repeat), 0.0)

    def pay(detail: str = "monthly"):
        for d, meas, _ in blocks:
            payout(
                scenario.plan,
                d,
                prep.quotas.values,
                prep.target_incentive,
                measures=meas or None,
                detail=detail,
            )

    t_payout = best_of(pay, repeat)
    t_annual = best_of(lambda: pay("annual"), repeat)
    reference, reference_cold = bare_draws(prep, used, n)
    mult, mult_cold = multiply(n, prep.model.n_reps)
    tracemalloc.start()
    simulate(scenario, n, book=book)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    pooled = float("nan")
    if pool is not None:
        simulate(scenario, min(n, 2 * CHUNK), book=book, executor=pool)  # warm the workers
        pooled = best_of(lambda: simulate(scenario, n, book=book, executor=pool), repeat)
    rep_months = n * prep.model.n_reps * prep.model.n_periods
    engine_s = max(seconds - t_prepare, 1e-9)  # the per-trial work: draws, loop, payout, join
    return {
        "engine": engine if engine == used else f"{engine} ({used})",
        "trials": n,
        "reps": prep.model.n_reps,
        "seconds": round(seconds, 4),
        "seconds_per_rep_month": float(f"{engine_s / rep_months:.4g}"),
        "ratio_vs_multiply": round(engine_s / mult, 1),
        "ratio_vs_multiply_new_array": round(engine_s / mult_cold, 1),
        "ratio_simulate_vs_multiply": round(seconds / mult, 1),
        "ratio_vs_draws": round(t_draws / reference, 2),
        "ratio_vs_draws_new_arrays": round(t_draws / reference_cold, 2),
        "ratio_simulate_vs_draws": round(seconds / reference, 2),
        "processes_speedup": round(seconds / pooled, 2) if pooled == pooled else None,
        "peak_mb": round(peak, 1),
        "multiply_seconds": round(mult, 5),
        "multiply_new_array_seconds": round(mult_cold, 5),
        "bare_draws_seconds": round(reference, 4),
        "bare_draws_new_arrays_seconds": round(reference_cold, 4),
        "parts_seconds": {
            "prepare": round(t_prepare, 4),
            "draws": round(t_draws - t_loop, 4),
            "month_loop": round(t_loop, 4),
            "payout_and_joining": round(max(seconds - t_prepare - t_draws, 0.0), 4),
            "comp_payout_alone": round(t_payout, 4),
            "comp_payout_annual_alone": round(t_annual, 4),
        },
    }


def profile(scenario, book: Book, n: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    simulate(scenario, n, book=book)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 trials, one repeat")
    parser.add_argument("--profile", action="store_true", help="cProfile of auto at 80 reps")
    args = parser.parse_args()
    n = 500 if args.quick else 2000
    repeat = 1 if args.quick else 3
    base = sample_scenario("baseline")
    assert base.engine == "auto", "the baseline should use the default engine"
    book = load_sample()
    t = time.perf_counter()
    big = scaled(book, round(len(book.reps) * 200 / prepare(base, book).model.n_reps))
    built = time.perf_counter() - t
    load = os.getloadavg()[0]
    rows = {}
    with ProcessPoolExecutor(2) as pool:
        for engine in ("auto", "deals"):
            s = base if engine == "auto" else base.replace(engine=engine)
            for label, b in (("80", book), ("200", big)):
                rows[(engine, label)] = measure(s, b, n, repeat, pool)
    load = max(load, os.getloadavg()[0])

    print(
        f"simulate() on the sample baseline, {n:,} trials, best of {repeat}; "
        f"scaled book built in {built:.1f} s; 1-min load average up to {load:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    head = (
        f"{'engine':<16}{'reps':>5}{'seconds':>9}{'ns/rep-mo':>10}{'x mult':>8}{'x new':>8}"
        f"{'draws/bare':>11}{'sim/bare':>9}{'2 proc':>7}{'peak MB':>8}"
    )
    print(head)
    for r in rows.values():
        print(
            f"{r['engine']:<16}{r['reps']:>5}{r['seconds']:>9.3f}"
            f"{1e9 * r['seconds_per_rep_month']:>10.1f}{r['ratio_vs_multiply']:>8.1f}"
            f"{r['ratio_vs_multiply_new_array']:>8.1f}"
            f"{r['ratio_vs_draws']:>11.2f}{r['ratio_simulate_vs_draws']:>9.2f}"
            f"{r['processes_speedup'] or float('nan'):>7.2f}{r['peak_mb']:>8.1f}"
        )
    print("\nwhere the time goes (seconds; payout and joining = simulate less the rest)")
    print(
        f"{'engine':<16}{'reps':>5}{'prepare':>9}{'draws':>8}{'loop':>7}{'pay+join':>9}"
        f"{'payout*':>8}{'annual*':>8}{'bare':>7}{'mult ms':>8}{'new ms':>8}"
    )
    for r in rows.values():
        p = r["parts_seconds"]
        print(
            f"{r['engine']:<16}{r['reps']:>5}{p['prepare']:>9.3f}{p['draws']:>8.3f}"
            f"{p['month_loop']:>7.3f}{p['payout_and_joining']:>9.3f}{p['comp_payout_alone']:>8.3f}"
            f"{p['comp_payout_annual_alone']:>8.3f}{r['bare_draws_seconds']:>7.3f}"
            f"{1e3 * r['multiply_seconds']:>8.2f}"
            f"{1e3 * r['multiply_new_array_seconds']:>8.2f}"
        )
    print(
        "* comp.payout alone on the same draws: monthly output, and the annual path "
        "(detail='annual') simulate pays on"
    )
    for (engine, label), r in rows.items():
        if engine == "auto":
            for key, goal in (("ratio_vs_multiply", 30), ("ratio_vs_draws", 1.3)):
                verdict = "within" if r[key] <= goal else "OVER"
                print(f"auto, {label} reps: {key} {r[key]}, {verdict} the {goal} target")
    if args.profile:
        print(profile(base, book, n))
    top = rows[("auto", "80")]
    print(
        json.dumps(
            {
                "benchmark": "simulate",
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "load_average": round(load, 2),
                "python": platform.python_version(),
                "numpy": np.__version__,
                **top,
                "at_200_reps": rows[("auto", "200")],
                "deals": {"80": rows[("deals", "80")], "200": rows[("deals", "200")]},
            }
        )
    )


if __name__ == "__main__":
    main()
