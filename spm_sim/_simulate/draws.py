"""Sales drawn once and paid under any plan or quotas (the widgets' cache)."""

from __future__ import annotations

from typing import Any

import numpy as np

from spm_sim.book import Book, load_book_ref
from spm_sim.comp import MBO, Plan
from spm_sim.errors import ScenarioError, strict_checks
from spm_sim.productivity import (
    workforce_clocks,
)
from spm_sim.random import (
    RngLike,
    seed_sequence,
    workforce_rng,
)
from spm_sim.scenario import Scenario

from .chunks import chunk_bounds
from .engine import _draw_exogenous, _pay_block, _through_loop
from .prepare import _Fitted, _hire_ramp, _prepare, _strict, resolve_engine
from .result import SimulationResult, _result


def _measures_key(plan: Plan) -> tuple | None:
    """What of a plan the drawn measures depend on: its declared measures and, in
    order, the score levels and probabilities of its MBO components (drawn on the
    trial's stream after the deals); None for a plan that declares no measures."""
    if not plan.measures:
        return None
    scores = tuple(
        (c.measure, tuple(lv.score for lv in c.levels), c.probabilities)
        for c in plan.components
        if isinstance(c, MBO)
    )
    return (plan.measures, scores)


def _refused(diff: str, name: str, scenario: str) -> str:
    """Why stored draws cannot pay a scenario: ``diff`` says what differs."""
    return (
        f"the sales were drawn for {diff}; {name} changes the sales drawn, so scenario "
        f"{scenario!r} cannot be paid on these draws. Draw its own: "
        "draw_sales(scenario, n_trials)."
    )


def _freeze(*arrays: np.ndarray | None) -> Any:
    """Make stored draws read-only (nothing paid on them may change them); returns
    the first array."""
    for a in arrays:
        if a is not None:
            a.setflags(write=False)
    return arrays[0]


