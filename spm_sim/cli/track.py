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

from .actuals import check_quota_reps, cli_advice, read_quotas
from .args import MAX_COMPANY_TARGET, add_book, add_seed, add_trials, count, show_progress
from .places import Input, check_memory, output_folder, overwritten_inputs, place_problem
from .table import format_table, plural, wrap_lines

if TYPE_CHECKING:
    import pandas as pd

    from spm_sim.track import Forecast

__all__ = ["add_track_parser", "cmd_track", "FILES", "target_amount", "EXAMPLE_RESPONSE"]

#: The shipped scenario with the reps' response to a SPIFF or contest.
EXAMPLE_RESPONSE = "data/scenarios/in_year_response.yaml"

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
        help="the year's quotas (columns rep_id, period YYYY-MM, quota; as 'spm-sim quotas "
        "--out' writes them); default: last year's bookings, no growth, as 'spm-sim payouts' "
        "sets them. A rep in the file hired after --as-of is left out until hired, with a note",
    )
    p.add_argument(
        "--target",
        type=target_amount,
        metavar="AMOUNT",
        help="the company's own number for the year, e.g. 120M or 120,000,000 (default: the "
        "sum of the reps' quotas)",
    )
    p.add_argument(
        "--payday",
        type=count(1, 31, " (a day of the month)"),
        default=15,
        metavar="DAY",
        help="the day of the following month on which a month's commissions are paid "
        "(default 15; the month's last day when it is shorter): a month's earnings are owed "
        "until then, paid after",
    )
    p.add_argument(
        "--scenario",
        type=Path,
        metavar="S.yaml",
        help="a scenario whose behaviour block, contest response (programmes.contest) and engine "
        "apply from the as-of month (its book and plan are not used: --book and --plan are); "
        f"for a --proposal, {EXAMPLE_RESPONSE} models the reps' response to a SPIFF or contest",
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
        "against --plan, on the same random numbers, go to proposal.csv. The bookings move "
        "only under a --scenario with a programmes.contest response (e.g. --scenario "
        f"{EXAMPLE_RESPONSE}); without one the figure is the proposal's cost alone",
    )
    add_trials(p, f"simulated rests of the year (default {DEFAULT_TRIALS:,})", DEFAULT_TRIALS)
    add_seed(p, "seed of the draws (default 0): the same seed gives the same numbers", 0)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="run folder to write")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print only the paths written (no summary)"
    )


# --------------------------------------------------------------------------- inputs


def target_amount(text: str) -> float:
    """``--target``: money with an optional K, M or B suffix and thousands separators.

    Examples
    --------
    >>> target_amount("120M"), target_amount("$1.5B"), target_amount("120,000,000")
    (120000000.0, 1500000000.0, 120000000.0)
    """
    import math
    import re

    raw = str(text).strip()
    m = re.fullmatch(r"[$€£]?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([kKmMbB]?)", raw)
    if not m:
        raise argparse.ArgumentTypeError(
            f"must be an amount such as 120M, 1.2B or 120,000,000; got {text!r}"
        )
    scale = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}[m.group(2).lower()]
    value = float(m.group(1).replace(",", "")) * scale
    if not (math.isfinite(value) and 1.0 <= value <= MAX_COMPANY_TARGET):
        raise argparse.ArgumentTypeError(
            f"must be an amount from 1 to {MAX_COMPANY_TARGET:.0e}; got {text!r}"
        )
    return value


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


