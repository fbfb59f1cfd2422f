"""Closed-form queueing results: Erlang B and C, the M/M/c queue, staffing.

A team that works inbound leads behaves, to a first approximation, like an M/M/c
queue: leads arrive as a Poisson process at rate ``lam`` per time unit, ``c`` reps
take them first come first served, and a rep's time on one lead is exponential with
mean ``1 / mu``. The *offered load* ``a = lam / mu`` (in Erlangs) is the average
number of reps the stream keeps busy. A *wait* here is the time a lead spends in
the queue before a rep starts on it (the time to first contact); it excludes the
work itself. Rates and times share one time unit, whichever the caller picks.

These formulas give planners a first answer without simulating, and they are the
oracle for the SimPy capacity model (``capacity.py``): a simulated run of the same
assumptions must agree with them within its confidence interval (:func:`mean_ci`
across replications), and its averages must satisfy Little's law
(:func:`little_law_check`).

Everything here is pure and deterministic: no function draws random numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from spm_sim.errors import QueueingError

__all__ = [
    "QueueingError",
    "erlang_b",
    "erlang_c",
    "MMc",
    "mmc",
    "smallest_c",
    "little_law_check",
    "mean_ci",
]


# ---------------------------------------------------------------------------
# validation helpers


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> tuple[object, str]:
    """The first offending value of ``arr`` and ``" at index (i, ...)"`` (empty if 0-d)."""
    value = arr[bad].flat[0].item()
    if arr.ndim == 0:
        return value, ""
    return value, f" at index {tuple(int(i) for i in np.argwhere(bad)[0])}"


def _servers(c: ArrayLike, *, minimum: int, func: str) -> np.ndarray:
    """``c`` as an int64 array of whole numbers >= ``minimum``."""
    arr = np.asarray(c)
    if arr.dtype.kind not in "iuf":  # bool, str, object, ... are not server counts
        raise TypeError(f"{func}: c must be a whole number of servers; got {c!r}")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            value, where = _first_bad(arr, bad)
            raise QueueingError(
                f"{func}: c must be a whole number of servers; got c={value!r}{where}"
            )
    bad = arr < minimum
    if bad.any():
        value, where = _first_bad(arr, bad)
        rule = "a positive integer (at least one server)" if minimum == 1 else f">= {minimum}"
        raise QueueingError(f"{func}: c must be {rule}; got c={value!r}{where}")
    return arr.astype(np.int64)


def _load(a: ArrayLike, *, func: str) -> np.ndarray:
    """Offered load ``a`` as a float array of finite values >= 0."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{func}: offered load a must be a number (a = lam/mu); got {a!r}")
    arr = arr.astype(float)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        value, where = _first_bad(arr, bad)
        raise QueueingError(
            f"{func}: offered load a = lam/mu must be a finite number >= 0 (in Erlangs); "
            f"got a={value!r}{where}"
        )
    return arr


