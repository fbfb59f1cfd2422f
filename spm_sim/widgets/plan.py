"""Notebook apps built from ipywidgets over the library's pure functions.

:class:`PlanDesigner` puts sliders on top of a baseline scenario: quota growth, a
multiplier on the plan's rates below quota and one on its rates above quota (the
accelerators), the threshold and the attainment cap. With every slider where it
starts, the design *is* the baseline plan, so the comparison shows no difference;
moving a slider changes only what that slider names. Every change rebuilds the
scenario (``Scenario.replace``, which validates), re-runs the Monte Carlo with the
baseline's seed (so the design and the baseline share their sales draws), and
redraws the comparison table and the figures.

What the sliders act on, in a plan with several components (:func:`design_plan`):

* the two rate sliders act on every commission component: they multiply the rates
  of its tiers (or the slopes of its pay curve) below and above 100% of quota;
* the threshold and attainment-cap sliders act on the commission components paid on
  the plan's primary measure, the measure of its first commission component;
* bonuses, MBOs, SPIFFs, contests, the draw and the clawback are left as they are.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from spm_sim._format import format_diff, format_money
from spm_sim.book import Book
from spm_sim.comp import Component, Plan, component_rules, plan_rules
from spm_sim.metrics import compare, result_flags
from spm_sim.productivity import Behaviour
from spm_sim.scenario import Scenario, sample_plans
from spm_sim.simulate import SimulationResult, prepare, simulate
from spm_sim.viz.results import attainment_histogram, cost_distribution, payout_curves

__all__ = [
    "PlanDesigner",
    "DesignValues",
    "design_plan",
    "slider_targets",
]

#: metrics shown in the designer's table, in order
_SHOWN = [
    "company_bookings",
    "hit_company_target",
    "company_attainment",
    "share_reps_at_quota",
    "incentive_cost",
    "payout_share_of_ti",
    "ccos",
]

#: the attainment-cap slider's top value, meaning "no cap"
NO_CAP = 5.0

#: slider values this close are the same value (a slider's float round trip)
_SAME = 1e-12


@dataclass(frozen=True)
class DesignValues:
    """The slider values of a :class:`PlanDesigner` (a plain, comparable value).

    ``below_quota`` and ``above_quota`` multiply the rates of the tiers that start
    below 100% of quota and at or above it (for a pay curve: the slopes of its
    segments below and above 100%), in every commission component. ``threshold``
    and ``attainment_cap`` (None = no cap) replace the values of the commission
    components on the plan's primary measure when they differ from the start.
    """

    growth: float
    below_quota: float
    above_quota: float
    threshold: float
    attainment_cap: float | None


def _primary(plan: Plan) -> list[Component]:
    """Commission components on the measure of the plan's first commission component."""
    commissions = [c for c in plan.components if isinstance(c, Component)]
    if not commissions:
        return []
    return [c for c in commissions if c.measure == commissions[0].measure]


