"""Figures of quota diagnostics: quota against potential and history, attainment spread.

Re-exported by :mod:`spm_sim.viz`; the same house rules apply (object-oriented
matplotlib on the Agg canvas, no pyplot, the look set inside ``figure_style()`` only).
Each takes :class:`spm_sim.quota.QuotaDiagnostics` (:func:`attainment_comparison_figure`
several, by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from spm_sim._format import format_money

from .style import SpmFigure, figure_style, palette, pct_axis, safe_label

if TYPE_CHECKING:
    from spm_sim.quota import QuotaDiagnostics

__all__ = ["quota_fit_figure", "attainment_figure", "attainment_comparison_figure"]

#: A panel switches to log axes when its largest positive value is more than this
#: many times its smallest.
LOG_SPREAD = 20.0

#: At most this many flagged reps are labelled with their id.
MAX_LABELS = 20


def _warn_color():
    return sns.color_palette("colorblind")[3]


def _money_axes(ax: Axes, log: bool) -> None:
    fmt = FuncFormatter(lambda v, _pos: format_money(v, trim=True))
    for axis in (ax.xaxis, ax.yaxis):
        if log:
            axis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
            axis.set_minor_formatter(NullFormatter())
        axis.set_major_formatter(fmt)


def _fit_panel(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    own: np.ndarray,
    other: np.ndarray,
    ids: np.ndarray,
    *,
    what: str,
    threshold: float,
    threshold_label: str,
    one_to_one: bool,
) -> None:
    """Scatter of quota ``y`` against ``x`` with a ratio line and the flag threshold.

    ``own`` marks reps flagged by this panel's rule, ``other`` reps flagged only by
    another rule.
    """
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if not ok.any():
        ax.text(0.5, 0.5, f"no {what} given", transform=ax.transAxes, ha="center", va="center")
        return
    pos = ok & (x > 0)
    values = np.concatenate([x[pos], y[pos]])
    log = values.size > 0 and values.max() > LOG_SPREAD * values.min()
    shown = pos if log else ok
    hidden = int(ok.sum() - shown.sum())
    colors = palette(1)
    bad = shown & own
    elsewhere = shown & other & ~own
    good = shown & ~bad & ~elsewhere
    ax.scatter(x[good], y[good], s=22, color=colors[0], alpha=0.8, label="rep", gid="reps")
    if elsewhere.any():
        ax.scatter(
            x[elsewhere],
            y[elsewhere],
            s=30,
            facecolors=colors[0],
            edgecolors="black",
            linewidths=1.0,
            label="flagged by another rule",
            gid="flagged_other",
            zorder=3,
        )
    if bad.any():
        ax.scatter(
            x[bad],
            y[bad],
            s=46,
            marker="X",
            color=_warn_color(),
            edgecolors="black",
            linewidths=0.4,
            label=f"flagged: {threshold_label}",
            gid="flagged",
            zorder=3,
        )
    if (bad | elsewhere).sum() <= MAX_LABELS:
        for i in np.flatnonzero(bad | elsewhere):
            ax.annotate(
                safe_label(ids[i]),
                (x[i], y[i]),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=7,
            )
    xs = x[shown]
    lo = xs[xs > 0].min() if log else 0.0
    hi = xs.max()
    grid = np.geomspace(lo, hi, 50) if log else np.linspace(lo, hi, 50)
    both = shown & (x > 0)
    if both.any():
        k = y[both].sum() / x[both].sum()
        ax.plot(grid, k * grid, color="0.25", lw=1.2, label=f"quota = {k:.3g} x {what}", gid="fit")
    ax.plot(
        grid,
        threshold * grid,
        color=_warn_color(),
        lw=1.2,
        ls="--",
        label=f"threshold: {threshold_label}",
        gid="threshold",
    )
    if one_to_one:
        ax.plot(grid, grid, color="0.6", lw=1.0, ls=":", label=f"quota = {what}", gid="one_to_one")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    _money_axes(ax, log)
    if hidden:
        ax.text(
            0.02,
            0.98,
            f"{hidden} rep(s) with {what} 0 not shown (log axes)",
            transform=ax.transAxes,
            va="top",
            fontsize=7.5,
        )
    ax.legend(loc="best", fontsize=7.5)


def quota_fit_figure(diagnostics: QuotaDiagnostics) -> Figure:
    """Quota against territory potential and against last year's bookings, one panel each.

    Parameters
    ----------
    diagnostics : QuotaDiagnostics
        From :func:`spm_sim.quota.quota_diagnostics`, with ``potential`` and/or
        ``history`` given (a panel without its input says so).

    Returns
    -------
    Figure
        Two axes. In each, reps are dots (gid ``"reps"``); reps flagged by the
        panel's rule are crosses (``"flagged"``), reps flagged only by another rule
        (including ``min_probability``) black-ringed dots (``"flagged_other"``); each
        of the two is drawn only when some rep is in it. Flagged reps are labelled
        with their id when there are at most 20. The solid line is the proportional fit
        ``quota = k x``, ``k = sum quota / sum x`` (``"fit"``); the dashed line is the
        flag threshold (``"threshold"``): ``max_share_of_potential`` of potential,
        ``1 + max_growth`` times last year. The history panel also shows the 1:1
        line (``"one_to_one"``). A panel whose positive values span more than
        ``LOG_SPREAD`` (20) times is drawn on log axes; reps at 0 are then left out
        and counted in a note.

    Examples
    --------
    >>> from spm_sim.quota import Quotas, QuotaSettings
    >>> from spm_sim.quota import quota_diagnostics
    >>> q = Quotas(rep_ids=("A", "B", "C"), periods=("2026-01",),
    ...            values=np.array([[10.0], [20.0], [30.0]]), company_target=60.0,
    ...            settings=QuotaSettings(), basis=None)
    >>> draws = np.array([[8.0, 25.0, 30.0], [12.0, 15.0, 20.0], [11.0, 22.0, 40.0]])
    >>> d = quota_diagnostics(q, draws, potential=[50.0, 30.0, 90.0], history=[9, 19, 25])
    >>> fig = quota_fit_figure(d)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['Territory potential', "Last year's bookings"]
    """
    r = diagnostics.reps
    rules = diagnostics.rules
    ids = r["rep_id"].astype(str).to_numpy()
    q = r["annual_quota"].to_numpy(float)
    flagged = ~r["feasible"].to_numpy(bool)
    by_potential = r["flag_potential"].to_numpy(bool)
    by_growth = r["flag_growth"].to_numpy(bool)
    with figure_style():
        fig = SpmFigure(figsize=(10.5, 4.4), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        share = rules.get("max_share_of_potential", np.nan)
        _fit_panel(
            ax1,
            r["potential"].to_numpy(float),
            q,
            by_potential,
            flagged,
            ids,
            what="potential",
            threshold=share,
            threshold_label=f"quota > {share:.0%} of potential",
            one_to_one=False,
        )
        ax1.set_title("Quota against territory potential")
        ax1.set_xlabel("Territory potential")
        ax1.set_ylabel("Annual quota")
        growth = rules.get("max_growth", np.nan)
        _fit_panel(
            ax2,
            r["history"].to_numpy(float),
            q,
            by_growth,
            flagged,
            ids,
            what="last year",
            threshold=1.0 + growth,
            threshold_label=f"quota > last year +{growth:.0%}",
            one_to_one=True,
        )
        ax2.set_title("Quota against last year's bookings")
        ax2.set_xlabel("Last year's bookings")
        ax2.set_ylabel("Annual quota")
        n_flag = int(flagged.sum())
        fig.suptitle(
            f"{len(r)} reps; {n_flag} flagged infeasible (any rule)",
            fontsize=9.5,
            x=0.01,
            ha="left",
        )
    return fig


def attainment_figure(diagnostics: QuotaDiagnostics) -> Figure:
    """Distribution of rep attainment over every rep and trial, with the quota line.

    Parameters
    ----------
    diagnostics : QuotaDiagnostics

    Returns
    -------
    Figure
        One axes: the share of rep-trials in each 10% band of attainment (the last
        bar holds 300% and above), bars at or above quota in a second colour; the
        quota (100%) as a dashed line (gid ``"quota"``) annotated with the expected
        share of reps at or above quota and its P10-P90 over trials (gid
        ``"share_note"``), and the median attainment as a dotted line (``"median"``).

    Examples
    --------
    >>> from spm_sim.quota import Quotas, QuotaSettings
    >>> from spm_sim.quota import quota_diagnostics
    >>> q = Quotas(rep_ids=("A", "B"), periods=("2026-01",), values=np.array([[10.0], [20.0]]),
    ...            company_target=30.0, settings=QuotaSettings(), basis=None)
    >>> d = quota_diagnostics(q, np.array([[8.0, 25.0], [12.0, 15.0], [10.0, 30.0]]))
    >>> fig = attainment_figure(d)
    >>> fig.axes[0].get_xlabel()
    'Attainment (annual bookings / quota)'
    """
    h = diagnostics.histogram
    o = diagnostics.overall.set_index("metric")
    lo = h["lo"].to_numpy(float)
    hi = h["hi"].to_numpy(float)
    width = np.diff(lo).min() if lo.size > 1 else 0.1
    hi = np.where(np.isfinite(hi), hi, lo + width)
    share = h["share"].to_numpy(float)
    colors = palette(3)
    with figure_style():
        fig = SpmFigure(figsize=(8.0, 4.2), layout="constrained")
        ax = fig.subplots()
        above = lo >= 1.0 - 1e-12
        bars = ax.bar(
            lo,
            share,
            width=hi - lo,
            align="edge",
            color=[colors[2] if a else colors[0] for a in above],
            edgecolor="white",
            linewidth=0.5,
        )
        for patch in bars.patches:
            patch.set_gid("attainment_bars")
        ax.axvline(1.0, color="black", ls="--", lw=1.3, gid="quota")
        med = float(o.loc["attainment", "p50"])
        if np.isfinite(med):
            ax.axvline(med, color="0.4", ls=":", lw=1.2, gid="median")
        s = o.loc["share_at_quota"]
        note = (
            f"At or above quota: {s['value']:.0%} of reps expected\n"
            f"(P10-P90 over trials {s['p10']:.0%}-{s['p90']:.0%})\n"
            f"median attainment {med:.0%}"
        )
        ax.annotate(
            note,
            xy=(1.0, 0.95),
            xycoords=("data", "axes fraction"),
            xytext=(8, 0),
            textcoords="offset points",
            va="top",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.8", "alpha": 0.9},
            gid="share_note",
        )
        if np.isinf(h["hi"].iloc[-1]):
            ax.annotate(
                f"{lo[-1]:.0%}+",
                xy=(lo[-1] + width / 2, share[-1]),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=7.5,
            )
        pct_axis(ax, "x")
        pct_axis(ax, "y")
        ax.set_xlabel("Attainment (annual bookings / quota)")
        ax.set_ylabel("Share of rep-trials")
        ax.set_title(
            f"Rep attainment over {diagnostics.n_trials:,} simulated years "
            f"({int(o.loc['n_reps', 'value'])} reps)"
        )
    return fig


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"


def attainment_comparison_figure(diagnostics: Mapping) -> Figure:
    """Rep attainment of several sets of quotas, one line each, on the same simulated sales.

    Parameters
    ----------
    diagnostics : mapping of str to QuotaDiagnostics
        Named diagnostics (e.g. one per quota method), drawn in this order; judged on
        the same draws, so the lines differ by the quotas alone.

    Returns
    -------
    Figure
        One axes: per name, the share of rep-trials in each 10% band of attainment
        (the last band holds 300% and above) as a step line (gid
        ``"attainment:<name>"``), labelled with the expected share of reps at or above
        quota and the median attainment; quota (100%) is the dashed line ``"quota"``.
        The legend sits below the axes.

    Examples
    --------
    >>> from spm_sim.quota import Quotas, QuotaSettings, quota_diagnostics
    >>> q = Quotas(rep_ids=("A", "B"), periods=("2026-01",), values=np.array([[10.0], [20.0]]),
    ...            company_target=30.0, settings=QuotaSettings(), basis=None)
    >>> d = quota_diagnostics(q, np.array([[8.0, 25.0], [12.0, 15.0], [10.0, 30.0]]))
    >>> fig = attainment_comparison_figure({"flat": d, "again": d})
    >>> [p.get_gid() for p in fig.axes[0].patches]
    ['attainment:flat', 'attainment:again']
    """
    colors = palette(len(diagnostics))
    with figure_style():
        fig = SpmFigure(
            figsize=(9.0, 4.2 + 0.2 * ((len(diagnostics) + 1) // 2)), layout="constrained"
        )
        ax = fig.subplots()
        for color, (name, d) in zip(colors, diagnostics.items(), strict=True):
            h = d.histogram
            edges = np.append(h["lo"].to_numpy(float), h["lo"].iloc[-1] + 0.1)
            share = d.value("share_at_quota")
            med = float(d.overall.set_index("metric").loc["attainment", "p50"])
            ax.stairs(
                h["share"].to_numpy(float),
                edges,
                color=color,
                lw=1.6,
                label=safe_label(f"{name}: {_pct(share)} at quota, median {_pct(med)}"),
                gid=f"attainment:{name}",
            )
        ax.axvline(1.0, color="black", ls="--", lw=1.2, gid="quota")
        pct_axis(ax, "x")
        pct_axis(ax, "y")
        ax.set_xlabel("Attainment (annual bookings / quota); last band 300% and above")
        ax.set_ylabel("Share of rep-trials")
        n = next(iter(diagnostics.values())).n_trials if diagnostics else 0
        ax.set_title(f"Rep attainment by quota method ({n:,} simulated years, same sales)")
        fig.legend(loc="outside lower center", ncols=2)  # below: never over the lines
    return fig
