"""The pieces behind :func:`spm_sim.quota.set_quotas`: who carries quota and when,
seasonality, the bases of the top-down methods, the allocation down the hierarchy,
bottom-up targets, calibrated quotas and overrides (pure functions on frames and
arrays; the formulas are in ``docs/model.md`` section 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.book import OPTIONAL_FOR, needs_column, numeric_column
from spm_sim.errors import DataError, SpecError, implausible
from spm_sim.productivity import exposure_months

from .settings import MAX_COMPANY_TARGET, OverAssignment, QuotaSettings

# --- who carries quota, when, where ------------------------------------------------


def _quota_reps(book, plan_year: int, rep_ids, settings: QuotaSettings) -> pd.DataFrame:
    """The reps on quota: rep_id, region, hire_date, term_date, planned (bool)."""
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    year_end = pd.Timestamp(year=plan_year, month=12, day=31)
    reps = book.reps.sort_values("rep_id").reset_index(drop=True)
    reps = reps.assign(rep_id=reps["rep_id"].astype(str), region=reps["region"].astype(str))
    if rep_ids is None:
        employed = (reps["hire_date"] <= year_end) & (
            reps["term_date"].isna() | (reps["term_date"] >= start)
        )
        sel = reps[employed.to_numpy(dtype=bool)]
        if sel.empty and not settings.hires:
            raise DataError(
                f"no rep of the book is employed on any day of {plan_year} (hire_date on or "
                f"before {year_end.date()} and term_date empty or on or after {start.date()}): "
                "nobody to set a quota for. Check the reps' dates, or pass rep_ids."
            )
    else:
        seen: set[str] = set()
        for r in map(str, rep_ids):
            if r in seen:
                raise SpecError(f"rep_ids lists {r!r} twice; give each rep once")
            seen.add(r)
        idx = pd.Index(reps["rep_id"]).get_indexer([str(r) for r in rep_ids])
        if np.any(idx < 0):
            bad = [r for r, i in zip(rep_ids, idx, strict=True) if i < 0]
            raise DataError(f"rep_id {bad[0]!r} is not in the book's reps ({len(bad)} unknown).")
        sel = reps.iloc[idx]
    sel = sel[["rep_id", "region", "hire_date", "term_date"]].assign(planned=False)
    known = set(reps["rep_id"])
    rows: list[dict[str, Any]] = []
    regions = set(reps["region"])
    for i, h in enumerate(settings.hires):
        where = settings._located(f"quota.hires[{i}] ({h.rep_id})")
        _in_year(h.start, plan_year, where + " start")
        _known_region(h, regions, where)
        if h.rep_id in known or any(r["rep_id"] == h.rep_id for r in rows):
            raise SpecError(
                f"{where}: rep_id {h.rep_id!r} is already a rep of the book or another hire; "
                "give the planned hire a new id (e.g. TBH-1)"
            )
        rows.append(
            {
                "rep_id": h.rep_id,
                "region": h.region,
                "hire_date": pd.Timestamp(h.start),
                "term_date": pd.NaT,
                "planned": True,
            }
        )
    if rows:
        sel = pd.concat([sel, pd.DataFrame(rows)], ignore_index=True)
    sel["term_date"] = pd.to_datetime(sel["term_date"])
    return sel.reset_index(drop=True)


def _known_region(entry, regions: set, where: str) -> None:
    """A region the book has, unless the entry says it is new (a typo is not a region)."""
    if entry.region not in regions and not entry.new_region:
        raise SpecError(
            f"{where}: region {entry.region!r} is not a region of the book's reps."
            f"{suggest(entry.region, sorted(regions))} Regions: {', '.join(sorted(regions))}. "
            "For a region that does not exist yet, add new_region: true."
        )


def _in_year(day: dt.date, plan_year: int, where: str) -> None:
    if day.year != plan_year:
        raise SpecError(
            f"{where} {day.isoformat()} is outside plan year {plan_year} ({plan_year}-01-01 to "
            f"{plan_year}-12-31); give a date in the plan year"
        )


def _exposure(reps: pd.DataFrame, months: pd.DatetimeIndex, ramp: np.ndarray, **window):
    """Share of each month employed times the ramp factor of the tenure (month 1 first)."""
    share = exposure_months(reps, months, ramp=(1.0,), **window)
    hire = reps["hire_date"].dt.year.to_numpy() * 12 + reps["hire_date"].dt.month.to_numpy() - 1
    tenure = (months.year.to_numpy() * 12 + months.month.to_numpy() - 1)[None, :] - hire[:, None]
    return share * ramp[np.clip(tenure, 0, len(ramp) - 1)]


def _region_months(
    reps, settings, months: pd.DatetimeIndex, plan_year: int, regions: set
) -> np.ndarray:
    """Region of each rep in each month: a move counts from the start of its month."""
    region = np.repeat(reps["region"].to_numpy(dtype=object)[:, None], len(months), axis=1)
    index = {r: i for i, r in enumerate(reps["rep_id"])}
    for i, mv in sorted(enumerate(settings.moves), key=lambda t: t[1].date):
        where = settings._located(f"quota.moves[{i}] ({mv.rep_id})")
        _in_year(mv.date, plan_year, where + " date")
        _known_region(mv, regions, where)
        if mv.rep_id not in index:
            raise SpecError(
                f"{where}: rep {mv.rep_id!r} carries no quota in {plan_year}; check the rep_id"
            )
        region[index[mv.rep_id], mv.date.month - 1 :] = mv.region
    return region


def _need_months(hist, since, end, months: int, *, what: str, fix: str) -> None:
    """Refuse a history that does not reach back to ``since`` (with the months counted)."""
    if len(hist) and hist["date"].min() <= since + pd.Timedelta(days=31):
        return
    have = 0
    span = "no bookings"
    if len(hist):
        first = hist["date"].min()
        have = (end.year - first.year) * 12 + end.month - first.month + 1
        span = f"{first.date()} to {hist['date'].max().date()}"
    raise DataError(
        f"history too short for {what}: it needs {months} months of bookings ({since.date()} "
        f"to {end.date()}); the book has {have} month(s) ({span}) up to {end.date()}. {fix}"
    )


# --- seasonality ---------------------------------------------------------------------


def _season(settings, book, hist, end, ramp) -> np.ndarray:
    """Weights of the 12 calendar months, mean 1."""
    s = settings.seasonality
    if s == "flat":
        return np.ones(12)
    if s in ("history", "history_quarterly"):
        if hist.empty:
            raise DataError(
                f"seasonality '{s}' needs bookings before the plan year and the book has "
                "none; set seasonality to 'flat' or give 12 monthly or 4 quarterly shares."
            )
        w = _seasonal_weights(book, hist, end, ramp)
        return np.repeat(w.reshape(4, 3).mean(axis=1), 3) if s == "history_quarterly" else w
    v = np.asarray(s, float)
    monthly = np.repeat(v / 3.0, 3) if v.size == 4 else v
    return monthly * 12.0


def _seasonal_weights(book, hist: pd.DataFrame, end: pd.Timestamp, ramp: np.ndarray) -> np.ndarray:
    """Bookings per selling month in each calendar month, scaled to mean 1.

    Dividing by the team's selling time (not just summing bookings by month) keeps a
    history that covers some months more often than others, or a team that grew, from
    tilting the weights.
    """
    months = pd.date_range(hist["date"].min().to_period("M").to_timestamp(), end, freq="MS")
    reps = book.reps.sort_values("rep_id")
    capacity = _exposure(reps, months, ramp, until=end).sum(axis=0)
    moy = months.month.values - 1
    cap = np.bincount(moy, capacity, minlength=12)
    amount = np.bincount(
        hist["date"].dt.month.to_numpy() - 1, hist["amount"].to_numpy(float), minlength=12
    )
    if np.any(cap <= 0):
        missing = [pd.Timestamp(2000, m + 1, 1).strftime("%B") for m in np.flatnonzero(cap <= 0)]
        raise DataError(
            f"seasonality from history needs every calendar month in the bookings history; the "
            f"history ({hist['date'].min().date()} to {end.date()}, {len(months)} month(s)) has "
            f"no selling time in {', '.join(missing)}. Give 12 months or more of history, or "
            "set seasonality to 'flat' or to 12 monthly or 4 quarterly shares."
        )
    rate = amount / cap
    if rate.sum() <= 0:
        raise DataError("the bookings history has no amount to estimate seasonality from.")
    return rate / rate.mean()


# --- the bases of the top-down methods -----------------------------------------------


def _basis(name, book, accounts, hist, end, reps, settings, ramp, season, plan_year):
    """``(basis per rep, source per rep, extra columns)`` of one top-down basis."""
    n = len(reps)
    if name == "equal":
        return np.ones(n), np.array(["equal"] * n, dtype=object), {}
    if name == "history":
        return _history_basis(book, hist, end, reps, settings, ramp, season, plan_year)
    pot, work, count = _territories(accounts, reps, settings, need_workload=name == "capacity")
    if name == "potential":
        src = np.array([f"territory potential ({c} accounts)" for c in count], dtype=object)
        return pot, src, {"potential": pot, "accounts": count}
    h = settings.selling_hours
    workable = np.where(work > h, h / np.where(work > 0, work, 1.0), 1.0)
    src = np.array(
        [
            f"potential x min(1, {h:,.0f} h / {w:,.0f} h workload)"
            if w > h
            else "potential (workload within the selling hours)"
            for w in work
        ],
        dtype=object,
    )
    return (
        pot * workable,
        src,
        {"potential": pot, "workload_hours": work, "workable_share": workable, "accounts": count},
    )


def aligned_accounts(accounts: pd.DataFrame, alignment, reps: pd.DataFrame) -> pd.DataFrame:
    """The book's accounts with ``rep_id`` taken from an alignment (accounts it leaves
    out keep their rep).

    ``alignment`` is a :class:`~spm_sim.territory.Alignment` designed on accounts, or a
    frame with ``account_id`` and ``rep_id`` columns (what ``spm-sim align --out``
    writes).
    """
    frame = alignment.to_frame() if hasattr(alignment, "to_frame") else alignment
    if not isinstance(frame, pd.DataFrame) or "rep_id" not in frame.columns:
        raise SpecError(
            "alignment: give a territory.Alignment designed on accounts, or a table with "
            "columns account_id and rep_id"
        )
    id_col = "account_id" if "account_id" in frame.columns else frame.columns[0]
    dup = frame[id_col].astype(str).duplicated(keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(
            f"alignment: account {str(frame[id_col].iloc[i])!r} appears more than once "
            f"(row {i + 2} and others, {int(dup.sum())} rows); give each account one rep."
        )
    new = pd.Series(frame["rep_id"].astype(str).to_numpy(), index=frame[id_col].astype(str))
    ids = accounts["account_id"].astype(str)
    unknown = new.index[~new.index.isin(ids)]
    if len(unknown):
        raise DataError(
            f"alignment: {len(unknown)} id(s) are not accounts of the book, e.g. "
            f"{unknown[0]!r} (column {id_col!r}); an alignment designed on counties or other "
            "units cannot set account owners: design on the accounts (and read a CSV with "
            "dtype=str, so ids with leading zeros keep them)."
        )
    owners = set(new.unique()) - set(reps["rep_id"].astype(str))
    if owners:
        raise DataError(
            f"alignment: rep(s) {', '.join(sorted(owners)[:8])} own accounts in the alignment "
            "but carry no quota in the plan year; add them as planned hires or pass their "
            "rep_ids."
        )
    out = accounts.copy()
    mapped = ids.map(new)
    out["rep_id"] = mapped.where(mapped.notna(), out["rep_id"]).to_numpy()
    return out


def rep_potential(
    accounts: pd.DataFrame, rep_ids: Iterable[str], column: str = "potential"
) -> pd.Series:
    """The potential of each rep's accounts (0 for a rep without accounts), by rep id.

    The column is converted to numbers with located errors (columns outside the
    book's schema are read as text).
    """

    vals = pd.Series(numeric_column(accounts, column, "accounts.csv"))
    by_rep = vals.groupby(accounts["rep_id"].astype("string").to_numpy(), dropna=True).sum()
    ids = [str(r) for r in rep_ids]
    return by_rep.reindex(ids).fillna(0.0).astype(float)


def _territories(accounts, reps, settings, *, need_workload: bool):
    """Potential, workload and account count of each rep's accounts."""
    acc = accounts
    cols = [settings.potential_column] + ([settings.workload_column] if need_workload else [])
    for c in cols:
        if c in OPTIONAL_FOR["accounts"]:  # optional in a book: say what needs it
            needs_column(
                acc, c, file="accounts.csv", needed_for=f"quotas by method {settings.method!r}"
            )
        if c not in acc.columns:
            raise DataError(
                f"accounts.csv has no column {c!r} for method {settings.method!r}."
                f"{suggest(c, acc.columns)} Columns: {', '.join(map(str, acc.columns))}."
            )

    owner = acc["rep_id"].astype("string").to_numpy()
    ids = reps["rep_id"].astype(str)
    # columns outside the book's schema are read as text: convert, with located errors
    num = pd.DataFrame({c: numeric_column(acc, c, "accounts.csv") for c in cols})
    grouped = num.groupby(owner, dropna=True)
    pot = grouped[settings.potential_column].sum().reindex(ids).fillna(0.0).to_numpy(float)
    count = grouped.size().reindex(ids).fillna(0).to_numpy(int)
    work = (
        grouped[settings.workload_column].sum().reindex(ids).fillna(0.0).to_numpy(float)
        if need_workload
        else np.zeros(len(reps))
    )
    missing = [r for r, p in zip(ids, pot, strict=True) if not p > 0]
    if missing:
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        shown = ", ".join(missing[:8]) + more
        raise DataError(
            f"method {settings.method!r}: {len(missing)} rep(s) on quota have no territory "
            f"(no accounts with {settings.potential_column} > 0 in accounts.csv, column "
            f"rep_id): {shown}. Assign them accounts, leave them out with rep_ids, or use "
            "method 'history' or 'equal'."
        )
    return pot, work, count


def _history_windows(settings, hist, end, plan_year):
    """The (since, until) of each history year, most recent first, checked for coverage."""
    one = pd.DateOffset(years=1)
    if settings.history == "prior_year":
        # the last complete calendar year of the history (the trailing twelve months
        # are the same when the history ends on 31 December)
        year = end.year if (end + pd.Timedelta(days=1)).year > end.year else end.year - 1
        windows = [
            (pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31))
        ]
    elif settings.history == "multi_year":
        windows = [
            (end - one * (y + 1) + pd.Timedelta(days=1), end - one * y)
            for y in range(len(settings.history_weights))
        ]
    else:
        windows = [(end - one + pd.Timedelta(days=1), end)]
    n_months = 12 * len(windows)
    what = (
        f"history '{settings.history}' with {len(windows)} yearly weight(s)"
        if settings.history == "multi_year"
        else f"history '{settings.history}'"
    )
    _need_months(
        hist,
        windows[-1][0],
        windows[0][1],
        n_months,
        what=what,
        fix="Give more history, or use fewer history_weights or history 'trailing_12m'.",
    )
    return windows


