"""Each rep's win rate and sales cycle from the pipeline history, shrunk toward the team's.

A rep with 300 closed opportunities has a win rate of their own; a rep with 8 has
mostly noise. Both are read here as the book allows:

* **Win rates: beta-binomial empirical Bayes.** Rep ``r`` won ``w_r`` of ``n_r``
  closed (won or lost) opportunities. Their rate ``p_r ~ Beta(a, b)`` across reps;
  ``a`` and ``b`` maximise the beta-binomial marginal likelihood of every rep's
  ``(w_r, n_r)`` (the spread of the raw rates beyond what their sample sizes explain
  is the reps' real spread). Each rep's rate is the posterior mean
  ``(w_r + a) / (n_r + a + b)``, a weighted mean of their own rate (weight
  ``n_r / (n_r + a + b)``) and the team's ``a / (a + b)``; its standard error is the
  posterior's, ``sqrt(m (1 - m) / (n_r + a + b + 1))``. When the raw rates spread no
  more than binomial noise, ``a + b`` is infinite: every rep gets the team's rate.
* **Sales cycles: log-normal with rep effects shrunk.** The days from creation to
  close of rep ``r``'s won opportunities: ``log d = mu + u_r + e``, ``u_r ~ N(0,
  tau^2)``, ``e ~ N(0, sigma^2)``. ``sigma^2`` is the pooled within-rep variance,
  ``tau^2`` the variance of the reps' mean logs beyond ``sigma^2 / n_r`` (method of
  moments, at least 0), ``mu`` their precision-weighted mean. A rep's log-cycle is
  ``mu + k_r (ybar_r - mu)``, ``k_r = tau^2 / (tau^2 + sigma^2 / n_r)``, with standard
  error ``sqrt(k_r sigma^2 / n_r)``; their mean cycle is
  ``exp(log-cycle + sigma^2 / 2)`` days (the log-normal mean).

Only opportunities closed by ``as_of`` are read (no later outcome). Cycles are those
of won opportunities: a history that starts recently has fewer long cycles in it,
which biases every rep's cycle short by the same factor (the rep effects, ratios,
are what :func:`opportunity_from_book` carries by default).

A private module of :mod:`spm_sim.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spm_sim.errors import CapacityError, DataError

from .model import Opportunity

__all__ = ["fit_rep_rates", "opportunity_from_book", "beta_binomial_prior"]

#: ``a + b`` of the prior beyond which the reps are taken as one (no spread).
MAX_PRIOR_N = 1e6


def _betaln(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    from scipy.special import gammaln  # loaded when rates are fitted

    return gammaln(a) + gammaln(b) - gammaln(np.add(a, b))


def beta_binomial_prior(won: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """The ``Beta(a, b)`` prior of the reps' win rates that maximises the beta-binomial
    marginal likelihood of their ``won`` out of ``n``.

    Parametrised by the mean ``m = a / (a + b)`` and the prior size ``s = a + b``; ``s``
    is searched on a log grid then refined (the likelihood in ``m`` for a given ``s``
    is smooth and one-peaked). ``s`` is :data:`MAX_PRIOR_N` when the rates spread no
    more than binomial noise (every rep then gets the team's rate).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(20, 60, 400)  # reps' true rates: mean 0.25, prior size 80
    >>> n = np.full(400, 200)
    >>> a, b = beta_binomial_prior(rng.binomial(n, p), n)
    >>> abs(a / (a + b) - 0.25) < 0.02, 40 < a + b < 160
    (True, True)
    """
    from scipy.optimize import minimize_scalar  # loaded when rates are fitted

    won = np.asarray(won, dtype=float)
    n = np.asarray(n, dtype=float)
    keep = n > 0
    won, n = won[keep], n[keep]
    if n.size == 0:
        raise CapacityError("no rep has a closed opportunity: no win rate can be fitted")
    pooled = float(won.sum() / n.sum())
    if pooled <= 0.0 or pooled >= 1.0:
        # every opportunity won (or lost): the rates cannot spread; the team's for all
        m = min(max(pooled, 0.5 / n.sum()), 1.0 - 0.5 / n.sum())
        return m * MAX_PRIOR_N, (1.0 - m) * MAX_PRIOR_N

    def nll(m: float, s: float) -> float:
        a, b = m * s, (1.0 - m) * s
        return -float((_betaln(won + a, n - won + b) - _betaln(a, b)).sum())

    def best_m(s: float) -> tuple[float, float]:
        res = minimize_scalar(
            lambda x: nll(1.0 / (1.0 + math.exp(-x)), s),
            bracket=(math.log(pooled / (1 - pooled)) - 0.5, math.log(pooled / (1 - pooled)) + 0.5),
        )
        m = 1.0 / (1.0 + math.exp(-float(res.x)))
        return m, float(res.fun)

    grid = np.geomspace(0.5, MAX_PRIOR_N, 60)
    fits = [best_m(float(s)) for s in grid]
    i = int(np.argmin([f for _, f in fits]))
    if i == len(grid) - 1:  # no spread beyond noise: the reps are one
        m = fits[i][0]
        return m * MAX_PRIOR_N, (1.0 - m) * MAX_PRIOR_N
    lo, hi = math.log(grid[max(i - 1, 0)]), math.log(grid[min(i + 1, len(grid) - 1)])
    res = minimize_scalar(lambda x: best_m(math.exp(x))[1], bounds=(lo, hi), method="bounded")
    s = math.exp(float(res.x))
    m = best_m(s)[0]
    return m * s, (1.0 - m) * s


def _cycle_effects(log_days: pd.Series, rep: pd.Series) -> tuple[pd.DataFrame, dict]:
    """Each rep's shrunk mean log-cycle (and SE) and the model's ``mu, sigma, tau``."""
    g = log_days.groupby(rep)
    n = g.size().astype(float)
    mean = g.mean()
    within = ((log_days - rep.map(mean)) ** 2).groupby(rep).sum()
    dof = float((n - 1).sum())
    sigma2 = float(within.sum() / dof) if dof > 0 else float(log_days.var(ddof=0) or 0.0)
    sigma2 = max(sigma2, 1e-12)
    # tau^2 by moments: the spread of the reps' means beyond their sampling variance
    mu0 = float(log_days.mean())
    tau2 = max(float(((mean - mu0) ** 2).mean() - (sigma2 / n).mean()), 0.0) if len(n) > 1 else 0.0
    if tau2 > 0:
        w = 1.0 / (tau2 + sigma2 / n)
        mu = float((w * mean).sum() / w.sum())
        k = tau2 / (tau2 + sigma2 / n)
    else:
        mu = mu0
        k = pd.Series(0.0, index=n.index)
    shrunk = mu + k * (mean - mu)
    se = np.sqrt(np.where(k > 0, k * sigma2 / n, sigma2 / max(float(n.sum()), 1.0)))
    frame = pd.DataFrame(
        {"won_cycles": n.astype(int), "log_cycle": shrunk, "log_cycle_se": se, "raw_log": mean}
    )
    return frame, {"mu": mu, "sigma": math.sqrt(sigma2), "tau": math.sqrt(tau2)}


def fit_rep_rates(
    pipeline: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str | None = None,
    reps: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each rep's win rate and sales cycle from their closed opportunities, shrunk.

    Parameters
    ----------
    pipeline : DataFrame
        Opportunities with ``rep_id``, ``status`` (``won``, ``lost`` or ``open``),
        ``created_date`` and ``closed_date`` (a book's ``pipeline``).
    as_of : date, optional
        Only opportunities closed on or before it are read (default: all closed).
    reps : sequence of str, optional
        The reps wanted, in order (default: every rep with a closed opportunity,
        sorted). A rep without any gets the team's figures (shrinkage weight 0).

    Returns
    -------
    DataFrame
        Index ``rep_id``; ``opportunities`` (closed), ``won``, ``raw_win_rate``,
        ``win_rate`` (shrunk) and ``win_rate_se`` (the posterior's spread around the
        team rate, plus the team rate's own sampling variance ``m (1 - m) / N`` over
        the ``N`` closed opportunities, weighted by ``(1 - shrinkage)^2``: never
        far below the team rate's standard error), ``shrinkage`` (the weight of the
        rep's own record, ``n / (n + a + b)``), ``won_cycles``, ``raw_cycle_days``
        (geometric mean of their won cycles), ``cycle_days`` (shrunk mean,
        log-normal), ``cycle_days_median`` and ``log_cycle_se``. ``attrs``:
        ``team_win_rate`` (``a / (a + b)``), ``prior_a``, ``prior_b``,
        ``prior_n`` (``a + b``: opportunities the prior weighs as), ``cycle_mu``,
        ``cycle_sigma``, ``cycle_tau``, ``team_cycle_days`` and ``as_of``.

    Raises
    ------
    DataError
        When a column is missing, a status is not won/lost/open, or no opportunity
        is closed by ``as_of``.

    Examples
    --------
    >>> pipe = pd.DataFrame({
    ...     "rep_id": ["R1"] * 40 + ["R2"] * 40 + ["R3"] * 4,
    ...     "status": (["won"] * 30 + ["lost"] * 10) + (["won"] * 10 + ["lost"] * 30)
    ...               + ["won"] * 4,
    ...     "created_date": pd.Timestamp("2025-01-01"),
    ...     "closed_date": pd.Timestamp("2025-03-01")})
    >>> rates = fit_rep_rates(pipe)
    >>> rates["raw_win_rate"].round(2).tolist()
    [0.75, 0.25, 1.0]
    >>> bool(rates.loc["R3", "win_rate"] < 0.9)  # four wins in four: shrunk a long way
    True
    """
    need = {"rep_id", "status", "created_date", "closed_date"}
    missing = sorted(need - set(pipeline.columns))
    if missing:
        raise DataError(
            f"fitting win rates needs the pipeline columns {sorted(need)}; missing {missing}",
            file="pipeline",
            column=missing[0],
        )
    status = pipeline["status"].astype(str).str.lower().str.strip()
    bad = ~status.isin(["won", "lost", "open", "", "nan", "none"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"status {pipeline['status'].iloc[row]!r} is not won, lost or open (or empty for "
            "open); correct the cell",
            file="pipeline",
            row=row + 2,  # the file's line: the header is line 1
            column="status",
            value=pipeline["status"].iloc[row],
        )
    closed_on = pd.to_datetime(pipeline["closed_date"], errors="coerce")
    closed = status.isin(["won", "lost"]) & closed_on.notna()
    if as_of is not None:
        closed &= closed_on <= pd.Timestamp(as_of)
    pipe = pipeline.loc[closed]
    if pipe.empty:
        when = f" by {pd.Timestamp(as_of).date()}" if as_of is not None else ""
        raise DataError(
            f"no opportunity was won or lost{when}: no win rate can be fitted "
            "(the pipeline needs closed opportunities with a status and a closed_date)",
            file="pipeline",
            column="status",
        )
    rep = pipe["rep_id"].astype(str)
    won_flag = status.loc[pipe.index] == "won"
    by = pd.DataFrame({"rep": rep, "won": won_flag.astype(float)}).groupby("rep")["won"]
    n = by.size().astype(float)
    won = by.sum()
    a, b = beta_binomial_prior(won.to_numpy(), n.to_numpy())
    order = sorted(n.index) if reps is None else [str(r) for r in reps]
    n = n.reindex(order, fill_value=0.0)
    won = won.reindex(order, fill_value=0.0)
    post = (won + a) / (n + a + b)
    out = pd.DataFrame(index=pd.Index(order, name="rep_id"))
    out["opportunities"] = n.astype(int)
    out["won"] = won.astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["raw_win_rate"] = np.where(n > 0, won / n.where(n > 0, 1.0), np.nan)
    out["win_rate"] = post
    weight = n / (n + a + b)
    # The posterior's own variance treats the team rate a / (a + b) as known; it is
    # itself estimated from the pooled record, with sampling variance m (1 - m) / N.
    # A rep's shrunk rate carries that with the weight on the team rate, (1 - w)^2,
    # so a rep shrunk wholly to the team's is as uncertain as the team's rate itself.
    team = a / (a + b)
    team_var = team * (1 - team) / max(float(n.sum()), 1.0)
    out["win_rate_se"] = np.sqrt(post * (1 - post) / (n + a + b + 1) + (1 - weight) ** 2 * team_var)
    out["shrinkage"] = weight

    # cycles of the won opportunities (at least a day)
    w = pipe.loc[won_flag]
    days = (closed_on.loc[w.index] - pd.to_datetime(w["created_date"])).dt.days.clip(lower=1)
    ok = days.notna()
    if not ok.any():
        raise DataError(
            "no won opportunity has a created_date and a closed_date: no cycle can be fitted",
            file="pipeline",
            column="created_date",
        )
    log_days = np.log(days[ok].astype(float))
    cycles, par = _cycle_effects(log_days, w.loc[ok, "rep_id"].astype(str))
    cycles = cycles.reindex(order)
    none = cycles["won_cycles"].isna()
    sigma2 = par["sigma"] ** 2
    cycles.loc[none, "won_cycles"] = 0
    cycles.loc[none, "log_cycle"] = par["mu"]
    cycles.loc[none, "log_cycle_se"] = par["tau"]  # no cycle of their own: the spread
    out["won_cycles"] = cycles["won_cycles"].astype(int)
    out["raw_cycle_days"] = np.exp(cycles["raw_log"])
    out["cycle_days"] = np.exp(cycles["log_cycle"] + sigma2 / 2)
    out["cycle_days_median"] = np.exp(cycles["log_cycle"])
    out["log_cycle_se"] = cycles["log_cycle_se"]
    out.attrs.update(
        {
            "team_win_rate": a / (a + b),
            "prior_a": a,
            "prior_b": b,
            "prior_n": a + b,
            "cycle_mu": par["mu"],
            "cycle_sigma": par["sigma"],
            "cycle_tau": par["tau"],
            "team_cycle_days": math.exp(par["mu"] + sigma2 / 2),
            "as_of": None if as_of is None else str(pd.Timestamp(as_of).date()),
        }
    )
    return out


def opportunity_from_book(
    opportunity: Opportunity,
    rates: pd.DataFrame,
    reps: Sequence[str] | None = None,
    *,
    relative: bool = True,
) -> Opportunity:
    """``opportunity`` with each last-stage seat's win rate and cycle from ``rates``.

    Parameters
    ----------
    opportunity : Opportunity
        The team's figures (e.g. the configuration's).
    rates : DataFrame
        From :func:`fit_rep_rates`.
    reps : sequence of str, optional
        The rep in each seat, seat 0 first (default: ``rates``' reps in order).
        A rep not in ``rates`` gets the team's figures.
    relative : bool, default True
        Carry each rep's figures as ratios to the team's (``rep rate / team rate``
        times ``opportunity.win_rate``, capped at 1; the cycle likewise), so the
        configuration keeps its own level (inbound opportunities are not the book's
        pipeline) and the reps their spread. ``False`` takes the fitted figures as
        they are.

    Examples
    --------
    >>> rates = pd.DataFrame({"win_rate": [0.4, 0.2], "cycle_days": [60.0, 120.0]},
    ...                      index=pd.Index(["R1", "R2"], name="rep_id"))
    >>> rates.attrs.update(team_win_rate=0.3, team_cycle_days=90.0)
    >>> o = opportunity_from_book(Opportunity(win_rate=0.15, cycle_days=45), rates)
    >>> [round(x, 3) for x in o.seat_win_rates], o.seat_cycle_days
    ([0.2, 0.1], (30.0, 60.0))
    """
    seats = list(rates.index) if reps is None else [str(r) for r in reps]
    win = rates["win_rate"].reindex(seats)
    cycle = rates["cycle_days"].reindex(seats)
    if relative:
        team_w = float(rates.attrs.get("team_win_rate", np.nan))
        team_c = float(rates.attrs.get("team_cycle_days", np.nan))
        if not (team_w > 0 and team_c > 0):
            raise CapacityError(
                "opportunity_from_book: rates need attrs team_win_rate and team_cycle_days "
                "(as fit_rep_rates gives) to carry the reps' figures as ratios"
            )
        win = (win / team_w * opportunity.win_rate).clip(upper=1.0)
        cycle = cycle / team_c * opportunity.cycle_days
    win = win.fillna(opportunity.win_rate)
    cycle = cycle.fillna(opportunity.cycle_days).clip(upper=3650.0)
    return opportunity.replace(
        seat_win_rates=tuple(float(x) for x in win),
        seat_cycle_days=tuple(float(x) for x in cycle),
    )
