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
from spm_sim.metrics import (
    METRICS,
    compare,
    proportion_interval,
    quarterly_accrual,
    rep_summary,
    result_flags,
)
from spm_sim.report import headline, write_report, write_summaries
from spm_sim.report.summary import row_decimals
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
        "Chance of reaching the company target",
        "Company attainment, bookings / target (mean of simulated years)",
        "Share of reps at or above quota (mean of simulated years)",
        "Incentive cost, P10 (a good year)",
        "Incentive cost, P50 (a typical year)",
        "Incentive cost, P90 (a bad year, 1 in 10)",
        "Compensation cost of sales (mean of simulated years)",
        "Incentive cost of sales (mean of simulated years)",
        "Accelerated 2026 vs Baseline 2026",
        "2025 deals under the baseline plan (replayed)",
    ):
        assert label in report_text, label
    # the numbers of the headline table are the formatted summaries
    summ = results[1].summary().set_index("metric")
    assert format_money(summ.at["incentive_cost", "p90"]) in report_text
    # a share is written with the decimals its row's narrowest interval needs
    figures = report.headline_figures(results).set_index("key").loc["ccos"]
    places = row_decimals(list(zip(figures["low"], figures["high"], strict=True)))
    assert format_pct(summ.at["ccos", "mean"], decimals=places) in report_text
    # paired by common random numbers: the two sample scenarios share the seed
    assert "common random numbers" in report_text
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
    assert text.index("Summary: what to decide") < check < text.index("<h2>Headline figures</h2>")
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
    assert "Differences against the baseline" not in text
    assert "Summary: what to decide" in text and "What differs" not in text
    assert text.count("data:image/png;base64,") >= 4


# ----------------------------------------------------------------------------- tables


def test_headline_table(results):
    table = headline(results)
    assert list(table.columns) == ["Baseline 2026", "Accelerated 2026", "Difference vs baseline"]
    assert table.attrs["paired"] == {"Baseline 2026": True, "Accelerated 2026": True}
    cmp = compare(results).set_index(["scenario", "metric"])
    hit = cmp.loc[("Baseline 2026", "hit_company_target")]
    # every cell is its figure and the figure's interval, one row's decimals alike
    d = row_decimals([(hit["mean_low"], hit["mean_high"])])
    assert table.loc["Probability of reaching the company target", "Baseline 2026"] == (
        f"{format_pct(hit['mean'], decimals=d)} ({format_pct(hit['mean_low'], decimals=d)} "
        f"to {format_pct(hit['mean_high'], decimals=d)})"
    )
    # common random numbers and the same quotas: attainment is identical, so no change
    assert table.loc["Expected company attainment", "Difference vs baseline"] == "no change"
    cost = cmp.loc[("Accelerated 2026", "incentive_cost")]
    money = [
        format_money(cost[c], sign=True) for c in ("diff_vs_baseline", "diff_low", "diff_high")
    ]
    assert table.loc["Incentive cost, mean", "Difference vs baseline"] == (
        f"{money[0]} ({money[1]} to {money[2]})"
    )
    # percentiles and their differences carry their intervals too
    p90 = [format_money(cost[c], sign=True) for c in ("diff_p90", "diff_p90_low", "diff_p90_high")]
    assert table.loc["Incentive cost, P90", "Difference vs baseline"] == (
        f"{p90[0]} ({p90[1]} to {p90[2]})"
    )
    base = cmp.loc[("Baseline 2026", "incentive_cost")]
    assert table.loc["Incentive cost, P10", "Baseline 2026"] == (
        f"{format_money(base['p10'])} ({format_money(base['p10_low'])} to "
        f"{format_money(base['p10_high'])})"
    )
    assert all("(" in c for c in table["Baseline 2026"]), table["Baseline 2026"]
    assert table.attrs["level"] == 0.95


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
        # the intervals, after the columns a summary had before it carried them
        "mean_low",
        "mean_high",
        "p10_low",
        "p10_high",
        "p50_low",
        "p50_high",
        "p90_low",
        "p90_high",
        "level",
        "diff_vs_baseline",
        "diff_se",
        "paired",
        "diff_low",
        "diff_high",
        "diff_p10",
        "diff_p10_low",
        "diff_p10_high",
        "diff_p50",
        "diff_p50_low",
        "diff_p50_high",
        "diff_p90",
        "diff_p90_low",
        "diff_p90_high",
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
    assert acc.columns.tolist() == [
        "scenario",
        "quarter",
        "mean",
        "p10",
        "p90",
        "share_of_year",
        "mean_low",
        "mean_high",
        "p10_low",
        "p10_high",
        "p90_low",
        "p90_high",
    ]
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
    # Q1's mean 9 +/- 1.96 x sd 4.743 / sqrt(5); five trials are too few for a 95%
    # interval of P10 or P90 (P(B = 0) = 0.9^5 = 0.59 > 0.025 for P10)
    half = 1.959964 * np.std([3, 6, 9, 12, 15], ddof=1) / np.sqrt(5)
    np.testing.assert_allclose(base[["mean_low", "mean_high"]].iloc[0], [9 - half, 9 + half])
    assert base[["p10_low", "p90_high"]].isna().all().all()
    assert acc.attrs["level"] == 0.95
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


