"""Incentive plans and the vectorised payout kernel.

A :class:`Plan` is a frozen, validated value made of :class:`Component` objects,
each with a marginal rate table of :class:`Tier` bands. :func:`payout` turns
credited bookings into money for any number of trials, reps and periods at once;
:func:`payout_curve` gives the same rule as a table over attainment for plots and
plan reviews.

Conventions
-----------
* Attainment is a fraction: ``1.0`` is 100% of quota.
* Arrays are batch-first, ``(..., n_reps, n_periods[, n_components])``; the kernel
  broadcasts over any leading axes (trials, scenarios).
* Money stays float64 inside arrays. Amounts shown to people go through
  :func:`round_money`.

This module covers the foundation only: marginal tiers, thresholds, attainment
and payout caps, several weighted components, and cumulative year-to-date payment.
Retroactive tiers, gates, draws and clawbacks come later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from spm_sim._validation import DataError, PlanError, load_spec, suggest

# Size: about 40% of this module is docstrings and examples. When the next issue adds
# retroactive tiers, gates, draws and statements, move the spec models to their own
# module rather than growing this one.

__all__ = [
    "MEASURES",
    "Tier",
    "Component",
    "Plan",
    "Payout",
    "load_plan",
    "standard_plan",
    "payout",
    "payout_curve",
    "round_money",
]

#: Measures a component can be paid on. Only credited bookings exist for now.
MEASURES: tuple[str, ...] = ("bookings",)

#: Attainment within this distance below a threshold counts as reaching it, so that
#: a cumulative sum of cents that lands on the threshold is not missed by float
#: rounding (1e-9 of a $1M quota is a tenth of a cent).
_THRESHOLD_TOL = 1e-9

#: Column names of :func:`payout_curve`; components may not use them as names.
_CURVE_COLUMNS = ("attainment", "payout", "effective_rate")


def _no_bool(value: Any) -> Any:
    # YAML 1.1 reads yes/no/on/off as booleans, and pydantic would turn them into
    # 1.0/0.0 silently. A money rule should never be a yes/no.
    if isinstance(value, bool):
        raise ValueError(
            f"expected a number, got {value!r} (YAML reads yes/no/on/off/true/false as "
            "booleans; write a number, or null for 'none')"
        )
    return value


_Number = Annotated[float, BeforeValidator(_no_bool)]


class _Spec(BaseModel):
    """Frozen pydantic base of the plan specs: no unknown fields, no inf or NaN.

    Build plans with :func:`load_plan` (or ``Plan.from_yaml``, ``plan.replace``,
    :func:`standard_plan`), which raise :class:`PlanError` with located messages.
    Calling ``Plan(...)`` directly works too but, being plain pydantic, raises
    ``pydantic.ValidationError`` (also a ``ValueError``) carrying the same texts.
    Overriding ``__init__`` to convert it is not an option: pydantic then routes
    nested validation through that ``__init__`` as well.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


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
        indexed = bool(loc) and isinstance(loc[0], int)
        where = label(loc[0]) if indexed else whole
        field = ".".join(str(p) for p in loc[1 if indexed else 0 :])
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, PlanError):
            lines.append(str(inner) if named else f"{where}: {inner}")
        elif e["type"] == "extra_forbidden":
            allowed = list(model.model_fields)
            lines.append(
                f"{where}: unknown field '{field}'.{suggest(field, allowed)} "
                f"Allowed: {', '.join(allowed)}."
            )
        elif e["type"] == "missing":
            lines.append(f"{where}: required field '{field}' is missing; add it.")
        else:
            shown = repr(e.get("input"))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            lines.append(f"{where}: {field + ': ' if field else ''}{e['msg']} (got {shown})")
    # Several problems become several lines, indented under the field they belong to.
    return "\n    ".join(lines)


