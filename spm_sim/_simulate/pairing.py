"""Which engine a scenario draws its sales with, alone or with the scenarios run with it.

``engine: auto`` is resolved once per run, when the scenario is prepared
(:func:`resolve_engine`: :func:`spm_sim.productivity.choose_engine` of the book's reps
and the plan's measures). Scenarios run together that would share their draws (one
book, plan year, seed and trial count) are compared trial by trial only on one
engine, so :func:`resolve_engines` resolves ``auto`` once for each such group and
says why; :func:`spm_sim.simulate.prepare` takes its choice as ``engine=``
(:func:`_given_engine` checks it) and the report prints it (:func:`_engine_note`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from spm_sim.book import Book, load_book_ref
from spm_sim.errors import ScenarioError, strict_checks
from spm_sim.productivity import ProductivityModel, choose_engine, fit_productivity
from spm_sim.random import RngLike, seed_sequence
from spm_sim.scenario import Scenario


def resolve_engine(scenario: Scenario, model: ProductivityModel) -> tuple[str, str]:
    """The engine ``scenario`` draws its sales with on the book's fitted ``model``
    (before planned hires), and why: its own, or ``auto``'s choice
    (:func:`spm_sim.productivity.choose_engine`, with the plan's measures)."""
    if scenario.engine != "auto":
        return _set_in_scenario(scenario)
    return choose_engine(model, measures=bool(scenario.plan.measures))


def _set_in_scenario(scenario: Scenario) -> tuple[str, str]:
    return scenario.engine, f"set in the scenario (engine: {scenario.engine})"


def resolve_engines(
    scenarios: Sequence[Scenario],
    books: Book | Mapping[str, Book] | None = None,
    *,
    rng: RngLike = None,
    n_trials: int | None = None,
) -> list[tuple[str, str]]:
    """The engine each of several scenarios run together draws with, and why.

    Scenarios that would share their draws (the same book, plan year, seed and
    number of trials: what :func:`spm_sim.metrics.compare` pairs on, besides the
    engine) are compared trial by trial only when they draw with one engine. So
    ``engine: auto`` is resolved once for each such group: ``summed`` when every
    ``auto`` scenario of the group picks it on its own
    (:func:`spm_sim.productivity.choose_engine`) and none of the group sets
    ``engine: deals``; otherwise ``deals``, and the reason names the scenario it
    pairs with. A scenario that sets its engine keeps it.

    Parameters
    ----------
    scenarios : sequence of Scenario
    books : Book or mapping of book reference to Book, optional
        Books already loaded (default: each scenario's book is loaded); one Book is
        every scenario's.
    rng : int or SeedSequence, optional
        The root every scenario is run with (default: each scenario's ``seed``). A
        ``Generator`` gives each run a root of its own: nothing is paired.
    n_trials : int, optional
        The trials every scenario is run with (default: each scenario's ``trials``).

    Returns
    -------
    list of (engine, reason)
        One pair per scenario, in order: give it to :func:`prepare` or
        :func:`spm_sim.simulate.simulate` as ``engine=``.

    Examples
    --------
    >>> from spm_sim import load_sample, sample_scenario
    >>> base, multi = sample_scenario("baseline"), sample_scenario("multi_measure")
    >>> [e for e, _ in resolve_engines([base], load_sample())]
    ['summed']
    >>> (e1, why), (e2, _) = resolve_engines([base, multi], load_sample())
    >>> e1, e2, why.split("; ")[0]
    ('deals', 'deals', "so that it pairs with 'Multi-measure 2026', which pays on single deals")
    """
    scenarios = list(scenarios)
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, s in enumerate(scenarios):
        groups.setdefault(_pairing_key(s, rng, n_trials, i), []).append(i)
    models: dict[tuple[str, int], ProductivityModel] = {}
    alone: list[tuple[str, str]] = []
    for s in scenarios:
        if s.engine != "auto":
            alone.append(_set_in_scenario(s))
            continue
        key = (s.book, s.plan_year)
        if key not in models:
            book = books if isinstance(books, Book) else (books or {}).get(s.book)
            with strict_checks(_strict(s)):
                book = book if book is not None else load_book_ref(s.book)
            models[key] = fit_productivity(book, plan_year=s.plan_year)
        alone.append(resolve_engine(s, models[key]))
    out = list(alone)
    for members in groups.values():
        deciders = [i for i in members if alone[i][0] == "deals"]
        if not deciders:
            continue
        for i in members:
            if scenarios[i].engine == "auto" and alone[i][0] == "summed":
                out[i] = ("deals", _paired_reason([scenarios[j] for j in deciders], alone[i][1]))
    return out


def _pairing_key(
    s: Scenario, rng: RngLike, n_trials: int | None, position: int
) -> tuple[object, ...]:
    """What scenarios must share to draw the same sales, besides the engine: the book,
    the plan year, the root and the trials (a Generator's root is each run's own)."""
    if isinstance(rng, np.random.Generator):
        return ("own root", position)
    root = seed_sequence(rng, default=s.seed)
    trials = s.trials if n_trials is None else int(n_trials)
    return (s.book, s.plan_year, repr(root.entropy), tuple(root.spawn_key), trials)


def _paired_reason(deciders: Sequence[Scenario], alone: str) -> str:
    """Why ``auto`` chose ``deals`` for a scenario that alone would draw summed: the
    scenario(s) of its group that draw every deal. The first clause, up to ``"; "``,
    is what the report prints."""
    first = deciders[0]
    name = repr(first.name)
    if len(deciders) > 1:
        name += f" (and {len(deciders) - 1} more run with it)"
    which = (
        "which draws every deal (engine: deals)"
        if first.engine == "deals"
        else "which pays on single deals"
    )
    return (
        f"so that it pairs with {name}, {which}; scenarios run together share their draws "
        f"only on one engine (alone, auto would choose summed: {alone})"
    )


def _given_engine(scenario: Scenario, engine: object) -> tuple[str, str]:
    """Check ``engine=`` of :func:`prepare` against the scenario: a pair (engine,
    reason) from :func:`resolve_engines` that the scenario can draw with."""
    if not (
        isinstance(engine, tuple)
        and len(engine) == 2
        and engine[0] in ("deals", "summed")
        and isinstance(engine[1], str)
    ):
        raise ScenarioError(
            f"scenario {scenario.name!r}: engine= must be a pair (engine, reason) with engine "
            f"'deals' or 'summed', as resolve_engines returns it; got {engine!r}."
        )
    chosen, reason = str(engine[0]), engine[1]
    if scenario.engine != "auto" and chosen != scenario.engine:
        raise ScenarioError(
            f"scenario {scenario.name!r} sets engine: {scenario.engine}, but engine= says "
            f"{chosen!r}; give the pair resolve_engines returned for this scenario, or "
            "change the scenario's engine."
        )
    if chosen == "summed" and scenario.plan.measures:
        raise ScenarioError(
            f"scenario {scenario.name!r}: its plan pays on measures of single deals, which "
            "only the deals engine draws, but engine= says 'summed'; give the pair "
            "resolve_engines returned for this scenario."
        )
    return chosen, reason


def _strict(scenario: Scenario) -> bool:
    """Whether the scenario asks for plausibility warnings to be raised as errors."""
    return bool(getattr(scenario, "strict", False))


def _engine_note(scenario: Scenario, engine: str, reason: str) -> str:
    """How the sales were drawn, as the report prints it: the engine and, for
    ``engine: auto``, why it was chosen (the first clause of
    :func:`spm_sim.productivity.choose_engine`'s reason, or of
    :func:`resolve_engines`' when it chose with the scenarios run with this one)."""
    what = "each rep-month's deals summed at once" if engine == "summed" else "every deal drawn"
    if scenario.engine != "auto":
        return f"{what} (engine: {engine})"
    if reason.startswith("so that"):
        return f"{what} (engine: auto chose {engine} {reason.split('; ')[0]})"
    return f"{what} (engine: auto chose {engine}: {reason.split(': ')[0]})"
