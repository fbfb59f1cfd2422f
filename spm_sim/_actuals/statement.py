"""Per-rep incentive statements: every number of a payout traced to its source.

:func:`statement` re-derives, from the plan and the rep's measures, every amount
behind one rep's pay in each period (tiers, curve, caps, gates, multipliers,
true-ups, bonuses, MBOs, SPIFFs, contests, clawbacks, the draw) and reconciles it
to the cent with the money :func:`spm_sim.comp.payout` computed (see
:mod:`spm_sim.actuals`, which re-exports :class:`Statement` and :func:`statement`).
An explanation that does not add up to the kernel's payment raises instead of being
shown: a statement is never wrong silently.

The rules re-derived here are the kernel's (``comp.payout`` and its helpers), written
again for one rep with scalars; only the schedules of evaluation periods
(:func:`spm_sim.comp.evaluation_periods`, :func:`spm_sim.comp.period_ends`) are
shared. The module is longer than most because it holds one explanation per plan
mechanic next to the table and text they feed; splitting them would separate each
rule from the words that state it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import currency_symbol, format_pct
from spm_sim._spec import suggest
from spm_sim.comp import (
    MBO,
    Bonus,
    Component,
    Contest,
    Spiff,
    band_text,
    evaluation_periods,
    period_ends,
)
from spm_sim.errors import DataError

from .payroll import ActualPayouts

__all__ = ["Statement", "statement"]

#: Same tolerance as the kernel's threshold test (``_comp/earnings.py``'s ``_THRESHOLD_TOL``).
_TOL = 1e-9
#: An explanation must round to the kernel's cents: within half a cent, plus float noise.
_HALF_CENT = 0.5 + 1e-4
_COLUMNS = (
    "period component line bookings bookings_to_date attainment_to_date tier_start tier_end "
    "rate rate_unit bookings_in_band earned_to_date paid note "
    "measure units units_to_date quota_to_date target_to_date rank balance source"
).split()


def _cents(x: float, currency: str) -> str:
    """Exact money for statements: ``$12,345.67`` (format_money keeps 3 digits)."""
    sign = "-" if round(x, 2) < 0 else ""
    return f"{sign}{currency_symbol(currency)}{abs(x):,.2f}"


def _pct(x: float) -> str:
    """A plan parameter as a percentage: ``50%``, ``112.5%``."""
    return f"{x * 100:.6g}%"


def _line(line: str, amount: float = 0.0, note: str = "", flow: bool = False, **cols: Any):
    """One explanation line: ``amount`` to date (a stock) or paid this period (a flow)."""
    return {"line": line, "amount": float(amount), "note": note, "flow": flow, **cols}


def _step(levels: list[tuple[float, float]], x: float) -> tuple[float, float]:
    """The value and key of the highest level whose key is at or below ``x``."""
    keys = [k for k, _ in levels]
    k = max(int(np.searchsorted(keys, x + _TOL, side="right")) - 1, 0)
    return levels[k][1], levels[k][0]


class _Rep:
    """One rep's inputs to the kernel, and the kernel's measurement rules for them."""

    def __init__(self, actual: ActualPayouts, i: int) -> None:
        self.plan, self.i, self.cur = actual.plan, i, actual.currency
        self.periods = tuple(actual.periods)
        self.n = len(self.periods)
        shape = np.shape(actual.bookings)
        self.quotas_all = np.broadcast_to(np.asarray(actual.quotas, float), shape)
        self.q = self.quotas_all[i]
        self.ti = float(actual.target_incentive[i])
        self.has_quota = bool(self.q.sum() > 0)
        given = getattr(actual, "measures", None) or {}
        self.all = {"bookings": np.asarray(actual.bookings, float)}
        self.all |= {k: np.broadcast_to(np.asarray(v, float), shape) for k, v in given.items()}
        cancels = getattr(actual, "cancellations", None) or {}
        self.cancels = {
            k: np.broadcast_to(np.asarray(v, float), shape)[i] for k, v in cancels.items()
        }
        active = getattr(actual, "active", None)
        self.active = (
            None if active is None else np.broadcast_to(np.asarray(active, float), shape)[i]
        )

    def values(self, name: str) -> np.ndarray:
        """Credited units of ``name`` per period (before cancellations), all reps."""
        if name not in self.all:
            raise DataError(
                f"plan {self.plan.name!r} pays on measure {name!r}, but the ActualPayouts has "
                f"no units of it (actual.measures has: {', '.join(self.all)}); the statement "
                "cannot explain it."
            )
        return self.all[name]

    def money(self, x: float) -> str:
        return _cents(x, self.cur)

    def units(self, name: str, x: float) -> str:
        """Units of a measure as people read them: money or a count."""
        if self.plan.measure(name).kind in ("bookings",):
            return self.money(x)
        return f"{x:,.6g} {name}"

    def quota(self, name: str) -> np.ndarray:
        m = self.plan.measure(name)
        if m.quota_per_rep is not None:
            return np.where(self.q > 0, m.quota_per_rep / 12.0, 0.0)
        return self.q if m.quota_share == 1.0 else self.q * m.quota_share

    def cum(self, name: str) -> np.ndarray:
        v = np.cumsum(self.values(name)[self.i])
        if name in self.cancels:
            v = v - np.cumsum(self.cancels[name])
        return v

    def ref(self, name: str, period: str, idx: np.ndarray) -> np.ndarray:
        """Quota that attainment is measured against at ``idx`` (annual for ``year``)."""
        if period == "year":
            return np.full(len(idx), self.quota(name).sum())
        return np.cumsum(self.quota(name))[idx]

    def share(self, name: str, period: str, idx: np.ndarray) -> np.ndarray:
        """Share of the annual quota due by ``idx`` (1 for ``year``)."""
        if period == "year":
            return np.ones(len(idx))
        total = self.quota(name).sum()
        return self.ref(name, period, idx) / total if total > 0 else np.zeros(len(idx))

    def att(self, name: str, period: str, idx: np.ndarray, extra=None) -> np.ndarray:
        ref = self.ref(name, period, idx)
        units = self.cum(name)[idx] if extra is None else self.cum(name)[idx] + extra
        return units * np.divide(1.0, ref, out=np.zeros(len(ref)), where=ref > 0)

    def cancelled_since_last(self, name: str, idx: np.ndarray) -> np.ndarray | None:
        if name not in self.cancels:
            return None
        return np.diff(np.cumsum(self.cancels[name])[idx], prepend=0.0)

    def label(self, period: str, p: int) -> str:
        if period == "quarter":
            return f"quarter to {self.periods[p]}"
        return f"month {self.periods[p]}" if period == "month" else self.periods[p]


# ---------------------------------------------------------------- commissions and bonuses


def _rate_unit(c: Component, x: _Rep) -> str:
    if c.rate_basis == "tcr":
        return "x TCR"
    return f"of {c.measure}" if x.plan.measure(c.measure).kind == "bookings" else "per unit"


def _table(c: Component, tiers, credited: float, ref: float, scale: float, x: _Rep) -> list:
    """Lines of the rate table (tiers, retroactive band or curve) before caps and gates."""
    unit = _rate_unit(c, x)
    if c.curve is not None:
        xs = [pt.attainment for pt in c.curve]
        ys = [pt.payout for pt in c.curve]
        j = min(max(int(np.searchsorted(xs, credited, side="right")) - 1, 0), len(xs) - 2)
        slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
        y = ys[j] + slope * (credited - xs[j])
        where = (
            f"between {_pct(xs[j])} ({ys[j]:g} x TI) and {_pct(xs[j + 1])} ({ys[j + 1]:g} x TI)"
            if credited <= xs[-1]
            else f"beyond the last point {_pct(xs[-1])} ({ys[-1]:g} x TI), same slope"
        )
        note = (
            f"{where}, interpolated at {format_pct(credited)}: {y:.4f} x component TI "
            f"{x.money(scale)}"
        )
        cols: dict[str, Any] = dict(
            tier_start=xs[j], tier_end=xs[j + 1], rate=y, rate_unit="x component TI"
        )
        return [_line("curve", y * scale, note, bookings_in_band=credited * ref, **cols)]
    if c.tier_method == "retroactive":
        starts = [t.start for t in tiers]
        k = max(int(np.searchsorted(starts, credited + _TOL, side="right")) - 1, 0)
        t = tiers[k]
        note = (
            f"band {k + 1} reached ({band_text(t.start, t.end)}): {t.rate:g} {unit} on all "
            f"{x.units(c.measure, credited * ref)}"
        )
        cols = dict(tier_start=t.start, tier_end=np.nan if t.end is None else t.end, rate=t.rate)
        amount = t.rate * credited * scale
        return [
            _line("retroactive tier", amount, note, rate_unit=unit, **cols)
            | {"bookings_in_band": credited * ref}
        ]
    rows = []
    for k, t in enumerate(tiers):
        if k and not credited > t.start:
            break
        width = np.inf if t.end is None else t.end - t.start
        inside = float(np.clip(credited - t.start, 0.0, width))
        note = (
            f"{band_text(t.start, t.end)}: {t.rate:g} {unit} on {x.units(c.measure, inside * ref)}"
        )
        end = np.nan if t.end is None else t.end
        cols = dict(tier_start=t.start, tier_end=end, rate=t.rate, rate_unit=unit)
        rows.append(_line(f"tier {k + 1}", t.rate * inside * scale, note, **cols))
        rows[-1]["bookings_in_band"] = inside * ref
    return rows


def _commission(c: Component, x: _Rep, idx: np.ndarray, k: int, a: float) -> tuple[list, float]:
    """Lines of a commission at evaluation ``k`` with attainment ``a``, and the earnings."""
    period, p = c.period, int(idx[k])
    ref = float(x.ref(c.measure, period, idx)[k])
    share = float(x.share(c.measure, period, idx)[k])
    target = c.weight * x.ti * share
    rows = []
    if ref <= 0:
        note = f"no {c.measure} quota due by {x.periods[p]}: nothing earned yet"
        return [_line("no quota", 0.0, note)], 0.0
    if period != "year":
        note = (
            f"{x.label(period, p)}: {x.units(c.measure, x.cum(c.measure)[p])} to date vs "
            f"quota to date {x.units(c.measure, ref)} = {format_pct(a)}; component TI to "
            f"date {c.weight:g} x TI {x.money(x.ti)} x {format_pct(share)} of the annual "
            f"quota due = {x.money(target)}"
        )
        rows.append(_line("measurement", 0.0, note))
    if a < c.threshold - _TOL:
        note = f"not reached: {format_pct(a)} < {format_pct(c.threshold)}, nothing earned"
        return rows + [_line("threshold", 0.0, note)], 0.0
    credited = a if c.attainment_cap is None else min(a, c.attainment_cap)
    scale = target if c.rate_basis == "tcr" else ref
    table = _table(c, c.tiers, credited, ref, scale, x)
    money = sum(r["amount"] for r in table)
    rows += table
    if c.attainment_cap is not None and a > c.attainment_cap:
        over = (a - c.attainment_cap) * ref
        note = f"{x.units(c.measure, over)} above {_pct(c.attainment_cap)} earns nothing"
        rows.append(_line("attainment cap", 0.0, note, bookings_in_band=over))
    if c.gate is not None:
        g = c.gate
        ga = float(x.att(g.measure, period, idx)[k])
        met = ga >= g.min_attainment - _TOL
        removed = 0.0
        if not met:
            kept = 0.0
            if g.applies_to == "accelerators":
                kept = sum(
                    r["amount"] for r in _table(c, c.ungated_tiers(), credited, ref, scale, x)
                )
            removed = money - kept
        if met:
            how = f">= {_pct(g.min_attainment)}: met"
        elif g.applies_to == "component":
            how = (
                f"< {_pct(g.min_attainment)}: not met, nothing is paid: removes {x.money(removed)}"
            )
        else:
            how = (
                f"< {_pct(g.min_attainment)}: not met, no accelerators: removes {x.money(removed)}"
            )
        note = f"gate: {g.measure} at {format_pct(ga)} {how}"
        rows.append(_gauge("gate", -removed, note, g.measure, ga, period, idx, k, x))
        rows[-1].update(rate=g.min_attainment, rate_unit="min attainment")
        money -= removed
    if c.multiplier is not None:
        mm = c.multiplier
        ma = float(x.att(mm.measure, period, idx)[k])
        factor, level = _step([(lv.attainment, lv.factor) for lv in mm.levels], ma)
        delta = money * factor - money
        effect = "no change" if delta == 0 else ("adds " if delta > 0 else "removes ")
        effect += "" if delta == 0 else x.money(abs(delta))
        note = (
            f"multiplier: {mm.measure} at {format_pct(ma)} -> factor {factor:g} (level from "
            f"{_pct(level)}): {x.money(money)} x {factor:g}, {effect}"
        )
        rows.append(_gauge("multiplier", delta, note, mm.measure, ma, period, idx, k, x))
        rows[-1].update(rate=factor, rate_unit="factor")
        money = money * factor
    if c.payout_cap is not None and money > c.payout_cap * target:
        cap = c.payout_cap * target
        what = "component TI" if period == "year" else "component TI to date"
        note = f"capped at {c.payout_cap:g} x {what} = {x.money(cap)}"
        rows.append(_line("payout cap", cap - money, note, rate=c.payout_cap, rate_unit="x TI"))
        money = cap
    return rows, money


def _gauge(line, amount, note, measure, att, period, idx, k, x: _Rep):
    """A gate or multiplier line, carrying its own measure's numbers."""
    p = int(idx[k])
    cols: dict[str, Any] = dict(
        measure=measure, units=x.values(measure)[x.i, p], units_to_date=x.cum(measure)[p]
    )
    cols |= dict(quota_to_date=x.ref(measure, period, idx)[k], attainment_to_date=att)
    return _line(line, amount, note, **cols)


