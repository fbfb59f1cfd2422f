"""The report's first page in words: what to decide, and one sentence per scenario.

Every sentence is written from the numbers of
:func:`spm_sim.report.figures.headline_figures`: a difference is called real when its
95% interval excludes zero, a clause on a difference that is not real says it is
within noise, and when sales differ the sentence says which of the scenario's inputs
moves them (behaviour, workforce, programmes, planned hires), or that the two runs
differ only in their simulation, so that all of the difference is chance. Given the
split of a difference into the reps' response and the mechanical part
(:func:`spm_sim.simulate.response_decomposition`), the sentence says how much of the
sales, the cost and the chance of target is the response, and how far that part moves
with the response sizes (:func:`response_sentence`).

The number formats (:func:`fmt_value`, :func:`fmt_range`, :func:`fmt_diff`) are
shared with the report's tables: one row, one number of decimals, for a figure and
its interval alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from spm_sim._format import format_money, format_pct
from spm_sim.comp import component_rules, plan_rules

__all__ = [
    "decision_paragraph",
    "scenario_sentences",
    "scenario_parts",
    "what_changes",
    "unshared_draws",
    "response_sentence",
    "quota_warnings",
    "reading_notes",
    "fmt_value",
    "fmt_range",
    "fmt_diff",
    "row_decimals",
]


def _pp_decimals(low: float, high: float) -> int:
    """Decimals of a percentage that show the first digit of an interval's half-width.

    The convention of the whole package (``2 SE`` in the app and the command line, the
    half-width of a 95% interval here): one decimal unless the interval is narrower
    than a tenth of a point either side, then two, then three.
    """
    half = abs(high - low) * 100 / 2
    if not math.isfinite(half) or half <= 0:
        return 1
    return int(min(max(-math.floor(math.log10(half)), 1), 3))


def row_decimals(intervals: Sequence[tuple[float, float]], *, cap: int = 2) -> int:
    """The decimals of a row of percentages: enough for its narrowest interval.

    Parameters
    ----------
    intervals : sequence of (low, high)
        The intervals shown in the row, as fractions (0.53 = 53%). Intervals with a
        missing end and empty ones (``low == high``) are not counted.
    cap : int, default 2
        The most decimals shown (3 suits differences in percentage points).

    Returns
    -------
    int
        1 while the interval reaches at least 0.1 point either side of its middle,
        2 down to 0.01 point, else 3 (the first digit of the half-width shows); never
        above ``cap``. The figure and its interval use the same number, so a row
        never reads "53%" over "48.21% to 56.93%".

    Examples
    --------
    >>> row_decimals([(0.482, 0.569)]), row_decimals([(0.482, 0.569), (0.5301, 0.5305)])
    (1, 2)
    >>> row_decimals([(0.0, 0.0), (0.10001, 0.10003)], cap=3)
    3
    """
    found = [
        _pp_decimals(lo, hi)
        for lo, hi in intervals
        if math.isfinite(lo) and math.isfinite(hi) and hi != lo
    ]
    return min(max(found, default=1), int(cap))


def fmt_value(x: float, unit: str, currency: str, *, decimals: int = 1) -> str:
    """A figure in words: money with three significant digits, shares as percentages.

    Parameters
    ----------
    x : float
        The figure (money, or a fraction for ``"ratio"`` and ``"prob"``).
    unit : {"$", "ratio", "prob"}
        As in :data:`spm_sim.metrics.METRICS`.
    currency : str
        ISO 4217 code of money.
    decimals : int, default 1
        Decimals of a percentage (see :func:`row_decimals`).

    Returns
    -------
    str
        ``"n/a"`` for a missing figure.

    Examples
    --------
    >>> fmt_value(5_771_234, "$", "USD"), fmt_value(8.69e8, "$", "JPY")
    ('$5.77M', '¥869M')
    >>> fmt_value(0.53, "prob", "USD"), fmt_value(0.0412, "ratio", "USD", decimals=2)
    ('53.0%', '4.12%')
    """
    if unit == "$":
        return format_money(x, currency=currency)
    if x is None or not math.isfinite(x):
        return "n/a"
    return format_pct(x, decimals=decimals)


def fmt_range(
    low: float,
    high: float,
    unit: str,
    currency: str,
    *,
    diff: bool = False,
    decimals: int | None = None,
) -> str:
    """An interval as ``low to high``: money, percentages, or percentage points.

    Parameters
    ----------
    low, high : float
        The interval's ends (fractions for ``"ratio"`` and ``"prob"``).
    unit : {"$", "ratio", "prob"}
    currency : str
    diff : bool, default False
        An interval of a difference: signed, and in percentage points (pp) for shares.
    decimals : int, optional
        Decimals of percentages; default: enough for this interval's width (at most
        2 for a share, 3 for points).

    Returns
    -------
    str
        ``"n/a"`` when an end is missing.

    Examples
    --------
    >>> fmt_range(5.70e6, 5.84e6, "$", "USD")
    '$5.70M to $5.84M'
    >>> fmt_range(-147e3, -143e3, "$", "USD", diff=True)
    '-$147k to -$143k'
    >>> fmt_range(0.482, 0.569, "prob", "USD"), fmt_range(-0.091, -0.069, "prob", "USD", diff=True)
    ('48.2% to 56.9%', '-9.1 to -6.9 pp')
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    if unit == "$":
        return (
            f"{format_money(low, currency=currency, sign=diff)} to "
            f"{format_money(high, currency=currency, sign=diff)}"
        )
    d = _pp_decimals(low, high) if decimals is None else int(decimals)
    if diff:
        return f"{low * 100:+.{d}f} to {high * 100:+.{d}f} pp"
    d = min(d, 2) if decimals is None else d  # a narrow share shows the digit that moves
    return f"{format_pct(low, decimals=d)} to {format_pct(high, decimals=d)}"


