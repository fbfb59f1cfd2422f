"""The result of a run: joined from its chunks, money checked to be finite; the record
of a run made to a precision."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct
from spm_sim._provenance import package_version
from spm_sim.book import Book
from spm_sim.comp import payout_columns
from spm_sim.errors import SpmSimError
from spm_sim.productivity import (
    ProductivityModel,
)
from spm_sim.quota import Quotas
from spm_sim.scenario import Scenario

from .prepare import Prepared
from .store import read_result, save_result


def _book_info(book: Book) -> dict[str, str]:
    path = book.path
    return {
        "name": book.name or (path.name if path is not None else "book"),
        "path": str(path) if path is not None else "(in memory)",
        "currency": book.currency,
        "description": book.description,
        "source": book.source,
    }


@dataclass(frozen=True)
class Precision:
    """How precisely a run made to a precision (:func:`simulate_to_precision`) knows a figure.

    Attributes
    ----------
    figure : str
        The figure, as named in the summary (``"incentive_cost.mean"``,
        ``"incentive_cost.p90"``, ``"hit_company_target"``).
    level : float
        Confidence level of the interval (0.95).
    target : float
        The precision asked: the interval's half-width as a share of the estimate.
    estimate, low, high : float
        The figure and its interval after the last batch of trials.
    reached : bool
        Whether ``relative <= target`` (else the trial cap ended the run).
    trials, max_trials : int
        Trials run, and the cap.
    steps : tuple of (int, float)
        After each batch: the trials so far and the relative half-width then.
    unit : str
        The figure's unit as in :data:`spm_sim.metrics.METRICS`: ``"$"``, ``"ratio"``,
        ``"prob"`` or ``"count"``.

    Examples
    --------
    >>> p = Precision("incentive_cost.mean", 0.95, 0.01, 2e6, 1.99e6, 2.015e6, True, 4000, 10**5,
    ...               unit="$")
    >>> p.half_width, p.relative
    (15000.0, 0.0075)
    >>> print(p.describe())
    incentive_cost.mean $2.00M (95% interval $1.99M to $2.02M, ±0.75%) after 4,000 trials: ...
    >>> p.describe().endswith("within the 1% asked")
    True
    """

    figure: str
    level: float
    target: float
    estimate: float
    low: float
    high: float
    reached: bool
    trials: int
    max_trials: int
    steps: tuple[tuple[int, float], ...] = ()
    unit: str = ""

    @property
    def half_width(self) -> float:
        """The interval's larger side from the estimate (percentile intervals are skewed);
        NaN when an end is not known."""
        sides = (self.high - self.estimate, self.estimate - self.low)
        return math.nan if any(math.isnan(x) for x in sides) else float(max(sides))

    @property
    def relative(self) -> float:
        """``half_width / |estimate|``; infinite when the estimate is 0 or an end unknown."""
        half = self.half_width
        if not (math.isfinite(half) and math.isfinite(self.estimate)) or self.estimate == 0:
            return math.inf
        return half / abs(self.estimate)

    def describe(self, currency: str = "USD") -> str:
        """The figure, its interval and the trials it took, in one line of words."""

        def value(x: float) -> str:
            if self.unit == "$":
                return format_money(x, currency=currency)
            if self.unit in ("ratio", "prob"):
                return format_pct(x, decimals=2)
            return f"{x:,.4g}"

        rel = self.relative
        share = f"±{format_pct(rel, decimals=2)}" if math.isfinite(rel) else "width not known"
        asked = f"{100 * self.target:.3g}%"
        head = (
            f"{self.figure} {value(self.estimate)} ({format_pct(self.level, decimals=0)} "
            f"interval {value(self.low)} to {value(self.high)}, {share}) after "
            f"{self.trials:,} trials"
        )
        if self.reached:
            return f"{head}: within the {asked} asked"
        return (
            f"{head}: not within the {asked} asked; the cap of {self.max_trials:,} trials ended it"
        )


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`: per-trial arrays plus what produced them.

    Attributes
    ----------
    scenario : Scenario
    rep_ids, regions : tuple / ndarray, shape (n_reps,)
    periods : tuple of str
    quotas : Quotas
    base_salary, target_incentive : ndarray, shape (n_reps,)
    bookings : ndarray, shape (n_trials, n_reps)
        Annual simulated bookings per rep.
    payout : ndarray, shape (n_trials, n_reps, n_components)
        Annual incentive pay per rep and result column: the plan's components,
        then ``clawback`` and ``draw`` if the plan has them (see ``components``).
    company_by_period : ndarray, shape (n_trials, n_periods)
        Company bookings per month.
    payout_by_period : ndarray, shape (n_trials, n_periods)
        Company incentive paid per month (cumulative year-to-date settlement).
    seed : dict
        ``entropy`` and ``spawn_key`` of the root seed sequence.
    book_info : dict
        ``name``, ``path``, ``currency``, ``description`` and ``source`` of the book.
    dynamics : dict of str to ndarray, shape (n_trials,)
        With a workforce, behaviour, time allocation or programmes: per trial,
        ``leavers``, ``vacant_months``, ``mean_effort``, ``pulled_forward`` (pulled
        into an earlier month inside the year and paid back by December),
        ``borrowed_from_next_year`` and ``deferred_to_next_year``. Empty when all
        are off.
    stayed : ndarray of bool, shape (n_trials, n_reps), or None
        With a workforce: True where the seat's own rep was there from January to
        December (not a planned hire, no departure).
    coached : tuple of str
        Reps a coaching programme targets.
    programme_cost : float
        What the scenario's programmes cost outside the plan (coaching, prizes).
    notes : tuple of (str, str)
        How the sales were drawn and what happened during the year (workforce,
        behaviour, programmes, time allocation), as the report prints them.
    engine : str
        The engine the sales were drawn with, ``"deals"`` or ``"summed"`` (for
        ``engine: auto``, the one it chose; ``notes`` says why). Results are paired
        trial by trial only when they drew with the same engine.
    version : str
        The spm_sim version that simulated it.
    executor : str
        Where the chunks ran: ``serial``, ``processes``, ``dask`` or the class name of
        an executor passed in (the numbers do not depend on it).
    chunk_size : int or None
        Trials drawn and paid together.
    precision : Precision or None
        For a run made to a precision: the figure, the interval reached and the trials.
    inputs : tuple of dict
        For a result read back with :func:`load_result`: the input files recorded when
        it was saved (``role``, ``path``, ``bytes``, ``sha256``); not part of equality.
    book : Book or None
        The book the run was simulated on (the report replays last year's deals
        from it); not part of the result's equality. None for a result read back
        with :func:`load_result`: the report reads the book again from
        ``book_info["path"]`` and checks it against ``model.fit``.
    """

    scenario: Scenario
    rep_ids: tuple[str, ...]
    regions: np.ndarray
    periods: tuple[str, ...]
    quotas: Quotas
    base_salary: np.ndarray
    target_incentive: np.ndarray
    bookings: np.ndarray
    payout: np.ndarray
    company_by_period: np.ndarray
    payout_by_period: np.ndarray
    components: tuple[str, ...]
    seed: dict
    book_info: dict
    model: ProductivityModel = field(repr=False)
    dynamics: dict = field(default_factory=dict, repr=False)
    stayed: np.ndarray | None = field(default=None, repr=False)
    coached: tuple[str, ...] = ()
    programme_cost: float = 0.0
    notes: tuple[tuple[str, str], ...] = ()
    engine: str = "deals"
    version: str = field(default_factory=package_version)
    executor: str = "serial"
    chunk_size: int | None = None
    precision: Precision | None = None
    inputs: tuple[dict, ...] = field(default=(), repr=False, compare=False)
    book: Book | None = field(default=None, repr=False, compare=False)

    @property
    def n_trials(self) -> int:
        return int(self.bookings.shape[0])

    @property
    def company_target(self) -> float:
        return self.quotas.company_target

    @cached_property
    def rep_attainment(self) -> np.ndarray:
        """Annual attainment per trial and rep, shape (n_trials, n_reps)."""
        q = self.quotas.annual
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q > 0, self.bookings / np.where(q > 0, q, 1.0), np.nan)

    @cached_property
    def trials(self) -> pd.DataFrame:
        """One row per trial with the company-level outcomes (see ``metrics``)."""
        from spm_sim.metrics import trial_metrics

        return trial_metrics(self)

    def summary(self) -> pd.DataFrame:
        """Tidy summary: metric, mean, standard error, P10/P50/P90."""
        from spm_sim.metrics import summarize

        return summarize(self)

    def rep_summary(self) -> pd.DataFrame:
        """One row per rep: quota, expected bookings, P(at quota), expected pay."""
        from spm_sim.metrics import rep_summary

        return rep_summary(self)

    def save(
        self,
        path: str | Path,
        *,
        overwrite: bool = False,
        inputs: tuple[tuple[str, str | Path], ...] | list[tuple[str, str | Path]] = (),
    ) -> Path:
        """Save the result to the folder ``path``: Parquet for the trials, JSON for the rest.

        See :func:`spm_sim.simulate.save_result` (this calls it) and
        :func:`spm_sim.simulate.load_result`, which reads it back identically.
        """
        return save_result(self, path, overwrite=overwrite, inputs=inputs)

    @property
    def provenance(self) -> dict[str, Any]:
        """What ``attrs`` of every frame derived from this result carries."""
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "n_trials": self.n_trials,
            "engine": self.engine,
            "spm_sim_version": self.version,
            "spec": self.scenario.model_dump(mode="json"),
        }