def _bonus(b: Bonus, x: _Rep, idx: np.ndarray, k: int, a: float) -> tuple[list, float]:
    """Milestones reached at attainment ``a``, and the bonus earned to date."""
    rows, money = [], 0.0
    for j, m in enumerate(b.milestones, start=1):
        if a >= m.attainment - _TOL:
            if m.amount is not None:
                amount, how = m.amount, f"a fixed {x.money(m.amount)}"
                cols: dict[str, Any] = dict(rate=np.nan)
            else:
                assert m.share_of_ti is not None  # a milestone pays an amount or a share
                amount = m.share_of_ti * x.ti
                how = f"{m.share_of_ti:g} x TI {x.money(x.ti)} = {x.money(amount)}"
                cols = dict(rate=m.share_of_ti, rate_unit="x TI")
            note = f"{format_pct(a)} >= {_pct(m.attainment)}: {how}"
            rows.append(_line(f"milestone {j}", amount, note, tier_start=m.attainment, **cols))
            money = money + amount
    if not rows:
        first = b.milestones[0].attainment
        note = f"not reached: {format_pct(a)} < {_pct(first)}, the first milestone"
        rows.append(_line("milestones", 0.0, note))
    return rows, money


def _settled(c: Component | Bonus, x: _Rep) -> tuple[dict[int, list], dict[int, list]]:
    """Lines of a commission or bonus at its evaluation periods, and its clawbacks.

    The cumulative true-up of the kernel (``comp._settle``): with ``E`` the earnings
    to date, ``E'`` the same before this period's cancellations, ``P`` the amount
    paid to date net of clawbacks and ``L = E' - E`` what the cancellations took
    off, a period pays ``max(E' - P_prev, 0)``, claws back ``L`` and leaves
    ``P = max(E, P_prev - L)``. Lines: the earnings ``E`` (tiers, caps, ...), the
    true-up ``P - E`` and the commission paid on units later cancelled (``sum L``).
    """
    period = getattr(c, "period", "year")
    explain: Callable[..., tuple[list, float]] = _commission if isinstance(c, Component) else _bonus
    idx = evaluation_periods(period, x.n)
    att = x.att(c.measure, period, idx)
    extra = x.cancelled_since_last(c.measure, idx)
    att2 = None if extra is None else x.att(c.measure, period, idx, extra)
    ref = x.ref(c.measure, period, idx)
    share = x.share(c.measure, period, idx)
    lines: dict[int, list] = {}
    claws: dict[int, list] = {}
    paid = column = clawed = 0.0
    shown = period != "year"
    for k, p in enumerate(int(i) for i in idx):
        rows, earned = explain(c, x, idx, k, float(att[k]))
        before = earned if att2 is None else explain(c, x, idx, k, float(att2[k]))[1]
        lost = max(before - earned, 0.0) if att2 is not None else 0.0
        paid_now = max(earned, paid - lost)
        pay = paid_now - paid + lost  # as comp._settle: the clawback shows -lost
        column += pay
        clawed += lost
        true_up = column - clawed - earned
        if shown or round(true_up, 2) != 0:
            shown = True
            e = x.money(before) + (" before this period's cancellations" if lost else "")
            cents = round(column, 2) - round(column - pay, 2)  # as payroll rounds it
            note = (
                f"earned to date {e}, paid before {x.money(paid)}, pays {x.money(cents)}"
                if before >= paid
                else f"earned to date {e} is below what was paid before ({x.money(paid)}): "
                "nothing this period, made up later"
            )
            rows.append(_line("true-up", true_up, note))
        if clawed:
            note = (
                f"commission paid on units later cancelled ({x.money(clawed)} to date), "
                "taken back in the clawback column"
            )
            rows.append(_line("cancellations", clawed, note))
        if extra is not None and extra[k] > 0:
            since = x.periods[int(idx[k - 1]) + 1] if k else x.periods[0]
            when = f"in {since}" if since == x.periods[p] else f"{since}..{x.periods[p]}"
            what = (
                f"earned to date falls from {x.money(before)} to {x.money(earned)}, takes back "
                f"{x.money(lost)}"
                if lost
                else f"nothing to take back (earned to date {x.money(earned)})"
            )
            units = x.units(c.measure, extra[k])
            note = f"'{c.name}': {units} of {c.measure} cancelled {when}: {what}"
            cols: dict[str, Any] = dict(
                measure=c.measure, units=extra[k], units_to_date=x.cum(c.measure)[p]
            )
            cols |= dict(quota_to_date=ref[k], attainment_to_date=att[k], source=c.name)
            claws.setdefault(p, []).append(_line("clawback", -lost, note, flow=True, **cols))
        paid = paid_now
        ctx = dict(measure=c.measure, units=x.values(c.measure)[x.i, p])
        ctx |= dict(units_to_date=x.cum(c.measure)[p], quota_to_date=ref[k])
        ctx |= dict(attainment_to_date=att[k])
        if isinstance(c, Component):
            ctx["target_to_date"] = c.weight * x.ti * share[k]
        lines[p] = [ctx | r for r in rows]
    return lines, claws


