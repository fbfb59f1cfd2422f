"""The reps' response estimated from a book and combined with the literature's priors.

:func:`estimate_behaviour` reads the rep-month panel (:mod:`.panel`), solves two
sets of moments (:mod:`.gmm`) and combines each estimate with its prior
(:mod:`.priors`) by precision:

* the **reduced form**: the change in a month's bookings in each state (give-up
  below a threshold, near the cap, after quota, a settlement month near an edge,
  the month after it), for the table and the planner;
* the **month loop's parameters**: the effort elasticity (the log of the expected
  marginal pay at the projected attainment, the month loop's own rule), the effort
  with nothing more to earn (``min_effort``) and the share of next month pulled in
  at a settlement (``pull_forward``), which become a
  :class:`spm_sim.productivity.Behaviour`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from spm_sim.book import Book
from spm_sim.comp import Plan, load_plan
from spm_sim.errors import implausible
from spm_sim.productivity import Behaviour
from spm_sim.quota import QuotaSettings, quotas_from_history
from spm_sim.random import RngLike

from .gmm import MomentFit, fit_moments
from .panel import build_panel, quota_years, rep_year_arrays
from .priors import PRIORS, Prior
from .states import CAP_BAND, plan_shape

__all__ = [
    "BehaviourEstimate",
    "estimate_behaviour",
    "prior_behaviour",
    "TABLE_COLUMNS",
    "MIN_MONTHS",
    "MIN_REPS",
]

#: an effect is estimated from the book only with this many rep-months in its state ...
MIN_MONTHS = 20
#: ... held by at least this many reps
MIN_REPS = 5
#: the book's weight from which the table says "book" (below 1 - this: "prior")
_DOMINANT = 0.9
_Z95 = float(norm.ppf(0.975))

TABLE_COLUMNS = (
    "effect",
    "parameter",
    "estimate",
    "se",
    "low",
    "high",
    "unit",
    "source",
    "book_weight",
    "book_estimate",
    "book_se",
    "book_low",
    "book_high",
    "prior",
    "prior_low",
    "prior_high",
    "reference",
    "identified_by",
    "n",
    "note",
)

_REDUCED = ("give_up", "near_cap", "post_quota", "bunch", "dip")
_STRUCTURAL = ("effort_term", "flat", "bunch", "dip")
_LABELS = {
    "bunch": "bunching before a period end, near a threshold or accelerator",
    "dip": "dip in the month after that period end",
    "post_quota": "slowdown after quota reached",
    "near_cap": "slowdown near the cap",
    "give_up": "give-up below threshold (out of reach)",
    "effort_elasticity": "effort elasticity to marginal pay",
    "min_effort": "effort with nothing more to earn",
    "max_effort": "most effort an accelerator buys",
    "pull_forward": "share of next month pulled into a period end",
    "push_out": "share of December pushed into January",
    "timing_cost": "cost of moving a deal across a period end",
}
_UNITS = {
    "bunch": "change of the month's bookings",
    "dip": "change of the month's bookings",
    "post_quota": "change of the month's bookings",
    "near_cap": "change of the month's bookings",
    "give_up": "change of the month's bookings",
    "effort_elasticity": "d log effort / d log marginal pay",
    "min_effort": "x bookings",
    "max_effort": "x bookings",
    "pull_forward": "share of next month's expected bookings",
    "push_out": "share of the month's bookings",
    "timing_cost": "x TCR per dollar moved",
}
_NOT_IN_BOOK = {
    "max_effort": "not identified: the effort term reads marginal pay up to 4x TCR "
    "without a ceiling",
    "push_out": "not estimated: pushing deals out of December needs next January's "
    "bookings of reps with nothing to gain, too few in a book of a few years",
    "timing_cost": "not identified from bookings: it needs deal prices and discounts",
}


def _identified_by(key: str, settlements: tuple[int, ...]) -> str:
    months = "December" if settlements == (12,) else "quarter ends and December"
    if len(settlements) == 12:
        months = "every month end"
    text = {
        "bunch": f"settlement months ({months}) of reps within one month's quota of a "
        "threshold or accelerator, against the rest of the same rep-year",
        "dip": "the month after such a settlement month, against the rest of the rep-year",
        "post_quota": "months after year-to-date bookings passed quota, against the rest "
        "of the same rep-year",
        "near_cap": f"months with year-to-date attainment within {CAP_BAND:.0%} of quota "
        "of the cap or past it",
        "give_up": "months with the threshold out of reach (above the projection by more "
        "than 1.96 sd of the rest of the year)",
        "effort_elasticity": "the expected marginal pay at the projected attainment "
        "(reference plan's curve, x TCR) as it changes month to month in a rep-year",
        "min_effort": "months with nothing more to earn (threshold out of reach, cap "
        "near), against the rest of the rep-year",
        "pull_forward": "the bunching and the dip at settlements (the same structural "
        "fit), as shares of next month's expected bookings",
    }
    return text.get(key, "")


def _to_scale(value: float, scale: str) -> float:
    if scale == "log1p":
        return float(np.log1p(value))
    if scale == "log":
        return float(np.log(value))
    return float(value)


def _from_scale(value: float, scale: str) -> float:
    if scale == "log1p":
        return float(np.expm1(value))
    if scale == "log":
        return float(np.exp(value))
    return float(value)


def _prior_sd(p: Prior) -> float:
    lo, hi = _to_scale(max(p.low, -0.999), p.scale), _to_scale(p.high, p.scale)
    return (hi - lo) / (2.0 * _Z95)


@dataclass(frozen=True)
class _Book:
    """A book estimate on the effect's scale (None when not identified)."""

    value: float | None
    se: float | None
    n: int
    note: str = ""


