"""Drawing and paying a block of trials: the pure functions a worker runs."""

from __future__ import annotations

import numpy as np

from spm_sim.comp import Plan, payout
from spm_sim.productivity import (
    DealMix,
    Kernel,
    ProductivityModel,
    draw_trials,
    run_kernel_by_month,
    to_month_major,
    to_trial_major,
    workforce_clocks,
)
from spm_sim.random import workforce_rng


def _follow(value: np.ndarray, exogenous: np.ndarray, final: np.ndarray) -> np.ndarray:
    """A measure scaled with its rep-month's bookings (the same deals, moved or scaled).

    A month that drew no deal but received pulled ones gets the rep's measure per
    dollar of the trial's year, so pulled deals keep their products and new logos.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(exogenous > 0, value * (final / exogenous), 0.0)
        gap = (exogenous == 0) & (final > 0)
        if gap.any():
            year = exogenous.sum(axis=-1, keepdims=True)
            per_dollar = np.where(year > 0, value.sum(axis=-1, keepdims=True) / year, 0.0)
            out = np.where(gap, final * per_dollar, out)
    return out


def draw_block(
    model: ProductivityModel,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    engine: str = "deals",
    kernel: Kernel | None = None,
    plan: Plan | None = None,
    mix: DealMix | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Bookings of trials ``start..stop-1``: exogenous draws, then the month loop.

    Returns ``(bookings, measures, stats)``: bookings shaped (trials, reps, periods);
    the plan's measures (with ``engine="deals"`` and a plan that declares them);
    the month loop's trial-level figures (:data:`spm_sim._dynamics.STATS`) and
    ``stayed``, (trials, reps), True where the seat's rep stayed all year. Pure and
    deterministic in ``root`` and the trial indices, so it runs in any process.
    """
    loop = kernel if kernel is not None and kernel.on else None  # the month loop, if on
    wf = kernel is not None and kernel.workforce is not None
    measured = plan if plan is not None and plan.measures else None
    draws, measures, clocks = _draw_exogenous(
        model, root, start, stop, engine=engine, measured=measured, mix=mix, clocks=wf
    )
    if loop is None:
        return draws, measures, {}
    return _through_loop(loop, draws, measures, clocks, measured)


def _draw_exogenous(
    model: ProductivityModel,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    engine: str,
    measured: Plan | None,
    mix: DealMix | None,
    clocks: bool,
    persist: tuple[ProductivityModel, np.random.SeedSequence] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """The sales of trials ``start..stop-1`` before the month loop: the plan plays no
    part but for the measures it declares (``measured``, drawn after the bookings).

    Returns ``(bookings, measures, clocks)``, bookings and measures shaped (trials,
    reps, periods) (:func:`spm_sim.productivity.draw_trials`: blocks of trials, each
    from its own stream), the seats' clocks (trials, reps, 4) when ``clocks`` else None.
    ``engine`` is ``"deals"``, ``"summed"`` or ``"auto"``; ``persist``: a later plan
    year's reps keep their first year's rates and sizes (see ``draw_trials``).
    """
    draws, measures = draw_trials(
        model, root, start, stop, engine=engine, plan=measured, mix=mix, persist=persist
    )
    seat_clocks = None
    if clocks:
        # each trial's own stream: the same people leave whatever the plan and engine
        seat_clocks = np.stack(
            [workforce_clocks(workforce_rng(root, t), model.n_reps) for t in range(start, stop)]
        )
    return draws, measures, seat_clocks


def _through_loop(
    loop: Kernel,
    exogenous: np.ndarray,
    measures: dict[str, np.ndarray],
    clocks: np.ndarray | None,
    measured: Plan | None,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The month loop over exogenous bookings (trials, reps, periods), left unchanged;
    the plan's bookings-like measures follow their rep-month's bookings."""
    moved, stats = run_kernel_by_month(loop, to_month_major(exogenous), clocks)
    draws = to_trial_major(moved)
    if measured is not None:
        measures = {
            name: value
            if measured.measure(name).kind == "score"
            else _follow(value, exogenous, draws)
            for name, value in measures.items()
        }
    return draws, measures, stats


def _run_chunk(
    model: ProductivityModel,
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    mix: DealMix | None = None,
    kernel: Kernel | None = None,
    engine: str = "deals",
) -> dict[str, np.ndarray]:
    """Draw trials ``start..stop-1`` and pay them; pure, so it runs in any process.

    ``engine`` is the run's resolved engine (``Prepared.engine``).

    An overflow is not warned about here: :func:`simulate` refuses any result that is
    not finite, with a message naming the figure.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        draws, measures, stats = draw_block(
            model, root, start, stop, engine=engine, kernel=kernel, plan=plan, mix=mix
        )
    return _pay_block(plan, quotas, target_incentive, draws, measures, stats)


def _pay_block(
    plan: Plan,
    quotas: np.ndarray,
    target_incentive: np.ndarray,
    draws: np.ndarray,
    measures: dict[str, np.ndarray],
    stats: dict[str, np.ndarray],
    sums: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Pay a block of trials' bookings (trials, reps, periods) under ``plan``: the
    arrays a :class:`SimulationResult` is joined from.

    On the payout kernel's annual path (``payout(..., detail="annual")``): the year's
    totals per rep and column and the company's payments per month, equal to the
    last bit to the monthly path's, without writing each rep's monthly payments.
    ``sums``: the block's bookings per rep and year and per month, when already added
    up (stored sales, unchanged by a month loop).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        pay = payout(
            plan, draws, quotas, target_incentive, measures=measures or None, detail="annual"
        )
    bookings, company = sums if sums is not None else (draws.sum(axis=-1), draws.sum(axis=1))
    return {
        "bookings": bookings,
        "payout": pay.annual_by_component,
        "company_by_period": company,
        "payout_by_period": pay.company_by_period,
        **{f"dyn_{name}": value for name, value in stats.items()},
    }
