"""The difference of percentiles of two runs with an interval that keeps its level.

:func:`percentile_difference_interval` (re-exported by :mod:`spm_sim.metrics`) and
its batch form :func:`percentile_differences` (one sort of each run for P10, P50 and
P90 at once, used by :func:`spm_sim.metrics.compare`). The interval is linearised
(Bahadur's representation of a sample percentile, the density estimated as Woodruff
did); the bootstrap (:mod:`~spm_sim._metrics.bootstrap`) takes over where the linear
terms cannot be trusted. Why not the bootstrap throughout: under common random
numbers the paired percentile bootstrap is far too wide (its notes and
tests/test_metrics_coverage.py give the coverage).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .bootstrap import _check_boot, _check_statistic, difference_interval
from .intervals import (
    _NAN,
    BOOTSTRAP_SEED,
    Interval,
    RngLike,
    _check_q,
    _two_runs,
    check_level,
    z_value,
)

__all__ = ["percentile_difference_interval"]

#: Fewest trials for the linearised interval of a difference of percentiles (else the
#: bootstrap).
_LINEAR_MIN_TRIALS = 100
#: Fewest simulated years in which two paired runs fall on different sides of the
#: percentile for the linearised interval: the spread of their difference is estimated
#: from those years alone (else the bootstrap, conservative there).
_LINEAR_MIN_DISCORDANT = 10


def _weights(statistic: float | Mapping[float, float]) -> dict[float, float]:
    """A percentile or a weighted sum of them as ``{q: weight}``, checked."""
    if isinstance(statistic, Mapping):
        checked = _check_statistic(statistic)
        assert isinstance(checked, dict)
        return checked
    if isinstance(statistic, str) or callable(statistic):
        raise ValueError(
            f"statistic must be a percentile as a fraction (0.9 = P90) or a mapping of "
            f"percentiles to weights ({{0.9: 1, 0.5: -1}} = P90 - P50); got {statistic!r}."
        )
    return {_check_q(float(statistic)): 1.0}


class _Side(NamedTuple):
    """One run's values and, per percentile, its estimate and ``1 / density`` there."""

    values: np.ndarray
    at: dict[float, float]
    spread: dict[float, float]


def _side(values: np.ndarray, qs: list[float], level: float) -> _Side:
    """The percentiles ``qs`` of ``values`` and Woodruff's estimate of ``1 / f`` at each:
    ``(x_(q + d) - x_(q - d)) / 2d`` with ``d = z sqrt(q (1 - q) / n)``; 0 on an atom
    (two trials of the same value between those two, as for a share of 80 reps)."""
    ordered = np.sort(values)
    n = ordered.size
    z = z_value(level)
    at, spread = {}, {}
    for q in qs:
        d = z * math.sqrt(q * (1 - q) / n)
        lo, hi = max(q - d, 0.0), min(q + d, 1.0)
        a, b, x_q = np.percentile(ordered, [100 * lo, 100 * hi, 100 * q])
        window = ordered[math.floor(lo * (n - 1)) : math.ceil(hi * (n - 1)) + 1]
        atom = bool((np.diff(window) == 0).any())
        at[q] = float(x_q)
        spread[q] = 0.0 if atom else float((b - a) / (hi - lo))
    return _Side(values, at, spread)


