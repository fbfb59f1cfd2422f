"""The report's split of each difference into the reps' response and the mechanical part."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from spm_sim import load_sample, sample_scenario, simulate
from spm_sim.productivity import Behaviour
from spm_sim.report import headline_figures, write_report, write_summaries
from spm_sim.report.summary import response_sentence, scenario_sentences
from spm_sim.simulate import response_decomposition

N = 60


@pytest.fixture(scope="module")
def runs():
    book = load_sample()
    base = sample_scenario("baseline").replace(engine="summed")
    beh = Behaviour(reference_plan=base.plan)
    a = base.replace(behaviour=beh)
    b = sample_scenario("accelerated").replace(engine="summed", behaviour=beh)
    results = [simulate(s, N, rng=2, book=book) for s in (a, b)]
    ends = (beh.replace(effort_elasticity=0.1), beh.replace(effort_elasticity=0.3))
    split = response_decomposition(*results, book=book, behaviour_range=ends)
    plain = [
        simulate(s.replace(behaviour=None), N, rng=2, book=book) for s in (a, b)
    ]  # reps do not respond
    return results, split, plain, book


def test_summary_sentence_says_how_much_is_response(runs):
    results, split, _plain, _book = runs
    [text] = scenario_sentences(results, headline_figures(results), "USD", responses=[split])
    said = response_sentence(split)
    assert said and text.endswith(said)
    sales = split.part("company_bookings", "response")
    assert said.startswith("Reps' response: of the +$")
    assert "difference in sales" in said and "none of it mechanical" in said
    assert "mechanical (the same sales paid under its plan)" in said  # the cost's part
    assert "at the low and high ends of their range" in said
    assert sales["real"] and sales["value"] > 0
    # without the split the sentence is as before
    [before] = scenario_sentences(results, headline_figures(results), "USD")
    assert "Reps' response:" not in before and text.startswith(before)


def test_sentence_without_range_and_without_behaviour(runs):
    results, split, plain, book = runs
    bare = response_decomposition(*results, book=book)
    assert "was not assessed" in response_sentence(bare)
    assert response_sentence(response_decomposition(*plain, book=book)) == ""


def test_report_shows_the_split(runs, tmp_path):
    results, split, _plain, _book = runs
    text = write_report(results, tmp_path / "r.html", responses=[split]).read_text("utf-8")
    assert "<h2>Where the differences come from: reps' response and mechanics</h2>" in text
    page = text.split("data:image")[0]
    for column in ("Whole difference", "Mechanical: the same sales paid under this plan"):
        assert column in page
    assert "Response, low end of the range" in page and "Response, high end of the range" in page
    assert "Reps&#x27; response: of the +$" in page  # in the summary's sentence
    # the section sits on page one, before the details
    assert page.index("Where the differences come from") < text.index('class="details"')
    # a split of other scenarios is not shown
    other = dataclasses.replace(split, baseline="Someone else")
    other_text = write_report(results, tmp_path / "o.html", responses=[other]).read_text("utf-8")
    assert "Where the differences come from" not in other_text
    assert "Reps&#x27; response:" not in other_text


def test_csv_of_the_split(runs, tmp_path):
    results, split, _plain, _book = runs
    paths = write_summaries(results, tmp_path, responses=[split])
    assert paths[-1].name == "response.csv"
    frame = pd.read_csv(paths[-1])
    assert set(frame["scenario"]) == {results[1].scenario.name}
    assert set(frame["baseline"]) == {results[0].scenario.name}
    v = frame.set_index(["metric", "part"])["value"]
    for metric in set(frame["metric"]):
        assert v[(metric, "total")] == pytest.approx(
            v[(metric, "mechanical")] + v[(metric, "response")], abs=1e-6
        )
    assert [p.name for p in write_summaries(results, tmp_path / "b")][-1] != "response.csv"
