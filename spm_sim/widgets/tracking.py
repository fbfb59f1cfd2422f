"""The year in progress, as of a date: the app's "Track the year" page.

:class:`TrackingPage` reads a book and a plan (the project's files or uploads), an
as-of date within the book's data (by default its snapshot) and a number of trials,
runs :func:`spm_sim.track.forecast` and shows what finance and sales leaders ask
in the middle of a year: the headline cards (bookings to date, the year-end
forecast with P10/P50/P90, the chance of the company target, the incentive cost of
the year with its range, what is paid, owed and still to accrue), the leaderboard,
contest standings, early warnings and the accruals by period, with downloads.

Every update is: menu and date values -> :func:`run_tracking` (the forecast and its
views, pure) -> the HTML of :func:`tracking_cards` and the ``*_frame`` tables. A
failed update leaves the last good result on screen and says why in words (the
conventions of :class:`spm_sim.widgets.Workbench`: a red box, the controls off
while running, an unexpected failure logged to the server's log only).

The pure pieces (:func:`run_tracking`, :func:`company_sentence`,
:func:`tracking_cards`, :func:`leaderboard_frame`, :func:`accruals_frame`,
:func:`contests_frame`, :func:`warnings_frame`, :func:`as_of_choices`) are what
``notebooks/05_in_year.ipynb`` shows too.
"""

from __future__ import annotations

import datetime
import html
import io
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct, no_maths, slugify
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import Plan, load_plan
from spm_sim.errors import DataError, SpmSimError
from spm_sim.metrics import Interval, percentile_interval, proportion_interval
from spm_sim.report.tracking import (
    chance_text,
    contest_pipeline,
    ranked_board,
    reps_left,
    write_tracking_report,
)
from spm_sim.scenario import SAMPLE_SCENARIOS
from spm_sim.track import (
    Forecast,
    accruals,
    contest_standings,
    early_warnings,
    forecast,
    leaderboard,
)
from spm_sim.viz.results import fig_to_base64_png
from spm_sim.viz.tracking import forecast_fan_figure, p_quota_figure

from .levers import LABEL_STYLE, WIDE
from .panels import FIGURE_DPI, _no_null_tooltips, _run_guarded, download_link, message_box
from .uploads import (
    TRIAL_SIZES,
    Uploads,
    _trials_menu,
    _upload_button,
    plain_paths,
    project_files,
)

__all__ = [
    "TRIAL_SIZES",
    "TrackingPage",
    "TrackingRun",
    "accruals_frame",
    "as_of_choices",
    "book_dates",
    "company_sentence",
    "contests_frame",
    "leaderboard_frame",
    "run_tracking",
    "tracking_cards",
    "tracking_csv",
    "warnings_frame",
]

#: the book the page opens on when the project has it: the sample as of 30 June 2025
DEFAULT_BOOK = "sample-2025-06-30"


# ---------------------------------------------------------------- dates of a book


def book_dates(book: Book) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of ``book``'s data: the range of its as-of dates.

    The last day is the book's ``snapshot_date`` when it has one, else its last
    dated record (a deal, a cancellation, an opportunity created or closed, a stage
    entered).

    Raises
    ------
    DataError
        If the book has no dated record at all (nothing to track).

    Examples
    --------
    >>> from spm_sim.book import load_book_ref
    >>> book_dates(load_book_ref("sample"))
    (datetime.date(2023, 1, 2), datetime.date(2025, 12, 31))
    """
    pipe = book.pipeline
    firsts = [book.bookings["date"].min(), pipe["created_date"].min()]
    lasts = [
        book.bookings["date"].max(),
        book.bookings["cancelled_date"].max(),
        pipe["created_date"].max(),
        pipe["closed_date"].max() if "closed_date" in pipe else pd.NaT,
        book.stage_history["date"].max() if "date" in book.stage_history else pd.NaT,
    ]
    firsts = [d for d in firsts if pd.notna(d)]
    lasts = [d for d in lasts if pd.notna(d)]
    if not firsts:
        raise DataError(
            f"book {book.name!r} has no dated deal or opportunity, so there is no year to "
            "track; add bookings.csv rows (or pipeline.csv rows) with their dates."
        )
    last = pd.Timestamp(book.snapshot_date) if book.snapshot_date is not None else max(lasts)
    return pd.Timestamp(min(firsts)).date(), last.date()


def as_of_choices(book: Book, year: int | None = None) -> list[datetime.date]:
    """The month ends of the tracked year that the book's data covers, and its last day.

    ``year`` defaults to the year of the book's last day, so a mid-year snapshot
    offers the month ends of its year up to the snapshot (and the snapshot itself
    when it is not a month end): the choices of the notebook's as-of slider.

    Examples
    --------
    >>> from spm_sim.book import SAMPLE_DIR, load_book_ref
    >>> days = as_of_choices(load_book_ref(SAMPLE_DIR.parent / "sample-2025-06-30"))
    >>> [f"{d:%d %b}" for d in days]
    ['31 Jan', '28 Feb', '31 Mar', '30 Apr', '31 May', '30 Jun']
    """
    first, last = book_dates(book)
    year = last.year if year is None else int(year)
    ends = [pd.Timestamp(year=year, month=m, day=1) + pd.offsets.MonthEnd(0) for m in range(1, 13)]
    days = [d.date() for d in ends if first <= d.date() <= last]
    if last.year == year and last not in days:
        days.append(last)
    return days


# ---------------------------------------------------------------- the run (pure)


@dataclass(frozen=True)
class TrackingRun:
    """A forecast and its views, as the page and the notebook show them.

    Attributes
    ----------
    forecast : Forecast
    leaderboard, accruals, contests, warnings : DataFrame
        :func:`spm_sim.track.leaderboard` (ranked by attainment to date, reps who left
        marked: :func:`spm_sim.report.tracking.ranked_board`),
        :func:`spm_sim.track.accruals`, :func:`spm_sim.track.contest_standings` (with
        each rep's rank now and open pipeline in the window:
        :func:`spm_sim.report.tracking.contest_pipeline`; no rows without a contest
        in the plan) and :func:`spm_sim.track.early_warnings` of ``forecast``.
    seconds : float
        How long the forecast and the views took.
    """

    forecast: Forecast
    leaderboard: pd.DataFrame
    accruals: pd.DataFrame
    contests: pd.DataFrame
    warnings: pd.DataFrame
    seconds: float

    @property
    def target(self) -> float:
        """The company target: the sum of the reps' quotas for the year."""
        return float(np.asarray(self.forecast.quotas, dtype=float).sum())


