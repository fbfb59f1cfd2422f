"""What the report compares the simulation with and where its inputs came from.

:func:`last_year` replays the book's last real year (the year before the plan year)
under the baseline's plan through :func:`spm_sim.actuals.actual_payouts`: the
"<year> deals under the baseline plan (replayed)" column of the report. It uses the
book the results were simulated on, and says why when it cannot (a book built in
memory and not given, files changed since, a part year, no earlier history).
:func:`book_fingerprint` names the book's files with short SHA-256 checksums, so a
mailed report identifies its data without writing a local path.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim.errors import PlausibilityWarning, SpmSimError

__all__ = ["LastYear", "last_year", "book_fingerprint", "plan_fingerprint"]

#: Characters of a SHA-256 checksum shown (48 bits: enough to tell files apart by eye).
SHORT_HASH = 12

#: What a results' record of its book must match in a book used for last year
#: (``ProductivityModel.fit``): the history's span, its deals in total and per rep,
#: and the deal sizes' prior (a change of any amount moves it).
_FIT_KEYS = (
    "history_start",
    "history_end",
    "n_deals",
    "deals",
    "size_prior_mean",
    "size_prior_var",
)


@dataclass(frozen=True)
class LastYear:
    """Last year's deals replayed under the baseline plan, or why the book cannot give them.

    Attributes
    ----------
    year : int
    figures : dict of str to float
        Keyed like :data:`spm_sim.report.figures.HEADLINE_FIGURES` (``hit``,
        ``bookings``, ``attainment``, ``at_quota``, ``cost_mean``, ``payout_ti``,
        ``ccos``, ``icos``): the one year's values; empty when not available.
    basis : str
        What the column is, in words (or, starting "Not available:", why it is empty).
    available : bool
    reason : str
        When not available, the reason in a few words for a table cell (e.g.
        ``"history ends 2025-06-30"``); empty otherwise.
    """

    year: int
    figures: dict[str, float]
    basis: str
    available: bool
    reason: str = ""


def _not_available(year: int, why: str, reason: str) -> LastYear:
    return LastYear(year, {}, f"Not available: {why}", False, reason)


def _fit_differs(book: Any, result: Any) -> str:
    """How ``book`` differs from the book ``result`` was simulated on ("" when it does not).

    The name and currency of ``result.book_info``, then what the simulation recorded of
    the book's history (:data:`_FIT_KEYS` of ``result.model.fit``) against the same
    fit of ``book``: a checksum of everything the simulation read from the book.
    """
    from spm_sim.productivity import fit_productivity

    info = result.book_info
    if str(book.currency) != str(info.get("currency", book.currency)):
        return f"it is in {book.currency}, the results in {info.get('currency')}"
    recorded = getattr(getattr(result, "model", None), "fit", None) or {}
    if not all(k in recorded for k in _FIT_KEYS):
        return ""  # nothing recorded to check against (not a simulated result)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlausibilityWarning)
            fit = fit_productivity(book, plan_year=int(result.scenario.plan_year)).fit
    except (SpmSimError, ValueError) as exc:
        return f"its history cannot be fitted again ({exc})"
    hires = len(recorded.get("planned_hires", ()))  # appended to the per-rep arrays
    for key in _FIT_KEYS:
        a, b = np.asarray(fit[key]), np.asarray(recorded[key])
        if key == "deals" and hires:
            b = b[: b.size - hires]
        if a.dtype.kind in "OUS" or b.dtype.kind in "OUS":
            same = a.shape == b.shape and bool(np.all(a == b))
        else:
            same = a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=0.0))
        if not same:
            return f"its history differs ({key.replace('_', ' ')})"
    return ""


def _the_book(result: Any, book: Any) -> tuple[Any, str, str]:
    """The book ``result`` was simulated on: ``(book, "", "")`` or ``(None, why, reason)``.

    ``book`` given, else ``result.book`` if the result carries it, else the folder of
    ``result.book_info["path"]`` read again; each is checked against the result.
    """
    from spm_sim.book import load_book

    info = result.book_info
    name = str(info.get("name") or "book")
    if book is None:
        book = getattr(result, "book", None)
    if book is not None:
        differs = _fit_differs(book, result)
        if differs:
            return (
                None,
                f"the book given is not the one these results were simulated on ({differs}).",
                "another book",
            )
        return book, "", ""
    path = str(info.get("path") or "(in memory)")
    if path == "(in memory)":
        return (
            None,
            f"the results were simulated on book {name}, built in memory: it cannot be read "
            "again (pass it as book= to write_report or last_year).",
            "book not saved",
        )
    if not Path(path).is_dir():
        return (
            None,
            f"the folder of book {name} is no longer where it was read from.",
            "book folder gone",
        )
    try:
        with warnings.catch_warnings():
            # the book was checked when it was simulated; its warnings were shown then
            warnings.simplefilter("ignore", PlausibilityWarning)
            book = load_book(path)
    except (SpmSimError, ValueError, OSError) as exc:
        return None, f"book {name} cannot be read again ({exc}).", "book unreadable"
    differs = _fit_differs(book, result)
    if differs:
        return (
            None,
            f"book {name}, read again from its folder, is not the one these results were "
            f"simulated on ({differs}): its files changed since, or the results were simulated "
            "on a copy changed in memory (pass that book as book=).",
            "not the simulated book",
        )
    return book, "", ""


def _part_year(book: Any, year: int) -> tuple[str, str] | None:
    """``(why, reason)`` when the book's history does not cover all of ``year``."""
    from spm_sim.productivity import history_end

    try:
        end = history_end(book, year + 1)
    except SpmSimError:
        return (f"the book has no history in {year}.", f"no data in {year}")
    if end >= pd.Timestamp(year=year, month=12, day=31):
        return None
    return (
        f"the book's history ends {end:%Y-%m-%d}, so {year} is a part year (1 Jan to "
        f"{end.day} {end:%b} {year} only); "
        "a part year's pay and bookings cannot be set against a simulated full year.",
        f"history ends {end:%Y-%m-%d}",
    )


