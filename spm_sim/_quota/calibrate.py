"""Quotas calibrated on simulated bookings, and diagnostics of any set of quotas.

A private module of :mod:`spm_sim.quota`. Everything here works on the annual
bookings draws of the Monte Carlo, an array of shape ``(n_trials, n_reps)``:

* :func:`annual_draws` draws them exactly as :func:`spm_sim.simulate.simulate` does
  (trial ``t`` uses stream ``t`` of the seed), so a seed gives the same draws here
  and in a simulation (common random numbers);
* :func:`calibrate_annual` turns them into annual quotas that each rep reaches with a
  given probability, or such that a given share of reps is expected at quota;
* :func:`quota_diagnostics` judges any quotas against the draws, the territories'
  potential, last year's bookings and pay (achievability, fairness, feasibility).

:func:`spm_sim.sweep.company_view` simulates one scenario under several quota
settings with the same draws; it lives above the engine, in :mod:`spm_sim.sweep`.

Monte Carlo standard errors: for a probability ``a`` estimated from ``n``
independent trials, ``sqrt(a (1 - a) / n)``; for a share of reps, whose reps move
together inside a trial (the company-wide shocks), the standard deviation of the
per-trial shares over ``sqrt(n)``, since trials are independent and reps are not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spm_sim._format import format_money
from spm_sim._spec import whole_count
from spm_sim.errors import DataError, SpecError
from spm_sim.parallel import ExecutorLike, check_executor, run_tasks
from spm_sim.productivity import ENGINES, ProductivityModel, draw_trials, fit_productivity
from spm_sim.random import TRIAL_BLOCK, RngLike, seed_sequence

from .result import Quotas

if TYPE_CHECKING:
    from spm_sim.book import Book

    from .settings import QuotaSettings

__all__ = [
    "annual_draws",
    "calibrate_annual",
    "QuotaDiagnostics",
    "quota_diagnostics",
]

#: Edges of the attainment histogram of :class:`QuotaDiagnostics` (0% to 300% in 10%
#: steps, then one bin for 300% and above).
HIST_EDGES = np.append(np.round(np.arange(0.0, 3.0001, 0.1), 10), np.inf)

#: Quantiles of the attainment table of :class:`QuotaDiagnostics`.
ATTAINMENT_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


# ----------------------------------------------------------------------------- draws


def annual_draws(
    model: ProductivityModel,
    trials: int = 2000,
    *,
    rng: RngLike = None,
    progress: bool = False,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: str = "auto",
) -> np.ndarray:
    """Simulated annual bookings per trial and rep, drawn as the Monte Carlo draws them.

    Parameters
    ----------
    model : ProductivityModel
        From :func:`spm_sim.productivity.fit_productivity`.
    trials : int, default 2000
        Number of trials (>= 1).
    rng : int, SeedSequence or Generator, optional
        Root of the random streams (see :func:`spm_sim.simulate.seed_sequence`);
        ``None`` means seed 0. Trial ``t`` draws from stream ``t`` of this root, as in
        :func:`spm_sim.simulate.simulate`, so the same seed gives the same bookings
        here and in a simulation of the same book and plan year.
    progress : bool, default False
        Show a progress bar over the trials (tqdm: a widget in a notebook, else
        on stderr); the numbers do not depend on it.
    executor : None, "serial", "processes", "dask" or an executor, optional
        Where the trials are drawn (:mod:`spm_sim.parallel`): here (default), on a
        local process pool, on Dask, or on a ``concurrent.futures`` pool or
        ``distributed.Client`` you pass. The trials go out in blocks of at least
        :data:`CHUNK_TRIALS`; the draws are the same bit for bit on every executor.
    workers : int, optional
        Processes of a local pool or workers of a local Dask cluster (default one
        per CPU).
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``executor="dask"``).
    engine : {"auto", "deals", "summed"}, default "auto"
        The engine that draws the sales, as a scenario's ``engine``: ``auto`` is
        :func:`spm_sim.productivity.choose_engine` of ``model``'s reps (for a plan
        without measures), the engine :func:`spm_sim.simulate.simulate` resolves for
        a scenario of the same book and plan year, so the draws are its bookings.

    Returns
    -------
    ndarray, shape (trials, n_reps)
        Annual bookings in money, reps in the order of ``model.rep_ids``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> from spm_sim.productivity import fit_productivity
    >>> model = fit_productivity(load_sample(), plan_year=2026)
    >>> draws = annual_draws(model, 100, rng=0)
    >>> draws.shape == (100, model.n_reps)
    True
    >>> bool((annual_draws(model, 100, rng=0) == draws).all())  # same seed, same draws
    True
    """

    if not isinstance(model, ProductivityModel):
        raise SpecError(
            f"annual_draws: model must be a ProductivityModel (from fit_productivity), got "
            f"{type(model).__name__}. Fit one with spm_sim.fit_productivity(book, plan_year=...)."
        )
    n = whole_count("annual_draws", "trials", trials)
    if engine not in ENGINES:
        raise SpecError(
            f"annual_draws: engine must be one of {', '.join(ENGINES)}, got {engine!r}."
        )
    root = seed_sequence(rng)
    executor = check_executor(executor)
    here = executor in (None, "serial") and not scheduler
    blocks = _trial_blocks(n, here)
    with _bar(progress, n, "simulated years") as bar:
        parts = run_tasks(
            _draw_years,
            blocks,
            executor,
            shared=(model, root, engine),
            workers=workers,
            scheduler=scheduler,
            on_done=lambda i: bar.update(blocks[i][1] - blocks[i][0]),
        )
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


#: Fewest trials in a block sent to another process or a Dask worker: a few hundred
#: milliseconds of drawing on the sample book (80 reps, about 0.3 ms a trial), next to
#: about a millisecond to send a block and its draws back.
CHUNK_TRIALS = 500

#: Most blocks a run of :func:`annual_draws` is cut into on an executor: enough to keep
#: a few dozen workers busy, few enough that each block pays for its trip.
MAX_BLOCKS = 32


def _trial_blocks(n: int, here: bool) -> list[tuple[int, int]]:
    """The trials ``[start, stop)`` of each block: blocks of 100 here (a progress bar
    moves with each), else blocks of at least :data:`CHUNK_TRIALS` trials, at most
    :data:`MAX_BLOCKS` of them, in whole blocks of :data:`spm_sim.random.TRIAL_BLOCK`
    trials (none is drawn twice). The draws do not depend on the blocks."""
    size = 100 if here else max(CHUNK_TRIALS, -(-n // MAX_BLOCKS))
    size = -(-size // TRIAL_BLOCK) * TRIAL_BLOCK
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def _draw_years(
    model: ProductivityModel, root: np.random.SeedSequence, engine: str, start: int, stop: int
) -> np.ndarray:
    """Annual bookings of trials ``start`` to ``stop - 1``, shape ``(stop - start, n_reps)``.

    Drawn as :func:`spm_sim.simulate.simulate` draws them with ``engine`` (blocks of
    :data:`spm_sim.random.TRIAL_BLOCK` trials, one stream per block), so they do not
    depend on how the trials are split.
    """
    return draw_trials(model, root, start, stop, engine=engine)[0].sum(axis=-1)


def _bar(progress: bool, total: int, desc: str):
    """A tqdm bar over ``total`` steps (silent and free when ``progress`` is False)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="year", disable=not progress, leave=False)