def fmt_diff(
    d: float, low: float, high: float, unit: str, currency: str, *, decimals: int | None = None
) -> str:
    """A difference against the baseline: signed money, or percentage points for shares.

    Parameters
    ----------
    d : float
        The difference (scenario minus baseline).
    low, high : float
        Its interval; sets the decimals of points when ``decimals`` is not given.
    unit : {"$", "ratio", "prob"}
    currency : str
    decimals : int, optional
        Decimals of percentage points (see :func:`row_decimals`).

    Returns
    -------
    str
        ``"n/a"`` for a missing difference. Whether a difference of 0 is "no change"
        (the same value in every simulated year) is for the caller to say: the
        number alone cannot tell.

    Examples
    --------
    >>> fmt_diff(176_000, 167_000, 185_000, "$", "USD")
    '+$176k'
    >>> fmt_diff(-0.08, -0.091, -0.069, "prob", "USD"), fmt_diff(0.0, 0.0, 0.0, "ratio", "USD")
    ('-8.0 pp', '+0.0 pp')
    """
    if not math.isfinite(d):
        return "n/a"
    if unit == "$":
        return format_money(d, currency=currency, sign=True)
    places = _pp_decimals(low, high) if decimals is None else int(decimals)
    return f"{d * 100:+.{places}f} pp"


def _more_less(d: float, currency: str) -> str:
    return f"{format_money(abs(d), currency=currency)} {'more' if d > 0 else 'less'}"


def _figure(table: pd.DataFrame, name: str, key: str) -> pd.Series:
    return table.loc[(name, key)]


# ----------------------------------------------------------------------------- what changes

#: At most this many changes of a plan's rules are written out on page one; the rest
#: are counted ("and 2 more rule changes: see Plans").
MAX_RULE_CHANGES = 4


def _pct0(x: float) -> str:
    """A share as a percentage with no decimals unless it has some (12.5%)."""
    return f"{x:.0%}" if abs(x * 100 - round(x * 100)) < 1e-9 else f"{x:.1%}"


def _rates(c: Any) -> str:
    """A commission component's rates in a few words: "1x to 100%, 2x above 100%"."""
    if getattr(c, "curve", None) is not None:
        return "pay curve " + ", ".join(
            f"{_pct0(p.attainment)} -> {p.payout:g}x TI" for p in c.curve
        )
    tcr = getattr(c, "rate_basis", "tcr") == "tcr"
    parts = []
    for t in c.tiers:
        rate = f"{t.rate:g}x" if tcr else f"{t.rate:.2%} of units"
        if t.end is None:
            where = "throughout" if t.start == 0 else f"above {_pct0(t.start)}"
        else:
            where = f"to {_pct0(t.end)}"
        parts.append(f"{rate} {where}")
    text = "rates " + ", ".join(parts)
    return text + (" (retroactive)" if getattr(c, "tier_method", "") == "retroactive" else "")


def _component_aspects(c: Any, currency: str) -> dict[str, str]:
    """What a reader compares in one component, each in a few words."""
    if getattr(c, "tiers", None) is None:  # a bonus, MBO, SPIFF or contest: its rules
        return {
            "rules": "; ".join(component_rules(c, currency)),
            "weight": f"weight {c.weight:.0%}" if getattr(c, "weight", None) else "",
        }
    cap = []
    if c.attainment_cap is not None:
        cap.append(f"attainment cap {_pct0(c.attainment_cap)}")
    if c.payout_cap is not None:
        cap.append(f"payout cap {c.payout_cap:g}x TI")
    gate = (
        f"gate: {c.gate.measure} at least {_pct0(c.gate.min_attainment)}"
        if c.gate is not None
        else "no gate"
    )
    multiplier = (
        f"multiplier on {c.multiplier.measure}" if c.multiplier is not None else "no multiplier"
    )
    return {
        "rates": _rates(c),
        "threshold": f"threshold {_pct0(c.threshold)}" if c.threshold else "no threshold",
        "cap": " and ".join(cap) or "no cap",
        "gate": gate,
        "multiplier": multiplier,
        "weight": f"weight {c.weight:.0%}",
        "measure": f"measured on {c.measure}",
        "period": f"measured by {c.period}",
    }


def _plan_changes(plan: Any, base: Any) -> str:
    """How a plan differs from the baseline's: its name, then its differing rules.

    >>> from spm_sim import sample_scenario
    >>> a, b = (sample_scenario(n).plan for n in ("accelerated", "baseline"))
    >>> print(_plan_changes(a, b))  # doctest: +NORMALIZE_WHITESPACE
    plan Accelerated 2026 AE plan instead of Baseline 2026 AE plan: rates 0.8x to 50%,
    1.2x to 100%, 2.5x above 100% (baseline 1x to 100%, 1.5x to 150%, 2x above 150%);
    threshold 60% (baseline 50%); payout cap 3x TI (baseline attainment cap 300%)
    """
    if plan.model_dump_json() == base.model_dump_json():
        return ""
    changes = []
    theirs = {c.name: c for c in base.components}
    mine = {c.name for c in plan.components}
    several = len(plan.components) > 1 or len(base.components) > 1
    for c in plan.components:
        if c.name not in theirs:
            changes.append(f"adds {c.name} ({'; '.join(component_rules(c, plan.currency))})")
            continue
        new = _component_aspects(c, plan.currency)
        old = _component_aspects(theirs[c.name], base.currency)
        for key, text in new.items():
            was = old.get(key, "")
            if text == was:
                continue
            word = text.split(" ", 1)[0] + " "
            if was.startswith(word) and text.startswith(word):  # "threshold 60% (baseline 50%)"
                was = was[len(word) :]
            change = f"{text} (baseline {was})" if was else text
            changes.append(f"{c.name} {change}" if several else change)
    changes += [f"drops {name}" for name in theirs if name not in mine]
    if plan.pay_mix != base.pay_mix:
        changes.append(f"pay mix {plan.pay_mix} (baseline {base.pay_mix})")
    for what in ("draw", "clawback"):
        a, b = getattr(plan, what, None), getattr(base, what, None)
        if a != b:
            rules = plan_rules(plan)
            rule = rules.loc[rules["type"] == what, "rule"]
            changes.append(rule.iloc[0] if len(rule) else f"no {what} (baseline has one)")
    if plan.measures != base.measures:
        changes.append("other measure definitions")
    if plan.currency != base.currency:
        changes.append(f"paid in {plan.currency} (baseline {base.currency})")
    if len(changes) > MAX_RULE_CHANGES:
        more = len(changes) - MAX_RULE_CHANGES
        changes = [
            *changes[:MAX_RULE_CHANGES],
            f"and {more} more rule change{'s' if more > 1 else ''}",
        ]
    head = (
        f"plan {plan.name} instead of {base.name}"
        if plan.name != base.name
        else f"plan {plan.name} with other rules"
    )
    if not changes:
        return head + " (the same rules)"
    return f"{head}: {'; '.join(changes)}"


