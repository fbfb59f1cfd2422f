"""Preparing a scenario for the Monte Carlo: the fitted model, quotas and month-loop kernel."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from spm_sim.book import Book, load_book_ref
from spm_sim.errors import ScenarioError, implausible, strict_checks
from spm_sim.parallel import ExecutorLike
from spm_sim.productivity import (
    DEFAULT_RAMP,
    POTENTIAL_PRIOR,
    TRAVEL_PRIOR,
    AlignmentSettings,
    Coaching,
    CoverageFit,
    DealMix,
    Kernel,
    ProductivityModel,
    add_planned_hires,
    book_attrition,
    build_kernel,
    check_alignment,
    check_products,
    coverage_multipliers,
    design_alignment,
    draw_bookings,
    draw_summed,
    fit_coverage,
    fit_deal_mix,
    fit_productivity,
    read_alignment,
    run_kernel_by_month,
    scale_model,
    to_month_major,
)
from spm_sim.quota import Quotas, QuotaSettings, set_quotas
from spm_sim.random import (
    RngLike,
    calibration_rng,
    reference_effort_rng,
    seed_sequence,
)
from spm_sim.scenario import Scenario

from .pairing import _engine_note, _given_engine, _strict, resolve_engine


@dataclass(frozen=True)
class Prepared:
    """What a scenario needs before drawing: the fitted model, the quotas and the engine.

    ``engine`` is the engine the sales are drawn with, ``"deals"`` or ``"summed"``:
    the scenario's, or for ``engine: auto`` the one
    :func:`spm_sim.productivity.choose_engine` picks for the book's reps (the fitted
    model before planned hires) and the plan's measures, or the one
    :func:`resolve_engines` chose for the scenarios run with it; ``engine_reason``
    says why. ``coverage`` is, for a scenario with an ``alignment``, each rep's
    territory before and after and the factor on their deal rate
    (:func:`spm_sim.productivity.coverage_multipliers`; ``model`` is already scaled
    by it), else None.
    """

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
    engine: str = "deals"
    engine_reason: str = ""
    coverage: pd.DataFrame | None = field(default=None, repr=False)


def prepare(
    scenario: Scenario,
    book: Book | None = None,
    *,
    rng: RngLike = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    engine: tuple[str, str] | None = None,
) -> Prepared:
    """Load the book (unless given), fit the productivity model, set the quotas and
    resolve the engine.

    A plan that declares measures (a product line, new logos, scores) also gets the
    reps' deal mix (:func:`spm_sim.productivity.fit_deal_mix`). ``rng`` (default
    ``scenario.seed``) is the run's root: calibrated quotas and the behaviour's
    reference effort draw from its streams ``calibration`` and ``reference_effort``
    (:data:`spm_sim.random.STREAMS`); :func:`simulate` passes its own root. The
    engine is resolved once, here (``Prepared.engine``), unless ``engine`` gives it
    (the pair :func:`resolve_engines` returns for this scenario among those run with
    it); the reference effort and calibrated quotas' simulated years draw with it.
    ``executor`` (as in :func:`simulate`; an executor already opened is used as it
    is) draws the calibration's simulated years.

    A scenario with ``strict: true`` runs under :func:`spm_sim.errors.strict_checks`:
    the book's plausibility warnings are raised as errors. ``progress`` shows a bar
    over the calibration of calibrated quotas (the slow part, when there is one).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> prep = prepare(sample_scenario("baseline"))
    >>> prep.engine, prep.quotas.values.shape
    ('summed', (80, 12))
    """
    with strict_checks(_strict(scenario)):
        return _prepare(
            scenario, book, rng=rng, progress=progress, executor=executor, engine=engine
        )


@dataclass
class _Fitted:
    """What :func:`prepare` computed for one book, plan year and root, kept by
    :class:`SalesDraws` so that paying another plan or quotas refits nothing: the
    productivity model (before planned hires), recent quotas by their settings, the
    deal mix by the reps it is for, and the behaviour's recent reference efforts
    (:func:`reference_effort`: the same for every plan lever, and most of a pay's time
    with the behaviour on) by everything they are computed from (:func:`_effort_key`).
    ``drawn_for`` is the alignment of the first scenario prepared with it (the one
    :class:`SalesDraws` drew for): an alignment scales the reps' deal rates, so
    stored sales cannot pay a scenario with another one."""

    model: ProductivityModel | None = None
    quotas: list[tuple[tuple[QuotaSettings, str, object], Quotas]] = field(default_factory=list)
    coverage: CoverageFit | None = None
    alignments: list[tuple[AlignmentSettings, pd.DataFrame]] = field(default_factory=list)
    mix: dict[tuple[str, ...], DealMix] = field(default_factory=dict)
    effort: list[tuple[tuple[object, ...], float]] = field(default_factory=list)
    drawn_for: tuple[AlignmentSettings | None, ...] = ()

    #: quota settings (and reference efforts) remembered: a planner going back and
    #: forth between a few
    keep: int = 8

    def quotas_for(
        self, settings: QuotaSettings, engine: str, alignment: object = None
    ) -> Quotas | None:
        """Quotas set before for these settings, calibrated (if they are) with the
        same engine, on the same alignment (a scenario's ``alignment`` file or
        design, None for the book's)."""
        for seen, quotas in self.quotas:
            if seen == (settings, engine, alignment):
                return quotas
        return None

    def remember(
        self, settings: QuotaSettings, engine: str, quotas: Quotas, alignment: object = None
    ) -> None:
        self.quotas = [((settings, engine, alignment), quotas), *self.quotas[: self.keep - 1]]

    def alignment_for(self, settings: AlignmentSettings) -> pd.DataFrame | None:
        """The account owners of an alignment file or design read or run before."""
        key = settings.replace(vacant=(), vacancy_productivity=None)
        for seen, frame in self.alignments:
            if seen == key:
                return frame
        return None

    def remember_alignment(self, settings: AlignmentSettings, frame: pd.DataFrame) -> None:
        key = settings.replace(vacant=(), vacancy_productivity=None)
        self.alignments = [(key, frame), *self.alignments[: self.keep - 1]]

    def effort_for(self, key: tuple[object, ...]) -> float | None:
        for seen, kappa in self.effort:
            if seen == key:
                return kappa
        return None

    def remember_effort(self, key: tuple[object, ...], kappa: float) -> None:
        self.effort = [(key, kappa), *self.effort[: self.keep - 1]]


def _prepare(
    scenario: Scenario,
    book: Book | None,
    *,
    rng: RngLike,
    fitted: _Fitted | None = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    engine: tuple[str, str] | None = None,
) -> Prepared:
    """:func:`prepare` without the strict checks around it; ``fitted`` keeps (and
    reuses) what depends only on the book, the plan year and the root; ``executor``
    draws calibrated quotas' simulated years; ``engine`` is the engine chosen with
    other scenarios (:func:`resolve_engines`), default resolved here."""
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
    if not fitted.drawn_for:
        fitted.drawn_for = (scenario.alignment,)
    elif fitted.drawn_for[0] != scenario.alignment:
        raise ScenarioError(
            "the sales were drawn for another alignment (scenario 'alignment'); an alignment "
            f"changes the reps' deal rates, so scenario {scenario.name!r} cannot be paid on "
            "these draws. Draw its own: draw_sales(scenario, n_trials)."
        )
    if fitted.model is None:
        fitted.model = fit_productivity(book, plan_year=scenario.plan_year)
    model = fitted.model
    # resolved once, on the book's reps (or given, chosen with the scenarios run with
    # this one): the trials, the reference effort and calibrated quotas draw with it
    if engine is None:
        engine_used, engine_reason = resolve_engine(scenario, model)
    else:
        engine_used, engine_reason = _given_engine(scenario, engine)
    owners, owner = _alignment_frame(scenario, book, model, fitted)
    coverage, align_note, spread = None, None, None
    if scenario.alignment is not None:
        coverage, align_note, spread = _alignment_effect(scenario, book, model, owner, fitted)
        # the book's reps sell on their new territories before the quotas are set, so
        # calibrated quotas are calibrated on what they will sell (hires: below)
        model = scale_model(model, coverage["multiplier"].to_numpy()[: model.n_reps])
    where = scenario.alignment
    quotas = fitted.quotas_for(scenario.quota, engine_used, where)
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
            executor=executor,
            engine=engine_used,
            alignment=owners,
        )
        fitted.remember(scenario.quota, engine_used, quotas, where)
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
        if coverage is not None:
            booked = len(model.rep_ids) - len(scenario.quota.hires)
            hired = coverage["multiplier"].to_numpy()[booked:]
            model = scale_model(model, np.r_[np.ones(booked), hired])
        if tuple(quotas.rep_ids) != model.rep_ids:  # pragma: no cover - an internal contract
            raise RuntimeError("quotas and the productivity model list the reps differently")
    if coverage is not None and spread is not None:
        model = _elasticity_draws(model, coverage, spread)
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
    base_salary = reps["base_salary"].to_numpy(float)
    if coverage is not None:
        # a seat vacant all year pays no one
        target_incentive = np.where(coverage["vacant"].to_numpy(), 0.0, target_incentive)
        base_salary = np.where(coverage["vacant"].to_numpy(), 0.0, base_salary)
    kernel, coached, cost, notes = _dynamics_kernel(
        scenario,
        book,
        model,
        quotas.values,
        target_incentive,
        reps["role"].astype(str),
        root,
        fitted=fitted,
        engine=(engine_used, engine_reason),
    )
    return Prepared(
        book=book,
        model=model,
        quotas=quotas,
        regions=reps["region"].astype(str).to_numpy(),
        base_salary=base_salary,
        target_incentive=target_incentive,
        deal_mix=mix,
        kernel=kernel,
        coached=coached,
        programme_cost=cost,
        notes=notes if align_note is None else (*notes, ("Alignment", align_note)),
        engine=engine_used,
        engine_reason=engine_reason,
        coverage=coverage,
    )