def _combine(key: str, book: _Book, settlements: tuple[int, ...]) -> dict[str, Any]:
    p = PRIORS[key]
    mu0, sd0 = _to_scale(p.value, p.scale), _prior_sd(p)
    row: dict[str, Any] = {
        "effect": _LABELS[key],
        "parameter": key,
        "unit": _UNITS[key],
        "prior": p.value,
        "prior_low": p.low,
        "prior_high": p.high,
        "reference": p.reference,
        "identified_by": _identified_by(key, settlements) or _NOT_IN_BOOK.get(key, ""),
        "n": int(book.n),
        "note": book.note or _NOT_IN_BOOK.get(key, ""),
    }
    ok = book.value is not None and book.se is not None and np.isfinite(book.se) and book.se > 0
    if ok:
        assert book.value is not None and book.se is not None
        b, s = float(book.value), float(book.se)
        w = (1.0 / s**2) / (1.0 / s**2 + 1.0 / sd0**2)
        mu = w * b + (1.0 - w) * mu0
        sd = float(np.sqrt(1.0 / (1.0 / s**2 + 1.0 / sd0**2)))
        row.update(
            book_weight=w,
            book_estimate=_from_scale(b, p.scale),
            book_se=_se_natural(b, s, p.scale),
            book_low=_from_scale(b - _Z95 * s, p.scale),
            book_high=_from_scale(b + _Z95 * s, p.scale),
            source="book" if w >= _DOMINANT else "prior" if w <= 1 - _DOMINANT else "book + prior",
        )
    else:
        w, mu, sd = 0.0, mu0, sd0
        row.update(
            book_weight=0.0,
            book_estimate=np.nan,
            book_se=np.nan,
            book_low=np.nan,
            book_high=np.nan,
            source="prior",
        )
    lo_b, hi_b = p.bounds
    if w == 0.0:
        # the prior alone: its own range (its centre need not be the range's middle)
        low, high = p.low, p.high
    else:
        low = _from_scale(mu - _Z95 * sd, p.scale)
        high = _from_scale(mu + _Z95 * sd, p.scale)
    row.update(
        estimate=float(np.clip(_from_scale(mu, p.scale), lo_b, hi_b)),
        se=_se_natural(mu, sd, p.scale),
        low=float(np.clip(low, lo_b, hi_b)),
        high=float(np.clip(high, lo_b, hi_b)),
        _mu=mu,
        _sd=sd,
        _w=w,
        _scale=p.scale,
    )
    return row


def _se_natural(mu: float, sd: float, scale: str) -> float:
    """The standard error on the natural scale (delta method)."""
    if scale == "log1p" or scale == "log":
        return float(np.exp(mu) * sd)
    return float(sd)


