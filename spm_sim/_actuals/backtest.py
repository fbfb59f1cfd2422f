"""Two plans applied to the same real year: :class:`Backtest` and :func:`backtest`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct
from spm_sim.comp import Plan, round_money
from spm_sim.quota import Quotas, QuotaSettings

from .payroll import ActualPayouts, _check_year, _default_quotas, actual_payouts

__all__ = ["Backtest", "backtest"]

#: Attainment within this of 1.0 counts as at quota (as the kernel's threshold test).
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Backtest:
    """Two plans paid on the same historical year, quotas and deals.

    Attributes
    ----------
    a, b : ActualPayouts
    summary : DataFrame
        Rows ``A``, ``B`` and ``B - A``; columns ``plan, total_incentive, bookings,
        cost_of_sales`` (incentive / credited bookings), ``share_at_quota`` and
        ``attainment_p10, attainment_p50, attainment_p90`` (across reps with quota).
    reps : DataFrame
        ``rep_id, name, quota, bookings, attainment, payout_a, payout_b,
        difference`` (B - A), sorted from the biggest loser to the biggest gainer.
    """

    a: ActualPayouts
    b: ActualPayouts
    summary: pd.DataFrame
    reps: pd.DataFrame

    @property
    def text(self) -> str:
        """A plain-text summary for people deciding between the two plans."""
        cur, s = self.a.currency, self.summary

        def m(x: float, sign: bool = False) -> str:
            return format_money(x, currency=cur, sign=sign)

        out = [
            f"Back-test of {self.a.year}: {len(self.reps)} reps with quota, credited bookings "
            f"{m(s.loc['A', 'bookings'])}",
            f"  A: {s.loc['A', 'plan']}",
            f"  B: {s.loc['B', 'plan']}",
            f"{'':26}{'A':>12}{'B':>12}{'B - A':>14}",
        ]
        rows: list[tuple[str, str, Callable[[float], str]]] = [
            ("total_incentive", "total incentive", m),
            ("cost_of_sales", "cost of sales", format_pct),
            ("share_at_quota", "reps at quota", format_pct),
            ("attainment_p10", "attainment P10", format_pct),
            ("attainment_p50", "attainment P50", format_pct),
            ("attainment_p90", "attainment P90", format_pct),
        ]
        for col, label, fmt in rows:
            d = s.loc["B - A", col]
            diff = m(d, True) if fmt is m else f"{d * 100:+.1f} pp"
            out.append(f"{label:<26}{fmt(s.loc['A', col]):>12}{fmt(s.loc['B', col]):>12}{diff:>14}")
        r = self.reps
        losers, gainers = r[r["difference"] < 0], r[r["difference"] > 0].iloc[::-1]
        if losers.empty and gainers.empty:
            out.append("No rep's pay changes under B: the two plans pay every rep the same.")
        else:
            for title, part, none in [
                ("Biggest losers", losers.head(5), "none (no rep is paid less)"),
                ("Biggest gainers", gainers.head(5), "none (no rep is paid more)"),
            ]:
                items = [f"{x.rep_id} {m(x.difference, True)}" for x in part.itertuples()]
                out.append(f"{title} under B: " + (", ".join(items) or none))
        u = self.a.unassigned
        if len(u):
            who = ", ".join(f"{x.rep_id} ({x.reason})" for x in u.head(4).itertuples())
            out.append(
                f"Not paid by either plan: {int(u['deals'].sum())} deals worth "
                f"{m(u['amount'].sum())} by {_reps(u['rep_id'].nunique())}: {who}"
                + (", ..." if len(u) > 4 else "")
            )
        return "\n".join(out)


def _reps(n: int) -> str:
    return f"{n} rep" + ("" if n == 1 else "s")


def _summary_row(actual: ActualPayouts) -> dict[str, Any]:
    total = actual.control_totals()["total_cents"] / 100.0  # summed as Python ints
    booked = float(actual.bookings.sum())
    att = actual.payout.attainment
    att = att[np.isfinite(att)]
    p10, p50, p90 = np.percentile(att, [10, 50, 90]) if att.size else (np.nan,) * 3
    return {
        "plan": actual.plan.name,
        "total_incentive": total,
        "bookings": booked,
        "cost_of_sales": total / booked if booked > 0 else np.nan,
        "share_at_quota": float(np.mean(att >= 1.0 - _TOL)) if att.size else np.nan,
        "attainment_p10": p10,
        "attainment_p50": p50,
        "attainment_p90": p90,
    }


def backtest(
    book: Any,
    plan_a: Plan | str | Path,
    plan_b: Plan | str | Path,
    year: int,
    *,
    quotas: Quotas | None = None,
    quota_settings: QuotaSettings | None = None,
    scores: pd.DataFrame | None = None,
) -> Backtest:
    """Pay one historical year under two plans: cost, spread, gainers and losers.

    Both plans see the same deals and the same quotas (set once, as in
    :func:`actual_payouts`), so every difference comes from the plans.

    Parameters
    ----------
    book : Book
    plan_a, plan_b : Plan or path to a plan YAML
        ``A`` is the reference (usually the plan in force).
    year : int
    quotas : Quotas, optional
        Monthly quotas of ``year``, as in :func:`actual_payouts`; default set from
        the history before ``year`` with ``quota_settings``.
    quota_settings : QuotaSettings, optional
        Default ``QuotaSettings(growth=0.0)``. Not allowed together with ``quotas``.
    scores : DataFrame, optional
        MBO scores, as in :func:`actual_payouts`.

    Returns
    -------
    Backtest

    Examples
    --------
    >>> from spm_sim import load_sample, standard_plan
    >>> bt = backtest(load_sample(), standard_plan(), standard_plan(accelerator=3.0), 2025)
    >>> bool(bt.summary.loc["B - A", "total_incentive"] > 0)   # a richer accelerator costs more
    True
    >>> bool(bt.reps["difference"].is_monotonic_increasing)
    True
    """
    year = _check_year(book, year)
    if quotas is None:
        quotas = _default_quotas(book, year, quota_settings)
    elif quota_settings is not None:
        raise ValueError("pass quotas or quota_settings, not both (settings only make quotas)")
    a = actual_payouts(book, plan_a, year, quotas=quotas, scores=scores)
    b = actual_payouts(book, plan_b, year, quotas=quotas, scores=scores)
    summary = pd.DataFrame([_summary_row(a), _summary_row(b)], index=["A", "B"])
    numeric = summary.columns.drop("plan")
    diff = summary.loc["B", numeric] - summary.loc["A", numeric]
    summary.loc["B - A", numeric] = diff.astype(float)
    summary.loc["B - A", "plan"] = "B - A"
    pa, pb = a.by_rep(), b.by_rep()
    reps = pa[["rep_id", "name", "quota", "bookings", "attainment"]].assign(
        payout_a=pa["payout"], payout_b=pb["payout"]
    )
    reps["difference"] = round_money(reps["payout_b"] - reps["payout_a"])
    reps = reps.sort_values(["difference", "rep_id"], kind="stable").reset_index(drop=True)
    for frame in (summary, reps):
        frame.attrs.update(plan_a=a.plan.name, plan_b=b.plan.name, year=year, currency=a.currency)
    return Backtest(a=a, b=b, summary=summary, reps=reps)
