"""``spm-sim track``: the year in progress at a date, for finance and sales leaders
(a sub-command of :mod:`spm_sim.cli`).

::

    spm-sim track --book data/sample-2025-06-30 --as-of 2025-06-30 \\
        --plan data/plans/baseline.yaml --out tracking/2025-06-30
    spm-sim track --book data/sample --as-of 2025-07-31 --plan data/plans/baseline.yaml \\
        --previous tracking/2025-06-30 --proposal data/plans/q4_spiff.yaml --out tracking/2025-07-31

It reads the book as it was known at the end of ``--as-of``, pays the year to date
through the payroll's kernel, draws the rest of the year
(:func:`spm_sim.track.forecast`) and writes into ``--out``: the per-rep forecast,
the company's figures and months, the leaderboard, the contest standings, the
accruals (with the JSON sidecar a later run's ``--previous`` reads), their change
since ``--previous``, the early warnings, the payroll to date (the three files of
``spm-sim payouts``), the proposal's effect, ``tracking.html`` and
``manifest.json``. The console shows page one in words. Every input is checked
before the long work: a date outside the book or the year, a plan for a role the
book lacks, a previous run of another plan or year, an output over an input are
each one ``spm-sim: error:`` line (exit 2).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spm_sim.errors import DataError, SpmSimError

from .args import add_book, add_seed, add_trials, show_progress
from .places import Input, check_memory, output_folder, overwritten_inputs, place_problem
from .table import format_table, plural, wrap_lines

if TYPE_CHECKING:
    import pandas as pd

    from spm_sim.track import Forecast

__all__ = ["add_track_parser", "cmd_track", "read_quotas", "FILES"]

#: Trials when ``--trials`` is not given.
DEFAULT_TRIALS = 2000
#: What the run folder holds (the payroll files, contests, changes and proposal only
#: when they apply).
FILES = {
    "reps": "forecast_reps.csv",
    "company": "company.csv",
    "months": "company_months.csv",
    "leaderboard": "leaderboard.csv",
    "contests": "contests.csv",
    "accruals": "accruals.csv",
    "accruals_reps": "accruals_reps.csv",
    "changes": "accrual_changes.csv",
    "warnings": "warnings.csv",
    "payroll": "payroll_to_date.csv",
    "proposal": "proposal.csv",
    "report": "tracking.html",
}


def add_track_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spm-sim track``."""
    p = sub.add_parser(
        "track",
        help="the year in progress at a date: forecast, accruals, leaderboard, warnings",
        description="Read the book as known at the end of --as-of, pay the year to date as the "
        "payroll does, and forecast the rest of the year from the open pipeline (calibrated on "
        "the book's own opportunity history) and new business (each rep's rate updated on the "
        "year to date). Writes the per-rep forecast, leaderboard, contest standings, accruals "
        "(and their change since --previous), early warnings, the payroll to date, the effect "
        "of a --proposal, tracking.html and manifest.json into --out.",
    )
    add_book(p)
    p.add_argument(
        "--as-of",
        dest="as_of",
        required=True,
        metavar="DATE",
        help="the last day known, YYYY-MM-DD (inclusive); the year tracked is its year",
    )
    p.add_argument("--plan", type=Path, required=True, metavar="PLAN.yaml", help="plan in force")
    p.add_argument(
        "--quotas",
        type=Path,
        metavar="QUOTAS.csv",
        help="the year's quotas (columns rep_id, period YYYY-MM, quota; as 'spm-sim quotas' "
        "writes them); default: last year's bookings, no growth, as 'spm-sim payouts' sets them",
    )
    p.add_argument(
        "--scenario",
        type=Path,
        metavar="S.yaml",
        help="a scenario whose behaviour block, contest response and engine apply from the "
        "as-of month (its book and plan are not used: --book and --plan are)",
    )
    p.add_argument(
        "--previous",
        type=Path,
        metavar="RUN_DIR",
        help="an earlier 'spm-sim track' folder of the same plan and year: the accruals' "
        "change since then is written to accrual_changes.csv",
    )
    p.add_argument(
        "--proposal",
        type=Path,
        metavar="PLAN2.yaml",
        help="the plan with a proposed SPIFF or contest: its cost and effect on bookings "
        "against --plan, on the same random numbers, go to proposal.csv",
    )
    add_trials(p, f"simulated rests of the year (default {DEFAULT_TRIALS:,})", DEFAULT_TRIALS)
    add_seed(p, "seed of the draws (default 0): the same seed gives the same numbers", 0)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="run folder to write")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print only the paths written (no summary)"
    )


