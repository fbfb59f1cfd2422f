"""Rolling-origin back-tests: every past year the book allows, with calibration and bias.


For each origin year ``Y`` (the history before ``Y`` has at least 12 months and ``Y``
is complete) the model is fitted on the history before ``Y`` and simulated over
``Y`` (:func:`~spm_sim._fit_report.backtest.backtest_year`); the calibration, bias
and PIT of :mod:`~spm_sim._fit_report.calibration` are taken per origin and pooled,
and turned into verdicts in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct
from spm_sim._provenance import package_version
from spm_sim.errors import DataError
from spm_sim.productivity import history_end
from spm_sim.random import RngLike, seed_sequence

from .backtest import Backtest, backtest_year
from .calibration import EXTREME_PIT, LEAN, VERDICT_BAND, bias_table, calibration_tables

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = ["RollingBacktest", "backtest_origins", "rolling_backtest"]

#: What each check counts, for the verdicts.
_NOUNS = {
    "company_year": ("company years", "company year", "their"),
    "company_month": ("months", "month", "their"),
    "rep_year": ("reps", "rep", "their own"),
}


def _coverage_verdict(check: str, rows: pd.DataFrame, where: str) -> tuple[bool, str]:
    """One check's coverage in words: the 80% band first (or, when it holds and another
    band fails, that band), then the other bands.

    ``(failed, text)``, e.g. ``too narrow: 68% of reps inside their own 80% band in
    2025 (52 of 76; expected 80%, 71%-89% by chance)``.
    """
    plural, _, their = _NOUNS[check]
    rows = rows.sort_values("band")
    head = rows.iloc[int(np.argmin(np.abs(rows["band"].to_numpy() - 0.8)))]
    failing = rows[rows["verdict"] != "as expected"]
    failed = not failing.empty
    if failed and head["verdict"] == "as expected":
        head = failing.iloc[0]  # lead with the band that fails, its own figures beside it
    verdict = head["verdict"]

    def span(r) -> str:
        return (
            f"{format_pct(r['chance_low'], decimals=0)}-{format_pct(r['chance_high'], decimals=0)}"
        )

    text = (
        f"{verdict}: {format_pct(head['coverage'], decimals=0)} of {plural} inside {their} "
        f"{head['band']:.0%} band {where} ({head['inside']} of {head['n']}; expected "
        f"{head['nominal']:.0%}, {span(head)} by chance)"
    )
    others = [
        f"{r['band']:.0%} band {format_pct(r['coverage'], decimals=0)}"
        + (f" ({r['verdict']}, {span(r)} by chance)" if r["verdict"] != "as expected" else "")
        for _, r in rows.iterrows()
        if r["band"] != head["band"]
    ]
    if others:
        text += "; " + ", ".join(others)
    return failed, ("FAILS: " if failed else "") + text


def _nth(p: float) -> str:
    """A percentile as an ordinal: 0.12 -> '12th', 0.013 -> '1st', 0.0 -> '0th'."""
    k = int(np.floor(p * 100 + 0.5))
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


@dataclass(frozen=True, eq=False)
class RollingBacktest:
    """Back-tests from every origin the book allows, with calibration and bias.

    Attributes
    ----------
    origins : tuple of Backtest
        One per origin year, oldest first: the model fitted on the history before
        that year, simulated over it (:class:`Backtest`).
    calibration : DataFrame
        Coverage of the central 50/80/90% bands (``band``) per ``origin`` (the year,
        then ``"pooled"``) and ``check`` (``company_year``, ``company_month``,
        ``rep_year``): ``n`` items, ``inside``, ``coverage`` with its 95% Wilson
        interval ``low``-``high`` on ``n_eff`` items, the ``nominal`` level, the design
        effect ``deff`` (``n / n_eff``), the range a calibrated model gives by chance
        ``chance_low``-``chance_high``, the mean PIT (0.5 expected) and the
        ``verdict``: ``as expected``, ``too narrow`` or ``too wide``.
    bias : DataFrame
        Per origin and pooled, for the company year and the share of reps at quota:
        ``actual``, ``sim_p50``, ``bias`` (``actual / sim_p50 - 1``; for the share,
        the difference in points), its ``std_error`` (the simulation's spread; the
        pooled row's is that of the mean), ``percentile`` (PIT; pooled: the mean) and
        ``verdict``: ``inside``, ``biased high`` (the actual below the simulated
        90% band, or pooled significantly below 0 at 95%) or ``biased low``.
    pit : DataFrame
        Every item's PIT: ``origin, check, item, actual, sim_p50, percentile``.
    currency : str
    skipped : tuple of (int, str)
        Earlier years that could not be back-tested and why (e.g. no rep employed
        all year); the latest year is never skipped (its error is raised).
    """

    origins: tuple[Backtest, ...]
    calibration: pd.DataFrame = field(repr=False)
    bias: pd.DataFrame = field(repr=False)
    pit: pd.DataFrame = field(repr=False)
    currency: str = "USD"
    skipped: tuple[tuple[int, str], ...] = ()

    @property
    def years(self) -> tuple[int, ...]:
        """The origin years, oldest first."""
        return tuple(bt.year for bt in self.origins)

    @property
    def latest(self) -> Backtest:
        """The back-test of the most recent origin."""
        return self.origins[-1]

    def coverage(self, check: str, band: float, origin: str = "pooled") -> pd.Series:
        """One row of :attr:`calibration` (``origin`` ``"pooled"`` is the year itself
        when there is a single origin)."""
        c = self.calibration
        if origin == "pooled" and len(self.origins) == 1:
            origin = str(self.origins[0].year)
        row = c[(c["origin"] == origin) & (c["check"] == check) & np.isclose(c["band"], band)]
        if row.empty:
            raise KeyError(f"no calibration row for origin {origin!r}, {check!r}, band {band}")
        return row.iloc[0]

    def verdicts(self) -> list[str]:
        """Every check in words, failures first marked ``FAILS:``; see :meth:`warnings`."""
        return [text for _, text in self._verdicts()]

    def warnings(self) -> list[str]:
        """The failed checks in words, for a report's summary (empty when none fails).

        A coverage outside its chance range (pooled over the origins, or the latest
        origin's), a company year or share at quota outside its simulated 90% band,
        a pooled bias significant at 95%, and any month or company year outside
        (almost) every simulated year (PIT below 0.5% or above 99.5%, checked with at
        least 200 simulated years); and, not a
        failure but a warning, the latest year's company total inside its band but
        below its 20th or above its 80th percentile (``leans high``/``leans low``).

        Examples
        --------
        >>> from spm_sim import load_sample
        >>> rb = rolling_backtest(load_sample(), n_sims=40, rng=0)
        >>> all(isinstance(w, str) for w in rb.warnings())
        True
        """
        return [text for failed, text in self._verdicts() if failed]

    def _verdicts(self) -> list[tuple[bool, str]]:
        out: list[tuple[bool, str]] = []
        cur = self.currency
        scope = ["pooled"] if len(self.origins) > 1 else []
        scope.append(str(self.latest.year))
        for origin in scope:
            part = self.calibration[self.calibration["origin"] == origin]
            where = (
                f"over {len(self.origins)} back-test years ({', '.join(map(str, self.years))})"
                if origin == "pooled"
                else f"in {origin}"
            )
            for check, rows in part.groupby("check", sort=False):
                if check == "company_year" and origin != "pooled":
                    continue  # one year: its bias verdict says it
                out.append(_coverage_verdict(str(check), rows, where))
        for row in self.bias.itertuples(index=False):
            what = "year" if row.measure == "company_year" else "share of reps at quota"
            if row.origin == "pooled":
                failed = row.verdict != "no significant bias"
                size = (
                    format_pct(row.bias, decimals=1, sign=True)
                    if row.measure == "company_year"
                    else f"{row.bias * 100:+.1f} points"
                )
                se = (
                    format_pct(row.std_error, decimals=1)
                    if row.measure == "company_year"
                    else f"{row.std_error * 100:.1f} points"
                )
                text = (
                    f"{row.verdict}: the actual {what} against the simulated median, "
                    f"{size} on average over {len(self.origins)} years (standard error {se})"
                )
            else:
                failed = row.verdict != "inside"
                shown = (
                    format_money(row.actual, currency=cur)
                    if row.measure == "company_year"
                    else format_pct(row.actual, decimals=0)
                )
                text = (
                    f"{row.verdict}: the actual {what} {row.origin} ({shown}) sits at the "
                    f"{_nth(row.percentile)} percentile of its simulation"
                    + f" ({'outside' if failed else 'inside'} the simulated "
                    f"{VERDICT_BAND:.0%} band)"
                )
            out.append((failed, ("FAILS: " if failed else "") + text))
        latest = self.bias[
            (self.bias["origin"] == str(self.latest.year))
            & (self.bias["measure"] == "company_year")
        ].iloc[0]
        if latest["verdict"] == "inside" and not LEAN < latest["percentile"] < 1 - LEAN:
            high = latest["percentile"] < 0.5
            out.append(
                (
                    True,
                    f"leans {'high' if high else 'low'}: the latest back-test year, "
                    f"{latest['origin']}, sits at the {_nth(latest['percentile'])} percentile of "
                    "its simulation; chances of reaching a target read off this model may be "
                    f"{'optimistic' if high else 'pessimistic'}",
                )
            )
        # below 1 / EXTREME_PIT simulated years, "outside every one of them" is no
        # longer rare for a calibrated model: the check needs that many
        resolved = self.latest.n_sims * EXTREME_PIT >= 1
        pit = self.pit["percentile"]
        extreme = self.pit[
            self.pit["check"].isin(["company_year", "company_month"])
            & ((pit < EXTREME_PIT) | (pit > 1 - EXTREME_PIT))
            & resolved
        ]
        for side, part in extreme.groupby(extreme["percentile"] > 0.5):
            items = ", ".join(part["item"])
            word = "above" if side else "below"
            out.append(
                (
                    True,
                    f"FAILS: outside the simulation: {items} "
                    f"{'falls' if len(part) == 1 else 'fall'} {word} (almost) every "
                    "simulated year",
                )
            )
        out.sort(key=lambda x: not x[0])
        return out


def backtest_origins(book: Book, *, last_year: int | None = None) -> tuple[int, ...]:
    """Every year a back-test can simulate: complete, with 12 months of history before it.

    Parameters
    ----------
    book : Book
    last_year : int, optional
        The latest origin; default: the last complete year of the book's history.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> backtest_origins(load_sample())
    (2024, 2025)
    """
    b = book.bookings
    if b.empty:
        raise DataError("the bookings table is empty: there is no year to back-test.")
    first = b["date"].min()
    # the first year with 12 months of bookings before it (the month of the first
    # booking counts whole, as in backtest_year)
    earliest = first.year + (1 if first.month == 1 else 2)
    last_booking = b["date"].max().year
    end = history_end(book, last_booking + 1)
    last_complete = end.year if end.month == 12 and end.day == 31 else end.year - 1
    if last_year is None:
        last_year = last_complete
    elif not earliest <= last_year <= last_complete:
        raise DataError(
            f"last_year={last_year}: a back-test simulates a complete past year with 12 "
            f"months of history before it; this book allows {earliest} to {last_complete} "
            f"(its bookings run from {first.date()} to {end.date()}). Give a year in that "
            "range, or leave last_year out for the latest.",
            value=last_year,
        )
    return tuple(range(earliest, last_year + 1))


def rolling_backtest(
    book: Book,
    *,
    last_year: int | None = None,
    n_sims: int = 1000,
    rng: RngLike = 0,
    progress: bool = False,
) -> RollingBacktest:
    """Back-test every year the book allows and pool their calibration.

    Parameters
    ----------
    book : Book
    last_year : int, optional
        The latest year simulated (e.g. the plan year minus one); default: the last
        complete year of the history. Every complete year before it with at least
        12 months of history before it is an origin too.
    n_sims : int, default 1000
        Simulated years per origin.
    rng : int, SeedSequence or Generator, default 0
        Normalised once (:func:`spm_sim.random.seed_sequence`); every origin draws
        simulated year ``i`` from the root's stream ``trial`` with index ``i``, so
        the origins share their random numbers (which correlates their Monte Carlo
        noise, never an actual year) and each origin's back-test is the one
        :func:`~spm_sim.fit_report.backtest_year` gives with the same ``rng``.
    progress : bool, default False
        A progress bar per origin (the numbers do not depend on it).

    Returns
    -------
    RollingBacktest

    Raises
    ------
    DataError
        If no year of the book has 12 months of history before it and is complete.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> rb = rolling_backtest(load_sample(), n_sims=40, rng=0)
    >>> rb.years
    (2024, 2025)
    >>> sorted(rb.calibration["check"].unique())
    ['company_month', 'company_year', 'rep_year']
    """
    root = seed_sequence(rng)
    years = backtest_origins(book, last_year=last_year)
    if not years:
        first = book.bookings["date"].min()
        raise DataError(
            f"no year to back-test: the bookings start on {first.date()} and a back-test year "
            "needs 12 months of history before it and must be complete; add history, or "
            "wait until a year with 12 months before it is complete."
        )
    done, skipped = [], []
    for y in years:
        try:
            done.append(
                backtest_year(
                    book, year=y, n_sims=n_sims, rng=root, plan_year=y + 1, progress=progress
                )
            )
        except DataError as exc:
            if y == years[-1]:
                raise
            skipped.append((y, str(exc)))  # e.g. no rep employed all of that year
    origins = tuple(done)
    calibration, pit = calibration_tables(origins)
    bias = bias_table(origins)
    attrs = {
        "origins": [bt.year for bt in origins],
        "skipped": [y for y, _ in skipped],
        "n_sims": n_sims,
        "seed_entropy": origins[0].seed_entropy,
        "spm_sim_version": package_version(),
    }
    for frame in (calibration, bias, pit):
        frame.attrs.update(attrs)
    return RollingBacktest(
        origins=origins,
        calibration=calibration,
        bias=bias,
        pit=pit,
        currency=getattr(book, "currency", "USD"),
        skipped=tuple(skipped),
    )
