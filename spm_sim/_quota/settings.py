"""Quota settings: the frozen spec of how quotas are set.

:class:`QuotaSettings` is a tagged union by method, as a plan's components are by
type: what every method shares (the company target, growth, over-assignment by level,
overrides, ramp, seasonality, planned hires, moves) are fields of its own, and
``options`` holds the settings of the chosen method only, one model per method
(:class:`HistoryOptions`, :class:`EqualOptions`, :class:`PotentialOptions`,
:class:`CapacityOptions`, :class:`BlendOptions`, :class:`BottomUpOptions`,
:class:`CalibratedOptions`) tagged by ``method``. The flat form of the YAML files and
keyword calls (``method: calibrated`` with ``probability: 0.6`` beside it) is nested
into ``options`` when the settings are built, and reads such as
``settings.probability`` go through to it, so both forms mean the same settings.

A private module of :mod:`spm_sim.quota`; :func:`~spm_sim.quota.set_quotas` applies
a :class:`QuotaSettings` to a book.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from spm_sim._spec import Spec, format_validation_error, suggest
from spm_sim.productivity import DEFAULT_RAMP

__all__ = [
    "METHODS",
    "BLENDABLE",
    "DEFAULT_SELLING_HOURS",
    "OverAssignment",
    "Override",
    "PlannedHire",
    "Move",
    "HistoryOptions",
    "EqualOptions",
    "PotentialOptions",
    "CapacityOptions",
    "BlendOptions",
    "BottomUpOptions",
    "CalibratedOptions",
    "MethodOptions",
    "QuotaSettings",
    "monthly_ramp",
]

#: The bases a blend can mix.
BLENDABLE = ("history", "equal", "potential", "capacity")

#: Every quota method, in the order the user guide explains them.
METHODS = ("history", "equal", "potential", "capacity", "blend", "bottom_up", "calibrated")
#: Selling hours of a rep in a year: 1,800 working hours x 60% selling (headcount.py).
DEFAULT_SELLING_HOURS = 1080.0
_SUM_TOL = 1e-6


def monthly_ramp(profile: tuple[float, ...] | None) -> np.ndarray:
    """The quota ramp by month of tenure (month 1 first); the last value holds.

    ``None`` gives the default ramp of the productivity model, ``DEFAULT_RAMP`` (by
    quarter of tenure: 25%, 50%, 75%, then 100%), written out by month.

    Examples
    --------
    >>> monthly_ramp(None)[:10]
    array([0.25, 0.25, 0.25, 0.5 , 0.5 , 0.5 , 0.75, 0.75, 0.75, 1.  ])
    >>> monthly_ramp((0.0, 0.5, 1.0))
    array([0. , 0.5, 1. ])
    """
    if profile is None:
        return np.repeat(np.asarray(DEFAULT_RAMP, float), 3)[: 3 * len(DEFAULT_RAMP) - 2]
    return np.asarray(profile, float)


# --- the parts every method shares ---------------------------------------------------


class OverAssignment(Spec):
    """Over-assignment at each level of the hierarchy (company -> region -> rep).

    Parameters
    ----------
    region : float, default 0
        Region quotas add up to the company target x (1 + region).
    rep : float, default 0
        Rep quotas in a region add up to the region quota x (1 + rep).

    Examples
    --------
    >>> round(OverAssignment(region=0.05, rep=0.10).total, 4)
    0.155
    """

    region: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    rep: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False)

    @property
    def total(self) -> float:
        """Sum of rep quotas over the company target, minus 1."""
        return (1.0 + self.region) * (1.0 + self.rep) - 1.0


class Override(Spec):
    """A rep's annual quota set by hand, with who set it and why (the audit trail)."""

    rep_id: str = Field(min_length=1)
    quota: float = Field(ge=0.0, allow_inf_nan=False)
    reason: str = Field(min_length=1)
    by: str = ""

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an override needs a reason (the audit trail keeps it)")
        return v.strip()


class PlannedHire(Spec):
    """A rep to be hired, or a vacancy to be backfilled, during the plan year."""

    rep_id: str = Field(min_length=1)
    region: str = Field(min_length=1)
    start: dt.date
    new_region: bool = False  # True: a region the book does not have yet