def run_tracking(
    book: Book,
    plan: Plan | str | Path,
    as_of: Any,
    *,
    trials: int = 2000,
    rng: Any = 0,
) -> TrackingRun:
    """The forecast of the year as of ``as_of`` and every view the page shows.

    Parameters
    ----------
    book : Book
    plan : Plan or path to a plan YAML
    as_of : str, date or Timestamp
        The last day known (inclusive).
    trials : int, default 2000
    rng : int, SeedSequence or Generator, default 0
        The forecast's root seed (same seed, same numbers).

    Returns
    -------
    TrackingRun

    Examples
    --------
    >>> from spm_sim.book import SAMPLE_DIR, load_book_ref
    >>> from spm_sim.comp import standard_plan
    >>> run = run_tracking(load_book_ref(SAMPLE_DIR.parent / "sample-2025-06-30"), standard_plan(),
    ...                    "2025-06-30", trials=100)
    >>> run.forecast.months_known, len(run.leaderboard), run.accruals.period[0]
    (6, 80, '2025')
    """
    started = time.perf_counter()
    fc = forecast(book, load_plan(plan), as_of, trials=int(trials), rng=rng)
    return TrackingRun(
        forecast=fc,
        leaderboard=ranked_board(leaderboard(fc), reps_left(book, fc)),
        accruals=accruals(fc),
        contests=contest_pipeline(fc, contest_standings(fc)),
        warnings=early_warnings(fc),
        seconds=time.perf_counter() - started,
    )


def _day(fc: Forecast) -> str:
    return f"{fc.as_of.day} {fc.as_of:%B %Y}"


def _headline(
    run: TrackingRun,
) -> tuple[Forecast, Callable[[float], str], float, np.ndarray, float, Interval, pd.Series]:
    """What the sentence and the cards both say: the forecast, its money format, the
    bookings to date, the year-end draws, the target, the chance of reaching it
    (Wilson interval) and the accruals' row of the year."""
    fc = run.forecast
    cur = fc.currency

    def money(x: float) -> str:
        return format_money(x, currency=cur)

    to_date = float(np.asarray(fc.actual, dtype=float).sum())
    year_end = fc.company_bookings
    target = run.target
    hit = proportion_interval(float((year_end >= target - 1e-6).sum()), fc.n_trials)
    return fc, money, to_date, year_end, target, hit, run.accruals.iloc[0]


def company_sentence(run: TrackingRun) -> str:
    """The company's year in one paragraph, every figure with its unit and interval.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> fc = example_forecast()
    >>> run = TrackingRun(fc, leaderboard(fc), accruals(fc), pd.DataFrame(),
    ...                   early_warnings(fc), 0.0)
    >>> print(company_sentence(run))
    As of 30 June 2025, bookings to date are $2.52M, 70% of the target of $3.60M (the sum of
    the 3 reps' quotas, set from 2024's bookings with no growth). The year is forecast to end
    at $5.04M (P10 $4.67M to P90 $5.45M), a 100% (99.6% to 100%) chance of reaching the
    target (95% interval in brackets). The incentive cost of the year is expected at $328k
    (P10 $290k to P90 $366k); $105k has been paid, $21.0k is owed and $202k is still to
    accrue.
    """
    fc, money, to_date, year_end, target, hit, year = _headline(run)
    p10, p50, p90 = np.percentile(year_end, [10, 50, 90])
    share = f"{format_pct(to_date / target, decimals=0)} of " if target > 0 else "against "
    return (
        f"As of {_day(fc)}, bookings to date are {money(to_date)}, {share}the target of "
        f"{money(target)} (the sum of the {fc.n_reps} reps' quotas, set from {fc.year - 1}'s "
        f"bookings with no growth). The year is forecast to end at {money(p50)} (P10 "
        f"{money(p10)} to P90 {money(p90)}), a {chance_text(hit.estimate, hit.low, hit.high)} "
        "chance of reaching the target (95% interval in brackets). The "
        f"incentive cost of the year is expected at {money(year['expected'])} (P10 "
        f"{money(year['p10'])} to P90 {money(year['p90'])}); {money(year['paid'])} has been "
        f"paid, {money(year['owed'])} is owed and {money(year['to_accrue'])} is still to accrue."
    )


