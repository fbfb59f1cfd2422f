"""Figures of a year in progress (:func:`spm_sim.track.forecast` and its views).

* :func:`forecast_fan_figure`: the company's cumulative bookings by month, the actual
  line to the as-of date, then the forecast's median and P10-P90 band to December,
  with the year's quota;
* :func:`p_quota_figure`: each rep's chance of making quota, sorted, with its
  interval (a dot plot);
* :func:`accrual_figure`: the incentive cost of each month, actual months as paid
  and the months ahead as expected with their P10-P90.

Same house rules as :mod:`spm_sim.viz`: object-oriented matplotlib on the Agg
canvas, no pyplot, the look set inside ``figure_style()`` only, the Okabe-Ito
colours of :func:`spm_sim.viz.style.palette`. They draw; every number comes from
the forecast or its tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spm_sim._format import format_money

from .results import _money_axis
from .style import SpmFigure, figure_style, palette, pct_axis, safe_label

if TYPE_CHECKING:
    from spm_sim.track import Forecast

__all__ = ["forecast_fan_figure", "p_quota_figure", "accrual_figure", "fan_points"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fan_points(forecast: Forecast) -> dict[str, np.ndarray]:
    """The points of the fan figure: where the actuals end and the forecast's band.

    The x axis counts months from 1 January (0) to 31 December (12); the as-of
    date sits at its month's share elapsed (30 June is 6.0, 15 June about 5.5).

    Returns
    -------
    dict
        ``actual_x``, ``actual_y``: the cumulative actual bookings at 1 January,
        each month end known and the as-of date; ``x``: the as-of date then each
        later month end; ``p10``, ``p50``, ``p90``: the cumulative company bookings
        at those points over the trials (equal at the as-of date, which is known).

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> pts = fan_points(example_forecast(trials=50))
    >>> pts["actual_x"].tolist(), pts["x"][[0, -1]].tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [6.0, 12.0])
    >>> bool(pts["p10"][0] == pts["p90"][0] == pts["actual_y"][-1])
    True
    """
    fc = forecast
    actual_cum = np.concatenate([[0.0], np.cumsum(np.asarray(fc.actual, float).sum(axis=0))])
    if fc.as_of.year < fc.year:
        x0 = 0.0
    elif fc.as_of.year > fc.year:
        x0 = 12.0
    else:
        x0 = fc.as_of.month - 1 + fc.as_of.day / fc.as_of.days_in_month
    full = int(np.floor(x0 + 1e-9))
    actual_x = [float(j) for j in range(full + 1)]
    actual_y = [float(actual_cum[j]) for j in range(full + 1)]
    known_total = float(actual_cum[-1])
    if x0 - full > 1e-9:
        actual_x.append(float(x0))
        actual_y.append(known_total)
    cum = np.cumsum(np.asarray(fc.bookings, float).sum(axis=1), axis=1)  # (trials, 12)
    ends = [j for j in range(1, 13) if j > x0 + 1e-9]
    x = np.array([x0, *ends], dtype=float)
    values = np.column_stack([np.full(cum.shape[0], known_total), *[cum[:, j - 1] for j in ends]])
    p10, p50, p90 = np.percentile(values, [10, 50, 90], axis=0)
    return {
        "actual_x": np.array(actual_x),
        "actual_y": np.array(actual_y),
        "x": x,
        "p10": p10,
        "p50": p50,
        "p90": p90,
    }


def forecast_fan_figure(forecast: Forecast, *, target: float | None = None) -> Figure:
    """The company's cumulative bookings: actual to the as-of date, then the forecast.

    Parameters
    ----------
    forecast : Forecast
    target : float, optional
        The year's number drawn as a dashed line; default the sum of the reps'
        quotas.

    Returns
    -------
    Figure
        One axes: the actual line (black), the median forecast (blue) and its
        P10-P90 band, the year-end P10, P50 and P90 written at December, and the
        target.

    Examples
    --------
    >>> from spm_sim.track import example_forecast
    >>> fig = forecast_fan_figure(example_forecast(trials=50))
    >>> [line.get_gid() for line in fig.axes[0].lines][:2]
    ['actual', 'median']
    """
    fc = forecast
    cur = fc.currency
    pts = fan_points(fc)
    goal = float(np.asarray(fc.quotas, float).sum()) if target is None else float(target)
    blue, orange = palette(2)
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.8), layout="constrained")
        ax = fig.subplots()
        ax.fill_between(
            pts["x"], pts["p10"], pts["p90"], color=blue, alpha=0.22, lw=0, label="P10-P90"
        )
        ax.plot(
            pts["actual_x"],
            pts["actual_y"],
            color="black",
            lw=2.0,
            marker="o",
            ms=3,
            label=f"actual to {fc.as_of:%d %b %Y}",
            gid="actual",
        )
        ax.plot(
            pts["x"], pts["p50"], color=blue, lw=1.8, ls="-", label="forecast median", gid="median"
        )
        if goal > 0:
            ax.axhline(goal, color=orange, lw=1.3, ls="--", gid="target")
            ax.text(
                0.1,
                goal,
                safe_label(f"quota {format_money(goal, currency=cur)}"),
                color=orange,
                va="bottom",
                fontsize=8.5,
            )
        if pts["x"].size > 1:
            # the three year-end labels kept apart by at least 6% of the axis's height
            top = max(float(pts["p90"].max()), goal, 1.0) * 1.05
            gap = 0.06 * top
            ys = [float(pts[k][-1]) for k in ("p10", "p50", "p90")]
            ys[1] = max(ys[1], ys[0] + gap)
            ys[2] = max(ys[2], ys[1] + gap)
            for key, y in zip(("p10", "p50", "p90"), ys, strict=True):
                ax.annotate(
                    safe_label(f"{key.upper()} {format_money(pts[key][-1], currency=cur)}"),
                    (12.0, y),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
        ax.axvline(pts["actual_x"][-1], color="#888888", lw=0.8, ls=":")
        ax.set_xlim(0, 13.4)
        ax.set_xticks(np.arange(0.5, 12.5, 1.0), _MONTHS)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Bookings since 1 January")
        ax.set_title(f"{fc.year}: bookings to {fc.as_of:%d %B} and the rest of the year forecast")
        _money_axis(ax, "y", currency=cur)
        fig.legend(loc="outside lower center", ncols=3)
    return fig


def p_quota_figure(board: pd.DataFrame, *, label_limit: int = 40) -> Figure:
    """Each rep's chance of making quota, lowest to highest, with its interval.

    Parameters
    ----------
    board : DataFrame
        A :func:`spm_sim.track.leaderboard`: ``rep_id``, ``p_quota``,
        ``p_quota_low``, ``p_quota_high`` (reps without quota are left out).
    label_limit : int, default 40
        Reps are named on the axis when there are at most this many.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from spm_sim.track import example_forecast, leaderboard
    >>> fig = p_quota_figure(leaderboard(example_forecast(trials=50)))
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['R001', 'R002', 'R003']
    """
    b = board.dropna(subset=["p_quota"]).sort_values(["p_quota", "rep_id"], kind="stable")
    n = len(b)
    p = b["p_quota"].to_numpy(float)
    low = b["p_quota_low"].to_numpy(float)
    high = b["p_quota_high"].to_numpy(float)
    blue, orange, _purple, green = palette(4)
    colors = [orange if v < 0.3 else green if v >= 0.7 else blue for v in p]
    x = np.arange(n)
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.4), layout="constrained")
        ax = fig.subplots()
        ax.errorbar(
            x,
            p,
            yerr=[np.maximum(p - low, 0.0), np.maximum(high - p, 0.0)],
            fmt="none",
            ecolor="#777777",
            elinewidth=0.9,
            capsize=0,
        )
        ax.scatter(x, p, c=colors, s=18 if n <= 200 else 6, zorder=3)
        ax.axhline(0.5, color="#999999", lw=0.8, ls=":")
        if n <= label_limit:
            ax.set_xticks(x, [safe_label(r) for r in b["rep_id"]], rotation=90, fontsize=7)
        else:
            ax.set_xlabel(f"{n:,} reps, from the least to the most likely to make quota")
        ax.set_xlim(-1, max(n, 1))
        ax.set_ylim(-0.03, 1.03)
        pct_axis(ax, "y", decimals=0)
        ax.set_ylabel("Chance of making quota")
        under = int((p < 0.3).sum())
        over = int((p >= 0.7).sum())
        ax.set_title(
            f"Chance of making quota by year end: {over} of {n} reps at 70% or more, "
            f"{under} under 30% (bars: 95% interval)"
        )
    return fig


def accrual_figure(table: pd.DataFrame) -> Figure:
    """The incentive cost of each month: paid (actual months), expected with P10-P90 after.

    Parameters
    ----------
    table : DataFrame
        A :func:`spm_sim.track.accruals` table (its ``month`` rows are drawn).

    Returns
    -------
    Figure

    Examples
    --------
    >>> from spm_sim.track import accruals, example_forecast
    >>> fig = accrual_figure(accruals(example_forecast(trials=50)))
    >>> len(fig.axes[0].patches)
    12
    """
    months = table[table["kind"] == "month"].reset_index(drop=True)
    cur = str(months["currency"].iloc[0]) if len(months) else "USD"
    blue, _orange, _purple, _green, _sky, vermillion = palette(6)
    status = months["status"].astype(str).to_numpy()
    expected = months["expected"].to_numpy(float)
    p10 = months["p10"].to_numpy(float)
    p90 = months["p90"].to_numpy(float)
    colors = [
        "#555555" if s == "actual" else vermillion if s == "in progress" else blue for s in status
    ]
    x = np.arange(len(months))
    with figure_style():
        fig = SpmFigure(figsize=(10, 3.3), layout="constrained")
        ax = fig.subplots()
        ax.bar(x, expected, color=colors, width=0.7)
        ahead = status != "actual"
        if ahead.any():
            ax.errorbar(
                x[ahead],
                expected[ahead],
                yerr=[
                    np.maximum(expected[ahead] - p10[ahead], 0),
                    np.maximum(p90[ahead] - expected[ahead], 0),
                ],
                fmt="none",
                ecolor="black",
                elinewidth=1.0,
                capsize=3,
            )
        labels = [_MONTHS[int(str(p)[-2:]) - 1] for p in months["period"]]
        ax.set_xticks(x, labels)
        ax.set_ylabel("Incentive cost of the month")
        ax.set_title(
            "Incentive cost by month: paid (grey), in progress, expected (blue, P10-P90 bars)"
        )
        _money_axis(ax, "y", currency=cur)
        ax.set_ylim(bottom=0)
    return fig
