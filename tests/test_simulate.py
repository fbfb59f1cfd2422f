"""Monte Carlo engine: oracles, reproducibility, common random numbers, summaries."""

from __future__ import annotations

import importlib
import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from synthetic import write_book

from spm_sim import QuotaSettings, Scenario, compare, load_book, load_plan, simulate, standard_plan
from spm_sim.errors import (
    DataError,
    PlausibilityWarning,
    ScenarioError,
    SpmSimError,
    implausible,
    is_strict,
)
from spm_sim.productivity import draw_bookings, fit_productivity
from spm_sim.random import seed_sequence, trial_rng
from spm_sim.simulate import prepare

# the module (``spm_sim.simulate`` as an attribute of the package is the function)
_prepare_mod = importlib.import_module("spm_sim._simulate.prepare")
_chunks_mod = importlib.import_module("spm_sim._simulate.chunks")
_engine_mod = importlib.import_module("spm_sim._simulate.engine")


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


def test_same_numbers_on_a_dask_cluster(scenario, dask_client):
    serial = simulate(scenario, 40, rng=9, chunk_size=40)
    on_dask = simulate(scenario, 40, rng=9, chunk_size=7, executor=dask_client)
    np.testing.assert_array_equal(serial.bookings, on_dask.bookings)
    np.testing.assert_array_equal(serial.payout, on_dask.payout)


def test_same_numbers_on_every_named_executor(scenario):
    """``executor="processes"`` and ``"dask"`` (a cluster started for the run) give the
    serial numbers bit for bit; a misspelt executor is named with its closest match."""
    serial = simulate(scenario, 30, rng=4, chunk_size=30)
    for name in ("serial", "processes", "dask"):
        other = simulate(scenario, 30, rng=4, chunk_size=8, executor=name, workers=2)
        np.testing.assert_array_equal(serial.bookings, other.bookings)
        np.testing.assert_array_equal(serial.payout, other.payout)
    with pytest.raises(SpmSimError, match="unknown executor 'dsak' \\(did you mean 'dask'"):
        simulate(scenario, 5, executor="dsak")


MULTI = {
    "name": "Multi-measure",
    "measures": [
        {"name": "platform", "product": "Platform", "quota_share": 0.4},
        {"name": "logos", "kind": "new_logos", "quota_per_rep": 6},
        {"name": "deals", "kind": "deals", "quota_per_rep": 40},
    ],
    "components": [
        {
            "name": "bookings",
            "weight": 0.6,
            "rate_basis": "tcr",
            "tiers": [{"start": 0, "end": 1, "rate": 1}, {"start": 1, "rate": 2}],
            "gate": {"measure": "logos", "min_attainment": 0.5, "applies_to": "accelerators"},
        },
        {
            "name": "platform",
            "measure": "platform",
            "weight": 0.25,
            "rate_basis": "tcr",
            "period": "quarter",
            "tiers": [{"start": 0, "rate": 1}],
        },
        {
            "name": "logos",
            "measure": "logos",
            "weight": 0.15,
            "rate_basis": "tcr",
            "tiers": [{"start": 0, "rate": 1}],
            "multiplier": {
                "measure": "bookings",
                "levels": [{"attainment": 0, "factor": 0.5}, {"attainment": 1, "factor": 1.0}],
            },
        },
    ],
}


@pytest.fixture(scope="module")
def sample_runs():
    from spm_sim import load_sample, sample_scenario

    book = load_sample()
    # the multi-measure plan's engine: auto picks deals for it (the sample's baseline
    # alone would get summed), so the baseline draws every deal too
    base = sample_scenario("baseline").replace(engine="deals")
    multi = sample_scenario("baseline").replace(name="Multi", plan=load_plan(MULTI))
    return book, simulate(base, 60, book=book), simulate(multi, 60, book=book, chunk_size=25)


def test_plan_measures_leave_the_bookings_draws_unchanged(sample_runs):
    # the product and new-logo draws come after the bookings in each trial's stream,
    # so a multi-measure plan is compared with the baseline on the same sales
    _, base, multi = sample_runs
    assert multi.scenario.engine == "auto" and multi.engine == "deals"
    np.testing.assert_array_equal(base.bookings, multi.bookings)
    assert multi.components == ("bookings", "platform", "logos")
    assert np.all(multi.payout >= 0)