def _card(title: str, value: str, detail: str) -> str:
    return (
        "<div class='spm-track-card' style='border:1px solid #ccc;border-radius:6px;"
        "padding:8px 12px;margin:4px;min-width:210px;flex:1'>"
        f"<div style='color:#555'>{html.escape(title)}</div>"
        "<div class='spm-track-figure' style='font-size:1.5em;font-weight:bold'>"
        f"{html.escape(value)}</div><div style='color:#333'>{html.escape(detail)}</div></div>"
    )


def tracking_cards(run: TrackingRun) -> str:
    """The five headline cards of a run (HTML, not yet marked for JupyterLab's maths).

    Bookings to date; the year-end bookings forecast (P50, with P10 and P90 and the
    95% interval of the median); the chance of reaching the company target (Wilson
    interval); the incentive cost of the year (mean with its interval, P10 to P90);
    paid, owed and still to accrue.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> fc = example_forecast()
    >>> run = TrackingRun(fc, leaderboard(fc), accruals(fc), pd.DataFrame(),
    ...                   early_warnings(fc), 0.0)
    >>> cards = tracking_cards(run)
    >>> cards.count("class='spm-track-card'"), "Chance of reaching the target" in cards
    (5, True)
    """
    fc, money, to_date, year_end, target, hit, year = _headline(run)
    median = percentile_interval(year_end, 0.5)
    p10, p90 = np.percentile(year_end, [10, 90])
    share = format_pct(to_date / target, decimals=0) if target > 0 else "n/a"
    cards = [
        (
            "Bookings to date",
            money(to_date),
            f"through {_day(fc)}: {share} of the {money(target)} target (the sum of quotas)",
        ),
        (
            "Year-end bookings, forecast (P50)",
            money(median.estimate),
            f"P10 {money(p10)} to P90 {money(p90)}; the median within "
            f"{money(median.low)} to {money(median.high)} (95%)",
        ),
        (
            "Chance of reaching the target",
            chance_text(hit.estimate),
            f"{chance_text(hit.estimate, hit.low, hit.high).partition(' (')[2].rstrip(')')} "
            f"(95%) of ending the year at or above {money(target)}",
        ),
        (
            "Incentive cost of the year",
            money(year["expected"]),
            f"expected ({money(year['expected_low'])} to {money(year['expected_high'])}, 95%); "
            f"P10 {money(year['p10'])} to P90 {money(year['p90'])}",
        ),
        (
            "Paid / owed / to accrue",
            f"{money(year['paid'])} / {money(year['owed'])}",
            f"paid / owed to date; {money(year['to_accrue'])} still to accrue this year "
            f"({money(year['to_accrue_low'])} to {money(year['to_accrue_high'])}, 95%)",
        ),
    ]
    head = (
        f"<div class='spm-track-note'>Plan <b>{html.escape(fc.plan.name)}</b> on book "
        f"<b>{html.escape(fc.book_name)}</b>, as of <b class='spm-track-asof'>"
        f"{fc.as_of:%Y-%m-%d}</b>: {fc.months_known} months known, the rest drawn "
        f"{fc.n_trials:,} times. Intervals are 95% Monte Carlo intervals.</div>"
    )
    items = "".join(_card(*c) for c in cards)
    return f"{head}<div style='display:flex;flex-wrap:wrap'>{items}</div>"


# ---------------------------------------------------------------- tables in words


def _range(lo: float, hi: float, fmt: Callable[[float], str]) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)} to {fmt(hi)}"


def _pct0(x: float) -> str:
    return format_pct(x, decimals=0) if np.isfinite(x) else "—"


