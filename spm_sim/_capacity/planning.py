"""Staffing a capacity model: whether a service target holds, the smallest team that
meets it, the curve of figures against team size, and what each added rep brings.

Every team size runs the same replications' streams (common random numbers), so
replication ``r`` of one size and of another differ only by the team: the change
from one size to the next is measured year by year (paired), with far less noise
than two means apart. Replications are added where an answer is not yet clear: a
size starts with a few (:data:`START_REPLICATIONS`) and doubles them, up to the
``replications`` asked, while its interval still holds what is being decided (the
service target for :func:`smallest_team`; for :func:`headcount_curve`, the cost of
a rep against the paired value of the last rep added).

A private module of :mod:`spm_sim.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from spm_sim.errors import CapacityError
from spm_sim.parallel import ExecutorLike, executor_for
from spm_sim.random import RngLike, seed_sequence

from .binding import stage_figures
from .model import (
    LATER_FIGURES,
    CapacityConfig,
    CapacityResult,
    ServiceTarget,
    _replication,
    _run_years,
    calendar,
    progress_bar,
    summarise,
    where_to_run,
)
from .queueing import mean_ci

__all__ = [
    "START_REPLICATIONS",
    "meets_target",
    "target_verdict",
    "headcount_curve",
    "smallest_team",
    "marginal_value",
    "start_guess",
    "opportunity_value",
]

#: Replications a team size starts with in :func:`smallest_team` and
#: :func:`headcount_curve`; more are added (8, 16, ... up to ``replications``) only
#: where the answer is not yet clear.
START_REPLICATIONS = 4


def meets_target(
    summary: pd.DataFrame, target: ServiceTarget, config: CapacityConfig, stage: int = 0
) -> bool:
    """Whether the target holds with the confidence interval on the safe side: the
    share contacted in time at the first stage, the utilisation at ``stage``."""
    s = summary.set_index("figure")
    ok = True
    if target.within_hours is not None:
        low = s.loc[f"share_within_{target.within_hours:g}h", "low"]
        mean = s.loc[f"share_within_{target.within_hours:g}h", "mean"]
        ok &= bool((low if np.isfinite(low) else mean) >= target.share)
    if target.max_utilisation is not None:
        st = config.stages[stage]
        high = s.loc[f"utilisation_{st.name}", "high"]
        mean = s.loc[f"utilisation_{st.name}", "mean"]
        ok &= bool((high if np.isfinite(high) else mean) <= target.max_utilisation)
    return ok


def target_verdict(
    summary: pd.DataFrame, target: ServiceTarget, config: CapacityConfig, stage: int = 0
) -> tuple[bool, bool]:
    """Whether a team meets ``target`` and whether the replications make that clear.

    Each part of the target is clear when the figure's confidence interval is wholly
    on one side of it: the share contacted in time at the first stage (met when the
    interval's lower bound is at or above ``share``, missed when its upper bound is
    below), the utilisation at ``stage`` (met when the upper bound is at or under
    ``max_utilisation``, missed when the lower bound is over). The target is clearly
    missed when one part is, clearly met when every part is; otherwise it is not
    clear yet and the means decide ``met``. An interval that cannot be computed (one
    replication) is not clear.

    Returns
    -------
    met, clear : bool, bool

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig, ServiceTarget
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 10}],
    ...                      stages=[{"name": "AE", "reps": 1, "effort_hours": 1}])
    >>> t = ServiceTarget(within_hours=1, share=0.9)
    >>> summ = pd.DataFrame({"figure": ["share_within_1h"], "mean": [0.93],
    ...                      "low": [0.88], "high": [0.98]})
    >>> target_verdict(summ, t, cfg)  # met on the mean, the interval holds 90%
    (True, False)
    >>> target_verdict(summ.assign(low=0.91), t, cfg)
    (True, True)
    """
    s = summary.set_index("figure")
    parts: list[tuple[bool, bool | None]] = []  # (met on the mean, clear verdict or None)
    if target.within_hours is not None:
        fig = s.loc[f"share_within_{target.within_hours:g}h"]
        goal = float(target.share)  # type: ignore[arg-type]  # set with within_hours
        clear = True if fig["low"] >= goal else False if fig["high"] < goal else None
        parts.append((bool(fig["mean"] >= goal), clear))
    if target.max_utilisation is not None:
        fig = s.loc[f"utilisation_{config.stages[stage].name}"]
        cap = float(target.max_utilisation)
        clear = True if fig["high"] <= cap else False if fig["low"] > cap else None
        parts.append((bool(fig["mean"] <= cap), clear))
    if any(c is False for _, c in parts):
        return False, True
    if all(c is True for _, c in parts):
        return True, True
    return all(m for m, _ in parts), False


def _key(
    config: CapacityConfig, root: np.random.SeedSequence, within: float, first_only: bool
) -> tuple:
    spawn = tuple(int(k) for k in root.spawn_key)
    return (config.model_dump_json(), str(root.entropy), spawn, within, first_only)


def _first_stage_part(per: pd.DataFrame, config: CapacityConfig) -> pd.DataFrame:
    """A full run's figures cut to those a first-stage-only run has (the same numbers)."""
    later = [f"{f}_{s.name}" for s in config.stages[1:] for f in ("utilisation", "arrived")]
    return per.drop(columns=[*LATER_FIGURES, *later, *_stage_columns(config)])


