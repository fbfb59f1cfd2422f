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
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML, display

from spm_sim._format import format_diff, format_money, no_maths
from spm_sim.book import Book
from spm_sim.comp import Plan, component_rules, plan_rules
from spm_sim.metrics import compare, result_flags
from spm_sim.productivity import Behaviour
from spm_sim.scenario import Scenario, sample_plans
from spm_sim.simulate import SalesDraws, SimulationResult, draw_sales, prepare
from spm_sim.viz.results import attainment_histogram, cost_distribution, payout_curves
from spm_sim.widgets.design import (
    NO_CAP,
    SAME,
    DesignValues,
    design_plan,
    primary_components,
    slider_targets,
    start_values,
)

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


#: width of every label, and of a slider with its label: the longest label fits in full
_LABEL_WIDTH = "280px"
_ROW_WIDTH = "620px"
#: the attainment cap's slider (it has no readout of its own; measured in JupyterLab 4
#: so that its track ends where the other tracks do) and its own readout ("no cap")
_CAP_WIDTH = "544px"
_READOUT_WIDTH = "72px"


def _cap_text(value: float) -> str:
    """The attainment-cap slider's readout: a percentage, or "no cap" at the top."""
    return "no cap" if value >= NO_CAP else f"{value:.0%}"


def _plan_sliders(start: DesignValues) -> dict[str, widgets.FloatSlider]:
    """The five sliders at their start (a plan's value outside a range widens it)."""

    def slider() -> dict[str, Any]:  # each slider its own layout (the cap's is narrower)
        return {
            "continuous_update": False,
            "style": {"description_width": _LABEL_WIDTH},
            "layout": widgets.Layout(width=_ROW_WIDTH),
        }

    cap = NO_CAP if start.attainment_cap is None else start.attainment_cap
    sliders = {
        "growth": widgets.FloatSlider(
            value=start.growth,
            min=-0.1,
            max=0.4,
            step=0.01,
            description="Quota growth",
            readout_format=".0%",
            **slider(),
        ),
        "below_quota": widgets.FloatSlider(
            value=1.0,
            min=0.5,
            max=1.5,
            step=0.05,
            description="Rates below quota (x the plan's)",
            readout_format=".2f",
            **slider(),
        ),
        "above_quota": widgets.FloatSlider(
            value=1.0,
            min=0.5,
            max=2.0,
            step=0.05,
            description="Accelerators above quota (x the plan's)",
            readout_format=".2f",
            **slider(),
        ),
        "threshold": widgets.FloatSlider(
            value=start.threshold,
            min=0.0,
            max=0.9,
            step=0.05,
            description="Threshold (nothing paid below)",
            readout_format=".0%",
            **slider(),
        ),
        # its readout is a label beside it (_cap_readout): the top of the range reads "no cap"
        "attainment_cap": widgets.FloatSlider(
            value=cap,
            min=1.0,
            max=NO_CAP,
            step=0.1,
            description="Attainment cap (no pay above)",
            readout=False,
            **slider(),
        ),
    }
    for name, value in (
        ("growth", start.growth),
        ("threshold", start.threshold),
        ("attainment_cap", cap),
    ):
        _show(sliders[name], value)  # a plan's value outside the usual range
    return sliders


def _cap_readout(slider: widgets.FloatSlider) -> widgets.Label:
    """A label that reads the cap slider's value ("150%", or "no cap" at the top).

    The slider is narrowed by the label's width, so its track lines up with the
    other sliders' tracks and the label sits where their readouts do.
    """
    slider.layout.width = _CAP_WIDTH
    label = widgets.Label(
        _cap_text(slider.value),
        layout=widgets.Layout(width=_READOUT_WIDTH, margin="0 0 0 14px"),
    )

    def follow(change) -> None:
        label.value = _cap_text(change["new"])

    slider.observe(follow, names="value")
    return label


def _behaviour_box(checked: bool) -> widgets.Checkbox:
    """The "Reps respond to the plan" box."""
    return widgets.Checkbox(
        value=checked,
        description="Reps respond to the plan (effort, deal timing)",
        indent=False,
        layout=widgets.Layout(width=_ROW_WIDTH),
    )


