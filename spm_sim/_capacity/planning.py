"""Staffing a capacity model: whether a service target holds, the smallest team that
meets it, the curve of figures against team size, and what each added rep brings.

A private module of :mod:`spm_sim.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from spm_sim.errors import CapacityError
from spm_sim.random import RngLike, seed_sequence

from .model import (
    LATER_FIGURES,
    CapacityConfig,
    ServiceTarget,
    calendar,
    figures_many,
    progress_bar,
    summarise,
)

__all__ = [
    "meets_target",
    "headcount_curve",
    "smallest_team",
    "marginal_value",
    "start_guess",
]


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


def _key(
    config: CapacityConfig,
    replications: int,
    root: np.random.SeedSequence,
    within: float,
    first_only: bool,
) -> tuple:
    spawn = tuple(int(k) for k in root.spawn_key)
    return (config.model_dump_json(), replications, str(root.entropy), spawn, within, first_only)


def _first_stage_part(per: pd.DataFrame, config: CapacityConfig) -> pd.DataFrame:
    """A full run's figures cut to those a first-stage-only run has (the same numbers)."""
    later = [f"utilisation_{s.name}" for s in config.stages[1:]]
    return per.drop(columns=[*LATER_FIGURES, *later])


def _figures(
    configs: list[CapacityConfig],
    replications: int,
    root: np.random.SeedSequence,
    *,
    workers: int,
    within: float | None,
    first_only: bool,
    cache: dict | None,
    bar,
) -> list[pd.DataFrame]:
    """Each configuration's figures, one row a replication, from ``cache`` or run.

    ``cache`` holds the figures by configuration, replications, seed, window and
    whether the run was first-stage-only. A first-stage-only request is also met by a
    full run of the same size (its first stage is the same simulation). The sizes not
    in the cache run together in one pool.
    """
    cache = {} if cache is None else cache
    if within is None:  # the window the figures take by default, so the keys agree
        target = configs[0].target if configs else None
        within = target.within_hours if target and target.within_hours is not None else 1.0

    def cached(c: CapacityConfig) -> pd.DataFrame | None:
        mine = cache.get(_key(c, replications, root, within, first_only))
        if mine is None and first_only:
            full = cache.get(_key(c, replications, root, within, False))
            mine = None if full is None else _first_stage_part(full, c)
        return mine

    todo = list(
        {
            _key(c, replications, root, within, first_only): c for c in configs if cached(c) is None
        }.values()
    )
    if todo:
        runs = figures_many(
            todo,
            replications,
            root,
            workers=workers,
            first_stage_only=first_only,
            within_hours=within,
            tick=bar.update,
        )
        for c, per in zip(todo, runs, strict=True):
            cache[_key(c, replications, root, within, first_only)] = per
    else:
        bar.update(0)
    out = []
    for c in configs:
        per = cached(c)
        assert per is not None  # run above when it was not cached
        out.append(per)
    return out


#: the figures whose change per added rep the curve shows, with intervals
_ADDED = ["bookings", "opportunities"]