# ----------------------------------------------------------------------------- page one


def _section(text: str, start: str) -> str:
    i = text.index(start)
    return text[i : text.index("</section>", i)]


def test_page_one_is_a_summary_written_from_the_numbers(report_text, results):
    body = report_text[report_text.index("<body>") :]
    # the first heading after the title is the summary, before any table or figure
    assert re.findall(r"<h2>([^<]*)</h2>", body)[0] == "Summary: what to decide"
    assert body.index("Summary: what to decide") < body.index("<table")
    summary = html.unescape(_section(report_text, '<section id="summary">'))
    # the sentence on the alternative: the paired mean difference, its interval, why
    # sales do not move
    d = results[1].trials["incentive_cost"] - results[0].trials["incentive_cost"]
    half = 1.959964 * d.std(ddof=1) / np.sqrt(d.size)
    assert (
        f"Accelerated 2026 costs {format_money(d.mean())} more a year than Baseline 2026 "
        f"(95% interval {format_money(d.mean() - half, sign=True)} to "
        f"{format_money(d.mean() + half, sign=True)})"
    ) in summary
    assert "Sales are unchanged because reps' response to the plan is not modelled" in summary
    assert "Decide which plan and quotas to run in 2026" in summary
    # the baseline's chance of reaching target, with its Wilson interval in the same decimals
    hits = results[0].trials["hit_company_target"]
    _, low, high = proportion_interval(hits.sum(), hits.size)
    assert (
        f"in {format_pct(hits.mean(), decimals=1)} of simulated years (95% interval "
        f"{format_pct(low, decimals=1)} to {format_pct(high, decimals=1)})"
    ) in summary
    # the typical and bad year point to their intervals in the table
    assert "(the intervals of these three are in the headline figures)" in summary
    # the explanation of common random numbers is written once in the whole page
    assert report_text.count("common random numbers") == 1


def test_sales_that_differ_are_explained(tmp_path, book, results):
    from spm_sim.scenario import sample_scenario

    people = simulate(sample_scenario("people_and_behaviour"), 60, book=book)
    base = simulate(results[0].scenario, 60, book=book)
    text = html.unescape(write_report([base, people], tmp_path / "p.html").read_text("utf-8"))
    summary = text[text.index("Summary: what to decide") : text.index("Headline figures")]
    assert "People and behaviour 2026 costs" in summary
    assert re.search(
        r"Sales are \$[\d.]+[kM] (lower|higher) \(95% interval [^)]*\) because reps' effort "
        r"and timing respond to the plan \(behaviour on\) and reps leave",
        summary,
    ), summary


def test_headline_figures_have_intervals_and_real_differences(results):
    from spm_sim.report import headline_figures

    table = headline_figures(results)
    assert len(table) == 2 * 12
    finite = table.dropna(subset=["low", "high"])
    assert len(finite) == len(table)  # 200 trials give every interval
    assert (finite["low"] <= finite["estimate"]).all()
    assert (finite["estimate"] <= finite["high"]).all()
    t = table.set_index(["scenario", "key"])
    # the same simulated sales: attainment and the chance of target do not move at all
    for key in ("hit", "bookings", "attainment", "at_quota"):
        row = t.loc[("Accelerated 2026", key)]
        assert (row["diff"], row["diff_low"], row["diff_high"]) == (0.0, 0.0, 0.0)
        assert not row["real"] and row["identical"] and row["same_sales"]
    # the steeper plan costs more, clearly
    cost = t.loc[("Accelerated 2026", "cost_mean")]
    assert cost["real"] and cost["diff_low"] > 0
    # P90 of the baseline: an order-statistic interval from the trials themselves
    p90 = t.loc[("Baseline 2026", "cost_p90")]
    values = np.sort(results[0].trials["incentive_cost"].to_numpy())
    assert p90["low"] in values and p90["high"] in values
    assert table.attrs["level"] == 0.95


