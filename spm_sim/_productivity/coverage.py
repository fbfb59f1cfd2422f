"""Territories that move sales: how a rep's deal rate responds to their territory.

A rep's monthly deal rate is taken to scale with the potential of their accounts and
with how far they travel to them::

    lambda_r  ~  (P_r / P_mean)^a  x  (D_r / D_mean)^b

``P_r`` is the potential of the rep's accounts (accounts.csv ``potential``), ``D_r``
the potential-weighted mean great-circle distance in km from the rep's home
(reps.csv ``home_lat``/``home_lon``) to those accounts. :func:`fit_coverage`
estimates ``a`` and ``b`` from the book (rep-years of deals against the territory,
a Poisson regression with year effects and standard errors clustered by rep);
:func:`coverage_multipliers` turns a new alignment into each rep's factor
``(P_new / P_old)^a (D_new / D_old)^b``, and :func:`scale_model` applies them to a
fitted :class:`~.model.ProductivityModel`. :class:`AlignmentSettings` is the
scenario's ``alignment:`` block; :func:`read_alignment` reads an alignment file and
:func:`check_alignment` checks it against the book with located messages.

``docs/model.md`` (territories that move sales) gives the equations, the estimator
and its caveats.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from spm_sim._spec import Share, Spec
from spm_sim.errors import DataError
from spm_sim.territory import great_circle_km

from .model import ProductivityModel, exposure_months, history_end

if TYPE_CHECKING:
    from spm_sim.book import Book

__all__ = [
    "POTENTIAL_PRIOR",
    "TRAVEL_PRIOR",
    "AlignmentDesign",
    "AlignmentSettings",
    "CoverageFit",
    "check_alignment",
    "coverage_multipliers",
    "design_alignment",
    "fit_coverage",
    "read_alignment",
    "scale_model",
    "territory_measures",
]

#: Elasticity of the deal rate to territory potential when the book cannot identify
#: it: (centre, low, high). A modelling assumption, not a published estimate: with
#: 0.4 the sample's balanced redesign gains about 1.5% of bookings, the low end of
#: the 2-7% that Zoltners and Sinha (2005, Marketing Science 24(3)) report from
#: realignments; the range spans a response half as strong to half as strong again.
POTENTIAL_PRIOR: tuple[float, float, float] = (0.4, 0.2, 0.6)
#: Elasticity to travel distance when the book cannot identify it: none by default,
#: down to -0.2 (10% more travel, 2% fewer deals) as the range's other end. A
#: modelling assumption: no published estimate is relied on.
TRAVEL_PRIOR: tuple[float, float, float] = (0.0, -0.2, 0.0)
#: Fewest reps with a known territory that identify an elasticity.
MIN_REPS = 12
#: A rep-year counts when at least this share of the rep's deals that year were on
#: accounts that are theirs now (else their territory then was another one).
MIN_OWN_SHARE = 0.9
#: Fewest ramped selling months for a rep-year to count.
MIN_EXPOSURE = 3.0
#: Distances below this (km) count as this: a rep living among their accounts.
MIN_KM = 1.0

#: An elasticity given by hand: beyond +-2 a 10% change in potential would move
#: deals by more than 20%, which no territory does.
Elasticity = Annotated[float, Field(ge=-2.0, le=2.0, allow_inf_nan=False)]
_Tolerance = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]


# ---------------------------------------------------------------------------
# territories of an alignment
# ---------------------------------------------------------------------------


def _homes(book: Book) -> pd.DataFrame | None:
    """Rep homes (index rep_id; home_lat, home_lon), or None when the book has none."""
    reps = book.reps
    if not {"home_lat", "home_lon"} <= set(reps.columns):
        return None
    out = reps.set_index(reps["rep_id"].astype(str))[["home_lat", "home_lon"]]
    return out.apply(pd.to_numeric, errors="coerce")


def territory_measures(
    book: Book, owner: pd.Series | None = None, rep_ids: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame:
    """Potential, travel and account count of each rep's territory.

    Parameters
    ----------
    book : Book
    owner : Series, optional
        Each account's rep, indexed like ``book.accounts`` (default: the accounts'
        ``rep_id``, the current alignment).
    rep_ids : sequence of str, optional
        Reps to report (default every rep who owns an account); a rep without
        accounts gets potential 0, travel NaN and 0 accounts.

    Returns
    -------
    DataFrame
        Index ``rep_id``; columns ``potential``, ``travel_km`` (potential-weighted mean
        great-circle km from the rep's home to their accounts; NaN without a home or
        without account locations) and ``accounts``.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> t = territory_measures(load_sample())
    >>> len(t), bool((t["potential"] > 0).all())
    (80, True)
    """
    acc = book.accounts
    if "potential" not in acc.columns:
        raise DataError(
            "territories are measured by their accounts' potential, and the book's accounts "
            "have no potential column; add one (docs/data-format.md) to simulate an alignment",
            file="accounts.csv",
            column="potential",
        )
    own = (acc["rep_id"] if owner is None else owner).astype("string")
    pot = pd.to_numeric(acc["potential"], errors="coerce").fillna(0.0).to_numpy(float)
    ids = [str(r) for r in rep_ids] or sorted(own.dropna().unique())
    grouped = pd.DataFrame({"rep": own.to_numpy(), "pot": pot})
    potential = grouped.groupby("rep", dropna=True)["pot"].sum().reindex(ids).fillna(0.0)
    count = grouped.groupby("rep", dropna=True)["pot"].size().reindex(ids).fillna(0)
    travel = pd.Series(np.nan, index=ids)
    homes = _homes(book)
    if homes is not None and {"lat", "lon"} <= set(acc.columns):
        lat = pd.to_numeric(acc["lat"], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(acc["lon"], errors="coerce").to_numpy(float)
        home = homes.reindex(own.fillna("").to_numpy())
        km = great_circle_km(home["home_lat"].to_numpy(), home["home_lon"].to_numpy(), lat, lon)
        ok = np.isfinite(km) & own.notna().to_numpy()
        frame = pd.DataFrame({"rep": own.to_numpy()[ok], "w": pot[ok], "wkm": pot[ok] * km[ok]})
        sums = frame.groupby("rep")[["w", "wkm"]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            travel = (sums["wkm"] / sums["w"]).reindex(ids)
    out = pd.DataFrame(
        {
            "potential": potential.to_numpy(float),
            "travel_km": travel.to_numpy(float),
            "accounts": count.to_numpy(int),
        },
        index=pd.Index(ids, name="rep_id"),
    )
    return out


# ---------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageFit:
    """The elasticities of a rep's deal rate to territory potential and travel.

    Attributes
    ----------
    potential_elasticity, potential_se : float
        ``a`` and its standard error (clustered by rep); the prior's centre and NaN
        when not identified.
    travel_elasticity, travel_se : float
        ``b`` and its standard error, likewise.
    bookings_potential_elasticity : float
        The same regression on bookings instead of deals (deal sizes included), for
        comparison; NaN when not identified.
    travel_unrestricted : float
        The travel estimate before its sign restriction (more travel never brings
        more deals: a positive estimate is set to 0); NaN when not identified.
    identified : dict
        ``{"potential": bool, "travel": bool}``: estimated from the book or the prior.
    n, n_reps : int
        Rep-years and reps in the regression.
    dropped : int
        Rep-years left out: the rep's deals that year were mostly on accounts that
        are not theirs now (a territory split, a vacancy covered), or under
        ``MIN_EXPOSURE`` months of ramped selling.
    years : tuple of int
    table : DataFrame
        The rep-years used: rep_id, year, deals, bookings, exposure, potential,
        travel_km.
    """

    potential_elasticity: float
    potential_se: float
    travel_elasticity: float
    travel_se: float
    bookings_potential_elasticity: float = float("nan")
    travel_unrestricted: float = float("nan")
    identified: dict = field(default_factory=dict)
    n: int = 0
    n_reps: int = 0
    dropped: int = 0
    years: tuple[int, ...] = ()
    table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    def describe(self) -> str:
        """The estimates in words, with their source.

        Examples
        --------
        >>> CoverageFit(0.4, float("nan"), 0.0, float("nan"),
        ...             identified={"potential": False, "travel": False}).describe()
        ... # doctest: +ELLIPSIS
        'potential elasticity 0.40 (prior, range 0.20 to 0.60...'
        """

        def one(name: str, est: float, se: float, prior: tuple[float, float, float]) -> str:
            if self.identified.get(name):
                raw = self.travel_unrestricted
                cut = (
                    f", {raw:+.2f} before the sign restriction"
                    if name == "travel" and raw > est
                    else ""
                )
                return f"{name} elasticity {est:.2f} (SE {se:.2f}, from the book{cut})"
            return (
                f"{name} elasticity {est:.2f} (prior, range {prior[1]:.2f} to {prior[2]:.2f}: "
                "the book cannot identify it)"
            )

        text = "; ".join(
            [
                one("potential", self.potential_elasticity, self.potential_se, POTENTIAL_PRIOR),
                one("travel", self.travel_elasticity, self.travel_se, TRAVEL_PRIOR),
            ]
        )
        if self.n and self.years:
            text += (
                f"; {self.n} rep-years of {self.n_reps} reps, {min(self.years)}-"
                f"{max(self.years)}, {self.dropped} left out (territory then unknown)"
            )
        return text


def _season_weights(counts: np.ndarray, expo: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Each month's company deals per exposure month over its year's mean: what a
    month of selling is worth in its year (seasonality and the trend inside it)."""
    d, e = counts.sum(axis=0), expo.sum(axis=0)
    rate = np.where(e > 0, d / np.where(e > 0, e, 1.0), np.nan)
    out = np.ones(len(rate))
    for y in np.unique(years):
        m = (years == y) & np.isfinite(rate)
        if m.any() and np.nanmean(rate[m]) > 0:
            out[m] = rate[m] / rate[m].mean()
    return out


