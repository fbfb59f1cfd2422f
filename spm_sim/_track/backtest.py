"""Is the in-year forecast right? A back-test of it on a book's own past year.

:func:`forecast_backtest` runs :func:`.forecast.forecast` as of several dates of a
year the book has complete (by default each month end), every time on the book cut
back to that date (so nothing after it is read), and sets each forecast against what
happened:

* **company**: the year-end bookings forecast (mean, P10, P50, P90) against the
  actual, the error and its share of the actual, whether the actual fell inside the
  80% band (P10-P90), and the error split into the open pipeline's part and new
  business's part;
* **calibration**: every (rep, as-of) pair's predicted chance of making quota, in
  bins, against the share of those pairs whose rep made quota, with the Wilson
  interval of that share. A rep's pairs from different dates are correlated (the
  same year decides them all), so the table also gives the interval with one
  observation per rep (``reps`` in place of ``pairs``): the truth lies between;
* **pipeline**: the opportunities open at each date, by stage: wins and won amount
  predicted by 31 December against what happened to them, the mean month of the
  wins, and the close date slip;
* **months**: for every date and every later month and quarter of the year (what
  finance accrues), the company's bookings and incentive cost against their 80%
  band, and the coverage over all (date, period) pairs with its Wilson interval, and
  again counting each period once (its pairs from different dates are correlated).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.book import Book, as_of
from spm_sim.comp import Plan, load_plan
from spm_sim.errors import DataError
from spm_sim.metrics import proportion_interval
from spm_sim.quota import Quotas
from spm_sim.random import RngLike, seed_sequence

from .forecast import forecast
from .known import as_of_day, known_to_date
from .pipeline import _closed_dates, _status

__all__ = ["Backtest", "forecast_backtest"]

#: Edges of the calibration bins of the predicted chance of making quota.
CALIBRATION_EDGES: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))


def _wilson(made: float, n: int, level: float) -> tuple[float, float]:
    """The Wilson interval of ``made / n`` (NaN for an empty bin)."""
    if not n:
        return np.nan, np.nan
    interval = proportion_interval(made, n, level=level)
    return interval.low, interval.high


@dataclass(frozen=True, eq=False)
class Backtest:
    """The forecast of a past year as of several dates, set against what happened.

    Attributes
    ----------
    year : int
    plan : str
        The plan's name.
    trials : int
        Trials of each forecast.
    company : DataFrame
        One row per as-of date: ``as_of, mean, p10, p50, p90, actual, error``
        (mean - actual), ``error_share`` (error / actual), ``abs_error_share``,
        ``in_band`` (P10 <= actual <= P90), ``spread`` (P90 - P10), ``below_p10``,
        ``pipeline_expected, pipeline_actual`` (the open pipeline's wins by 31 December
        credited to the forecast's reps), ``new_expected, new_actual`` (the rest of
        what those reps book after the date), ``other_reps`` (booked by reps not
        in the forecast: hired after the date), ``open`` (False when nothing was
        left to draw, as of 31 December: the forecast is the actual by construction,
        and :attr:`coverage` leaves it out), ``seconds``.
    pairs : DataFrame
        One row per (as-of date, rep): ``as_of, rep_id, quota, actual, p_quota,
        made`` (actual >= quota), ``expected``.
    calibration : DataFrame
        One row per bin of ``p_quota``: ``bin, low_edge, high_edge, pairs, reps,
        predicted`` (mean p_quota), ``made`` (pairs that made quota),
        ``observed`` (made / pairs), ``wilson_low, wilson_high`` (on pairs,
        ``level``), ``rep_low, rep_high`` (the same share with one observation per
        distinct rep: wider, allowing for the correlation), ``level``.
    pipeline : DataFrame
        One row per (as-of date, stage) of the opportunities open at the date:
        ``as_of, stage, opportunities, amount, predicted_wins, actual_wins,
        predicted_won, actual_won`` (amounts credited by 31 December, the actual at
        the amount won), ``predicted_month, actual_month`` (mean month 1-12 of a
        win), ``median_slip_days`` (close date - expected close date recorded at the
        date, of the wins).
    info : dict
        ``seconds`` (all), ``seed_entropy``.
    """

    year: int
    plan: str
    trials: int
    company: pd.DataFrame
    pairs: pd.DataFrame
    calibration: pd.DataFrame
    pipeline: pd.DataFrame
    months: pd.DataFrame = field(default_factory=pd.DataFrame)
    info: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def coverage(self) -> dict[str, Any]:
        """How often the actual fell in the 80% band, over the dates with anything open.

        Returns
        -------
        dict
            ``dates`` (as-of dates with a rest of the year to draw), ``in_band``,
            ``above_p90`` and ``below_p10`` (counts over them), ``mean_abs_error_share``.
        """
        c = self.company[self.company["open"]]
        return {
            "dates": len(c),
            "in_band": int(c["in_band"].sum()),
            "below_p10": int(c["below_p10"].sum()),
            "above_p90": int((~c["in_band"] & ~c["below_p10"]).sum()),
            "mean_abs_error_share": float(c["abs_error_share"].mean()) if len(c) else np.nan,
        }

    def period_coverage(self, level: float = 0.95) -> pd.DataFrame:
        """How often the months' and quarters' actuals fell in their 80% bands.

        Parameters
        ----------
        level : float, default 0.95
            Coverage of the Wilson intervals.

        Returns
        -------
        DataFrame
            One row per (measure, kind): ``measure, kind, pairs`` ((date, period)
            pairs), ``in_band, below_p10, above_p90, observed`` (in_band / pairs),
            ``wilson_low, wilson_high`` (on pairs), ``periods`` (distinct periods),
            ``period_low, period_high`` (the same share with one observation per
            period: wider, as a period's pairs share its actual), ``z_rms`` (root
            mean square of ``(actual - P50) / ((P90 - P10) / 2.563)``: about 1 for
            honest bands, above 1 for bands too narrow by that factor), ``level``.
        """
        return period_coverage(self.months, level)

    def to_markdown(self) -> str:
        """The three tables as Markdown (millions of the currency for money)."""
        c = self.company
        lines = [
            "| as of | mean | P10 | P50 | P90 | actual | error | in P10-P90 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in c.itertuples():
            lines.append(
                f"| {r.as_of:%Y-%m-%d} | {r.mean / 1e6:.1f}M | {r.p10 / 1e6:.1f}M | "
                f"{r.p50 / 1e6:.1f}M | {r.p90 / 1e6:.1f}M | {r.actual / 1e6:.1f}M | "
                f"{r.error_share:+.1%} | {'yes' if r.in_band else 'no'} |"
            )
        cov = self.coverage
        lines += [
            "",
            f"The actual lies in the P10-P90 band at {cov['in_band']} of the {cov['dates']} "
            f"dates with anything left to forecast (below P10 at {cov['below_p10']}, above "
            f"P90 at {cov['above_p90']}); mean absolute error "
            f"{cov['mean_abs_error_share']:.1%}.",
        ]
        lines += [
            "",
            "| P(quota) | pairs | reps | predicted | observed | Wilson "
            f"{self.calibration['level'].iloc[0]:.0%} (pairs) | (reps) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in self.calibration.itertuples():
            if r.pairs == 0:
                continue
            lines.append(
                f"| {r.bin} | {r.pairs} | {r.reps} | {r.predicted:.0%} | {r.observed:.0%} | "
                f"{r.wilson_low:.0%}-{r.wilson_high:.0%} | {r.rep_low:.0%}-{r.rep_high:.0%} |"
            )
        if len(self.months):
            lines += ["", *_months_markdown(self.months, self.period_coverage())]
        return "\n".join(lines)


_MONTH_COLUMNS = ["as_of", "measure", "kind", "period", "mean", "p10", "p50", "p90"]
_MONTH_COLUMNS += ["actual", "in_band", "below_p10"]

#: The normal quantile of 90%: an honest band's (P90 - P10) / 2 is this many sds.
_Z90 = 1.2815515655446004

#: Marks of the months grid in :meth:`Backtest.to_markdown`: in the band, below, above.
_MARKS = {"in": "·", "below": "−", "above": "+"}


def period_coverage(months: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Coverage of the 80% bands of months and quarters (see :meth:`Backtest.period_coverage`).

    Examples
    --------
    >>> m = pd.DataFrame({"as_of": pd.to_datetime(["2025-06-30", "2025-06-30", "2025-07-31"]),
    ...     "measure": "bookings", "kind": "month", "period": ["2025-07", "2025-08", "2025-08"],
    ...     "in_band": [True, False, True], "below_p10": [False, True, False]})
    >>> row = period_coverage(m).iloc[0]
    >>> int(row["pairs"]), int(row["in_band"]), int(row["periods"])
    (3, 2, 2)
    >>> round(float(row["observed"]), 3)
    0.667
    """
    cols = ["measure", "kind", "pairs", "in_band", "below_p10", "above_p90", "observed"]
    cols += ["wilson_low", "wilson_high", "periods", "period_low", "period_high", "z_rms"]
    cols += ["level"]
    rows = []
    if not len(months):
        return pd.DataFrame(columns=cols)
    for (measure, kind), g in months.groupby(["measure", "kind"], sort=False):
        n = len(g)
        inside = int(g["in_band"].sum())
        below = int(g["below_p10"].sum())
        observed = inside / n
        lo, hi = _wilson(inside, n, level)
        periods = int(g["period"].nunique())
        # one observation per period: the pairs of a period share its actual
        plo, phi = _wilson(observed * periods, periods, level)
        z_rms = np.nan
        if {"p10", "p50", "p90", "actual"} <= set(g.columns):
            half = (g["p90"] - g["p10"]).to_numpy(float) / (2 * _Z90)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = (g["actual"] - g["p50"]).to_numpy(float) / half
            z = z[np.isfinite(z)]
            z_rms = float(np.sqrt((z**2).mean())) if z.size else np.nan
        rows.append(
            {
                "measure": measure,
                "kind": kind,
                "pairs": n,
                "in_band": inside,
                "below_p10": below,
                "above_p90": n - inside - below,
                "observed": observed,
                "wilson_low": float(lo),
                "wilson_high": float(hi),
                "periods": periods,
                "period_low": float(plo),
                "period_high": float(phi),
                "z_rms": z_rms,
                "level": level,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _months_markdown(months: pd.DataFrame, cov: pd.DataFrame) -> list[str]:
    """The coverage table and a grid per measure: as-of dates by month and quarter."""
    lines = [
        "| measure | period | pairs | in P10-P90 | below P10 | above P90 | observed | "
        f"Wilson {cov['level'].iloc[0]:.0%} (pairs) | (periods) | RMS z |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in cov.itertuples():
        lines.append(
            f"| {r.measure} | {r.kind} | {r.pairs} | {r.in_band} | {r.below_p10} | "
            f"{r.above_p90} | {r.observed:.0%} | {r.wilson_low:.0%}-{r.wilson_high:.0%} | "
            f"{r.period_low:.0%}-{r.period_high:.0%} | {r.z_rms:.2f} |"
        )
    periods = list(dict.fromkeys(months.sort_values(["kind", "period"])["period"]))
    head = [p[5:] for p in periods]
    for measure, g in months.groupby("measure", sort=False):
        lines += [
            "",
            f"{measure}: {_MARKS['in']} in the band, {_MARKS['below']} below P10, "
            f"{_MARKS['above']} above P90",
            "",
            "| as of | " + " | ".join(head) + " |",
            "|---" * (len(head) + 1) + "|",
        ]
        for day, h in g.groupby("as_of"):
            mark = {
                r.period: _MARKS["in" if r.in_band else "below" if r.below_p10 else "above"]
                for r in h.itertuples()
            }
            cells = [mark.get(p, "") for p in periods]
            lines.append(f"| {pd.Timestamp(day):%Y-%m-%d} | " + " | ".join(cells) + " |")
    return lines


def _period_rows(
    day: pd.Timestamp,
    first: int,
    year: int,
    drawn: dict[str, np.ndarray],
    actual: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """Rows of :attr:`Backtest.months` for one date: each month and quarter left.

    ``drawn[measure]`` is (trials, 12), ``actual[measure]`` (12,), company totals.
    """
    rows = []
    spans = [("month", f"{year}-{m + 1:02d}", [m]) for m in range(first, 12)]
    spans += [
        ("quarter", f"{year}-Q{q + 1}", list(range(3 * q, 3 * q + 3)))
        for q in range(4)
        if 3 * q + 2 >= first
    ]
    for measure, values in drawn.items():
        for kind, period, cols in spans:
            v = values[:, cols].sum(axis=1)
            truth = float(actual[measure][cols].sum())
            p10, p50, p90 = np.percentile(v, [10, 50, 90])
            # a tolerance of a cent per trial's rounding, relative to the money
            tol = 1e-6 * max(abs(truth), 1.0)
            rows.append(
                {
                    "as_of": day,
                    "measure": measure,
                    "kind": kind,
                    "period": period,
                    "mean": float(v.mean()),
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "actual": truth,
                    "in_band": bool(p10 - tol <= truth <= p90 + tol),
                    "below_p10": bool(truth < p10 - tol),
                }
            )
    return rows


def _as_of_dates(year: int, dates: Sequence[Any] | None) -> list[pd.Timestamp]:
    if dates is None:
        return [pd.Timestamp(year, m, 1) + pd.offsets.MonthEnd(0) for m in range(1, 13)]
    out = [as_of_day(d) for d in dates]
    if not out:
        raise ValueError("as_of must hold at least one date.")
    return sorted(set(out))


def _actual_year(book: Book, plan: Plan, year: int, quotas, scores):
    """The year's payroll on the whole book (what happened), by rep."""
    end = pd.Timestamp(year, 12, 31)
    if pd.Timestamp(book.snapshot_date) < end:
        raise DataError(
            f"book {book.name!r} is known to {pd.Timestamp(book.snapshot_date):%Y-%m-%d}: a "
            f"back-test of {year} needs the whole year (snapshot_date on or after {end:%Y-%m-%d}). "
            "Back-test an earlier year.",
            column="snapshot_date",
            value=f"{pd.Timestamp(book.snapshot_date):%Y-%m-%d}",
        )
    known = known_to_date(as_of(book, end), plan, year, quotas, scores)
    months = {
        "bookings": known.bookings.sum(axis=0),
        "incentive": known.paid.sum(axis=(0, 2)),
    }
    return pd.Series(known.bookings.sum(axis=1), index=list(known.rep_ids)), months


def _pipeline_check(book: Book, f, year: int) -> pd.DataFrame:
    """What happened to the opportunities open at the date, against the forecast's odds."""
    frame = f.pipeline
    cols = ["as_of", "stage", "opportunities", "amount", "predicted_wins", "actual_wins"]
    cols += ["predicted_won", "actual_won", "predicted_month", "actual_month", "median_slip_days"]
    if not len(frame):
        return pd.DataFrame(columns=cols)
    full = book.pipeline.set_index(book.pipeline["opportunity_id"].astype(str))
    ids = frame["opportunity_id"].astype(str)
    rows = full.reindex(ids)
    closed = pd.to_datetime(pd.Series(_closed_dates(rows), index=ids.index))
    status = pd.Series(_status(rows), index=ids.index)
    end = pd.Timestamp(year, 12, 31)
    won = (status == "won").to_numpy() & (closed <= end).to_numpy()
    credited = frame["on_quota"].to_numpy(bool)
    won_amount = np.where(won & credited, rows["amount"].to_numpy(float), 0.0)
    slip = (closed - pd.to_datetime(frame["expected_close_date"])).dt.days.to_numpy(float)
    work = pd.DataFrame(
        {
            "stage": frame["stage"].astype(str).to_numpy(),
            "amount": frame["amount"].to_numpy(float),
            "p_win": frame["p_win"].to_numpy(float),
            "won": won.astype(float),
            "predicted_won": (frame["expected_amount"] * credited).to_numpy(float),
            "actual_won": won_amount,
            "pm": (frame["p_win"] * frame["expected_month"].fillna(0)).to_numpy(float),
            "am": np.where(won, closed.dt.month.to_numpy(float), 0.0),
            "slip": np.where(won, slip, np.nan),
        }
    )
    out = []
    for stage, g in [*work.groupby("stage", sort=False), ("all", work)]:
        pw = float(g["p_win"].sum())
        aw = float(g["won"].sum())
        out.append(
            {
                "as_of": f.as_of,
                "stage": stage,
                "opportunities": len(g),
                "amount": float(g["amount"].sum()),
                "predicted_wins": pw,
                "actual_wins": int(aw),
                "predicted_won": float(g["predicted_won"].sum()),
                "actual_won": float(g["actual_won"].sum()),
                "predicted_month": float(g["pm"].sum() / pw) if pw > 0 else np.nan,
                "actual_month": float(g["am"].sum() / aw) if aw > 0 else np.nan,
                "median_slip_days": float(np.nanmedian(g["slip"])) if aw > 0 else np.nan,
            }
        )
    return pd.DataFrame(out, columns=cols)


def _calibration(pairs: pd.DataFrame, level: float) -> pd.DataFrame:
    edges = np.asarray(CALIBRATION_EDGES)
    p = pairs["p_quota"].to_numpy(float)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        sel = pairs[which == b]
        n = len(sel)
        made = int(sel["made"].sum())
        reps = int(sel["rep_id"].nunique())
        observed = made / n if n else np.nan
        lo, hi = _wilson(made, n, level)
        # one observation per distinct rep (the rep's share counted once)
        rlo, rhi = _wilson(observed * reps, reps, level)
        rows.append(
            {
                "bin": f"{edges[b]:.0%}-{edges[b + 1]:.0%}",
                "low_edge": float(edges[b]),
                "high_edge": float(edges[b + 1]),
                "pairs": n,
                "reps": reps,
                "predicted": float(sel["p_quota"].mean()) if n else np.nan,
                "made": made,
                "observed": observed,
                "wilson_low": float(lo),
                "wilson_high": float(hi),
                "rep_low": float(rlo),
                "rep_high": float(rhi),
                "level": level,
            }
        )
    return pd.DataFrame(rows)


def forecast_backtest(
    book: Book,
    plan: Plan | str,
    year: int,
    *,
    as_of_dates: Sequence[Any] | None = None,
    quotas: Quotas | None = None,
    trials: int = 1000,
    rng: RngLike = None,
    level: float = 0.95,
    progress: bool = False,
) -> Backtest:
    """Back-test the in-year forecast on a past year of the book.

    Parameters
    ----------
    book : Book
        A book known to at least 31 December of ``year``.
    plan : Plan or path to a plan YAML
    year : int
        The year forecast and compared.
    as_of_dates : sequence of dates, optional
        The as-of dates; default the twelve month ends of ``year``.
    quotas : Quotas, optional
        As :func:`spm_sim.track.forecast` takes them (default: from the history).
    trials : int, default 1000
        Trials of each forecast.
    rng : int, SeedSequence or Generator, optional
        Root seed; each date's forecast gets a child stream.
    level : float, default 0.95
        Coverage of the calibration table's Wilson intervals.
    progress : bool, default False
        Show a tqdm bar over the dates.

    Returns
    -------
    Backtest

    Raises
    ------
    DataError
        If the book does not hold the whole year.

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> from spm_sim.comp import standard_plan
    >>> bt = forecast_backtest(load_sample(), standard_plan(), 2025,
    ...     as_of_dates=["2025-06-30", "2025-12-31"], trials=50, rng=0)
    >>> bt.company["as_of"].dt.month.tolist()
    [6, 12]
    >>> bool(abs(bt.company["error"].iloc[-1]) < 1e-6)  # as of 31 December: the actual
    True
    """
    started = time.perf_counter()
    plan = load_plan(plan)
    dates = _as_of_dates(year, as_of_dates)
    for d in dates:
        if not pd.Timestamp(year - 1, 12, 31) <= d <= pd.Timestamp(year, 12, 31):
            raise DataError(
                f"as-of date {d:%Y-%m-%d} is outside the year {year} back-tested; use dates "
                f"from {year - 1}-12-31 to {year}-12-31.",
                column="as_of",
                value=f"{d:%Y-%m-%d}",
            )
    actual, actual_months = _actual_year(book, plan, year, quotas, None)
    root = seed_sequence(rng)
    streams = root.spawn(len(dates))
    company, pairs, pipes, periods = [], [], [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(dates), desc=f"back-test {year}", unit="date", leave=False)
    try:
        for d, stream in zip(dates, streams, strict=True):
            tick = time.perf_counter()
            f = forecast(book, plan, d, year=year, quotas=quotas, trials=trials, rng=stream)
            ids = list(f.rep_ids)
            rep_actual = actual.reindex(ids).fillna(0.0).to_numpy(float)
            total = f.company_bookings
            p10, p50, p90 = np.percentile(total, [10, 50, 90])
            truth = float(actual.sum())
            pipe = _pipeline_check(book, f, year)
            pipe_actual = float(pipe["actual_won"].iloc[-1]) if len(pipe) else 0.0
            after = float(rep_actual.sum() - f.actual.sum())
            company.append(
                {
                    "as_of": d,
                    "mean": float(total.mean()),
                    "p10": float(p10),
                    "p50": float(p50),
                    "p90": float(p90),
                    "actual": truth,
                    "error": float(total.mean()) - truth,
                    "error_share": (float(total.mean()) - truth) / truth,
                    "abs_error_share": abs(float(total.mean()) - truth) / truth,
                    "in_band": bool(p10 - 1e-6 <= truth <= p90 + 1e-6),
                    "below_p10": bool(truth < p10 - 1e-6),
                    "spread": float(p90 - p10),
                    "pipeline_expected": float(f.from_pipeline.sum(axis=(1, 2)).mean()),
                    "pipeline_actual": pipe_actual,
                    "new_expected": float(f.new_business.sum(axis=(1, 2)).mean()),
                    "new_actual": after - pipe_actual,
                    "other_reps": truth - float(rep_actual.sum()),
                    "open": f.first_open_month < 12,
                    "seconds": time.perf_counter() - tick,
                }
            )
            quota = f.quotas.sum(axis=1)
            pairs.append(
                pd.DataFrame(
                    {
                        "as_of": d,
                        "rep_id": ids,
                        "quota": quota,
                        "actual": rep_actual,
                        "expected": f.bookings.sum(axis=2).mean(axis=0),
                        "p_quota": f.p_quota,
                        "made": rep_actual >= quota - 1e-6,
                    }
                )[quota > 0]
            )
            pipes.append(pipe)
            drawn = {
                "bookings": f.bookings.sum(axis=1),
                "incentive": f.payout.by_component.sum(axis=(1, 3)),
            }
            periods += _period_rows(d, f.first_open_month, year, drawn, actual_months)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    pair_frame = pd.concat(pairs, ignore_index=True)
    return Backtest(
        year=year,
        plan=plan.name,
        trials=trials,
        company=pd.DataFrame(company),
        pairs=pair_frame,
        calibration=_calibration(pair_frame, level),
        pipeline=pd.concat(pipes, ignore_index=True),
        months=pd.DataFrame(periods, columns=_MONTH_COLUMNS),
        info={
            "seconds": time.perf_counter() - started,
            "seed_entropy": int(root.entropy) if isinstance(root.entropy, int) else 0,
        },
    )