def _linear_terms(side: _Side, weights: Mapping[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, the term of the weighted percentiles' error that is linear in the trials
    (Bahadur: a sample percentile is ``x_q + (q - F_n(x_q)) / f(x_q)`` to first order,
    so trial ``i`` enters through ``1{x_i <= x_q} / f(x_q)``), and which side of each
    percentile the trial is on."""
    psi = np.zeros(side.values.size)
    below = np.empty((len(weights), side.values.size), dtype=bool)
    for k, (q, w) in enumerate(weights.items()):
        below[k] = side.values <= side.at[q]
        psi += w * side.spread[q] * below[k]
    return psi, below


def _linear_half_width(
    x: _Side, y: _Side, weights: Mapping[float, float], paired: bool, level: float
) -> float | None:
    """``z`` standard errors of the difference of the weighted percentiles from their
    linear terms; None when those cannot be trusted (see
    :func:`percentile_difference_interval`)."""
    if min(x.values.size, y.values.size) < _LINEAR_MIN_TRIALS:
        return None
    if not all(s.spread[q] > 0 for s in (x, y) for q in weights):
        return None  # a percentile on an atom
    psi_x, below_x = _linear_terms(x, weights)
    psi_y, below_y = _linear_terms(y, weights)
    if paired:
        if np.count_nonzero((below_x != below_y).any(axis=0)) < _LINEAR_MIN_DISCORDANT:
            return None
        var = float(np.var(psi_x - psi_y, ddof=1)) / x.values.size
    else:
        var = float(np.var(psi_x, ddof=1)) / x.values.size
        var += float(np.var(psi_y, ddof=1)) / y.values.size
    return z_value(level) * math.sqrt(var)


def percentile_differences(
    a: ArrayLike,
    b: ArrayLike,
    statistics: list[dict[float, float]],
    *,
    paired: bool,
    level: float,
    n_boot: int,
    rng: RngLike,
) -> list[Interval]:
    """:func:`percentile_difference_interval` of several statistics of the same two runs
    (each a checked ``{q: weight}``), the runs sorted and read once."""
    level = check_level(level)
    n_boot = _check_boot(n_boot)
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    x, y = _two_runs(x, y, paired=paired)
    if paired and x.size and np.array_equal(x, y):
        return [Interval(0.0, 0.0, 0.0)] * len(statistics)
    if x.size == 0 or y.size == 0:
        return [_NAN] * len(statistics)
    qs = sorted({q for weights in statistics for q in weights})
    sx, sy = _side(x, qs, level), _side(y, qs, level)
    out = []
    for weights in statistics:
        estimate = sum(w * (sx.at[q] - sy.at[q]) for q, w in weights.items())
        if x.size < 2 or y.size < 2:
            out.append(Interval(estimate, math.nan, math.nan))
            continue
        if x.min() == x.max() and y.min() == y.max():  # two constants: a known difference
            out.append(Interval(estimate, estimate, estimate))
            continue
        half = _linear_half_width(sx, sy, weights, paired, level)
        if half is None:
            out.append(
                difference_interval(
                    x, y, statistic=weights, paired=paired, level=level, n_boot=n_boot, rng=rng
                )
            )
        else:
            out.append(Interval(estimate, estimate - half, estimate + half))
    return out


def percentile_difference_interval(
    a: ArrayLike,
    b: ArrayLike,
    statistic: float | Mapping[float, float],
    *,
    paired: bool = True,
    level: float = 0.95,
    n_boot: int = 1_000,
    rng: RngLike = BOOTSTRAP_SEED,
) -> Interval:
    """The difference of a percentile (or of a weighted sum of them) of ``a`` and of ``b``.

    Parameters
    ----------
    a, b : array_like
        One value per trial of two scenarios (``b`` the baseline); values that are
        not finite are left out (pairs with either missing, when paired).
    statistic : float or mapping
        The percentile as a fraction (0.9 = P90), or a weighted sum of percentiles
        (``{0.9: 1, 0.5: -1}`` = P90 - P50, the reserve for a bad year).
    paired : bool, default True
        Trial ``t`` of ``a`` and of ``b`` drew the same sales (common random numbers);
        then both have the same length. Otherwise independent runs of any lengths.
    level : float, default 0.95
    n_boot : int, default 1000
        Bootstrap resamples, where the bootstrap is used (see Notes).
    rng : None, int, SeedSequence or Generator, default BOOTSTRAP_SEED
        Seed of that bootstrap (a constant: the same values, the same interval).

    Returns
    -------
    Interval
        The difference of numpy's linear percentiles and its interval; ``(0, 0, 0)``
        when paired values agree in every trial, NaN ends with fewer than two trials.

    Raises
    ------
    ValueError
        If ``statistic``, ``level`` or ``n_boot`` is out of range, or paired samples
        differ in length.

    Notes
    -----
    To first order a sample percentile is ``x_q + (q - F_n(x_q)) / f(x_q)``
    (Bahadur), so the difference of two percentiles has the variance of the mean of
    ``1{y_i <= y_q} / f_y - 1{x_i <= x_q} / f_x`` (of each run's term apart when
    not paired): the sample variance of those terms over ``n``, with the densities
    estimated as Woodruff did, from the percentiles at ``q +/- z sqrt(q (1 - q) / n)``.
    The interval is the difference plus or minus ``z`` of those standard errors.

    Under common random numbers this is what keeps its level: the paired percentile
    bootstrap (:func:`difference_interval`) resamples the jumps between neighbouring
    simulated years, which do not cancel between the runs, and covers 97-100% at a
    nominal 95% when the runs' years correlate at 0.9 to 0.999, where this interval
    covers 94-97% up to 0.99 (tests/test_metrics_coverage.py measures it at 0.9;
    docs/model.md section 5 gives the rest). The bootstrap is used instead
    (conservative there) when the linear terms cannot be trusted: fewer than 100
    trials, a percentile on an atom (two trials of the same value near it, as for a
    share of 80 reps), or paired runs that fall on different sides of the percentile
    in fewer than 10 simulated years (nearly the same run, where this interval would
    fall short).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.random.default_rng(0)
    >>> base = np.exp(g.normal(0.0, 0.2, size=2_000))
    >>> alt = base * np.exp(0.04 + g.normal(0.0, 0.03, size=2_000))   # 4% more, paired
    >>> est, low, high = percentile_difference_interval(alt, base, 0.9)
    >>> true = np.exp(0.2 * 1.2816) * (np.exp(0.04) - 1)                # 0.0525
    >>> bool(low < true < high), round(high - low, 3)
    (True, 0.019)
    """
    level = check_level(level)
    n_boot = _check_boot(n_boot)
    found = percentile_differences(
        a, b, [_weights(statistic)], paired=paired, level=level, n_boot=n_boot, rng=rng
    )
    return found[0]
