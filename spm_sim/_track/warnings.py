"""Early warnings of a year in progress: who is at risk, where the pipeline is thin,
and which plan mechanics are about to bind, with what they cost.

:func:`early_warnings` reads a :class:`~spm_sim._track.result.Forecast` and returns
one row per warning:

* ``at risk``: a rep whose probability of making quota is below ``risk_below``;
  the money is the expected bookings still short of quota at year end;
* ``thin coverage``: a rep or a region whose open pipeline covers the remaining
  quota less than ``coverage_below`` times (see *Pipeline coverage* below); the
  money is the open pipeline short of that coverage;
* ``cap binds``: a rep likely to hit an attainment or payout cap (probability at
  least ``bind_above``); the money is the expected payout of the same draws with
  the cap removed minus with it (paired, common random numbers);
* ``gate fails``: a rep likely to end the year with a gate closed; the money is
  what the gate withholds (paid without the gate minus paid with it, paired);
* ``decelerator``: a rep likely to end the year in a decelerated tier (a rate
  below the rate at quota: 1x TCR for a ``tcr`` table); the money is what the
  reduced rate withholds from the trials that end there.

Every company-wide mechanic also gets one ``company`` row (the chance at least one
rep is affected, and the total money). Probabilities carry Wilson intervals and
money effects the interval of a paired mean difference (Monte Carlo error only).
Within a kind the rows run from the most money at stake to the least (reps, then
regions, then the company row), so the top of each list is where to look first.

Pipeline coverage
-----------------
Coverage is the open pipeline's amount over the quota still to book (the year's
quota minus the bookings to date). The sales rule of thumb asks for three times
the quota in pipeline, which is the arithmetic of a one-in-three win rate
(required coverage = 1 / win rate); J. Jordan ("Why 3x pipeline coverage is a
terrible strategy", Salesforce blog) argues for deriving it from one's own win
rate and sales cycle instead. The rule also assumes the pipeline must carry the
whole remaining quota, which holds for the last weeks of a period but not for the
rest of a year: much of it will come from deals not yet created. So by default
(``coverage_below=None``) the required coverage comes from the forecast itself.
The company's coverage ``C`` is its open pipeline over its expected bookings for
the rest of the year: at the pipeline's win rate ``w``, the pipeline brings
``w C`` of those bookings, the rest is new business. A rep or region is warned
about when its coverage is below :data:`THIN_SHARE` (one half) of ``C``: *at the
company's win rates its pipeline would bring less than half the share of its
remaining quota that the company's pipeline brings of the company's, a gap new
business at the company's pace cannot close.* Comparing with ``C`` itself would
name about half the team by construction (half the reps are below any average).
Pass ``coverage_below=3.0`` for the folk rule. The money is the open pipeline short
of the required coverage (required coverage x remaining quota minus the pipeline).
Coverage counts known opportunities, so it has no Monte Carlo interval.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import chance_text, ratio_against
from spm_sim.comp import Component, Plan, payout
from spm_sim.errors import PlausibilityWarning, strict_checks
from spm_sim.metrics import Interval, mean_interval, proportion_interval

from .result import Forecast

__all__ = ["early_warnings", "WARNING_COLUMNS", "WARNING_KINDS"]

#: A rep or region is thin when its coverage is below this share of the company's
#: (the default rule of :func:`early_warnings`; see the module notes).
THIN_SHARE = 0.5
#: The kinds of warning, in the order the table lists them.
WARNING_KINDS = ("at risk", "thin coverage", "cap binds", "gate fails", "decelerator")
#: The columns of :func:`early_warnings`.
WARNING_COLUMNS = (
    "kind",
    "level",
    "who",
    "name",
    "component",
    "figure",
    "value",
    "low",
    "high",
    "unit",
    "effect",
    "effect_low",
    "effect_high",
    "currency",
    "effect_meaning",
    "message",
)
_TOL = 1e-9
_NAN3 = Interval(np.nan, np.nan, np.nan)


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.0f}%"


def _money(x: float, currency: str) -> str:
    from spm_sim._format import format_money

    return format_money(x, currency=currency)


def _mean_diff(diff: np.ndarray, level: float) -> Interval:
    iv = mean_interval(diff, level=level)
    if diff.size and np.ptp(diff) == 0.0:
        return Interval(iv.estimate, iv.estimate, iv.estimate)
    return iv


def _row(
    kind: str,
    level: str,
    who: str,
    name: str,
    figure: str,
    value: Interval,
    unit: str,
    effect: Interval,
    currency: str,
    meaning: str,
    message: str,
    component: str = "",
) -> dict[str, Any]:
    return {
        "kind": kind,
        "level": level,
        "who": who,
        "name": name,
        "component": component,
        "figure": figure,
        "value": value.estimate,
        "low": value.low,
        "high": value.high,
        "unit": unit,
        "effect": effect.estimate,
        "effect_low": effect.low,
        "effect_high": effect.high,
        "currency": currency,
        "effect_meaning": meaning,
        "message": message,
    }


# --- reps at risk ----------------------------------------------------------------------


def _at_risk(fc: Forecast, risk_below: float, level: float) -> list[dict[str, Any]]:
    quota = np.asarray(fc.quotas, dtype=float).sum(axis=1)
    year_end = np.asarray(fc.bookings, dtype=float).sum(axis=2)
    rows = []
    for r, rep in enumerate(fc.rep_ids):
        if quota[r] <= 0:
            continue
        made = float(fc.made_quota[:, r].sum())
        p = proportion_interval(made, fc.n_trials, level=level)
        if p.estimate >= risk_below:
            continue
        short = _mean_diff(np.maximum(quota[r] - year_end[:, r], 0.0), level)
        rows.append(
            _row(
                "at risk",
                "rep",
                rep,
                fc.rep_names[r],
                "probability of making quota",
                p,
                "probability",
                short,
                fc.currency,
                "expected bookings short of quota at year end",
                f"{fc.rep_names[r]} ({rep}) has a {chance_text(p.estimate, p.low, p.high)} "
                f"chance of making quota, below {_pct(risk_below)}; expected "
                f"{_money(short.estimate, fc.currency)} short of quota at year end.",
            )
        )
    return rows


# --- pipeline coverage -----------------------------------------------------------------


def _coverage(
    fc: Forecast,
    coverage_below: float | None,
    regions: Mapping[str, str] | None,
) -> list[dict[str, Any]]:
    pipe = fc.pipeline
    if pipe is None or len(pipe) == 0 or "amount" not in pipe.columns:
        return []
    amount = pd.to_numeric(pipe["amount"], errors="coerce").fillna(0.0).to_numpy()
    p_win = (
        pd.to_numeric(pipe["p_win"], errors="coerce").fillna(0.0).to_numpy()
        if "p_win" in pipe.columns
        else np.zeros(len(pipe))
    )
    owner = pipe["rep_id"].astype(str).to_numpy()
    ours = np.isin(owner, np.asarray(fc.rep_ids, dtype=str))  # reps on quota only
    amount, p_win, owner = amount[ours], p_win[ours], owner[ours]
    total = float(amount.sum())
    if total <= 0:
        return []
    win_rate = float((amount * p_win).sum() / total)
    if coverage_below is None:
        drawn = np.asarray(fc.bookings, dtype=float) - np.asarray(fc.actual, dtype=float)[None]
        expected_rest = float(drawn.sum(axis=(1, 2)).mean())
        if expected_rest <= 0:
            return []
        company = total / expected_rest
        required = THIN_SHARE * company
        rule = (
            f"half the company's {company:.1f}x, its open pipeline over its expected "
            f"bookings for the rest of the year; the pipeline's win rate is {_pct(win_rate)}"
        )
    else:
        required, rule = float(coverage_below), "the coverage required"
    quota = np.asarray(fc.quotas, dtype=float).sum(axis=1)
    remaining = np.maximum(quota - np.asarray(fc.actual, dtype=float).sum(axis=1), 0.0)
    raw = np.array([amount[owner == rep].sum() for rep in fc.rep_ids])
    weighted = np.array([(amount * p_win)[owner == rep].sum() for rep in fc.rep_ids])
    groups: list[tuple[str, str, str, np.ndarray]] = [
        ("rep", rep, fc.rep_names[r], np.arange(fc.n_reps) == r) for r, rep in enumerate(fc.rep_ids)
    ]
    if regions:
        names = np.array([regions.get(rep, "") for rep in fc.rep_ids])
        for region in sorted({n for n in names if n}):
            groups.append(("region", region, region, names == region))
    rows = []
    for level, who, name, mask in groups:
        left = float(remaining[mask].sum())
        if left <= 0:
            continue
        cover = float(raw[mask].sum()) / left
        if cover >= required:
            continue
        gap = required * left - float(raw[mask].sum())
        rows.append(
            _row(
                "thin coverage",
                level,
                who,
                name,
                "open pipeline over the remaining quota",
                Interval(cover, np.nan, np.nan),
                "times the remaining quota",
                Interval(gap, np.nan, np.nan),
                fc.currency,
                "open pipeline short of the required coverage of the remaining quota",
                f"{name} has {_money(float(raw[mask].sum()), fc.currency)} of open pipeline "
                f"({_money(float(weighted[mask].sum()), fc.currency)} weighted by its win "
                f"probabilities) for {_money(left, fc.currency)} of quota still to book: "
                f"coverage {ratio_against(cover, required)} required ({rule}).",
            )
        )
    return rows


# --- plan mechanics --------------------------------------------------------------------


#: (trial, rep) pairs paid at once by :func:`_effect` (memory: about 200 bytes a pair).
_PAIRS = 200_000


def _alone(plan: Plan, comp: Component) -> Plan:
    """A plan paying ``comp`` alone, at weight 1 (its TI is scaled by the caller).

    A commission component's column does not depend on the plan's other parts, and
    at weight 1 on ``weight x TI`` it pays the same money (the TCR and the payout cap
    both scale with ``weight x TI``). Plausibility warnings of this inner plan are
    silenced: it is a device, not a plan anyone reads.
    """
    with _warnings.catch_warnings(), strict_checks(False):
        _warnings.simplefilter("ignore", PlausibilityWarning)
        return plan.replace(components=[comp.replace(weight=1.0)], draw=None, clawback=None)


def _effect(fc: Forecast, comp: Component, changed: Component, mask: np.ndarray) -> np.ndarray:
    """Pay under ``changed`` minus pay under ``comp``, per trial and rep, where ``mask``.

    Both are paid by the kernel on the forecast's own draws (paired), only for the
    (trial, rep) pairs in ``mask`` (0 elsewhere): the others cannot differ.
    """
    out = np.zeros(mask.shape)
    t_idx, r_idx = np.nonzero(mask)
    if not t_idx.size:
        return out
    plans = [_alone(fc.plan, comp), _alone(fc.plan, changed)]
    used = {comp.measure} | {
        getattr(comp, p).measure for p in ("gate", "multiplier") if getattr(comp, p) is not None
    }
    used.discard("bookings")
    ti = np.asarray(fc.target_incentive, dtype=float) * comp.weight
    quotas = np.asarray(fc.quotas, dtype=float)
    for a in range(0, t_idx.size, _PAIRS):
        t, r = t_idx[a : a + _PAIRS], r_idx[a : a + _PAIRS]
        bookings = np.asarray(fc.bookings)[t, r]
        measures = {m: np.asarray(fc.measures[m])[t, r] for m in used}
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", PlausibilityWarning)
            pays = [
                payout(pl, bookings, quotas[r], ti[r], measures=measures or None).total
                for pl in plans
            ]
        out[t, r] = pays[1] - pays[0]
    return out


def _column(fc: Forecast, name: str) -> np.ndarray:
    """What the forecast's kernel paid one column over the year, ``(trials, reps)``."""
    return np.asarray(fc.payout.annual_by_component[..., fc.payout.components.index(name)])