def _quota_head(q: Any, year: int) -> str:
    """The method part of a quota rule ("calibrated: each rep has a 60% chance ...")."""
    return str(q.describe(year)).split(": company target")[0]


def _quota_changes(r: Any, base: Any) -> list[str]:
    """How a scenario's quotas differ from the baseline's, in short clauses."""
    q, b = r.scenario.quota, base.scenario.quota
    year, byear = r.scenario.plan_year, base.scenario.plan_year
    out = []
    if _quota_head(q, year) != _quota_head(b, byear):
        out.append(f"quotas {_quota_head(q, year)} (baseline {_quota_head(b, byear)})")
    if q.target != b.target:
        cur = r.scenario.plan.currency

        def given(x: Any) -> str:
            return "from growth" if x is None else format_money(x, currency=cur) + " given"

        out.append(f"company target {given(q.target)} (baseline {given(b.target)})")
    elif q.target is None and q.growth != b.growth:
        out.append(f"growth {q.growth:+.1%} (baseline {b.growth:+.1%})")
    set_a, set_b = q.over_assignment.total, b.over_assignment.total
    real_a, real_b = r.quotas.over_assignment, base.quotas.over_assignment
    if set_a != set_b or abs(real_a - real_b) >= 0.0005:
        out.append(
            f"over-assignment {set_a:.1%} set, {real_a:.1%} realised (baseline {set_b:.1%} "
            f"set, {real_b:.1%} realised)"
        )
    said = {"method", "options", "target", "growth", "over_assignment"}
    other = [
        f.replace("_", " ")
        for f in type(q).model_fields
        if f not in said and getattr(q, f) != getattr(b, f)
    ]
    if other:
        out.append(f"other quota settings ({', '.join(other)})")
    return out


_MODELS = (
    ("workforce", "workforce"),
    ("behaviour", "behaviour"),
    ("time_allocation", "time allocation"),
    ("programmes", "programmes"),
    ("alignment", "alignment (territories)"),
)


def what_changes(r: Any, base: Any) -> str:
    """What a scenario changes against the baseline, in one clause derived from both.

    Parameters
    ----------
    r, base : SimulationResult
        The alternative and the baseline.

    Returns
    -------
    str
        The plan (its name and the rules that differ), the quotas (method, growth or
        target, over-assignment set and realised), the models switched on or off
        (workforce, behaviour, time allocation, programmes), the capacity factor, the
        book, the plan year and the simulation (engine, simulated years, seed): each
        only when it differs, separated by semicolons. "the same inputs as the
        baseline" when nothing differs. The assumptions table of the report shows the
        same differences in full.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> results = [simulate(s, 20, rng=1) for s in (base, base.replace(name="B", trials=40))]
    >>> what_changes(results[1], results[0])
    'the same inputs as the baseline'
    >>> what_changes(simulate(base, 30, rng=2), results[0])
    '30 simulated years (baseline 20); seed 2 (baseline 1)'
    """
    s, b = r.scenario, base.scenario
    out = []
    plan = _plan_changes(s.plan, b.plan)
    if plan:
        out.append(plan)
    out += _quota_changes(r, base)
    for field, label in _MODELS:
        mine, theirs = getattr(s, field), getattr(b, field)
        if mine == theirs:
            continue
        if theirs is None:
            out.append(f"{label} on (baseline off)")
        elif mine is None:
            out.append(f"{label} off (baseline on)")
        else:
            out.append(f"other {label} settings")
    if s.capacity_factor != b.capacity_factor:
        out.append("another capacity factor")
    name, bname = r.book_info.get("name"), base.book_info.get("name")
    if name != bname:
        out.append(f"book {name} (baseline {bname})")
    elif r.book_info.get("path") != base.book_info.get("path"):
        out.append("the book from another folder")
    if s.plan_year != b.plan_year:
        out.append(f"plan year {s.plan_year} (baseline {b.plan_year})")
    engine, base_engine = getattr(r, "engine", s.engine), getattr(base, "engine", b.engine)
    if engine != base_engine:
        out.append(f"sales drawn {engine} (baseline {base_engine})")
    if r.n_trials != base.n_trials:
        out.append(f"{r.n_trials:,} simulated years (baseline {base.n_trials:,})")
    if dict(r.seed) != dict(base.seed):
        out.append(f"seed {_seed_text(r.seed)} (baseline {_seed_text(base.seed)})")
    return "; ".join(out) or "the same inputs as the baseline"


def _seed_text(seed: Any) -> str:
    spawn = seed.get("spawn_key") if hasattr(seed, "get") else None
    return f"{seed['entropy']}" + (f", spawn key {tuple(spawn)}" if spawn else "")


def _change_sentence(r: Any, base: Any) -> str:
    """The opening of a scenario's sentence: its description, or what it changes."""
    mine, theirs = r.scenario.description.strip(), base.scenario.description.strip()
    text = mine.rstrip(".") if mine and mine != theirs else what_changes(r, base)
    return f"{r.scenario.name} changes: {text}."


