"""The workforce from the as-of date: who holds each seat, vacant seats and their draws.

A scenario's workforce block (:class:`spm_sim.productivity.Workforce`) applied to the
rest of a year in progress: the seats as they stand at the as-of date (:func:`seats_at`),
read from dated facts (hire and term dates, deals and opportunities), the draws a vacant
seat sells from (:func:`seat_draws`) and the seats' clocks per trial (:func:`seat_clocks`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from spm_sim.book import Book
from spm_sim.productivity import ProductivityModel, Workforce, book_attrition, workforce_clocks
from spm_sim.random import workforce_rng

from .known import elapsed, first_month

__all__ = ["HANDOVER_DAYS", "SeatsAt", "seat_clocks", "seat_draws", "seats_at"]


@dataclass(frozen=True)
class SeatsAt:
    """The workforce block from the as-of date: who holds each seat then."""

    workforce: Workforce  # attrition resolved ("book" estimated)
    roles: np.ndarray  # (R,) each seat's role, for the new hire's ramp
    ramp: np.ndarray  # (R, 12) the rep's own ramp; 1 from the start in a vacant seat
    vacant: np.ndarray  # (R,) months of vacancy left at the start, -1 for a seat held
    start: int
    start_share: float  # share of the first month still to come
    note: str


def seats_at(scenario, known_book: Book, base: ProductivityModel, day, year) -> SeatsAt | None:
    """The seats at the as-of date under the scenario's workforce block (None without).

    A seat is held by its rep on quota at the date. A rep on quota who left in the
    year by the date leaves a vacant seat unless it was filled: a rep of their
    region hired since (:func:`successors`) or current reps at work on most of their
    accounts since they left (:func:`taken_over`). Both read dated facts, never the
    accounts' owners, which are as at the book's snapshot. The block's backfill rule
    applies from their leaving month ``L``, vacant through ``L + backfill_lag_months``
    and a new hire after, starting no earlier than the first month left (nobody was
    hired by the date). Nothing of the leaver's own is drawn after they left; what the seat
    books from the date on (the vacancy's share, the new hire) is credited to the
    leaver's row, the seat, and paid at its quota and target incentive.
    """
    wf = scenario.workforce
    if wf is None:
        return None
    extra = ""
    if wf.attrition == "book":
        est = book_attrition(known_book, year)
        wf = wf.replace(attrition=est["attrition"])
        extra = (
            f" (from the book: {est['leavers']} leavers in {est['rep_years']:.0f} rep-years, "
            f"{est['first_year']}-{est['last_year']})"
        )
    rep_ids = [str(r) for r in base.rep_ids]
    reps = known_book.reps.set_index(known_book.reps["rep_id"].astype(str))
    start = first_month(day, year)
    gone = elapsed(day, year)
    start_share = float(1.0 - gone[start]) if start < 12 else 1.0
    vacant = np.full(len(rep_ids), -1, dtype=np.int64)
    ramp = np.array(base.ramp, dtype=float, copy=True)
    term = reps["term_date"].reindex(rep_ids)
    current = set(reps.index[reps["term_date"].isna() | (reps["term_date"] > day)])
    left = []
    successor = successors(reps, reps["term_date"], day, current)
    for r, when in enumerate(term):
        if pd.isna(when) or when > day or when.year != year or start >= 12:
            continue
        if rep_ids[r] in successor or taken_over(known_book, current, rep_ids[r], when, day):
            continue
        month = int(when.month) - 1
        vacant[r] = max(month + wf.backfill_lag_months + 1 - start, 0)
        ramp[r, start:] = 1.0
        left.append(f"{rep_ids[r]} (left {when:%Y-%m-%d})")
    roles = reps["role"].reindex(rep_ids).fillna("AE").astype(str).to_numpy()
    note = f"Workforce from {day:%Y-%m-%d}: {wf.describe()}{extra}."
    if left:
        note += (
            f" Seats vacant at the date, backfilled by the block's rule: {', '.join(left)}; "
            "their vacancy's and new hire's bookings count in the seat's row and are paid "
            "as that row is (the leaver's quota and target incentive, prorated to their "
            "months)."
        )
    return SeatsAt(wf, roles, ramp, vacant, start, start_share, note)


#: A rep hired up to this many days before a leaver's last day can be their successor.
HANDOVER_DAYS = 31


def successors(reps: pd.DataFrame, term: pd.Series, day: pd.Timestamp, current: set) -> dict:
    """Leavers (by the date) whose seat a later hire of their region holds at the date.

    Leavers are taken in the order they left; each gets the first current rep of
    their region hired from :data:`HANDOVER_DAYS` before their last day to ``day``
    not already matched to an earlier leaver. Hire and term dates are dated facts.
    """
    out: dict[str, str] = {}
    if "region" not in reps.columns:
        return out
    region = reps["region"].astype(str)
    hired = reps["hire_date"]
    gone = term[term.notna() & (term <= day)].sort_values(kind="stable")
    taken: set[str] = set()
    for rep_id, when in gone.items():
        lo = when - pd.Timedelta(days=HANDOVER_DAYS)
        pool = reps.index[
            (region == region.get(rep_id, "")) & (hired >= lo) & (hired <= day)
        ].difference([rep_id, *taken])
        pool = [r for r in pool if r in current]
        if pool:
            first = min(pool, key=lambda r: (hired[r], r))
            out[str(rep_id)] = str(first)
            taken.add(first)
    return out


def taken_over(
    known_book: Book, current: set, rep_id: str, left: pd.Timestamp, day: pd.Timestamp
) -> bool:
    """Whether current reps took over the accounts ``rep_id`` sold to, by ``day``.

    Taken over when at least half of those accounts have a deal booked, or an
    opportunity created, by a current rep (not the leaver) after the leaving date
    ``left`` and on or before ``day``: dated facts, so the answer is the same
    whatever the book's later account owners.
    """
    deals = known_book.bookings
    rep_col = deals["rep_id"].astype(str)
    accounts = pd.unique(deals.loc[rep_col == rep_id, "account_id"].astype(str))
    if not len(accounts):
        return False
    others = current - {rep_id}
    after = (deals["date"] > left) & (deals["date"] <= day) & rep_col.isin(others)
    touched = set(deals.loc[after, "account_id"].astype(str))
    pipe = known_book.pipeline
    if len(pipe) and "account_id" in pipe.columns:
        created = pd.to_datetime(pipe["created_date"])
        new = (created > left) & (created <= day) & pipe["rep_id"].astype(str).isin(others)
        touched |= set(pipe.loc[new, "account_id"].astype(str))
    return bool(np.isin(accounts, list(touched)).mean() >= 0.5)


def seat_draws(
    model: ProductivityModel, base: ProductivityModel, seats: SeatsAt
) -> ProductivityModel:
    """``model`` (``base`` updated by :func:`.forecast._ytd_model`) with each vacant seat drawn
    as a ramped rep from the start: the draws the vacancy and the new hire sell a
    share of. The update's factor of each month on the ramp (what is left of the
    month, the new business share, the company's level) is read off the reps held,
    its median over them."""
    rows = np.flatnonzero(seats.vacant >= 0)
    if not rows.size:
        return model
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(base.ramp > 0, model.ramp / base.ramp, np.nan)
    factor[rows] = np.nan
    ramp = np.array(model.ramp, dtype=float, copy=True)
    for m in range(seats.start, ramp.shape[1]):
        col = factor[:, m]
        ramp[rows, m] = float(np.median(col[np.isfinite(col)])) if np.isfinite(col).any() else 0.0
    return replace(model, ramp=ramp)


def seat_clocks(root: np.random.SeedSequence, a: int, b: int, n_reps: int) -> np.ndarray:
    """The seats' clocks of trials ``a..b-1``, each on its ``workforce`` stream (t, 1)."""
    return np.stack([workforce_clocks(workforce_rng(root, t), n_reps) for t in range(a, b)])
