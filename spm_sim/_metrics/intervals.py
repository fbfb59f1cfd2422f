"""Confidence intervals of the figures a report shows: means, percentiles, probabilities.

The public names are re-exported by :mod:`spm_sim.metrics` (with those of
:mod:`~spm_sim._metrics.bootstrap` and :mod:`~spm_sim._metrics.differences`):

* :func:`percentile_interval`: a distribution-free interval for a percentile from
  order statistics (the number of draws below the true percentile is binomial);
* :func:`proportion_interval`: the Wilson score interval for a probability;
* :func:`proportion_difference_interval`: Newcombe's hybrid score interval for the
  difference of two probabilities, paired or not;
* :func:`mean_interval`: a mean plus or minus ``z`` standard errors.

Each returns an :class:`Interval` ``(estimate, low, high)``. The intervals measure
Monte Carlo noise only (how far the figure could move with more simulated years),
not the uncertainty of the model's assumptions. The vectorised forms
(:func:`wilson_bounds`, :func:`order_statistic_bounds`) serve the summaries, which
give every metric, rep and quarter its interval at once.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "BOOTSTRAP_SEED",
    "Interval",
    "percentile_interval",
    "proportion_interval",
    "proportion_difference_interval",
    "mean_interval",
]

#: What ``numpy.random.default_rng`` accepts as a seed.
RngLike = int | np.random.SeedSequence | np.random.Generator | None

#: The default seed of the resampling of finished results (:func:`spm_sim.metrics.compare`,
#: the report): a table of figures must read the same for the same results, so its
#: bootstrap is seeded by a constant. It resamples results; it never feeds a simulation.
BOOTSTRAP_SEED = 16


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


_NAN = Interval(math.nan, math.nan, math.nan)


def check_level(level: float) -> float:
    """``level`` as a float strictly between 0 and 1, else a ValueError naming it."""
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(
            f"level must be a confidence level between 0 and 1 (0.95 = 95%); got {level!r}."
        )
    return level


@lru_cache(maxsize=16)
def z_value(level: float) -> float:
    """The two-sided normal quantile of ``level`` (1.96 at 95%)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


def _finite(values: ArrayLike) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v)]


def _two_runs(x: np.ndarray, y: np.ndarray, *, paired: bool) -> tuple[np.ndarray, np.ndarray]:
    """The values of two runs (flat float arrays) whose difference an interval is read
    from: with ``paired`` the trials where both are finite (the runs must have as many
    trials), else each run's finite values."""
    if not paired:
        return x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size != y.size:
        raise ValueError(
            f"paired differences need as many trials in both: {x.size} and {y.size}; "
            "pass paired=False for runs that do not share their random numbers."
        )
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _check_q(q: float) -> float:
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(
            f"q must be the percentile as a fraction strictly between 0 and 1 (0.9 = P90); "
            f"got {q!r}."
        )
    return q


def _binomial_cdf(n: int, q: float) -> np.ndarray:
    """``P(B <= k)`` for ``k = 0..n``, ``B ~ Binomial(n, q)`` (the pmf from its ratios in
    logs, so it neither overflows nor needs scipy)."""
    k = np.arange(n, dtype=float)
    logs = np.empty(n + 1)
    logs[0] = n * math.log1p(-q)
    logs[1:] = logs[0] + np.cumsum(np.log(n - k) - np.log(k + 1) + math.log(q / (1 - q)))
    cdf = np.cumsum(np.exp(logs - logs.max()))
    return cdf / cdf[-1]


@lru_cache(maxsize=1024)
def _order_ranks(n: int, q: float, level: float) -> tuple[int, int]:
    """1-based ranks ``(l, u)`` of the order statistics that bracket the ``q`` quantile.

    The count ``B`` of draws below the true quantile is Binomial(n, q); the interval
    ``[x_(l), x_(u)]`` covers it when ``l <= B < u``. ``l`` and ``u - 1`` are the
    binomial's ``alpha/2`` and ``1 - alpha/2`` quantiles (the least ``k`` with
    ``P(B <= k) >= p``), so each tail holds at most ``alpha/2`` and the coverage is at
    least ``level``. A rank outside ``1..n`` means ``n`` is too small for that end
    (returned as is; the caller gives NaN).
    """
    alpha = 1.0 - level
    cdf = _binomial_cdf(n, q)
    # a relative margin of 1e-12 keeps a cumulative probability that equals alpha/2
    # in exact arithmetic from missing it by rounding
    low = int(np.searchsorted(cdf, alpha / 2 * (1 - 1e-12), side="left"))
    high = int(np.searchsorted(cdf, (1 - alpha / 2) * (1 - 1e-12), side="left")) + 1
    return low, high