def slider_targets(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Names of the components each group of sliders changes (see the module notes).

    Returns
    -------
    dict
        ``rates``: commission components (tiers or curve); ``threshold_cap``: the
        commission components on the primary measure; ``unchanged``: every other
        component.

    Examples
    --------
    >>> from spm_sim.scenario import sample_plans
    >>> slider_targets(sample_plans()["AE multi-measure plan"])["threshold_cap"]
    ('bookings',)
    >>> slider_targets(sample_plans()["SDR new-logo plan with recoverable draw"])
    {'rates': ('new_logos',), 'threshold_cap': ('new_logos',), 'unchanged': ('objectives',)}
    """
    rates = tuple(c.name for c in plan.components if isinstance(c, Component))
    return {
        "rates": rates,
        "threshold_cap": tuple(c.name for c in _primary(plan)),
        "unchanged": tuple(c.name for c in plan.components if c.name not in rates),
    }


def _start_values(s: Scenario) -> DesignValues:
    primary = _primary(s.plan)
    if not primary:  # no commission: the threshold and cap sliders have nothing to set
        return DesignValues(s.quota.growth, 1.0, 1.0, 0.0, None)
    first = primary[0]
    return DesignValues(s.quota.growth, 1.0, 1.0, first.threshold, first.attainment_cap)


def _scaled_curve(points: list[dict[str, Any]], below: float, above: float) -> list[dict]:
    """A pay curve with its slopes below 1.0 times ``below`` and above it times ``above``.

    The payout at attainment 0 counts as pay below quota (times ``below``). A segment
    that crosses 1.0 is split there first, so each part gets its own factor. Slopes
    stay >= 0, so the curve still never falls.
    """
    xs = [p["attainment"] for p in points]
    ys = [p["payout"] for p in points]
    for k in range(1, len(xs)):
        if xs[k - 1] < 1.0 < xs[k]:
            y1 = ys[k - 1] + (ys[k] - ys[k - 1]) * (1.0 - xs[k - 1]) / (xs[k] - xs[k - 1])
            xs.insert(k, 1.0)
            ys.insert(k, y1)
            break
    out = [ys[0] * below]
    for k in range(1, len(xs)):
        factor = below if xs[k] <= 1.0 else above
        out.append(out[-1] + (ys[k] - ys[k - 1]) * factor)
    return [{"attainment": x, "payout": y} for x, y in zip(xs, out, strict=True)]


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > _SAME


def design_plan(
    baseline: Plan, values: DesignValues, start: DesignValues, *, name: str = "Design"
) -> Plan:
    """The baseline plan with the slider changes applied (validated).

    Only commission components change (see the module notes); with the plan
    sliders at their start the baseline plan itself is returned.

    Examples
    --------
    >>> from spm_sim import standard_plan
    >>> base = standard_plan(accelerator=2.0)
    >>> start = DesignValues(0.1, 1.0, 1.0, 0.5, None)
    >>> p = design_plan(base, DesignValues(0.1, 1.0, 1.25, 0.5, None), start)
    >>> [t.rate for t in p.components[0].tiers]
    [1.0, 2.5]
    >>> design_plan(base, DesignValues(0.2, 1.0, 1.0, 0.5, None), start) is base
    True
    """
    below, above = values.below_quota, values.above_quota
    new_threshold = _differs(values.threshold, start.threshold)
    new_cap = _differs(values.attainment_cap, start.attainment_cap)
    rescale = _differs(below, 1.0) or _differs(above, 1.0)
    if not (rescale or new_threshold or new_cap):
        return baseline  # quota growth is not a plan change
    primary = {c.name for c in _primary(baseline)}
    components = []
    for c in baseline.components:
        data = c.model_dump()
        if isinstance(c, Component):
            if rescale and c.curve is not None:
                data["curve"] = _scaled_curve(data["curve"], below, above)
            elif rescale:
                data["tiers"] = [
                    {**t, "rate": t["rate"] * (below if t["start"] < 1.0 else above)}
                    for t in data["tiers"]
                ]
            if c.name in primary and new_threshold:
                data["threshold"] = values.threshold
            if c.name in primary and new_cap:
                data["attainment_cap"] = values.attainment_cap
        components.append(data)
    if components == [c.model_dump() for c in baseline.components]:
        return baseline  # e.g. rate sliders on a plan without commission
    return baseline.replace(name=f"{name} (from {baseline.name})", components=components)


def _pct(x: float) -> str:
    return f"{x:.0%}" if math.isclose(x * 100, round(x * 100)) else f"{x:.1%}"


def _describe_plan(plan: Plan) -> str:
    """The plan's rules, one line per component, and what the sliders act on."""
    parts = []
    for c in plan.components:
        weight = getattr(c, "weight", None)
        head = f"<b>{html.escape(c.name)}</b> ({c.type} on {html.escape(c.measure)}"
        head += f", {_pct(weight)} of TI)" if weight is not None else ", on top of TI)"
        rules = "; ".join(component_rules(c, plan.currency))
        parts.append(f"{head}: {html.escape(rules)}")
    rules = plan_rules(plan)
    for rule in rules.loc[rules["component"] == "(plan)", "rule"]:
        parts.append(f"<b>plan</b>: {html.escape(rule)}")
    targets = slider_targets(plan)
    kept = [*targets["unchanged"], *(["draw"] if plan.draw else [])]
    kept += ["clawback"] if plan.clawback else []

    def names(items) -> str:
        return html.escape(", ".join(items) or "none")

    parts.append(
        f"<i>Rate sliders act on: {names(targets['rates'])} (tier rates; curve slopes). "
        f"Threshold and cap sliders act on: {names(targets['threshold_cap'])}. "
        f"Unchanged: {names(kept)}.</i>"
    )
    return "<br>".join(parts)


def _flags_html(flags: list[dict[str, Any]]) -> str:
    """The "Check before deciding" box of a designer: each flag in words, or "" if none.

    ``flags`` are those of :func:`spm_sim.metrics.result_flags` (or
    :func:`~spm_sim.metrics.check_figures`); every text is escaped.

    Examples
    --------
    >>> _flags_html([])
    ''
    >>> "Check before deciding" in _flags_html([{"message": "scenario 'A': 46% <odd>"}])
    True
    """
    if not flags:
        return ""
    items = "".join(f"<li>{html.escape(str(f['message']))}</li>" for f in flags)
    return (
        "<div style='background:#fff5e6;border-left:4px solid #c8641e;padding:4px 12px;"
        "margin:6px 0'><b style='color:#8a3b00'>Check before deciding:</b> these figures are "
        "far outside what sales organisations report, usually from an input off by a factor."
        f"<ul style='margin:2px 0'>{items}</ul></div>"
    )


def _show(slider: widgets.FloatSlider, value: float) -> None:
    """Set a slider to ``value``, widening its range if the value lies outside it."""
    slider.min = min(slider.min, value)
    slider.max = max(slider.max, value)
    slider.value = value


def _plan_sliders(start: DesignValues) -> dict[str, widgets.FloatSlider]:
    """The five sliders at their start (a plan's value outside a range widens it)."""
    slider = dict(
        continuous_update=False,
        style={"description_width": "190px"},
        layout=widgets.Layout(width="480px"),
    )
    cap = NO_CAP if start.attainment_cap is None else start.attainment_cap
    sliders = {
        "growth": widgets.FloatSlider(
            value=start.growth,
            min=-0.1,
            max=0.4,
            step=0.01,
            description="Quota growth",
            readout_format=".0%",
            **slider,
        ),
        "below_quota": widgets.FloatSlider(
            value=1.0,
            min=0.5,
            max=1.5,
            step=0.05,
            description="Rates below quota (x plan)",
            **slider,
        ),
        "above_quota": widgets.FloatSlider(
            value=1.0,
            min=0.5,
            max=2.0,
            step=0.05,
            description="Accelerators (x plan)",
            **slider,
        ),
        "threshold": widgets.FloatSlider(
            value=start.threshold,
            min=0.0,
            max=0.9,
            step=0.05,
            description="Threshold",
            readout_format=".0%",
            **slider,
        ),
        "attainment_cap": widgets.FloatSlider(
            value=cap,
            min=1.0,
            max=NO_CAP,
            step=0.1,
            description="Attainment cap (500% = none)",
            readout_format=".0%",
            **slider,
        ),
    }
    for name, value in (
        ("growth", start.growth),
        ("threshold", start.threshold),
        ("attainment_cap", cap),
    ):
        _show(sliders[name], value)  # a plan's value outside the usual range
    return sliders


def _behaviour_box(checked: bool) -> widgets.Checkbox:
    """The "Reps respond to the plan" box."""
    return widgets.Checkbox(
        value=checked,
        description="Reps respond to the plan (effort, deal timing)",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="480px"),
    )


