"""``spm-sim report``, and how a run's results are shown and written (a part of
:mod:`spm_sim.cli`).

::

    spm-sim report reports/baseline-2026 --out again --title "Plan review"

``report`` reads results saved by ``spm-sim run`` or ``spm-sim demo`` (a run
folder's ``results/``, or one saved result's folder:
:func:`spm_sim.simulate.load_result`) and writes the HTML report and the CSV tables
again without running the scenarios again: the same numbers as the run. Where the
run split each difference into the reps' response and the mechanics, the runs without
the response are made again on the same draws (the same numbers, if the book has not
changed). The output folder may not hold or lie inside a result it reads.

The pieces ``run``, ``demo`` and ``report`` share live here too: the results
flagged before anything is written (:func:`flag_scenario_results`), the report and
tables written (:func:`write_outputs`), the console's headline table with its
intervals and the summary in words (:func:`print_results`) and the paths written
(:func:`print_paths`).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._format import slugify
from spm_sim._provenance import package_version
from spm_sim.errors import SpmSimError

from .places import note, output_folder
from .table import frame_table, plural, terminal_width, wrap_lines

if TYPE_CHECKING:
    from spm_sim.scenario import Scenario

__all__ = [
    "add_report_parser",
    "cmd_report",
    "flag_scenario_results",
    "write_outputs",
    "print_results",
    "print_paths",
    "RESULTS",
]

#: The subfolder of a run folder that holds the saved results, one folder each.
RESULTS = "results"


def add_report_parser(sub: argparse._SubParsersAction) -> None:
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


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``spm-sim report``: the saved results into the report and tables again."""
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
        flag_scenario_results(results, [r.scenario for r in results])
        title = args.title or "Scenario report: " + " vs ".join(r.scenario.name for r in results)
        responses, estimate = _saved_splits(results)
        checks = model_warnings(results, {})
        notes = response_note(estimate, [r.scenario for r in results])
        report, tables = write_outputs(
            results, run.path, "report.html", title, responses, checks, notes
        )
    if not args.quiet:
        print_results(results, {}, responses, checks)
        print(
            f"{plural(len(results), 'saved result')} reported in "
            f"{time.perf_counter() - start:.1f} s, without running the scenarios again"
            + (
                " (the runs without the reps' response that split each difference were made "
                "again on the same draws)."
                if responses
                else "."
            )
        )
    print_paths(report, tables, run.path)
    return 0


def _saved_splits(results) -> tuple[list, object | None]:
    """The splits of saved results into the reps' response and the mechanics, and the
    book's response estimate when the run used it (``--behaviour auto`` or ``book``: a
    scenario's behaviour equal to the estimate), so the range is shown as the run
    showed it. A book that cannot be read again leaves the split out, said on stderr."""
    from spm_sim.book import load_book_ref
    from spm_sim.response import estimate_behaviour

    base = results[0].scenario
    if all(r.scenario.behaviour is None for r in results):
        return [], None
    try:
        book = load_book_ref(base.book)
        found = estimate_behaviour(book, reference_plan=base.plan)
        used = any(r.scenario.behaviour == found.behaviour for r in results)
        ranges = found.behaviour_range() if used else None
        return response_splits(results, {base.book: book}, ranges), found if used else None
    except (SpmSimError, OSError) as e:
        note(
            f"the split of each difference into the reps' response and the mechanics is left "
            f"out: it runs the scenarios again without the response, and {e}"
        )
        return [], None


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


def response_splits(results, books: dict, behaviour_range=None) -> list:
    """Each alternative's difference from the baseline split into the reps' response
    and the mechanical part (:func:`spm_sim.simulate.response_decomposition`), for the
    alternatives where either run has a behaviour block; the runs already made are
    reused, only the runs without behaviour (and at the range's ends) are added."""
    from spm_sim.simulate import response_decomposition

    base = results[0]
    splits = []
    for r in results[1:]:
        if base.scenario.behaviour is None and r.scenario.behaviour is None:
            continue
        book = books.get(r.scenario.book) if r.scenario.book == base.scenario.book else None
        splits.append(response_decomposition(base, r, book=book, behaviour_range=behaviour_range))
    return splits


#: the month loop's parameters the report names, in this order, with their labels
_LOOP = (
    ("effort_elasticity", "effort elasticity", "{:.2f}"),
    ("min_effort", "effort with nothing more to earn", "{:.2f}"),
    ("max_effort", "most effort", "{:.2f}"),
    ("pull_forward", "deals pulled into a period end", "{:.0%}"),
    ("push_out", "deals pushed out of December", "{:.0%}"),
    ("timing_cost", "cost of moving a deal (x TCR)", "{:.2f}"),
)


