"""The parts of an incentive plan: measures, tiers, gates, multipliers and every kind
of component, each a frozen, validated spec.

A :class:`Component` pays a rate table of :class:`Tier` bands (or a curve of
:class:`CurvePoint`) on one measure, with an optional :class:`Gate` and
:class:`Multiplier`; :class:`Bonus`, :class:`MBO`, :class:`Spiff` and :class:`Contest`
are the other component types, :class:`Draw` and :class:`Clawback` the plan-level
mechanics. Each checks its own fields and the rules across them, with messages that
name the component; the plan that holds them is in ``_comp/plan.py``.

Every number has a documented upper bound that no real plan reaches (the ``MAX_``
constants below): a value above it, like a rate of 1e308, is refused with the field
named, so the payout arithmetic can never overflow. Values that are possible but
unlikely (the ``PLAUSIBLE_`` constants) are warned about by the plan that holds them
(:class:`~spm_sim.errors.PlausibilityWarning`, an error under strict checks). The
bounds on money are the same in every currency; the plausibility thresholds on money
are in US dollars, read in the plan's currency through
:func:`spm_sim._format.units_per_usd`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

from spm_sim._spec import Number, Spec, suggest
from spm_sim.errors import PlanError, SpecError

__all__ = [
    "MEASURES",
    "MEASURE_KINDS",
    "PERIODS",
    "Measure",
    "Tier",
    "CurvePoint",
    "Gate",
    "MultiplierLevel",
    "Multiplier",
    "Component",
    "Milestone",
    "Bonus",
    "MBOLevel",
    "MBO",
    "Spiff",
    "Contest",
    "Draw",
    "Clawback",
    "MAX_MONEY",
    "MAX_MULTIPLE",
    "MAX_ATTAINMENT",
    "MAX_UNITS",
    "MAX_BOOKINGS_RATE",
    "MAX_CLAWBACK_DAYS",
    "PLAUSIBLE_TCR_RATE",
    "PLAUSIBLE_BOOKINGS_RATE",
    "PLAUSIBLE_MULTIPLE",
    "PLAUSIBLE_MONEY",
    "PLAUSIBLE_UNIT_MONEY",
    "PLAUSIBLE_DRAW_SHARE",
]

#: The measure every plan has: credited bookings, measured against the rep's quota.
#: A plan declares more in ``measures`` (see :class:`Measure`).
MEASURES: tuple[str, ...] = ("bookings",)

#: What a declared measure counts (see :class:`Measure`).
MEASURE_KINDS: tuple[str, ...] = ("bookings", "deals", "new_logos", "score")

#: Measurement periods of a component (see :class:`Component`).
PERIODS: tuple[str, ...] = ("month", "quarter", "year")

# --- bounds: above these a value is refused (a PlanError naming the field) -----------

#: The most any one amount of money in a plan may be, per rep, in the plan's currency
#: (a milestone, a prize, a monthly draw; also a rate per deal or per new logo), and
#: the most a rep's target incentive may be in the payout kernel: the bound of a
#: book's money columns, beyond any real amount in any currency (a trillion dong is
#: about 40 million dollars).
MAX_MONEY = 1e12
#: The most a multiple of the target commission rate (a ``tcr`` tier rate, a closed
#: gate's rate, a curve's slope) or of the target incentive (a payout cap, a curve
#: point, a multiplier factor, an MBO level, a milestone or draw share) may be.
MAX_MULTIPLE = 100.0
#: The most an attainment a plan names may be (tier edges, thresholds, caps, gates,
#: milestones): 100 = 10,000% of quota.
MAX_ATTAINMENT = 100.0
#: The most a count or total of a measure may be (an annual quota per rep, a
#: contest's minimum total, an MBO score).
MAX_UNITS = 1e12
#: The most a ``bookings``-basis rate (or a SPIFF's rate) on a measure of money may
#: be: 1.0 pays 100% of the deal.
MAX_BOOKINGS_RATE = 1.0
#: The longest clawback window, in days (ten years).
MAX_CLAWBACK_DAYS = 3660

# --- plausibility: above these a plan warns (an error under strict checks) ----------

#: A ``tcr`` tier rate, closed-gate rate or curve slope above 10x TCR is rare.
PLAUSIBLE_TCR_RATE = 10.0
#: A rate above 25% of each booked dollar (``bookings`` basis or a SPIFF) is rare.
PLAUSIBLE_BOOKINGS_RATE = 0.25
#: A payout cap, multiplier factor, MBO payout or milestone above 10x TI is rare.
PLAUSIBLE_MULTIPLE = 10.0
#: A milestone amount, a prize or a year of draws above 5,000,000 US dollars is rare
#: (compared in the plan's currency, times :func:`spm_sim._format.units_per_usd`).
PLAUSIBLE_MONEY = 5_000_000.0
#: A rate above 100,000 US dollars per deal or per new logo is rare (likewise).
PLAUSIBLE_UNIT_MONEY = 100_000.0
#: A monthly draw above the monthly TI (share_of_ti above 1) is rare.
PLAUSIBLE_DRAW_SHARE = 1.0


class _AtMost:
    """An upper bound on a number, checked with a message in words (the value, the
    bound and what it means) and written into the JSON schema as ``maximum``."""

    def __init__(self, limit: float, what: str) -> None:
        self.limit, self.what = limit, what

    def _check(self, value: float) -> float:
        if value > self.limit:
            raise ValueError(
                f"{value:g} is above {self.limit:g}, {self.what}; check the number and its unit"
            )
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        out = handler(schema)
        out["maximum"] = self.limit
        return out


#: Money per rep: >= 0 and at most MAX_MONEY.
Money = Annotated[
    Number,
    Field(ge=0),
    _AtMost(MAX_MONEY, "the largest amount of money a plan may name (per rep)"),
]
#: A multiple of the TCR or the TI: >= 0 and at most MAX_MULTIPLE.
Multiple = Annotated[
    Number,
    Field(ge=0),
    _AtMost(MAX_MULTIPLE, "the largest multiple of the TI or the TCR a plan may name"),
]
#: An attainment (1.0 = 100% of quota): >= 0 and at most MAX_ATTAINMENT.
Attainment = Annotated[
    Number,
    Field(ge=0),
    _AtMost(
        MAX_ATTAINMENT,
        "the largest attainment a plan may name (100 = 10,000% of quota; attainment is "
        "a fraction, 1.0 = 100%)",
    ),
]
#: A count or total of a measure: >= 0 and at most MAX_UNITS.
Units = Annotated[
    Number,
    Field(ge=0),
    _AtMost(MAX_UNITS, "the largest count or total of a measure a plan may name"),
]


class _Spec(Spec):
    """Frozen base of the plan specs: no unknown fields, no inf or NaN, and
    :meth:`~spm_sim._spec.Spec.replace` raising :class:`PlanError`.

    Build plans with :func:`load_plan` (or ``Plan.from_yaml``, ``plan.replace``,
    :func:`standard_plan`), which raise :class:`PlanError` with located messages.
    Calling ``Plan(...)`` directly works too but, being plain pydantic, raises
    ``pydantic.ValidationError`` (also a ``ValueError``) carrying the same texts.
    Overriding ``__init__`` to convert it is not an option: pydantic then routes
    nested validation through that ``__init__`` as well.
    """

    model_config = ConfigDict(allow_inf_nan=False)  # merged with Spec's FROZEN
    _error: ClassVar[type[SpecError]] = PlanError


def _nested_errors(
    exc: ValidationError,
    label: Callable[[int], str],
    model: type[BaseModel],
    *,
    whole: str,
    named: bool,
) -> str:
    """One line per problem inside a list of specs, prefixed with the item's name.

    ``label(index)`` names a list item (``"component 'x'"``, ``"... tier 2"``) and
    ``whole`` names the list itself, for problems with the list as a whole. With
    ``named=True`` the inner :class:`PlanError` messages already name the item and
    are kept as they are, so names are not repeated.
    """
    lines = []
    for e in exc.errors(include_url=False):
        loc = tuple(e["loc"])
        index = loc[0] if loc and isinstance(loc[0], int) else None
        indexed = index is not None
        where = label(index) if index is not None else whole
        rest = loc[1 if indexed else 0 :]
        kind = model
        if indexed and rest and rest[0] in _TAGS:
            kind = _TAG_MODELS[rest[0]]
            rest = rest[1:]  # the component type a discriminated union adds
        field = ".".join(str(p) for p in rest)
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, PlanError):
            lines.append(str(inner) if named else f"{where}: {inner}")
        elif e["type"] == "extra_forbidden":
            allowed = list(kind.model_fields)
            if kind is Tier:
                allowed[1:1] = ["from"]
                allowed[3:3] = ["up_to"]
            lines.append(
                f"{where}: unknown field '{field}'.{suggest(field, allowed)} "
                f"Allowed: {', '.join(allowed)}."
            )
        elif e["type"] == "missing":
            lines.append(f"{where}: required field '{field}' is missing; add it.")
        elif e["type"] == "value_error":  # our own validators' words name the value
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {field + ': ' if field else ''}{msg}")
        else:
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            lines.append(f"{where}: {field + ': ' if field else ''}{e['msg']} (got {shown})")
    # Several problems become several lines, indented under the field they belong to.
    return "\n    ".join(lines)


def _check_steps(who: str, values: list[float], what: str, *, first: float | None = 0.0) -> None:
    """Raise unless ``values`` start at ``first`` (if given) and strictly increase."""
    if first is not None and values and values[0] != first:
        raise PlanError(f"{who}: the first {what} must be {first:g}, got {values[0]:g}")
    for k in range(1, len(values)):
        if not values[k] > values[k - 1]:
            raise PlanError(
                f"{who}: {what} must increase; entry {k + 1} ({values[k]:g}) is not above "
                f"entry {k} ({values[k - 1]:g})"
            )


def _one_of(who: str, **fields: Any) -> None:
    given = [k for k, v in fields.items() if v is not None]
    if len(given) != 1:
        names = " or ".join(fields)
        got = ", ".join(given) if given else "neither"
        raise PlanError(f"{who}: give exactly one of {names} (got {got})")


class Measure(_Spec):
    """A measure a plan pays on, besides the quota'd ``bookings`` every plan has.

    Parameters
    ----------
    name : str
        Used by components (``measure:``), gates and multipliers; not ``bookings``.
    kind : {"bookings", "deals", "new_logos", "score"}, default "bookings"
        ``bookings``: credited amount of deals; ``deals``: number of deals;
        ``new_logos``: number of deals that are the first of their account;
        ``score``: a number given per rep and period (an MBO score), with no quota.
    product : str or None, default None
        Only deals of this product count (not for ``score``).
    quota_share : float > 0 or None
        Quota per period = ``quota_share`` x the rep's bookings quota of the period.
    quota_per_rep : float > 0 or None
        Annual quota in the measure's units; each month in which the rep has a
        bookings quota carries one twelfth (so it is prorated like the bookings
        quota). At most one of the two; a measure without a quota can feed SPIFFs
        and contests only (commissions, bonuses, gates and multipliers need
        attainment). A ``score`` has neither.

    Examples
    --------
    >>> Measure(name="platform", product="Platform", quota_share=0.4).kind
    'bookings'
    """

    name: str = Field(min_length=1)
    kind: Literal["bookings", "deals", "new_logos", "score"] = "bookings"
    product: str | None = None
    quota_share: Multiple | None = Field(default=None, gt=0)
    quota_per_rep: Units | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check_quota(self) -> Measure:
        who = f"measure {self.name!r}"
        if self.name in MEASURES:
            raise PlanError(f"{who}: the name is taken by the built-in measure; choose another")
        if self.kind == "score":
            if self.product is not None or self.quota_share or self.quota_per_rep:
                raise PlanError(f"{who}: a score measure has no product and no quota; remove them")
        elif self.quota_share is not None and self.quota_per_rep is not None:
            raise PlanError(f"{who}: give quota_share or quota_per_rep, not both")
        return self

    @property
    def has_quota(self) -> bool:
        """Whether the measure has a quota (attainment exists)."""
        return self.quota_share is not None or self.quota_per_rep is not None


class Tier(_Spec):
    """One attainment band of a rate table.

    A component's tiers are written one of two ways, never mixed: each with ``start``
    (or ``from``) and ``end``, or each with ``up_to`` only, the last without it
    (see :class:`Component`). Either way the tier holds ``start`` and ``end``.

    Parameters
    ----------
    start : float, >= 0
        Attainment where the band starts (1.0 = 100% of quota), inclusive; at most
        100 (10,000% of quota), like every attainment of a plan.
    from : float, >= 0, optional
        The same as ``start``, for plans that read "from 90%: 3%". Give one of the two.
    end : float or None, default None
        Attainment where the band ends, exclusive. ``None`` means no upper end;
        only the last tier of a component may be open-ended.
    up_to : float > 0, optional
        In a component's list of tiers only, instead of ``start`` and ``end``: where
        the band ends (exclusive); it starts where the previous tier's band ends (0
        for the first). ``up_to`` values must increase; the last tier may leave it
        out and then has no upper end ("above").
    rate : float, >= 0
        The band's rate. Its unit is set by the component's ``rate_basis``: a
        multiple of the target commission rate (``"tcr"``, at most 100) or a fraction
        of each credited unit of the measure (``"bookings"``: 0.05 pays 5 cents a
        dollar, at most 1.0 on a measure of money; or 0.05 currency units a deal for
        a count measure, at most 1e12).

    Examples
    --------
    >>> Tier(start=1.0, end=None, rate=2.0).end is None
    True
    >>> Tier.model_validate({"from": 0.9, "end": 0.99, "rate": 0.03}).start
    0.9
    """

    model_config = ConfigDict(json_schema_extra=lambda schema, _: _tier_schema(schema))

    start: Attainment
    end: Attainment | None = None
    rate: Money

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        if "up_to" in data:
            raise PlanError(
                f"up_to {data['up_to']!r} is read in a component's list of tiers, where "
                "the band starts at the previous tier's up_to; a tier on its own takes "
                "start and end"
            )
        if "from" in data:
            if "start" in data:
                raise PlanError(
                    f"give start or from, not both (start {data['start']!r}, from "
                    f"{data['from']!r}); they name the same edge"
                )
            data = {("start" if k == "from" else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _end_after_start(self) -> Tier:
        if self.end is not None and not self.end > self.start:
            raise PlanError(
                f"end {self.end} must be greater than start {self.start} (a band cannot be empty)"
            )
        return self


def _tier_schema(schema: dict[str, Any]) -> None:
    """The JSON schema of a tier as written: ``from`` beside ``start``, or ``up_to``."""
    props = schema["properties"]
    edge = {k: v for k, v in props["start"].items() if k != "title"}
    schema["properties"] = {
        "start": props["start"],
        "from": dict(edge),
        "end": props["end"],
        "up_to": {"anyOf": [{**edge, "exclusiveMinimum": 0}, {"type": "null"}]},
        "rate": props["rate"],
    }
    for key in ("minimum", "ge"):
        schema["properties"]["up_to"]["anyOf"][0].pop(key, None)
    schema["required"] = ["rate"]
    # up_to replaces start, from and end; start and from are the same edge
    schema["dependentSchemas"] = {
        "up_to": {"not": {"anyOf": [{"required": [k]} for k in ("start", "from", "end")]}},
        "from": {"not": {"required": ["start"]}},
    }


def _as_float(x: float) -> float:
    """``x`` as a float, infinite when an int is too large for one."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def _shown(x: Any) -> str:
    """``repr(x)``, cut to 40 characters."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


#: The edges of a tier written with start (or from) and end.
_EDGES = ("start", "from", "end")


def _tiers_as_written(who: str, value: Any) -> Any:
    """A component's tiers with ``up_to`` edges turned into ``start`` and ``end``.

    Either spelling is unambiguous on its own; mixing them in one component is
    refused, naming the tiers, because "up to 90%" and "from 90%" name different
    bands. A single tier with neither (``- {rate: 0.05}``) is one open band from 0.
    """
    if not isinstance(value, (list, tuple)):
        return value
    up = [k for k, t in enumerate(value, 1) if isinstance(t, Mapping) and "up_to" in t]
    edges = [
        k
        for k, t in enumerate(value, 1)
        if not isinstance(t, Mapping) or any(e in t for e in _EDGES)
    ]
    if not up:
        if len(value) == 1 and not edges and isinstance(value[0], Mapping):
            return [{**value[0], "start": 0.0}]
        return value
    if edges:
        both = [k for k in up if k in edges]
        if both:
            k = both[0]
            given = ", ".join(f"{e} {_shown(value[k - 1][e])}" for e in _EDGES if e in value[k - 1])
            raise PlanError(
                f"{who} tier {k}: gives up_to {_shown(value[k - 1]['up_to'])} and {given}; write "
                "a band with up_to alone (it starts where the previous band ends) or with "
                "start and end"
            )
        k, j = up[0], edges[0]
        raise PlanError(
            f"{who}: tier {k} is written with up_to ({_shown(value[k - 1]['up_to'])}) and tier "
            f"{j} with start/end; write every tier of a component the same way, either "
            "each with up_to (where its band ends; the last may leave it out: 'above') "
            "or each with start and end, because 'up to 90%' and 'from 90%' are "
            "different bands"
        )
    out: list[Any] = []
    start = 0.0
    for k, tier in enumerate(value, 1):
        if not isinstance(tier, Mapping):
            out.append(tier)  # the tier's own validation says what is wrong
            continue
        end = tier.get("up_to")
        if end is None and k < len(value):
            raise PlanError(
                f"{who} tier {k}: no up_to; written with up_to, every tier but the last "
                "says where its band ends (the last may leave it out: no upper end)"
            )
        if end is not None:
            number = isinstance(end, (int, float)) and not isinstance(end, bool)
            if not (number and math.isfinite(_as_float(end))):
                raise PlanError(
                    f"{who} tier {k}: up_to must be a finite number (an attainment, 0.9 = "
                    f"90% of quota), got {_shown(end)}"
                )
            if end > MAX_ATTAINMENT:
                raise PlanError(
                    f"{who} tier {k}: up_to {end:g} is above {MAX_ATTAINMENT:g}, the largest "
                    "attainment a plan may name (100 = 10,000% of quota; attainment is a "
                    "fraction, 1.0 = 100%)"
                )
            if not end > start:
                below = f"tier {k - 1}'s up_to {start:g}" if k > 1 else "0"
                raise PlanError(
                    f"{who} tier {k}: up_to {end:g} is not above {below}; up_to values must "
                    "increase (each band ends above where the previous one ends)"
                )
        fields = {key: v for key, v in tier.items() if key != "up_to"}
        out.append({**fields, "start": start, "end": end})
        start = end if end is not None else start
    return out


class CurvePoint(_Spec):
    """A point of a linear pay curve.

    Parameters
    ----------
    attainment : float >= 0
        Attainment (1.0 = 100% of quota).
    payout : float >= 0
        Payout there, a multiple of the component's target incentive.
    """

    attainment: Attainment
    payout: Multiple


class Gate(_Spec):
    """A hurdle: pay only when another measure reaches a level.

    Parameters
    ----------
    measure : str
        The measure that must be reached (``bookings`` or a declared measure that
        has a quota).
    min_attainment : float > 0
        Its attainment must be at least this (1.0 = 100% of its quota), measured
        like the component (same period, year to date).
    applies_to : {"component", "accelerators"}, default "component"
        ``component``: below the gate the component pays nothing. ``accelerators``:
        below the gate every tier that starts at or above 100% pays ``closed_rate``.
    closed_rate : float >= 0 or None, default None
        With ``applies_to: accelerators``, the rate of those tiers while the gate is
        closed, in the unit of the component's tier rates (and within the same
        bounds); default: the rate of the tier that holds attainment just under 100%
        (no acceleration). Write 1.0 for "1x TCR" on a plan whose last band below
        quota is a catch-up band.
    """

    measure: str = Field(min_length=1)
    min_attainment: Attainment = Field(gt=0)
    applies_to: Literal["component", "accelerators"] = "component"
    closed_rate: Money | None = None


class MultiplierLevel(_Spec):
    """One step of a multiplier table.

    Parameters
    ----------
    attainment : float >= 0
        From this attainment of the multiplier's measure (inclusive) ...
    factor : float >= 0
        ... the component's earnings are multiplied by this factor.
    """

    attainment: Attainment
    factor: Multiple


class Multiplier(_Spec):
    """A modifier: the component's earnings times a factor read from a second measure.

    Parameters
    ----------
    measure : str
        The second measure (``bookings`` or a declared measure with a quota).
    levels : tuple of MultiplierLevel
        Steps by attainment of ``measure``; the first at 0, increasing, factors not
        decreasing. The factor of the highest step reached applies (year to date,
        like the component).
    """

    measure: str = Field(min_length=1)
    levels: tuple[MultiplierLevel, ...] = Field(json_schema_extra={"minItems": 1})

    @model_validator(mode="after")
    def _check_levels(self) -> Multiplier:
        who = f"multiplier on {self.measure!r}"
        _check_steps(who, [lv.attainment for lv in self.levels], "attainment")
        for k in range(1, len(self.levels)):
            if self.levels[k].factor < self.levels[k - 1].factor:
                raise PlanError(
                    f"{who} level {k + 1}: factor {self.levels[k].factor:g} is below level "
                    f"{k}'s {self.levels[k - 1].factor:g}; factors must not fall as the "
                    "measure rises (earnings to date would fall with more sales)"
                )
        return self


class Component(_Spec):
    """A commission component: one measure, its share of the TI and its rates.

    Parameters
    ----------
    name : str
        Unique within the plan; used as a column name in results.
    type : "commission", default "commission"
        The kind of component (see also :class:`Bonus`, :class:`MBO`,
        :class:`Spiff`, :class:`Contest`).
    measure : str, default "bookings"
        What the component is paid on: ``bookings`` or a measure the plan declares
        in ``measures`` (not a score).
    weight : float in (0, 1]
        Share of the rep's target incentive (TI) this component carries. For a
        ``"bookings"``-basis component it only scales ``payout_cap``.
    rate_basis : {"tcr", "bookings"}
        ``"tcr"``: each tier rate is a multiple of the component's target commission
        rate ``TCR = weight * TI / quota``, so a rep at quota under a single 1.0 tier
        earns ``weight * TI``. ``"bookings"``: each rate is a fraction of credited
        units (0.05 pays 5 cents a dollar), whatever the TI.
    tier_method : {"marginal", "retroactive"}, default "marginal"
        ``marginal``: each band's rate applies only to the credited units inside
        the band. ``retroactive``: the rate of the band the attainment is in applies
        to every credited unit from the first.
    tiers : tuple of Tier
        The rate table: the first band starts at 0; each starts where the previous
        ends; only the last may be open-ended, and if it is not, ``attainment_cap``
        must stop attainment at or before its end. Give ``tiers`` or ``curve``.
        Written either with ``start`` (or ``from``) and ``end`` on every tier, or
        with ``up_to`` alone on every tier (where the band ends; the last may leave
        it out and has no upper end): ``[{up_to: 0.9, rate: 0.02}, {up_to: 0.99,
        rate: 0.03}, {rate: 0.04}]`` is 2% up to 90%, 3% from 90% up to 99%, 4%
        above. The two spellings are not mixed in one component. ``tcr`` rates are
        at most 100 (100x TCR).
    curve : tuple of CurvePoint or None
        A linear pay curve instead of tiers (``rate_basis: tcr`` only): payout, as a
        multiple of the component's TI, interpolated between points; the first point
        at attainment 0, attainments increasing, payouts not decreasing. Beyond the
        last point the last segment's slope continues (cap it with the caps).
    threshold : float >= 0, default 0
        Attainment below which the component pays nothing. It is a cliff: at or
        above the threshold the component pays from the first unit. A rep at exactly
        the threshold is paid (attainment within 1e-9 below it counts, to absorb
        float rounding of sums of cents).
    attainment_cap : float > 0 or None, default None
        Credited attainment is capped here: units beyond ``attainment_cap * quota``
        earn nothing. Must be at least ``threshold``.
    payout_cap : float > 0 or None, default None
        The most the component pays, as a multiple of its target incentive
        ``weight * TI`` (3.0 = 300% of the component's TI). For ``quarter`` and
        ``month`` components it applies to the TI to date (see ``period``): at the
        end of June a half-year quota's component can have earned at most
        ``payout_cap`` x half its TI.
    period : {"month", "quarter", "year"}, default "year"
        Measurement period. ``year``: attainment is year-to-date units over the
        annual quota, settled every month. ``quarter`` / ``month``: attainment is
        year-to-date units over the year-to-date quota at each period end, and the
        component's TI to date is its TI times the share of the annual quota that
        is due by then; each period end pays the earnings to date minus what was
        paid before, never less than zero (a bad quarter is made up later: the
        cumulative true-up).
    gate : Gate or None
        A hurdle on another measure (see :class:`Gate`).
    multiplier : Multiplier or None
        A modifier from another measure (see :class:`Multiplier`).

    Examples
    --------
    >>> c = Component(name="bookings", weight=1.0, rate_basis="tcr",
    ...               tiers=[{"start": 0, "end": 1.0, "rate": 1.0},
    ...                      {"start": 1.0, "rate": 2.0}])
    >>> [t.rate for t in c.tiers], c.tier_method, c.period
    ([1.0, 2.0], 'marginal', 'year')
    """

    name: str = Field(min_length=1)
    type: Literal["commission"] = "commission"
    measure: str = Field(default="bookings", min_length=1)
    weight: Number = Field(gt=0, le=1)
    rate_basis: Literal["tcr", "bookings"]
    tier_method: Literal["marginal", "retroactive"] = "marginal"
    tiers: tuple[Tier, ...] = ()
    curve: tuple[CurvePoint, ...] | None = None
    threshold: Attainment = 0.0
    attainment_cap: Attainment | None = Field(default=None, gt=0)
    payout_cap: Multiple | None = Field(default=None, gt=0)
    period: Literal["month", "quarter", "year"] = "year"
    gate: Gate | None = None
    multiplier: Multiplier | None = None

    @field_validator("tiers", mode="wrap")
    @classmethod
    def _name_tier_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
        # Wrap so that a bad tier is reported with its component's name and its
        # 1-based number, the way people count tiers on a rate table.
        name = info.data.get("name", "?")
        value = _tiers_as_written(f"component {name!r}", value)
        try:
            return handler(value)
        except ValidationError as exc:
            raise PlanError(
                _nested_errors(
                    exc,
                    lambda i: f"component {name!r} tier {i + 1}",
                    Tier,
                    whole=f"component {name!r} tiers",
                    named=False,
                )
            ) from None

    @model_validator(mode="after")
    def _check_rate_table(self) -> Component:
        who = f"component {self.name!r}"
        if self.curve is not None:
            if self.tiers:
                raise PlanError(f"{who}: give tiers or a curve, not both")
            self._check_curve(who)
        elif not self.tiers:
            raise PlanError(f"{who}: tiers is empty; give at least one tier (or a curve)")
        else:
            self._check_tiers(who)
        if self.rate_basis == "tcr":
            self._check_tcr_rates(who)
        cap = self.attainment_cap
        if cap is not None and cap < self.threshold:
            raise PlanError(
                f"{who}: attainment_cap {cap} is below threshold {self.threshold}, so the "
                "capped attainment could never reach the threshold"
            )
        if self.gate is not None and self.gate.applies_to == "accelerators":
            if self.curve is not None or not any(t.start >= 1.0 for t in self.tiers):
                raise PlanError(
                    f"{who}: the gate applies to accelerators but the component has no tier "
                    "starting at or above 1.0 (100% of quota); use applies_to: component"
                )
        return self

    def _check_curve(self, who: str) -> None:
        points = self.curve or ()
        if self.rate_basis != "tcr":
            raise PlanError(f"{who}: a curve pays multiples of the TI; set rate_basis: tcr")
        if len(points) < 2:
            raise PlanError(f"{who}: a curve needs at least two points, got {len(points)}")
        _check_steps(f"{who} curve", [p.attainment for p in points], "attainment")
        for k in range(1, len(points)):
            if points[k].payout < points[k - 1].payout:
                raise PlanError(
                    f"{who} curve point {k + 1}: payout {points[k].payout:g} is below point "
                    f"{k}'s {points[k - 1].payout:g}; a pay curve must not fall (it would pay "
                    "less for more sales)"
                )

    def _check_tcr_rates(self, who: str) -> None:
        """Refuse multiples of the TCR above MAX_MULTIPLE, where they would overflow."""
        why = (
            f"{MAX_MULTIPLE:g}, the largest multiple of the target commission rate a plan may pay "
            f"({MAX_MULTIPLE:g}x TCR); a rate meant as a share of bookings needs "
            "rate_basis: bookings"
        )
        for k, t in enumerate(self.tiers, start=1):
            if t.rate > MAX_MULTIPLE:
                raise PlanError(f"{who} tier {k}: rate {t.rate:g} is above {why}")
        closed = None if self.gate is None else self.gate.closed_rate
        if closed is not None and closed > MAX_MULTIPLE:
            raise PlanError(f"{who} gate: closed_rate {closed:g} is above {why}")
        points = self.curve or ()
        if len(points) >= 2:  # the last slope continues beyond the last point, like a rate
            a, b = points[-2], points[-1]
            slope = (b.payout - a.payout) / (b.attainment - a.attainment)
            if slope > MAX_MULTIPLE:
                raise PlanError(
                    f"{who} curve: the last slope {slope:g} (continued beyond the last point) "
                    f"is above {why}"
                )

    def _check_tiers(self, who: str) -> None:
        tiers = self.tiers
        if tiers[0].start != 0:
            raise PlanError(
                f"{who} tier 1: start {tiers[0].start} must be 0 (the rate table must "
                "cover attainment from zero)"
            )
        for k in range(1, len(tiers)):
            prev, tier = tiers[k - 1], tiers[k]
            if prev.end is None:
                raise PlanError(
                    f"{who} tier {k}: only the last tier may be open-ended (end: null), "
                    f"but tier {k + 1} follows it; give tier {k} an end"
                )
            if tier.start != prev.end:
                raise PlanError(
                    f"{who} tier {k + 1}: start {tier.start} does not equal tier {k}'s "
                    f"end {prev.end} (tiers must be contiguous and increasing)"
                )
        last_end = tiers[-1].end
        cap = self.attainment_cap
        if last_end is not None and (cap is None or cap > last_end):
            raise PlanError(
                f"{who} tier {len(tiers)}: the last tier ends at {last_end} but attainment "
                f"can go beyond it (attainment_cap is {cap}); leave its end (or up_to) empty "
                f"or set attainment_cap to at most {last_end}"
            )

    def ungated_tiers(self) -> tuple[Tier, ...]:
        """The tiers paid while an accelerator gate is not met.

        Every tier that starts at or above 1.0 gets the gate's ``closed_rate``, by
        default the rate of the tier holding attainment just below 1.0.

        Examples
        --------
        >>> from spm_sim.comp import standard_plan
        >>> c = standard_plan(base_rate=1.0, accelerator=2.0).components[0]
        >>> [t.rate for t in c.ungated_tiers()]
        [1.0, 1.0]
        """
        below = [t for t in self.tiers if t.start < 1.0]
        base = below[-1].rate if below else 0.0
        if self.gate is not None and self.gate.closed_rate is not None:
            base = self.gate.closed_rate
        return tuple(t if t.start < 1.0 else t.replace(rate=base) for t in self.tiers)


class Milestone(_Spec):
    """A quota-bonus milestone.

    Parameters
    ----------
    attainment : float > 0
        Annual attainment of the bonus's measure that earns it (1.0 = at quota).
    share_of_ti : float >= 0 or None
        The bonus as a share of the rep's annual TI ...
    amount : float >= 0 or None
        ... or as a fixed amount of money. Give exactly one.
    """

    attainment: Attainment = Field(gt=0)
    share_of_ti: Multiple | None = None
    amount: Money | None = None


class Bonus(_Spec):
    """A quota bonus: fixed amounts at attainment milestones, on top of the TI.

    Parameters
    ----------
    name : str
    type : "bonus"
    measure : str, default "bookings"
        A measure with a quota.
    milestones : tuple of Milestone
        Increasing attainments. Each milestone reached on year-to-date units over the
        annual quota pays its amount once, in the month it is reached; they add up
        (reaching 125% pays the 100% and the 125% milestones).
    """

    name: str = Field(min_length=1)
    type: Literal["bonus"]
    measure: str = Field(default="bookings", min_length=1)
    milestones: tuple[Milestone, ...] = Field(json_schema_extra={"minItems": 1})

    @model_validator(mode="after")
    def _check_milestones(self) -> Bonus:
        who = f"bonus {self.name!r}"
        if not self.milestones:
            raise PlanError(f"{who}: milestones is empty; give at least one")
        _check_steps(
            who, [m.attainment for m in self.milestones], "milestone attainment", first=None
        )
        for k, m in enumerate(self.milestones, start=1):
            _one_of(f"{who} milestone {k}", share_of_ti=m.share_of_ti, amount=m.amount)
        return self


class MBOLevel(_Spec):
    """A level of an MBO table.

    Parameters
    ----------
    score : float >= 0
        From this score (inclusive) ...
    payout : float >= 0
        ... the period pays this multiple of its MBO target.
    """

    score: Units
    payout: Multiple


class MBO(_Spec):
    """Management-by-objectives bonus with discrete levels, a share of the TI.

    Parameters
    ----------
    name : str
    type : "mbo"
    measure : str
        A ``score`` measure: the rep's score, given per rep and period.
    weight : float in (0, 1]
        Share of the TI; counts toward the weights that sum to 1.
    period : {"month", "quarter", "year"}, default "quarter"
        Each period end (the last month of the month, quarter or year) reads the
        score of that month and pays ``weight x TI x (active months in the period /
        active months in the year)`` times the payout of the highest level reached.
    levels : tuple of MBOLevel
        First at score 0, scores increasing.
    probabilities : tuple of float or None
        For simulation: the chance of each level in a period (sum 1). Without them a
        simulation scores every rep at the level holding score 1.0 (on target).
    """

    name: str = Field(min_length=1)
    type: Literal["mbo"]
    measure: str = Field(min_length=1)
    weight: Number = Field(gt=0, le=1)
    period: Literal["month", "quarter", "year"] = "quarter"
    levels: tuple[MBOLevel, ...] = Field(json_schema_extra={"minItems": 1})
    probabilities: tuple[Number, ...] | None = None

    @model_validator(mode="after")
    def _check_levels(self) -> MBO:
        who = f"mbo {self.name!r}"
        _check_steps(f"{who} levels", [lv.score for lv in self.levels], "score")
        if self.probabilities is not None:
            p = self.probabilities
            # each one at most 1 before the sum: fsum of two 1e308 overflows
            bad = len(p) != len(self.levels) or min(p) < 0 or max(p) > 1
            if bad or abs(math.fsum(p) - 1.0) > 1e-9:
                raise PlanError(
                    f"{who}: probabilities must be one number >= 0 per level "
                    f"({len(self.levels)}) summing to 1; got {list(p)}"
                )
        return self


def _window_first(kind: str, data: Any) -> Any:
    """Check a window before the field bounds do, so the message says what is wrong."""
    if isinstance(data, Mapping):
        s, e = data.get("start_month"), data.get("end_month")
        if isinstance(s, int) and isinstance(e, int) and not isinstance(s, bool):
            _check_window(f"{kind} {data.get('name', '?')!r}", s, e)
    return data


def _check_window(who: str, start: int, end: int) -> None:
    if not (1 <= start <= 12 and 1 <= end <= 12) or end < start:
        raise PlanError(
            f"{who}: window start_month {start} .. end_month {end} is outside the plan "
            "year; months are 1-12 with start_month <= end_month (a window cannot run "
            "past December)"
        )


class Spiff(_Spec):
    """A SPIFF: a short-term rate on a measure (e.g. a product) inside a date window.

    Parameters
    ----------
    name : str
    type : "spiff"
    measure : str, default "bookings"
        Any measure except a score.
    start_month, end_month : int, 1-12
        The window, inclusive, in months of the plan year.
    rate : float >= 0
        Money per credited unit in the window (0.02 = 2 cents a dollar, or the
        amount per deal or new logo for count measures), paid in the month the
        unit is credited, on top of the TI and not clawed back.
    """

    name: str = Field(min_length=1)
    type: Literal["spiff"]
    measure: str = Field(default="bookings", min_length=1)
    start_month: int = Field(ge=1, le=12)
    end_month: int = Field(ge=1, le=12)
    rate: Money

    @model_validator(mode="before")
    @classmethod
    def _window(cls, data: Any) -> Any:
        return _window_first("spiff", data)


class Contest(_Spec):
    """A sales contest paying prizes by rank (a leaderboard).

    Parameters
    ----------
    name : str
    type : "contest"
    measure : str, default "bookings"
        Any measure except a score; reps are ranked on its total in the window,
        credited units as booked (cancellations do not change a rank), compared to
        the cent (totals equal to the cent tie).
    start_month, end_month : int, 1-12
        The window, inclusive; prizes are paid in ``end_month``.
    prizes : tuple of float
        Money for rank 1, 2, ...; not increasing. Reps tied on the total share the
        prizes of the ranks they occupy equally.
    min_total : float >= 0, default 0
        Only reps whose total in the window is above this can win.
    """

    name: str = Field(min_length=1)
    type: Literal["contest"]
    measure: str = Field(default="bookings", min_length=1)
    start_month: int = Field(ge=1, le=12)
    end_month: int = Field(ge=1, le=12)
    prizes: tuple[Money, ...] = Field(json_schema_extra={"minItems": 1})
    min_total: Units = 0.0

    @model_validator(mode="before")
    @classmethod
    def _window(cls, data: Any) -> Any:
        return _window_first("contest", data)

    @model_validator(mode="after")
    def _check(self) -> Contest:
        who = f"contest {self.name!r}"
        if not self.prizes or min(self.prizes) < 0:
            raise PlanError(f"{who}: prizes must be one or more amounts >= 0")
        for k in range(1, len(self.prizes)):
            if self.prizes[k] > self.prizes[k - 1]:
                raise PlanError(
                    f"{who}: prize {k + 1} ({self.prizes[k]:g}) is above prize {k} "
                    f"({self.prizes[k - 1]:g}); prizes must not increase with rank"
                )
        return self


class Draw(_Spec):
    """A draw: a minimum monthly payment against commissions.

    Parameters
    ----------
    share_of_ti : float >= 0 or None
        Monthly draw as a share of the monthly TI: the TI divided by the months the
        rep is employed in the year (TI / 12 for a full year; a mid-year hire's
        prorated TI over their months) ...
    amount : float >= 0 or None
        ... or as money per month. Give exactly one.
    recoverable : bool
        ``true``: what the draw pays beyond the earnings is a balance recovered from
        later earnings above the draw (what is still owed at year end is reported,
        not paid back). ``false``: a guarantee, never recovered. The draw tops up
        the month's earnings of the components; a clawback is taken on top of it
        (a draw does not pay a clawback back).
    months : tuple of int or None
        Months of the plan year (1-12) with a draw; default all twelve.
    """

    share_of_ti: Multiple | None = None
    amount: Money | None = None
    recoverable: bool
    months: tuple[int, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> Draw:
        _one_of("draw", share_of_ti=self.share_of_ti, amount=self.amount)
        if self.months is not None:
            bad = [m for m in self.months if not 1 <= m <= 12]
            if bad or not self.months or len(set(self.months)) != len(self.months):
                raise PlanError(
                    f"draw: months must be distinct months 1-12 of the plan year; got "
                    f"{list(self.months)}"
                )
        return self


class Clawback(_Spec):
    """Recovery of commission on deals cancelled soon after booking.

    Parameters
    ----------
    window_days : int > 0
        A deal cancelled within this many days of its booking date is taken out of
        the credited units from the month it is cancelled, and what it earned in
        commission components and quota bonuses (a milestone it helped reach
        included) is taken back at the end of that month's measurement period (the
        same month for ``year`` and ``month`` components, the quarter end for
        ``quarter``), in the ``clawback`` column. A deal booked and cancelled inside
        one measurement period shows there as commission and as clawback of the
        same amount. Later cancellations are not clawed back; SPIFFs, contests and
        MBO are never clawed back.
    """

    window_days: int = Field(gt=0, le=MAX_CLAWBACK_DAYS)


def _component_tag(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("type", "commission"))
    return str(getattr(value, "type", "commission"))


_TAG_MODELS: dict[str, type[BaseModel]] = {
    "commission": Component,
    "bonus": Bonus,
    "mbo": MBO,
    "spiff": Spiff,
    "contest": Contest,
}
_TAGS = tuple(_TAG_MODELS)
AnyComponent = Annotated[
    Annotated[Component, Tag("commission")]
    | Annotated[Bonus, Tag("bonus")]
    | Annotated[MBO, Tag("mbo")]
    | Annotated[Spiff, Tag("spiff")]
    | Annotated[Contest, Tag("contest")],
    Discriminator(
        _component_tag,
        custom_error_type="component_type",
        custom_error_message="unknown component type; allowed: " + ", ".join(_TAGS),
    ),
]