def _number(func: str, name: str, value: object, rule: str, ok) -> float:
    """A finite real scalar that passes ``ok``, as float; else a message with the rule."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise QueueingError(f"{func}: {name} must be a finite number {rule}; got {value!r}")
    if not ok(float(value)):
        raise QueueingError(f"{func}: {name} must be {rule}; got {value!r}")
    return float(value)


def _rates(func: str, lam: object, mu: object) -> tuple[float, float]:
    lam = _number(func, "lam (arrival rate)", lam, ">= 0", lambda v: v >= 0)
    mu = _number(func, "mu (service rate of one server)", mu, "> 0", lambda v: v > 0)
    return lam, mu


def _out(x: np.ndarray) -> float | np.ndarray:
    """A Python float for a 0-d result, else the array."""
    return float(x) if np.ndim(x) == 0 else x


# ---------------------------------------------------------------------------
# Erlang B and C


def _erlang_b_scalar(c: int, a: float) -> float:
    # B(0) = 1 and B(k) = a B(k-1) / (k + a B(k-1)): every term lies in [0, 1], so
    # nothing overflows, unlike a^c / c! in the textbook form.
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def _erlang_b_array(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    # The same recursion, one step for all elements at a time; an element stops
    # moving once k passes its own c. Same float operations as the scalar path.
    shape = np.broadcast_shapes(c.shape, a.shape)
    c_full, a_full = np.broadcast_to(c, shape), np.broadcast_to(a, shape)
    b = np.ones(shape)
    for k in range(1, int(c_full.max(initial=0)) + 1):
        ab = a_full * b
        b = np.where(k <= c_full, ab / (k + ab), b)
    return b


def _c_from_b(c, a, b):
    # Erlang C from Erlang B: C = c B / (c - a (1 - B)); the denominator is > 0 when a < c.
    return c * b / (c - a * (1.0 - b))


def erlang_b(c: ArrayLike, a: ArrayLike) -> float | np.ndarray:
    """Blocking probability of the M/M/c/c loss system (Erlang B formula).

    The share of arrivals that find all ``c`` servers busy and are lost when there
    is no queue, for offered load ``a``. By insensitivity it holds for any service
    time distribution with mean ``1 / mu``.

    Parameters
    ----------
    c : int or array_like of int
        Number of servers, >= 0 (``c = 0`` blocks everything: ``B = 1``). Whole
        floats such as ``5.0`` are accepted.
    a : float or array_like of float
        Offered load ``lam / mu`` in Erlangs, finite and >= 0; need not be whole.
        ``c`` and ``a`` broadcast against each other.

    Returns
    -------
    float or ndarray
        ``B(c, a)`` in [0, 1]: a float when both inputs are scalars, else an array
        of the broadcast shape.

    Raises
    ------
    QueueingError
        ``c`` negative or not whole, ``a`` negative or not finite.

    Notes
    -----
    ``B(c, a) = (a^c / c!) / sum_{k=0}^{c} a^k / k!``, computed by the recursion
    ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``. Each step stays in [0, 1],
    so it is stable for thousands of servers; the cost is ``max(c)`` vector steps.

    Examples
    --------
    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    >>> erlang_b(1, 3.0)  # one server: a / (1 + a)
    0.75
    >>> erlang_b([1, 2, 3], 2.5).round(4)
    array([0.7143, 0.4717, 0.2822])
    """
    c_arr = _servers(c, minimum=0, func="erlang_b")
    a_arr = _load(a, func="erlang_b")
    if c_arr.ndim == 0 and a_arr.ndim == 0:
        return _erlang_b_scalar(int(c_arr), float(a_arr))
    return _erlang_b_array(c_arr, a_arr)


def erlang_c(c: ArrayLike, a: ArrayLike) -> float | np.ndarray:
    """Probability that an arrival has to wait in an M/M/c queue (Erlang C formula).

    Infinite queue, first come first served, ``c`` servers, offered load ``a``.

    Parameters
    ----------
    c : int or array_like of int
        Number of servers, >= 1.
    a : float or array_like of float
        Offered load ``lam / mu`` in Erlangs, finite, >= 0 and below ``c`` (with
        ``a >= c`` work arrives faster than the servers clear it and the queue grows
        without bound). Broadcasts against ``c``.

    Returns
    -------
    float or ndarray
        ``C(c, a)`` in [0, 1]: a float when both inputs are scalars, else an array
        of the broadcast shape.

    Raises
    ------
    QueueingError
        ``c`` not a positive integer, ``a`` negative or not finite, or ``a >= c``.

    Notes
    -----
    With ``B = B(c, a)`` from :func:`erlang_b`,
    ``C(c, a) = c B / (c - a (1 - B))``, which equals the textbook
    ``(a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))``
    without its overflowing powers and factorials.

    Examples
    --------
    >>> round(erlang_c(2, 1.0), 12)  # M/M/2 at 50% utilisation: 1/3
    0.333333333333
    >>> erlang_c(1, 0.6)  # one server: P(wait) = utilisation
    0.6
    >>> erlang_c(5, 5.0)
    Traceback (most recent call last):
    ...
    spm_sim.errors.QueueingError: erlang_c needs a < c ...; got c=5, a=5.0
    """
    c_arr = _servers(c, minimum=1, func="erlang_c")
    a_arr = _load(a, func="erlang_c")
    c_full, a_full = np.broadcast_arrays(c_arr, a_arr)
    bad = a_full >= c_full
    if bad.any():
        c_bad, where = _first_bad(c_full, bad)
        a_bad = a_full[bad].flat[0].item()
        raise QueueingError(
            "erlang_c needs a < c (offered load below the number of servers, else the "
            f"queue grows without bound); got c={c_bad}, a={a_bad!r}{where}"
        )
    if c_arr.ndim == 0 and a_arr.ndim == 0:
        c_int, a_float = int(c_arr), float(a_arr)
        return _c_from_b(c_int, a_float, _erlang_b_scalar(c_int, a_float))
    return _c_from_b(c_full, a_full, _erlang_b_array(c_arr, a_arr))


# ---------------------------------------------------------------------------
# the M/M/c queue


def _p_within(p_wait: float, drain: float, t):
    # P(Wq <= t) = 1 - C exp(-(c mu - lam) t): a wait is 0 with probability 1 - C,
    # else exponential with rate c mu - lam (the queue's drain rate).
    return 1.0 - p_wait * np.exp(-drain * t)


@dataclass(frozen=True, kw_only=True)
class MMc:
    """An M/M/c queue and its steady-state measures (a frozen, validated spec).

    Poisson arrivals at rate ``lam``, ``c`` servers each working at rate ``mu``
    (exponential service times with mean ``1 / mu``), an unlimited queue served
    first come first served. Build it with :func:`mmc` or ``MMc(lam=..., mu=...,
    c=...)``; ``dataclasses.replace(q, c=q.c + 1)`` is a what-if and validates again.

    Parameters
    ----------
    lam : float
        Arrival rate per time unit, finite and >= 0.
    mu : float
        Service rate of one server per time unit (the same unit), finite and > 0.
    c : int
        Number of servers, a positive integer with ``lam < c mu`` (stability).

    Attributes
    ----------
    p_wait : float
        Probability that an arrival waits at all, Erlang C ``C(c, lam / mu)``;
        computed on construction.

    Raises
    ------
    QueueingError
        A rate outside its range, ``c`` not a positive integer, or an unstable
        queue (``lam / mu >= c``), naming the numbers.

    Notes
    -----
    With ``a = lam / mu``, ``rho = a / c`` and ``C = C(c, a)``:
    ``Wq = C / (c mu - lam)``, ``Lq = lam Wq`` (Little's law), ``L = Lq + a``,
    ``W = Wq + 1 / mu`` and ``P(Wq <= t) = 1 - C exp(-(c mu - lam) t)`` for t >= 0.

    Examples
    --------
    Leads arrive at 30 an hour and a first contact takes 12 minutes on average
    (``mu = 5`` an hour); eight reps are 75% busy:

    >>> q = mmc(30, 5, 8)
    >>> q.utilisation
    0.75
    >>> round(q.p_wait, 4), round(60 * q.mean_wait, 2)  # P(wait), mean wait in minutes
    (0.357, 2.14)
    >>> round(q.service_level(5 / 60), 4)  # share contacted within 5 minutes
    0.8449
    >>> round(60 * q.wait_quantile(0.95), 2)  # 95% wait at most this many minutes
    11.79
    >>> mmc(30, 5, 6)
    Traceback (most recent call last):
    ...
    spm_sim.errors.QueueingError: M/M/c with lam=30.0, mu=5.0, c=6 is unstable: ...
    """

    lam: float
    mu: float
    c: int
    p_wait: float = field(init=False)

    def __post_init__(self) -> None:
        lam, mu = _rates("MMc", self.lam, self.mu)
        c = int(_servers(self.c, minimum=1, func="MMc")) if np.ndim(self.c) == 0 else None
        if c is None:
            raise QueueingError(f"MMc: c must be a single number of servers; got {self.c!r}")
        a = lam / mu
        if not a < c:
            raise QueueingError(
                f"M/M/c with lam={lam!r}, mu={mu!r}, c={c} is unstable: the offered load "
                f"a = lam/mu = {a:g} must be below c = {c} (utilisation a/c = {a / c:.4g} "
                "must be < 1); add servers or lower the arrival rate"
            )
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "p_wait", _c_from_b(c, a, _erlang_b_scalar(c, a)))

    @property
    def offered_load(self) -> float:
        """Offered load ``a = lam / mu`` in Erlangs: the mean number of busy servers."""
        return self.lam / self.mu

    @property
    def utilisation(self) -> float:
        """Share of time a server is busy, ``rho = a / c = lam / (c mu)``, in [0, 1)."""
        return self.offered_load / self.c

    @property
    def mean_wait(self) -> float:
        """Mean time in the queue before service starts, ``Wq = C / (c mu - lam)``."""
        return self.p_wait / (self.c * self.mu - self.lam)

    @property
    def mean_queue(self) -> float:
        """Mean number waiting (not in service), ``Lq = lam Wq`` by Little's law."""
        return self.lam * self.mean_wait

    @property
    def mean_in_system(self) -> float:
        """Mean number in the system, waiting or in service, ``L = Lq + a``."""
        return self.mean_queue + self.offered_load

    @property
    def mean_response(self) -> float:
        """Mean time from arrival to the end of service, ``W = Wq + 1 / mu``."""
        return self.mean_wait + 1.0 / self.mu

    def p_wait_within(self, t: ArrayLike) -> float | np.ndarray:
        """Probability that an arrival waits at most ``t``: ``1 - C exp(-(c mu - lam) t)``.

        Parameters
        ----------
        t : float or array_like of float
            Waiting time(s) in the rates' time unit, >= 0 (``inf`` allowed, giving 1).

        Returns
        -------
        float or ndarray
            ``P(Wq <= t)``, same shape as ``t``; ``1 - p_wait`` at ``t = 0``.

        Examples
        --------
        >>> mmc(3, 5, 1).p_wait_within([0.0, 1.0]).round(4)
        array([0.4   , 0.9188])
        """
        t_arr = np.asarray(t, dtype=float)
        bad = np.isnan(t_arr) | (t_arr < 0)
        if bad.any():
            value, where = _first_bad(t_arr, bad)
            raise QueueingError(f"p_wait_within: t must be >= 0; got t={value!r}{where}")
        drain = self.c * self.mu - self.lam
        return _out(_p_within(self.p_wait, drain, t_arr))

    def service_level(self, t: ArrayLike) -> float | np.ndarray:
        """Share of arrivals whose wait is at most ``t`` (the same as :meth:`p_wait_within`).

        The planners' name: "80% of leads contacted within 15 minutes" is
        ``service_level(15 minutes) >= 0.8``.

        Examples
        --------
        >>> q = mmc(3, 5, 1)
        >>> q.service_level(1.0) == q.p_wait_within(1.0)
        True
        """
        return self.p_wait_within(t)

    def wait_quantile(self, q: ArrayLike) -> float | np.ndarray:
        """The ``q``-quantile of the wait: the least ``t`` with ``P(Wq <= t) >= q``.

        Parameters
        ----------
        q : float or array_like of float
            Probability level(s) in [0, 1].

        Returns
        -------
        float or ndarray
            ``0`` when ``q <= 1 - C`` (that share does not wait at all), else
            ``ln(C / (1 - q)) / (c mu - lam)``; ``inf`` at ``q = 1`` if anyone waits.
            Same shape as ``q``.

        Examples
        --------
        >>> q = mmc(3, 5, 1)  # 40% do not wait
        >>> q.wait_quantile([0.3, 0.9]).round(4)
        array([0.    , 0.8959])
        """
        q_arr = np.asarray(q, dtype=float)
        bad = ~((q_arr >= 0) & (q_arr <= 1))
        if bad.any():
            value, where = _first_bad(q_arr, bad)
            raise QueueingError(f"wait_quantile: q must be in [0, 1]; got q={value!r}{where}")
        drain = self.c * self.mu - self.lam
        with np.errstate(divide="ignore", invalid="ignore"):  # q = 1 or p_wait = 0
            tail = (np.log(self.p_wait) - np.log1p(-q_arr)) / drain
        return _out(np.where(q_arr <= 1.0 - self.p_wait, 0.0, tail))


def mmc(lam: float, mu: float, c: int) -> MMc:
    """The M/M/c queue with arrival rate ``lam``, service rate ``mu`` per server, ``c`` servers.

    A positional shorthand for ``MMc(lam=lam, mu=mu, c=c)``; see :class:`MMc` for
    the measures and the rules the arguments must meet.

    Examples
    --------
    >>> q = mmc(3, 5, 1)  # M/M/1: rho = 0.6, Wq = rho / (mu - lam) = 0.3
    >>> q.utilisation, round(q.mean_wait, 12), round(q.mean_in_system, 12)
    (0.6, 0.3, 1.5)
    """
    return MMc(lam=lam, mu=mu, c=c)


# ---------------------------------------------------------------------------
# staffing


def _smallest_utilisation_c(a: float, cap: float) -> int:
    # The least c >= 1 with a / c <= cap, judged in floating point exactly as
    # MMc.utilisation computes it (ceil(a / cap) alone can be one off by rounding).
    c = max(1, math.ceil(a / cap))
    while c > 1 and a / (c - 1) <= cap:
        c -= 1
    while a / c > cap:
        c += 1
    return c


def smallest_c(
    lam: float,
    mu: float,
    *,
    p_within: float | None = None,
    within: float | None = None,
    max_utilisation: float | None = None,
) -> int:
    """The fewest servers for which an M/M/c queue meets a service target and/or a busy cap.

    The staffing question "how many reps contact 90% of leads within one hour?" is
    ``smallest_c(lam, mu, p_within=0.9, within=1.0)`` with rates per hour.

    Parameters
    ----------
    lam : float
        Arrival rate per time unit, finite and >= 0.
    mu : float
        Service rate of one server per time unit, finite and > 0.
    p_within : float, optional
        Service target: the share of arrivals that must wait at most ``within``,
        in (0, 1). Give it together with ``within``.
    within : float, optional
        The waiting time of the service target, in the rates' time unit, finite and
        >= 0 (``0`` asks that a share ``p_within`` not wait at all).
    max_utilisation : float, optional
        Cap on ``rho = lam / (c mu)``, in (0, 1]. A cap of 1 asks for stability only.

    Returns
    -------
    int
        The smallest ``c`` with ``lam < c mu`` (always required) that meets every
        target given: ``service_level(within) >= p_within`` and
        ``utilisation <= max_utilisation``, as :class:`MMc` computes them.

    Raises
    ------
    QueueingError
        No target given, ``p_within`` without ``within`` or the reverse, or a value
        outside its range.

    Notes
    -----
    The search starts at the larger of ``floor(a) + 1`` (the least stable ``c``)
    and the least ``c`` within the utilisation cap, then adds one server at a time,
    advancing Erlang B by one step of its recursion per server. The service level
    rises with ``c`` and tends to 1, so the search ends; for a target in (0, 1) it
    takes about ``sqrt(a)`` steps beyond the start (square-root staffing).

    Examples
    --------
    30 leads an hour, 12 minutes of work each (``mu = 5`` an hour), 90% contacted
    within 5 minutes, reps at most 80% busy:

    >>> smallest_c(30, 5, p_within=0.9, within=5 / 60)
    9
    >>> smallest_c(30, 5, max_utilisation=0.8)
    8
    >>> smallest_c(30, 5, p_within=0.9, within=5 / 60, max_utilisation=0.6)
    10
    """
    lam, mu = _rates("smallest_c", lam, mu)
    if p_within is None and within is None and max_utilisation is None:
        raise QueueingError(
            "smallest_c needs a target: p_within with within (e.g. p_within=0.9, "
            "within=1.0: 90% of arrivals wait at most 1 time unit) and/or max_utilisation"
        )
    if (p_within is None) != (within is None):
        given, missing = ("p_within", "within") if within is None else ("within", "p_within")
        value = p_within if within is None else within
        raise QueueingError(
            f"smallest_c: {given}={value!r} needs {missing} as well (the service target is "
            "'a share p_within of arrivals waits at most `within` time units')"
        )
    if p_within is not None:
        p_within = _number("smallest_c", "p_within", p_within, "in (0, 1)", lambda v: 0 < v < 1)
        within = _number("smallest_c", "within", within, ">= 0", lambda v: v >= 0)
    if max_utilisation is not None:
        max_utilisation = _number(
            "smallest_c", "max_utilisation", max_utilisation, "in (0, 1]", lambda v: 0 < v <= 1
        )

    a = lam / mu
    c = math.floor(a) + 1
    if max_utilisation is not None:
        c = max(c, _smallest_utilisation_c(a, max_utilisation))
    if p_within is None:
        return c
    b = _erlang_b_scalar(c, a)
    while _p_within(_c_from_b(c, a, b), c * mu - lam, within) < p_within:
        c += 1
        ab = a * b
        b = ab / (c + ab)
    return c


# ---------------------------------------------------------------------------
# checks of simulated output


def little_law_check(
    arrival_rate: ArrayLike, mean_wait: ArrayLike, mean_queue: ArrayLike
) -> float | np.ndarray:
    """Relative gap between a mean queue length and ``arrival_rate x mean_wait``.

    Little's law ``L = lam W`` holds for any stable queue whatever the arrival
    and service distributions, so a simulation whose averages break it has a
    bookkeeping error (or too short a run). Pass the queue alone (``Lq``, ``Wq``)
    or the whole system (``L``, ``W``).

    Parameters
    ----------
    arrival_rate, mean_wait, mean_queue : float or array_like of float
        Observed rate of arrivals (per time unit), mean time per arrival (same
        unit) and time-averaged number present, each >= 0. They broadcast.

    Returns
    -------
    float or ndarray
        ``|Lq - lam Wq| / max(Lq, lam Wq)``, in [0, 1]; 0 when both are 0. A float
        for scalar inputs. NaN inputs give NaN.

    Examples
    --------
    >>> q = mmc(30, 5, 8)
    >>> little_law_check(q.lam, q.mean_wait, q.mean_queue)
    0.0
    >>> round(little_law_check(2.0, 1.5, 3.3), 4)  # 3.3 observed vs 3.0 implied
    0.0909
    """
    arrays = [np.asarray(x, dtype=float) for x in (arrival_rate, mean_wait, mean_queue)]
    for name, arr in zip(("arrival_rate", "mean_wait", "mean_queue"), arrays, strict=True):
        bad = arr < 0
        if bad.any():
            value, where = _first_bad(arr, bad)
            raise QueueingError(f"little_law_check: {name} must be >= 0; got {value!r}{where}")
    lam, wait, queue = np.broadcast_arrays(*arrays)
    implied = lam * wait
    scale = np.maximum(queue, implied)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(scale == 0, 0.0, np.abs(queue - implied) / scale)
    return _out(gap)


def mean_ci(
    values: ArrayLike, level: float = 0.95, *, axis: int = 0
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Mean across replications and the half-width of its Student-t confidence interval.

    Parameters
    ----------
    values : array_like of float
        One result per replication along ``axis`` (e.g. each run's mean wait).
    level : float, default 0.95
        Confidence level, in (0, 1).
    axis : int, default 0
        The replication axis; the other axes are kept (for batch-first arrays
        ``(n_trials, n_reps, ...)`` pass ``axis=1``).

    Returns
    -------
    mean, half_width : float or ndarray
        The sample mean and ``t_{(1 + level)/2, n - 1} s / sqrt(n)`` with ``s`` the
        sample standard deviation (``ddof=1``); the interval is
        ``mean +- half_width``. Floats for 1-D input, else arrays without ``axis``.
        ``half_width`` is NaN when there is a single replication (``n < 2``).

    Raises
    ------
    QueueingError
        ``level`` outside (0, 1), a scalar ``values``, or no values along ``axis``.

    Examples
    --------
    >>> m, h = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> m, round(h, 4)
    (3.0, 1.9632)
    >>> mean_ci([7.0])
    (7.0, nan)
    """
    level = _number("mean_ci", "level", level, "in (0, 1), e.g. 0.95", lambda v: 0 < v < 1)
    x = np.asarray(values, dtype=float)
    if x.ndim == 0:
        raise QueueingError(
            f"mean_ci: values must hold one result per replication; got the scalar {values!r}"
        )
    n = x.shape[axis]
    if n == 0:
        raise QueueingError(f"mean_ci needs at least one value along axis {axis}; got none")
    mean = x.mean(axis=axis)
    if n < 2:
        half = np.full(np.shape(mean), np.nan)
    else:
        t = stats.t.ppf(0.5 + level / 2.0, df=n - 1)
        half = t * x.std(axis=axis, ddof=1) / math.sqrt(n)
    return _out(mean), _out(half)
