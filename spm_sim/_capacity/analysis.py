"""Figures read off a capacity simulation's records: wait quantiles and the queue by
working day.

A private module of :mod:`spm_sim.capacity`; pure functions over the tidy frames of
:class:`~spm_sim.capacity.CapacityResult`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WAIT_QUANTILES", "wait_quantiles", "queue_by_day"]

#: Quantiles of the waits written to ``waits.csv``.
WAIT_QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)


def wait_quantiles(work: pd.DataFrame, quantiles=WAIT_QUANTILES) -> pd.DataFrame:
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


def queue_by_day(queue: pd.DataFrame, cal) -> pd.DataFrame:
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