def _year_attainment(fc: Forecast, measure: str) -> np.ndarray:
    """Year-end attainment of a measure with a quota, shape ``(trials, reps)``."""
    quota = np.asarray(fc.quotas, dtype=float).sum(axis=1)
    m = fc.plan.measure(measure)
    if m.quota_per_rep is not None:
        q = np.where(quota > 0, m.quota_per_rep, 0.0)
    else:
        q = quota * (m.quota_share if m.quota_share is not None else 1.0)
    units = fc.bookings if measure == "bookings" else fc.measures[measure]
    total = np.asarray(units, dtype=float).sum(axis=-1)
    return np.divide(total, q, out=np.full(total.shape, np.nan), where=q > 0)


def _sentence(
    event: str, effect: str, currency: str, *, more: str = ""
) -> Callable[[str, Interval, Interval], str]:
    """The sentence of a mechanic's row: who, the chance of ``event`` and the money of
    ``effect`` (``more`` after the amount), each with its interval."""

    def said(who: str, p: Interval, m: Interval) -> str:
        return (
            f"{who}: {_pct(p.estimate)} chance ({_pct(p.low)} to {_pct(p.high)}) of {event}; "
            f"{effect} {_money(m.estimate, currency)}{more} on average "
            f"({_money(m.low, currency)} to {_money(m.high, currency)})."
        )

    return said


