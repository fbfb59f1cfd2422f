"""How much of a difference between two plans is the reps' response to the plan.

Two scenarios that differ in plan (or quotas) differ in a headline figure for two
reasons: the same sales are paid differently (*mechanical*), and the reps sell
differently under the other plan (*response*: the behaviour block's effort and deal
timing, :class:`spm_sim.productivity.Behaviour`). With common random numbers both
parts are paired differences over the same simulated years:

* each scenario is run as it is ("on") and with ``behaviour=None`` ("off": its
  exogenous sales, the same under every plan);
* per trial ``t`` and figure ``X``: total ``X_B,on - X_A,on``; mechanical
  ``X_B,off - X_A,off``; response ``total - mechanical``
  ``= (X_B,on - X_B,off) - (X_A,on - X_A,off)``, how much more the reps' response
  moves ``X`` under B than under A;
* the response part again with the behaviour's parameters at the low and high ends
  of their range (``behaviour_range``): how uncertain that part is because the
  response sizes are themselves uncertain.

All runs share the sales drawn once (:func:`~spm_sim.simulate.draw_sales`: the off
runs are the drawn sales paid, without the month loop) or, with an ``executor``, are
simulated there on the same streams; either way bit for bit what
:func:`~spm_sim.simulate.simulate` gives for each variant.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import format_change
from spm_sim.book import Book, load_book_ref
from spm_sim.errors import strict_checks
from spm_sim.metrics import (
    METRICS,
    check_level,
    proportion_difference_interval,
    trial_metrics,
    z_value,
)
from spm_sim.parallel import ExecutorLike, check_executor, executor_for, executor_name
from spm_sim.productivity import Behaviour
from spm_sim.random import RngLike, seed_sequence
from spm_sim.scenario import Scenario

from .chunks import _run_chunks
from .draws import SalesDraws, draw_sales
from .pairing import resolve_engines
from .prepare import _strict, prepare
from .result import SimulationResult, _result

__all__ = [
    "RESPONSE_METRICS",
    "RESPONSE_PARTS",
    "ResponseDecomposition",
    "response_decomposition",
]

#: The headline figures split into their mechanical and response parts (names of
#: :data:`spm_sim.metrics.METRICS`).
RESPONSE_METRICS: tuple[str, ...] = (
    "company_bookings",
    "incentive_cost",
    "ccos",
    "share_reps_at_quota",
    "hit_company_target",
)

#: The parts of a difference, as :meth:`ResponseDecomposition.table` names them.
RESPONSE_PARTS: dict[str, str] = {
    "total": "the whole difference (both scenarios as they are)",
    "mechanical": "the same sales paid under the other plan (behaviour off in both)",
    "response": "the reps' response to the plan (total - mechanical)",
    "response_low": "the response with the behaviour at the low end of its range",
    "response_high": "the response with the behaviour at the high end of its range",
}

#: The variants of a scenario run: as it is, without behaviour, and at the range's ends.
_VARIANTS = ("on", "off", "low", "high")


@dataclasses.dataclass(frozen=True)
class ResponseDecomposition:
    """The mechanical and response parts of the differences between two scenarios.

    Made by :func:`response_decomposition`.

    Attributes
    ----------
    baseline, alternative : str
        The scenarios' names (the differences are alternative minus baseline).
    n_trials : int
        Simulated years (of each scenario; the baseline's when they differ).
    level : float
        Confidence level of the intervals (Monte Carlo error only).
    paired : bool
        Whether the two scenarios share their draws (common random numbers: the
        same book, plan year, seed, trials and engine); if not, the total and
        mechanical parts are compared unpaired (each scenario's response is still
        paired against its own run without behaviour).
    behaviour : bool
        Whether either scenario models the reps' response (else the response part
        is 0 and every difference mechanical).
    ranged : bool
        Whether the response was also run at the ends of a behaviour range.
    other_inputs : tuple of str
        The scenarios' fields besides plan, quotas and behaviour that differ and can
        move sales (``workforce``, ``programmes``, ``quota.hires``, ...): their
        effect is in the mechanical part, which is then everything but the response.
    currency : str
        The baseline plan's currency.
    frame : DataFrame
        The table of parts (:meth:`table` returns a copy).
    per_trial : DataFrame
        Paired runs: one row per simulated year, columns ``(metric, part)``, each
        part's value that year (NaN where the figure is not finite); empty when not
        paired.
    results : mapping of str to SimulationResult
        The runs: ``"baseline_on"``, ``"baseline_off"``, ``"alternative_on"``,
        ``"alternative_off"`` and, with a range, ``"..._low"``, ``"..._high"``
        (a scenario without behaviour runs once: its ``off`` is its ``on``).
    """

    baseline: str
    alternative: str
    n_trials: int
    level: float
    paired: bool
    behaviour: bool
    ranged: bool
    other_inputs: tuple[str, ...]
    currency: str
    frame: pd.DataFrame = dataclasses.field(repr=False)
    per_trial: pd.DataFrame = dataclasses.field(repr=False)
    results: Mapping[str, SimulationResult] = dataclasses.field(repr=False)

    def table(self) -> pd.DataFrame:
        """One row per figure and part: the part's value and its interval.

        Returns
        -------
        DataFrame
            Columns ``metric, label, unit, part, value, se, low, high, real``:
            ``part`` one of :data:`RESPONSE_PARTS` (``response_low`` and
            ``response_high`` only with a behaviour range), ``value`` the mean over
            the simulated years of the part (for a probability, in points), ``se`` its
            standard error, ``low``/``high`` its interval at ``level`` (Newcombe's
            for the total and mechanical parts of a probability; ``value +/- z se``
            otherwise), ``real`` whether it excludes 0. ``total = mechanical +
            response`` in every row group. ``attrs``: ``baseline``, ``alternative``,
            ``level``, ``paired``, ``n_trials``.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> from spm_sim.simulate import response_decomposition
        >>> a = sample_scenario("baseline")
        >>> b = sample_scenario("accelerated")
        >>> t = response_decomposition(a, b, 50, rng=1).table()
        >>> sorted(set(t["part"]))  # no behaviour here: the response part is 0
        ['mechanical', 'response', 'total']
        >>> float(t.set_index(["metric", "part"]).loc[("company_bookings", "response"), "value"])
        0.0
        """
        return self.frame.copy()

    def part(self, metric: str, part: str) -> pd.Series:
        """The row of :meth:`table` of one figure and part.

        Raises
        ------
        KeyError
            Naming the figures and parts there are.
        """
        rows = self.frame[(self.frame["metric"] == metric) & (self.frame["part"] == part)]
        if rows.empty:
            raise KeyError(
                f"no part {part!r} of figure {metric!r}; figures: "
                f"{', '.join(dict.fromkeys(self.frame['metric']))}; parts: "
                f"{', '.join(dict.fromkeys(self.frame['part']))}"
            )
        return rows.iloc[0]

    def describe(self) -> str:
        """The decomposition in words: one line per figure, then the range's effect.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> from spm_sim.simulate import response_decomposition
        >>> a = sample_scenario("baseline")
        >>> b = sample_scenario("accelerated")
        >>> print(response_decomposition(a, b, 50, rng=1).describe())  # doctest: +ELLIPSIS
        Where the differences of Accelerated 2026 against Baseline 2026 come from ...
        Neither scenario models the reps' response to the plan (behaviour off in both): ...
        """
        lines = [
            f"Where the differences of {self.alternative} against {self.baseline} come from "
            f"({self.n_trials:,} simulated years, "
            f"{'paired' if self.paired else 'not paired: the runs do not share their draws'}; "
            f"{self.level:.0%} intervals of the simulation's noise):"
        ]
        if self.other_inputs:
            lines.append(
                f"Besides the plan and quotas the scenarios differ in "
                f"{', '.join(self.other_inputs)}: what that changes is counted in the "
                "mechanical part, which is then everything but the reps' response."
            )
        if not self.behaviour:
            lines.append(
                "Neither scenario models the reps' response to the plan (behaviour off in "
                "both): every difference is mechanical, the same sales paid under the other "
                "plan, and the response part is 0. Give the scenarios a behaviour block to "
                "see how reps would respond."
            )
        for metric in RESPONSE_METRICS:
            lines.append("- " + self._line(metric))
        if not self.behaviour:
            return "\n".join(lines)
        if self.ranged:
            ends = []
            for metric in RESPONSE_METRICS:
                lo, hi = self.part(metric, "response_low"), self.part(metric, "response_high")
                ends.append(
                    f"{str(lo['label']).lower()} {self._change(lo['value'], metric)} at the low "
                    f"end and {self._change(hi['value'], metric)} at the high end"
                )
            lines.append(
                "How uncertain the response part is because the response sizes are "
                "themselves uncertain (the behaviour's parameters at the ends of their "
                "range): " + "; ".join(ends) + "."
            )
        else:
            lines.append(
                "How much the response part moves with the response sizes themselves was not "
                "assessed: give behaviour_range (the behaviour at the low and high ends of its "
                "parameters' range) to see it."
            )
        return "\n".join(lines)

    def _decimals(self, metric: str) -> int:
        """Decimals of a figure's points that show its intervals: 2 standard errors of
        its most precise part (not 0) get a digit, within 1 to 3."""
        se = self.frame.loc[self.frame["metric"] == metric, "se"].to_numpy(dtype=float)
        se = se[np.isfinite(se) & (se > 0)]
        if se.size == 0:
            return 2
        return int(min(max(-math.floor(math.log10(2 * se.min() * 100)), 1), 3))

    def _change(self, x: float, metric: str) -> str:
        """A part of ``metric`` signed in its unit: money, or percentage points."""
        unit = METRICS[metric][1]
        if unit == "$" or not math.isfinite(x):
            return format_change(float(x), unit, self.currency)
        return f"{x * 100:+.{self._decimals(metric)}f} pp"

    def _span(self, row: pd.Series) -> str:
        if not (math.isfinite(row["low"]) and math.isfinite(row["high"])):
            return "interval n/a"
        m = str(row["metric"])
        return f"{self._change(row['low'], m)} to {self._change(row['high'], m)}"

    def _part_text(self, row: pd.Series) -> str:
        """A part's value and interval; "none" when it is 0 in every simulated year."""
        if row["value"] == 0 and row["se"] == 0:
            return "none (0 in every simulated year)"
        noise = "" if row["real"] else ": within noise"
        return f"{self._change(row['value'], str(row['metric']))} ({self._span(row)}{noise})"

    def _line(self, metric: str) -> str:
        total, mech, resp = (self.part(metric, p) for p in ("total", "mechanical", "response"))
        label = str(total["label"])
        if total["value"] == 0 and total["se"] == 0:
            return f"{label}: no change (the same in every simulated year)."
        text = f"{label}: {self._part_text(total)} in all"
        if not self.behaviour:
            return text + ", all of it mechanical."
        return (
            f"{text}; the reps' response {self._part_text(resp)}, mechanical "
            f"{self._part_text(mech)}."
        )


