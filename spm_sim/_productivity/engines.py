"""The summed engine (a rep-month's deals drawn as one total) and the rule that picks an engine.

Two engines draw a trial's sales from the same :class:`~.model.ProductivityModel`:

* ``deals`` (:func:`~.model.draw_deals_batch`): every deal, a Poisson count per
  rep-month and one lognormal size per deal. Exact, and its cost grows with the deals.
* ``summed`` (:func:`draw_summed_batch`): each rep-month's total from three numbers
  whatever its deals: the month's largest deal exactly (the largest of a Poisson
  number of lognormal sizes, by inversion) and the rest of the month's deals, which
  are all smaller than it, by a lognormal with their exact zero mass, mean and
  variance. The upper tail, where a heavy-tailed month is its largest deal, is exact;
  the rest is a sum of bounded sizes, where two moments describe it well.

``engine: auto`` (:func:`choose_engine`) picks ``summed`` where its distribution
matches the deals engine's and ``deals`` elsewhere; ``docs/model.md`` section 7.6
gives the equations, the rule and the measurements behind it.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from scipy.special import ndtri

from spm_sim.comp import Plan
from spm_sim.random import TRIAL_BLOCK, sales_hires_rng, sales_rng, stream_rng, trial_blocks

from .deal_mix import DealMix, draw_measures
from .model import (
    ProductivityModel,
    draw_deals_batch,
    elasticity_factor,
    rep_draws,
    trend_draws,
    trial_parameters,
)

__all__ = [
    "ENGINES",
    "AUTO_SIGMA",
    "AUTO_DEALS",
    "draw_summed",
    "draw_summed_batch",
    "summed_months",
    "choose_engine",
    "draw_trials",
]

#: The engines a scenario can name: ``auto`` resolves to one of the other two.
ENGINES = ("deals", "summed", "auto")

#: ``auto`` uses the summed engine when the deal sizes' log-sd is at least this
#: (its rep-years then match the deals engine's)...
AUTO_SIGMA = 1.0
#: ...and a rep-month expects at least this many deals on average (it is then
#: faster; docs/model.md section 7.6).
AUTO_DEALS = 2.5


#: Abramowitz and Stegun 7.1.26: erfc(x) = t (a1 + t (a2 + ...)) exp(-x^2),
#: t = 1 / (1 + p x), x >= 0, absolute error below 1.5e-7
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF to 1e-7 (absolute), in a few passes over ``x`` (a new
    array; a quarter the cost of ``scipy.special.ndtr`` where it matters here)."""
    h = np.abs(x)
    h *= np.sqrt(0.5)
    t = _AS_P * h
    t += 1.0
    np.divide(1.0, t, out=t)  # twice as fast here as np.reciprocal, the same bits
    p = _AS_A[4] * t
    for c in _AS_A[3::-1]:
        p += c
        p *= t
    np.square(h, out=h)
    np.negative(h, out=h)
    np.exp(h, out=h)
    p *= h
    p *= 0.5  # the tail beyond |x|
    return np.where(x < 0.0, p, 1.0 - p)  # faster than a ufunc's where=


