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
        return self.describe()

    def describe(self, table: Callable[[list[str], list[list[str]]], str] | None = None) -> str:
        """The summary as text: the two plans, their figures side by side, the reps
        whose pay changes most (or that none does) and the deals no plan pays.

        ``table(heading, rows)`` lays out the figures (the command line passes one
        that fits the terminal); by default fixed-width columns.

        Examples
        --------
        >>> from spm_sim import load_sample, standard_plan
        >>> same = backtest(load_sample(), standard_plan(), standard_plan(), 2025)
        >>> same.describe().splitlines()[-1]
        "No rep's pay changes under B: the two plans pay every rep the same."
        """
        cur, s = self.a.currency, self.summary

        def m(x: float, sign: bool = False) -> str:
            return format_money(x, currency=cur, sign=sign)

        out = [
            f"Back-test of {self.a.year}: {len(self.reps)} reps with quota, credited bookings "
            f"{m(s.loc['A', 'bookings'])}",
            f"  A: {s.loc['A', 'plan']}",
            f"  B: {s.loc['B', 'plan']}",
        ]
        rows = []
        for col, label in (
            ("total_incentive", "total incentive"),
            ("cost_of_sales", "cost of sales"),
            ("share_at_quota", "reps at quota"),
            ("attainment_p10", "attainment P10"),
            ("attainment_p50", "attainment P50"),
            ("attainment_p90", "attainment P90"),
        ):
            a, b, d = (float(s.loc[k, col]) for k in ("A", "B", "B - A"))
            if col == "total_incentive":
                rows.append([label, m(a), m(b), m(d, True)])
            else:
                rows.append([label, format_pct(a), format_pct(b), f"{d * 100:+.1f} pp"])
        heading = ["", "A", "B", "B - A"]
        if table is not None:
            out.append(table(heading, rows))
        else:
            for row in [heading, *rows]:
                out.append(f"{row[0]:<26}{row[1]:>12}{row[2]:>12}{row[3]:>14}")
        r = self.reps
        losers = r[r["difference"] < 0].head(5)
        gainers = r[r["difference"] > 0].iloc[::-1].head(5)
        if losers.empty and gainers.empty:
            out.append("No rep's pay changes under B: the two plans pay every rep the same.")
        else:
            for title, part, how in (("losers", losers, "less"), ("gainers", gainers, "more")):
                items = [f"{x.rep_id} {m(x.difference, True)}" for x in part.itertuples()]
                said = ", ".join(items) or f"none (no rep is paid {how})"
                out.append(f"Biggest {title} under B: {said}")
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
