"""Notebook 03 (the plan designer) in JupyterLab, in a real browser.

JupyterLab serves a temporary copy of ``notebooks/`` (nothing is written into the
repository); Chromium opens notebook 03, runs every cell through the Run menu, and
the tests read what a planner sees: no error, dollar signs shown as dollar signs
(JupyterLab typesets ``$...$`` as maths unless told not to), labels readable in
full, and a slider moved with the keyboard redrawing the comparison with the
numbers the library computes for that setting. Screenshots go to
``reports/browser-tests/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _browser import ARTEFACTS, browser_page, free_port, needs_chromium, server

from spm_sim._format import format_diff
from spm_sim.metrics import compare
from spm_sim.scenario import load_scenario
from spm_sim.simulate import simulate
from spm_sim.widgets import DesignValues, design_plan
from spm_sim.widgets.design import start_values
from spm_sim.widgets.plan import DIFFERENCE, _fmt

pytestmark = needs_chromium()

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "03_comp_plan_designer.ipynb"
TRIALS = 60

#: JupyterLab settings for a test: no news pop-up, no update check, every cell rendered
#: (the default lazy rendering leaves off-screen cells empty in the page), the
#: notebook's kernel started without asking
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension:tracker": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}

ALL_RAN = r"""() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    const idle = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
    return idle && prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
}"""
STARTED = r"""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .some(p => /\[(\*|\d+)\]/.test(p.textContent))"""


def _lab_command(home: Path, port: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--allow-root",
        "--IdentityProvider.token=",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        f"--notebook-dir={home / 'notebooks'}",
        f"--LabApp.app_settings_dir={home / 'settings'}",
        f"--LabApp.user_settings_dir={home / 'user-settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]


def _kernel_ready(page: Any, timeout: float = 60.0) -> None:
    """Wait until the notebook's kernel is started and idle (answering a kernel dialog)."""
    deadline = time.monotonic() + timeout
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    name = page.locator(".jp-Toolbar-kernelName")
    while True:
        dialog = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
        if dialog.count():
            dialog.locator("button", has_text="Select").click()
        if idle.count() and "Python 3" in (name.first.text_content() or ""):
            return
        if time.monotonic() > deadline:
            _shot(page, "kernel-not-ready")
            raise AssertionError(f"the kernel did not start within {timeout:.0f} s")
        page.wait_for_timeout(300)


def _run_all(page: Any) -> None:
    """Run every cell through the Run menu and wait until the kernel is idle again.

    A "Select Kernel" dialog (JupyterLab may ask again while it settles) is answered;
    any other dialog fails the test.
    """
    page.wait_for_selector(".jp-CodeCell", timeout=30_000)
    _kernel_ready(page)
    for _attempt in range(3):  # a menu opened while the page still settles can close unused
        kernel = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
        if kernel.count():
            kernel.locator("button", has_text="Select").click()
            _kernel_ready(page)
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            _shot(page, "dialog")
            raise AssertionError("JupyterLab shows a dialog: " + dialog.first.text_content())
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(STARTED, timeout=10_000)
            break
        except Exception:  # noqa: BLE001 (playwright's TimeoutError; retried)
            page.keyboard.press("Escape")
    page.wait_for_function(ALL_RAN, timeout=120_000)


#: the positive control of the maths check: an HTML output JupyterLab must typeset
CONTROL = "<p id='maths-control'>The control: $x$</p>"


def _add_maths_control(path: Path) -> None:
    """Append a cell whose HTML output holds ``$x$`` to the (copied) notebook.

    JupyterLab typesets it; so a page without typeset money is known to have been
    typeset at all, not checked before MathJax ran.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(f"from IPython.display import HTML\nHTML({CONTROL!r})")
    )
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Iterator[tuple[Any, list[str]]]:
    """Notebook 03 opened in JupyterLab and run top to bottom; yields (page, outside)."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    _add_maths_control(home / "notebooks" / NOTEBOOK)
    (home / "data").symlink_to(ROOT / "data")  # the notebook's ../data/... paths
    (home / "settings").mkdir()
    (home / "settings" / "overrides.json").write_text(json.dumps(OVERRIDES))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "SPM_SIM_TRIALS": str(TRIALS),
    }
    port = free_port()
    with (
        server(_lab_command(home, port), port, path="/lab", env=env) as url,
        browser_page(1400, 1000) as (page, outside),
    ):
        page.goto(f"{url}/lab/tree/{NOTEBOOK}")
        _run_all(page)
        yield page, outside


def _design(page: Any) -> Any:
    """The output holding the designer a planner moves ("Your design")."""
    return page.locator(".jp-OutputArea-output").filter(has_text="Your design: the design")


def _comparison_rows(output: Any) -> dict[str, list[str]]:
    """The comparison table of a designer's output: row label -> cells."""
    table = output.locator("table").filter(has_text=DIFFERENCE).first
    rows = table.evaluate(
        """t => [...t.querySelectorAll('tbody tr')].map(
            r => [...r.children].map(c => c.textContent.trim()))"""
    )
    return {r[0]: r[1:] for r in rows}


def _shot(page: Any, name: str, element: Any = None) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    target = element if element is not None else page
    target.screenshot(path=str(ARTEFACTS / f"lab-nb03-{name}.png"))