def summed_months(
    lam: np.ndarray,
    mu: np.ndarray,
    sigma: float,
    u: np.ndarray,
    v: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """Rep-month totals of a compound Poisson-lognormal from three numbers per rep-month.

    Parameters
    ----------
    lam : ndarray
        Expected deals of each rep-month.
    mu : ndarray
        Mean log size of a deal, broadcast against ``lam`` (e.g. shape (..., reps, 1)).
    sigma : float
        Log-sd of deal sizes.
    u, v : ndarray, shape of ``lam``
        Uniforms on [0, 1): ``u`` places the month's largest deal, ``v`` says whether
        there are others.
    z : ndarray, shape of ``lam``
        Standard normals: the sum of the others.

    Returns
    -------
    ndarray, shape of ``lam``

    Notes
    -----
    With ``N ~ Poisson(lam)`` deals of size ``X = exp(mu + sigma G)`` and ``Phi`` the
    normal CDF, the largest deal ``M`` has ``P(M <= x) = exp(-lam (1 - F(x)))`` (0 when
    ``N = 0``). So the month is 0 when ``u <= exp(-lam)``, else ``M = exp(mu + sigma y)``
    with ``y = -Phi^-1(p)``, ``p = 1 - F(M) = -ln(u) / lam``: exact. Let ``w = 1 - p``.
    Given ``M``, the other deals are a Poisson number with mean ``lam w`` of sizes
    below ``M`` (a Poisson process thinned at ``M``), whose sum ``R`` has, in units
    of ``exp(mu)``,
    ``E[R] = lam e^(sigma^2/2) Phi(y - sigma)`` and
    ``Var R = lam e^(2 sigma^2) Phi(y - 2 sigma)``. ``R`` is 0 when
    ``v < exp(-lam w)`` (exact), else lognormal with the mean and variance of ``R``
    given ``R > 0``. Mean, variance and zero mass of the month are the deals engine's
    (``Phi`` of ``y - sigma`` and ``y - 2 sigma`` to 1e-7).

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> shape = (200_000,)
    >>> lam = np.full(shape, 3.0)
    >>> x = summed_months(lam, 0.0, 1.0, g.random(shape), g.random(shape),
    ...                   g.standard_normal(shape))
    >>> bool(abs(x.mean() / (3.0 * np.exp(0.5)) - 1) < 0.01)
    True
    """
    s2 = sigma * sigma
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_u = np.log(u)
        y = np.divide(log_u, lam)
        np.negative(y, out=y)  # 1 - F(M): P(a deal is larger than the largest)
        some = y < 1.0
        np.minimum(y, 1.0, out=y)
        ndtri(y, out=y)  # from 1 - F(M), which keeps its digits in the upper tail
        np.negative(y, out=y)
        # Phi(y - sigma) and Phi(y - 2 sigma) in one pass over both
        ab = np.empty((2, *y.shape))
        np.subtract(y, sigma, out=ab[0])
        np.subtract(y, 2.0 * sigma, out=ab[1])
        ab = _normal_cdf(ab)
        a, b = ab[0], ab[1]
        y *= sigma
        out = np.exp(y, out=y)  # the largest deal / exp(mu)
        q = np.add(lam, log_u, out=log_u)  # lam F(M): expected deals below the largest
        np.negative(q, out=q)
        np.expm1(q, out=q)
        np.negative(q, out=q)  # P(some deal below the largest)
        # E[R^2 | R > 0] / E[R | R > 0]^2, then its log: the lognormal's variance
        var = np.square(a)
        var *= lam
        np.divide(b, var, out=var)
        var *= np.exp(s2)
        var += 1.0
        var *= q
        np.maximum(var, 1.0, out=var)
        np.log(var, out=var)
        rest = np.sqrt(var)
        rest *= z
        var *= 0.5
        rest -= var
        np.exp(rest, out=rest)
        rest *= a
        rest *= lam * np.exp(0.5 * s2)
        rest /= q  # x E[R | R > 0] / exp(mu)
        # v >= exp(-lam F(M)): other deals in the month (v + q in var's buffer)
        others = np.add(v, q, out=var) >= 1.0
        others &= a > 0.0
        rest += out
        out = np.where(others, rest, out)  # faster here than a ufunc's where=
        out *= np.exp(mu)
        out *= some
    return out


def draw_summed_batch(
    model: ProductivityModel,
    rng: np.random.Generator,
    n_trials: int,
    *,
    common: np.ndarray | None = None,
    given: tuple[np.ndarray, np.ndarray] | None = None,
    factor: np.ndarray | None = None,
    trend: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Bookings of ``n_trials`` trials per rep and month, each rep-month drawn as one total.

    Parameters
    ----------
    model : ProductivityModel
    rng : numpy Generator
        The batch's stream (``simulate`` uses stream ``sales`` of a block of trials).
    n_trials : int
    common : ndarray, shape (n_trials, n_periods), optional
        The company factor of another draw of the same trials (planned hires).
    given, factor, trend : optional
        As :func:`~spm_sim.productivity.trial_parameters`: rates and mean log sizes
        kept from another year, a factor on the rates, the trend and level
        deviations kept.

    Returns
    -------
    bookings : ndarray, shape (n_trials, n_reps, n_periods)
    common : ndarray, shape (n_trials, n_periods)

    Notes
    -----
    Draw order: :func:`~spm_sim.productivity.trial_parameters` for all the trials (the
    deals engine's, in the same order), then ``u``, ``v`` (uniforms) and ``z``
    (normals), each for every rep-month of every trial; :func:`summed_months` turns
    them into totals.

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> bookings, common = draw_summed_batch(m, np.random.default_rng(0), 4)
    >>> bookings.shape, common.shape
    ((4, 80, 12), (4, 12))
    """
    rate, mu, common = trial_parameters(
        model, rng, common=common, n_trials=n_trials, given=given, factor=factor, trend=trend
    )
    lam = rate[:, :, None] * model.month_factor[None]
    lam *= common[:, None, :]
    uv = rng.random((2, *lam.shape))
    z = rng.standard_normal(lam.shape)
    out = summed_months(lam, mu[:, :, None], model.size_sigma, uv[0], uv[1], z)
    return out, common


@overload
def draw_summed(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: Literal[False] = ...,
) -> np.ndarray: ...
@overload
def draw_summed(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def draw_summed(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = ...,
    with_common: bool,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...
def draw_summed(
    model: ProductivityModel,
    rng: np.random.Generator,
    *,
    common: np.ndarray | None = None,
    with_common: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """One trial's bookings per rep and month, each month's deals drawn as one total.

    :func:`draw_summed_batch` of one trial: the same trial-level draws as
    :func:`~spm_sim.productivity.draw_deals` in the same order, then three numbers
    per rep-month (:func:`summed_months`). ``common`` and ``with_common`` as in
    :func:`~spm_sim.productivity.draw_deals`.

    Returns
    -------
    ndarray, shape (n_reps, n_periods)
        (and the company factor by month, shape (n_periods,), with ``with_common``)

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> draw_summed(m, np.random.default_rng(0)).shape
    (80, 12)
    """
    shared = None if common is None else np.asarray(common, dtype=float)[None, :]
    out, drawn = draw_summed_batch(model, rng, 1, common=shared)
    return (out[0], drawn[0]) if with_common else out[0]


def choose_engine(model: ProductivityModel, *, measures: bool = False) -> tuple[str, str]:
    """The engine ``engine: auto`` uses for ``model``, and why, in words.

    ``summed`` when three things hold, else ``deals``:

    * the plan pays no measure of single deals (``measures=False``);
    * its rep-years match the deals engine's: the deal sizes' log-sd is at least
      :data:`AUTO_SIGMA`, so a month's total is close to its largest deal, which the
      summed engine draws exactly (with narrower sizes and more than about two deals
      a month, a month is a count of similar deals, whose tails the summed engine's
      lognormal misses);
    * it is faster: a rep-month expects at least :data:`AUTO_DEALS` deals on average
      (with fewer, drawing each deal costs no more than drawing a month's total).

    Where the rule says ``summed``, each rep's annual bookings differ between the
    engines by less than 0.05 of their standard deviation at P1, P10, P50, P90 and
    P99 (given the trial's rates), and not at all in mean, variance or the chance of
    a month without a deal (docs/model.md section 7.6; ``tests/test_engines.py``).

    Parameters
    ----------
    model : ProductivityModel
    measures : bool, default False
        Whether the plan declares measures (products, new logos, deal counts, scores).

    Returns
    -------
    (engine, reason) : (str, str)

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> choose_engine(m)[0], choose_engine(m, measures=True)[0]
    ('summed', 'deals')
    """
    if measures:
        return (
            "deals",
            "the plan pays on measures of single deals, which only the deals engine draws",
        )
    sigma = float(model.size_sigma)
    deals = float(((model.alpha / model.beta)[:, None] * model.month_factor).mean())
    if sigma < AUTO_SIGMA:
        return "deals", (
            f"deal sizes are similar (log-sd {sigma:.2f} < {AUTO_SIGMA:g}): a month's total "
            "is a count of similar deals, which only the deals engine draws exactly"
        )
    if deals < AUTO_DEALS:
        return "deals", (
            f"{deals:.1f} deals expected in a rep-month (< {AUTO_DEALS:g}): drawing each "
            "deal is as fast as drawing the month's total"
        )
    return "summed", (
        f"{deals:.1f} deals expected in a rep-month of widely spread sizes (log-sd "
        f"{sigma:.2f} >= {AUTO_SIGMA:g}): a month's total is close to its largest deal, "
        "which the summed engine draws exactly, at a fraction of the cost"
    )


def draw_trials(
    model: ProductivityModel,
    root: np.random.SeedSequence,
    start: int,
    stop: int,
    *,
    engine: str = "deals",
    plan: Plan | None = None,
    mix: DealMix | None = None,
    persist: tuple[ProductivityModel, np.random.SeedSequence] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The sales of trials ``start..stop-1`` of a run, as ``simulate`` draws them.

    Parameters
    ----------
    model : ProductivityModel
        With planned hires (:func:`~spm_sim.productivity.add_planned_hires`) last.
    root : SeedSequence
        The run's root (:func:`spm_sim.random.seed_sequence`).
    start, stop : int
        The trials, ``0 <= start < stop``.
    engine : {"deals", "summed", "auto"}, default "deals"
        ``auto``: :func:`choose_engine` of the book's reps (``model`` without its
        planned hires), with ``measures`` when ``plan`` declares any.
    plan : Plan, optional
        A plan whose declared measures are drawn too (products, new logos, deal
        counts, MBO scores), with the book's deal ``mix``.
    mix : DealMix, optional
    persist : (ProductivityModel, SeedSequence), optional
        For a later plan year (``model`` and ``root`` that year's): the first year's
        model and root. Every seat keeps the first year's draws of its deal rate and
        mean log size (:func:`rep_draws` of the first year's streams, moved to this
        year's posterior: the rate times the ratio of the posterior means, the log
        size plus the change of its mean), and every trial its first year's
        deviations of the trend slope and level (:func:`trend_draws`; the slope's
        acts over this year's distance from the history) and territory
        elasticities; the rest (the company's shocks and seasonality, the reps'
        year factors, the deals) is this year's. Per seat, not per person: a trial's
        numbers must not depend on which other trials share its block, so who
        holds the seat cannot choose the draw (a new hire sells the team's rate
        times the seat's draw, as within a year).

    Returns
    -------
    bookings : ndarray, shape (stop - start, n_reps, n_periods)
    measures : dict of str to ndarray, shape of ``bookings``
        Empty unless ``plan`` declares measures.

    Notes
    -----
    Trials are drawn in blocks of :data:`spm_sim.random.TRIAL_BLOCK`, each block in one
    batch from its own stream (``sales``): trial ``t`` is always the same place of the
    same block, so its numbers depend on the seed and ``t`` only, whatever ``start``
    and ``stop``. A range that starts or ends inside a block draws the whole block and
    keeps its own trials. A plan's measures are drawn after a block's bookings, so
    they never change the bookings; planned hires draw on a stream of their own
    (``sales_hires``) with the block's company factor, so the book's reps draw the
    same whether or not hires are planned. Under a new alignment
    (:attr:`ProductivityModel.elasticity_log_ratio`) each trial's own territory
    elasticities (:func:`elasticity_factor`) come from the first child spawned from
    the block's ``sales`` stream, whose own draws are untouched: without an
    alignment, or with the current one, every number is as before.

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> from spm_sim.random import seed_sequence
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> whole, _ = draw_trials(m, seed_sequence(1), 0, 30)
    >>> part, _ = draw_trials(m, seed_sequence(1), 7, 9)
    >>> whole.shape, bool((whole[7:9] == part).all())
    ((30, 80, 12), True)
    """
    measured = plan if plan is not None and plan.measures else None
    hires = model.fit.get("planned_hires", ())
    old = new = model
    if hires:
        n_old = model.n_reps - len(hires)
        old, new = model.take_reps(slice(0, n_old)), model.take_reps(slice(n_old, None))
    if engine == "auto":  # on the book's reps, as simulate's prepare resolves it
        engine = choose_engine(old, measures=measured is not None)[0]
    if engine not in ("deals", "summed"):
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    if measured is not None and engine == "summed":
        raise ValueError(
            f"plan {measured.name!r} pays on measures of single deals, which the summed "
            "engine does not draw; use engine 'deals' (or 'auto')."
        )
    if measured is not None and mix is None:
        raise ValueError(f"plan {measured.name!r} declares measures: pass the book's deal mix.")
    first, last = trial_blocks(start, stop)
    parts: list[np.ndarray] = []
    measure_parts: list[dict[str, np.ndarray]] = []
    n_old = old.n_reps
    for block in range(first, last):
        rng = sales_rng(root, block)
        kept = _kept(model, persist, block) if persist is not None else None
        g_old = g_new = f_old = f_new = trend = None
        if kept is not None:
            rate_kept, mu_kept, trend = kept
            g_old = (rate_kept[:, :n_old], mu_kept[:, :n_old])
            g_new = (rate_kept[:, n_old:], mu_kept[:, n_old:])
        if model.elasticity_log_ratio is not None:
            # the trial's elasticities, from a child of the stream of its block (the
            # first year's under persist), so no other draw moves
            seed = stream_rng(
                persist[1] if persist is not None else root, "sales_elasticity", block
            )
            factor = elasticity_factor(model, seed, TRIAL_BLOCK)
            f_old, f_new = factor[:, :n_old], factor[:, n_old:]
        if engine == "summed":
            one, common = draw_summed_batch(
                old, rng, TRIAL_BLOCK, given=g_old, factor=f_old, trend=trend
            )
            if hires:
                extra, _ = draw_summed_batch(
                    new,
                    sales_hires_rng(root, block),
                    TRIAL_BLOCK,
                    common=common,
                    given=g_new,
                    factor=f_new,
                )
                one = np.concatenate([one, extra], axis=1)
        else:
            counts, cell, sizes, common = draw_deals_batch(
                old, rng, TRIAL_BLOCK, given=g_old, factor=f_old, trend=trend
            )
            if hires:
                more = draw_deals_batch(
                    new,
                    sales_hires_rng(root, block),
                    TRIAL_BLOCK,
                    common=common,
                    given=g_new,
                    factor=f_new,
                )
                counts, cell, sizes = _join_reps((counts, cell, sizes), more[:3])
            one = np.bincount(cell, weights=sizes, minlength=counts.size).reshape(counts.shape)
            if measured is not None:
                assert mix is not None
                measure_parts.append(draw_measures(measured, mix, cell, sizes, counts.shape, rng))
        parts.append(one)
    keep = slice(start - first * TRIAL_BLOCK, stop - first * TRIAL_BLOCK)
    bookings = _joined(parts, keep)
    names = measure_parts[0].keys() if measure_parts else ()
    return bookings, {name: _joined([p[name] for p in measure_parts], keep) for name in names}


def _kept(
    model: ProductivityModel,
    persist: tuple[ProductivityModel, np.random.SeedSequence],
    block: int,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The first year's rates and mean log sizes of block ``block``'s trials, moved to
    ``model``'s year, (TRIAL_BLOCK, n_reps) each, and their trend and level
    deviations, (TRIAL_BLOCK, 1) each (the draws after them on the same stream)."""
    first_model, first_root = persist
    if first_model.n_reps != model.n_reps:  # pragma: no cover - an internal contract
        raise ValueError("persist: the first year's model has other reps")
    hires = first_model.fit.get("planned_hires", ())
    n_old = first_model.n_reps - len(hires)
    rng = sales_rng(first_root, block)
    book_reps = first_model.take_reps(slice(0, n_old))
    rate, mu = rep_draws(book_reps, rng, TRIAL_BLOCK)
    trend = trend_draws(book_reps, rng, TRIAL_BLOCK)
    if hires:
        more = rep_draws(
            first_model.take_reps(slice(n_old, None)),
            sales_hires_rng(first_root, block),
            TRIAL_BLOCK,
        )
        rate, mu = np.concatenate([rate, more[0]], axis=1), np.concatenate([mu, more[1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (model.alpha / model.beta) / (first_model.alpha / first_model.beta)
    return (
        rate * np.where(np.isfinite(ratio), ratio, 1.0),
        mu + (model.size_mu - first_model.size_mu),
        trend,
    )


def _joined(parts: list[np.ndarray], keep: slice) -> np.ndarray:
    """The blocks' arrays joined along the trial axis, the range's trials only (a copy)."""
    if len(parts) == 1:
        return np.ascontiguousarray(parts[0][keep])
    return np.concatenate(parts)[keep]


def _join_reps(
    a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two batches' deals (counts, cells, sizes) of the same trials as one, the second's
    reps after the first's: counts side by side on the rep axis, cells re-indexed."""
    t, r_a, p = a[0].shape
    r_b = b[0].shape[1]

    def move(cell: np.ndarray, reps: int, offset: int) -> np.ndarray:
        trial, rest = np.divmod(cell, reps * p)
        return trial * (r_a + r_b) * p + offset * p + rest

    counts = np.concatenate([a[0], b[0]], axis=1)
    cells = np.concatenate([move(a[1], r_a, 0), move(b[1], r_b, r_a)])
    return counts, cells, np.concatenate([a[2], b[2]])