# ----------------------------------------------------------------------------- calibration


def _weibull_quantile(sorted_values: np.ndarray, level: float) -> np.ndarray:
    """Hyndman-Fan type 6 quantile of each column of an array sorted along axis 0.

    The position is ``h = (n + 1) level``, rounded to 1e-9 so that a position meant to
    be whole is whole; the value is interpolated between order statistics ``h`` and
    ``h + 1`` (1-based). The caller makes sure ``1 <= h <= n``.
    """
    n = sorted_values.shape[0]
    h = round((n + 1) * level, 9)
    j = min(max(int(math.floor(h)), 1), n)
    g = h - j if j < n else 0.0
    lo = sorted_values[j - 1]
    hi = sorted_values[min(j, n - 1)]
    return lo + g * (hi - lo)


def _check_level(name: str, value, n: int, what: str) -> float:
    """A probability or share strictly inside (0, 1) that ``n`` draws can resolve."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(
            f"calibrate_annual: {name} must be a number in (0, 1), got {value!r} "
            f"({type(value).__name__}). Pass e.g. {name}=0.65."
        )
    v = float(value)
    if not math.isfinite(v) or not 0.0 < v < 1.0:
        raise SpecError(
            f"calibrate_annual: {name} must be strictly between 0 and 1 ({what}), got {v!r}. "
            f"Pass e.g. {name}=0.65 for 65%."
        )
    # the type-6 position (n + 1)(1 - v) must fall between the first and last draw
    if not 1.0 <= round((n + 1) * (1.0 - v), 9) <= n:
        need = math.ceil(1.0 / min(v, 1.0 - v)) - 1
        raise SpecError(
            f"calibrate_annual: {name}={v:g} is too extreme for {n} draws: the quota would lie "
            f"outside the simulated range. Use at least {need} trials, or a {name} closer to 0.5."
        )
    return v


def _as_draws(func: str, draws, n_reps: int | None = None) -> np.ndarray:
    arr = draws.to_numpy(float) if isinstance(draws, pd.DataFrame) else np.asarray(draws, float)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise SpecError(
            f"{func}: draws must be a 2-D array of annual bookings, shape (n_trials, n_reps), "
            f"got shape {arr.shape}. Use annual_draws(model, trials, rng=...)."
        )
    if n_reps is not None and arr.shape[1] != n_reps:
        raise SpecError(
            f"{func}: draws has {arr.shape[1]} reps (columns) but the quotas have {n_reps}; "
            "draw them for the quotas' reps, in the order of quotas.rep_ids."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        t, r = np.argwhere(bad)[0]
        raise SpecError(
            f"{func}: draws must be finite; trial {t}, rep {r} is {float(arr[t, r])!r} "
            f"({int(bad.sum())} such values). Drop or fix those draws."
        )
    return arr


def _rep_names(draws, rep_ids, n: int) -> list[str]:
    if rep_ids is None and isinstance(draws, pd.DataFrame):
        rep_ids = list(draws.columns)
    if rep_ids is None:
        return [f"rep {i} (column {i} of draws)" for i in range(n)]
    rep_ids = [str(r) for r in rep_ids]
    if len(rep_ids) != n:
        raise SpecError(
            f"calibrate_annual: rep_ids has {len(rep_ids)} names but draws has {n} reps "
            "(columns); give one name per column of draws."
        )
    return [f"rep {r!r}" for r in rep_ids]


def _no_zero_quota(quota: np.ndarray, draws: np.ndarray, names: list[str], why: str) -> None:
    zero = np.flatnonzero(~(quota > 0))
    if zero.size == 0:
        return
    i = int(zero[0])
    share0 = float((draws[:, i] <= 0).mean())
    more = f" ({zero.size} reps in all)" if zero.size > 1 else ""
    if share0 >= 1.0:
        detail = "every one of its draws is 0 (no selling time or no deals in the plan year)"
    else:
        detail = f"{share0:.1%} of its draws are 0, so {why} is 0"
    raise SpecError(
        f"calibrate_annual: {names[i]} would get a quota of 0{more}: {detail}. Leave such "
        "reps out of the draws and give them a quota another way (e.g. ramp quota), or "
        "ask for a lower probability/share."
    )


def calibrate_annual(
    draws: npt.ArrayLike | pd.DataFrame,
    *,
    probability: float | None = None,
    share: float | None = None,
    weights: npt.ArrayLike | None = None,
    rep_ids: Sequence[str] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Annual quotas calibrated on simulated bookings: per-rep probability or team share.

    Parameters
    ----------
    draws : array_like or DataFrame, shape (n_trials, n_reps)
        Annual bookings per trial and rep (:func:`annual_draws`); a DataFrame's
        columns name the reps in error messages.
    probability : float, optional
        ``p`` in (0, 1): each rep's quota is met or beaten with probability ``p``.
    share : float, optional
        ``s`` in (0, 1): one scale ``c`` for quotas ``c w_r`` such that the expected
        share of reps at or above quota is ``s``.
    weights : array_like, shape (n_reps,), optional
        Only with ``share``: the relative quotas ``w_r >= 0`` (e.g. potential, last
        year's bookings); default each rep's mean draw. A rep with weight 0 gets
        quota 0 and is not counted in the share (as in ``spm_sim.metrics``).
    rep_ids : sequence of str, optional
        Names of the reps, for error messages.

    Give exactly one of ``probability`` and ``share``.

    Returns
    -------
    quota : ndarray, shape (n_reps,)
        Annual quota per rep, in money.
    info : dict
        ``method`` ("probability" or "share"), ``target`` (``p`` or ``s``),
        ``trials``, ``quantile`` (the definition used), and in-sample results:

        * probability: ``achieved`` (per rep, ``P(B_r >= q_r)`` in the draws),
          ``achieved_se`` (per rep, binomial), ``achieved_mean`` and
          ``achieved_mean_se`` (mean over reps, its standard error from the
          per-trial shares);
        * share: ``scale`` (``c``), ``achieved`` (expected share at quota) and
          ``achieved_se``, ``share_p10`` / ``share_p90`` (over trials), ``weights``.

    Notes
    -----
    *Probability.* ``q_r`` is the empirical ``1 - p`` quantile of rep ``r``'s draws,
    Hyndman and Fan's type 6 (numpy's ``method="weibull"``): position
    ``h = (n + 1)(1 - p)`` among the sorted draws, linear between neighbours. It is
    chosen because a new draw falls below the ``k``-th of ``n`` sorted draws with
    probability ``k / (n + 1)`` exactly, so a fresh (out-of-sample) draw reaches this
    quota with probability ``p`` on average; in-sample, ``#{B_r >= q_r} / n`` is
    within ``1 / n`` of ``p`` (ties aside). The other definitions differ by less
    than one order statistic, i.e. less than ``1/n`` in probability. The true
    probability at the calibrated quota has a Monte Carlo error of about
    ``sqrt(p (1 - p) / n)``: 1.1 percentage points at ``p = 0.65, n = 2000``.

    *Share.* With ``R_tr = B_tr / w_r``, the share at quota for a scale ``c`` is
    ``S(c) = mean_t mean_r 1[R_tr >= c]``, a decreasing step function of ``c``. So
    ``c`` is the type 6 ``1 - s`` quantile of all the ratios ``R_tr`` pooled (a
    sort, no iteration), and ``S(c)`` in-sample is within ``1 / (n n_reps)`` of
    ``s`` (ties aside). Its Monte Carlo error is ``sd_t(share_t) / sqrt(n)``.

    Raises
    ------
    SpecError
        If ``probability``/``share`` is outside (0, 1), not a number, both or neither
        given, too extreme for the number of trials; ``draws`` is not a finite
        2-D array; ``weights`` has the wrong length, is negative, or all zero; or a
        rep's quota would be 0 (e.g. all its draws are 0): the message names the rep.

    Examples
    --------
    >>> draws = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    >>> q, info = calibrate_annual(draws, probability=0.6)   # position 5 x 0.4 = 2
    >>> q
    array([ 2., 20.])
    >>> info["achieved"]                                      # 3 of 4 draws >= quota
    array([0.75, 0.75])
    >>> q, info = calibrate_annual(draws, share=0.5, weights=[1.0, 10.0])
    >>> q, info["achieved"]
    (array([ 2.5, 25. ]), 0.5)
    """
    func = "calibrate_annual"
    if (probability is None) == (share is None):
        given = "both" if probability is not None else "neither"
        raise SpecError(
            f"{func}: give exactly one of probability= (each rep reaches quota with this "
            f"probability) and share= (this share of reps expected at quota); got {given}."
        )
    arr = _as_draws(func, draws)
    n, n_reps = arr.shape
    names = _rep_names(draws, rep_ids, n_reps)
    ordered = np.sort(arr, axis=0)
    if probability is not None:
        if weights is not None:
            raise SpecError(
                f"{func}: weights apply only with share=; with probability= every rep's "
                "quota comes from its own draws. Drop weights, or use share=."
            )
        p = _check_level("probability", probability, n, "the chance each rep reaches quota")
        quota = _weibull_quantile(ordered, 1.0 - p)
        _no_zero_quota(quota, arr, names, f"its {1 - p:.0%} quantile")
        hit = arr >= quota[None, :]
        achieved = hit.mean(axis=0)
        per_trial = hit.mean(axis=1)
        info: dict[str, Any] = {
            "method": "probability",
            "target": p,
            "trials": n,
            "quantile": "type 6 (weibull): position (n + 1)(1 - p)",
            "achieved": achieved,
            "achieved_se": np.sqrt(achieved * (1.0 - achieved) / n),
            "achieved_mean": float(per_trial.mean()),
            "achieved_mean_se": _mean_se(per_trial),
        }
        return quota, info

    s = _check_level("share", share, n, "the expected share of reps at or above quota")
    if weights is None:
        w = arr.mean(axis=0)
        _no_zero_quota(w, arr, names, "its mean draw (the default weight)")
        source = "mean draw"
    else:
        w = _weights(func, weights, n_reps, names)
        source = "given"
    active = w > 0
    ratios = np.sort((arr[:, active] / w[active]).ravel())
    n_pool = ratios.size
    if not 1.0 <= round((n_pool + 1) * (1.0 - s), 9) <= n_pool:  # pragma: no cover - n_pool >= n
        raise SpecError(f"{func}: share={s:g} is too extreme for {n_pool} rep-trials.")
    scale = float(_weibull_quantile(ratios, 1.0 - s))
    if not scale > 0:
        zero = float((ratios <= 0).mean())
        raise SpecError(
            f"{func}: share={s:g} gives a quota of 0 for every rep: {zero:.1%} of the "
            "rep-trials booked nothing. Ask for a lower share, or leave out reps without "
            "selling time."
        )
    quota = np.where(active, scale * w, 0.0)
    per_trial = (arr[:, active] >= quota[active][None, :]).mean(axis=1)
    p10, p90 = np.percentile(per_trial, [10, 90])
    info = {
        "method": "share",
        "target": s,
        "trials": n,
        "quantile": "type 6 (weibull) of the pooled ratios B_tr / w_r at 1 - s",
        "scale": scale,
        "weights": w,
        "weights_source": source,
        "achieved": float(per_trial.mean()),
        "achieved_se": _mean_se(per_trial),
        "share_p10": float(p10),
        "share_p90": float(p90),
    }
    return quota, info


