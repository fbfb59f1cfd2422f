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

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spm_sim.errors import DataError, SpecError
from spm_sim.parallel import ExecutorLike
from spm_sim.productivity import DEFAULT_RAMP, ENGINES, ProductivityModel, history_end
from spm_sim.random import RngLike

from .bases import (
    _allocate,
    _apply_overrides,
    _basis,
    _bottom_up,
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
from .calibrate import _calibrated_quotas
from .methods import BLENDABLE
from .result import Quotas
from .settings import MAX_COMPANY_TARGET, QuotaSettings, monthly_ramp

if TYPE_CHECKING:
    from spm_sim.book import Book
    from spm_sim.territory import Alignment

__all__ = ["Quotas", "set_quotas", "quotas_from_history", "rep_run_rates", "rep_potential"]

_SUM_TOL = 1e-6


def quotas_from_history(
    book: Book,
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
        settings = settings.replace(ramp=by_month)
    return set_quotas(book, plan_year=plan_year, settings=settings, rep_ids=rep_ids)


def set_quotas(
    book: Book,
    *,
    plan_year: int,
    settings: QuotaSettings | None = None,
    rep_ids: list[str] | tuple[str, ...] | None = None,
    model: ProductivityModel | None = None,
    rng: RngLike = None,
    alignment: Alignment | pd.DataFrame | None = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: str = "auto",
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
    progress : bool, default False
        ``calibrated`` only: show a progress bar over the calibration's simulated
        years (tqdm, on stderr or as a notebook widget).
    executor : None, "serial", "processes", "dask" or an executor, optional
        ``calibrated`` only: where the calibration's simulated years are drawn
        (:func:`~spm_sim.quota.annual_draws`; :mod:`spm_sim.parallel`). The quotas
        are the same bit for bit on every executor.
    workers : int, optional
        ``calibrated`` only: processes of a local pool or workers of a local Dask
        cluster (default one per CPU).
    scheduler : str, optional
        ``calibrated`` only: address of a running Dask scheduler.
    engine : {"auto", "deals", "summed"}, default "auto"
        ``calibrated`` only: the engine that draws the calibration's simulated years
        (:func:`~spm_sim.quota.annual_draws`). :func:`spm_sim.simulate.prepare`
        passes the run's resolved engine (``Prepared.engine``), so the quotas are
        calibrated on bookings drawn as the run draws them; ``auto`` resolves it on
        ``model``'s reps for a plan without measures.

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
    if engine not in ENGINES:
        raise SpecError(f"set_quotas: engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
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
    if company_target > MAX_COMPANY_TARGET:
        raise DataError(
            f"the company target, {company_target:,.0f} {book.currency} (last year's "
            f"bookings x (1 + growth {settings.growth:g})), is beyond {MAX_COMPANY_TARGET:g}, "
            "the most a company target may be; check the book's amounts and quota.growth."
        )
    season = _season(settings, book, hist, end, ramp)
    expo = _exposure(reps, plan_months, ramp)
    capacity = season[None, :] / 12.0 * expo
    cap_year = capacity.sum(axis=1)
    region_m = _region_months(
        reps, settings, plan_months, plan_year, set(book.reps["region"].astype(str))
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
        values, basis, source, info = _calibrated_quotas(
            book,
            reps,
            settings,
            plan_year,
            model,
            rng,
            progress,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            engine=engine,
        )
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


def rep_run_rates(
    book: Book, *, plan_year: int, settings: QuotaSettings, rep_ids: Iterable[str]
) -> pd.Series:
    """Each rep's run rate, the ``history`` basis, with ``settings``' ramp and seasonality
    whatever its method, and its history window (that of a ``history`` or ``blend``
    method; the trailing twelve months for the others): the yardstick "quota against
    history" uses.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> rr = rep_run_rates(load_sample(), plan_year=2026, settings=QuotaSettings(),
    ...                    rep_ids=["R001", "R002"])
    >>> list(rr.index), bool((rr > 0).all())
    (['R001', 'R002'], True)
    """
    # switching the method keeps the window (QuotaSettings.replace); the shares are
    # what matter here, not the company's number
    run_rate = settings.replace(
        method="history", target=1.0, over_assignment=0.0, overrides=(), hires=(), moves=()
    )
    q = set_quotas(
        book,
        plan_year=plan_year,
        settings=run_rate,
        rep_ids=list(rep_ids),
    )
    return q.basis.set_index("rep_id")["run_rate"].astype(float)
