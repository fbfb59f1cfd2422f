"""Scenario specs: which book, which quotas, which plan, how many trials, which seed.

A scenario is a YAML file (see ``data/scenarios/``)::

    name: Baseline 2026
    book: ../sample              # a folder, relative to this file; or "sample"
    plan: ../plans/baseline.yaml # a plan file, relative to this file, or the plan inline
    plan_year: 2026
    quota: {method: history, growth: 0.08, over_assignment: 0.05}
    trials: 2000
    seed: 20260101
    strict: false                # true: plausibility warnings stop the run as errors

Scenarios that differ only in ``plan`` or ``quota`` and share ``book``, ``plan_year``
and ``seed`` see the same simulated bookings trial by trial (common random numbers),
so their differences are measured without sampling noise from the sales draws.
With ``workforce``, ``behaviour``, ``time_allocation`` or ``programmes`` (see
:mod:`spm_sim.productivity`) the exogenous draws and the seats' attrition clocks are
still shared, so a programme's or a plan's effect is a paired difference too; the
engine the draws use (``engine``: ``auto``, the default, ``deals`` or ``summed``; ``auto``
resolves to one of the other two) must match for the draws to be shared.

A scenario checks itself when it is built: :func:`load_scenario` and
:meth:`Scenario.replace` raise :class:`~spm_sim.errors.ScenarioError` naming the file
(or the scenario) and the field when its parts do not fit together (see
:class:`Scenario`). What can only be checked against the book (the reps' roles,
coached rep ids) is checked when the scenario is simulated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from spm_sim._spec import Spec, load_spec, read_yaml
from spm_sim.book import SAMPLE_BOOK
from spm_sim.comp import Plan, load_plan
from spm_sim.errors import PlanError, ScenarioError, SpecError, strict_checks
from spm_sim.productivity import (
    AlignmentSettings,
    Behaviour,
    Programmes,
    TimeAllocation,
    Workforce,
)
from spm_sim.quota import QuotaSettings, Years

__all__ = [
    "sample_plans",
    "SAMPLE_PLANS",
    "Scenario",
    "load_scenario",
    "sample_scenario",
    "SAMPLE_BOOK",
    "SAMPLE_SCENARIOS",
]

#: Folder of the sample scenarios, shipped with the source repository.
SAMPLE_SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
#: Folder of the sample plans.
SAMPLE_PLANS = SAMPLE_SCENARIOS.parent / "plans"


class Scenario(Spec):
    """One planning scenario (frozen; build what-ifs with :meth:`replace`).

    Parameters
    ----------
    name : str
        Shown in reports.
    description : str
        One or two sentences for the report's assumptions section.
    book : str
        Folder of the book (absolute once loaded from a file), or ``"sample"``.
    plan : Plan
        The compensation plan.
    plan_year : int
        Calendar year simulated; history before it is used to fit and set quotas.
    quota : QuotaSettings
        How quotas are set.
    trials : int
        Monte Carlo trials.
    seed : int
        Seed of the random streams; trial ``i`` uses stream ``(seed, i)``.
    workforce : Workforce, optional
        Attrition, vacancies, backfill and ramp during the year (off when absent:
        every rep stays all year).
    behaviour : Behaviour, optional
        The reps' response to the plan (off when absent: exogenous sales).
    time_allocation : TimeAllocation, optional
        Selling and prospecting shares of the reps' hours against the history's.
    programmes : Programmes, optional
        A coaching programme and a contest or SPIFF response.
    capacity_factor : float or list of 12 float, optional
        Multiplier of every rep's bookings (one for the year, or one per month):
        what queueing costs in conversion, from a capacity simulation
        (``spm_sim.capacity.handoff``; ``spm-sim capacity`` prints it).
    alignment : AlignmentSettings, optional
        Who owns which accounts in the plan year (an alignment file, or design
        settings run when the scenario is prepared) and vacant seats; each rep's
        deal rate follows the potential of their accounts and the travel to them
        (:func:`spm_sim.productivity.fit_coverage`). Off when absent: the book's
        current alignment, no effect on sales.
    years : Years, optional
        Several plan years from ``plan_year`` (``count``), each year's quotas set from
        the year before by a quota rule (a ratchet on the year's result, fixed growth
        or a quota method), people and deals carried over
        (:func:`spm_sim.simulate.simulate_years`). Off when absent: one plan year.
    engine : {"auto", "deals", "summed"}, default "auto"
        How the sales are drawn. ``deals`` draws every deal; ``summed`` draws each
        rep-month's total at once from three numbers (its largest deal exactly, the
        others by their moments), several times faster when reps close several
        deals a month. ``auto`` (the default) picks one from the book's fitted model
        when the scenario is prepared (:func:`spm_sim.productivity.choose_engine`;
        docs/model.md 7.6): ``summed`` where its distribution matches the deals
        engine's (deal sizes' log-sd at least 1 and at least 2.5 deals expected in
        a rep-month: the sample book), ``deals`` for a plan that pays on measures of
        single deals (products, new logos, deal counts, scores), for similar deal
        sizes and for few deals a month. A result records the engine used
        (``SimulationResult.engine``) and its report says why.
    strict : bool, default False
        Plausibility warnings are errors: a value the checks find possible but
        unlikely (a deal dated before its rep's hire date, an amount 1,000 times the
        book's median, a rep on quota who sold nothing; ``docs/data-format.md``)
        stops the run with the warning's located message as the error, as
        ``--strict`` does on the command line.

    Notes
    -----
    Besides each field's own rules, the parts must fit together; each check names
    the field it fails on:

    * ``quota``: planned hires start, and moves happen, inside ``plan_year``;
    * ``behaviour``: a ``reference_plan`` with a role is for the plan's role;
    * ``programmes``: a contest response needs a plan that pays a ``spiff`` or
      ``contest`` component, or a ``cost`` outside the plan; a coached planned hire
      starts before the coaching ends;
    * ``engine``: ``summed`` only with a plan without ``measures`` (those are paid
      on single deals, which ``summed`` does not draw; ``auto`` then picks ``deals``).

    Checks against the book (the reps' roles, coached rep ids, who is employed when)
    run when the scenario is prepared (:func:`spm_sim.simulate.prepare`).

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> s = Scenario(name="A", plan=standard_plan(), plan_year=2026)
    >>> s.replace(trials=500).trials
    500
    >>> s.replace(trials=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.ScenarioError: scenario 'A': 1 problem(s) in this scenario spec:
      - trials: Input should be greater than or equal to 1 (got 0)
    """

    _error: ClassVar[type[SpecError]] = ScenarioError

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    book: str = SAMPLE_BOOK
    plan: Plan
    plan_year: int = Field(ge=1900, le=2200)
    quota: QuotaSettings = QuotaSettings()
    trials: int = Field(2000, ge=1, le=10_000_000)
    seed: int = Field(0, ge=0, lt=2**63)
    workforce: Workforce | None = None
    behaviour: Behaviour | None = None
    time_allocation: TimeAllocation | None = None
    programmes: Programmes | None = None
    capacity_factor: (
        Annotated[float, Field(gt=0.0, le=2.0, allow_inf_nan=False)]
        | tuple[Annotated[float, Field(gt=0.0, le=2.0, allow_inf_nan=False)], ...]
        | None
    ) = None
    alignment: AlignmentSettings | None = None
    years: Years | None = None
    engine: Literal["deals", "summed", "auto"] = "auto"
    strict: bool = False

    @field_validator("capacity_factor")
    @classmethod
    def _twelve(cls, v):
        if isinstance(v, tuple) and len(v) != 12:
            raise ValueError(f"give one factor for the year or 12, January first; got {len(v)}")
        return v

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name must not be blank")
        return v.strip()

    # The cross-checks below are field validators that read the fields declared
    # before theirs (``info.data``), so a problem is reported at its own field. A
    # field missing from ``info.data`` failed its own check and is reported already.

    @field_validator("quota")
    @classmethod
    def _dates_in_plan_year(cls, quota: QuotaSettings, info: ValidationInfo) -> QuotaSettings:
        year = info.data.get("plan_year")
        if year is None:
            return quota
        dated = [(f"hires[{i}] ({h.rep_id}) start", h.start) for i, h in enumerate(quota.hires)]
        dated += [(f"moves[{i}] ({m.rep_id}) date", m.date) for i, m in enumerate(quota.moves)]
        for where, day in dated:
            if day.year != year:
                raise ValueError(
                    f"{where} {day.isoformat()} is outside plan year {year} ({year}-01-01 to "
                    f"{year}-12-31); give a date in the plan year"
                )
        return quota

    @field_validator("behaviour")
    @classmethod
    def _reference_role(cls, beh: Behaviour | None, info: ValidationInfo) -> Behaviour | None:
        plan = info.data.get("plan")
        ref = beh.reference_plan if beh is not None else None
        if plan is None or ref is None or ref.role is None or plan.role is None:
            return beh
        if ref.role != plan.role:
            raise ValueError(
                f"reference_plan {ref.name!r} is for role {ref.role!r}, the scenario's plan "
                f"{plan.name!r} for {plan.role!r}; give the plan the {plan.role} reps' history "
                "was earned under"
            )
        return beh

    @field_validator("programmes")
    @classmethod
    def _programmes_fit(cls, prog: Programmes | None, info: ValidationInfo) -> Programmes | None:
        plan = info.data.get("plan")
        if prog is None or plan is None:
            return prog
        c = prog.contest
        if c is not None and c.cost == 0:
            if not any(getattr(x, "type", "") in ("spiff", "contest") for x in plan.components):
                raise ValueError(
                    "contest models how reps respond to a contest or SPIFF, but plan "
                    f"{plan.name!r} pays none and programmes.contest.cost is 0, so the response "
                    "would come free. Add a spiff or contest component to the plan (see "
                    "data/plans/q4_spiff.yaml), or set programmes.contest.cost to what it pays "
                    "outside the plan"
                )
        coaching, quota, year = prog.coaching, info.data.get("quota"), info.data.get("plan_year")
        if coaching is not None and coaching.reps and quota is not None and year is not None:
            # a planned hire is known from the scenario alone; the book's reps (left,
            # not yet hired) are checked against the book when the scenario is prepared
            end = (year, coaching.end_month)
            for i, h in enumerate(quota.hires):
                if h.rep_id in coaching.reps and (h.start.year, h.start.month) > end:
                    raise ValueError(
                        f"coaching.reps names {h.rep_id!r}, who is not employed in months "
                        f"{coaching.start_month}-{coaching.end_month} of the coaching: a "
                        f"planned hire (quota.hires[{i}]) starting {h.start.isoformat()}; move "
                        "the programme's months or coach someone else"
                    )
        return prog

    @field_validator("engine")
    @classmethod
    def _engine_draws_measures(cls, engine: str, info: ValidationInfo) -> str:
        plan = info.data.get("plan")
        if engine == "summed" and plan is not None and plan.measures:
            raise ValueError(
                "'summed' draws each rep-month's total, not its deals, and plan "
                f"{plan.name!r} pays on measures of single deals "
                f"({', '.join(m.name for m in plan.measures)}); use engine: deals (or auto, the "
                "default, which picks deals for it)"
            )
        return engine

    def _label(self) -> str:
        # how replace() names the scenario in its messages
        return f"scenario {self.name!r}"

    def replace(self, **changes: Any) -> Scenario:
        """A copy with ``changes`` applied, validated again (cross-checks included);
        a bad value raises :class:`~spm_sim.errors.ScenarioError` naming the field."""
        return super().replace(**changes)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario YAML file, resolving ``book`` and ``plan`` relative to it.

    Raises
    ------
    ScenarioError
        If the file or a field is invalid (the message names the file and field).
    PlanError
        If the plan file it names is invalid (the message names the plan file).
    """
    path = Path(path)
    data = read_yaml(path, error=ScenarioError)
    # ``strict: true`` holds for the plans and files the scenario names, read below
    with strict_checks(data.get("strict") is True):
        return _resolve(path, data)


def _resolve(path: Path, data: dict[str, Any]) -> Scenario:
    """The scenario of ``data`` (read from ``path``), its files resolved and loaded."""
    base = path.resolve().parent
    book = data.get("book", SAMPLE_BOOK)
    if isinstance(book, str) and book != SAMPLE_BOOK:
        resolved = (base / book).resolve()
        if not resolved.is_dir():
            raise ScenarioError(
                f"{path}: field 'book': folder {book!r} (resolved to {resolved}) does not exist. "
                f"Give a folder relative to the scenario file, or '{SAMPLE_BOOK}'."
            )
        data["book"] = str(resolved)

    def file(field: str, value: str, hint: str) -> Path:
        resolved = (base / value).resolve()
        if not resolved.is_file():
            raise ScenarioError(
                f"{path}: field {field!r}: file {value!r} (resolved to {resolved}) does not "
                f"exist. {hint}"
            )
        return resolved

    quota = data.get("quota")
    hint = "Give a CSV relative to the scenario file."
    if isinstance(quota, dict) and isinstance(quota.get("targets"), str):
        data["quota"] = {**quota, "targets": str(file("quota.targets", quota["targets"], hint))}
    options = quota.get("options") if isinstance(quota, dict) else None
    if isinstance(options, dict) and isinstance(options.get("targets"), str):
        where = file("quota.options.targets", options["targets"], hint)
        data["quota"] = {**data["quota"], "options": {**options, "targets": str(where)}}
    behaviour = data.get("behaviour")
    if isinstance(behaviour, dict) and isinstance(behaviour.get("reference_plan"), str):
        hint = "Give the plan the history was earned under, relative to the scenario file."
        ref = file("behaviour.reference_plan", behaviour["reference_plan"], hint)
        data["behaviour"] = {**behaviour, "reference_plan": load_plan(ref)}
    alignment = data.get("alignment")
    if isinstance(alignment, dict) and isinstance(alignment.get("file"), str):
        hint = "Give the alignment CSV (account_id, rep_id) relative to the scenario file."
        where = file("alignment.file", alignment["file"], hint)
        data["alignment"] = {**alignment, "file": str(where)}
    plan = data.get("plan")
    if isinstance(plan, str):
        hint = "Give a plan YAML file relative to the scenario file, or write the plan inline."
        data["plan"] = load_plan(file("plan", plan, hint))
    elif isinstance(plan, dict):
        try:
            data["plan"] = load_plan(plan)
        except PlanError as exc:
            raise ScenarioError(f"{path}: field 'plan' (inline): {exc}") from None
    return load_spec(Scenario, data, error=ScenarioError, where=str(path))


def sample_scenario(name: str = "baseline") -> Scenario:
    """Load one of the sample scenarios in ``data/scenarios/`` by name.

    Examples
    --------
    >>> sample_scenario("baseline").plan_year
    2026
    """
    path = SAMPLE_SCENARIOS / f"{name}.yaml"
    if not path.is_file():
        have = (
            sorted(p.stem for p in SAMPLE_SCENARIOS.glob("*.yaml"))
            if SAMPLE_SCENARIOS.is_dir()
            else []
        )
        raise ScenarioError(
            f"no sample scenario named {name!r} in {SAMPLE_SCENARIOS}."
            + (
                f" Available: {', '.join(have)}."
                if have
                else " The samples ship with the source repository."
            )
        )
    return load_scenario(path)


def sample_plans() -> dict[str, Plan]:
    """The sample plans of ``data/plans/``, by plan name, in file-name order.

    Examples
    --------
    >>> "Baseline 2026 AE plan" in sample_plans()
    True
    """
    files = sorted(SAMPLE_PLANS.glob("*.yaml")) if SAMPLE_PLANS.is_dir() else []
    plans = [load_plan(f) for f in files]
    return {p.name: p for p in plans}