def _calibrated_quotas(
    book: Book,
    reps: pd.DataFrame,
    settings: QuotaSettings,
    plan_year: int,
    model: ProductivityModel | None,
    rng: RngLike,
    progress: bool = False,
    *,
    executor: ExecutorLike = None,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The method ``calibrated`` of :func:`~spm_sim.quota.set_quotas`: an annual quota
    per rep from the model's draws (drawn on ``executor`` with ``engine``, the run's:
    see :func:`annual_draws`), split over the months like the rep's expected
    bookings. Returns the monthly values, the annual quotas (the basis), the basis'
    source per rep and the calibration's ``info``."""
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
    draws = annual_draws(
        model,
        settings.calibration_trials,
        rng=0 if rng is None else rng,
        progress=progress,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        engine=engine,
    )
    annual, info = calibrate_annual(
        draws[:, pos],
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


def _mean_se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")


def _weights(func: str, weights, n_reps: int, names: list[str]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_reps,):
        raise SpecError(
            f"{func}: weights must have one value per rep, shape ({n_reps},), got shape "
            f"{w.shape}. Give them in the order of the draws' columns."
        )
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        i = int(bad[0])
        raise SpecError(
            f"{func}: weights must be finite and >= 0; {names[i]} has {float(w[i])!r} "
            f"({bad.size} such values). Use 0 for a rep who should carry no quota."
        )
    if not (w > 0).any():
        raise SpecError(
            f"{func}: every weight is 0 ({n_reps} reps); at least one rep must carry quota. "
            "Pass positive weights, or leave weights out to use the mean draws."
        )
    return w


# ----------------------------------------------------------------------------- diagnostics


@dataclass(frozen=True)
class QuotaDiagnostics:
    """How achievable, fair and feasible a set of quotas is, judged on simulated bookings.

    Attributes
    ----------
    reps : DataFrame
        One row per rep: ``rep_id, annual_quota, expected_bookings,
        expected_attainment, p_at_quota, p_at_quota_se, attainment_p10,
        attainment_p50, attainment_p90, potential, quota_to_potential, history,
        quota_to_history, ote, quota_to_ote, flag_potential, flag_growth,
        flag_unlikely, feasible, flags`` (NaN where an input was not given).
    overall : DataFrame
        Columns ``metric, label, value, se, p10, p50, p90, over``: ``over`` says what
        the percentiles run over (``"trials"``, ``"rep-trials"`` or ``"reps"``).
    attainment : DataFrame
        Quantiles of attainment over every rep-trial: ``quantile, attainment``.
    histogram : DataFrame
        Attainment histogram over every rep-trial: ``lo, hi, count, share``.
    rules : dict
        The feasibility thresholds used.
    n_trials : int
    """

    reps: pd.DataFrame
    overall: pd.DataFrame
    attainment: pd.DataFrame
    histogram: pd.DataFrame
    rules: dict = field(default_factory=dict)
    n_trials: int = 0

    def value(self, metric: str) -> float:
        """The ``value`` of one row of :attr:`overall`."""
        row = self.overall.loc[self.overall["metric"] == metric, "value"]
        if row.empty:
            have = ", ".join(self.overall["metric"])
            raise KeyError(f"no metric {metric!r} in the diagnostics; have {have}.")
        return float(row.iloc[0])

    def describe(self, currency: str | None = None) -> str:
        """A few plain lines for a planner: achievability, fairness, feasibility.

        ``currency`` (the plan's ISO code) writes the sums as money (``$139M``);
        without it they are plain whole numbers.
        """
        o = self.overall.set_index("metric")
        r = self.reps

        def money(x: float) -> str:
            if currency is None or not np.isfinite(x):
                return f"{x:,.0f}"
            return format_money(x, currency=currency)

        def pct(x: float) -> str:
            return "n/a" if not np.isfinite(x) else f"{x:.0%}"

        def corr(name: str) -> str:
            x = float(o.loc[name, "value"])
            return "n/a" if not np.isfinite(x) else f"{x:+.2f}"

        share = o.loc["share_at_quota"]
        spread = o.loc["p_at_quota_spread"]
        lines = [
            f"Quotas of {int(o.loc['n_reps', 'value'])} reps judged on {self.n_trials:,} "
            "simulated years.",
            f"Sum of quotas {money(o.loc['sum_of_quotas', 'value'])} against a company target "
            f"of {money(o.loc['company_target', 'value'])}: over-assignment "
            f"{o.loc['over_assignment', 'value']:+.1%}.",
            f"Reps expected at or above quota: {pct(share['value'])} (P10-P90 over trials "
            f"{pct(share['p10'])}-{pct(share['p90'])}); company target reached in "
            f"{pct(o.loc['p_company_target', 'value'])} of trials.",
            f"Median attainment {pct(o.loc['attainment', 'p50'])}, P10-P90 "
            f"{pct(o.loc['attainment', 'p10'])}-{pct(o.loc['attainment', 'p90'])} "
            "(every rep and trial).",
            f"Chance of reaching quota differs by rep: sd {pct(spread['value'])}, P10-P90 "
            f"across reps {pct(spread['p10'])}-{pct(spread['p90'])}.",
            "Fairness, correlation of expected attainment across reps with potential: "
            f"Pearson {corr('corr_attainment_potential_pearson')}, Spearman "
            f"{corr('corr_attainment_potential_spearman')}; with last year's bookings: Pearson "
            f"{corr('corr_attainment_history_pearson')}, Spearman "
            f"{corr('corr_attainment_history_spearman')} (near 0 is fair).",
        ]
        flagged = r[~r["feasible"]]
        rules = self.rules
        if len(flagged):
            ids = ", ".join(flagged["rep_id"].astype(str).head(8))
            more = ", ..." if len(flagged) > 8 else ""
            lines.append(
                f"{len(flagged)} quota(s) flagged ({ids}{more}): "
                f"above {rules['max_share_of_potential']:.0%} of potential: "
                f"{int(r['flag_potential'].sum())}; more than {rules['max_growth']:.0%} above "
                f"last year: {int(r['flag_growth'].sum())}; reached in under "
                f"{rules['min_probability']:.0%} of trials: {int(r['flag_unlikely'].sum())}."
            )
        else:
            lines.append("No quota is flagged infeasible.")
        return "\n".join(lines)


def _per_rep(name: str, value, rep_ids: tuple[str, ...]) -> np.ndarray | None:
    """One finite value per rep: an array in rep order, or a Series/mapping by rep id."""
    if value is None:
        return None
    if isinstance(value, pd.Series) and not isinstance(value.index, pd.RangeIndex):
        s = value.copy()
        s.index = s.index.astype(str)
        missing = [r for r in rep_ids if r not in s.index]
        if missing:
            raise SpecError(
                f"quota_diagnostics: {name} has no value for rep {missing[0]!r} "
                f"({len(missing)} reps missing); give one value per rep of the quotas."
            )
        arr = s.reindex(list(rep_ids)).to_numpy(float)
    elif isinstance(value, Mapping):
        return _per_rep(name, pd.Series(dict(value)), rep_ids)
    else:
        arr = np.asarray(value, dtype=float)
        if arr.shape != (len(rep_ids),):
            raise SpecError(
                f"quota_diagnostics: {name} must have one value per rep, shape "
                f"({len(rep_ids)},), in the order of quotas.rep_ids, got shape {arr.shape}. "
                "Or pass a Series indexed by rep_id."
            )
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        i = int(bad[0])
        raise SpecError(
            f"quota_diagnostics: {name} must be finite and >= 0; rep {rep_ids[i]!r} has "
            f"{float(arr[i])!r} ({bad.size} such values). Fix or drop those values."
        )
    return arr


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import rankdata

    ok = np.isfinite(x) & np.isfinite(y)
    return _pearson(rankdata(x[ok]), rankdata(y[ok]))


def _ordered_draws(func: str, draws, rep_ids: tuple[str, ...]) -> np.ndarray:
    """The draws as an array in the order of ``rep_ids`` (a DataFrame by its columns)."""
    if isinstance(draws, pd.DataFrame):
        cols = pd.Index(draws.columns.astype(str))
        missing = [r for r in rep_ids if r not in cols]
        if missing:
            raise SpecError(
                f"{func}: draws has no column for rep {missing[0]!r} ({len(missing)} reps "
                "missing); draw the bookings of every rep of the quotas."
            )
        draws = draws.set_axis(cols, axis=1)[list(rep_ids)]
    return _as_draws(func, draws, len(rep_ids))


def _diagnostic_rules(
    func: str, max_share_of_potential, max_growth, min_probability
) -> dict[str, float]:
    """The feasibility thresholds, each a finite number >= 0."""
    given = {
        "max_share_of_potential": (max_share_of_potential, 0.5),
        "max_growth": (max_growth, 0.5),
        "min_probability": (min_probability, 0.1),
    }
    for name, (v, default) in given.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise SpecError(
                f"{func}: {name} must be a finite number >= 0, got {v!r}; the default is "
                f"{name}={default}."
            )
    return {name: float(v) for name, (v, _default) in given.items()}


@dataclass(frozen=True, eq=False)
class _Attainment:
    """Each rep's quota against the draws: attainment and hits per trial, and per rep."""

    q: np.ndarray  # annual quota per rep
    has: np.ndarray  # whether the rep has a quota above 0
    att: np.ndarray  # (trials, reps) bookings / quota, NaN without a quota
    hit: np.ndarray  # (trials, reps) bookings >= quota
    p_at: np.ndarray  # P(bookings >= quota) per rep, NaN without a quota
    expected: np.ndarray  # mean bookings per rep
    expected_att: np.ndarray  # mean bookings / quota per rep
    pct: np.ndarray  # (3, reps) attainment P10, P50, P90

    @property
    def n_trials(self) -> int:
        return self.att.shape[0]

    def ratio(self, den: np.ndarray | None, zero: float) -> np.ndarray:
        """Quota over ``den`` per rep; ``zero`` where ``den`` is 0, NaN without a quota."""
        if den is None:
            return np.full(self.q.size, np.nan)
        q, has = self.q, self.has
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, q / np.where(den > 0, den, 1.0), np.where(has, zero, np.nan))


