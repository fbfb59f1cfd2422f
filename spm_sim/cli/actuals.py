"""``spm-sim payouts`` and ``spm-sim backtest``: a plan applied to a real year of the
book (sub-commands of :mod:`spm_sim.cli`).

::

    spm-sim payouts data/plans/baseline.yaml --year 2025 --out payroll-2025.csv
    spm-sim backtest data/plans/baseline.yaml data/plans/accelerated.yaml --year 2025
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spm_sim._files import write_csv
from spm_sim._format import format_money
from spm_sim.errors import DataError

from .args import add_book, positive_int

__all__ = ["add_payouts_parser", "add_backtest_parser", "cmd_payouts", "cmd_backtest"]

_SCORES_HELP = (
    "CSV of MBO scores (columns rep_id, period YYYY-MM, measure, score), for plans "
    "with an MBO component"
)


def add_payouts_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim payouts``."""
    pay = sub.add_parser(
        "payouts",
        help="pay a plan on a real year of deals: payroll CSV and rep statements",
        description="Apply a plan to the deals of one calendar year of the book, with quotas "
        "set from the history before that year, and write the payroll export (rep, month, "
        "component, amount in cents). --statement prints one rep's statement, every amount "
        "traced to its component, tier, rate and cap.",
    )
    pay.add_argument("plan", type=Path, metavar="PLAN.yaml", help="plan file")
    add_book(pay)
    pay.add_argument("--year", type=positive_int, required=True, metavar="Y", help="year paid")
    pay.add_argument("--out", type=Path, metavar="FILE.csv", help="payroll CSV to write")
    pay.add_argument(
        "--statement",
        action="append",
        default=[],
        metavar="REP_ID",
        help="print this rep's statement (repeatable)",
    )
    pay.add_argument("--scores", type=Path, metavar="SCORES.csv", help=_SCORES_HELP)


def add_backtest_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim backtest``."""
    bt = sub.add_parser(
        "backtest",
        help="compare two plans on the same real year: cost, who gains, who loses",
        description="Apply two plans to the deals and quotas of one calendar year of the book "
        "and print the total incentive, cost of sales, share of reps at quota and the reps who "
        "gain or lose most under the second plan. --out writes the per-rep table as CSV.",
    )
    bt.add_argument("plan_a", type=Path, metavar="PLAN_A.yaml", help="current plan")
    bt.add_argument("plan_b", type=Path, metavar="PLAN_B.yaml", help="proposed plan")
    add_book(bt)
    bt.add_argument("--year", type=positive_int, required=True, metavar="Y", help="year paid")
    bt.add_argument("--out", type=Path, metavar="FILE.csv", help="per-rep table to write")
    bt.add_argument("--scores", type=Path, metavar="SCORES.csv", help=_SCORES_HELP)


def _scores(path: Path | None):
    """The MBO scores file as a frame (``None`` without ``--scores``)."""
    if path is None:
        return None
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype={"rep_id": str, "period": str, "measure": str})
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the scores file {path}: {exc}") from None
    frame.attrs["file"] = str(path)  # so errors name the file and its line
    return frame


def cmd_payouts(args: argparse.Namespace) -> int:
    """Run ``spm-sim payouts``."""
    from spm_sim.actuals import actual_payouts, statement
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan

    book, plan = load_book_ref(args.book), load_plan(args.plan)
    actual = actual_payouts(book, plan, args.year, scores=_scores(args.scores))
    reps = actual.by_rep()
    cur = actual.currency
    print(
        f"{actual.plan.name}, {args.year}: {len(reps)} reps paid "
        f"{format_money(float(reps['payout'].sum()), currency=cur)} on "
        f"{format_money(float(reps['bookings'].sum()), currency=cur)} of bookings."
    )
    if len(actual.unassigned):
        u = actual.unassigned
        print(
            f"Not paid: {int(u['deals'].sum())} deals worth "
            f"{format_money(float(u['amount'].sum()), currency=cur)} by reps without quota "
            f"that year: {', '.join(f'{x.rep_id} ({x.reason})' for x in u.itertuples())}."
        )
    for rep in args.statement:
        print()
        print(statement(actual, rep).text)
    if args.out is not None:
        print(f"Payroll: {actual.to_payroll_csv(args.out).resolve()}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run ``spm-sim backtest``."""
    from spm_sim.actuals import backtest
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan

    book, plan_a, plan_b = load_book_ref(args.book), load_plan(args.plan_a), load_plan(args.plan_b)
    result = backtest(book, plan_a, plan_b, args.year, scores=_scores(args.scores))
    print(result.text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(result.reps, args.out)
        print(f"Per-rep table: {args.out.resolve()}")
    return 0