class SalesDraws:
    """A scenario's sales drawn once, to pay other plans and quotas on the same draws.

    Made by :func:`draw_sales`; :meth:`pay` turns them into the
    :class:`SimulationResult` of any scenario they fit, bit for bit the result
    :func:`simulate` gives for that scenario with the same trials, seed and book,
    in a fraction of the time: the sales are not drawn again (nor added up again),
    the productivity model is not refitted (nor are quotas already set for the same
    settings), and the plan is paid on the payout kernel's annual path
    (``payout(..., detail="annual")``: the totals a result keeps, equal to the last
    bit to the monthly payments' without writing them).

    The draws fit a scenario when everything the sales are drawn from is the same:
    the book, the plan year, the seed (when the draws took the scenario's own),
    the engine (as resolved: ``auto`` fits the draws of the engine it picks), the
    planned hires (and their ramp), the strictness, and, for a plan
    that declares measures, those measures and its MBO score draws. The plan's
    rates, tiers and caps, the quota settings, and the workforce, behaviour and
    programmes may all differ: with any of the last three on, the month loop (what
    the reps do during the year) runs again on the stored sales, as
    :func:`simulate` runs it on fresh ones. For a scenario the draws do not fit,
    :meth:`pay` raises :class:`~spm_sim.errors.ScenarioError` saying what differs;
    it never redraws behind the caller's back (:meth:`mismatch` asks first).

    Attributes
    ----------
    scenario : Scenario
        The scenario the sales were drawn for.
    n_trials, chunk_size : int
    engine : str
        The engine the sales were drawn with, ``"deals"`` or ``"summed"``.
    book : Book
    nbytes : int
        Memory the stored draws take.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        root: np.random.SeedSequence,
        book: Book,
        rng_given: bool,
        book_given: bool,
        chunk_size: int,
        blocks: list[list[Any]],
        fitted: _Fitted,
        engine: str,
    ) -> None:
        self.scenario = scenario
        self.engine = engine
        self.book = book
        self.chunk_size = chunk_size
        self._root = root
        self._rng_given = rng_given
        self._book_given = book_given
        # [start, stop, bookings, measures, clocks or None, the bookings' sums or None]
        self._blocks = blocks
        self._fitted = fitted
        self._measures = _measures_key(scenario.plan)

    def __repr__(self) -> str:
        return (
            f"SalesDraws(scenario={self.scenario.name!r}, n_trials={self.n_trials}, "
            f"reps={self._blocks[0][2].shape[1]}, {self.nbytes / 2**20:.0f} MiB)"
        )

    @property
    def n_trials(self) -> int:
        """How many trials (simulated years) were drawn.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> from spm_sim.simulate import draw_sales
        >>> draw_sales(sample_scenario("baseline"), 30, chunk_size=20).n_trials
        30
        """
        return int(self._blocks[-1][1])

    @property
    def nbytes(self) -> int:
        """Memory the stored draws take, in bytes: the bookings (trials x reps x 12
        months x 8 bytes), any measures the plan declares, the seats' clocks and,
        once paid, the bookings' sums per rep and per month (kept for the next pay).

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> from spm_sim.simulate import draw_sales
        >>> draws = draw_sales(sample_scenario("baseline"), 10)
        >>> draws.nbytes == 10 * 80 * 12 * 8
        True
        """
        total = 0
        for block in self._blocks:
            total += block[2].nbytes + sum(v.nbytes for v in block[3].values())
            total += block[4].nbytes if block[4] is not None else 0
            total += sum(s.nbytes for s in block[5]) if block[5] is not None else 0
        return total

    def mismatch(self, scenario: Scenario) -> str | None:
        """Why these draws cannot pay ``scenario``, in words, or None when they can.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> from spm_sim.simulate import draw_sales
        >>> s = sample_scenario("baseline")
        >>> draws = draw_sales(s, 20)
        >>> draws.mismatch(s.replace(plan_year=2025))  # doctest: +ELLIPSIS
        "the sales were drawn for plan_year 2026, and this scenario has 2025..."
        """
        d = scenario
        was = self.scenario
        checks: list[tuple[str, Any, Any]] = [
            ("plan_year", d.plan_year, was.plan_year),
            ("quota.hires", d.quota.hires, was.quota.hires),
            (
                "the planned hires' ramp (workforce.ramp)",
                _hire_ramp(d) if d.quota.hires else None,
                _hire_ramp(was) if was.quota.hires else None,
            ),
            ("strict", d.strict, was.strict),
            ("alignment", d.alignment, was.alignment),
        ]
        if not self._book_given:
            checks.insert(0, ("book", d.book, was.book))
        if not self._rng_given:
            checks.append(("seed", d.seed, was.seed))
        mine = _measures_key(d.plan)
        if mine is not None:
            checks.append(
                ("the plan's measures and MBO score draws", mine, self._measures),
            )
        for name, now, then in checks:
            if now != then:
                if isinstance(now, int | str) and isinstance(then, int | str):
                    diff = f"{name} {then!r}, and this scenario has {now!r}"
                else:
                    diff = f"{name} of scenario {was.name!r}, and this scenario's differ"
                return _refused(diff, name, d.name)
        assert self._fitted.model is not None  # fitted when the sales were drawn
        engine = resolve_engine(d, self._fitted.model)[0]  # auto: on the same reps
        if engine != self.engine:
            picks = f", which picks {engine!r} here" if d.engine == "auto" else ""
            diff = f"engine {self.engine!r}, and this scenario has {d.engine!r}{picks}"
            return _refused(diff, "engine", d.name)
        return None

    def pay(self, scenario: Scenario) -> SimulationResult:
        """Pay ``scenario``'s plan and quotas on these sales.

        Parameters
        ----------
        scenario : Scenario
            Any scenario the draws fit (see the class notes): typically the drawn
            scenario with another plan (``scenario.replace(plan=...)``) or other
            quota settings.

        Returns
        -------
        SimulationResult
            Identical to ``simulate(scenario, n_trials, rng=..., book=...)`` with the
            trials, seed and book of :func:`draw_sales`; its ``scenario.trials`` is
            ``n_trials``.

        Raises
        ------
        ScenarioError
            When the draws do not fit ``scenario`` (the message says what differs);
            any error :func:`simulate` raises for that scenario.

        Examples
        --------
        >>> from spm_sim import sample_scenario, simulate
        >>> from spm_sim.simulate import draw_sales
        >>> s = sample_scenario("baseline")
        >>> draws = draw_sales(s, 20)
        >>> fast = draws.pay(s.replace(quota=s.quota.replace(growth=0.12)))
        >>> slow = simulate(s.replace(quota=s.quota.replace(growth=0.12)), 20)
        >>> bool((fast.payout == slow.payout).all())
        True
        """
        why = self.mismatch(scenario)
        if why is not None:
            raise ScenarioError(why)
        with strict_checks(_strict(scenario)):
            prep = _prepare(scenario, self.book, rng=self._root, fitted=self._fitted)
            loop = prep.kernel if prep.kernel is not None and prep.kernel.on else None
            measured = scenario.plan if scenario.plan.measures else None
            parts = []
            for block in self._blocks:
                start, stop, draws, measures, clocks, sums = block
                measures = measures if measured is not None else {}
                stats: dict[str, np.ndarray] = {}
                if loop is not None:
                    if loop.workforce is not None and clocks is None:
                        clocks = block[4] = _freeze(self._clocks(start, stop, draws.shape[1]))
                    with np.errstate(over="ignore", invalid="ignore"):
                        draws, measures, stats = _through_loop(
                            loop, draws, measures, clocks, measured
                        )
                    sums = None  # the month loop moved the sales
                elif sums is None:  # the stored sales' sums, added up once
                    sums = block[5] = (
                        _freeze(draws.sum(axis=-1)),
                        _freeze(draws.sum(axis=1)),
                    )
                parts.append(
                    _pay_block(
                        scenario.plan,
                        prep.quotas.values,
                        prep.target_incentive,
                        draws,
                        measures,
                        stats,
                        sums,
                    )
                )
        return _result(scenario, self.n_trials, self._root, prep, parts)

    def _clocks(self, start: int, stop: int, n_reps: int) -> np.ndarray:
        """The seats' clocks of trials ``start..stop-1``, from their own streams."""
        return np.stack(
            [workforce_clocks(workforce_rng(self._root, t), n_reps) for t in range(start, stop)]
        )