#: Scenario fields that are not inputs moving sales besides the plan: names, run
#: settings, and the plan, quotas and behaviour the parts are about.
_NOT_INPUTS = frozenset(
    {"name", "description", "plan", "quota", "behaviour", "trials", "seed", "strict", "engine"}
)


def _other_inputs(a: Scenario, b: Scenario) -> tuple[str, ...]:
    """The fields of two scenarios, besides plan, quotas and behaviour, that differ."""
    out = [
        f for f in type(a).model_fields if f not in _NOT_INPUTS and getattr(a, f) != getattr(b, f)
    ]
    if a.quota.hires != b.quota.hires:
        out.append("quota.hires")
    return tuple(out)


def _check_range(behaviour_range: Any) -> tuple[Behaviour, Behaviour] | None:
    if behaviour_range is None:
        return None
    ok = (
        isinstance(behaviour_range, Sequence)
        and len(behaviour_range) == 2
        and all(isinstance(b, Behaviour) for b in behaviour_range)
    )
    if not ok:
        raise TypeError(
            "behaviour_range must be a pair (low, high) of spm_sim.productivity.Behaviour: the "
            "behaviour at the low and high ends of its parameters' range (for instance "
            f"Behaviour(effort_elasticity=0.1) and Behaviour(effort_elasticity=0.3)); got "
            f"{behaviour_range!r}."
        )
    return behaviour_range[0], behaviour_range[1]