@dataclass(frozen=True, eq=False)
class BehaviourEstimate:
    """The reps' response: the book's estimates, the priors and what they combine to.

    Attributes
    ----------
    behaviour : Behaviour
        The month loop's parameters at the combined estimates (each clipped to the
        range :class:`~spm_sim.productivity.Behaviour` allows), with
        ``reference_plan`` set when one was given.
    effects : DataFrame
        One row per effect (:meth:`table`).
    years : tuple of int
        The history years estimated on.
    notes : tuple of str
        What the estimate rests on (reconstructed quotas, rep-months used).
    reference_plan : Plan or None
    """

    behaviour: Behaviour
    effects: pd.DataFrame
    years: tuple[int, ...]
    notes: tuple[str, ...]
    reference_plan: Plan | None = None
    fits: dict[str, MomentFit] = field(default_factory=dict, repr=False)

    def table(self) -> pd.DataFrame:
        """One row per effect, columns :data:`TABLE_COLUMNS`.

        ``estimate``, ``se``, ``low`` and ``high`` (a 95% interval) are the
        combination of the book and the prior by precision on the effect's scale
        (log of the multiplier for changes of bookings and ``min_effort``);
        ``book_*`` are the book's alone, ``prior*`` the literature's, ``book_weight``
        the book's share of the precision and ``source`` which of them holds it
        (``book`` from 90%, ``prior`` below 10% or when the book cannot identify the
        effect, ``book + prior`` between). ``df.attrs["notes"]`` holds the notes.
        """
        out = self.effects.loc[:, list(TABLE_COLUMNS)].copy()
        out.attrs["notes"] = list(self.notes)
        out.attrs["years"] = list(self.years)
        return out

    def behaviour_at(self, level: float) -> Behaviour:
        """The month loop's parameters at quantile ``level`` of the response's size.

        ``level`` 0.5 is the combined estimate; towards 0 each parameter moves to
        the small-response end of its interval (elasticity, pulls and pushes lower,
        ``min_effort`` higher), towards 1 to the large-response end.

        Examples
        --------
        >>> est = prior_behaviour()
        >>> est.behaviour_at(0.5).effort_elasticity
        0.2
        >>> small, large = est.behaviour_at(0.025), est.behaviour_at(0.975)
        >>> small.effort_elasticity, large.effort_elasticity
        (0.0, 0.5)
        """
        if not (0.0 < float(level) < 1.0):
            raise ValueError(f"level must be in (0, 1), e.g. 0.025 or 0.975; got {level!r}")
        return self._behaviour(float(level))

    def behaviour_range(self) -> tuple[Behaviour, Behaviour]:
        """The month loop's parameters at the small and large ends (95%) of the response.

        What a comparison of plans needs to show how much of a difference rests on
        the response's size: run it at both ends.
        """
        return self._behaviour(0.025), self._behaviour(0.975)

    def _behaviour(self, level: float) -> Behaviour:
        rows = self.effects.set_index("parameter")
        values = {}
        for key in _PARAMETERS:
            r = rows.loc[key]
            # a larger response: a lower floor of effort, a cheaper move
            q = 1.0 - level if key in ("min_effort", "timing_cost") else level
            values[key] = _quantile(r, q)
        return _as_behaviour(values, self.reference_plan)

    def describe(self) -> str:
        """The estimates in plain words, for ``spm-sim fit``."""
        t = self.effects
        years = ", ".join(map(str, self.years)) if self.years else "none"
        lines = [f"The reps' response to the plan (history years {years}):"]
        for _, r in t.iterrows():
            lines.append(f"  {r['effect']}: {_say(r)}")
        b = self.behaviour
        lines.append(
            "Used in the month loop: effort elasticity "
            f"{b.effort_elasticity:.2f}, effort {b.min_effort:.2f}-{b.max_effort:.2f}, pull "
            f"forward {b.pull_forward:.0%}, push out {b.push_out:.0%}, timing cost "
            f"{b.timing_cost:.2f} TCR."
        )
        lines.extend(f"Note: {n}." for n in self.notes)
        return "\n".join(lines)


_PARAMETERS = (
    "effort_elasticity",
    "min_effort",
    "max_effort",
    "pull_forward",
    "push_out",
    "timing_cost",
)


def _quantile(r: pd.Series, q: float) -> float:
    """Quantile ``q`` of an effect: its normal on the effect's scale, or for the prior
    alone a split normal through its centre and both ends of its range."""
    if q == 0.5:
        return float(r["estimate"])
    z = float(norm.ppf(q))
    if r["_w"] == 0.0:
        end = r["prior_low"] if z < 0 else r["prior_high"]
        c, e = _to_scale(r["prior"], r["_scale"]), _to_scale(max(end, -0.999), r["_scale"])
        return _from_scale(c + abs(z) / _Z95 * (e - c), r["_scale"])
    return _from_scale(r["_mu"] + z * r["_sd"], r["_scale"])


