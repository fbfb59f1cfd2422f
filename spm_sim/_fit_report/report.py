"""The fit report: :class:`FitReport` and :func:`fit_report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim._provenance import package_version
from spm_sim.productivity import ProductivityModel, fit_productivity
from spm_sim.random import RngLike, seed_sequence

from .backtest import Backtest, _require_history
from .describe import TableLayout, describe_report
from .params import parameter_table, rep_table
from .rolling import RollingBacktest, rolling_backtest

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = ["FitReport", "fit_report"]


@dataclass(frozen=True, eq=False)
class FitReport:
    """How well the productivity model fits a book: parameters, reps, back-test.

    Attributes
    ----------
    plan_year : int
    parameters : DataFrame
        :func:`parameter_table`: one row per parameter with ``estimate, std_error,
        low, high`` (90%), ``unit`` and ``note``.
    reps : DataFrame
        :func:`rep_table`: per rep employed on 1 January of the plan year.
    backtest : Backtest
        The year before the plan year, simulated from the history before it (the
        latest origin of ``rolling``).
    rolling : RollingBacktest
        Back-tests of every year the book allows up to the plan year minus one, with
        their calibration (coverage of 50/80/90% bands with sampling errors), bias and
        verdicts.
    model : ProductivityModel
        The model fitted for the plan year.
    currency : str
    """

    plan_year: int
    parameters: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    backtest: Backtest = field(repr=False)
    model: ProductivityModel = field(repr=False)
    currency: str = "USD"
    rolling: RollingBacktest | None = field(default=None, repr=False)

    def warnings(self) -> list[str]:
        """The back-test's failed checks in words, for a report's summary (empty if none).

        See :meth:`RollingBacktest.warnings`: coverage outside what chance gives,
        a company year or share at quota outside its simulated 80% band, a
        significant pooled bias, months outside (almost) every simulated year.

        Examples
        --------
        >>> from spm_sim import load_sample
        >>> r = fit_report(load_sample(), plan_year=2026, n_sims=40)
        >>> isinstance(r.warnings(), list)
        True
        """
        return [] if self.rolling is None else self.rolling.warnings()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by file stem: parameters, reps, backtest_checks, _reps, _excluded
        (the latest back-test year), and the rolling back-test's ``calibration``,
        ``bias`` and ``pit``."""
        out = {
            "parameters": self.parameters,
            "reps": self.reps,
            "backtest_checks": self.backtest.checks,
            "backtest_reps": self.backtest.reps,
            "backtest_excluded": self.backtest.excluded,
        }
        if self.rolling is not None:
            out["calibration"] = self.rolling.calibration
            out["bias"] = self.rolling.bias
            out["pit"] = self.rolling.pit
        return out

    def describe(self, width: int | None = None, *, table: TableLayout | None = None) -> str:
        """The report as plain text: parameters, reps, back-test tables and verdicts.

        Every number is in fixed-point notation and every column of the tables is
        shown (the CSV tables of :meth:`tables` hold the same columns).

        Parameters
        ----------
        width : int, optional
            With the default layout, a table wider than this many characters is
            split into blocks of columns, one under the other, as pandas does;
            default: each table on full lines.
        table : callable, optional
            Lays out each table instead: called as ``table(headings, rows,
            labels)`` with the column headings, the rows of cell text and the number
            of label columns at the left, it returns the table's lines (the command
            line passes its own, which fits the terminal).

        Examples
        --------
        >>> from spm_sim import load_sample
        >>> r = fit_report(load_sample(), plan_year=2026, n_sims=20)
        >>> text = r.describe(table=lambda h, rows, left: " | ".join(h))
        >>> "parameter | estimate | std error | low | high | unit" in text
        True
        """
        return describe_report(self, width, table)


def fit_report(
    book: Book, *, plan_year: int, n_sims: int = 1000, rng: RngLike = 0, progress: bool = False
) -> FitReport:
    """Report the productivity fit of a book for a plan year, with a back-test.

    Parameters
    ----------
    book : Book
    plan_year : int
        The model for this year is reported; the back-test simulates the year before
        (``Y = plan_year - 1``) from the history before ``Y``, and the rolling
        back-test every earlier year the book allows the same way
        (:func:`rolling_backtest`).
    n_sims : int, default 1000
        Simulated years of each back-test year (at least 20).
    rng : int, SeedSequence or Generator, default 0
        Root of the back-test's streams, normalised once by
        :func:`spm_sim.random.seed_sequence` (``None`` is seed 0): simulated year ``i``
        draws from the root's stream ``trial`` (spawn key ``(i,)``,
        :func:`spm_sim.random.trial_rng`), so the same ``rng`` gives the same report
        and ``n`` trials are a prefix of ``n + k``.
    progress : bool, default False
        Show a progress bar over the back-test's simulated years (tqdm: a widget in
        a notebook, else on stderr); the numbers do not depend on it.

    Returns
    -------
    FitReport

    Raises
    ------
    DataError
        If the history before ``Y`` has fewer than 12 months (the message names the
        years the book holds), if ``Y`` is not complete in the book, or no rep was
        employed for the whole of ``Y``.

    Notes
    -----
    The back-test fits ``fit_productivity(book, plan_year=Y, rep_ids=...)`` on the
    reps employed every day of ``Y``; reps hired or leaving during ``Y`` are
    excluded (and listed), with their deals. Quotas for the share at quota are the
    ``history`` method for ``Y`` with growth 0. A calibrated model puts the actual
    inside the P10-P90 band about 80% of the time: over 12 months expect 8 to 11
    inside; a single year's total or share outside the band is a 1-in-5 event, not
    proof of a bad fit, but several checks outside on the same side are a warning.
    The rolling back-test (``rolling``) pools every year the book allows and turns
    these into verdicts with their sampling error (:func:`rolling_backtest`);
    :meth:`FitReport.warnings` lists the ones that fail.

    The parameters' standard errors are large-sample formulas, not a bootstrap: the
    seasonality's by the Poisson delta method on the monthly deal counts (plus the
    fitted company shock), the others as listed in :func:`parameter_table`. Their
    calibration is checked on synthetic books in
    ``tests/test_productivity_recovery.py``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> r = fit_report(load_sample(), plan_year=2026, n_sims=50)
    >>> 0 <= r.backtest.annual_percentile <= 1
    True
    >>> r.backtest.excluded["rep_id"].tolist()
    ['R069', 'R082', 'R083', 'R084', 'R085']
    """
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 20:
        raise ValueError(f"n_sims must be a whole number of at least 20, got {n_sims!r}.")
    root = seed_sequence(rng)  # once, before the fits: a Generator would move on
    year = plan_year - 1
    _require_history(book, plan_year, year)
    model = fit_productivity(book, plan_year=plan_year)
    parameters = parameter_table(book, plan_year=plan_year)
    reps = rep_table(model)
    reps.attrs.update({"plan_year": plan_year, "spm_sim_version": package_version()})
    rolling = rolling_backtest(
        book, last_year=year, n_sims=int(n_sims), rng=root, progress=progress
    )
    bt = rolling.latest
    return FitReport(
        plan_year=plan_year,
        parameters=parameters,
        reps=reps,
        backtest=bt,
        model=model,
        currency=getattr(book, "currency", "USD"),
        rolling=rolling,
    )