def _without_dropped_advice(text: str) -> str:
    """An error's text without advice to set ``quota.target`` (which last year drops)."""
    kept = [s for s in re.split(r"(?<=\.)\s+", str(text)) if "quota.target" not in s]
    return " ".join(kept).rstrip(". ") or str(text)


def last_year(result: Any, book: Any = None) -> LastYear:
    """The year before ``result``'s plan year: its real deals replayed under the baseline plan.

    Parameters
    ----------
    result : SimulationResult
        The baseline: its plan, plan year and quota settings are used.
    book : Book, optional
        The book ``result`` was simulated on. Default: ``result.book`` when the
        result carries it, else the folder named in ``result.book_info["path"]``
        read again. Either is checked against what the simulation recorded of its
        book (name, currency, and the history it fitted: span, deals in total and per
        rep, deal sizes); a book that does not match is not used.

    Returns
    -------
    LastYear
        Company bookings credited to reps on quota, attainment against that year's
        rebuilt company target, whether it was reached, the share of reps at or
        above quota, the incentive the plan pays, pay over target incentive and the
        cost of sales. Never raises for a book that cannot give these:
        ``available`` is False and ``basis`` and ``reason`` say why (a book built in
        memory and not given, a book changed since, a part year, no history before
        that year).

    Notes
    -----
    This is not pay that happened: the book holds no plans or quotas, so it is the
    baseline plan replayed on last year's deals with quotas rebuilt from the history
    before that year, with the baseline's quota rule when it is the ``history``
    method (a fixed ``target`` of the plan year dropped, its growth and
    over-assignment kept), else last year's bookings with no growth (the default of
    :func:`spm_sim.actuals.actual_payouts`). Base salaries and target incentives
    are prorated by days employed in that year.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = simulate(sample_scenario("baseline").replace(engine="summed"), 50, rng=1)
    >>> last = last_year(base)
    >>> last.year, last.available, sorted(last.figures)[:3]
    (2025, True, ['at_quota', 'attainment', 'bookings'])
    >>> last.basis[:50]
    "Not pay that happened: the book's 2025 deals, cred"
    """
    from spm_sim.actuals import actual_payouts
    from spm_sim.quota import QuotaSettings, quotas_from_history

    s = result.scenario
    year = int(s.plan_year) - 1
    book, why, reason = _the_book(result, book)
    if book is None:
        return _not_available(year, why, reason)
    part = _part_year(book, year)
    if part is not None:
        return _not_available(year, *part)
    first = book.bookings["date"].min()
    if pd.isna(first) or first >= pd.Timestamp(year=year, month=1, day=1):
        return _not_available(
            year,
            f"the book's history starts in {year} (first deal "
            f"{'none' if pd.isna(first) else f'{first:%Y-%m-%d}'}): there is no earlier "
            f"history to rebuild {year}'s quotas from (the book holds no quotas).",
            f"no history before {year}",
        )
    if s.quota.method == "history":
        settings = s.quota.replace(target=None) if s.quota.target is not None else s.quota
        rule = f"the baseline's quota rule: {settings.describe(year)}"
    else:
        settings = QuotaSettings(growth=0.0)
        rule = (
            f"{year - 1} bookings with no growth (the baseline's method, "
            f"{s.quota.method}, needs inputs of its own plan year)"
        )
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", PlausibilityWarning)
            quotas = quotas_from_history(book, plan_year=year, settings=settings)
            paid = actual_payouts(book, s.plan, year, quotas=quotas)
    except (SpmSimError, ValueError, OSError) as exc:
        return _not_available(
            year,
            f"the book cannot give {year}'s deals under the baseline plan "
            f"({_without_dropped_advice(str(exc))}).",
            f"{year} cannot be replayed",
        )
    checks = list(
        dict.fromkeys(str(w.message) for w in seen if issubclass(w.category, PlausibilityWarning))
    )
    figures = _figures(book, paid, quotas)
    basis = (
        f"Not pay that happened: the book's {year} deals, credited to the "
        f"{len(paid.rep_ids)} reps on quota that year and paid under the baseline's plan "
        f"({s.plan.name}), with quotas rebuilt from the history before {year} with {rule} "
        "(the book holds no quotas). One real year: where the simulated columns show a "
        "mean, this is that year's figure; no percentiles and no intervals."
    )
    if len(paid.unassigned):
        basis += (
            f" {int(paid.unassigned['deals'].sum()):,} deals of reps without quota are not paid."
        )
    if checks:
        basis += " Checks on the replay: " + " ".join(checks)
    return LastYear(year, figures, basis, True)