def _ppml(y: np.ndarray, x: np.ndarray, offset: np.ndarray, groups: np.ndarray):
    """Poisson pseudo-maximum likelihood, ``E[y] = exp(x b + offset)``, by iterated
    weighted least squares, with the sandwich variance clustered by ``groups``
    (small-sample factor ``G / (G - 1)``). Consistent for any positive outcome whose
    mean has this form, whatever its variance (Santos Silva and Tenreyro 2006)."""
    b = np.zeros(x.shape[1])
    ybar = max(float(y.mean()), 1e-12)
    b[: x.shape[1]] = np.linalg.lstsq(x, np.full(len(y), np.log(ybar)) - offset, rcond=None)[0]
    for _ in range(200):
        eta = np.clip(x @ b + offset, -50, 50)
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        w = mu
        xw = x * w[:, None]
        new = np.linalg.solve(x.T @ xw, xw.T @ z)
        if np.max(np.abs(new - b)) < 1e-10:
            b = new
            break
        b = new
    mu = np.exp(np.clip(x @ b + offset, -50, 50))
    bread = np.linalg.inv(x.T @ (x * mu[:, None]))
    scores = x * (y - mu)[:, None]
    uniq, inv = np.unique(groups, return_inverse=True)
    g_scores = np.zeros((len(uniq), x.shape[1]))
    np.add.at(g_scores, inv, scores)
    g = len(uniq)
    meat = g_scores.T @ g_scores * (g / max(g - 1, 1))
    cov = bread @ meat @ bread
    return b, np.sqrt(np.clip(np.diag(cov), 0.0, None))