def _alignment_frame(
    scenario: Scenario, book: Book, model: ProductivityModel, fitted: _Fitted
) -> tuple[pd.DataFrame | None, pd.Series | None]:
    """The scenario's alignment: the rows that set account owners (for the quotas),
    and every account's rep under it (for the reps' territories), checked against the
    book and the simulated reps; ``(None, None)`` without a file or design."""
    a = scenario.alignment
    if a is None or (a.file is None and a.design is None):
        return None, None
    ids = [*model.rep_ids, *(h.rep_id for h in scenario.quota.hires)]
    frame = fitted.alignment_for(a)
    if frame is None:
        if a.file is not None:
            frame = read_alignment(a.file)
        else:
            assert a.design is not None
            frame = design_alignment(book, list(model.rep_ids), a.design)
        fitted.remember_alignment(a, frame)
    source = a.file if a.file is not None else "alignment.design"
    owner = check_alignment(frame, book, ids, vacant=a.vacant, source=source)
    return frame[["account_id", "rep_id"]], owner


def _alignment_effect(
    scenario: Scenario,
    book: Book,
    model: ProductivityModel,
    owner: pd.Series | None,
    fitted: _Fitted,
) -> tuple[pd.DataFrame, str, np.ndarray]:
    """Each simulated rep's territory under the scenario's alignment and the factor on
    their deal rate (the book's reps of ``model``, then the planned hires), the
    report's note (its expected effect on the book's reps) and how a trial draws the
    two elasticities, (2, 5) (see :func:`_elasticity`).

    A vacant seat sells ``vacancy_productivity`` of what its territory would (the
    alignment's, else the workforce's, else 0.1). ``"book"`` elasticities come from
    :func:`spm_sim.productivity.fit_coverage` (its prior where not identified)."""
    a = scenario.alignment
    assert a is not None
    ids = [*model.rep_ids, *(h.rep_id for h in scenario.quota.hires)]
    unknown = [r for r in a.vacant if r not in ids]
    if unknown:
        raise ScenarioError(
            f"scenario {scenario.name!r}: alignment.vacant names {unknown[0]!r}, which is not a "
            f"simulated rep ({len(ids)} reps of {scenario.plan_year}, e.g. "
            f"{', '.join(ids[:3])}); name the seat by the rep_id of the rep who holds it now"
        )
    fit = None
    if "book" in (a.potential_elasticity, a.travel_elasticity):
        if fitted.coverage is None:
            fitted.coverage = fit_coverage(book, scenario.plan_year)
        fit = fitted.coverage
    pot, pot_range, pot_src, pot_spread = _elasticity(
        a.potential_elasticity, fit, "potential", POTENTIAL_PRIOR, (0.0, 1.0)
    )
    trv, trv_range, trv_src, trv_spread = _elasticity(
        a.travel_elasticity, fit, "travel", TRAVEL_PRIOR, (-0.5, 0.1)
    )
    vac = a.vacancy_productivity
    if vac is None:
        vac = scenario.workforce.vacancy_productivity if scenario.workforce is not None else 0.1
    owner = owner if owner is not None else book.accounts["rep_id"]

    cov = coverage_multipliers(
        book,
        ids,
        owner,
        potential_elasticity=pot,
        travel_elasticity=trv,
        vacant=a.vacant,
        vacancy_productivity=vac,
    )
    expected = np.r_[model.expected_bookings().sum(axis=1), np.zeros(len(ids) - model.n_reps)]
    total = float(expected.sum())
    r_pot, r_trv = cov["potential_ratio"].to_numpy(), cov["travel_ratio"].to_numpy()
    vac_factor = np.where(cov["vacant"].to_numpy(), vac, 1.0)

    def effect(p: float, t: float) -> float:
        return float((expected * r_pot**p * r_trv**t * vac_factor).sum()) / total - 1.0

    ends = [effect(p, t) for p in pot_range for t in trv_range]
    moved = int((owner.astype(str) != book.accounts["rep_id"].astype(str)).sum())
    where = (
        f"accounts from {Path(a.file).name}"
        if a.file is not None
        else ("accounts by a design run now" if a.design is not None else "the book's accounts")
    )
    m = cov["multiplier"][~cov["vacant"]]
    note = (
        f"{where}: {moved:,} of {len(owner):,} accounts change rep; deal rates follow "
        f"territory potential with elasticity {pot:.2f} ({pot_src}) and travel with "
        f"{trv:.2f} ({trv_src}); reps' factors {m.min():.2f} to {m.max():.2f}; expected "
        f"bookings {effect(pot, trv):+.1%} against the current alignment "
        f"({min(ends):+.1%} to {max(ends):+.1%} over the elasticities' ranges)"
    )
    spread = np.array([pot_spread, trv_spread], dtype=float)
    drawn = [
        name
        for name, row, ratio in zip(("potential", "travel"), spread, (r_pot, r_trv), strict=True)
        if (row[2] > 0 or row[3] < row[4]) and (ratio != 1.0).any()
    ]
    if drawn:
        mean, p10, p90 = (
            v / total - 1.0 for v in _effect_spread(spread, expected * vac_factor, r_pot, r_trv)
        )
        note += (
            f"; each simulated year draws its own {' and '.join(drawn)} elasticit"
            f"{'ies' if len(drawn) > 1 else 'y'} (a book estimate with its SE and its "
            "restriction, a prior over its range), so the simulated years' sales effect "
            "spreads with that uncertainty as well as with the year's luck: from the "
            f"elasticities alone expected bookings move {mean:+.1%} on average, "
            f"{p10:+.1%} to {p90:+.1%} (P10 to P90)"
            + (
                ", above the estimates' figure as a travel estimate at its bound of 0 "
                "can only be lower"
                if mean > effect(pot, trv) + 0.0005 and spread[1, 0] == 0 and "travel" in drawn
                else ""
            )
            + "; the mean's interval averages over it"
        )
    else:
        note += (
            "; the elasticities are fixed: the intervals of the sales effect hold the "
            "simulation's error only"
        )
    if a.vacant:
        note += (
            f"; {len(a.vacant)} seat(s) vacant all year ({', '.join(a.vacant)}), selling "
            f"{vac:.0%} of their territory's rate and paying no one"
        )
    return cov, note, spread


