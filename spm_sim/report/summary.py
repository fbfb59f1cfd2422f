"""The report's first page in words: what to decide, and one sentence per scenario.

Every sentence is written from the numbers of
:func:`spm_sim.report.figures.headline_figures`: a difference is called real when its
95% interval excludes zero, a clause on a difference that is not real says it is
within noise, and when sales differ the sentence says which of the scenario's inputs
moves them (behaviour, workforce, programmes, planned hires), or that the two runs
differ only in their simulation, so that all of the difference is chance.

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

__all__ = [
    "decision_paragraph",
    "scenario_sentences",
    "reading_notes",
    "fmt_value",
    "fmt_range",
    "fmt_diff",
    "row_decimals",
]


def _pp_decimals(low: float, high: float) -> int:
    """Decimals of a percentage that show the digit an interval from low to high moves."""
    width = abs(high - low) * 100
    if not math.isfinite(width) or width >= 1:
        return 1
    if width >= 0.1:
        return 2
    return 3


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
        1 when every interval is at least a point wide, 2 down to a tenth of a point,
        else 3; never above ``cap``. The figure and its interval use the same number,
        so a row never reads "53%" over "48.21% to 56.93%".

    Examples
    --------
    >>> row_decimals([(0.482, 0.569)]), row_decimals([(0.482, 0.569), (0.5301, 0.5342)])
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
            "the two runs do not share their random draws (another book, plan year, seed "
            "or number of trials), so part of the difference is chance"
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
    if getattr(s, "engine", None) != getattr(b, "engine", None):
        reasons.append("it draws sales with another engine")
    if getattr(s, "capacity_factor", None) != getattr(b, "capacity_factor", None):
        reasons.append("its capacity factor differs")
    return reasons or ["its inputs differ from the baseline's"]


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
        text += f"; in a bad year (P90), {_more_less(p90['diff'], currency)}."
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


def scenario_sentences(results: Sequence[Any], table: pd.DataFrame, currency: str) -> list[str]:
    """One sentence (a few clauses) per scenario after the first, against the baseline.

    Parameters
    ----------
    results : sequence of SimulationResult
        The first is the baseline.
    table : DataFrame
        :func:`spm_sim.report.figures.headline_figures` of ``results``.
    currency : str
        ISO 4217 code of the money figures.

    Returns
    -------
    list of str
        Per alternative: its mean cost against the baseline's with the paired
        difference's 95% interval (or "the same in every simulated year"), the bad
        year (P90) when its difference is real (else "within noise"), its sales
        (unchanged and why, "do not differ beyond noise", or higher or lower and
        because of which input), the chance of reaching the company target as a
        difference in points with its interval and verdict, and, for a rerun of the
        same scenario with another seed or number of trials, that all of the
        difference is chance.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.report import headline_figures
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> alt = sample_scenario("accelerated").replace(engine="summed")
    >>> results = [simulate(s, 100, rng=1) for s in (base, alt)]
    >>> [text] = scenario_sentences(results, headline_figures(results), "USD")
    >>> text[: text.index("(")]
    'Accelerated 2026 costs $1...k more a year than Baseline 2026 '
    >>> "Sales are unchanged because reps' response to the plan is not modelled" in text
    True
    """
    t = table.set_index(["scenario", "key"])
    base = results[0]
    bname = base.scenario.name
    out = []
    for r in results[1:]:
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
        out.append(text)
    return out


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
        text = (
            f"Decide which plan and quotas to run in {year}: {len(alts)} alternative"
            f"{'s are' if len(alts) > 1 else ' is'} set against the baseline, {bname}. "
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
            f"{money(f['bookings'])} of bookings, {format_pct(f['attainment'], decimals=0)} "
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
        still give different sales) and which do not (their differences combine both
        runs' noise).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.report import headline_figures
    >>> s = sample_scenario("baseline").replace(engine="summed")
    >>> results = [simulate(s, 50, rng=1), simulate(s.replace(name="Other seed"), 50, rng=2)]
    >>> notes = reading_notes(results, headline_figures(results))
    >>> len(notes), notes[1][:52]
    (2, "Other seed does not share the baseline's random draw")
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
        apart = [r.scenario.name for r in alts if r not in paired]
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
        if apart:
            many = len(apart) > 1
            notes.append(
                f"{_join(apart)} {'do' if many else 'does'} not share the baseline's random "
                "draws (another book, plan year, seed or number of trials): "
                f"{'their' if many else 'its'} differences combine both runs' noise."
            )
    return notes


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
