"""Goal-seek in a notebook: the value of one lever that meets a target.

Re-exported by :mod:`spm_sim.widgets`. Each press of *Run* is three steps: widget
values -> :func:`spm_sim.sweep.calibrate_plan` -> the search's figure
(:func:`spm_sim.viz.sweep.calibration_figure`) and the answer in words.

:class:`GoalSeeker`: a lever, a target ("6M" of incentive cost, "60%" of reps at
quota) and optional bounds; shows the answer with its interval, the figure achieved
with its interval, the evaluations and the search's figure. A target out of reach
shows the library's message, with the metric's range. The levers and the run's
progress and status lines are those of :mod:`spm_sim.widgets.runs`.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import Image

from spm_sim._format import format_change, format_value, no_maths
from spm_sim.book import Book
from spm_sim.errors import InfeasibleError, SpecError, SpmSimError
from spm_sim.parallel import ExecutorLike
from spm_sim.scenario import Scenario
from spm_sim.sweep import SWEEP_METRICS, Calibration, calibrate_plan, parse_target
from spm_sim.viz.style import pct_axis, safe_label
from spm_sim.viz.sweep import calibration_figure
from spm_sim.viz.tables import money_table

from .runs import (
    _LABEL,
    SweepLever,
    _lever_text,
    _nowrap,
    _png,
    _Runs,
    _whole,
)

__all__ = ["GoalSeeker", "GOALS"]

#: The targets a goal-seek offers: ``metric.statistic`` -> label.
GOALS = {
    "incentive_cost.mean": "Incentive cost, mean",
    "incentive_cost.p90": "Incentive cost, P90 (a bad year)",
    "cost_of_sales.mean": "Compensation cost of sales",
    "incentive_cost_of_sales.mean": "Incentive cost of sales",
    "share_at_quota.mean": "Share of reps at quota",
    "p_company_target.mean": "Chance of reaching the company target",
}


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
        Trials per evaluation (default :data:`~spm_sim.widgets.runs.DEFAULT_TRIALS`, 500).
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
            f" {format_value(got.estimate, unit, currency)} ({level:.0%} interval "
            f"{format_value(got.low, unit, currency)} to {format_value(got.high, unit, currency)})"
            f"; target {format_value(a.target.value, unit, currency)}",
            f"{a.n_evaluations} evaluations, "
            + ("converged" if a.converged else "<b>not converged</b>")
            + (f" ({html.escape(a.stopped)})" if a.stopped else "")
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
            **{
                "vs target": [
                    format_change(g, a.target.unit, a.currency) for g in frame["vs target"]
                ]
            }
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