def _elasticity_draws(
    model: ProductivityModel, coverage: pd.DataFrame, spread: np.ndarray
) -> ProductivityModel:
    """``model`` with each trial drawing its own territory elasticities
    (:attr:`~spm_sim.productivity.ProductivityModel.elasticity_spread`), where an
    uncertain elasticity meets a territory that changes; else ``model`` itself, so the
    current alignment or given elasticities draw bit for bit as without."""
    logs = np.log(coverage[["potential_ratio", "travel_ratio"]].to_numpy(float).T)
    uncertain = (spread[:, 2] > 0) | (spread[:, 3] < spread[:, 4])
    if logs.shape != (2, model.n_reps):  # pragma: no cover - an internal contract
        raise RuntimeError("the alignment's factors and the model list the reps differently")
    if not (uncertain[:, None] & (logs != 0)).any():
        return model
    return dataclasses.replace(model, elasticity_log_ratio=logs, elasticity_spread=spread)


def _elasticity(
    given: float | str,
    fit: CoverageFit | None,
    name: str,
    prior: tuple[float, float, float],
    plausible: tuple[float, float],
) -> tuple[float, tuple[float, float], str, tuple[float, float, float, float, float]]:
    """An elasticity, the range its effect is shown over, where it came from, and how
    a trial draws it, ``(point, centre, se, low, high)``
    (:attr:`~spm_sim.productivity.ProductivityModel.elasticity_spread`): a given
    number is fixed, a book estimate normal with its SE (travel censored at 0 as its
    estimate is), a prior uniform over its range."""
    if given != "book":
        value = float(given)
        if not plausible[0] <= value <= plausible[1]:
            implausible(
                f"alignment.{name}_elasticity {value:g} is outside {plausible[0]:g} to "
                f"{plausible[1]:g}: a 10% change in the territory's {name} would move its "
                f"deals by {abs(1.1**value - 1):.0%}; the book's estimate "
                "(spm_sim.productivity.fit_coverage) is a safer start",
                value=value,
            )
        return value, (value, value), "given", (value, value, 0.0, value, value)
    assert fit is not None
    if name == "potential":
        est, se = fit.potential_elasticity, fit.potential_se
    else:
        est, se = fit.travel_elasticity, fit.travel_se
    if fit.identified.get(name):
        low, high = est - 1.645 * se, est + 1.645 * se
        if name == "travel":  # the sign restriction: more travel never brings more deals
            low, high = min(low, 0.0), min(high, 0.0)
        cut = fit.travel_unrestricted if name == "travel" else est
        src = f"from the book, SE {se:.2f}" + (
            f", {cut:+.2f} before its sign restriction" if cut > est else ""
        )
        # a trial's draw: the unrestricted estimate with its SE, restricted as it is
        top = 0.0 if name == "travel" else np.inf
        centre = cut if name == "travel" and np.isfinite(cut) else est
        se_used = se if np.isfinite(se) else 0.0
        return est, (low, high), src, (est, centre, se_used, -np.inf, top)
    return (
        prior[0],
        (prior[1], prior[2]),
        "prior: the book cannot identify it",
        (prior[0], prior[0], 0.0, prior[1], prior[2]),
    )


