"""The ``spm-sim`` command: run scenarios and write reports from a shell.

::

    spm-sim run data/scenarios/baseline.yaml data/scenarios/accelerated.yaml --seed 7
    spm-sim run data/scenarios/baseline.yaml --precision 1% --precision-figure incentive_cost.p90
    spm-sim report reports/baseline-2026 --out again --title "Plan review"
    spm-sim demo --out reports
    spm-sim check data/sample
    spm-sim curve data/plans/baseline.yaml data/plans/accelerated.yaml --out curves.png
    spm-sim align data/sample/accounts.csv --territories 80 --out align.csv
    spm-sim quotas data/scenarios/baseline.yaml --method potential --out quotas.csv
    spm-sim fit --plan-year 2026 --out fit
    spm-sim capacity data/capacity/inbound.yaml --replications 10 --out capacity
    spm-sim headcount data/capacity/inbound.yaml --target "within=1h,share=0.9"
    spm-sim init my-plan        # a starter book, plan and scenario for your own data

Every error a user can cause (a bad scenario, plan or book file, a missing file, an
option out of range, an output place that cannot be written, a full disk) is printed
as one ``spm-sim: error: ...`` message on stderr with exit status 2 and no traceback.
A reader of standard output that goes away (``spm-sim ... | head``) ends the command
quietly, with the status 141 of a command ended by SIGPIPE.
Output places are checked before any work; a command that writes a folder locks it,
writes its files whole (temporary file and rename) and ends with ``manifest.json``;
a folder chosen by default never replaces an earlier run (docs/reliability.md).
Standard output carries only the summary and the paths written; notes about where the
output goes, warnings and the progress bars go to stderr (the bars only when stderr is
a terminal, so a log file never fills with them, and not with ``--quiet``). Tables
fit the terminal's width (:mod:`spm_sim.cli.table`).

This module builds the parser, checks every output place and runs the command the
line names; ``check`` is here, each other command lives in the module of its group.
``run`` and ``demo`` (:mod:`spm_sim.cli.run`) save each scenario's result in the run
folder (``results/1-<name>/``: Parquet and JSON,
:meth:`spm_sim.simulate.SimulationResult.save`; ``--no-save`` leaves them out), and
``spm-sim report`` (:mod:`spm_sim.cli.results`) rebuilds the report and the tables
from them without running again.

Start-up stays fast: building the parser (and ``spm-sim --help``) needs only argparse
and the small modules of :mod:`spm_sim.cli`; each command imports the library, and
matplotlib only when it writes a figure, inside its own function
(``tests/test_startup.py``, ``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from spm_sim._files import now
from spm_sim._format import currency_symbol
from spm_sim._provenance import package_version
from spm_sim.errors import PlausibilityWarning, SpmSimError, strict_checks

from .actuals import add_backtest_parser, add_payouts_parser, cmd_backtest, cmd_payouts
from .capacity import add_capacity_parser, add_headcount_parser, cmd_capacity, cmd_headcount
from .crm import add_import_parser, cmd_import
from .curve import add_curve_parser, cmd_curve
from .fit import add_fit_parser, cmd_fit
from .init import add_init_parser, cmd_init
from .places import (
    FILE,
    FOLDER,
    OUTPUTS,
    add_force,
    existing_outputs,
    outputs_over_inputs,
    place_problem,
)
from .quota import add_quotas_parser, cmd_quotas, quota_outputs
from .results import add_report_parser, cmd_report
from .run import (
    DEMO_SCENARIOS,
    add_demo_parser,
    add_run_parser,
    cmd_demo,
    cmd_run,
    earlier_demo,
    simulation_options,
)
from .sweep import add_calibrate_parser, add_sweep_parser, cmd_calibrate, cmd_sweep
from .territory import add_align_parser, align_outputs, cmd_align
from .track import add_track_parser, cmd_track

__all__ = ["main", "build_parser", "DEMO_SCENARIOS"]


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
    common = simulation_options()
    add_run_parser(sub, common)
    add_demo_parser(sub, common)
    add_report_parser(sub)
    _add_check_parser(sub)
    add_curve_parser(sub)
    add_payouts_parser(sub)
    add_backtest_parser(sub)
    add_align_parser(sub)
    add_quotas_parser(sub)
    add_fit_parser(sub)
    add_capacity_parser(sub)
    add_headcount_parser(sub)
    add_init_parser(sub)
    add_import_parser(sub)
    add_track_parser(sub)
    add_sweep_parser(sub)
    add_calibrate_parser(sub)
    for name, command in sub.choices.items():
        command.add_argument(
            "--strict",
            action="store_true",
            help="treat every plausibility warning (a deal before its rep's hire date, an "
            "amount far outside the book's range, a cost of sales over 50%%) as an error",
        )
        if name in PLACES and "--force" not in command._option_string_actions:
            add_force(command)  # payouts and backtest define their own
    return parser


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


# --- the commands: each imports what it needs when it runs -----------------------------


def _cmd_check(args) -> int:
    from spm_sim.book import load_book  # numpy, pandas, pydantic and yaml; nothing heavier

    book = load_book(args.book)
    cur = book.currency
    print(f"Book '{book.name}' ({cur}) at {args.book}: valid.")
    tables = {
        "reps": book.reps,
        "accounts": book.accounts,
        "bookings": book.bookings,
        "pipeline": book.pipeline,
    }
    if len(book.stage_history):
        tables["stage_history"] = book.stage_history
    if book.units is not None:
        tables["units"] = book.units
    for name, frame in tables.items():
        print(f"  {name:<13} {len(frame):>8,} rows")
    if len(book.pipeline) and (book.pipeline["status"] != "open").any():
        counts = book.pipeline["status"].value_counts()
        parts = [f"{int(counts.get(s, 0)):,} {s}" for s in ("open", "won", "lost")]
        print(f"  opportunities: {', '.join(parts)}")
    if len(book.bookings):
        b = book.bookings
        print(
            f"  bookings from {b['date'].min().date()} to {b['date'].max().date()}, "
            f"total {_whole_money(b['amount'].sum(), cur)}"
        )
        years = b.groupby(b["date"].dt.year)["amount"].agg(["sum", "size"])
        amounts = [_whole_money(total, cur) for total in years["sum"]]
        wide = max(len(a) for a in amounts)
        for (year, row), text in zip(years.iterrows(), amounts, strict=True):
            print(f"    {year}: {text:>{wide}} in {int(row['size']):,} deals")
    if book.snapshot_date is None and book.bookings.empty:
        print("  reps employed: not dated (no snapshot_date in book.yaml and no bookings)")
        return 0
    current = book.current_reps()
    on = book.snapshot_date.date() if book.snapshot_date is not None else "the last booking date"
    print(f"  reps employed on {on}: {len(current)} in {current['region'].nunique()} regions")
    return 0


def _whole_money(amount: float, currency: str) -> str:
    """An exact amount to the unit with its currency: ``$341,815,084``, ``CHF 1,200``."""
    return f"{currency_symbol(currency)}{float(amount):,.0f}"


#: The function that runs each sub-command.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "demo": cmd_demo,
    "report": cmd_report,
    "check": _cmd_check,
    "curve": cmd_curve,
    "payouts": cmd_payouts,
    "backtest": cmd_backtest,
    "align": cmd_align,
    "quotas": cmd_quotas,
    "fit": cmd_fit,
    "capacity": cmd_capacity,
    "headcount": cmd_headcount,
    "init": cmd_init,
    "import": cmd_import,
    "track": cmd_track,
    "sweep": cmd_sweep,
    "calibrate": cmd_calibrate,
}


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """Stop before any work when an output would overwrite an input of the command.

    Every file the command line makes the command write (side files included:
    :func:`_named_outputs`) against every file or folder it reads, those its
    scenario files name included (:func:`~spm_sim.cli.places.command_inputs`).
    ``--force`` does not lift this.
    """
    if not any(getattr(args, name, None) for name in OUTPUTS):
        return  # nothing written: no need to know where the sample book is
    sample = None
    if getattr(args, "book", None) == "sample":
        from spm_sim.book import SAMPLE_DIR

        sample = SAMPLE_DIR
    outputs = [(flag, path) for flag, path, _kind in _named_outputs(args)]
    problems = outputs_over_inputs(args, sample, outputs)
    if problems:
        raise SpmSimError("; ".join(problems))


#: What each command's output options name: a folder to write into or a file.
PLACES: dict[str, dict[str, str]] = {
    "run": {"out": FOLDER},
    "demo": {"out": FOLDER},
    "report": {"out": FOLDER},
    "fit": {"out": FOLDER},
    "capacity": {"out": FOLDER},
    "headcount": {"out": FOLDER},
    "curve": {"out": FILE, "csv": FILE},
    "align": {"out": FILE, "figure": FILE},
    "quotas": {"out": FILE, "figure": FILE},
    "payouts": {"out": FILE},
    "backtest": {"out": FILE},
    "track": {"out": FOLDER},
    "sweep": {"out": FOLDER},
    "calibrate": {"out": FOLDER},
}


def _named_outputs(args: argparse.Namespace) -> list[tuple[str, Path, str]]:
    """Every output place the command line names, with the files written beside them.

    ``(flag, path, kind)``; a file a command writes next to a named one (the per-rep
    table of ``quotas``, the balance chart of ``align``) is listed under its flag.
    """
    places: list[tuple[str, Path, str]] = []
    for name, kind in PLACES.get(args.command, {}).items():
        value = getattr(args, name, None)
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        places.append((flag, Path(value), kind))
    if args.command == "quotas":
        places = [(flag, path, FILE) for flag, path in quota_outputs(args)]
    elif args.command == "align":
        places = [(flag, path, FILE) for flag, path in align_outputs(args)]
    return places


def _check_output_places(args: argparse.Namespace) -> None:
    """Stop before any work when an output place cannot be written as what it names.

    Each output the command line names must be a folder that exists or can be
    created (no file in its way) or a file whose folder can be, in a place this
    process can write (tried); two options must not name the same file; and an
    earlier output there is refused unless ``--force`` (the demo replaces its own
    earlier demo).
    """
    problems: list[str] = []
    seen: dict[Path, str] = {}
    places = _named_outputs(args)
    for flag, path, kind in places:
        problem = place_problem(path, kind)
        if problem:
            problems.append(f"{flag} {path}: {problem}")
        where = path.expanduser().resolve()
        if where in seen and seen[where] != f"{flag} {path}":
            problems.append(f"{flag} {path}: is the same file as {seen[where]}; give another name")
        seen.setdefault(where, f"{flag} {path}")
    if not problems and args.command not in ("payouts", "backtest"):  # they check their own
        if args.command == "demo":
            places = [p for p in places if not earlier_demo(p[1])]
        problems = existing_outputs(args, places)
    if problems:
        raise SpmSimError("; ".join(problems))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Plausibility warnings as one ``spm-sim: warning:`` line each; others as Python's."""
    if issubclass(category, PlausibilityWarning):
        print(f"spm-sim: warning: {message} (--strict makes this an error)", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _os_message(exc: OSError) -> str:
    """An operating-system error as one line naming the file (a WriteError says all)."""
    if exc.filename is not None and exc.strerror and type(exc).__str__ is OSError.__str__:
        text = f"{exc.filename}: {exc.strerror}"
        if exc.filename2 is not None:
            text += f" (with {exc.filename2})"
    else:
        text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``spm-sim`` with ``argv`` (default: the command line); return the exit status.

    Examples
    --------
    >>> args = build_parser().parse_args(["run", "a.yaml", "b.yaml", "--trials", "500"])
    >>> args.scenarios, args.trials, args.seed
    (['a.yaml', 'b.yaml'], 500, None)
    """
    started = now()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["spm-sim", *argv]  # for the manifest of a run folder
    args.started = started
    try:
        with warnings.catch_warnings(), strict_checks(args.strict):
            warnings.simplefilter("default", PlausibilityWarning)  # each message once
            warnings.showwarning = _show_warning
            _refuse_overwriting_inputs(args)
            _check_output_places(args)
            return _COMMANDS[args.command](args)
    except SpmSimError as exc:
        # Bad input is the user's to fix: one message, no traceback.
        message = str(exc).strip() or type(exc).__name__
        print(f"spm-sim: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of standard output went away (``spm-sim ... | head``): nothing is
        # left to tell it, and the files written are whole already. The status is the
        # one of a command ended by SIGPIPE, so ``set -o pipefail`` still sees the cut.
        _quiet_stdout()
        return 141
    except OSError as exc:
        # A missing or unreadable file, a place that cannot be written, a full disk:
        # one line naming the file (nothing partial is left: spm_sim._files).
        print(f"spm-sim: error: {_os_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spm-sim: interrupted", file=sys.stderr)
        return 130


def _quiet_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's final
    flush of a closed pipe raises no second ``BrokenPipeError`` at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (tests)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
