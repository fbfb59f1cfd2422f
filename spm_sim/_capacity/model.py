"""Capacity of a sales team as a discrete-event simulation (SimPy): leads, hours, queues.

Headcount is the biggest lever of a sales plan, and dividing workload by hours
misses the queue: leads wait when reps are busy, waiting leads go cold, and a team
at 95% utilisation loses deals a team at 80% wins. This module simulates the year
of a team lead by lead:

* leads arrive by segment as a Poisson process in working time, with a seasonal
  shape by month and a weekday shape (:func:`lead_arrivals`);
* each stage of the funnel (an SDR stage that qualifies, an AE stage that works the
  opportunity; one or more) has reps with a share of their hours for leads; a lead
  waits for a rep (routing: one pooled queue, round robin, shortest queue, or the
  territory's own rep), is worked for a random effort, and passes the stage with a
  probability that decays with its wait;
* reps leave (annual attrition) and are backfilled after a lag; new reps ramp;
* a lead that passes the last stage becomes an opportunity that closes after a
  random cycle, is won with a probability, and books a random deal size.

Habit 5 of ``../shared/style.md``: the SimPy processes only schedule (wait, work,
leave); every random number is drawn up front by pure functions from the
replication's streams, and every figure (waits, conversion, bookings, utilisation)
is computed afterwards from flat records by pure functions. Replication ``r`` draws
from streams ``replication`` and ``seats`` of :data:`spm_sim.random.STREAMS`, derived
from the run's root seed sequence and ``r``, so replications may run in parallel
processes and give the same numbers.

Results are tidy frames (:class:`CapacityResult`); :func:`smallest_team` searches the
headcount that meets a service target with the replications' confidence intervals;
:func:`handoff` turns the queueing losses into the multipliers the Monte Carlo engine
consumes. The model and its checks against queueing theory: ``docs/model.md``
section 9.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import simpy
from pydantic import Field, model_validator

from spm_sim._spec import Share, Spec, load_spec, read_yaml
from spm_sim.errors import CapacityError, SpecError  # one error for every capacity input
from spm_sim.parallel import ExecutorLike, check_executor, run_tasks
from spm_sim.random import RngLike, replication_rng, seats_rng, seed_sequence

__all__ = [
    "Segment",
    "Stage",
    "Opportunity",
    "ServiceTarget",
    "CapacityConfig",
    "CapacityError",
    "CapacityResult",
    "load_capacity_config",
    "lead_arrivals",
    "simulate_capacity",
    "run_capacity",
    "run_many",
    "figures_many",
    "replication_figures",
    "where_to_run",
    "summarise",
    "LATER_FIGURES",
    "progress_bar",
    "handoff",
]

_Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _CapacitySpec(Spec):
    """Frozen base of the capacity specs: ``replace`` raises :class:`CapacityError`."""

    _error: ClassVar[type[SpecError]] = CapacityError


class Segment(_CapacitySpec):
    """A stream of leads.

    Parameters
    ----------
    name : str
    leads_per_year : float in (0, 1e9]
        Expected leads in the year.
    seasonality : list of 12 float, optional
        Relative volume by calendar month (rescaled to mean 1); default flat.
    weekday : list of 5 float, optional
        Relative volume Monday to Friday (rescaled); default flat.
    """

    name: str = Field(min_length=1)
    # a billion leads a year is beyond any sales funnel, and keeps the day's arrays small
    leads_per_year: float = Field(gt=0.0, le=1e9, allow_inf_nan=False)
    seasonality: tuple[_Positive, ...] | None = None
    weekday: tuple[_Positive, ...] | None = None

    @model_validator(mode="after")
    def _shapes(self) -> Segment:
        if self.seasonality is not None and len(self.seasonality) != 12:
            raise ValueError(
                f"seasonality needs 12 values, January first; got {len(self.seasonality)}"
            )
        if self.weekday is not None and len(self.weekday) != 5:
            raise ValueError(f"weekday needs 5 values, Monday to Friday; got {len(self.weekday)}")
        return self


class Stage(_CapacitySpec):
    """One stage of the funnel and the reps who work it.

    Parameters
    ----------
    name : str
    reps : int >= 1
        Seats of the stage.
    selling_share : float, default 0.6
        Share of a rep's working hours spent on leads (net of admin, meetings,
        training); a lead's effort takes ``effort / selling_share`` hours of the
        rep's time.
    effort_hours : float > 0
        Mean hours of work a lead takes at this stage.
    effort_cv : float, default 1.0
        Coefficient of variation of the effort: 1 draws exponential efforts (the
        M/M/c setting), any other value lognormal ones.
    conversion : float, default 1.0
        Probability a lead worked without waiting passes the stage.
    decay_half_life_hours : float, optional
        Working hours of waiting that halve the conversion (leads go cold);
        ``None``: waiting costs nothing.
    routing : {"pooled", "round_robin", "shortest_queue", "territory"}
        ``pooled``: one queue, first come first served, to the first free rep (the
        M/M/c queue); ``round_robin``: each lead to the next seat in turn;
        ``shortest_queue``: to the seat with the fewest leads waiting or in work;
        ``territory``: to the seat owning the lead's territory (territories spread
        evenly over the seats), a vacant seat's leads to the shortest queue.
    attrition : float, default 0.0
        Share of reps leaving in a year; a leaver finishes the lead in hand.
    backfill_lag_days : int, default 60
        Working days a seat stays empty after its rep leaves.
    ramp : list of float, default (0.25, 0.5, 0.75, 1.0)
        A new rep's speed per quarter of tenure (their effort takes
        ``1 / ramp`` times longer).
    rep_cost : float, optional
        Yearly cost of a rep of this stage that the joint answer of
        :func:`~spm_sim.capacity.team_grid` weighs (default: the configuration's
        ``rep_cost``).
    """

    name: str = Field(min_length=1)
    reps: int = Field(ge=1, le=10_000)
    selling_share: float = Field(0.6, gt=0.0, le=1.0, allow_inf_nan=False)
    effort_hours: float = Field(gt=0.0, le=2000.0, allow_inf_nan=False)  # <= a working year
    effort_cv: float = Field(1.0, gt=0.0, le=10.0, allow_inf_nan=False)
    conversion: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    decay_half_life_hours: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    routing: Literal["pooled", "round_robin", "shortest_queue", "territory"] = "pooled"
    attrition: float = Field(0.0, ge=0.0, lt=1.0, allow_inf_nan=False)
    backfill_lag_days: int = Field(60, ge=0, le=260)
    ramp: tuple[Share, ...] = (0.25, 0.5, 0.75, 1.0)
    rep_cost: float | None = Field(None, ge=0.0, le=1e12, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ramp(self) -> Stage:
        if not self.ramp or self.ramp[-1] != 1.0 or min(self.ramp) <= 0:
            raise ValueError(
                f"ramp: each quarter's speed in (0, 1], the last 1.0; got {list(self.ramp)}"
            )
        return self


class Opportunity(_CapacitySpec):
    """What a lead that passes the last stage becomes.

    Parameters
    ----------
    win_rate : float in (0, 1], default 0.25
        The team's chance of winning an opportunity.
    cycle_days : float, default 60
        Mean calendar days from opportunity to close; ``cycle_cv`` their spread.
    deal_size, deal_size_cv : float
        Mean amount of a won deal and its coefficient of variation.
    seat_win_rates : list of float, optional
        Each seat of the last stage's own win rate (seat 0 first), e.g. the AEs'
        rates fitted from the book with shrinkage
        (:func:`~spm_sim.capacity.fit_rep_rates`,
        :func:`~spm_sim.capacity.opportunity_from_book`); seats beyond the list
        (a larger team) win at ``win_rate``.
    seat_cycle_days : list of float, optional
        Each seat's mean cycle in days, the same way (default ``cycle_days``).

    A lead's own uniform decides its win (``u < rate of its seat``) and its cycle is
    its own draw scaled to its seat's mean, so team sizes still share their draws.
    """

    win_rate: float = Field(0.25, gt=0.0, le=1.0, allow_inf_nan=False)
    cycle_days: float = Field(60.0, gt=0.0, le=3650.0, allow_inf_nan=False)
    cycle_cv: float = Field(0.5, ge=0.0, le=5.0, allow_inf_nan=False)
    # no single deal above a trillion in the plan's currency (the book's own bound)
    deal_size: float = Field(20_000.0, gt=0.0, le=1e12, allow_inf_nan=False)
    deal_size_cv: float = Field(0.8, ge=0.0, le=10.0, allow_inf_nan=False)
    seat_win_rates: (
        tuple[Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)], ...] | None
    ) = None
    seat_cycle_days: (
        tuple[Annotated[float, Field(gt=0.0, le=3650.0, allow_inf_nan=False)], ...] | None
    ) = None

    def seat_rates(self, seats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Win rate and mean cycle (days) of last-stage ``seats`` (the team's beyond the lists).

        Examples
        --------
        >>> o = Opportunity(win_rate=0.2, cycle_days=90, seat_win_rates=[0.3, 0.1])
        >>> rate, cycle = o.seat_rates(np.array([0, 1, 5]))
        >>> rate.tolist(), cycle.tolist()
        ([0.3, 0.1, 0.2], [90.0, 90.0, 90.0])
        """
        seats = np.asarray(seats, dtype=np.int64)
        out = []
        for table, team in (
            (self.seat_win_rates, self.win_rate),
            (self.seat_cycle_days, self.cycle_days),
        ):
            values = np.full(seats.shape, float(team))
            if table is not None:
                t = np.asarray(table, dtype=float)
                inside = seats < t.size
                values[inside] = t[seats[inside]]
            out.append(values)
        return out[0], out[1]


