"""Runs made to a precision: batches of trials until a figure's interval is narrow enough.

Trial ``t`` draws from its own stream whatever the batch it runs in, so a run
extended from 1,000 to 3,000 trials is the same as a run of 3,000 trials, bit for
bit: stopping when the interval is narrow enough changes how many trials are run,
never what any trial drew. Several scenarios are run to the same trial count, so
they stay paired trial by trial (common random numbers).

The figures are named as in the summary (:func:`spm_sim.metrics.summarize`):
``METRIC.STAT``, ``METRIC`` one of :data:`spm_sim.metrics.METRICS` (or of
:data:`spm_sim.metrics.DYNAMICS_METRICS` when the scenario has them) and ``STAT``
``mean`` (the default), ``median`` or a percentile ``p90``, ``p10``, ``p99.5``;
:data:`FIGURE_ALIASES` gives shorter names. Intervals: Wilson's for a probability,
the normal one for a mean, order statistics for a percentile
(:func:`spm_sim.metrics.percentile_interval`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np

from spm_sim.book import Book, load_book_ref
from spm_sim.errors import SpecError, strict_checks
from spm_sim.metrics import (
    DYNAMICS_METRICS,
    METRICS,
    Interval,
    mean_interval,
    percentile_interval,
    proportion_interval,
)
from spm_sim.parallel import ExecutorLike, check_executor, executor_for, executor_name
from spm_sim.random import TRIAL_BLOCK, RngLike, seed_sequence
from spm_sim.scenario import Scenario

from .chunks import _run_chunks
from .pairing import resolve_engines
from .prepare import _strict, prepare
from .result import Precision, SimulationResult, _result

__all__ = ["FIGURE_ALIASES", "parse_figure", "figure_interval", "simulate_to_precision"]

#: Short names of figures, and the metric of the summary each stands for.
FIGURE_ALIASES: dict[str, str] = {
    "p_company_target": "hit_company_target",
    "chance_of_target": "hit_company_target",
    "share_at_quota": "share_reps_at_quota",
    "cost_of_sales": "ccos",
    "incentive_cost_share": "incentive_cost_of_sales",
}

_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?)")


def _parse(figure: str) -> tuple[str, str, float | None]:
    """``(metric, stat, q)`` of a figure's name; ``q`` the percentile as a fraction."""
    known = {**METRICS, **DYNAMICS_METRICS}
    text = str(figure).strip().lower().replace("-", "_").replace(" ", "_")
    metric, _, stat = text.partition(".")
    metric = FIGURE_ALIASES.get(metric, metric)
    if metric not in known:
        names = sorted({*known, *FIGURE_ALIASES})
        close = difflib.get_close_matches(metric, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecError(
            f"figure {figure!r}: unknown metric {metric!r}{hint}. Give METRIC.STAT with METRIC "
            f"one of {', '.join(names)} and STAT mean, median or a percentile such as p90 "
            "(e.g. incentive_cost.mean, incentive_cost.p90, hit_company_target)."
        )
    stat = stat or "mean"
    if stat == "mean":
        return metric, "mean", None
    if known[metric][1] == "prob":
        raise SpecError(
            f"figure {figure!r}: {metric} is a probability (1 or 0 in each simulated year); it "
            f"has a mean (the chance) but no percentiles. Give {metric} or {metric}.mean."
        )
    if stat == "median":
        stat = "p50"
    match = _PERCENTILE.fullmatch(stat)
    if match is None or not 0.0 < float(match.group(1)) < 100.0:
        raise SpecError(
            f"figure {figure!r}: unknown statistic {stat!r}; give mean, median or a percentile "
            "strictly between p0 and p100, such as p10, p50 or p90."
        )
    return metric, stat, float(match.group(1)) / 100.0


def parse_figure(figure: str) -> tuple[str, str, float | None]:
    """The metric, statistic and percentile a figure's name stands for, checked.

    Parameters
    ----------
    figure : str
        ``METRIC.STAT`` as in the summary (see :func:`figure_interval`).

    Returns
    -------
    tuple
        ``(metric, stat, q)``: the summary's metric name, ``"mean"`` or ``"pNN"``, and
        the percentile as a fraction (None for a mean).

    Raises
    ------
    SpecError
        Naming the figure, what is wrong and the names that exist.

    Examples
    --------
    >>> parse_figure("incentive_cost.p90"), parse_figure("share_at_quota")
    (('incentive_cost', 'p90', 0.9), ('share_reps_at_quota', 'mean', None))
    >>> parse_figure("p_company_target.p90")
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: figure 'p_company_target.p90': hit_company_target is a probability...
    """
    return _parse(figure)


def figure_interval(result: SimulationResult, figure: str, *, level: float = 0.95) -> Interval:
    """A figure of a result, named as in the summary, with its confidence interval.

    Parameters
    ----------
    result : SimulationResult
    figure : str
        ``METRIC.STAT``: ``incentive_cost.mean``, ``incentive_cost.p90``,
        ``company_bookings.median``, ``hit_company_target`` (a probability: its
        mean), ``share_reps_at_quota``; the aliases of :data:`FIGURE_ALIASES`
        (``p_company_target``, ``share_at_quota``, ``cost_of_sales``) are read too.
    level : float, default 0.95

    Returns
    -------
    Interval
        ``estimate`` as the summary reports it (:func:`spm_sim.metrics.summarize`),
        ``low`` and ``high``: Wilson's interval for a probability, the normal one for
        a mean, order statistics for a percentile. Trials where the metric is not
        defined (no bookings) are left out, as in the summary.

    Raises
    ------
    SpecError
        For a name that is not a figure (the message lists the metrics), or a
        metric the result does not have (a dynamics metric of a scenario without
        dynamics).

    Examples
    --------
    >>> from spm_sim.simulate import simulate
    >>> from spm_sim.scenario import sample_scenario
    >>> r = simulate(sample_scenario("baseline"), 200, rng=0)       # doctest: +SKIP
    >>> est, low, high = figure_interval(r, "incentive_cost.p90")   # doctest: +SKIP
    >>> figure_interval(None, "incentive_costs")
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: figure 'incentive_costs': unknown metric ... 'incentive_cost'?)...
    """
    metric, stat, q = _parse(figure)
    trials = result.trials
    if metric not in trials.columns:
        raise SpecError(
            f"figure {figure!r}: scenario {result.scenario.name!r} has no {metric} (it is a "
            "figure of scenarios with a workforce, behaviour or programmes)."
        )
    values = trials[metric].to_numpy(float)
    values = values[np.isfinite(values)]
    unit = {**METRICS, **DYNAMICS_METRICS}[metric][1]
    if values.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    if unit == "prob":
        return proportion_interval(float(values.sum()), int(values.size), level=level)
    if q is None:
        return mean_interval(values, level=level)
    return percentile_interval(values, q, level=level)


def _relative(interval: Interval) -> float:
    """The larger side of ``interval`` from its estimate, as a share of ``|estimate|``
    (infinite when the estimate is 0 or an end is not known yet)."""
    est, low, high = interval
    half = max(high - est, est - low)
    if not (math.isfinite(half) and math.isfinite(low) and math.isfinite(est)) or est == 0:
        return math.inf
    return half / abs(est)


class _Run:
    """One scenario run in batches: prepared once, its trials extended on the same streams."""

    def __init__(
        self,
        scenario: Scenario,
        book: Book | None,
        rng: RngLike,
        chunk_size: int,
        executor: Any = None,
        engine: tuple[str, str] | None = None,
    ):
        self.scenario = scenario
        self.root = seed_sequence(rng, default=scenario.seed)
        with strict_checks(_strict(scenario)):
            self.prep = prepare(scenario, book, rng=self.root, executor=executor, engine=engine)
        self.chunk_size = chunk_size
        self.parts: list[dict[str, np.ndarray]] = []
        self.n = 0

    def extend(self, stop: int, executor: Any, progress: bool) -> None:
        """Run trials ``n..stop-1`` (the chunks of :mod:`._simulate.chunks`, from ``n``)."""
        if stop <= self.n:
            return
        with strict_checks(_strict(self.scenario)):
            self.parts += _run_chunks(
                self.scenario,
                self.prep,
                self.root,
                stop,
                self.chunk_size,
                None,
                executor,
                progress,
                start=self.n,
            )
        self.n = stop

    def result(self, where: str) -> SimulationResult:
        return _result(
            self.scenario,
            self.n,
            self.root,
            self.prep,
            self.parts,
            executor=where,
            chunk_size=self.chunk_size,
        )


def _whole_blocks(n: int, max_trials: int) -> int:
    """``n`` trials rounded up to whole blocks of :data:`spm_sim.random.TRIAL_BLOCK`
    (the next batch then starts a block: none is drawn twice), at most ``max_trials``."""
    return min(-(-n // TRIAL_BLOCK) * TRIAL_BLOCK, max_trials)


def _next_trials(n: int, relative: float, target: float, max_trials: int) -> int:
    """The trials to run to next: the interval shrinks as ``1 / sqrt(trials)``, so
    ``n (relative / target)^2`` with 10% to spare; at least 10% (and 100) more, at
    most four times as many (an early interval is itself noisy), in hundreds (whole
    blocks of trials)."""
    if math.isfinite(relative):
        want = math.ceil(1.1 * n * (relative / target) ** 2)
    else:
        want = 2 * n
    want = min(max(want, n + max(100, n // 10)), 4 * n)
    want = math.ceil(want / 100) * 100
    return min(want, max_trials)


def _books(scenarios: Sequence[Scenario], book: Book | Mapping[str, Book] | None) -> list[Book]:
    """Each scenario's book: the one given, else its own loaded once for all the
    scenarios reading it (under strict checks when one of them says ``strict: true``)."""
    if isinstance(book, Book):
        return [book] * len(scenarios)
    given = dict(book or {})
    for s in scenarios:
        if s.book not in given:
            strict = any(_strict(t) for t in scenarios if t.book == s.book)
            with strict_checks(strict):
                given[s.book] = load_book_ref(s.book)
    return [given[s.book] for s in scenarios]


@overload
def simulate_to_precision(
    scenarios: Scenario,
    figure: str = ...,
    precision: float = ...,
    *,
    level: float = ...,
    min_trials: int = ...,
    max_trials: int = ...,
    rng: RngLike = ...,
    book: Book | Mapping[str, Book] | None = ...,
    chunk_size: int = ...,
    workers: int | None = ...,
    executor: ExecutorLike = ...,
    scheduler: str | None = ...,
    progress: bool = ...,
) -> SimulationResult: ...


@overload
def simulate_to_precision(
    scenarios: Sequence[Scenario],
    figure: str = ...,
    precision: float = ...,
    *,
    level: float = ...,
    min_trials: int = ...,
    max_trials: int = ...,
    rng: RngLike = ...,
    book: Book | Mapping[str, Book] | None = ...,
    chunk_size: int = ...,
    workers: int | None = ...,
    executor: ExecutorLike = ...,
    scheduler: str | None = ...,
    progress: bool = ...,
) -> list[SimulationResult]: ...


def simulate_to_precision(
    scenarios: Scenario | Sequence[Scenario],
    figure: str = "incentive_cost.mean",
    precision: float = 0.01,
    *,
    level: float = 0.95,
    min_trials: int = 1000,
    max_trials: int = 100_000,
    rng: RngLike = None,
    book: Book | Mapping[str, Book] | None = None,
    chunk_size: int = 250,
    workers: int | None = None,
    executor: ExecutorLike = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> SimulationResult | list[SimulationResult]:
    """Run batches of trials until a figure's interval is within ``precision`` of it.

    Parameters
    ----------
    scenarios : Scenario or sequence of Scenario
        One scenario, or several run to the same trial count (so that they stay
        paired trial by trial: ``engine: auto`` resolved for them together,
        :func:`~spm_sim.simulate.resolve_engines`); the run stops when every one is
        precise enough.
    figure : str, default "incentive_cost.mean"
        The figure, named as in the summary (see :func:`figure_interval`).
    precision : float, default 0.01
        The interval's half-width as a share of the estimate (0.01: within 1%). For
        a percentile the larger side of its (skewed) interval counts.
    level : float, default 0.95
        Confidence level of the interval.
    min_trials : int, default 1000
        Trials of the first batch (rounded up to whole blocks of 25 trials).
    max_trials : int, default 100,000
        The cap: the run stops there, precise enough or not (``precision.reached``
        says which).
    rng : int, SeedSequence or Generator, optional
        Default: each scenario's ``seed``.
    book : Book or mapping of book reference to Book, optional
        Books already loaded (default: each scenario's book is loaded).
    chunk_size, workers, executor, scheduler, progress
        As :func:`simulate`. A pool or cluster is opened once for all the batches.

    Returns
    -------
    SimulationResult or list of SimulationResult
        Equal, array by array, to :func:`simulate` of the same scenario with
        ``n_trials`` the trials reached; ``result.precision`` (:class:`Precision`)
        holds the figure, its interval, whether the precision was reached and the
        trials after each batch.

    Raises
    ------
    SpecError
        For an unknown figure, a figure a scenario does not have, or a precision
        outside (0, 1].

    Notes
    -----
    After a batch of ``n`` trials at relative half-width ``r`` the next batch runs
    to about ``1.1 n (r / precision)^2`` trials (an interval narrows as one over the
    square root of the trials), at least 10% more and at most four times as many.
    Stopping when an interval first looks narrow enough makes the reported interval
    slightly optimistic; the 10% margin covers most of it.

    Examples
    --------
    >>> from spm_sim.scenario import sample_scenario
    >>> r = simulate_to_precision(sample_scenario("baseline"), "incentive_cost.mean",
    ...                           0.01, min_trials=500, rng=0)      # doctest: +SKIP
    >>> r.precision.reached, r.n_trials                             # doctest: +SKIP
    (True, 1300)
    """
    single = isinstance(scenarios, Scenario)
    group: list[Scenario] = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    if not group:
        raise SpecError("simulate_to_precision: give at least one scenario.")
    precision = float(precision)
    if not 0.0 < precision <= 1.0:
        raise SpecError(
            f"precision must be a share of the estimate in (0, 1] (0.01 for 1%), got {precision!r}."
        )
    if max_trials < 1 or min_trials < 1:
        raise SpecError(
            f"min_trials and max_trials must be at least 1, got {min_trials} and {max_trials}."
        )
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    _parse(figure)  # a bad name fails before any work
    executor = check_executor(executor)
    if executor is None and workers is not None and workers > 1:
        executor = "processes"
    steps: list[list[tuple[int, float]]] = [[] for _ in group]
    n = _whole_blocks(min_trials, max_trials)
    books = _books(group, book)
    # one engine for the scenarios that share their draws (every one runs to one count)
    engines = resolve_engines(
        group, {s.book: b for s, b in zip(group, books, strict=True)}, rng=rng, n_trials=max_trials
    )
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        where = "serial" if ex is None else executor_name(ex)
        runs = [
            _Run(s, b, rng, chunk_size, ex, engine=e)
            for s, b, e in zip(group, books, engines, strict=True)
        ]
        while True:
            results = []
            for run, seen in zip(runs, steps, strict=True):
                run.extend(n, ex, progress)
                result = run.result(where)
                seen.append((n, _relative(figure_interval(result, figure, level=level))))
                results.append(result)
            worst = max(seen[-1][1] for seen in steps)
            if worst <= precision or n >= max_trials:
                break
            n = _next_trials(n, worst, precision, max_trials)
    out = []
    for result, seen in zip(results, steps, strict=True):
        est, low, high = figure_interval(result, figure, level=level)
        record = Precision(
            figure=str(figure),
            level=float(level),
            target=precision,
            estimate=est,
            low=low,
            high=high,
            reached=seen[-1][1] <= precision,
            trials=result.n_trials,
            max_trials=int(max_trials),
            steps=tuple(seen),
            unit={**METRICS, **DYNAMICS_METRICS}[_parse(figure)[0]][1],
        )
        out.append(dataclasses.replace(result, precision=record))
    return out[0] if single else out
