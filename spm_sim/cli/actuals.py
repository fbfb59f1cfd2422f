"""``spm-sim payouts`` and ``spm-sim backtest``: a plan applied to a real year of the
book (sub-commands of :mod:`spm_sim.cli`).

::

    spm-sim payouts data/plans/baseline.yaml --year 2025 --out payroll-2025.csv
    spm-sim backtest data/plans/baseline.yaml data/plans/accelerated.yaml --year 2025

``payouts --out FILE.csv`` writes three files side by side: the payroll
(``FILE.csv``), the deals it does not pay with the reason for each
(``FILE-unpaid.csv``) and the control totals (``FILE-totals.json``). Both commands
say first which book they read (the shipped sample unless ``--book`` is given),
check the output place before any work, and replace an existing output only with
``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from spm_sim._format import currency_symbol, format_money
from spm_sim.errors import DataError, SpmSimError

from .args import add_book, year
from .places import FILE, output_file, place_problem
from .table import format_table, plural, wrap_lines

__all__ = [
    "add_payouts_parser",
    "add_backtest_parser",
    "cmd_payouts",
    "cmd_backtest",
    "check_outputs",
    "flag_results",
    "backtest_text",
]

_SCORES_HELP = (
    "CSV of MBO scores (columns rep_id, period YYYY-MM, measure, score), for plans "
    "with an MBO component; one row per rep, month and measure"
)
_FORCE_HELP = "replace the output files if they exist (without it, an existing file is an error)"


def add_payouts_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim payouts``."""
    pay = sub.add_parser(
        "payouts",
        help="pay a plan on a real year of deals: payroll CSV and rep statements",
        description="Apply a plan to the deals of one calendar year of the book, with quotas "
        "set from the history before that year, and write the payroll export (rep, month, "
        "component, amount in cents). Beside FILE.csv go FILE-unpaid.csv (each deal of the year "
        "not paid, with the reason) and FILE-totals.json (control totals: rows, reps, cents by "
        "component and month, months without data). --statement prints one rep's statement, "
        "every amount traced to its component, tier, rate and cap.",
    )
    pay.add_argument("plan", type=Path, metavar="PLAN.yaml", help="plan file")
    add_book(pay)
    pay.add_argument("--year", type=year, required=True, metavar="Y", help="year paid")
    pay.add_argument(
        "--out",
        type=Path,
        metavar="FILE.csv",
        help="payroll CSV to write (with FILE-unpaid.csv and FILE-totals.json beside it)",
    )
    pay.add_argument("--force", action="store_true", help=_FORCE_HELP)
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
    bt.add_argument("--year", type=year, required=True, metavar="Y", help="year paid")
    bt.add_argument("--out", type=Path, metavar="FILE.csv", help="per-rep table to write")
    bt.add_argument("--force", action="store_true", help=_FORCE_HELP)
    bt.add_argument("--scores", type=Path, metavar="SCORES.csv", help=_SCORES_HELP)


# ---------------------------------------------------------------- inputs and outputs


def check_outputs(paths: list[Path], *, force: bool, inputs: tuple[Any, ...] = ()) -> None:
    """Refuse, before any work, output files that cannot or should not be written.

    Each path must be a place a file can be written (:func:`~spm_sim.cli.places.place_problem`:
    not a folder, no file in the way of its folder, a folder this process can write),
    not be one of ``inputs``, and not exist unless ``force`` is true; the message
    names the path and the fix.

    Raises
    ------
    SpmSimError
        The first problem found, with every existing file named when several exist.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_outputs([folder / "new" / "payroll.csv"], force=False)   # fine: made later
    >>> (folder / "payroll.csv").write_text("x")
    1
    >>> check_outputs([folder / "payroll.csv"], force=False)   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpmSimError: .../payroll.csv exists already; pass --force to replace it, ...
    """
    read = {Path(p).expanduser().resolve() for p in inputs if p is not None}
    for path in paths:
        problem = place_problem(path, FILE)
        if problem:
            raise SpmSimError(f"{path}: {problem}")
        if path.expanduser().resolve() in read:
            raise SpmSimError(
                f"{path} is an input of this command; write the output elsewhere, so no input "
                "is overwritten"
            )
    there = [p for p in paths if p.exists()]
    if there and not force:
        names = ", ".join(str(p) for p in there)
        raise SpmSimError(
            f"{names} exist{'s' if len(there) == 1 else ''} already; pass --force to replace "
            f"{'it' if len(there) == 1 else 'them'}, or choose another --out"
        )


