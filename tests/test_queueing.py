"""Closed-form queueing (spm_sim.capacity) against independent computations.

Oracles: exact rational sums with math.factorial (Erlang B and C), the stationary
distribution of the M/M/c birth-death chain (queue length), the Poisson ratio from
scipy.stats (large c), M/M/1 closed forms, brute-force staffing searches, and a
small event-by-event M/M/c simulation summarised with mean_ci.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import FrozenInstanceError, replace
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, special, stats

from spm_sim.capacity import MMc, erlang_b, erlang_c, little_law_check, mean_ci, mmc, smallest_c
from spm_sim.errors import QueueingError, SpmSimError

# ---------------------------------------------------------------------------
# independent oracles


def _series(c: int, a: Fraction) -> list[Fraction]:
    """a^k / k! for k = 0..c, exactly."""
    return [a**k / math.factorial(k) for k in range(c + 1)]


def erlang_b_direct(c: int, a: Fraction) -> float:
    terms = _series(c, a)
    return float(terms[c] / sum(terms))


def erlang_c_direct(c: int, a: Fraction) -> float:
    terms = _series(c, a)
    top = terms[c] * c / (c - a)
    return float(top / (sum(terms[:c]) + top))


def erlang_c_logsum(c: int, a: float) -> float:
    """Erlang C from the textbook sum, each term a^k / k! taken in logs (any c)."""
    if a == 0:
        return 0.0
    k = np.arange(c)
    log_terms = k * math.log(a) - special.gammaln(k + 1)
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    return float(np.exp(log_top - np.logaddexp(special.logsumexp(log_terms), log_top)))


def service_level_direct(lam: float, mu: float, c: int, t: float) -> float:
    a = lam / mu
    if a >= c:
        return -math.inf  # unstable: never meets a target
    return 1.0 - erlang_c_logsum(c, a) * math.exp(-(c * mu - lam) * t)


def birth_death_lq(lam: float, mu: float, c: int, n_max: int = 4000) -> tuple[float, float]:
    """Lq and P(wait) from the truncated stationary distribution of the M/M/c chain."""
    n = np.arange(n_max + 1)
    # log pi_n up to a constant: birth rate lam, death rate min(n, c) mu
    log_ratio = np.log(lam) - np.log(np.minimum(np.maximum(n[1:], 1), c) * mu)
    log_pi = np.concatenate([[0.0], np.cumsum(log_ratio)])
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    return float(np.sum(np.maximum(n - c, 0) * pi)), float(pi[n >= c].sum())


LOADS = [Fraction(1, 10), Fraction(1), Fraction(17, 4), Fraction(9), Fraction(251, 10)]


# ---------------------------------------------------------------------------
# Erlang B and C


@pytest.mark.parametrize("a", LOADS, ids=str)
@pytest.mark.parametrize("c", [1, 2, 3, 7, 12, 30])
def test_erlang_b_matches_exact_sum(c, a):
    assert erlang_b(c, float(a)) == pytest.approx(erlang_b_direct(c, a), rel=1e-12, abs=0)


@pytest.mark.parametrize(
    ("c", "a"), [(c, a) for c in (1, 2, 3, 7, 12, 30) for a in LOADS if a < c], ids=str
)
def test_erlang_c_matches_exact_sum(c, a):
    assert erlang_c(c, float(a)) == pytest.approx(erlang_c_direct(c, a), rel=1e-12, abs=0)
    # the log-sum oracle used by the staffing searches below agrees too
    assert erlang_c_logsum(c, float(a)) == pytest.approx(erlang_c_direct(c, a), rel=1e-11)


def test_textbook_values():
    assert erlang_b(10, 5.0) == pytest.approx(0.018384570336648, rel=1e-12)  # tables: 0.01838
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)  # M/M/2: 2 rho^2 / (1 + rho)
    for a in (0.0, 0.3, 2.5, 40.0):
        assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)
    for a in (0.0, 0.3, 0.95):
        assert erlang_c(1, a) == pytest.approx(a, rel=1e-14)  # M/M/1: P(wait) = rho
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0 and erlang_c(5, 0.0) == 0.0


def test_erlang_b_and_c_fall_with_servers_and_rise_with_load():
    for a in (0.5, 7.3, 60.0):
        b = erlang_b(np.arange(1, 201), a)
        assert np.all(np.diff(b[b > 1e-300]) < 0)
        c = np.arange(math.floor(a) + 1, 201)
        pc = erlang_c(c, a)
        assert np.all(np.diff(pc[pc > 1e-300]) < 0)
        assert np.all(pc >= b[c - 1])  # waiting is likelier than blocking at equal c
    loads = np.linspace(0.1, 9.9, 50)
    assert np.all(np.diff(erlang_b(10, loads)) > 0)
    assert np.all(np.diff(erlang_c(10, loads)) > 0)


def test_large_c_is_finite_and_matches_the_poisson_ratio():
    c, a = 2000, 1900.0
    b, pc = erlang_b(c, a), erlang_c(c, a)
    assert math.isfinite(b) and 0 <= b <= 1
    assert math.isfinite(pc) and 0 <= pc <= 1
    # B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a), in log space
    oracle = math.exp(stats.poisson.logpmf(c, a) - stats.poisson.logcdf(c, a))
    assert b == pytest.approx(oracle, rel=1e-9)
    assert pc == pytest.approx(c * oracle / (c - a * (1 - oracle)), rel=1e-9)
    # near-critical and far-from-critical loads, non-integer a
    for c, a in [(5000, 4999.5), (3000, 10.25), (10, 4000.0)]:
        b = erlang_b(c, a)
        assert math.isfinite(b) and 0 <= b <= 1
    assert 0 < erlang_c(5000, 4999.5) <= 1


@pytest.mark.parametrize("shape", [(), (2,), (2, 3)])
def test_array_inputs_broadcast_and_match_scalars(shape):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.0, 9.0, size=shape)
    c = np.full(shape, 10)
    for f in (erlang_b, erlang_c):
        out = f(c, a)
        assert np.shape(out) == shape
        flat = np.ravel(out)
        for i, (ci, ai) in enumerate(zip(np.ravel(c), np.ravel(a), strict=True)):
            assert flat[i] == f(int(ci), float(ai))  # same recursion: bit for bit
    if shape == ():
        assert isinstance(erlang_b(10, a), float) and isinstance(erlang_c(10, a), float)


def test_mixed_server_counts_broadcast():
    c = np.array([1, 4, 9])
    a = np.array([[0.5], [0.9]])
    out = erlang_c(c, a)
    assert out.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert out[i, j] == erlang_c(int(c[j]), float(a[i, 0]))
    assert erlang_b([0, 3], 2.0)[0] == 1.0


def test_erlang_errors_name_the_value_and_the_rule():
    assert issubclass(QueueingError, SpmSimError) and issubclass(QueueingError, ValueError)
    with pytest.raises(QueueingError, match=r"erlang_c needs a < c .* got c=5, a=5\.0"):
        erlang_c(5, 5.0)
    with pytest.raises(QueueingError, match=r"got c=3, a=3\.5 at index \(1,\)"):
        erlang_c(3, [1.0, 3.5, 4.0])
    with pytest.raises(QueueingError, match=r"c must be a positive integer .* got c=0"):
        erlang_c(0, 0.5)
    with pytest.raises(QueueingError, match=r"erlang_b: c must be >= 0; got c=-1"):
        erlang_b(-1, 0.5)
    with pytest.raises(QueueingError, match=r"c must be a whole number of servers; got c=2\.5"):
        erlang_b(2.5, 1.0)
    with pytest.raises(TypeError, match="c must be a whole number of servers; got True"):
        erlang_b(True, 1.0)
    with pytest.raises(QueueingError, match=r"a = lam/mu must be a finite number >= 0.*a=-1\.0"):
        erlang_b(3, -1.0)
    with pytest.raises(QueueingError, match=r"got a=nan"):
        erlang_c(3, float("nan"))
    assert erlang_b(5.0, 2.0) == erlang_b(5, 2.0)  # whole floats are fine


# ---------------------------------------------------------------------------
# the M/M/c queue


def test_mm1_closed_forms():
    lam, mu = 3.0, 5.0
    q = mmc(lam, mu, 1)
    rho = lam / mu
    assert q.utilisation == pytest.approx(rho, rel=1e-15)
    assert q.p_wait == pytest.approx(rho, rel=1e-14)
    assert q.mean_wait == pytest.approx(rho / (mu - lam), rel=1e-14)
    assert q.mean_queue == pytest.approx(rho**2 / (1 - rho), rel=1e-14)
    assert q.mean_in_system == pytest.approx(rho / (1 - rho), rel=1e-14)
    assert q.mean_response == pytest.approx(1 / (mu - lam), rel=1e-14)
    t = np.array([0.0, 0.1, 1.0, 7.5])
    np.testing.assert_allclose(q.p_wait_within(t), 1 - rho * np.exp(-(mu - lam) * t), rtol=1e-14)


@pytest.mark.parametrize(("lam", "mu", "c"), [(2.0, 1.0, 3), (7.3, 0.9, 9), (45.0, 0.5, 97)])
def test_mmc_matches_the_birth_death_chain(lam, mu, c):
    q = mmc(lam, mu, c)
    lq, p_wait = birth_death_lq(lam, mu, c)
    assert q.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert q.mean_queue == pytest.approx(lq, rel=1e-10)
    assert q.mean_in_system == pytest.approx(lq + lam / mu, rel=1e-10)
    # Little's law holds among the returned measures
    assert q.mean_queue == pytest.approx(lam * q.mean_wait, rel=1e-15)
    assert q.mean_in_system == pytest.approx(lam * q.mean_response, rel=1e-13)
    assert little_law_check(lam, q.mean_response, q.mean_in_system) < 1e-13


def test_wait_distribution_and_quantiles():
    q = mmc(30.0, 5.0, 8)
    assert q.p_wait_within(0.0) == pytest.approx(1 - q.p_wait, rel=1e-15)
    assert q.p_wait_within(math.inf) == 1.0
    assert q.service_level(0.25) == q.p_wait_within(0.25)
    levels = np.array([0.7, 0.9, 0.99, 0.999])
    assert np.all(levels > 1 - q.p_wait)
    np.testing.assert_allclose(q.p_wait_within(q.wait_quantile(levels)), levels, rtol=1e-13)
    assert q.wait_quantile(0.5) == 0.0  # most arrivals do not wait at all
    assert q.wait_quantile(1.0) == math.inf
    assert q.wait_quantile(levels).shape == (4,)
    assert q.wait_quantile(np.ones((2, 3)) * 0.9).shape == (2, 3)
    assert isinstance(q.wait_quantile(0.9), float) and isinstance(q.p_wait_within(0.1), float)
    # the mean wait is the integral of the tail
    grid = np.linspace(0.0, 5.0, 200_001)
    tail = 1.0 - q.p_wait_within(grid)
    assert integrate.trapezoid(tail, grid) == pytest.approx(q.mean_wait, rel=1e-8)
    idle = mmc(0.0, 1.0, 2)
    assert idle.p_wait == 0.0 and idle.mean_wait == 0.0 and idle.wait_quantile(1.0) == 0.0


def test_mmc_is_frozen_and_validates_on_replace():
    q = mmc(9, 1, 10)
    assert q == MMc(lam=9.0, mu=1.0, c=10)
    assert isinstance(q.c, int) and isinstance(q.lam, float)
    with pytest.raises(FrozenInstanceError):
        q.c = 11
    more = replace(q, c=12)
    assert more.p_wait < q.p_wait
    with pytest.raises(QueueingError, match=r"lam=10\.0, mu=1\.0, c=10 is unstable"):
        replace(q, lam=10)
    with pytest.raises(TypeError):
        MMc(9.0, 1.0, 10)  # keyword-only: mmc(...) is the positional shorthand


def test_mmc_errors_name_the_value_and_the_rule():
    with pytest.raises(QueueingError, match=r"a = lam/mu = 6 must be below c = 5.*utilisation"):
        mmc(30, 5, 5)
    with pytest.raises(
        QueueingError, match=r"mu \(service rate of one server\) must be > 0; got 0"
    ):
        mmc(1, 0, 3)
    with pytest.raises(QueueingError, match=r"lam \(arrival rate\) must be >= 0; got -1"):
        mmc(-1, 1, 3)
    with pytest.raises(QueueingError, match=r"finite number >= 0; got inf"):
        mmc(math.inf, 1, 3)
    with pytest.raises(QueueingError, match=r"c must be a positive integer .*got c=0"):
        mmc(0, 1, 0)
    with pytest.raises(QueueingError, match=r"c must be a single number of servers"):
        mmc(1, 1, [2, 3])
    q = mmc(1, 1, 2)
    with pytest.raises(QueueingError, match=r"t must be >= 0; got t=-1\.0 at index \(1,\)"):
        q.p_wait_within([0.0, -1.0])
    with pytest.raises(QueueingError, match=r"q must be in \[0, 1\]; got q=1\.5"):
        q.wait_quantile(1.5)


# ---------------------------------------------------------------------------
# staffing


def brute_force_c(lam, mu, *, p_within=None, within=None, max_utilisation=None) -> int:
    """The least c meeting the targets, by trying c = 1, 2, ... with the log-sum oracle."""
    a = lam / mu
    for c in range(1, 10_000):
        if a >= c:
            continue
        if max_utilisation is not None and a / c > max_utilisation:
            continue
        if p_within is not None and service_level_direct(lam, mu, c, within) < p_within:
            continue
        return c
    raise AssertionError("no c found")


def test_published_call_centre_examples():
    # 360 calls per half hour, 4-minute calls, 80% answered within 15 seconds: 48 Erlangs,
    # the worked example that staffs 55 agents (P(wait) about 24%, mean wait about 8.2 s).
    lam, mu = 12.0, 0.25  # per minute
    c = smallest_c(lam, mu, p_within=0.8, within=0.25)
    assert c == brute_force_c(lam, mu, p_within=0.8, within=0.25) == 55
    q = mmc(lam, mu, c)
    assert q.p_wait == pytest.approx(0.2387, abs=5e-5)
    assert 60 * q.mean_wait == pytest.approx(8.18, abs=5e-3)
    assert q.service_level(0.25) >= 0.8 > mmc(lam, mu, c - 1).service_level(0.25)
    # 100 calls per half hour, 3-minute calls, 80% within 20 seconds: 10 Erlangs -> 14
    lam, mu = 100 / 1800, 1 / 180  # per second
    c = smallest_c(lam, mu, p_within=0.8, within=20.0)
    assert c == brute_force_c(lam, mu, p_within=0.8, within=20.0) == 14
    # 90% of leads contacted within 1 hour; 6 leads an hour, 45 minutes of work each
    c = smallest_c(6.0, 4 / 3, p_within=0.9, within=1.0)
    assert c == brute_force_c(6.0, 4 / 3, p_within=0.9, within=1.0)


TARGETS = [
    {"p_within": 0.8, "within": 0.25},
    {"p_within": 0.95, "within": 0.0},
    {"p_within": 0.9, "within": 2.0, "max_utilisation": 0.85},
    {"max_utilisation": 0.7},
    {"max_utilisation": 1.0},
]


@pytest.mark.parametrize(
    "target", TARGETS, ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items())
)
def test_smallest_c_is_minimal_on_a_grid(target):
    for lam in (0.0, 0.37, 1.0, 3.0, 12.7, 40.0, 150.0):
        for mu in (1.0, 0.37, 2.5):
            c = smallest_c(lam, mu, **target)
            assert c == brute_force_c(lam, mu, **target), (lam, mu, target)
            assert _meets(lam, mu, c, target)
            assert c == 1 or not _meets(lam, mu, c - 1, target), (lam, mu, c, target)


def _meets(lam, mu, c, target) -> bool:
    if lam / mu >= c:
        return False
    q = mmc(lam, mu, c)
    cap = target.get("max_utilisation")
    if cap is not None and q.utilisation > cap:
        return False
    p = target.get("p_within")
    return p is None or q.service_level(target["within"]) >= p


def test_smallest_c_edges():
    assert smallest_c(9.0, 1.0, max_utilisation=0.9) == 10  # 9/10 is exactly the cap
    assert smallest_c(4.0, 1.0, max_utilisation=1.0) == 5  # rho = 1 is unstable
    assert smallest_c(0.0, 1.0, p_within=0.99, within=0.0) == 1
    assert smallest_c(0.7, 1.0, max_utilisation=0.7) == 1
    assert smallest_c(1900.0, 1.0, p_within=0.9, within=0.01) > 1900  # large c stays quick


def test_smallest_c_errors():
    with pytest.raises(QueueingError, match="smallest_c needs a target: p_within with within"):
        smallest_c(1.0, 1.0)
    with pytest.raises(QueueingError, match=r"p_within=0\.9 needs within as well"):
        smallest_c(1.0, 1.0, p_within=0.9)
    with pytest.raises(QueueingError, match=r"within=1\.0 needs p_within as well"):
        smallest_c(1.0, 1.0, within=1.0, max_utilisation=0.8)
    for bad in (0.0, 1.0, 1.5, 90):
        with pytest.raises(QueueingError, match=rf"p_within must be in \(0, 1\); got {bad}"):
            smallest_c(1.0, 1.0, p_within=bad, within=1.0)
    with pytest.raises(QueueingError, match=r"within must be >= 0; got -1"):
        smallest_c(1.0, 1.0, p_within=0.9, within=-1)
    with pytest.raises(QueueingError, match=r"within must be a finite number >= 0; got nan"):
        smallest_c(1.0, 1.0, p_within=0.9, within=math.nan)
    with pytest.raises(QueueingError, match=r"max_utilisation must be in \(0, 1\]; got 1\.2"):
        smallest_c(1.0, 1.0, max_utilisation=1.2)
    with pytest.raises(QueueingError, match=r"mu \(service rate of one server\) must be > 0"):
        smallest_c(1.0, -2.0, max_utilisation=0.5)


# ---------------------------------------------------------------------------
# checks of simulated output


def test_little_law_check():
    assert little_law_check(2.0, 1.5, 3.0) == 0.0
    assert little_law_check(2.0, 1.5, 3.3) == pytest.approx(0.3 / 3.3, rel=1e-14)
    assert little_law_check(2.0, 1.5, 2.7) == pytest.approx(0.3 / 3.0, rel=1e-14)
    assert little_law_check(0.0, 0.0, 0.0) == 0.0
    out = little_law_check([1.0, 2.0], 1.0, [[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.5, 0.5]])
    assert math.isnan(little_law_check(1.0, math.nan, 1.0))
    with pytest.raises(QueueingError, match=r"mean_wait must be >= 0; got -0\.5"):
        little_law_check(1.0, -0.5, 1.0)


def test_mean_ci_matches_scipy_and_handles_small_samples():
    x = np.array([4.1, 3.7, 5.2, 4.4, 3.9, 4.8])
    m, h = mean_ci(x, level=0.9)
    lo, hi = stats.t.interval(0.9, df=len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean(), rel=1e-15)
    assert (m - h, m + h) == pytest.approx((lo, hi), rel=1e-12)
    assert mean_ci([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(
        (3.0, 2.7764451 * 0.7071068), rel=1e-6
    )
    m, h = mean_ci([2.5])
    assert m == 2.5 and math.isnan(h)
    # batch-first: (n_trials, n_reps); the interval is across reps
    batch = np.arange(12.0).reshape(3, 4) ** 1.5
    means, halves = mean_ci(batch, axis=1)
    assert means.shape == halves.shape == (3,)
    for i in range(3):
        assert (means[i], halves[i]) == pytest.approx(mean_ci(batch[i]), rel=1e-14)
    one_rep = mean_ci(np.ones((3, 1)), axis=1)
    assert one_rep[1].shape == (3,) and np.all(np.isnan(one_rep[1]))


def test_mean_ci_covers_at_its_level():
    rng = np.random.default_rng(0)
    samples = rng.normal(10.0, 3.0, size=(5, 4000))  # 4000 experiments of 5 replications
    m, h = mean_ci(samples, level=0.9)
    coverage = np.mean(np.abs(m - 10.0) <= h)
    assert abs(coverage - 0.9) < 4 * math.sqrt(0.9 * 0.1 / 4000)


def test_mean_ci_errors():
    with pytest.raises(QueueingError, match=r"level must be in \(0, 1\), e\.g\. 0\.95; got 95"):
        mean_ci([1.0, 2.0], level=95)
    with pytest.raises(QueueingError, match="at least one value along axis 0"):
        mean_ci([])
    with pytest.raises(QueueingError, match="one result per replication; got the scalar 3.0"):
        mean_ci(3.0)


def _simulate_mmc_waits(lam, mu, c, n, rng):
    """Waits of n FCFS customers in an M/M/c queue started empty (event by event)."""
    arrivals = np.cumsum(rng.exponential(1 / lam, size=n))
    services = rng.exponential(1 / mu, size=n)
    free_at = [0.0] * c  # when each server next becomes free
    waits = np.empty(n)
    for i in range(n):
        start = max(arrivals[i], heapq.heappop(free_at))
        waits[i] = start - arrivals[i]
        heapq.heappush(free_at, start + services[i])
    return waits


def test_simulated_mmc_agrees_with_the_closed_forms():
    lam, mu, c = 2.0, 1.0, 3
    q = mmc(lam, mu, c)
    warm, n = 500, 4000
    reps = [np.random.default_rng(s) for s in np.random.SeedSequence(20240).spawn(20)]
    runs = [_simulate_mmc_waits(lam, mu, c, warm + n, r)[warm:] for r in reps]
    mean_wait, h_wait = mean_ci([w.mean() for w in runs])
    within, h_within = mean_ci([np.mean(w <= 0.5) for w in runs])
    # 1.5 half-widths of a 95% interval on 19 df: about 3 standard errors
    assert abs(mean_wait - q.mean_wait) <= 1.5 * h_wait
    assert abs(within - q.p_wait_within(0.5)) <= 1.5 * h_within