def test_every_cell_runs_without_an_error_and_nothing_leaves_the_machine(notebook):
    page, outside = notebook
    _shot(page, "after-run-all")
    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_text_contents()
    assert errors == []
    assert outside == []
    # the three designers, each under the heading that says what it shows
    text = page.locator(".jp-Notebook").text_content()
    for title in (
        "Your design:",
        "Example: accelerators x1.5, quota growth 10%:",
        "Example: multi-measure plan, accelerators x1.2:",
    ):
        assert title in text
    # the figures of "Your design" reach the reader as images
    assert _design(page).locator("img").count() >= 3


def _maths_typeset(page: Any) -> None:
    """Wait until the control's ``$x$`` is typeset, then: nothing else is."""
    control = page.locator("#maths-control mjx-container")
    control.first.wait_for(timeout=30_000)
    assert control.count() == 1
    assert page.locator(".jp-Notebook mjx-container").count() == 1  # the control alone


def test_no_money_is_typeset_as_maths(notebook):
    page, _ = notebook
    _maths_typeset(page)
    rows = _comparison_rows(_design(page))
    cost = rows["Incentive cost"]
    assert re.fullmatch(r"\$[\d.]+[kM] \(P10 \$[\d.]+[kM], P90 \$[\d.]+[kM]\)", cost[0]), cost
    assert cost[2] == "no change"  # the design starts as the plan as it is
    assert re.match(r"\$\d", rows["Company bookings"][0])
    # the steeper example costs more, and says so in money
    example = page.locator(".jp-OutputArea-output").filter(has_text="Example: accelerators x1.5")
    assert re.match(
        r"\+\$[\d.]+[kM] ± \$[\d.]+[kM]", _comparison_rows(example)["Incentive cost"][2]
    )
    # the per-rep table: every rep, money as money
    reps = page.locator(".jp-OutputArea-output table").filter(has_text="expected incentive, design")
    head = reps.locator("thead").text_content()
    assert "chance of reaching quota" in head and "expected incentive, as is" in head
    assert reps.locator("tbody tr").count() == 80
    assert re.match(r"\$\d", reps.locator("tbody tr td").nth(3).text_content())
    _shot(page, "per-rep-table", reps)


def test_the_column_heads_name_the_plan_they_show(notebook):
    page, _ = notebook
    multi = page.locator(".jp-OutputArea-output").filter(has_text="Example: multi-measure plan")
    heads = multi.locator("table thead").first.text_content()
    assert "As is: AE multi-measure plan" in heads and "Baseline 2026" not in heads
    assert multi.locator("select").input_value() == "AE multi-measure plan"
    design = _design(page)
    assert design.locator("select").input_value() == "Baseline 2026 AE plan"  # untouched
    assert "As is: Baseline 2026 AE plan" in design.locator("table thead").first.text_content()


def test_every_label_is_readable_in_full(notebook):
    page, _ = notebook
    cut = page.evaluate(
        """() => [...document.querySelectorAll(
            '.jp-OutputArea .widget-label, .jp-OutputArea .widget-label-basic, ' +
            '.jp-OutputArea .widget-checkbox label, .jp-OutputArea .widget-dropdown select')]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map(e => e.textContent.trim().slice(0, 60))"""
    )
    assert cut == []
    labels = _design(page).locator(".widget-label").all_text_contents()
    assert "Attainment cap (no pay above)" in labels
    assert "Accelerators above quota (x the plan's)" in labels


def _expected_cost_row(above_quota: float) -> list[str]:
    """The "Incentive cost" row for that setting, from simulate() (not the designer)."""
    s = load_scenario(ROOT / "data/scenarios/baseline.yaml")
    start = start_values(s)
    values = DesignValues(start.growth, 1.0, above_quota, start.threshold, start.attainment_cap)
    design = s.replace(name="Design", plan=design_plan(s.plan, values, start))
    table = compare([simulate(s, TRIALS), simulate(design, TRIALS)]).set_index("metric")
    cost = table.loc["incentive_cost"]
    currency = s.plan.currency
    return [
        _fmt(cost.iloc[0], "$", currency),
        _fmt(cost.iloc[1], "$", currency),
        format_diff(
            cost.iloc[1]["diff_vs_baseline"], cost.iloc[1]["diff_se"], "$", currency=currency
        ),
    ]


def test_a_slider_moved_with_the_keyboard_redraws_the_comparison(notebook):
    page, _ = notebook
    design = _design(page)
    before = _comparison_rows(design)
    want = _expected_cost_row(1.2)  # four steps of 0.05: accelerators 1.2 times the plan's
    slider = design.locator(".widget-slider").filter(has_text="Accelerators above quota")
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    started = time.monotonic()  # from the first key press to the redrawn table
    for _ in range(4):
        handle.press("ArrowRight")
    try:  # each key press re-runs the design: wait for the last one's table
        page.wait_for_function(
            """([want]) => [...document.querySelectorAll('.jp-OutputArea-output table tr')]
                .some(r => [...r.children].map(c => c.textContent.trim()).join('|') === want)""",
            arg=["|".join(["Incentive cost", *want])],
            timeout=30_000,
        )
        seconds = time.monotonic() - started
    finally:
        page.wait_for_function(ALL_RAN, timeout=30_000)
        _shot(page, "slider-moved", design)
    assert "1.20" in slider.text_content()
    after = _comparison_rows(design)
    assert after != before
    assert after["Incentive cost"] == want
    assert want[2].startswith("+$")  # steeper accelerators cost more
    assert after["Company bookings"][2] == "no change"  # the plan changes pay, not sales
    # four re-runs of 60 simulated years (the fast path pays them on cached sales)
    assert seconds < 20, f"{seconds:.1f} s from the key press to the redrawn table"
    # the status line is empty again once the last run is drawn
    assert "Simulating" not in design.text_content()
    _maths_typeset(page)
