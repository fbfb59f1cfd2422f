"""The app's "Track the year" page (widgets.tracking.TrackingPage) without a browser.

What the page shows is checked against the library called directly
(:func:`spm_sim.track.forecast` and its views on the same book, plan, date and seed).
"""

from __future__ import annotations

import base64
import datetime
import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from spm_sim.book import SAMPLE_DIR, load_book_ref
from spm_sim.comp import load_plan
from spm_sim.errors import PlausibilityWarning
from spm_sim.scenario import SAMPLE_PLANS
from spm_sim.track import forecast, leaderboard
from spm_sim.viz.tables import format_money
from spm_sim.widgets import TrackingPage, Workbench
from spm_sim.widgets.tracking import as_of_choices, book_dates

N = 200
SNAPSHOT = SAMPLE_DIR.parent / "sample-2025-06-30"
JUNE_30 = datetime.date(2025, 6, 30)


@pytest.fixture(scope="module")
def june():
    return load_book_ref(SNAPSHOT)


@pytest.fixture(scope="module")
def opened():
    p = TrackingPage(n_trials=N, figures=False)
    assert p.error == "", p.error
    return p


@pytest.fixture
def page(opened):
    """The page (one for the module: a page loads its book once), on the sample
    snapshot, the baseline plan and 30 June 2025."""
    if opened.error or opened.plan_menu.value != "baseline.yaml" or opened.date.value != JUNE_30:
        opened.set_inputs(plan="baseline.yaml", as_of="2025-06-30")
    assert opened.error == "" and opened.run.forecast.as_of == pd.Timestamp(JUNE_30)
    return opened


def test_the_page_opens_on_the_snapshot_and_shows_what_the_library_computes(page, june):
    assert page.book_menu.value.startswith("sample-2025-06-30 ")
    # the date picker is bounded to the book's data and starts on its snapshot
    assert (page.date.min, page.date.max) == (datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))
    assert page.date.value == datetime.date(2025, 6, 30)
    fc = forecast(june, load_plan(SAMPLE_PLANS / "baseline.yaml"), "2025-06-30", trials=N, rng=0)
    assert np.array_equal(page.run.forecast.bookings, fc.bookings)
    cards = page.cards.value
    assert cards.count("class='spm-track-card'") == 5
    assert "mathjax_ignore" in cards.split(">", 1)[0]  # money safe from JupyterLab's maths
    assert format_money(fc.actual.sum()) in cards  # bookings to date
    assert format_money(np.median(fc.company_bookings)) in cards  # the year-end P50
    for q in (10, 90):
        assert f"P{q} {format_money(np.percentile(fc.company_bookings, q))}" in cards
    assert "As of 30 June 2025, bookings to date are" in page.sentence.value
    # the leaderboard is the library's, ranked by attainment to date
    board = leaderboard(fc).sort_values("attainment_to_date", ascending=False, kind="stable")
    board = board.reset_index(drop=True)
    first = f"{board.rep_name[0]} ({board.rep_id[0]})"
    table = page.leaderboard_box.value
    assert table.index(first) < table.index(f"({board.rep_id[len(board) - 1]})")
    assert "Pace to date" in table and "100% (100% to 100%)" not in table
    assert "e+0" not in table and "nan" not in table.lower().replace("nano", "")
    assert "Updated in" in page.status.value and "(200 trials)" in page.status.value


def test_moving_the_date_changes_the_figures(page):
    before, run_before = page.cards.value, page.run
    number = int(re.search(r"data-run='(\d+)'", page.status.value)[1])
    page.date.value = datetime.date(2025, 3, 31)  # as a reader moves the picker
    assert page.error == ""
    assert page.run is not run_before and page.run.forecast.months_known == 3
    assert page.cards.value != before
    assert "As of 31 March 2025" in page.sentence.value
    assert f"data-run='{number + 1}'" in page.status.value
    # bookings to date shrink with the date
    assert page.run.forecast.actual.sum() < run_before.forecast.actual.sum()


def test_a_date_outside_the_book_is_refused_in_words_and_the_last_result_stays(page):
    before = page.run
    page.set_inputs(as_of="2025-09-30")
    assert page.run is before
    assert "after the book's data end" in page.error and "2025-06-30" in page.error
    assert "still those of the last good run (as of 2025-06-30)" in page.error_box.value
    assert "Traceback" not in page.error_box.value
    assert "Not updated: see the message" in page.status.value
    assert not page.run_button.disabled and not page.date.disabled
    page.set_inputs(as_of="30/06/2025")
    assert "is not a date; write it as YYYY-MM-DD" in page.error
    page.set_inputs(as_of="2025-05-31")  # the next good update clears the message
    assert page.error == "" and page.error_box.value == ""
    assert page.run.forecast.as_of == pd.Timestamp("2025-05-31")