class Tier(_Spec):
    """One attainment band of a marginal rate table.

    Parameters
    ----------
    start : float, >= 0
        Attainment where the band starts (1.0 = 100% of quota), inclusive.
    end : float or None, default None
        Attainment where the band ends, exclusive. ``None`` means no upper end;
        only the last tier of a component may be open-ended.
    rate : float, >= 0
        The band's rate. Its unit is set by the component's ``rate_basis``: a
        multiple of the target commission rate (``"tcr"``) or a fraction of each
        credited dollar (``"bookings"``).

    Examples
    --------
    >>> Tier(start=1.0, end=None, rate=2.0).end is None
    True
    """

    start: _Number = Field(ge=0)
    end: _Number | None = None
    rate: _Number = Field(ge=0)

    @model_validator(mode="after")
    def _end_after_start(self) -> Tier:
        if self.end is not None and not self.end > self.start:
            raise PlanError(
                f"end {self.end} must be greater than start {self.start} (a band cannot be empty)"
            )
        return self


class Component(_Spec):
    """One measure of a plan, with its share of the target incentive and its rates.

    Parameters
    ----------
    name : str
        Unique within the plan; used as a column name in results.
    measure : str, default "bookings"
        What the component is paid on. Allowed values are in :data:`MEASURES`.
    weight : float in (0, 1]
        Share of the rep's target incentive (TI) this component carries. For a
        ``"bookings"``-basis component it only scales ``payout_cap``.
    rate_basis : {"tcr", "bookings"}
        ``"tcr"``: each tier rate is a multiple of the component's target commission
        rate ``TCR = weight * TI / quota``, so a rep at quota under a single 1.0 tier
        earns ``weight * TI``. ``"bookings"``: each rate is a fraction of credited
        dollars (0.05 pays 5 cents a dollar), whatever the TI.
    threshold : float >= 0, default 0
        Attainment below which the component pays nothing. It is a cliff: at or
        above the threshold the component pays from the first dollar, as if there
        were no threshold. A rep at exactly the threshold is paid (attainment
        within 1e-9 below it counts, to absorb float rounding of sums of cents).
    tiers : tuple of Tier
        Marginal bands: each band's rate applies only to the credited sales inside
        the band. The first starts at 0; each starts where the previous ends; only
        the last may be open-ended, and if it is not, ``attainment_cap`` must stop
        attainment at or before its end (so no sale falls outside every band).
    attainment_cap : float > 0 or None, default None
        Credited attainment is capped here: sales beyond ``attainment_cap * quota``
        earn nothing. Must be at least ``threshold``.
    payout_cap : float > 0 or None, default None
        The most the component pays in a year, as a multiple of its target
        incentive ``weight * TI`` (3.0 = 300% of the component's TI).

    Examples
    --------
    >>> c = Component(name="bookings", weight=1.0, rate_basis="tcr",
    ...               tiers=[{"start": 0, "end": 1.0, "rate": 1.0},
    ...                      {"start": 1.0, "rate": 2.0}])
    >>> [t.rate for t in c.tiers]
    [1.0, 2.0]
    """

    name: str = Field(min_length=1)
    measure: str = "bookings"
    weight: _Number = Field(gt=0, le=1)
    rate_basis: Literal["tcr", "bookings"]
    threshold: _Number = Field(default=0.0, ge=0)
    tiers: tuple[Tier, ...]
    attainment_cap: _Number | None = Field(default=None, gt=0)
    payout_cap: _Number | None = Field(default=None, gt=0)

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, value: str, info: Any) -> str:
        if value not in MEASURES:
            name = info.data.get("name", "?")
            raise PlanError(
                f"component {name!r}: measure {value!r} is not supported; "
                f"allowed measures: {', '.join(MEASURES)}.{suggest(value, MEASURES)}"
            )
        return value

    @field_validator("tiers", mode="wrap")
    @classmethod
    def _name_tier_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
        # Wrap so that a bad tier is reported with its component's name and its
        # 1-based number, the way people count tiers on a rate table.
        name = info.data.get("name", "?")
        try:
            tiers = handler(value)
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
        if not tiers:
            raise PlanError(f"component {name!r}: tiers is empty; give at least one tier")
        return tiers

    @model_validator(mode="after")
    def _check_rate_table(self) -> Component:
        who = f"component {self.name!r}"
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
                f"can go beyond it (attainment_cap is {cap}); leave its end empty (null) "
                f"or set attainment_cap to at most {last_end}"
            )
        if cap is not None and cap < self.threshold:
            raise PlanError(
                f"{who}: attainment_cap {cap} is below threshold {self.threshold}, so the "
                "capped attainment could never reach the threshold"
            )
        return self