def _history_basis(book, hist, end, reps, settings, ramp, season, plan_year):
    """Run rate per rep: ramp- and season-adjusted bookings per selling year.

    A rep without a usable history year gets the median run rate of the region (of
    the company when nobody in the region has one). That is the design for planned
    hires, reps hired in the plan year and reps hired too late for
    ``min_history_months`` of selling time (a new hire's history is short). A rep who
    was employed long enough and booked nothing should have had a history: the fill
    then gives an average rep's quota to someone who sold nothing, or hides deals
    booked under another rep_id, and :func:`_warn_no_bookings` says so.
    """
    windows = _history_windows(settings, hist, end, plan_year)
    weights = settings.history_weights if settings.history == "multi_year" else (1.0,)
    ids = reps["rep_id"].astype(str)
    n = len(reps)
    num = np.zeros(n)
    den = np.zeros(n)
    first_b = first_e = None
    for (since, until), w in zip(windows, weights, strict=True):
        months = pd.date_range(since.to_period("M").to_timestamp(), until, freq="MS")
        e_m = _exposure(reps, months, ramp, since=since, until=until)
        e = e_m.sum(axis=1)
        e_s = (e_m * season[months.month.values - 1][None, :]).sum(axis=1)
        part = hist[(hist["date"] >= since) & (hist["date"] <= until)]
        b = (
            part.groupby(part["rep_id"].astype(str))["amount"]
            .sum()
            .reindex(ids)
            .fillna(0.0)
            .to_numpy()
        )
        own = 12.0 * b / np.where(e_s > 0, e_s, 1.0)
        ok = (e >= settings.min_history_months) & (b > 0) & ~reps["planned"].to_numpy()
        num += w * np.where(ok, own, 0.0)
        den += w * ok
        if first_b is None:
            first_b, first_e = b, e
    usable = den > 0
    run_rate = np.where(usable, num / np.where(usable, den, 1.0), np.nan)
    start = pd.Timestamp(year=plan_year, month=1, day=1)
    reason = np.where(first_e < settings.min_history_months, "short history", "no bookings")
    reason = np.where(reps["hire_date"].to_numpy() >= start, "hired during plan year", reason)
    reason = np.where(reps["planned"].to_numpy(), "planned hire", reason)
    source = np.array(["own history"] * n, dtype=object)
    region = reps["region"].to_numpy()
    pools: dict[str, str] = {}
    for reg in np.unique(region):
        fill = (region == reg) & ~usable
        if not fill.any():
            continue
        pool, where = run_rate[(region == reg) & usable], "region"
        if pool.size == 0:
            pool, where = run_rate[usable], "company"
        if pool.size == 0:
            raise DataError(
                f"no rep has {settings.min_history_months:g} selling months and bookings in "
                f"the history window(s) ending {end.date()}; lower quota.min_history_months, "
                "provide more history, or use another method."
            )
        run_rate[fill] = np.median(pool)
        source[fill] = [f"{where} median ({why})" for why in reason[fill]]
        pools[str(reg)] = where
    silent = ~usable & (reason == "no bookings")
    if silent.any():
        _warn_no_bookings(reps, silent, run_rate, first_e, pools, windows, settings)
    cols = {
        "run_rate": run_rate,
        "run_rate_source": source,
        "bookings_last_year": first_b,
        "selling_months_last_year": first_e,
    }
    return run_rate, source, cols


