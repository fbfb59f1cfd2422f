"""``sweep``: many variants of one scenario on common random numbers, in one tidy frame;
and ``frontier``: which of them no other beats on cost and on benefit at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._provenance import package_version
from spm_sim._spec import whole_count
from spm_sim.book import Book, load_book_ref
from spm_sim.errors import SpecError, SpmSimError
from spm_sim.metrics import Interval
from spm_sim.parallel import ExecutorLike, executor_for, executor_name
from spm_sim.random import RngLike, seed_sequence
from spm_sim.scenario import Scenario
from spm_sim.simulate import resolve_engines

from .engine import CHUNK_SIZE, TASKS_PER_WORKER, Runner, executor_workers, run_shared
from .grid import BASE, Variant, kind, labels, variants
from .paths import _as_number, get_param, parse_path, set_params
from .table import SWEEP_METRICS, batch_rows, check_metrics

#: Fields every variant shares with the base: a sweep runs on one seed and one book.
_FIXED = {
    "seed": "every variant runs on the base's seed (common random numbers); pass rng= or "
    "change the base scenario's seed",
    "book": "every variant runs on the base's book; sweep another book from a scenario of its own",
}

#: The most characters of a variant's name in its scenario (a scenario's own limit).
_NAME_CHARS = 200


def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise SpecError(
            f"level must be a confidence level between 0 and 1 (0.95 = 95%), got {level!r}."
        )
    return float(level)


def _check_boot(n_boot: Any) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 100:
        raise SpecError(f"n_boot must be a whole number of at least 100 resamples, got {n_boot!r}.")
    return int(n_boot)


def build(base: Scenario, found: list[Variant]) -> list[Scenario]:
    """The base and each variant as a scenario (named by the variant), validated."""
    out = [base]
    for v in found:
        for path in v.changes:
            head = parse_path(path)[0][1]
            if head in _FIXED:
                raise SpecError(
                    f"variant {v.name!r}: {path} cannot vary in a sweep: {_FIXED[head]}."
                )
        try:
            out.append(set_params(base, v.changes, name=v.name[:_NAME_CHARS]))
        except SpecError as exc:
            raise type(exc)(f"variant {v.name!r}: {exc}") from None
    return out


def _readable(scenario: Scenario, path: str) -> Any:
    try:
        value = get_param(scenario, path)
    except SpecError:
        return None
    return _cell(value)


def _cell(value: Any) -> Any:
    value = _as_number(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "model_dump"):
        return str(value.model_dump(mode="json"))
    return str(value)


def sweep(
    base: Scenario,
    changes: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    metrics: Sequence[str] | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> pd.DataFrame:
    """Run variants of a scenario on common random numbers: one tidy frame of figures.

    Parameters
    ----------
    base : Scenario
        The scenario every variant changes; its row is named ``"base"``.
    changes : mapping or sequence of mappings
        What varies, by parameter path (:func:`get_param`): a grid (path -> list of
        values, or a range ``{"from": a, "to": b, "steps": n}``: every combination), a
        list of changes (mappings of path -> value: one variant each) or named changes
        (name -> mapping of path -> value). ``seed`` and ``book`` cannot vary.
    trials : int, optional
        Trials per variant; default ``base.trials`` (a variant that sets ``trials``
        runs that many).
    rng : int, SeedSequence or Generator, optional
        Default ``base.seed``; normalised once, so every variant draws trial ``t``
        from the same stream (common random numbers).
    book : Book, optional
        The loaded book; default loaded once from ``base.book``.
    executor : {None, "serial", "processes", "dask"} or executor, optional
        Where the chunks of trials run (:mod:`spm_sim.parallel`); the numbers do not
        depend on it. ``"dask"`` starts one local cluster for the whole sweep (or
        connects to ``scheduler``); a ``Client`` or a ``concurrent.futures`` pool is
        used as it is.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster (default one per
        CPU).
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    metrics : sequence of str, optional
        Names of :data:`SWEEP_METRICS`; default incentive cost, cost of sales, share
        of reps at quota, chance of the company target and company bookings.
    level : float, default 0.95
        Confidence level of every interval.
    n_boot : int, default 1000
        Bootstrap resamples where a paired difference of percentiles falls back on
        the bootstrap (fewer than 100 trials, a percentile on an atom, nearly
        identical runs); otherwise its interval is linearised.
    chunk_size : int, default 250
        Most trials a task draws at once (memory: about chunk_size x reps x 12 x 8
        bytes per array).
    progress : bool, default False
        tqdm bars: over the chunks of trials, then over the variants' intervals.

    Returns
    -------
    DataFrame
        One row per scenario, metric and statistic: ``scenario``, one column per
        parameter path (the value in that scenario), ``metric``, ``statistic``
        (``mean``, or ``p10``/``p50``/``p90`` for money), ``unit`` (``$``, ``ratio``,
        ``prob``), ``value`` with its interval ``low``, ``high``, ``diff_vs_base``
        with its paired interval ``diff_low``, ``diff_high``, and ``n_trials``.
        ``attrs``: ``seed`` (entropy, spawn key), ``trials``, ``executor``,
        ``spm_sim_version``, ``spec`` (the base scenario), ``parameters`` (path ->
        short label), ``metrics``, ``level``, ``n_boot``, ``currency``, ``base``,
        ``draws`` (how many variants shared their sales draws), ``changes`` (each
        variant's changes), ``kind`` (``grid``, ``list`` or ``named``).

    Raises
    ------
    SpecError
        A bad path or value (named with its variant), an unknown metric, a variant
        changing ``seed`` or ``book``.
    SpmSimError
        A variant whose money is not finite (an input far too large), named.

    Notes
    -----
    The work is split by trials: each chunk's sales are drawn once for all the
    variants that draw alike (the plan, the quotas and the target incentive play
    no part in the draws) and paid under each; a variant with a workforce,
    behaviour or programmes runs its own month loop on its own draws. ``engine:
    auto`` is resolved for the base and the variants together
    (:func:`~spm_sim.simulate.resolve_engines`): when one of them draws every deal
    (a plan paying on measures of single deals), all do, so each pairs with the
    base. Every variant's numbers equal :func:`~spm_sim.simulate.simulate`'s for
    that scenario on the same ``rng`` and trials, with that engine.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> table = sweep(s, {"plan.components[bookings].tiers[1].rate": [1.5, 2.0]}, 100, rng=0,
    ...               metrics=["incentive_cost"])
    >>> table[table.statistic == "mean"][["scenario", "plan.components[bookings].tiers[1].rate"]]
      scenario  plan.components[bookings].tiers[1].rate
    0     base                                      1.5
    4   rate=1.5                                      1.5
    8   rate=2                                        2.0
    >>> mean = table[table.statistic == "mean"].set_index("scenario")
    >>> float(mean.loc["rate=1.5", "diff_vs_base"]), bool(mean.loc["rate=2", "diff_low"] > 0)
    (0.0, True)
    """
    metric_names = check_metrics(metrics)
    level = _check_level(level)
    n_boot = _check_boot(n_boot)
    found = variants(changes)
    n = base.trials if trials is None else whole_count("sweep", "trials", trials)
    start = base.replace(trials=n) if n != base.trials else base
    scenarios = build(start, found)
    root = seed_sequence(rng, default=base.seed)
    book = book if book is not None else load_book_ref(base.book)
    columns = tuple(dict.fromkeys(SWEEP_METRICS[m].column for m in metric_names))
    names = [BASE, *(v.name for v in found)]
    with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
        runner = Runner(book, root, ex, chunk_size=chunk_size, progress=progress)
        # one engine for the base and every variant, so that each pairs with the base
        engines = resolve_engines(scenarios, book, rng=root, n_trials=n)
        payables = [runner.payable(s, e) for s, e in zip(scenarios, engines, strict=True)]
        figures = runner.run(payables, columns, label=f"sweep: {len(scenarios)} scenarios")
        _check_finite(names, figures)
        # the intervals, a few tasks per worker, each a batch of variants
        pairs = list(zip(names, figures, strict=True))
        size = max(1, -(-len(pairs) // (TASKS_PER_WORKER * 2 * executor_workers(ex))))
        batches = [(tuple(pairs[i : i + size]),) for i in range(0, len(pairs), size)]
        bar = _bar(progress, len(batches))
        try:
            parts = run_shared(
                batch_rows,
                batches,
                ex,
                (figures[0], metric_names, level, n_boot),
                on_done=None if bar is None else (lambda _i: bar.update(1)),
            )
        finally:
            if bar is not None:
                bar.close()
        rows = [r for part in parts for r in part]
    paths = list(dict.fromkeys(p for v in found for p in v.changes))
    params = {
        p: [_readable(start, p)] + [_cell(v.changes.get(p, _readable(start, p))) for v in found]
        for p in paths
    }
    table = pd.DataFrame([r for part in rows for r in part])
    position = {name: i for i, name in enumerate(names)}
    for k, p in enumerate(paths):
        table.insert(1 + k, p, [params[p][position[s]] for s in table["scenario"]])
    shared = sum(1 for p in payables if p.group is not None)
    table.attrs.update(
        scenario=base.name,
        base=BASE,
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        trials=n,
        executor=executor_name(executor if executor is not None or not scheduler else "dask"),
        spm_sim_version=package_version(),
        spec=start.model_dump(mode="json"),
        parameters=labels(paths),
        metrics=list(metric_names),
        level=level,
        n_boot=n_boot,
        currency=base.plan.currency,
        draws={"groups": len(runner.groups), "shared": shared, "own": len(payables) - shared},
        changes={v.name: dict(v.changes) for v in found},
        kind=kind(changes),
    )
    return table


def _bar(progress: bool, total: int) -> Any:
    """A tqdm bar over the variants' intervals (None without progress)."""
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="intervals", unit="batch", leave=False)