def _say(r: pd.Series) -> str:
    pct = r["unit"].startswith("change")
    share = r["unit"].startswith("share")

    def f(v: float) -> str:
        if pct:
            return f"{v:+.1%}"
        if share:
            return f"{v:.0%}"
        return f"{v:.2f}"

    head = f"{f(r['estimate'])} (95% {f(r['low'])} to {f(r['high'])})"
    prior = f"prior {f(r['prior'])} ({f(r['prior_low'])} to {f(r['prior_high'])})"
    if not np.isfinite(r["book_estimate"]):
        why = r["note"] or "the book cannot identify it"
        return f"{head}: the {prior}; {why}"
    book = f"book {f(r['book_estimate'])} ± {f(r['book_se']).lstrip('+')}"
    who = "the book" if r["book_weight"] >= 0.5 else "the prior"
    return f"{head}: {book}, {prior}; {who} weighs more ({r['book_weight']:.0%} book)"


def _as_behaviour(values: dict[str, float], plan: Plan | None) -> Behaviour:
    return Behaviour(
        effort_elasticity=float(np.clip(values["effort_elasticity"], 0.0, 2.0)),
        min_effort=float(np.clip(values["min_effort"], 1e-3, 1.0)),
        max_effort=float(np.clip(values["max_effort"], 1.0, 3.0)),
        pull_forward=float(np.clip(values["pull_forward"], 0.0, 1.0)),
        push_out=float(np.clip(values["push_out"], 0.0, 1.0)),
        timing_cost=float(np.clip(values["timing_cost"], 0.0, 10.0)),
        reference_plan=plan,
    )


def _counts(x: np.ndarray, reps: np.ndarray) -> tuple[int, int]:
    on = x > 0
    return int(on.sum()), int(np.unique(np.broadcast_to(reps[:, None], on.shape)[on]).size)


def _fit(frame: pd.DataFrame, columns: tuple[str, ...], has_plan: bool):
    """Fit the moments on the identified columns; per column (value, se, n, note)."""
    y, x, z, reps, rows = rep_year_arrays(frame, columns)
    out: dict[str, _Book] = {}
    if len(np.unique(reps)) < MIN_REPS:
        note = (
            f"{len(np.unique(reps))} reps have a whole year on quota (employed and ramped all "
            f"year); the moments need {MIN_REPS}: the prior"
        )
        return {c: _Book(None, None, 0, note) for c in columns}, None, x, reps
    keep = []
    for j, c in enumerate(columns):
        if c == "effort_term":
            n = int(x.shape[0] * 12)
            if not has_plan:
                out[c] = _Book(None, None, 0, "needs a reference plan (its marginal pay)")
            elif n < MIN_MONTHS or float(np.std(x[:, :, j])) < 0.02:
                out[c] = _Book(None, None, n, "too little variation in marginal pay")
            else:
                keep.append(j)
            continue
        n, n_reps = _counts(x[:, :, j], reps)
        if n < MIN_MONTHS or n_reps < MIN_REPS:
            out[c] = _Book(
                None,
                None,
                n,
                f"too few rep-months to identify it ({n} in {n_reps} reps; needs "
                f"{MIN_MONTHS} in {MIN_REPS} reps): the prior",
            )
        else:
            keep.append(j)
    if not keep:
        return out, None, x, reps
    cols = tuple(columns[j] for j in keep)
    fit = fit_moments(y, x[:, :, keep], z[:, :, keep], cols, reps)
    se = fit.se()
    for i, c in enumerate(cols):
        n = int(x.shape[0] * 12) if c == "effort_term" else _counts(x[:, :, keep[i]], reps)[0]
        if not fit.converged or not np.isfinite(se[i]) or se[i] <= 0 or se[i] > 5:
            out[c] = _Book(None, None, n, "the book's moments did not pin it down: the prior")
        else:
            out[c] = _Book(float(fit.coef[i]), float(se[i]), n)
    return out, fit, x, reps


