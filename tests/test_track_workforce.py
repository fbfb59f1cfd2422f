"""The workforce block in the in-year forecast: attrition and backfill from the as-of date."""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim import sample_scenario
from spm_sim.book import load_sample
from spm_sim.comp import standard_plan
from spm_sim.productivity import (
    Workforce,
    build_kernel,
    fit_productivity,
    monthly_hazard,
    run_kernel_by_month,
    workforce_clocks,
)
from spm_sim.track import forecast


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def plan():
    return standard_plan()


def _scenario(year: int, workforce: Workforce | None):
    return sample_scenario("baseline").replace(plan_year=year, workforce=workforce)


def test_no_attrition_changes_nothing_bit_for_bit(book, plan):
    kw = dict(trials=120, rng=5, chunk_size=50)
    off = forecast(book, plan, "2025-06-30", scenario=_scenario(2025, None), **kw)
    on = forecast(
        book, plan, "2025-06-30", scenario=_scenario(2025, Workforce(attrition=0.0)), **kw
    )
    assert np.array_equal(on.bookings, off.bookings)
    assert np.array_equal(on.from_pipeline, off.from_pipeline)
    assert np.array_equal(on.payout.by_component, off.payout.by_component)
    assert any(n.startswith("Workforce from 2025-06-30") for n in on.notes)


def test_high_hazard_cuts_the_rest_of_the_year_by_the_closed_form(book, plan):
    # no vacancy sales and a lag past December: a seat whose rep leaves books nothing
    # more, so month m (from the as-of month s) keeps the survival (1 - h)^(m - s)
    wf = Workforce(
        attrition=0.9,
        low_performer_hazard_ratio=1.0,
        backfill_lag_months=11,
        vacancy_productivity=0.0,
    )
    kw = dict(trials=300, rng=11)
    off = forecast(book, plan, "2025-06-30", scenario=_scenario(2025, None), **kw)
    on = forecast(book, plan, "2025-06-30", scenario=_scenario(2025, wf), **kw)
    assert np.array_equal(on.actual, off.actual)
    assert np.array_equal(on.bookings[:, :, :6], off.bookings[:, :, :6])
    survival = (1.0 - monthly_hazard(0.9)) ** np.arange(6)
    # same sales streams: given a trial's draws, the expected rest is the draws
    # times the survival, so the difference has mean 0 and a standard error
    expected = (off.bookings[:, :, 6:] * survival).sum(axis=(1, 2))
    got = on.bookings[:, :, 6:].sum(axis=(1, 2))
    diff = got - expected
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    assert abs(diff.mean()) < 4 * se
    share = got.mean() / off.bookings[:, :, 6:].sum(axis=(1, 2)).mean()
    closed = (off.bookings[:, :, 6:].mean(axis=(0, 1)) * survival).sum() / off.bookings[
        :, :, 6:
    ].mean(axis=(0, 1)).sum()
    assert share == pytest.approx(closed, abs=0.02)
    assert 0.5 < share < 0.8  # a real fall, not a no-op
    # July is the as-of month's successor: nobody has left before its end
    assert np.allclose(on.bookings[:, :, 6].mean(), off.bookings[:, :, 6].mean())


def test_reps_gone_before_the_date(book, plan):
    # as of 31 July 2024: R014 left on 12 April and R079 took their accounts in June
    # (a seat taken); R063 left on 20 June and their successor is hired in September
    # (a seat vacant at the date)
    def run(wf):
        return forecast(book, plan, "2024-07-31", trials=80, rng=3, scenario=_scenario(2024, wf))

    busy = run(Workforce(attrition=0.5, backfill_lag_months=0, vacancy_productivity=1.0))
    r014, r063 = busy.rep_ids.index("R014"), busy.rep_ids.index("R063")
    # the taken seat's leaver: nothing booked or paid after April, in every trial
    assert np.all(busy.bookings[:, r014, 4:] == 0.0)
    assert np.all(busy.payout.by_component[:, r014, 4:] == 0.0)
    assert busy.bookings[:, r014, :4].sum() > 0
    note = next(n for n in busy.notes if n.startswith("Workforce from"))
    assert "R063 (left 2024-06-20)" in note and "R014" not in note
    # the vacant seat: no sales while vacant, a new hire after the lag
    quiet = run(Workforce(attrition=0.0, backfill_lag_months=11, vacancy_productivity=0.0))
    assert np.all(quiet.bookings[:, r063, 6:] == 0.0)
    hired = run(Workforce(attrition=0.0, backfill_lag_months=2, vacancy_productivity=0.0))
    # left in June: vacant July (actual) and August, a new hire from September
    assert np.all(hired.bookings[:, r063, 7] == 0.0)
    assert hired.bookings[:, r063, 8:].sum() > 0
    assert np.array_equal(hired.bookings[:, r063, :7], hired.actual[None, r063, :7].repeat(80, 0))
    # no block: the leaver's row stays at its actuals
    none = forecast(book, plan, "2024-07-31", trials=80, rng=3, scenario=_scenario(2024, None))
    assert np.all(none.bookings[:, r063, 6:] == 0.0)