# ---------------------------------------------------------------- MBO, SPIFF, contest, draw


def _mbo(c: MBO, x: _Rep) -> dict[int, list]:
    idx = period_ends(c.period, x.n)
    act = np.ones(x.n) if x.active is None else x.active
    per = np.add.reduceat(act, np.r_[0, idx[:-1] + 1])
    total = act.sum()
    scores = x.values(c.measure)[x.i, idx]
    levels = [(lv.score, lv.payout) for lv in c.levels]
    out = {}
    for k, p in enumerate(int(i) for i in idx):
        share = per[k] / total if total > 0 else 0.0
        factor, level = _step(levels, float(scores[k]))
        amount = c.weight * x.ti * share * factor
        note = (
            f"score {scores[k]:g} in {x.periods[p]}: level from {level:g} pays {factor:g} x "
            f"target; {per[k]:g} of {total:g} active months: {c.weight:g} x TI "
            f"{x.money(x.ti)} x {per[k]:g}/{total:g} x {factor:g} = {x.money(amount)}"
        )
        cols: dict[str, Any] = dict(
            rate=factor, rate_unit="x MBO target", measure=c.measure, units=scores[k]
        )
        out[p] = [_line("mbo", amount, note, flow=True, **cols)]
    return out


def _spiff(c: Spiff, x: _Rep) -> dict[int, list]:
    unit = f"of {c.measure}" if x.plan.measure(c.measure).kind == "bookings" else "per unit"
    out = {}
    for p in range(c.start_month - 1, min(c.end_month, x.n)):
        units = float(x.values(c.measure)[x.i, p])
        amount = c.rate * units
        note = f"{x.units(c.measure, units)} in {x.periods[p]} x {c.rate:g} = {x.money(amount)}"
        cols: dict[str, Any] = dict(rate=c.rate, rate_unit=unit, measure=c.measure, units=units)
        out[p] = [_line("spiff", amount, note, flow=True, **cols)]
    return out