def test_last_year_column_is_the_book_paid_with_the_baseline_plan(report_text, results, book):
    from spm_sim.actuals import actual_payouts
    from spm_sim.quota import quotas_from_history
    from spm_sim.report import last_year

    last = last_year(results[0], book)
    assert last.available and last.year == 2025
    quotas = quotas_from_history(book, plan_year=2025, settings=results[0].scenario.quota)
    paid = actual_payouts(book, results[0].scenario.plan, 2025, quotas=quotas).by_rep()
    assert last.figures["cost_mean"] == pytest.approx(paid["payout"].sum())
    assert last.figures["bookings"] == pytest.approx(paid["bookings"].sum())
    assert last.figures["attainment"] == pytest.approx(
        paid["bookings"].sum() / quotas.company_target
    )
    table = _section(report_text, "<h2>Headline figures</h2>")
    assert f'<td class="ref">{format_money(paid["payout"].sum())}</td>' in table
    assert "paid under the baseline&#x27;s plan" in table and "Not pay that happened" in table
    # one year: no percentiles, and what stands where the simulated columns show a mean
    assert "one year: no percentiles" in table
    assert "where the simulated columns show a mean, this is that year&#x27;s figure" in table


def test_last_year_says_when_the_book_cannot_give_it(book):
    from spm_sim.report import last_year
    from spm_sim.scenario import sample_scenario

    # planning 2024: last year is 2023, the book's first year, with no history before it
    early = sample_scenario("baseline").replace(engine="summed", plan_year=2024)
    last = last_year(simulate(early, 20, book=book, rng=1), book)
    assert not last.available and last.figures == {}
    assert last.reason == "no history before 2023"
    assert last.basis.startswith("Not available: the book's history starts in 2023")
    # no advice to set what last year does not use (the plan year's quota.target)
    assert "quota.target" not in last.basis


def test_no_local_path_is_written(results, tmp_path, book):
    # a book and a scenario named by absolute paths: neither reaches the file
    text = write_report(results, tmp_path / "deep" / "r.html").read_text("utf-8")
    # the figures' base64 text could hold "/tmp" or "/work" by chance: only text counts
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "data:", text)
    assert text.count('src="data:"') >= 4
    root = str(Path(__file__).resolve().parents[1])
    for path in ("/work", "/tmp", root, str(Path.home()), str(tmp_path)):
        assert path not in text, path
    # the book is identified by its files' names and short SHA-256 checksums instead
    assert re.search(r"bookings\.csv [0-9a-f]{12}", text)
    assert "Cascade Instruments (sample)" in text


def test_assumptions_show_only_what_differs(report_text):
    section = _section(report_text, "<h2>Assumptions</h2>")
    rows = re.findall(r'<th scope="row">([^<]*)</th>', section)
    # baseline and accelerated differ in description and plan only
    assert rows == ["Description", "Plan"]
    assert section.count("Common to all scenarios.") == 1
    common = section[section.index("Common to all scenarios.") :]
    assert "Plan year: 2026" in common and "Quota method: history" in common
    # each plan's rules are shown once, with the explanation of marginal tiers once
    assert report_text.count("marginal: each band") == 1


def test_report_reads_when_printed(report_text):
    css = report_text[report_text.index("@media print") :]
    assert ".details { break-before: page; }" in css  # the details start a new page
    assert "thead { display: table-header-group; }" in css  # headers repeat
    assert "tr, figure" in css and "break-inside: avoid" in css
    assert report_text.index('<div class="details">') > report_text.index("Incentive cost</h2>")


def test_a_title_listing_the_scenarios_is_replaced(results, tmp_path, book):
    third = simulate(results[0].scenario.replace(name="Third"), 50, book=book)
    trio = [results[0], results[1], third]
    title = "Scenario report: " + " vs ".join(r.scenario.name for r in trio)
    text = write_report(trio, tmp_path / "t.html", title=title).read_text("utf-8")
    assert (
        "<h1>Incentive plan 2026: 2 alternatives against the baseline, Baseline 2026</h1>" in text
    )
    assert title not in text


