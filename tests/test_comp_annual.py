"""The payout kernel's annual path: the totals a simulation keeps, without the
monthly array, equal to the last bit to what the monthly path adds up to.

``payout(..., detail="annual")`` returns an :class:`AnnualPayout` whose
``annual_by_component``, ``company_by_period``, ``total``, ``attainment`` and
``draw_balance`` must equal those of ``payout(..., detail="monthly")``, bit for bit
(``np.array_equal``), on the oracle's random plans and books (every mechanic), with
leading trial axes, in chunks, and on the sample plans. ``company_by_period`` must
also equal ``by_period.sum(axis=1)``, the figure ``simulate`` has always kept.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_comp_oracle import cases
from test_comp_oracle import run_kernel as pay

from spm_sim._comp import kernel
from spm_sim.comp import DETAILS, AnnualPayout, Payout, payout, standard_plan
from spm_sim.errors import DataError
from spm_sim.scenario import sample_plans


def assert_same_totals(annual: AnnualPayout, monthly: Payout) -> None:
    """Every total of the annual path equals the monthly path's, to the last bit."""
    assert isinstance(annual, AnnualPayout) and isinstance(monthly, Payout)
    assert annual.detail == "annual" and monthly.detail == "monthly"
    assert annual.components == monthly.components
    assert annual.annual_by_component.shape == monthly.annual_by_component.shape
    assert np.array_equal(annual.annual_by_component, monthly.annual_by_component)
    n_reps_axis = monthly.by_period.ndim - 2
    assert np.array_equal(annual.company_by_period, monthly.by_period.sum(axis=n_reps_axis))
    assert np.array_equal(annual.company_by_period, monthly.company_by_period)
    assert np.array_equal(annual.total, monthly.total)
    assert np.array_equal(annual.annual_bookings, monthly.annual_bookings)
    assert np.array_equal(annual.attainment, monthly.attainment, equal_nan=True)
    if monthly.draw_balance is None:
        assert annual.draw_balance is None
    else:
        assert np.array_equal(annual.draw_balance, monthly.draw_balance)


def with_trials(book: dict, factors=(1.0, 0.5, 1.7)) -> dict:
    """The book with a leading trials axis: its sales scaled by each factor (the
    cancellations with them, so they stay within what was credited)."""

    def stack(x):
        return np.stack([x * f for f in factors])

    return {
        **book,
        "bookings": stack(np.asarray(book["bookings"])),
        "measures": {k: stack(np.asarray(v)) for k, v in (book["measures"] or {}).items()} or None,
        "cancellations": {k: stack(np.asarray(v)) for k, v in (book["cancellations"] or {}).items()}
        or None,
    }


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_annual_totals_equal_the_monthly_ones_on_random_plans(case):
    plan, book = case
    assert_same_totals(pay(plan, book, "annual"), pay(plan, book, "monthly"))


@settings(max_examples=40, deadline=None)
@given(case=cases())
def test_annual_totals_equal_with_a_trials_axis_and_in_chunks(case):
    plan, book = case
    trials = with_trials(book)
    annual = pay(plan, trials, "annual")
    assert_same_totals(annual, pay(plan, trials, "monthly"))
    # each trial paid alone gives the same digits as all trials paid together
    for t in range(3):
        alone = pay(plan, with_trials(book, factors=((1.0, 0.5, 1.7)[t],)), "annual")
        assert np.array_equal(alone.annual_by_component[0], annual.annual_by_component[t])
        assert np.array_equal(alone.company_by_period[0], annual.company_by_period[t])


@pytest.mark.parametrize("name", sorted(sample_plans()))
def test_the_sample_plans_pay_the_same_totals_either_way(name):
    plan = sample_plans()[name]
    rng = np.random.default_rng(7)
    n_trials, n_reps = 6, 40
    quotas = np.full((n_reps, 12), 100_000.0)
    quotas[3] = 0.0  # a rep without quota
    bookings = rng.exponential(100_000.0, (n_trials, n_reps, 12))
    measures = {}
    for m in plan.measures:
        if m.kind == "score":
            measures[m.name] = rng.uniform(0.0, 1.0, (n_trials, n_reps, 12))
        elif m.kind == "bookings":
            measures[m.name] = bookings * rng.uniform(0.0, 0.6, bookings.shape)
        else:
            measures[m.name] = rng.poisson(1.0, bookings.shape).astype(float)
    ti = rng.uniform(40_000.0, 120_000.0, n_reps)
    args = (plan, bookings, quotas, ti)
    annual = payout(*args, measures=measures or None, detail="annual")
    assert_same_totals(annual, payout(*args, measures=measures or None))