def test_a_date_the_forecast_refuses_puts_the_inputs_back(page):
    before = page.run
    with warnings.catch_warnings():  # the as-of book may warn that it lacks early opportunities
        warnings.simplefilter("ignore", PlausibilityWarning)
        page.set_inputs(as_of="2023-03-31")  # in the book, but no history before it for quotas
    assert page.run is before and "history too short" in page.error
    assert page.date.value == datetime.date(2025, 6, 30)
    assert "back on the last choice that ran" in page.error_box.value


def test_a_plan_for_a_role_the_book_lacks_is_refused_in_words(page):
    page.set_inputs(plan="sdr_recoverable_draw.yaml")
    assert "is for role 'SDR'" in page.error and "their roles: AE" in page.error
    assert page.plan_menu.value == "baseline.yaml"  # the menu is back where the result ran


def test_no_date_chosen_is_told_in_words(page):
    page.date.value = None
    assert "no as-of date is chosen" in page.error


def test_an_unexpected_error_is_told_in_plain_words_and_logged(page, monkeypatch, capfd):
    import spm_sim.widgets.tracking as tracking

    def broken(*args, **kwargs):
        raise KeyError("internal detail")

    monkeypatch.setattr(tracking, "run_tracking", broken)
    before = page.run
    page.update()
    assert page.run is before
    assert "something went wrong inside the app (KeyError)" in page.error
    assert "internal detail" not in page.error_box.value
    log = capfd.readouterr().err
    assert "Traceback" in log and "internal detail" in log


def test_contests_figures_and_downloads(tmp_path):
    p = TrackingPage(plan="q4_spiff.yaml", n_trials=N, figures=True)
    assert p.error == ""
    assert "analytics_contest (not begun, 2025-10-01 to 2025-12-31)" in p.contests_box.value
    assert p.figure_box.value.count("data:image/png;base64,") == 2
    p.prepare_downloads()
    links = dict(
        re.findall(r"download='([^']+)' href='data:[^;]+;base64,([^']+)'", p.downloads.value)
    )
    names = sorted(re.sub(r"-baseline.*", "", n) for n in links)
    assert names == [
        "accruals",
        "contests",
        "forecast_by_rep",
        "leaderboard",
        "tracking",
        "warnings",
    ], names
    board = pd.read_csv(
        io.BytesIO(
            base64.b64decode(next(v for k, v in links.items() if k.startswith("leaderboard")))
        )
    )
    assert list(board.rep_id) == list(p.run.leaderboard.rep_id)
    report = base64.b64decode(next(v for k, v in links.items() if k.startswith("tracking")))
    assert report.lstrip().lower().startswith(b"<!doctype html>")
    assert b"Q4 Analytics SPIFF" in report
    # a new date says the files are stale
    p.set_inputs(as_of="2025-04-30")
    assert "prepare the files again" in p.downloads.value


def test_an_uploaded_plan_is_checked_chosen_and_run():
    p = TrackingPage(n_trials=N, figures=False, autorun=False)
    text = (SAMPLE_PLANS / "baseline.yaml").read_text().replace("Baseline 2026 AE plan", "Ours")
    p.add_files({"ours.yaml": text.encode()})
    assert p.plan_menu.value == "ours.yaml (uploaded)" and p.run.forecast.plan.name == "Ours"
    p.add_files({"notes.txt": b"hello"})
    assert "notes.txt: not a file the app reads" in p.error
    assert p.run.forecast.plan.name == "Ours"


def test_the_dates_a_book_offers(june):
    assert book_dates(june) == (datetime.date(2023, 1, 2), datetime.date(2025, 6, 30))
    days = as_of_choices(june)
    assert days[0] == datetime.date(2025, 1, 31) and days[-1] == datetime.date(2025, 6, 30)
    assert len(days) == 6


def test_the_workbench_has_a_tracking_tab_that_runs_when_opened(tmp_path):
    wb = Workbench(n_trials=N, figures=False, workdir=tmp_path)
    assert wb.widget.titles == ("Plan next year", "Track the year", "Sweeps and goal-seek")
    assert wb.widget.children[1] is wb.tracking.widget
    assert wb.tracking.run is None  # nothing run until the page is opened
    assert wb.tracking._uploads is wb._uploads  # one set of uploads for both pages
    wb.widget.selected_index = 1
    assert wb.tracking.error == "" and wb.tracking.run is not None
    assert wb.tracking.run.forecast.n_trials == N