def _effect_spread(
    spread: np.ndarray, expected: np.ndarray, r_pot: np.ndarray, r_trv: np.ndarray
) -> tuple[float, float, float]:
    """Expected bookings ``sum_r e_r r_pot^a r_trv^b`` over the two elasticities as a
    trial draws them (:attr:`ProductivityModel.elasticity_spread`): their mean, P10
    and P90. On a grid of 200 equally likely values of each elasticity (the
    normal's or the prior range's quantiles at (i + 1/2) / 200, restricted after; a
    fixed one its point), so no random draw is needed."""
    u = (np.arange(200) + 0.5) / 200

    def grid(row: np.ndarray) -> np.ndarray:
        point, centre, se, low, high = (float(x) for x in row)
        if se > 0:
            return np.clip(centre + se * ndtri(u), low, high)
        if low < high:
            return low + (high - low) * u
        return np.array([point])

    a, b = grid(spread[0]), grid(spread[1])
    log_p, log_t = np.log(r_pot), np.log(r_trv)
    values = (np.exp(a[:, None, None] * log_p + b[None, :, None] * log_t) @ expected).ravel()
    p10, p90 = np.quantile(values, [0.1, 0.9])
    return float(values.mean()), float(p10), float(p90)


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


def _dynamics_kernel(
    scenario, book, model, quotas, target_incentive, roles, root=None, *, fitted=None, engine
):
    """The month loop's inputs when the scenario turns any dynamics on, else None.

    Returns ``(kernel, coached rep ids, programme cost, notes)``; the notes say how
    the sales were drawn and what happens during the year, as the report prints them.
    ``fitted`` (a :class:`_Fitted`) keeps the behaviour's reference effort between
    calls with the same inputs (:func:`_effort_key`); ``engine`` is the run's engine
    and the reason for it (:func:`resolve_engine`).
    """
    s = scenario
    prog = s.programmes
    notes = [("Sales draws", _engine_note(s, *engine))]
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
        key = _effort_key(s, quotas, target_incentive, root, engine[0])
        known = fitted.effort_for(key) if fitted is not None else None
        if known is None:
            scale = reference_effort(s, model, quotas, target_incentive, rng=root, engine=engine[0])
            if fitted is not None:
                fitted.remember_effort(key, scale)
        else:
            scale = known
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
        ratchet=s.years.quota_rule.ratchet_weights() if s.years is not None else None,
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
    scenario: Scenario,
    model: ProductivityModel,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    n_trials: int = 1000,
    *,
    rng: RngLike = None,
    engine: str | None = None,
) -> float:
    """The effort scale ``kappa`` of the behaviour's reference plan.

    The scale ``kappa`` that makes the reference plan, with effort divided by it,
    book the exogenous bookings on average, company-wide: over ``n_trials`` draws of
    the run's engine on a stream of their own (stream ``reference_effort`` of the
    run's root ``rng``, default ``scenario.seed``),
    with the scenario's quotas and effort only (no timing). Effort depends on the
    bookings so far, which depend on ``kappa``, so ``kappa`` is found by three
    fixed-point steps ``kappa <- kappa x (bookings with effort / exogenous)``.

    ``engine`` (``"deals"`` or ``"summed"``) is the run's engine; default: the
    scenario's, ``auto`` resolved on ``model``'s reps (:func:`resolve_engine`; a
    model with planned hires is judged on its book's reps).
    """
    beh = scenario.behaviour
    if beh is None or beh.reference_plan is None:
        raise ScenarioError(
            f"reference_effort: scenario {scenario.name!r} has no behaviour with a reference "
            "plan; set behaviour.reference_plan (or turn the behaviour on) first."
        )
    if engine is None:
        hires = len(model.fit.get("planned_hires", ()))
        engine = resolve_engine(scenario, model.take_reps(slice(0, model.n_reps - hires)))[0]
    draw = draw_summed if engine == "summed" else draw_bookings
    only_effort = beh.replace(pull_forward=0.0, push_out=0.0)
    gen = reference_effort_rng(seed_sequence(rng, default=scenario.seed))
    draws = to_month_major(np.stack([draw(model, gen) for _ in range(n_trials)]))
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