def test_plan_measures_follow_each_reps_deal_mix(sample_runs):
    from spm_sim.productivity import draw_deals, draw_measures, fit_deal_mix

    book, base, multi = sample_runs
    prep = prepare(multi.scenario, book)
    mix = fit_deal_mix(book, prep.model.rep_ids, plan_year=2026)
    root = seed_sequence(multi.scenario.seed)
    shares, logo_rates, expected = [], [], []
    for t in range(40):
        rng = trial_rng(root, t)
        counts, cell, sizes = draw_deals(prep.model, rng)
        m = draw_measures(multi.scenario.plan, mix, cell, sizes, counts.shape, rng)
        np.testing.assert_array_equal(m["deals"], counts)
        booked = np.bincount(cell, sizes, minlength=counts.size).reshape(counts.shape)
        assert np.all(m["platform"] <= booked + 1e-6)
        assert np.all(m["logos"] <= counts)
        shares.append(m["platform"].sum() / booked.sum())
        logo_rates.append(m["logos"].sum() / counts.sum())
        rep = cell // counts.shape[1]
        expected.append(mix.new_logo_share[rep].mean())
    k = mix.products.index("Platform")
    company = (mix.product_share[:, k] * prep.model.alpha / prep.model.beta).sum() / (
        prep.model.alpha / prep.model.beta
    ).sum()
    # sizes do not depend on the product, so the amount share is the deal share
    assert abs(np.mean(shares) - company) < 0.02
    assert abs(np.mean(logo_rates) - np.mean(expected)) < 0.01


def test_deal_mix_shrinks_toward_the_company(sample_runs):
    from spm_sim.book import first_deals
    from spm_sim.productivity import PRIOR_DEALS, fit_deal_mix

    book = sample_runs[0]
    mix = fit_deal_mix(book, ["R001"], plan_year=2026)
    deals = book.bookings[(book.bookings["date"] > "2024-12-31")]
    new = first_deals(book.bookings).loc[deals.index]
    own = deals["rep_id"] == "R001"
    n = own.sum()
    by_hand = (new[own].sum() + PRIOR_DEALS * new.mean()) / (n + PRIOR_DEALS)
    assert mix.new_logo_share[0] == pytest.approx(by_hand, rel=1e-12)


def test_unknown_product_is_named(book_dir):
    from spm_sim import load_sample, sample_scenario
    from spm_sim.errors import DataError

    plan = dict(
        MULTI,
        measures=[
            {"name": "platform", "product": "Platfrom", "quota_share": 0.4},
            *MULTI["measures"][1:],
        ],
    )
    s = sample_scenario("baseline").replace(plan=load_plan(plan))
    with pytest.raises(
        DataError, match="product 'Platfrom' is not in the book's products.*Did you mean 'Platform'"
    ):
        simulate(s, 2, book=load_sample())


def test_a_plan_for_another_role_is_refused(scenario):
    from spm_sim import ScenarioError

    sdr = scenario.replace(plan=scenario.plan.replace(role="SDR"))
    with pytest.raises(
        ScenarioError, match="is for role 'SDR', but the simulated reps have roles AE"
    ):
        simulate(sdr, 2)
    assert simulate(scenario.replace(plan=scenario.plan.replace(role="AE")), 2).n_trials == 2


# --- strict scenarios and money that overflows (issue 15) -------------------------


@pytest.fixture
def doubtful_book(monkeypatch, book):
    """Loading the scenario's book warns about a deal, as the book checks do."""

    def load(ref):
        implausible("deal dated 1850", file="bookings.csv", row=2, column="date")
        return book

    monkeypatch.setattr(_prepare_mod, "load_book_ref", load)


def test_a_strict_scenario_raises_the_books_plausibility_warnings(scenario, doubtful_book):
    with pytest.warns(PlausibilityWarning, match="bookings.csv, row 2, column 'date'"):
        result = simulate(scenario, 5)
    assert result.n_trials == 5
    with pytest.raises(DataError, match="bookings.csv, row 2, column 'date': deal dated 1850"):
        simulate(scenario.replace(strict=True), 5)
    with pytest.raises(DataError, match="deal dated 1850"):
        prepare(scenario.replace(strict=True))
    assert not is_strict()  # the strict checks end with the run


def test_an_overflow_in_the_bookings_is_refused_naming_the_figure(scenario, monkeypatch):
    real = _chunks_mod._run_chunk

    def chunk(*args, **kwargs):
        part = real(*args, **kwargs)
        part["bookings"][0, 0] = np.inf  # as if the sum of a rep's year overflowed
        return part

    monkeypatch.setattr(_chunks_mod, "_run_chunk", chunk)
    with pytest.raises(
        SpmSimError,
        match=r"scenario 'Synthetic': the simulated annual bookings of a rep is not a finite "
        r"number in 2 of 30 trials: the money arithmetic overflowed\. .*largest target "
        r"incentive 60000",
    ):
        simulate(scenario, 30, chunk_size=25)  # two chunks, one bad trial in each


