"""Figures read off a capacity simulation's records: wait quantiles, the queue by
working day, the response-time curves, the stages' pooled utilisation, and the name
of a summary's service column.

A private module of :mod:`spm_sim.capacity`; pure functions over the tidy frames of
:class:`~spm_sim.capacity.CapacityResult` (and, for :func:`share_column`, the names
of its summaries' figures).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spm_sim._format import format_money, format_pct

if TYPE_CHECKING:
    from .model import Calendar

__all__ = [
    "figure_text",
    "WAIT_QUANTILES",
    "RESPONSE_GRID_POINTS",
    "wait_quantiles",
    "queue_by_day",
    "share_column",
    "response_time_curves",
    "pooled_utilisation",
]

#: The unit of each counted figure of a capacity summary.
COUNT_UNITS = {
    "leads": "leads",
    "contacted": "leads",
    "not_contacted": "leads",
    "lost_to_decay": "leads",
    "opportunities": "opps",
}


def figure_text(
    figure: str, value: float, currency: str = "USD", *, count_units: bool = False
) -> str:
    """A capacity figure with its unit: %, hours, money or a count.

    ``count_units`` names what a count counts ("59,872 leads", "536 opps"), for text
    where no column heading says it.

    Examples
    --------
    >>> figure_text("share_within_1h", 0.9123), figure_text("mean_wait_hours", 1.234)
    ('91.2%', '1.23 h')
    >>> figure_text("bookings", 17_196_960.0), figure_text("leads", 59_872.0)
    ('$17.2M', '59,872')
    >>> figure_text("leads", 59_872.0, count_units=True)
    '59,872 leads'
    """
    if not np.isfinite(value):
        return "n/a"
    if figure.startswith(("share_", "utilisation_")):
        return format_pct(value)
    if figure.endswith("_hours"):
        return f"{value:.2f} h"
    if figure == "bookings":
        return format_money(value, currency=currency)
    unit = COUNT_UNITS.get(figure, "") if count_units else ""
    return f"{value:,.0f} {unit}".rstrip()


#: Quantiles of the waits written to ``waits.csv``.
WAIT_QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)

#: Points of the response-time grid of :func:`response_time_curves`.
RESPONSE_GRID_POINTS = 200


def share_column(columns: Iterable[object], within_hours: float | None = None) -> str:
    """The ``share_within_<h>h`` column of a summary or curve.

    :meth:`CapacityResult.summary <spm_sim.capacity.CapacityResult.summary>` names its
    service figure after the response time, ``share_within_{h:g}h`` (and
    :func:`~spm_sim.capacity.headcount_curve` its columns, with ``_low`` and
    ``_high`` bounds); this finds it.

    Parameters
    ----------
    columns : iterable of str
        Column (or figure) names, e.g. a :func:`~spm_sim.capacity.headcount_curve`'s.
    within_hours : float, optional
        The response time wanted; default: the only such column there is.

    Raises
    ------
    KeyError
        If there is no such column (or, without ``within_hours``, several).

    Examples
    --------
    >>> share_column(["reps", "share_within_1h", "share_within_1h_low"])
    'share_within_1h'
    >>> share_column(["share_within_0.5h"], 0.5)
    'share_within_0.5h'
    """
    cols = [str(c) for c in columns]
    if within_hours is not None:
        name = f"share_within_{within_hours:g}h"
        if name not in cols:
            raise KeyError(f"no column {name!r}; the frame has {cols}")
        return name
    found = [c for c in cols if re.fullmatch(r"share_within_[0-9.e+-]+h", c)]
    if len(found) != 1:
        raise KeyError(f"expected one share_within_<h>h column, found {found or 'none'}")
    return found[0]


def wait_quantiles(work: pd.DataFrame, quantiles: Sequence[float] = WAIT_QUANTILES) -> pd.DataFrame:
    """Quantiles of the waits per replication and stage, in long form.

    Parameters
    ----------
    work : DataFrame
        :attr:`CapacityResult.work` (columns ``replication``, ``stage_name``, ``wait``).
    quantiles : sequence of float
        Quantiles in [0, 1].

    Returns
    -------
    DataFrame
        Columns ``replication``, ``stage``, ``quantile``, ``wait_hours`` (working hours
        from reaching the stage to the start of work), plus ``mean`` and ``max`` rows
        (``quantile`` ``"mean"``, ``"max"``), one row each per replication and stage.

    Examples
    --------
    >>> w = pd.DataFrame({"replication": 0, "stage_name": "SDR", "wait": [0.0, 1.0, 2.0]})
    >>> wait_quantiles(w, (0.5,))["wait_hours"].tolist()
    [1.0, 1.0, 2.0]
    """
    g = work.groupby(["replication", "stage_name"], sort=True)["wait"]
    parts = [g.quantile(q).rename(f"{q:g}") for q in quantiles]
    parts += [g.mean().rename("mean"), g.max().rename("max")]
    wide = pd.concat(parts, axis=1)
    wide.index.names = ["replication", "stage"]
    return (
        wide.reset_index()
        .melt(id_vars=["replication", "stage"], var_name="quantile", value_name="wait_hours")
        .sort_values(["replication", "stage"], kind="stable", ignore_index=True)
    )


def queue_by_day(queue: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """The number of leads waiting per working day: at the close and at the day's peak.

    Parameters
    ----------
    queue : DataFrame
        :attr:`CapacityResult.queue` (``replication``, ``stage``, ``time`` in working
        hours, ``waiting`` after each change).
    cal : Calendar
        :func:`spm_sim.capacity.calendar` of the configuration.

    Returns
    -------
    DataFrame
        Columns ``replication``, ``stage``, ``date``, ``waiting_close`` (waiting at the
        end of the working day) and ``waiting_peak`` (the most waiting at any time of
        the day, the opening count included), one row per replication, stage and
        working day.
    """
    q = queue.sort_values(["replication", "stage", "time"], kind="stable")
    day = np.clip((q["time"].to_numpy() // cal.hours_per_day).astype(int), 0, len(cal.dates) - 1)
    q = q.assign(day=day)
    g = q.groupby(["replication", "stage", "day"])["waiting"]
    daily = pd.DataFrame({"waiting_close": g.last(), "waiting_peak": g.max()}).reset_index()
    # days without a change carry the previous day's close
    full = pd.MultiIndex.from_product(
        [daily["replication"].unique(), daily["stage"].unique(), range(len(cal.dates))],
        names=["replication", "stage", "day"],
    )
    daily = daily.set_index(["replication", "stage", "day"]).reindex(full)
    by_run = daily.groupby(level=[0, 1])
    daily["waiting_close"] = by_run["waiting_close"].ffill().fillna(0)
    # a day opens with the previous day's close (the queue is empty on 1 January)
    opening = daily.groupby(level=[0, 1])["waiting_close"].shift(1).fillna(0)
    daily["waiting_peak"] = np.fmax(daily["waiting_peak"].fillna(0), opening)
    daily = daily.reset_index()
    daily.insert(2, "date", cal.dates[daily["day"].to_numpy()].date)
    return daily.drop(columns="day").astype({"waiting_close": int, "waiting_peak": int})


def _share_within(waits: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Share of ``waits`` at or below each point of ``grid`` (the empirical CDF)."""
    if waits.size == 0:
        return np.full(grid.shape, np.nan)
    return np.searchsorted(np.sort(waits), grid, side="right") / waits.size