# --------------------------------------------------------------------------- inputs


def read_quotas(path: Path, year: int) -> Any:
    """A quotas CSV (``rep_id, period, quota``, one row per rep and month) as ``Quotas``.

    Every rep needs the twelve months of ``year``; each quota a number >= 0. Errors
    name the file, the line, the column and the value.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "q.csv"
    >>> rows = "".join(f"R001,2025-{m:02d},100\\n" for m in range(1, 13))
    >>> _ = f.write_text("rep_id,period,quota\\n" + rows)
    >>> read_quotas(f, 2025).values.sum()
    np.float64(1200.0)
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
    periods = [f"{year}-{m:02d}" for m in range(1, 13)]
    values = pd.to_numeric(frame["quota"], errors="coerce")
    for i in range(len(frame)):
        line = i + 2
        if frame["period"].iloc[i] not in periods:
            raise DataError(
                f"must be a month of {year} written YYYY-MM (the year tracked)",
                file=path, row=line, column="period", value=frame["period"].iloc[i],
            )  # fmt: skip
        v = values.iloc[i]
        if not (np.isfinite(v) and 0 <= v <= 1e12):
            raise DataError(
                "must be a quota from 0 to 1e12 in the plan's currency",
                file=path, row=line, column="quota", value=frame["quota"].iloc[i],
            )  # fmt: skip
    dup = frame.duplicated(["rep_id", "period"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            "this rep and month appear twice; give one quota per rep and month",
            file=path, row=i + 2, column="period", value=frame["period"].iloc[i],
        )  # fmt: skip
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
    order = list(dict.fromkeys(frame["rep_id"]))
    table = table.loc[order]
    return Quotas(
        rep_ids=tuple(order),
        periods=tuple(periods),
        values=table.to_numpy(float),
        company_target=float(table.to_numpy(float).sum()),
        settings=QuotaSettings(),
        basis=pd.DataFrame({"rep_id": order}),
    )


def _check_places(args: argparse.Namespace) -> None:
    """Files read that the option checks of :mod:`spm_sim.cli.app` do not know of."""
    read = [
        Input(role, Path(p).expanduser().resolve())
        for role, p in (
            ("--previous", args.previous),
            ("--quotas", args.quotas),
            ("--proposal", args.proposal),
        )
        if p is not None
    ]
    problems = overwritten_inputs([("--out", args.out, args.out)], read)
    if args.previous is not None:
        prev = Path(args.previous).expanduser().resolve()
        if Path(args.out).expanduser().resolve() in prev.parents:
            problems.append(
                f"--out {args.out}: holds --previous {args.previous}; write the new run beside it"
            )
    if problems:
        raise SpmSimError("; ".join(problems))
    problem = place_problem(args.out, "folder")
    if problem:
        raise SpmSimError(f"--out {args.out}: {problem}")
    for flag, p in (("--quotas", args.quotas), ("--proposal", args.proposal)):
        if p is not None and not Path(p).is_file():
            raise SpmSimError(f"{flag} {p}: no such file")


def _previous(args: argparse.Namespace) -> pd.DataFrame | None:
    """The accruals of the ``--previous`` run (read before any work)."""
    if args.previous is None:
        return None
    from spm_sim.track import read_accruals

    folder = Path(args.previous)
    if not folder.is_dir():
        raise SpmSimError(
            f"--previous {folder}: not a folder; give the --out folder of an earlier "
            "'spm-sim track' run"
        )
    if not (folder / FILES["accruals"]).is_file():
        raise SpmSimError(
            f"--previous {folder}: holds no {FILES['accruals']}; give the --out folder of an "
            "earlier 'spm-sim track' run"
        )
    return read_accruals(folder / FILES["accruals"])


def _check_previous(previous: pd.DataFrame | None, plan: Any, year: int, day: Any) -> None:
    if previous is None:
        return
    a = previous.attrs
    said = f"plan {a.get('plan')!r}, year {a.get('year')}, as of {a.get('as_of')}"
    if str(a.get("plan")) != plan.name or int(a.get("year", -1)) != year:
        raise SpmSimError(
            f"--previous is a run of {said}; this run tracks plan {plan.name!r} in {year}: "
            "compare runs of the same plan and year (or leave out --previous)"
        )
    if str(a.get("currency")) != plan.currency:
        raise SpmSimError(
            f"--previous is in {a.get('currency')}, this plan pays in {plan.currency}; compare "
            "runs in the same currency"
        )


def _book_line(ref: str, book: Any) -> str:
    from spm_sim.book import SAMPLE_BOOK

    if str(ref) == SAMPLE_BOOK:
        return (
            f"Book: sample book {book.name!r}, the fictional data shipped with spm-sim, because "
            "--book was not given; pass --book DIR to use your own."
        )
    return f"Book: {book.name!r} ({ref})"


# --------------------------------------------------------------------------- tables


def rep_table(fc: Forecast, level: float = 0.95) -> pd.DataFrame:
    """The per-rep forecast: year-end bookings, attainment and payout P10/P50/P90,
    the chance of quota with its Wilson interval, paid to date."""
    import numpy as np
    import pandas as pd

    from spm_sim.metrics import proportion_interval

    year_end = fc.bookings.sum(axis=2)
    att = fc.attainment
    pay = fc.payout.total
    quota = fc.quotas.sum(axis=1)
    frame = pd.DataFrame(
        {
            "rep_id": list(fc.rep_ids),
            "name": list(fc.rep_names),
            "region": list(fc.regions) if fc.regions else "",
            "currency": fc.currency,
            "quota": quota,
            "bookings_to_date": fc.actual.sum(axis=1),
            "pipeline_expected": fc.from_pipeline.sum(axis=2).mean(axis=0),
            "new_business_expected": fc.new_business.sum(axis=2).mean(axis=0),
        }
    )
    for q in (10, 50, 90):
        frame[f"bookings_p{q}"] = np.percentile(year_end, q, axis=0)
    with np.errstate(invalid="ignore"):
        for q in (10, 50, 90):
            frame[f"attainment_p{q}"] = (
                np.nanpercentile(att, q, axis=0) if np.isfinite(att).any() else np.nan
            )
    made = (att >= 1.0 - 1e-12).sum(axis=0)
    ivs = [
        proportion_interval(float(k), fc.n_trials, level=level) if quota[r] > 0 else None
        for r, k in enumerate(made)
    ]
    frame["p_quota"] = [iv.estimate if iv else np.nan for iv in ivs]
    frame["p_quota_low"] = [iv.low if iv else np.nan for iv in ivs]
    frame["p_quota_high"] = [iv.high if iv else np.nan for iv in ivs]
    frame["paid_to_date"] = np.asarray(fc.paid_to_date).sum(axis=(1, 2))
    frame["payout_expected"] = pay.mean(axis=0)
    for q in (10, 50, 90):
        frame[f"payout_p{q}"] = np.percentile(pay, q, axis=0)
    return frame


def month_table(fc: Forecast) -> pd.DataFrame:
    """The company's bookings per month: actual, and the forecast's mean and P10/P50/P90."""
    import numpy as np
    import pandas as pd

    from spm_sim.track import month_status

    monthly = fc.bookings.sum(axis=1)  # (trials, 12)
    cum = np.cumsum(monthly, axis=1)
    return pd.DataFrame(
        {
            "period": list(fc.periods),
            "status": month_status(fc.year, fc.as_of),
            "currency": fc.currency,
            "actual": fc.actual.sum(axis=0),
            "expected": monthly.mean(axis=0),
            "p10": np.percentile(monthly, 10, axis=0),
            "p50": np.percentile(monthly, 50, axis=0),
            "p90": np.percentile(monthly, 90, axis=0),
            "cumulative_p10": np.percentile(cum, 10, axis=0),
            "cumulative_p50": np.percentile(cum, 50, axis=0),
            "cumulative_p90": np.percentile(cum, 90, axis=0),
        }
    )


def payroll_to_date(book: Any, fc: Forecast, quotas: Any = None) -> Any:
    """The payroll of the year through the as-of date, as ``spm-sim payouts`` writes it.

    The actual-payout kernel on the book as of the date; the months after the as-of
    month are not yet due (0), and the control totals list them as months without
    data. Its cents equal ``fc.paid_to_date``.
    """
    import numpy as np
    import pandas as pd

    from spm_sim.actuals import actual_payouts
    from spm_sim.book import as_of

    known = as_of(book, fc.as_of)
    # the months after the date have no data by construction; the payroll is told the
    # year is complete so it does not warn of them, and the data end is set back below
    whole = dataclasses.replace(known, snapshot_date=pd.Timestamp(year=fc.year, month=12, day=31))
    paid = actual_payouts(whole, fc.plan, fc.year, quotas=quotas)
    through = fc.months_known
    money = np.array(paid.payout.by_component, dtype=float)
    money[:, through:, :] = 0.0
    return dataclasses.replace(
        paid,
        payout=dataclasses.replace(paid.payout, by_component=money),
        data_end=fc.as_of,
        data_end_source="the as-of date",
    )


# --------------------------------------------------------------------------- console


def _money(x: float, cur: str) -> str:
    from spm_sim._format import format_money

    return format_money(float(x), currency=cur)


def _console(
    fc: Forecast,
    figures: pd.DataFrame,
    board: pd.DataFrame,
    warnings: pd.DataFrame,
    sentences: list[str],
) -> str:
    """Page one: the summary in words, the company's figures, the top of the board."""
    import numpy as np

    from spm_sim._format import format_pct

    cur = fc.currency
    head = (
        f"Tracking {fc.year} under plan {fc.plan.name!r} as of {fc.as_of:%Y-%m-%d}: "
        f"{plural(fc.n_reps, 'rep')} on quota, {fc.n_trials:,} simulated rests of the year "
        f"(seed {fc.seed_entropy})."
    )
    lines = [wrap_lines(head), ""]
    lines += [wrap_lines(f"- {s}") for s in sentences]
    lines.append("")

    def cell(key: str) -> list[str]:
        r = figures.loc[key]
        unit = str(r["unit"])

        def fmt(x: float) -> str:
            if not np.isfinite(x):
                return "n/a"
            if unit == cur:
                return _money(x, cur)
            if unit in ("share", "probability"):
                return format_pct(x, decimals=0)
            return f"{x:,.1f}" if x != round(x) else f"{int(x):,}"

        iv = "known" if r["low"] == r["high"] else f"{fmt(r['low'])} to {fmt(r['high'])}"
        return [str(r["figure"]), fmt(r["value"]), iv]

    keys = [
        "bookings_to_date", "target", "bookings_p10", "bookings_p50", "bookings_p90",
        "p_target", "reps_at_quota", "cost_mean", "cost_p10", "cost_p90", "paid", "owed",
        "to_accrue",
    ]  # fmt: skip
    lines.append(format_table(["Company", "Value", "95% interval"], [cell(k) for k in keys]))
    lines.append("")
    top = board.head(5)
    rows = [
        [
            f"{int(r.rank_p_quota) if r.rank_p_quota == r.rank_p_quota else '-'}. "
            f"{r.rep_name} ({r.rep_id})",
            format_pct(r.attainment_to_date, decimals=0),
            format_pct(r.pace, decimals=0),
            f"{format_pct(r.p_quota, decimals=0)} ({format_pct(r.p_quota_low, decimals=0)} to "
            f"{format_pct(r.p_quota_high, decimals=0)})",
        ]
        for r in top.itertuples(index=False)
    ]
    lines.append(
        format_table(["Top of the leaderboard", "Of quota", "Pace", "Chance of quota (95%)"], rows)
    )
    lines.append("")
    kinds = warnings[warnings["level"] != "company"]["kind"].value_counts()
    what = ", ".join(f"{int(n)} {k}" for k, n in kinds.items())
    lines.append(
        wrap_lines(
            f"Early warnings: {len(warnings)}"
            + (f" ({what})" if what else "")
            + f"; each in {FILES['warnings']}."
        )
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command


def cmd_track(args: argparse.Namespace) -> int:
    """Run ``spm-sim track``; returns the exit status."""
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan
    from spm_sim.report.tracking import company_figures, tracking_summary, write_tracking_report
    from spm_sim.track import (
        accruals,
        compare_accruals,
        contest_standings,
        early_warnings,
        forecast,
        leaderboard,
        proposal_effect,
    )

    started = time.perf_counter()
    _check_places(args)
    previous = _previous(args)
    plan = load_plan(args.plan)
    proposed = load_plan(args.proposal) if args.proposal is not None else None
    scenario = None
    if args.scenario is not None:
        from spm_sim.scenario import load_scenario

        scenario = load_scenario(args.scenario)
    book = load_book_ref(args.book)
    day, year = _as_of(args.as_of)
    _check_previous(previous, plan, year, day)
    quotas = read_quotas(args.quotas, year) if args.quotas is not None else None
    n_cols = len(plan.components) + len(plan.measures) + 4
    check_memory(
        "--trials",
        args.trials,
        unit_bytes=(2 if proposed is not None else 1) * 3 * 12 * 8 * n_cols * len(book.reps),
        unit=f"{plural(len(book.reps), 'rep')} x 12 months per trial",
    )
    if not args.quiet:
        print(wrap_lines(_book_line(args.book, book)))
    progress = show_progress(args)
    inputs = [("book", Path(str(book.path)) if book.path else args.book), ("plan", args.plan)]
    inputs += [
        (role, p)
        for role, p in (
            ("quotas", args.quotas),
            ("scenario", args.scenario),
            ("previous", args.previous),
            ("proposal", args.proposal),
        )
        if p is not None
    ]
    with output_folder(args, args.out, chosen=True, inputs=inputs) as run:
        folder = run.path
        fc = forecast(
            book, plan, day, quotas=quotas, trials=args.trials, rng=args.seed,
            scenario=scenario, progress=progress,
        )  # fmt: skip
        table = accruals(fc)
        board = leaderboard(fc)
        contests = contest_standings(fc)
        warnings = early_warnings(fc)
        changes = compare_accruals(table, previous) if previous is not None else None
        effect = None
        if proposed is not None:
            effect = proposal_effect(
                book, plan, proposed, day, scenario=scenario, trials=args.trials,
                rng=args.seed, quotas=quotas, progress=progress,
            )  # fmt: skip
        figures = company_figures(fc, table)
        written = _write_tables(
            folder, book, fc, quotas, table, board, contests, warnings, changes, effect, figures
        )
        report = write_tracking_report(
            fc, folder / FILES["report"], table=table, board=board, contests=contests,
            warnings=warnings, changes=changes, proposal=effect, figures=figures,
        )  # fmt: skip
        sentences = tracking_summary(fc, figures, table, warnings, changes=changes, proposal=effect)
    if not args.quiet:
        print(_console(fc, figures, board, warnings, sentences))
        print(f"Done in {time.perf_counter() - started:.1f} s.")
    print(f"Folder: {folder.resolve()}")
    print(f"Report: {report.resolve()}")
    print("Tables:")
    for path in written:
        print(f"  {path.resolve()}")
    print(f"Manifest: {(folder / 'manifest.json').resolve()}")
    return 0


def _as_of(text: str) -> tuple[Any, int]:
    """The as-of date as a day and its year, refused with one line when it is not a date."""
    import pandas as pd

    day = pd.to_datetime(str(text).strip(), format="%Y-%m-%d", errors="coerce")
    if pd.isna(day):
        raise SpmSimError(
            f"--as-of {text!r} is not a date; write it as YYYY-MM-DD (for example 2025-06-30)"
        )
    return day.normalize(), int(day.year)


def _write_tables(
    folder: Path, book, fc, quotas, table, board, contests, warnings, changes, effect, figures
) -> list[Path]:
    from spm_sim._files import write_csv
    from spm_sim.track import accruals_by_rep, save_accruals

    out: list[Path] = []

    def csv(key: str, frame: pd.DataFrame) -> None:
        path = folder / FILES[key]
        write_csv(frame, path)
        out.append(path)

    csv("reps", rep_table(fc))
    csv("company", figures.reset_index())
    csv("months", month_table(fc))
    csv("leaderboard", board)
    if len(contests):
        csv("contests", contests)
    out.append(save_accruals(table, folder / FILES["accruals"]))
    out.append(save_accruals(accruals_by_rep(fc, by="year"), folder / FILES["accruals_reps"]))
    if changes is not None:
        csv("changes", changes)
    csv("warnings", warnings)
    if effect is not None:
        csv("proposal", effect.table)
    paid = payroll_to_date(book, fc, quotas)
    paid.to_payroll_csv(folder / FILES["payroll"])
    out += list(paid.payroll_files(folder / FILES["payroll"]).values())
    return out
