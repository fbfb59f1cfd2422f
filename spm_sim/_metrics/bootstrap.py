"""The bootstrap of one or two sets of trials, and the resamples it shares between figures.

:func:`bootstrap_interval` and :func:`difference_interval` are re-exported by
:mod:`spm_sim.metrics`. The bootstrap of a mean or of percentiles never builds the
resampled values: a resample is held as the count of each trial in it
(:class:`Resampler`), its mean is a product with those counts, and its percentiles
are read off the running count in the sorted order of the values, which only needs
the order (shared by every statistic of one set of values, and by values in the same
order, such as bookings and attainment). Resamples drawn from an integer seed are
kept (a few at a time), so the figures of one table share them; the same seed gives
the same resamples, hence the same interval, whatever else was computed before. A
statistic given as a function takes the general path: the resampled values built in
blocks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from .intervals import _NAN, Interval, RngLike, _check_q, _finite, _two_runs, check_level

__all__ = ["bootstrap_interval", "difference_interval"]

#: Bootstrap resamples are drawn in blocks of at most this many values (memory bound).
_BLOCK_VALUES = 4_000_000

#: Percentiles every bootstrap of percentiles reads at once (the summaries' P10/P50/P90),
#: so that later statistics of the same values find them ready.
_COMMON_QS = (0.1, 0.5, 0.9)


#: A statistic of trials: "mean", a percentile as a fraction, a weighted sum of
#: percentiles (``{0.9: 1.0, 0.5: -1.0}`` is P90 - P50), or a function from an array
#: of shape ``(k, n)`` (k samples of n trials) to shape ``(k,)``.
Statistic = str | float | Mapping[float, float] | Callable[[np.ndarray], np.ndarray]


class Resampler:
    """``n_boot`` bootstrap resamples of ``n`` trials, held as counts and shared by statistics.

    Row ``i`` of the counts says how often each trial is drawn in resample ``i`` (a
    multinomial draw of ``n`` out of ``n``). The mean of a resample is the counts
    times the values over ``n``. Its percentiles come from the running count in the
    values' sorted order: the sorted resample's element at position ``p`` is the
    first trial whose running count exceeds ``p``. That trial lies within a few
    standard deviations of the count (``sqrt(p (1 - p / n))``) from position ``p``,
    so only a window there is counted (the count before it by one matrix product);
    a row whose answer falls outside its window is counted in full. Which trials sit
    at the percentiles' positions depends only on the order, so it is kept per order
    and used again by any values in the same order.
    """

    #: Half-width of the window around a percentile's position, in standard deviations
    #: of the running count (a row outside it, about 1 in 10^6, is counted in full).
    WINDOW_SD = 5.0

    def __init__(self, n: int, n_boot: int, g: np.random.Generator) -> None:
        self.n, self.n_boot = int(n), int(n_boot)
        block = max(1, _BLOCK_VALUES // self.n)
        blocks = []
        for start in range(0, self.n_boot, block):
            k = min(block, self.n_boot - start)
            # trial d drawn in resample b counts at d * k + b: the counts come out with a
            # trial's counts in a row, as they are read
            drawn = g.integers(0, self.n, size=(k, self.n)) * k
            drawn += np.arange(k)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=k * self.n).reshape(self.n, k)
            # a trial drawn over 255 times in one resample has odds of about 1 in 10^500
            small = counts.max() <= np.iinfo(np.uint8).max
            blocks.append(counts.astype(np.uint8 if small else np.int32))
        #: shape (n, n_boot): trial i's count in each resample (a trial's counts are a row)
        self.counts = np.ascontiguousarray(np.concatenate(blocks, axis=1))
        self._found: dict[tuple[bytes, tuple[float, ...]], tuple[np.ndarray, ...]] = {}

    def means(self, values: np.ndarray) -> np.ndarray:
        """The mean of each resample of ``values`` (finite, length ``n``): shape ``(n_boot,)``."""
        step = max(1, _BLOCK_VALUES // self.n)
        return np.concatenate(
            [
                values @ self.counts[:, i : i + step].astype(float)
                for i in range(0, self.n_boot, step)
            ]
        ) / float(self.n)

    def quantiles(self, values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
        """numpy's linear percentiles ``qs`` of each resample: shape ``(n_boot, len(qs))``."""
        order = np.argsort(values)
        full = tuple(sorted(set(qs) | set(_COMMON_QS)))
        lo, hi, frac = self._positions(order, full)
        cols = [full.index(q) for q in qs]
        a, b = values[lo[:, cols]], values[hi[:, cols]]
        return a + (b - a) * frac[cols]

    def _positions(self, order: np.ndarray, qs: tuple[float, ...]) -> tuple[np.ndarray, ...]:
        """The trials at positions ``floor(h)`` and ``floor(h) + 1``, ``h = (n - 1) q``,
        of each sorted resample, and ``h - floor(h)``."""
        key = (hashlib.blake2b(order.tobytes(), digest_size=16).digest(), qs)
        found = self._found.get(key)
        if found is not None:
            return found
        n = self.n
        h = (n - 1) * np.asarray(qs, dtype=float)
        j = np.floor(h).astype(np.int64)
        want = np.stack([j, np.minimum(j + 1, n - 1)])  # (2, m): the two positions per q
        # each q's window of sorted positions, and the count of every resample before it
        sd = np.sqrt((j + 1) * (1 - (j + 1) / n)) + 1
        reach = np.ceil(self.WINDOW_SD * sd).astype(np.int64) + 2
        first = np.maximum(j - reach, 0)
        last = np.minimum(j + 1 + reach, n - 1)
        at = np.empty((2, len(qs), self.n_boot), dtype=np.int64)
        for c in range(len(qs)):
            # every resample's count of the trials sorted before the window (from the
            # shorter end), then the running count through the window
            if first[c] <= n // 2:
                counted = self.counts[order[: first[c]]].sum(axis=0, dtype=np.int32)
            else:
                counted = n - self.counts[order[first[c] :]].sum(axis=0, dtype=np.int32)
            span = order[first[c] : last[c] + 1]
            running = np.cumsum(self.counts[span], axis=0, dtype=np.int32)
            running += counted
            for side in range(2):
                p = want[side, c]
                inside = np.count_nonzero(running <= p, axis=0)  # window positions not past p
                at[side, c] = first[c] + inside
                outside = (counted > p) | (inside == span.size)
                if outside.any():  # about 1 resample in 10^6: count it in full
                    rows = np.flatnonzero(outside)
                    full = np.cumsum(self.counts[np.ix_(order, rows)], axis=0, dtype=np.int64)
                    at[side, c, rows] = np.count_nonzero(full <= p, axis=0)
        trials = order[at]
        found = (trials[0].T, trials[1].T, h - j)
        if len(self._found) >= 64:
            self._found.clear()
        self._found[key] = found
        return found

    def statistic(self, values: np.ndarray, statistic: Statistic) -> np.ndarray:
        """The statistic ("mean", a percentile or weighted percentiles) of each resample."""
        if isinstance(statistic, str):
            return self.means(values)
        if isinstance(statistic, Mapping):
            qs = tuple(statistic)
            return self.quantiles(values, qs) @ np.array([statistic[q] for q in qs], float)
        return self.quantiles(values, (float(statistic),))[:, 0]  # type: ignore[arg-type]