def _warn_no_bookings(reps, silent, run_rate, months, pools, windows, settings) -> None:
    """One plausibility warning for the reps on quota who sold nothing in the history
    although employed for it, and were given their region's median run rate."""
    shown = []
    picked = np.flatnonzero(silent)
    for i in picked[:8]:
        reg = str(reps["region"].iloc[i])
        shown.append(
            f"{reps['rep_id'].iloc[i]} ({reg}, {months[i]:.1f} selling months, run rate "
            f"{run_rate[i]:,.0f} a year: the {pools[reg]} median)"
        )
    more = f"; and {len(picked) - 8} more" if len(picked) > 8 else ""
    n = len(picked)
    since, until = windows[0]  # the latest history year, where ``months`` were counted
    method = "'history'" if settings.method == "history" else f"{settings.method!r} (its history)"
    implausible(
        f"quota method {method}: {n} rep{'s' if n > 1 else ''} on quota booked nothing from "
        f"{since.date()} to {until.date()} though employed for at least "
        f"{settings.min_history_months:g} selling months of it ({'; '.join(shown)}{more}). "
        "A rep without a history of their own gets the median run rate of their region, so "
        "each gets an average rep's quota. Check that their deals are in the bookings under "
        "their rep_id; otherwise set their quotas with quota.overrides, or leave them out "
        "with rep_ids.",
        error=DataError,
    )