def _trade_off(r: Any, base: Any, t: pd.DataFrame, currency: str) -> str:
    """What a real difference in cost buys (or a saving gives up) in sales and target.

    Empty when the cost does not differ for real. The sales and the chance of reaching
    target are named only when their difference is real; when neither is, the money
    buys nothing in sales in this model (and why, when reps do not respond to the plan).
    """
    name = r.scenario.name
    cost = _figure(t, name, "cost_mean")
    if cost["identical"] or not cost["real"]:
        return ""
    sales, hit = _figure(t, name, "bookings"), _figure(t, name, "hit")
    d = float(cost["diff"])
    money = format_money(abs(d), currency=currency)
    gains = []
    if sales["real"] and not sales["identical"]:
        span = fmt_range(sales["diff_low"], sales["diff_high"], "$", currency, diff=True)
        gains.append(
            (
                float(sales["diff"]),
                format_money(sales["diff"], currency=currency, sign=True),
                f"of bookings (95% interval {span})",
            )
        )
    if hit["real"] and not hit["identical"]:
        places = row_decimals([(hit["diff_low"], hit["diff_high"])], cap=1)
        span = fmt_range(
            hit["diff_low"], hit["diff_high"], "prob", currency, diff=True, decimals=places
        )
        gains.append(
            (
                float(hit["diff"]),
                f"{hit['diff'] * 100:+.{places}f} pp",
                f"chance of reaching the company target (95% interval {span})",
            )
        )
    if not gains:
        why = (
            " (reps' response to the plan is not modelled)"
            if r.scenario.behaviour is None and base.scenario.behaviour is None
            else ""
        )
        if d > 0:
            return f" Trade-off: the extra {money} a year buys nothing in sales in this model{why}."
        return (
            f" Trade-off: the saving of {money} a year costs nothing in sales in this model{why}."
        )
    up = all(g > 0 for g, _, _ in gains)
    down = all(g < 0 for g, _, _ in gains)
    if d > 0 and up:
        lead, verb = f"{format_money(d, currency=currency, sign=True)} a year", "buys"
    elif d < 0 and down:
        lead, verb = f"Saving {money} a year", "gives up"
    elif d > 0:
        lead, verb = f"Paying {money} more a year", "comes with"
    else:
        lead, verb = f"Saving {money} a year", "comes with"
    parts = [
        f"{text.lstrip('+-') if verb == 'gives up' else text} {what}" for _, text, what in gains
    ]
    return f" Trade-off: {lead} {verb} {' and '.join(parts)}."


def quota_warnings(results: Sequence[Any], currency: str) -> list[str]:
    """Quotas that do not add up to the company target, and over-assignments that differ.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    currency : str
        ISO 4217 code of the money figures.

    Returns
    -------
    list of str
        One warning per scenario whose rep quotas add up to less than its company
        target (every rep can reach quota while the company misses its number), with
        the shortfall in money and as a share of the target; then, when the
        over-assignment (sum of rep quotas / company target - 1) differs between the
        scenarios, one sentence with each scenario's. Empty when neither applies.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> low = sample_scenario("calibrated_quotas").replace(engine="summed", name="Low")
    >>> low = low.replace(quota=low.quota.replace(calibration_trials=200))
    >>> results = [simulate(s, 20, rng=1) for s in (base, low)]
    >>> [w, differs] = quota_warnings(results, "USD")
    >>> w[: w.index(": every")]
    'Warning: in Low, rep quotas add up to $111M, $20.9M (15.8%) below the company target of $132M'
    >>> "every rep can reach quota while the company misses its number" in w
    True
    """

    def money(x: float) -> str:
        return format_money(x, currency=currency)

    out = []
    shares = []
    for r in results:
        total, target = float(r.quotas.annual.sum()), float(r.company_target)
        share = total / target - 1 if target > 0 else float("nan")
        shares.append((r, total, target, share))
        if math.isfinite(share) and share < -0.0005:
            out.append(
                f"Warning: in {r.scenario.name}, rep quotas add up to {money(total)}, "
                f"{money(target - total)} ({-share:.1%}) below the company target of "
                f"{money(target)}: every rep can reach quota while the company misses its "
                "number."
            )
    rounded = {f"{s:.1%}" for _, _, _, s in shares if math.isfinite(s)}
    if len(results) > 1 and len(rounded) > 1:
        one_target = len({money(target) for _, _, target, _ in shares}) == 1
        parts = []
        for k, (r, total, target, s) in enumerate(shares):
            where = "above" if s >= 0 else "below"
            if not one_target:
                of = f" its target of {money(target)}"
            elif k == 0:
                of = f" the company target of {money(target)}"
            else:
                of = ""
            parts.append(f"{money(total)} in {r.scenario.name} ({abs(s):.1%} {where}{of})")
        out.append(f"Over-assignment differs: rep quotas add up to {_join(parts)}.")
    return out


def _only_the_simulation(r: Any, base: Any) -> str:
    """How two runs of the same scenario on the same book differ ("" if they are not that).

    "another seed", "800 simulated years against 500", or both: then every difference
    between them is the simulation's noise.
    """
    s, b = r.scenario, base.scenario
    # what a rerun may change without changing the scenario
    rerun = [f for f in ("name", "description", "seed", "trials", "strict") if hasattr(b, f)]
    try:
        same = s.replace(**{f: getattr(b, f) for f in rerun}) == b
    except (ValueError, TypeError):  # pragma: no cover - a scenario that will not copy
        return ""
    book = ("name", "path", "currency")
    if not same or any(r.book_info.get(k) != base.book_info.get(k) for k in book):
        return ""
    what = []
    if dict(r.seed) != dict(base.seed):
        what.append("another seed")
    if r.n_trials != base.n_trials:
        what.append(f"{r.n_trials:,} simulated years against {base.n_trials:,}")
    return " and ".join(what)


