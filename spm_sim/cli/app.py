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

``run`` and ``demo`` save each scenario's result in the run folder
(``results/1-<name>/``: Parquet and JSON, :meth:`spm_sim.simulate.SimulationResult.save`;
``--no-save`` leaves them out), and ``spm-sim report`` rebuilds the report and the
tables from them without running again.

Start-up stays fast: building the parser (and ``spm-sim --help``) needs only argparse
and the small modules of :mod:`spm_sim.cli`; each command imports the library, and
matplotlib only when it writes a figure, inside its own function
(``tests/test_startup.py``, ``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import now
from spm_sim._format import currency_symbol, slugify
from spm_sim._provenance import package_version
from spm_sim.errors import PlausibilityWarning, SpmSimError, strict_checks

from .actuals import add_backtest_parser, add_payouts_parser, cmd_backtest, cmd_payouts
from .args import (
    add_executor,
    add_seed,
    add_trials,
    add_workers,
    count,
    executor_options,
    real,
    show_progress,
)
from .capacity import add_capacity_parser, add_headcount_parser, cmd_capacity, cmd_headcount
from .crm import add_import_parser, cmd_import
from .curve import add_curve_parser, cmd_curve
from .fit import add_fit_parser, cmd_fit
from .init import add_init_parser, cmd_init
from .places import (
    FILE,
    FOLDER,
    OUTPUTS,
    Input,
    add_force,
    check_memory,
    existing_outputs,
    note,
    output_folder,
    outputs_over_inputs,
    overwritten_inputs,
    place_problem,
    scenario_inputs,
)
from .quota import add_quotas_parser, cmd_quotas, quota_outputs
from .sweep import add_calibrate_parser, add_sweep_parser, cmd_calibrate, cmd_sweep
from .table import frame_table, plural, terminal_width, wrap_lines
from .territory import add_align_parser, align_outputs, cmd_align
from .track import add_track_parser, cmd_track

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
#: Bytes of memory per trial, rep and scenario a run keeps (about 60 to 100 measured
#: on the sample scenarios, with room for plans of many components).
RUN_BYTES = 256
#: The subfolder of a run folder that holds the saved results, one folder each.
RESULTS = "results"
#: ``--max-trials`` of a run to a precision, unless memory allows fewer.
MAX_PRECISION_TRIALS = 100_000
#: The first batch of a run to a precision without ``--trials``.
PRECISION_START = 1000


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
    _add_report_parser(sub)
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


def _simulation_options() -> argparse.ArgumentParser:
    """``--workers``, ``--executor``, ``--scheduler``, ``--no-save`` and ``--quiet``,
    shared by ``run`` and ``demo`` (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    add_workers(common, "the simulation")
    add_executor(common, "the simulation")
    common.add_argument(
        "--no-save",
        dest="save",
        action="store_false",
        help=f"do not save the results in the run folder ({RESULTS}/; by default each "
        "scenario's result is saved there, Parquet and JSON, so 'spm-sim report' can rebuild "
        "the report without running again)",
    )
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
        help="output folder; an earlier run in it is replaced (said on stderr). Default: "
        "reports/<first scenario's name>, or reports/<name>-2, -3... when that holds an "
        "earlier run, which is never replaced",
    )
    run.add_argument(
        "--precision",
        type=real(0.0, 1.0, low_open=True, percent=True),
        metavar="SHARE",
        help="run batches of trials, from --trials (default "
        f"{PRECISION_START:,}), until the 95%% interval of --precision-figure is within "
        "this share of its estimate in every scenario (e.g. 1%%), or --max-trials; all "
        "scenarios get the same trials, so they stay paired",
    )
    run.add_argument(
        "--precision-figure",
        default="incentive_cost.mean",
        metavar="FIGURE",
        help="the figure --precision is about, as named in the summary: METRIC.STAT with "
        "STAT mean, median or a percentile (incentive_cost.mean, the default; "
        "incentive_cost.p90, hit_company_target, share_reps_at_quota, ccos.p50)",
    )
    run.add_argument(
        "--max-trials",
        type=count(1, 10_000_000),
        metavar="N",
        help="the most trials --precision runs per scenario (default "
        f"{MAX_PRECISION_TRIALS:,}, or fewer when memory allows fewer)",
    )


def _add_report_parser(sub) -> None:
    """Register ``spm-sim report``."""
    rep = sub.add_parser(
        "report",
        help="rebuild the report and tables from saved results, without running again",
        description="Read results saved by 'spm-sim run' or 'spm-sim demo' and write the HTML "
        "report and the CSV tables again, with no new trials: the same numbers as the run. "
        "The first result is the baseline the others are compared with; results that share "
        "their seed, book and trials are compared trial by trial, as in the run.",
    )
    rep.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULT",
        help="a run folder (every result saved in its results/ folder, in the run's order) "
        "or the folder of one saved result",
    )
    rep.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder. Default: reports/<first scenario's name>, or reports/<name>-2, "
        "-3... when that holds an earlier run, which is never replaced",
    )
    rep.add_argument(
        "--title",
        metavar="TEXT",
        help="the report's title (default: 'Scenario report: A vs B', as spm-sim run)",
    )
    rep.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only the paths written (no table)",
    )


def _add_demo_parser(sub, common: argparse.ArgumentParser) -> None:
    """Register ``spm-sim demo``."""
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help=f"run the {len(DEMO_SCENARIOS)} sample scenarios (baseline, accelerated, "
        "multi-measure, people and behaviour) and write a report",
        description="Run the sample scenarios (data/scenarios: baseline, accelerated, "
        "multi_measure, people_and_behaviour) on the sample book and write DIR/demo.html with "
        "CSV tables and manifest.json beside it.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder; an earlier demo in it is replaced (said on stderr), as 'make "
        "demo' does with --out reports. Default: reports, or reports-2, -3... when reports "
        "holds an earlier run (an earlier demo included), which is never replaced",
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


def _format_table(table, width: int | None = None) -> str:
    """The headline frame as plain text within the terminal's width: labels left,
    values right; headings wrapped and columns split into blocks when it is too wide
    (:func:`spm_sim.cli.table.frame_table`)."""
    return frame_table(table, width=width)


def _headline_text(results, width: int) -> tuple[str, dict[str, bool]]:
    """The console table (each figure with its 95% interval: beside it in brackets, or
    under it when the row is too wide for the terminal) and which scenarios are
    compared with the baseline trial by trial (``paired``)."""
    from spm_sim.report import headline

    table = headline(results)
    return frame_table(table, width=width, stack=True), dict(table.attrs.get("paired", {}))


def _reading_note(results, paired: dict[str, bool]) -> str:
    """How to read the table's intervals, said once.

    ``paired``: by scenario name, whether its differences are paired trial by trial
    (common random numbers), as :func:`spm_sim.report.headline` records them.
    """
    trials = " / ".join(sorted({f"{r.n_trials:,}" for r in results}))
    paired_alts = [name for name in list(paired)[1:] if paired[name]]
    if len(paired_alts) == len(results) - 1:
        of = "the paired difference (the two runs compared on the same simulated years)"
    elif paired_alts:
        of = "the difference (paired where the runs share their random draws)"
    else:
        of = "the difference"
    parts = [
        f"Figures are over {trials} simulated years per scenario. Each has its 95% interval "
        "in brackets beside it, or on the line under it: the Monte Carlo error of the "
        "simulation only (how far the figure could move with more simulated years), not "
        "the uncertainty of the model's assumptions."
    ]
    if len(results) > 1:
        parts.append(f"In a 'vs' column the interval is that of {of}.")
    return " ".join(parts)


def _summary_text(results, books: dict, width: int) -> str:
    """The report's first page in words, wrapped to ``width``: what to decide, then
    one sentence per alternative against the baseline (as a list)."""
    from spm_sim.report import headline_figures, last_year
    from spm_sim.report.summary import decision_paragraph, quota_warnings, scenario_sentences

    figures = headline_figures(results)
    currency = results[0].scenario.plan.currency
    last = last_year(results[0], books.get(results[0].scenario.book))
    paragraph = decision_paragraph(results, figures, currency, last)
    lines = ["Summary: what to decide", wrap_lines(paragraph, width, hang="")]
    lines += [wrap_lines(w, width, hang="") for w in quota_warnings(results, currency)]
    sentences = scenario_sentences(results, figures, currency)
    if sentences:
        lines.append("")
        lines += [wrap_lines(f"- {text}", width) for text in sentences]
    return "\n".join(lines)


def _print_results(results, books: dict) -> None:
    """The headline table and how to read it, then the summary in words (stdout)."""
    width = terminal_width()
    text, paired = _headline_text(results, width)
    print(text)
    print()
    print(wrap_lines(_reading_note(results, paired), width, hang=""))
    print()
    print(_summary_text(results, books, width))
    print()


def _books(scenarios: Sequence[Scenario]) -> dict:
    """Each book the scenarios read, loaded once (the scenarios share it).

    A book is loaded under strict checks when a scenario reading it says
    ``strict: true``, as :func:`spm_sim.simulate.simulate` would load it.
    """
    from spm_sim.book import load_book_ref

    books: dict = {}
    for s in scenarios:
        if s.book not in books:
            strict = any(getattr(t, "strict", False) for t in scenarios if t.book == s.book)
            with strict_checks(strict):
                books[s.book] = load_book_ref(s.book)
    return books


def _refuse_output_over_inputs(out: Path, inputs: Sequence[Input], flag: str) -> None:
    """Refuse an output folder that is, or lies inside, a file or folder the run reads."""
    problems = overwritten_inputs([(flag, out, out)], inputs, reader="this run")
    if problems:
        raise SpmSimError("; ".join(problems))


def _check_run_memory(args, scenarios: Sequence[Scenario], books: dict) -> None:
    """Refuse before the run a number of trials whose results would not fit in memory."""
    trials = max(s.trials for s in scenarios)
    reps = sum(len(books[s.book].reps) for s in scenarios)
    option = "--trials" if args.trials is not None else "trials (of the scenario files)"
    if getattr(args, "precision", None) is not None:
        trials, option = args.max_trials, "--max-trials"
    check_memory(
        option,
        trials,
        unit_bytes=RUN_BYTES * reps,
        unit=f"{plural(len(scenarios), 'scenario')}, {plural(reps, 'rep')} in all, per trial",
    )


def _simulate_all(scenarios: Sequence[Scenario], books: dict, args, *, progress: bool) -> list:
    """Every scenario simulated on the executor of ``--executor``/``--workers``/
    ``--scheduler``, opened once for all of them; to ``--precision`` when it is given."""
    from spm_sim.parallel import executor_for
    from spm_sim.simulate import simulate, simulate_to_precision

    options = executor_options(args)
    with executor_for(
        options["executor"], workers=options["workers"], scheduler=options["scheduler"]
    ) as ex:
        if getattr(args, "precision", None) is None:
            return [
                simulate(s, book=books[s.book], executor=ex, progress=progress) for s in scenarios
            ]
        return simulate_to_precision(
            list(scenarios),
            args.precision_figure,
            args.precision,
            min_trials=min(args.trials or PRECISION_START, args.max_trials),
            max_trials=args.max_trials,
            book=books,
            executor=ex,
            progress=progress,
        )


def _precision_options(args, scenarios: Sequence[Scenario], books: dict) -> None:
    """Check ``--precision-figure`` and set ``--max-trials`` (default: what memory allows,
    at most :data:`MAX_PRECISION_TRIALS`) before any work."""
    if getattr(args, "precision", None) is None:
        return
    from spm_sim.simulate import parse_figure

    parse_figure(args.precision_figure)
    if args.max_trials is None:
        from . import places  # looked up when called, as check_memory does

        reps = sum(len(books[s.book].reps) for s in scenarios)
        avail = places.available_memory()
        fits = MAX_PRECISION_TRIALS
        if avail is not None:
            fits = int((0.8 * avail - 3e8) // (RUN_BYTES * max(reps, 1)))
        args.max_trials = max(min(MAX_PRECISION_TRIALS, fits), 1)


def _save_results(results, run, inputs_of: Sequence[list[tuple[str, Path]]]) -> list[Path]:
    """Save each result in the run folder's ``results/<i>-<name>`` (the order is the
    run's: the first is the baseline); results saved there by an earlier run go first."""
    import shutil

    from spm_sim._format import unique_slugs
    from spm_sim.simulate import is_saved_result

    where = run.path / RESULTS
    if where.is_dir():
        for old in where.iterdir():
            if is_saved_result(old):  # an earlier run's, replaced with the folder
                shutil.rmtree(old)
    slugs = unique_slugs([r.scenario.name for r in results])
    folders = []
    for i, (r, slug, inputs) in enumerate(zip(results, slugs, inputs_of, strict=True), start=1):
        folder = r.save(where / f"{i}-{slug}", inputs=inputs)
        for path in sorted(folder.iterdir()):
            run.add(path)
        folders.append(folder.resolve())
    return folders


def _precision_text(results, args) -> list[str]:
    """One line per scenario: the figure, its interval and the trials a precise run took."""
    if getattr(args, "precision", None) is None:
        return []
    currency = results[0].scenario.plan.currency
    return [f"Precision, {r.scenario.name}: {r.precision.describe(currency)}." for r in results]


def _flag_results(results, scenarios: Sequence[Scenario]) -> None:
    """Results outside sane ranges, flagged before anything is written (issue 15).

    Each message of :func:`spm_sim.metrics.result_warnings` is a plausibility
    warning (one ``spm-sim: warning:`` line), or the run's error under ``--strict``
    or a scenario's ``strict: true``; then nothing is written.
    """
    from spm_sim.errors import ScenarioError, implausible
    from spm_sim.metrics import result_warnings

    strict = any(s.strict for s in scenarios)
    for message in result_warnings(results):
        implausible(message, strict=strict, error=ScenarioError)


def _scenario_inputs(paths: Sequence[Path | str]) -> list[Input]:
    """What a run reads: each scenario file and the books, plans and targets it names."""
    return [i for path in paths for i in scenario_inputs(path)]


def _manifest_inputs(inputs: Sequence[Input]) -> list[tuple[str, Path]]:
    return [(i.role, i.path) for i in inputs]


def _write_outputs(results, folder: Path, report_name: str, title: str) -> tuple[Path, list[Path]]:
    from spm_sim.report import write_report, write_summaries

    tables = write_summaries(results, folder)
    report = write_report(results, folder / report_name, title=title)
    return report.resolve(), [p.resolve() for p in tables]


def _print_paths(
    report: Path, tables: Sequence[Path], folder: Path, saved: Sequence[Path] = ()
) -> None:
    """Where the run wrote: its folder (absolute, so a default ``reports/...`` under the
    current directory is found), the report, the tables, the saved results and the
    manifest."""
    print(f"Folder: {folder.resolve()}{os.sep}")
    print(f"Report: {report}")
    print("Tables:")
    for path in tables:
        print(f"  {path}")
    if saved:
        print(f"Results (spm-sim report {folder} rebuilds the report from them):")
        for path in saved:
            print(f"  {path}{os.sep}")
    print(f"Manifest: {(folder / 'manifest.json').resolve()}")


def _progress(args) -> bool:
    """Whether to show progress bars: see :func:`spm_sim.cli.args.show_progress`."""
    return show_progress(args)


def _cmd_run(args) -> int:
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
    chosen = args.out is not None
    out = args.out if chosen else Path("reports") / slugify(scenarios[0].name)
    inputs = _scenario_inputs(args.scenarios)
    _refuse_output_over_inputs(out, inputs, "--out" if chosen else "the default output")
    books = _books(scenarios)
    _precision_options(args, scenarios, books)
    _check_run_memory(args, scenarios, books)
    with output_folder(args, out, chosen=chosen, inputs=_manifest_inputs(inputs)) as run:
        start = time.perf_counter()
        results = _simulate_all(scenarios, books, args, progress=_progress(args))
        _flag_results(results, scenarios)
        title = "Scenario report: " + " vs ".join(s.name for s in scenarios)
        report, tables = _write_outputs(results, run.path, "report.html", title)
        saved = []
        if args.save:
            per_scenario = [_manifest_inputs(scenario_inputs(p)) for p in args.scenarios]
            saved = _save_results(results, run, per_scenario)
    if not args.quiet:
        _print_results(results, books)
        for line in _precision_text(results, args):
            print(wrap_lines(line, terminal_width(), hang=""))
        trials = ", ".join(sorted({f"{r.n_trials:,}" for r in results}))
        print(
            f"{plural(len(results), 'scenario')}, {trials} trials each, "
            f"in {time.perf_counter() - start:.1f} s."
        )
    for r in results:
        if r.precision is not None and not r.precision.reached:
            note(f"scenario {r.scenario.name!r}: {r.precision.describe(r.scenario.plan.currency)}")
    _print_paths(report, tables, run.path, saved)
    return 0


def _cmd_demo(args) -> int:
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
    chosen = args.out is not None
    out = args.out if chosen else Path("reports")
    inputs = _scenario_inputs(paths)
    _refuse_output_over_inputs(out, inputs, "--out" if chosen else "the default output")
    books = _books(scenarios)
    _check_run_memory(args, scenarios, books)
    # an earlier demo is replaced only where --out names it (as 'make demo' does); the
    # default folder is numbered instead, like any default, so no earlier run is lost
    replaceable = _earlier_demo if chosen else None
    with output_folder(
        args, out, chosen=chosen, inputs=_manifest_inputs(inputs), replaceable=replaceable
    ) as run:
        results = _simulate_all(scenarios, books, args, progress=_progress(args))
        _flag_results(results, scenarios)
        title = "spm_sim demo: " + " vs ".join(s.name for s in scenarios)
        report, tables = _write_outputs(results, run.path, "demo.html", title)
        saved = []
        if args.save:
            saved = _save_results(
                results, run, [_manifest_inputs(scenario_inputs(p)) for p in paths]
            )
    elapsed = time.perf_counter() - start
    if not args.quiet:
        _print_results(results, books)
    print(f"Demo: {plural(len(results), 'scenario')} x {args.trials:,} trials in {elapsed:.1f} s.")
    _print_paths(report, tables, run.path, saved)
    return 0


def _result_folders(given: Sequence[Path]) -> list[Path]:
    """The saved results ``spm-sim report`` reads: each folder given, a run folder
    standing for the results in its ``results/`` in the run's order."""
    from spm_sim.simulate import is_saved_result, load_result

    def order(path: Path) -> tuple[float, str]:
        head = path.name.split("-", 1)[0]
        return (int(head) if head.isdigit() else float("inf"), path.name)

    found: list[Path] = []
    for path in given:
        if is_saved_result(path):
            found.append(path)
            continue
        inside = path / RESULTS
        saved = (
            sorted((p for p in inside.iterdir() if is_saved_result(p)), key=order)
            if (inside.is_dir())
            else []
        )
        if saved:
            found += saved
        elif path.is_dir() and (path / "manifest.json").is_file():
            raise SpmSimError(
                f"{path}: a run folder without saved results (it was run with --no-save, or "
                f"by an spm_sim that did not save them): there is nothing in {inside} to "
                "report on. Run its scenarios again; the results are saved by default."
            )
        else:
            load_result(path)  # not a result: raises the located reason
    return found


def _refuse_output_over_results(out: Path, folders: Sequence[Path], flag: str) -> None:
    """Refuse an output folder that is, lies inside or holds a saved result being read."""
    where = out.expanduser().resolve()
    for folder in folders:
        src = folder.resolve()
        if where == src or src in where.parents or where in src.parents:
            raise SpmSimError(
                f"{flag} {out}: holds or is inside the saved result {folder} that this report "
                "reads; write the report to another folder (--force does not change this)"
            )


def _cmd_report(args) -> int:
    from spm_sim.simulate import load_result

    start = time.perf_counter()
    folders = _result_folders(args.results)
    results = [load_result(f) for f in folders]
    for folder, r in zip(folders, results, strict=True):
        if r.version != package_version():
            note(
                f"{folder}: simulated with spm_sim {r.version}, reported with "
                f"{package_version()}; the numbers are the saved ones"
            )
    chosen = args.out is not None
    out = args.out if chosen else Path("reports") / slugify(results[0].scenario.name)
    _refuse_output_over_results(out, folders, "--out" if chosen else "the default output")
    with output_folder(args, out, chosen=chosen, inputs=[("result", f) for f in folders]) as run:
        _flag_results(results, [r.scenario for r in results])
        title = args.title or "Scenario report: " + " vs ".join(r.scenario.name for r in results)
        report, tables = _write_outputs(results, run.path, "report.html", title)
    if not args.quiet:
        _print_results(results, {})
        print(
            f"{plural(len(results), 'saved result')} reported in "
            f"{time.perf_counter() - start:.1f} s, without running a trial."
        )
    _print_paths(report, tables, run.path)
    return 0


#: The function that runs each sub-command.
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _cmd_run,
    "demo": _cmd_demo,
    "report": _cmd_report,
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
            places = [p for p in places if not _earlier_demo(p[1])]
        problems = existing_outputs(args, places)
    if problems:
        raise SpmSimError("; ".join(problems))


def _earlier_demo(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier ``spm-sim demo`` only (the demo replaces it)."""
    from spm_sim._files import read_manifest

    manifest = read_manifest(folder)
    if manifest is not None:
        return manifest.get("command", [None, None])[1:2] == ["demo"]
    return (folder / "demo.html").is_file()


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