def _attainment(quotas: Quotas, arr: np.ndarray) -> _Attainment:
    """Attainment of every rep and trial, and each rep's chance of reaching quota."""
    q = np.asarray(quotas.annual, dtype=float)
    has = q > 0
    safe_q = np.where(has, q, 1.0)
    att = np.where(has[None, :], arr / safe_q[None, :], np.nan)
    hit = arr >= q[None, :]
    p_at = np.where(has, hit.mean(axis=0), np.nan)
    exp_b = arr.mean(axis=0)
    exp_att = np.where(has, exp_b / safe_q, np.nan)
    pct = np.where(has[None, :], np.percentile(arr, [10, 50, 90], axis=0) / safe_q, np.nan)
    return _Attainment(q, has, att, hit, p_at, exp_b, exp_att, pct)


def _flag_reps(a: _Attainment, to_pot, to_hist, rules: dict[str, float]) -> dict[str, Any]:
    """Each rep's flags by rule, whether it is feasible, and the reasons in words."""
    share, growth, least = (
        rules["max_share_of_potential"],
        rules["max_growth"],
        rules["min_probability"],
    )
    flag_pot = a.has & (to_pot > share)
    flag_growth = a.has & (to_hist > 1.0 + growth)
    flag_unlikely = a.has & (a.p_at < least)
    reasons = []
    for i in range(a.q.size):
        why = []
        if flag_pot[i]:
            why.append(f"quota {to_pot[i]:.0%} of potential > {share:.0%}")
        if flag_growth[i]:
            why.append(f"quota {to_hist[i] - 1:+.0%} vs last year > +{growth:.0%}")
        if flag_unlikely[i]:
            why.append(f"reached in {a.p_at[i]:.0%} of trials < {least:.0%}")
        reasons.append("; ".join(why))
    return {
        "flag_potential": flag_pot,
        "flag_growth": flag_growth,
        "flag_unlikely": flag_unlikely,
        "feasible": ~(flag_pot | flag_growth | flag_unlikely),
        "flags": reasons,
    }


