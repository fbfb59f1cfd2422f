"""Sweeps in a notebook: the plan's levers over a range, each metric against them.

Re-exported by :mod:`spm_sim.widgets`. Each press of *Run* is three steps: widget
values -> :func:`spm_sim.sweep.sweep` over a grid of one or two levers -> the figures
of :mod:`spm_sim.viz.sweep` and a table in money and percentages.

:class:`SweepExplorer`: one or two levers from/to/steps, trials, the metrics to
draw; shows each metric against the lever with its interval band, the frontier of
incentive cost against the share of reps at quota (or the chance of the company
target), and every scenario's figures with their intervals and paired differences
to the base. The levers (:func:`sweep_levers`) and what a run shows while it runs
and after it fails come from :mod:`spm_sim.widgets.runs`; the goal-seeker is
:class:`spm_sim.widgets.goal.GoalSeeker` (both also importable from here).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import Image

from spm_sim._format import format_change, format_value
from spm_sim.book import Book
from spm_sim.errors import SpecError, SpmSimError
from spm_sim.parallel import ExecutorLike
from spm_sim.scenario import Scenario
from spm_sim.sweep import BASE, SWEEP_METRICS, frontier, sweep
from spm_sim.viz.sweep import frontier_figure, sweep_figure
from spm_sim.viz.tables import money_table

from .goal import GOALS, GoalSeeker
from .runs import (
    _LABEL,
    SweepLever,
    _lever_text,
    _nowrap,
    _png,
    _Runs,
    _whole,
    sweep_levers,
)

# GoalSeeker, GOALS, SweepLever and sweep_levers are re-exported: they were defined here
__all__ = ["SweepExplorer", "GoalSeeker", "SweepLever", "sweep_levers", "GOALS"]

#: The metrics a sweep draws unless told otherwise (the frontier's are always run).
DRAWN = ("incentive_cost", "cost_of_sales", "share_at_quota", "p_company_target")
#: What the frontier weighs the incentive cost against: label -> metric.
BENEFITS = {
    "share of reps at quota": "share_at_quota",
    "chance of the company target": "p_company_target",
}


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
        Trials per scenario (default :data:`~spm_sim.widgets.runs.DEFAULT_TRIALS`, 500).
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
                format_value(r.value, unit, currency)
                + (
                    f" ({format_value(r.low, unit, currency)} to "
                    f"{format_value(r.high, unit, currency)})"
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
                    else format_change(r.diff_vs_base, unit, currency)
                    + (
                        f" ({format_change(r.diff_low, unit, currency)} to "
                        f"{format_change(r.diff_high, unit, currency)})"
                        if math.isfinite(r.diff_low) and math.isfinite(r.diff_high)
                        else ""
                    )
                    for s, r in zip(part.index, part.itertuples(), strict=True)
                ]
        out = pd.DataFrame(columns)
        return out.drop(columns="scenario") if self._labels else out
