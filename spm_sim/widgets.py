"""Notebook apps built from ipywidgets over the library's pure functions.

:class:`PlanDesigner` puts sliders for quota growth, the commission rate below the
accelerator, the accelerator, its start, the threshold and the attainment cap on top
of a baseline scenario. Every change rebuilds the scenario (``Scenario.replace``, which
validates), re-runs the Monte Carlo with the baseline's seed (so the design and the
baseline share their sales draws), and redraws the comparison table and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from .comp import Plan, standard_plan
from .data import Book
from .metrics import compare
from .plots import attainment_histogram, cost_distribution, payout_curves
from .scenario import Scenario
from .simulate import SimulationResult, prepare, simulate

__all__ = ["PlanDesigner", "DesignValues"]

#: metrics shown in the designer's table, in order
_SHOWN = [
    "hit_company_target",
    "company_attainment",
    "share_reps_at_quota",
    "incentive_cost",
    "payout_share_of_ti",
    "ccos",
]


@dataclass(frozen=True)
class DesignValues:
    """The slider values of a :class:`PlanDesigner` (a plain, comparable value)."""

    growth: float
    base_rate: float
    accelerator: float
    accelerator_start: float
    threshold: float
    attainment_cap: float | None

    def plan(self, name: str = "Designed plan") -> Plan:
        """The one-component plan these values describe."""
        return standard_plan(
            name=name,
            threshold=self.threshold,
            base_rate=self.base_rate,
            accelerator=self.accelerator,
            accelerator_start=self.accelerator_start,
            attainment_cap=self.attainment_cap,
        )


class PlanDesigner:
    """Sliders that re-run the Monte Carlo of a plan design against a baseline.

    Parameters
    ----------
    baseline : Scenario
        The scenario to compare against; its book, plan year, seed and quota method
        are kept.
    n_trials : int, default 500
        Trials per run (small keeps the sliders responsive: 500 trials of 80 reps
        take about 0.2 s).
    book : Book, optional
        An already loaded book (default: the baseline's).
    figures : bool, default True
        Draw the figures on each update (tests may turn them off).

    Attributes
    ----------
    sliders : dict of str -> ipywidgets slider
        ``growth``, ``base_rate``, ``accelerator``, ``accelerator_start``,
        ``threshold``, ``attainment_cap`` (the cap's largest value means no cap).
    result, baseline_result : SimulationResult
        The latest run of the design, and of the baseline.
    table : DataFrame
        The latest comparison (``metrics.compare`` of baseline and design).

    Examples
    --------
    >>> from spm_sim import load_scenario
    >>> d = PlanDesigner(load_scenario("data/scenarios/baseline.yaml"), n_trials=100)  # doctest: +SKIP
    >>> d.sliders["accelerator"].value = 2.5  # re-runs and redraws  # doctest: +SKIP
    >>> d.widget  # doctest: +SKIP
    """

    NO_CAP = 5.0

    def __init__(
        self,
        baseline: Scenario,
        *,
        n_trials: int = 500,
        book: Book | None = None,
        figures: bool = True,
    ) -> None:
        self.baseline = baseline
        self.n_trials = int(n_trials)
        self.figures = figures
        self.book = book if book is not None else prepare(baseline).book
        self.baseline_result = simulate(baseline, self.n_trials, book=self.book)
        start = _initial_values(baseline)
        slider = dict(continuous_update=False, style={"description_width": "170px"},
                      layout=widgets.Layout(width="460px"))
        self.sliders = {
            "growth": widgets.FloatSlider(value=start.growth, min=-0.1, max=0.4, step=0.01,
                                          description="Quota growth", readout_format=".0%", **slider),
            "base_rate": widgets.FloatSlider(value=start.base_rate, min=0.5, max=1.5, step=0.05,
                                             description="Rate to quota (x TCR)", **slider),
            "accelerator": widgets.FloatSlider(value=start.accelerator, min=1.0, max=4.0, step=0.1,
                                               description="Accelerator (x TCR)", **slider),
            "accelerator_start": widgets.FloatSlider(value=start.accelerator_start, min=0.8, max=1.5,
                                                     step=0.05, description="Accelerator from",
                                                     readout_format=".0%", **slider),
            "threshold": widgets.FloatSlider(value=start.threshold, min=0.0, max=0.8, step=0.05,
                                             description="Threshold", readout_format=".0%", **slider),
            "attainment_cap": widgets.FloatSlider(
                value=self.NO_CAP if start.attainment_cap is None else start.attainment_cap,
                min=1.0, max=self.NO_CAP, step=0.1, description="Attainment cap (5 = none)",
                readout_format=".0%", **slider),
        }
        self.status = widgets.HTML()
        self.output = widgets.Output()
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = widgets.VBox(
            [widgets.HTML("<b>Plan design</b> (compared with the baseline, same simulated sales)"),
             *self.sliders.values(), self.status, self.output]
        )
        self.result: SimulationResult | None = None
        self.table: pd.DataFrame | None = None
        self.update()

    @property
    def values(self) -> DesignValues:
        v = {k: float(s.value) for k, s in self.sliders.items()}
        cap = None if v["attainment_cap"] >= self.NO_CAP else v["attainment_cap"]
        return DesignValues(v["growth"], v["base_rate"], v["accelerator"],
                            v["accelerator_start"], v["threshold"], cap)

    def scenario(self) -> Scenario:
        """The design as a scenario: the baseline with the sliders' plan and growth."""
        v = self.values
        return self.baseline.replace(
            name="Design",
            description="Plan designed with the sliders",
            plan=v.plan(),
            quota=self.baseline.quota.model_copy(update={"growth": v.growth}),
        )

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Re-run the design's Monte Carlo and redraw (what every slider change calls)."""
        try:
            scenario = self.scenario()
        except ValueError as exc:  # a combination the plan rules reject
            self.status.value = f"<span style='color:#b00'>Not a valid plan: {_escape(exc)}</span>"
            return
        self.result = simulate(scenario, self.n_trials, book=self.book)
        self.table = compare([self.baseline_result, self.result])
        self.status.value = ""
        self.output.clear_output(wait=True)
        with self.output:
            display(self.comparison())
            if self.figures:
                results = [self.baseline_result, self.result]
                for fig in (attainment_histogram(results), cost_distribution(results),
                            payout_curves([self.baseline.plan, scenario.plan])):
                    display(fig)

    def comparison(self) -> pd.DataFrame:
        """Baseline and design side by side: mean (P10-P90) per metric, and the difference."""
        t = self.table.set_index(["scenario", "metric"])
        names = [self.baseline.name, "Design"]
        rows = {}
        for metric in _SHOWN:
            label = t.loc[(names[0], metric), "label"]
            unit = t.loc[(names[0], metric), "unit"]
            rows[label] = {n: _fmt(t.loc[(n, metric)], unit) for n in names}
            d = t.loc[("Design", metric)]
            rows[label]["difference (± 2 se)"] = _fmt_diff(d["diff_vs_baseline"], d["diff_se"], unit)
        return pd.DataFrame(rows).T


def _initial_values(s: Scenario) -> DesignValues:
    """Slider start values read from the baseline's plan when it fits the sliders."""
    comp = s.plan.components[0]
    tiers = comp.tiers
    if len(s.plan.components) == 1 and comp.rate_basis == "tcr" and len(tiers) >= 2:
        return DesignValues(s.quota.growth, tiers[0].rate, tiers[1].rate, tiers[1].start,
                            comp.threshold, comp.attainment_cap)
    return DesignValues(s.quota.growth, 1.0, 2.0, 1.0, 0.5, None)


def _escape(x) -> str:
    import html

    return html.escape(str(x))


def _fmt(row: pd.Series, unit: str) -> str:
    if unit == "prob":
        return f"{row['mean']:.0%}"
    if unit == "$":
        return f"${row['mean'] / 1e6:,.2f}M (P10 {row['p10'] / 1e6:,.2f}M, P90 {row['p90'] / 1e6:,.2f}M)"
    return f"{row['mean']:.1%}"


def _fmt_diff(diff: float, se: float, unit: str) -> str:
    if unit == "$":
        return f"{diff / 1e6:+,.3f}M ± {2 * se / 1e6:,.3f}M"
    return f"{diff * 100:+.1f} pp ± {2 * se * 100:.1f} pp"