def _rep_years(book: Book, plan_year: int, min_own_share: float) -> tuple[pd.DataFrame, int]:
    """Deals, bookings and season-weighted exposure per current rep and history year,
    with the rep's territory (current alignment); and how many rep-years were left out."""
    end = history_end(book, plan_year)
    bk = book.bookings[book.bookings["date"] <= end]
    terr = territory_measures(book)
    reps = book.reps.set_index(book.reps["rep_id"].astype(str))
    ids = [r for r in terr.index if r in reps.index]
    if bk.empty or not ids:
        return pd.DataFrame(), 0
    start = bk["date"].min().to_period("M").to_timestamp()
    months = pd.date_range(start, end.to_period("M").to_timestamp(), freq="MS")
    all_ids = list(reps.index)
    expo_all = exposure_months(reps.loc[all_ids], months, until=end)
    rep_pos = pd.Index(all_ids).get_indexer(bk["rep_id"].astype(str))
    mon_pos = pd.Index(months).get_indexer(bk["date"].dt.to_period("M").dt.to_timestamp())
    ok = (rep_pos >= 0) & (mon_pos >= 0)
    counts_all = np.zeros((len(all_ids), len(months)))
    np.add.at(counts_all, (rep_pos[ok], mon_pos[ok]), 1.0)
    weights = _season_weights(counts_all, expo_all, months.year.to_numpy())
    pos = pd.Index(all_ids).get_indexer(ids)
    expo = expo_all[pos] * weights[None, :]
    owner_now = pd.Series(
        book.accounts["rep_id"].astype("string").to_numpy(),
        index=book.accounts["account_id"].astype(str),
    )
    deal_owner = owner_now.reindex(bk["account_id"].astype(str)).to_numpy()
    own = (deal_owner == bk["rep_id"].astype(str).to_numpy()) & pd.notna(deal_owner)
    rows, dropped = [], 0
    year_of = months.year.to_numpy()
    by = pd.DataFrame(
        {
            "rep": bk["rep_id"].astype(str).to_numpy(),
            "year": bk["date"].dt.year.to_numpy(),
            "amount": bk["amount"].to_numpy(float),
            "own": own,
        }
    )
    agg = by.groupby(["rep", "year"]).agg(
        deals=("amount", "size"), bookings=("amount", "sum"), own=("own", "mean")
    )
    for i, r in enumerate(ids):
        for y in np.unique(year_of):
            e = float(expo[i, year_of == y].sum())
            if e <= 0:
                continue
            key = (r, int(y))
            n, b, share = (
                (int(agg.at[key, "deals"]), float(agg.at[key, "bookings"]), agg.at[key, "own"])
                if key in agg.index
                else (0, 0.0, 1.0)
            )
            if e < MIN_EXPOSURE or share < min_own_share:
                dropped += 1
                continue
            rows.append(
                {
                    "rep_id": r,
                    "year": int(y),
                    "deals": n,
                    "bookings": b,
                    "exposure": e,
                    "potential": float(terr.at[r, "potential"]),
                    "travel_km": float(terr.at[r, "travel_km"]),
                }
            )
    return pd.DataFrame(rows), dropped


