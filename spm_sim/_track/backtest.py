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
  wins, and the close date slip.
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
        return "\n".join(lines)


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
    return pd.Series(known.bookings.sum(axis=1), index=list(known.rep_ids))


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
    actual = _actual_year(book, plan, year, quotas, None)
    root = seed_sequence(rng)
    streams = root.spawn(len(dates))
    company, pairs, pipes = [], [], []
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
        info={
            "seconds": time.perf_counter() - started,
            "seed_entropy": int(root.entropy) if isinstance(root.entropy, int) else 0,
        },
    )
