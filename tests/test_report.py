"""The HTML report and the CSV summaries: self-contained, escaped, complete, deterministic."""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from spm_sim import report
from spm_sim import viz as plots
from spm_sim._format import format_diff, format_money, format_pct, slugify
from spm_sim.book import load_sample
from spm_sim.comp import load_plan
from spm_sim.errors import PlausibilityWarning
from spm_sim.metrics import METRICS, compare, quarterly_accrual, rep_summary, result_flags
from spm_sim.report import headline, write_report, write_summaries
from spm_sim.scenario import load_scenario
from spm_sim.simulate import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
TRIALS = 200


@pytest.fixture(scope="module")
def book():
    return load_sample()


@pytest.fixture(scope="module")
def results(book):
    out = []
    for name in ("baseline", "accelerated"):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml")
        out.append(simulate(scenario, TRIALS, book=book))
    return out


@pytest.fixture(scope="module")
def report_text(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "sub" / "report.html"
    written = write_report(
        results, path, title="Plan A or plan B", notes="Read the headline first."
    )
    assert written == path
    return path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- HTML


def test_report_is_self_contained(report_text):
    assert report_text.startswith("<!DOCTYPE html>")
    assert report_text.count("data:image/png;base64,") >= 4
    # nothing is fetched: no external src/href, no scripts, no CSS imports or url()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", report_text, re.I)
    assert not re.search(r"https?://", report_text)
    assert "<script" not in report_text.lower()
    assert "@import" not in report_text and "url(" not in report_text
    # every image is inline
    for src in re.findall(r"""<img[^>]*\ssrc="([^"]*)\"""", report_text):
        assert src.startswith("data:image/png;base64,")


def test_report_has_scenarios_and_headline(report_text, results):
    for r in results:
        assert r.scenario.name in report_text
    for label in (
        "Probability of reaching the company target",
        "Expected company attainment",
        "Share of reps at or above quota (mean)",
        "Incentive cost, P10",
        "Incentive cost, P50 (median)",
        "Incentive cost, P90",
        "Compensation cost of sales (CCOS, mean)",
        "Incentive cost of sales (mean)",
        "Difference vs baseline",
    ):
        assert label in report_text, label
    # the numbers of the headline table are the formatted summaries
    summ = results[1].summary().set_index("metric")
    assert format_money(summ.at["incentive_cost", "p90"]) in report_text
    assert format_pct(summ.at["ccos", "mean"]) in report_text
    # paired by common random numbers: the two sample scenarios share the seed
    assert "paired by common random numbers" in report_text
    # sections a reader needs
    for section in ("Incentive accrual by quarter", "Assumptions", "Data provenance", "Q4 2026"):
        assert section in report_text
    assert "Read the headline first." in report_text
    assert f"{TRIALS:,}" in report_text
    assert str(results[0].seed["entropy"]) in report_text
    # tiers of both plans are in the assumptions
    assert "2.5x TCR" in report_text and "1.5x TCR" in report_text


def test_report_is_deterministic(results, tmp_path, book):
    a = write_report(results, tmp_path / "a.html").read_bytes()
    b = write_report(results, tmp_path / "b.html").read_bytes()
    assert a == b
    again = [simulate(r.scenario, TRIALS, book=book) for r in results]
    assert write_report(again, tmp_path / "c.html").read_bytes() == a


def test_user_text_is_escaped(results, tmp_path, book):
    evil = "<script>alert(1)</script>"
    plan = load_plan(
        {
            "name": "<i>Evil plan</i>",
            "description": "<img src=x onerror=alert(2)>",
            "components": [
                {
                    "name": "<b>comp</b>",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "tiers": [{"start": 0, "rate": 1.0}],
                },
            ],
        }
    )
    scenario = results[0].scenario.replace(name=evil, description="Tom & Jerry <u>x</u>", plan=plan)
    res = simulate(scenario, 50, book=book)
    base = simulate(results[0].scenario, 50, book=book)
    path = write_report(
        [base, res],
        tmp_path / "evil.html",
        title="<h1>T</h1>",
        notes=["<a href='http://evil'>click</a>"],
    )
    text = path.read_text(encoding="utf-8")
    for raw in (
        evil,
        "<script",
        "<i>Evil plan</i>",
        "<img src=x",
        "<b>comp</b>",
        "<u>x</u>",
        "<h1>T</h1>",
        "<a href",
        "http://evil'",
    ):
        assert raw not in text, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;comp&lt;/b&gt;" in text
    assert "Tom &amp; Jerry" in text
    # figures still render with such names (matplotlib would choke on unescaped $)
    assert text.count("data:image/png;base64,") >= 4
    # and the CSV files use a safe slug
    paths = write_summaries([base, res], tmp_path / "csv")
    assert all(re.fullmatch(r"(summary|(reps|trials)_[a-z0-9_-]+)\.csv", p.name) for p in paths)


def test_no_check_section_when_all_is_well(report_text):
    assert "Check before deciding" not in report_text


def test_implausible_results_are_flagged_near_the_top(results, tmp_path, book):
    s = results[0].scenario
    c = s.plan.components[0]
    with warnings.catch_warnings():  # the plan is absurd on purpose
        warnings.simplefilter("ignore", PlausibilityWarning)
        rich = s.plan.replace(
            components=[c.replace(tiers=[t.replace(rate=10 * t.rate) for t in c.tiers])]
        )
        absurd = simulate(s.replace(name="Ten times the rates", plan=rich), 50, book=book)
    base = simulate(s, 50, book=book)
    text = write_report([base, absurd], tmp_path / "flags.html").read_text(encoding="utf-8")
    check = text.index("Check before deciding")
    assert check < text.index("<h2>Headline</h2>")
    section = text[check : text.index("</section>", check)]
    # only the implausible scenario has flags, each in words with its drivers
    assert "<h3>Ten times the rates</h3>" in section and "<h3>Baseline 2026</h3>" not in section
    flags = result_flags(absurd)
    assert {f["figure"] for f in flags} >= {"incentive_cost_of_sales", "effective_rate"}
    for f in flags:
        assert f"<li>{html.escape(f['text'])}</li>" in section
    assert "component &#x27;bookings&#x27; pays up to 20x TCR" in section


def test_duplicate_scenario_names_are_told_apart(results, tmp_path, book):
    again = simulate(results[0].scenario.replace(seed=7), 50, book=book)
    pair = [results[0], again]
    text = write_report(pair, tmp_path / "dup.html").read_text(encoding="utf-8")
    assert "Baseline 2026 (2)" in text
    assert "Two or more scenarios are named &#x27;Baseline 2026&#x27;" in text
    table = headline(pair)
    assert list(table.columns) == ["Baseline 2026", "Baseline 2026 (2)", "Difference vs baseline"]
    assert table.attrs["paired"] == {"Baseline 2026": True, "Baseline 2026 (2)": False}
    summary = pd.read_csv(write_summaries(pair, tmp_path / "csv")[0])
    assert list(summary["scenario"].unique()) == ["Baseline 2026", "Baseline 2026 (2)"]
    # a third copy, and a scenario already called "Baseline 2026 (2)", stay distinct
    named = simulate(results[0].scenario.replace(name="Baseline 2026 (2)"), 50, book=book)
    table = headline([results[0], named, again])
    assert list(table.columns[:3]) == ["Baseline 2026", "Baseline 2026 (2)", "Baseline 2026 (3)"]
    # the results given are not changed
    assert again.scenario.name == "Baseline 2026"


def test_single_result_report(results, tmp_path):
    path = write_report(results[0], tmp_path / "one.html")
    text = path.read_text(encoding="utf-8")
    assert "Difference vs baseline" not in text
    assert text.count("data:image/png;base64,") >= 4


# ----------------------------------------------------------------------------- tables


def test_headline_table(results):
    table = headline(results)
    assert list(table.columns) == ["Baseline 2026", "Accelerated 2026", "Difference vs baseline"]
    assert table.attrs["paired"] == {"Baseline 2026": True, "Accelerated 2026": True}
    cmp = compare(results).set_index(["scenario", "metric"])
    p = cmp.loc[("Baseline 2026", "hit_company_target"), "mean"]
    assert table.loc["Probability of reaching the company target", "Baseline 2026"] == format_pct(p)
    # common random numbers and the same quotas: attainment is identical, so no change
    assert table.loc["Expected company attainment", "Difference vs baseline"] == "no change"
    d = cmp.loc[("Accelerated 2026", "incentive_cost")]
    expected = format_diff(d["diff_vs_baseline"], d["diff_se"], "$")
    assert table.loc["Incentive cost, mean", "Difference vs baseline"] == expected
    assert "±" in expected


def test_headline_unpaired_and_three_scenarios(results, book):
    other_seed = simulate(results[1].scenario.replace(name="Other seed", seed=1), TRIALS, book=book)
    table = headline([*results, other_seed])
    assert list(table.columns[3:]) == [
        "Accelerated 2026 vs Baseline 2026",
        "Other seed vs Baseline 2026",
    ]
    assert table.attrs["paired"]["Other seed"] is False
    # with different draws, company attainment differs
    assert table.loc["Expected company attainment", "Other seed vs Baseline 2026"] != "no change"


def test_write_summaries(results, tmp_path):
    paths = write_summaries(results, tmp_path / "out")
    names = [p.name for p in paths]
    assert names == [
        "summary.csv",
        "reps_baseline-2026.csv",
        "trials_baseline-2026.csv",
        "reps_accelerated-2026.csv",
        "trials_accelerated-2026.csv",
    ]
    summary = pd.read_csv(paths[0])
    assert list(summary.columns) == [
        "scenario",
        "metric",
        "label",
        "unit",
        "mean",
        "se",
        "p10",
        "p50",
        "p90",
        "n_trials",
        "diff_vs_baseline",
        "diff_se",
        "paired",
    ]
    assert len(summary) == len(METRICS) * len(results)
    assert summary.groupby("scenario")["metric"].apply(list).to_dict() == {
        r.scenario.name: list(METRICS) for r in results
    }
    assert not summary.duplicated(["scenario", "metric"]).any()
    assert (summary["n_trials"] == TRIALS).all()
    base = summary[summary["scenario"] == "Baseline 2026"]
    assert np.allclose(base["diff_vs_baseline"], 0.0)

    reps = pd.read_csv(paths[1])
    assert list(reps.columns) == ["scenario", *rep_summary(results[0]).columns]
    assert len(reps) == len(results[0].rep_ids)
    trials = pd.read_csv(paths[2])
    assert list(trials.columns) == ["scenario", "trial", *METRICS]
    assert len(trials) == TRIALS
    assert np.allclose(trials["incentive_cost"], results[0].trials["incentive_cost"])


def test_write_summaries_unique_slugs(results, tmp_path):
    paths = write_summaries([results[0], results[0]], tmp_path)
    assert [p.name for p in paths][1:] == [
        "reps_baseline-2026.csv",
        "trials_baseline-2026.csv",
        "reps_baseline-2026-2.csv",
        "trials_baseline-2026-2.csv",
    ]


def test_quarterly_accrual_adds_up(results):
    acc = quarterly_accrual(results)
    assert list(acc["quarter"].unique()) == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    for r in results:
        part = acc[acc["scenario"] == r.scenario.name]
        assert part["mean"].sum() == pytest.approx(r.trials["incentive_cost"].mean(), rel=1e-9)
        assert part["share_of_year"].sum() == pytest.approx(1.0)
        assert (part["p10"] <= part["mean"]).all() and (part["mean"] <= part["p90"]).all()
    assert report.quarterly_accrual is quarterly_accrual  # the report's name still works


def _accrual_result(name, periods, payout_by_period):
    """What quarterly_accrual reads of a SimulationResult."""
    from types import SimpleNamespace

    return SimpleNamespace(
        scenario=SimpleNamespace(name=name),
        periods=tuple(periods),
        payout_by_period=np.asarray(payout_by_period, dtype=float),
    )


def test_quarterly_accrual_by_hand():
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    # five trials: trial t pays t + 1 in every month of Q1 and Q3, 0 in Q2, and Q4
    # pays 10 in December of trials 0 to 3 and 110 in trial 4
    pay = np.zeros((5, 12))
    for t in range(5):
        pay[t, 0:3] = t + 1
        pay[t, 6:9] = t + 1
    pay[:, 11] = [10, 10, 10, 10, 110]
    other = _accrual_result("flat", ["2026-04", "2026-05"], [[4.0, 6.0], [0.0, 0.0]])
    acc = quarterly_accrual([_accrual_result("base", months, pay), other])
    assert acc.columns.tolist() == ["scenario", "quarter", "mean", "p10", "p90", "share_of_year"]
    assert acc["scenario"].tolist() == ["base"] * 4 + ["flat"]
    assert acc["quarter"].tolist() == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026", "Q2 2026"]
    base = acc.iloc[:4]
    # Q1 and Q3: 3, 6, 9, 12, 15 -> mean 9, P10 3 + 0.4 x 3 = 4.2, P90 12 + 0.6 x 3 = 13.8
    # Q4: 10, 10, 10, 10, 110 -> mean 30, P10 10, P90 10 + 0.6 x 100 = 70
    np.testing.assert_allclose(base["mean"], [9.0, 0.0, 9.0, 30.0])
    np.testing.assert_allclose(base["p10"], [4.2, 0.0, 4.2, 10.0])
    np.testing.assert_allclose(base["p90"], [13.8, 0.0, 13.8, 70.0])
    # the mean year is 9 + 0 + 9 + 30 = 48
    np.testing.assert_allclose(base["share_of_year"], [9 / 48, 0.0, 9 / 48, 30 / 48])
    flat = acc.iloc[4]
    # one quarter (two of its months): 10 and 0 -> mean 5, P10 1, P90 9, all of the year
    assert (flat["mean"], flat["p10"], flat["p90"]) == pytest.approx((5.0, 1.0, 9.0))
    assert flat["share_of_year"] == 1.0
    # one result alone; nothing paid: no share of a year of 0
    alone = quarterly_accrual(_accrual_result("none", months[:3], np.zeros((2, 3))))
    assert alone["quarter"].tolist() == ["Q1 2026"] and np.isnan(alone["share_of_year"].iloc[0])
    with pytest.raises(ValueError, match="at least one simulation result"):
        quarterly_accrual([])


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_234_567, "$1.23M"),
        (456_000, "$456k"),
        (999_500, "$1.00M"),
        (99_950, "$100k"),
        (12_345_678_900, "$12.3B"),
        (-79_812, "-$79.8k"),
        (950, "$950"),
        (0.0, "$0"),
        (float("inf"), "n/a"),
    ],
)
def test_format_money(value, text):
    assert format_money(value) == text