def _shares(b: np.ndarray, cap_year: np.ndarray) -> np.ndarray:
    """Each rep's share of the quota a basis alone would give (sums to 1)."""
    w = b * cap_year
    return w / w.sum()


def _join_sources(sources, parts) -> np.ndarray:
    names = list(parts)
    return np.array(
        [
            "; ".join(f"{n}: {s[i]}" for n, s in zip(names, sources, strict=True))
            for i in range(len(sources[0]))
        ],
        dtype=object,
    )


# --- allocation down the hierarchy -------------------------------------------------


def _allocate(weight: np.ndarray, region_m: np.ndarray, target: float, oa: OverAssignment):
    """Top-down: regions get ``T (1 + o_g)`` by weight, their reps ``Q_g (1 + o_r)``."""
    total = weight.sum()
    if not total > 0:
        raise DataError(
            "the quota basis times the reps' capacity is zero for every rep: nobody can "
            "carry quota in the plan year (check hire and term dates and the basis)."
        )
    values = np.zeros_like(weight)
    region_q = {}
    for g in sorted(set(region_m.ravel())):
        cells = region_m == g
        w_g = weight[cells].sum()
        q_g = target * (1.0 + oa.region) * w_g / total
        region_q[g] = q_g
        if w_g > 0:
            values[cells] = q_g * (1.0 + oa.rep) * weight[cells] / w_g
    return values, region_q