class Plan(_Spec):
    """An incentive plan: named, weighted components paid on annual attainment.

    Parameters
    ----------
    name : str
        Shown in reports.
    currency : str, default "USD"
        ISO 4217 code, three upper-case letters.
    description : str, default ""
        Free text for readers of reports.
    components : tuple of Component
        At least one; names unique. When every component is ``tcr``-based their
        weights must sum to 1 (within 1e-9), so a rep at quota on every measure
        earns exactly the TI.

    Raises
    ------
    PlanError
        From :func:`load_plan`, ``Plan.from_yaml``, :meth:`replace` and
        :func:`standard_plan`. Calling ``Plan(...)`` directly raises
        ``pydantic.ValidationError`` with the same messages (see ``_Spec``).

    Examples
    --------
    >>> plan = standard_plan(threshold=0.5, accelerator=2.0)
    >>> plan.components[0].threshold
    0.5
    >>> plan.replace(name="What-if").name
    'What-if'
    """

    name: str = Field(min_length=1)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str = ""
    components: tuple[Component, ...]

    @field_validator("components", mode="wrap")
    @classmethod
    def _name_component_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            components = handler(value)
        except ValidationError as exc:

            def label(i: int) -> str:
                try:
                    item = value[i]
                    name = item.get("name") if isinstance(item, Mapping) else item.name
                except (IndexError, KeyError, TypeError, AttributeError):
                    name = None
                return f"component {name!r}" if name else f"component {i + 1}"

            lines = _nested_errors(exc, label, Component, whole="plan components", named=True)
            raise PlanError(lines) from None
        if not components:
            raise PlanError("components is empty; a plan needs at least one component")
        return components

    @model_validator(mode="after")
    def _check_components(self) -> Plan:
        who = f"plan {self.name!r}"
        seen: dict[str, int] = {}
        for i, c in enumerate(self.components, start=1):
            if c.name in seen:
                raise PlanError(
                    f"{who}: component name {c.name!r} appears twice (components "
                    f"{seen[c.name]} and {i}); names must be unique"
                )
            if c.name in _CURVE_COLUMNS:
                raise PlanError(
                    f"{who}: component name {c.name!r} is reserved (it is a column of "
                    f"payout_curve: {', '.join(_CURVE_COLUMNS)}); rename the component"
                )
            seen[c.name] = i
        if all(c.rate_basis == "tcr" for c in self.components):
            total = math.fsum(c.weight for c in self.components)
            if abs(total - 1.0) > 1e-9:
                parts = " + ".join(f"{c.name} {c.weight:g}" for c in self.components)
                raise PlanError(
                    f"{who}: component weights sum to {total:g} ({parts}); the weights of "
                    "tcr-based components must sum to 1 so that a rep at quota earns the TI"
                )
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        """Load a plan from a YAML file; see :func:`load_plan`."""
        return load_spec(cls, path, error=PlanError)

    def replace(self, **changes: Any) -> Plan:
        """Return a copy with some fields changed, validated again.

        Unlike ``model_copy(update=...)``, which skips validation, a bad value
        raises :class:`PlanError`.

        Examples
        --------
        >>> standard_plan().replace(currency="EUR").currency
        'EUR'
        """
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            field = sorted(unknown)[0]
            raise PlanError(
                f"plan {self.name!r}: unknown field {field!r}."
                f"{suggest(field, type(self).model_fields)} "
                f"Allowed: {', '.join(type(self).model_fields)}."
            )
        data = self.model_dump()
        data.update(changes)
        return load_spec(type(self), data, error=PlanError)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Return the plan as YAML text (and write it to ``path`` if given).

        ``load_plan`` of the text gives back an equal plan.
        """
        text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def load_plan(source: str | Path | Mapping[str, Any] | Plan) -> Plan:
    """Load and validate a plan from a YAML file or a mapping.

    Parameters
    ----------
    source : path, mapping or Plan
        A YAML file such as ``data/plans/baseline.yaml``, a parsed mapping, or a
        plan (returned unchanged).

    Raises
    ------
    PlanError
        The message names the file, the component, the tier and the value at fault.

    Examples
    --------
    >>> plan = load_plan({"name": "Flat", "components": [
    ...     {"name": "bookings", "weight": 1.0, "rate_basis": "bookings",
    ...      "tiers": [{"start": 0, "rate": 0.05}]}]})
    >>> plan.components[0].tiers[0].rate
    0.05
    """
    if isinstance(source, Plan):
        return source
    return load_spec(Plan, source, error=PlanError)


def standard_plan(
    *,
    name: str = "Standard plan",
    threshold: float = 0.5,
    base_rate: float = 1.0,
    accelerator: float = 2.0,
    accelerator_start: float = 1.0,
    attainment_cap: float | None = None,
    payout_cap: float | None = None,
) -> Plan:
    """A one-component bookings plan with one accelerator, for sliders and examples.

    Parameters
    ----------
    name : str, default "Standard plan"
    threshold : float, default 0.5
        Attainment below which nothing is paid (a cliff, see :class:`Component`).
    base_rate : float, default 1.0
        Rate of the tier ``[0, accelerator_start)``, a multiple of TCR.
    accelerator : float, default 2.0
        Rate of the open-ended tier from ``accelerator_start``, a multiple of TCR.
    accelerator_start : float > 0, default 1.0
        Attainment where the accelerator starts.
    attainment_cap, payout_cap : float or None, default None
        As in :class:`Component`; ``payout_cap`` is a multiple of TI.

    Raises
    ------
    PlanError
        If a value breaks a rule, e.g. a negative rate.

    Examples
    --------
    >>> p = standard_plan(accelerator=1.5, payout_cap=3.0)
    >>> [(t.start, t.end, t.rate) for t in p.components[0].tiers]
    [(0.0, 1.0, 1.0), (1.0, None, 1.5)]
    """
    component = {
        "name": "bookings",
        "measure": "bookings",
        "weight": 1.0,
        "rate_basis": "tcr",
        "threshold": threshold,
        "tiers": [
            {"start": 0.0, "end": accelerator_start, "rate": base_rate},
            {"start": accelerator_start, "end": None, "rate": accelerator},
        ],
        "attainment_cap": attainment_cap,
        "payout_cap": payout_cap,
    }
    return load_plan({"name": name, "components": [component]})


@dataclass(frozen=True, eq=False)
class Payout:
    """Money paid by a plan, per component and period (read-only arrays).

    Attributes
    ----------
    by_component : ndarray, shape (..., n_reps, n_periods, n_components)
        Payment made in each period (net of what earlier periods paid), float64.
    components : tuple of str
        Component names, in the order of the last axis.
    annual_bookings, annual_quota : ndarray, shape (..., n_reps)
        Credited bookings and quota summed over the periods.
    """

    by_component: NDArray[np.float64]
    components: tuple[str, ...]
    annual_bookings: NDArray[np.float64]
    annual_quota: NDArray[np.float64]

    @property
    def by_period(self) -> NDArray[np.float64]:
        """Payment per period, all components, shape ``(..., n_reps, n_periods)``."""
        return self.by_component.sum(axis=-1)

    @property
    def annual_by_component(self) -> NDArray[np.float64]:
        """Year total per component, shape ``(..., n_reps, n_components)``."""
        return self.by_component.sum(axis=-2)

    @property
    def total(self) -> NDArray[np.float64]:
        """Year total, shape ``(..., n_reps)``."""
        return self.by_component.sum(axis=(-2, -1))

    @property
    def attainment(self) -> NDArray[np.float64]:
        """Annual bookings / annual quota, shape ``(..., n_reps)``; NaN where quota is 0."""
        out = np.full(self.annual_quota.shape, np.nan)
        return np.divide(
            self.annual_bookings, self.annual_quota, out=out, where=self.annual_quota > 0
        )


def _as_float_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{name} must be finite and >= 0; found {float(arr[where])!r} at index {where} "
            f"({int(bad.sum())} bad value(s) in all)"
        )
    return arr


def _earned(
    component: Component,
    attainment: NDArray[np.float64],
    ti: NDArray[np.float64],
    quota: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Earned-to-date money of one component; all arrays share one shape."""
    credited = attainment
    if component.attainment_cap is not None:
        credited = np.minimum(credited, component.attainment_cap)
    units = np.zeros_like(credited)
    for tier in component.tiers:
        width = np.inf if tier.end is None else tier.end - tier.start
        units += tier.rate * np.clip(credited - tier.start, 0.0, width)
    target = component.weight * ti  # the component's target incentive
    money = units * (target if component.rate_basis == "tcr" else quota)
    money = np.where(attainment >= component.threshold - _THRESHOLD_TOL, money, 0.0)
    if component.payout_cap is not None:
        money = np.minimum(money, component.payout_cap * target)
    return money