@lru_cache(maxsize=4)
def _seeded(seed: int, n: int, n_boot: int, stream: int) -> Resampler:
    g = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))
    return Resampler(n, n_boot, g)


def resampler(rng: int | np.random.Generator, n: int, n_boot: int, stream: int = 0) -> Resampler:
    """Resamples of ``n`` trials: from an integer seed, the same (and kept) for each
    ``(seed, n, n_boot, stream)``; from a generator, new draws from it."""
    if isinstance(rng, (int, np.integer)):
        return _seeded(int(rng), int(n), int(n_boot), int(stream))
    return Resampler(n, n_boot, rng)


def _normalised(rng: RngLike) -> int | np.random.Generator:
    """An integer seed as it is (its resamples are kept), anything else as a generator."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    return np.random.default_rng(rng)


def _statistic(samples: np.ndarray, statistic: Statistic) -> np.ndarray:
    """The statistic of each row of ``samples`` (shape ``(k, n)``)."""
    if callable(statistic):
        return np.asarray(statistic(samples), dtype=float)
    if isinstance(statistic, str):
        return samples.mean(axis=1)
    if isinstance(statistic, Mapping):
        qs = list(statistic)
        found = np.percentile(samples, [100 * q for q in qs], axis=1)
        return np.asarray(np.tensordot([statistic[q] for q in qs], found, axes=1), float)
    return np.percentile(samples, 100 * float(statistic), axis=1)


def _check_statistic(statistic: Statistic) -> Statistic:
    if callable(statistic) or statistic == "mean":
        return statistic
    if isinstance(statistic, str):
        raise ValueError(
            f"statistic must be 'mean', a percentile as a fraction (0.9 = P90), a mapping of "
            f"percentiles to weights ({{0.9: 1, 0.5: -1}} = P90 - P50) or a function of an "
            f"array of shape (k, n); got {statistic!r}."
        )
    if isinstance(statistic, Mapping):
        if not statistic:
            raise ValueError("statistic: a mapping of percentiles to weights needs at least one.")
        return {_check_q(q): float(w) for q, w in statistic.items()}
    return _check_q(float(statistic))


def _check_boot(n_boot: int) -> int:
    n_boot = int(n_boot)
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100 resamples; got {n_boot}.")
    return n_boot


def _indexed(
    x: np.ndarray,
    y: np.ndarray | None,
    statistic: Callable,
    n_boot: int,
    g: np.random.Generator,
) -> np.ndarray:
    """A function's bootstrap, the resampled values built in blocks (the general path):
    of ``x``, or of ``x`` minus of ``y`` on the same resampled trials (paired)."""
    stats = np.empty(n_boot)
    block = max(1, _BLOCK_VALUES // x.size)
    for start in range(0, n_boot, block):
        k = min(block, n_boot - start)
        ix = g.integers(0, x.size, size=(k, x.size))
        stats[start : start + k] = _statistic(x[ix], statistic)
        if y is not None:
            stats[start : start + k] -= _statistic(y[ix], statistic)
    return stats


def _ends(stats: np.ndarray, level: float) -> tuple[float, float]:
    alpha = 1.0 - level
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


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
    statistic : "mean", float, mapping or callable
        The mean, a percentile as a fraction (0.9 = P90), a weighted sum of
        percentiles as a mapping (``{0.9: 1, 0.5: -1}`` = P90 - P50), or a function
        taking an array of shape ``(k, n)`` (k resamples) and returning shape
        ``(k,)``. All but a function are computed without building the resamples.
    level : float, default 0.95
    n_boot : int, default 1000
        Bootstrap resamples (at least 100).
    rng : None, int, SeedSequence or Generator
        Seed of the resampling. An integer seed's resamples are kept and shared by
        later calls on as many values (the same seed, the same interval).

    Returns
    -------
    Interval
        The statistic on the data and the ``alpha/2``, ``1 - alpha/2`` quantiles of
        its resampled values (NaN ends with fewer than two values).

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.random.default_rng(1).normal(100.0, 10.0, size=2_000)
    >>> est, low, high = bootstrap_interval(cost, {0.9: 1.0, 0.5: -1.0}, rng=0)
    >>> bool(low < 12.8 < high), bool(low < est < high)   # true reserve: 1.2816 sd
    (True, True)
    """
    level = check_level(level)
    statistic = _check_statistic(statistic)
    n_boot = _check_boot(n_boot)
    v = _finite(values)
    if v.size == 0:
        return _NAN
    estimate = float(_statistic(v[None, :], statistic)[0])
    if v.size < 2:
        return Interval(estimate, math.nan, math.nan)
    g = _normalised(rng)
    if callable(statistic):
        stats = _indexed(v, None, statistic, n_boot, np.random.default_rng(g))
    else:
        stats = resampler(g, v.size, n_boot).statistic(v, statistic)
    return Interval(estimate, *_ends(stats, level))


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
    statistic : "mean", float, mapping or callable, default "mean"
        The mean, a percentile as a fraction strictly between 0 and 1 (0.9 = P90), a
        weighted sum of percentiles (``{0.9: 1, 0.5: -1}`` = P90 - P50), or a
        function taking an array of shape ``(k, n)`` and returning shape ``(k,)``.
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
        the same interval. An integer seed's resamples are kept and shared by later
        calls on as many trials, which makes a table of differences cheap.

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

    Notes
    -----
    For a difference of percentiles of two runs on common random numbers, prefer
    :func:`~spm_sim.metrics.percentile_difference_interval`: the more the runs'
    simulated years agree, the wider this bootstrap is than it should be (it covers
    97-100% at a nominal 95% when they correlate at 0.9 to 0.999).

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
    level = check_level(level)
    statistic = _check_statistic(statistic)
    n_boot = _check_boot(n_boot)
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    x, y = _two_runs(x, y, paired=paired)
    if x.size == 0 or y.size == 0:
        return _NAN
    estimate = float(_statistic(x[None, :], statistic)[0] - _statistic(y[None, :], statistic)[0])
    if x.size < 2 or y.size < 2:
        return Interval(estimate, math.nan, math.nan)
    g = _normalised(rng)
    if callable(statistic):
        gen = np.random.default_rng(g)
        if paired:
            diffs = _indexed(x, y, statistic, n_boot, gen)
        else:
            diffs = _indexed(x, None, statistic, n_boot, gen)
            diffs -= _indexed(y, None, statistic, n_boot, gen)
    else:
        rx = resampler(g, x.size, n_boot, 0)
        ry = rx if paired else resampler(g, y.size, n_boot, 1)
        diffs = rx.statistic(x, statistic) - ry.statistic(y, statistic)
    return Interval(estimate, *_ends(diffs, level))
