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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim._files import write_csv, write_text
from spm_sim._format import (
    format_diff,
    format_money,
    format_pct,
    format_value,
    unique_slugs,
)
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

if TYPE_CHECKING:
    from spm_sim.simulate import SimulationResult

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


# (row label, metric, statistic); the statistic is a column of metrics.compare
_HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Probability of reaching the company target", "hit_company_target", "mean"),
    ("Expected company attainment", "company_attainment", "mean"),
    ("Share of reps at or above quota (mean)", "share_reps_at_quota", "mean"),
    ("Incentive cost, mean", "incentive_cost", "mean"),
    ("Incentive cost, P10", "incentive_cost", "p10"),
    ("Incentive cost, P50 (median)", "incentive_cost", "p50"),
    ("Incentive cost, P90", "incentive_cost", "p90"),
    ("Reserve for a bad year (P90 - P50)", "incentive_cost", "reserve"),
    ("Incentive paid / target incentive (mean)", "payout_share_of_ti", "mean"),
    ("Compensation cost of sales (CCOS, mean)", "ccos", "mean"),
    ("Incentive cost of sales (mean)", "incentive_cost_of_sales", "mean"),
)


def _blocks(cmp: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Split ``compare`` output into one frame per result, indexed by metric.

    Each result's rows start with the first metric of ``METRICS``; results with a
    workforce, behaviour or programmes have more rows than the others.
    """
    first = next(iter(METRICS))
    starts = [*np.flatnonzero(cmp["metric"].to_numpy() == first), len(cmp)]
    if len(starts) - 1 != n:  # pragma: no cover - an internal contract
        raise RuntimeError(f"compare() gave {len(starts) - 1} blocks for {n} results")
    return [cmp.iloc[a:b].set_index("metric") for a, b in zip(starts, starts[1:], strict=False)]


def _stat(block: pd.DataFrame, metric: str, stat: str) -> float:
    if stat == "reserve":
        return float(block.at[metric, "p90"] - block.at[metric, "p50"])
    return float(block.at[metric, stat])


def _diff_columns(results: Sequence) -> list[str]:
    base = results[0].scenario.name
    if len(results) == 2:
        return ["Difference vs baseline"]
    return [f"{r.scenario.name} vs {base}" for r in results[1:]]


def headline(results: SimulationResult | Sequence[SimulationResult]) -> pd.DataFrame:
    """The headline table: formatted text, one column per scenario plus differences.

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
        baseline" when there are two). Differences of means are ``diff ± 2 SE`` from
        :func:`spm_sim.metrics.compare`; differences of percentiles carry no SE.
        ``attrs``: ``baseline``, ``paired`` (scenario name -> bool) and ``compare``
        (the numeric frame). Scenarios with the same name are told apart as
        ``"name (2)"``, ``"name (3)"``.
    """
    results, _ = _unique_names(_as_list(results))
    cmp = compare(results)
    blocks = _blocks(cmp, len(results))
    currency = results[0].scenario.plan.currency
    units = {metric: unit for metric, (_label, unit) in METRICS.items()}
    diff_cols = _diff_columns(results)
    rows = []
    for _label, metric, stat in _HEADLINE_ROWS:
        unit = units[metric]
        cells = [format_value(_stat(b, metric, stat), unit, currency) for b in blocks]
        for b in blocks[1:]:
            if stat == "mean":
                cells.append(
                    format_diff(
                        float(b.at[metric, "diff_vs_baseline"]),
                        float(b.at[metric, "diff_se"]),
                        unit,
                        currency=currency,
                    )
                )
            else:
                d = _stat(b, metric, stat) - _stat(blocks[0], metric, stat)
                cells.append(format_diff(d, float("nan"), unit, currency=currency))
        rows.append(cells)
    columns = [r.scenario.name for r in results] + diff_cols
    df = pd.DataFrame(
        rows, index=pd.Index([r[0] for r in _HEADLINE_ROWS], name="metric"), columns=columns
    )
    df.attrs.update(
        baseline=results[0].scenario.name,
        paired={
            r.scenario.name: bool(b["paired"].iloc[0]) for r, b in zip(results, blocks, strict=True)
        },
        compare=cmp,
    )
    return df


def write_summaries(
    results: SimulationResult | Sequence[SimulationResult], folder: str | Path
) -> list[Path]:
    """Write the tables behind a report as CSV files in ``folder``.

    Files: ``summary.csv`` (:func:`spm_sim.metrics.compare`: one row per scenario
    and metric), and per scenario ``reps_<slug>.csv`` (:func:`~spm_sim.metrics.rep_summary`)
    and ``trials_<slug>.csv`` (:func:`~spm_sim.metrics.trial_metrics`), each with a
    leading ``scenario`` column. Scenarios with the same name are told apart as
    ``"name (2)"``, and slugs are made unique if two names collide.

    Returns
    -------
    list of Path
        ``summary.csv`` first, then the reps and trials files of each scenario.
    """
    results, _ = _unique_names(_as_list(results))
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
table { border-collapse: collapse; margin: 8px 0 6px; font-size: 14px; }
th, td { border: 1px solid #d0d4da; padding: 5px 10px; vertical-align: top; }
thead th { background: #eef1f5; text-align: center; }
tbody th { text-align: left; font-weight: normal; background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.diff { background: #fbfaf3; }
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
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure, table, .scenario { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(text) -> str:
    """Escape any text for HTML (element content and attribute values)."""
    return html.escape(str(text), quote=True)


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


def _dynamics_rows(results, present: list[str], money) -> list[list[str]]:
    """Per metric of the workforce, behaviour and programmes, each scenario's mean ("off")."""
    rows = []
    for k in present:
        label, unit = DYNAMICS_METRICS[k]
        cells = []
        for r in results:
            if k not in r.trials.columns:
                cells.append("off")
                continue
            v = float(r.trials[k].mean())
            if unit == "$":
                cells.append(money(v))
            elif unit == "ratio":
                cells.append(format_pct(v, decimals=1) if k.startswith("share") else f"{v:.3f}")
            else:
                cells.append(f"{v:,.1f}")
        rows.append([label, *cells])
    return rows


def _programme_return_rows(results, money) -> list[list[str]]:
    """The return of each scenario's programmes against the same scenario without them.

    A scenario whose counterpart without programmes is not among ``results`` (or
    differs in more than its programmes) has no row.
    """
    rows = []
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
        inc = t.loc["incremental_bookings"]
        rows.append(
            [
                f"{r.scenario.name} against {other.scenario.name}",
                f"{money(inc['mean'])} ± {money(2 * inc['se'])}",
                money(t.loc["incremental_incentive", "mean"]),
                money(t.loc["programme_cost", "mean"]),
                f"{t.loc['bookings_per_dollar', 'mean']:,.1f} ± "
                f"{2 * t.loc['bookings_per_dollar', 'se']:,.1f}",
            ]
        )
    return rows


def _during_the_year(results, money) -> list[str]:
    """The section on workforce, behaviour and programmes, when any scenario has them."""
    present = [k for k in DYNAMICS_METRICS if any(k in r.trials.columns for r in results)]
    if not present:
        return []
    names = [r.scenario.name for r in results]
    rows = _dynamics_rows(results, present, money)
    out = [
        "<section><h2>During the year: people, behaviour, programmes</h2>",
        _table(["Mean per simulated year", *names], rows, classes=["num"] * len(names)),
        '<p class="note">"off": the scenario does not model it. Full-year reps are the reps '
        "who kept their seat all year (attainment statistics are usually quoted for them). "
        "Bookings pulled in from next year raise this year's bookings at next year's expense; "
        "bookings pushed into next year lower them.</p>",
    ]
    ret_rows = _programme_return_rows(results, money)
    if ret_rows:
        out += [
            "<h3>Return of the programmes</h3>",
            _table(
                [
                    "Scenario",
                    "Extra bookings (± 2 s.e.)",
                    "Extra incentive",
                    "Programme cost",
                    "Bookings per extra dollar (± 2 s.e.)",
                ],
                ret_rows,
                classes=["num"] * 4,
            ),
            '<p class="note">Paired differences on common random numbers: each simulated year '
            "with the programme against the same year of the same scenario without it (a "
            "scenario whose counterpart without programmes is not in the report is left "
            "out).</p>",
        ]
    out.append("</section>")
    return out


def _book_label(r) -> str:
    info = r.book_info
    return f"{info['name']} ({info['path']})"


def _assumptions(r) -> str:
    s = r.scenario
    q = s.quota
    cur = s.plan.currency
    seed = r.seed
    spawn = f", spawn key {tuple(seed['spawn_key'])}" if seed.get("spawn_key") else ""
    pairs = [
        ("Description", s.description or "(none given)"),
        ("Book", _book_label(r)),
        ("Plan year", str(s.plan_year)),
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
        (
            "Plan",
            f"{s.plan.name} ({cur})" + (f": {s.plan.description}" if s.plan.description else ""),
        ),
        ("Trials", f"{r.n_trials:,}"),
        ("Seed", f"{seed['entropy']}{spawn}"),
        ("spm_sim version", r.version),
    ]
    return (
        f'<div class="scenario"><h3>{_e(s.name)}</h3>{_kv_table(pairs)}'
        f'<p class="note">Plan components and their rules (marginal: each band\'s rate applies '
        f"to the sales inside the band; retroactive: the band reached sets the rate of every "
        f"sale):</p>{_plan_table(s.plan)}</div>"
    )


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
        f"Sales simulated from {deals_text} {span} in book {_book_label(r)}; "
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


def _pairing_notes(results, paired: dict) -> list[str]:
    base = results[0].scenario.name
    notes = []
    for r in results[1:]:
        name = r.scenario.name
        if paired.get(name):
            notes.append(
                f"Differences for {name} are paired by common random numbers: it shares the "
                f"baseline's book, plan year, seed and number of trials, so every trial compares "
                f"it with {base} on the same simulated sales, and ± is 2 standard errors of the "
                f"paired differences (only the remaining Monte Carlo noise)."
            )
        else:
            notes.append(
                f"Differences for {name} are not paired: it does not share the baseline's book, "
                f"plan year, seed or number of trials, so ± is 2 standard errors combining both "
                f"scenarios' Monte Carlo noise."
            )
    return notes


def _notes_list(notes: str | Sequence[str] | None) -> list[str]:
    """The paragraphs under the title: none, one text, or one per item."""
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes]
    return [str(n) for n in notes]