def _book_line(ref: str, book: Any) -> str:
    """Which book a command reads, said so that nobody pays from the sample by accident."""
    from spm_sim.book import SAMPLE_BOOK

    if str(ref) == SAMPLE_BOOK:
        return (
            f"Book: sample book {book.name!r} ({book.path}), the fictional data shipped with "
            "spm-sim, because --book was not given; pass --book DIR to use your own."
        )
    return f"Book: {book.name!r} ({book.path})"


def _scores(path: Path | None):
    """The MBO scores file as a frame (``None`` without ``--scores``).

    ``attrs`` hold the file (``file``) and each row's line number (``lines``,
    the header being line 1, blank lines counted), so errors point at the line.
    """
    if path is None:
        return None
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            dtype={"rep_id": str, "period": str, "measure": str},
            skip_blank_lines=False,
        )
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the scores file {path}: {exc}") from None
    lines = [int(i) + 2 for i in frame.index]
    blank = frame.isna().all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    frame.attrs["file"] = str(path)  # so errors name the file and its line
    frame.attrs["lines"] = [n for n, b in zip(lines, blank, strict=True) if not b]
    return frame


# ---------------------------------------------------------------- the commands


#: Currencies without a minor unit (ISO 4217 exponent 0): the yen, the won, the dong...
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)