def _year_figures(
    root: np.random.SeedSequence,
    first_only: bool,
    within: float,
    config: CapacityConfig,
    r: int,
) -> pd.DataFrame:
    """Replication ``r``'s figures (:meth:`CapacityResult.per_replication`), made where
    the year ran, with ``arrived_<stage>`` for each later stage of a full run.

    ``arrived_<stage>`` counts the leads that reached the stage in the year: those
    that passed the stage before it (a lead passes after its work there, with the
    chance its wait has left it). It is the stage's offered work, which the earlier
    stages' queues make smaller than their conversions alone say. A stage's team
    does not change it (the stages before it run the same draws whatever its size).
    """
    frames = _replication(config, root, r, first_only)
    shown = config.replace(stages=config.stages[:1]) if first_only else config
    row = CapacityResult(config=shown, hours=calendar(config).hours, **frames).per_replication(
        within
    )
    if first_only:  # what only the later stages make was not simulated
        return row.drop(columns=list(LATER_FIGURES))
    work = frames["work"]
    for k, st in enumerate(config.stages[1:], start=1):
        row[f"arrived_{st.name}"] = int((work["passed"] & (work["stage"] == k - 1)).sum())
    # each stage's queue and the conversion lost there (which stage binds)
    hours = calendar(config).hours
    stages = stage_figures(config, work, frames["reps"], frames["queue"], hours)
    return row.join(stages[_stage_columns(config)])


#: the per-stage figures of a full year's row (:func:`.binding.stage_figures`)
_STAGE_ROW = (
    "mean_wait_hours",
    "p90_wait_hours",
    "mean_queue",
    "lost_leads",
    "share_lost",
    "bookings_lost",
)


def _stage_columns(config: CapacityConfig) -> list[str]:
    return [f"{f}_{s.name}" for s in config.stages for f in _STAGE_ROW]


def _within(config: CapacityConfig, within: float | None) -> float:
    """The response-time window of the figures: given, else the target's, else 1 h."""
    if within is not None:
        return float(within)
    target = config.target
    return target.within_hours if target and target.within_hours is not None else 1.0


