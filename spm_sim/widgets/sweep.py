"""Sweeps and goal-seek in a notebook: the plan's levers over a range, and the value
of one lever that meets a target.

Re-exported by :mod:`spm_sim.widgets`. Each press of *Run* is three steps: widget
values -> the library's call (:func:`spm_sim.sweep.sweep` over a grid of one or two
levers, or :func:`spm_sim.sweep.calibrate_plan` for a target) -> the figures of
:mod:`spm_sim.viz.sweep` and a table in money and percentages.

* :class:`SweepExplorer`: one or two levers from/to/steps, trials, the metrics to
  draw; shows each metric against the lever with its interval band, the frontier of
  incentive cost against the share of reps at quota (or the chance of the company
  target), and every scenario's figures with their intervals and paired
  differences to the base.
* :class:`GoalSeeker`: a lever, a target ("6M" of incentive cost, "60%" of reps at
  quota) and optional bounds; shows the answer with its interval, the figure
  achieved with its interval, the evaluations and the search's figure. A target
  out of reach shows the library's message, with the metric's range.

The levers offered are the scenario's own (:func:`sweep_levers`): the rate of each
tier, the threshold and attainment cap of each commission component, quota growth,
over-assignment, the calibrated quotas' probability and, when reps respond to the
plan, their effort elasticity. Every variant runs on the scenario's seed and book
(common random numbers). A run that fails keeps the last good run on screen and
says so; the line above the results names the run they come from.
"""

from __future__ import annotations

import base64
import html
import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import ipywidgets as widgets
import pandas as pd
from IPython.display import Image, display

from spm_sim._format import format_money, format_pct, no_maths
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import Component
from spm_sim.errors import InfeasibleError, PlausibilityWarning, SpecError, SpmSimError
from spm_sim.parallel import ExecutorLike, executor_name
from spm_sim.scenario import Scenario, sample_scenario
from spm_sim.sweep import (
    BASE,
    SWEEP_METRICS,
    Calibration,
    calibrate_plan,
    frontier,
    param_limits,
    parse_target,
    sweep,
)
from spm_sim.viz.results import fig_to_base64_png
from spm_sim.viz.style import pct_axis, safe_label
from spm_sim.viz.sweep import calibration_figure, frontier_figure, sweep_figure
from spm_sim.viz.tables import money_table

__all__ = ["SweepExplorer", "GoalSeeker", "SweepLever", "sweep_levers", "GOALS"]

#: Trials per scenario of a sweep, and per evaluation of a goal-seek, by default.
DEFAULT_TRIALS = 500
#: The metrics a sweep draws unless told otherwise (the frontier's are always run).
DRAWN = ("incentive_cost", "cost_of_sales", "share_at_quota", "p_company_target")
#: What the frontier weighs the incentive cost against: label -> metric.
BENEFITS = {
    "share of reps at quota": "share_at_quota",
    "chance of the company target": "p_company_target",
}
#: The targets a goal-seek offers: ``metric.statistic`` -> label.
GOALS = {
    "incentive_cost.mean": "Incentive cost, mean",
    "incentive_cost.p90": "Incentive cost, P90 (a bad year)",
    "cost_of_sales.mean": "Compensation cost of sales",
    "incentive_cost_of_sales.mean": "Incentive cost of sales",
    "share_at_quota.mean": "Share of reps at quota",
    "p_company_target.mean": "Chance of reaching the company target",
}
#: Resolution of the figures (screen, not print).
_DPI = 90
_LABEL = {"description_width": "150px"}
_ROW = "640px"
_RED = "color:#b00;white-space:pre-wrap"


def _goal_label(metric: str, statistic: str) -> str:
    """How the goal-seek names a target's metric and statistic.

    >>> _goal_label("incentive_cost", "p90"), _goal_label("company_bookings", "p50")
    ('Incentive cost, P90 (a bad year)', 'Company bookings, P50')
    """
    key = f"{metric}.{statistic}"
    if key in GOALS:
        return GOALS[key]
    label = SWEEP_METRICS[metric].label.split(" (")[0]
    return label + ("" if statistic == "mean" else f", {statistic.upper()}")


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


