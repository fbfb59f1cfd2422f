"""The quota designer, driven without a browser: set widgets, press Compare, read the table."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from spm_sim.errors import PlausibilityWarning
from spm_sim.quota import QuotaSettings
from spm_sim.scenario import sample_scenario
from spm_sim.viz.quota import attainment_comparison_figure
from spm_sim.widgets.quota import CHOICES, QuotaDesigner, _png, method_settings, normalised_weights

START = {
    "growth": 0.08,
    "region": 0.0,
    "rep": 0.05,
    "w_history": 0.5,
    "w_potential": 0.5,
    "w_equal": 0.0,
    "probability": 0.65,
}


@pytest.fixture(scope="module")
def built():
    return QuotaDesigner(sample_scenario("baseline"), trials=100, draw=False)


@pytest.fixture
def designer(built):
    """The module's designer with its widgets back at the start (tests move them)."""
    for name, value in START.items():
        built.sliders[name].value = value
    tick(built, "history", "potential", "blend", "calibrated")
    return built


def tick(d, *methods):
    for m, box in d.methods.items():
        box.value = m in methods


def row(d, method):
    """The row of ``method`` (its first) in the last compare's company view."""
    rows = d.view[d.view["method"] == method]
    assert len(rows) == 1, d.view
    return rows.iloc[0]


def test_starts_from_the_scenario_and_compares_at_once(built):
    q = sample_scenario("baseline").quota
    assert built.sliders["growth"].value == pytest.approx(q.growth)
    assert built.sliders["rep"].value == pytest.approx(q.over_assignment.rep)
    assert built.error is None and built.view is not None
    assert list(built.view["method"]) == ["history", "potential", "blend", "calibrated"]


def test_one_row_per_ticked_method_on_the_same_draws(designer):
    tick(designer, *CHOICES)
    designer.compare()
    assert list(designer.view["method"]) == list(CHOICES)
    assert list(designer.table().index) == list(designer.view["setting"])
    assert designer.view["common_draws"].all()
    assert (designer.view["company_target"] == designer.view["company_target"].iloc[0]).all()
    # the top-down methods share the target out x (1 + 5%); calibrated ignores that
    top_down = designer.view[designer.view["method"] != "calibrated"]
    np.testing.assert_allclose(top_down["over_assignment"], 0.05, atol=1e-9)
    assert row(designer, "calibrated")["over_assignment"] < 0
    tick(designer, "equal", "capacity")
    designer.compare()
    assert list(designer.view["method"]) == ["equal", "capacity"]
    assert list(designer.fit_choice.options) == ["equal", "capacity"]


def test_rep_over_assignment_lowers_share_at_quota_not_p_company_target(designer):
    designer.compare()
    view = designer.view
    before = view.set_index("method")
    designer.sliders["rep"].value = 0.20
    assert designer.view is view  # a slider move alone does not re-run: Compare does
    designer.compare()
    after = designer.view.set_index("method")
    for m in ("history", "potential", "blend"):
        assert after.loc[m, "share_at_quota"] < before.loc[m, "share_at_quota"], m
        assert after.loc[m, "sum_of_quotas"] == pytest.approx(
            before.loc[m, "sum_of_quotas"] * 1.20 / 1.05, rel=1e-9
        )
        assert after.loc[m, "incentive_cost"] < before.loc[m, "incentive_cost"], m
    # same target and same simulated sales: exactly the same chance of reaching it
    assert (after["p_company_target"] == before["p_company_target"]).all()
    # calibrated quotas come from the probability alone
    assert after.loc["calibrated", "share_at_quota"] == before.loc["calibrated", "share_at_quota"]
    assert "growth and over-assignment do not change them" in designer.status.value


def test_region_over_assignment_multiplies_with_the_rep_level(designer):
    tick(designer, "potential")
    designer.sliders["region"].value = 0.10
    designer.sliders["rep"].value = 0.10
    designer.compare()
    r = row(designer, "potential")
    assert r["sum_of_quotas"] / r["company_target"] == pytest.approx(1.10 * 1.10, rel=1e-9)
    q = designer.quotas[r["setting"]]
    levels = q.levels.set_index("level")
    assert levels["matches_set"].all()


def test_growth_raises_the_target_and_lowers_p_company_target(designer):
    tick(designer, "history", "equal")
    designer.compare()
    before = row(designer, "history")
    designer.sliders["growth"].value = 0.25
    designer.compare()
    after = row(designer, "history")
    assert after["company_target"] == pytest.approx(before["company_target"] * 1.25 / 1.08)
    assert after["p_company_target"] < before["p_company_target"]
    assert after["share_at_quota"] < before["share_at_quota"]


