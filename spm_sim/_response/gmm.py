"""Multiplicative panel moments with rep-year levels and predetermined states.

A rep's month ``t`` of year ``i`` books, in expectation given everything before it,

    E[y_it | past] = c_i exp(gamma_month(t) + x_it' beta)

``c_i`` a level of the rep-year (skill, territory, a good or a bad year: anything
fixed within the year), ``gamma`` the month-of-year effects (seasonality),
``x_it`` the states of the month, which depend on the bookings before it (they are
*predetermined*, not strictly exogenous: a rep past quota in June got there by
booking a lot from January to May).

Neither rep fixed effects (a good year is then read as a response: reps who pass
quota early keep booking well) nor rep-year fixed effects (the year's mean then
holds the months that set the state) estimate ``beta`` without bias here. The
forward-mean quasi-difference does (Chamberlain 1992; Wooldridge 1997; Blundell,
Griffith and Windmeijer 2002): with ``r_it = y_it / (Q_i exp(gamma + x' beta))``,

    u_it = r_it - mean_{s > t} r_is,        E[u_it | past of t] = 0

since every ``r_is`` (``s >= t``) has expectation ``c_i / Q_i`` given the past of
``t``. The moments ``sum_i sum_t z_it u_it = 0``, ``z_it`` functions of the past of
``t`` (the states themselves, the month dummies), are solved exactly (as many as
parameters) by Newton's method; the standard errors are the sandwich clustered by
rep (all a rep's years together).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MomentFit", "fit_moments"]


@dataclass(frozen=True)
class MomentFit:
    """Estimates ``coef`` with their covariance ``cov`` (clustered by rep)."""

    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    season: np.ndarray
    n_rep_years: int
    n_reps: int
    converged: bool

    def se(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))


def _residuals(theta, y, w):
    """r (ry, 12), u (ry, 11) and du/dtheta (ry, 11, p)."""
    r = y * np.exp(-np.clip(w @ theta, -50.0, 50.0))
    later = np.cumsum(r[:, ::-1], axis=1)[:, ::-1]  # sum_{s >= t}
    n_after = 12.0 - np.arange(1, 13)  # months after t
    fwd = later[:, 1:] / n_after[None, :-1]
    u = r[:, :-1] - fwd
    rw = r[:, :, None] * w
    later_w = np.cumsum(rw[:, ::-1], axis=1)[:, ::-1]
    du = -rw[:, :-1] + later_w[:, 1:] / n_after[None, :-1, None]
    return u, du


def _larger(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``b``'s correlations with the larger of the two variances of each entry."""
    da, db = np.diag(a), np.diag(b)
    base = np.where(np.isfinite(db) & (db > 0), db, da)
    sd = np.sqrt(np.fmax(da, db))
    safe = np.sqrt(np.where(base > 0, base, 1.0))
    corr = (b if np.all(np.isfinite(db) & (db > 0)) else a) / np.outer(safe, safe)
    return corr * np.outer(sd, sd)


def _solve(theta, y, w, zz, tol, max_iter) -> tuple[np.ndarray, bool]:
    """Newton's method on the moments from ``theta``; (solution, converged)."""
    n = max(y.shape[0], 1)
    theta = theta.copy()
    for _ in range(max_iter):
        u, du = _residuals(theta, y, w)
        g = np.einsum("itp,it->p", zz, u) / n
        jac = np.einsum("itp,itq->pq", zz, du) / n
        try:
            step = np.linalg.solve(jac, -g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(jac, -g, rcond=None)[0]
        big = float(np.max(np.abs(step)))
        if not np.isfinite(big):
            return theta, False
        if big > 1.0:  # damp a step that would overshoot a multiplicative effect
            step = step / big
        theta = theta + step
        if big < 1e-9:
            return theta, True
    return theta, False


def fit_moments(
    y: np.ndarray,
    x: np.ndarray,
    z: np.ndarray,
    names: tuple[str, ...],
    cluster: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 50,
    jackknife: bool = True,
) -> MomentFit:
    """Solve the forward-mean moments.

    Parameters
    ----------
    y : ndarray, shape (n, 12)
        Each rep-year's bookings by month, divided by the rep-year's quota (any
        scale fixed before the year).
    x : ndarray, shape (n, 12, k)
        The states of each month (predetermined).
    z : ndarray, shape (n, 12, k)
        Their instruments: any functions of the bookings before each month (each
        state less its projected mean over the rest of the year, see
        :func:`.panel.rep_year_arrays`).
    names : tuple of str, length k
    cluster : ndarray of int, shape (n,)
        The rep of each rep-year.

    Returns
    -------
    MomentFit
        ``season``: the month-of-year effects (log, January 0).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n = 400
    >>> x = (rng.random((n, 12, 1)) < 0.2).astype(float)
    >>> level = rng.lognormal(0.0, 0.5, (n, 1))
    >>> y = rng.gamma(4.0, level * np.exp(-0.3 * x[..., 0]) / 4.0)
    >>> fit = fit_moments(y, x, x, ("x",), np.arange(n))
    >>> bool(abs(fit.coef[0] + 0.3) < 3 * fit.se()[0])
    True
    """
    y = np.asarray(y, dtype=float)
    n, k = y.shape[0], x.shape[2]
    months = np.broadcast_to(np.eye(12)[None, :, 1:], (n, 12, 11))  # February..December
    w = np.concatenate([x, months], axis=2)
    # instruments of the month effects: January..November (the months with a moment)
    zz = np.concatenate([z, np.broadcast_to(np.eye(12)[None, :, :11], (n, 12, 11))], axis=2)
    zz = zz[:, :-1, :]  # December has no later month in its year
    p = k + 11
    theta, converged = _solve(np.zeros(p), y, w, zz, tol, max_iter)
    u, du = _residuals(theta, y, w)
    jac = np.einsum("itp,itq->pq", zz, du)
    per = np.einsum("itp,it->ip", zz, u)
    groups = np.unique(cluster, return_inverse=True)[1]
    n_g = int(groups.max()) + 1 if groups.size else 0
    per_rep = np.zeros((n_g, p))
    np.add.at(per_rep, groups, per)
    meat = per_rep.T @ per_rep * (n_g / max(n_g - 1, 1))
    try:
        inv = np.linalg.inv(jac)
        cov = inv @ meat @ inv.T
    except np.linalg.LinAlgError:
        cov = np.full((p, p), np.nan)
    if jackknife and n_g > 2:
        # leave one rep out at a time: in small samples the sandwich understates
        # the spread of a moment estimator; the delete-one-cluster jackknife does not
        # (it leans conservative). The larger of the two is kept, entry by entry.
        drops = np.empty((n_g, p))
        solved = np.ones(n_g, dtype=bool)
        for j in range(n_g):
            keep = groups != j
            drops[j], solved[j] = _solve(theta, y[keep], w[keep], zz[keep], tol, 20)
        if solved.all():
            dev = drops - drops.mean(axis=0)
            cov_jk = (n_g - 1) / n_g * dev.T @ dev
            cov = _larger(cov, cov_jk)
        # else: a leave-one-rep-out fit that did not converge would feed the jackknife a
        # number that is not an estimate: the sandwich alone is kept
    return MomentFit(
        tuple(names),
        theta[:k].copy(),
        cov[:k, :k].copy(),
        np.r_[0.0, theta[k:]],
        n,
        n_g,
        converged,
    )