def _contest(c: Contest, x: _Rep) -> dict[int, list]:
    """The prize at the window's end: rank of the window total among all reps, ties shared."""
    if c.end_month > x.n:
        return {}
    window = slice(c.start_month - 1, c.end_month)
    totals = x.values(c.measure)[..., window].sum(axis=-1)
    totals = np.round(np.where(x.quotas_all.sum(axis=-1) > 0, totals, 0.0), 2)
    mine = totals[x.i]
    ok = totals > c.min_total
    what = (
        f"{x.units(c.measure, mine)} of {c.measure} in {x.periods[window.start]}.."
        f"{x.periods[c.end_month - 1]}"
    )
    cols: dict[str, Any] = dict(measure=c.measure, units=mine)
    if not ok[x.i]:
        note = f"{what}, not above the minimum {x.units(c.measure, c.min_total)}: no prize"
        return {c.end_month - 1: [_line("contest", 0.0, note, flow=True, **cols)]}
    rank = 1 + int((ok & (totals > mine)).sum())
    tied = int((ok & (totals == mine)).sum())
    prizes = list(c.prizes) + [0.0] * len(totals)
    won = prizes[rank - 1 : rank - 1 + tied]
    amount = sum(won) / tied
    place = f"rank {rank} of {int(ok.sum())}"
    if tied > 1:
        shared = " + ".join(x.money(v) for v in won)
        place += f", tied with {tied - 1} other(s): ({shared}) / {tied} shared"
    if rank > len(c.prizes):
        place += f"; prizes go to the top {len(c.prizes)}"
    note = f"{what}: {place}: {x.money(amount)}"
    cols |= dict(rank=rank, rate=amount)
    return {c.end_month - 1: [_line("contest", amount, note, flow=True, **cols)]}


