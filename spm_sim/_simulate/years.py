"""Several plan years: each year's quotas from the year before, people and deals carried.

:func:`simulate_years` runs a scenario with a ``years`` block (:class:`spm_sim.quota.Years`)
for ``count`` plan years, trial by trial:

* **year 1** is :func:`spm_sim.simulate.simulate` of the scenario, bit for bit (with
  reps who anticipate a ratchet, ``behaviour.ratchet_anticipation > 0``, year 1's
  effort already weighs next year's quota, so it differs from a single-year run
  there, as it should);
* **year y >= 2** draws its exogenous sales from the root of year ``y``
  (:func:`spm_sim.random.year_root`): two scenarios with one seed share their draws
  year by year. The productivity model moves a year on: its months, the company
  trend (rates grow by the fitted slope a year, and the trend's uncertainty widens
  with the distance from the history), each rep's ramp from their hire date;
* **what a trial is persists**: each seat keeps the first year's draw of its deal
  rate and mean log deal size from the posterior (times the trend's growth), and a
  trial its first year's deviations of the trend slope and level and its territory
  elasticities, so a rep who was truly better in year 1 stays better; the
  company's shocks and seasonality, each rep's year factor (``rep_dispersion``),
  the deals and the seats' clocks are drawn afresh from year ``y``'s streams. Per
  seat: a new hire on a seat sells the team's rate times the seat's draw, as
  within a year;
* **quotas per trial**: next year's full-year quota of each seat follows the rule
  from the trial's own year (:func:`spm_sim.quota.next_quota`); it is spread over
  the months as the first year's company quota is, times the seat's capacity that
  month (employment, ramp);
* **people**: each seat's state on 31 December (its own rep, vacant with months of
  backfill left, a new hire and their tenure) is where the next year starts; the
  seats' clocks of year ``y`` come from year ``y``'s ``workforce`` streams;
* **deals** pushed out of December, or pulled into it from January, land in the next
  year's January of the same seat (a pull is taken from the next year's first
  months); the last year's are reported (``borrowed_from_next_year``,
  ``deferred_to_next_year``).

The trials run in chunks on any executor (:mod:`spm_sim.parallel`); a chunk runs all
the years of its trials, so the numbers do not depend on the chunking or the executor.
Multi-year results are not saved to folders yet.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.book import Book
from spm_sim.comp import Plan
from spm_sim.errors import ScenarioError, strict_checks
from spm_sim.parallel import ExecutorLike, check_executor, executor_for, run_tasks
from spm_sim.productivity import (
    DEFAULT_RAMP,
    DealMix,
    Kernel,
    ProductivityModel,
    build_kernel,
    exposure_months,
    run_kernel_by_month,
    to_month_major,
    to_trial_major,
)
from spm_sim.quota import GrowthRule, MethodRule, RatchetRule, next_quota, set_quotas
from spm_sim.random import RngLike, calibration_rng, seed_sequence, year_root
from spm_sim.scenario import Scenario

from .chunks import chunk_bounds
from .engine import _draw_exogenous, _follow, _pay_block
from .prepare import Prepared, _hire_ramp, _strict, prepare, sales_cycle_months
from .result import _result
from .years_result import YearsResult

__all__ = ["simulate_years"]


@dataclass(frozen=True)
class _Year:
    """What the chunks of one plan year read, worked out before any trial."""

    model: ProductivityModel
    kernel: Kernel | None
    shape: np.ndarray  # (R, P): a seat's quota per month per dollar of full-year quota
    fixed: np.ndarray | None  # (R, P): quotas the same in every trial (year 1, method)


def simulate_years(
    scenario: Scenario,
    n_trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    chunk_size: int = 250,
    workers: int | None = 1,
    executor: ExecutorLike = None,
    scheduler: str | None = None,
    progress: bool = False,
    engine: tuple[str, str] | None = None,
) -> YearsResult:
    """Run a scenario's plan years one after the other, trial by trial.

    Parameters
    ----------
    scenario : Scenario
        With a ``years`` block (:class:`spm_sim.quota.Years`).
    n_trials, rng, book, chunk_size, workers, executor, scheduler, progress, engine
        As :func:`spm_sim.simulate.simulate`; the same ``rng`` gives the same numbers
        whatever ``chunk_size``, ``workers`` or ``executor``.

    Returns
    -------
    YearsResult

    Raises
    ------
    ScenarioError
        For a scenario without ``years``.

    Examples
    --------
    >>> from spm_sim import load_scenario
    >>> s = load_scenario("data/scenarios/cap_and_ratchet.yaml")  # doctest: +SKIP
    >>> simulate_years(s, 100, rng=0).summary()  # doctest: +SKIP
    """
    if scenario.years is None:
        raise ScenarioError(
            f"scenario {scenario.name!r} has no 'years' block: simulate_years runs several "
            "plan years. Add e.g. years: {count: 3, quota_rule: {rule: ratchet}}, or use "
            "simulate() for one plan year."
        )
    n = int(scenario.trials if n_trials is None else n_trials)
    if n < 1:
        raise ValueError(f"n_trials must be >= 1, got {n}.")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    executor = check_executor(executor)
    if executor is None and workers is not None and workers > 1:
        executor = "processes"
    with strict_checks(_strict(scenario)):
        root = seed_sequence(rng, default=scenario.seed)
        with executor_for(executor, workers=workers, scheduler=scheduler) as ex:
            prep = prepare(scenario, book, rng=root, progress=progress, executor=ex, engine=engine)
            years = _years(scenario, prep, root)
            shared = (
                years,
                scenario.years.quota_rule,
                scenario.plan,
                prep.target_incentive,
                root,
                prep.deal_mix,
                prep.engine,
            )
            parts = run_tasks(
                _years_task, chunk_bounds(0, n, chunk_size), ex, shared=shared, workers=workers
            )
    return _join(scenario, n, root, prep, parts)


# --- the years, before any trial ------------------------------------------------------


def _years(scenario: Scenario, prep: Prepared, root: np.random.SeedSequence) -> tuple[_Year, ...]:
    """Each plan year's model, kernel and quota shape."""
    spec = scenario.years
    assert spec is not None
    q1 = np.asarray(prep.quotas.values, dtype=float)
    season = q1.sum(axis=0)
    season = season / season.sum() if season.sum() > 0 else np.full(q1.shape[1], 1 / q1.shape[1])
    frame = _rep_dates(scenario, prep)
    ratchet = spec.quota_rule.ratchet_weights()
    method = (
        _method_quotas(scenario, prep, root) if isinstance(spec.quota_rule, MethodRule) else None
    )
    out = []
    method_full = None  # (R,) a method's full-year quota per seat: its plan-year quota over
    # the seat's capacity that year, so a rep hired during year 1 gets a full year later
    for y in range(1, spec.count + 1):
        model = prep.model if y == 1 else _year_model(prep.model, frame, y)
        shape = season[None, :] * model.ramp
        if method is not None and y == 1:
            cap = shape.sum(axis=1)
            method_full = np.where(cap > 0, method.sum(axis=1) / np.where(cap > 0, cap, 1.0), 0.0)
        if y == 1:
            fixed: np.ndarray | None = q1
        elif method_full is not None:
            assert isinstance(spec.quota_rule, MethodRule)
            fixed = method_full[:, None] * shape * (1.0 + spec.quota_rule.rate) ** (y - 2)
        else:
            fixed = None
        reference = q1 if fixed is None else fixed
        out.append(
            _Year(model, _year_kernel(scenario, prep, model, reference, ratchet, y), shape, fixed)
        )
    return tuple(out)


