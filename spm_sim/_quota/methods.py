"""The settings of each quota method: one model per method, the union of them tagged
by ``method`` (:data:`MethodOptions`), and how the flat form finds its method.

:class:`~spm_sim.quota.QuotaSettings` holds one of these models in ``options``. A
setting written flat beside ``method`` (``probability: 0.6``) is moved into
``options`` by :func:`_nest` before validation, and :func:`_relocated` names each
problem where it was written (flat or nested). A private module of
:mod:`spm_sim.quota`.

Examples
--------
>>> CalibratedOptions(probability=0.6).calibration_trials
2000
>>> _owners("selling_hours")
['capacity', 'blend']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from spm_sim._spec import Spec, suggest

__all__ = [
    "METHODS",
    "BLENDABLE",
    "DEFAULT_SELLING_HOURS",
    "HistoryOptions",
    "EqualOptions",
    "PotentialOptions",
    "CapacityOptions",
    "BlendOptions",
    "BottomUpOptions",
    "CalibratedOptions",
    "MethodOptions",
]

#: The bases a blend can mix.
BLENDABLE = ("history", "equal", "potential", "capacity")

#: Every quota method, in the order the user guide explains them.
METHODS = ("history", "equal", "potential", "capacity", "blend", "bottom_up", "calibrated")
#: Selling hours of a rep in a year: 1,800 working hours x 60% selling (headcount.py).
DEFAULT_SELLING_HOURS = 1080.0
_SUM_TOL = 1e-6


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
        # options of another method (written by hand, an edited dump, or an options
        # object of another kind): which method was meant is unclear, and keeping one
        # would drop the other's settings without a word. QuotaSettings.replace switches
        # methods on purpose and passes the kept settings without a tag.
        known = tag in _OPTIONS
        message = (
            f"options are written for method {tag!r} but method is {method!r}; make the two "
            "agree (or leave method out of options)"
            if known
            else f"{tag!r} is not a quota method; use one of {', '.join(METHODS)}"
        )
        problems.append(_problem(("options", "method"), message, tag))
        given = {k: v for k, v in given.items() if k in model.model_fields}
    for name, value in flat.items():
        if name in model.model_fields:
            if name in given and given[name] != value:
                problems.append(
                    _problem(
                        (name,),
                        f"{name} is given twice, {value!r} here and {given[name]!r} under "
                        "options; give it once",
                        value,
                    )
                )
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


def _relocated(
    exc: ValidationError, flat: set[str], method: Any, shared: list[str]
) -> list[InitErrorDetails]:
    """The errors of ``exc`` located as the settings were written (flat or nested).

    ``shared`` names the fields every method shares (for an unknown field's message).
    Each error keeps its type and context (a tuple's ``min_length``, ...), so
    :func:`~spm_sim._spec.format_validation_error` reads it as pydantic wrote it.
    """
    out = []
    model = _OPTIONS.get(method) if isinstance(method, str) else None
    for e in exc.errors(include_url=False):
        loc, kind, msg = tuple(e["loc"]), e["type"], e["msg"]
        ctx = dict(e.get("ctx") or {})
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
            settings = ", ".join(_OPTION_DEFAULTS)
            kind = "value_error"
            msg = (
                f"Value error, unknown field {name!r}.{suggest(name, [*shared, *_OPTION_DEFAULTS])}"
                f" Allowed: {', '.join(shared)}, and the settings of the method (flat, or "
                f"under options): {settings}."
            )
        out.append(
            InitErrorDetails(
                type=PydanticCustomError(kind, "{message}", {**ctx, "message": msg}),
                loc=loc,
                input=e.get("input"),
            )
        )
    return out