def _draw(x: _Rep, earned: np.ndarray) -> tuple[dict[int, list], float | None]:
    """Draw top-ups and recoveries month by month; the balance owed at the end."""
    d = x.plan.draw
    assert d is not None, "called only for a plan with a draw"
    months = np.zeros(x.n)
    for m in d.months or range(1, 13):
        if m <= x.n:
            months[m - 1] = 1.0
    if d.amount is not None:
        monthly = d.amount
    else:  # the TI as passed (prorated) over the months employed
        assert d.share_of_ti is not None  # a draw is an amount or a share of TI
        worked = float(x.n) if x.active is None else float(x.active.sum())
        monthly = d.share_of_ti * (x.ti / worked if worked > 0 else 0.0)
    due = monthly * months
    if x.active is not None:
        due = due * x.active
    balance, out = 0.0, {}
    for p in range(x.n):
        e, dd = float(earned[p]), float(due[p])
        short = max(dd - e, 0.0) if dd > 0 else 0.0
        recover = min(max(e - dd, 0.0), balance) if d.recoverable else 0.0
        if d.recoverable:
            balance = balance + short - recover
        owed = f"; balance owed {x.money(balance)}" if d.recoverable else ""
        cols: dict[str, Any] = dict(
            rate=dd,
            rate_unit="draw",
            units=e,
            balance=round(balance, 2) if d.recoverable else np.nan,
        )
        if short > 0:
            note = f"earned {x.money(e)} < draw {x.money(dd)}: tops up {x.money(short)}{owed}"
            out[p] = [_line("draw top-up", short, note, flow=True, **cols)]
        elif recover > 0:
            draw = f" > draw {x.money(dd)}" if dd > 0 else ", no draw this month"
            note = f"earned {x.money(e)}{draw}: recovers {x.money(recover)}{owed}"
            out[p] = [_line("draw recovery", -recover, note, flow=True, **cols)]
        elif dd > 0:
            note = f"earned {x.money(e)} >= draw {x.money(dd)}: no top-up{owed}"
            out[p] = [_line("draw", 0.0, note, flow=True, **cols)]
    return out, (balance if d.recoverable else None)


# ---------------------------------------------------------------- lines -> reconciled rows


def _column_rows(name: str, lines: dict[int, list], kernel: np.ndarray, x: _Rep, base, rep_id):
    """Rows of one result column, every period checked against the kernel's cents.

    Each line carries an amount to date (a stock, such as a tier) or paid in the
    period (a flow, such as a SPIFF). Its ``earned_to_date`` is that amount to date
    rounded to the cent and ``paid`` the change since the period before; a stock line
    that no longer applies pays its amount back; a ``rounding`` line holds the cents
    that rounding the lines one by one, and the total once, leaves over.
    """
    floats: dict[tuple, float] = {}
    cents: dict[tuple, int] = {}
    stocks: set[tuple] = set()
    rows, to_date, rounding = [], np.zeros(x.n), 0
    for p in range(x.n):
        emitted = []
        if p in lines:
            seen = set()
            for ln in lines[p]:
                ln = dict(ln)
                key = (ln["line"], ln.get("source", ""))
                amount, flow = ln.pop("amount"), ln.pop("flow")
                floats[key] = floats.get(key, 0.0) + amount if flow else amount
                if not flow:
                    stocks.add(key)
                seen.add(key)
                emitted.append((key, ln, int(np.rint(floats[key] * 100))))
            for key in sorted(stocks - seen):
                floats[key] = 0.0
                if cents.get(key):
                    gone = {"line": key[0], "source": key[1], "note": "no longer applies"}
                    emitted.append((key, gone, 0))
        total = sum(floats.values())
        if abs(total * 100 - kernel[p]) > _HALF_CENT:
            raise RuntimeError(
                f"statement of {rep_id}, {x.periods[p]}, component {name!r}: the lines explain "
                f"{total:,.4f} to date but the kernel paid {kernel[p] / 100:,.2f}; the statement "
                "does not show an explanation that does not add up."
            )
        before = dict(cents)
        cents.update({key: c for key, _, c in emitted})
        rest = int(kernel[p]) - sum(cents.values())
        if rest != rounding or (emitted and rest):
            note = "lines rounded to the cent one by one, the total to date once"
            emitted.append((("rounding", ""), {"line": "rounding", "note": note}, rest))
        for key, ln, c in emitted:
            was = rounding if key == ("rounding", "") else before.get(key, 0)
            rows.append(
                base(p, name) | ln | {"earned_to_date": c / 100.0, "paid": (c - was) / 100.0}
            )
        rounding, to_date[p] = rest, total
    return rows, to_date


