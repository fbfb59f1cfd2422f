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
    "read_quotas",
    "check_quota_reps",
    "add_quotas",
    "cli_advice",
    "QUOTAS_HELP",
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
        "every amount traced to its component, tier, rate and cap. --quotas FILE pays on your "
        "own quotas (a CRM export with less than a year of history before the year needs it).",
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
    add_quotas(pay)


def add_backtest_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim backtest``."""
    bt = sub.add_parser(
        "backtest",
        help="compare two plans on the same real year: cost, who gains, who loses",
        description="Apply two plans to the deals and quotas of one calendar year of the book "
        "and print the total incentive, cost of sales, share of reps at quota and the reps who "
        "gain or lose most under the second plan. --out writes the per-rep table as CSV; "
        "--quotas FILE sets both plans' quotas from a file.",
    )
    bt.add_argument("plan_a", type=Path, metavar="PLAN_A.yaml", help="current plan")
    bt.add_argument("plan_b", type=Path, metavar="PLAN_B.yaml", help="proposed plan")
    add_book(bt)
    bt.add_argument("--year", type=year, required=True, metavar="Y", help="year paid")
    bt.add_argument("--out", type=Path, metavar="FILE.csv", help="per-rep table to write")
    bt.add_argument("--force", action="store_true", help=_FORCE_HELP)
    bt.add_argument("--scores", type=Path, metavar="SCORES.csv", help=_SCORES_HELP)
    add_quotas(bt)


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


# ---------------------------------------------------------------- quotas from a file

#: What a quotas file is, for the help of every command that reads one.
QUOTAS_HELP = (
    "the year's quotas from a CSV (columns rep_id, period YYYY-MM, quota; one row per rep and "
    "month, as 'spm-sim quotas --out' writes it); default: set from the book's history, last "
    "year's bookings with no growth, which needs a full year of deals before the year"
)
#: The library's advice to a Python caller, and what a command-line user does instead.
_PYTHON_ADVICE = "pass quotas=Quotas(...)"
_CLI_ADVICE = "give --quotas FILE (rep_id, period, quota, as 'spm-sim quotas --out' writes it)"


def add_quotas(parser: argparse.ArgumentParser) -> None:
    """``--quotas FILE``: the year's quotas from a CSV (:func:`read_quotas`)."""
    parser.add_argument("--quotas", type=Path, metavar="QUOTAS.csv", help=QUOTAS_HELP)