def _plan_menu(plans: dict[str, Plan], chosen: str) -> widgets.Dropdown:
    """The "Start from" menu of plans."""
    return widgets.Dropdown(
        options=list(plans),
        value=chosen,
        description="Start from",
        style={"description_width": "190px"},
        layout=widgets.Layout(width="480px"),
    )


#: The designer's heading: what the sliders change.
_INTRO = (
    "<b>Plan design</b>: starts as the baseline plan; compared with it on the "
    "same simulated sales. The rate sliders scale every commission "
    "component's tiers (a pay curve's slopes) below and above quota; the "
    "threshold and cap sliders set the primary measure's commission; "
    "bonuses, MBOs, SPIFFs, contests, draws and clawbacks stay as they are."
)


class PlanDesigner:
    """Sliders that re-run the Monte Carlo of a plan design against a baseline.

    Parameters
    ----------
    baseline : Scenario
        The scenario to compare against; its book, plan year, seed and quota method
        are kept, and its plan is where the design starts.
    n_trials : int, default 500
        Trials per run (small keeps the sliders responsive: 500 trials of 80 reps
        take about 0.2 s).
    book : Book, optional
        An already loaded book (default: the baseline's).
    figures : bool, default True
        Draw the figures on each update (tests may turn them off).
    plans : mapping of str to Plan, optional
        Plans the "Start from" menu offers (default: the baseline's plan and every
        sample plan of ``data/plans/``, read when the designer is built). Picking
        one makes it the baseline the design starts from and is compared with; the
        sliders go back to their start, where the design equals that plan exactly.

    Attributes
    ----------
    plan_choice : ipywidgets.Dropdown
        The "Start from" menu.
    behaviour : ipywidgets.Checkbox
        "Reps respond to the plan": runs baseline and design with the reps'
        behavioural response (:class:`spm_sim.productivity.Behaviour`; the baseline
        scenario's own settings if it has them, else the defaults measured against
        the baseline's plan, the plan the history was earned under). Checked at the
        start when the baseline scenario has behaviour.
    sliders : dict of str -> ipywidgets slider
        ``growth``, ``below_quota``, ``above_quota``, ``threshold``,
        ``attainment_cap`` (its top value, :data:`NO_CAP`, means no cap). What each
        acts on in a plan with several components: :func:`design_plan`; the
        threshold and cap sliders are disabled for a plan without commission.
    result, baseline_result : SimulationResult
        The latest run of the design, and of the baseline.
    table : DataFrame
        The latest comparison (``metrics.compare`` of baseline and design).
    flags : list of dict
        The latest :func:`spm_sim.metrics.result_flags` of baseline and design:
        results nobody should believe, with the inputs that drive them. Shown in
        words above the comparison table (``flags_text``), nothing when empty.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=100)  # doctest: +SKIP
    >>> d.sliders["above_quota"].value = 1.5  # re-runs and redraws  # doctest: +SKIP
    >>> d.widget  # doctest: +SKIP
    """

    NO_CAP = NO_CAP

    def __init__(
        self,
        baseline: Scenario,
        *,
        n_trials: int = 500,
        book: Book | None = None,
        figures: bool = True,
        plans: dict[str, Plan] | None = None,
    ) -> None:
        self._original = baseline
        self.baseline = baseline
        self.n_trials = int(n_trials)
        self.figures = figures
        self.book = book if book is not None else prepare(baseline).book
        self.behaviour = _behaviour_box(baseline.behaviour is not None)
        self.behaviour.observe(self._on_behaviour, names="value")
        self.baseline_result = self._run(baseline)
        self.start = _start_values(baseline)
        self.plans = {
            baseline.plan.name: baseline.plan,
            **(sample_plans() if plans is None else plans),
        }
        self.plan_choice = _plan_menu(self.plans, baseline.plan.name)
        self.plan_choice.observe(self._on_plan, names="value")
        self._resetting = False
        self.sliders = _plan_sliders(self.start)
        self.status = widgets.HTML()
        self.plan_text = widgets.HTML()
        self.flags: list[dict[str, Any]] = []
        self.flags_text = widgets.HTML()
        self.output = widgets.Output()
        self._enable_sliders()
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = self._layout()
        self.result: SimulationResult | None = None
        self.table: pd.DataFrame | None = None
        self.update()

    def _layout(self) -> widgets.Widget:
        """The heading, the menu, the sliders, the behaviour box, the texts and the output."""
        return widgets.VBox(
            [
                widgets.HTML(_INTRO),
                self.plan_choice,
                *self.sliders.values(),
                self.behaviour,
                self.plan_text,
                self.status,
                self.flags_text,
                self.output,
            ]
        )

    @property
    def values(self) -> DesignValues:
        v = {k: float(s.value) for k, s in self.sliders.items()}
        cap = None if v["attainment_cap"] >= NO_CAP else v["attainment_cap"]
        if (
            self.start.attainment_cap is not None
            and abs(v["attainment_cap"] - self.start.attainment_cap) < 1e-12
        ):
            cap = self.start.attainment_cap
        return DesignValues(v["growth"], v["below_quota"], v["above_quota"], v["threshold"], cap)

    def scenario(self) -> Scenario:
        """The design as a scenario: the baseline with the sliders' plan and growth."""
        v = self.values
        return self.baseline.replace(
            name="Design",
            description="The baseline plan changed with the sliders",
            plan=design_plan(self.baseline.plan, v, self.start),
            quota=self.baseline.quota.replace(growth=v.growth),
        )

    def _other_role(self, scenario: Scenario) -> bool:
        """Whether the plan is for a role none of the book's reps has."""
        role = scenario.plan.role
        return role is not None and role not in set(self.book.reps["role"].astype(str))

    def _run(self, scenario: Scenario):
        """Simulate; a plan for a role the book lacks is tried on the book's reps.

        The role is cleared before the behaviour is set: the reference plan is the one
        the book's reps earned their history under, whatever plan is tried on them.
        """
        if self._other_role(scenario):
            scenario = scenario.replace(plan=scenario.plan.replace(role=None))
        if self.behaviour.value:
            own = self._original.behaviour
            scenario = scenario.replace(
                behaviour=own if own is not None else Behaviour(reference_plan=self._original.plan)
            )
        else:
            scenario = scenario.replace(behaviour=None)
        return simulate(scenario, self.n_trials, book=self.book)

    def _role_note(self, scenario: Scenario) -> str:
        role = scenario.plan.role
        if role is None or not self._other_role(scenario):
            return ""
        roles = ", ".join(sorted(self.book.reps["role"].astype(str).unique()))
        return (
            f"<span style='color:#805'>This plan is for role {html.escape(role)}; "
            f"the book has none, so it is tried on the book's reps ({html.escape(roles)}).</span>"
        )

    def _on_change(self, _change) -> None:
        if not self._resetting:
            self.update()

    def _on_behaviour(self, _change) -> None:
        """Re-run baseline and design with (or without) the reps' response."""
        self.baseline_result = self._run(self.baseline)
        self.update()

    def _on_plan(self, change) -> None:
        """Make the picked plan the baseline, put the sliders back to its values, re-run."""
        # the behaviour is set per run (_run): the original's may not fit another role
        self.baseline = self._original.replace(plan=self.plans[change["new"]], behaviour=None)
        self.baseline_result = self._run(self.baseline)
        self.start = _start_values(self.baseline)
        cap = NO_CAP if self.start.attainment_cap is None else self.start.attainment_cap
        starts = {
            "growth": self.start.growth,
            "below_quota": 1.0,
            "above_quota": 1.0,
            "threshold": self.start.threshold,
            "attainment_cap": cap,
        }
        self._resetting = True
        try:
            for name, value in starts.items():
                _show(self.sliders[name], value)
            self._enable_sliders()
        finally:
            self._resetting = False
        self.update()

    def _enable_sliders(self) -> None:
        """Grey out the threshold and cap sliders of a plan without commission."""
        none = not _primary(self.baseline.plan)
        self.sliders["threshold"].disabled = none
        self.sliders["attainment_cap"].disabled = none

    def update(self) -> None:
        """Re-run the design's Monte Carlo and redraw (what every slider change calls)."""
        try:
            scenario = self.scenario()
        except ValueError as exc:  # a combination the plan rules reject
            self.status.value = (
                f"<span style='color:#b00'>Not a valid plan: {html.escape(str(exc))}</span>"
            )
            return
        self.plan_text.value = _describe_plan(scenario.plan)
        self.result = self._run(scenario)
        self.table = compare([self.baseline_result, self.result])
        self.flags = result_flags([self.baseline_result, self.result])
        self.flags_text.value = _flags_html(self.flags)
        self.status.value = self._role_note(scenario)
        self.output.clear_output(wait=True)
        with self.output:
            display(self.comparison())
            if self.figures:
                results = [self.baseline_result, self.result]
                for fig in (
                    attainment_histogram(results),
                    cost_distribution(results),
                    payout_curves([self.baseline.plan, scenario.plan]),
                ):
                    display(fig)

    def comparison(self) -> pd.DataFrame:
        """Baseline and design side by side: mean (P10-P90) per metric, and the difference."""
        if self.table is None:
            raise ValueError(
                "no design has been simulated yet: the sliders' plan is not valid (see the status)"
            )
        t = self.table.set_index(["scenario", "metric"])
        names = [self.baseline.name, "Design"]
        currency = self.baseline.plan.currency
        rows = {}
        for metric in _SHOWN:
            label = t.loc[(names[0], metric), "label"]
            unit = t.loc[(names[0], metric), "unit"]
            rows[label] = {n: _fmt(t.loc[(n, metric)], unit, currency) for n in names}
            d = t.loc[("Design", metric)]
            rows[label]["difference (± 2 se)"] = format_diff(
                d["diff_vs_baseline"], d["diff_se"], unit, currency=currency
            )
        return pd.DataFrame(rows).T


def _fmt(row: pd.Series, unit: str, currency: str) -> str:
    if unit == "prob":
        return f"{row['mean']:.0%}"
    if unit == "$":
        money = [format_money(row[k], currency=currency) for k in ("mean", "p10", "p90")]
        return f"{money[0]} (P10 {money[1]}, P90 {money[2]})"
    return f"{row['mean']:.1%}"
