"""Confidence intervals of the figures a report shows: percentiles, probabilities, differences.

The public names are re-exported by :mod:`spm_sim.metrics`:

* :func:`percentile_interval`: a distribution-free interval for a percentile from
  order statistics (the number of draws below the true percentile is binomial);
* :func:`proportion_interval`: the Wilson score interval for a probability;
* :func:`mean_interval`: a mean plus or minus ``z`` standard errors;
* :func:`bootstrap_interval`: any statistic of one set of trials (the reserve for a
  bad year, P90 minus P50), by the bootstrap;
* :func:`difference_interval`: a bootstrap interval for the difference of any of
  these statistics between two sets of trials, resampling the trials together when
  they are paired by common random numbers.

Each returns an :class:`Interval` ``(estimate, low, high)``. The intervals measure
Monte Carlo noise only (how far the figure could move with more simulated years),
not the uncertainty of the model's assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Interval",
    "percentile_interval",
    "proportion_interval",
    "mean_interval",
    "bootstrap_interval",
    "difference_interval",
]

#: What ``numpy.random.default_rng`` accepts as a seed.
RngLike = int | np.random.SeedSequence | np.random.Generator | None

#: Bootstrap resamples are drawn in blocks of at most this many values (memory bound).
_BLOCK_VALUES = 4_000_000


class Interval(NamedTuple):
    """An estimate and the two ends of its confidence interval (NaN when not defined)."""

    estimate: float
    low: float
    high: float

    def excludes(self, value: float = 0.0) -> bool:
        """Whether ``value`` lies outside ``[low, high]`` (a difference that is "real").

        >>> Interval(2.0, 1.0, 3.0).excludes(0.0), Interval(0.5, -1.0, 2.0).excludes(0.0)
        (True, False)
        """
        return bool(self.low > value or self.high < value)


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(
            f"level must be a confidence level between 0 and 1 (0.95 = 95%); got {level!r}."
        )
    return level


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def _finite(values: ArrayLike) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v)]


def _check_q(q: float) -> float:
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(
            f"q must be the percentile as a fraction strictly between 0 and 1 (0.9 = P90); "
            f"got {q!r}."
        )
    return q


def _order_ranks(n: int, q: float, level: float) -> tuple[int, int]:
    """1-based ranks ``(l, u)`` of the order statistics that bracket the ``q`` quantile.

    The count ``B`` of draws below the true quantile is Binomial(n, q); the interval
    ``[x_(l), x_(u)]`` covers it when ``l <= B < u``. ``l`` and ``u - 1`` are the
    binomial's ``alpha/2`` and ``1 - alpha/2`` quantiles, so each tail holds at most
    ``alpha/2`` and the coverage is at least ``level``. A rank outside ``1..n`` means
    ``n`` is too small for that end (returned as is; the caller gives NaN).
    """
    from scipy.stats import binom

    alpha = 1.0 - level
    low = int(binom.ppf(alpha / 2, n, q))
    high = int(binom.ppf(1 - alpha / 2, n, q)) + 1
    return low, high


def percentile_interval(values: ArrayLike, q: float, *, level: float = 0.95) -> Interval:
    """A percentile of simulated values and its distribution-free confidence interval.

    Parameters
    ----------
    values : array_like
        The simulated values, one per trial (non-finite values are left out).
    q : float
        The percentile as a fraction, strictly between 0 and 1 (0.9 = P90).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    Interval
        ``estimate``: numpy's linear percentile (as in :func:`spm_sim.metrics.summarize`);
        ``low``, ``high``: the order statistics ``x_(l)`` and ``x_(u)`` (1-based
        ranks of the sorted values). An end is NaN when there are too few values to
        reach the level on that side (e.g. P90 of 20 values at 95%).

    Notes
    -----
    The number ``B`` of values below the true percentile ``xi_q`` is Binomial(n, q)
    whatever the distribution, and ``x_(l) <= xi_q < x_(u)`` exactly when
    ``l <= B <= u - 1``. With ``l`` the binomial's ``alpha/2`` quantile and ``u - 1``
    its ``1 - alpha/2`` quantile each tail holds at most ``alpha/2``, so the coverage
    is at least ``level`` for any continuous distribution (slightly more, as ``B`` is
    discrete).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.random.default_rng(0).normal(size=2_000)
    >>> est, low, high = percentile_interval(values, 0.9)
    >>> bool(low < est < high), round(high - low, 2)
    (True, 0.14)
    >>> percentile_interval(np.arange(20.0), 0.9).high   # too few values for the top end
    nan
    """
    q = _check_q(q)
    level = _check_level(level)
    v = np.sort(_finite(values))
    n = v.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    estimate = float(np.percentile(v, 100 * q))
    lo_rank, hi_rank = _order_ranks(n, q, level)
    low = float(v[lo_rank - 1]) if 1 <= lo_rank <= n else math.nan
    high = float(v[hi_rank - 1]) if 1 <= hi_rank <= n else math.nan
    return Interval(estimate, low, high)


def proportion_interval(successes: float, n: int, *, level: float = 0.95) -> Interval:
    """A probability estimated from ``successes`` out of ``n`` and its Wilson interval.

    Parameters
    ----------
    successes : int or float
        How many trials had the event (e.g. reached the company target).
    n : int
        Number of trials, at least 1.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    Interval
        ``estimate = successes / n`` and the Wilson score interval, which stays
        inside [0, 1] and is not empty at 0 or n successes (unlike ``p +/- z se``).

    Notes
    -----
    With ``p = successes / n`` and ``z`` the normal quantile of the level::

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    Examples
    --------
    >>> est, low, high = proportion_interval(53, 100)
    >>> round(est, 2), round(low, 3), round(high, 3)
    (0.53, 0.433, 0.625)
    >>> proportion_interval(0, 50).low, round(proportion_interval(0, 50).high, 3)
    (0.0, 0.071)
    """
    level = _check_level(level)
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1 trial; got {n}.")
    successes = float(successes)
    if not 0.0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}; got {successes!r}.")
    p = successes / n
    z = _z(level)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: ArrayLike, *, level: float = 0.95) -> Interval:
    """A mean and its normal-approximation interval, ``mean +/- z sd / sqrt(n)``.

    Parameters
    ----------
    values : array_like
        One value per trial (non-finite values are left out).
    level : float, default 0.95

    Returns
    -------
    Interval
        NaN ends with fewer than two values.

    Examples
    --------
    >>> est, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    >>> est, round(low, 2), round(high, 2)
    (2.5, 1.23, 3.77)
    """
    level = _check_level(level)
    v = _finite(values)
    if v.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    mean = float(v.mean())
    if v.size < 2:
        return Interval(mean, math.nan, math.nan)
    half = _z(level) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return Interval(mean, mean - half, mean + half)


#: A statistic of trials: "mean", a percentile as a fraction, or a function from an
#: array of shape ``(k, n)`` (k samples of n trials) to shape ``(k,)``.
Statistic = str | float | Callable[[np.ndarray], np.ndarray]


def _statistic(samples: np.ndarray, statistic: Statistic) -> np.ndarray:
    """The statistic of each row of ``samples`` (shape ``(k, n)``)."""
    if callable(statistic):
        return np.asarray(statistic(samples), dtype=float)
    if statistic == "mean":
        return samples.mean(axis=1)
    return np.percentile(samples, 100 * float(statistic), axis=1)


def _check_statistic(statistic: Statistic) -> Statistic:
    if callable(statistic) or statistic == "mean":
        return statistic
    if isinstance(statistic, str):
        raise ValueError(
            f"statistic must be 'mean', a percentile as a fraction (0.9 = P90) or a function "
            f"of an array of shape (k, n); got {statistic!r}."
        )
    return _check_q(float(statistic))


def _check_boot(n_boot: int) -> int:
    n_boot = int(n_boot)
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100 resamples; got {n_boot}.")
    return n_boot


def bootstrap_interval(
    values: ArrayLike,
    statistic: Statistic,
    *,
    level: float = 0.95,
    n_boot: int = 1_000,
    rng: RngLike = None,
) -> Interval:
    """A statistic of one set of trials and its bootstrap percentile interval.

    For figures without a closed-form interval, such as the reserve for a bad year
    (P90 minus P50 of the incentive cost).

    Parameters
    ----------
    values : array_like
        One value per trial (non-finite values are left out).
    statistic : "mean", float or callable
        The mean, a percentile as a fraction (0.9 = P90), or a function taking an
        array of shape ``(k, n)`` (k resamples) and returning shape ``(k,)``.
    level : float, default 0.95
    n_boot : int, default 1000
        Bootstrap resamples (at least 100).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    Interval
        The statistic on the data and the ``alpha/2``, ``1 - alpha/2`` quantiles of
        its resampled values (NaN ends with fewer than two values).

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.random.default_rng(1).normal(100.0, 10.0, size=2_000)
    >>> def reserve(s):
    ...     return np.percentile(s, 90, axis=1) - np.percentile(s, 50, axis=1)
    >>> est, low, high = bootstrap_interval(cost, reserve, rng=0)
    >>> bool(low < 12.8 < high), bool(low < est < high)   # true reserve: 1.2816 sd
    (True, True)
    """
    level = _check_level(level)
    statistic = _check_statistic(statistic)
    n_boot = _check_boot(n_boot)
    v = _finite(values)
    if v.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    estimate = float(_statistic(v[None, :], statistic)[0])
    if v.size < 2:
        return Interval(estimate, math.nan, math.nan)
    g = np.random.default_rng(rng)
    stats = np.empty(n_boot)
    block = max(1, _BLOCK_VALUES // v.size)
    for start in range(0, n_boot, block):
        k = min(block, n_boot - start)
        stats[start : start + k] = _statistic(v[g.integers(0, v.size, size=(k, v.size))], statistic)
    alpha = 1.0 - level
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return Interval(estimate, float(low), float(high))


def difference_interval(
    a: ArrayLike,
    b: ArrayLike,
    *,
    statistic: Statistic = "mean",
    paired: bool = True,
    level: float = 0.95,
    n_boot: int = 1_000,
    rng: RngLike = None,
) -> Interval:
    """The difference ``stat(a) - stat(b)`` and its bootstrap percentile interval.

    Parameters
    ----------
    a, b : array_like
        One value per trial of two scenarios (``b`` the baseline).
    statistic : "mean", float or callable, default "mean"
        The mean, a percentile as a fraction strictly between 0 and 1 (0.9 = P90),
        or a function taking an array of shape ``(k, n)`` and returning shape ``(k,)``.
    paired : bool, default True
        The trials are paired (common random numbers: trial ``t`` of ``a`` and of
        ``b`` drew the same sales); then ``a`` and ``b`` must have the same length and
        each resample takes the same trials from both, so the shared noise cancels.
        Otherwise each is resampled on its own.
    level : float, default 0.95
    n_boot : int, default 1000
        Bootstrap resamples (at least 100).
    rng : None, int, SeedSequence or Generator
        Seed of the resampling; a report passes a fixed one so the same results give
        the same interval.

    Returns
    -------
    Interval
        ``estimate``: the difference on the full data; ``low``, ``high``: the
        ``alpha/2`` and ``1 - alpha/2`` quantiles of the resampled differences.
        Paired values whose difference is not finite (either missing) are left out.

    Raises
    ------
    ValueError
        If ``paired`` and the lengths differ, or ``statistic``, ``level`` or
        ``n_boot`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.random.default_rng(0)
    >>> base = g.normal(100.0, 10.0, size=1_000)
    >>> alt = base + 5.0 + g.normal(0.0, 1.0, size=1_000)   # paired: 5 more, little noise
    >>> est, low, high = difference_interval(alt, base, statistic=0.9, rng=0)
    >>> bool(4.5 < low < est < high < 5.5)
    True
    """
    level = _check_level(level)
    statistic = _check_statistic(statistic)
    n_boot = _check_boot(n_boot)
    g = np.random.default_rng(rng)
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if paired:
        if x.size != y.size:
            raise ValueError(
                f"paired differences need as many trials in both: {x.size} and {y.size}; "
                "pass paired=False for runs that do not share their random numbers."
            )
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size == 0 or y.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    estimate = float(_statistic(x[None, :], statistic)[0] - _statistic(y[None, :], statistic)[0])
    if x.size < 2 or y.size < 2:
        return Interval(estimate, math.nan, math.nan)
    diffs = np.empty(n_boot)
    block = max(1, _BLOCK_VALUES // max(x.size, y.size))
    for start in range(0, n_boot, block):
        k = min(block, n_boot - start)
        ix = g.integers(0, x.size, size=(k, x.size))
        iy = ix if paired else g.integers(0, y.size, size=(k, y.size))
        diffs[start : start + k] = _statistic(x[ix], statistic) - _statistic(y[iy], statistic)
    alpha = 1.0 - level
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(estimate, float(low), float(high))