def fit_coverage(
    book: Book, plan_year: int, *, min_own_share: float = MIN_OWN_SHARE
) -> CoverageFit:
    """Estimate how a rep's deal rate responds to territory potential and travel.

    Parameters
    ----------
    book : Book
    plan_year : int
        The history before it is used (to ``history_end(book, plan_year)``).
    min_own_share : float, default 0.9
        A rep-year counts when at least this share of the rep's deals that year were
        on accounts that are theirs now.

    Returns
    -------
    CoverageFit

    Notes
    -----
    The book holds one alignment, the accounts' current ``rep_id``. A rep's territory
    in an earlier year is taken to be their current one when at least
    ``min_own_share`` of that year's deals were on accounts that are theirs now; a
    rep-year whose deals were mostly elsewhere (the rep held a larger territory
    before a split, or covered a vacant one) is left out and counted in ``dropped``,
    as are reps who left (no account is theirs now). For rep ``r`` in year ``y``
    with ``n_ry`` deals and ``E_ry`` months of selling (employed share x ramp, each
    month weighted by the company's deals per selling month that year over the
    year's mean), the Poisson pseudo-likelihood regression

        ``E[n_ry] = E_ry exp(c_y + a log(P_r / P_mean) + b log(D_r / D_mean))``

    with one constant ``c_y`` per year gives ``a`` and ``b``; standard errors are
    the sandwich clustered by rep (a rep's years share their skill). The same
    regression on bookings gives ``bookings_potential_elasticity``. ``b`` is
    restricted to ``b <= 0`` (more travel never brings more deals): a positive
    estimate, noise around no effect, is reported as 0 (``travel_unrestricted``
    keeps it).

    What identifies ``a`` is the spread of territory potential across reps; the
    estimate is causal only if territory size is unrelated to skill. When the best
    reps are given the largest territories (or potential is measured from past
    sales), ``a`` also carries skill and overstates how sales follow potential.
    With fewer than ``MIN_REPS`` reps, or no spread, an elasticity is not identified
    and the prior (:data:`POTENTIAL_PRIOR`, :data:`TRAVEL_PRIOR`) stands.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> fit = fit_coverage(load_sample(), 2026)
    >>> fit.identified["potential"], 0.2 < fit.potential_elasticity < 0.6
    (True, True)
    """
    table, dropped = (
        _rep_years(book, plan_year, min_own_share)
        if "potential" in book.accounts.columns
        else (pd.DataFrame(), 0)
    )
    prior = CoverageFit(
        POTENTIAL_PRIOR[0],
        float("nan"),
        TRAVEL_PRIOR[0],
        float("nan"),
        identified={"potential": False, "travel": False},
        dropped=dropped,
        table=table,
    )
    if table.empty:
        return prior
    table = table[table["potential"] > 0].reset_index(drop=True)
    n_reps = table["rep_id"].nunique()
    logp = np.log(table["potential"].to_numpy(float))
    use_p = n_reps >= MIN_REPS and float(np.std(logp)) > 0.01
    km = table["travel_km"].to_numpy(float)
    use_t = use_p and bool(np.isfinite(km).all())
    logd = np.log(np.maximum(km, MIN_KM)) if use_t else np.zeros(len(table))
    use_t = use_t and float(np.std(logd)) > 0.01
    if not use_p:
        years_seen = tuple(int(y) for y in np.unique(table["year"]))
        return dataclasses.replace(prior, n=len(table), n_reps=n_reps, years=years_seen)
    years = table["year"].to_numpy()
    uniq = np.unique(years)
    cols = [(years == y).astype(float) for y in uniq]
    cols.append(logp - logp.mean())
    if use_t:
        cols.append(logd - logd.mean())
    x = np.column_stack(cols)
    offset = np.log(table["exposure"].to_numpy(float))
    groups = table["rep_id"].to_numpy()
    k = len(uniq)
    b, se = _ppml(table["deals"].to_numpy(float), x, offset, groups)
    scale = max(float(table["bookings"].mean()), 1.0)
    bb, _ = _ppml(table["bookings"].to_numpy(float) / scale, x, offset, groups)
    return CoverageFit(
        potential_elasticity=float(b[k]),
        potential_se=float(se[k]),
        travel_elasticity=min(float(b[k + 1]), 0.0) if use_t else TRAVEL_PRIOR[0],
        travel_unrestricted=float(b[k + 1]) if use_t else float("nan"),
        travel_se=float(se[k + 1]) if use_t else float("nan"),
        bookings_potential_elasticity=float(bb[k]),
        identified={"potential": True, "travel": use_t},
        n=len(table),
        n_reps=n_reps,
        dropped=dropped,
        years=tuple(int(y) for y in uniq),
        table=table,
    )


