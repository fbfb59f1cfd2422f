"""One back-test: the model fitted before a year, simulated over it, against the actuals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim._provenance import package_version
from spm_sim.errors import DataError
from spm_sim.productivity import draw_bookings, fit_productivity, history_end
from spm_sim.quota import QuotaSettings, set_quotas
from spm_sim.random import RngLike, seed_sequence, trial_rng

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = ["CHECK_COLUMNS", "QUANTILES", "Backtest", "backtest_year"]

#: Quantiles of rep-year bookings compared in the back-test.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)

CHECK_COLUMNS = (
    "check",
    "item",
    "actual",
    "simulated",
    "sim_p10",
    "sim_p50",
    "sim_p90",
    "percentile",
    "inside",
)


# --------------------------------------------------------------------------- back-test


def _rank(sims: np.ndarray, actual) -> np.ndarray:
    """Mid-rank percentile of ``actual`` among ``sims`` along axis 0 (ties count half)."""
    sims = np.asarray(sims, float)
    less = (sims < actual).sum(axis=0)
    equal = (sims == actual).sum(axis=0)
    return (less + 0.5 * equal) / sims.shape[0]


def _ks(samples: np.ndarray, pooled_sorted: np.ndarray) -> np.ndarray:
    """Two-sample Kolmogorov-Smirnov distance of each row of ``samples`` to ``pooled``.

    ``samples`` has shape ``(..., k)``; the amounts are continuous, so ties inside a
    row are not treated specially. Equal to ``scipy.stats.ks_2samp(row, pooled)``.
    """
    x = np.sort(samples, axis=-1)
    k = x.shape[-1]
    big_n = pooled_sorted.size
    right = np.searchsorted(pooled_sorted, x, side="right") / big_n
    left = np.searchsorted(pooled_sorted, x, side="left") / big_n
    i = np.arange(1, k + 1)
    return np.maximum(np.abs(i / k - right), np.abs((i - 1) / k - left)).max(axis=-1)


def _check(check, item, actual, simulated, sims, *, one_sided=False) -> dict:
    p10, p50, p90 = np.quantile(sims, [0.1, 0.5, 0.9])
    inside = bool(actual <= p90) if one_sided else bool(p10 <= actual <= p90)
    return {
        "check": check,
        "item": item,
        "actual": float(actual),
        "simulated": float(simulated),
        "sim_p10": float(p10),
        "sim_p50": float(p50),
        "sim_p90": float(p90),
        "percentile": float(_rank(sims, float(actual))),
        "inside": inside,
    }


@dataclass(frozen=True, eq=False)
class Backtest:
    """The model fitted before ``year``, simulated over it, against what happened.

    Attributes
    ----------
    year : int
        The year simulated and compared.
    n_sims : int
        Simulated years.
    seed_entropy : int or tuple of int
        Entropy of the root ``SeedSequence`` (a tuple when it was built from several
        words); trial ``i`` draws from child ``i``.
    rep_ids : tuple of str
        The reps compared: employed on every day of ``year``.
    excluded : DataFrame
        Reps employed during ``year`` but not all of it (``rep_id, hire_date,
        term_date, reason``): the model sets no expectation for a partial year, so
        they and their deals are left out of every comparison, company totals too.
    checks : DataFrame
        One row per comparison, columns ``check, item, actual, simulated, sim_p10,
        sim_p50, sim_p90, percentile, inside``. ``check`` is ``rep_year_bookings``
        (``item`` P10 ... P90: the quantile across reps; ``simulated`` the quantile of
        all simulated rep-years pooled; ``sim_p*`` the spread of that quantile over
        simulated years), ``rep_year_ks`` (the KS distance of the actual rep-years to
        the pooled simulation against the same distance for each simulated year;
        ``inside`` is one-sided, ``actual <= sim_p90``: a small distance is never a
        miss), ``share_at_quota``, ``monthly_total`` (one row per month) and
        ``annual_total``. ``simulated`` is the simulation's mean except for the
        quantiles; ``percentile`` the mid-rank of the actual among the simulated
        years; ``inside`` whether it lies in the P10-P90 band (80%).
    reps : DataFrame
        Per rep compared: ``rep_id, actual, quota, at_quota, sim_p10, sim_p50,
        sim_p90, percentile, inside``.
    sim_rep_year : ndarray, shape (n_sims, n_reps)
        Simulated annual bookings per rep.
    sim_monthly : ndarray, shape (n_sims, 12)
        Simulated company bookings per month (the reps compared).
    sim_share_at_quota : ndarray, shape (n_sims,)
    actual_monthly : ndarray, shape (12,)
    quota : ndarray, shape (n_reps,)
        History-method quotas for ``year`` with growth 0.
    fit_span : tuple of str
        First and last day of the history the model was fitted on.
    """

    year: int
    n_sims: int
    seed_entropy: int | tuple[int, ...]
    rep_ids: tuple[str, ...]
    excluded: pd.DataFrame = field(repr=False)
    checks: pd.DataFrame = field(repr=False)
    reps: pd.DataFrame = field(repr=False)
    sim_rep_year: np.ndarray = field(repr=False)
    sim_monthly: np.ndarray = field(repr=False)
    sim_share_at_quota: np.ndarray = field(repr=False)
    actual_monthly: np.ndarray = field(repr=False)
    quota: np.ndarray = field(repr=False)
    fit_span: tuple[str, str] = ("", "")

    def check(self, name: str) -> pd.DataFrame:
        """The rows of ``checks`` for one ``check`` (e.g. ``"monthly_total"``)."""
        return self.checks[self.checks["check"] == name].reset_index(drop=True)

    @property
    def actual_rep_year(self) -> np.ndarray:
        """Actual annual bookings per rep compared, shape (n_reps,)."""
        return self.reps["actual"].to_numpy(float)

    @property
    def coverage(self) -> float:
        """Share of months whose actual company total lies in the simulated P10-P90 band."""
        return float(self.check("monthly_total")["inside"].mean())

    @property
    def annual_percentile(self) -> float:
        """Percentile rank of the actual company total among the simulated years."""
        return float(self.check("annual_total")["percentile"].iloc[0])


def _years(book) -> str:
    years = sorted(book.bookings["date"].dt.year.unique())
    if not years:
        return "no year: the bookings table is empty"
    return ", ".join(str(y) for y in years)


def _require_history(book, plan_year: int, year: int) -> None:
    """The history before ``year`` has 12 months and ``year`` is complete."""
    b = book.bookings
    first = b["date"].min() if len(b) else None
    have = 0
    if first is not None and first < pd.Timestamp(year=year, month=1, day=1):
        have = (year - first.year) * 12 - first.month + 1
    if have < 12:
        if first is None:
            hint = "add bookings"
        else:  # the first year with 12 months of bookings before it, plus one
            earliest = first.year + (2 if first.month == 1 else 3)
            hint = (
                f"add at least {12 - have} months of bookings before {year}, or report on "
                f"plan_year={max(earliest, plan_year)} or later"
            )
        raise DataError(
            f"the back-test of {year} (plan_year {plan_year} - 1) fits the model on the history "
            f"before {year} and needs at least 12 months of it; the book has {have} (bookings "
            f"in {_years(book)}): {hint}."
        )
    end = history_end(book, plan_year)
    if end < pd.Timestamp(year=year, month=12, day=31):
        raise DataError(
            f"the back-test compares the simulation with all of {year}, but the history ends on "
            f"{end.date()} (plan_year {plan_year}); report on plan_year={year} instead, or "
            f"wait until {year} is complete."
        )


def _compared_reps(reps: pd.DataFrame, year: int) -> tuple[list[str], pd.DataFrame]:
    """Reps employed every day of ``year``, and those employed only part of it."""
    start = pd.Timestamp(year=year, month=1, day=1)
    stop = pd.Timestamp(year=year, month=12, day=31)
    hire, term = reps["hire_date"], reps["term_date"]
    whole = (hire <= start) & (term.isna() | (term >= stop))
    some = (hire <= stop) & (term.isna() | (term >= start))
    part = reps[some & ~whole].sort_values("rep_id")
    reasons = []
    for h, t in zip(part["hire_date"], part["term_date"], strict=True):
        why = []
        if h > start:
            why.append(f"hired {h.date()}")
        if pd.notna(t) and t < stop:
            why.append(f"left {t.date()}")
        reasons.append(" and ".join(why))
    excluded = pd.DataFrame(
        {
            "rep_id": part["rep_id"].astype(str).to_numpy(),
            "hire_date": part["hire_date"].to_numpy(),
            "term_date": part["term_date"].to_numpy(),
            "reason": reasons,
        }
    )
    ids = sorted(reps.loc[whole, "rep_id"].astype(str))
    return ids, excluded


def _entropy(root: np.random.SeedSequence) -> int | tuple[int, ...]:
    """The root's entropy: an int, or the words of a sequence built from several.

    numpy draws the entropy when a sequence is built without one, so it is never
    ``None`` here although the stub allows it.
    """
    entropy = root.entropy
    if isinstance(entropy, (int, np.integer)):
        return int(entropy)
    return tuple(int(w) for w in entropy or ())


def backtest_year(
    book: Book,
    *,
    year: int,
    n_sims: int = 1000,
    rng: RngLike = 0,
    plan_year: int | None = None,
    progress: bool = False,
) -> Backtest:
    """Fit before ``year``, simulate ``year`` ``n_sims`` times, compare with the actuals.

    See :class:`Backtest` for what is compared; :func:`fit_report` calls this with
    ``year = plan_year - 1``. ``plan_year`` (default ``year + 1``) only decides where
    the book's history must reach. ``rng`` (int, SeedSequence or Generator; ``None``
    is seed 0) is normalised once by :func:`spm_sim.random.seed_sequence`; simulated
    year ``i`` draws from the root's stream ``trial`` with index ``i``. ``progress``
    shows a bar over the simulated years (tqdm; the numbers do not depend on it).

    Returns
    -------
    Backtest
    """
    root = seed_sequence(rng)
    plan_year = year + 1 if plan_year is None else plan_year
    _require_history(book, plan_year, year)
    ids, excluded = _compared_reps(book.reps, year)
    if not ids:
        raise DataError(
            f"no rep was employed for the whole of {year} (reps' hire_date and term_date), so "
            "there is no rep-year to compare; back-test an earlier year."
        )
    model = fit_productivity(book, plan_year=year, rep_ids=ids)
    from tqdm.auto import tqdm

    years = tqdm(
        range(n_sims),
        desc=f"back-test of {year}",
        unit="year",
        disable=not progress,
        leave=False,
    )
    sims = np.stack([draw_bookings(model, trial_rng(root, i)) for i in years])

    b = book.bookings
    in_year = b[(b["date"].dt.year == year) & b["rep_id"].astype(str).isin(ids)]
    actual = np.zeros((len(ids), 12))
    np.add.at(
        actual,
        (
            pd.Index(ids).get_indexer(in_year["rep_id"].astype(str)),
            in_year["date"].dt.month.to_numpy() - 1,
        ),
        in_year["amount"].to_numpy(float),
    )
    q = set_quotas(
        book,
        plan_year=year,
        settings=QuotaSettings(method="history", growth=0.0),
        rep_ids=ids,
    )
    quota = pd.Series(q.annual, index=list(q.rep_ids)).reindex(ids).to_numpy(float)

    sim_rep_year = sims.sum(axis=2)  # (n_sims, n_reps)
    act_rep_year = actual.sum(axis=1)
    sim_monthly = sims.sum(axis=1)  # (n_sims, 12)
    act_monthly = actual.sum(axis=0)
    rows = []
    # (a) distribution of rep-year bookings
    pooled = np.sort(sim_rep_year.ravel())
    act_q = np.quantile(act_rep_year, QUANTILES)
    pooled_q = np.quantile(pooled, QUANTILES)
    trial_q = np.quantile(sim_rep_year, QUANTILES, axis=1)  # (5, n_sims)
    for j, p in enumerate(QUANTILES):
        rows.append(
            _check("rep_year_bookings", f"P{round(p * 100)}", act_q[j], pooled_q[j], trial_q[j])
        )
    ks_actual = float(_ks(act_rep_year, pooled))
    ks_sims = _ks(sim_rep_year, pooled)
    rows.append(
        _check("rep_year_ks", "KS", ks_actual, float(ks_sims.mean()), ks_sims, one_sided=True)
    )
    # (b) share of reps at or above quota
    sim_share = (sim_rep_year >= quota).mean(axis=1)
    act_share = float((act_rep_year >= quota).mean())
    rows.append(_check("share_at_quota", "all reps", act_share, float(sim_share.mean()), sim_share))
    # (c) monthly company totals
    for mth in range(12):
        rows.append(
            _check(
                "monthly_total",
                f"{year}-{mth + 1:02d}",
                act_monthly[mth],
                float(sim_monthly[:, mth].mean()),
                sim_monthly[:, mth],
            )
        )
    # (d) the company's annual total
    sim_annual = sim_monthly.sum(axis=1)
    rows.append(
        _check("annual_total", str(year), act_monthly.sum(), float(sim_annual.mean()), sim_annual)
    )
    checks = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))

    p10, p50, p90 = np.quantile(sim_rep_year, [0.1, 0.5, 0.9], axis=0)
    reps = pd.DataFrame(
        {
            "rep_id": ids,
            "actual": act_rep_year,
            "quota": quota,
            "at_quota": act_rep_year >= quota,
            "sim_p10": p10,
            "sim_p50": p50,
            "sim_p90": p90,
            "percentile": _rank(sim_rep_year, act_rep_year),
            "inside": (p10 <= act_rep_year) & (act_rep_year <= p90),
        }
    )
    attrs = {
        "year": year,
        "n_sims": n_sims,
        "seed_entropy": _entropy(root),
        "spm_sim_version": package_version(),
    }
    for frame in (checks, reps, excluded):
        frame.attrs.update(attrs)
    return Backtest(
        year=year,
        n_sims=n_sims,
        seed_entropy=_entropy(root),
        rep_ids=tuple(ids),
        excluded=excluded,
        checks=checks,
        reps=reps,
        sim_rep_year=sim_rep_year,
        sim_monthly=sim_monthly,
        sim_share_at_quota=sim_share,
        actual_monthly=act_monthly,
        quota=quota,
        fit_span=(str(model.fit.get("history_start")), str(model.fit.get("history_end"))),
    )
