"""``spm-sim fit``: report the productivity fit and its back-test (a sub-command of
:mod:`spm_sim.cli`).

::

    spm-sim fit --plan-year 2026
    spm-sim fit --book data/sample --plan-year 2026 --sims 2000 --seed 7 --out fit/

It prints :meth:`FitReport.describe` (parameters with 90% intervals, reps, the
rolling back-test's calibration table, bias and verdicts over every year the book
allows, the back-test of the year before the plan year in detail), then the reps'
response to the plan estimated from the book (``spm_sim.response.estimate_behaviour``,
with the same ``--seed``), and, with ``--out``, writes
``parameters.csv``, ``reps.csv``, ``backtest_checks.csv``, ``backtest_reps.csv``,
``backtest_excluded.csv``, ``calibration.csv``, ``bias.csv``, ``pit.csv``,
``behaviour.csv`` and ``fit.png`` there, and ``manifest.json`` last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import save_figure, write_csv

from .args import add_book, add_seed, count, show_progress, year
from .places import check_memory, output_folder
from .table import format_table, terminal_width, wrap_lines

if TYPE_CHECKING:
    import argparse

__all__ = ["add_fit_parser", "cmd_fit", "MAX_SIMS"]

#: The most simulated years ``--sims`` takes.
MAX_SIMS = 100_000
#: Bytes of memory per simulated year and rep the back-test keeps (about 180 measured
#: on the sample book).
SIM_BYTES = 400


def add_fit_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim fit`` on the CLI's sub-parsers."""

    p = sub.add_parser(
        "fit",
        help="report the productivity model's fit and back-test it on every past year",
        description="Fit the productivity model for a plan year and print its parameters with "
        "standard errors and 90% intervals, the reps' deal rates, and rolling back-tests: for "
        "every past year the book allows, the model fitted on the history before it, "
        "simulated over it and compared with what happened (coverage of 50/80/90% bands for "
        "the company's year, its months and each rep's year with their sampling error, bias, "
        "verdicts), the year before the plan year in detail.",
    )
    add_book(p)
    p.add_argument(
        "--plan-year",
        type=year,
        required=True,
        metavar="Y",
        help="plan year, e.g. 2026 (1990 to 2100)",
    )
    p.add_argument(
        "--sims",
        type=count(20, MAX_SIMS),
        default=1000,
        metavar="N",
        help=f"simulated years of each back-test year, 20 to {MAX_SIMS:,} (default 1000)",
    )
    add_seed(p, "seed (default 0)", default=0)
    p.add_argument(
        "--plan",
        type=Path,
        metavar="PLAN.yaml",
        help="the plan the history was earned under: the reps' response is read against its "
        "payout curve (threshold, accelerators, cap). Default: a flat commission, so the "
        "effects that need the plan's shape (effort elasticity, the cap) keep their priors",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for parameters.csv, reps.csv, backtest_*.csv, calibration.csv, bias.csv, "
        "pit.csv, fit.png and manifest.json "
        "(an earlier run in it is replaced)",
    )


def cmd_fit(args: argparse.Namespace) -> int:
    """Run ``spm-sim fit``; returns the exit status."""
    from spm_sim.book import SAMPLE_BOOK, SAMPLE_DIR, load_book_ref

    book = load_book_ref(args.book)
    if args.book == SAMPLE_BOOK:
        print(
            wrap_lines(f"Book: the shipped sample ({SAMPLE_DIR}); give --book DIR to fit your own.")
        )
    else:
        print(f"Book: {args.book}")
    check_memory(
        "--sims",
        args.sims,
        unit_bytes=SIM_BYTES * len(book.reps),
        unit=f"{len(book.reps):,} reps, per simulated year",
    )
    if args.out is None:
        _fit(args, book)
        return 0
    where = SAMPLE_DIR if args.book == SAMPLE_BOOK else args.book
    with output_folder(args, args.out, chosen=True, inputs=[("book", where)]) as run:
        _fit(args, book, run.path)
    return 0


def _fit(args: argparse.Namespace, book, out: Path | None = None) -> None:
    """Fit, print, and with ``out`` write the tables and the figure there."""
    from spm_sim.fit_report import fit_report

    report = fit_report(
        book,
        plan_year=args.plan_year,
        n_sims=args.sims,
        rng=args.seed,
        progress=show_progress(args),
    )
    width = terminal_width()

    def layout(header: list[str], rows: list[list[str]], left: int) -> str:
        # the report indents its tables two spaces: lay them out for what is left
        units = [j for j, h in enumerate(header) if h == "unit"]  # words that may wrap
        return format_table(header, rows, width=width - 2, left=left, wrap=units)

    print(wrap_lines(report.describe(table=layout), width))
    behaviour, words = _behaviour_table(book, args.seed, args.plan)
    print()
    print(_behaviour_text(behaviour, width))
    print()
    print("\n".join(wrap_lines(line, width, hang="    ") for line in words.splitlines()))
    if out is not None:
        from spm_sim.viz import fit_figure  # matplotlib only when a figure is written

        print()
        tables = {**report.tables(), "behaviour": behaviour}
        for name, frame in tables.items():
            path = out / f"{name}.csv"
            write_csv(frame, path)
            print(f"wrote {path}")
        fig_path = out / "fit.png"
        save_figure(
            fit_figure(report),
            fig_path,
            format="png",
            dpi=110,
            metadata={"Software": None},
            facecolor="white",
        )
        print(f"wrote {fig_path}")
        print(f"wrote {out / 'manifest.json'} (last)")


def _cell(v: object) -> str:
    """A table cell: numbers to four significant digits, the rest as text."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


#: The columns of the behaviour table printed (all of them go to behaviour.csv).
_BEHAVIOUR_COLUMNS = ("parameter", "estimate", "se", "low", "high", "source", "effect")


def _behaviour_text(table, width: int) -> str:
    """The reps' response estimates as a table within ``width``: each parameter, its
    estimate, standard error and interval, source (book, prior or both) and effect."""
    shown = [c for c in _BEHAVIOUR_COLUMNS if c in table.columns]
    words = [j for j, c in enumerate(shown) if table[c].dtype.kind not in "fiu"]
    rows = [[_cell(v) for v in row] for row in table[shown].itertuples(index=False)]
    heading = (
        "Reps' response to the plan (from the book, or a prior from the literature where the "
        "book cannot tell: source; references and more columns in behaviour.csv with --out):"
    )
    lines = [
        wrap_lines(heading, width),
        format_table(
            [c.replace("se", "std error") if c == "se" else c for c in shown],
            rows,
            width=width - 2,
            left=1,
            indent="  ",
            wrap=[j for j in words if j > 0],
        ),
    ]
    return "\n".join(lines)


def _behaviour_table(book, seed: int | None, plan: Path | None = None):
    """The reps' response to the plan estimated from the book
    (:func:`spm_sim.response.estimate_behaviour`): its ``table()`` (a DataFrame) and
    ``describe()`` (each effect in words, book or prior). A book too short to
    estimate from (under two years of history) gives the literature's priors alone,
    and says so."""
    from spm_sim.errors import DataError
    from spm_sim.response import estimate_behaviour, prior_behaviour

    try:
        est = estimate_behaviour(book, reference_plan=plan, rng=seed)
        words = est.describe()
    except DataError as e:
        est = prior_behaviour(plan)
        words = f"The book cannot estimate the reps' response ({e}); the priors alone:\n"
        words += est.describe()
    return est.table(), words