def load_result(path: str | Path) -> SimulationResult:
    """Read back a result saved by :meth:`SimulationResult.save`, bit for bit.

    Parameters
    ----------
    path : str or Path
        The saved result's folder (or its ``result.json``).

    Returns
    -------
    SimulationResult
        Every array equal to the saved result's, bit for bit, and so every metric,
        summary, comparison (paired: the seed and trials are kept) and report. The
        model is the saved fitted numbers; ``book`` is None (the report reads the
        book again from ``book_info["path"]`` and checks it against them), and
        ``inputs`` lists the input files recorded when it was saved.

    Raises
    ------
    DataError
        When ``path`` is not a saved result, or a file of it is damaged, edited or
        from another result: the message names the file, the field or column, what
        was expected and what was found.

    Warns
    -----
    PlausibilityWarning
        For each input file recorded when the result was saved that is there but
        has changed since (its SHA-256 differs), naming it; an error under
        :func:`spm_sim.errors.strict_checks`.

    Examples
    --------
    >>> load_result("no/such/folder")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: no/such/folder: no saved result here: the path does not exist...
    """
    return SimulationResult(**read_result(path, record=Precision))


def _result(
    scenario: Scenario,
    n: int,
    root: np.random.SeedSequence,
    prep: Prepared,
    parts: list[dict[str, np.ndarray]],
    *,
    executor: str = "serial",
    chunk_size: int | None = None,
) -> SimulationResult:
    """Join the chunks of a run into its result, refusing any money that is not finite."""
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _check_finite(scenario, joined, prep)
    return SimulationResult(
        scenario=scenario.replace(trials=n) if n != scenario.trials else scenario,
        rep_ids=prep.model.rep_ids,
        regions=prep.regions,
        periods=prep.model.periods,
        quotas=prep.quotas,
        base_salary=prep.base_salary,
        target_incentive=prep.target_incentive,
        bookings=joined["bookings"],
        payout=joined["payout"],
        company_by_period=joined["company_by_period"],
        payout_by_period=joined["payout_by_period"],
        components=payout_columns(scenario.plan),
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        book_info=_book_info(prep.book),
        model=prep.model,
        dynamics={
            k[4:]: v for k, v in joined.items() if k.startswith("dyn_") and k != "dyn_stayed"
        },
        stayed=joined.get("dyn_stayed"),
        coached=prep.coached,
        programme_cost=prep.programme_cost,
        notes=prep.notes,
        engine=prep.engine,
        executor=executor,
        chunk_size=chunk_size,
        book=prep.book,
    )


