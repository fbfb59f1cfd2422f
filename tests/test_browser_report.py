"""The leadership report opened in a real browser (Debian's Chromium driven by Playwright).

The report must open on its summary (on screen and when printed), show every figure,
and ask nothing of the network. A full-page screenshot of each view is left in
``tests/_browser.ARTEFACTS`` for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _browser import ARTEFACTS, browser_page, needs_chromium

from spm_sim import simulate, write_report
from spm_sim.scenario import sample_scenario

pytestmark = needs_chromium()

#: what the first paragraph of the summary must hold: money and a 95% interval
MONEY = re.compile(r"\$\d[\d.,]*[kMB]?")
INTERVAL = re.compile(r"95% interval \$[\d.]+[kMB]? to \$[\d.]+[kMB]?")

#: the first visible heading and paragraph of the page (the title is not counted)
FIRST_TEXT = """() => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const heading = [...document.querySelectorAll('h2')].find(visible);
  const para = [...document.querySelectorAll('p')].filter(visible)
    .find((p) => !p.closest('header'));
  return [heading ? heading.innerText : '', para ? para.innerText : '',
          heading ? heading.getBoundingClientRect().top + window.scrollY : -1,
          document.querySelector('table').getBoundingClientRect().top + window.scrollY];
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    results = [
        simulate(sample_scenario(name), 300)
        for name in ("baseline", "accelerated", "multi_measure", "people_and_behaviour")
    ]
    return write_report(results, tmp_path_factory.mktemp("report") / "demo.html")


def _check_summary_first(page) -> str:
    heading, paragraph, heading_top, table_top = page.evaluate(FIRST_TEXT)
    assert heading == "Summary: what to decide"
    assert heading_top < table_top  # before any table
    assert MONEY.search(paragraph), paragraph
    assert INTERVAL.search(paragraph), paragraph
    return paragraph


def test_report_opens_on_its_summary_with_every_figure_and_offline(report):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with browser_page(width=1280, height=900) as (page, outside):
        page.goto(report.as_uri(), wait_until="load")
        _check_summary_first(page)
        text = page.inner_text("body")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight, e.alt])"
        )
        page.screenshot(path=str(ARTEFACTS / "report.png"), full_page=True)

        page.emulate_media(media="print")
        _check_summary_first(page)
        # printed, the details start on a new page
        breaks = page.eval_on_selector(".details", "e => getComputedStyle(e).breakBefore")
        page.screenshot(path=str(ARTEFACTS / "report-print.png"), full_page=True)

    assert outside == []  # the report is self-contained: nothing left the machine
    for name in ("Baseline 2026", "Accelerated 2026", "Multi-measure 2026"):
        assert name in text
    assert "People and behaviour 2026" in text
    # one sentence per alternative, each against the baseline with its interval
    for name in ("Accelerated 2026", "Multi-measure 2026", "People and behaviour 2026"):
        assert re.search(
            rf"{name} costs \$[\d.]+[kM] (more|less) a year than Baseline 2026 \(95% interval",
            text,
        ), name
    # the plan tables state every mechanic in words (spm_sim.comp.plan_rules)
    assert "gate: accelerators pay only when new_logos >= 50%" in text
    assert "Chance of reaching the company target" in text
    assert "2025 deals under the baseline plan (replayed)" in text
    assert "P90" in text
    # incentive cost, attainment, payout curves, quarterly accrual
    assert len(images) >= 4
    for complete, width, height, alt in images:
        assert complete and width > 300 and height > 150, alt
        assert alt
    assert breaks == "page"
    assert (ARTEFACTS / "report.png").stat().st_size > 50_000
    assert (ARTEFACTS / "report-print.png").stat().st_size > 50_000
