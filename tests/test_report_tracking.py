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


# ---------------------------------------------------------------- words for numbers (issue 17)


def test_chance_text_never_rounds_to_a_certainty():
    from spm_sim.report.tracking import chance_text

    assert chance_text(0.9962, 0.991, 0.998) == "over 99.5% (99.1% to 99.8%)"
    assert chance_text(1.0, 0.998, 1.0) == "100% (99.8% to 100%)"
    assert chance_text(0.003, 0.001, 0.009) == "under 0.5% (0.1% to 0.9%)"
    assert chance_text(0.0, 0.0, 0.0019) == "0% (0% to 0.2%)"
    assert chance_text(1.0, 1.0, 1.0) == "100%"  # known: every trial and the interval
    assert chance_text(0.5, 0.47, 0.53) == "50% (47% to 53%)"


def test_ratio_against_shows_the_digits_that_make_it_true():
    from spm_sim.report.tracking import ratio_against

    assert ratio_against(1.27, 1.3) == "1.27x, below 1.3x"
    assert ratio_against(1.2996, 1.3) == "1.2996x, below 1.3x"
    assert ratio_against(3.0, 2.5) == "3x, above 2.5x"


def test_ranked_board_orders_by_attainment_breaks_ties_and_marks_leavers(fc):
    from spm_sim.report.tracking import ranked_board

    board = leaderboard(fc)
    board["attainment_to_date"] = 0.5
    board["bookings_to_date"] = board.rep_id.map({"R001": 100.0, "R002": 300.0, "R003": 300.0})
    out = ranked_board(board, {"R001": "2025-06-01"})
    assert list(out.position_label) == ["=1", "=1", "3"]
    assert set(out.rep_id[:2]) == {"R002", "R003"} and out.rep_id.iloc[2] == "R001"
    assert out.set_index("rep_id").left_on.to_dict() == {
        "R001": "2025-06-01", "R002": "", "R003": "",
    }  # fmt: skip


def test_leavers_are_not_employed_at_the_date(fc):
    figs = company_figures(fc, left={"R003": "2025-05-31"})
    assert figs.loc["reps", "value"] == 3 and figs.loc["reps_employed", "value"] == 2
    acc = accruals(fc)
    first = tracking_summary(fc, figs, acc, left={"R003": "2025-05-31"})[0]
    assert "of the 2 reps employed at the date" in first and "1 left: R003 on 31 May" in first


def test_warning_counts_add_up():
    import pandas as pd

    from spm_sim.report.tracking import warning_counts

    w = pd.DataFrame(
        {"kind": ["at risk"] * 3 + ["cap binds"] * 2, "level": ["rep"] * 4 + ["company"]}
    )
    assert warning_counts(w) == (
        "4 rep and region warnings (3 at risk, 1 cap binds) + 1 company-level (cap binds)"
    )


def test_tidy_numbers_keeps_cents_and_shares():
    import pandas as pd

    from spm_sim.report.tracking import tidy_numbers

    frame = pd.DataFrame(
        {"unit": ["USD", "share"], "value": [1234.5678, 0.123456], "to_accrue": [-1e-11, 3.0]}
    )
    frame.attrs["x"] = 1
    out = tidy_numbers(frame, "USD")
    assert out.value.tolist() == [1234.57, 0.1235]
    assert out.to_accrue.tolist() == [0.0, 3.0] and str(out.to_accrue[0]) == "0.0"
    assert out.attrs == {"x": 1}


def test_summary_sets_the_cost_against_ti_and_bookings(fc):
    acc = accruals(fc)
    figs = company_figures(fc, acc, target=4_000_000.0)
    v = figs["value"]
    assert v["target"] == 4_000_000.0 and v["quota_total"] == pytest.approx(fc.quotas.sum())
    ti = fc.target_incentive.sum()
    assert v["cost_share_of_ti"] == pytest.approx(fc.incentive.mean() / ti)
    ratio = fc.incentive / fc.company_bookings
    assert v["cost_of_sales"] == pytest.approx(ratio.mean())
    text = " ".join(tracking_summary(fc, figs, acc))
    assert "the company's number" in text and "target incentive" in text
    assert "(the cost of sales, P10" in text


def test_plan_year_note():
    from spm_sim.report.tracking import plan_year_note

    assert "says 2026 but the year tracked is 2025" in plan_year_note("Plan 2026", 2025)
    assert plan_year_note("Plan 2025", 2025) is None and plan_year_note("AE plan", 2025) is None


def test_change_parts_add_up():
    import pandas as pd

    from spm_sim.report.tracking import change_parts

    ch = pd.DataFrame(
        {
            "kind": ["month"] * 4,
            "period": ["2025-01", "2025-02", "2025-03", "2025-04"],
            "status_previous": ["actual", "in progress", "forecast", "forecast"],
            "status": ["actual", "actual", "in progress", "forecast"],
            "change": [1.0, 2.0, 4.0, 8.0],
        }
    )
    assert change_parts(ch) == {"paid_then": 1.0, "booked_since": 2.0, "rest": 12.0}