def _plan_menu(plans: dict[str, Plan], chosen: str) -> widgets.Dropdown:
    """The "Start from" menu of plans."""
    return widgets.Dropdown(
        options=list(plans),
        value=chosen,
        description="Start from plan",
        style={"description_width": _LABEL_WIDTH},
        layout=widgets.Layout(width=_ROW_WIDTH),
    )


#: What the designer's heading says the sliders change (after its title).
_INTRO = (
    "the design starts as the plan picked under <i>Start from plan</i> and is compared "
    "with that plan as it is, on the same simulated sales. The rate sliders scale every "
    "commission component's tiers (a pay curve's slopes) below and above quota; the "
    "threshold and cap sliders set the primary measure's commission; bonuses, MBOs, "
    "SPIFFs, contests, draws and clawbacks stay as they are."
)

#: the name of the design in tables and figures
DESIGN = "Design"


def _as_is(plan: Plan) -> str:
    """The name of the starting plan's run in tables and figures."""
    return f"As is: {plan.name}"


def _html_table(frame: pd.DataFrame, *, index: bool = True) -> HTML:
    """A table as HTML whose dollar signs JupyterLab leaves alone (no maths).

    pandas marks the table itself (``display.html.use_mathjax``) and
    :func:`spm_sim._format.no_maths` the fragment around it.
    """
    with pd.option_context("display.html.use_mathjax", False):
        return HTML(no_maths(frame.to_html(index=index, escape=True)))


