"""Plain-language rules of a plan, one line per rule, for reports and statements."""

from __future__ import annotations

import pandas as pd

from .components import MBO, Bonus, Component, Contest, Spiff
from .plan import Plan

__all__ = ["band_text", "component_rules", "plan_rules"]

_PERIOD = {
    "year": "annual (settled monthly)",
    "quarter": "quarterly, YTD true-up",
    "month": "monthly, YTD true-up",
}


def _pct(x: float) -> str:
    return f"{x:.0%}" if abs(x * 100 - round(x * 100)) < 1e-9 else f"{x:.1%}"


def band_text(start: float, end: float | None) -> str:
    """A band's edges stated both ways, so "up to" and "from" cannot be confused.

    Examples
    --------
    >>> band_text(0.9, 0.99)
    'from 90% (included) up to 99% (not included)'
    >>> band_text(1.0, None)
    'from 100% (included), no upper end'
    """
    if end is None:
        return f"from {_pct(start)} (included), no upper end"
    return f"from {_pct(start)} (included) up to {_pct(end)} (not included)"


def _money(x: float, cur: str) -> str:
    return f"{x:,.0f} {cur}"


def _commission(c: Component) -> list[str]:
    unit = "x TCR" if c.rate_basis == "tcr" else " per unit"
    out = []
    if c.curve is not None:
        pts = ", ".join(f"{_pct(p.attainment)} -> {p.payout:g}x TI" for p in c.curve)
        out.append(f"pay curve, linear between points: {pts}; last slope continues")
    else:
        how = "retroactive" if c.tier_method == "retroactive" else "marginal"
        for k, t in enumerate(c.tiers, start=1):
            rate = f"{t.rate:g}{unit}" if c.rate_basis == "tcr" else f"{t.rate:.2%} of units"
            out.append(f"{how} tier {k} {band_text(t.start, t.end)}: {rate}")
    if c.threshold:
        out.append(f"threshold {_pct(c.threshold)}: nothing below it")
    if c.attainment_cap is not None:
        out.append(f"attainment capped at {_pct(c.attainment_cap)}")
    if c.payout_cap is not None:
        out.append(f"payout capped at {c.payout_cap:g}x component TI")
    if c.gate is not None:
        what = "the component pays" if c.gate.applies_to == "component" else "accelerators pay"
        out.append(f"gate: {what} only when {c.gate.measure} >= {_pct(c.gate.min_attainment)}")
    if c.multiplier is not None:
        steps = ", ".join(f"{_pct(lv.attainment)}+: x{lv.factor:g}" for lv in c.multiplier.levels)
        out.append(f"multiplier from {c.multiplier.measure} attainment: {steps}")
    return out


def component_rules(
    c: Component | Bonus | MBO | Spiff | Contest, currency: str = "USD"
) -> list[str]:
    """The rules of one component, as short phrases.

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> for rule in component_rules(standard_plan().components[0]):
    ...     print(rule)
    marginal tier 1 from 0% (included) up to 100% (not included): 1x TCR
    marginal tier 2 from 100% (included), no upper end: 2x TCR
    threshold 50%: nothing below it
    """
    if isinstance(c, Component):
        return _commission(c)
    if isinstance(c, Bonus):
        return [
            f"at {_pct(m.attainment)} of quota: "
            + (f"{m.share_of_ti:.0%} of TI" if m.amount is None else _money(m.amount, currency))
            for m in c.milestones
        ]
    if isinstance(c, MBO):
        return [
            f"score {lv.score:g}+: {lv.payout:.0%} of the period's MBO target" for lv in c.levels
        ]
    if isinstance(c, Spiff):
        return [f"months {c.start_month}-{c.end_month}: {c.rate:g} per unit of {c.measure}"]
    if isinstance(c, Contest):
        prizes = ", ".join(_money(p, currency) for p in c.prizes)
        return [
            f"rank on {c.measure} in months {c.start_month}-{c.end_month}: {prizes}; ties share"
            + (f"; only totals above {c.min_total:g}" if c.min_total else "")
        ]
    raise TypeError(f"unknown component {c!r}")


def plan_rules(plan: Plan) -> pd.DataFrame:
    """One row per rule: ``component, type, measure, weight, period, rule``.

    Plan-wide rules (draw, clawback) come last with component ``(plan)``.

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> rules = plan_rules(standard_plan())
    >>> rules[["component", "type"]].iloc[0].tolist()
    ['bookings', 'commission']
    >>> print(rules["rule"].iloc[0])
    marginal tier 1 from 0% (included) up to 100% (not included): 1x TCR
    """
    rows = []
    for c in plan.components:
        weight = getattr(c, "weight", None)
        period = _PERIOD.get(getattr(c, "period", ""), "")
        if isinstance(c, (Spiff, Contest)):
            period = "in its window"
        elif isinstance(c, Bonus):
            period = _PERIOD["year"]
        for rule in component_rules(c, plan.currency):
            rows.append([c.name, c.type, c.measure, weight, period, rule])
    if plan.draw is not None:
        d = plan.draw
        amount = (
            f"{d.share_of_ti:.0%} of monthly TI"
            if d.amount is None
            else _money(d.amount, plan.currency)
        )
        months = "every month" if d.months is None else "months " + ", ".join(map(str, d.months))
        kind = "recoverable" if d.recoverable else "non-recoverable"
        rows.append(["(plan)", "draw", "", None, "monthly", f"{kind} draw of {amount}, {months}"])
    if plan.clawback is not None:
        rows.append(
            [
                "(plan)",
                "clawback",
                "",
                None,
                "",
                f"commission on deals cancelled within {plan.clawback.window_days} days "
                "is taken back",
            ]
        )
    return pd.DataFrame(rows, columns=["component", "type", "measure", "weight", "period", "rule"])