def _at(behaviour: Behaviour, end: Behaviour) -> Behaviour:
    """``behaviour`` with every parameter of ``end`` but its own reference plan (the plan
    its reps' history was earned under belongs to the scenario, not to the range)."""
    fields = [f for f in type(end).model_fields if f != "reference_plan"]
    return behaviour.replace(**{f: getattr(end, f) for f in fields})


@dataclasses.dataclass
class _Side:
    """One scenario of the comparison: what it is run as, on which root and book."""

    scenario: Scenario
    n: int
    root: np.random.SeedSequence
    book: Book
    engine: str
    given: SimulationResult | None = None
    runs: dict[str, SimulationResult] = dataclasses.field(default_factory=dict)

    def variants(self, ends: tuple[Behaviour, Behaviour] | None) -> dict[str, Scenario]:
        """The scenarios to run: on, off and the range's ends (none twice: without
        behaviour, ``off`` is ``on``)."""
        s = self.scenario.replace(engine=self.engine)
        out = {"on": s}
        if s.behaviour is None:
            return out
        out["off"] = s.replace(behaviour=None)
        if ends is not None:
            out["low"] = s.replace(behaviour=_at(s.behaviour, ends[0]))
            out["high"] = s.replace(behaviour=_at(s.behaviour, ends[1]))
        return out

    def run(self, name: str) -> SimulationResult:
        """A variant's result, ``on`` when the scenario has no behaviour to vary."""
        if name in self.runs:
            return self.runs[name]
        return self.runs["on"]

    def key(self) -> tuple:
        """What two sides must share to draw the same sales trial by trial."""
        s = self.scenario
        return (s.book, s.plan_year, repr(self.root.entropy), tuple(self.root.spawn_key))