def leaderboard_frame(board: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """The leaderboard in words: ranks, attainment and pace to date, year-end range,
    chance of quota with its interval, payroll to date and expected payout.

    Parameters
    ----------
    board : DataFrame
        :func:`spm_sim.track.leaderboard`.
    top : int, optional
        Only the first ``top`` rows.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> frame = leaderboard_frame(leaderboard(example_forecast()))
    >>> frame[["Rank", "Rep", "Pace to date", "Chance of quota"]]
      Rank                 Rep Pace to date       Chance of quota
    0    1   Cy Example (R003)         200%  100% (99.6% to 100%)
    1    2  Ben Example (R002)         120%      96% (95% to 97%)
    2    3  Ada Example (R001)         100%      47% (44% to 50%)
    """
    cur = board.attrs.get("currency", "USD")

    def money(x: float) -> str:
        return format_money(x, currency=cur) if np.isfinite(x) else "—"

    if "position_label" not in board:
        board = ranked_board(board)
    shown = board if top is None else board.head(top)
    rows = []
    for _, r in shown.iterrows():
        left = str(r.get("left_on", "") or "")
        rows.append(
            {
                "Rank": str(r["position_label"]),
                "Rep": f"{r['rep_name']} ({r['rep_id']})" + (f", left {left}" if left else ""),
                "Quota": money(r["quota"]),
                "Bookings to date": money(r["bookings_to_date"]),
                "Attainment to date": _pct0(r["attainment_to_date"]),
                "Pace to date": _pct0(r["pace"]),
                "Year-end attainment P10 to P90": _range(
                    r["attainment_p10"], r["attainment_p90"], _pct0
                ),
                "Chance of quota": (
                    chance_text(r["p_quota"], r["p_quota_low"], r["p_quota_high"])
                    if np.isfinite(r["p_quota"])
                    else "no quota"
                ),
                "Earned to date": money(r["earned_to_date"]),
                "Expected payout": money(r["payout_expected"]),
            }
        )
    return pd.DataFrame(rows)


def accruals_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The accrual table in words: each period's status, expected cost with its
    interval, P10 to P90, earned, paid, owed and still to accrue.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> accruals_frame(accruals(example_forecast()))[["Period", "Status", "Paid"]].head(3)
        Period       Status    Paid
    0     2025  in progress   $105k
    1  2025-Q1       actual  $63.0k
    2  2025-Q2       actual  $42.0k
    """
    cur = table.attrs.get("currency", "USD")

    def money(x: float) -> str:
        return format_money(x, currency=cur)

    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "Period": r["period"],
                "Status": r["status"],
                "Expected cost": money(r["expected"]),
                "95% interval": _range(r["expected_low"], r["expected_high"], money),
                "P10 to P90": _range(r["p10"], r["p90"], money),
                "Earned to date": money(r["earned_to_date"]),
                "Paid": money(r["paid"]),
                "Owed": money(r["owed"]),
                "To accrue": money(r["to_accrue"]),
            }
        )
    return pd.DataFrame(rows)


def contests_frame(table: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Contest standings in words: the first ``top`` reps of each contest, their
    total so far, expected total, chance of a prize (with its interval) and
    expected prize. An empty frame when the plan has no contest.

    Examples
    --------
    >>> contests_frame(pd.DataFrame()).empty
    True
    """
    if table.empty:
        return pd.DataFrame()
    rows = []
    for _, group in table.groupby("contest", sort=False):
        for _, r in group.head(top).iterrows():
            unit, cur = str(r["unit"]), str(r["currency"])

            def amount(x: float, unit: str = unit, cur: str = cur) -> str:
                return format_money(x, currency=cur) if unit == cur else f"{x:,.0f} {unit}"

            rows.append(
                {
                    "Contest": f"{r['contest']} ({r['state']}, {r['start']} to {r['end']})",
                    "Rep": f"{r['rep_name']} ({r['rep_id']})",
                    "Rank now": "" if pd.isna(r.get("rank_to_date")) else int(r["rank_to_date"]),
                    "Total to date": amount(r["total_to_date"]),
                    "Open pipeline in the window": (
                        "n/a"
                        if pd.isna(r.get("open_pipeline", np.nan))
                        else f"{format_money(r['open_pipeline'], currency=cur)} "
                        f"({format_money(r['open_pipeline_weighted'], currency=cur)} weighted)"
                    ),
                    "Expected total": amount(r["total_expected"]),
                    "Chance of a prize": chance_text(
                        r["p_prize"], r["p_prize_low"], r["p_prize_high"]
                    ),
                    "Chance of first place": chance_text(r["p_rank_1"]),
                    "Expected prize": format_money(r["expected_prize"], currency=r["currency"]),
                }
            )
    return pd.DataFrame(rows)


def warnings_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Early warnings in words: kind, who, and the warning's own sentence.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> warnings_frame(early_warnings(example_forecast(), risk_below=0.6)).iloc[0, :2].tolist()
    ['at risk', 'R001']
    """
    if table.empty:
        return pd.DataFrame(columns=["Warning", "Who", "What"])
    return pd.DataFrame(
        {
            "Warning": table["kind"].astype(str),
            "Who": table["who"].astype(str),
            "What": table["message"].astype(str).str.replace("\n", " "),
        }
    )


def tracking_csv(run: TrackingRun) -> dict[str, bytes]:
    """The run's tables as CSV files (name -> UTF-8 bytes): ``leaderboard.csv``,
    ``accruals.csv``, ``forecast_by_rep.csv``, ``warnings.csv`` and, with a
    contest, ``contests.csv``. Text cells a spreadsheet would run as formulas are
    escaped.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> fc = example_forecast()
    >>> run = TrackingRun(fc, leaderboard(fc), accruals(fc), pd.DataFrame(),
    ...                   early_warnings(fc), 0.0)
    >>> sorted(tracking_csv(run))
    ['accruals.csv', 'forecast_by_rep.csv', 'leaderboard.csv', 'warnings.csv']
    """
    tables = {
        "leaderboard.csv": run.leaderboard,
        "accruals.csv": run.accruals,
        "forecast_by_rep.csv": run.forecast.rep_summary(),
        "warnings.csv": run.warnings,
    }
    if not run.contests.empty:
        tables["contests.csv"] = run.contests
    out = {}
    for name, frame in tables.items():
        buffer = io.StringIO()
        _safe_cells(frame).to_csv(buffer, index=False)
        out[name] = buffer.getvalue().encode("utf-8")
    return out


def _safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ (a spreadsheet formula) quoted with a '."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = [
                "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v
                for v in out[col]
            ]
    return out


def _table_html(frame: pd.DataFrame, css: str, empty: str) -> str:
    if frame.empty:
        return f"<div class='{css}-none' style='color:#555'>{html.escape(empty)}</div>"
    return (
        "<div style='max-height:380px;overflow:auto'>"
        + frame.to_html(index=False, classes=css)
        + "</div>"
    )


# ---------------------------------------------------------------- the page


class TrackingPage:
    """The year in progress as of a date: cards, figure, leaderboard, contests,
    warnings, accruals and downloads, for a book and a plan.

    Parameters
    ----------
    book : str, optional
        The book menu's first choice (a key of ``project_files()["books"]``); default
        the sample as of 30 June 2025 when the project has it, else the first book.
    plan : str, default "baseline.yaml"
        The plan menu's first choice (a key of ``project_files()["plans"]``).
    n_trials : int, default 2000
    figures : bool, default True
        Draw the fan figure (tests may turn it off).
    autorun : bool, default True
        Run the forecast now; otherwise on the first :meth:`start` (the app starts
        it when its tab is first opened).
    uploads : Uploads, optional
        Where uploaded files are checked and kept (the app shares its own); default
        a new temporary folder.
    seed : int, default 0

    Attributes
    ----------
    widget : ipywidgets.VBox
    book_menu, plan_menu, trials_menu : ipywidgets.Dropdown
    date : ipywidgets.DatePicker
        The as-of date, bounded to the book's data.
    run_button : ipywidgets.Button
    run : TrackingRun or None
        The latest good run (kept when an update fails).
    error : str
        The latest error's message ("" after a good update).

    Examples
    --------
    >>> page = TrackingPage(n_trials=200, figures=False)
    >>> page.error, f"{page.run.forecast.as_of:%Y-%m-%d}", page.date.max
    ('', '2025-06-30', datetime.date(2025, 6, 30))
    >>> page.set_inputs(as_of="2025-03-31")
    >>> page.run.forecast.months_known
    3
    """

    def __init__(
        self,
        book: str | None = None,
        plan: str = "baseline.yaml",
        *,
        n_trials: int = 2000,
        figures: bool = True,
        autorun: bool = True,
        uploads: Uploads | None = None,
        seed: int = 0,
    ) -> None:
        self.files = project_files()
        if uploads is None:
            uploads = Uploads(Path(tempfile.mkdtemp("-spm-track")), self.files)
        self._uploads = uploads
        self.figures = figures
        self.seed = seed
        self.run: TrackingRun | None = None
        self.error = ""
        self.seconds = 0.0
        self._books: dict[str, Book] = {}
        self._bounds_of = ""  # the book the date picker's bounds are for
        self._quiet = False
        self._finished = 0
        self._good: dict[str, Any] | None = None
        self._started = False
        self._build(book, plan, n_trials)
        if autorun:
            self.start()

    # ------------------------------------------------------------ widgets

    def _build(self, book: str | None, plan: str, n_trials: int) -> None:
        books = list(self.files["books"])
        if book is None:
            book = next((b for b in books if b.startswith(DEFAULT_BOOK + " ")), books[0])
        menu: dict[str, Any] = dict(style=LABEL_STYLE, layout=WIDE)
        self.book_menu = widgets.Dropdown(
            options=books,
            value=book,
            description="Book",
            tooltip="The reps, deals and pipeline tracked (data/<book>, or your upload)",
            **menu,
        )
        self.plan_menu = widgets.Dropdown(
            options=list(self.files["plans"]),
            value=plan,
            description="Plan in force",
            tooltip="The compensation plan the year is paid under (data/plans)",
            **menu,
        )
        self.date = widgets.DatePicker(
            description="As of (the last day known)",
            tooltip="Deals, cancellations and pipeline known at the end of this day",
            style=LABEL_STYLE,
            layout=widgets.Layout(width="560px"),
        )
        self.trials_menu = _trials_menu(
            n_trials,
            "Simulated rests of the year (trials)",
            "More trials: narrower intervals, slower runs",
            **menu,
        )
        self.upload = _upload_button("Your own plan (YAML) or book (a .zip or its CSV files)")
        self.run_button = widgets.Button(
            description="Run the forecast",
            icon="play",
            tooltip="Forecast the rest of the year as of the date chosen",
            button_style="primary",
            layout=widgets.Layout(width="200px"),
        )
        self.download_button = widgets.Button(
            description="Prepare tracking files",
            icon="download",
            tooltip="Write the tracking report (HTML) and the leaderboard, accruals and "
            "forecast tables (CSV)",
            layout=widgets.Layout(width="220px"),
        )
        self.status = widgets.HTML("")
        self.error_box = widgets.HTML("")
        self.sentence = widgets.HTML("")
        self.cards = widgets.HTML("")
        self.figure_box = widgets.HTML("")
        self.leaderboard_box = widgets.HTML("")
        self.contests_box = widgets.HTML("")
        self.warnings_box = widgets.HTML("")
        self.accruals_box = widgets.HTML("")
        self.notes_box = widgets.HTML("")
        self.downloads = widgets.HTML("")

        for w in (self.book_menu, self.plan_menu, self.date, self.trials_menu):
            w.observe(self._on_inputs, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.run_button.on_click(lambda _b: self.update())
        self.download_button.on_click(lambda _b: self.prepare_downloads())

        def heading(text: str) -> widgets.HTML:
            return widgets.HTML(f"<h3 style='margin:6px 0 2px'>{html.escape(text)}</h3>")

        help_text = widgets.HTML(
            "Your own files: a plan YAML, or a book as a .zip or its CSV files chosen "
            "together. The date is bounded to the book's data; it starts on its snapshot."
        )
        self.widget = widgets.VBox(
            [
                heading("1. The year to track"),
                self.book_menu,
                self.plan_menu,
                self.date,
                self.trials_menu,
                widgets.HBox([self.upload, help_text]),
                widgets.HBox([self.run_button, self.status]),
                self.error_box,
                heading("2. Where the year stands"),
                self.sentence,
                self.cards,
                self.figure_box,
                heading("3. Leaderboard (by chance of quota)"),
                self.leaderboard_box,
                heading("4. Contests"),
                self.contests_box,
                heading("5. Early warnings"),
                self.warnings_box,
                heading("6. Accruals for finance"),
                self.accruals_box,
                heading("7. Download"),
                widgets.HBox([self.download_button, self.downloads]),
                heading("What the forecast assumed"),
                self.notes_box,
            ]
        )
        _no_null_tooltips(self.widget)
        self._controls = [
            self.book_menu,
            self.plan_menu,
            self.date,
            self.trials_menu,
            self.upload,
            self.run_button,
            self.download_button,
        ]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------ events

    def _on_inputs(self, _change: Any = None) -> None:
        if not self._quiet and self._started:
            self.update()

    def start(self) -> None:
        """Run the first forecast, if none has run yet (the app calls this when its
        tab is first opened)."""
        if not self._started:
            self._started = True
            self.update()

    def values(self) -> dict[str, Any]:
        """The menus' and the date's values: ``book``, ``plan``, ``as_of``, ``trials``."""
        return {
            "book": self.book_menu.value,
            "plan": self.plan_menu.value,
            "as_of": self.date.value,
            "trials": self.trials_menu.value,
        }

    def set_inputs(self, **values: Any) -> None:
        """Set several inputs at once (``book``, ``plan``, ``as_of``, ``trials``), then
        update. ``as_of`` may be text (YYYY-MM-DD); a date outside the book's data is
        refused in words (the picker itself would move it to the nearest day).

        Examples
        --------
        >>> page = TrackingPage(n_trials=200, figures=False)
        >>> page.set_inputs(as_of="2031-01-01")
        >>> print(page.error)  # doctest: +ELLIPSIS
        column 'as_of': the as-of date 2031-01-01 is after the book's data end: ...
        """
        unknown = set(values) - {"book", "plan", "as_of", "trials"}
        if unknown:
            raise KeyError(f"no input named {sorted(unknown)}; inputs: book, plan, as_of, trials")
        self._quiet = True
        refused: Exception | None = None
        try:
            if "book" in values:
                self.book_menu.value = values["book"]
            if "plan" in values:
                self.plan_menu.value = values["plan"]
            if "trials" in values:
                self.trials_menu.value = int(values["trials"])
            if "as_of" in values:
                try:
                    self.date.value = self._checked_date(values["as_of"])
                except (SpmSimError, ValueError) as exc:
                    refused = exc
        finally:
            self._quiet = False
        self._started = True
        if refused is not None:
            self._report(refused)
            return
        self.update()

    def _checked_date(self, value: Any) -> datetime.date | None:
        """``value`` as a date within the chosen book's data, or a DataError in words."""
        if value is None:
            return None
        stamp = pd.to_datetime(value, format="%Y-%m-%d", errors="coerce")
        if isinstance(value, datetime.date | pd.Timestamp):
            stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            raise DataError(
                f"the as-of date {value!r} is not a date; write it as YYYY-MM-DD (for "
                "example 2025-06-30).",
                column="as_of",
                value=value,
            )
        day = pd.Timestamp(stamp).date()
        book = self._book(self.book_menu.value)
        first, last = book_dates(book)
        if not first <= day <= last:
            side = "after the book's data end" if day > last else "before the book's first record"
            raise DataError(
                f"the as-of date {day:%Y-%m-%d} is {side}: book {book.name!r} runs from "
                f"{first:%Y-%m-%d} to {last:%Y-%m-%d}. Choose a day in that range.",
                column="as_of",
                value=f"{day:%Y-%m-%d}",
            )
        return day

    # ------------------------------------------------------------ running

    def _book(self, key: str) -> Book:
        if key not in self._books:
            path = self._uploads["books"].get(key) or self.files["books"][key]
            self._books[key] = load_book_ref(str(path))
        return self._books[key]

    def _plan(self, key: str) -> Plan:
        path = self._uploads["plans"].get(key) or self.files["plans"][key]
        return load_plan(path)

    def _bound_dates(self, key: str, book: Book) -> None:
        """Bound the date picker to ``book``'s data; a new book starts on its last day."""
        if self._bounds_of == key:
            return
        first, last = book_dates(book)
        keep = self.date.value
        self._quiet = True
        try:
            self.date.min = None
            self.date.max = None
            self.date.min, self.date.max = first, last
            self.date.value = keep if keep is not None and first <= keep <= last else last
        finally:
            self._quiet = False
        self._bounds_of = key

    def _busy(self, on: bool, text: str = "Running the forecast...") -> None:
        for w in self._controls:
            w.disabled = on
        if on:
            self.status.value = (
                f"<span class='spm-track-busy' style='color:#8a3b00;font-weight:bold'>"
                f"{html.escape(text)}</span>"
            )
            return
        self._finished += 1
        if self.error:
            self.status.value = (
                f"<span class='spm-track-ready spm-track-failed' data-run='{self._finished}' "
                "style='color:#b00020;font-weight:bold'>Not updated: see the message "
                "below.</span>"
            )
        else:
            trials = self.run.forecast.n_trials if self.run else 0
            self.status.value = (
                f"<span class='spm-track-ready' data-run='{self._finished}' style='color:#555'>"
                f"Updated in {self.seconds:.1f} s ({trials:,} trials).</span>"
            )

    def _report(self, exc: Exception, restored: str = "") -> None:
        """Show ``exc`` in words in the red box (the status says: not updated)."""
        self.error = plain_paths(str(exc), self._uploads.workdir, SAMPLE_SCENARIOS.parents[1])
        kept = (
            f" The results below are still those of the last good run (as of "
            f"{self.run.forecast.as_of:%Y-%m-%d})."
            if self.run is not None
            else ""
        )
        self.error_box.value = message_box(
            f"<b>Could not update:</b> {html.escape(self.error)}{html.escape(restored)}"
            f"{html.escape(kept)}",
            "#b00020",
            "#fdecea",
        )
        self._busy(False)

    def _guarded(self, action: Callable[[], None], busy: str) -> None:
        started = time.perf_counter()
        self._busy(True, busy)

        def fail(exc: Exception) -> None:
            self.seconds = time.perf_counter() - started
            self._report(exc, self._restore())

        if _run_guarded(action, fail):
            self.seconds = time.perf_counter() - started
            self._busy(False)

    def _restore(self) -> str:
        """Put the menus back on the last choice that ran; say so (or nothing)."""
        good = self._good
        if good is None or good == self.values():
            return ""
        self._quiet = True
        try:
            self.book_menu.value = good["book"]
            self._bound_dates(good["book"], self._book(good["book"]))
            self.plan_menu.value = good["plan"]
            self.date.value = good["as_of"]
            self.trials_menu.value = good["trials"]
        finally:
            self._quiet = False
        return (
            f" The inputs are back on the last choice that ran: book {good['book']}, plan "
            f"{good['plan']}, as of {good['as_of']:%Y-%m-%d}, {good['trials']:,} trials."
        )

    def update(self) -> None:
        """Run the forecast for the inputs' values and show it (the busy label meanwhile).

        Examples
        --------
        >>> page = TrackingPage(n_trials=200, figures=False, autorun=False)
        >>> page.run is None
        True
        >>> page.update()
        >>> page.run.forecast.n_trials
        200
        """
        self._started = True

        def go() -> None:
            key = self.book_menu.value
            book = self._book(key)
            self._bound_dates(key, book)
            plan = self._plan(self.plan_menu.value)
            if self.date.value is None:
                raise DataError(
                    "no as-of date is chosen; pick the last day whose deals you know "
                    "(within the book's data) in the date box."
                )
            run = run_tracking(
                book, plan, self.date.value, trials=int(self.trials_menu.value), rng=self.seed
            )
            self._show(run)
            self._good = self.values()

        self._guarded(go, "Running the forecast...")

    def _show(self, run: TrackingRun) -> None:
        self.run = run
        self.error, self.error_box.value = "", ""
        fc = run.forecast
        if "spm-track-downloads" in self.downloads.value:
            self.downloads.value = (
                "<span class='spm-track-stale' style='color:#555'>The inputs changed: "
                "prepare the files again.</span>"
            )
        self.sentence.value = no_maths(
            f"<p class='spm-track-sentence'>{html.escape(company_sentence(run))}</p>"
        )
        self.cards.value = no_maths(tracking_cards(run))
        self.leaderboard_box.value = no_maths(
            _table_html(leaderboard_frame(run.leaderboard), "spm-track-leaderboard", "No rep.")
        )
        self.contests_box.value = no_maths(
            _table_html(
                contests_frame(run.contests),
                "spm-track-contests",
                f"Plan {fc.plan.name} has no contest.",
            )
        )
        self.warnings_box.value = no_maths(
            _table_html(warnings_frame(run.warnings), "spm-track-warnings", "No early warning.")
        )
        self.accruals_box.value = no_maths(
            _table_html(accruals_frame(run.accruals), "spm-track-accruals", "")
        )
        notes = [*fc.notes, f"Forecast and views computed in {run.seconds:.1f} s."]
        self.notes_box.value = (
            "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"
        )
        if self.figures:
            self.figure_box.value = _figure_html(run)

    # ------------------------------------------------------------ downloads

    def report_bytes(self) -> bytes:
        """The tracking report of the latest run (HTML,
        :func:`spm_sim.report.tracking.write_tracking_report`).

        Examples
        --------
        >>> page = TrackingPage(n_trials=200, figures=False)
        >>> page.report_bytes()[:15].lower()
        b'<!doctype html>'
        """
        assert self.run is not None
        run = self.run
        path = self._uploads.workdir / "downloads" / "tracking.html"
        write_tracking_report(
            run.forecast,
            path,
            table=run.accruals,
            board=run.leaderboard,
            contests=run.contests,
            warnings=run.warnings,
        )
        return path.read_bytes()

    def prepare_downloads(self) -> None:
        """Write the tracking report and the run's tables (:func:`tracking_csv`) as
        download links.

        Examples
        --------
        >>> page = TrackingPage(n_trials=200, figures=False)
        >>> page.prepare_downloads()
        >>> "leaderboard.csv" in page.downloads.value
        True
        """
        if self.run is None:
            return
        run = self.run

        def prepare() -> None:
            fc = run.forecast
            slug = f"{slugify(fc.plan.name)[:40].rstrip('-_')}-as-of-{fc.as_of:%Y-%m-%d}"
            links = [
                download_link(
                    self.report_bytes(), f"tracking-{slug}.html", "text/html",
                    "Tracking report (HTML)",
                )
            ]  # fmt: skip
            links += [
                download_link(data, f"{Path(name).stem}-{slug}.csv", "text/csv", name)
                for name, data in tracking_csv(run).items()
            ]
            self.downloads.value = "<span class='spm-track-downloads'>" + "".join(links) + "</span>"
            self.error, self.error_box.value = "", ""

        self._guarded(prepare, "Writing the files...")

    # ------------------------------------------------------------ uploads

    def _on_upload(self, change: Any) -> None:
        files = change["new"]
        if files:
            self.add_files({f["name"]: bytes(f["content"]) for f in files})

    def add_files(self, files: Mapping[str, bytes]) -> None:
        """Check uploaded files (name -> bytes) and offer them: plans in the plan menu,
        books in the book menu (the new choice is selected and run). Scenarios are for
        the planning page; a file that fails its checks is refused in words.

        Examples
        --------
        >>> page = TrackingPage(n_trials=200, figures=False, autorun=False)
        >>> from spm_sim.scenario import SAMPLE_PLANS
        >>> text = (SAMPLE_PLANS / "baseline.yaml").read_text().replace(
        ...     "Baseline 2026 AE plan", "Mine")
        >>> page.add_files({"mine.yaml": text.encode()})
        >>> page.plan_menu.value, page.run.forecast.plan.name
        ('mine.yaml (uploaded)', 'Mine')
        """

        def add() -> None:
            added = self._uploads.add(dict(files))
            menus = {"books": self.book_menu, "plans": self.plan_menu}
            chosen = False
            self._quiet = True
            try:
                for kind, key in added:
                    menu = menus.get(kind)
                    if menu is None:
                        continue
                    if key not in menu.options:
                        menu.options = [*menu.options, key]
                    menu.value = key
                    chosen = True
            finally:
                self._quiet = False
            if not chosen:
                raise ValueError(
                    "the files uploaded hold no plan or book; a scenario is for the planning "
                    "page (Plan next year)."
                )

        before = self._finished
        self._guarded(add, "Checking the uploaded files...")
        if self._finished == before + 1 and not self.error:
            self.update()


def _figure_html(run: TrackingRun) -> str:
    """The fan of cumulative company bookings and the reps' chances of quota (HTML
    images, :mod:`spm_sim.viz.tracking`)."""
    fc = run.forecast
    fan = fig_to_base64_png(forecast_fan_figure(fc, target=run.target), dpi=FIGURE_DPI)
    dots = fig_to_base64_png(p_quota_figure(run.leaderboard), dpi=FIGURE_DPI)
    return (
        "<div class='spm-track-figures'>"
        "<img class='spm-track-fan' alt='Cumulative company bookings: actual to the as-of "
        f"date, then the forecast median and its P10 to P90 band' style='max-width:100%' "
        f"src='data:image/png;base64,{fan}'>"
        '<img alt="Each rep\'s chance of making quota, with its interval" '
        f"style='max-width:100%' src='data:image/png;base64,{dots}'></div>"
    )