# ----------------------------------------------------------------------------- what is said


@pytest.fixture(scope="module")
def summed(book):
    """Baseline, accelerated and the baseline again with another seed (summed engine)."""
    from spm_sim.scenario import sample_scenario

    base = sample_scenario("baseline").replace(engine="summed")
    alt = sample_scenario("accelerated").replace(engine="summed")
    return {
        "base": simulate(base, 300, book=book, rng=5),
        "accelerated": simulate(alt, 300, book=book, rng=5),
        "seed": simulate(base.replace(name="Other seed"), 300, book=book, rng=6),
    }


def _sentence(results) -> tuple[str, pd.DataFrame]:
    from spm_sim.report.summary import scenario_sentences

    table = report.headline_figures(results)
    [text] = scenario_sentences(results, table, "USD")
    return text, table.set_index(["scenario", "key"])


def test_differences_within_noise_are_called_noise_and_chance(summed):
    text, t = _sentence([summed["base"], summed["seed"]])
    cost, p90, sales = (t.loc[("Other seed", k)] for k in ("cost_mean", "cost_p90", "bookings"))
    # the two runs draw different sales: nothing here is real (seeds chosen so)
    assert not cost["real"] and not p90["real"] and not sales["real"]
    assert "within the simulation's noise: not a real difference" in text
    # the bad year is not given a number the noise explains
    assert "in a bad year (P90) the difference is within noise." in text
    assert format_money(abs(p90["diff"])) not in text
    # sales: no cause for a difference that is not there
    assert "Sales do not differ beyond noise (95% interval " in text
    assert "because" not in text
    # only the seed differs: all of it is chance, said once
    assert (
        "Other seed is Baseline 2026 simulated again with another seed: nothing else differs, "
        "so all of the difference is chance"
    ) in text


def test_the_bad_year_is_stated_when_its_difference_is_real(summed):
    text, t = _sentence([summed["base"], summed["accelerated"]])
    p90 = t.loc[("Accelerated 2026", "cost_p90")]
    assert p90["real"] and p90["diff"] > 0
    low, high = (format_money(p90[c], sign=True) for c in ("diff_low", "diff_high"))
    assert (
        f"in a bad year (P90), {format_money(p90['diff'])} more (95% interval {low} to {high})."
    ) in text
    assert "chance" not in text  # a real plan change, on the same draws


def test_the_chance_of_target_is_a_paired_difference_with_its_verdict(book, summed):
    from spm_sim.scenario import sample_scenario

    s = sample_scenario("baseline").replace(engine="summed")
    growth = simulate(
        s.replace(name="Growth 10%", quota=s.quota.replace(growth=0.10)), 300, book=book, rng=5
    )
    text, t = _sentence([summed["base"], growth])
    hit, base_hit = t.loc[("Growth 10%", "hit")], t.loc[("Baseline 2026", "hit")]
    assert hit["real"] and hit["diff"] < 0  # a higher target is reached less often
    expected = (
        f"The chance of reaching the company target is {abs(hit['diff']) * 100:.1f} pp lower "
        f"({format_pct(hit['estimate'], decimals=1)} against "
        f"{format_pct(base_hit['estimate'], decimals=1)}; 95% interval of the difference "
        f"{hit['diff_low'] * 100:+.1f} to {hit['diff_high'] * 100:+.1f} pp: real)"
    )
    assert expected in text, text
    # the scenario's own Wilson interval is in the table, not passed off as the difference
    own = f"({format_pct(hit['low'], decimals=1)} to {format_pct(hit['high'], decimals=1)})"
    assert own not in text


def test_every_alternative_is_ranked_and_the_noisy_ones_named(summed):
    from spm_sim.report.summary import decision_paragraph

    results = [summed["base"], summed["accelerated"], summed["seed"]]
    table = report.headline_figures(results)
    text = decision_paragraph(results, table, "USD")
    extra = table.set_index(["scenario", "key"]).loc[("Accelerated 2026", "cost_mean"), "diff"]
    # one of two alternatives costs more for real: not "every alternative"
    assert "Every alternative" not in text
    assert f"Accelerated 2026 costs more ({format_money(extra, sign=True)} a year)." in text
    assert "Other seed does not differ in cost from the baseline beyond noise." in text
    # two that both cost more are "every alternative"
    again = simulate(summed["accelerated"].scenario.replace(name="Again"), 300, rng=5)
    both = [summed["base"], summed["accelerated"], again]
    assert "Every alternative costs more" in decision_paragraph(
        both, report.headline_figures(both), "USD"
    )