def _figures(book: Any, paid: Any, quotas: Any) -> dict[str, float]:
    """The replayed year's figures, keyed like the headline figures."""
    reps = paid.by_rep()
    bookings = float(reps["bookings"].sum())
    pay = float(reps["payout"].sum())
    ti = float(np.sum(paid.target_incentive))
    by_id = book.reps.set_index(book.reps["rep_id"].astype(str))
    full_ti = by_id.loc[list(paid.rep_ids), "target_incentive"].to_numpy(float)
    base = by_id.loc[list(paid.rep_ids), "base_salary"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_employed = np.where(full_ti > 0, np.asarray(paid.target_incentive) / full_ti, 1.0)
    salaries = float(np.sum(base * share_employed))
    has_quota = reps["quota"].to_numpy(float) > 0
    attainment = bookings / quotas.company_target if quotas.company_target > 0 else np.nan
    return {
        "hit": float(attainment >= 1.0),
        "bookings": bookings,
        "attainment": float(attainment),
        "at_quota": float(np.mean(reps["attainment"].to_numpy(float)[has_quota] >= 1.0))
        if has_quota.any()
        else np.nan,
        "cost_mean": pay,
        "payout_ti": pay / ti if ti > 0 else np.nan,
        "ccos": (salaries + pay) / bookings if bookings > 0 else np.nan,
        "icos": pay / bookings if bookings > 0 else np.nan,
    }


def _short(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:SHORT_HASH]


def book_fingerprint(book_info: dict) -> str:
    """The book's name and each of its files with a short SHA-256 checksum (no path).

    Parameters
    ----------
    book_info : dict
        ``SimulationResult.book_info`` (``name`` and ``path``).

    Returns
    -------
    str
        E.g. ``"Cascade (bookings.csv 3f2a..., reps.csv 91c0...)"``; a book built in
        memory or whose folder cannot be read says so.

    Examples
    --------
    >>> book_fingerprint({"name": "Mine", "path": "(in memory)"})
    'Mine (built in memory: no files to check)'
    """
    name = str(book_info.get("name") or "book")
    folder = Path(str(book_info.get("path", "")))
    if not folder.is_absolute() and not folder.is_dir():
        return f"{name} (built in memory: no files to check)"
    try:
        files = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in (".csv", ".parquet", ".yaml", ".yml")
        )
        parts = [f"{p.name} {_short(p.read_bytes())}" for p in files]
    except OSError:
        return f"{name} (its files could not be read again for checksums)"
    return f"{name} ({', '.join(parts)})" if parts else f"{name} (no files found)"


def plan_fingerprint(plan: Any) -> str:
    """A short SHA-256 of a plan's full specification (the same plan, the same text).

    >>> from spm_sim.comp import standard_plan
    >>> len(plan_fingerprint(standard_plan())) == SHORT_HASH
    True
    """
    return _short(plan.model_dump_json().encode("utf-8"))