def _sales_reasons(r: Any, base: Any, paired: bool, chance: str) -> list[str]:
    """Why a scenario's simulated sales differ from the baseline's beyond noise, in words."""
    if chance:
        return [f"the two runs draw different sales ({chance}), so all of it is chance"]
    s, b = r.scenario, base.scenario
    reasons = []
    if not paired:
        reasons.append(
            f"the two runs do not share their random draws ({unshared_draws(r, base)}), so part "
            "of the difference is chance"
        )
    if s.behaviour != b.behaviour:
        reasons.append(
            "reps' effort and timing respond to the plan (behaviour on)"
            if s.behaviour is not None
            else "the baseline's reps respond to its plan and this scenario's do not"
        )
    elif s.behaviour is not None:
        changes = (("plan", s.plan != b.plan), ("quotas", s.quota != b.quota))
        moved = [what for what, differs in changes if differs]
        if moved:
            reasons.append(f"reps respond to its {' and '.join(moved)} (behaviour on in both)")
    if s.quota.hires != b.quota.hires:
        reasons.append("its planned hires differ")
    if s.workforce != b.workforce:
        reasons.append("reps leave and seats stay vacant (workforce modelled)")
    if s.programmes != b.programmes:
        reasons.append("its programmes (coaching, contests) change sales")
    if s.time_allocation != b.time_allocation:
        reasons.append("reps split their time differently")
    if getattr(s, "alignment", None) != getattr(b, "alignment", None):
        reasons.append(
            "its alignment moves accounts between reps and each rep's deal rate follows "
            "their territory's potential and travel (see the Alignment note)"
        )
    if _engine(r) != _engine(base):
        reasons.append("it draws sales with another engine")
    if getattr(s, "capacity_factor", None) != getattr(b, "capacity_factor", None):
        reasons.append("its capacity factor differs")
    return reasons or ["its inputs differ from the baseline's"]


def _engine(r: Any) -> str:
    """The engine a result's sales were drawn with (as resolved: never ``auto`` for a
    result that records it)."""
    return str(getattr(r, "engine", None) or r.scenario.engine)


def unshared_draws(r: Any, base: Any) -> str:
    """What keeps a result from sharing the baseline's random draws, in words.

    Parameters
    ----------
    r, base : SimulationResult
        The alternative and the baseline.

    Returns
    -------
    str
        The book, plan year, seed, number of trials and engine that differ, separated
        by semicolons; for the engine, how to pair them (simulate the scenarios
        together, :func:`spm_sim.simulate.resolve_engines`, or set ``engine: deals``).
        Two results differing in none of these share their draws
        (:func:`spm_sim.metrics.compare` pairs them).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = simulate(sample_scenario("baseline"), 25, rng=1)
    >>> multi = simulate(sample_scenario("multi_measure"), 25, rng=1)  # alone: deals
    >>> unshared_draws(multi, base).split(":")[0]
    "sales drawn with the deals engine against the baseline's summed"
    """
    s, b = r.scenario, base.scenario
    what = []
    if s.book != b.book:
        what.append("another book")
    if s.plan_year != b.plan_year:
        what.append(f"plan year {s.plan_year} against {b.plan_year}")
    if dict(r.seed) != dict(base.seed):
        what.append("another seed")
    if r.n_trials != base.n_trials:
        what.append(f"{r.n_trials:,} simulated years against {base.n_trials:,}")
    if _engine(r) != _engine(base):
        what.append(
            f"sales drawn with the {_engine(r)} engine against the baseline's {_engine(base)}: "
            "simulate them together, or set engine: deals in both"
        )
    return "; ".join(what) or "another book, plan year, seed, number of trials or engine"


def _cost_sentence(name: str, bname: str, cost: pd.Series, p90: pd.Series, currency: str) -> str:
    if cost["identical"]:
        return f"{name} costs the same as {bname} in every simulated year."
    span = fmt_range(cost["diff_low"], cost["diff_high"], "$", currency, diff=True)
    text = (
        f"{name} costs {_more_less(cost['diff'], currency)} a year than {bname} "
        f"(95% interval {span}"
    )
    text += ")" if cost["real"] else "; within the simulation's noise: not a real difference)"
    if p90["identical"]:
        text += "; in a bad year (P90), the same."
    elif p90["real"]:
        bad = fmt_range(p90["diff_low"], p90["diff_high"], "$", currency, diff=True)
        text += f"; in a bad year (P90), {_more_less(p90['diff'], currency)} (95% interval {bad})."
    else:
        text += "; in a bad year (P90) the difference is within noise."
    return text


def _sales_sentence(r: Any, base: Any, sales: pd.Series, currency: str, chance: str) -> str:
    if sales["identical"] and sales["same_sales"]:
        if r.scenario.behaviour is None:
            return (
                " Sales are unchanged because reps' response to the plan is not modelled "
                "in this scenario (the same simulated sales as the baseline)."
            )
        return " Sales are unchanged (the same simulated sales as the baseline)."
    span = fmt_range(sales["diff_low"], sales["diff_high"], "$", currency, diff=True)
    if not sales["real"]:
        return f" Sales do not differ beyond noise (95% interval {span})."
    reasons = _sales_reasons(r, base, bool(sales["paired"]), chance)
    direction = "higher" if sales["diff"] > 0 else "lower"
    return (
        f" Sales are {format_money(abs(sales['diff']), currency=currency)} {direction} "
        f"(95% interval {span}) because {' and '.join(reasons)}."
    )


