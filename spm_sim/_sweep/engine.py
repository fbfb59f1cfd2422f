"""Running many variants of a scenario on common random numbers, in chunks of trials.

The work splits by trials, not by variant: a task takes trials ``start..stop-1``,
draws their sales once for every group of variants whose draws are the same (the
plan, the quotas and the target incentive play no part in them), pays each variant
of the group on those draws, and returns each variant's per-trial figures
(:func:`spm_sim.metrics.trial_metrics`). A variant whose year runs through the month
loop (a workforce, behaviour, time allocation or programmes) draws its trials
itself, with its own loop. Trial ``t`` draws from stream ``t`` of the run's root in
every variant and every task, so the numbers do not depend on the chunks, the
workers or the executor, and equal :func:`spm_sim.simulate.simulate`'s for each
variant.

For goal-seek (``keep=True``) the draws of each chunk come back once and are kept
here; each later batch of variants is paid on them (in tasks, or here when serial).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from spm_sim.book import Book
from spm_sim.comp import MBO, Plan, payout
from spm_sim.errors import SpmSimError
from spm_sim.metrics import trial_metrics
from spm_sim.parallel import run_tasks
from spm_sim.random import TRIAL_BLOCK
from spm_sim.scenario import Scenario
from spm_sim.simulate import Prepared, draw_block, prepare

#: Trials a task draws and pays at most (memory ~ trials x reps x 12 x 8 bytes per
#: array), as in :func:`spm_sim.simulate.simulate`.
CHUNK_SIZE = 250
#: Tasks per worker when the trials are split for an executor (some balance).
TASKS_PER_WORKER = 2


@dataclass(frozen=True)
class Group:
    """Variants whose sales draws are the same: what drawing them needs (``engine``:
    the resolved engine, ``Prepared.engine``)."""

    model: Any
    engine: str
    measured: Plan | None
    mix: Any


@dataclass(frozen=True)
class Payable:
    """What paying one variant needs (picklable: sent to the workers).

    ``group`` is the index of its draw group; a variant with the month loop on has
    no group (None) and draws its own trials with ``model``, ``kernel`` and ``mix``.
    """

    name: str
    plan: Plan
    quotas: np.ndarray
    annual_quota: np.ndarray
    company_target: float
    base_salary: np.ndarray
    target_incentive: np.ndarray
    programme_cost: float
    n_trials: int
    group: int | None
    engine: str = "deals"
    model: Any = None
    kernel: Any = None
    mix: Any = None


def measures_key(plan: Plan) -> Any:
    """What of a plan its drawn measures depend on: the measures it declares and the
    score levels and probabilities of its MBO components (None: no measures)."""
    if not plan.measures:
        return None
    scores = [
        (c.measure, [lv.score for lv in c.levels], c.probabilities)
        for c in plan.components
        if isinstance(c, MBO)
    ]
    return [[m.model_dump(mode="json") for m in plan.measures], scores]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _prep_key(s: Scenario) -> str:
    """What a scenario's preparation depends on besides a loop-free plan's rates."""
    rest = s.model_dump(mode="json", exclude={"name", "description", "trials", "plan"})
    plan = (s.plan.currency, s.plan.role, measures_key(s.plan))
    return _json([rest, plan])


def _fingerprint(model: Any) -> str:
    return hashlib.sha1(pickle.dumps(model, protocol=4)).hexdigest()


@dataclass(frozen=True)
class Bundle:
    """The arguments every task of one call shares, as one object: sent to Dask's
    workers once under a key of its own (``run``, unique), so two calls with equal
    arguments never share a key that one of them releases while the other needs it."""

    fn: Callable[..., Any]
    args: tuple
    run: str = field(default_factory=lambda: uuid.uuid4().hex)


def _call(bundle: Bundle, *task: Any) -> Any:
    return bundle.fn(*bundle.args, *task)


def run_shared(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    executor: Any,
    shared: tuple,
    on_done: Callable[[int], None] | None = None,
) -> list[Any]:
    """:func:`spm_sim.parallel.run_tasks` of ``fn(*shared, *task)``, the shared
    arguments sent as one :class:`Bundle`."""
    return run_tasks(_call, tasks, executor, shared=(Bundle(fn, tuple(shared)),), on_done=on_done)


def executor_workers(executor: Any) -> int:
    """How many tasks an opened executor runs at once (1 here, in this process)."""
    if executor is None:
        return 1
    nthreads = getattr(executor, "nthreads", None)
    if callable(nthreads):  # a dask.distributed Client
        try:
            return max(1, sum(nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot say: assume the CPUs
            return max(1, os.cpu_count() or 1)
    return max(1, int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1))


def bounds(n: int, chunk_size: int, workers: int) -> list[tuple[int, int]]:
    """The chunks of ``n`` trials: at most ``chunk_size`` each, and at least
    :data:`TASKS_PER_WORKER` per worker when there is more than one, in whole blocks
    of :data:`spm_sim.random.TRIAL_BLOCK` trials (at least one): a block is drawn
    whole, so a chunk ending inside one would draw it twice.

    >>> bounds(100, 60, 1)
    [(0, 50), (50, 100)]
    >>> bounds(210, 250, 2)
    [(0, 50), (50, 100), (100, 150), (150, 200), (200, 210)]
    >>> bounds(10, 250, 2)
    [(0, 10)]
    """
    size = chunk_size
    if workers > 1:
        size = min(chunk_size, math.ceil(n / (TASKS_PER_WORKER * workers)))
    size = max(TRIAL_BLOCK, size // TRIAL_BLOCK * TRIAL_BLOCK)
    return [(s, min(s + size, n)) for s in range(0, n, size)]


@dataclass
class Runner:
    """Prepares variants (once per distinct preparation) and runs them in chunks.

    Parameters
    ----------
    book : Book
    root : SeedSequence
        The run's root: every variant draws trial ``t`` from its stream ``t``.
    executor : None or an opened executor
        From :func:`spm_sim.parallel.executor_for` (None: here, in order).
    chunk_size : int
    progress : bool
    keep : bool
        Keep each chunk's draws here after the first run (goal-seek).
    """

    book: Book
    root: np.random.SeedSequence
    executor: Any = None
    chunk_size: int = CHUNK_SIZE
    progress: bool = False
    keep: bool = False
    groups: list[Group] = field(default_factory=list)
    _group_keys: dict[str, int] = field(default_factory=dict)
    _prepared: dict[str, Prepared] = field(default_factory=dict)
    _kept: dict[tuple[int, int, int], tuple[np.ndarray, dict]] = field(default_factory=dict)

    def payable(self, scenario: Scenario, engine: tuple[str, str] | None = None) -> Payable:
        """Prepare ``scenario`` (reusing a preparation that only a loop-free plan's
        rates would change) and place it in its draw group; ``engine`` is the engine
        chosen for it with the other variants (:func:`spm_sim.simulate.resolve_engines`),
        default resolved for it alone."""
        key = _prep_key(scenario) + _json(engine)
        prep = self._prepared.get(key)
        if prep is not None and prep.kernel is not None and prep.kernel.on:
            prep = self._prepared.get(key + _json(scenario.plan.model_dump(mode="json")))
        if prep is None:
            try:
                prep = prepare(scenario, self.book, rng=self.root, engine=engine)
            except SpmSimError as exc:
                raise type(exc)(f"scenario {scenario.name!r}: {exc}") from None
            looped = prep.kernel is not None and prep.kernel.on
            plan_key = _json(scenario.plan.model_dump(mode="json")) if looped else ""
            self._prepared[key + plan_key] = prep
        looped = prep.kernel is not None and prep.kernel.on
        common: dict[str, Any] = {
            "name": scenario.name,
            "plan": scenario.plan,
            "quotas": prep.quotas.values,
            "annual_quota": prep.quotas.annual,
            "company_target": float(prep.quotas.company_target),
            "base_salary": prep.base_salary,
            "target_incentive": prep.target_incentive,
            "programme_cost": float(prep.programme_cost),
            "n_trials": int(scenario.trials),
            "engine": prep.engine,
        }
        if looped:
            return Payable(
                **common, group=None, model=prep.model, kernel=prep.kernel, mix=prep.deal_mix
            )
        measured = scenario.plan if scenario.plan.measures else None
        gkey = _json([_fingerprint(prep.model), prep.engine, measures_key(scenario.plan)])
        if gkey not in self._group_keys:
            self._group_keys[gkey] = len(self.groups)
            self.groups.append(Group(prep.model, prep.engine, measured, prep.deal_mix))
        return Payable(**common, group=self._group_keys[gkey])

    def run(
        self, payables: list[Payable], columns: tuple[str, ...], *, label: str = "sweep"
    ) -> list[dict[str, np.ndarray]]:
        """Each variant's per-trial ``columns`` (of :func:`spm_sim.metrics.trial_metrics`),
        in the order of ``payables``."""
        n = max(p.n_trials for p in payables)
        chunks = bounds(n, self.chunk_size, executor_workers(self.executor))
        kept = [i for i, p in enumerate(payables) if self.keep and p.group is not None]
        fresh = [i for i in range(len(payables)) if i not in set(kept)]
        parts: list[list[dict[str, np.ndarray]]] = [[] for _ in payables]
        bar = _bar(self.progress, len(chunks) * (bool(kept) + bool(fresh)), label)
        try:
            if fresh:
                todo = [payables[i] for i in fresh]
                out = run_shared(
                    _chunk_task,
                    chunks,
                    self.executor,
                    (self.root, tuple(self.groups), tuple(todo), columns),
                    on_done=bar,
                )
                for chunk in out:
                    for j, i in enumerate(fresh):
                        parts[i].append(chunk[j])
            if kept:
                for i, chunk in self._run_kept([payables[i] for i in kept], chunks, columns, bar):
                    parts[kept[i]].append(chunk)
        finally:
            bar.close()
        return [{c: np.concatenate([p[c] for p in part]) for c in columns} for part in parts]

    def _run_kept(self, payables, chunks, columns, bar):
        """Pay loop-free variants on the kept draws (drawn in tasks the first time)."""
        groups = sorted({p.group for p in payables})
        missing = [(g, a, b) for g in groups for a, b in chunks if (g, a, b) not in self._kept]
        if missing:
            drawn = run_shared(
                _draw_task,
                [(g, a, b) for g, a, b in missing],
                self.executor,
                (self.root, tuple(self.groups)),
            )
            self._kept.update(zip(missing, drawn, strict=True))
        tasks = [(a, tuple(self._kept[(g, a, b)] for g in groups)) for a, b in chunks]
        shared = (tuple(payables), tuple(groups), columns)
        out = run_shared(_pay_task, tasks, self.executor, shared, on_done=bar)
        for chunk in out:
            yield from enumerate(chunk)


class _Bar:
    """A tqdm bar over tasks done, or nothing."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def __call__(self, _i: int) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _bar(progress: bool, total: int, label: str) -> _Bar:
    if not progress or total < 1:
        return _Bar(None)
    from tqdm.auto import tqdm

    return _Bar(tqdm(total=total, desc=label, unit="chunk", leave=False))