def _money(cents: int, currency: str) -> str:
    """Exact money from integer cents: ``$7,069,123.45``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{currency_symbol(currency)}{whole:,}.{part:02d}"


def _hundredths(cents: int, currency: str) -> str:
    """What the payroll's integer count of hundredths is, said for the currency:
    ``707,246,929 cents``; for a currency without a minor unit (the yen) the payroll
    still keeps two decimals, and says so rather than calling them cents.

    Examples
    --------
    >>> _hundredths(707246929, "USD")
    '707,246,929 cents'
    >>> _hundredths(707246929, "JPY")
    '707,246,929 hundredths of a JPY; JPY has no minor unit, the payroll keeps two decimals'
    """
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return (
            f"{int(cents):,} hundredths of a {code}; {code} has no minor unit, the payroll "
            "keeps two decimals"
        )
    return f"{int(cents):,} cents"


def _unpaid_lines(actual: Any, year: int, file: Path | None) -> list[str]:
    """What the payroll does not pay: counts by category, reps and reasons, and where."""
    from spm_sim.actuals import UNPAID_CATEGORIES

    u = actual.unpaid()
    if not len(u):
        return [f"Every deal of {year} is paid by this payroll (none unpaid)."]
    cur = actual.currency
    totals = actual.control_totals()["unpaid"]
    kinds = "; ".join(
        f"{n} {UNPAID_CATEGORIES.get(k, k)}" for k, n in totals["by_category"].items()
    )
    by_rep = actual.unassigned
    who = ", ".join(f"{x.rep_id} ({x.reason})" for x in by_rep.head(6).itertuples())
    more = ", ..." if len(by_rep) > 6 else ""
    where = f"; each deal and its reason in {file}" if file is not None else ""
    return [
        f"Not paid: {plural(totals['deals'], 'deal')} worth {_money(totals['amount_cents'], cur)} "
        f"({kinds}){where}.",
        f"  by rep: {who}{more}",
    ]


def flag_results(actual: Any, who: str) -> list[str]:
    """Warn about a paid year nobody should believe: cost of sales, rates, attainment.

    The figures of :func:`spm_sim.metrics.check_figures` (incentive cost of sales,
    effective rate as a multiple of the TCR, median attainment) for the year paid,
    each outside its sane range a :class:`~spm_sim.errors.PlausibilityWarning` (an
    error under ``--strict``) naming the inputs that drive it; returns the messages.
    """
    import numpy as np

    from spm_sim.errors import implausible
    from spm_sim.metrics import check_figures

    paid = actual.control_totals()["total_cents"] / 100.0
    booked = float(actual.bookings.sum())
    quota = actual.quotas.sum(axis=1)
    ti = actual.target_incentive
    att = np.asarray(actual.payout.attainment, float)
    att = att[np.isfinite(att) & (quota > 0)]
    stat = "the actual year"
    figures: dict[str, Any] = {}
    tcr = float(ti.sum() / quota.sum()) if quota.sum() > 0 else float("nan")
    if booked > 0:
        figures["incentive_cost_of_sales"] = (paid / booked, stat)
        if tcr > 0:
            figures["effective_rate"] = (paid / booked / tcr, stat)
    if att.size:
        figures["median_attainment"] = (float(np.median(att)), f"{att.size} reps, {stat}")
    drivers = {
        "currency": actual.currency,
        "median_ti": float(np.median(ti)) if ti.size else float("nan"),
        "median_quota": float(np.median(quota)) if quota.size else float("nan"),
        "tcr": tcr,
        "payout_share_of_ti": paid / float(ti.sum()) if ti.sum() > 0 else float("nan"),
        "plan": actual.plan.name,
    }
    if att.size:
        drivers["median_attainment"] = float(np.median(att))
    flags = check_figures(actual.plan.name, figures, drivers, prefix=who)
    for f in flags:
        implausible(f["message"])
    return [f["message"] for f in flags]


def cmd_payouts(args: argparse.Namespace) -> int:
    """Run ``spm-sim payouts``."""
    from spm_sim.actuals import ActualPayouts, actual_payouts, statement
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan

    files = None
    if args.out is not None:
        files = ActualPayouts.payroll_files(args.out)
        check_outputs(list(files.values()), force=args.force, inputs=(args.plan, args.scores))
    book = load_book_ref(args.book)
    print(wrap_lines(_book_line(args.book, book)))
    plan = load_plan(args.plan)
    actual = actual_payouts(book, plan, args.year, scores=_scores(args.scores))
    flag_results(actual, f"{args.year} paid under plan {actual.plan.name!r}")
    reps = actual.by_rep()
    totals = actual.control_totals()
    cur = actual.currency
    lines = [
        f"{actual.plan.name}, {args.year}: {len(reps)} reps paid "
        f"{format_money(float(reps['payout'].sum()), currency=cur)} on "
        f"{format_money(float(reps['bookings'].sum()), currency=cur)} of bookings."
    ]
    parts = "by component: " + ", ".join(
        f"'{name}' {_money(c['cents'], cur)}" for name, c in totals["by_component"].items()
    )
    lines.append(
        f"Control totals: {totals['rows']} rows, {totals['reps']} reps, "
        f"{_money(totals['total_cents'], cur)} ({_hundredths(totals['total_cents'], cur)}); "
        f"{parts}."
    )
    empty = totals["months_without_data"]
    if empty:
        lines.append(
            f"Months without data: {', '.join(empty)} (the book ends {totals['data_end']}, "
            f"{totals['data_end_source']}): paid as if nothing was booked."
        )
    lines += _unpaid_lines(actual, args.year, None if files is None else files["unpaid"])
    lines += [f"Note: {note}" for note in actual.notes]
    for rep in args.statement:
        lines += ["", statement(actual, rep).text]
    print(wrap_lines("\n".join(lines)))
    if files is not None:
        with output_file(args, files["payroll"]):  # a second run writing it now is refused
            actual.to_payroll_csv(files["payroll"])
        print(f"Payroll: {files['payroll'].resolve()}")
        n = len(actual.unpaid())
        print(f"Unpaid deals: {files['unpaid'].resolve()} ({n} deal{'' if n == 1 else 's'})")
        print(f"Totals file: {files['totals'].resolve()}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run ``spm-sim backtest``."""
    from spm_sim._files import write_csv
    from spm_sim.actuals import backtest
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan

    if args.out is not None:
        check_outputs([args.out], force=args.force, inputs=(args.plan_a, args.plan_b, args.scores))
    book = load_book_ref(args.book)
    print(wrap_lines(_book_line(args.book, book)))
    plan_a, plan_b = load_plan(args.plan_a), load_plan(args.plan_b)
    result = backtest(book, plan_a, plan_b, args.year, scores=_scores(args.scores))
    for label, actual in (("A", result.a), ("B", result.b)):
        flag_results(actual, f"{args.year} paid under plan {label} {actual.plan.name!r}")
    lines = [backtest_text(result)]
    empty = result.a.months_without_data
    if empty:
        lines.append(
            f"Months without data: {', '.join(empty)} (the book ends "
            f"{result.a.data_end:%Y-%m-%d}, {result.a.data_end_source}): both plans pay them "
            "as if nothing was booked."
        )
    lines += [f"Note: {note}" for note in result.a.notes]
    print(wrap_lines("\n".join(lines)))
    if args.out is not None:
        with output_file(args, args.out):  # a second run writing it now is refused
            write_csv(result.reps, args.out)
        print(f"Per-rep table: {args.out.resolve()}")
    return 0


def backtest_text(result: Any, *, width: int | None = None) -> str:
    """A back-test as the command prints it: the two plans, their figures side by
    side in a table within ``width`` (default: the terminal's), and the reps whose
    pay changes most; plans that pay every rep the same say so.

    Examples
    --------
    >>> from spm_sim import load_sample, standard_plan
    >>> from spm_sim.actuals import backtest
    >>> same = backtest(load_sample(), standard_plan(), standard_plan(), 2025)
    >>> backtest_text(same, width=80).splitlines()[-1]
    "No rep's pay changes under B: the two plans pay every rep the same."
    """
    return result.describe(table=lambda heading, rows: format_table(heading, rows, width=width))
