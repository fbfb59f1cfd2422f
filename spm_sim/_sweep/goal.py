"""Goal-seek: the value of one parameter that meets a target, with the interval of the answer.

Every evaluation pays the same simulated trials (common random numbers, the draws
kept after the first), so the target function is a deterministic, usually smooth
function of the parameter: no sampling noise between two evaluations. The search

1. brackets the target: between the bounds given (five points across them), or
   outward from the current value in steps that double, within the field's own
   limits (a value its spec refuses ends the search on that side), for at most
   :data:`MAX_EXPANSIONS` rounds; a target not bracketed is out of reach, and the
   message says which of these stopped the search, where;
2. refines the bracket in rounds of regula falsi and bisection (bisection alone once
   a round of regula falsi fails to halve the miss: a step or a kink) until one of:
   the metric is within ``tol`` of the target (smooth metrics, in a few rounds); the
   target lies inside the metric's interval at both ends of the bracket and the
   metric moves across it by at most :data:`MC_SHARE` of that interval's width (the
   answer is known within its Monte Carlo error: any value between the two is as
   good, and a chance or a percentile of few trials, which moves in small steps as
   the trials reorder, would otherwise be bisected for nothing); the bracket is
   narrower than the parameter's resolution (:data:`RESOLUTION` relative, 1 for a
   whole number: a metric that jumps over the target there);
3. finds, on the same evaluations, where the ends of the metric's interval cross the
   target: the values of the parameter whose interval contains the target, which
   is the interval of the answer (how far it could move with more trials), each end
   located to :data:`END_PRECISION` of its distance from the answer.

It does not assume the metric is monotone: where the evaluated values go up and
down, the answer says so and takes the crossing nearest the starting value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from spm_sim._spec import whole_count
from spm_sim.book import Book, load_book_ref
from spm_sim.errors import InfeasibleError, PlausibilityWarning, SpecError, SpmSimError
from spm_sim.metrics import Interval
from spm_sim.parallel import ExecutorLike, executor_for
from spm_sim.random import RngLike, seed_sequence
from spm_sim.scenario import Scenario

from .engine import CHUNK_SIZE, Runner
from .paths import Limits, number, param_limits, parse_path, set_params
from .table import SWEEP_METRICS, statistic
from .target import _EXAMPLES, Target, _shown, parse_target

#: Evaluation rounds spent stepping outward before a target counts as out of reach.
MAX_EXPANSIONS = 8

#: The finest bracket the search narrows to, relative to the parameter's value (to 1
#: below 1 in size): values closer than this are the same setting in practice.
RESOLUTION = 1e-6

#: The bracket is narrow enough once the metric moves across it by at most this share
#: of the width of its own interval (with the target inside the interval at both ends):
#: narrowing further would move the answer by less than a tenth of its Monte Carlo error.
MC_SHARE = 0.1

#: An end of the answer's interval is located to this fraction of its distance from
#: the answer (it is an estimate itself; finer costs evaluations and tells nothing).
END_PRECISION = 0.01


@dataclass(frozen=True)
class Calibration:
    """The answer of :func:`calibrate_plan`.

    Attributes
    ----------
    param : str
        The parameter path searched.
    target : Target
    value : float
        The parameter's value that meets the target (the evaluated value nearest it).
    achieved : Interval
        The metric's statistic at ``value``, with its interval.
    low, high : float
        The interval of the answer: the values of the parameter whose metric interval
        holds the target (NaN on a side the evaluations did not reach).
    start : float or None
        The parameter's value in the base scenario (None if it had none).
    converged : bool
        The search stopped for a reason of its own before ``max_evals`` (see
        ``stopped``).
    monotone : bool
        The evaluated metric moved one way only along the parameter.
    evaluations : DataFrame
        Every evaluation: ``round``, ``value``, ``estimate``, ``low``, ``high``,
        ``gap`` (estimate minus target), ``valid``, ``note``.
    scenario : Scenario
        The base scenario with the answer set.
    notes : tuple of str
        What to know about the answer, in words.
    currency : str
    stopped : str
        Why the search stopped, in words: the metric within ``tol`` of the target;
        the target inside the metric's interval at both ends of the last bracket
        (known within Monte Carlo error); a step narrower than the parameter's
        resolution; or ``max_evals`` reached.
    """

    param: str
    target: Target
    value: float
    achieved: Interval
    low: float
    high: float
    start: float | None
    converged: bool
    monotone: bool
    evaluations: pd.DataFrame = field(repr=False)
    scenario: Scenario = field(repr=False)
    notes: tuple[str, ...] = ()
    currency: str = "USD"
    stopped: str = ""

    @property
    def n_evaluations(self) -> int:
        """How many values were evaluated (refused ones included)."""
        return len(self.evaluations)

    def summary(self) -> str:
        """The answer in a few lines: value, interval, achieved metric, evaluations."""
        unit = self.target.unit
        a = self.achieved
        interval = (
            f"{self.low:.6g} to {self.high:.6g}"
            if math.isfinite(self.low) and math.isfinite(self.high)
            else "not reached by the evaluations"
            if not (math.isfinite(self.low) or math.isfinite(self.high))
            else f"{self.low:.6g} to {self.high:.6g} (one side beyond the values evaluated)"
        )
        lines = [
            f"{self.param} = {self.value:.6g}"
            + (f" (was {self.start:.6g})" if self.start is not None else ""),
            f"  target: {self.target.text(self.currency)}",
            f"  achieved: {_shown(a.estimate, unit, self.currency)} "
            f"({_shown(a.low, unit, self.currency)} to {_shown(a.high, unit, self.currency)})",
            f"  interval of the answer: {interval}",
            f"  {self.n_evaluations} evaluations, "
            + ("converged" if self.converged else "NOT converged")
            + (f" ({self.stopped})" if self.stopped else "")
            + ("" if self.monotone else "; the metric is not monotone over the values tried"),
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class _Eval(NamedTuple):
    x: float
    est: float
    low: float
    high: float
    round: int
    valid: bool
    note: str


@dataclass
class _Search:
    """The evaluations of one goal-seek, cached by value."""

    base: Scenario
    param: str
    target: Target
    runner: Runner
    level: float
    integer: bool
    max_evals: int
    evals: dict[float, _Eval] = field(default_factory=dict)
    round: int = 0
    bar: Any = None

    def run(self, xs: list[float]) -> None:
        """Evaluate the values not evaluated yet, as one batch on the kept draws."""
        todo: list[float] = []
        for x in xs:
            x = float(round(x)) if self.integer else float(x)
            if x not in self.evals and x not in todo and math.isfinite(x):
                todo.append(x)
        room = self.max_evals - len(self.evals)
        todo = todo[: max(room, 0)]
        if not todo:
            return
        self.round += 1
        metric = SWEEP_METRICS[self.target.metric]
        payables, kept = [], []
        for x in todo:
            value: Any = int(x) if self.integer else x
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PlausibilityWarning)
                    s = set_params(self.base, {self.param: value})
                    payables.append(self.runner.payable(s))
                kept.append(x)
            except SpmSimError as exc:
                said = " ".join(
                    line.strip().removeprefix("- (top level): ") for line in str(exc).splitlines()
                )
                self.evals[x] = _Eval(x, math.nan, math.nan, math.nan, self.round, False, said)
        if not payables:
            return
        figures = self.runner.run(payables, (metric.column,), label="goal-seek")
        for x, values in zip(kept, figures, strict=True):
            v = values[metric.column]
            if not np.isfinite(v).all() and metric.unit == "$":
                note = "money not finite (an input far too large)"
                self.evals[x] = _Eval(x, math.nan, math.nan, math.nan, self.round, False, note)
                continue
            est = statistic(v, metric, self.target.statistic, self.level)
            self.evals[x] = _Eval(x, *est, self.round, True, "")
        if self.bar is not None:
            self.bar.update(len(todo))

    def valid(self) -> list[_Eval]:
        return sorted((e for e in self.evals.values() if e.valid), key=lambda e: e.x)

    def full(self) -> bool:
        return len(self.evals) >= self.max_evals


def _crossings(points: list[_Eval], key: str, target: float) -> list[tuple[_Eval, _Eval]]:
    """Adjacent evaluations between which ``key`` crosses the target (or hits it)."""
    out = []
    for a, b in zip(points, points[1:], strict=False):
        ga, gb = getattr(a, key) - target, getattr(b, key) - target
        if not (math.isfinite(ga) and math.isfinite(gb)):
            continue
        if ga == 0 or (ga < 0) != (gb < 0) or gb == 0:
            out.append((a, b))
    return out


def _nearest(pairs: list[tuple[_Eval, _Eval]], x0: float) -> tuple[_Eval, _Eval] | None:
    if not pairs:
        return None
    return min(pairs, key=lambda ab: min(abs(ab[0].x - x0), abs(ab[1].x - x0)))


def _secant(a: _Eval, b: _Eval, key: str, target: float) -> float:
    ga, gb = getattr(a, key) - target, getattr(b, key) - target
    w = b.x - a.x
    if gb == ga:
        return a.x + w / 2
    s = a.x - ga * w / (gb - ga)
    return min(max(s, a.x + 0.02 * w), b.x - 0.02 * w)


def _inside(x: float, lim: Limits) -> float:
    """``x`` moved inside the field's limits (just inside an open one)."""
    if lim.low is not None:
        edge = lim.low + (1e-9 * max(1.0, abs(lim.low)) if lim.low_open else 0.0)
        x = max(x, edge)
    if lim.high is not None:
        edge = lim.high - (1e-9 * max(1.0, abs(lim.high)) if lim.high_open else 0.0)
        x = min(x, edge)
    return x


