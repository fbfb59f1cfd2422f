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

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import write_text
from spm_sim._format import chance_bounds, chance_text, format_money, format_pct, ratio_against
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

from .html import _document_head, _e, _figure, _kv_table, _table

__all__ = [
    "company_figures",
    "tracking_summary",
    "write_tracking_report",
    "next_accrual",
    "chance_text",
    "ratio_against",
    "ranked_board",
    "reps_left",
    "contest_pipeline",
    "plan_year_note",
    "warning_counts",
    "tidy_numbers",
    "change_parts",
    "EXAMPLE_RESPONSE",
]

#: The shipped scenario with a response to a SPIFF or contest (behaviour and
#: ``programmes.contest``), named where the page says the response is not modelled.
EXAMPLE_RESPONSE = "data/scenarios/in_year_response.yaml"

#: The most rows a table of reps shows on the page (the CSV files hold them all).
MAX_ROWS = 60


# --------------------------------------------------------------------------- words for numbers


def plan_year_note(plan_name: str, year: int) -> str | None:
    """A note when the plan's name names another year than the one tracked.

    Examples
    --------
    >>> plan_year_note("Baseline 2026 AE plan", 2025)   # doctest: +ELLIPSIS
    "The plan's name 'Baseline 2026 AE plan' says 2026 but the year tracked is 2025: ..."
    >>> plan_year_note("AE plan 2025", 2025) is None
    True
    """
    years = {int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", str(plan_name))}
    if not years or year in years:
        return None
    said = ", ".join(str(y) for y in sorted(years))
    return (
        f"The plan's name {plan_name!r} says {said} but the year tracked is {year}: check that "
        f"it is the plan in force in {year} (a plan designed for another year tracks this one "
        "as if it had been in force)."
    )


def reps_left(book: Any, forecast: Forecast) -> dict[str, pd.Timestamp]:
    """The reps of the forecast who had left by its as-of date (their last day before it).

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> from spm_sim.track import example_forecast
    >>> reps_left(load_sample(), example_forecast())
    {}
    """
    reps = book.reps
    if "term_date" not in reps:
        return {}
    term = pd.to_datetime(reps["term_date"], errors="coerce")
    ids = reps["rep_id"].astype(str)
    ours = set(forecast.rep_ids)
    gone = (term < forecast.as_of) & ids.isin(ours)
    return {str(r): pd.Timestamp(t) for r, t in zip(ids[gone], term[gone], strict=True)}


def ranked_board(board: pd.DataFrame, left: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The leaderboard ranked as a sales leader reads it: by attainment to date.

    Ties on attainment are broken by the bookings to date; reps still tied (the same
    attainment and bookings, e.g. several at 0%) share a position shown "=N". Adds
    ``position`` (1 is first), ``position_label`` ("1", "=2") and ``left_on`` (the
    ISO date a rep who left by the as-of date left; empty otherwise). Reps without
    quota come last, unranked.

    Examples
    --------
    >>> from spm_sim.track import example_forecast, leaderboard
    >>> ranked_board(leaderboard(example_forecast()))[["rep_id", "position_label"]]
      rep_id position_label
    0   R003              1
    1   R002              2
    2   R001              3
    """
    left = dict(left or {})
    out = board.copy()
    att = pd.to_numeric(out["attainment_to_date"], errors="coerce")
    out = out.assign(_a=att.fillna(-np.inf), _b=out["bookings_to_date"].astype(float))
    out = out.sort_values(["_a", "_b", "rep_id"], ascending=[False, False, True], kind="stable")
    key = list(zip(out["_a"], out["_b"].round(2), strict=True))
    positions, labels = [], []
    for i, k in enumerate(key):
        first = key.index(k)
        tied = key.count(k) > 1
        positions.append(first + 1)
        labels.append(f"={first + 1}" if tied else str(i + 1))
    out["position"] = positions
    out["position_label"] = labels
    unranked = ~np.isfinite(att.loc[out.index].to_numpy(float))
    out.loc[unranked, "position_label"] = ""
    out["left_on"] = [
        f"{pd.Timestamp(left[r]):%Y-%m-%d}" if r in left else "" for r in out["rep_id"]
    ]
    out = out.drop(columns=["_a", "_b"]).reset_index(drop=True)
    out.attrs.update(board.attrs)
    return out


def contest_pipeline(forecast: Forecast, contests: pd.DataFrame) -> pd.DataFrame:
    """Each contest rep's current rank and open pipeline in the contest's measure.

    For a contest on a bookings measure: the open opportunities of the measure's
    product (any product for ``bookings``) whose expected close date is on or before
    the window's end, their amount and their amount weighted by the forecast's
    ``p_win`` (the calibrated chance of closing won by 31 December). The current
    rank is that of ``total_to_date`` (1 the highest; ties share the best rank).

    Returns
    -------
    DataFrame
        ``contests`` with ``rank_to_date``, ``open_pipeline`` and
        ``open_pipeline_weighted`` added (NaN for a measure counted in deals or
        logos, or when the window is over).

    Examples
    --------
    >>> from spm_sim.track import example_forecast, contest_standings
    >>> contest_pipeline(example_forecast(), contest_standings(example_forecast())).empty
    True
    """
    out = contests.copy()
    if out.empty:
        for col in ("rank_to_date", "open_pipeline", "open_pipeline_weighted"):
            out[col] = pd.Series(dtype=float)
        return out
    pipe = forecast.pipeline
    out["rank_to_date"] = (
        out.groupby("contest", sort=False)["total_to_date"]
        .rank(ascending=False, method="min")
        .astype(int)
    )
    amount = np.full(len(out), np.nan)
    weighted = np.full(len(out), np.nan)
    for name, idx in out.groupby("contest", sort=False).groups.items():
        first = out.loc[idx[0]]
        measure = forecast.plan.measure(str(first["measure"]))
        if measure.kind != "bookings" or first["state"] == "final":
            continue
        rows = pipe
        if len(rows) and "on_quota" in rows:
            rows = rows[rows["on_quota"].astype(bool)]
        if measure.product is not None and len(rows):
            rows = rows[rows["product"].astype(str) == str(measure.product)]
        if len(rows):
            close = pd.to_datetime(rows["expected_close_date"], errors="coerce")
            rows = rows[close <= pd.Timestamp(first["end"])]
        if len(rows):
            amt = rows.groupby(rows["rep_id"].astype(str))["amount"].sum()
            p = rows["p_win"] if "p_win" in rows else rows["probability"]
            wt = (rows["amount"] * p).groupby(rows["rep_id"].astype(str)).sum()
        else:
            amt = wt = pd.Series(dtype=float)
        pos = out.index.get_indexer(idx)
        reps = out.loc[idx, "rep_id"].astype(str)
        amount[pos] = reps.map(amt).fillna(0.0).to_numpy(float)
        weighted[pos] = reps.map(wt).fillna(0.0).to_numpy(float)
        del name
    out["open_pipeline"] = amount
    out["open_pipeline_weighted"] = weighted
    out.attrs.update(contests.attrs)
    return out


def warning_counts(warnings: pd.DataFrame | None) -> str:
    """How many early warnings of each kind, counted the same way everywhere: the reps'
    and regions' warnings, then the company-level ones.

    Examples
    --------
    >>> w = pd.DataFrame({"kind": ["at risk", "cap binds", "cap binds"],
    ...                   "level": ["rep", "rep", "company"]})
    >>> warning_counts(w)
    '2 rep and region warnings (1 at risk, 1 cap binds) + 1 company-level (cap binds)'
    """
    if warnings is None or warnings.empty:
        return "no early warning"
    company = warnings["level"] == "company"
    own = warnings[~company]["kind"].value_counts()
    text = f"{int((~company).sum())} rep and region warning{'s' if (~company).sum() != 1 else ''}"
    if len(own):
        text += " (" + ", ".join(f"{int(n)} {k}" for k, n in own.items()) + ")"
    if company.any():
        kinds = ", ".join(dict.fromkeys(warnings[company]["kind"].astype(str)))
        text += f" + {int(company.sum())} company-level ({kinds})"
    return text


#: Words in a column name that make it a share or a probability (4 decimals in CSVs).
_SHARE_WORDS = ("p_", "attainment", "pace", "share", "probability", "coverage", "rate")


def tidy_numbers(frame: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """A table's numbers as a CSV should hold them: money to the cent, shares and
    probabilities to 4 decimals, no ``-0`` and no ``1e-10`` noise.

    A column is a share when its name says so (``p_``, ``attainment``, ``pace``,
    ``share``...); in a table with a ``unit`` column, the ``value``/``low``/``high``
    of rows whose unit is not the currency are shares too. Other floats are money
    (or counts) and keep 2 decimals. ``attrs`` are kept.

    Examples
    --------
    >>> tidy_numbers(pd.DataFrame({"to_accrue": [4.66e-10, -2.9e-11, 1234.5678],
    ...                            "p_quota": [0.123456, 1.0, 0.5]}))
       to_accrue  p_quota
    0       0.00   0.1235
    1       0.00   1.0000
    2    1234.57   0.5000
    """
    out = frame.copy()
    floats = [c for c in out.columns if pd.api.types.is_float_dtype(out[c])]
    share_rows = None
    if "unit" in out.columns and currency is not None:
        share_rows = out["unit"].astype(str) != currency
    for col in floats:
        digits = 4 if any(w in str(col) for w in _SHARE_WORDS) else 2
        values = out[col].astype(float)
        if share_rows is not None and col in ("value", "low", "high"):
            values = values.where(share_rows, values.round(2)).where(~share_rows, values.round(4))
        else:
            values = values.round(digits)
        out[col] = values + 0.0  # -0.0 + 0.0 is 0.0
    out.attrs.update(frame.attrs)
    return out


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
    target_source: str | None = None,
    left: Mapping[str, Any] | None = None,
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
    target_source : str, optional
        Where the target comes from, in words (e.g. "the sum of the reps' quotas, set
        from 2024's bookings with no growth"); shown in the target's label.
    left : mapping of rep_id to date, optional
        Reps on quota who had left by the as-of date (:func:`reps_left`): not counted
        among the reps employed at the date nor among those on pace.

    Returns
    -------
    DataFrame
        Indexed by ``key``; columns ``figure`` (words), ``unit`` (the currency,
        ``share``, ``probability`` or ``reps``), ``value``, ``low``, ``high`` (the
        interval of ``value``: equal to it for a known figure). Keys:
        ``bookings_to_date``, ``target``, ``attainment_to_date``,
        ``bookings_mean``, ``bookings_p10``, ``bookings_p50``, ``bookings_p90``,
        ``p_target``, ``reps``, ``reps_employed``, ``reps_on_pace``,
        ``reps_at_quota``, ``cost_mean``, ``cost_p10``, ``cost_p50``, ``cost_p90``,
        ``target_incentive`` (the reps' target incentive for the year, prorated for
        the time employed), ``cost_share_of_ti`` (the expected cost over it),
        ``cost_of_sales`` (the cost over the year's bookings, mean of the trials'
        ratios), ``earned_to_date``, ``paid``, ``owed``, ``to_accrue``; and
        ``quota_total`` when ``target`` is given. ``attrs["target_source"]`` holds
        the target's source in words.

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

    def spread(key: str, figure: str, draws: np.ndarray) -> None:
        """The mean and P10, P50, P90 of money ``draws``, each with its interval."""
        rows[f"{key}_mean"] = (
            f"{figure}, mean",
            cur,
            _known(mean_interval(draws, level=level), draws),
        )
        for q in (10, 50, 90):
            iv = _known(percentile_interval(draws, q / 100, level=level), draws)
            rows[f"{key}_p{q}"] = (f"{figure}, P{q}", cur, iv)

    short = "the sum of the reps' quotas" if target is None else "the company's number"
    if target_source is None:
        target_source = short
    known("bookings_to_date", f"Bookings to {fc.as_of:%d %b %Y}", cur, to_date)
    known("target", f"Target ({short})", cur, goal)
    if target is not None:
        known("quota_total", "Sum of the reps' quotas", cur, float(quota.sum()))
    known(
        "attainment_to_date",
        "Share of the target booked",
        "share",
        to_date / goal if goal else np.nan,
    )
    spread("bookings", "Year-end bookings", total)
    made = float((total >= goal * (1 - 1e-12)).sum()) if goal > 0 else float("nan")
    rows["p_target"] = (
        "Chance of reaching the target",
        "probability",
        proportion_interval(made, n, level=level) if goal > 0 else Interval(np.nan, np.nan, np.nan),
    )
    on = quota > 0
    gone = np.array([r in (left or {}) for r in fc.rep_ids], dtype=bool)
    known("reps", f"Reps on quota in {fc.year}", "reps", float(on.sum()))
    known(
        "reps_employed",
        f"Reps on quota employed on {fc.as_of:%d %b %Y}",
        "reps",
        float((on & ~gone).sum()),
    )
    from spm_sim.track import quota_to_date

    due = quota_to_date(fc)
    pace = np.asarray(fc.actual, float).sum(axis=1)
    known("reps_on_pace", "Reps employed on pace (bookings to date at or above the quota due)",
          "reps", float(((pace >= due * (1 - 1e-12)) & on & ~gone & (due > 0)).sum()))  # fmt: skip
    count = fc.made_quota[:, on].sum(axis=1).astype(float)
    rows["reps_at_quota"] = (
        "Reps at quota by year end, mean",
        "reps",
        _known(mean_interval(count, level=level), count),
    )
    spread("cost", "Incentive cost of the year", cost)
    ti = float(np.asarray(fc.target_incentive, float)[on].sum())
    known("target_incentive", "Reps' target incentive (for the time employed)",
          cur, ti)  # fmt: skip
    share_ti = cost / ti if ti > 0 else np.full(cost.shape, np.nan)
    rows["cost_share_of_ti"] = (
        "Incentive cost over target incentive",
        "share",
        _known(mean_interval(share_ti, level=level), share_ti)
        if ti > 0
        else Interval(np.nan, np.nan, np.nan),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        sales = np.where(total > 0, cost / np.where(total > 0, total, 1.0), np.nan)
    rows["cost_of_sales"] = (
        "Cost of sales (incentive cost over bookings)",
        "share",
        _known(mean_interval(sales, level=level), sales)
        if np.isfinite(sales).all()
        else Interval(np.nan, np.nan, np.nan),
    )
    known("earned_to_date", "Incentive earned to date", cur, float(year["earned_to_date"]))
    known("paid", "Paid (months ended)", cur, float(year["paid"]))
    known("owed", "Owed (earned, payroll not yet run)", cur, float(year["owed"]))
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
    finite = np.isfinite(sales).any()
    band = np.nanpercentile(sales, [10, 90]) if finite else np.array([np.nan, np.nan])
    frame.attrs.update(
        as_of=f"{fc.as_of:%Y-%m-%d}", plan=fc.plan.name, year=int(fc.year), currency=cur,
        trials=int(n), level=float(level), target_source=target_source,
        cost_of_sales_p10=float(band[0]), cost_of_sales_p90=float(band[1]),
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
    return chance_text(x, lo, hi)


def _signed_iv(x: float, lo: float, hi: float, cur: str) -> str:
    def m(v: float) -> str:
        return format_money(float(v), currency=cur, sign=True)

    return f"{m(x)} ({m(lo)} to {m(hi)})"


def _quarter_name(period: str) -> str:
    return period.split("-")[-1]


def _response(scenario: Any) -> Any:
    """The scenario's contest response (``programmes.contest``), or None."""
    return getattr(getattr(scenario, "programmes", None), "contest", None)


def _months_between(rows: pd.DataFrame) -> str:
    """The months of ``rows`` as "Jul-Sep 2025" (or one month, or nothing)."""
    if rows.empty:
        return ""
    months = pd.PeriodIndex(rows["period"].astype(str), freq="M")
    a, b = months.min(), months.max()
    return f"{a:%b %Y}" if a == b else f"{a:%b}-{b:%b %Y}"


def change_parts(changes: pd.DataFrame) -> dict[str, float]:
    """The change in the year's expected cost split by what the months were then and now.

    ``paid_then``: months already actual in the previous run (they move only when
    their quotas or deals changed); ``booked_since``: months forecast then and
    known now (the deals booked since); ``rest``: months still forecast (the
    forecast of the rest of the year). The three add up to the year's change.

    Examples
    --------
    >>> ch = pd.DataFrame({"kind": ["month"] * 3, "period": ["2025-01", "2025-02", "2025-03"],
    ...                    "status_previous": ["actual", "forecast", "forecast"],
    ...                    "status": ["actual", "actual", "forecast"], "change": [-1.0, 5.0, 2.0]})
    >>> change_parts(ch)
    {'paid_then': -1.0, 'booked_since': 5.0, 'rest': 2.0}
    """
    months = changes[changes["kind"] == "month"]
    then = months["status_previous"].astype(str) == "actual"
    now = months["status"].astype(str) == "actual"
    parts = {
        "paid_then": months.loc[then, "change"].sum(),
        "booked_since": months.loc[~then & now, "change"].sum(),
        "rest": months.loc[~then & ~now, "change"].sum(),
    }
    return {k: float(v) for k, v in parts.items()}


def tracking_summary(
    forecast: Forecast,
    figures: pd.DataFrame,
    table: pd.DataFrame,
    warnings: pd.DataFrame | None = None,
    *,
    changes: pd.DataFrame | None = None,
    proposal: ProposalEffect | None = None,
    scenario: Any = None,
    quota_change: Mapping[str, float] | None = None,
    left: Mapping[str, Any] | None = None,
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
    scenario : Scenario, optional
        The scenario the forecast ran under: whether it has a response to a SPIFF or
        contest (``programmes.contest``) decides how the proposal's bookings read.
    quota_change : mapping, optional
        How the quotas differ from the previous run's: ``reps`` (reps whose year's
        quota differs), ``change`` (the total change), ``compared`` (reps in both).
    left : mapping of rep_id to date, optional
        Reps on quota who had left by the as-of date (:func:`reps_left`).

    Returns
    -------
    list of str
        Pace and target (and where the target comes from), the year's end, the
        year's cost against the target incentive and the bookings, what to accrue
        next, the warnings, and the change since the previous run (split by
        months paid then, booked since and still forecast, and the quotas) and the
        proposal's effect when given; a note when the plan's name names another
        year.

    Examples
    --------
    >>> from spm_sim.track import accruals, example_forecast
    >>> fc = example_forecast(trials=200)
    >>> acc = accruals(fc)
    >>> import textwrap
    >>> print(textwrap.fill(tracking_summary(fc, company_figures(fc, acc), acc)[0], 88))
    At 30 June 2025, 3 of the 3 reps on quota are on pace; the company has booked $2.52M,
    70% of the $3.60M target (the sum of the reps' quotas).
    """
    fc = forecast
    cur = fc.currency
    f = figures
    v = f["value"]
    day = f"{fc.as_of.day} {fc.as_of:%B %Y}"
    goal = v["target"]
    source = figures.attrs.get("target_source") or "the sum of the reps' quotas"
    reps, employed = int(v["reps"]), int(v.get("reps_employed", v["reps"]))
    if employed == reps:
        who = f"{int(v['reps_on_pace'])} of the {reps} reps on quota are on pace"
    else:
        gone = ", ".join(
            f"{r} on {pd.Timestamp(t):%d %b}" for r, t in sorted((left or {}).items())[:4]
        )
        more = ", ..." if len(left or {}) > 4 else ""
        who = (
            f"{int(v['reps_on_pace'])} of the {employed} reps employed at the date are on pace "
            f"({reps} reps on quota this year; {reps - employed} left"
            + (f": {gone}{more}" if gone else "")
            + ")"
        )
    out = [
        f"At {day}, {who}; the company has booked {_money(v['bookings_to_date'], cur)}, "
        f"{format_pct(v['attainment_to_date'], decimals=0)} of the {_money(goal, cur)} target "
        f"({source})."
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
            f"a {chance_text(p.value, p.low, p.high)} chance of the {_money(goal, cur)} target."
        )
    c = f.loc["cost_mean"]
    against = []
    if "cost_share_of_ti" in f.index and np.isfinite(v["cost_share_of_ti"]):
        against.append(
            f"{format_pct(v['cost_share_of_ti'], decimals=0)} of the reps' "
            f"{_money(v['target_incentive'], cur)} target incentive"
        )
    if "cost_of_sales" in f.index and np.isfinite(v["cost_of_sales"]):
        lo, hi = f.attrs.get("cost_of_sales_p10"), f.attrs.get("cost_of_sales_p90")
        band = (
            f", P10 {format_pct(lo, decimals=2)} - P90 {format_pct(hi, decimals=2)}"
            if lo is not None and hi is not None and np.isfinite(lo) and lo != hi
            else ""
        )
        against.append(
            f"{format_pct(v['cost_of_sales'], decimals=2)} of the year's bookings (the cost of "
            f"sales{band})"
        )
    out.append(
        f"Incentive cost of the year: {_money(c.value, cur)} expected "
        f"({_span(c.low, c.high, cur)}), P10 {_money(v['cost_p10'], cur)} - P90 "
        f"{_money(v['cost_p90'], cur)}"
        + (f"; {' and '.join(against)}" if against else "")
        + f"; {_money(v['paid'], cur)} paid, {_money(v['owed'], cur)} owed, "
        f"{_money(v['to_accrue'], cur)} still to accrue."
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
            out.append(f"Early warnings: {warning_counts(warnings)}.")
    if changes is not None and len(changes):
        out += _change_sentences(changes, cur, quota_change)
    if proposal is not None:
        out.append(_proposal_sentence(proposal, cur, scenario))
    note = plan_year_note(fc.plan.name, fc.year)
    if note:
        out.append(note)
    return out


def _change_sentences(
    changes: pd.DataFrame, cur: str, quota_change: Mapping[str, float] | None
) -> list[str]:
    row = changes[changes["kind"] == "year"]
    if not len(row):
        return []
    r = row.iloc[0]
    noise = "within Monte Carlo error" if bool(r["within_mc_error"]) else "beyond Monte Carlo error"
    parts = change_parts(changes)
    months = changes[changes["kind"] == "month"]
    then = months["status_previous"].astype(str) == "actual"
    now = months["status"].astype(str) == "actual"

    def signed(x: float) -> str:
        return format_money(float(x), currency=cur, sign=True)

    split = []
    if then.any():
        split.append(
            f"{signed(parts['paid_then'])} in the months already paid then "
            f"({_months_between(months[then])})"
        )
    if (~then & now).any():
        split.append(
            f"{signed(parts['booked_since'])} in the months booked since "
            f"({_months_between(months[~then & now])}: forecast then, actual now)"
        )
    if (~then & ~now).any():
        split.append(
            f"{signed(parts['rest'])} in the forecast of the rest "
            f"({_months_between(months[~then & ~now])})"
        )
    text = (
        f"Since the run as of {changes.attrs.get('as_of_previous')}, the year's expected cost "
        f"moved {signed(r['change'])} ({signed(r['change_low'])} to {signed(r['change_high'])}; "
        f"{noise})" + (": " + ", ".join(split) if split else "") + "."
    )
    out = [text]
    if quota_change is not None:
        n = int(quota_change.get("reps", 0))
        if n:
            out.append(
                f"The quotas differ between the two runs: {n} of "
                f"{int(quota_change.get('compared', n))} reps' quotas for the year changed, by "
                f"{signed(quota_change.get('change', 0.0))} in all; a changed quota re-pays the "
                "months already paid, so part of the change is the quotas, not the sales "
                "(give both runs the same --quotas file to compare sales alone)."
            )
        else:
            out.append("The quotas are the same in both runs.")
    return out


def _proposal_sentence(proposal: ProposalEffect, cur: str, scenario: Any) -> str:
    t = proposal.table.set_index("figure")
    cost = t.loc["incentive cost, year"]
    book = t.loc["bookings, rest of year"]

    def signed(x: float) -> str:
        return format_money(float(x), currency=cur, sign=True)

    text = (
        f"The proposal {proposal.table.attrs.get('proposed_plan')!r} costs "
        f"{signed(cost.difference)} for the year ({signed(cost.difference_low)} to "
        f"{signed(cost.difference_high)})"
    )
    response = _response(scenario)
    moved = (
        f" and moves the rest of the year's bookings by {signed(book.difference)} "
        f"({signed(book.difference_low)} to {signed(book.difference_high)})"
    )
    if response is not None:
        return text + moved + f", under the scenario's response to it ({response.describe()})."
    if not (book.difference == 0 and book.difference_low == book.difference_high):
        return text + moved + ", through the scenario's behaviour block alone."
    why = (
        "no scenario was given"
        if scenario is None
        else "the scenario has no response to a SPIFF or contest (programmes.contest); its "
        "behaviour block does not respond to one, as the pay curve the reps see leaves SPIFFs "
        "and contests out"
    )
    return (
        text + f". The reps' response to it is not modelled ({why}), so its effect on bookings "
        f"is {_money(0.0, cur)} by construction and the figure is its cost alone. To model "
        "it, give a scenario with a programmes.contest block (the uplift in the window and "
        f"the deals pulled in; example: {EXAMPLE_RESPONSE})."
    )


# --------------------------------------------------------------------------- the page


def _fmt(value: float, unit: str, cur: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    if unit == cur:
        return _money(value, cur)
    if unit == "probability":
        return chance_text(value)
    if unit == "share":
        return format_pct(value, decimals=2 if abs(value) < 0.1 else 1)
    if unit == "reps":
        return f"{value:,.1f}" if value != round(value) else f"{int(value):,}"
    return f"{value:,.3g}"


def _figure_rows(figures: pd.DataFrame, cur: str) -> list[list[str]]:
    rows = []
    for _key, r in figures.iterrows():
        known = r["low"] == r["high"] or not np.isfinite(r["low"])
        if r["unit"] == "probability":
            value = chance_text(r["value"])
            interval = "known" if known else chance_bounds(r["low"], r["high"])
            rows.append([str(r["figure"]), value, interval])
            continue
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
        left = getattr(r, "left_on", "")
        rows.append(
            [
                f"{r.rep_name} ({r.rep_id})" + (f", left {left}" if left else ""),
                str(getattr(r, "position_label", "")),
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
            rank = getattr(r, "rank_to_date", np.nan)
            pipe = getattr(r, "open_pipeline", np.nan)
            weighted = getattr(r, "open_pipeline_weighted", np.nan)
            rows.append(
                [
                    f"{r.rep_name} ({r.rep_id})",
                    "" if pd.isna(rank) else str(int(rank)),
                    total,
                    "n/a"
                    if pd.isna(pipe)
                    else f"{_money(pipe, cur)} ({_money(weighted, cur)} weighted)",
                    exp,
                    chance_text(r.p_rank_1, r.p_rank_1_low, r.p_rank_1_high),
                    _pct_iv(r.p_prize, r.p_prize_low, r.p_prize_high),
                    _money(r.expected_prize, cur),
                ]
            )
        parts.append(
            '<div class="wide">'
            + _table(
                [
                    "Rep",
                    "Rank now",
                    "So far",
                    "Open pipeline in the window",
                    "Expected total",
                    "Chance of 1st",
                    "Chance of a prize",
                    "Expected prize",
                ],
                rows,
                classes=["", "num", "num", "num", "num", "num", "num", "num"],
            )
            + "</div>"
        )
        parts.append(
            '<p class="note">Rank now: by the total so far (1 the highest). Open pipeline: the '
            "open opportunities of the measure's product expected to close by the window's "
            "end, and their amount weighted by the calibrated chance of winning them.</p>"
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
    counts = warning_counts(warnings)
    parts.append("<p>" + _e(counts[0].upper() + counts[1:]) + ".</p>")
    shown, note = _shown(warnings, "warnings", "warnings.csv")
    rows = [[str(r.kind), str(r.who), str(r.message)] for r in shown.itertuples(index=False)]
    parts.append(
        '<div class="wide">' + _table(["Kind", "Who", "Warning"], rows, row_header=False) + "</div>"
    )
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    parts.append("</section>")
    return parts


def _proposal_section(proposal: ProposalEffect | None, cur: str, scenario: Any = None) -> list[str]:
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
    parts.append(f"<p>{_e(_proposal_sentence(proposal, cur, scenario))}</p>")
    parts += [
        f'<p class="note">{_e(n)}</p>'
        for n in proposal.notes
        if not str(n).startswith("Behaviour off")  # said above, with how to model it
    ]
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
        "the figure, not how wrong the model could be. How wrong it was on a past year is "
        "what the back-test measures (<code>spm_sim.track.forecast_backtest</code>; "
        "docs/model.md 10.7): on the sample book's 2025 the year-end P10-P90 band held the "
        "actual at most as-of dates, but the bands of single months and quarters were about "
        "1.5 times too narrow, so treat a month's or a quarter's accrual range as wider than "
        "shown until a back-test on your own book says otherwise.</p>",
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
    scenario: Any = None,
    quota_change: Mapping[str, float] | None = None,
    left: Mapping[str, Any] | None = None,
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
    scenario, quota_change, left : optional
        As :func:`tracking_summary`: the scenario the forecast ran under, the
        quotas' change since the previous run, the reps who had left by the date
        (marked on the leaderboard).

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
    figures = company_figures(fc, table, left=left) if figures is None else figures
    title = title or f"Tracking {fc.year}: {fc.plan.name} as of {fc.as_of:%d %B %Y}"
    sentences = tracking_summary(
        fc, figures, table, warnings, changes=changes, proposal=proposal, scenario=scenario,
        quota_change=quota_change, left=left,
    )  # fmt: skip
    if "rank_to_date" not in contests:
        contests = contest_pipeline(fc, contests)
    months = table[table["kind"] != "month"]
    if "position_label" not in board:
        board = ranked_board(board, left)
    ranked, board_note = _shown(board, "reps", "leaderboard.csv")
    parts = _document_head(
        title,
        f"Book {_e(fc.book_name)}, {fc.n_reps:,} reps on quota, "
        f"{fc.n_trials:,} simulated rests of the year, seed {fc.seed_entropy}.",
        notes,
    )
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
        '<p class="note">Paid: earned in months whose payroll has run (on the payday of the '
        "following month). Owed: earned, its payroll not yet run. To accrue: expected cost "
        "minus what is earned. "
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
                "Pace to date",
                "Year end P10 / P50 / P90",
                "Chance of quota (95%)",
                "Earned",
                "Expected payout",
            ],
            _board_rows(ranked, cur),
            classes=["", "num", "num", "num", "num", "num", "num", "num", "num"],
        )
        + "</div>",
        '<p class="note">Ranked by attainment to date (bookings to date over the year\'s '
        "quota); ties broken by the bookings to date, and reps still tied share a rank (=). "
        "Pace to date: bookings to date over the quota due to date (the months ended and the "
        "month in progress pro rata); 100% is on pace. It is not a projection: the year end "
        "is in the P10 / P50 / P90 column. A rep who left before the as-of date is marked "
        "with the date and counts for the year, not among the reps employed at the date.</p>",
    ]
    if board_note:
        parts.append(f'<p class="note">{_e(board_note)}</p>')
    parts.append("</section>")
    parts += _contest_section(contests, cur)
    parts += _warning_section(warnings)
    parts += _proposal_section(proposal, cur, scenario)
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
