"""Territories that move sales: the estimator, the multipliers and alignment files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spm_sim._productivity.model import elasticity_factor
from spm_sim.book import Book, load_sample
from spm_sim.errors import DataError, SpecError
from spm_sim.productivity import (
    POTENTIAL_PRIOR,
    AlignmentSettings,
    check_alignment,
    coverage_multipliers,
    fit_coverage,
    fit_productivity,
    read_alignment,
    scale_model,
    territory_measures,
)

TRUE_POTENTIAL = 0.6
TRUE_TRAVEL = -0.2


def _synthetic_book(n_reps: int = 60, seed: int = 3) -> Book:
    """Reps whose monthly deal rate is skill x (P / mean)^0.6 x (D / mean)^-0.2, three
    years of deals, territories that differ in potential and in spread."""
    rng = np.random.default_rng(seed)
    ids = [f"R{i:03d}" for i in range(n_reps)]
    home_lat = rng.uniform(32, 44, n_reps)
    home_lon = rng.uniform(-118, -78, n_reps)
    reps = pd.DataFrame(
        {
            "rep_id": ids,
            "name": ids,
            "region": "All",
            "role": "AE",
            "hire_date": "2019-01-07",
            "term_date": None,
            "base_salary": 90000,
            "target_incentive": 60000,
            "home_lat": home_lat,
            "home_lon": home_lon,
        }
    )
    per = 30
    rep_of = np.repeat(np.arange(n_reps), per)
    size = np.exp(0.5 * rng.standard_normal(n_reps))[rep_of]
    spread = np.exp(0.6 * rng.standard_normal(n_reps))[rep_of]  # degrees
    angle = rng.uniform(0, 2 * np.pi, len(rep_of))
    radius = spread * rng.uniform(0.2, 1.0, len(rep_of))
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:05d}" for i in range(len(rep_of))],
            "name": "x",
            "lat": home_lat[rep_of] + radius * np.sin(angle),
            "lon": home_lon[rep_of] + radius * np.cos(angle),
            "potential": np.round(1e5 * size * rng.lognormal(0, 0.4, len(rep_of)), -2),
            "rep_id": np.array(ids)[rep_of],
        }
    )
    stub = pd.DataFrame(
        {
            "deal_id": ["D0"],
            "account_id": ["A00000"],
            "date": ["2022-01-03"],
            "rep_id": [ids[0]],
            "amount": [1.0],
            "product": "Core",
        }
    )
    terr = territory_measures(Book.from_frames(reps=reps, accounts=accounts, bookings=stub))
    pot = terr["potential"].reindex(ids).to_numpy()
    km = terr["travel_km"].reindex(ids).to_numpy()
    skill = np.exp(0.25 * rng.standard_normal(n_reps))
    rate = 5.0 * skill * (pot / pot.mean()) ** TRUE_POTENTIAL * (km / km.mean()) ** TRUE_TRAVEL
    months = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
    counts = rng.poisson(rate[:, None] * np.ones(len(months)))
    rep_idx, month_idx = np.nonzero(counts)
    reps_rep = np.repeat(rep_idx, counts[rep_idx, month_idx])
    month_rep = np.repeat(month_idx, counts[rep_idx, month_idx])
    acc_of = np.array([rng.integers(0, per) for _ in reps_rep]) + reps_rep * per
    bookings = pd.DataFrame(
        {
            "deal_id": [f"D{i:06d}" for i in range(len(reps_rep))],
            "account_id": accounts["account_id"].to_numpy()[acc_of],
            "date": months[month_rep] + pd.Timedelta(days=10),
            "rep_id": np.array(ids)[reps_rep],
            "amount": 1000.0,
            "product": "Core",
        }
    )
    return Book.from_frames(reps=reps, accounts=accounts, bookings=bookings, name="synthetic")


@pytest.fixture(scope="module")
def synthetic() -> Book:
    return _synthetic_book()


@pytest.fixture(scope="module")
def sample() -> Book:
    return load_sample()


def test_the_estimator_recovers_known_elasticities(synthetic):
    fit = fit_coverage(synthetic, 2025)
    assert fit.identified == {"potential": True, "travel": True}
    assert fit.n == 180 and fit.n_reps == 60 and fit.dropped == 0
    assert 0.01 < fit.potential_se < 0.15 and 0.01 < fit.travel_se < 0.15
    assert abs(fit.potential_elasticity - TRUE_POTENTIAL) < 2.5 * fit.potential_se
    assert abs(fit.travel_unrestricted - TRUE_TRAVEL) < 2.5 * fit.travel_se
    # every deal is 1,000: bookings respond as deals do
    assert fit.bookings_potential_elasticity == pytest.approx(fit.potential_elasticity, abs=1e-6)
    assert "from the book" in fit.describe()


def test_the_estimator_on_the_sample_is_near_its_truth(sample):
    # data/make_sample.py draws deal rates with (potential / mean)^0.4 and no travel effect
    fit = fit_coverage(sample, 2026)
    assert abs(fit.potential_elasticity - 0.4) < 2 * fit.potential_se
    assert abs(fit.travel_unrestricted) < 2 * fit.travel_se
    assert fit.travel_elasticity <= 0.0  # the sign restriction
    assert fit.dropped > 0  # split territories and vacancies covered are left out


def test_few_reps_fall_back_on_the_prior():
    fit = fit_coverage(_synthetic_book(n_reps=6), 2025)
    assert fit.identified == {"potential": False, "travel": False}
    assert fit.potential_elasticity == POTENTIAL_PRIOR[0]
    assert np.isnan(fit.potential_se)
    assert "prior" in fit.describe()


def test_multipliers_follow_potential_and_travel(synthetic):
    ids = sorted(synthetic.accounts["rep_id"].unique())
    owner = synthetic.accounts["rep_id"].copy()
    same = coverage_multipliers(
        synthetic, ids, owner, potential_elasticity=0.5, travel_elasticity=-0.2
    )
    assert (same["multiplier"] == 1.0).all()
    # R001's accounts go to R000: R000 doubles-ish, R001 is vacant and keeps nothing
    moved = owner.where(owner != "R001", "R000")
    m = coverage_multipliers(
        synthetic,
        ids,
        moved,
        potential_elasticity=0.5,
        travel_elasticity=0.0,
        vacant=("R002",),
        vacancy_productivity=0.25,
    )
    p0, p1 = same.loc[["R000", "R001"], "potential_old"].to_numpy()
    assert m.at["R000", "multiplier"] == pytest.approx(((p0 + p1) / p0) ** 0.5)
    # R001 gave every account to R000: it has nothing left to sell
    assert m.at["R001", "potential_new"] == 0 and m.at["R001", "multiplier"] == 0.0
    assert m.at["R002", "multiplier"] == pytest.approx(0.25)
    t = coverage_multipliers(
        synthetic, ids, moved, potential_elasticity=0.0, travel_elasticity=-0.5
    )
    ratio = t.at["R000", "travel_new"] / t.at["R000", "travel_old"]
    assert t.at["R000", "multiplier"] == pytest.approx(ratio**-0.5)


def test_scale_model_scales_the_rates_and_nothing_else(sample):
    model = fit_productivity(sample, plan_year=2026)
    mult = np.linspace(0.5, 1.5, model.n_reps)
    scaled = scale_model(model, mult)
    assert np.allclose(scaled.expected_bookings(), model.expected_bookings() * mult[:, None])
    assert (scaled.alpha == model.alpha).all() and (scaled.size_mu == model.size_mu).all()
    assert scale_model(model, np.ones(model.n_reps)) is model
    with pytest.raises(ValueError, match="one finite factor >= 0 per rep"):
        scale_model(model, np.ones(3))


def _write(tmp_path, text: str):
    path = tmp_path / "align.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "account_id,rep_id\nA00001,R001\nA00001,R002\n",
            r"align\.csv, row 3, column 'account_id'.*account 'A00001' appears twice",
        ),
        ("account_id,owner\nA00001,R001\n", r"no column 'rep_id'"),
        ("account_id,rep_id\nA00001,\n", r"row 2, column 'rep_id'.*blank rep_id"),
    ],
)
def test_bad_alignment_files_are_located(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_alignment(_write(tmp_path, text))


def test_alignment_checked_against_the_book(tmp_path, sample):
    ids = sorted(sample.accounts["rep_id"].unique())
    frame = read_alignment(_write(tmp_path, "account_id,rep_id\nA00001,R001\nZZZ,R001\n"))
    with pytest.raises(DataError, match=r"row 3, column 'account_id'.*'ZZZ' is not in the book"):
        check_alignment(frame, sample, ids, source="align.csv")
    frame = read_alignment(_write(tmp_path, "account_id,rep_id\nA00001,R999\n"))
    with pytest.raises(DataError, match=r"row 2, column 'rep_id'.*'R999' is not a simulated rep"):
        check_alignment(frame, sample, ids, source="align.csv")
    gone = sample.accounts.loc[sample.accounts["rep_id"] == "R001", "account_id"]
    frame = pd.DataFrame({"account_id": gone, "rep_id": "R002"})
    with pytest.raises(DataError, match=r"'R001' owns accounts now but none in the alignment"):
        check_alignment(frame, sample, ids, source="align.csv")
    owner = check_alignment(frame, sample, ids, vacant=("R001",), source="align.csv")
    assert (owner[sample.accounts["rep_id"] == "R001"] == "R002").all()
    kept = (sample.accounts["rep_id"] != "R001").to_numpy()
    assert (owner[kept].to_numpy() == sample.accounts["rep_id"][kept].to_numpy()).all()


def test_alignment_settings_check_themselves():
    with pytest.raises(ValueError, match="give file or design, not both"):
        AlignmentSettings(file="a.csv", design={})
    with pytest.raises(ValueError, match="listed twice"):
        AlignmentSettings(vacant=["R001", "R001"])
    with pytest.raises(SpecError, match="potential_elasticity"):
        AlignmentSettings().replace(potential_elasticity=5.0)


def test_a_book_without_potential_gets_the_prior_and_a_clear_error(synthetic):
    accounts = synthetic.accounts.drop(columns=["potential"])
    book = Book.from_frames(reps=synthetic.reps, accounts=accounts, bookings=synthetic.bookings)
    assert fit_coverage(book, 2025).identified == {"potential": False, "travel": False}
    with pytest.raises(DataError, match=r"accounts\.csv, column 'potential'.*no potential column"):
        territory_measures(book)


def test_a_trials_elasticities_follow_the_estimate_its_restriction_and_the_prior():
    m = fit_productivity(load_sample(), plan_year=2026)
    logs = np.zeros((2, m.n_reps))
    logs[0, 0] = np.log(2.0)  # rep 0: twice the potential
    logs[1, 1] = np.log(0.5)  # rep 1: half the travel
    # potential: estimate 0.4 (SE 0.1); travel: unrestricted +0.03 (SE 0.05), kept <= 0
    spread = np.array([[0.4, 0.4, 0.1, -np.inf, np.inf], [0.0, 0.03, 0.05, -np.inf, 0.0]])
    on = dataclasses.replace(m, elasticity_log_ratio=logs, elasticity_spread=spread)
    f = elasticity_factor(on, np.random.default_rng(1), 20_000)
    a = np.log(f[:, 0]) / np.log(2.0) + 0.4
    b = np.log(f[:, 1]) / np.log(0.5)
    assert a.mean() == pytest.approx(0.4, abs=0.003) and a.std() == pytest.approx(0.1, rel=0.03)
    assert b.max() == 0.0 and (b == 0).mean() == pytest.approx(0.73, abs=0.02)  # P(z > -0.6)
    assert (f[:, 2:] == 1.0).all()  # reps whose territory does not change
    # a prior: uniformly over its range, whatever its centre
    prior = np.array([[0.4, 0.4, 0.0, 0.2, 0.6], [0.0, 0.0, 0.0, 0.0, 0.0]])
    g = elasticity_factor(
        dataclasses.replace(on, elasticity_spread=prior), np.random.default_rng(2), 20_000
    )
    p = np.log(g[:, 0]) / np.log(2.0) + 0.4
    assert p.min() >= 0.2 and p.max() <= 0.6 and p.mean() == pytest.approx(0.4, abs=0.005)
    assert (g[:, 1] == 1.0).all()  # a fixed travel elasticity
    assert (elasticity_factor(m, np.random.default_rng(3), 5) == 1.0).all()  # off