def _rep_dates(scenario: Scenario, prep: Prepared) -> pd.DataFrame:
    """Hire and leaving dates of the simulated seats' reps (planned hires last), and
    the ramp each ramps on."""
    reps = prep.book.reps.set_index(prep.book.reps["rep_id"].astype(str))
    hires = {h.rep_id: h for h in scenario.quota.hires}
    hire_ramp = _hire_ramp(scenario)
    rows = []
    for rep in prep.model.rep_ids:
        if rep in hires:
            start = pd.Timestamp(hires[rep].start)
            rows.append((rep, start, pd.NaT, hire_ramp))
        else:
            row = reps.loc[rep]
            rows.append((rep, row["hire_date"], row["term_date"], DEFAULT_RAMP))
    return pd.DataFrame(rows, columns=["rep_id", "hire_date", "term_date", "ramp"])


def _year_model(model: ProductivityModel, dates: pd.DataFrame, year: int) -> ProductivityModel:
    """The productivity model moved ``year - 1`` years on: its months, each rep's ramp
    (from the hire date), the company trend (deal rates grown by the fitted slope a
    year; the trend's uncertainty grows with the distance from the history)."""
    shift = year - 1
    periods = tuple(f"{int(p[:4]) + shift}{p[4:]}" for p in model.periods)
    months = pd.DatetimeIndex([pd.Timestamp(p + "-01") for p in periods])
    ramp = np.vstack(
        [
            exposure_months(dates.iloc[[i]], months, ramp=tuple(dates["ramp"].iloc[i]))
            for i in range(len(dates))
        ]
    )
    slope = float(model.fit.get("trend_slope_per_year", 0.0)) if model.growth is not None else 0.0
    offset = None if model.trend_offset is None else model.trend_offset + shift
    return dataclasses.replace(
        model,
        periods=periods,
        ramp=ramp,
        beta=model.beta * np.exp(-slope * shift),
        trend_offset=offset,
    )


