"""Headcount and capacity: how many reps (seats) a plan year needs.

Two ways to size a sales force, both in full-time equivalents (FTE) first:

* **workload build-up**: ``raw FTE = total workload hours / (hours_per_year x
  selling_share)``, the accounts' coverage time over the hours one rep spends on
  accounts in a year, net of admin, training and internal meetings;
* **carried quota**: ``raw FTE = target / (quota per ramped rep x expected
  attainment)``, the number over what one fully productive rep is expected to sell.

Then one **seat** (a budgeted position) does not deliver one FTE over a year: its
rep may leave (attrition), the seat stays vacant while it is backfilled, and the
replacement ramps. :func:`effective_fte_per_seat` gives the expected productive
share ``e`` of a seat over the year, and ``seats = ceil(raw FTE / e)``.

The seat model is a Markov chain over months. A seat is *filled* by a rep of
tenure ``k`` months (productivity ``ramp_factor(k)``, see
:func:`spm_sim.productivity.ramp_factor`) or *vacant* (productivity
``vacancy_productivity``). At the end of each month a rep leaves with the constant
hazard ``h = 1 - (1 - annual_attrition)^(1/12)``; the seat is then vacant for
``backfill_lag_months`` full months, after which a new hire starts at tenure 0 (and
may leave in turn). A leaver works the whole month they leave. With ``pi_m`` the
distribution over states in month ``m`` and ``r`` the productivity of each state,
``e = (1/12) sum_{m=0}^{11} pi_m . r`` with ``pi_{m+1} = pi_m P``: an exact expected
value, no sampling.

See ``docs/model.md`` for the equations and a worked example.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Annotated, Any

import annotated_types as at
import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, ValidationError, field_validator

from spm_sim._spec import Spec, suggest
from spm_sim.book import needs_column
from spm_sim.errors import CapacityError, DataError, InfeasibleError
from spm_sim.productivity import DEFAULT_RAMP, ramp_factor

__all__ = [
    "CapacityAssumptions",
    "CapacityError",
    "Headcount",
    "seat_productivity_by_month",
    "effective_fte_per_seat",
    "workload_headcount",
    "quota_headcount",
    "headcount_by_region",
    "headcount_balance",
]

# raw FTE / e is rounded up; a ratio within this of a whole number is that number,
# so floating-point noise (93.000000000001) does not add a seat.
_CEIL_TOL = 1e-9


def _real(value: Any) -> Any:
    # before pydantic's float: text ("1800") and booleans are not numbers here
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError("not a number")
    return value


def _whole(value: Any) -> Any:
    # before pydantic's int: 2.0 is 2 months, 2.5 and True are not whole numbers
    if (
        isinstance(value, bool)
        or not isinstance(value, Integral | float)
        or not (math.isfinite(value) and value == int(value))
    ):
        raise ValueError("not a whole number")
    return int(value)


#: A finite real number (not text, not a boolean); the field adds its bounds.
_Real = Annotated[float, BeforeValidator(_real), Field(allow_inf_nan=False)]
#: A productivity share of a ramped rep.
_Share = Annotated[float, BeforeValidator(_real), Field(ge=0.0, le=1.0, allow_inf_nan=False)]


def _rule(metadata: Iterable[Any]) -> str:
    """The bounds of a field as messages write them: ``in (0, 1]``, ``>= 0``, ``> 0``."""
    low = high = None
    for m in metadata:
        if isinstance(m, at.Gt):
            low = f"({m.gt:g}"
        elif isinstance(m, at.Ge):
            low = f"[{m.ge:g}"
        elif isinstance(m, at.Lt):
            high = f"{m.lt:g})"
        elif isinstance(m, at.Le):
            high = f"{m.le:g}]"
    if low and high:
        return f"in {low}, {high}"
    if low:
        return f"{'>' if low[0] == '(' else '>='} {low[1:]}"
    return f"{'<' if high and high[-1] == ')' else '<='} {(high or '')[:-1]}".strip()


def _item_rule(annotation: Any) -> str:
    """The bounds of the items of a ``tuple[Annotated[...], ...]`` field."""
    item = typing.get_args(annotation)[0]
    found = [m for arg in typing.get_args(item)[1:] for m in getattr(arg, "metadata", [arg])]
    return _rule(found)


def _explain(exc: ValidationError, model: type[Spec]) -> str:
    """One line per problem, each naming the field, the rule and the value."""
    fields = model.model_fields
    lines = []
    for e in exc.errors(include_url=False):
        loc, kind, value = tuple(e["loc"]), e["type"], e.get("input")
        name = str(loc[0]) if loc else ""
        own = (e.get("ctx") or {}).get("error")
        if isinstance(own, CapacityError):  # a rule of the spec's own, already in words
            lines.append(str(own))
        elif kind == "extra_forbidden":
            lines.append(
                f"unknown field {name!r}.{suggest(name, fields)} Allowed: {', '.join(fields)}"
            )
        elif name not in fields:  # pragma: no cover - every error of these specs is on a field
            lines.append(f"{name or model.__name__}: {e['msg']}; got {value!r}")
        elif typing.get_origin(fields[name].annotation) is tuple:
            if len(loc) > 1:
                rule = _item_rule(fields[name].annotation)
                quarter = int(loc[1]) + 1
                lines.append(f"{name} quarter {quarter} must be a number {rule}; got {value!r}")
            else:
                lines.append(f"{name} must be a sequence of numbers; got {value!r}")
        else:
            rule = _rule(fields[name].metadata)
            whole = fields[name].annotation is int
            # a finite number out of bounds breaks the bounds only (NaN fails them too)
            bound = kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
            finite = isinstance(value, Real) and math.isfinite(value)
            what = "a whole number " if whole else ("" if bound and finite else "a finite number ")
            lines.append(f"{name} must be {what}{rule}; got {value!r}")
    return "\n".join(lines)


class _CapacitySpec(Spec):
    """Base of the headcount specs: a bad value is a :class:`CapacityError` naming the
    field, the rule and the value, whether the spec is built directly or by
    :meth:`replace` (``model_validate`` raises pydantic's ``ValidationError``, a
    ``ValueError`` too, with the same text).

    The rules are the fields' pydantic constraints; :func:`_explain` words them.
    """

    _error = CapacityError

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise CapacityError(_explain(exc, type(self))) from None

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied, validated again (a :class:`CapacityError` if not)."""
        return type(self)(**{**dict(self), **changes})