def _pull_share(fit: MomentFit | None, frame: pd.DataFrame, shape) -> _Book:
    """``pull_forward`` from the structural fit's bunching and dip."""
    if fit is None:
        return _Book(
            None, None, 0, "too few settlement months near an edge to identify it: the prior"
        )
    names = list(fit.names)
    idx = {c: names.index(c) for c in ("bunch", "dip") if c in names}
    if not idx:
        return _Book(None, None, 0, "too few settlement months near an edge: the prior")
    parts = []
    if "dip" in idx:
        i = idx["dip"]
        parts.append((i, -np.exp(fit.coef[i]), 1.0 - np.exp(fit.coef[i])))
    if "bunch" in idx:
        i = idx["bunch"]
        used = frame[frame["used"] & (frame["bunch"] > 0)]
        g = fit.season
        ratio = np.exp(g[used["month"].to_numpy() - 1] - g[used["month"].to_numpy() % 12])
        r = float(ratio.mean()) if ratio.size else 1.0
        parts.append((i, np.exp(fit.coef[i]) * r, (np.exp(fit.coef[i]) - 1.0) * r))
    # each part's value and gradient; combined by inverse variance (with covariance)
    vals = np.array([p[2] for p in parts])
    grads = np.zeros((len(parts), len(names)))
    for k, (i, d, _) in enumerate(parts):
        grads[k, i] = d
    cov = grads @ fit.cov @ grads.T
    if not np.all(np.isfinite(cov)):
        return _Book(None, None, 0, "the timing moments did not pin it down: the prior")
    inv = np.linalg.pinv(cov)
    one = np.ones(len(parts))
    weights = inv @ one / (one @ inv @ one)
    value = float(weights @ vals)
    var = float(weights @ cov @ weights)
    n = int(((frame["bunch"] > 0) | (frame["dip"] > 0))[frame["used"]].sum())
    return _Book(value, float(np.sqrt(max(var, 0.0))), n)


def estimate_behaviour(
    book: Book,
    *,
    reference_plan: Plan | str | Path | None = None,
    years: tuple[int, ...] | list[int] | None = None,
    quota_settings: QuotaSettings | None = None,
    rng: RngLike = None,
) -> BehaviourEstimate:
    """Estimate the reps' response to the plan from a book's bookings history.

    Parameters
    ----------
    book : Book
    reference_plan : Plan or path, optional
        The plan the history was earned under: its payout curve gives the
        thresholds, accelerators, cap and settlement months, and the marginal pay
        the effort elasticity is read against. Without it, the edges are quota
        alone, settlements are quarter ends and December, and the effort
        elasticity and the cap take their priors.
    years : sequence of int, optional
        History years to estimate on; default every year with twelve months of
        bookings before it (its quotas are reconstructed from them).
    quota_settings : QuotaSettings, optional
        How the history's quotas are reconstructed (method ``history``); default
        last year's bookings, no growth, as the payroll sets them.
    rng : int, SeedSequence or Generator, optional
        Not used: the estimate is deterministic (its standard errors come from the
        rep-clustered sandwich and the leave-one-rep-out jackknife, not from draws).
        Accepted so callers can pass their run's seed.

    Returns
    -------
    BehaviourEstimate

    Raises
    ------
    DataError
        If the book has no year with a full year of bookings before it.

    Warns
    -----
    PlausibilityWarning
        When the book's 95% interval of an effect lies wholly outside the
        literature's range: possible, but check the book and the reference plan.

    Notes
    -----
    ``docs/model.md`` (the model card) gives the states, the moments and the
    mapping onto the month loop.

    Examples
    --------
    >>> from spm_sim.response import estimate_behaviour, synthetic_book, synthetic_plan
    >>> est = estimate_behaviour(synthetic_book(reps=40, rng=2),
    ...                          reference_plan=synthetic_plan())
    >>> est.table().set_index("parameter").loc["timing_cost", "source"]
    'prior'
    """
    del rng
    plan = load_plan(reference_plan) if reference_plan is not None else None
    shape = plan_shape(plan, quota_per_ti=_quota_per_ti(book, plan))
    panel = build_panel(
        book,
        shape,
        years=tuple(years) if years is not None else None,
        quota_settings=quota_settings,
    )
    frame = panel.frame
    reduced, _, _, _ = _fit(frame, _REDUCED, shape.has_plan)
    structural, fit_s, _, _ = _fit(frame, _STRUCTURAL, shape.has_plan)
    if shape.cap_point is None:
        reduced["near_cap"] = _Book(None, None, 0, "the reference plan has no cap: the prior")
    if not shape.has_plan:
        reduced.setdefault("near_cap", _Book(None, None, 0, "no reference plan: the prior"))
    rows = []
    for key in _REDUCED:
        rows.append(_combine(key, reduced.get(key, _Book(None, None, 0)), shape.settlements))
    eta = structural.get("effort_term", _Book(None, None, 0, ""))
    rows.append(_combine("effort_elasticity", eta, shape.settlements))
    flat = structural.get("flat", _Book(None, None, 0, ""))
    rows.append(_combine("min_effort", flat, shape.settlements))
    rows.append(_combine("max_effort", _Book(None, None, 0), shape.settlements))
    pull = _pull_share(
        fit_s if fit_s is not None and ("bunch" in fit_s.names or "dip" in fit_s.names) else None,
        frame,
        shape,
    )
    rows.append(_combine("pull_forward", pull, shape.settlements))
    rows.append(_combine("push_out", _Book(None, None, 0), shape.settlements))
    rows.append(_combine("timing_cost", _Book(None, None, 0), shape.settlements))
    effects = pd.DataFrame(rows)
    _warn_outside(effects, book)
    values = {r["parameter"]: r["estimate"] for r in rows}
    notes = panel.notes + (
        f"reference plan: {plan.name!r}"
        if plan is not None
        else "no reference plan: edges "
        "are quota alone; effort elasticity and the cap take their priors",
        f"{len(frame[frame['used']])} rep-months of {len(set(frame['rep_id']))} reps in "
        f"{', '.join(map(str, panel.years))}; standard errors: the larger of the "
        "rep-clustered sandwich and the leave-one-rep-out jackknife",
    )
    return BehaviourEstimate(
        behaviour=_as_behaviour(values, plan),
        effects=effects,
        years=panel.years,
        notes=notes,
        reference_plan=plan,
        fits={"structural": fit_s} if fit_s is not None else {},
    )


