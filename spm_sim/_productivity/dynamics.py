"""What happens to the sales force during the year: people, time, behaviour, programmes.

The productivity model (:mod:`spm_sim.productivity`) draws what each rep would sell
left alone: the *exogenous* bookings. The settings here change those draws month
by month inside every trial, in this order:

* :class:`Workforce`: reps leave (a monthly hazard from an annual attrition rate,
  higher for reps far behind their quota pace); the seat stays vacant for the
  backfill lag and sells a little; the new hire ramps (by role);
* :class:`TimeAllocation`: the share of hours spent selling, prospecting and on
  admin; selling time moves the win rate at once, prospecting time moves the
  opportunities created and shows in wins after the sales cycle;
* :class:`Behaviour`: the reps' response to the plan: effort follows the marginal
  pay at the rep's projected attainment, deals move across period ends to clear a
  threshold or to escape a cap, and effort drops when quota is out of reach;
* :class:`Programmes`: a coaching programme and a contest or SPIFF response.

Every setting is off unless the scenario names it, so a scenario without them
draws exactly the exogenous bookings. Each is a frozen spec (:class:`spm_sim._spec.Spec`)
with located error messages, changed with ``.replace(...)``, which validates again;
a scenario file names them at the top level::

    workforce: {attrition: 0.25, backfill_lag_months: 3}
    behaviour: {effort_elasticity: 0.2}
    time_allocation: {selling: 0.35, prospecting: 0.2}
    programmes:
      coaching: {bottom_share: 0.25, uplift: 0.08, time_cost: 0.03, cost_per_rep: 4000}
      contest: {start_month: 10, end_month: 12, uplift: 0.06, pull_forward: 0.1, cost: 20000}

The equations, defaults and their sources are in ``docs/model.md`` (section 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from spm_sim._spec import Share, Spec
from spm_sim.comp import Plan

from .model import DEFAULT_RAMP

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = [
    "Workforce",
    "TimeAllocation",
    "Behaviour",
    "Coaching",
    "ContestResponse",
    "Programmes",
    "monthly_hazard",
    "book_attrition",
    "ROLE_RAMPS",
]

_Month = Annotated[int, Field(ge=1, le=12)]

#: New-hire ramp by role, productivity per quarter of tenure. AE: the model's
#: default (25/50/75/100% by quarter: full productivity from month 10, half of it on
#: average over the first six months), against a median AE ramp of about 5 months in
#: Bridge Group (2024), a judgement that errs long; SDR: about 3 months (Bridge Group
#: 2024), as 50% in the first quarter, then 100%.
ROLE_RAMPS: dict[str, tuple[float, ...]] = {"AE": DEFAULT_RAMP, "SDR": (0.5, 1.0)}


def monthly_hazard(annual: float) -> float:
    """Monthly leaving probability from an annual attrition rate.

    ``h = 1 - (1 - A)^(1/12)``, so twelve months of survival give ``1 - A``.

    Examples
    --------
    >>> round(monthly_hazard(0.25), 5)
    0.02369
    """
    return float(1.0 - (1.0 - annual) ** (1.0 / 12.0))


#: Prior of :func:`book_attrition`: 25% a year, worth this many rep-years of history.
PRIOR_ATTRITION, PRIOR_REP_YEARS = 0.25, 2.0


def book_attrition(book: Book, plan_year: int, years: int = 3) -> dict:
    """Annual attrition estimated from a book's hire and term dates.

    Over the ``years`` calendar years before ``plan_year``: leavers ``n`` (reps
    whose ``term_date`` falls inside) over exposure ``E`` in rep-months (days
    employed inside / 30.44). The monthly hazard is ``(n + a0) / (E + b0)`` with a
    prior of ``PRIOR_ATTRITION`` a year worth ``PRIOR_REP_YEARS`` rep-years
    (``b0 = 12 x 2`` rep-months, ``a0 = b0 x`` its monthly hazard); the annual rate
    is ``1 - (1 - h)^12``.

    Returns
    -------
    dict
        ``attrition`` (annual), ``leavers``, ``rep_years``, ``first_year``,
        ``last_year``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> est = book_attrition(load_sample(), 2026)
    >>> est["leavers"], round(est["attrition"], 3)
    (5, 0.023)
    """
    import pandas as pd

    first = pd.Timestamp(year=plan_year - years, month=1, day=1)
    end = pd.Timestamp(year=plan_year, month=1, day=1)
    reps = book.reps
    hire = reps["hire_date"].clip(lower=first)
    term = reps["term_date"].fillna(end - pd.Timedelta(days=1)).clip(upper=end)
    days = ((term - hire).dt.days + 1).clip(lower=0)
    months = float(days.sum()) / 30.44
    left = reps["term_date"].between(first, end - pd.Timedelta(days=1))
    n = int(left.sum())
    b0 = 12.0 * PRIOR_REP_YEARS
    a0 = b0 * monthly_hazard(PRIOR_ATTRITION)
    h = (n + a0) / (months + b0)
    return {
        "attrition": float(1.0 - (1.0 - h) ** 12),
        "leavers": n,
        "rep_years": months / 12.0,
        "first_year": plan_year - years,
        "last_year": plan_year - 1,
    }


def _check_ramp(name: str, profile: tuple[float, ...]) -> tuple[float, ...]:
    if not profile:
        raise ValueError(f"{name}: give at least one quarter's productivity, e.g. [0.5, 1.0]")
    if any(not (0.0 <= v <= 1.0) for v in profile):
        raise ValueError(f"{name}: every value must be in [0, 1]; got {list(profile)}")
    if profile[-1] != 1.0:
        raise ValueError(
            f"{name}: the last quarter must be 1.0 (a ramped rep); got {list(profile)}"
        )
    if any(b < a for a, b in zip(profile, profile[1:], strict=False)):
        raise ValueError(f"{name}: the ramp must not decrease; got {list(profile)}")
    return tuple(float(v) for v in profile)


class Workforce(Spec):
    """Attrition, vacancies, backfill and the new hires' ramp (the seat model).

    A seat is filled by its current rep, vacant, or filled by a new hire. At the end
    of each month a filled seat's rep leaves with the monthly hazard
    :func:`monthly_hazard` of ``attrition``, times ``low_performer_hazard_ratio``
    while the seat's own rep's year-to-date bookings are below ``low_performer_pace``
    of the year-to-date quota (a new hire leaves at the base hazard: the seat's quota
    to date holds their predecessor's months and their ramp). Nobody leaves at the
    end of December inside the plan year. A leaver works the whole month they leave;
    the seat is then vacant for ``backfill_lag_months`` full months and sells
    ``vacancy_productivity`` of what its rep would have; then a new hire starts at
    tenure 0, ramps by the role's profile and sells at the team's average rate (the
    fitted prior), and may leave in turn. A coaching programme stays with the rep
    it coaches, not with the seat. The same conventions as
    :func:`spm_sim.capacity.seat_productivity_by_month`, whose exact expectation
    the simulation reproduces when the hazard ratio is 1.

    The seat keeps its quota and target incentive: pay is computed for the seat
    (see ``docs/model.md``).

    Parameters
    ----------
    attrition : float or "book", default "book"
        Share of reps leaving in a year, in [0, 1), or ``"book"``: estimated from
        the book's hire and term dates over the history (:func:`book_attrition`),
        leavers over rep-years, with a weak prior at 25% a year worth two
        rep-years (the low end of the 25-35% a year that CSO Insights and HBR
        report), so a book without leavers does not mean nobody leaves.
    low_performer_hazard_ratio : float, default 2.0
        Multiplier of the hazard while a rep is behind pace, >= 1 (1 = leaving does
        not depend on performance). A judgement: involuntary exits and voluntary
        quits both concentrate among reps far below quota.
    low_performer_pace : float, default 0.5
        "Behind pace" means year-to-date bookings below this share of the
        year-to-date quota.
    backfill_lag_months : int, default 3
        Months a seat stays vacant after its rep leaves, 0-11.
    vacancy_productivity : float, default 0.1
        What a vacant seat still sells (renewals, house accounts, a manager
        covering), as a share of what its rep would sell ramped (the rep's draw over
        their ramp, without a coaching programme's lift), in [0, 1].
    ramp : dict of role to list of float, optional
        New-hire productivity per quarter of tenure by role (``ROLE_RAMPS`` by
        default; a role not listed uses the AE profile).

    Examples
    --------
    >>> round(Workforce(attrition=0.3).hazard(), 5)
    0.02929
    >>> Workforce(attrition=1.2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Workforce
    attrition
      Value error, give a share of reps leaving in a year in [0, 1), such as 0.25, ...
    """

    attrition: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] | Literal["book"] = (
        "book"
    )
    low_performer_hazard_ratio: float = Field(2.0, ge=1.0, le=20.0, allow_inf_nan=False)
    low_performer_pace: float = Field(0.5, ge=0.0, le=2.0, allow_inf_nan=False)
    backfill_lag_months: int = Field(3, ge=0, le=11)
    vacancy_productivity: Share = 0.1
    ramp: dict[str, tuple[float, ...]] = Field(default_factory=lambda: dict(ROLE_RAMPS))

    @field_validator("attrition", mode="before")
    @classmethod
    def _attrition(cls, value):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if value == "book" or (number and 0.0 <= value < 1.0):
            return value
        raise ValueError(
            f"give a share of reps leaving in a year in [0, 1), such as 0.25, or 'book' to "
            f"estimate it from the book's hire and term dates; got {value!r}"
        )

    @field_validator("ramp")
    @classmethod
    def _ramps(cls, value: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, ...]]:
        return {role: _check_ramp(f"ramp of role {role!r}", p) for role, p in value.items()}

    def hazard(self) -> float:
        """The base monthly hazard :func:`monthly_hazard` of ``attrition``."""
        if self.attrition == "book":
            raise ValueError(
                "attrition 'book' is estimated when the scenario is prepared; resolve it with "
                "spm_sim.productivity.book_attrition(book, plan_year) first"
            )
        return monthly_hazard(self.attrition)

    def ramp_of(self, role: str) -> tuple[float, ...]:
        """The new-hire ramp of ``role`` (the AE profile for a role not listed)."""
        return self.ramp.get(role, self.ramp.get("AE", DEFAULT_RAMP))

    def describe(self) -> str:
        rate = "from the book" if self.attrition == "book" else f"{self.attrition:.1%}"
        return (
            f"on: attrition {rate} a year (x{self.low_performer_hazard_ratio:g} "
            f"below {self.low_performer_pace:.0%} of quota pace), backfill after "
            f"{self.backfill_lag_months} months, vacant seats sell "
            f"{self.vacancy_productivity:.0%}"
        )


class TimeAllocation(Spec):
    """How reps split their hours, against the split the history was made with.

    A rep-month's bookings are multiplied by
    ``(selling / base_selling)^selling_elasticity`` from ``start_month`` and by
    ``(prospecting / base_prospecting)^prospecting_elasticity`` from
    ``start_month + cycle_months`` (new opportunities take a sales cycle to close);
    admin is the rest. The defaults of the base are an assumption: Salesforce's
    *State of Sales* (5th edition, 2022) reports reps spend about 28% of their week
    selling; measure your own and set them.

    Parameters
    ----------
    selling, prospecting : float
        Shares of working hours in the plan year, each in [0, 1], summing to at
        most 1 (the rest is admin, meetings, training).
    base_selling, base_prospecting : float, default 0.3 and 0.2
        The shares during the history the model was fitted on.
    selling_elasticity : float, default 0.7
        Below 1: an extra hour of selling converts less than the average hour.
    prospecting_elasticity : float, default 0.5
    cycle_months : int, optional
        Sales cycle in months; default: the median of the open pipeline's
        ``expected_close_date - created_date`` when the book has a pipeline, else 3.
    start_month : int, default 1

    Examples
    --------
    >>> TimeAllocation(selling=0.36, prospecting=0.2).selling_factor()
    1.136...
    """

    selling: Share = 0.3
    prospecting: Share = 0.2
    base_selling: float = Field(0.3, gt=0.0, le=1.0, allow_inf_nan=False)
    base_prospecting: float = Field(0.2, gt=0.0, le=1.0, allow_inf_nan=False)
    selling_elasticity: float = Field(0.7, ge=0.0, le=2.0, allow_inf_nan=False)
    prospecting_elasticity: float = Field(0.5, ge=0.0, le=2.0, allow_inf_nan=False)
    cycle_months: int | None = Field(None, ge=0, le=24)
    start_month: _Month = 1

    @model_validator(mode="after")
    def _sum(self) -> TimeAllocation:
        for a, b in (("selling", "prospecting"), ("base_selling", "base_prospecting")):
            total = getattr(self, a) + getattr(self, b)
            if total > 1.0 + 1e-12:
                raise ValueError(
                    f"{a} + {b} = {total:g} is more than all the hours (1.0); lower one of them"
                )
        return self

    def selling_factor(self) -> float:
        return float((self.selling / self.base_selling) ** self.selling_elasticity)

    def prospecting_factor(self) -> float:
        return float((self.prospecting / self.base_prospecting) ** self.prospecting_elasticity)

    def by_month(self, cycle_months: int, n: int = 12) -> np.ndarray:
        """The deal-rate multiplier of each plan month, shape (n,)."""
        m = np.arange(1, n + 1)
        out = np.where(m >= self.start_month, self.selling_factor(), 1.0)
        return out * np.where(m >= self.start_month + cycle_months, self.prospecting_factor(), 1.0)

    def describe(self, cycle_months: int) -> str:
        return (
            f"selling {self.selling:.0%} (history {self.base_selling:.0%}), prospecting "
            f"{self.prospecting:.0%} (history {self.base_prospecting:.0%}) from month "
            f"{self.start_month}; deal rate x{self.selling_factor():.3f} at once, "
            f"x{self.prospecting_factor():.3f} after a {cycle_months}-month cycle"
        )


class Behaviour(Spec):
    """The reps' response to the plan (off unless a scenario names ``behaviour``).

    * **Effort**: in month ``m`` a rep projects the year's attainment ``a`` (year to
      date plus the expected rest) and looks at ``s``, the expected marginal pay of
      one more dollar at ``a``, averaged over what the rest of the year may bring
      (the plan's payout curve smoothed by a normal of the remaining uncertainty),
      in multiples of the rep's target commission rate (TCR = TI / quota). The
      month's bookings are multiplied by ``clip(s^effort_elasticity, min_effort,
      max_effort)``: an accelerator ahead raises effort, a cap that binds or a
      threshold out of reach (``s`` near 0) drops it to ``min_effort``.
    * **Timing**: at the end of each measurement period with a settlement (quarter
      ends of quarterly components, December always), a rep may pull up to
      ``pull_forward`` of the next month's expected bookings into the period, or
      push up to ``push_out`` of this month's bookings into the next, choosing what
      pays most net of ``timing_cost``: the settlement's pay gained minus what the
      moved dollars earn anyway. Inside the year they still count in the year and a
      cumulative settlement never claws back, so only pulls are considered, valued
      at the settlement's rate at the current attainment (a pull pays for crossing
      a threshold or entering an accelerator: an advance the true-up may keep);
      across the year end both directions are, and a dollar of next year is valued
      at the target commission rate (next year's plan is unknown). Deals pulled
      from January of the next year, or pushed into it, leave the plan year and
      are counted as borrowed or deferred.

    Defaults, and where their size comes from: ``effort_elasticity`` 0.2 and the
    effort bounds are set so that the sample's cap removal changes bookings by a few
    per cent, the order of Misra & Nair (2011), where removing a cap and quota
    ratcheting raised revenue about 9%; ``pull_forward`` 0.25 and ``push_out`` 0.5
    give timing shifts of a few per cent of revenue around thresholds, the order of
    Larkin (2014), who puts the cost of timing games under a non-linear plan at
    6-8% of revenue, and of Oyer (1998) on fiscal year-end bunching. They are
    judgements to be tuned to your reps, not estimates.

    Parameters
    ----------
    effort_elasticity : float, default 0.2
        In [0, 2]; 0 switches effort off (timing stays).
    min_effort, max_effort : float, default 0.85 and 1.2
    pull_forward : float, default 0.25
        In [0, 1]; 0 switches pulling deals forward off.
    push_out : float, default 0.5
        In [0, 1]; 0 switches pushing deals out off.
    timing_cost : float, default 0.25
        What moving a dollar across a period end costs the rep, in multiples of TCR
        per dollar (the discount that buys an early signature, the goodwill of a
        delayed one; Larkin (2014) finds pulled-in deals carry larger discounts). A
        move is made only when it gains more.
    reference_plan : Plan, optional
        The plan the history was earned under. With it, effort is scaled so that
        this plan reproduces the fitted bookings on average (the history already
        contains its effort); without it, effort is measured against a plan that
        pays the target commission rate on every dollar. In a scenario file, a path
        relative to the file.
    ratchet_anticipation : float, default 0.0
        In [0, 1]: how much of next year's pay lost to a quota ratchet a rep weighs
        against this year's marginal pay (a discount factor times the belief that
        the ratchet applies). Under a scenario's ``years`` rule that raises next
        year's quota by ``w`` per dollar booked, the marginal pay behind effort is
        ``s - ratchet_anticipation x w`` (in TCR; ``w`` read as the chance of ending
        the year above quota weighs the rule's above- and below-quota weights).
        0, the default, is the myopic rep: effort as before, bit for bit. Misra and
        Nair (2011) find reps who expect a ratchet slow down once ahead of quota.

    Examples
    --------
    >>> Behaviour().effort(np.array([0.0, 1.0, 1.5, 3.0]))
    array([0.85      , 1.        , 1.08447...
    """

    effort_elasticity: float = Field(0.2, ge=0.0, le=2.0, allow_inf_nan=False)
    min_effort: float = Field(0.85, gt=0.0, le=1.0, allow_inf_nan=False)
    max_effort: float = Field(1.2, ge=1.0, le=3.0, allow_inf_nan=False)
    pull_forward: Share = 0.25
    push_out: Share = 0.5
    timing_cost: float = Field(0.25, ge=0.0, le=10.0, allow_inf_nan=False)
    reference_plan: Plan | None = None
    ratchet_anticipation: Share = 0.0

    def effort(self, slope: np.ndarray) -> np.ndarray:
        """Effort multiplier at marginal pay ``slope`` (in multiples of TCR)."""
        s = np.maximum(np.asarray(slope, dtype=float), 1e-12)
        return np.clip(s**self.effort_elasticity, self.min_effort, self.max_effort)

    def describe(self) -> str:
        ref = (
            f"relative to {self.reference_plan.name!r}"
            if self.reference_plan is not None
            else "relative to a flat commission at TCR"
        )
        return (
            f"on: effort elasticity {self.effort_elasticity:g} to marginal pay (effort "
            f"{self.min_effort:g}-{self.max_effort:g}, {ref}), pull forward up to "
            f"{self.pull_forward:.0%} of next month, push out up to {self.push_out:.0%}, "
            f"timing cost {self.timing_cost:g} TCR per dollar moved"
            + (
                f", ratchet anticipation {self.ratchet_anticipation:g} (next year's quota "
                "weighed against this year's pay)"
                if self.ratchet_anticipation > 0
                else ""
            )
        )


class Coaching(Spec):
    """A coaching programme: a win-rate uplift for targeted reps, for selling time.

    For the targeted reps, from ``start_month`` to ``end_month`` their bookings are
    multiplied by ``(1 + uplift x ramp_in) x (1 - time_cost)``, where ``ramp_in``
    rises linearly to 1 over ``ramp_in_months``; after ``end_month`` the uplift
    stays (a skill learned) unless ``lasting`` is false. The programme costs
    ``cost_per_rep`` per targeted rep, reported beside the incentive.

    Target either named reps (``reps``) or the ``bottom_share`` of reps by expected
    attainment (expected bookings over quota, known before the year).

    Examples
    --------
    >>> Coaching(bottom_share=0.25, uplift=0.1).by_month(12)[:4]
    array([1.03333333, 1.06666667, 1.1       , 1.1       ])
    """

    reps: tuple[str, ...] = ()
    bottom_share: float | None = Field(None, gt=0.0, le=1.0, allow_inf_nan=False)
    uplift: float = Field(0.05, ge=0.0, le=1.0, allow_inf_nan=False)
    time_cost: float = Field(0.0, ge=0.0, lt=1.0, allow_inf_nan=False)
    ramp_in_months: int = Field(3, ge=1, le=12)
    start_month: _Month = 1
    end_month: _Month = 12
    lasting: bool = True
    cost_per_rep: float = Field(0.0, ge=0.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _target(self) -> Coaching:
        if bool(self.reps) == (self.bottom_share is not None):
            raise ValueError(
                "name the coached reps with either 'reps' (a list of rep ids) or "
                "'bottom_share' (e.g. 0.25 = the quarter of reps with the lowest expected "
                "attainment), not both and not neither"
            )
        if self.end_month < self.start_month:
            raise ValueError(f"end_month {self.end_month} is before start_month {self.start_month}")
        return self

    def by_month(self, n: int = 12) -> np.ndarray:
        """Deal-rate multiplier of a coached rep in each plan month, shape (n,)."""
        m = np.arange(1, n + 1)
        ramp = np.clip((m - self.start_month + 1) / self.ramp_in_months, 0.0, 1.0)
        during = (m >= self.start_month) & (m <= self.end_month)
        after = m > self.end_month
        uplift = np.where(during | (after & self.lasting), 1.0 + self.uplift * ramp, 1.0)
        return uplift * np.where(during, 1.0 - self.time_cost, 1.0)

    def describe(self, n_coached: int) -> str:
        """The programme in words, for ``n_coached`` coached reps (known once the book is)."""
        return (
            f"{n_coached} reps, win-rate uplift {self.uplift:.0%} over "
            f"{self.ramp_in_months} months from month {self.start_month} to {self.end_month}"
            f"{' (lasting)' if self.lasting else ''}, time cost {self.time_cost:.0%}, "
            f"{self.cost_per_rep:,.0f} a rep"
        )


class ContestResponse(Spec):
    """How reps respond to a contest or SPIFF: effort in its window, deals pulled in.

    In months ``start_month..end_month`` bookings are multiplied by
    ``1 + uplift``; at the end of the window reps pull ``pull_forward`` of the
    following month's expected bookings into its last month (from January of the
    next year when the window ends in December); a vacant seat pulls nothing. What
    the contest pays comes from the plan's ``spiff`` or ``contest`` component;
    ``cost`` adds what is paid outside the plan (prizes, a trip). A response on a
    plan that pays neither, with ``cost`` 0, is refused when the scenario is
    built (loaded or replaced): it would come free.
    """

    start_month: _Month
    end_month: _Month
    uplift: float = Field(0.05, ge=0.0, le=1.0, allow_inf_nan=False)
    pull_forward: Share = 0.1
    cost: float = Field(0.0, ge=0.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _window(self) -> ContestResponse:
        if self.end_month < self.start_month:
            raise ValueError(f"end_month {self.end_month} is before start_month {self.start_month}")
        return self

    def by_month(self, n: int = 12) -> np.ndarray:
        m = np.arange(1, n + 1)
        return np.where((m >= self.start_month) & (m <= self.end_month), 1.0 + self.uplift, 1.0)

    def describe(self) -> str:
        return (
            f"months {self.start_month}-{self.end_month}: bookings x{1 + self.uplift:g}, "
            f"{self.pull_forward:.0%} of the next month pulled in; {self.cost:,.0f} outside "
            "the plan"
        )


class Programmes(Spec):
    """Programmes leadership pays for, whose return a scenario comparison shows."""

    coaching: Coaching | None = None
    contest: ContestResponse | None = None