def _root_of(result: SimulationResult) -> np.random.SeedSequence:
    seed = result.seed
    return np.random.SeedSequence(seed["entropy"], spawn_key=tuple(seed["spawn_key"]))


def _sides(
    baseline: Scenario | SimulationResult,
    alternative: Scenario | SimulationResult,
    n_trials: int | None,
    rng: RngLike,
    book: Book | None,
) -> list[_Side]:
    """Both scenarios with the trials, root, book and engine each is run with."""
    given = [isinstance(x, SimulationResult) for x in (baseline, alternative)]
    if not all(given) and not all(isinstance(x, Scenario) for x in (baseline, alternative)):
        raise TypeError(
            "response_decomposition compares two Scenario objects, or two SimulationResult "
            "objects of runs already made; got "
            f"{type(baseline).__name__} and {type(alternative).__name__}."
        )
    books: dict[str, Book] = {}

    def book_of(s: Scenario) -> Book:
        if book is not None:
            return book
        if s.book not in books:
            with strict_checks(_strict(s)):
                books[s.book] = load_book_ref(s.book)
        return books[s.book]

    if all(given):
        if n_trials is not None or rng is not None:
            raise ValueError(
                "response_decomposition of results: the results fix the trials and the seed; "
                f"leave n_trials and rng out (got n_trials={n_trials!r}, rng={rng!r})."
            )
        results = [baseline, alternative]
        assert all(isinstance(r, SimulationResult) for r in results)
        return [
            _Side(
                r.scenario,
                r.n_trials,
                _root_of(r),
                book_of(r.scenario),
                r.engine,
                given=r,
            )
            for r in results
            if isinstance(r, SimulationResult)
        ]
    scenarios = [s for s in (baseline, alternative) if isinstance(s, Scenario)]
    if n_trials is not None and int(n_trials) < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}.")
    # one root for both when rng is given (a Generator spawns a child once), else each
    # scenario's own seed, as simulate() would use
    shared = seed_sequence(rng) if rng is not None else None
    roots = [
        shared if shared is not None else seed_sequence(None, default=s.seed) for s in scenarios
    ]
    ns = [int(n_trials) if n_trials is not None else s.trials for s in scenarios]
    loaded = {s.book: book_of(s) for s in scenarios}
    engines = resolve_engines(scenarios, loaded, rng=shared, n_trials=n_trials)
    return [
        _Side(s, n, root, loaded[s.book], engine)
        for s, n, root, (engine, _why) in zip(scenarios, ns, roots, engines, strict=True)
    ]


