"""Per-rep incentive statements: every number of a payout traced to its source.

:func:`statement` re-derives, from the plan's rate tables, the tier amounts behind
one rep's payout in each period, and reconciles them to the cent with the money
that :func:`spm_sim.comp.payout` computed (see :mod:`spm_sim.actuals`, which
re-exports :class:`Statement` and :func:`statement`). A plan mechanic the statement
does not know yet shows as a failed reconciliation, never as a wrong explanation.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._format import _symbol, format_pct
from ._validation import DataError, suggest
from .comp import Component

if TYPE_CHECKING:  # actuals imports this module; the type is only for annotations
    from .actuals import ActualPayouts

__all__ = ["Statement", "statement"]

#: Same tolerance as the kernel's threshold test (``comp._THRESHOLD_TOL``).
_TOL = 1e-9
_RATE_UNIT = {"tcr": "x TCR", "bookings": "of bookings"}
_COLUMNS = (
    "period component line bookings bookings_to_date attainment_to_date tier_start tier_end "
    "rate rate_unit bookings_in_band earned_to_date paid note"
).split()


def _cents(x: float, currency: str) -> str:
    """Exact money for statements: ``$12,345.67`` (format_money keeps 3 digits)."""
    sign = "-" if round(x, 2) < 0 else ""
    return f"{sign}{_symbol(currency)}{abs(x):,.2f}"


@dataclass(frozen=True, eq=False)
class Statement:
    """One rep's pay for a year, every number traced to a tier, period and rate.

    Attributes
    ----------
    rep_id, name, plan, currency : str
    year : int
    quota, target_incentive, bookings, attainment, total : float
        Annual figures; ``total`` is the year's pay to the cent.
    table : DataFrame
        One row per period x component x line. ``line`` is ``"tier k"`` (a band
        reached), ``"threshold"`` (not reached: nothing earned), ``"attainment
        cap"`` (bookings beyond it earn nothing), ``"payout cap"`` (the money cut),
        ``"rounding"`` (tier amounts are rounded one by one, the total once) or
        ``"no quota"``. Columns: ``period, component, line, bookings,
        bookings_to_date, attainment_to_date, tier_start, tier_end, rate,
        rate_unit, bookings_in_band, earned_to_date, paid, note``. For a tier,
        ``earned_to_date = rate x TCR x bookings_in_band`` (``x TCR``) or
        ``rate x bookings_in_band`` (``of bookings``), rounded to the cent.
        ``paid`` is the change of ``earned_to_date`` since the period before; it
        sums to ``total``, and the last period's ``earned_to_date`` too.
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
    components: tuple[Component, ...] = ()

    @property
    def text(self) -> str:
        """The statement as plain text, one block per component and month."""
        m = lambda x: _cents(x, self.currency)  # noqa: E731
        out = [
            f"Incentive statement for {self.rep_id} ({self.name}), {self.year}",
            f"Plan: {self.plan} ({self.currency})",
            f"Annual quota {m(self.quota)} | target incentive {m(self.target_incentive)} | "
            f"bookings {m(self.bookings)} | attainment {format_pct(self.attainment)}",
        ]
        for c in self.components:
            t = self.table[self.table["component"] == c.name]
            a_cap, p_cap = c.attainment_cap, c.payout_cap
            out += [
                "",
                f"Component '{c.name}': weight {c.weight:g}, threshold "
                f"{format_pct(c.threshold, decimals=0)} of quota, attainment cap "
                + ("none" if a_cap is None else format_pct(a_cap, decimals=0))
                + ", payout cap "
                + (
                    "none"
                    if p_cap is None
                    else f"{p_cap:g} x {m(c.weight * self.target_incentive)}"
                ),
            ]
            if c.rate_basis == "tcr" and self.quota > 0:
                out.append(
                    f"  TCR = {c.weight:g} x {m(self.target_incentive)} / {m(self.quota)}"
                    f" = {self.target_incentive * c.weight / self.quota:.4%} of bookings"
                )
            out.append(f"  {'period / line':<17}{'':<46}{'earned to date':>14}{'paid':>13}")
            for period, rows in t.groupby("period", sort=True):
                r0 = rows.iloc[0]
                out.append(
                    f"  {period}  booked {m(r0['bookings'])}, to date {m(r0['bookings_to_date'])}"
                    f" = {format_pct(r0['attainment_to_date'])} of quota"
                )
                out += [
                    f"    {r.line:<15}{r.note:<46}{m(r.earned_to_date):>14}{m(r.paid):>13}"
                    for r in rows.itertuples()
                ]
            out.append(f"  paid for '{c.name}' in {self.year}: {m(t['paid'].sum())}")
        out += ["", f"Total paid in {self.year}: {m(self.total)} (the sum of the payments above)"]
        return "\n".join(out)

    @property
    def html(self) -> str:
        """:attr:`text` escaped for HTML, in a ``<pre>`` block."""
        return f'<pre class="spm-statement">{html.escape(self.text)}</pre>'


