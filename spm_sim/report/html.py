"""Scenario reports for people who do not open the notebook.

:func:`write_report` writes one self-contained HTML file: inline CSS, figures as
base64 PNG data URIs, no scripts and no external requests, so it can be mailed,
archived and printed. It holds no timestamp: the same results give the same file
byte for byte. :func:`write_summaries` writes the tidy tables behind it as CSV.

Every text that comes from a user's files (scenario, plan, component and book
names, descriptions, notes) is HTML-escaped before it is written.

Money is shown with three significant digits (``$1.23M``, ``$456k``), ratios and
probabilities as percentages, differences of ratios in percentage points (pp).

Number formatting lives in ``_format`` (shared with the figures, the widgets and the
command line); its public helpers are re-exported here.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spm_sim._files import write_csv, write_text
from spm_sim._format import format_money, format_pct, unique_slugs
from spm_sim.comp import plan_rules
from spm_sim.metrics import (
    DYNAMICS_METRICS,
    METRICS,
    compare,
    programme_return,
    quarterly_accrual,
    rep_summary,
    result_flags,
    trial_metrics,
)

from .figures import bare, headline_figures
from .reference import SHORT_HASH, book_fingerprint, last_year, plan_fingerprint
from .summary import (
    _responses_for,
    decision_paragraph,
    fmt_diff,
    fmt_range,
    fmt_value,
    quota_warnings,
    reading_notes,
    row_decimals,
    scenario_parts,
    what_changes,
)

if TYPE_CHECKING:
    from spm_sim.book import Book
    from spm_sim.simulate import ResponseDecomposition, SimulationResult

__all__ = [
    "headline",
    "write_report",
    "write_summaries",
]


def _as_list(results) -> list:
    if hasattr(results, "scenario"):  # a single SimulationResult
        return [results]
    results = list(results)
    if not results:
        raise ValueError("at least one simulation result is needed for a report.")
    return results


def _unique_names(results: list) -> tuple[list, list[str]]:
    """The results with distinct scenario names, and a note per renamed result.

    A name seen before gets `` (2)``, `` (3)``, ... (the first keeps its name), so
    two runs of one scenario (another seed, another book) can be compared; the
    report says which is which.
    """
    seen = {r.scenario.name for r in results}
    used: set[str] = set()
    out: list = []
    notes: list[str] = []
    for r in results:
        name = r.scenario.name
        if name in used:
            k = 2
            while f"{name} ({k})" in seen or f"{name} ({k})" in used:
                k += 1
            new = f"{name[:190]} ({k})"
            notes.append(
                f"Two or more scenarios are named {name!r}: result {len(out) + 1} is shown "
                f"as {new!r}. Give scenarios distinct names to compare them by name."
            )
            r = dataclasses.replace(r, scenario=r.scenario.replace(name=new))
            name = new
        used.add(name)
        out.append(r)
    return out, notes


#: (row label, key of :data:`spm_sim.report.figures.HEADLINE_FIGURES`)
_HEADLINE_ROWS: tuple[tuple[str, str], ...] = (
    ("Probability of reaching the company target", "hit"),
    ("Expected company attainment", "attainment"),
    ("Share of reps at or above quota (mean)", "at_quota"),
    ("Incentive cost, mean", "cost_mean"),
    ("Incentive cost, P10", "cost_p10"),
    ("Incentive cost, P50 (median)", "cost_p50"),
    ("Incentive cost, P90", "cost_p90"),
    ("Reserve for a bad year (P90 - P50)", "reserve"),
    ("Incentive paid / target incentive (mean)", "payout_ti"),
    ("Compensation cost of sales (CCOS, mean)", "ccos"),
    ("Incentive cost of sales (mean)", "icos"),
)

#: What a figure's cell says when its interval has an end the trials cannot give.
_NO_INTERVAL = "(too few trials for an interval)"


def _diff_columns(results: Sequence) -> list[str]:
    base = results[0].scenario.name
    if len(results) == 2:
        return ["Difference vs baseline"]
    return [f"{r.scenario.name} vs {base}" for r in results[1:]]


def _bracket(low: float, high: float, unit: str, currency: str, diff: bool, places: int) -> str:
    """`` (low to high)``, or a note when an end is missing."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f" {_NO_INTERVAL}"
    return f" ({fmt_range(low, high, unit, currency, diff=diff, decimals=places)})"


def _headline_diff(row: pd.Series, unit: str, currency: str, places: int) -> str:
    """A difference against the baseline with its interval; "no change" only where the
    two runs simulated the same sales."""
    if row["identical"]:
        if row["same_sales"]:
            return "no change"
        zero = "+" + format_money(0.0, currency=currency) if unit == "$" else "+0 pp"
        return f"{zero} (by chance: sales differ)"
    main = fmt_diff(row["diff"], row["diff_low"], row["diff_high"], unit, currency, decimals=places)
    return main + _bracket(row["diff_low"], row["diff_high"], unit, currency, True, places)


def headline(results: SimulationResult | Sequence[SimulationResult]) -> pd.DataFrame:
    """The headline table: every figure with its 95% interval, per scenario and difference.

    Parameters
    ----------
    results : SimulationResult or sequence of them
        The first is the baseline.

    Returns
    -------
    DataFrame of str
        Index: row labels (probability of the company target, expected company
        attainment, share of reps at quota, incentive cost mean/P10/P50/P90 and
        reserve, payout / TI, CCOS, incentive cost of sales). Columns: the scenario
        names, then one difference column per non-baseline scenario ("Difference vs
        baseline" when there are two). Every cell is a figure and its 95% interval
        in brackets, ``"$5.75M ($5.68M to $5.82M)"``, differences (percentiles
        included) likewise, ``"+$184k (+$167k to +$202k)"``, from
        :func:`spm_sim.report.figures.headline_figures`; the intervals are Monte
        Carlo error only. One row's percentages share their decimals. "no change"
        only where the two runs simulated the same sales
        (:func:`spm_sim.report.figures.same_sales`); a figure that agrees in every
        trial of runs whose sales differ reads "+$0 (by chance: sales differ)".
        ``attrs``: ``baseline``, ``paired`` (scenario name -> bool), ``compare``
        (:func:`spm_sim.metrics.compare`'s frame), ``figures`` (the numeric
        headline figures) and ``level``. Scenarios with the same name are told apart
        as ``"name (2)"``, ``"name (3)"``.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> alt = sample_scenario("accelerated").replace(engine="summed")
    >>> t = headline([simulate(s, 200, rng=1) for s in (base, alt)])
    >>> t.loc["Incentive cost, P90", "Difference vs baseline"]
    '+$252k (+$99.9k to +$360k)'
    """
    results, _ = _unique_names(_as_list(results))
    figures = headline_figures(results)
    currency = results[0].scenario.plan.currency
    t = bare(figures).set_index(["scenario", "key"])
    names = [r.scenario.name for r in results]
    rows = []
    for _label, key in _HEADLINE_ROWS:
        unit = str(t.loc[(names[0], key), "unit"])
        found = [t.loc[(n, key)] for n in names]
        places = row_decimals([(f["low"], f["high"]) for f in found])
        cells = [
            fmt_value(f["estimate"], unit, currency, decimals=places)
            + _bracket(f["low"], f["high"], unit, currency, False, places)
            for f in found
        ]
        diff_places = row_decimals([(f["diff_low"], f["diff_high"]) for f in found[1:]], cap=3)
        cells += [_headline_diff(f, unit, currency, diff_places) for f in found[1:]]
        rows.append(cells)
    df = pd.DataFrame(
        rows,
        index=pd.Index([label for label, _key in _HEADLINE_ROWS], name="metric"),
        columns=names + _diff_columns(results),
    )
    df.attrs.update(
        baseline=results[0].scenario.name,
        paired={n: bool(t.loc[(n, "hit"), "paired"]) for n in names},
        compare=figures.attrs["compare"],
        figures=figures,
        level=figures.attrs["level"],
    )
    return df


