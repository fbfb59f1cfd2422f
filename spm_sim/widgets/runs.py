"""What the sweep explorer and the goal-seeker share: the levers a planner moves and
the *Run* button's progress, status and last good run (a part of :mod:`spm_sim.widgets`).

The levers offered are the scenario's own (:func:`sweep_levers`): the rate of each
tier, the threshold and attainment cap of each commission component, quota growth,
over-assignment, the calibrated quotas' probability and, when reps respond to the
plan, their effort elasticity. Every variant runs on the scenario's seed and book
(common random numbers). A run that fails keeps the last good run on screen and
says so; the line above the results names the run they come from. Levers and
figures read in words: fractions as percentages, money as money.
"""

from __future__ import annotations

import base64
import html
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import ipywidgets as widgets
from IPython.display import Image, display

from spm_sim._format import no_maths
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import Component
from spm_sim.errors import PlausibilityWarning, SpecError
from spm_sim.parallel import ExecutorLike, executor_name
from spm_sim.scenario import Scenario, sample_scenario
from spm_sim.sweep import param_limits
from spm_sim.viz.results import fig_to_base64_png

__all__ = ["SweepLever", "sweep_levers", "DEFAULT_TRIALS"]

#: Trials per scenario of a sweep, and per evaluation of a goal-seek, by default.
DEFAULT_TRIALS = 500
#: Resolution of the figures (screen, not print).
_DPI = 90
_LABEL = {"description_width": "150px"}
_ROW = "640px"
_RED = "color:#b00;white-space:pre-wrap"


class SweepLever(NamedTuple):
    """A lever a sweep or goal-seek can move: its parameter path, its label, the
    range offered at first and how its values read (``pct``: a fraction shown as a
    percentage; ``x``: a multiple)."""

    path: str
    label: str
    low: float
    high: float
    unit: str


def _span(start: float, end: float | None) -> str:
    if end is None:
        return f"above {start:.0%} of quota"
    return f"{start:.0%} to {end:.0%} of quota"


def _inside(scenario: Scenario, path: str, low: float, high: float) -> tuple[float, float]:
    """``low``, ``high`` moved inside the range the field's own rules allow."""
    lim = param_limits(scenario, path)
    lo_edge = None if lim.low is None else lim.low + (0.01 if lim.low_open else 0.0)
    hi_edge = None if lim.high is None else lim.high - (0.01 if lim.high_open else 0.0)
    out = []
    for x in (low, high):
        x = max(x, lo_edge) if lo_edge is not None else x
        x = min(x, hi_edge) if hi_edge is not None else x
        out.append(round(x, 4))
    return out[0], out[1]


def sweep_levers(scenario: Scenario) -> list[SweepLever]:
    """The levers of ``scenario`` a planner sweeps, with labels in words.

    For each commission component with tiers: the rate of each tier (those starting
    at 100% of quota or above are the accelerators), the threshold and the
    attainment cap; then quota growth (unless the scenario gives the company target
    itself), over-assignment at the rep level, the probability of calibrated quotas
    and, when the scenario has behaviour, the reps' effort elasticity. A plan with
    several commission components names the component in each label.

    Examples
    --------
    >>> levers = sweep_levers(sample_scenario("baseline"))
    >>> [lv.label for lv in levers][:3]
    ['Rate 0% to 100% of quota (x TCR)', 'Accelerator 100% to 150% of quota (x TCR)', 'Accelerator above 150% of quota (x TCR)']
    >>> levers[1].path, levers[1].low, levers[1].high
    ('plan.components[bookings].tiers[1].rate', 1.0, 2.5)
    >>> [lv.path for lv in levers][-2:]
    ['quota.growth', 'quota.over_assignment.rep']
    """  # noqa: E501
    out: list[SweepLever] = []
    commissions = [c for c in scenario.plan.components if isinstance(c, Component)]
    several = len(commissions) > 1

    def add(path: str, label: str, low: float, high: float, unit: str) -> None:
        out.append(SweepLever(path, label, *_inside(scenario, path, low, high), unit))

    for c in commissions:
        where = f"plan.components[{c.name}]"
        tag = f", {c.name}" if several else ""
        basis = "x TCR" if c.rate_basis == "tcr" else "of each unit sold"
        if c.curve is None:
            for i, t in enumerate(c.tiers):
                kind = "Accelerator" if t.start >= 1.0 else "Rate"
                label = f"{kind} {_span(t.start, t.end)} ({basis}{tag})"
                add(f"{where}.tiers[{i}].rate", label, t.rate * 2 / 3, t.rate * 5 / 3, "x")
        th = c.threshold
        add(f"{where}.threshold", f"Threshold: nothing paid below{tag}", th - 0.2, th + 0.2, "pct")
        cap = c.attainment_cap
        low, high = (1.5, 3.0) if cap is None else (max(1.0, cap - 1.0), cap + 1.0)
        add(f"{where}.attainment_cap", f"Attainment cap{tag}", low, high, "pct")
    q = scenario.quota
    if q.target is None:
        add("quota.growth", "Quota growth", q.growth - 0.1, q.growth + 0.1, "pct")
    rep = q.over_assignment.rep
    add("quota.over_assignment.rep", "Over-assignment, rep level", 0.0, max(0.15, 2 * rep), "pct")
    if q.method == "calibrated":
        add("quota.probability", "Calibrated quotas: chance of making quota", 0.4, 0.8, "pct")
    if scenario.behaviour is not None:
        e = scenario.behaviour.effort_elasticity
        add("behaviour.effort_elasticity", "Reps' effort response to pay", 0.0, 2 * e or 0.4, "x")
    return out


