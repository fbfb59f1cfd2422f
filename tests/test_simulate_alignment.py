"""A scenario's alignment in the Monte Carlo: redesign and vacancy effects, paired."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_sim import sample_scenario, simulate
from spm_sim.book import load_sample
from spm_sim.errors import DataError, PlausibilityWarning, ScenarioError
from spm_sim.productivity import AlignmentSettings
from spm_sim.scenario import SAMPLE_SCENARIOS, load_scenario
from spm_sim.simulate import draw_sales, prepare

TRIALS = 60
BALANCED = SAMPLE_SCENARIOS.parent / "alignments" / "balanced.csv"


@pytest.fixture(scope="module")
def base():
    return sample_scenario("baseline").replace(trials=TRIALS)


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def baseline(base, book):
    return simulate(base, book=book)


def test_the_current_alignment_changes_nothing_bit_for_bit(base, book, baseline, tmp_path):
    current = tmp_path / "current.csv"
    book.accounts[["account_id", "rep_id"]].to_csv(current, index=False)
    same = base.replace(alignment=AlignmentSettings(file=str(current)))
    result = simulate(same, book=book)
    assert np.array_equal(result.bookings, baseline.bookings)
    assert np.array_equal(result.payout, baseline.payout)


def test_a_redesign_moves_sales_as_its_multipliers_say(base, book, baseline):
    align = AlignmentSettings(file=str(BALANCED), potential_elasticity=0.4, travel_elasticity=0.0)
    s = base.replace(name="Realigned", alignment=align)
    prep = prepare(s, book)
    cov = prep.coverage
    assert cov is not None and not cov["vacant"].any()
    # reps with smaller territories now gain, reps with larger ones lose
    up = cov["potential_new"] > cov["potential_old"]
    assert (cov.loc[up, "multiplier"] > 1).all() and (cov.loc[~up, "multiplier"] <= 1).all()
    result = simulate(s, book=book)
    ratio = result.bookings.mean(axis=0) / baseline.bookings.mean(axis=0)
    # paired (same streams, scaled Gamma rates, summed engine): each rep's bookings move
    # by about their factor; the company total by the bookings-weighted mean factor
    assert np.corrcoef(ratio, cov["multiplier"])[0, 1] > 0.95
    expected = float((baseline.bookings.mean(axis=0) * cov["multiplier"]).sum())
    got = float(result.bookings.sum(axis=1).mean())
    assert got == pytest.approx(expected, rel=0.01)
    diff = result.bookings.sum(axis=1) - baseline.bookings.sum(axis=1)
    assert diff.mean() > 0 and diff.std() < 0.02 * baseline.bookings.sum(axis=1).mean()
    note = dict(prep.notes)["Alignment"]
    assert "balanced.csv" in note and "elasticity 0.40 (given)" in note


def test_a_vacant_seat_sells_little_and_pays_no_one(base, book, baseline):
    s = base.replace(alignment=AlignmentSettings(vacant=["R001"], vacancy_productivity=0.2))
    result = simulate(s, book=book)
    i = list(result.rep_ids).index("R001")
    share = result.bookings[:, i].mean() / baseline.bookings[:, i].mean()
    assert share == pytest.approx(0.2, rel=0.05)
    assert (result.payout[:, i].sum(axis=-1) == 0).all()
    others = np.arange(result.bookings.shape[1]) != i
    assert np.array_equal(result.bookings[:, others], baseline.bookings[:, others])
    assert result.bookings.sum(axis=1).mean() < baseline.bookings.sum(axis=1).mean()
    with pytest.raises(ScenarioError, match="alignment.vacant names 'R999'"):
        prepare(base.replace(alignment=AlignmentSettings(vacant=["R999"])), book)


def test_a_bad_alignment_file_stops_the_run_with_its_row(base, book, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,rep_id\nA00001,R001\nA00002,R404\n")
    with pytest.raises(DataError, match=r"bad\.csv, row 3, column 'rep_id'.*'R404'"):
        prepare(base.replace(alignment=AlignmentSettings(file=str(bad))), book)


def test_an_implausible_elasticity_warns(base, book):
    s = base.replace(alignment=AlignmentSettings(potential_elasticity=1.5))
    with pytest.warns(PlausibilityWarning, match="potential_elasticity 1.5 is outside 0 to 1"):
        prepare(s, book)


def test_quotas_follow_the_alignment_for_the_potential_method(base, book):
    s = base.replace(quota=base.quota.replace(method="potential"))
    before = prepare(s, book)
    after = prepare(s.replace(alignment=AlignmentSettings(file=str(BALANCED))), book)
    annual_before = before.quotas.values.sum(axis=1)
    annual_after = after.quotas.values.sum(axis=1)
    assert annual_after.sum() == pytest.approx(annual_before.sum())
    # balanced potential: the spread of potential quotas shrinks
    assert annual_after.std() < 0.5 * annual_before.std()


def test_the_sample_realigned_scenario_loads_and_pairs_with_the_baseline():
    s = load_scenario(SAMPLE_SCENARIOS / "realigned.yaml")
    b = sample_scenario("baseline")
    assert s.alignment is not None and s.alignment.file == str(BALANCED.resolve())
    assert (s.seed, s.book, s.plan_year, s.engine) == (b.seed, b.book, b.plan_year, b.engine)
    frame = pd.read_csv(BALANCED, dtype=str)
    assert list(frame.columns[:1]) == ["account_id"] and frame["account_id"].is_unique


def test_an_alignment_designed_when_the_scenario_is_prepared(base, book):
    design = {"balance": {"potential": 0.3}, "method": "scalable"}
    prep = prepare(base.replace(alignment=AlignmentSettings(design=design)), book)
    cov = prep.coverage
    assert cov is not None
    spread = cov["potential_new"].std() / cov["potential_new"].mean()
    assert spread < cov["potential_old"].std() / cov["potential_old"].mean()
    assert cov["potential_new"].sum() == pytest.approx(cov["potential_old"].sum())
    assert "accounts by a design run now" in dict(prep.notes)["Alignment"]


def test_stored_sales_refuse_a_scenario_with_another_alignment(base, book):
    draws = draw_sales(base, 10, book=book)
    with pytest.raises(ScenarioError, match="alignment changes the sales drawn"):
        draws.pay(base.replace(alignment=AlignmentSettings(vacant=["R001"])))
    assert draws.pay(base.replace(name="Again")).bookings.shape == (10, 80)


def test_a_planned_hire_sells_on_the_territory_the_alignment_gives_them(base, book, tmp_path):
    hires = [{"rep_id": "H01", "region": "West", "start": "2026-04-01"}]
    with_hire = base.replace(quota=base.quota.replace(hires=hires))
    mine = book.accounts.loc[book.accounts["rep_id"] == "R001", "account_id"]
    half = mine.iloc[: len(mine) // 2]
    path = tmp_path / "split.csv"
    pd.DataFrame({"account_id": half, "rep_id": "H01"}).to_csv(path, index=False)
    align = AlignmentSettings(file=str(path), potential_elasticity=0.5, travel_elasticity=0.0)
    plain = prepare(with_hire, book)
    split = prepare(with_hire.replace(alignment=align), book)
    cov = split.coverage
    assert cov is not None and list(cov.index[-1:]) == ["H01"]
    mean_now = cov.loc[cov["potential_old"] > 0, "potential_old"].mean()
    assert cov.at["H01", "multiplier"] == pytest.approx(
        (cov.at["H01", "potential_new"] / mean_now) ** 0.5
    )
    rate = split.model.alpha / split.model.beta
    before = plain.model.alpha / plain.model.beta
    assert rate / before == pytest.approx(cov["multiplier"].to_numpy())


def test_a_redesigns_interval_includes_the_elasticitys_uncertainty(base, book, baseline):
    fixed = AlignmentSettings(file=str(BALANCED), potential_elasticity=0.37, travel_elasticity=0)
    drawn = fixed.model_copy(update={"potential_elasticity": "book"})
    prep = prepare(base.replace(alignment=drawn), book)
    spread = prep.model.elasticity_spread
    assert prep.model.elasticity_log_ratio is not None and spread is not None
    assert spread[0, 2] > 0 and spread[1, 2] == 0  # potential drawn, travel given
    assert "sales effect spreads with that uncertainty" in dict(prep.notes)["Alignment"]
    assert prepare(base.replace(alignment=fixed), book).model.elasticity_log_ratio is None
    n = 200
    total = simulate(base, n, book=book).bookings.sum(axis=1)
    d_fixed = simulate(base.replace(alignment=fixed), n, book=book).bookings.sum(axis=1) - total
    d_drawn = simulate(base.replace(alignment=drawn), n, book=book).bookings.sum(axis=1) - total
    # the same redesign: wider, as the elasticity is known to its SE only (the extra
    # spread is the elasticity's: the trials share every other draw), about the same
    # centre (a normal elasticity moves the mean by its convexity only)
    assert d_drawn.std() > 1.25 * d_fixed.std()
    assert (d_drawn - d_fixed).std() > 0.5 * d_fixed.std()
    se = d_drawn.std() / np.sqrt(n)
    assert abs(d_drawn.mean() - d_fixed.mean()) < 4 * se
    assert d_fixed.mean() > 0