def _hit_sentence(r: Any, base: Any, hit: pd.Series, base_hit: pd.Series, currency: str) -> str:
    if hit["identical"] and hit["same_sales"]:
        return ""  # the same sales against the same target: the same years reach it
    d = row_decimals([(hit["low"], hit["high"]), (base_hit["low"], base_hit["high"])], cap=1)
    mine = format_pct(hit["estimate"], decimals=d)
    theirs = format_pct(base_hit["estimate"], decimals=d)
    if hit["identical"]:
        text = (
            f" The chance of reaching the company target is {mine} in both (the same in "
            "every simulated year here, though sales differ: by chance)"
        )
    else:
        pd_ = row_decimals([(hit["diff_low"], hit["diff_high"])], cap=1)
        span = fmt_range(
            hit["diff_low"], hit["diff_high"], "prob", currency, diff=True, decimals=pd_
        )
        verdict = "real" if hit["real"] else "within noise"
        if hit["diff"] == 0:
            change = f"the same on average ({mine} against {theirs}"
        else:
            change = (
                f"{abs(hit['diff']) * 100:.{pd_}f} pp {'higher' if hit['diff'] > 0 else 'lower'} "
                f"({mine} against {theirs}"
            )
        text = (
            f" The chance of reaching the company target is {change}; 95% interval of the "
            f"difference {span}: {verdict})"
        )
    if r.company_target != base.company_target:
        text += (
            f"; its company target is {format_money(r.company_target, currency=currency)}"
            f" against {format_money(base.company_target, currency=currency)}"
        )
    return text + "."


def scenario_sentences(
    results: Sequence[Any],
    table: pd.DataFrame,
    currency: str,
    *,
    responses: Sequence[Any] | None = None,
) -> list[str]:
    """One sentence (a few clauses) per scenario after the first, against the baseline.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    table : DataFrame
        :func:`spm_sim.report.figures.headline_figures` of ``results``.
    currency : str
        ISO 4217 code of the money figures.
    responses : sequence of ResponseDecomposition, optional
        Splits of differences into the reps' response and the mechanical part
        (:func:`spm_sim.simulate.response_decomposition` of the baseline and an
        alternative); an alternative's sentence ends with its split
        (:func:`response_sentence`). Matched by scenario names.

    Returns
    -------
    list of str
        Per alternative: what it changes (its description when it has one of its
        own, else :func:`what_changes`); what a real difference in cost buys in
        sales and in the chance of reaching target, or that it buys nothing in
        sales in this model (a saving: what it gives up); its mean cost against the
        baseline's with the paired
        difference's 95% interval (or "the same in every simulated year"), the bad
        year (P90) when its difference is real (else "within noise"), its sales
        (unchanged and why, "do not differ beyond noise", or higher or lower and
        because of which input), the chance of reaching the company target as a
        difference in points with its interval and verdict, and, for a rerun of the
        same scenario with another seed or number of trials, that all of the
        difference is chance; then, with a split in ``responses``, how much of it is
        the reps' response.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.report import headline_figures
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> alt = sample_scenario("accelerated").replace(engine="summed")
    >>> results = [simulate(s, 100, rng=1) for s in (base, alt)]
    >>> [text] = scenario_sentences(results, headline_figures(results), "USD")
    >>> text[: text.index("(")]
    'Accelerated 2026 changes: Steeper AE plan '
    >>> text[text.index("Trade-off") : text.index("model") + 5]
    'Trade-off: the extra $1...k a year buys nothing in sales in this model'
    >>> "Sales are unchanged because reps' response to the plan is not modelled" in text
    True
    """
    parts = scenario_parts(results, table, currency, responses=responses)
    return [" ".join(p for p in three if p) for three in parts]


def scenario_parts(
    results: Sequence[Any],
    table: pd.DataFrame,
    currency: str,
    *,
    responses: Sequence[Any] | None = None,
) -> list[tuple[str, str, str]]:
    """The three parts of each sentence of :func:`scenario_sentences`, to lay out apart.

    Returns
    -------
    list of (str, str, str)
        Per alternative: what it changes ("<name> changes: ..."), the trade-off
        ("Trade-off: ...", or "" when the cost does not differ for real) and the
        figures in detail (cost, bad year, sales, chance of reaching target, and the
        reps' response's part of them when ``responses`` has the alternative's split).
    """
    t = table.set_index(["scenario", "key"])
    base = results[0]
    bname = base.scenario.name
    splits = _responses_for(results, responses)
    out = []
    for r, split in zip(results[1:], splits, strict=True):
        name = r.scenario.name
        chance = _only_the_simulation(r, base)
        text = _cost_sentence(
            name, bname, _figure(t, name, "cost_mean"), _figure(t, name, "cost_p90"), currency
        )
        text += _sales_sentence(r, base, _figure(t, name, "bookings"), currency, chance)
        text += _hit_sentence(r, base, _figure(t, name, "hit"), _figure(t, bname, "hit"), currency)
        if chance:
            text += (
                f" {name} is {bname} simulated again with {chance}: nothing else differs, so "
                "all of the difference is chance (the simulation's noise)."
            )
        said = response_sentence(split, currency) if split is not None else ""
        if said:
            text += " " + said
        out.append((_change_sentence(r, base), _trade_off(r, base, t, currency).strip(), text))
    return out


def _responses_for(results: Sequence[Any], responses: Sequence[Any] | None) -> list[Any]:
    """The split of each alternative's differences (None where there is none), in the
    order of ``results[1:]``: the split of the same alternative against the same
    baseline, by scenario names."""
    if not results:
        return []
    base = results[0].scenario.name
    found = {split.alternative: split for split in (responses or ()) if split.baseline == base}
    return [found.get(r.scenario.name) for r in results[1:]]


#: The figures a response sentence speaks of: (metric, what it is called in a sentence).
_RESPONSE_WORDS = (
    ("company_bookings", "sales"),
    ("incentive_cost", "incentive cost"),
    ("hit_company_target", "chance of reaching the company target"),
)


def _response_amount(row: Any, currency: str, decimals: int) -> str:
    unit = str(row["unit"])
    if unit == "$":
        return format_money(float(row["value"]), currency=currency, sign=True)
    return f"{float(row['value']) * 100:+.{decimals}f} pp"


