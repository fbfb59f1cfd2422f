"""The no-code app (widgets.app.Workbench) without a browser: levers set in code.

Every figure the app shows is checked against what the library computes for the
same setting: ``simulate`` on the equivalent scenario, built here with the
library's own ``replace`` (not the app's lever code).
"""

from __future__ import annotations

import html
import io
import zipfile
from dataclasses import replace

import pandas as pd
import pytest
import yaml

from spm_sim.report import headline
from spm_sim.scenario import SAMPLE_PLANS, SAMPLE_SCENARIOS, sample_plans, sample_scenario
from spm_sim.simulate import simulate
from spm_sim.widgets import DesignValues, Workbench, design_plan
from spm_sim.widgets.app import apply_levers, start_levers

N = 200  # trials: the app's menu offers 500 and up; set directly here for speed
SAMPLE_BOOK = SAMPLE_SCENARIOS.parent / "sample"


@pytest.fixture(scope="module")
def baseline():
    return sample_scenario("baseline")


@pytest.fixture
def app(tmp_path):
    wb = Workbench(n_trials=N, figures=False, workdir=tmp_path)
    assert wb.error == ""
    return wb


def expected_table(base, design, n=N):
    return headline([simulate(base, n), simulate(design, n)])


def plan_yaml(plan) -> bytes:
    return yaml.safe_dump(plan.model_dump(mode="json", exclude_none=True)).encode()


def scenario_yaml(change: str = "", new: str = "") -> bytes:
    text = (SAMPLE_SCENARIOS / "baseline.yaml").read_text()
    if change:
        assert change in text
        text = text.replace(change, new)
    return text.encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def book_files() -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(SAMPLE_BOOK.iterdir()) if f.is_file()}


# ------------------------------------------------------------------ the figures


def test_at_start_the_design_is_the_baseline(app, baseline):
    assert app.design.plan == baseline.plan and app.design.quota == baseline.quota
    assert (app.table["Difference vs baseline"] == "no change").all()
    assert "$" in app.cards.value and "e+" not in app.cards.value
    assert "mathjax_ignore" in app.cards.value.split(">", 1)[0]  # safe from maths


def test_a_plan_lever_shows_what_the_library_computes(app, baseline):
    app.set_levers(threshold=0.6, accelerator=1.5)
    comp = baseline.plan.components[0]
    tiers = tuple(t.replace(rate=t.rate * (1.5 if t.start >= 1.0 else 1.0)) for t in comp.tiers)
    plan = baseline.plan.replace(
        name=f"Design (from {baseline.plan.name})",
        components=(comp.replace(threshold=0.6, tiers=tiers), *baseline.plan.components[1:]),
    )
    design = baseline.replace(name="Design: threshold 60%, accelerators x1.5", plan=plan)
    pd.testing.assert_frame_equal(app.table, expected_table(baseline, design))
    assert app.table.loc["Incentive cost, mean", design.name] in app.headline_box.value
    assert "Running" not in app.status.value and "Updated in" in app.status.value
    assert not any(w.disabled for w in (app.levers["growth"], app.scenario_menu))


def test_quota_levers_show_what_the_library_computes(app, baseline):
    app.set_levers(growth=0.12, over_assignment=0.1, method="equal")
    quota = baseline.quota.replace(
        method="equal", growth=0.12, over_assignment={"region": 0.0, "rep": 0.1}
    )
    design = baseline.replace(
        name="Design: quota growth 12%, over-assignment 10%, equal quotas", quota=quota
    )
    pd.testing.assert_frame_equal(app.table, expected_table(baseline, design))


def test_behaviour_on_runs_baseline_and_design_with_it(app, baseline):
    from spm_sim.productivity import Behaviour

    app.set_levers(behaviour=True, cap=2.0)
    beh = Behaviour(reference_plan=baseline.plan)
    comp = baseline.plan.components[0]
    plan = baseline.plan.replace(
        name=f"Design (from {baseline.plan.name})",
        components=(comp.replace(attainment_cap=2.0), *baseline.plan.components[1:]),
    )
    base = baseline.replace(name="Baseline 2026, reps respond", behaviour=beh)
    design = baseline.replace(name="Design: cap 200%, reps respond", plan=plan, behaviour=beh)
    pd.testing.assert_frame_equal(app.table, expected_table(base, design))


