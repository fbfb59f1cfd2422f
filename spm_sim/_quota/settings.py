"""Quota settings: the frozen spec of how quotas are set.

:class:`QuotaSettings` is a tagged union by method, as a plan's components are by
type: what every method shares (the company target, growth, over-assignment by level,
overrides, ramp, seasonality, planned hires, moves) are fields of its own, and
``options`` holds the settings of the chosen method only, one model per method
(:class:`HistoryOptions`, :class:`EqualOptions`, :class:`PotentialOptions`,
:class:`CapacityOptions`, :class:`BlendOptions`, :class:`BottomUpOptions`,
:class:`CalibratedOptions`, in :mod:`spm_sim._quota.methods`) tagged by ``method``.
The flat form of the YAML files and keyword calls (``method: calibrated`` with
``probability: 0.6`` beside it) is nested into ``options`` when the settings are
built, and reads such as ``settings.probability`` go through to it, so both forms
mean the same settings.

A private module of :mod:`spm_sim.quota`; :func:`~spm_sim.quota.set_quotas` applies
a :class:`QuotaSettings` to a book.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from spm_sim._spec import Spec, spec_source
from spm_sim.productivity import DEFAULT_RAMP

from .methods import (
    _OPTION_DEFAULTS,
    _OPTIONS,
    _SUM_TOL,
    HistoryOptions,
    MethodOptions,
    _nest,
    _relocated,
)

__all__ = [
    "MAX_COMPANY_TARGET",
    "OverAssignment",
    "Override",
    "PlannedHire",
    "Move",
    "QuotaSettings",
    "monthly_ramp",
]

#: The largest company total of quotas: a scenario's ``quota.target`` and the sum of
#: a bottom-up targets file (a thousand trillion: room for a company's year in a
#: small-unit currency; above it a value is a typo and overflows sums). ``spm-sim
#: quotas --target`` takes the same bound.
MAX_COMPANY_TARGET = 1e15


class _Origin:
    """The file quota settings were read from, named by the messages of checks that run
    only when the quotas are set (an override for a rep the book does not have).

    Where the settings came from is not part of their value: any two origins compare
    equal, so settings read from a file equal the same settings built in code.
    """

    __slots__ = ("path",)

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Origin)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"_Origin({self.path!r})"


#: The settings whose entries the messages at quota-setting time name by position
#: (``quota.overrides[0]``); replacing one of them in code drops the file's name.
_LOCATED = frozenset({"overrides", "hires", "moves"})


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


def _repeated(ids: list[str]) -> list[tuple[int, int]]:
    """The positions ``(first, again)`` of each id listed a second time.

    Examples
    --------
    >>> _repeated(["TBH-1", "TBH-2", "TBH-1"])
    [(0, 2)]
    """
    first: dict[str, int] = {}
    out = []
    for j, rep_id in enumerate(ids):
        if rep_id in first:
            out.append((first[rep_id], j))
        else:
            first[rep_id] = j
    return out


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
        Annual quotas set by hand, each with a reason; one per rep.
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
        Planned hires and backfills (rep_id, region, start date in the plan year);
        each rep_id once (one that is already a rep of the book is refused when the
        quotas are set).
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
    ``history`` to ``blend``) and drops the others. A mapping whose ``options`` carry
    another method's tag than ``method`` (a dump edited by hand) is refused, since it
    is unclear which method was meant; switch methods with :meth:`replace`.

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
    # a company target above MAX_COMPANY_TARGET is a typo, and overflows sums
    target: float | None = Field(None, gt=0.0, le=MAX_COMPANY_TARGET, allow_inf_nan=False)
    growth: float = Field(0.10, gt=-1.0, le=5.0, allow_inf_nan=False)
    over_assignment: OverAssignment = OverAssignment()
    overrides: tuple[Override, ...] = ()
    hold_region_total: bool = True
    ramp: tuple[float, ...] | None = None
    seasonality: Literal["history", "history_quarterly", "flat"] | tuple[float, ...] = "history"
    hires: tuple[PlannedHire, ...] = ()
    moves: tuple[Move, ...] = ()
    min_history_months: float = Field(3.0, ge=0.0, le=12.0)
    _origin: _Origin = PrivateAttr(default_factory=_Origin)

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
            shared = [n for n in cls.model_fields if n != "options"]
            problems = [*_relocated(exc, flat, nested["method"], shared), *problems]
        else:
            if not problems:
                # built from a file (a scenario's quota: block): keep its name for the
                # checks that run when the quotas are set. Only here, on new settings:
                # an instance passed on (scenario.replace) is returned as it is.
                settings._origin = _Origin(spec_source())
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

    @field_validator("overrides")
    @classmethod
    def _one_override_per_rep(cls, v: tuple[Override, ...]) -> tuple[Override, ...]:
        if repeated := _repeated([o.rep_id for o in v]):
            i, j = repeated[0]
            raise ValueError(
                f"two overrides for rep {v[i].rep_id!r} (overrides[{i}] and [{j}]); keep one"
            )
        return v

    @field_validator("hires")
    @classmethod
    def _one_hire_per_id(cls, v: tuple[PlannedHire, ...]) -> tuple[PlannedHire, ...]:
        if repeated := _repeated([h.rep_id for h in v]):
            i, j = repeated[0]
            raise ValueError(
                f"two planned hires with rep_id {v[i].rep_id!r} (hires[{i}] and [{j}]); give "
                "each its own id (e.g. TBH-1, TBH-2)"
            )
        return v

    @field_validator("moves")
    @classmethod
    def _one_move_per_rep_and_day(cls, v: tuple[Move, ...]) -> tuple[Move, ...]:
        # two moves of one rep on one day would leave the region to the order of the list
        if repeated := _repeated([f"{m.rep_id} on {m.date}" for m in v]):
            i, j = repeated[0]
            raise ValueError(
                f"two moves of rep {v[i].rep_id!r} on {v[i].date} (moves[{i}] to "
                f"{v[i].region!r} and [{j}] to {v[j].region!r}); keep the one that holds"
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
        return self

    def _located(self, where: str) -> str:
        """``where`` (``"quota.overrides[0]"``) preceded by the file the settings were
        read from, if they were: ``"base.yaml: quota.overrides[0]"``."""
        path = self._origin.path
        return where if path is None else f"{path}: {where}"

    def _settable(self) -> list[str]:
        # replace() also takes the method's settings by their flat names
        return [*type(self).model_fields, *_OPTION_DEFAULTS]

    def replace(self, **changes: Any) -> QuotaSettings:
        """A copy with ``changes`` applied, validated again (a :class:`SpecError` naming
        the field if not). The method's settings may be given flat
        (``replace(probability=0.7)``); see the Notes of the class for ``method``.
        """
        if "options" not in changes:
            method = changes.get("method", self.method)
            model = _OPTIONS.get(method) if isinstance(method, str) else None
            flat = [k for k in changes if k in _OPTION_DEFAULTS]
            if model is not None and (flat or method != self.method):
                # the settings the (new) method also reads and that are not changed here;
                # the changed ones stay flat, so messages name them as they were given
                changes["options"] = {
                    k: v
                    for k, v in self.options.model_dump().items()
                    if k != "method" and k in model.model_fields and k not in changes
                }
        new = super().replace(**changes)
        if _LOCATED.isdisjoint(changes):  # the entries the file's name locates are its own
            new._origin = self._origin
        return new

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
        >>> QuotaSettings(growth=-0.1).describe(2026)
        'history (trailing 12 months): company target = 2025 bookings x (1 - 10.0%)'
        """
        sign = "-" if self.growth < 0 else "+"
        target = (
            f"company target = {self.target:,.0f} (given)"
            if self.target is not None
            else f"company target = {plan_year - 1} bookings x (1 {sign} {abs(self.growth):.1%})"
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