class PlanDesigner:
    """Sliders that re-run the Monte Carlo of a plan design against a starting plan.

    Parameters
    ----------
    baseline : Scenario
        The scenario to compare against; its book, plan year, seed and quota method
        are kept, and its plan is where the design starts.
    n_trials : int, default 500
        Trials per run. The sales are drawn once (:func:`spm_sim.simulate.draw_sales`)
        and each design is paid on them, the same numbers as
        :func:`~spm_sim.simulate.simulate` gives: a slider move at 1,000 trials of 80
        reps takes about 0.3 s (2.5 s when a plan with other measures needs new draws).
    book : Book, optional
        An already loaded book (default: the baseline's).
    figures : bool, default True
        Draw the figures on each update (tests may turn them off).
    plans : mapping of str to Plan, optional
        Plans the "Start from plan" menu offers (default: the baseline's plan and
        every sample plan of ``data/plans/``, read when the designer is built).
        Picking one makes it the plan the design starts from and is compared with;
        the sliders go back to their start, where the design equals that plan exactly.
    title : str, default "Plan design"
        The heading of the widget (a notebook with several designers names each).

    Attributes
    ----------
    plan_choice : ipywidgets.Dropdown
        The "Start from plan" menu.
    behaviour : ipywidgets.Checkbox
        "Reps respond to the plan": runs both plans with the reps' behavioural
        response (:class:`spm_sim.productivity.Behaviour`; the baseline scenario's
        own settings if it has them, else the defaults measured against the
        baseline's plan, the plan the history was earned under). Checked at the
        start when the baseline scenario has behaviour.
    sliders : dict of str -> ipywidgets slider
        ``growth``, ``below_quota``, ``above_quota``, ``threshold``,
        ``attainment_cap`` (its top value, :data:`NO_CAP`, means no cap). What each
        acts on in a plan with several components: :func:`design_plan`; the
        threshold and cap sliders are disabled for a plan without commission.
    baseline : Scenario
        The scenario of the starting plan as it is, named ``"As is: <plan name>"``:
        that name heads its column and its figure labels.
    result, baseline_result : SimulationResult
        The latest run of the design (named ``"Design"``), and of the starting plan.
    table : DataFrame
        The latest comparison (``metrics.compare`` of the starting plan and design).
    flags : list of dict
        The latest :func:`spm_sim.metrics.result_flags` of both runs: results
        nobody should believe, with the inputs that drive them. Shown in words
        above the comparison table (``flags_text``), nothing when empty.
    widget : ipywidgets.VBox
        What a notebook shows: heading, menu, sliders, texts, table and figures.
    reps : ipywidgets.Output
        The per-rep table (:meth:`rep_table`), kept up to date with the sliders;
        a notebook shows it where it explains it.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=100)  # doctest: +SKIP
    >>> d.sliders["above_quota"].value = 1.5  # re-runs and redraws  # doctest: +SKIP
    >>> d.set(above_quota=1.5, growth=0.1).widget  # one re-run  # doctest: +SKIP
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
        title: str = "Plan design",
    ) -> None:
        self._original = baseline
        self.baseline = baseline.replace(name=_as_is(baseline.plan))
        self.n_trials = int(n_trials)
        self.figures = figures
        self.title = title
        self.book = book if book is not None else prepare(baseline).book
        self._quiet = False  # True while set() or a plan change moves several widgets
        self._stale = True  # the starting plan's run must be redone before the next update
        self._draws: SalesDraws | None = None  # the sales, drawn once, paid by every design
        self.behaviour = _behaviour_box(baseline.behaviour is not None)
        self.behaviour.observe(self._on_behaviour, names="value")
        self.start = start_values(baseline)
        self.plans = {
            baseline.plan.name: baseline.plan,
            **(sample_plans() if plans is None else plans),
        }
        self.plan_choice = _plan_menu(self.plans, baseline.plan.name)
        self.plan_choice.observe(self._on_plan, names="value")
        self.sliders = _plan_sliders(self.start)
        self.status = widgets.HTML()
        self.plan_text = widgets.HTML()
        self.flags: list[dict[str, Any]] = []
        self.flags_text = widgets.HTML()
        self.output = widgets.Output()
        self.reps = widgets.Output(layout=widgets.Layout(max_height="380px", overflow="auto"))
        self._enable_sliders()
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = self._layout()
        self.baseline_result: SimulationResult | None = None
        self.result: SimulationResult | None = None
        self.table: pd.DataFrame | None = None
        self.update()

    def _layout(self) -> widgets.Widget:
        """The heading, the menu, the sliders, the behaviour box, the texts and the output."""
        rows: list[widgets.Widget] = []
        for name, slider in self.sliders.items():
            if name == "attainment_cap":
                rows.append(widgets.HBox([slider, _cap_readout(slider)]))
            else:
                rows.append(slider)
        return widgets.VBox(
            [
                widgets.HTML(f"<b>{html.escape(self.title)}</b>: {_INTRO}"),
                self.plan_choice,
                *rows,
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
        """The design as a scenario: the starting plan changed by the sliders."""
        v = self.values
        return self.baseline.replace(
            name=DESIGN,
            description="The starting plan changed with the sliders",
            plan=design_plan(self.baseline.plan, v, self.start),
            quota=self.baseline.quota.replace(growth=v.growth),
        )

    def set(
        self, *, plan: str | None = None, behaviour: bool | None = None, **values: float | None
    ) -> PlanDesigner:
        """Move several controls at once and re-run once; returns the designer.

        What a notebook uses to show a setting: the widget then shows the values
        it was set to, so the page and the sliders agree.

        Parameters
        ----------
        plan : str, optional
            A plan of the "Start from plan" menu (applied first: it puts the sliders
            back to that plan's start).
        behaviour : bool, optional
            Whether reps respond to the plan.
        **values : float
            Slider values by name (``growth``, ``below_quota``, ``above_quota``,
            ``threshold``, ``attainment_cap``; ``attainment_cap=None`` means no cap).

        Raises
        ------
        ValueError
            For a slider or plan that does not exist, or a value outside a slider's
            range (a slider would silently clamp it).
        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, plans={})
        >>> d.set(above_quota=1.5, growth=0.1).values.above_quota
        1.5
        >>> list(d.comparison().columns)
        ['As is: Baseline 2026 AE plan', 'Design', 'difference (± 2 se)']
        >>> d.set(accelerator=2.0)
        Traceback (most recent call last):
        ...
        ValueError: PlanDesigner.set: no slider named 'accelerator'; the sliders are ...
        """
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ValueError(
                f"PlanDesigner.set: no slider named {', '.join(map(repr, unknown))}; "
                f"the sliders are {', '.join(self.sliders)}"
            )
        if plan is not None and plan not in self.plans:
            raise ValueError(
                f"PlanDesigner.set: plan {plan!r} is not in the 'Start from plan' menu; "
                f"pick one of: {', '.join(self.plans)}"
            )
        self._quiet = True
        try:
            if plan is not None:
                self.plan_choice.value = plan
            if behaviour is not None:
                self.behaviour.value = bool(behaviour)
            for name, value in values.items():
                slider = self.sliders[name]
                if value is None and name == "attainment_cap":
                    value = NO_CAP
                if value is None or not slider.min - SAME <= float(value) <= slider.max + SAME:
                    raise ValueError(
                        f"PlanDesigner.set: {name}={value!r} is outside the slider's range "
                        f"{slider.min:g} to {slider.max:g}; give a value inside it"
                    )
                slider.value = float(value)
        finally:
            self._quiet = False
        self.update()
        return self

    def _other_role(self, scenario: Scenario) -> bool:
        """Whether the plan is for a role none of the book's reps has."""
        role = scenario.plan.role
        return role is not None and role not in set(self.book.reps["role"].astype(str))

    def _run(self, scenario: Scenario) -> SimulationResult:
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
        # the sales do not depend on the plan's rates or the quotas: draw them once and
        # pay each design on them (bit for bit simulate()); a plan with other measures
        # needs its own draws
        if self._draws is None or self._draws.mismatch(scenario) is not None:
            self._draws = draw_sales(scenario, self.n_trials, book=self.book)
        return self._draws.pay(scenario)

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
        if not self._quiet:
            self.update()

    def _on_behaviour(self, _change) -> None:
        """Re-run both plans with (or without) the reps' response."""
        self._stale = True
        if not self._quiet:
            self.update()

    def _on_plan(self, change) -> None:
        """Start from the picked plan: the sliders go back to its values, both re-run."""
        # the behaviour is set per run (_run): the original's may not fit another role
        plan = self.plans[change["new"]]
        self.baseline = self._original.replace(name=_as_is(plan), plan=plan, behaviour=None)
        self._stale = True
        self.start = start_values(self.baseline)
        cap = NO_CAP if self.start.attainment_cap is None else self.start.attainment_cap
        starts = {
            "growth": self.start.growth,
            "below_quota": 1.0,
            "above_quota": 1.0,
            "threshold": self.start.threshold,
            "attainment_cap": cap,
        }
        quiet, self._quiet = self._quiet, True
        try:
            for name, value in starts.items():
                _show(self.sliders[name], value)
            self._enable_sliders()
        finally:
            self._quiet = quiet
        if not quiet:
            self.update()

    def _enable_sliders(self) -> None:
        """Grey out the threshold and cap sliders of a plan without commission."""
        none = not primary_components(self.baseline.plan)
        self.sliders["threshold"].disabled = none
        self.sliders["attainment_cap"].disabled = none

    def update(self) -> None:
        """Re-run the design's Monte Carlo and redraw (what every slider change calls).

        A combination the plan rules refuse is named in the status line; the last
        good table and figures stay on screen.
        """
        self.status.value = f"<i>Simulating {self.n_trials:,} years of sales...</i>"
        base = self.baseline_result
        if self._stale or base is None:
            base = self.baseline_result = self._run(self.baseline)
            self._stale = False
        try:
            scenario = self.scenario()
        except ValueError as exc:  # a combination the plan rules reject
            self.status.value = (
                f"<span style='color:#b00'>Not a valid plan: {html.escape(str(exc))}</span>"
            )
            return
        self.plan_text.value = no_maths(_describe_plan(scenario.plan))
        self.result = self._run(scenario)
        results = [base, self.result]
        self.table = compare(results)
        self.flags = result_flags(results)
        self.flags_text.value = no_maths(_flags_html(self.flags)) if self.flags else ""
        if _in_kernel():  # outside a kernel an Output widget would print to stdout
            self._draw(results, scenario.plan)
        self.status.value = self._role_note(scenario)

    def _draw(self, results: list[SimulationResult], design: Plan) -> None:
        """Redraw the table and figures, and the per-rep table."""
        self.output.clear_output(wait=True)
        with self.output:
            display(_html_table(self.comparison()))
            if self.figures:
                for fig in (
                    attainment_histogram(results),
                    cost_distribution(results),
                    payout_curves([self.baseline.plan, design]),
                ):
                    display(fig)
        self.reps.clear_output(wait=True)
        with self.reps:
            display(_html_table(self.rep_table(), index=False))

    def comparison(self) -> pd.DataFrame:
        """The starting plan and the design side by side: mean (P10, P90), and the difference.

        Money is formatted as money (``$134M (P10 $118M, P90 $150M)``), shares as
        percentages; the difference is design minus starting plan, with two
        standard errors of the paired difference.
        """
        if self.table is None:
            raise ValueError(
                "no design has been simulated yet: the sliders' plan is not valid (see the status)"
            )
        t = self.table.set_index(["scenario", "metric"])
        names = [self.baseline.name, DESIGN]
        currency = self.baseline.plan.currency
        rows = {}
        for metric in _SHOWN:
            label = t.loc[(names[0], metric), "label"]
            unit = t.loc[(names[0], metric), "unit"]
            rows[label] = {n: _fmt(t.loc[(n, metric)], unit, currency) for n in names}
            d = t.loc[(DESIGN, metric)]
            rows[label]["difference (± 2 se)"] = format_diff(
                d["diff_vs_baseline"], d["diff_se"], unit, currency=currency
            )
        return pd.DataFrame(rows).T

    def rep_table(self) -> pd.DataFrame:
        """Per rep under the design, and the change in expected pay from the starting plan.

        Rows are sorted by that change, the largest cut first. Money is formatted as
        money and shares as percentages (text, for reading; the numbers are in
        ``result.rep_summary()``).
        """
        if self.result is None or self.baseline_result is None:
            raise ValueError("no design has been simulated yet (see the status)")
        currency = self.baseline.plan.currency
        base = self.baseline_result.rep_summary().set_index("rep_id")
        design = self.result.rep_summary().set_index("rep_id")
        change = design["expected_incentive"] - base["expected_incentive"].reindex(design.index)
        reps = self.book.reps.set_index("rep_id")
        names = reps["name"] if "name" in reps else pd.Series(dtype=str)

        def money(x: float, sign: bool = False) -> str:
            return format_money(x, currency=currency, sign=sign)

        table = pd.DataFrame(
            {
                "rep": design.index.astype(str),
                "name": [str(names.get(r, "")) for r in design.index],
                "region": design["region"].astype(str).to_numpy(),
                "quota": [money(x) for x in design["annual_quota"]],
                "expected attainment": [_pct_or_na(x) for x in design["expected_attainment"]],
                "chance of reaching quota": [_pct_or_na(x) for x in design["p_at_quota"]],
                "expected incentive, as is": [
                    money(x) for x in base["expected_incentive"].reindex(design.index)
                ],
                "expected incentive, design": [money(x) for x in design["expected_incentive"]],
                "change": [money(x, sign=True) if abs(x) >= 0.5 else "no change" for x in change],
            }
        )
        order = change.fillna(0.0).to_numpy().argsort(kind="stable")
        return table.iloc[order].reset_index(drop=True)


def _in_kernel() -> bool:
    """Whether this runs in an IPython kernel (a notebook, Voila), where widgets show."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _pct_or_na(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.0%}"


def _fmt(row: pd.Series, unit: str, currency: str) -> str:
    if unit == "prob":
        return f"{row['mean']:.0%}"
    if unit == "$":
        money = [format_money(row[k], currency=currency) for k in ("mean", "p10", "p90")]
        return f"{money[0]} (P10 {money[1]}, P90 {money[2]})"
    return f"{row['mean']:.1%}"