class CapacityAssumptions(_CapacitySpec):
    """What one seat delivers in a year (a frozen, validated spec).

    Parameters
    ----------
    hours_per_year : float, default 1800
        Working hours of a full-time rep in a year (about 45 weeks x 40 hours).
        In (0, 8760].
    selling_share : float, default 0.6
        Share of those hours spent covering accounts (calls, preparation, travel,
        follow-up), net of admin, training and internal meetings. In (0, 1]. An
        assumption: time studies put *active selling* alone at 20-40% of the week,
        account coverage is broader. Measure your reps' admin share and set it.
    ramp : tuple of float, default ``DEFAULT_RAMP``
        Productivity of a new hire per quarter of tenure (0.25, 0.5, 0.75, 1.0);
        each in [0, 1], the last must be 1.0 (a ramped rep).
    annual_attrition : float, default 0.25
        Share of reps who leave in a year, in [0, 1). 0.25 is the low end of the
        25-35% a year that CSO Insights and HBR report.
    backfill_lag_months : int, default 3
        Whole months a seat stays vacant after its rep leaves, >= 0.
    vacancy_productivity : float, default 0.0
        What a vacant seat still delivers (a manager or neighbours covering its
        accounts), as a share of a ramped rep, in [0, 1].

    Raises
    ------
    CapacityError
        A value breaks its field's rule; the message names the field, the rule and
        the value (also from :meth:`replace`).

    Examples
    --------
    >>> a = CapacityAssumptions()
    >>> a.replace(annual_attrition=0.3).annual_attrition
    0.3
    >>> a.model_dump()["backfill_lag_months"]
    3
    >>> CapacityAssumptions(selling_share=1.4)
    Traceback (most recent call last):
    ...
    spm_sim.errors.CapacityError: selling_share must be in (0, 1]; got 1.4
    """

    hours_per_year: _Real = Field(1800.0, gt=0.0, le=8760.0)
    selling_share: _Real = Field(0.6, gt=0.0, le=1.0)
    ramp: tuple[_Share, ...] = DEFAULT_RAMP
    annual_attrition: _Real = Field(0.25, ge=0.0, lt=1.0)
    backfill_lag_months: Annotated[int, BeforeValidator(_whole)] = Field(3, ge=0)
    vacancy_productivity: _Real = Field(0.0, ge=0.0, le=1.0)

    @field_validator("ramp")
    @classmethod
    def _ends_ramped(cls, ramp: tuple[float, ...]) -> tuple[float, ...]:
        if not ramp or ramp[-1] != 1.0:
            raise CapacityError(f"ramp must end at 1.0 (a fully ramped rep); got {ramp!r}")
        return ramp

    @property
    def selling_hours(self) -> float:
        """Hours one ramped rep spends on accounts in a year: ``hours_per_year x selling_share``."""
        return self.hours_per_year * self.selling_share


