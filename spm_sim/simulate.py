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

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._provenance import package_version
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import Plan, payout, payout_columns
from spm_sim.errors import ScenarioError, SpmSimError, strict_checks
from spm_sim.productivity import (
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
from spm_sim.quota import Quotas, set_quotas
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


def prepare(scenario: Scenario, book: Book | None = None, *, rng: RngLike = None) -> Prepared:
    """Load the book (unless given), fit the productivity model and set the quotas.

    A plan that declares measures (a product line, new logos, scores) also gets the
    reps' deal mix (:func:`spm_sim.productivity.fit_deal_mix`). ``rng`` (default
    ``scenario.seed``) is the run's root: calibrated quotas and the behaviour's
    reference effort draw from its streams ``calibration`` and ``reference_effort``
    (:data:`spm_sim.random.STREAMS`); :func:`simulate` passes its own root.

    A scenario with ``strict: true`` runs under :func:`spm_sim.errors.strict_checks`:
    the book's plausibility warnings are raised as errors.
    """
    with strict_checks(_strict(scenario)):
        return _prepare(scenario, book, rng=rng)


def _strict(scenario: Scenario) -> bool:
    """Whether the scenario asks for plausibility warnings to be raised as errors."""
    return bool(getattr(scenario, "strict", False))


def _prepare(scenario: Scenario, book: Book | None, *, rng: RngLike) -> Prepared:
    """:func:`prepare` without the strict checks around it."""
    root = seed_sequence(rng, default=scenario.seed)
    book = book if book is not None else load_book_ref(scenario.book)
    if scenario.plan.currency != book.currency:
        raise ScenarioError(
            f"scenario {scenario.name!r}: plan {scenario.plan.name!r} pays in "
            f"{scenario.plan.currency} but book {book.name!r} is in {book.currency}; every "
            "amount would be shown in the wrong currency. Set the plan's currency to the "
            "book's (converting its money amounts), or use a book in the plan's currency."
        )
    model = fit_productivity(book, plan_year=scenario.plan_year)
    # the calibration draws from its own stream, never the trials' (no in-sample fit)
    quotas = set_quotas(
        book,
        plan_year=scenario.plan_year,
        settings=scenario.quota,
        rep_ids=model.rep_ids,
        model=model,
        rng=calibration_rng(root),
    )
    reps = book.reps.set_index(book.reps["rep_id"].astype(str)).loc[list(model.rep_ids)]
    if scenario.quota.hires:
        # planned hires (quota.hires) sell at the team's prior from their start date
        role = scenario.plan.role or "AE"
        ramp = scenario.workforce.ramp_of(role) if scenario.workforce is not None else None
        model = add_planned_hires(
            model,
            scenario.quota.hires,
            plan_year=scenario.plan_year,
            **({"ramp": ramp} if ramp is not None else {}),
        )
        reps = pd.concat([reps, _planned_rep_rows(scenario, reps)])
        if tuple(quotas.rep_ids) != model.rep_ids:  # pragma: no cover - an internal contract
            raise RuntimeError("quotas and the productivity model list the reps differently")
    mix = None
    if scenario.plan.measures:
        mix = fit_deal_mix(book, model.rep_ids, plan_year=scenario.plan_year)
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
    pipe = getattr(book, "pipeline", None)
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
    shape = (model.n_reps, model.n_periods)
    n = stop - start
    loop = kernel if kernel is not None and kernel.on else None  # the month loop, if on
    dynamic = loop is not None
    declared = plan.measures if plan is not None else ()
    # the month loop reads month-major arrays; without it, trial-major is what
    # the payout takes
    draws = np.empty((model.n_periods, n, model.n_reps) if dynamic else (n, *shape))
    measures = {m.name: np.empty((n, *shape)) for m in declared}
    wf = kernel is not None and kernel.workforce is not None
    clocks = np.empty((n, model.n_reps, 4)) if wf else None
    measured = plan if measures else None  # the plan whose measures are drawn
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
        if dynamic:
            draws[:, k, :] = one.T
        else:
            draws[k] = one
        if clocks is not None:
            clocks[k] = workforce_clocks(workforce_rng(root, trial), model.n_reps)
    stats: dict[str, np.ndarray] = {}
    if loop is not None:
        moved, stats = run_kernel_by_month(loop, draws, clocks)
        exogenous, draws = to_trial_major(draws), to_trial_major(moved)
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
        prep = prepare(scenario, book, rng=root)
        parts = _run_chunks(scenario, prep, root, n, chunk_size, workers, executor, progress)
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
