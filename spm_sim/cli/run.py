"""``spm-sim run`` and ``spm-sim demo``: scenarios simulated into a report (a part of
:mod:`spm_sim.cli`).

::

    spm-sim run data/scenarios/baseline.yaml data/scenarios/accelerated.yaml --seed 7
    spm-sim run data/scenarios/baseline.yaml --precision 1% --precision-figure incentive_cost.p90
    spm-sim demo --out reports

Each command loads its scenarios and their books (once each), refuses before any work
an output over an input and a number of trials that would not fit in memory, runs
every scenario on one executor (``--executor``, ``--workers``, ``--scheduler``; to a
precision with ``--precision``), flags results nobody should believe, then writes the
report, the CSV tables and each scenario's saved result (``results/<i>-<name>/``:
:meth:`spm_sim.simulate.SimulationResult.save`; ``--no-save`` leaves them out) into
its run folder (:mod:`spm_sim.cli.results` shows and writes them).

Scenarios with several plan years (``years:``) run through
:func:`spm_sim.simulate.simulate_years`: each one's years are printed, then each
later scenario against the first, year by year and over the horizon, paired trial
by trial with 95% intervals, and the two tables written as CSV
(``years_summary.csv``, ``years_comparison.csv``); no HTML report or saved results
for them yet::

    spm-sim run data/scenarios/cap_and_ratchet.yaml data/scenarios/no_cap_no_ratchet.yaml
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._format import slugify
from spm_sim.errors import SpmSimError, strict_checks

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
from .places import Input, check_memory, note, output_folder, overwritten_inputs, scenario_inputs
from .results import (
    RESULTS,
    flag_scenario_results,
    model_warnings,
    print_paths,
    print_results,
    response_note,
    response_splits,
    write_outputs,
)
from .table import plural, terminal_width, wrap_lines

if TYPE_CHECKING:
    from spm_sim.scenario import Scenario

__all__ = [
    "add_run_parser",
    "add_demo_parser",
    "simulation_options",
    "cmd_run",
    "cmd_demo",
    "earlier_demo",
    "DEMO_SCENARIOS",
]

#: The scenarios ``spm-sim demo`` runs, in the source repository's data/scenarios.
DEMO_SCENARIOS = (
    "baseline.yaml",
    "accelerated.yaml",
    "multi_measure.yaml",
    "people_and_behaviour.yaml",
)
#: Trials per scenario of ``spm-sim demo`` without ``--trials``.
DEMO_TRIALS = 2000
#: Bytes of memory per trial, rep and scenario a run keeps (about 60 to 100 measured
#: on the sample scenarios, with room for plans of many components).
RUN_BYTES = 256
#: ``--max-trials`` of a run to a precision, unless memory allows fewer.
MAX_PRECISION_TRIALS = 100_000
#: The first batch of a run to a precision without ``--trials``.
PRECISION_START = 1000


def simulation_options() -> argparse.ArgumentParser:
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
    common.add_argument(
        "--behaviour",
        choices=BEHAVIOUR_CHOICES,
        default="auto",
        help="the reps' response to the plan (effort and deal timing). auto (the default): "
        "when the run compares scenarios whose plans or quotas differ, every scenario without "
        "a 'behaviour' block responds as estimated from its book ('spm-sim fit' shows the "
        "estimates; effects the book cannot identify take their literature priors), relative "
        "to the first scenario's plan; a lone scenario runs as written. book: that estimate "
        "for every scenario without a block. off: no scenario responds (blocks ignored). "
        "as-written: only the scenario files' own blocks",
    )
    return common


def _outputs(results, scenarios, books: dict, estimate, report: Path, title: str):
    """The report and tables of a run or demo, with each difference split into the
    reps' response and the mechanics and the model's failed back-test checks; returns
    ``(report, tables, responses, checks)`` (the last two for the console summary)."""
    responses = response_splits(results, books, _range(estimate))
    checks = model_warnings(results, books)
    written, tables = write_outputs(
        results,
        report.parent,
        report.name,
        title,
        responses,
        checks,
        response_note(estimate, scenarios),
    )
    return written, tables, responses, checks


def _range(estimate) -> tuple | None:
    """The response sizes' low and high ends of a book's estimate (None without one)."""
    return estimate.behaviour_range() if estimate is not None else None


#: ``--behaviour``'s choices (see :func:`with_behaviour`)
BEHAVIOUR_CHOICES = ("auto", "book", "off", "as-written")


def with_behaviour(
    scenarios: Sequence[Scenario], books: dict, choice: str
) -> tuple[list[Scenario], object | None]:
    """The scenarios with ``--behaviour`` applied, and the book's estimate used (or None).

    ``auto`` estimates the reps' response from the book
    (:func:`spm_sim.response.estimate_behaviour`, the first scenario's plan as the plan the
    history was earned under) for the scenarios without a ``behaviour`` block, when the
    run compares plans or quotas; ``book`` does so whatever the run; ``off`` removes every
    block; ``as-written`` keeps the files as they are. Scenarios on another book than the
    first's keep theirs (one estimate per run).
    """
    scenarios = list(scenarios)
    if choice == "as-written" or not scenarios:
        return scenarios, None
    if choice == "off":
        return [
            s.replace(behaviour=None) if s.behaviour is not None else s for s in scenarios
        ], None
    base = scenarios[0]
    compares = any(s.plan != base.plan or s.quota != base.quota for s in scenarios[1:])
    bare = [i for i, s in enumerate(scenarios) if s.behaviour is None and s.book == base.book]
    if not bare or (choice == "auto" and not compares):
        return scenarios, None
    from spm_sim.response import estimate_behaviour

    estimate = estimate_behaviour(books[base.book], reference_plan=base.plan)
    for i in bare:
        scenarios[i] = scenarios[i].replace(behaviour=estimate.behaviour)
    names = ", ".join(scenarios[i].name for i in bare)
    sources = estimate.table()["source"]
    from_book = int((sources != "prior").sum())
    note(
        f"reps' response to the plan (--behaviour {choice}): {names} respond as estimated "
        f"from the book relative to {base.plan.name!r} ({from_book} of {len(sources)} effects "
        "informed by the book, the others at their literature priors; 'spm-sim fit' lists "
        "them). --behaviour off compares the plans without it."
    )
    return scenarios, estimate


def add_run_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
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


def add_demo_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
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


def cmd_run(args: argparse.Namespace) -> int:
    """Run ``spm-sim run``: the scenario files simulated into a report."""
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
    if any(s.years is not None for s in scenarios):
        return _cmd_run_years(args, scenarios)
    chosen, out, inputs, books, scenarios, estimate = _run_setup(args, scenarios)
    _precision_options(args, scenarios, books)
    _check_run_memory(args, scenarios, books)
    with output_folder(args, out, chosen=chosen, inputs=_manifest_inputs(inputs)) as run:
        start = time.perf_counter()
        results = _simulate_all(scenarios, books, args, progress=_progress(args))
        flag_scenario_results(results, scenarios)
        title = "Scenario report: " + " vs ".join(s.name for s in scenarios)
        report, tables, responses, checks = _outputs(
            results, scenarios, books, estimate, run.path / "report.html", title
        )
        saved = []
        if args.save:
            per_scenario = [_manifest_inputs(scenario_inputs(p)) for p in args.scenarios]
            saved = _save_results(results, run, per_scenario)
    if not args.quiet:
        print_results(results, books, responses, checks)
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
    print_paths(report, tables, run.path, saved)
    return 0


#: The figures ``spm-sim run`` prints for scenarios of several plan years, in order,
#: with their short labels (``spm_sim.simulate.YEAR_METRICS`` has the long ones).
YEAR_ROWS = {
    "company_bookings": "Bookings",
    "incentive_cost": "Incentive cost",
    "ccos": "Comp. cost of sales",
    "share_reps_at_quota": "Reps at quota",
    "hit_company_target": "Chance of target",
    "quota_total": "Sum of quotas",
    "quota_growth": "Quota growth",
    "mean_effort": "Mean effort",
}


def _run_setup(args: argparse.Namespace, scenarios: Sequence[Scenario]):
    """What ``spm-sim run`` settles before any work, one plan year or several: the
    output place (checked against the inputs), the books, and ``--behaviour`` applied.
    Returns ``(chosen, out, inputs, books, scenarios, estimate)``."""
    chosen = args.out is not None
    out = args.out if chosen else Path("reports") / slugify(scenarios[0].name)
    inputs = _scenario_inputs(args.scenarios)
    _refuse_output_over_inputs(out, inputs, "--out" if chosen else "the default output")
    books = _books(scenarios)
    scenarios, estimate = with_behaviour(scenarios, books, args.behaviour)
    return chosen, out, inputs, books, scenarios, estimate


def _cmd_run_years(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> int:
    """``spm-sim run`` of scenarios with several plan years (``years:``): each one's
    years, then each later scenario against the first, year by year and over the
    horizon, paired with intervals; the tables written as CSV into the run folder
    (an HTML report and saved results are for single plan years only, so far)."""
    import pandas as pd

    from spm_sim._files import write_csv
    from spm_sim.parallel import executor_for
    from spm_sim.simulate import compare_years, resolve_engines, simulate_years

    single = [s.name for s in scenarios if s.years is None]
    if single:
        raise SpmSimError(
            f"scenario {single[0]!r} has one plan year and "
            f"{next(s.name for s in scenarios if s.years is not None)!r} has 'years': a run "
            "compares scenarios over the same plan years. Add a 'years' block to every "
            "scenario of the run (years: {count: 1} keeps one year), or run them apart."
        )
    counts = {s.name: s.years.count for s in scenarios if s.years is not None}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name!r} years.count {n}" for name, n in counts.items())
        raise SpmSimError(
            f"the scenarios run different numbers of plan years ({listed}): a run compares "
            "them year by year and over the same horizon. Give every scenario the same "
            "'years: {count: N}', or run them apart."
        )
    if getattr(args, "precision", None) is not None:
        raise SpmSimError(
            "--precision runs one plan year; scenarios with 'years' run their trials as "
            "given: use --trials."
        )
    chosen, out, inputs, books, scenarios, estimate = _run_setup(args, scenarios)
    _check_run_memory(args, scenarios, books)
    options = executor_options(args)
    start = time.perf_counter()
    with output_folder(args, out, chosen=chosen, inputs=_manifest_inputs(inputs)) as run:
        with executor_for(
            options["executor"], workers=options["workers"], scheduler=options["scheduler"]
        ) as ex:
            engines = resolve_engines(scenarios, books)
            results = [
                simulate_years(
                    s, book=books[s.book], executor=ex, progress=_progress(args), engine=e
                )
                for s, e in zip(scenarios, engines, strict=True)
            ]
        summary = pd.concat(
            [r.summary().assign(scenario=r.scenario.name) for r in results], ignore_index=True
        )
        compared = [compare_years(r, results[0]) for r in results[1:]]
        tables = [write_csv(summary, run.path / "years_summary.csv")]
        if compared:
            frame = pd.concat(
                [
                    c.assign(scenario=r.scenario.name, baseline=results[0].scenario.name)
                    for c, r in zip(compared, results[1:], strict=True)
                ],
                ignore_index=True,
            )
            tables.append(write_csv(frame, run.path / "years_comparison.csv"))
        for path in tables:
            run.add(path)
    if not args.quiet:
        for line in _years_text(results, compared):
            print(line)
        print(
            f"{plural(len(results), 'scenario')} x {results[0].n_years} plan years, "
            f"{results[0].n_trials:,} trials each, in {time.perf_counter() - start:.1f} s."
        )
    print(f"Folder: {run.path.resolve()}")
    print("Tables:")
    for path in tables:
        print(f"  {path}")
    return 0


def _years_text(results, compared) -> list[str]:
    """Each scenario's years, then each comparison with the first, as text tables."""
    from spm_sim._format import format_money, format_pct
    from spm_sim.simulate import YEAR_METRICS

    from .table import format_table

    def value(x: float, unit: str, currency: str) -> str:
        if unit == "$":
            return format_money(x, currency=currency)
        if unit == "count":
            return f"{x:,.1f}"
        return format_pct(x)

    def change(d: float, low: float, high: float, unit: str, currency: str) -> str:
        if d == 0 and low == 0 and high == 0:
            return "no change"
        if unit == "$":
            return (
                f"{format_money(d, currency=currency, sign=True)} "
                f"({format_money(low, currency=currency, sign=True)} to "
                f"{format_money(high, currency=currency, sign=True)})"
            )
        if unit == "count":
            return f"{d:+,.2f} ({low:+,.2f} to {high:+,.2f})"
        return f"{d * 100:+.2f} pp ({low * 100:+.2f} to {high * 100:+.2f})"

    lines: list[str] = []
    for r in results:
        cur = r.scenario.plan.currency
        table = r.summary()
        years = list(dict.fromkeys(table["year"]))
        rows = []
        for metric, label in YEAR_ROWS.items():
            part = table[table["metric"] == metric].set_index("year")
            if part.empty:
                continue
            unit = YEAR_METRICS[metric][1]
            rows.append([label, *[value(part.loc[y, "mean"], unit, cur) for y in years]])
        assert r.scenario.years is not None
        lines += [
            f"{r.scenario.name}: {r.scenario.years.describe()} (means over "
            f"{r.n_trials:,} trials; 'all' = the {r.n_years} years together)",
            format_table(["", *years], rows),
            "",
        ]
    for c, r in zip(compared, results[1:], strict=True):
        cur = r.scenario.plan.currency
        paired = bool(c.attrs.get("paired"))
        how = (
            "paired trial by trial (the same sales drawn year by year)"
            if paired
            else f"unpaired ({c.attrs.get('why_unpaired')})"
        )
        lines.append(f"{r.scenario.name} against {results[0].scenario.name}, {how}; 95% intervals:")
        rows = []
        for metric, label in YEAR_ROWS.items():
            part = c[c["metric"] == metric]
            if part.empty:
                continue
            unit = YEAR_METRICS[metric][1]
            for _, row in part.iterrows():
                rel = f"{row['relative'] * 100:+.1f}%" if unit == "$" and row["difference"] else ""
                rows.append(
                    [
                        label,
                        str(row["year"]),
                        change(row["difference"], row["low"], row["high"], unit, cur),
                        rel,
                    ]
                )
        lines += [
            format_table(["", "year", "difference (95% interval)", "relative"], rows, left=2),
            "",
        ]
    return lines


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``spm-sim demo``: the sample scenarios simulated into a report."""
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
    scenarios, estimate = with_behaviour(scenarios, books, args.behaviour)
    _check_run_memory(args, scenarios, books)
    # an earlier demo is replaced only where --out names it (as 'make demo' does); the
    # default folder is numbered instead, like any default, so no earlier run is lost
    replaceable = earlier_demo if chosen else None
    with output_folder(
        args, out, chosen=chosen, inputs=_manifest_inputs(inputs), replaceable=replaceable
    ) as run:
        results = _simulate_all(scenarios, books, args, progress=_progress(args))
        flag_scenario_results(results, scenarios)
        title = "spm_sim demo: " + " vs ".join(s.name for s in scenarios)
        report, tables, responses, checks = _outputs(
            results, scenarios, books, estimate, run.path / "demo.html", title
        )
        saved = []
        if args.save:
            saved = _save_results(
                results, run, [_manifest_inputs(scenario_inputs(p)) for p in paths]
            )
    elapsed = time.perf_counter() - start
    if not args.quiet:
        print_results(results, books, responses, checks)
    print(f"Demo: {plural(len(results), 'scenario')} x {args.trials:,} trials in {elapsed:.1f} s.")
    print_paths(report, tables, run.path, saved)
    return 0


def earlier_demo(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier ``spm-sim demo`` only (the demo replaces it)."""
    from spm_sim._files import read_manifest

    manifest = read_manifest(folder)
    if manifest is not None:
        return manifest.get("command", [None, None])[1:2] == ["demo"]
    return (folder / "demo.html").is_file()


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
    ``--scheduler``, opened once for all of them; to ``--precision`` when it is given.
    Scenarios that share their draws share one engine (``engine: auto`` resolved for
    them together), so they are compared trial by trial."""
    from spm_sim.parallel import executor_for
    from spm_sim.simulate import resolve_engines, simulate, simulate_to_precision

    options = executor_options(args)
    with executor_for(
        options["executor"], workers=options["workers"], scheduler=options["scheduler"]
    ) as ex:
        if getattr(args, "precision", None) is None:
            engines = resolve_engines(scenarios, books)
            return [
                simulate(s, book=books[s.book], executor=ex, progress=progress, engine=e)
                for s, e in zip(scenarios, engines, strict=True)
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


def _scenario_inputs(paths: Sequence[Path | str]) -> list[Input]:
    """What a run reads: each scenario file and the books, plans and targets it names."""
    return [i for path in paths for i in scenario_inputs(path)]


def _manifest_inputs(inputs: Sequence[Input]) -> list[tuple[str, Path]]:
    return [(i.role, i.path) for i in inputs]


def _progress(args) -> bool:
    """Whether to show progress bars: see :func:`spm_sim.cli.args.show_progress`."""
    return show_progress(args)
