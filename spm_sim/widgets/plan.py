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

import base64
import html
import math
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML, Image, display

from spm_sim._format import format_diff, format_money, format_pct, no_maths
from spm_sim.book import Book, load_book_ref
from spm_sim.comp import Plan, component_rules, plan_rules
from spm_sim.errors import SpmSimError, strict_checks
from spm_sim.metrics import compare, proportion_interval, result_flags
from spm_sim.productivity import Behaviour
from spm_sim.scenario import Scenario, sample_plans
from spm_sim.simulate import SalesDraws, SimulationResult, draw_sales
from spm_sim.viz.results import (
    attainment_histogram,
    cost_distribution,
    fig_to_base64_png,
    payout_curves,
)
from spm_sim.widgets.design import (
    NO_CAP,
    SAME,
    DesignValues,
    design_plan,
    lever_range,
    primary_components,
    slider_targets,
    start_values,
)
from spm_sim.widgets.panels import figure_key, html_table

__all__ = [
    "PlanDesigner",
    "DesignValues",
    "design_plan",
    "flags_html",
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


def flags_html(flags: list[dict[str, Any]]) -> str:
    """The "Check before deciding" box of a designer: each flag in words, or "" if none.

    ``flags`` are those of :func:`spm_sim.metrics.result_flags` (or
    :func:`~spm_sim.metrics.check_figures`); every text is escaped.

    Examples
    --------
    >>> flags_html([])
    ''
    >>> box = flags_html([{"message": "scenario 'A': 46% <odd>"}])
    >>> "Check before deciding" in box, "&lt;odd&gt;" in box
    (True, True)
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
            **lever_range("growth"),
            description="Quota growth",
            readout_format=".0%",
            **slider(),
        ),
        "below_quota": widgets.FloatSlider(
            value=1.0,
            **lever_range("below_quota"),
            description="Rates below quota (x the plan's)",
            readout_format=".2f",
            **slider(),
        ),
        "above_quota": widgets.FloatSlider(
            value=1.0,
            **lever_range("above_quota"),
            description="Accelerators above quota (x the plan's)",
            readout_format=".2f",
            **slider(),
        ),
        "threshold": widgets.FloatSlider(
            value=start.threshold,
            **lever_range("threshold"),
            description="Threshold (nothing paid below)",
            readout_format=".0%",
            **slider(),
        ),
        # its readout is a label beside it (_cap_readout): the top of the range reads "no cap"
        "attainment_cap": widgets.FloatSlider(
            value=cap,
            **lever_range("attainment_cap"),
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

#: sets of sales draws a designer keeps (one per set of plan measures tried)
_KEEP_DRAWS = 3

#: the heading of the comparison's last column: design minus the plan as it is
DIFFERENCE = "difference (± margin of error, 2 s.e.)"


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
        :func:`~spm_sim.simulate.simulate` gives in about a tenth of its time (a plan
        declaring other measures draws its own sales once; the last few sets of draws
        are kept). A figure is drawn again only when its data changed.
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

    Raises
    ------
    SpmSimError
        When the starting scenario itself cannot be simulated (e.g. its plan pays
        in another currency than its book). Later failures (a slider combination
        the plan rules refuse, a menu plan that cannot run) never raise: the status
        line says what failed, and the controls and results stay consistent.

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
    status : ipywidgets.HTML
        "Simulating...", then empty; or, when a setting cannot be simulated, what
        failed and that the table and figures were not updated.
    error : Exception or None
        Why the latest :meth:`update` failed (None when it succeeded).
    widget : ipywidgets.VBox
        What a notebook shows: heading, menu, sliders, texts, table and figures.
    reps : ipywidgets.Output
        The per-rep table (:meth:`rep_table`), kept up to date with the sliders;
        a notebook shows it where it explains it.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=50, figures=False, plans={})
    >>> d.sliders["above_quota"].value = 1.5  # re-runs (and redraws in a notebook)
    >>> d.comparison().loc["Incentive cost", DIFFERENCE].startswith("+$")
    True
    >>> d.set(above_quota=1.0, growth=0.1).result.scenario.quota.growth  # one re-run
    0.1
    >>> d.widget  # in a notebook: the heading, menu, sliders, table and figures  # doctest: +SKIP
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
        if book is None:
            with strict_checks(bool(baseline.strict)):  # as prepare() reads the book
                book = load_book_ref(baseline.book)
        self.book = book
        self._quiet = False  # True while set() or a plan change moves several widgets
        self._stale = True  # the starting plan's run must be redone before the next update
        # the sales, drawn once and paid by every design; a plan with other measures
        # needs draws of its own, kept too (the last few), so going back redraws nothing
        self._draws: list[SalesDraws] = []
        self._drawn: dict[str, tuple[Any, Image]] = {}  # each figure's data key and image
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
        self.error: Exception | None = None
        if not self.update() and self.error is not None:
            raise self.error  # the starting scenario itself cannot run: say so at once

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
        """The sliders' values now (``attainment_cap`` None: no cap).

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
        >>> d.values == d.start  # where the design is the plan as it is
        True
        >>> d.set(attainment_cap=None).values.attainment_cap is None
        True
        """
        v = {k: float(s.value) for k, s in self.sliders.items()}
        cap = None if v["attainment_cap"] >= NO_CAP else v["attainment_cap"]
        if (
            self.start.attainment_cap is not None
            and abs(v["attainment_cap"] - self.start.attainment_cap) < 1e-12
        ):
            cap = self.start.attainment_cap
        return DesignValues(v["growth"], v["below_quota"], v["above_quota"], v["threshold"], cap)

    def scenario(self) -> Scenario:
        """The design as a scenario: the starting plan changed by the sliders.

        Raises
        ------
        ValueError
            When the plan rules refuse the sliders' combination (the message says
            which rule; the designer shows it in its status line).

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
        >>> d.scenario().plan == d.baseline.plan  # the sliders at their start
        True
        >>> d.set(above_quota=1.5).scenario().plan.name
        'Design (from Baseline 2026 AE plan)'
        """
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
        it was set to, so the page and the sliders agree. If the setting cannot be
        simulated (a plan the rules refuse, a plan in another currency than the
        book), every control goes back to where it was and the status line says why.

        Parameters
        ----------
        plan : str, optional
            A plan of the "Start from plan" menu (applied first: it puts the sliders
            back to that plan's start, also when it is the plan already picked).
        behaviour : bool, optional
            Whether reps respond to the plan.
        **values : float
            Slider values by name (``growth``, ``below_quota``, ``above_quota``,
            ``threshold``, ``attainment_cap``; ``attainment_cap=None`` means no cap).

        Raises
        ------
        ValueError
            For a slider or plan that does not exist, or a value outside a slider's
            range (a slider would silently clamp it); nothing is changed then.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, plans={})
        >>> d.set(above_quota=1.5, growth=0.1).values.above_quota
        1.5
        >>> list(d.comparison().columns)
        ['As is: Baseline 2026 AE plan', 'Design', 'difference (± margin of error, 2 s.e.)']
        >>> d.set(plan="Baseline 2026 AE plan").values.above_quota  # back to the plan's start
        1.0
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
        wanted = {}
        for name, value in values.items():
            slider = self.sliders[name]
            if value is None and name == "attainment_cap":
                value = NO_CAP
            if value is None or not slider.min - SAME <= float(value) <= slider.max + SAME:
                raise ValueError(
                    f"PlanDesigner.set: {name}={value!r} is outside the slider's range "
                    f"{slider.min:g} to {slider.max:g}; give a value inside it"
                )
            wanted[name] = float(value)
        before = self._snapshot()
        self._quiet = True
        try:
            if plan is not None and plan == self.plan_choice.value:
                self._on_plan({"old": plan, "new": plan})  # no event: reset by hand
            elif plan is not None:
                self.plan_choice.value = plan
            if behaviour is not None:
                self.behaviour.value = bool(behaviour)
            for name, value in wanted.items():
                self.sliders[name].value = value
        finally:
            self._quiet = False
        if not self.update():
            self._restore(before)
            self._say_not_updated(
                "This setting could not be simulated",
                note="Every control is back where it was.",
            )
        return self

    def _snapshot(self) -> dict[str, Any]:
        """What the controls say now, for :meth:`_restore` after a failed run."""
        return {
            "plan": self.plan_choice.value,
            "baseline": self.baseline,
            "start": self.start,
            "behaviour": self.behaviour.value,
            "stale": self._stale,
            "sliders": {k: (s.min, s.max, s.value) for k, s in self.sliders.items()},
        }

    def _restore(self, before: dict[str, Any]) -> None:
        """Put every control back as :meth:`_snapshot` found it, without a re-run."""
        quiet, self._quiet = self._quiet, True
        try:
            self.plan_choice.value = before["plan"]
            self.behaviour.value = before["behaviour"]
            for name, (low, high, value) in before["sliders"].items():
                slider = self.sliders[name]
                slider.min, slider.max = min(slider.min, low), max(slider.max, high)
                slider.value = value
                slider.max, slider.min = high, low
            self.baseline, self.start = before["baseline"], before["start"]
            self._stale = before["stale"]
            self._enable_sliders()
        finally:
            self._quiet = quiet

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
        fits = [d for d in self._draws if d.mismatch(scenario) is None]
        if not fits:
            fits = [draw_sales(scenario, self.n_trials, book=self.book)]
            self._draws = [*self._draws[-(_KEEP_DRAWS - 1) :], fits[0]]
        return fits[0].pay(scenario)

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
        """Start from the picked plan: the sliders go back to its values, both re-run.

        A plan that cannot be simulated puts the menu (and everything else) back.
        """
        before = {**self._snapshot(), "plan": change["old"]}
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
        if not quiet and not self.update():
            self._restore(before)
            self._say_not_updated(
                f"Plan {change['new']!r} could not be simulated",
                note=f"'Start from plan' is back on {change['old']!r}.",
            )

    def _enable_sliders(self) -> None:
        """Grey out the threshold and cap sliders of a plan without commission."""
        none = not primary_components(self.baseline.plan)
        self.sliders["threshold"].disabled = none
        self.sliders["attainment_cap"].disabled = none

    def _say_not_updated(self, what: str, *, note: str = "") -> None:
        """The status line after a failed run: what failed, why, and what is shown."""
        why = "" if self.error is None else f": {str(self.error).rstrip('.')}"
        shown = (
            "The table and figures are not updated: they show the last setting that ran."
            if self.table is not None
            else "Nothing is shown until a setting runs."
        )
        text = " ".join(filter(None, [f"{what}{why}.", note, shown]))
        self.status.value = no_maths(f"<span style='color:#b00'>{html.escape(text)}</span>")

    def update(self) -> bool:
        """Re-run both plans' Monte Carlo and redraw (what every control change calls).

        Both runs (the starting plan when it must be redone, and the design) are
        done before anything is shown, so the table, the figures and the per-rep
        table always come from one setting. A combination the plan rules refuse, or
        a run that fails (e.g. a plan in another currency than the book), is named
        in the status line (:attr:`error` keeps it); the last good table and
        figures stay on screen.

        Returns
        -------
        bool
            Whether the runs succeeded and the page shows the current setting.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
        >>> d.update(), d.error is None
        (True, True)
        """
        self.status.value = f"<i>Simulating {self.n_trials:,} years of sales...</i>"
        self.error = None
        try:
            scenario = self.scenario()
        except ValueError as exc:  # a combination the plan rules reject
            self.error = exc
            self._say_not_updated("Not a valid plan")
            return False
        try:
            base = self.baseline_result
            if self._stale or base is None:
                base = self._run(self.baseline)
            result = self._run(scenario)
            results = [base, result]
            table = compare(results)
            flags = result_flags(results)
        except (SpmSimError, ValueError, OSError) as exc:
            self.error = exc
            self._say_not_updated("Could not simulate this setting")
            return False
        self.baseline_result, self.result, self.table, self.flags = base, result, table, flags
        self._stale = False
        self.plan_text.value = no_maths(_describe_plan(scenario.plan))
        self.flags_text.value = no_maths(flags_html(self.flags)) if self.flags else ""
        if _in_kernel():  # outside a kernel an Output widget would print to stdout
            self._draw(results, scenario.plan)
        self.status.value = self._role_note(scenario)
        return True

    def _draw(self, results: list[SimulationResult], design: Plan) -> None:
        """Redraw the table and figures, and the per-rep table.

        A figure whose data did not change since it was last drawn (the attainment
        when only the plan moved, the payout curves when only the quotas did) is shown
        again from its image, not drawn again.
        """
        images = self._images(results, design) if self.figures else []
        self.output.clear_output(wait=True)
        with self.output:
            display(_html_table(self.comparison()))
            for image in images:
                display(image)
        self.reps.clear_output(wait=True)
        with self.reps:
            display(HTML(no_maths(html_table(self.rep_table(), classes="spm-reps"))))

    def _images(self, results: list[SimulationResult], design: Plan) -> list[Image]:
        """The three figures as PNG images, each drawn only when its data changed."""
        import matplotlib.pyplot as plt

        curves = (results[0].scenario.plan, results[0].scenario.name, design)
        keys = {
            "attainment": figure_key(
                results,
                [r.trials["company_attainment"].to_numpy(float) for r in results]
                + [r.rep_attainment for r in results],
            ),
            "cost": figure_key(
                results, [r.trials["incentive_cost"].to_numpy(float) for r in results]
            ),
            "curves": (curves[0].model_dump_json(), curves[1], curves[2].model_dump_json()),
        }
        makers = {
            "attainment": lambda: attainment_histogram(results),
            "cost": lambda: _cost_figure(results),
            "curves": lambda: _curves_figure(results, design),
        }
        out = []
        for name, key in keys.items():
            cached = self._drawn.get(name)
            if cached is None or cached[0] != key:
                fig = makers[name]()
                try:
                    png = base64.b64decode(fig_to_base64_png(fig))
                finally:
                    plt.close(fig)
                cached = self._drawn[name] = (key, Image(data=png, format="png"))
            out.append(cached[1])
        return out

    def comparison(self) -> pd.DataFrame:
        """The starting plan and the design side by side, and the difference.

        Money and shares read as the mean with P10 and P90 (one simulated year in
        ten below, one in ten above); the chance of reaching the company target,
        a single probability, with its 95% (Wilson) interval. The difference is
        the design minus the starting plan with its margin of error: two standard
        errors of the paired difference (both plans are paid on the same sales).

        Returns
        -------
        DataFrame
            One row per figure (its label), columns ``"As is: <plan>"``,
            ``"Design"`` and :data:`DIFFERENCE`; text, for reading (the numbers
            are in :attr:`table`).

        Raises
        ------
        ValueError
            Before any setting has been simulated.

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
        >>> d.comparison().loc["Incentive cost", DIFFERENCE]
        'no change'
        >>> d.comparison().loc["Incentive cost", "Design"].startswith("$")
        True
        """
        if self.table is None or self.baseline_result is None:
            raise ValueError(
                "no design has been simulated yet: the sliders' plan is not valid (see the status)"
            )
        t = self.table.set_index(["scenario", "metric"])
        names = list(dict.fromkeys(self.table["scenario"]))  # as is, design: as they ran
        currency = self.baseline_result.scenario.plan.currency
        rows = {}
        for metric in _SHOWN:
            label = t.loc[(names[0], metric), "label"]
            unit = t.loc[(names[0], metric), "unit"]
            rows[label] = {n: _fmt(t.loc[(n, metric)], unit, currency) for n in names}
            d = t.loc[(names[1], metric)]
            rows[label][DIFFERENCE] = format_diff(
                d["diff_vs_baseline"], d["diff_se"], unit, currency=currency
            )
        return pd.DataFrame(rows).T

    def rep_table(self) -> pd.DataFrame:
        """Per rep under the design, and the change in expected pay from the starting plan.

        Rows are sorted by that change, the largest cut first. Money is formatted as
        money and shares as percentages (text, for reading; the numbers are in
        ``result.rep_summary()``).

        Examples
        --------
        >>> from spm_sim import sample_scenario
        >>> d = PlanDesigner(sample_scenario("baseline"), n_trials=20, figures=False, plans={})
        >>> t = d.set(attainment_cap=1.2).rep_table()
        >>> len(t), t["change"].iloc[0].startswith("-$"), t["change"].iloc[-1]
        (80, True, 'no change')
        """
        if self.result is None or self.baseline_result is None:
            raise ValueError("no design has been simulated yet (see the status)")
        currency = self.baseline_result.scenario.plan.currency
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


def _figures(results: list[SimulationResult], design: Plan) -> list[Any]:
    """The designer's three figures, naming the plans as its table does.

    ``results`` are the runs of the starting plan ("As is: <plan>") and of the
    design ("Design"); ``design`` is the design's plan. The payout curves and the
    cost chart's dashed reference line carry those names too.
    """
    return [attainment_histogram(results), _cost_figure(results), _curves_figure(results, design)]


def _curves_figure(results: list[SimulationResult], design: Plan) -> Any:
    """The payout curves of the starting plan and the design, named as in the table."""
    as_is = results[0].scenario.plan.replace(name=results[0].scenario.name)
    return payout_curves([as_is, design.replace(name=DESIGN)])


def _cost_figure(results: list[SimulationResult]) -> Any:
    """The cost distribution, its reference line named after the starting plan."""
    as_is = results[0].scenario.name
    cost = cost_distribution(results)
    for ax in cost.axes:  # the chart calls the first run "the baseline"
        label = ax.get_xlabel()
        if "the baseline's P50" in label:
            ax.set_xlabel(label.replace("the baseline's P50", f"P50 of {as_is}"))
    return cost


def _in_kernel() -> bool:
    """Whether this runs in an IPython kernel (a notebook, Voila), where widgets show."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _pct_or_na(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.0%}"


def _fmt(row: pd.Series, unit: str, currency: str) -> str:
    """One cell of the comparison: the mean with P10 and P90, a probability with its interval.

    Examples
    --------
    >>> _fmt(pd.Series({"mean": 0.53, "n_trials": 100}), "prob", "USD")
    '53% (95% interval 43% to 62%)'
    >>> _fmt(pd.Series({"mean": 0.5, "p10": 0.35, "p90": 0.6125}), "ratio", "USD")
    '50.0% (P10 35.0%, P90 61.2%)'
    """
    if unit == "prob":  # one number per run: its sampling error, not a spread of years
        n = int(row["n_trials"])
        _, low, high = proportion_interval(float(row["mean"]) * n, n)
        pct = [format_pct(x, decimals=0) for x in (float(row["mean"]), low, high)]
        return f"{pct[0]} (95% interval {pct[1]} to {pct[2]})"
    if unit == "$":
        money = [format_money(row[k], currency=currency) for k in ("mean", "p10", "p90")]
        return f"{money[0]} (P10 {money[1]}, P90 {money[2]})"
    pct = [format_pct(float(row[k]), decimals=1) for k in ("mean", "p10", "p90")]
    return f"{pct[0]} (P10 {pct[1]}, P90 {pct[2]})"
