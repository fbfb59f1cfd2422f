"""How fast a plan or quota lever answers at 2,000 trials x 200 reps, on cached draws.

Run: .venv/bin/python benchmarks/bench_widget.py [--quick] [--profile]

The book is the sample book scaled to 200 reps in memory: its reps copied with new
ids (with their accounts, deals, opportunities and stage history), the first 200
still employed kept (all 200 simulated), written to a temporary folder and uploaded
to the app
(``spm_sim.widgets.Workbench``) as a planner would upload a book. The app draws the
sales once (2,000 trials; ``--quick``: 500); every lever move then pays the design
on those draws (:meth:`spm_sim.simulate.SalesDraws.pay`, bit for bit ``simulate``).

Timed, from the widget's value change (``levers[name].value = x``, as a click does)
to the outputs ready (cards, headline table, per-rep table; and the two figures as
PNG when figures are on): a sequence of plan lever moves (threshold, commission
rates, accelerator rates, attainment cap) and quota lever moves (growth,
over-assignment), each lever to two new values and back, twice over. Once on an
app without figures and once with figures (matplotlib, Agg).

Reference in the same run: ``simulate()`` of the last design from scratch (fit,
quotas, draws and payout; the book already in memory), best of three.

Figures in the last line's JSON: ``median_ms`` and ``p90_ms`` (without figures),
``median_ms_with_figures``, ``p90_ms_with_figures``, ``simulate_ms`` and
``ratio_vs_simulate`` (``median_ms / simulate_ms``). Targets: ``median_ms`` <= 150,
``median_ms_with_figures`` <= 300. ``--profile`` prints where the time of the moves
without figures goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from _books import as_book, replicate  # noqa: E402

from spm_sim import simulate  # noqa: E402
from spm_sim.book import Book, load_sample, save_book  # noqa: E402
from spm_sim.widgets import Workbench  # noqa: E402

TARGETS = {"median_ms": 150.0, "median_ms_with_figures": 300.0}
N_REPS = 200

#: the lever moves, in order: (lever, value); each lever goes to two values and back
MOVES: list[tuple[str, object]] = [
    ("threshold", 0.55),
    ("threshold", 0.6),
    ("threshold", 0.5),
    ("commission", 1.1),
    ("commission", 0.9),
    ("commission", 1.0),
    ("accelerator", 1.2),
    ("accelerator", 1.4),
    ("accelerator", 1.0),
    ("cap", 2.0),
    ("cap", 2.5),
    ("cap", 3.0),
    ("growth", 0.1),
    ("growth", 0.12),
    ("growth", 0.08),
    ("over_assignment", 0.08),
    ("over_assignment", 0.1),
    ("over_assignment", 0.05),
]
QUOTA_LEVERS = ("growth", "over_assignment")


def scaled_book(book: Book, n_reps: int) -> Book:
    """``book`` with its reps copied until there are ``n_reps`` still employed: copy
    ``k`` of every rep, account, deal and opportunity gets ids ending ``-k``; the first
    ``n_reps`` reps without a termination date (so all of them are simulated) and what
    is theirs are kept, but for the few deals and opportunities of a kept rep on an
    account another rep now holds."""
    copies = -(-n_reps // int(book.reps["term_date"].isna().sum()))
    whole = replicate(book, copies)
    staying = whole["reps"][whole["reps"]["term_date"].isna()]  # all simulated
    reps = staying.iloc[:n_reps]
    kept = set(reps["rep_id"].astype(str))

    def theirs(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["rep_id"].astype(str).isin(kept)].reset_index(drop=True)

    accounts = theirs(whole["accounts"])
    owned = set(accounts["account_id"].astype(str))

    def on_kept_accounts(frame: pd.DataFrame) -> pd.DataFrame:
        # a deal of a kept rep on an account now held by a rep left out goes too
        frame = theirs(frame)
        return frame[frame["account_id"].astype(str).isin(owned)].reset_index(drop=True)

    pipeline = on_kept_accounts(whole["pipeline"])
    opportunities = set(pipeline["opportunity_id"].astype(str))
    history = whole["stage_history"]
    history = history[history["opportunity_id"].astype(str).isin(opportunities)]
    frames = {
        "reps": reps.reset_index(drop=True),
        "accounts": accounts,
        "bookings": on_kept_accounts(whole["bookings"]),
        "pipeline": pipeline,
        "stage_history": history.reset_index(drop=True),
    }
    return as_book(frames, book, name=f"{book.name}, {n_reps} reps")


def upload_bytes(book: Book, folder: Path) -> dict[str, bytes]:
    """The book's files as a planner would upload them (name -> bytes)."""
    save_book(book, folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def app_on(files: dict[str, bytes], n_trials: int, figures: bool, workdir: Path) -> Workbench:
    """The app, its book the uploaded one (the sales drawn for it)."""
    app = Workbench(n_trials=n_trials, figures=figures, workdir=workdir)
    app.add_files(files)
    assert app.error == "", app.error
    assert app.baseline_result is not None
    return app


def move(app: Workbench, lever: str, value: object) -> float:
    """Milliseconds from the widget's value change to the outputs ready."""
    started = time.perf_counter()
    app.levers[lever].value = value
    ms = (time.perf_counter() - started) * 1000
    assert app.error == "", app.error
    return ms


def run_moves(app: Workbench, rounds: int) -> dict[str, list[float]]:
    """Each move of :data:`MOVES`, ``rounds`` times: milliseconds by lever."""
    times: dict[str, list[float]] = {}
    for _ in range(rounds):
        for lever, value in MOVES:
            times.setdefault(lever, []).append(move(app, lever, value))
    return times


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 trials, one round")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    n_trials = 500 if args.quick else 2000
    rounds = 1 if args.quick else 2
    load_before = os.getloadavg()[0]

    book = scaled_book(load_sample(), N_REPS)
    with tempfile.TemporaryDirectory() as tmp:
        files = upload_bytes(book, Path(tmp) / "book")
        t0 = time.perf_counter()
        plain = app_on(files, n_trials, False, Path(tmp) / "plain")
        build = time.perf_counter() - t0
        drawn = plain.baseline_result
        assert drawn is not None, "the app ran nothing"
        simulated = len(drawn.rep_ids)  # reps employed in the plan year
        without = run_moves(plain, rounds)
        profile_rows = None
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            run_moves(plain, 1)
            prof.disable()
            profile_rows = pstats.Stats(prof)
        design = plain.design
        del plain
        pictured = app_on(files, n_trials, True, Path(tmp) / "figures")
        with_figures = run_moves(pictured, rounds)
        figure_ms = pictured.timings.get("figures", 0.0) * 1000
        del pictured
    assert design is not None
    full = []
    for _ in range(3):
        t = time.perf_counter()
        simulate(design, n_trials, book=book)
        full.append((time.perf_counter() - t) * 1000)
    simulate_ms = min(full)
    load = (load_before, os.getloadavg()[0])

    flat = [ms for values in without.values() for ms in values]
    flat_fig = [ms for values in with_figures.values() for ms in values]
    median_ms, median_fig = statistics.median(flat), statistics.median(flat_fig)
    print(
        f"app on the sample book scaled to {N_REPS} reps ({simulated} simulated), "
        f"{n_trials:,} trials; built and the book uploaded (sales drawn) in {build:.2f} s"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, 1-minute load average {load[0]:.2f} at the start "
        f"and {load[1]:.2f} at the end"
    )
    print(f"{'lever':<17}{'kind':<7}{'median ms':>11}{'with figures':>14}{'moves':>7}")
    for lever in dict.fromkeys(lever for lever, _ in MOVES):
        kind = "quota" if lever in QUOTA_LEVERS else "plan"
        print(
            f"{lever:<17}{kind:<7}{statistics.median(without[lever]):>11.0f}"
            f"{statistics.median(with_figures[lever]):>14.0f}{len(without[lever]):>7}"
        )
    print(
        f"all moves: median {median_ms:.0f} ms (target <= {TARGETS['median_ms']:.0f}), "
        f"p90 {p90(flat):.0f} ms; with figures median {median_fig:.0f} ms (target <= "
        f"{TARGETS['median_ms_with_figures']:.0f}), p90 {p90(flat_fig):.0f} ms "
        f"(the last move's figures {figure_ms:.0f} ms)"
    )
    print(
        f"simulate() of the last design from scratch: {simulate_ms:.0f} ms (best of 3); "
        f"a move takes {median_ms / simulate_ms:.3f} of it"
    )
    if profile_rows is not None:
        print("profile of one round of moves without figures (cumulative seconds):")
        profile_rows.sort_stats("cumulative").print_stats(30)
    print(
        json.dumps(
            {
                "benchmark": "widget",
                "machine": platform.machine(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in load],
                "n_trials": n_trials,
                "n_reps": N_REPS,
                "n_reps_simulated": simulated,
                "moves": len(flat),
                "median_ms": round(median_ms, 1),
                "p90_ms": round(p90(flat), 1),
                "median_ms_with_figures": round(median_fig, 1),
                "p90_ms_with_figures": round(p90(flat_fig), 1),
                "median_ms_by_lever": {
                    k: round(statistics.median(v), 1) for k, v in without.items()
                },
                "median_ms_with_figures_by_lever": {
                    k: round(statistics.median(v), 1) for k, v in with_figures.items()
                },
                "simulate_ms": round(simulate_ms, 1),
                "ratio_vs_simulate": round(median_ms / simulate_ms, 4),
                "build_seconds": round(build, 2),
                "meets_targets": None
                if args.quick
                else bool(
                    median_ms <= TARGETS["median_ms"]
                    and median_fig <= TARGETS["median_ms_with_figures"]
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