class _Years:
    """The figures of each (team, replication) of one search or curve, run once.

    ``cache`` (the caller's dict) holds every replication's row by configuration, seed,
    window and whether only the first stage ran, so a replication is simulated once
    however many searches, curves and sequential rounds ask for it. A first-stage-only
    row is also read off a full run of the same replication (its first stage is the
    same simulation). Missing years run together on ``executor``; ``bar`` counts them.
    """

    def __init__(
        self,
        root: np.random.SeedSequence,
        within: float,
        first_only: bool,
        cache: dict | None,
        executor: ExecutorLike,
        workers: int | None,
        bar,
    ):
        self.root, self.within, self.first_only = root, within, first_only
        self.cache = {} if cache is None else cache
        self.executor, self.workers, self.bar = executor, workers, bar

    def _row(self, config: CapacityConfig, r: int) -> pd.DataFrame | None:
        mine = self.cache.get(_key(config, self.root, self.within, self.first_only), {})
        if r in mine:
            return mine[r]
        if self.first_only:
            full = self.cache.get(_key(config, self.root, self.within, False), {})
            if r in full:
                return _first_stage_part(full[r], config)
        return None

    def held(self, config: CapacityConfig) -> int:
        """How many replications of ``config`` are held already (0, 1, ... in a row)."""
        n = 0
        while self._row(config, n) is not None:
            n += 1
        return n

    def get(self, wanted: list[tuple[CapacityConfig, int]]) -> list[pd.DataFrame]:
        """The first ``n`` replications' figures of each ``(configuration, n)``."""
        todo = list(
            dict.fromkeys((c, r) for c, n in wanted for r in range(n) if self._row(c, r) is None)
        )
        if todo:
            self.bar.total = (self.bar.total or 0) + len(todo)
            tasks = [(self.root, self.first_only, self.within, c, r) for c, r in todo]
            rows = _run_years(
                _year_figures, tasks, self.executor, self.workers, None, self.bar.update
            )
            for (c, r), row in zip(todo, rows, strict=True):
                key = _key(c, self.root, self.within, self.first_only)
                self.cache.setdefault(key, {})[r] = row
        out = []
        for c, n in wanted:
            rows_ = [self._row(c, r) for r in range(n)]
            out.append(pd.concat([r for r in rows_ if r is not None]))
        return out


def _counts(replications: int | None, min_replications: int | None, config) -> tuple[int, int]:
    """The most and the fewest replications of a size, checked."""
    most = int(config.replications if replications is None else replications)
    if most < 1:
        raise CapacityError(f"replications must be >= 1; got {most}")
    if min_replications is None:
        return most, min(START_REPLICATIONS, most)
    fewest = int(min_replications)
    if not 1 <= fewest <= most:
        raise CapacityError(
            f"min_replications must be at least 1 and at most replications ({most}); got {fewest}"
        )
    return most, fewest


def _more(n: int, most: int) -> int:
    """The next round's replications: twice as many, at most ``most``."""
    return min(2 * n, most)


#: the figures whose change per added rep the curve shows, with intervals
_ADDED = ["bookings", "opportunities"]