def _rep_table(rep_ids, a: _Attainment, pot, hist, ote, rules) -> pd.DataFrame:
    """One row per rep: quota, attainment, the ratios to potential, history and OTE, flags."""
    nan = np.full(len(rep_ids), np.nan)
    to_pot = a.ratio(pot, np.inf)  # a quota on a territory without potential: infinitely high
    to_hist = a.ratio(hist, np.nan)  # a rep without history cannot be judged on growth
    n = a.n_trials
    return pd.DataFrame(
        {
            "rep_id": list(rep_ids),
            "annual_quota": a.q,
            "expected_bookings": a.expected,
            "expected_attainment": a.expected_att,
            "p_at_quota": a.p_at,
            "p_at_quota_se": np.sqrt(a.p_at * (1.0 - a.p_at) / n),
            "attainment_p10": a.pct[0],
            "attainment_p50": a.pct[1],
            "attainment_p90": a.pct[2],
            "potential": nan if pot is None else pot,
            "quota_to_potential": to_pot,
            "history": nan if hist is None else hist,
            "quota_to_history": to_hist,
            "ote": nan if ote is None else ote,
            "quota_to_ote": a.ratio(ote, np.nan),
            **_flag_reps(a, to_pot, to_hist, rules),
        }
    )


def _spread(values: np.ndarray) -> tuple[float, float, float]:
    """P10, P50 and P90 of ``values`` (NaN when empty)."""
    if not values.size:
        return (np.nan, np.nan, np.nan)
    lo, mid, hi = np.percentile(values, [10, 50, 90])
    return float(lo), float(mid), float(hi)