def response_sentence(split: Any, currency: str | None = None) -> str:
    """How much of an alternative's differences is the reps' response, in a sentence.

    Parameters
    ----------
    split : ResponseDecomposition
        :func:`spm_sim.simulate.response_decomposition` of the baseline and the
        alternative.
    currency : str, optional
        ISO 4217 code of the money figures (default: the split's).

    Returns
    -------
    str
        For sales, incentive cost and the chance of reaching the company target
        (those whose difference is not 0 in every simulated year): the response part
        with its 95% interval against the whole difference, and the mechanical rest
        (the same sales paid under the alternative's plan; with other inputs that
        differ, such as a workforce, everything but the response); then, with a behaviour
        range, the response part at its two ends ("the response sizes are themselves
        uncertain"), or that this was not assessed. "" when neither scenario models
        the response (the sentences on sales say so already).

    Examples
    --------
    >>> from spm_sim import sample_scenario
    >>> from spm_sim.productivity import Behaviour
    >>> from spm_sim.simulate import response_decomposition
    >>> base = sample_scenario("baseline")
    >>> beh = Behaviour(reference_plan=base.plan)
    >>> a, b = base.replace(behaviour=beh), sample_scenario("accelerated").replace(behaviour=beh)
    >>> text = response_sentence(response_decomposition(a, b, 50, rng=1))
    >>> text[: text.index(" (")]  # doctest: +ELLIPSIS
    "Reps' response: of the +$... difference in sales, +$...M"
    """
    if not split.behaviour:
        return ""
    currency = currency or split.currency
    what = (
        f"its plan, quotas and {', '.join(split.other_inputs)}, without the response"
        if split.other_inputs
        else "the same sales paid under its plan"
    )
    clauses, ends = [], []
    for metric, words in _RESPONSE_WORDS:
        total = split.part(metric, "total")
        if total["value"] == 0 and total["se"] == 0:
            continue
        resp, mech = split.part(metric, "response"), split.part(metric, "mechanical")
        unit = str(total["unit"])
        places = row_decimals(
            [(float(x["low"]), float(x["high"])) for x in (total, resp, mech)], cap=1
        )
        span = fmt_range(resp["low"], resp["high"], unit, currency, diff=True, decimals=places)
        noise = "" if resp["real"] else ", within noise"
        if mech["value"] == 0 and mech["se"] == 0:
            rest = "none of it mechanical"
        else:
            rest = f"{_response_amount(mech, currency, places)} mechanical ({what})"
        clauses.append(
            f"of the {_response_amount(total, currency, places)} difference in {words}, "
            f"{_response_amount(resp, currency, places)} (95% interval {span}{noise}) is the "
            f"reps' response to the plan and {rest}"
        )
        if split.ranged:
            lo, hi = split.part(metric, "response_low"), split.part(metric, "response_high")
            a, b = sorted([float(lo["value"]), float(hi["value"])])
            ends.append(
                f"{words} "
                + (
                    f"{format_money(a, currency=currency, sign=True)} to "
                    f"{format_money(b, currency=currency, sign=True)}"
                    if unit == "$"
                    else f"{a * 100:+.{places}f} to {b * 100:+.{places}f} pp"
                )
            )
    if not clauses:
        return (
            "Reps' response: the scenarios model it, but sales, cost and the chance of "
            "target are the same in every simulated year."
        )
    text = "Reps' response: " + "; ".join(clauses) + "."
    if split.ranged:
        text += (
            " With the response sizes at the low and high ends of their range, the "
            f"response part is: {'; '.join(ends)} (an assumption's range, not the "
            "simulation's noise)."
        )
    else:
        text += " How far that part moves with the response sizes was not assessed."
    return text


def _cost_ranking(results: Sequence[Any], t: pd.DataFrame, currency: str) -> str:
    """Which alternatives cost more or less than the baseline, over all of them."""
    rows = [(r.scenario.name, _figure(t, r.scenario.name, "cost_mean")) for r in results[1:]]
    same = [n for n, c in rows if c["identical"]]
    noise = [n for n, c in rows if not c["identical"] and not c["real"]]
    more = [(n, c) for n, c in rows if c["real"] and c["diff"] > 0]
    less = [(n, c) for n, c in rows if c["real"] and c["diff"] < 0]
    if not more and not less:
        return " No alternative's cost differs from the baseline's beyond the noise."
    text = ""
    if less:
        cheap = min(less, key=lambda nc: nc[1]["diff"])
        saving = format_money(abs(cheap[1]["diff"]), currency=currency)
        if len(less) == len(rows) > 1:
            text += f" Every alternative costs less; {cheap[0]} saves the most ({saving} a year)."
        elif len(less) == 1:
            text += f" {cheap[0]} costs less ({saving} a year)."
        else:
            text += (
                f" {_join([n for n, _ in less])} cost less; {cheap[0]} saves the most "
                f"({saving} a year)."
            )
    if more:
        dear = max(more, key=lambda nc: nc[1]["diff"])
        extra = format_money(dear[1]["diff"], currency=currency, sign=True)
        if len(more) == len(rows) > 1:
            text += f" Every alternative costs more; {dear[0]} the most ({extra} a year)."
        elif len(more) == 1:
            text += f" {dear[0]} costs more ({extra} a year)."
        else:
            text += (
                f" {_join([n for n, _ in more])} cost more; {dear[0]} the most ({extra} a year)."
            )
    if noise:
        verb = "do" if len(noise) > 1 else "does"
        text += f" {_join(noise)} {verb} not differ in cost from the baseline beyond noise."
    if same:
        verb = "cost" if len(same) > 1 else "costs"
        text += f" {_join(same)} {verb} the same as the baseline in every simulated year."
    return text


