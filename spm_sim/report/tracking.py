"""The tracking report: a year in progress on one self-contained HTML page.

:func:`write_tracking_report` writes what :func:`spm_sim.track.forecast` and its
views say about the year at an as-of date, in the look of the scenario report
(:mod:`spm_sim.report.html`): inline CSS, figures as base64 PNG, no script, no
external request, no timestamp and no local path. Its first section says what to
decide first, in words written from the numbers (:func:`tracking_summary`); then
the company forecast with its fan figure, the accruals by month and quarter (and
their change since a previous run), the leaderboard, the contests, the early
warnings, a proposed SPIFF or contest, and the method.

:func:`company_figures` is the table of the company's figures behind the page (and
behind ``spm-sim track``'s console summary), each with its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import write_text
from spm_sim._format import format_money, format_pct
from spm_sim._provenance import package_version
from spm_sim.metrics import Interval, mean_interval, percentile_interval, proportion_interval
from spm_sim.track import (
    Forecast,
    ProposalEffect,
    accruals,
    contest_standings,
    early_warnings,
    leaderboard,
)

from .html import _CSS, _e, _figure, _kv_table, _table

__all__ = ["company_figures", "tracking_summary", "write_tracking_report", "next_accrual"]

#: The most rows a table of reps shows on the page (the CSV files hold them all).
MAX_ROWS = 60


def _known(iv: Interval, values: np.ndarray) -> Interval:
    if values.size and np.ptp(values) == 0.0:
        return Interval(iv.estimate, iv.estimate, iv.estimate)
    return iv


def company_figures(
    forecast: Forecast,
    table: pd.DataFrame | None = None,
    *,
    target: float | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """The company's figures of a year in progress, each with its interval.

    Parameters
    ----------
    forecast : Forecast
    table : DataFrame, optional
        The forecast's :func:`spm_sim.track.accruals` (made here when not given).
    target : float, optional
        The company's number for the year; default the sum of the reps' quotas.
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).

    Returns
    -------
    DataFrame
        Indexed by ``key``; columns ``figure`` (words), ``unit`` (the currency,
        ``share``, ``probability`` or ``reps``), ``value``, ``low``, ``high`` (the
        interval of ``value``: equal to it for a known figure). Keys:
        ``bookings_to_date``, ``target``, ``attainment_to_date``,
        ``bookings_mean``, ``bookings_p10``, ``bookings_p50``, ``bookings_p90``,
        ``p_target``, ``reps``, ``reps_on_pace``, ``reps_at_quota``,
        ``cost_mean``, ``cost_p10``, ``cost_p50``, ``cost_p90``,
        ``earned_to_date``, ``paid``, ``owed``, ``to_accrue``.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> figs = company_figures(example_forecast(trials=200))
    >>> figs.loc[["bookings_to_date", "target"], "value"].tolist()
    [2520000.0, 3600000.0]
    >>> row = figs.loc["p_target"]
    >>> bool(row.low <= row.value <= row.high)
    True
    """
    fc = forecast
    cur = fc.currency
    acc = accruals(fc, level=level) if table is None else table
    year = acc[acc["kind"] == "year"].iloc[0]
    quota = np.asarray(fc.quotas, float).sum(axis=1)
    goal = float(quota.sum()) if target is None else float(target)
    to_date = float(np.asarray(fc.actual, float).sum())
    total = fc.company_bookings
    cost = fc.incentive
    n = fc.n_trials
    rows: dict[str, tuple[str, str, Interval]] = {}

    def known(key: str, figure: str, unit: str, value: float) -> None:
        rows[key] = (figure, unit, Interval(value, value, value))

    known("bookings_to_date", f"Bookings to {fc.as_of:%d %b %Y}", cur, to_date)
    known("target", "Target (the reps' quotas)" if target is None else "Target", cur, goal)
    known(
        "attainment_to_date",
        "Share of the target booked",
        "share",
        to_date / goal if goal else np.nan,
    )
    rows["bookings_mean"] = (
        "Year-end bookings, mean",
        cur,
        _known(mean_interval(total, level=level), total),
    )
    for q in (10, 50, 90):
        iv = _known(percentile_interval(total, q / 100, level=level), total)
        rows[f"bookings_p{q}"] = (f"Year-end bookings, P{q}", cur, iv)
    made = float((total >= goal * (1 - 1e-12)).sum()) if goal > 0 else float("nan")
    rows["p_target"] = (
        "Chance of reaching the target",
        "probability",
        proportion_interval(made, n, level=level) if goal > 0 else Interval(np.nan, np.nan, np.nan),
    )
    on = quota > 0
    known("reps", "Reps on quota", "reps", float(on.sum()))
    from spm_sim.track import quota_to_date

    due = quota_to_date(fc)
    pace = np.asarray(fc.actual, float).sum(axis=1)
    known("reps_on_pace", "Reps on pace (bookings to date at or above the quota due)", "reps",
          float(((pace >= due * (1 - 1e-12)) & on & (due > 0)).sum()))  # fmt: skip
    att = fc.attainment[:, on]
    count = (att >= 1.0 - 1e-12).sum(axis=1).astype(float)
    rows["reps_at_quota"] = (
        "Reps at quota by year end, mean",
        "reps",
        _known(mean_interval(count, level=level), count),
    )
    rows["cost_mean"] = (
        "Incentive cost of the year, mean",
        cur,
        _known(mean_interval(cost, level=level), cost),
    )
    for q in (10, 50, 90):
        iv = _known(percentile_interval(cost, q / 100, level=level), cost)
        rows[f"cost_p{q}"] = (f"Incentive cost of the year, P{q}", cur, iv)
    known("earned_to_date", "Incentive earned to date", cur, float(year["earned_to_date"]))
    known("paid", "Paid (months ended)", cur, float(year["paid"]))
    known("owed", "Owed (earned in the month in progress)", cur, float(year["owed"]))
    rows["to_accrue"] = (
        "Still to accrue for the year",
        cur,
        Interval(
            float(year["to_accrue"]), float(year["to_accrue_low"]), float(year["to_accrue_high"])
        ),
    )
    frame = pd.DataFrame(
        [
            {"key": k, "figure": f, "unit": u, "value": iv.estimate, "low": iv.low, "high": iv.high}
            for k, (f, u, iv) in rows.items()
        ]
    ).set_index("key")
    frame.attrs.update(
        as_of=f"{fc.as_of:%Y-%m-%d}", plan=fc.plan.name, year=int(fc.year), currency=cur,
        trials=int(n), level=float(level),
    )  # fmt: skip
    return frame


def next_accrual(table: pd.DataFrame) -> pd.Series | None:
    """The accrual row of the first quarter not over at the as-of date (None: all over).

    Examples
    --------
    >>> from spm_sim.track import accruals, example_forecast
    >>> next_accrual(accruals(example_forecast(trials=50)))["period"]
    '2025-Q3'
    """
    quarters = table[(table["kind"] == "quarter") & (table["status"] != "actual")]
    return None if quarters.empty else quarters.iloc[0]


def _money(x: float, cur: str) -> str:
    return format_money(float(x), currency=cur)


def _money_signed(x: float, cur: str) -> str:
    return format_money(float(x), currency=cur, sign=True)


def _span(lo: float, hi: float, cur: str | None) -> str:
    if cur is None:
        return f"{format_pct(lo, decimals=0)} to {format_pct(hi, decimals=0)}"
    return f"{_money(lo, cur)} to {_money(hi, cur)}"


def _pct(x: float) -> str:
    return format_pct(float(x), decimals=0)


def _pct_iv(x: float, lo: float, hi: float) -> str:
    return f"{_pct(x)} ({_pct(lo)} to {_pct(hi)})"


def _signed_iv(x: float, lo: float, hi: float, cur: str) -> str:
    def m(v: float) -> str:
        return format_money(float(v), currency=cur, sign=True)

    return f"{m(x)} ({m(lo)} to {m(hi)})"


def _quarter_name(period: str) -> str:
    return period.split("-")[-1]


def tracking_summary(
    forecast: Forecast,
    figures: pd.DataFrame,
    table: pd.DataFrame,
    warnings: pd.DataFrame | None = None,
    *,
    changes: pd.DataFrame | None = None,
    proposal: ProposalEffect | None = None,
) -> list[str]:
    """What to decide first, in sentences written from the numbers.

    Parameters
    ----------
    forecast : Forecast
    figures : DataFrame
        :func:`company_figures` of the forecast.
    table : DataFrame
        The forecast's :func:`spm_sim.track.accruals`.
    warnings : DataFrame, optional
        :func:`spm_sim.track.early_warnings`.
    changes : DataFrame, optional
        :func:`spm_sim.track.compare_accruals` against a previous run.
    proposal : ProposalEffect, optional

    Returns
    -------
    list of str
        Pace and target, the year's cost, what to accrue next, the warnings, and
        the change since the previous run and the proposal's effect when given.

    Examples
    --------
    >>> from spm_sim.track import accruals, example_forecast
    >>> fc = example_forecast(trials=200)
    >>> acc = accruals(fc)
    >>> import textwrap
    >>> print(textwrap.fill(tracking_summary(fc, company_figures(fc, acc), acc)[0], 88))
    At 30 June 2025, 3 of 3 reps are on pace; the company has booked $2.52M, 70% of the
    $3.60M target.
    """
    fc = forecast
    cur = fc.currency
    f = figures
    v = f["value"]
    day = f"{fc.as_of.day} {fc.as_of:%B %Y}"
    goal = v["target"]
    out = [
        f"At {day}, {int(v['reps_on_pace'])} of {int(v['reps'])} reps are on pace; the company "
        f"has booked {_money(v['bookings_to_date'], cur)}, "
        f"{format_pct(v['attainment_to_date'], decimals=0)} of the {_money(goal, cur)} target."
    ]
    p = f.loc["p_target"]
    if fc.first_open_month >= 12:
        out.append(
            f"The year is known: it ended at {_money(v['bookings_p50'], cur)} "
            f"({'at or above' if v['p_target'] >= 1 else 'below'} the target)."
        )
    else:
        out.append(
            f"The year ends at {_money(v['bookings_p50'], cur)} "
            f"(P10 {_money(v['bookings_p10'], cur)} - P90 {_money(v['bookings_p90'], cur)}), "
            f"a {_pct(p.value)} chance "
            f"({_span(p.low, p.high, None)}) of the {_money(goal, cur)} target."
        )
    c = f.loc["cost_mean"]
    out.append(
        f"Incentive cost of the year: {_money(c.value, cur)} expected "
        f"({_span(c.low, c.high, cur)}), P10 {_money(v['cost_p10'], cur)} - P90 "
        f"{_money(v['cost_p90'], cur)}; {_money(v['paid'], cur)} paid, "
        f"{_money(v['owed'], cur)} owed, {_money(v['to_accrue'], cur)} still to accrue."
    )
    nxt = next_accrual(table)
    if nxt is None:
        out.append("Nothing is left to accrue: every month of the year has ended.")
    else:
        extra = max(float(nxt["p90"]) - float(nxt["earned_to_date"]), 0.0)
        out.append(
            f"Accrue {_money(nxt['to_accrue'], cur)} for {_quarter_name(str(nxt['period']))} "
            f"(P90 {_money(extra, cur)})."
        )
    if warnings is not None:
        if warnings.empty:
            out.append(
                "No early warning: no rep at risk, no thin pipeline, no mechanic about to bind."
            )
        else:
            counts = warnings[warnings["level"] != "company"]["kind"].value_counts()
            parts = [f"{int(n)} {k}" for k, n in counts.items()]
            out.append(
                f"{len(warnings)} early warning{'s' if len(warnings) != 1 else ''}"
                + (f": {', '.join(parts)}." if parts else ".")
            )
    if changes is not None and len(changes):
        row = changes[changes["kind"] == "year"]
        if len(row):
            r = row.iloc[0]
            noise = "within Monte Carlo error" if bool(r["within_mc_error"]) else "a real change"
            out.append(
                f"Since the run as of {changes.attrs.get('as_of_previous')}, the year's expected "
                f"cost moved {format_money(float(r['change']), currency=cur, sign=True)} "
                f"({format_money(float(r['change_low']), currency=cur, sign=True)} to "
                f"{format_money(float(r['change_high']), currency=cur, sign=True)}; {noise})."
            )
    if proposal is not None:
        t = proposal.table.set_index("figure")
        cost = t.loc["incentive cost, year"]
        book = t.loc["bookings, rest of year"]
        text = (
            f"The proposal {proposal.table.attrs.get('proposed_plan')!r} costs "
            f"{format_money(float(cost.difference), currency=cur, sign=True)} for the year "
            f"({format_money(float(cost.difference_low), currency=cur, sign=True)} to "
            f"{format_money(float(cost.difference_high), currency=cur, sign=True)})"
        )
        if proposal.behaviour:
            text += (
                f" and moves the rest of the year's bookings by "
                f"{format_money(float(book.difference), currency=cur, sign=True)} "
                f"({format_money(float(book.difference_low), currency=cur, sign=True)} to "
                f"{format_money(float(book.difference_high), currency=cur, sign=True)})."
            )
        else:
            text += "; with behaviour off the bookings do not move (its cost alone)."
        out.append(text)
    return out


# --------------------------------------------------------------------------- the page


def _fmt(value: float, unit: str, cur: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if unit == cur:
        return _money(value, cur)
    if unit in ("share", "probability"):
        return format_pct(value, decimals=0 if unit == "probability" else 1)
    if unit == "reps":
        return f"{value:,.1f}" if value != round(value) else f"{int(value):,}"
    return f"{value:,.3g}"


def _figure_rows(figures: pd.DataFrame, cur: str) -> list[list[str]]:
    rows = []
    for _key, r in figures.iterrows():
        known = r["low"] == r["high"] or not np.isfinite(r["low"])
        interval = (
            "known"
            if known
            else f"{_fmt(r['low'], r['unit'], cur)} to {_fmt(r['high'], r['unit'], cur)}"
        )
        rows.append([str(r["figure"]), _fmt(r["value"], r["unit"], cur), interval])
    return rows


def _fig(make, alt: str, caption: str) -> str:
    from spm_sim.viz import fig_to_base64_png

    return _figure(fig_to_base64_png(make()), alt, caption)


def _accrual_rows(table: pd.DataFrame, cur: str) -> list[list[str]]:
    rows = []
    for r in table.itertuples(index=False):
        known = r.expected_low == r.expected_high
        rows.append(
            [
                str(r.period),
                str(r.status),
                _money(r.expected, cur)
                + (
                    ""
                    if known
                    else f" ({_money(r.expected_low, cur)} to {_money(r.expected_high, cur)})"
                ),
                _money(r.p10, cur),
                _money(r.p50, cur),
                _money(r.p90, cur),
                _money(r.earned_to_date, cur),
                _money(r.paid, cur),
                _money(r.owed, cur),
                _money(r.to_accrue, cur),
            ]
        )
    return rows


def _board_rows(board: pd.DataFrame, cur: str) -> list[list[str]]:
    rows = []
    for r in board.itertuples(index=False):
        rows.append(
            [
                f"{r.rep_name} ({r.rep_id})",
                "" if pd.isna(r.rank_p_quota) else str(int(r.rank_p_quota)),
                _money(r.bookings_to_date, cur),
                format_pct(r.attainment_to_date, decimals=0),
                format_pct(r.pace, decimals=0),
                " / ".join(_pct(x) for x in (r.attainment_p10, r.attainment_p50, r.attainment_p90)),
                _pct_iv(r.p_quota, r.p_quota_low, r.p_quota_high),
                _money(r.earned_to_date, cur),
                _money(r.payout_expected, cur),
            ]
        )
    return rows


def _shown(frame: pd.DataFrame, what: str, file: str) -> tuple[pd.DataFrame, str]:
    if len(frame) <= MAX_ROWS:
        return frame, ""
    half = MAX_ROWS // 2
    note = (
        f"The first {half} and the last {half} of {len(frame):,} {what} are shown; "
        f"{file} holds them all."
    )
    return pd.concat([frame.head(half), frame.tail(half)]), note


def _contest_section(contests: pd.DataFrame, cur: str) -> list[str]:
    parts = ["<section><h2>Contests</h2>"]
    if contests is None or contests.empty:
        parts += ["<p>The plan has no contest.</p>", "</section>"]
        return parts
    for name, group in contests.groupby("contest", sort=False):
        first = group.iloc[0]
        unit = str(first["unit"])
        parts.append(
            f'<h3>{_e(name)}</h3><p class="note">{_e(first["measure"])} ({_e(unit)}), '
            f"{_e(first['start'])} to {_e(first['end'])}: {_e(first['state'])}.</p>"
        )
        shown, note = _shown(group, "reps", "contests.csv")
        rows = []
        for r in shown.itertuples(index=False):
            total = (
                _money(r.total_to_date, cur) if unit == cur else f"{r.total_to_date:,.0f} {unit}"
            )
            exp = (
                _money(r.total_expected, cur) if unit == cur else f"{r.total_expected:,.1f} {unit}"
            )
            rows.append(
                [
                    f"{r.rep_name} ({r.rep_id})",
                    total,
                    exp,
                    format_pct(r.p_rank_1, decimals=0),
                    _pct_iv(r.p_prize, r.p_prize_low, r.p_prize_high),
                    _money(r.expected_prize, cur),
                ]
            )
        parts.append(
            '<div class="wide">'
            + _table(
                [
                    "Rep",
                    "So far",
                    "Expected total",
                    "Chance of 1st",
                    "Chance of a prize",
                    "Expected prize",
                ],
                rows,
                classes=["", "num", "num", "num", "num", "num"],
            )
            + "</div>"
        )
        if note:
            parts.append(f'<p class="note">{_e(note)}</p>')
    parts.append("</section>")
    return parts


def _warning_section(warnings: pd.DataFrame) -> list[str]:
    parts = ["<section><h2>Early warnings</h2>"]
    if warnings is None or warnings.empty:
        parts += ["<p>No warning: no rep at risk, no thin pipeline, no mechanic about to bind.</p>"]
        parts.append("</section>")
        return parts
    counts = warnings["kind"].value_counts()
    parts.append("<p>" + _e("; ".join(f"{k}: {int(n)}" for k, n in counts.items())) + ".</p>")
    shown, note = _shown(warnings, "warnings", "warnings.csv")
    rows = [[str(r.kind), str(r.who), str(r.message)] for r in shown.itertuples(index=False)]
    parts.append(
        '<div class="wide">' + _table(["Kind", "Who", "Warning"], rows, row_header=False) + "</div>"
    )
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    parts.append("</section>")
    return parts


def _proposal_section(proposal: ProposalEffect | None, cur: str) -> list[str]:
    if proposal is None:
        return []
    t = proposal.table
    rows = []
    for r in t.itertuples(index=False):
        unit = str(r.unit)

        def show(x: float, lo: float, hi: float, sign: bool = False, unit: str = unit) -> str:
            if unit == "reps":
                main = f"{x:+,.1f}" if sign else f"{x:,.1f}"
                return main if lo == hi else f"{main} ({lo:,.1f} to {hi:,.1f})"
            if sign:
                return _signed_iv(x, lo, hi, cur) if lo != hi else _money_signed(x, cur)
            return _money(x, cur) if lo == hi else f"{_money(x, cur)} ({_span(lo, hi, cur)})"

        rows.append(
            [
                str(r.figure),
                show(r.baseline, r.baseline_low, r.baseline_high),
                show(r.proposed, r.proposed_low, r.proposed_high),
                show(r.difference, r.difference_low, r.difference_high, sign=True),
            ]
        )
    parts = [
        "<section><h2>The proposal</h2>",
        f"<p>{_e(t.attrs.get('proposed_plan'))} against the plan in force, "
        f"{_e(t.attrs.get('plan'))}, from {_e(t.attrs.get('as_of'))} on the same random "
        f"numbers; new components: {_e(', '.join(proposal.new_components) or 'none')}.</p>",
        '<div class="wide">'
        + _table(
            ["Figure", "Plan in force", "Proposed", "Difference"],
            rows,
            classes=["", "num", "num", "num"],
        )
        + "</div>",
    ]
    parts += [f'<p class="note">{_e(n)}</p>' for n in proposal.notes]
    parts.append("</section>")
    return parts


def _changes_section(changes: pd.DataFrame | None, cur: str) -> list[str]:
    if changes is None:
        return []
    rows = []
    for r in changes[changes["kind"] != "month"].itertuples(index=False):
        rows.append(
            [
                str(r.period),
                f"{r.status_previous} -> {r.status}",
                _money(r.expected_previous, cur),
                _money(r.expected, cur),
                _signed_iv(r.change, r.change_low, r.change_high, cur),
                "within Monte Carlo error" if r.within_mc_error else "real",
                format_money(r.paid_change, currency=cur, sign=True),
            ]
        )
    return [
        f"<h3>Since the run as of {_e(changes.attrs.get('as_of_previous'))}</h3>",
        '<div class="wide">'
        + _table(
            ["Period", "Status", "Expected then", "Expected now", "Change (95%)", "", "Paid since"],
            rows,
            classes=["", "", "num", "num", "num", "", "num"],
        )
        + "</div>",
        '<p class="note">The two runs draw different random numbers; a change within their '
        "combined Monte Carlo error could vanish with more trials. Months are in "
        "accrual_changes.csv.</p>",
    ]


def _method_section(fc: Forecast) -> list[str]:
    info = fc.info
    pairs: list[tuple[str, str]] = [
        ("Plan", f"{fc.plan.name} ({fc.currency})"),
        ("Book", str(fc.book_name)),
        (
            "As of",
            f"{fc.as_of:%Y-%m-%d} (deals, cancellations and pipeline known at the end of that day)",
        ),
        ("Trials", f"{fc.n_trials:,}, seed {fc.seed_entropy}"),
        ("Open opportunities", f"{int(info.get('open_opportunities', len(fc.pipeline))):,}"),
    ]
    if "ytd_deals" in info:
        pairs.append(("Deals of the year to date", f"{int(info['ytd_deals']):,}"))
    if "rate_before" in info and "rate_after" in info:
        pairs.append(
            (
                "Deal rate per rep-month",
                f"{info['rate_before']:.2f} before the year, {info['rate_after']:.2f} updated on "
                "the year to date (mean over reps)",
            )
        )
    share = info.get("new_business_share")
    if share is not None:
        s = np.asarray(share, float)
        if s.ndim == 1 and fc.first_open_month < 12:
            nxt = fc.first_open_month
            pairs.append(
                (
                    "New business",
                    f"{format_pct(float(s[nxt]), decimals=0)} of {fc.periods[nxt]}'s deals and "
                    f"{format_pct(float(s[-1]), decimals=0)} of December's are drawn as deals not "
                    "yet in the pipeline; the rest comes from the pipeline",
                )
            )
    if "engine" in info:
        pairs.append(("Engine", str(info["engine"])))
    return [
        "<section><h2>Method</h2>",
        "<p>The months to the as-of date are the payroll's own numbers (the actual-payout "
        "kernel on the book as of that date), the same in every trial. The rest of the year "
        "is drawn: each open opportunity is walked month by month to 31 December through a "
        "transition model (won, lost or still open, by stage, age and overdue close date) "
        "calibrated on the book's own opportunity history known at the date, so the "
        "pipeline's win rates and slippage are the book's, not the CRM's probabilities; "
        "new business not yet in the pipeline comes from the productivity model with each "
        "rep's deal rate and deal size updated on the year to date (a gamma-Poisson and a "
        "normal posterior). Every trial's year is paid by the same payout kernel as the "
        "payroll and the Monte Carlo. Intervals are 95% Monte Carlo intervals (percentiles by "
        "order statistics, probabilities by Wilson); they say how precisely the trials pin "
        "the figure, not how wrong the model could be.</p>",
        _kv_table(pairs),
        *[f'<p class="note">{_e(n)}</p>' for n in fc.notes],
        "</section>",
    ]


def write_tracking_report(
    forecast: Forecast,
    path: str | Path,
    *,
    table: pd.DataFrame | None = None,
    board: pd.DataFrame | None = None,
    contests: pd.DataFrame | None = None,
    warnings: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    proposal: ProposalEffect | None = None,
    figures: pd.DataFrame | None = None,
    title: str | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write the tracking report of a year in progress as one self-contained HTML file.

    Parameters
    ----------
    forecast : Forecast
        From :func:`spm_sim.track.forecast`.
    path : str or Path
        The HTML file (written whole or not at all; its folder is created).
    table, board, contests, warnings : DataFrame, optional
        The forecast's :func:`~spm_sim.track.accruals`,
        :func:`~spm_sim.track.leaderboard`, :func:`~spm_sim.track.contest_standings`
        and :func:`~spm_sim.track.early_warnings`; each is made here when not given.
    changes : DataFrame, optional
        :func:`~spm_sim.track.compare_accruals` against a previous run.
    proposal : ProposalEffect, optional
        A proposed SPIFF or contest (:func:`~spm_sim.track.proposal_effect`).
    figures : DataFrame, optional
        :func:`company_figures` (made here when not given).
    title : str, optional
        Default "Tracking <year>: <plan> as of <date>".
    notes : sequence of str
        Paragraphs under the title (escaped).

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Sections: what to decide first (:func:`tracking_summary`), the company forecast
    (figures with intervals and the fan of cumulative bookings), accruals by month
    and quarter (and the change since a previous run), the leaderboard with each
    rep's chance of quota, the contests, the early warnings, the proposal, the
    method. No timestamp and no local path: the same forecast gives the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from spm_sim.track import example_forecast
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = write_tracking_report(example_forecast(trials=100),
    ...                                  Path(folder) / "tracking.html").read_text("utf-8")
    >>> "<h2>What to decide first</h2>" in text, "http" in text.split("data:image")[0]
    (True, False)
    """
    fc = forecast
    cur = fc.currency
    path = Path(path)
    table = accruals(fc) if table is None else table
    board = leaderboard(fc) if board is None else board
    contests = contest_standings(fc) if contests is None else contests
    warnings = early_warnings(fc) if warnings is None else warnings
    figures = company_figures(fc, table) if figures is None else figures
    title = title or f"Tracking {fc.year}: {fc.plan.name} as of {fc.as_of:%d %B %Y}"
    sentences = tracking_summary(fc, figures, table, warnings, changes=changes, proposal=proposal)
    months = table[table["kind"] != "month"]
    ranked, board_note = _shown(board, "reps", "leaderboard.csv")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="sub">Book {_e(fc.book_name)}, {fc.n_reps:,} reps on quota, '
        f"{fc.n_trials:,} simulated rests of the year, seed {fc.seed_entropy}.</p></header>",
    ]
    if notes:
        parts.append('<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</div>")
    parts += [
        '<section id="summary"><h2>What to decide first</h2>',
        f'<p class="decide">{_e(sentences[0])} {_e(sentences[1])}</p>',
        "<ul>" + "".join(f"<li>{_e(s)}</li>" for s in sentences[2:]) + "</ul>",
        "</section>",
        "<section><h2>Company forecast</h2>",
        '<div class="wide">'
        + _table(
            ["Figure", "Value", "95% interval"],
            _figure_rows(figures, cur),
            classes=["", "num", "num"],
        )
        + "</div>",
        _fig(
            lambda: _viz().forecast_fan_figure(fc, target=float(figures.loc["target", "value"])),
            "Cumulative company bookings by month: actual and forecast band",
            "Cumulative bookings since 1 January: the actual line to the as-of date, then the "
            "forecast's median and its P10-P90 band (80% of the trials end inside it); the "
            "dashed line is the target.",
        ),
        "</section>",
        "<section><h2>Accruals</h2>",
        _fig(
            lambda: _viz().accrual_figure(table),
            "Incentive cost by month",
            "Incentive cost of each month: months ended as paid by the payroll, the month in "
            "progress and the months ahead as expected, with their P10-P90.",
        ),
        '<div class="wide">'
        + _table(
            [
                "Period",
                "Status",
                "Expected (95%)",
                "P10",
                "P50",
                "P90",
                "Earned to date",
                "Paid",
                "Owed",
                "To accrue",
            ],
            _accrual_rows(months, cur),
            classes=["", "", "num", "num", "num", "num", "num", "num", "num", "num"],
        )
        + "</div>",
        '<p class="note">Paid: earned in months that have ended (their payrolls ran). Owed: '
        "earned in the month in progress. To accrue: expected cost minus what is earned. "
        "Months are in accruals.csv, per rep in accruals_reps.csv.</p>",
        *_changes_section(changes, cur),
        "</section>",
        "<section><h2>Leaderboard</h2>",
        _fig(
            lambda: _viz().p_quota_figure(board),
            "Each rep's chance of making quota",
            "Each rep's chance of making quota by year end, lowest to highest, with its 95% "
            "interval; orange under 30%, green at 70% or more.",
        ),
        '<div class="wide">'
        + _table(
            [
                "Rep",
                "Rank",
                "Booked",
                "Of quota",
                "Pace",
                "Year end P10 / P50 / P90",
                "Chance of quota (95%)",
                "Earned",
                "Expected payout",
            ],
            _board_rows(ranked, cur),
            classes=["", "num", "num", "num", "num", "num", "num", "num", "num"],
        )
        + "</div>",
        '<p class="note">Ranked by the chance of making quota. Pace: bookings to date over the '
        "quota due to date (100% is on pace).</p>",
    ]
    if board_note:
        parts.append(f'<p class="note">{_e(board_note)}</p>')
    parts.append("</section>")
    parts += _contest_section(contests, cur)
    parts += _warning_section(warnings)
    parts += _proposal_section(proposal, cur)
    parts += _method_section(fc)
    parts += [
        f"<footer>Produced by spm_sim {_e(package_version())}. The file has no timestamp and "
        "no local paths: the same book, plan, date and seed give the same report.</footer>",
        "</body></html>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(parts) + "\n")
    return path


def _viz() -> Any:
    """The tracking figures (matplotlib imported only when a report is written)."""
    from spm_sim.viz import tracking

    return tracking
