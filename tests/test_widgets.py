"""The plan designer: a slider change re-runs the simulation and updates the table."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from spm_sim.errors import PlausibilityWarning
from spm_sim.scenario import sample_scenario
from spm_sim.widgets import PlanDesigner
from spm_sim.widgets.plan import DIFFERENCE


@pytest.fixture(scope="module")
def designer():
    return PlanDesigner(sample_scenario("baseline"), n_trials=150, figures=False)


def _mean(d, metric):
    t = d.table.set_index(["scenario", "metric"])
    return t.loc[("Design", metric), "mean"]


def test_starts_as_the_baseline_plan_exactly(designer):
    assert designer.scenario().plan == designer.baseline.plan
    table = designer.table.set_index(["scenario", "metric"])
    # same plan, same quotas, same simulated sales: every difference is exactly zero
    assert (table.loc["Design", "diff_vs_baseline"] == 0).all()
    assert set(designer.comparison()[DIFFERENCE]) == {"no change"}


@pytest.mark.parametrize("name", ["baseline", "accelerated"])
def test_every_sample_plan_is_its_own_starting_design(name):
    d = PlanDesigner(sample_scenario(name), n_trials=20, figures=False)
    assert d.scenario().plan == d.baseline.plan
    assert d.scenario().quota == d.baseline.quota


def test_accelerator_slider_reruns_and_raises_cost(designer):
    before = _mean(designer, "incentive_cost")
    first = designer.result
    designer.sliders["above_quota"].value = 1.5
    assert designer.result is not first
    tiers = designer.scenario().plan.components[0].tiers
    base = designer.baseline.plan.components[0].tiers
    assert [t.rate for t in tiers] == [b.rate * (1.5 if b.start >= 1.0 else 1.0) for b in base]
    assert _mean(designer, "incentive_cost") > before
    # same simulated sales as the baseline (common random numbers)
    np.testing.assert_array_equal(designer.result.bookings, designer.baseline_result.bookings)


def test_growth_slider_raises_quotas_and_lowers_share_at_quota(designer):
    share = _mean(designer, "share_reps_at_quota")
    quotas = designer.result.quotas.annual.copy()
    designer.sliders["growth"].value = designer.sliders["growth"].value + 0.15
    assert np.all(designer.result.quotas.annual > quotas)
    assert _mean(designer, "share_reps_at_quota") < share


def test_cap_slider_at_maximum_means_no_cap(designer):
    designer.sliders["attainment_cap"].value = designer.NO_CAP
    assert designer.values.attainment_cap is None
    assert designer.scenario().plan.components[0].attainment_cap is None
    designer.sliders["attainment_cap"].value = 1.2
    assert designer.scenario().plan.components[0].attainment_cap == pytest.approx(1.2)


def test_a_rejected_combination_says_why_and_keeps_the_last_result():
    closed = _closed_top_tier()
    d = PlanDesigner(sample_scenario("baseline").replace(plan=closed), n_trials=20, figures=False)
    last = d.result
    # removing the cap would leave sales above 200% unpaid: the plan rules refuse it
    d.sliders["attainment_cap"].value = d.NO_CAP
    assert "Not a valid plan" in d.status.value
    assert "attainment_cap" in d.status.value
    assert d.result is last


def test_any_sample_plan_can_be_the_starting_point():
    from spm_sim.scenario import sample_plans

    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False)
    names = list(sample_plans())
    assert set(names) <= set(d.plan_choice.options)
    d.sliders["above_quota"].value = 1.5
    for name in names:
        d.plan_choice.value = name
        # the picked plan is the new baseline, and the design starts exactly on it
        assert d.baseline.plan == sample_plans()[name]
        assert d.sliders["above_quota"].value == 1.0
        assert d.scenario().plan == d.baseline.plan
        t = d.table.set_index(["scenario", "metric"])
        assert (t.loc["Design", "diff_vs_baseline"] == 0).all()


# --------------------------------------------------------------------------------------
# Every sample plan of data/plans/ in the "Start from" menu
# --------------------------------------------------------------------------------------

PLAN_FILES = sorted(
    (Path(__file__).resolve().parents[1] / "data" / "plans").glob("*.yaml"), key=lambda p: p.stem
)


@pytest.fixture(scope="module")
def chooser():
    return PlanDesigner(sample_scenario("baseline"), n_trials=30, figures=False)


@pytest.mark.parametrize("path", PLAN_FILES, ids=[p.stem for p in PLAN_FILES])
def test_each_sample_plan_is_selectable_and_starts_exactly_on_its_file(chooser, path):
    from spm_sim import load_plan

    plan = load_plan(path)
    assert plan.name in chooser.plan_choice.options  # the menu reads data/plans/*.yaml
    chooser.sliders["below_quota"].value = 0.8  # a design in progress is dropped
    chooser.plan_choice.value = plan.name
    assert chooser.baseline.plan == plan
    assert chooser.scenario().plan == plan
    assert chooser.result.components == chooser.baseline_result.components
    t = chooser.table.set_index(["scenario", "metric"])
    assert (t.loc["Design", "diff_vs_baseline"] == 0).all()
    # the description names every component and says what the sliders leave alone
    for c in plan.components:
        assert f"<b>{c.name}</b>" in chooser.plan_text.value


def test_sliders_on_a_multi_measure_plan(chooser):
    chooser.plan_choice.value = "AE multi-measure plan"
    base = chooser.baseline.plan
    chooser.sliders["above_quota"].value = 1.2
    chooser.sliders["threshold"].value = 0.6
    design = chooser.scenario().plan
    for b, d in zip(base.components, design.components, strict=True):
        # every commission component's accelerators x 1.2, the rates below quota as they were
        assert [t.rate for t in d.tiers] == [
            t.rate * (1.2 if t.start >= 1.0 else 1.0) for t in b.tiers
        ]
        # the threshold slider sets the primary measure's component only
        assert d.threshold == (0.6 if b.measure == "bookings" else b.threshold)
        # gates, multipliers and caps ride along unchanged
        assert (d.gate, d.multiplier, d.attainment_cap) == (b.gate, b.multiplier, b.attainment_cap)
    assert design.measures == base.measures
    chooser.sliders["above_quota"].value = 1.0
    chooser.sliders["threshold"].value = chooser.start.threshold
    assert chooser.scenario().plan == base


@pytest.mark.parametrize(
    ("name", "unchanged"),
    [
        ("SDR new-logo plan with recoverable draw", ["objectives"]),
        ("Baseline AE plan with Q4 Analytics SPIFF", ["analytics_spiff", "analytics_contest"]),
    ],
)
def test_other_component_types_pass_through(chooser, name, unchanged):
    chooser.plan_choice.value = name
    base = chooser.baseline.plan
    chooser.sliders["below_quota"].value = 0.7
    chooser.sliders["above_quota"].value = 1.5
    chooser.sliders["attainment_cap"].value = 1.8
    design = chooser.scenario().plan
    kept = {c.name: c for c in design.components}
    for c in base.components:
        if c.name in unchanged:
            assert kept[c.name] == c
        else:
            assert kept[c.name].attainment_cap == pytest.approx(1.8)
            assert kept[c.name].tiers[0].rate == pytest.approx(c.tiers[0].rate * 0.7)
    assert (design.draw, design.clawback) == (base.draw, base.clawback)
    assert "Unchanged: " + ", ".join(unchanged) in chooser.plan_text.value
    chooser.plan_choice.value = "Baseline 2026 AE plan"  # puts the sliders back


def test_rate_sliders_scale_a_pay_curve_by_its_slopes():
    from spm_sim import load_plan
    from spm_sim.widgets import DesignValues, design_plan

    plan = load_plan(
        {
            "name": "Curve",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "curve": [
                        {"attainment": 0.0, "payout": 0.0},
                        {"attainment": 0.5, "payout": 0.3},
                        {"attainment": 1.5, "payout": 1.8},
                    ],
                }
            ],
        }
    )
    start = DesignValues(0.0, 1.0, 1.0, 0.0, None)
    design = design_plan(plan, DesignValues(0.0, 0.5, 2.0, 0.0, None), start)
    points = [(p.attainment, p.payout) for p in design.components[0].curve]
    # the segment 0.5-1.5 (slope 1.5) is split at 1.0, where it pays 0.3 + 1.5 x 0.5 = 1.05.
    # Below 1.0 the slopes halve: 0.3 x 0.5 = 0.15 at 50%, 0.15 + 0.75 x 0.5 = 0.525 at 100%;
    # above 1.0 they double: 0.525 + 0.75 x 2 = 2.025 at 150%
    assert points == [
        (0.0, 0.0),
        (0.5, pytest.approx(0.15)),
        (1.0, pytest.approx(0.525)),
        (1.5, pytest.approx(2.025)),
    ]
    assert design_plan(plan, start, start) is plan


def test_a_plan_without_commission_disables_threshold_and_cap():
    from spm_sim import load_plan

    mbo_only = load_plan(
        {
            "name": "MBO only",
            "measures": [{"name": "score", "kind": "score"}],
            "components": [
                {
                    "name": "objectives",
                    "type": "mbo",
                    "measure": "score",
                    "weight": 1.0,
                    "levels": [{"score": 0, "payout": 0}, {"score": 1, "payout": 1}],
                }
            ],
        }
    )
    d = PlanDesigner(sample_scenario("baseline").replace(plan=mbo_only), n_trials=10, figures=False)
    assert d.sliders["threshold"].disabled and d.sliders["attainment_cap"].disabled
    d.sliders["above_quota"].value = 1.5  # nothing to scale: the design is the plan
    assert d.scenario().plan == mbo_only
    d.plan_choice.value = "Baseline 2026 AE plan"
    assert not d.sliders["threshold"].disabled


def test_a_plan_for_a_role_the_book_lacks_is_tried_on_its_reps(chooser):
    chooser.plan_choice.value = "SDR new-logo plan with recoverable draw"
    assert chooser.baseline.plan.role == "SDR"  # the file's plan, unchanged
    assert "for role SDR; the book has none" in chooser.status.value
    assert "(AE)" in chooser.status.value
    chooser.plan_choice.value = "Baseline 2026 AE plan"
    assert chooser.status.value == ""


def test_behaviour_checkbox_lets_reps_respond_to_the_design():
    d = PlanDesigner(sample_scenario("baseline"), n_trials=150, figures=False)
    assert d.behaviour.value is False and not d.result.dynamics
    d.sliders["attainment_cap"].value = 1.1  # a tight cap
    exogenous = d.result
    np.testing.assert_array_equal(exogenous.bookings, d.baseline_result.bookings)
    d.behaviour.value = True  # re-runs both
    assert d.baseline_result.scenario.behaviour.reference_plan == d.baseline.plan
    assert "mean_effort" in d.result.dynamics
    # reps ease off once the cap binds: the design now books less than the baseline
    assert _mean(d, "company_bookings") < d.baseline_result.bookings.sum(axis=1).mean()
    assert "Company bookings" in d.comparison().index
    d.behaviour.value = False
    np.testing.assert_array_equal(d.result.bookings, exogenous.bookings)


@pytest.mark.parametrize("start", ["baseline", "people_and_behaviour"])
def test_responding_reps_can_try_a_plan_for_a_role_the_book_lacks(start):
    # the reference plan (an AE plan) is what the book's reps earned under; the SDR
    # plan is tried on them with its role cleared, so the pair is valid
    d = PlanDesigner(sample_scenario(start), n_trials=20, figures=False)
    d.behaviour.value = True
    d.plan_choice.value = "SDR new-logo plan with recoverable draw"
    assert "for role SDR; the book has none" in d.status.value
    assert d.result.scenario.plan.role is None
    assert d.result.scenario.behaviour.reference_plan.role == "AE"
    assert "mean_effort" in d.result.dynamics
    d.plan_choice.value = "Baseline 2026 AE plan"
    assert d.status.value == "" and "mean_effort" in d.result.dynamics


def test_a_baseline_with_behaviour_starts_checked_and_keeps_its_settings():
    d = PlanDesigner(sample_scenario("people_and_behaviour"), n_trials=30, figures=False)
    assert d.behaviour.value is True
    assert d.result.scenario.behaviour == sample_scenario("people_and_behaviour").behaviour


def test_no_flags_for_the_sample_plan(designer):
    assert designer.flags == []
    assert designer.flags_text.value == ""


def test_an_implausible_result_is_flagged_beside_the_table():
    s = sample_scenario("baseline")
    with warnings.catch_warnings():  # quotas at 10% of last year's bookings, on purpose
        warnings.simplefilter("ignore", PlausibilityWarning)
        d = PlanDesigner(
            s.replace(quota=s.quota.replace(growth=-0.9)), n_trials=20, figures=False, plans={}
        )
    # a growth outside the slider's usual range widens it: the design starts as the baseline
    assert d.scenario().quota == d.baseline.quota
    figures = {(f["scenario"], f["figure"]) for f in d.flags}
    # the plan as it is and the design (the same plan at the start) are both flagged
    for name in (f"As is: {s.plan.name}", "Design"):
        assert {(name, "median_attainment"), (name, "share_reps_at_quota")} <= figures
    text = d.flags_text.value
    assert "Check before deciding" in text and "median rep attainment" in text
    assert "growth -90%" in text
    layout = d.widget.children
    assert layout.index(d.flags_text) == layout.index(d.output) - 1  # just above the table


# --------------------------------------------------------------------------------------
# What the page shows: names, money safe from JupyterLab's maths, settings from code
# --------------------------------------------------------------------------------------


def test_the_starting_plan_names_its_column_in_tables_and_figures():
    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False)
    assert list(d.comparison().columns) == [
        "As is: Baseline 2026 AE plan",
        "Design",
        DIFFERENCE,
    ]
    d.plan_choice.value = "AE multi-measure plan"
    # the column, the run (figure legends) and the menu all name the plan shown
    assert d.baseline_result.scenario.name == "As is: AE multi-measure plan"
    assert d.comparison().columns[0] == "As is: AE multi-measure plan"
    assert d.result.scenario.name == "Design"


def test_money_in_tables_is_marked_so_jupyterlab_does_not_typeset_it():
    from spm_sim.widgets.plan import _html_table

    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
    html = _html_table(d.comparison()).data
    assert "mathjax_ignore" in html  # the class MathJax 3 (JupyterLab 4) skips
    cost = d.comparison().loc["Incentive cost", d.baseline.name]
    assert re.fullmatch(r"\$[\d.]+[kM] \(P10 \$[\d.]+[kM], P90 \$[\d.]+[kM]\)", cost)
    assert cost in html


def test_the_cap_readout_says_no_cap_at_the_top():
    from spm_sim.widgets.plan import _cap_readout

    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
    slider = d.sliders["attainment_cap"]
    readout = _cap_readout(slider)
    assert readout.value == "300%"  # the sample plan's cap
    slider.value = d.NO_CAP
    assert readout.value == "no cap" and d.values.attainment_cap is None
    slider.value = 1.5
    assert readout.value == "150%"
    # the label beside the slider in the widget is such a readout
    row = next(c for c in d.widget.children if slider in getattr(c, "children", ()))
    assert row.children[1].value == "150%"


def test_labels_have_room_to_be_read_in_full():
    d = PlanDesigner(sample_scenario("baseline"), n_trials=10, figures=False, plans={})
    width = int(d.sliders["growth"].style.description_width.removesuffix("px"))
    for slider in d.sliders.values():
        # about 6.5 px a character in JupyterLab's 13 px font (test_browser_lab measures)
        assert len(slider.description) * 6.5 < width, slider.description
        assert slider.style.description_width == f"{width}px"


def test_set_moves_several_controls_and_reruns_once(monkeypatch):
    d = PlanDesigner(sample_scenario("baseline"), n_trials=30, figures=False)
    runs = []
    run = d._run
    monkeypatch.setattr(d, "_run", lambda s: runs.append(s.name) or run(s))
    assert d.set(above_quota=1.5, growth=0.1) is d
    assert runs == ["Design"]  # one run of the design; the plan as it is was not re-run
    assert (d.sliders["above_quota"].value, d.sliders["growth"].value) == (1.5, 0.1)
    assert d.result.scenario.quota.growth == pytest.approx(0.1)
    assert d.comparison().loc["Incentive cost", DIFFERENCE] != "no change"
    runs.clear()
    d.set(plan="AE multi-measure plan", above_quota=1.2, behaviour=False)
    assert runs == ["As is: AE multi-measure plan", "Design"]
    assert d.plan_choice.value == "AE multi-measure plan"
    assert d.sliders["above_quota"].value == 1.2  # applied after the plan's reset
    assert d.sliders["growth"].value == pytest.approx(0.08)  # the reset put it back
    d.set(attainment_cap=None)
    assert d.values.attainment_cap is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accelerator": 1.5}, "no slider named 'accelerator'; the sliders are growth, "),
        ({"above_quota": 3.0}, r"above_quota=3.0 is outside the slider's range 0.5 to 2"),
        ({"plan": "Nope"}, "plan 'Nope' is not in the 'Start from plan' menu; pick one of: "),
    ],
)
def test_set_refuses_what_a_slider_would_silently_change(designer, kwargs, message):
    before = designer.values
    with pytest.raises(ValueError, match=message):
        designer.set(**kwargs)
    assert designer.values == before


def test_the_per_rep_table_shows_who_gains_and_who_loses():
    d = PlanDesigner(sample_scenario("baseline"), n_trials=40, figures=False, plans={})
    table = d.rep_table()
    assert len(table) == len(d.result.rep_ids) == 80  # the reps on the plan this year
    assert set(table["change"]) == {"no change"}  # the design is the plan as it is
    d.set(attainment_cap=1.2)  # a tight cap: the best paid lose most
    table = d.rep_table()
    assert table.columns.tolist() == [
        "rep",
        "name",
        "region",
        "quota",
        "expected attainment",
        "chance of reaching quota",
        "expected incentive, as is",
        "expected incentive, design",
        "change",
    ]
    assert table["change"].iloc[0].startswith("-$")
    assert table["change"].iloc[-1] == "no change"  # reps far below the cap
    assert table["name"].iloc[0] != "" and re.match(r"\$\d", table["quota"].iloc[0])
    assert re.fullmatch(r"\d+%", table["chance of reaching quota"].iloc[0])
    base = d.baseline_result.rep_summary().set_index("rep_id")["expected_incentive"]
    design = d.result.rep_summary().set_index("rep_id")["expected_incentive"]
    change = (design - base).sort_values(kind="stable")
    assert table["rep"].iloc[0] == change.index[0]  # the largest cut first


# --------------------------------------------------------------------------------------
# Notebook 03 as a planner reads it (the browser test runs it: test_browser_lab.py)
# --------------------------------------------------------------------------------------

NB03 = Path(__file__).resolve().parents[1] / "notebooks" / "03_comp_plan_designer.ipynb"


@pytest.fixture(scope="module")
def nb03():
    import nbformat

    return nbformat.read(NB03, as_version=4)


def test_nb03_opens_with_its_question_and_a_parameter_cell(nb03):
    first, params = nb03.cells[0], nb03.cells[1]
    assert first.cell_type == "markdown" and first.source.startswith("# Which ")
    assert first.source.splitlines()[0].endswith("?")
    assert params.cell_type == "code" and "parameters" in params.metadata.get("tags", [])
    for name in ("SCENARIO =", "BOOK =", 'N_TRIALS = int(os.environ.get("SPM_SIM_TRIALS"'):
        assert name in params.source


def test_nb03_uses_public_names_and_never_moves_a_shown_widget(nb03):
    code = [c.source for c in nb03.cells if c.cell_type == "code"]
    assert not [s for s in code if re.search(r"spm_sim\._|from spm_sim import _", s)]
    # a setting is shown in a designer of its own (set(...)), never by moving the
    # widgets of one shown earlier behind the reader's back
    assert not [s for s in code if re.search(r"\.value\s*=", s)]
    shown = [s for s in code if "PlanDesigner(" in s]
    assert len(shown) == 3
    assert all(".set(" in s for s in shown[1:])
    # each output has a short text before it saying what to look at
    for k, cell in enumerate(nb03.cells):
        if cell.cell_type == "code" and k > 2:
            assert nb03.cells[k - 1].cell_type == "markdown", k


# --------------------------------------------------------------------------------------
# A setting that cannot run, and results from one setting only
# --------------------------------------------------------------------------------------


def _closed_top_tier():
    from spm_sim import load_plan

    return load_plan(
        {
            "name": "Closed top tier",
            "components": [
                {
                    "name": "bookings",
                    "weight": 1.0,
                    "rate_basis": "tcr",
                    "threshold": 0.5,
                    "tiers": [
                        {"start": 0, "end": 1, "rate": 1.0},
                        {"start": 1, "end": 2, "rate": 2.0},
                    ],
                    "attainment_cap": 2.0,
                }
            ],
        }
    )


def test_a_plan_that_cannot_run_puts_the_menu_back_and_says_why():
    s = sample_scenario("baseline")
    eur = s.plan.replace(name="EUR plan", currency="EUR")  # the book is in USD
    d = PlanDesigner(s, n_trials=20, figures=False, plans={"EUR plan": eur})
    d.sliders["above_quota"].value = 1.3
    shown = (d.baseline_result, d.result, d.comparison())
    d.plan_choice.value = "EUR plan"  # the callback must not raise
    assert d.plan_choice.value == s.plan.name
    assert d.baseline.plan == s.plan and d.values.above_quota == 1.3
    assert (d.baseline_result, d.result) == shown[:2]
    assert d.comparison().equals(shown[2])  # still the last setting that ran
    status = d.status.value
    assert "mathjax_ignore" in status and "Simulating" not in status
    assert "Plan &#x27;EUR plan&#x27; could not be simulated" in status
    assert "pays in EUR but book" in status and "back on" in status
    assert "not updated" in status
    # the next move runs as usual, from the plan the menu shows
    d.sliders["above_quota"].value = 1.0
    assert d.error is None and d.status.value == ""
    assert d.result.scenario.plan == s.plan


def test_a_starting_scenario_that_cannot_run_is_refused_at_once():
    from spm_sim.errors import SpmSimError

    s = sample_scenario("baseline")
    eur = s.replace(plan=s.plan.replace(name="EUR plan", currency="EUR"))
    with pytest.raises(SpmSimError, match="pays in EUR but book"):
        PlanDesigner(eur, n_trials=10, figures=False, plans={})


def test_set_changes_nothing_when_its_setting_cannot_run():
    s = sample_scenario("baseline")
    eur = s.plan.replace(name="EUR plan", currency="EUR")
    d = PlanDesigner(s, n_trials=20, figures=False, plans={"EUR plan": eur})
    before = (d.values, d.result)
    assert d.set(plan="EUR plan", above_quota=1.4) is d
    assert (d.values, d.result) == before and d.plan_choice.value == s.plan.name
    assert "Every control is back where it was" in d.status.value
    # a refused value changes nothing, not even the plan given with it
    with pytest.raises(ValueError, match="outside the slider's range"):
        d.set(plan="EUR plan", above_quota=3.0)
    assert d.plan_choice.value == s.plan.name and d.baseline.plan == s.plan


def test_a_refused_design_never_mixes_results_from_two_settings():
    d = PlanDesigner(
        sample_scenario("baseline").replace(plan=_closed_top_tier()), n_trials=20, figures=False
    )
    d.sliders["attainment_cap"].value = d.NO_CAP  # refused by the plan rules
    base, design = d.baseline_result, d.result
    d.behaviour.value = True  # neither plan may run: the design is still refused
    assert "Not a valid plan" in d.status.value and "not updated" in d.status.value
    assert (d.baseline_result, d.result) == (base, design)
    assert not d.baseline_result.dynamics and not d.result.dynamics
    d.sliders["attainment_cap"].value = 2.0  # valid again: both re-run with behaviour
    assert d.error is None
    assert "mean_effort" in d.baseline_result.dynamics and "mean_effort" in d.result.dynamics
    assert len(d.rep_table()) == 80


def test_set_with_the_plan_already_picked_puts_the_sliders_back():
    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
    d.set(above_quota=1.5, growth=0.2, threshold=0.3)
    d.set(plan=d.plan_choice.value)
    assert d.values == d.start
    assert d.scenario().plan == d.baseline.plan
    assert set(d.comparison()[DIFFERENCE]) == {"no change"}


# --------------------------------------------------------------------------------------
# The comparison's intervals, and the figures' names
# --------------------------------------------------------------------------------------


def test_every_estimate_in_the_comparison_has_its_range():
    from spm_sim.metrics import proportion_interval

    d = PlanDesigner(sample_scenario("baseline"), n_trials=200, figures=False, plans={})
    table = d.comparison()
    assert table.columns[-1] == "difference (± margin of error, 2 s.e.)"
    row = d.table.set_index(["scenario", "metric"]).loc[("Design", "hit_company_target")]
    _, low, high = proportion_interval(row["mean"] * 200, 200)
    want = f"{row['mean']:.0%} (95% interval {low:.0%} to {high:.0%})"
    assert table.loc["Probability of reaching the company target", "Design"] == want
    assert 0.05 < high - low < 0.2  # about ±7 pp at 200 trials: worth saying
    for label in ("Company attainment (bookings / target)", "Share of reps at or above quota"):
        cell = table.loc[label, "Design"]
        assert re.fullmatch(r"\d+\.\d% \(P10 \d+\.\d%, P90 \d+\.\d%\)", cell), cell


def test_the_figures_name_the_plans_as_the_table_does():
    from spm_sim.widgets.plan import _figures

    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
    d.set(above_quota=1.5)
    hist, cost, curves = _figures([d.baseline_result, d.result], d.scenario().plan)
    legend = [t.get_text() for t in curves.legends[0].get_texts()]
    assert legend[:2] == ["As is: Baseline 2026 AE plan", "Design"]
    assert [ax.get_ylabel() for ax in cost.axes] == ["As is: Baseline 2026 AE plan", "Design"]
    assert "P50 of As is: Baseline 2026 AE plan" in cost.axes[-1].get_xlabel()
    assert "baseline's" not in cost.axes[-1].get_xlabel()
    import matplotlib.pyplot as plt

    for fig in (hist, cost, curves):
        plt.close(fig)


# --------------------------------------------------------------------------------------
# Each slider gives what simulate() gives for the same scenario
# --------------------------------------------------------------------------------------

CASES = [
    ({}, None, False),
    ({"growth": 0.2}, None, False),
    ({"below_quota": 0.7}, None, False),
    ({"above_quota": 1.6}, None, False),
    ({"threshold": 0.3}, None, False),
    ({"attainment_cap": 2.0}, None, False),
    ({"attainment_cap": None}, None, False),
    ({"above_quota": 1.5}, None, True),
    ({"above_quota": 1.3}, "AE multi-measure plan", False),
    ({"growth": 0.15}, "SDR new-logo plan with recoverable draw", True),
]


@pytest.fixture(scope="module")
def checked():
    return PlanDesigner(sample_scenario("baseline"), n_trials=100, figures=False)


@pytest.mark.parametrize(("values", "plan", "behaviour"), CASES)
def test_each_slider_gives_what_simulate_gives(checked, values, plan, behaviour):
    from spm_sim.productivity import Behaviour
    from spm_sim.scenario import sample_plans
    from spm_sim.simulate import simulate
    from spm_sim.widgets import design_plan
    from spm_sim.widgets.design import DesignValues, start_values

    s = sample_scenario("baseline")
    checked.set(plan=plan or s.plan.name, behaviour=behaviour, **values)
    assert checked.error is None
    start_from = s if plan is None else s.replace(plan=sample_plans()[plan])
    start = start_values(start_from)
    wanted = {**start.__dict__, **values}
    v = DesignValues(**wanted)
    assert checked.values == v
    design = start_from.replace(
        plan=design_plan(start_from.plan, v, start), quota=s.quota.replace(growth=v.growth)
    )
    roles = set(checked.book.reps["role"].astype(str))
    for mine, scenario in ((checked.baseline_result, start_from), (checked.result, design)):
        if scenario.plan.role not in roles | {None}:  # tried on the book's reps
            scenario = scenario.replace(plan=scenario.plan.replace(role=None))
        if behaviour:
            scenario = scenario.replace(behaviour=Behaviour(reference_plan=s.plan))
        theirs = simulate(scenario, 100)
        np.testing.assert_array_equal(mine.bookings, theirs.bookings)
        np.testing.assert_array_equal(mine.payout, theirs.payout)


# --------------------------------------------------------------------------------------
# Notebook 03 run top to bottom: what its widgets show (outputs live in widget state)
# --------------------------------------------------------------------------------------


def _set_calls_on_designers_of_their_own_cell(source: str) -> list[str]:
    """The ``.set(`` calls of a cell on a name not made a PlanDesigner in that cell."""
    import ast

    tree = ast.parse(source)
    made = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", None) == "PlanDesigner"
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "set":
                owner = node.func.value
                if not (isinstance(owner, ast.Name) and owner.id in made):
                    wrong.append(ast.unparse(node))
    return wrong


def test_the_set_check_catches_a_designer_moved_from_another_cell():
    assert _set_calls_on_designers_of_their_own_cell("d = PlanDesigner(b)\nd.set(growth=0.1)") == []
    assert _set_calls_on_designers_of_their_own_cell("designer.set(growth=0.1)") == [
        "designer.set(growth=0.1)"
    ]
    assert _set_calls_on_designers_of_their_own_cell("PlanDesigner(b).set(growth=0.1)") != []


def test_nb03_sets_only_a_designer_made_in_the_same_cell(nb03):
    for cell in nb03.cells:
        if cell.cell_type == "code":
            assert _set_calls_on_designers_of_their_own_cell(cell.source) == [], cell.source


@pytest.fixture(scope="module")
def nb03_run(tmp_path_factory):
    """Notebook 03 executed at 100 trials; returns its Output widgets' outputs by designer."""
    import _notebook

    # the same run as tests/test_notebooks.py's when both files run in one process
    nb = _notebook.executed(NB03)
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    return nb, state


def _html_outputs(state: dict, model_id: str) -> list[str]:
    outputs = state[model_id]["state"].get("outputs", [])
    return [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]


def _designer_outputs(state: dict, title: str) -> tuple[list[str], int]:
    """The HTML tables and the number of images in the Output of the designer ``title``."""
    for box in state.values():
        if box["model_name"] != "VBoxModel":
            continue
        children = [c.removeprefix("IPY_MODEL_") for c in box["state"]["children"]]
        head = state[children[0]]["state"].get("value", "")
        if head.startswith(f"<b>{title}</b>"):
            output = children[-1]
            images = sum(
                "image/png" in o.get("data", {}) for o in state[output]["state"]["outputs"]
            )
            return _html_outputs(state, output), images
    raise AssertionError(f"no designer titled {title!r} in the notebook's widget state")


def test_nb03_runs_and_its_tables_show_money_as_money(nb03_run):
    nb, state = nb03_run
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Quota growth: 8% in the scenario, 10% in this example" in printed
    expected_rows = (
        "Company bookings",
        "Probability of reaching the company target",
        "Share of reps at or above quota",
        "Incentive cost",
        "Compensation cost of sales",
    )
    for title, images in (
        ("Your design", 3),
        ("Example: accelerators x1.5, quota growth 10%", 0),
        ("Example: multi-measure plan, accelerators x1.2", 0),
    ):
        tables, shown = _designer_outputs(state, title)
        assert shown == images, title
        assert len(tables) == 1, title
        table = tables[0]
        assert "mathjax_ignore" in table  # JupyterLab leaves its dollar signs alone
        assert not re.search(r"\d[eE][+-]?\d", table), title  # no scientific notation
        assert "difference (± margin of error, 2 s.e.)" in table
        assert "95% interval" in table
        for row in expected_rows:
            assert f"<th>{row}</th>" in table, (title, row)
        assert re.search(r"\$[\d.]+[kM] \(P10 \$[\d.]+[kM], P90 \$[\d.]+[kM]\)", table)
    yours = _designer_outputs(state, "Your design")[0][0]
    assert "As is: Baseline 2026 AE plan" in yours and "no change" in yours
    steeper = _designer_outputs(state, "Example: accelerators x1.5, quota growth 10%")[0][0]
    assert re.search(r"<td>[+-]\$[\d.]+[kM] ± \$[\d.]+[kM]</td>", steeper)
    multi = _designer_outputs(state, "Example: multi-measure plan, accelerators x1.2")[0][0]
    assert "As is: AE multi-measure plan" in multi and "Baseline 2026" not in multi


def test_nb03_per_rep_table_lists_every_rep_in_money(nb03_run):
    nb, state = nb03_run
    shown = [
        o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for c in nb.cells
        if c.cell_type == "code" and c.source.strip() == "designer.reps"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(shown) == 1  # the cell that shows "Your design"'s per-rep table
    reps = _html_outputs(state, shown[0])
    assert len(reps) == 1 and "expected incentive, design" in reps[0]
    table = reps[0]
    assert "mathjax_ignore" in table
    assert table.split("<tbody>")[1].count("<tr>") == 80  # every rep on the plan
    assert re.search(r"<td>\$[\d.]+[kM]?</td>", table)
    assert not re.search(r"\d[eE][+-]?\d", table)


def test_a_figure_whose_data_did_not_change_is_not_drawn_again():
    """A plan lever moves the cost and the payout curves, not the attainment: its image
    is shown again as it was; a quota lever moves the attainment, not the curves."""
    d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=True, plans={})
    first = d._images([d.baseline_result, d.result], d.scenario().plan)
    d.set(above_quota=1.5)
    second = d._images([d.baseline_result, d.result], d.scenario().plan)
    assert second[0] is first[0]  # the attainment
    assert second[1] is not first[1] and second[2] is not first[2]  # the cost, the curves
    d.set(growth=0.2)
    third = d._images([d.baseline_result, d.result], d.scenario().plan)
    assert third[0] is not second[0] and third[2] is second[2]
    assert all(image.format == "png" and image.data[:4] == b"\x89PNG" for image in third)