def _region_quotas_from_reps(values, region_m) -> dict:
    """Region quotas for rep numbers set from below (bottom-up, calibrated): their sums.

    Nothing above the reps set them, so the company row of the levels shows how far
    the sum lands from the company target.
    """
    return {g: float(values[region_m == g].sum()) for g in sorted(set(region_m.ravel()))}


def _levels(values, region_m, target, region_q: dict, oa: OverAssignment) -> pd.DataFrame:
    """The sums at each level, checked against the over-assignment set."""
    rows = []
    below = sum(region_q.values())
    rows.append(("company", "company", target, below, oa.region))
    for g, q in region_q.items():
        rows.append(("region", g, q, float(values[region_m == g].sum()), oa.rep))
    df = pd.DataFrame(rows, columns=["level", "name", "quota", "sum_below", "over_assignment_set"])
    realised = np.where(
        df["quota"] > 0, df["sum_below"] / df["quota"].where(df["quota"] > 0, 1.0) - 1.0, np.nan
    )
    # rounding noise of the sums is not an over-assignment
    df["over_assignment_realised"] = np.where(np.abs(realised) < 1e-12, 0.0, realised)
    df["matches_set"] = np.isclose(
        df["over_assignment_realised"], df["over_assignment_set"], rtol=0.0, atol=1e-9
    )
    return df