class Move(Spec):
    """A rep who moves to another region on ``date`` (their quota follows them)."""

    rep_id: str = Field(min_length=1)
    date: dt.date
    region: str = Field(min_length=1)
    new_region: bool = False  # True: a region the book does not have yet


# --- the settings of each method (the tagged union) -----------------------------------


class _Options(Spec):
    """The settings of one method; ``method`` is the tag (each subclass narrows it)."""

    method: str


class _HistoryWindow(_Options):
    """The history behind a run rate (the ``history`` basis, alone or in a blend)."""

    history: Literal["trailing_12m", "prior_year", "multi_year"] = "trailing_12m"
    history_weights: tuple[float, ...] = (0.5, 0.3, 0.2)

    @field_validator("history_weights")
    @classmethod
    def _history_weights(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not math.isfinite(w) or w < 0 for w in v):
            raise ValueError(f"history_weights must be non-negative numbers, got {list(v)}")
        if abs(sum(v) - 1.0) > _SUM_TOL:
            raise ValueError(
                f"history_weights {list(v)} sum to {sum(v):g}, not 1; scale them so they add "
                "up to 1 (most recent year first)"
            )
        return v


class _Territory(_Options):
    """Where a territory's potential is read (the ``potential`` basis)."""

    potential_column: str = Field("potential", min_length=1)


class _Workload(_Territory):
    """Where a territory's workload is read, and the hours a rep has for it."""

    workload_column: str = Field("workload", min_length=1)
    selling_hours: float = Field(DEFAULT_SELLING_HOURS, gt=0.0, allow_inf_nan=False)


class HistoryOptions(_HistoryWindow):
    """The settings of method ``history``: a rep's share follows their run rate.

    Parameters
    ----------
    history : {"trailing_12m", "prior_year", "multi_year"}, default "trailing_12m"
        The window of the run rate: the trailing twelve months, the last complete
        calendar year, or several years weighted by ``history_weights``.
    history_weights : tuple of float, default (0.5, 0.3, 0.2)
        Weights of the years of ``multi_year``, most recent first; sum to 1.
    """

    method: Literal["history"] = "history"


class EqualOptions(_Options):
    """The settings of method ``equal`` (none: the same share per month of capacity)."""

    method: Literal["equal"] = "equal"


class PotentialOptions(_Territory):
    """The settings of method ``potential``: a rep's share follows their accounts' potential.

    Parameters
    ----------
    potential_column : str, default "potential"
        The column of ``accounts.csv`` summed over each rep's accounts.
    """

    method: Literal["potential"] = "potential"


class CapacityOptions(_Workload):
    """The settings of method ``capacity``: the potential a rep can work.

    Parameters
    ----------
    potential_column, workload_column : str, default "potential", "workload"
        Columns of ``accounts.csv``: the potential, and the hours a year to cover an
        account.
    selling_hours : float, default 1080
        Selling hours of a rep in a year; a territory needing ``W > H`` hours counts
        ``H / W`` of its potential.
    """

    method: Literal["capacity"] = "capacity"


class BlendOptions(_HistoryWindow, _Workload):
    """The settings of method ``blend``: a weighted average of the top-down bases.

    Parameters
    ----------
    weights : dict of str to float
        Basis name (one of ``BLENDABLE``) -> weight, e.g. ``{history: 0.6,
        potential: 0.4}``; sum to 1. A basis at weight 0 is dropped (not read).
    history, history_weights, potential_column, workload_column, selling_hours
        The settings of the bases blended (see :class:`HistoryOptions` and
        :class:`CapacityOptions`).
    """

    method: Literal["blend"] = "blend"
    weights: dict[str, float] | None = None

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        bad = [k for k in v if k not in BLENDABLE]
        if bad:
            raise ValueError(
                f"weights: {bad[0]!r} is not a basis a blend can mix; use " + ", ".join(BLENDABLE)
            )
        if any(not math.isfinite(w) or w < 0 for w in v.values()):
            raise ValueError(f"weights must be non-negative numbers, got {dict(v)}")
        total = sum(v.values())
        if abs(total - 1.0) > _SUM_TOL:
            raise ValueError(
                f"weights {dict(v)} sum to {total:g}, not 1; scale them so they add up to 1"
            )
        return {k: w for k, w in v.items() if w > 0}  # a basis at weight 0 is not read

    @model_validator(mode="after")
    def _needs_weights(self) -> BlendOptions:
        if not self.weights:
            raise ValueError("method 'blend' needs weights, e.g. {history: 0.6, potential: 0.4}")
        return self


