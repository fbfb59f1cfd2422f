"""The behaviour's reference effort is computed once per setting on stored draws.

``reference_effort`` (the effort scale of the behaviour's reference plan) reads the
model, the quotas, the target incentives, the behaviour and the run's root, never the
plan paid, so :meth:`SalesDraws.pay` keeps it between plans; every result must still
be bit for bit what ``simulate`` gives.
"""

from __future__ import annotations

import numpy as np
import pytest

import spm_sim._simulate.prepare as prepare_module
from spm_sim.book import load_sample
from spm_sim.comp import standard_plan
from spm_sim.productivity import Behaviour
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import draw_sales, simulate

N = 12  # trials: the reference effort has its own 1,000 draws whatever this is


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def responding():
    base = sample_scenario("baseline")
    return base.replace(behaviour=Behaviour(reference_plan=base.plan))


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of the module's ``reference_effort`` (still computing it)."""
    made: list[float] = []
    real = prepare_module.reference_effort

    def counted(*args, **kwargs):
        kappa = real(*args, **kwargs)
        made.append(kappa)
        return kappa

    monkeypatch.setattr(prepare_module, "reference_effort", counted)
    return made


def assert_identical(fast, slow) -> None:
    for name in ("bookings", "payout", "company_by_period", "payout_by_period"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    assert sorted(fast.dynamics) == sorted(slow.dynamics)
    for key, value in slow.dynamics.items():
        assert np.array_equal(fast.dynamics[key], value), key
    assert fast.notes == slow.notes
    assert fast.trials.equals(slow.trials)


def test_paying_other_plans_reuses_the_reference_effort(responding, book, calls):
    draws = draw_sales(responding, N, book=book)
    assert len(calls) == 1  # the draws' own preparation
    richer = responding.replace(plan=standard_plan(attainment_cap=2.0))
    fast = [draws.pay(responding), draws.pay(richer)]
    assert len(calls) == 1  # two plans paid, no new reference effort
    assert fast[0].dynamics["mean_effort"].mean() != fast[1].dynamics["mean_effort"].mean()
    # a new quota setting changes the quotas effort is measured against: computed again
    tighter = responding.replace(quota=responding.quota.replace(growth=0.15))
    fast.append(draws.pay(tighter))
    assert len(calls) == 2
    assert calls[1] != calls[0]
    # ... and going back to it is remembered
    draws.pay(tighter.replace(plan=standard_plan(attainment_cap=2.0)))
    assert len(calls) == 2
    # a different behaviour (its effort response) is another reference effort
    keener = responding.replace(
        behaviour=responding.behaviour.replace(effort_elasticity=0.4, pull_forward=0.0)
    )
    draws.pay(keener)
    assert len(calls) == 3
    # bit for bit what simulate gives, which computes its own every time
    for scenario, result in zip((responding, richer, tighter), fast, strict=True):
        assert_identical(result, simulate(scenario, N, book=book))
    assert len(calls) == 6


def test_timing_alone_does_not_recompute_it(responding, book, calls):
    draws = draw_sales(responding, N, book=book)
    later = responding.replace(behaviour=responding.behaviour.replace(push_out=0.1))
    result = draws.pay(later)
    assert len(calls) == 1  # the reference plan runs effort only: timing is not read
    assert_identical(result, simulate(later, N, book=book))