# ---------------------------------------------------------------------------
# the scenario's block and alignment files
# ---------------------------------------------------------------------------


class AlignmentDesign(Spec):
    """Design settings run when the scenario is prepared: the book's accounts
    assigned to the simulated reps' homes by :func:`spm_sim.territory.design`, with
    the current ``rep_id`` as the alignment a redesign disrupts.

    Parameters
    ----------
    balance : dict of str to float, optional
        Measures and tolerances (default: potential and workload at 5%).
    max_disruption : float, optional
        Cap on the share of accounts that change rep.
    disruption_penalty : float, optional
        Cost of moving one account, in km of travel.
    objective : {"distance", "disruption"}
    method : {"auto", "exact", "scalable"}
    time_limit : float, default 30
        Seconds for the exact MILP.
    seed : int, default 0
        Seed of the design's starts.

    Examples
    --------
    >>> AlignmentDesign(balance={"potential": 0.1}, max_disruption=0.2).objective
    'distance'
    """

    balance: dict[str, _Tolerance] | None = None
    max_disruption: Share | None = None
    disruption_penalty: float | None = Field(None, ge=0.0, le=1e9, allow_inf_nan=False)
    objective: Literal["distance", "disruption"] = "distance"
    method: Literal["auto", "exact", "scalable"] = "auto"
    time_limit: float = Field(30.0, gt=0.0, le=86_400.0, allow_inf_nan=False)
    seed: int = Field(0, ge=0, lt=2**63)


class AlignmentSettings(Spec):
    """A scenario's ``alignment:``: who owns which accounts in the plan year, and how
    a rep's deal rate follows their territory.

    Each simulated rep's deal rate is multiplied by
    ``(P_new / P_old)^a x (D_new / D_old)^b`` (:func:`coverage_multipliers`), with
    ``P`` the potential of the rep's accounts and ``D`` the travel to them, old under
    the book's current alignment and new under this one; a vacant seat's territory
    sells ``vacancy_productivity`` of that.

    Parameters
    ----------
    file : str, optional
        CSV with ``account_id`` and ``rep_id`` (what ``spm-sim align --out`` writes,
        or any such table); accounts it leaves out keep their rep. Relative to the
        scenario file.
    design : AlignmentDesign, optional
        Design the alignment when the scenario is prepared instead. Give ``file`` or
        ``design`` or neither (the current alignment, e.g. for vacancies alone).
    potential_elasticity, travel_elasticity : float or "book", default "book"
        ``a`` and ``b``: estimated from the book (:func:`fit_coverage`; the prior
        where the book cannot identify them) or given.
    vacant : list of str
        Reps whose seats stay vacant all plan year: their territory has no rep, sells
        ``vacancy_productivity`` of what the seat would, and pays no one.
    vacancy_productivity : float, optional
        Default: the scenario's ``workforce.vacancy_productivity``, else 0.1 (the
        workforce's default).

    Examples
    --------
    >>> AlignmentSettings(vacant=["R001"]).potential_elasticity
    'book'
    >>> AlignmentSettings().replace(file="a.csv", design={})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.SpecError: AlignmentSettings: 1 problem(s) in this alignmentsettings spec:
      - (top level): alignment: give file or design, not both ...
    """

    file: str | None = None
    design: AlignmentDesign | None = None
    potential_elasticity: Literal["book"] | Elasticity = "book"
    travel_elasticity: Literal["book"] | Elasticity = "book"
    vacant: tuple[str, ...] = ()
    vacancy_productivity: Share | None = None

    @model_validator(mode="after")
    def _one_source(self) -> AlignmentSettings:
        if self.file is not None and self.design is not None:
            raise ValueError(
                "alignment: give file or design, not both (file: an alignment CSV; design: "
                "settings to design one when the scenario runs)"
            )
        return self

    @field_validator("vacant")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        seen = [r for i, r in enumerate(v) if r in v[:i]]
        if seen:
            raise ValueError(f"rep {seen[0]!r} is listed twice; list each vacant seat once")
        return v