def _quotas(args: argparse.Namespace, book: Any, day: Any, year: int) -> tuple[Any, list[str]]:
    """The ``--quotas`` file for the as-of book, and notes on the reps it leaves out.

    A rep the book does not know is an error (a typo); a rep hired after the as-of
    date is not known yet at that date, so the run leaves them out until their hire
    date, and says so.
    """
    import numpy as np
    import pandas as pd

    if args.quotas is None:
        return None, []
    quotas = read_quotas(args.quotas, year, use="the year tracked")
    check_quota_reps(quotas, book, args.quotas)
    hired = pd.to_datetime(
        book.reps.set_index(book.reps["rep_id"].astype(str))["hire_date"], errors="coerce"
    )
    later = [r for r in quotas.rep_ids if pd.notna(hired.get(r)) and hired[r] > day]
    if not later:
        return quotas, []
    keep = np.array([r not in later for r in quotas.rep_ids])
    if not keep.any():
        raise DataError(
            f"every rep in the quotas file is hired after {day:%Y-%m-%d}; track a date after "
            "their hire dates",
            file=args.quotas,
        )
    values = np.asarray(quotas.values, float)
    left_out = float(values[~keep].sum())
    kept = dataclasses.replace(
        quotas,
        rep_ids=tuple(r for r, k in zip(quotas.rep_ids, keep, strict=True) if k),
        values=values[keep],
        company_target=float(values[keep].sum()),
        basis=quotas.basis[keep].reset_index(drop=True),
    )
    who = ", ".join(f"{r} (hired {hired[r]:%Y-%m-%d})" for r in later[:5])
    more = f" and {len(later) - 5} more" if len(later) > 5 else ""
    note = (
        f"{plural(len(later), 'rep')} in {Path(args.quotas).name} not yet hired on "
        f"{day:%Y-%m-%d} left out of this run until their hire date: {who}{more}; their "
        f"{_money(left_out, book.currency)} of quota is not in the target."
    )
    return kept, [note]


def _check_history(book: Any, year: int, has_quotas: bool) -> None:
    """Refuse, before any work, a book without the year of deals the forecast needs.

    The reps' deal rates and sizes are fitted on the deals before the year tracked;
    without ``--quotas`` the quotas are set from them too (last year's bookings).
    """
    import pandas as pd

    dates = pd.to_datetime(book.bookings["date"], errors="coerce").dropna()
    first = pd.Timestamp(year=year - 1, month=1, day=1)
    start = pd.Timestamp(year=year, month=1, day=1)
    before = dates[dates < start]
    enough = len(before) and (has_quotas or before.min() <= first + pd.Timedelta(days=31))
    if enough:
        return
    span = (
        f"has bookings from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
        if len(dates)
        else "has no bookings"
    )
    uses = "to fit the reps' deal rates and sizes"
    if not has_quotas:
        uses += " and to set their quotas (last year's bookings, no growth)"
    fix = "" if has_quotas else " and give --quotas FILE for your own quotas if you have them"
    raise DataError(
        f"spm-sim track needs a full year of closed-won deals before {year} "
        f"({first:%Y-%m-%d} to {start - pd.Timedelta(days=1):%Y-%m-%d}) {uses}; book "
        f"{book.name!r} {span}. Export a longer period from the CRM (from {first:%Y-%m-%d} at "
        f"least){fix}."
    )


