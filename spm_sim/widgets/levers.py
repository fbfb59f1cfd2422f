"""The workbench's levers: their values, what they do to a scenario, their widgets.

:class:`Levers` holds the lever values as a plain value; :func:`start_levers` reads
them off a scenario and :func:`apply_levers` puts them back into one (a validated
``Scenario.replace``; the plan levers through :func:`spm_sim.widgets.design_plan`).
Levers at the scenario's own values change nothing but its name, so before anything
moves the design *is* the baseline.

:func:`run_design` pays the design, and the baseline beside it, on sales drawn once.

The widgets side: :func:`lever_widgets` builds the sliders and menus,
:func:`show_levers` puts them on a :class:`Levers`, :func:`read_levers` reads them
back, :func:`untouched_levers` keeps a lever nobody moved at the scenario's own
value (whatever rounding the widget did) and :func:`lever_note` says what the levers
act on. :class:`spm_sim.widgets.Workbench` wires them to the menus and the results.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields, replace
from typing import Any

import ipywidgets as widgets
import pandas as pd

from spm_sim.comp import Plan
from spm_sim.metrics import compare
from spm_sim.productivity import Behaviour
from spm_sim.quota import QuotaSettings
from spm_sim.report import headline
from spm_sim.scenario import Scenario
from spm_sim.simulate import SalesDraws, SimulationResult

from .design import (
    NO_CAP,
    DesignValues,
    design_plan,
    lever_range,
    primary_components,
    slider_targets,
)

__all__ = [
    "CALIBRATED_PROBABILITY",
    "LABEL_STYLE",
    "NO_CAP",
    "PLAN_LEVERS",
    "QUOTA_METHODS",
    "WIDE",
    "DesignRun",
    "Levers",
    "apply_levers",
    "baseline_as_run",
    "design_description",
    "design_name",
    "lever_changes",
    "lever_note",
    "lever_widgets",
    "method_options",
    "read_levers",
    "run_design",
    "show_levers",
    "start_levers",
    "untouched_levers",
]

#: the quota methods the app offers (each needs nothing beyond the book's bookings);
#: a scenario with another method also offers its own
QUOTA_METHODS = {
    "history": "Last year's run rate (history)",
    "equal": "Equal shares (equal)",
    "calibrated": "Same chance for every rep (calibrated)",
}

#: probability of reaching quota a calibrated quota aims at, unless the scenario says
CALIBRATED_PROBABILITY = 0.6

#: the levers that act on the plan (off for a plan without a commission component)
PLAN_LEVERS = ("threshold", "commission", "accelerator", "cap")

#: the style of the app's labelled widgets: one label column wide enough for the
#: longest label in full, so the menus and sliders line up
LABEL_STYLE = {"description_width": "340px"}

#: the layout of the app's menus and notes
WIDE = widgets.Layout(width="760px")

_SLIDER = widgets.Layout(width="760px")


@dataclass(frozen=True)
class Levers:
    """The values of the workbench's levers (a plain, comparable value).

    Attributes
    ----------
    growth, over_assignment : float
        Quota growth on last year and rep over-assignment (0.05 = 5%).
    method : str
        Quota method: a key of :data:`QUOTA_METHODS`, or the scenario's own method.
    threshold : float
        Attainment of the plan's primary commission below which it pays nothing;
        once reached, it pays from the first dollar.
    commission, accelerator : float
        Multipliers on every commission component's rates (tiers or pay-curve
        slopes) below quota and at or above it.
    cap : float or None
        Attainment cap of the primary commission (None: no cap).
    behaviour : bool
        Reps respond to the plan (effort and deal timing), in baseline and design.

    Examples
    --------
    >>> a = Levers(growth=0.08, over_assignment=0.05, method="history", threshold=0.5)
    >>> a.commission, a.cap, a == replace(a, cap=None)
    (1.0, None, True)
    """

    growth: float
    over_assignment: float
    method: str
    threshold: float
    commission: float = 1.0
    accelerator: float = 1.0
    cap: float | None = None
    behaviour: bool = False


def start_levers(scenario: Scenario) -> Levers:
    """The levers where ``scenario`` has them: moving none leaves it unchanged.

    The quota method is the scenario's own, whichever it is.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> start = start_levers(sample_scenario("baseline"))
    >>> start.growth, start.method, start.threshold, start.cap, start.behaviour
    (0.08, 'history', 0.5, 3.0, False)
    >>> start_levers(sample_scenario("calibrated_quotas")).method
    'calibrated'
    """
    q = scenario.quota
    primary = primary_components(scenario.plan)
    return Levers(
        growth=float(q.growth),
        over_assignment=float(q.over_assignment.rep),
        method=str(q.method),
        threshold=float(primary[0].threshold) if primary else 0.0,
        cap=primary[0].attainment_cap if primary else None,
        behaviour=scenario.behaviour is not None,
    )


def method_options(scenario: Scenario) -> list[tuple[str, str]]:
    """The quota-method menu for ``scenario``: the app's methods and its own.

    Parameters
    ----------
    scenario : Scenario
        The baseline; its quota method is offered too when the app does not offer it.

    Returns
    -------
    list of (str, str)
        ``(label, method)`` pairs, :data:`QUOTA_METHODS` first.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> b = sample_scenario("baseline")
    >>> method_options(b)[0]
    ("Last year's run rate (history)", 'history')
    >>> method_options(b.replace(quota=b.quota.replace(method="potential")))[-1]
    ("The scenario's own (potential)", 'potential')
    """
    options = [(label, key) for key, label in QUOTA_METHODS.items()]
    own = str(scenario.quota.method)
    if own not in QUOTA_METHODS:
        options.append((f"The scenario's own ({own})", own))
    return options


def _pct(x: float) -> str:
    """``0.125`` as ``12.5%``, ``0.1`` as ``10%``: no more decimals than it has."""
    return f"{round(x * 100, 4):g}%"


def _times(x: float) -> str:
    return f"x{round(x, 4):g}"


def _method(method: str) -> str:
    return QUOTA_METHODS.get(method, f"the scenario's own ({method})")


def _cap(cap: float | None) -> str:
    return "no cap" if cap is None else _pct(cap)


def lever_changes(start: Levers, levers: Levers) -> list[tuple[str, str]]:
    """What differs between ``levers`` and ``start``, lever by lever, in words.

    Parameters
    ----------
    start : Levers
        The baseline's own values (:func:`start_levers`).
    levers : Levers
        The design's values.

    Returns
    -------
    list of (str, str)
        For each lever that moved, in the order of :class:`Levers`: a short phrase
        (for the design's name) and a sentence saying the new value and the
        baseline's (for its description).

    Examples
    --------
    >>> start = Levers(growth=0.08, over_assignment=0.05, method="history", threshold=0.5)
    >>> for short, long in lever_changes(start, replace(start, accelerator=1.25, cap=2.0)):
    ...     print(f"{short}: {long}")
    accelerators x1.25: accelerator rates above quota x1.25 the plan's
    cap 200%: attainment cap 200% (baseline: no cap)
    >>> lever_changes(start, start)
    []
    """
    out: list[tuple[str, str]] = []
    for f in fields(Levers):
        old, new = getattr(start, f.name), getattr(levers, f.name)
        if old == new:
            continue
        if f.name == "growth":
            out.append(
                (f"quota growth {_pct(new)}", f"quota growth {_pct(new)} (baseline {_pct(old)})")
            )
        elif f.name == "over_assignment":
            out.append(
                (
                    f"over-assignment {_pct(new)}",
                    f"rep quota over-assignment {_pct(new)} (baseline {_pct(old)})",
                )
            )
        elif f.name == "method":
            out.append(
                (
                    f"{new} quotas",
                    f"quota method: {_method(new)} (baseline: {_method(old)})",
                )
            )
        elif f.name == "threshold":
            out.append(
                (
                    f"threshold {_pct(new)}",
                    f"commission threshold {_pct(new)} attainment (baseline {_pct(old)})",
                )
            )
        elif f.name == "commission":
            out.append(
                (
                    f"commission {_times(new)}",
                    f"commission rates below quota {_times(new)} the plan's",
                )
            )
        elif f.name == "accelerator":
            out.append(
                (
                    f"accelerators {_times(new)}",
                    f"accelerator rates above quota {_times(new)} the plan's",
                )
            )
        elif f.name == "cap":
            short = "no cap" if new is None else f"cap {_pct(new)}"
            out.append((short, f"attainment cap {_cap(new)} (baseline: {_cap(old)})"))
        elif f.name == "behaviour":
            out.append(
                (
                    "reps respond",
                    "reps respond to the plan (effort, deal timing), in the baseline too",
                )
                if new
                else ("reps do not respond", "reps' response to the plan off, in the baseline too")
            )
    return out


def design_name(start: Levers, levers: Levers) -> str:
    """The design's scenario name: "Design" and the levers that moved.

    Examples
    --------
    >>> start = Levers(growth=0.08, over_assignment=0.05, method="history", threshold=0.5)
    >>> design_name(start, replace(start, accelerator=1.25, method="calibrated", behaviour=True))
    'Design: calibrated quotas, accelerators x1.25, reps respond'
    >>> design_name(start, start)
    'Design (no change)'
    """
    changes = [short for short, _ in lever_changes(start, levers)]
    if not changes:
        return "Design (no change)"
    name = "Design: " + ", ".join(changes)
    return name if len(name) <= 200 else name[:197] + "..."  # a scenario name's limit


def design_description(baseline: str, start: Levers, levers: Levers) -> str:
    """The design's scenario description: every lever change from ``baseline``, in words.

    Examples
    --------
    >>> start = Levers(growth=0.08, over_assignment=0.05, method="history", threshold=0.5)
    >>> design_description("Baseline 2026", start, replace(start, threshold=0.6))
    'Baseline 2026 with commission threshold 60% attainment (baseline 50%).'
    >>> design_description("Baseline 2026", start, start)
    'Baseline 2026 as it is: no lever moved.'
    """
    changes = [long for _, long in lever_changes(start, levers)]
    if not changes:
        return f"{baseline} as it is: no lever moved."
    return f"{baseline} with " + "; ".join(changes) + "."


def apply_levers(
    baseline: Scenario,
    levers: Levers,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Scenario:
    """The baseline scenario with the levers' values (validated; the design).

    Levers at the baseline's own values (:func:`start_levers`) change nothing but
    the name and description: by default :func:`design_name` and
    :func:`design_description` (what moved, in words). The quota levers set the
    growth, the reps' over-assignment and the method; the method changes only when
    ``levers.method`` differs from the baseline's (calibrated quotas follow their
    probability: no over-assignment). The plan levers go through
    :func:`spm_sim.widgets.design_plan` (the plan is then named "Design (from
    <plan>)"): ``commission`` and ``accelerator`` multiply every commission
    component's rates below quota and at or above it (tiers, or the slopes of a pay
    curve); ``threshold`` and ``cap`` set those of the commission components on the
    plan's primary measure; bonuses, MBOs, SPIFFs and draws are left as they are.
    ``behaviour`` turns the reps' response on (the defaults, measured against the
    baseline's plan) or off.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> d = apply_levers(s, replace(start_levers(s), threshold=0.6, growth=0.1))
    >>> d.plan.components[0].threshold, d.quota.growth, d.name
    (0.6, 0.1, 'Design: quota growth 10%, threshold 60%')
    >>> apply_levers(s, start_levers(s)).plan == s.plan
    True
    """
    start = start_levers(baseline)
    changes: dict[str, Any] = {
        "name": design_name(start, levers) if name is None else name,
        "description": (
            design_description(baseline.name, start, levers) if description is None else description
        ),
    }
    if (levers.growth, levers.over_assignment, levers.method) != (
        start.growth,
        start.over_assignment,
        start.method,
    ):
        changes["quota"] = _quota(baseline, levers)
    plan = design_plan(
        baseline.plan,
        DesignValues(
            growth=levers.growth,
            below_quota=levers.commission,
            above_quota=levers.accelerator,
            threshold=levers.threshold,
            attainment_cap=levers.cap,
        ),
        DesignValues(
            growth=levers.growth,
            below_quota=1.0,
            above_quota=1.0,
            threshold=start.threshold,
            attainment_cap=start.cap,
        ),
        name="Design",
    )
    if plan is not baseline.plan:
        changes["plan"] = plan
    if levers.behaviour != start.behaviour:
        changes["behaviour"] = Behaviour(reference_plan=baseline.plan) if levers.behaviour else None
    return baseline.replace(**changes)


def _quota(baseline: Scenario, levers: Levers) -> QuotaSettings:
    q = baseline.quota
    calibrated = levers.method == "calibrated"
    changes: dict[str, Any] = {
        "growth": round(levers.growth, 6),
        "over_assignment": {
            "region": 0.0 if calibrated else q.over_assignment.region,
            "rep": 0.0 if calibrated else round(levers.over_assignment, 6),
        },
    }
    if levers.method != q.method:
        changes["method"] = levers.method
        if calibrated:
            changes["probability"] = CALIBRATED_PROBABILITY
    return q.replace(**changes)


@dataclass
class DesignRun:
    """One computed update of the workbench (:func:`run_design`).

    Attributes
    ----------
    design : Scenario
        The baseline with the levers' values.
    result, base : SimulationResult
        The design's and the baseline's results, on the same sales.
    table : DataFrame
        :func:`spm_sim.report.headline` of the baseline and the design.
    numbers : DataFrame
        :func:`spm_sim.metrics.compare` of the baseline and the design.
    """

    design: Scenario
    result: SimulationResult
    base: SimulationResult
    table: pd.DataFrame
    numbers: pd.DataFrame


def run_design(
    baseline: Scenario,
    draws: SalesDraws,
    levers: Levers,
    cache: dict[bool, SimulationResult],
) -> DesignRun:
    """Pay the design (and, once per behaviour setting, the baseline) on ``draws``.

    Parameters
    ----------
    baseline : Scenario
        The scenario the levers start from.
    draws : SalesDraws
        Sales drawn once for the baseline (:func:`spm_sim.simulate.draw_sales`).
    levers : Levers
        The design's lever values (:func:`apply_levers`).
    cache : dict of bool to SimulationResult
        The baseline's results by ``levers.behaviour``: read, and filled once the
        run succeeded.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.simulate import draw_sales
    >>> s = sample_scenario("baseline")
    >>> cache = {}
    >>> run = run_design(s, draw_sales(s, 200), replace(start_levers(s), threshold=0.6), cache)
    >>> run.design.plan.components[0].threshold, list(cache), cache[False] is run.base
    (0.6, [False], True)
    """
    design = apply_levers(baseline, levers)
    base = cache.get(levers.behaviour)
    if base is None:
        base = draws.pay(baseline_as_run(baseline, levers.behaviour))
    result = draws.pay(design)
    table = headline([base, result])
    numbers = table.attrs.get("compare")  # the comparison the headline was read from
    if numbers is None:
        numbers = compare([base, result])
    run = DesignRun(design, result, base, table, numbers)
    cache[levers.behaviour] = base
    return run


def baseline_as_run(baseline: Scenario, behaviour: bool) -> Scenario:
    """The baseline the design is compared with: ``baseline`` itself, or, when the
    behaviour lever moved, ``baseline`` with the reps' response on (or off), named so.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> baseline_as_run(s, False) is s
    True
    >>> moved = baseline_as_run(s, True)
    >>> moved.name, moved.behaviour is not None
    ('Baseline 2026, reps respond', True)
    """
    start = start_levers(baseline)
    if behaviour == start.behaviour:
        return baseline
    said = "reps respond" if behaviour else "reps do not respond"
    return apply_levers(
        baseline,
        replace(start, behaviour=behaviour),
        name=f"{baseline.name}, {said}",
        description=" ".join(
            filter(None, [baseline.description, f"Here {said} to the plan (as in the design)."])
        ),
    )


def untouched_levers(levers: Levers, shown: Levers, start: Levers) -> Levers:
    """``levers`` with each lever still showing its start value set back to that value.

    ``shown`` is the start as the widgets hold it, ``start`` the baseline's own
    (:func:`start_levers`): a widget that rounds or clamps a value cannot make the
    untouched design differ from the baseline.

    Examples
    --------
    >>> start = Levers(growth=0.0812345, over_assignment=0.05, method="history", threshold=0.5)
    >>> shown = replace(start, growth=0.08)  # what a slider of step 0.01 holds
    >>> untouched_levers(replace(shown, threshold=0.6), shown, start).growth
    0.0812345
    >>> untouched_levers(replace(shown, growth=0.1), shown, start).growth
    0.1
    """
    same = {
        f.name: getattr(start, f.name)
        for f in fields(Levers)
        if getattr(levers, f.name) == getattr(shown, f.name)
    }
    return replace(levers, **same)


def lever_widgets() -> dict[str, Any]:
    """The lever widgets, by their :class:`Levers` field names (not yet on any value).

    Each has a tooltip saying what it does (never none: the browser would show
    "null"). The sliders update on release (``continuous_update=False``); the cap slider's
    top value, :data:`NO_CAP`, means no cap. :func:`show_levers` puts them on a
    scenario's values.

    Examples
    --------
    >>> w = lever_widgets()
    >>> list(w) == [f.name for f in fields(Levers)]
    True
    >>> w["cap"].max, w["method"].value
    (5.0, 'history')
    """
    menu: dict[str, Any] = dict(style=LABEL_STYLE, layout=WIDE)
    slider: dict[str, Any] = dict(continuous_update=False, style=LABEL_STYLE, layout=_SLIDER)
    return {
        "growth": widgets.FloatSlider(
            **lever_range("growth"),
            description="Quota growth on last year",
            tooltip="The company target's growth on last year's bookings",
            readout_format=".0%",
            **slider,
        ),
        "over_assignment": widgets.FloatSlider(
            min=0.0,
            max=0.3,
            step=0.01,
            description="Quota over-assignment (reps)",
            tooltip="How much more the reps' quotas add up to than the company target",
            readout_format=".0%",
            **slider,
        ),
        "method": widgets.Dropdown(
            options=[(v, k) for k, v in QUOTA_METHODS.items()],
            description="Quota method",
            tooltip="How the target is split into the reps' quotas",
            **menu,
        ),
        "threshold": widgets.FloatSlider(
            **lever_range("threshold"),
            description="Threshold: nothing paid below this attainment",
            tooltip="Below this attainment the commission pays nothing",
            readout_format=".0%",
            **slider,
        ),
        "commission": widgets.FloatSlider(
            value=1.0,
            **lever_range("below_quota"),
            description="Commission rates below quota (x plan)",
            tooltip="Multiplies the plan's commission rates below quota",
            **slider,
        ),
        "accelerator": widgets.FloatSlider(
            value=1.0,
            **lever_range("above_quota"),
            description="Accelerator rates above quota (x plan)",
            tooltip="Multiplies the plan's rates at and above quota",
            **slider,
        ),
        "cap": widgets.FloatSlider(
            **lever_range("attainment_cap"),
            description=f"Attainment cap ({NO_CAP:.0%} = no cap)",
            tooltip="Attainment above the cap earns nothing more",
            readout_format=".0%",
            **slider,
        ),
        "behaviour": widgets.Checkbox(
            description="Reps respond to the plan (effort, deal timing)",
            tooltip="In the baseline and the design alike",
            **menu,
        ),
    }


def show_levers(w: dict[str, Any], levers: Levers, scenario: Scenario) -> float:
    """Put the widgets ``w`` (:func:`lever_widgets`) on ``levers``.

    A slider's range widens to reach a value outside it; the method menu offers
    ``scenario``'s own method (:func:`method_options`). The caller keeps the
    widgets' observers quiet meanwhile.

    Returns
    -------
    float
        The cap slider's top value, which means no cap: :data:`NO_CAP`, or above
        the cap of a plan whose own cap is higher.

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> s = sample_scenario("baseline")
    >>> w = lever_widgets()
    >>> show_levers(w, replace(start_levers(s), growth=0.7), s)
    5.0
    >>> w["growth"].value, w["growth"].max, w["cap"].value
    (0.7, 0.7, 3.0)
    """
    w["method"].options = method_options(scenario)
    for key, lo, hi in (
        ("growth", -0.2, 0.5),
        ("over_assignment", 0.0, 0.3),
        ("threshold", 0.0, 0.9),
    ):
        value = getattr(levers, key)
        w[key].min, w[key].max = min(lo, value), max(hi, value)
        w[key].value = value
    w["method"].value = levers.method
    w["commission"].value = levers.commission
    w["accelerator"].value = levers.accelerator
    cap = levers.cap
    # the top of the cap lever means "no cap": above any cap the plan has
    no_cap = NO_CAP if cap is None or cap < NO_CAP else float(int(cap) + 1)
    w["cap"].max = max(w["cap"].max, no_cap)  # widen before narrowing
    w["cap"].min = min(1.0, cap) if cap is not None else 1.0
    w["cap"].max = no_cap
    w["cap"].value = no_cap if cap is None else cap
    w["cap"].description = f"Attainment cap ({no_cap:.0%} = no cap)"
    w["behaviour"].value = levers.behaviour
    return no_cap


def read_levers(w: dict[str, Any], no_cap: float = NO_CAP) -> Levers:
    """The values the widgets ``w`` hold (:func:`lever_widgets`), as :class:`Levers`.

    Values are rounded to 6 decimals (a slider's float round trip); the cap at
    ``no_cap`` (the value :func:`show_levers` returned) reads as no cap.

    Examples
    --------
    >>> w = lever_widgets()
    >>> w["threshold"].value, w["cap"].value = 0.55, 2.5
    >>> levers = read_levers(w)
    >>> levers.threshold, levers.cap, levers.method
    (0.55, 2.5, 'history')
    >>> w["cap"].value = NO_CAP
    >>> read_levers(w).cap is None
    True
    """
    cap = float(w["cap"].value)
    return Levers(
        growth=round(float(w["growth"].value), 6),
        over_assignment=round(float(w["over_assignment"].value), 6),
        method=str(w["method"].value),
        threshold=round(float(w["threshold"].value), 6),
        commission=round(float(w["commission"].value), 6),
        accelerator=round(float(w["accelerator"].value), 6),
        cap=None if cap >= no_cap - 1e-9 else round(cap, 6),
        behaviour=bool(w["behaviour"].value),
    )


def lever_note(plan: Plan | None, method: str, *, has_commission: bool) -> str:
    """What the levers act on, for ``plan`` and the quota ``method`` (HTML).

    Parameters
    ----------
    plan : Plan or None
        The baseline's plan (None: no plan loaded yet, the general note only).
    method : str
        The quota method the menu shows.
    has_commission : bool
        Whether the plan levers are on (the plan has a commission component).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> plan = sample_scenario("baseline").plan
    >>> "threshold and cap act on" in lever_note(plan, "history", has_commission=True)
    True
    >>> "over-assignment does not apply" in lever_note(None, "calibrated", has_commission=True)
    True
    """
    lines = [
        "<b>Threshold</b>: below it the commission pays nothing; once reached, it "
        "pays from the first dollar."
    ]
    if plan is not None and has_commission:
        targets = slider_targets(plan)
        lines.append(
            "The rate levers multiply the rates (tiers or pay-curve slopes) of "
            f"{', '.join(targets['rates'])}; threshold and cap act on "
            f"{', '.join(targets['threshold_cap'])}."
        )
        if targets["unchanged"]:
            lines.append(f"No lever changes {', '.join(targets['unchanged'])}.")
    elif plan is not None:
        lines.append(
            f"Plan {html.escape(plan.name)!r} has no commission component: the plan levers are off."
        )
    if method == "calibrated":
        lines.append(
            "<b>Calibrated quotas</b> are set from each rep's simulated sales so that "
            "every rep has the same chance of reaching quota: over-assignment does not "
            "apply (off), and growth moves only the company target (and the chance of "
            "reaching it), not the reps' quotas."
        )
    return "<div style='color:#444;font-size:0.9em'>" + "<br>".join(lines) + "</div>"