def test_behaviour_scenarios_share_draws_not_sales(book):
    from spm_sim.report.summary import reading_notes
    from spm_sim.scenario import sample_scenario

    base = sample_scenario("baseline").replace(engine="summed")
    on = base.replace(
        name="Behaviour on", behaviour=sample_scenario("people_and_behaviour").behaviour
    )
    steep = on.replace(name="Steeper, behaviour on", plan=sample_scenario("accelerated").plan)
    results = [simulate(s, 150, book=book, rng=4) for s in (on, steep)]
    text, t = _sentence(results)
    notes = " ".join(reading_notes(results, report.headline_figures(results)))
    # the same random draws, not the same sales: reps respond to each plan
    assert "shares the baseline's random draws (common random numbers" in notes
    assert "simulated sales (common" not in notes and "on the same sales" not in notes
    assert (
        "Where reps respond to the plan (Steeper, behaviour on), the same draws still give" in notes
    )
    sales = t.loc[("Steeper, behaviour on", "bookings")]
    assert sales["real"] and sales["diff"] > 0  # a steeper plan draws more effort
    assert "because reps respond to its plan (behaviour on in both)." in text


def test_no_change_only_where_the_sales_are_the_same(book, tmp_path):
    from spm_sim.scenario import sample_scenario

    base = sample_scenario("baseline").replace(engine="summed")
    behaviour = sample_scenario("people_and_behaviour").behaviour
    faint = base.replace(
        name="Faint response",
        behaviour=behaviour.replace(effort_elasticity=0.001, pull_forward=0.0, push_out=0.0),
    )
    results = [simulate(s, 60, book=book, rng=4) for s in (base, faint)]
    t = report.headline_figures(results).set_index(["scenario", "key"])
    hit = t.loc[("Faint response", "hit")]
    # sales move by a few hundred dollars: the same years reach target, by chance
    assert hit["identical"] and not hit["same_sales"]
    assert not t.loc[("Faint response", "bookings")]["identical"]
    path = write_report(results, tmp_path / "faint.html")
    diffs = _section(path.read_text("utf-8"), "<h3>Differences against the baseline</h3>")
    assert "no change" not in diffs and "same simulated sales" not in diffs
    assert "the same in every simulated year, by chance: sales differ" in diffs
    # the command line's table says the same
    cell = headline(results).loc["Probability of reaching the company target"].iloc[-1]
    assert cell == "+0 pp (by chance: sales differ)"


def test_each_row_has_one_number_of_decimals(report_text):
    table = _section(report_text, "<h2>Headline figures</h2>")
    table = table[: table.index("</table>")]
    for row in re.findall(r"<tr>(.*?)</tr>", table):
        cells = re.findall(r'<td class="num">([^<]*)<span class="ci">([^<]*)</span>', row)
        places = set()
        for main, ci in cells:
            for number in re.findall(r"(\d+(?:\.\d+)?)%", main + " " + ci):
                places.add(len(number.split(".")[1]) if "." in number else 0)
        assert len(places) <= 1, row  # a share and its interval: the same decimals


# ----------------------------------------------------------------------------- last year


def _changed_2025(book, factor: float):
    """The book with every 2025 deal's amount times ``factor`` (held in memory)."""
    import dataclasses

    deals = book.bookings.copy()
    in_2025 = deals["date"].dt.year == 2025
    deals.loc[in_2025, "amount"] = deals.loc[in_2025, "amount"] * factor
    return dataclasses.replace(book, bookings=deals)