def test_probability_slider_moves_the_calibrated_quotas(designer):
    tick(designer, "calibrated")
    designer.compare()
    low = row(designer, "calibrated")
    assert low["setting"] == "calibrated (p=65%)"
    designer.sliders["probability"].value = 0.80
    designer.compare()
    high = row(designer, "calibrated")
    assert high["setting"] == "calibrated (p=80%)"
    assert high["sum_of_quotas"] < low["sum_of_quotas"]
    assert high["share_at_quota"] > low["share_at_quota"]
    # the quotas are calibrated on their own stream, not on these draws: close, not exact
    assert abs(high["share_at_quota"] - 0.80) < 0.08


def test_blend_weights_are_normalised(designer):
    designer.sliders["w_history"].value = 0.6
    designer.sliders["w_potential"].value = 0.3
    designer.sliders["w_equal"].value = 0.3
    w = designer.blend_weights()
    assert sum(w.values()) == pytest.approx(1.0)
    assert w == pytest.approx({"history": 0.5, "potential": 0.25, "equal": 0.25})
    assert "history 50%, potential 25%, equal 25%" in designer.weights_text.value
    settings = designer.settings()
    blend = [s for s in settings.values() if s.method == "blend"]
    assert len(blend) == 1 and blend[0].weights == pytest.approx(w)
    designer.compare()
    assert row(designer, "blend")["setting"] == "blend (history 50%, potential 25%, equal 25%)"


def test_a_blend_of_history_alone_is_the_history_method(designer):
    designer.sliders["w_potential"].value = 0.0
    designer.sliders["w_history"].value = 0.3  # normalised to 1
    assert designer.blend_weights() == {"history": 1.0}
    designer.compare()
    h, b = row(designer, "history"), row(designer, "blend")
    np.testing.assert_allclose(
        designer.quotas[b["setting"]].annual, designer.quotas["history"].annual, rtol=1e-9
    )
    assert b["share_at_quota"] == pytest.approx(h["share_at_quota"])


def test_all_zero_blend_weights_show_an_error_not_a_traceback(designer):
    for b in ("w_history", "w_potential", "w_equal"):
        designer.sliders[b].value = 0.0
    assert "blend weights are all 0" in designer.weights_text.value
    designer.button.click()  # what pressing Compare does
    assert designer.view is None and designer.diagnostics == {}
    assert "blend weights are all 0" in designer.error
    assert "Cannot compare" in designer.status.value and "untick blend" in designer.status.value
    assert designer.table().empty
    tick(designer, "history", "calibrated")  # without blend the weights do not matter
    designer.button.click()
    assert designer.error is None and list(designer.view["method"]) == ["history", "calibrated"]


def test_no_method_ticked_is_an_error_message(designer):
    tick(designer)
    designer.compare()
    assert designer.view is None and "no quota method is ticked" in designer.status.value


def test_diagnostics_judge_the_simulated_quotas_on_the_same_draws(designer):
    designer.compare()
    for r in designer.view.itertuples():
        d = designer.diagnostics[r.setting]
        assert d.value("sum_of_quotas") == pytest.approx(r.sum_of_quotas, rel=1e-12)
        assert d.value("share_at_quota") == pytest.approx(r.share_at_quota, abs=1e-12)
        assert d.value("p_company_target") == r.p_company_target
    # partial-year reps are judged on their run rate: the history quotas grow by ~8% x 1.05
    reps = designer.diagnostics["history"].reps
    assert not reps["flag_growth"].any()
    assert reps["potential"].gt(0).all()


def test_figures_and_fit_choice():
    d = QuotaDesigner(trials=30, draw=True)
    assert list(d.fit_choice.options) == list(d.view["setting"])
    d.fit_choice.value = d.fit_choice.options[-1]  # redraws the fit, no recompute
    fig = attainment_comparison_figure(d.diagnostics)
    gids = [a.get_gid() for a in fig.axes[0].patches if a.get_gid()]
    assert gids == [f"attainment:{n}" for n in d.view["setting"]]
    # shown as PNG: a Figure made without pyplot has no image repr of its own
    assert _png(fig).data[:4] == b"\x89PNG"


def test_a_given_target_disables_growth():
    s = sample_scenario("baseline")
    s = s.replace(quota=QuotaSettings(target=1.0e8, over_assignment=0.05))
    d = QuotaDesigner(s, trials=30, draw=False)
    assert d.sliders["growth"].disabled
    assert (d.view["company_target"] == 1.0e8).all()


def test_trials_must_be_a_positive_whole_number():
    with pytest.raises(ValueError, match="trials must be a whole number >= 1, got 0"):
        QuotaDesigner(trials=0)