def _overall_table(a: _Attainment, arr, target: float, pot, hist, feasible) -> pd.DataFrame:
    """The company-level figures: target, over-assignment, chances, attainment, fairness."""
    n = a.n_trials
    has = a.has
    share_t = a.hit[:, has].mean(axis=1) if has.any() else np.full(n, np.nan)
    company = arr.sum(axis=1)
    hit_company = float((company >= target).mean())
    att_all = a.att[:, has].ravel()
    p_rep = a.p_at[has]
    na3 = (np.nan, np.nan, np.nan)
    sum_q = float(a.q.sum())
    p_sd = p_rep.std(ddof=1) if p_rep.size > 1 else np.nan
    # metric, label, value, se, (p10, p50, p90), what the percentiles run over
    table = [
        ("n_reps", "Reps with a quota", has.sum(), np.nan, na3, ""),
        ("company_target", "Company target", target, np.nan, na3, ""),
        ("sum_of_quotas", "Sum of the reps' quotas", sum_q, np.nan, na3, ""),
        ("over_assignment", "Over-assignment (sum of quotas / target - 1)", sum_q / target - 1,
         np.nan, na3, ""),
        ("expected_company_bookings", "Company bookings", company.mean(), _mean_se(company),
         _spread(company), "trials"),
        ("p_company_target", "Probability of reaching the company target", hit_company,
         math.sqrt(hit_company * (1 - hit_company) / n), na3, ""),
        ("share_at_quota", "Share of reps at or above quota", np.mean(share_t),
         _mean_se(share_t), _spread(share_t), "trials"),
        ("attainment", "Attainment (bookings / quota)",
         np.mean(att_all) if att_all.size else np.nan, np.nan, _spread(att_all), "rep-trials"),
        ("p_at_quota_spread", "Spread across reps of P(at quota): sd", p_sd, np.nan,
         _spread(p_rep), "reps"),
    ]  # fmt: skip
    nan = np.full(a.q.size, np.nan)
    for what, x in (("potential", pot), ("history", hist)):
        xs = nan if x is None else x
        for kind, fn in (("pearson", _pearson), ("spearman", _spearman)):
            label = f"{kind.title()} correlation across reps of expected attainment with {what}"
            value = fn(a.expected_att[has], xs[has])
            table.append((f"corr_attainment_{what}_{kind}", label, value, np.nan, na3, ""))
    n_flagged = int((~feasible & has).sum())
    table.append(("n_flagged", "Reps flagged infeasible", n_flagged, np.nan, na3, ""))
    rows = [
        {"metric": m, "label": lab, "value": float(v), "se": float(se), "p10": pc[0],
         "p50": pc[1], "p90": pc[2], "over": over}
        for m, lab, v, se, pc, over in table
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _attainment_distribution(att_all: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quantiles and the histogram (:data:`HIST_EDGES`) of attainment over rep-trials."""
    qs = np.quantile(att_all, ATTAINMENT_QUANTILES) if att_all.size else np.full(7, np.nan)
    attainment = pd.DataFrame({"quantile": ATTAINMENT_QUANTILES, "attainment": qs})
    counts, _ = np.histogram(np.clip(att_all, 0.0, None), bins=HIST_EDGES)
    share = counts / max(att_all.size, 1)
    histogram = pd.DataFrame(
        {"lo": HIST_EDGES[:-1], "hi": HIST_EDGES[1:], "count": counts, "share": share}
    )
    return attainment, histogram


def quota_diagnostics(
    quotas: Quotas,
    draws: npt.ArrayLike | pd.DataFrame,
    *,
    potential: npt.ArrayLike | pd.Series | None = None,
    history: npt.ArrayLike | pd.Series | None = None,
    base_salary: npt.ArrayLike | pd.Series | None = None,
    target_incentive: npt.ArrayLike | pd.Series | None = None,
    max_share_of_potential: float = 0.5,
    max_growth: float = 0.5,
    min_probability: float = 0.10,
) -> QuotaDiagnostics:
    """Judge quotas against simulated bookings, territory potential, history and pay.

    Parameters
    ----------
    quotas : Quotas
        The quotas; their annual sums are judged.
    draws : array_like or DataFrame, shape (n_trials, n_reps)
        Annual bookings draws in the order of ``quotas.rep_ids``
        (:func:`annual_draws` of the model fitted for those reps); a DataFrame
        with rep ids as columns is put in that order.
    potential, history : array_like (n_reps,) or Series by rep_id, optional
        Each rep's territory potential and last year's bookings, in money. For reps
        who were not there all year pass an annualised figure, or they are flagged
        for growth they will not need.
    base_salary, target_incentive : array_like (n_reps,) or Series by rep_id, optional
        Annual pay, for the quota-to-OTE ratio (both needed).
    max_share_of_potential : float, default 0.5
        Flag a quota above this share of its territory's potential. No published
        benchmark: set it to the market share a rep could plausibly win; the sample's
        history quotas are about 20% of potential (median).
    max_growth : float, default 0.5
        Flag a quota more than this much above last year's bookings (0.5: more than
        1.5 times). Reps with no history are not judged.
    min_probability : float, default 0.10
        Flag a quota reached in fewer than this share of trials (out of reach in
        practice; companies aim for 60-70% of reps at quota).

    Returns
    -------
    QuotaDiagnostics

    Notes
    -----
    Per rep ``r`` with annual quota ``q_r`` and draws ``B_tr``: expected attainment
    ``E[B_r] / q_r``; ``P(B_r >= q_r)`` with binomial standard error; attainment
    percentiles (numpy's linear method, as ``spm_sim.metrics``). Overall: share at
    quota per trial ``mean_r 1[B_tr >= q_r]`` (reps with quota 0 left out),
    averaged over trials, standard error ``sd / sqrt(n)``; company bookings
    ``sum_r B_tr`` against the company target. Fairness: Pearson and Spearman
    (average ranks) correlations across reps of expected attainment with potential
    and with history; a positive value means richer territories (or last year's
    winners) got relatively easier quotas. Spread: standard deviation and
    P10/P90 across reps of ``P(B_r >= q_r)``.

    Raises
    ------
    SpecError
        If ``draws`` is not finite or not one column per rep; a per-rep input has the
        wrong length, a missing rep, or a negative or non-finite value; a threshold is
        not positive.

    Examples
    --------
    >>> from spm_sim.quota import Quotas, QuotaSettings
    >>> q = Quotas(rep_ids=("A", "B"), periods=("2026-01",), values=np.array([[10.0], [20.0]]),
    ...            company_target=30.0, settings=QuotaSettings(), basis=pd.DataFrame())
    >>> draws = np.array([[8.0, 25.0], [12.0, 15.0], [10.0, 30.0], [6.0, 10.0]])
    >>> d = quota_diagnostics(q, draws, potential=[50.0, 30.0])
    >>> d.reps[["rep_id", "p_at_quota", "quota_to_potential", "feasible"]]
      rep_id  p_at_quota  quota_to_potential  feasible
    0      A        0.50            0.200000      True
    1      B        0.50            0.666667     False
    >>> d.value("share_at_quota"), d.value("over_assignment")
    (0.5, 0.0)
    """
    func = "quota_diagnostics"
    rep_ids = tuple(str(r) for r in quotas.rep_ids)
    arr = _ordered_draws(func, draws, rep_ids)
    rules = _diagnostic_rules(func, max_share_of_potential, max_growth, min_probability)
    a = _attainment(quotas, arr)
    pot = _per_rep("potential", potential, rep_ids)
    hist = _per_rep("history", history, rep_ids)
    base = _per_rep("base_salary", base_salary, rep_ids)
    ti = _per_rep("target_incentive", target_incentive, rep_ids)
    ote = None if base is None or ti is None else base + ti
    reps = _rep_table(rep_ids, a, pot, hist, ote, rules)
    feasible = reps["feasible"].to_numpy(bool)
    overall = _overall_table(a, arr, float(quotas.company_target), pot, hist, feasible)
    attainment, histogram = _attainment_distribution(a.att[:, a.has].ravel())
    return QuotaDiagnostics(reps, overall, attainment, histogram, rules=rules, n_trials=a.n_trials)
