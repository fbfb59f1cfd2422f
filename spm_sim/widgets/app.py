"""The planner's workbench: a no-code app over the library, served by Voila.

``notebooks/app.ipynb`` shows :class:`Workbench` in one line and ``make app``
serves it with its code hidden. A planner picks a book, a plan and a scenario
from the project's files (or uploads their own), moves the main levers, and reads
the design against the baseline: the headline figures with their intervals, the
cost and attainment distributions and the per-rep table; then downloads the
leadership report and the CSV tables.

Every update is: lever values -> :func:`apply_levers` (a validated
``Scenario.replace``; the plan levers through :func:`spm_sim.widgets.design_plan`)
-> :meth:`spm_sim.simulate.SalesDraws.pay` on sales drawn once for the baseline
(bit for bit what :func:`spm_sim.simulate.simulate` gives) ->
:func:`spm_sim.metrics.compare` and the report's headline table. The sales are
drawn again only when the book, the scenario or the number of trials changes. A
lever left where it started leaves the baseline's own value in the design, so
before anything moves the design *is* the baseline.

An update that fails leaves the last good result on screen, says why in words,
and puts the menus back on the last choice that ran; an unexpected failure is
logged with its traceback to the server's log (the terminal running ``make app``),
never shown on the page.

A second page, "Track the year" (:class:`spm_sim.widgets.tracking.TrackingPage`),
follows the year in progress: a book and a plan, an as-of date, the forecast of the
rest of the year, the leaderboard, contests, warnings and accruals. It shares the
uploads and runs its first forecast when its tab is first opened.

A third page, "Sweeps and goal-seek", holds the notebook's
:class:`spm_sim.widgets.sweep.SweepExplorer` (a lever over a range, each figure
with its band, the frontier of cost against share at quota) and
:class:`spm_sim.widgets.goal.GoalSeeker` (the value of a lever that meets a
target). They are built when the page is first opened, on the app's baseline, book
and simulated years, and follow every new baseline the menus or uploads load; they
run when their *Run* button is pressed.

This module wires the pieces together and lays them out; the pieces live beside
it: :mod:`spm_sim.widgets.levers` (the lever values, what they do to a scenario,
their widgets), :mod:`spm_sim.widgets.uploads` (the project's files, the menus and
the checked uploads) and :mod:`spm_sim.widgets.panels` (the cards, tables, figures
and CSV files shown).
"""

from __future__ import annotations

import datetime
import html
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from spm_sim._format import format_money, no_maths, slugify
from spm_sim.book import Book, load_book_ref
from spm_sim.report import write_report
from spm_sim.scenario import SAMPLE_SCENARIOS, Scenario
from spm_sim.simulate import SalesDraws, SimulationResult, draw_sales

from .design import primary_components
from .goal import GoalSeeker
from .levers import (
    CALIBRATED_PROBABILITY,
    NO_CAP,
    PLAN_LEVERS,
    QUOTA_METHODS,
    WIDE,
    DesignRun,
    Levers,
    apply_levers,
    lever_note,
    lever_widgets,
    read_levers,
    run_design,
    show_levers,
    start_levers,
    untouched_levers,
)
from .panels import (
    FIGURE_DPI,
    FigurePanel,
    _no_null_tooltips,
    _run_guarded,
    csv_tables,
    download_link,
    headline_cards,
    message_box,
    reps_table,
)
from .sweep import SweepExplorer
from .tracking import TrackingPage
from .uploads import (
    MAX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    InputMenus,
    Uploads,
    plain_paths,
    project_files,
)

__all__ = [
    "Workbench",
    "TrackingPage",
    "Levers",
    "apply_levers",
    "start_levers",
    "project_files",
    "QUOTA_METHODS",
    # where they live now: levers, panels and uploads; still importable from here
    "CALIBRATED_PROBABILITY",
    "FIGURE_DPI",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "NO_CAP",
]


