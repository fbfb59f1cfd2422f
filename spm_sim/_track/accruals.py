"""Accruals for finance: the incentive cost of a year in progress, by period.

:func:`accruals` turns a :class:`~spm_sim._track.result.Forecast` into one row for
the year, each quarter and each month: the expected incentive cost (the mean over
the forecast's trials, with its Monte Carlo interval) and its P10, P50 and P90 (each
with its interval), what the payroll has earned to date, what has been paid, what is
owed and what is still to accrue. :func:`accruals_by_rep` gives the same per rep.
:func:`save_accruals` and :func:`read_accruals` keep a run's table with a JSON
sidecar (as-of date, plan, year, currency, seed, trials), and
:func:`compare_accruals` says what changed since a previous run and whether the
change is larger than the two runs' Monte Carlo error.

:func:`forecast_from_draws` builds a :class:`Forecast` from draws made elsewhere
(a worked example, a test, one's own model of the rest of the year), paid through
the same kernel.

Definitions (every amount in the forecast's currency)
-----------------------------------------------------
``status``
    ``actual``: the period ended on or before the as-of date (every trial agrees);
    ``in progress``: it holds the as-of date; ``forecast``: it starts after it.
``expected``
    Mean over trials of the incentive paid for the period's months (all reps, all
    plan columns: commission, bonuses, SPIFFs, prizes, clawbacks, draws).
``earned_to_date``
    What the payroll owes on the deals known at the as-of date for the period's
    months through the as-of month (``Forecast.paid_to_date``).
``paid``
    The part of ``earned_to_date`` in months whose payroll has run by the as-of
    date. A payroll pays a month's incentive after the month closes: by default on
    day ``payday=15`` of the following month (the day is that month's last when it
    is shorter). ``payday=None`` counts a month paid as soon as it ends.
``owed``
    ``earned_to_date - paid``: earned but on no payroll yet, the liability to book at
    a period close. At a month end it is that month's earnings (with the default
    payday: a quarter close owes the quarter's last month), and in the middle of a
    month the month so far plus the month before until its payday.
``to_accrue``
    ``expected - earned_to_date``: the cost still expected to be earned in the
    period, with the interval of ``expected`` (``earned_to_date`` is known).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from spm_sim._files import write_csv, write_text
from spm_sim._provenance import package_version
from spm_sim.comp import Plan, payout
from spm_sim.errors import DataError
from spm_sim.metrics import mean_interval, percentile_interval

from .result import Forecast

__all__ = [
    "accruals",
    "accruals_by_rep",
    "save_accruals",
    "read_accruals",
    "compare_accruals",
    "forecast_from_draws",
    "month_status",
    "payroll_dates",
    "example_forecast",
]

#: The percentiles of the accrual tables, as fractions.
QUANTILES = (0.1, 0.5, 0.9)
#: The money columns of an accrual table that carry a 95% interval.
_ESTIMATES = ("expected", "p10", "p50", "p90", "to_accrue")
#: The columns every saved accrual table has (per-rep tables add rep_id, rep_name).
COLUMNS = (
    "period",
    "kind",
    "start",
    "end",
    "status",
    "currency",
    *(f"{name}{end}" for name in _ESTIMATES for end in ("", "_low", "_high")),
    "earned_to_date",
    "paid",
    "owed",
)
_NUMERIC = tuple(c for c in COLUMNS if c not in ("period", "kind", "start", "end", "status"))
_NUMERIC = tuple(c for c in _NUMERIC if c != "currency")
#: What the JSON sidecar of a saved table must hold.
_SIDECAR_KEYS = ("as_of", "plan", "year", "currency", "seed", "trials", "level")


# --- periods ---------------------------------------------------------------------------


def _month_bounds(year: int, month: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year=year, month=month, day=1)
    return start, start + pd.offsets.MonthEnd(0)


def month_status(year: int, as_of: pd.Timestamp) -> list[str]:
    """The status of each month of ``year`` at ``as_of``.

    ``actual`` (ended on or before ``as_of``), ``in progress`` (holds it) or
    ``forecast`` (starts after it).

    Examples
    --------
    >>> import pandas as pd
    >>> month_status(2025, pd.Timestamp("2025-06-15"))[4:8]
    ['actual', 'in progress', 'forecast', 'forecast']
    >>> month_status(2025, pd.Timestamp("2025-06-30"))[5]
    'actual'
    """
    out = []
    for m in range(1, 13):
        start, end = _month_bounds(year, m)
        out.append("actual" if end <= as_of else "in progress" if start <= as_of else "forecast")
    return out


def _periods(year: int) -> list[tuple[str, str, list[int]]]:
    """(label, kind, month indices) of the year, its quarters and its months."""
    out = [(str(year), "year", list(range(12)))]
    for q in range(4):
        months = list(range(3 * q, 3 * q + 3))
        out.append((f"{year}-Q{q + 1}", "quarter", months))
    out += [(f"{year}-{m + 1:02d}", "month", [m]) for m in range(12)]
    return out


def _check_payday(payday: int | None) -> int | None:
    if payday is None:
        return None
    if isinstance(payday, bool) or not isinstance(payday, (int, np.integer)):
        raise ValueError(
            f"payday must be a day of the month (1-31) or None; got {payday!r}. It is the "
            "day of the following month on which a month's incentive is paid."
        )
    if not 1 <= int(payday) <= 31:
        raise ValueError(
            f"payday must be a day of the month from 1 to 31 (or None: paid at the month's "
            f"end); got {payday}."
        )
    return int(payday)


def payroll_dates(year: int, payday: int | None = 15) -> list[pd.Timestamp]:
    """The day each month of ``year`` is paid: ``payday`` of the month after.

    Examples
    --------
    >>> [f"{d:%Y-%m-%d}" for d in payroll_dates(2025)[:2]]
    ['2025-02-15', '2025-03-15']
    >>> f"{payroll_dates(2025, 31)[0]:%Y-%m-%d}", f"{payroll_dates(2025, None)[11]:%Y-%m-%d}"
    ('2025-02-28', '2025-12-31')
    """
    payday = _check_payday(payday)
    out = []
    for m in range(1, 13):
        end = _month_bounds(year, m)[1]
        if payday is None:
            out.append(end)
            continue
        nxt = end + pd.Timedelta(days=1)
        out.append(nxt.replace(day=min(payday, nxt.days_in_month)))
    return out


def _status(statuses: Sequence[str], months: Sequence[int]) -> str:
    own = [statuses[m] for m in months]
    if all(s == "actual" for s in own):
        return "actual"
    if all(s == "forecast" for s in own):
        return "forecast"
    return "in progress"


# --- the tables ------------------------------------------------------------------------


def _estimates(values: np.ndarray, known: float, level: float) -> dict[str, float]:
    """Mean and percentiles of per-trial costs, each with its interval."""
    row: dict[str, float] = {}
    mean = mean_interval(values, level=level)
    if np.ptp(values) == 0.0:  # every trial agrees: a known amount, no Monte Carlo error
        mean = type(mean)(mean.estimate, mean.estimate, mean.estimate)
    row["expected"], row["expected_low"], row["expected_high"] = mean
    for q in QUANTILES:
        name = f"p{round(q * 100)}"
        row[name], row[f"{name}_low"], row[f"{name}_high"] = percentile_interval(
            values, q, level=level
        )
    row["to_accrue"] = row["expected"] - known
    row["to_accrue_low"] = row["expected_low"] - known
    row["to_accrue_high"] = row["expected_high"] - known
    return row


def _table(
    forecast: Forecast,
    cost: np.ndarray,
    earned: np.ndarray,
    by: str,
    level: float,
    prefix: dict[str, Any] | None = None,
    payday: int | None = 15,
) -> list[dict[str, Any]]:
    """Rows of one cost array ``(n_trials, 12)`` with earnings ``(12,)``."""
    statuses = month_status(forecast.year, forecast.as_of)
    closed = np.array([s == "actual" for s in statuses])
    on_payroll = np.array([d <= forecast.as_of for d in payroll_dates(forecast.year, payday)])
    # a month that has ended is the same in every trial: its cost is the payroll's
    # (in cents), so an actual period's expected cost is exactly what was paid
    cost = np.array(cost, dtype=float)
    cost[:, closed] = earned[closed]
    rows = []
    for label, kind, months in _periods(forecast.year):
        if by != "all" and kind != by:
            continue
        start = _month_bounds(forecast.year, months[0] + 1)[0]
        end = _month_bounds(forecast.year, months[-1] + 1)[1]
        known = float(earned[months].sum())
        paid = float(earned[months][on_payroll[months]].sum())
        row: dict[str, Any] = dict(prefix or {})
        row |= {
            "period": label,
            "kind": kind,
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
            "status": _status(statuses, months),
            "currency": forecast.currency,
        }
        row |= _estimates(cost[:, months].sum(axis=1), known, level)
        row |= {"earned_to_date": known, "paid": paid, "owed": round(known - paid, 2) + 0.0}
        rows.append(row)
    return rows


def _frame(
    rows: list[dict[str, Any]], forecast: Forecast, level: float, who: str, payday: int | None
) -> pd.DataFrame:
    lead = ["rep_id", "rep_name"] if who == "rep" else []
    frame = pd.DataFrame(rows, columns=[*lead, *COLUMNS])
    frame.attrs.update(_provenance(forecast, level) | {"by": who, "payday": payday})
    return frame


def _provenance(forecast: Forecast, level: float) -> dict[str, Any]:
    return {
        "as_of": forecast.as_of.date().isoformat(),
        "plan": forecast.plan.name,
        "year": int(forecast.year),
        "currency": forecast.currency,
        "seed": int(forecast.seed_entropy),
        "trials": int(forecast.n_trials),
        "level": float(level),
        "package_version": package_version(),
    }


def _check_by(by: str) -> str:
    if by not in ("all", "year", "quarter", "month"):
        raise ValueError(f"by must be 'all', 'year', 'quarter' or 'month'; got {by!r}.")
    return by


def accruals(
    forecast: Forecast, *, by: str = "all", level: float = 0.95, payday: int | None = 15
) -> pd.DataFrame:
    """The company's incentive cost of the year, each quarter and each month.

    Parameters
    ----------
    forecast : Forecast
    by : {"all", "year", "quarter", "month"}, default "all"
        Which periods: all of them (the year, then Q1 to Q4, then January to
        December) or one kind.
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).
    payday : int or None, default 15
        The day of the following month on which the payroll pays a month's
        incentive (:func:`payroll_dates`); None: a month is paid when it ends.

    Returns
    -------
    DataFrame
        One row per period. Columns: ``period`` (``"2025"``, ``"2025-Q3"``,
        ``"2025-07"``), ``kind`` (year, quarter, month), ``start``, ``end`` (ISO
        dates), ``status`` (actual, in progress, forecast), ``currency``;
        ``expected`` (mean incentive cost) with ``expected_low`` and
        ``expected_high`` (its interval: :func:`spm_sim.metrics.mean_interval`, a
        zero-width interval when every trial agrees), ``p10``, ``p50``, ``p90`` each
        with ``_low``/``_high`` (:func:`spm_sim.metrics.percentile_interval`);
        ``to_accrue`` (``expected - earned_to_date``) with its interval;
        ``earned_to_date``, ``paid``, ``owed`` (see the module's definitions).
        ``attrs``: ``as_of``, ``plan``, ``year``, ``currency``, ``seed``,
        ``trials``, ``level``, ``package_version``, ``by`` (``"company"``), ``payday``.

    Examples
    --------
    Three reps, the year known to the end of June, the second half drawn:

    >>> fc = example_forecast()
    >>> table = accruals(fc)
    >>> table[["period", "status", "earned_to_date", "paid", "owed"]].head(3)
        period       status  earned_to_date      paid     owed
    0     2025  in progress        126000.0  105000.0  21000.0
    1  2025-Q1       actual         63000.0   63000.0      0.0
    2  2025-Q2       actual         63000.0   42000.0  21000.0

    June's incentive is paid on 15 July: at the quarter close it is owed.
    >>> year = table.iloc[0]
    >>> bool(year.expected_low < year.expected < year.expected_high)
    True
    >>> bool(year.to_accrue > 0)
    True
    """
    _check_by(by)
    payday = _check_payday(payday)
    cost = forecast.payout.by_period.sum(axis=1)  # (trials, 12)
    earned = np.asarray(forecast.paid_to_date, dtype=float).sum(axis=(0, 2))
    rows = _table(forecast, cost, earned, by, level, payday=payday)
    return _frame(rows, forecast, level, "company", payday)


def accruals_by_rep(
    forecast: Forecast, *, by: str = "year", level: float = 0.95, payday: int | None = 15
) -> pd.DataFrame:
    """Each rep's incentive cost of the year (or of each quarter or month).

    Parameters
    ----------
    forecast : Forecast
    by : {"year", "quarter", "month", "all"}, default "year"
    level : float, default 0.95
    payday : int or None, default 15
        As in :func:`accruals`.

    Returns
    -------
    DataFrame
        One row per rep and period: ``rep_id``, ``rep_name``, then the columns of
        :func:`accruals`. ``attrs["by"]`` is ``"rep"``.

    Examples
    --------
    >>> table = accruals_by_rep(example_forecast())
    >>> table[["rep_id", "earned_to_date", "paid", "owed"]]
      rep_id  earned_to_date     paid     owed
    0   R001         30000.0  25000.0   5000.0
    1   R002         36000.0  30000.0   6000.0
    2   R003         60000.0  50000.0  10000.0
    """
    _check_by(by)
    payday = _check_payday(payday)
    by_period = forecast.payout.by_period  # (trials, reps, 12)
    earned = np.asarray(forecast.paid_to_date, dtype=float).sum(axis=2)  # (reps, 12)
    rows = []
    for r, (rep_id, name) in enumerate(zip(forecast.rep_ids, forecast.rep_names, strict=True)):
        prefix = {"rep_id": rep_id, "rep_name": name}
        rows += _table(forecast, by_period[:, r, :], earned[r], by, level, prefix, payday)
    return _frame(rows, forecast, level, "rep", payday)


# --- saved runs ------------------------------------------------------------------------


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def save_accruals(table: pd.DataFrame, path: str | Path) -> Path:
    """Write an accrual table as CSV with a JSON sidecar of its provenance.

    Parameters
    ----------
    table : DataFrame
        A table from :func:`accruals` or :func:`accruals_by_rep` (its ``attrs``
        carry the as-of date, plan, year, currency, seed, trials and level).
    path : str or Path
        The CSV file; the sidecar is the same name plus ``.json``
        (``accruals.csv.json``). Both are written whole or not at all.

    Returns
    -------
    Path
        The CSV written.

    Raises
    ------
    ValueError
        If ``table`` lacks the provenance (``attrs``) of an accrual table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> saved = save_accruals(accruals(example_forecast()), folder / "accruals.csv")
    >>> sorted(p.name for p in folder.iterdir())
    ['accruals.csv', 'accruals.csv.json']
    >>> read_accruals(saved).attrs["as_of"]
    '2025-06-30'
    """
    path = Path(path)
    missing = [k for k in _SIDECAR_KEYS if k not in table.attrs]
    if missing:
        raise ValueError(
            f"the table has no {missing[0]!r} in its attrs: save a table made by accruals() "
            "or accruals_by_rep() (they record the run's as-of date, plan, year, currency, "
            "seed, trials and level)"
        )
    meta = {
        k: table.attrs[k]
        for k in (*_SIDECAR_KEYS, "package_version", "by", "payday")
        if k in table.attrs
    }
    meta["columns"] = list(map(str, table.columns))
    write_csv(table, path)
    write_text(_sidecar(path), json.dumps(meta, indent=2) + "\n")
    return path


def read_accruals(path: str | Path) -> pd.DataFrame:
    """Read an accrual table written by :func:`save_accruals`, with its provenance.

    Parameters
    ----------
    path : str or Path
        The CSV; its sidecar ``<name>.json`` must be beside it.

    Returns
    -------
    DataFrame
        The table, with ``attrs`` from the sidecar.

    Raises
    ------
    DataError
        If either file is missing or unreadable, a column is missing, or a money
        cell is not a number (naming the file, line, column and value).

    Examples
    --------
    See :func:`save_accruals`.
    """
    path = Path(path)
    side = _sidecar(path)
    for p in (path, side):
        if not p.is_file():
            hint = "" if p == path else " (save_accruals writes it next to the CSV)"
            raise DataError(
                f"no such file{hint}; give the accruals.csv of a previous track run", file=p
            )
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"not a readable JSON sidecar of an accrual table: {exc}", file=side
        ) from None
    if not isinstance(meta, dict):
        raise DataError("the sidecar must hold a JSON object (as_of, plan, ...)", file=side)
    for key in _SIDECAR_KEYS:
        if key not in meta:
            raise DataError(
                f"the sidecar has no {key!r}; it must record the run's "
                f"{', '.join(_SIDECAR_KEYS)} (write it with save_accruals)",
                file=side,
            )
    try:
        frame = pd.read_csv(path, dtype={"period": str, "rep_id": str, "rep_name": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"not a readable CSV accrual table: {exc}", file=path) from None
    for col in COLUMNS:
        if col not in frame.columns:
            raise DataError(
                f"no column {col!r}; an accrual table has {', '.join(COLUMNS)}", file=path
            )
    for col in _NUMERIC:
        if col == "currency":
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                "must be a number (money in the run's currency)",
                file=path,
                row=i + 2,
                column=col,
                value=frame[col].iloc[i],
            )
        frame[col] = values.astype(float)
    frame.attrs.update(meta)
    frame.attrs.pop("columns", None)
    return frame


# --- comparing two runs ----------------------------------------------------------------


def _describe(attrs: Mapping[str, Any]) -> str:
    return (
        f"plan {attrs.get('plan')!r}, year {attrs.get('year')}, currency "
        f"{attrs.get('currency')}, as of {attrs.get('as_of')}"
    )


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def compare_accruals(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """What changed in the accruals since a previous run, and whether it is noise.

    Parameters
    ----------
    current, previous : DataFrame
        Two tables from :func:`accruals` (or both from :func:`accruals_by_rep`),
        ``previous`` typically read back with :func:`read_accruals`. Both must be of
        the same plan, year and currency.

    Returns
    -------
    DataFrame
        One row per period present in both (per rep and period for per-rep
        tables; the ``year`` row is the total): ``period``, ``kind``,
        ``status_previous``, ``status``, ``currency``, ``expected_previous``,
        ``expected``, ``change`` (current minus previous expected cost) with
        ``change_low`` and ``change_high``, ``within_mc_error`` (True when the
        interval of the change holds 0: more trials could make it vanish; for
        periods known in both runs, when the change is under a cent),
        ``earned_previous``, ``earned_to_date``, ``earned_change``,
        ``paid_previous``, ``paid``, ``paid_change``. ``attrs``: ``as_of``,
        ``as_of_previous``, ``plan``, ``year``, ``currency``, ``level``.

    Raises
    ------
    DataError
        If the runs are of different plans, years or currencies, or one table is
        per rep and the other for the company.

    Notes
    -----
    The runs draw different random numbers (their conditioning differs), so their
    Monte Carlo errors add: with ``se = (high - low) / 2z`` from each run's interval
    of ``expected``, the change's interval is ``change +/- z sqrt(se_1^2 + se_2^2)``.

    Examples
    --------
    >>> before = accruals(example_forecast(as_of="2025-05-31", rng=1))
    >>> now = accruals(example_forecast(as_of="2025-06-30", rng=2))
    >>> diff = compare_accruals(now, before)
    >>> diff.loc[diff.period == "2025-06", ["status_previous", "status"]].iloc[0].tolist()
    ['forecast', 'actual']
    >>> diff.loc[diff.period == "2025-01", "within_mc_error"].item()   # known in both
    True
    """
    for key in ("plan", "year", "currency"):
        a, b = current.attrs.get(key), previous.attrs.get(key)
        if a is None or b is None:
            raise DataError(
                f"an accrual table has no {key!r} in its attrs; compare tables made by "
                "accruals() or read with read_accruals()"
            )
        if str(a) != str(b):
            raise DataError(
                f"cannot compare accruals of different {key}s: this run is "
                f"{_describe(current.attrs)} and the previous one {_describe(previous.attrs)}; "
                "compare runs of the same plan, year and currency"
            )
    per_rep = ["rep_id" in t.columns for t in (current, previous)]
    if per_rep[0] != per_rep[1]:
        raise DataError(
            "cannot compare a per-rep accrual table with a company one; compare "
            "accruals() with accruals() or accruals_by_rep() with accruals_by_rep()"
        )
    level = float(current.attrs.get("level", 0.95))
    keys = ["rep_id", "period"] if per_rep[0] else ["period"]
    cols = [*keys, "kind", "status", "currency", "expected", "expected_low", "expected_high"]
    cols += ["earned_to_date", "paid"]
    cur = current[cols].astype({"period": str})
    prev = previous[cols].astype({"period": str})
    both = cur.merge(prev.drop(columns=["kind", "currency"]), on=keys, suffixes=("", "_previous"))
    # each run's standard error from its interval; independent draws: the errors add
    z = _z(level)
    se_now = (both["expected_high"] - both["expected_low"]) / (2 * z)
    se_before = (both["expected_high_previous"] - both["expected_low_previous"]) / (2 * z)
    half = z * np.sqrt(se_now**2 + se_before**2)
    change = both["expected"] - both["expected_previous"]
    out = both[[*keys]].copy()
    if per_rep[0]:
        names = current.drop_duplicates("rep_id").set_index("rep_id")["rep_name"]
        out.insert(1, "rep_name", names.reindex(both["rep_id"]).to_numpy())
    out["kind"] = both["kind"]
    out["status_previous"] = both["status_previous"]
    out["status"] = both["status"]
    out["currency"] = both["currency"]
    out["expected_previous"] = both["expected_previous"]
    out["expected"] = both["expected"]
    out["change"] = change
    out["change_low"] = change - half
    out["change_high"] = change + half
    out["within_mc_error"] = np.where(half > 0, change.abs() <= half, change.abs() < 0.005)
    out["earned_previous"] = both["earned_to_date_previous"]
    out["earned_to_date"] = both["earned_to_date"]
    out["earned_change"] = both["earned_to_date"] - both["earned_to_date_previous"]
    out["paid_previous"] = both["paid_previous"]
    out["paid"] = both["paid"]
    out["paid_change"] = both["paid"] - both["paid_previous"]
    out.attrs.update(
        {
            "as_of": current.attrs.get("as_of"),
            "as_of_previous": previous.attrs.get("as_of"),
            "plan": current.attrs.get("plan"),
            "year": current.attrs.get("year"),
            "currency": current.attrs.get("currency"),
            "level": level,
        }
    )
    return out.reset_index(drop=True)


# --- a forecast from given draws -------------------------------------------------------


def _array(name: str, value: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return arr


def _payroll(by_component: np.ndarray) -> np.ndarray:
    """Cents-rounded payments: each year to date rounded, then differenced (payroll rule)."""
    to_date = np.round(np.cumsum(by_component, axis=-2), 2)
    return np.diff(to_date, axis=-2, prepend=0.0) + 0.0


def forecast_from_draws(
    plan: Plan,
    *,
    year: int,
    as_of: str | pd.Timestamp,
    actual: ArrayLike,
    draws: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
    actual_measures: Mapping[str, ArrayLike] | None = None,
    drawn_measures: Mapping[str, ArrayLike] | None = None,
    from_pipeline: ArrayLike | None = None,
    rep_ids: Sequence[str] | None = None,
    rep_names: Sequence[str] | None = None,
    currency: str | None = None,
    book_name: str = "example",
    seed_entropy: int = 0,
    notes: Sequence[str] = (),
) -> Forecast:
    """A :class:`Forecast` from draws of the rest of the year made elsewhere.

    The actuals and the draws are added and paid through :func:`spm_sim.comp.payout`;
    the payroll to date is the same kernel on the actuals alone, rounded to cents as
    a payroll is. For worked examples, tests, or a model of one's own.

    Parameters
    ----------
    plan : Plan
    year : int
    as_of : str or Timestamp
        The last day whose deals are in ``actual``.
    actual : array_like, shape (n_reps, 12)
        Credited bookings known at ``as_of`` (0 after it).
    draws : array_like, shape (n_trials, n_reps, 12)
        Bookings drawn for the rest of the year, added to ``actual``; 0 in the
        months that ended on or before ``as_of``.
    quotas : array_like, shape (n_reps, 12)
    target_incentive : array_like, shape (n_reps,)
    actual_measures, drawn_measures : mapping of str to array_like, optional
        The same for every measure the plan declares (shapes as ``actual`` and
        ``draws``). Kept in ``info["actual_measures"]`` too.
    from_pipeline : array_like, shape (n_trials, n_reps, 12), optional
        The part of ``draws`` from the open pipeline (default 0).
    rep_ids, rep_names : sequence of str, optional
        Default ``R001``, ``R002``, ...
    currency : str, optional
        Default the plan's currency (USD when it has none).
    book_name : str, default "example"
    seed_entropy : int, default 0
    notes : sequence of str

    Returns
    -------
    Forecast

    Raises
    ------
    ValueError
        For shapes that do not match, negative or non-finite values, or draws in a
        month already over.

    Examples
    --------
    >>> import numpy as np
    >>> from spm_sim.comp import standard_plan
    >>> actual = np.zeros((1, 12)); actual[0, :6] = 100.0
    >>> draws = np.zeros((2, 1, 12)); draws[:, 0, 6:] = [[100.0], [50.0]]
    >>> fc = forecast_from_draws(standard_plan(threshold=0.0), year=2025,
    ...     as_of="2025-06-30", actual=actual, draws=draws,
    ...     quotas=np.full((1, 12), 100.0), target_incentive=[120.0])
    >>> fc.payout.total.round(2).tolist()     # at quota; at 75% of it
    [[120.0], [90.0]]
    >>> float(fc.paid_to_date.sum())           # half the quota by June: half the TI
    60.0
    """
    as_of = pd.Timestamp(as_of).normalize()
    act = np.asarray(actual, dtype=float)
    if act.ndim != 2 or act.shape[1] != 12:
        raise ValueError(f"actual must have shape (n_reps, 12); got {act.shape}")
    n_reps = act.shape[0]
    act = _array("actual", act, (n_reps, 12))
    drawn = np.asarray(draws, dtype=float)
    if drawn.ndim != 3:
        raise ValueError(f"draws must have shape (n_trials, n_reps, 12); got {drawn.shape}")
    drawn = _array("draws", drawn, (drawn.shape[0], n_reps, 12))
    q = _array("quotas", quotas, (n_reps, 12))
    ti = _array("target_incentive", target_incentive, (n_reps,))
    closed = np.array([s == "actual" for s in month_status(year, as_of)])
    if drawn[..., closed].any():
        raise ValueError(
            f"draws must be 0 in the months that ended by {as_of.date()} (they are known)"
        )
    act_m = {
        k: _array(f"actual_measures[{k!r}]", v, (n_reps, 12))
        for k, v in (actual_measures or {}).items()
    }
    drawn_m = {
        k: _array(f"drawn_measures[{k!r}]", v, drawn.shape)
        for k, v in (drawn_measures or {}).items()
    }
    measures = {
        k: act_m.get(k, 0.0) + drawn_m.get(k, np.zeros(drawn.shape))
        for k in set(act_m) | set(drawn_m)
    }
    bookings = act[None] + drawn
    paid = payout(plan, bookings, q, ti, measures=measures or None)
    known = payout(plan, act, q, ti, measures=act_m or None).by_component.copy()
    later = np.array([s == "forecast" for s in month_status(year, as_of)])
    known[:, later, :] = 0.0
    ids = tuple(rep_ids) if rep_ids is not None else tuple(f"R{i + 1:03d}" for i in range(n_reps))
    names = tuple(rep_names) if rep_names is not None else ids
    pipe = (
        np.zeros(drawn.shape)
        if from_pipeline is None
        else _array("from_pipeline", from_pipeline, drawn.shape)
    )
    return Forecast(
        plan=plan,
        year=int(year),
        as_of=as_of,
        book_name=book_name,
        currency=currency or getattr(plan, "currency", None) or "USD",
        rep_ids=ids,
        rep_names=names,
        periods=tuple(f"{year}-{m:02d}" for m in range(1, 13)),
        quotas=q,
        target_incentive=ti,
        actual=act,
        bookings=bookings,
        from_pipeline=pipe,
        measures=measures,
        payout=paid,
        paid_to_date=_payroll(known),
        pipeline=pd.DataFrame(columns=["opportunity_id", "rep_id", "amount", "p_win"]),
        pipeline_model=None,
        seed_entropy=int(seed_entropy),
        notes=tuple(notes),
        info={"actual_measures": act_m},
    )


def example_forecast(
    *, as_of: str = "2025-06-30", trials: int = 1_000, rng: int | None = 0, plan: Plan | None = None
) -> Forecast:
    """A small worked forecast: three reps, 2025 known to ``as_of``, the rest drawn.

    Each rep has a quota of 100,000 a month (1.2M a year) and a TI of 60,000, paid
    by ``plan`` (default: 1x TCR to quota, 2x above, no threshold). Known to date:
    R001 books 100,000 a month (on pace), R002 120,000 and R003 200,000 (past the
    year's quota by June: certain to make it). The rest of each month after
    ``as_of`` is drawn from a gamma distribution with each rep's monthly mean (shape
    4) in proportion to the days left. The doctests of the in-year views use it.

    Examples
    --------
    >>> fc = example_forecast()
    >>> fc.n_trials, fc.n_reps, fc.actual[:, :6].sum(axis=1).tolist()
    (1000, 3, [600000.0, 720000.0, 1200000.0])
    """
    from spm_sim.comp import standard_plan

    plan = plan or standard_plan(name="Example plan", threshold=0.0, accelerator=2.0)
    stamp = pd.Timestamp(as_of).normalize()
    year = 2025
    monthly = np.array([100_000.0, 120_000.0, 200_000.0])
    left = np.zeros(12)  # share of each month after the as-of date
    for m in range(12):
        start, end = _month_bounds(year, m + 1)
        days = (end - start).days + 1
        left[m] = min(max((end - stamp).days, 0), days) / days
    act = monthly[:, None] * (1.0 - left)[None, :]
    g = np.random.default_rng(rng)
    shape = 4.0
    drawn = g.gamma(shape, 1.0 / shape, size=(trials, 3, 12)) * monthly[None, :, None] * left
    return forecast_from_draws(
        plan,
        year=year,
        as_of=stamp,
        actual=act,
        draws=drawn,
        quotas=np.full((3, 12), 100_000.0),
        target_incentive=np.full(3, 60_000.0),
        rep_names=("Ada Example", "Ben Example", "Cy Example"),
        seed_entropy=0 if rng is None else int(rng),
    )