def headcount_curve(
    config: CapacityConfig,
    sizes: Iterable[int],
    *,
    stage: int = 0,
    replications: int | None = None,
    min_replications: int | None = None,
    rng: RngLike = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    within_hours: float | None = None,
    progress: bool = False,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Service level, utilisation and bookings against team size, with intervals.

    Every size runs the same replications' streams (``rng``: int, SeedSequence or
    Generator, default ``config.seed``, normalised once), so the arrivals, efforts and
    conversion draws are shared across sizes (common random numbers) and the
    differences between sizes are the team's effect. ``extra_bookings_per_rep`` and
    ``extra_opportunities_per_rep`` are what each rep added since the size before
    brings, with intervals (``_low``, ``_high``) from the replication-by-replication
    differences (paired: the same years at both sizes); they can be negative and are
    ``NaN`` at the first size. The service level is the share contacted within
    ``within_hours`` (default: the target's, else 1 hour).

    Replications are added where the value of the last rep is not yet clear: every
    size starts with ``min_replications`` (default :data:`START_REPLICATIONS`, at most
    ``replications``), and while the paired interval of a step's expected value per
    rep (its extra opportunities x ``win_rate`` x ``deal_size``, as
    :func:`marginal_value` reports it) holds the cost of a rep of the stage
    (:meth:`CapacityConfig.stage_cost`: its ``rep_cost``, else the configuration's),
    both sizes of the step get twice the replications, up to ``replications``
    (default ``config.replications``).
    ``replications`` and ``paired_replications`` (of the step from the size before)
    say how many years each row's figures are from: every year held for the size in
    ``cache`` counts (a :func:`smallest_team` run may have given it more than the
    curve would), and a step pairs the years its two sizes share.

    The years run where ``executor`` says (``None``/``"serial"``, ``"processes"``,
    ``"dask"`` or an executor you hold, with ``workers`` and ``scheduler``; see
    :func:`spm_sim.parallel.run_tasks`; ``workers > 1`` alone is a local pool); the
    numbers do not depend on it. ``progress`` shows a tqdm bar over the simulated
    years. ``cache`` (a dict, kept by the caller) holds every year's figures: a year
    run before with the same configuration and seed is not run again (the curve runs
    full years: it needs the bookings; it reuses the full years of a
    :func:`smallest_team` run with ``first_stage_only=False``).
    """
    root = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    most, fewest = _counts(replications, min_replications, config)
    sizes = sorted({int(n) for n in sizes})
    if not sizes:
        raise CapacityError("headcount_curve needs at least one team size; got none")
    configs = {n: config.with_reps(n, stage) for n in sizes}
    within = _within(config, within_hours)
    value = opportunity_value(config)
    cost = config.stage_cost(stage)  # the stage's own rep_cost, else the file's
    desc = f"{config.stages[stage].name} team sizes {sizes[0]}-{sizes[-1]}"
    with (
        progress_bar(progress, None, desc, "year") as bar,
        executor_for(where_to_run(executor, workers), workers=workers, scheduler=scheduler) as ex,
    ):
        years = _Years(root, within, False, cache, ex, workers, bar)
        # every year held at a size already (a search's, an earlier curve's) is used
        counts = {n: max(fewest, years.held(configs[n])) for n in sizes}
        while True:
            got = years.get([(configs[n], counts[n]) for n in sizes])
            figures = dict(zip(sizes, got, strict=True))
            grow = {}
            for a, b in zip(sizes, sizes[1:], strict=False):
                m = min(counts[a], counts[b])
                if m >= most:
                    continue
                gained = _gained(figures[a].iloc[:m], figures[b].iloc[:m], b - a)
                mean, half = mean_ci(gained["opportunities"].to_numpy(float) * value)
                low, high = mean - half, mean + half
                if not (low >= cost or high < cost):  # NaN: not clear
                    grow[a] = grow[b] = _more(m, most)
            if not grow:
                break
            for n, k in grow.items():
                counts[n] = max(counts[n], k)
    rows = []
    for i, n in enumerate(sizes):
        per = figures[n]
        row: dict = {"reps": int(n), "replications": len(per)}
        summ = summarise(per).set_index("figure")
        if i > 0:
            before = figures[sizes[i - 1]]
            m = min(len(per), len(before))
            # what the last reps added, replication by replication (the same streams,
            # so the pairs' difference is far steadier than two means apart)
            added = _gained(before.iloc[:m], per.iloc[:m], n - sizes[i - 1])
            # a change can be negative: its interval is not clipped at 0
            gained = summarise(added.rename(columns=lambda f: f"extra_{f}_per_rep"), clip=False)
            summ = pd.concat([summ, gained.set_index("figure")])
            row["paired_replications"] = m
        for fig in summ.index:
            row[fig] = summ.loc[fig, "mean"]
            row[f"{fig}_low"] = summ.loc[fig, "low"]
            row[f"{fig}_high"] = summ.loc[fig, "high"]
        rows.append(row)
    df = pd.DataFrame(rows).sort_values("reps").reset_index(drop=True)
    for f in _ADDED:  # none before the first size (and none at all with one size)
        for end in ("", "_low", "_high"):
            if f"extra_{f}_per_rep{end}" not in df:
                df[f"extra_{f}_per_rep{end}"] = np.nan
    if "paired_replications" not in df:
        df["paired_replications"] = np.nan
    df["rep_cost"] = cost
    df.attrs.update({"config": config.name, "stage": config.stages[stage].name})
    return df


def _gained(before: pd.DataFrame, after: pd.DataFrame, reps: int) -> pd.DataFrame:
    """Per replication, what each of ``reps`` reps added brought (bookings, opportunities)."""
    return (after[_ADDED] - before[_ADDED]) / reps


def smallest_team(
    config: CapacityConfig,
    target: ServiceTarget | None = None,
    *,
    stage: int = 0,
    replications: int | None = None,
    min_replications: int | None = None,
    rng: RngLike = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    max_reps: int = 2000,
    start: int | None = None,
    first_stage_only: bool | None = None,
    progress: bool = False,
    cache: dict | None = None,
) -> dict:
    """The smallest number of reps at ``stage`` that meets ``target``.

    A size meets the target when its confidence interval across replications is on
    the safe side (the lower bound of the share contacted in time at or above the
    target, the upper bound of utilisation at or below the cap; see
    :func:`target_verdict`). Each size starts with ``min_replications`` (default
    :data:`START_REPLICATIONS`, at most ``replications``) and, while its interval
    still holds the target, gets twice as many, up to ``replications`` (default
    ``config.replications``): sizes far from the answer are settled by a few years,
    the sizes either side of it by as many as it takes. A size still unclear at
    ``replications`` is judged on its mean and listed in ``unclear``, so the answer
    does not depend on how few years happened to be run.

    Without ``start`` the search of the first stage starts at the offered load (the
    fewest reps that can keep up at all), doubles until the target holds, then
    bisects; at a later stage the closed-form load (every lead reaching the stage) is
    more than reaches it, so it is only the ``start``. With ``start`` (a
    guess: the team today, or an earlier answer scaled to a new lead volume) it tries
    the guess, steps away from it by 1, 2, 4, ... reps until the answer is
    bracketed, then bisects: a good guess needs two or three sizes. Every size runs
    on the same streams (``rng``: int, SeedSequence or Generator, default
    ``config.seed``, normalised once).

    When sizing the first stage (``stage=0``) of a funnel of several stages, only
    the first stage is simulated by default (``first_stage_only=None``): every
    figure of the target is measured there, the later stages cannot change it, and
    the numbers drawn are those of the full run, so the answer is the same at a
    fraction of the time. ``tried`` then holds the first stage's figures only: no
    ``opportunities``, ``lost_to_decay``, ``bookings`` nor later stages' utilisation.
    ``first_stage_only=False`` runs full years instead, which a
    :func:`headcount_curve` sharing ``cache`` then reuses (``spm-sim headcount``
    does this: most of the searched sizes are on its curve).

    The years run where ``executor`` says (as :func:`headcount_curve`); the answer
    does not depend on it. ``progress`` shows a tqdm bar over the simulated years
    (its total grows as the search goes on). ``cache`` (a dict kept by the caller)
    holds every year's figures, so a second search over the same configuration runs
    only the years not seen yet, and a size is judged on every year held for it (at
    least ``min_replications``): after a :func:`headcount_curve` sharing ``cache``
    has added years to a size, searching again from the answer judges it on the
    curve's years.

    Returns
    -------
    dict
        ``reps`` (the answer), ``tried`` (every size run, a figure per column: the
        means), ``tried_intervals`` (the same in long form with ``low``, ``high``
        and ``replications``), ``replications`` (a Series: the years run at each
        size), ``met`` (a Series: whether each size tried meets the target),
        ``unclear`` (the sizes whose interval still held the target at
        ``replications``, judged on their mean), ``offered_load`` (reps busy on
        average with the work that reaches the stage: fewer cannot keep up; at the
        first stage the closed form leads x ``effort_hours`` / ``selling_share`` /
        hours, at a later stage ``arrived`` x ``effort_hours`` / ``selling_share`` /
        hours), ``offered_load_bound`` (the closed form with the earlier stages'
        conversions: the load if every lead passed them at once, more than the
        simulated one when leads wait there; the same as ``offered_load`` at the
        first stage), ``arrived`` (at a later stage, the mean leads a year that
        reached it, over the ``offered_load_years`` distinct simulated years of the
        search; ``NaN`` and 0 at the first stage).
    """
    rng = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    target = target if target is not None else config.target
    if target is None:
        raise CapacityError(
            "smallest_team needs a service target: give target (e.g. ServiceTarget("
            "within_hours=1, share=0.9)) or set 'target' in the configuration."
        )
    if stage > 0 and target.within_hours is not None:
        raise CapacityError(
            f"the response-time target (within {target.within_hours:g} h) is measured at the "
            f"first stage ({config.stages[0].name!r}); reps at stage "
            f"{config.stages[stage].name!r} cannot change it. Search that stage with a "
            "utilisation cap (max_utilisation) only."
        )
    most, fewest = _counts(replications, min_replications, config)
    st = config.stages[stage]
    bound = _offered_load(config, stage)
    tried: dict[int, pd.DataFrame] = {}
    rows: dict[int, pd.DataFrame] = {}  # each size's years, one row a year
    verdicts: dict[int, tuple[bool, bool]] = {}
    # a later stage cannot change the first stage's figures: size it on its own
    auto = stage == 0 and len(config.stages) > 1
    first_only = auto if first_stage_only is None else bool(first_stage_only) and auto
    within = _within(config, target.within_hours)

    with (
        progress_bar(progress, None, f"searching the {st.name} team", "year") as bar,
        executor_for(where_to_run(executor, workers), workers=workers, scheduler=scheduler) as ex,
    ):
        years = _Years(rng, within, first_only, cache, ex, workers, bar)

        def ok(n: int) -> bool:
            if n not in tried:
                bar.set_postfix_str(f"{n} reps")
                sized = config.with_reps(n, stage)
                k = max(fewest, years.held(sized))  # every year held already is used
                while True:
                    per = years.get([(sized, k)])[0]
                    summ = summarise(per, name=config.name)
                    met, clear = target_verdict(summ, target, sized, stage)
                    if clear or k >= most:
                        break
                    k = _more(k, most)
                tried[n], verdicts[n] = summ.assign(replications=len(per)), (met, clear)
                rows[n] = per
            return verdicts[n][0]

        if start is None and stage > 0:
            # the closed form assumes every lead reaches the stage: a guess, not a floor
            start = max(1, math.ceil(bound))
        answer = _search(ok, bound, start, max_reps, _too_many(max_reps, st.name, target))
    load, arrived, load_years = bound, math.nan, 0
    if stage > 0:  # the work that reached the stage in the simulated years
        reached = pd.concat(rows.values())[f"arrived_{st.name}"]
        per_year = reached.groupby(level=0).first()  # the same at every size, year by year
        arrived, load_years = float(per_year.mean()), len(per_year)
        load = arrived * st.effort_hours / st.selling_share / calendar(config).hours
    long = pd.concat([t.assign(reps=n) for n, t in sorted(tried.items())], ignore_index=True)
    frame = long.pivot(index="reps", columns="figure", values="mean")
    counts = long.groupby("reps")["replications"].first().astype(int)
    unclear = sorted(n for n, (_, clear) in verdicts.items() if not clear)
    met = pd.Series({n: v[0] for n, v in sorted(verdicts.items())}, name="met", dtype=bool)
    met.index.name = "reps"
    return {
        "reps": answer,
        "tried": frame,
        "tried_intervals": long,
        "replications": counts,
        "met": met,
        "unclear": unclear,
        "offered_load": load,
        "offered_load_bound": bound,
        "arrived": arrived,
        "offered_load_years": load_years,
    }


def _too_many(max_reps: int, stage: str, target: ServiceTarget) -> Callable[[], CapacityError]:
    def error() -> CapacityError:
        return CapacityError(
            f"no team of up to {max_reps} reps at stage {stage!r} meets the target "
            f"{target.model_dump(exclude_none=True)}; check the effort, selling_share and "
            "lead volume, or loosen the target."
        )

    return error


def _search(
    ok: Callable[[int], bool],
    load: float,
    start: int | None,
    max_reps: int,
    too_many: Callable[[], CapacityError],
) -> int:
    """Bracket and bisect the smallest size ``ok`` accepts: the size that meets it
    with the size below not meeting it (or no size below)."""
    if start is None:
        lo = max(1, math.floor(load))  # fewer reps than the load cannot keep up
        hi = max(lo, math.ceil(load) + 1)
        while not ok(hi):
            lo, hi = hi, hi * 2
            if hi > max_reps:
                raise too_many()
    else:
        guess = min(max(int(start), 1), max_reps)
        step = 1
        if ok(guess):  # step down until a size fails (or none is left)
            hi = guess
            while hi - step >= 1 and ok(hi - step):
                hi -= step
                step *= 2
            lo = max(hi - step, 0)
        else:  # step up until a size meets it
            lo = guess
            while not ok(min(lo + step, max_reps)):
                if lo + step >= max_reps:
                    raise too_many()
                lo += step
                step *= 2
            hi = min(lo + step, max_reps)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    if start is None and lo >= 1 and ok(lo):  # the load itself may already meet it
        hi = lo
    return hi


def opportunity_value(config: CapacityConfig) -> float:
    """Expected bookings of an opportunity: the win rate x the mean deal size, the win
    rate being the mean of the last stage's seats' rates (the team's without
    ``seat_win_rates``).

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 10}],
    ...                      stages=[{"name": "AE", "reps": 2, "effort_hours": 1}],
    ...                      opportunity={"win_rate": 0.2, "deal_size": 10_000,
    ...                                   "seat_win_rates": [0.3, 0.1]})
    >>> round(opportunity_value(cfg))
    2000
    """
    o = config.opportunity
    rate, _ = o.seat_rates(np.arange(config.stages[-1].reps))
    return float(rate.mean()) * o.deal_size


def _offered_load(config: CapacityConfig, stage: int) -> float:
    """Reps busy on average at ``stage`` in closed form: its leads an hour times the hours
    each takes, the leads being every lead times the earlier stages' conversions (as if
    none waited there; the simulated ones are fewer, see :func:`_year_figures`)."""
    st = config.stages[stage]
    lam = sum(s.leads_per_year for s in config.segments) / calendar(config).hours
    for before in config.stages[:stage]:
        lam *= before.conversion
    return lam * st.effort_hours / st.selling_share


def start_guess(known: CapacityConfig, reps: int, config: CapacityConfig, *, stage: int = 0) -> int:
    """A start for :func:`smallest_team` on ``config``, from the answer ``reps`` for ``known``.

    Square-root staffing: a team that meets a service target is the offered load
    ``R`` (reps busy on average) plus a safety margin that grows as ``sqrt(R)``. The
    known answer gives the margin's factor ``beta = (reps - R) / sqrt(R)``, and the
    guess for the new load ``R'`` is ``R' + beta sqrt(R')``, rounded. It carries an
    answer to another lead volume, effort or selling share of the same target; the
    search then needs two sizes when the guess is right.

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 20000}],
    ...                      stages=[{"name": "SDR", "reps": 10, "effort_hours": 0.5}])
    >>> [start_guess(cfg, 12, cfg.scaled(m)) for m in (1.0, 1.5, 0.5)]
    [12, 17, 7]
    """
    load, new = _offered_load(known, stage), _offered_load(config, stage)
    if load <= 0:
        return max(1, int(reps))
    beta = (int(reps) - load) / math.sqrt(load)
    return max(1, math.ceil(new), round(new + beta * math.sqrt(new)))


def marginal_value(curve: pd.DataFrame, config: CapacityConfig) -> pd.DataFrame:
    """Add what each added rep brings in opportunities and their expected bookings.

    Parameters
    ----------
    curve : DataFrame
        From :func:`spm_sim.capacity.headcount_curve` (columns ``reps``,
        ``opportunities``).
    config : CapacityConfig
        Its ``opportunity`` gives the win rate and the mean deal size.

    Returns
    -------
    DataFrame
        ``curve`` with ``extra_opportunities_per_rep`` (the change in opportunities
        per rep added since the size before: the curve's own, paired year by year,
        when it has it, else from the means) and ``expected_value_per_rep`` (those
        opportunities times ``win_rate x deal_size``: bookings whenever they close,
        in the year or after); ``NaN`` in the first row. With the curve's intervals
        of the added opportunities (``extra_opportunities_per_rep_low`` and
        ``_high``, as :func:`headcount_curve` gives), ``expected_value_per_rep_low``
        and ``_high`` too.

    Notes
    -----
    ``extra_bookings_per_rep`` counts only deals closed in the year and carries the
    noise of the win and deal-size draws; the opportunities come before both, so
    their expected value moves more steadily with the team size.

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 10}],
    ...                      stages=[{"name": "AE", "reps": 1, "effort_hours": 1}],
    ...                      opportunity={"win_rate": 0.25, "deal_size": 20_000})
    >>> curve = pd.DataFrame({"reps": [2, 3, 5], "opportunities": [100.0, 120.0, 130.0]})
    >>> marginal_value(curve, cfg)["expected_value_per_rep"].tolist()
    [nan, 100000.0, 25000.0]
    """
    out = curve.copy()
    if "extra_opportunities_per_rep" not in out:
        # a curve of means only; headcount_curve's own column is the paired mean, year by
        # year on the years two sizes share (the same when every size ran the same years)
        out["extra_opportunities_per_rep"] = out["opportunities"].diff() / out["reps"].diff()
    value = opportunity_value(config)
    out["expected_value_per_rep"] = out["extra_opportunities_per_rep"] * value
    for end in ("_low", "_high"):  # the curve's paired intervals, when it has them
        if f"extra_opportunities_per_rep{end}" in out:
            out[f"expected_value_per_rep{end}"] = out[f"extra_opportunities_per_rep{end}"] * value
    return out
