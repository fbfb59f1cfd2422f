"""Credited measures of one calendar year: what each rep sold, month by month.

One crediting rule for every measure. :func:`credit_deals` decides which deals of
a year count and for whom: a deal is credited to its ``rep_id`` when that rep
carries quota in the year, booked it while employed (``hire_date`` to
``term_date``, inclusive) and has a non-zero annual quota. Every other deal of the
year is listed in :attr:`CreditedDeals.unassigned` with the reason, never dropped
silently. The measures are then read off the credited deals:

* :func:`measure_values`: bookings (money), deals (count) or new logos (count of
  accounts' first deals) per rep and month, of one product or of all;
* :func:`cancelled_values`: what cancellations take back from those measures for
  a clawback, in the month of the cancellation;
* :func:`measure_arrays` and :func:`cancellation_arrays`: the same for a list of
  ``(name, kind, product)`` measure definitions, as a dict ``name -> array``, the
  form the compensation kernel takes.

Arrays have shape ``(n_reps, 12)``: the reps in the order given to
:func:`credit_deals`, the months January to December of the year.

Examples
--------
>>> import pandas as pd
>>> from spm_sim.book import Book
>>> book = Book.from_frames(
...     reps=pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"], "region": "East",
...         "role": "AE", "hire_date": ["2020-01-01", "2025-03-01"],
...         "base_salary": 9e4, "target_incentive": 6e4}),
...     accounts=pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Bolt"],
...         "lat": 41.9, "lon": -87.6, "segment": "SMB", "industry": "Retail",
...         "potential": 5e5, "workload": 40}),
...     bookings=pd.DataFrame({"deal_id": ["D1", "D2", "D3", "D4"],
...         "date": ["2024-05-02", "2025-01-10", "2025-02-03", "2025-04-07"],
...         "account_id": ["A1", "A1", "A2", "A2"], "rep_id": ["R1", "R1", "R1", "R2"],
...         "amount": [900.0, 1000.0, 2500.0, 400.0], "product": "Core",
...         "cancelled_date": [None, None, "2025-03-01", None]}))
>>> credited = credit_deals(book, 2025, ["R1", "R2"])
>>> measure_values(credited, kind="bookings")[:, :4]
array([[1000., 2500.,    0.,    0.],
       [   0.,    0.,    0.,  400.]])
>>> measure_values(credited, kind="new_logos")[:, :4]   # A2's first deal is D3
array([[0., 1., 0., 0.],
       [0., 0., 0., 0.]])
>>> cancelled_values(credited, kind="bookings", window_days=30)[0, :4]  # D3: 26 days
array([   0.,    0., 2500.,    0.])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.errors import DataError

from .schema import SCHEMA

__all__ = [
    "KINDS",
    "CreditedDeals",
    "credit_deals",
    "measure_values",
    "cancelled_values",
    "measure_arrays",
    "cancellation_arrays",
    "first_deals",
]

#: What a measure counts: money booked, deals, or accounts won for the first time.
KINDS: tuple[str, ...] = ("bookings", "deals", "new_logos")


@dataclass(frozen=True, eq=False)
class CreditedDeals:
    """The deals of one calendar year credited to reps, and those that were not.

    Build it with :func:`credit_deals`; read measures off it with
    :func:`measure_values` and :func:`cancelled_values`.

    Attributes
    ----------
    year : int
    rep_ids : tuple of str
        The reps that can be credited, in the order of the arrays' rep axis.
    deals : DataFrame
        The credited deals of ``year``, sorted by ``date`` then ``deal_id`` (a fixed
        order, so every sum is the same whatever the file's row order): the
        bookings columns of the schema (extra columns are left out), then
        ``rep_index`` (int, position in ``rep_ids``), ``month`` (0 = January) and
        ``new_logo`` (bool: the first deal of its account in the whole book).
    unassigned : DataFrame
        Deals of ``year`` not credited, one row per rep and reason:
        ``rep_id, deals, amount, reason``.
    products : tuple of str
        Every product of the book's bookings (all years), sorted.
    """

    year: int
    rep_ids: tuple[str, ...]
    deals: pd.DataFrame
    unassigned: pd.DataFrame
    products: tuple[str, ...]

    @property
    def n_reps(self) -> int:
        """Length of the rep axis."""
        return len(self.rep_ids)


# --------------------------------------------------------------------------- crediting


def _grouped(deals: pd.DataFrame, reason: Callable[[str], str]) -> pd.DataFrame:
    """Deals per rep (count, amount) with ``reason(rep_id)``, one row per rep."""
    g = deals.groupby(deals["rep_id"].astype(str), sort=True)["amount"].agg(["size", "sum"])
    rows = [(r, int(n), float(a), reason(str(r))) for r, (n, a) in g.iterrows()]
    return pd.DataFrame(rows, columns=["rep_id", "deals", "amount", "reason"]).astype(
        {"deals": "int64", "amount": "float64"}
    )


def _outside_reason(rep: pd.Series) -> str:
    left = f", left {rep['term_date']:%Y-%m-%d}" if pd.notna(rep["term_date"]) else ""
    return f"booked outside employment (hired {rep['hire_date']:%Y-%m-%d}{left})"


def _no_quota_reason(reps: pd.DataFrame, year: int) -> Callable[[str], str]:
    first = pd.Timestamp(year, 1, 1)

    def why(rep_id: str) -> str:
        rep = reps.loc[rep_id]
        if pd.notna(rep["term_date"]) and rep["term_date"] < first:
            return f"left {rep['term_date']:%Y-%m-%d}, before {year}"
        hired = f"hired {rep['hire_date']:%Y-%m-%d}"
        if rep["hire_date"].year > year:
            return f"{hired}, after {year}: booked before being hired"
        if rep["hire_date"] > first:
            return f"{hired}, during {year}; not in the quotas for {year}"
        return f"not in the quotas for {year}"

    return why


def first_deals(bookings: pd.DataFrame) -> pd.Series:
    """True for the first deal of each account in ``bookings`` (date, then deal_id).

    Returns
    -------
    Series of bool, aligned with ``bookings``: the new logos.
    """
    ordered = bookings.sort_values(["date", "deal_id"], kind="stable")
    first = ~ordered["account_id"].astype(str).duplicated(keep="first")
    return first.reindex(bookings.index)


def credit_deals(
    book: Any,
    year: int,
    rep_ids: Sequence[str],
    *,
    annual_quota: Any = None,
) -> CreditedDeals:
    """Credit the deals of one calendar year to reps, by the one crediting rule.

    Parameters
    ----------
    book : Book
        Its ``bookings`` (all years, for new logos) and ``reps`` (hire and term
        dates) are used.
    year : int
        The calendar year whose deals are credited (by the deal's ``date``).
    rep_ids : sequence of str
        The reps who carry quota in ``year``, in the order of the rep axis of every
        array read off the result. Each must be a ``rep_id`` of the book, once.
    annual_quota : array_like, shape (n_reps,), optional
        Each rep's annual quota (any unit: only ``<= 0`` matters). A rep whose
        quota is 0 is credited nothing: there is nothing to measure their deals
        against. Default: every rep has a quota.

    Returns
    -------
    CreditedDeals

    Raises
    ------
    DataError
        If a rep of ``rep_ids`` is not in the book (with a did-you-mean).
    ValueError
        If ``rep_ids`` names a rep twice, or ``annual_quota`` does not have one
        finite value per rep.
    TypeError
        If ``year`` is not an int.

    Notes
    -----
    A deal of ``year`` is credited to its ``rep_id`` in the month of its ``date``
    when all of these hold, and listed in ``unassigned`` with the first reason that
    applies otherwise:

    1. the rep is in ``rep_ids`` (else: left before the year, hired during it, or
       not in the quotas for the year);
    2. the deal is dated within the rep's employment, ``hire_date <= date <=
       term_date`` (else: booked outside employment);
    3. the rep's annual quota is not 0 (else: nothing to measure).

    A cancelled deal is credited like any other; :func:`cancelled_values` says
    what its cancellation takes back.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> book = load_sample()
    >>> credited = credit_deals(book, 2025, ["R001", "R069"])
    >>> credited.deals.columns[-3:].tolist()
    ['rep_index', 'month', 'new_logo']
    >>> sorted(set(credited.deals["rep_id"]))
    ['R001', 'R069']
    >>> credited.unassigned.query("rep_id == 'R082'")["reason"].item()
    'hired 2025-01-03, during 2025; not in the quotas for 2025'
    """
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise TypeError(f"year must be an int such as 2025; got {year!r}")
    year = int(year)
    rep_ids = tuple(str(r) for r in rep_ids)
    seen: set[str] = set()
    for r in rep_ids:
        if r in seen:
            raise ValueError(f"rep_ids names rep {r!r} twice; give each rep once.")
        seen.add(r)
    reps = book.reps.set_index(book.reps["rep_id"].astype(str), drop=False)
    unknown = [r for r in rep_ids if r not in reps.index]
    if unknown:
        raise DataError(
            f"rep {unknown[0]!r} is not in the book's reps ({len(unknown)} unknown)."
            + suggest(unknown[0], reps.index)
        )
    if annual_quota is None:
        quota = np.ones(len(rep_ids))
    else:
        quota = np.asarray(annual_quota, dtype=float)
        if quota.shape != (len(rep_ids),) or not np.all(np.isfinite(quota)):
            raise ValueError(
                f"annual_quota must hold one finite number per rep ({len(rep_ids)}); got an "
                f"array of shape {quota.shape}"
                + ("" if quota.shape != (len(rep_ids),) else " with NaN or infinite values")
                + "."
            )
    sel = reps.loc[list(rep_ids)]

    # the schema's columns only: extra columns of the file cannot collide with ours
    all_deals = book.bookings[[c for c in SCHEMA["bookings"].names if c in book.bookings]]
    logo = first_deals(all_deals)
    in_year = (all_deals["date"].dt.year == year).to_numpy(dtype=bool)
    deals = all_deals[in_year].assign(_logo=logo[in_year].to_numpy(dtype=bool))
    deals = deals.sort_values(["date", "deal_id"], kind="stable")  # fixed order of the sums
    row = pd.Index(rep_ids).get_indexer(deals["rep_id"].astype(str))
    on = row >= 0
    at = np.where(on, row, 0)
    date = deals["date"].to_numpy()
    hire = sel["hire_date"].to_numpy()[at]
    term = sel["term_date"].to_numpy()[at]
    employed = (date >= hire) & (pd.isna(term) | (date <= term))
    zero_quota = (quota <= 0)[at]
    credit = on & employed & ~zero_quota
    outside = on & ~employed
    no_quota = on & employed & zero_quota
    unassigned = pd.concat(
        [
            _grouped(deals[~on], _no_quota_reason(reps, year)),
            _grouped(deals[outside], lambda r: _outside_reason(reps.loc[r])),
            _grouped(deals[no_quota], lambda r: f"quota is 0 in {year}: nothing to measure"),
        ],
        ignore_index=True,
    )
    credited = deals[credit].assign(
        rep_index=row[credit],
        month=deals["date"].dt.month.to_numpy()[credit] - 1,
        new_logo=deals["_logo"].to_numpy(dtype=bool)[credit],
    )
    products = tuple(sorted(str(p) for p in all_deals["product"].dropna().unique()))
    return CreditedDeals(
        year=year,
        rep_ids=rep_ids,
        deals=credited.drop(columns="_logo").reset_index(drop=True),
        unassigned=unassigned,
        products=products,
    )


# --------------------------------------------------------------------------- measures


def _check_kind(kind: Any) -> str:
    if kind == "score":
        raise ValueError(
            "kind 'score' is not counted from deals: a score measure is given per rep and "
            "month by the caller."
        )
    if kind not in KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(KINDS)}; got {kind!r}.{suggest(str(kind), KINDS)}"
        )
    return str(kind)


def _select(credited: CreditedDeals, product: str | None) -> pd.DataFrame:
    deals = credited.deals
    if product is None:
        return deals
    if product not in credited.products:
        has = ", ".join(repr(p) for p in credited.products) or "none"
        raise DataError(
            f"product {product!r} is not a product of the book's bookings (it has: {has})."
            f"{suggest(str(product), credited.products)} Use one of these names, spelled as in "
            "the bookings' product column."
        )
    return deals[(deals["product"] == product).to_numpy(dtype=bool)]


def _units(deals: pd.DataFrame, kind: str) -> np.ndarray:
    """What each deal adds to a measure of ``kind``."""
    if kind == "bookings":
        return deals["amount"].to_numpy(float)
    if kind == "deals":
        return np.ones(len(deals))
    return deals["new_logo"].to_numpy(float)


def measure_values(
    credited: CreditedDeals, *, kind: str = "bookings", product: str | None = None
) -> np.ndarray:
    """A measure per rep and month of the credited deals.

    Parameters
    ----------
    credited : CreditedDeals
        From :func:`credit_deals`.
    kind : {'bookings', 'deals', 'new_logos'}, default 'bookings'
        ``bookings``: the sum of the deals' ``amount`` (in the book's currency);
        ``deals``: the number of deals; ``new_logos``: the number of deals that are
        their account's first deal in the whole book (earliest ``date``, ties
        broken by ``deal_id`` compared as text).
    product : str, optional
        Keep only the deals of this product. For ``new_logos``, the accounts whose
        first deal was of this product.

    Returns
    -------
    ndarray, shape (n_reps, 12)
        The measure per rep (order of ``credited.rep_ids``) and month of the deal's
        ``date`` (January first). Cancelled deals are included; see
        :func:`cancelled_values` for what their cancellation takes back.

    Raises
    ------
    ValueError
        If ``kind`` is not one of the kinds (with a did-you-mean).
    DataError
        If ``product`` is not a product of the book (the message lists them, with
        a did-you-mean).

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> book = load_sample()
    >>> credited = credit_deals(book, 2025, ["R001", "R002"])
    >>> measure_values(credited, kind="deals").shape
    (2, 12)
    >>> total = measure_values(credited, kind="bookings").sum()
    >>> parts = sum(measure_values(credited, product=p).sum() for p in credited.products)
    >>> bool(abs(total - parts) < 1e-6)
    True
    >>> measure_values(credited, product="Analytic")
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: product 'Analytic' is not ... Did you mean 'Analytics'? ...
    """
    kind = _check_kind(kind)
    deals = _select(credited, product)
    out = np.zeros((credited.n_reps, 12))
    np.add.at(
        out,
        (deals["rep_index"].to_numpy(int), deals["month"].to_numpy(int)),
        _units(deals, kind),
    )
    return out


def _check_window(window_days: Any) -> int:
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)):
        raise TypeError(
            f"window_days must be a whole number of days such as 90; got {window_days!r}"
        )
    if window_days < 0:
        raise ValueError(f"window_days must be >= 0 (days after booking); got {window_days}.")
    return int(window_days)


def cancelled_values(
    credited: CreditedDeals,
    *,
    kind: str = "bookings",
    product: str | None = None,
    window_days: int,
) -> np.ndarray:
    """What cancellations take back from a measure, per rep and month, for a clawback.

    Parameters
    ----------
    credited : CreditedDeals
        From :func:`credit_deals`.
    kind : {'bookings', 'deals', 'new_logos'}, default 'bookings'
        As in :func:`measure_values`.
    product : str, optional
        As in :func:`measure_values`.
    window_days : int >= 0
        A deal cancelled at most this many days after its booking date is reversed;
        one cancelled later stays credited.

    Returns
    -------
    ndarray, shape (n_reps, 12)
        The amount (``bookings``) or count (``deals``, ``new_logos``) reversed, per
        rep and month of the ``cancelled_date``; >= 0, to be subtracted. All zeros
        when the bookings have no ``cancelled_date`` column.

    Raises
    ------
    ValueError, TypeError
        If ``window_days`` is not a whole number >= 0, or ``kind`` is unknown.
    DataError
        If ``product`` is not a product of the book.

    Notes
    -----
    A credited deal ``d`` is reversed when ``cancelled_date_d - date_d <=
    window_days`` (in days) and it is cancelled in the same calendar year: it
    counts in its booking month (:func:`measure_values`) and is taken back in its
    cancellation month, so the net measure is ``measure_values - cancelled_values``.
    A deal booked in one year and cancelled in the next is not reversed here (each
    year is credited on its own). A cancelled new logo is reversed as a new logo;
    the account's next deal does not become its first.

    Examples
    --------
    >>> import pandas as pd
    >>> from spm_sim.book import Book
    >>> book = Book.from_frames(
    ...     reps=pd.DataFrame({"rep_id": ["R1"], "name": ["Ann"], "region": "East",
    ...         "role": "AE", "hire_date": "2020-01-01", "base_salary": 9e4,
    ...         "target_incentive": 6e4}),
    ...     accounts=pd.DataFrame({"account_id": ["A1"], "name": ["Acme"], "lat": 41.9,
    ...         "lon": -87.6, "segment": "SMB", "industry": "Retail", "potential": 5e5,
    ...         "workload": 40}),
    ...     bookings=pd.DataFrame({"deal_id": ["D1", "D2"], "account_id": "A1",
    ...         "date": ["2025-01-20", "2025-02-10"], "rep_id": "R1",
    ...         "amount": [1000.0, 300.0], "product": "Core",
    ...         "cancelled_date": ["2025-03-05", "2025-06-30"]}))
    >>> credited = credit_deals(book, 2025, ["R1"])
    >>> cancelled_values(credited, window_days=60)[0, :6]   # D1 after 44 days; D2 after 140
    array([   0.,    0., 1000.,    0.,    0.,    0.])
    >>> cancelled_values(credited, kind="deals", window_days=140)[0, :6]
    array([0., 0., 1., 0., 0., 1.])
    """
    kind = _check_kind(kind)
    window = _check_window(window_days)
    deals = _select(credited, product)
    out = np.zeros((credited.n_reps, 12))
    if "cancelled_date" not in deals.columns:
        return out
    cancelled = pd.to_datetime(deals["cancelled_date"])
    within = (cancelled - deals["date"]).dt.days <= window  # False where not cancelled
    back = (within & (cancelled.dt.year == credited.year)).to_numpy(dtype=bool)
    rep = deals["rep_index"].to_numpy(int)[back]
    month = cancelled[back].dt.month.to_numpy(int) - 1
    np.add.at(out, (rep, month), _units(deals, kind)[back])
    return out


# --------------------------------------------------------------------------- by name


def _definitions(definitions: Iterable[Any]) -> list[tuple[str, str, str | None]]:
    """``(name, kind, product)`` triples from tuples or objects with those attributes."""
    out: list[tuple[str, str, str | None]] = []
    for d in definitions:
        if hasattr(d, "name") and hasattr(d, "kind"):
            name, kind, product = d.name, d.kind, getattr(d, "product", None)
        else:
            try:
                name, kind, product = d
            except (TypeError, ValueError):
                raise TypeError(
                    f"a measure definition is (name, kind, product) or an object with name, "
                    f"kind and product; got {d!r}"
                ) from None
        if any(name == n for n, _, _ in out):
            raise ValueError(f"measure {name!r} is defined twice; names must be unique.")
        out.append((str(name), kind, product))
    return out


def measure_arrays(credited: CreditedDeals, definitions: Iterable[Any]) -> dict[str, np.ndarray]:
    """Every measure of a list of definitions, by name.

    Parameters
    ----------
    credited : CreditedDeals
        From :func:`credit_deals`.
    definitions : iterable of (name, kind, product)
        Tuples, or objects with ``name``, ``kind`` and ``product`` attributes (such
        as a plan's measures). ``product`` may be None (all products).

    Returns
    -------
    dict of str to ndarray, shape (n_reps, 12)
        :func:`measure_values` of each definition, in the order given.

    Raises
    ------
    ValueError
        If a name appears twice or a kind is unknown.
    DataError
        If a product is not a product of the book.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> credited = credit_deals(load_sample(), 2025, ["R001", "R002"])
    >>> m = measure_arrays(credited, [("bookings", "bookings", None),
    ...                               ("platform_deals", "deals", "Platform")])
    >>> {name: a.shape for name, a in m.items()}
    {'bookings': (2, 12), 'platform_deals': (2, 12)}
    """
    return {
        name: measure_values(credited, kind=kind, product=product)
        for name, kind, product in _definitions(definitions)
    }


def cancellation_arrays(
    credited: CreditedDeals,
    definitions: Iterable[Any],
    *,
    window_days: int | Mapping[str, int],
) -> dict[str, np.ndarray]:
    """What cancellations take back from each measure of a list, by name.

    Parameters
    ----------
    credited : CreditedDeals
        From :func:`credit_deals`.
    definitions : iterable of (name, kind, product)
        As in :func:`measure_arrays`.
    window_days : int or mapping of str to int
        The clawback window in days, for every measure or per measure name (every
        name of ``definitions`` must then be given).

    Returns
    -------
    dict of str to ndarray, shape (n_reps, 12)
        :func:`cancelled_values` of each definition, in the order given.

    Raises
    ------
    ValueError
        If ``window_days`` is a mapping without one of the names, or as
        :func:`cancelled_values` and :func:`measure_arrays`.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> credited = credit_deals(load_sample(), 2025, ["R001"])
    >>> back = cancellation_arrays(credited, [("bookings", "bookings", None)], window_days=90)
    >>> float(back["bookings"].sum())    # the sample book has no cancellations
    0.0
    """
    defs = _definitions(definitions)
    if isinstance(window_days, Mapping):
        missing = [n for n, _, _ in defs if n not in window_days]
        if missing:
            raise ValueError(
                f"window_days has no window for measure {missing[0]!r}; give one per measure "
                "or a single number."
            )
        windows = {n: window_days[n] for n, _, _ in defs}
    else:
        windows = {n: window_days for n, _, _ in defs}
    return {
        name: cancelled_values(credited, kind=kind, product=product, window_days=windows[name])
        for name, kind, product in defs
    }