def test_last_year_is_the_book_the_results_were_simulated_on(book, tmp_path):
    import dataclasses

    from spm_sim.actuals import actual_payouts
    from spm_sim.quota import quotas_from_history
    from spm_sim.report import last_year
    from spm_sim.scenario import sample_scenario

    s = sample_scenario("baseline").replace(engine="summed")
    other = _changed_2025(book, 1.2)  # what the app's upload does: another book
    result = simulate(s, 30, book=other, rng=1)
    quotas = quotas_from_history(other, plan_year=2025, settings=s.quota)
    paid = actual_payouts(other, s.plan, 2025, quotas=quotas).by_rep()["payout"].sum()
    sample = last_year(simulate(s, 30, book=book, rng=1))
    assert paid > 1.1 * sample.figures["cost_mean"]  # the two books differ in 2025
    # given, the book is used (and checked against the results)
    mine = last_year(result, other)
    assert mine.available and mine.figures["cost_mean"] == pytest.approx(paid)
    # the result carries the book it was simulated on: nothing to pass
    carried = last_year(result)
    assert carried.available and carried.figures["cost_mean"] == pytest.approx(paid)
    # without it, read again from the folder its copy came from: the sample is refused
    bare = dataclasses.replace(result, book=None)
    again = last_year(bare)
    assert not again.available and again.reason == "not the simulated book"
    assert "pass that book as book=" in again.basis
    # the wrong book given is refused too
    assert not last_year(result, book).available
    # a book built in memory cannot be read again: said so
    memory = dataclasses.replace(other, path=None)
    alone = last_year(dataclasses.replace(simulate(s, 30, book=memory, rng=1), book=None))
    assert not alone.available and alone.reason == "book not saved"
    # the report takes the book from the results, and shows the right year
    for text in (
        write_report(result, tmp_path / "r.html", book=other).read_text("utf-8"),
        write_report(result, tmp_path / "c.html").read_text("utf-8"),
    ):
        assert f'<td class="ref">{format_money(paid)}</td>' in text
    text = write_report(bare, tmp_path / "s.html").read_text("utf-8")
    assert format_money(sample.figures["cost_mean"]) not in _section(text, "<h2>Headline")
    assert "not the simulated book" in text


def test_a_part_year_is_not_shown_as_a_full_year(book, tmp_path):
    import dataclasses

    from spm_sim.report import last_year
    from spm_sim.scenario import sample_scenario

    end = pd.Timestamp("2025-06-30")
    half = dataclasses.replace(
        book, bookings=book.bookings[book.bookings["date"] <= end], snapshot_date=end
    )
    result = simulate(sample_scenario("baseline").replace(engine="summed"), 30, book=half, rng=1)
    last = last_year(result, half)
    assert not last.available and last.reason == "history ends 2025-06-30"
    assert "2025 is a part year (1 Jan to 30 Jun 2025 only)" in last.basis
    text = html.unescape(write_report(result, tmp_path / "r.html", book=half).read_text("utf-8"))
    head = _section(text, "<h2>Headline figures</h2>")
    assert "2025 deals under the baseline plan (replayed)" in head
    assert "not availablehistory ends 2025-06-30" in re.sub(r"<[^>]+>", "", head)
    summary = _section(text, '<section id="summary">')
    assert "2025 cannot be replayed for comparison (history ends 2025-06-30)" in summary
    assert "Replayed on 2025" not in summary


def test_last_year_and_figures_in_another_currency(book, tmp_path):
    import dataclasses

    from spm_sim._format import units_per_usd
    from spm_sim.report import last_year
    from spm_sim.scenario import sample_scenario

    rate = units_per_usd("JPY")
    reps = book.reps.copy()
    reps[["base_salary", "target_incentive"]] *= rate
    yen = dataclasses.replace(
        book,
        reps=reps,
        bookings=book.bookings.assign(amount=book.bookings["amount"] * rate),
        pipeline=book.pipeline.assign(amount=book.pipeline["amount"] * rate),
        accounts=book.accounts.assign(potential=book.accounts["potential"] * rate),
        currency="JPY",
    )
    s = sample_scenario("baseline").replace(engine="summed")
    s = s.replace(plan=s.plan.model_copy(update={"currency": "JPY"}))
    result = simulate(s, 30, book=yen, rng=1)
    dollars = last_year(simulate(sample_scenario("baseline").replace(engine="summed"), 30, rng=1))
    last = last_year(result, yen)
    assert last.available
    assert last.figures["cost_mean"] == pytest.approx(rate * dollars.figures["cost_mean"], rel=1e-6)
    assert last.figures["attainment"] == pytest.approx(dollars.figures["attainment"])
    text = write_report(result, tmp_path / "yen.html", book=yen).read_text("utf-8")
    assert f'<td class="ref">{format_money(last.figures["cost_mean"], currency="JPY")}</td>' in text
    page_one = _section(html.unescape(text), '<section id="summary">')
    assert "¥" in page_one and "$" not in page_one
    # the sample's folder holds dollars: read again, it is not taken for the yen book
    bare = dataclasses.replace(result, book=None)
    assert last_year(bare).reason == "not the simulated book"


