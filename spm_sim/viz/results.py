"""Figures of simulation results, for reports and notebooks.

Every function takes results (or plans, or a frame) and returns a
:class:`matplotlib.figure.Figure`. Figures are built with the object-oriented API on
the Agg canvas, without pyplot, so nothing here opens a window, changes global
matplotlib or seaborn settings, or keeps figures alive in pyplot's registry. The
look is set inside ``sns.axes_style`` / ``rc_context`` blocks only.

Colours follow the order of the results (the Okabe-Ito palette of
:func:`spm_sim.viz.style.palette`), so a scenario has the same colour in every
figure of a report. No legend sits on the data: legends are outside the axes, or
the marks are labelled where they are drawn.

The app redraws the cost and attainment figures on every lever move, so they are
built for speed without a visible change: each histogram is counted by ``np.histogram``
and drawn as one artist (not a patch per bar as ``ax.hist`` draws, not through
seaborn's ``histplot``).
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from spm_sim._format import format_money
from spm_sim.comp import Plan, payout_curve
from spm_sim.metrics import percentile_interval

from .style import SpmFigure, figure_style, palette, pct_axis, safe_label

__all__ = [
    "attainment_histogram",
    "cost_distribution",
    "payout_curves",
    "quarterly_accrual_chart",
    "fig_to_base64_png",
    "rate_axis_note",
]

#: Rep attainments above this are drawn in the last bin of the rep histogram.
REP_ATTAINMENT_MAX = 3.0


def _money_axis(ax: Axes, axis: str = "x", *, currency: str = "USD") -> None:
    """Tick labels in money of ``currency`` (``$1.5M``, ``¥860M``), safe from mathtext."""
    fmt = FuncFormatter(lambda v, _pos: safe_label(format_money(v, currency=currency, trim=True)))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _legend_columns(labels: Sequence[str], width_chars: int = 120) -> int:
    """How many legend columns fit the figure's width for these labels (1 to 4)."""
    longest = max((len(str(t)) for t in labels), default=1) + 6  # the handle and the gap
    return int(min(max(len(labels), 1), 4, max(1, width_chars // longest)))


def _bins(
    arrays: Sequence[np.ndarray], n: int = 40, lo: float | None = None, hi: float | None = None
):
    """Shared bin edges for overlaid histograms (finite values only)."""
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return np.linspace(0.0, 1.0, n + 1)
    lo = min(float(a.min()) for a in finite) if lo is None else lo
    hi = max(float(a.max()) for a in finite) if hi is None else hi
    if not hi > lo:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, n + 1)


def _overlaid_hist(ax: Axes, arrays, names, colors, bins) -> None:
    """Overlaid step histograms (density, filled); identical scenarios are drawn once.

    Each is one ``fill_between`` with a step outline: the artist and the look of
    seaborn's ``histplot(element="step", fill=True, stat="density")``, counted by
    ``np.histogram`` alone instead of through seaborn's frames (about 50 ms a call
    with 400,000 rep attainments, against 3 ms).
    """
    linestyles = ["-", "--", "-.", ":"]
    drawn: list[np.ndarray] = []
    groups: list[list[int]] = []
    for k, values in enumerate(arrays):
        for g, other in zip(groups, drawn, strict=True):
            if values.shape == other.shape and np.array_equal(values, other, equal_nan=True):
                g.append(k)
                break
        else:
            drawn.append(values)
            groups.append([k])
    widths = np.diff(bins)
    for g, values in zip(groups, drawn, strict=True):
        k = g[0]
        name = " = ".join(names[i] for i in g) + (
            " (identical: same simulated sales)" if len(g) > 1 else ""
        )
        color = colors[k]
        v = values[np.isfinite(values)]
        if not v.size:
            continue
        counts = np.histogram(v, bins=bins)[0]
        total = counts.sum()
        density = counts / (total * widths) if total else counts.astype(float)
        fill = ax.fill_between(
            bins,
            np.zeros(len(bins)),
            np.append(density, density[-1]),  # the step holds the last bin's height
            step="post",
            linewidth=1.6,
            linestyle=linestyles[k % len(linestyles)],
            label=safe_label(name),
            facecolor=to_rgba(color, 0.18),
            edgecolor=to_rgba(color, 1.0),
            gid="histogram",
        )
        fill.sticky_edges.x[:] = []
        fill.sticky_edges.y[:] = (0, np.inf)  # no margin under the bars' foot
    ax.set_ylabel("Share of trials (density)")
    ax.tick_params(axis="y", labelleft=False)


def _bars(ax: Axes, values: np.ndarray, edges: np.ndarray, color) -> None:
    """A histogram of ``values`` as one collection of bars: what ``ax.hist`` draws
    (each bar filled and edged in ``color``, both at 55% opacity), in one artist
    instead of one patch per bin."""
    counts = np.histogram(values, bins=edges)[0]
    left, right = edges[:-1], edges[1:]
    zero = np.zeros_like(left)
    height = counts.astype(float)
    corners = np.stack(
        [
            np.column_stack([left, zero]),
            np.column_stack([left, height]),
            np.column_stack([right, height]),
            np.column_stack([right, zero]),
        ],
        axis=1,
    )
    bars = PolyCollection(
        list(corners),
        facecolors=[color],
        edgecolors=[color],
        linewidths=0.6,
        alpha=0.55,
        joinstyle="miter",
        gid="histogram",
    )
    bars.sticky_edges.y.append(0.0)  # no margin under the bars' foot
    ax.add_collection(bars, autolim=True)


def _names(results) -> list[str]:
    return [r.scenario.name for r in results]


def attainment_histogram(results: Sequence) -> Figure:
    """Distribution of company and rep attainment for each scenario.

    Parameters
    ----------
    results : sequence of SimulationResult
        Drawn overlaid, in this order and with the report's colours.

    Returns
    -------
    Figure
        Left: company attainment (company bookings / company target), one value per
        trial, with the target (100%) marked. Right: rep attainment (annual bookings
        / annual quota) over every trial and rep, with quota (100%) marked; values
        above 300% are drawn in the last bin.

    Notes
    -----
    Scenarios that share book, plan year, seed and company target have identical
    company-attainment distributions (the plan does not change the simulated
    sales); their histograms then lie on top of each other.
    """
    names = _names(results)
    colors = palette(len(results))
    company = [r.trials["company_attainment"].to_numpy(float) for r in results]
    reps = [np.minimum(r.rep_attainment.ravel(), REP_ATTAINMENT_MAX) for r in results]
    with figure_style():
        fig = SpmFigure(figsize=(10, 4.1), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _overlaid_hist(ax1, company, names, colors, _bins(company))
        _reference_line(ax1, 1.0, "company target")
        p_hit = ", ".join(dict.fromkeys(f"{np.mean(c >= 1.0):.0%}" for c in company))
        ax1.set_title("Company attainment per trial")
        ax1.set_xlabel(f"Company bookings / company target  (P(reach target): {p_hit})")
        pct_axis(ax1, decimals=0)

        _overlaid_hist(ax2, reps, names, colors, _bins(reps, n=50, lo=0.0, hi=REP_ATTAINMENT_MAX))
        _reference_line(ax2, 1.0, "quota")
        ax2.set_title("Rep attainment (every rep in every trial)")
        ax2.set_xlabel("Annual bookings / annual quota  (300% or more shown at 300%)")
        pct_axis(ax2, decimals=0)
        handles, labels = ax1.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(labels))
    return fig


def _reference_line(ax: Axes, x: float, label: str) -> None:
    """A black vertical line at ``x`` labelled at the top of the axes."""
    ax.axvline(x, color="black", linewidth=1.2)
    ax.annotate(
        label,
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        va="top",
        fontsize=8,
    )


#: Where each percentile's label sits above its panel, in points from the line's top:
#: P10 ends just left of its line and P90 starts just right of its own, so the two
#: can never meet (P10 <= P90); P50 is centred one line higher, above both.
_MARK_LABELS: dict[str, tuple[tuple[float, float], str]] = {
    "P10": ((-3, 2), "right"),
    "P50": ((0, 14), "center"),
    "P90": ((3, 2), "left"),
}


def _percentile_marks(ax: Axes, values: np.ndarray, color, currency: str) -> None:
    """P10, P50 and P90 of ``values`` as vertical lines labelled in money above the data,
    each on a light band: its 95% interval (order statistics; Monte Carlo error only).

    The labels never overlap, however close the percentiles are (see
    ``_MARK_LABELS``): a narrow distribution keeps three readable labels.
    """
    v = values[np.isfinite(values)]
    if not v.size:
        return
    marks = np.percentile(v, [10, 50, 90])
    for k, (x, name) in enumerate(zip(marks, ("P10", "P50", "P90"), strict=True)):
        line = "black" if name == "P50" else color
        _est, low, high = percentile_interval(v, (0.1, 0.5, 0.9)[k])
        if np.isfinite(low) and np.isfinite(high) and high > low:
            ax.axvspan(low, high, color=line, alpha=0.16, linewidth=0, zorder=0.5)
        ax.axvline(x, color=line, linewidth=1.8 if k == 1 else 1.1)
        offset, align = _MARK_LABELS[name]
        ax.annotate(
            safe_label(f"{name} {format_money(float(x), currency=currency)}"),
            xy=(x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=offset,
            textcoords="offset points",
            ha=align,
            va="bottom",
            fontsize=8.5,
            fontweight="bold" if name == "P50" else "normal",
        )


def cost_distribution(results: Sequence) -> Figure:
    """Incentive cost per simulated year: one small panel per scenario, P10/P50/P90 in money.

    Parameters
    ----------
    results : sequence of SimulationResult
        One panel each, in this order (the first is the baseline), with the report's
        colours.

    Returns
    -------
    Figure
        One row per scenario on a shared money axis: the histogram of the incentive
        paid in each simulated year, with P10, P50 (black, bold) and P90 marked and
        labelled in money above the panel (P10 to the left of its line, P90 to the
        right of its own, P50 a line higher: they never overlap), each on a light
        band that is its 95% interval (order statistics: the Monte Carlo error of
        the percentile, narrow with many trials), the scenario's name at its left
        and, in the
        other panels, the baseline's P50 as a dashed grey line to compare against.
        No legend: every mark is labelled where it is drawn.

    Notes
    -----
    Read it as: "in 8 years out of 10 the plan costs between P10 and P90"; the
    distance from P50 to P90 is what to hold in reserve for a 1-in-10 bad year.
    The compensation cost of sales is in the report's tables.
    """
    names = _names(results)
    colors = palette(len(results))
    cost = [r.trials["incentive_cost"].to_numpy(float) for r in results]
    currency = results[0].scenario.plan.currency if results else "USD"
    bins = _bins(cost, n=45)
    base_p50 = (
        float(np.percentile(cost[0][np.isfinite(cost[0])], 50))
        if results and np.isfinite(cost[0]).any()
        else float("nan")
    )
    with figure_style():
        fig = SpmFigure(figsize=(10, 0.6 + 1.45 * max(len(results), 1)), layout="constrained")
        axes = np.atleast_1d(fig.subplots(max(len(results), 1), 1, sharex=True, squeeze=False))
        axes = axes[:, 0]
        for k, (ax, values, name, color) in enumerate(zip(axes, cost, names, colors, strict=False)):
            v = values[np.isfinite(values)]
            _bars(ax, v, bins, color)
            _percentile_marks(ax, values, color, currency)
            if k > 0 and np.isfinite(base_p50):
                ax.axvline(base_p50, color="grey", linestyle="--", linewidth=1.0)
            ax.set_ylabel(
                safe_label(name),
                rotation=0,
                ha="right",
                va="center",
                fontsize=9.5,
                fontweight="bold",
                color="black",
                wrap=True,
            )
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            ax.margins(y=0.05)
        _money_axis(axes[-1], currency=currency)
        axes[-1].set_xlabel(
            "Incentive paid in a simulated year"
            + ("   (dashed grey: the baseline's P50)" if len(results) > 1 else "")
        )
        fig.suptitle(
            "Incentive cost: 8 years in 10 fall between P10 and P90",
            fontsize=11,
            fontweight="bold",
        )
    return fig


#: Attainment from which the effective-rate axis is scaled: below half of quota, draws,
#: guarantees and small bookings make payout / bookings explode (a draw paid on 1% of
#: quota is a rate of 100x), which would flatten every other plan.
RATE_AXIS_FROM = 0.5


def _rate_axis_top(curves: Sequence[pd.DataFrame]) -> float:
    """The top of the effective-rate axis: every plan's rate from half of quota up, plus room."""
    tops = []
    for curve in curves:
        part = curve.loc[curve["attainment"] >= RATE_AXIS_FROM, "effective_rate"].to_numpy(float)
        part = part[np.isfinite(part)]
        if part.size:
            tops.append(float(part.max()))
    top = max(tops, default=1.0)
    return max(1.25, top * 1.15)


def _off_scale_note(names: Sequence[str], curves: Sequence[pd.DataFrame], top: float) -> str:
    """One line per plan whose effective rate leaves the axis: how high and where."""
    notes = []
    for name, curve in zip(names, curves, strict=True):
        rate = curve["effective_rate"].to_numpy(float)
        over = np.isfinite(rate) & (rate > top)
        if over.any():
            att = curve["attainment"].to_numpy(float)[over]
            where = (
                f"below {att.max():.0%} attainment"
                if att.min() <= 0.01
                else f"from {att.min():.0%} to {att.max():.0%} attainment"
            )
            notes.append(f"{name}: up to {np.nanmax(rate[over]):.3g}x {where}")
    if not notes:
        return ""
    return "Off the scale: " + "; ".join(notes)


def _plan_curves(plans: Sequence[Plan], att: np.ndarray) -> tuple[list[str], list[pd.DataFrame]]:
    """Each plan's name (told apart when repeated) and its payout curve at ``att``."""
    seen: dict[str, int] = {}
    names: list[str] = []
    curves: list[pd.DataFrame] = []
    for plan in plans:
        seen[plan.name] = seen.get(plan.name, 0) + 1
        names.append(plan.name if seen[plan.name] == 1 else f"{plan.name} ({seen[plan.name]})")
        curves.append(payout_curve(plan, att))
    return names, curves


def rate_axis_note(plans: Sequence[Plan], *, max_attainment: float = 2.5) -> str:
    """What :func:`payout_curves` leaves off its effective-rate axis, in one line.

    Parameters
    ----------
    plans : sequence of Plan
    max_attainment : float, default 2.5
        Right end of the attainment axis, as in :func:`payout_curves`.

    Returns
    -------
    str
        ``"Off the scale: <plan>: up to <rate>x below <attainment> attainment; ..."``
        for each plan whose rate rises above the axis, or ``""`` when every plan fits
        (the text written under the figure's axis; the command line prints it too).

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> rate_axis_note([standard_plan()])
    ''
    """
    att = np.linspace(0.0, max_attainment, 501)
    names, curves = _plan_curves(plans, att)
    return _off_scale_note(names, curves, _rate_axis_top(curves))


def payout_curves(plans: Sequence[Plan], *, max_attainment: float = 2.5) -> Figure:
    """Payout and effective rate against attainment, one line per plan.

    Parameters
    ----------
    plans : sequence of Plan
    max_attainment : float, default 2.5
        Right end of the attainment axis (2.5 = 250% of quota).

    Returns
    -------
    Figure
        Left: annual payout as a multiple of target incentive (TI), from
        :func:`spm_sim.comp.payout_curve`; the dotted diagonal is a flat rate of 1x
        TCR. Right: effective rate (payout / bookings) as a multiple of TCR; for
        ``rate_basis="bookings"`` components it depends on TI and quota, so the
        curves use TI = quota x 1 (a rate of 1 pays 1 per unit of quota). The
        legend is below the panels, off the data.

    Notes
    -----
    The effective-rate axis is scaled to the plans' rates from half of quota up
    (:data:`RATE_AXIS_FROM`), with 15% of room: near 0% attainment a draw or a
    guarantee divided by almost no bookings is a rate of 40x or more, which would
    flatten every other plan. A plan that leaves the axis is named under it with
    its highest rate and the attainment where it is off the scale.

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> fig = payout_curves([standard_plan(), standard_plan(name="Steep", accelerator=3)])
    >>> len(fig.axes)
    2
    """
    att = np.linspace(0.0, max_attainment, 501)
    colors = palette(len(plans))
    names, curves = _plan_curves(plans, att)
    top = _rate_axis_top(curves)
    note = _off_scale_note(names, curves, top)
    with figure_style():
        fig = SpmFigure(figsize=(10, 4.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        linestyles = ["-", "--", "-.", ":"]
        for k, (name, curve, color) in enumerate(zip(names, curves, colors, strict=True)):
            style = linestyles[k % len(linestyles)]
            for ax, column in ((ax1, "payout"), (ax2, "effective_rate")):
                ax.plot(
                    curve["attainment"],
                    curve[column],
                    color=color,
                    linestyle=style,
                    linewidth=2,
                    label=safe_label(name),
                )
        ax1.plot(
            [0, max_attainment],
            [0, max_attainment],
            color="grey",
            linestyle=":",
            linewidth=1,
            label="flat 1x TCR",
        )
        for ax in (ax1, ax2):
            ax.axvline(1.0, color="black", linewidth=1)
            ax.set_xlim(0, max_attainment)
            ax.set_xlabel("Annual attainment (bookings / quota)")
            pct_axis(ax)
            ax.set_ylim(bottom=0)
        ax2.set_ylim(0, top)
        if note:
            ax2.set_xlabel("Annual attainment (bookings / quota)\n" + safe_label(note), wrap=True)
        ax1.axhline(1.0, color="black", linewidth=0.6)
        ax1.set_title("Payout by attainment")
        ax1.set_ylabel("Payout (x target incentive)")
        ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}x"))
        ax2.set_title("Effective rate by attainment")
        ax2.set_ylabel("Payout / bookings (x TCR)")
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}x"))
        handles, labels = ax1.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(labels))
    return fig


def quarterly_accrual_chart(accrual: pd.DataFrame, *, currency: str | None = None) -> Figure:
    """Expected incentive accrued per quarter, grouped bars by scenario.

    Parameters
    ----------
    accrual : DataFrame
        Long frame with columns ``scenario``, ``quarter`` and ``mean`` (money), as
        returned by :func:`spm_sim.metrics.quarterly_accrual`, and optionally
        ``mean_low`` and ``mean_high``: the mean's interval, drawn as a line on its
        bar. Scenarios keep the order in which they first appear.
    currency : str, optional
        ISO 4217 code of the money on the axis and the bars' labels; default
        ``accrual.attrs["currency"]`` (set by :func:`~spm_sim.metrics.quarterly_accrual`),
        else USD.

    Returns
    -------
    Figure

    Examples
    --------
    >>> import pandas as pd
    >>> accrual = pd.DataFrame({"scenario": "Plan", "quarter": ["Q1 2026", "Q2 2026"],
    ...                         "mean": [2.1e8, 3.4e8]})
    >>> fig = quarterly_accrual_chart(accrual, currency="JPY")
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['¥210M', '¥340M']
    """
    if currency is None:
        currency = str(accrual.attrs.get("currency", "USD"))
    scenarios = list(dict.fromkeys(accrual["scenario"]))
    quarters = list(dict.fromkeys(accrual["quarter"]))
    colors = palette(len(scenarios))
    width = 0.8 / max(len(scenarios), 1)
    x = np.arange(len(quarters))
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.2), layout="constrained")
        ax = fig.subplots()
        for k, (name, color) in enumerate(zip(scenarios, colors, strict=True)):
            part = accrual[accrual["scenario"] == name].set_index("quarter").reindex(quarters)
            mean = part["mean"].to_numpy(float)
            err = None
            if {"mean_low", "mean_high"} <= set(part.columns):
                low, high = part["mean_low"].to_numpy(float), part["mean_high"].to_numpy(float)
                err = np.nan_to_num(np.stack([mean - low, high - mean]).clip(min=0))
            bars = ax.bar(
                x + (k - (len(scenarios) - 1) / 2) * width,
                mean,
                width=width * 0.95,
                color=color,
                label=safe_label(name),
                yerr=err,
                error_kw={"ecolor": "black", "elinewidth": 0.9, "capsize": 2},
            )
            ax.bar_label(
                bars,
                labels=[safe_label(format_money(v, currency=currency)) for v in part["mean"]],
                fontsize=7.5,
                padding=2,
            )
        ax.set_xticks(x, [str(q) for q in quarters])
        ax.set_title("Expected incentive accrued by quarter")
        ax.set_ylabel("Incentive paid (mean over trials)")
        _money_axis(ax, "y", currency=currency)
        ax.margins(y=0.15)
        fig.legend(loc="outside lower center", ncols=_legend_columns(scenarios))
    return fig


def fig_to_base64_png(fig: Figure, *, dpi: int = 110) -> str:
    """Encode a figure as base64 PNG text (for ``data:image/png;base64,`` URIs) and close it.

    The PNG carries no timestamp, so the same figure gives the same text.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> text = fig_to_base64_png(Figure(figsize=(1, 1)))
    >>> base64.b64decode(text)[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # only figures made through pyplot are registered there
        pyplot.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")
