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
    assert set(designer.comparison()["difference (± 2 se)"]) == {"no change"}


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
    from spm_sim import load_plan

    closed = load_plan(
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
        "difference (± 2 se)",
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
    assert d.comparison().loc["Incentive cost", "difference (± 2 se)"] != "no change"
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