def _mechanic_rows(
    fc: Forecast,
    kind: str,
    component: str,
    figure: str,
    hit: np.ndarray,
    extra: np.ndarray,
    bind_above: float,
    level: float,
    meaning: str,
    sentence: Callable[[str, Interval, Interval], str],
    need_money: bool,
) -> list[dict[str, Any]]:
    """Rows of one mechanic: ``hit`` (trials, reps) bool, ``extra`` its money per trial."""
    n = fc.n_trials
    quota = np.asarray(fc.quotas, dtype=float).sum(axis=1)
    rows = []
    for r, rep in enumerate(fc.rep_ids):
        if quota[r] <= 0:
            continue
        p = proportion_interval(float(hit[:, r].sum()), n, level=level)
        money = _mean_diff(extra[:, r], level)
        if p.estimate < bind_above or (need_money and money.estimate <= 0.005):
            continue
        who = f"{fc.rep_names[r]} ({rep})"
        rows.append(
            _row(kind, "rep", rep, fc.rep_names[r], figure, p, "probability", money,
                 fc.currency, meaning, sentence(who, p, money), component)
        )  # fmt: skip
    if rows:
        anyone = proportion_interval(float(hit.any(axis=1).sum()), n, level=level)
        money = _mean_diff(extra.sum(axis=1), level)
        rows.append(
            _row(kind, "company", "company", "all reps", f"{figure} (any rep)", anyone,
                 "probability", money, fc.currency, meaning,
                 sentence("At least one rep", anyone, money), component)
        )  # fmt: skip
    return rows