def _check_finite(names: list[str], figures: list[dict[str, np.ndarray]]) -> None:
    """Refuse a variant whose money overflowed, naming it (no inf reaches a table)."""
    for name, values in zip(names, figures, strict=True):
        for column in ("company_bookings", "incentive_cost"):
            v = values.get(column)
            if v is not None and not np.isfinite(v).all():
                bad = int((~np.isfinite(v)).sum())
                raise SpmSimError(
                    f"scenario {name!r}: the {column.replace('_', ' ')} is not a finite number "
                    f"in {bad:,} of {v.size:,} trials: the money arithmetic overflowed. Check "
                    "the values this variant sets (a rate or cap many orders of magnitude "
                    "too large)."
                )


def frontier(
    table: pd.DataFrame,
    cost: str = "incentive_cost",
    benefit: str = "share_at_quota",
    *,
    statistic: str = "mean",
) -> pd.DataFrame:
    """The scenarios of a sweep on cost against benefit, the efficient ones marked.

    Parameters
    ----------
    table : DataFrame
        A :func:`sweep` frame.
    cost : str, default "incentive_cost"
        A metric where less is better (``cost_of_sales`` also).
    benefit : str, default "share_at_quota"
        A metric where more is better (``p_company_target``, ``company_bookings``).
    statistic : str, default "mean"
        Which statistic of ``cost`` (``p90`` for a bad year's cost).

    Returns
    -------
    DataFrame
        One row per scenario: ``scenario``, ``cost``, ``cost_low``, ``cost_high``,
        ``benefit``, ``benefit_low``, ``benefit_high`` and ``efficient``: True when no
        other scenario costs no more and gives no less, with one of the two strictly
        better (the Pareto front, on the estimates). Sorted by cost. ``attrs``:
        the metrics and units.

    Examples
    --------
    >>> t = pd.DataFrame({"scenario": ["a", "b", "c"] * 2,
    ...     "metric": ["incentive_cost"] * 3 + ["share_at_quota"] * 3,
    ...     "statistic": "mean", "value": [5.0, 6.0, 7.0, 0.5, 0.4, 0.6],
    ...     "low": 0.0, "high": 1.0})
    >>> frontier(t)[["scenario", "efficient"]]
      scenario  efficient
    0        a       True
    1        b      False
    2        c       True
    """
    for role, name in (("cost", cost), ("benefit", benefit)):
        if name not in set(table["metric"]):
            have = ", ".join(dict.fromkeys(table["metric"]))
            raise SpecError(
                f"frontier: {role} metric {name!r} is not in this sweep (it has {have}); "
                "run the sweep with metrics=[...] including it."
            )
    rows = table[table["statistic"].eq(statistic) & table["metric"].eq(cost)]
    if rows.empty:
        raise SpecError(
            f"frontier: the sweep has no {statistic!r} of {cost!r}; statistics: "
            f"{', '.join(SWEEP_METRICS[cost].statistics) if cost in SWEEP_METRICS else 'mean'}."
        )
    good = table[table["statistic"].eq("mean") & table["metric"].eq(benefit)]
    c = rows.set_index("scenario")[["value", "low", "high"]]
    b = good.set_index("scenario")[["value", "low", "high"]]
    out = c.add_prefix("cost_").join(b.add_prefix("benefit_"), how="inner")
    out = out.rename(columns={"cost_value": "cost", "benefit_value": "benefit"})
    x, y = out["cost"].to_numpy(float), out["benefit"].to_numpy(float)
    better = (x[None, :] <= x[:, None]) & (y[None, :] >= y[:, None])
    strictly = (x[None, :] < x[:, None]) | (y[None, :] > y[:, None])
    out["efficient"] = ~(better & strictly).any(axis=1)
    out = out.reset_index().sort_values(["cost", "benefit"], kind="stable").reset_index(drop=True)
    out.attrs.update(
        cost=cost,
        benefit=benefit,
        statistic=statistic,
        cost_unit=SWEEP_METRICS[cost].unit if cost in SWEEP_METRICS else "",
        benefit_unit=SWEEP_METRICS[benefit].unit if benefit in SWEEP_METRICS else "",
        currency=table.attrs.get("currency", "USD"),
    )
    return out


def interval_of(table: pd.DataFrame, scenario: str, metric: str, stat: str = "mean") -> Interval:
    """One figure of a sweep frame and its interval.

    >>> t = pd.DataFrame({"scenario": ["base"], "metric": ["incentive_cost"],
    ...     "statistic": ["mean"], "value": [5.0], "low": [4.0], "high": [6.0]})
    >>> interval_of(t, "base", "incentive_cost")
    Interval(estimate=5.0, low=4.0, high=6.0)
    """
    row = table[
        table["scenario"].eq(scenario) & table["metric"].eq(metric) & table["statistic"].eq(stat)
    ]
    if row.empty:
        raise SpecError(f"no {stat} of {metric!r} for scenario {scenario!r} in this sweep.")
    r = row.iloc[0]
    return Interval(float(r["value"]), float(r["low"]), float(r["high"]))