def read_quotas(path: Path, year: int, *, use: str = "the year paid") -> Any:
    """A quotas CSV (``rep_id, period, quota``, one row per rep and month) as ``Quotas``.

    The one reader of ``--quotas`` for every command (``payouts``, ``backtest``,
    ``track``). Every rep needs the twelve months of ``year``; each quota a number
    >= 0. Errors name the file, the line, the column and the value; ``use`` says
    what ``year`` is to the command. The returned ``basis`` frame holds each rep's
    first line in the file (``line``), so later checks can point at it.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "q.csv"
    >>> rows = "".join(f"R001,2025-{m:02d},100\\n" for m in range(1, 13))
    >>> _ = f.write_text("rep_id,period,quota\\n" + rows)
    >>> read_quotas(f, 2025).values.sum()
    np.float64(1200.0)
    >>> _ = f.write_text("rep_id,period,quota\\nR001,2024-01,100\\n")
    >>> read_quotas(f, 2025)   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: ...q.csv, row 2, column 'period': '2024-01' must be a month of 2025...
    """
    import numpy as np
    import pandas as pd

    from spm_sim.quota import Quotas, QuotaSettings

    try:
        frame = pd.read_csv(path, dtype={"rep_id": str, "period": str}, skip_blank_lines=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read the quotas file: {exc}", file=path) from None
    for col in ("rep_id", "period", "quota"):
        if col not in frame.columns:
            raise DataError(
                f"no column {col!r}; a quotas file has rep_id, period (YYYY-MM) and quota, one "
                "row per rep and month (as 'spm-sim quotas --out' writes it)",
                file=path,
            )
    frame["rep_id"] = frame["rep_id"].fillna("").astype(str).str.strip()
    frame["period"] = frame["period"].fillna("").astype(str).str.strip()
    periods = [f"{year}-{m:02d}" for m in range(1, 13)]
    values = pd.to_numeric(frame["quota"], errors="coerce")
    for i in range(len(frame)):
        line = i + 2
        if not frame["rep_id"].iloc[i]:
            raise DataError(
                "is empty; every row needs the rep's id as in reps.csv",
                file=path, row=line, column="rep_id", value="",
            )  # fmt: skip
        if frame["period"].iloc[i] not in periods:
            raise DataError(
                f"{frame['period'].iloc[i]!r} must be a month of {year} written YYYY-MM ({use})",
                file=path, row=line, column="period", value=frame["period"].iloc[i],
            )  # fmt: skip
        v = values.iloc[i]
        if not (np.isfinite(v) and 0 <= v <= 1e12):
            raise DataError(
                f"{frame['quota'].iloc[i]!r} must be a quota from 0 to 1e12 in the plan's currency",
                file=path, row=line, column="quota", value=frame["quota"].iloc[i],
            )  # fmt: skip
    dup = frame.duplicated(["rep_id", "period"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            "this rep and month appear twice; give one quota per rep and month",
            file=path, row=i + 2, column="period", value=frame["period"].iloc[i],
        )  # fmt: skip
    if frame.empty:
        raise DataError(f"holds no quota; give one row per rep and month of {year}", file=path)
    table = (
        frame.assign(quota=values).pivot(index="rep_id", columns="period", values="quota")
    ).reindex(columns=periods)
    missing = table.isna().any(axis=1)
    if missing.any():
        rep = str(table.index[missing.to_numpy()][0])
        gone = [p for p in periods if pd.isna(table.loc[rep, p])]
        raise DataError(
            f"rep {rep!r} has no quota for {', '.join(gone)}; give every rep the twelve months of "
            f"{year} (0 for a month without quota)",
            file=path,
        )
    first_line = frame.reset_index().drop_duplicates("rep_id").set_index("rep_id")["index"] + 2
    order = list(first_line.index)
    table = table.loc[order]
    basis = pd.DataFrame({"rep_id": order, "line": first_line.to_numpy(int)})
    basis.attrs["file"] = str(path)
    return Quotas(
        rep_ids=tuple(order),
        periods=tuple(periods),
        values=table.to_numpy(float),
        company_target=float(table.to_numpy(float).sum()),
        settings=QuotaSettings(),
        basis=basis,
    )


def check_quota_reps(quotas: Any, book: Any, path: Path) -> None:
    """Refuse a quotas file naming a rep the book does not have, with the file's line.

    Examples
    --------
    >>> import tempfile
    >>> from spm_sim.book import load_sample
    >>> f = Path(tempfile.mkdtemp()) / "q.csv"
    >>> rows = "".join(f"R1O1,2025-{m:02d},100\\n" for m in range(1, 13))
    >>> _ = f.write_text("rep_id,period,quota\\n" + rows)
    >>> check_quota_reps(read_quotas(f, 2025), load_sample(), f)   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: ...q.csv, row 2, column 'rep_id': rep 'R1O1' is not in reps.csv...
    """
    known = set(book.reps["rep_id"].astype(str))
    basis = quotas.basis
    lines = dict(zip(basis["rep_id"], basis["line"], strict=True)) if "line" in basis else {}
    unknown = [r for r in quotas.rep_ids if r not in known]
    if unknown:
        more = f" ({len(unknown)} such reps)" if len(unknown) > 1 else ""
        raise DataError(
            f"rep {unknown[0]!r} is not in reps.csv of book {book.name!r}{more}; check the id, or "
            "add the rep to reps.csv",
            file=path, row=int(lines.get(unknown[0], 0)) or None, column="rep_id",
            value=unknown[0],
        )  # fmt: skip


def cli_advice(exc: DataError) -> DataError:
    """The library's error with its Python advice (``quotas=Quotas(...)``) said as a
    command-line user acts on it (``--quotas FILE``); other errors come back as they are.

    Examples
    --------
    >>> str(cli_advice(DataError("no quota. To pay 2025 on quotas set another way, "
    ...                          "pass quotas=Quotas(...).")))   # doctest: +ELLIPSIS
    "no quota. To pay 2025 on quotas set another way, give --quotas FILE ..."
    """
    import re

    text = str(exc)
    if _PYTHON_ADVICE not in text:
        return exc
    short = re.match(r"history too short for .*? \(([0-9-]+) to ([0-9-]+)\); (.*?)\. ", text)
    if short:
        since, end, has = short.groups()
        return DataError(
            f"quotas are set from last year's bookings, so a full year of closed-won deals "
            f"before the year is needed ({since} to {end}); {has}. Export a longer period from "
            f"the CRM (from {since} at least), or {_CLI_ADVICE}."
        )
    return DataError(text.replace(_PYTHON_ADVICE, _CLI_ADVICE))


def quotas_option(args: argparse.Namespace, book: Any, year: int) -> Any:
    """The ``--quotas`` file read and checked against ``book`` (None without it)."""
    if getattr(args, "quotas", None) is None:
        return None
    quotas = read_quotas(args.quotas, year)
    check_quota_reps(quotas, book, args.quotas)
    return quotas


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


def _check_quota_file(args: argparse.Namespace) -> None:
    if args.quotas is not None and not Path(args.quotas).is_file():
        raise SpmSimError(
            f"--quotas {args.quotas}: no such file; give a CSV of rep_id, period, quota (as "
            "'spm-sim quotas --out' writes it)"
        )


def cmd_payouts(args: argparse.Namespace) -> int:
    """Run ``spm-sim payouts``."""
    from spm_sim.actuals import ActualPayouts, actual_payouts, statement
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan

    files = None
    if args.out is not None:
        files = ActualPayouts.payroll_files(args.out)
        check_outputs(
            list(files.values()), force=args.force, inputs=(args.plan, args.scores, args.quotas)
        )
    _check_quota_file(args)
    book = load_book_ref(args.book)
    print(wrap_lines(_book_line(args.book, book)))
    plan = load_plan(args.plan)
    quotas = quotas_option(args, book, args.year)
    try:
        actual = actual_payouts(book, plan, args.year, scores=_scores(args.scores), quotas=quotas)
    except DataError as exc:
        raise cli_advice(exc) from None
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
        check_outputs(
            [args.out],
            force=args.force,
            inputs=(args.plan_a, args.plan_b, args.scores, args.quotas),
        )
    _check_quota_file(args)
    book = load_book_ref(args.book)
    print(wrap_lines(_book_line(args.book, book)))
    plan_a, plan_b = load_plan(args.plan_a), load_plan(args.plan_b)
    quotas = quotas_option(args, book, args.year)
    try:
        result = backtest(
            book, plan_a, plan_b, args.year, scores=_scores(args.scores), quotas=quotas
        )
    except DataError as exc:
        raise cli_advice(exc) from None
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