def _quota_change(previous_folder: Path | None, fc: Forecast) -> dict[str, float] | None:
    """How the year's quotas differ from those of the ``--previous`` run (its
    forecast_reps.csv), or None when that run did not write them."""
    import numpy as np
    import pandas as pd

    if previous_folder is None:
        return None
    path = Path(previous_folder) / FILES["reps"]
    try:
        then = pd.read_csv(path, dtype={"rep_id": str}, usecols=["rep_id", "quota"])
    except (OSError, ValueError):
        return None
    now = pd.Series(np.asarray(fc.quotas, float).sum(axis=1), index=list(fc.rep_ids))
    then = then.set_index("rep_id")["quota"].astype(float)
    both = now.index.intersection(then.index)
    diff = now[both] - then[both]
    moved = diff.abs() > 0.005
    return {"reps": int(moved.sum()), "change": float(diff.sum()), "compared": len(both)}


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
    made = fc.made_quota.sum(axis=0)
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

    The actual-payout kernel on the book as of the date, on the forecast's own
    quotas (``quotas`` when given, else those the forecast set); the months after the
    as-of month are not yet due (0), and the control totals list them as months
    without data. Its cents equal ``fc.paid_to_date``.
    """
    import numpy as np
    import pandas as pd

    from spm_sim.actuals import actual_payouts
    from spm_sim.book import as_of
    from spm_sim.quota import Quotas, QuotaSettings

    if quotas is None:  # the quotas the forecast paid on, not set again here
        values = np.asarray(fc.quotas, dtype=float)
        quotas = Quotas(
            rep_ids=tuple(fc.rep_ids),
            periods=tuple(fc.periods),
            values=values,
            company_target=float(values.sum()),
            settings=QuotaSettings(),
            basis=pd.DataFrame({"rep_id": list(fc.rep_ids)}),
        )

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
    from spm_sim.report.tracking import chance_text, warning_counts

    cur = fc.currency
    v = figures["value"]
    reps, employed = int(v["reps"]), int(v.get("reps_employed", v["reps"]))
    on = f"{plural(reps, 'rep')} on quota this year" + (
        f", {employed} employed at the date" if employed != reps else ""
    )
    head = (
        f"Tracking {fc.year} under plan {fc.plan.name!r} as of {fc.as_of:%Y-%m-%d}: "
        f"{on}, {fc.n_trials:,} simulated rests of the year (seed {fc.seed_entropy})."
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
            if unit == "share":
                return format_pct(x, decimals=2 if abs(x) < 0.1 else 1)
            if unit == "probability":
                return chance_text(x)
            return f"{x:,.1f}" if x != round(x) else f"{int(x):,}"

        known = r["low"] == r["high"] or not np.isfinite(r["low"])
        if unit == "probability" and not known:
            iv = chance_text(r["value"], r["low"], r["high"]).split(" (", 1)[-1].rstrip(")")
        else:
            iv = "known" if known else f"{fmt(r['low'])} to {fmt(r['high'])}"
        return [str(r["figure"]), fmt(r["value"]), iv]

    keys = [
        "bookings_to_date", "target", "quota_total", "bookings_p10", "bookings_p50",
        "bookings_p90", "p_target", "reps_at_quota", "cost_mean", "cost_p10", "cost_p90",
        "target_incentive", "cost_share_of_ti", "cost_of_sales", "paid", "owed", "to_accrue",
    ]  # fmt: skip
    keys = [k for k in keys if k in figures.index]
    lines.append(format_table(["Company", "Value", "95% interval"], [cell(k) for k in keys]))
    lines.append("")
    top = board.head(5)
    rows = []
    for r in top.itertuples(index=False):
        label = getattr(r, "position_label", "") or "-"
        left = getattr(r, "left_on", "")
        rows.append(
            [
                f"{label}. {r.rep_name} ({r.rep_id})" + (f", left {left}" if left else ""),
                format_pct(r.attainment_to_date, decimals=0),
                format_pct(r.pace, decimals=0),
                chance_text(r.p_quota, r.p_quota_low, r.p_quota_high),
            ]
        )
    lines.append(
        format_table(
            ["Top of the leaderboard", "Of quota", "Pace to date", "Chance of quota (95%)"], rows
        )
    )
    lines.append(
        wrap_lines(
            "Ranked by attainment to date (ties by bookings). Pace to date: bookings to date "
            "over the quota due to date (100% is on pace); not a projection."
        )
    )
    lines.append("")
    lines.append(
        wrap_lines(f"Early warnings: {warning_counts(warnings)}; each in {FILES['warnings']}.")
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command


def cmd_track(args: argparse.Namespace) -> int:
    """Run ``spm-sim track``; returns the exit status."""
    from spm_sim.book import load_book_ref
    from spm_sim.comp import load_plan
    from spm_sim.report.tracking import (
        company_figures,
        contest_pipeline,
        ranked_board,
        reps_left,
        tracking_summary,
        write_tracking_report,
    )
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
    quotas, quota_notes = _quotas(args, book, day, year)
    _check_history(book, year, quotas is not None)
    n_cols = len(plan.components) + len(plan.measures) + 4
    check_memory(
        "--trials",
        args.trials,
        unit_bytes=(2 if proposed is not None else 1) * 3 * 12 * 8 * n_cols * len(book.reps),
        unit=f"{plural(len(book.reps), 'rep')} x 12 months per trial",
    )
    if not args.quiet:
        print(wrap_lines(_book_line(args.book, book)))
        for text in quota_notes:
            print(wrap_lines(f"Note: {text}"))
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
        try:
            fc = forecast(
                book, plan, day, quotas=quotas, trials=args.trials, rng=args.seed,
                scenario=scenario, progress=progress,
            )  # fmt: skip
            effect = None
            if proposed is not None:
                effect = proposal_effect(
                    book, plan, proposed, day, scenario=scenario, trials=args.trials,
                    rng=args.seed, quotas=quotas, progress=progress,
                )  # fmt: skip
        except DataError as exc:
            raise cli_advice(exc) from None
        table = accruals(fc, payday=args.payday)
        left = reps_left(book, fc)
        board = ranked_board(leaderboard(fc), left)
        contests = contest_pipeline(fc, contest_standings(fc))
        warnings = early_warnings(fc)
        changes = compare_accruals(table, previous) if previous is not None else None
        quota_change = _quota_change(args.previous, fc)
        figures = company_figures(
            fc, table, target=args.target, target_source=_target_source(args, year, fc), left=left
        )
        written = _write_tables(
            folder, book, fc, quotas, table, board, contests, warnings, changes, effect, figures,
            payday=args.payday,
        )  # fmt: skip
        report = write_tracking_report(
            fc, folder / FILES["report"], table=table, board=board, contests=contests,
            warnings=warnings, changes=changes, proposal=effect, figures=figures,
            notes=quota_notes, scenario=scenario, quota_change=quota_change, left=left,
        )  # fmt: skip
        sentences = tracking_summary(
            fc, figures, table, warnings, changes=changes, proposal=effect, scenario=scenario,
            quota_change=quota_change, left=left,
        )  # fmt: skip
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


def _target_source(args: argparse.Namespace, year: int, fc: Forecast) -> str:
    """Where the target comes from, in words."""
    if args.target is not None:
        quota = float(fc.quotas.sum())
        return (
            f"the company's number, --target; the reps' quotas sum to {_money(quota, fc.currency)}"
        )
    if args.quotas is not None:
        return f"the sum of the reps' quotas in {Path(args.quotas).name}"
    return (
        f"the sum of the reps' quotas, set from {year - 1}'s bookings with no growth because "
        "--quotas was not given"
    )


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
    folder: Path, book, fc, quotas, table, board, contests, warnings, changes, effect, figures,
    *, payday: int = 15,
) -> list[Path]:  # fmt: skip
    from spm_sim._files import write_csv
    from spm_sim.report.tracking import tidy_numbers
    from spm_sim.track import accruals_by_rep, save_accruals

    out: list[Path] = []
    cur = fc.currency

    def csv(key: str, frame: pd.DataFrame) -> None:
        path = folder / FILES[key]
        write_csv(tidy_numbers(frame, cur), path)
        out.append(path)

    csv("reps", rep_table(fc))
    csv("company", figures.reset_index())
    csv("months", month_table(fc))
    csv("leaderboard", board)
    if len(contests):
        csv("contests", contests)
    out.append(save_accruals(tidy_numbers(table, cur), folder / FILES["accruals"]))
    by_rep = tidy_numbers(accruals_by_rep(fc, by="year", payday=payday), cur)
    out.append(save_accruals(by_rep, folder / FILES["accruals_reps"]))
    if changes is not None:
        csv("changes", changes)
    csv("warnings", warnings)
    if effect is not None:
        csv("proposal", effect.table)
    paid = payroll_to_date(book, fc, quotas)
    paid.to_payroll_csv(folder / FILES["payroll"])
    out += list(paid.payroll_files(folder / FILES["payroll"]).values())
    return out