def test_the_annual_path_keeps_no_monthly_payments():
    plan = standard_plan(threshold=0.5, accelerator=2.0)
    p = payout(plan, [[100, 100, 150, 150]], [[100, 100, 100, 100]], [40], detail="annual")
    np.testing.assert_allclose(p.total, [60.0])
    np.testing.assert_allclose(p.company_by_period, [0.0, 20.0, 15.0, 25.0])
    for name in ("by_period", "by_component"):
        with pytest.raises(AttributeError, match="detail='monthly'"):
            getattr(p, name)
    assert not hasattr(p, "by_period")
    assert not p.annual_by_component.flags.writeable


def test_an_unknown_detail_is_refused_with_the_choices():
    assert DETAILS == ("monthly", "annual")
    with pytest.raises(ValueError, match="detail must be one of 'monthly', 'annual'; got 'daily'"):
        payout(standard_plan(), [[1.0]], [[1.0]], [1.0], detail="daily")


@settings(max_examples=40, deadline=None)
@given(n_trials=st.integers(1, 3), n_reps=st.integers(1, 7), n=st.integers(1, 12))
def test_company_totals_add_reps_as_by_period_sum_does_at_any_size(n_trials, n_reps, n):
    """``by_period.sum(axis=1)``, what ``simulate`` keeps, equals the annual path's
    company total for every size, one period and one rep included."""
    rng = np.random.default_rng(n_trials * 100 + n_reps * 13 + n)
    plan = standard_plan(threshold=0.3, accelerator=1.7)
    bookings = rng.lognormal(11.0, 2.0, (n_trials, n_reps, n))
    quotas = np.full((n_reps, n), 90_000.0)
    ti = rng.uniform(1.0, 1e5, n_reps)
    monthly = payout(plan, bookings, quotas, ti)
    annual = payout(plan, bookings, quotas, ti, detail="annual")
    assert np.array_equal(monthly.by_period.sum(axis=1), annual.company_by_period)


@settings(max_examples=40, deadline=None)
@given(case=cases(), per_trial_quotas=st.booleans())
def test_paying_in_blocks_of_rows_changes_no_digit(case, per_trial_quotas):
    """``payout`` pays its leading axis in cache-sized blocks of rows: blocks of one
    row, or of two and one, give the same payments, to the last bit, as one block of
    all; with quotas shared by every trial or given per trial."""
    plan, book = case
    trials = with_trials(book)
    if per_trial_quotas:
        trials["quotas"] = np.stack([np.asarray(book["quotas"], dtype=float)] * 3)
    whole_m, whole_a = pay(plan, trials, "monthly"), pay(plan, trials, "annual")
    cells = int(np.prod(np.shape(trials["bookings"])[1:]))
    saved = kernel._BLOCK_CELLS
    for block in (1, 2 * cells):  # one row a block; two rows, then one
        kernel._BLOCK_CELLS = block
        try:
            rows_m, rows_a = pay(plan, trials, "monthly"), pay(plan, trials, "annual")
        finally:
            kernel._BLOCK_CELLS = saved
        assert np.array_equal(rows_m.by_component, whole_m.by_component)
        assert np.array_equal(rows_a.annual_by_component, whole_a.annual_by_component)
        assert np.array_equal(rows_a.company_by_period, whole_a.company_by_period)
        assert np.array_equal(rows_m.annual_bookings, whole_m.annual_bookings)
        if whole_m.draw_balance is not None:
            assert np.array_equal(rows_m.draw_balance, whole_m.draw_balance)


def test_a_payment_out_of_range_is_named_in_the_whole_input(monkeypatch):
    """Paid block by block, a payment no money arithmetic can hold is still located
    by its index in the whole input (trial 2 here), not in its block."""
    monkeypatch.setattr(kernel, "_BLOCK_CELLS", 1)
    plan = standard_plan()
    bookings = np.full((3, 2, 12), 1e5)
    bookings[2, 1] = 9e12  # 90 million times the quota, every month
    quotas = np.full((2, 12), 1e5)
    with pytest.raises(DataError, match=r"rep at index \(2, 1\)"):
        payout(plan, bookings, quotas, [1e9, 1e9], detail="annual")