# ------------------------------------------------------------------ errors


def test_an_error_is_shown_in_words_and_the_last_result_stays(app, monkeypatch):
    import spm_sim.widgets.levers as levers_module
    from spm_sim.errors import ScenarioError

    app.set_levers(threshold=0.6)
    before = app.result

    def refused(*args, **kwargs):
        raise ScenarioError("scenario 'X': quota.growth: something the library refuses")

    monkeypatch.setattr(levers_module, "apply_levers", refused)
    app.set_levers(growth=0.3)
    assert app.result is before  # the last good result stays on screen
    assert "something the library refuses" in app.error_box.value
    assert "Traceback" not in app.error_box.value
    assert "still those of the last good run" in app.error_box.value
    # the status says the figures were not updated, and the lever is back where they ran
    assert "Not updated: see the message" in app.status.value
    assert "Updated in" not in app.status.value
    assert app.levers["growth"].value == pytest.approx(0.08)
    assert "levers are back where the results below were run" in app.error_box.value
    assert not app.levers["growth"].disabled
    monkeypatch.undo()
    app.set_levers(growth=0.1)  # the next good update clears the error
    assert app.error == "" and app.error_box.value == "" and app.result is not before
    assert "Updated in" in app.status.value


def test_an_unexpected_error_is_told_in_plain_words_and_logged(app, monkeypatch, capfd):
    import spm_sim.widgets.levers as levers_module

    def broken(*args, **kwargs):
        raise KeyError("internal detail")

    monkeypatch.setattr(levers_module, "headline", broken)
    before = app.result
    app.set_levers(threshold=0.55)
    assert app.result is before
    assert "something went wrong inside the app (KeyError)" in app.error
    assert "the details are in the server's log" in app.error
    assert "internal detail" not in app.error_box.value and "Traceback" not in app.error_box.value
    assert "Not updated" in app.status.value
    log = capfd.readouterr().err
    assert "Traceback" in log and "internal detail" in log


def test_a_failed_load_puts_the_menus_back_on_the_last_good_choice(app, baseline, monkeypatch):
    import spm_sim.widgets.app as app_module
    from spm_sim.errors import DataError

    def refused(scenario, *args, **kwargs):
        raise DataError("no bookings", file=app.workdir / "data" / "upload-x1" / "b" / "reps.csv")

    monkeypatch.setattr(app_module, "draw_sales", refused)
    before = app.result
    app.plan_menu.value = "accelerated.yaml"
    assert "reps.csv" in app.error and "no bookings" in app.error
    assert str(app.workdir) not in app.error and "upload-x1" not in app.error  # names only
    assert app.plan_menu.value == "(the scenario's plan)"  # the menu shows what ran
    assert "menus are back on the last choice that ran" in app.error_box.value
    assert "Not updated" in app.status.value
    assert app.result is before and app.baseline.plan == baseline.plan
    # a lever now runs the baseline that is on screen, under its own name
    monkeypatch.undo()
    app.set_levers(threshold=0.6)
    assert app.error == ""
    assert app.design.plan.name == f"Design (from {baseline.plan.name})"
    assert app.baseline_result.scenario.plan == baseline.plan


def test_a_plan_for_a_role_the_book_lacks_is_marked_and_tried_on_its_reps(app):
    sdr = "sdr_recoverable_draw.yaml"
    labels = dict((key, label) for label, key in app.plan_menu.options)
    assert labels[sdr] == f"{sdr} (for SDRs: this book has none)"
    assert labels["accelerated.yaml"] == "accelerated.yaml"  # an AE plan: as it is
    app.plan_menu.value = sdr
    assert app.error == "" and app.plan_menu.value == sdr  # not a dead end
    assert app.baseline.plan.role is None
    cards = html.unescape(app.cards.value)
    assert "is for role SDR; this book has none, so it is tried on the book's reps (AE)" in cards


