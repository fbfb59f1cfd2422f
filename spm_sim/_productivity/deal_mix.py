"""What simulated deals are: product and new logo, for plans with several measures.

The productivity model (:mod:`spm_sim.productivity`) draws each deal's month and
amount. A plan that pays on a product line or on new logos also needs to know which
product a deal is and whether it opens a new account. :func:`fit_deal_mix` reads
that mix from each rep's recent history, and :func:`draw_measures` gives every
simulated deal a product and a new-logo flag, then sums the plan's measures.

Assumptions (see ``docs/model.md``): a deal's product and new-logo flag are
independent of each other and of its size, with each rep's shares of the trailing
twelve months shrunk toward the company's (a rep with few deals looks like the
company). Scores (MBO) are drawn from the component's ``probabilities``.

Examples
--------
>>> from spm_sim import load_sample
>>> mix = fit_deal_mix(load_sample(), ["R001", "R002"], plan_year=2026)
>>> mix.products
('Analytics', 'Platform', 'Services')
>>> bool(abs(mix.product_share.sum(axis=1) - 1).max() < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_sim._spec import suggest
from spm_sim.book import Book, first_deals
from spm_sim.comp import MBO, Plan
from spm_sim.errors import DataError

from .model import history_end

__all__ = ["DealMix", "fit_deal_mix", "check_products", "draw_measures", "PRIOR_DEALS"]

#: Weight of the company's shares in a rep's, in deals: a rep with this many
#: deals in the trailing year is halfway between their own shares and the company's.
PRIOR_DEALS = 20.0


@dataclass(frozen=True)
class DealMix:
    """Per-rep chances that a deal is of each product, and that it is a new logo.

    Attributes
    ----------
    rep_ids : tuple of str
    products : tuple of str
        Sorted product names of the book.
    product_share : ndarray, shape (n_reps, n_products)
        Chance a rep's deal is of each product; rows sum to 1.
    new_logo_share : ndarray, shape (n_reps,)
        Chance a rep's deal is the first deal of its account.
    """

    rep_ids: tuple[str, ...]
    products: tuple[str, ...]
    product_share: np.ndarray
    new_logo_share: np.ndarray


def _shrunk(counts: np.ndarray, company: np.ndarray) -> np.ndarray:
    n = counts.sum(axis=-1, keepdims=True)
    return (counts + PRIOR_DEALS * company) / (n + PRIOR_DEALS)


def fit_deal_mix(book: Book, rep_ids: Sequence[str], *, plan_year: int) -> DealMix:
    """Product and new-logo shares per rep from the trailing twelve months of history.

    Parameters
    ----------
    book : Book
    rep_ids : sequence of str
        The simulated reps, in the order of the model's rep axis.
    plan_year : int
        The trailing twelve months end at the history end for this plan year
        (``productivity.history_end``).

    Returns
    -------
    DealMix
        Shares shrunk toward the company's with :data:`PRIOR_DEALS`.
    """
    end = history_end(book, plan_year)
    hist = book.bookings[book.bookings["date"] <= end]
    new = first_deals(hist)
    recent = hist["date"] > end - pd.DateOffset(years=1)
    deals = hist[recent]
    products = tuple(sorted(hist["product"].astype(str).unique()))
    reps = [str(r) for r in rep_ids]
    row = pd.Index(reps).get_indexer(deals["rep_id"].astype(str))
    col = pd.Index(products).get_indexer(deals["product"].astype(str))
    counts = np.zeros((len(reps), len(products)))
    on = row >= 0
    np.add.at(counts, (row[on], col[on]), 1.0)
    company = np.bincount(col, minlength=len(products)) / max(len(deals), 1)
    logos = np.zeros((len(reps), 2))
    flag = new[recent].to_numpy(bool)
    np.add.at(logos, (row[on], flag[on].astype(int)), 1.0)
    logo_company = np.array([1.0 - flag.mean(), flag.mean()]) if len(flag) else np.array([1.0, 0])
    return DealMix(
        rep_ids=tuple(reps),
        products=products,
        product_share=_shrunk(counts, company),
        new_logo_share=_shrunk(logos, logo_company)[:, 1],
    )


def check_products(plan: Plan, mix: DealMix) -> None:
    """Raise a DataError naming a plan measure's product the book does not sell.

    Examples
    --------
    >>> from spm_sim.comp import load_plan
    >>> mix = DealMix(("R1",), ("Core",), np.ones((1, 1)), np.zeros(1))
    >>> plan = load_plan({"name": "P", "measures": [{"name": "c", "product": "Cor"}],
    ...     "components": [{"type": "spiff", "name": "s", "measure": "c", "start_month": 1,
    ...                     "end_month": 3, "rate": 0.01}]})
    >>> check_products(plan, mix)
    Traceback (most recent call last):
    ...
    spm_sim.errors.DataError: plan 'P' measure 'c': product 'Cor' is not in ... 'Core'?
    """
    for m in plan.measures:
        if m.product is not None and m.product not in mix.products:
            raise DataError(
                f"plan {plan.name!r} measure {m.name!r}: product {m.product!r} is not in the "
                f"book's products ({', '.join(mix.products)}).{suggest(m.product, mix.products)}"
            )


def draw_measures(
    plan: Plan,
    mix: DealMix,
    cell: np.ndarray,
    sizes: np.ndarray,
    shape: tuple[int, ...],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """The plan's declared measures for one trial's simulated deals (or a batch's).

    Parameters
    ----------
    plan : Plan
    mix : DealMix
    cell : ndarray of int, shape (n_deals,)
        Flat index of each deal into ``shape`` (``rep * n_periods + period`` for one
        trial; trial-major for a batch).
    sizes : ndarray, shape (n_deals,)
        Each deal's amount.
    shape : (n_reps, n_periods) or (n_trials, n_reps, n_periods)
        (Products are checked once, before the trials: :func:`check_products`.)
    rng : numpy Generator
        The trial's stream, after its bookings were drawn: one uniform per deal for
        the product, one for the new-logo flag, then one per rep and MBO period per
        MBO component with probabilities, in the plan's order. The same stream gives
        the same deals whatever the plan, so plans compare on common random numbers.

    Returns
    -------
    dict of str to ndarray, shape ``shape``
        One array per declared measure (scores included); empty if none.
    """
    if not plan.measures:
        return {}
    n_reps, n_periods = shape[-2:]
    rep = (cell // n_periods) % n_reps
    u_product = rng.random(cell.size)
    u_logo = rng.random(cell.size)
    cum = np.cumsum(mix.product_share, axis=1)
    product = (u_product[:, None] >= cum[rep, :-1]).sum(axis=1) if cell.size else cell
    is_new = u_logo < mix.new_logo_share[rep]
    out: dict[str, np.ndarray] = {}
    size = int(np.prod(shape))
    for m in plan.measures:
        if m.kind == "score":
            continue
        keep = np.ones(cell.size, dtype=bool)
        if m.product is not None:
            keep &= product == mix.products.index(m.product)
        if m.kind == "new_logos":
            keep &= is_new
        weights = sizes[keep] if m.kind == "bookings" else None
        out[m.name] = np.bincount(cell[keep], weights=weights, minlength=size).reshape(shape)
        out[m.name] = out[m.name].astype(float)
    for c in plan.components:
        if isinstance(c, MBO):
            out[c.measure] = _draw_scores(c, shape, rng)
    for m in plan.measures:
        out.setdefault(m.name, np.ones(shape))  # a score no MBO reads
    return out


def _draw_scores(c: MBO, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """MBO scores per rep and period: a level drawn per period, or on target (1.0)."""
    if c.probabilities is None:
        return np.ones(shape)
    scores = np.array([lv.score for lv in c.levels])
    level = rng.choice(len(scores), size=shape, p=np.asarray(c.probabilities))
    return scores[level]