def _page_head(results, title: str, notes: list[str]) -> list[str]:
    """The document's head, the title, what is compared and the notes."""
    names = [r.scenario.name for r in results]
    trials = sorted({r.n_trials for r in results})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(", ".join(names))}: plan year '
        f"{_e(', '.join(sorted({str(r.scenario.plan_year) for r in results})))}, "
        f"{_e(' / '.join(f'{t:,}' for t in trials))} Monte Carlo trials per scenario.</p></header>",
    ]
    if notes:
        parts.append('<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</div>")
    return parts


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


def _headline_section(results) -> list[str]:
    """The headline table (baseline first, then the differences) and how to read it."""
    names = [r.scenario.name for r in results]
    table = headline(results)
    n_scen = len(names)
    classes = [""] + ["num"] * n_scen + ["num diff"] * (table.shape[1] - n_scen)
    header = (
        ["Metric"]
        + [f"{n} (baseline)" if i == 0 and n_scen > 1 else n for i, n in enumerate(names)]
        + list(table.columns[n_scen:])
    )
    rows = [[label, *table.iloc[i].tolist()] for i, label in enumerate(table.index)]
    parts = [
        "<section><h2>Headline</h2>",
        _table(header, rows, classes=classes),
        '<p class="note">Each figure is over all simulated years (trials). The probability of '
        "reaching the company target and the expected attainment do not depend on the plan when "
        "scenarios share their simulated sales. Incentive cost P10/P50/P90: 1 year in 10 costs "
        "less than P10, 1 in 10 more than P90; the reserve is what to hold above the median "
        "budget to cover a 1-in-10 year. "
        "CCOS = (base salaries + incentive) / company bookings.</p>",
    ]
    if n_scen > 1:
        paired = table.attrs["paired"]
        parts += [f'<p class="note">{_e(t)}</p>' for t in _pairing_notes(results, paired)]
        parts.append(
            '<p class="note">Differences of percentiles (P10, P50, P90, reserve) are shown '
            "without a standard error.</p>"
        )
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


def _distribution_sections(results) -> list[str]:
    """Attainment, incentive cost and the plans' payout curves, as figures."""
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
        "<section><h2>Incentive cost</h2>",
        _figure(
            plots.fig_to_base64_png(plots.cost_distribution(results)),
            "Distributions of incentive cost and of compensation cost of sales, per scenario",
            "Left: incentive paid in each simulated year, with P10 (dotted), P50 (solid) and P90 "
            "(dashed) in the scenario's colour. Right: compensation cost of sales.",
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
        "</section>",
    ]


def _accrual_section(results, money) -> list[str]:
    """Incentive accrued per quarter: a table (mean, P10 to P90, share) and a bar chart."""
    import spm_sim.viz as plots

    accrual = quarterly_accrual(results)  # spm_sim.metrics
    names = [r.scenario.name for r in results]
    n_scen = len(names)
    acc_header = ["Quarter"] + [f"{n}: mean (P10 to P90)" for n in names]
    quarters = list(dict.fromkeys(accrual["quarter"]))
    acc_rows = []
    for i, quarter in enumerate(quarters):
        row = [quarter]
        for k in range(n_scen):
            part = accrual.iloc[k * len(quarters) + i]
            row.append(
                f"{money(part['mean'])} ({money(part['p10'])} to {money(part['p90'])}), "
                f"{format_pct(part['share_of_year'], decimals=0)}"
            )
        acc_rows.append(row)
    return [
        "<section><h2>Incentive accrual by quarter</h2>",
        _table(acc_header, acc_rows, classes=[""] + ["num"] * n_scen),
        '<p class="note">Incentive paid in each quarter (settled cumulatively year to date, so '
        "accelerators above quota are paid when reps pass quota, mostly late in the year); the "
        "last "
        "figure is the quarter's share of the year's expected incentive.</p>",
        _figure(
            plots.fig_to_base64_png(plots.quarterly_accrual_chart(accrual)),
            "Bar chart of expected incentive accrued per quarter and scenario",
            "Expected (mean) incentive accrued per quarter.",
        ),
        "</section>",
    ]


def _closing_sections(results) -> list[str]:
    """Each scenario's assumptions, the data provenance, the footer and the end tags."""
    return [
        "<section><h2>Assumptions</h2>",
        *[_assumptions(r) for r in results],
        "</section>",
        "<section><h2>Data provenance</h2>",
        *[f"<p>{_e(line)}</p>" for line in dict.fromkeys(_provenance(r) for r in results)],
        *[
            f'<p class="note">{_e(line)}</p>'
            for line in dict.fromkeys(_book_source(r) for r in results)
            if line
        ],
        "</section>",
        f"<footer>Produced by spm_sim {_e(results[0].version)}. The file has no timestamp: "
        "the same "
        "scenarios, book and seed give the same report.</footer>",
        "</body></html>",
    ]


def write_report(
    results: SimulationResult | Sequence[SimulationResult],
    path: str | Path,
    *,
    title: str = "Scenario report",
    notes: str | Sequence[str] | None = None,
) -> Path:
    """Write a self-contained HTML report comparing scenarios.

    Parameters
    ----------
    results : SimulationResult or sequence of them
        The first is the baseline that the others are compared with.
    path : str or Path
        The HTML file to write (parent folders are created).
    title : str, default "Scenario report"
    notes : str or sequence of str, optional
        Paragraphs shown under the title (escaped, like every user-given text).

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Sections: "Check before deciding" (only when a result is implausible: each
    flag of :func:`spm_sim.metrics.result_flags` with the inputs that drive it, per
    scenario), headline table (scenarios side by side, difference vs baseline with
    ± 2 standard errors), attainment distributions, incentive cost and CCOS
    distributions, payout curves of the plans, incentive accrual by quarter,
    assumptions of each scenario, data provenance. The file has no timestamp, so
    the same inputs and seed give the same bytes.

    Scenarios with the same name (one scenario run twice, with another seed or
    book) are all shown: the second is named ``"name (2)"``, and a note under the
    title says so.
    """
    results, renamed = _unique_names(_as_list(results))
    path = Path(path)
    cur = results[0].scenario.plan.currency

    def money(x: float) -> str:
        return format_money(x, currency=cur)

    parts = [
        *_page_head(results, title, [*_notes_list(notes), *renamed]),
        *_check_section(results),
        *_headline_section(results),
        *_during_the_year(results, money),
        *_distribution_sections(results),
        *_accrual_section(results, money),
        *_closing_sections(results),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(parts) + "\n")
    return path
