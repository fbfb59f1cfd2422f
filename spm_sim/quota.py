"""Quotas per rep and month: the methods planners use, and quotas calibrated to a
chosen probability of attainment.

Every method ends in the same place: an annual quota per rep, split over the twelve
months of the plan year by the rep's **capacity** there (the share of the month the
rep is employed, times the ramp factor of their tenure, times the seasonal weight of
the month), so new hires, leavers, planned hires and seasonality are handled alike.

Top-down methods share the company target out by a **basis** per rep:

``history``
    the rep's annualised, ramp- and season-adjusted run rate over the trailing twelve
    months (``history="trailing_12m"``), the prior calendar year (``"prior_year"``)
    or a weighted average of several years (``"multi_year"``);
``equal``
    the same for everyone (per unit of capacity);
``potential``
    the potential of the rep's accounts (territory potential);
``capacity``
    the potential the rep can work with the selling hours a year holds:
    ``P_r min(1, H / W_r)`` with ``W_r`` the territory's workload hours;
``blend``
    a weighted average of the bases above, each as a share of its total.

``bottom_up`` takes annual targets per account or per rep (manager inputs);
``calibrated`` sets each rep's quota so that the simulated probability of attaining
it is ``probability`` (or so that ``share_at_quota`` of reps attain), from the
productivity model's draws. Overrides replace a rep's annual quota with an audit
trail. Over-assignment applies per level: region quotas add up to the company target
times ``1 + region``, rep quotas in a region to the region quota times ``1 + rep``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._quota_bases import (
    BLENDABLE,
    _allocate,
    _apply_overrides,
    _basis,
    _bottom_up,
    _calibrated,
    _exposure,
    _join_sources,
    _levels,
    _need_capacity,
    _need_months,
    _quota_reps,
    _region_months,
    _region_quotas_from_reps,
    _season,
    _shares,
    aligned_accounts,
    rep_potential,
)
from ._validation import DataError, SpecError
from .productivity import DEFAULT_RAMP, history_end

__all__ = [
    "METHODS",
    "BLENDABLE",
    "OverAssignment",
    "Override",
    "PlannedHire",
    "Move",
    "QuotaSettings",
    "Quotas",
    "set_quotas",
    "quotas_from_history",
    "monthly_ramp",
    "calibration_rng",
    "CALIBRATION_STREAM",
    "rep_run_rates",
    "rep_potential",
]

#: Second word of the calibrated quotas' seed: ``SeedSequence([seed, it])`` is a stream
#: apart from every Monte Carlo trial's, so quotas are never fitted to the draws they face.
CALIBRATION_STREAM = 0x0C0A1B


def calibration_rng(seed: int) -> np.random.SeedSequence:
    """The calibration's random stream for a scenario seed (what ``simulate`` uses).

    Examples
    --------
    >>> calibration_rng(7).entropy
    [7, 789019]
    """
    return np.random.SeedSequence([int(seed), CALIBRATION_STREAM])


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


@dataclass(frozen=True)
class Quotas:
    """Quota per rep and period, with the company target they roll up to.

    Attributes
    ----------
    rep_ids : tuple of str
    periods : tuple of str
        ``"YYYY-MM"`` months of the plan year.
    values : ndarray, shape (n_reps, n_periods)
        Quota in money per rep and month.
    company_target : float
        The company's number (before over-assignment).
    settings : QuotaSettings
    basis : DataFrame
        Per rep: region, the basis of the method and where it came from, the plan-year
        capacity and the annual quota.
    levels : DataFrame
        Per level of the hierarchy (company, each region): its quota, the sum of the
        quotas one level below, the over-assignment set and realised.
    audit : DataFrame
        The overrides: rep, quota before and after, change, who and why.
    info : dict
        Method-specific figures (e.g. the calibration's achieved probability).
    regions : ndarray of str, shape (n_reps, n_periods), optional
        The region of each rep in each month (moves change it).
    """

    rep_ids: tuple[str, ...]
    periods: tuple[str, ...]
    values: np.ndarray
    company_target: float
    settings: QuotaSettings
    basis: pd.DataFrame = field(compare=False, repr=False)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    audit: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    info: dict = field(default_factory=dict, compare=False, repr=False)
    regions: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def annual(self) -> np.ndarray:
        """Annual quota per rep, shape (n_reps,)."""
        return self.values.sum(axis=1)

    @property
    def over_assignment(self) -> float:
        """Realised over-assignment: sum of quotas / company target - 1."""
        return float(self.values.sum() / self.company_target - 1.0)

    def by_quarter(self) -> np.ndarray:
        """Quota per rep and quarter, shape (n_reps, 4)."""
        return self.values.reshape(len(self.rep_ids), 4, 3).sum(axis=2)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame ``rep_id, region, period, quota`` with the method and inputs in ``attrs``."""
        if self.regions is not None:
            region = np.asarray(self.regions, dtype=object).ravel()
        elif "region" in self.basis:
            start = self.basis.set_index("rep_id")["region"].reindex(list(self.rep_ids))
            region = np.repeat(start.to_numpy(), len(self.periods))
        else:
            region = np.full(self.values.size, None)
        df = pd.DataFrame(
            {
                "rep_id": np.repeat(self.rep_ids, len(self.periods)),
                "region": region,
                "period": np.tile(self.periods, len(self.rep_ids)),
                "quota": self.values.ravel(),
            }
        )
        df.attrs.update(
            method=self.settings.method,
            settings=self.settings.model_dump(mode="json"),
            company_target=self.company_target,
        )
        return df


def quotas_from_history(
    book,
    *,
    plan_year: int,
    settings: QuotaSettings | None = None,
    rep_ids: list[str] | tuple[str, ...] | None = None,
    ramp: tuple[float, ...] = DEFAULT_RAMP,
) -> Quotas:
    """Set quotas top-down from the trailing year's bookings (method ``history``).

    The first method of spm_sim, kept for its callers: :func:`set_quotas` with
    ``settings.method == "history"`` and a ramp given by quarter of tenure.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> q = quotas_from_history(load_sample(), plan_year=2025)
    >>> basis = q.basis.set_index("rep_id")
    >>> basis.loc["R084", "run_rate_source"]          # hired 2025-05-01
    'region median (hired during plan year)'
    >>> bool((q.values[q.rep_ids.index("R084"), :4] == 0).all())   # nothing before May
    True
    >>> bool((q.values[q.rep_ids.index("R069"), 9:] == 0).all())   # left 2025-09-25
    True
    >>> bool(abs(q.values.sum() / q.company_target - 1.0) < 1e-12)  # no over-assignment
    True
    """
    settings = settings or QuotaSettings()
    if settings.method != "history":
        raise SpecError(
            f"quotas_from_history sets method 'history', got settings.method={settings.method!r};"
            " call set_quotas for the other methods"
        )
    if settings.ramp is None and tuple(ramp) != DEFAULT_RAMP:
        by_month = tuple(float(f) for f in np.repeat(np.asarray(ramp, float), 3)[:-2])
        settings = QuotaSettings.model_validate({**settings.model_dump(), "ramp": by_month})
    return set_quotas(book, plan_year=plan_year, settings=settings, rep_ids=rep_ids)


def set_quotas(
    book,
    *,
    plan_year: int,
    settings: QuotaSettings | None = None,
    rep_ids: list[str] | tuple[str, ...] | None = None,
    model=None,
    rng=None,
    alignment=None,
) -> Quotas:
    """Quotas per rep and month of ``plan_year`` by the method of ``settings``.

    Parameters
    ----------
    book : Book
    plan_year : int
    settings : QuotaSettings, optional
        Default ``QuotaSettings()`` (history, 10% growth, no over-assignment).
    rep_ids : sequence of str, optional
        Reps who carry quota; default every rep employed on at least one day of the
        plan year, plus ``settings.hires``.
    model : ProductivityModel, optional
        ``calibrated`` only: the model whose draws calibrate the quotas (default: fitted
        from the book with ``fit_productivity``).
    rng : int, SeedSequence or Generator, optional
        ``calibrated`` only: the calibration's random stream (default seed 0).
        ``calibration_rng(scenario.seed)`` gives the quotas a simulation of the
        scenario uses.
    alignment : Alignment or DataFrame, optional
        New territories: a :func:`spm_sim.territory.design` result on the accounts, or a
        table with ``account_id`` and ``rep_id`` (``spm-sim align --out``). The
        ``potential``, ``capacity`` and bottom-up account targets then follow it;
        accounts it leaves out keep their rep.

    Returns
    -------
    Quotas

    Notes
    -----
    With ``T`` the company target, ``o_g``/``o_r`` the region and rep over-assignment,
    ``b_r`` the rep's basis and ``c_rm = w_m e_rm / 12`` the capacity of rep ``r`` in
    month ``m`` (``w_m`` seasonal weight with mean 1, ``e_rm`` share of the month
    employed times the ramp factor of the tenure), a top-down method sets

    * region quota ``Q_g = T (1 + o_g) W_g / W`` with ``W_g = sum_{r,m in g} b_r c_rm``;
    * rep quota ``q_rm = Q_g (1 + o_r) b_r c_rm / W_g``,

    so regions add up to ``T (1 + o_g)`` and each region's reps to ``Q_g (1 + o_r)``.
    A month belongs to the region the rep is in at its start (``moves``).

    Raises
    ------
    DataError
        When the book cannot support the method (history too short, reps without
        accounts, a targets file with bad rows), with the file, row or rep named.
    SpecError
        When a planned hire, move or override does not fit the plan year or the reps.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> s = QuotaSettings(method="potential", over_assignment={"region": 0.05, "rep": 0.1})
    >>> q = set_quotas(load_sample(), plan_year=2026, settings=s)
    >>> round(float(q.values.sum() / q.company_target) - 1, 4)
    0.155
    >>> q.levels[["level", "over_assignment_realised"]].drop_duplicates("level").round(4)
        level  over_assignment_realised
    0  company                      0.05
    1   region                      0.10
    """
    settings = settings or QuotaSettings()
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    plan_months = pd.date_range(start, periods=12, freq="MS")
    reps = _quota_reps(book, plan_year, rep_ids, settings)
    accounts = (
        book.accounts if alignment is None else aligned_accounts(book.accounts, alignment, reps)
    )
    ramp = monthly_ramp(settings.ramp)
    end = history_end(book, plan_year)
    hist = book.bookings[book.bookings["date"] <= end].sort_values(["date", "deal_id"])
    since = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    last_year = hist[hist["date"] >= since]
    if settings.target is None:
        _need_months(
            hist,
            since,
            end,
            12,
            what="the company target (last year x growth)",
            fix="Give more history, or the company's number as quota.target.",
        )
    if settings.target is None and last_year.empty:
        raise DataError(
            f"no bookings between {since.date()} and {end.date()} to grow into a company "
            "target; give quota.target (the company's number) instead."
        )
    company_target = (
        float(settings.target)
        if settings.target is not None
        else float(last_year["amount"].sum()) * (1.0 + settings.growth)
    )
    season = _season(settings, book, hist, end, ramp)
    expo = _exposure(reps, plan_months, ramp)
    capacity = season[None, :] / 12.0 * expo
    cap_year = capacity.sum(axis=1)
    region_m = _region_months(
        reps, settings.moves, plan_months, plan_year, set(book.reps["region"].astype(str))
    )
    oa = settings.over_assignment
    m = settings.method
    info: dict[str, Any] = {}
    extra: dict[str, np.ndarray] = {}

    if m in BLENDABLE or m == "blend":
        parts = settings.weights if m == "blend" else {m: 1.0}
        basis = np.zeros(len(reps))
        sources = []
        for name, w in (parts or {}).items():
            b, src, cols = _basis(
                name, book, accounts, hist, end, reps, settings, ramp, season, plan_year
            )
            extra.update(cols)
            if m == "blend":
                extra[f"share_{name}"] = _shares(b, cap_year)
                b = _shares(b, cap_year) / np.where(cap_year > 0, cap_year, 1.0)
            basis = basis + w * b
            sources.append(src)
        source = sources[0] if len(sources) == 1 else _join_sources(sources, parts)
        values, region_q = _allocate(basis[:, None] * capacity, region_m, company_target, oa)
    elif m == "bottom_up":
        annual, source, cols = _bottom_up(accounts, reps, settings)
        extra.update(cols)
        _need_capacity(reps, annual, cap_year)
        profile = capacity / np.where(cap_year > 0, cap_year, 1.0)[:, None]
        if settings.reconcile:
            basis = annual / np.where(cap_year > 0, cap_year, 1.0)
            values, region_q = _allocate(basis[:, None] * capacity, region_m, company_target, oa)
            info["bottom_up_total"] = float(annual.sum())
        else:
            basis = annual
            values = annual[:, None] * profile
            region_q = _region_quotas_from_reps(values, region_m)
    else:  # calibrated
        values, basis, source, info = _calibrated(book, reps, settings, plan_year, model, rng)
        region_q = _region_quotas_from_reps(values, region_m)

    values, audit = _apply_overrides(values, reps, region_m, settings)
    levels = _levels(values, region_m, company_target, region_q, oa)
    out = pd.DataFrame(
        {
            "rep_id": reps["rep_id"].to_numpy(),
            "region": reps["region"].to_numpy(),
            "planned_hire": reps["planned"].to_numpy(),
            "basis": basis,
            "basis_source": source,
        }
    )
    for name, col in extra.items():
        out[name] = col
    out["plan_year_capacity"] = cap_year  # 1.0 = a full, ramped year of average season
    out["annual_quota"] = values.sum(axis=1)
    out.attrs.update(trailing_start=str(since.date()), trailing_end=str(end.date()))
    return Quotas(
        rep_ids=tuple(out["rep_id"]),
        periods=tuple(plan_months.strftime("%Y-%m")),
        values=values,
        company_target=company_target,
        settings=settings,
        basis=out,
        levels=levels,
        audit=audit,
        info=info,
        regions=region_m,
    )


def rep_run_rates(book, *, plan_year: int, settings: QuotaSettings, rep_ids) -> pd.Series:
    """Each rep's run rate, the ``history`` basis, with ``settings``' window, ramp and
    seasonality whatever its method (the yardstick "quota against history" uses).

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> rr = rep_run_rates(load_sample(), plan_year=2026, settings=QuotaSettings(),
    ...                    rep_ids=["R001", "R002"])
    >>> list(rr.index), bool((rr > 0).all())
    (['R001', 'R002'], True)
    """
    data = settings.model_dump()
    data.update(
        method="history",
        target=1.0,  # the shares are what matter here, not the company's number
        over_assignment={},
        weights=None,
        targets=None,
        reconcile=False,
        overrides=(),
        probability=None,
        share_at_quota=None,
        hires=(),
        moves=(),
    )
    q = set_quotas(
        book,
        plan_year=plan_year,
        settings=QuotaSettings.model_validate(data),
        rep_ids=list(rep_ids),
    )
    return q.basis.set_index("rep_id")["run_rate"].astype(float)