class _WorkloadInputs(_CapacitySpec):
    """The argument of :func:`workload_headcount`, checked like the assumptions."""

    total_workload_hours: _Real = Field(ge=0.0)


class _QuotaInputs(_CapacitySpec):
    """The arguments of :func:`quota_headcount`, checked like the assumptions."""

    target: _Real = Field(gt=0.0)
    quota_per_ramped_rep: _Real = Field(gt=0.0)
    expected_attainment: _Real = Field(gt=0.0, le=2.0)


def seat_productivity_by_month(
    assumptions: CapacityAssumptions | None = None, *, new_hire: bool = False, months: int = 12
) -> np.ndarray:
    """Expected productivity of one seat in each month, as a share of a ramped rep.

    Parameters
    ----------
    assumptions : CapacityAssumptions, optional
        Default ``CapacityAssumptions()``.
    new_hire : bool, default False
        False: the seat starts the year filled by a ramped rep. True: by a new hire
        at tenure 0 (the seat pays its own ramp too).
    months : int, default 12
        Months of the horizon.

    Returns
    -------
    ndarray, shape (months,)

    Notes
    -----
    States: filled with tenure ``k = 0..K`` (``K = 3 (len(ramp) - 1)``, the first
    month at full productivity, absorbs longer tenures) and vacant for ``j = 1..L``
    months (``L = backfill_lag_months``). At each month end a filled seat moves to
    tenure ``min(k + 1, K)`` with probability ``1 - h``, or with probability ``h``
    to vacant ``j = 1`` (to tenure 0 when ``L = 0``); vacant ``j < L`` moves to
    ``j + 1`` and vacant ``L`` to tenure 0. Month ``m`` is worth
    ``sum_s pi_m(s) r(s)``, with ``r`` = ``ramp_factor(k)`` or ``vacancy_productivity``.

    Examples
    --------
    >>> seat_productivity_by_month(new_hire=True, months=4)
    array([0.25      , 0.24407789, 0.23829607, 0.46530243])
    """
    a = assumptions if assumptions is not None else CapacityAssumptions()
    if isinstance(months, bool) or not isinstance(months, Integral) or months < 1:
        raise CapacityError(f"months must be a whole number >= 1; got {months!r}")
    h = 1.0 - (1.0 - a.annual_attrition) ** (1.0 / 12.0)  # monthly hazard
    top, lag = 3 * (len(a.ramp) - 1), a.backfill_lag_months
    n_filled = top + 1
    value = np.concatenate(
        [ramp_factor(np.arange(n_filled), a.ramp), np.full(lag, a.vacancy_productivity)]
    )
    step = np.zeros((n_filled + lag, n_filled + lag))
    for k in range(n_filled):
        step[k, min(k + 1, top)] += 1.0 - h
        step[k, n_filled if lag else 0] += h
    for j in range(lag):  # state n_filled + j: vacant for j + 1 months
        step[n_filled + j, n_filled + j + 1 if j + 1 < lag else 0] = 1.0
    pi = np.zeros(n_filled + lag)
    pi[0 if new_hire else top] = 1.0
    out = np.empty(months)
    for m in range(months):
        out[m] = pi @ value
        pi = pi @ step
    return out


