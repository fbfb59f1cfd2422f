"""Figures of the capacity simulation: the headcount curve, waits and utilisation.

The same house rules as :mod:`spm_sim.viz` (object-oriented matplotlib on the Agg
canvas, no pyplot, the look set inside ``figure_style()`` only); every function returns an
:class:`~spm_sim.viz.style.SpmFigure`, which Jupyter shows as a PNG. The inputs are
the frames of :mod:`spm_sim.capacity`: :func:`headcount_figure` takes a
:func:`~spm_sim.capacity.headcount_curve`, :func:`grid_figure` a
:func:`~spm_sim.capacity.team_grid`, :func:`waits_figure` a
:class:`~spm_sim.capacity.CapacityResult`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from spm_sim._format import format_money
from spm_sim.capacity import (
    CapacityConfig,
    CapacityResult,
    ServiceTarget,
    figure_text,
    pooled_utilisation,
    response_time_curves,
    share_column,
)

from .style import SpmFigure, figure_style, palette, pct_axis, safe_label
from .tables import money_table

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

__all__ = [
    "headcount_figure",
    "grid_figure",
    "waits_figure",
    "figure_label",
    "figure_text",
    "summary_table",
    "curve_table",
]


def figure_label(figure: str) -> str:
    """A capacity summary's figure in words.

    Examples
    --------
    >>> figure_label("share_within_1h"), figure_label("utilisation_SDR")
    ('share of leads contacted within 1 h', 'SDR utilisation (busy hours / hours in seat)')
    >>> figure_label("p90_wait_hours")
    'wait before first contact, 90th percentile'
    """
    m = re.fullmatch(r"share_within_(.+)h", figure)
    if m:
        return f"share of leads contacted within {m.group(1)} h"
    if figure.startswith("utilisation_"):
        return f"{figure.removeprefix('utilisation_')} utilisation (busy hours / hours in seat)"
    return _LABELS.get(figure, figure.replace("_", " "))


_LABELS = {
    "leads": "leads in the year",
    "contacted": "leads contacted",
    "mean_wait_hours": "wait before first contact, mean",
    "p90_wait_hours": "wait before first contact, 90th percentile",
    "not_contacted": "leads still waiting on 31 December",
    "opportunities": "opportunities opened",
    "lost_to_decay": "leads lost to waiting (went cold)",
    "bookings": "bookings closed in the year",
}


def summary_table(summary: pd.DataFrame, currency: str = "USD"):
    """A capacity summary for a reader: each figure in words, its mean and interval.

    Parameters
    ----------
    summary : DataFrame
        :meth:`spm_sim.capacity.CapacityResult.summary` (columns ``figure``, ``mean``,
        ``low``, ``high``).
    currency : str, default "USD"

    Returns
    -------
    pandas.io.formats.style.Styler
        Columns ``figure``, ``mean`` and the interval (``95% interval``), every
        number with its unit; safe from JupyterLab's maths (:func:`money_table`).

    Examples
    --------
    >>> summary = pd.DataFrame({"figure": ["bookings"], "mean": [1.72e7], "low": [1.6e7],
    ...                         "high": [1.84e7]})
    >>> "$16.0M to $18.4M" in summary_table(summary).to_html()
    True
    """
    level = summary.attrs.get("level", 0.95)
    n = summary.attrs.get("replications")
    rows = [
        {
            "figure": figure_label(r.figure),
            "mean": figure_text(r.figure, r.mean, currency),
            f"{level:.0%} interval": (
                f"{figure_text(r.figure, r.low, currency)} to "
                f"{figure_text(r.figure, r.high, currency)}"
                if np.isfinite(r.low) and np.isfinite(r.high)
                else "needs 2 or more replications"
            ),
        }
        for r in summary.itertuples()
    ]
    caption = f"mean of {n} simulated years with its {level:.0%} interval" if n else None
    return money_table(pd.DataFrame(rows), index=False, caption=caption)


def _with_interval(fig: str, mean: float, low: float, high: float, currency: str) -> str:
    text = figure_text(fig, mean, currency)
    if not (np.isfinite(low) and np.isfinite(high)):
        return text
    return f"{text} ({figure_text(fig, low, currency)} to {figure_text(fig, high, currency)})"


def _added_text(mean: float, low: float, high: float, currency: str) -> str:
    """What the last rep adds: "—" before the first size, "within noise" when the
    interval holds 0 (the sign itself is not known then)."""
    if not np.isfinite(mean):
        return "—"
    money = [format_money(v, currency=currency, sign=True) for v in (mean, low, high)]
    if not (np.isfinite(low) and np.isfinite(high)):
        return money[0]
    if low <= 0 <= high:
        return f"within noise ({money[1]} to {money[2]})"
    return f"{money[0]} ({money[1]} to {money[2]})"


def curve_table(
    curve: pd.DataFrame,
    stage: str,
    *,
    recommended: int | None = None,
    currency: str = "USD",
) -> Styler:
    """A headcount curve for a reader: each size's service, utilisation, bookings and
    what its last rep adds, every figure with its interval.

    Parameters
    ----------
    curve : DataFrame
        :func:`spm_sim.capacity.headcount_curve` passed through
        :func:`spm_sim.capacity.marginal_value` (``reps``, the ``share_within_<h>h``
        column, ``utilisation_<stage>``, ``bookings``, ``expected_value_per_rep``,
        ``rep_cost``, each figure's ``_low`` and ``_high``).
    stage : str
        The stage sized, as named in the configuration (``"SDR"``).
    recommended : int, optional
        The answer; its row reads "14 (the answer)".
    currency : str, default "USD"

    Returns
    -------
    pandas.io.formats.style.Styler
        One row a size. What the last rep adds reads "—" in the first row (no smaller
        size to compare) and "within noise" when its 95% interval holds 0. Safe from
        JupyterLab's maths (:func:`spm_sim.viz.tables.money_table`).

    Examples
    --------
    >>> curve = pd.DataFrame({"reps": [3, 4], "share_within_1h": [0.85, 0.93],
    ...     "share_within_1h_low": [0.8, 0.9], "share_within_1h_high": [0.9, 0.96],
    ...     "utilisation_SDR": [0.8, 0.6], "bookings": [1e6, 1.1e6],
    ...     "expected_value_per_rep": [float("nan"), -5e4],
    ...     "expected_value_per_rep_low": [float("nan"), -2e5],
    ...     "expected_value_per_rep_high": [float("nan"), 1e5], "rep_cost": [9e4, 9e4]})
    >>> html = curve_table(curve, "SDR", recommended=4).to_html()
    >>> "within noise (-$200k to +$100k)" in html and "—" in html and "4 (the answer)" in html
    True
    """
    share = share_column(curve.columns)
    fig_util = f"utilisation_{stage}"
    rows = []
    for d in curve.to_dict("records"):
        n = int(d["reps"])
        row = {f"{stage}s": f"{n} (the answer)" if n == recommended else str(n)}
        for fig, label in (
            (share, f"contacted within {share[len('share_within_') : -1]} h"),
            (fig_util, f"{stage} utilisation"),
            ("bookings", "bookings in the year"),
        ):
            row[label] = _with_interval(
                fig, d[fig], d.get(f"{fig}_low", np.nan), d.get(f"{fig}_high", np.nan), currency
            )
        row[f"value the last {stage} adds"] = _added_text(
            d["expected_value_per_rep"],
            d.get("expected_value_per_rep_low", np.nan),
            d.get("expected_value_per_rep_high", np.nan),
            currency,
        )
        row[f"cost of one {stage} a year"] = format_money(d["rep_cost"], currency=currency)
        rows.append(row)
    caption = "each figure's mean over the simulated years, with its 95% interval"
    return money_table(pd.DataFrame(rows), index=False, caption=caption)


def _money_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_money(v, trim=True)))


def _mark(ax: Axes, recommended: int | None, label: bool) -> None:
    if recommended is None:
        return
    ax.axvline(
        recommended,
        color="black",
        lw=1.1,
        ls="-.",
        label=f"recommended: {recommended} reps" if label else None,
        gid="recommended",
    )


def _band(ax: Axes, curve: pd.DataFrame, col: str, color, label: str, gid: str) -> None:
    x = curve["reps"].to_numpy(float)
    y = curve[col].to_numpy(float)
    ax.plot(x, y, "o-", color=color, ms=4, lw=1.5, label=label, gid=gid)
    low, high = f"{col}_low", f"{col}_high"
    if low in curve and high in curve:
        lo = curve[low].to_numpy(float)
        hi = curve[high].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(x[ok], lo[ok], hi[ok], color=color, alpha=0.2, lw=0, gid=f"{gid}_ci")


def _service_panel(ax: Axes, curve: pd.DataFrame, share: str, target, recommended) -> None:
    """Left panel: the share contacted in time and the stage's utilisation, the targets."""
    colors = palette(3)
    hours = share.removeprefix("share_within_").removesuffix("h")
    stage = curve.attrs.get("stage")
    util = f"utilisation_{stage}" if stage is not None else None
    _band(ax, curve, share, colors[0], f"contacted within {hours} h", "service")
    if util is not None and util in curve:
        _band(ax, curve, util, colors[1], f"utilisation of {safe_label(stage)}", "utilisation")
    if target is not None and target.share is not None:
        ax.axhline(
            target.share,
            color=colors[0],
            ls="--",
            lw=1.1,
            label=f"target: {target.share:.0%} within {target.within_hours:g} h",
            gid="target_share",
        )
    if target is not None and target.max_utilisation is not None:
        ax.axhline(
            target.max_utilisation,
            color=colors[1],
            ls="--",
            lw=1.1,
            label=f"cap: utilisation {target.max_utilisation:.0%}",
            gid="target_utilisation",
        )
    _mark(ax, recommended, label=True)
    ax.set_ylim(0, 1.02)
    pct_axis(ax, "y")
    ax.set_title("Service level and utilisation")
    ax.set_ylabel("Share of leads / of hours (95% CI)")
    ax.legend(loc="lower right", fontsize=7.5)


def _bookings_panel(ax: Axes, curve: pd.DataFrame, recommended) -> None:
    """Middle panel: bookings closed in the year against team size."""
    _band(ax, curve, "bookings", palette(3)[2], "bookings (95% CI)", "bookings")
    _mark(ax, recommended, label=False)
    _money_axis(ax)
    ax.set_title("Bookings in the year")
    ax.set_ylabel("Bookings closed in the year")


def _extra_rep_panel(ax: Axes, curve: pd.DataFrame, recommended) -> None:
    """Right panel: what the last rep added brings (bookings or value) against a rep's cost."""
    color = palette(3)[2]
    x = curve["reps"].to_numpy(float)
    extra = curve.get("extra_bookings_per_rep", pd.Series(np.nan, index=curve.index))
    extra = extra.to_numpy(float)
    ok = np.isfinite(extra)
    if "expected_value_per_rep" in curve:
        value = curve["expected_value_per_rep"].to_numpy(float)
        shown = np.isfinite(value)
        bars = ax.bar(
            x[shown],
            value[shown],
            width=0.6,
            color=color,
            alpha=0.8,
            label="value of the extra opportunities",
        )
        for patch in bars.patches:
            patch.set_gid("extra_value")
        ax.plot(
            x[ok],
            extra[ok],
            "o",
            color="0.2",
            ms=5,
            label="bookings in the year",
            gid="extra_bookings",
        )
    else:
        bars = ax.bar(x[ok], extra[ok], width=0.6, color=color, label="bookings gained")
        for patch in bars.patches:
            patch.set_gid("extra_bookings")
    if "rep_cost" in curve and len(curve):
        cost = float(curve["rep_cost"].iloc[0])
        ax.axhline(
            cost,
            color="black",
            ls="--",
            lw=1.1,
            label=f"cost of a rep: {format_money(cost)}",
            gid="rep_cost",
        )
    ax.axhline(0.0, color="0.5", lw=0.8)
    _mark(ax, recommended, label=False)
    _money_axis(ax)
    ax.set_title("Bookings per extra rep")
    ax.set_ylabel("Gained by the last rep added")
    ax.legend(loc="best", fontsize=7.5)


def _team_size_axes(axes, curve: pd.DataFrame) -> None:
    """The shared x axis of the headcount panels: whole reps of the stage sized."""
    stage = curve.attrs.get("stage")
    x = curve["reps"].to_numpy(float)
    who = f"{safe_label(stage)} reps" if stage is not None else "Reps"
    for ax in axes:
        ax.set_xlabel(who)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(x.min() - 0.6, x.max() + 0.6)


def headcount_figure(
    curve: pd.DataFrame,
    target: ServiceTarget | None = None,
    *,
    recommended: int | None = None,
) -> SpmFigure:
    """Service level, utilisation and bookings against team size, with the target.

    Parameters
    ----------
    curve : DataFrame
        From :func:`spm_sim.capacity.headcount_curve`: one row per team size
        (``reps``), each figure with ``_low`` / ``_high`` bounds of its confidence
        interval across replications; ``attrs["stage"]`` names the stage sized.
    target : ServiceTarget, optional
        Drawn as dashed lines: the share to reach within ``within_hours`` and the
        utilisation cap. Its ``within_hours`` picks the service column (default:
        the curve's only ``share_within_<h>h`` column).
    recommended : int, optional
        Team size to mark with a vertical line (e.g. ``smallest_team(...)["reps"]``).

    Returns
    -------
    SpmFigure
        Three axes. Left: the share of leads first contacted within the response
        time (gid ``"service"``, its interval ``"service_ci"``) and the stage's mean
        utilisation (``"utilisation"``, ``"utilisation_ci"``) against reps, the
        target share (``"target_share"``) and cap (``"target_utilisation"``).
        Middle: bookings closed in the year (``"bookings"``, ``"bookings_ci"``).
        Right: what each added rep brings against the cost of a rep (``"rep_cost"``):
        the bookings in the year gained (bars, ``"extra_bookings"``), or, when the
        curve has ``expected_value_per_rep`` (see
        :func:`spm_sim.capacity.marginal_value`), that value as bars
        (``"extra_value"``) and the bookings in the year as dots (``"extra_bookings"``).
        The recommended size is the dash-dotted line ``"recommended"`` in every panel.

    Notes
    -----
    Every size of a curve runs on the same seeds (common random numbers), so the
    difference between two neighbouring sizes is the team's effect, not noise in
    the arrivals; the bands are the 95% intervals of each size's mean on its own.

    Examples
    --------
    >>> curve = pd.DataFrame({
    ...     "reps": [2, 3, 4], "share_within_1h": [0.5, 0.85, 0.95],
    ...     "share_within_1h_low": [0.45, 0.8, 0.93], "share_within_1h_high": [0.55, 0.9, 0.97],
    ...     "utilisation_SDR": [0.9, 0.6, 0.45], "bookings": [1e6, 1.2e6, 1.25e6],
    ...     "extra_bookings_per_rep": [np.nan, 2e5, 5e4], "rep_cost": [9e4] * 3})
    >>> curve.attrs["stage"] = "SDR"
    >>> fig = headcount_figure(curve, recommended=4)
    >>> [ax.get_title() for ax in fig.axes]
    ['Service level and utilisation', 'Bookings in the year', 'Bookings per extra rep']
    """
    if curve.empty:
        raise ValueError("the headcount curve has no rows; run headcount_curve with some sizes")
    share = share_column(curve.columns, getattr(target, "within_hours", None))
    with figure_style():
        fig = SpmFigure(figsize=(12.0, 4.2), layout="constrained")
        ax1, ax2, ax3 = fig.subplots(1, 3)
        _service_panel(ax1, curve, share, target, recommended)
        _bookings_panel(ax2, curve, recommended)
        _extra_rep_panel(ax3, curve, recommended)
        _team_size_axes((ax1, ax2, ax3), curve)
        name = curve.attrs.get("config")
        if name:
            fig.suptitle(safe_label(name), fontsize=9.5, x=0.01, ha="left")
    return fig


def _response_panel(ax: Axes, result, grid: np.ndarray, curves: np.ndarray, within: float):
    """Left panel: share contacted within t against t (mean, range), the target point."""
    target = result.config.target
    color = palette(max(len(result.config.stages), 2))[0]
    top = grid[-1]
    if len(curves):
        ax.fill_between(
            grid,
            curves.min(axis=0),
            curves.max(axis=0),
            color=color,
            alpha=0.2,
            lw=0,
            label=f"range over {len(curves)} replications",
            gid="range",
        )
        ax.plot(grid, curves.mean(axis=0), color=color, lw=1.8, label="mean", gid="share_within")
    if target is not None and target.within_hours is not None:
        ax.plot(
            [target.within_hours],
            [target.share],
            "D",
            color="black",
            ms=6,
            label=f"target: {target.share:.0%} within {target.within_hours:g} h",
            gid="target",
        )
        ax.axvline(target.within_hours, color="0.5", ls=":", lw=1.0)
        ax.axhline(target.share, color="0.5", ls=":", lw=1.0)
    ax.set_xscale("symlog", linthresh=within, linscale=1.0)
    steps = within * np.array([0.5, 1, 2, 4, 8, 16, 40, 80, 200, 400, 800, 2000])
    ax.set_xticks([0.0, *steps[steps <= top]])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, grid[-1])
    ax.set_ylim(0, 1.02)
    pct_axis(ax, "y")
    ax.set_xlabel("Working hours from arrival to first contact (log scale past the target)")
    ax.set_ylabel("Share of leads contacted within")
    ax.set_title(f"Response time at {safe_label(result.config.stages[0].name)}")
    ax.legend(loc="lower right", fontsize=7.5)