def _lever_text(x: Any, unit: str) -> str:
    """A lever's value as it reads: ``8%`` for a fraction, ``1.75`` for a multiple."""
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return "n/a" if isinstance(x, float) else str(x)
    return f"{x * 100:.4g}%" if unit == "pct" else f"{x:.4g}"


def _png(fig: Any) -> Image:
    """A figure as a PNG image (shown by every frontend, whatever the backend)."""
    return Image(data=base64.b64decode(fig_to_base64_png(fig, dpi=_DPI)), format="png")


def _nowrap(table: Any) -> Any:
    """A styled table whose cells do not wrap (a wide one scrolls sideways instead)."""
    return table.set_table_styles([{"selector": "td, th", "props": [("white-space", "nowrap")]}])


def _in_kernel() -> bool:
    """Whether this runs in an IPython kernel (a notebook, Voila), where widgets show."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _whole(value: Any, what: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"{what} must be a whole number of at least {low}, got {value!r}.")
    return int(value)


class _Runs:
    """What every Run shares: the scenario, the book, where runs go, the levers menu,
    the progress bar and the lines saying which run is shown."""

    def __init__(
        self,
        scenario: Scenario | None,
        trials: int | None,
        book: Book | None,
        executor: ExecutorLike,
        workers: int | None,
        scheduler: str | None,
        levers: Sequence[SweepLever] | None,
        figures: bool,
    ) -> None:
        self.scenario = scenario if scenario is not None else sample_scenario("baseline")
        self.book = book if book is not None else load_book_ref(self.scenario.book)
        self.executor, self.workers, self.scheduler = executor, workers, scheduler
        self.figures = figures
        self.levers = list(levers) if levers is not None else sweep_levers(self.scenario)
        n = DEFAULT_TRIALS if trials is None else _whole(trials, "trials")
        self.trials = widgets.BoundedIntText(
            value=n,
            min=1,
            max=10_000_000,
            description="Trials",
            style=_LABEL,
            layout=widgets.Layout(width="250px"),
        )
        self.button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.button.on_click(lambda _b: self.run())
        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description="", layout=widgets.Layout(width="400px")
        )
        self.stage = widgets.Label("")
        self.status = widgets.HTML()
        self.shown = widgets.HTML()
        self.checks_text = widgets.HTML()
        self.checks: list[str] = []
        self.error: str | None = None
        self.runs = 0  # runs started
        self.run_shown = 0  # the run whose results are on screen (0: none)
        self.described = ""  # what that run was
        self.images: list[tuple[str, Image]] = []

    # ---------------------------------------------------------------- levers

    def _lever(self, path: str) -> SweepLever:
        for lv in self.levers:
            if lv.path == path:
                return lv
        param_limits(self.scenario, path)  # a path that does not exist: its message
        lv = SweepLever(path, path, math.nan, math.nan, "x")
        self.levers.append(lv)
        return lv

    def _options(self, blank: bool = False) -> list[tuple[str, str]]:
        options = [(lv.label, lv.path) for lv in self.levers]
        return [("(none)", ""), *options] if blank else options

    def _menu(self, description: str, *, blank: bool = False) -> widgets.Dropdown:
        return widgets.Dropdown(
            options=self._options(blank),
            description=description,
            style=_LABEL,
            layout=widgets.Layout(width=_ROW),
        )

    def _first(self) -> str:
        """The lever picked at the start: the first accelerator, else the first lever."""
        return next(
            (lv.path for lv in self.levers if lv.label.startswith("Accelerator")),
            self.levers[0].path if self.levers else "",
        )

    def use(self, scenario: Scenario, *, book: Book | None = None) -> None:
        """Make the next runs on ``scenario`` (its levers in the menus, a lever picked
        kept when it has one); the results on screen stay, named, until a run replaces
        them.

        Parameters
        ----------
        scenario : Scenario
        book : Book, optional
            Its loaded book (default: loaded from ``scenario.book``).
        """
        self.scenario = scenario
        self.book = book if book is not None else load_book_ref(scenario.book)
        self.levers = sweep_levers(scenario)
        for menu in self._menus():
            keep, blank = menu.value, menu.options[0][1] == ""
            menu.options = self._options(blank)
            paths = [p for _label, p in menu.options]
            menu.value = keep if keep in paths else ("" if blank else self._first())

    def _menus(self) -> list[widgets.Dropdown]:  # pragma: no cover - each subclass has its own
        raise NotImplementedError

    def _where(self) -> str:
        ex = self.executor if self.executor is not None or not self.scheduler else "dask"
        name = executor_name(ex)
        return f"seed {self.scenario.seed}, on {name}"

    # ---------------------------------------------------------------- running

    def run(self) -> bool:  # pragma: no cover - each subclass runs its own
        raise NotImplementedError

    @contextmanager
    def _watch(self) -> Iterator[Callable[[], list[str]]]:
        """Collect the plausibility warnings of a run (shown beside its results, not
        printed to the notebook's error stream); other warnings go on as they were."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PlausibilityWarning)
            yield lambda: list(
                dict.fromkeys(
                    str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)
                )
            )
        for w in caught:
            if not issubclass(w.category, PlausibilityWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def _say_checks(self, checks: list[str]) -> None:
        self.checks = checks
        items = "".join(f"<li>{html.escape(c)}</li>" for c in checks)
        self.checks_text.value = (
            no_maths(
                "<div style='background:#fff4e5;border-left:5px solid #e08e00;padding:4px 10px'>"
                f"<b>Check before deciding:</b><ul style='margin:2px 0'>{items}</ul></div>"
            )
            if checks
            else ""
        )

    def _step(self, text: str, value: int | None = None, total: int | None = None) -> None:
        if total is not None:
            self.progress.max = max(total, 1)
        self.progress.value = self.progress.value + 1 if value is None else value
        self.stage.value = text

    def _busy(self, on: bool) -> None:
        self.button.disabled = on
        if on:
            self.progress.bar_style = "info"
            self.status.value = f"<i>Run {self.runs}: running...</i>"

    def _fail(self, exc: Exception, what: str, hint: str = "") -> None:
        """Say why run :attr:`runs` failed; the last good run stays on screen, named."""
        self.error = str(exc) + (f" {hint}" if hint else "")
        self.progress.bar_style = "danger"
        self.stage.value = "failed"
        kept = (
            f" The results below are still those of run {self.run_shown}."
            if self.run_shown
            else " Nothing is shown until a run succeeds."
        )
        text = f"<b>Run {self.runs} could not {what}:</b> {html.escape(self.error)}"
        self.status.value = no_maths(f"<span style='{_RED}'>{text}{html.escape(kept)}</span>")
        self._say_shown()

    def _done(self, described: str, seconds: float) -> None:
        self.error = None
        self.run_shown = self.runs
        self.described = f"{described} ({seconds:.1f} s)"
        self.progress.value = self.progress.max
        self.progress.bar_style = "success"
        self.stage.value = "done"
        self.status.value = ""
        self._say_shown()

    def _say_shown(self) -> None:
        if not self.run_shown:
            self.shown.value = ""
            return
        still = " (the last run that succeeded)" if self.run_shown != self.runs else ""
        self.shown.value = no_maths(
            f"<b>Showing run {self.run_shown}{still}:</b> {html.escape(self.described)}"
        )

    def _display(self, out: widgets.Output, *items: Any) -> None:
        """Replace what ``out`` shows (in a kernel: elsewhere nothing is drawn)."""
        if not _in_kernel():
            return
        out.clear_output(wait=True)
        with out:
            for item in items:
                display(item)

    def _ipython_display_(self) -> None:
        display(self.widget)  # type: ignore[attr-defined]