def read_alignment(path: str | Path) -> pd.DataFrame:
    """Read an alignment CSV: one row per account, columns ``account_id`` and ``rep_id``.

    Ids are read as text (``00123`` keeps its zeros); other columns (``territory``)
    are kept. Rows are checked here for what needs no book: the columns, a blank id,
    an account given twice; :func:`check_alignment` checks the ids against the book.

    Raises
    ------
    DataError
        Naming the file, row, column and value.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("account_id,rep_id\\nA1,R1\\nA1,R2\\n")
    >>> read_alignment(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: ...a.csv, row 3, column 'account_id'...: account 'A1' appears twice...
    """
    path = Path(path)
    src = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataError(
            "alignment file not found; give the CSV that `spm-sim align --out` wrote, or any "
            "table with columns account_id and rep_id",
            file=src,
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"cannot read the alignment as CSV ({str(exc).splitlines()[0]}); give a CSV "
            "with columns account_id and rep_id",
            file=src,
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("account_id", "rep_id") if c not in frame.columns]
    if missing:
        raise DataError(
            f"the alignment has no column {missing[0]!r} (columns: "
            f"{', '.join(frame.columns) or 'none'}); it needs account_id and rep_id, one row "
            "per account",
            file=src,
            column=missing[0],
        )
    if frame.empty:
        raise DataError("the alignment has no rows; give one row per account", file=src)
    for col in ("account_id", "rep_id"):
        frame[col] = frame[col].str.strip()
        blank = np.flatnonzero((frame[col] == "").to_numpy())
        if len(blank):
            raise DataError(
                f"blank {col}; every row needs an account and its rep",
                file=src,
                row=int(blank[0]) + 2,
                column=col,
                value="",
            )
    dup = frame["account_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        acc = frame["account_id"].iat[i]
        first = int(np.flatnonzero((frame["account_id"] == acc).to_numpy())[0])
        raise DataError(
            f"account {acc!r} appears twice (rows {first + 2} and {i + 2}); give each account "
            "one rep",
            file=src,
            row=i + 2,
            column="account_id",
            value=acc,
        )
    return frame


def check_alignment(
    frame: pd.DataFrame,
    book: Book,
    rep_ids: list[str] | tuple[str, ...],
    *,
    vacant: tuple[str, ...] = (),
    source: str = "alignment",
) -> pd.Series:
    """Each of the book's accounts' rep under an alignment, checked against the book.

    Parameters
    ----------
    frame : DataFrame
        ``account_id`` and ``rep_id`` (:func:`read_alignment`); accounts it leaves out
        keep their current rep.
    book : Book
    rep_ids : sequence of str
        The simulated reps (employed on the plan year's first day, and planned hires).
    vacant : tuple of str
        Reps whose seat is vacant (they may keep accounts: their territory).
    source : str
        The file (or what made the alignment), for messages.

    Returns
    -------
    Series
        The rep of every account, aligned with ``book.accounts`` (index and order).

    Raises
    ------
    DataError
        An account the book does not have, a rep who is not simulated in the plan
        year, or a simulated rep who owns accounts now but none in the alignment (a
        seat whose sales would vanish: list it under ``vacant`` or give it accounts).

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.book import Book
    >>> book = Book.from_frames(
    ...     reps=pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "region": "E",
    ...         "role": "AE", "hire_date": "2021-01-04", "base_salary": 9e4,
    ...         "target_incentive": 6e4, "home_lat": [40.0, 40.0], "home_lon": [-80.0, -75.0]}),
    ...     accounts=pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"], "name": "x",
    ...         "lat": 40.0, "lon": [-80.1, -79.9, -75.1, -79.8], "potential": 1e5,
    ...         "rep_id": ["R1", "R1", "R2", "R2"]}),
    ...     bookings=pd.DataFrame({"deal_id": ["D1"], "account_id": "A1", "date": "2024-05-02",
    ...         "rep_id": "R1", "amount": 1e3, "product": "Core"}))
    >>> moves = pd.DataFrame({"account_id": ["A4"], "rep_id": ["R1"]})
    >>> check_alignment(moves, book, ["R1", "R2"]).tolist()
    ['R1', 'R1', 'R2', 'R1']
    >>> check_alignment(pd.DataFrame({"account_id": ["A3", "A4"], "rep_id": "R1"}), book,
    ...                 ["R1", "R2"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: ...rep 'R2' owns accounts now but none in the alignment...
    """
    ids = book.accounts["account_id"].astype(str)
    known = set(rep_ids)
    acc = frame["account_id"].astype(str).to_numpy()
    reps = frame["rep_id"].astype(str).to_numpy()
    unknown = np.flatnonzero(~pd.Index(acc).isin(ids))
    if len(unknown):
        i = int(unknown[0])
        raise DataError(
            f"account {acc[i]!r} is not in the book's accounts.csv ({len(unknown)} unknown "
            "account(s)); an alignment designed on counties or another book cannot set "
            "account owners: design it on this book's accounts",
            file=source,
            row=i + 2,
            column="account_id",
            value=acc[i],
        )
    stranger = np.flatnonzero(~pd.Index(reps).isin(list(known)))
    if len(stranger):
        i = int(stranger[0])
        raise DataError(
            f"rep {reps[i]!r} is not a simulated rep of the plan year (the book's reps employed "
            f"on its first day and the scenario's quota.hires; {len(known)} reps, e.g. "
            f"{', '.join(sorted(known)[:3])}); give accounts to those reps, or add the rep as a "
            "planned hire",
            file=source,
            row=i + 2,
            column="rep_id",
            value=reps[i],
        )
    new = pd.Series(reps, index=acc)
    owner = ids.map(new)
    owner = owner.where(owner.notna(), book.accounts["rep_id"].astype("string").to_numpy())
    owner.index = book.accounts.index
    before = set(book.accounts["rep_id"].dropna().astype(str)) & known
    after = set(owner.dropna().astype(str))
    lost = sorted(before - after - set(vacant))
    if lost:
        raise DataError(
            f"rep {lost[0]!r} owns accounts now but none in the alignment ({len(lost)} such "
            "rep(s)): their seat would sell nothing. Give them accounts, or list them under "
            "alignment.vacant to simulate a vacant seat",
            file=source,
            column="rep_id",
            value=lost[0],
        )
    return owner.astype("string")


def design_alignment(
    book: Book, rep_ids: list[str] | tuple[str, ...], settings: AlignmentDesign
) -> pd.DataFrame:
    """The book's accounts assigned to the simulated reps' homes by
    :func:`spm_sim.territory.design`, their current rep as the alignment it disrupts.

    Parameters
    ----------
    book : Book
        Accounts with ``lat``/``lon`` and the measures to balance; reps with
        ``home_lat``/``home_lon``.
    rep_ids : sequence of str
        The reps who get territories (those without a home are left out).
    settings : AlignmentDesign

    Returns
    -------
    DataFrame
        ``account_id, territory, rep_id``, one row per account.

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.book import Book
    >>> book = Book.from_frames(
    ...     reps=pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "region": "E",
    ...         "role": "AE", "hire_date": "2021-01-04", "base_salary": 9e4,
    ...         "target_incentive": 6e4, "home_lat": [40.0, 40.0], "home_lon": [-80.0, -75.0]}),
    ...     accounts=pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"], "name": "x",
    ...         "lat": 40.0, "lon": [-80.1, -79.9, -75.1, -79.8], "potential": 1e5,
    ...         "rep_id": ["R1", "R1", "R2", "R2"]}),
    ...     bookings=pd.DataFrame({"deal_id": ["D1"], "account_id": "A1", "date": "2024-05-02",
    ...         "rep_id": "R1", "amount": 1e3, "product": "Core"}))
    >>> design_alignment(book, ["R1", "R2"], AlignmentDesign(balance={"potential": 0.0}))
      account_id territory rep_id
    0         A1        R1     R1
    1         A2        R1     R1
    2         A3        R2     R2
    3         A4        R2     R2
    """
    from spm_sim.territory import design

    homes = _homes(book)
    if homes is None:
        raise DataError(
            "alignment.design needs each rep's home (reps.csv home_lat, home_lon); give them "
            "or an alignment file",
            file="reps.csv",
            column="home_lat",
        )
    have = [r for r in rep_ids if r in homes.index and homes.loc[r].notna().all()]
    if not have:
        raise DataError("alignment.design: no simulated rep has a home location", file="reps.csv")
    table = homes.loc[have].reset_index().rename(columns={"index": "rep_id"})
    table.columns = ["rep_id", "home_lat", "home_lon"]
    accounts = book.accounts.copy()
    accounts["rep_id"] = accounts["rep_id"].astype("string").fillna("")
    al = design(
        accounts,
        homes=table,
        balance=settings.balance,
        current="rep_id",
        max_disruption=settings.max_disruption,
        disruption_penalty=settings.disruption_penalty,
        objective=settings.objective,
        method=settings.method,
        time_limit=settings.time_limit,
        rng=settings.seed,
        source="accounts",
    )
    return al.to_frame().rename(columns={al.to_frame().columns[0]: "account_id"})


def coverage_multipliers(
    book: Book,
    rep_ids: list[str] | tuple[str, ...],
    owner: pd.Series,
    *,
    potential_elasticity: float,
    travel_elasticity: float,
    vacant: tuple[str, ...] = (),
    vacancy_productivity: float = 0.1,
) -> pd.DataFrame:
    """Each rep's deal-rate factor under a new alignment.

    ``(P_new / P_old)^a x (D_new / D_old)^b``, times ``vacancy_productivity`` for a
    vacant seat. ``P`` is the potential of the rep's accounts (the current ones and
    ``owner``'s), ``D`` the potential-weighted travel (km, at least ``MIN_KM``). A
    rep without accounts now (a planned hire) is measured against the mean current
    territory; a rep without accounts in either, or without a home for the travel,
    keeps a factor of 1 for that part.

    Returns
    -------
    DataFrame
        Index ``rep_id`` (in ``rep_ids`` order): ``potential_old``, ``potential_new``,
        ``travel_old``, ``travel_new``, ``accounts_old``, ``accounts_new``,
        ``potential_ratio`` and ``travel_ratio`` (new over old, 1 where a part cannot
        move), ``potential_factor`` and ``travel_factor`` (the ratios to their
        elasticities), ``vacant``, ``multiplier`` (their product, times
        ``vacancy_productivity`` for a vacant seat).

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> book = load_sample()
    >>> ids = sorted(book.accounts["rep_id"].unique())
    >>> same = coverage_multipliers(book, ids, book.accounts["rep_id"],
    ...                             potential_elasticity=0.4, travel_elasticity=-0.1)
    >>> bool((same["multiplier"] == 1.0).all())
    True
    """
    ids = [str(r) for r in rep_ids]
    old = territory_measures(book, None, ids)
    new = territory_measures(book, owner, ids)
    current = old.loc[old["potential"] > 0, "potential"]
    ref = float(current.mean()) if len(current) else 1.0
    p_old = old["potential"].to_numpy(float)
    p_new = new["potential"].to_numpy(float)
    base = np.where(p_old > 0, p_old, ref)
    # the ratios new / old; 1 where a part cannot move (no accounts in either, no home)
    r_pot = np.where(p_new > 0, p_new / base, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_old = np.maximum(old["travel_km"].to_numpy(float), MIN_KM)
        d_new = np.maximum(new["travel_km"].to_numpy(float), MIN_KM)
        r_trv = d_new / d_old
    r_trv = np.where(np.isfinite(r_trv), r_trv, 1.0)
    # a seat that loses every account it had sells nothing, whatever the elasticity
    lost = (p_new <= 0) & (p_old > 0)
    f_pot = np.where(lost, 0.0, r_pot**potential_elasticity)
    f_trv = r_trv**travel_elasticity
    is_vacant = pd.Index(ids).isin(list(vacant))
    mult = f_pot * f_trv * np.where(is_vacant, vacancy_productivity, 1.0)
    return pd.DataFrame(
        {
            "potential_old": p_old,
            "potential_new": p_new,
            "travel_old": old["travel_km"].to_numpy(float),
            "travel_new": new["travel_km"].to_numpy(float),
            "accounts_old": old["accounts"].to_numpy(int),
            "accounts_new": new["accounts"].to_numpy(int),
            "potential_ratio": r_pot,
            "travel_ratio": r_trv,
            "potential_factor": f_pot,
            "travel_factor": f_trv,
            "vacant": is_vacant,
            "multiplier": mult,
        },
        index=pd.Index(ids, name="rep_id"),
    )


def scale_model(model: ProductivityModel, multipliers: np.ndarray) -> ProductivityModel:
    """A copy of ``model`` whose reps' deal rates are multiplied by ``multipliers``.

    The Gamma posterior of each rate is scaled (rate parameter ``beta / m``), so a
    trial's rate is the same standard-gamma draw times ``m / beta``: the trials of
    the scaled and the original model share their random numbers (the summed
    engine's draws are then monotone in the rate, rep-month by rep-month). A factor
    of 0 (a seat that sells nothing) is kept at 1e-9.

    Examples
    --------
    >>> from spm_sim import fit_productivity, load_sample
    >>> m = fit_productivity(load_sample(), plan_year=2026)
    >>> s = scale_model(m, np.full(m.n_reps, 1.1))
    >>> bool(np.allclose(s.expected_bookings(), 1.1 * m.expected_bookings()))
    True
    """
    mult = np.asarray(multipliers, dtype=float)
    if mult.shape != (model.n_reps,) or not np.isfinite(mult).all() or (mult < 0).any():
        raise ValueError(
            f"scale_model: give one finite factor >= 0 per rep ({model.n_reps}); got shape "
            f"{mult.shape}"
        )
    if (mult == 1.0).all():
        return model
    fit = {**model.fit, "coverage_multiplier": mult.copy()}
    return dataclasses.replace(model, beta=model.beta / np.maximum(mult, 1e-9), fit=fit)