def calibrate_plan(
    base: Scenario,
    param: str,
    target: str | Target,
    *,
    bounds: tuple[float, float] | None = None,
    trials: int | None = None,
    rng: RngLike = None,
    book: Book | None = None,
    tol: float = 1e-3,
    max_evals: int = 40,
    level: float = 0.95,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> Calibration:
    """The value of one parameter of a scenario that meets a target, with its interval.

    Parameters
    ----------
    base : Scenario
    param : str
        A numeric parameter path (:func:`get_param`), e.g.
        ``"plan.components[bookings].tiers[1].rate"`` or ``"quota.over_assignment"``.
    target : str or Target
        ``"incentive_cost.mean=6M"``, ``"incentive_cost.p90=7.5M"``,
        ``"cost_of_sales.mean=9%"``, ``"share_at_quota=60%"``,
        ``"p_company_target=0.5"`` (:func:`parse_target`).
    bounds : (float, float), optional
        The range to search. Default: outward from the current value, within the
        field's own limits.
    trials : int, optional
        Trials of every evaluation; default ``base.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``base.seed``; every evaluation pays the same trials.
    book : Book, optional
        Default loaded once from ``base.book``.
    tol : float, default 0.001
        Converged when the metric is within ``tol`` times the target of it, or
        sooner when closer cannot matter: the target inside the metric's interval at
        both ends of the bracket, the metric moving across it by at most a tenth of
        that interval's width; or a bracket narrower than the parameter's
        resolution (1e-6 relative; 1 for a whole number: a step in the metric);
        ``Calibration.stopped`` says which.
    max_evals : int, default 40
        The most values evaluated.
    level : float, default 0.95
        Confidence level of the metric's interval (and so of the answer's).
    executor, workers, scheduler
        Where the trials are drawn and paid (:mod:`spm_sim.parallel`); the answer
        does not depend on it. The draws are made once and kept here (about
        trials x reps x 12 x 8 bytes); each round of evaluations is paid on them.
    chunk_size : int, default 250
    progress : bool, default False
        A tqdm bar over the evaluations (up to ``max_evals``).

    Returns
    -------
    Calibration
        The value, the metric achieved with its interval, the interval of the answer,
        every evaluation, whether it converged and whether the metric was monotone.

    Raises
    ------
    SpecError
        A bad path, a parameter that is not a number, a bad target or bounds.
    InfeasibleError
        The target is out of reach: the message gives the values tried and the
        metric's range over them (in its units), what stopped the search (the bounds,
        the field's own limit, a value the spec refused, 8 rounds stepping outward,
        ``max_evals``) and what to change.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> answer = calibrate_plan(s, "plan.components[bookings].tiers[1].rate",
    ...                         "incentive_cost.mean=6M", trials=100, rng=0)
    >>> answer.converged, bool(answer.low < answer.value < answer.high)
    (True, True)
    >>> abs(answer.achieved.estimate / 6e6 - 1) < 1e-3
    True
    """
    tgt = parse_target(target) if isinstance(target, str) else target
    if not isinstance(tgt, Target):
        raise SpecError(f"target must be text such as {_EXAMPLES}, got {target!r}.")
    parse_path(param)
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < 1:
        raise SpecError(f"tol must be a fraction of the target between 0 and 1, got {tol!r}.")
    max_evals = whole_count("calibrate_plan", "max_evals", max_evals)
    if max_evals < 3:
        raise SpecError(f"calibrate_plan: max_evals must be at least 3, got {max_evals}.")
    n = base.trials if trials is None else whole_count("calibrate_plan", "trials", trials)
    start_scenario = base.replace(trials=n) if n != base.trials else base
    lim = param_limits(start_scenario, param)
    x0: float | None
    try:
        x0 = number(start_scenario, param)
    except SpecError:
        if bounds is None:
            raise
        x0 = None
    lo_hi = _check_bounds(bounds, param, lim)
    root = seed_sequence(rng, default=base.seed)
    book = book if book is not None else load_book_ref(base.book)
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        runner = Runner(book, root, ex, chunk_size=chunk_size, keep=True)
        search = _Search(start_scenario, param, tgt, runner, level, lim.integer, max_evals)
        if progress:
            from tqdm.auto import tqdm

            search.bar = tqdm(total=max_evals, desc="goal-seek", unit="value", leave=False)
        try:
            found = _bracket(search, x0, lo_hi, lim)
            if found.pair is None:
                raise _out_of_reach(search, found, lo_hi, base.plan.currency)
            notes: list[str] = []
            best, converged, stopped = _refine(search, found.pair, x0, tol, notes)
            low, high = _answer_interval(search, best, tol, lim, notes)
        finally:
            if search.bar is not None:
                search.bar.close()
    points = search.valid()
    ests = [p.est for p in points]
    diffs = np.diff(ests)
    monotone = bool((diffs >= 0).all() or (diffs <= 0).all())
    if not monotone:
        notes.append(
            "the metric goes up and down along the values tried (not monotone): another "
            "value may meet the target too; the answer is the crossing nearest the start."
        )
    value: Any = int(best.x) if lim.integer else best.x
    final = set_params(start_scenario, {param: value})  # plausibility warnings of the answer
    table = pd.DataFrame(
        [
            {
                "round": e.round,
                "value": e.x,
                "estimate": e.est,
                "low": e.low,
                "high": e.high,
                "gap": e.est - tgt.value,
                "valid": e.valid,
                "note": e.note,
            }
            for e in sorted(search.evals.values(), key=lambda e: (e.round, e.x))
        ]
    )
    table.attrs.update(
        param=param,
        target=tgt._asdict(),
        trials=n,
        level=level,
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
    )
    return Calibration(
        param=param,
        target=tgt,
        value=float(best.x),
        achieved=Interval(best.est, best.low, best.high),
        low=low,
        high=high,
        start=x0,
        converged=converged,
        monotone=monotone,
        evaluations=table,
        scenario=final,
        notes=tuple(notes),
        currency=base.plan.currency,
        stopped=stopped,
    )


def _check_bounds(bounds: Any, param: str, lim: Limits) -> tuple[float, float] | None:
    if bounds is None:
        return None
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise SpecError(f"bounds must be two numbers (low, high), got {bounds!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SpecError(f"bounds must be two finite numbers, low below high; got {bounds!r}.")
    for side, b in (("low", lo), ("high", hi)):
        if _inside(b, lim) != b and not (
            (lim.low_open and b == lim.low) or (lim.high_open and b == lim.high)
        ):
            low = lim.low if lim.low is not None else "-inf"
            rng = f"{low} to {lim.high if lim.high is not None else 'inf'}"
            raise SpecError(f"bounds: {side} {b:g} is outside what {param} allows ({rng}).")
    return _inside(lo, lim), _inside(hi, lim)


class _Bracketed(NamedTuple):
    """What bracketing found: two evaluations on either side of the target, or why the
    search stopped without them (a sentence) and what would help."""

    pair: tuple[_Eval, _Eval] | None
    why: str = ""
    fix: str = ""


_FIX_BOUNDS = (
    "Search a wider range with bounds (--bounds LO HI on the command line, bounds=(lo, hi) "
    "in Python), move another parameter that moves this metric more, or set a target "
    "inside that range."
)
_FIX_OTHER = (
    "Move another parameter that moves this metric more, or set a target inside that range."
)


def _bracket(
    search: _Search, x0: float | None, lo_hi: tuple[float, float] | None, lim: Limits
) -> _Bracketed:
    """Two adjacent evaluations on either side of the target, or why there are none."""
    t = search.target.value
    if lo_hi is not None:
        lo, hi = lo_hi
        xs = list(np.linspace(lo, hi, 5))
        if x0 is not None and lo < x0 < hi:
            xs.append(x0)
        search.run(xs)
        pair = _nearest(_crossings(search.valid(), "est", t), x0 if x0 is not None else lo)
        refused = [e for e in search.evals.values() if not e.valid]
        why = f"Five values across the bounds [{lo:.6g}, {hi:.6g}] were tried" + (
            f"; the spec refused {len(refused)} of them ({refused[0].note.rstrip('.')})."
            if refused
            else "."
        )
        return _Bracketed(pair, why, _FIX_BOUNDS)
    assert x0 is not None
    step = 0.5 * abs(x0) if x0 != 0 else 0.5
    if search.integer:
        step = max(1.0, round(step))
    search.run([_inside(x, lim) for x in (x0 - step, x0, x0 + step)])
    for k in range(1, MAX_EXPANSIONS + 1):
        points = search.valid()
        found = _nearest(_crossings(points, "est", t), x0)
        if found is not None or not points:
            return _Bracketed(found)
        if search.full():
            return _Bracketed(
                None,
                f"The search stopped at max_evals ({search.max_evals} evaluations).",
                "Allow more evaluations (--max-evals N, max_evals=), or give bounds around "
                "the value you expect (--bounds LO HI, bounds=(lo, hi)).",
            )
        gaps = [p.est - t for p in points]
        low_end, high_end = points[0], points[-1]
        # the side toward the target: where the metric moves toward it
        go_up = (
            (high_end.est - low_end.est) * (0 - gaps[0]) > 0 if high_end.x != low_end.x else True
        )
        edge = high_end.x if go_up else low_end.x
        nxt = [_inside(edge + (1 if go_up else -1) * step * 2**k * f, lim) for f in (1, 2)]
        if all(x == edge or x in search.evals for x in nxt):
            limit, is_open = (lim.high, lim.high_open) if go_up else (lim.low, lim.low_open)
            rule = ("<" if go_up else ">") + ("" if is_open else "=")
            why = (
                f"The search stopped at the field's own {'upper' if go_up else 'lower'} "
                f"limit ({search.param} {rule} {limit:.6g}), reached at {edge:.6g}."
                if limit is not None
                else f"The search could not step beyond {edge:.6g}."
            )
            return _Bracketed(None, why, _FIX_OTHER if limit is not None else _FIX_BOUNDS)
        search.run(nxt)
        refused = [search.evals[x] for x in nxt if x in search.evals and not search.evals[x].valid]
        if refused and len(refused) == len([x for x in nxt if x in search.evals]):
            found = _nearest(_crossings(search.valid(), "est", t), x0)
            first = min(refused, key=lambda e: abs(e.x - edge))
            return _Bracketed(
                found,
                f"The search stopped where the spec refused a value: {first.note.rstrip('.')}.",
                _FIX_BOUNDS,
            )
    found = _nearest(_crossings(search.valid(), "est", t), x0)
    last = search.valid()
    reached = f"{last[0].x:.6g} to {last[-1].x:.6g}" if last else "no value"
    return _Bracketed(
        found,
        f"The search stopped at its expansion limit: {MAX_EXPANSIONS} rounds outward from "
        f"{x0:.6g}, the step doubling each round, reached {reached}.",
        _FIX_BOUNDS,
    )


class _Refined(NamedTuple):
    best: _Eval
    converged: bool
    stopped: str


def _resolution(search: _Search, a: float, b: float) -> float:
    """The narrowest bracket worth narrowing: 1 for a whole number, else
    :data:`RESOLUTION` relative to the values (absolute below 1 in size)."""
    return 1.0 if search.integer else RESOLUTION * max(1.0, abs(a), abs(b))


def _holds(e: _Eval, t: float) -> bool:
    """Whether the metric's interval at ``e`` holds the target."""
    return bool(e.low <= t <= e.high)


def _width(e: _Eval) -> float:
    """The width of the metric's interval at ``e`` (0 when it has none)."""
    w = e.high - e.low
    return w if math.isfinite(w) else 0.0


def _refine(
    search: _Search, pair: tuple[_Eval, _Eval], x0: float | None, tol: float, notes: list[str]
) -> _Refined:
    """Narrow the bracket until the metric is within ``tol`` of the target, or until
    narrowing further cannot matter (see the module notes)."""
    t = search.target.value

    def shown(x: float) -> str:
        return _shown(x, search.target.unit, search.base.plan.currency)

    a, b = pair
    smooth = True
    while True:
        best = min((a, b), key=lambda e: (abs(e.est - t), abs(e.x - (x0 or 0.0))))
        if abs(best.est - t) <= tol * abs(t):
            return _Refined(best, True, f"within tol = {tol:g} of the target")
        if _holds(a, t) and _holds(b, t) and abs(b.est - a.est) <= MC_SHARE * _width(best):
            notes.append(
                f"the target is inside the metric's interval at both {a.x:.6g} and {b.x:.6g} "
                f"({shown(a.est)} and {shown(b.est)}, less apart than a tenth of that "
                "interval): every value between meets it within the Monte Carlo error, so "
                "the search stopped there and the answer is the side nearest the target; "
                "more trials narrow the interval."
            )
            return _Refined(best, True, "the target inside the metric's interval at both ends")
        if b.x - a.x <= _resolution(search, a.x, b.x):
            notes.append(
                f"the metric moves in a step between {a.x:.6g} and {b.x:.6g} (from "
                f"{shown(a.est)} to {shown(b.est)}): no value meets the target "
                "exactly; the answer is the side nearest it."
            )
            return _Refined(best, True, "a step at the parameter's resolution")
        if search.full():
            return _Refined(best, False, f"max_evals = {search.max_evals} reached")
        done, gap = len(search.evals), abs(best.est - t)
        middle = a.x + (b.x - a.x) / 2
        search.run([_secant(a, b, "est", t), middle] if smooth else [middle])
        inner = [e for e in search.valid() if a.x <= e.x <= b.x]
        found = _crossings(inner, "est", t)
        if not found or len(search.evals) == done:
            return _Refined(best, False, "no narrower bracket could be evaluated")
        a, b = _nearest(found, best.x) or found[0]
        # regula falsi pays off where the metric is locally straight; where a round of it
        # did not halve the miss (a step, a kink) the rest is bisection, one value a round
        smooth = smooth and min(abs(a.est - t), abs(b.est - t)) <= gap / 2


def _answer_interval(
    search: _Search, best: _Eval, tol: float, lim: Limits, notes: list[str]
) -> tuple[float, float]:
    """Where the ends of the metric's interval cross the target, next to the answer."""
    ends = [_end(search, best, key, tol, lim) for key in ("low", "high")]
    if not all(math.isfinite(e) for e in ends):
        notes.append(
            "one end of the answer's interval lies beyond the values evaluated: the metric's "
            "interval there still holds the target; more trials narrow it."
        )
    finite = [e for e in ends if math.isfinite(e)]
    if len(finite) == 2:
        return min(finite), max(finite)
    if len(finite) == 1:
        e = finite[0]
        return (e, math.nan) if e < best.x else (math.nan, e)
    return math.nan, math.nan


def _end(search: _Search, best: _Eval, key: str, tol: float, lim: Limits) -> float:
    """Where one end (``low`` or ``high``) of the metric's interval crosses the target:
    bracketed (stepping past the answer by the metric's slope if needed), then
    narrowed by regula falsi and bisection like the answer itself, to
    :data:`END_PRECISION` of its distance from the answer."""
    t = search.target.value
    for _ in range(3):  # bracket it
        if _nearest(_crossings(search.valid(), key, t), best.x) is not None or search.full():
            break
        points = search.valid()
        near = sorted(points, key=lambda e: abs(e.x - best.x))[:2]
        if len(near) < 2 or near[0].x == near[1].x or near[0].est == near[1].est:
            return math.nan
        slope = (near[1].est - near[0].est) / (near[1].x - near[0].x)
        guess = best.x + 1.5 * (t - getattr(best, key)) / slope
        x = _inside(guess, lim)
        if x in search.evals or not math.isfinite(x):
            return math.nan
        search.run([x])
    for _ in range(8):  # narrow it
        pair = _nearest(_crossings(search.valid(), key, t), best.x)
        if pair is None:
            return math.nan
        a, b = pair
        g_a, g_b = getattr(a, key) - t, getattr(b, key) - t
        close = min((a, b), key=lambda e: abs(getattr(e, key) - t))
        fine = max(_resolution(search, a.x, b.x), END_PRECISION * abs((a.x + b.x) / 2 - best.x))
        if abs(getattr(close, key) - t) <= tol * abs(t) or b.x - a.x <= fine or search.full():
            if abs(getattr(close, key) - t) <= tol * abs(t) or g_a == g_b:
                return close.x
            return a.x - g_a * (b.x - a.x) / (g_b - g_a)
        search.run([_secant(a, b, key, t), a.x + (b.x - a.x) / 2])
    pair = _nearest(_crossings(search.valid(), key, t), best.x)
    if pair is None:
        return math.nan
    a, b = pair
    g_a, g_b = getattr(a, key) - t, getattr(b, key) - t
    return a.x if g_a == g_b else a.x - g_a * (b.x - a.x) / (g_b - g_a)


def _out_of_reach(
    search: _Search, found: _Bracketed, lo_hi: tuple[float, float] | None, currency: str
) -> InfeasibleError:
    """Why the target is out of reach: the values tried and the metric over them (in
    its units), what stopped the search, and what to change."""
    t = search.target
    points = search.valid()
    if not points:
        refused = [e.note for e in search.evals.values() if not e.valid]
        return InfeasibleError(
            f"calibrate_plan: no value of {search.param} tried could be evaluated: "
            f"{refused[0] if refused else 'none was valid'}. Give bounds the spec accepts."
        )
    lo_p = min(points, key=lambda e: (e.est, e.x))
    hi_p = max(points, key=lambda e: (e.est, e.x))
    name = t.metric.replace("_", " ")
    side = f"{'below' if hi_p.est < t.value else 'above'} the target"
    if lo_p.est == hi_p.est:
        side += f" and the same at every value tried ({search.param} does not move the {name})"
    span = (
        f"within [{lo_hi[0]:.6g}, {lo_hi[1]:.6g}]"
        if lo_hi is not None
        else f"from {points[0].x:.6g} to {points[-1].x:.6g} (searched outward from its "
        "current value)"
    )
    return InfeasibleError(
        f"calibrate_plan: {t.text(currency)} is out of reach by moving {search.param} {span}: "
        f"there the {name} ({t.statistic}) ranges from "
        f"{_shown(lo_p.est, t.unit, currency)} (at {lo_p.x:.6g}) to "
        f"{_shown(hi_p.est, t.unit, currency)} (at {hi_p.x:.6g}), {side}. "
        f"{found.why} {found.fix}",
        reasons=[f"{t.metric} range {lo_p.est:.6g} to {hi_p.est:.6g}"],
    )