def _caps(fc: Forecast, bind_above: float, level: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cur = fc.currency
    for c in fc.plan.components:
        if not isinstance(c, Component) or (c.attainment_cap is None and c.payout_cap is None):
            continue
        whole_year = c.period == "year"  # attainment to date only rises: the year end tells
        if c.attainment_cap is not None:
            att = _year_attainment(fc, c.measure)
            hit = np.nan_to_num(att, nan=0.0) >= c.attainment_cap - _TOL

            def open_top(comp: Component) -> Component:
                tiers = list(comp.tiers)
                if tiers and tiers[-1].end is not None:
                    tiers[-1] = tiers[-1].replace(end=None)
                return comp.replace(attainment_cap=None, tiers=tiers)

            held = _effect(fc, c, open_top(c), hit if whole_year else np.ones_like(hit))
            said = _sentence(
                f"passing the {_pct(c.attainment_cap)} attainment cap of {c.name!r}",
                "the cap holds back",
                cur,
            )

            rows += _mechanic_rows(
                fc, "cap binds", c.name, "probability of reaching the attainment cap", hit,
                held, bind_above, level,
                "expected payout without the cap minus with it (same draws)", said, False,
            )  # fmt: skip
        if c.payout_cap is not None:
            top = c.payout_cap * c.weight * np.asarray(fc.target_incentive, dtype=float)
            hit = _column(fc, c.name) >= top[None, :] * (1 - _TOL) - 0.005
            free = c.replace(payout_cap=None)
            held = _effect(fc, c, free, hit if whole_year else np.ones_like(hit))
            said_pay = _sentence(
                f"reaching the payout cap of {c.name!r} ({c.payout_cap:g}x its TI)",
                "the cap holds back",
                cur,
            )

            rows += _mechanic_rows(
                fc, "cap binds", c.name, "probability of reaching the payout cap", hit,
                held, bind_above, level,
                "expected payout without the cap minus with it (same draws)", said_pay, False,
            )  # fmt: skip
    return rows


def _gates(fc: Forecast, bind_above: float, level: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cur = fc.currency
    for c in fc.plan.components:
        if not isinstance(c, Component) or c.gate is None:
            continue
        gate = c.gate
        closed = np.nan_to_num(_year_attainment(fc, gate.measure), nan=0.0) < (
            gate.min_attainment - _TOL
        )
        # a year-measured gate closed at the year end was closed all year; otherwise any
        # rep may have been held back at some period end
        where = closed if c.period == "year" else np.ones_like(closed)
        held = _effect(fc, c, c.replace(gate=None), where)

        said = _sentence(
            f"ending the year below the gate of {c.name!r} ({_pct(gate.min_attainment)} of "
            f"{gate.measure!r})",
            "it withholds",
            cur,
        )

        rows += _mechanic_rows(
            fc, "gate fails", c.name, "probability the gate is closed at year end", closed,
            held, bind_above, level,
            "expected payout without the gate minus with it (same draws)", said, True,
        )  # fmt: skip
    return rows


def _reference_rate(c: Component) -> float:
    """The rate at quota: 1x TCR for a ``tcr`` table, else the rate of the band holding 1.0."""
    if c.rate_basis == "tcr":
        return 1.0
    for t in c.tiers:
        if t.start < 1.0 and (t.end is None or t.end >= 1.0):
            return float(t.rate)
    return float(c.tiers[-1].rate)


def _decelerators(fc: Forecast, bind_above: float, level: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cur = fc.currency
    for c in fc.plan.components:
        if not isinstance(c, Component) or c.curve is not None or not c.tiers:
            continue
        ref = _reference_rate(c)
        slow = [k for k, t in enumerate(c.tiers) if t.rate < ref - 1e-12]
        if not slow:
            continue
        att = np.nan_to_num(_year_attainment(fc, c.measure), nan=0.0)
        if c.attainment_cap is not None:
            att = np.minimum(att, c.attainment_cap)
        inside = np.zeros(att.shape, dtype=bool)
        for k in slow:
            t = c.tiers[k]
            top = np.inf if t.end is None else t.end
            inside |= (att >= t.start - _TOL) & (att < top - _TOL)

        def lift(comp: Component, slow: list[int] = slow, ref: float = ref) -> Component:
            tiers = [t.replace(rate=ref) if k in slow else t for k, t in enumerate(comp.tiers)]
            return comp.replace(tiers=tiers)

        extra = _effect(fc, c, lift(c), inside)

        said = _sentence(
            f"ending the year in a decelerated tier of {c.name!r} (below {ref:g}x)",
            f"paying those trials at {ref:g}x would cost",
            cur,
            more=" more",
        )

        rows += _mechanic_rows(
            fc, "decelerator", c.name, "probability of ending in a decelerated tier", inside,
            extra, bind_above, level,
            "expected extra payout if the trials ending in the decelerated tier were paid at "
            "the rate at quota (same draws)", said, False,
        )  # fmt: skip
    return rows


def _by_money(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of :data:`WARNING_KINDS`, then rep, region, company, then
    the most money at stake first (stable: ties keep the rep order)."""
    if table.empty:
        return table
    kind = table["kind"].map({k: i for i, k in enumerate(WARNING_KINDS)})
    level = table["level"].map({"rep": 0, "region": 1, "company": 2})
    keys = pd.DataFrame({"kind": kind, "level": level, "money": -table["effect"].fillna(0.0)})
    order = keys.sort_values(["kind", "level", "money"], kind="stable").index
    return table.loc[order].reset_index(drop=True)


def _check_share(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1; got {value!r}.")
    return value


def early_warnings(
    forecast: Forecast,
    *,
    risk_below: float = 0.3,
    coverage_below: float | None = None,
    bind_above: float = 0.1,
    regions: Mapping[str, str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Warnings of a year in progress: reps at risk, thin pipeline, mechanics that bind.

    Parameters
    ----------
    forecast : Forecast
    risk_below : float, default 0.3
        A rep whose probability of making quota is below this is at risk.
    coverage_below : float or None, default None
        The pipeline coverage of the remaining quota below which a rep or region is
        warned about; default half the company's coverage, its open pipeline over its
        expected bookings for the rest of the year (:data:`THIN_SHARE`; see the module
        notes). ``3.0`` is the folk "3x" rule.
    bind_above : float, default 0.1
        A cap, gate or decelerator is warned about for a rep when the probability
        that it binds at year end is at least this.
    regions : mapping of rep_id to region, optional
        For coverage per region; default ``forecast.regions`` when the forecast has
        it (a sequence in the order of ``rep_ids``), else no regional rows.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per warning, kinds in the order of :data:`WARNING_KINDS`, then reps,
        regions and the company row, each by money at stake (``effect``), largest
        first. Columns
        (:data:`WARNING_COLUMNS`): ``kind``; ``level`` (rep, region or company);
        ``who`` (rep_id or region) and ``name``; ``component`` (for mechanics);
        ``figure`` (what ``value`` is), ``value`` with ``low`` and ``high`` (its
        interval; NaN for a coverage, which counts known pipeline) and ``unit``;
        ``effect`` with ``effect_low``, ``effect_high`` in ``currency`` and
        ``effect_meaning`` (what the money is); ``message`` (one sentence).
        ``attrs``: ``as_of``, ``plan``, ``currency``, ``trials``, thresholds.

    Examples
    --------
    >>> from spm_sim._track.accruals import example_forecast
    >>> from spm_sim.comp import standard_plan
    >>> fc = example_forecast(plan=standard_plan(threshold=0.0, attainment_cap=1.5))
    >>> table = early_warnings(fc, risk_below=0.6)
    >>> table[["kind", "level", "who", "value"]].round(2)
            kind    level      who  value
    0    at risk      rep     R001   0.47
    1  cap binds      rep     R003   1.00
    2  cap binds  company  company   1.00
    >>> print(table.message[1])
    Cy Example (R003): 100% chance (99% to 100%) of passing the 150% attainment cap of
    'bookings'; the cap holds back $60.2k on average ($58.7k to $61.7k).
    >>> bool(table.effect[1] > 0)      # the cap holds money back from R003
    True
    """
    risk_below = _check_share("risk_below", risk_below)
    bind_above = _check_share("bind_above", bind_above)
    if coverage_below is not None and not (np.isfinite(coverage_below) and coverage_below > 0):
        raise ValueError(
            f"coverage_below must be a coverage ratio > 0 (3.0 = three times the remaining "
            f"quota) or None; got {coverage_below!r}."
        )
    fc = forecast
    if regions is None and fc.regions:
        regions = dict(zip(fc.rep_ids, fc.regions, strict=True))
    rows = _at_risk(fc, risk_below, level)
    rows += _coverage(fc, coverage_below, regions)
    rows += _caps(fc, bind_above, level)
    rows += _gates(fc, bind_above, level)
    rows += _decelerators(fc, bind_above, level)
    table = _by_money(pd.DataFrame(rows, columns=list(WARNING_COLUMNS)))
    table.attrs.update(
        {
            "as_of": fc.as_of.date().isoformat(),
            "plan": fc.plan.name,
            "currency": fc.currency,
            "trials": int(fc.n_trials),
            "risk_below": risk_below,
            "coverage_below": coverage_below,
            "bind_above": bind_above,
            "level": float(level),
        }
    )
    return table