def test_format_diff_units():
    assert format_diff(0.0312, 0.004, "ratio") == "+3.1 pp ± 0.8 pp"
    assert format_diff(-0.00057, 0.000035, "ratio") == "-0.057 pp ± 0.007 pp"
    assert format_diff(-79_812, 4_655, "$") == "-$79.8k ± $9.31k"
    assert format_diff(1000, float("nan"), "$") == "+$1.00k"


def test_slugify():
    assert slugify("Baseline 2026") == "baseline-2026"
    assert slugify("Plan A/B (EMEA) v2") == "plan-a-b-emea-v2"
    assert re.fullmatch(r"[a-z0-9_-]+", slugify("Ünïcode ✓ name"))


# ----------------------------------------------------------------------------- figures


def test_figures_leave_global_style_alone(results, tmp_path):
    before = dict(mpl.rcParams)
    figs = [
        plots.attainment_histogram(results),
        plots.cost_distribution(results),
        plots.payout_curves([r.scenario.plan for r in results]),
        plots.quarterly_accrual_chart(quarterly_accrual(results)),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    assert [len(f.axes) for f in figs] == [2, 2, 2, 1]
    after = dict(mpl.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()
    text = plots.fig_to_base64_png(figs[0])
    assert len(text) > 10_000
    # one figure written to disk to look at
    figs[1].savefig(tmp_path / "cost.png", dpi=110)
    assert (tmp_path / "cost.png").stat().st_size > 10_000


def test_payout_curve_figure_uses_comp(results):
    fig = plots.payout_curves([r.scenario.plan for r in results])
    line = fig.axes[0].get_lines()[0]
    x, y = line.get_data()
    # baseline: nothing below the 50% threshold, TI at quota
    assert y[np.searchsorted(x, 0.4)] == 0.0
    assert y[np.argmin(abs(x - 1.0))] == pytest.approx(1.0)