def _figures(
    p: Payable,
    draws: np.ndarray,
    measures: dict[str, np.ndarray],
    stats: dict[str, np.ndarray],
    columns: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Pay one variant on its trials' bookings (trials, reps, periods): its per-trial
    figures, as :func:`spm_sim.metrics.trial_metrics` reads a result."""
    with np.errstate(over="ignore", invalid="ignore"):
        paid = payout(
            p.plan,
            draws,
            p.quotas,
            p.target_incentive,
            measures=measures or None,
            detail="annual",  # the year's totals only, as simulate pays a block
        ).annual_by_component
    view = SimpleNamespace(
        bookings=draws.sum(axis=-1),
        payout=paid,
        base_salary=p.base_salary,
        target_incentive=p.target_incentive,
        quotas=SimpleNamespace(annual=p.annual_quota),
        company_target=p.company_target,
        n_trials=int(draws.shape[0]),
        dynamics={k: v for k, v in stats.items() if k != "stayed"},
        stayed=stats.get("stayed"),
        programme_cost=p.programme_cost,
        provenance={},
    )
    table = trial_metrics(view)
    return {c: table[c].to_numpy(float) for c in columns}


def _chunk_task(
    root: np.random.SeedSequence,
    groups: tuple[Group, ...],
    payables: tuple[Payable, ...],
    columns: tuple[str, ...],
    start: int,
    stop: int,
) -> list[dict[str, np.ndarray]]:
    """Trials ``start..stop-1`` of every variant: each group's sales drawn once and
    paid under each of its variants; a variant with the month loop draws its own."""
    out: list[dict[str, np.ndarray] | None] = [None] * len(payables)
    for g, group in enumerate(groups):
        members = [i for i, p in enumerate(payables) if p.group == g and p.n_trials > start]
        if not members:
            continue
        end = min(stop, max(payables[i].n_trials for i in members))
        with np.errstate(over="ignore", invalid="ignore"):
            draws, measures, _ = draw_block(
                group.model,
                root,
                start,
                end,
                engine=group.engine,
                plan=group.measured,
                mix=group.mix,
            )
        for i in members:
            m = min(stop, payables[i].n_trials) - start
            sub = {k: v[:m] for k, v in measures.items()}
            out[i] = _figures(payables[i], draws[:m], sub, {}, columns)
    for i, p in enumerate(payables):
        if p.group is not None or p.n_trials <= start:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            draws, measures, stats = draw_block(
                p.model,
                root,
                start,
                min(stop, p.n_trials),
                engine=p.engine,
                kernel=p.kernel,
                plan=p.plan,
                mix=p.mix,
            )
        out[i] = _figures(p, draws, measures, stats, columns)
    empty = {c: np.empty(0) for c in columns}
    return [o if o is not None else empty for o in out]


def _draw_task(
    root: np.random.SeedSequence, groups: tuple[Group, ...], g: int, start: int, stop: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Group ``g``'s sales of trials ``start..stop-1`` (kept by the caller)."""
    group = groups[g]
    with np.errstate(over="ignore", invalid="ignore"):
        draws, measures, _ = draw_block(
            group.model,
            root,
            start,
            stop,
            engine=group.engine,
            plan=group.measured,
            mix=group.mix,
        )
    return draws, measures


def _pay_task(
    payables: tuple[Payable, ...],
    groups: tuple[int, ...],
    columns: tuple[str, ...],
    start: int,
    drawn: tuple[tuple[np.ndarray, dict[str, np.ndarray]], ...],
) -> list[dict[str, np.ndarray]]:
    """Pay variants on kept draws of trials from ``start`` (one entry per group)."""
    out = []
    for p in payables:
        draws, measures = drawn[groups.index(p.group)]
        m = max(0, min(draws.shape[0], p.n_trials - start))
        sub = {k: v[:m] for k, v in measures.items()}
        out.append(_figures(p, draws[:m], sub, {}, columns))
    return out