def payout(
    plan: Plan,
    bookings: ArrayLike,
    quotas: ArrayLike,
    target_incentive: ArrayLike,
) -> Payout:
    """Pay a plan on credited bookings, for any number of trials, reps and periods.

    Parameters
    ----------
    plan : Plan
    bookings : array_like, shape (..., n_reps, n_periods)
        Credited sales per period, in the plan's currency, finite and >= 0.
    quotas : array_like, broadcastable to ``bookings``
        Quota per period, e.g. shape ``(n_reps, n_periods)``. The annual quota is
        the sum over periods *after* broadcasting, so a ``(n_reps, 1)`` array is a
        per-period quota repeated in every period, not an annual one.
    target_incentive : array_like, shape (n_reps,) or broadcastable to (..., n_reps)
        Annual target incentive (TI) of each rep.

    Returns
    -------
    Payout
        ``by_component`` has shape ``(..., n_reps, n_periods, n_components)``, where
        ``...`` is the broadcast of the inputs' leading axes.

    Notes
    -----
    Measurement is against the annual quota :math:`Q = \\sum_p q_p`, paid
    cumulatively year to date. With :math:`B_p` the cumulative bookings to the end
    of period :math:`p` and :math:`a_p = B_p / Q`, a component earns to date

    .. math::

        E_p = \\min\\Big(C_{pay}\\, wT,\\;
              [a_p \\ge \\theta]\\; s \\sum_k r_k \\,
              \\mathrm{clip}(\\min(a_p, C_{att}) - l_k,\\; 0,\\; u_k - l_k)\\Big)

    where :math:`[l_k, u_k)` and :math:`r_k` are the tiers (marginal), :math:`\\theta`
    the threshold, :math:`C_{att}` and :math:`C_{pay}` the caps (absent = no cap),
    :math:`w` the weight, :math:`T` the TI, and the scale :math:`s = wT` for
    ``rate_basis="tcr"`` (TCR times :math:`Q`) or :math:`s = Q` for ``"bookings"``.
    Period :math:`p` pays :math:`E_p - E_{p-1}` (with :math:`E_0 = 0`), so the
    payments add up to the annual formula :math:`E_{last}` (up to float rounding,
    far below a cent) and, bookings being non-negative, are never negative.

    A rep whose annual quota is 0 has no attainment: every component pays 0 for
    that rep (tcr rates are undefined, and so are the attainment bands that
    bookings-basis rates use), with no warning and no NaN.

    Examples
    --------
    Quota $100 a quarter, TI $40, one accelerator at 2x above quota:

    >>> plan = standard_plan(threshold=0.5, accelerator=2.0)
    >>> p = payout(plan, [[100, 100, 150, 150]], [[100, 100, 100, 100]], [40])
    >>> p.attainment
    array([1.25])
    >>> round_money(p.by_period)   # 40 * (1 + 2 * 0.25) = 60 in all
    array([[ 0., 20., 15., 25.]])
    >>> round_money(p.total)
    array([60.])
    """
    b = _as_float_array("bookings", bookings)
    q = _as_float_array("quotas", quotas)
    ti = _as_float_array("target_incentive", target_incentive)
    if b.ndim < 2:
        raise ValueError(f"bookings must have shape (..., n_reps, n_periods); got shape {b.shape}")
    try:
        shape = np.broadcast_shapes(b.shape, q.shape, ti.shape + (1,))
    except ValueError:
        raise ValueError(
            f"shapes do not broadcast: bookings {b.shape} (..., n_reps, n_periods), "
            f"quotas {q.shape} (per period), target_incentive {ti.shape} (..., n_reps)"
        ) from None
    annual_quota = np.broadcast_to(q, shape).sum(axis=-1)
    cumulative = np.cumsum(np.broadcast_to(b, shape), axis=-1)
    has_quota = (annual_quota > 0)[..., None]
    safe_quota = np.where(has_quota, annual_quota[..., None], 1.0)
    attainment = np.where(has_quota, cumulative / safe_quota, 0.0)
    ti_col = np.broadcast_to(ti[..., None], shape)
    quota_col = np.broadcast_to(annual_quota[..., None], shape)

    payments = np.empty(shape + (len(plan.components),))
    for j, component in enumerate(plan.components):
        earned = np.where(has_quota, _earned(component, attainment, ti_col, quota_col), 0.0)
        payments[..., j] = np.diff(earned, axis=-1, prepend=0.0)

    annual_bookings = cumulative[..., -1].copy() if shape[-1] else np.zeros(shape[:-1])
    for arr in (payments, annual_bookings, annual_quota):
        arr.flags.writeable = False
    return Payout(
        by_component=payments,
        components=tuple(c.name for c in plan.components),
        annual_bookings=annual_bookings,
        annual_quota=annual_quota,
    )