# ------------------------------------------------------------------ what is compared


def test_the_design_is_named_and_described_by_what_moved(app):
    assert app.design.name == "Design (no change)"
    assert app.design.description == "Baseline 2026 as it is: no lever moved."
    app.set_levers(accelerator=1.25, method="calibrated", behaviour=True)
    assert app.design.name == "Design: calibrated quotas, accelerators x1.25, reps respond"
    description = app.design.description
    assert description.startswith("Baseline 2026 with ")
    for said in (
        "quota method: Same chance for every rep (calibrated) (baseline: Last year's run rate",
        "accelerator rates above quota x1.25 the plan's",
        "reps respond to the plan (effort, deal timing), in the baseline too",
    ):
        assert said in description
    assert html.escape(app.design.name) in app.cards.value
    assert description in html.unescape(app.report_bytes().decode("utf-8"))


def test_an_uploaded_plan_names_the_baseline(app):
    plan = (SAMPLE_PLANS / "baseline.yaml").read_text()
    app.add_files({"my_plan.yaml": plan.replace("Baseline 2026 AE plan", "My plan").encode()})
    assert app.error == ""
    assert app.baseline.name == "Baseline 2026 with My plan"
    assert app.baseline_result.scenario.name == "Baseline 2026 with My plan"
    assert "against <b class='spm-baseline-name'>Baseline 2026 with My plan</b>" in app.cards.value
    assert "The baseline runs plan My plan on book" in app.cards.value
    assert app.design.description.startswith("Baseline 2026 with My plan as it is")
    # the scenario's own description spoke of its own plan: it no longer rides along
    assert app.baseline.description == (
        "Baseline 2026 with the plan My plan in place of Baseline 2026 AE plan."
    )


def test_an_upload_error_names_the_file_not_the_server_folder(app):
    app.add_files({"bad_plan.yaml": b"name: x\ncomponents: [\n  - a\n: b\n"})
    assert app.error.startswith("bad_plan.yaml: not valid YAML at line"), app.error
    assert str(app.workdir) not in app.error_box.value and "upload-" not in app.error_box.value


def test_reps_respond_says_the_baseline_moved_too(app):
    from spm_sim._format import format_money

    still = format_money(app.baseline_result.trials["incentive_cost"].mean())
    app.set_levers(behaviour=True)
    moved = format_money(app.baseline_result.trials["incentive_cost"].mean())
    assert still != moved
    assert (
        f"Reps respond in both: the baseline's incentive cost moved from {still} to {moved}"
        in html.unescape(app.cards.value)
    )
    app.set_levers(behaviour=False)
    assert "Reps respond in both" not in app.cards.value


def test_a_new_scenario_says_the_levers_were_reset(app):
    app.set_levers(threshold=0.6)
    assert "reset" not in app.status.value
    app.scenario_menu.value = "calibrated_quotas.yaml"
    assert app.error == "" and app.lever_values() == start_levers(app.baseline)
    assert "Levers reset to the new scenario's values." in html.unescape(app.status.value)
    app.set_levers(threshold=0.55)
    assert "reset" not in app.status.value


def test_the_cards_give_intervals_and_explain_plus_minus_once(app):
    from spm_sim.widgets.panels import diff_text

    app.set_levers(accelerator=1.05)
    cards = app.cards.value
    ccos = cards.split("Compensation cost of sales")[1]
    assert "P10 " in ccos and " to P90 " in ccos
    assert cards.count("± = 2 standard errors") == 1
    assert "paired difference" in cards
    assert "0.000 pp" not in cards
    assert diff_text(0.00051, 1e-7, "ratio") == "+0.051 pp ± under 0.001 pp"
    assert diff_text(-2e-6, 1e-7, "prob") == "-under 0.001 pp ± under 0.001 pp"
    assert diff_text(0.0123, 0.002, "ratio") == "+1.2 pp ± 0.4 pp"