def _run_draws(
    sides: list[_Side], ends: tuple[Behaviour, Behaviour] | None, chunk_size: int
) -> None:
    """Every variant paid on sales drawn once (once for both sides when they fit)."""
    draws: SalesDraws | None = None
    last: _Side | None = None
    for side in sides:
        todo = side.variants(ends)
        if side.given is not None:
            side.runs["on"] = side.given
            del todo["on"]
        if not todo:
            continue
        # drawn with the run without behaviour when there is one: its preparation
        # needs no reference effort
        first = todo.get("off", next(iter(todo.values())))
        fits = (
            draws is not None
            and last is not None
            and last.key() == side.key()
            and last.n == side.n
            and last.book is side.book
            and all(draws.mismatch(v) is None for v in todo.values())
        )
        if not fits:
            draws = draw_sales(first, side.n, rng=side.root, book=side.book, chunk_size=chunk_size)
            last = side
        assert draws is not None
        for name, variant in todo.items():
            side.runs[name] = draws.pay(variant)


def _run_on(
    sides: list[_Side],
    ends: tuple[Behaviour, Behaviour] | None,
    chunk_size: int,
    executor: ExecutorLike,
) -> None:
    """Every variant simulated on ``executor`` (opened once), as simulate() runs it."""
    with executor_for(executor) as ex:
        for side in sides:
            for name, variant in side.variants(ends).items():
                if name == "on" and side.given is not None:
                    side.runs["on"] = side.given
                    continue
                with strict_checks(_strict(variant)):
                    prep = prepare(variant, side.book, rng=side.root, executor=ex)
                    parts = _run_chunks(
                        variant, prep, side.root, side.n, chunk_size, None, ex, False
                    )
                side.runs[name] = _result(
                    variant,
                    side.n,
                    side.root,
                    prep,
                    parts,
                    executor=executor_name(executor),
                    chunk_size=chunk_size,
                )


def _difference(
    b: np.ndarray, a: np.ndarray, *, paired: bool, prob: bool, level: float
) -> tuple[float, float, float, float]:
    """``mean(b) - mean(a)`` with its standard error and interval: paired trial by trial
    or not; Newcombe's interval when both are 0/1 events (as
    :func:`spm_sim.metrics.compare` gives it), else ``z`` standard errors."""
    if b.size == 0 or a.size == 0:
        return math.nan, math.nan, math.nan, math.nan
    if paired:
        d = b - a
        est = float(d.mean())
        if np.all(d == d[0]):  # the same difference in every simulated year
            return est, 0.0, est, est
        se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    else:
        est = float(b.mean() - a.mean())
        ses = [float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan for x in (b, a)]
        se = math.hypot(*ses)
    if prob:
        iv = proportion_difference_interval(b, a, paired=paired, level=level)
        return est, se, iv.low, iv.high
    half = z_value(level) * se
    return est, se, est - half, est + half


def _metric_values(sides: list[_Side]) -> list[dict[str, dict[str, np.ndarray]]]:
    """Per side and run (``on``, ``off``, ``low``, ``high``): each figure's per-trial values."""
    out = []
    for side in sides:
        frames: dict[int, pd.DataFrame] = {}
        runs: dict[str, dict[str, np.ndarray]] = {}
        for name in _VARIANTS:
            run = side.run(name)
            if id(run) not in frames:
                frames[id(run)] = trial_metrics(run)
            runs[name] = {
                m: frames[id(run)][m].to_numpy(dtype=float, copy=True) for m in RESPONSE_METRICS
            }
        out.append(runs)
    return out


def _kept(
    runs: Mapping[str, Mapping[str, np.ndarray]], metric: str, names: Sequence[str]
) -> np.ndarray:
    """The trials where a figure is finite in every run named (e.g. cost of sales in a
    year without bookings is not), so that the parts add up over the same years."""
    return np.logical_and.reduce([np.isfinite(runs[n][metric]) for n in names])