# ------------------------------------------------------------------ page one: the decision


def _fmt_span(low: float, high: float) -> str:
    return f"{format_money(low, sign=True)} to {format_money(high, sign=True)}"


@pytest.fixture(scope="module")
def redesign(book):
    """A baseline with behaviour on and a design that changes its plan and its quotas.

    The design keeps the baseline's description (as a copy of a scenario would), steepens
    the accelerators and calibrates quotas, whose sum falls short of the target.
    """
    from spm_sim.scenario import sample_scenario

    beh = sample_scenario("people_and_behaviour").behaviour
    base = sample_scenario("baseline").replace(engine="summed", behaviour=beh)
    c = base.plan.components[0]
    tiers = (c.tiers[0], c.tiers[1].model_copy(update={"rate": 1.875}), c.tiers[2])
    plan = base.plan.model_copy(
        update={"name": "Design plan", "components": (c.model_copy(update={"tiers": tiers}),)}
    )
    quota = sample_scenario("calibrated_quotas").quota.replace(calibration_trials=200)
    design = base.replace(name="Design", plan=plan, quota=quota)
    return [simulate(s, 200, book=book, rng=5) for s in (base, design)]


def test_page_one_says_what_each_alternative_changes(summed, redesign):
    from spm_sim.report.summary import decision_paragraph, what_changes

    pair = [summed["base"], summed["accelerated"]]
    text, _ = _sentence(pair)
    # a scenario with a description of its own: the description says what it changes
    assert text.startswith(
        "Accelerated 2026 changes: Steeper AE plan (threshold 60%, 0.8x below 50%"
    )
    intro = decision_paragraph(pair, report.headline_figures(pair), "USD")
    assert intro.startswith(
        "Decide which plan and quotas to run in 2026. One alternative, Accelerated 2026, is "
        "compared with the baseline, Baseline 2026. "
    )
    assert "set against" not in intro
    # derived from the scenarios: the plan's name and rules, quotas and over-assignment
    changes = what_changes(redesign[1], redesign[0])
    assert changes.startswith(
        "plan Design plan instead of Baseline 2026 AE plan: rates 1x to 100%, 1.875x to 150%, "
        "2x above 150% (baseline 1x to 100%, 1.5x to 150%, 2x above 150%); quotas calibrated: "
        "each rep has a 60% chance of attaining quota (baseline history (trailing 12 months)); "
        "over-assignment 0.0% set, "
    )
    assert "behaviour" not in changes and "seed" not in changes  # the same in both
    # a copied description is not passed off as the design's: the derived clause is used
    text, _ = _sentence(redesign)
    assert text.startswith(f"Design changes: {changes}.")
    # behaviour and the simulation's own settings are named when they differ
    on = summed["base"].scenario.replace(behaviour=redesign[0].scenario.behaviour)
    moved = simulate(on, 40, rng=9)
    assert what_changes(moved, summed["base"]) == (
        "behaviour on (baseline off); 40 simulated years (baseline 300); seed 9 (baseline 5)"
    )


def test_a_real_cost_difference_says_what_it_buys(summed, redesign):
    text, t = _sentence(redesign)
    cost, sales, hit = (t.loc[("Design", k)] for k in ("cost_mean", "bookings", "hit"))
    assert cost["real"] and sales["real"] and hit["real"] and cost["diff"] > 0
    assert (
        f"Trade-off: {format_money(cost['diff'], sign=True)} a year buys "
        f"{format_money(sales['diff'], sign=True)} of bookings (95% interval "
        f"{_fmt_span(sales['diff_low'], sales['diff_high'])}) and "
        f"{hit['diff'] * 100:+.1f} pp chance of reaching the company target (95% interval "
        f"{hit['diff_low'] * 100:+.1f} to {hit['diff_high'] * 100:+.1f} pp)."
    ) in text
    # the other way round, a saving gives the same up
    back, t = _sentence(redesign[::-1])
    saving = t.loc[("Baseline 2026", "cost_mean")]
    assert f"Trade-off: Saving {format_money(-saving['diff'])} a year gives up " in back
    # reps do not respond: the money buys no sales in this model
    text, t = _sentence([summed["base"], summed["accelerated"]])
    extra = format_money(t.loc[("Accelerated 2026", "cost_mean"), "diff"])
    assert (
        f"Trade-off: the extra {extra} a year buys nothing in sales in this model (reps' "
        "response to the plan is not modelled)."
    ) in text
    # a cost difference within noise is not traded against anything
    text, _ = _sentence([summed["base"], summed["seed"]])
    assert "Trade-off" not in text


