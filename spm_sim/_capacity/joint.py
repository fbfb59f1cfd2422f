"""The joint answer: several stages' team sizes together, on common random numbers.

Sizing one stage at a time misses how the stages share the leads: SDRs that contact
leads sooner pass more of them to the AEs, whose queue then grows. :func:`team_grid`
runs every combination of the sizes asked (e.g. SDRs 12-18 by AEs 80-100) on the
same simulated years (replication ``r`` of every cell draws the same leads, efforts
and outcomes), and gives for each cell the service level, the opportunities and
their expected bookings, the bookings closed in the year, the team's cost, which
stage binds and what waiting costs at each stage; the change against the team in
the configuration is paired year by year. :func:`joint_answer` reads off the
cheapest cell that meets the service target and the cell whose expected bookings
less its cost gains most over today's team.

A private module of :mod:`spm_sim.capacity`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from spm_sim.errors import CapacityError
from spm_sim.parallel import ExecutorLike, executor_for
from spm_sim.random import RngLike, seed_sequence

from .binding import binding_stages
from .model import CapacityConfig, ServiceTarget, progress_bar, summarise, where_to_run
from .planning import _counts, _within, _Years, opportunity_value, target_verdict
from .queueing import mean_ci

__all__ = ["team_grid", "joint_answer"]

#: Cells a grid may hold (each runs its simulated years).
MAX_CELLS = 400


def _sizes(config: CapacityConfig, sizes: Mapping[str, Iterable[int]]) -> dict[int, list[int]]:
    """The stage index and its sorted sizes for every stage named in ``sizes``."""
    names = [s.name for s in config.stages]
    out: dict[int, list[int]] = {}
    for name, values in sizes.items():
        if name not in names:
            raise CapacityError(
                f"team_grid: no stage {name!r} in {config.name!r}; its stages are "
                f"{', '.join(names)}"
            )
        try:
            got = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise CapacityError(
                f"team_grid: the sizes of stage {name!r} must be whole numbers; got {values!r}"
            ) from None
        if not got or got[0] < 1:
            raise CapacityError(
                f"team_grid: stage {name!r} needs at least one size, each at least 1 rep; got {got}"
            )
        out[names.index(name)] = got
    if not out:
        raise CapacityError(
            "team_grid: give the sizes of at least one stage, e.g. {'AE': [80, 90]}"
        )
    cells = int(np.prod([len(v) for v in out.values()]))
    if cells > MAX_CELLS:
        raise CapacityError(
            f"team_grid: {cells:,} combinations of sizes is more than {MAX_CELLS}; "
            "give fewer sizes per stage"
        )
    return out


def team_grid(
    config: CapacityConfig,
    sizes: Mapping[str, Iterable[int]],
    *,
    replications: int | None = None,
    rng: RngLike = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    within_hours: float | None = None,
    target: ServiceTarget | None = None,
    progress: bool = False,
    cache: dict | None = None,
) -> pd.DataFrame:
    """Every combination of the stages' team sizes, on the same simulated years.

    Parameters
    ----------
    config : CapacityConfig
        The funnel; its own team (``reps`` of each stage) is the base the changes are
        measured from, and is added to the grid when not in it.
    sizes : mapping of stage name to iterable of int
        The sizes to try at each stage named (e.g. ``{"SDR": [12, 14, 16], "AE":
        [80, 90, 100]}``); the other stages keep their ``reps``. At most
        :data:`MAX_CELLS` combinations.
    replications : int, optional
        Simulated years per cell (default ``config.replications``).
    rng : int, SeedSequence or Generator, optional
        The run's root (default ``config.seed``); every cell runs the same years.
    executor, workers, scheduler
        Where the years run (see :func:`spm_sim.parallel.run_tasks`); the numbers do
        not depend on it.
    within_hours : float, optional
        Response time of the service figure (default: the target's, else 1 h).
    target : ServiceTarget, optional
        The service target ``meets_target`` judges (default ``config.target``;
        without one every cell meets it). Its share is read in its own window
        (``within_hours``, unless ``within_hours`` is given); its utilisation cap
        applies to every stage named in ``sizes``.
    progress : bool
        A tqdm bar over the simulated years.
    cache : dict, optional
        Years held between calls (shared with :func:`~spm_sim.capacity.smallest_team`
        and :func:`~spm_sim.capacity.headcount_curve` run with full years).

    Returns
    -------
    DataFrame
        One row per cell: ``reps_<stage>`` for every stage, ``team_cost`` (the reps
        times each stage's cost, :meth:`CapacityConfig.stage_cost`), the service
        share (``share_within_<h>h``), ``utilisation_<stage>``, ``opportunities``,
        ``expected_value`` (opportunities x win rate x mean deal: bookings whenever
        they close) and ``bookings`` (closed in the year), each with ``_low`` and
        ``_high``; per stage ``mean_wait_hours_<s>``, ``share_lost_<s>`` and
        ``bookings_lost_<s>`` (means); ``binding`` (the stage that binds,
        :func:`~spm_sim.capacity.binding_stages`: ``"AE"``, ``"AE or SDR"`` when the
        two losing most cannot be told apart year by year, or ``""``); ``meets_target`` and
        ``target_clear`` (:func:`~spm_sim.capacity.target_verdict`); ``base``
        (the configuration's own team); ``value_vs_base`` with ``_low`` / ``_high``
        (expected value less the base's, paired year by year), ``cost_vs_base``
        and ``net_vs_base`` with ``_low`` / ``_high`` (the value change less the
        cost change). ``attrs``: ``replications``, ``stages`` (the sized ones).

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig, team_grid
    >>> cfg = CapacityConfig(name="funnel", segments=[{"name": "web", "leads_per_year": 2000}],
    ...     stages=[{"name": "SDR", "reps": 2, "effort_hours": 0.5, "conversion": 0.5,
    ...              "decay_half_life_hours": 8},
    ...             {"name": "AE", "reps": 1, "effort_hours": 2, "conversion": 0.5,
    ...              "decay_half_life_hours": 8}], replications=2)
    >>> grid = team_grid(cfg, {"AE": [1, 2]}, rng=0)
    >>> grid[["reps_SDR", "reps_AE", "binding"]].to_dict("list")
    {'reps_SDR': [2, 2], 'reps_AE': [1, 2], 'binding': ['AE', 'AE']}
    """
    root = seed_sequence(rng, default=config.seed)  # once: a Generator would move on
    most, _ = _counts(replications, None, config)
    wanted = _sizes(config, sizes)
    target = target if target is not None else config.target
    if within_hours is None and target is not None and target.within_hours is not None:
        within_hours = target.within_hours  # the figure the target is judged on
    within = _within(config, within_hours)
    if target is not None and target.within_hours not in (None, within):
        raise CapacityError(
            f"team_grid: within_hours={within:g} but the target counts leads contacted within "
            f"{target.within_hours:g} h; give the same window (or leave within_hours out)"
        )
    base_team = tuple(s.reps for s in config.stages)
    teams: list[tuple[int, ...]] = []
    for combo in itertools.product(*wanted.values()):
        sized = list(base_team)
        for k, n in zip(wanted, combo, strict=True):
            sized[k] = n
        teams.append(tuple(sized))
    if base_team not in teams:
        teams.append(base_team)
    configs: dict[tuple[int, ...], CapacityConfig] = {}
    for team in teams:
        c = config
        for k, n in enumerate(team):
            if n != c.stages[k].reps:
                c = c.with_reps(n, k)
        configs[team] = c
    with (
        progress_bar(progress, None, f"{config.name}: team grid", "year") as bar,
        executor_for(where_to_run(executor, workers), workers=workers, scheduler=scheduler) as ex,
    ):
        years = _Years(root, within, False, cache, ex, workers, bar)
        got = years.get([(configs[t], most) for t in teams])
    figures = dict(zip(teams, got, strict=True))
    base = figures[base_team]
    judged = list(wanted)
    rows = [_cell(config, configs[t], t, figures[t], base, target, within, judged) for t in teams]
    grid = pd.DataFrame(rows)
    names = [f"reps_{s.name}" for s in config.stages]
    grid = grid.sort_values(names, kind="stable").reset_index(drop=True)
    grid.attrs.update(
        {
            "replications": most,
            "stages": [config.stages[k].name for k in wanted],
            "config": config.name,
        }
    )
    return grid


def _paired(after: np.ndarray, before: np.ndarray) -> tuple[float, float, float]:
    mean, half = mean_ci(after - before)
    return float(mean), float(mean - half), float(mean + half)


def _cell(
    config: CapacityConfig,
    cell: CapacityConfig,
    team: tuple[int, ...],
    per: pd.DataFrame,
    base: pd.DataFrame,
    target: ServiceTarget | None,
    within: float,
    judged: list[int],
) -> dict:
    value = opportunity_value(cell)
    per = per.assign(expected_value=per["opportunities"] * value)
    base = base.assign(expected_value=base["opportunities"] * opportunity_value(config))
    summ = summarise(per, name=config.name).set_index("figure")
    row: dict = {f"reps_{s.name}": n for s, n in zip(config.stages, team, strict=True)}
    cost = sum(n * cell.stage_cost(k) for k, n in enumerate(team))
    base_cost = sum(s.reps * config.stage_cost(k) for k, s in enumerate(config.stages))
    row["team_cost"] = cost
    row["replications"] = len(per)
    share = f"share_within_{within:g}h"
    for fig in (share, "opportunities", "expected_value", "bookings"):
        row[fig] = summ.loc[fig, "mean"]
        row[f"{fig}_low"] = summ.loc[fig, "low"]
        row[f"{fig}_high"] = summ.loc[fig, "high"]
    for s in config.stages:
        row[f"utilisation_{s.name}"] = summ.loc[f"utilisation_{s.name}", "mean"]
    means = []
    for s in config.stages:
        for fig in ("mean_wait_hours", "share_lost", "bookings_lost"):
            row[f"{fig}_{s.name}"] = summ.loc[f"{fig}_{s.name}", "mean"]
        means.append(
            {
                "stage": s.name,
                "share_lost": row[f"share_lost_{s.name}"],
                "bookings_lost": row[f"bookings_lost_{s.name}"],
            }
        )
    # paired year by year: two stages whose losses noise cannot tell apart are both named
    row["binding"] = " or ".join(binding_stages(pd.DataFrame(means), per=per))
    if target is None:
        row["meets_target"], row["target_clear"] = True, True
    else:
        row["meets_target"], row["target_clear"] = _verdict(summ, target, cell, judged)
    m = min(len(per), len(base))
    after = per["expected_value"].to_numpy(float)[:m]
    before = base["expected_value"].to_numpy(float)[:m]
    row["base"] = team == tuple(s.reps for s in config.stages)
    mean, low, high = _paired(after, before)
    row["value_vs_base"], row["value_vs_base_low"], row["value_vs_base_high"] = mean, low, high
    row["cost_vs_base"] = cost - base_cost
    net = (mean - (cost - base_cost), low - (cost - base_cost), high - (cost - base_cost))
    row["net_vs_base"], row["net_vs_base_low"], row["net_vs_base_high"] = net
    return row


def _verdict(
    summ: pd.DataFrame, target: ServiceTarget, cell: CapacityConfig, judged: list[int]
) -> tuple[bool, bool]:
    """The target's verdict with its utilisation cap applied to every stage sized
    (``judged``): met when every stage meets it, clearly missed when one clearly misses."""
    verdicts = [target_verdict(summ.reset_index(), target, cell, k) for k in judged]
    if any(not met and clear for met, clear in verdicts):
        return False, True
    return all(met for met, _ in verdicts), all(clear for _, clear in verdicts)


def joint_answer(grid: pd.DataFrame) -> dict:
    """What a planner reads off a :func:`team_grid`: the cheapest team meeting the
    target and the team whose expected bookings less its cost gain most.

    Returns
    -------
    dict
        ``cheapest`` (the row of the cheapest cell meeting the service target, the
        higher expected value first among equal costs; ``None`` when no cell meets
        it), ``best`` (the row with the largest ``net_vs_base`` among the cells
        meeting the target, or among all cells when none does), ``base`` (the
        configuration's own team) and ``clear`` (whether ``best``'s net gain over the
        base has its 95% interval above 0: a team worth moving to, not noise).

    Examples
    --------
    >>> grid = pd.DataFrame({"reps_SDR": [12, 14, 14], "reps_AE": [80, 80, 90],
    ...     "team_cost": [1.0, 2.0, 3.0], "meets_target": [False, True, True],
    ...     "expected_value": [5.0, 6.0, 9.0], "net_vs_base": [0.0, 0.5, 2.0],
    ...     "net_vs_base_low": [0.0, -0.1, 1.0], "base": [True, False, False]})
    >>> ans = joint_answer(grid)
    >>> int(ans["cheapest"]["reps_SDR"]), int(ans["best"]["reps_AE"]), ans["clear"]
    (14, 90, True)
    """
    meets = grid[grid["meets_target"]]
    cheapest = None
    if not meets.empty:
        order = meets.sort_values(["team_cost", "expected_value"], ascending=[True, False])
        cheapest = order.iloc[0]
    pool = meets if not meets.empty else grid
    best = pool.loc[pool["net_vs_base"].idxmax()]
    base = grid[grid["base"]].iloc[0]
    clear = bool(best["net_vs_base_low"] > 0) and not bool(best["base"])
    return {"cheapest": cheapest, "best": best, "base": base, "clear": clear}