@dataclass(frozen=True, eq=False)
class Statement:
    """One rep's pay for a year, every number traced to its mechanic, period and rate.

    Attributes
    ----------
    rep_id, name, plan, currency : str
    year : int
    quota, target_incentive, bookings, attainment, total : float
        Annual figures; ``bookings`` are net of cancellations clawed back,
        ``total`` is the year's pay to the cent.
    table : DataFrame
        One row per period x result column x line (``component`` is the column:
        a plan component, ``clawback`` or ``draw``). ``earned_to_date`` is the
        line's amount to date, rounded to the cent; ``paid`` its change since the
        period before. ``paid`` sums, per component and period, to the kernel's
        payment in cents (:meth:`ActualPayouts.paid_cents`), and to ``total`` over
        the table. Lines (``line``):

        * ``tier k``: marginal band k; ``rate x TCR x bookings_in_band`` (``x TCR``)
          or ``rate x bookings_in_band`` (``of bookings``);
        * ``retroactive tier``: the band reached, its rate on all credited units;
        * ``curve``: the segment ``tier_start..tier_end`` of a pay curve, ``rate``
          the interpolated multiple of the component's TI to date;
        * ``threshold`` (not reached), ``attainment cap`` (units above it earn
          nothing), ``payout cap`` (the money cut), ``no quota``;
        * ``measurement``: a quarterly or monthly component's year-to-date units,
          quota, attainment and TI to date (the share of the annual quota due);
        * ``gate``, ``multiplier``: the other measure, its attainment, met or the
          factor, and the money removed or added;
        * ``true-up``: paid to date minus earned to date (the cumulative true-up:
          a period below what was paid pays nothing, the next ones make it up);
        * ``cancellations``: commission paid on units later cancelled, taken back
          by the ``clawback`` column's ``clawback`` lines (``source`` names the
          component);
        * ``milestone k`` / ``milestones`` (bonus), ``mbo``, ``spiff``, ``contest``
          (``rank``, window total in ``units``, ties shared);
        * ``draw top-up``, ``draw recovery``, ``draw`` (``balance`` owed after);
        * ``rounding`` and ``no longer applies`` (a line of the period before that
          pays its amount back).

        Columns: ``period, component, line, bookings, bookings_to_date,
        attainment_to_date, tier_start, tier_end, rate, rate_unit,
        bookings_in_band, earned_to_date, paid, note, measure, units,
        units_to_date, quota_to_date, target_to_date, rank, balance, source``.
        ``bookings`` are credited in the month, ``bookings_to_date`` net of
        cancellations; ``measure``, ``units`` ... ``quota_to_date`` and
        ``attainment_to_date`` describe the measure the line reads (a gate's or a
        multiplier's own); ``bookings_in_band`` holds units of that measure.
    components : tuple
        The plan's components; ``columns`` the kernel's result columns, in order.
    draw_balance : float or None
        Recoverable draw still owed at year end (not paid back), or None.
    plan_spec : Plan
        The plan the statement explains.
    """

    rep_id: str
    name: str
    plan: str
    year: int
    currency: str
    quota: float
    target_incentive: float
    bookings: float
    attainment: float
    total: float
    table: pd.DataFrame
    components: tuple[Any, ...] = ()
    columns: tuple[str, ...] = ()
    draw_balance: float | None = None
    plan_spec: Any = None

    @property
    def text(self) -> str:
        """The statement as plain text, one block per component and period."""
        m = lambda v: _cents(v, self.currency)  # noqa: E731
        out = [
            f"Incentive statement for {self.rep_id} ({self.name}), {self.year}",
            f"Plan: {self.plan} ({self.currency})",
            f"Annual quota {m(self.quota)} | target incentive {m(self.target_incentive)} | "
            f"bookings {m(self.bookings)} | attainment {format_pct(self.attainment)}",
        ]
        specs = {c.name: c for c in self.components}
        for name in self.columns or tuple(specs):
            t = self.table[self.table["component"] == name]
            out += [""] + self._describe(specs.get(name), name)
            out.append(f"  {'period / line':<21}{'earned to date':>15}{'paid':>14}  how")
            for period, rows in t.groupby("period", sort=True):
                out.append(f"  {period}{self._period_head(specs.get(name), rows.iloc[0])}")
                out += [
                    f"    {r.line:<19}{m(r.earned_to_date):>15}{m(r.paid):>14}  {r.note}"
                    for r in rows.itertuples()
                ]
            out.append(f"  paid for '{name}' in {self.year}: {m(t['paid'].sum())}")
        out += ["", f"Total paid in {self.year}: {m(self.total)} (the sum of the payments above)"]
        if self.draw_balance is not None:
            out.append(f"Draw still owed at year end: {m(self.draw_balance)} (not paid back)")
        return "\n".join(out)

    def _describe(self, c: Any, name: str) -> list[str]:
        m = lambda v: _cents(v, self.currency)  # noqa: E731
        ti = self.target_incentive
        if name == "clawback" and c is None:
            return [
                f"Clawback: commission on units cancelled within "
                f"{self.plan_spec.clawback.window_days} days of "
                "booking is taken back in the month of the cancellation"
            ]
        if name == "draw" and c is None:
            d = self.plan_spec.draw
            each = (
                m(d.amount) if d.amount is not None else f"{d.share_of_ti:g} x TI / months employed"
            )
            kind = "recoverable from later earnings" if d.recoverable else "not recovered"
            months = "every month" if d.months is None else f"months {list(d.months)}"
            return [f"Draw: {each} a month, {months}, topping up the month's pay ({kind})"]
        if isinstance(c, Bonus):
            steps = ", ".join(
                f"{_pct(s.attainment)} -> "
                + (m(s.amount) if s.amount is not None else f"{s.share_of_ti:g} x TI")
                for s in c.milestones
            )
            return [f"Bonus '{name}' on {c.measure} (year to date vs annual quota): {steps}"]
        if isinstance(c, MBO):
            levels = ", ".join(f"{lv.score:g} -> {lv.payout:g}" for lv in c.levels)
            return [
                f"MBO '{name}' on score '{c.measure}': weight {c.weight:g} x TI {m(ti)}, paid "
                f"at each {c.period} end on that month's score, by level: {levels}"
            ]
        if isinstance(c, Spiff):
            return [
                f"SPIFF '{name}': {c.rate:g} per unit of {c.measure} credited in months "
                f"{c.start_month}-{c.end_month}"
            ]
        if isinstance(c, Contest):
            prizes = ", ".join(m(v) for v in c.prizes)
            return [
                f"Contest '{name}': reps ranked on {c.measure} in months {c.start_month}-"
                f"{c.end_month}, prizes {prizes}, total above {c.min_total:g} to win"
            ]
        a_cap, p_cap = c.attainment_cap, c.payout_cap
        out = [
            f"Component '{name}': weight {c.weight:g}, threshold "
            f"{format_pct(c.threshold, decimals=0)} of quota, attainment cap "
            + ("none" if a_cap is None else format_pct(a_cap, decimals=0))
            + ", payout cap "
            + ("none" if p_cap is None else f"{p_cap:g} x {m(c.weight * ti)}")
        ]
        how = "a pay curve" if c.curve is not None else f"{c.tier_method} tiers"
        out.append(f"  on {c.measure}, {how}, measured per {c.period}")
        mine = self.table[(self.table["component"] == name) & (self.table["measure"] == c.measure)]
        quotas = mine["quota_to_date"].dropna()
        quota = quotas.iloc[-1] if len(quotas) else np.nan  # the year's last: the annual quota
        if c.rate_basis == "tcr" and quota > 0:
            tcr = ti * c.weight / quota
            if self._money(c.measure):
                per = f"{m(quota)} = {tcr:.4%} of {c.measure}"
            else:
                per = f"{quota:,.6g} {c.measure} = {m(tcr)} per unit"
            out.append(f"  TCR = {c.weight:g} x {m(ti)} / {per}")
        if c.gate is not None:
            g = c.gate
            out.append(
                f"  gate: {g.measure} must reach {_pct(g.min_attainment)}, else "
                + ("nothing is paid" if g.applies_to == "component" else "no accelerators")
            )
        if c.multiplier is not None:
            steps = ", ".join(
                f"from {_pct(lv.attainment)} x{lv.factor:g}" for lv in c.multiplier.levels
            )
            out.append(f"  multiplier on {c.multiplier.measure}: {steps}")
        return out

    def _money(self, measure: str) -> bool:
        spec = self.plan_spec
        return spec is None or spec.measure(measure).kind == "bookings"

    def _units(self, measure: str, v: float) -> str:
        return _cents(v, self.currency) if self._money(measure) else f"{v:,.6g}"

    def _period_head(self, c: Any, r: Any) -> str:
        m = lambda v: _cents(v, self.currency)  # noqa: E731
        if not isinstance(c, (Component, Bonus)) or pd.isna(r["units_to_date"]):
            return ""
        period = getattr(c, "period", "year")
        if c.measure == "bookings" and period == "year":
            return (
                f"  booked {m(r['bookings'])}, to date {m(r['bookings_to_date'])}"
                f" = {format_pct(r['attainment_to_date'])} of quota"
            )
        kind = "annual" if period == "year" else "year-to-date"
        return (
            f"  {c.measure} to date {self._units(c.measure, r['units_to_date'])} = "
            f"{format_pct(r['attainment_to_date'])} of the {kind} quota "
            f"{self._units(c.measure, r['quota_to_date'])}"
        )

    @property
    def html(self) -> str:
        """:attr:`text` escaped for HTML, in a ``<pre>`` block."""
        return f'<pre class="spm-statement">{html.escape(self.text)}</pre>'