def payout_curve(
    plan: Plan,
    attainment: ArrayLike,
    *,
    target_incentive: float = 1.0,
    quota: float = 1.0,
) -> pd.DataFrame:
    """Annual payout as a function of attainment, for plots and plan reviews.

    Parameters
    ----------
    plan : Plan
    attainment : array_like of float, shape (n,)
        Annual attainments to evaluate (1.0 = at quota), >= 0.
    target_incentive : float, default 1.0
        With the default, payouts read as multiples of TI.
    quota : float, default 1.0
        Annual quota; matters for ``rate_basis="bookings"`` components.

    Returns
    -------
    DataFrame
        One row per attainment, columns ``attainment``, ``payout``,
        ``effective_rate`` and one column per component (its payout).
        ``effective_rate`` = payout / bookings, the average rate paid per dollar
        (NaN at zero bookings); with the defaults it reads as a multiple of TCR.

    Examples
    --------
    >>> curve = payout_curve(standard_plan(accelerator=2.0), [0.4, 1.0, 1.5])
    >>> curve[["attainment", "payout", "effective_rate"]]
       attainment  payout  effective_rate
    0         0.4     0.0        0.000000
    1         1.0     1.0        1.000000
    2         1.5     2.0        1.333333
    """
    att = np.atleast_1d(_as_float_array("attainment", attainment))
    if att.ndim != 1:
        raise ValueError(f"attainment must be one-dimensional; got shape {att.shape}")
    bookings = (att * quota)[:, None, None]
    paid = payout(plan, bookings, [[quota]], [target_incentive])
    by_comp = paid.by_component[:, 0, 0, :]
    total = by_comp.sum(axis=-1)
    flat = bookings[:, 0, 0]
    rate = np.divide(total, flat, out=np.full_like(total, np.nan), where=flat > 0)
    frame = pd.DataFrame({"attainment": att, "payout": total, "effective_rate": rate})
    for j, name in enumerate(paid.components):
        frame[name] = by_comp[:, j]
    return frame


def round_money(x: ArrayLike) -> Any:
    """Round money to cents for reporting.

    The rule is numpy's :func:`numpy.round` to 2 decimals: round half to even
    ("banker's rounding") applied to the float64 value. So 0.125 becomes 0.12 and
    0.375 becomes 0.38; a value such as 2.675, stored in binary just below the
    half, becomes 2.67. Negative zero is returned as 0.0. Payroll systems that round
    half up can differ by one cent on exact halves. Keep unrounded values for
    further arithmetic and round once, at the end.

    Returns
    -------
    float or ndarray
        A Python float for a scalar input, else a float64 array of the same shape.

    Examples
    --------
    >>> round_money(0.125), round_money(0.375), round_money(82500.004)
    (0.12, 0.38, 82500.0)
    >>> round_money([1.005, -0.001])
    array([1., 0.])
    """
    arr = np.round(np.asarray(x, dtype=np.float64), 2) + 0.0
    return float(arr) if arr.ndim == 0 else arr