def test_moving_a_lever_says_to_prepare_the_downloads_again(app):
    import datetime

    app.set_levers(threshold=0.6)
    app.prepare_downloads()
    today = datetime.date.today().isoformat()
    assert f"download='report-design-threshold-60-{today}.html'" in app.downloads.value
    assert f"download='reps-design-threshold-60-{today}.csv'" in app.downloads.value
    app.set_levers(threshold=0.55)
    assert "data:" not in app.downloads.value
    assert "The levers changed: prepare the downloads again." in app.downloads.value


def test_every_widget_has_a_tooltip_and_the_page_no_make_command(app):
    import json
    from pathlib import Path

    import ipywidgets as widgets

    def walk(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from walk(child)

    labelled = [
        w
        for w in walk(app.widget)
        if isinstance(w, widgets.DOMWidget) and getattr(w, "description", "")
    ]
    assert len(labelled) >= 13  # 4 menus, 8 levers, the upload button
    assert [w.description for w in labelled if not w.tooltip] == []
    assert [w for w in walk(app.widget) if getattr(w, "tooltip", "") is None] == []  # "null"
    notebook = json.loads((Path(__file__).parents[1] / "notebooks" / "app.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "make app" not in text and "workbench" in text


def test_make_app_culls_idle_kernels():
    from pathlib import Path

    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    recipe = makefile.split("\napp:", 1)[1].split("\n\n", 1)[0]
    assert "--MappingKernelManager.cull_idle_timeout=" in recipe
    assert "--MappingKernelManager.cull_interval=" in recipe


# ------------------------------------------------------------------ levers


def test_the_scenarios_own_quota_method_stays_until_its_menu_moves(baseline):
    own = baseline.replace(quota=baseline.quota.replace(method="potential"))
    start = start_levers(own)
    assert start.method == "potential"
    assert apply_levers(own, start).quota == own.quota
    grown = apply_levers(own, replace(start, growth=0.2))
    assert grown.quota.method == "potential" and grown.quota.growth == 0.2
    assert apply_levers(own, replace(start, method="equal")).quota.method == "equal"


def test_a_method_outside_the_apps_list_is_in_the_menu(app, monkeypatch):
    import spm_sim.widgets.levers as levers_module

    offered = dict(levers_module.QUOTA_METHODS)
    del offered["equal"]  # as if the app did not offer the scenario's method
    monkeypatch.setattr(levers_module, "QUOTA_METHODS", offered)
    app.add_files({"equal.yaml": scenario_yaml("method: history", "method: equal")})
    assert app.error == ""
    menu = app.levers["method"]
    assert ("The scenario's own (equal)", "equal") in menu.options and menu.value == "equal"
    app.set_levers(growth=0.12)
    assert app.design.quota.method == "equal" and app.design.quota.growth == 0.12
    app.set_levers(method="history")  # only the menu changes the method
    assert app.design.quota.method == "history"


def test_plan_levers_stay_off_for_a_plan_without_a_commission(app):
    spiff = sample_plans()["Baseline AE plan with Q4 Analytics SPIFF"]
    only = spiff.replace(name="SPIFF only", components=spiff.components[1:])
    app.add_files({"spiff_only.yaml": plan_yaml(only)})
    assert app.error == "" and app.baseline.plan.name == "SPIFF only"
    plan_levers = ("threshold", "commission", "accelerator", "cap")
    assert all(app.levers[k].disabled for k in plan_levers)  # after the update, still off
    assert "has no commission component" in app.plan_note.value
    app.set_levers(growth=0.1)
    assert all(app.levers[k].disabled for k in plan_levers)
    assert not app.levers["growth"].disabled


@pytest.mark.parametrize("cap", [6.0, 0.9])
def test_a_cap_outside_the_lever_range_leaves_the_design_the_baseline(app, cap):
    text = (SAMPLE_PLANS / "baseline.yaml").read_text()
    assert "attainment_cap: 3.0" in text
    app.add_files(
        {f"cap{cap}.yaml": text.replace("attainment_cap: 3.0", f"attainment_cap: {cap}").encode()}
    )
    assert app.error == ""
    assert app.baseline.plan.components[0].attainment_cap == cap
    assert app.design.plan == app.baseline.plan
    assert (app.table["Difference vs baseline"] == "no change").all()
    app.set_levers(growth=0.1)  # another lever: the cap stays the plan's
    assert app.design.plan == app.baseline.plan
    app.set_levers(cap=None)  # the top of the lever: no cap
    assert app.design.plan.components[0].attainment_cap is None


def test_calibrated_quotas_turn_over_assignment_off_and_say_what_growth_does(app, baseline):
    app.set_levers(method="calibrated")
    assert app.levers["over_assignment"].disabled and not app.levers["growth"].disabled
    assert "over-assignment does not apply" in app.plan_note.value
    assert "growth moves only the company target" in app.plan_note.value
    quotas = app.result.quotas.values.sum()
    app.set_levers(growth=0.2)
    assert app.result.quotas.values.sum() == pytest.approx(quotas)  # the reps' quotas: same
    assert app.result.quotas.company_target > app.baseline_result.quotas.company_target
    app.set_levers(method="history")
    assert not app.levers["over_assignment"].disabled
    assert "Calibrated" not in app.plan_note.value


def test_the_labels_say_what_the_levers_do(app):
    assert app.levers["threshold"].description == "Threshold: nothing paid below this attainment"
    assert "pays from the first dollar" in app.plan_note.value
    assert "multiply the rates (tiers or pay-curve slopes) of bookings" in app.plan_note.value


def test_the_rate_levers_scale_a_pay_curve_as_design_plan_does(baseline):
    comp = baseline.plan.components[0]
    curve = [
        {"attainment": 0.0, "payout": 0.0},
        {"attainment": 1.0, "payout": 1.0},
        {"attainment": 2.0, "payout": 2.5},
    ]
    curved = comp.model_dump()
    del curved["tiers"]
    curved.update(curve=curve, threshold=0.0, attainment_cap=None)
    plan = baseline.plan.replace(components=[curved])
    s = baseline.replace(plan=plan)
    start = start_levers(s)
    d = apply_levers(s, replace(start, accelerator=2.0))
    points = [(p.attainment, p.payout) for p in d.plan.components[0].curve]
    assert points == [(0.0, 0.0), (1.0, 1.0), (2.0, 4.0)]  # the slope above quota doubled
    expected = design_plan(
        plan,
        DesignValues(
            growth=0.08, below_quota=1.0, above_quota=2.0, threshold=0.0, attainment_cap=None
        ),
        DesignValues(
            growth=0.08, below_quota=1.0, above_quota=1.0, threshold=0.0, attainment_cap=None
        ),
    )
    assert d.plan == expected


# ------------------------------------------------------------------ downloads


def test_downloads_are_the_report_and_the_tables(app):
    app.set_levers(threshold=0.6)
    report = app.report_bytes().decode("utf-8")
    assert report.lstrip().lower().startswith("<!doctype html>")
    cost = app.table.loc["Incentive cost, mean", "Design: threshold 60%"]
    assert "Plan design report" in report and cost.split(" (")[0] in report
    tables = app.csv_bytes()
    summary = pd.read_csv(io.BytesIO(tables["summary.csv"]))
    assert set(summary["scenario"]) == {"Baseline 2026", "Design: threshold 60%"}
    reps = pd.read_csv(io.BytesIO(tables["reps.csv"]))
    assert len(reps) == len(app.result.rep_ids)
    assert len(pd.read_csv(io.BytesIO(tables["trials.csv"]))) == app.result.n_trials
    app.prepare_downloads()
    assert "Leadership report (HTML)" in app.downloads.value
    assert "data:text/html;base64," in app.downloads.value


# ------------------------------------------------------------------ uploads


def test_an_uploaded_scenario_and_plan_are_checked_and_chosen(app):
    text = (SAMPLE_SCENARIOS / "accelerated.yaml").read_text()
    app.add_files({"my_scenario.yaml": text.replace("Accelerated 2026", "Mine").encode()})
    assert app.error == ""
    assert app.scenario_menu.value == "my_scenario.yaml (uploaded)"
    assert app.baseline.name == "Mine"
    plan = (SAMPLE_PLANS / "baseline.yaml").read_text()
    app.add_files({"my_plan.yaml": plan.replace("Baseline 2026 AE plan", "My plan").encode()})
    assert app.baseline.plan.name == "My plan"
    # a bad plan is refused with the library's message, and nothing changes
    result = app.result
    app.add_files({"bad.yaml": plan.replace("rate: 1.0", "rate: -1.0").encode()})
    assert "bad.yaml" in app.error and "rate" in app.error
    assert app.result is result and app.baseline.plan.name == "My plan"
    assert app.plan_menu.value == "my_plan.yaml (uploaded)"


def test_an_upload_never_replaces_a_project_plan(app, baseline):
    plan = (SAMPLE_PLANS / "baseline.yaml").read_text()
    shipped = app.workdir / "data" / "plans" / "baseline.yaml"
    for data in (plan.replace("rate: 1.0", "rate: -1.0"), plan.replace("Baseline 2026", "Other")):
        app.add_files({"baseline.yaml": data.encode()})
        assert "baseline.yaml" in app.error
        assert shipped.read_text() == plan  # what the project's scenarios read
    assert "already has a plan of this name" in app.error
    app.add_files({"mine.yaml": scenario_yaml("Baseline 2026", "Mine")})
    assert app.error == "" and app.baseline.plan == baseline.plan


def test_an_uploaded_book_as_a_zip(app):
    app.add_files({"mybook.zip": zipped({f"mybook/{n}": b for n, b in book_files().items()})})
    assert app.error == ""
    assert app.book_menu.value == "mybook.zip (uploaded)"
    assert app.baseline.book.endswith("mybook")
    # the same book: the same figures as the sample
    assert (app.table["Difference vs baseline"] == "no change").all()


def test_each_upload_has_a_folder_of_its_own(app):
    files = book_files()
    app.add_files({"mybook.zip": zipped(files)})
    assert app.error == ""
    first = app._uploads["books"]["mybook.zip (uploaded)"]
    del files["reps.csv"]  # the same name again, without its reps: no stale file merged
    app.add_files({"mybook.zip": zipped(files)})
    assert "reps" in app.error
    assert (first / "reps.csv").is_file() and app.result is not None


def test_unsafe_zips_are_refused_in_words(app, monkeypatch, tmp_path):
    import spm_sim.widgets.uploads as uploads_module

    files = book_files()
    before = app.result
    app.add_files({"up.zip": zipped({"../../evil.csv": b"x", **files})})
    assert "entry '../../evil.csv' points outside the zip's own folder" in app.error
    assert not list(tmp_path.parent.glob("**/evil.csv"))
    app.add_files({"two.zip": zipped({"a/reps.csv": files["reps.csv"], "b/reps.csv": b"x"})})
    assert "two files named 'reps.csv' ('a/reps.csv' and 'b/reps.csv')" in app.error
    monkeypatch.setattr(uploads_module, "MAX_UNPACKED_BYTES", 10_000)
    app.add_files({"big.zip": zipped({"reps.csv": b"0" * 20_000})})
    assert "big.zip: its files unpack to more than" in app.error
    monkeypatch.setattr(uploads_module, "MAX_UPLOAD_BYTES", 1000)
    app.add_files({"reps.csv": b"0" * 2000})
    assert "the app takes at most" in app.error and "MB at once" in app.error
    assert app.result is before and "Traceback" not in app.error_box.value


def test_an_uploaded_book_with_a_bad_cell_is_refused_in_words(app):
    files = {n: b for n, b in book_files().items() if n.endswith(".csv")}
    reps = files["reps.csv"].decode().splitlines()
    cells = reps[1].split(",")
    cells[-1] = "lots"
    reps[1] = ",".join(cells)
    files["reps.csv"] = ("\n".join(reps) + "\n").encode()
    before = app.result
    app.add_files(files)
    assert "reps.csv" in app.error and "lots" in app.error
    assert app.result is before


def test_only_the_figures_whose_data_changed_are_drawn_again(tmp_path, monkeypatch):
    import spm_sim.widgets.panels as panels_module

    drawn = []

    def counted(name):
        real = getattr(panels_module, name)

        def make(results):
            drawn.append(name)
            return real(results)

        return make

    for name in ("cost_distribution", "attainment_histogram"):
        monkeypatch.setattr(panels_module, name, counted(name))
    app = Workbench(n_trials=N, figures=True, workdir=tmp_path)
    assert drawn == ["cost_distribution", "attainment_histogram"]
    assert app.figure_box.value.count("data:image/png;base64,") == 2
    app.set_levers(method="calibrated")
    drawn.clear()
    first = app.figure_box.value
    app.set_levers(growth=0.2)  # calibrated: only the company target moves, not the pay
    assert drawn == ["attainment_histogram"]
    assert app.figure_box.value != first
    assert app.figure_box.value.split("<img")[1] == first.split("<img")[1]  # the cost figure
    app.set_levers(threshold=0.6)  # the pay moves, the attainment does not
    assert drawn == ["attainment_histogram", "cost_distribution"]
    assert app.timings["figures"] > 0 and app.timings["numbers"] > 0


def test_the_per_rep_table_writes_again_only_the_columns_that_changed(app):
    """A plan lever changes the pay columns of the per-rep table, not the quotas: the
    quota column's text is kept (one entry per column: the cache does not grow), and
    the table reads the same as one written from nothing."""
    import spm_sim.widgets.panels as panels_module
    from spm_sim._format import no_maths

    cache = app._reps_text
    written = {k for k, (_, kind) in panels_module._REP_COLUMNS.items() if kind}
    assert set(cache) == written
    quota_text, pay_text = cache["annual_quota"][1], cache["expected_incentive"][1]
    app.set_levers(accelerator=1.6)
    assert set(cache) == written
    assert cache["annual_quota"][1] is quota_text  # the quotas did not move: kept
    assert cache["expected_incentive"][1] != pay_text  # the pay did: written again
    assert app.reps_box.value == no_maths(panels_module.reps_table(app.result))


# ------------------------------------------------------------------ sweeps and goal-seek


def test_the_sweeps_tab_runs_on_the_baseline_and_follows_new_inputs(app):
    from spm_sim.sweep import sweep

    assert app.widget.titles[2] == "Sweeps and goal-seek"
    assert app.sweeps is None and app.goals is None  # nothing built before it is opened
    app.widget.selected_index = 2
    x, g = app.sweeps, app.goals
    assert app.explore_page.children[2:] == (x.widget, g.widget)
    assert "Sweeps and goal-seek" in app.explore_page.children[0].value
    assert x.scenario == g.scenario == app.baseline and x.book is g.book is app._book
    assert x.trials.value == g.trials.value == N and x.runs == g.runs == 0  # run on Run
    app.widget.selected_index = 0
    app.widget.selected_index = 2
    assert app.sweeps is x  # built once
    x.trials.value = g.trials.value = 20
    x.steps.value = 2
    x.button.click()
    assert x.error is None, x.error
    mean = x.result[x.result["statistic"].eq("mean") & x.result["metric"].eq("incentive_cost")]
    base_cost = simulate(app.baseline, 20).trials["incentive_cost"].mean()
    assert mean["value"].iloc[0] == pytest.approx(base_cost, rel=1e-12)
    g.value.value = f"{base_cost * 1.05:.0f}"
    g.button.click()
    assert g.error is None and g.answer.converged, g.error
    assert g.answer.achieved.estimate == pytest.approx(base_cost * 1.05, rel=1e-6)
    # another plan in the menus: both follow the new baseline, the results stay till a run
    before = x.result
    app.plan_menu.value = "accelerated.yaml"
    assert app.error == "" and app.baseline.plan.name == "Accelerated 2026 AE plan"
    assert x.scenario == g.scenario == app.baseline and x.book is app._book
    assert x.result is before and x.run_shown == x.runs == 1
    x.button.click()
    assert x.error is None and app.baseline.name in x.shown.value
    direct = sweep(app.baseline, x.changes(), 20, book=app._book, metrics=x.metric_names())
    pd.testing.assert_frame_equal(x.result, direct)
    assert not x.result.equals(before)