class Workbench:
    """The no-code app: files, levers, headline figures, distributions, downloads.

    Parameters
    ----------
    scenario : str, optional
        File name of the scenario to start from (a key of
        ``project_files()["scenarios"]``), default ``baseline.yaml``.
    n_trials : int, default 2000
        Simulated years per run (the "Simulated years" menu changes it).
    figures : bool, default True
        Draw the figures on each update (tests may turn them off).
    workdir : path, optional
        Where uploads are saved (default: a new temporary folder).

    Attributes
    ----------
    widget : ipywidgets.Tab
        The whole app; displaying the workbench displays it. Its first page, "Plan
        next year", is :attr:`planning`; its second, "Track the year", is
        :attr:`tracking`'s widget; its third, "Sweeps and goal-seek", is
        :attr:`explore_page`.
    planning : ipywidgets.VBox
        The planning page: files, levers, the design against the baseline.
    tracking : TrackingPage
        The year in progress as of a date (:class:`spm_sim.widgets.tracking.TrackingPage`),
        sharing the uploads; its first forecast runs when its tab is first opened.
    explore_page : ipywidgets.VBox
        The "Sweeps and goal-seek" page: :attr:`sweeps` above :attr:`goals`.
    sweeps, goals : SweepExplorer, GoalSeeker or None
        The sweep explorer and the goal-seeker (:mod:`spm_sim.widgets.sweep`) on the
        app's baseline and book; None until their page is first opened. A new
        baseline loaded is passed on to both (their ``use``); their trials start at
        the app's simulated years.
    menus : InputMenus
        The scenario, plan, book and simulated-years menus (also ``scenario_menu``,
        ``plan_menu``, ``book_menu``, ``trials_menu``) and the ``upload`` button.
    levers : dict of str to widget
        ``growth``, ``over_assignment``, ``method``, ``threshold``, ``commission``,
        ``accelerator``, ``cap`` (its top value means no cap), ``behaviour``.
    baseline, design : Scenario
        The latest scenarios run.
    baseline_result, result : SimulationResult
        Their latest results (kept when an update fails).
    table : DataFrame
        The latest headline table (:func:`spm_sim.report.headline`).
    error : str
        The latest error's message ("" after a good update).
    seconds : float
        How long the latest update took, figures included.
    timings : dict of str to float
        The latest update's seconds by step: ``numbers`` (until the figures and
        tables are shown) and ``figures``.

    Examples
    --------
    >>> wb = Workbench(n_trials=500, figures=False)
    >>> wb.error, wb.table.loc["Incentive cost, mean", "Difference vs baseline"]
    ('', 'no change')
    >>> wb.set_levers(threshold=0.6)
    >>> wb.design.plan.components[0].threshold, wb.design.name
    (0.6, 'Design: threshold 60%')
    """

    def __init__(
        self,
        scenario: str = "baseline.yaml",
        *,
        n_trials: int = 2000,
        figures: bool = True,
        workdir: str | Path | None = None,
    ) -> None:
        self.figures = figures
        self.files = project_files()
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp("-spm-app"))
        self._uploads = Uploads(self.workdir, self.files)
        self._draws: SalesDraws | None = None
        self._baseline_results: dict[bool, SimulationResult] = {}
        self.baseline: Scenario | None = None
        self.design: Scenario | None = None
        self.baseline_result: SimulationResult | None = None
        self.result: SimulationResult | None = None
        self.table: pd.DataFrame | None = None
        self.error = ""
        self.seconds = 0.0
        self.timings: dict[str, float] = {}
        self._quiet = False
        self._start: Levers | None = None  # the baseline's own lever values
        self._shown: Levers | None = None  # the same, as the widgets hold them
        self._good: dict[str, Any] | None = None  # the menus of the last good load
        self._ran: Levers | None = None  # the levers of the result on screen
        self._no_cap = NO_CAP
        self._has_commission = True
        self._figure_seconds = 0.0
        self._finished = 0  # updates finished, good or not
        self._said = ""  # what the status adds to "Updated in ..." after this update
        self._role_note = ""  # a plan for a role the book lacks: tried on its reps
        self._book_name = ""
        self._book: Book | None = None  # the baseline's loaded book
        self._panel = FigurePanel()  # draws a figure again only when its data changed
        self._reps_text: dict[str, Any] = {}  # the per-rep table's columns as last written
        self._build(scenario, n_trials)
        self._load_inputs()

    # ---------------------------------------------------------------- widgets

    def _build(self, scenario: str, n_trials: int) -> None:
        self.menus = InputMenus(self.files, self._uploads, scenario, n_trials)
        self.scenario_menu, self.plan_menu = self.menus.scenario, self.menus.plan
        self.book_menu, self.trials_menu = self.menus.book, self.menus.trials
        self.upload = self.menus.upload
        self.levers: dict[str, Any] = lever_widgets()
        self.reset_button = widgets.Button(
            description="Reset levers",
            icon="undo",
            tooltip="Put every lever back on the baseline's own value",
        )
        self.report_button = widgets.Button(
            description="Prepare downloads",
            icon="download",
            tooltip="Write the leadership report and the CSV tables of this design",
            button_style="primary",
            layout=widgets.Layout(width="200px"),
        )
        self.status = widgets.HTML("")
        self.error_box = widgets.HTML("")
        self.cards = widgets.HTML("")
        self.headline_box = widgets.HTML("")
        self.figure_box = widgets.HTML("")
        self.reps_box = widgets.HTML("")
        self.downloads = widgets.HTML("")
        self.plan_note = widgets.HTML("", layout=WIDE)

        for w in (self.scenario_menu, self.plan_menu, self.book_menu, self.trials_menu):
            w.observe(self._on_inputs, names="value")
        for w in self.levers.values():
            w.observe(self._on_lever, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.reset_button.on_click(lambda _b: self._reset_levers())
        self.report_button.on_click(lambda _b: self.prepare_downloads())

        levers = widgets.VBox(
            [
                widgets.HTML("<h3 style='margin:4px 0'>2. Move the levers</h3>"),
                *self.levers.values(),
                self.plan_note,
                self.reset_button,
            ]
        )
        self.planning = widgets.VBox(
            [
                widgets.HBox([self.menus.box, levers], layout=widgets.Layout(flex_flow="row wrap")),
                self.status,
                self.error_box,
                widgets.HTML("<h3 style='margin:4px 0'>3. The design against the baseline</h3>"),
                self.cards,
                self.headline_box,
                self.figure_box,
                widgets.HTML("<h3 style='margin:4px 0'>4. Download</h3>"),
                widgets.HBox([self.report_button, self.downloads]),
                widgets.HTML("<h3 style='margin:4px 0'>Per rep (design)</h3>"),
                self.reps_box,
            ]
        )
        self.tracking = TrackingPage(
            n_trials=n_trials, figures=self.figures, autorun=False, uploads=self._uploads
        )
        self.explore_note = widgets.HTML("")  # why the page could not follow, if ever
        self.explore_page = widgets.VBox(
            [widgets.HTML("<h3 style='margin:4px 0'>Sweeps and goal-seek</h3>"), self.explore_note]
        )
        self.sweeps: SweepExplorer | None = None
        self.goals: GoalSeeker | None = None
        self.widget = widgets.Tab(
            children=[self.planning, self.tracking.widget, self.explore_page],
            titles=("Plan next year", "Track the year", "Sweeps and goal-seek"),
        )
        self.widget.observe(self._on_tab, names="selected_index")
        _no_null_tooltips(self.widget)
        self._controls: dict[str, Any] = {
            "scenario": self.scenario_menu,
            "plan": self.plan_menu,
            "book": self.book_menu,
            "trials": self.trials_menu,
            "upload": self.upload,
            "reset": self.reset_button,
            "report": self.report_button,
            **self.levers,
        }

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ---------------------------------------------------------------- events

    def _on_inputs(self, _change: Any = None) -> None:
        if not self._quiet:
            self._load_inputs()

    def _on_tab(self, change: Any) -> None:
        if change["new"] == 1:
            self.tracking.start()  # the first forecast, when the page is first opened
        elif change["new"] == 2:
            self._start_explore()

    def _start_explore(self) -> None:
        """Build the sweep explorer and the goal-seeker on the app's baseline, book
        and simulated years (once: the page's first opening); they run on *Run*."""
        if self.sweeps is not None or self.baseline is None:
            return

        def build() -> None:
            n, book, figures = int(self.trials_menu.value), self._book, self.figures
            self.sweeps = SweepExplorer(
                self.baseline, trials=n, book=book, figures=figures, run=False
            )
            self.goals = GoalSeeker(self.baseline, trials=n, book=book, figures=figures, run=False)
            heading, note = self.explore_page.children[:2]
            self.explore_page.children = (heading, note, self.sweeps.widget, self.goals.widget)
            _no_null_tooltips(self.explore_page)

        self._explore(build, "open")

    def _follow_explore(self) -> None:
        """Point the sweeps and the goal-seek (once built) at the new baseline."""
        if self.sweeps is None or self.goals is None or self.baseline is None:
            return
        baseline, book = self.baseline, self._book

        def follow() -> None:
            for page in (self.sweeps, self.goals):
                assert page is not None
                page.use(baseline, book=book)

        self._explore(follow, "follow the new baseline")

    def _explore(self, action: Callable[[], None], what: str) -> None:
        """Run ``action`` on the sweeps page; a failure is said on that page in words."""
        self.explore_note.value = ""

        def fail(exc: Exception) -> None:
            said = plain_paths(str(exc), self.workdir, SAMPLE_SCENARIOS.parents[1])
            self.explore_note.value = message_box(
                f"<b>The sweeps and goal-seek could not {what}:</b> {html.escape(said)}",
                "#b00020",
                "#fdecea",
            )

        _run_guarded(action, fail)

    def _on_lever(self, _change: Any = None) -> None:
        if not self._quiet:
            self.update()

    def locked(self) -> set[str]:
        """The levers that stay off whatever happens, and why in :attr:`plan_note`:
        the plan levers for a plan without a commission component, over-assignment
        under calibrated quotas.

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.set_levers(method="calibrated")
        >>> sorted(wb.locked()), wb.levers["over_assignment"].disabled
        (['over_assignment'], True)
        """
        off = set() if self._has_commission else set(PLAN_LEVERS)
        if self.levers["method"].value == "calibrated":
            off.add("over_assignment")
        return off

    def _busy(self, on: bool, text: str = "Running...") -> None:
        off = self.locked()
        for name, w in self._controls.items():
            w.disabled = on or name in off
        if on:
            self.status.value = (
                f"<span class='spm-busy' style='color:#8a3b00;font-weight:bold'>{text}</span>"
            )
            return
        self.plan_note.value = self._note()
        self._finished += 1  # data-run: a page can tell this update's end from the last
        if self.error:
            self.status.value = (
                f"<span class='spm-ready spm-failed' data-run='{self._finished}' "
                "style='color:#b00020;font-weight:bold'>"
                "Not updated: see the message below.</span>"
            )
        else:
            self.status.value = (
                f"<span class='spm-ready' data-run='{self._finished}' style='color:#555'>"
                f"Updated in {self.seconds:.2f} s "
                f"({self.trials_menu.value:,} simulated years).{html.escape(self._said)}</span>"
            )

    def _note(self) -> str:
        """What the levers act on, for the plan and method in the menus."""
        plan = self.baseline.plan if self.baseline is not None else None
        method = self.levers["method"].value
        return lever_note(plan, method, has_commission=self._has_commission)

    def _fail(self, exc: Exception, restored: str = "") -> None:
        # the server's folders mean nothing to the planner: file names only
        self.error = plain_paths(str(exc), self.workdir, SAMPLE_SCENARIOS.parents[1])
        kept = " The figures below are still those of the last good run." if self.result else ""
        self.error_box.value = message_box(
            f"<b>Could not update:</b> {html.escape(self.error)}{html.escape(restored)}{kept}",
            "#b00020",
            "#fdecea",
        )

    def _guarded(self, action: Callable[[], None], busy: str, on_error: Callable[[], str]) -> None:
        """Run ``action`` under the busy label; any failure is shown in words (an
        unexpected one is logged with its traceback to the server's log)."""
        started = time.perf_counter()
        self._figure_seconds = 0.0
        self._said = ""
        self._busy(True, busy)
        try:
            _run_guarded(action, lambda exc: self._fail(exc, on_error()))
        finally:
            self.seconds = time.perf_counter() - started
            self.timings = {
                "numbers": self.seconds - self._figure_seconds,
                "figures": self._figure_seconds,
            }
            self._busy(False)

    # ---------------------------------------------------------------- inputs

    def _load_inputs(self) -> None:
        """Load the chosen files, set the levers to the baseline's values, run; on a
        failure, put the menus back on the last good choice."""

        def load() -> None:
            baseline = self.menus.chosen()
            book = load_book_ref(baseline.book)
            roles = set(book.reps["role"].astype(str))
            role, role_note = baseline.plan.role, ""
            if role is not None and role not in roles:
                # tried on the book's reps, as the plan designer does: not a dead end
                baseline = baseline.replace(plan=baseline.plan.replace(role=None))
                role_note = (
                    f"Plan {baseline.plan.name} is for role {role}; this book has none, so it "
                    f"is tried on the book's reps ({', '.join(sorted(roles))})."
                )
            draws = draw_sales(baseline, int(self.trials_menu.value), book=book)
            start = start_levers(baseline)
            cache: dict[bool, SimulationResult] = {}
            run = run_design(baseline, draws, start, cache)
            # every step succeeded: from here on, this is the app's baseline
            before = self._ran
            self.baseline, self._draws, self._baseline_results = baseline, draws, cache
            self._role_note, self._book_name, self._book = role_note, str(book.name), book
            self._quiet = True
            try:
                self.menus.mark_plans(roles)
            finally:
                self._quiet = False
            self._set_levers(start)
            self._show(run)
            if before is not None and before != self._ran:
                self._said = " Levers reset to the new scenario's values."
            self._good = self.menus.values()
            self._follow_explore()

        self._guarded(load, "Loading the files and drawing the sales...", self._restore_menus)

    def _restore_menus(self) -> str:
        """Put the menus back on the last good choice; say so (or nothing to say)."""
        good = self._good
        if good is None or good == self.menus.values():
            return ""
        self._quiet = True
        try:
            self.menus.show(good)
        finally:
            self._quiet = False
        return (
            f" The menus are back on the last choice that ran: scenario {good['scenario']}, "
            f"plan {good['plan']}, book {good['book']}, {good['trials']:,} simulated years."
        )

    def _set_levers(self, levers: Levers) -> None:
        """Put the widgets on ``levers`` (the baseline's values), widening a slider's
        range to reach a value outside it; remember what the widgets then hold."""
        assert self.baseline is not None
        self._quiet = True
        try:
            self._no_cap = show_levers(self.levers, levers, self.baseline)
            self._has_commission = bool(primary_components(self.baseline.plan))
        finally:
            self._quiet = False
        self._start = levers
        self._shown = self.lever_values()

    def _reset_levers(self) -> None:
        if self._start is not None:
            self._set_levers(self._start)
            self.update()

    # ---------------------------------------------------------------- running

    def lever_values(self) -> Levers:
        """The levers' current values, as the widgets hold them.

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.lever_values().threshold, wb.lever_values().cap
        (0.5, 3.0)
        """
        return read_levers(self.levers, self._no_cap)

    def set_levers(self, **values: Any) -> None:
        """Move several levers at once (by their names in :attr:`levers`), then update.

        ``cap=None`` means no cap.

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.set_levers(growth=0.12, cap=None)
        >>> wb.design.quota.growth, wb.design.plan.components[0].attainment_cap
        (0.12, None)
        """
        self._quiet = True
        try:
            for key, value in values.items():
                if key not in self.levers:
                    raise KeyError(f"no lever named {key!r}; levers: {', '.join(self.levers)}")
                self.levers[key].value = self._no_cap if key == "cap" and value is None else value
        finally:
            self._quiet = False
        self.update()

    def update(self) -> None:
        """Run the design for the levers' values and show it (the busy label meanwhile).

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.levers["accelerator"].value = 1.5  # moving a lever updates by itself
        >>> wb.update()  # the same again: nothing moved since
        >>> wb.table.loc["Incentive cost, mean", "Difference vs baseline"].startswith("+")
        True
        """

        def run() -> None:
            assert self.baseline is not None and self._draws is not None
            assert self._start is not None and self._shown is not None
            levers = untouched_levers(self.lever_values(), self._shown, self._start)
            self._show(run_design(self.baseline, self._draws, levers, self._baseline_results))

        self._guarded(run, "Running...", self._restore_levers)

    def _restore_levers(self) -> str:
        """Put the levers back where the result on screen was run; say so."""
        ran = self._ran
        if ran is None or ran == self.lever_values():
            return ""
        self._quiet = True
        try:
            for f in fields(Levers):
                value = getattr(ran, f.name)
                self.levers[f.name].value = (
                    self._no_cap if f.name == "cap" and value is None else value
                )
        finally:
            self._quiet = False
        return " The levers are back where the results below were run."

    def _show(self, run: DesignRun) -> None:
        """Show a computed update: the numbers first, then the figures."""
        self.design, self.result, self.baseline_result = run.design, run.result, run.base
        self.table = run.table
        self.error, self.error_box.value = "", ""
        if "spm-downloads" in self.downloads.value:
            self.downloads.value = (
                "<span class='spm-downloads-stale' style='color:#555'>The levers changed: "
                "prepare the downloads again.</span>"
            )
        self.cards.value = no_maths(
            headline_cards(
                run.numbers,
                design=run.design.name,
                baseline=run.base.scenario.name,
                currency=run.result.scenario.plan.currency,
                notes=self._card_notes(run),
            )
        )
        self.headline_box.value = no_maths(
            "<div style='overflow-x:auto'>"
            + run.table.rename_axis(None).to_html(classes="spm-headline")
            + "</div>"
        )
        self.reps_box.value = no_maths(reps_table(run.result, cache=self._reps_text))
        self._ran = self.lever_values()
        drawn = time.perf_counter()
        if self.figures:
            self.figure_box.value = self._panel.render(run.base, run.result)
        self._figure_seconds = time.perf_counter() - drawn

    def _card_notes(self, run: DesignRun) -> list[str]:
        """Above the cards: which plan and book the baseline runs, a plan tried on
        reps of another role, and a baseline the behaviour lever moved."""
        assert self.baseline is not None
        plan = self.baseline.plan.name
        notes = [f"The baseline runs plan {plan} on book {self._book_name}."]
        if self._role_note:
            notes.append(self._role_note)
        start = start_levers(self.baseline)
        behaviour = run.base.scenario.behaviour is not None
        still = self._baseline_results.get(start.behaviour)
        if behaviour != start.behaviour and still is not None:
            currency = run.base.scenario.plan.currency
            before = format_money(still.trials["incentive_cost"].mean(), currency=currency)
            after = format_money(run.base.trials["incentive_cost"].mean(), currency=currency)
            said = "Reps respond in both" if behaviour else "Reps do not respond in either"
            notes.append(
                f"{said}: the baseline's incentive cost moved from {before} to {after} a "
                "year, and the design is compared with the moved baseline."
            )
        return notes

    # ---------------------------------------------------------------- downloads

    def report_bytes(self) -> bytes:
        """The leadership report of the latest baseline and design (HTML).

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.report_bytes()[:15].lower()
        b'<!doctype html>'
        """
        assert self.result is not None and self.baseline_result is not None
        path = self.workdir / "downloads" / "report.html"
        write_report([self.baseline_result, self.result], path, title="Plan design report")
        return path.read_bytes()

    def csv_bytes(self) -> dict[str, bytes]:
        """The tables behind the figures as CSV: ``summary.csv`` (baseline and design,
        every metric), ``reps.csv`` and ``trials.csv`` of the design.

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> sorted(wb.csv_bytes())
        ['reps.csv', 'summary.csv', 'trials.csv']
        """
        assert self.result is not None and self.baseline_result is not None
        return csv_tables(self.baseline_result, self.result)

    def prepare_downloads(self) -> None:
        """Write the report and the CSVs and show them as download links.

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> wb.prepare_downloads()
        >>> "Leadership report (HTML)" in wb.downloads.value
        True
        """
        if self.result is None:
            return

        def prepare() -> None:
            # e.g. report-design-threshold-60-2026-12-06.html
            slug = slugify(self.design.name if self.design else "design")
            slug = f"{slug[:60].rstrip('-_')}-{datetime.date.today().isoformat()}"
            links = [
                download_link(
                    self.report_bytes(),
                    f"report-{slug}.html",
                    "text/html",
                    "Leadership report (HTML)",
                )
            ]
            for name, data in self.csv_bytes().items():
                links.append(download_link(data, f"{Path(name).stem}-{slug}.csv", "text/csv", name))
            self.downloads.value = "<span class='spm-downloads'>" + "".join(links) + "</span>"
            self.error, self.error_box.value = "", ""

        self._guarded(prepare, "Writing the report...", lambda: "")

    # ---------------------------------------------------------------- uploads

    def _on_upload(self, change: Any) -> None:
        files = change["new"]
        if not files:
            return
        self.add_files({f["name"]: bytes(f["content"]) for f in files})

    def add_files(self, files: dict[str, bytes]) -> None:
        """Save uploaded files (name -> bytes), check them and add them to the menus.

        YAML files are plans (they have ``components``) or scenarios (``plan_year``);
        a ``.zip`` is a book; CSV files (with a ``book.yaml``, if any) uploaded
        together are one book. Each upload goes to a folder of its own. A plan or
        scenario is checked where it is staged, before it is put where other files
        read it: a scenario's relative paths are read as in the project's
        ``data/scenarios`` folder (``../sample``, ``../plans/x.yaml``), and uploaded
        plans sit beside the project's plans there (a name the project already uses
        is refused). The new choice is selected; a file that fails its checks is
        refused with the library's message, and so is an upload over
        :data:`spm_sim.widgets.uploads.MAX_UPLOAD_BYTES` or a zip that unpacks to
        over :data:`spm_sim.widgets.uploads.MAX_UNPACKED_BYTES`, holds two files of
        one name or an entry outside its folder (:class:`~spm_sim.widgets.uploads.Uploads`).

        Examples
        --------
        >>> wb = Workbench(n_trials=500, figures=False)
        >>> from spm_sim.scenario import SAMPLE_PLANS
        >>> plan = (SAMPLE_PLANS / "baseline.yaml").read_text()
        >>> wb.add_files({"mine.yaml": plan.replace("Baseline 2026 AE plan", "Mine").encode()})
        >>> wb.plan_menu.value, wb.baseline.plan.name
        ('mine.yaml (uploaded)', 'Mine')
        """

        def add() -> None:
            self._select(self._uploads.add(files))

        self._guarded(add, "Checking the uploaded files...", self._restore_menus)

    def _select(self, added: list[tuple[str, str]]) -> None:
        self._quiet = True
        try:
            self.menus.select(added)
        finally:
            self._quiet = False
        if added:
            self._load_inputs()