def headcount_curve(
    config: CapacityConfig,
    sizes: Iterable[int],
    *,
    stage: int = 0,
    replications: int | None = None,
    rng: RngLike = None,
    workers: int = 1,
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
    brings, against ``rep_cost``, with intervals (``_low``, ``_high``) from the
    replication-by-replication differences; they can be negative (noise) and are
    ``NaN`` at the first size. The service
    level is the share contacted within ``within_hours`` (default: the target's,
    else 1 hour).

    All sizes' replications share one process pool of ``workers``. ``progress``
    shows a tqdm bar over the simulated years. ``cache`` (a dict, kept by the caller)
    holds each size's figures: a size run before with the same configuration,
    replications and seed is not run again (the curve runs full years: it needs the
    bookings, so it cannot reuse the first-stage-only runs of :func:`smallest_team`;
    the search can reuse the curve's).
    """
    rng = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    n_rep = int(config.replications if replications is None else replications)
    sizes = sorted({int(n) for n in sizes})
    configs = [config.with_reps(n, stage) for n in sizes]
    desc = f"{config.stages[stage].name} team sizes {sizes[0]}-{sizes[-1]}"
    with progress_bar(progress, len(sizes) * n_rep, desc, "year") as bar:
        figures = _figures(
            configs,
            n_rep,
            rng,
            workers=workers,
            within=within_hours,
            first_only=False,
            cache=cache,
            bar=bar,
        )
    rows = []
    for i, (n, per) in enumerate(zip(sizes, figures, strict=True)):
        row: dict = {"reps": int(n)}
        summ = summarise(per).set_index("figure")
        if i > 0:
            # what the last reps added, replication by replication (the same streams,
            # so the pairs' difference is far steadier than two means apart)
            added = (per[_ADDED] - figures[i - 1][_ADDED]) / (n - sizes[i - 1])
            # a change can be negative: its interval is not clipped at 0
            gained = summarise(added.rename(columns=lambda f: f"extra_{f}_per_rep"), clip=False)
            summ = pd.concat([summ, gained.set_index("figure")])
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
    df["rep_cost"] = config.rep_cost
    df.attrs.update({"config": config.name, "stage": config.stages[stage].name})
    return df


def smallest_team(
    config: CapacityConfig,
    target: ServiceTarget | None = None,
    *,
    stage: int = 0,
    replications: int | None = None,
    rng: RngLike = None,
    workers: int = 1,
    max_reps: int = 2000,
    start: int | None = None,
    progress: bool = False,
    cache: dict | None = None,
) -> dict:
    """The smallest number of reps at ``stage`` that meets ``target``.

    The target holds when its confidence interval across replications is on the
    safe side (the lower bound of the share contacted in time at or above the
    target, the upper bound of utilisation at or below the cap). Without ``start``
    the search starts at the offered load (the fewest reps that can keep up at all),
    doubles until the target holds, then bisects. With ``start`` (a guess: an
    earlier answer, scaled to a new lead volume) it tries the guess, steps away from
    it by 1, 2, 4, ... reps until the answer is bracketed, then bisects: a good guess
    needs two or three sizes. Every size runs on the same streams (``rng``: int,
    SeedSequence or Generator, default ``config.seed``, normalised once).

    When sizing the first stage (``stage=0``) of a funnel of several stages, only
    the first stage is simulated: every figure of the target is measured there, the
    later stages cannot change it, and the numbers drawn are those of the full run,
    so the answer is the same at a fraction of the time. ``tried`` then holds the
    first stage's figures only: no ``opportunities``, ``lost_to_decay``,
    ``bookings`` nor later stages' utilisation (with one stage, all of them).

    ``progress`` shows a tqdm bar over the simulated years (its total grows as the
    search goes on). ``cache`` (a dict kept by the caller) holds each size's figures,
    so a second search over the same configuration runs only the sizes not seen yet;
    a size :func:`headcount_curve` ran with the same cache is not run again either.

    Returns
    -------
    dict
        ``reps`` (the answer), ``tried`` (every size run, a figure per column: the
        means), ``tried_intervals`` (the same in long form with ``low`` and
        ``high``), ``offered_load`` (reps busy on average).
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
    n_rep = int(config.replications if replications is None else replications)
    st = config.stages[stage]
    cal = calendar(config)
    leads = sum(s.leads_per_year for s in config.segments)
    # leads reaching this stage: the earlier stages' conversion without waiting
    for earlier in config.stages[:stage]:
        leads *= earlier.conversion
    load = leads / cal.hours * st.effort_hours / st.selling_share
    tried: dict[int, pd.DataFrame] = {}
    # a later stage cannot change the first stage's figures: size it on its own
    first_only = stage == 0 and len(config.stages) > 1

    with progress_bar(progress, None, f"searching the {st.name} team", "year") as bar:

        def ok(n: int) -> bool:
            if n not in tried:
                bar.set_postfix_str(f"{n} reps")
                per = _figures(
                    [config.with_reps(n, stage)],
                    n_rep,
                    rng,
                    workers=workers,
                    within=target.within_hours,
                    first_only=first_only,
                    cache=cache,
                    bar=bar,
                )[0]
                tried[n] = summarise(per, name=config.name)
            return meets_target(tried[n], target, config.with_reps(n, stage), stage)

        def too_many() -> CapacityError:
            return CapacityError(
                f"no team of up to {max_reps} reps at stage {st.name!r} meets the target "
                f"{target.model_dump(exclude_none=True)}; check the effort, selling_share and "
                "lead volume, or loosen the target."
            )

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
    long = pd.concat([t.assign(reps=n) for n, t in sorted(tried.items())], ignore_index=True)
    frame = long.pivot(index="reps", columns="figure", values="mean")
    return {"reps": hi, "tried": frame, "tried_intervals": long, "offered_load": load}


def _offered_load(config: CapacityConfig, stage: int) -> float:
    """Reps busy on average at ``stage``: its leads an hour times the hours each takes."""
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
        per rep added since the size before) and ``expected_value_per_rep`` (those
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
    o = config.opportunity
    out = curve.copy()
    out["extra_opportunities_per_rep"] = out["opportunities"].diff() / out["reps"].diff()
    value = o.win_rate * o.deal_size
    out["expected_value_per_rep"] = out["extra_opportunities_per_rep"] * value
    for end in ("_low", "_high"):  # the curve's paired intervals, when it has them
        if f"extra_opportunities_per_rep{end}" in out:
            out[f"expected_value_per_rep{end}"] = out[f"extra_opportunities_per_rep{end}"] * value
    return out
