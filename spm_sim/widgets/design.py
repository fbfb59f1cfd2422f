"""What the plan designer's sliders do to a plan: pure functions over specs.

:func:`design_plan` applies the slider values (:class:`DesignValues`) to a baseline
plan: the two rate multipliers act on every commission component (the rates of its
tiers, or the slopes of its pay curve, below and above 100% of quota); the threshold
and the attainment cap act on the commission components paid on the plan's primary
measure (the measure of its first commission component); bonuses, MBOs, SPIFFs,
contests, the draw and the clawback are left as they are. :func:`slider_targets`
names the components each group of sliders changes. The plan designer
(:mod:`spm_sim.widgets.plan`) and the app (:mod:`spm_sim.widgets.app`) both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spm_sim.comp import Component, Plan
from spm_sim.scenario import Scenario

__all__ = [
    "LEVER_RANGES",
    "lever_range",
    "NO_CAP",
    "SAME",
    "DesignValues",
    "design_plan",
    "primary_components",
    "slider_targets",
    "start_values",
]

#: the attainment-cap slider's top value, meaning "no cap"
NO_CAP = 5.0

#: (min, max, step) of each plan-design lever, the same in the notebook's designer
#: and in the app; a plan whose own value lies outside widens the range there
LEVER_RANGES: dict[str, tuple[float, float, float]] = {
    "growth": (-0.2, 0.5, 0.01),
    "below_quota": (0.5, 1.5, 0.05),
    "above_quota": (0.5, 2.0, 0.05),
    "threshold": (0.0, 0.9, 0.05),
    "attainment_cap": (1.0, NO_CAP, 0.1),
}


def lever_range(name: str) -> dict[str, float]:
    """A lever's range as slider keywords.

    Examples
    --------
    >>> lever_range("above_quota")
    {'min': 0.5, 'max': 2.0, 'step': 0.05}
    """
    low, high, step = LEVER_RANGES[name]
    return {"min": low, "max": high, "step": step}


#: slider values this close are the same value (a slider's float round trip)
SAME = 1e-12


@dataclass(frozen=True)
class DesignValues:
    """The slider values of a :class:`PlanDesigner` (a plain, comparable value).

    ``below_quota`` and ``above_quota`` multiply the rates of the tiers that start
    below 100% of quota and at or above it (for a pay curve: the slopes of its
    segments below and above 100%), in every commission component. ``threshold``
    and ``attainment_cap`` (None = no cap) replace the values of the commission
    components on the plan's primary measure when they differ from the start.

    Examples
    --------
    >>> start = DesignValues(0.08, 1.0, 1.0, 0.5, 3.0)
    >>> steeper = DesignValues(0.08, 1.0, 1.5, 0.5, 3.0)
    >>> steeper == start, steeper.above_quota
    (False, 1.5)
    """

    growth: float
    below_quota: float
    above_quota: float
    threshold: float
    attainment_cap: float | None


def primary_components(plan: Plan) -> list[Component]:
    """Commission components on the measure of the plan's first commission component.

    Examples
    --------
    >>> from spm_sim.scenario import sample_plans
    >>> [c.name for c in primary_components(sample_plans()["AE multi-measure plan"])]
    ['bookings']
    """
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
        "threshold_cap": tuple(c.name for c in primary_components(plan)),
        "unchanged": tuple(c.name for c in plan.components if c.name not in rates),
    }


def start_values(s: Scenario) -> DesignValues:
    """The slider values at which the design is the scenario's own plan and quotas.

    Examples
    --------
    >>> from spm_sim.scenario import sample_scenario
    >>> start_values(sample_scenario("baseline")).threshold
    0.5
    """
    primary = primary_components(s.plan)
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
    return abs(a - b) > SAME


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
    primary = {c.name for c in primary_components(baseline)}
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
