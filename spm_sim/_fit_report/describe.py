"""The fit report as plain text: parameters, reps, the back-tests and their verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct

if TYPE_CHECKING:
    from .rolling import RollingBacktest

__all__ = ["TableLayout", "describe_report", "rolling_text"]


#: Lays out one table of text: (headings, rows of cells, label columns) -> lines.
TableLayout = Callable[[list[str], list[list[str]], int], str]


def _num(x: float) -> str:
    """A parameter in fixed-point notation, never ``e``: whole with thousands
    separators from 1,000 up, else four significant digits (at most six decimals);
    what rounds to zero there, such as a slope of ``-6.951e-18``, is ``0``.

    Examples
    --------
    >>> [_num(v) for v in (24391.2, 1233.4, 3.83333, 0.016271, 1.23e-05, -6.951e-18, 100.0)]
    ['24,391', '1,233', '3.833', '0.01627', '0.000012', '0', '100']
    """
    if x is None or not np.isfinite(x):
        return ""
    if abs(x) >= 1e3:
        return f"{x:,.0f}"
    if abs(x) < 5e-7:
        return "0"
    decimals = min(max(3 - int(np.floor(np.log10(abs(x)))), 0), 6)
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pandas_table(header: list[str], rows: list[list[str]], left: int, width: int | None) -> str:
    """The default layout: pandas' text table, split into blocks of columns (each
    block ending in ``\\``) when wider than ``width``; the first ``left`` columns
    aligned left."""
    frame = pd.DataFrame(rows, columns=header)
    formatters = {c: _left(int(frame[c].str.len().max())) for c in header[:left]}
    line_width = None if width is None else max(width - 2, 20)
    return frame.to_string(index=False, line_width=line_width, formatters=formatters)


#: Column headings as printed (the CSV tables keep the column names).
_HEADINGS = {
    "std_error": "std error",
    "sim_p10": "sim P10",
    "sim_p50": "sim P50",
    "sim_p90": "sim P90",
}


def _left(width: int) -> Callable[[str], str]:
    """A pandas formatter aligning a text column to the left over ``width``."""
    return lambda v: f"{v:<{width}}"


def _text_table(frame: pd.DataFrame, left: int, layout: TableLayout) -> str:
    """``frame`` (every cell text) laid out by ``layout``, indented two spaces;
    every column is kept (none is dropped to fit)."""
    header = [_HEADINGS.get(str(c), str(c)) for c in frame.columns]
    rows = [[str(v) for v in row] for row in frame.to_numpy()]
    text = layout(header, rows, left)
    return "\n".join(("  " + line).rstrip() for line in text.splitlines())


def _check_value(check: str, x: float, cur: str) -> str:
    if check == "share_at_quota":
        return format_pct(x)
    if check == "rep_year_ks":
        return f"{x:.3f}"
    return format_money(x, currency=cur)


def describe_report(r: Any, width: int | None = None, table: TableLayout | None = None) -> str:
    """:meth:`FitReport.describe`: parameters, reps, the rolling back-test, the latest year.

    ``r`` is a :class:`~spm_sim.fit_report.FitReport` (not imported here: the report
    module imports this one).
    """
    cur = r.currency
    layout: TableLayout = table or (lambda h, rows, left: _pandas_table(h, rows, left, width))
    p = r.parameters.set_index("parameter")
    f = r.model.fit
    out = [
        f"Productivity model for {r.plan_year}: fitted on {f.get('history_start')} to "
        f"{f.get('history_end')} ({int(p.loc['n_deals', 'estimate']):,} deals, "
        f"{int(p.loc['n_months', 'estimate'])} months).",
        "",
        "Parameters (std error; low-high is a 90% interval):",
    ]
    show = r.parameters.copy()
    for col in ("estimate", "std_error", "low", "high"):
        show[col] = show[col].map(_num)
    columns = ["parameter", "estimate", "std_error", "low", "high", "unit"]
    out.append(_text_table(show[columns], 1, layout))

    reps = r.reps
    if len(reps):
        w = reps["rate_weight"]
        low_w = reps.loc[w.idxmin()]
        widest = (reps["deal_rate_high"] / reps["deal_rate_low"]).idxmax()
        out += [
            "",
            f"Reps ({len(reps)} employed on {r.plan_year}-01-01): deal rate per month median "
            f"{reps['deal_rate'].median():.2f} (P10 {reps['deal_rate'].quantile(0.1):.2f}, "
            f"P90 {reps['deal_rate'].quantile(0.9):.2f}). Share of a rep's rate from their own "
            f"history: median {format_pct(w.median(), decimals=0)}, lowest "
            f"{format_pct(low_w['rate_weight'], decimals=0)} ({low_w['rep_id']}, "
            f"{low_w['exposure_months']:.1f} months of exposure). Widest 90% interval: "
            f"{reps.loc[widest, 'rep_id']} {reps.loc[widest, 'deal_rate_low']:.2f} to "
            f"{reps.loc[widest, 'deal_rate_high']:.2f} deals a month.",
        ]

    if r.rolling is not None:
        out += ["", rolling_text(r.rolling, layout)]
    bt = r.backtest
    y = bt.year
    out += [
        "",
        f"Back-test of {y}: the model fitted on {bt.fit_span[0]} to {bt.fit_span[1]}, "
        f"{bt.n_sims:,} simulated years (seed entropy {bt.seed_entropy}), against what "
        f"happened in {y}.",
        f"  Compared: {len(bt.rep_ids)} reps employed for the whole of {y}.",
    ]
    if len(bt.excluded):
        hired = bt.excluded[bt.excluded["reason"].str.startswith("hired")]
        left = bt.excluded[~bt.excluded["reason"].str.startswith("hired")]
        parts = []
        if len(hired):
            parts.append(f"{len(hired)} hired during {y} ({', '.join(hired['rep_id'])})")
        if len(left):
            parts.append(f"{len(left)} left during {y} ({', '.join(left['rep_id'])})")
        out.append(
            f"  Excluded {len(bt.excluded)} reps: {'; '.join(parts)}. Their deals are left out "
            "of every comparison, company totals included."
        )
    else:
        out.append(f"  Excluded 0 reps: everyone employed in {y} was there all year.")
    show = bt.checks.copy()
    for col in ("actual", "simulated", "sim_p10", "sim_p50", "sim_p90"):
        show[col] = [_check_value(c, v, cur) for c, v in zip(show["check"], show[col], strict=True)]
    show["percentile"] = show["percentile"].map(lambda v: format_pct(v, decimals=0))
    show["inside"] = show["inside"].map({True: "yes", False: "NO"})
    out += ["", _text_table(show, 2, layout)]

    ks = bt.check("rep_year_ks").iloc[0]
    share = bt.check("share_at_quota").iloc[0]
    annual = bt.check("annual_total").iloc[0]
    inside = int(bt.check("monthly_total")["inside"].sum())
    rep_in = bt.reps["inside"]
    verdict = "inside" if annual["inside"] else "OUTSIDE"
    out += [
        "",
        f"  Monthly totals: {inside} of 12 months inside the simulated P10-P90 band "
        f"(coverage {format_pct(bt.coverage, decimals=0)}; 80% expected, 8 to 11 months "
        "typical).",
        f"  Annual total: {format_money(annual['actual'], currency=cur)} actual, at the "
        f"{format_pct(annual['percentile'], decimals=0)} point of the simulation "
        f"(P10 {format_money(annual['sim_p10'], currency=cur)}, P90 "
        f"{format_money(annual['sim_p90'], currency=cur)}): {verdict} the 80% band.",
        f"  Share of reps at or above quota (history quotas for {y}, growth 0): "
        f"{format_pct(share['actual'])} actual, simulated P50 {format_pct(share['sim_p50'])} "
        f"(P10 {format_pct(share['sim_p10'])}, P90 {format_pct(share['sim_p90'])}).",
        f"  Rep-year bookings: KS distance {ks['actual']:.3f} between the actual reps and the "
        f"simulation; simulated years give {ks['sim_p50']:.3f} (P50) and {ks['sim_p90']:.3f} "
        f"(P90); the actual is at the {format_pct(ks['percentile'], decimals=0)} point.",
        f"  Reps inside their own P10-P90: {int(rep_in.sum())} of {len(rep_in)} "
        f"({format_pct(rep_in.mean(), decimals=0)}; 80% expected).",
    ]
    return "\n".join(out)


_CHECK_NAMES = {
    "company_year": "company year",
    "company_month": "months",
    "rep_year": "rep years",
}


def rolling_text(rb: RollingBacktest, layout: TableLayout) -> str:
    """The rolling back-test: calibration table, bias table and verdicts.

    Examples
    --------
    >>> from spm_sim import load_sample
    >>> from spm_sim.fit_report import rolling_backtest
    >>> rb = rolling_backtest(load_sample(), n_sims=40, rng=0)
    >>> text = rolling_text(rb, lambda h, rows, left: " | ".join(h))
    >>> "origin | check | band | inside | coverage" in text
    True
    """
    cur = rb.currency
    n_sims = rb.origins[0].n_sims
    years = ", ".join(map(str, rb.years))
    out = [
        f"Rolling back-test: {len(rb.origins)} year(s) ({years}), each simulated {n_sims:,} "
        "times from the model fitted on the history before it, against what happened.",
        "Calibration: the share of items inside their central band (coverage) with its 95% "
        "interval, and the range a calibrated model gives by chance. Months and reps of one "
        "year move together (shared shocks, level and trend), so they count as n_eff "
        "independent items (n / deff, the design effect measured on the simulated years); "
        "the pooled rows add the years up.",
    ]
    out += [f"Not back-tested: {year}: {why}" for year, why in rb.skipped]
    c = rb.calibration
    show = pd.DataFrame(
        {
            "origin": c["origin"],
            "check": c["check"].map(_CHECK_NAMES),
            "band": c["band"].map(lambda v: format_pct(v, decimals=0)),
            "inside": [f"{i} of {n}" for i, n in zip(c["inside"], c["n"], strict=True)],
            "coverage": c["coverage"].map(lambda v: format_pct(v, decimals=0)),
            "95% interval": [
                f"{format_pct(lo, decimals=0)}-{format_pct(hi, decimals=0)}"
                for lo, hi in zip(c["low"], c["high"], strict=True)
            ],
            "by chance": [
                f"{format_pct(lo, decimals=0)}-{format_pct(hi, decimals=0)}"
                for lo, hi in zip(c["chance_low"], c["chance_high"], strict=True)
            ],
            "deff": c["deff"].map(lambda v: f"{v:.1f}"),
            "mean PIT": c["mean_pit"].map(lambda v: f"{v:.2f}"),
            "verdict": c["verdict"],
        }
    )
    out += ["", _text_table(show, 3, layout)]
    b = rb.bias

    def value(measure: str, x: float) -> str:
        if not np.isfinite(x):
            return ""
        return format_money(x, currency=cur) if measure == "company_year" else format_pct(x)

    def gap(measure: str, x: float) -> str:
        if measure == "company_year":
            return format_pct(x, sign=True)
        return f"{x * 100:+.1f} pts"

    bias = pd.DataFrame(
        {
            "origin": b["origin"],
            "measure": b["measure"].map(
                {"company_year": "company year", "share_at_quota": "share at quota"}
            ),
            "actual": [value(m, x) for m, x in zip(b["measure"], b["actual"], strict=True)],
            "sim P50": [value(m, x) for m, x in zip(b["measure"], b["sim_p50"], strict=True)],
            "bias": [gap(m, x) for m, x in zip(b["measure"], b["bias"], strict=True)],
            "std error": [
                gap(m, x).lstrip("+") for m, x in zip(b["measure"], b["std_error"], strict=True)
            ],
            "percentile": b["percentile"].map(lambda v: format_pct(v, decimals=0)),
            "verdict": b["verdict"],
        }
    )
    out += [
        "",
        "Bias: the actual against the simulated median (company year: actual / median - 1; "
        "share at quota: the difference in points); the standard error is the simulation's "
        "own spread (pooled: of the mean over the years). A negative bias means the "
        "simulation leans high.",
        "",
        _text_table(bias, 2, layout),
        "",
        "Verdicts:",
    ]
    out += [f"  - {v}" for v in rb.verdicts()]
    return "\n".join(out)
