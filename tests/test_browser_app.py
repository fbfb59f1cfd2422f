"""The no-code app in a real browser: Voila serving notebooks/app.ipynb, in Chromium.

The server runs the command of ``make app`` (read from the Makefile, so the two
cannot drift apart). The page may reach only this machine (tests/_browser.py aborts
and records anything else). A lever moves by the keyboard, as a planner would; the
headline figures must then read what the library computes for that setting, and
the downloaded report must be the HTML report of that design.

Screenshots go to reports/browser-tests/; ``UPDATE_SCREENSHOTS=1`` also rewrites
docs/img/app.png (the README's screenshot).
"""

from __future__ import annotations

import datetime
import os
import re
import time
from pathlib import Path

from _browser import ARTEFACTS, browser_page, free_port, needs_chromium, server

from spm_sim.report import headline
from spm_sim.scenario import sample_scenario
from spm_sim.simulate import simulate

pytestmark = needs_chromium()

ROOT = Path(__file__).resolve().parents[1]


def make_app_command(port: int) -> tuple[list[str], dict[str, str]]:
    """The voila line of the Makefile's ``app`` recipe, variables filled in: the
    command and the environment variables it sets."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^app:.*\n((?:\t.*\n)+)", text, flags=re.M)
    assert recipe, "the Makefile has an app target"
    lines = [ln.strip() for ln in recipe.group(1).splitlines() if "voila " in ln]
    assert len(lines) == 1, f"one voila line in the app recipe: {lines}"
    line = lines[0].replace("$(VENV)", ".venv").replace("$(APP_PORT)", str(port))
    assert "$(" not in line, f"a Makefile variable the test does not know: {line}"
    words = line.split()
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        key, value = words.pop(0).split("=", 1)
        env[key] = str(ROOT / value) if key == "JUPYTER_PATH" else value
    return words, env


def lever(page, label: str):
    """The slider whose label reads ``label``."""
    return page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label))


def watch_busy(page) -> None:
    """Note in the page whether the busy label ever shows from now on (it may show
    for less time than a poll takes)."""
    page.evaluate(
        """() => {
            window.spmSawBusy = false;
            new MutationObserver(() => {
                if (document.querySelector('.spm-busy')) window.spmSawBusy = true;
            }).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )


def headline_cells(page) -> dict[str, list[str]]:
    rows = page.locator("table.spm-headline tbody tr")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        out[row.locator("th").inner_text().strip()] = [
            c.strip() for c in row.locator("td").all_inner_texts()
        ]
    return out


