"""Quota settings: the frozen spec of how quotas are set (method, target,
over-assignment by level, history window, blend weights, bottom-up targets,
overrides, calibration, ramp, seasonality, planned hires, moves).

A private module of :mod:`spm_sim.quota`; :func:`~spm_sim.quota.set_quotas` applies
a :class:`QuotaSettings` to a book.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spm_sim.productivity import DEFAULT_RAMP

__all__ = [
    "METHODS",
    "BLENDABLE",
    "DEFAULT_SELLING_HOURS",
    "OverAssignment",
    "Override",
    "PlannedHire",
    "Move",
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


_FROZEN = ConfigDict(frozen=True, extra="forbid")


class OverAssignment(BaseModel):
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

    model_config = _FROZEN

    region: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    rep: float = Field(0.0, ge=0.0, le=2.0, allow_inf_nan=False)

    @property
    def total(self) -> float:
        """Sum of rep quotas over the company target, minus 1."""
        return (1.0 + self.region) * (1.0 + self.rep) - 1.0


class Override(BaseModel):
    """A rep's annual quota set by hand, with who set it and why (the audit trail)."""

    model_config = _FROZEN

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


class PlannedHire(BaseModel):
    """A rep to be hired, or a vacancy to be backfilled, during the plan year."""

    model_config = _FROZEN

    rep_id: str = Field(min_length=1)
    region: str = Field(min_length=1)
    start: dt.date
    new_region: bool = False  # True: a region the book does not have yet


class Move(BaseModel):
    """A rep who moves to another region on ``date`` (their quota follows them)."""

    model_config = _FROZEN

    rep_id: str = Field(min_length=1)
    date: dt.date
    region: str = Field(min_length=1)
    new_region: bool = False  # True: a region the book does not have yet


class QuotaSettings(BaseModel):
    """How quotas are set (a frozen, validated spec; the ``quota:`` of a scenario).

    Parameters
    ----------
    method : str, default "history"
        One of ``METHODS``: history, equal, potential, capacity, blend, bottom_up,
        calibrated (see the module docstring and the user guide for each formula).
    target : float, optional
        The company target in money. Default: last year's bookings x (1 + growth).
    growth : float, default 0.10
        Growth over the trailing twelve months' bookings when ``target`` is not given.
    over_assignment : float or OverAssignment, default 0
        A number is the rep level alone (rep quotas add up to the target x (1 + it));
        ``{region: 0.05, rep: 0.10}`` sets both levels.
    history : {"trailing_12m", "prior_year", "multi_year"}
        The history behind the ``history`` basis.
    history_weights : tuple of float, default (0.5, 0.3, 0.2)
        Weights of the years of ``multi_year``, most recent first; sum to 1.
    weights : dict, optional
        The ``blend``: basis name -> weight, e.g. ``{history: 0.6, potential: 0.4}``;
        sum to 1.
    potential_column, workload_column : str
        Account columns behind ``potential`` and ``capacity``.
    selling_hours : float, default 1080
        Selling hours of a rep in a year (``capacity``).
    targets : str, optional
        ``bottom_up``: a CSV with ``account_id,target`` (summed to the account's rep)
        or ``rep_id,target`` (manager inputs), annual money.
    reconcile : bool, default False
        ``bottom_up``: scale the targets to the top-down total (else keep them and
        report the difference from the company target).
    overrides : list of Override
        Annual quotas set by hand, each with a reason.
    hold_region_total : bool, default True
        An override is absorbed by the other reps of its region (pro rata), so the
        region's total stays; False lets the total move.
    probability, share_at_quota : float, optional
        ``calibrated``: each rep's probability of attaining quota, or the share of
        reps expected at quota; exactly one, in (0, 1).
    calibration_trials : int, default 2000
        Simulated years behind the calibration.
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

    Examples
    --------
    >>> QuotaSettings(growth=0.08, over_assignment=0.05).over_assignment.rep
    0.05
    >>> QuotaSettings(method="blend", weights={"history": 0.7, "potential": 0.3}).method
    'blend'
    """

    model_config = _FROZEN

    method: Literal[
        "history", "equal", "potential", "capacity", "blend", "bottom_up", "calibrated"
    ] = "history"
    target: float | None = Field(None, gt=0.0, allow_inf_nan=False)
    growth: float = Field(0.10, gt=-1.0, le=5.0, allow_inf_nan=False)
    over_assignment: OverAssignment = OverAssignment()
    history: Literal["trailing_12m", "prior_year", "multi_year"] = "trailing_12m"
    history_weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    weights: dict[str, float] | None = None
    potential_column: str = "potential"
    workload_column: str = "workload"
    selling_hours: float = Field(DEFAULT_SELLING_HOURS, gt=0.0, allow_inf_nan=False)
    targets: str | None = None
    reconcile: bool = False
    overrides: tuple[Override, ...] = ()
    hold_region_total: bool = True
    probability: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    share_at_quota: float | None = Field(None, gt=0.0, lt=1.0, allow_inf_nan=False)
    calibration_trials: int = Field(2000, ge=100, le=1_000_000)
    ramp: tuple[float, ...] | None = None
    seasonality: Literal["history", "history_quarterly", "flat"] | tuple[float, ...] = "history"
    hires: tuple[PlannedHire, ...] = ()
    moves: tuple[Move, ...] = ()
    min_history_months: float = Field(3.0, ge=0.0, le=12.0)

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
    def _method_fields(self) -> QuotaSettings:
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
        if m == "blend" and not self.weights:
            raise ValueError("method 'blend' needs weights, e.g. {history: 0.6, potential: 0.4}")
        if m != "blend" and self.weights:
            raise ValueError(f"weights are for method 'blend', not {m!r}; remove them")
        if m == "bottom_up" and not self.targets:
            raise ValueError("method 'bottom_up' needs targets: a CSV of account or rep targets")
        if m == "calibrated":
            given = [n for n in ("probability", "share_at_quota") if getattr(self, n) is not None]
            if len(given) != 1:
                raise ValueError(
                    "method 'calibrated' needs exactly one of probability (each rep's chance "
                    "of attaining quota) and share_at_quota (the share of reps at quota), "
                    f"both in (0, 1); got {', '.join(given) or 'neither'}"
                )
        elif self.probability is not None or self.share_at_quota is not None:
            raise ValueError(
                f"probability and share_at_quota are for method 'calibrated', not {m!r}"
            )
        seen: set[str] = set()
        for o in self.overrides:
            if o.rep_id in seen:
                raise ValueError(f"two overrides for rep {o.rep_id!r}; keep one")
            seen.add(o.rep_id)
        return self

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