def write_summaries(
    results: SimulationResult | Sequence[SimulationResult],
    folder: str | Path,
    *,
    responses: Sequence[ResponseDecomposition] | None = None,
) -> list[Path]:
    """Write the tables behind a report as CSV files in ``folder``.

    Files: ``summary.csv`` (:func:`spm_sim.metrics.compare`: one row per scenario
    and metric), and per scenario ``reps_<slug>.csv`` (:func:`~spm_sim.metrics.rep_summary`)
    and ``trials_<slug>.csv`` (:func:`~spm_sim.metrics.trial_metrics`), each with a
    leading ``scenario`` column. Scenarios with the same name are told apart as
    ``"name (2)"``, and slugs are made unique if two names collide. With
    ``responses`` (:func:`spm_sim.simulate.response_decomposition` of the baseline
    and alternatives), ``response.csv``: each alternative's differences split into
    the reps' response and the mechanical part
    (:meth:`~spm_sim.simulate.ResponseDecomposition.table`, with leading
    ``baseline`` and ``scenario`` columns).

    Returns
    -------
    list of Path
        ``summary.csv`` first, then the reps and trials files of each scenario, then
        ``response.csv`` when there is a split of the report's scenarios.
    """
    results = _as_list(results)
    splits = [x for x in _responses_for(results, responses) if x is not None]
    results, _ = _unique_names(results)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "summary.csv"]
    write_csv(compare(results), paths[0])
    for r, slug in zip(results, unique_slugs([r.scenario.name for r in results]), strict=True):
        for kind, frame in (("reps", rep_summary(r)), ("trials", trial_metrics(r))):
            frame.insert(0, "scenario", r.scenario.name)
            path = folder / f"{kind}_{slug}.csv"
            write_csv(frame, path)
            paths.append(path)
    if splits:
        frames = []
        for split in splits:
            frame = split.table()
            frame.insert(0, "scenario", split.alternative)
            frame.insert(0, "baseline", split.baseline)
            frames.append(frame)
        paths.append(folder / "response.csv")
        write_csv(pd.concat(frames, ignore_index=True), paths[-1])
    return paths


# ---------------------------------------------------------------------------- HTML

_CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1d1d1f; background: #fff; margin: 0 auto; max-width: 1060px; padding: 24px 28px 48px;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d9dde3; }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0; }
.sub { color: #555; margin: 0 0 10px; }
.note { color: #444; font-size: 13.5px; }
.notes { background: #f6f7f9; border-left: 4px solid #8a94a6; padding: 8px 14px; margin: 14px 0; }
#summary { background: #f3f7fb; border-left: 5px solid #0072b2; padding: 4px 18px 10px;
           margin: 12px 0 18px; }
#summary h2 { border-bottom: none; margin-top: 10px; }
#summary .decide { font-size: 16px; }
#summary li { margin: 6px 0; }
#summary .warn { background: #fff5e6; border-left: 4px solid #c8641e; padding: 6px 12px; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 6px; font-size: 14px; }
th, td { border: 1px solid #d0d4da; padding: 5px 10px; vertical-align: top; }
thead th { background: #eef1f5; text-align: center; }
tbody th { text-align: left; font-weight: normal; background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.ref { background: #f4f4f4; color: #333; }
td.diff { background: #fbfaf3; }
.ci { display: block; color: #555; font-size: 12px; white-space: nowrap; }
tr.group th { background: #eef1f5; font-weight: bold; text-align: left; }
.real { font-weight: bold; }
.noise { color: #666; }
table.kv th { width: 230px; }
figure { margin: 10px 0 4px; }
figure img { width: 100%; height: auto; border: 1px solid #e3e6ea; }
figcaption { color: #444; font-size: 13.5px; margin-top: 4px; }
.check { background: #fff5e6; border-left: 4px solid #c8641e; padding: 8px 14px; margin: 14px 0; }
.check h2 { border-bottom: none; margin: 4px 0 6px; color: #8a3b00; }
.check h3 { margin: 8px 0 4px; }
.check li { margin: 3px 0; }
footer { margin-top: 40px; color: #666; font-size: 12.5px; border-top: 1px solid #d9dde3;
         padding-top: 8px; }
@media print {
  @page { margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  #summary { background: none; border-left: 3px solid #0072b2; }
  h2, h3 { break-after: avoid; }
  .details { break-before: page; }
  .wide { overflow: visible; }
  table { width: 100%; font-size: 8.5pt; }
  th, td { padding: 3px 5px; }
  .ci { white-space: normal; font-size: 7.5pt; }
  thead { display: table-header-group; }
  tr, figure, .scenario, .plan { break-inside: avoid; }
  figure img { max-height: 230mm; object-fit: contain; }
  a { color: inherit; text-decoration: none; }
}
"""


#: An absolute path in any text (POSIX, home ``~/``, or a Windows drive), not a URL's
#: path: the lookbehind refuses a slash after a letter, a digit, a colon or a dot.
_ABSOLUTE_PATH = re.compile(
    r"(?<![\w:/.\\])(?:~|[A-Za-z]:)?[/\\](?:[^\s/\\'\"<>()|]+[/\\])+([^\s/\\'\"<>(),;|]*)"
)


def _no_paths(text: str) -> str:
    """Every absolute path in ``text`` cut to its last part (the file or folder name).

    A report is mailed: where its inputs sat on one machine says nothing to the reader
    and tells others about that machine.

    >>> _no_paths("book /work/main/data/sample, plan C:\\\\plans\\\\a.yaml, see https://x.org/a/b")
    'book sample, plan a.yaml, see https://x.org/a/b'
    """
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "(folder)", str(text))


def _e(text) -> str:
    """Escape any text for HTML (element content and attribute values)."""
    return html.escape(_no_paths(str(text)), quote=True)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    row_header: bool = True,
    classes: Sequence[str] | None = None,
    table_class: str = "",
) -> str:
    """An HTML table; every cell is escaped. ``classes`` are per data column."""
    cls = f' class="{table_class}"' if table_class else ""
    out = [f"<table{cls}>", "<thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for j, cell in enumerate(row):
            if j == 0 and row_header:
                out.append(f'<th scope="row">{_e(cell)}</th>')
            else:
                c = classes[j] if classes and j < len(classes) and classes[j] else ""
                out.append(f'<td class="{c}">{_e(cell)}</td>' if c else f"<td>{_e(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _kv_table(pairs: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _figure(png_b64: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img src="data:image/png;base64,{png_b64}" alt="{_e(alt)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _plan_table(plan) -> str:
    header = ["Component", "Type", "Measure", "Weight", "Measured", "Rule"]
    rows = []
    last = None
    for r in plan_rules(plan).itertuples(index=False):
        first = r.component != last
        last = r.component
        weight = "" if r.weight is None or r.weight != r.weight else f"{r.weight:.0%}"
        rows.append([r.component, r.type, r.measure, weight, r.period] if first else [""] * 5)
        rows[-1].append(r.rule)
    return _table(header, rows, row_header=False)


def _number(x: float, unit: str, metric: str, currency: str, places: int = 1) -> str:
    """A figure of any metric: money, a percentage, a ratio (effort) or a count."""
    if unit == "$":
        return format_money(x, currency=currency)
    if not np.isfinite(x):
        return "n/a"
    if unit == "count":
        return f"{x:,.1f}"
    if metric == "mean_effort":
        return f"{x:.3f}"
    return format_pct(x, decimals=places)


def _span(low: float, high: float, unit: str, metric: str, currency: str, places: int) -> str:
    """An interval ``low to high`` in the figure's own terms (``n/a`` when an end is missing)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "n/a: too few trials"
    if unit in ("$", "count") or metric == "mean_effort":
        lo = _number(low, unit, metric, currency)
        return f"{lo} to {_number(high, unit, metric, currency)}"
    return fmt_range(low, high, unit, currency, decimals=places)


def _dynamics_rows(results, present: list[str], cmp: pd.DataFrame, currency: str) -> list[list]:
    """Per metric of the workforce, behaviour and programmes, each scenario's mean with
    its interval ("off" where the scenario does not model it)."""
    t = cmp.set_index(["scenario", "metric"])
    rows: list[list] = []
    for k in present:
        label, unit = DYNAMICS_METRICS[k]
        found = [t.loc[(r.scenario.name, k)] if k in r.trials.columns else None for r in results]
        places = row_decimals([(f["mean_low"], f["mean_high"]) for f in found if f is not None])
        cells = [
            _cell("off")
            if f is None
            else _cell(
                _number(f["mean"], unit, k, currency, places),
                _span(f["mean_low"], f["mean_high"], unit, k, currency, places),
                "num",
            )
            for f in found
        ]
        rows.append([label, *cells])
    return rows


def _programme_return_rows(results, money) -> list[list]:
    """The return of each scenario's programmes against the same scenario without them.

    A scenario whose counterpart without programmes is not among ``results`` (or
    differs in more than its programmes) has no row.
    """
    rows: list[list] = []
    for r in results:
        if r.scenario.programmes is None:
            continue
        # the same scenario without its programmes, if the report has it
        t = None
        for other in results:
            if other is r or other.scenario.programmes is not None:
                continue
            try:
                t = programme_return(r, other).set_index("figure")
                break
            except ValueError:
                continue  # differs in more than programmes, or not paired
        if t is None:
            continue
        inc, per = t.loc["incremental_bookings"], t.loc["bookings_per_dollar"]
        extra = t.loc["incremental_incentive"]

        def ratio(x: float) -> str:
            return f"{x:,.1f}" if np.isfinite(x) else "n/a"

        rows.append(
            [
                f"{r.scenario.name} against {other.scenario.name}",
                _cell(
                    money(inc["mean"]),
                    f"{money(inc['mean_low'])} to {money(inc['mean_high'])}",
                    "num",
                ),
                _cell(
                    money(extra["mean"]),
                    f"{money(extra['mean_low'])} to {money(extra['mean_high'])}",
                    "num",
                ),
                _cell(money(t.loc["programme_cost", "mean"]), "", "num"),
                _cell(
                    ratio(per["mean"]),
                    f"{ratio(per['mean_low'])} to {ratio(per['mean_high'])}",
                    "num",
                ),
            ]
        )
    return rows


def _during_the_year(results, cmp: pd.DataFrame, money, currency: str) -> list[str]:
    """The section on workforce, behaviour and programmes, when any scenario has them."""
    present = [k for k in DYNAMICS_METRICS if any(k in r.trials.columns for r in results)]
    if not present:
        return []
    names = [r.scenario.name for r in results]
    rows = _dynamics_rows(results, present, cmp, currency)
    out = [
        "<section><h2>During the year: people, behaviour, programmes</h2>",
        _html_table(["Mean per simulated year", *names], rows),
        '<p class="note">Under each mean: its 95% interval (Monte Carlo error only). "off": '
        "the scenario does not model it. Full-year reps are the reps "
        "who kept their seat all year (attainment statistics are usually quoted for them). "
        "Bookings pulled in from next year raise this year's bookings at next year's expense; "
        "bookings pushed into next year lower them.</p>",
    ]
    ret_rows = _programme_return_rows(results, money)
    if ret_rows:
        out += [
            "<h3>Return of the programmes</h3>",
            _html_table(
                [
                    "Scenario",
                    "Extra bookings",
                    "Extra incentive",
                    "Programme cost",
                    "Bookings per extra dollar",
                ],
                ret_rows,
            ),
            '<p class="note">Paired differences on common random numbers: each simulated year '
            "with the programme against the same year of the same scenario without it (a "
            "scenario whose counterpart without programmes is not in the report is left "
            "out). Under each figure: its 95% interval (Monte Carlo error only; the programme "
            "cost is known).</p>",
        ]
    out.append("</section>")
    return out


#: The statistics of the table of every figure: (column of compare, its name in a row).
_STATS = (("mean", "Mean"), ("p10", "P10"), ("p50", "P50 (median)"), ("p90", "P90"))


def _every_figure_rows(
    results, cmp: pd.DataFrame, table: pd.DataFrame, currency: str
) -> list[list]:
    """One row per metric and statistic: each scenario's figure and its difference
    against the baseline, each with its interval."""
    t = cmp.set_index(["scenario", "metric"])
    names = [r.scenario.name for r in results]
    sales = dict(zip(table["scenario"], table["same_sales"], strict=False))
    metrics = {**METRICS, **{k: v for k, v in DYNAMICS_METRICS.items() if (names[0], k) in t.index}}
    rows: list[list] = []
    for metric, (label, unit) in metrics.items():
        rows.append([label])  # the metric heads its mean and percentiles
        for col, stat in _STATS:
            if unit == "prob" and col != "mean":
                continue  # a probability has no percentiles
            diff = "diff_vs_baseline" if col == "mean" else f"diff_{col}"
            ends = ("diff_low", "diff_high") if col == "mean" else (f"{diff}_low", f"{diff}_high")
            found = [t.loc[(n, metric)] if (n, metric) in t.index else None for n in names]
            places = row_decimals(
                [(f[f"{col}_low"], f[f"{col}_high"]) for f in found if f is not None]
            )
            dplaces = row_decimals(
                [(f[ends[0]], f[ends[1]]) for f in found[1:] if f is not None], cap=3
            )
            cells = []
            for f in found:
                if f is None:
                    cells.append(_cell("off"))
                    continue
                cells.append(
                    _cell(
                        _number(f[col], unit, metric, currency, places),
                        _span(f[f"{col}_low"], f[f"{col}_high"], unit, metric, currency, places),
                        "num",
                    )
                )
            for n, f in zip(names[1:], found[1:], strict=True):
                if f is None or not np.isfinite(f[diff]):
                    cells.append(_cell("n/a", "not in both scenarios", "num diff"))
                elif f[ends[0]] == 0 and f[ends[1]] == 0 and f[diff] == 0:
                    why = "same simulated sales" if sales.get(n) else "by chance: sales differ"
                    cells.append(_cell("no change" if sales.get(n) else "+0", why, "num diff"))
                else:
                    cells.append(
                        _diff_cell(
                            {
                                "identical": False,
                                "same_sales": False,
                                "diff": f[diff],
                                "diff_low": f[ends[0]],
                                "diff_high": f[ends[1]],
                                "real": bool(f[ends[0]] > 0 or f[ends[1]] < 0),
                            },
                            unit,
                            currency,
                            dplaces,
                            metric,
                        )
                    )
            rows.append(["Share of simulated years" if unit == "prob" else stat, *cells])
    return rows


def _every_figure_section(
    results, table: pd.DataFrame, cmp: pd.DataFrame, currency: str
) -> list[str]:
    """Every figure of every scenario, percentiles included, with its interval."""
    names = [r.scenario.name for r in results]
    header = ["Figure", *names, *[f"{n} vs {names[0]}" for n in names[1:]]]
    return [
        "<section><h2>Every figure with its interval</h2>",
        _html_table(header, _every_figure_rows(results, cmp, table, currency)),
        '<p class="note">Under each figure: its 95% interval, the Monte Carlo error of the '
        "simulation only (how far the figure could move with more simulated years), not the "
        "uncertainty of the model's assumptions. Means: plus or minus 1.96 standard errors; "
        "probabilities: Wilson's interval; percentiles: the order statistics that bracket "
        "them. Differences: of means, from the paired differences when the scenarios share "
        "their random numbers (Newcombe's interval for a probability); of percentiles, a "
        "bootstrap of the simulated years, resampled together when paired. All of them are "
        "in summary.csv.</p>",
        "</section>",
    ]


def _notes_list(notes: str | Sequence[str] | None) -> list[str]:
    """The paragraphs under the title: none, one text, or one per item."""
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes]
    return [str(n) for n in notes]


def _check_section(results) -> list[str]:
    """Results nobody should believe, per scenario, with their drivers; nothing if none."""
    flags = result_flags(results)
    if not flags:
        return []
    parts = [
        '<section class="check"><h2>Check before deciding</h2>',
        '<p class="note">These figures fall far outside what sales organisations report '
        "(compensation cost of sales is typically 3-9% of revenue; accelerators pay 1.5x-2.5x "
        "the target commission rate; 45-55% of reps reach quota). They usually come from an "
        "input off by a factor: check the inputs named before deciding on these "
        "results.</p>",
    ]
    for r in results:
        mine = [f for f in flags if f["scenario"] == r.scenario.name]
        if mine:
            parts.append(f"<h3>{_e(r.scenario.name)}</h3><ul>")
            parts += [f"<li>{_e(f['text'])}</li>" for f in mine]
            parts.append("</ul>")
    parts.append("</section>")
    return parts


def _distinct_plans(results) -> list:
    """The scenarios' plans, each once, in order of first appearance."""
    plans, seen = [], set()
    for r in results:
        key = r.scenario.plan.model_dump_json()
        if key not in seen:
            seen.add(key)
            plans.append(r.scenario.plan)
    return plans


def _accrual_section(results, money) -> list[str]:
    """Incentive accrued per quarter: a table (mean, P10 to P90, share, with the
    intervals) and a bar chart."""
    import spm_sim.viz as plots

    accrual = quarterly_accrual(results)  # spm_sim.metrics
    names = [r.scenario.name for r in results]
    n_scen = len(names)
    acc_header = ["Quarter"] + [f"{n}: mean (P10 to P90), share of the year" for n in names]
    quarters = list(dict.fromkeys(accrual["quarter"]))
    acc_rows: list[list] = []
    for i, quarter in enumerate(quarters):
        row: list = [quarter]
        for k in range(n_scen):
            part = accrual.iloc[k * len(quarters) + i]
            ends = [
                f"{name} {_money_span(part[f'{c}_low'], part[f'{c}_high'], money)}"
                for c, name in (("mean", "mean"), ("p10", "P10"), ("p90", "P90"))
            ]
            row.append(
                _cell(
                    f"{money(part['mean'])} ({money(part['p10'])} to {money(part['p90'])}), "
                    f"{format_pct(part['share_of_year'], decimals=0)}",
                    "; ".join(ends),
                    "num",
                )
            )
        acc_rows.append(row)
    return [
        "<section><h2>Incentive accrual by quarter</h2>",
        _html_table(acc_header, acc_rows),
        '<p class="note">Incentive paid in each quarter (settled cumulatively year to date, so '
        "accelerators above quota are paid when reps pass quota, mostly late in the year); the "
        "last figure is the quarter's share of the year's expected incentive. Under each: the "
        "95% intervals of the mean, P10 and P90 (Monte Carlo error only).</p>",
        _figure(
            plots.fig_to_base64_png(plots.quarterly_accrual_chart(accrual)),
            "Bar chart of expected incentive accrued per quarter and scenario, with the "
            "interval of each mean",
            "Expected (mean) incentive accrued per quarter; the line on each bar is its 95% "
            "interval.",
        ),
        "</section>",
    ]


def _money_span(low: float, high: float, money) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "n/a"
    return f"{money(low)} to {money(high)}"


def _cell(main: str, sub: str = "", cls: str = "") -> str:
    """A table cell: a figure and, under it, its interval (both escaped)."""
    span = f'<span class="ci">{_e(sub)}</span>' if sub else ""
    klass = f' class="{cls}"' if cls else ""
    return f"<td{klass}>{_e(main)}{span}</td>"


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    """A table of ready cells: each row is its header text and the ``<td>`` cells; a row
    of its header text alone heads a group of rows across the whole table."""
    out = ['<div class="wide"><table>']
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>")
    for label, *cells in rows:
        if not cells:
            out.append(
                f'<tr class="group"><th scope="rowgroup" colspan="{len(header)}">'
                f"{_e(label)}</th></tr>"
            )
            continue
        out.append(f'<tr><th scope="row">{_e(label)}</th>{"".join(cells)}</tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _auto_title(results) -> str:
    years = sorted({str(r.scenario.plan_year) for r in results})
    year = " and ".join(years)
    if len(results) == 1:
        return f"Incentive plan {year}: {results[0].scenario.name}"
    n = len(results) - 1
    what = results[1].scenario.name if n == 1 else f"{n} alternatives"
    return f"Incentive plan {year}: {what} against the baseline, {results[0].scenario.name}"


def _lists_the_scenarios(title: str, results) -> bool:
    """Whether a title only strings the scenario names together (three or more of them)."""
    return len(results) >= 3 and all(r.scenario.name in title for r in results)


def _page_head(results, title: str, notes: list[str]) -> list[str]:
    """The document's head, the title, what is compared and the caller's notes."""
    trials = sorted({r.n_trials for r in results})
    books = dict.fromkeys(r.book_info["name"] for r in results)
    sub = (
        f"{len(results)} scenario{'s' if len(results) > 1 else ''}, plan year "
        f"{_e(', '.join(sorted({str(r.scenario.plan_year) for r in results})))}, "
        f"{_e(' / '.join(f'{t:,}' for t in trials))} simulated years each, book "
        f"{_e(', '.join(books))}."
    )
    return _document_head(title, sub, notes)


def _document_head(title: str, sub: str, notes: Sequence[str]) -> list[str]:
    """The start of a report's page: the document's head with the style, the title, the
    line under it (``sub``, HTML) and the caller's ``notes`` (text), if any."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="sub">{sub}</p></header>',
    ]
    if notes:
        parts.append('<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</div>")
    return parts


def _labelled(text: str, head: str) -> str:
    """Escaped text, its lead ``head`` in bold when it starts with ``head: ``."""
    if text.startswith(head + ": "):
        return f"<b>{_e(head)}:</b> {_e(text[len(head) + 2 :])}"
    return _e(text)


def _summary_section(
    results,
    table: pd.DataFrame,
    last,
    currency: str,
    splits: Sequence = (),
    model_warnings: Sequence[str] = (),
) -> list[str]:
    """Page one: what to decide, one sentence per scenario, how to read the ranges;
    the model's failed back-test checks (``model_warnings``) as warnings."""
    parts = [
        '<section id="summary"><h2>Summary: what to decide</h2>',
        f'<p class="decide">{_e(decision_paragraph(results, table, currency, last))}</p>',
    ]
    warnings = quota_warnings(results, currency)
    parts += [f'<p class="warn">{_labelled(t, "Warning")}</p>' for t in warnings]
    parts += [
        f'<p class="warn"><b>Model check:</b> {_e(t)}</p>' for t in _model_checks(model_warnings)
    ]
    items = [
        "<br>".join(
            _labelled(part, head)
            for part, head in zip(
                three, (f"{r.scenario.name} changes", "Trade-off", ""), strict=True
            )
            if part
        )
        for r, three in zip(
            results[1:],
            scenario_parts(results, table, currency, responses=[x for x in splits if x]),
            strict=True,
        )
    ]
    if items:
        parts.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
    parts += [f'<p class="note">{_e(t)}</p>' for t in reading_notes(results, table)]
    parts.append("</section>")
    return parts


def _model_checks(model_warnings: Sequence[str]) -> list[str]:
    """The back-test's failed checks, then what they mean for the figures above."""
    if not model_warnings:
        return []
    return [
        *model_warnings,
        "the model's past forecasts missed as said above, so read its chances (of "
        "reaching quota or the company target) and its bands with that in mind "
        "('spm-sim fit' shows the back-tests).",
    ]


#: The headline rows a single real year has no value for: percentiles need many years.
_ONE_YEAR = {"cost_p10", "cost_p50", "cost_p90", "reserve"}


def _last_year_cell(last, key: str, unit: str, currency: str, decimals: int) -> str:
    if not last.available:
        return _cell("not available", last.reason, "ref")
    if key in _ONE_YEAR:
        return _cell("n/a", "one year: no percentiles", "ref")
    value = last.figures.get(key, float("nan"))
    if key == "hit":
        return _cell("reached" if value >= 1 else "not reached", "", "ref")
    return _cell(fmt_value(value, unit, currency, decimals=decimals), "", "ref")


def _last_year_header(last) -> str:
    return f"{last.year} deals under the baseline plan (replayed)"


def _signed(x: float, metric: str) -> str:
    """A difference of a count (or of the effort ratio), signed."""
    return f"{x:+.3f}" if metric == "mean_effort" else f"{x:+,.1f}"


def _diff_cell(
    row: Mapping[str, Any], unit: str, currency: str, decimals: int, metric: str = ""
) -> str:
    """A difference against the baseline with its interval and verdict."""
    if row["identical"] and row["same_sales"]:
        return _cell("no change", "same simulated sales", "num diff")
    if unit == "count" or metric == "mean_effort":
        main = _signed(row["diff"], metric)
        span = (
            f"{_signed(row['diff_low'], metric)} to {_signed(row['diff_high'], metric)}"
            if np.isfinite(row["diff_low"]) and np.isfinite(row["diff_high"])
            else "n/a"
        )
    else:
        main = fmt_diff(
            row["diff"], row["diff_low"], row["diff_high"], unit, currency, decimals=decimals
        )
        span = fmt_range(
            row["diff_low"], row["diff_high"], unit, currency, diff=True, decimals=decimals
        )
    if row["identical"]:
        return _cell(
            main, "the same in every simulated year, by chance: sales differ", "num diff noise"
        )
    verdict = "real" if row["real"] else "within noise"
    return _cell(main, f"{span}: {verdict}", "num diff " + ("real" if row["real"] else "noise"))


def _headline_section(results, table: pd.DataFrame, last, currency: str) -> list[str]:
    """Each scenario's figures with intervals, last year replayed, and the differences."""
    names = [r.scenario.name for r in results]
    t = table.set_index(["scenario", "key"])
    keys = list(dict.fromkeys(table["key"]))
    header = ["Figure", _last_year_header(last)] + [
        f"{n} (baseline)" if i == 0 and len(names) > 1 else n for i, n in enumerate(names)
    ]
    rows = []
    for key in keys:
        first = t.loc[(names[0], key)]
        unit = str(first["unit"])
        # one number of decimals per row: every figure and interval in it alike
        places = row_decimals([(t.loc[(n, key)]["low"], t.loc[(n, key)]["high"]) for n in names])
        cells = [_last_year_cell(last, key, unit, currency, places)]
        for n in names:
            row = t.loc[(n, key)]
            cells.append(
                _cell(
                    fmt_value(row["estimate"], unit, currency, decimals=places),
                    fmt_range(row["low"], row["high"], unit, currency, decimals=places),
                    "num",
                )
            )
        rows.append([str(first["label"]), *cells])
    parts = [
        "<section><h2>Headline figures</h2>",
        _html_table(header, rows),
        '<p class="note">Under each figure: its 95% interval, the Monte Carlo error of the '
        "simulation only (how far the figure could move with more simulated years), not the "
        "uncertainty of the model's assumptions. Every other figure, with its interval, is in "
        "the details.</p>",
        f'<p class="note"><b>{_e(_last_year_header(last))}.</b> {_e(last.basis)}</p>',
        '<p class="note">P10/P50/P90: 1 simulated year in 10 costs less than P10, 1 in 10 more '
        "than P90; the reserve is what to hold above the median budget for a 1-in-10 year. "
        "Compensation cost of sales = (base salaries + incentive) / company bookings.</p>",
    ]
    if len(names) > 1:
        dheader = ["Figure"] + [f"{n} vs {names[0]}" for n in names[1:]]
        drows = []
        for key in keys:
            unit = str(t.loc[(names[0], key)]["unit"])
            places = row_decimals(
                [(t.loc[(n, key)]["diff_low"], t.loc[(n, key)]["diff_high"]) for n in names[1:]],
                cap=3,
            )
            cells = [_diff_cell(t.loc[(n, key)], unit, currency, places) for n in names[1:]]
            drows.append([str(t.loc[(names[0], key)]["label"]), *cells])
        parts += [
            "<h3>Differences against the baseline</h3>",
            _html_table(dheader, drows),
            '<p class="note">Under each difference: its 95% interval (Monte Carlo error only), '
            'and "real" when the interval excludes zero. "No change": the two scenarios '
            "simulated the same sales and the figure is the same in every simulated year.</p>",
        ]
    parts.append("</section>")
    return parts


def _renamed_responses(
    given: Sequence, results: Sequence, responses: Sequence[ResponseDecomposition] | None
) -> list:
    """Each alternative's split (None where there is none), in the order of
    ``results[1:]``, named as ``results`` (after :func:`_unique_names`) from the
    results as ``given``."""
    found = _responses_for(given, responses)
    base = results[0].scenario.name
    return [
        None
        if split is None
        else dataclasses.replace(split, baseline=base, alternative=r.scenario.name)
        for r, split in zip(results[1:], found, strict=True)
    ]


#: The columns of the response table: (part, header).
_RESPONSE_COLUMNS = (
    ("total", "Whole difference"),
    ("mechanical", "Mechanical: the same sales paid under this plan"),
    ("response", "Reps' response to the plan"),
    ("response_low", "Response, low end of the range"),
    ("response_high", "Response, high end of the range"),
)


def _response_cell(row: pd.Series, currency: str, places: int) -> str:
    """A part of a difference with its interval and verdict."""
    if row["value"] == 0 and row["se"] == 0:
        return _cell("none", "0 in every simulated year", "num diff")
    unit = str(row["unit"])
    main = fmt_diff(row["value"], row["low"], row["high"], unit, currency, decimals=places)
    if not (np.isfinite(row["low"]) and np.isfinite(row["high"])):
        return _cell(main, _NO_INTERVAL, "num diff")
    span = fmt_range(row["low"], row["high"], unit, currency, diff=True, decimals=places)
    verdict = "real" if row["real"] else "within noise"
    return _cell(main, f"{span}: {verdict}", "num diff " + ("real" if row["real"] else "noise"))


def _response_table(split, currency: str) -> str:
    t = split.table()
    columns = [(p, h) for p, h in _RESPONSE_COLUMNS if p in set(t["part"])]
    if split.other_inputs:  # the mechanical part holds what those inputs change
        others = ", ".join(split.other_inputs)
        columns = [
            (p, f"Mechanical: all but the response (plan, quotas, {others})")
            if p == "mechanical"
            else (p, h)
            for p, h in columns
        ]
    rows = []
    for metric in dict.fromkeys(t["metric"]):
        mine = t[t["metric"] == metric].set_index("part")
        places = row_decimals(
            [(mine.loc[p, "low"], mine.loc[p, "high"]) for p, _ in columns], cap=3
        )
        cells = [_response_cell(mine.loc[p], currency, places) for p, _ in columns]
        rows.append([str(mine["label"].iloc[0]), *cells])
    return _html_table(["Figure", *[h for _, h in columns]], rows)


def _response_section(results, splits: Sequence, currency: str) -> list[str]:
    """Where each difference comes from: the reps' response and the mechanical part."""
    shown = [(r, x) for r, x in zip(results[1:], splits, strict=True) if x is not None]
    if not shown:
        return []
    parts = ["<section><h2>Where the differences come from: reps' response and mechanics</h2>"]
    for r, split in shown:
        if len(shown) > 1:
            parts.append(f"<h3>{_e(r.scenario.name)} against {_e(results[0].scenario.name)}</h3>")
        if not split.behaviour:
            parts.append(
                "<p>Neither scenario models the reps' response to the plan (behaviour off in "
                "both): every difference is mechanical, the same sales paid under the other "
                "plan.</p>"
            )
            continue
        parts.append(_response_table(split, currency))
    ranged = any(x.ranged for _, x in shown)
    parts += [
        '<p class="note">Each scenario was simulated again with the reps\' response switched '
        "off (behaviour off: the sales each rep would make whatever the plan), on the same "
        "simulated years. Mechanical: the difference between those two runs, the same sales "
        "paid under the other plan and quotas. Reps' response: the whole difference minus "
        "the mechanical part, how much more the reps' effort and deal timing move the figure "
        "under one plan than under the other. Under each part: its 95% interval (Monte Carlo "
        'error only) and "real" when it excludes zero.'
        + (
            " The ends of the range: the response part again with the behaviour's parameters "
            "at the low and high ends of their range, how uncertain that part is because the "
            "response sizes are themselves uncertain."
            if ranged
            else " How far the response part moves with the response sizes themselves was "
            "not assessed (no range of the behaviour's parameters was given)."
        )
        + "</p>",
        "</section>",
    ]
    return parts


def _cost_section(results) -> list[str]:
    """The incentive cost per scenario: small multiples with P10/P50/P90 in money."""
    import spm_sim.viz as plots

    return [
        "<section><h2>Incentive cost</h2>",
        _figure(
            plots.fig_to_base64_png(plots.cost_distribution(results)),
            "Incentive cost per simulated year, one panel per scenario, with P10, P50 and P90 "
            "labelled in money",
            "One panel per scenario: how often each annual incentive cost came up in the "
            "simulated years. 8 years in 10 fall between P10 and P90; P50 (black) is the "
            "typical year. The light band around each line is its 95% interval (Monte Carlo "
            "error only).",
        ),
        "</section>",
    ]


def _attainment_and_plans(results) -> list[str]:
    """Attainment distributions and the plans' payout curves."""
    import spm_sim.viz as plots

    return [
        "<section><h2>Attainment</h2>",
        _figure(
            plots.fig_to_base64_png(plots.attainment_histogram(results)),
            "Histograms of company attainment per trial and of rep attainment, per scenario",
            "Left: company bookings / company target in each simulated year; the black line is the "
            "target. Right: each rep's bookings / quota in each simulated year; the black line is "
            "quota.",
        ),
        "</section>",
        "<section><h2>Plans</h2>",
        _figure(
            plots.fig_to_base64_png(plots.payout_curves(_distinct_plans(results))),
            "Payout and effective rate against attainment for each plan",
            "Left: what a rep earns, as a multiple of target incentive, at each attainment (100% = "
            "quota). Right: the average rate paid per dollar booked, as a multiple of the target "
            "commission rate (TCR = TI / quota).",
        ),
        '<p class="note">Plan rules (marginal: each band\'s rate applies to the sales inside '
        "the band; retroactive: the band reached sets the rate of every sale):</p>",
        *[
            f'<div class="plan"><h3>{_e(p.name)}</h3>{_plan_table(p)}</div>'
            for p in _distinct_plans(results)
        ],
        "</section>",
    ]


def _assumption_pairs(r) -> list[tuple[str, str]]:
    """One scenario's assumptions as (label, value), without any path."""
    s = r.scenario
    q = s.quota
    cur = s.plan.currency
    seed = r.seed
    spawn = f", spawn key {tuple(seed['spawn_key'])}" if seed.get("spawn_key") else ""
    return [
        ("Description", s.description or "(none given)"),
        ("Book", r.book_info["name"]),
        ("Plan year", str(s.plan_year)),
        ("Plan", f"{s.plan.name} ({cur}, fingerprint {plan_fingerprint(s.plan)})"),
        ("Quota method", q.describe(s.plan_year)),
        (
            "Over-assignment",
            f"{q.over_assignment.total:.1%} set (region {q.over_assignment.region:.1%}, rep "
            f"{q.over_assignment.rep:.1%}), {r.quotas.over_assignment:.1%} realised",
        ),
        ("Minimum history for own run rate", f"{q.min_history_months:g} months"),
        *getattr(r, "notes", ()),
        ("Company target", format_money(r.company_target, currency=cur)),
        ("Sum of rep quotas", format_money(float(r.quotas.annual.sum()), currency=cur)),
        ("Reps on quota", str(len(r.rep_ids))),
        (
            "Base salaries / target incentive (all reps)",
            f"{format_money(float(r.base_salary.sum()), currency=cur)} / "
            f"{format_money(float(r.target_incentive.sum()), currency=cur)}",
        ),
        ("Simulated years (trials)", f"{r.n_trials:,}"),
        ("Seed", f"{seed['entropy']}{spawn}"),
        ("spm_sim version", r.version),
    ]


_SAME = "the same inputs as the baseline"

#: Assumptions that belong to their scenario: shown per scenario, never as common.
_OWN = frozenset({"Description"})


def _assumptions_section(results) -> list[str]:
    """One table of what differs between scenarios, and one line of what they share."""
    pairs = [dict(_assumption_pairs(r)) for r in results]
    base = results[0]
    for r, p in zip(results[1:], pairs[1:], strict=True):
        # the baseline's description copied onto a scenario that changes something
        copied = r.scenario.description.strip() == base.scenario.description.strip()
        if copied and r.scenario.description.strip() and what_changes(r, base) != _SAME:
            p["Description"] = (
                f"(the description of {base.scenario.name}, copied: it does not describe "
                "what this scenario changes; see the rows below)"
            )
    labels = list(dict.fromkeys(k for p in pairs for k in p))
    names = [r.scenario.name for r in results]
    # a description belongs to its scenario: one copied from another scenario whose
    # plan or quotas were then changed says nothing true about both
    differ = [
        k for k in labels if len({p.get(k, "(not modelled)") for p in pairs}) > 1 or k in _OWN
    ]
    common = [k for k in labels if k not in differ]
    parts = ["<section><h2>Assumptions</h2>"]
    if len(results) == 1:
        parts.append(_kv_table([(k, pairs[0][k]) for k in labels]))
    else:
        if differ:
            rows = [[k, *[p.get(k, "(not modelled)") for p in pairs]] for k in differ]
            parts += [
                "<p>What differs between the scenarios:</p>",
                '<div class="wide">'
                + _table(["Assumption", *names], rows, classes=[""] * (len(names) + 1))
                + "</div>",
            ]
        if common:
            line = "; ".join(f"{k}: {pairs[0][k]}" for k in common)
            parts.append(f'<p class="note"><b>Common to all scenarios.</b> {_e(line)}.</p>')
    parts.append("</section>")
    return parts


def _provenance(r) -> str:
    fit = r.model.fit
    s = r.scenario
    deals = fit.get("n_deals")
    span = (
        f"{fit.get('history_start')} to {fit.get('history_end')}"
        if fit.get("history_start")
        else "the book's history"
    )
    deals_text = f"{deals:,} deals booked" if isinstance(deals, int) else "deals booked"
    return (
        f"Sales simulated from {deals_text} {span} in book {r.book_info['name']}; "
        f"{len(r.rep_ids)} reps on quota in {s.plan_year}; {r.n_trials:,} trials, seed "
        f"{r.seed['entropy']}; spm_sim {r.version}."
    )


def _book_source(r) -> str:
    meta = r.book_info
    parts = [
        f"About the book {meta['name']}: {meta['description']}" if meta["description"] else "",
        f"Source: {meta['source']}" if meta["source"] else "",
    ]
    return " ".join(p for p in parts if p)


def _closing_sections(results) -> list[str]:
    """The data provenance (file names and checksums, no paths), the footer, the end tags."""
    return [
        "<section><h2>Data provenance</h2>",
        *[f"<p>{_e(line)}</p>" for line in dict.fromkeys(_provenance(r) for r in results)],
        *[
            f'<p class="note">Book files (SHA-256, first {SHORT_HASH} characters): {_e(line)}</p>'
            for line in dict.fromkeys(book_fingerprint(r.book_info) for r in results)
        ],
        *[
            f'<p class="note">{_e(line)}</p>'
            for line in dict.fromkeys(_book_source(r) for r in results)
            if line
        ],
        "</section>",
        f"<footer>Produced by spm_sim {_e(results[0].version)}. The file has no timestamp and "
        "no local paths: the same scenarios, book and seed give the same report.</footer>",
        "</body></html>",
    ]


def write_report(
    results: SimulationResult | Sequence[SimulationResult],
    path: str | Path,
    *,
    title: str | None = None,
    notes: str | Sequence[str] | None = None,
    book: Book | None = None,
    responses: Sequence[ResponseDecomposition] | None = None,
    model_warnings: Sequence[str] = (),
) -> Path:
    """Write a self-contained HTML report that states the decision between scenarios.

    Parameters
    ----------
    results : SimulationResult or sequence of them
        The first is the baseline that the others are compared with.
    path : str or Path
        The HTML file to write (parent folders are created).
    title : str, optional
        The page's heading. Default (and for a title that only strings three or more
        scenario names together): "Incentive plan <year>: <n> alternatives against
        the baseline, <baseline>" ("<alternative> against the baseline, <baseline>"
        for one).
    notes : str or sequence of str, optional
        Paragraphs shown under the title (escaped, like every user-given text).
    book : Book, optional
        The book the baseline was simulated on, for last year's deals replayed under
        its plan (:func:`spm_sim.report.last_year`). Needed for a book built in
        memory; by default the book is read again from its folder and checked
        against the results (a book changed since is not used, and the column says
        so).
    responses : sequence of ResponseDecomposition, optional
        :func:`spm_sim.simulate.response_decomposition` of the baseline and
        alternatives (matched by scenario names): the summary says how much of each
        difference is the reps' response and how uncertain that part is, and a
        section on page one tabulates the split of each figure.
    model_warnings : sequence of str, optional
        The model's failed back-test checks in words
        (:meth:`spm_sim.fit_report.RollingBacktest.warnings`): the summary carries
        them as warnings, with what they mean for the figures.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Page one: a summary written from the numbers (what to decide; one sentence per
    scenario against the baseline, with its 95% interval and whether the difference
    is real), "Check before deciding" when a result is implausible
    (:func:`spm_sim.metrics.result_flags`), the headline figures with their intervals
    next to last year's deals replayed under the baseline plan
    (:func:`spm_sim.report.last_year`), the
    differences against the baseline and the incentive cost per scenario. Then, on a
    new printed page, the details: people and behaviour during the year, attainment,
    the plans and their rules, accrual by quarter, one table of the assumptions that
    differ, and the data's provenance (file names and SHA-256 checksums; no path is
    written anywhere in the file). The file has no timestamp, so the same inputs and
    seed give the same bytes.

    Scenarios with the same name (one scenario run twice, with another seed or
    book) are all shown: the second is named ``"name (2)"``, and a note under the
    title says so.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from spm_sim import sample_scenario, simulate
    >>> base = sample_scenario("baseline").replace(engine="summed")
    >>> alt = sample_scenario("accelerated").replace(engine="summed")
    >>> results = [simulate(s, 100, rng=1) for s in (base, alt)]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = write_report(results, Path(folder) / "report.html").read_text("utf-8")
    >>> "<h2>Summary: what to decide</h2>" in text, "Accelerated 2026 costs" in text
    (True, True)
    >>> "/tmp" in text.split("data:image")[0]   # no local path anywhere in the text
    False
    """
    given = _as_list(results)
    results, renamed = _unique_names(given)
    splits = _renamed_responses(given, results, responses)
    path = Path(path)
    cur = results[0].scenario.plan.currency
    if title is None or _lists_the_scenarios(title, results):
        title = _auto_title(results)

    def money(x: float) -> str:
        return format_money(x, currency=cur)

    figures = headline_figures(results)
    cmp = bare(figures.attrs["compare"])
    table = bare(figures)
    last = last_year(results[0], book)
    parts = [
        *_page_head(results, title, [*_notes_list(notes), *renamed]),
        *_summary_section(results, table, last, cur, splits, model_warnings),
        *_check_section(results),
        *_headline_section(results, table, last, cur),
        *_response_section(results, splits, cur),
        *_cost_section(results),
        '<div class="details"><h2>Details</h2>',
        *_every_figure_section(results, table, cmp, cur),
        *_during_the_year(results, cmp, money, cur),
        *_attainment_and_plans(results),
        *_accrual_section(results, money),
        *_assumptions_section(results),
        "</div>",
        *_closing_sections(results),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(parts) + "\n")
    return path
