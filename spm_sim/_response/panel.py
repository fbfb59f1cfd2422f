"""The rep-month panel the estimator reads: bookings, reconstructed quotas, states.

A book holds deals, not quotas. For each history year ``Y`` with twelve months of
bookings before it, the quotas are reconstructed with the payroll's rule
(:func:`spm_sim.quota.quotas_from_history`, last year's bookings, no growth, unless
other settings are given): the quotas reps would have had if the company set them
that way. Every state of :func:`.states.month_states` is then computed from the
rep's real bookings before each month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_sim.book import Book
from spm_sim.errors import DataError
from spm_sim.quota import QuotaSettings, quotas_from_history

from .states import PlanShape, month_states

__all__ = ["Panel", "build_panel", "quota_years", "dispersion", "rep_year_arrays"]

#: a rep-month is in the regression from this many months of tenure (ramped)
MIN_TENURE_MONTHS = 12


@dataclass(frozen=True)
class Panel:
    """Rep-months of the years estimated on, one row each (``frame``), and notes."""

    frame: pd.DataFrame
    years: tuple[int, ...]
    dispersion: float
    notes: tuple[str, ...]


def quota_years(book: Book) -> tuple[int, ...]:
    """History years with twelve months of bookings before them (quotas can be set)."""
    years = book.years
    first = book.bookings["date"].min()
    if pd.isna(first):
        return ()
    return tuple(
        y
        for y in years
        if pd.Timestamp(year=y - 1, month=1, day=1) >= first.to_period("M").start_time
    )


def dispersion(amounts: np.ndarray) -> float:
    """Variance over mean of a month's bookings for a compound Poisson of these deals.

    ``sum(x^2) / sum(x)``: a month of ``N ~ Poisson`` deals of sizes ``X`` has
    variance ``E[N] E[X^2]`` and mean ``E[N] E[X]``.
    """
    x = np.asarray(amounts, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    return float((x**2).sum() / x.sum()) if x.size else 0.0


def _employment(book: Book, rep_ids: list[str], year: int) -> tuple[np.ndarray, np.ndarray]:
    """(full month employed, tenure of at least MIN_TENURE_MONTHS), shape (reps, 12)."""
    reps = book.reps.set_index("rep_id").loc[rep_ids]
    starts = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    ends = starts + pd.offsets.MonthEnd(0)
    hire = reps["hire_date"].to_numpy("datetime64[D]")[:, None]
    term = reps["term_date"].to_numpy("datetime64[D]")[:, None]
    s = starts.to_numpy("datetime64[D]")[None, :]
    e = ends.to_numpy("datetime64[D]")[None, :]
    full = (hire <= s) & (np.isnat(term) | (term >= e))
    months = (s.astype("datetime64[M]") - hire.astype("datetime64[M]")).astype(int)
    return full, months >= MIN_TENURE_MONTHS


def build_panel(
    book: Book,
    shape: PlanShape,
    *,
    years: tuple[int, ...] | None = None,
    quota_settings: QuotaSettings | None = None,
) -> Panel:
    """Every rep-month of ``years`` with its bookings, quota and states.

    Raises
    ------
    DataError
        If a year asked for has no twelve months of bookings before it (its quotas
        cannot be reconstructed), or the book has no such year.
    """
    possible = quota_years(book)
    if years is None:
        years = possible
    else:
        years = tuple(int(y) for y in years)
        bad = [y for y in years if y not in possible]
        if bad:
            raise DataError(
                f"book {book.name!r}: cannot estimate the reps' response in {bad[0]}: its "
                "quotas are reconstructed from the twelve months of bookings before it and "
                f"the book's history does not cover them. Years possible: "
                f"{', '.join(map(str, possible)) or 'none'}; leave years out to use them all."
            )
    if not years:
        raise DataError(
            f"book {book.name!r} has bookings in {', '.join(map(str, book.years)) or 'no year'}: "
            "the reps' response needs at least one year with a full year of bookings before "
            "it (the quotas of that year are reconstructed from it). Give a longer history, "
            "or use the priors alone (spm_sim.response.prior_behaviour())."
        )
    settings = quota_settings or QuotaSettings(growth=0.0)
    wide = book.bookings_by_rep_month(wide=True)
    wide.index = book.reps["rep_id"].to_numpy()
    sel = book.bookings["date"].dt.year.isin(years)
    disp = dispersion(book.bookings.loc[sel, "amount"].to_numpy())
    frames: list[pd.DataFrame] = []
    carry: dict[str, float] = {}
    for year in sorted(years):
        q = quotas_from_history(book, plan_year=year, settings=settings)
        rep_ids = list(q.rep_ids)
        cols = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
        y = wide.reindex(index=rep_ids, columns=cols, fill_value=0.0).to_numpy(float)
        y = np.nan_to_num(y, nan=0.0)
        full, ramped = _employment(book, rep_ids, year)
        quotas = np.asarray(q.values, dtype=float)
        frames.append(_year_rows(shape, year, rep_ids, y, quotas, disp, full & ramped, carry))
        last = frames[-1][frames[-1]["month"] == 12]
        carry = (
            dict(zip(last["rep_id"], last["near_edge"], strict=True)) if year + 1 in years else {}
        )
    frame = pd.concat(frames, ignore_index=True)
    # nothing more to earn: a threshold out of reach or the cap near (effort at its floor)
    frame["flat"] = np.maximum(frame["give_up"], frame["near_cap"])
    frame["ahead_flat"] = np.maximum(frame["ahead_give_up"], frame["ahead_near_cap"])
    frame["ahead_bunch"] = frame["ahead_near_edge"]
    notes = (
        "quotas reconstructed: the book holds no quotas, so each year's are set as the "
        f"payroll sets them (method history, last year's bookings, growth "
        f"{settings.growth:g}); reps' real quotas may have differed",
        f"rep-months used: full months employed, from month {MIN_TENURE_MONTHS} of tenure "
        "(ramped), with a quota",
    )
    return Panel(frame, tuple(sorted(years)), disp, notes)


#: the states whose later values are projected for the instruments
_PROJECTED = ("effort_term", "give_up", "near_cap", "post_quota", "near_edge")
#: months of quota pace the projection's pace starts from (shrinks an early pace to 1)
_PACE_PRIOR_MONTHS = 2.0


def _year_rows(shape, year, rep_ids, y, quotas, disp, used, carry) -> pd.DataFrame:
    """One year's rep-months with their states and the states' projected later values.

    ``ahead_<state>`` at month ``t`` is the mean over the months ``s > t`` of the
    state the rep would be in at ``s`` if they kept their pace so far (year to date
    over quota to date, shrunk towards 1 by two months of quota pace): known at the
    start of ``t``, it is the projection the instruments subtract (a state that
    lasts the rest of the year is identified by the months before it starts).
    """
    n = len(rep_ids)
    q_year = quotas.sum(axis=1)
    cum = np.zeros(n)
    edge_prev = np.array([float(carry.get(r, 0.0)) for r in rep_ids])
    rows = []
    for m in range(1, 13):
        st = month_states(shape, m, cum, quotas, disp)
        q_before = quotas[:, : m - 1].sum(axis=1)
        prior = _PACE_PRIOR_MONTHS * q_year / 12.0
        pace = (cum + prior) / np.where(q_before + prior > 0, q_before + prior, 1.0)
        ahead = {k: np.zeros(n) for k in _PROJECTED}
        ahead_dip = np.zeros(n)
        for s_m in range(m + 1, 13):
            proj = cum + pace * quotas[:, m - 1 : s_m - 1].sum(axis=1)
            later = month_states(shape, s_m, proj, quotas, disp)
            for k in _PROJECTED:
                ahead[k] += later[k] / (12 - m)
            # the dip of month s follows the settlement state of month s - 1
            prev = st["near_edge"] if s_m == m + 1 else None
            if prev is None:
                before = cum + pace * quotas[:, m - 1 : s_m - 2].sum(axis=1)
                prev = month_states(shape, s_m - 1, before, quotas, disp)["near_edge"]
            ahead_dip += prev / (12 - m)
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": rep_ids,
                    "year": year,
                    "month": m,
                    "bookings": y[:, m - 1],
                    "quota": quotas[:, m - 1],
                    "annual_quota": q_year,
                    **st,
                    "bunch": st["near_edge"],
                    "dip": edge_prev,
                    **{f"ahead_{k}": v for k, v in ahead.items()},
                    "ahead_dip": ahead_dip,
                    "used": used[:, m - 1] & (q_year > 0),
                }
            )
        )
        edge_prev = st["near_edge"]
        cum = cum + y[:, m - 1]
    return pd.concat(rows, ignore_index=True)


def rep_year_arrays(
    frame: pd.DataFrame, columns: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """The rep-years with all twelve months used, as arrays for the moments.

    Returns
    -------
    y : ndarray, shape (n, 12)
        Bookings over the rep-year's quota.
    x, z : ndarray, shape (n, 12, k)
        The states ``columns`` and their instruments: each state plus what it is
        expected to be next month, known now (``bunch``: the next month's
        settlement state at the quota's pace; ``dip``: this month's settlement
        state, which sets next month's dip).
    reps : ndarray of int, shape (n,)
        The rep of each rep-year (cluster codes).
    rows : DataFrame
        ``rep_id`` and ``year`` of each rep-year.
    """
    f = frame.sort_values(["rep_id", "year", "month"], kind="stable")
    whole = f.groupby(["rep_id", "year"], sort=False)["used"].transform("all")
    f = f[whole.to_numpy(bool)]
    n = len(f) // 12
    y = (f["bookings"] / f["annual_quota"]).to_numpy(float).reshape(n, 12)
    x = np.stack([f[c].to_numpy(float).reshape(n, 12) for c in columns], axis=2)
    # the instrument of a state: its value now less its projected mean over the
    # rest of the year (what the forward difference of the moment compares)
    z = x - np.stack([f[f"ahead_{c}"].to_numpy(float).reshape(n, 12) for c in columns], axis=2)
    rows = f.iloc[::12][["rep_id", "year"]].reset_index(drop=True)
    reps = np.unique(rows["rep_id"].to_numpy(), return_inverse=True)[1]
    return y, x, z, reps, rows