class ServiceTarget(_CapacitySpec):
    """What "enough capacity" means, for :func:`smallest_team`.

    At least ``share`` of leads contacted within ``within_hours`` working hours at
    the first stage, and/or the utilisation of the stage being sized (its reps
    together) at most ``max_utilisation``.
    """

    within_hours: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    share: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    max_utilisation: float | None = Field(None, gt=0.0, le=1.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one(self) -> ServiceTarget:
        if (self.within_hours is None) != (self.share is None):
            raise ValueError("give within_hours and share together (e.g. 1 and 0.9)")
        if self.within_hours is None and self.max_utilisation is None:
            raise ValueError("give within_hours and share, or max_utilisation, or both")
        return self


class CapacityConfig(_CapacitySpec):
    """A team, its leads and its year (the YAML of ``spm-sim capacity``).

    Frozen; what-ifs are :meth:`replace`, :meth:`with_reps` and :meth:`scaled`, which
    validate again and raise :class:`CapacityError` naming the field and the value.
    """

    name: str = Field(min_length=1)
    year: int = Field(2026, ge=1900, le=2200)
    hours_per_day: float = Field(8.0, gt=0.0, le=24.0, allow_inf_nan=False)
    holidays: int = Field(10, ge=0, le=100)
    segments: tuple[Segment, ...] = Field(min_length=1)
    stages: tuple[Stage, ...] = Field(min_length=1, max_length=4)
    opportunity: Opportunity = Opportunity()
    target: ServiceTarget | None = None
    rep_cost: float = Field(150_000.0, ge=0.0, le=1e12, allow_inf_nan=False)
    replications: int = Field(20, ge=1, le=10_000)
    seed: int = Field(0, ge=0, lt=2**63)

    def _label(self) -> str:
        # how replace() names the configuration in its messages
        return f"capacity configuration {self.name!r}"

    def with_reps(self, n: int, stage: int = 0) -> CapacityConfig:
        """The same configuration with ``n`` reps at stage ``stage`` (validated again).

        Examples
        --------
        >>> config = CapacityConfig(
        ...     name="Inbound",
        ...     segments=[{"name": "web", "leads_per_year": 1000}],
        ...     stages=[{"name": "AE", "reps": 3, "effort_hours": 2}],
        ... )
        >>> config.with_reps(5).stages[0].reps
        5
        >>> config.with_reps(0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        spm_sim.errors.CapacityError: capacity configuration 'Inbound': ... problem(s) in ...
          - stages[0].reps: Input should be greater than or equal to 1 (got 0)...
        """
        if not 0 <= stage < len(self.stages):
            raise CapacityError(
                f"{self._label()}: stage {stage} does not exist; stages are 0 to "
                f"{len(self.stages) - 1} ({', '.join(s.name for s in self.stages)})"
            )
        stages: list[Stage | dict[str, Any]] = list(self.stages)
        stages[stage] = self.stages[stage].model_dump() | {"reps": n}
        return self.replace(stages=tuple(stages))

    def stage_cost(self, stage: int) -> float:
        """Yearly cost of a rep at ``stage``: the stage's ``rep_cost``, else the
        configuration's."""
        own = self.stages[stage].rep_cost
        return float(self.rep_cost if own is None else own)

    def scaled(self, factor: float) -> CapacityConfig:
        """The same configuration with every segment's lead volume times ``factor``
        (validated again: ``factor`` must leave every volume positive and finite)."""
        segs = tuple(
            s.model_dump() | {"leads_per_year": s.leads_per_year * factor} for s in self.segments
        )
        return self.replace(segments=segs)


def load_capacity_config(path: str | Path) -> CapacityConfig:
    """Read a capacity YAML file; errors name the file and the field."""
    data = read_yaml(path, error=CapacityError)
    return load_spec(CapacityConfig, data, error=CapacityError, where=str(path))


# --- the calendar and the draws (pure) ------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The year's working days: ``dates`` (one per working day) and their month."""

    dates: pd.DatetimeIndex
    hours_per_day: float

    @property
    def hours(self) -> float:
        return len(self.dates) * self.hours_per_day

    def month_of(self, t: np.ndarray) -> np.ndarray:
        """Calendar month (1-12) of working-hour times ``t``."""
        day = np.clip((np.asarray(t) // self.hours_per_day).astype(int), 0, len(self.dates) - 1)
        return self.dates.month.to_numpy()[day]


def calendar(config: CapacityConfig) -> Calendar:
    """Monday-Friday of ``config.year`` less ``holidays`` days spread evenly over it."""
    days = pd.bdate_range(f"{config.year}-01-01", f"{config.year}-12-31")
    if config.holidays:
        drop = np.linspace(0, len(days) - 1, config.holidays + 2)[1:-1].round().astype(int)
        days = days.delete(np.unique(drop))
    return Calendar(days, config.hours_per_day)


def lead_arrivals(
    config: CapacityConfig, cal: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (working hours from 1 January) and segment of every lead, sorted.

    Each segment's expected leads on a working day are ``leads_per_year x
    season(month) x weekday(day) / sum over the year's days``, so a year holds
    ``leads_per_year`` in expectation; the day's count is Poisson and the times
    are uniform within the day's working hours.
    """
    months = cal.dates.month.to_numpy() - 1
    wdays = cal.dates.day_of_week.to_numpy()
    times, segs = [], []
    for k, seg in enumerate(config.segments):
        season = np.ones(12) if seg.seasonality is None else np.asarray(seg.seasonality)
        week = np.ones(5) if seg.weekday is None else np.asarray(seg.weekday)
        w = season[months] * week[wdays]
        counts = rng.poisson(seg.leads_per_year * w / w.sum())
        day = np.repeat(np.arange(len(counts)), counts)
        times.append((day + rng.random(day.size)) * cal.hours_per_day)
        segs.append(np.full(day.size, k))
    t = np.concatenate(times)
    s = np.concatenate(segs)
    order = np.argsort(t, kind="stable")
    return t[order], s[order]


def _positive_draws(rng, mean: float, cv: float, n: int) -> np.ndarray:
    """``n`` positive draws with this mean: exponential when ``cv == 1``, else lognormal."""
    if cv == 1.0:
        return rng.exponential(mean, n)
    if cv == 0.0:
        return np.full(n, float(mean))
    s2 = math.log1p(cv**2)
    return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)


@dataclass(frozen=True)
class _Draws:
    """Every random number of one replication, drawn before the simulation runs."""

    arrival: np.ndarray  # (n,) working hours
    segment: np.ndarray  # (n,)
    effort: np.ndarray  # (stages, n) hours of work
    u_pass: np.ndarray  # (stages, n) uniforms for passing each stage
    territory: np.ndarray  # (n,) uniform in [0, 1): the lead's territory share
    leave: list  # per stage: (seats, 8) working hours until leaving, per successive rep
    cycle_days: np.ndarray  # (n,)
    u_win: np.ndarray  # (n,)
    size: np.ndarray  # (n,)


def _draws(
    config: CapacityConfig, cal: Calendar, root: np.random.SeedSequence, replication: int
) -> _Draws:
    rng = replication_rng(root, replication)
    arrival, segment = lead_arrivals(config, cal, rng)
    n = arrival.size
    effort = np.stack([_positive_draws(rng, s.effort_hours, s.effort_cv, n) for s in config.stages])
    u_pass = rng.random((len(config.stages), n))
    territory = rng.random(n)
    # each stage's leaving times on a stream of their own (stream "seats": the
    # replication and the stage), seat by seat: a team of n + 1 reps keeps the first n
    # seats' times and every other draw (common random numbers across team sizes)
    leave = []
    for k, s in enumerate(config.stages):
        if s.attrition > 0:
            hazard = -math.log1p(-s.attrition) / cal.hours  # per working hour
            seats = seats_rng(root, replication, k)
            leave.append(seats.exponential(1.0 / hazard, (s.reps, 8)))
        else:
            leave.append(np.full((s.reps, 8), np.inf))
    o = config.opportunity
    return _Draws(
        arrival=arrival,
        segment=segment,
        effort=effort,
        u_pass=u_pass,
        territory=territory,
        leave=leave,
        cycle_days=_positive_draws(rng, o.cycle_days, o.cycle_cv, n),
        u_win=rng.random(n),
        size=_positive_draws(rng, o.deal_size, o.deal_size_cv, n),
    )


def pass_probability(stage: Stage, wait_hours: float | np.ndarray) -> np.ndarray:
    """Probability a lead passes ``stage`` after waiting ``wait_hours`` working hours.

    ``conversion x 0.5^(wait / half_life)``; without a half-life, ``conversion``.

    Examples
    --------
    >>> s = Stage(name="AE", reps=3, effort_hours=2, conversion=0.4, decay_half_life_hours=8)
    >>> pass_probability(s, np.array([0.0, 8.0, 16.0]))
    array([0.4, 0.2, 0.1])
    """
    w = np.asarray(wait_hours, dtype=float)
    if stage.decay_half_life_hours is None:
        return np.full(w.shape, stage.conversion)
    return stage.conversion * np.exp2(-w / stage.decay_half_life_hours)


def service_hours(
    stage: Stage, effort: float, tenure_hours: float, hours_per_quarter: float
) -> float:
    """Hours of a rep's time a lead takes: effort over selling share and ramp."""
    if not math.isfinite(tenure_hours):
        return effort / stage.selling_share
    quarter = int(tenure_hours // hours_per_quarter)
    speed = stage.ramp[min(quarter, len(stage.ramp) - 1)]
    return effort / (stage.selling_share * speed)


# --- the simulation: SimPy processes only schedule -----------------------------------


class _StageState:
    """The queues and seats of one stage during a run (what the processes share).

    A queue is a plain deque of ``(lead, arrived)``; a rep with nothing to do waits on
    an event of its own, kept in ``idle`` (first come, first served), which the next
    lead routed to its queue triggers. This is the semantics of a ``simpy.Store``
    (an arriving lead goes to the rep waiting longest; a rep finding leads waiting
    takes the first at once) with one scheduled event per lead instead of three.
    """

    def __init__(self, env, k: int, stage: Stage, cal: Calendar, leave: np.ndarray, record):
        self.env, self.k, self.stage, self.cal = env, k, stage, cal
        self.leave = leave
        self.record = record
        n = stage.reps
        self.pooled = stage.routing == "pooled"
        n_queues = 1 if self.pooled else n
        self.queues: list[deque[tuple[int, float]]] = [deque() for _ in range(n_queues)]
        self.idle: list[deque[simpy.Event]] = [deque() for _ in range(n_queues)]
        # plain lists: read and written once per lead, faster than arrays at these sizes
        self.load = [0] * n  # leads waiting or in work, per seat
        self.present = [True] * n
        # a seat's load while its rep is present, else infinity: the shortest queue is
        # the first minimum of this list (found in C, not in a Python loop)
        self.key: list[float] = [0] * n
        self.next_seat = 0
        self.tenures: dict[tuple[int, int], list[float]] = {}  # (seat, rep) -> [start, end]
        self.queue_log: list[tuple[float, int]] = [(0.0, 0)]
        self.waiting = 0

    def route(self, territory_share: float) -> int:
        """The seat a lead goes to (pure bookkeeping, no time passes)."""
        s = self.stage
        if s.routing == "round_robin":
            for _ in range(s.reps):
                seat = self.next_seat
                self.next_seat = (self.next_seat + 1) % s.reps
                if self.present[seat]:
                    return seat
        if s.routing == "territory" and territory_share >= 0:  # < 0: a leaver's lead
            seat = int(territory_share * s.reps)
            if self.present[seat]:
                return seat
        # the present seat with the fewest leads, the first of equals (seat 0 when
        # every seat is vacant)
        key = self.key
        return key.index(min(key))

    def set_load(self, seat: int, load: int) -> None:
        self.load[seat] = load
        self.key[seat] = load if self.present[seat] else math.inf

    def set_present(self, seat: int, present: bool) -> None:
        self.present[seat] = present
        self.key[seat] = self.load[seat] if present else math.inf

    def arrive(self, lead: int, at: float, territory_share: float) -> None:
        seat = 0 if self.pooled else self.route(territory_share)
        if not self.pooled:
            self.set_load(seat, self.load[seat] + 1)
        self.waiting += 1
        self.queue_log.append((self.env.now, self.waiting))
        idle = self.idle[seat]
        if idle:  # the rep waiting longest takes it
            idle.popleft().succeed((lead, at))
        else:
            self.queues[seat].append((lead, at))


def _rep(env, st: _StageState, seat: int, number: int, efforts, hours_q, on_done):
    """One rep in a seat: take leads, work them, leave when the clock says so."""
    start = env.now
    st.tenures[(seat, number)] = [start, st.cal.hours]  # the end is set if they leave
    leave_at = start + st.leave[seat, min(number, st.leave.shape[1] - 1)]
    q = 0 if st.pooled else seat
    queue, idle = st.queues[q], st.idle[q]
    # one timer for the whole tenure: when it fires, a rep waiting for a lead leaves at
    # once, a rep at work finishes the lead in hand first
    gone = [False]
    waiting_on: list[simpy.Event | None] = [None]
    if not math.isinf(leave_at):

        def leave(_timer: simpy.Event) -> None:
            gone[0] = True
            wake = waiting_on[0]
            if wake is not None and not wake.triggered:
                idle.remove(wake)
                wake.succeed(None)

        env.timeout(leave_at - env.now).callbacks.append(leave)
    while True:
        if gone[0] or env.now >= leave_at:
            break
        if queue:
            lead, arrived = queue.popleft()
        else:
            wake = env.event()
            idle.append(wake)
            waiting_on[0] = wake
            got = yield wake
            waiting_on[0] = None
            if got is None:  # the timer: they leave
                break
            lead, arrived = got
        st.waiting -= 1
        st.queue_log.append((env.now, st.waiting))
        begin = env.now
        # the reps in their seat on 1 January are ramped; replacements ramp up
        tenure = math.inf if number == 0 else begin - start
        hours = service_hours(st.stage, efforts[lead], tenure, hours_q)
        yield env.timeout(hours)
        if not st.pooled:
            st.set_load(seat, st.load[seat] - 1)
        st.record.append((st.k, lead, arrived, begin, env.now, seat, number))
        on_done(lead)
    st.tenures[(seat, number)][1] = env.now
    st.set_present(seat, False)
    if not st.pooled:  # the leaver's queue goes to the others
        left = list(queue)
        queue.clear()
        st.set_load(seat, 0)
        for lead, arrived in left:
            st.waiting -= 1
            st.arrive(lead, arrived, territory_share=-1.0)
    lag = st.stage.backfill_lag_days * st.cal.hours_per_day
    if math.isfinite(lag) and env.now + lag < st.cal.hours:
        yield env.timeout(lag)
        st.set_present(seat, True)
        env.process(_rep(env, st, seat, number + 1, efforts, hours_q, on_done))


def _arrivals(env, arrival: list[float], territory: list[float], first: _StageState):
    for lead, t in enumerate(arrival):
        if t > env.now:
            yield env.timeout(t - env.now)
        first.arrive(lead, env.now, territory[lead])


def simulate_capacity(
    config: CapacityConfig,
    rng: RngLike = None,
    *,
    replication: int = 0,
    first_stage_only: bool = False,
) -> dict[str, pd.DataFrame]:
    """One replication of the year: flat records in, tidy frames out.

    ``rng`` (int, SeedSequence or Generator; default ``config.seed``) is the run's
    root; the year draws from its streams ``replication`` and ``seats`` with index
    ``replication``, so it equals that replication of ``run_capacity(config, rng=rng)``.
    With ``first_stage_only`` the leads stop after the first stage: every number drawn
    is the same, so the first stage's records (waits, its reps' hours) are exactly
    those of the full run, at a fraction of the time; the frames then hold the first
    stage only (no opportunities, no bookings).

    Returns the frames ``leads`` (one row per lead), ``work`` (one row per lead and
    stage worked), ``reps``
    (one row per rep and seat with busy hours and utilisation), ``bookings`` (rep
    seat of the last stage by month) and ``queue`` (the number waiting at each
    change), ``opportunities`` and ``run`` (events scheduled, leads). See
    :func:`run_capacity` for replications.
    """
    cal = calendar(config)
    draws = _draws(config, cal, seed_sequence(rng, default=config.seed), replication)
    env = simpy.Environment()
    record: list[tuple] = []
    hours_q = cal.hours / 4.0
    run_stages = config.stages[:1] if first_stage_only else config.stages
    stages = [_StageState(env, k, s, cal, draws.leave[k], record) for k, s in enumerate(run_stages)]

    # pass_probability's arithmetic on one lead (numpy's exp2, as the frames recompute it)
    conversion = [s.conversion for s in config.stages]
    half_life = [s.decay_half_life_hours for s in config.stages]
    u_pass = draws.u_pass.tolist()
    efforts = draws.effort.tolist()  # plain floats: read once per lead
    territory = draws.territory.tolist()

    def passes(k: int, lead: int, arrived: float, begin: float) -> bool:
        half = half_life[k]
        if half is None:
            return u_pass[k][lead] < conversion[k]
        return bool(u_pass[k][lead] < conversion[k] * np.exp2(-(begin - arrived) / half))

    def done_at(k: int):
        def on_done(lead: int) -> None:
            _, _, arrived, begin, *_ = record[-1]
            if k + 1 < len(stages) and passes(k, lead, arrived, begin):
                stages[k + 1].arrive(lead, env.now, territory[lead])

        return on_done

    for k, st in enumerate(stages):
        for seat in range(st.stage.reps):
            env.process(_rep(env, st, seat, 0, efforts[k], hours_q, done_at(k)))
    arrival = draws.arrival.tolist()
    env.process(_arrivals(env, arrival, territory, stages[0]))
    env.run(until=cal.hours)
    frames = _frames(config, cal, draws, record, stages)
    if first_stage_only:  # what comes after the first stage was not simulated
        frames["opportunities"] = frames["opportunities"].iloc[:0]
        frames["bookings"] = frames["bookings"].iloc[:0]
    # events SimPy scheduled (its event ids count up from 0), for the benchmark
    scheduled = next(env._eid) if hasattr(env, "_eid") else -1
    frames["run"] = pd.DataFrame({"events": [scheduled], "leads": [draws.arrival.size]})
    # SimPy's processes and the stages refer to each other, so the year's records would
    # wait for the cycle collector; emptied now, replications run in a row do not pile up
    record.clear()
    for st in stages:
        st.tenures.clear()
        st.queue_log.clear()
        st.queues.clear()
        st.idle.clear()
    for values in (u_pass, efforts, territory, arrival):  # the draws as plain floats
        values.clear()
    return frames


def _frames(config, cal, draws, record, stages) -> dict[str, pd.DataFrame]:
    """Tidy frames from the flat records (pure)."""
    # one float array (the whole numbers are exact in it), then the columns' types
    flat = np.array(record, dtype=float).reshape(len(record), 7)
    rec = pd.DataFrame(flat, columns=["stage", "lead", "arrived", "start", "end", "seat", "rep"])
    rec = rec.astype({"stage": int, "lead": int, "seat": int, "rep": int})
    rec["wait"] = rec["start"] - rec["arrived"]
    names = [s.name for s in config.stages]
    p = np.empty(len(rec))
    p0 = np.empty(len(rec))
    for k, s in enumerate(config.stages):
        on = rec["stage"].to_numpy() == k
        p[on] = pass_probability(s, rec.loc[on, "wait"].to_numpy())
        p0[on] = s.conversion
    u = draws.u_pass[rec["stage"].to_numpy(), rec["lead"].to_numpy()] if len(rec) else np.empty(0)
    rec["passed"] = u < p
    rec["lost_to_decay"] = (u >= p) & (u < p0)
    rec["p_pass"] = p
    seg_names = np.array([s.name for s in config.segments], dtype=object)
    rec["stage_name"] = np.array(names, dtype=object)[rec["stage"].to_numpy()]
    rec["segment"] = seg_names[draws.segment[rec["lead"].to_numpy()]]
    rec["month"] = cal.month_of(rec["arrived"].to_numpy())

    # leads never worked by the year end are counted as waiting at the end
    first = rec[rec["stage"] == 0]
    n = draws.arrival.size
    leads = pd.DataFrame({"lead": np.arange(n), "arrived": draws.arrival})
    leads["segment"] = seg_names[draws.segment]
    leads["contacted"] = leads["lead"].isin(first["lead"])

    # opportunities: leads that passed the last stage, closed after their cycle
    last = rec[(rec["stage"] == len(stages) - 1) & rec["passed"]].copy()
    o = config.opportunity
    idx = last["lead"].to_numpy()
    close_day = (last["end"].to_numpy() // cal.hours_per_day).astype(int)
    # a lead's own cycle draw, scaled to its seat's mean cycle (the team's by default)
    _, seat_cycle = o.seat_rates(last["seat"].to_numpy())
    close = cal.dates[np.clip(close_day, 0, len(cal.dates) - 1)] + pd.to_timedelta(
        draws.cycle_days[idx] * (seat_cycle / o.cycle_days), unit="D"
    )
    last["close_date"] = close
    rate, _ = o.seat_rates(last["seat"].to_numpy())
    last["won"] = draws.u_win[idx] < rate
    last["amount"] = np.where(last["won"], draws.size[idx], 0.0)
    in_year = last["close_date"].dt.year == config.year
    booked = last[in_year & last["won"]]
    bookings = (
        booked.assign(close_month=booked["close_date"].dt.month)
        .groupby(["seat", "close_month"], as_index=False)["amount"]
        .sum()
        .rename(columns={"close_month": "month", "amount": "bookings"})
    )

    # one row per rep (a seat's successive reps apart): hours in the seat, at work
    work = rec.assign(hours=rec["end"] - rec["start"]).groupby(["stage", "seat", "rep"])
    # plain dicts: looked up once per rep (a Series lookup by tuple is slow)
    busy = work["hours"].sum().to_dict()
    worked = work["hours"].count().to_dict()
    rows = []
    for k, st in enumerate(stages):
        for (seat, number), (start, end) in sorted(st.tenures.items()):
            key = (k, seat, number)
            rows.append(
                {
                    "stage": names[k],
                    "seat": seat,
                    "rep": number,
                    "start": start,
                    "end": end,
                    "hours_in_seat": end - start,
                    "busy_hours": float(busy.get(key, 0.0)),
                    "leads_worked": int(worked.get(key, 0)),
                }
            )
    reps = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps["utilisation"] = np.where(
            reps["hours_in_seat"] > 0, reps["busy_hours"] / reps["hours_in_seat"], np.nan
        )
    logs = [np.array(st.queue_log, dtype=float).reshape(-1, 2) for st in stages]
    queue = pd.DataFrame(
        {
            "stage": np.repeat(
                np.array(names[: len(stages)], dtype=object), [len(x) for x in logs]
            ),
            "time": np.concatenate([x[:, 0] for x in logs]),
            "waiting": np.concatenate([x[:, 1] for x in logs]).astype(int),
        }
    )
    pipeline = last.assign(in_year=in_year)[
        ["lead", "seat", "end", "close_date", "won", "amount", "in_year"]
    ]
    return {
        "leads": leads,
        "work": rec,
        "reps": reps,
        "bookings": bookings,
        "opportunities": pipeline,
        "queue": queue,
    }


# --- replications ---------------------------------------------------------------------


def _replication(
    config: CapacityConfig, root: np.random.SeedSequence, r: int, first_stage_only: bool = False
) -> dict[str, pd.DataFrame]:
    frames = simulate_capacity(config, root, replication=r, first_stage_only=first_stage_only)
    for frame in frames.values():
        frame.insert(0, "replication", r)
    return frames


def where_to_run(executor: ExecutorLike, workers: int | None) -> ExecutorLike:
    """The executor of a capacity run: ``executor`` as given, or without one a local pool
    when ``workers > 1`` (what ``workers`` alone has always meant), else this process."""
    executor = check_executor(executor)
    if executor is None and workers is not None and workers > 1:
        return "processes"
    return executor


def _run_years(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    executor: ExecutorLike,
    workers: int | None,
    scheduler: str | None,
    tick: Callable[[], object] | None,
) -> list:
    """``fn(*job)`` for every job through :func:`spm_sim.parallel.run_tasks`, in order;
    ``tick`` once per finished year.

    Every argument travels with its job (a seed sequence, a configuration and a few
    numbers: small), none as ``shared``: a search sends a few batches in a row to one
    executor, and on Dask the same value scattered again by the next batch while the
    last batch's copy is being released can be lost with it.
    """

    def done(_i: int) -> None:
        if tick is not None:
            tick()

    return run_tasks(
        fn,
        jobs,
        where_to_run(executor, workers),
        workers=workers,
        scheduler=scheduler,
        on_done=done,
    )


def _year_task(root: np.random.SeedSequence, config: CapacityConfig, r: int) -> dict:
    """One replication's frames (the task of :func:`run_many`)."""
    return _replication(config, root, r)


def run_many(
    configs: Sequence[CapacityConfig],
    replications: int,
    root: np.random.SeedSequence,
    *,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    tick: Callable[[], object] | None = None,
) -> list[CapacityResult]:
    """``replications`` years of each configuration, every one on the same streams.

    All the (configuration, replication) pairs go to one executor (see
    :func:`spm_sim.parallel.run_tasks`), so a few replications of several team sizes
    keep every worker busy. ``tick`` is called once per finished replication (a
    progress bar's ``update``). The numbers depend on the seed and the replication
    only, not on the executor, ``workers`` nor the order of the work. Every
    replication's frames are kept (about 14 MB a year of the sample); when only the
    figures are wanted, :func:`figures_many` keeps one row a year instead.
    """
    n = _replications(replications)
    jobs = [(root, c, r) for c in configs for r in range(n)]
    parts = _run_years(_year_task, jobs, executor, workers, scheduler, tick)
    results = []
    for i, config in enumerate(configs):
        mine = parts[i * n : (i + 1) * n]
        frames = {k: pd.concat([p[k] for p in mine], ignore_index=True) for k in mine[0]}
        results.append(CapacityResult(config=config, hours=calendar(config).hours, **frames))
    return results


#: figures made after the first stage: not in a first-stage-only run's figures
LATER_FIGURES = ("opportunities", "lost_to_decay", "bookings")


def _replication_figures(
    config: CapacityConfig,
    root: np.random.SeedSequence,
    r: int,
    first_stage_only: bool,
    within_hours: float | None,
) -> pd.DataFrame:
    """One replication's row of :meth:`CapacityResult.per_replication`, made in the worker."""
    frames = _replication(config, root, r, first_stage_only)
    shown = config.replace(stages=config.stages[:1]) if first_stage_only else config
    year = CapacityResult(config=shown, hours=calendar(config).hours, **frames)
    row = year.per_replication(within_hours)
    if first_stage_only:  # what only the later stages make was not simulated
        row = row.drop(columns=list(LATER_FIGURES))
    return row


def _figures_task(
    root: np.random.SeedSequence,
    first_stage_only: bool,
    within_hours: float | None,
    config: CapacityConfig,
    r: int,
) -> pd.DataFrame:
    """The task of :func:`replication_figures`: the run's common arguments, then the
    team and the replication."""
    return _replication_figures(config, root, r, first_stage_only, within_hours)


def replication_figures(
    jobs: Sequence[tuple[CapacityConfig, int]],
    root: np.random.SeedSequence,
    *,
    first_stage_only: bool = False,
    within_hours: float | None = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    tick: Callable[[], object] | None = None,
) -> list[pd.DataFrame]:
    """The figures of each ``(configuration, replication)`` of ``jobs``: one row each.

    The row is replication ``r``'s :meth:`CapacityResult.per_replication`, made where
    the year ran (so only a row comes back, never the year's frames). Replication
    ``r`` of every configuration draws from the same streams, so any replications of
    any sizes can be run in any order, here or elsewhere, and be paired afterwards.
    """
    for _config, r in jobs:
        if isinstance(r, bool) or not isinstance(r, int | np.integer) or r < 0:
            raise CapacityError(f"a replication is a whole number >= 0; got {r!r}")
    tasks = [(root, bool(first_stage_only), within_hours, c, r) for c, r in jobs]
    return _run_years(_figures_task, tasks, executor, workers, scheduler, tick)


def figures_many(
    configs: Sequence[CapacityConfig],
    replications: int,
    root: np.random.SeedSequence,
    *,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    first_stage_only: bool = False,
    within_hours: float | None = None,
    tick: Callable[[], object] | None = None,
) -> list[pd.DataFrame]:
    """Each configuration's :meth:`CapacityResult.per_replication` figures, frames dropped.

    As :func:`run_many` (one executor, the same streams, ``tick`` per replication), but
    each worker reduces its year to one row of figures before sending it back, so the
    memory held stays small however many sizes and replications are run. With
    ``first_stage_only`` only the first stage is simulated and the figures it cannot
    measure (``opportunities``, ``lost_to_decay``, ``bookings`` and the later stages'
    utilisation) are left out.
    """
    n = _replications(replications)
    rows = replication_figures(
        [(c, r) for c in configs for r in range(n)],
        root,
        first_stage_only=first_stage_only,
        within_hours=within_hours,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        tick=tick,
    )
    return [pd.concat(rows[i * n : (i + 1) * n]) for i in range(len(configs))]


def _replications(replications: int) -> int:
    n = int(replications)
    if n < 1:
        raise CapacityError(f"replications must be >= 1; got {n}")
    return n


def summarise(
    per: pd.DataFrame, level: float = 0.95, name: str = "", *, clip: bool = True
) -> pd.DataFrame:
    """Mean of each column of ``per`` (one row a replication) with its confidence interval.

    Every figure is at least 0 and shares and utilisation at most 1, so with ``clip``
    the interval is clipped there (not for changes, which can be negative). ``attrs``
    holds ``replications``, ``level`` and ``config`` (``name``).
    """
    from .queueing import mean_ci

    rows = []
    for col in per.columns:
        mean, half = mean_ci(per[col].to_numpy(float), level=level)
        mean, half = float(mean), float(half)
        low, high = mean - half, mean + half
        low = max(low, 0.0) if clip and np.isfinite(low) else low
        if clip and col.startswith(("share_", "utilisation_")) and np.isfinite(high):
            high = min(high, 1.0)
        rows.append({"figure": col, "mean": mean, "low": low, "high": high})
    df = pd.DataFrame(rows)
    df.attrs.update({"replications": len(per), "level": level, "config": name})
    return df


@dataclass(frozen=True)
class CapacityResult:
    """Replications of a capacity simulation: tidy frames with a ``replication`` column.

    Attributes
    ----------
    config : CapacityConfig
    leads, work, reps, bookings, opportunities, queue : DataFrame
        See :func:`simulate_capacity`; concatenated over replications.
    hours : float
        Working hours in the year.
    """

    config: CapacityConfig
    leads: pd.DataFrame = field(repr=False)
    work: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    bookings: pd.DataFrame = field(repr=False)
    opportunities: pd.DataFrame = field(repr=False)
    queue: pd.DataFrame = field(repr=False)
    run: pd.DataFrame = field(repr=False, default=None)
    hours: float = 0.0

    @property
    def n_replications(self) -> int:
        return int(self.leads["replication"].nunique())

    def per_replication(self, within_hours: float | None = None) -> pd.DataFrame:
        """One row per replication: the figures of :meth:`summary`."""
        within = within_hours
        if within is None and self.config.target is not None:
            within = self.config.target.within_hours
        within = 1.0 if within is None else within
        w = self.work
        first = w[w["stage"] == 0]
        # leads not contacted by the year end: waiting since their arrival, a wait
        # known to exceed the window once they have waited longer than it
        seen = first.set_index(["replication", "lead"]).index
        leads = self.leads.set_index(["replication", "lead"])
        waiting = leads[~leads.index.isin(seen)]
        overdue = (self.hours - waiting["arrived"] > within).groupby("replication").sum()
        out = pd.DataFrame(
            index=pd.Index(sorted(self.leads["replication"].unique()), name="replication")
        )
        out["leads"] = self.leads.groupby("replication").size()
        out["contacted"] = first.groupby("replication").size()
        out["mean_wait_hours"] = first.groupby("replication")["wait"].mean()
        out["p90_wait_hours"] = first.groupby("replication")["wait"].quantile(0.9)
        ok = first.assign(ok=first["wait"] <= within).groupby("replication")["ok"]
        # the still-waiting leads past the window count as missed; those that arrived
        # within the window of the year end are not known yet and are left out
        out[f"share_within_{within:g}h"] = ok.sum() / (
            ok.count() + overdue.reindex(out.index, fill_value=0)
        )
        out["not_contacted"] = (
            waiting.groupby("replication").size().reindex(out.index, fill_value=0)
        )
        for s in self.config.stages:
            # busy hours over hours in a seat, the stage's reps together
            r = self.reps[self.reps["stage"] == s.name].groupby("replication")
            out[f"utilisation_{s.name}"] = r["busy_hours"].sum() / r["hours_in_seat"].sum()
        last = w[w["stage"] == len(self.config.stages) - 1]
        out["opportunities"] = last.groupby("replication")["passed"].sum()
        out["lost_to_decay"] = w.groupby("replication")["lost_to_decay"].sum()
        out["bookings"] = self.bookings.groupby("replication")["bookings"].sum()
        return out.fillna(0.0)

    def summary(self, level: float = 0.95, within_hours: float | None = None) -> pd.DataFrame:
        """Mean of each figure across replications with its confidence interval."""
        return summarise(self.per_replication(within_hours), level, self.config.name)


def run_capacity(
    config: CapacityConfig,
    replications: int | None = None,
    *,
    rng: RngLike = None,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> CapacityResult:
    """Run ``replications`` independent years of ``config``.

    ``rng`` (int, SeedSequence or Generator; default ``config.seed``) is normalised
    once to the run's root (:func:`spm_sim.random.seed_sequence`). Replication ``r``
    draws from the root's streams ``replication`` and ``seats`` with index ``r``
    (:data:`spm_sim.random.STREAMS`), so the numbers depend on the seed and the
    replication only, not on where the years run: ``executor`` is ``None`` or
    ``"serial"`` (here), ``"processes"`` (a local pool of ``workers``), ``"dask"`` (a
    local Dask cluster, or the scheduler at ``scheduler``) or an executor you hold
    (see :func:`spm_sim.parallel.run_tasks`); ``workers > 1`` without an executor is a
    local pool. ``progress`` shows a tqdm bar over the replications (a widget in a
    notebook, on stderr in a terminal).

    Examples
    --------
    >>> cfg = CapacityConfig(name="demo", segments=[{"name": "inbound", "leads_per_year": 2000}],
    ...                      stages=[{"name": "AE", "reps": 3, "effort_hours": 2.0}])
    >>> res = run_capacity(cfg, 2, rng=1)
    >>> res.n_replications, round(float(res.reps["utilisation"].mean()), 1)  # doctest: +SKIP
    (2, 0.9)
    """
    n = int(config.replications if replications is None else replications)
    if n < 1:
        raise CapacityError(f"replications must be >= 1; got {n}")
    root = seed_sequence(rng, default=config.seed)
    with progress_bar(progress, n, f"{config.name}: simulated years", "year") as bar:
        return run_many(
            [config],
            n,
            root,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            tick=bar.update,
        )[0]


@contextmanager
def progress_bar(show: bool, total: int | None, desc: str, unit: str) -> Iterator[Any]:
    """A tqdm bar (``tqdm.auto``: a widget in a notebook) when ``show``, else a no-op.

    When the work ends the bar is drawn once more with its final count (tqdm skips
    redraws closer than its interval, so the last count might otherwise never show),
    then closed and removed; on an error it is closed and removed at once.
    """
    if not show:
        yield _NoBar()
        return
    from tqdm.auto import tqdm  # only when a bar is wanted

    bar = tqdm(total=total, desc=desc, unit=unit, leave=False)
    try:
        yield bar
        # the last count drawn, whatever the redraw interval skipped (then removed)
        bar.refresh()
    finally:
        bar.close()


class _NoBar:
    """What :func:`progress_bar` yields when no bar is wanted."""

    total: int | None = None  # grown by the callers of a bar, read by nobody

    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def set_postfix_str(self, text: str) -> None:
        """Nothing to show."""

    def refresh(self) -> None:
        """Nothing to show."""


# --- capacity planning and the hand-off to the Monte Carlo ---------------------------


def handoff(result: CapacityResult) -> dict:
    """What queueing does to conversion, as multipliers for the Monte Carlo engine.

    For each stage, the pass probability of the leads it worked given their waits,
    over the probability had they not waited, by the month the lead arrived; the
    factor of a month is the product over the stages (a lead's conversion through
    the funnel is the product of its stages'). Leads still waiting at the year end
    are left out (their wait is not known).

    The factor is measured against leads that never wait, and the history the
    productivity model is fitted on already holds the queue of the team that earned
    it. So to model a change of team, take the ratio of the new team's factor to
    today's, and apply it to the share of bookings that comes through this funnel:
    ``Scenario.capacity_factor = 1 - share x (1 - ratio)`` (one value, or twelve
    with ``factor_by_month``). The fast vectorised engine then reflects the queue
    without running SimPy per trial. Opportunities close after their cycle, so a
    month's factor shows in later months' bookings; the year's is the robust one.
    """
    w = result.work
    first = w[w["stage"] == 0].set_index(["replication", "lead"])["month"]
    rec = w.join(first.rename("arrival_month"), on=["replication", "lead"])
    rec["p0"] = np.array([s.conversion for s in result.config.stages])[rec["stage"].to_numpy()]
    factor_m = np.ones(12)
    factor = 1.0
    for k in range(len(result.config.stages)):
        on = rec[rec["stage"] == k]
        if on.empty:
            continue
        sums = on.groupby("arrival_month")[["p_pass", "p0"]].sum().reindex(range(1, 13))
        ratio = (sums["p_pass"] / sums["p0"]).to_numpy()
        factor_m *= np.where(np.isfinite(ratio), ratio, 1.0)
        factor *= float(on["p_pass"].sum() / on["p0"].sum())
    return {
        "factor": factor,
        "factor_by_month": tuple(float(x) for x in factor_m),
        "replications": result.n_replications,
    }
