"""The forecast of the rest of a year, conditioned on what is known at a date.

Three parts, each drawn per trial on streams of its own (see :func:`forecast`):

1. **Known to date.** The book as of the date (:func:`spm_sim.book.as_of`); the year's
   deals credited and paid by the payroll (:func:`spm_sim.actuals.actual_payouts`),
   so the months to date are the same numbers as the payroll, in every trial.
2. **The open pipeline.** Each opportunity open at the date is walked month by month
   to 31 December through the transition model of :mod:`.pipeline`, calibrated on
   the book's own history known at the date; a won opportunity books its amount to
   its rep in the month it is won.
3. **New business** (deals not yet in the pipeline): the productivity model fitted on
   the history before the year (:func:`spm_sim.productivity.fit_productivity`),
   its deal-rate posterior updated with the year to date,

   .. math::

       \\lambda_r \\mid \\text{ytd} \\sim \\mathrm{Gamma}(\\alpha_r + n_r,\\;
       \\beta_r + \\textstyle\\sum_m f_{rm} e_m),

   where ``n_r`` are the rep's deals of the year so far, ``f_rm`` the model's month
   factor (seasonality x trend x ramp, employment share included) and ``e_m`` the
   share of month ``m`` elapsed (the as-of month pro rata), and the mean log deal
   size updated normal-normal with the year's deal sizes. In a month ``m`` after the
   date the rate is multiplied by ``(1 - e_m) S_m``, ``S_m = s_0 + (1 - s_0) F_m``
   the share of the month's deals still to come that are created after the date:
   ``F_m`` from the history's won cycles over the month's days left
   (:func:`.walk.cycle_share`), ``s_0`` the share of bookings that came through no
   opportunity (:func:`_direct_share`), so deals already in the pipeline are not
   counted twice. The pipeline's win rates move with the trial's company factor of
   new business (one company shock, ``SHARED_SHOCK``).
   The company's level, trend and shock are drawn as :func:`spm_sim.simulate.simulate`
   draws them.

The plan's measures of drawn deals come from the deal mix
(:func:`spm_sim.productivity.draw_measures`); a pipeline deal's product is its own.
With a scenario's behaviour, the month loop (:func:`spm_sim.productivity.run_kernel_by_month`)
runs from the as-of month on the drawn deals, starting from the year's actual
cumulative bookings.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.book import Book, as_of
from spm_sim.comp import Payout, Plan, load_plan, payout
from spm_sim.productivity import (
    ProductivityModel,
    build_kernel,
    check_products,
    choose_engine,
    draw_deals,
    draw_measures,
    draw_summed,
    fit_deal_mix,
    fit_productivity,
    run_kernel_by_month,
    to_month_major,
    to_trial_major,
)
from spm_sim.quota import Quotas
from spm_sim.random import RngLike, pipeline_rng, seed_sequence, trial_rng
from spm_sim.scenario import Scenario

from .known import as_of_day, elapsed, first_month, known_to_date, tracked_year
from .pipeline import PipelineModel, _stage_codes, _status, fit_pipeline
from .result import Forecast
from .seats import seat_clocks, seat_draws, seats_at
from .walk import cycle_share, simulate_pipeline

__all__ = ["forecast"]

#: Whether the pipeline's win rates move with the new business's company factor of the
#: same trial (its level, trend and month shock): one company shock for the whole year.
SHARED_SHOCK = True


def _ytd_model(
    model: ProductivityModel, known_book: Book, year: int, day: pd.Timestamp, share: np.ndarray
) -> tuple[ProductivityModel, dict[str, Any]]:
    """The model's posterior updated with the year to date, selling only new business.

    ``share`` (12,) is the part of each month's deals created after the date
    (:func:`.pipeline.cycle_share`).
    """
    gone = elapsed(day, year)
    deals = known_book.bookings
    deals = deals[(deals["date"].dt.year == year) & (deals["date"] <= day)]
    rep_index = pd.Index(model.rep_ids)
    pos = rep_index.get_indexer(deals["rep_id"].astype(str))
    on = pos >= 0
    n = np.bincount(pos[on], minlength=model.n_reps).astype(float)
    log_amount = np.log(np.maximum(deals["amount"].to_numpy(float)[on], 1e-9))
    log_sum = np.bincount(pos[on], weights=log_amount, minlength=model.n_reps)
    exposure = (model.month_factor * gone[None, :]).sum(axis=1)
    company = _company_level(model, float(n.sum()), exposure, gone)
    alpha = model.alpha + n
    # each rep's evidence is read against the company's level of the year so far: the
    # company-wide shortfall (or surplus) is the company factor's, the rest the rep's
    beta = model.beta + company["ytd_factor"] * exposure
    s2 = model.size_sigma**2
    prior_var = np.maximum(model.size_mu_sd**2, 1e-12)
    var = 1.0 / (1.0 / prior_var + n / s2)
    mu = var * (model.size_mu / prior_var + log_sum / s2)
    ramp = model.ramp * (1.0 - gone)[None, :] * np.broadcast_to(share, model.ramp.shape)
    level: dict[str, Any] = {}
    if company["updated"]:
        # the rest of the year's company factor: lognormal with the posterior's mean and
        # variance (drawn by trial_parameters as the level deviation, mean-1 corrected)
        ramp = ramp * np.exp(company["log_mean"] + 0.5 * company["log_var"])
        level = {"level_se": float(np.sqrt(company["log_var"])), "trend_se": 0.0}
    updated = replace(
        model,
        alpha=alpha,
        beta=beta,
        size_mu=mu,
        size_mu_sd=np.sqrt(var),
        ramp=ramp,
        fit={**model.fit, "ytd_deals": n, "ytd_exposure": exposure, "company": company},
        **level,
    )
    info = {
        "ytd_deals": int(n.sum()),
        "ytd_exposure_months": float(exposure.sum()),
        "rate_before": float((model.alpha / model.beta).mean()),
        "rate_after": float((alpha / beta).mean()),
        "company_factor": float(np.exp(company["log_mean"] + 0.5 * company["log_var"])),
        "company_factor_sd": float(np.sqrt(company["log_var"])),
        "company_ytd_ratio": company["ratio"],
    }
    return updated, info


def _company_level(
    model: ProductivityModel, deals: float, exposure: np.ndarray, gone: np.ndarray
) -> dict[str, Any]:
    """The company's level of the year, updated on its year-to-date deal count.

    The model draws the company factor of month ``m`` as
    ``exp(d + s o_m - x_m' S x_m / 2)`` (``x_m = (1, o_m)``, ``o_m`` the month's offset
    from the history's centre in years, ``(d, s) ~ N(0, S)``, ``S = diag(level_se^2,
    trend_se^2)``): the level and trend are uncertain. The year to date tells how they
    came out: with ``N`` deals where the reps' rates expect ``E``,

    .. math::

        y = \\log\\frac{N + 1/2}{E + 1/2} + \\frac{x_y' S x_y}{2} = x_y' \\theta + e,
        \\quad e \\sim N(0,\\; 1/(N + 1/2) + V_r + \\bar v_z),

    ``x_y`` the exposure-weighted offset of the months to date, ``V_r`` the variance
    of the expected count from the reps' rate posteriors and ``\bar v_z`` that of the
    mean of the company's month shock (AR(1)) over them. The normal posterior of
    ``theta`` gives the log factor of the rest of the year (``x_f``, the remaining
    months' weighted offset): mean ``x_f' theta_hat - x_f' S x_f / 2``, variance
    ``x_f' S' x_f``. So when the whole company runs below its history, every rep's
    rest of the year moves with it, with the model's own uncertainty on the level as
    the prior (no tuning). Nothing known (``E = 0``) leaves the model as it is.
    """
    out: dict[str, Any] = {
        "updated": False,
        "log_mean": 0.0,
        "log_var": 0.0,
        "ytd_factor": 1.0,
        "ratio": float("nan"),
    }
    rate = model.alpha / model.beta
    expected = float((rate * exposure).sum())
    prior = np.array([model.level_se**2, model.trend_se**2])
    if expected <= 0 or not prior.any() or not model.parameter_uncertainty:
        return out
    off = np.zeros(model.n_periods) if model.trend_offset is None else model.trend_offset
    weight = (model.month_factor.sum(axis=0) * gone)[: off.size]
    left = (model.month_factor.sum(axis=0) * (1.0 - gone))[: off.size]
    x_y = np.array([1.0, float((weight * off).sum() / max(weight.sum(), 1e-300))])
    x_f = np.array([1.0, float((left * off).sum() / max(left.sum(), 1e-300))])
    cov = np.diag(prior)
    y = np.log((deals + 0.5) / (expected + 0.5)) + 0.5 * float(x_y @ cov @ x_y)
    # the mean of a stationary AR(1) over the months to date (months weighted by exposure)
    w = weight / max(weight.sum(), 1e-300)
    lag = np.abs(np.subtract.outer(np.arange(w.size), np.arange(w.size)))
    shock_var = model.shock_sd**2 * float(w @ (model.shock_rho**lag) @ w)
    rep_var = float((model.alpha / model.beta**2 * exposure**2).sum()) / expected**2
    noise = 1.0 / (deals + 0.5) + rep_var + shock_var
    # the normal update in covariance form (a zero prior variance stays fixed at 0)
    gain = cov @ x_y / (float(x_y @ cov @ x_y) + noise)
    theta = gain * y
    post = cov - np.outer(gain, x_y @ cov)
    mean_f = float(x_f @ theta) - 0.5 * float(x_f @ cov @ x_f)
    var_f = max(float(x_f @ post @ x_f), 0.0)
    mean_y = float(x_y @ theta) - 0.5 * float(x_y @ cov @ x_y)
    var_y = max(float(x_y @ post @ x_y), 0.0)
    out.update(
        updated=True,
        log_mean=mean_f,
        log_var=var_f,
        ytd_factor=float(np.exp(mean_y + 0.5 * var_y)),
        ratio=float(deals / expected),
    )
    return out


def _rep_positions(known_book: Book, opps: pd.DataFrame, rep_ids, day) -> np.ndarray:
    """Each opportunity's rep on the forecast's rep axis, -1 when its wins are not
    credited (a rep not on quota, or who left by the date)."""
    if not len(opps):
        return np.empty(0, dtype=np.int64)
    pos = pd.Index(rep_ids).get_indexer(opps["rep_id"].astype(str))
    reps = known_book.reps.set_index(known_book.reps["rep_id"].astype(str))
    term = reps["term_date"].reindex(opps["rep_id"].astype(str)).to_numpy()
    gone = ~pd.isna(term) & (term <= np.datetime64(day))
    return np.where(gone, -1, pos).astype(np.int64)


def _fallback_share(expected, year, day, opps, rep_pos) -> np.ndarray:
    """New business's share of each rep's rest of the year without a pipeline history, (R, 12).

    ``expected`` (R, 12) is what the model (updated on the year to date) expects each
    rep to book in the rest of the year, deals in the pipeline or not. The CRM's
    probabilities put ``P_r`` of it in the pipeline's wins in the year; new business is
    the rest of the rep's year, ``max(1 - P_r / E_r, 0)`` of the model's rate in every
    month left: in expectation the rep's year is ``max(E_r, P_r)``, the pipeline is not
    counted twice, and a pipeline due in another month than the model expects does not
    add to the year (opportunities expected after the year do not count in ``P_r``).
    """
    whole = expected.sum(axis=1)
    first = first_month(day, year)
    ecd = pd.DatetimeIndex(opps["expected_close_date"])
    ok = (rep_pos >= 0) & (ecd.year <= year) & (first < 12)
    weight = opps["probability"].to_numpy(float) * opps["amount"].to_numpy(float)
    pipe = np.bincount(rep_pos[ok], weights=weight[ok], minlength=whole.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(whole > 0, 1.0 - pipe / np.where(whole > 0, whole, 1.0), 1.0)
    return np.broadcast_to(np.clip(share, 0.0, 1.0)[:, None], expected.shape).copy()


def _direct_share(known_book: Book, day: pd.Timestamp, since: pd.Timestamp | None) -> float:
    """The share of bookings (by amount) that went through no opportunity.

    Over the bookings dated from ``since`` (the day the book's opportunity history is
    complete from) to ``day``, at most 24 months: those linked to no won opportunity
    by ``pipeline.deal_id`` (renewals, self-serve orders) are always new business.
    Without a ``deal_id`` column the won opportunities' amount stands in for the
    linked bookings. 0 when nothing can be told.
    """
    if since is None:
        return 0.0
    start = max(pd.Timestamp(since), day - pd.DateOffset(months=24))
    deals = known_book.bookings
    deals = deals[(deals["date"] >= start) & (deals["date"] <= day)]
    total = float(deals["amount"].sum())
    if total <= 0:
        return 0.0
    pipe = known_book.pipeline
    status = _status(pipe)
    closed = pd.to_datetime(pipe["closed_date"]) if "closed_date" in pipe.columns else None
    if closed is None:
        return 0.0
    won = (status == "won") & (closed <= day).to_numpy()
    if "deal_id" in pipe.columns and pipe["deal_id"].notna().any():
        linked = set(pipe.loc[won, "deal_id"].dropna().astype(str))
        direct = ~deals["deal_id"].astype(str).isin(linked)
        return float(deals.loc[direct, "amount"].sum()) / total
    won &= (closed >= start).to_numpy()
    return float(np.clip(1.0 - float(pipe.loc[won, "amount"].sum()) / total, 0.0, 1.0))


def _history_start(known_book: Book, pmodel: PipelineModel | None) -> pd.Timestamp | None:
    """The first day the book's opportunity history is complete from (None: no history)."""
    since = getattr(known_book, "opportunities_from", None)
    if since is not None and not pd.isna(since):
        return pd.Timestamp(since)
    if pmodel is None:
        return None
    return pmodel.history_from


def _open_pipeline(known_book: Book) -> pd.DataFrame:
    pipe = getattr(known_book, "open_pipeline", None)
    if pipe is None:
        pipe = known_book.pipeline
        if "status" in pipe.columns:
            pipe = pipe[pipe["status"].fillna("open").astype(str).isin(["open", ""])]
    return pipe.reset_index(drop=True)


def _new_logo(known_book: Book, opps: pd.DataFrame) -> np.ndarray:
    """Whether each opportunity's account has no deal known at the date (a new logo)."""
    seen = set(known_book.bookings["account_id"].astype(str))
    return ~opps["account_id"].astype(str).isin(seen).to_numpy()


def _first_logo(won_at: np.ndarray, account: np.ndarray, new_logo: np.ndarray) -> np.ndarray:
    """Which wins (trials, opportunities) are a new account's first win in their trial.

    An account without a deal at the date becomes a new logo once: with two of its
    opportunities won in a trial, the earlier (the first in the table on the same
    month) counts, the other is a second deal of the account.
    """
    out = np.zeros(won_at.shape, dtype=bool)
    t_idx, j_idx = np.nonzero((won_at >= 0) & new_logo[None, :])
    if not t_idx.size:
        return out
    key = t_idx.astype(np.int64) * (int(account.max()) + 1) + account[j_idx]
    order = np.lexsort((j_idx, won_at[t_idx, j_idx], key))
    ks = key[order]
    first = np.r_[True, ks[1:] != ks[:-1]]
    keep = order[first]
    out[t_idx[keep], j_idx[keep]] = True
    return out


def _pipeline_measures(
    plan: Plan,
    won_at: np.ndarray,
    rep: np.ndarray,
    amount: np.ndarray,
    product,
    new_logo,
    shape,
    account: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Bookings and the plan's counted measures of the won opportunities, (T, R, 12).

    ``account`` (codes, one per opportunity) makes a new account a new logo once per
    trial (its first win); without it every win on a new account counts.
    """
    n_t = won_at.shape[0]
    n_r, n_p = shape
    hit = (won_at >= 0) & (rep[None, :] >= 0)
    t_idx, j_idx = np.nonzero(hit)
    flat = (t_idx * n_r + rep[j_idx]) * n_p + won_at[t_idx, j_idx]
    size = n_t * n_r * n_p
    bookings = np.bincount(flat, weights=amount[j_idx], minlength=size).reshape(n_t, n_r, n_p)
    out: dict[str, np.ndarray] = {}
    logo: np.ndarray | None = None
    for m in plan.measures:
        if m.kind == "score":
            continue
        keep = np.ones(j_idx.size, dtype=bool)
        if m.product is not None:
            keep &= product[j_idx] == m.product
        if m.kind == "new_logos":
            if logo is None:
                logo = (
                    _first_logo(won_at, account, new_logo)
                    if account is not None
                    else (won_at >= 0) & new_logo[None, :]
                )
            keep &= logo[t_idx, j_idx]
        w = amount[j_idx][keep] if m.kind == "bookings" else None
        out[m.name] = np.bincount(flat[keep], weights=w, minlength=size).reshape(n_t, n_r, n_p)
    return bookings, out


def _follow(value: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """A measure scaled with its rep-month's bookings (deals moved or scaled by the loop)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(before > 0, value * (after / before), 0.0)
        gap = (before == 0) & (after > 0)
        if gap.any():
            year = before.sum(axis=-1, keepdims=True)
            per_dollar = np.where(year > 0, value.sum(axis=-1, keepdims=True) / year, 0.0)
            out = np.where(gap, after * per_dollar, out)
    return out


def _check_trials(trials: Any) -> int:
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1, got {trials!r}.")
    return int(trials)


def forecast(
    book: Book,
    plan: Plan | str,
    as_of_date: Any,
    *,
    year: int | None = None,
    quotas: Quotas | None = None,
    trials: int = 2000,
    rng: RngLike = None,
    scenario: Scenario | None = None,
    scores: pd.DataFrame | None = None,
    chunk_size: int = 250,
    progress: bool = False,
) -> Forecast:
    """Forecast the rest of a year from what is known at the end of ``as_of_date``.

    Parameters
    ----------
    book : Book
        The book, usually as of its snapshot (it is cut back to ``as_of_date`` here,
        with :func:`spm_sim.book.as_of`, so nothing after the date is read).
    plan : Plan or path to a plan YAML
    as_of_date : str, date or Timestamp
        The last day known (inclusive), in ``year`` or 31 December before it.
    year : int, optional
        The year tracked; default the as-of date's year.
    quotas : Quotas, optional
        The year's quotas; default :func:`tracking_quotas`: the payroll's rule
        (``quotas_from_history``, no growth) applied once, as of 31 December before the
        year, for the reps on the book then, with reps hired later added on top, so the
        quotas of months already paid do not move between runs.
    trials : int, default 2000
    rng : int, SeedSequence or Generator, optional
        The run's root (default 0). Trial ``t`` draws its new business on stream
        ``(t,)`` and its pipeline on ``(t, 3)``: the same seed gives the same numbers
        for any ``chunk_size``.
    scenario : Scenario, optional
        Its ``behaviour`` (effort and deal timing in response to the plan),
        ``programmes.contest`` and ``workforce`` (attrition, vacancies, backfill and
        ramp, the seats' clocks on stream ``(t, 1)``) apply from the as-of month; its
        ``engine`` (``"summed"`` for large teams) draws the new business. With a
        workforce, each seat held at the date can fall vacant at the block's hazard
        counted from the date, and a seat left vacant before it by a rep with no
        successor in the book is backfilled by the block's rule from the leaving
        month (its vacancy's and new hire's bookings count in the leaver's row, paid
        at that row's quota and target incentive, prorated to the leaver's months).
    scores : DataFrame, optional
        MBO scores, as :func:`spm_sim.actuals.actual_payouts` takes them.
    chunk_size : int, default 250
        Trials drawn and paid together (memory only).
    progress : bool, default False
        Show a tqdm bar over the trials.

    Returns
    -------
    Forecast

    Raises
    ------
    DataError
        If the as-of date is not a date, lies outside the book or the year, the plan is
        for a role with no rep on quota, or the history cannot fit the model.

    Examples
    --------
    >>> from spm_sim.book import load_sample
    >>> from spm_sim.comp import standard_plan
    >>> f = forecast(load_sample(), standard_plan(), "2025-06-30", trials=50, rng=0)
    >>> f.bookings.shape  # the reps on quota known on 30 June
    (50, 80, 12)
    >>> bool((f.bookings[:, :, :6] == f.actual[None, :, :6]).all())
    True
    """
    started = time.perf_counter()
    plan = load_plan(plan)
    n_trials = _check_trials(trials)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}.")
    day = as_of_day(as_of_date)
    year = tracked_year(day, year)
    known_book = as_of(book, day)
    known = known_to_date(known_book, plan, year, quotas, scores)
    rep_ids = known.rep_ids
    notes: list[str] = list(known.notes)

    opps = _open_pipeline(known_book)
    since = getattr(known_book, "opportunities_from", None)
    pmodel = fit_pipeline(
        known_book.pipeline, known_book.stage_history, day, opportunities_from=since
    )
    cycles = pmodel.cycle_days if pmodel is not None else np.empty(0)
    if pmodel is not None and since is not None and not pd.isna(since):
        notes.append(
            f"The book's opportunity history is complete from {pd.Timestamp(since):%Y-%m-%d} "
            "(book.yaml opportunities_from): opportunities created before it are left out of "
            "the pipeline model, whose transitions are counted from that day on."
        )
    if pmodel is None:
        if len(opps):
            notes.append(
                f"The book has no opportunity won or lost in the {24} months before "
                f"{day:%Y-%m-%d}: the open pipeline closes with the CRM's own probability in "
                "the month of its expected close date."
            )
    elif pmodel.source == "pipeline":
        notes.append(
            "The book has no stage history: the pipeline model tells opportunities apart by "
            "age and overdue close date only (every stage pooled)."
        )
    base = fit_productivity(known_book, plan_year=year, rep_ids=list(rep_ids))
    rep_pos = _rep_positions(known_book, opps, rep_ids, day)
    # the model's whole rest of the year (new business and the pipeline's wins together)
    whole, _ = _ytd_model(base, known_book, year, day, np.ones(12))
    direct = 0.0
    if not len(opps):
        share: np.ndarray = np.ones(12)
        notes.append(
            f"The book has no open opportunity at {day:%Y-%m-%d}: every future deal is drawn "
            "as new business."
        )
    elif pmodel is None:
        share = _fallback_share(whole.expected_bookings(), year, day, opps, rep_pos)
    else:
        direct = _direct_share(known_book, day, _history_start(known_book, pmodel))
        share = cycle_share(cycles, day, year, weights=pmodel.cycle_amounts, direct=direct)
        notes.append(
            f"{direct:.1%} of the bookings (by amount) since the opportunity history began "
            "came through no opportunity (no won opportunity's deal_id): that share of "
            "future deals is always new business, the rest is new business when created "
            "after the as-of date (the won cycles)."
        )
    model, ytd_info = _ytd_model(base, known_book, year, day, share)
    mix = None
    if plan.measures:
        mix = fit_deal_mix(known_book, rep_ids, plan_year=year)
        check_products(plan, mix)
    engine: str = scenario.engine if scenario is not None else "deals"
    if engine == "auto":  # as simulate resolves it, on the year's reps
        engine = choose_engine(model, measures=bool(plan.measures))[0]
    kernel, seats = None, None
    if scenario is not None:
        # the loop projects the rest of the year with the whole model (new business
        # and the pipeline's wins together, in expectation)
        seats = seats_at(scenario, known_book, base, day, year)
        if seats is not None:
            model = seat_draws(model, base, seats)
            whole = seat_draws(whole, base, seats)
            notes.append(seats.note)
        kernel = _behaviour_kernel(scenario, plan, known, base, whole, seats)

    amount = opps["amount"].to_numpy(float) if len(opps) else np.empty(0)
    if pmodel is not None and len(opps) and pmodel.stages != ("any",):
        # the amount it is won at: CRM amounts of early stages are optimistic
        stage_pos = _stage_codes(opps["stage"].astype(str).to_numpy(dtype=object), pmodel.stages)
        amount = pmodel.won_amount(amount, stage_pos)
    product = (
        opps["product"].astype(str).to_numpy(dtype=object) if len(opps) else np.empty(0, object)
    )
    new_logo = _new_logo(known_book, opps) if len(opps) else np.empty(0, bool)
    account = (
        pd.factorize(opps["account_id"].astype(str))[0].astype(np.int64)
        if len(opps)
        else np.empty(0, np.int64)
    )

    root = seed_sequence(rng)
    shape = (len(rep_ids), 12)
    n_c = known.paid.shape[-1]
    bookings = np.empty((n_trials, *shape))
    from_pipeline = np.empty((n_trials, *shape))
    measures = {m.name: np.empty((n_trials, *shape)) for m in plan.measures}
    won_any = np.zeros(len(opps))
    won_month_sum = np.zeros(len(opps))
    by_component = np.empty((n_trials, *shape, n_c))
    draw_balance: list[np.ndarray] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc=f"forecast {year}", unit="trial", leave=False)
    score_months = np.arange(12) < first_month(day, year)  # months whose scores are known
    try:
        for a in range(0, n_trials, chunk_size):
            b = min(a + chunk_size, n_trials)
            new, new_measures, company = _new_business(model, plan, mix, root, a, b, engine)
            won_at = simulate_pipeline(
                pmodel,
                opps,
                day,
                year,
                [pipeline_rng(root, t) for t in range(a, b)],
                company=company if SHARED_SHOCK else None,
            )
            pipe, pipe_measures = _pipeline_measures(
                plan, won_at, rep_pos, amount, product, new_logo, shape, account
            )
            won = won_at >= 0
            won_any += won.sum(axis=0)
            won_month_sum += np.where(won, won_at + 1, 0).sum(axis=0)
            drawn = new + pipe
            drawn_measures = {}
            for m in plan.measures:
                if m.kind == "score":
                    drawn_measures[m.name] = new_measures[m.name]
                else:
                    drawn_measures[m.name] = new_measures[m.name] + pipe_measures[m.name]
            if kernel is not None:
                moved, _stats = run_kernel_by_month(
                    kernel,
                    to_month_major(drawn),
                    None if seats is None else seat_clocks(root, a, b, len(rep_ids)),
                    start=first_month(day, year),
                    known=known.bookings,
                    start_share=1.0 if seats is None else seats.start_share,
                    vacant=None if seats is None else seats.vacant,
                )
                moved = to_trial_major(moved) - known.bookings[None]
                for m in plan.measures:
                    if m.kind != "score":
                        drawn_measures[m.name] = _follow(drawn_measures[m.name], drawn, moved)
                scale = np.where(drawn > 0, moved / np.where(drawn > 0, drawn, 1.0), 1.0)
                pipe = pipe * scale
                drawn = moved
            total = known.bookings[None] + drawn
            bookings[a:b] = total
            from_pipeline[a:b] = pipe
            chunk_measures = {}
            for m in plan.measures:
                if m.kind == "score":
                    actual = known.measures.get(m.name)
                    value = drawn_measures[m.name]
                    if actual is not None:
                        value = np.where(score_months[None, None, :], actual[None], value)
                    chunk_measures[m.name] = value
                else:
                    chunk_measures[m.name] = known.measures[m.name][None] + drawn_measures[m.name]
                measures[m.name][a:b] = chunk_measures[m.name]
            with np.errstate(over="ignore", invalid="ignore"):
                paid = payout(
                    plan,
                    total,
                    known.quotas,
                    known.target_incentive,
                    measures=chunk_measures or None,
                    cancellations=known.cancellations or None,
                    active=known.active,
                )
            by_component[a:b] = paid.by_component
            if paid.draw_balance is not None:
                draw_balance.append(np.asarray(paid.draw_balance))
            if bar is not None:
                bar.update(b - a)
    finally:
        if bar is not None:
            bar.close()
    result_payout = Payout(
        by_component=by_component,
        components=paid.components,
        annual_bookings=bookings.sum(axis=-1),
        annual_quota=np.broadcast_to(known.quotas.sum(axis=1), (n_trials, len(rep_ids))).copy(),
        draw_balance=np.concatenate(draw_balance) if draw_balance else None,
    )
    frame = _pipeline_frame(opps, rep_pos, pmodel, day, won_any, won_month_sum, n_trials)
    if len(opps):
        frame["expected_amount"] = frame["p_win"] * amount
    if pmodel is not None:
        notes.append(_pipeline_note(pmodel))
    if kernel is not None and scenario is not None and scenario.behaviour is not None:
        notes.append(f"Behaviour from {day:%Y-%m-%d}: {scenario.behaviour.describe()}")
    info = {
        "seconds": time.perf_counter() - started,
        "new_business_share": share,
        "direct_share": direct,
        "expected_rest": whole.expected_bookings().sum(axis=1),
        "elapsed": elapsed(day, year),
        "model": model,
        "engine": engine,
        "open_opportunities": len(opps),
        "actual_measures": known.measures,
        **ytd_info,
    }
    region_of = book.reps.set_index("rep_id")["region"]
    return Forecast(
        plan=plan,
        year=year,
        as_of=day,
        book_name=str(book.name),
        currency=plan.currency,
        rep_ids=rep_ids,
        rep_names=known.rep_names,
        periods=tuple(f"{year}-{m:02d}" for m in range(1, 13)),
        quotas=known.quotas,
        target_incentive=known.target_incentive,
        actual=known.bookings,
        bookings=bookings,
        from_pipeline=from_pipeline,
        measures=measures,
        payout=result_payout,
        paid_to_date=known.paid,
        pipeline=frame,
        pipeline_model=pmodel,
        seed_entropy=int(root.entropy) if isinstance(root.entropy, int) else 0,
        notes=tuple(notes),
        info=info,
        regions=tuple(str(region_of.get(r, "")) for r in rep_ids),
    )


def _new_business(
    model: ProductivityModel,
    plan: Plan,
    mix,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    engine: str,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """New business of trials ``start..stop-1`` on their sales streams, (T, R, 12), its
    measures, and each trial's company factor by month (T, 12), mean 1."""
    shape = (model.n_reps, model.n_periods)
    n = stop - start
    out = np.empty((n, *shape))
    company = np.ones((n, 12))
    measures = {m.name: np.zeros((n, *shape)) for m in plan.measures}
    for k, trial in enumerate(range(start, stop)):
        rng = trial_rng(root, trial)
        if engine == "summed":
            out[k], company[k] = draw_summed(model, rng, with_common=True)
            continue
        counts, cell, sizes, company[k] = draw_deals(model, rng, with_common=True)
        out[k] = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(shape)
        if plan.measures:
            for name, value in draw_measures(plan, mix, cell, sizes, shape, rng).items():
                measures[name][k] = value
    return out, measures, company


def _behaviour_kernel(scenario, plan, known, base, whole, seats=None):
    """The month loop's inputs for a scenario with behaviour, a contest or a
    workforce (``seats``, from :func:`.seats.seats_at`), else None.

    ``whole`` is the model updated on the year to date, selling the rest of the year
    (new business and the pipeline's wins together): the loop's projection of each
    rep's year, from which effort and deal timing respond to the plan.
    """
    s = scenario
    contest = s.programmes.contest if s.programmes is not None else None
    if s.behaviour is None and contest is None and seats is None:
        return None
    from spm_sim.simulate import reference_effort

    scale = 1.0
    if s.behaviour is not None and s.behaviour.reference_plan is not None:
        # the reference plan's effort scale, on the plan-time model and the year's quotas
        scale = reference_effort(s, base, known.quotas, known.target_incentive, rng=s.seed)
    kernel = build_kernel(
        whole,
        plan,
        known.quotas,
        known.target_incentive,
        behaviour=s.behaviour,
        programmes=s.programmes,
        effort_scale=scale,
        workforce=None if seats is None else seats.workforce,
        roles=None if seats is None else seats.roles,
    )
    if seats is not None:
        # the seats divide a rep-month's draws by the rep's own ramp (employment share
        # and tenure), not by the part of the month still to come that ``whole`` has
        kernel = replace(kernel, incumbent_ramp=seats.ramp)
    return kernel


def _pipeline_note(m: PipelineModel) -> str:
    won = int(m.counts[:, 0].sum())
    lost = int(m.counts[:, 1].sum())
    stayed = int(m.counts[:, 2:].sum())
    slip = (
        f"; won deals closed a median {m.median_slip_days:+.0f} days from the close date "
        "expected at their last stage"
        if np.isfinite(m.median_slip_days)
        else ""
    )
    source = "stage history" if m.source == "stage_history" else "status and dates"
    return (
        f"Pipeline model calibrated on {m.month_ends} month ends before {m.as_of:%Y-%m-%d} "
        f"({source}): {won:,} wins, {lost:,} losses and {stayed:,} opportunity-months still "
        f"open, each state shrunk toward its stage with {10:g} pseudo-transitions{slip}."
    )


def _pipeline_frame(opps, rep_pos, pmodel, day, won_any, won_month_sum, n_trials) -> pd.DataFrame:
    cols = [
        c
        for c in (
            "opportunity_id",
            "rep_id",
            "account_id",
            "product",
            "stage",
            "amount",
            "probability",
            "created_date",
            "expected_close_date",
        )
        if c in opps.columns
    ]
    frame = opps[cols].copy().reset_index(drop=True)
    frame["on_quota"] = rep_pos >= 0 if len(opps) else np.empty(0, bool)
    frame["overdue"] = (frame["expected_close_date"] <= day).to_numpy() if len(opps) else []
    frame["p_win"] = won_any / n_trials if len(opps) else np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["expected_month"] = np.where(
            won_any > 0, won_month_sum / np.maximum(won_any, 1), np.nan
        )
    frame["expected_amount"] = frame["p_win"] * frame["amount"] if len(opps) else np.empty(0)
    return frame
