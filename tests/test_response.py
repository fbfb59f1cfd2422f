"""The reps' response estimated from a book (spm_sim.response).

The recovery tests generate books whose reps respond by known amounts
(``synthetic_book``) and check that the estimator finds them within its 95%
intervals, that those intervals exclude "no response" (so the test can fail when
the estimator is blind), and that a book made without a response reads as none.
Each book is small (40-60 reps, three years) and seeded.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spm_sim.book import Book, load_book, load_sample, save_book
from spm_sim.comp import load_plan
from spm_sim.errors import DataError, PlausibilityWarning, strict_checks
from spm_sim.productivity import Behaviour
from spm_sim.response import (
    PRIORS,
    TABLE_COLUMNS,
    estimate_behaviour,
    prior_behaviour,
    synthetic_book,
    synthetic_plan,
)

TRUE = {"effort_elasticity": 0.3, "min_effort": 0.7, "pull_forward": 0.3}
NONE = {"effort_elasticity": 0.0, "min_effort": 1.0, "pull_forward": 0.0}


@pytest.fixture(scope="module")
def responsive():
    book = synthetic_book(**TRUE, reps=60, years=4, rng=11)
    return estimate_behaviour(book, reference_plan=synthetic_plan()).table().set_index("parameter")


@pytest.fixture(scope="module")
def inert_book():
    return synthetic_book(reps=60, rng=12)


@pytest.fixture(scope="module")
def inert(inert_book):
    return estimate_behaviour(inert_book, reference_plan=synthetic_plan())


@pytest.fixture(scope="module")
def sample():
    return estimate_behaviour(load_sample(), reference_plan=load_plan("data/plans/baseline.yaml"))


@pytest.mark.parametrize("name", sorted(TRUE))
def test_the_book_recovers_a_known_response_within_its_interval(responsive, name):
    row = responsive.loc[name]
    assert row["source"] != "prior", f"{name} should be identified: {row['note']}"
    assert row["book_low"] <= TRUE[name] <= row["book_high"], row.to_dict()
    # and the book tells the response from none: the interval excludes it
    assert not (row["book_low"] <= NONE[name] <= row["book_high"]), row.to_dict()


def test_the_reduced_form_shows_the_response(responsive):
    # nothing more to earn near the cap (150% of quota): effort at its floor, 0.7
    cap = responsive.loc["near_cap"]
    assert cap["book_estimate"] < 0 and cap["book_low"] <= 0.7 - 1.0 <= cap["book_high"]
    # deals pulled into a period end (30% of next month), missing from the month after
    assert responsive.loc["bunch", "book_low"] > 0
    dip = responsive.loc["dip"]
    assert dip["book_high"] < 0 and dip["book_low"] <= 0.7 - 1.0 <= dip["book_high"]


def test_a_book_without_a_response_reads_as_none(inert):
    t = inert.table().set_index("parameter")
    null = {**NONE, "give_up": 0.0, "near_cap": 0.0, "post_quota": 0.0, "bunch": 0.0, "dip": 0.0}
    identified = t[np.isfinite(t["book_estimate"])]
    assert {"effort_elasticity", "min_effort", "pull_forward", "post_quota"} <= set(
        identified.index
    )
    for name, row in identified.iterrows():
        assert row["book_low"] <= null[name] <= row["book_high"], (name, row.to_dict())


def test_the_combined_estimate_lies_between_book_and_prior(responsive):
    for name, row in responsive.iterrows():
        w = row["book_weight"]
        assert 0.0 <= w <= 1.0
        if row["source"] == "prior":
            assert row["estimate"] == pytest.approx(row["prior"]) or w > 0
            continue
        lo, hi = sorted([row["book_estimate"], row["prior"]])
        assert lo - 1e-12 <= row["estimate"] <= hi + 1e-12, name
        assert row["se"] < row["book_se"] + 1e-12, name  # a prior only adds precision


def test_the_table_has_its_columns_and_says_where_each_value_comes_from(sample):
    t = sample.table()
    assert tuple(t.columns) == TABLE_COLUMNS
    assert set(t["source"]) <= {"book", "prior", "book + prior"}
    assert t["parameter"].tolist()[-6:] == [
        "effort_elasticity",
        "min_effort",
        "max_effort",
        "pull_forward",
        "push_out",
        "timing_cost",
    ]
    by = t.set_index("parameter")
    # never in a book of bookings: the prior, with the reason
    for name in ("max_effort", "push_out", "timing_cost"):
        assert by.loc[name, "source"] == "prior" and by.loc[name, "note"]
    assert (t["low"] <= t["estimate"]).all() and (t["estimate"] <= t["high"]).all()
    assert any("reconstructed" in n for n in t.attrs["notes"])


def test_the_sample_book_made_without_a_response_shows_none(sample):
    # data/make_sample.py draws no response to the plan: what the book identifies is
    # consistent with none, and the effects it cannot identify take their priors
    t = sample.table().set_index("parameter")
    null = {"post_quota": 0.0, "effort_elasticity": 0.0, "give_up": 0.0, "near_cap": 0.0}
    null |= {"bunch": 0.0, "dip": 0.0, "min_effort": 1.0, "pull_forward": 0.0}
    seen = t[np.isfinite(t["book_estimate"])]
    assert "post_quota" in seen.index
    for name, row in seen.iterrows():
        assert row["book_low"] <= null[name] <= row["book_high"], name
    assert t.loc["near_cap", "source"] == "prior"  # 300% of quota: too few rep-months
    assert "too few" in t.loc["near_cap", "note"]
    assert sample.years == (2024, 2025)


def test_behaviour_carries_the_estimates_and_the_reference_plan(sample):
    b = sample.behaviour
    assert isinstance(b, Behaviour)
    assert b.reference_plan is not None and b.reference_plan.name == "Baseline 2026 AE plan"
    t = sample.table().set_index("parameter")
    assert b.effort_elasticity == pytest.approx(t.loc["effort_elasticity", "estimate"])
    assert b.pull_forward == pytest.approx(t.loc["pull_forward", "estimate"])


def test_the_range_runs_from_a_small_to_a_large_response(sample):
    small, large = sample.behaviour_range()
    mid = sample.behaviour
    for name in ("effort_elasticity", "pull_forward", "push_out", "max_effort"):
        assert getattr(small, name) < getattr(mid, name) < getattr(large, name), name
    assert small.min_effort > mid.min_effort > large.min_effort
    assert small.timing_cost > mid.timing_cost > large.timing_cost
    # the prior's own range at the ends when the book adds nothing
    assert small.push_out == pytest.approx(PRIORS["push_out"].low)
    assert sample.behaviour_at(0.5) == mid
    with pytest.raises(ValueError, match="level must be in"):
        sample.behaviour_at(1.0)


def test_the_priors_alone_are_the_month_loops_defaults():
    est = prior_behaviour()
    assert set(est.table()["source"]) == {"prior"}
    b, default = est.behaviour, Behaviour()
    for name in ("effort_elasticity", "min_effort", "max_effort", "pull_forward", "push_out"):
        assert getattr(b, name) == pytest.approx(getattr(default, name)), name
    assert b.timing_cost == pytest.approx(default.timing_cost)
    for p in PRIORS.values():
        assert p.low <= p.value <= p.high and p.reference


def test_describe_says_which_source_holds_each_effect(sample):
    text = sample.describe()
    assert "slowdown after quota reached" in text and "book" in text
    assert "the prior" in text and "too few rep-months" in text
    assert "quotas reconstructed" in text


def test_a_book_read_back_from_files_gives_the_same_estimate(inert_book, inert, tmp_path):
    save_book(inert_book, tmp_path / "book")
    again = estimate_behaviour(load_book(tmp_path / "book"), reference_plan=synthetic_plan())
    a, b = inert.table(), again.table()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)


def test_an_estimate_far_outside_the_literature_is_flagged():
    book = synthetic_book(min_effort=0.3, reps=40, rng=13)
    with pytest.warns(PlausibilityWarning, match="outside the literature's range"):
        estimate_behaviour(book, reference_plan=synthetic_plan())
    with strict_checks(), pytest.raises(DataError, match="outside the literature's range"):
        estimate_behaviour(book, reference_plan=synthetic_plan())


def test_a_book_too_short_for_quotas_is_refused_with_the_fix():
    short = synthetic_book(reps=5, years=2, rng=1)
    one_year = short.bookings[short.bookings["date"].dt.year == 2022]
    book = Book.from_frames(short.reps, short.accounts, one_year, name="short")
    with pytest.raises(DataError, match="at least one year with a full year of bookings"):
        estimate_behaviour(book)
    with pytest.raises(DataError, match="cannot estimate the reps' response in 2022"):
        estimate_behaviour(short, years=[2022])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"effort_elasticity": -0.1}, "effort_elasticity must be in"),
        ({"pull_forward": 1.0}, "pull_forward must be in"),
        ({"reps": 1}, "reps must be a whole number"),
        ({"years": 1}, "years must be a whole number"),
        ({"min_effort": float("nan")}, "min_effort must be a number"),
    ],
)
def test_synthetic_book_refuses_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthetic_book(**kwargs)


def test_the_synthetic_book_is_seeded():
    a = synthetic_book(reps=6, years=2, pull_forward=0.2, rng=3)
    b = synthetic_book(reps=6, years=2, pull_forward=0.2, rng=3)
    pd.testing.assert_frame_equal(a.bookings, b.bookings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = synthetic_book(reps=6, years=2, pull_forward=0.2, rng=4)
    assert not a.bookings["amount"].equals(c.bookings["amount"])
