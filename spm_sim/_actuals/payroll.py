"""Actual payouts of one historical year: payroll, per-rep statements, back-tests.

:func:`actual_payouts` credits the book's deals of a calendar year to the reps with
quota and pays them through the same :func:`spm_sim.comp.payout` kernel that the
Monte Carlo uses, with one "trial" (leading shape ``()``). :func:`statement`
explains one rep's pay line by line (component, tier, period, rate, adjustment);
:func:`backtest` pays the same year under two plans and shows who gains and who
loses.

Money rule
----------
Payroll pays cents. For each rep and component the year-to-date earnings after
period ``p`` are rounded with :func:`spm_sim.comp.round_money`, and period ``p``
pays the rounded amount to date minus the rounded amount to the end of ``p - 1``.
So the payments of a year add up, to the cent, to the rounded annual amount, and
no cent is lost or paid twice by rounding each payment on its own.

Examples
--------
>>> from spm_sim import load_sample, standard_plan
>>> actual = actual_payouts(load_sample(), standard_plan(), 2025)
>>> actual.payout.by_component.shape      # (reps with quota, months, components)
(81, 12, 1)
>>> actual.unassigned.columns.tolist()   # every 2025 deal is credited: none listed
['rep_id', 'deals', 'amount', 'reason']
>>> len(actual.unassigned)
0
>>> from spm_sim.actuals import statement
>>> print(statement(actual, "R001").text)     # doctest: +ELLIPSIS
Incentive statement for R001 (Jonas Iversen), 2025
...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import write_csv
from spm_sim._format import format_money, format_pct
from spm_sim._spec import suggest
from spm_sim.book import cancellation_arrays, credit_deals, measure_arrays, measure_values
from spm_sim.comp import Payout, Plan, load_plan, payout, round_money
from spm_sim.errors import DataError
from spm_sim.quota import Quotas, QuotaSettings, quotas_from_history

__all__ = ["ActualPayouts", "Backtest", "actual_payouts", "backtest"]

#: Attainment within this of 1.0 counts as at quota (as the kernel's threshold test).
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class ActualPayouts:
    """What a plan paid (or would have paid) on one calendar year of real deals.

    Attributes
    ----------
    plan : Plan
    year : int
    rep_ids, rep_names : tuple of str
        The reps with quota, in the order of the arrays' rep axis.
    periods : tuple of str
        ``"YYYY-MM"``, the twelve months of ``year``.
    bookings, quotas : ndarray, shape (n_reps, 12)
        Credited bookings and quota per month, in the plan's currency.
    target_incentive : ndarray, shape (n_reps,)
        Annual TI from ``reps.csv`` times the share of the year's days the rep was
        employed (hire and term dates inclusive).
    payout : Payout
        The kernel's result, leading shape ``()``.
    unassigned : DataFrame
        Deals of the year not credited (by reps without quota, outside a rep's
        employment, or under a zero quota; see :func:`spm_sim.book.credit_deals`),
        one row per rep and reason: ``rep_id, deals, amount, reason``. They are not
        paid by this run.
    measures : dict of str to ndarray (n_reps, 12)
        The plan's declared measures as credited (scores as given); empty if none.
    cancellations : dict of str to ndarray (n_reps, 12)
        Units cancelled inside the plan's clawback window, by month of cancellation
        (``bookings`` and each declared measure); empty without a clawback rule.
    active : ndarray, shape (n_reps, 12)
        1 for the months the rep was employed on at least one day, else 0.
    """

    plan: Plan
    year: int
    rep_ids: tuple[str, ...]
    rep_names: tuple[str, ...]
    periods: tuple[str, ...]
    bookings: np.ndarray
    quotas: np.ndarray
    target_incentive: np.ndarray
    payout: Payout
    unassigned: pd.DataFrame
    measures: dict = field(default_factory=dict)
    cancellations: dict = field(default_factory=dict)
    active: np.ndarray | None = None

    @property
    def currency(self) -> str:
        """The plan's currency (the book's, which :func:`actual_payouts` checked)."""
        return self.plan.currency

    def paid_cents(self) -> np.ndarray:
        """Payments in integer cents, shape (n_reps, 12, n_components).

        Rounded year to date, then differenced (see the module's money rule).
        """
        earned = np.cumsum(self.payout.by_component, axis=-2)
        cents = np.rint(round_money(earned) * 100.0).astype(np.int64)
        return np.diff(cents, axis=-2, prepend=0)

    def by_rep(self) -> pd.DataFrame:
        """One row per rep: quota, bookings, attainment and the year's payout.

        Returns
        -------
        DataFrame
            ``rep_id, name, target_incentive, quota, bookings, attainment``, then
            ``payout_<component>`` per component, ``payout`` (total, to the cent)
            and ``payout_to_ti`` (payout / TI; NaN where TI is 0).
        """
        annual = self.paid_cents().sum(axis=1) / 100.0
        total = self.paid_cents().sum(axis=(1, 2)) / 100.0
        ti = self.target_incentive
        frame = pd.DataFrame(
            {
                "rep_id": list(self.rep_ids),
                "name": list(self.rep_names),
                "target_incentive": ti,
                "quota": self.quotas.sum(axis=1),
                "bookings": self.bookings.sum(axis=1),
                "attainment": self.payout.attainment,
            }
        )
        for j, name in enumerate(self.payout.components):
            frame[f"payout_{name}"] = annual[:, j]
        frame["payout"] = total
        frame["payout_to_ti"] = np.divide(total, ti, out=np.full(ti.shape, np.nan), where=ti > 0)
        frame.attrs.update(plan=self.plan.name, year=self.year, currency=self.currency)
        return frame

    def payroll(self) -> pd.DataFrame:
        """Payments per rep, month and component, to the cent: the payroll export.

        Returns
        -------
        DataFrame
            ``rep_id, period ("YYYY-MM"), component, amount, currency``, every
            combination (zeros included), ``attrs`` holding ``plan``, ``year`` and
            ``currency``. ``amount`` sums per rep to :meth:`by_rep`'s ``payout``.
        """
        cents = self.paid_cents()
        n_r, n_p, n_c = cents.shape
        frame = pd.DataFrame(
            {
                "rep_id": np.repeat(self.rep_ids, n_p * n_c),
                "period": np.tile(np.repeat(self.periods, n_c), n_r),
                "component": np.tile(self.payout.components, n_r * n_p),
                "amount": round_money(cents.ravel() / 100.0),
                "currency": self.currency,
            }
        )
        frame.attrs.update(plan=self.plan.name, year=self.year, currency=self.currency)
        return frame

    def to_payroll_csv(self, path: str | Path) -> Path:
        """Write :meth:`payroll` as CSV (amounts with two decimals); return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(self.payroll(), path, float_format="%.2f")
        return path


def _check_year(book: Any, year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise TypeError(f"year must be an int such as 2025; got {year!r}")
    if int(year) not in book.years:
        has = ", ".join(str(y) for y in book.years) or "none"
        raise DataError(
            f"book {book.name!r} has no bookings in {int(year)}; it has bookings in: {has}."
        )
    return int(year)


def _default_quotas(book: Any, year: int, settings: QuotaSettings | None) -> Quotas:
    try:
        return quotas_from_history(
            book, plan_year=year, settings=settings or QuotaSettings(growth=0.0)
        )
    except DataError as exc:
        raise DataError(
            f"{exc} To pay {year} on quotas set another way, pass quotas=Quotas(...)."
        ) from exc


def _employed_share(reps: pd.DataFrame, year: int) -> np.ndarray:
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    start = reps["hire_date"].where(reps["hire_date"] > first, first)
    end = reps["term_date"].fillna(last)
    end = end.where(end < last, last)
    days = (end - start).dt.days.to_numpy(float) + 1.0
    return np.clip(days, 0.0, None) / float((last - first).days + 1)


def actual_payouts(
    book: Any,
    plan: Plan | str | Path,
    year: int,
    *,
    quotas: Quotas | None = None,
    quota_settings: QuotaSettings | None = None,
    scores: pd.DataFrame | None = None,
) -> ActualPayouts:
    """Pay one calendar year of the book's real deals under a plan.

    Parameters
    ----------
    book : Book
    plan : Plan or path to a plan YAML
    year : int
        A calendar year with bookings in the book.
    quotas : Quotas, optional
        Monthly quotas of ``year`` (``periods`` must be its twelve months). Default:
        ``quotas_from_history(book, plan_year=year, settings=quota_settings)``, which
        sees only the history before ``year`` and gives quota to every rep employed
        on at least one day of ``year`` (a rep hired during it from the month of
        hire, ramped; a leaver up to the term date).
    quota_settings : QuotaSettings, optional
        For the default quotas; default ``QuotaSettings(growth=0.0)`` (last year's
        bookings, no growth). Not allowed together with ``quotas``.
    scores : DataFrame, optional
        Scores of the plan's ``score`` measures (MBO): columns ``rep_id``, ``period``
        (``"YYYY-MM"``), ``measure`` and ``score``. Needed when the plan has an MBO
        component: one row per rep on quota and MBO period end (e.g. March, June,
        September and December for a quarterly MBO).

    Returns
    -------
    ActualPayouts

    Raises
    ------
    DataError
        If ``year`` has no bookings (the message lists the book's years), a quota rep
        is not in the book, the quotas are not the twelve months of ``year`` or not
        finite, or the plan's currency is not the book's.

    Notes
    -----
    Deals are credited by :func:`spm_sim.book.credit_deals`, the one rule every
    measure uses: each deal goes to its ``rep_id`` in its calendar month when the
    rep has quota, booked it while employed and has a non-zero annual quota. Reps
    with quota and no deals get zeros. The other deals (of reps without quota, such
    as reps who left before the year or are missing from the ``quotas`` given; of a
    rep on quota booked before ``hire_date`` or after ``term_date``; under an annual
    quota of 0) are not paid and not dropped silently: they are listed in
    ``unassigned`` with the reason. The target incentive is prorated by days
    employed in ``year``.

    Examples
    --------
    >>> from spm_sim import load_sample, standard_plan
    >>> actual = actual_payouts(load_sample(), standard_plan(), 2025)
    >>> actual.by_rep().columns.tolist()   # doctest: +NORMALIZE_WHITESPACE
    ['rep_id', 'name', 'target_incentive', 'quota', 'bookings', 'attainment',
     'payout_bookings', 'payout', 'payout_to_ti']
    >>> actual.payroll().head(2)
      rep_id   period component    amount currency
    0   R001  2025-01  bookings      0.00      USD
    1   R001  2025-02  bookings      0.00      USD
    """
    plan = load_plan(plan)
    year = _check_year(book, year)
    if plan.currency != book.currency:
        raise DataError(
            f"plan {plan.name!r} pays in {plan.currency} but book {book.name!r} is in "
            f"{book.currency}; convert one of them first."
        )
    if quotas is None:
        quotas = _default_quotas(book, year, quota_settings)
    elif quota_settings is not None:
        raise ValueError("pass quotas or quota_settings, not both (settings only make quotas)")
    periods = tuple(f"{year}-{m:02d}" for m in range(1, 13))
    values = np.asarray(quotas.values, dtype=float)
    if tuple(quotas.periods) != periods or values.shape != (len(quotas.rep_ids), 12):
        raise DataError(
            f"quotas must cover the twelve months {periods[0]}..{periods[-1]} for each of "
            f"their {len(quotas.rep_ids)} reps; got periods {quotas.periods[:1]}.. and "
            f"values of shape {values.shape}."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        i, m = (int(x) for x in np.argwhere(bad)[0])
        raise DataError(
            f"the quota of rep {quotas.rep_ids[i]!r} for {periods[m]} is {values[i, m]}; every "
            "quota must be a finite amount (0 for a month without quota)."
        )
    reps = book.reps.set_index(book.reps["rep_id"].astype(str), drop=False)
    rep_ids = tuple(str(r) for r in quotas.rep_ids)
    unknown = [r for r in rep_ids if r not in reps.index]
    if unknown:
        raise DataError(
            f"quota rep {unknown[0]!r} is not in the book's reps ({len(unknown)} unknown)."
            + suggest(unknown[0], reps.index)
        )
    sel = reps.loc[list(rep_ids)]
    ti = sel["target_incentive"].to_numpy(float) * _employed_share(sel, year)
    # one crediting rule for every measure (spm_sim.book.credit_deals)
    other_role: set[str] = set()
    if plan.role is not None:
        kept, sel, values = _of_role(plan, year, rep_ids, sel, values)
        other_role, rep_ids = set(rep_ids) - set(kept), kept
        ti = sel["target_incentive"].to_numpy(float) * _employed_share(sel, year)
    credited = credit_deals(book, year, rep_ids, annual_quota=values.sum(axis=1))
    bookings = measure_values(credited, kind="bookings")
    counted = [m for m in plan.measures if m.kind != "score"]
    measures = measure_arrays(credited, counted)
    measures |= _score_arrays(plan, scores, rep_ids, periods)
    cancellations = {}
    if plan.clawback is not None:
        cancellations = cancellation_arrays(
            credited,
            [("bookings", "bookings", None), *counted],
            window_days=plan.clawback.window_days,
        )
    active = _active_months(sel, year)
    unassigned = credited.unassigned
    if other_role:  # their deals are listed as not on these quotas: say why
        hit = unassigned["rep_id"].isin(other_role)
        why = f"role is not {plan.role!r}: paid under another plan"
        unassigned = unassigned.assign(reason=unassigned["reason"].where(~hit, why))
    return ActualPayouts(
        plan=plan,
        year=year,
        rep_ids=rep_ids,
        rep_names=tuple(sel["name"].astype(str)),
        periods=periods,
        bookings=bookings,
        quotas=values,
        target_incentive=ti,
        payout=payout(
            plan,
            bookings,
            values,
            ti,
            measures=measures or None,
            cancellations=cancellations or None,
            active=active,
        ),
        unassigned=unassigned,
        measures=measures,
        cancellations=cancellations,
        active=active,
    )


def _of_role(plan: Plan, year: int, rep_ids, sel, values):
    """Keep the quota reps whose role is the plan's; refuse if none is left."""
    keep = (sel["role"].astype(str) == plan.role).to_numpy()
    if not keep.any():
        roles = ", ".join(sorted(sel["role"].astype(str).unique())) or "none"
        raise DataError(
            f"plan {plan.name!r} is for role {plan.role!r}, but no rep with quota in {year} "
            f"has that role (their roles: {roles}). Use a plan for those roles, or remove "
            "'role' from the plan to pay everyone under it."
        )
    ids = tuple(r for r, k in zip(rep_ids, keep, strict=True) if k)
    return ids, sel[keep], values[keep]


def _active_months(reps: pd.DataFrame, year: int) -> np.ndarray:
    """1 for each month of ``year`` in which the rep was employed on at least one day."""
    starts = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    hire = reps["hire_date"].to_numpy()[:, None]
    term = reps["term_date"].fillna(pd.Timestamp(year + 1, 12, 31)).to_numpy()[:, None]
    return ((hire <= ends.to_numpy()[None, :]) & (term >= starts.to_numpy()[None, :])).astype(float)


def _score_arrays(plan: Plan, scores: pd.DataFrame | None, rep_ids, periods) -> dict:
    """The plan's score measures as (n_reps, 12) arrays from a scores table."""
    from spm_sim.comp import MBO, period_ends

    mbos = [c for c in plan.components if isinstance(c, MBO)]
    names = [m.name for m in plan.measures if m.kind == "score"]
    if not names:
        return {}
    if scores is None:
        if mbos:
            raise DataError(
                f"plan {plan.name!r} pays MBO component {mbos[0].name!r} on score "
                f"{mbos[0].measure!r}; give the scores (a table or CSV with columns rep_id, "
                "period, measure, score; spm-sim payouts --scores FILE)."
            )
        return {n: np.zeros((len(rep_ids), 12)) for n in names}
    src = scores.attrs.get("file", "scores")  # the CSV's path when read by the CLI
    need = {"rep_id", "period", "measure", "score"}
    if not need <= set(scores.columns):
        missing = ", ".join(sorted(need - set(scores.columns)))
        raise DataError(
            f"{src}: missing column(s) {missing}; columns are rep_id, period, measure, score."
        )
    out = {n: np.zeros((len(rep_ids), 12)) for n in names}
    seen = {n: np.zeros((len(rep_ids), 12), dtype=bool) for n in names}
    row_of = {r: i for i, r in enumerate(rep_ids)}
    col_of = {p: k for k, p in enumerate(periods)}
    for line, r in enumerate(scores.itertuples(index=False), start=2):
        where = f"{src} line {line}"
        if r.measure not in out:
            raise DataError(
                f"{where}: measure {r.measure!r} is not a score measure of plan "
                f"{plan.name!r} ({', '.join(names)}).{suggest(str(r.measure), names)}"
            )
        if str(r.period) not in col_of:
            raise DataError(
                f"{where}: period {r.period!r} is not a month of {periods[0][:4]} "
                f"(write YYYY-MM, e.g. {periods[2]})."
            )
        score = pd.to_numeric(r.score, errors="coerce")
        if not (np.isfinite(score) and score >= 0):
            raise DataError(f"{where}: score {r.score!r} must be a number >= 0.")
        if str(r.rep_id) in row_of:
            i, k = row_of[str(r.rep_id)], col_of[str(r.period)]
            out[r.measure][i, k] = float(score)
            seen[r.measure][i, k] = True
    for c in mbos:
        ends = period_ends(c.period, 12)
        gap = ~seen[c.measure][:, ends]
        if gap.any():
            i, k = (int(x) for x in np.argwhere(gap)[0])
            raise DataError(
                f"{src}: no {c.measure!r} score for rep {rep_ids[i]!r} in {periods[ends[k]]}; "
                f"MBO {c.name!r} reads it at its {c.period} ends "
                f"({', '.join(periods[e] for e in ends)}). Add the row (0 if the rep missed)."
            )
    return out


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
        for title, part in [("Biggest losers", r.head(5)), ("Biggest gainers", r.iloc[::-1][:5])]:
            items = [f"{x.rep_id} {m(x.difference, True)}" for x in part.itertuples()]
            out.append(f"{title} under B: " + ", ".join(items))
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
    total = int(actual.paid_cents().sum()) / 100.0
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