#: The money arrays of a run checked to be finite, and what each is called.
_MONEY = {
    "bookings": "simulated annual bookings of a rep",
    "payout": "annual incentive paid to a rep",
    "company_by_period": "company bookings of a month",
    "payout_by_period": "company incentive paid in a month",
}


def _check_finite(scenario: Scenario, joined: dict[str, np.ndarray], prep: Prepared) -> None:
    """Refuse a run whose money overflowed (inf) or was undefined (NaN), naming the figure.

    Checks every money array of the run and the totals the metrics add up
    (company bookings and incentive per trial, base salaries, target incentive),
    so no inf or NaN reaches a table, a report or a payroll.
    """
    n = int(joined["bookings"].shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        totals = {
            "company bookings of a year": joined["bookings"].sum(axis=1),
            "company incentive of a year": joined["payout"].sum(axis=(1, 2)),
        }
        fixed = {
            "sum of the reps' base salaries": float(prep.base_salary.sum()),
            "sum of the reps' target incentive": float(prep.target_incentive.sum()),
        }
    where = None
    for key, label in _MONEY.items():
        bad = ~np.isfinite(joined[key].reshape(n, -1)).all(axis=1)
        if bad.any():
            where = (label, int(bad.sum()))
            break
    if where is None:
        for label, values in totals.items():
            bad = ~np.isfinite(values)
            if bad.any():
                where = (label, int(bad.sum()))
                break
    if where is None:
        for label, value in fixed.items():
            if not np.isfinite(value):
                where = (label, n)
                break
    if where is None:
        return
    label, count = where
    amounts = prep.book.bookings["amount"].to_numpy(float) if len(prep.book.bookings) else None
    largest = (
        f"largest deal amount {np.nanmax(np.abs(amounts)):.6g}, "
        if amounts is not None and amounts.size
        else ""
    )
    raise SpmSimError(
        f"scenario {scenario.name!r}: the {label} is not a finite number in {count:,} of "
        f"{n:,} trials: the money arithmetic overflowed. Inputs that set its size: "
        f"{largest}largest target incentive {np.nanmax(np.abs(prep.target_incentive)):.6g}, "
        f"largest base salary {np.nanmax(np.abs(prep.base_salary)):.6g}, and the rates of "
        f"plan {scenario.plan.name!r}; check the book's bookings.csv and reps.csv and the "
        "plan's rates for a value many orders of magnitude too large."
    )
