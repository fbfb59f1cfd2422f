"""What the workbench shows and hands out: headline cards, tables, figures, CSVs.

Pure functions from results to HTML strings (the workbench marks those with money
in them for JupyterLab with :func:`spm_sim._format.no_maths`): :func:`headline_cards`
(the design's four headline figures with their intervals), :func:`reps_table`
(through :func:`html_table`),
:func:`message_box` and :func:`download_link`; :func:`csv_tables` gives the tables
behind the figures as CSV files. :class:`FigurePanel` draws the cost
and attainment figures and draws a figure again only when the data it shows changed.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import sys
import traceback
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spm_sim._format import format_diff, format_money, format_pct
from spm_sim.errors import SpmSimError
from spm_sim.metrics import compare, rep_summary, trial_metrics
from spm_sim.simulate import SimulationResult
from spm_sim.viz.results import attainment_histogram, cost_distribution, fig_to_base64_png

__all__ = [
    "FIGURE_DPI",
    "FigurePanel",
    "csv_tables",
    "download_link",
    "diff_text",
    "figure_key",
    "headline_cards",
    "html_table",
    "message_box",
    "reps_table",
]

#: figures are drawn at this resolution (screen, not print: faster to draw)
FIGURE_DPI = 72


def message_box(text: str, colour: str, background: str) -> str:
    """``text`` (HTML) in a box with a ``colour`` bar on its left.

    Examples
    --------
    >>> message_box("<b>Could not update:</b> why", "#b00020", "#fdecea")[:45]
    "<div style='background:#fdecea;border-left:5p"
    """
    return (
        f"<div style='background:{background};border-left:5px solid {colour};"
        f"padding:6px 12px;margin:6px 0;white-space:pre-wrap'>{text}</div>"
    )


def download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    """A link that downloads ``data`` as ``filename`` (the file is in the link itself).

    Examples
    --------
    >>> download_link(b"a,b\\n", "t.csv", "text/csv", "t.csv")
    "<a download='t.csv' href='data:text/csv;base64,YSxiCg==' style='margin-right:18px'>t.csv</a>"
    """
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f"<a download='{html.escape(filename)}' href='data:{mime};base64,{b64}' "
        f"style='margin-right:18px'>{html.escape(label)}</a>"
    )


#: what "±" means on the cards, said once above them
PLUS_MINUS = (
    "± = 2 standard errors: of the mean for a figure, and of the paired difference "
    "(the same simulated years) for a change against the baseline."
)


def diff_text(diff: float, se: float, unit: str, *, currency: str = "USD") -> str:
    """A change against the baseline and its ± (2 standard errors), for a card.

    Money as money; shares and probabilities in percentage points (pp), with as
    many decimals as the ± needs to show a digit (up to 3); a ± or a change smaller
    than that reads "under 0.001 pp", never "± 0.000 pp" (:func:`spm_sim._format.format_diff`).

    Parameters
    ----------
    diff, se : float
        The difference (design minus baseline) and its standard error.
    unit : {"$", "ratio", "prob"}
        Money, or a share (0.05 = 5%).
    currency : str, default "USD"
        The money's currency.

    Examples
    --------
    >>> diff_text(123_456, 5_000, "$")
    '+$123k ± $10.0k'
    >>> diff_text(0.00051, 1e-7, "ratio")
    '+0.051 pp ± under 0.001 pp'
    >>> diff_text(2e-6, 1e-7, "ratio")
    '+under 0.001 pp ± under 0.001 pp'
    >>> diff_text(-0.0312, 0.002, "prob"), diff_text(0.0, 0.0, "prob")
    ('-3.1 pp ± 0.4 pp', 'no change')
    """
    return format_diff(diff, se, unit, currency=currency)


def headline_cards(
    numbers: pd.DataFrame,
    *,
    design: str,
    baseline: str,
    currency: str,
    notes: Sequence[str] = (),
) -> str:
    """The four headline figures of the design, each with its interval (HTML).

    Parameters
    ----------
    numbers : DataFrame
        :func:`spm_sim.metrics.compare` of the baseline and the design (in that
        order): the design's rows are its second half.
    design, baseline : str
        The scenarios' names, for the line above the cards.
    currency : str
        The plan's currency (ISO code) for the money.
    notes : sequence of str, optional
        Lines of plain text shown above the cards (e.g. which plan the baseline
        runs, or that it moved too).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> from spm_sim.metrics import compare
    >>> s = sample_scenario("baseline")
    >>> pair = [simulate(s, n_trials=200, rng=0), simulate(s, n_trials=200, rng=0)]
    >>> cards = headline_cards(compare(pair), design="D", baseline="B", currency="USD")
    >>> cards.count("class='spm-card'"), "Chance of reaching the company target" in cards
    (4, True)
    """
    design_rows = numbers.iloc[len(numbers) // 2 :].set_index("metric")

    def money(x: float) -> str:
        return format_money(x, currency=currency)

    def change(row: pd.Series, unit: str) -> str:
        return diff_text(row["diff_vs_baseline"], row["diff_se"], unit, currency=currency)

    cost = design_rows.loc["incentive_cost"]
    hit = design_rows.loc["hit_company_target"]
    reps = design_rows.loc["share_reps_at_quota"]
    ccos = design_rows.loc["ccos"]
    cards = [
        (
            "Incentive cost a year",
            f"{money(cost['mean'])}",
            f"P10 {money(cost['p10'])} to P90 {money(cost['p90'])}; "
            f"vs baseline {change(cost, '$')}",
        ),
        (
            "Chance of reaching the company target",
            format_pct(hit["mean"], decimals=0),
            f"± {format_pct(2 * hit['se'], decimals=1)}; vs baseline {change(hit, 'prob')}",
        ),
        (
            "Reps at or above quota",
            format_pct(reps["mean"], decimals=0),
            f"P10 {format_pct(reps['p10'], decimals=0)} to P90 "
            f"{format_pct(reps['p90'], decimals=0)}; vs baseline {change(reps, 'ratio')}",
        ),
        (
            "Compensation cost of sales",
            format_pct(ccos["mean"]),
            f"of bookings; P10 {format_pct(ccos['p10'])} to P90 {format_pct(ccos['p90'])}; "
            f"vs baseline {change(ccos, 'ratio')}",
        ),
    ]
    items = "".join(
        "<div class='spm-card' style='border:1px solid #ccc;border-radius:6px;"
        "padding:8px 12px;margin:4px;min-width:230px;flex:1'>"
        f"<div style='color:#555'>{html.escape(t)}</div>"
        f"<div class='spm-figure' style='font-size:1.6em;font-weight:bold'>"
        f"{html.escape(v)}</div><div style='color:#333'>{html.escape(d)}</div></div>"
        for t, v, d in cards
    )
    names = (
        f"<b class='spm-design-name'>{html.escape(design)}</b> against "
        f"<b class='spm-baseline-name'>{html.escape(baseline)}</b> on the same simulated sales."
    )
    lines = [names, *(html.escape(n) for n in notes), html.escape(PLUS_MINUS)]
    head = "".join(f"<div class='spm-card-note'>{line}</div>" for line in lines)
    return f"{head}<div style='display:flex;flex-wrap:wrap'>{items}</div>"


#: the per-rep table's columns and headings, and how each is written
_REP_COLUMNS = {
    "rep_id": ("Rep", None),
    "region": ("Region", None),
    "annual_quota": ("Annual quota", "money"),
    "expected_bookings": ("Expected bookings", "money"),
    "expected_attainment": ("Expected attainment", "pct"),
    "p_at_quota": ("Chance of quota", "pct"),
    "target_incentive": ("Target incentive", "money"),
    "expected_incentive": ("Expected incentive", "money"),
    "incentive_p90": ("Incentive, P90", "money"),
}


def reps_table(result: SimulationResult, *, cache: dict[str, Any] | None = None) -> str:
    """The per-rep summary of ``result`` (:func:`spm_sim.metrics.rep_summary`), HTML.

    Parameters
    ----------
    result : SimulationResult
    cache : dict, optional
        Keeps each column's text with the numbers it was written from, so that a
        column whose numbers did not change (the quotas and target incentives when a
        plan lever moved, the expected bookings always) is not written again. One
        entry per column: it does not grow.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> table = reps_table(simulate(sample_scenario("baseline"), n_trials=200, rng=0))
    >>> "<th>Chance of quota</th>" in table
    True
    """
    cur = result.scenario.plan.currency
    reps = rep_summary(result)
    reps.attrs.clear()  # its provenance (the whole spec) would be copied with every column
    cache = {} if cache is None else cache
    shown = {}
    for col, (heading, kind) in _REP_COLUMNS.items():
        values = reps[col].to_numpy()
        if kind is None:
            shown[heading] = values
            continue
        key = (cur, kind, values.tobytes())
        seen = cache.get(col)
        if seen is None or seen[0] != key:
            if kind == "money":
                text = [format_money(x, currency=cur) for x in values]
            else:
                text = [format_pct(x, decimals=0) for x in values]
            seen = cache[col] = (key, text)
        shown[heading] = seen[1]
    return (
        "<div style='max-height:360px;overflow:auto'>"
        + html_table(pd.DataFrame(shown), classes="spm-reps")
        + "</div>"
    )


def html_table(frame: pd.DataFrame, *, classes: str = "") -> str:
    """``frame`` as an HTML table of escaped text, without its index: what
    ``frame.to_html(index=False, classes=...)`` shows, written directly (many times
    faster for the hundreds of rows a per-rep table has).

    Examples
    --------
    >>> table = html_table(pd.DataFrame({"rep": ["R1", "<R2>"]}), classes="x")
    >>> table.startswith('<table border="1" class="dataframe x"><thead>')
    True
    >>> "<tr><td>&lt;R2&gt;</td></tr>" in table, "<th>rep</th>" in table
    (True, True)
    """
    escape = html.escape
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    cls = f"dataframe {classes}".strip()
    return (
        f'<table border="1" class="{escape(cls)}"><thead><tr style="text-align: right;">'
        f"{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def csv_tables(base: SimulationResult, result: SimulationResult) -> dict[str, bytes]:
    """The tables behind the figures as CSV files (name -> UTF-8 bytes).

    ``summary.csv`` (:func:`spm_sim.metrics.compare` of ``base`` and ``result``:
    every metric), ``reps.csv`` and ``trials.csv`` (:func:`spm_sim.metrics.rep_summary`
    and :func:`spm_sim.metrics.trial_metrics` of ``result``, the design).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> r = simulate(sample_scenario("baseline"), n_trials=200, rng=0)
    >>> tables = csv_tables(r, r)
    >>> list(tables), tables["reps.csv"][:7]
    (['summary.csv', 'reps.csv', 'trials.csv'], b'rep_id,')
    """
    tables = {
        "summary.csv": compare([base, result]),
        "reps.csv": rep_summary(result),
        "trials.csv": trial_metrics(result),
    }
    out = {}
    for name, frame in tables.items():
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        out[name] = buffer.getvalue().encode("utf-8")
    return out


def figure_key(results: list[SimulationResult], arrays: list[Any]) -> tuple:
    """What a figure of ``results`` shows: their names and currency, and a digest of
    the arrays it draws (equal keys: the same figure).

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> r = simulate(sample_scenario("baseline"), n_trials=200, rng=0)
    >>> figure_key([r], [np.zeros(3)]) == figure_key([r], [np.zeros(3)])
    True
    >>> figure_key([r], [np.zeros(3)]) == figure_key([r], [np.ones(3)])
    False
    """
    digest = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(str(a.shape).encode())
        digest.update(a.tobytes())
    names = tuple(r.scenario.name for r in results)
    return (names, results[0].scenario.plan.currency, digest.hexdigest())


class FigurePanel:
    """The cost and attainment figures of a baseline and a design, as HTML images.

    The figures name the two "Baseline" and "Design" (their full names, which
    change with every lever, are above the cards). A figure whose data did not
    change since it was last drawn (e.g. the cost when only the company target
    moved) is not drawn again: :attr:`drawn` keeps each figure's :func:`figure_key`
    and image.

    Attributes
    ----------
    drawn : dict of str to (tuple, str)
        ``cost`` and ``attainment``: the key of the data last drawn and its ``<img>``.

    Examples
    --------
    >>> from spm_sim import sample_scenario, simulate
    >>> r = simulate(sample_scenario("baseline"), n_trials=200, rng=0)
    >>> panel = FigurePanel()
    >>> panel.render(r, r).count("data:image/png;base64,"), sorted(panel.drawn)
    (2, ['attainment', 'cost'])
    """

    def __init__(self) -> None:
        self.drawn: dict[str, tuple[tuple, str]] = {}

    def render(self, base: SimulationResult, result: SimulationResult) -> str:
        """The two figures of ``base`` against ``result`` (HTML)."""
        import matplotlib.pyplot as plt

        pair = [_named(base, "Baseline"), _named(result, "Design")]
        # both columns at once: each read of a column copies the frame's provenance
        shown = [_trial_columns(r, ["incentive_cost", "company_attainment"]) for r in pair]
        parts = []
        for name, make, alt, data in (
            (
                "cost",
                cost_distribution,
                "Incentive cost per simulated year, baseline and design",
                [cols[:, 0] for cols in shown],
            ),
            (
                "attainment",
                attainment_histogram,
                "Company and rep attainment, baseline and design",
                [cols[:, 1] for cols in shown] + [r.rep_attainment for r in pair],
            ),
        ):
            key = figure_key(pair, data)
            cached = self.drawn.get(name)
            if cached is not None and cached[0] == key:
                parts.append(cached[1])
                continue
            fig = make(pair)
            try:
                png = fig_to_base64_png(fig, dpi=FIGURE_DPI)
            finally:
                plt.close(fig)
            img = (
                f"<img alt='{html.escape(alt)}' style='max-width:100%' "
                f"src='data:image/png;base64,{png}'>"
            )
            self.drawn[name] = (key, img)
            parts.append(img)
        return "<div>" + "".join(parts) + "</div>"


def _trial_columns(result: SimulationResult, columns: list[str]) -> np.ndarray:
    """Columns of ``result.trials`` as one float array (trials, columns), read at once."""
    return result.trials[columns].to_numpy(dtype=float)


def _named(result: SimulationResult, name: str) -> SimulationResult:
    """``result`` under a short, fixed name for the figures (the data unchanged).

    The per-trial table and attainments already worked out for ``result`` are handed
    on (the figures read their numbers, never their provenance), not computed again.
    """
    scenario = result.scenario.model_copy(update={"name": name})
    named = dataclasses.replace(result, scenario=scenario)
    for cached in ("trials", "rep_attainment"):  # functools.cached_property values
        if cached in result.__dict__:
            named.__dict__[cached] = result.__dict__[cached]
    return named


# ---------------------------------------------------------------- failures on a page
# (the app's two pages share these: private to the widgets package)


class _Unexpected(Exception):
    """A failure the app did not foresee, told in plain words (details in the log)."""


def _log_traceback(exc: BaseException) -> None:
    """Write ``exc``'s traceback to the server's log: the process's own stderr (the
    terminal running Voila), not the notebook's, which the page would show."""
    stream = sys.__stderr__
    if stream is not None:
        print("spm-sim app: unexpected error (the page showed a short message):", file=stream)
        traceback.print_exception(exc, file=stream)
        stream.flush()


def _no_null_tooltips(widget: Any) -> None:
    """Give every widget under ``widget`` without a tooltip an empty one: the browser
    shows a missing tooltip (None) as the word "null" over labels and notes."""
    if getattr(widget, "tooltip", "") is None:
        widget.tooltip = ""
    for child in getattr(widget, "children", ()):
        _no_null_tooltips(child)


def _run_guarded(action: Callable[[], None], fail: Callable[[Exception], None]) -> bool:
    """Run ``action``; on a failure call ``fail`` with it and return False.

    A failure bad input can cause (an :class:`~spm_sim.errors.SpmSimError`, a file
    that cannot be read, a bad value or zip) goes to ``fail`` as it is; any other is
    logged with its traceback (:func:`_log_traceback`) and goes to ``fail`` as an
    :class:`_Unexpected` in words, so the page never shows a traceback.
    """
    try:
        action()
    except (SpmSimError, OSError, ValueError, zipfile.BadZipFile) as exc:
        fail(exc)
        return False
    except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback on the page
        _log_traceback(exc)
        fail(
            _Unexpected(
                f"something went wrong inside the app ({type(exc).__name__}); the "
                "details are in the server's log (the terminal running make app). "
                "Try another value, or reload the page."
            )
        )
        return False
    return True