def _lines(c: Component, to_date: float, quota: float, ti: float, cur: str) -> list[dict[str, Any]]:
    """Rows of one component at one period end, with unrounded ``earned`` amounts."""
    if quota <= 0:
        return [{"line": "no quota", "earned": 0.0, "note": "no quota: nothing is paid"}]
    a = to_date / quota
    if a < c.threshold - _TOL:
        note = f"not reached: {format_pct(a)} < {format_pct(c.threshold)}, nothing earned"
        return [{"line": "threshold", "earned": 0.0, "note": note}]
    credited = a if c.attainment_cap is None else min(a, c.attainment_cap)
    scale = c.weight * ti if c.rate_basis == "tcr" else quota
    rows = []
    for k, tier in enumerate(c.tiers):
        if k and not credited > tier.start:
            break
        width = np.inf if tier.end is None else tier.end - tier.start
        inside = float(np.clip(credited - tier.start, 0.0, width))
        top = "up" if tier.end is None else format_pct(tier.end, decimals=0)
        unit = _RATE_UNIT[c.rate_basis]
        note = f"{format_pct(tier.start, decimals=0)}-{top}: {tier.rate:g} {unit} on "
        rows.append(
            dict(
                line=f"tier {k + 1}",
                tier_start=tier.start,
                tier_end=tier.end or np.nan,
                rate=tier.rate,
            )
            | dict(
                rate_unit=unit, bookings_in_band=inside * quota, earned=tier.rate * inside * scale
            )
            | dict(note=note + _cents(inside * quota, cur))
        )
    if c.attainment_cap is not None and a > c.attainment_cap:
        over = to_date - c.attainment_cap * quota
        note = f"{_cents(over, cur)} above {format_pct(c.attainment_cap, decimals=0)} earns nothing"
        rows.append(dict(line="attainment cap", bookings_in_band=over, earned=0.0, note=note))
    if c.payout_cap is not None:
        cap = c.payout_cap * c.weight * ti
        if sum(r["earned"] for r in rows) > cap:
            note = f"capped at {c.payout_cap:g} x component TI = {_cents(cap, cur)}"
            rows.append({"line": "payout cap", "earned": np.nan, "cap": cap, "note": note})
    return rows


def statement(actual: ActualPayouts, rep_id: str) -> Statement:
    """Explain one rep's payout: component, tier, period, rate and adjustment.

    Parameters
    ----------
    actual : ActualPayouts
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
        the rep's deals are unassigned).
    RuntimeError
        If the tiers re-derived here do not add up to the kernel's payout (a plan
        mechanic the statement does not know yet).

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
    spm_sim._validation.DataError: rep 'R0001' has no quota in 2025 ... Did you mean 'R001'? ...
    """
    rep_id = str(rep_id)
    if rep_id not in actual.rep_ids:
        u = actual.unassigned.set_index("rep_id")
        if rep_id in u.index:
            r = u.loc[rep_id]
            raise DataError(
                f"rep {rep_id!r} has no quota in {actual.year} ({r['reason']}); their "
                f"{r['deals']} deal(s) worth {_cents(r['amount'], actual.currency)} are "
                "listed in ActualPayouts.unassigned and were not paid."
            )
        few = ", ".join(actual.rep_ids[:5]) + (", ..." if len(actual.rep_ids) > 5 else "")
        raise DataError(
            f"rep {rep_id!r} has no quota in {actual.year} under plan {actual.plan.name!r}."
            f"{suggest(rep_id, actual.rep_ids)} Reps with quota ({len(actual.rep_ids)}): {few}"
        )
    i = actual.rep_ids.index(rep_id)
    quota, ti = float(actual.quotas[i].sum()), float(actual.target_incentive[i])
    booked = actual.bookings[i]
    to_date = np.cumsum(booked)
    kernel = np.cumsum(actual.paid_cents()[i], axis=0)  # (periods, components), cents
    rows = []
    for j, c in enumerate(actual.plan.components):
        before: dict[str, int] = {}
        for p, period in enumerate(actual.periods):
            lines = _lines(c, float(to_date[p]), quota, ti, actual.currency)
            tiers = [r for r in lines if r["line"].startswith("tier")]
            for r in lines:
                r["cents"] = 0 if np.isnan(r["earned"]) else int(np.rint(r["earned"] * 100))
            rest = int(kernel[p, j]) - sum(r["cents"] for r in tiers)
            if lines[-1]["line"] == "payout cap":
                lines[-1]["cents"] = rest
                ok = abs(int(kernel[p, j]) - round(lines[-1]["cap"] * 100)) <= 1
            else:
                ok = abs(rest) <= len(tiers)  # at most half a cent per rounded tier
                if rest or before.get("rounding"):
                    note = "tiers rounded one by one, the total once"
                    lines.append({"line": "rounding", "cents": rest, "note": note})
            gone = [k for k, v in before.items() if v and k not in {r["line"] for r in lines}]
            lines += [{"line": k, "cents": 0, "note": "no longer applies"} for k in gone]
            if not ok:
                raise RuntimeError(
                    f"statement of {rep_id}, {period}, component {c.name!r}: the tiers give "
                    f"{sum(r['cents'] for r in tiers) / 100:.2f} but the kernel paid "
                    f"{kernel[p, j] / 100:.2f} to date; the statement does not know a "
                    "mechanic of this plan."
                )
            att = to_date[p] / quota if quota > 0 else np.nan
            base = dict(period=period, component=c.name, bookings=booked[p], rate_unit="")
            base.update(bookings_to_date=to_date[p], attainment_to_date=att)
            for r in lines:
                paid = (r["cents"] - before.get(r["line"], 0)) / 100.0
                rows.append(base | r | dict(earned_to_date=r["cents"] / 100.0, paid=paid))
            before = {r["line"]: r["cents"] for r in lines}
    table = pd.DataFrame(rows).reindex(columns=_COLUMNS)
    table.attrs.update(rep_id=rep_id, plan=actual.plan.name, year=actual.year)
    return Statement(
        rep_id=rep_id,
        name=actual.rep_names[i],
        plan=actual.plan.name,
        year=actual.year,
        currency=actual.currency,
        quota=quota,
        target_incentive=ti,
        bookings=float(to_date[-1]),
        attainment=float(actual.payout.attainment[i]),
        total=int(kernel[-1].sum()) / 100.0,
        table=table,
        components=actual.plan.components,
    )