def test_an_overflow_in_the_incentive_is_refused_naming_the_figure(scenario, monkeypatch):
    real = _engine_mod.payout

    def pay(*args, **kwargs):
        out = real(*args, **kwargs)
        return SimpleNamespace(
            annual_by_component=out.annual_by_component * 1e308,
            company_by_period=out.company_by_period,
        )

    monkeypatch.setattr(_engine_mod, "payout", pay)
    with pytest.raises(SpmSimError, match="the annual incentive paid to a rep is not a finite"):
        simulate(scenario, 5)


def test_huge_rates_never_give_an_infinite_result(scenario):
    """A rate so large the money overflows: refused (by the plan's checks or after the
    run), never a result holding inf or nan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        with pytest.raises(SpmSimError, match="not a finite number|rate"):
            simulate(scenario.replace(plan=flat_commission(1e306)), 5)


def test_a_plan_in_another_currency_than_the_book_is_refused():
    # a USD plan on a JPY book would show yen as dollars in every figure
    from spm_sim.scenario import sample_scenario

    scenario = sample_scenario("baseline")
    scenario = scenario.replace(trials=10, plan=scenario.plan.replace(currency="EUR"))
    with pytest.raises(ScenarioError, match="pays in EUR but book .* is in USD"):
        simulate(scenario)


# --- engine: auto, resolved once (issue 18) ------------------------------------------


def test_auto_is_resolved_once_and_recorded(tmp_path):
    from spm_sim import load_sample, sample_scenario
    from spm_sim.simulate import load_result

    sample = load_sample()
    base = sample_scenario("baseline")
    assert base.engine == "auto"  # the default
    prep = prepare(base, sample)
    assert prep.engine == "summed" and "5.4 deals expected in a rep-month" in prep.engine_reason
    assert dict(prep.notes)["Sales draws"].startswith(
        "each rep-month's deals summed at once (engine: auto chose summed: 5.4 deals"
    )
    auto = simulate(base, 30, rng=3, book=sample)
    summed = simulate(base.replace(engine="summed"), 30, rng=3, book=sample)
    assert auto.engine == summed.engine == "summed"
    np.testing.assert_array_equal(auto.payout, summed.payout)  # the same draws
    assert auto.trials.attrs["engine"] == "summed"
    assert compare([summed, auto])["paired"].all()  # paired on the resolved engine
    deals = simulate(base.replace(name="Deals", engine="deals"), 30, rng=3, book=sample)
    assert deals.engine == "deals" and dict(deals.notes)["Sales draws"] == (
        "every deal drawn (engine: deals)"
    )
    table = compare([auto, deals])
    assert not table.loc[table["scenario"] == "Deals", "paired"].any()
    # a saved result keeps the engine; one saved before it was recorded resolves it
    folder = auto.save(tmp_path / "auto")
    side = (folder / "result.json").read_text()
    assert '"engine": "summed"' in side
    assert load_result(folder).engine == "summed"
    doc = json.loads(side)
    del doc["engine"]
    (folder / "result.json").write_text(json.dumps(doc))
    old = load_result(folder)
    assert old.engine == "summed" and old.payout.tobytes() == auto.payout.tobytes()


def test_a_plan_paid_on_single_deals_draws_every_deal_under_auto():
    from spm_sim import load_sample, sample_scenario

    multi = sample_scenario("multi_measure")
    assert multi.engine == "auto"
    prep = prepare(multi, load_sample())
    assert prep.engine == "deals" and "measures of single deals" in prep.engine_reason


def test_auto_is_resolved_once_for_scenarios_that_share_their_draws():
    from spm_sim import load_sample, sample_scenario
    from spm_sim.simulate import resolve_engines

    sample = load_sample()
    base, acc = sample_scenario("baseline"), sample_scenario("accelerated")
    multi = sample_scenario("multi_measure")
    assert [e for e, _ in resolve_engines([base, acc], sample)] == ["summed", "summed"]
    # a plan paid on single deals draws every deal: the others of its group with it
    joint = resolve_engines([base, acc, multi], sample)
    assert [e for e, _ in joint] == ["deals", "deals", "deals"]
    pairs = "so that it pairs with 'Multi-measure 2026', which pays on single deals; "
    assert joint[0][1].startswith(pairs) and joint[1][1].startswith(pairs)
    assert "alone, auto would choose summed: 5.4 deals" in joint[0][1]
    assert joint[2][1].startswith("the plan pays on measures of single deals")
    # a group is what compare pairs on: another seed or trial count is apart
    assert resolve_engines([base.replace(seed=1), multi], sample)[0][0] == "summed"
    assert resolve_engines([base.replace(trials=50), multi], sample)[0][0] == "summed"
    assert resolve_engines([base.replace(seed=1), multi], sample, rng=5)[0][0] == "deals"
    gen = np.random.default_rng(0)  # each run its own root: nothing is shared
    assert resolve_engines([base, multi], sample, rng=gen)[0][0] == "summed"
    # engine: deals set in a scenario decides its group too; engine: summed does not
    deals = base.replace(name="Deals", engine="deals")
    forced = resolve_engines([base, deals], sample)
    assert forced[0] == (
        "deals",
        "so that it pairs with 'Deals', which draws every deal (engine: deals); scenarios "
        "run together share their draws only on one engine (alone, auto would choose "
        f"summed: {resolve_engines([base], sample)[0][1]})",
    )
    summed = base.replace(name="Summed", engine="summed")
    assert [e for e, _ in resolve_engines([summed, base], sample)] == ["summed", "summed"]
    # an engine given to prepare must be one the scenario can draw with
    with pytest.raises(ScenarioError, match="sets engine: summed, but engine= says 'deals'"):
        prepare(summed, sample, engine=("deals", "x"))
    with pytest.raises(ScenarioError, match="pays on measures of single deals.*'summed'"):
        prepare(multi, sample, engine=("summed", "x"))
    with pytest.raises(ScenarioError, match="engine= must be a pair"):
        prepare(base, sample, engine="deals")  # type: ignore[arg-type]


def test_scenarios_simulated_together_are_compared_paired():
    from spm_sim import load_sample, sample_scenario
    from spm_sim.report.summary import unshared_draws
    from spm_sim.simulate import resolve_engines, simulate_to_precision

    sample = load_sample()
    pair = [sample_scenario("baseline"), sample_scenario("multi_measure")]
    engines = resolve_engines(pair, sample, n_trials=25)
    base, multi = (
        simulate(s, 25, book=sample, engine=e) for s, e in zip(pair, engines, strict=True)
    )
    assert base.engine == multi.engine == "deals" and base.scenario.engine == "auto"
    assert dict(base.notes)["Sales draws"] == (
        "every deal drawn (engine: auto chose deals so that it pairs with 'Multi-measure "
        "2026', which pays on single deals)"
    )
    np.testing.assert_array_equal(base.bookings, multi.bookings)  # the same sales
    assert compare([base, multi])["paired"].all()
    # simulated one at a time, the baseline draws summed: compared unpaired, said why
    alone = simulate(pair[0], 25, book=sample)
    table = compare([alone, multi])
    assert (
        alone.engine == "summed"
        and not table[table["scenario"] == multi.scenario.name]["paired"].any()
    )
    assert unshared_draws(multi, alone) == (
        "sales drawn with the deals engine against the baseline's summed: simulate them "
        "together, or set engine: deals in both"
    )
    # run to a precision together: one engine, the same numbers as simulate's
    precise = simulate_to_precision(pair, min_trials=25, max_trials=25, book=sample)
    assert [r.engine for r in precise] == ["deals", "deals"]
    np.testing.assert_array_equal(precise[0].payout, base.payout)


def test_a_chunk_never_draws_a_block_twice(scenario, monkeypatch):
    # a block of 25 trials is drawn whole: chunks cut at whole blocks draw each once
    from spm_sim.random import TRIAL_BLOCK

    real, chunks = _chunks_mod._run_chunk, []

    def recorded(*args, **kwargs):
        chunks.append(args[5:7])  # start, stop
        return real(*args, **kwargs)

    monkeypatch.setattr(_chunks_mod, "_run_chunk", recorded)
    one = simulate(scenario, 60, rng=2, chunk_size=30)
    assert chunks == [(0, 25), (25, 50), (50, 60)]
    assert _chunks_mod.chunk_bounds(60, 130, 60) == [(60, 100), (100, 130)]
    assert all(a % TRIAL_BLOCK == 0 for a, _ in _chunks_mod.chunk_bounds(10, 999, 77)[1:])
    chunks.clear()
    whole = simulate(scenario, 60, rng=2, chunk_size=250)
    assert chunks == [(0, 60)]
    np.testing.assert_array_equal(one.payout, whole.payout)


def test_a_block_is_paid_on_the_annual_path_bit_for_bit(scenario, book):
    from spm_sim.comp import payout

    prep = prepare(scenario, book)
    root = seed_sequence(scenario.seed)
    draws, measures, stats = _engine_mod.draw_block(prep.model, root, 0, 40, engine=prep.engine)
    annual = _engine_mod._pay_block(
        scenario.plan, prep.quotas.values, prep.target_incentive, draws, measures, stats
    )
    monthly = payout(scenario.plan, draws, prep.quotas.values, prep.target_incentive)
    assert annual["payout"].tobytes() == monthly.annual_by_component.tobytes()
    assert annual["payout_by_period"].tobytes() == monthly.by_period.sum(axis=1).tobytes()
