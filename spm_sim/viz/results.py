"""Figures of simulation results, for reports and notebooks.

Every function takes results (or plans, or a frame) and returns a
:class:`matplotlib.figure.Figure`. Figures are built with the object-oriented API on
the Agg canvas, without pyplot, so nothing here opens a window, changes global
matplotlib or seaborn settings, or keeps figures alive in pyplot's registry. The
look is set inside ``sns.axes_style`` / ``rc_context`` blocks only.

Colours follow the order of the results (seaborn's colour-blind palette), so a
scenario has the same colour in every figure of a report.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from spm_sim._format import format_money
from spm_sim.comp import Plan, payout_curve

from .style import SpmFigure, figure_style, palette, pct_axis, safe_label

__all__ = [
    "attainment_histogram",
    "cost_distribution",
    "payout_curves",
    "quarterly_accrual_chart",
    "fig_to_base64_png",
]

#: Rep attainments above this are drawn in the last bin of the rep histogram.
REP_ATTAINMENT_MAX = 3.0


def _money_axis(ax: Axes, axis: str = "x") -> None:
    fmt = FuncFormatter(lambda v, _pos: format_money(v, trim=True))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


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
    """Overlaid step histograms; scenarios with identical values are drawn once."""
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
    for g, values in zip(groups, drawn, strict=True):
        k = g[0]
        name = " = ".join(names[i] for i in g) + (
            " (identical: same simulated sales)" if len(g) > 1 else ""
        )
        color = colors[k]
        v = values[np.isfinite(values)]
        if not v.size:
            continue
        sns.histplot(
            x=v,
            bins=bins,
            stat="density",
            element="step",
            fill=True,
            alpha=0.18,
            color=color,
            linewidth=1.6,
            linestyle=linestyles[k % len(linestyles)],
            label=safe_label(name),
            ax=ax,
        )
    ax.set_ylabel("Share of trials (density)")
    ax.tick_params(axis="y", labelleft=False)


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
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4) or 1)
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


def _mark_percentiles(ax: Axes, values: np.ndarray, color) -> None:
    v = values[np.isfinite(values)]
    if not v.size:
        return
    p10, p50, p90 = np.percentile(v, [10, 50, 90])
    for x, style, width in ((p10, ":", 1.2), (p50, "-", 1.8), (p90, "--", 1.2)):
        ax.axvline(x, color=color, linestyle=style, linewidth=width)


def cost_distribution(results: Sequence) -> Figure:
    """Incentive cost and compensation cost of sales per trial, for each scenario.

    Parameters
    ----------
    results : sequence of SimulationResult

    Returns
    -------
    Figure
        Left: incentive cost per trial (histogram and density) with P10 (dotted),
        P50 (solid) and P90 (dashed) lines in the scenario's colour. Right: the
        compensation cost of sales, (base + incentive) / bookings, with the same marks.
    """
    names = _names(results)
    colors = palette(len(results))
    cost = [r.trials["incentive_cost"].to_numpy(float) for r in results]
    ccos = [r.trials["ccos"].to_numpy(float) for r in results]
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.8), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for ax, arrays in ((ax1, cost), (ax2, ccos)):
            _overlaid_hist(ax, arrays, names, colors, _bins(arrays))
            for values, color in zip(arrays, colors, strict=True):
                v = values[np.isfinite(values)]
                if v.size > 2 and np.ptp(v) > 0:
                    sns.kdeplot(x=v, color=color, linewidth=1.0, ax=ax)
                _mark_percentiles(ax, values, color)
        ax1.set_title("Incentive cost per trial")
        ax1.set_xlabel("Incentive paid in the year   ( P10 ···  P50 —  P90 - - )")
        _money_axis(ax1)
        ax2.set_title("Compensation cost of sales per trial")
        ax2.set_xlabel("(Base salaries + incentive) / company bookings")
        pct_axis(ax2, decimals=1)
        ax1.legend(loc="upper right")
    return fig


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
        curves use TI = quota x 1 (a rate of 1 pays 1 per unit of quota).

    Examples
    --------
    >>> from spm_sim.comp import standard_plan
    >>> fig = payout_curves([standard_plan(), standard_plan(name="Steep", accelerator=3)])
    >>> len(fig.axes)
    2
    """
    att = np.linspace(0.0, max_attainment, 501)
    colors = palette(len(plans))
    seen: dict[str, int] = {}
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.8), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        linestyles = ["-", "--", "-.", ":"]
        for k, (plan, color) in enumerate(zip(plans, colors, strict=True)):
            seen[plan.name] = seen.get(plan.name, 0) + 1
            name = plan.name if seen[plan.name] == 1 else f"{plan.name} ({seen[plan.name]})"
            curve = payout_curve(plan, att)
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
        ax1.axhline(1.0, color="black", linewidth=0.6)
        ax1.set_title("Payout by attainment")
        ax1.set_ylabel("Payout (x target incentive)")
        ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}x"))
        ax2.set_title("Effective rate by attainment")
        ax2.set_ylabel("Payout / bookings (x TCR)")
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}x"))
        ax1.legend(loc="upper left")
    return fig


def quarterly_accrual_chart(accrual: pd.DataFrame) -> Figure:
    """Expected incentive accrued per quarter, grouped bars by scenario.

    Parameters
    ----------
    accrual : DataFrame
        Long frame with columns ``scenario``, ``quarter`` and ``mean`` (money), as
        returned by :func:`spm_sim.metrics.quarterly_accrual`. Scenarios keep the
        order in which they first appear.

    Returns
    -------
    Figure
    """
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
            bars = ax.bar(
                x + (k - (len(scenarios) - 1) / 2) * width,
                part["mean"].to_numpy(float),
                width=width * 0.95,
                color=color,
                label=safe_label(name),
            )
            ax.bar_label(
                bars, labels=[format_money(v) for v in part["mean"]], fontsize=7.5, padding=2
            )
        ax.set_xticks(x, [str(q) for q in quarters])
        ax.set_title("Expected incentive accrued by quarter")
        ax.set_ylabel("Incentive paid (mean over trials)")
        _money_axis(ax, "y")
        ax.margins(y=0.15)
        ax.legend(loc="upper left")
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
