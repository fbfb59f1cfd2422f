"""Monte Carlo engine: oracles, reproducibility, common random numbers, summaries."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import write_book

from spm_sim import QuotaSettings, Scenario, compare, load_book, load_plan, simulate, standard_plan
from spm_sim.productivity import draw_bookings, fit_productivity
from spm_sim.simulate import prepare, seed_sequence, trial_rng


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory):
    return write_book(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def book(book_dir):
    return load_book(book_dir)


@pytest.fixture(scope="module")
def scenario(book_dir):
    return Scenario(
        name="Synthetic",
        book=str(book_dir),
        plan=standard_plan(threshold=0.5, accelerator=2.0),
        plan_year=2026,
        quota=QuotaSettings(growth=0.05, over_assignment=0.0),
        trials=400,
        seed=11,
    )


def flat_commission(rate: float):
    """A plan paying `rate` of every dollar booked: no threshold, tiers or caps."""
    return load_plan(
        {
            "name": "Flat commission",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "bookings",
                    "tiers": [{"start": 0.0, "end": None, "rate": rate}],
                }
            ],
        }
    )


def test_mean_bookings_match_closed_form(book):
    """Sample mean of simulated bookings within 4 standard errors of E[B]."""
    model = fit_productivity(book, plan_year=2026)
    root = seed_sequence(123)
    n = 4000
    draws = np.stack([draw_bookings(model, trial_rng(root, t)) for t in range(n)])
    annual = draws.sum(axis=2)  # (trials, reps)
    expected = model.expected_bookings().sum(axis=1)
    se = annual.std(axis=0, ddof=1) / np.sqrt(n)
    z = (annual.mean(axis=0) - expected) / se
    assert np.all(np.abs(z) < 4), z
    # the company total, and one month of one rep
    total_z = (annual.sum(1).mean() - expected.sum()) / (annual.sum(1).std(ddof=1) / np.sqrt(n))
    assert abs(total_z) < 4
    cell = draws[:, 2, 11]
    assert abs(cell.mean() - model.expected_bookings()[2, 11]) < 4 * cell.std(ddof=1) / np.sqrt(n)


def test_flat_commission_cost_matches_closed_form(scenario):
    """With pay = 7% of bookings, E[incentive] = 0.07 E[bookings] (closed form)."""
    flat = scenario.replace(plan=flat_commission(0.07), trials=2000)
    res = simulate(flat)
    expected = 0.07 * res.model.expected_bookings().sum()
    cost = res.trials["incentive_cost"].to_numpy()
    assert abs(cost.mean() - expected) < 4 * cost.std(ddof=1) / np.sqrt(cost.size)
    # and the kernel pays exactly 7% of what each trial drew
    np.testing.assert_allclose(cost, 0.07 * res.bookings.sum(axis=1), rtol=1e-12)


def test_same_seed_same_numbers_whatever_the_chunking(scenario):
    a = simulate(scenario, 60, rng=5, chunk_size=60)
    b = simulate(scenario, 60, rng=5, chunk_size=7)
    c = simulate(scenario, 60, rng=5, chunk_size=1)
    for other in (b, c):
        np.testing.assert_array_equal(a.bookings, other.bookings)
        np.testing.assert_array_equal(a.payout, other.payout)
    assert a.summary().equals(b.summary())


def test_same_numbers_in_a_process_pool(scenario):
    serial = simulate(scenario, 40, rng=9, chunk_size=40)
    pooled = simulate(scenario, 40, rng=9, chunk_size=9, workers=2)
    np.testing.assert_array_equal(serial.bookings, pooled.bookings)
    np.testing.assert_array_equal(serial.payout_by_period, pooled.payout_by_period)


def test_more_trials_extend_fewer(scenario):
    small = simulate(scenario, 30, rng=3)
    large = simulate(scenario, 90, rng=3)
    np.testing.assert_array_equal(small.bookings, large.bookings[:30])


def test_different_seeds_differ(scenario):
    a = simulate(scenario, 20, rng=1)
    b = simulate(scenario, 20, rng=2)
    assert not np.array_equal(a.bookings, b.bookings)


def test_scenario_seed_is_the_default(scenario):
    a = simulate(scenario, 20)
    b = simulate(scenario, 20, rng=scenario.seed)
    np.testing.assert_array_equal(a.bookings, b.bookings)


def test_generator_rng_is_accepted_and_advances(scenario):
    g = np.random.default_rng(4)
    a = simulate(scenario, 10, rng=g)
    b = simulate(scenario, 10, rng=g)
    assert not np.array_equal(a.bookings, b.bookings)
    g2 = np.random.default_rng(4)
    np.testing.assert_array_equal(a.bookings, simulate(scenario, 10, rng=g2).bookings)


def test_common_random_numbers_across_plans_and_quotas(scenario):
    base = simulate(scenario, 200)
    steep = simulate(
        scenario.replace(name="Steep", plan=standard_plan(threshold=0.6, accelerator=3.0)), 200
    )
    higher = simulate(scenario.replace(name="Higher", quota=QuotaSettings(growth=0.2)), 200)
    # the sales draws are shared; only what the plan and the quotas do differs
    np.testing.assert_array_equal(base.bookings, steep.bookings)
    np.testing.assert_array_equal(base.bookings, higher.bookings)
    assert not np.array_equal(base.payout, steep.payout)
    assert np.all(higher.quotas.annual > base.quotas.annual)
    table = compare([base, steep]).set_index(["scenario", "metric"])
    # against itself the baseline differs by exactly nothing
    assert table.loc[("Synthetic", "incentive_cost"), "diff_vs_baseline"] == 0.0
    assert table.loc[("Steep", "company_bookings"), "diff_vs_baseline"] == 0.0
    assert table.loc[("Steep", "company_bookings"), "diff_se"] == 0.0


def test_paired_difference_is_tighter_than_unpaired(scenario):
    base = simulate(scenario, 300)
    steep = simulate(scenario.replace(name="Steep", plan=standard_plan(accelerator=3.0)), 300)
    table = compare([base, steep]).set_index(["scenario", "metric"])
    paired = table.loc[("Steep", "incentive_cost")]
    assert paired["paired"]
    unpaired_se = np.hypot(
        table.loc[("Synthetic", "incentive_cost"), "se"],
        table.loc[("Steep", "incentive_cost"), "se"],
    )
    assert paired["diff_se"] < 0.5 * unpaired_se
    assert paired["diff_vs_baseline"] > 0  # a steeper accelerator costs more
    # a different seed breaks the pairing
    other = simulate(scenario.replace(name="Other seed", seed=99), 300)
    assert (
        not compare([base, other])
        .set_index(["scenario", "metric"])
        .loc[("Other seed", "ccos"), "paired"]
    )


def test_summary_metrics_are_consistent(scenario):
    res = simulate(scenario, 300)
    s = res.summary().set_index("metric")
    t = res.trials
    assert set(s.index) >= {
        "company_attainment",
        "hit_company_target",
        "share_reps_at_quota",
        "incentive_cost",
        "ccos",
    }
    p = s.loc["hit_company_target", "mean"]
    assert p == pytest.approx((t["company_bookings"] >= res.company_target).mean())
    assert s.loc["hit_company_target", "se"] == pytest.approx(np.sqrt(p * (1 - p) / 300))
    assert (
        s.loc["incentive_cost", "p10"]
        <= s.loc["incentive_cost", "p50"]
        <= s.loc["incentive_cost", "p90"]
    )
    base = res.base_salary.sum()
    np.testing.assert_allclose(t["ccos"], (base + t["incentive_cost"]) / t["company_bookings"])
    # share at quota recomputed by hand from the per-rep arrays
    manual = (res.bookings >= res.quotas.annual[None, :]).mean(axis=1)
    np.testing.assert_allclose(t["share_reps_at_quota"], manual)
    assert s.attrs["seed"]["entropy"] == 11
    reps = res.rep_summary()
    assert len(reps) == 6 and reps["p_at_quota"].between(0, 1).all()


def test_prepare_uses_scenario_quota_settings(scenario, book):
    p = prepare(scenario.replace(quota=QuotaSettings(growth=0.0, over_assignment=0.1)), book)
    assert p.quotas.over_assignment == pytest.approx(0.1)
    assert p.target_incentive.tolist() == [60_000.0] * 6


def test_bad_arguments(scenario):
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        simulate(scenario, 0)
    with pytest.raises(TypeError, match="rng must be"):
        simulate(scenario, 5, rng="seed")
    with pytest.raises(ValueError, match="chunk_size"):
        simulate(scenario, 5, chunk_size=0)


def test_row_order_of_reps_file_does_not_change_results(scenario, book_dir, tmp_path):
    import shutil

    import pandas as pd

    copy = tmp_path / "reordered"
    shutil.copytree(book_dir, copy)
    reps = pd.read_csv(copy / "reps.csv", dtype=str, keep_default_na=False)
    reps.iloc[::-1].to_csv(copy / "reps.csv", index=False)
    a = simulate(scenario, 50)
    b = simulate(scenario.replace(book=str(copy)), 50)
    assert a.rep_ids == b.rep_ids
    np.testing.assert_array_equal(a.bookings, b.bookings)
    np.testing.assert_array_equal(a.quotas.values, b.quotas.values)


def test_same_numbers_on_a_dask_cluster(scenario):
    import distributed  # the [dask] extra, installed by make

    serial = simulate(scenario, 40, rng=9, chunk_size=40)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = simulate(scenario, 40, rng=9, chunk_size=7, executor=client)
    np.testing.assert_array_equal(serial.bookings, on_dask.bookings)
    np.testing.assert_array_equal(serial.payout, on_dask.payout)