def _utilisation_panel(ax: Axes, result) -> None:
    """Right panel: every rep's utilisation by stage (dots), each stage's, the cap."""
    config = result.config
    target = config.target
    colors = palette(max(len(config.stages), 2))
    reps = result.reps
    pooled = pooled_utilisation(reps, [st.name for st in config.stages])
    ticks = []
    for k, st in enumerate(config.stages):
        u = reps.loc[reps["stage"] == st.name, "utilisation"].to_numpy(float)
        u = u[np.isfinite(u)]
        mean = float(pooled[st.name])
        # spread the dots sideways by a golden-ratio sequence: no randomness in a figure
        jitter = ((np.arange(u.size) * 0.6180339887) % 1.0 - 0.5) * 0.56
        ax.scatter(
            k + jitter,
            u,
            s=8,
            alpha=0.35 if u.size > 200 else 0.7,
            color=colors[k % len(colors)],
            lw=0,
            gid="reps",
        )
        if np.isfinite(mean):
            ax.hlines(mean, k - 0.38, k + 0.38, color="black", lw=2.0, gid="stage_mean")
            ax.annotate(
                f"stage {mean:.0%}",
                (k + 0.4, mean),
                xytext=(2, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
        ticks.append(f"{safe_label(st.name)}\n{st.reps} seats")
    if target is not None and target.max_utilisation is not None:
        ax.axhline(
            target.max_utilisation,
            color="black",
            ls="--",
            lw=1.1,
            label=f"cap {target.max_utilisation:.0%}",
            gid="target_utilisation",
        )
        ax.legend(loc="lower right", fontsize=7.5)
    ax.set_xticks(range(len(config.stages)), ticks)
    ax.set_xlim(-0.6, len(config.stages) - 0.4 + 0.35)
    ax.set_ylim(0, 1.02)
    pct_axis(ax, "y")
    ax.set_ylabel("Busy hours / hours in the seat")
    ax.set_title("Utilisation per rep")


def waits_figure(result: CapacityResult) -> SpmFigure:
    """The first stage's response times and every rep's utilisation.

    Parameters
    ----------
    result : CapacityResult
        From :func:`spm_sim.capacity.run_capacity`.

    Returns
    -------
    SpmFigure
        Two axes. Left: the share of leads first contacted within ``t`` working
        hours against ``t`` (up to the 99th percentile of the waits; the axis is
        linear up to the target's response time, default 1 hour, and logarithmic
        beyond; :func:`spm_sim.capacity.response_time_curves`), the mean over
        replications (gid ``"share_within"``) and their range (``"range"``), with the
        configuration's target as a point (``"target"``). Right: the utilisation of
        every rep in every replication by stage (dots, ``"reps"``; a seat's successive
        reps are separate dots), each stage's utilisation (``"stage_mean"``: its busy
        hours over its hours in a seat, all replications pooled;
        :func:`spm_sim.capacity.pooled_utilisation`) and the utilisation cap of the
        target (``"target_utilisation"``), if any.

    Notes
    -----
    The shares count the leads contacted in the year; leads still waiting on
    31 December are left out. :meth:`~spm_sim.capacity.CapacityResult.summary`'s
    ``share_within_<h>h`` counts those waiting longer than ``h`` as missed, so it can
    read lower than the curve at ``h``. Likewise the summary's ``utilisation_<stage>``
    is the mean of the replications' ratios, which can differ slightly from the
    pooled ``"stage_mean"`` drawn here.
    A rep's utilisation is their busy hours over their hours in the seat, so a
    vacancy after a rep leaves does not lower it; the rep's effort counts at the
    ramped speed (a new rep's lead takes longer and keeps them busier).

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig, run_capacity
    >>> cfg = CapacityConfig(name="demo", segments=[{"name": "web", "leads_per_year": 500}],
    ...                      stages=[{"name": "SDR", "reps": 2, "effort_hours": 1.0}])
    >>> fig = waits_figure(run_capacity(cfg, 2, rng=0))
    >>> [ax.get_title() for ax in fig.axes]
    ['Response time at SDR', 'Utilisation per rep']
    """
    config = result.config
    target = config.target
    within = 1.0
    if target is not None and target.within_hours is not None:
        within = target.within_hours
    shares = response_time_curves(result.work, within)
    grid, curves = shares.columns.to_numpy(float), shares.to_numpy(float)
    with figure_style():
        fig = SpmFigure(figsize=(10.5, 4.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _response_panel(ax1, result, grid, curves, within)
        _utilisation_panel(ax2, result)
        fig.suptitle(
            f"{safe_label(config.name)}: {result.n_replications} replications",
            fontsize=9.5,
            x=0.01,
            ha="left",
        )
    return fig


def grid_figure(grid: pd.DataFrame, config: CapacityConfig) -> SpmFigure:
    """The joint answer of :func:`~spm_sim.capacity.team_grid`: each team's gain in
    expected bookings net of its cost against today's team, and the stage that binds.

    Parameters
    ----------
    grid : DataFrame
        From :func:`spm_sim.capacity.team_grid` (``attrs["stages"]`` names the one or
        two stages sized).
    config : CapacityConfig
        The configuration the grid was run on (its stages' names and order).

    Returns
    -------
    SpmFigure
        With two stages sized: a heat map (gid ``"net"``) of ``net_vs_base`` with the
        first sized stage across and the second up, each cell labelled with the net
        gain and the binding stage, the teams that miss the service target saying so
        (their labels' gid ``"misses_target"``) and today's team outlined (``"today"``). With one
        (or more than two: the first only, the others at their first size): the net
        gain against team size with its paired interval (``"net"``, ``"net_ci"``) and
        the binding stage written over each point.

    Examples
    --------
    >>> from spm_sim.capacity import CapacityConfig
    >>> cfg = CapacityConfig(name="x", segments=[{"name": "s", "leads_per_year": 10}],
    ...     stages=[{"name": "SDR", "reps": 1, "effort_hours": 1},
    ...             {"name": "AE", "reps": 2, "effort_hours": 1}])
    >>> grid = pd.DataFrame({"reps_SDR": [1, 1, 2, 2], "reps_AE": [2, 3, 2, 3],
    ...     "net_vs_base": [0.0, 5e4, -1e4, 8e4], "net_vs_base_low": [0.0, 1e4, -5e4, 2e4],
    ...     "net_vs_base_high": [0.0, 9e4, 3e4, 1.4e5], "binding": ["AE", "SDR", "AE", ""],
    ...     "meets_target": [False, True, True, True], "base": [True, False, False, False]})
    >>> grid.attrs["stages"] = ["SDR", "AE"]
    >>> fig = grid_figure(grid, cfg)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('SDR reps', 'AE reps')
    """
    if grid.empty:
        raise ValueError("the team grid has no rows; run team_grid with some sizes")
    stages = list(grid.attrs.get("stages") or [s.name for s in config.stages])
    with figure_style():
        fig = SpmFigure(figsize=(7.5, 4.8), layout="constrained")
        ax = fig.subplots(1, 1)
        if len(stages) >= 2:
            _grid_heat(fig, ax, grid, stages[0], stages[1])
        else:
            _grid_line(ax, grid, stages[0])
        name = grid.attrs.get("config") or config.name
        fig.suptitle(
            safe_label(f"{name}: expected bookings less cost, against today's team"),
            fontsize=9.5,
            x=0.01,
            ha="left",
        )
    return fig


def _grid_heat(fig, ax: Axes, grid: pd.DataFrame, across: str, up: str) -> None:
    xs = sorted(grid[f"reps_{across}"].unique())
    ys = sorted(grid[f"reps_{up}"].unique())
    net = np.full((len(ys), len(xs)), np.nan)
    cells = {}
    for d in grid.to_dict("records"):
        i, j = ys.index(d[f"reps_{up}"]), xs.index(d[f"reps_{across}"])
        if not np.isfinite(net[i, j]):  # the first row of a cell (others sized elsewhere)
            net[i, j] = d["net_vs_base"]
            cells[(i, j)] = d
    bound = float(np.nanmax(np.abs(net))) or 1.0
    image = ax.imshow(
        net, origin="lower", cmap="PuOr", vmin=-bound, vmax=bound, aspect="auto", gid="net"
    )
    bar = fig.colorbar(image, ax=ax, shrink=0.85)
    bar.set_label("net gain a year (expected bookings less cost)")
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_money(v, trim=True)))
    for (i, j), d in cells.items():
        binds = d["binding"] or "none"
        text = f"{format_money(d['net_vs_base'], sign=True, trim=True)}\nbinds: {binds}"
        if not d["meets_target"]:
            text += "\nmisses target"
        dark = abs(float(d["net_vs_base"])) > 0.55 * bound  # white on the deep colours
        ax.text(
            j,
            i,
            safe_label(text),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if dark else "black",
            gid="misses_target" if not d["meets_target"] else None,
        )
        if d["base"]:
            ax.add_patch(_outline(j, i))  # today's team
    ax.grid(False)
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set_yticks(range(len(ys)), [str(y) for y in ys])
    ax.set_xlabel(f"{safe_label(across)} reps")
    ax.set_ylabel(f"{safe_label(up)} reps")


def _outline(j: int, i: int):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.0, ec="black", gid="today", label="today"
    )


def _grid_line(ax: Axes, grid: pd.DataFrame, stage: str) -> None:
    col = f"reps_{stage}"
    first = grid.drop_duplicates(col).sort_values(col)
    x = first[col].to_numpy(float)
    y = first["net_vs_base"].to_numpy(float)
    color = palette(1)[0]
    ax.plot(x, y, "o-", color=color, ms=4, lw=1.5, gid="net")
    ax.fill_between(
        x,
        first["net_vs_base_low"].to_numpy(float),
        first["net_vs_base_high"].to_numpy(float),
        color=color,
        alpha=0.2,
        lw=0,
        gid="net_ci",
    )
    for xi, yi, binds in zip(x, y, first["binding"], strict=True):
        ax.annotate(
            safe_label(binds or "none"),
            (xi, yi),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
        )
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel(f"{safe_label(stage)} reps")
    _money_axis(ax)