def test_quotas_short_of_the_target_are_a_warning_on_page_one(redesign, tmp_path):
    design = redesign[1]
    total, target = float(design.quotas.annual.sum()), float(design.company_target)
    assert total < target  # calibrated quotas are not scaled to the target
    text = write_report(redesign, tmp_path / "r.html").read_text("utf-8")
    summary = html.unescape(re.sub("<[^>]+>", "", _section(text, '<section id="summary">')))
    short = (target - total) / target
    assert (
        f"Warning: in Design, rep quotas add up to {format_money(total)}, "
        f"{format_money(target - total)} "
        f"({short:.1%}) below the company target of {format_money(target)}: every rep can "
        "reach quota while the company misses its number."
    ) in summary
    assert '<p class="warn"><b>Warning:</b> in Design' in text
    # each alternative's item: what it changes and the trade-off lead, in bold
    assert "<li><b>Design changes:</b> plan Design plan instead of" in text
    assert "<br><b>Trade-off:</b> +$" in text
    base_total = float(redesign[0].quotas.annual.sum())
    over = base_total / float(redesign[0].company_target) - 1
    assert (
        f"Over-assignment differs: rep quotas add up to {format_money(base_total)} in "
        f"Baseline 2026 ({over:.1%} above the company target of {format_money(target)}) and "
        f"{format_money(total)} in Design ({short:.1%} below)."
    ) in summary


def test_no_quota_warning_when_the_quotas_are_over_assigned_alike(report_text):
    summary = _section(report_text, '<section id="summary">')
    assert 'class="warn"' not in summary and "Over-assignment differs" not in summary


def test_the_common_paragraph_holds_only_what_every_scenario_shares(redesign, tmp_path):
    text = write_report(redesign, tmp_path / "r.html").read_text("utf-8")
    section = html.unescape(_section(text, "<h2>Assumptions</h2>"))
    common = section[section.index("Common to all scenarios.") :]
    rows = re.findall(r'<th scope="row">([^<]*)</th>', section)
    # two plans with different names and rules: never common, each in its column
    assert "Plan" in rows and "Design plan" in section and "Baseline 2026 AE plan (" in section
    assert "Plan:" not in common and "Design plan" not in common
    assert "Quota method:" not in common and "Over-assignment:" not in common
    # a description belongs to its scenario; the copied one says it is a copy
    assert "Description" in rows and "Description:" not in common
    assert "Current AE plan" not in common
    assert "(the description of Baseline 2026, copied: it does not describe what this" in section
    # what is the same is still said once
    assert "Plan year: 2026" in common and "Behaviour: on" in common


def test_percentages_have_one_decimal_unless_the_interval_needs_more(report_text):
    from spm_sim.report.summary import fmt_range

    # half-widths of 0.42 pp, 0.04 pp and 0.006 pp: 1, 2 and 3 decimals, as the app's ± 2 SE
    assert row_decimals([(1.0053, 1.0137)]) == 1
    assert row_decimals([(0.04169, 0.04250)], cap=3) == 2
    assert row_decimals([(0.00588, 0.00601)], cap=3) == 3
    assert fmt_range(1.0053, 1.0137, "ratio", "USD") == "100.5% to 101.4%"
    table = _section(report_text, "<h2>Headline figures</h2>")
    attainment = table[table.index("Company attainment") :]
    attainment = attainment[: attainment.index("</tr>")]
    # last year's attainment takes the row's decimals: no "98.68%" beside "100.9%"
    values = re.findall(r"(\d+(?:\.\d+)?)%", attainment)
    assert values and {len(v.split(".")[1]) if "." in v else 0 for v in values} == {1}