# --- bottom-up -------------------------------------------------------------------------


#: The largest annual target one row of a bottom-up targets file may hold (an
#: account's or a rep's year); the rows together are bounded by the company total,
#: :data:`~spm_sim._quota.settings.MAX_COMPANY_TARGET`.
_MAX_TARGET = 1e12


def _bottom_up(accounts, reps, settings):
    """Annual targets per rep from an account- or rep-level CSV."""
    path = Path(settings.targets or "")
    if not path.is_file():
        raise DataError(
            f"quota.targets: file {str(path)!r} not found (relative paths start at "
            f"{Path.cwd()}). Give a CSV with columns account_id,target or rep_id,target."
        )
    try:
        df = pd.read_csv(path, dtype={"account_id": str, "rep_id": str, "target": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc}).") from None
    key = "account_id" if "account_id" in df.columns else "rep_id"
    if key not in df.columns or "target" not in df.columns:
        raise DataError(
            f"{path}: needs columns account_id,target or rep_id,target; it has "
            f"{', '.join(map(str, df.columns)) or 'none'}."
        )
    target = pd.to_numeric(df["target"], errors="coerce")
    bad = df.index[target.isna() | (target < 0) | ~np.isfinite(target.fillna(0.0))]
    if len(bad):
        i = int(bad[0])
        raise DataError(
            f"{path}, row {i + 2}, column target: {df['target'].iloc[i]!r} is not a "
            f"non-negative amount ({len(bad)} such row(s)). Give the annual target in money."
        )
    huge = df.index[target > _MAX_TARGET]
    if len(huge):
        i = int(huge[0])
        raise DataError(
            f"{path}, row {i + 2}, column target: {df['target'].iloc[i]!r} is beyond "
            f"{_MAX_TARGET:g}, more than any annual target ({len(huge)} such row(s)). "
            "Check for extra digits or an amount in cents."
        )
    total = float(target.sum())
    if total > MAX_COMPANY_TARGET:
        raise DataError(
            f"{path}, column target: the rows add up to {total:.4g}, beyond "
            f"{MAX_COMPANY_TARGET:g}, the most a company's targets may total ({len(df)} rows). "
            "Check for extra digits or amounts in cents."
        )
    dup = df[key].duplicated(keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(
            f"{path}, row {i + 2}: {key} {df[key].iloc[i]!r} appears more than once; give one "
            "target per id."
        )
    ids = reps["rep_id"].astype(str)
    if key == "account_id":
        owner = accounts.set_index(accounts["account_id"].astype(str))["rep_id"]
        rep_of = owner.reindex(df["account_id"].astype(str))
        unknown = rep_of.index[rep_of.isna().to_numpy()]
        if len(unknown):
            i = int(np.flatnonzero(rep_of.isna().to_numpy())[0])
            raise DataError(
                f"{path}, row {i + 2}: account_id {unknown[0]!r} is not an account of the book "
                f"with a rep ({len(unknown)} such row(s)); fix the id or assign the account."
            )
        per_rep = target.groupby(rep_of.astype(str).to_numpy()).sum()
        src = "bottom-up (sum of account targets)"
        lost = per_rep[~per_rep.index.isin(set(ids)) & (per_rep > 0)]
        if len(lost):
            raise DataError(
                f"{path}: {float(lost.sum()):,.0f} of account targets belong to accounts of "
                f"rep(s) {', '.join(lost.index[:8])}, who carry no quota in the plan year; "
                "reassign those accounts (set_quotas(alignment=...)) or add the reps as "
                "planned hires."
            )
    else:
        per_rep = pd.Series(target.to_numpy(), index=df["rep_id"].astype(str))
        src = "bottom-up (manager input)"
    outside = sorted(set(per_rep.index) - set(ids))
    if outside and key == "rep_id":
        raise DataError(
            f"{path}: rep(s) {', '.join(outside[:8])} carry no quota in the plan year (not "
            "employed then); remove their rows or add them as planned hires."
        )
    annual = per_rep.reindex(ids).to_numpy(float)
    missing = [r for r, a in zip(ids, annual, strict=True) if not np.isfinite(a)]
    if missing:
        raise DataError(
            f"{path}: {len(missing)} rep(s) on quota have no target: {', '.join(missing[:8])}"
            f"{' ...' if len(missing) > 8 else ''}. Add a row for each (0 is allowed)."
        )
    return annual, np.array([src] * len(ids), dtype=object), {"bottom_up_target": annual}


def _need_capacity(reps, annual, cap_year) -> None:
    bad = [r for r, a, c in zip(reps["rep_id"], annual, cap_year, strict=True) if a > 0 and c <= 0]
    if bad:
        raise DataError(
            f"rep(s) {', '.join(bad[:8])} have a target but no selling time in the plan year "
            "(not employed, or fully in ramp at 0%); set their target to 0 or fix their dates."
        )


# --- overrides -------------------------------------------------------------------------


def _apply_overrides(values, reps, region_m, settings):
    """Set the overridden reps' annual quotas; the rest of the region absorbs the change."""
    cols = ["rep_id", "region", "quota_before", "quota_after", "change", "by", "reason"]
    if not settings.overrides:
        return values, pd.DataFrame(columns=cols)
    values = values.copy()
    index = {r: i for i, r in enumerate(reps["rep_id"])}
    fixed = np.zeros(values.shape, bool)
    before_region = {g: values[region_m == g].sum() for g in set(region_m.ravel())}
    rows = []
    for j, o in enumerate(settings.overrides):
        where = settings._located(f"quota.overrides[{j}]")
        if o.rep_id not in index:
            raise SpecError(
                f"{where}: rep {o.rep_id!r} carries no quota in this plan year; check the rep_id"
            )
        i = index[o.rep_id]
        old = values[i].sum()
        if old <= 0:
            raise SpecError(
                f"{where}: rep {o.rep_id!r} has no quota to reshape (no selling "
                "time in the plan year); remove the override or fix the rep's dates"
            )
        values[i] *= o.quota / old
        fixed[i] = True
        rows.append((o.rep_id, reps["region"].iloc[i], old, o.quota, o.quota - old, o.by, o.reason))
    if settings.hold_region_total:
        for g, total in before_region.items():
            cells = region_m == g
            now_fixed = values[cells & fixed].sum()
            free = values[cells & ~fixed].sum()
            if np.isclose(now_fixed + free, total, rtol=1e-12, atol=0.0):
                continue
            who = sorted({reps["rep_id"].iloc[i] for i in np.nonzero(cells & fixed)[0]})
            named = f"{settings._located('quota.overrides')} ({', '.join(who)})"
            if free <= 0:
                raise SpecError(
                    f"{named}: nobody else carries quota in region "
                    f"{g} in those months, so the region's total cannot be held; set "
                    "hold_region_total: false"
                )
            if now_fixed > total:
                raise SpecError(
                    f"{named}: region {g} holds {total:,.0f} and the "
                    f"overrides take {now_fixed:,.0f}, more than all of it; lower the "
                    "overrides or set hold_region_total: false"
                )
            factor = (total - now_fixed) / free
            absorb = np.unique(np.nonzero(cells & ~fixed)[0])
            before_rows = values[absorb].sum(axis=1)
            values[cells & ~fixed] *= factor
            for i, old in zip(absorb, before_rows, strict=True):
                new = values[i].sum()
                rows.append(
                    (
                        reps["rep_id"].iloc[i],
                        g,
                        old,
                        new,
                        new - old,
                        "",
                        f"absorbs the override(s) of {', '.join(who)} in {g} (hold_region_total)",
                    )
                )
    return values, pd.DataFrame(rows, columns=cols)