def statement(actual: ActualPayouts, rep_id: str) -> Statement:
    """Explain one rep's payout: component, mechanic, period, rate and adjustment.

    Parameters
    ----------
    actual : ActualPayouts
        Its optional ``measures``, ``cancellations`` and ``active`` (as passed to
        the kernel) are read when present.
    rep_id : str
        A rep with quota in ``actual``.

    Returns
    -------
    Statement
        ``.table``, ``.text`` and ``.html``; see :class:`Statement`.

    Raises
    ------
    DataError
        If the rep has no quota in ``actual`` (naming close matches, or saying why
        the rep's deals are unassigned), or the plan pays on a measure whose units
        ``actual`` does not carry.
    RuntimeError
        If the amounts re-derived here do not add up, for some component and period,
        to the kernel's payment in cents (naming the rep, the period and the
        component); a wrong explanation is never shown.

    Examples
    --------
    >>> from spm_sim import load_sample, standard_plan
    >>> from spm_sim.actuals import actual_payouts
    >>> actual = actual_payouts(load_sample(), standard_plan(), 2025)
    >>> s = statement(actual, "R001")
    >>> bool(round(s.table["paid"].sum(), 2) == s.total == actual.by_rep()["payout"].iloc[0])
    True
    >>> statement(actual, "R0001")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: rep 'R0001' has no quota in 2025 ... Did you mean 'R001'? ...
    """
    rep_id = str(rep_id)
    if rep_id not in actual.rep_ids:
        u = actual.unassigned.set_index("rep_id")
        if rep_id in u.index:
            r = u.loc[[rep_id]]  # one row per reason
            raise DataError(
                f"rep {rep_id!r} has no quota in {actual.year} ({'; '.join(r['reason'])}); "
                f"their {int(r['deals'].sum())} deal(s) worth "
                f"{_cents(float(r['amount'].sum()), actual.currency)} were not paid and are "
                "listed with the reason in ActualPayouts.unpaid() (the FILE-unpaid.csv that "
                "spm-sim payouts --out FILE.csv writes)."
            )
        few = ", ".join(actual.rep_ids[:5]) + (", ..." if len(actual.rep_ids) > 5 else "")
        raise DataError(
            f"rep {rep_id!r} has no quota in {actual.year} under plan {actual.plan.name!r}."
            f"{suggest(rep_id, actual.rep_ids)} Reps with quota ({len(actual.rep_ids)}): {few}"
        )
    i = actual.rep_ids.index(rep_id)
    x = _Rep(actual, i)
    plan, columns = actual.plan, tuple(actual.payout.components)
    kernel = np.cumsum(actual.paid_cents()[i], axis=0)  # (periods, columns), cents to date
    booked = x.all["bookings"][i]
    booked_to_date = x.cum("bookings")

    def base(p: int, name: str) -> dict[str, Any]:
        return dict(period=x.periods[p], component=name, bookings=booked[p], rate_unit="") | dict(
            bookings_to_date=booked_to_date[p], attainment_to_date=np.nan, source=""
        )

    no_quota = {p: [_line("no quota", 0.0, "no quota: nothing is paid")] for p in range(x.n)}
    explained: dict[str, dict[int, list]] = {}
    claws: dict[int, list] = {}
    for c in plan.components:
        if not x.has_quota:
            explained[c.name] = no_quota
        elif isinstance(c, (Component, Bonus)):
            explained[c.name], more = _settled(c, x)
            for p, v in more.items():
                claws.setdefault(p, []).extend(v)
        elif isinstance(c, MBO):
            explained[c.name] = _mbo(c, x)
        elif isinstance(c, Spiff):
            explained[c.name] = _spiff(c, x)
        elif isinstance(c, Contest):
            explained[c.name] = _contest(c, x)
        else:  # pragma: no cover - a new component type must be explained here first
            raise RuntimeError(
                f"statement of {rep_id}: component {c.name!r} is a {type(c).__name__}, "
                "which the statement does not explain yet."
            )
    if plan.clawback is not None:
        explained["clawback"] = claws if x.has_quota else no_quota
    rows, paid = [], np.zeros(x.n)
    for name, lines in explained.items():
        more, to_date = _column_rows(name, lines, kernel[:, columns.index(name)], x, base, rep_id)
        rows += more
        if name != "clawback":  # the draw guarantees the components' earnings
            paid += np.diff(to_date, prepend=0.0)
    balance = None
    if plan.draw is not None:
        if x.has_quota:
            lines, balance = _draw(x, paid)
        else:
            lines, balance = no_quota, (0.0 if plan.draw.recoverable else None)
        rows += _column_rows("draw", lines, kernel[:, columns.index("draw")], x, base, rep_id)[0]
        got = actual.payout.draw_balance
        if got is not None and abs(float(got[i]) - (balance or 0.0)) > 0.005:
            raise RuntimeError(
                f"statement of {rep_id}, component 'draw': the draw balance re-derived is "
                f"{balance:,.4f} but the kernel's is {float(got[i]):,.4f}."
            )
    table = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    table.attrs.update(rep_id=rep_id, plan=plan.name, year=actual.year)
    return Statement(
        rep_id=rep_id,
        name=actual.rep_names[i],
        plan=plan.name,
        year=actual.year,
        currency=actual.currency,
        quota=float(x.q.sum()),
        target_incentive=x.ti,
        bookings=float(booked_to_date[-1]) if x.n else 0.0,
        attainment=float(actual.payout.attainment[i]),
        total=int(kernel[-1].sum()) / 100.0 if x.n else 0.0,
        table=table,
        components=plan.components,
        columns=columns,
        draw_balance=None if balance is None else round(balance, 2),
        plan_spec=plan,
    )