def response_time_curves(
    work: pd.DataFrame, within_hours: float = 1.0, *, points: int = RESPONSE_GRID_POINTS
) -> pd.DataFrame:
    """Each replication's share of leads first contacted within ``t`` hours, against ``t``.

    Parameters
    ----------
    work : DataFrame
        :attr:`CapacityResult.work` (columns ``replication``, ``stage``, ``wait``);
        only the first stage (``stage == 0``) is read: its wait is the time from a
        lead's arrival to its first contact, in working hours.
    within_hours : float, default 1
        The response time of interest (a target's ``within_hours``): the grid is
        linear up to it and logarithmic beyond.
    points : int, default :data:`RESPONSE_GRID_POINTS`
        Points of the grid: ``points // 4`` evenly spaced in ``[0, within_hours)``,
        the rest geometrically spaced from ``within_hours`` to the top.

    Returns
    -------
    DataFrame
        One row per replication with at least one lead contacted (index
        ``replication``), one column per point ``t`` of the grid (column index
        ``hours``): the share of that replication's contacted leads whose first
        wait was at most ``t``. The grid's top is the 99th percentile of every
        replication's waits together, and at least ``2 x within_hours``, so the
        target and the long tail of a bad replication both stay in view.

    Notes
    -----
    The shares count the leads contacted in the year (the empirical distribution
    of their waits). :meth:`CapacityResult.summary
    <spm_sim.capacity.CapacityResult.summary>`'s ``share_within_<h>h`` also counts
    the leads still waiting on 31 December for longer than ``h`` as missed, so where
    leads are left waiting at the year end, the curve at ``t = h`` reads higher than
    the summary's figure.

    Raises
    ------
    ValueError
        If ``within_hours`` is not a positive finite number or ``points`` is below 8.

    Examples
    --------
    >>> work = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1], "stage": [0, 0, 0, 0, 0, 1],
    ...                      "wait": [0.0, 0.5, 1.5, 1.0, 2.0, 9.0]})
    >>> curves = response_time_curves(work, 1.0, points=8)
    >>> curves.columns.to_numpy().round(3)
    array([0.   , 0.5  , 1.   , 1.149, 1.32 , 1.516, 1.741, 2.   ])
    >>> curves.index.tolist()  # replication 1's wait at stage 1 is not read
    [0, 1]
    >>> curves[1.0].round(3).tolist()  # within 1 hour: 2 of 3 leads, 1 of 2
    [0.667, 0.5]
    >>> curves[2.0].tolist()
    [1.0, 1.0]
    """
    within = float(within_hours)
    if not np.isfinite(within) or within <= 0:
        raise ValueError(f"within_hours must be a positive number of hours; got {within_hours!r}")
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 8:
        raise ValueError(f"points must be a whole number >= 8; got {points!r}")
    first = work[work["stage"] == 0]
    waits = {r: g["wait"].to_numpy(float) for r, g in first.groupby("replication", sort=True)}
    every = first["wait"].to_numpy(float)
    top = max(float(np.quantile(every, 0.99)) if every.size else 0.0, 2.0 * within)
    linear = np.linspace(0.0, within, int(points) // 4, endpoint=False)
    grid = np.concatenate([linear, np.geomspace(within, top, int(points) - linear.size)])
    curves = np.array([_share_within(w, grid) for w in waits.values()]).reshape(-1, grid.size)
    return pd.DataFrame(
        curves,
        index=pd.Index(list(waits), name="replication"),
        columns=pd.Index(grid, name="hours"),
    )


def pooled_utilisation(reps: pd.DataFrame, stages: Iterable[str] | None = None) -> pd.Series:
    """Each stage's utilisation pooled over replications: all busy hours over all hours
    in a seat.

    Parameters
    ----------
    reps : DataFrame
        :attr:`CapacityResult.reps` (columns ``stage``, ``busy_hours``,
        ``hours_in_seat``; one row per rep and seat, every replication).
    stages : iterable of str, optional
        The stages, in the order wanted (e.g. the configuration's); default: as
        they first appear in ``reps``. A stage without rows, or without hours in a
        seat, is NaN.

    Returns
    -------
    Series
        Utilisation by stage name (index ``stage``), named ``pooled_utilisation``.

    Notes
    -----
    This is not the summary's figure. :meth:`CapacityResult.summary
    <spm_sim.capacity.CapacityResult.summary>`'s ``utilisation_<stage>`` is the
    mean over replications of each replication's ratio (busy over in-seat hours,
    the stage's reps together), every replication weighing the same; the pooled
    ratio weighs each replication by its hours in a seat, so it differs slightly
    when vacancies (leavers, backfill lags) leave replications with different seat
    hours. Both count a rep's hours in the seat only: a vacancy does not lower
    either. The pooled ratio is the one drawn by
    :func:`~spm_sim.viz.waits_figure` (its ``stage_mean``).

    Examples
    --------
    Replication 0 is busy 90 of 100 hours, replication 1 150 of 300:

    >>> reps = pd.DataFrame({"replication": [0, 1], "stage": ["SDR", "SDR"],
    ...                      "busy_hours": [90.0, 150.0], "hours_in_seat": [100.0, 300.0]})
    >>> pooled_utilisation(reps)  # (90 + 150) / (100 + 300)
    stage
    SDR    0.6
    Name: pooled_utilisation, dtype: float64

    while the summary's ``utilisation_SDR`` is the mean of 0.9 and 0.5, 0.7.
    """
    names = list(dict.fromkeys(reps["stage"])) if stages is None else [str(s) for s in stages]
    by_stage = reps.groupby("stage")
    busy = by_stage["busy_hours"].sum().reindex(names)
    seat = by_stage["hours_in_seat"].sum().reindex(names)
    pooled = (busy / seat.where(seat > 0)).astype(float)
    pooled.index.name = "stage"
    return pooled.rename("pooled_utilisation")