def test_the_spec_change_is_a_pure_function_of_the_widget_values():
    base = sample_scenario("baseline").quota
    s = method_settings(base, "potential", growth=0.12, region=0.05, rep=0.1)
    assert (s.method, s.growth) == ("potential", 0.12)
    assert (s.over_assignment.region, s.over_assignment.rep) == (0.05, 0.1)
    assert s.potential_column == base.potential_column  # fields no widget sets are kept
    cal = method_settings(base, "calibrated", growth=0.12, region=0.05, rep=0.1, probability=0.7)
    assert cal.over_assignment.total == 0.0 and cal.probability == 0.7
    assert normalised_weights({"history": 1.0, "equal": 0.0}) == {"history": 1.0}
    with pytest.raises(ValueError, match="blend weights are all 0"):
        normalised_weights({"history": 0.0})


def test_without_a_potential_column_no_quota_is_judged_on_potential():
    """The book's accounts lack the potential column: the methods that need it say so,
    and the others' quotas are not judged against a potential of 0 (every one of
    them would be flagged as infinitely above its territory's potential)."""
    import dataclasses

    from spm_sim.book import load_sample

    book = load_sample()
    bare = dataclasses.replace(book, accounts=book.accounts.drop(columns="potential"))
    d = QuotaDesigner(sample_scenario("baseline"), trials=30, book=bare, draw=False)
    assert d.view is None and "potential" in d.error  # the potential method is ticked
    tick(d, "history", "equal")
    d.compare()
    assert d.error is None and list(d.diagnostics) == ["history", "equal"]
    for diag in d.diagnostics.values():
        assert diag.reps["potential"].isna().all()
        assert not diag.reps["flag_potential"].any()
        assert diag.reps["history"].gt(0).all()  # the run rates are still read


def test_a_new_method_keeps_the_settings_it_also_reads():
    base = QuotaSettings(history="multi_year", history_weights=(0.6, 0.4), growth=0.05)
    blend = method_settings(base, "blend", growth=0.1, region=0.0, rep=0.0, weights={"history": 1})
    assert (blend.history, blend.history_weights) == ("multi_year", (0.6, 0.4))
    back = method_settings(blend, "history", growth=0.1, region=0.0, rep=0.0)
    assert back.history == "multi_year" and back.weights is None
    # the designer's own fields are cleared, then set: a share becomes a probability
    share = QuotaSettings(method="calibrated", share_at_quota=0.6)
    cal = method_settings(share, "calibrated", growth=0.1, region=0.1, rep=0.1, probability=0.7)
    assert (cal.probability, cal.share_at_quota, cal.over_assignment.total) == (0.7, None, 0.0)
    with pytest.raises(ValueError, match="method 'blend' needs weights"):
        method_settings(base, "blend", growth=0.1, region=0.0, rep=0.0)


def test_no_flags_for_the_sample_quotas(built):
    assert built.flags == [] and built.flags_text.value == ""


def test_implausible_quotas_are_flagged_per_method():
    s = sample_scenario("baseline")
    with warnings.catch_warnings():  # quotas at 30% of last year's bookings, on purpose
        warnings.simplefilter("ignore", PlausibilityWarning)
        d = QuotaDesigner(s.replace(quota=s.quota.replace(growth=-0.7)), trials=30, draw=False)
    assert d.sliders["growth"].value == pytest.approx(-0.7)
    flagged = {f["scenario"] for f in d.flags if f["figure"] == "median_attainment"}
    # calibrated quotas follow the probability, not the growth: they stay plausible
    assert flagged == {"history", "potential", "blend (history 50%, potential 50%)"}
    history = next(f for f in d.flags if f["scenario"] == "history")
    median = d.diagnostics["history"].attainment.set_index("quantile").loc[0.5, "attainment"]
    assert history["value"] == pytest.approx(median) and history["value"] > 3.0
    assert history["message"].startswith("quota method 'history': median rep attainment")
    assert "growth -70%" in history["message"]
    assert "Check before deciding" in d.flags_text.value
    assert "quota method &#x27;history&#x27;" in d.flags_text.value
    d.methods["history"].value = False
    d.methods["potential"].value = False
    d.methods["blend"].value = False
    d.compare()
    assert d.flags == [] and d.flags_text.value == ""


def test_money_on_screen_is_safe_from_jupyterlab_maths(built, monkeypatch):
    import spm_sim.widgets.quota as module

    shown_objects = []
    monkeypatch.setattr(module, "display", shown_objects.append)
    built._show()
    # the table is shown as HTML marked for MathJax to skip, money as money
    shown = shown_objects[0]._repr_html_()
    assert "mathjax_ignore" in shown and "$" in shown
    assert not re.search(r"\de[+-]\d\d", shown)  # no scientific notation
    assert "mathjax_ignore" in built.status.value.split(">")[0]
    assert "Company target $" in built.status.value
    for slider in built.sliders.values():  # every label fits its 200 pixels
        assert slider.style.description_width == "200px" and len(slider.description) <= 28