def draw_sales(
    scenario: Scenario,
    n_trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    chunk_size: int = 250,
    progress: bool = False,
) -> SalesDraws:
    """Draw a scenario's sales once, to pay many plans and quotas on them fast.

    The fast path of a what-if: drawing the sales is most of a run's time, and the
    draws depend on the book, the plan year and the seed, not on the plan or the
    quotas. ``draw_sales(s, n).pay(s2)`` is bit for bit ``simulate(s2, n)`` for
    any ``s2`` the draws fit (:class:`SalesDraws` says which; others are refused
    with a :class:`~spm_sim.errors.ScenarioError`, never paid wrongly).

    Parameters
    ----------
    scenario : Scenario
    n_trials : int, optional
        Default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed`` (then a scenario with another seed does not fit).
    book : Book, optional
        An already loaded book (default: load ``scenario.book``; then a scenario
        naming another book does not fit).
    chunk_size : int, default 250
        Trials drawn and paid together, as in :func:`simulate`.
    progress : bool, default False
        Show a tqdm progress bar over the trials.

    Returns
    -------
    SalesDraws
        Memory about ``n_trials x reps x 12 x 8`` bytes, plus as much per measure
        the plan declares.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.comp import standard_plan
    >>> from spm_sim.simulate import draw_sales
    >>> s = sample_scenario("baseline")
    >>> draws = draw_sales(s, 50, rng=0)
    >>> draws.n_trials
    50
    >>> other = draws.pay(s.replace(plan=standard_plan(attainment_cap=2.0)))
    >>> other.payout.shape[:2]
    (50, 80)
    """
    n = int(scenario.trials if n_trials is None else n_trials)
    if n < 1:
        raise ValueError(f"n_trials must be >= 1, got {n}.")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    fitted = _Fitted()
    with strict_checks(_strict(scenario)):
        root = seed_sequence(rng, default=scenario.seed)
        loaded = book if book is not None else load_book_ref(scenario.book)
        prep = _prepare(scenario, loaded, rng=root, fitted=fitted)
    wf = prep.kernel is not None and prep.kernel.workforce is not None
    measured = scenario.plan if scenario.plan.measures else None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=f"{scenario.name}: sales", unit="trial", leave=False)
    blocks: list[list[Any]] = []
    try:
        for start, stop in chunk_bounds(0, n, chunk_size):
            with np.errstate(over="ignore", invalid="ignore"):
                draws, measures, clocks = _draw_exogenous(
                    prep.model,
                    root,
                    start,
                    stop,
                    engine=prep.engine,
                    measured=measured,
                    mix=prep.deal_mix,
                    clocks=wf,
                )
            _freeze(draws, *measures.values(), clocks)
            blocks.append([start, stop, draws, measures, clocks, None])
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    return SalesDraws(
        scenario,
        root=root,
        book=loaded,
        rng_given=rng is not None,
        book_given=book is not None,
        chunk_size=chunk_size,
        blocks=blocks,
        fitted=fitted,
        engine=prep.engine,
    )
