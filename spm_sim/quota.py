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

from ._validation import DataError, SpecError
from .productivity import DEFAULT_RAMP, exposure_months, history_end

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
]

#: Every quota method, in the order the user guide explains them.
METHODS = ("history", "equal", "potential", "capacity", "blend", "bottom_up", "calibrated")
#: The top-down bases a ``blend`` can mix.
BLENDABLE = ("history", "equal", "potential", "capacity")
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


class Move(BaseModel):
    """A rep who moves to another region on ``date`` (their quota follows them)."""

    model_config = _FROZEN

    rep_id: str = Field(min_length=1)
    date: dt.date
    region: str = Field(min_length=1)


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
        return dict(v)

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
        region = (
            self.basis.set_index("rep_id")["region"].reindex(list(self.rep_ids)).to_numpy()
            if "region" in self.basis
            else np.full(len(self.rep_ids), None)
        )
        df = pd.DataFrame(
            {
                "rep_id": np.repeat(self.rep_ids, len(self.periods)),
                "region": np.repeat(region, len(self.periods)),
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
    ramp = monthly_ramp(settings.ramp)
    end = history_end(book, plan_year)
    hist = book.bookings[book.bookings["date"] <= end].sort_values(["date", "deal_id"])
    since = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    last_year = hist[hist["date"] >= since]
    if settings.target is None or settings.uses_history:
        _need_months(hist, since, end, 12, what="the company target (last year x growth)")
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
    region_m = _region_months(reps, settings.moves, plan_months, plan_year)
    oa = settings.over_assignment
    m = settings.method
    info: dict[str, Any] = {}
    extra: dict[str, np.ndarray] = {}

    if m in BLENDABLE or m == "blend":
        parts = settings.weights if m == "blend" else {m: 1.0}
        basis = np.zeros(len(reps))
        sources = []
        for name, w in (parts or {}).items():
            b, src, cols = _basis(name, book, hist, end, reps, settings, ramp, season, plan_year)
            extra.update(cols)
            if m == "blend":
                extra[f"share_{name}"] = _shares(b, cap_year)
                b = _shares(b, cap_year) / np.where(cap_year > 0, cap_year, 1.0)
            basis = basis + w * b
            sources.append(src)
        source = sources[0] if len(sources) == 1 else _join_sources(sources, parts)
        values, region_q = _allocate(basis[:, None] * capacity, region_m, company_target, oa)
    elif m == "bottom_up":
        annual, source, cols = _bottom_up(book, reps, settings)
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
            region_q = _region_quotas_from_reps(values, region_m, company_target, oa)
    else:  # calibrated
        values, basis, source, info = _calibrated(
            book, reps, settings, plan_year, model, rng, capacity
        )
        region_q = _region_quotas_from_reps(values, region_m, company_target, oa)

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
    )


# --- who carries quota, when, where ------------------------------------------------


def _quota_reps(book, plan_year: int, rep_ids, settings: QuotaSettings) -> pd.DataFrame:
    """The reps on quota: rep_id, region, hire_date, term_date, planned (bool)."""
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    year_end = pd.Timestamp(year=plan_year, month=12, day=31)
    reps = book.reps.sort_values("rep_id").reset_index(drop=True)
    reps = reps.assign(rep_id=reps["rep_id"].astype(str), region=reps["region"].astype(str))
    if rep_ids is None:
        employed = (reps["hire_date"] <= year_end) & (
            reps["term_date"].isna() | (reps["term_date"] >= start)
        )
        sel = reps[employed.to_numpy(dtype=bool)]
        if sel.empty and not settings.hires:
            raise DataError(
                f"no rep of the book is employed on any day of {plan_year} (hire_date on or "
                f"before {year_end.date()} and term_date empty or on or after {start.date()}): "
                "nobody to set a quota for. Check the reps' dates, or pass rep_ids."
            )
    else:
        idx = pd.Index(reps["rep_id"]).get_indexer([str(r) for r in rep_ids])
        if np.any(idx < 0):
            bad = [r for r, i in zip(rep_ids, idx, strict=True) if i < 0]
            raise DataError(f"rep_id {bad[0]!r} is not in the book's reps ({len(bad)} unknown).")
        sel = reps.iloc[idx]
    sel = sel[["rep_id", "region", "hire_date", "term_date"]].assign(planned=False)
    known = set(reps["rep_id"])
    rows = []
    for i, h in enumerate(settings.hires):
        where = f"quota.hires[{i}] ({h.rep_id})"
        _in_year(h.start, plan_year, where + " start")
        if h.rep_id in known or any(r["rep_id"] == h.rep_id for r in rows):
            raise SpecError(
                f"{where}: rep_id {h.rep_id!r} is already a rep of the book or another hire; "
                "give the planned hire a new id (e.g. TBH-1)"
            )
        rows.append(
            {
                "rep_id": h.rep_id,
                "region": h.region,
                "hire_date": pd.Timestamp(h.start),
                "term_date": pd.NaT,
                "planned": True,
            }
        )
    if rows:
        sel = pd.concat([sel, pd.DataFrame(rows)], ignore_index=True)
    sel["term_date"] = pd.to_datetime(sel["term_date"])
    return sel.reset_index(drop=True)


def _in_year(day: dt.date, plan_year: int, where: str) -> None:
    if day.year != plan_year:
        raise SpecError(
            f"{where} {day.isoformat()} is outside plan year {plan_year} ({plan_year}-01-01 to "
            f"{plan_year}-12-31); give a date in the plan year"
        )


def _exposure(reps: pd.DataFrame, months: pd.DatetimeIndex, ramp: np.ndarray, **window):
    """Share of each month employed times the ramp factor of the tenure (month 1 first)."""
    share = exposure_months(reps, months, ramp=(1.0,), **window)
    hire = reps["hire_date"].dt.year.to_numpy() * 12 + reps["hire_date"].dt.month.to_numpy() - 1
    tenure = (months.year.to_numpy() * 12 + months.month.to_numpy() - 1)[None, :] - hire[:, None]
    return share * ramp[np.clip(tenure, 0, len(ramp) - 1)]


def _region_months(reps, moves, months: pd.DatetimeIndex, plan_year: int) -> np.ndarray:
    """Region of each rep in each month: a move counts from the start of its month."""
    region = np.repeat(reps["region"].to_numpy(dtype=object)[:, None], len(months), axis=1)
    index = {r: i for i, r in enumerate(reps["rep_id"])}
    for i, mv in sorted(enumerate(moves), key=lambda t: t[1].date):
        where = f"quota.moves[{i}] ({mv.rep_id})"
        _in_year(mv.date, plan_year, where + " date")
        if mv.rep_id not in index:
            raise SpecError(
                f"{where}: rep {mv.rep_id!r} carries no quota in {plan_year}; check the rep_id"
            )
        region[index[mv.rep_id], mv.date.month - 1 :] = mv.region
    return region


def _need_months(hist, since, end, months: int, *, what: str) -> None:
    """Refuse a history that does not reach back to ``since`` (with the months counted)."""
    if len(hist) and hist["date"].min() <= since + pd.Timedelta(days=31):
        return
    have = 0
    span = "no bookings"
    if len(hist):
        first = hist["date"].min()
        have = (end.year - first.year) * 12 + end.month - first.month + 1
        span = f"{first.date()} to {hist['date'].max().date()}"
    raise DataError(
        f"history too short for {what}: it needs {months} months of bookings ({since.date()} "
        f"to {end.date()}); the book has {have} month(s) ({span}) up to {end.date()}. Give "
        "more history, a shorter window, or a company target."
    )


# --- seasonality ---------------------------------------------------------------------


def _season(settings, book, hist, end, ramp) -> np.ndarray:
    """Weights of the 12 calendar months, mean 1."""
    s = settings.seasonality
    if s == "flat":
        return np.ones(12)
    if s in ("history", "history_quarterly"):
        if hist.empty:
            raise DataError(
                f"seasonality '{s}' needs bookings before the plan year and the book has "
                "none; set seasonality to 'flat' or give 12 monthly or 4 quarterly shares."
            )
        w = _seasonal_weights(book, hist, end, ramp)
        return np.repeat(w.reshape(4, 3).mean(axis=1), 3) if s == "history_quarterly" else w
    v = np.asarray(s, float)
    monthly = np.repeat(v / 3.0, 3) if v.size == 4 else v
    return monthly * 12.0


def _seasonal_weights(book, hist: pd.DataFrame, end: pd.Timestamp, ramp: np.ndarray) -> np.ndarray:
    """Bookings per selling month in each calendar month, scaled to mean 1.

    Dividing by the team's selling time (not just summing bookings by month) keeps a
    history that covers some months more often than others, or a team that grew, from
    tilting the weights.
    """
    months = pd.date_range(hist["date"].min().to_period("M").to_timestamp(), end, freq="MS")
    reps = book.reps.sort_values("rep_id")
    capacity = _exposure(reps, months, ramp, until=end).sum(axis=0)
    moy = months.month.values - 1
    cap = np.bincount(moy, capacity, minlength=12)
    amount = np.bincount(
        hist["date"].dt.month.to_numpy() - 1, hist["amount"].to_numpy(float), minlength=12
    )
    rate = np.where(cap > 0, amount / np.where(cap > 0, cap, 1.0), 0.0)
    if rate.sum() <= 0:
        raise DataError("the bookings history has no amount to estimate seasonality from.")
    return rate / rate.mean()


# --- the bases of the top-down methods -----------------------------------------------


def _basis(name, book, hist, end, reps, settings, ramp, season, plan_year):
    """``(basis per rep, source per rep, extra columns)`` of one top-down basis."""
    n = len(reps)
    if name == "equal":
        return np.ones(n), np.array(["equal"] * n, dtype=object), {}
    if name == "history":
        return _history_basis(book, hist, end, reps, settings, ramp, season, plan_year)
    pot, work, count = _territories(book, reps, settings, need_workload=name == "capacity")
    if name == "potential":
        src = np.array([f"territory potential ({c} accounts)" for c in count], dtype=object)
        return pot, src, {"potential": pot, "accounts": count}
    h = settings.selling_hours
    workable = np.where(work > h, h / np.where(work > 0, work, 1.0), 1.0)
    src = np.array(
        [
            f"potential x min(1, {h:,.0f} h / {w:,.0f} h workload)"
            if w > h
            else "potential (workload within the selling hours)"
            for w in work
        ],
        dtype=object,
    )
    return (
        pot * workable,
        src,
        {"potential": pot, "workload_hours": work, "workable_share": workable, "accounts": count},
    )


def _territories(book, reps, settings, *, need_workload: bool):
    """Potential, workload and account count of each rep's accounts."""
    acc = book.accounts
    cols = [settings.potential_column] + ([settings.workload_column] if need_workload else [])
    for c in cols:
        if c not in acc.columns:
            from ._validation import suggest

            raise DataError(
                f"accounts.csv has no column {c!r} for method {settings.method!r}."
                f"{suggest(c, acc.columns)} Columns: {', '.join(map(str, acc.columns))}."
            )
    owner = acc["rep_id"].astype("string")
    grouped = acc.groupby(owner, dropna=True)
    ids = reps["rep_id"].astype(str)
    pot = grouped[settings.potential_column].sum().reindex(ids).fillna(0.0).to_numpy(float)
    count = grouped.size().reindex(ids).fillna(0).to_numpy(int)
    work = (
        grouped[settings.workload_column].sum().reindex(ids).fillna(0.0).to_numpy(float)
        if need_workload
        else np.zeros(len(reps))
    )
    missing = [r for r, p in zip(ids, pot, strict=True) if not p > 0]
    if missing:
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        shown = ", ".join(missing[:8]) + more
        raise DataError(
            f"method {settings.method!r}: {len(missing)} rep(s) on quota have no territory "
            f"(no accounts with {settings.potential_column} > 0 in accounts.csv, column "
            f"rep_id): {shown}. Assign them accounts, leave them out with rep_ids, or use "
            "method 'history' or 'equal'."
        )
    return pot, work, count


def _history_windows(settings, hist, end, plan_year):
    """The (since, until) of each history year, most recent first, checked for coverage."""
    one = pd.DateOffset(years=1)
    if settings.history == "prior_year":
        last = pd.Timestamp(year=plan_year - 1, month=12, day=31)
        if end < last:
            raise DataError(
                f"history 'prior_year' needs the bookings of calendar {plan_year - 1}; the "
                f"history ends on {end.date()}. Use history 'trailing_12m' or a later snapshot."
            )
        windows = [(pd.Timestamp(year=plan_year - 1, month=1, day=1), last)]
    elif settings.history == "multi_year":
        windows = [
            (end - one * (y + 1) + pd.Timedelta(days=1), end - one * y)
            for y in range(len(settings.history_weights))
        ]
    else:
        windows = [(end - one + pd.Timedelta(days=1), end)]
    n_months = 12 * len(windows)
    what = (
        f"history '{settings.history}' with {len(windows)} yearly weight(s)"
        if settings.history == "multi_year"
        else f"history '{settings.history}'"
    )
    _need_months(hist, windows[-1][0], end, n_months, what=what)
    return windows


def _history_basis(book, hist, end, reps, settings, ramp, season, plan_year):
    """Run rate per rep: ramp- and season-adjusted bookings per selling year."""
    windows = _history_windows(settings, hist, end, plan_year)
    weights = settings.history_weights if settings.history == "multi_year" else (1.0,)
    ids = reps["rep_id"].astype(str)
    n = len(reps)
    num = np.zeros(n)
    den = np.zeros(n)
    first_b = first_e = None
    for (since, until), w in zip(windows, weights, strict=True):
        months = pd.date_range(since.to_period("M").to_timestamp(), until, freq="MS")
        e_m = _exposure(reps, months, ramp, since=since, until=until)
        e = e_m.sum(axis=1)
        e_s = (e_m * season[months.month.values - 1][None, :]).sum(axis=1)
        part = hist[(hist["date"] >= since) & (hist["date"] <= until)]
        b = (
            part.groupby(part["rep_id"].astype(str))["amount"]
            .sum()
            .reindex(ids)
            .fillna(0.0)
            .to_numpy()
        )
        own = 12.0 * b / np.where(e_s > 0, e_s, 1.0)
        ok = (e >= settings.min_history_months) & (b > 0) & ~reps["planned"].to_numpy()
        num += w * np.where(ok, own, 0.0)
        den += w * ok
        if first_b is None:
            first_b, first_e = b, e
    usable = den > 0
    run_rate = np.where(usable, num / np.where(usable, den, 1.0), np.nan)
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    reason = np.where(first_e < settings.min_history_months, "short history", "no bookings")
    reason = np.where(reps["hire_date"].to_numpy() >= start, "hired during plan year", reason)
    reason = np.where(reps["planned"].to_numpy(), "planned hire", reason)
    source = np.array(["own history"] * n, dtype=object)
    region = reps["region"].to_numpy()
    for reg in np.unique(region):
        fill = (region == reg) & ~usable
        if not fill.any():
            continue
        pool, where = run_rate[(region == reg) & usable], "region"
        if pool.size == 0:
            pool, where = run_rate[usable], "company"
        if pool.size == 0:
            raise DataError(
                f"no rep has {settings.min_history_months:g} selling months and bookings in "
                f"the history window(s) ending {end.date()}; lower quota.min_history_months, "
                "provide more history, or use another method."
            )
        run_rate[fill] = np.median(pool)
        source[fill] = [f"{where} median ({why})" for why in reason[fill]]
    cols = {
        "run_rate": run_rate,
        "run_rate_source": source,
        "bookings_last_year": first_b,
        "selling_months_last_year": first_e,
    }
    return run_rate, source, cols


def _shares(b: np.ndarray, cap_year: np.ndarray) -> np.ndarray:
    """Each rep's share of the quota a basis alone would give (sums to 1)."""
    w = b * cap_year
    return w / w.sum()


def _join_sources(sources, parts) -> np.ndarray:
    names = list(parts)
    return np.array(
        [
            "; ".join(f"{n}: {s[i]}" for n, s in zip(names, sources, strict=True))
            for i in range(len(sources[0]))
        ],
        dtype=object,
    )


# --- allocation down the hierarchy -------------------------------------------------


def _allocate(weight: np.ndarray, region_m: np.ndarray, target: float, oa: OverAssignment):
    """Top-down: regions get ``T (1 + o_g)`` by weight, their reps ``Q_g (1 + o_r)``."""
    total = weight.sum()
    if not total > 0:
        raise DataError(
            "the quota basis times the reps' capacity is zero for every rep: nobody can "
            "carry quota in the plan year (check hire and term dates and the basis)."
        )
    values = np.zeros_like(weight)
    region_q = {}
    for g in sorted(set(region_m.ravel())):
        cells = region_m == g
        w_g = weight[cells].sum()
        q_g = target * (1.0 + oa.region) * w_g / total
        region_q[g] = q_g
        if w_g > 0:
            values[cells] = q_g * (1.0 + oa.rep) * weight[cells] / w_g
    return values, region_q


def _region_quotas_from_reps(values, region_m, target: float, oa: OverAssignment) -> dict:
    """Region quotas for rep numbers set bottom-up: ``T (1 + o_g)`` shared as the reps' sums."""
    total = values.sum()
    return {
        g: target * (1.0 + oa.region) * values[region_m == g].sum() / total
        for g in sorted(set(region_m.ravel()))
    }


def _levels(values, region_m, target, region_q: dict, oa: OverAssignment) -> pd.DataFrame:
    """The sums at each level, checked against the over-assignment set."""
    rows = []
    below = sum(region_q.values())
    rows.append(("company", "company", target, below, oa.region))
    for g, q in region_q.items():
        rows.append(("region", g, q, float(values[region_m == g].sum()), oa.rep))
    df = pd.DataFrame(rows, columns=["level", "name", "quota", "sum_below", "over_assignment_set"])
    realised = np.where(
        df["quota"] > 0, df["sum_below"] / df["quota"].where(df["quota"] > 0, 1.0) - 1.0, np.nan
    )
    # rounding noise of the sums is not an over-assignment
    df["over_assignment_realised"] = np.where(np.abs(realised) < 1e-12, 0.0, realised)
    df["matches_set"] = np.isclose(
        df["over_assignment_realised"], df["over_assignment_set"], rtol=0.0, atol=1e-9
    )
    return df


# --- bottom-up -------------------------------------------------------------------------


def _bottom_up(book, reps, settings):
    """Annual targets per rep from an account- or rep-level CSV."""
    path = Path(settings.targets or "")
    if not path.is_file():
        raise DataError(
            f"quota.targets: file {str(path)!r} not found (relative paths start at "
            f"{Path.cwd()}). Give a CSV with columns account_id,target or rep_id,target."
        )
    try:
        df = pd.read_csv(path, dtype={"account_id": str, "rep_id": str, "target": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc}).") from None
    key = "account_id" if "account_id" in df.columns else "rep_id"
    if key not in df.columns or "target" not in df.columns:
        raise DataError(
            f"{path}: needs columns account_id,target or rep_id,target; it has "
            f"{', '.join(map(str, df.columns)) or 'none'}."
        )
    target = pd.to_numeric(df["target"], errors="coerce")
    bad = df.index[target.isna() | (target < 0) | ~np.isfinite(target.fillna(0.0))]
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{path}, row {i + 2}, column target: {df['target'].iloc[i]!r} is not a "
            f"non-negative amount ({len(bad)} such row(s)). Give the annual target in money."
        )
    dup = df[key].duplicated(keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(
            f"{path}, row {i + 2}: {key} {df[key].iloc[i]!r} appears more than once; give one "
            "target per id."
        )
    ids = reps["rep_id"].astype(str)
    if key == "account_id":
        owner = book.accounts.set_index(book.accounts["account_id"].astype(str))["rep_id"]
        rep_of = owner.reindex(df["account_id"].astype(str))
        unknown = rep_of.index[rep_of.isna().to_numpy()]
        if len(unknown):
            i = int(np.flatnonzero(rep_of.isna().to_numpy())[0])
            raise DataError(
                f"{path}, row {i + 2}: account_id {unknown[0]!r} is not an account of the book "
                f"with a rep ({len(unknown)} such row(s)); fix the id or assign the account."
            )
        per_rep = target.groupby(rep_of.astype(str).to_numpy()).sum()
        src = "bottom-up (sum of account targets)"
    else:
        per_rep = pd.Series(target.to_numpy(), index=df["rep_id"].astype(str))
        src = "bottom-up (manager input)"
    outside = sorted(set(per_rep.index) - set(ids))
    if outside and key == "rep_id":
        raise DataError(
            f"{path}: rep(s) {', '.join(outside[:8])} carry no quota in the plan year (not "
            "employed then); remove their rows or add them as planned hires."
        )
    annual = per_rep.reindex(ids).to_numpy(float)
    missing = [r for r, a in zip(ids, annual, strict=True) if not np.isfinite(a)]
    if missing:
        raise DataError(
            f"{path}: {len(missing)} rep(s) on quota have no target: {', '.join(missing[:8])}"
            f"{' ...' if len(missing) > 8 else ''}. Add a row for each (0 is allowed)."
        )
    return annual, np.array([src] * len(ids), dtype=object), {"bottom_up_target": annual}


def _need_capacity(reps, annual, cap_year) -> None:
    bad = [r for r, a, c in zip(reps["rep_id"], annual, cap_year, strict=True) if a > 0 and c <= 0]
    if bad:
        raise DataError(
            f"rep(s) {', '.join(bad[:8])} have a target but no selling time in the plan year "
            "(not employed, or fully in ramp at 0%); set their target to 0 or fix their dates."
        )


# --- calibrated ------------------------------------------------------------------------


def _calibrated(book, reps, settings, plan_year, model, rng, capacity):
    """Annual quota per rep from the model's draws, split like its expected bookings."""
    from ._quota_calibrate import annual_draws, calibrate_annual
    from .productivity import fit_productivity

    if reps["planned"].any():
        raise SpecError(
            "method 'calibrated' needs a productivity model for every rep; planned hires "
            f"({', '.join(reps.loc[reps['planned'], 'rep_id'])}) have none yet. Remove them "
            "from quota.hires or use a top-down method."
        )
    if model is None:
        model = fit_productivity(book, plan_year=plan_year)
    pos = pd.Index(model.rep_ids).get_indexer(reps["rep_id"].astype(str))
    if np.any(pos < 0):
        bad = reps["rep_id"].to_numpy()[pos < 0]
        raise DataError(
            f"method 'calibrated': rep(s) {', '.join(map(str, bad[:8]))} are not in the "
            "productivity model; fit it for the same reps and plan year."
        )
    draws = annual_draws(model, settings.calibration_trials, rng=0 if rng is None else rng)
    draws = draws[:, pos]
    annual, info = calibrate_annual(
        draws,
        probability=settings.probability,
        share=settings.share_at_quota,
        rep_ids=list(reps["rep_id"].astype(str)),
    )
    expected = model.expected_bookings()[pos]
    profile = expected / np.where(expected.sum(axis=1) > 0, expected.sum(axis=1), 1.0)[:, None]
    values = annual[:, None] * profile
    what = (
        f"P(attain) = {settings.probability:.0%}"
        if settings.probability is not None
        else f"{settings.share_at_quota:.0%} of reps at quota"
    )
    source = np.array([f"calibrated ({what})"] * len(reps), dtype=object)
    info = dict(info)
    info["expected_bookings"] = expected.sum(axis=1)
    return values, annual, source, info


# --- overrides -------------------------------------------------------------------------


def _apply_overrides(values, reps, region_m, settings):
    """Set the overridden reps' annual quotas; the rest of the region absorbs the change."""
    cols = ["rep_id", "region", "quota_before", "quota_after", "change", "by", "reason"]
    if not settings.overrides:
        return values, pd.DataFrame(columns=cols)
    values = values.copy()
    index = {r: i for i, r in enumerate(reps["rep_id"])}
    fixed = np.zeros(values.shape, bool)
    before_region = {g: values[region_m == g].sum() for g in set(region_m.ravel())}
    rows = []
    for j, o in enumerate(settings.overrides):
        if o.rep_id not in index:
            raise SpecError(
                f"quota.overrides[{j}]: rep {o.rep_id!r} carries no quota in this plan year; "
                "check the rep_id"
            )
        i = index[o.rep_id]
        old = values[i].sum()
        if old <= 0:
            raise SpecError(
                f"quota.overrides[{j}]: rep {o.rep_id!r} has no quota to reshape (no selling "
                "time in the plan year); remove the override or fix the rep's dates"
            )
        values[i] *= o.quota / old
        fixed[i] = True
        rows.append((o.rep_id, reps["region"].iloc[i], old, o.quota, o.quota - old, o.by, o.reason))
    if settings.hold_region_total:
        for g, total in before_region.items():
            cells = region_m == g
            now_fixed = values[cells & fixed].sum()
            free = values[cells & ~fixed].sum()
            if np.isclose(now_fixed + free, total, rtol=1e-12, atol=0.0):
                continue
            if free <= 0 or now_fixed > total:
                who = sorted({reps["rep_id"].iloc[i] for i in np.nonzero(cells & fixed)[0]})
                raise SpecError(
                    f"quota.overrides ({', '.join(who)}): region {g} holds {total:,.0f} and the "
                    f"overrides take {now_fixed:,.0f}, leaving the other reps "
                    f"{total - now_fixed:,.0f} to share{' with nobody' if free <= 0 else ''}; "
                    "lower the overrides or set hold_region_total: false"
                )
            values[cells & ~fixed] *= (total - now_fixed) / free
    return values, pd.DataFrame(rows, columns=cols)