def order_statistic_bounds(
    sorted_values: np.ndarray, q: float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The ends of the order-statistic interval of the ``q`` percentile, column by column.

    ``sorted_values`` has shape ``(n, ...)``, sorted along axis 0 and finite; the ends
    have the trailing shape, NaN where ``n`` is too small for that side.
    """
    n = sorted_values.shape[0]
    shape = sorted_values.shape[1:]
    if n == 0:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    lo_rank, hi_rank = _order_ranks(n, q, level)
    low = sorted_values[lo_rank - 1] if 1 <= lo_rank <= n else np.full(shape, np.nan)
    high = sorted_values[hi_rank - 1] if 1 <= hi_rank <= n else np.full(shape, np.nan)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def wilson_bounds(
    successes: ArrayLike, n: ArrayLike, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval of ``successes / n``, element by element (NaN where n < 1)."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z / denom * np.sqrt(np.maximum(p * (1 - p), 0.0) / m + z * z / (4 * m * m))
        low = np.where(m >= 1, np.maximum(0.0, centre - half), np.nan)
        high = np.where(m >= 1, np.minimum(1.0, centre + half), np.nan)
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
    level = check_level(level)
    v = np.sort(_finite(values))
    if v.size == 0:
        return _NAN
    low, high = order_statistic_bounds(v, q, level)
    return Interval(float(np.percentile(v, 100 * q)), float(low), float(high))


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
    level = check_level(level)
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1 trial; got {n}.")
    successes = float(successes)
    if not 0.0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}; got {successes!r}.")
    low, high = wilson_bounds(successes, n, level)
    return Interval(successes / n, float(low), float(high))


def _events(values: ArrayLike, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    bad = np.isfinite(v) & (v != 0) & (v != 1)
    if bad.any():
        raise ValueError(
            f"{name} must hold 0 or 1 per trial (an event that did or did not happen); "
            f"got {float(v[bad][0])!r}."
        )
    return v


def proportion_difference_interval(
    a: ArrayLike, b: ArrayLike, *, paired: bool = True, level: float = 0.95
) -> Interval:
    """The difference of two probabilities, ``P(a) - P(b)``, and its Newcombe interval.

    Parameters
    ----------
    a, b : array_like of 0 and 1
        Whether the event happened in each trial of two scenarios (``b`` the
        baseline); non-finite values are left out (pairs with either missing, when
        paired).
    paired : bool, default True
        Trial ``t`` of ``a`` and of ``b`` drew the same sales (common random numbers):
        the interval then uses the correlation of the pairs. Otherwise the two are
        independent samples, of any lengths.
    level : float, default 0.95

    Returns
    -------
    Interval
        The difference of the two shares and Newcombe's hybrid score interval, which
        stays within [-1, 1] and keeps its level when few trials differ (where
        ``d +/- z se`` of the paired differences is far too narrow). ``(0, 0, 0)``
        when paired values agree in every trial. NaN without trials.

    Raises
    ------
    ValueError
        If a value is neither 0 nor 1, or paired samples differ in length.

    Notes
    -----
    With ``p1, p2`` the two shares, ``(l1, u1)`` and ``(l2, u2)`` their Wilson
    intervals and ``phi`` the correlation of the pairs (0 when not paired)::

        low  = d - sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2)
        high = d + sqrt((u1 - p1)^2 - 2 phi (u1 - p1)(p2 - l2) + (p2 - l2)^2)

    (Newcombe 1998, methods 10 of "Interval estimation for the difference between
    independent proportions" and of "Improved confidence intervals for the difference
    between binomial proportions based on paired data").

    Examples
    --------
    >>> import numpy as np
    >>> base = np.array([1.0] * 50 + [0.0] * 50)
    >>> alt = base.copy(); alt[50:56] = 1.0       # 6 more trials reach the target
    >>> est, low, high = proportion_difference_interval(alt, base)
    >>> round(est, 2), round(low, 3), round(high, 3)
    (0.06, 0.014, 0.105)
    >>> proportion_difference_interval(base, base)   # the same in every trial
    Interval(estimate=0.0, low=0.0, high=0.0)
    """
    level = check_level(level)
    x = _events(a, "a")
    y = _events(b, "b")
    x, y = _two_runs(x, y, paired=paired)
    if paired and x.size and np.array_equal(x, y):
        return Interval(0.0, 0.0, 0.0)
    if x.size == 0 or y.size == 0:
        return _NAN
    n1, n2 = x.size, y.size
    s1, s2 = float(x.sum()), float(y.sum())
    p1, p2 = s1 / n1, s2 / n2
    (l1, l2), (u1, u2) = wilson_bounds([s1, s2], [n1, n2], level)
    phi = 0.0
    if paired:
        both = float((x * y).sum())
        only_a, only_b = s1 - both, s2 - both
        neither = n1 - both - only_a - only_b
        denom = math.sqrt(s1 * (n1 - s1) * s2 * (n2 - s2))
        phi = (both * neither - only_a * only_b) / denom if denom > 0 else 0.0
    d = p1 - p2
    dl1, du1, dl2, du2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
    low = d - math.sqrt(max(dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2, 0.0))
    high = d + math.sqrt(max(du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2, 0.0))
    return Interval(d, max(low, -1.0), min(high, 1.0))


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
    level = check_level(level)
    v = _finite(values)
    if v.size == 0:
        return _NAN
    mean = float(v.mean())
    if v.size < 2:
        return Interval(mean, math.nan, math.nan)
    half = z_value(level) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return Interval(mean, mean - half, mean + half)