def effective_fte_per_seat(
    assumptions: CapacityAssumptions | None = None, *, new_hire: bool = False
) -> float:
    """Expected FTE one seat delivers over a year, net of attrition, vacancy and ramp.

    The mean of :func:`seat_productivity_by_month` over 12 months.

    Parameters
    ----------
    assumptions : CapacityAssumptions, optional
        Default ``CapacityAssumptions()``.
    new_hire : bool, default False
        True for a seat filled by a new hire on 1 January (pays its own ramp).

    Returns
    -------
    float
        In [0, 1]; 1 means a ramped rep who never leaves.

    Notes
    -----
    ``e = (1/12) sum_{m=0}^{11} pi_m . r`` with ``pi_0`` on the ramped state (or on
    tenure 0 for a new hire), ``pi_{m+1} = pi_m P`` and ``P`` the monthly transition
    matrix of :func:`seat_productivity_by_month`. Without ramp (``ramp=(1.0,)``),
    vacancy productivity 0 and a lag of 11 months or more (a leaver is not replaced
    within the year) it reduces to ``e = (1 - (1 - h)^12) / (12 h) = a / (12 h)``.

    Examples
    --------
    >>> round(effective_fte_per_seat(), 4)
    0.9033
    >>> round(effective_fte_per_seat(new_hire=True), 4)
    0.5538
    """
    return float(seat_productivity_by_month(assumptions, new_hire=new_hire).mean())