def decision_paragraph(
    results: Sequence[Any], table: pd.DataFrame, currency: str, last: Any = None
) -> str:
    """What to decide, and the baseline's cost and chance of target, in one paragraph.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    table : DataFrame
        :func:`spm_sim.report.figures.headline_figures` of ``results``.
    currency : str
        ISO 4217 code of the money figures.
    last : LastYear, optional
        :func:`spm_sim.report.last_year` of the baseline: its replayed year is set
        beside the simulated one when available (else why not, in a few words).

    Returns
    -------
    str
        What is decided (the plan year and the alternatives, or the one scenario);
        the baseline's mean cost with its 95% interval, the typical (P50) and bad
        (P90) year and the reserve between them (their intervals are in the
        headline table, and the paragraph says so); the chance of reaching the
        company target with its interval, in the same decimals; last year replayed;
        and which alternatives cost more or less than the baseline, over all of
        them (the ones within noise named).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.report import headline_figures
    >>> base = simulate(sample_scenario("baseline").replace(engine="summed"), 100, rng=1)
    >>> text = decision_paragraph([base], headline_figures(base), "USD")
    >>> text[:72]
    'What Baseline 2026 costs in 2026, and the chance it brings the company t'
    """
    t = table.set_index(["scenario", "key"])
    base = results[0]
    bname = base.scenario.name
    year = base.scenario.plan_year

    def money(x: float) -> str:
        return format_money(x, currency=currency)

    mean = _figure(t, bname, "cost_mean")
    p50 = _figure(t, bname, "cost_p50")
    p90 = _figure(t, bname, "cost_p90")
    hit = _figure(t, bname, "hit")
    alts = results[1:]
    if alts:
        names = _join([r.scenario.name for r in alts])
        many = len(alts) > 1
        count = _NUMBERS.get(len(alts), f"{len(alts):,}")
        text = (
            f"Decide which plan and quotas to run in {year}. {count} alternative"
            f"{'s' if many else ''}, {names}, {'are' if many else 'is'} compared with the "
            f"baseline, {bname}. "
        )
    else:
        text = f"What {bname} costs in {year}, and the chance it brings the company target. "
    d = row_decimals([(hit["low"], hit["high"])], cap=1)
    text += (
        f"Under {'the baseline' if alts else 'it'} the incentive costs {money(mean['estimate'])} "
        f"a year on average (95% interval {fmt_range(mean['low'], mean['high'], '$', currency)}): "
        f"{money(p50['estimate'])} in a typical year (P50) and more than "
        f"{money(p90['estimate'])} one year in ten (P90), so hold "
        f"{money(p90['estimate'] - p50['estimate'])} above the median budget for a bad year "
        "(the intervals of these three are in the headline figures). The company reaches its "
        f"target of {money(base.company_target)} in "
        f"{format_pct(hit['estimate'], decimals=d)} of simulated years (95% interval "
        f"{fmt_range(hit['low'], hit['high'], 'prob', currency, decimals=d)})."
    )
    if last is not None and last.available:
        f = last.figures
        text += (
            f" Replayed on {last.year}'s real deals (quotas rebuilt from earlier history), "
            f"the baseline plan would have paid {money(f['cost_mean'])} on "
            f"{money(f['bookings'])} of bookings, {format_pct(f['attainment'], decimals=1)} "
            "of that year's rebuilt target."
        )
    elif last is not None:
        text += f" {last.year} cannot be replayed for comparison ({last.reason or 'see below'})."
    if alts:
        text += _cost_ranking(results, t, currency)
    return text


def reading_notes(results: Sequence[Any], table: pd.DataFrame) -> list[str]:
    """How to read the intervals, and the common-random-numbers explanation, each once.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    table : DataFrame
        :func:`spm_sim.report.figures.headline_figures` of ``results`` (its
        ``paired`` column says which alternatives share the baseline's draws).

    Returns
    -------
    list of str
        The number of simulated years and what a 95% interval and "real" mean; then,
        with alternatives, which share the baseline's random draws (common random
        numbers, explained once; where reps respond to the plan, that the same draws
        still give different sales) and, one note each, which do not and why (another
        book, plan year, seed, number of trials or engine: compared unpaired, their
        differences combine both runs' noise).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.report import headline_figures
    >>> s = sample_scenario("baseline").replace(engine="summed")
    >>> results = [simulate(s, 50, rng=1), simulate(s.replace(name="Other seed"), 50, rng=2)]
    >>> notes = reading_notes(results, headline_figures(results))
    >>> len(notes), notes[1].split(":")[0]
    (2, "Other seed does not share the baseline's random draws (another seed)")
    """
    trials = sorted({r.n_trials for r in results})
    notes = [
        f"Each figure is over {' / '.join(f'{n:,}' for n in trials)} simulated years per "
        "scenario. Ranges are 95% intervals of the simulation's noise (how far a figure "
        "could move with more simulated years), not of the assumptions; a difference is "
        "called real when its interval excludes zero."
    ]
    if len(results) > 1:
        flags = table.drop_duplicates("scenario").set_index("scenario")["paired"]
        base = results[0]
        bname = base.scenario.name
        alts = results[1:]
        paired = [r for r in alts if bool(flags.get(r.scenario.name, False))]
        if paired:
            names = [r.scenario.name for r in paired]
            many = len(names) > 1
            text = (
                f"{_join(names)} {'share' if many else 'shares'} the baseline's random draws "
                "(common random numbers: the same book, plan year, seed and number of "
                f"trials): each simulated year compares {'them' if many else 'it'} with "
                f"{bname} on the same draws, so a difference's interval holds only what "
                "remains of the noise and is much narrower than either figure's."
            )
            moving = [
                r.scenario.name
                for r in paired
                if r.scenario.behaviour is not None or base.scenario.behaviour is not None
            ]
            if moving:
                text += (
                    f" Where reps respond to the plan ({_join(moving)}), the same draws still "
                    "give different sales: that response is part of the difference."
                )
            notes.append(text)
        shared = {id(r) for r in paired}
        for r in alts:
            if id(r) in shared:
                continue
            notes.append(
                f"{r.scenario.name} does not share the baseline's random draws "
                f"({unshared_draws(r, base)}): it is compared unpaired, its differences "
                "combine both runs' noise."
            )
    return notes


_NUMBERS = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
