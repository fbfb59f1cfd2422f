"""The ``spm-sim`` command: run scenarios and write reports from a shell.

::

    spm-sim run data/scenarios/baseline.yaml data/scenarios/accelerated.yaml --seed 7
    spm-sim demo --out reports
    spm-sim check data/sample
    spm-sim curve data/plans/baseline.yaml data/plans/accelerated.yaml --out curves.png
    spm-sim align data/sample/accounts.csv --territories 80 --out align.csv
    spm-sim quotas data/scenarios/baseline.yaml --method potential --out quotas.csv
    spm-sim fit --plan-year 2026 --out fit
    spm-sim capacity data/capacity/inbound.yaml --replications 10 --out capacity
    spm-sim headcount data/capacity/inbound.yaml --target "within=1h,share=0.9"

Every error a user can cause (a bad scenario, plan or book file, a missing file) is
printed as one ``spm-sim: error: ...`` message on stderr with exit status 2 and no
traceback. Standard output carries only the summary and the paths written; the
progress bar goes to stderr and only when standard output is a terminal.

Start-up stays fast: building the parser (and ``spm-sim --help``) needs only argparse
and the small modules of :mod:`spm_sim.cli`; each command imports the library, and
matplotlib only when it writes a figure, inside its own function
(``tests/test_startup.py``, ``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import save_figure, write_csv
from spm_sim._format import slugify
from spm_sim._provenance import package_version
from spm_sim.errors import PlausibilityWarning, SpmSimError, strict_checks

from .actuals import add_backtest_parser, add_payouts_parser, cmd_backtest, cmd_payouts
from .args import (
    OUTPUTS,
    add_seed,
    add_trials,
    add_workers,
    outputs_over_inputs,
    positive_float,
)
from .capacity import add_capacity_parser, add_headcount_parser, cmd_capacity, cmd_headcount
from .fit import add_fit_parser, cmd_fit
from .quota import add_quotas_parser, cmd_quotas
from .territory import add_align_parser, cmd_align

if TYPE_CHECKING:
    from spm_sim.scenario import Scenario

__all__ = ["main", "build_parser", "DEMO_SCENARIOS"]

#: The scenarios ``spm-sim demo`` runs, in the source repository's data/scenarios.
DEMO_SCENARIOS = (
    "baseline.yaml",
    "accelerated.yaml",
    "multi_measure.yaml",
    "people_and_behaviour.yaml",
)
DEMO_TRIALS = 2000


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``spm-sim``: one sub-command per ``add_*_parser`` below.

    Building it imports nothing beyond the standard library and the small modules
    of :mod:`spm_sim.cli`; each command imports what it needs when it runs.
    """
    parser = argparse.ArgumentParser(
        prog="spm-sim",
        description="Test sales territories, quotas and incentive plans by Monte Carlo "
        "before rollout, and write scenario reports.",
    )
    parser.add_argument("--version", action="version", version=f"spm-sim {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _simulation_options()
    _add_run_parser(sub, common)
    _add_demo_parser(sub, common)
    _add_check_parser(sub)
    _add_curve_parser(sub)
    add_payouts_parser(sub)
    add_backtest_parser(sub)
    add_align_parser(sub)
    add_quotas_parser(sub)
    add_fit_parser(sub)
    add_capacity_parser(sub)
    add_headcount_parser(sub)
    for command in sub.choices.values():
        command.add_argument(
            "--strict",
            action="store_true",
            help="treat every plausibility warning (a deal before its rep's hire date, an "
            "amount far outside the book's range, a cost of sales over 50%%) as an error",
        )
    return parser


def _simulation_options() -> argparse.ArgumentParser:
    """``--workers`` and ``--quiet``, shared by ``run`` and ``demo`` (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    add_workers(common, "the simulation")
    common.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the paths written (no table, no progress bar)",
    )
    return common


def _add_run_parser(sub, common: argparse.ArgumentParser) -> None:
    """Register ``spm-sim run``."""
    run = sub.add_parser(
        "run",
        parents=[common],
        help="simulate scenario files and write a report",
        description="Simulate one or more scenario YAML files, print a summary and write an HTML "
        "report plus CSV tables. The first scenario is the baseline the others are compared with.",
    )
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml", help="scenario files")
    add_trials(run, "Monte Carlo trials per scenario (default: each scenario's 'trials')")
    add_seed(
        run,
        "seed for every scenario (default: each scenario's 'seed'); scenarios "
        "with the same seed, book and plan year share their simulated sales",
    )
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: reports/<first scenario's name>)",
    )


def _add_demo_parser(sub, common: argparse.ArgumentParser) -> None:
    """Register ``spm-sim demo``."""
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="run the sample baseline and accelerated scenarios",
        description="Run data/scenarios/baseline.yaml and accelerated.yaml on the sample book and "
        "write DIR/demo.html with CSV tables beside it.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="output folder (default: reports)",
    )
    add_trials(demo, f"Monte Carlo trials per scenario (default {DEMO_TRIALS})", DEMO_TRIALS)


def _add_check_parser(sub) -> None:
    """Register ``spm-sim check``."""
    check = sub.add_parser(
        "check",
        help="validate a book folder and summarise it",
        description="Load a book folder (CSV or Parquet files), check every rule of "
        "docs/data-format.md and print what it holds. Exit status 2 and a message naming "
        "the file, row, column and value when a rule is broken.",
    )
    check.add_argument("book", type=Path, metavar="BOOK_DIR", help="folder of the book")


def _add_curve_parser(sub) -> None:
    """Register ``spm-sim curve``."""
    curve = sub.add_parser(
        "curve",
        help="plot plans' payout curves and print their leverage",
        description="Load one or more plan YAML files, write their payout and effective-rate "
        "curves to a PNG figure and print, per plan, the payout at quota and at 150% of quota "
        "(leverage), the effective rates and the cost of sales at quota.",
    )
    curve.add_argument("plans", nargs="+", type=Path, metavar="PLAN.yaml", help="plan files")
    curve.add_argument(
        "--out", type=Path, required=True, metavar="FIG.png", help="figure to write (PNG)"
    )
    curve.add_argument(
        "--max-attainment",
        type=positive_float,
        default=2.5,
        metavar="A",
        help="right end of the attainment axis, 2.5 = 250%% of quota (default 2.5)",
    )
    curve.add_argument(
        "--csv",
        type=Path,
        metavar="FILE.csv",
        help="also write the curves as a table: plan, attainment, payout_over_ti, "
        "effective_rate (x TCR), at every 1%% of attainment",
    )
    curve.add_argument(
        "--quota",
        type=positive_float,
        metavar="Q",
        help="annual quota of a typical rep, with --ti: cost of sales in %% of bookings",
    )
    curve.add_argument(
        "--ti",
        type=positive_float,
        metavar="T",
        help="annual target incentive (TI) of that rep, with --quota",
    )


# --- the commands: each imports what it needs when it runs -----------------------------


def _cmd_check(args) -> int:
    from spm_sim.book import load_book  # numpy, pandas, pydantic and yaml; nothing heavier

    book = load_book(args.book)
    print(f"Book '{book.name}' ({book.currency}) at {args.book}: valid.")
    tables = {
        "reps": book.reps,
        "accounts": book.accounts,
        "bookings": book.bookings,
        "pipeline": book.pipeline,
    }
    if book.units is not None:
        tables["units"] = book.units
    for name, frame in tables.items():
        print(f"  {name:<9} {len(frame):>8,} rows")
    if len(book.bookings):
        b = book.bookings
        print(
            f"  bookings from {b['date'].min().date()} to {b['date'].max().date()}, "
            f"total {b['amount'].sum():,.0f} {book.currency}"
        )
        for year, total in b.groupby(b["date"].dt.year)["amount"].sum().items():
            print(f"    {year}: {total:>16,.0f}")
    current = book.current_reps()
    on = book.snapshot_date.date() if book.snapshot_date is not None else "the last booking date"
    print(f"  reps employed on {on}: {len(current)} in {current['region'].nunique()} regions")
    return 0


#: Rows of the ``spm-sim curve`` table: metric key, label, format.
_CURVE_ROWS = (
    ("payout_at_quota_over_ti", "Payout at quota (x TI)", "{:.3f}"),
    ("payout_at_150_over_ti", "Payout at 150% = leverage (x TI)", "{:.3f}"),
    ("effective_rate_at_100", "Effective rate at 100% (x TCR)", "{:.3f}"),
    ("effective_rate_at_150", "Effective rate at 150% (x TCR)", "{:.3f}"),
)


def _cmd_curve(args) -> int:
    from spm_sim.comp import load_plan, plan_metrics

    if args.out.suffix.lower() != ".png":
        raise SpmSimError(f"--out {args.out}: the figure is written as PNG; name it *.png")
    if (args.quota is None) != (args.ti is None):
        raise SpmSimError("give --quota and --ti together (a typical rep's quota and TI)")
    plans = [load_plan(path) for path in args.plans]
    quota, ti = (1.0, 1.0) if args.quota is None else (args.quota, args.ti)
    rows = list(_CURVE_ROWS)
    if args.quota is None:  # with quota = TI = 1 the cost of sales is a multiple of TI / quota
        rows.append(("cost_of_sales_at_quota", "Cost of sales at quota (x TI/quota)", "{:.3f}"))
    else:
        rows.append(("cost_of_sales_at_quota", "Cost of sales at quota", "{:.2%}"))
    width = max(len(label) for _key, label, _fmt in rows)
    for plan, path in zip(plans, args.plans, strict=True):
        metrics = plan_metrics(plan, quota=quota, target_incentive=ti)
        print(f"{plan.name} ({path})")
        for key, label, fmt in rows:
            print(f"  {label:<{width}}  {fmt.format(metrics[key]):>8}")
        print()
    _write_curve_figure(plans, args.out, args.max_attainment)
    if args.csv is not None:
        _write_curve_table(plans, args.csv, args.max_attainment, quota=quota, ti=ti)
    return 0


def _write_curve_figure(plans, out: Path, max_attainment: float) -> None:
    from spm_sim.viz.results import payout_curves

    out.parent.mkdir(parents=True, exist_ok=True)
    fig = payout_curves(plans, max_attainment=max_attainment)
    save_figure(fig, out, format="png", dpi=110, metadata={"Software": None}, facecolor="white")
    print(f"Figure: {out.resolve()}")


def _write_curve_table(plans, path: Path, max_attainment: float, *, quota, ti) -> None:
    """The curves at every 1% of attainment: payout in TI, effective rate in TCR."""
    import numpy as np
    import pandas as pd

    from spm_sim.comp import payout_curve

    att = np.arange(math.floor(max_attainment * 100 + 1e-9) + 1) / 100
    frames = []
    for plan in plans:
        curve = payout_curve(plan, att, target_incentive=ti, quota=quota)
        frame = {
            "plan": plan.name,
            "attainment": att,
            "payout_over_ti": curve["payout"] / ti,
            "effective_rate": curve["effective_rate"] * quota / ti,  # x TCR = TI / quota
        }
        frames.append(pd.DataFrame(frame))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(pd.concat(frames, ignore_index=True), path)
    print(f"Table: {path.resolve()}")


def _format_table(table) -> str:
    """The headline frame as aligned plain text: labels left, values right."""
    header = ["", *[str(c) for c in table.columns]]
    rows = [
        [str(i), *[str(v) for v in row]]
        for i, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    lines = []
    for k, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _simulate_all(scenarios: Sequence[Scenario], *, workers: int, progress: bool) -> list:
    from spm_sim.simulate import simulate

    return [simulate(s, workers=workers, progress=progress) for s in scenarios]


def _write_outputs(results, folder: Path, report_name: str, title: str) -> tuple[Path, list[Path]]:
    from spm_sim.report import write_report, write_summaries

    report = write_report(results, folder / report_name, title=title)
    tables = write_summaries(results, folder)
    return report.resolve(), [p.resolve() for p in tables]


def _print_paths(report: Path, tables: Sequence[Path]) -> None:
    print(f"Report: {report}")
    print("Tables:")
    for path in tables:
        print(f"  {path}")


def _progress(args) -> bool:
    return not args.quiet and sys.stdout.isatty()


def _cmd_run(args) -> int:
    from spm_sim.report import headline
    from spm_sim.scenario import load_scenario

    scenarios = []
    for path in args.scenarios:
        s = load_scenario(path)
        changes = {}
        if args.trials is not None:
            changes["trials"] = args.trials
        if args.seed is not None:
            changes["seed"] = args.seed
        scenarios.append(s.replace(**changes) if changes else s)
    out = args.out if args.out is not None else Path("reports") / slugify(scenarios[0].name)
    start = time.perf_counter()
    results = _simulate_all(scenarios, workers=args.workers, progress=_progress(args))
    title = "Scenario report: " + " vs ".join(s.name for s in scenarios)
    report, tables = _write_outputs(results, out, "report.html", title)
    if not args.quiet:
        print(_format_table(headline(results)))
        print()
        trials = ", ".join(sorted({f"{r.n_trials:,}" for r in results}))
        print(
            f"{len(results)} scenario(s), {trials} trials each, "
            f"in {time.perf_counter() - start:.1f} s."
        )
    _print_paths(report, tables)
    return 0


def _cmd_demo(args) -> int:
    from spm_sim.report import headline
    from spm_sim.scenario import SAMPLE_SCENARIOS, load_scenario

    folder = SAMPLE_SCENARIOS
    paths = [folder / name for name in DEMO_SCENARIOS]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise SpmSimError(
            f"the demo scenarios are not here: {', '.join(str(p) for p in missing)}. "
            "The demo needs the source repository's data/ folder (data/scenarios, data/plans, "
            "data/sample); run it from a checkout, or use 'spm-sim run SCENARIO.yaml' with your "
            "own files."
        )
    start = time.perf_counter()
    scenarios = [load_scenario(p).replace(trials=args.trials) for p in paths]
    results = _simulate_all(scenarios, workers=args.workers, progress=_progress(args))
    report, tables = _write_outputs(
        results, args.out, "demo.html", "spm_sim demo: " + " vs ".join(s.name for s in scenarios)
    )
    elapsed = time.perf_counter() - start
    if not args.quiet:
        print(_format_table(headline(results)))
        print()
    print(f"Demo: {len(results)} scenarios x {args.trials:,} trials in {elapsed:.1f} s.")
    _print_paths(report, tables)
    return 0


#: The function that runs each sub-command.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _cmd_run,
    "demo": _cmd_demo,
    "check": _cmd_check,
    "curve": _cmd_curve,
    "payouts": cmd_payouts,
    "backtest": cmd_backtest,
    "align": cmd_align,
    "quotas": cmd_quotas,
    "fit": cmd_fit,
    "capacity": cmd_capacity,
    "headcount": cmd_headcount,
}


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """Stop before any work when an output would overwrite an input of the command."""
    if not any(getattr(args, name, None) for name in OUTPUTS):
        return  # nothing written: no need to know where the sample book is
    sample = None
    if getattr(args, "book", None) == "sample":
        from spm_sim.book import SAMPLE_DIR

        sample = SAMPLE_DIR
    problems = outputs_over_inputs(args, sample)
    if problems:
        raise SpmSimError("; ".join(problems))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Plausibility warnings as one ``spm-sim: warning:`` line each; others as Python's."""
    if issubclass(category, PlausibilityWarning):
        print(f"spm-sim: warning: {message} (--strict makes this an error)", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``spm-sim`` with ``argv`` (default: the command line); return the exit status.

    Examples
    --------
    >>> args = build_parser().parse_args(["run", "a.yaml", "b.yaml", "--trials", "500"])
    >>> args.scenarios, args.trials, args.seed
    (['a.yaml', 'b.yaml'], 500, None)
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(), strict_checks(args.strict):
            warnings.simplefilter("default", PlausibilityWarning)  # each message once
            warnings.showwarning = _show_warning
            _refuse_overwriting_inputs(args)
            return _COMMANDS[args.command](args)
    except (SpmSimError, OSError) as exc:
        # Bad input is the user's to fix: one message, no traceback. OSError covers
        # a missing or unreadable file and an output folder that cannot be written.
        message = str(exc).strip() or type(exc).__name__
        print(f"spm-sim: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spm-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