def _effort_key(
    scenario: Scenario,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence | None,
    engine: str,
) -> tuple[object, ...]:
    """Everything :func:`reference_effort` reads besides the fitted model of a
    :class:`_Fitted` (one book, plan year and root): the behaviour as the reference
    plan runs it (timing off, its reference plan included), the quota settings and
    the planned hires' ramp (which shape the model's planned hires), the quotas and
    target incentives themselves (a planned hire's target follows the plan's role),
    the root's entropy and spawn key (``scenario.seed`` without one) and the engine
    its draws use. The plan paid and its levers are not in it: the reference effort
    does not read them."""
    beh = scenario.behaviour
    assert beh is not None
    seq = root if root is not None else seed_sequence(None, default=scenario.seed)
    return (
        beh.replace(pull_forward=0.0, push_out=0.0),
        scenario.quota,
        _hire_ramp(scenario),
        np.asarray(quotas, dtype=float).tobytes(),
        np.asarray(target_incentive, dtype=float).tobytes(),
        repr(seq.entropy),
        tuple(seq.spawn_key),
        engine,
    )


def _hire_ramp(scenario: Scenario) -> tuple[float, ...]:
    """The ramp planned hires sell on (it shapes their draws): the workforce's ramp
    for the plan's role, else the default ramp. Scenarios whose hires ramp alike
    draw alike, whether the ramp is spelled out or left to the default."""
    if scenario.workforce is None:
        return DEFAULT_RAMP
    return tuple(scenario.workforce.ramp_of(scenario.plan.role or "AE"))