def _decompose(
    sides: list[_Side], ranged: bool, paired: bool, level: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table of parts and the per-trial parts (paired runs) of every figure."""
    values = _metric_values(sides)
    names = ["on", "off", *(["low", "high"] if ranged else [])]
    rows: list[dict[str, Any]] = []
    per_trial: dict[tuple[str, str], np.ndarray] = {}
    for metric in RESPONSE_METRICS:
        label, unit = METRICS[metric]
        prob = unit == "prob"
        a, b = values[0], values[1]
        if paired:
            keep = _kept(a, metric, names) & _kept(b, metric, names)
            keep_a = keep_b = keep
        else:
            keep_a, keep_b = _kept(a, metric, names), _kept(b, metric, names)

        def got(
            runs: Mapping[str, Mapping[str, np.ndarray]], name: str, keep: np.ndarray
        ) -> np.ndarray:
            return runs[name][metric][keep]  # noqa: B023 - metric is this loop's

        pairs = {
            "total": (got(b, "on", keep_b), got(a, "on", keep_a), prob),
            "mechanical": (got(b, "off", keep_b), got(a, "off", keep_a), prob),
            "response": (
                got(b, "on", keep_b) - got(b, "off", keep_b),
                got(a, "on", keep_a) - got(a, "off", keep_a),
                False,
            ),
        }
        if ranged:
            for end in ("low", "high"):
                pairs[f"response_{end}"] = (
                    got(b, end, keep_b) - got(b, "off", keep_b),
                    got(a, end, keep_a) - got(a, "off", keep_a),
                    False,
                )
        for part, (xb, xa, is_prob) in pairs.items():
            est, se, low, high = _difference(xb, xa, paired=paired, prob=is_prob, level=level)
            rows.append(
                {
                    "metric": metric,
                    "label": label,
                    "unit": unit,
                    "part": part,
                    "value": est,
                    "se": se,
                    "low": low,
                    "high": high,
                    "real": bool(low > 0 or high < 0),
                }
            )
            if paired:
                d = np.full(keep.size, np.nan)
                d[keep] = xb - xa
                per_trial[(metric, part)] = d
    frame = pd.DataFrame(rows)
    trials = pd.DataFrame(per_trial)
    if not trials.empty:
        trials.columns = pd.MultiIndex.from_tuples(trials.columns, names=["metric", "part"])
        trials.index.name = "trial"
    return frame, trials


def response_decomposition(
    baseline: Scenario | SimulationResult,
    alternative: Scenario | SimulationResult,
    n_trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    behaviour_range: tuple[Behaviour, Behaviour] | None = None,
    level: float = 0.95,
    executor: ExecutorLike = None,
    chunk_size: int = 250,
) -> ResponseDecomposition:
    """How much of each headline difference between two scenarios is the reps' response.

    Parameters
    ----------
    baseline, alternative : Scenario, or SimulationResult
        Two scenarios to run, or the results of two runs already made (then their
        trials, seed and engine are kept and only the runs without behaviour, and at
        the range's ends, are added). The differences are alternative minus baseline.
    n_trials : int, optional
        Simulated years of scenarios (default: each scenario's ``trials``).
    rng : int, SeedSequence or Generator, optional
        The root of every run (default: each scenario's ``seed``, as :func:`simulate`).
    book : Book, optional
        The book both scenarios are simulated on (default: each scenario's, loaded).
        With results, the book they were simulated on: the runs added draw their sales
        from it again.
    behaviour_range : (Behaviour, Behaviour), optional
        The behaviour at the low and high ends of its parameters' range (for instance
        the ends of an estimate's interval). Each scenario with a behaviour is run again
        with the parameters of each end (its own ``reference_plan`` kept), giving the
        response part at both ends.
    level : float, default 0.95
        Confidence level of the intervals (Monte Carlo error only).
    executor : {None, "serial", "processes", "dask"} or executor, optional
        None: the sales are drawn once (:func:`draw_sales`) and every run pays them,
        serially; memory about ``n_trials x reps x 12 x 8`` bytes. Else every run is
        simulated on the executor (opened once), as :func:`simulate` runs it. Both
        give the same numbers.
    chunk_size : int, default 250
        Trials drawn and paid together, as in :func:`simulate`.

    Returns
    -------
    ResponseDecomposition
        :meth:`~ResponseDecomposition.table` (each figure's total, mechanical and
        response parts with their intervals) and
        :meth:`~ResponseDecomposition.describe` (in words).

    Raises
    ------
    TypeError
        For a baseline and alternative that are not both scenarios or both results,
        or a ``behaviour_range`` that is not a pair of ``Behaviour``.
    ValueError
        For ``n_trials`` below 1, ``n_trials`` or ``rng`` given with results, or a
        ``level`` outside (0, 1).
    SpmSimError
        Whatever :func:`simulate` raises for either scenario.

    Notes
    -----
    For trial ``t`` and figure ``X`` (company bookings, incentive cost, compensation
    cost of sales, share of reps at quota, reaching the company target)::

        total      = X_B,on(t)  - X_A,on(t)
        mechanical = X_B,off(t) - X_A,off(t)       behaviour=None in both: the same sales
        response   = total - mechanical = (X_B,on - X_B,off) - (X_A,on - X_A,off)

    Each part is the mean over the simulated years with ``z`` standard errors of its
    paired differences (the total and mechanical parts of the chance of reaching
    target: Newcombe's paired interval, as :func:`spm_sim.metrics.compare`). The total
    is :func:`~spm_sim.metrics.compare`'s difference of the two runs. "Off" removes
    only the behaviour: a workforce, time allocation or programmes stay, and what
    they change between the plans (a seat's pace against another quota) is counted
    mechanical. Scenarios that do not share their draws are compared unpaired (each
    scenario's on and off runs still share theirs). The response part of a
    probability is read as a mean of per-year values in {-2, ..., 2}; with few years
    in which the target is reached differently its interval is approximate.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.productivity import Behaviour
    >>> base = sample_scenario("baseline")
    >>> beh = Behaviour(reference_plan=base.plan)
    >>> a, b = base.replace(behaviour=beh), sample_scenario("accelerated").replace(behaviour=beh)
    >>> split = response_decomposition(a, b, 50, rng=1)
    >>> t = split.table().set_index(["metric", "part"])["value"]
    >>> float(t[("company_bookings", "mechanical")])  # the same sales under either plan
    0.0
    >>> bool(t[("company_bookings", "response")] > 0)  # reps sell more under the steeper plan
    True
    >>> bool(abs(t[("incentive_cost", "total")] - t[("incentive_cost", "mechanical")]
    ...          - t[("incentive_cost", "response")]) < 1e-6)
    True
    """
    level = check_level(level)
    ends = _check_range(behaviour_range)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    executor = check_executor(executor)
    sides = _sides(baseline, alternative, n_trials, rng, book)
    moving = any(s.scenario.behaviour is not None for s in sides)
    ranged = ends is not None and moving
    if executor is None:
        _run_draws(sides, ends if ranged else None, chunk_size)
    else:
        _run_on(sides, ends if ranged else None, chunk_size, executor)
    paired = (
        sides[0].key() == sides[1].key()
        and sides[0].n == sides[1].n
        and sides[0].run("on").engine == sides[1].run("on").engine
    )
    frame, per_trial = _decompose(sides, ranged, paired, level)
    frame.attrs.update(
        {
            "baseline": sides[0].scenario.name,
            "alternative": sides[1].scenario.name,
            "level": level,
            "paired": paired,
            "n_trials": sides[0].n,
        }
    )
    results = {
        f"{who}_{name}": run
        for who, side in zip(("baseline", "alternative"), sides, strict=True)
        for name, run in side.runs.items()
    }
    return ResponseDecomposition(
        baseline=sides[0].scenario.name,
        alternative=sides[1].scenario.name,
        n_trials=sides[0].n,
        level=level,
        paired=paired,
        behaviour=moving,
        ranged=ranged,
        other_inputs=_other_inputs(sides[0].scenario, sides[1].scenario),
        currency=sides[0].scenario.plan.currency,
        frame=frame,
        per_trial=per_trial,
        results=results,
    )
