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

Every payment must be finite and at most :data:`MAX_AMOUNT` (1e12 in the plan's
currency) per rep, month and component, and so must the credited bookings of a rep
in a month; otherwise :class:`~spm_sim.errors.DataError` names the rep, the column,
the month and the value. Within that bound a year to date in cents (at most 1.2e15)
is an exact integer in float64 (below 2**53) and far inside int64, so no amount can
overflow or lose a cent; totals over reps are summed as Python integers.

Files
-----
:meth:`ActualPayouts.to_payroll_csv` writes three files side by side (names from
:meth:`ActualPayouts.payroll_files`): the payroll (``payroll.csv``), the deals of the
year that it does not pay, one per row with the reason (``payroll-unpaid.csv``),
and the control totals (``payroll-totals.json``: rows, reps, cents per component and
month, the months without data, the unpaid deals and each file's SHA-256), written
last. Each goes through :mod:`spm_sim._files` (whole or not at all).

The module holds the payroll, its checks (money bounds, MBO scores) and its files
next to each other because each check guards a number the files carry; it is longer
than most for that reason.

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

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._files import write_csv, write_text
from spm_sim._spec import suggest
from spm_sim.book import cancellation_arrays, credit_deals, measure_arrays, measure_values
from spm_sim.comp import Payout, Plan, load_plan, payout, round_money
from spm_sim.errors import DataError, implausible
from spm_sim.quota import Quotas, QuotaSettings, quotas_from_history

from .scores import _score_arrays

__all__ = [
    "ActualPayouts",
    "actual_payouts",
    "MAX_AMOUNT",
    "UNPAID_CATEGORIES",
    "reps_of_role",
]

#: The largest payment the payroll carries per rep, month and component, and the
#: largest credited bookings of a rep in a month, in the plan's currency. A year to
#: date in cents then stays below 1.2e15: exact in float64 and far inside int64.
MAX_AMOUNT = 1e12

#: Why a deal of the year is not paid: the ``category`` column of the unpaid deals,
#: and the words the command line uses for it.
UNPAID_CATEGORIES = {
    "no_quota": "rep has no quota that year",
    "outside_employment": "booked outside the rep's employment",
    "zero_quota": "rep's quota is 0 that year",
    "other_role": "rep's role is paid under another plan",
}


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
    unpaid_deals : DataFrame or None
        The same deals as ``unassigned``, one row each: ``deal_id, date, rep_id,
        account_id, amount, currency, category, reason``; ``category`` is a key of
        :data:`UNPAID_CATEGORIES`. None when built by hand.
    book_name, book_path : str or None
        The book paid from (``book_path`` None for a book built from frames).
    data_end : Timestamp or None
        The last day the book has data for: its ``snapshot_date``, else its last
        booking (``data_end_source`` says which).
    data_end_source : str
    notes : tuple of str
        What the payroll did not use and why (score rows of reps not on it, ...).
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
    unpaid_deals: pd.DataFrame | None = None
    book_name: str | None = None
    book_path: str | None = None
    data_end: pd.Timestamp | None = None
    data_end_source: str = ""
    notes: tuple[str, ...] = ()

    @property
    def currency(self) -> str:
        """The plan's currency (the book's, which :func:`actual_payouts` checked)."""
        return self.plan.currency

    @property
    def months_without_data(self) -> tuple[str, ...]:
        """The periods that begin after :attr:`data_end`: the book says nothing of them.

        They are paid as if nothing was booked; :func:`actual_payouts` warns about
        them (:class:`~spm_sim.errors.PlausibilityWarning`).
        """
        if self.data_end is None:
            return ()
        return tuple(p for p in self.periods if pd.Timestamp(f"{p}-01") > self.data_end)

    def paid_cents(self) -> np.ndarray:
        """Payments in integer cents, shape (n_reps, 12, n_components).

        Rounded year to date, then differenced (see the module's money rule).

        Raises
        ------
        DataError
            If a payment is not finite or above :data:`MAX_AMOUNT` (naming the rep,
            the column, the month and the value).
        """
        _check_money(
            self.payout.by_component,
            self.rep_ids,
            self.periods,
            self.payout.components,
            self.currency,
            what="payment",
        )
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
        cents = self.paid_cents()
        annual = cents.sum(axis=1) / 100.0
        total = cents.sum(axis=(1, 2)) / 100.0
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

    def unpaid(self) -> pd.DataFrame:
        """The deals of the year this payroll does not pay, one per row, with the reason.

        Returns
        -------
        DataFrame
            ``deal_id, date (YYYY-MM-DD), rep_id, account_id, amount, currency,
            category, reason``, sorted by rep, date and deal; built from
            :attr:`unassigned` (one row per rep and reason, ``deal_id`` and ``date``
            empty) when :attr:`unpaid_deals` is None.
        """
        if self.unpaid_deals is not None:
            return self.unpaid_deals.copy()
        u = self.unassigned
        return pd.DataFrame(
            {
                "deal_id": "",
                "date": "",
                "rep_id": u["rep_id"].astype(str),
                "account_id": "",
                "amount": u["amount"].astype(float),
                "currency": self.currency,
                "category": "",
                "reason": u["reason"].astype(str),
            },
            columns=_UNPAID_COLUMNS,
        )

    def control_totals(self) -> dict[str, Any]:
        """The payroll's control totals: what a payroll team ticks before paying.

        Returns
        -------
        dict
            ``plan, year, currency, book`` (``name``, ``path``), ``rows``,
            ``reps``, ``components``, ``total_cents`` (int) and ``total`` (text,
            two decimals), ``by_component`` and ``by_month`` (each name or period to
            ``cents`` and ``amount``; a month also ``has_data``), ``data_end``,
            ``data_end_source``, ``months_without_data`` and ``unpaid`` (``deals``,
            ``reps``, ``amount_cents``, ``amount`` and ``by_category``: deals per
            category). Every sum is over the payroll's cents, so it equals the
            payroll rows and the reps' statements to the cent.

        Examples
        --------
        >>> from spm_sim import load_sample, standard_plan
        >>> totals = actual_payouts(load_sample(), standard_plan(), 2025).control_totals()
        >>> totals["rows"], totals["reps"], totals["months_without_data"]
        (972, 81, [])
        >>> totals["total_cents"] == sum(m["cents"] for m in totals["by_month"].values())
        True
        """
        cents = self.paid_cents()
        n_r, n_p, n_c = cents.shape
        # per rep, one column or one month: within int64; over reps: Python ints
        by_comp = [sum(int(v) for v in cents[:, :, j].sum(axis=1)) for j in range(n_c)]
        by_month = [sum(int(v) for v in cents[:, p, :].sum(axis=1)) for p in range(n_p)]
        total = sum(by_comp)
        if total != sum(by_month):  # pragma: no cover - two sums of the same integers
            raise RuntimeError("control totals: the months and the components disagree")
        empty = set(self.months_without_data)
        unpaid = self.unpaid()
        unpaid_cents = sum(_deal_cents(a) for a in unpaid["amount"])
        return {
            "plan": self.plan.name,
            "year": self.year,
            "currency": self.currency,
            "book": {"name": self.book_name, "path": self.book_path},
            "rows": n_r * n_p * n_c,
            "reps": n_r,
            "components": list(self.payout.components),
            "total_cents": total,
            "total": _cents_text(total),
            "by_component": {
                name: {"cents": c, "amount": _cents_text(c)}
                for name, c in zip(self.payout.components, by_comp, strict=True)
            },
            "by_month": {
                p: {"cents": c, "amount": _cents_text(c), "has_data": p not in empty}
                for p, c in zip(self.periods, by_month, strict=True)
            },
            "data_end": None if self.data_end is None else f"{self.data_end:%Y-%m-%d}",
            "data_end_source": self.data_end_source,
            "months_without_data": [p for p in self.periods if p in empty],
            "unpaid": {
                "deals": int(self.unassigned["deals"].sum()),
                "reps": int(self.unassigned["rep_id"].nunique()),
                "amount_cents": unpaid_cents,
                "amount": _cents_text(unpaid_cents),
                "by_category": {
                    str(k): int(v)
                    for k, v in unpaid["category"].value_counts().sort_index().items()
                }
                if self.unpaid_deals is not None
                else {},
            },
        }

    @staticmethod
    def payroll_files(path: str | Path) -> dict[str, Path]:
        """The three files :meth:`to_payroll_csv` writes for a payroll at ``path``.

        Examples
        --------
        >>> files = ActualPayouts.payroll_files("out/payroll-2025.csv")
        >>> [str(p) for p in files.values()]
        ['out/payroll-2025.csv', 'out/payroll-2025-unpaid.csv', 'out/payroll-2025-totals.json']
        """
        path = Path(path)
        stem = path.stem if path.suffix.lower() == ".csv" else path.name
        return {
            "payroll": path,
            "unpaid": path.with_name(f"{stem}-unpaid.csv"),
            "totals": path.with_name(f"{stem}-totals.json"),
        }

    def to_payroll_csv(self, path: str | Path) -> Path:
        """Write the payroll, its unpaid deals and its control totals; return the payroll's path.

        The payroll (:meth:`payroll`, amounts with two decimals) goes to ``path``;
        beside it (see :meth:`payroll_files`) ``<stem>-unpaid.csv`` (:meth:`unpaid`,
        written even when empty, so its absence never means "none") and, last,
        ``<stem>-totals.json`` (:meth:`control_totals` plus each file's name, rows
        and SHA-256). Each file is written whole or not at all; existing files are
        replaced (the command line asks for ``--force`` first).
        """
        files = self.payroll_files(path)
        files["payroll"].parent.mkdir(parents=True, exist_ok=True)
        totals = self.control_totals()  # checks every amount before any file is written
        unpaid = self.unpaid()
        written = {}
        for key, frame in (("unpaid", unpaid), ("payroll", self.payroll())):
            write_csv(frame, files[key], float_format="%.2f")
            data = files[key].read_bytes()
            written[key] = {
                "file": files[key].name,
                "rows": int(len(frame)),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        totals["files"] = {"payroll": written["payroll"], "unpaid": written["unpaid"]}
        write_text(files["totals"], json.dumps(totals, indent=2, ensure_ascii=False) + "\n")
        return files["payroll"]


_UNPAID_COLUMNS = [
    "deal_id",
    "date",
    "rep_id",
    "account_id",
    "amount",
    "currency",
    "category",
    "reason",
]


def _cents_text(cents: int) -> str:
    """Integer cents as exact text with two decimals: ``-1234.05``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def _deal_cents(amount: float) -> int:
    """A deal's amount in whole cents (the book's amounts are finite, checked on load)."""
    x = float(amount)
    if not (np.isfinite(x) and abs(x) <= MAX_AMOUNT):
        raise DataError(
            f"an unpaid deal's amount is {x!r}; amounts must be finite and at most "
            f"{MAX_AMOUNT:.0e}. Check the deal's amount in bookings."
        )
    return int(np.rint(round_money(x) * 100.0))


def _check_money(
    values: np.ndarray,
    rep_ids: tuple[str, ...],
    periods: tuple[str, ...],
    columns: tuple[str, ...] | None,
    currency: str,
    *,
    what: str,
) -> None:
    """Refuse an amount that is not finite or above :data:`MAX_AMOUNT`, naming where it is.

    ``values`` has shape (reps, periods) or (reps, periods, columns).
    """
    arr = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (np.abs(arr) > MAX_AMOUNT)
    if not bad.any():
        return
    at = tuple(int(x) for x in np.argwhere(bad)[0])
    col = f", component {columns[at[2]]!r}" if columns is not None and arr.ndim == 3 else ""
    value = arr[at]
    rule = "not a finite amount" if not np.isfinite(value) else f"above {MAX_AMOUNT:.0e}"
    raise DataError(
        f"the {what} of rep {rep_ids[at[0]]!r}{col} in {periods[at[1]]} is {value:.6g} "
        f"{currency}, {rule} ({int(bad.sum())} such amount(s)); the payroll carries amounts "
        f"up to {MAX_AMOUNT:.0e} per rep, month and component. Check the plan's rates and "
        "caps, the reps' target_incentive, the quotas and the deals' amounts."
    )


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
        September and December for a quarterly MBO). ``attrs["file"]`` (and
        ``attrs["lines"]``, each row's line number) make errors name the file and
        line; otherwise they name the index label.

    Returns
    -------
    ActualPayouts

    Raises
    ------
    DataError
        If ``year`` has no bookings (the message lists the book's years), a quota rep
        is not in the book, the quotas are not the twelve months of ``year`` or not
        finite, or the plan's currency is not the book's. If a payment or a rep's
        credited bookings in a month are not finite or above :data:`MAX_AMOUNT`
        (naming the rep, the column, the month and the value). If a score row names
        a rep not in the book or not employed in ``year``, a measure that is not a
        score measure of the plan or a month outside ``year``, repeats a rep, month
        and measure, or holds a score that is not a number from 0 to
        :data:`MAX_SCORE` (or twice the plan's highest MBO level), naming the line,
        the column and the value; or an MBO period end has no score.

    Warns
    -----
    PlausibilityWarning
        When the book's data end (its ``snapshot_date``, else its last booking)
        before the last month of ``year``: the months without data are named (an
        error under :func:`spm_sim.errors.strict_checks`).

    Notes
    -----
    Deals are credited by :func:`spm_sim.book.credit_deals`, the one rule every
    measure uses: each deal goes to its ``rep_id`` in its calendar month when the
    rep has quota, booked it while employed and has a non-zero annual quota. Reps
    with quota and no deals get zeros. The other deals (of reps without quota, such
    as reps who left before the year or are missing from the ``quotas`` given; of a
    rep on quota booked before ``hire_date`` or after ``term_date``; under an annual
    quota of 0) are not paid and not dropped silently: they are listed in
    ``unassigned`` with the reason, and one by one in :meth:`ActualPayouts.unpaid`.
    The target incentive is prorated by days employed in ``year``. Score rows of
    reps employed in ``year`` but not on this payroll (another role, or not in the
    ``quotas`` given) are not used, and :attr:`ActualPayouts.notes` says so.

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
        kept, sel, values = reps_of_role(plan, year, rep_ids, sel, values)
        other_role, rep_ids = set(rep_ids) - set(kept), kept
        ti = sel["target_incentive"].to_numpy(float) * _employed_share(sel, year)
    credited = credit_deals(book, year, rep_ids, annual_quota=values.sum(axis=1))
    bookings = measure_values(credited, kind="bookings")
    _check_money(bookings, rep_ids, periods, None, plan.currency, what="credited bookings")
    counted = [m for m in plan.measures if m.kind != "score"]
    measures = measure_arrays(credited, counted)
    notes: list[str] = []
    measures |= _score_arrays(plan, scores, rep_ids, periods, reps, notes)
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
    unpaid = _unpaid_deals(book, year, credited, unassigned, sel, other_role)
    # overflow and inf-inf in the kernel give inf or NaN, refused just below with the place
    with np.errstate(over="ignore", invalid="ignore"):
        paid = payout(
            plan,
            bookings,
            values,
            ti,
            measures=measures or None,
            cancellations=cancellations or None,
            active=active,
        )
    _check_money(
        paid.by_component, rep_ids, periods, paid.components, plan.currency, what="payment"
    )
    end, source = _data_end(book)
    result = ActualPayouts(
        plan=plan,
        year=year,
        rep_ids=rep_ids,
        rep_names=tuple(sel["name"].astype(str)),
        periods=periods,
        bookings=bookings,
        quotas=values,
        target_incentive=ti,
        payout=paid,
        unassigned=unassigned,
        measures=measures,
        cancellations=cancellations,
        active=active,
        unpaid_deals=unpaid,
        book_name=str(book.name),
        book_path=None if getattr(book, "path", None) is None else str(book.path),
        data_end=end,
        data_end_source=source,
        notes=tuple(notes),
    )
    empty = result.months_without_data
    if empty:
        span = empty[0] if len(empty) == 1 else f"{empty[0]}..{empty[-1]}"
        implausible(
            f"book {book.name!r} has data up to {end:%Y-%m-%d} ({source}), so {span} "
            f"({len(empty)} month(s) of {year}) have no data: the payroll pays them as if "
            "nothing was booked. Pay a month once the book holds its deals; the control "
            "totals list these months (months_without_data).",
            file=result.book_path,
            value=f"{end:%Y-%m-%d}",
        )
    return result


def _data_end(book: Any) -> tuple[pd.Timestamp | None, str]:
    """The last day the book has data for, and where that date comes from."""
    if getattr(book, "snapshot_date", None) is not None:
        return pd.Timestamp(book.snapshot_date), "its snapshot date"
    dates = book.bookings["date"].dropna()
    if len(dates):
        return pd.Timestamp(dates.max()), "its last booking; book.yaml has no snapshot_date"
    return None, ""


def _unpaid_deals(
    book: Any,
    year: int,
    credited: Any,
    unassigned: pd.DataFrame,
    sel: pd.DataFrame,
    other_role: set[str],
) -> pd.DataFrame:
    """The deals of ``year`` not credited, one per row, with the category and reason.

    The reasons are ``unassigned``'s (one per rep and reason); this spreads them over
    the deals and checks that the deals add up to ``unassigned`` again, rep by rep.
    """
    cols = ["deal_id", "date", "rep_id", "account_id", "amount"]
    deals = book.bookings.loc[book.bookings["date"].dt.year == year, cols]
    paid_ids = set(credited.deals["deal_id"].astype(str))
    left = deals[~deals["deal_id"].astype(str).isin(paid_ids)].copy()
    left["rep_id"] = left["rep_id"].astype(str)
    on = left["rep_id"].isin(set(sel.index)).to_numpy(dtype=bool)
    at = sel.reindex(left["rep_id"])
    hire, term = at["hire_date"].to_numpy(), at["term_date"].to_numpy()
    date = left["date"].to_numpy()
    outside = on & ~((date >= hire) & (pd.isna(term) | (date <= term)))
    role = left["rep_id"].isin(other_role).to_numpy(dtype=bool)
    category = np.select(
        [outside, on, role], ["outside_employment", "zero_quota", "other_role"], "no_quota"
    )
    # a rep's reasons in unassigned, in its order: (not on quota) or (outside, zero quota)
    reasons = unassigned.groupby("rep_id", sort=False)["reason"].agg(list).to_dict()
    left["category"] = category
    left["reason"] = [
        rs[-1] if c == "zero_quota" else rs[0]
        for rs, c in zip((reasons.get(r, [""]) for r in left["rep_id"]), category, strict=True)
    ]
    left["currency"] = book.currency
    left["date"] = left["date"].dt.strftime("%Y-%m-%d")
    out = left.sort_values(["rep_id", "date", "deal_id"], kind="stable")[_UNPAID_COLUMNS]
    out = out.reset_index(drop=True)
    for a in out["amount"]:
        _deal_cents(a)  # finite and bounded, so the totals can count it in cents
    mine = out.groupby(["rep_id", "reason"])["amount"].agg(["size", "sum"])
    theirs = unassigned.groupby(["rep_id", "reason"])[["deals", "amount"]].sum()
    same = mine.index.sort_values().equals(theirs.index.sort_values()) and np.array_equal(
        mine["size"].to_numpy(), theirs.loc[mine.index, "deals"].to_numpy()
    )
    if not same or not np.allclose(mine["sum"], theirs.loc[mine.index, "amount"]):
        raise RuntimeError(  # pragma: no cover - the crediting rule and this one disagree
            f"the unpaid deals of {year} do not add up to the deals not credited, rep by rep; "
            "the list would not be the true one."
        )
    return out


def reps_of_role(
    plan: Plan, year: int, rep_ids: Sequence[str], sel: pd.DataFrame, values: np.ndarray
) -> tuple[tuple[str, ...], pd.DataFrame, np.ndarray]:
    """Keep the quota reps whose role is the plan's; refuse if none is left.

    Parameters
    ----------
    plan : Plan
        A plan with a ``role``.
    year : int
        The year paid (for the message).
    rep_ids : sequence of str
        The quota reps, in the order of ``sel`` and ``values``.
    sel : DataFrame
        Their rows of ``reps.csv`` (with ``role``).
    values : ndarray, shape (n_reps, ...)
        Anything per rep (quotas).

    Returns
    -------
    ids : tuple of str
    sel : DataFrame
    values : ndarray
        The three, kept to the reps of the plan's role.

    Raises
    ------
    DataError
        When no quota rep has the plan's role (the message lists the roles there are).
    """
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