class BottomUpOptions(_Options):
    """The settings of method ``bottom_up``: targets per account or per rep.

    Parameters
    ----------
    targets : str
        A CSV with ``account_id,target`` (summed to the account's rep) or
        ``rep_id,target`` (manager inputs), annual money. Required.
    reconcile : bool, default False
        Scale the targets to the top-down total (else keep them and report the
        difference from the company target).
    """

    method: Literal["bottom_up"] = "bottom_up"
    targets: str | None = None
    reconcile: bool = False

    @model_validator(mode="after")
    def _needs_targets(self) -> BottomUpOptions:
        if not self.targets:
            raise ValueError("method 'bottom_up' needs targets: a CSV of account or rep targets")
        return self


class CalibratedOptions(_Options):
    """The settings of method ``calibrated``: quotas reached with a chosen probability.

    Parameters
    ----------
    probability, share_at_quota : float, optional
        Each rep's probability of attaining quota, or the share of reps expected at
        quota; exactly one, in (0, 1).
    calibration_trials : int, default 2000
        Simulated years behind the calibration, in [100, 1,000,000].
    """

    method: Literal["calibrated"] = "calibrated"
    probability: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    share_at_quota: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    calibration_trials: int = Field(2000, ge=100, le=1_000_000)

    @model_validator(mode="after")
    def _exactly_one(self) -> CalibratedOptions:
        given = [n for n in ("probability", "share_at_quota") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "method 'calibrated' needs exactly one of probability (each rep's chance "
                "of attaining quota) and share_at_quota (the share of reps at quota), "
                f"both in (0, 1); got {', '.join(given) or 'neither'}"
            )
        return self


_OPTIONS: dict[str, type[_Options]] = {
    "history": HistoryOptions,
    "equal": EqualOptions,
    "potential": PotentialOptions,
    "capacity": CapacityOptions,
    "blend": BlendOptions,
    "bottom_up": BottomUpOptions,
    "calibrated": CalibratedOptions,
}


