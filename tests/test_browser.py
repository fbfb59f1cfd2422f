"""The demo report opened in a real browser (Debian's Chromium driven by Playwright).

CI installs Chromium (.ci/run); on a developer machine without it the test is
skipped, but never under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from spm_sim import simulate, write_report
from spm_sim.scenario import sample_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError(
            "CI must install Chromium for the browser tests "
            "(.ci/run does: apt-get install chromium)"
        )
    pytestmark = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    base = sample_scenario("baseline")
    alt = sample_scenario("accelerated")
    multi = sample_scenario("multi_measure")
    results = [simulate(s, 300) for s in (base, alt, multi)]
    return write_report(
        results, tmp_path_factory.mktemp("report") / "demo.html", title="Browser check"
    )


def test_report_renders_every_scenario_and_figure(report, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def guard(route):
                # the report must be self-contained: anything but the file itself is a defect
                if route.request.url.startswith(("file://", "data:")):
                    return route.continue_()
                outside.append(route.request.url)
                return route.abort()

            page.route("**/*", guard)
            page.goto(report.as_uri(), wait_until="load")
            text = page.inner_text("body")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight, e.alt])"
            )
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()

    assert outside == []
    assert "Baseline 2026" in text and "Accelerated 2026" in text
    assert "Multi-measure 2026" in text
    # the plan tables state every mechanic in words (spm_sim.comp.plan_rules)
    assert "gate: accelerators pay only when new_logos >= 50%" in text
    assert "Probability of reaching the company target" in text
    assert "P90" in text
    # attainment histogram, cost distribution, payout curves, quarterly accrual
    assert len(images) >= 4
    for complete, width, height, alt in images:
        assert complete and width > 300 and height > 150, alt
        assert alt
    assert (tmp_path / "report.png").stat().st_size > 50_000
