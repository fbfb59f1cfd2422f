"""``spm-sim fit``: report the productivity fit and its back-test (a sub-command of
:mod:`spm_sim.cli`).

::

    spm-sim fit --plan-year 2026
    spm-sim fit --book data/sample --plan-year 2026 --sims 2000 --seed 7 --out fit/

It prints :meth:`FitReport.describe` (parameters with 90% intervals, reps, the
back-test of the year before the plan year) and, with ``--out``, writes
``parameters.csv``, ``reps.csv``, ``backtest_checks.csv``, ``backtest_reps.csv``,
``backtest_excluded.csv`` and ``fit.png`` there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from spm_sim._files import save_figure, write_csv

from .args import add_book, add_seed, positive_int

if TYPE_CHECKING:
    import argparse

__all__ = ["add_fit_parser", "cmd_fit"]


def add_fit_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim fit`` on the CLI's sub-parsers."""

    p = sub.add_parser(
        "fit",
        help="report the productivity model's fit and back-test it on last year",
        description="Fit the productivity model for a plan year and print its parameters with "
        "standard errors and 90% intervals, the reps' deal rates, and a back-test: the model "
        "fitted before the year preceding the plan year, simulated over it and compared with "
        "what happened (rep-year bookings, share at quota, monthly and annual totals).",
    )
    add_book(p)
    p.add_argument(
        "--plan-year", type=positive_int, required=True, metavar="Y", help="plan year, e.g. 2026"
    )
    p.add_argument(
        "--sims",
        type=positive_int,
        default=1000,
        metavar="N",
        help="simulated years of the back-test, at least 20 (default 1000)",
    )
    add_seed(p, "seed (default 0)", default=0)
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for parameters.csv, reps.csv, backtest_*.csv and fit.png",
    )


def cmd_fit(args: argparse.Namespace) -> int:
    """Run ``spm-sim fit``; returns the exit status."""
    from spm_sim.book import load_book_ref
    from spm_sim.errors import SpecError
    from spm_sim.fit_report import fit_report

    if args.sims < 20:
        raise SpecError(f"--sims {args.sims}: give at least 20 simulated years")
    report = fit_report(
        load_book_ref(args.book), plan_year=args.plan_year, n_sims=args.sims, rng=args.seed
    )
    print(report.describe())
    if args.out is not None:
        from spm_sim.viz import fit_figure  # matplotlib only when a figure is written

        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        print()
        for name, frame in report.tables().items():
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
    return 0