@dataclass(frozen=True)
class Headcount:
    """Seats needed, with every step of the build-up.

    Attributes
    ----------
    method : {"workload", "quota"}
    demand : float
        Total workload hours a year, or the target in money.
    capacity_per_fte : float
        Selling hours of one ramped rep, or quota per ramped rep x expected attainment.
    raw_fte : float
        ``demand / capacity_per_fte``: FTE with no attrition, vacancy or ramp.
    fte_per_seat : float
        :func:`effective_fte_per_seat`.
    seats : int
        ``ceil(raw_fte / fte_per_seat)``.
    assumptions : CapacityAssumptions
    inputs : dict
        The method's own inputs, for the record.
    """

    method: str
    demand: float
    capacity_per_fte: float
    raw_fte: float
    fte_per_seat: float
    seats: int
    assumptions: CapacityAssumptions
    inputs: dict = field(default_factory=dict, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The build-up as a table: step, formula, value, unit (one row per step)."""
        work = self.method == "workload"
        dem, unit = ("total workload", "hours") if work else ("target", "money")
        cap = "hours_per_year x selling_share" if work else "quota x expected_attainment"
        rows = [
            ("demand", dem, self.demand, unit),
            ("capacity_per_fte", cap, self.capacity_per_fte, unit),
            ("raw_fte", "demand / capacity_per_fte", self.raw_fte, "FTE"),
            ("fte_per_seat", "after attrition, backfill lag and ramp", self.fte_per_seat, "FTE"),
            ("seats", "ceil(raw_fte / fte_per_seat)", float(self.seats), "seats"),
        ]
        return pd.DataFrame(rows, columns=["step", "formula", "value", "unit"])


def _seats(raw: float, per_seat: float) -> int:
    if per_seat <= 0:
        raise CapacityError(
            f"a seat delivers no FTE with these assumptions (fte_per_seat = {per_seat}); "
            "raise vacancy_productivity or the ramp, or lower attrition"
        )
    return int(math.ceil(raw / per_seat - _CEIL_TOL))


def _build(method, demand, capacity, a, new_hire, **inputs) -> Headcount:
    raw, e = demand / capacity, effective_fte_per_seat(a, new_hire=new_hire)
    inputs["new_hire"] = new_hire
    return Headcount(method, demand, capacity, raw, e, _seats(raw, e), a, inputs)


def workload_headcount(
    total_workload_hours: float,
    assumptions: CapacityAssumptions | None = None,
    *,
    new_hire: bool = False,
) -> Headcount:
    """Seats needed to cover a workload (workload build-up).

    Parameters
    ----------
    total_workload_hours : float
        Hours a year to cover all accounts (accounts x call frequency x call length), >= 0.
    assumptions : CapacityAssumptions, optional
        Default ``CapacityAssumptions()``.
    new_hire : bool, default False
        Size with seats filled by new hires on 1 January (each pays its ramp).

    Returns
    -------
    Headcount

    Notes
    -----
    ``raw FTE = W / (hours_per_year x selling_share)``;
    ``seats = ceil(raw FTE / e)`` with ``e`` = :func:`effective_fte_per_seat`.

    Examples
    --------
    >>> hc = workload_headcount(100_000)
    >>> hc.raw_fte, hc.seats
    (92.59..., 103)
    >>> hc.to_frame()[["step", "value"]]
                   step          value
    0            demand  100000.000000
    1  capacity_per_fte    1080.000000
    2           raw_fte      92.592593
    3      fte_per_seat       0.903337
    4             seats     103.000000
    """
    w = _WorkloadInputs(total_workload_hours=total_workload_hours).total_workload_hours
    a = assumptions if assumptions is not None else CapacityAssumptions()
    return _build("workload", w, a.selling_hours, a, new_hire, total_workload_hours=w)


def quota_headcount(
    target: float,
    quota_per_ramped_rep: float,
    expected_attainment: float,
    assumptions: CapacityAssumptions | None = None,
    *,
    new_hire: bool = False,
) -> Headcount:
    """Seats needed to carry a target (carried-quota sizing).

    Parameters
    ----------
    target : float
        The number to make in the year, > 0 (money).
    quota_per_ramped_rep : float
        Annual quota of a fully ramped rep, > 0 (money).
    expected_attainment : float
        Expected attainment of a ramped rep, in (0, 2]; 1.0 = at quota. Observed
        averages run below 1 (45-55% of reps reach quota, see the domain primer).
    assumptions : CapacityAssumptions, optional
        Attrition, backfill lag and ramp (hours and selling share are not used).
    new_hire : bool, default False
        Size with seats filled by new hires on 1 January.

    Returns
    -------
    Headcount

    Notes
    -----
    ``raw FTE = T / (Q x A)``; ``seats = ceil(raw FTE / e)``.

    Examples
    --------
    >>> hc = quota_headcount(50e6, 1.2e6, 0.9)
    >>> round(hc.raw_fte, 2), hc.seats
    (46.3, 52)
    """
    checked = _QuotaInputs(
        target=target,
        quota_per_ramped_rep=quota_per_ramped_rep,
        expected_attainment=expected_attainment,
    )
    t, q, att = checked.target, checked.quota_per_ramped_rep, checked.expected_attainment
    a = assumptions if assumptions is not None else CapacityAssumptions()
    inputs = {"quota_per_ramped_rep": q, "expected_attainment": att}
    return _build("quota", t, q * att, a, new_hire, target=t, **inputs)


def headcount_by_region(
    accounts: pd.DataFrame,
    *,
    region: str | pd.Series = "region",
    workload: str = "workload",
    reps: pd.DataFrame | None = None,
    current: str | pd.Series | None = "rep_id",
    assumptions: CapacityAssumptions | None = None,
) -> pd.DataFrame:
    """Workload build-up per region: seats needed against current reps.

    Parameters
    ----------
    accounts : DataFrame
        One row per account with a ``workload`` column (hours a year).
    region : str or Series, default "region"
        A column of ``accounts``; or, if ``accounts`` has no such column and ``reps``
        is given, the column of ``reps`` reached through ``rep_id``; or a Series
        aligned on ``accounts``' index.
    workload : str, default "workload"
        Column of ``accounts`` with the hours a year per account.
    reps : DataFrame, optional
        The reps table (``rep_id`` and the region column), to find each account's region.
    current : str, Series or None, default "rep_id"
        Current reps per region: a column of ``accounts`` with rep ids (distinct ids
        per region are counted), or a Series of counts indexed by region, or None
        (the ``current_reps``, ``gap`` and ``hires_needed`` columns are then missing).
    assumptions : CapacityAssumptions, optional
        Default ``CapacityAssumptions()``.

    Returns
    -------
    DataFrame
        One row per region, sorted by region: ``workload_hours``,
        ``selling_hours_per_rep``, ``raw_fte``, ``fte_per_seat``, ``seats_needed``
        (``ceil(raw_fte / fte_per_seat)``, seats filled by ramped reps),
        ``current_reps``, ``gap = seats_needed - current_reps`` and ``hires_needed``:
        new seats if the current reps stay and every added seat is a new hire who
        ramps, ``ceil(max(raw_fte - current x e, 0) / e_new)``. ``attrs["assumptions"]``
        holds the assumptions.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> book = load_sample()
    >>> table = headcount_by_region(book.accounts, reps=book.reps)
    >>> table[["region", "workload_hours", "seats_needed", "current_reps", "gap"]]
        region  workload_hours  seats_needed  current_reps  gap
    0  Central         32555.5            34            18   16
    1     East         36010.3            37            19   18
    2    South         44802.6            46            24   22
    3     West         37236.5            39            19   20
    """
    a = assumptions if assumptions is not None else CapacityAssumptions()
    if workload == "workload":  # optional in a book: say what needs it
        needs_column(
            accounts,
            workload,
            file="accounts.csv",
            needed_for="the headcount from workload (the hours a year each account takes)",
        )
    if workload not in accounts.columns:
        raise DataError(
            f"accounts have no column '{workload}' (hours a year per account)."
            f"{suggest(workload, accounts.columns)}"
        )
    hours = pd.to_numeric(accounts[workload], errors="coerce")
    bad = ~np.isfinite(hours.to_numpy(dtype=float)) | (hours.to_numpy(dtype=float) < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{int(bad.sum())} account(s) have a workload that is missing, not a number or "
            f"negative; first at {_account(accounts, pos)}: {accounts[workload].iloc[pos]}.",
            column=workload,
        )
    regions = _regions(accounts, region, reps)
    e = effective_fte_per_seat(a)
    table = hours.groupby(regions, sort=True).sum().rename("workload_hours").to_frame()
    table.index.name = "region"
    table["selling_hours_per_rep"] = a.selling_hours
    table["raw_fte"] = table["workload_hours"] / a.selling_hours
    table["fte_per_seat"] = e
    table["seats_needed"] = [_seats(r, e) for r in table["raw_fte"]]
    if current is not None:
        if isinstance(current, str):
            if current not in accounts.columns:
                raise DataError(
                    f"accounts have no column '{current}' to count current reps; pass "
                    f"current=None or a Series of counts.{suggest(current, accounts.columns)}"
                )
            now = accounts[current].groupby(regions).nunique()
        else:
            now = pd.to_numeric(pd.Series(current), errors="coerce")
            if not ((now >= 0) & (now == np.floor(now))).all():
                raise DataError(f"current reps must be whole numbers >= 0; got {dict(now)}")
        now = now.reindex(table.index).fillna(0).astype(int)
        e_new = effective_fte_per_seat(a, new_hire=True)
        short = np.maximum(table["raw_fte"] - now * e, 0.0)
        table["current_reps"] = now
        table["gap"] = table["seats_needed"] - now
        table["hires_needed"] = [_seats(s, e_new) for s in short]
    table = table.reset_index()
    table.attrs["assumptions"] = a.model_dump()
    return table


def _regions(accounts: pd.DataFrame, region, reps: pd.DataFrame | None) -> pd.Series:
    if isinstance(region, pd.Series):
        out = region.reindex(accounts.index)
    elif region in accounts.columns:
        out = accounts[region]
    elif reps is not None and region in reps.columns and "rep_id" in accounts.columns:
        out = accounts["rep_id"].map(reps.drop_duplicates("rep_id").set_index("rep_id")[region])
    else:
        where = "accounts" + (" or reps" if reps is not None else "")
        raise DataError(
            f"no column '{region}' in {where} to group accounts by region; pass reps= "
            f"(joined on rep_id) or a Series.{suggest(str(region), accounts.columns)}"
        )
    if out.isna().any():
        pos = int(np.flatnonzero(out.isna().to_numpy())[0])
        hint = " Check that every rep_id is in reps with a region." if reps is not None else ""
        raise DataError(
            f"{int(out.isna().sum())} account(s) have no region; first at "
            f"{_account(accounts, pos)}.{hint}"
        )
    return out.rename("region")


def _account(accounts: pd.DataFrame, pos: int) -> str:
    """``index 3 (account_id A00004, rep_id R012)`` for the row at position ``pos``."""
    ids = [f"{c} {accounts[c].iloc[pos]}" for c in ("account_id", "rep_id") if c in accounts]
    return f"index {accounts.index[pos]}" + (f" ({', '.join(ids)})" if ids else "")


def headcount_balance(
    units: pd.DataFrame,
    counts: Iterable[int],
    *,
    assumptions: CapacityAssumptions | None = None,
    workload: str = "workload",
    **design_kwargs: Any,
) -> pd.DataFrame:
    """What adding or removing reps does to balance, load and travel: one design per count.

    Runs :func:`spm_sim.territory.design` with ``territories=c`` for every ``c`` in
    ``counts`` (other arguments passed through; ``strict=False`` so an out-of-band
    result is shown, not raised) and tabulates each alignment.

    Parameters
    ----------
    units : DataFrame
        Units or accounts, as for ``design``.
    counts : iterable of int
        Numbers of reps (territories) to compare, e.g. ``[79, 80, 81]``.
    assumptions : CapacityAssumptions, optional
        Gives the selling hours a rep has (``hours_per_year x selling_share``), to
        which each territory's ``workload`` is compared.
    workload : str
        Column of hours a year (used when present).

    Returns
    -------
    DataFrame
        One row per count: ``reps``, ``status``, ``max_dev`` (largest relative
        deviation over the balanced measures), ``max_dev_<m>`` per measure, mean
        territory ``<m>``, ``load_mean`` and ``load_max`` (territory workload over
        selling hours; above 1 a rep cannot cover the territory), ``total_distance``,
        ``seconds``.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": range(12), "x": list(range(12)), "y": 0.0,
    ...                       "workload": [300.0] * 12})
    >>> t = headcount_balance(units, [3, 4], balance={"workload": 0.0}, rng=0)
    >>> t[["reps", "load_mean", "max_dev"]]
       reps  load_mean  max_dev
    0     3   1.111111      0.0
    1     4   0.833333      0.0
    """
    from spm_sim.territory import design

    a = assumptions or CapacityAssumptions()
    rows = []
    for c in counts:
        try:
            al = design(units, territories=int(c), strict=False, **design_kwargs)
        except InfeasibleError as err:
            rows.append({"reps": int(c), "status": "infeasible", "reason": str(err)})
            continue
        s, per = al.summary, al.territories
        row = {"reps": int(c), "status": s["status"], "max_dev": float(s["max_dev"])}
        for m in al.settings.get("balance", {}):
            row[f"max_dev_{m}"] = float(per[f"dev_{m}"].abs().max())
            row[f"mean_{m}"] = float(per[m].mean())
        if workload in units.columns:
            load = units[workload].groupby(al.units["territory"].to_numpy()).sum()
            row["load_mean"] = float(load.mean() / a.selling_hours)
            row["load_max"] = float(load.max() / a.selling_hours)
        row["total_distance"] = float(s["total_distance"])
        row["seconds"] = float(s["seconds"])
        rows.append(row)
    return pd.DataFrame(rows)