def _year_kernel(
    scenario: Scenario,
    prep: Prepared,
    model: ProductivityModel,
    quotas: np.ndarray,
    ratchet: tuple[float, float],
    year: int,
) -> Kernel | None:
    """The month loop of a plan year: year 1's as prepared (rebuilt only to add the
    ratchet the reps anticipate), later years' on the moved model, without the
    programmes (a coaching programme or contest is the first year's)."""
    first = prep.kernel
    beh = scenario.behaviour
    anticipates = beh is not None and beh.ratchet_anticipation > 0 and any(ratchet)
    if first is None or (year == 1 and not anticipates):
        return first
    cycle = sales_cycle_months(prep.book)
    if scenario.time_allocation is not None and scenario.time_allocation.cycle_months is not None:
        cycle = scenario.time_allocation.cycle_months
    programmes, coached = None, None
    if year == 1:
        programmes = scenario.programmes
        coached = np.isin(np.asarray(model.rep_ids), np.asarray(prep.coached, dtype=str))
    kernel = build_kernel(
        model,
        scenario.plan,
        quotas,
        prep.target_incentive,
        workforce=first.workforce,
        behaviour=beh,
        time_allocation=scenario.time_allocation,
        programmes=programmes,
        cycle_months=cycle,
        coached=coached,
        effort_scale=first.effort_scale,
        capacity_factor=scenario.capacity_factor,
        ratchet=ratchet if anticipates else None,
    )
    # a new hire sells what the first year's kernel says (roles, the team's rate)
    return dataclasses.replace(
        kernel, new_hire_ramp=first.new_hire_ramp, new_hire_ratio=first.new_hire_ratio
    )


def _method_quotas(scenario: Scenario, prep: Prepared, root: np.random.SeedSequence) -> np.ndarray:
    """The quotas a ``method`` rule's settings set on the book for the plan year."""
    rule = scenario.years.quota_rule if scenario.years is not None else None
    assert isinstance(rule, MethodRule)
    settings = rule.settings.replace(hires=scenario.quota.hires)
    n_hires = len(prep.model.fit.get("planned_hires", ()))
    book_reps = prep.model.take_reps(slice(0, prep.model.n_reps - n_hires))
    q = set_quotas(
        prep.book,
        plan_year=scenario.plan_year,
        settings=settings,
        rep_ids=book_reps.rep_ids,
        model=book_reps,
        rng=calibration_rng(root),
        engine=prep.engine,
    )
    values = np.asarray(q.values, dtype=float)
    if values.shape != prep.quotas.values.shape:  # pragma: no cover - an internal contract
        raise ScenarioError(
            f"scenario {scenario.name!r}: years.quota_rule.settings set quotas for "
            f"{values.shape[0]} reps, the scenario simulates {prep.quotas.values.shape[0]}."
        )
    return values


# --- a chunk of trials through every year ---------------------------------------------


def _years_task(
    years: tuple[_Year, ...],
    rule: RatchetRule | GrowthRule | MethodRule,
    plan: Plan,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence,
    mix: DealMix | None,
    engine: str,
    start: int,
    stop: int,
) -> list[dict[str, np.ndarray]]:
    """Trials ``start..stop-1`` through every plan year; pure, so it runs anywhere."""
    out = []
    full = None  # (T, R) each seat's full-year quota of the coming year
    carry = None  # (T, R) deals landing in the coming January
    seats = None  # the seats' state on the coming 1 January
    first = years[0]
    for y, year in enumerate(years, start=1):
        t_n = stop - start
        if year.fixed is not None:
            quotas = year.fixed if y == 1 else np.broadcast_to(year.fixed, (t_n, *year.fixed.shape))
        else:
            assert full is not None
            quotas = full[:, :, None] * year.shape[None, :, :]
        with np.errstate(over="ignore", invalid="ignore"):
            # each seat keeps its first year's rate and size (per seat: see draw_trials)
            part = _one_year(
                year,
                plan,
                quotas,
                target_incentive,
                year_root(root, y),
                mix,
                engine,
                start,
                stop,
                carry=carry,
                seats=seats,
                later=y > 1,
                persist=None if y == 1 else (first.model, root),
            )
        annual = np.broadcast_to(np.asarray(quotas).sum(axis=-1), (t_n, year.shape.shape[0]))
        part["quota"] = np.array(annual)
        out.append(part)
        if y == len(years):
            break
        if full is None:
            # the first year's full-year quota: its annual quota over its capacity
            cap = first.shape.sum(axis=1)
            q1 = np.asarray(first.fixed).sum(axis=1)
            full = np.broadcast_to(
                np.where(cap > 0, q1 / np.where(cap > 0, cap, 1.0), 0.0), (t_n, len(cap))
            )
        if not isinstance(rule, MethodRule):
            full = next_quota(rule, full, part["bookings"], year_quota=annual)
        carry = part.pop("next_january", None)
        seats = part.pop("seats", None)
    for part in out:
        part.pop("next_january", None)
        part.pop("seats", None)
    return out


