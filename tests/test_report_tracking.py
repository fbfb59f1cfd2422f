"""The tracking report and its figures on small worked forecasts (no book needed)."""

from __future__ import annotations

import numpy as np
import pytest

from spm_sim.comp import standard_plan
from spm_sim.report.tracking import (
    company_figures,
    next_accrual,
    tracking_summary,
    write_tracking_report,
)
from spm_sim.track import accruals, example_forecast, leaderboard
from spm_sim.viz.tracking import accrual_figure, fan_points, forecast_fan_figure, p_quota_figure


@pytest.fixture(scope="module")
def fc():
    return example_forecast(trials=300, rng=1)


def test_company_figures_agree_with_the_forecast(fc):
    figs = company_figures(fc)
    v = figs["value"]
    assert v["bookings_to_date"] == pytest.approx(fc.actual.sum())
    assert v["target"] == pytest.approx(fc.quotas.sum())
    assert v["bookings_p50"] == pytest.approx(np.percentile(fc.company_bookings, 50))
    assert v["cost_mean"] == pytest.approx(fc.incentive.mean())
    assert v["p_target"] == pytest.approx((fc.company_bookings >= fc.quotas.sum()).mean())
    # the known figures have no interval; the drawn ones hold their estimate
    assert figs.loc["paid", "low"] == figs.loc["paid", "high"]
    drawn = figs.loc[["bookings_p10", "cost_mean", "p_target"]]
    tol = 1e-9 * drawn.value.abs()
    assert ((drawn.low <= drawn.value + tol) & (drawn.value <= drawn.high + tol)).all()
    assert v["reps_on_pace"] == 3  # R001 exactly on pace, the others ahead


def test_summary_says_what_to_accrue(fc):
    acc = accruals(fc)
    text = tracking_summary(fc, company_figures(fc, acc), acc)
    q3 = next_accrual(acc)
    assert q3["period"] == "2025-Q3"
    assert any(s.startswith("Accrue $") and "for Q3" in s for s in text)
    assert "chance" in text[1] and "P10" in text[1]


def test_nothing_to_accrue_at_year_end():
    done = example_forecast(as_of="2025-12-31", trials=50)
    acc = accruals(done)
    assert next_accrual(acc) is None
    text = tracking_summary(done, company_figures(done, acc), acc)
    assert "The year is known" in text[1]


def test_report_is_self_contained_escaped_and_reproducible(tmp_path):
    plan = standard_plan(name="<b>Plan</b> /home/someone/plans", threshold=0.0)
    fc = example_forecast(trials=100, plan=plan)
    first = write_tracking_report(fc, tmp_path / "a" / "tracking.html").read_bytes()
    again = write_tracking_report(fc, tmp_path / "b.html").read_bytes()
    assert first == again
    text = first.decode("utf-8")
    assert "<b>Plan</b>" not in text and "&lt;b&gt;Plan&lt;/b&gt;" in text
    assert "/home/someone" not in text
    assert "<script" not in text and "http" not in text.split("data:image")[0]
    assert text.count("data:image/png;base64,") == 3
    for head in ("What to decide first", "Company forecast", "Accruals", "Leaderboard", "Method"):
        assert f"<h2>{head}</h2>" in text
    assert "The plan has no contest." in text


def test_report_shows_contest_standings(tmp_path):
    base = standard_plan(threshold=0.0)
    plan = base.replace(
        components=[
            *base.components,
            {
                "name": "h2",
                "type": "contest",
                "start_month": 7,
                "end_month": 12,
                "prizes": [5000, 1000],
            },
        ]  # fmt: skip
    )
    text = write_tracking_report(
        example_forecast(trials=100, plan=plan), tmp_path / "t.html"
    ).read_text("utf-8")
    assert "<h3>h2</h3>" in text and "Chance of a prize" in text


def test_fan_points_start_at_the_actuals(fc):
    pts = fan_points(fc)
    assert pts["actual_y"][-1] == pytest.approx(fc.actual.sum())
    assert pts["p10"][0] == pts["p90"][0] == pytest.approx(fc.actual.sum())
    assert pts["p50"][-1] == pytest.approx(np.percentile(fc.company_bookings, 50))
    assert (pts["p10"] <= pts["p90"]).all()
    mid = fan_points(example_forecast(as_of="2025-06-15", trials=20))
    assert mid["actual_x"][-1] == pytest.approx(5.5)


def test_figures_draw(fc):
    fan = forecast_fan_figure(fc)
    assert {line.get_gid() for line in fan.axes[0].lines} >= {"actual", "median", "target"}
    bars = accrual_figure(accruals(fc))
    assert len(bars.axes[0].patches) == 12
    dots = p_quota_figure(leaderboard(fc))
    assert len(dots.axes[0].collections) >= 1