def _figure_text(x: float, unit: str, currency: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    return format_money(x, currency=currency) if unit == "$" else format_pct(x)


def _diff_text(x: float, unit: str, currency: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    if unit == "$":
        return format_money(x, currency=currency, sign=True)
    return f"{x * 100:+.2f} pp"


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


def _number(text: str, what: str) -> float | None:
    """A number typed in a box (``0.5``, ``50%``, ``1,000``), or None when blank."""
    raw = str(text).strip().replace(",", "")
    if not raw:
        return None
    scale = 0.01 if raw.endswith("%") else 1.0
    try:
        x = float(raw.rstrip("%")) * scale
    except ValueError:
        raise SpecError(f"{what}: {text!r} is not a number; write e.g. 1.5 or 50%.") from None
    if not math.isfinite(x):
        raise SpecError(f"{what}: {text!r} is not a finite number.")
    return x


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


class SweepExplorer(_Runs):
    """Sweep one or two levers of a scenario; each metric against them with its band.

    Parameters
    ----------
    scenario : Scenario, optional
        The base (default: the sample's ``baseline``); every variant runs on its
        seed and book, so every difference to it is paired trial by trial.
    param, param2 : str, optional
        The levers at the start, by parameter path (default: the first accelerator;
        no second lever). Any path :func:`spm_sim.sweep.get_param` reads may be
        given; one not among :func:`sweep_levers` joins the menu under its path.
    start, stop, steps, start2, stop2, steps2 : optional
        Their ranges (default: the lever's range of :func:`sweep_levers`, 5 and 3
        steps).
    trials : int, optional
        Trials per scenario (default :data:`DEFAULT_TRIALS`, 500).
    metrics : sequence of str, optional
        The metrics drawn (default :data:`DRAWN`); the sweep also runs incentive cost,
        the share of reps at quota and the chance of the company target for the
        frontier.
    book : Book, optional
        An already loaded book (default: loaded once from ``scenario.book``).
    executor, workers, scheduler
        Where the trials run (:mod:`spm_sim.parallel`; default serial): ``"processes"``,
        ``"dask"`` (a local cluster started for each run) or an executor object such as
        a ``distributed.Client`` (kept between runs). The numbers do not depend on it.
    levers : sequence of SweepLever, optional
        The menu (default :func:`sweep_levers` of the scenario).
    figures : bool, default True
        Draw the figures (False skips them, e.g. in quick tests).
    run : bool, default True
        Run once at the start.

    Attributes
    ----------
    param, param2 : ipywidgets.Dropdown
        The levers (``param2`` ``""``: none); changing one puts its range in the boxes.
    start, stop, steps, start2, stop2, steps2 : ipywidgets widgets
        The ranges: ``steps`` values from ``start`` to ``stop``, both included.
    trials : ipywidgets.BoundedIntText
    metrics : dict of str -> ipywidgets.Checkbox
        One box per metric of :data:`spm_sim.sweep.SWEEP_METRICS`: the ones drawn.
    cost_stat, benefit : ipywidgets.Dropdown
        Incentive cost as its mean or P90 (figure and frontier); the frontier's
        benefit. Changing them redraws without running again.
    button : ipywidgets.Button
        *Run*: :meth:`run`.
    progress : ipywidgets.IntProgress
        Its steps: check the settings, simulate, each figure, the frontier (``stage``,
        a label beside it, names the step).
    result, front : DataFrame or None
        The last successful :func:`~spm_sim.sweep.sweep` and its
        :func:`~spm_sim.sweep.frontier` (kept when a later run fails).
    runs, run_shown : int
        Runs started; the run the results come from.
    shown, status : ipywidgets.HTML
        Which run the results come from (and what it was); why the last run failed.
    error : str or None
        Why the last run failed (None after a good one).
    images : list of (str, IPython.display.Image)
        The figures of the run shown, by name (``sweep_<metric>``, ``frontier``).
    checks : list of str
        The plausibility warnings of the run shown (a value its spec finds unlikely),
        shown in words in ``checks_text`` rather than printed; under
        :func:`spm_sim.errors.strict_checks` they fail the run instead.

    Notes
    -----
    :meth:`use` points the next runs at another scenario (the app's current one).

    Examples
    --------
    >>> x = SweepExplorer(trials=50, steps=3, metrics=["incentive_cost"], figures=False)
    >>> x.result["scenario"].unique().tolist()
    ['base', 'rate=1', 'rate=1.75', 'rate=2.5']
    >>> x.table().columns[:2].tolist()
    ['Accelerator 100% to 150% of quota (x TCR)', 'Incentive cost (95% interval)']
    >>> x.widget  # in a notebook: the controls, the run shown, the figures  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        param: str | None = None,
        start: float | None = None,
        stop: float | None = None,
        steps: int = 5,
        param2: str | None = None,
        start2: float | None = None,
        stop2: float | None = None,
        steps2: int = 3,
        trials: int | None = None,
        metrics: Sequence[str] | None = None,
        book: Book | None = None,
        executor: ExecutorLike = None,
        workers: int | None = None,
        scheduler: str | None = None,
        levers: Sequence[SweepLever] | None = None,
        figures: bool = True,
        run: bool = True,
    ) -> None:
        super().__init__(scenario, trials, book, executor, workers, scheduler, levers, figures)
        first = param or self._first()
        for p in (first, param2):
            if p:
                self._lever(p)
        self.param = self._menu("Lever")
        self.param2 = self._menu("Second lever", blank=True)

        def box(description: str) -> dict[str, Any]:
            style = {"description_width": "50px"}
            return {"description": description, "style": style, "layout": {"width": "180px"}}

        self.start, self.stop = widgets.FloatText(**box("from")), widgets.FloatText(**box("to"))
        self.steps = widgets.BoundedIntText(value=2, min=2, max=50, **box("steps"))
        self.start2, self.stop2 = widgets.FloatText(**box("from")), widgets.FloatText(**box("to"))
        self.steps2 = widgets.BoundedIntText(value=2, min=2, max=50, **box("steps"))
        self.param.observe(lambda c: self._fill(c["new"], 1), names="value")
        self.param2.observe(lambda c: self._fill(c["new"], 2), names="value")
        self.param.value, self.param2.value = first, param2 or ""
        self._fill(self.param.value, 1)
        self._fill(self.param2.value, 2)
        for box_, v in (
            (self.start, start),
            (self.stop, stop),
            (self.start2, start2),
            (self.stop2, stop2),
        ):
            if v is not None:
                box_.value = float(v)
        self.steps.value = _whole(steps, "steps", 2)
        self.steps2.value = _whole(steps2, "steps2", 2)
        drawn = set(DRAWN if metrics is None else metrics)
        unknown = sorted(drawn - set(SWEEP_METRICS))
        if unknown:
            raise SpecError(
                f"SweepExplorer: unknown metric(s) {', '.join(unknown)}; the metrics: "
                f"{', '.join(SWEEP_METRICS)}."
            )
        self.metrics = {
            m: widgets.Checkbox(
                value=m in drawn,
                description=SWEEP_METRICS[m].label.split(" (")[0],
                indent=False,
                layout=widgets.Layout(width="max-content", margin="0 18px 0 0"),
            )
            for m in SWEEP_METRICS
        }
        self.cost_stat = widgets.Dropdown(
            options=[("mean", "mean"), ("P90 (a bad year)", "p90")],
            description="Incentive cost as",
            style=_LABEL,
            layout=widgets.Layout(width="330px"),
        )
        self.benefit = widgets.Dropdown(
            options=list(BENEFITS.items()),
            description="Frontier against",
            style=_LABEL,
            layout=widgets.Layout(width="420px"),
        )
        self.cost_stat.observe(lambda _c: self._redraw(), names="value")
        self.benefit.observe(lambda _c: self._redraw(), names="value")
        self.result: pd.DataFrame | None = None
        self.front: pd.DataFrame | None = None
        self._labels: dict[str, str] = {}
        self.table_out = widgets.Output(layout=widgets.Layout(overflow="auto"))
        self.figures_out = widgets.Output()
        self.widget = self._layout()
        if run:
            self.run()

    def _menus(self) -> list[widgets.Dropdown]:
        return [self.param, self.param2]

    def _fill(self, path: str, which: int) -> None:
        """Put a lever's range in its boxes (nothing for no lever or an unknown one)."""
        lv = next((lv for lv in self.levers if lv.path == path), None)
        start, stop = (self.start, self.stop) if which == 1 else (self.start2, self.stop2)
        if lv is not None and math.isfinite(lv.low):
            start.value, stop.value = lv.low, lv.high
        for w in (start, stop, self.steps if which == 1 else self.steps2):
            w.disabled = not path

    def _layout(self) -> widgets.Widget:
        ticks = widgets.HBox(
            list(self.metrics.values()), layout=widgets.Layout(flex_flow="row wrap")
        )
        return widgets.VBox(
            [
                widgets.HTML(
                    "<b>Sweep</b>: pick a lever (and a second one if you like), its range and "
                    "the trials, and press <i>Run</i>. Every scenario is simulated on the "
                    "same sales draws as the base, so each difference to the base comes "
                    "from the lever, not from luck in the draws."
                ),
                self.param,
                widgets.HBox([self.start, self.stop, self.steps]),
                self.param2,
                widgets.HBox([self.start2, self.stop2, self.steps2]),
                self.trials,
                widgets.HTML("Metrics to draw:"),
                ticks,
                widgets.HBox([self.cost_stat, self.benefit]),
                widgets.HBox([self.button, self.progress, self.stage]),
                self.status,
                self.shown,
                self.checks_text,
                self.figures_out,
                self.table_out,
            ]
        )

    # ---------------------------------------------------------------- inputs

    def changes(self) -> dict[str, dict[str, Any]]:
        """The grid the boxes say: path -> ``{"from", "to", "steps"}`` (one or two levers).

        Raises
        ------
        SpecError
            No lever, the same lever twice, or a range that is not two numbers.
        """
        if not self.param.value:
            raise SpecError("pick a lever to sweep.")
        grid = {self.param.value: self._range(self.start, self.stop, self.steps)}
        if self.param2.value:
            if self.param2.value == self.param.value:
                raise SpecError("the second lever is the first one again: pick another, or (none).")
            grid[self.param2.value] = self._range(self.start2, self.stop2, self.steps2)
        return grid

    @staticmethod
    def _range(start: Any, stop: Any, steps: Any) -> dict[str, Any]:
        a, b = float(start.value), float(stop.value)
        if not (math.isfinite(a) and math.isfinite(b)):
            raise SpecError(f"the range {a} to {b} is not two finite numbers.")
        return {"from": a, "to": b, "steps": int(steps.value)}

    def metric_names(self) -> list[str]:
        """The metrics the sweep runs: those ticked and the frontier's, in the library's
        order.

        Raises
        ------
        SpecError
            No metric ticked.
        """
        ticked = [m for m, box in self.metrics.items() if box.value]
        if not ticked:
            raise SpecError("tick at least one metric to draw.")
        needed = {*ticked, "incentive_cost", *BENEFITS.values()}
        return [m for m in SWEEP_METRICS if m in needed]

    # ---------------------------------------------------------------- running

    def run(self) -> bool:
        """Run the sweep the controls say and show it (what *Run* calls).

        Returns
        -------
        bool
            Whether it ran; when not, :attr:`status` says why and the last good run
            stays on screen (:attr:`shown` names it).
        """
        self.runs += 1
        self._busy(True)
        started = time.perf_counter()
        try:
            self._step("checking the settings", 0, 3)
            changes, names = self.changes(), self.metric_names()
            n = _whole(self.trials.value, "trials")
            drawn = [m for m in names if self.metrics[m].value]
            self._step(f"simulating ({n:,} trials a scenario)", 1, 3 + len(drawn))
            with self._watch() as checks:
                table = sweep(
                    self.scenario,
                    changes,
                    n,
                    book=self.book,
                    metrics=names,
                    executor=self.executor,
                    workers=self.workers,
                    scheduler=self.scheduler,
                )
            labels = {p: self._lever(p).label for p in changes}
            front = frontier(
                table, "incentive_cost", self.benefit.value, statistic=self.cost_stat.value
            )
            images = self._draw(table, front, labels) if self.figures else []
        except (SpmSimError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            self._fail(exc, "run")
            return False
        finally:
            self._busy(False)
        self.result, self.front, self._labels, self.images = table, front, labels, images
        self._say_checks(checks())
        scenarios = table["scenario"].nunique()
        ranges = "; ".join(
            f"{labels[p]} from {_lever_text(r['from'], self._lever(p).unit)} to "
            f"{_lever_text(r['to'], self._lever(p).unit)} in {r['steps']} steps"
            for p, r in changes.items()
        )
        self._done(
            f"{ranges}: {scenarios} scenarios (the base first) x {n:,} trials of "
            f"{self.scenario.name}, {self._where()}",
            time.perf_counter() - started,
        )
        self._show()
        return True

    def _draw(
        self, table: pd.DataFrame, front: pd.DataFrame, labels: dict[str, str]
    ) -> list[tuple[str, Image]]:
        """The figure of each metric ticked, then the frontier, as images (the axes
        name the levers in words)."""
        view = table.copy(deep=False)
        view.attrs = {**table.attrs, "parameters": dict(labels)}
        first = next(iter(labels))
        out = []
        for m in table.attrs["metrics"]:
            if not self.metrics[m].value:
                continue
            stat = self.cost_stat.value if m == "incentive_cost" else "mean"
            self._step(f"drawing {SWEEP_METRICS[m].label.split(' (')[0].lower()}")
            out.append((f"sweep_{m}", _png(sweep_figure(view, m, first, statistic=stat))))
        self._step("drawing the frontier")
        out.append(
            ("frontier", _png(frontier_figure(front, "incentive_cost", front.attrs["benefit"])))
        )
        return out

    def _redraw(self) -> None:
        """The frontier and figures again after the cost or benefit menu moved (no run)."""
        if self.result is None:
            return
        self.front = frontier(
            self.result, "incentive_cost", self.benefit.value, statistic=self.cost_stat.value
        )
        if self.figures:
            self.images = self._draw(self.result, self.front, self._labels)
            self.stage.value = "redrawn"
        self._show()

    def _show(self) -> None:
        self._display(self.figures_out, *(image for _name, image in self.images))
        self._display(self.table_out, _nowrap(money_table(self.table(), index=False)))

    # ---------------------------------------------------------------- showing

    def table(self) -> pd.DataFrame:
        """The run shown, one row per scenario, in words: each lever's value, each
        metric's mean with its interval and its paired difference to the base (left
        out for a metric no scenario changes); incentive cost also at P90.

        Money reads as money (``$6.02M``), shares as percentages, differences of shares
        in percentage points; no number in scientific notation.
        """
        if self.result is None:
            return pd.DataFrame()
        t = self.result
        level = t.attrs.get("level", 0.95)
        currency = t.attrs.get("currency", "USD")
        rows = t[
            t["statistic"].eq("mean")
            | (t["metric"].eq("incentive_cost") & t["statistic"].eq("p90"))
        ]
        columns: dict[str, list[str]] = {"scenario": list(dict.fromkeys(t["scenario"]))}
        order = {s: i for i, s in enumerate(columns["scenario"])}
        for p, label in self._labels.items():
            values = t.drop_duplicates("scenario").set_index("scenario")[p]
            columns[label] = [_lever_text(values[s], self._lever(p).unit) for s in order]
        for (m, stat), part in rows.groupby(["metric", "statistic"], sort=False):
            unit = SWEEP_METRICS[m].unit
            name = SWEEP_METRICS[m].label.split(" (")[0] + ("" if stat == "mean" else ", P90")
            part = part.set_index("scenario").loc[columns["scenario"]]
            columns[f"{name} ({level:.0%} interval)"] = [
                _figure_text(r.value, unit, currency)
                + (
                    f" ({_figure_text(r.low, unit, currency)} to "
                    f"{_figure_text(r.high, unit, currency)})"
                    if math.isfinite(r.low) and math.isfinite(r.high)
                    else ""
                )
                for r in part.itertuples()
            ]
            if (part["diff_vs_base"].fillna(1.0) != 0).any():
                columns[f"{name}, vs base"] = [
                    "(base)"
                    if s == BASE
                    else "same"
                    if r.diff_vs_base == 0 and r.diff_low == 0 and r.diff_high == 0
                    else _diff_text(r.diff_vs_base, unit, currency)
                    + (
                        f" ({_diff_text(r.diff_low, unit, currency)} to "
                        f"{_diff_text(r.diff_high, unit, currency)})"
                        if math.isfinite(r.diff_low) and math.isfinite(r.diff_high)
                        else ""
                    )
                    for s, r in zip(part.index, part.itertuples(), strict=True)
                ]
        out = pd.DataFrame(columns)
        return out.drop(columns="scenario") if self._labels else out


class GoalSeeker(_Runs):
    """The value of one lever that meets a target, with the interval of the answer.

    Parameters
    ----------
    scenario : Scenario, optional
        The base (default: the sample's ``baseline``); every value tried is paid on
        the same simulated trials (common random numbers).
    param : str, optional
        The lever at the start, by parameter path (default: the first accelerator).
    target : str, optional
        The target at the start, as :func:`spm_sim.sweep.parse_target` reads it
        (``"incentive_cost.mean=6M"``, ``"share_at_quota=60%"``). Given, the seeker
        runs at once (unless ``run=False``); without it, type a value and press Run.
    bounds : (float, float), optional
        The range to search (default: outward from the lever's value, within what
        its field allows).
    trials : int, optional
        Trials per evaluation (default :data:`DEFAULT_TRIALS`, 500).
    book, executor, workers, scheduler, levers, figures
        As :class:`SweepExplorer`.
    run : bool, default True
        Run at the start when a target is given.

    Attributes
    ----------
    param : ipywidgets.Dropdown
    metric : ipywidgets.Dropdown
        The target's metric and statistic (:data:`GOALS`).
    value : ipywidgets.Text
        The target's value as typed: ``6M``, ``$6,000,000``, ``9%``, ``0.6``.
    low, high : ipywidgets.Text
        The bounds (blank: search outward from the lever's value).
    answer : Calibration or None
        The last successful :func:`~spm_sim.sweep.calibrate_plan` (kept when a later
        run fails or the target is out of reach).
    answer_text : ipywidgets.HTML
        The answer in words: the value and its interval, the figure achieved and its
        interval, the evaluations, the library's notes.
    status, shown, error, runs, run_shown, images, checks
        As :class:`SweepExplorer` (``images``: ``calibration``, the search).

    Examples
    --------
    >>> g = GoalSeeker(target="incentive_cost.mean=6M", trials=60, figures=False)
    >>> g.error is None, g.answer.converged, g.answer.target.value
    (True, True, 6000000.0)
    >>> g.evaluations().columns.tolist()[:2]
    ['round', 'Accelerator 100% to 150% of quota (x TCR)']
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        param: str | None = None,
        target: str | None = None,
        bounds: tuple[float, float] | None = None,
        trials: int | None = None,
        book: Book | None = None,
        executor: ExecutorLike = None,
        workers: int | None = None,
        scheduler: str | None = None,
        levers: Sequence[SweepLever] | None = None,
        figures: bool = True,
        run: bool = True,
    ) -> None:
        super().__init__(scenario, trials, book, executor, workers, scheduler, levers, figures)
        first = param or self._first()
        if first:
            self._lever(first)
        self.param = self._menu("Lever")
        self.param.value = first
        goals = dict(GOALS)
        metric, value = "incentive_cost.mean", ""
        if target is not None:
            t = parse_target(target)
            metric, value = f"{t.metric}.{t.statistic}", target.partition("=")[2].strip()
            goals.setdefault(metric, _goal_label(t.metric, t.statistic))
        self.metric = widgets.Dropdown(
            options=[(label, key) for key, label in goals.items()],
            value=metric,
            description="Target",
            style=_LABEL,
            layout=widgets.Layout(width="480px"),
        )
        self.value = widgets.Text(
            value=value,
            description="equal to",
            placeholder="e.g. 6M",
            style={"description_width": "70px"},
            layout=widgets.Layout(width="220px"),
        )
        self.metric.observe(lambda _c: self._placeholder(), names="value")
        self._placeholder()
        lo, hi = ("", "") if bounds is None else (str(bounds[0]), str(bounds[1]))
        box = {"style": {"description_width": "180px"}, "layout": widgets.Layout(width="330px")}
        self.low = widgets.Text(value=lo, description="Search from (optional)", **box)
        self.high = widgets.Text(
            value=hi,
            description="to",
            style={"description_width": "30px"},
            layout=widgets.Layout(width="180px"),
        )
        self.answer: Calibration | None = None
        self.answer_text = widgets.HTML()
        self.figure_out = widgets.Output()
        self.table_out = widgets.Output(layout=widgets.Layout(overflow="auto"))
        self.widget = self._layout()
        if run and target is not None:
            self.run()

    def _menus(self) -> list[widgets.Dropdown]:
        return [self.param]

    def _placeholder(self) -> None:
        money = SWEEP_METRICS[self.metric.value.split(".")[0]].unit == "$"
        self.value.placeholder = "e.g. 6M" if money else "e.g. 60%"

    def _layout(self) -> widgets.Widget:
        return widgets.VBox(
            [
                widgets.HTML(
                    "<b>Goal-seek</b>: pick a lever and a target, and press <i>Run</i>. "
                    "Every value tried is paid on the same simulated years, so the figure "
                    "moves smoothly with the lever; the answer comes with its interval "
                    "(the values whose figure's interval holds the target)."
                ),
                self.param,
                widgets.HBox([self.metric, self.value]),
                widgets.HBox([self.low, self.high]),
                self.trials,
                widgets.HBox([self.button, self.progress, self.stage]),
                self.status,
                self.shown,
                self.checks_text,
                self.answer_text,
                self.figure_out,
                self.table_out,
            ]
        )

    # ---------------------------------------------------------------- inputs

    def target_text(self) -> str:
        """The target as :func:`spm_sim.sweep.parse_target` reads it, e.g.
        ``incentive_cost.mean=6M``.

        Raises
        ------
        SpecError
            No value typed.
        """
        if not self.value.value.strip():
            raise SpecError(
                f"type the target's value next to {self.metric.label!r}, {self.value.placeholder}."
            )
        return f"{self.metric.value}={self.value.value.strip()}"

    def bounds(self) -> tuple[float, float] | None:
        """The bounds typed (None when both are blank).

        Raises
        ------
        SpecError
            One bound without the other, or text that is not a number.
        """
        lo = _number(self.low.value, "search from")
        hi = _number(self.high.value, "search to")
        if lo is None and hi is None:
            return None
        if lo is None or hi is None:
            raise SpecError(
                "give both ends of the search (from and to), or leave both blank to search "
                "outward from the lever's value."
            )
        return lo, hi

    # ---------------------------------------------------------------- running

    def run(self) -> bool:
        """Seek the target the controls say and show the answer (what *Run* calls).

        Returns
        -------
        bool
            Whether an answer was found; when not (a bad value, a target out of
            reach), :attr:`status` gives the library's message and the last answer
            stays on screen (:attr:`shown` names its run).
        """
        self.runs += 1
        self._busy(True)
        started = time.perf_counter()
        try:
            self._step("checking the settings", 0, 3)
            target, bounds = parse_target(self.target_text()), self.bounds()
            n = _whole(self.trials.value, "trials")
            path = self.param.value
            if not path:
                raise SpecError("pick a lever to move.")
            self._step(f"searching ({n:,} trials a value)", 1)
            with self._watch() as checks:
                answer = calibrate_plan(
                    self.scenario,
                    path,
                    target,
                    bounds=bounds,
                    trials=n,
                    book=self.book,
                    executor=self.executor,
                    workers=self.workers,
                    scheduler=self.scheduler,
                )
            self._step("drawing the search")
            images = [("calibration", self._search_png(answer))] if self.figures else []
        except (SpmSimError, ValueError) as exc:
            self._fail(exc, "find an answer", self._hint(exc))
            return False
        finally:
            self._busy(False)
        self.answer, self.images = answer, images
        self._say_checks(checks())
        lever = self._lever(path)
        self._done(
            f"{lever.label} for {answer.target.text(answer.currency)}, {n:,} trials of "
            f"{self.scenario.name} per value, {self._where()}",
            time.perf_counter() - started,
        )
        self.answer_text.value = no_maths(self.words())
        self._display(self.figure_out, *(image for _name, image in self.images))
        self._display(self.table_out, self.evaluations_table())
        return True

    def _search_png(self, answer: Calibration) -> Image:
        """The search's figure, its lever named in words (percentages as percentages)."""
        fig = calibration_figure(answer)
        lever = self._lever(answer.param)
        ax = fig.axes[0]
        ax.set_xlabel(safe_label(lever.label))
        ax.set_title(safe_label(f"Goal-seek: {lever.label}"))
        for line in ax.lines:
            if line.get_gid() == "answer":
                line.set_label(f"answer: {_lever_text(answer.value, lever.unit)}")
        ax.legend(loc="best", fontsize=7.5)
        if lever.unit == "pct":
            pct_axis(ax, "x")
        return _png(fig)

    def _hint(self, exc: Exception) -> str:
        """What to try when a plan lever cannot move a figure of the sales at all."""
        metric = self.metric.value.split(".")[0]
        if not (
            isinstance(exc, InfeasibleError)
            and str(self.param.value).startswith("plan.")
            and metric in ("share_at_quota", "p_company_target", "company_bookings")
            and self.scenario.behaviour is None
        ):
            return ""
        return (
            "A plan lever changes the pay, not the sales, while reps do not respond to the "
            "plan: the share of reps at quota and the chance of the company target move "
            "with the quota levers (growth, over-assignment) instead."
        )

    # ---------------------------------------------------------------- showing

    def words(self) -> str:
        """The answer shown (HTML): the value and its interval, the figure achieved and
        its interval, the evaluations and the library's notes ("" before an answer)."""
        a = self.answer
        if a is None:
            return ""
        lever = self._lever(a.param)
        unit, currency = a.target.unit, a.currency

        def v(x: float) -> str:
            return _lever_text(x, lever.unit) if math.isfinite(x) else "beyond the values tried"

        level = a.evaluations.attrs.get("level", 0.95)
        got = a.achieved
        lines = [
            f"<b>{html.escape(lever.label)} = {v(a.value)}</b> ({level:.0%} interval of the "
            f"answer: {v(a.low)} to {v(a.high)}"
            + (f"; now {v(a.start)}" if a.start is not None else "")
            + ")",
            f"Achieved: {html.escape(_goal_label(a.target.metric, a.target.statistic))}"
            f" {_figure_text(got.estimate, unit, currency)} ({level:.0%} interval "
            f"{_figure_text(got.low, unit, currency)} to {_figure_text(got.high, unit, currency)})"
            f"; target {_figure_text(a.target.value, unit, currency)}",
            f"{a.n_evaluations} evaluations, "
            + ("converged" if a.converged else "<b>not converged</b> (the most evaluations ran)")
            + ("" if a.monotone else "; the figure is not monotone over the values tried"),
            *(f"Note: {html.escape(n)}" for n in a.notes),
        ]
        return "<br>".join(lines)

    def evaluations(self) -> pd.DataFrame:
        """Every value tried of the answer shown (numbers): ``round``, the lever, the
        figure with its interval, its gap to the target and the note of a value the
        spec refused; sorted by the lever's value."""
        a = self.answer
        if a is None:
            return pd.DataFrame()
        label = self._lever(a.param).label
        figure = _goal_label(a.target.metric, a.target.statistic)
        ev = a.evaluations.sort_values("value", kind="stable")
        return pd.DataFrame(
            {
                "round": ev["round"].to_numpy(),
                label: ev["value"].to_numpy(float),
                figure: ev["estimate"].to_numpy(float),
                "low": ev["low"].to_numpy(float),
                "high": ev["high"].to_numpy(float),
                "vs target": ev["gap"].to_numpy(float),
                "note": ev["note"].to_numpy(),
            }
        )

    def evaluations_table(self) -> Any:
        """:meth:`evaluations` for reading (:func:`spm_sim.viz.tables.money_table`)."""
        frame = self.evaluations()
        if self.answer is None:
            return money_table(frame)
        a = self.answer
        lever = self._lever(a.param)
        cols = list(frame.columns)
        figures = cols[2:5]
        percent = [cols[1]] if lever.unit == "pct" else []
        money = figures if a.target.unit == "$" else []
        percent += [] if money else figures
        frame = frame.assign(
            **{"vs target": [_diff_text(g, a.target.unit, a.currency) for g in frame["vs target"]]}
        )
        return _nowrap(
            money_table(
                frame,
                money=money,
                percent=percent,
                currency=a.currency,
                index=False,
                caption="The values tried, by the lever's value",
            )
        )