def response_note(estimate, scenarios) -> list[str]:
    """The report's note on the reps' response used (none without an estimate): which
    scenarios respond as estimated, and each month-loop parameter with its 95% range
    and where it came from (the book, the literature's prior, or both)."""
    if estimate is None:
        return []
    table = estimate.table().set_index("parameter")
    parts = []
    for key, label, fmt in _LOOP:
        if key not in table.index:
            continue
        row = table.loc[key]
        parts.append(
            f"{label} {fmt.format(row['estimate'])} ({row['source']}; 95% "
            f"{fmt.format(row['low'])} to {fmt.format(row['high'])})"
        )
    who = ", ".join(s.name for s in scenarios if s.behaviour == estimate.behaviour)
    plan = estimate.behaviour.reference_plan
    against = f" read against {plan.name!r}" if plan is not None else ""
    return [
        f"Reps' response to the plan: {who} respond as estimated from the book{against} "
        "(spm-sim fit lists every effect with its standard error): " + "; ".join(parts) + ". "
        "'prior' means the book could not identify the effect and the literature's range "
        "was used; the summary gives the response's part of each difference at both ends "
        "of these ranges. --behaviour off compares the plans without a response."
    ]


def model_warnings(results, books: dict) -> list[str]:
    """The model's failed back-test checks for the baseline's book and plan year
    (:func:`spm_sim.fit_report.rolling_backtest`, 1,000 simulated years per past
    year, seed 0, as 'spm-sim fit' runs it); none for a book the model cannot
    back-test (under two years of history) or that cannot be read again."""
    from spm_sim.book import load_book_ref
    from spm_sim.errors import DataError, SpmSimError
    from spm_sim.fit_report import rolling_backtest

    base = results[0].scenario
    book = books.get(base.book)
    if book is None:
        try:  # a saved result's book, read again from its folder
            book = load_book_ref(base.book)
        except (SpmSimError, OSError):
            return []
    for last_year in (base.plan_year - 1, None):  # the year before the plan, else the latest
        try:
            return rolling_backtest(book, last_year=last_year).warnings()
        except DataError:
            continue
    return []


def print_results(results, books: dict, responses=None, checks=()) -> None:
    """The headline table and how to read it, then the summary in words (stdout);
    ``responses``: the alternatives' splits (:func:`response_splits`); ``checks``:
    the model's failed back-test checks (:func:`model_warnings`)."""
    width = terminal_width()
    text, paired = _headline_text(results, width)
    print(text)
    print()
    print(wrap_lines(_reading_note(results, paired), width, hang=""))
    print()
    print(_summary_text(results, books, width, responses, checks))
    print()


def _headline_text(results, width: int) -> tuple[str, dict[str, bool]]:
    """The console table (each figure with its 95% interval: beside it in brackets, or
    under it when the row is too wide for the terminal) and which scenarios are
    compared with the baseline trial by trial (``paired``)."""
    from spm_sim.report import headline

    table = headline(results)
    return frame_table(table, width=width, stack=True), dict(table.attrs.get("paired", {}))


def _reading_note(results, paired: dict[str, bool]) -> str:
    """How to read the table's intervals, said once; then each alternative compared
    unpaired and why (:func:`spm_sim.report.summary.unshared_draws`).

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
    drawn = [
        r.scenario.name
        for r in results
        if getattr(r.scenario, "alignment", None) is not None
        and "book"
        in (r.scenario.alignment.potential_elasticity, r.scenario.alignment.travel_elasticity)
    ]
    if drawn:
        parts.append(
            f"For {', '.join(drawn)}, each simulated year also draws the territory "
            "elasticities of its alignment within their range, so its spread (P10 to P90) "
            "holds that uncertainty too; the intervals of its means stay Monte Carlo error."
        )
    if len(results) > 1:
        parts.append(f"In a 'vs' column the interval is that of {of}.")
        from spm_sim.report.summary import unshared_draws

        for r in results[1:]:
            if not paired.get(r.scenario.name, False):
                why = unshared_draws(r, results[0])
                parts.append(f"{r.scenario.name} is compared unpaired ({why}).")
    return " ".join(parts)


def _summary_text(results, books: dict, width: int, responses=None, checks=()) -> str:
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
    if checks:
        lines += [wrap_lines(f"Model check: {w}", width, hang="") for w in checks]
        lines.append(
            wrap_lines(
                "Model check: read the chances and bands above with these misses in mind "
                "('spm-sim fit' shows the back-tests).",
                width,
                hang="",
            )
        )
    sentences = scenario_sentences(results, figures, currency, responses=responses)
    if sentences:
        lines.append("")
        lines += [wrap_lines(f"- {text}", width) for text in sentences]
    return "\n".join(lines)


def write_outputs(
    results, folder: Path, report_name: str, title: str, responses=None, checks=(), notes=()
) -> tuple[Path, list[Path]]:
    """Write the HTML report ``report_name`` and the CSV tables into ``folder``; return
    their absolute paths (the report, then the tables). ``responses``: the
    alternatives' splits into response and mechanics (:func:`response_splits`)."""
    from spm_sim.report import write_report, write_summaries

    tables = write_summaries(results, folder, responses=responses)
    report = write_report(
        results,
        folder / report_name,
        title=title,
        notes=list(notes) or None,
        responses=responses,
        model_warnings=checks,
    )
    return report.resolve(), [p.resolve() for p in tables]


def print_paths(
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


def flag_scenario_results(results, scenarios: Sequence[Scenario]) -> None:
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