def _one_year(
    year: _Year,
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence,
    mix: DealMix | None,
    engine: str,
    start: int,
    stop: int,
    *,
    carry: np.ndarray | None,
    seats: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    later: bool,
    persist: tuple[ProductivityModel, np.random.SeedSequence] | None = None,
) -> dict[str, Any]:
    """One plan year of trials ``start..stop-1``: draw, run the month loop with what
    the year before left, pay. The first year is :func:`spm_sim.simulate.simulate`'s
    chunk bit for bit (the loop's year-end figures only added)."""
    loop = year.kernel if year.kernel is not None and year.kernel.on else None
    wf = loop is not None and loop.workforce is not None
    measured = plan if plan.measures else None
    exo, measures, clocks = _draw_exogenous(
        year.model,
        root,
        start,
        stop,
        engine=engine,
        measured=measured,
        mix=mix,
        clocks=wf,
        persist=persist,
    )
    extra: dict[str, Any] = {}
    stats: dict[str, np.ndarray] = {}
    draws = exo
    if loop is not None:
        moved, stats = run_kernel_by_month(
            loop,
            to_month_major(exo),
            clocks,
            quotas=quotas if later else None,
            carry_in=carry,
            seats_in=seats if wf else None,
            year_end=True,
        )
        draws = to_trial_major(moved)
        if measured is not None:
            measures = {
                name: value
                if measured.measure(name).kind == "score"
                else _follow(value, exo, draws)
                for name, value in measures.items()
            }
        extra["next_january"] = stats.pop("next_january")
        if wf:
            extra["seats"] = (
                stats.pop("seat_state"),
                stats.pop("seat_left"),
                stats.pop("seat_tenure"),
            )
    part = _pay_block(plan, quotas, target_incentive, draws, measures, stats)
    part["carried_in"] = (
        np.zeros(stop - start) if carry is None else np.asarray(carry, float).sum(axis=1)
    )
    part.update(extra)
    return part


# --- the result -----------------------------------------------------------------------


def _join(
    scenario: Scenario,
    n: int,
    root: np.random.SeedSequence,
    prep: Prepared,
    parts: list[list[dict[str, np.ndarray]]],
) -> YearsResult:
    spec = scenario.years
    assert spec is not None
    by_year = [[chunk[y] for chunk in parts] for y in range(spec.count)]
    keep = ("bookings", "payout", "company_by_period", "payout_by_period")
    first_parts = [
        {k: v for k, v in p.items() if k in keep or (k.startswith("dyn_"))} for p in by_year[0]
    ]
    first = _result(scenario, n, root, prep, first_parts)
    joined = [{k: np.concatenate([p[k] for p in year]) for k in year[0]} for year in by_year]
    for y, j in enumerate(joined, start=1):
        for name in ("bookings", "payout"):
            if not np.isfinite(j[name]).all():
                raise ScenarioError(
                    f"scenario {scenario.name!r}: year {y}'s {name} is not finite in some "
                    "trials: the quotas or bookings overflowed; check the quota rule's "
                    "growth and the plan's rates."
                )
    dynamics = tuple(
        {
            **{k[4:]: v for k, v in j.items() if k.startswith("dyn_") and k != "dyn_stayed"},
            "carried_in": j["carried_in"],
        }
        for j in joined
    )
    return YearsResult(
        scenario=scenario,
        first=first,
        plan_years=tuple(scenario.plan_year + y for y in range(spec.count)),
        targets=spec.targets(prep.quotas.company_target),
        bookings=np.stack([j["bookings"] for j in joined]),
        incentive=np.stack([j["payout"].sum(axis=2) for j in joined]),
        quotas=np.stack([j["quota"] for j in joined]),
        dynamics=dynamics,
        base_salary=prep.base_salary,
        target_incentive=prep.target_incentive,
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        engine=prep.engine,
    )