def test_the_app_moves_a_lever_and_downloads_the_report(tmp_path):
    port = free_port()
    command, env = make_app_command(port)
    assert command[:2] == [".venv/bin/voila", "notebooks/app.ipynb"]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (
        server(command, port, cwd=ROOT, env={**os.environ, **env}, timeout=90) as url,
        browser_page(1280, 1000) as (
            page,
            outside,
        ),
    ):
        page.goto(url, timeout=60_000)
        page.locator(".spm-ready").wait_for(timeout=90_000)
        page.locator("table.spm-headline").wait_for(timeout=30_000)
        loaded = time.monotonic() - started
        page.screenshot(path=str(ARTEFACTS / "app-start.png"), full_page=True)
        assert "Traceback" not in page.content()
        assert page.locator("mjx-container, .MathJax").count() == 0
        assert page.locator("[title='null']").count() == 0  # a widget without a tooltip
        assert page.locator(".spm-design-name").inner_text() == "Design (no change)"

        # every label reads in full: no "..." cut-off
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.widget-label, .widget-label-basic')]
                .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)
                .map(e => e.textContent)"""
        )
        assert cut == [], f"labels cut off: {cut}"

        # the threshold lever, one step up by the keyboard (50% -> 55%)
        threshold = lever(page, "Threshold: nothing paid below this attainment")
        assert threshold.locator(".widget-readout").inner_text().strip() == "50%"
        run = int(page.locator(".spm-ready").get_attribute("data-run"))
        watch_busy(page)
        threshold.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        moved = time.monotonic()
        # the busy label appears, then the update's own end replaces it
        page.wait_for_function("window.spmSawBusy === true", timeout=30_000)
        page.locator(f".spm-ready[data-run='{run + 1}']").wait_for(timeout=30_000)
        answered = time.monotonic() - moved
        assert page.locator(".spm-busy").count() == 0
        assert "Updated in" in page.locator(".spm-ready").inner_text()
        base = sample_scenario("baseline")
        comp = base.plan.components[0]
        design = base.replace(
            name="Design: threshold 55%",
            plan=base.plan.replace(
                name=f"Design (from {base.plan.name})",
                components=(comp.replace(threshold=0.55), *base.plan.components[1:]),
            ),
        )
        expected = headline([simulate(base, 2000), simulate(design, 2000)])
        cost = expected.loc["Incentive cost, mean", design.name]
        assert threshold.locator(".widget-readout").inner_text().strip() == "55%"
        shown = headline_cells(page)
        for label, row in expected.iterrows():
            assert shown[str(label)] == list(row), label
        assert page.locator(".spm-design-name").inner_text() == design.name
        page.screenshot(path=str(ARTEFACTS / "app-after-lever.png"), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS"):
            page.screenshot(path=str(ROOT / "docs" / "img" / "app.png"), full_page=False)

        # the report, downloaded
        page.get_by_role("button", name="Prepare downloads").click()
        link = page.get_by_role("link", name="Leadership report (HTML)")
        link.wait_for(timeout=60_000)
        with page.expect_download() as info:
            link.click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        report = saved.read_text(encoding="utf-8")
        assert saved.name == f"report-design-threshold-55-{datetime.date.today().isoformat()}.html"
        assert report.lstrip().lower().startswith("<!doctype html>")
        assert "Plan design report" in report and "Design: threshold 55%" in report
        assert cost.split(" (")[0] in report  # the report shows the interval under it
        page.screenshot(path=str(ARTEFACTS / "app-downloads.png"), full_page=True)
        assert outside == [], f"the app asked the internet for {outside}"
    print(
        f"voila answered and the app showed its first result in {loaded:.1f} s; "
        f"a threshold step answered in {answered:.2f} s (2,000 trials, in the browser)"
    )


def test_the_tracking_page_moves_the_as_of_date():
    """The second tab: the year as of the sample's snapshot, then as of 31 March; the
    cards and the leaderboard follow the date, and nothing leaves the machine."""
    from spm_sim.book import SAMPLE_DIR, load_book_ref
    from spm_sim.comp import load_plan
    from spm_sim.scenario import SAMPLE_PLANS
    from spm_sim.track import forecast, leaderboard
    from spm_sim.viz.tables import format_money

    june = load_book_ref(SAMPLE_DIR.parent / "sample-2025-06-30")
    plan = load_plan(SAMPLE_PLANS / "baseline.yaml")
    port = free_port()
    command, env = make_app_command(port)
    with (
        server(command, port, cwd=ROOT, env={**os.environ, **env}, timeout=90) as url,
        browser_page(1280, 1000) as (page, outside),
    ):
        page.goto(url, timeout=60_000)
        page.locator(".spm-ready").wait_for(timeout=90_000)  # the planning page is up
        page.get_by_role("tab", name="Track the year").click()
        ready = page.locator(".spm-track-ready:not(.spm-track-failed)")
        ready.wait_for(timeout=90_000)
        assert page.locator(".spm-track-asof").inner_text() == "2025-06-30"
        date = page.locator(".widget-datepicker input[type='date']")
        assert date.input_value() == "2025-06-30"
        fc = forecast(june, plan, "2025-06-30", trials=50, rng=0)
        cards = page.locator(".spm-track-card")
        assert cards.count() == 5
        assert cards.nth(0).locator(".spm-track-figure").inner_text() == format_money(
            fc.actual.sum()
        )
        top = leaderboard(fc).rep_id[0]
        first_row = page.locator("table.spm-track-leaderboard tbody tr").first
        assert f"({top})" in first_row.inner_text()
        assert page.locator(".spm-track-fan").count() == 1
        assert page.locator("mjx-container, .MathJax").count() == 0
        assert page.locator("[title='null']").count() == 0
        page.screenshot(path=str(ARTEFACTS / "app-tracking-june.png"), full_page=True)
        fan_june = page.locator(".spm-track-fan").get_attribute("src")
        board_june = page.locator("table.spm-track-leaderboard").inner_text()

        run = int(ready.get_attribute("data-run"))
        date.fill("2025-03-31")  # as a reader types a date
        page.locator(f".spm-track-ready[data-run='{run + 1}']").wait_for(timeout=60_000)
        assert page.locator(".spm-track-failed").count() == 0, page.locator(
            ".widget-html"
        ).all_inner_texts()
        assert page.locator(".spm-track-asof").inner_text() == "2025-03-31"
        march = forecast(june, plan, "2025-03-31", trials=50, rng=0)
        assert cards.nth(0).locator(".spm-track-figure").inner_text() == format_money(
            march.actual.sum()
        )
        assert "As of 31 March 2025" in page.locator(".spm-track-sentence").inner_text()
        assert page.locator(".spm-track-fan").get_attribute("src") != fan_june
        assert page.locator("table.spm-track-leaderboard").inner_text() != board_june
        assert "Traceback" not in page.content()
        page.screenshot(path=str(ARTEFACTS / "app-tracking-march.png"), full_page=True)
        assert outside == [], f"the tracking page asked the internet for {outside}"