def _options_tag(value: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get("method")
    return getattr(value, "method", None)


#: The settings of one method: a union discriminated by ``method``.
MethodOptions = Annotated[
    Annotated[HistoryOptions, Tag("history")]
    | Annotated[EqualOptions, Tag("equal")]
    | Annotated[PotentialOptions, Tag("potential")]
    | Annotated[CapacityOptions, Tag("capacity")]
    | Annotated[BlendOptions, Tag("blend")]
    | Annotated[BottomUpOptions, Tag("bottom_up")]
    | Annotated[CalibratedOptions, Tag("calibrated")],
    Discriminator(
        _options_tag,
        custom_error_type="quota_method",
        custom_error_message="unknown quota method; allowed: " + ", ".join(METHODS),
    ),
]


def _option_defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in _OPTIONS.values():
        for name, info in model.model_fields.items():
            if name != "method":
                out.setdefault(name, info.get_default(call_default_factory=True))
    return out


#: Every method's own setting, with the value it has where a method does not read it.
_OPTION_DEFAULTS = _option_defaults()


def _owners(name: str) -> list[str]:
    """The methods that have setting ``name``."""
    return [m for m, model in _OPTIONS.items() if name in model.model_fields]


def _says_nothing(name: str, value: Any) -> bool:
    """A value that changes nothing: None or the setting's default (old dumps have these)."""
    if value is None:
        return True
    if isinstance(value, list):
        value = tuple(value)
    try:
        return bool(value == _OPTION_DEFAULTS[name])
    except (TypeError, ValueError):  # e.g. an array: not a default
        return False


def _problem(loc: tuple[Any, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("value_error", "Value error, {message}", {"message": message}),
        loc=loc,
        input=value,
    )


def _nest(data: Mapping[str, Any]) -> tuple[dict[str, Any], set[str], list[InitErrorDetails]]:
    """The flat form nested: the method's settings moved into ``options``.

    Returns the data to validate, the names given flat and the problems found: a
    setting of another method given flat (unless it says nothing), an ``options``
    block whose own ``method`` is not a method.
    """
    data = dict(data)
    flat = {k: data.pop(k) for k in list(data) if k in _OPTION_DEFAULTS}
    options = data.get("options")
    method = data["method"] if "method" in data else (_options_tag(options) or "history")
    data["method"] = method
    model = _OPTIONS.get(method) if isinstance(method, str) else None
    if model is None:  # the method's own error says it all
        data.pop("options", None)
        return data, set(), []
    problems = []
    if options is None:
        given: dict[str, Any] = {}
    elif isinstance(options, _Options):
        given = {k: getattr(options, k) for k in type(options).model_fields}
    elif isinstance(options, Mapping):
        given = dict(options)
    else:
        problems.append(
            _problem(
                ("options",),
                f"options must be a mapping of the settings of method {method!r}, got "
                f"{type(options).__name__}",
                options,
            )
        )
        given = {}
    tag = given.pop("method", method)
    if tag != method:
        if tag not in _OPTIONS:
            problems.append(
                _problem(
                    ("options", "method"),
                    f"{tag!r} is not a quota method; use one of {', '.join(METHODS)}",
                    tag,
                )
            )
        # The method changed (replace(method=...), or a dumped dict edited): the new
        # method keeps what it also reads (the history window from history to blend).
        given = {k: v for k, v in given.items() if k in model.model_fields}
    for name, value in flat.items():
        if name in model.model_fields:
            given[name] = value
        elif not _says_nothing(name, value):
            owners = _owners(name)
            which = " and ".join(repr(m) for m in owners)
            plural = "s" if len(owners) > 1 else ""
            message = (
                f"{name} is for method{plural} {which}, not {method!r} (got {value!r}); "
                f"remove it, or set method: {' or '.join(owners)}"
            )
            problems.append(_problem((name,), message, value))
    data["options"] = {"method": method, **given}
    return data, set(flat), problems


def _relocated(exc: ValidationError, flat: set[str], method: Any) -> list[InitErrorDetails]:
    """The errors of ``exc`` located as the settings were written (flat or nested)."""
    out = []
    model = _OPTIONS.get(method) if isinstance(method, str) else None
    for e in exc.errors(include_url=False):
        loc, kind, msg = tuple(e["loc"]), e["type"], e["msg"]
        if len(loc) >= 2 and loc[0] == "options" and loc[1] in _OPTIONS:
            rest = loc[2:]  # without the tag the union adds
            # a setting given flat is named flat; a check of the whole method's settings
            # (e.g. calibrated's "exactly one of") is located at the settings themselves
            loc = rest if not rest or rest[0] in flat else ("options", *rest)
            if kind == "extra_forbidden" and model is not None:
                own = [n for n in model.model_fields if n != "method"]
                name = str(rest[-1])
                kind = "value_error"
                msg = (
                    f"Value error, {name!r} is not a setting of method {method!r}."
                    f"{suggest(name, own)} Its settings: {', '.join(own) or 'none'}."
                )
        elif len(loc) == 1 and kind == "extra_forbidden":
            name = str(loc[0])
            shared = [n for n in QuotaSettings.model_fields if n != "options"]
            settings = ", ".join(_OPTION_DEFAULTS)
            kind = "value_error"
            msg = (
                f"Value error, unknown field {name!r}.{suggest(name, [*shared, *_OPTION_DEFAULTS])}"
                f" Allowed: {', '.join(shared)}, and the settings of the method (flat, or "
                f"under options): {settings}."
            )
        out.append(
            InitErrorDetails(
                type=PydanticCustomError(kind, "{message}", {"message": msg}),
                loc=loc,
                input=e.get("input"),
            )
        )
    return out


class QuotaSettings(Spec):
    """How quotas are set (a frozen, validated spec; the ``quota:`` of a scenario).

    A tagged union by method: ``method`` picks the method and ``options`` holds its
    own settings (one model per method, e.g. :class:`CalibratedOptions`); the other
    fields are shared by every method. The method's settings may be written flat,
    beside ``method`` (as every example does), or nested under ``options``; both build
    the same settings, and ``settings.probability`` (or any other method setting)
    reads through to ``options`` (``None`` or the default where the method has none).

    Parameters
    ----------
    method : str, default "history"
        One of ``METHODS``: history, equal, potential, capacity, blend, bottom_up,
        calibrated (see the user guide for each formula).
    options : MethodOptions, optional
        The method's own settings; default: the method's defaults. Written flat:

        ========== =========================================================
        method     settings (flat, or under ``options``)
        ========== =========================================================
        history    ``history`` (trailing_12m, prior_year, multi_year),
                   ``history_weights`` (multi_year, most recent first)
        equal      none
        potential  ``potential_column``
        capacity   ``potential_column``, ``workload_column``, ``selling_hours``
        blend      ``weights`` (required), and the settings of the bases blended
        bottom_up  ``targets`` (required), ``reconcile``
        calibrated ``probability`` or ``share_at_quota`` (exactly one),
                   ``calibration_trials``
        ========== =========================================================

        A setting of another method is refused, naming the methods it is for,
        unless it says nothing (``None`` or its default).
    target : float, optional
        The company target in money. Default: last year's bookings x (1 + growth).
    growth : float, default 0.10
        Growth over the trailing twelve months' bookings when ``target`` is not given.
    over_assignment : float or OverAssignment, default 0
        A number is the rep level alone (rep quotas add up to the target x (1 + it));
        ``{region: 0.05, rep: 0.10}`` sets both levels. Not for ``calibrated``, nor
        for ``bottom_up`` without ``reconcile``.
    overrides : list of Override
        Annual quotas set by hand, each with a reason.
    hold_region_total : bool, default True
        An override is absorbed by the other reps of its region (pro rata), so the
        region's total stays; False lets the total move.
    ramp : tuple of float, optional
        Quota ramp by month of tenure (month 1 first), non-decreasing, ending at 1.
        Default: ``DEFAULT_RAMP`` by quarter (25/50/75/100%).
    seasonality : "history", "history_quarterly", "flat", or 12 or 4 shares
        Monthly split: from the history by month, from the history by quarter (the
        months of a quarter equal), flat, or given monthly (12) or quarterly (4)
        shares that sum to 1.
    hires : list of PlannedHire
        Planned hires and backfills (rep_id, region, start date in the plan year).
    moves : list of Move
        Reps who change region on a date in the plan year.
    min_history_months : float, default 3
        A rep with less ramp-weighted selling time in a history year gets the median
        run rate of their region for it.

    Raises
    ------
    SpecError
        From :meth:`replace` and ``load_spec`` (:class:`~spm_sim.errors.ScenarioError`
        inside a scenario), one line per problem located as written: ``probability``
        given flat, ``options.probability`` given nested. Calling ``QuotaSettings(...)``
        directly raises ``pydantic.ValidationError`` (a ``ValueError``) with the same
        texts, as plans do.

    Notes
    -----
    In YAML the two forms read::

        quota: {method: calibrated, probability: 0.6, growth: 0.08}
        quota: {method: calibrated, options: {probability: 0.6}, growth: 0.08}

    ``model_dump`` gives the nested form (with ``method`` also inside ``options``, its
    tag). :meth:`replace` takes the flat names too and validates again. Changing
    ``method`` keeps the settings the new method also has (the history window from
    ``history`` to ``blend``) and drops the others; so does a dumped dict whose
    ``method`` was edited (the top-level ``method`` wins over the tag in ``options``).

    Examples
    --------
    >>> QuotaSettings(growth=0.08, over_assignment=0.05).over_assignment.rep
    0.05
    >>> s = QuotaSettings(method="calibrated", probability=0.6)
    >>> type(s.options).__name__, s.options.probability, s.probability
    ('CalibratedOptions', 0.6, 0.6)
    >>> s == QuotaSettings(options={"method": "calibrated", "probability": 0.6})
    True
    >>> s.replace(probability=0.7).probability
    0.7
    >>> s.replace(method="potential").options
    PotentialOptions(method='potential', potential_column='potential')
    >>> QuotaSettings().replace(method="calibrated")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: QuotaSettings: 1 problem(s) in this quotasettings spec:
      - (top level): method 'calibrated' needs exactly one of probability ... got neither
    >>> s.replace(method="potential", probability=0.6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: QuotaSettings: 1 problem(s) in this quotasettings spec:
      - probability: probability is for method 'calibrated', not 'potential' (got 0.6); ...
    """

    method: Literal[
        "history", "equal", "potential", "capacity", "blend", "bottom_up", "calibrated"
    ] = "history"
    options: MethodOptions = HistoryOptions()
    target: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    growth: float = Field(0.10, gt=-1.0, le=5.0, allow_inf_nan=False)
    over_assignment: OverAssignment = OverAssignment()
    overrides: tuple[Override, ...] = ()
    hold_region_total: bool = True
    ramp: tuple[float, ...] | None = None
    seasonality: Literal["history", "history_quarterly", "flat"] | tuple[float, ...] = "history"
    hires: tuple[PlannedHire, ...] = ()
    moves: tuple[Move, ...] = ()
    min_history_months: float = Field(3.0, ge=0.0, le=12.0)

    @model_validator(mode="wrap")
    @classmethod
    def _nest_method_settings(
        cls, data: Any, handler: ModelWrapValidatorHandler[QuotaSettings]
    ) -> QuotaSettings:
        if not isinstance(data, Mapping):
            return handler(data)
        nested, flat, problems = _nest(data)
        try:
            settings = handler(nested)
        except ValidationError as exc:
            problems = [*_relocated(exc, flat, nested["method"]), *problems]
        else:
            if not problems:
                return settings
        raise ValidationError.from_exception_data(cls.__name__, problems)

    @field_validator("over_assignment", mode="before")
    @classmethod
    def _oa(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"over_assignment must be a number or {{region, rep}}, got {v!r}")
        if isinstance(v, int | float):
            return {"rep": v}
        return v

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"target must be a number (money), got {v!r}")
        if not math.isfinite(v) or v <= 0:
            raise ValueError(
                f"target must be a positive finite amount of money, got {v!r}; give the "
                "company's number, or leave it out to use last year's bookings x (1 + growth)"
            )
        return v

    @field_validator("ramp")
    @classmethod
    def _ramp(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("ramp is empty; give one factor per month of tenure, ending at 1")
        for i, f in enumerate(v):
            if not math.isfinite(f) or f < 0 or f > 1:
                raise ValueError(
                    f"ramp month {i + 1} is {f!r}: every factor must be between 0 and 1 (100%)"
                )
        for i in range(1, len(v)):
            if v[i] < v[i - 1]:
                raise ValueError(
                    f"ramp decreases from month {i} ({v[i - 1]:g}) to month {i + 1} ({v[i]:g}); "
                    "a ramp only rises with tenure"
                )
        if v[-1] != 1.0:
            raise ValueError(
                f"ramp ends at {v[-1]:g}; its last value holds for the rest of the rep's "
                "tenure, so it must be 1 (a fully ramped rep)"
            )
        return v

    @field_validator("seasonality")
    @classmethod
    def _season(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v
        if len(v) not in (4, 12):
            raise ValueError(
                f"seasonality has {len(v)} values; give 12 monthly or 4 quarterly shares, "
                "or 'history', 'history_quarterly' or 'flat'"
            )
        if any(not math.isfinite(s) or s < 0 for s in v):
            raise ValueError(f"seasonality shares must be non-negative, got {list(v)}")
        if abs(sum(v) - 1.0) > _SUM_TOL:
            raise ValueError(
                f"seasonality shares {list(v)} sum to {sum(v):g}, not 1; give each "
                f"{'month' if len(v) == 12 else 'quarter'}'s share of the year"
            )
        return v

    @model_validator(mode="after")
    def _shared_fields(self) -> QuotaSettings:
        m = self.method
        if (m == "calibrated" or (m == "bottom_up" and not self.reconcile)) and (
            self.over_assignment.total != 0.0
        ):
            how = (
                "calibrated quotas follow the chosen probability"
                if m == "calibrated"
                else "bottom-up targets are kept as given; set reconcile: true to scale them "
                "to the over-assigned target"
            )
            raise ValueError(
                f"over_assignment ({self.over_assignment.region:g} region, "
                f"{self.over_assignment.rep:g} rep) does not apply to method {m!r}: {how}. "
                "Remove it (the levels table reports the realised over-assignment)."
            )
        seen: set[str] = set()
        for o in self.overrides:
            if o.rep_id in seen:
                raise ValueError(f"two overrides for rep {o.rep_id!r}; keep one")
            seen.add(o.rep_id)
        return self

    def replace(self, **changes: Any) -> QuotaSettings:
        """A copy with ``changes`` applied, validated again (a :class:`SpecError` naming
        the field if not). The method's settings may be given flat
        (``replace(probability=0.7)``); see the Notes of the class for ``method``.
        """
        fields = type(self).model_fields
        known = [*fields, *_OPTION_DEFAULTS]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise self._error(
                f"{type(self).__name__}: unknown field {unknown[0]!r}."
                f"{suggest(unknown[0], known)} Allowed: {', '.join(known)}."
            )
        data = {k: getattr(self, k) for k in fields}
        data.update(changes)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            where = type(self).__name__
            raise self._error(
                format_validation_error(exc, source=where, model=type(self))
            ) from None

    # --- the method's settings, read through (None or the default where it has none)

    def _setting(self, name: str) -> Any:
        return getattr(self.options, name, _OPTION_DEFAULTS[name])

    @property
    def history(self) -> str:
        """The history window of the run rate (``history`` and ``blend``)."""
        return str(self._setting("history"))

    @property
    def history_weights(self) -> tuple[float, ...]:
        """The weights of the years of ``multi_year`` (``history`` and ``blend``)."""
        return tuple(self._setting("history_weights"))

    @property
    def weights(self) -> dict[str, float] | None:
        """The blend's weights by basis (``blend``; None otherwise)."""
        return self._setting("weights")

    @property
    def potential_column(self) -> str:
        """The accounts' potential column (``potential``, ``capacity``, ``blend``)."""
        return str(self._setting("potential_column"))

    @property
    def workload_column(self) -> str:
        """The accounts' workload column (``capacity``, ``blend``)."""
        return str(self._setting("workload_column"))

    @property
    def selling_hours(self) -> float:
        """A rep's selling hours in a year (``capacity``, ``blend``)."""
        return float(self._setting("selling_hours"))

    @property
    def targets(self) -> str | None:
        """The CSV of account or rep targets (``bottom_up``; None otherwise)."""
        return self._setting("targets")

    @property
    def reconcile(self) -> bool:
        """Whether bottom-up targets are scaled to the target (``bottom_up``)."""
        return bool(self._setting("reconcile"))

    @property
    def probability(self) -> float | None:
        """Each rep's probability of attaining quota (``calibrated``; None otherwise)."""
        return self._setting("probability")

    @property
    def share_at_quota(self) -> float | None:
        """The share of reps expected at quota (``calibrated``; None otherwise)."""
        return self._setting("share_at_quota")

    @property
    def calibration_trials(self) -> int:
        """Simulated years behind a calibration (``calibrated``)."""
        return int(self._setting("calibration_trials"))

    @property
    def uses_history(self) -> bool:
        """Whether the basis reads the bookings history."""
        return self.method == "history" or bool(self.weights and self.weights.get("history"))

    def describe(self, plan_year: int) -> str:
        """One line for reports: the method and its inputs.

        Examples
        --------
        >>> QuotaSettings(growth=0.08).describe(2026)
        'history (trailing 12 months): company target = 2025 bookings x (1 + 8.0%)'
        """
        target = (
            f"company target = {self.target:,.0f} (given)"
            if self.target is not None
            else f"company target = {plan_year - 1} bookings x (1 + {self.growth:.1%})"
        )
        m = self.method
        if m == "history":
            what = {
                "trailing_12m": "trailing 12 months",
                "prior_year": f"calendar {plan_year - 1}",
                "multi_year": "years weighted "
                + "/".join(f"{w:g}" for w in self.history_weights)
                + ", most recent first",
            }[self.history]
            head = f"history ({what})"
        elif m == "blend":
            head = "blend of " + ", ".join(f"{k} {w:.0%}" for k, w in (self.weights or {}).items())
        elif m == "calibrated":
            head = (
                f"calibrated: each rep has a {self.probability:.0%} chance of attaining quota"
                if self.probability is not None
                else f"calibrated: {self.share_at_quota:.0%} of reps expected at quota"
            )
        elif m == "bottom_up":
            head = f"bottom-up from {Path(self.targets or '').name}" + (
                " (reconciled to the target)" if self.reconcile else ""
            )
        elif m == "capacity":
            head = f"capacity ({self.selling_hours:,.0f} selling hours a year)"
        else:
            head = m
        extra = f"; {len(self.overrides)} override(s)" if self.overrides else ""
        if m == "calibrated" or (m == "bottom_up" and not self.reconcile):
            extra += "; the quotas' sum is compared with the target, not scaled to it"
        return f"{head}: {target}{extra}"
