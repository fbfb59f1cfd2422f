"""Monte Carlo engine: a scenario in, simulated bookings and payouts out.

Built for scale from the start:

* trials run in chunks; each chunk draws its trials' bookings, shaped
  ``(trials, reps, periods)``, and applies the plan's payout kernel to the whole chunk;
* trial ``i`` draws from its own stream, ``SeedSequence(seed, spawn_key=(i,))``, so
  the numbers depend on the seed and the trial index only: not on the chunk size,
  the number of worker processes, or which worker ran which chunk;
* the draws depend on the book, the plan year and the seed, not on the plan or the
  quotas: scenarios that differ only there share their draws (common random numbers)
  and their paired differences carry no sales-sampling noise; planned hires
  (``quota.hires``) and the seats' attrition clocks draw on streams of their own, so
  the book's reps keep their draws with or without them;
* chunks can run in a local process pool (``workers=N``) or on any executor with a
  ``submit`` method, such as a ``dask.distributed.Client``.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._provenance import package_version
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import MBO, Plan, payout, payout_columns
from spm_sim.errors import ScenarioError, SpmSimError, strict_checks
from spm_sim.productivity import (
    DEFAULT_RAMP,
    Coaching,
    DealMix,
    Kernel,
    ProductivityModel,
    add_planned_hires,
    book_attrition,
    build_kernel,
    check_products,
    draw_deals,
    draw_measures,
    draw_summed,
    fit_deal_mix,
    fit_productivity,
    run_kernel_by_month,
    to_month_major,
    to_trial_major,
    workforce_clocks,
)
from spm_sim.quota import Quotas, QuotaSettings, set_quotas
from spm_sim.random import (
    RngLike,
    calibration_rng,
    hires_rng,
    reference_effort_rng,
    seed_sequence,
    trial_rng,
    workforce_rng,
)
from spm_sim.scenario import Scenario

__all__ = [
    "SimulationResult",
    "SalesDraws",
    "draw_sales",
    "Prepared",
    "prepare",
    "simulate",
    "draw_block",
    "seed_sequence",
    "trial_rng",
    "workforce_rng",
]


@dataclass(frozen=True)
class Prepared:
    """What a scenario needs before drawing: the fitted model and the quotas."""

    book: Book = field(repr=False)
    model: ProductivityModel
    quotas: Quotas
    regions: np.ndarray
    base_salary: np.ndarray
    target_incentive: np.ndarray
    deal_mix: DealMix | None = None
    kernel: Kernel | None = None
    coached: tuple[str, ...] = ()
    programme_cost: float = 0.0
    notes: tuple[tuple[str, str], ...] = ()


def prepare(
    scenario: Scenario, book: Book | None = None, *, rng: RngLike = None, progress: bool = False
) -> Prepared:
    """Load the book (unless given), fit the productivity model and set the quotas.

    A plan that declares measures (a product line, new logos, scores) also gets the
    reps' deal mix (:func:`spm_sim.productivity.fit_deal_mix`). ``rng`` (default
    ``scenario.seed``) is the run's root: calibrated quotas and the behaviour's
    reference effort draw from its streams ``calibration`` and ``reference_effort``
    (:data:`spm_sim.random.STREAMS`); :func:`simulate` passes its own root.

    A scenario with ``strict: true`` runs under :func:`spm_sim.errors.strict_checks`:
    the book's plausibility warnings are raised as errors. ``progress`` shows a bar
    over the calibration of calibrated quotas (the slow part, when there is one).
    """
    with strict_checks(_strict(scenario)):
        return _prepare(scenario, book, rng=rng, progress=progress)


def _strict(scenario: Scenario) -> bool:
    """Whether the scenario asks for plausibility warnings to be raised as errors."""
    return bool(getattr(scenario, "strict", False))


@dataclass
class _Fitted:
    """What :func:`prepare` computed for one book, plan year and root, kept by
    :class:`SalesDraws` so that paying another plan or quotas refits nothing: the
    productivity model (before planned hires), recent quotas by their settings and
    the deal mix by the reps it is for."""

    model: ProductivityModel | None = None
    quotas: list[tuple[QuotaSettings, Quotas]] = field(default_factory=list)
    mix: dict[tuple[str, ...], DealMix] = field(default_factory=dict)

    #: quota settings remembered (a planner going back and forth between a few)
    keep: int = 8

    def quotas_for(self, settings: QuotaSettings) -> Quotas | None:
        for seen, quotas in self.quotas:
            if seen == settings:
                return quotas
        return None

    def remember(self, settings: QuotaSettings, quotas: Quotas) -> None:
        self.quotas = [(settings, quotas), *self.quotas[: self.keep - 1]]


def _prepare(
    scenario: Scenario,
    book: Book | None,
    *,
    rng: RngLike,
    fitted: _Fitted | None = None,
    progress: bool = False,
) -> Prepared:
    """:func:`prepare` without the strict checks around it; ``fitted`` keeps (and
    reuses) what depends only on the book, the plan year and the root."""
    root = seed_sequence(rng, default=scenario.seed)
    book = book if book is not None else load_book_ref(scenario.book)
    if scenario.plan.currency != book.currency:
        raise ScenarioError(
            f"scenario {scenario.name!r}: plan {scenario.plan.name!r} pays in "
            f"{scenario.plan.currency} but book {book.name!r} is in {book.currency}; every "
            "amount would be shown in the wrong currency. Set the plan's currency to the "
            "book's (converting its money amounts), or use a book in the plan's currency."
        )
    shared = fitted is not None
    fitted = fitted if fitted is not None else _Fitted()
    if fitted.model is None:
        fitted.model = fit_productivity(book, plan_year=scenario.plan_year)
    model = fitted.model
    quotas = fitted.quotas_for(scenario.quota)
    if quotas is None:
        # the calibration draws from its own stream, never the trials' (no in-sample fit)
        quotas = set_quotas(
            book,
            plan_year=scenario.plan_year,
            settings=scenario.quota,
            rep_ids=model.rep_ids,
            model=model,
            rng=calibration_rng(root),
            progress=progress,
        )
        fitted.remember(scenario.quota, quotas)
    if shared:
        # the cache stays as it was set: every result gets its own model and quotas,
        # so a caller changing one (result.quotas.values *= 2) cannot change the next
        model, quotas = copy.deepcopy(model), copy.deepcopy(quotas)
    reps = book.reps.set_index(book.reps["rep_id"].astype(str)).loc[list(model.rep_ids)]
    if scenario.quota.hires:
        # planned hires (quota.hires) sell at the team's prior from their start date
        model = add_planned_hires(
            model, scenario.quota.hires, plan_year=scenario.plan_year, ramp=_hire_ramp(scenario)
        )
        reps = pd.concat([reps, _planned_rep_rows(scenario, reps)])
        if tuple(quotas.rep_ids) != model.rep_ids:  # pragma: no cover - an internal contract
            raise RuntimeError("quotas and the productivity model list the reps differently")
    mix = None
    if scenario.plan.measures:
        mix = fitted.mix.get(model.rep_ids)
        if mix is None:
            mix = fitted.mix[model.rep_ids] = fit_deal_mix(
                book, model.rep_ids, plan_year=scenario.plan_year
            )
        check_products(scenario.plan, mix)
    # The scenario checked its parts against each other when it was built (engine
    # against the plan's measures, reference plan's role, programmes: see Scenario);
    # what is left needs the book: its products (above) and its reps' roles (here).
    _check_roles(scenario, reps)
    target_incentive = reps["target_incentive"].to_numpy(float)
    kernel, coached, cost, notes = _dynamics_kernel(
        scenario, book, model, quotas.values, target_incentive, reps["role"].astype(str), root
    )
    return Prepared(
        book=book,
        model=model,
        quotas=quotas,
        regions=reps["region"].astype(str).to_numpy(),
        base_salary=reps["base_salary"].to_numpy(float),
        target_incentive=target_incentive,
        deal_mix=mix,
        kernel=kernel,
        coached=coached,
        programme_cost=cost,
        notes=notes,
    )


def _check_roles(scenario: Scenario, reps: pd.DataFrame) -> None:
    """Refuse a plan for a role the simulated reps do not have (needs the book, so it
    runs here, not when the scenario is loaded)."""
    role = scenario.plan.role
    if role is not None and (reps["role"].astype(str) != role).any():
        roles = ", ".join(sorted(reps["role"].astype(str).unique()))
        raise ScenarioError(
            f"scenario {scenario.name!r}: plan.role: plan {scenario.plan.name!r} is for role "
            f"{role!r}, but the simulated reps have roles {roles} (the book's reps, column "
            "'role'). A simulation pays every rep under one plan: use a plan for those "
            "roles, or remove 'role' from the plan."
        )


def _planned_rep_rows(scenario: Scenario, reps: pd.DataFrame) -> pd.DataFrame:
    """Rows of the reps table for planned hires: region and start from the scenario;
    role, base salary and target incentive those of the median rep of the plan's
    role (or of everyone), prorated by the days of the plan year employed."""
    role = scenario.plan.role
    peers = reps[reps["role"].astype(str) == role] if role is not None else reps
    peers = peers if len(peers) else reps
    year_days = 366 if pd.Timestamp(year=scenario.plan_year, month=1, day=1).is_leap_year else 365
    rows = []
    for h in scenario.quota.hires:
        start = pd.Timestamp(h.start)
        share = (pd.Timestamp(year=scenario.plan_year, month=12, day=31) - start).days + 1
        share /= year_days
        rows.append(
            {
                "rep_id": h.rep_id,
                "region": h.region,
                "role": role if role is not None else str(peers["role"].mode().iloc[0]),
                "hire_date": start,
                "base_salary": float(peers["base_salary"].median()) * share,
                "target_incentive": float(peers["target_incentive"].median()) * share,
            }
        )
    return pd.DataFrame(rows).set_index(pd.Index([h.rep_id for h in scenario.quota.hires]))


def sales_cycle_months(book: Book, default: int = 3) -> int:
    """Median months from an open opportunity's creation to its expected close.

    From the book's pipeline (``created_date``, ``expected_close_date``); ``default``
    when the book has none. The open pipeline over-represents long deals (short ones
    have closed already), so this leans long.
    """
    pipe = getattr(book, "open_pipeline", None)
    if pipe is None or len(pipe) == 0:
        return default
    cols = {"created_date", "expected_close_date"}
    if not cols <= set(pipe.columns):
        return default
    days = (pipe["expected_close_date"] - pipe["created_date"]).dt.days.dropna()
    days = days[days >= 0]
    return default if days.empty else int(round(float(days.median()) / 30.44))


_OFF_WORKFORCE = "off: every rep stays all year"
_OFF_BEHAVIOUR = "off: exogenous sales, no response to the plan"


def _dynamics_kernel(scenario, book, model, quotas, target_incentive, roles, root=None):
    """The month loop's inputs when the scenario turns any dynamics on, else None.

    Returns ``(kernel, coached rep ids, programme cost, notes)``; the notes say how
    the sales were drawn and what happens during the year, as the report prints them.
    """
    s = scenario
    prog = s.programmes
    engine = (
        "each rep-month's deals summed at once (engine: summed)"
        if s.engine == "summed"
        else "every deal drawn (engine: deals)"
    )
    notes = [("Sales draws", engine)]
    if (
        s.workforce is None
        and s.behaviour is None
        and s.time_allocation is None
        and s.capacity_factor is None
        and (prog is None or (prog.coaching is None and prog.contest is None))
    ):
        return None, (), 0.0, (*notes, ("Workforce", _OFF_WORKFORCE), ("Behaviour", _OFF_BEHAVIOUR))
    s, workforce_note = _book_workforce(s, book)
    notes.append(("Workforce", workforce_note))
    notes.append(
        ("Behaviour", s.behaviour.describe() if s.behaviour is not None else _OFF_BEHAVIOUR)
    )
    cycle = sales_cycle_months(book)
    if s.time_allocation is not None and s.time_allocation.cycle_months is not None:
        cycle = s.time_allocation.cycle_months
    coached = np.zeros(model.n_reps, dtype=bool)
    cost = 0.0
    if prog is not None and prog.coaching is not None:
        coached = _coached_reps(s, prog.coaching, model, quotas)
        cost += prog.coaching.cost_per_rep * int(coached.sum())
        notes.append(("Coaching", prog.coaching.describe(int(coached.sum()))))
    if prog is not None and prog.contest is not None:
        cost += prog.contest.cost
        notes.append(("Contest response", prog.contest.describe()))
    if s.time_allocation is not None:
        notes.append(("Time allocation", s.time_allocation.describe(cycle)))
    if s.capacity_factor is not None:
        notes.append(("Capacity factor", _capacity_note(s.capacity_factor)))
    scale = 1.0
    if s.behaviour is not None and s.behaviour.reference_plan is not None:
        scale = reference_effort(s, model, quotas, target_incentive, rng=root)
    kernel = build_kernel(
        model,
        s.plan,
        quotas,
        target_incentive,
        effort_scale=scale,
        roles=np.asarray(roles),
        workforce=s.workforce,
        behaviour=s.behaviour,
        time_allocation=s.time_allocation,
        programmes=prog,
        cycle_months=cycle,
        coached=coached,
        capacity_factor=s.capacity_factor,
    )
    coached_ids = tuple(str(r) for r, c in zip(model.rep_ids, coached, strict=True) if c)
    return kernel, coached_ids, cost, tuple(notes)


def _book_workforce(scenario: Scenario, book: Book) -> tuple[Scenario, str]:
    """The scenario with attrition ``"book"`` estimated from the book, and its note."""
    workforce = scenario.workforce
    if workforce is None:
        return scenario, _OFF_WORKFORCE
    extra = ""
    if workforce.attrition == "book":
        est = book_attrition(book, scenario.plan_year)
        workforce = workforce.replace(attrition=est["attrition"])
        scenario = scenario.replace(workforce=workforce)
        extra = (
            f" (from the book: {est['leavers']} leavers in {est['rep_years']:.0f} rep-years, "
            f"{est['first_year']}-{est['last_year']}, with a prior of 25% a year worth 2 "
            "rep-years)"
        )
    return scenario, workforce.describe() + extra


def _coached_reps(
    scenario: Scenario, c: Coaching, model: ProductivityModel, quotas: np.ndarray
) -> np.ndarray:
    """Which reps the coaching programme coaches, shape (n_reps,) of bool.

    Named reps are checked here against the simulated reps (the book's reps employed
    in the plan year and the planned hires) and their months employed (hire and term
    dates, ramp): the scenario alone cannot know them, so these are the coaching's
    only checks left to the engine. Otherwise the ``bottom_share`` of reps by expected
    attainment; reps without a quota are not "behind" and are never picked.
    """
    coached = np.zeros(model.n_reps, dtype=bool)
    if not c.reps:
        assert c.bottom_share is not None, "Coaching targets reps or a bottom share"
        q = quotas.sum(axis=1)
        exp_att = np.where(
            q > 0, model.expected_bookings().sum(axis=1) / np.where(q > 0, q, 1.0), np.inf
        )
        n = max(1, int(round(c.bottom_share * model.n_reps)))
        coached[np.argsort(exp_att, kind="stable")[:n]] = True
        return coached
    ids = list(model.rep_ids)
    unknown = [r for r in c.reps if r not in ids]
    if unknown:
        raise ScenarioError(
            f"scenario {scenario.name!r}: programmes.coaching.reps names {unknown[0]!r}, "
            f"which is not a simulated rep ({len(unknown)} unknown; the {len(ids)} reps of "
            f"{scenario.plan_year} are {', '.join(ids[:5])}, ...). Use rep ids from the "
            "book's reps.csv employed in the plan year, or of quota.hires."
        )
    coached[[ids.index(r) for r in c.reps]] = True
    window = slice(c.start_month - 1, c.end_month)
    idle = [r for r in c.reps if not (model.ramp[ids.index(r), window] > 0).any()]
    if idle:
        raise ScenarioError(
            f"scenario {scenario.name!r}: programmes.coaching.reps names {idle[0]!r}, who is "
            f"not employed in months {c.start_month}-{c.end_month} of the coaching (the "
            "book's hire_date or term_date, or a new hire's ramp at 0); move the "
            "programme's months or coach someone else."
        )
    return coached


def _capacity_note(factor: float | tuple[float, ...]) -> str:
    f = np.broadcast_to(np.asarray(factor, dtype=float), (12,))
    return (
        f"bookings x {f.mean():.3f} on average over the year (from a capacity "
        f"simulation; {f.min():.3f} to {f.max():.3f} by month)"
    )


def reference_effort(
    scenario, model, quotas, target_incentive, n_trials: int = 1000, *, rng: RngLike = None
) -> float:
    """The effort scale ``kappa`` of the behaviour's reference plan.

    The scale ``kappa`` that makes the reference plan, with effort divided by it,
    book the exogenous bookings on average, company-wide: over ``n_trials`` draws of
    the summed engine on a stream of their own (stream ``reference_effort`` of the
    run's root ``rng``, default ``scenario.seed``),
    with the scenario's quotas and effort only (no timing). Effort depends on the
    bookings so far, which depend on ``kappa``, so ``kappa`` is found by three
    fixed-point steps ``kappa <- kappa x (bookings with effort / exogenous)``.
    """
    beh = scenario.behaviour
    only_effort = beh.replace(pull_forward=0.0, push_out=0.0)
    gen = reference_effort_rng(seed_sequence(rng, default=scenario.seed))
    draws = to_month_major(np.stack([draw_summed(model, gen) for _ in range(n_trials)]))
    total = float(draws.sum())
    kappa = 1.0
    if total <= 0:
        return kappa
    for _ in range(3):
        kernel = build_kernel(
            model,
            beh.reference_plan,
            quotas,
            target_incentive,
            behaviour=only_effort,
            effort_scale=kappa,
        )
        moved, _ = run_kernel_by_month(kernel, draws)
        kappa *= float(moved.sum()) / total
    return kappa


def _follow(value: np.ndarray, exogenous: np.ndarray, final: np.ndarray) -> np.ndarray:
    """A measure scaled with its rep-month's bookings (the same deals, moved or scaled).

    A month that drew no deal but received pulled ones gets the rep's measure per
    dollar of the trial's year, so pulled deals keep their products and new logos.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(exogenous > 0, value * (final / exogenous), 0.0)
        gap = (exogenous == 0) & (final > 0)
        if gap.any():
            year = exogenous.sum(axis=-1, keepdims=True)
            per_dollar = np.where(year > 0, value.sum(axis=-1, keepdims=True) / year, 0.0)
            out = np.where(gap, final * per_dollar, out)
    return out


def draw_block(
    model: ProductivityModel,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    engine: str = "deals",
    kernel: Kernel | None = None,
    plan: Plan | None = None,
    mix: DealMix | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Bookings of trials ``start..stop-1``: exogenous draws, then the month loop.

    Returns ``(bookings, measures, stats)``: bookings shaped (trials, reps, periods);
    the plan's measures (with ``engine="deals"`` and a plan that declares them);
    the month loop's trial-level figures (:data:`spm_sim._dynamics.STATS`) and
    ``stayed``, (trials, reps), True where the seat's rep stayed all year. Pure and
    deterministic in ``root`` and the trial indices, so it runs in any process.
    """
    loop = kernel if kernel is not None and kernel.on else None  # the month loop, if on
    wf = kernel is not None and kernel.workforce is not None
    measured = plan if plan is not None and plan.measures else None
    draws, measures, clocks = _draw_exogenous(
        model, root, start, stop, engine=engine, measured=measured, mix=mix, clocks=wf
    )
    if loop is None:
        return draws, measures, {}
    return _through_loop(loop, draws, measures, clocks, measured)


def _draw_exogenous(
    model: ProductivityModel,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    engine: str,
    measured: Plan | None,
    mix: DealMix | None,
    clocks: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """The sales of trials ``start..stop-1`` before the month loop: the plan plays no
    part but for the measures it declares (``measured``, drawn after the bookings).

    Returns ``(bookings, measures, clocks)``, bookings and measures shaped (trials,
    reps, periods), the seats' clocks (trials, reps, 4) when ``clocks`` else None.
    """
    shape = (model.n_reps, model.n_periods)
    n = stop - start
    draws = np.empty((n, *shape))
    declared = measured.measures if measured is not None else ()
    measures = {m.name: np.empty((n, *shape)) for m in declared}
    seat_clocks = np.empty((n, model.n_reps, 4)) if clocks else None
    # One stream per trial is what makes results independent of chunking; the
    # draws inside a trial are vectorised over reps and periods. The plan's own
    # measures are drawn after the bookings, so they never change the bookings; the
    # seats' clocks come from a stream of their own, so they never change either.
    # planned hires draw on a stream of their own, so the book's reps keep their
    # draws whether or not hires are planned ("should we hire?" stays paired)
    hires = model.fit.get("planned_hires", ())
    if hires:
        n_old = model.n_reps - len(hires)
        old, new = model.take_reps(slice(0, n_old)), model.take_reps(slice(n_old, None))
    for k, trial in enumerate(range(start, stop)):
        rng = trial_rng(root, trial)
        if engine == "summed":
            if hires:
                part, common = draw_summed(old, rng, with_common=True)
                one = np.vstack([part, draw_summed(new, hires_rng(root, trial), common=common)])
            else:
                one = draw_summed(model, rng)
        else:
            if hires:
                c_a, cell_a, s_a, common = draw_deals(old, rng, with_common=True)
                c_b, cell_b, s_b = draw_deals(new, hires_rng(root, trial), common=common)
                counts = np.vstack([c_a, c_b])
                cell = np.concatenate([cell_a, cell_b + c_a.size])
                sizes = np.concatenate([s_a, s_b])
            else:
                counts, cell, sizes = draw_deals(model, rng)
            one = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(shape)
            if measured is not None:
                assert mix is not None, "a plan's measures are drawn with its deal mix"
                for name, value in draw_measures(measured, mix, cell, sizes, shape, rng).items():
                    measures[name][k] = value
        draws[k] = one
        if seat_clocks is not None:
            seat_clocks[k] = workforce_clocks(workforce_rng(root, trial), model.n_reps)
    return draws, measures, seat_clocks


def _through_loop(
    loop: Kernel,
    exogenous: np.ndarray,
    measures: dict[str, np.ndarray],
    clocks: np.ndarray | None,
    measured: Plan | None,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The month loop over exogenous bookings (trials, reps, periods), left unchanged;
    the plan's bookings-like measures follow their rep-month's bookings."""
    moved, stats = run_kernel_by_month(loop, to_month_major(exogenous), clocks)
    draws = to_trial_major(moved)
    if measured is not None:
        measures = {
            name: value
            if measured.measure(name).kind == "score"
            else _follow(value, exogenous, draws)
            for name, value in measures.items()
        }
    return draws, measures, stats


def _run_chunk(
    model: ProductivityModel,
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    mix: DealMix | None = None,
    kernel: Kernel | None = None,
    engine: str = "deals",
) -> dict[str, np.ndarray]:
    """Draw trials ``start..stop-1`` and pay them; pure, so it runs in any process.

    An overflow is not warned about here: :func:`simulate` refuses any result that is
    not finite, with a message naming the figure.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        draws, measures, stats = draw_block(
            model, root, start, stop, engine=engine, kernel=kernel, plan=plan, mix=mix
        )
    return _pay_block(plan, quotas, target_incentive, draws, measures, stats)


def _pay_block(
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    draws: np.ndarray,
    measures: dict[str, np.ndarray],
    stats: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Pay a block of trials' bookings (trials, reps, periods) under ``plan``: the
    arrays a :class:`SimulationResult` is joined from."""
    with np.errstate(over="ignore", invalid="ignore"):
        pay = payout(plan, draws, quotas, target_incentive, measures=measures or None)
    return {
        "bookings": draws.sum(axis=-1),
        "payout": pay.annual_by_component,
        "company_by_period": draws.sum(axis=1),
        "payout_by_period": pay.by_period.sum(axis=1),
        **{f"dyn_{name}": value for name, value in stats.items()},
    }


def _book_info(book: Book) -> dict[str, str]:
    path = book.path
    return {
        "name": book.name or (path.name if path is not None else "book"),
        "path": str(path) if path is not None else "(in memory)",
        "currency": book.currency,
        "description": book.description,
        "source": book.source,
    }


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`: per-trial arrays plus what produced them.

    Attributes
    ----------
    scenario : Scenario
    rep_ids, regions : tuple / ndarray, shape (n_reps,)
    periods : tuple of str
    quotas : Quotas
    base_salary, target_incentive : ndarray, shape (n_reps,)
    bookings : ndarray, shape (n_trials, n_reps)
        Annual simulated bookings per rep.
    payout : ndarray, shape (n_trials, n_reps, n_components)
        Annual incentive pay per rep and result column: the plan's components,
        then ``clawback`` and ``draw`` if the plan has them (see ``components``).
    company_by_period : ndarray, shape (n_trials, n_periods)
        Company bookings per month.
    payout_by_period : ndarray, shape (n_trials, n_periods)
        Company incentive paid per month (cumulative year-to-date settlement).
    seed : dict
        ``entropy`` and ``spawn_key`` of the root seed sequence.
    book_info : dict
        ``name``, ``path``, ``currency``, ``description`` and ``source`` of the book.
    dynamics : dict of str to ndarray, shape (n_trials,)
        With a workforce, behaviour, time allocation or programmes: per trial,
        ``leavers``, ``vacant_months``, ``mean_effort``, ``pulled_forward`` (pulled
        into an earlier month inside the year and paid back by December),
        ``borrowed_from_next_year`` and ``deferred_to_next_year``. Empty when all
        are off.
    stayed : ndarray of bool, shape (n_trials, n_reps), or None
        With a workforce: True where the seat's own rep was there from January to
        December (not a planned hire, no departure).
    coached : tuple of str
        Reps a coaching programme targets.
    programme_cost : float
        What the scenario's programmes cost outside the plan (coaching, prizes).
    notes : tuple of (str, str)
        How the sales were drawn and what happened during the year (workforce,
        behaviour, programmes, time allocation), as the report prints them.
    book : Book or None
        The book the run was simulated on (the report replays last year's deals
        from it); not part of the result's equality.
    """

    scenario: Scenario
    rep_ids: tuple[str, ...]
    regions: np.ndarray
    periods: tuple[str, ...]
    quotas: Quotas
    base_salary: np.ndarray
    target_incentive: np.ndarray
    bookings: np.ndarray
    payout: np.ndarray
    company_by_period: np.ndarray
    payout_by_period: np.ndarray
    components: tuple[str, ...]
    seed: dict
    book_info: dict
    model: ProductivityModel = field(repr=False)
    dynamics: dict = field(default_factory=dict, repr=False)
    stayed: np.ndarray | None = field(default=None, repr=False)
    coached: tuple[str, ...] = ()
    programme_cost: float = 0.0
    notes: tuple[tuple[str, str], ...] = ()
    version: str = field(default_factory=package_version)
    book: Book | None = field(default=None, repr=False, compare=False)

    @property
    def n_trials(self) -> int:
        return int(self.bookings.shape[0])

    @property
    def company_target(self) -> float:
        return self.quotas.company_target

    @cached_property
    def rep_attainment(self) -> np.ndarray:
        """Annual attainment per trial and rep, shape (n_trials, n_reps)."""
        q = self.quotas.annual
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(q > 0, self.bookings / np.where(q > 0, q, 1.0), np.nan)

    @cached_property
    def trials(self) -> pd.DataFrame:
        """One row per trial with the company-level outcomes (see ``metrics``)."""
        from spm_sim.metrics import trial_metrics

        return trial_metrics(self)

    def summary(self) -> pd.DataFrame:
        """Tidy summary: metric, mean, standard error, P10/P50/P90."""
        from spm_sim.metrics import summarize

        return summarize(self)

    def rep_summary(self) -> pd.DataFrame:
        """One row per rep: quota, expected bookings, P(at quota), expected pay."""
        from spm_sim.metrics import rep_summary

        return rep_summary(self)

    @property
    def provenance(self) -> dict[str, Any]:
        """What ``attrs`` of every frame derived from this result carries."""
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "n_trials": self.n_trials,
            "spm_sim_version": self.version,
            "spec": self.scenario.model_dump(mode="json"),
        }


def simulate(
    scenario: Scenario,
    n_trials: int | None = None,
    *,
    rng: RngLike = None,
    book: Book | None = None,
    chunk_size: int = 250,
    workers: int = 1,
    executor: Executor | Any | None = None,
    progress: bool = False,
) -> SimulationResult:
    """Run the Monte Carlo of a scenario.

    Parameters
    ----------
    scenario : Scenario
    n_trials : int, optional
        Default ``scenario.trials``.
    rng : int, SeedSequence or Generator, optional
        Default ``scenario.seed``. The same value gives identical numbers whatever
        ``chunk_size``, ``workers`` or ``executor``.
    book : Book, optional
        An already loaded book (default: load ``scenario.book``).
    chunk_size : int, default 250
        Trials drawn and paid together (memory ~ chunk_size x reps x 12 x 8 bytes x 3).
    workers : int, default 1
        Processes of a local pool; 1 runs in this process.
    executor : Executor, optional
        Any object with ``submit(fn, *args)`` returning futures with ``result()``,
        e.g. a ``concurrent.futures`` pool or a ``dask.distributed.Client``.
    progress : bool, default False
        Show a tqdm progress bar over chunks.

    Returns
    -------
    SimulationResult

    Raises
    ------
    SpmSimError
        When a money figure of the run (bookings, incentive, their totals) is not
        finite: an input so large that the arithmetic overflowed. A scenario with
        ``strict: true`` also raises the book's plausibility warnings as errors
        (:func:`spm_sim.errors.strict_checks` around the whole run).

    Examples
    --------
    >>> from spm_sim import load_scenario, simulate
    >>> s = load_scenario("data/scenarios/baseline.yaml")  # doctest: +SKIP
    >>> simulate(s, 200, rng=0).summary()  # doctest: +SKIP
    """
    n = int(scenario.trials if n_trials is None else n_trials)
    if n < 1:
        raise ValueError(f"n_trials must be >= 1, got {n}.")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}.")
    with strict_checks(_strict(scenario)):
        root = seed_sequence(rng, default=scenario.seed)
        prep = prepare(scenario, book, rng=root, progress=progress)
        parts = _run_chunks(scenario, prep, root, n, chunk_size, workers, executor, progress)
    return _result(scenario, n, root, prep, parts)


def _result(
    scenario: Scenario,
    n: int,
    root: np.random.SeedSequence,
    prep: Prepared,
    parts: list[dict[str, np.ndarray]],
) -> SimulationResult:
    """Join the chunks of a run into its result, refusing any money that is not finite."""
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _check_finite(scenario, joined, prep)
    return SimulationResult(
        scenario=scenario.replace(trials=n) if n != scenario.trials else scenario,
        rep_ids=prep.model.rep_ids,
        regions=prep.regions,
        periods=prep.model.periods,
        quotas=prep.quotas,
        base_salary=prep.base_salary,
        target_incentive=prep.target_incentive,
        bookings=joined["bookings"],
        payout=joined["payout"],
        company_by_period=joined["company_by_period"],
        payout_by_period=joined["payout_by_period"],
        components=payout_columns(scenario.plan),
        seed={"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        book_info=_book_info(prep.book),
        model=prep.model,
        dynamics={
            k[4:]: v for k, v in joined.items() if k.startswith("dyn_") and k != "dyn_stayed"
        },
        stayed=joined.get("dyn_stayed"),
        coached=prep.coached,
        programme_cost=prep.programme_cost,
        notes=prep.notes,
        book=prep.book,
    )


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


def _hire_ramp(scenario: Scenario) -> tuple[float, ...]:
    """The ramp planned hires sell on (it shapes their draws): the workforce's ramp
    for the plan's role, else the default ramp. Scenarios whose hires ramp alike
    draw alike, whether the ramp is spelled out or left to the default."""
    if scenario.workforce is None:
        return DEFAULT_RAMP
    return tuple(scenario.workforce.ramp_of(scenario.plan.role or "AE"))


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
    in a fraction of the time: the sales are not drawn again and the productivity
    model is not refitted (nor are quotas already set for the same settings).

    The draws fit a scenario when everything the sales are drawn from is the same:
    the book, the plan year, the seed (when the draws took the scenario's own),
    the engine, the planned hires (and their ramp), the strictness, and, for a plan
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
    ) -> None:
        self.scenario = scenario
        self.book = book
        self.chunk_size = chunk_size
        self._root = root
        self._rng_given = rng_given
        self._book_given = book_given
        self._blocks = blocks  # [start, stop, bookings, measures, clocks or None]
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
        months x 8 bytes), any measures the plan declares and the seats' clocks.

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
            ("engine", d.engine, was.engine),
            ("quota.hires", d.quota.hires, was.quota.hires),
            (
                "the planned hires' ramp (workforce.ramp)",
                _hire_ramp(d) if d.quota.hires else None,
                _hire_ramp(was) if was.quota.hires else None,
            ),
            ("strict", d.strict, was.strict),
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
                return (
                    f"the sales were drawn for {diff}; {name} changes the sales drawn, so "
                    f"scenario {d.name!r} cannot be paid on these draws. Draw its own: "
                    "draw_sales(scenario, n_trials)."
                )
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
                start, stop, draws, measures, clocks = block
                measures = measures if measured is not None else {}
                stats: dict[str, np.ndarray] = {}
                if loop is not None:
                    if loop.workforce is not None and clocks is None:
                        clocks = block[4] = _freeze(self._clocks(start, stop, draws.shape[1]))
                    with np.errstate(over="ignore", invalid="ignore"):
                        draws, measures, stats = _through_loop(
                            loop, draws, measures, clocks, measured
                        )
                parts.append(
                    _pay_block(
                        scenario.plan,
                        prep.quotas.values,
                        prep.target_incentive,
                        draws,
                        measures,
                        stats,
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
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            with np.errstate(over="ignore", invalid="ignore"):
                draws, measures, clocks = _draw_exogenous(
                    prep.model,
                    root,
                    start,
                    stop,
                    engine=scenario.engine,
                    measured=measured,
                    mix=prep.deal_mix,
                    clocks=wf,
                )
            _freeze(draws, *measures.values(), clocks)
            blocks.append([start, stop, draws, measures, clocks])
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
    )


def _run_chunks(
    scenario: Scenario,
    prep: Prepared,
    root: np.random.SeedSequence,
    n: int,
    chunk_size: int,
    workers: int,
    executor: Executor | Any | None,
    progress: bool,
) -> list[dict[str, np.ndarray]]:
    """The chunks of trials, run here, in a local pool or on ``executor``, in order."""
    args = (prep.model, scenario.plan, prep.quotas.values, prep.target_incentive, root)
    bounds = [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]
    tail = (prep.deal_mix, prep.kernel, scenario.engine)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=scenario.name, unit="trial", leave=False)
    own_pool = None
    if executor is None and workers > 1:
        own_pool = executor = ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1))
    try:
        if executor is None:
            chunks = (_run_chunk(*args, a, b, *tail) for a, b in bounds)
        else:
            futures = [executor.submit(_run_chunk, *args, a, b, *tail) for a, b in bounds]
            chunks = (f.result() for f in futures)
        parts = []
        for (a, b), part in zip(bounds, chunks, strict=True):
            parts.append(part)
            if bar is not None:
                bar.update(b - a)
    finally:
        if own_pool is not None:
            own_pool.shutdown()
        if bar is not None:
            bar.close()
    return parts


#: The money arrays of a run checked to be finite, and what each is called.
_MONEY = {
    "bookings": "simulated annual bookings of a rep",
    "payout": "annual incentive paid to a rep",
    "company_by_period": "company bookings of a month",
    "payout_by_period": "company incentive paid in a month",
}


def _check_finite(scenario: Scenario, joined: dict[str, np.ndarray], prep: Prepared) -> None:
    """Refuse a run whose money overflowed (inf) or was undefined (NaN), naming the figure.

    Checks every money array of the run and the totals the metrics add up
    (company bookings and incentive per trial, base salaries, target incentive),
    so no inf or NaN reaches a table, a report or a payroll.
    """
    n = int(joined["bookings"].shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        totals = {
            "company bookings of a year": joined["bookings"].sum(axis=1),
            "company incentive of a year": joined["payout"].sum(axis=(1, 2)),
        }
        fixed = {
            "sum of the reps' base salaries": float(prep.base_salary.sum()),
            "sum of the reps' target incentive": float(prep.target_incentive.sum()),
        }
    where = None
    for key, label in _MONEY.items():
        bad = ~np.isfinite(joined[key].reshape(n, -1)).all(axis=1)
        if bad.any():
            where = (label, int(bad.sum()))
            break
    if where is None:
        for label, values in totals.items():
            bad = ~np.isfinite(values)
            if bad.any():
                where = (label, int(bad.sum()))
                break
    if where is None:
        for label, value in fixed.items():
            if not np.isfinite(value):
                where = (label, n)
                break
    if where is None:
        return
    label, count = where
    amounts = prep.book.bookings["amount"].to_numpy(float) if len(prep.book.bookings) else None
    largest = (
        f"largest deal amount {np.nanmax(np.abs(amounts)):.6g}, "
        if amounts is not None and amounts.size
        else ""
    )
    raise SpmSimError(
        f"scenario {scenario.name!r}: the {label} is not a finite number in {count:,} of "
        f"{n:,} trials: the money arithmetic overflowed. Inputs that set its size: "
        f"{largest}largest target incentive {np.nanmax(np.abs(prep.target_incentive)):.6g}, "
        f"largest base salary {np.nanmax(np.abs(prep.base_salary)):.6g}, and the rates of "
        f"plan {scenario.plan.name!r}; check the book's bookings.csv and reps.csv and the "
        "plan's rates for a value many orders of magnitude too large."
    )