def _quota_per_ti(book: Book, plan: Plan | None) -> float:
    """Quota over target incentive of the median rep, for a plan that pays a share of
    bookings (its curve per unit of TI depends on it); 1 otherwise."""
    if plan is None or not any(
        getattr(c, "rate_basis", "tcr") == "bookings" for c in plan.components
    ):
        return 1.0
    years = quota_years(book)
    if not years:
        return 1.0
    q = quotas_from_history(book, plan_year=years[-1], settings=QuotaSettings(growth=0.0))
    ti = book.reps.set_index("rep_id").loc[list(q.rep_ids), "target_incentive"].to_numpy(float)
    ratio = q.annual / np.where(ti > 0, ti, np.nan)
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(np.median(ratio)) if ratio.size else 1.0


def _warn_outside(effects: pd.DataFrame, book: Book) -> None:
    for _, r in effects.iterrows():
        if r["source"] == "prior" or not np.isfinite(r["book_low"]):
            continue
        if r["book_low"] > r["prior_high"] or r["book_high"] < r["prior_low"]:
            implausible(
                f"book {book.name!r}: the {r['effect']} estimated from the book, "
                f"{r['book_estimate']:.3g} (95% {r['book_low']:.3g} to {r['book_high']:.3g}), "
                f"lies outside the literature's range {r['prior_low']:.3g} to "
                f"{r['prior_high']:.3g}. Possible, but check the reference plan (is it the "
                "plan the history was earned under?) and the book's dates and amounts",
                value=r["book_estimate"],
                stacklevel=4,
            )


def prior_behaviour(reference_plan: Plan | str | Path | None = None) -> BehaviourEstimate:
    """The response from the literature's priors alone (no book).

    Examples
    --------
    >>> est = prior_behaviour()
    >>> est.table()["source"].unique().tolist()
    ['prior']
    """
    plan = load_plan(reference_plan) if reference_plan is not None else None
    shape = plan_shape(plan)
    keys = (*_REDUCED, "effort_elasticity", "min_effort", "max_effort", "pull_forward")
    rows = [
        _combine(k, _Book(None, None, 0, "no book: the prior"), shape.settlements) for k in keys
    ]
    rows += [
        _combine(k, _Book(None, None, 0), shape.settlements) for k in ("push_out", "timing_cost")
    ]
    effects = pd.DataFrame(rows)
    values = {r["parameter"]: r["estimate"] for r in rows}
    return BehaviourEstimate(
        behaviour=_as_behaviour(values, plan),
        effects=effects,
        years=(),
        notes=("no book: every effect is the literature's prior",),
        reference_plan=plan,
    )