def test_as_of_december_the_block_changes_nothing(book, plan):
    kw = dict(trials=20, rng=2)
    wf = Workforce(attrition=0.6, backfill_lag_months=0)
    on = forecast(book, plan, "2025-12-31", scenario=_scenario(2025, wf), **kw)
    off = forecast(book, plan, "2025-12-31", **kw)
    assert np.array_equal(on.bookings, off.bookings)
    assert np.array_equal(on.payout.by_component, off.payout.by_component)


def test_same_seed_same_numbers_whatever_the_chunks(book, plan):
    s = _scenario(2025, Workforce(attrition=0.5, backfill_lag_months=1))
    a = forecast(book, plan, "2025-05-15", trials=40, rng=9, scenario=s, chunk_size=40)
    b = forecast(book, plan, "2025-05-15", trials=40, rng=9, scenario=s, chunk_size=17)
    c = forecast(book, plan, "2025-05-15", trials=40, rng=10, scenario=s, chunk_size=40)
    assert np.array_equal(a.bookings, b.bookings)
    assert np.array_equal(a.payout.by_component, b.payout.by_component)
    assert not np.array_equal(a.bookings, c.bookings)


def test_attrition_from_the_book_is_estimated(book, plan):
    f = forecast(book, plan, "2025-06-30", trials=10, rng=0, scenario=_scenario(2025, Workforce()))
    note = next(n for n in f.notes if n.startswith("Workforce from"))
    assert "from the book:" in note and "leavers" in note


@pytest.fixture(scope="module")
def small_kernel(book, plan):
    model = fit_productivity(book, plan_year=2025).take_reps([0, 1, 2, 3])
    quotas = np.full((4, 12), 1e5)
    wf = Workforce(attrition=0.0, backfill_lag_months=2, vacancy_productivity=0.25)
    return build_kernel(model, plan, quotas, np.full(4, 5e4), workforce=wf)


def test_kernel_vacant_seat_follows_the_backfill_rule(small_kernel):
    k = small_kernel
    draws = np.ones((12, 3, 4))  # (months, trials, reps)
    clocks = np.stack([workforce_clocks(np.random.default_rng(t), 4) for t in range(3)])
    vacant = np.array([-1, 2, 0, -1])
    out, stats = run_kernel_by_month(k, draws, clocks, start=5, vacant=vacant)
    assert np.all(out[:5] == 0.0)  # the months before the start are the known ones
    ramp = k.incumbent_ramp
    # seat 1: vacant in months 5 and 6 (a quarter of its rep's ramped draw), then a
    # new hire from month 7 at tenure 0, 1, ...
    assert np.allclose(out[5:7, :, 1], (0.25 / ramp[1, 5:7])[:, None])
    tenure = np.arange(5)
    hire = k.new_hire_ramp[1, tenure] * k.new_hire_ratio[1] / ramp[1, 7:]
    assert np.allclose(out[7:, :, 1], hire[:, None])
    # seat 2: a new hire at once; seats 0 and 3 keep their reps (attrition 0)
    assert np.allclose(
        out[5:, :, 2], (k.new_hire_ramp[2, :7] * k.new_hire_ratio[2] / ramp[2, 5:])[:, None]
    )
    assert np.all(out[5:, :, [0, 3]] == 1.0)
    assert np.array_equal(stats["vacant_months"], np.full(3, 2.0))


def test_kernel_refuses_bad_seat_arguments(small_kernel):
    draws = np.ones((12, 2, 4))
    clocks = np.ones((2, 4, 4))
    with pytest.raises(ValueError, match="start_share must be in"):
        run_kernel_by_month(small_kernel, draws, clocks, start=3, start_share=1.5)
    with pytest.raises(ValueError, match="one entry per rep"):
        run_kernel_by_month(small_kernel, draws, clocks, start=3, vacant=np.array([0, 1]))
