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
   date the rate is multiplied by ``(1 - e_m) F_m``, ``F_m`` the share of the
   month's deals created after the date (:func:`.pipeline.cycle_share`, from the
   history's won cycles), so deals already in the pipeline are not counted twice.
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
from spm_sim.errors import ScenarioError
from spm_sim.productivity import (
    ProductivityModel,
    build_kernel,
    check_products,
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
from .pipeline import PipelineModel, fit_pipeline
from .result import Forecast
from .walk import cycle_share, simulate_pipeline

__all__ = ["forecast"]

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
    alpha = model.alpha + n
    beta = model.beta + exposure
    s2 = model.size_sigma**2
    prior_var = np.maximum(model.size_mu_sd**2, 1e-12)
    var = 1.0 / (1.0 / prior_var + n / s2)
    mu = var * (model.size_mu / prior_var + log_sum / s2)
    ramp = model.ramp * (1.0 - gone)[None, :] * np.broadcast_to(share, model.ramp.shape)
    updated = replace(
        model,
        alpha=alpha,
        beta=beta,
        size_mu=mu,
        size_mu_sd=np.sqrt(var),
        ramp=ramp,
        fit={**model.fit, "ytd_deals": n, "ytd_exposure": exposure},
    )
    info = {
        "ytd_deals": int(n.sum()),
        "ytd_exposure_months": float(exposure.sum()),
        "rate_before": float((model.alpha / model.beta).mean()),
        "rate_after": float((alpha / beta).mean()),
    }
    return updated, info


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


def _fallback_share(base, known_book, year, day, opps, rep_pos) -> np.ndarray:
    """New business's share of each rep-month without a pipeline history, (R, 12).

    The CRM's probabilities put ``E_pipe[r, m]`` in month ``m`` (that of the expected
    close date); the model (updated on the year to date) expects ``E[r, m]`` in all.
    New business is the rest, ``max(1 - E_pipe / E, 0)``: the pipeline is not
    counted twice, in expectation.
    """
    full, _ = _ytd_model(base, known_book, year, day, np.ones(12))
    expected = full.expected_bookings()
    first = first_month(day, year)
    ecd = pd.DatetimeIndex(opps["expected_close_date"])
    month = np.where(ecd.year < year, first, ecd.month.to_numpy() - 1)
    month = np.maximum(month, first)
    ok = (rep_pos >= 0) & (ecd.year <= year)
    weight = opps["probability"].to_numpy(float) * opps["amount"].to_numpy(float)
    pipe = np.zeros_like(expected)
    np.add.at(pipe, (rep_pos[ok], month[ok]), weight[ok])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(expected > 0, 1.0 - pipe / np.where(expected > 0, expected, 1.0), 1.0)
    return np.clip(share, 0.0, 1.0)


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


def _pipeline_measures(
    plan: Plan, won_at: np.ndarray, rep: np.ndarray, amount: np.ndarray, product, new_logo, shape
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Bookings and the plan's counted measures of the won opportunities, (T, R, 12)."""
    n_t = won_at.shape[0]
    n_r, n_p = shape
    hit = (won_at >= 0) & (rep[None, :] >= 0)
    t_idx, j_idx = np.nonzero(hit)
    flat = (t_idx * n_r + rep[j_idx]) * n_p + won_at[t_idx, j_idx]
    size = n_t * n_r * n_p
    bookings = np.bincount(flat, weights=amount[j_idx], minlength=size).reshape(n_t, n_r, n_p)
    out: dict[str, np.ndarray] = {}
    for m in plan.measures:
        if m.kind == "score":
            continue
        keep = np.ones(j_idx.size, dtype=bool)
        if m.product is not None:
            keep &= product[j_idx] == m.product
        if m.kind == "new_logos":
            keep &= new_logo[j_idx]
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
        The year's quotas; default ``quotas_from_history`` on the book as of the date
        with no growth, as the payroll (:func:`spm_sim.actuals.actual_payouts`) sets them.
    trials : int, default 2000
    rng : int, SeedSequence or Generator, optional
        The run's root (default 0). Trial ``t`` draws its new business on stream
        ``(t,)`` and its pipeline on ``(t, 3)``: the same seed gives the same numbers
        for any ``chunk_size``.
    scenario : Scenario, optional
        Its ``behaviour`` (effort and deal timing in response to the plan) and
        ``programmes.contest`` apply from the as-of month; its ``engine``
        (``"summed"`` for large teams) draws the new business.
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
    notes: list[str] = []

    opps = _open_pipeline(known_book)
    pmodel = fit_pipeline(known_book.pipeline, known_book.stage_history, day)
    cycles = pmodel.cycle_days if pmodel is not None else np.empty(0)
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
    if not len(opps):
        share: np.ndarray = np.ones(12)
        notes.append(
            f"The book has no open opportunity at {day:%Y-%m-%d}: every future deal is drawn "
            "as new business."
        )
    elif pmodel is None:
        share = _fallback_share(base, known_book, year, day, opps, rep_pos)
    else:
        share = cycle_share(cycles, day, year, weights=pmodel.cycle_amounts)
    model, ytd_info = _ytd_model(base, known_book, year, day, share)
    mix = None
    if plan.measures:
        mix = fit_deal_mix(known_book, rep_ids, plan_year=year)
        check_products(plan, mix)
    engine = scenario.engine if scenario is not None else "deals"
    kernel = None
    if scenario is not None:
        # the loop projects the rest of the year with the whole model (new business
        # and the pipeline's wins together, in expectation)
        whole, _ = _ytd_model(base, known_book, year, day, np.ones(12))
        kernel = _behaviour_kernel(scenario, plan, known, base, whole)

    amount = opps["amount"].to_numpy(float) if len(opps) else np.empty(0)
    product = (
        opps["product"].astype(str).to_numpy(dtype=object) if len(opps) else np.empty(0, object)
    )
    new_logo = _new_logo(known_book, opps) if len(opps) else np.empty(0, bool)

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
    score_months = _score_keep(plan, day, year)
    try:
        for a in range(0, n_trials, chunk_size):
            b = min(a + chunk_size, n_trials)
            new, new_measures = _new_business(model, plan, mix, root, a, b, engine)
            won_at = simulate_pipeline(
                pmodel, opps, day, year, [pipeline_rng(root, t) for t in range(a, b)]
            )
            pipe, pipe_measures = _pipeline_measures(
                plan, won_at, rep_pos, amount, product, new_logo, shape
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
                    start=first_month(day, year),
                    known=known.bookings,
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
    if pmodel is not None:
        notes.append(_pipeline_note(pmodel))
    if kernel is not None and scenario is not None and scenario.behaviour is not None:
        notes.append(f"Behaviour from {day:%Y-%m-%d}: {scenario.behaviour.describe()}")
    info = {
        "seconds": time.perf_counter() - started,
        "new_business_share": share,
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


def _score_keep(plan: Plan, day: pd.Timestamp, year: int) -> np.ndarray:
    """Months whose scores are known (before the first month left)."""
    keep = np.zeros(12, dtype=bool)
    keep[: first_month(day, year)] = True
    return keep


def _new_business(
    model: ProductivityModel,
    plan: Plan,
    mix,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    engine: str,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """New business of trials ``start..stop-1`` on their sales streams, (T, R, 12)."""
    shape = (model.n_reps, model.n_periods)
    n = stop - start
    out = np.empty((n, *shape))
    measures = {m.name: np.zeros((n, *shape)) for m in plan.measures}
    for k, trial in enumerate(range(start, stop)):
        rng = trial_rng(root, trial)
        if engine == "summed":
            out[k] = draw_summed(model, rng)
            continue
        counts, cell, sizes = draw_deals(model, rng)
        out[k] = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(shape)
        if plan.measures:
            for name, value in draw_measures(plan, mix, cell, sizes, shape, rng).items():
                measures[name][k] = value
    return out, measures


def _behaviour_kernel(scenario, plan, known, base, whole):
    """The month loop's inputs for a scenario with behaviour (or a contest), else None.

    ``whole`` is the model updated on the year to date, selling the rest of the year
    (new business and the pipeline's wins together): the loop's projection of each
    rep's year, from which effort and deal timing respond to the plan.
    """
    s = scenario
    if s.workforce is not None:
        raise ScenarioError(
            f"scenario {s.name!r}: the in-year forecast does not apply a workforce block "
            "yet (attrition from the as-of date); remove 'workforce' from the scenario."
        )
    contest = s.programmes.contest if s.programmes is not None else None
    if s.behaviour is None and contest is None:
        return None
    from spm_sim.simulate import reference_effort

    scale = 1.0
    if s.behaviour is not None and s.behaviour.reference_plan is not None:
        # the reference plan's effort scale, on the plan-time model and the year's quotas
        scale = reference_effort(s, base, known.quotas, known.target_incentive, rng=s.seed)
    return build_kernel(
        whole,
        plan,
        known.quotas,
        known.target_incentive,
        behaviour=s.behaviour,
        programmes=s.programmes,
        effort_scale=scale,
    )


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
